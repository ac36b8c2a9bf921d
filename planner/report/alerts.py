"""Budget alerts for cron and CI: thresholds in percent of the monthly budget, on the month's spend.

Exit codes of ``planner report`` (2 stays bad input):

* 0 -- no threshold crossed (or none asked for);
* 3 -- a ``--warn-at`` threshold crossed;
* 4 -- over budget with ``--fail-over-budget``.

The spend checked is the month's projected month-end spend (its actual spend once the month is complete, and
never less than what is already spent); without actual spend for the month, the plan for the month.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from planner.errors import InputError
from planner.report.periods import fmt_amount

OK_EXIT = 0
WARN_EXIT = 3
OVER_EXIT = 4


def parse_thresholds(text: str | None) -> list[float]:
    """``80,100`` -> [80.0, 100.0] (percent of budget)."""
    if text is None:
        return []
    out = []
    for part in str(text).split(","):
        part = part.strip().rstrip("%")
        if not part:
            continue
        try:
            x = float(part)
        except ValueError:
            x = math.nan
        if not math.isfinite(x) or x <= 0 or x > 1000:
            raise InputError(f"takes percentages of the budget above 0 and at most 1000, such as 80,100; got {text!r}",
                             field="--warn-at")
        out.append(x)
    if not out:
        raise InputError(f"takes percentages of the budget such as 80,100; got {text!r}", field="--warn-at")
    return sorted(set(out))


def evaluate(*, month: str, budget: Decimal | None, spend: Decimal | None, basis: str, currency: str,
             warn_at: list[float], fail_over_budget: bool) -> dict[str, Any]:
    """The alert state: thresholds crossed, over budget, exit code and the one summary line."""
    asked = bool(warn_at) or fail_over_budget
    if asked and budget is None:
        raise InputError("alerts need a budget; give --budget AMOUNT or budget_usd_per_month in the scenario",
                         field="--warn-at" if warn_at else "--fail-over-budget")
    share = None if budget is None or spend is None or budget == 0 else float(spend / budget * 100)
    crossed = [t for t in warn_at if share is not None and share >= t]
    over = budget is not None and spend is not None and spend > budget
    code = OK_EXIT
    if fail_over_budget and over:
        code = OVER_EXIT
    elif crossed:
        code = WARN_EXIT
    if budget is None:
        line = f"{month}: {basis} {fmt_amount(spend, currency)}; no budget to check against"
    elif spend is None:
        line = f"{month}: {basis} unknown (some of the plan is unpriced); budget {fmt_amount(budget, currency)}"
    else:
        line = (f"{month}: {basis} {fmt_amount(spend, currency)} is {share:.1f}% of the "
                f"{fmt_amount(budget, currency)} monthly budget")
        if over:
            line += f", over by {fmt_amount(spend - budget, currency)}"
        if warn_at:
            line += f" (warn at {', '.join(f'{t:g}%' for t in warn_at)})"
    label = {OVER_EXIT: "OVER BUDGET", WARN_EXIT: "WARNING", OK_EXIT: "OK"}[code]
    return {"warn_at": warn_at, "fail_over_budget": fail_over_budget, "spend_basis": basis, "spend": spend,
            "pct_of_budget": None if share is None else round(share, 1), "crossed": crossed, "over_budget": over,
            "exit_code": code, "line": f"{label}: {line}"}

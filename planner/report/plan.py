"""The scenario's plan as calendar months: spend per month, per workload and per service category, and the
work each workload is planned to do (requests, tokens, training runs) for unit costs.

The plan is the costing of the scenario over its horizon (growth included), on one cloud: what is billed
in each month at contracted prices (list prices without a price book). Plan month 1 is ``start``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from planner.errors import InputError, suggest
from planner.report.periods import Month

if TYPE_CHECKING:
    from planner.comparison import CloudResult, Comparison
    from planner.scenario import Scenario

# plan line items -> FOCUS ServiceCategory, as cloud exports file them (GPU instances are Compute there)
CATEGORY = {"instance": "Compute", "storage": "Storage", "requests_write": "Storage", "requests_read": "Storage",
            "egress": "Networking", "edge": "Other", "fixed": "Other"}
UNITS = ("requests", "tokens", "training_runs")


@dataclass(frozen=True)
class PlanSeries:
    cloud: str
    region: str
    chosen_by: str  # why this cloud
    start: Month
    horizon: int
    total: dict[Month, Decimal | None]  # billed in each month (USD)
    by_workload: dict[Month, dict[str, Decimal | None]]
    by_category: dict[Month, dict[str, Decimal | None]]
    by_cloud: dict[str, dict[Month, Decimal | None]]  # every compared cloud's plan
    volumes: dict[Month, dict[str, dict[str, float]]]  # planned work per workload
    workloads: tuple[str, ...]  # scenario workloads and fixed costs, in order
    complete: bool = True
    notes: tuple[str, ...] = field(default=())

    @property
    def end(self) -> Month:
        return self.start + (self.horizon - 1)

    def month(self, m: Month) -> Decimal | None:
        return self.total.get(m)

    def covers(self, m: Month) -> bool:
        return self.start <= m <= self.end


def choose_cloud(cmp: Comparison, cloud: str | None) -> tuple[CloudResult, str]:
    """``cloud`` when given, else the comparison's winner (cheapest over the horizon)."""
    if cloud:
        names = [c.cloud for c in cmp.clouds]
        if cloud not in names:
            raise InputError(suggest(cloud, names, what="cloud in this comparison"), field="--cloud")
        return cmp.cloud(cloud), "--cloud"
    win = cmp.winner
    if win is not None:
        return win, "cheapest over the horizon"
    first = cmp.ranking[0]
    return first, "no cloud priced everything; the first in the ranking"


def _category_shares(c: CloudResult) -> dict[str, dict[str, Decimal]]:
    """Per workload: the share of its month-1 cost in each service category."""
    out: dict[str, dict[str, Decimal]] = {}
    for i in c.items:
        key = i.workload
        cat = CATEGORY.get(i.resource, "Other")
        amount = i.contracted_cost if i.contracted_cost is not None else Decimal(0)
        out.setdefault(key, {}).setdefault(cat, Decimal(0))
        out[key][cat] += amount
    shares: dict[str, dict[str, Decimal]] = {}
    for w, cats in out.items():
        total = sum(cats.values(), Decimal(0))
        shares[w] = {k: (v / total if total else Decimal(1) / len(cats)) for k, v in cats.items()}
    return shares


def planned_volumes(sc: Scenario, m: int) -> dict[str, dict[str, float]]:
    """Work planned in plan month ``m`` (0-based) per workload: requests (serving: mean QPS with growth x hours, or
    runs x requests per run), tokens (LLM serving: requests x (input + output tokens)), training runs."""
    from planner.scenario import Serving, Training

    out: dict[str, dict[str, float]] = {}
    for w in sc.workloads:
        if isinstance(w, Serving) and w.style != "edge":
            g = (1 + w.qps_growth_pct_per_month / 100.0) ** m
            if w.style == "batch" and w.requests_per_run is not None:
                req = w.requests_per_run * g * w.runs_per_month
            else:
                req = (w.qps_mean or 0.0) * g * w.hours_per_month * 3600
            vol = {"requests": req}
            if w.model:
                vol["tokens"] = req * (w.input_tokens + w.output_tokens)
            out[w.name] = vol
        elif isinstance(w, Training):
            out[w.name] = {"training_runs": 1.0 if w.schedule == "monthly" or m == 0 else 0.0}
    return out


def plan_series(cmp: Comparison, start: Month, cloud: str | None = None) -> PlanSeries:
    """The plan of ``cloud`` (or the winner) laid on calendar months from ``start``."""
    chosen, why = choose_cloud(cmp, cloud)
    horizon = cmp.months
    months = [start + i for i in range(horizon)]
    total = {months[i]: (chosen.monthly_spend[i] if i < len(chosen.monthly_spend) else None) for i in range(horizon)}
    shares = _category_shares(chosen)
    by_workload: dict[Month, dict[str, Decimal | None]] = {m: {} for m in months}
    by_category: dict[Month, dict[str, Decimal | None]] = {m: {} for m in months}
    order: list[str] = []
    for r in chosen.by_month:
        m = months[r["month"] - 1]
        w = r["workload"]
        if w not in order:
            order.append(w)
        cost: Decimal | None = r["contracted_cost"]
        prev = by_workload[m].get(w, Decimal(0))
        by_workload[m][w] = None if cost is None or prev is None else prev + cost
        for cat, share in shares.get(w, {"Other": Decimal(1)}).items():
            have = by_category[m].get(cat, Decimal(0))
            by_category[m][cat] = None if cost is None or have is None else have + cost * share
    by_cloud = {c.cloud: {months[i]: (c.monthly_spend[i] if i < len(c.monthly_spend) else None)
                          for i in range(horizon)} for c in cmp.clouds}
    volumes = {months[i]: planned_volumes(cmp.scenario, i) for i in range(horizon)}
    notes = []
    if any(len(s) > 1 for s in shares.values()):
        notes.append("plan by service category: a storage workload's later months are split between Storage and "
                     "Networking in its month-1 proportions")
    return PlanSeries(chosen.cloud, chosen.region, why, start, horizon, total, by_workload, by_category, by_cloud,
                      volumes, tuple(order), complete=chosen.complete, notes=tuple(notes))

"""Comparison -> dict (JSON contract), rows (CSV, DataFrame, FOCUS) and text (table, Markdown)."""

from __future__ import annotations

import csv
import io
import json
import math
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from planner.comparison import CloudResult, Comparison
    from planner.costing import LineItem

from planner.money import CENT, fmt_money, money  # noqa: F401  (CENT and money re-exported)

# -- names in text ---------------------------------------------------------------------------------
NAME_WIDTH = 40  # workload and fixed-cost names in tables and summary lines
TITLE_WIDTH = 80  # the scenario name in headings


def cut(text: str, width: int = NAME_WIDTH) -> str:
    """``text`` as shown in a table: when longer than ``width``, its start and end around ``...`` (the ends
    are what usually tell names apart); control characters as spaces. JSON and CSV keep names whole."""
    if len(text) > width:
        tail = (width - 3) // 3
        text = text[: width - 3 - tail] + "..." + text[len(text) - tail:]
    return "".join(" " if ord(ch) < 32 or ord(ch) == 127 else ch for ch in text)


# -- JSON: always valid (no NaN or Infinity) -------------------------------------------------------
def _null_reason(key: str, value: float, context: dict[str, Any]) -> str:
    """Why figure ``key`` of a result is null: what cannot be met, and what to change."""
    if key == "ttft_ms" and value == math.inf:
        util = context.get("utilization")
        if isinstance(util, (int, float)) and util >= 1:
            where = "each replica is loaded to its full request rate, so requests wait for a batch slot without end"
        else:
            where = "requests reach each replica faster than it prefills them, so the prefill queue grows without end"
        return (f"p95 time to first token is unbounded at this load: {where}; give a TTFT SLO (ttft_p95_ms, "
                "--ttft-p95-ms) to size replicas for one, or lower the utilization target")
    what = "unbounded" if math.isinf(value) else "undefined"
    return f"{key} is {what} for these inputs (no finite value)"


def _non_finite(v: Any) -> bool:
    if isinstance(v, float):
        return not math.isfinite(v)
    return isinstance(v, Decimal) and not v.is_finite()


def json_ready(x: Any) -> Any:
    """``x`` with every non-finite number (float or Decimal NaN/Infinity) replaced by null; a mapping that held
    one gains ``null_reasons`` {key: why}. ``json.dumps(json_ready(x), allow_nan=False)`` never fails on numbers."""
    if isinstance(x, dict):
        out: dict[Any, Any] = {}
        why: dict[str, str] = {}
        for k, v in x.items():
            if _non_finite(v):
                out[k] = None
                value = v if isinstance(v, float) else math.nan if v.is_nan() else -math.inf if v.is_signed() else math.inf
                why[str(k)] = _null_reason(str(k), value, x)
            else:
                out[k] = json_ready(v)
        if why:
            prior = out.get("null_reasons")
            out["null_reasons"] = {**(prior if isinstance(prior, dict) else {}), **why}
        return out
    if isinstance(x, (list, tuple)):
        return [json_ready(v) for v in x]
    if isinstance(x, Decimal):
        return float(x) if x.is_finite() else None
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    return x


def _plain(o: Any) -> Any:
    if isinstance(o, Decimal):
        return float(o)
    raise TypeError(f"{type(o).__name__} is not JSON")


def dumps(x: Any) -> str:
    """Valid JSON (RFC 8259: no NaN or Infinity), indented; Decimals as numbers."""
    try:  # the common case, in one pass: every number finite
        return json.dumps(x, indent=2, allow_nan=False, default=_plain)
    except ValueError:
        return json.dumps(json_ready(x), indent=2, allow_nan=False)


def figure(x: float | None, spec: str, missing: str = "") -> str:
    """A number for a text table: ``unbounded`` for infinity, ``n/a`` for NaN, ``missing`` for None."""
    if x is None:
        return missing
    if isinstance(x, float) and not math.isfinite(x):
        return "n/a" if math.isnan(x) else ("unbounded" if x > 0 else "-unbounded")
    return format(x, spec)


def _num(x: Decimal | None, places: int = 4) -> float | None:
    return None if x is None else round(float(x), places)


def item_row(c: CloudResult, i: LineItem) -> dict[str, Any]:
    return {
        "cloud": i.cloud,
        "region": i.region,
        "workload": i.workload,
        "kind": i.kind,
        "resource": i.resource,
        "description": i.description,
        "instance_type": i.instance_type,
        "accelerator": i.accelerator,
        "accelerators_per_instance": i.accelerators_per_instance,
        "count": i.count,
        "purchase_option": i.purchase_option,
        "hours": _num(i.hours, 2),
        "quantity": _num(i.quantity, 4),
        "unit": i.unit,
        "unit_price": None if i.unit_price is None else float(i.unit_price),
        "monthly_cost": money(i.monthly_cost),
        "contracted_monthly_cost": money(i.contracted_monthly_cost),
        # the same usage at the public on-demand rate (FOCUS ListCost): what the purchase option saves against
        "on_demand_list_monthly_cost": None if i.list_view_cost is None else money(i.list_view_cost / i.amortize_months),
        "one_time_cost": money(i.cost) if i.one_time else None,
        # tiered items: cost / quantity (unit_price is the first tier's, which may be a free allowance)
        "average_unit_price": None if not i.quantity or i.cost is None else round(float(i.cost / i.quantity), 6),
        "status": i.status,
        "note": i.note,
    }


def comparison_to_dict(cmp: Comparison) -> dict[str, Any]:
    sc = cmp.scenario
    items = []
    for c in cmp.clouds:
        for i in c.items:
            row = item_row(c, i)
            row["alternatives"] = list(i.alternatives)
            row["cost_by_purchase_option"] = dict(sorted(i.options_by_purchase.items()))
            row["explain"] = _jsonable(i.explain)
            items.append(row)
    clouds = []
    for c in cmp.clouds:
        clouds.append(
            {
                "cloud": c.cloud,
                "region": c.region,
                # amortized month: month-1 recurring costs + one-off runs spread over the horizon (null: a list
                # price is missing)
                "total": None if c.list_incomplete else money(c.monthly_cost),
                "contracted_total": money(c.contracted_monthly_cost),
                "month_1_billed": money(c.month_1_billed),  # as billed in month 1: one-off runs in full
                "average_month": money(c.average_month),
                "horizon_total": money(c.horizon_cost),
                "contracted_horizon_total": money(c.contracted_horizon_cost),
                # commitment months bought within the horizon but billed after it (not in the horizon totals)
                "commitment_tail": money(c.commitment_tail),
                "contracted_commitment_tail": money(c.contracted_commitment_tail),
                "complete": c.complete,  # false: totals above cover the priced items only
                "unpriced": [{"workload": i.workload, "status": i.status, "reason": i.note} for i in c.unpriced],
                "horizon_issues": list(c.horizon_issues),
            }
        )
    win = cmp.winner
    margin = cmp.margin()
    ranking = [c for c in cmp.ranking if c.complete]
    out: dict[str, Any] = {
        "scenario": sc.name,
        "horizon_months": sc.horizon_months,
        "catalog": {
            "name": cmp.catalog_name,
            "fetched_at": cmp.catalog_fetched_at,
            "age_days": cmp.catalog_age_days,
            "stale": cmp.catalog_stale,
        },
        "pricebook": cmp.pricebook,
        "line_items": items,
        "clouds": clouds,
        "totals": {c.cloud: money(c.monthly_cost) for c in cmp.clouds},
        "winner": None
        if win is None
        else {
            "cloud": win.cloud,
            "region": win.region,
            "basis": f"{'effective (price book applied)' if cmp.pricebook else 'list'} cost over {sc.horizon_months} months",
            "monthly_cost": money(win.monthly_cost),
            "contracted_monthly_cost": money(win.contracted_monthly_cost) if cmp.pricebook else None,
            "horizon_cost": money(win.contracted_horizon_cost if cmp.pricebook else win.horizon_cost),
            "commitment_tail": money(win.contracted_commitment_tail if cmp.pricebook else win.commitment_tail),
            "decided_on": money(cmp.decisive(win)),
            "runner_up": ranking[1].cloud if len(ranking) > 1 else None,
            "margin_usd": money(margin[0]) if margin else None,
            "margin_usd_per_month": money(margin[0] / sc.horizon_months) if margin else None,
            "margin_pct": round(margin[1], 1) if margin else None,
            "margin_pct_of_differing_costs": None if (md := cmp.margin_of_differing_costs()) is None else round(md, 1),
            "too_close_to_call": cmp.too_close_to_call,
        },
        "budget": _budget(cmp),
        "unpriced": [
            {"cloud": c.cloud, "workload": i.workload, "status": i.status, "reason": i.note}
            for c in cmp.clouds
            for i in c.unpriced
        ]
        + [{"cloud": c.cloud, "workload": w, "status": "unpriced", "reason": f"{w}: {why}"} for c in cmp.clouds
           for w, why in c.horizon_gaps],
        "warnings": list(cmp.warnings),
    }
    return out


def _budget(cmp: Comparison) -> dict[str, Any] | None:
    b = cmp.scenario.budget_usd_per_month
    if b is None:
        return None
    bd = Decimal(str(b))
    out = {}
    for c in cmp.clouds:
        peak, over = _budget_check(c, bd)
        out[c.cloud] = {
            "peak_month_cost": money(peak),
            "months_over": over,
            "headroom": None if peak is None else money(bd - peak),
            "within": None if over is None else not over,  # unknown while something is unpriced
        }
    return {"usd_per_month": b, "basis": "spend billed in each month of the horizon", "by_cloud": out}


def _budget_check(c: CloudResult, budget: Decimal) -> tuple[Decimal | None, list[int] | None]:
    """The peak month's spend and the (1-based) months over budget; None when a month is unpriced."""
    spend = c.monthly_spend
    if not spend or any(v is None for v in spend) or not c.complete:
        return None, None
    vals = [v for v in spend if v is not None]
    return max(vals), [m + 1 for m, v in enumerate(vals) if v > budget]


def _jsonable(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, Decimal):
        return float(x)
    if isinstance(x, float):
        return float(f"{x:.6g}")
    if isinstance(x, (str, int, bool)) or x is None:
        return x
    return str(x)


def to_json(cmp: Comparison) -> str:
    return dumps(comparison_to_dict(cmp))


CSV_COLUMNS = [
    "cloud", "region", "workload", "kind", "resource", "description", "instance_type", "accelerator", "count",
    "purchase_option", "hours", "quantity", "unit", "unit_price", "monthly_cost", "contracted_monthly_cost",
    "one_time_cost", "month_1_billed", "horizon_cost", "commitment_tail", "status", "note",
]  # fmt: skip


def to_csv(cmp: Comparison) -> str:
    """Line items, then one ``total`` row per cloud (ranked) and a ``winner`` row.

    ``unit_price`` is what a unit cost on average (cost / quantity): for tiered items (storage, egress)
    that is the blended rate actually charged, not the first tier's price.
    """
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for c in cmp.clouds:
        for i in c.items:
            row = item_row(c, i)
            if i.resource != "instance" and row.get("average_unit_price") is not None:
                row["unit_price"] = row["average_unit_price"]
            w.writerow(row)
    book = cmp.pricebook is not None
    for c in cmp.ranking:
        w.writerow({"cloud": c.cloud, "region": c.region, "kind": "total", "description": f"{c.cloud} total",
                    "monthly_cost": money(c.monthly_cost), "contracted_monthly_cost": money(c.contracted_monthly_cost),
                    "month_1_billed": money(c.month_1_billed),
                    "horizon_cost": money(c.contracted_horizon_cost if book else c.horizon_cost),
                    "commitment_tail": money(c.contracted_commitment_tail if book else c.commitment_tail),
                    "status": "complete" if c.complete else "incomplete"})
    win = cmp.winner
    if win is not None:
        note = "too close to call" if cmp.too_close_to_call else ""
        w.writerow({"cloud": win.cloud, "region": win.region, "kind": "winner",
                    "description": f"winner over {cmp.months} months",
                    "horizon_cost": money(win.contracted_horizon_cost if book else win.horizon_cost),
                    "status": "complete", "note": note})
    return buf.getvalue()


# -- FOCUS -------------------------------------------------------------------------------------
_CATEGORY = {"instance": "Compute", "storage": "Storage", "requests_write": "Storage", "requests_read": "Storage",
             "egress": "Networking", "edge": "Other", "fixed": "Other"}  # fmt: skip
_PRICING_CATEGORY = {"on_demand": "Standard", "spot": "Dynamic"}
_PROVIDER = {"aws": "Amazon Web Services", "gcp": "Google Cloud", "azure": "Microsoft"}


def focus_rows(cmp: Comparison, period_start: str = "", period_end: str = "") -> list[dict[str, Any]]:
    """Line items in FOCUS 1.2 column names, so planned and actual spend join directly."""
    rows = []
    for c in cmp.clouds:
        for i in c.items:
            cat = _CATEGORY.get(i.resource, "Other")
            if i.resource == "instance" and i.accelerator:
                cat = "AI and Machine Learning"
            rows.append(
                {
                    "ProviderName": _PROVIDER.get(i.cloud, i.cloud),
                    "ServiceName": i.service,
                    "ServiceCategory": cat,
                    "RegionId": i.region,
                    "SkuId": i.sku,
                    "ResourceType": i.instance_type or i.resource,
                    "ChargeCategory": "Usage" if i.kind not in ("fixed", "edge") else "Purchase",
                    "ChargeFrequency": "One-Time" if i.one_time else ("Recurring" if i.kind in ("fixed", "edge") else "Usage-Based"),
                    "ChargeDescription": f"{i.workload}: {i.description}",
                    "PricingCategory": _PRICING_CATEGORY.get(i.purchase_option or "", "Committed" if i.purchase_option else "Other"),
                    "PricingQuantity": _num(i.quantity, 6),
                    "PricingUnit": {"hour": "Hours", "GB-month": "GB-Months", "GB": "GB", "request": "Requests"}.get(i.unit or "", i.unit),
                    "ListUnitPrice": None if i.unit_price is None else float(i.unit_price),
                    # List/Contracted: the usage at the public / negotiated on-demand rate; Effective: as billed
                    "ListCost": money(i.list_view_cost),
                    "ContractedCost": money(i.contracted_view_cost),
                    "EffectiveCost": money(i.contracted_cost),
                    "BilledCost": money(i.contracted_cost),
                    "BillingCurrency": "USD",
                    "ChargePeriodStart": period_start,
                    "ChargePeriodEnd": period_end,
                    "x_Workload": i.workload,
                    "x_Status": i.status,
                }
            )
    return rows


# -- text ----------------------------------------------------------------------------------------
def _fmt_price(x: Decimal | None, unit: str | None) -> str:
    if x is None:
        return "missing"
    if unit == "request":
        return f"${float(x) * 1000:.4g}/1K req"
    v = float(x)
    s = f"${v:,.4f}" if v >= 0.01 else f"${v:.4g}"
    return f"{s}/{unit}" if unit else s


DESCRIPTION_WIDTH = 200  # longer descriptions (a long imported instance name, say) are cut too


def _item_cells(i: LineItem, region: bool = False) -> list[str]:
    """One line item as table cells; ``region``: a Region column after the workload (per-workload placement)."""
    if i.resource == "instance":
        qty = "" if i.hours is None else f"{float(i.hours):,.1f} h"
        unit = "h"
    else:
        qty = "" if i.quantity is None else f"{float(i.quantity):,.0f} {'requests' if i.unit == 'request' else i.unit}"
        unit = i.unit or ""
    cost = fmt_money(i.monthly_cost)
    if i.one_time and i.cost is not None:
        cost += f"\n(once {fmt_money(i.cost)})"
    desc = cut(i.description) if i.kind == "fixed" else cut(i.description, DESCRIPTION_WIDTH)  # fixed: its name
    what = desc if i.priced else f"{desc}: {i.status}"
    option = (i.purchase_option or "").replace("_", "-") if i.resource == "instance" else ""
    price = _fmt_price(i.unit_price, unit) if i.resource not in ("fixed", "edge") else ""
    if i.explain.get("tiers_used", 0) > 1 and i.cost is not None and i.quantity:
        price = "tiered, avg " + _fmt_price(i.cost / i.quantity, unit)  # the first tier alone would mislead
    return [cut(i.workload), *([i.region] if region else []), what, qty, option, price, cost]


HEADERS = ["Workload", "Resources", "Hours / qty", "Option", "Unit price", "Monthly cost"]
_RIGHT = ("Hours / qty", "Unit price", "Monthly cost")


def _per_workload(cmp: Comparison) -> bool:
    """Each workload placed in its own cheapest region: item tables name each row's region."""
    return cmp.scenario.compare.placement == "per_workload"


def _item_heads(cmp: Comparison) -> list[str]:
    heads = [HEADERS[0], *(["Region"] if _per_workload(cmp) else []), *HEADERS[1:]]
    return heads + (["Effective"] if cmp.pricebook is not None else [])


def _unpriced_lines(cmp: Comparison) -> list[str]:
    """``Could not price`` lines, each said once (items of one workload often fail for the same reason)."""
    per_workload = _per_workload(cmp)
    lines: dict[str, None] = {}
    for c in cmp.clouds:
        for i in c.unpriced:
            where = f" ({i.region})" if per_workload else ""
            lines[f"Could not price: {c.cloud} {cut(i.workload)}{where}: {i.status} ({i.note})"] = None
        for w, why in c.horizon_gaps:
            lines[f"Could not price: {c.cloud} {cut(w)}: {why}"] = None
    return list(lines)


def summary_lines(cmp: Comparison) -> list[str]:
    lines = []
    win = cmp.winner
    m = cmp.margin()
    months = cmp.scenario.horizon_months
    basis = "effective " if cmp.pricebook else ""
    if win is not None:
        horizon = win.contracted_horizon_cost if win.contracted_horizon_cost is not None else cmp.decisive(win)
        line = (f"Winner: {win.cloud.upper()} ({win.region}) at {fmt_money(horizon)} {basis}over {months} "
                f"month{'s' * (months != 1)} ({fmt_money(cmp.effective(win))} in month 1)")
        if win.contracted_commitment_tail:
            line += f" + {fmt_money(win.contracted_commitment_tail)} commitment tail after the horizon"
        if m is not None:
            runner = [c for c in cmp.ranking if c.complete][1]
            differing = cmp.margin_of_differing_costs()
            same = cmp.identical_costs(runner)
            extra = f"; {differing:.1f}% of the costs that differ between clouds" if same and differing is not None else ""
            line += f", {fmt_money(m[0])} ({m[1]:.1f}%{extra}) less than {runner.cloud.upper()}"
        if cmp.too_close_to_call:
            from planner.comparison import CLOSE_CALL_PCT

            line = line.replace("Winner:", "Too close to call: cheapest is", 1)
            line += (f". That is {cmp.margin_of_differing_costs() or 0:.1f}% of the costs that differ between clouds; "
                     f"a margin under {CLOSE_CALL_PCT:g}% of them is within what list-price changes and sizing "
                     "estimates can move, so treat these clouds as tied and decide on other grounds")
        lines.append(line + ".")
    else:
        lines.append("No winner: no cloud could price every workload over the horizon.")
    lines += _unpriced_lines(cmp)
    b = cmp.scenario.budget_usd_per_month
    if b is not None:
        parts = []
        for c in cmp.clouds:
            peak, over = _budget_check(c, Decimal(str(b)))
            if peak is None or over is None:
                parts.append(f"{c.cloud} unknown (unpriced items)")
            elif over:
                listed = ", ".join(map(str, over[:6])) + (", ..." if len(over) > 6 else "")
                parts.append(f"{c.cloud} OVER in month{'s' * (len(over) > 1)} {listed} (peak {fmt_money(peak)})")
            else:
                parts.append(f"{c.cloud} within every month (peak {fmt_money(peak)})")
        lines.append(f"Budget {fmt_money(Decimal(str(b)))}/month: " + "; ".join(parts) + ".")
    stale = " (stale: refresh it)" if cmp.catalog_stale else ""
    pb = f"; price book {cmp.pricebook}" if cmp.pricebook else ""
    lines.append(f"Catalog: {cmp.catalog_name}, fetched {cmp.catalog_fetched_at}, {cmp.catalog_age_days} days old{stale}{pb}.")
    return lines


def _view(c: CloudResult, attr: str) -> Decimal:
    return sum((getattr(i, attr) / i.amortize_months for i in c.items if getattr(i, attr) is not None), Decimal(0))


def text_console(width: int) -> Any:
    """A recording console for plain text: no markup, emoji codes or highlighting, so names print as given
    (a name like ``[/x]`` is text, not a style tag) and rendering stays linear in the text's length."""
    from rich.console import Console

    return Console(width=width, record=True, file=io.StringIO(), color_system=None, force_terminal=False,
                   markup=False, emoji=False, highlight=False)


def to_table(cmp: Comparison, width: int = 120) -> str:
    from rich.table import Table

    console = text_console(width)
    console.print(f"Scenario: {cut(cmp.scenario.name, TITLE_WIDTH)} (horizon {cmp.scenario.horizon_months} months)")
    book = cmp.pricebook is not None
    heads = _item_heads(cmp)
    for c in cmp.clouds:
        t = Table(title=f"{c.cloud.upper()}  {c.region}", title_justify="left", show_footer=True)
        for h in heads:
            t.add_column(h, justify="right" if h in (*_RIGHT, "Effective") else "left", overflow="fold")
        for i in c.items:
            t.add_row(*_item_cells(i, _per_workload(cmp)), *([fmt_money(i.contracted_monthly_cost)] if book else []))
        once = any(i.one_time and i.amortize_months > 1 for i in c.items)
        t.columns[0].footer = f"Total (one-offs spread over {cmp.months} months)" if once else "Total"
        t.columns[heads.index("Monthly cost")].footer = fmt_money(c.monthly_cost) + (
            " + no list price" if c.list_incomplete else " + unpriced" if c.unpriced else "")
        if book:
            t.columns[-1].footer = fmt_money(c.contracted_monthly_cost) + (" + unpriced" if c.unpriced else "")
        console.print(t)
    s = Table(title="Totals", title_justify="left")
    heads = ["Cloud", "Region"]
    heads += ["List", "Contracted", "Effective"] if book else ["Month 1 billed", "Average month"]
    tails = any(c.commitment_tail or c.contracted_commitment_tail for c in cmp.clouds)
    heads += [f"{cmp.scenario.horizon_months}-month total" + (" (effective)" if book else "")]
    heads += ["Commitment tail"] if tails else []
    heads += ["Complete"]
    for h in heads:
        s.add_column(h, justify="left" if h in ("Cloud", "Region", "Complete") else "right")
    for c in cmp.ranking:
        part = " + unpriced" if c.unpriced else ""
        row = [c.cloud.upper(), c.region]
        if book:  # month 1: public on-demand rate / negotiated on-demand rate / as billed (options + price book)
            row += [fmt_money(_view(c, "list_view_cost")) + part, fmt_money(_view(c, "contracted_view_cost")) + part,
                    fmt_money(c.contracted_monthly_cost) + part]
        else:
            row += [fmt_money(c.month_1_billed) + (" + no list price" if c.list_incomplete else part),
                    fmt_money(c.average_month)]
        row.append(fmt_money(c.contracted_horizon_cost if book else c.horizon_cost))
        row += [fmt_money(c.contracted_commitment_tail if book else c.commitment_tail)] if tails else []
        s.add_row(*row, "yes" if c.complete else "no")
    console.print(s)
    for line in summary_lines(cmp):
        console.print(line, soft_wrap=True)
    return console.export_text()


def _md_row(cells: list[str]) -> str:
    return "| " + " | ".join(x.replace("|", "/").replace("\n", " ") for x in cells) + " |"


def _md_section(c: CloudResult, heads: list[str]) -> list[str]:
    """A cloud's Markdown heading and the head of its table."""
    return [f"## {c.cloud.upper()} ({c.region})", "", _md_row(heads), "|" + "---|" * len(heads)]


def to_markdown(cmp: Comparison) -> str:
    book = cmp.pricebook is not None
    heads = _item_heads(cmp)
    out = [f"# {cut(cmp.scenario.name, TITLE_WIDTH)}", ""]
    for c in cmp.clouds:
        out += _md_section(c, heads)
        for i in c.items:
            out.append(_md_row(_item_cells(i, _per_workload(cmp)) + ([fmt_money(i.contracted_monthly_cost)] if book else [])))
        mark = " + no list price" if c.list_incomplete else " + unpriced" if c.unpriced else ""
        totals = [f"**{fmt_money(c.monthly_cost)}{mark}**"]
        totals += [f"**{fmt_money(c.contracted_monthly_cost)}{' + unpriced' if c.unpriced else ''}**"] if book else []
        once = any(i.one_time and i.amortize_months > 1 for i in c.items)
        label = f"**Total (one-offs spread over {cmp.months} months)**" if once else "**Total**"
        out += [_md_row([label, *[""] * (heads.index("Monthly cost") - 1), *totals]), ""]
    months = cmp.scenario.horizon_months
    tails = any(c.contracted_commitment_tail for c in cmp.clouds)
    cols = ["Cloud", "Region", *(["List", "Contracted", "Effective"] if book else ["Month 1 billed", "Average month"]),
            f"{months}-month total", *(["Commitment tail"] if tails else []), "Complete"]
    out += ["## Totals", "", _md_row(cols), "|" + "---|" * len(cols)]
    for c in cmp.ranking:
        part = " + unpriced" if c.unpriced else ""
        money_cols = ([fmt_money(_view(c, "list_view_cost")) + part, fmt_money(_view(c, "contracted_view_cost")) + part,
                       fmt_money(c.contracted_monthly_cost) + part] if book
                      else [fmt_money(c.month_1_billed) + part, fmt_money(c.average_month)])
        out.append(_md_row([c.cloud.upper(), c.region, *money_cols, fmt_money(c.contracted_horizon_cost),
                            *([fmt_money(c.contracted_commitment_tail)] if tails else []),
                            "yes" if c.complete else "no"]))
    out.append("")
    out += [f"- {line}" for line in summary_lines(cmp)]
    return "\n".join(out) + "\n"


def _g(x: Any) -> str:
    if isinstance(x, float) and not math.isfinite(x):
        return figure(x, "")
    if isinstance(x, float):
        return f"{x:.3g}" if abs(x) < 100 else (f"{x:,.0f}" if abs(x) < 1e9 else f"{x:.3g}")
    return str(x)


def explain_lines(cmp: Comparison) -> list[str]:
    """Why each compute item is sized as it is: the binding bound and the efficiency figures used."""
    keys = ("bound", "qps", "batch", "max_batch", "requests_per_s_per_replica", "tokens_per_s_per_replica",
            "utilization", "ttft_ms", "tpot_ms", "gpu_hours", "wall_hours", "mfu", "flops", "raised_by",
            "window_hours", "run_hours")  # fmt: skip
    out = []
    for c in cmp.clouds:
        for i in c.items:
            if i.resource != "instance" or not i.explain:
                continue
            ex = i.explain
            parts = [f"{k}={_g(ex[k])}" for k in keys if ex.get(k) is not None]
            a = ex.get("assumptions") or {}
            if a:
                parts.append("assumptions: " + ", ".join(f"{k}={_g(v)}" for k, v in a.items() if k != "source"))
                if a.get("source"):
                    parts.append(f"calibration: {a['source']}")
            out.append(f"{c.cloud} {cut(i.workload)}: {ex.get('config', i.description)}; " + "; ".join(parts))
            out.append(f"{c.cloud} {cut(i.workload)}: " + purchase_choice(i))
    return out


def purchase_choice(i: LineItem) -> str:
    """Which purchase option was chosen, what each considered option would cost, and what was left out and why."""
    ex = i.explain
    po = (i.purchase_option or "").replace("_", "-")
    costs = ", ".join(f"{k.replace('_', '-')} {fmt_money(Decimal(str(v['monthly_cost'])))}"
                      if v.get("monthly_cost") is not None else f"{k.replace('_', '-')} unpriced"
                      for k, v in sorted(i.options_by_purchase.items()))
    text = f"purchase option {po} ({ex.get('chosen_for', 'lowest cost')}); month 1 on {i.instance_type}: {costs}"
    if ex.get("billed_hours_rule"):
        text += f"; {ex['billed_hours_rule']}"
    sp = ex.get("spot_overhead")
    if sp and i.purchase_option == "spot":
        text += (f"; spot overhead +{sp['overhead_pct']:g}% hours ({sp['interruptions_pct_per_instance_month']:g}% of "
                 f"instances interrupted a month, {sp['instances_in_step']} in step, "
                 f"{sp['lost_minutes_per_interruption']:g} min lost each)")
    skipped = ex.get("purchase_options_not_considered") or {}
    if skipped:
        by_reason: dict[str, list[str]] = {}
        for k, why in skipped.items():
            by_reason.setdefault(why, []).append(k.replace("_", "-"))
        text += "; not considered: " + "; ".join(f"{', '.join(ks)} ({why})" for why, ks in by_reason.items())
    return text


# -- month by month ----------------------------------------------------------------------------
MONTHLY_COLUMNS = ["cloud", "region", "month", "workload", "kind", "instance_type", "count", "purchase_option",
                   "committed", "burst_option", "burst_instance_hours", "cost", "contracted_cost"]


def monthly_dicts(cmp: Comparison) -> list[dict[str, Any]]:
    """JSON-ready month rows (money rounded to cents, missing = null)."""
    out = []
    for r in cmp.monthly_rows():
        row = {k: r.get(k) for k in MONTHLY_COLUMNS}
        row["cost"], row["contracted_cost"] = money(r["cost"]), money(r["contracted_cost"])
        out.append(row)
    return out


def monthly_to_json(cmp: Comparison) -> str:
    return dumps({"scenario": cmp.scenario.name, "horizon_months": cmp.months, "catalog": cmp.catalog_name,
                  "pricebook": cmp.pricebook, "months": monthly_dicts(cmp)})


def monthly_to_csv(cmp: Comparison) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=MONTHLY_COLUMNS, lineterminator="\n")
    w.writeheader()
    for r in monthly_dicts(cmp):
        w.writerow(r)
    return buf.getvalue()


def _month_cells(r: dict[str, Any], book: bool, region: bool = False) -> list[str]:
    what = ""
    if r["instance_type"]:
        what = f"{r['count']}x {r['instance_type']} {(r['purchase_option'] or '').replace('_', '-')}"
        if r["committed"] is not None:
            what = f"{r['count']}x {r['instance_type']}: {r['committed']} {(r['purchase_option'] or '').replace('_', '-')}"
            if r["burst_instance_hours"]:
                what += f" + {r['burst_instance_hours']:,.0f} instance-h {(r['burst_option'] or '').replace('_', '-')}"
            if r["count"] is not None and r["committed"] > r["count"]:
                what += f" ({r['committed'] - r['count']} idle)"
    cells = [str(r["month"]), cut(r["workload"]), *([r["region"] or ""] if region else []), what, fmt_money(r["cost"])]
    return cells + [fmt_money(r["contracted_cost"])] if book else cells


def _month_heads(cmp: Comparison) -> list[str]:
    return ["Month", "Workload", *(["Region"] if _per_workload(cmp) else []), "Capacity and purchase option", "Cost",
            *(["Effective"] if cmp.pricebook is not None else [])]


def monthly_to_table(cmp: Comparison, width: int = 120) -> str:
    from rich.table import Table

    book = cmp.pricebook is not None
    console = text_console(width)
    console.print(f"Scenario: {cut(cmp.scenario.name, TITLE_WIDTH)}, month by month ({cmp.months} months)")
    for c in cmp.clouds:
        t = Table(title=f"{c.cloud.upper()}  {c.region}", title_justify="left")
        for h in _month_heads(cmp):
            t.add_column(h, justify="right" if h in ("Month", "Cost", "Effective") else "left", overflow="fold")
        for r in c.by_month:
            t.add_row(*_month_cells({"region": c.region, **r}, book, _per_workload(cmp)))
        console.print(t)
    return console.export_text()


def monthly_to_markdown(cmp: Comparison) -> str:
    book = cmp.pricebook is not None
    heads = _month_heads(cmp)
    out = [f"# {cut(cmp.scenario.name, TITLE_WIDTH)}: month by month", ""]
    for c in cmp.clouds:
        out += _md_section(c, heads)
        out += [_md_row(_month_cells({"region": c.region, **r}, book, _per_workload(cmp))) for r in c.by_month]
        out.append("")
    return "\n".join(out)

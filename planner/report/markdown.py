"""A report as Markdown: the same figures as the JSON, as tables and short sentences (no charts)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from planner.report.periods import fmt_amount, fmt_pct, fmt_signed, fmt_unit

if TYPE_CHECKING:
    from planner.report.build import Report


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def table(heads: list[str], rows: list[list[Any]], right: tuple[int, ...] = ()) -> list[str]:
    out = ["| " + " | ".join(_cell(h) for h in heads) + " |",
           "|" + "|".join("---:" if i in right else "---" for i in range(len(heads))) + "|"]
    out += ["| " + " | ".join(_cell(c) for c in r) + " |" for r in rows]
    return out + [""]


def headline(d: dict[str, Any]) -> list[str]:
    """The lines under the title: which plan, which basis, which currency."""
    p = d["plan"]
    plan_month = f"plan month {p['plan_month']} of {p['horizon_months']}" if p["plan_month"] else "outside the plan"
    basis = "effective (amortized) cost" if d["basis"] == "effective" else "billed cost (as invoiced)"
    fx = ""
    if d["fx_usd_per_unit"]:
        fx = "; rates " + ", ".join(f"1 {k} = {v:g} USD" for k, v in d["fx_usd_per_unit"].items())
    return [(f"Plan: {p['cloud'].upper()} {p['region']} ({p['chosen_by']}), {plan_month}, starting {p['start']} "
             f"({p['start_rule']}). Catalog {d['catalog']['name']} ({d['catalog']['fetched_at']})."),
            f"Amounts in {d['currency']}, {basis}{fx}."]


def summary_rows(d: dict[str, Any]) -> list[list[str]]:
    cur = d["currency"]
    rows = []
    b, a, v, mom = d["budget"], d["actual"], d["variance"], d["month_over_month"]
    rows.append(["Budget (monthly)", fmt_amount(b["monthly"], cur) if b else "none"])
    rows.append(["Plan", fmt_amount(d["plan"]["month"], cur, "unpriced" if d["plan"]["plan_month"] else "n/a")])
    if b and b["plan_vs_budget"] is not None:
        rows.append(["Plan vs budget", fmt_signed(b["plan_vs_budget"], cur)])
    if a:
        through = (f" (through {a['data_through']}, {a['days_elapsed']} of {a['days_in_month']} days)"
                   if not a["complete"] else " (month complete)")
        rows.append([f"Actual to date{through}", fmt_amount(a["to_date"], cur)])
        if not a["complete"]:
            rows.append(["Projected month-end", fmt_amount(a["projected_month_end"], cur)])
        lst = f", list {fmt_amount(a['list'], cur)}" if a["list"] is not None else ""
        rows.append(["Billed / effective", f"{fmt_amount(a['billed'], cur)} / {fmt_amount(a['effective'], cur)}{lst}"])
        if v:
            if v["vs_plan"] is not None:
                rows.append([f"Variance vs plan ({v['basis']})",
                             f"{fmt_signed(v['vs_plan'], cur)} ({fmt_pct(v['vs_plan_pct'], True)})"])
            if v["vs_budget"] is not None:
                rows.append([f"Variance vs budget ({v['basis']})",
                             f"{fmt_signed(v['vs_budget'], cur)} ({fmt_pct(v['vs_budget_pct'], True)})"])
        if mom:
            rows.append([f"Change vs {mom['previous_month']} ({fmt_amount(mom['previous'], cur)})",
                         f"{fmt_signed(mom['change'], cur)} ({fmt_pct(mom['change_pct'], True)})"])
        rows.append([f"Untagged (no {a['workload_tag']} tag)",
                     f"{fmt_amount(a['untagged'], cur)} ({fmt_pct(a['untagged_share_pct'])})"])
    return rows


def to_markdown(report: Report) -> str:
    d = report.data
    cur = d["currency"]
    out = [f"# Budget report: {_cell(d['scenario'])}, {d['month']}", ""]
    out += headline(d) + [""]
    out += ["## Summary", ""]
    out += table(["", "Amount"], summary_rows(d), right=(1,))
    burn = d["burn"]
    for key in ("monthly", "horizon"):
        if key in burn:
            out.append(f"- Budget: {burn[key]['text']}.")
    out.append(f"- Alert: {d['alerts']['line']}")
    if d["actual"]:
        out.append(f"- Projection: {d['actual']['projection_rule']}.")
    out.append("")
    if d["drivers"]:
        out += ["## What drove the variance", ""]
        out += [f"- {_cell(x['text'])}" for x in d["drivers"]] + [""]
    has_actual = d["actual"] is not None
    proj = has_actual and not d["actual"]["complete"]
    out += ["## By workload", ""]
    heads = ["Workload", "Plan"] + (["Actual to date"] + (["Projected"] if proj else []) + ["Variance", "Share"]
                                    if has_actual else [])
    rows = []
    for w in d["by_workload"]:
        name = w["workload"] if w["planned"] or w["workload"].startswith("(") else f"{w['workload']} (not in plan)"
        r = [name, fmt_amount(w["plan"], cur, "-" if not w["planned"] else "unpriced")]
        if has_actual:
            r.append(fmt_amount(w["actual"], cur))
            if proj:
                r.append(fmt_amount(w["projected"], cur))
            r += [fmt_signed(w["variance"], cur, "-") + (f" ({fmt_pct(w['variance_pct'], True)})"
                                                          if w["variance_pct"] is not None else ""),
                  fmt_pct(w["share_pct"])]
        rows.append(r)
    out += table(heads, rows, right=tuple(range(1, len(heads))))
    if d["by_category"]:
        out += ["## By service category", ""]
        key = "projected" if proj else "actual"
        heads = ["Category", "Plan"] + ([key.capitalize(), "Variance"] if has_actual else [])
        rows = [[c["category"], fmt_amount(c["plan"], cur, "-")] + (
            [fmt_amount(c.get(key), cur, "-"), fmt_signed(c["variance"], cur, "-")] if has_actual else [])
            for c in d["by_category"]]
        out += table(heads, rows, right=tuple(range(1, len(heads))))
    if d["by_service"]:
        out += ["## By service", ""]
        heads = ["Cloud", "Service", "Category", "Actual to date"] + (["Projected"] if proj else []) + [
            "Previous month", "Change", "Status"]
        rows = []
        for s in d["by_service"]:
            r = [s["cloud"], s["service"], s["category"], fmt_amount(s["actual"], cur)]
            if proj:
                r.append(fmt_amount(s["projected"], cur))
            r += [fmt_amount(s["previous"], cur, "-"), fmt_signed(s["change"], cur, "-"), s["status"]]
            rows.append(r)
        out += table(heads, rows, right=tuple(range(3, len(heads) - 1)))
    out += ["## By cloud", ""]
    heads = ["Cloud", "Plan"] + (["Actual" + (" (projected)" if proj else "")] if has_actual else [])
    rows = [[c["cloud"] + (" (plan's cloud)" if c["chosen"] else ""), fmt_amount(c["plan"], cur, "unpriced")]
            + ([fmt_amount(c["actual"], cur, "-")] if has_actual else []) for c in d["by_cloud"]]
    out += table(heads, rows, right=tuple(range(1, len(heads))))
    c = d["commitments"]
    if c:
        out += ["## Commitments", ""]
        out += table(["Utilization", "Coverage", "Used", "Unused", "On-demand usage", "Purchases billed"],
                     [[fmt_pct(c["utilization_pct"]), fmt_pct(c["coverage_pct"]), fmt_amount(c["used"], cur),
                       fmt_amount(c["unused"], cur), fmt_amount(c["on_demand"], cur),
                       fmt_amount(c["purchases_billed"], cur)]], right=(0, 1, 2, 3, 4, 5))
        out += [f"{c['rule'][0].upper()}{c['rule'][1:]}.", ""]
    k = d["kpis"]
    if k["rows"]:
        out += ["## Unit economics", ""]
        heads = ["Workload", "KPI", "Actual", "Plan", "vs plan", f"Baseline {k['baseline']}", "vs baseline"]
        rows = [[r["workload"], r["label"], fmt_unit(r["value"], cur), fmt_unit(r["plan_value"], cur),
                 fmt_pct(r["vs_plan_pct"], True), fmt_unit(r["baseline_value"], cur),
                 fmt_pct(r["change_vs_baseline_pct"], True)] for r in k["rows"]]
        out += table(heads, rows, right=(2, 3, 4, 5, 6))
        out += [f"Unit costs: {k['rule']}.", ""]
    out += ["## Month by month", ""]
    heads = ["Month", "Plan", "Budget"] + (["Actual", "Projected", "Cumulative spend"] if has_actual else []) + [
        "Cumulative plan", "Cumulative budget"]
    rows = []
    for r in d["months"]:
        if r["plan_month"] is None and r["actual"] is None:
            continue
        row = [str(r["month"]), fmt_amount(r["plan"], cur, "-"), fmt_amount(r["budget"], cur, "-")]
        if has_actual:
            row += [fmt_amount(r["actual"], cur, "-"), fmt_amount(r["projected"], cur, "-"),
                    fmt_amount(r["cumulative_spend"], cur, "-")]
        row += [fmt_amount(r["cumulative_plan"], cur, "-"), fmt_amount(r["cumulative_budget"], cur, "-")]
        rows.append(row)
    out += table(heads, rows, right=tuple(range(1, len(heads))))
    notes = d["notes"] + [f"catalog: {w}" for w in d["warnings"]]
    if notes:
        out += ["## Notes", ""] + [f"- {_cell(n)}" for n in notes] + [""]
    return "\n".join(out).rstrip("\n") + "\n"

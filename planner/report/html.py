"""A report as one self-contained HTML page: inline CSS and inline SVG charts, no scripts, nothing fetched."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from planner.report.markdown import headline, summary_rows
from planner.report.periods import fmt_amount, fmt_pct, fmt_signed, fmt_unit

if TYPE_CHECKING:
    from planner.report.build import Report

TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Budget report: {{ d.scenario }}, {{ d.month }}</title>
<style>
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2733; margin: 0;
       background: #f5f7fa; }
main { max-width: 1000px; margin: 0 auto; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 6px; }
h2 { font-size: 17px; margin: 28px 0 10px; border-bottom: 1px solid #dde2e8; padding-bottom: 4px; }
.sub { color: #566270; margin: 2px 0; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 10px; margin: 16px 0; }
.card { background: #fff; border: 1px solid #dde2e8; border-radius: 6px; padding: 10px 12px; }
.card .k { color: #566270; font-size: 12px; }
.card .v { font-size: 19px; font-weight: 600; }
.alert { padding: 10px 12px; border-radius: 6px; margin: 12px 0; font-weight: 600; }
.alert.ok { background: #e6f4ea; color: #1e5631; }
.alert.warn { background: #fff4d6; color: #7a5200; }
.alert.over { background: #fde2e1; color: #8a1c13; }
figure { background: #fff; border: 1px solid #dde2e8; border-radius: 6px; margin: 12px 0; padding: 10px; }
figcaption { font-weight: 600; margin-bottom: 6px; }
figure svg { width: 100%; height: auto; display: block; }
table { border-collapse: collapse; width: 100%; background: #fff; margin: 8px 0 4px; font-size: 13px; }
th, td { border: 1px solid #dde2e8; padding: 5px 8px; text-align: left; }
th { background: #eef1f5; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
ul { margin: 6px 0; padding-left: 20px; }
.note { color: #566270; font-size: 12px; }
</style>
</head>
<body>
<main>
<h1>Budget report: {{ d.scenario }}, {{ d.month }}</h1>
{% for line in head %}<p class="sub">{{ line }}</p>{% endfor %}
<div class="alert {{ alert_class }}" id="alert">{{ d.alerts.line }}</div>
<div class="cards">
{% for k, v in cards %}<div class="card"><div class="k">{{ k }}</div><div class="v">{{ v }}</div></div>
{% endfor %}</div>
<ul>{% for b in burn %}<li>{{ b }}</li>{% endfor %}
{% if d.actual %}<li>Projection: {{ d.actual.projection_rule }}.</li>{% endif %}</ul>
{% if d.drivers %}<h2>What drove the variance</h2>
<ul>{% for x in d.drivers %}<li>{{ x.text }}</li>{% endfor %}</ul>{% endif %}
<h2>Charts</h2>
{% for id, title, svg in charts %}<figure class="chart" id="chart-{{ id }}"><figcaption>{{ title }}</figcaption>
{{ svg }}</figure>
{% endfor %}
<h2>Summary</h2>
{{ table(["", "Amount"], summary, [1]) }}
{% for t in tables %}<h2>{{ t[0] }}</h2>
{{ table(t[1], t[2], t[3]) }}{% if t[4] %}<p class="note">{{ t[4] }}</p>{% endif %}
{% endfor %}
{% if notes %}<h2>Notes</h2><ul class="note">{% for n in notes %}<li>{{ n }}</li>{% endfor %}</ul>{% endif %}
</main>
</body>
</html>
"""


def _table(heads: list[str], rows: list[list[Any]], right: list[int]) -> Any:
    from markupsafe import Markup, escape

    def cls(i: int) -> str:
        return ' class="n"' if i in right else ""

    out = ["<table><thead><tr>"]
    out += [f"<th{cls(i)}>{escape(h)}</th>" for i, h in enumerate(heads)]
    out.append("</tr></thead><tbody>")
    for r in rows:
        out.append("<tr>" + "".join(f"<td{cls(i)}>{escape(c)}</td>" for i, c in enumerate(r)) + "</tr>")
    out.append("</tbody></table>")
    return Markup("".join(out))


def _tables(d: dict[str, Any]) -> list[tuple[str, list[str], list[list[str]], list[int], str]]:
    cur = d["currency"]
    has_actual = d["actual"] is not None
    proj = has_actual and not d["actual"]["complete"]
    out = []
    heads = ["Workload", "Plan"] + (["Actual to date"] + (["Projected"] if proj else []) + ["Variance", "Share"]
                                    if has_actual else [])
    rows = []
    for w in d["by_workload"]:
        r = [w["workload"] + ("" if w["planned"] or w["workload"].startswith("(") else " (not in plan)"),
             fmt_amount(w["plan"], cur, "-" if not w["planned"] else "unpriced")]
        if has_actual:
            r.append(fmt_amount(w["actual"], cur))
            if proj:
                r.append(fmt_amount(w["projected"], cur))
            r += [fmt_signed(w["variance"], cur, "-"), fmt_pct(w["share_pct"])]
        rows.append(r)
    out.append(("By workload", heads, rows, list(range(1, len(heads))), ""))
    if d["by_service"]:
        heads = ["Cloud", "Service", "Category", "Actual to date"] + (["Projected"] if proj else []) + [
            "Previous month", "Change", "Status"]
        rows = []
        for s in d["by_service"]:
            r = [s["cloud"], s["service"], s["category"], fmt_amount(s["actual"], cur)]
            if proj:
                r.append(fmt_amount(s["projected"], cur))
            r += [fmt_amount(s["previous"], cur, "-"), fmt_signed(s["change"], cur, "-"), s["status"]]
            rows.append(r)
        out.append(("By service", heads, rows, list(range(3, len(heads) - 1)), ""))
    c = d["commitments"]
    if c:
        out.append(("Commitments", ["Utilization", "Coverage", "Used", "Unused", "On-demand usage", "Purchases billed"],
                    [[fmt_pct(c["utilization_pct"]), fmt_pct(c["coverage_pct"]), fmt_amount(c["used"], cur),
                      fmt_amount(c["unused"], cur), fmt_amount(c["on_demand"], cur),
                      fmt_amount(c["purchases_billed"], cur)]], [0, 1, 2, 3, 4, 5], c["rule"]))
    k = d["kpis"]
    if k["rows"]:
        out.append(("Unit economics", ["Workload", "KPI", "Actual", "Plan", "vs plan", f"Baseline {k['baseline']}",
                                        "vs baseline"],
                    [[r["workload"], r["label"], fmt_unit(r["value"], cur), fmt_unit(r["plan_value"], cur),
                      fmt_pct(r["vs_plan_pct"], True), fmt_unit(r["baseline_value"], cur),
                      fmt_pct(r["change_vs_baseline_pct"], True)] for r in k["rows"]], [2, 3, 4, 5, 6], k["rule"]))
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
    out.append(("Month by month", heads, rows, list(range(1, len(heads))), ""))
    return out


def to_html(report: Report) -> str:
    import jinja2
    from markupsafe import Markup

    from planner.report.charts import all_charts

    d = report.data
    cur = d["currency"]
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    code = d["alerts"]["exit_code"]
    cards = [("Budget (monthly)", fmt_amount(d["budget"]["monthly"], cur) if d["budget"] else "none"),
             ("Plan", fmt_amount(d["plan"]["month"], cur, "n/a"))]
    a = d["actual"]
    if a:
        cards.append(("Actual to date", fmt_amount(a["to_date"], cur)))
        if not a["complete"]:
            cards.append(("Projected month-end", fmt_amount(a["projected_month_end"], cur)))
        if d["variance"] and d["variance"]["vs_plan"] is not None:
            cards.append(("Variance vs plan", fmt_signed(d["variance"]["vs_plan"], cur)))
        cards.append(("Untagged share", fmt_pct(a["untagged_share_pct"])))
    charts = [(cid, title, Markup(svg)) for cid, title, svg in all_charts(d)]
    burn = [b["text"][0].upper() + b["text"][1:] + "." for k in ("monthly", "horizon") if (b := d["burn"].get(k))]
    html = env.from_string(TEMPLATE).render(
        d=d, head=headline(d), cards=cards, burn=burn, charts=charts, table=_table, summary=summary_rows(d),
        tables=_tables(d), notes=d["notes"] + [f"catalog: {w}" for w in d["warnings"]],
        alert_class={0: "ok", 3: "warn", 4: "over"}.get(code, "ok"))
    return html

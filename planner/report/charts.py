"""The report's charts as inline SVG (matplotlib, no pyplot state): nothing is fetched when the page opens."""

from __future__ import annotations

import io
import math
from decimal import Decimal
from typing import Any

PLAN = "#7f8c9d"
ACTUAL = "#1f6fb2"
PROJECTED = "#9cc3e6"
BUDGET = "#c0392b"
PREVIOUS = "#c9ced6"


def _f(x: Decimal | float | None) -> float:
    return 0.0 if x is None else float(x)


def _money_axis(ax: Any, currency: str, axis: str = "y") -> None:
    from matplotlib.ticker import FuncFormatter

    sym = "$" if currency == "USD" else ""
    tail = "" if currency == "USD" else f" {currency}"

    def fmt(v: float, _pos: int) -> str:
        a = abs(v)
        if a >= 1e6:
            s = f"{v / 1e6:,.2f}".rstrip("0").rstrip(".") + "M"
        elif a >= 1e3:
            s = f"{v / 1e3:,.2f}".rstrip("0").rstrip(".") + "k"
        else:
            s = f"{v:,.2f}".rstrip("0").rstrip(".")
        return f"{'-' if s.startswith('-') else ''}{sym}{s.lstrip('-')}{tail}"

    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(FuncFormatter(fmt))


def _svg(fig: Any) -> str:
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "planner-report", "svg.fonttype": "none"}):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})
    text = buf.getvalue()
    return text[text.index("<svg"):]  # drop the XML prolog and doctype: the SVG sits inside HTML


def _figure(height: float = 3.2, width: float = 8.0) -> tuple[Any, Any]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    ax = fig.add_subplot()
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#e5e8ec", linewidth=0.8)
    ax.set_axisbelow(True)
    return fig, ax


def monthly(d: dict[str, Any]) -> str:
    """Budget vs plan vs actual by month (the report month's projection stacked on its actual)."""
    rows = [r for r in d["months"] if r["plan_month"] is not None or r["actual"] is not None]
    labels = [str(r["month"]) for r in rows]
    x = list(range(len(rows)))
    fig, ax = _figure()
    actual = [_f(r["actual"]) for r in rows]
    if d["actual"] is not None or any(r["actual"] is not None for r in rows):
        ax.bar(x, actual, color=ACTUAL, width=0.6, label="actual")
    proj = [max(_f(r["projected"]) - _f(r["actual"]), 0.0) if r["projected"] is not None else 0.0 for r in rows]
    if any(proj):
        ax.bar(x, proj, bottom=actual, color=PROJECTED, width=0.6, hatch="//", edgecolor=ACTUAL, linewidth=0,
               label="projected to month end")
    ax.plot(x, [_f(r["plan"]) if r["plan"] is not None else float("nan") for r in rows], color=PLAN, marker="o",
            markersize=3.5, linewidth=1.8, label=f"plan ({d['plan']['cloud']})")
    if d["budget"]:
        ax.step(x, [_f(r["budget"]) if r["budget"] is not None else float("nan") for r in rows], where="mid",
                color=BUDGET, linestyle="--", linewidth=1.5, label="budget")
    month = str(d["month"])
    if month in labels:
        ax.axvspan(labels.index(month) - 0.45, labels.index(month) + 0.45, color="#fff3c4", zorder=0)
    ax.set_xticks(x, labels, rotation=45 if len(x) > 8 else 0, ha="right" if len(x) > 8 else "center", fontsize=8)
    _money_axis(ax, d["currency"])
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8, frameon=False, ncols=4, loc="upper left", bbox_to_anchor=(0, 1.15))
    return _svg(fig)


def cumulative(d: dict[str, Any]) -> str:
    """Cumulative spend against the cumulative budget over the plan's horizon."""
    rows = [r for r in d["months"] if r["plan_month"] is not None]
    labels = [str(r["month"]) for r in rows]
    x = list(range(len(rows)))
    fig, ax = _figure()
    ax.plot(x, [_f(r["cumulative_plan"]) if r["cumulative_plan"] is not None else float("nan") for r in rows],
            color=PLAN, linewidth=1.8, marker="o", markersize=3, label="plan")
    spent = [(i, _f(r["cumulative_spend"])) for i, r in zip(x, rows, strict=True) if r["cumulative_spend"] is not None]
    if spent:
        ax.plot([i for i, _ in spent], [v for _, v in spent], color=ACTUAL, linewidth=2.4, marker="o", markersize=4,
                label="spend (projected for the report month)")
        burn = d["burn"].get("horizon")
        if burn and burn["run_rate"] is not None and d["actual"]:
            i0, v0 = spent[-1]
            ahead = [(i0 + k, v0 + _f(burn["run_rate"]) * k) for k in range(len(rows) - i0)]
            ax.plot([i for i, _ in ahead], [v for _, v in ahead], color=ACTUAL, linestyle=":", linewidth=1.6,
                    label="at the current burn")
    if d["budget"]:
        ax.plot(x, [_f(r["cumulative_budget"]) for r in rows], color=BUDGET, linestyle="--", linewidth=1.5,
                label="budget")
    ax.set_xticks(x, labels, rotation=45 if len(x) > 8 else 0, ha="right" if len(x) > 8 else "center", fontsize=8)
    _money_axis(ax, d["currency"])
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8, frameon=False, ncols=4, loc="upper left", bbox_to_anchor=(0, 1.15))
    return _svg(fig)


def _hbars(d: dict[str, Any], names: list[str], series: list[tuple[str, str, list[float]]]) -> str:
    n = len(names)
    fig, ax = _figure(height=max(1.6, 0.42 * n * max(1, len(series)) / 1.6 + 0.8))
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", color="#e5e8ec", linewidth=0.8)
    h = 0.8 / len(series)
    for k, (label, color, vals) in enumerate(series):
        ax.barh([i + (k - (len(series) - 1) / 2) * h for i in range(n)], vals, height=h * 0.95, color=color,
                label=label)
    ax.set_yticks(range(n), [s if len(s) <= 34 else s[:31] + "..." for s in names], fontsize=8)
    ax.invert_yaxis()
    _money_axis(ax, d["currency"], axis="x")
    ax.set_xlim(left=0)
    ax.legend(fontsize=8, frameon=False, ncols=len(series), loc="lower left", bbox_to_anchor=(0, 1.0))
    return _svg(fig)


def _actual_label(d: dict[str, Any]) -> str:
    return "actual (projected to month end)" if d["actual"] and not d["actual"]["complete"] else "actual"


def by_workload(d: dict[str, Any]) -> str:
    rows = d["by_workload"]
    series = [("plan", PLAN, [_f(r["plan"]) for r in rows])]
    if d["actual"]:
        series.append((_actual_label(d), ACTUAL, [_f(r["projected"] if r["projected"] is not None else r["actual"])
                                                  for r in rows]))
    return _hbars(d, [r["workload"] for r in rows], series)


def by_service(d: dict[str, Any]) -> str:
    """Actual by service against the previous month (top 12); by plan category without actual spend."""
    if d["by_service"]:
        rows = d["by_service"][:12]
        names = [f"{r['service']} ({r['cloud']})" for r in rows]
        series = [(_actual_label(d), ACTUAL, [_f(r["projected"] if r["projected"] is not None else r["actual"])
                                              for r in rows])]
        if any(r["previous"] is not None for r in rows):
            series.insert(0, ("previous month", PREVIOUS, [_f(r["previous"]) for r in rows]))
        return _hbars(d, names, series)
    rows = d["by_category"]
    key = "projected" if d["actual"] and not d["actual"]["complete"] else "actual"
    series = [("plan", PLAN, [_f(r["plan"]) for r in rows])]
    if d["actual"]:
        series.append((_actual_label(d), ACTUAL, [_f(r.get(key)) for r in rows]))
    return _hbars(d, [r["category"] for r in rows], series)


def by_cloud(d: dict[str, Any]) -> str:
    rows = d["by_cloud"]
    series = [("plan", PLAN, [_f(r["plan"]) for r in rows])]
    if d["actual"]:
        series.append((_actual_label(d), ACTUAL, [_f(r["actual"]) for r in rows]))
    return _hbars(d, [r["cloud"] + (" (plan)" if r["chosen"] else "") for r in rows], series)


def kpi_trends(d: dict[str, Any]) -> str | None:
    """Unit costs by month: one panel per workload and KPI (at most 6), actual solid, plan dashed."""
    trend = d["kpis"]["trend"]
    keys: list[tuple[str, str, str]] = []
    for t in trend:
        k = (t["workload"], t["kpi"], t["label"])
        if k not in keys:
            keys.append(k)
    keys = keys[:6]
    if not keys:
        return None
    from matplotlib.figure import Figure

    cols = min(3, len(keys))
    nrows = (len(keys) + cols - 1) // cols
    fig = Figure(figsize=(8, 2.4 * nrows))
    months = sorted({str(t["month"]) for t in trend})
    for n, (w, kpi, label) in enumerate(keys):
        ax = fig.add_subplot(nrows, cols, n + 1)
        ax.spines[["top", "right"]].set_visible(False)
        pts = {str(t["month"]): t for t in trend if t["workload"] == w and t["kpi"] == kpi}
        xs = list(range(len(months)))
        plan = [pts[m]["plan_value"] if m in pts and pts[m]["plan_value"] is not None else float("nan") for m in months]
        act = [pts[m]["value"] if m in pts and pts[m]["value"] is not None else float("nan") for m in months]
        ax.plot(xs, plan, color=PLAN, linestyle="--", marker="o", markersize=3, label="plan")
        if any(not math.isnan(v) for v in act):
            ax.plot(xs, act, color=ACTUAL, marker="o", markersize=4, label="actual")
        ax.set_title(f"{w[:28]}: {label}", fontsize=8)
        step = max(1, len(months) // 4)
        ax.set_xticks(xs[::step], [m for m in months][::step], fontsize=7)
        ax.tick_params(axis="y", labelsize=7)
        ax.set_ylim(bottom=0)
        if n == 0:
            ax.legend(fontsize=7, frameon=False)
    fig.tight_layout()
    return _svg(fig)


def all_charts(d: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(id, title, svg) for every chart that has something to show."""
    cur = d["currency"]
    out = [("monthly", f"Budget, plan and actual by month ({cur})", monthly(d)),
           ("cumulative", f"Cumulative spend against the budget ({cur})", cumulative(d)),
           ("workload", f"Cost by workload, {d['month']}", by_workload(d)),
           ("service", f"Cost by {'service' if d['by_service'] else 'service category'}, {d['month']}", by_service(d)),
           ("cloud", f"Cost by cloud, {d['month']}", by_cloud(d))]
    k = kpi_trends(d)
    if k:
        out.append(("kpi", "Unit costs by month", k))
    return out

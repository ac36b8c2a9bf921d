"""Monthly budget reports: the plan, the budget and actual spend for one month (``planner report``).

Python API::

    import planner
    from planner.actuals import read_actuals
    from planner.report import build_report
    sc = planner.load_scenario("scenarios/chat-assistant.yaml")
    rep = build_report(sc, "2026-03", actuals=read_actuals(["focus.csv"]), plan_start="2026-01")
    rep.to_dict(); rep.to_markdown(); rep.to_html(); rep.exit_code
"""

from __future__ import annotations

from planner.report.alerts import OK_EXIT, OVER_EXIT, WARN_EXIT
from planner.report.build import Report, build_report, parse_budget, parse_fx
from planner.report.volumes import read_volumes

__all__ = ["OK_EXIT", "OVER_EXIT", "WARN_EXIT", "Report", "build_report", "parse_budget", "parse_fx", "read_volumes",
           "write_report"]


def write_report(report: Report, path: str, fmt: str | None = None) -> str:
    """Write ``report`` to ``path`` (format from ``fmt`` or the suffix: .html, .md, .json) all at once: a temporary
    file in the same folder renamed into place, so a failed run leaves no partial report. Returns the format."""
    from planner.report.output import write

    return write(report, path, fmt)

"""Golden Markdown and JSON reports of every example scenario, with and without actual spend.

Regenerate after a reviewed change with:  PLANNER_UPDATE_GOLDEN=1 pytest tests/report/test_report_golden.py
and review the diff of tests/golden/report-*.

The actual spend is made from each scenario's own plan (plan start 2026-01, the cheapest cloud), so every
figure can be traced: January is billed in full at 105% of the plan, spread evenly over its 31 days; February
(the report month) runs through the 14th at 97% of the plan's daily rate, plus an untagged support charge of
$12.50 a day that January did not have. Serving workloads did 110% of their planned requests in January and
55% of February's by the 14th; training workloads ran once in January.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.report.conftest import charge, load_focus, write_focus

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "golden"
SCENARIOS = sorted((REPO / "scenarios").glob("*.yaml"))
UPDATE = os.environ.get("PLANNER_UPDATE_GOLDEN") == "1"

PROVIDER = {"aws": "AWS", "gcp": "Google Cloud", "azure": "Microsoft"}
SERVICE = {"aws": {"compute": "Amazon Elastic Compute Cloud", "storage": "Amazon Simple Storage Service"},
           "gcp": {"compute": "Compute Engine", "storage": "Cloud Storage"},
           "azure": {"compute": "Virtual Machines", "storage": "Storage"}}


def _check(path: Path, actual: str) -> None:
    if UPDATE:
        path.write_text(actual)
    assert path.exists(), f"{path} missing: run with PLANNER_UPDATE_GOLDEN=1 and review it"
    assert actual == path.read_text(), f"{path} differs: review, then regenerate with PLANNER_UPDATE_GOLDEN=1"


def _rows_from_plan(cmp: Any) -> tuple[list[dict[str, Any]], str]:
    from planner.report.plan import choose_cloud

    cloud, _ = choose_cloud(cmp, None)
    sc = cmp.scenario
    kinds = {w.name: ("storage" if w.type == "storage" else "compute") for w in sc.workloads}
    rows = []
    for r in cloud.by_month:
        if r["month"] > 2 or r["contracted_cost"] is None:
            continue
        kind = kinds.get(r["workload"], "other")
        if r["kind"] == "edge":
            kind = "other"
        service = SERVICE[cloud.cloud].get(kind, "Marketplace")
        category = {"compute": "Compute", "storage": "Storage"}.get(kind, "Other")
        if r["month"] == 1:  # January: 105% of the plan, 31 equal days
            per_day, days = float(r["contracted_cost"]) * 1.05 / 31, range(1, 32)
        else:  # February to the 14th: 97% of the plan's daily rate
            per_day, days = float(r["contracted_cost"]) * 0.97 / 28, range(1, 15)
        month = "2026-01" if r["month"] == 1 else "2026-02"
        rows += [charge(f"{month}-{d:02d}", round(per_day, 2), workload=r["workload"], service=service,
                        category=category, provider=PROVIDER[cloud.cloud]) for d in days]
    rows += [charge(f"2026-02-{d:02d}", 12.50, service="Support", category="Other", provider=PROVIDER[cloud.cloud])
             for d in range(1, 15)]
    return rows, cloud.cloud


def _volumes(sc: Any, path: Path) -> Path:
    from planner.report.plan import planned_volumes

    lines = ["month,workload,requests,tokens,training_runs"]
    for i, (month, share) in enumerate((("2026-01", 1.10), ("2026-02", 0.55))):
        for w, vol in planned_volumes(sc, i).items():
            req = f"{vol['requests'] * share:.0f}" if "requests" in vol else ""
            tok = f"{vol['tokens'] * share:.0f}" if "tokens" in vol else ""
            runs = "1" if "training_runs" in vol and month == "2026-01" else ""  # February's run is not done yet
            lines.append(f"{month},{w},{req},{tok},{runs}")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.stem for s in SCENARIOS])
@pytest.mark.parametrize("with_actuals", [False, True], ids=["plan", "actuals"])
def test_report_golden(scenario, with_actuals, monkeypatch, tmp_path):
    from planner.comparison import compare
    from planner.report import build_report, read_volumes
    from planner.scenario import load_scenario

    monkeypatch.setenv("PLANNER_NOW", "2026-11-26")
    monkeypatch.chdir(REPO)
    sc = load_scenario(f"scenarios/{scenario.name}")
    cmp = compare(sc)
    kw: dict[str, Any] = {"plan_start": "2026-01", "comparison": cmp}
    if sc.budget_usd_per_month is not None:
        kw["warn_at"] = [80, 100]
    name = f"report-{scenario.stem}"
    if with_actuals:
        rows, _ = _rows_from_plan(cmp)
        kw["actuals"] = load_focus(write_focus(tmp_path / "focus.csv", rows))
        kw["volumes"] = read_volumes(_volumes(sc, tmp_path / "volumes.csv"), sc)
        name += "-actuals"
    rep = build_report(sc, "2026-02", **kw)
    _check(GOLDEN / f"{name}.md", rep.to_markdown())
    _check(GOLDEN / f"{name}.json", rep.to_json() + "\n")
    doc = rep.to_dict()
    if with_actuals:
        a = doc["actual"]
        assert a["days_elapsed"] == 14 and not a["complete"]
        assert a["untagged"] == pytest.approx(12.50 * 14)  # the support charge is the only untagged spend
        assert any(d["kind"] == "new_service" and d["name"] == "Support" for d in doc["drivers"])
        jan = next(r for r in doc["months"] if r["month"] == "2026-01")
        # 105% of the plan, up to rounding: each January row was rounded to the cent (at most $0.005 off) and the
        # plan's month to the cent in the JSON (another $0.005)
        jan_rows = sum(1 for r in rows if r["ChargePeriodStart"].startswith("2026-01"))
        assert jan["actual"] == pytest.approx(jan["plan"] * 1.05, abs=0.005 * jan_rows + 0.005 * 1.05)
    else:
        assert doc["actual"] is None and doc["alerts"]["spend_basis"] == "plan"

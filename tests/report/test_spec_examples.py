"""The FOCUS specification's commitment-discount examples (../shared/reference/billing/spec_examples) read by
planner.actuals.read_actuals and reported: billed vs effective cost and commitment utilization/coverage match
the answers the examples are written to show. Skips when ../shared is absent.

The example files name no BillingCurrency, so the tests say USD (--billing-currency), as their text does.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tests.report.conftest import SCENARIO

SPEC = Path(__file__).resolve().parents[2] / ".." / "shared" / "reference" / "billing" / "spec_examples"

pytestmark = [
    pytest.mark.skipif(not SPEC.is_dir(), reason="../shared/reference/billing/spec_examples not present"),
]

# file stem -> (billed, effective, utilization %, coverage %) by hand from the file's rows
CASES = {
    # used 0.75 + unused 0.25 of the commitment (effective); nothing on demand
    "focus_spec_commitment_discount_usage_scenario_3": ("0.00", "1.00", 75.0, 100.0),
    # purchase billed 1.50 (effective 0); the commitment unused (effective 1.50); 2.00 on demand
    "focus_spec_zero_percent_utilization_without_commitment_discount_flexibility": ("3.50", "3.50", 0.0, 0.0),
    # purchase 1.50 billed; fully used (1.50 effective)
    "focus_spec_one_hundred_percent_utilization_without_commitment_discount_flexibility": ("1.50", "1.50", 100.0,
                                                                                           100.0),
    # purchase 0.50; used 0.50; the rest of the large VM on demand 2.25: coverage 0.50 / 2.75 = 18.2%
    "focus_spec_one_hundred_percent_utilization_with_commitment_discount_flexibility_with_1_resource": (
        "2.75", "2.75", 100.0, 18.2),
    # used 1.00 committed, 0.50 on demand: coverage 1.00 / 1.50 = 66.7%
    "focus_spec_commitment_discount_usage_scenario_4": ("0.50", "1.50", 100.0, 66.7),
}


def _scenario(tmp_path):
    from planner.scenario import load_scenario

    text = SCENARIO.split("actuals:")[0] + "workloads:" + SCENARIO.split("workloads:")[1]  # no tag mapping
    p = tmp_path / "spec.yaml"
    p.write_text(text)
    return load_scenario(p)


@pytest.mark.parametrize("stem", sorted(CASES))
def test_commitment_examples(hand, tmp_path, stem):
    from planner.actuals import read_actuals
    from planner.report import build_report

    billed, effective, util, cover = CASES[stem]
    frame = read_actuals([str(SPEC / f"{stem}.csv")])
    d = build_report(_scenario(tmp_path), "2023-01", actuals=frame, plan_start="2023-01",
                     billing_currency="USD").data
    assert d["actual"]["billed"] == Decimal(billed) and d["actual"]["effective"] == Decimal(effective)
    c = d["commitments"]
    assert c["utilization_pct"] == util and c["coverage_pct"] == cover
    assert d["actual"]["untagged_share_pct"] in (100.0, None)  # the examples carry no tags
    assert any("all spend counts as untagged" in n for n in d["notes"])


def test_one_time_purchase_billed_not_amortized(hand, tmp_path):
    """Scenario 1: a one-year commitment bought up front, 8,760 billed in January, 0 effective there."""
    from planner.actuals import read_actuals
    from planner.report import build_report

    frame = read_actuals([str(SPEC / "focus_spec_commitment_discount_purchase_scenario_1.csv")])
    sc = _scenario(tmp_path)
    eff = build_report(sc, "2023-01", actuals=frame, plan_start="2023-01", billing_currency="USD").data
    billed = build_report(sc, "2023-01", actuals=frame, plan_start="2023-01", billing_currency="USD",
                          basis="billed").data
    assert eff["actual"]["to_date"] == Decimal(0) and billed["actual"]["to_date"] == Decimal("8760.00")
    assert eff["commitments"]["purchases_billed"] == Decimal("8760.00")
    assert eff["commitments"]["utilization_pct"] is None  # no usage rows to measure it on
    # the purchase covers a year, not a day: counted once, not extrapolated
    assert billed["actual"]["projected_month_end"] == Decimal("8760.00")


def test_every_example_through_the_cli(runner, hand, tmp_path):
    from planner.cli import main

    sc = tmp_path / "spec.yaml"
    sc.write_text(SCENARIO.split("actuals:")[0] + "workloads:" + SCENARIO.split("workloads:")[1])
    files = [str(p) for p in sorted(SPEC.glob("*.csv"))]
    out = tmp_path / "spec.md"
    args = ["report", str(sc), "--month", "2023-01", "--plan-start", "2023-01", "--out", str(out)]
    r = runner.invoke(main, [*args, *[a for f in files for a in ("--actuals", f)]])
    assert r.exit_code == 2 and "--billing-currency" in r.output and not out.exists()  # no currency: refused
    r = runner.invoke(main, [*args, "--billing-currency", "USD", *[a for f in files for a in ("--actuals", f)]])
    assert r.exit_code == 0, r.output
    text = out.read_text()
    assert "## Commitments" in text and "Billed / effective" in text

"""Report figures on the hand plan and small FOCUS files, each checked against a hand calculation.

Actual spend (conftest.hand_rows), effective = billed = list:
  February 2026 (28 days, complete): api 28 x $50 = $1,400; train $120 (one day); S3 $30 untagged (monthly
  charge) -> $1,550.
  March 2026, daily charges through the 10th: api 10 x $60 = $600; train $110 (tag 'trainer', mapped);
  SageMaker 10 x $5 = $50 untagged -> $760 to date.
Plan: $1,600 a month (api $1,460, train $100, tools $40); budget $2,000 a month.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from planner.report import build_report, read_volumes
from planner.scenario import load_scenario
from tests.report.conftest import charge, load_focus, write_focus


@pytest.fixture
def march(hand):
    sc = load_scenario(hand["scenario"])
    rep = build_report(sc, "2026-03", actuals=load_focus(hand["focus"]), volumes=read_volumes(hand["volumes"], sc),
                       warn_at=[80, 100])
    return rep.data


def test_plan_and_budget(march):
    assert march["plan"]["start"].__str__() == "2026-02" and march["plan"]["plan_month"] == 2
    assert march["plan"]["month"] == Decimal("1600.00")  # 1,460 + 100 + 40
    assert march["budget"]["monthly"] == Decimal(2000)
    assert march["budget"]["plan_vs_budget"] == Decimal("-400.00")


def test_month_to_date_and_projection(march):
    a = march["actual"]
    assert a["to_date"] == Decimal("760.00")  # 600 + 110 + 50
    assert a["billed"] == a["effective"] == Decimal("760.00")
    assert (a["days_elapsed"], a["days_in_month"], a["complete"]) == (10, 31, False)
    assert a["data_through"] == date(2026, 3, 10)
    # every March charge is daily: 760 x 31 / 10 = 2,356
    assert a["projected_month_end"] == Decimal("2356.00")
    assert a["untagged"] == Decimal("50.00") and a["untagged_share_pct"] == 6.6  # 50 / 760 = 6.58%


def test_variance_and_month_over_month(march):
    v = march["variance"]
    assert v["vs_plan"] == Decimal("756.00")  # 2,356 - 1,600
    assert v["vs_budget"] == Decimal("356.00") and v["vs_budget_pct"] == 17.8  # 356 / 2,000
    mom = march["month_over_month"]
    assert mom["previous"] == Decimal("1550.00")  # 1,400 + 120 + 30
    assert mom["change"] == Decimal("806.00") and mom["change_pct"] == 52.0  # 806 / 1,550


def test_by_workload_projected(march):
    rows = {r["workload"]: r for r in march["by_workload"]}
    assert rows["api"]["projected"] == Decimal("1860.00")  # 600 x 3.1
    assert rows["api"]["variance"] == Decimal("400.00")  # 1,860 - 1,460
    assert rows["train"]["actual"] == Decimal("110.00") and rows["train"]["projected"] == Decimal("341.00")
    assert rows["tools"]["actual"] == Decimal(0) and rows["tools"]["variance"] == Decimal("-40.00")
    assert rows["(untagged)"]["projected"] == Decimal("155.00")  # 50 x 3.1
    assert [r["workload"] for r in march["by_workload"]] == ["api", "train", "tools", "(untagged)"]


def test_price_volume_split(march):
    api = next(d for d in march["drivers"] if d["name"] == "api")
    # planned 2 QPS x 730 h x 3,600 s = 5,256,000 requests at 1,460 / 5,256,000 = $1/3,600 a request;
    # measured 2,000,000 to date x 3.1 = 6,200,000 -> volume (6,200,000 - 5,256,000) / 3,600 = $262.22,
    # price 400 - 262.22 = $137.78
    assert api["planned_volume"] == 5_256_000 and api["volume"] == pytest.approx(6_200_000)
    assert round(api["volume_effect"], 2) == Decimal("262.22")
    assert round(api["price_effect"], 2) == Decimal("137.78")
    assert "volume +$262.22" in api["text"] and "price +$137.78" in api["text"]


def test_drivers_name_new_vanished_and_untagged(march):
    kinds = {d["kind"]: d for d in march["drivers"]}
    assert kinds["new_service"]["name"] == "Amazon SageMaker"
    assert kinds["new_service"]["amount"] == Decimal("155.00")  # projected 50 x 3.1
    assert kinds["vanished_service"]["name"] == "Amazon Simple Storage Service"
    assert kinds["vanished_service"]["amount"] == Decimal("-30.00")
    assert kinds["untagged"]["amount"] == Decimal("155.00")
    amounts = [abs(d["amount"]) for d in march["drivers"]]
    assert amounts == sorted(amounts, reverse=True)  # largest first


def test_budget_burn(march):
    b = march["burn"]["monthly"]
    # $760 over 10 days = $76 a day; $1,240 left = 16 whole days (1,216), the 17th passes it: day 27
    assert b["daily_burn"] == Decimal(76)
    assert b["runs_out_on"] == date(2026, 3, 27)
    h = march["burn"]["horizon"]
    # 3 x 2,000 = 6,000 from 2026-02; spent 1,550 + 2,356 = 3,906; April at 2,356 -> 6,262 > 6,000
    assert h["budget"] == Decimal(6000) and h["spent_through_month"] == Decimal("3906.00")
    assert str(h["runs_out_in"]) == "2026-04"


def test_unit_costs_against_baseline(march):
    k = {(r["workload"], r["kpi"]): r for r in march["kpis"]["rows"]}
    api = k[("api", "cost_per_1k_requests")]
    assert api["value"] == pytest.approx(0.30)  # 600 / 2,000,000 x 1,000
    assert api["baseline_value"] == pytest.approx(0.35)  # February: 1,400 / 4,000,000 x 1,000
    assert api["change_vs_baseline_pct"] == -14.3  # (0.30 - 0.35) / 0.35
    assert api["plan_value"] == pytest.approx(1000 / 3600, abs=1e-6)  # $1/3,600 a request
    run = k[("train", "cost_per_training_run")]
    assert run["value"] == 110.0 and run["baseline_value"] == 120.0 and run["plan_value"] == 100.0
    assert run["change_vs_baseline_pct"] == -8.3  # (110 - 120) / 120


def test_alerts_on_projection(march):
    al = march["alerts"]
    assert al["spend"] == Decimal("2356.00") and al["pct_of_budget"] == 117.8
    assert al["crossed"] == [80, 100] and al["over_budget"] and al["exit_code"] == 3
    assert al["line"].startswith("WARNING: 2026-03: projected month-end spend $2,356.00 is 117.8%")


def test_complete_month_is_not_projected(hand):
    sc = load_scenario(hand["scenario"])
    d = build_report(sc, "2026-02", actuals=load_focus(hand["focus"])).data
    a = d["actual"]
    assert a["complete"] and a["projected_month_end"] == a["to_date"] == Decimal("1550.00")
    assert d["month_over_month"] is None  # nothing before February
    assert "lasts the month" in d["burn"]["monthly"]["text"]


def test_plan_and_budget_alone(hand):
    sc = load_scenario(hand["scenario"])
    d = build_report(sc, "2026-03", fail_over_budget=True).data
    assert d["actual"] is None and d["variance"] is None and d["drivers"] == []
    assert d["alerts"]["spend_basis"] == "plan" and d["alerts"]["exit_code"] == 0  # 1,600 < 2,000
    assert d["burn"]["horizon"]["runs_out_in"] is None  # 3 x 1,600 = 4,800 of 6,000


def test_budget_flag_and_passed_day(hand):
    """A $700 budget already passed: the day the running total first went over it."""
    sc = load_scenario(hand["scenario"])
    d = build_report(sc, "2026-03", actuals=load_focus(hand["focus"]), budget="700", fail_over_budget=True).data
    # daily totals: 65 a day (60 api + 5 SageMaker), plus 110 on the 5th: day 1-4: 260; day 5: 435;
    # day 8: 630; day 9: 695; day 10: 760 > 700 -> passed on the 10th
    assert d["burn"]["monthly"]["runs_out_on"] == date(2026, 3, 10)
    assert "was passed on 2026-03-10" in d["burn"]["monthly"]["text"]
    assert d["alerts"]["exit_code"] == 4 and d["budget"]["source"] == "--budget"


def test_commitment_utilization_and_coverage(hand, tmp_path):
    """Used $30, unused $10 of a commitment, $60 on demand: utilization 30/40 = 75%, coverage 30/90 = 33.3%."""
    rows = [
        charge("2026-03-01", 30.00, billed=0.0, pricing="Committed", commitment="cd-1", workload="api"),
        charge("2026-03-01", 10.00, billed=0.0, pricing="Committed", commitment="cd-1", resource="cd-1"),
        charge("2026-03-01", 60.00, workload="api"),
        charge("2026-03-01", 0.00, billed=45.0, charge_category="Purchase", commitment="cd-1", resource="cd-1",
               end="2026-04-01"),
    ]
    sc = load_scenario(hand["scenario"])
    d = build_report(sc, "2026-03", actuals=load_focus(write_focus(tmp_path / "c.csv", rows))).data
    c = d["commitments"]
    assert c["used"] == Decimal("30.00") and c["unused"] == Decimal("10.00") and c["on_demand"] == Decimal("60.00")
    assert c["utilization_pct"] == 75.0 and c["coverage_pct"] == 33.3
    assert c["purchases_billed"] == Decimal("45.00")
    assert d["actual"]["billed"] == Decimal("105.00") and d["actual"]["effective"] == Decimal("100.00")


def test_billed_basis(hand, tmp_path):
    rows = [charge("2026-03-01", 0.00, billed=45.0, charge_category="Purchase", commitment="cd-1",
                   resource="cd-1", end="2026-04-01", workload="api"),
            charge("2026-03-01", 30.00, billed=0.0, pricing="Committed", commitment="cd-1", workload="api")]
    sc = load_scenario(hand["scenario"])
    frame = load_focus(write_focus(tmp_path / "b.csv", rows))
    eff = build_report(sc, "2026-03", actuals=frame).data["actual"]
    billed = build_report(sc, "2026-03", actuals=frame, basis="billed").data["actual"]
    # one day of daily charges (the 1st) and a monthly purchase: effective 30 x 31 = 930 projected; billed: the
    # purchase once (45) + 0 daily
    assert eff["to_date"] == Decimal("30.00") and eff["projected_month_end"] == Decimal("930.00")
    assert billed["to_date"] == Decimal("45.00") and billed["projected_month_end"] == Decimal("45.00")


def test_foreign_currency_needs_a_rate(hand, tmp_path):
    from planner.errors import InputError

    rows = [charge(f"2026-03-{d:02d}", 50.00, workload="api", currency="EUR") for d in range(1, 32)]
    frame = load_focus(write_focus(tmp_path / "eur.csv", rows))
    sc = load_scenario(hand["scenario"])
    with pytest.raises(InputError, match=r"--fx EUR=RATE"):
        build_report(sc, "2026-03", actuals=frame)
    d = build_report(sc, "2026-03", actuals=frame, fx=["EUR=1.25"]).data
    assert d["currency"] == "EUR"
    assert d["budget"]["monthly"] == Decimal(1600)  # 2,000 USD / 1.25 USD per EUR
    assert d["plan"]["month"] == Decimal(1280)  # 1,600 USD / 1.25
    assert d["actual"]["to_date"] == Decimal("1550.00")  # 31 x 50 EUR, complete


def test_mixed_currencies(hand, tmp_path):
    from planner.errors import InputError

    rows = [charge("2026-03-01", 100.00, workload="api", currency="EUR"),
            charge("2026-03-01", 100.00, workload="api", currency="USD")]
    frame = load_focus(write_focus(tmp_path / "mix.csv", rows))
    sc = load_scenario(hand["scenario"])
    with pytest.raises(InputError, match=r"mixes currencies \(EUR, USD\)"):
        build_report(sc, "2026-03", actuals=frame)
    d = build_report(sc, "2026-03", actuals=frame, fx={"EUR": "1.10"}).data
    assert d["currency"] == "USD" and d["actual"]["to_date"] == Decimal("210.00")  # 100 x 1.10 + 100


def test_mapping_that_matches_nothing(hand, tmp_path):
    from planner.errors import InputError

    rows = [charge("2026-03-01", 10.00, tags={"team": "ml"})]
    frame = load_focus(write_focus(tmp_path / "t.csv", rows))
    sc = load_scenario(hand["scenario"])
    with pytest.raises(InputError, match=r"no charge maps to a workload through tag 'workload' \(tag keys in the "
                                         r"data: team\)"):
        build_report(sc, "2026-03", actuals=frame)


def test_empty_actuals(hand, tmp_path):
    import pandas as pd

    from planner.errors import InputError
    from tests.report.conftest import FOCUS_COLUMNS

    frame = pd.DataFrame(columns=FOCUS_COLUMNS)  # the reader refuses an empty file itself; the API refuses a frame
    with pytest.raises(InputError, match="actual spend has no rows"):
        build_report(load_scenario(hand["scenario"]), "2026-03", actuals=frame)


def test_volumes_in_the_scenario_and_csv_override(hand, tmp_path):
    """Scenario volumes count; a CSV row for the same month and workload replaces them."""
    text = hand["scenario"].read_text().replace(
        "    train: [train, trainer]\n",
        "    train: [train, trainer]\n  volumes:\n    - {month: 2026-03, workload: api, requests: 1500000}\n"
        "    - {month: 2026-02, workload: api, requests: 3500000}\n")
    hand["scenario"].write_text(text)
    sc = load_scenario(hand["scenario"])
    frame = load_focus(hand["focus"])
    k = {r["kpi"]: r for r in build_report(sc, "2026-03", actuals=frame).data["kpis"]["rows"] if r["workload"] == "api"}
    assert k["cost_per_1k_requests"]["value"] == pytest.approx(0.40)  # 600 / 1,500,000 x 1,000
    assert k["cost_per_1k_requests"]["baseline_value"] == pytest.approx(0.40)  # 1,400 / 3,500,000 x 1,000
    csv = tmp_path / "v.csv"
    csv.write_text("month,workload,requests\n2026-03,api,2000000\n")
    k = {r["kpi"]: r for r in build_report(sc, "2026-03", actuals=frame, volumes=read_volumes(csv, sc))
         .data["kpis"]["rows"] if r["workload"] == "api"}
    assert k["cost_per_1k_requests"]["value"] == pytest.approx(0.30)  # 600 / 2,000,000 x 1,000
    assert k["cost_per_1k_requests"]["change_vs_baseline_pct"] == -25.0  # (0.30 - 0.40) / 0.40


def test_unmatched_tag_value_is_a_note(hand, tmp_path):
    rows = [charge("2026-03-01", 10.00, workload="api"), charge("2026-03-01", 7.00, workload="batch-x")]
    sc = load_scenario(hand["scenario"])
    d = build_report(sc, "2026-03", actuals=load_focus(write_focus(tmp_path / "n.csv", rows))).data
    assert "actuals.tag_values of train: no charge has tag workload = train, trainer" in d["notes"]
    unplanned = next(r for r in d["by_workload"] if r["workload"] == "batch-x")
    assert not unplanned["planned"] and unplanned["actual"] == Decimal("7.00")
    assert any(x["kind"] == "unplanned" and x["name"] == "batch-x" for x in d["drivers"])


@pytest.mark.parametrize("text,field", [
    ("month,workload,requests\n2026-3,api,10\n", "line 2: month"),
    ("month,workload,requests\n2026-03,api,-1\n", "line 2: requests"),
    ("month,workload,requests\n2026-03,api,lots\n", "line 2: requests"),
    ("month,requests\n2026-03,10\n", "header"),
])
def test_bad_volume_files(hand, tmp_path, text, field):
    from planner.errors import InputError

    p = tmp_path / "v.csv"
    p.write_text(text)
    with pytest.raises(InputError) as e:
        read_volumes(p, load_scenario(hand["scenario"]))
    assert e.value.field == field

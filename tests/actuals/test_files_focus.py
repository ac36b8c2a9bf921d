"""FOCUS files: the specification's commitment-discount examples with their known billed and effective answers,
a small hand-made file (CSV and parquet), lower-case column names, and files missing mandatory columns."""

from __future__ import annotations

import math

import pytest

from planner.actuals import detect_format, read_actuals, summarize
from planner.errors import InputError
from tests.actuals.conftest import fixture, sample, totals, write_csv

SPEC = "spec_examples/focus_spec_{}.csv"

# Known answers, added up by hand from the rows of each example (FOCUS_Spec, specification/data/commitment_discount_*).
# (billed, effective, list); list is None where a usage row has no ListCost column (so the total is missing).
SPEC_ANSWERS = {
    # one one-time purchase of $8,760: billed 8760, nothing amortized onto the purchase row itself
    "commitment_discount_purchase_scenario_1": (8760.00, 0.00, 8760.00),
    # three recurring purchase rows of $1.00 each: billed 3 x 1.00
    "commitment_discount_purchase_scenario_2": (3.00, 0.00, 3.00),
    # partial upfront: $4,380 once + 3 x $0.50 recurring = 4381.50 billed
    "commitment_discount_purchase_scenario_3": (4381.50, 0.00, 4381.50),
    # one used hour of the commitment: billed 0 (paid by the purchase), effective 1.00
    "commitment_discount_usage_scenario_1": (0.00, 1.00, None),
    # one unused hour: billed 0, effective 1.00 (the unused share is still a cost)
    "commitment_discount_usage_scenario_2": (0.00, 1.00, None),
    # 75% used + 25% unused: effective 0.75 + 0.25 = 1.00, billed 0
    "commitment_discount_usage_scenario_3": (0.00, 1.00, None),
    # covered hour (effective 1.00) + on-demand overage 0.50: billed 0.50, effective 1.50
    "commitment_discount_usage_scenario_4": (0.50, 1.50, None),
    # purchase 0.50 billed + covered 0 + on-demand 2.25; effective 0 + 0.50 + 2.25; list 1.00 + 3.00 + 2.25
    "one_hundred_percent_utilization_with_commitment_discount_flexibility_with_1_resource": (2.75, 2.75, 6.25),
    # purchase 2.00 billed; effective 0 + 1.00 + 1.00; list 4.00 + 2.00 + 2.00
    "one_hundred_percent_utilization_with_commitment_discount_flexibility_with_2_resources": (2.00, 2.00, 8.00),
    # purchase 1.50 billed; effective 0 + 1.50; list 3.00 + 3.00
    "one_hundred_percent_utilization_without_commitment_discount_flexibility": (1.50, 1.50, 6.00),
    # purchase 1.50 + unused 0 + on-demand 2.00 billed; effective 0 + 1.50 + 2.00; list 3 + 3 + 2
    "zero_percent_utilization_without_commitment_discount_flexibility": (3.50, 3.50, 8.00),
}


@pytest.mark.parametrize("name", sorted(SPEC_ANSWERS))
def test_spec_examples_billed_and_effective(name):
    path = sample(SPEC.format(name))
    assert detect_format(path) == "focus"
    billed, effective, lst = SPEC_ANSWERS[name]
    frame = read_actuals(path)
    got = totals(frame)
    assert got["billed"] == pytest.approx(billed, abs=1e-9)
    assert got["effective"] == pytest.approx(effective, abs=1e-9)
    if lst is None:
        assert math.isnan(got["list"])  # a usage row without a list price stays unknown, never 0
    else:
        assert got["list"] == pytest.approx(lst, abs=1e-9)
    s = summarize(path, by="month")
    assert list(s["month"]) == ["2023-01"]  # BillingPeriodStart 2023-01-01 in every example
    assert s["billed_cost"].iloc[0] == pytest.approx(billed, abs=1e-9)
    assert s["effective_cost"].iloc[0] == pytest.approx(effective, abs=1e-9)
    assert s["currency"].iloc[0] is None  # the examples have no BillingCurrency column: not assumed USD


def test_spec_example_used_and_unused_status():
    path = sample(SPEC.format("commitment_discount_usage_scenario_3"))
    frame = read_actuals(path)
    assert sorted(frame["CommitmentDiscountStatus"]) == ["Unused", "Used"]
    assert list(frame["PricingCategory"]) == ["Committed", "Committed"]
    # the unused row has no consumed quantity ("null" in the file)
    assert frame["ConsumedQuantity"].isna().tolist() == [False, True]


def test_spec_example_bad_hour_in_charge_period_end_is_tolerated():
    # purchase scenario 2 writes ChargePeriodEnd 2023-02-01T30:00:00Z (hour 30); the end is not needed for
    # a summary, so the row is read with an unknown end rather than refused.
    frame = read_actuals(sample(SPEC.format("commitment_discount_purchase_scenario_2")))
    assert frame["ChargePeriodEnd"].isna().tolist() == [False, False, True]


# -- the hand-made file (tests/fixtures/actuals/focus_small.csv) ------------------------------------------
# February, AWS: SageMaker usage 100; EC2 covered usage billed 0 / effective 60 / list 90; RI purchase 720 billed,
# 0 effective, no list (so list = billed, the FOCUS rule for charges without a list price); credit -25; tax 8.
# March: Azure ML 40 (list 50), SageMaker 30.

def test_focus_small_by_month_provider_service():
    s = summarize(fixture("focus_small.csv"), by="month,provider,service")
    rows = {(r.month, r.provider, r.service): (r.billed_cost, r.effective_cost, r.list_cost)
            for r in s.itertuples()}
    assert rows == {
        ("2026-02", "aws", "Amazon EC2"): (0 + 720 - 25 + 8, 60 + 0 - 25 + 8, 90 + 720 - 25 + 8),
        ("2026-02", "aws", "Amazon SageMaker"): (100.0, 100.0, 100.0),
        ("2026-03", "aws", "Amazon SageMaker"): (30.0, 30.0, 30.0),
        ("2026-03", "azure", "Azure Machine Learning"): (40.0, 40.0, 50.0),
    }
    assert set(s["currency"]) == {"USD"}


def test_focus_small_credits_and_taxes_are_their_own_categories():
    s = summarize(fixture("focus_small.csv"), by="month,charge")
    feb = {r.charge: (r.billed_cost, r.effective_cost) for r in s.itertuples() if r.month == "2026-02"}
    assert feb == {"Credit": (-25.0, -25.0), "Tax": (8.0, 8.0), "Purchase": (720.0, 0.0),
                   "Usage": (100.0 + 0.0, 100.0 + 60.0)}


def test_focus_small_by_tag():
    s = summarize(fixture("focus_small.csv"), by="month,tag:team")
    rows = {(r.month, r.tag_team): (r.billed_cost, r.effective_cost) for r in s.itertuples()}
    assert rows == {
        ("2026-02", "ranking"): (0.0, 60.0),
        ("2026-02", "search"): (100.0 - 25.0, 100.0 - 25.0),
        ("2026-02", None): (720.0 + 8.0, 0.0 + 8.0),  # untagged: the purchase and the tax
        ("2026-03", "ranking"): (40.0, 40.0),
        ("2026-03", "search"): (30.0, 30.0),
    }


def test_focus_small_month_filter():
    s = summarize(fixture("focus_small.csv"), by="service", month="2026-03")
    assert {r.service: r.billed_cost for r in s.itertuples()} == {"Amazon SageMaker": 30.0,
                                                                   "Azure Machine Learning": 40.0}


def test_focus_parquet_with_map_tags_matches_csv(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    csv_frame = read_actuals(fixture("focus_small.csv"))
    cols = ["BillingPeriodStart", "ChargePeriodStart", "ProviderName", "ServiceName", "ChargeCategory",
            "BilledCost", "EffectiveCost", "ListCost", "BillingCurrency"]
    table = pa.Table.from_pandas(csv_frame[cols], preserve_index=False)
    tags = pa.array([list(d.items()) for d in csv_frame["Tags"]], type=pa.map_(pa.string(), pa.string()))
    table = table.append_column("Tags", tags)
    path = tmp_path / "focus.parquet"
    pq.write_table(table, path)
    assert detect_format(path) == "focus"
    by = "month,provider,service,tag:team"
    a = summarize(fixture("focus_small.csv"), by=by)
    b = summarize(path, by=by)
    assert a.to_dict("records") == b.to_dict("records")


def test_lower_case_athena_names_and_service_provider_name(tmp_path):
    # FOCUS in Athena: lower-case snake_case names; FOCUS 1.3 names the provider ServiceProviderName
    path = write_csv(tmp_path / "f.csv",
                     ["billing_period_start", "charge_period_start", "service_provider_name", "service_name",
                      "charge_category", "billed_cost", "effective_cost", "list_cost", "billing_currency"],
                     [["2026-01-01", "2026-01-05", "Google Cloud", "Vertex AI", "Usage", "12.5", "10", "15", "usd"],
                      ["2026-01-01", "2026-01-06", "Google Cloud", "Vertex AI", "Usage", "7.5", "6", "9", "usd"]])
    s = summarize(path, by="month,provider,service")
    # 12.5 + 7.5 = 20 billed; 10 + 6 = 16 effective; 15 + 9 = 24 list; currency upper-cased
    assert s.to_dict("records") == [{"month": "2026-01", "provider": "gcp", "service": "Vertex AI",
                                     "billed_cost": 20.0, "effective_cost": 16.0, "list_cost": 24.0,
                                     "currency": "USD"}]


def test_missing_mandatory_columns_are_named(tmp_path):
    path = write_csv(tmp_path / "f.csv", ["BillingPeriodStart", "ProviderName", "ServiceName", "ChargeCategory",
                                          "BilledCost", "ListCost", "BillingCurrency"],
                     [["2026-01-01", "AWS", "Amazon EC2", "Usage", "1", "1", "USD"]])
    with pytest.raises(InputError) as exc:
        summarize(path)
    msg = str(exc.value)
    assert "EffectiveCost" in msg and "ChargePeriodStart" in msg and "f.csv" in msg
    assert "BilledCost" not in msg.split("column")[-1]  # only the missing ones are named


def test_forced_focus_format_on_a_file_that_is_not(tmp_path):
    path = write_csv(tmp_path / "x.csv", ["a", "b"], [["1", "2"]])
    with pytest.raises(InputError, match="BilledCost, EffectiveCost, ChargePeriodStart"):
        read_actuals(path, format="focus")


def test_amount_that_is_not_a_number(tmp_path):
    path = write_csv(tmp_path / "f.csv", ["ChargePeriodStart", "ChargeCategory", "BilledCost", "EffectiveCost",
                                          "BillingCurrency"],
                     [["2026-01-01", "Usage", "12,50", "1", "EUR"]])
    with pytest.raises(InputError, match=r"12,50.*not a number"):
        summarize(path)

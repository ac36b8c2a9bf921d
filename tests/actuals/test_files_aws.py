"""AWS Cost and Usage Reports: legacy ``lineItem/...`` CSV, Athena/parquet names, CUR 2.0, and AWS's amortization
rules line type by line type (tests/fixtures/actuals/cur_commitments.csv, worked out by hand below), plus the
public samples in ../shared/reference/billing/aws/ checked against sums taken with the csv module."""

from __future__ import annotations

import gzip
import re

import pytest

from planner.actuals import detect_format, read_actuals, summarize
from planner.errors import InputError
from tests.actuals.conftest import csv_rows, fixture, num, sample, write_csv

CUR = "cur_commitments.csv"

# cur_commitments.csv, line by line (billed = unblended cost; effective as AWS's "amortized cost"):
#   l01 Usage                    billed  10.00  effective 10.00 (on demand)          list 10.00
#   l02 DiscountedUsage          billed   0.00  effective  6.00 reservation/EffectiveCost  list 10.00
#   l03 RIFee                    billed   8.00  effective  2.00 unused upfront 1.50 + unused recurring 0.50
#   l04 Fee (RI upfront)         billed 100.00  effective  0.00 (spread over the RI's usage)
#   l05 SavingsPlanCoveredUsage  billed   4.00  effective  2.50 savingsPlan/SavingsPlanEffectiveCost  list 4.00
#   l06 SavingsPlanNegation      billed  -4.00  effective  0.00                        list 0 (restates l05)
#   l07 SavingsPlanRecurringFee  billed   3.00  effective  0.50 commitment 3.00 - used 2.50
#   l08 Tax                      billed   1.20  effective  1.20
#   l09 Credit                   billed  -5.00  effective -5.00
#   l10 Usage (SageMaker, ml)    billed   7.00  effective  7.00                        list 7.00
# Purchases, tax and credit have no list price: FOCUS gives them their billed cost as list cost.
BY_CHARGE = {
    "Usage": (10 + 0 + 4 - 4 + 7, 10 + 6 + 2.5 + 0 + 7, 10 + 10 + 4 + 0 + 7),   # 17, 25.5, 31
    "Purchase": (8 + 100 + 3, 2 + 0 + 0.5, 8 + 100 + 3),                        # 111, 2.5, 111
    "Tax": (1.2, 1.2, 1.2),
    "Credit": (-5.0, -5.0, -5.0),
}
TOTAL = (124.2, 24.2, 138.2)  # sums of the four lines above


def _by_charge(path, **kw):
    s = summarize(path, by="charge", **kw)
    assert set(s["currency"]) == {"USD"}
    return {r.charge: (r.billed_cost, r.effective_cost, r.list_cost) for r in s.itertuples()}


def _approx(d):
    return {k: pytest.approx(v, abs=1e-9) for k, v in d.items()}


def test_legacy_cur_amortization_by_line_type():
    path = fixture(CUR)
    assert detect_format(path) == "aws-cur"
    assert _by_charge(path) == _approx(BY_CHARGE)
    s = summarize(path, by="month,provider")
    assert s.to_dict("records") == [{"month": "2026-03", "provider": "aws", "billed_cost": pytest.approx(TOTAL[0]),
                                     "effective_cost": pytest.approx(TOTAL[1]), "list_cost": pytest.approx(TOTAL[2]),
                                     "currency": "USD"}]


def test_legacy_cur_focus_columns():
    frame = read_actuals(fixture(CUR))
    rows = {r["ResourceId"]: r for r in frame.to_dict("records") if isinstance(r["ResourceId"], str)}
    assert rows["i-ri"]["PricingCategory"] == "Committed"
    assert rows["i-ri"]["CommitmentDiscountId"].endswith("reserved-instances/ri-1")
    assert rows["i-web"]["PricingCategory"] == "Standard"
    assert rows["i-web"]["Tags"] == {"team": "web"}  # user: prefix dropped, as users write the key
    assert rows["i-web"]["RegionId"] == "us-east-1"
    assert rows["ep-1"]["ServiceCategory"] == "AI and Machine Learning"
    assert set(frame["ProviderName"]) == {"AWS"}
    assert set(frame["x_Format"]) == {"aws-cur"}


def test_legacy_cur_by_service_and_tag():
    s = summarize(fixture(CUR), by="service,tag:team")
    rows = {(r.service, r.tag_team): (r.billed_cost, r.effective_cost) for r in s.itertuples()}
    assert rows == _approx({
        ("Amazon Elastic Compute Cloud", "web"): (10.0, 10.0),
        # l02-l06, l08, l09: 0 + 8 + 100 + 4 - 4 + 1.2 - 5 billed; 6 + 2 + 0 + 2.5 + 0 + 1.2 - 5 effective
        ("Amazon Elastic Compute Cloud", None): (104.2, 6.7),
        ("Amazon SageMaker", "ml"): (7.0, 7.0),
        ("Savings Plans for AWS Compute usage", None): (3.0, 0.5),
    })


def athena_name(name: str) -> str:
    """CUR column name as Athena and the parquet delivery write it: lineItem/UnblendedCost -> line_item_unblended_cost."""
    parts = re.split(r"[/:]", name)
    return "_".join(re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", p).lower() for p in parts)


def _typed_table(path):
    import pyarrow.csv as pcsv

    return pcsv.read_csv(path)


def test_athena_parquet_names(tmp_path):
    import pyarrow.parquet as pq

    t = _typed_table(fixture(CUR))
    t = t.rename_columns([athena_name(n) for n in t.column_names])
    assert "line_item_unblended_cost" in t.column_names and "resource_tags_user_team" in t.column_names
    path = tmp_path / "cur.parquet"
    pq.write_table(t, path, row_group_size=3)  # several row groups, joined into one batch when read
    assert detect_format(path) == "aws-athena"
    assert _by_charge(path) == _approx(BY_CHARGE)
    s = summarize(path, by="tag:team")
    assert {r.tag_team: r.billed_cost for r in s.itertuples()} == _approx({"web": 10.0, "ml": 7.0, None: 107.2})


def test_cur2_parquet_with_maps(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    t = _typed_table(fixture(CUR))
    tags = [{"user_team": v} if v else {} for v in t.column("resourceTags/user:team").to_pylist()]
    product = [{"product_name": v, "region": "us-east-1"} for v in t.column("product/ProductName").to_pylist()]
    t = t.drop_columns(["resourceTags/user:team", "product/ProductName"])
    t = t.rename_columns([athena_name(n) for n in t.column_names])
    t = t.append_column("resource_tags", pa.array([list(d.items()) for d in tags], pa.map_(pa.string(), pa.string())))
    t = t.append_column("product", pa.array([list(d.items()) for d in product], pa.map_(pa.string(), pa.string())))
    path = tmp_path / "cur2.parquet"
    pq.write_table(t, path)
    assert detect_format(path) == "aws-cur2"
    assert _by_charge(path) == _approx(BY_CHARGE)
    s = summarize(path, by="service,tag:team")
    got = {(r.service, r.tag_team): r.effective_cost for r in s.itertuples()}
    assert got[("Amazon SageMaker", "ml")] == pytest.approx(7.0)
    assert got[("Amazon Elastic Compute Cloud", "web")] == pytest.approx(10.0)
    frame = read_actuals(path)
    assert {"team": "ml"} in list(frame["Tags"])


def test_folder_of_gzipped_parts(tmp_path):
    lines = fixture(CUR).read_text().splitlines(keepends=True)
    folder = tmp_path / "cur" / "2026-03"
    folder.mkdir(parents=True)
    (folder / "part-1.csv").write_text("".join(lines[:6]))
    with gzip.open(folder / "part-2.csv.gz", "wt") as f:
        f.write("".join([lines[0], *lines[6:]]))
    assert _by_charge(tmp_path / "cur") == _approx(BY_CHARGE)


def test_net_unblended_cost_is_billed_when_present(tmp_path):
    path = write_csv(tmp_path / "net.csv",
                     ["bill/BillingPeriodStartDate", "lineItem/LineItemType", "lineItem/UsageStartDate",
                      "lineItem/ProductCode", "lineItem/CurrencyCode", "lineItem/UnblendedCost",
                      "lineItem/NetUnblendedCost"],
                     [["2026-03-01T00:00:00Z", "Usage", "2026-03-02T00:00:00Z", "AmazonEC2", "USD", "10.00", "9.00"],
                      ["2026-03-01T00:00:00Z", "Usage", "2026-03-02T01:00:00Z", "AmazonEC2", "USD", "5.00", ""]])
    # 9.00 (net, after a 10% discount) + 5.00 (no net given: the unblended cost)
    s = summarize(path, by="service")
    assert s["billed_cost"].tolist() == [pytest.approx(14.0)]
    assert s["effective_cost"].tolist() == [pytest.approx(14.0)]


def test_discounted_usage_without_reservation_columns_is_refused(tmp_path):
    path = write_csv(tmp_path / "ri.csv",
                     ["bill/BillingPeriodStartDate", "lineItem/LineItemType", "lineItem/UsageStartDate",
                      "lineItem/CurrencyCode", "lineItem/UnblendedCost"],
                     [["2026-03-01T00:00:00Z", "DiscountedUsage", "2026-03-02T00:00:00Z", "USD", "0"]])
    with pytest.raises(InputError, match="reservation/EffectiveCost"):
        summarize(path)


# -- public samples ------------------------------------------------------------------------------------------

def test_sample_legacy_cur_1281_rows():
    path = sample("aws/cur_legacy_csv_2023-11_anon_1281rows.csv")
    rows = csv_rows(path)
    assert len(rows) == 1281
    assert {r["lineItem/LineItemType"] for r in rows} == {"Usage", "Tax"}  # no commitments: effective = billed
    billed = sum(num(r["lineItem/UnblendedCost"]) for r in rows)
    tax = sum(num(r["lineItem/UnblendedCost"]) for r in rows if r["lineItem/LineItemType"] == "Tax")
    listed = sum(num(r["pricing/publicOnDemandCost"]) for r in rows)
    s3 = sum(num(r["lineItem/UnblendedCost"]) for r in rows if r["lineItem/ProductCode"] == "AmazonS3")
    assert detect_format(path) == "aws-cur"
    s = summarize(path, by="month,provider")
    assert s.to_dict("records") == [{"month": "2023-11", "provider": "aws", "billed_cost": pytest.approx(billed),
                                     "effective_cost": pytest.approx(billed), "list_cost": pytest.approx(listed),
                                     "currency": "USD"}]
    by_charge = _by_charge(path)
    assert by_charge["Tax"][0] == pytest.approx(tax) and tax == pytest.approx(0.08)  # 12 tax lines
    assert by_charge["Usage"][0] == pytest.approx(billed - tax)
    by_service = {r.service: r.billed_cost for r in summarize(path, by="service").itertuples()}
    assert by_service["Amazon Simple Storage Service"] == pytest.approx(s3)
    assert len(by_service) == 14  # 14 product codes, each with a product name


def test_sample_koku_nok_savings_plan():
    path = sample("aws/koku/koku_cur_legacy_2023-06_NOK_costcategories.csv")
    rows = csv_rows(path)
    # three SavingsPlanCoveredUsage hours: unblended 10 NOK each, savings-plan effective cost 0.1 each
    assert [r["lineItem/UnblendedCost"] for r in rows] == ["10", "10", "10"]
    assert [r["savingsPlan/SavingsPlanEffectiveCost"] for r in rows] == ["0.1", "0.1", "0.1"]
    s = summarize(path, by="month,service")
    assert s.to_dict("records") == [{"month": "2023-06", "service": "Amazon Elastic Compute Cloud",
                                     "billed_cost": 30.0, "effective_cost": pytest.approx(0.3), "list_cost": 30.0,
                                     "currency": "NOK"}]
    assert set(read_actuals(path)["PricingCategory"]) == {"Committed"}


def test_sample_koku_2018_cur():
    path = sample("aws/koku/koku_test_cur_2018-06.csv")
    rows = csv_rows(path)
    billed = sum(num(r["lineItem/UnblendedCost"]) for r in rows)
    s = summarize(path, by="month,service")
    assert s["month"].tolist() == ["2018-06"]
    assert s["service"].tolist() == ["Amazon Elastic Compute Cloud"]
    assert s["billed_cost"].iloc[0] == pytest.approx(billed)
    assert billed == pytest.approx(0.0827499841, abs=1e-9)


def test_sample_koku_athena_names():
    path = sample("aws/koku/koku_cur_legacy_2022-07_alt_columns.csv")
    assert detect_format(path) == "aws-athena"
    # two hours of Marketplace software at 0 cost; tag column resource_tags_aws_created_by
    s = summarize(path, by="month,service,tag:aws_created_by")
    assert s.to_dict("records") == [{"month": "2022-07", "service": "Red Hat® Enterprise Linux®",
                                     "tag_aws_created_by": "IAMUser:fake:and", "billed_cost": 0.0,
                                     "effective_cost": 0.0, "list_cost": 0.0, "currency": "USD"}]

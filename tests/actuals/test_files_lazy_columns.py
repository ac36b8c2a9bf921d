"""CUR parquet read with the product code as a late column, and months grouped batch by batch.

The product code (``line_item_product_code``) only names the service where the product name
(``product_product_name``) is missing, so for parquet row groups it is read for a batch only when that batch has
such a row. These tests write a small Athena-style CUR with pyarrow and check that:

* the service comes from the product code exactly in the rows without a product name, whether the batch is
  read with the code late (small row groups), all at once (slices of a large row group, CSV, ``read_actuals``),
  or in one batch;
* month x service totals are the same for batches of one billing month and batches spanning two months.

Every expected total is added up by hand in the comments beside ``ROWS``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest

from planner.actuals import detect_format, read_actuals, summarize
from tests.actuals.test_files_aws import athena_name

EC2, S3, SM = "Amazon Elastic Compute Cloud", "Amazon Simple Storage Service", "Amazon SageMaker"
FEB, MAR = datetime(2026, 2, 1), datetime(2026, 3, 1)

# (resource id, billing month, product code, product name, unblended cost); row groups of 3 rows shown apart.
# A product name that is null, empty or only spaces is missing: the service is the product code.
ROWS = [
    ("r00", FEB, "AmazonS3", S3, 1.25),               # row group 0: every row named
    ("r01", FEB, "AmazonEC2", EC2, 10.00),
    ("r02", FEB, "AmazonEC2", EC2, 4.50),
    ("r03", FEB, "AmazonEC2", None, 2.00),            # row group 1: two rows without a name
    ("r04", FEB, "AmazonS3", "", 0.75),
    ("r05", FEB, "AmazonSageMaker", SM, 8.00),
    ("r06", MAR, "AmazonEC2", EC2, 12.00),            # row group 2: every row named
    ("r07", MAR, "AmazonSageMaker", SM, 6.50),
    ("r08", MAR, "AmazonS3", S3, 1.50),
    ("r09", MAR, "AmazonEC2", EC2, 3.00),             # row group 3: every row named
    ("r10", MAR, "AmazonSageMaker", SM, 2.25),
    ("r11", MAR, "AmazonS3", S3, 0.40),
    ("r12", MAR, "AmazonSageMaker", None, 5.00),      # row group 4: two rows without a name
    ("r13", MAR, "AmazonEC2", EC2, 7.00),
    ("r14", MAR, "AmazonEC2", "  ", 1.10),
]
FEB_ROWS = 6  # r00-r05 are February, r06-r14 March

# Hand sums of the unblended costs above (all Usage lines: billed = effective = unblended):
#   2026-02  EC2 (named)   r01 10.00 + r02 4.50            = 14.50
#   2026-02  S3 (named)    r00 1.25                        =  1.25
#   2026-02  SageMaker     r05 8.00                        =  8.00
#   2026-02  AmazonEC2     r03 2.00 (name null)            =  2.00
#   2026-02  AmazonS3      r04 0.75 (name empty)           =  0.75     February: 26.50
#   2026-03  EC2 (named)   r06 12.00 + r09 3.00 + r13 7.00 = 22.00
#   2026-03  S3 (named)    r08 1.50 + r11 0.40             =  1.90
#   2026-03  SageMaker     r07 6.50 + r10 2.25             =  8.75
#   2026-03  AmazonEC2     r14 1.10 (name spaces)          =  1.10
#   2026-03  AmazonSageMaker r12 5.00 (name null)          =  5.00     March: 38.75
BY_MONTH_SERVICE = {
    ("2026-02", EC2): 14.50, ("2026-02", S3): 1.25, ("2026-02", SM): 8.00,
    ("2026-02", "AmazonEC2"): 2.00, ("2026-02", "AmazonS3"): 0.75,
    ("2026-03", EC2): 22.00, ("2026-03", S3): 1.90, ("2026-03", SM): 8.75,
    ("2026-03", "AmazonEC2"): 1.10, ("2026-03", "AmazonSageMaker"): 5.00,
}
# The same per service over both months: EC2 14.50 + 22.00; S3 1.25 + 1.90; SageMaker 8.00 + 8.75;
# AmazonEC2 2.00 + 1.10; AmazonS3 0.75; AmazonSageMaker 5.00.
BY_SERVICE = {EC2: 36.50, S3: 3.15, SM: 16.75, "AmazonEC2": 3.10, "AmazonS3": 0.75, "AmazonSageMaker": 5.00}
# The service each row must get: its name, or its code where the name is null, empty or blank.
SERVICE_OF = {"r00": S3, "r01": EC2, "r02": EC2, "r03": "AmazonEC2", "r04": "AmazonS3", "r05": SM,
              "r06": EC2, "r07": SM, "r08": S3, "r09": EC2, "r10": SM, "r11": S3,
              "r12": "AmazonSageMaker", "r13": EC2, "r14": "AmazonEC2"}


def cur_table(times: str = "billing_period", names: str = "athena"):
    """ROWS as a CUR table, with Athena/parquet column names (``names="athena"``: ``line_item_product_code``) or
    the legacy CUR ones (``"legacy"``: ``lineItem/ProductCode``).

    ``times``: ``billing_period`` (a billing period start in every row, usage hourly), ``billing_period_gap``
    (the billing period null in r04 and r10: their month comes from the usage start), ``usage_start`` (no
    billing period column: months from hourly usage starts), ``usage_start_same`` (no billing period column,
    every usage start at 00:00 on the first of its month)."""
    import pyarrow as pa

    n = len(ROWS)
    months = [r[1] for r in ROWS]
    if times == "usage_start_same":
        starts = months
    else:  # hour i of the month for the i-th row of that month
        starts = [m + timedelta(hours=i if i < FEB_ROWS else i - FEB_ROWS) for i, m in enumerate(months)]
    ts = pa.timestamp("ms")
    cols = {
        "identity/LineItemId": pa.array([f"l{r[0]}" for r in ROWS]),
        "lineItem/LineItemType": pa.array(["Usage"] * n),
        "lineItem/UsageStartDate": pa.array(starts, ts),
        "lineItem/UsageEndDate": pa.array([s + timedelta(hours=1) for s in starts], ts),
        "lineItem/ResourceId": pa.array([r[0] for r in ROWS]),
        "lineItem/ProductCode": pa.array([r[2] for r in ROWS]),
        "product/ProductName": pa.array([r[3] for r in ROWS], pa.string()),
        "lineItem/CurrencyCode": pa.array(["USD"] * n),
        "lineItem/UnblendedCost": pa.array([r[4] for r in ROWS], pa.float64()),
    }
    if times in ("billing_period", "billing_period_gap"):
        gap = {"r04", "r10"} if times == "billing_period_gap" else set()
        bp = [None if r[0] in gap else r[1] for r in ROWS]
        cols = {"bill/BillingPeriodStartDate": pa.array(bp, ts), **cols}
    if names == "athena":
        cols = {athena_name(k): v for k, v in cols.items()}
    return pa.table(cols)


def write_parquet(path, table, *, row_group_size: int | None = None, groups: list[int] | None = None):
    """``table`` as parquet in row groups of ``row_group_size`` rows, or of the sizes in ``groups``."""
    import pyarrow.parquet as pq

    if groups is None:
        pq.write_table(table, path, row_group_size=row_group_size or table.num_rows)
    else:
        assert sum(groups) == table.num_rows
        with pq.ParquetWriter(path, table.schema) as w:
            start = 0
            for g in groups:
                w.write_table(table.slice(start, g), row_group_size=g)
                start += g
    assert pq.ParquetFile(path).metadata.num_row_groups == (len(groups) if groups else
                                                            -(-table.num_rows // (row_group_size or table.num_rows)))
    return path


@pytest.fixture
def late_reads(monkeypatch):
    """The row groups of each batch whose product code was read late (a list of tuples, in reading order)."""
    from planner.actuals import sources

    seen: list[tuple[tuple[int, ...], str]] = []
    real = sources._read_later

    def spy(pf, groups, name, where):
        seen.append((tuple(groups), name))
        return real(pf, groups, name, where)

    monkeypatch.setattr(sources, "_read_later", spy)
    return seen


@pytest.fixture
def batch_months(monkeypatch):
    """The distinct months in each batch's partial sums (one set per batch reduced, in reading order)."""
    from planner.actuals import summary

    seen: list[set[int]] = []
    real = summary.reduce_batch

    def spy(cols, dims, month, where):
        out = real(cols, dims, month, where)
        if "month" in out.columns:
            seen.append({int(m) for m in out["month"]})
        return out

    monkeypatch.setattr(summary, "reduce_batch", spy)
    return seen


def batch_rows(monkeypatch, rows: int | None) -> None:
    """At most ``rows`` rows per parquet batch (None: the reader's default)."""
    if rows is not None:
        from planner.actuals import sources

        monkeypatch.setattr(sources, "PARQUET_BATCH", rows)


def by_month_service(frame: pd.DataFrame) -> dict[tuple[str, str], float]:
    assert set(frame["currency"]) == {"USD"}
    assert list(frame["billed_cost"]) == list(frame["effective_cost"])  # Usage lines only
    out = {(r.month, r.service): r.billed_cost for r in frame.itertuples()}
    assert len(out) == len(frame)
    return out


def approx(d: dict) -> dict:
    return {k: pytest.approx(v, abs=1e-9) for k, v in d.items()}


# -- 1. the service from the product code exactly where the name is missing ---------------------------------

@pytest.mark.parametrize(("names", "fmt", "code"), [("athena", "aws-athena", "line_item_product_code"),
                                                  ("legacy", "aws-cur", "lineItem/ProductCode")])
@pytest.mark.parametrize(("rows", "late_groups"), [
    (3, [(1,), (4,)]),  # batches of one row group: the code read for row groups 1 and 4 only (unnamed rows)
    (6, [(0, 1), (4,)]),  # batches 0+1, 2+3, 4: read for the first and the last, not for 2+3 (all named)
    (None, [(0, 1, 2, 3, 4)]),  # the default: the five row groups in one batch, which has unnamed rows
])
def test_product_code_names_the_service_where_the_name_is_missing(tmp_path, monkeypatch, late_reads, rows,
                                                                  late_groups, names, fmt, code):
    path = write_parquet(tmp_path / "cur.parquet", cur_table(names=names), row_group_size=3)
    assert detect_format(path) == fmt
    batch_rows(monkeypatch, rows)

    s = summarize(path, by="month,service")
    assert by_month_service(s) == approx(BY_MONTH_SERVICE)
    assert s["list_cost"].isna().all()  # the file has no public on-demand cost: missing, never 0
    assert late_reads == [(g, code) for g in late_groups]

    s = summarize(path, by="service")
    assert {r.service: r.billed_cost for r in s.itertuples()} == approx(BY_SERVICE)

    late_reads.clear()
    frame = read_actuals(path)
    assert dict(zip(frame["ResourceId"], frame["ServiceName"], strict=True)) == SERVICE_OF
    assert late_reads == []  # read_actuals wants ServiceCategory, keyed on the code: read with every batch
    # ServiceCategory comes from the product code in every row, named or not
    cats = dict(zip(frame["ResourceId"], frame["ServiceCategory"], strict=True))
    assert cats["r01"] == cats["r03"] == cats["r14"] == "Compute"
    assert cats["r05"] == cats["r12"] == "AI and Machine Learning"
    assert frame["BilledCost"].sum() == pytest.approx(26.50 + 38.75)  # the two months' hand totals


def test_batches_where_every_row_is_named_never_read_the_code(tmp_path, monkeypatch, late_reads):
    """A file whose every row has a product name: the code column is never read, and the services are the names."""
    import pyarrow as pa

    t = cur_table()
    names = [r[3] if r[3] and r[3].strip() else {"AmazonEC2": EC2, "AmazonS3": S3, "AmazonSageMaker": SM}[r[2]]
             for r in ROWS]
    t = t.set_column(t.schema.get_field_index("product_product_name"), "product_product_name",
                     pa.array(names, pa.string()))
    path = write_parquet(tmp_path / "named.parquet", t, row_group_size=3)
    batch_rows(monkeypatch, 6)
    s = summarize(path, by="service")
    # every unnamed row given its service's name: EC2 36.50 + 3.10, S3 3.15 + 0.75, SageMaker 16.75 + 5.00
    assert {r.service: r.billed_cost for r in s.itertuples()} == approx({EC2: 39.60, S3: 3.90, SM: 21.75})
    assert late_reads == []


# -- 2. one large row group (read at once) and small row groups (code read late) agree ----------------------

@pytest.mark.parametrize("by", ["month,service", "service", "month,service,account,charge"])
def test_one_large_row_group_and_small_row_groups_agree(tmp_path, monkeypatch, late_reads, by):
    import pyarrow.csv as pcsv

    t = cur_table()
    big = write_parquet(tmp_path / "big.parquet", t)                      # one row group of 15 rows
    small = write_parquet(tmp_path / "small.parquet", t, row_group_size=3)  # five row groups of 3
    csv = tmp_path / "cur.csv"
    pcsv.write_csv(t, csv)                                                  # CSV: never read late

    got = {"big, one batch": summarize(big, by=by), "small, one batch": summarize(small, by=by),
           "csv": summarize(csv, by=by)}
    assert late_reads == [((0,), "line_item_product_code"), ((0, 1, 2, 3, 4), "line_item_product_code")]
    late_reads.clear()
    batch_rows(monkeypatch, 6)
    got["big, sliced"] = summarize(big, by=by)  # a row group larger than a batch: sliced, every column at once
    assert late_reads == []
    got["small, three batches"] = summarize(small, by=by)  # code read late for 2 of the 3 batches
    assert late_reads == [((0, 1), "line_item_product_code"), ((4,), "line_item_product_code")]
    got["frame"] = summarize(read_actuals(small), by=by)

    reference = got.pop("big, sliced")
    for name, s in got.items():
        pd.testing.assert_frame_equal(s, reference, obj=name)
    if by == "month,service":
        assert by_month_service(reference) == approx(BY_MONTH_SERVICE)
    elif by == "service":
        assert {r.service: r.billed_cost for r in reference.itertuples()} == approx(BY_SERVICE)
    else:  # one account (none in the file: null) and one charge category: the month x service rows again
        assert set(reference["charge"]) == {"Usage"} and set(reference["account"]) == {None}
        assert by_month_service(reference) == approx(BY_MONTH_SERVICE)


# -- 3. batches of one month (fast path) and batches spanning two months agree ------------------------------

@pytest.mark.parametrize("times", ["billing_period", "billing_period_gap", "usage_start", "usage_start_same"])
def test_one_month_batches_and_two_month_batches_agree(tmp_path, monkeypatch, batch_months, times):
    t = cur_table(times)
    spanning = write_parquet(tmp_path / "spanning.parquet", t)  # one row group, February and March
    per_month = write_parquet(tmp_path / "per_month.parquet", t, groups=[FEB_ROWS, len(ROWS) - FEB_ROWS])

    one = summarize(spanning, by="month,service")
    assert [len(m) for m in batch_months] == [2]  # one batch with both months
    batch_months.clear()
    batch_rows(monkeypatch, len(ROWS) - FEB_ROWS)  # 9 rows a batch: the 6- and 9-row groups are not joined
    split = summarize(per_month, by="month,service")
    assert [len(m) for m in batch_months] == [1, 1]  # a batch per month
    assert batch_months[0] != batch_months[1]

    pd.testing.assert_frame_equal(split, one)
    assert by_month_service(one) == approx(BY_MONTH_SERVICE)

    # one month picked out: the batch of the other month gives nothing, the spanning batch its part
    feb = {k[1]: v for k, v in BY_MONTH_SERVICE.items() if k[0] == "2026-02"}
    mar = {k[1]: v for k, v in BY_MONTH_SERVICE.items() if k[0] == "2026-03"}
    for path in (spanning, per_month):
        for month, want in (("2026-02", feb), ("2026-03", mar)):
            s = summarize(path, by="service", month=month)
            assert {r.service: r.billed_cost for r in s.itertuples()} == approx(want), (path.name, month)


def test_month_totals_across_more_batches_than_months(tmp_path, monkeypatch, batch_months):
    """Row groups of 3 in batches of 3: February in two batches, March in three, every batch one month; the
    per-month totals add up across batches."""
    path = write_parquet(tmp_path / "cur.parquet", cur_table(), row_group_size=3)
    batch_rows(monkeypatch, 3)
    s = summarize(path, by="month")
    assert [len(m) for m in batch_months] == [1, 1, 1, 1, 1]
    # February 26.50 and March 38.75 (the hand totals above)
    assert {r.month: r.billed_cost for r in s.itertuples()} == approx({"2026-02": 26.50, "2026-03": 38.75})

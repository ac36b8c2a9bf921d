"""Spend summaries: streaming in bounded batches, the dask engine giving the local result, currencies, tags,
months, the frame path, and files that are not billing exports."""

from __future__ import annotations

import gzip

import pytest

from planner.actuals import read_actuals, summarize
from planner.errors import InputError
from tests.actuals.conftest import fixture, write_csv
from tests.actuals.test_files_aws import CUR, athena_name

BY = "month,provider,service,charge,tag:team"


def _records(frame):
    return frame.to_dict("records")


@pytest.fixture
def cur_parquet(tmp_path):
    """The hand-made CUR written as Athena-style parquet in row groups of 2 rows (5 row groups)."""
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    t = pcsv.read_csv(fixture(CUR))
    t = t.rename_columns([athena_name(n) for n in t.column_names])
    path = tmp_path / "cur.parquet"
    pq.write_table(t, path, row_group_size=2)
    return path


def test_streaming_batches_stay_bounded_and_add_up(cur_parquet, monkeypatch):
    from planner.actuals import sources, summary

    whole = summarize(cur_parquet, by=BY)
    seen: list[int] = []
    reduce_batch = summary.reduce_batch

    def spy(cols, *a, **kw):
        seen.append(len(cols["BilledCost"]))
        return reduce_batch(cols, *a, **kw)

    monkeypatch.setattr(sources, "PARQUET_BATCH", 3)  # at most 3 rows a batch: row groups of 2 are not joined
    monkeypatch.setattr(summary, "reduce_batch", spy)
    monkeypatch.setattr(summary, "_COMBINE_EVERY", 2)  # partial sums merged along the way
    assert _records(summarize(cur_parquet, by=BY)) == _records(whole)
    assert seen == [2, 2, 2, 2, 2]  # 10 lines in 5 batches, none of them the whole file


def test_streaming_csv_in_small_blocks(tmp_path, monkeypatch):
    from planner.actuals import sources, summary

    path = fixture(CUR)
    whole = summarize(path, by=BY)
    seen: list[int] = []
    reduce_batch = summary.reduce_batch

    def spy(cols, *a, **kw):
        seen.append(len(cols["BilledCost"]))
        return reduce_batch(cols, *a, **kw)

    monkeypatch.setattr(summary, "reduce_batch", spy)
    monkeypatch.setattr(sources, "CSV_BLOCK", 1200)  # the header and a few lines per block
    assert _records(summarize(path, by=BY)) == _records(whole)
    assert len(seen) > 1 and sum(seen) == 10  # the 10 lines of the 3,120-byte file in several blocks


def test_summaries_never_build_the_full_frame(cur_parquet, monkeypatch):
    from planner.actuals import reader

    def refuse(*a, **kw):
        raise AssertionError("summarize must stream, not read the whole file into one frame")

    monkeypatch.setattr(reader, "read_actuals", refuse)
    monkeypatch.setattr("pandas.read_csv", refuse)
    monkeypatch.setattr("pandas.read_parquet", refuse)
    assert len(summarize(cur_parquet, by=BY)) > 0


@pytest.mark.parametrize("source", ["csv", "parquet"])
def test_dask_engine_gives_the_local_result(source, cur_parquet, tmp_path):
    dask = pytest.importorskip("dask")
    pytest.importorskip("dask.dataframe")
    paths = [cur_parquet] if source == "parquet" else [fixture(CUR), fixture("focus_small.csv")]
    local = summarize(paths, by=BY)
    with dask.config.set(scheduler="synchronous"):
        spread = summarize(paths, by=BY, engine="dask")
    assert _records(spread) == _records(local)


def test_dask_engine_on_a_local_cluster(cur_parquet):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as c, \
            distributed.Client(c):
        spread = summarize(cur_parquet, by="month,service", engine="dask")
    assert _records(spread) == _records(summarize(cur_parquet, by="month,service"))


def test_frame_path_matches_the_file_path():
    path = fixture("focus_small.csv")
    assert _records(summarize(read_actuals(path), by=BY)) == _records(summarize(path, by=BY))


# -- currencies -------------------------------------------------------------------------------------------

def _two_currencies(tmp_path):
    header = ["BillingPeriodStart", "ChargePeriodStart", "ProviderName", "ServiceName", "ChargeCategory",
              "BilledCost", "EffectiveCost", "ListCost", "BillingCurrency"]
    return write_csv(tmp_path / "fx.csv", header, [
        ["2026-03-01", "2026-03-02", "Microsoft", "Virtual Machines", "Usage", "100", "90", "120", "EUR"],
        ["2026-03-01", "2026-03-02", "AWS", "Amazon EC2", "Usage", "50", "50", "60", "USD"],
        ["2026-03-01", "2026-03-03", "AWS", "Amazon EC2", "Usage", "10", "10", "10", "usd"],
    ])


def test_mixed_currencies_without_a_rate_are_refused(tmp_path):
    with pytest.raises(InputError, match=r"2 currencies \(EUR, USD\).*--fx EUR=RATE"):
        summarize(_two_currencies(tmp_path), by="month")


def test_mixed_currencies_kept_apart_on_request(tmp_path):
    s = summarize(_two_currencies(tmp_path), by="month,currency")
    assert {r["currency"]: r["billed_cost"] for r in _records(s)} == {"EUR": 100.0, "USD": 60.0}


def test_mixed_currencies_converted_with_a_rate(tmp_path):
    s = summarize(_two_currencies(tmp_path), by="month", fx={"EUR": 1.08})
    # 100 EUR x 1.08 = 108 USD, + 50 + 10 USD; effective 90 x 1.08 + 60; list 120 x 1.08 + 70
    assert _records(s) == [{"month": "2026-03", "billed_cost": pytest.approx(168.0),
                            "effective_cost": pytest.approx(157.2), "list_cost": pytest.approx(199.6),
                            "currency": "USD"}]


def test_a_rate_missing_for_one_currency(tmp_path):
    with pytest.raises(InputError, match="no exchange rate for EUR"):
        summarize(_two_currencies(tmp_path), by="month", fx={"GBP": 1.27})


def test_charges_without_a_currency(tmp_path):
    path = write_csv(tmp_path / "nocur.csv", ["ChargePeriodStart", "ChargeCategory", "BilledCost", "EffectiveCost",
                                              "BillingCurrency"],
                     [["2026-03-02", "Usage", "5", "5", "USD"], ["2026-03-02", "Usage", "7", "7", ""]])
    with pytest.raises(InputError, match="--billing-currency"):
        summarize(path, by="month")
    s = summarize(path, by="month", billing_currency="usd")
    assert s[["month", "billed_cost", "effective_cost", "currency"]].to_dict("records") == [
        {"month": "2026-03", "billed_cost": 12.0, "effective_cost": 12.0, "currency": "USD"}]


# -- dimensions, months, tags -----------------------------------------------------------------------------

def test_unknown_dimension_suggests_one():
    with pytest.raises(InputError, match="service"):
        summarize(fixture("focus_small.csv"), by="month,servce")


def test_month_not_yyyy_mm():
    with pytest.raises(InputError, match="YYYY-MM"):
        summarize(fixture("focus_small.csv"), month="03/2026")


def test_month_without_charges():
    with pytest.raises(InputError, match="no charges in 2025-12"):
        summarize(fixture("focus_small.csv"), month="2025-12")


def test_tag_that_matches_nothing_names_the_keys_there_are():
    with pytest.raises(InputError, match=r"no charge has tag 'owner' \(tag keys in the data: env, team\)"):
        summarize(fixture("focus_small.csv"), by="month,tag:owner")
    with pytest.raises(InputError, match="tag keys in the data: team"):
        summarize(fixture(CUR), by="tag:owner")


def test_tag_keys_match_without_regard_to_case():
    s = summarize(fixture("focus_small.csv"), by="tag:TEAM", month="2026-03")
    assert {r["tag_TEAM"]: r["billed_cost"] for r in _records(s)} == {"ranking": 40.0, "search": 30.0}


# -- files that are not billing exports -----------------------------------------------------------------------

def test_unknown_format_names_the_formats_tried(tmp_path):
    path = write_csv(tmp_path / "x.csv", ["date", "amount", "team"], [["2026-03-01", "5", "ml"]])
    with pytest.raises(InputError) as exc:
        summarize(path)
    msg = str(exc.value)
    for name in ("focus", "aws-cur", "aws-cur2", "aws-athena", "azure", "gcp-bigquery", "oci"):
        assert name in msg
    assert "x.csv" in msg and "--input-format" in msg


def test_unknown_forced_format_suggests_one(tmp_path):
    with pytest.raises(InputError, match="aws-cur"):
        summarize(fixture(CUR), format="aws-curr")


@pytest.mark.parametrize(("content", "message"), [
    (b"", "empty"),
    (b"\xef\xbb\xbf\r\n", "empty"),
    (b"PK\x03\x04zipzipzip", "zip"),
    ("BilledCost,EffectiveCost\n".encode("utf-16"), "UTF-16"),
])
def test_empty_and_unreadable_files(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        summarize(path)


def test_header_without_rows(tmp_path):
    path = tmp_path / "head.csv.gz"
    with gzip.open(path, "wt") as f:
        f.write(fixture(CUR).read_text().splitlines()[0] + "\n")
    with pytest.raises(InputError, match="no rows"):
        summarize(path)


def test_missing_file_and_empty_folder(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        summarize(tmp_path / "nope.csv")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no .csv"):
        summarize(tmp_path / "empty")


def test_row_with_too_many_fields(tmp_path):
    path = tmp_path / "long.csv"
    text = fixture(CUR).read_text().splitlines()
    path.write_text("\n".join([*text[:3], text[3] + ",extra,fields", *text[4:]]) + "\n")
    with pytest.raises(InputError, match="fields where the header has"):
        summarize(path)


def test_row_with_trailing_fields_left_out_is_read(tmp_path):
    # some exporters drop trailing empty fields; the row is read as if they were empty
    path = tmp_path / "short.csv"
    lines = fixture(CUR).read_text().splitlines()
    lines[9] = lines[9].rstrip(",")  # l09, the credit: its trailing empty fields dropped
    path.write_text("\n".join(lines) + "\n")
    assert _records(summarize(path, by=BY)) == _records(summarize(fixture(CUR), by=BY))

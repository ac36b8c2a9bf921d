"""Hostile price files for `catalog import`: absurd numbers in rows, and files that cannot be read as CSV text.

Rows whose values are not prices, counts or sizes are skipped, named (line and value) and counted in the
summary; the snapshot never holds them. A file that cannot be read is one line `Error: <file>: ...`, exit 2,
and nothing is written. The prices in the good rows are SkyPilot reference figures (us-east-1 on-demand,
USD/h: c7i.large 0.08925, g5.xlarge 1.006 -- skypilot-org/skypilot-catalog v8 aws/vms.csv, e385a0d).
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
import io
import math
import os
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from planner.cli import main
from planner.errors import InputError, SourceError
from pricing import store
from pricing.sources.aws_bulk import BulkStats, parse_bulk_csv
from pricing.sources.skypilot import import_skypilot_csv

REPO = Path(__file__).resolve().parents[1]
AWS_HEADER = ("InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,GpuInfo,Price,SpotPrice,Region,"
              "AvailabilityZone,Arch")
GCP_HEADER = "InstanceType,vCPUs,MemoryGiB,AcceleratorName,AcceleratorCount,GpuInfo,Region,AvailabilityZone,Price,SpotPrice"
GOOD = "c7i.large,,,2.0,4.0,,0.08925,,us-east-1,use1-az1,x86_64"  # line 2 of every file below


def sky_row(**values: str) -> str:
    """A g5.xlarge row (1.006 USD/h, 4 vCPUs, 16 GiB, 1 A10G) with some values replaced."""
    row = {"InstanceType": "g5.xlarge", "AcceleratorName": "A10G", "AcceleratorCount": "1.0", "vCPUs": "4.0",
           "MemoryGiB": "16.0", "GpuInfo": "", "Price": "1.006", "SpotPrice": "", "Region": "us-east-1",
           "AvailabilityZone": "use1-az1", "Arch": "x86_64"} | values
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow([row[c] for c in AWS_HEADER.split(",")])
    return out.getvalue()


def run(*args: str) -> object:
    return CliRunner().invoke(main, ["catalog", *args])


def import_sky(path: Path, name: str = "sky") -> object:
    return run("import", "--format", "skypilot", str(path), "--provider", "aws", "--name", name, "--standalone",
               "--as-of", "2026-11-26")


def one_line_error(r: object, starts: str) -> str:
    assert r.exit_code == 2, r.output  # type: ignore[attr-defined]
    err: str = r.stderr  # type: ignore[attr-defined]
    assert err.count("\n") == 1 and err.startswith(starts), err
    assert "Traceback" not in r.output  # type: ignore[attr-defined]
    return err


# -- absurd values in SkyPilot rows ------------------------------------------------------------------

ABSURD = [
    ("Price", "1e999999999", "Price '1e999999999' is above 100000 USD per hour"),
    ("Price", "NaN", "Price 'NaN' is not a finite number"),
    ("Price", "Infinity", "Price 'Infinity' is not a finite number"),
    ("Price", "-1.006", "Price '-1.006' is negative"),
    ("Price", "1e-999999999", "Price '1e-999999999' is below 0.000001 USD per hour (too small to be a price)"),
    ("Price", "abc", "Price 'abc' is not a number"),
    ("SpotPrice", "-Infinity", "SpotPrice '-Infinity' is not a finite number"),
    ("AcceleratorCount", "-8", "AcceleratorCount '-8' is negative"),
    ("AcceleratorCount", "nan", "AcceleratorCount 'nan' is not a finite number"),
    ("AcceleratorCount", "1e999", "AcceleratorCount '1e999' is not a finite number"),
    ("AcceleratorCount", "4096", "AcceleratorCount '4096' is above 128"),
    ("vCPUs", "nan", "vCPUs 'nan' is not a finite number"),
    ("vCPUs", "-0.0", "vCPUs '-0.0' is not positive"),
    ("vCPUs", "inf", "vCPUs 'inf' is not a finite number"),
    ("MemoryGiB", "-16", "MemoryGiB '-16' is not positive"),
    ("MemoryGiB", "1e308", "MemoryGiB '1e308' is above 100000"),
    ("InstanceType", "", "InstanceType is empty"),
    ("InstanceType", "g5 xlarge", "InstanceType 'g5 xlarge' is not a name"),
    ("InstanceType", "g5.xlarge\x1b[31m", "InstanceType 'g5.xlarge\\x1b[31m' is not a name"),
    ("Region", "", "Region is empty"),
]


@pytest.mark.parametrize(("column", "value", "why"), ABSURD, ids=[f"{c}={v!r}" for c, v, _ in ABSURD])
def test_absurd_value_skips_its_row_and_is_named(tmp_path: Path, column: str, value: str, why: str) -> None:
    p = tmp_path / "vms.csv"
    p.write_text(f"{AWS_HEADER}\n{GOOD}\n{sky_row(**{column: value})}\n")
    r = import_sky(p)
    assert r.exit_code == 0, r.output  # type: ignore[attr-defined]
    out: str = r.stdout  # type: ignore[attr-defined]
    assert f"  skipped rows: 1 (invalid {column}: 1)\n" in out
    assert f"  invalid values (rows skipped): line 3: {why}" in out
    cat = store.load_snapshot("sky")
    assert [(o.instance_type, o.price) for o in cat.offers] == [("c7i.large", Decimal("0.08925"))]
    manifest = store.read_manifest("sky")
    assert manifest["extra"]["skipped_rows"] == 1 and manifest["offers"] == 1


def test_negative_zero_is_zero(tmp_path: Path) -> None:
    # AcceleratorCount -0.0 is 0 accelerators (row kept); a SpotPrice of -0.0 is 0, which is no price
    p = tmp_path / "vms.csv"
    p.write_text(f"{AWS_HEADER}\n{GOOD}\n{sky_row(InstanceType='m7i.xlarge', AcceleratorName='', AcceleratorCount='-0.0', SpotPrice='-0.0', Price='0.2016')}\n")
    result = import_skypilot_csv(p, "aws", as_of="2026-11-26")
    m7i = [o for o in result.offers if o.instance_type == "m7i.xlarge"]
    assert [(o.purchase_option, o.price, o.accelerator_count) for o in m7i] == [("on_demand", Decimal("0.2016"), 0)]
    assert str(m7i[0].price) == "0.2016" and result.invalid == [] and result.counts["zero_price"] == 1


def test_zero_price_is_no_price_never_a_free_offer(tmp_path: Path) -> None:
    p = tmp_path / "vms.csv"
    p.write_text(f"{AWS_HEADER}\n{GOOD}\n{sky_row(Price='0.000', SpotPrice='0')}\n")
    r = import_sky(p)
    assert r.exit_code == 0, r.output  # type: ignore[attr-defined]
    assert "2 zone prices of 0 taken as no price" in r.stdout  # type: ignore[attr-defined]
    g5 = [o for o in store.load_snapshot("sky").offers if o.instance_type == "g5.xlarge"]
    assert [(o.purchase_option, o.price) for o in g5] == [("on_demand", None)]  # unpriced, not $0


def test_every_number_in_the_snapshot_is_finite(tmp_path: Path) -> None:
    rows = [sky_row(**{c: v}) for c, v, _ in ABSURD]
    p = tmp_path / "vms.csv"
    p.write_text("\n".join([AWS_HEADER, GOOD, *rows]) + "\n")
    result = import_skypilot_csv(p, "aws", as_of="2026-11-26")
    assert result.counts["invalid"] == len(ABSURD) == len(result.invalid)
    assert result.counts["rows"] == 1 + len(ABSURD) and result.counts["offers"] == 1
    for o in result.offers:
        assert o.price is None or (o.price.is_finite() and o.price > 0)
        assert all(x is None or math.isfinite(x) and x > 0 for x in (o.vcpus, o.memory_gib))
        assert o.accelerator_count >= 0


def test_all_rows_absurd_is_refused_and_nothing_written(tmp_path: Path) -> None:
    p = tmp_path / "vms.csv"
    p.write_text(f"{AWS_HEADER}\n{sky_row(Price='nan')}\n{sky_row(vCPUs='-4')}\n")
    r = import_sky(p)
    one_line_error(r, f"Error: {p}: no usable rows (2 rows with invalid values, the first at line 2: "
                      "Price 'nan' is not a finite number)")
    assert store.list_snapshots() == [] and store.active_name() == "embedded"


def test_gcp_gpu_row_with_absurd_price_leaves_its_host_unpriced(tmp_path: Path) -> None:
    # a3-highgpu-8g host row 9.46006 + its H100 x 8 row (us-central1, SkyPilot reference): here the GPU
    # row's price is NaN, so the row is skipped and the machine's price is unknown -- unpriced, never the
    # host's part alone, and no spot offer (the skipped row's spot price is not used either)
    p = tmp_path / "vms.csv"
    p.write_text(f"{GCP_HEADER}\n"
                 "a3-highgpu-8g,208.0,1872.0,,,,us-central1,us-central1-a,9.46006,3.86318\n"
                 ",,,H100,8,,us-central1,us-central1-a,NaN,32.0104\n"
                 ",,,tpu-v5p-8,1,tpu-v5p-8,us-central1,us-central1-a,Infinity,3.3\n")
    result = import_skypilot_csv(p, "gcp", as_of="2026-05-20")
    a3 = {o.purchase_option: o.price for o in result.offers}
    assert a3 == {"on_demand": None}
    assert result.invalid == [(3, "Price 'NaN' is not a finite number")]
    assert (4, "TPU slice (not a VM offer)") in result.skipped  # TPU rows are never offers, whatever they hold


def test_gpu_info_with_a_huge_number_is_not_a_crash(tmp_path: Path) -> None:
    info = '"{\'Gpus\': [{\'MemoryInfo\': {\'SizeInMiB\': ' + "9" * 5000 + "}}]}\""
    p = tmp_path / "vms.csv"
    p.write_text(f"{AWS_HEADER}\n{GOOD}\ng5.xlarge,A10G,1.0,4.0,16.0,{info},1.006,,us-east-1,use1-az1,x86_64\n")
    result = import_skypilot_csv(p, "aws", as_of="2026-11-26")
    assert {o.instance_type for o in result.offers} == {"c7i.large", "g5.xlarge"}


# -- AWS bulk price lists -------------------------------------------------------------------------------

_spec = importlib.util.spec_from_file_location("gen_aws_bulk_csv", REPO / "bench" / "gen_aws_bulk_csv.py")
assert _spec and _spec.loader
_gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_gen)
BULK_HEADER: list[str] = _gen.HEADER
META = ('"FormatVersion","v1.0"\n"Disclaimer","This pricing list is for informational purposes only."\n'
        '"Publication Date","2025-09-12T22:53:08Z"\n"Version","20250912225308"\n"OfferCode","AmazonEC2"\n')


def bulk_text(prices: list[tuple[str, str]], meta: str = META) -> str:
    out = io.StringIO()
    w = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    w.writerow(BULK_HEADER)
    for sku, price in prices:
        r = {"Product Family": "Compute Instance", "Operating System": "Linux", "Tenancy": "Shared",
             "Pre Installed S/W": "NA", "CapacityStatus": "Used", "Currency": "USD", "Unit": "Hrs",
             "Region Code": "us-east-1", "EffectiveDate": "2025-09-01", "vCPU": "4", "Memory": "16 GiB",
             "SKU": sku, "OfferTermCode": "JRTCKXETXF", "RateCode": f"{sku}.JRTCKXETXF.6YS6EN2CT7",
             "TermType": "OnDemand", "MarketOption": "OnDemand", "Instance Type": "g5.xlarge", "PricePerUnit": price}
        w.writerow([r.get(c, "") for c in BULK_HEADER])
    return meta + out.getvalue()


def test_bulk_rows_with_absurd_prices_are_skipped_and_counted(tmp_path: Path) -> None:
    p = tmp_path / "index.csv"
    # g5.xlarge us-east-1 on-demand 1.006 USD/h (AWS price list of 2025-09-12, as in test_aws_bulk)
    p.write_text(bulk_text([("GOOD", "1.0060000000"), ("HUGE", "1e999999999"), ("NAN", "NaN"), ("NEG", "-1"),
                            ("TEXT", "free"), ("NEGZERO", "-0.0")]))
    stats = BulkStats()
    offers = list(parse_bulk_csv(p, stats=stats))
    # GOOD is an on_demand and a capacity_reservation offer; -0.0 is 0, a zero price (never an offer)
    assert [(o.sku, o.purchase_option, o.price) for o in offers] == [
        ("GOOD.JRTCKXETXF.6YS6EN2CT7", "on_demand", Decimal("1.0060000000")),
        ("GOOD.JRTCKXETXF.6YS6EN2CT7", "capacity_reservation", Decimal("1.0060000000"))]
    assert stats.skipped == {"invalid_price": 4, "zero_price": 1}
    assert stats.invalid[0] == "SKU 'HUGE': PricePerUnit '1e999999999' is above 100000 USD"
    r = run("import", "--format", "aws-bulk", str(p), "--provider", "aws", "--name", "bulk")
    assert r.exit_code == 0, r.output  # type: ignore[attr-defined]
    assert "skipped 5 (invalid_price: 4, zero_price: 1)" in r.stdout  # type: ignore[attr-defined]
    assert "invalid values (rows skipped): SKU 'HUGE'" in r.stdout  # type: ignore[attr-defined]


@pytest.mark.parametrize(("text", "why"), [
    ("a,b\n1,2\n", "not an AWS price list CSV (expected 5 metadata lines"),
    (META + '"SKU","TermType"\n"A","OnDemand"\n', "price list CSV lacks columns"),
    (META.replace('"OfferCode","AmazonEC2"\n', '"OfferCode"\n'), "not an AWS price list CSV"),
    ("x" * (2 << 20), "not an AWS price list CSV (a line of over 1 MB)"),
])
def test_bulk_file_that_is_not_a_price_list_is_bad_input(tmp_path: Path, text: str, why: str) -> None:
    p = tmp_path / "x.csv"
    p.write_text(text)
    err = one_line_error(run("import", "--format", "aws-bulk", str(p), "--provider", "aws"), f"Error: {p}: ")
    assert why in err and "give a bulk Price List CSV of AmazonEC2" in err
    with pytest.raises(SourceError):  # the parser itself (also used on downloads) says SourceError
        list(parse_bulk_csv(p))


def test_bulk_rows_that_do_not_parse_are_one_line(tmp_path: Path) -> None:
    p = tmp_path / "index.csv"
    p.write_text(bulk_text([("GOOD", "1.006")]) + '"only","three","fields"\n')
    err = one_line_error(run("import", "--format", "aws-bulk", str(p), "--provider", "aws"), f"Error: {p}: ")
    assert "not a readable AWS price list CSV after" in err


def test_bulk_publication_date_that_is_not_a_date(tmp_path: Path) -> None:
    p = tmp_path / "index.csv"
    p.write_text(bulk_text([("GOOD", "1.006")], META.replace("2025-09-12T22:53:08Z", "last Tuesday")))
    one_line_error(run("import", "--format", "aws-bulk", str(p), "--provider", "aws"),
                   f"Error: {p}: Publication Date 'last Tuesday' is not a date; give --as-of YYYY-MM-DD")
    r = run("import", "--format", "aws-bulk", str(p), "--provider", "aws", "--as-of", "2025-09-12", "--name", "b")
    assert r.exit_code == 0 and store.read_manifest("b")["fetched_at"] == "2025-09-12"  # type: ignore[attr-defined]


def test_bulk_price_list_without_instances_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "index.csv"
    p.write_text(bulk_text([]))
    one_line_error(run("import", "--format", "aws-bulk", str(p), "--provider", "aws"),
                   f"Error: {p}: no EC2 Linux instance prices in this price list")
    assert store.list_snapshots() == []


# -- files that cannot be read ---------------------------------------------------------------------------

def _loop(tmp: Path) -> Path:
    a, b = tmp / "loop-a.csv", tmp / "loop-b.csv"
    a.symlink_to(b)
    b.symlink_to(a)
    return a


def _dangling(tmp: Path) -> Path:
    p = tmp / "dangling.csv"
    p.symlink_to(tmp / "gone.csv")
    return p


def _bytes(data: bytes) -> object:
    def make(tmp: Path) -> Path:
        p = tmp / "vms.csv"
        p.write_bytes(data)
        return p
    return make


def _fifo(tmp: Path) -> Path:
    p = tmp / "pipe.csv"
    os.mkfifo(p)  # opening it for reading would block: it must be refused before that
    return p


def _directory(tmp: Path) -> Path:
    p = tmp / "catalog"
    p.mkdir()
    return p


TEXT = f"{AWS_HEADER}\n{GOOD}\n"
UNREADABLE = {
    "symlink loop": (_loop, "symbolic link"),
    "dangling symlink": (_dangling, "symbolic link"),
    "directory": (_directory, "is a directory"),
    "named pipe": (_fifo, "not a regular file"),
    "missing": (lambda tmp: tmp / "nope.csv", "not found"),
    "latin-1 mid-file": (_bytes(TEXT.encode() + "t\xe9st,,,2,4,,0.1,,us-east-1,z,x86_64\n".encode("latin-1")),
                         "line 3 is not UTF-8 text (byte 0xe9)"),
    "utf-16 with BOM": (_bytes(TEXT.encode("utf-16")), "UTF-16"),
    "utf-16 without BOM": (_bytes(TEXT.encode("utf-16-le")), "UTF-16"),
    "binary": (_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))), "binary"),
    "gzip": (_bytes(gzip.compress(TEXT.encode())), "binary"),  # its header holds NUL bytes (RFC 1952 FLG, MTIME)
}


@pytest.mark.parametrize("fmt", ["skypilot", "aws-bulk"])
@pytest.mark.parametrize("case", sorted(UNREADABLE))
def test_unreadable_file_is_one_line_naming_it(tmp_path: Path, case: str, fmt: str) -> None:
    make, why = UNREADABLE[case]
    path = make(tmp_path)  # type: ignore[operator]
    r = run("import", "--format", fmt, str(path), "--provider", "aws", "--name", "x")
    err = one_line_error(r, f"Error: {path}: ")
    assert why in err, err
    assert store.list_snapshots() == [] and store.active_name() == "embedded"


@pytest.mark.parametrize("case", sorted(UNREADABLE))
def test_unreadable_file_python_api(tmp_path: Path, case: str) -> None:
    make, _why = UNREADABLE[case]
    path = make(tmp_path)  # type: ignore[operator]
    with pytest.raises(InputError) as info:
        import_skypilot_csv(path, "aws")
    assert str(info.value).startswith(f"{path}: ") and "\n" not in str(info.value)
    with pytest.raises((InputError, SourceError)) as info2:
        list(parse_bulk_csv(path))
    assert str(info2.value).startswith(f"{path}: ") and "\n" not in str(info2.value)


def test_unreadable_permissions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = tmp_path / "vms.csv"
    p.write_text(TEXT)
    p.chmod(0)
    if os.geteuid() == 0:  # root reads files whatever their mode: make opening it fail as it would for a user
        import builtins

        real_open = builtins.open

        def no_read(file: object, *args: object, **kw: object) -> object:
            if str(file) == str(p):
                raise PermissionError(13, "Permission denied", str(p))
            return real_open(file, *args, **kw)  # type: ignore[call-overload]

        monkeypatch.setattr(builtins, "open", no_read)
    for fmt in ("skypilot", "aws-bulk"):
        err = one_line_error(run("import", "--format", fmt, str(p), "--provider", "aws"), f"Error: {p}: ")
        assert "permission denied" in err


def test_nul_bytes_later_in_the_file_skip_their_row(tmp_path: Path) -> None:
    # past the first 64 kB the start-of-file check no longer looks; such a row is skipped and named
    p = tmp_path / "vms.csv"
    filler = "".join(f"{sky_row(Region=f'r{i}')}\n" for i in range(1500))  # > 64 kB of good rows
    p.write_bytes(f"{AWS_HEADER}\n{GOOD}\n{filler}".encode() + b"g6.xlarge\x00,,,4,16,,0.8048,,us-east-1,z,x86_64\n")
    result = import_skypilot_csv(p, "aws", as_of="2026-11-26")
    why = "InstanceType 'g6.xlarge\\x00' is not a name (control characters, spaces or over 128 characters)"
    assert result.invalid == [(1503, why)]
    assert "g6.xlarge\x00" not in {o.instance_type for o in result.offers}


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    p = tmp_path / "vms.csv"
    p.write_bytes(b"\xef\xbb\xbf" + TEXT.encode())  # as Excel saves "CSV UTF-8"
    result = import_skypilot_csv(p, "aws", as_of="2026-11-26")
    assert [o.price for o in result.offers] == [Decimal("0.08925")]

"""AWS bulk Price List CSV: the streaming parser, the Bulk API calls (Stubber), the streamed download
(responses), and `catalog refresh --cloud aws --bulk`."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
from decimal import Decimal
from pathlib import Path

import boto3
import pytest
import responses
from botocore.stub import ANY, Stubber
from click.testing import CliRunner

from planner.errors import SourceError
from pricing.sources.aws_bulk import AwsBulkSource, BulkStats, parse_bulk_csv

REPO = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("gen_aws_bulk_csv", REPO / "bench" / "gen_aws_bulk_csv.py")
assert _spec and _spec.loader
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)
HEADER: list[str] = gen.HEADER  # the EC2 price-list header as AWS published it (2025-09)

META = ('"FormatVersion","v1.0"\n"Disclaimer","This pricing list is for informational purposes only."\n'
        '"Publication Date","2025-09-12T22:53:08Z"\n"Version","20250912225308"\n"OfferCode","AmazonEC2"\n')

LINUX = {"Product Family": "Compute Instance", "Operating System": "Linux", "Tenancy": "Shared",
         "Pre Installed S/W": "NA", "CapacityStatus": "Used", "Currency": "USD", "Unit": "Hrs",
         "Region Code": "us-east-1", "EffectiveDate": "2025-09-01", "vCPU": "4", "Memory": "16 GiB"}


def row(sku: str, itype: str, price: str, **over: str) -> dict[str, str]:
    r = {**LINUX, "SKU": sku, "OfferTermCode": "JRTCKXETXF", "RateCode": f"{sku}.JRTCKXETXF.6YS6EN2CT7",
         "TermType": "OnDemand", "MarketOption": "OnDemand",
         "Instance Type": itype, "PricePerUnit": price}
    r.update({k.replace("_", " "): v for k, v in over.items()})
    return r


# AWS's offer term codes of the standard/convertible 1yr/3yr terms (one per lease, class and payment
# option), as they appear in the published EC2 price list files.
TERM_CODES = {
    ("1yr", "No Upfront", "standard"): "4NA7Y494T4",
    ("1yr", "Partial Upfront", "standard"): "HU7G6KETJZ",
    ("1yr", "All Upfront", "standard"): "6QCMYABX3D",
    ("3yr", "No Upfront", "standard"): "BPH4J8HBKS",
    ("3yr", "Partial Upfront", "standard"): "38NPMPTW36",
    ("3yr", "All Upfront", "standard"): "NQ3QZPMQV9",
    ("3yr", "No Upfront", "convertible"): "Z2E3P23VKM",
}


def reserved(sku: str, itype: str, price: str, lease: str, opt: str = "No Upfront", cls: str = "standard",
             **over: str) -> dict[str, str]:
    term = TERM_CODES[(lease, opt, cls)]
    rate = "2TG2D8R56U" if over.get("Unit") == "Quantity" else "6YS6EN2CT7"
    return row(sku, itype, price, TermType="Reserved", LeaseContractLength=lease, PurchaseOption=opt,
               OfferingClass=cls, OfferTermCode=term, RateCode=f"{sku}.{term}.{rate}", **over)


ROWS = [
    row("G5XL", "g5.xlarge", "1.0060000000"),  # kept: on demand
    reserved("G5XL", "g5.xlarge", "0.6270000000", "1yr"),  # kept: reserved_1y
    reserved("G5XL", "g5.xlarge", "0.4310000000", "3yr"),  # kept: reserved_3y
    reserved("G5XL", "g5.xlarge", "0.4500000000", "3yr", cls="convertible"),  # convertible: skipped
    reserved("G5XL", "g5.xlarge", "0.3100000000", "1yr", opt="Partial Upfront"),  # upfront: skipped
    reserved("G5XL", "g5.xlarge", "2716", "1yr", opt="Partial Upfront", Unit="Quantity"),  # upfront fee
    row("WIN", "g5.xlarge", "1.4660000000", Operating_System="Windows"),
    row("DED", "g5.xlarge", "1.1070000000", Tenancy="Dedicated"),
    {**row("SQL", "g5.xlarge", "2.0000000000"), "Pre Installed S/W": "SQL Web"},
    row("UNU", "g5.xlarge", "1.0060000000", CapacityStatus="UnusedCapacityReservation"),
    row("P5", "p5.48xlarge", "55.0400000000", vCPU="192", Memory="2,048 GiB"),  # kept
    row("NOPRICE", "p5e.48xlarge", ""),  # kept, price missing
    row("EU", "g5.xlarge", "1.1230000000", Region_Code="eu-west-1"),  # kept unless filtered by region
    {**row("EBS", "", "0.08"), "Product Family": "Storage", "Unit": "GB-Mo"},
]


def csv_text(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    w = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    w.writerow(HEADER)
    for r in rows:
        w.writerow([r.get(c, "") for c in HEADER])
    return META + out.getvalue()


@pytest.fixture()
def bulk_file(tmp_path: Path) -> Path:
    p = tmp_path / "index.csv"
    p.write_text(csv_text(ROWS))
    return p


def test_parse_keeps_linux_shared_ondemand_and_no_upfront_standard(bulk_file: Path) -> None:
    stats = BulkStats()
    offers = list(parse_bulk_csv(bulk_file, fetched_at="2026-11-26T00:00:00+00:00", stats=stats))
    got = [(o.region, o.instance_type, o.purchase_option, o.price) for o in offers]
    assert got == [
        ("us-east-1", "g5.xlarge", "on_demand", Decimal("1.0060000000")),
        ("us-east-1", "g5.xlarge", "capacity_reservation", Decimal("1.0060000000")),  # the on-demand rate
        ("us-east-1", "p5.48xlarge", "on_demand", Decimal("55.0400000000")),
        ("us-east-1", "p5.48xlarge", "capacity_reservation", Decimal("55.0400000000")),
        ("us-east-1", "p5e.48xlarge", "on_demand", None),  # listed without a price: missing, no reservation
        ("eu-west-1", "g5.xlarge", "on_demand", Decimal("1.1230000000")),
        ("eu-west-1", "g5.xlarge", "capacity_reservation", Decimal("1.1230000000")),
        # reserved terms after the last row; No Upfront has no fee: 0 / 8760 + 0.627, 0 / 26280 + 0.431
        ("us-east-1", "g5.xlarge", "reserved_1y", Decimal("0.627")),
        ("us-east-1", "g5.xlarge", "reserved_3y", Decimal("0.431")),
    ]
    p5 = offers[2]
    assert (p5.vcpus, p5.memory_gib, p5.accelerator, p5.accelerator_count) == (192.0, 2048.0, "H100-SXM", 8)
    assert p5.sku == "P5.JRTCKXETXF.6YS6EN2CT7" and p5.effective_date == "2025-09-01"
    assert p5.source == "aws:pricing bulk price list AmazonEC2 version 20250912225308"
    assert offers[7].sku == "G5XL.4NA7Y494T4"  # SKU.offer term code of the 1yr standard No Upfront term
    assert stats.rows == len(ROWS) and stats.offers == 9 and stats.missing_prices == 1
    assert stats.skipped == {
        "operating_system_not_linux": 1, "tenancy_not_shared": 1, "pre_installed_software": 1,
        "capacity_reservation_usage": 1, "not_an_instance": 1,
        "term_not_modeled": 3,  # the convertible term and both rows of the Partial Upfront term
    }
    assert stats.summary().startswith("9 offers (1 without price) from 14 rows; skipped 8 (")
    assert stats.metadata["Publication Date"] == "2025-09-12T22:53:08Z"
    assert stats.bytes_read == bulk_file.stat().st_size


def test_parse_other_payment_option(bulk_file: Path) -> None:
    """Partial Upfront: the term's upfront fee row and hourly row add up to one effective hourly price."""
    offers = list(parse_bulk_csv(bulk_file, reserved_payment="Partial Upfront", block_size=1024))
    reserved = [(o.instance_type, o.purchase_option, o.price) for o in offers if o.purchase_option.startswith("res")]
    # 2716 / 8760 h + 0.31 = 0.31004566210... + 0.31 = 0.6200456621; no 3yr Partial Upfront term is listed
    assert reserved == [("g5.xlarge", "reserved_1y", Decimal("0.6200456621"))]
    with pytest.raises(ValueError, match="reserved_payment"):
        list(parse_bulk_csv(bulk_file, reserved_payment="Some Upfront"))


def test_region_filter_and_small_blocks(bulk_file: Path) -> None:
    # a 1 KB block splits the file into many batches: results must not depend on batching
    stats = BulkStats()
    offers = list(parse_bulk_csv(bulk_file, regions=["eu-west-1"], block_size=1024, stats=stats))
    assert [(o.region, o.purchase_option, o.price) for o in offers] == [
        ("eu-west-1", "on_demand", Decimal("1.1230000000")),
        ("eu-west-1", "capacity_reservation", Decimal("1.1230000000")),
    ]
    # the us-east-1 rows that pass the filters before the region's: 3 on-demand (g5, p5, p5e) + 5 reserved
    assert stats.skipped["other_region"] == 8


def test_generated_file_matches_a_plain_csv_filter(tmp_path: Path) -> None:
    path = tmp_path / "gen.csv"
    gen.generate(path, 3000, seed=7)
    expected = 0
    with open(path, newline="") as fh:
        for _ in range(5):
            fh.readline()
        for r in csv.DictReader(fh):
            base = all(r[k] == v for k, v in LINUX.items() if k in ("Product Family", "Operating System", "Tenancy",
                                                                    "Pre Installed S/W", "CapacityStatus", "Unit"))
            od = r["TermType"] == "OnDemand"
            ri = (r["TermType"] == "Reserved" and r["OfferingClass"] == "standard"
                  and r["PurchaseOption"] == "No Upfront")
            # an on-demand row is an on_demand and a capacity_reservation offer; a No Upfront term has one row
            expected += 2 * (base and od) + (base and ri)
    got = list(parse_bulk_csv(path, block_size=64 << 10))
    assert expected > 0 and len(got) == expected
    assert all(o.price is not None and o.price > 0 for o in got)


def test_not_a_price_list(tmp_path: Path) -> None:
    p = tmp_path / "x.csv"
    p.write_text(META + '"SKU","TermType"\n"A","OnDemand"\n')
    with pytest.raises(SourceError, match="lacks columns RateCode, EffectiveDate"):
        list(parse_bulk_csv(p))
    p.write_text("a,b\n1,2\n")
    with pytest.raises(SourceError, match="not an AWS price list CSV"):
        list(parse_bulk_csv(p))


ARN = "arn:aws:pricing:::price-list/aws/AmazonEC2/USD/20250912225308/us-east-1"
URL = "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AmazonEC2/20250912225308/us-east-1/index.csv"


def stubbed_client() -> tuple[object, Stubber]:
    client = boto3.client("pricing", region_name="us-east-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing")
    stub = Stubber(client)
    stub.add_response("list_price_lists",
                      {"PriceLists": [{"PriceListArn": ARN, "RegionCode": "us-east-1", "CurrencyCode": "USD",
                                       "FileFormats": ["json", "csv"]}]},
                      {"ServiceCode": "AmazonEC2", "CurrencyCode": "USD", "EffectiveDate": ANY,
                       "RegionCode": "us-east-1"})
    stub.add_response("get_price_list_file_url", {"Url": URL}, {"PriceListArn": ARN, "FileFormat": "csv"})
    return client, stub


@responses.activate
def test_fetch_lists_then_streams_the_file(bulk_file: Path) -> None:
    import requests

    responses.add(responses.GET, URL, body=bulk_file.read_bytes(), content_type="text/csv")
    client, stub = stubbed_client()
    with stub:
        src = AwsBulkSource(client=client, session=requests.Session())
        seen: list[tuple[str, int]] = []
        offers = list(src.fetch(["us-east-1"], progress=lambda stage, n: seen.append((stage, n))))
        stub.assert_no_pending_responses()
    assert [(o.instance_type, o.purchase_option) for o in offers] == [
        ("g5.xlarge", "on_demand"), ("g5.xlarge", "capacity_reservation"), ("p5.48xlarge", "on_demand"),
        ("p5.48xlarge", "capacity_reservation"), ("p5e.48xlarge", "on_demand"), ("g5.xlarge", "reserved_1y"),
        ("g5.xlarge", "reserved_3y")]  # eu-west-1 row filtered out
    assert seen and seen[-1][1] == len(ROWS)
    assert responses.calls[0].request.url == URL


@responses.activate
def test_download_error_is_a_source_error() -> None:
    import requests

    responses.add(responses.GET, URL, status=403, body="AccessDenied")
    client, stub = stubbed_client()
    with stub, pytest.raises(SourceError, match="HTTP 403"):
        list(AwsBulkSource(client=client, session=requests.Session()).fetch(["us-east-1"]))


@responses.activate
def test_cli_refresh_bulk(bulk_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import requests

    from planner.cli import main
    from pricing import store
    from pricing.sources import aws_bulk

    monkeypatch.setenv("PLANNER_HOME", str(tmp_path / "home"))
    responses.add(responses.GET, URL, body=bulk_file.read_bytes())
    client, stub = stubbed_client()
    monkeypatch.setattr(aws_bulk, "AwsBulkSource",
                        lambda: AwsBulkSource(client=client, session=requests.Session()))
    with stub:
        r = CliRunner().invoke(main, ["catalog", "refresh", "--cloud", "aws", "--region", "us-east-1", "--bulk",
                                      "--name", "bulk1"])
    assert r.exit_code == 0, r.output
    assert "Wrote snapshot 'bulk1': 7 offers" in r.stdout and store.active_name() == "bulk1"
    # the fetch statistics: rows read, and every row not priced with the reason
    assert ("  read: 7 offers (1 without price) from 14 rows; skipped 9 (term_not_modeled: 3, not_an_instance: 1, "
            "operating_system_not_linux: 1, tenancy_not_shared: 1, pre_installed_software: 1, "
            "capacity_reservation_usage: 1, other_region: 1)") in r.stdout
    m = json.loads((tmp_path / "home" / "snapshots" / "bulk1" / "manifest.json").read_text())
    assert m["counts"]["purchase_option"] == {"capacity_reservation": 2, "on_demand": 3, "reserved_1y": 1,
                                              "reserved_3y": 1}
    r = CliRunner().invoke(main, ["catalog", "refresh", "--cloud", "gcp", "--bulk"])
    assert r.exit_code == 2 and "--bulk is available for --cloud aws only" in r.stderr


def test_cli_import_aws_bulk_file(bulk_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from planner.cli import main
    from pricing import store

    monkeypatch.setenv("PLANNER_HOME", str(tmp_path / "home"))
    r = CliRunner().invoke(main, ["catalog", "import", "--format", "aws-bulk", str(bulk_file), "--provider", "aws",
                                  "--name", "bulkfile"])
    assert r.exit_code == 0, r.output
    cat = store.load_snapshot("bulkfile")
    # the catalog is dated by its oldest price: the file's publication date, 2025-09-12T22:53:08Z
    assert len(cat.offers) == 9 and cat.fetched_at == "2025-09-12"
    assert store.read_manifest("bulkfile")["fetched_at"] == "2025-09-12T22:53:08Z"
    assert cat.source == "AWS bulk price list AmazonEC2 version 20250912225308 (index.csv)"
    r = CliRunner().invoke(main, ["catalog", "import", "--format", "aws-bulk", str(bulk_file), "--provider", "gcp"])
    assert r.exit_code == 2 and "use --provider aws" in r.stderr

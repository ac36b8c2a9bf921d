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
    r = {**LINUX, "SKU": sku, "RateCode": f"{sku}.JRTCKXETXF.6YS6EN2CT7", "TermType": "OnDemand",
         "Instance Type": itype, "PricePerUnit": price}
    r.update({k.replace("_", " "): v for k, v in over.items()})
    return r


def reserved(sku: str, itype: str, price: str, lease: str, opt: str = "No Upfront", cls: str = "standard",
             **over: str) -> dict[str, str]:
    return row(sku, itype, price, TermType="Reserved", LeaseContractLength=lease, PurchaseOption=opt,
               OfferingClass=cls, RateCode=f"{sku}.4NA7Y494T4.6YS6EN2CT7", **over)


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
        ("us-east-1", "g5.xlarge", "reserved_1y", Decimal("0.6270000000")),
        ("us-east-1", "g5.xlarge", "reserved_3y", Decimal("0.4310000000")),
        ("us-east-1", "p5.48xlarge", "on_demand", Decimal("55.0400000000")),
        ("us-east-1", "p5e.48xlarge", "on_demand", None),
        ("eu-west-1", "g5.xlarge", "on_demand", Decimal("1.1230000000")),
    ]
    p5 = offers[3]
    assert (p5.vcpus, p5.memory_gib, p5.accelerator, p5.accelerator_count) == (192.0, 2048.0, "H100-SXM", 8)
    assert p5.sku == "P5.JRTCKXETXF.6YS6EN2CT7" and p5.effective_date == "2025-09-01"
    assert p5.source == "aws:pricing bulk price list AmazonEC2 version 20250912225308"
    assert stats.rows == len(ROWS) and stats.offers == 6 and stats.missing_prices == 1
    assert stats.metadata["Publication Date"] == "2025-09-12T22:53:08Z"
    assert stats.bytes_read == bulk_file.stat().st_size


def test_region_filter_and_small_blocks(bulk_file: Path) -> None:
    # a 1 KB block splits the file into many batches: results must not depend on batching
    offers = list(parse_bulk_csv(bulk_file, regions=["eu-west-1"], block_size=1024))
    assert [(o.region, o.price) for o in offers] == [("eu-west-1", Decimal("1.1230000000"))]


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
            expected += base and (od or ri)
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
        ("g5.xlarge", "on_demand"), ("g5.xlarge", "reserved_1y"), ("g5.xlarge", "reserved_3y"),
        ("p5.48xlarge", "on_demand"), ("p5e.48xlarge", "on_demand")]  # eu-west-1 row filtered out
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
    assert "Wrote snapshot 'bulk1': 5 offers" in r.stdout and store.active_name() == "bulk1"
    m = json.loads((tmp_path / "home" / "snapshots" / "bulk1" / "manifest.json").read_text())
    assert m["counts"]["purchase_option"] == {"on_demand": 3, "reserved_1y": 1, "reserved_3y": 1}
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
    assert len(cat.offers) == 6 and cat.fetched_at == "2025-09-12T22:53:08Z"
    assert cat.source == "AWS bulk price list AmazonEC2 version 20250912225308 (index.csv)"
    r = CliRunner().invoke(main, ["catalog", "import", "--format", "aws-bulk", str(bulk_file), "--provider", "gcp"])
    assert r.exit_code == 2 and "use --provider aws" in r.stderr

"""The AWS adapters over real price-list payloads: <repo>/../shared/reference/pricing-payloads/aws/.

Every file there is read here through the code users run: the Query API products through a real boto3
``pricing`` client with botocore's Stubber (the ``get_products`` paginator runs, pages linked by
``NextToken``), the bulk CSV files through ``planner catalog import --format aws-bulk`` and through
:class:`~pricing.sources.aws_bulk.AwsBulkSource` (Stubber for the Bulk API calls, ``responses`` for the
download). Each figure asserted below is the file's own price. Skipped when ``../shared`` is absent.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from pricing.sources.aws import EC2_FILTERS, AwsSource, term_filters
from pricing.sources.aws_bulk import BulkStats, parse_bulk_csv
from pricing.sources.http import NO_WAIT
from tests.sources.test_aws import client, page, params

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
PAYLOADS = SHARED / "reference" / "pricing-payloads" / "aws"
pytestmark = pytest.mark.skipif(not PAYLOADS.is_dir(), reason="../shared pricing payloads absent")

EC2 = "ec2_substrate_20260910.json"
S3_2026 = "s3_us-east-1_substrate_20260728.json"
S3_2023 = "s3_epam_cloud_pipeline_2023.json"
BULK_GLOBAL = "bulk_ec2_global_sample_20250912.csv"
BULK_P5 = "bulk_derived_p5_ondemand_and_capacityblock.csv"


def products(name: str) -> list[dict]:
    return json.loads((PAYLOADS / name).read_text(encoding="utf-8"))


@pytest.fixture
def pricing_stub() -> Iterator[tuple[Any, Any]]:
    from botocore.stub import Stubber

    pricing = client("pricing")
    with Stubber(pricing) as stub:
        yield pricing, stub
        stub.assert_no_pending_responses()


def no_zero_prices(offers: list) -> None:
    assert all(o.price is None or o.price > 0 for o in offers), [o for o in offers if o.price == 0]


# -- S3 and S3 Glacier Deep Archive -----------------------------------------------------------------
def stub_storage(stub: Any, items: list[dict], region: str = "us-east-1") -> None:
    """Queue the storage queries AwsSource makes, each answered with the file's products it would match."""
    ebs = [
        ("AmazonEC2", term_filters(regionCode=region, productFamily="Storage", volumeApiName=v))
        for v in ("gp3", "st1")
    ]
    for service, filters in ebs:
        stub.add_response("get_products", page([]), params(service, filters))
    s3 = [i for i in items if i["serviceCode"] == "AmazonS3"]
    storage = [i for i in s3 if i["product"].get("productFamily") == "Storage"]
    # the S3 request products (the Deep Archive GET product of the 2026 capture has no productFamily)
    requests = [i for i in s3 if i not in storage]
    stub.add_response(
        "get_products",
        page(storage[:2], "s3-2"),
        params("AmazonS3", term_filters(regionCode=region, productFamily="Storage")),
    )
    stub.add_response(
        "get_products",
        page(storage[2:]),
        params("AmazonS3", term_filters(regionCode=region, productFamily="Storage"), "s3-2"),
    )
    stub.add_response(
        "get_products",
        page(requests),
        params("AmazonS3", term_filters(regionCode=region, productFamily="API Request")),
    )
    archive = [i for i in items if i["serviceCode"] == "AmazonS3GlacierDeepArchive"]
    stub.add_response(
        "get_products", page(archive), params("AmazonS3GlacierDeepArchive", term_filters(regionCode=region))
    )


def storage_source(pricing: Any) -> AwsSource:
    return AwsSource(pricing, None, instance_families=[], include_transfer=False, retry=NO_WAIT)


def test_deep_archive_from_its_own_service_code_2023(pricing_stub: tuple[Any, Any]) -> None:
    pricing, stub = pricing_stub
    stub_storage(stub, products(S3_2023))
    src = storage_source(pricing)
    offers = list(src.fetch(["us-east-1"]))
    archive = [o for o in offers if o.storage_class == "object_archive"]
    # AmazonS3GlacierDeepArchive SKAKWE8C8SPXCVHA, TimedStorage-GDA-ByteHrs: 0.0009900000 per GB-Mo
    assert [(o.service, o.sku, o.price, o.unit) for o in archive] == [
        ("AmazonS3GlacierDeepArchive", "SKAKWE8C8SPXCVHA", Decimal("0.00099"), "GB-month")
    ]
    assert archive[0].effective_date == "2023-02-01"
    # The AmazonS3 "Glacier Deep Archive" product (APN2-TimedStorage-GDA-Staging, 0.023) is the staging usage
    assert not [o for o in offers if o.price == Decimal("0.023") and o.storage_class != "object_standard"]
    assert src.stats.skipped["s3_deep_archive_staging"] == 1
    standard = sorted(
        (o.tier_start, o.tier_end, o.price) for o in offers if o.storage_class == "object_standard"
    )
    assert standard == [
        (Decimal(0), Decimal(51200), Decimal("0.023")),
        (Decimal(51200), Decimal(512000), Decimal("0.022")),
        (Decimal(512000), None, Decimal("0.021")),
    ]
    no_zero_prices(offers)


def test_s3_staging_usage_is_never_the_archive_price_2026(pricing_stub: tuple[Any, Any]) -> None:
    pricing, stub = pricing_stub
    stub_storage(stub, products(S3_2026))  # this capture has no AmazonS3GlacierDeepArchive product
    src = storage_source(pricing)
    offers = list(src.fetch(["us-east-1"]))
    # The staging product EXB3YJ6YV5CRH4JN (TimedStorage-GDA-Staging, 0.021 per GB-Mo) is 21x the archive's
    # 0.00099: it must not become object_archive; with no Deep Archive product the price stays missing.
    assert not [o for o in offers if o.storage_class == "object_archive"]
    assert not [o for o in offers if o.sku == "EXB3YJ6YV5CRH4JN"]
    got = {(o.resource, o.storage_class, o.tier_start): o.price for o in offers}
    assert got == {
        ("storage", "object_standard", Decimal(0)): Decimal("0.023"),
        ("storage", "object_standard", Decimal(51200)): Decimal("0.022"),
        ("storage", "object_standard", Decimal(512000)): Decimal("0.021"),
        ("storage", "object_infrequent", Decimal(0)): Decimal("0.0125"),
        # $0.005 per 1,000 PUT/COPY/POST/LIST and $0.004 per 10,000 GET, per request
        ("requests_write", "object_standard", Decimal(0)): Decimal("0.000005"),
        ("requests_read", "object_standard", Decimal(0)): Decimal("0.0000004"),
    }
    # written without exponent forms: 0.0000004 stays as published, never "4E-7"
    read = next(o for o in offers if o.resource == "requests_read")
    assert read.to_dict()["price"] == "0.0000004"
    # Intelligent-Tiering Deep Archive Access and the Deep Archive GET requests are not modeled
    assert src.stats.skipped == {"s3_deep_archive_staging": 1, "storage_product_not_modeled": 2}


# -- EC2 -------------------------------------------------------------------------------------------
FAMILIES = ("GPU instance", "Machine Learning ASIC Instances", "General purpose")


def ec2_stubbed_fetch(pricing: Any, stub: Any) -> tuple[AwsSource, list]:
    """Each (region, family) query answered with the file's products of that region and family.

    The products a Linux/Shared/NA/Used query would not return (Windows, SQL, Dedicated, unused
    reservations) are answered too, in the query of their region and family, as a defence: the parser
    must reject them itself. The global free-trial product (no region) comes with the first query.
    """
    items = products(EC2)
    regions = ("us-east-1", "us-west-2", "eu-west-1")
    free = [i for i in items if not i["product"]["attributes"].get("regionCode")]
    for region in regions:
        for family in FAMILIES:
            mine = [
                i
                for i in items
                if i["product"]["attributes"].get("regionCode") == region
                and i["product"]["attributes"].get("instanceFamily") == family
            ]
            if region == regions[0] and family == FAMILIES[0]:
                mine = free + mine
            filters = term_filters(regionCode=region, **EC2_FILTERS, instanceFamily=family)
            if len(mine) > 3:  # two pages: the paginator follows NextToken
                stub.add_response("get_products", page(mine[:3], "p2"), params("AmazonEC2", filters))
                stub.add_response("get_products", page(mine[3:]), params("AmazonEC2", filters, "p2"))
            else:
                stub.add_response("get_products", page(mine), params("AmazonEC2", filters))
    src = AwsSource(
        pricing,
        None,
        instance_families=FAMILIES,
        include_storage=False,
        include_transfer=False,
        retry=NO_WAIT,
    )
    return src, list(src.fetch(list(regions)))


def test_ec2_linux_shared_on_demand_only(pricing_stub: tuple[Any, Any]) -> None:
    pricing, stub = pricing_stub
    src, offers = ec2_stubbed_fetch(pricing, stub)
    on_demand = {(o.region, o.instance_type): o.price for o in offers if o.purchase_option == "on_demand"}
    assert on_demand == {
        ("us-east-1", "m5.xlarge"): Decimal("0.192"),
        ("us-east-1", "g4dn.xlarge"): Decimal("0.526"),
        ("us-east-1", "g5.2xlarge"): Decimal("1.212"),
        ("us-east-1", "g6.xlarge"): Decimal("0.8048"),
        ("us-east-1", "inf2.xlarge"): Decimal("0.7582"),
        ("us-east-1", "p4d.24xlarge"): Decimal("21.957642"),
        ("us-east-1", "p5.48xlarge"): Decimal("55.04"),
        ("us-east-1", "trn1.32xlarge"): Decimal("21.5"),
        ("us-west-2", "p4d.24xlarge"): Decimal("21.95764"),
        ("us-west-2", "p5.48xlarge"): Decimal("55.04"),
        ("eu-west-1", "p4d.24xlarge"): Decimal("23.71569"),
        ("eu-west-1", "g5.2xlarge"): Decimal("1.35296"),
    }
    # the Linux/Shared m5.xlarge is 5G4TA8Z4MUKE6MJB, not the Windows (0.376), SQL Std (0.672), Dedicated
    # (0.204) or UnusedCapacityReservation (UnusedBox) products of the same type
    m5 = next(o for o in offers if o.instance_type == "m5.xlarge" and o.purchase_option == "on_demand")
    assert m5.sku == "5G4TA8Z4MUKE6MJB" and (m5.vcpus, m5.memory_gib) == (4.0, 16.0)
    # p5.48xlarge us-east-1: the on-demand product 3D4V8UAYEMB38GU2 at 55.04; the Capacity Block product
    # 5Q7AP3RH7KTVUNCJ (marketoption CapacityBlock, $0.00) is neither an on-demand price nor an offer
    p5 = [o for o in offers if o.instance_type == "p5.48xlarge" and o.region == "us-east-1"]
    assert {(o.purchase_option, o.sku, o.price) for o in p5} == {
        ("on_demand", "3D4V8UAYEMB38GU2", Decimal("55.04")),
        ("capacity_reservation", "3D4V8UAYEMB38GU2", Decimal("55.04")),  # the on-demand rate
    }
    assert (p5[0].accelerator, p5[0].accelerator_count, p5[0].memory_gib) == ("H100-SXM", 8, 2048.0)
    assert not [o for o in offers if o.purchase_option == "capacity_block"]
    no_zero_prices(offers)
    assert dict(src.stats.skipped) == {
        "free_trial": 1,
        "operating_system_not_linux": 1,
        "pre_installed_software": 1,
        "tenancy_not_shared": 1,
        "capacity_reservation_usage": 1,
        "capacity_block_without_price": 1,
    }
    assert src.stats.items == len(products(EC2)) and src.stats.missing_prices == 0
    assert src.stats.offers == 24  # 12 on-demand + 12 capacity reservations


# -- bulk CSV --------------------------------------------------------------------------------------
def test_bulk_capacity_block_row_is_never_on_demand_through_the_cli(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from planner.cli import main
    from pricing import store

    r = CliRunner().invoke(
        main,
        [
            "catalog",
            "import",
            "--format",
            "aws-bulk",
            str(PAYLOADS / BULK_P5),
            "--provider",
            "aws",
            "--name",
            "p5bulk",
            "--standalone",
        ],
    )
    assert r.exit_code == 0, r.output
    offers = store.load_snapshot("p5bulk").offers
    got = sorted((o.region, o.instance_type, o.purchase_option, o.sku, o.price) for o in offers)
    # 3D4V8UAYEMB38GU2: "$55.04 per On Demand Linux p5.48xlarge Instance Hour"; the CapacityBlock row
    # 5Q7AP3RH7KTVUNCJ (TermType OnDemand, price 0.0000000000) gives no offer at all
    assert got == [
        (
            "us-east-1",
            "p5.48xlarge",
            "capacity_reservation",
            "3D4V8UAYEMB38GU2.JRTCKXETXF.6YS6EN2CT7",
            Decimal("55.04"),
        ),
        ("us-east-1", "p5.48xlarge", "on_demand", "3D4V8UAYEMB38GU2.JRTCKXETXF.6YS6EN2CT7", Decimal("55.04")),
    ]


def test_bulk_p5_through_the_bulk_api(tmp_path: Path) -> None:
    """The same file as a downloaded region file: Stubber for list_price_lists/get_price_list_file_url."""
    import requests
    import responses
    from botocore.stub import ANY, Stubber

    from pricing.sources.aws_bulk import AwsBulkSource

    arn = "arn:aws:pricing:::price-list/aws/AmazonEC2/USD/20250912225308/us-east-1"
    url = (
        "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AmazonEC2/20250912225308/us-east-1/index.csv"
    )
    pricing = client("pricing")
    with Stubber(pricing) as stub, responses.RequestsMock() as rs:
        stub.add_response(
            "list_price_lists",
            {
                "PriceLists": [
                    {
                        "PriceListArn": arn,
                        "RegionCode": "us-east-1",
                        "CurrencyCode": "USD",
                        "FileFormats": ["csv"],
                    }
                ]
            },
            {
                "ServiceCode": "AmazonEC2",
                "CurrencyCode": "USD",
                "EffectiveDate": ANY,
                "RegionCode": "us-east-1",
            },
        )
        stub.add_response("get_price_list_file_url", {"Url": url}, {"PriceListArn": arn, "FileFormat": "csv"})
        rs.add(rs.GET, url, body=(PAYLOADS / BULK_P5).read_bytes())
        src = AwsBulkSource(client=pricing, session=requests.Session())
        offers = list(src.fetch(["us-east-1"]))
    on_demand = [o for o in offers if o.purchase_option == "on_demand"]
    assert [(o.instance_type, o.price) for o in on_demand] == [("p5.48xlarge", Decimal("55.04"))]
    assert not [o for o in offers if o.purchase_option == "capacity_block"]
    assert src.stats.skipped == {"capacity_block_without_price": 1}
    assert src.stats.summary() == (
        "2 offers (0 without price) from 2 rows; skipped 1 (capacity_block_without_price: 1)"
    )


def test_bulk_capacity_block_with_a_price_is_a_capacity_block_offer(tmp_path: Path) -> None:
    """The real Capacity Block row with a positive price put in (derived): a capacity_block offer per hour."""
    lines = (PAYLOADS / BULK_P5).read_text(encoding="utf-8").splitlines(keepends=True)
    block = next(i for i, line in enumerate(lines) if '"CapacityBlock"' in line)
    # 39.33 USD per instance-hour: the p5.48xlarge US East (N. Virginia) Capacity Block rate on AWS's
    # "EC2 Capacity Blocks for ML pricing" page before its 2025-01-01 update (illustrative here: the
    # published list carries 0 for this row)
    lines[block] = lines[block].replace('"Hrs","0.0000000000"', '"Hrs","39.3300000000"')
    path = tmp_path / "p5_block.csv"
    path.write_text("".join(lines), encoding="utf-8")
    offers = list(parse_bulk_csv(path))
    block_offers = [o for o in offers if o.purchase_option == "capacity_block"]
    assert [(o.instance_type, o.unit, o.price, o.sku) for o in block_offers] == [
        ("p5.48xlarge", "hour", Decimal("39.33"), "5Q7AP3RH7KTVUNCJ.JRTCKXETXF.6YS6EN2CT7")
    ]
    assert [o.price for o in offers if o.purchase_option == "on_demand"] == [Decimal("55.04")]


def test_bulk_global_sample_has_no_linux_shared_price(tmp_path: Path) -> None:
    """44 real rows of Windows, RHEL, SUSE, Ubuntu Pro, dedicated and host tenancy, reservation usage and
    Local Zone products: none is a Linux shared-tenancy price, so none becomes an offer."""
    stats = BulkStats()
    offers = list(parse_bulk_csv(PAYLOADS / BULK_GLOBAL, stats=stats))
    assert offers == [] and stats.rows == 44
    assert stats.metadata["Version"] == "20250912225308"
    # the first filter each row fails: operating system (Windows, RHEL, SUSE, Ubuntu Pro, RHEL with HA;
    # the two bare-metal rows among them), then tenancy (the Linux Host row c6g.4xlarge)
    assert stats.skipped == {"operating_system_not_linux": 43, "tenancy_not_shared": 1}


def _relabel(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    return [r | {"Operating System": "Linux", "Tenancy": "Shared", "Pre Installed S/W": "NA"} for r in rows]


@pytest.mark.parametrize(
    "payment, one_year, three_years",
    [
        # c6i.large ap-northeast-1, SKU 2223B6PCG6QAUYY6, standard terms (the file's figures):
        # 1yr No Upfront 0.23722/h; 3yr No Upfront 0.21324/h
        ("No Upfront", "0.23722", "0.21324"),
        # 1yr Partial: 1023 / 8760 + 0.11676 = 0.11678082191... + 0.11676 = 0.2335408219
        # 3yr Partial: 2750 / 26280 + 0.10463 = 0.10464231354... + 0.10463 = 0.2092723135
        ("Partial Upfront", "0.2335408219", "0.2092723135"),
        # 1yr All: 2033 / 8760 + 0 = 0.23207762557... -> 0.2320776256; 3yr All: 5421 / 26280 = 0.2062785388
        ("All Upfront", "0.2320776256", "0.2062785388"),
    ],
)
def test_bulk_reserved_terms_as_effective_hourly(
    tmp_path: Path, payment: str, one_year: str, three_years: str
) -> None:
    """The real reserved rows of one SKU, relabeled Linux/Shared/NA (derived) so the parser keeps them:
    each payment option's upfront-fee and hourly rows add up to one effective hourly price per term."""
    with open(PAYLOADS / BULK_GLOBAL, newline="", encoding="utf-8") as fh:
        meta = [fh.readline() for _ in range(5)]
        reader = csv.DictReader(fh)
        header = list(reader.fieldnames or [])
        rows = [r for r in reader if r["SKU"] == "2223B6PCG6QAUYY6"]
    assert len(rows) == 21
    path = tmp_path / "c6i_large_reserved.csv"
    with open(path, "w", newline="", encoding="utf-8") as out:
        out.writelines(meta)
        w = csv.DictWriter(out, fieldnames=header, quoting=csv.QUOTE_ALL, lineterminator="\n")
        w.writeheader()
        w.writerows(_relabel(rows))
    offers = list(parse_bulk_csv(path, reserved_payment=payment, block_size=4096))
    got = {(o.instance_type, o.region, o.purchase_option): o.price for o in offers}
    assert got == {
        # "$0.2773 per On Demand ... c6i.large" row of the same SKU
        ("c6i.large", "ap-northeast-1", "on_demand"): Decimal("0.2773000000"),
        ("c6i.large", "ap-northeast-1", "capacity_reservation"): Decimal("0.2773000000"),
        ("c6i.large", "ap-northeast-1", "reserved_1y"): Decimal(one_year),
        ("c6i.large", "ap-northeast-1", "reserved_3y"): Decimal(three_years),
    }
    no_zero_prices(offers)


def test_query_capacity_block_product_with_a_price() -> None:
    """The real Capacity Block product 5Q7AP3RH7KTVUNCJ with a positive price put in (derived): a
    ``capacity_block`` offer, never ``on_demand``; at its published $0.00 it is no offer at all."""
    from pricing.sources.aws_parse import ec2_instance_offers
    from pricing.sources.base import FetchStats

    item = next(i for i in products(EC2) if i["product"]["sku"] == "5Q7AP3RH7KTVUNCJ")
    stats = FetchStats()
    assert ec2_instance_offers(item, "test", "2026-12-02T00:00:00Z", stats) == []
    assert stats.skipped == {"capacity_block_without_price": 1}
    dims = next(iter(item["terms"]["OnDemand"].values()))["priceDimensions"]
    next(iter(dims.values()))["pricePerUnit"]["USD"] = "39.3300000000"  # illustrative positive price
    offers = ec2_instance_offers(item, "test", "2026-12-02T00:00:00Z", FetchStats())
    assert [(o.purchase_option, o.instance_type, o.unit, o.price) for o in offers] == [
        ("capacity_block", "p5.48xlarge", "hour", Decimal("39.33"))
    ]

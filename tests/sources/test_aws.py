"""AWS source: real boto3 clients with botocore's Stubber (request parameters asserted, paging real).

Figures come from tests/fixtures/aws/*.json; the README there names each figure's source.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from pricing.sources.aws import AwsSource, term_filters
from pricing.sources.http import NO_WAIT

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def load_json(*parts: str) -> Any:
    return json.loads(FIXTURES.joinpath(*parts).read_text(encoding="utf-8"))


NOW = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
EC2_GPU = term_filters(
    regionCode="us-east-1",
    operatingSystem="Linux",
    tenancy="Shared",
    preInstalledSw="NA",
    capacitystatus="Used",
    instanceFamily="GPU instance",
)


def client(service: str, region: str = "us-east-1"):
    import boto3

    return boto3.client(service, region_name=region, aws_access_key_id="x", aws_secret_access_key="x")


def page(products: list[dict], token: str | None = None) -> dict:
    body = {"FormatVersion": "aws_v1", "PriceList": [json.dumps(p) for p in products]}
    return body | ({"NextToken": token} if token else {})


def params(service: str, filters: list[dict], token: str | None = None) -> dict:
    out = {"ServiceCode": service, "Filters": filters, "FormatVersion": "aws_v1", "MaxResults": 100}
    return out | ({"NextToken": token} if token else {})


def spot_rows() -> list[dict]:
    rows = load_json("aws", "spot_us-east-1.json")
    for r in rows:
        r["Timestamp"] = datetime.fromisoformat(r["Timestamp"])
    return rows


@pytest.fixture
def stubbed():
    from botocore.stub import Stubber

    pricing, ec2 = client("pricing"), client("ec2")
    with Stubber(pricing) as ps, Stubber(ec2) as es:
        yield pricing, ec2, ps, es
        ps.assert_no_pending_responses()
        es.assert_no_pending_responses()


def _by(offers, **want):
    found = [o for o in offers if all(getattr(o, k) == v for k, v in want.items())]
    assert len(found) == 1, (want, found)
    return found[0]


def _ec2_source(pricing: Any, ec2: Any, **kw: Any) -> AwsSource:
    opts: dict[str, Any] = {
        "instance_families": ["GPU instance"],
        "include_storage": False,
        "include_transfer": False,
        "retry": NO_WAIT,
        "clock": lambda: NOW,
    }
    opts |= kw
    return AwsSource(pricing, lambda region: ec2, **opts)


def test_ec2_on_demand_reserved_and_spot(stubbed) -> None:
    pricing, ec2, ps, es = stubbed
    products = load_json("aws", "ec2_gpu_us-east-1.json")
    ps.add_response("get_products", page(products[:2], "tok-2"), params("AmazonEC2", EC2_GPU))
    ps.add_response("get_products", page(products[2:]), params("AmazonEC2", EC2_GPU, "tok-2"))
    rows = spot_rows()
    spot_params = {
        "InstanceTypes": ["g5.xlarge", "g6.xlarge", "p5.48xlarge", "p5e.48xlarge"],
        "ProductDescriptions": ["Linux/UNIX"],
        "StartTime": NOW,
    }
    es.add_response(
        "describe_spot_price_history", {"SpotPriceHistory": rows[:7], "NextToken": "s2"}, spot_params
    )
    es.add_response(
        "describe_spot_price_history", {"SpotPriceHistory": rows[7:]}, spot_params | {"NextToken": "s2"}
    )

    seen: list[tuple[str, int]] = []
    src = _ec2_source(pricing, ec2)
    offers = list(src.fetch(["us-east-1"], progress=lambda stage, n: seen.append((stage, n))))

    g5 = _by(offers, instance_type="g5.xlarge", purchase_option="on_demand")
    assert (g5.price, g5.unit, g5.sku, g5.region) == (Decimal("1.006"), "hour", "G5XLSKU00001", "us-east-1")
    assert (g5.vcpus, g5.memory_gib, g5.accelerator, g5.accelerator_count) == (4, 16, "A10G", 1)
    assert g5.source == "aws:pricing.get_products" and g5.effective_date == "2026-05-01"
    p5 = _by(offers, instance_type="p5.48xlarge", purchase_option="on_demand")
    assert (p5.price, p5.memory_gib, p5.accelerator, p5.accelerator_count) == (
        Decimal("55.04"),
        2048,
        "H100-SXM",
        8,
    )
    # p5e.48xlarge is listed without an OnDemand term: missing, never 0.
    assert _by(offers, instance_type="p5e.48xlarge", purchase_option="on_demand").price is None

    # reserved_1y = standard No Upfront: 0 upfront / 8760 h + 0.633/h = 0.6330000000
    assert _by(offers, instance_type="g5.xlarge", purchase_option="reserved_1y").price == Decimal(
        "0.6330000000"
    )
    # 3yr is listed only as standard Partial Upfront: no No Upfront figure, so no reserved_3y offer
    # (another payment option never stands in for the one asked for)
    assert not [o for o in offers if o.purchase_option == "reserved_3y"]
    # A capacity reservation bills the on-demand rate: one per priced on-demand type (not p5e)
    reservations = {o.instance_type: o.price for o in offers if o.purchase_option == "capacity_reservation"}
    assert reservations == {
        "g5.xlarge": Decimal("1.006"),
        "g6.xlarge": Decimal("0.8048"),
        "p5.48xlarge": Decimal("55.04"),
    }

    # Spot: latest per AZ (1a: 0.5070 at 03:02 beats 0.5200 at 21:10 the day before; 1d: 0.4670 beats
    # 0.4700), then the median of 0.4591, 0.4670, 0.4886, 0.4905, 0.5070 = 0.4886.
    g5_spot = _by(offers, instance_type="g5.xlarge", purchase_option="spot")
    assert g5_spot.price == Decimal("0.4886")
    assert (g5_spot.source, g5_spot.effective_date, g5_spot.accelerator) == (
        "aws:ec2.describe_spot_price_history",
        "2026-11-26",
        "A10G",
    )
    # g6.xlarge: 0.4386, 0.4102, 0.4007, 0.4064 (1d's newer row) -> median = (0.4064 + 0.4102) / 2 = 0.4083
    assert _by(offers, instance_type="g6.xlarge", purchase_option="spot").price == Decimal("0.4083")
    assert not [o for o in offers if o.purchase_option == "spot" and (o.instance_type or "").startswith("p5")]

    assert src.stats.pages == 4 and src.stats.missing_prices == 1
    assert ("AWS get_products (AmazonEC2 GPU instance, us-east-1)", 4) in seen


def test_reserved_rates_keep_every_term_computable() -> None:
    from pricing.sources.aws_parse import pick_reserved, reserved_rates

    g5 = load_json("aws", "ec2_gpu_us-east-1.json")[0]
    rates = {(r.years, r.offering_class, r.purchase_option): r for r in reserved_rates(g5, "test")}
    assert len(rates) == 5
    # Partial Upfront 1yr: 2640 / 8760 + 0.301 = 0.30136986301... + 0.301 = 0.6023698630
    assert rates[(1, "standard", "Partial Upfront")].effective_usd_per_hour == Decimal("0.6023698630")
    # All Upfront 1yr: 5172 / 8760 = 0.59041095890... -> 0.5904109589
    assert rates[(1, "standard", "All Upfront")].effective_usd_per_hour == Decimal("0.5904109589")
    assert rates[(1, "convertible", "No Upfront")].hourly_usd == Decimal("0.73")
    listed = list(rates.values())
    one_year = pick_reserved(listed, 1)
    assert one_year is not None and one_year.purchase_option == "No Upfront"
    assert pick_reserved(listed, 3) is None  # the 3yr term is sold Partial Upfront only
    partial = pick_reserved(listed, 3, "Partial Upfront")
    assert partial is not None and partial.effective_usd_per_hour == Decimal("0.3802587519")


@pytest.mark.parametrize(
    "payment, one_year, three_years",
    [
        ("No Upfront", "0.6330000000", None),  # 0 / 8760 + 0.633
        ("Partial Upfront", "0.6023698630", "0.3802587519"),  # 2640 / 8760 + 0.301; 5000 / 26280 + 0.19
        ("All Upfront", "0.5904109589", None),  # 5172 / 8760 + 0
    ],
)
def test_reserved_offers_use_one_payment_option(payment: str, one_year: str, three_years: str | None) -> None:
    """reserved_1y / reserved_3y are the standard class with the payment option asked for, nothing else."""
    from pricing.sources.aws_parse import ec2_instance_offers
    from pricing.sources.base import FetchStats

    g5 = load_json("aws", "ec2_gpu_us-east-1.json")[0]
    offers = ec2_instance_offers(g5, "test", "2026-11-26T07:00:00Z", FetchStats(), reserved_payment=payment)
    got = {o.purchase_option: o.price for o in offers if o.purchase_option.startswith("reserved")}
    want = {"reserved_1y": Decimal(one_year)} | ({"reserved_3y": Decimal(three_years)} if three_years else {})
    assert got == want


def test_instance_type_selector_replaces_families(stubbed) -> None:
    pricing, ec2, ps, _ = stubbed
    g6 = load_json("aws", "ec2_gpu_us-east-1.json")[1]
    g6["product"]["attributes"] |= {"regionCode": "eu-west-1", "location": "EU (Ireland)"}
    filters = term_filters(
        regionCode="eu-west-1",
        operatingSystem="Linux",
        tenancy="Shared",
        preInstalledSw="NA",
        capacitystatus="Used",
        instanceType="g6.xlarge",
    )
    ps.add_response("get_products", page([g6, g6]), params("AmazonEC2", filters))
    src = _ec2_source(pricing, ec2, instance_types=["g6.xlarge"], include_spot=False)
    offers = list(src.fetch(["eu-west-1"]))
    assert [(o.instance_type, o.region, o.purchase_option) for o in offers] == [
        ("g6.xlarge", "eu-west-1", "on_demand"),
        ("g6.xlarge", "eu-west-1", "capacity_reservation"),
    ]
    assert src.stats.skipped["duplicate_product"] == 1  # the same product listed twice is one offer


def test_storage_requests_and_transfer(stubbed) -> None:
    pricing, _ec2, ps, _ = stubbed
    data = load_json("aws", "storage_transfer_us-east-1.json")
    r = "us-east-1"
    ps.add_response(
        "get_products",
        page(data["ebs_gp3"]),
        params("AmazonEC2", term_filters(regionCode=r, productFamily="Storage", volumeApiName="gp3")),
    )
    ps.add_response(
        "get_products",
        page([]),
        params("AmazonEC2", term_filters(regionCode=r, productFamily="Storage", volumeApiName="st1")),
    )
    ps.add_response(
        "get_products",
        page(data["s3_storage"]),
        params("AmazonS3", term_filters(regionCode=r, productFamily="Storage")),
    )
    ps.add_response(
        "get_products",
        page(data["s3_requests"]),
        params("AmazonS3", term_filters(regionCode=r, productFamily="API Request")),
    )
    ps.add_response(
        "get_products",
        page(data["s3_deep_archive"]),
        params("AmazonS3GlacierDeepArchive", term_filters(regionCode=r)),
    )
    ps.add_response(
        "get_products",
        page(data["transfer"]),
        params("AWSDataTransfer", term_filters(fromRegionCode=r, transferType="AWS Outbound")),
    )
    src = AwsSource(pricing, None, instance_families=[], retry=NO_WAIT)
    offers = list(src.fetch([r]))

    assert _by(offers, storage_class="block_ssd").price == Decimal("0.08")
    std = sorted(
        (o.tier_start, o.tier_end, o.price)
        for o in offers
        if o.storage_class == "object_standard" and o.resource == "storage"
    )
    assert std == [
        (Decimal(0), Decimal(51200), Decimal("0.023")),
        (Decimal(51200), Decimal(512000), Decimal("0.022")),
        (Decimal(512000), None, Decimal("0.021")),
    ]
    assert _by(offers, storage_class="object_infrequent", resource="storage").price == Decimal("0.0125")
    # Deep Archive storage from its own service code; the AmazonS3 staging usage (0.021) is not it
    archive = _by(offers, storage_class="object_archive")
    assert (archive.price, archive.service) == (Decimal("0.00099"), "AmazonS3GlacierDeepArchive")
    # $0.005 per 1,000 PUTs is listed as 0.000005 per request; $0.0004 per 1,000 GETs as 0.0000004.
    assert _by(offers, resource="requests_write").price == Decimal("0.000005")
    assert _by(offers, resource="requests_read").price == Decimal("0.0000004")
    egress = sorted((o.tier_start, o.tier_end, o.price) for o in offers if o.resource == "egress")
    assert egress == [
        (Decimal(0), Decimal(10240), Decimal("0.09")),
        (Decimal(10240), Decimal(51200), Decimal("0.085")),
        (Decimal(51200), Decimal(153600), Decimal("0.07")),
        (Decimal(153600), None, Decimal("0.05")),
    ]
    assert src.stats.skipped["storage_product_not_modeled"] == 1  # One Zone-IA
    assert src.stats.skipped["s3_deep_archive_staging"] == 1


@pytest.mark.parametrize(
    "text, gib", [("16 GiB", 16.0), ("2,048 GiB", 2048.0), ("0.5 GiB", 0.5), ("NA", None)]
)
def test_memory_attribute(text: str, gib: float | None) -> None:
    from pricing.sources.aws_parse import memory_gib

    assert memory_gib(text) == gib


def test_describe_instance_types_shapes_agree_with_the_price_list() -> None:
    """moto's real instance-type data (vCPU, MiB) agrees with the price list attributes we parse."""
    from moto import mock_aws

    from pricing.sources.aws_parse import memory_gib

    with mock_aws():
        info = client("ec2").describe_instance_types(InstanceTypes=["g5.xlarge"])["InstanceTypes"][0]
    g5 = load_json("aws", "ec2_gpu_us-east-1.json")[0]["product"]["attributes"]
    assert info["VCpuInfo"]["DefaultVCpus"] == int(g5["vcpu"])
    assert info["MemoryInfo"]["SizeInMiB"] / 1024 == memory_gib(g5["memory"])


def test_free_first_tier_is_kept_other_zero_prices_are_not() -> None:
    from pricing.sources.aws_parse import _tier_offers
    from pricing.sources.base import FetchStats

    def dim(code: str, begin: str, end: str, usd: str) -> dict:
        return {"unit": "GB", "beginRange": begin, "endRange": end, "pricePerUnit": {"USD": usd}, "rateCode": code,
                "description": "", "appliesTo": []}

    # a ladder whose first 100 GB are free (the published allowance), then $0.09/GB; and a $0 open-ended tier
    item = {"product": {"sku": "S", "attributes": {}}, "terms": {"OnDemand": {"S.T": {"priceDimensions": {
        "S.T.1": dim("S.T.1", "0", "100", "0.0000000000"), "S.T.2": dim("S.T.2", "100", "Inf", "0.0900000000")}}}}}
    fields = {"provider": "aws", "service": "AWSDataTransfer", "sku": "S", "region": "us-east-1", "resource": "egress",
              "purchase_option": "on_demand", "unit": "GB", "source": "t", "fetched_at": "2026-12-02"}
    stats = FetchStats()
    got = [(o.tier_start, o.tier_end, o.price) for o in _tier_offers(item, "t", "GB", fields, stats)]
    assert got == [(Decimal(0), Decimal(100), Decimal(0)), (Decimal(100), None, Decimal("0.09"))]
    item["terms"]["OnDemand"]["S.T"]["priceDimensions"]["S.T.2"]["pricePerUnit"]["USD"] = "0"
    assert [o.tier_start for o in _tier_offers(item, "t", "GB", fields, FetchStats())] == [Decimal(0)]

"""Savings Plans rates and Capacity Block offerings: real boto3 ``savingsplans`` and ``ec2`` clients with
botocore's Stubber (request parameters validated against the service models and asserted; paging by
``nextToken`` by hand for Savings Plans, by the SDK paginator's ``NextToken`` for Capacity Blocks).

Figures: on-demand products from tests/fixtures/aws/ec2_gpu_us-east-1.json (its README names them).
The t3.medium row is a published ``describe-savings-plans-offering-rates`` response (1 year Partial
Upfront Compute Savings Plan, ap-northeast-1, rate 0.0407; dexlab.net "Memo/AmazonWebServices/Billing",
read 2026-12-02). The 39.33 USD per p5.48xlarge instance-hour is the US East (N. Virginia) Capacity Block
rate on AWS's "EC2 Capacity Blocks for ML pricing" page before its 2025-01-01 update. Rates marked
illustrative exercise the arithmetic and the filtering only.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from pricing.schema import Offer
from pricing.sources.aws import AwsSource
from pricing.sources.http import NO_WAIT
from tests.sources.test_aws import EC2_GPU, NOW, client, load_json, page, params

ONE_YEAR, THREE_YEARS = 31536000, 94608000
OFFERING_1Y = "0d1a5e2b-4c3d-4e5f-8a9b-1c2d3e4f5a6b"  # illustrative offering ids (hex UUIDs)
OFFERING_3Y = "7e8f9a0b-1c2d-4e3f-9a4b-5c6d7e8f9a0b"


def sp_row(itype: str, rate: str, seconds: int = ONE_YEAR, **over: Any) -> dict:
    """One ``searchResults`` entry in the shape the API returns."""
    props = {
        "region": "us-east-1",
        "instanceType": itype,
        "instanceFamily": itype.split(".")[0],
        "productDescription": "Linux/UNIX",
        "tenancy": "shared",
    } | over.pop("props", {})
    return {
        "savingsPlanOffering": {
            "offeringId": OFFERING_1Y if seconds == ONE_YEAR else OFFERING_3Y,
            "paymentOption": "No Upfront",
            "planType": "Compute",
            "durationSeconds": seconds,
            "currency": "USD",
            "planDescription": f"{seconds // ONE_YEAR} year No Upfront Compute Savings Plan",
        },
        "rate": rate,
        "unit": "Hrs",
        "productType": "EC2",
        "serviceCode": "AmazonEC2",
        "usageType": f"BoxUsage:{itype}",
        "operation": "RunInstances",
        "properties": [{"name": k, "value": v} for k, v in props.items()],
    } | over


GPU_TYPES = ["g5.xlarge", "g6.xlarge", "p5.48xlarge", "p5e.48xlarge"]  # the fixture's products, sorted


def sp_params(token: str | None = None, payment: str = "No Upfront", plan: str = "Compute") -> dict:
    out = {
        "savingsPlanPaymentOptions": [payment],
        "savingsPlanTypes": [plan],
        "products": ["EC2"],
        "serviceCodes": ["AmazonEC2"],
        "operations": ["RunInstances"],
        "usageTypes": [f"BoxUsage:{t}" for t in GPU_TYPES],  # the products' own usagetype attributes
        "filters": [
            {"name": "region", "values": ["us-east-1"]},
            {"name": "instanceType", "values": GPU_TYPES},
            {"name": "productDescription", "values": ["Linux/UNIX"]},
            {"name": "tenancy", "values": ["shared"]},
        ],
        "maxResults": 1000,
    }
    return out | ({"nextToken": token} if token else {})


@pytest.fixture
def stubs() -> Iterator[tuple[Any, Any, Any, Any, Any, Any]]:
    from botocore.stub import Stubber

    pricing, ec2, savings = client("pricing"), client("ec2"), client("savingsplans")
    with Stubber(pricing) as ps, Stubber(ec2) as es, Stubber(savings) as ss:
        products = load_json("aws", "ec2_gpu_us-east-1.json")
        ps.add_response("get_products", page(products), params("AmazonEC2", EC2_GPU))
        yield pricing, ec2, savings, ps, es, ss
        for stub in (ps, es, ss):
            stub.assert_no_pending_responses()


def source(pricing: Any, ec2: Any, savings: Any = None, **kw: Any) -> AwsSource:
    opts: dict[str, Any] = {
        "instance_families": ["GPU instance"],
        "include_spot": False,
        "include_storage": False,
        "include_transfer": False,
        "retry": NO_WAIT,
        "clock": lambda: NOW,
    }
    opts |= kw
    return AwsSource(pricing, lambda region: ec2, savings_plans_client=savings, **opts)


def test_savings_plan_rates_over_two_pages(stubs: tuple) -> None:
    pricing, ec2, savings, _ps, _es, ss = stubs
    ss.add_response(
        "describe_savings_plans_offering_rates",
        {
            "searchResults": [
                sp_row("g5.xlarge", "0.7543"),  # illustrative
                sp_row("g5.xlarge", "0.5231", THREE_YEARS),  # illustrative
                sp_row("p5.48xlarge", "41.28"),  # illustrative
            ],
            "nextToken": "cGFnZTI=",
        },
        sp_params(),
    )
    ss.add_response(
        "describe_savings_plans_offering_rates",
        {
            "searchResults": [
                sp_row("g6.xlarge", "0.0000"),  # a zero rate is never an offer
                sp_row(
                    "g6.xlarge", "0.61", props={"tenancy": "dedicated"}, usageType="DedicatedUsage:g6.xlarge"
                ),
                sp_row("p5.48xlarge", "40.1", props={"region": "us-west-2"}),  # another region
                sp_row("p5.48xlarge", "39.0", seconds=63072000),  # a 2-year term does not exist as an option
            ]
        },
        sp_params("cGFnZTI="),
    )
    src = source(pricing, ec2, savings)
    offers = list(src.fetch(["us-east-1"]))
    plans = {
        (o.instance_type, o.purchase_option): o for o in offers if o.purchase_option.startswith("savings")
    }
    assert {k: o.price for k, o in plans.items()} == {
        ("g5.xlarge", "savings_plan_1y"): Decimal("0.7543"),
        ("g5.xlarge", "savings_plan_3y"): Decimal("0.5231"),
        ("p5.48xlarge", "savings_plan_1y"): Decimal("41.28"),
    }
    p5 = plans[("p5.48xlarge", "savings_plan_1y")]
    assert (p5.accelerator, p5.accelerator_count, p5.unit, p5.region) == ("H100-SXM", 8, "hour", "us-east-1")
    assert p5.source == "aws:savingsplans.describe_savings_plans_offering_rates"
    assert p5.sku == f"{OFFERING_1Y}:BoxUsage:p5.48xlarge"
    assert src.stats.skipped["zero_price"] == 1
    assert src.stats.skipped["savings_plan_not_linux_shared"] == 2
    assert src.stats.skipped["savings_plan_term"] == 1


def test_savings_plan_type_and_payment_are_asked_for(stubs: tuple) -> None:
    pricing, ec2, savings, _ps, _es, ss = stubs
    ss.add_response(
        "describe_savings_plans_offering_rates",
        {"searchResults": []},
        sp_params(payment="All Upfront", plan="EC2Instance"),
    )
    src = source(pricing, ec2, savings, savings_plan_type="EC2Instance", savings_plan_payment="All Upfront")
    assert not [o for o in src.fetch(["us-east-1"]) if o.purchase_option.startswith("savings")]
    with pytest.raises(ValueError, match="savings_plan_type"):
        source(pricing, ec2, savings, savings_plan_type="SageMaker")


def test_savings_plans_not_permitted_leaves_the_rest(stubs: tuple) -> None:
    pricing, ec2, savings, _ps, _es, ss = stubs
    ss.add_client_error(
        "describe_savings_plans_offering_rates",
        "AccessDeniedException",
        "User is not authorized to perform: savingsplans:DescribeSavingsPlansOfferingRates",
        400,
    )
    src = source(pricing, ec2, savings)
    offers = list(src.fetch(["us-east-1"]))
    assert [
        o.price for o in offers if o.instance_type == "p5.48xlarge" and o.purchase_option == "on_demand"
    ] == [Decimal("55.04")]
    assert src.stats.skipped["savings_plans_not_permitted"] == 1


def test_published_savings_plan_rate() -> None:
    """The published row: t3.medium ap-northeast-1, 1 year Partial Upfront Compute plan, 0.0407 per hour."""
    from botocore.stub import Stubber

    savings = client("savingsplans")
    row = {
        "savingsPlanOffering": {
            "offeringId": "8a5f1067-1eba-46cd-804c-4eb74c0fd43b",
            "paymentOption": "Partial Upfront",
            "planType": "Compute",
            "durationSeconds": ONE_YEAR,
            "currency": "USD",
            "planDescription": "1 year Partial Upfront Compute Savings Plan",
        },
        "rate": "0.0407",
        "unit": "Hrs",
        "productType": "EC2",
        "serviceCode": "AmazonEC2",
        "usageType": "APN1-BoxUsage:t3.medium",
        "operation": "RunInstances",
        "properties": [
            {"name": "region", "value": "ap-northeast-1"},
            {"name": "instanceType", "value": "t3.medium"},
            {"name": "instanceFamily", "value": "t3"},
            {"name": "productDescription", "value": "Linux/UNIX"},
            {"name": "tenancy", "value": "shared"},
        ],
    }
    base = Offer(
        provider="aws",
        service="AmazonEC2",
        sku="T3M",
        region="ap-northeast-1",
        resource="instance",
        purchase_option="on_demand",
        unit="hour",
        price=None,
        source="test",
        effective_date="",
        fetched_at="2026-12-02T00:00:00Z",
        instance_type="t3.medium",
        vcpus=2.0,
        memory_gib=4.0,
    )
    src = AwsSource(
        client("pricing"),
        None,
        savings_plans_client=savings,
        savings_plan_payment="Partial Upfront",
        retry=NO_WAIT,
    )
    with Stubber(savings) as ss:
        ss.add_response("describe_savings_plans_offering_rates", {"searchResults": [row]})
        offers = src.savings_plan_offers(
            "ap-northeast-1",
            {"t3.medium": base},
            {"t3.medium": "APN1-BoxUsage:t3.medium"},
            "2026-12-02T00:00:00Z",
        )
    assert [(o.instance_type, o.purchase_option, o.price, o.effective_date) for o in offers] == [
        ("t3.medium", "savings_plan_1y", Decimal("0.0407"), "2026-12-02")
    ]


# -- Capacity Blocks ---------------------------------------------------------------------------------
def block(offering_id: str, fee: str, hours: int, count: int = 1, minutes: int = 0, **over: Any) -> dict:
    start = datetime(2026, 12, 3, 11, 30, tzinfo=UTC)
    return {
        "CapacityBlockOfferingId": offering_id,
        "InstanceType": "p5.48xlarge",
        "AvailabilityZone": "us-east-1a",
        "InstanceCount": count,
        "StartDate": start,
        "EndDate": start + timedelta(hours=hours, minutes=minutes),
        "CapacityBlockDurationHours": hours,
        "CapacityBlockDurationMinutes": minutes,
        "UpfrontFee": fee,
        "CurrencyCode": "USD",
        "Tenancy": "default",
    } | over


def cb_params(itype: str, token: str | None = None) -> dict:
    out = {
        "InstanceType": itype,
        "InstanceCount": 1,
        "CapacityDurationHours": 24,
        "StartDateRange": NOW,
        "EndDateRange": NOW + timedelta(days=56),  # blocks can be booked up to eight weeks ahead
    }
    return out | ({"NextToken": token} if token else {})


def test_capacity_block_offerings(stubs: tuple) -> None:
    pricing, ec2, _savings, _ps, es, _ss = stubs
    # p5.48xlarge and p5e.48xlarge are the fixture's Capacity Block types, asked for in sorted order
    es.add_response(
        "describe_capacity_block_offerings",
        {"CapacityBlockOfferings": [block("cb-0a1b2c3d4e5f60718", "943.92", 24)], "NextToken": "cb2"},
        cb_params("p5.48xlarge"),
    )
    es.add_response(
        "describe_capacity_block_offerings",
        {
            "CapacityBlockOfferings": [
                # 2 instances x 24 h for 1950.00 = 40.625 per instance-hour (illustrative)
                block("cb-1a1b2c3d4e5f60718", "1950.00", 24, count=2),
                # 23 h 30 min (blocks end at 11:30 UTC) for 39.33 x 23.5 = 924.255 -> 39.33 per instance-hour
                block("cb-2a1b2c3d4e5f60718", "924.255", 23, minutes=30),
                block("cb-3a1b2c3d4e5f60718", "900.00", 24, CurrencyCode="EUR"),  # not USD: no price
            ]
        },
        cb_params("p5.48xlarge", "cb2"),
    )
    es.add_client_error(  # p5e.48xlarge blocks are sold in us-east-2 only
        "describe_capacity_block_offerings",
        "InvalidParameterValue",
        "The instance type p5e.48xlarge is not supported for Capacity Blocks in this Region.",
        400,
        expected_params=cb_params("p5e.48xlarge"),
    )
    src = source(pricing, ec2, include_capacity_blocks=True)
    offers = list(src.fetch(["us-east-1"]))
    blocks = [o for o in offers if o.purchase_option == "capacity_block"]
    # 943.92 / (1 instance x 24 h) = 39.33 per instance-hour, the cheapest (924.255 / 23.5 ties; first kept)
    assert [(o.instance_type, o.price, o.unit, o.sku) for o in blocks] == [
        ("p5.48xlarge", Decimal("39.33"), "hour", "cb-0a1b2c3d4e5f60718")
    ]
    b = blocks[0]
    assert (b.accelerator, b.accelerator_count, b.source) == (
        "H100-SXM",
        8,
        "aws:ec2.describe_capacity_block_offerings",
    )
    assert src.stats.skipped["capacity_block_not_offered"] == 1
    assert src.stats.skipped["capacity_block_without_price"] == 1


def test_capacity_block_rate_arithmetic() -> None:
    from pricing.sources.aws_parse import capacity_block_rate

    # 943.92 / (1 x 24) = 39.33; 924.255 / (1 x 23.5) = 39.33; 1950 / (2 x 24) = 40.625
    assert capacity_block_rate(block("a", "943.92", 24), "t") == Decimal("39.33")
    assert capacity_block_rate(block("b", "924.255", 23, minutes=30), "t") == Decimal("39.33")
    assert capacity_block_rate(block("c", "1950.00", 24, count=2), "t") == Decimal("40.625")
    assert capacity_block_rate(block("d", "", 24), "t") is None  # no fee: missing, never 0
    assert capacity_block_rate(block("e", "943.92", 0), "t") is None

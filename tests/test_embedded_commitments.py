"""AWS and Azure commitment and scheduled-capacity rows of the embedded catalog (embedded-commitments.csv).

Every figure is checked against the numbers quoted in its own ``source``; see docs/embedded-catalog.md,
"AWS and Azure commitments and capacity blocks".
"""

from __future__ import annotations

import csv
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from pricing.catalog import embedded_dir, load_embedded
from pricing.instances import instance_shape
from pricing.schema import FIELDS, SCHEDULED_OPTIONS, Offer, read_offers_csv

PATH = embedded_dir() / "embedded-commitments.csv"
DOC = Path(__file__).resolve().parents[1] / "docs" / "embedded-catalog.md"
SECTION = "## AWS and Azure commitments and capacity blocks"
SHARED_AWS = Path(__file__).resolve().parents[1] / ".." / "shared" / "reference" / "pricing-payloads" / "aws"

COMMITMENTS = ("reserved_1y", "reserved_3y", "savings_plan_1y", "savings_plan_3y")
# (provider, purchase option) with no row in this file, because no dated public figure consistent with the
# embedded on-demand prices was found (the doc section says what was searched).
GAPS = {
    ("aws", "reserved_1y"),
    ("aws", "reserved_3y"),
    ("aws", "savings_plan_1y"),
    ("aws", "savings_plan_3y"),
    ("aws", "capacity_reservation"),
    ("azure", "reserved_1y"),
    ("azure", "reserved_3y"),
    ("azure", "savings_plan_1y"),
    ("azure", "savings_plan_3y"),
}
# "<rate> USD per accelerator-hour x <n> accelerators = <price> USD per instance-hour"
PER_ACCELERATOR = re.compile(
    r"(\d+\.\d+) USD per accelerator-hour x (\d+) accelerators = (\d+(?:\.\d+)?) USD per instance-hour"
)
# "Effective Instance Hourly Rate <price> USD (<rate> USD per accelerator-hour)"
PER_INSTANCE = re.compile(
    r"Effective Instance Hourly Rate (\d+(?:\.\d+)?) USD \((\d+\.\d+) USD per accelerator-hour\)"
)


@pytest.fixture(scope="module")
def rows() -> list[Offer]:
    return read_offers_csv(PATH)


@pytest.fixture(scope="module")
def catalog_offers() -> list[Offer]:
    return load_embedded().offers


@pytest.fixture(scope="module")
def on_demand(catalog_offers: list[Offer]) -> dict[tuple[str, str | None, str], Decimal | None]:
    return {
        (o.provider, o.instance_type, o.region): o.price
        for o in catalog_offers
        if o.resource == "instance" and o.purchase_option == "on_demand"
    }


def test_file_is_part_of_the_embedded_catalog(rows: list[Offer], catalog_offers: list[Offer]) -> None:
    header = next(ln for ln in PATH.read_text(encoding="utf-8").splitlines() if not ln.startswith("#"))
    assert tuple(next(csv.reader([header]))) == FIELDS
    skus = {o.sku for o in catalog_offers}
    assert rows and all(o.sku in skus for o in rows)


def test_rows_are_instances_with_known_shapes(rows: list[Offer]) -> None:
    manifest_regions = {
        "aws": {"us-east-1", "us-west-2", "eu-west-1", "us-east-2"},
        "azure": {"eastus", "westus2", "westeurope", "westus3"},
    }
    for o in rows:
        assert o.resource == "instance" and o.unit == "hour", o.sku
        assert o.purchase_option in (*COMMITMENTS, "capacity_block", "capacity_reservation"), o.sku
        assert o.region in manifest_regions[o.provider], o.sku
        assert o.sku == f"{o.provider}:{o.instance_type}:{o.region}:{o.purchase_option}"
        shape = instance_shape(o.provider, o.instance_type or "")
        assert shape is not None, o.sku
        assert (o.accelerator, o.accelerator_count, o.vcpus, o.memory_gib) == (
            shape.accelerator,
            shape.accelerator_count,
            shape.vcpus,
            shape.memory_gib,
        ), o.sku
        assert o.price is not None and o.price > 0, o.sku


def test_every_row_sourced_and_dated(rows: list[Offer]) -> None:
    for o in rows:
        assert (
            "aws.amazon.com" in o.source
            or "azure.microsoft.com" in o.source
            or "prices.azure.com" in o.source
        )
        # the figure's public source names a dated copy: a repository at a commit, or a dated report
        assert re.search(r"@[0-9a-f]{7}", o.source) and re.search(r"20\d\d-\d\d-\d\d", o.source), o.sku
        eff, fetched = date.fromisoformat(o.effective_date), date.fromisoformat(o.fetched_at)
        assert date(2025, 6, 1) <= eff <= fetched <= date(2026, 12, 2), o.sku


def test_capacity_blocks_are_aws_scheduled_hours(rows: list[Offer]) -> None:
    blocks = [o for o in rows if o.purchase_option == "capacity_block"]
    assert blocks and "capacity_block" in SCHEDULED_OPTIONS
    for o in blocks:
        assert o.provider == "aws" and o.service == "AmazonEC2" and o.unit == "hour", o.sku
        assert "charged up front for the whole block" in o.source, o.sku
        assert o.accelerator is not None, o.sku


def test_derived_prices_recomputed_from_the_quoted_rates(rows: list[Offer]) -> None:
    for o in rows:
        m = PER_ACCELERATOR.search(o.source)
        if m:
            rate, n, quoted = Decimal(m.group(1)), int(m.group(2)), Decimal(m.group(3))
            assert n == o.accelerator_count, o.sku
            assert rate * n == quoted == o.price, o.sku
            continue
        m = PER_INSTANCE.search(o.source)
        assert m, f"{o.sku}: source quotes no figure the price can be checked against"
        assert Decimal(m.group(1)) == o.price, o.sku
        # the page's per-accelerator rate is the instance rate / accelerators, rounded to 3 places
        assert (o.price / o.accelerator_count).quantize(Decimal("0.001")) == Decimal(m.group(2)), o.sku


def test_scheduled_and_committed_prices_below_on_demand(
    rows: list[Offer], on_demand: dict[tuple[str, str | None, str], Decimal | None]
) -> None:
    for o in rows:
        key = (o.provider, o.instance_type, o.region)
        if key in on_demand:
            base = on_demand[key]
            assert base is not None and o.price is not None and o.price < base, (o.sku, o.price, base)
        else:
            # only types AWS sells through Capacity Blocks but lists without an on-demand price
            assert o.purchase_option == "capacity_block", o.sku
            assert not any(t == o.instance_type for (_, t, _) in on_demand), o.sku


def test_one_capacity_block_rate_per_type(rows: list[Offer]) -> None:
    # AWS publishes one rate per type for every US region offering it (the 2026-10-07 schedule)
    rates: dict[str | None, set[Decimal | None]] = {}
    for o in rows:
        if o.purchase_option == "capacity_block":
            rates.setdefault(o.instance_type, set()).add(o.price)
    assert all(len(r) == 1 for r in rates.values()), rates


def test_commitment_terms_paired_and_three_years_cheaper(rows: list[Offer]) -> None:
    by_key = {(o.provider, o.instance_type, o.region, o.purchase_option): o.price for o in rows}
    for (provider, itype, region, option), price in by_key.items():
        if option not in COMMITMENTS:
            continue
        other = option[:-2] + ("3y" if option.endswith("1y") else "1y")
        assert (provider, itype, region, other) in by_key, (provider, itype, region, option)
        if option.endswith("3y"):
            one_year = by_key[(provider, itype, region, other)]
            assert price is not None and one_year is not None and price < one_year


def test_gaps_are_exactly_the_options_without_rows(rows: list[Offer]) -> None:
    present = {(o.provider, o.purchase_option) for o in rows}
    # the ways of buying capacity each cloud is expected to offer here (Azure spot is in embedded.csv)
    expected = {"aws": (*COMMITMENTS, "capacity_reservation"), "azure": COMMITMENTS}
    for provider, options in expected.items():
        for option in options:
            assert ((provider, option) in GAPS) != ((provider, option) in present), (provider, option)
    assert ("aws", "capacity_block") in present


def test_doc_section_lists_rows_and_gaps(rows: list[Offer]) -> None:
    text = DOC.read_text(encoding="utf-8")
    assert SECTION in text
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    count = sum(1 for o in rows if o.purchase_option == "capacity_block")
    assert f"| aws | capacity_block | {count} |" in section
    for phrase in (
        "Reserved Instances",
        "Savings Plans",
        "reservation",
        "savings plan",
        "capacity reservation",
    ):
        assert phrase in section, phrase


def test_flagship_figures(catalog_offers: list[Offer]) -> None:
    def price(itype: str, region: str) -> Decimal | None:
        [o] = [
            o
            for o in catalog_offers
            if (o.provider, o.instance_type, o.region, o.purchase_option)
            == ("aws", itype, region, "capacity_block")
        ]
        return o.price

    # AWS Capacity Blocks schedule effective 2026-10-07: P5 5.970 USD per H100-hour; 8 x 5.970 = 47.76
    assert price("p5.48xlarge", "us-east-1") == Decimal("47.76")
    # P5en 7.895 per H200-hour: 8 x 7.895 = 63.16, just under the 63.296 on-demand rate
    assert price("p5en.48xlarge", "us-east-2") == Decimal("63.16")
    # P4d 1.696 per A100-hour: 8 x 1.696 = 13.568
    assert price("p4d.24xlarge", "us-west-2") == Decimal("13.568")
    # trn2.48xlarge, US East (Ohio): Effective Instance Hourly Rate 35.7608 (page as scraped 2026-02-01)
    assert price("trn2.48xlarge", "us-east-2") == Decimal("35.7608")


def test_capacity_block_linux_usage_is_free_in_the_price_list() -> None:
    """The row is the whole Linux price: the Price List bills Capacity Block Linux usage at 0.00 per hour."""
    path = SHARED_AWS / "bulk_derived_p5_ondemand_and_capacityblock.csv"
    if not path.exists():
        pytest.skip("shared reference payloads not present")
    with open(path, newline="", encoding="utf-8") as fh:
        lines = list(csv.reader(fh))
    header = next(i for i, r in enumerate(lines) if "TermType" in r)
    items = [dict(zip(lines[header], r, strict=False)) for r in lines[header + 1 :]]
    block = [
        r for r in items if r.get("MarketOption") == "CapacityBlock" and r.get("Operating System") == "Linux"
    ]
    assert block and all(Decimal(r["PricePerUnit"]) == 0 for r in block)

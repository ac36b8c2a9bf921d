"""The embedded default catalog (pricing/data/embedded.csv): complete, sourced, dated, consistent.

The cross-check at the end compares on-demand instance prices with the public SkyPilot-format catalogs
kept under <repo>/../shared/reference/skypilot-catalog (skipped when that folder is absent).
"""

from __future__ import annotations

import csv
import itertools
import re
import statistics
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from pricing.catalog import embedded_csv_paths, embedded_dir, load_embedded
from pricing.instances import InstanceShape, instance_shape, shapes
from pricing.schema import FIELDS, PURCHASE_OPTIONS, RESOURCES, STORAGE_CLASSES, UNITS, Offer, read_offers_csv

CSV_PATHS = embedded_csv_paths()
REFERENCE = Path(__file__).resolve().parents[1] / ".." / "shared" / "reference" / "skypilot-catalog"

UNIT_OF = {
    "instance": "hour",
    "storage": "GB-month",
    "egress": "GB",
    "requests_read": "request",
    "requests_write": "request",
}
COMMITMENTS = {
    "reserved_1y",
    "reserved_3y",
    "savings_plan_1y",
    "savings_plan_3y",
    "committed_1y",
    "committed_3y",
}

# Instance types listed in pricing/data/instances.csv that have no priced row, and why.
UNPRICED = {
    ("aws", "p5e.48xlarge"): "AWS lists it without an on-demand price (Capacity Blocks only)",
    ("aws", "trn2.48xlarge"): "AWS lists it without an on-demand price (us-east-2 row unpriced)",
}
# Families offered in fewer than 3 of the embedded regions (provider region lists, reference catalog 2026-05-20).
FEWER_REGIONS = {
    ("aws", "p4de"): "offered in us-east-1, us-west-2, eu-central-1, ap-*: only 2 embedded regions",
    ("gcp", "a2-megagpu"): "offered in us-central1, europe-west4, asia-southeast1 only",
    ("azure", "NDisr_H200_v5"): "offered in westus2, westus3, swedencentral (not eastus/westeurope)",
}
# On-demand rows without a spot row: the provider publishes no spot price there.
NO_SPOT = {("aws", "p5.4xlarge")}
# Clouds whose 1-/3-year commitment prices could not be traced to a dated public source for the embedded
# instance types (see docs/embedded-catalog.md, "What is missing"). A cloud listed here must have no commitment
# rows; remove it from the list when its first sourced commitment row is added.
COMMITMENT_GAPS = {
    "aws": "Reserved Instance / Savings Plans rates are published per instance type in the Price List API only; "
    "no dated copy for these types was readable offline, and AWS publishes only 'up to 72%' ceilings",
    "azure": "Reservation prices are Retail Prices API items per size and region; no dated copy for these sizes "
    "in eastus/westus2/westeurope was readable offline, and Azure publishes only 'up to 72%' ceilings",
}
# Regions whose storage prices are not embedded (no figure that could be traced to a dated public source).
STORAGE_GAPS = {
    ("aws", "eu-west-1"): {"object_archive"},
    ("azure", "westus2"): set(STORAGE_CLASSES) - {"block_hdd"},
    ("azure", "westus3"): set(STORAGE_CLASSES) - {"block_hdd"},
    # westeurope: Cool and Archive LRS and Premium SSD v2 recorded; the Hot LRS meter was recorded without its tiers
    ("azure", "westeurope"): {"object_standard"},
    ("azure", "eastus"): {"block_ssd"},
}


@pytest.fixture(scope="module")
def offers() -> list[Offer]:
    return [o for path in CSV_PATHS for o in read_offers_csv(path)]


@pytest.fixture(scope="module")
def raw_rows() -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for path in CSV_PATHS:
        with open(path, newline="", encoding="utf-8") as fh:
            rows += csv.DictReader(line for line in fh if not line.startswith("#"))
    return rows


def instance_rows(offers: list[Offer], option: str | None = None) -> list[Offer]:
    return [o for o in offers if o.resource == "instance" and option in (None, o.purchase_option)]


# -- format ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", CSV_PATHS, ids=lambda p: p.name)
def test_header_is_the_offer_record(path: Path) -> None:
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if not ln.startswith("#")]
    assert tuple(lines[0].split(",")) == FIELDS


def test_loads_as_the_embedded_catalog(offers: list[Offer]) -> None:
    cat = load_embedded()
    # the catalog is dated by its oldest figure, so its age never flatters the data
    assert cat.name == "embedded" and cat.fetched_at == min(o.fetched_at[:10] for o in offers)
    assert len(cat.offers) == len(offers) > 1000
    assert cat.providers() == ["aws", "azure", "gcp"]


def test_every_row_complete(raw_rows: list[dict[str, str]]) -> None:
    always = (
        "provider",
        "service",
        "sku",
        "region",
        "resource",
        "purchase_option",
        "unit",
        "price",
        "tier_start",
        "effective_date",
        "source",
        "fetched_at",
    )
    for i, row in enumerate(raw_rows, start=2):
        missing = [f for f in always if not row[f].strip()]
        if row["resource"] == "instance":
            missing += [
                f for f in ("instance_type", "vcpus", "memory_gib", "accelerator_count") if not row[f].strip()
            ]
        else:
            if row["resource"] != "egress":
                missing += [f for f in ("storage_class",) if not row[f].strip()]
        assert not missing, f"row {i} ({row['sku']}): empty {missing}"


def test_values_in_allowed_sets(offers: list[Offer]) -> None:
    for o in offers:
        assert o.provider in ("aws", "gcp", "azure"), o.sku
        assert o.resource in RESOURCES, o.sku
        assert o.purchase_option in PURCHASE_OPTIONS, o.sku
        assert o.unit in UNITS and o.unit == UNIT_OF[o.resource], o.sku
        if o.resource in ("storage", "requests_read", "requests_write"):
            assert o.storage_class in STORAGE_CLASSES, o.sku
        else:
            assert o.storage_class is None, o.sku
        if o.resource != "instance":
            assert o.purchase_option == "on_demand", o.sku


def test_services_are_the_provider_names(offers: list[Offer]) -> None:
    allowed = {
        "aws": {"AmazonEC2", "AmazonS3", "AmazonEBS", "AWSDataTransfer"},
        "gcp": {"Compute Engine", "Cloud Storage", "Networking"},
        "azure": {"Virtual Machines", "Storage", "Bandwidth"},
    }
    for o in offers:
        assert o.service in allowed[o.provider], o.sku


def test_prices_positive_or_documented_free_tier(offers: list[Offer]) -> None:
    for o in offers:
        assert o.price is not None, o.sku
        if o.price == 0:
            # only a provider-published free allowance: the first egress tier, and its source says so
            assert o.resource == "egress" and o.tier_start == 0, o.sku
            assert "free" in o.source.lower(), o.sku
        else:
            assert o.price > 0, o.sku


def test_sourced_and_dated(offers: list[Offer]) -> None:
    for o in offers:
        assert len(o.source) > 20, o.sku
        eff = date.fromisoformat(o.effective_date)
        fetched = date.fromisoformat(o.fetched_at)
        assert eff <= fetched <= date(2026, 12, 2), o.sku


def test_no_duplicates(offers: list[Offer]) -> None:
    seen: set[tuple[object, ...]] = set()
    skus: set[str] = set()
    for o in offers:
        key = (
            o.provider,
            o.region,
            o.resource,
            o.instance_type,
            o.storage_class,
            o.purchase_option,
            o.tier_start,
        )
        assert key not in seen, key
        seen.add(key)
        assert o.sku not in skus, o.sku
        skus.add(o.sku)


def test_tiers_contiguous(offers: list[Offer]) -> None:
    groups: dict[tuple[object, ...], list[Offer]] = defaultdict(list)
    for o in offers:
        groups[
            (o.provider, o.region, o.resource, o.instance_type, o.storage_class, o.purchase_option)
        ].append(o)
    for key, group in groups.items():
        group.sort(key=lambda o: o.tier_start)
        assert group[0].tier_start == 0, key
        for prev, nxt in itertools.pairwise(group):
            assert prev.tier_end is not None and prev.tier_end == nxt.tier_start, key
        for o in group:
            assert o.tier_end is None or o.tier_end > o.tier_start, key
        # a tiered price falls (or stays) as usage grows; the free allowance comes first
        prices = [o.price for o in group if o.price]
        assert prices == sorted(prices, reverse=True), key


# -- shapes ----------------------------------------------------------------------------------------


def test_instance_rows_agree_with_shapes(offers: list[Offer]) -> None:
    for o in instance_rows(offers):
        shape = instance_shape(o.provider, o.instance_type or "")
        assert shape is not None, o.sku
        assert (o.accelerator, o.accelerator_count, o.vcpus, o.memory_gib) == (
            shape.accelerator,
            shape.accelerator_count,
            shape.vcpus,
            shape.memory_gib,
        ), o.sku


# -- coverage --------------------------------------------------------------------------------------


def test_every_shape_is_priced_unless_listed_unpriced(offers: list[Offer]) -> None:
    priced = {(o.provider, o.instance_type) for o in instance_rows(offers, "on_demand")}
    any_price = {(o.provider, o.instance_type) for o in instance_rows(offers)}
    for s in shapes():
        key = (s.provider, s.instance_type)
        if not s.sold_on_demand:
            # sold only as spot, flex-start or reservations: never an on-demand row, but priced otherwise
            assert key not in priced and key in any_price and key not in UNPRICED, key
            continue
        assert (key in priced) != (key in UNPRICED), key


def test_families_in_three_regions(offers: list[Offer]) -> None:
    regions: dict[tuple[str, str], set[str]] = defaultdict(set)
    for o in instance_rows(offers, "on_demand"):
        shape = instance_shape(o.provider, o.instance_type or "")
        assert shape is not None
        regions[(o.provider, shape.family)].add(o.region)
    for key, regs in regions.items():
        if key in FEWER_REGIONS:
            assert len(regs) == 2, (key, regs)
        else:
            assert len(regs) >= 3, (key, regs)
    for cloud in ("aws", "gcp", "azure"):
        assert len({o.region for o in offers if o.provider == cloud and o.resource == "instance"}) >= 3


def test_spot_beside_every_on_demand(offers: list[Offer]) -> None:
    spot = {(o.provider, o.instance_type, o.region) for o in instance_rows(offers, "spot")}
    for o in instance_rows(offers, "on_demand"):
        if (o.provider, o.instance_type) in NO_SPOT:
            assert (o.provider, o.instance_type, o.region) not in spot
            continue
        assert (o.provider, o.instance_type, o.region) in spot, o.sku


def test_commitments_below_on_demand_and_derivations_exact(offers: list[Offer]) -> None:
    od = {(o.provider, o.instance_type, o.region): o.price for o in instance_rows(offers, "on_demand")}
    committed = [o for o in instance_rows(offers) if o.purchase_option in COMMITMENTS]
    assert {o.provider for o in committed} >= {"gcp"}
    assert {"committed_1y", "committed_3y"} <= {o.purchase_option for o in committed if o.provider == "gcp"}
    for o in committed:
        base = od[(o.provider, o.instance_type, o.region)]
        assert base is not None and o.price is not None and o.price < base, o.sku
        m = re.match(r"derived: on-demand x \(1-(0\.\d+)\)", o.source)
        if m:  # price = on-demand x (1 - published discount), rounded to 6 places
            expected = (base * (1 - Decimal(m.group(1)))).quantize(Decimal("0.000001"))
            assert o.price == expected, o.sku


def test_commitment_rows_for_every_cloud(offers: list[Offer]) -> None:
    od = {(o.provider, o.instance_type, o.region): o.price for o in instance_rows(offers, "on_demand")}
    committed: dict[str, list[Offer]] = defaultdict(list)
    for o in instance_rows(offers):
        if o.purchase_option in COMMITMENTS:
            committed[o.provider].append(o)
    for cloud in ("aws", "gcp", "azure"):
        if cloud in COMMITMENT_GAPS:
            assert not committed[cloud], f"{cloud} has commitment rows: remove it from COMMITMENT_GAPS"
            continue
        assert committed[cloud], f"{cloud}: no commitment rows and no documented gap"
        for o in committed[cloud]:
            base = od[(o.provider, o.instance_type, o.region)]
            assert base is not None and o.price is not None and o.price < base, o.sku
        # every commitment row has both terms beside it, and 3 years is cheaper than 1 year
        by_key = {(o.instance_type, o.region, o.purchase_option): o.price for o in committed[cloud]}
        for (itype, region, option), price in by_key.items():
            other = option[:-2] + ("3y" if option.endswith("1y") else "1y")
            assert (itype, region, other) in by_key, (cloud, itype, region, option)
            if option.endswith("3y"):
                longer = by_key[(itype, region, other)]
                assert price is not None and longer is not None and price < longer, (cloud, itype, region)
    # GPU machines carry commitment prices, not only the general-purpose families
    assert any(o.accelerator for o in committed["gcp"])


def test_commitment_prices_read_from_monthly_figures(offers: list[Offer]) -> None:
    """Rows read from a published 730-hour monthly commitment price: hourly = monthly / 730, 6 places."""
    pattern = re.compile(r"(month_1y|month_3y) ([0-9.]+) USD per 730-hour month / 730")
    checked = 0
    for o in instance_rows(offers):
        m = pattern.search(o.source)
        if not m:
            continue
        checked += 1
        assert o.purchase_option == "committed_" + m.group(1)[-2:], o.sku
        expected = (Decimal(m.group(2)) / 730).quantize(Decimal("0.000001"))
        assert o.price == expected, o.sku
    assert checked > 0


def test_sourced_commitment_figures(offers: list[Offer]) -> None:
    def price(itype: str, region: str, option: str) -> Decimal | None:
        [o] = [
            o
            for o in instance_rows(offers, option)
            if (o.provider, o.instance_type, o.region) == ("gcp", itype, region)
        ]
        return o.price

    # Cyclenerd/google-cloud-pricing-cost-calculator pricing.yml@0166a59 (generated 2025-03-06 from the Cloud
    # Billing Catalog API), compute.instance.<type>.cost.<region>:
    # a2-highgpu-8g us-central1 month_1y 13514.9691136 -> 13514.9691136 / 730 = 18.5136563... -> 18.513656
    assert price("a2-highgpu-8g", "us-central1", "committed_1y") == Decimal("18.513656")
    # g2-standard-4 us-central1 month_3y 232.19438719 -> / 730 = 0.3180745... -> 0.318075
    assert price("g2-standard-4", "us-central1", "committed_3y") == Decimal("0.318075")
    # g2-standard-96 europe-west4 month_1y 3868.6333064 -> / 730 = 5.2994976... -> 5.299498
    assert price("g2-standard-96", "europe-west4", "committed_1y") == Decimal("5.299498")
    # the same file's on-demand figure for a2-highgpu-8g us-central1 (hour 29.38708) is the embedded on-demand price
    # (host 5.91582 + 8 x 2.933908 = 29.387084: the SKU's sixth decimal)
    [od] = [
        o
        for o in instance_rows(offers, "on_demand")
        if (o.provider, o.instance_type, o.region) == ("gcp", "a2-highgpu-8g", "us-central1")
    ]
    assert od.price is not None and abs(od.price - Decimal("29.38708")) <= Decimal("0.00001")
    # pricing.yml@08440e7 (generated 2026-07-22): a3-highgpu-8g us-central1 month_1y 44810.08066464 -> / 730 =
    # 61.3836721... -> 61.383672; month_3y 28370.99821392 -> / 730 = 38.8643811... -> 38.864381
    assert price("a3-highgpu-8g", "us-central1", "committed_1y") == Decimal("61.383672")
    assert price("a3-highgpu-8g", "us-central1", "committed_3y") == Decimal("38.864381")
    # a2-highgpu-8g europe-west4 month_1y 13789.3825376 -> / 730 = 18.8895651... -> 18.889565
    assert price("a2-highgpu-8g", "europe-west4", "committed_1y") == Decimal("18.889565")


def test_storage_and_egress_per_region(offers: list[Offer]) -> None:
    instance_regions = {(o.provider, o.region) for o in instance_rows(offers)}
    classes: dict[tuple[str, str], set[str]] = defaultdict(set)
    egress: set[tuple[str, str]] = set()
    for o in offers:
        if o.resource == "storage":
            classes[(o.provider, o.region)].add(o.storage_class or "")
        if o.resource == "egress":
            egress.add((o.provider, o.region))
    wanted = {"object_standard", "object_infrequent", "object_archive", "block_ssd"}
    for key in instance_regions:
        assert key in egress, key
        assert classes[key] == wanted - STORAGE_GAPS.get(key, set()), key
    for cloud in ("aws", "gcp", "azure"):
        for sc in ("object_standard", "object_infrequent", "object_archive"):
            assert any(p == cloud and sc in c for (p, _), c in classes.items()), (cloud, sc)
        # object requests priced wherever the object storage is
        req = {
            (o.provider, o.region, o.resource, o.storage_class)
            for o in offers
            if o.resource.startswith("requests")
        }
        for (p, r), c in classes.items():
            for sc in c & {"object_standard", "object_infrequent", "object_archive"}:
                assert (p, r, "requests_read", sc) in req and (p, r, "requests_write", sc) in req, (p, r, sc)


def test_published_figures(offers: list[Offer]) -> None:
    def price(provider: str, region: str, resource: str, **kw: object) -> Decimal | None:
        hits = [
            o
            for o in offers
            if o.provider == provider
            and o.region == region
            and o.resource == resource
            and all(getattr(o, k) == v for k, v in kw.items())
        ]
        assert len(hits) == 1, (provider, region, resource, kw)
        return hits[0].price

    # aws.amazon.com/s3/pricing: S3 Standard first 50 TB $0.023/GB-month, PUT $0.005 per 1,000 requests
    assert price("aws", "us-east-1", "storage", storage_class="object_standard", tier_start=0) == Decimal(
        "0.023"
    )
    assert (
        price("aws", "us-east-1", "requests_write", storage_class="object_standard")
        == Decimal("0.005") / 1000
    )
    # aws.amazon.com/ec2/pricing/on-demand: first 100 GB/month out free, then $0.09/GB up to 10 TB
    assert price("aws", "us-east-1", "egress", tier_start=0) == 0
    assert price("aws", "us-east-1", "egress", tier_start=100) == Decimal("0.09")
    # cloud.google.com/storage/pricing: us-central1 Standard $0.020, us-east4 Standard $0.023 per GB-month
    assert price("gcp", "us-central1", "storage", storage_class="object_standard") == Decimal("0.020")
    assert price("gcp", "us-east4", "storage", storage_class="object_standard") == Decimal("0.023")
    # cloud.google.com/storage/pricing-examples: 1 GB outbound $0.12
    assert price("gcp", "us-central1", "egress", tier_start=0) == Decimal("0.12")
    # pricing.yml@0166a59 (Cyclenerd, Cloud Billing Catalog API, 2025-03-06): europe-west4 Standard 0.02 per GiB-month,
    # pd-ssd 0.187 per GiB-month in europe-west4 and us-east4
    assert price("gcp", "europe-west4", "storage", storage_class="object_standard") == Decimal("0.020")
    assert price("gcp", "us-east4", "storage", storage_class="block_ssd") == Decimal("0.187")
    # Azure Retail Prices API, westeurope, General Block Blob v2 (recorded 2026-07-15): Cool LRS Data Stored $0.01
    # per GB-month; Archive Read Operations $6 per 10,000 -> 6 / 10000 = 0.0006 per request
    assert price("azure", "westeurope", "storage", storage_class="object_infrequent") == Decimal("0.01")
    assert price("azure", "westeurope", "requests_read", storage_class="object_archive") == Decimal("0.0006")
    # Premium SSD v2 "Premium LRS Provisioned Capacity" $0.00013 per GiB-hour -> 0.00013 x 730 = 0.0949 per GiB-month
    assert price("azure", "westeurope", "storage", storage_class="block_ssd") == Decimal("0.00013") * 730


def test_flagship_instance_prices(offers: list[Offer]) -> None:
    def od(provider: str, itype: str, region: str) -> Decimal:
        [o] = [
            o
            for o in instance_rows(offers, "on_demand")
            if (o.provider, o.instance_type, o.region) == (provider, itype, region)
        ]
        assert o.price is not None
        return o.price

    # reference/skypilot-catalog README sample: p5.48xlarge us-east-1 $55.04/h; ND96isr_H100_v5 eastus $98.32/h
    assert od("aws", "p5.48xlarge", "us-east-1") == Decimal("55.04")
    assert od("azure", "Standard_ND96isr_H100_v5", "eastus") == Decimal("98.32")
    # a3-highgpu-8g us-central1: host 9.46006 + 8 x 'Nvidia H100 80GB GPU running in Americas' 9.796550569 + 6000 GiB
    # local SSD x 0.08 / 730 = 88.4899988 -> 88.489999; pricing.yml@08440e7 (2026-07-22) lists hour 88.4899999025753
    assert od("gcp", "a3-highgpu-8g", "us-central1") == Decimal("88.489999")
    assert abs(od("gcp", "a3-highgpu-8g", "us-central1") - Decimal("88.4899999025753")) < Decimal("0.00001")
    # a2-ultragpu-1g us-central1: pricing.yml@08440e7 hour 5.06879789 (host, A100 80GB, 375 GiB local SSD);
    # the DWS-priced 2.94582 is gone
    assert abs(od("gcp", "a2-ultragpu-1g", "us-central1") - Decimal("5.06879789041096")) < Decimal("0.00001")


# -- GCP GPU machines: standard on-demand billing entries --------------------------------------------
#
# A GCP GPU machine's on-demand price is host vCPU/RAM + GPUs + bundled local SSD, each from the standard
# on-demand SKU. GCP lists Dynamic Workload Scheduler (flex-start) and calendar-mode GPU SKUs with usage type
# OnDemand too; the tests below recompute every row from the parts its `source` states and keep those
# cheaper DWS figures out of on-demand rows.

# GPU SKU kind per GCP family; N1 hosts use the attached accelerator (T4, V100). A3 Mega has its own GPU SKU
# ("Nvidia H100 80GB Plus GPU"), A3 Ultra the H200.
GCP_GPU_KIND = {
    "a3-highgpu": "H100",
    "a3-megagpu": "H100 Plus",
    "a3-ultragpu": "H200",
    "a2-highgpu": "A100 40GB",
    "a2-megagpu": "A100 40GB",
    "a2-ultragpu": "A100 80GB",
    "g2-standard": "L4",
}
_H100_AMERICAS = Decimal("9.796550569")
_H100_PLUS_AMERICAS = Decimal("10.344275712")
_A100_40GB = Decimal("2.933908")
# Standard on-demand GPU price, USD per GPU-hour, per (GPU kind, region).
# "payload" = ../shared/reference/pricing-payloads/gcp/skus_description_level.json (Cloud Billing Catalog SKUs,
# effective 2026-07-07); "pricing.yml" = Cyclenerd/google-cloud-pricing-cost-calculator pricing.yml@08440e7
# (generated 2026-07-22 from the Cloud Billing Catalog API; machine `hour` = vCPU + RAM + GPU + bundled local SSD).
STANDARD_GPU: dict[tuple[str, str], Decimal] = {
    # payload GPUAG-H100 'Nvidia H100 80GB GPU running in Americas' 9.796550569 (serviceRegions us-central1,
    # us-east1, us-east4, us-west1); pricing.yml a3-highgpu-8g us-central1 hour 88.4899999 = 9.46006 + 8 x 9.796550569
    # + 0.657534 (the DWS twin, SKU 341A-49A5-0C07, is 4.200761)
    ("H100", "us-central1"): _H100_AMERICAS,
    ("H100", "us-west1"): _H100_AMERICAS,
    # pricing.yml a3-highgpu-8g europe-west4 hour 112.540479175 - host 9.93306 - 6000 GiB x 0.088 / 730 (0.723288)
    # = 101.884131 / 8 = 12.7355164 -> 12.735516
    ("H100", "europe-west4"): Decimal("12.735516"),
    # payload GPUAG-H100PLUS 'Nvidia H100 80GB Plus GPU running in Americas' 10.344275712 (DWS twin 4.423936,
    # calendar mode 4.841121)
    ("H100 Plus", "us-central1"): _H100_PLUS_AMERICAS,
    ("H100 Plus", "us-west1"): _H100_PLUS_AMERICAS,
    # pricing.yml a3-megagpu-8g europe-west4 hour 118.236831175 - host 9.93306 - 0.723288 = 107.580483 / 8 = 13.4475604
    ("H100 Plus", "europe-west4"): Decimal("13.447560"),
    # 'Nvidia Tesla A100 GPU running in Americas' SKU 039F-D0DA-4055 2.933908 (pricing-payloads/gcp/
    # skus_full_captures.json, opencost capture); pricing.yml a2-megagpu-16g: us-central1 hour 55.739504 - host
    # 8.79698 = 46.942524 / 16 = 2.9339078; europe-west4 56.62656 - host 9.68403 = 46.94253 / 16 = 2.9339081
    ("A100 40GB", "us-central1"): _A100_40GB,
    ("A100 40GB", "us-west1"): _A100_40GB,
    ("A100 40GB", "europe-west4"): _A100_40GB,
    # 'Nvidia Tesla A100 80GB GPU running in Americas' 3.928080 (pricing-payloads README; its DWS twin is 1.846198);
    # pricing.yml a2-ultragpu-8g us-central1 hour 40.550383123 - host 8.79698 - 3000 x 0.08 / 730 = 31.424636 / 8
    ("A100 80GB", "us-central1"): Decimal("3.928080"),
    # pricing.yml a2-ultragpu-8g europe-west4 hour 44.647347836 - host 9.68403 - 3000 x 0.088 / 730 (0.361644)
    # = 34.601674 / 8 = 4.3252092
    ("A100 80GB", "europe-west4"): Decimal("4.325209"),
    # pricing.yml a2-ultragpu-8g us-east4 hour 45.661859836 - host 9.90664 - 0.361644 = 35.393576 / 8 = 4.424197
    ("A100 80GB", "us-east4"): Decimal("4.424197"),
    # L4, T4, V100: the reference catalog's GPU rows (anycloud-sh/catalog gcp/vms.csv@62ff0a9, 2026-05-20), which are
    # the standard SKUs: pricing.yml@0166a59 g2-standard-4 us-central1 hour 0.706832255 = host 0.14679 + 0.56004;
    # T4 0.35 and V100 2.48 are GCP's US list prices. L4 europe-west4: the x4 and x8 rows are 2.35217 and 4.70434
    # (0.5880425 per GPU; the x1 and x2 rows show it rounded to 5 decimals, 0.58804)
    ("L4", "us-central1"): Decimal("0.56004"),
    ("L4", "us-west1"): Decimal("0.56004"),
    ("L4", "europe-west4"): Decimal("0.5880425"),
    ("T4", "us-central1"): Decimal("0.35"),
    ("T4", "us-west1"): Decimal("0.35"),
    ("T4", "europe-west4"): Decimal("0.3675"),
    ("V100", "us-central1"): Decimal("2.48"),
    ("V100", "us-west1"): Decimal("2.48"),
    ("V100", "europe-west4"): Decimal("2.604"),
}
# Local SSD, USD per GiB-month: pricing.yml@08440e7 compute.storage.local ('SSD backed Local Storage'), month and
# month_spot. The us-central1 rate is also the one in cloud.google.com/compute/disks-image-pricing (Local SSD).
LOCAL_SSD = {
    "us-central1": Decimal("0.08"),
    "us-west1": Decimal("0.08"),
    "us-east4": Decimal("0.088"),
    "europe-west4": Decimal("0.088"),
}
LOCAL_SSD_SPOT = {
    "us-central1": Decimal("0.0428"),
    "us-west1": Decimal("0.0428"),
    "us-east4": Decimal("0.0528"),
    "europe-west4": Decimal("0.0494"),
}
# The A3 Mega host is billed as 'A3Plus Instance Core/Ram' (payload TS-A3PLUS-CORE 0.026924, TS-A3PLUS-RAM
# 0.002344, Americas): 208 x 0.026924 + 1872 x 0.002344 = 5.600192 + 4.387968 = 9.98816
A3PLUS_HOST_AMERICAS = 208 * Decimal("0.026924") + 1872 * Decimal("0.002344")
# DWS flex-start SKUs, Americas (payload): 'DWS Defined Duration A3 Core' 0.010934, '... A3 Ram' 0.000952,
# 'Nvidia H100 80GB GPU attached to DWS Defined Duration VMs' 4.200761
DWS_A3 = {"core": Decimal("0.010934"), "ram": Decimal("0.000952"), "H100": Decimal("4.200761")}
SIX = Decimal("0.000001")


def _gcp_gpu_rows(offers: list[Offer], option: str) -> list[tuple[Offer, InstanceShape]]:
    out = []
    for o in instance_rows(offers, option):
        if o.provider == "gcp" and o.accelerator:
            shape = instance_shape("gcp", o.instance_type or "")
            assert shape is not None, o.sku
            out.append((o, shape))
    return out


def _kind(shape: InstanceShape) -> str:
    return GCP_GPU_KIND.get(shape.family) or shape.accelerator or ""


def _number(pattern: str, text: str) -> list[str]:
    m = re.search(pattern, text)
    assert m, (pattern, text)
    return list(m.groups())


def test_gcp_gpu_on_demand_rows_recompute_from_standard_parts(offers: list[Offer]) -> None:
    rows = _gcp_gpu_rows(offers, "on_demand")
    assert len(rows) > 80
    for o, shape in rows:
        src = o.source
        assert src.startswith("standard on-demand parts: "), o.sku
        _, host = _number(r"host (\S+) ([0-9.]+) ", src)
        n, gpu = _number(r" \+ (\d+) x GPU ([0-9.]+) ", src)
        [total] = _number(r" = ([0-9.]+)$", src)
        assert int(n) == shape.accelerator_count, o.sku
        # the GPU part is the standard SKU price of this GPU kind in this region
        assert Decimal(gpu) == STANDARD_GPU[(_kind(shape), o.region)], o.sku
        expected = Decimal(host) + int(n) * Decimal(gpu)
        ssd = re.search(r" \+ local SSD (\d+) GiB x ([0-9.]+) USD/GiB-month / 730 ", src)
        if shape.local_ssd_gib:
            # bundled local SSD, billed with the machine at the region's local SSD price per GiB-month / 730 hours
            assert ssd and Decimal(ssd.group(1)) == Decimal(str(shape.local_ssd_gib)), o.sku
            assert Decimal(ssd.group(2)) == LOCAL_SSD[o.region], o.sku
            expected += Decimal(ssd.group(1)) * Decimal(ssd.group(2)) / 730
        else:
            assert ssd is None, o.sku
        if shape.family == "a3-megagpu" and o.region in ("us-central1", "us-west1"):
            assert Decimal(host) == A3PLUS_HOST_AMERICAS, o.sku
        assert o.price == expected.quantize(SIX) == Decimal(total), o.sku


def test_gcp_gpu_on_demand_never_below_the_standard_gpu_price(offers: list[Offer]) -> None:
    """A DWS flex-start or calendar-mode GPU price (about half the standard one) can never be on-demand again."""
    for o, shape in _gcp_gpu_rows(offers, "on_demand"):
        assert o.price is not None
        standard = STANDARD_GPU[(_kind(shape), o.region)]
        assert o.price / shape.accelerator_count >= standard, (o.sku, o.price, standard)


def test_gcp_a100_80gb_not_cheaper_than_a100_40gb(offers: list[Offer]) -> None:
    price = {
        (s.accelerator, s.accelerator_count, o.region): o.price for o, s in _gcp_gpu_rows(offers, "on_demand")
    }
    pairs = 0
    for (acc, count, region), p80 in price.items():
        p40 = price.get(("A100-40GB", count, region))
        if acc == "A100-80GB" and p40 is not None:
            pairs += 1
            assert p80 is not None and p80 > p40, (count, region, p80, p40)
    # 1, 2, 4 and 8 GPUs in us-central1 and europe-west4 (a2-ultragpu is not offered in us-west1)
    assert pairs == 8


def test_gcp_types_not_sold_on_demand_have_no_on_demand_rows(offers: list[Offer]) -> None:
    not_sold = {s.instance_type for s in shapes("gcp") if not s.sold_on_demand}
    # cloud.google.com/compute/docs/accelerator-optimized-machines and .../ai-hypercomputer/docs/consumption-models:
    # A3 High with 1, 2 or 4 GPUs and A3 Ultra are sold as Spot, flex-start or reservations only
    assert not_sold == {"a3-highgpu-1g", "a3-highgpu-2g", "a3-highgpu-4g", "a3-ultragpu-8g"}
    on_demand = {o.instance_type for o in instance_rows(offers, "on_demand") if o.provider == "gcp"}
    spot = {o.instance_type for o in instance_rows(offers, "spot") if o.provider == "gcp"}
    assert not (not_sold & on_demand)
    assert not_sold <= spot


def test_gcp_spot_rows_add_bundled_ssd_at_the_spot_rate(offers: list[Offer]) -> None:
    checked = 0
    for o, shape in _gcp_gpu_rows(offers, "spot"):
        if not shape.local_ssd_gib:
            continue
        checked += 1
        host, gpus = _number(r"spot host \S+ ([0-9.]+) \+ GPU row \S+ x\d+ spot ([0-9.]+) ", o.source)
        gib, rate = _number(r" \+ local SSD (\d+) GiB x ([0-9.]+) USD/GiB-month spot / 730 ", o.source)
        assert (
            Decimal(gib) == Decimal(str(shape.local_ssd_gib)) and Decimal(rate) == LOCAL_SSD_SPOT[o.region]
        ), o.sku
        expected = (Decimal(host) + Decimal(gpus) + Decimal(gib) * Decimal(rate) / 730).quantize(SIX)
        assert o.price == expected, o.sku
    # a2-ultragpu (4 types x 3 regions) and a3 (6 types x 3 regions)
    assert checked == 30


def test_gcp_flex_start_rows_from_dws_skus(offers: list[Offer]) -> None:
    od = {
        (o.instance_type, o.region): o.price
        for o in instance_rows(offers, "on_demand")
        if o.provider == "gcp"
    }
    flex = _gcp_gpu_rows(offers, "flex_start")
    # A3 High, 1/2/4/8 GPUs, in the two embedded regions the Americas DWS SKUs cover
    assert {(o.instance_type, o.region) for o, _ in flex} == {
        (f"a3-highgpu-{n}g", r) for n in (1, 2, 4, 8) for r in ("us-central1", "us-west1")
    }
    for o, shape in flex:
        vcpu, core, mem, ram = _number(r"(\d+) vCPU x ([0-9.]+) .* \+ (\d+) GiB x ([0-9.]+) ", o.source)
        n, gpu = _number(r" \+ (\d+) x GPU ([0-9.]+) ", o.source)
        gib, rate = _number(r" \+ local SSD (\d+) GiB x ([0-9.]+) USD/GiB-month / 730 ", o.source)
        assert (Decimal(vcpu), Decimal(mem), int(n)) == (
            Decimal(str(shape.vcpus)),
            Decimal(str(shape.memory_gib)),
            shape.accelerator_count,
        ), o.sku
        assert (Decimal(core), Decimal(ram), Decimal(gpu)) == (
            DWS_A3["core"],
            DWS_A3["ram"],
            DWS_A3["H100"],
        ), o.sku
        # the flex-start discount covers vCPUs, memory and GPUs (cloud.google.com/compute/docs/instances/
        # about-flex-start-vms); the bundled local SSD stays at the standard rate
        assert Decimal(gib) == Decimal(str(shape.local_ssd_gib)) and Decimal(rate) == LOCAL_SSD[o.region], (
            o.sku
        )
        expected = Decimal(vcpu) * Decimal(core) + Decimal(mem) * Decimal(ram) + int(n) * Decimal(gpu)
        assert o.price == (expected + Decimal(gib) * Decimal(rate) / 730).quantize(SIX), o.sku
        # cheaper than on demand wherever the type is sold on demand
        base = od.get((o.instance_type, o.region))
        assert base is None or (o.price is not None and o.price < base), o.sku
    # a3-highgpu-8g us-central1: 208 x 0.010934 + 1872 x 0.000952 + 8 x 4.200761 + 6000 x 0.08 / 730
    # = 2.274272 + 1.782144 + 33.606088 + 0.657534 = 38.320038
    [f8] = [o for o, _ in flex if (o.instance_type, o.region) == ("a3-highgpu-8g", "us-central1")]
    assert f8.price == Decimal("38.320038")


# -- cross-check against the reference catalogs ------------------------------------------------------

GCP_GPU_ROW = {  # host family -> AcceleratorName of the separate GPU row in gcp/vms.csv
    "a3-highgpu": "H100",
    "a3-megagpu": "H100-MEGA",
    "a3-ultragpu": "H200",
    "a2-highgpu": "A100",
    "a2-megagpu": "A100",
    "a2-ultragpu": "A100-80GB",
    "g2-standard": "L4",
}
# Embedded on-demand rows (other than GCP GPU machines) allowed to differ from the reference by more than 1%, each
# with the newer source. (None at present.)
CROSS_CHECK_ALLOWED: dict[tuple[str, str, str], str] = {}
# GPU prices in the reference GCP catalog that are not the standard on-demand SKU price (the catalog picked the
# DWS twin, listed with usage type OnDemand): (GPU kind, region) -> the DWS SKU price where it was found, else None.
# The embedded rows use STANDARD_GPU instead; the test fails when this list no longer matches the reference.
REFERENCE_NOT_STANDARD: dict[tuple[str, str], Decimal | None] = {
    # 33.60609 / 8 = 4.20076: 'Nvidia H100 80GB GPU attached to DWS Defined Duration VMs running in Americas' 4.200761
    ("H100", "us-central1"): Decimal("4.200761"),
    ("H100", "us-west1"): Decimal("4.200761"),
    # 1.8462: the A100 80GB DWS SKU 1.846198 (pricing-payloads README)
    ("A100 80GB", "us-central1"): Decimal("1.846198"),
    # 2.03285 and 2.07937 (47% of the standard 4.325209 and 4.424197, as 1.846198 is of 3.92808): no SKU copy found
    ("A100 80GB", "europe-west4"): None,
    ("A100 80GB", "us-east4"): None,
    # 1.61365 (55% of 2.933908): no SKU copy found
    ("A100 40GB", "europe-west4"): None,
}
# Host parts not taken from the reference host row, and why.
_A3PLUS = "A3 Mega host billed as A3Plus Core/Ram; the reference has the A3 High rate"
HOST_NOT_FROM_REFERENCE = {("a3-megagpu-8g", "us-central1"): _A3PLUS, ("a3-megagpu-8g", "us-west1"): _A3PLUS}


def _reference_rows(cloud: str) -> list[dict[str, str]]:
    path = REFERENCE / cloud / "vms.csv"
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        # azure/vms.csv has rows with an extra unquoted Generation field: zip() keeps the named columns
        return [dict(zip(header, r)) for r in reader]


def _reference_on_demand() -> tuple[dict[tuple[str, str, str], float], dict[tuple[str, str, int], float]]:
    """Median on-demand price per (cloud, instance type, region), and per GCP (region, GPU row name, count)."""
    out: dict[tuple[str, str, str], float] = {}
    gpu: dict[tuple[str, str, int], list[float]] = defaultdict(list)
    for cloud in ("aws", "gcp", "azure"):
        per: dict[tuple[str, str, str], list[float]] = defaultdict(list)
        for r in _reference_rows(cloud):
            if not r.get("Price"):
                continue
            if cloud == "gcp" and not r["InstanceType"]:
                gpu[(r["Region"], r["AcceleratorName"], int(r["AcceleratorCount"]))].append(float(r["Price"]))
            else:
                per[(cloud, r["InstanceType"], r["Region"])].append(float(r["Price"]))
        out.update({k: statistics.median(v) for k, v in per.items()})
    return out, {k: statistics.median(v) for k, v in gpu.items()}


def test_cross_check_with_reference_catalogs(offers: list[Offer]) -> None:
    if not (REFERENCE / "aws" / "vms.csv").exists():
        pytest.skip("reference catalogs not present")
    ref, ref_gpu = _reference_on_demand()
    checked = 0
    disagreements = []
    not_standard: dict[tuple[str, str], float] = {}
    for o in instance_rows(offers, "on_demand"):
        shape = instance_shape(o.provider, o.instance_type or "")
        assert o.price is not None and shape is not None
        if o.provider == "gcp" and shape.accelerator:
            # GCP GPU machine: the host part must be the reference host row; the reference GPU row must be the
            # standard SKU price, or a known non-standard (DWS) figure below it
            host_type = shape.instance_type.split("+")[0]
            [host] = _number(r"host \S+ ([0-9.]+) ", o.source)
            if (o.instance_type, o.region) not in HOST_NOT_FROM_REFERENCE:
                assert float(host) == ref[("gcp", host_type, o.region)], o.sku
            name = GCP_GPU_ROW.get(shape.family) or shape.accelerator or ""
            per_gpu = ref_gpu[(o.region, name, shape.accelerator_count)] / shape.accelerator_count
            standard = float(STANDARD_GPU[(_kind(shape), o.region)])
            if abs(per_gpu - standard) > 0.0001 * standard:
                not_standard[(_kind(shape), o.region)] = per_gpu
            checked += 1
            continue
        key = (o.provider, o.instance_type or "", o.region)
        if key not in ref:
            continue
        checked += 1
        if abs(float(o.price) - ref[key]) > 0.01 * ref[key] and key not in CROSS_CHECK_ALLOWED:
            disagreements.append((key, str(o.price), ref[key]))
    assert not disagreements, disagreements
    assert set(not_standard) == set(REFERENCE_NOT_STANDARD), not_standard
    for kind_region, per_gpu in not_standard.items():
        # a discount (DWS), never a higher price
        assert per_gpu < float(STANDARD_GPU[kind_region]), kind_region
        dws = REFERENCE_NOT_STANDARD[kind_region]
        if dws is not None:
            assert abs(per_gpu - float(dws)) <= 0.0001 * float(dws), (kind_region, per_gpu, dws)
    # every embedded on-demand instance row has a reference counterpart (see docs/embedded-catalog.md)
    assert checked == len(instance_rows(offers, "on_demand"))


def test_manifest_matches_the_rows(offers: list[Offer]) -> None:
    import json

    manifest = json.loads((embedded_dir() / "embedded.json").read_text(encoding="utf-8"))
    assert {"name", "source", "fetched_at", "description", "regions", "counts"} <= set(manifest)
    assert manifest["name"] == "embedded" and manifest["fetched_at"] == "2026-11-26"
    assert manifest["offers"] == len(offers)
    for provider, regions in manifest["regions"].items():
        assert set(regions) == {o.region for o in offers if o.provider == provider}, provider
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for o in offers:
        counts[o.provider][f"{o.resource}:{o.purchase_option}"] += 1
    assert manifest["counts"] == {p: dict(c) for p, c in counts.items()}

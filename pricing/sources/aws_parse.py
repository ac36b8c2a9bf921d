"""Parse AWS Price List Query API products (``get_products`` PriceList JSON strings) into offers.

A product is ``{"product": {"productFamily", "sku", "attributes": {...}}, "terms": {"OnDemand":
{<offer term>: {"priceDimensions": {<rate code>: {"unit", "beginRange", "endRange", "pricePerUnit":
{"USD"}}}, "effectiveDate", "termAttributes"}}, "Reserved": {...}}}``.

EC2 instances
-------------
Only Linux, shared tenancy, no pre-installed software, capacity status ``Used`` products are priced;
everything else (Windows, RHEL, SQL Server images, Dedicated/Host tenancy, the ``UnusedCapacityReservation``
and ``AllocatedCapacityReservation`` usage of capacity reservations, the global free-trial product) is
skipped and counted in :class:`~pricing.sources.base.FetchStats` under a reason. A product whose
``marketoption`` is ``CapacityBlock`` is never an on-demand price: with a positive hourly price it is a
``capacity_block`` offer, with $0 it is skipped. (AWS bills a Capacity Block as an up-front reservation
fee plus an operating-system fee per hour; the Price List's CapacityBlock product carries the OS fee,
which is $0 for Linux, so the block's own price comes from ``ec2.describe_capacity_block_offerings``.)

A zero price is never an offer; a listed product without a price is an offer with ``price=None``.

Reserved Instances
------------------
``termAttributes`` give ``LeaseContractLength`` (1yr/3yr), ``OfferingClass`` (standard/convertible)
and ``PurchaseOption`` (No/Partial/All Upfront); the dimensions are an ``Upfront Fee`` (unit
"Quantity") and an hourly rate (unit "Hrs"). The effective hourly price is ``upfront / hours in the
term + hourly`` (8,760 or 26,280 h), rounded to 10 decimal places. :func:`reserved_rates` returns every
combination. The offers ``reserved_1y`` / ``reserved_3y`` carry one figure per term: the **standard**
class (convertible terms are left out) with **one** payment option for every instance type,
``No Upfront`` unless the caller picks ``Partial Upfront`` or ``All Upfront``. A type that is not sold
with that payment option gets no reserved offer; no other payment option stands in for it.

On-demand capacity reservations
-------------------------------
AWS charges a capacity reservation the instance's on-demand rate for every hour it is held, used or
not ("Capacity Reservation pricing and billing", Amazon EC2 User Guide, read 2026-12-02). Each priced
on-demand instance therefore also yields a ``capacity_reservation`` offer at the same hourly rate.

S3 storage
----------
Standard and Standard-IA are priced from ``AmazonS3``. S3 Glacier Deep Archive storage is priced under
its own service code ``AmazonS3GlacierDeepArchive`` (usage type ``TimedStorage-GDA-ByteHrs``, $0.00099
per GB-month in us-east-1); the ``AmazonS3`` product with volume type "Glacier Deep Archive" is the
staging usage (``TimedStorage-GDA-Staging``) and is never taken as the archive price.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from pricing.errors import SourceError
from pricing.schema import Offer
from pricing.sources.base import HOURS_1Y, HOURS_3Y, FetchStats, decimal_price, iso_date, plain

SOURCE = "aws:pricing.get_products"
_PLACES = Decimal("0.0000000001")
UPFRONT_OPTIONS = ("No Upfront", "Partial Upfront", "All Upfront")
DEFAULT_RESERVED_PAYMENT = "No Upfront"
S3_STORAGE = {
    "Standard": "object_standard",
    "Standard - Infrequent Access": "object_infrequent",
}
DEEP_ARCHIVE_SERVICE = "AmazonS3GlacierDeepArchive"
DEEP_ARCHIVE_USAGE = "TimedStorage-GDA-ByteHrs"  # region-prefixed outside us-east-1 ("USW2-...")
S3_REQUESTS = {
    "S3-API-Tier1": ("requests_write", "object_standard"),
    "S3-API-Tier2": ("requests_read", "object_standard"),
    "S3-API-SIA-Tier1": ("requests_write", "object_infrequent"),
    "S3-API-SIA-Tier2": ("requests_read", "object_infrequent"),
}
EBS = {"gp3": "block_ssd", "st1": "block_hdd"}
# (attribute, the value priced, the skip reason otherwise), checked in this order
EC2_REQUIRED = (
    ("operatingSystem", "Linux", "operating_system_not_linux"),
    ("tenancy", "Shared", "tenancy_not_shared"),
    ("preInstalledSw", "NA", "pre_installed_software"),
    ("capacitystatus", "Used", "capacity_reservation_usage"),
)


@dataclass(frozen=True)
class Rate:
    unit: str
    price: Decimal | None
    begin: Decimal
    end: Decimal | None
    effective_date: str


@dataclass(frozen=True)
class ReservedRate:
    years: int
    offering_class: str
    purchase_option: str
    upfront_usd: Decimal
    hourly_usd: Decimal
    effective_date: str

    @property
    def effective_usd_per_hour(self) -> Decimal:
        return effective_hourly(self.upfront_usd, self.hourly_usd, self.years)


def effective_hourly(upfront: Decimal, hourly: Decimal, years: int) -> Decimal:
    """``upfront / hours in the term + hourly``, to 10 decimal places (8,760 h a year)."""
    hours = HOURS_1Y if years == 1 else HOURS_3Y
    return plain((upfront / hours + hourly).quantize(_PLACES, ROUND_HALF_EVEN))


def load_product(raw: Any, what: str) -> dict:
    """One PriceList entry (a JSON string) as a dict with product, attributes and terms checked."""
    try:
        item = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        raise SourceError(
            f"{what}: a PriceList entry is not valid JSON (truncated page?); run the refresh again"
        ) from None
    try:
        if not isinstance(item["product"]["attributes"], dict) or not isinstance(item.get("terms", {}), dict):
            raise TypeError
        item["product"]["sku"]
    except (KeyError, TypeError):
        raise SourceError(
            f"{what}: a PriceList entry lacks product/sku/attributes; run the refresh again"
        ) from None
    return item


def _dimensions(term: dict, what: str) -> list[Rate]:
    out = []
    for dim in (term.get("priceDimensions") or {}).values():
        end = dim.get("endRange")
        out.append(
            Rate(
                unit=str(dim.get("unit", "")),
                price=decimal_price((dim.get("pricePerUnit") or {}).get("USD"), what=what),
                begin=Decimal(str(dim.get("beginRange") or 0)),
                end=None if end in (None, "", "Inf") else Decimal(str(end)),
                effective_date=iso_date(term.get("effectiveDate")),
            )
        )
    return out


def on_demand_rates(item: dict, what: str) -> list[Rate]:
    return [
        r for term in (item.get("terms", {}).get("OnDemand") or {}).values() for r in _dimensions(term, what)
    ]


def reserved_rates(item: dict, what: str) -> list[ReservedRate]:
    """Every reserved term of a product with its upfront fee, hourly rate and effective hourly price."""
    out = []
    for term in (item.get("terms", {}).get("Reserved") or {}).values():
        attrs = term.get("termAttributes") or {}
        years = {"1yr": 1, "3yr": 3}.get(attrs.get("LeaseContractLength", ""))
        if years is None:
            continue
        upfront, hourly = Decimal(0), Decimal(0)
        for rate in _dimensions(term, what):
            if rate.price is None:
                continue
            if rate.unit == "Quantity":
                upfront += rate.price
            elif rate.unit == "Hrs":
                hourly += rate.price
        out.append(
            ReservedRate(
                years,
                attrs.get("OfferingClass", ""),
                attrs.get("PurchaseOption", ""),
                upfront,
                hourly,
                iso_date(term.get("effectiveDate")),
            )
        )
    return out


def pick_reserved(
    rates: list[ReservedRate], years: int, payment: str = DEFAULT_RESERVED_PAYMENT
) -> ReservedRate | None:
    """The standard-class rate for ``years`` with the ``payment`` option, or None when not sold so."""
    return next(
        (
            r
            for r in rates
            if r.years == years and r.offering_class == "standard" and r.purchase_option == payment
        ),
        None,
    )


def memory_gib(text: str | None) -> float | None:
    """``"768 GiB"`` / ``"1,952 GiB"`` / ``"0.5 GiB"`` -> float; None for NA or absent."""
    m = re.fullmatch(r"\s*([\d,]+(?:\.\d+)?)\s*GiB\s*", text or "")
    return float(m[1].replace(",", "")) if m else None


def _number(text: str | None) -> float | None:
    try:
        return float(str(text).replace(",", ""))
    except (TypeError, ValueError):
        return None


def ec2_rejection(attrs: dict) -> str | None:
    """Why an AmazonEC2 product is not a Linux shared-tenancy instance price (None when it is one)."""
    if attrs.get("group") == "FreeTrial" or "freetrial" in str(attrs.get("usagetype", "")).lower():
        return "free_trial"
    if not attrs.get("instanceType"):
        return "not_an_instance"
    for field, wanted, reason in EC2_REQUIRED:
        if attrs.get(field) != wanted:
            return reason
    if attrs.get("marketoption", "OnDemand") not in ("OnDemand", "CapacityBlock"):
        return "market_option"
    return None


def ec2_instance_offers(
    item: dict,
    what: str,
    fetched_at: str,
    stats: FetchStats,
    *,
    reserved_payment: str = DEFAULT_RESERVED_PAYMENT,
) -> list[Offer]:
    """Offers of one EC2 instance product: on-demand, capacity reservation and 1y/3y reserved, or a
    capacity block; ``[]`` (counted in ``stats``) for products that are not Linux shared instances."""
    from pricing.instances import instance_shape

    attrs = item["product"]["attributes"]
    reason = ec2_rejection(attrs)
    if reason is not None:
        stats.skip(reason)
        return []
    itype = attrs["instanceType"]
    shape = instance_shape("aws", itype)
    gpus = _number(attrs.get("gpu"))
    common = {
        "provider": "aws",
        "service": "AmazonEC2",
        "sku": item["product"]["sku"],
        "region": attrs.get("regionCode", ""),
        "resource": "instance",
        "unit": "hour",
        "instance_type": itype,
        "source": SOURCE,
        "fetched_at": fetched_at,
        "accelerator": shape.accelerator if shape else None,
        "accelerator_count": int(gpus) if gpus else (shape.accelerator_count if shape else 0),
        "vcpus": _number(attrs.get("vcpu")) or (shape.vcpus if shape else None),
        "memory_gib": memory_gib(attrs.get("memory")) or (shape.memory_gib if shape else None),
    }
    hourly = [r for r in on_demand_rates(item, what) if r.unit == "Hrs"]
    price = hourly[0].price if hourly else None
    effective = hourly[0].effective_date if hourly else ""
    if attrs.get("marketoption") == "CapacityBlock":
        if price is None or price <= 0:
            stats.skip("capacity_block_without_price")
            return []
        return [Offer(**common, purchase_option="capacity_block", price=price, effective_date=effective)]
    if price is not None and price <= 0:
        stats.skip("zero_price")
        return []
    out = [Offer(**common, purchase_option="on_demand", price=price, effective_date=effective)]
    if price is not None:
        out.append(
            Offer(**common, purchase_option="capacity_reservation", price=price, effective_date=effective)
        )
    reserved = reserved_rates(item, what)
    for years, option in ((1, "reserved_1y"), (3, "reserved_3y")):
        pick = pick_reserved(reserved, years, reserved_payment)
        if pick is None:
            continue
        if pick.effective_usd_per_hour <= 0:
            stats.skip("zero_price")
            continue
        out.append(
            Offer(
                **common,
                purchase_option=option,
                price=pick.effective_usd_per_hour,
                effective_date=pick.effective_date,
            )
        )
    return out


def _tier_offers(
    item: dict,
    what: str,
    unit_in: str,
    fields: dict[str, Any],
    stats: FetchStats,
    divide: Decimal = Decimal(1),
) -> list[Offer]:
    out = []
    for r in on_demand_rates(item, what):
        if r.unit != unit_in:
            continue
        # a $0 tier is kept only as a published free allowance: the first tier of a ladder with priced tiers above
        # it (the first 100 GB of internet egress a month); any other zero price is not an offer
        free_allowance = r.begin == 0 and r.end is not None
        if r.price is not None and (r.price < 0 or (r.price == 0 and not free_allowance)):
            stats.skip("zero_price")
            continue
        out.append(
            Offer(
                **fields,
                price=None if r.price is None else plain(r.price / divide),
                tier_start=r.begin,
                tier_end=r.end,
                effective_date=r.effective_date,
            )
        )
    return out


def storage_offers(item: dict, what: str, fetched_at: str, stats: FetchStats) -> list[Offer]:
    """EBS volumes (gp3, st1), S3 storage classes and S3 requests, by product attributes."""
    product = item["product"]
    attrs = product["attributes"]
    base = {
        "provider": "aws",
        "sku": product["sku"],
        "region": attrs.get("regionCode", ""),
        "purchase_option": "on_demand",
        "source": SOURCE,
        "fetched_at": fetched_at,
    }
    family = product.get("productFamily")
    service = attrs.get("servicecode", item.get("serviceCode", ""))
    usage = str(attrs.get("usagetype", ""))
    storage = {"resource": "storage", "unit": "GB-month"}
    if service == "AmazonEC2" and family == "Storage" and attrs.get("volumeApiName") in EBS:
        fields = base | storage | {"service": "AmazonEC2", "storage_class": EBS[attrs["volumeApiName"]]}
        return _tier_offers(item, what, "GB-Mo", fields, stats)
    if service == DEEP_ARCHIVE_SERVICE and usage.endswith(DEEP_ARCHIVE_USAGE):
        fields = base | storage | {"service": DEEP_ARCHIVE_SERVICE, "storage_class": "object_archive"}
        return _tier_offers(item, what, "GB-Mo", fields, stats)
    if service == "AmazonS3" and family == "Storage" and attrs.get("volumeType") == "Glacier Deep Archive":
        stats.skip("s3_deep_archive_staging")  # TimedStorage-GDA-Staging: not the archive's storage price
        return []
    if (
        service == "AmazonS3"
        and family == "Storage"
        and attrs.get("volumeType") in S3_STORAGE
        and usage.endswith("ByteHrs")
    ):
        fields = base | storage | {"service": "AmazonS3", "storage_class": S3_STORAGE[attrs["volumeType"]]}
        return _tier_offers(item, what, "GB-Mo", fields, stats)
    if service == "AmazonS3" and family == "API Request" and attrs.get("group") in S3_REQUESTS:
        resource, storage_class = S3_REQUESTS[attrs["group"]]
        fields = base | {
            "service": "AmazonS3",
            "resource": resource,
            "unit": "request",
            "storage_class": storage_class,
        }
        return _tier_offers(item, what, "Requests", fields, stats)
    stats.skip("storage_product_not_modeled")
    return []


def transfer_offers(item: dict, what: str, fetched_at: str, stats: FetchStats) -> list[Offer]:
    """Data transfer out to the internet, per GB, tiered (beginRange/endRange in GB per month)."""
    attrs = item["product"]["attributes"]
    if attrs.get("transferType") != "AWS Outbound" or attrs.get("toLocation") != "External":
        stats.skip("transfer_not_internet_out")
        return []
    fields = {
        "provider": "aws",
        "service": "AWSDataTransfer",
        "sku": item["product"]["sku"],
        "region": attrs.get("fromRegionCode", ""),
        "resource": "egress",
        "unit": "GB",
        "purchase_option": "on_demand",
        "source": SOURCE,
        "fetched_at": fetched_at,
    }
    return _tier_offers(item, what, "GB", fields, stats)


# -- Savings Plans (savingsplans.describe_savings_plans_offering_rates) ------------------------------
SP_SOURCE = "aws:savingsplans.describe_savings_plans_offering_rates"
SP_DURATIONS = {31536000: "savings_plan_1y", 94608000: "savings_plan_3y"}  # 365 d and 3 x 365 d in seconds


def savings_plan_offer(
    row: dict, region: str, base: dict[str, Offer], fetched_at: str, stats: FetchStats, what: str
) -> Offer | None:
    """One ``searchResults`` entry as a ``savings_plan_1y``/``_3y`` offer of the instance type in ``base``.

    The rate is what one hour of the instance costs under the plan (the plan's discount already
    applied; the payment option decides only how the commitment is paid), so it is the effective hourly
    price as it stands. Rows of other regions, tenancies, operating systems, currencies or terms are
    skipped and counted.
    """
    offering = row.get("savingsPlanOffering") or {}
    props = {p.get("name"): p.get("value") for p in row.get("properties") or []}
    option = SP_DURATIONS.get(int(offering.get("durationSeconds") or 0))
    itype = props.get("instanceType")
    if option is None:
        stats.skip("savings_plan_term")
        return None
    if offering.get("currency", "USD") != "USD" or row.get("unit") != "Hrs":
        stats.skip("savings_plan_unit")
        return None
    if (
        props.get("region", region) != region
        or props.get("tenancy", "shared") != "shared"
        or props.get("productDescription", "Linux/UNIX") != "Linux/UNIX"
        or "BoxUsage" not in str(row.get("usageType", "BoxUsage"))
        or itype not in base
    ):
        stats.skip("savings_plan_not_linux_shared")
        return None
    price = decimal_price(row.get("rate"), what=what)
    if price is None or price <= 0:
        stats.skip("zero_price" if price is not None else "savings_plan_without_rate")
        return None
    on_demand = base[itype]
    return Offer(
        provider="aws",
        service="AmazonEC2",
        sku=f"{offering.get('offeringId', '')}:{row.get('usageType', itype)}",
        region=region,
        resource="instance",
        purchase_option=option,
        unit="hour",
        price=price,
        source=SP_SOURCE,
        effective_date=iso_date(fetched_at),  # the API gives no date: the rate in force when read
        fetched_at=fetched_at,
        instance_type=itype,
        accelerator=on_demand.accelerator,
        accelerator_count=on_demand.accelerator_count,
        vcpus=on_demand.vcpus,
        memory_gib=on_demand.memory_gib,
    )


# -- Capacity Blocks for ML (ec2.describe_capacity_block_offerings) -------------------------------------
CB_SOURCE = "aws:ec2.describe_capacity_block_offerings"


def capacity_block_rate(offering: dict, what: str) -> Decimal | None:
    """USD per instance-hour of one offering: ``UpfrontFee / (InstanceCount x duration in hours)``.

    The duration is ``CapacityBlockDurationHours`` plus ``CapacityBlockDurationMinutes`` / 60 (blocks
    end at 11:30 UTC, so an offering can be a little shorter or longer than asked). None when the
    offering has no USD fee, no instances or no duration.
    """
    if offering.get("CurrencyCode", "USD") != "USD":
        return None
    fee = decimal_price(offering.get("UpfrontFee"), what=what)
    count = int(offering.get("InstanceCount") or 0)
    hours = Decimal(int(offering.get("CapacityBlockDurationHours") or 0))
    hours += Decimal(int(offering.get("CapacityBlockDurationMinutes") or 0)) / 60
    if fee is None or count <= 0 or hours <= 0:
        return None
    return plain((fee / (count * hours)).quantize(_PLACES, ROUND_HALF_EVEN))


def capacity_block_offer(
    offerings: list[dict], base: Offer, fetched_at: str, stats: FetchStats, what: str
) -> Offer | None:
    """The cheapest per-instance-hour offering of one instance type as a ``capacity_block`` offer."""
    priced: list[tuple[Decimal, dict]] = []
    for o in offerings:
        rate = capacity_block_rate(o, what)
        if rate is None or rate <= 0:
            stats.skip("capacity_block_without_price" if rate is None else "zero_price")
            continue
        priced.append((rate, o))
    if not priced:
        return None
    rate, best = min(priced, key=lambda p: p[0])
    return Offer(
        provider="aws",
        service="AmazonEC2",
        sku=str(best.get("CapacityBlockOfferingId") or f"capacity-block:{base.instance_type}"),
        region=base.region,
        resource="instance",
        purchase_option="capacity_block",
        unit="hour",
        price=rate,
        source=CB_SOURCE,
        effective_date=iso_date(fetched_at),  # a block is charged the rate in force when it is bought
        fetched_at=fetched_at,
        instance_type=base.instance_type,
        accelerator=base.accelerator,
        accelerator_count=base.accelerator_count,
        vcpus=base.vcpus,
        memory_gib=base.memory_gib,
    )

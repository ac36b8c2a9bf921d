"""Parse AWS Price List Query API products (``get_products`` PriceList JSON strings) into offers.

A product is ``{"product": {"productFamily", "sku", "attributes": {...}}, "terms": {"OnDemand":
{<offer term>: {"priceDimensions": {<rate code>: {"unit", "beginRange", "endRange", "pricePerUnit":
{"USD"}}}, "effectiveDate", "termAttributes"}}, "Reserved": {...}}}``.

Reserved terms: ``termAttributes`` give ``LeaseContractLength`` (1yr/3yr), ``OfferingClass``
(standard/convertible) and ``PurchaseOption`` (No/Partial/All Upfront); the dimensions are an
``Upfront Fee`` (unit "Quantity") and an hourly rate (unit "Hrs"). The effective hourly price is
``upfront / hours in the term + hourly`` (8,760 or 26,280 h). :func:`reserved_rates` returns every
combination; the offer's ``reserved_1y``/``reserved_3y`` headline is the standard class with No
Upfront (else Partial, else All Upfront), rounded to 10 decimal places.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from planner.errors import SourceError
from pricing.schema import Offer
from pricing.sources.base import HOURS_1Y, HOURS_3Y, FetchStats, decimal_price, iso_date, plain

SOURCE = "aws:pricing.get_products"
_PLACES = Decimal("0.0000000001")
_UPFRONT_ORDER = ("No Upfront", "Partial Upfront", "All Upfront")
S3_STORAGE = {
    "Standard": "object_standard",
    "Standard - Infrequent Access": "object_infrequent",
    "Glacier Deep Archive": "object_archive",
}
S3_REQUESTS = {
    "S3-API-Tier1": ("requests_write", "object_standard"),
    "S3-API-Tier2": ("requests_read", "object_standard"),
    "S3-API-SIA-Tier1": ("requests_write", "object_infrequent"),
    "S3-API-SIA-Tier2": ("requests_read", "object_infrequent"),
}
EBS = {"gp3": "block_ssd", "st1": "block_hdd"}


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
        hours = HOURS_1Y if self.years == 1 else HOURS_3Y
        return plain((self.upfront_usd / hours + self.hourly_usd).quantize(_PLACES, ROUND_HALF_EVEN))


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


def headline_reserved(rates: list[ReservedRate], years: int) -> ReservedRate | None:
    """The standard-class rate for ``years``, preferring No, then Partial, then All Upfront."""
    by_option = {r.purchase_option: r for r in rates if r.years == years and r.offering_class == "standard"}
    return next((by_option[p] for p in _UPFRONT_ORDER if p in by_option), None)


def memory_gib(text: str | None) -> float | None:
    """``"768 GiB"`` / ``"1,952 GiB"`` / ``"0.5 GiB"`` -> float; None for NA or absent."""
    m = re.fullmatch(r"\s*([\d,]+(?:\.\d+)?)\s*GiB\s*", text or "")
    return float(m[1].replace(",", "")) if m else None


def _number(text: str | None) -> float | None:
    try:
        return float(str(text).replace(",", ""))
    except (TypeError, ValueError):
        return None


def ec2_instance_offers(item: dict, what: str, fetched_at: str, stats: FetchStats) -> list[Offer]:
    """On-demand plus headline 1y/3y reserved offers of one Linux shared-tenancy instance product."""
    from pricing.instances import instance_shape

    attrs = item["product"]["attributes"]
    itype = attrs.get("instanceType")
    if not itype or attrs.get("marketoption", "OnDemand") != "OnDemand":
        stats.skip("not_an_on_demand_instance")
        return []
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
    out = [
        Offer(
            **common,
            purchase_option="on_demand",
            price=hourly[0].price if hourly else None,
            effective_date=hourly[0].effective_date if hourly else "",
        )
    ]
    reserved = reserved_rates(item, what)
    for years, option in ((1, "reserved_1y"), (3, "reserved_3y")):
        head = headline_reserved(reserved, years)
        if head is not None:
            out.append(
                Offer(
                    **common,
                    purchase_option=option,
                    price=head.effective_usd_per_hour,
                    effective_date=head.effective_date,
                )
            )
    return out


def _tier_offers(
    item: dict, what: str, unit_in: str, fields: dict[str, Any], divide: Decimal = Decimal(1)
) -> list[Offer]:
    rates = [r for r in on_demand_rates(item, what) if r.unit == unit_in]
    return [
        Offer(
            **fields,
            price=None if r.price is None else plain(r.price / divide),
            tier_start=r.begin,
            tier_end=r.end,
            effective_date=r.effective_date,
        )
        for r in rates
    ]


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
    if service == "AmazonEC2" and family == "Storage" and attrs.get("volumeApiName") in EBS:
        fields = base | {
            "service": "AmazonEC2",
            "resource": "storage",
            "unit": "GB-month",
            "storage_class": EBS[attrs["volumeApiName"]],
        }
        return _tier_offers(item, what, "GB-Mo", fields)
    if service == "AmazonS3" and family == "Storage" and attrs.get("volumeType") in S3_STORAGE:
        fields = base | {
            "service": "AmazonS3",
            "resource": "storage",
            "unit": "GB-month",
            "storage_class": S3_STORAGE[attrs["volumeType"]],
        }
        return _tier_offers(item, what, "GB-Mo", fields)
    if service == "AmazonS3" and family == "API Request" and attrs.get("group") in S3_REQUESTS:
        resource, storage_class = S3_REQUESTS[attrs["group"]]
        fields = base | {
            "service": "AmazonS3",
            "resource": resource,
            "unit": "request",
            "storage_class": storage_class,
        }
        return _tier_offers(item, what, "Requests", fields)
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
    return _tier_offers(item, what, "GB", fields)

"""Turn Azure Retail Prices items into offers (classification rules in :mod:`pricing.sources.azure`)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from planner.errors import SourceError
from pricing.schema import Offer
from pricing.sources.base import HOURS_1Y, HOURS_3Y, FetchStats, decimal_price, iso_date, plain

REQUIRED = ("type", "retailPrice", "armRegionName", "meterName", "productName", "skuName", "unitOfMeasure")
TERM_HOURS = {"1 Year": ("reserved_1y", HOURS_1Y), "3 Years": ("reserved_3y", HOURS_3Y)}
SAVINGS_PLAN = {"1 Year": "savings_plan_1y", "3 Years": "savings_plan_3y"}
STORAGE_CLASS = {"Hot": "object_standard", "Cool": "object_infrequent", "Archive": "object_archive"}
_STORED = re.compile(r"^(?P<tier>Hot|Cool|Cold|Archive) LRS Data Stored$")
_OPS = re.compile(r"^(?P<tier>Hot|Cool|Cold|Archive)(?: LRS)? (?P<op>Write|Read) Operations$")
_PLACES = Decimal("0.0000000001")


def _check(item: Any, what: str) -> dict:
    if not isinstance(item, dict):
        raise SourceError(f"{what}: an item is not an object; the page looks damaged, run the refresh again")
    missing = [k for k in REQUIRED if k not in item]
    if missing:
        raise SourceError(
            f"{what}: item {item.get('meterId', '?')} lacks {', '.join(missing)}; "
            "the page looks damaged, run the refresh again"
        )
    return item


def classify_vm(item: dict) -> tuple[str | None, str]:
    """(purchase option, '') for a VM item we model, or (None, reason it is skipped)."""
    names = (str(item.get("skuName", "")), str(item.get("meterName", "")))
    if str(item.get("productName", "")).endswith(" Windows"):
        return None, "windows"
    if item.get("unitOfMeasure") != "1 Hour":
        return None, "unit_not_hour"
    kind = item.get("type")
    if kind == "Reservation":
        option = TERM_HOURS.get(str(item.get("reservationTerm")))
        return (option[0], "") if option else (None, "reservation_term")
    if kind != "Consumption":
        return None, f"price_type_{str(kind).lower()}"
    if any(n.endswith(" Low Priority") for n in names):
        return None, "low_priority"
    if any(n.endswith(" Spot") for n in names):
        return "spot", ""
    return "on_demand", ""


def _base(item: dict, *, service: str, source: str, fetched_at: str) -> dict[str, Any]:
    return {
        "provider": "azure",
        "service": service,
        "sku": str(item.get("meterId") or item.get("skuId") or item["meterName"]),
        "region": item["armRegionName"],
        "source": source,
        "effective_date": iso_date(item.get("effectiveStartDate")),
        "fetched_at": fetched_at,
    }


def vm_offers(
    items: Iterable[Any], what: str, source: str, fetched_at: str, stats: FetchStats
) -> list[Offer]:
    """Offers for VM items; one per (armSkuName, purchase option), the newest meter winning."""
    from pricing.instances import instance_shape

    best: dict[tuple[str, str], tuple[str, Offer]] = {}
    for raw in items:
        item = _check(raw, what)
        stats.items += 1
        option, reason = classify_vm(item)
        sku_name = item.get("armSkuName") or ""
        if option is None or not sku_name:
            stats.skip(reason or "no_arm_sku_name")
            continue
        price = decimal_price(item["retailPrice"], what=what)
        if option.startswith("reserved") and price is not None:
            price = plain((price / TERM_HOURS[item["reservationTerm"]][1]).quantize(_PLACES, ROUND_HALF_EVEN))
        shape = instance_shape("azure", sku_name)
        common = _base(item, service="Virtual Machines", source=source, fetched_at=fetched_at) | {
            "resource": "instance",
            "unit": "hour",
            "instance_type": sku_name,
            "accelerator": shape.accelerator if shape else None,
            "accelerator_count": shape.accelerator_count if shape else 0,
            "vcpus": shape.vcpus if shape else None,
            "memory_gib": shape.memory_gib if shape else None,
        }
        candidates = [(option, price)]
        if option == "on_demand":
            for plan in item.get("savingsPlan") or []:
                plan_option = SAVINGS_PLAN.get(str(plan.get("term")))
                if plan_option:
                    candidates.append((plan_option, decimal_price(plan.get("retailPrice"), what=what)))
        for opt, value in candidates:
            key = (sku_name, opt)
            if key in best:
                stats.skip("duplicate_meter")
                if best[key][0] >= common["effective_date"]:
                    continue
            best[key] = (common["effective_date"], Offer(**common, purchase_option=opt, price=value))
    return [offer for _, offer in best.values()]


def _tiered(rows: list[tuple[tuple, dict[str, Any]]]) -> list[Offer]:
    """Offers from (group key, fields with tier_start) rows; tier_end = next start in the same group."""
    starts: dict[tuple, list[Decimal]] = {}
    for key, fields in rows:
        starts.setdefault(key, []).append(fields["tier_start"])
    out = []
    for key, fields in rows:
        later = sorted(s for s in starts[key] if s > fields["tier_start"])
        out.append(Offer(**fields, tier_end=later[0] if later else None))
    return out


def storage_offers(
    items: Iterable[Any], what: str, source: str, fetched_at: str, stats: FetchStats
) -> list[Offer]:
    """Blob storage per GB-month (tiered) and write/read operations per request, LRS."""
    rows: list[tuple[tuple, dict[str, Any]]] = []
    for raw in items:
        item = _check(raw, what)
        stats.items += 1
        stored, ops = _STORED.match(item["meterName"]), _OPS.match(item["meterName"])
        match = stored or ops
        if match is None or item["type"] != "Consumption":
            stats.skip("storage_meter_not_modeled")
            continue
        storage_class = STORAGE_CLASS.get(match["tier"])
        if storage_class is None:
            stats.skip("storage_class_not_modeled")
            continue
        price = decimal_price(item["retailPrice"], what=what)
        if stored:
            if item["unitOfMeasure"] != "1 GB/Month":
                stats.skip("unit_not_gb_month")
                continue
            resource, unit = "storage", "GB-month"
        else:
            if item["unitOfMeasure"] != "10K":
                stats.skip("unit_not_10k")
                continue
            resource, unit = f"requests_{match['op'].lower()}", "request"
            price = None if price is None else plain(price / 10000)
        fields = _base(item, service="Storage", source=source, fetched_at=fetched_at) | {
            "resource": resource,
            "unit": unit,
            "storage_class": storage_class,
            "purchase_option": "on_demand",
            "price": price,
            "tier_start": Decimal(str(item.get("tierMinimumUnits") or 0)),
        }
        rows.append(((item["armRegionName"], resource, storage_class), fields))
    return _tiered(rows)


def bandwidth_offers(
    items: Iterable[Any], what: str, source: str, fetched_at: str, stats: FetchStats
) -> list[Offer]:
    """Internet egress per GB, tiered by ``tierMinimumUnits`` (GB per month)."""
    rows: list[tuple[tuple, dict[str, Any]]] = []
    for raw in items:
        item = _check(raw, what)
        stats.items += 1
        if item["meterName"] != "Standard Data Transfer Out" or item["unitOfMeasure"] != "1 GB":
            stats.skip("bandwidth_meter_not_modeled")
            continue
        fields = _base(item, service="Bandwidth", source=source, fetched_at=fetched_at) | {
            "resource": "egress",
            "unit": "GB",
            "purchase_option": "on_demand",
            "price": decimal_price(item["retailPrice"], what=what),
            "tier_start": Decimal(str(item.get("tierMinimumUnits") or 0)),
        }
        rows.append(((item["armRegionName"],), fields))
    return _tiered(rows)

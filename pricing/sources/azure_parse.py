"""Turn Azure Retail Prices items into offers (the rules are listed in :mod:`pricing.sources.azure`)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from pricing.errors import SourceError
from pricing.schema import Offer
from pricing.sources.base import HOURS_1Y, HOURS_3Y, FetchStats, decimal_price, iso_date, plain

REQUIRED = ("type", "retailPrice", "armRegionName", "meterName", "productName", "skuName", "unitOfMeasure")
CURRENCY = "USD"
# Terms as the API spells them, compared case- and space-insensitively ("3 years" occurs as well as "3 Years").
RESERVATION_TERMS = {"1 year": ("reserved_1y", HOURS_1Y), "3 years": ("reserved_3y", HOURS_3Y)}
SAVINGS_PLAN_TERMS = {"1 year": "savings_plan_1y", "3 years": "savings_plan_3y"}
STORAGE_CLASS = {"Hot": "object_standard", "Cool": "object_infrequent", "Archive": "object_archive"}
_STORED = re.compile(r"^(?P<tier>Hot|Cool|Cold|Archive) LRS Data Stored$")
_OPS = re.compile(r"^(?P<tier>Hot|Cool|Cold|Archive)(?: LRS)? (?P<op>Write|Read) Operations$")
_PLACES = Decimal("0.0000000001")

# Names that mark a meter as something other than a Linux pay-as-you-go VM, matched as whole words so
# that "Srs Win" and "Series Windows" both count and no size name is caught by accident.
_WINDOWS = re.compile(r"\b(?:Windows|Win)\b")
_CLOUD_SERVICES = re.compile(r"\bCloud ?Services\b")
_DEDICATED_HOST = re.compile(r"\bDedicated Host\b")
_LOW_PRIORITY = re.compile(r"\bLow Priority\b")
_SPOT = re.compile(r"\bSpot\b")
_VM_PRODUCT = "Virtual Machines"


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


def _term(text: object) -> str:
    return " ".join(str(text or "").split()).lower()


def currency_skip(item: dict) -> str | None:
    """None for a USD item; else why it is not read ("currency_not_usd", or "currency_unknown" when
    neither the item nor its page states a currency). A price in another currency is never read as USD."""
    code = str(item.get("currencyCode") or "").strip().upper()
    if not code:
        return "currency_unknown"
    return None if code == CURRENCY else "currency_not_usd"


def classify_vm(item: dict) -> tuple[str | None, str]:
    """(purchase option, '') for a Linux VM meter we model, or (None, the reason it is skipped).

    Decided from the item alone, so neither the order of the response nor the dates can change it.
    """
    product = str(item.get("productName", ""))
    names = (str(item.get("skuName", "")), str(item.get("meterName", "")))
    if _WINDOWS.search(product):
        return None, "windows"
    if _CLOUD_SERVICES.search(product):
        return None, "cloud_services"
    if any(_DEDICATED_HOST.search(text) for text in (product, *names)):
        return None, "dedicated_host"
    if not product.startswith(_VM_PRODUCT):
        return None, "not_a_vm_product"
    if item.get("unitOfMeasure") != "1 Hour":
        return None, "unit_not_hour"
    kind = item.get("type")
    if kind == "Reservation":
        term = RESERVATION_TERMS.get(_term(item.get("reservationTerm")))
        return (term[0], "") if term else (None, "reservation_term")
    if kind != "Consumption":
        return None, f"price_type_{str(kind).lower()}"
    if any(_LOW_PRIORITY.search(n) for n in names):
        return None, "low_priority"
    if any(_SPOT.search(n) for n in names):
        return "spot", ""
    return "on_demand", ""


@dataclass(frozen=True)
class VmRow:
    """One price point a VM item offers: its option and (hourly, USD-or-as-listed) price."""

    instance_type: str
    region: str
    purchase_option: str
    price: Decimal | None
    effective_date: str  # ISO date; '' when the item gives none (ranks as the oldest)
    primary: bool  # isPrimaryMeterRegion (absent counts as primary)
    item: dict

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.instance_type, self.region, self.purchase_option)

    def rank(self) -> tuple[str, bool, Decimal]:
        """The order of preference among rows of one key: latest date, primary meter, higher price."""
        return (self.effective_date, self.primary, self.price if self.price is not None else Decimal(-1))


def _hourly(price: Decimal | None, hours: Decimal) -> Decimal | None:
    if price is None:
        return None
    return plain((price / hours).quantize(_PLACES, ROUND_HALF_EVEN))


def vm_rows(item: dict, what: str, stats: FetchStats) -> list[VmRow]:
    """The price points of one item (on-demand rows also carry their savings plans); skips counted."""
    option, reason = classify_vm(item)
    instance_type = str(item.get("armSkuName") or "")
    if option is None or not instance_type:
        stats.skip(reason or "no_arm_sku_name")
        return []
    price = decimal_price(item["retailPrice"], what=what)
    if option.startswith("reserved"):
        price = _hourly(price, RESERVATION_TERMS[_term(item.get("reservationTerm"))][1])
    prices = [(option, price)]
    if option == "on_demand":
        for plan in item.get("savingsPlan") or []:
            plan_option = SAVINGS_PLAN_TERMS.get(_term(plan.get("term"))) if isinstance(plan, dict) else None
            if plan_option is None:
                stats.skip("savings_plan_term")
                continue
            prices.append((plan_option, decimal_price(plan.get("retailPrice"), what=what)))
    rows = []
    for opt, value in prices:
        if value is not None and value == 0:  # a zero price is never an offer (nor a division giving 0E-10)
            stats.skip("zero_price")
            continue
        rows.append(
            VmRow(
                instance_type=instance_type,
                region=str(item["armRegionName"]),
                purchase_option=opt,
                price=value,
                effective_date=iso_date(item.get("effectiveStartDate")),
                primary=item.get("isPrimaryMeterRegion") is not False,
                item=item,
            )
        )
    return rows


def select_vm_rows(
    items: Iterable[dict], *, today: str, what: str, stats: FetchStats | None = None
) -> dict[tuple[str, str, str], VmRow]:
    """The one row per (instance type, region, purchase option) that is the current price.

    Rule: rows that are not Linux VM meters (see :func:`classify_vm`), rows without an
    ``armSkuName``, zero prices and rows whose ``effectiveStartDate`` is after ``today`` (ISO date) are
    skipped; of the rest, the row with the latest ``effectiveStartDate`` wins; on a tie, the primary
    meter region's row, then the higher price (a plan should not understate a cost it cannot tell
    apart). The losers are counted as ``duplicate_meter``. Currency is not looked at here.
    """
    stats = stats if stats is not None else FetchStats()
    best: dict[tuple[str, str, str], VmRow] = {}
    for item in items:
        rows = vm_rows(item, what, stats)
        if rows and rows[0].effective_date > today:
            stats.skip("not_yet_effective", len(rows))
            continue
        for row in rows:
            held = best.get(row.key)
            if held is not None:
                stats.skip("duplicate_meter")
                if held.rank() >= row.rank():
                    continue
            best[row.key] = row
    return best


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


def _usd_items(items: Iterable[Any], what: str, stats: FetchStats) -> list[dict]:
    """Checked items in USD; the others counted by reason."""
    out = []
    for raw in items:
        item = _check(raw, what)
        stats.items += 1
        reason = currency_skip(item)
        if reason:
            stats.skip(reason)
            continue
        out.append(item)
    return out


def vm_offers(
    items: Iterable[Any], what: str, source: str, fetched_at: str, stats: FetchStats, *, today: str
) -> list[Offer]:
    """Offers for VM items in USD: one per (armSkuName, region, purchase option), by :func:`select_vm_rows`."""
    from pricing.instances import instance_shape

    offers = []
    for row in select_vm_rows(_usd_items(items, what, stats), today=today, what=what, stats=stats).values():
        shape = instance_shape("azure", row.instance_type)
        common = _base(row.item, service="Virtual Machines", source=source, fetched_at=fetched_at)
        offers.append(
            Offer(
                **common,
                resource="instance",
                unit="hour",
                instance_type=row.instance_type,
                accelerator=shape.accelerator if shape else None,
                accelerator_count=shape.accelerator_count if shape else 0,
                vcpus=shape.vcpus if shape else None,
                memory_gib=shape.memory_gib if shape else None,
                purchase_option=row.purchase_option,
                price=row.price,
            )
        )
    return offers


Row = tuple[tuple, dict[str, Any]]


def _tiered(rows: list[Row], stats: FetchStats, *, free_start: bool = False) -> list[Offer]:
    """Offers from (group key, fields with tier_start) rows; tier_end = next start in the same group.

    Zero-priced rows are dropped (``zero_price``) but still bound the tier before them, so a dropped
    tier leaves a gap rather than stretching its neighbour. With ``free_start``, a zero tier starting
    at 0 in a group with priced tiers stays: it is the free allowance that opens the schedule.
    """
    starts: dict[tuple, list[Decimal]] = {}
    for key, fields in rows:
        starts.setdefault(key, []).append(fields["tier_start"])
    priced = {key for key, fields in rows if fields["price"]}  # groups with a tier above 0
    out = []
    for key, fields in rows:
        free_allowance = free_start and fields["tier_start"] == 0 and key in priced
        if fields["price"] == 0 and not free_allowance:  # None (missing) is not 0
            stats.skip("zero_price")
            continue
        later = sorted(s for s in starts[key] if s > fields["tier_start"])
        out.append(Offer(**fields, tier_end=later[0] if later else None))
    return out


def storage_offers(
    items: Iterable[Any], what: str, source: str, fetched_at: str, stats: FetchStats
) -> list[Offer]:
    """Blob storage per GB-month (tiered) and write/read operations per request, LRS."""
    rows: list[Row] = []
    for item in _usd_items(items, what, stats):
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
    return _tiered(rows, stats)


def bandwidth_offers(
    items: Iterable[Any], what: str, source: str, fetched_at: str, stats: FetchStats
) -> list[Offer]:
    """Internet egress per GB, tiered by ``tierMinimumUnits`` (GB per month).

    A tier at 0 stays only as the free allowance at the start of a schedule that has priced tiers
    after it (Azure's first 100 GB a month); any other zero-priced row is skipped (see :func:`_tiered`).
    """
    rows: list[Row] = []
    for item in _usd_items(items, what, stats):
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
    return _tiered(rows, stats, free_start=True)

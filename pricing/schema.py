"""The normalized offer record: one row = one price point.

Every source (embedded data, cloud APIs, SkyPilot CSV) produces :class:`Offer` rows; every consumer
(costing, ``catalog show``, snapshots) reads them. A missing price is ``None``, never 0.

Field meanings
--------------
provider          aws | gcp | azure | lambda
service           provider service name (e.g. "AmazonEC2", "Compute Engine", "Virtual Machines")
sku               provider SKU / meter id, or a stable synthetic id when the source has none
region            provider region id (us-east-1, us-central1, eastus); "global" for global prices
resource          instance | storage | requests_write | requests_read | egress
instance_type     for instances: the provider's type name (p5.48xlarge, a3-highgpu-8g, Standard_ND96isr_H100_v5)
accelerator       canonical accelerator id (H100-SXM, A100-80GB, L4, ...) or None for CPU-only instances
accelerator_count accelerators per instance (0 for CPU-only)
vcpus, memory_gib instance shape
storage_class     for storage/requests: object_standard | object_infrequent | object_archive | block_ssd | block_hdd
purchase_option   on_demand | spot | reserved_1y | reserved_3y | savings_plan_1y | savings_plan_3y |
                  committed_1y | committed_3y | capacity_block | flex_start | calendar | capacity_reservation
                  (see PURCHASE_OPTION_MEANINGS)
unit              hour | GB-month | GB | request
price             USD per unit (Decimal), None when the source lists the item without a price
tier_start        usage (in unit per month) at which this price starts, inclusive
tier_end          usage at which it stops, exclusive; None = no upper bound
effective_date    date the price took effect / was published (ISO date)
source            where the figure comes from (URL or file + commit)
fetched_at        when it was read from the source (ISO timestamp or date)
"""

from __future__ import annotations

import csv
import dataclasses
import operator
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

PROVIDERS = ("aws", "gcp", "azure", "lambda")
RESOURCES = ("instance", "storage", "requests_write", "requests_read", "egress")
PURCHASE_OPTIONS = (
    "on_demand",
    "spot",
    "reserved_1y",
    "reserved_3y",
    "savings_plan_1y",
    "savings_plan_3y",
    "committed_1y",
    "committed_3y",
    "capacity_block",
    "flex_start",
    "calendar",
    "capacity_reservation",
)
PURCHASE_OPTION_MEANINGS = {
    "on_demand": "pay as you go, any time, no commitment",
    "spot": "spare capacity at a discount; may be interrupted (AWS Spot, GCP Spot VMs, Azure Spot)",
    "reserved_1y": "1-year reservation of one instance type, billed every hour of the term (effective hourly)",
    "reserved_3y": "3-year reservation of one instance type, billed every hour of the term (effective hourly)",
    "savings_plan_1y": "1-year hourly spend commitment (AWS Savings Plans, Azure savings plan), effective hourly",
    "savings_plan_3y": "3-year hourly spend commitment (AWS Savings Plans, Azure savings plan), effective hourly",
    "committed_1y": "GCP 1-year resource-based committed use discount, billed every hour of the term",
    "committed_3y": "GCP 3-year resource-based committed use discount, billed every hour of the term",
    "capacity_block": "AWS EC2 Capacity Blocks for ML: GPU instances reserved ahead for a fixed block of whole days",
    "flex_start": "GCP Dynamic Workload Scheduler flex-start: runs when capacity is found, up to 7 days per request",
    "calendar": "GCP Dynamic Workload Scheduler calendar mode: capacity reserved ahead for fixed dates",
    "capacity_reservation": "on-demand capacity reservation: the on-demand rate, billed whether used or not",
}
# Options bought as scheduled blocks of capacity: right for training and batch runs whose schedule fits,
# never for serving (capacity ends at the end of the block).
SCHEDULED_OPTIONS = ("capacity_block", "flex_start", "calendar")
UNITS = ("hour", "GB-month", "GB", "request")
STORAGE_CLASSES = ("object_standard", "object_infrequent", "object_archive", "block_ssd", "block_hdd")
HOURS_PER_YEAR = Decimal(8760)


@dataclass(frozen=True, slots=True)
class Offer:
    provider: str
    service: str
    sku: str
    region: str
    resource: str
    purchase_option: str
    unit: str
    price: Decimal | None
    source: str
    effective_date: str
    fetched_at: str
    instance_type: str | None = None
    accelerator: str | None = None
    accelerator_count: int = 0
    vcpus: float | None = None
    memory_gib: float | None = None
    storage_class: str | None = None
    tier_start: Decimal = Decimal(0)
    tier_end: Decimal | None = None

    @property
    def priced(self) -> bool:
        return self.price is not None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (Decimals as strings so no precision is lost, None stays null)."""
        out: dict[str, Any] = {}
        for f in FIELDS:
            v = getattr(self, f)
            out[f] = plain(v) if isinstance(v, Decimal) else v
        return out


FIELDS: tuple[str, ...] = (
    "provider",
    "service",
    "sku",
    "region",
    "resource",
    "instance_type",
    "accelerator",
    "accelerator_count",
    "vcpus",
    "memory_gib",
    "storage_class",
    "purchase_option",
    "unit",
    "price",
    "tier_start",
    "tier_end",
    "effective_date",
    "source",
    "fetched_at",
)
assert set(FIELDS) == {f.name for f in dataclasses.fields(Offer)}
_INIT_ORDER = tuple(f.name for f in dataclasses.fields(Offer))  # positional construction order


def plain(value: Decimal) -> str:
    """A Decimal as written on a price page: positional, never an exponent form ("4E-7" -> "0.0000004")."""
    return format(value, "f")


def _dec(text: str) -> Decimal | None:
    text = text.strip()
    if text == "":
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ValueError(f"not a number: {text!r}") from None


def _num(text: str) -> float | None:
    text = text.strip()
    return float(text) if text else None


def offer_from_row(row: dict[str, str]) -> Offer:
    """Build an Offer from a CSV row of :data:`FIELDS` (strings; empty = missing)."""
    return Offer(
        provider=row["provider"],
        service=row["service"],
        sku=row["sku"],
        region=row["region"],
        resource=row["resource"],
        instance_type=row.get("instance_type") or None,
        accelerator=row.get("accelerator") or None,
        accelerator_count=int(float(row.get("accelerator_count") or 0)),
        vcpus=_num(row.get("vcpus", "")),
        memory_gib=_num(row.get("memory_gib", "")),
        storage_class=row.get("storage_class") or None,
        purchase_option=row["purchase_option"],
        unit=row["unit"],
        price=_dec(row.get("price", "")),
        tier_start=_dec(row.get("tier_start", "")) or Decimal(0),
        tier_end=_dec(row.get("tier_end", "")),
        effective_date=row["effective_date"],
        source=row["source"],
        fetched_at=row["fetched_at"],
    )


def offer_to_row(offer: Offer) -> dict[str, str]:
    out = {}
    for f in FIELDS:
        v = getattr(offer, f)
        out[f] = "" if v is None else plain(v) if isinstance(v, Decimal) else str(v)
    return out


def read_offers_csv(path: Path | str) -> list[Offer]:
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(line for line in fh if not line.startswith("#")))
    if not rows:
        return []
    header, body = rows[0], rows[1:]
    if len(set(header)) == len(header) and set(FIELDS) <= set(header):
        return _fast_rows(header, body, path)
    offers = []
    for i, values in enumerate(body, start=2):
        row: dict[Any, Any] = dict(zip(header, values, strict=False))
        if len(values) > len(header):
            row[None] = values[len(header):]  # as csv.DictReader keeps extra fields
        for f in header[len(values):]:
            row[f] = None
        try:
            offers.append(offer_from_row(row))
        except (KeyError, ValueError, AttributeError) as exc:
            from pricing.errors import CatalogError

            raise CatalogError(f"row {i}: {exc}", where=str(path)) from None
    return offers


def _fast_rows(header: list[str], body: list[list[str]], path: Path | str) -> list[Offer]:
    """Rows of a file whose header has every field: the same offers as :func:`offer_from_row`, each distinct
    number parsed once."""
    pick = operator.itemgetter(*(header.index(f) for f in _INIT_ORDER))
    width = len(header)
    decs: dict[str, Decimal | None] = {}
    nums: dict[str, float | None] = {}
    out = []
    for i, values in enumerate(body, start=2):
        if len(values) != width:
            short: dict[Any, Any] = dict(zip(header, values, strict=False))
            for f in header[len(values):]:
                short[f] = None
            try:
                out.append(offer_from_row(short))
            except (KeyError, ValueError, AttributeError) as exc:
                from pricing.errors import CatalogError

                raise CatalogError(f"row {i}: {exc}", where=str(path)) from None
            continue
        (provider, service, sku, region, resource, purchase_option, unit, price, source, effective_date, fetched_at,
         instance_type, accelerator, count, vcpus, memory, storage_class, tier_start, tier_end) = pick(values)
        try:
            p = decs[price] if price in decs else decs.setdefault(price, _dec(price))
            ts = decs[tier_start] if tier_start in decs else decs.setdefault(tier_start, _dec(tier_start))
            te = decs[tier_end] if tier_end in decs else decs.setdefault(tier_end, _dec(tier_end))
            cpu = nums[vcpus] if vcpus in nums else nums.setdefault(vcpus, _num(vcpus))
            mem = nums[memory] if memory in nums else nums.setdefault(memory, _num(memory))
            out.append(Offer(provider, service, sku, region, resource, purchase_option, unit, p, source,
                             effective_date, fetched_at, instance_type or None, accelerator or None,
                             int(float(count or 0)), cpu, mem, storage_class or None,
                             ts or Decimal(0), te))
        except ValueError as exc:
            from pricing.errors import CatalogError

            raise CatalogError(f"row {i}: {exc}", where=str(path)) from None
    return out


def write_offers_csv(offers: Iterable[Offer], out: IO[str]) -> None:
    w = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\n")
    w.writeheader()
    for o in offers:
        w.writerow(offer_to_row(o))


def iter_dicts(offers: Iterable[Offer]) -> Iterator[dict[str, Any]]:
    for o in offers:
        yield o.to_dict()

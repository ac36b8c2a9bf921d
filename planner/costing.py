"""Requirements x offers -> priced line items. The one place where price x quantity happens.

Rules (documented in the README):
- Hourly prices x hours; a month is 730 h unless the workload says otherwise.
- Commitments (reserved / savings plan / committed use) are billed for every hour of the month
  whatever the workload uses, and are not offered for one-off runs.
- Spot / preemptible only for workloads marked interruptible.
- Tiered prices (storage, egress) are applied tier by tier, exactly.
- Money is Decimal. A price that is missing makes the item *unpriced* (cost None), never $0.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, Protocol

from planner.capacity.requirements import ComputeOption, Requirement, StorageNeed
from pricing.catalog import Catalog
from pricing.schema import Offer

HOURS_PER_MONTH = Decimal(730)
COMMITMENTS = ("reserved_1y", "reserved_3y", "savings_plan_1y", "savings_plan_3y", "committed_1y", "committed_3y")
MAX_ALTERNATIVES = 5


class PriceOverlay(Protocol):
    """A price book: negotiated (contracted) unit price for an offer, or None when it has no list price."""

    def contracted_price(self, offer: Offer) -> Decimal | None: ...


def dec(x: float | int | Decimal) -> Decimal:
    return x if isinstance(x, Decimal) else Decimal(repr(float(x))) if isinstance(x, float) else Decimal(x)


@dataclass(frozen=True)
class Candidate:
    """One way to run a compute requirement on one offer."""

    offer: Offer
    option: ComputeOption
    count: int  # instances
    hours: Decimal  # billed hours per instance (per month, or in total when one-time)
    cost: Decimal | None

    @property
    def key(self) -> tuple[str, str]:
        return (self.offer.instance_type or "", self.offer.purchase_option)


@dataclass(frozen=True)
class LineItem:
    cloud: str
    region: str
    workload: str
    kind: str  # training | serving | storage | edge | fixed
    resource: str  # instance | storage | requests_write | requests_read | egress | edge | fixed
    description: str
    instance_type: str | None = None
    accelerator: str | None = None
    accelerators_per_instance: int = 0
    count: int | None = None
    purchase_option: str | None = None
    hours: Decimal | None = None
    quantity: Decimal | None = None
    unit: str | None = None
    unit_price: Decimal | None = None  # list unit price (or the first tier's)
    cost: Decimal | None = None  # list cost for the charge period (month, or the whole run)
    contracted_cost: Decimal | None = None
    one_time: bool = False
    amortize_months: int = 1  # a one-time cost is spread over the horizon in monthly views
    sku: str | None = None
    service: str | None = None
    status: str = "priced"  # priced | unpriced | unavailable
    note: str = ""
    alternatives: tuple[dict[str, Any], ...] = ()
    options_by_purchase: dict[str, str | None] = field(default_factory=dict)
    explain: dict[str, Any] = field(default_factory=dict)

    @property
    def priced(self) -> bool:
        return self.cost is not None

    @property
    def monthly_cost(self) -> Decimal | None:
        return None if self.cost is None else self.cost / self.amortize_months

    @property
    def contracted_monthly_cost(self) -> Decimal | None:
        return None if self.contracted_cost is None else self.contracted_cost / self.amortize_months


# -- compute ------------------------------------------------------------------------------------
def fit_instances(option: ComputeOption, offer: Offer, *, largest: int, allow_span: bool) -> int | None:
    """Instances of ``offer`` needed for ``option``; None if it does not fit."""
    if option.accelerator is None:
        if offer.accelerator is not None or not offer.vcpus:
            return None
        per = math.floor(offer.vcpus / option.vcpus_per_replica) if option.vcpus_per_replica else option.replicas
        if option.memory_gib_per_replica:
            per = min(per, math.floor((offer.memory_gib or 0) / option.memory_gib_per_replica))
        return math.ceil(option.replicas / per) if per >= 1 else None
    if offer.accelerator != option.accelerator or offer.accelerator_count < 1:
        return None
    k = offer.accelerator_count
    if option.packing == "flexible":
        return 1
    need = option.accelerators_per_replica
    if need <= k:
        return math.ceil(option.replicas / (k // need))
    if allow_span and k == largest:
        return option.replicas * math.ceil(need / k)
    return None


def price_candidate(option: ComputeOption, offer: Offer, count: int, hours_per_month: Decimal) -> Candidate:
    if option.packing == "flexible":
        inst_hours = dec(option.accelerator_hours) / offer.accelerator_count
        cap = HOURS_PER_MONTH if not option.one_time else inst_hours
        count = max(1, math.ceil(inst_hours / cap)) if cap else 1
        hours = inst_hours / count
    else:
        hours = dec(option.hours)
    if offer.purchase_option in COMMITMENTS:
        hours = max(hours, hours_per_month)  # a commitment bills every hour of the month
    cost = None if offer.price is None else offer.price * count * hours
    return Candidate(offer, option, count, hours, cost)


def compute_candidates(req: Requirement, offers: Sequence[Offer], purchase_options: Iterable[str]) -> list[Candidate]:
    allowed = set(purchase_options)
    if not req.interruptible:
        allowed.discard("spot")
    if any(o.one_time for o in req.options):
        allowed -= set(COMMITMENTS)
    largest: dict[str, int] = {}
    for o in offers:
        if o.accelerator:
            largest[o.accelerator] = max(largest.get(o.accelerator, 0), o.accelerator_count)
    out = []
    for option in req.options:
        for offer in offers:
            if offer.purchase_option not in allowed:
                continue
            n = fit_instances(option, offer, largest=largest.get(offer.accelerator or "", 0), allow_span=req.kind == "training")
            if n is None:
                continue
            n = max(n, min(option.min_instances, option.replicas))
            out.append(price_candidate(option, offer, n, HOURS_PER_MONTH))
    return out


def _alt(c: Candidate) -> dict[str, Any]:
    return {
        "instance_type": c.offer.instance_type,
        "purchase_option": c.offer.purchase_option,
        "count": c.count,
        "hours": float(c.hours),
        "cost": None if c.cost is None else float(round(c.cost, 2)),
        "config": c.option.label,
    }


def cost_compute(
    req: Requirement, offers: Sequence[Offer], purchase_options: Sequence[str], cloud: str, region: str
) -> LineItem:
    cands = compute_candidates(req, offers, purchase_options)
    priced = sorted((c for c in cands if c.cost is not None), key=lambda c: (c.cost, c.count, c.key))
    base = dict(cloud=cloud, region=region, workload=req.workload, kind=req.kind, resource="instance")
    if not priced:
        wanted = ", ".join(sorted({o.label for o in req.options})) or "compute"
        if cands:
            types = sorted({c.offer.instance_type or "" for c in cands})
            return LineItem(
                **base,
                description=wanted,
                status="unpriced",
                note=f"fitting instances have no price in this catalog: {', '.join(types)}",
                explain=dict(req.explain),
            )
        return LineItem(
            **base,
            description=wanted,
            status="unavailable",
            note=f"no instance in {cloud} {region} fits {wanted} with purchase options {', '.join(purchase_options)}",
            explain=dict(req.explain),
        )
    best = priced[0]
    seen = {best.key}
    alts = []
    for c in priced[1:]:
        if c.key not in seen:
            seen.add(c.key)
            alts.append(_alt(c))
        if len(alts) >= MAX_ALTERNATIVES:
            break
    by_option: dict[str, str | None] = {}
    for c in cands:
        if c.offer.instance_type == best.offer.instance_type and c.option == best.option:
            by_option[c.offer.purchase_option] = None if c.cost is None else str(round(c.cost, 2))
    o = best.offer
    return LineItem(
        **base,
        description=f"{best.count}x {o.instance_type}" + (f" ({best.option.label})" if o.accelerator else ""),
        instance_type=o.instance_type,
        accelerator=o.accelerator,
        accelerators_per_instance=o.accelerator_count,
        count=best.count,
        purchase_option=o.purchase_option,
        hours=best.hours,
        quantity=best.hours * best.count,
        unit="hour",
        unit_price=o.price,
        cost=best.cost,
        one_time=best.option.one_time,
        sku=o.sku,
        service=o.service,
        alternatives=tuple(alts),
        options_by_purchase=by_option,
        explain={**req.explain, **best.option.explain, "replicas": best.option.replicas, "config": best.option.label},
    )


# -- tiered usage (storage, requests, egress) ---------------------------------------------------
def tiered_cost(quantity: Decimal, tiers: Sequence[Offer]) -> tuple[Decimal | None, str]:
    """Cost of ``quantity`` units under tiered prices. Returns (cost, note); cost None if not priced."""
    if quantity <= 0:
        return Decimal(0), ""
    tiers = sorted(tiers, key=lambda t: t.tier_start)
    if not tiers:
        return None, "no price in this catalog"
    total = Decimal(0)
    covered = Decimal(0)
    for t in tiers:
        if t.tier_start > covered:
            return None, f"tier gap from {covered:,.0f} to {t.tier_start:,.0f} {t.unit}"
        hi = quantity if t.tier_end is None else min(quantity, t.tier_end)
        used = hi - max(t.tier_start, covered)
        if used > 0:
            if t.price is None:
                return None, f"tier from {t.tier_start:,.0f} {t.unit} has no price"
            total += t.price * used
            covered = hi
        if covered >= quantity:
            return total, ""
    return None, f"priced tiers end at {covered:,.0f} {tiers[-1].unit}, below the {quantity:,.0f} needed"


def cost_storage(need: StorageNeed, month: int, catalog: Catalog, cloud: str, region: str, workload: str) -> list[LineItem]:
    items = []
    parts = [
        ("storage", need.storage_class, dec(need.gb_month(month)), "GB-month"),
        ("requests_write", need.storage_class, dec(need.write_requests_per_month), "request"),
        ("requests_read", need.storage_class, dec(need.read_requests_per_month), "request"),
        ("egress", None, dec(need.egress_gb_per_month), "GB"),
    ]
    for resource, sclass, qty, unit in parts:
        if resource != "storage" and qty == 0:
            continue
        tiers = [
            o
            for o in catalog.query(provider=cloud, region=region, resource=resource)
            if (sclass is None or o.storage_class == sclass) and o.purchase_option == "on_demand"
        ]
        cost, note = tiered_cost(qty, tiers)
        first = min(tiers, key=lambda t: t.tier_start) if tiers else None
        label = {"storage": f"{sclass} storage", "egress": "internet egress"}.get(resource, f"{sclass} {resource.replace('_', ' ')}")
        items.append(
            LineItem(
                cloud=cloud,
                region=region,
                workload=workload,
                kind="storage",
                resource=resource,
                description=label,
                purchase_option="on_demand",
                quantity=qty,
                unit=unit,
                unit_price=first.price if first else None,
                cost=cost,
                sku=first.sku if first else None,
                service=first.service if first else None,
                status="priced" if cost is not None else "unpriced",
                note=note,
                explain={"tiers": len(tiers), "tiers_used": sum(1 for t in tiers if t.tier_start < qty)} if tiers else {},
            )
        )
    return items


def apply_overlay(item: LineItem, catalog_offers: dict[str, Offer], overlay: PriceOverlay | None) -> LineItem:
    """Contracted cost of an item under a price book (same as list when there is none)."""
    if item.cost is None:
        return item
    if overlay is None or item.sku is None or item.sku not in catalog_offers:
        return replace(item, contracted_cost=item.cost)
    offer = catalog_offers[item.sku]
    contracted = overlay.contracted_price(offer)
    if contracted is None or offer.price in (None, Decimal(0)):
        return replace(item, contracted_cost=item.cost)
    return replace(item, contracted_cost=item.cost * contracted / offer.price)

"""Requirements x offers -> priced line items. The one place where price x quantity happens.

Rules (documented in the README):
- Hourly prices x hours; a month is 730 h unless the workload says otherwise.
- Commitments (reserved / savings plan / committed use) are billed for every hour of the month
  whatever the workload uses, and are not offered for one-off runs.
- Spot / preemptible only for workloads marked interruptible.
- Scheduled capacity (AWS Capacity Blocks for ML, GCP DWS flex-start and calendar mode) only for
  training and batch work: it ends when its dates do, so serving never uses it. Capacity blocks and
  calendar-mode reservations are bought in whole days (each run rounded up to 24-hour days);
  flex-start is billed per hour used, like on-demand, but may wait for capacity.
- An on-demand capacity reservation bills the on-demand rate for every hour it is held: the whole
  month for recurring work, the run for a one-off run.
- Instance types the provider does not sell on demand (``pricing.instances``) are never bought on
  demand, whatever a catalog lists.
- Tiered prices (storage, egress) are applied tier by tier, exactly.
- Money is Decimal. A price that is missing makes the item *unpriced* (cost None), never $0.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, Protocol

from planner.capacity.requirements import ComputeOption, Requirement, StorageNeed
from pricing.catalog import Catalog
from pricing.instances import instance_shape
from pricing.schema import SCHEDULED_OPTIONS, Offer

HOURS_PER_MONTH = Decimal(730)
HOURS_PER_DAY = 24
# the most whole-day capacity a month can need: 730 h rounded up to whole days (31 days = 744 h)
MONTH_IN_WHOLE_DAYS = Decimal(math.ceil(730 / HOURS_PER_DAY) * HOURS_PER_DAY)
# commitments and the months each is bought for (billed every hour of the term)
TERM_MONTHS = {"reserved_1y": 12, "savings_plan_1y": 12, "committed_1y": 12,
               "reserved_3y": 36, "savings_plan_3y": 36, "committed_3y": 36}  # fmt: skip
COMMITMENTS = tuple(TERM_MONTHS)
WHOLE_DAY_OPTIONS = ("capacity_block", "calendar")  # bought in whole days
ON_DEMAND_RATE_OPTIONS = ("on_demand", "capacity_reservation")
MAX_ALTERNATIVES = 5


class PriceOverlay(Protocol):
    """A price book: negotiated (contracted) unit price for an offer, or None when it has none."""

    def contracted_price(self, offer: Offer) -> Decimal | None: ...


def dec(x: float | Decimal) -> Decimal:
    return x if isinstance(x, Decimal) else Decimal(repr(float(x))) if isinstance(x, float) else Decimal(x)


def list_price(offer: Offer) -> Decimal | None:
    """The list price, with a $0 hourly compute price treated as missing (no real instance is free)."""
    if offer.price is not None and offer.price <= 0 and offer.resource == "instance":
        return None
    return offer.price


def effective_price(offer: Offer, overlay: PriceOverlay | None) -> Decimal | None:
    """What the buyer pays per unit: the price book's contracted price, else the list price."""
    if overlay is None:
        return list_price(offer)
    p = overlay.contracted_price(offer)
    return p if p is None or p > 0 or offer.resource != "instance" else None


@dataclass(frozen=True)
class Candidate:
    """One way to run a compute requirement on one offer."""

    offer: Offer
    option: ComputeOption
    count: int  # instances
    hours: Decimal  # billed hours per instance (per month, or in total when one-time)
    list_cost: Decimal | None
    cost: Decimal | None  # effective (contracted when a price book applies)
    used_hours: Decimal | None = None  # hours used per instance, before whole-day or whole-month billing rules
    spot: dict[str, Any] | None = None  # the interruption overhead added to spot hours (training and batch)
    # a mixed fleet: ``count`` instances of ``offer`` filled first, plus ``extra_count`` of ``extra`` for the rest
    extra: Offer | None = None
    extra_count: int = 0

    @property
    def instance_label(self) -> str:
        """The instance type, or ``main + rest`` for a mixed fleet (the pin of a configuration)."""
        main = self.offer.instance_type or ""
        return f"{main} + {self.extra.instance_type}" if self.extra is not None else main

    @property
    def instances(self) -> int:
        return self.count + self.extra_count

    @property
    def key(self) -> tuple[str, str]:
        return (self.instance_label, self.offer.purchase_option)


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
    contracted_cost: Decimal | None = None  # what is billed: after the price book; equals cost without one
    # FOCUS views of the same usage at the on-demand rate: public (ListCost) and negotiated (ContractedCost);
    # None = same as cost / contracted_cost (on-demand usage, storage, fixed costs)
    on_demand_list_cost: Decimal | None = None
    on_demand_contracted_cost: Decimal | None = None
    one_time: bool = False
    amortize_months: int = 1  # a one-time cost is spread over the horizon in monthly views
    sku: str | None = None
    service: str | None = None
    status: str = "priced"  # priced | unpriced | unavailable
    note: str = ""
    alternatives: tuple[dict[str, Any], ...] = ()
    options_by_purchase: dict[str, dict[str, Any]] = field(default_factory=dict)
    explain: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.contracted_cost is None and self.cost is not None and self.status == "priced":
            object.__setattr__(self, "contracted_cost", self.cost)

    @property
    def priced(self) -> bool:
        return self.contracted_cost is not None

    @property
    def monthly_cost(self) -> Decimal | None:
        return None if self.cost is None else self.cost / self.amortize_months

    @property
    def contracted_monthly_cost(self) -> Decimal | None:
        return None if self.contracted_cost is None else self.contracted_cost / self.amortize_months

    @property
    def list_view_cost(self) -> Decimal | None:
        """FOCUS ListCost: this usage at the public on-demand rate."""
        return self.on_demand_list_cost if self.on_demand_list_cost is not None else self.cost

    @property
    def contracted_view_cost(self) -> Decimal | None:
        """FOCUS ContractedCost: this usage at the negotiated on-demand rate (before commitment discounts)."""
        return self.on_demand_contracted_cost if self.on_demand_contracted_cost is not None else self.contracted_cost


# -- compute ------------------------------------------------------------------------------------
def fit_instances(option: ComputeOption, offer: Offer, *, largest: int, allow_span: bool,
                  replicas: int | None = None) -> int | None:
    """Instances of ``offer`` needed for ``option`` (for ``replicas`` of it when given, else its own count);
    None if it does not fit."""
    if replicas is None:
        replicas = option.replicas
    if option.accelerator is None:
        if offer.accelerator is not None or not offer.vcpus:
            return None
        per = math.floor(offer.vcpus / option.vcpus_per_replica) if option.vcpus_per_replica else replicas
        if option.memory_gib_per_replica:
            per = min(per, math.floor((offer.memory_gib or 0) / option.memory_gib_per_replica))
        return math.ceil(replicas / per) if per >= 1 else None
    if offer.accelerator != option.accelerator or offer.accelerator_count < 1:
        return None
    k = offer.accelerator_count
    if option.packing == "flexible":
        return 1
    need = option.accelerators_per_replica
    if need <= k:
        per = replicas_per_instance(option, offer)
        return math.ceil(replicas / per) if per >= 1 else None
    if allow_span and k == largest:
        return replicas * math.ceil(need / k)
    return None


def whole_days(option: ComputeOption, hours: Decimal) -> Decimal:
    """Hours billed when capacity is bought in whole days: each run rounded up to 24-hour days.

    A batch workload runs ``runs_per_month`` separate runs of ``run_hours`` (a block per run); other
    work is one run of ``hours`` per month (or in total, for a one-off run). Runs that share a day share its
    block: a month never needs more than its own days (``MONTH_IN_WHOLE_DAYS``).
    """
    runs = option.explain.get("runs_per_month")
    run_hours = option.explain.get("run_hours")
    if runs and run_hours and option.packing != "flexible":
        days = math.ceil(round(float(run_hours), 9) / HOURS_PER_DAY)
        return min(Decimal(days * HOURS_PER_DAY) * dec(runs), MONTH_IN_WHOLE_DAYS)
    return Decimal(math.ceil(round(float(hours), 9) / HOURS_PER_DAY) * HOURS_PER_DAY)


def level_instance_hours(option: ComputeOption, offer: Offer, *, largest: int, allow_span: bool) -> Decimal | None:
    """Instance-hours a month when the replica count varies over the day: whole instances at every level.

    Off-peak replicas smaller than an instance still pay for whole instances (8 replicas of one GPU
    on an 8-GPU instance in 2 zones: 2 instances, not 1/4 of one). None when the option has no levels.
    """
    if not option.levels:
        return None
    total = Decimal(0)
    for replicas, hours in option.levels:
        n = fit_instances(option, offer, largest=largest, allow_span=allow_span, replicas=replicas) or 0
        total += dec(hours) * max(n, min(option.min_instances, replicas))
    return total.quantize(Decimal("0.000001"))  # hours are fractions of 730: keep the sum free of float dust


def replicas_per_instance(option: ComputeOption, offer: Offer) -> int:
    """Replicas of ``option`` one instance of ``offer`` holds: by accelerators, and by the vCPUs and memory
    each replica needs when it says (a replica needing 8 vCPUs fits 2 to a 16-vCPU host whatever its GPUs)."""
    if option.accelerator is None:
        per = math.floor(offer.vcpus / option.vcpus_per_replica) if option.vcpus_per_replica and offer.vcpus else 0
    else:
        need = option.accelerators_per_replica
        per = offer.accelerator_count // need if need else 0
        if option.vcpus_per_replica and offer.vcpus:
            per = min(per, math.floor(offer.vcpus / option.vcpus_per_replica))
    if option.memory_gib_per_replica and offer.memory_gib:
        per = min(per, math.floor(offer.memory_gib / option.memory_gib_per_replica))
    return per


def mixed_candidate(option: ComputeOption, main: Offer, rest: Offer, overlay: PriceOverlay | None = None) -> Candidate | None:
    """``main`` instances filled with replicas, the remainder on smaller ``rest`` instances (same purchase option).

    9 replicas of one T4 on 2-GPU and 1-GPU hosts: 4 x 2-GPU + 1 x 1-GPU. None when it does not apply
    (different purchase options, no remainder, or ``rest`` holds at least as many replicas as ``main``).
    """
    if (main.purchase_option != rest.purchase_option or option.packing != "replicas" or option.levels
            or main.instance_type == rest.instance_type or main.accelerator != rest.accelerator):
        return None
    a, b = replicas_per_instance(option, main), replicas_per_instance(option, rest)
    if a < 1 or b < 1 or b >= a:
        return None
    n_main, left = divmod(option.replicas, a)
    if left == 0 or n_main == 0:
        return None
    n_rest = math.ceil(left / b)
    if n_main + n_rest < option.min_instances:
        return None
    pa, pb = price_candidate(option, main, n_main, overlay), price_candidate(option, rest, n_rest, overlay)

    def add(x: Decimal | None, y: Decimal | None) -> Decimal | None:
        return None if x is None or y is None else x + y

    return replace(pa, list_cost=add(pa.list_cost, pb.list_cost), cost=add(pa.cost, pb.cost), extra=rest,
                   extra_count=n_rest)


def price_candidate(
    option: ComputeOption, offer: Offer, count: int, overlay: PriceOverlay | None = None,
    *, largest: int = 0, allow_span: bool = False,
) -> Candidate:
    levels = level_instance_hours(option, offer, largest=largest, allow_span=allow_span)
    if option.packing == "flexible":
        inst_hours = dec(option.accelerator_hours) / offer.accelerator_count
        cap = HOURS_PER_MONTH if not option.one_time else inst_hours
        count = max(1, math.ceil(inst_hours / cap)) if cap else 1
        hours = inst_hours / count
    elif levels is not None and count:
        hours = levels / count  # billed hours per peak instance, so that count x hours = instance-hours
    else:
        hours = dec(option.hours)
    used = hours
    if offer.purchase_option in WHOLE_DAY_OPTIONS:
        hours = whole_days(option, hours)
    if offer.purchase_option in COMMITMENTS or (offer.purchase_option == "capacity_reservation" and not option.one_time):
        hours = max(hours, HOURS_PER_MONTH)  # a commitment (or a held reservation) bills every hour of the month
    lp, ep = list_price(offer), effective_price(offer, overlay)
    return Candidate(offer, option, count, hours, None if lp is None else lp * count * hours,
                     None if ep is None else ep * count * hours, used)


def may_schedule(req: Requirement) -> bool:
    """Training and batch work may run on scheduled capacity (blocks, flex-start, calendar); serving may not."""
    return req.kind == "training" or req.explain.get("style") == "batch"


def excluded_options(req: Requirement, purchase_options: Iterable[str]) -> dict[str, str]:
    """The requested purchase options this workload cannot use, each with the reason."""
    what = "training" if req.kind == "training" else f"{str(req.explain.get('style', 'real_time')).replace('_', '-')} serving"
    out: dict[str, str] = {}
    for po in purchase_options:
        if po == "spot" and not req.interruptible:
            out[po] = (f"{what} workloads are not interruptible unless marked 'interruptible: true'; "
                       "spot capacity can be reclaimed at any time")
        elif po in COMMITMENTS and any(o.one_time for o in req.options):
            out[po] = "a one-off run: a commitment bills every hour of its 1- or 3-year term"
        elif po in SCHEDULED_OPTIONS and not may_schedule(req):
            out[po] = "serving runs all the time; scheduled capacity (blocks, flex-start, calendar) ends with its dates"
    return out


def sold(offer: Offer) -> bool:
    """False for an on-demand-rate offer of a type the provider does not sell on demand."""
    if offer.purchase_option not in ON_DEMAND_RATE_OPTIONS or not offer.instance_type:
        return True
    shape = instance_shape(offer.provider, offer.instance_type)
    return shape is None or shape.sold_on_demand


def with_spot_overhead(req: Requirement, c: Candidate) -> Candidate:
    """Spot training and batch pay for the work interruptions throw away (planner/interruptions.py)."""
    if c.offer.purchase_option != "spot" or not may_schedule(req):
        return c
    from planner.interruptions import SpotTerms, spot_overhead

    opt, k = c.option, c.offer.accelerator_count
    in_step = 1
    if req.kind == "training" and opt.packing == "replicas" and opt.accelerator and k:
        in_step = math.ceil(opt.accelerators_per_replica / k)  # a replica spanning nodes stops as one
    pct, interval, restart = req.spot_terms
    ov = spot_overhead(SpotTerms(pct, interval, restart), accelerator=opt.accelerator is not None,
                       instances_in_step=in_step, hours=float(c.hours))
    factor = Decimal(1) + dec(ov.overhead)
    return replace(c, hours=c.hours * factor, list_cost=None if c.list_cost is None else c.list_cost * factor,
                   cost=None if c.cost is None else c.cost * factor, spot=ov.explain())


def _spot_factor(req: Requirement, option: ComputeOption, offer: Offer, hours: Decimal) -> Decimal:
    """1 + the interruption overhead a spot candidate of ``option`` on ``offer`` pays (1 when none applies)."""
    probe = Candidate(offer, option, 1, hours, Decimal(0), Decimal(0))
    spotted = with_spot_overhead(req, probe)
    return spotted.hours / hours if hours else Decimal(1)


def compute_candidates(
    req: Requirement, offers: Sequence[Offer], purchase_options: Iterable[str], overlay: PriceOverlay | None = None
) -> list[Candidate]:
    options = list(purchase_options)
    allowed = set(options) - set(excluded_options(req, options))
    largest: dict[str, int] = {}
    for o in offers:
        if o.accelerator:
            largest[o.accelerator] = max(largest.get(o.accelerator, 0), o.accelerator_count)
    usable = [(o, largest.get(o.accelerator or "", 0)) for o in offers if o.purchase_option in allowed and sold(o)]
    span = req.kind == "training"
    out = []
    for option in req.options:
        for offer, big in usable:
            n = fit_instances(option, offer, largest=big, allow_span=span)
            if n is None:
                continue
            n = max(n, min(option.min_instances, option.replicas))
            out.append(with_spot_overhead(req, price_candidate(option, offer, n, overlay, largest=big, allow_span=span)))
    return out + _mixed(req, out, overlay)


def _mixed(req: Requirement, singles: list[Candidate], overlay: PriceOverlay | None) -> list[Candidate]:
    """Mixed fleets (a larger type filled, the rest on a smaller one) that beat every single-type fleet of the
    same configuration and purchase option. Not for commitments or whole-day options (bought per type)."""
    out: list[Candidate] = []
    groups: dict[tuple[ComputeOption, str], list[Candidate]] = {}
    for c in singles:
        if c.offer.purchase_option in (*COMMITMENTS, *WHOLE_DAY_OPTIONS) or c.cost is None or c.option.one_time:
            continue
        groups.setdefault((c.option, c.offer.purchase_option), []).append(c)
    for (option, _po), cands in groups.items():
        best_single = min(c.cost for c in cands if c.cost is not None)
        for a in cands:
            for b in cands:
                m = mixed_candidate(option, a.offer, b.offer, overlay)
                if m is None:
                    continue
                m = with_spot_overhead(req, m)
                if m.cost is not None and m.cost < best_single:
                    out.append(m)
    return out


def _alt(c: Candidate) -> dict[str, Any]:
    return {
        "instance_type": c.instance_label,
        "purchase_option": c.offer.purchase_option,
        "count": c.instances,
        "hours": float(c.hours),
        "cost": None if c.cost is None else float(round(c.cost, 2)),
        "config": c.option.label,
    }


def _by_purchase_option(cands: list[Candidate], best: Candidate) -> dict[str, dict[str, Any]]:
    """The chosen instance under every allowed purchase option, with commitments' break-even utilization."""
    same = [c for c in cands if c.instance_label == best.instance_label and c.option == best.option]
    od = next((c for c in same if c.offer.purchase_option == "on_demand" and c.cost is not None), None)
    out: dict[str, dict[str, Any]] = {}
    for c in sorted(same, key=lambda c: c.offer.purchase_option):
        row: dict[str, Any] = {"monthly_cost": None if c.cost is None else float(round(c.cost, 2))}
        if c.offer.purchase_option in COMMITMENTS and od is not None and od.cost is not None and c.cost is not None:
            od_rate = od.cost / (od.count * od.hours)
            rate = c.cost / (c.count * c.hours)
            # a commitment pays every hour; on-demand only the hours used: equal cost at rate / od_rate of the month
            row["break_even_utilization"] = round(float(rate / od_rate), 3)
        out[c.offer.purchase_option] = row
    return out


def cost_compute(
    req: Requirement,
    offers: Sequence[Offer],
    purchase_options: Sequence[str],
    cloud: str,
    region: str,
    overlay: PriceOverlay | None = None,
    pin: Pin | None = None,
    candidates: list[Candidate] | None = None,
) -> LineItem:
    """The cheapest (effective cost) way to run ``req`` on ``offers``.

    ``pin`` keeps a configuration chosen earlier: later months of a horizon scale the same hardware
    (instance type, purchase option, accelerator and tensor-parallel degree) rather than hopping
    between instance types; it is dropped only when that configuration no longer fits.
    """
    every = candidates if candidates is not None else compute_candidates(req, offers, purchase_options, overlay)
    cands = ([c for c in every if pin_of(c) == pin] or every) if pin is not None else every
    priced = sorted((c for c in cands if c.cost is not None), key=lambda c: (c.cost, c.count, c.key))
    base: dict[str, Any] = {"cloud": cloud, "region": region, "workload": req.workload, "kind": req.kind,
                            "resource": "instance"}
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
        excluded = excluded_options(req, purchase_options)
        usable = [po for po in purchase_options if po not in excluded]
        if usable:
            note = f"no instance in {cloud} {region} fits {wanted} with purchase options {', '.join(usable)}"
        else:
            note = "; ".join(f"{po} is not allowed: {why}" for po, why in excluded.items())
        return LineItem(**base, description=wanted, status="unavailable", note=note, explain=dict(req.explain))
    best = priced[0]
    seen = {best.key}
    alts = []
    # runners-up come from every fitting configuration, not only the pinned one ("why not X")
    runners = sorted((c for c in every if c.cost is not None), key=lambda c: (c.cost, c.count, c.key))
    for c in runners:
        if c.key not in seen:
            seen.add(c.key)
            alts.append(_alt(c))
        if len(alts) >= MAX_ALTERNATIVES:
            break
    o = best.offer
    note = "" if best.list_cost is not None else "no list price; priced at the price book's private rate"
    od_list = od_contracted = None
    if o.purchase_option != "on_demand":  # the same usage at the on-demand rate, for List/Contracted views
        od = next((x for x in offers if x.instance_type == o.instance_type and x.purchase_option == "on_demand"
                   and sold(x)), None)
        if od is not None:
            used = best.used_hours if best.used_hours is not None else best.hours
            lp, ep = list_price(od), effective_price(od, overlay)
            od_list = None if lp is None else lp * best.count * used
            od_contracted = None if ep is None else ep * best.count * used
    if best.extra is not None:
        return _mixed_item(best, base, req, purchase_options, every, alts, note)
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
        unit_price=list_price(o),
        cost=best.list_cost,
        contracted_cost=best.cost,
        on_demand_list_cost=od_list,
        on_demand_contracted_cost=od_contracted,
        one_time=best.option.one_time,
        sku=o.sku,
        service=o.service,
        note=note,
        alternatives=tuple(alts),
        options_by_purchase=_by_purchase_option(every, best),
        explain={**req.explain, **best.option.explain, "replicas": best.option.replicas, "config": best.option.label,
                 "accelerators_per_replica": best.option.accelerators_per_replica,
                 "purchase_options_not_considered": excluded_options(req, purchase_options),
                 **({"spot_overhead": best.spot} if best.spot else {}),
                 **_billing_note(best)},
    )


def _mixed_item(best: Candidate, base: dict[str, Any], req: Requirement, purchase_options: Sequence[str],
                every: list[Candidate], alts: list[dict[str, Any]], note: str) -> LineItem:
    """A mixed fleet's line item: both types named, the blended hourly price per instance as unit price."""
    o, x = best.offer, best.extra
    assert x is not None
    od_list = od_contracted = None
    if o.purchase_option != "on_demand":  # the same fleet at the on-demand rate, for the List/Contracted views
        od = next((c for c in every if c.instance_label == best.instance_label and c.option == best.option
                   and c.offer.purchase_option == "on_demand"), None)
        if od is not None:
            od_list, od_contracted = od.list_cost, od.cost
    n = best.instances
    fleet = [{"instance_type": t.instance_type, "count": k, "unit_price": None if (p := list_price(t)) is None else float(p)}
             for t, k in ((o, best.count), (x, best.extra_count))]
    return LineItem(
        **base,
        description=f"{best.count}x {o.instance_type} + {best.extra_count}x {x.instance_type} ({best.option.label})",
        instance_type=o.instance_type, accelerator=o.accelerator, accelerators_per_instance=o.accelerator_count,
        count=n, purchase_option=o.purchase_option, hours=best.hours, quantity=best.hours * n, unit="hour",
        unit_price=None if best.list_cost is None else best.list_cost / (n * best.hours),
        cost=best.list_cost, contracted_cost=best.cost, on_demand_list_cost=od_list, on_demand_contracted_cost=od_contracted,
        sku=o.sku, service=o.service, note=note, alternatives=tuple(alts),
        options_by_purchase=_by_purchase_option(every, best),
        explain={**req.explain, **best.option.explain, "replicas": best.option.replicas, "config": best.option.label,
                 "accelerators_per_replica": best.option.accelerators_per_replica, "mixed_fleet": fleet,
                 "purchase_options_not_considered": excluded_options(req, purchase_options),
                 **({"spot_overhead": best.spot} if best.spot else {})},
    )


def _billing_note(c: Candidate) -> dict[str, Any]:
    """How the chosen purchase option turns usage into billed hours, when it is not hour for hour."""
    po, used = c.offer.purchase_option, c.used_hours if c.used_hours is not None else c.hours
    if po in WHOLE_DAY_OPTIONS:
        return {"billed_hours_rule": f"{po.replace('_', ' ')} is bought in whole days: {float(c.hours):,.0f} h "
                                     "billed per instance (each run rounded up to 24-hour days)"}
    if po in COMMITMENTS:
        return {"billed_hours_rule": f"{po} bills every hour of the month ({float(c.hours):,.0f} h per instance), "
                                     "used or not"}
    if po == "flex_start":
        return {"billed_hours_rule": "flex-start bills the hours used; a request runs up to 7 days and may wait "
                                     "for capacity, so longer runs resume from checkpoints"}
    if po == "capacity_reservation" and c.hours > used:
        return {"billed_hours_rule": "a capacity reservation bills the on-demand rate for every hour it is held"}
    return {}


Pin = tuple[str | None, str | None, str | None, int]


def pin_of(c: Candidate | LineItem) -> Pin:
    if isinstance(c, Candidate):
        return (c.instance_label, c.offer.purchase_option, c.option.accelerator, c.option.accelerators_per_replica)
    return (c.instance_type, c.purchase_option, c.accelerator, int(c.explain.get("accelerators_per_replica", 0)))


# -- tiered usage (storage, requests, egress) ---------------------------------------------------
def tiered_cost(
    quantity: Decimal, tiers: Sequence[Offer], price: Callable[[Offer], Decimal | None] = list_price
) -> tuple[Decimal | None, str]:
    """Cost of ``quantity`` units under tiered prices (``price`` reads each tier's unit price).

    Returns (cost, note); cost is None when a tier the quantity reaches has no price or is absent.
    """
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
            p = price(t)
            if p is None:
                return None, f"tier from {t.tier_start:,.0f} {t.unit} has no price"
            total += p * used
            covered = hi
        if covered >= quantity:
            return total, ""
    return None, f"priced tiers end at {covered:,.0f} {tiers[-1].unit}, below the {quantity:,.0f} needed"


def _storage_parts(need: StorageNeed, month: int) -> list[tuple[str, str | None, Decimal, str]]:
    parts = [
        ("storage", need.storage_class, dec(need.gb_month(month)), "GB-month"),
        ("requests_write", need.storage_class, dec(need.write_requests_per_month), "request"),
        ("requests_read", need.storage_class, dec(need.read_requests_per_month), "request"),
        ("egress", None, dec(need.egress_gb_per_month), "GB"),
    ]
    return [p for p in parts if p[0] == "storage" or p[2] != 0]


SPLIT_RULE = ("tiers and free allowances apply to the account's total in this cloud and region; "
              "the tiered cost of the total is split between workloads in proportion to their quantity")


def cost_storage_account(
    needs: Sequence[tuple[str, StorageNeed]],
    month: int,
    catalog: Catalog,
    cloud: str,
    region: str,
    overlay: PriceOverlay | None = None,
    tiers_of: dict[tuple[str, str | None], list[Offer]] | None = None,
) -> dict[str, list[LineItem]]:
    """Storage, requests and egress of every storage workload in one cloud and region, for one month.

    Volume tiers and free allowances are the account's, as the providers bill them: two 30,000 GB S3
    Standard stores are 60,000 GB on one tier ladder, and the first 100 GB of internet egress a month is
    free once, not once per workload. Each workload's line item carries its share of the tiered total,
    in proportion to its quantity; ``explain`` says how it was split. ``tiers_of``: the tiers read so far
    for this catalog, cloud and region by (resource, storage class), kept there for the next month.
    """
    groups: dict[tuple[str, str | None], list[tuple[str, Decimal]]] = {}
    for name, need in needs:
        for resource, sclass, qty, _unit in _storage_parts(need, month):
            groups.setdefault((resource, sclass), []).append((name, qty))
    priced: dict[tuple[str, str | None], tuple[Decimal, Decimal | None, Decimal | None, str, list[Offer]]] = {}
    known = tiers_of if tiers_of is not None else {}
    for (resource, sclass), members in groups.items():
        tiers = known.get((resource, sclass))
        if tiers is None:
            tiers = known[(resource, sclass)] = [
                o
                for o in catalog.query(provider=cloud, region=region, resource=resource)
                if (sclass is None or o.storage_class == sclass) and o.purchase_option == "on_demand"
            ]
        total = sum((q for _, q in members), Decimal(0))
        cost, note = tiered_cost(total, tiers)
        contracted = cost
        if overlay is not None:  # the price book applies tier by tier
            contracted, _ = tiered_cost(total, tiers, lambda t: effective_price(t, overlay))
        priced[(resource, sclass)] = (total, cost, contracted, note, tiers)
    out: dict[str, list[LineItem]] = {}
    for name, need in needs:
        items = []
        for resource, sclass, qty, unit in _storage_parts(need, month):
            total, cost, contracted, note, tiers = priced[(resource, sclass)]
            share = qty / total if total else Decimal(0) if len(groups[(resource, sclass)]) > 1 else Decimal(1)
            first = min(tiers, key=lambda t: t.tier_start) if tiers else None
            label = {"storage": f"{sclass} storage", "egress": "internet egress"}.get(
                resource, f"{sclass} {resource.replace('_', ' ')}")
            explain: dict[str, Any] = {}
            if tiers:
                explain = {"tiers": len(tiers), "tiers_used": sum(1 for t in tiers if t.tier_start < total)}
            if len(groups[(resource, sclass)]) > 1:
                explain.update(account_quantity=float(total), share=round(float(share), 6), split=SPLIT_RULE,
                               account_cost=None if cost is None else float(round(cost, 2)))
            items.append(
                LineItem(
                    cloud=cloud,
                    region=region,
                    workload=name,
                    kind="storage",
                    resource=resource,
                    description=label,
                    purchase_option="on_demand",
                    quantity=qty,
                    unit=unit,
                    unit_price=first.price if first else None,
                    cost=None if cost is None else cost * share,
                    contracted_cost=None if contracted is None else contracted * share,
                    sku=first.sku if first else None,
                    service=first.service if first else None,
                    status="priced" if contracted is not None else "unpriced",
                    note=note,
                    explain=explain,
                )
            )
        out[name] = items
    return out


def cost_storage(
    need: StorageNeed,
    month: int,
    catalog: Catalog,
    cloud: str,
    region: str,
    workload: str,
    overlay: PriceOverlay | None = None,
) -> list[LineItem]:
    """One storage workload alone (the account holds nothing else in the region)."""
    return cost_storage_account([(workload, need)], month, catalog, cloud, region, overlay)[workload]


# -- horizon -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class HorizonPlan:
    """One configuration (pin) run over every month of the horizon.

    ``monthly`` / ``monthly_list``: what is billed in each month of the horizon (None: not priced);
    ``tail`` / ``tail_list``: commitment months bought inside the horizon but billed after it.
    """

    pin: Pin
    monthly: tuple[Decimal | None, ...]
    monthly_list: tuple[Decimal | None, ...]
    tail: Decimal
    tail_list: Decimal | None  # None: a commitment billed after the horizon has no list price
    counts: tuple[int | None, ...]
    # committed base + burst: ``committed`` instances on the pin's commitment, the rest on ``burst_option``
    committed: int | None = None
    burst_option: str | None = None
    burst_hours: tuple[Decimal, ...] = ()  # burst instance-hours in each month
    utilization: float | None = None  # committed instance-hours used / committed instance-hours billed

    @property
    def total(self) -> Decimal | None:
        return _total(self.monthly, self.tail)


def _total(monthly: Sequence[Decimal | None], tail: Decimal) -> Decimal | None:
    known = [m for m in monthly if m is not None]
    return None if len(known) < len(monthly) else sum(known, Decimal(0)) + tail


def _by_pin(req: Requirement) -> dict[tuple[str | None, int], ComputeOption]:
    """``req``'s options by (accelerator, accelerators per replica), the first of each."""
    out: dict[tuple[str | None, int], ComputeOption] = {}
    for o in req.options:
        out.setdefault((o.accelerator, o.accelerators_per_replica), o)
    return out


def _month_candidate(req: Requirement, offer: Offer, pin: Pin, largest: int, overlay: PriceOverlay | None,
                     rest: Offer | None = None,
                     by_pin: dict[tuple[str | None, int], ComputeOption] | None = None) -> Candidate | None:
    option = (by_pin if by_pin is not None else _by_pin(req)).get((pin[2], pin[3]))
    if option is None:
        return None
    if rest is not None:  # a mixed fleet keeps its two types; a month that needs no remainder uses the main type
        mixed = mixed_candidate(option, offer, rest, overlay)
        if mixed is not None:
            return with_spot_overhead(req, mixed)
    n = fit_instances(option, offer, largest=largest, allow_span=req.kind == "training")
    if n is None:
        return None
    return with_spot_overhead(req, price_candidate(option, offer, max(n, min(option.min_instances, option.replicas)),
                                                   overlay, largest=largest, allow_span=req.kind == "training"))


def plan_horizon(
    reqs: Sequence[Requirement], offer: Offer, pin: Pin, largest: int, overlay: PriceOverlay | None,
    rest: Offer | None = None, by_pin: Sequence[dict[tuple[str | None, int], ComputeOption]] | None = None,
) -> HorizonPlan:
    """Cost of keeping one configuration through the horizon, scaling its count month by month.

    Commitments are bought as the count rises, each for its whole term from the month it is bought
    (renewed when it ends and still needed); they keep billing when demand falls. ``by_pin``: each month's
    :func:`_by_pin`, when the caller has them.
    """
    term = TERM_MONTHS.get(offer.purchase_option, 0)
    monthly: list[Decimal | None] = []
    monthly_list: list[Decimal | None] = []
    counts: list[int | None] = []
    bought: list[tuple[int, int, Decimal | None, Decimal | None]] = []  # (count, expires, eff/inst, list/inst)
    for m, req in enumerate(reqs):
        c = _month_candidate(req, offer, pin, largest, overlay, rest, by_pin[m] if by_pin is not None else None)
        counts.append(None if c is None else c.instances)
        if c is None:
            monthly.append(None)
            monthly_list.append(None)
            continue
        if not term:
            monthly.append(c.cost)
            monthly_list.append(c.list_cost)
            continue
        active = sum(n for n, exp, _, _ in bought if exp > m)
        if c.count > active:
            per = None if c.cost is None else c.cost / c.count
            per_list = None if c.list_cost is None else c.list_cost / c.count
            bought.append((c.count - active, m + term, per, per_list))
        eff = [n * p for n, exp, p, _ in bought if exp > m and p is not None]
        lst = [n * p for n, exp, _, p in bought if exp > m and p is not None]
        monthly.append(None if c.cost is None else sum(eff, Decimal(0)))
        monthly_list.append(None if c.list_cost is None else sum(lst, Decimal(0)))
    horizon = len(reqs)
    tail = sum((n * p * (exp - horizon) for n, exp, p, _ in bought if exp > horizon and p is not None), Decimal(0))
    after = [(n, exp, p) for n, exp, _, p in bought if exp > horizon]
    tail_list = (None if any(p is None for _, _, p in after)
                 else sum((n * p * (exp - horizon) for n, exp, p in after if p is not None), Decimal(0)))
    return HorizonPlan(pin, tuple(monthly), tuple(monthly_list), tail, tail_list, tuple(counts))


def hours_above(option: ComputeOption, offer: Offer, base: int, *, largest: int, allow_span: bool) -> tuple[Decimal, Decimal]:
    """(instance-hours beyond the first ``base`` instances, instance-hours used by those ``base``) in a month.

    Levels (peak/off-peak) are packed separately; a GPU-hours budget (flexible packing) fills the
    committed instances first, up to 730 h each.
    """
    return _split_hours(_fleet(option, offer, largest=largest, allow_span=allow_span), base)


# (a flexible budget's instance-hours, else None; (hours, instances) of each level otherwise)
_Fleet = tuple[Decimal | None, tuple[tuple[Decimal, int], ...]]


def _fleet(option: ComputeOption, offer: Offer, *, largest: int, allow_span: bool) -> _Fleet:
    """What :func:`hours_above` splits, whatever the base: a flexible budget's instance-hours, or the instances
    each level needs and for how many hours."""
    if option.packing == "flexible" and offer.accelerator_count:
        return dec(option.accelerator_hours) / offer.accelerator_count, ()
    levels = option.levels or ((option.replicas, option.hours),)
    out = []
    for replicas, hours in levels:
        n = fit_instances(option, offer, largest=largest, allow_span=allow_span, replicas=replicas) or 0
        n = max(n, min(option.min_instances, replicas)) if replicas else 0
        out.append((dec(hours), n))
    return None, tuple(out)


def _fleets(reqs: Sequence[Requirement], months: Sequence[Candidate | None], offer: Offer, largest: int
            ) -> list[_Fleet | None]:
    """Each month's :func:`_fleet` of ``offer`` for that month's candidate (None where there is none)."""
    return [None if c is None else _fleet(c.option, offer, largest=largest, allow_span=r.kind == "training")
            for r, c in zip(reqs, months, strict=True)]


def _split_hours(fleet: _Fleet, base: int) -> tuple[Decimal, Decimal]:
    need, levels = fleet
    if need is not None:
        covered = min(need, base * HOURS_PER_MONTH)
        return need - covered, covered
    above = used = Decimal(0)
    for hours, n in levels:
        above += hours * max(0, n - base)
        used += hours * min(n, base)
    return above, used


def plan_base_burst(
    reqs: Sequence[Requirement], commit: Offer, burst: Offer, pin: Pin, base: int, largest: int,
    overlay: PriceOverlay | None, months: Sequence[Candidate | None] | None = None,
    fleets: Sequence[_Fleet | None] | None = None,
) -> HorizonPlan:
    """``base`` instances on ``commit``'s term from month 1 (renewed while the horizon lasts), the rest of
    each month's fleet on ``burst`` (on-demand, or spot for interruptible work), billed for the hours used.

    ``months``: the commitment's candidate in each month, when the caller has them (they do not depend on
    ``base``, so a search over bases computes them once); ``fleets``: likewise each month's :func:`_fleet`."""
    term = TERM_MONTHS[commit.purchase_option]
    rate, rate_list = effective_price(commit, overlay), list_price(commit)
    brate, brate_list = effective_price(burst, overlay), list_price(burst)
    monthly: list[Decimal | None] = []
    monthly_list: list[Decimal | None] = []
    counts: list[int | None] = []
    bursts: list[Decimal] = []
    used_total = Decimal(0)
    if months is None:
        months = [_month_candidate(req, commit, pin, largest, overlay) for req in reqs]
    if fleets is None:
        fleets = _fleets(reqs, months, commit, largest)
    for req, c, fleet in zip(reqs, months, fleets, strict=True):
        counts.append(None if c is None else c.count)
        if c is None or fleet is None:
            monthly.append(None)
            monthly_list.append(None)
            bursts.append(Decimal(0))
            continue
        above, used = _split_hours(fleet, base)
        if above and burst.purchase_option == "spot":  # spot bursts of training and batch redo interrupted work
            above *= _spot_factor(req, c.option, burst, above)
        used_total += used
        bursts.append(above)
        fixed = base * HOURS_PER_MONTH
        monthly.append(None if rate is None or (above and brate is None) else rate * fixed + (brate or 0) * above)
        monthly_list.append(None if rate_list is None or (above and brate_list is None)
                            else rate_list * fixed + (brate_list or 0) * above)
    horizon = len(reqs)
    bought_months = math.ceil(horizon / term) * term if base else 0
    after = Decimal(base) * HOURS_PER_MONTH * (bought_months - horizon)
    billed = Decimal(base) * HOURS_PER_MONTH * horizon
    return HorizonPlan(
        pin, tuple(monthly), tuple(monthly_list), (rate or Decimal(0)) * after,
        None if rate_list is None and after else (rate_list or Decimal(0)) * after,
        tuple(counts), committed=base, burst_option=burst.purchase_option, burst_hours=tuple(bursts),
        utilization=float(used_total / billed) if billed else None,
    )


MAX_HORIZON_PINS = 40


def best_horizon_plan(
    reqs: Sequence[Requirement], offers: Sequence[Offer], first: Sequence[Candidate], overlay: PriceOverlay | None
) -> HorizonPlan | None:
    """The configuration with the lowest cost over the whole horizon (commitment tails included),
    among ``first``, the month-1 candidates that fit; None if none is priced in month 1."""
    priced = sorted((c for c in first if c.cost is not None), key=lambda c: (c.cost, c.count, c.key))
    largest: dict[str, int] = {}
    for o in offers:
        if o.accelerator:
            largest[o.accelerator] = max(largest.get(o.accelerator, 0), o.accelerator_count)
    plans: list[HorizonPlan] = []
    seen: set[Pin] = set()
    by_pin = [_by_pin(r) for r in reqs]
    for c in priced:
        pin = pin_of(c)
        if pin in seen:
            continue
        seen.add(pin)
        plans.append(plan_horizon(reqs, c.offer, pin, largest.get(c.offer.accelerator or "", 0), overlay, c.extra,
                                  by_pin))
        if len(plans) >= MAX_HORIZON_PINS:
            break
    if not plans:
        return None
    plans += _base_burst_plans(reqs, priced, largest, overlay, by_pin)
    complete = [p for p in plans if p.total is not None]
    if complete:
        return min(complete, key=lambda p: p.total or Decimal(0))
    return plans[0]


def _base_burst_plans(
    reqs: Sequence[Requirement], priced: Sequence[Candidate], largest: dict[str, int], overlay: PriceOverlay | None,
    by_pin: Sequence[dict[tuple[str | None, int], ComputeOption]] | None = None,
) -> list[HorizonPlan]:
    """For each commitment candidate: every committed base from 1 to the largest monthly fleet, the rest
    bought at the cheapest non-commitment rate allowed for the same instance and configuration."""
    out: list[HorizonPlan] = []
    burst_rates: dict[tuple[str | None, ComputeOption], Candidate] = {}
    for c in priced:
        if c.offer.purchase_option in ("on_demand", "spot") and c.cost is not None and c.extra is None:
            key = (c.offer.instance_type, c.option)
            if key not in burst_rates or c.cost < (burst_rates[key].cost or Decimal(0)):
                burst_rates[key] = c
    seen: set[Pin] = set()
    for c in priced:
        if c.offer.purchase_option not in TERM_MONTHS or pin_of(c) in seen:
            continue
        seen.add(pin_of(c))
        b = burst_rates.get((c.offer.instance_type, c.option))
        if b is None:
            continue
        big = largest.get(c.offer.accelerator or "", 0)
        months = [_month_candidate(r, c.offer, pin_of(c), big, overlay, None, by_pin[m] if by_pin is not None else None)
                  for m, r in enumerate(reqs)]
        peak = max((x.count for x in months if x is not None), default=0)
        fleets = _fleets(reqs, months, c.offer, big)
        for base in range(1, min(peak, 64) + 1):
            out.append(plan_base_burst(reqs, c.offer, b.offer, pin_of(c), base, big, overlay, months, fleets))
    return out

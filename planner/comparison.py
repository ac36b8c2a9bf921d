"""Three-cloud comparisons and scaling curves: the public Python API behind ``planner compare``/``scale``.

Deciding basis: clouds are ranked by what the buyer pays over the whole horizon (contracted prices
when a price book applies, list prices otherwise), so growth and one-off runs count as they will be
billed; month-1 figures are shown beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from planner.capacity.requirements import Requirement
from planner.costing import (
    TERM_MONTHS,
    HorizonPlan,
    LineItem,
    PriceOverlay,
    best_horizon_plan,
    compute_candidates,
    cost_compute,
    cost_storage_account,
    effective_price,
)
from planner.errors import InputError, suggest
from planner.money import fmt_money
from planner.plan import plan
from planner.scenario import Scenario
from pricing.catalog import Catalog, load_catalog
from pricing.schema import Offer

# commitment kinds each provider sells (others are not warned about when absent)
SOLD_BY = {
    "aws": {"on_demand", "spot", "reserved_1y", "reserved_3y", "savings_plan_1y", "savings_plan_3y",
            "capacity_block", "capacity_reservation"},
    "gcp": {"on_demand", "spot", "committed_1y", "committed_3y", "flex_start", "calendar"},
    "azure": {"on_demand", "spot", "reserved_1y", "reserved_3y", "savings_plan_1y", "savings_plan_3y"},
    "lambda": {"on_demand"},
}


# Below this margin the comparison says "too close to call": list prices move by a few percent between catalog
# refreshes, and sizing inputs (QPS, tokens, MFU) are estimates far coarser than 2 %, so a smaller gap is not a
# reason to pick one cloud over another. It is a percentage of the runner-up's costs that differ between clouds
# (a judgment call: costs identical on every cloud cancel out and would otherwise make any gap look small).
CLOSE_CALL_PCT = 2.0


def _sum(values: Sequence[Decimal | None]) -> Decimal:
    return sum((v for v in values if v is not None), Decimal(0))


@dataclass(frozen=True)
class CloudResult:
    cloud: str
    region: str
    items: tuple[LineItem, ...]  # month 1
    horizon_cost: Decimal | None  # list, billed within the horizon: every month + one-time costs
    contracted_horizon_cost: Decimal | None = None  # the same at contracted prices (= list without a price book)
    horizon_issues: tuple[str, ...] = ()  # later months that could not be priced, and why ("workload: why")
    monthly_spend: tuple[Decimal | None, ...] = ()  # contracted spend billed in each month of the horizon
    # list: commitment months bought in the horizon, billed after it (None: a commitment there has no list price)
    commitment_tail: Decimal | None = Decimal(0)
    contracted_commitment_tail: Decimal = Decimal(0)
    # month by month, per workload: month, workload, instance_type, count, purchase_option, committed, burst
    # instance-hours, cost (list) and contracted_cost; see Comparison.monthly_rows
    by_month: tuple[dict[str, Any], ...] = ()
    horizon_gaps: tuple[tuple[str, str], ...] = ()  # the same as (workload, why) pairs

    @property
    def unpriced(self) -> list[LineItem]:
        return [i for i in self.items if not i.priced]

    @property
    def complete(self) -> bool:
        """Every item priced in every month of the horizon."""
        return not self.unpriced and self.contracted_horizon_cost is not None

    @property
    def list_incomplete(self) -> bool:
        """Some item has no list price but is priced by a price book's private rate."""
        return any(i.cost is None and i.contracted_cost is not None for i in self.items)

    @property
    def month_1_billed(self) -> Decimal | None:
        """What is billed in month 1 (contracted; one-off runs in full): the figure a budget is checked against."""
        if self.monthly_spend and self.monthly_spend[0] is not None:
            return self.monthly_spend[0]
        return _sum([i.contracted_cost for i in self.items]) if self.unpriced else None  # the priced part

    @property
    def average_month(self) -> Decimal | None:
        """The horizon total spread evenly over its months (contracted), commitment tail excluded."""
        n = len(self.monthly_spend)
        return None if self.contracted_horizon_cost is None or not n else self.contracted_horizon_cost / n

    @property
    def monthly_cost(self) -> Decimal:
        """Amortized view: month-1 list cost plus one-time costs spread over the horizon (priced items only)."""
        return _sum([i.monthly_cost for i in self.items])

    @property
    def contracted_monthly_cost(self) -> Decimal:
        return _sum([i.contracted_monthly_cost for i in self.items])


@dataclass(frozen=True)
class Comparison:
    scenario: Scenario
    catalog_name: str
    catalog_fetched_at: str
    catalog_age_days: int
    catalog_stale: bool
    clouds: tuple[CloudResult, ...]
    pricebook: str | None = None
    warnings: tuple[str, ...] = ()
    months: int = field(default=12)

    def cloud(self, name: str) -> CloudResult:
        for c in self.clouds:
            if c.cloud == name:
                return c
        raise KeyError(name)

    def effective(self, c: CloudResult) -> Decimal:
        """What the buyer is billed in month 1 (one-off runs in full), contracted when a price book applies."""
        billed = c.month_1_billed
        return billed if billed is not None else c.contracted_monthly_cost

    def decisive(self, c: CloudResult) -> Decimal:
        """What ranks the clouds: what the buyer pays for the horizon's work, the commitment months it
        obliges after the horizon included (month 1 when the horizon total is unknown)."""
        if c.contracted_horizon_cost is None:
            return c.contracted_monthly_cost
        return c.contracted_horizon_cost + c.contracted_commitment_tail

    @property
    def ranking(self) -> list[CloudResult]:
        """Clouds that could price everything first, cheapest over the horizon first; then incomplete ones."""
        return sorted(self.clouds, key=lambda c: (not c.complete, self.decisive(c)))

    @property
    def winner(self) -> CloudResult | None:
        r = self.ranking
        return r[0] if r and r[0].complete else None

    @property
    def too_close_to_call(self) -> bool:
        """The winner's margin is within what the inputs can tell apart: under CLOSE_CALL_PCT of the runner-up's
        costs that differ between clouds (costs identical on every cloud -- edge devices, fixed costs -- cancel
        out of the comparison, so they must not make a gap look small)."""
        m = self.margin_of_differing_costs()
        return m is not None and m < CLOSE_CALL_PCT

    def identical_costs(self, c: CloudResult) -> Decimal:
        """The part of a cloud's horizon cost that is the same on every cloud (edge devices and fixed costs)."""
        return _sum([r["contracted_cost"] for r in c.by_month if r.get("kind") in ("edge", "fixed")])

    def margin_of_differing_costs(self) -> float | None:
        """The winner's margin as a percentage of the runner-up's horizon cost less the costs identical on
        every cloud; None when there is no runner-up."""
        r = [c for c in self.ranking if c.complete]
        m = self.margin()
        if m is None or len(r) < 2:
            return None
        differing = self.decisive(r[1]) - self.identical_costs(r[1])
        return float(m[0] / differing * 100) if differing > 0 else 0.0

    def margin(self) -> tuple[Decimal, float] | None:
        """(USD, percent) by which the winner beats the next complete cloud over the horizon."""
        r = [c for c in self.ranking if c.complete]
        if len(r) < 2:
            return None
        hi, lo = self.decisive(r[1]), self.decisive(r[0])
        return hi - lo, float((hi - lo) / hi * 100) if hi else 0.0

    def monthly_rows(self) -> list[dict[str, Any]]:
        """Each month's count, purchase split and cost per workload and cloud (money as Decimal)."""
        return [{"cloud": c.cloud, "region": c.region, **r} for c in self.clouds for r in c.by_month]  # a row names its own region (per-workload placement)

    def to_dict(self) -> dict[str, Any]:
        from planner.render import comparison_to_dict

        return comparison_to_dict(self)

    def to_frame(self, focus: bool = False) -> Any:
        """Line items as a pandas DataFrame (``focus=True``: FOCUS column names)."""
        import pandas as pd

        from planner.render import focus_rows, item_row

        if focus:
            return pd.DataFrame(focus_rows(self))
        df = pd.DataFrame([item_row(c, i) for c in self.clouds for i in c.items])
        return df.astype({"count": "Int64"})  # counts stay integers; missing ones are <NA>


@dataclass
class _Part:
    """One workload (or fixed cost) in one region: month-1 items, per-month spend, horizon totals."""

    horizon: int
    items: list[LineItem] = field(default_factory=list)
    monthly: list[Decimal | None] = field(default_factory=list)  # contracted spend in each month
    monthly_list: list[Decimal | None] = field(default_factory=list)
    tail: Decimal = Decimal(0)  # commitment months billed after the horizon
    tail_list: Decimal | None = Decimal(0)
    issue: tuple[str, str] | None = None  # (workload, why the horizon total is unknown), e.g. a tier ending in month 7
    notes: list[str] = field(default_factory=list)

    def add(self, items: list[LineItem], month: int) -> None:
        if month == 0:
            self.items = items
        while len(self.monthly) <= month:
            self.monthly.append(Decimal(0))
            self.monthly_list.append(Decimal(0))
        missing = [i for i in items if i.contracted_cost is None]
        if missing and self.issue is None and month > 0 and self.monthly[0] is not None:  # month 1 was whole
            i = missing[0]
            self.issue = (i.workload, f"month {month + 1}: {i.status} ({i.note})")
        cur, cur_list = self.monthly[month], self.monthly_list[month]
        self.monthly[month] = None if cur is None or missing else cur + _sum([i.contracted_cost for i in items])
        self.monthly_list[month] = (
            None if cur_list is None or any(i.cost is None for i in items) else cur_list + _sum([i.cost for i in items])
        )

    @property
    def total(self) -> Decimal | None:  # list, billed within the horizon
        return None if None in self.monthly_list else _sum(self.monthly_list)

    @property
    def contracted(self) -> Decimal | None:
        return None if None in self.monthly else _sum(self.monthly)


def _cost_region(
    sc: Scenario,
    reqs_by_month: list[list[Requirement]],
    catalog: Catalog,
    cloud: str,
    region: str,
    purchase_options: Sequence[str],
    overlay: PriceOverlay | None,
) -> dict[str, _Part]:
    """Per workload (and fixed cost): month-1 line items, spend in every month, horizon totals.

    A recurring compute workload keeps one configuration (instance type, purchase option,
    accelerator, tensor-parallel degree) through the horizon, chosen for the lowest horizon cost,
    and scales its count month by month, as a team would; commitments bill their whole terms.
    """
    offers = catalog.query(provider=cloud, region=region, resource="instance")
    horizon = len(reqs_by_month)
    out: dict[str, _Part] = {}

    def part(key: str) -> _Part:
        return out.setdefault(key, _Part(horizon))

    by_workload: dict[str, list[Requirement]] = {}
    for reqs in reqs_by_month:
        for req in reqs:
            by_workload.setdefault(req.workload, []).append(req)
    for name in by_workload:  # line items keep the scenario's workload order
        part(name)
    stores = [(name, reqs[0].storage) for name, reqs in by_workload.items()
              if reqs[0].kind == "storage" and reqs[0].storage is not None]
    tiers: dict[tuple[str, str | None], list[Offer]] = {}  # read once for every month
    for m in range(horizon):  # tiers and free allowances are the account's: all stores in the region together
        shared = cost_storage_account([(n, s) for n, s in stores if s is not None], m, catalog, cloud, region, overlay,
                                      tiers)
        for name, items in shared.items():
            part(name).add(items, m)
    for name, reqs in by_workload.items():
        req0 = reqs[0]
        if req0.kind == "storage" and req0.storage is not None:
            continue
        elif req0.kind == "edge":
            usd = Decimal(str(round(req0.explain["usd_per_month"], 6)))
            item = LineItem(cloud, region, name, "edge", "edge", f"{req0.explain['devices']} edge devices",
                            count=req0.explain["devices"], cost=usd, explain=dict(req0.explain))
            for m in range(horizon):
                part(name).add([item], m)
        elif req0.options and all(o.one_time for o in req0.options):
            # a one-off run is paid once (in month 1), shown spread over the horizon
            item = cost_compute(req0, offers, purchase_options, cloud, region, overlay)
            part(name).add([replace(item, amortize_months=horizon)], 0)
            for m in range(1, horizon):
                part(name).add([], m)
        else:
            _cost_recurring(part(name), reqs, offers, purchase_options, cloud, region, overlay)
    for fc in sc.fixed_costs:
        item = LineItem(cloud, region, fc.name, "fixed", "fixed", fc.name, cost=Decimal(str(fc.usd_per_month)))
        for m in range(horizon):
            part("fixed:" + fc.name).add([item], m)
    return out


def _cost_recurring(
    p: _Part,
    reqs: list[Requirement],
    offers: Sequence[Offer],
    purchase_options: Sequence[str],
    cloud: str,
    region: str,
    overlay: PriceOverlay | None,
) -> None:
    first = compute_candidates(reqs[0], offers, purchase_options, overlay)
    best = best_horizon_plan(reqs, offers, first, overlay)
    item = cost_compute(reqs[0], offers, purchase_options, cloud, region, overlay, pin=best.pin if best else None,
                        candidates=first)
    if best is None or not item.priced:
        p.add([item], 0)
        for m in range(1, len(reqs)):
            p.add([cost_compute(reqs[m], offers, purchase_options, cloud, region, overlay)], m)
        return
    explain = {**item.explain, "chosen_for": "lowest cost over the horizon (commitment tail included)",
               "instances_by_month": list(best.counts)}
    if best.committed is not None and best.burst_option is not None:
        item = _base_burst_item(item, best, offers, overlay)
        explain.update(item.explain)
    p.items = [replace(item, explain=explain)]
    p.monthly, p.monthly_list = list(best.monthly), list(best.monthly_list)
    p.tail, p.tail_list = best.tail, best.tail_list
    gap = next((m for m, v in enumerate(best.monthly) if v is None), None)
    if gap is not None:
        p.issue = (item.workload, f"month {gap + 1}: {item.instance_type} no longer fits the workload")
    if best.tail:
        po = item.purchase_option or ""
        p.notes.append(f"{cloud} {item.workload}: {po} is bought for {TERM_MONTHS[po]} months at a time; "
                       f"{fmt_money(best.tail)} is billed after the horizon ends (the commitment tail, shown apart "
                       "from the horizon total and counted when choosing)")


def _base_burst_item(item: LineItem, best: HorizonPlan, offers: Sequence[Offer], overlay: PriceOverlay | None) -> LineItem:
    """Month 1 of a committed base + burst plan: the split, its cost, the commitment's utilization and break-even."""
    k, burst = best.committed or 0, best.burst_option or ""
    n1 = best.counts[0] or 0
    po = (item.purchase_option or "").replace("_", "-")
    desc = f"{n1}x {item.instance_type}: {min(k, n1) if n1 else k} {po}"
    if best.burst_hours and best.burst_hours[0]:
        desc += f" + {float(best.burst_hours[0]):,.0f} instance-h {burst.replace('_', '-')}"
    if k > n1:
        desc += f" ({k - n1} committed idle)"
    # break-even against the on-demand rate, as for every other commitment (the burst may be spot)
    od = next((o for o in offers if o.instance_type == item.instance_type and o.purchase_option == "on_demand"), None)
    commit = next((o for o in offers if o.instance_type == item.instance_type
                   and o.purchase_option == item.purchase_option), None)
    be = None
    if od is not None and commit is not None:
        r, r_od = effective_price(commit, overlay), effective_price(od, overlay)
        be = None if r is None or not r_od else round(float(r / r_od), 3)
    split = {"committed_instances": k, "commitment": item.purchase_option, "burst_option": burst,
             "burst_instance_hours_by_month": [round(float(h), 2) for h in best.burst_hours],
             "commitment_utilization": None if best.utilization is None else round(best.utilization, 3),
             "break_even_utilization": be,
             "rule": "the committed count minimizes the horizon cost (tail included); the rest of each month's "
                     f"fleet is bought {burst.replace('_', '-')}, for the hours used"}
    return replace(item, description=desc, cost=best.monthly_list[0], contracted_cost=best.monthly[0],
                   explain={**item.explain, "base_burst": split})


def _score(parts: list[_Part]) -> tuple[int, Decimal]:
    """Region ranking: fewest unpriced items, then the lowest contracted horizon (or month-1) total."""
    unpriced = sum(1 for p in parts for i in p.items if not i.priced) + sum(1 for p in parts if p.contracted is None)
    if unpriced == 0:
        return 0, _sum([p.contracted for p in parts]) + _sum([p.tail for p in parts])
    return unpriced, _sum([i.contracted_monthly_cost for p in parts for i in p.items])


def _month_rows(p: _Part) -> list[dict[str, Any]]:
    """One row per month of a workload's spend: what runs, on which purchase option, and what it costs."""
    if not p.items:
        return []
    first = p.items[0]
    counts = first.explain.get("instances_by_month") or []
    split = first.explain.get("base_burst") or {}
    bursts = split.get("burst_instance_hours_by_month") or []
    rows = []
    for m, cost in enumerate(p.monthly):
        compute = first.resource == "instance"
        rows.append({
            "month": m + 1,
            "workload": first.workload,
            "region": first.region,
            "kind": first.kind,
            "instance_type": first.instance_type if compute else None,
            "count": (counts[m] if m < len(counts) else first.count if m == 0 else None) if compute else None,
            "purchase_option": first.purchase_option if compute else None,
            "committed": split.get("committed_instances"),
            "burst_option": split.get("burst_option"),
            "burst_instance_hours": bursts[m] if m < len(bursts) else None,
            "cost": None if p.monthly_list[m] is None else p.monthly_list[m],
            "contracted_cost": cost,
        })
    return rows


def _result(cloud: str, region: str, parts: list[_Part]) -> tuple[CloudResult, list[str]]:
    items = tuple(i for p in parts for i in p.items)
    total: Decimal | None = Decimal(0)
    contracted: Decimal | None = Decimal(0)
    for p in parts:
        total = None if total is None or p.total is None else total + p.total
        contracted = None if contracted is None or p.contracted is None else contracted + p.contracted
    gaps = tuple(p.issue for p in parts if p.issue)
    tail = _sum([p.tail for p in parts])
    tail_list = None if any(p.tail_list is None for p in parts) else _sum([p.tail_list for p in parts])
    months = max((len(p.monthly) for p in parts), default=0)
    series: list[Decimal | None] = []
    for m in range(months):
        vals = [p.monthly[m] if m < len(p.monthly) else Decimal(0) for p in parts]
        series.append(None if any(v is None for v in vals) else _sum(vals))
    res = CloudResult(cloud, region, items, total, contracted, tuple(f"{w}: {why}" for w, why in gaps), tuple(series),
                      tail_list, tail, tuple(r for p in parts for r in _month_rows(p)), horizon_gaps=gaps)
    return res, [n for p in parts for n in p.notes]


def _sizing_warnings(sc: Scenario, reqs: list[Requirement]) -> list[str]:
    out = []
    for req in reqs:
        for o in req.options[:1]:
            if o.packing == "replicas" and not o.one_time and o.hours > 744:
                out.append(
                    f"{req.workload}: {o.label} needs {o.hours:,.0f} h a month, more than a month has; "
                    "give more gpus so each month's run finishes within the month"
                )
    return out


def compare(
    scenario: Scenario,
    catalog: Catalog | str | None = None,
    *,
    clouds: Sequence[str] | None = None,
    regions: Sequence[str] | None = None,
    purchase_options: Sequence[str] | None = None,
    pricebook: Any = None,
    now: datetime | None = None,
) -> Comparison:
    """Price every workload of ``scenario`` on each cloud; cheapest fitting offer per (cloud, workload)."""
    cat = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
    sc = scenario
    cmp_ = sc.compare
    use_clouds = list(clouds) if clouds else list(cmp_.clouds)
    from planner.scenario import CLOUDS as DEFAULT_CLOUDS
    from planner.scenario import KNOWN_CLOUDS

    for c in use_clouds:
        if c not in KNOWN_CLOUDS:
            raise InputError(suggest(c, list(KNOWN_CLOUDS), what="cloud"), field="--cloud")
    options = list(purchase_options) if purchase_options else list(cmp_.purchase_options)
    from pricing.schema import PURCHASE_OPTIONS

    for o in options:
        if o not in PURCHASE_OPTIONS:
            raise InputError(suggest(o, PURCHASE_OPTIONS, what="purchase option"), field="--purchase-option")
    warnings: list[str] = []
    if isinstance(pricebook, (str, bytes)) or hasattr(pricebook, "__fspath__"):
        from pricing.pricebook import load_pricebook

        pricebook = load_pricebook(pricebook)
    added = pricebook.added_offers(cat.offers) if hasattr(pricebook, "added_offers") else []
    if added:  # contracted rates for purchase options the catalog lacks become offers of their own
        cat = replace(cat, offers=[*cat.offers, *added])
    for rule in (*getattr(pricebook, "rates", ()), *getattr(pricebook, "discounts", ())):
        if not any(rule.matches(o) for o in cat.offers):  # likely a typo: say so rather than ignore it
            warnings.append(f"price book rule matches no offer in catalog {cat.name!r}: {rule.describe()}")
    if sc.prices:  # a what-if price change: every list price of the cloud times its factor
        cat = with_price_factors(cat, sc.prices)
    if regions:
        every = {r for c in KNOWN_CLOUDS for r in cat.regions(c)}
        for r in regions:
            if r not in every:
                raise InputError(suggest(r, sorted(every), what="region"), field="--region")

    horizon = sc.horizon_months
    reqs_by_month = [plan(sc, m) for m in range(horizon)]
    results = []
    warnings += _sizing_warnings(sc, reqs_by_month[0])
    for cloud in use_clouds:
        cands = [r for r in regions if r in cat.regions(cloud)] if regions else cmp_.regions_for(cloud)
        if not cands:
            warnings.append(f"{cloud} left out: none of --region {', '.join(regions or [])} is a {cloud} region")
            continue
        known = cat.regions(cloud)
        if not known and cloud not in DEFAULT_CLOUDS:  # a cloud whose prices only an import brings
            raise InputError(f"catalog {cat.name!r} has no {cloud} prices; import them with `planner catalog import "
                             f"--format skypilot vms.csv --provider {cloud} --name NAME` and compare with "
                             f"--catalog {cat.name.replace('+', ',')},NAME", where=sc.source_path, field="compare.clouds")
        for r in cands:
            if r not in known:
                raise InputError(suggest(r, known, what=f"{cloud} region"), where=sc.source_path,
                                 field=f"compare.regions.{cloud}")
        by_region = {r: _cost_region(sc, reqs_by_month, cat, cloud, r, options, pricebook) for r in cands}
        if cmp_.placement == "single_region":
            region = min(cands, key=lambda r: _score(list(by_region[r].values())))
            res, notes = _result(cloud, region, list(by_region[region].values()))
        else:
            keys = list(by_region[cands[0]])
            chosen = [min((by_region[r][k] for r in cands), key=lambda p: _score([p])) for k in keys]
            used = sorted({i.region for p in chosen for i in p.items if i.kind != "fixed"})
            res, notes = _result(cloud, used[0] if len(used) == 1 else "+".join(used), chosen)
        results.append(res)
        warnings += notes
        have = {o.purchase_option for o in cat.query(provider=cloud, region=res.region.split("+")[0], resource="instance")}
        sold = SOLD_BY.get(cloud, set(options))
        missing = [o for o in options if o not in have and o in sold]
        if missing:
            warnings.append(f"{cloud} {res.region}: catalog {cat.name!r} has no {', '.join(missing)} prices; "
                            "those options were not compared there")
    if not results:
        raise InputError("nothing to compare: no selected cloud has one of the requested regions", field="--region")
    from planner.interruptions import LARGE_SPOT_RUN_INSTANCES

    for cloud_res in results:
        for i in cloud_res.items:
            sp = i.explain.get("spot_overhead") if i.purchase_option == "spot" else None
            if sp and sp["instances_in_step"] >= LARGE_SPOT_RUN_INSTANCES:
                warnings.append(
                    f"{cloud_res.cloud} {i.workload}: {sp['instances_in_step']} {i.instance_type} on spot run in step; "
                    f"any interruption stops all of them (about {sp['expected_interruptions']:,.0f} expected over the "
                    "run at the assumed rate) and capacity to restart so many spot instances is often not there: "
                    "consider on-demand, a capacity block or a reservation"
                )
            if i.one_time and i.hours is not None and i.hours > horizon * 730:
                warnings.append(f"{cloud_res.cloud} {i.workload}: the one-off run takes {float(i.hours):,.0f} h on "
                                f"{i.count}x {i.instance_type}, longer than the {horizon}-month horizon; give more gpus")
    warnings += _flagged_prices(cat, results)
    age = cat.age_days(now)
    if cat.is_stale(now):
        warnings.append(f"catalog {cat.name!r} is {age} days old; refresh it with 'planner catalog refresh'")
    return Comparison(
        scenario=sc,
        catalog_name=cat.name,
        catalog_fetched_at=cat.fetched_at,
        catalog_age_days=age,
        catalog_stale=cat.is_stale(now),
        clouds=tuple(results),
        pricebook=getattr(pricebook, "name", None),
        warnings=tuple(warnings),
        months=horizon,
    )


def with_price_factors(cat: Catalog, factors: dict[str, float]) -> Catalog:
    """The catalog with every list price of each cloud in ``factors`` multiplied by its factor (exact decimals)."""
    scaled = {c: Decimal(repr(float(f))) for c, f in factors.items() if f != 1}
    if not scaled:
        return cat
    offers = [replace(o, price=o.price * scaled[o.provider]) if o.provider in scaled and o.price is not None else o
              for o in cat.offers]
    return replace(cat, offers=offers)


def _flagged_prices(cat: Catalog, results: Sequence[CloudResult]) -> list[str]:
    """Sanity-check findings (pricing.checks) about the prices the comparison chose, as warnings."""
    from pricing.checks import check_catalog, findings_for

    findings = cat.__dict__.get("_findings")
    if findings is None:  # once per catalog object
        findings = cat.__dict__["_findings"] = check_catalog(cat)
    if not findings:
        return []
    used = []
    for r in results:
        for i in r.items:
            if i.resource == "instance" and i.instance_type:
                used += [o for o in cat.query(provider=r.cloud, region=i.region.split("+")[0], resource="instance",
                                               instance_type=i.instance_type, purchase_option=i.purchase_option)]
    return [f"price flagged by the catalog checks ({f.kind}): {f.message}" for f in findings_for(findings, used)]


def scale_points(
    scenario: Scenario,
    workload: str,
    qps: Sequence[float],
    catalog: Catalog | str | None = None,
    **kwargs: Any,
) -> list[dict[str, Any]]:
    """Cost and capacity of one real-time serving workload at each mean QPS, for one month without growth.

    Each point is the workload's mean request rate; its peak keeps the workload's qps_peak/qps_mean ratio, and
    replicas are sized for that peak (and for the diurnal shape, when the workload has one). ``kwargs`` go to
    :func:`compare` (clouds, regions, purchase_options, pricebook).
    """
    from planner.scenario import MAX_QPS, Serving

    w = scenario.workload(workload)
    if not isinstance(w, Serving) or w.style != "real_time":
        raise InputError(f"workload {workload!r} is not real-time serving; scale applies to serving QPS", field="--workload")
    cat = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
    book = kwargs.get("pricebook")
    if isinstance(book, (str, Path)):  # read once, not once per point
        from pricing.pricebook import load_pricebook

        kwargs["pricebook"] = load_pricebook(book)
    ratio = (w.qps_peak or w.qps_mean or 1.0) / (w.qps_mean or 1.0)
    rows = []
    for q in qps:
        if q <= 0:
            raise InputError(f"QPS must be positive, got {q:g}", field="--qps")
        if q * ratio > MAX_QPS:
            raise InputError(f"mean QPS {q:g} is a peak of {q * ratio:.3g} QPS for workload {workload!r} (peak/mean "
                             f"{ratio:g}), beyond the {MAX_QPS:.0e} QPS the planner sizes; give mean QPS up to "
                             f"{MAX_QPS / ratio:.3g}", field="--qps")
        w2 = w.model_copy(update={"qps_mean": float(q), "qps_peak": float(q) * ratio, "qps_growth_pct_per_month": 0.0})
        sc2 = scenario.model_copy(update={"workloads": [w2], "fixed_costs": [], "horizon_months": 1})
        res = compare(sc2, cat, **kwargs)
        for c in res.clouds:
            item = c.items[0]
            rows.append(
                {
                    "cloud": c.cloud,
                    "qps": float(q),  # the mean
                    "qps_peak": float(q) * ratio,
                    "monthly_cost": None if item.monthly_cost is None else float(round(item.monthly_cost, 2)),
                    "contracted_monthly_cost": None if item.contracted_monthly_cost is None
                    else float(round(item.contracted_monthly_cost, 2)),
                    "region": item.region,
                    "instance_type": item.instance_type,
                    "accelerator": item.accelerator,
                    "count": item.count,
                    "purchase_option": item.purchase_option,
                    "replicas": item.explain.get("replicas"),
                    "config": item.explain.get("config"),
                    "cost_per_1k_requests": _per_1k(item.monthly_cost, q, w2.hours_per_month),
                    # LLM workloads: USD per 1M generated tokens at mean QPS
                    "cost_per_1m_output_tokens": None if not w2.model else _per_1k(
                        item.monthly_cost, q * w2.output_tokens / 1000.0, w2.hours_per_month),
                    "status": item.status,
                    "note": item.note,
                }
            )
    return rows


def _per_1k(cost: Decimal | None, qps: float, hours: float) -> float | None:
    """USD per 1,000 requests at mean ``qps`` over ``hours`` a month."""
    if cost is None:
        return None
    requests = qps * hours * 3600
    return round(float(cost) / requests * 1000, 6)


def scale_curve(scenario: Scenario, workload: str, qps: Sequence[float], catalog: Catalog | str | None = None, **kwargs: Any) -> Any:
    """A DataFrame with columns cloud, qps, monthly_cost, instance_type, count, ... (one row per cloud and QPS)."""
    import pandas as pd

    return pd.DataFrame(scale_points(scenario, workload, qps, catalog, **kwargs))

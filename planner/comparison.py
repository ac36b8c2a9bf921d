"""Three-cloud comparisons and scaling curves: the public Python API behind ``planner compare``/``scale``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from planner.costing import PriceOverlay, LineItem, apply_overlay, cost_compute, cost_storage
from planner.errors import InputError, suggest
from planner.plan import plan
from planner.scenario import Scenario
from pricing.catalog import Catalog, load_catalog




@dataclass(frozen=True)
class CloudResult:
    cloud: str
    region: str
    items: tuple[LineItem, ...]
    horizon_cost: Decimal | None  # whole horizon: every month's recurring cost + one-time costs
    horizon_issues: tuple[str, ...] = ()  # later months that could not be priced, and why

    @property
    def unpriced(self) -> list[LineItem]:
        return [i for i in self.items if not i.priced]

    @property
    def complete(self) -> bool:
        """Every item priced in every month of the horizon."""
        return not self.unpriced and self.horizon_cost is not None

    @property
    def monthly_cost(self) -> Decimal:
        """Month-1 recurring cost plus one-time costs spread over the horizon (priced items only)."""
        return sum((i.monthly_cost for i in self.items if i.monthly_cost is not None), Decimal(0))

    @property
    def contracted_monthly_cost(self) -> Decimal:
        return sum((i.contracted_monthly_cost for i in self.items if i.contracted_monthly_cost is not None), Decimal(0))


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
        """The monthly cost that decides: contracted when a price book is applied, else list."""
        return c.contracted_monthly_cost if self.pricebook is not None else c.monthly_cost

    @property
    def ranking(self) -> list[CloudResult]:
        """Clouds that could price everything first, cheapest first; then incomplete ones."""
        return sorted(self.clouds, key=lambda c: (not c.complete, self.effective(c)))

    @property
    def winner(self) -> CloudResult | None:
        r = self.ranking
        return r[0] if r and r[0].complete else None

    def margin(self) -> tuple[Decimal, float] | None:
        """(USD per month, percent) by which the winner beats the next complete cloud."""
        r = [c for c in self.ranking if c.complete]
        if len(r) < 2:
            return None
        hi, lo = self.effective(r[1]), self.effective(r[0])
        diff = hi - lo
        pct = float(diff / hi * 100) if hi else 0.0
        return diff, pct

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
    """One workload (or fixed cost) in one region: month-1 items, horizon total, and what broke it."""

    items: list[LineItem] = field(default_factory=list)
    total: Decimal | None = Decimal(0)
    issue: str | None = None  # why the horizon total is unknown, e.g. a tier that ends in month 7

    def add(self, items: list[LineItem], month: int) -> None:
        if month == 0:
            self.items = items
        if self.total is None:
            return
        missing = [i for i in items if i.cost is None]
        if missing:
            self.total = None
            if month > 0:
                self.issue = f"{missing[0].workload}: month {month + 1}: {missing[0].status} ({missing[0].note})"
        else:
            self.total += sum((i.cost for i in items if i.cost is not None), Decimal(0))


def _cost_region(
    sc: Scenario,
    reqs_by_month: list[list[Any]],
    catalog: Catalog,
    cloud: str,
    region: str,
    purchase_options: Sequence[str],
    overlay: PriceOverlay | None,
    sku_index: dict[str, Any],
) -> dict[str, _Part]:
    """Per workload (and fixed cost): month-1 line items and the cost over the whole horizon."""
    offers = catalog.query(provider=cloud, region=region, resource="instance")
    horizon = len(reqs_by_month)
    out: dict[str, _Part] = {}

    def add(key: str, items: list[LineItem], month: int) -> None:
        out.setdefault(key, _Part()).add([apply_overlay(i, sku_index, overlay) for i in items], month)

    for m, reqs in enumerate(reqs_by_month):
        for req in reqs:
            if req.kind == "storage" and req.storage is not None:
                add(req.workload, cost_storage(req.storage, m, catalog, cloud, region, req.workload), m)
            elif req.kind == "edge":
                usd = Decimal(str(round(req.explain["usd_per_month"], 6)))
                item = LineItem(cloud, region, req.workload, "edge", "edge", f"{req.explain['devices']} edge devices",
                                count=req.explain["devices"], cost=usd, explain=dict(req.explain))
                add(req.workload, [item], m)
            elif req.options and all(o.one_time for o in req.options):
                if m == 0:  # a one-off run is paid once, shown spread over the horizon
                    item = cost_compute(req, offers, purchase_options, cloud, region)
                    add(req.workload, [replace(item, amortize_months=horizon)], m)
            else:
                add(req.workload, [cost_compute(req, offers, purchase_options, cloud, region)], m)
        for fc in sc.fixed_costs:
            item = LineItem(cloud, region, fc.name, "fixed", "fixed", fc.name, cost=Decimal(str(fc.usd_per_month)))
            add("fixed:" + fc.name, [item], m)
    return out


def _score(parts: list[_Part]) -> tuple[int, Decimal]:
    unpriced = sum(1 for p in parts for i in p.items if i.cost is None) + sum(1 for p in parts if p.total is None)
    cost = sum((i.monthly_cost for p in parts for i in p.items if i.monthly_cost is not None), Decimal(0))
    return unpriced, cost


def _result(cloud: str, region: str, parts: list[_Part]) -> CloudResult:
    items = tuple(i for p in parts for i in p.items)
    total: Decimal | None = Decimal(0)
    for p in parts:
        total = None if total is None or p.total is None else total + p.total
    issues = tuple(p.issue for p in parts if p.issue)
    return CloudResult(cloud, region, items, total, issues)


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
    for c in use_clouds:
        if c not in ("aws", "gcp", "azure"):
            raise InputError(suggest(c, ["aws", "gcp", "azure"], what="cloud"), field="--cloud")
    options = list(purchase_options) if purchase_options else list(cmp_.purchase_options)
    from pricing.schema import PURCHASE_OPTIONS

    for o in options:
        if o not in PURCHASE_OPTIONS:
            raise InputError(suggest(o, PURCHASE_OPTIONS, what="purchase option"), field="--purchase-option")
    if isinstance(pricebook, (str, bytes)) or hasattr(pricebook, "__fspath__"):
        from pricing.pricebook import load_pricebook

        pricebook = load_pricebook(pricebook)
    sku_index = {o.sku: o for o in cat.offers} if pricebook is not None else {}

    horizon = sc.horizon_months
    reqs_by_month = [plan(sc, m) for m in range(horizon)]
    results = []
    warnings = []
    for cloud in use_clouds:
        cands = [r for r in (regions or cmp_.regions_for(cloud)) if not regions or r in cat.regions(cloud)]
        if regions and not cands:
            continue  # --region names regions of other clouds only
        known = cat.regions(cloud)
        for r in cands:
            if r not in known:
                field_ = f"compare.regions.{cloud}" if not regions else "--region"
                raise InputError(suggest(r, known, what=f"{cloud} region"), where=sc.source_path if not regions else None, field=field_)
        by_region = {
            region: _cost_region(sc, reqs_by_month, cat, cloud, region, options, pricebook, sku_index)
            for region in cands
        }
        if cmp_.placement == "single_region":
            region = min(cands, key=lambda r: _score(list(by_region[r].values())))
            results.append(_result(cloud, region, list(by_region[region].values())))
        else:
            keys = list(by_region[cands[0]])
            chosen = [min((by_region[r][k] for r in cands), key=lambda p: _score([p])) for k in keys]
            used = sorted({i.region for p in chosen for i in p.items if i.kind != "fixed"})
            results.append(_result(cloud, used[0] if len(used) == 1 else "+".join(used), chosen))
    if not results:
        raise InputError("nothing to compare: no cloud has one of the requested regions", field="--region")
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


def scale_points(
    scenario: Scenario,
    workload: str,
    qps: Sequence[float],
    catalog: Catalog | str | None = None,
    **kwargs: Any,
) -> list[dict[str, Any]]:
    """Cost and capacity of one serving workload at each QPS (peak scaled by the same peak/mean ratio)."""
    from planner.scenario import Serving

    w = scenario.workload(workload)
    if not isinstance(w, Serving) or w.style != "real_time":
        raise InputError(f"workload {workload!r} is not real-time serving; scale applies to serving QPS", field="--workload")
    cat = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
    ratio = (w.qps_peak or w.qps_mean or 1.0) / (w.qps_mean or 1.0)
    rows = []
    for q in qps:
        if q <= 0:
            raise InputError(f"QPS must be positive, got {q:g}", field="--qps")
        w2 = w.model_copy(update={"qps_mean": float(q), "qps_peak": float(q) * ratio, "qps_growth_pct_per_month": 0.0})
        sc2 = scenario.model_copy(update={"workloads": [w2], "fixed_costs": [], "horizon_months": 1})
        res = compare(sc2, cat, **kwargs)
        for c in res.clouds:
            item = c.items[0]
            rows.append(
                {
                    "cloud": c.cloud,
                    "qps": float(q),
                    "monthly_cost": None if item.monthly_cost is None else float(round(item.monthly_cost, 2)),
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

"""Azure list prices from the public Retail Prices REST API (no SDK covers it; no credentials needed).

Calls: ``GET https://prices.azure.com/api/retail/prices?api-version=2023-01-01-preview&currencyCode='USD'
&$filter=<OData>``, then every ``NextPageLink`` until it is null. Per region, four filters:

* ``serviceName eq 'Virtual Machines' and armRegionName eq '<r>' and priceType eq 'Consumption'``
  (optionally ``and (armSkuName eq 'X' or ...)``, split over several requests, see below)
* the same with ``priceType eq 'Reservation'``
* ``serviceName eq 'Storage' and armRegionName eq '<r>' and productName eq 'Blob Storage'``
* ``serviceName eq 'Bandwidth' and armRegionName eq '<r>' and productName eq 'Rtn Preference: MGN'
  and meterName eq 'Standard Data Transfer Out'`` (internet egress over the Microsoft network)

Currency: USD is asked for (``currencyCode='USD'``, quoted as in Microsoft's "Azure Retail Prices
overview"; USD is also the currency Microsoft prices Azure in). An item is read only when its
``currencyCode`` -- or, if the item has none, its page's ``BillingCurrency`` -- is USD; others are
skipped and counted (``currency_not_usd``, ``currency_unknown``), never read as dollars.

VM normalization (rules in :func:`pricing.sources.azure_parse.classify_vm`, choice in
:func:`pricing.sources.azure_parse.select_vm_rows`):

* Only Linux VM meters count: a ``productName`` naming Windows (" Windows", " Win"), Cloud Services
  (" Cloud Services", " CloudServices"), a Dedicated Host, or not starting with "Virtual Machines" is
  skipped, as are " Low Priority" meters (Azure Batch) and DevTest prices; each skip is counted.
* ``type`` Consumption is on-demand, or spot when ``skuName``/``meterName`` names " Spot".
  Reservation ``retailPrice`` is the price of the whole term: hourly = price / 8760 (1 Year) or
  / 26280 (3 Years), rounded to 10 decimal places. ``savingsPlan`` entries of on-demand meters give
  ``savings_plan_1y``/``savings_plan_3y`` hourly prices as listed.
* Of the rows left for one (instance type, region, option), the one with the latest
  ``effectiveStartDate`` not after today wins (tie: primary meter region, then the higher price);
  the others are counted as ``duplicate_meter``. Response order does not matter.
* A zero price is never an offer (``zero_price``); an empty one is an offer with a missing price.

Storage and egress:

* Blob ``{Hot,Cool,Archive} LRS Data Stored`` (1 GB/Month, tiered by ``tierMinimumUnits``) map to
  object_standard / object_infrequent / object_archive; ``Cold`` has no class here and is skipped.
  Write/read operations are priced per 10K; the offer is per request (price / 10,000).
* Tiers: ``tier_start`` = ``tierMinimumUnits``; ``tier_end`` = the next tier's start (None for the last).
  An egress tier at 0 is kept only as the free allowance that opens a priced schedule.
* Shapes (vCPUs, memory, accelerator) come from :func:`pricing.instances.instance_shape` by
  ``armSkuName``; an unknown size keeps its price with the shape fields empty.

Prices are Decimals parsed from the JSON text (never floats); written rows use
:func:`pricing.schema.plain`, so no price is written in an exponent form ("4E-7").
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from functools import partial
from typing import Any

from pricing.errors import InputError, SourceError
from pricing.schema import Offer
from pricing.sources.azure_parse import CURRENCY, bandwidth_offers, storage_offers, vm_offers
from pricing.sources.base import FetchStats, Progress, check_regions, report, utc_now_iso
from pricing.sources.http import RetryPolicy, call_with_retries, get_json

BASE_URL = "https://prices.azure.com/api/retail/prices"
API_VERSION = "2023-01-01-preview"
SOURCE = "azure:retail-prices"
DEFAULT_REGIONS = ("eastus", "westus2", "westeurope")
HINT = "wait a few minutes and run the refresh again (prices.azure.com throttles bursts of requests)"

MAX_FILTER_CHARS = 400
"""Longest ``$filter`` one request sends. Microsoft documents no limit, but the API refuses long ones:
public Retail Prices clients recorded that 15 ``armSkuName`` clauses (a 628-character filter) were
answered and 20 (805 characters) refused with HTTP 400 "Invalid OData parameters supplied" (probed
2026-08-26, centralindia), that more than 20 comparisons were refused however short the filter, and
that URLs past 2,048 characters got HTTP 404 (measured 2026-10-08). 400 characters is under two thirds
of the longest filter seen accepted; URL-encoded it stays near 600 characters of URL."""
MAX_FILTER_COMPARISONS = 15
"""Most ``eq`` comparisons in one ``$filter`` (18 were seen accepted, above 20 refused; see above)."""


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def sku_filters(
    base: str,
    names: Sequence[str],
    *,
    max_chars: int = MAX_FILTER_CHARS,
    max_comparisons: int = MAX_FILTER_COMPARISONS,
) -> list[str]:
    """``base`` narrowed to ``names`` (``and (armSkuName eq 'a' or ...)``), split into as few filters as
    keep each within ``max_chars`` characters and ``max_comparisons`` comparisons; names deduplicated,
    order kept. A name that cannot fit in a filter of its own is an :class:`InputError`."""
    fixed = base.count(" eq ")

    def render(chunk: list[str]) -> str:
        return base + " and (" + " or ".join(f"armSkuName eq {_quote(s)}" for s in chunk) + ")"

    def fits(chunk: list[str]) -> bool:
        return len(render(chunk)) <= max_chars and fixed + len(chunk) <= max_comparisons

    filters: list[str] = []
    chunk: list[str] = []
    for name in dict.fromkeys(names):
        if fits([*chunk, name]):
            chunk.append(name)
            continue
        if not fits([name]):
            raise InputError(
                f"instance type {name[:60]!r} does not fit in one Retail Prices filter of {max_chars} "
                "characters; check the armSkuName"
            )
        filters.append(render(chunk))
        chunk = [name]
    if chunk:
        filters.append(render(chunk))
    return filters


class AzureSource:
    """Azure Retail Prices; takes a ``requests.Session`` (tests mount a fake transport on it).

    ``today`` (an ISO date; default: the UTC date of each fetch) decides which prices are in effect.
    """

    name = "azure"
    description = f"Azure Retail Prices API (prices.azure.com, api-version {API_VERSION})"

    def __init__(
        self,
        session: Any,
        *,
        arm_sku_names: Sequence[str] | None = None,
        include_storage: bool = True,
        include_bandwidth: bool = True,
        base_url: str = BASE_URL,
        retry: RetryPolicy | None = None,
        timeout_s: float = 60.0,
        today: str | date | None = None,
    ) -> None:
        self.session = session
        self.arm_sku_names = list(arm_sku_names or [])
        self.include_storage = include_storage
        self.include_bandwidth = include_bandwidth
        self.base_url = base_url
        self.retry = retry or RetryPolicy()
        self.timeout_s = timeout_s
        self.today = today.isoformat() if isinstance(today, date) else today
        self.stats = FetchStats()

    @classmethod
    def from_default_session(cls, **kwargs: Any) -> AzureSource:
        import requests

        session = requests.Session()
        session.headers["User-Agent"] = "planner-price-refresh"
        return cls(session, **kwargs)

    # -- requests ---------------------------------------------------------------------------------
    def items(self, filter_expr: str, *, what: str, progress: Progress | None = None) -> Iterator[dict]:
        """Every item matching ``filter_expr``, following ``NextPageLink`` page by page.

        An item without a ``currencyCode`` gets its page's ``BillingCurrency`` (if the page names one).
        """
        url: str | None = self.base_url
        params: dict[str, str] | None = {
            "api-version": API_VERSION,
            "currencyCode": _quote(CURRENCY),
            "$filter": filter_expr,
        }
        seen_pages: set[str] = set()
        n = 0
        while url:
            body = call_with_retries(
                partial(get_json, self.session, url, params, timeout_s=self.timeout_s, what=what),
                policy=self.retry,
                what=what,
                hint=HINT,
            )
            items = body.get("Items") if isinstance(body, dict) else None
            if not isinstance(items, list):
                raise SourceError(
                    f"{what}: page {len(seen_pages) + 1} has no 'Items' list; run the refresh again"
                )
            self.stats.pages += 1
            n += len(items)
            report(progress, what, n)
            billing = body.get("BillingCurrency")
            for item in items:
                if isinstance(item, dict) and not item.get("currencyCode") and billing:
                    item = {**item, "currencyCode": billing}
                yield item
            nxt = body.get("NextPageLink")
            if nxt is not None and not isinstance(nxt, str):
                raise SourceError(f"{what}: 'NextPageLink' is not a URL; run the refresh again")
            if nxt and nxt in seen_pages:
                raise SourceError(
                    f"{what}: the API returned the same NextPageLink twice; run the refresh again"
                )
            if nxt:
                seen_pages.add(nxt)
            url, params = nxt or None, None  # NextPageLink carries the filter and $skip

    def vm_filters(self, region: str, price_type: str) -> list[str]:
        """The VM ``$filter`` of one region and price type; several when ``arm_sku_names`` is long."""
        base = (
            f"serviceName eq 'Virtual Machines' and armRegionName eq {_quote(region)} "
            f"and priceType eq {_quote(price_type)}"
        )
        return sku_filters(base, self.arm_sku_names) if self.arm_sku_names else [base]

    # -- fetch ------------------------------------------------------------------------------------
    def fetch(
        self, regions: Sequence[str] | None = None, *, progress: Progress | None = None
    ) -> Iterator[Offer]:
        fetched_at = utc_now_iso()
        today = self.today or datetime.now(UTC).date().isoformat()
        self.stats = FetchStats()
        for region in check_regions("azure", regions or DEFAULT_REGIONS):
            for price_type in ("Consumption", "Reservation"):
                what = f"Azure Retail Prices (Virtual Machines {price_type}, {region})"
                exprs = self.vm_filters(region, price_type)
                items: list[dict] = []
                for i, expr in enumerate(exprs, 1):
                    part = what if len(exprs) == 1 else f"{what[:-1]}, filter {i} of {len(exprs)})"
                    items.extend(self.items(expr, what=part, progress=progress))
                offers = vm_offers(items, what, SOURCE, fetched_at, self.stats, today=today)
                yield from self._count(offers)
            if self.include_storage:
                expr = (
                    f"serviceName eq 'Storage' and armRegionName eq {_quote(region)} "
                    "and productName eq 'Blob Storage' and priceType eq 'Consumption'"
                )
                what = f"Azure Retail Prices (Blob Storage, {region})"
                items = list(self.items(expr, what=what, progress=progress))
                yield from self._count(storage_offers(items, what, SOURCE, fetched_at, self.stats))
            if self.include_bandwidth:
                expr = (
                    f"serviceName eq 'Bandwidth' and armRegionName eq {_quote(region)} "
                    "and productName eq 'Rtn Preference: MGN' and meterName eq 'Standard Data Transfer Out'"
                )
                what = f"Azure Retail Prices (Bandwidth, {region})"
                items = list(self.items(expr, what=what, progress=progress))
                yield from self._count(bandwidth_offers(items, what, SOURCE, fetched_at, self.stats))

    def _count(self, offers: list[Offer]) -> Iterator[Offer]:
        for o in offers:
            self.stats.offers += 1
            self.stats.missing_prices += o.price is None
            yield o

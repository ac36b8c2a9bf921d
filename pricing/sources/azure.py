"""Azure list prices from the public Retail Prices REST API (no SDK covers it; no credentials needed).

Calls: ``GET https://prices.azure.com/api/retail/prices?api-version=2023-01-01-preview&currencyCode=USD
&$filter=<OData>``, then every ``NextPageLink`` until it is null. Per region, four filters:

* ``serviceName eq 'Virtual Machines' and armRegionName eq '<r>' and priceType eq 'Consumption'``
  (optionally ``and (armSkuName eq 'X' or ...)``)
* the same with ``priceType eq 'Reservation'``
* ``serviceName eq 'Storage' and armRegionName eq '<r>' and productName eq 'Blob Storage'``
* ``serviceName eq 'Bandwidth' and armRegionName eq '<r>' and productName eq 'Rtn Preference: MGN'
  and meterName eq 'Standard Data Transfer Out'`` (internet egress over the Microsoft network)

Normalization (see :func:`pricing.sources.azure_parse.classify_vm` for the VM rules):

* Consumption meters are on-demand; meters whose ``skuName``/``meterName`` end in " Spot" are spot.
  " Low Priority" meters (Azure Batch), DevTest prices and Windows (``productName`` ending in
  " Windows") are skipped and counted.
* Reservation ``retailPrice`` is the price of the whole term: hourly = price / 8760 (1 Year) or
  / 26280 (3 Years), rounded to 10 decimal places. ``savingsPlan`` entries of on-demand meters
  give ``savings_plan_1y``/``savings_plan_3y`` hourly prices as listed.
* Blob ``{Hot,Cool,Archive} LRS Data Stored`` (1 GB/Month, tiered by ``tierMinimumUnits``) map to
  object_standard / object_infrequent / object_archive; ``Cold`` has no class here and is skipped.
  Write/read operations are priced per 10K; the offer is per request (price / 10,000).
* Tiers: ``tier_start`` = ``tierMinimumUnits``; ``tier_end`` = the next tier's start (None for the last).
* Shapes (vCPUs, memory, accelerator) come from :func:`pricing.instances.instance_shape` by
  ``armSkuName``; an unknown size keeps its price with the shape fields empty.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import partial
from typing import Any

from planner.errors import SourceError
from pricing.schema import Offer
from pricing.sources.azure_parse import bandwidth_offers, storage_offers, vm_offers
from pricing.sources.base import FetchStats, Progress, check_regions, report, utc_now_iso
from pricing.sources.http import RetryPolicy, call_with_retries, get_json

BASE_URL = "https://prices.azure.com/api/retail/prices"
API_VERSION = "2023-01-01-preview"
SOURCE = "azure:retail-prices"
DEFAULT_REGIONS = ("eastus", "westus2", "westeurope")
HINT = "wait a few minutes and run the refresh again (prices.azure.com throttles bursts of requests)"


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class AzureSource:
    """Azure Retail Prices; takes a ``requests.Session`` (tests mount a fake transport on it)."""

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
    ) -> None:
        self.session = session
        self.arm_sku_names = list(arm_sku_names or [])
        self.include_storage = include_storage
        self.include_bandwidth = include_bandwidth
        self.base_url = base_url
        self.retry = retry or RetryPolicy()
        self.timeout_s = timeout_s
        self.stats = FetchStats()

    @classmethod
    def from_default_session(cls, **kwargs: Any) -> AzureSource:
        import requests

        session = requests.Session()
        session.headers["User-Agent"] = "planner-price-refresh"
        return cls(session, **kwargs)

    # -- requests ---------------------------------------------------------------------------------
    def items(self, filter_expr: str, *, what: str, progress: Progress | None = None) -> Iterator[dict]:
        """Every item matching ``filter_expr``, following ``NextPageLink`` page by page."""
        url: str | None = self.base_url
        params: dict[str, str] | None = {
            "api-version": API_VERSION,
            "currencyCode": "USD",
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
            yield from items
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

    def _vm_filter(self, region: str, price_type: str) -> list[str]:
        base = (
            f"serviceName eq 'Virtual Machines' and armRegionName eq {_quote(region)} "
            f"and priceType eq {_quote(price_type)}"
        )
        if not self.arm_sku_names:
            return [base]
        chunks = [self.arm_sku_names[i : i + 20] for i in range(0, len(self.arm_sku_names), 20)]
        return [base + " and (" + " or ".join(f"armSkuName eq {_quote(s)}" for s in c) + ")" for c in chunks]

    # -- fetch ------------------------------------------------------------------------------------
    def fetch(
        self, regions: Sequence[str] | None = None, *, progress: Progress | None = None
    ) -> Iterator[Offer]:
        fetched_at = utc_now_iso()
        self.stats = FetchStats()
        for region in check_regions("azure", regions or DEFAULT_REGIONS):
            for price_type in ("Consumption", "Reservation"):
                for expr in self._vm_filter(region, price_type):
                    what = f"Azure Retail Prices (Virtual Machines {price_type}, {region})"
                    items = list(self.items(expr, what=what, progress=progress))
                    yield from self._count(vm_offers(items, what, SOURCE, fetched_at, self.stats))
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

"""GCP list prices from the Cloud Billing Catalog API (google-cloud-billing ``CloudCatalogClient``).

Calls: ``list_services()`` (to find "Compute Engine", "Cloud Storage" and "Networking" by display
name), then ``list_skus(parent=<service>, currency_code="USD", page_size=5000)`` for each, every
page through the library's pager (resumed at the last ``page_token`` after a retried failure; the
library's own retry is switched off so one policy applies). Credentials: Application Default
Credentials.

Normalization:

* Machine types (shapes from :func:`pricing.instances.shapes`, families a2/a3/g2/n1 (+GPU)/n2/c3)
  are priced from part SKUs (:mod:`pricing.sources.gcp_parse`): vcpus x core + memory_gib x RAM +
  GPUs x GPU (+ the bundled local SSD of A2 Ultra and A3 machines: GiB x per-GiB-month SKU / 730),
  one offer per (machine type, region, purchase option). What each option is composed of:

  - on_demand: the standard core, RAM and GPU SKUs (descriptions without DWS, Calendar Mode,
    Reserved, Commitment or Sole Tenancy) + "SSD backed Local Storage". Machine types GCP does not
    sell on demand (``instance_shape(...).sold_on_demand`` false: a3-highgpu-1g/2g/4g,
    a3-ultragpu-8g) get no on_demand offer.
  - spot: "Spot Preemptible ..." core/RAM, GPU "attached to Spot Preemptible VMs" (usage type
    Preemptible) + "SSD backed Local Storage attached to Spot Preemptible VMs".
  - committed_1y / committed_3y: "Commitment v1: ..." SKUs with usage type Commit1Yr / Commit3Yr;
    a Commitment SKU with any other usage type is skipped, never on demand.
  - flex_start: "DWS Defined Duration <family> Core/Ram" + GPU "attached to DWS Defined Duration VMs".
  - calendar: "... in Calendar Mode" SKUs (GCP lists calendar-mode GPUs); where the listing has no
    calendar-mode core/RAM for the family the host is not priced and the price is None.
  - bundled local SSD for committed, flex_start and calendar: the option's own local SSD SKU when
    listed, else the on-demand one; the offer's ``source`` says which rate it used.

  Reserved, sole-tenant and zero-priced SKUs are skipped and counted in the fetch statistics
  (reasons ``reserved``, ``sole_tenancy``, ``commitment_not_on_demand``, ``zero_price``). A
  combination is offered when at least one of its core/RAM/GPU parts is sold in that region under
  that option; when another part is not, the price is None (missing), never a partial sum.
* Cloud Storage regional Standard / Nearline / Archive per GB-month (object_standard / _infrequent /
  _archive). Coldline has no class here (between infrequent and archive) and is skipped, as are
  multi-region buckets.
* Internet egress (premium tier, "Network Internet Egress|Data Transfer Out from X to Americas")
  per GB with its tiers; other destinations are skipped.
* Prices: ``units + nanos / 1e9`` exactly, as Decimal, at their published precision (written
  without exponent forms by :func:`pricing.schema.plain`). GCP meters storage and egress in GiB
  (``GiBy.mo``, ``GiBy``); the figures are recorded as published, per "GB" as the price pages do.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

from pricing.errors import SourceError
from pricing.schema import Offer
from pricing.sources import gcp_parse as gp
from pricing.sources.base import FetchStats, Progress, check_regions, iso_date, plain, report, utc_now_iso
from pricing.sources.http import RetryPolicy, Transient, resumable_pages

SOURCE = "gcp:cloudbilling.services.skus.list"
DEFAULT_REGIONS = ("us-central1", "us-east4", "europe-west4")
HINT = "wait a few minutes and run the refresh again"
SERVICES = ("Compute Engine", "Cloud Storage", "Networking")


def _amount(value: float) -> Decimal:
    """A tier boundary (a float in the API) as Decimal."""
    return plain(Decimal(str(value)))


def classify_gcp_error(exc: Exception) -> Exception:
    """google-api-core / google-auth / requests exception -> Transient, SourceError, or itself."""
    import requests
    from google.api_core import exceptions as gexc
    from google.auth import exceptions as auth_exc
    from google.protobuf.json_format import ParseError

    if isinstance(
        exc,
        (
            gexc.TooManyRequests,
            gexc.ServiceUnavailable,
            gexc.InternalServerError,
            gexc.BadGateway,
            gexc.GatewayTimeout,
            gexc.DeadlineExceeded,
        ),
    ):
        return Transient(f"HTTP {exc.code}" if exc.code else type(exc).__name__)
    if isinstance(exc, (requests.ConnectionError, requests.Timeout, auth_exc.TransportError)):
        return Transient(f"connection failed: {type(exc).__name__}")
    if isinstance(exc, auth_exc.RefreshError):
        return SourceError(
            "the Google credentials were rejected and could not be refreshed; "
            "run `gcloud auth application-default login`"
        )
    if isinstance(exc, auth_exc.DefaultCredentialsError):
        return SourceError("no Google credentials; run `gcloud auth application-default login`")
    if isinstance(exc, gexc.GoogleAPICallError):
        message = re.sub(r"^[A-Z]+ \S+: ", "", " ".join(str(exc.message).split()))[:200]  # drop "GET <url>: "
        return SourceError(
            f"HTTP {exc.code} {type(exc).__name__}: {message}; "
            "check that the Cloud Billing API is enabled for the project"
        )
    if isinstance(exc, (ParseError, ValueError)):
        return SourceError(
            "the response could not be parsed (truncated or damaged page); run the refresh again"
        )
    return exc


class GcpSource:
    """GCP prices; takes a ``billing_v1.CloudCatalogClient`` (tests point its REST transport at a fake)."""

    name = "gcp"
    description = "Google Cloud Billing Catalog API (CloudCatalogClient.list_skus)"

    def __init__(
        self,
        client: Any,
        *,
        families: Sequence[str] | None = None,
        include_storage: bool = True,
        include_egress: bool = True,
        retry: RetryPolicy | None = None,
        page_size: int = 5000,
        timeout_s: float = 120.0,
    ) -> None:
        self.client = client
        self.families = set(families) if families else None
        self.include_storage = include_storage
        self.include_egress = include_egress
        self.retry = retry or RetryPolicy()
        self.page_size = page_size
        self.timeout_s = timeout_s
        self.stats = FetchStats()
        self._emitted: set[tuple[str, str]] = set()
        self.parts: dict[tuple, gp.Part] = {}  # (part key, option, region) -> part SKU, after a fetch

    @classmethod
    def from_default_credentials(cls, **kwargs: Any) -> GcpSource:
        from google.auth import exceptions as auth_exc
        from google.cloud import billing_v1

        try:
            client = billing_v1.CloudCatalogClient()
        except auth_exc.DefaultCredentialsError:
            raise SourceError("no Google credentials; run `gcloud auth application-default login`") from None
        return cls(client, **kwargs)

    # -- calls ------------------------------------------------------------------------------------
    def _pages(self, call: Any, request: dict, what: str) -> Iterator[Any]:
        def open_pages(token: str | None) -> Any:
            return call(
                request=request | {"page_token": token or ""}, retry=None, timeout=self.timeout_s
            ).pages

        yield from resumable_pages(
            open_pages,
            lambda p: p.next_page_token,
            classify=classify_gcp_error,
            policy=self.retry,
            what=what,
            hint=HINT,
        )

    def services(self) -> dict[str, str]:
        """Display name -> resource name (``services/6F81-5844-456A``) of every catalog service."""
        out = {}
        for page in self._pages(
            self.client.list_services, {"page_size": self.page_size}, "GCP list_services"
        ):
            self.stats.pages += 1
            out.update({s.display_name: s.name for s in page.services})
        return out

    def skus(self, service: str, display_name: str, progress: Progress | None) -> Iterator[Any]:
        what = f"GCP list_skus ({display_name})"
        request = {"parent": service, "currency_code": "USD", "page_size": self.page_size}
        n = 0
        for page in self._pages(self.client.list_skus, request, what):
            self.stats.pages += 1
            n += len(page.skus)
            report(progress, what, n)
            for sku in page.skus:
                if not (sku.sku_id and sku.description):
                    raise SourceError(f"{what}: a SKU lacks its id or description; run the refresh again")
                self.stats.items += 1
                yield sku

    # -- fetch ------------------------------------------------------------------------------------
    def fetch(
        self, regions: Sequence[str] | None = None, *, progress: Progress | None = None
    ) -> Iterator[Offer]:
        from pricing.instances import shapes

        fetched_at = utc_now_iso()
        self.stats = FetchStats()
        self._emitted = set()  # (region, "egress") already priced by one SKU
        wanted = check_regions("gcp", regions or DEFAULT_REGIONS)
        found = self.services()
        if "Compute Engine" not in found:
            raise SourceError(
                "GCP list_services: no 'Compute Engine' service in the catalog; check the API endpoint"
            )
        names = ["Compute Engine"] + [n for n in SERVICES[1:] if n in found and self._wants(n)]
        parts: dict[tuple, gp.Part] = {}
        self.parts = parts
        offers: list[Offer] = []
        for display_name in names:
            for sku in self.skus(found[display_name], display_name, progress):
                offers += self._classify(sku, display_name, set(wanted), parts, fetched_at)
        machine_shapes = [s for s in shapes("gcp") if self.families is None or s.family in self.families]
        offers += gp.compose(machine_shapes, parts, wanted, fetched_at, SOURCE)
        for offer in offers:
            self.stats.offers += 1
            self.stats.missing_prices += offer.price is None
            yield offer

    def _wants(self, display_name: str) -> bool:
        return self.include_storage if display_name == "Cloud Storage" else self.include_egress

    def _classify(
        self, sku: Any, service: str, wanted: set[str], parts: dict, fetched_at: str
    ) -> list[Offer]:
        skip = self.stats.skip
        regions = [r for r in sku.service_regions if r in wanted]
        if not regions:
            skip("region_not_requested")
            return []
        option, reason = gp.purchase_option(sku.description, sku.category.usage_type)
        if option is None:
            skip(reason)
            return []
        if not sku.pricing_info or not sku.pricing_info[0].pricing_expression.tiered_rates:
            skip("no_price")
            return []
        info = sku.pricing_info[0]
        expr = info.pricing_expression
        rates = sorted(expr.tiered_rates, key=lambda r: r.start_usage_amount)
        if any(r.unit_price.currency_code not in ("USD", "") for r in rates):
            skip("not_usd")
            return []
        prices = [gp.money(r.unit_price.units, r.unit_price.nanos) for r in rates]
        if not any(prices):
            skip("zero_price")  # a zero price is never an offer (reserved capacity, BYOL and the like)
            return []
        effective = iso_date(info.effective_time.isoformat()) if info.effective_time else ""
        family = sku.category.resource_family
        key = gp.part_key(sku.description) if service == "Compute Engine" else None
        if service == "Compute Engine" and (family == "Compute" or (key and key[0] == "local_ssd")):
            if key is None or expr.usage_unit != gp.PART_UNITS[key[0]] or len(rates) != 1:
                skip("compute_sku_not_modeled" if family == "Compute" else "local_ssd_sku_not_modeled")
                return []
            for region in regions:
                if (key, option, region) in parts:
                    skip("duplicate_part")
                    continue
                parts[(key, option, region)] = gp.Part(key, option, region, prices[0], sku.sku_id, effective)
            return []
        if family == "Storage" and service == "Cloud Storage":
            cls = gp.storage_class(sku.description)
            if not cls or sku.geo_taxonomy.type_.name != "REGIONAL" or expr.usage_unit != "GiBy.mo":
                skip("storage_class_not_modeled" if cls is False else "storage_sku_not_modeled")
                return []
            fields: dict[str, Any] = {
                "resource": "storage",
                "unit": "GB-month",
                "storage_class": cls,
                "service": "Cloud Storage",
            }
        elif family == "Network" and gp.egress_destination(sku.description) is not None:
            if gp.egress_destination(sku.description) != gp.EGRESS_DESTINATION or expr.usage_unit != "GiBy":
                skip("egress_destination_not_modeled")
                return []
            regions = [r for r in regions if (r, "egress") not in self._emitted]
            if not self.include_egress or not regions:
                skip("egress_not_requested" if not self.include_egress else "duplicate_egress")
                return []
            self._emitted.update((r, "egress") for r in regions)
            fields = {"resource": "egress", "unit": "GB", "service": service}
        else:
            skip(f"{family.lower()}_sku_not_modeled")
            return []
        out = []
        for region in regions:
            for i, rate in enumerate(rates):
                nxt = rates[i + 1].start_usage_amount if i + 1 < len(rates) else None
                out.append(
                    Offer(
                        provider="gcp",
                        sku=sku.sku_id,
                        region=region,
                        purchase_option=option,
                        price=prices[i],
                        source=SOURCE,
                        effective_date=effective,
                        fetched_at=fetched_at,
                        tier_start=_amount(rate.start_usage_amount),
                        tier_end=None if nxt is None else _amount(nxt),
                        **fields,
                    )
                )
        return out

"""AWS list prices from the Price List Query API, and spot prices from EC2 spot price history.

Calls (boto3; the ``pricing`` client lives in us-east-1; every call through its paginator, 100 per
page, resumed from the last ``NextToken`` after a retried failure):

* ``pricing.get_products(ServiceCode="AmazonEC2")`` with TERM_MATCH filters ``regionCode``,
  ``operatingSystem=Linux``, ``tenancy=Shared``, ``preInstalledSw=NA``, ``capacitystatus=Used`` and
  one ``instanceFamily`` (or ``instanceType``) per query: on-demand and reserved instance prices.
* ``get_products(ServiceCode="AmazonEC2")`` with ``productFamily=Storage`` and ``volumeApiName``
  gp3 / st1: EBS per GB-month (block_ssd / block_hdd).
* ``get_products(ServiceCode="AmazonS3")`` with ``regionCode`` and ``productFamily`` Storage / API
  Request: Standard (tiered), Standard-IA and Glacier Deep Archive per GB-month; Tier1 (PUT/LIST)
  and Tier2 (GET) requests of Standard and Standard-IA, per request.
* ``get_products(ServiceCode="AWSDataTransfer")`` with ``fromRegionCode`` and
  ``transferType=AWS Outbound``: internet egress tiers (beginRange/endRange GB -> tier_start/end).
* ``ec2.describe_spot_price_history`` in each region (``ProductDescriptions=["Linux/UNIX"]``,
  ``StartTime`` = now, so each AZ reports the price in effect now), for the instance types the
  on-demand query found. Per instance type: the latest price of each AZ, then the **median across
  AZs** (the middle of what a region-agnostic launch would pay; the cheapest AZ is often capacity-
  starved). ``effective_date`` is the newest timestamp used.

Price parsing and reserved-term arithmetic: :mod:`pricing.sources.aws_parse`. The Price List has no
spot prices and no Savings Plans rates; neither is invented here.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from planner.errors import SourceError
from pricing.schema import Offer
from pricing.sources import aws_parse
from pricing.sources.base import (
    FetchStats,
    Progress,
    check_regions,
    decimal_price,
    iso_date,
    report,
    utc_now_iso,
)
from pricing.sources.http import RetryPolicy, Transient, resumable_pages

DEFAULT_REGIONS = ("us-east-1", "us-west-2", "eu-west-1")
DEFAULT_FAMILIES = ("GPU instance", "Machine Learning ASIC Instances", "General purpose", "Compute optimized")
SPOT_SOURCE = "aws:ec2.describe_spot_price_history"
RETRY_CODES = {
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "RequestThrottled",
    "SlowDown",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "InternalError",
    "InternalFailure",
    "InternalErrorException",
    "RequestTimeout",
    "RequestTimeoutException",
}
HINT = "wait a few minutes and run the refresh again"
EC2_FILTERS = {
    "operatingSystem": "Linux",
    "tenancy": "Shared",
    "preInstalledSw": "NA",
    "capacitystatus": "Used",
}


def term_filters(**fields: str) -> list[dict[str, str]]:
    return [{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in fields.items()]


def classify_aws_error(exc: Exception) -> Exception:
    """botocore exception -> :class:`Transient` (retry), :class:`SourceError` (stop) or itself (bug)."""
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        HTTPClientError,
        NoCredentialsError,
        ParamValidationError,
        PartialCredentialsError,
    )
    from botocore.exceptions import ConnectionError as BotoConnectionError

    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        code = str(err.get("Code", "Unknown"))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        if code in RETRY_CODES or status == 429 or status >= 500:
            return Transient(code)
        message = " ".join(str(err.get("Message", "")).split())[:200]
        return SourceError(f"{code}: {message}; check the credentials' permissions and the region names")
    if isinstance(exc, (NoCredentialsError, PartialCredentialsError)):
        return SourceError("no AWS credentials found; run `aws configure` or set AWS_PROFILE")
    if isinstance(exc, (BotoConnectionError, HTTPClientError)):  # includes connect/read timeouts
        return Transient(type(exc).__name__)
    if isinstance(exc, ParamValidationError):
        return exc
    if isinstance(exc, BotoCoreError):
        return SourceError(f"{type(exc).__name__}; check the AWS configuration (profile, region, endpoint)")
    return exc


class AwsSource:
    """AWS prices; takes a boto3 ``pricing`` client and a region -> ``ec2`` client factory."""

    name = "aws"
    description = "AWS Price List Query API (pricing.get_products) and EC2 spot price history"

    def __init__(
        self,
        pricing_client: Any,
        ec2_client_for: Callable[[str], Any] | None = None,
        *,
        instance_families: Sequence[str] = DEFAULT_FAMILIES,
        instance_types: Sequence[str] | None = None,
        include_spot: bool = True,
        include_storage: bool = True,
        include_transfer: bool = True,
        retry: RetryPolicy | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.pricing = pricing_client
        self.ec2_client_for = ec2_client_for
        self.instance_families = list(instance_families)
        self.instance_types = list(instance_types or [])
        self.include_spot = include_spot and ec2_client_for is not None
        self.include_storage = include_storage
        self.include_transfer = include_transfer
        self.retry = retry or RetryPolicy()
        self.clock = clock
        self.stats = FetchStats()

    @classmethod
    def from_default_credentials(cls, **kwargs: Any) -> AwsSource:
        """Clients from boto3's default credential chain; botocore's own retries off (tenacity retries)."""
        import boto3
        from botocore.config import Config

        session = boto3.session.Session()
        config = Config(retries={"mode": "standard", "max_attempts": 1}, user_agent_extra="planner")
        pricing = session.client("pricing", region_name="us-east-1", config=config)
        return cls(pricing, lambda region: session.client("ec2", region_name=region, config=config), **kwargs)

    # -- calls ------------------------------------------------------------------------------------
    def products(
        self, service_code: str, filters: list[dict], *, what: str, progress: Progress | None
    ) -> Iterator[dict]:
        """Parsed PriceList products of one ``get_products`` query, all pages."""
        paginator = self.pricing.get_paginator("get_products")

        def open_pages(token: str | None) -> Any:
            config: dict[str, Any] = {"PageSize": 100}
            if token:
                config["StartingToken"] = token
            return paginator.paginate(
                ServiceCode=service_code, Filters=filters, FormatVersion="aws_v1", PaginationConfig=config
            )

        n = 0
        for page in resumable_pages(
            open_pages,
            lambda p: p.get("NextToken"),
            classify=classify_aws_error,
            policy=self.retry,
            what=what,
            hint=HINT,
        ):
            price_list = page.get("PriceList")
            if not isinstance(price_list, list):
                raise SourceError(f"{what}: a page has no PriceList; run the refresh again")
            self.stats.pages += 1
            n += len(price_list)
            report(progress, what, n)
            for raw in price_list:
                self.stats.items += 1
                yield aws_parse.load_product(raw, what)

    def _emit(self, offers: list[Offer]) -> Iterator[Offer]:
        for o in offers:
            self.stats.offers += 1
            self.stats.missing_prices += o.price is None
            yield o

    # -- fetch ------------------------------------------------------------------------------------
    def fetch(
        self, regions: Sequence[str] | None = None, *, progress: Progress | None = None
    ) -> Iterator[Offer]:
        fetched_at = utc_now_iso()
        self.stats = FetchStats()
        for region in check_regions("aws", regions or DEFAULT_REGIONS):
            on_demand: dict[str, Offer] = {}
            selectors = [("instanceType", t) for t in self.instance_types] or [
                ("instanceFamily", f) for f in self.instance_families
            ]
            for field, value in selectors:
                what = f"AWS get_products (AmazonEC2 {value}, {region})"
                filters = term_filters(regionCode=region, **EC2_FILTERS, **{field: value})
                for item in self.products("AmazonEC2", filters, what=what, progress=progress):
                    offers = aws_parse.ec2_instance_offers(item, what, fetched_at, self.stats)
                    if offers and offers[0].instance_type in on_demand:
                        self.stats.skip("duplicate_product")  # one product per type and region is expected
                        continue
                    for offer in self._emit(offers):
                        if offer.purchase_option == "on_demand":
                            on_demand[offer.instance_type or ""] = offer
                        yield offer
            if self.include_spot and on_demand:
                yield from self._emit(self.spot_offers(region, on_demand, fetched_at, progress))
            if self.include_storage:
                queries = [
                    ("AmazonEC2", term_filters(regionCode=region, productFamily="Storage", volumeApiName=v))
                    for v in aws_parse.EBS
                ]
                queries += [
                    ("AmazonS3", term_filters(regionCode=region, productFamily=f))
                    for f in ("Storage", "API Request")
                ]
                for service, filters in queries:
                    what = f"AWS get_products ({service} {filters[-1]['Value']}, {region})"
                    for item in self.products(service, filters, what=what, progress=progress):
                        yield from self._emit(aws_parse.storage_offers(item, what, fetched_at, self.stats))
            if self.include_transfer:
                what = f"AWS get_products (AWSDataTransfer, {region})"
                filters = term_filters(fromRegionCode=region, transferType="AWS Outbound")
                for item in self.products("AWSDataTransfer", filters, what=what, progress=progress):
                    yield from self._emit(aws_parse.transfer_offers(item, what, fetched_at, self.stats))

    def spot_offers(
        self, region: str, on_demand: dict[str, Offer], fetched_at: str, progress: Progress | None = None
    ) -> list[Offer]:
        """One spot offer per instance type: median across AZs of each AZ's latest Linux/UNIX price."""
        assert self.ec2_client_for is not None
        paginator = self.ec2_client_for(region).get_paginator("describe_spot_price_history")
        start = self.clock()
        types = sorted(on_demand)
        latest: dict[tuple[str, str], tuple[datetime, Any]] = {}
        what = f"AWS describe_spot_price_history ({region})"
        for i in range(0, len(types), 100):
            chunk = types[i : i + 100]

            def open_pages(token: str | None, chunk: list[str] = chunk) -> Any:
                config = {"StartingToken": token} if token else {}
                return paginator.paginate(
                    InstanceTypes=chunk,
                    ProductDescriptions=["Linux/UNIX"],
                    StartTime=start,
                    PaginationConfig=config,
                )

            n = 0
            for page in resumable_pages(
                open_pages,
                lambda p: p.get("NextToken"),
                classify=classify_aws_error,
                policy=self.retry,
                what=what,
                hint=HINT,
            ):
                self.stats.pages += 1
                rows = page.get("SpotPriceHistory", [])
                n += len(rows)
                report(progress, what, n)
                for row in rows:
                    self.stats.items += 1
                    key = (row["InstanceType"], row["AvailabilityZone"])
                    if key not in latest or row["Timestamp"] > latest[key][0]:
                        latest[key] = (row["Timestamp"], row["SpotPrice"])
        per_type: dict[str, list[tuple[datetime, Any]]] = {}
        for (itype, _az), pick in latest.items():
            per_type.setdefault(itype, []).append(pick)
        out = []
        for itype, picks in sorted(per_type.items()):
            prices = [decimal_price(p, what=what) for _, p in picks]
            if any(p is None for p in prices):
                raise SourceError(f"{what}: an empty SpotPrice for {itype}; run the refresh again")
            base = on_demand.get(itype)
            if base is None:
                self.stats.skip("spot_type_not_requested")
                continue
            newest = max(t for t, _ in picks)
            out.append(
                Offer(
                    provider="aws",
                    service="AmazonEC2",
                    sku=f"spot:{itype}",
                    region=region,
                    resource="instance",
                    purchase_option="spot",
                    unit="hour",
                    price=statistics.median(prices),  # type: ignore[type-var]
                    source=SPOT_SOURCE,
                    effective_date=iso_date(newest.isoformat()),
                    fetched_at=fetched_at,
                    instance_type=itype,
                    accelerator=base.accelerator,
                    accelerator_count=base.accelerator_count,
                    vcpus=base.vcpus,
                    memory_gib=base.memory_gib,
                )
            )
        return out

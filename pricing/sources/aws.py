"""AWS prices: the Price List Query API, EC2 spot price history, Savings Plans rates and Capacity Blocks.

Calls (boto3; the ``pricing`` and ``savingsplans`` clients live in us-east-1; every call through a
pager, resumed from the last token after a retried failure):

* ``pricing.get_products(ServiceCode="AmazonEC2")`` with TERM_MATCH filters ``regionCode``,
  ``operatingSystem=Linux``, ``tenancy=Shared``, ``preInstalledSw=NA``, ``capacitystatus=Used`` and
  one ``instanceFamily`` (or ``instanceType``) per query: on-demand, 1y/3y reserved and (where the
  list prices one) Capacity Block instance prices, plus on-demand capacity reservations at the
  on-demand rate. What the filters let through that is not a Linux shared instance is skipped and
  counted (see :mod:`pricing.sources.aws_parse`).
* ``get_products(ServiceCode="AmazonEC2")`` with ``productFamily=Storage`` and ``volumeApiName``
  gp3 / st1: EBS per GB-month (block_ssd / block_hdd).
* ``get_products(ServiceCode="AmazonS3")`` with ``regionCode`` and ``productFamily`` Storage / API
  Request: Standard (tiered) and Standard-IA per GB-month; Tier1 (PUT/LIST) and Tier2 (GET) requests
  of Standard and Standard-IA, per request. ``get_products(ServiceCode="AmazonS3GlacierDeepArchive")``
  with ``regionCode``: Glacier Deep Archive storage per GB-month (its own service code; the AmazonS3
  "Glacier Deep Archive" product is the staging usage and is not the archive price).
* ``get_products(ServiceCode="AWSDataTransfer")`` with ``fromRegionCode`` and
  ``transferType=AWS Outbound``: internet egress tiers (beginRange/endRange GB -> tier_start/end).
* ``ec2.describe_spot_price_history`` in each region (``ProductDescriptions=["Linux/UNIX"]``,
  ``StartTime`` = now, so each AZ reports the price in effect now), for the instance types the
  on-demand query found. Per instance type: the latest price of each AZ, then the **median across
  AZs** (the middle of what a region-agnostic launch would pay; the cheapest AZ is often capacity-
  starved). ``effective_date`` is the newest timestamp used.
* ``savingsplans.describe_savings_plans_offering_rates`` (no SDK pager: ``nextToken`` by hand) for the
  instance types the on-demand query found: ``savingsPlanTypes`` [``Compute``] (or ``EC2Instance``),
  ``savingsPlanPaymentOptions`` [``No Upfront``] (or another), ``products`` [EC2], ``serviceCodes``
  [AmazonEC2], ``operations`` [RunInstances] (Linux), ``usageTypes`` (the products' box usage types)
  and ``filters`` region / instanceType / productDescription ``Linux/UNIX`` / tenancy ``shared``.
  The API cannot filter by term, so both come back: ``durationSeconds`` 31,536,000 ->
  ``savings_plan_1y``, 94,608,000 -> ``savings_plan_3y``. The rate is the effective hourly price.
* ``ec2.describe_capacity_block_offerings`` for the Capacity Block instance types the on-demand query
  found (p4d, p5, p5e, p5en, p6-b200, trn1, trn2), unless the Price List already priced the type's
  Capacity Block: one instance, ``capacity_block_hours`` (24) long, starting within the next
  ``capacity_block_window_days`` (56: blocks can be booked up to eight weeks ahead). Each offering's
  ``UpfrontFee / (InstanceCount x duration hours)`` is a per instance-hour price; the cheapest
  offering becomes the ``capacity_block`` offer.

Savings Plans and Capacity Blocks need their own permissions
(``savingsplans:DescribeSavingsPlansOfferingRates``, ``ec2:DescribeCapacityBlockOfferings``). When the
credentials lack them the refresh goes on without those prices and counts the fact in the fetch
statistics (``savings_plans_not_permitted``, ``capacity_blocks_not_permitted``).

A zero price is never an offer, anywhere here. The Price List has no spot prices; spot comes only
from the spot price history.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pricing.errors import SourceError
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
# Instance types sold as EC2 Capacity Blocks for ML ("Capacity Blocks for ML", Amazon EC2 User Guide,
# supported instance types, read 2026-12-02).
CAPACITY_BLOCK_TYPES = (
    "p4d.24xlarge",
    "p5.48xlarge",
    "p5e.48xlarge",
    "p5en.48xlarge",
    "p6-b200.48xlarge",
    "trn1.32xlarge",
    "trn2.48xlarge",
)
SAVINGS_PLAN_TYPES = ("Compute", "EC2Instance")
NOT_PERMITTED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"}
NOT_OFFERED = {"InvalidParameterValue", "InvalidParameterCombination", "Unsupported"}
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


class Unavailable(Exception):
    """An optional price (Savings Plans, Capacity Blocks) the credentials may not read, or AWS does not offer."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def classify_optional(exc: Exception) -> Exception:
    """:func:`classify_aws_error`, except that "not permitted"/"not offered" become :class:`Unavailable`."""
    from botocore.exceptions import ClientError

    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in NOT_PERMITTED or code in NOT_OFFERED:
            return Unavailable(code)
    return classify_aws_error(exc)


class AwsSource:
    """AWS prices; takes a boto3 ``pricing`` client, a region -> ``ec2`` client factory and, for Savings
    Plans rates, a ``savingsplans`` client.

    ``reserved_payment`` is the payment option of the ``reserved_1y``/``reserved_3y`` offers (standard
    class; see :mod:`pricing.sources.aws_parse`); ``savings_plan_type`` / ``savings_plan_payment`` pick
    the plan behind ``savings_plan_1y``/``savings_plan_3y`` (Compute, No Upfront by default: the plan
    that follows a workload across instance families and regions, the counterpart of Azure's savings
    plan; the EC2 Instance plan is family-bound like a standard reservation).
    """

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
        savings_plans_client: Any = None,
        savings_plan_type: str = "Compute",
        savings_plan_payment: str = "No Upfront",
        reserved_payment: str = aws_parse.DEFAULT_RESERVED_PAYMENT,
        include_capacity_blocks: bool = False,
        capacity_block_hours: int = 24,
        capacity_block_window_days: int = 56,
        retry: RetryPolicy | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if savings_plan_type not in SAVINGS_PLAN_TYPES:
            raise ValueError(f"savings_plan_type must be one of {', '.join(SAVINGS_PLAN_TYPES)}")
        for payment in (savings_plan_payment, reserved_payment):
            if payment not in aws_parse.UPFRONT_OPTIONS:
                raise ValueError(f"payment option must be one of {', '.join(aws_parse.UPFRONT_OPTIONS)}")
        self.pricing = pricing_client
        self.ec2_client_for = ec2_client_for
        self.instance_families = list(instance_families)
        self.instance_types = list(instance_types or [])
        self.include_spot = include_spot and ec2_client_for is not None
        self.include_storage = include_storage
        self.include_transfer = include_transfer
        self.savings_plans = savings_plans_client
        self.savings_plan_type = savings_plan_type
        self.savings_plan_payment = savings_plan_payment
        self.reserved_payment = reserved_payment
        self.include_capacity_blocks = include_capacity_blocks and ec2_client_for is not None
        self.capacity_block_hours = capacity_block_hours
        self.capacity_block_window_days = capacity_block_window_days
        self.retry = retry or RetryPolicy()
        self.clock = clock
        self.stats = FetchStats()

    @classmethod
    def from_default_credentials(
        cls, *, include_savings_plans: bool = True, include_capacity_blocks: bool = True, **kwargs: Any
    ) -> AwsSource:
        """Clients from boto3's default credential chain; botocore's own retries off (tenacity retries).

        Savings Plans rates and Capacity Block offerings are read unless switched off.
        """
        import boto3
        from botocore.config import Config

        session = boto3.session.Session()
        config = Config(retries={"mode": "standard", "max_attempts": 1}, user_agent_extra="planner")
        pricing = session.client("pricing", region_name="us-east-1", config=config)
        savings = session.client("savingsplans", region_name="us-east-1", config=config)
        return cls(
            pricing,
            lambda region: session.client("ec2", region_name=region, config=config),
            savings_plans_client=savings if include_savings_plans else None,
            include_capacity_blocks=include_capacity_blocks,
            **kwargs,
        )

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
            usage_types: dict[str, str] = {}
            blocks_listed: set[str] = set()
            seen: set[tuple[str | None, str]] = set()
            selectors = [("instanceType", t) for t in self.instance_types] or [
                ("instanceFamily", f) for f in self.instance_families
            ]
            for field, value in selectors:
                what = f"AWS get_products (AmazonEC2 {value}, {region})"
                filters = term_filters(regionCode=region, **EC2_FILTERS, **{field: value})
                for item in self.products("AmazonEC2", filters, what=what, progress=progress):
                    offers = aws_parse.ec2_instance_offers(
                        item, what, fetched_at, self.stats, reserved_payment=self.reserved_payment
                    )
                    if not offers:
                        continue
                    key = (offers[0].instance_type, offers[0].purchase_option)
                    if key in seen:
                        self.stats.skip("duplicate_product")  # one product per type, market and region
                        continue
                    seen.add(key)
                    for offer in self._emit(offers):
                        itype = offer.instance_type or ""
                        if offer.purchase_option == "on_demand":
                            on_demand[itype] = offer
                            usage = item["product"]["attributes"].get("usagetype")
                            if usage:
                                usage_types[itype] = str(usage)
                        elif offer.purchase_option == "capacity_block":
                            blocks_listed.add(itype)
                        yield offer
            if self.include_spot and on_demand:
                yield from self._emit(self.spot_offers(region, on_demand, fetched_at, progress))
            if self.savings_plans is not None and on_demand:
                yield from self._emit(
                    self.savings_plan_offers(region, on_demand, usage_types, fetched_at, progress)
                )
            if self.include_capacity_blocks:
                wanted = [
                    t for t in sorted(on_demand) if t in CAPACITY_BLOCK_TYPES and t not in blocks_listed
                ]
                yield from self._emit(
                    self.capacity_block_offers(region, on_demand, wanted, fetched_at, progress)
                )
            if self.include_storage:
                queries = [
                    (
                        "AmazonEC2",
                        term_filters(regionCode=region, productFamily="Storage", volumeApiName=v),
                        f"AmazonEC2 {v}",
                    )
                    for v in aws_parse.EBS
                ]
                queries += [
                    ("AmazonS3", term_filters(regionCode=region, productFamily=f), f"AmazonS3 {f}")
                    for f in ("Storage", "API Request")
                ]
                queries.append(
                    (
                        aws_parse.DEEP_ARCHIVE_SERVICE,
                        term_filters(regionCode=region),
                        aws_parse.DEEP_ARCHIVE_SERVICE,
                    )
                )
                for service, filters, label in queries:
                    what = f"AWS get_products ({label}, {region})"
                    for item in self.products(service, filters, what=what, progress=progress):
                        yield from self._emit(aws_parse.storage_offers(item, what, fetched_at, self.stats))
            if self.include_transfer:
                what = f"AWS get_products (AWSDataTransfer, {region})"
                filters = term_filters(fromRegionCode=region, transferType="AWS Outbound")
                for item in self.products("AWSDataTransfer", filters, what=what, progress=progress):
                    yield from self._emit(aws_parse.transfer_offers(item, what, fetched_at, self.stats))

    def _optional_pages(
        self, open_pages: Callable[[str | None], Any], token_key: str, what: str
    ) -> Iterator[dict]:
        return resumable_pages(
            open_pages,
            lambda p: p.get(token_key),
            classify=classify_optional,
            policy=self.retry,
            what=what,
            hint=HINT,
        )

    def savings_plan_offers(
        self,
        region: str,
        on_demand: dict[str, Offer],
        usage_types: dict[str, str],
        fetched_at: str,
        progress: Progress | None = None,
    ) -> list[Offer]:
        """``savings_plan_1y``/``_3y`` offers of the types in ``on_demand`` (Linux, shared tenancy)."""
        client = self.savings_plans
        what = f"AWS describe_savings_plans_offering_rates ({self.savings_plan_type}, {region})"
        types = sorted(on_demand)
        out: list[Offer] = []
        best: dict[tuple[str, str], Offer] = {}
        for i in range(0, len(types), 50):
            chunk = types[i : i + 50]
            params: dict[str, Any] = {
                "savingsPlanPaymentOptions": [self.savings_plan_payment],
                "savingsPlanTypes": [self.savings_plan_type],
                "products": ["EC2"],
                "serviceCodes": ["AmazonEC2"],
                "operations": ["RunInstances"],
                "filters": [
                    {"name": "region", "values": [region]},
                    {"name": "instanceType", "values": chunk},
                    {"name": "productDescription", "values": ["Linux/UNIX"]},
                    {"name": "tenancy", "values": ["shared"]},
                ],
                "maxResults": 1000,
            }
            usage = [usage_types[t] for t in chunk if t in usage_types]
            if len(usage) == len(chunk):
                params["usageTypes"] = usage

            def open_pages(token: str | None, params: dict[str, Any] = params) -> Iterator[dict]:
                while True:
                    page = client.describe_savings_plans_offering_rates(
                        **params, **({"nextToken": token} if token else {})
                    )
                    yield page
                    token = page.get("nextToken")
                    if not token:
                        return

            n = 0
            try:
                for page in self._optional_pages(open_pages, "nextToken", what):
                    self.stats.pages += 1
                    rows = page.get("searchResults") or []
                    n += len(rows)
                    report(progress, what, n)
                    for row in rows:
                        self.stats.items += 1
                        offer = aws_parse.savings_plan_offer(
                            row, region, on_demand, fetched_at, self.stats, what
                        )
                        if offer is None:
                            continue
                        key = (offer.instance_type or "", offer.purchase_option)
                        prev = best.get(key)
                        if prev is not None:
                            self.stats.skip("duplicate_rate")  # the same type and term twice: keep the lower
                            if prev.price is None or offer.price is None or offer.price >= prev.price:
                                continue
                        best[key] = offer
            except Unavailable as exc:
                reason = "not_permitted" if exc.code in NOT_PERMITTED else "not_offered"
                self.stats.skip(f"savings_plans_{reason}")
                return []
        out.extend(best[k] for k in sorted(best))
        return out

    def capacity_block_offers(
        self,
        region: str,
        on_demand: dict[str, Offer],
        types: Sequence[str],
        fetched_at: str,
        progress: Progress | None = None,
    ) -> list[Offer]:
        """One ``capacity_block`` offer per type in ``types``: the cheapest offering per instance-hour."""
        assert self.ec2_client_for is not None
        if not types:
            return []
        paginator = self.ec2_client_for(region).get_paginator("describe_capacity_block_offerings")
        start = self.clock()
        end = start + timedelta(days=self.capacity_block_window_days)
        out: list[Offer] = []
        for itype in types:
            what = f"AWS describe_capacity_block_offerings ({itype}, {region})"

            def open_pages(token: str | None, itype: str = itype) -> Any:
                config = {"StartingToken": token} if token else {}
                return paginator.paginate(
                    InstanceType=itype,
                    InstanceCount=1,
                    CapacityDurationHours=self.capacity_block_hours,
                    StartDateRange=start,
                    EndDateRange=end,
                    PaginationConfig=config,
                )

            offerings: list[dict] = []
            try:
                for page in self._optional_pages(open_pages, "NextToken", what):
                    self.stats.pages += 1
                    rows = page.get("CapacityBlockOfferings") or []
                    self.stats.items += len(rows)
                    offerings.extend(r for r in rows if r.get("InstanceType", itype) == itype)
                    report(progress, what, len(offerings))
            except Unavailable as exc:
                if exc.code in NOT_PERMITTED:
                    self.stats.skip("capacity_blocks_not_permitted")
                    return out
                self.stats.skip("capacity_block_not_offered")
                continue
            offer = aws_parse.capacity_block_offer(offerings, on_demand[itype], fetched_at, self.stats, what)
            if offer is not None:
                out.append(offer)
        return out

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

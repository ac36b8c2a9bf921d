"""AWS Cost Explorer through boto3: ``get_cost_and_usage`` (daily or monthly, grouped by service, region,
account, record type, purchase type and cost-allocation tags; every ``NextPageToken`` page) and
``get_cost_forecast``.

Metrics (Cost Explorer docs, "Understanding your AWS cost datasets", retrieved 2026): **BilledCost** is
``UnblendedCost`` (what the invoice shows for the account), **EffectiveCost** is ``AmortizedCost``
(reservation and savings plan fees spread over the usage they cover, the unused part on the fee's own
line); with ``net=yes`` the net metrics ``NetUnblendedCost`` and ``NetAmortizedCost`` (after discounts such
as an Enterprise Discount Program). Cost Explorer has no list cost: ``ListCost`` is null.

Credentials come from boto3's standard chain (environment, ``AWS_PROFILE`` or ``profile=``, SSO, instance
or task role). Cost Explorer's endpoint is in us-east-1 (``region=`` for other partitions).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from planner.actuals.apis.common import (
    Group,
    Period,
    SourceURI,
    api_error,
    focus_frame,
    forecast_frame,
    groups_of,
    missing_sdk,
    next_month,
    no_costs,
    no_tag,
    period_of,
    utc,
)
from planner.actuals.focus import PROVIDER_NAMES, service_category
from planner.errors import InputError

PARAMS = ("net", "profile", "region")
GROUPS = {"service": "SERVICE", "region": "REGION", "account": "LINKED_ACCOUNT", "charge": "RECORD_TYPE",
          "pricing": "PURCHASE_TYPE"}
COLUMN = {"service": "ServiceName", "region": "RegionId", "account": "SubAccountId", "charge": "ChargeCategory",
          "pricing": "PricingCategory"}
MAX_PAGES = 10_000
PROVIDER = PROVIDER_NAMES["aws"]

# Cost Explorer's service names -> the service codes the FOCUS ServiceCategory table knows
SERVICE_CODES = {
    "amazon elastic compute cloud - compute": "AmazonEC2", "ec2 - other": "AmazonEC2",
    "amazon elastic compute cloud": "AmazonEC2", "amazon simple storage service": "AmazonS3",
    "amazon relational database service": "AmazonRDS", "amazon elastic container service": "AmazonECS",
    "amazon elastic container service for kubernetes": "AmazonEKS", "amazon elastic kubernetes service": "AmazonEKS",
    "amazon virtual private cloud": "AmazonVPC", "amazon elastic file system": "AmazonEFS",
    "amazon elastic load balancing": "AWSELB", "elastic load balancing": "AWSELB",
    "aws key management service": "awskms", "amazon simple queue service": "AmazonSQS",
    "amazon simple notification service": "AmazonSNS", "amazon opensearch service": "AmazonOpenSearchService",
}
# RECORD_TYPE values (Cost Explorer's display names) -> FOCUS ChargeCategory
RECORD_TYPES = {"tax": "Tax", "credit": "Credit", "refund": "Adjustment"}
PURCHASE_TYPES = {"ondemandinstances": "Standard", "spotinstances": "Dynamic"}
HINTS = {
    "AccessDeniedException": "the identity needs ce:GetCostAndUsage and ce:GetCostForecast",
    "DataUnavailableException": "Cost Explorer has no data for that period yet (it is enabled about a day "
                                "after first use); check start/end",
    "BillExpirationException": "the period is older than Cost Explorer keeps (14 months); read the Cost and "
                               "Usage Report instead",
    "LimitExceededException": "Cost Explorer throttled the requests; wait a minute and try again",
    "ValidationException": "check the dates, the granularity and the groups",
    "RequestChangedException": "the data changed while paging; run it again",
    "UnresolvableUsageUnitException": "the metrics cannot be added up; report this",
}


def charge_category(record_type: str) -> str:
    k = "".join(ch for ch in record_type.lower() if ch.isalpha())
    if k in RECORD_TYPES:
        return RECORD_TYPES[k]
    if "fee" in k:  # reservation and savings plan fees, upfront or recurring
        return "Purchase"
    if "usage" in k or "negation" in k or "discount" in k:
        return "Usage"  # discounts lower the usage they apply to
    return "Adjustment"


def pricing_category(purchase_type: str) -> str:
    k = "".join(ch for ch in purchase_type.lower() if ch.isalpha())
    if k in PURCHASE_TYPES:
        return PURCHASE_TYPES[k]
    if "reserved" in k or "savingsplan" in k or "capacityblock" in k:
        return "Committed"
    return "Other"


def make_client(uri: SourceURI) -> Any:
    """A Cost Explorer client from boto3's standard credential chain (``profile=``/``region=`` if given)."""
    try:
        import boto3
    except ModuleNotFoundError:
        raise missing_sdk("boto3", "aws", uri) from None
    profile = uri.get("profile") or None

    def build() -> Any:
        return boto3.Session(profile_name=profile).client("ce", region_name=uri.get("region") or "us-east-1")

    return call(build, {}, uri, "client")


def call(fn: Any, kw: dict[str, Any], uri: SourceURI, op: str) -> Any:
    """``fn(**kw)`` with botocore's errors as one-line :class:`CostAPIError` messages."""
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        HTTPClientError,
        NoCredentialsError,
        ParamValidationError,
        PartialCredentialsError,
        ProfileNotFound,
    )
    from botocore.exceptions import ConnectionError as BotoConnectionError

    try:
        return fn(**kw)
    except ClientError as exc:
        err = exc.response.get("Error", {})
        code = str(err.get("Code") or "error")
        hint = HINTS.get(code, "check the credentials' permissions and the parameters")
        raise api_error(f"Cost Explorer {op}: {code}: {err.get('Message', '')}; {hint}", uri) from None
    except (NoCredentialsError, PartialCredentialsError):
        raise api_error("no AWS credentials found; run `aws configure` or `aws sso login`, or set AWS_PROFILE",
                        uri) from None
    except ProfileNotFound:
        raise api_error(f"AWS profile {uri.get('profile')!r} is not in the AWS config; check profile=", uri) from None
    except (BotoConnectionError, HTTPClientError) as exc:
        raise api_error(f"cannot reach Cost Explorer ({type(exc).__name__}: {exc}); check the network and "
                        "try again", uri) from None
    except ParamValidationError as exc:
        raise api_error(f"Cost Explorer {op}: the request was refused ({exc}); check the parameters", uri) from None
    except BotoCoreError as exc:
        raise api_error(f"Cost Explorer {op}: {type(exc).__name__}: {exc}", uri) from None


def _metrics(uri: SourceURI) -> tuple[str, str]:
    return ("NetUnblendedCost", "NetAmortizedCost") if uri.flag("net") else ("UnblendedCost", "AmortizedCost")


def request(uri: SourceURI, period: Period, groups: list[Group]) -> dict[str, Any]:
    """The ``get_cost_and_usage`` parameters for ``uri`` (without the page token)."""
    req: dict[str, Any] = {
        "TimePeriod": {"Start": period.start.isoformat(), "End": period.end.isoformat()},
        "Granularity": period.granularity.upper(),
        "Metrics": list(_metrics(uri)),
    }
    if groups:
        req["GroupBy"] = [{"Type": "TAG", "Key": g.key} if g.dim == "tag" else
                          {"Type": "DIMENSION", "Key": GROUPS[g.dim]} for g in groups]
    return req


def _amount(metrics: dict[str, Any], name: str) -> tuple[float | None, str | None]:
    m = metrics.get(name)
    if not m or m.get("Amount") in (None, ""):
        return None, None
    return float(m["Amount"]), (m.get("Unit") or None)


def rows_of(result: dict[str, Any], groups: list[Group], billed: str, effective: str) -> list[dict[str, Any]]:
    """FOCUS rows of one ``ResultsByTime`` entry."""
    start = date.fromisoformat(result["TimePeriod"]["Start"][:10])
    end = date.fromisoformat(result["TimePeriod"]["End"][:10])
    base = {"ProviderName": PROVIDER, "ChargePeriodStart": utc(start), "ChargePeriodEnd": utc(end),
            "BillingPeriodStart": utc(start.replace(day=1)), "BillingPeriodEnd": utc(next_month(start))}
    items = result.get("Groups") or []
    if not groups:
        items = [{"Keys": [], "Metrics": result.get("Total") or {}}]
    out = []
    for item in items:
        b, unit_b = _amount(item.get("Metrics") or {}, billed)
        e, unit_e = _amount(item.get("Metrics") or {}, effective)
        if b is None and e is None:
            continue
        row = dict(base, BilledCost=b, EffectiveCost=e, BillingCurrency=unit_b or unit_e)
        tags: dict[str, str] = {}
        for g, key in zip(groups, item.get("Keys") or []):
            if g.dim == "tag":  # "workload$train"; "workload$" is an untagged cost
                value = key[len(g.key) + 1:] if key.startswith(g.key + "$") else key.partition("$")[2]
                if value:
                    tags[g.key] = value
            elif g.dim == "charge":
                row["ChargeCategory"] = charge_category(key)
            elif g.dim == "pricing":
                row["PricingCategory"] = pricing_category(key)
            else:
                row[COLUMN[g.dim]] = key
                if g.dim == "service":
                    row["ServiceCategory"] = service_category("aws", SERVICE_CODES.get(key.lower(), key))
        row["Tags"] = tags
        out.append(row)
    return out


def read(uri: SourceURI, *, client: Any = None, today: date | None = None) -> Any:
    """FOCUS frame of a ``aws-ce:`` source (see :func:`planner.actuals.apis.open_source`)."""
    if uri.path:
        raise InputError(f"aws-ce: takes no path ({uri.path!r}); write aws-ce:?month=2026-03", where=uri.text)
    period = period_of(uri, today)
    groups = groups_of(uri, list(GROUPS))
    client = client or make_client(uri)
    billed, effective = _metrics(uri)
    req = request(uri, period, groups)
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    token = None
    for _ in range(MAX_PAGES):
        kw = dict(req, NextPageToken=token) if token else req
        resp = call(client.get_cost_and_usage, kw, uri, "GetCostAndUsage")
        for result in resp.get("ResultsByTime") or []:
            rows.extend(rows_of(result, groups, billed, effective))
        token = resp.get("NextPageToken")
        if not token:
            break
        if token in seen:
            raise api_error("Cost Explorer returned the same page token twice; try again later", uri)
        seen.add(token)
    if not any((r["BilledCost"] or 0) != 0 or (r["EffectiveCost"] or 0) != 0 for r in rows):
        raise no_costs(uri, "Cost Explorer", period, "check the period and that the credentials are of the "
                       "payer or member account that has the spend")
    for g in groups:
        if g.dim == "tag" and not any(g.key in r["Tags"] for r in rows):
            raise no_tag(uri, g.key, period, "activate it as a cost allocation tag in the Billing console "
                         "(Cost Explorer shows a tag only from its activation on); tag keys are case-sensitive")
    return focus_frame(rows)


def forecast(uri: SourceURI, period: Period, *, client: Any = None) -> Any:
    """Forecast billed and effective cost per day or month of ``period`` (``get_cost_forecast``, 80 %
    prediction interval)."""
    if uri.path:
        raise InputError(f"aws-ce: takes no path ({uri.path!r}); write aws-ce:?month=2026-03", where=uri.text)
    client = client or make_client(uri)
    net = uri.flag("net")
    by_period: dict[tuple[str, str], dict[str, Any]] = {}
    for metric, col in ((("NET_UNBLENDED_COST" if net else "UNBLENDED_COST"), "ForecastBilledCost"),
                        (("NET_AMORTIZED_COST" if net else "AMORTIZED_COST"), "ForecastEffectiveCost")):
        kw = {"TimePeriod": {"Start": period.start.isoformat(), "End": period.end.isoformat()},
              "Metric": metric, "Granularity": period.granularity.upper(), "PredictionIntervalLevel": 80}
        resp = call(client.get_cost_forecast, kw, uri, "GetCostForecast")
        unit = (resp.get("Total") or {}).get("Unit")
        for r in resp.get("ForecastResultsByTime") or []:
            key = (r["TimePeriod"]["Start"][:10], r["TimePeriod"]["End"][:10])
            row = by_period.setdefault(key, {"ProviderName": PROVIDER, "ChargePeriodStart": utc(date.fromisoformat(key[0])),
                                             "ChargePeriodEnd": utc(date.fromisoformat(key[1])),
                                             "BillingCurrency": unit})
            row[col] = _num(r.get("MeanValue"))
            row[col + "Lower"] = _num(r.get("PredictionIntervalLowerBound"))
            row[col + "Upper"] = _num(r.get("PredictionIntervalUpperBound"))
    if not by_period:
        raise no_costs(uri, "Cost Explorer's forecast", period, "Cost Explorer needs enough past spend to "
                       "forecast")
    return forecast_frame([by_period[k] for k in sorted(by_period)])


def _num(v: Any) -> float | None:
    return None if v in (None, "") else float(v)

"""Azure Cost Management through azure-mgmt-costmanagement: ``query.usage`` on a scope (subscription,
resource group, management group, billing account or profile), daily or monthly, grouped by dimensions and
a tag, following every ``nextLink``; ``forecast.usage``. Throttling (HTTP 429) is waited out as the
service asks.

Cost types (Cost Management docs, "Understand and work with scopes" / "Query - Usage", retrieved 2026): a
query returns one cost type, so each source runs two: ``ActualCost`` gives **BilledCost** (purchases when
bought, as invoiced) and ``AmortizedCost`` gives **EffectiveCost** (reservation and savings plan purchases
spread over the days they cover, the unused part as ``UnusedReservation``/``UnusedSavingsPlan``). A group
present in one and not in the other costs 0 there (a reservation purchase has no amortized row of its own).
Cost Management has no list cost here: ``ListCost`` is null.

Columns of the result are found by name (``Cost``/``PreTaxCost``, ``UsageDate``/``BillingMonth``,
``Currency``, the grouped dimensions, ``TagKey``/``TagValue``), never by position: their order changes
with the API version and the grouping.

Credentials: azure-identity's ``DefaultAzureCredential`` (environment, workload identity, managed identity,
Azure CLI, ...); the identity needs the Cost Management Reader role on the scope.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from email.utils import parsedate_to_datetime
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
from planner.errors import InputError, quoted

PARAMS = ("measure",)
GROUPS = {"service": "ServiceName", "region": "ResourceLocation", "account": "SubscriptionId",
          "charge": "ChargeType", "pricing": "PricingModel", "resource": "ResourceId",
          "resourcegroup": "ResourceGroupName"}
COLUMN = {"service": "ServiceName", "region": "RegionId", "account": "SubAccountId", "resource": "ResourceId",
          "resourcegroup": "x_ResourceGroupName"}
SCOPES = ("subscriptions/", "providers/microsoft.billing/", "providers/microsoft.management/managementgroups/")
COST_NAMES = ("cost", "pretaxcost", "costusd", "pretaxcostusd", "totalcost")
CURRENCY_NAMES = ("currency", "billingcurrency", "billingcurrencycode")
DATE_NAMES = ("usagedate", "billingmonth", "date")
CHARGE = {"usage": "Usage", "purchase": "Purchase", "refund": "Credit", "tax": "Tax", "credit": "Credit",
          "unusedreservation": "Usage", "unusedsavingsplan": "Usage", "roundingadjustment": "Adjustment",
          "adjustment": "Adjustment"}
PRICING = {"ondemand": "Standard", "spot": "Dynamic", "reservation": "Committed", "savingsplan": "Committed"}
MAX_ATTEMPTS = 6  # per request, when throttled
MAX_WAIT_S = 300.0  # longer asked waits end the read with an error rather than hang a report
MAX_PAGES = 10_000
PROVIDER = PROVIDER_NAMES["azure"]


def scope_of(uri: SourceURI) -> str:
    scope = uri.path.strip().strip("/")
    if not scope:
        raise InputError("give the scope to query, e.g. azure-cm:subscriptions/<subscription id>?month=2026-03",
                         where=uri.text)
    if not scope.lower().startswith(SCOPES):
        raise InputError(f"scope {quoted(scope)} is not a Cost Management scope; write subscriptions/<id>, "
                         "subscriptions/<id>/resourceGroups/<name>, providers/Microsoft.Billing/billingAccounts/<id> "
                         "or providers/Microsoft.Management/managementGroups/<id>", where=uri.text)
    return scope


def make_client(uri: SourceURI) -> Any:
    """A ``CostManagementClient`` signed in through ``DefaultAzureCredential``."""
    try:
        from azure.identity import DefaultAzureCredential
        from azure.mgmt.costmanagement import CostManagementClient
    except ModuleNotFoundError as exc:
        raise missing_sdk(exc.name or "azure-mgmt-costmanagement", "azure", uri) from None
    return CostManagementClient(DefaultAzureCredential())


def definition(kind: str, period: Period, groups: list[Group], measure: str) -> dict[str, Any]:
    """The query body (the REST API's JSON) for cost type ``kind`` (ActualCost or AmortizedCost)."""
    last = period.end - timedelta(days=1)
    body: dict[str, Any] = {
        "type": kind, "timeframe": "Custom",
        "timePeriod": {"from": f"{period.start.isoformat()}T00:00:00Z", "to": f"{last.isoformat()}T23:59:59Z"},
        "dataset": {"granularity": "Daily" if period.granularity == "daily" else "Monthly",
                    "aggregation": {"totalCost": {"name": measure, "function": "Sum"}}},
    }
    if groups:
        body["dataset"]["grouping"] = [{"type": "TagKey", "name": g.key} if g.dim == "tag" else
                                       {"type": "Dimension", "name": GROUPS[g.dim]} for g in groups]
    return body


# --- calls, throttling and errors ---------------------------------------------------------------------


def retry_after(headers: Any, attempt: int) -> float:
    """Seconds to wait after a 429: the longest of Cost Management's ``x-ms-ratelimit-...-retry-after``
    headers, else ``Retry-After`` (seconds or a date) / ``retry-after-ms``, else 5 s doubling per attempt."""
    waits: list[float] = []
    general: list[float] = []
    for name, value in dict(headers or {}).items():
        n = name.lower()
        try:
            if n.startswith("x-ms-ratelimit-microsoft.costmanagement") and n.endswith("retry-after"):
                waits.append(float(value))
            elif n in ("retry-after-ms", "x-ms-retry-after-ms"):
                general.append(float(value) / 1000)
            elif n == "retry-after":
                general.append(_seconds(value))
        except (TypeError, ValueError):
            continue
    if waits:
        return max(waits)
    if general:
        return max(general)
    return min(5.0 * 2**attempt, 60.0)


def _seconds(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        when = parsedate_to_datetime(value)
        return max(0.0, (when - datetime.now(when.tzinfo)).total_seconds())


def call(fn: Callable[[], Any], uri: SourceURI, scope: str, sleep: Callable[[float], Any]) -> Any:
    """``fn()`` with throttling waited out and Azure's errors as one-line messages."""
    from azure.core.exceptions import (
        AzureError,
        ClientAuthenticationError,
        HttpResponseError,
        ServiceRequestError,
        ServiceResponseError,
    )

    for attempt in range(MAX_ATTEMPTS):
        try:
            return fn()
        except ClientAuthenticationError as exc:
            if getattr(exc, "status_code", None) == 401:
                raise api_error(f"Cost Management refused the sign-in for scope {scope} (HTTP 401); check the "
                                "tenant of the credentials", uri) from None
            raise api_error("Azure sign-in failed; run `az login`, or set AZURE_TENANT_ID, AZURE_CLIENT_ID and "
                            "a client secret or certificate, or use a managed identity", uri) from None
        except HttpResponseError as exc:
            status = exc.status_code or 0
            if status == 429 and attempt + 1 < MAX_ATTEMPTS:
                wait = retry_after(getattr(exc.response, "headers", None), attempt)
                if wait > MAX_WAIT_S:
                    raise api_error(f"Cost Management is throttling scope {scope} and asks to wait {wait:.0f} s; "
                                    "try again later", uri) from None
                sleep(wait)
                continue
            raise _http_error(exc, status, uri, scope, attempt + 1) from None
        except (ServiceRequestError, ServiceResponseError) as exc:
            raise api_error(f"cannot reach Azure Cost Management ({type(exc).__name__}: {exc}); check the "
                            "network and try again", uri) from None
        except AzureError as exc:
            raise api_error(f"Cost Management: {type(exc).__name__}: {exc}", uri) from None
    raise AssertionError("unreachable")  # pragma: no cover


def _http_error(exc: Any, status: int, uri: SourceURI, scope: str, attempts: int) -> Exception:
    err = getattr(exc, "error", None)
    detail = (getattr(err, "message", None) or exc.reason or "").strip()
    if status == 429:
        return api_error(f"Cost Management kept throttling scope {scope} ({attempts} attempts); try again in a "
                         "few minutes", uri)
    if status == 403:
        return api_error(f"access to scope {scope} denied (HTTP 403: {detail}); the identity needs the Cost "
                         "Management Reader role on it", uri)
    if status == 404:
        return api_error(f"scope {scope} not found (HTTP 404: {detail}); check the id", uri)
    if status == 400:
        return api_error(f"Cost Management refused the query for scope {scope} (HTTP 400: {detail}); check "
                         "the dates (at most a year per query), groups and measure=", uri)
    return api_error(f"Cost Management failed for scope {scope} (HTTP {status}: {detail}); try again later", uri)


def pages(client: Any, scope: str, body: dict[str, Any], op: str, uri: SourceURI,
          sleep: Callable[[float], Any]) -> list[Any]:
    """Every page of a query or forecast: the first through the SDK operation, the rest by POSTing the same
    body to ``nextLink`` (the SDK has no pager for these POST operations). Built-in status retries are off
    so that 429s are waited out here, by the service's own headers."""
    from azure.core.rest import HttpRequest
    from azure.mgmt.costmanagement.models import ForecastDefinition, QueryDefinition, QueryResult

    if op == "forecast":
        fd = ForecastDefinition(body)
        result = call(lambda: client.forecast.usage(scope, fd, retry_status=0), uri, scope, sleep)
    else:
        qd = QueryDefinition(body)
        result = call(lambda: client.query.usage(scope, qd, retry_status=0), uri, scope, sleep)
    out = [result]
    seen: set[str] = set()
    for _ in range(MAX_PAGES):
        link = getattr(getattr(result, "properties", None), "next_link", None) if result is not None else None
        if not link:
            break
        if link in seen:
            raise api_error("Cost Management returned the same nextLink twice; try again later", uri)
        seen.add(link)

        def follow(link: str = link) -> Any:
            resp = client.send_request(HttpRequest("POST", link, json=body), retry_status=0)
            resp.raise_for_status()
            return QueryResult(resp.json())

        result = call(follow, uri, scope, sleep)
        out.append(result)
    return out


# --- results ------------------------------------------------------------------------------------------


def table(results: list[Any], measure: str, uri: SourceURI) -> list[dict[str, Any]]:
    """Rows of every page as dicts keyed by lower-case column name, with ``_cost`` the measured amount."""
    out: list[dict[str, Any]] = []
    for res in results:
        props = getattr(res, "properties", None)
        if props is None or not props.columns:
            continue
        names = [str(c.name).lower() for c in props.columns]
        cost = next((n for n in (measure.lower(), *COST_NAMES) if n in names), None)
        if cost is None:
            raise api_error(f"the Cost Management result has no cost column (columns: {', '.join(names)}); "
                            "set measure= to one of them", uri)
        for r in props.rows or []:
            row = dict(zip(names, r, strict=False))
            row["_cost"] = row.get(cost)
            out.append(row)
    return out


def _pick(row: dict[str, Any], names: tuple[str, ...]) -> Any:
    return next((row[n] for n in names if n in row), None)


def _day(v: Any) -> date | None:
    """UsageDate as Cost Management writes it: 20260301 (a number) or "2026-03-01T00:00:00"."""
    if v is None or v == "":
        return None
    if isinstance(v, (int, float)) or (isinstance(v, str) and v.isdigit()):
        s = str(int(v))
        return date(int(s[:4]), int(s[4:6]), int(s[6:8]))
    return date.fromisoformat(str(v)[:10])


def _span(day: date | None, period: Period) -> tuple[date, date]:
    if day is None:
        return period.start, period.end
    if period.granularity == "daily":
        return day, day + timedelta(days=1)
    return max(day.replace(day=1), period.start), min(next_month(day), period.end)


def _group_key(row: dict[str, Any], groups: list[Group]) -> tuple[Any, ...]:
    vals: list[Any] = []
    for g in groups:
        if g.dim == "tag":
            key = str(row.get("tagkey") or "")
            value = row.get("tagvalue")
            vals.append(value if key.lower() == g.key.lower() and value not in (None, "") else None)
        else:
            vals.append(row.get(GROUPS[g.dim].lower()))
    return tuple(vals)


def merge(actual: list[dict[str, Any]], amortized: list[dict[str, Any]], groups: list[Group],
          period: Period) -> list[dict[str, Any]]:
    """FOCUS rows from the ActualCost and AmortizedCost tables joined on date, groups and currency."""
    sums: dict[tuple[Any, ...], list[float]] = {}
    for col, rows in ((0, actual), (1, amortized)):
        for r in rows:
            key = (_day(_pick(r, DATE_NAMES)), _group_key(r, groups), _pick(r, CURRENCY_NAMES))
            sums.setdefault(key, [0.0, 0.0])[col] += float(r["_cost"] or 0.0)
    out = []
    for (day, gvals, currency), (billed, effective) in sums.items():
        start, end = _span(day, period)
        row: dict[str, Any] = {
            "ProviderName": PROVIDER, "ChargePeriodStart": utc(start), "ChargePeriodEnd": utc(end),
            "BillingPeriodStart": utc(start.replace(day=1)), "BillingPeriodEnd": utc(next_month(start)),
            "BilledCost": billed, "EffectiveCost": effective, "BillingCurrency": currency or None,
        }
        tags: dict[str, str] = {}
        for g, v in zip(groups, gvals, strict=True):
            if g.dim == "tag":
                if v is not None:
                    tags[g.key] = str(v)
            elif g.dim == "charge":
                k = "".join(ch for ch in str(v or "").lower() if ch.isalpha())
                row["ChargeCategory"] = CHARGE.get(k, "Adjustment") if v else None
                if k.startswith("unused"):
                    row["CommitmentDiscountStatus"] = "Unused"
            elif g.dim == "pricing":
                k = "".join(ch for ch in str(v or "").lower() if ch.isalpha())
                row["PricingCategory"] = PRICING.get(k, "Other") if v else None
            else:
                row[COLUMN[g.dim]] = v if v not in ("", None) else None
                if g.dim == "service":
                    row["ServiceCategory"] = service_category("azure", v)
        row["Tags"] = tags
        out.append(row)
    out.sort(key=lambda r: (r["ChargePeriodStart"], str(r.get("ServiceName") or "")))
    return out


def read(uri: SourceURI, *, client: Any = None, today: date | None = None,
         sleep: Callable[[float], Any] = time.sleep) -> Any:
    """FOCUS frame of an ``azure-cm:`` source (see :func:`planner.actuals.apis.open_source`)."""
    scope = scope_of(uri)
    period = period_of(uri, today)
    groups = groups_of(uri, list(GROUPS))
    if sum(g.dim == "tag" for g in groups) > 1:
        raise InputError("Cost Management groups by one tag at a time", where=uri.text, field="group")
    measure = uri.get("measure") or "Cost"
    client = client or make_client(uri)
    tables = [table(pages(client, scope, definition(kind, period, groups, measure), "query", uri, sleep),
                    measure, uri) for kind in ("ActualCost", "AmortizedCost")]
    rows = merge(tables[0], tables[1], groups, period)
    if not any(r["BilledCost"] != 0 or r["EffectiveCost"] != 0 for r in rows):
        raise no_costs(uri, f"scope {scope}", period, "check the scope, the period and that the identity has "
                       "Cost Management Reader on the scope")
    for g in groups:
        if g.dim == "tag" and not any(g.key in r["Tags"] for r in rows):
            raise no_tag(uri, g.key, period, "tag keys are case-sensitive in Cost Management; check the "
                         "resources carry it (tags on resource groups need tag inheritance turned on)")
    return focus_frame(rows)


def forecast(uri: SourceURI, period: Period, *, client: Any = None,
             sleep: Callable[[float], Any] = time.sleep) -> Any:
    """Forecast actual and amortized cost of the scope per day or month of ``period`` (``forecast.usage``;
    daily forecasts, added up per month for a monthly granularity)."""
    scope = scope_of(uri)
    measure = uri.get("measure") or "Cost"
    client = client or make_client(uri)
    daily = Period(period.start, period.end, "daily")
    by_key: dict[tuple[date, date, Any], dict[str, Any]] = {}
    for kind, col in (("ActualCost", "ForecastBilledCost"), ("AmortizedCost", "ForecastEffectiveCost")):
        body = definition(kind, daily, [], measure)
        body.update(includeActualCost=False, includeFreshPartialCost=False)
        for r in table(pages(client, scope, body, "forecast", uri, sleep), measure, uri):
            status = r.get("coststatus")
            if status is not None and str(status).lower() != "forecast":
                continue
            start, end = _span(_day(_pick(r, DATE_NAMES)), period)
            currency = _pick(r, CURRENCY_NAMES)
            row = by_key.setdefault((start, end, currency), {
                "ProviderName": PROVIDER, "ChargePeriodStart": utc(start), "ChargePeriodEnd": utc(end),
                "BillingCurrency": currency})
            row[col] = (row.get(col) or 0.0) + float(r["_cost"] or 0.0)
    if not by_key:
        raise no_costs(uri, f"the forecast of scope {scope}", period, "Cost Management needs past spend on the "
                       "scope to forecast")
    return forecast_frame([by_key[k] for k in sorted(by_key, key=lambda k: (k[0], str(k[2])))])

"""Google Cloud spend from the Cloud Billing export to BigQuery (standard or detailed table) through
google-cloud-bigquery: one parameterized query that sums cost, list cost and credits per day or invoice
month and per group (service, project, region, charge type, resource, labels).

Rules are those of the export files (:mod:`planner.actuals.formats.gcp`, from "Structure of Standard data
export", cloud.google.com/billing/docs/how-to/export-data-bigquery-tables, retrieved 2026): ``cost`` is the
cost before credits, billed and effective alike (Google bills commitments as monthly fees, nothing to
amortize); the credits of a group become one **Credit** row; ``cost_at_list`` is the list cost where the
table has that column; ``cost_type`` gives the charge category. ``month=`` selects by ``invoice.month``;
``start=``/``end=`` by usage time. Days are Pacific-time days, as Google's invoices count them.

The table name is checked and quoted; everything else (months, times, label keys) goes in as query
parameters. On a table partitioned by export time (``_PARTITIONTIME``, as the export creates them) the
query reads only partitions written since the period began.

Credentials: Application Default Credentials (``gcloud auth application-default login``, a service account,
workload identity). The identity needs BigQuery Data Viewer on the dataset and Job User on the project
that runs the query (``project=``, by default the table's).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from planner.actuals.apis.common import (
    Group,
    Period,
    SourceURI,
    api_error,
    focus_frame,
    groups_of,
    missing_sdk,
    no_costs,
    no_tag,
    period_of,
)
from planner.actuals.focus import PROVIDER_NAMES, service_category
from planner.errors import InputError, quoted

PARAMS = ("project", "location")
GROUPS = {"service": "service.description", "project": "project.id", "region": "location.region",
          "resource": "resource.global_name", "sku": "sku.description"}
COLUMN = {"service": "ServiceName", "project": "SubAccountId", "region": "RegionId", "resource": "ResourceId",
          "sku": "x_SkuDescription"}
CHARGE = {"regular": "Usage", "tax": "Tax", "adjustment": "Adjustment", "rounding_error": "Adjustment"}
LIST_IS_BILLED = ("Tax", "Adjustment", "Credit")  # FOCUS ListCost of charges with no list price
TABLE = re.compile(r"^(?P<project>(?:[a-z][a-z0-9.-]*:)?[a-z][a-z0-9-]{4,29})\.(?P<dataset>[A-Za-z0-9_]{1,1024})\."
                   r"(?P<table>[A-Za-z0-9_$-]{1,1024})$")
PACIFIC = "America/Los_Angeles"
RETRY_S = 60.0  # how long connection failures are retried before the read gives up
PROVIDER = PROVIDER_NAMES["gcp"]


def table_of(uri: SourceURI) -> tuple[str, str]:
    """(``project.dataset.table``, project) of the URI's path."""
    name = uri.path.strip().strip("`")
    m = TABLE.match(name)
    if not m:
        raise InputError(f"{quoted(name)} is not a BigQuery table; write bq:PROJECT.DATASET.TABLE, e.g. "
                         "bq:my-project.billing.gcp_billing_export_v1_0123AB_4567CD_89EF01", where=uri.text)
    return name, m.group("project")


def make_client(uri: SourceURI, project: str) -> Any:
    """A ``bigquery.Client`` on Application Default Credentials."""
    try:
        from google.cloud import bigquery
    except ModuleNotFoundError:
        raise missing_sdk("google-cloud-bigquery", "bigquery", uri) from None
    return call(lambda: bigquery.Client(project=uri.get("project") or project, location=uri.get("location") or None),
                uri, "client")


def call(fn: Any, uri: SourceURI, what: str) -> Any:
    """``fn()`` with google-cloud's errors as one-line messages."""
    import requests
    from google.api_core import exceptions as gexc
    from google.auth import exceptions as auth_exc

    table = uri.path

    def detail(exc: Any) -> str:  # the service's message without the request line ("GET https://...: ")
        return re.sub(r"^\s*(?:\d{3} )?(?:GET|POST|PUT|PATCH|DELETE) \S+: ", "", str(exc.message or exc))

    try:
        return fn()
    except auth_exc.DefaultCredentialsError:
        raise api_error("no Google credentials; run `gcloud auth application-default login` or set "
                        "GOOGLE_APPLICATION_CREDENTIALS to a service account key file", uri) from None
    except auth_exc.RefreshError as exc:
        raise api_error(f"Google sign-in failed ({exc}); run `gcloud auth application-default login` again",
                        uri) from None
    except gexc.NotFound as exc:
        raise api_error(f"{what}: not found ({detail(exc)}); check the table name, project= and location=",
                        uri) from None
    except gexc.Forbidden as exc:
        raise api_error(f"{what}: access denied ({detail(exc)}); the identity needs BigQuery Data Viewer on the "
                        "dataset and BigQuery Job User on the project running the query (project=)", uri) from None
    except gexc.BadRequest as exc:
        raise api_error(f"{what}: BigQuery refused the query ({detail(exc)}); is {table} a billing export "
                        "table?", uri) from None
    except gexc.GoogleAPICallError as exc:
        raise api_error(f"{what}: BigQuery failed (HTTP {exc.code}: {detail(exc)}); try again later", uri) from None
    except gexc.RetryError as exc:
        cause = exc.cause
        raise api_error(f"cannot reach BigQuery ({type(cause).__name__ if cause else 'timeout'}: {cause}); check "
                        "the network and try again", uri) from None
    except (requests.ConnectionError, requests.Timeout, auth_exc.TransportError) as exc:
        raise api_error(f"cannot reach BigQuery ({type(exc).__name__}: {exc}); check the network and try again",
                        uri) from None


def build_query(table: str, period: Period, groups: list[Group], *, month: str | None, has_list: bool,
                ingestion_partitioned: bool) -> tuple[str, list[tuple[str, str, Any]]]:
    """(SQL, [(name, type, value)]) summing cost, list cost and credits per period, charge type, currency and
    group. ``month`` (YYYYMM) selects an invoice month; otherwise usage times in ``period`` (Pacific days)."""
    params: list[tuple[str, str, Any]] = []
    period_key = ("FORMAT_DATE('%Y-%m-%d', DATE(usage_start_time, 'America/Los_Angeles'))"
                  if period.granularity == "daily" else "invoice.month")
    cols = []
    for i, g in enumerate(groups):
        if g.dim == "tag":
            params.append((f"label_{i}", "STRING", g.key))
            cols.append(f"(SELECT l.value FROM UNNEST(labels) AS l WHERE l.key = @label_{i} LIMIT 1) AS g_{i}")
        else:
            cols.append(f"{GROUPS[g.dim]} AS g_{i}")
    where = []
    if month:
        where.append("invoice.month = @invoice_month")
        params.append(("invoice_month", "STRING", month))
    else:
        where.append("usage_start_time >= TIMESTAMP(@start_day, 'America/Los_Angeles')")
        where.append("usage_start_time < TIMESTAMP(@end_day, 'America/Los_Angeles')")
        params += [("start_day", "DATE", period.start), ("end_day", "DATE", period.end)]
    if ingestion_partitioned:  # rows are exported after their usage: older partitions cannot hold them
        where.append("_PARTITIONTIME >= TIMESTAMP(@partition_from)")
        params.append(("partition_from", "DATE", period.start - timedelta(days=1)))
    g_cols = "".join(f", g_{i}" for i in range(len(groups)))
    select_groups = "".join(f",\n    {c}" for c in cols)
    sql = f"""WITH base AS (
  SELECT
    {period_key} AS period_key,
    invoice.month AS invoice_month,
    usage_start_time, usage_end_time, cost_type, currency, cost,
    {"cost_at_list" if has_list else "CAST(NULL AS FLOAT64)"} AS cost_at_list,
    IFNULL((SELECT SUM(c.amount) FROM UNNEST(credits) AS c), 0) AS credit_amount{select_groups}
  FROM `{table}`
  WHERE {" AND ".join(where)}
)
SELECT
  period_key, invoice_month,
  FORMAT_TIMESTAMP('%Y-%m-%dT%H:%M:%SZ', MIN(usage_start_time)) AS period_start,
  FORMAT_TIMESTAMP('%Y-%m-%dT%H:%M:%SZ', MAX(usage_end_time)) AS period_end,
  cost_type, currency{g_cols},
  SUM(cost) AS cost, SUM(cost_at_list) AS cost_at_list, SUM(credit_amount) AS credits
FROM base
GROUP BY period_key, invoice_month, cost_type, currency{g_cols}
ORDER BY period_key, invoice_month, cost_type, currency{g_cols}"""
    return sql, params


def _month_start(invoice_month: Any) -> Any:
    import pandas as pd

    s = str(invoice_month or "")
    if len(s) != 6 or not s.isdigit():
        return None
    return pd.Timestamp(f"{s[:4]}-{s[4:]}-01", tz=PACIFIC).tz_convert("UTC")


def rows_of(records: list[dict[str, Any]], groups: list[Group]) -> list[dict[str, Any]]:
    """FOCUS rows of the query's records: a charge row each, plus a Credit row where credits are not 0."""
    import pandas as pd

    out = []
    for rec in records:
        bp = _month_start(rec.get("invoice_month"))
        base: dict[str, Any] = {
            "ProviderName": PROVIDER, "ChargePeriodStart": rec.get("period_start"),
            "ChargePeriodEnd": rec.get("period_end"), "BillingPeriodStart": bp,
            "BillingPeriodEnd": (bp.tz_convert(PACIFIC) + pd.offsets.MonthBegin(1)).tz_convert("UTC")
            if bp is not None else None,
            "BillingCurrency": (rec.get("currency") or "").strip().upper() or None,
        }
        tags: dict[str, str] = {}
        for i, g in enumerate(groups):
            v = rec.get(f"g_{i}")
            if g.dim == "tag":
                if v not in (None, ""):
                    tags[g.key] = str(v)
            else:
                base[COLUMN[g.dim]] = v if v not in (None, "") else None
                if g.dim == "service":
                    base["ServiceCategory"] = service_category("gcp", v)
        base["Tags"] = tags
        ct = str(rec.get("cost_type") or "regular").strip().lower()
        cost = rec.get("cost")
        charge = dict(base, ChargeCategory=CHARGE.get(ct, "Adjustment"), BilledCost=cost, EffectiveCost=cost,
                      ListCost=rec.get("cost_at_list"))
        if charge["ChargeCategory"] == "Usage":
            charge["PricingCategory"] = "Standard"
        elif charge["ListCost"] is None:
            charge["ListCost"] = cost
        out.append(charge)
        credits = rec.get("credits") or 0.0
        if credits:
            out.append(dict(base, ChargeCategory="Credit", BilledCost=credits, EffectiveCost=credits,
                            ListCost=credits))
    return out


def read(uri: SourceURI, *, client: Any = None, today: date | None = None, retry_s: float = RETRY_S) -> Any:
    """FOCUS frame of a ``bq:`` source (see :func:`planner.actuals.apis.open_source`)."""
    table, project = table_of(uri)
    period = period_of(uri, today)
    groups = groups_of(uri, list(GROUPS), most=6, tag_words=("tag", "label"))
    month = uri.get("month")
    client = client or make_client(uri, project)
    try:
        from google.cloud import bigquery
        from google.cloud.bigquery.retry import DEFAULT_RETRY
    except ModuleNotFoundError:
        raise missing_sdk("google-cloud-bigquery", "bigquery", uri) from None
    retry = DEFAULT_RETRY.with_timeout(retry_s)
    meta = call(lambda: client.get_table(table, retry=retry), uri, f"table {table}")
    fields = {f.name for f in meta.schema or []}
    missing = [c for c in ("invoice", "usage_start_time", "cost", "currency", "cost_type", "credits") if c not in fields]
    if missing:
        raise InputError(f"table {table} is not a Cloud Billing export (it lacks {', '.join(missing)})",
                         where=uri.text)
    for g in groups:
        top = GROUPS.get(g.dim, "labels").split(".")[0]
        if top not in fields:
            hint = "; group=resource needs the detailed (resource-level) export" if g.dim == "resource" else ""
            raise InputError(f"table {table} has no {top} column{hint}", where=uri.text, field="group")
    tp = meta.time_partitioning
    sql, params = build_query(table, period, groups, month=month.replace("-", "") if month else None,
                              has_list="cost_at_list" in fields,
                              ingestion_partitioned=tp is not None and not tp.field)
    config = bigquery.QueryJobConfig(query_parameters=[bigquery.ScalarQueryParameter(n, t, v) for n, t, v in params])
    result = call(lambda: list(client.query_and_wait(sql, job_config=config, retry=retry)), uri, "query")
    records = [dict(r.items()) for r in result]
    rows = rows_of(records, groups)
    if not any((r["BilledCost"] or 0) != 0 for r in rows):
        raise no_costs(uri, f"table {table}", period, "check the month (invoice months) or start/end, and that "
                       "the export has been running for that period")
    for g in groups:
        if g.dim == "tag" and not any(g.key in r["Tags"] for r in rows):
            raise no_tag(uri, g.key, period, "label keys are case-sensitive; project labels and tags are not "
                         "resource labels")
    return focus_frame(rows)

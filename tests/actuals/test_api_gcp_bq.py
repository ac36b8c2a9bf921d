"""The Cloud Billing export in BigQuery through the real ``bigquery.Client`` over a fake transport: a
requests session (``_http``) that answers tables.get, jobs.query, jobs.get and jobs.getQueryResults with
recorded JSON in the REST API's shapes (a first page with a ``pageToken`` and a second page).

The recorded rows are what the reader's query returns (its aliases); their amounts are made up for the tests
and every total asserted is summed by hand beside it.
"""

from __future__ import annotations

import io
import json
from datetime import date
from urllib.parse import parse_qs, urlparse

import pytest

pytest.importorskip("google.cloud.bigquery")
import requests
import urllib3
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery

from planner.actuals.apis import CostAPIError, forecast, open_source
from planner.errors import InputError

TABLE = "my-billing.billing_export.gcp_billing_export_v1_01A2B3_C4D5E6_F7A8B9"
JOB = {"projectId": "my-billing", "jobId": "job_q1", "location": "US"}
# the columns of the standard export that the reader looks at (a trimmed tables.get answer)
EXPORT_SCHEMA = {"fields": [
    {"name": "billing_account_id", "type": "STRING"},
    {"name": "service", "type": "RECORD", "fields": [{"name": "id", "type": "STRING"},
                                                     {"name": "description", "type": "STRING"}]},
    {"name": "usage_start_time", "type": "TIMESTAMP"}, {"name": "usage_end_time", "type": "TIMESTAMP"},
    {"name": "project", "type": "RECORD", "fields": [{"name": "id", "type": "STRING"}]},
    {"name": "labels", "type": "RECORD", "mode": "REPEATED",
     "fields": [{"name": "key", "type": "STRING"}, {"name": "value", "type": "STRING"}]},
    {"name": "cost", "type": "FLOAT"}, {"name": "currency", "type": "STRING"},
    {"name": "cost_at_list", "type": "FLOAT"},
    {"name": "credits", "type": "RECORD", "mode": "REPEATED",
     "fields": [{"name": "name", "type": "STRING"}, {"name": "amount", "type": "FLOAT"}]},
    {"name": "invoice", "type": "RECORD", "fields": [{"name": "month", "type": "STRING"}]},
    {"name": "cost_type", "type": "STRING"}]}
TABLE_META = {"kind": "bigquery#table", "id": TABLE.replace(".", ":", 1),
              "tableReference": {"projectId": "my-billing", "datasetId": "billing_export",
                                 "tableId": TABLE.split(".")[2]},
              "schema": EXPORT_SCHEMA, "timePartitioning": {"type": "DAY"}}
RESULT_SCHEMA = {"fields": [{"name": n, "type": t, "mode": "NULLABLE"} for n, t in (
    ("period_key", "STRING"), ("invoice_month", "STRING"), ("period_start", "STRING"), ("period_end", "STRING"),
    ("cost_type", "STRING"), ("currency", "STRING"), ("g_0", "STRING"), ("g_1", "STRING"),
    ("cost", "FLOAT"), ("cost_at_list", "FLOAT"), ("credits", "FLOAT"))]}


def rec(service, label, cost, list_cost, credits, cost_type="regular"):
    vals = ["202603", "202603", "2026-03-01T08:00:00Z", "2026-04-01T07:00:00Z", cost_type, "USD", service, label,
            cost, list_cost, credits]
    return {"f": [{"v": None if v is None else str(v)} for v in vals]}


# March 2026 by service and label team, in two pages
PAGE_1 = [rec("Compute Engine", "ml", 812.40, 1020.00, -120.00), rec("Vertex AI", "ml", 95.10, 95.10, 0.0)]
PAGE_2 = [rec("Cloud Storage", None, 14.25, 14.25, -0.50), rec("Invoice", None, 18.50, None, 0.0, "tax")]
# by hand: billed = effective = 812.40 + 95.10 + 14.25 + 18.50 (charges) - 120.00 - 0.50 (credits) = 819.75
#          list = 1020.00 + 95.10 + 14.25 + 18.50 (tax: list = billed) - 120.50 (credits: list = billed) = 1027.35


class Recorded(requests.adapters.BaseAdapter):
    def __init__(self, pages, table=TABLE_META):
        super().__init__()
        self.pages = pages
        self.table = table
        self.calls = []

    def send(self, request, **kw):
        u = urlparse(request.url)
        q = {k: v[0] for k, v in parse_qs(u.query).items()}
        body = json.loads(request.body) if request.body else None
        self.calls.append((request.method, u.path, q, body))
        status, payload = self.answer(request.method, u.path, q)
        data = json.dumps(payload).encode()
        raw = urllib3.HTTPResponse(body=io.BytesIO(data), status=status, preload_content=False,
                                   headers={"Content-Type": "application/json", "Content-Length": str(len(data))})
        return requests.adapters.HTTPAdapter().build_response(request, raw)

    def answer(self, method, path, q):
        base = "/bigquery/v2/projects/my-billing"
        if method == "GET" and path == f"{base}/datasets/billing_export/tables/{TABLE.split('.')[2]}":
            return (200, self.table) if self.table else \
                (404, {"error": {"code": 404, "message": f"Not found: Table {TABLE}", "status": "NOT_FOUND"}})
        if method == "POST" and path == f"{base}/queries":
            first = self.pages[0]
            return 200, {"kind": "bigquery#queryResponse", "schema": RESULT_SCHEMA, "jobReference": JOB,
                         "totalRows": str(sum(map(len, self.pages))), "rows": first, "jobComplete": True,
                         **({"pageToken": "page-2"} if len(self.pages) > 1 else {})}
        if method == "GET" and path == f"{base}/jobs/job_q1":
            return 200, {"kind": "bigquery#job", "id": "my-billing:US.job_q1", "jobReference": JOB,
                         "status": {"state": "DONE"},
                         "configuration": {"jobType": "QUERY", "query": {"query": "", "useLegacySql": False}}}
        if method == "GET" and path == f"{base}/queries/job_q1" and q.get("pageToken") == "page-2":
            return 200, {"kind": "bigquery#getQueryResultsResponse", "schema": RESULT_SCHEMA, "jobReference": JOB,
                         "totalRows": str(sum(map(len, self.pages))), "rows": self.pages[1], "jobComplete": True}
        return 404, {"error": {"code": 404, "message": f"unexpected {method} {path}", "status": "NOT_FOUND"}}

    def close(self):
        pass


class Session(requests.Session):
    is_mtls = False  # what google-cloud-core asks of the session it is given


def client_for(pages, **kw):
    adapter = Recorded(pages, **kw)
    s = Session()
    s.mount("https://", adapter)
    return bigquery.Client(project="my-billing", credentials=AnonymousCredentials(), _http=s), adapter


URI = f"bq:{TABLE}?month=2026-03&group=service,label:team"


def test_month_by_service_and_label_over_two_pages():
    client, adapter = client_for([PAGE_1, PAGE_2])
    frame = open_source(URI, client=client, today=date(2026, 4, 10))
    assert frame["BilledCost"].sum() == pytest.approx(819.75)
    assert frame["EffectiveCost"].sum() == pytest.approx(819.75)
    assert frame["ListCost"].sum() == pytest.approx(1027.35)
    # 4 charge rows + 2 credit rows (Vertex AI's credits are 0: no row)
    assert frame["ChargeCategory"].tolist() == ["Usage", "Credit", "Usage", "Usage", "Credit", "Tax"]
    ce = frame[(frame["ServiceName"] == "Compute Engine") & (frame["ChargeCategory"] == "Usage")].iloc[0]
    assert (ce.BilledCost, ce.ListCost, ce.Tags, ce.ServiceCategory) == (812.40, 1020.00, {"team": "ml"}, "Compute")
    assert ce.BillingPeriodStart.isoformat() == "2026-03-01T08:00:00+00:00"  # midnight Pacific
    assert ce.ChargePeriodEnd.isoformat() == "2026-04-01T07:00:00+00:00"
    assert frame.loc[frame["ServiceName"] == "Cloud Storage", "Tags"].tolist() == [{}, {}]
    assert set(frame["ProviderName"]) == {"Google Cloud"} and set(frame["BillingCurrency"]) == {"USD"}

    methods = [(m, p.rsplit("/", 2)[-2:]) for m, p, _, _ in adapter.calls]
    assert methods == [("GET", ["tables", TABLE.split(".")[2]]), ("POST", ["my-billing", "queries"]),
                       ("GET", ["jobs", "job_q1"]), ("GET", ["queries", "job_q1"])]
    body = adapter.calls[1][3]
    params = {p["name"]: p["parameterValue"]["value"] for p in body["queryParameters"]}
    assert params == {"label_1": "team", "invoice_month": "202603", "partition_from": "2026-02-28"}
    sql = body["query"]
    assert f"FROM `{TABLE}`" in sql and "invoice.month = @invoice_month" in sql
    assert "_PARTITIONTIME >= TIMESTAMP(@partition_from)" in sql and "cost_at_list AS cost_at_list" in sql
    assert body["useLegacySql"] is False


def test_summary_through_the_reader_hook(monkeypatch):
    from planner.actuals import summarize
    from planner.actuals.apis import gcp_bq

    client, _ = client_for([PAGE_1, PAGE_2])
    monkeypatch.setattr(gcp_bq, "make_client", lambda uri, project: client)
    s = summarize([f"bq:{TABLE}?month=2026-03&group=service,label:team"], by="month,tag:team")
    got = {r.tag_team if isinstance(r.tag_team, str) else None: r.billed_cost for r in s.itertuples()}
    # ml: 812.40 - 120.00 + 95.10 = 787.50; untagged: 14.25 - 0.50 + 18.50 = 32.25
    assert got == {"ml": pytest.approx(787.50), None: pytest.approx(32.25)}


def test_label_keys_and_days_are_parameters_not_sql():
    client, adapter = client_for([[rec("Compute Engine", "x", 1.0, 1.0, 0.0)]])
    open_source(f"bq:{TABLE}?start=2026-03-01&end=2026-03-08&group=service,label:te'am", client=client)
    body = adapter.calls[1][3]
    assert "te'am" not in body["query"]
    params = {p["name"]: (p["parameterType"]["type"], p["parameterValue"]["value"]) for p in body["queryParameters"]}
    assert params == {"label_1": ("STRING", "te'am"), "start_day": ("DATE", "2026-03-01"),
                      "end_day": ("DATE", "2026-03-08"), "partition_from": ("DATE", "2026-02-28")}
    assert "DATE(usage_start_time, 'America/Los_Angeles')" in body["query"]  # daily, Pacific days


def test_a_table_without_list_cost_or_partitions():
    meta = dict(TABLE_META, schema={"fields": [f for f in EXPORT_SCHEMA["fields"] if f["name"] != "cost_at_list"]})
    meta.pop("timePartitioning")
    client, adapter = client_for([[rec("Compute Engine", "x", 5.0, None, 0.0)]], table=meta)
    frame = open_source(f"bq:{TABLE}?month=2026-03&group=service,label:team", client=client, today=date(2026, 4, 1))
    sql = adapter.calls[1][3]["query"]
    assert "CAST(NULL AS FLOAT64) AS cost_at_list" in sql and "_PARTITIONTIME" not in sql
    assert frame["ListCost"].isna().all()  # usage with no list price: unknown, not 0


def test_empty_month_names_the_table():
    client, _ = client_for([[]])
    with pytest.raises(InputError) as e:
        open_source(f"bq:{TABLE}?month=2026-03", client=client, today=date(2026, 4, 10))
    assert str(e.value).startswith(f"bq:{TABLE}?month=2026-03: table {TABLE} returned no costs for "
                                   "2026-03-01..2026-03-31")


def test_label_without_values_names_the_label():
    client, _ = client_for([[rec("Compute Engine", None, 5.0, 5.0, 0.0)]])
    with pytest.raises(InputError, match=r"tag:team: no cost in 2026-03-01\.\.2026-03-31 has tag 'team'"):
        open_source(URI, client=client, today=date(2026, 4, 10))


def test_missing_table_is_one_line():
    client, _ = client_for([PAGE_1], table=None)
    with pytest.raises(CostAPIError) as e:
        open_source(URI, client=client, today=date(2026, 4, 10), retry_s=0)
    assert "not found" in str(e.value) and f"Not found: Table {TABLE}" in str(e.value)
    assert "\n" not in str(e.value) and e.value.exit_code == 2


def test_not_a_billing_export():
    meta = dict(TABLE_META, schema={"fields": [{"name": "x", "type": "STRING"}]})
    client, _ = client_for([PAGE_1], table=meta)
    with pytest.raises(InputError, match="is not a Cloud Billing export"):
        open_source(URI, client=client, today=date(2026, 4, 10))


def test_resource_group_needs_the_detailed_export():
    client, _ = client_for([PAGE_1])
    with pytest.raises(InputError, match="group=resource needs the detailed"):
        open_source(f"bq:{TABLE}?month=2026-03&group=resource", client=client, today=date(2026, 4, 10))


def test_network_error_is_one_line_without_the_secret(monkeypatch):
    secret = "ya29.a0AfH6SMB-secret-oauth-token-value"
    monkeypatch.setenv("GOOGLE_OAUTH_ACCESS_TOKEN", secret)

    class Down(requests.adapters.BaseAdapter):
        def send(self, request, **kw):
            raise requests.exceptions.ConnectionError(f"connection refused (token {secret})")

        def close(self):
            pass

    s = Session()
    s.mount("https://", Down())
    client = bigquery.Client(project="my-billing", credentials=AnonymousCredentials(), _http=s)
    with pytest.raises(CostAPIError) as e:
        open_source(URI, client=client, today=date(2026, 4, 10), retry_s=0)
    msg = str(e.value)
    assert msg.startswith(f"{URI}: cannot reach BigQuery") and secret not in msg and "\n" not in msg


@pytest.mark.parametrize("uri,message", [
    ("bq:billing.table?month=2026-03", "'billing.table' is not a BigQuery table"),
    ("bq:p-roject.d.t`; DROP TABLE x; --?month=2026-03", "is not a BigQuery table"),
    (f"bq:{TABLE}?month=2026-03&group=meter", "unknown group 'meter'"),
    (f"bq:{TABLE}?month=2026-03&measure=Cost", "unknown parameter 'measure'"),
])
def test_bad_uris(uri, message):
    client, adapter = client_for([PAGE_1])
    with pytest.raises(InputError, match=message):
        open_source(uri, client=client, today=date(2026, 4, 10))
    assert adapter.calls == []


def test_no_forecast_from_the_export():
    with pytest.raises(InputError, match="bq: sources have no forecast API"):
        forecast(f"bq:{TABLE}")


def test_no_credentials_is_one_line(monkeypatch, tmp_path):
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing-key.json"))
    with pytest.raises(CostAPIError) as e:
        open_source(URI, today=date(2026, 4, 10))
    assert str(e.value).startswith(f"{URI}: no Google credentials; run `gcloud auth application-default login`")

"""Azure Cost Management through the real ``CostManagementClient`` over a fake transport: azure-core's
``RequestsTransport`` with a requests adapter that answers with recorded JSON pages (a ``nextLink`` page, a
429 with Cost Management's retry-after header), and a fake ``TokenCredential``.

The recorded pages have the shape of the REST API's examples (Microsoft.CostManagement 2023-11-01, in
../shared/reference/billing/azure/cost_management_api_examples/); their amounts are made up for the tests
and every total asserted is summed by hand beside it.
"""

from __future__ import annotations

import io
import json
from datetime import date

import pytest

pytest.importorskip("azure.mgmt.costmanagement")
import requests
import urllib3
from azure.core.credentials import AccessToken, AccessTokenInfo
from azure.core.pipeline.transport import RequestsTransport
from azure.mgmt.costmanagement import CostManagementClient

from planner.actuals.apis import CostAPIError, forecast, open_source
from planner.errors import InputError
from tests.conftest import SHARED

EXAMPLES = SHARED / "reference" / "billing" / "azure" / "cost_management_api_examples"
SUB = "subscriptions/00000000-0000-0000-0000-000000000000"
BASE = f"https://management.azure.com/{SUB}/providers/Microsoft.CostManagement"
TOKEN = "fake-token-for-tests"


class FakeCredential:
    """The TokenCredential protocol, without azure-identity."""

    def get_token(self, *scopes, **kw):
        return AccessToken(TOKEN, 4102444800)

    def get_token_info(self, *scopes, options=None):
        return AccessTokenInfo(TOKEN, 4102444800)


class Recorded(requests.adapters.BaseAdapter):
    """Answers each request with the next recorded (status, body, headers) for its route."""

    def __init__(self, routes):
        super().__init__()
        self.routes = {k: list(v) for k, v in routes.items()}
        self.calls = []

    def send(self, request, **kw):
        body = json.loads(request.body) if request.body else None
        self.calls.append((request.method, request.url, body, dict(request.headers)))
        route = self.route(request.url, body)
        status, payload, headers = self.routes[route].pop(0)
        data = json.dumps(payload).encode()
        raw = urllib3.HTTPResponse(body=io.BytesIO(data), status=status, preload_content=False,
                                   headers={"Content-Type": "application/json", "Content-Length": str(len(data)),
                                            **headers})
        return requests.adapters.HTTPAdapter().build_response(request, raw)

    @staticmethod
    def route(url, body):
        kind = (body or {}).get("type", "")
        if "skiptoken" in url:
            return f"next:{kind}"
        return ("forecast:" if "/forecast" in url.lower() else "query:") + kind

    def close(self):
        pass


def client_for(routes):
    adapter = Recorded(routes)
    s = requests.Session()
    s.mount("https://", adapter)
    return CostManagementClient(FakeCredential(), transport=RequestsTransport(session=s, session_owner=False)), adapter


def page(columns, rows, next_link=None):
    return {"id": f"{SUB}/providers/Microsoft.CostManagement/query/6dc7b06a", "name": "6dc7b06a",
            "type": "Microsoft.CostManagement/query",
            "properties": {"nextLink": next_link, "columns": [{"name": n, "type": t} for n, t in columns], "rows": rows}}


ACTUAL_COLS = [("Cost", "Number"), ("UsageDate", "Number"), ("ServiceName", "String"), ("TagKey", "String"),
               ("TagValue", "String"), ("Currency", "String")]
NEXT = f"{BASE}/query?api-version=2025-03-01&$skiptoken=AQAAAA%3D%3D"
# ActualCost, two pages: a 1-year reservation bought on 1 March (10,512.00, so its usage bills 0), storage,
# and Azure ML usage. Page 1 is first answered with a 429.
ACTUAL_1 = page(ACTUAL_COLS, [[10512.0, 20260301, "Virtual Machines", "workload", "chat", "USD"],
                              [3.5, 20260301, "Storage", "", "", "USD"]], next_link=NEXT)
ACTUAL_2 = page(ACTUAL_COLS, [[0.0, 20260302, "Virtual Machines", "workload", "chat", "USD"],
                              [3.5, 20260302, "Storage", "", "", "USD"],
                              [45.25, 20260302, "Azure Machine Learning", "workload", "train", "USD"]])
# AmortizedCost, one page, columns in another order (read by name): the reservation at 10,512 / 365 = 28.80 a day
AMORTIZED = page([("Currency", "String"), ("TagValue", "String"), ("ServiceName", "String"), ("UsageDate", "Number"),
                  ("TagKey", "String"), ("Cost", "Number")],
                 [["USD", "chat", "Virtual Machines", 20260301, "workload", 28.8],
                  ["USD", "", "Storage", 20260301, "", 3.5],
                  ["USD", "chat", "Virtual Machines", 20260302, "workload", 28.8],
                  ["USD", "", "Storage", 20260302, "", 3.5],
                  ["USD", "train", "Azure Machine Learning", 20260302, "workload", 45.25]])
# by hand: billed    10512.00 + 3.50 + 0.00 + 3.50 + 45.25 = 10564.25
#          effective 28.80 + 3.50 + 28.80 + 3.50 + 45.25   = 109.85
THROTTLED = (429, {"error": {"code": "429", "message": "Too many requests. Please retry."}},
             {"x-ms-ratelimit-microsoft.costmanagement-qpu-retry-after": "7",
              "x-ms-ratelimit-microsoft.costmanagement-entity-retry-after": "2"})
URI = f"azure-cm:{SUB}?month=2026-03&group=service,tag:workload"


def test_query_pages_throttling_and_both_cost_types():
    client, adapter = client_for({"query:ActualCost": [THROTTLED, (200, ACTUAL_1, {})],
                                  "next:ActualCost": [(200, ACTUAL_2, {})],
                                  "query:AmortizedCost": [(200, AMORTIZED, {})]})
    waits = []
    frame = open_source(URI, client=client, today=date(2026, 3, 2), sleep=waits.append)
    assert waits == [7.0]  # the longest of the retry-after headers, not a guess
    assert frame["BilledCost"].sum() == pytest.approx(10564.25)
    assert frame["EffectiveCost"].sum() == pytest.approx(109.85)
    assert frame["ListCost"].isna().all()
    assert len(frame) == 5 and set(frame["ProviderName"]) == {"Microsoft"}
    vm1 = frame[(frame["ServiceName"] == "Virtual Machines") & (frame["ChargePeriodStart"] == "2026-03-01T00:00:00Z")]
    assert vm1[["BilledCost", "EffectiveCost"]].values.tolist() == [[10512.0, 28.8]]
    assert vm1["Tags"].iloc[0] == {"workload": "chat"} and vm1["ServiceCategory"].iloc[0] == "Compute"
    assert frame.loc[frame["ServiceName"] == "Storage", "Tags"].tolist() == [{}, {}]
    assert (frame["ChargePeriodEnd"] - frame["ChargePeriodStart"]).dt.days.tolist() == [1] * 5

    posts = [(m, u, b) for m, u, b, _ in adapter.calls]
    assert [u for _, u, _ in posts] == [f"{BASE}/query?api-version=2025-03-01"] * 2 + [NEXT] + \
        [f"{BASE}/query?api-version=2025-03-01"]
    first = posts[0][2]
    assert first == {"type": "ActualCost", "timeframe": "Custom",
                     "timePeriod": {"from": "2026-03-01T00:00:00Z", "to": "2026-03-02T23:59:59Z"},
                     "dataset": {"granularity": "Daily", "aggregation": {"totalCost": {"name": "Cost", "function": "Sum"}},
                                 "grouping": [{"type": "Dimension", "name": "ServiceName"},
                                              {"type": "TagKey", "name": "workload"}]}}
    assert posts[2][2] == first  # the nextLink page is asked with the same body
    assert posts[3][2]["type"] == "AmortizedCost"
    assert all(h["Authorization"] == f"Bearer {TOKEN}" for *_, h in adapter.calls)


def test_summary_through_the_reader_hook(monkeypatch):
    """summarize() takes the URI; the reader builds the client, here the fake one."""
    from planner.actuals import summarize
    from planner.actuals.apis import azure_cm

    client, _ = client_for({"query:ActualCost": [(200, ACTUAL_1, {})], "next:ActualCost": [(200, ACTUAL_2, {})],
                            "query:AmortizedCost": [(200, AMORTIZED, {})]})
    monkeypatch.setattr(azure_cm, "make_client", lambda uri: client)
    s = summarize([f"azure-cm:{SUB}?start=2026-03-01&end=2026-03-03&group=service,tag:workload"], by="service")
    got = {r.service: (r.billed_cost, r.effective_cost) for r in s.itertuples()}
    # Virtual Machines 10512.00 + 0.00 / 28.80 + 28.80; Storage 3.50 + 3.50 / same; Azure ML 45.25 / 45.25
    assert got == {"Virtual Machines": pytest.approx((10512.0, 57.6)), "Storage": pytest.approx((7.0, 7.0)),
                   "Azure Machine Learning": pytest.approx((45.25, 45.25))}


def test_throttling_that_does_not_end_is_one_line():
    client, adapter = client_for({"query:ActualCost": [THROTTLED] * 6})
    waits = []
    with pytest.raises(CostAPIError) as e:
        open_source(URI, client=client, today=date(2026, 3, 2), sleep=waits.append)
    assert waits == [7.0] * 5 and len(adapter.calls) == 6
    assert str(e.value) == (f"{URI}: Cost Management kept throttling scope {SUB} (6 attempts); try again in a few "
                            "minutes")


def test_a_wait_longer_than_five_minutes_is_not_slept():
    slow = (429, {"error": {"code": "429", "message": "Too many requests"}}, {"Retry-After": "3600"})
    client, _ = client_for({"query:ActualCost": [slow]})
    waits = []
    with pytest.raises(CostAPIError, match="asks to wait 3600 s; try again later"):
        open_source(URI, client=client, today=date(2026, 3, 2), sleep=waits.append)
    assert waits == []


def test_rest_api_example_query_grouping_by_resource_group():
    """Microsoft's own example response (BillingAccountQueryGrouping, api 2023-11-01): PreTaxCost by resource
    group, with a nextLink (answered here by an empty last page)."""
    path = EXAMPLES / "BillingAccountQueryGrouping.json"
    if not path.exists():
        pytest.skip("../shared/reference/billing not present")
    body = json.loads(path.read_text())["responses"]["200"]["body"]
    last = page([("PreTaxCost", "Number"), ("ResourceGroup", "String"), ("Currency", "String")], [])
    client, adapter = client_for({"query:ActualCost": [(200, body, {})], "query:AmortizedCost": [(200, body, {})],
                                  "next:ActualCost": [(200, last, {})], "next:AmortizedCost": [(200, last, {})]})
    frame = open_source("azure-cm:providers/Microsoft.Billing/billingAccounts/70664866?start=2026-02-01&end=2026-03-01"
                        "&granularity=monthly&group=resourcegroup&measure=PreTaxCost", client=client)
    # 19.545363672276512 + 173.41979241290323 + 20.359416562625452 = 213.3245726478052 in each cost type
    assert frame["BilledCost"].sum() == pytest.approx(213.3245726478052)
    assert frame["EffectiveCost"].sum() == pytest.approx(213.3245726478052)
    # the example's columns name the dimension ResourceGroup; the query asked for ResourceGroupName
    assert adapter.calls[0][2]["dataset"]["grouping"] == [{"type": "Dimension", "name": "ResourceGroupName"}]
    assert len(adapter.calls) == 4  # two cost types x (first page + nextLink page)


def test_forecast_rest_api_example_by_month():
    """Microsoft's example forecast (BillingAccountForecast): PreTaxCost per day, CostStatus Forecast."""
    path = EXAMPLES / "BillingAccountForecast.json"
    if not path.exists():
        pytest.skip("../shared/reference/billing not present")
    body = json.loads(path.read_text())["responses"]["200"]["body"]
    last = page([("PreTaxCost", "Number"), ("UsageDate", "Number"), ("CostStatus", "String"), ("Currency", "String")], [])
    client, adapter = client_for({"forecast:ActualCost": [(200, body, {})], "forecast:AmortizedCost": [(200, body, {})],
                                  "next:ActualCost": [(200, last, {})], "next:AmortizedCost": [(200, last, {})]})
    f = forecast("azure-cm:providers/Microsoft.Billing/billingAccounts/12345:6789?start=2018-03-31&end=2018-04-30"
                 "&granularity=monthly&measure=PreTaxCost", client=client)
    # March: 2.10333307059661 + 218.68795741935486 = 220.79129048995147
    # April: 0.14384913581657052 + 0.009865586851323632 = 0.15371472266789415
    assert f["ForecastBilledCost"].tolist() == pytest.approx([220.79129048995147, 0.15371472266789415])
    assert f["ForecastEffectiveCost"].tolist() == pytest.approx([220.79129048995147, 0.15371472266789415])
    assert f["ChargePeriodStart"].dt.strftime("%Y-%m-%d").tolist() == ["2018-03-31", "2018-04-01"]
    assert f["ForecastBilledCostLower"].isna().all()  # Azure gives no interval
    sent = adapter.calls[0][2]
    assert sent["dataset"]["granularity"] == "Daily" and sent["includeActualCost"] is False
    assert "/forecast?api-version=" in adapter.calls[0][1]


def test_empty_scope_names_the_scope():
    empty = page(ACTUAL_COLS, [])
    client, _ = client_for({"query:ActualCost": [(200, empty, {})], "query:AmortizedCost": [(200, empty, {})]})
    with pytest.raises(InputError) as e:
        open_source(URI, client=client, today=date(2026, 3, 2))
    assert str(e.value) == (f"{URI}: scope {SUB} returned no costs for 2026-03-01..2026-03-02; check the scope, the "
                            "period and that the identity has Cost Management Reader on the scope")


def test_tag_with_no_values_names_the_tag():
    cols = [("Cost", "Number"), ("UsageDate", "Number"), ("TagKey", "String"), ("TagValue", "String"),
            ("Currency", "String")]
    untagged = page(cols, [[12.0, 20260301, "", "", "USD"]])
    client, _ = client_for({"query:ActualCost": [(200, untagged, {})], "query:AmortizedCost": [(200, untagged, {})]})
    with pytest.raises(InputError, match=r"tag:team: no cost in 2026-03-01\.\.2026-03-02 has tag 'team'"):
        open_source(f"azure-cm:{SUB}?month=2026-03&group=tag:team", client=client, today=date(2026, 3, 2))


def test_access_denied_is_one_line_without_secrets(monkeypatch):
    secret = "Zx8Q~client-secret-value-1234567890"
    monkeypatch.setenv("AZURE_CLIENT_SECRET", secret)
    denied = (403, {"error": {"code": "AuthorizationFailed",
                              "message": f"The client with secret {secret} and token Bearer {TOKEN}\ndoes not have "
                                         "authorization to perform action"}}, {})
    client, _ = client_for({"query:ActualCost": [denied]})
    with pytest.raises(CostAPIError) as e:
        open_source(URI, client=client, today=date(2026, 3, 2))
    msg = str(e.value)
    assert secret not in msg and TOKEN not in msg and "\n" not in msg
    assert f"access to scope {SUB} denied (HTTP 403" in msg and "Cost Management Reader" in msg
    assert e.value.exit_code == 2


def test_network_error_is_one_line():
    from azure.core.exceptions import ServiceRequestError

    class Down(requests.adapters.BaseAdapter):
        def send(self, request, **kw):
            raise requests.exceptions.ConnectionError("Failed to establish a new connection: [Errno 111] refused")

        def close(self):
            pass

    s = requests.Session()
    s.mount("https://", Down())
    client = CostManagementClient(FakeCredential(), transport=RequestsTransport(session=s, session_owner=False),
                                  retry_total=0)
    with pytest.raises(CostAPIError) as e:
        open_source(URI, client=client, today=date(2026, 3, 2))
    assert str(e.value).startswith(f"{URI}: cannot reach Azure Cost Management ({ServiceRequestError.__name__}")
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("uri,message", [
    ("azure-cm:?month=2026-03", "give the scope to query"),
    ("azure-cm:tenants/x?month=2026-03", "scope 'tenants/x' is not a Cost Management scope"),
    (f"azure-cm:{SUB}?month=2026-03&group=tag:a,tag:b", "Cost Management groups by one tag at a time"),
    (f"azure-cm:{SUB}?month=2026-03&group=meter", "unknown group 'meter'"),
    (f"azure-cm:{SUB}?month=2026-03&net=yes", "unknown parameter 'net'"),
])
def test_bad_uris(uri, message):
    client, adapter = client_for({})
    with pytest.raises(InputError, match=message):
        open_source(uri, client=client, today=date(2026, 3, 2))
    assert adapter.calls == []


def test_charge_and_pricing_groups_map_to_focus():
    cols = [("Cost", "Number"), ("BillingMonth", "Datetime"), ("ChargeType", "String"), ("PricingModel", "String"),
            ("Currency", "String")]
    actual = page(cols, [[10512.0, "2026-01-01T00:00:00", "Purchase", "Reservation", "EUR"],
                         [40.0, "2026-01-01T00:00:00", "Usage", "Spot", "EUR"]])
    amortized = page(cols, [[800.0, "2026-01-01T00:00:00", "Usage", "Reservation", "EUR"],
                            [92.8, "2026-01-01T00:00:00", "UnusedReservation", "Reservation", "EUR"],
                            [40.0, "2026-01-01T00:00:00", "Usage", "Spot", "EUR"]])
    client, _ = client_for({"query:ActualCost": [(200, actual, {})], "query:AmortizedCost": [(200, amortized, {})]})
    frame = open_source(f"azure-cm:{SUB}?month=2026-01&granularity=monthly&group=charge,pricing", client=client,
                        today=date(2026, 3, 2))
    got = {(r.ChargeCategory, r.PricingCategory, r.CommitmentDiscountStatus): (r.BilledCost, r.EffectiveCost)
           for r in frame.itertuples()}
    # the purchase is billed (10512) and amortized into usage (800) and unused reservation (92.8): effective 0
    assert got == {("Purchase", "Committed", None): (10512.0, 0.0), ("Usage", "Dynamic", None): (40.0, 40.0),
                   ("Usage", "Committed", None): (0.0, 800.0), ("Usage", "Committed", "Unused"): (0.0, 92.8)}
    assert set(frame["BillingCurrency"]) == {"EUR"}
    assert frame["ChargePeriodEnd"].dt.strftime("%Y-%m-%d").unique().tolist() == ["2026-02-01"]


def test_failed_sign_in_is_one_line():
    from azure.core.exceptions import ClientAuthenticationError

    class NoLogin:
        def get_token(self, *scopes, **kw):
            raise ClientAuthenticationError("DefaultAzureCredential failed to retrieve a token.\n"
                                            "EnvironmentCredential: incomplete\nAzureCliCredential: not logged in")

        get_token_info = get_token

    s = requests.Session()
    s.mount("https://", Recorded({}))
    client = CostManagementClient(NoLogin(), transport=RequestsTransport(session=s, session_owner=False))
    with pytest.raises(CostAPIError) as e:
        open_source(URI, client=client, today=date(2026, 3, 2))
    assert str(e.value) == (f"{URI}: Azure sign-in failed; run `az login`, or set AZURE_TENANT_ID, AZURE_CLIENT_ID "
                            "and a client secret or certificate, or use a managed identity")

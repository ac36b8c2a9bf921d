"""Throttling, server errors and damaged pages: retried with backoff, or one clear SourceError.

Waits are recorded, not slept: ``RetryPolicy(sleep=waits.append)``.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from planner.errors import SourceError
from pricing.sources.http import NO_WAIT, RetryPolicy, Transient, call_with_retries, retry_after_seconds

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
NOW = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)


def load_json(*parts: str) -> Any:
    return json.loads(FIXTURES.joinpath(*parts).read_text(encoding="utf-8"))


def recording(attempts: int = 4) -> tuple[RetryPolicy, list[float]]:
    waits: list[float] = []
    return RetryPolicy(
        attempts=attempts, initial_wait_s=1, max_wait_s=60, jitter_s=0, sleep=waits.append
    ), waits


def comparable(offers) -> list[str]:
    """Offers as sorted reprs, without fetched_at (two fetches may straddle a second)."""
    return sorted(repr(dataclasses.replace(o, fetched_at="")) for o in offers)


def one_line(err: pytest.ExceptionInfo) -> str:
    text = str(err.value)
    assert "\n" not in text and "Traceback" not in text
    return text


# -- retry with backoff itself -------------------------------------------------------------------------
def test_backoff_doubles_and_retry_after_wins() -> None:
    policy, waits = recording(attempts=5)
    replies: list[Exception | None] = [
        Transient("HTTP 503"),
        Transient("HTTP 503"),
        Transient("HTTP 429", 7.0),
        Transient("HTTP 503"),
        None,
    ]

    def call() -> str:
        reply = replies.pop(0)
        if reply:
            raise reply
        return "done"

    assert call_with_retries(call, policy=policy, what="x", hint="y") == "done"
    # exponential with multiplier 1 s and no jitter: 1, 2, then the server's 7 s, then 8
    assert waits == [1.0, 2.0, 7.0, 8.0]


def test_retry_after_header_forms() -> None:
    assert retry_after_seconds({"Retry-After": "12"}) == 12.0
    assert retry_after_seconds({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0  # in the past
    assert retry_after_seconds({}) is None
    assert retry_after_seconds({"Retry-After": "soon"}) is None


# -- AWS -----------------------------------------------------------------------------------------
def _aws(policy: RetryPolicy, **kw):
    import boto3
    from botocore.stub import Stubber

    from pricing.sources.aws import AwsSource

    pricing = boto3.client(
        "pricing", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    ec2 = boto3.client("ec2", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    kw = {
        "instance_families": ["GPU instance"],
        "include_storage": False,
        "include_transfer": False,
        "include_spot": False,
        "retry": policy,
        "clock": lambda: NOW,
    } | kw
    return AwsSource(pricing, lambda r: ec2, **kw), Stubber(pricing), Stubber(ec2)


def _gpu_params(token: str | None = None) -> dict:
    from pricing.sources.aws import EC2_FILTERS, term_filters

    filters = term_filters(regionCode="us-east-1", **EC2_FILTERS, instanceFamily="GPU instance")
    out = {"ServiceCode": "AmazonEC2", "Filters": filters, "FormatVersion": "aws_v1", "MaxResults": 100}
    return out | ({"NextToken": token} if token else {})


def _page(products: list, token: str | None = None) -> dict:
    body = {
        "FormatVersion": "aws_v1",
        "PriceList": [p if isinstance(p, str) else json.dumps(p) for p in products],
    }
    return body | ({"NextToken": token} if token else {})


def test_aws_throttling_is_retried_and_paging_resumes_at_the_failed_page() -> None:
    policy, waits = recording()
    src, ps, _ = _aws(policy)
    products = load_json("aws", "ec2_gpu_us-east-1.json")
    ps.add_client_error(
        "get_products", "ThrottlingException", "Rate exceeded", 400, expected_params=_gpu_params()
    )
    ps.add_response("get_products", _page(products[:2], "tok-2"), _gpu_params())
    ps.add_client_error(
        "get_products", "ThrottlingException", "Rate exceeded", 400, expected_params=_gpu_params("tok-2")
    )
    ps.add_client_error("get_products", "ServiceUnavailable", "", 503, expected_params=_gpu_params("tok-2"))
    ps.add_response("get_products", _page(products[2:]), _gpu_params("tok-2"))  # resumed, not restarted
    with ps:
        offers = list(src.fetch(["us-east-1"]))
        ps.assert_no_pending_responses()
    assert len([o for o in offers if o.purchase_option == "on_demand"]) == 4  # nothing lost, nothing twice
    assert waits == [1.0, 1.0, 2.0]


def test_aws_persistent_failure_is_one_source_error() -> None:
    src, ps, _ = _aws(RetryPolicy(attempts=3, initial_wait_s=0, jitter_s=0, sleep=lambda s: None))
    for _ in range(3):
        ps.add_client_error("get_products", "ServiceUnavailable", "try later", 503)
    with ps, pytest.raises(SourceError) as err:
        list(src.fetch(["us-east-1"]))
    assert one_line(err) == (
        "AWS get_products (AmazonEC2 GPU instance, us-east-1) failed after 3 attempts (ServiceUnavailable); "
        "wait a few minutes and run the refresh again"
    )
    assert err.value.exit_code == 1


def test_aws_access_denied_is_not_retried() -> None:
    src, ps, _ = _aws(NO_WAIT)
    ps.add_client_error(
        "get_products", "AccessDeniedException", "not authorized to perform pricing:GetProducts", 400
    )
    with ps, pytest.raises(SourceError) as err:  # a retry would hit the Stubber with no response left
        list(src.fetch(["us-east-1"]))
    assert one_line(err) == (
        "AWS get_products (AmazonEC2 GPU instance, us-east-1): AccessDeniedException: not authorized to perform "
        "pricing:GetProducts; check the credentials' permissions and the region names"
    )


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda p: json.dumps(p)[:300], "not valid JSON"),
        (lambda p: json.dumps({"serviceCode": "AmazonEC2", "terms": {}}), "lacks product"),
        (lambda p: json.dumps(p).replace('"1.0060000000"', '"1.006O"'), "not a number"),
    ],
)
def test_aws_damaged_price_list_entry(damage, message: str) -> None:
    src, ps, _ = _aws(NO_WAIT)
    good = load_json("aws", "ec2_gpu_us-east-1.json")
    ps.add_response("get_products", _page([damage(good[0])] + good[1:]), _gpu_params())
    with ps, pytest.raises(SourceError, match=message) as err:
        list(src.fetch(["us-east-1"]))
    one_line(err)


def test_aws_spot_throttling_is_retried() -> None:
    policy, waits = recording()
    src, ps, es = _aws(policy, include_spot=True)
    products = load_json("aws", "ec2_gpu_us-east-1.json")[1:2]  # g6.xlarge only
    ps.add_response("get_products", _page(products), _gpu_params())
    spot = {"InstanceTypes": ["g6.xlarge"], "ProductDescriptions": ["Linux/UNIX"], "StartTime": NOW}
    es.add_client_error(
        "describe_spot_price_history", "RequestLimitExceeded", "slow down", 503, expected_params=spot
    )
    es.add_response(
        "describe_spot_price_history",
        {
            "SpotPriceHistory": [
                {
                    "AvailabilityZone": "us-east-1a",
                    "InstanceType": "g6.xlarge",
                    "ProductDescription": "Linux/UNIX",
                    "SpotPrice": "0.4386",
                    "Timestamp": NOW,
                }
            ]
        },
        spot,
    )
    with ps, es:
        offers = list(src.fetch(["us-east-1"]))
    assert [o.price for o in offers if o.purchase_option == "spot"] == [Decimal("0.4386")]
    assert waits == [1.0]


# -- Azure ---------------------------------------------------------------------------------------
def _azure(policy: RetryPolicy):
    import requests

    from pricing.sources.azure import AzureSource

    return AzureSource(requests.Session(), retry=policy, include_storage=False, include_bandwidth=False)


def test_azure_429_honours_retry_after_and_5xx_backs_off(azure_api) -> None:
    import requests

    clean = comparable(_azure(NO_WAIT).fetch(["eastus"]))
    azure_api.requests.clear()
    azure_api.faults = [
        (429, {"Retry-After": "7"}, {"error": "too many requests"}),
        (503, {}, "<html>Service Unavailable</html>"),
        (0, {}, requests.ConnectionError("connection reset")),
        (500, {}, {"error": "internal"}),
    ]
    policy, waits = recording(attempts=5)
    src = _azure(policy)
    assert comparable(src.fetch(["eastus"])) == clean
    assert waits == [7.0, 2.0, 4.0, 8.0]
    assert azure_api.requests[0] == azure_api.requests[4]  # the same first page asked again


def test_azure_persistent_503_names_what_and_where(azure_api) -> None:
    azure_api.faults = [(503, {}, "unavailable")] * 3
    with pytest.raises(SourceError) as err:
        list(
            _azure(RetryPolicy(attempts=3, initial_wait_s=0, jitter_s=0, sleep=lambda s: None)).fetch(
                ["eastus"]
            )
        )
    assert one_line(err) == (
        "Azure Retail Prices (Virtual Machines Consumption, eastus) failed after 3 attempts "
        "(HTTP 503 Service Unavailable); "
        "wait a few minutes and run the refresh again (prices.azure.com throttles bursts of requests)"
    )


def test_azure_bad_request_is_not_retried(azure_api) -> None:
    azure_api.faults = [(400, {}, {"Error": {"Code": "InvalidFilter"}})]
    with pytest.raises(SourceError, match="HTTP 400") as err:
        list(_azure(NO_WAIT).fetch(["eastus"]))
    one_line(err)
    assert len(azure_api.requests) == 1


@pytest.mark.parametrize(
    "tamper, message",
    [
        (lambda body: json.dumps(body)[:120], "not valid JSON"),
        (lambda body: {k: v for k, v in body.items() if k != "Items"}, "no 'Items' list"),
        (
            lambda body: (
                body | {"Items": [{k: v for k, v in i.items() if k != "retailPrice"} for i in body["Items"]]}
            ),
            "lacks retailPrice",
        ),
        (lambda body: body | {"NextPageLink": 42}, "not a URL"),
    ],
)
def test_azure_damaged_page(azure_api, tamper, message: str) -> None:
    azure_api.tamper = tamper
    with pytest.raises(SourceError, match=message) as err:
        list(_azure(NO_WAIT).fetch(["eastus"]))
    one_line(err)


def test_azure_damaged_second_page_is_an_error_not_a_short_result(azure_api) -> None:
    calls = {"n": 0}

    def tamper(body: dict) -> Any:
        calls["n"] += 1
        return body if calls["n"] == 1 else '{"Items": [{"meterName": "D2s v5", "retailPr'

    azure_api.tamper = tamper
    src = _azure(NO_WAIT)
    with pytest.raises(SourceError, match="not valid JSON"):
        list(src.fetch(["eastus"]))


# -- GCP -----------------------------------------------------------------------------------------
def _gcp_source(endpoint: str, policy: RetryPolicy, **kw):
    from google.api_core.client_options import ClientOptions
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import billing_v1

    from pricing.sources.gcp import GcpSource

    client = billing_v1.CloudCatalogClient(
        credentials=AnonymousCredentials(),
        transport="rest",
        client_options=ClientOptions(api_endpoint=endpoint),
    )
    return GcpSource(client, retry=policy, **kw)


UNAVAILABLE = (
    503,
    {"error": {"code": 503, "message": "The service is currently unavailable.", "status": "UNAVAILABLE"}},
)
TOO_MANY = (429, {"error": {"code": 429, "message": "Quota exceeded", "status": "RESOURCE_EXHAUSTED"}})


def test_gcp_429_and_503_are_retried_and_paging_resumes(gcp_server) -> None:
    fake, endpoint = gcp_server
    clean = comparable(_gcp_source(endpoint, NO_WAIT).fetch(["us-central1"]))
    fake.seen.clear()
    # request 0: list_services (429 -> retried as request 1); 2..: SKU pages; fail the 3rd SKU page twice.
    fake.fail_at = {0: TOO_MANY, 4: UNAVAILABLE, 5: UNAVAILABLE}
    policy, waits = recording()
    assert comparable(_gcp_source(endpoint, policy).fetch(["us-central1"])) == clean
    assert waits == [1.0, 1.0, 2.0]
    tokens = [q.get("pageToken") for path, q in fake.seen if path.endswith("/skus")][:5]
    assert tokens == [None, "3", "6", "6", "6"]  # the failed page is asked again, not the first


def test_gcp_persistent_503(gcp_server) -> None:
    fake, endpoint = gcp_server
    fake.faults = [UNAVAILABLE] * 3
    src = _gcp_source(endpoint, RetryPolicy(attempts=3, initial_wait_s=0, jitter_s=0, sleep=lambda s: None))
    with pytest.raises(SourceError) as err:
        list(src.fetch(["us-central1"]))
    assert one_line(err) == (
        "GCP list_services failed after 3 attempts (HTTP 503); wait a few minutes and run the refresh again"
    )


def test_gcp_permission_denied_is_not_retried(gcp_server) -> None:
    fake, endpoint = gcp_server
    fake.faults = [
        (
            403,
            {
                "error": {
                    "code": 403,
                    "message": "Cloud Billing API has not been used in project 1",
                    "status": "PERMISSION_DENIED",
                }
            },
        )
    ]
    with pytest.raises(SourceError) as err:
        list(_gcp_source(endpoint, NO_WAIT).fetch(["us-central1"]))
    assert one_line(err) == (
        "GCP list_services: HTTP 403 Forbidden: Cloud Billing API has not been used in project 1; "
        "check that the Cloud Billing API is enabled for the project"
    )
    assert len(fake.seen) == 1


@pytest.mark.parametrize(
    "tamper, message",
    [
        (lambda path, body: json.dumps(body)[:200], "could not be parsed"),
        (
            lambda path, body: (
                body | {"skus": [{k: v for k, v in s.items() if k != "description"} for s in body["skus"]]}
            ),
            "lacks its id or description",
        ),
    ],
)
def test_gcp_damaged_page(gcp_server, tamper, message: str) -> None:
    fake, endpoint = gcp_server
    fake.tamper = tamper
    with pytest.raises(SourceError, match=message) as err:
        list(_gcp_source(endpoint, NO_WAIT).fetch(["us-central1"]))
    one_line(err)


def test_sdk_errors_are_sorted_into_retry_stop_or_bug() -> None:
    from botocore.exceptions import (
        EndpointConnectionError,
        NoCredentialsError,
        ParamValidationError,
        ReadTimeoutError,
    )
    from google.api_core import exceptions as gexc
    from google.auth.exceptions import DefaultCredentialsError

    from pricing.sources.aws import classify_aws_error
    from pricing.sources.gcp import classify_gcp_error

    assert isinstance(classify_aws_error(ReadTimeoutError(endpoint_url="https://pricing")), Transient)
    assert isinstance(classify_aws_error(EndpointConnectionError(endpoint_url="https://pricing")), Transient)
    assert "aws configure" in str(classify_aws_error(NoCredentialsError()))
    bug = ParamValidationError(report="Unknown parameter")
    assert classify_aws_error(bug) is bug  # a programming error propagates unchanged
    assert isinstance(classify_gcp_error(gexc.GatewayTimeout("slow")), Transient)
    assert isinstance(classify_gcp_error(gexc.DeadlineExceeded("slow")), Transient)
    assert "gcloud auth application-default login" in str(classify_gcp_error(DefaultCredentialsError("none")))
    key_error = KeyError("x")
    assert classify_gcp_error(key_error) is key_error


def test_azure_unreachable_api_fails_fast_and_says_so(azure_api) -> None:
    import requests

    # no network: every call is refused. Two attempts (one retry after the policy's first wait, 1 s), not six
    # with backoff, and the message says the API cannot be reached rather than blaming throttling.
    azure_api.faults = [(0, {}, requests.ConnectionError("Failed to resolve 'prices.azure.com'"))] * 6
    policy, waits = recording(attempts=6)
    with pytest.raises(SourceError) as err:
        list(_azure(policy).fetch(["eastus"]))
    assert waits == [1.0]
    msg = one_line(err)
    assert "cannot reach the API (connection failed: ConnectionError) after 2 attempts" in msg
    assert "throttles" not in msg

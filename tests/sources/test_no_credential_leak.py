"""Credentials reach the clients but never logs, offers or error messages.

Distinctive fake secrets are put where each SDK's standard chain finds them (environment, the
credentials object, a session header); the adapters run with logging at DEBUG, through success and
failure paths; no secret string may appear anywhere they produce.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from planner.errors import SourceError
from pricing.sources.http import RetryPolicy

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
AWS_KEY_ID = "AKIALEAKCHECK0000001"
AWS_SECRET = "leak-check-aws-secret-7f3c9e0a1b"
AWS_TOKEN = "leak-check-aws-session-token-91ab44"
GCP_TOKEN = "ya29.leak-check-gcp-token-55d1e2"
AZURE_KEY = "leak-check-azure-key-2b7d6f"
SECRETS = (AWS_SECRET, AWS_TOKEN, GCP_TOKEN, AZURE_KEY)
FAST = RetryPolicy(attempts=2, initial_wait_s=0, jitter_s=0, sleep=lambda s: None)


@pytest.fixture
def secret_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", AWS_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", AWS_SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", AWS_TOKEN)
    monkeypatch.setenv("AZURE_CLIENT_SECRET", AZURE_KEY)
    monkeypatch.setenv("GOOGLE_OAUTH_ACCESS_TOKEN", GCP_TOKEN)


def assert_clean(caplog: pytest.LogCaptureFixture, *things: Any) -> None:
    texts = [caplog.text]
    for rec in caplog.records:
        texts += [rec.getMessage(), repr(rec.args), repr(getattr(rec, "exc_text", ""))]
    for thing in things:
        texts.append(repr(thing))
        if isinstance(thing, BaseException):
            texts += [str(thing), repr(thing.__cause__), repr(thing.__context__)]
    blob = "\n".join(texts)
    for secret in SECRETS:
        assert secret not in blob


def _price_list() -> list[str]:
    return [json.dumps(p) for p in json.loads((FIXTURES / "aws" / "ec2_gpu_us-east-1.json").read_text())]


def test_aws_default_chain(secret_env, caplog: pytest.LogCaptureFixture) -> None:
    from botocore.stub import Stubber

    from pricing.sources.aws import AwsSource

    caplog.set_level(logging.DEBUG)
    src = AwsSource.from_default_credentials(
        instance_families=["GPU instance"],
        include_savings_plans=False,
        include_capacity_blocks=False,
        include_spot=False,
        include_storage=False,
        include_transfer=False,
        retry=FAST,
    )
    creds = src.pricing._request_signer._credentials  # the chain really found the secrets
    assert (creds.secret_key, creds.token) == (AWS_SECRET, AWS_TOKEN)
    with Stubber(src.pricing) as stub:
        stub.add_response("get_products", {"FormatVersion": "aws_v1", "PriceList": _price_list()})
        offers = list(src.fetch(["us-east-1"]))
        stub.add_client_error("get_products", "ThrottlingException", "Rate exceeded", 400)
        stub.add_client_error("get_products", "ThrottlingException", "Rate exceeded", 400)
        with pytest.raises(SourceError) as throttled:
            list(src.fetch(["us-east-1"]))
        stub.add_client_error(
            "get_products",
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
            400,
        )
        with pytest.raises(SourceError) as denied:
            list(src.fetch(["us-east-1"]))
    assert offers
    assert_clean(
        caplog, offers, [o.to_dict() for o in offers], throttled.value, denied.value, src.stats.summary()
    )


def test_gcp_token(secret_env, gcp_server, caplog: pytest.LogCaptureFixture) -> None:
    from google.api_core.client_options import ClientOptions
    from google.cloud import billing_v1
    from google.oauth2.credentials import Credentials

    from pricing.sources.gcp import GcpSource

    caplog.set_level(logging.DEBUG)
    fake, endpoint = gcp_server
    client = billing_v1.CloudCatalogClient(
        credentials=Credentials(token=GCP_TOKEN),
        transport="rest",
        client_options=ClientOptions(api_endpoint=endpoint),
    )
    src = GcpSource(client, retry=FAST)
    offers = list(src.fetch(["us-central1"]))
    fake.faults = [(503, {"error": {"code": 503, "message": "unavailable", "status": "UNAVAILABLE"}})] * 2
    with pytest.raises(SourceError) as unavailable:
        list(src.fetch(["us-central1"]))
    fake.faults = [
        (
            401,
            {
                "error": {
                    "code": 401,
                    "message": "Request had invalid authentication credentials.",
                    "status": "UNAUTHENTICATED",
                }
            },
        )
    ]
    with pytest.raises(SourceError, match="could not be refreshed") as unauthenticated:
        list(src.fetch(["us-central1"]))
    assert offers
    assert_clean(caplog, offers, unavailable.value, unauthenticated.value, src.stats.summary())


def test_azure_session_key(secret_env, azure_api, caplog: pytest.LogCaptureFixture) -> None:
    import requests

    from pricing.sources.azure import AzureSource

    caplog.set_level(logging.DEBUG)
    session = requests.Session()
    session.headers["Ocp-Apim-Subscription-Key"] = AZURE_KEY  # e.g. a gateway in front of the API
    src = AzureSource(session, retry=FAST)
    offers = list(src.fetch(["eastus"]))
    azure_api.faults = [(429, {"Retry-After": "0"}, {"error": AZURE_KEY[:4]})] * 2
    with pytest.raises(SourceError) as throttled:
        list(src.fetch(["eastus"]))
    azure_api.faults = [(401, {}, {"error": "unauthorized"})]
    with pytest.raises(SourceError) as unauthorized:
        list(src.fetch(["eastus"]))
    assert offers
    assert_clean(caplog, offers, throttled.value, unauthorized.value, src.stats.summary())

"""AWS Cost Explorer through the real boto3 client: moto's ``ce`` backend with injected results
(``get_cost_and_usage``), botocore's Stubber for paging with exact request parameters and for
``get_cost_forecast`` (moto does not implement it).

The recorded payloads below have the shape of Cost Explorer's responses (aws-cli's documented output in
../shared/reference/billing/aws/cost_explorer_api/); their amounts are made up for the tests and every
total asserted is summed by hand beside it.
"""

from __future__ import annotations

import json
import math
from datetime import date

import pytest

boto3 = pytest.importorskip("boto3")
moto = pytest.importorskip("moto")
from botocore.config import Config
from botocore.stub import Stubber

from planner.actuals.apis import CostAPIError, forecast, open_source
from planner.errors import InputError
from tests.conftest import REPO, SHARED

CE_SAMPLES = SHARED / "reference" / "billing" / "aws" / "cost_explorer_api"
EC2 = "Amazon Elastic Compute Cloud - Compute"
S3 = "Amazon Simple Storage Service"
SAGEMAKER = "Amazon SageMaker"


def _group(keys, unblended, amortized):
    return {"Keys": keys, "Metrics": {"UnblendedCost": {"Amount": unblended, "Unit": "USD"},
                                      "AmortizedCost": {"Amount": amortized, "Unit": "USD"}}}


GROUP_DEFS = [{"Type": "DIMENSION", "Key": "SERVICE"}, {"Type": "TAG", "Key": "workload"}]
# Two pages of a MONTHLY query grouped by SERVICE and TAG workload, 2026-01-01..2026-03-01.
PAGE_1 = {"GroupDefinitions": GROUP_DEFS, "NextPageToken": "page-2", "DimensionValueAttributes": [],
          "ResultsByTime": [{"TimePeriod": {"Start": "2026-01-01", "End": "2026-02-01"}, "Total": {}, "Estimated": False,
                             "Groups": [_group([EC2, "workload$chat"], "1200.50", "1100.25"),
                                        _group([S3, "workload$"], "35.10", "35.10")]}]}
PAGE_2 = {"GroupDefinitions": GROUP_DEFS, "DimensionValueAttributes": [],
          "ResultsByTime": [{"TimePeriod": {"Start": "2026-02-01", "End": "2026-03-01"}, "Total": {}, "Estimated": True,
                             "Groups": [_group([EC2, "workload$chat"], "1300.00", "1180.40"),
                                        _group([SAGEMAKER, "workload$train"], "410.75", "410.75")]}]}
# by hand: billed    1200.50 + 35.10 + 1300.00 + 410.75 = 2946.35
#          effective 1100.25 + 35.10 + 1180.40 + 410.75 = 2726.50
URI = "aws-ce:?start=2026-01-01&end=2026-03-01&granularity=monthly&group=service,tag:workload"


def _inject(*results):
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.moto_api._internal.models import moto_api_backend

    for r in results:
        moto_api_backend.set_ce_cost_usage(r, DEFAULT_ACCOUNT_ID)


@pytest.fixture
def aws():
    with moto.mock_aws():
        yield


def test_moto_two_pages_grouped_by_service_and_tag(aws):
    _inject(PAGE_1, PAGE_2)  # moto hands out one queued result per distinct request (page 2 carries the token)
    frame = open_source(URI)  # the client comes from boto3's standard chain (the fake keys of conftest)
    assert len(frame) == 4
    assert frame["BilledCost"].sum() == pytest.approx(2946.35)
    assert frame["EffectiveCost"].sum() == pytest.approx(2726.50)
    assert frame["ListCost"].isna().all()  # Cost Explorer has no list cost: missing, not 0
    assert set(frame["ProviderName"]) == {"AWS"} and set(frame["BillingCurrency"]) == {"USD"}
    ec2_feb = frame[(frame["ServiceName"] == EC2) & (frame["ChargePeriodStart"] == "2026-02-01T00:00:00Z")]
    assert ec2_feb["BilledCost"].tolist() == [1300.00] and ec2_feb["EffectiveCost"].tolist() == [1180.40]
    assert ec2_feb["ChargePeriodEnd"].iloc[0].isoformat() == "2026-03-01T00:00:00+00:00"
    assert ec2_feb["BillingPeriodStart"].iloc[0].isoformat() == "2026-02-01T00:00:00+00:00"
    assert ec2_feb["ServiceCategory"].iloc[0] == "Compute"
    assert frame.loc[frame["ServiceName"] == SAGEMAKER, "ServiceCategory"].iloc[0] == "AI and Machine Learning"
    tags = dict(zip(frame["ServiceName"] + "/" + frame["ChargePeriodStart"].dt.strftime("%m"), frame["Tags"]))
    assert tags[f"{S3}/01"] == {}  # "workload$" is untagged
    assert tags[f"{SAGEMAKER}/02"] == {"workload": "train"}


def test_moto_summary_through_the_reader(aws):
    """The reader's URI hook: summarize() takes the URI beside files and groups by month, service and tag."""
    import pandas as pd

    from planner.actuals import summarize

    _inject(PAGE_1, PAGE_2)
    s = summarize([URI], by="month,tag:workload")
    got = {(r.month, r.tag_workload): (r.billed_cost, r.effective_cost) for r in s.itertuples()}
    # 2026-01 chat 1200.50/1100.25, untagged S3 35.10/35.10; 2026-02 chat 1300.00/1180.40, train 410.75/410.75
    assert got[("2026-01", "chat")] == pytest.approx((1200.50, 1100.25))
    assert got[("2026-02", "chat")] == pytest.approx((1300.00, 1180.40))
    assert got[("2026-02", "train")] == pytest.approx((410.75, 410.75))
    untagged = [v for (m, t), v in got.items() if m == "2026-01" and pd.isna(t)]
    assert untagged == [pytest.approx((35.10, 35.10))]


def test_moto_aws_cli_documented_output(aws):
    """aws-cli's documented get-cost-and-usage output (S3, Sept 2017, by SERVICE and TAG Environment)."""
    path = CE_SAMPLES / "awscli_example_ce_get-cost-and-usage.output.json"
    if not path.exists():
        pytest.skip("../shared/reference/billing not present")
    _inject(json.loads(path.read_text()))
    frame = open_source("aws-ce:?start=2017-09-01&end=2017-10-01&group=service,tag:Environment")
    # UnblendedCost 40.3543773134 (Environment$) + 0.2682364644 (Environment$Dev) = 40.6226137778
    assert frame["BilledCost"].sum() == pytest.approx(40.6226137778)
    # the example asked for BlendedCost, not AmortizedCost: the effective cost is unknown, never 0
    assert frame["EffectiveCost"].isna().all()
    assert sorted(map(str, frame["Tags"])) == ["{'Environment': 'Dev'}", "{}"]


def test_moto_no_costs_names_the_source(aws):
    with pytest.raises(InputError, match=r"aws-ce:\?month=2026-02: Cost Explorer returned no costs for "
                                         r"2026-02-01\.\.2026-02-28"):
        open_source("aws-ce:?month=2026-02", today=date(2026, 6, 1))


def test_moto_tag_without_values_names_the_tag(aws):
    untagged = {"GroupDefinitions": [{"Type": "TAG", "Key": "team"}], "DimensionValueAttributes": [],
                "ResultsByTime": [{"TimePeriod": {"Start": "2026-02-01", "End": "2026-03-01"}, "Total": {},
                                   "Groups": [_group(["team$"], "99.00", "99.00")], "Estimated": False}]}
    _inject(untagged)
    with pytest.raises(InputError) as e:
        open_source("aws-ce:?month=2026-02&group=tag:team", today=date(2026, 6, 1))
    msg = str(e.value)
    assert "no cost in 2026-02-01..2026-02-28 has tag 'team'" in msg and "cost allocation tag" in msg
    assert "\n" not in msg


def _stubbed():
    ce = boto3.client("ce", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    return ce, Stubber(ce)


def test_stubber_daily_paging_sends_the_token_and_the_same_query():
    ce, stub = _stubbed()
    query = {"TimePeriod": {"Start": "2026-03-01", "End": "2026-03-04"}, "Granularity": "DAILY",
             "Metrics": ["UnblendedCost", "AmortizedCost"], "GroupBy": [{"Type": "DIMENSION", "Key": "SERVICE"}]}

    def day(d, groups):
        return {"TimePeriod": {"Start": f"2026-03-0{d}", "End": f"2026-03-0{d + 1}"}, "Total": {}, "Groups": groups,
                "Estimated": True}

    stub.add_response("get_cost_and_usage", {
        "NextPageToken": "tok-2", "GroupDefinitions": [{"Type": "DIMENSION", "Key": "SERVICE"}],
        "ResultsByTime": [day(1, [_group([EC2], "40.00", "38.00")]), day(2, [_group([EC2], "41.00", "39.00")])]},
        expected_params=query)
    stub.add_response("get_cost_and_usage", {
        "GroupDefinitions": [{"Type": "DIMENSION", "Key": "SERVICE"}],
        "ResultsByTime": [day(2, [_group([S3], "1.25", "1.25")]), day(3, [_group([EC2], "42.00", "40.00")])]},
        expected_params=dict(query, NextPageToken="tok-2"))
    with stub:
        frame = open_source("aws-ce:?month=2026-03&group=service", client=ce, today=date(2026, 3, 3))
        stub.assert_no_pending_responses()
    # billed 40.00 + 41.00 + 1.25 + 42.00 = 124.25; effective 38.00 + 39.00 + 1.25 + 40.00 = 118.25
    assert frame["BilledCost"].sum() == pytest.approx(124.25)
    assert frame["EffectiveCost"].sum() == pytest.approx(118.25)
    spans = (frame["ChargePeriodEnd"] - frame["ChargePeriodStart"]).dt.days
    assert spans.tolist() == [1, 1, 1, 1]  # daily charges: the report projects them over the month
    assert frame["Tags"].map(len).sum() == 0


def test_stubber_net_metrics_and_record_types():
    ce, stub = _stubbed()

    def g(keys, billed, eff):
        return {"Keys": keys, "Metrics": {"NetUnblendedCost": {"Amount": billed, "Unit": "USD"},
                                          "NetAmortizedCost": {"Amount": eff, "Unit": "USD"}}}

    stub.add_response("get_cost_and_usage", {"ResultsByTime": [{
        "TimePeriod": {"Start": "2026-01-01", "End": "2026-02-01"}, "Total": {}, "Estimated": False,
        "Groups": [g([EC2, "Usage"], "500.00", "620.00"), g([EC2, "Recurring reservation fee"], "300.00", "0"),
                   g(["Tax", "Tax"], "80.00", "80.00"), g([EC2, "Credit"], "-50.00", "-50.00")]}]},
        expected_params={"TimePeriod": {"Start": "2026-01-01", "End": "2026-02-01"}, "Granularity": "MONTHLY",
                         "Metrics": ["NetUnblendedCost", "NetAmortizedCost"],
                         "GroupBy": [{"Type": "DIMENSION", "Key": "SERVICE"},
                                     {"Type": "DIMENSION", "Key": "RECORD_TYPE"}]})
    with stub:
        frame = open_source("aws-ce:?month=2026-01&granularity=monthly&group=service,charge&net=yes", client=ce,
                            today=date(2026, 5, 1))
    assert frame["ChargeCategory"].tolist() == ["Usage", "Purchase", "Tax", "Credit"]
    # billed 500 + 300 + 80 - 50 = 830; effective 620 + 0 + 80 - 50 = 650 (the fee spread into usage)
    assert frame["BilledCost"].sum() == pytest.approx(830.0)
    assert frame["EffectiveCost"].sum() == pytest.approx(650.0)


def test_stubber_forecast_billed_and_effective():
    ce, stub = _stubbed()
    period = {"Start": "2026-03-10", "End": "2026-04-01"}
    for metric, mean, low, high in (("UNBLENDED_COST", "2100.00", "1900.00", "2300.00"),
                                    ("AMORTIZED_COST", "1950.00", "1800.00", "2100.00")):
        stub.add_response("get_cost_forecast", {
            "Total": {"Amount": mean, "Unit": "USD"},
            "ForecastResultsByTime": [{"TimePeriod": period, "MeanValue": mean,
                                       "PredictionIntervalLowerBound": low, "PredictionIntervalUpperBound": high}]},
            expected_params={"TimePeriod": period, "Metric": metric, "Granularity": "MONTHLY",
                             "PredictionIntervalLevel": 80})
    with stub:
        f = forecast("aws-ce:?month=2026-03&granularity=monthly", client=ce, today=date(2026, 3, 10))
        stub.assert_no_pending_responses()
    assert len(f) == 1
    row = f.iloc[0]
    assert (row.ForecastBilledCost, row.ForecastBilledCostLower, row.ForecastBilledCostUpper) == (2100.0, 1900.0, 2300.0)
    assert (row.ForecastEffectiveCost, row.ForecastEffectiveCostLower) == (1950.0, 1800.0)
    assert row.BillingCurrency == "USD" and row.ChargePeriodStart.isoformat() == "2026-03-10T00:00:00+00:00"


def test_forecast_of_a_past_month_is_bad_input():
    ce, _ = _stubbed()
    with pytest.raises(InputError, match="month 2026-01 is over"):
        forecast("aws-ce:?month=2026-01", client=ce, today=date(2026, 3, 10))


def test_api_error_is_one_line_without_the_secret(monkeypatch):
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    ce = boto3.client("ce", region_name="us-east-1")
    stub = Stubber(ce)
    # a service message echoing the key (as a misconfigured proxy might) must not reach the user
    stub.add_client_error("get_cost_and_usage", "AccessDeniedException",
                          f"User is not authorized (key {secret})\nsecond line", http_status_code=400)
    with stub, pytest.raises(CostAPIError) as e:
        open_source("aws-ce:?month=2026-02", client=ce, today=date(2026, 6, 1))
    msg = str(e.value)
    assert secret not in msg and "[redacted]" in msg and "\n" not in msg
    assert "AccessDeniedException" in msg and "ce:GetCostAndUsage" in msg
    assert e.value.exit_code == 2


def test_network_error_is_one_line():
    ce = boto3.client("ce", region_name="us-east-1", endpoint_url="http://127.0.0.1:9",
                      config=Config(retries={"total_max_attempts": 1}, connect_timeout=2))
    with pytest.raises(CostAPIError, match=r"cannot reach Cost Explorer \(EndpointConnectionError") as e:
        open_source("aws-ce:?month=2026-02", client=ce, today=date(2026, 6, 1))
    assert "\n" not in str(e.value) and e.value.exit_code == 2


def test_cli_report_with_cost_explorer_actuals(aws, runner):
    from planner.cli import main

    _inject(PAGE_2)
    r = runner.invoke(main, ["report", str(REPO / "scenarios" / "chat-assistant.yaml"), "--month", "2026-02",
                             "--actuals", "aws-ce:?month=2026-02&granularity=monthly&group=service,tag:workload",
                             "--format", "json"])
    assert r.exit_code == 0, r.output
    actual = json.loads(r.stdout)["actual"]
    # February (PAGE_2): billed 1300.00 + 410.75 = 1710.75; effective 1180.40 + 410.75 = 1591.15
    assert actual["billed"] == pytest.approx(1710.75) and actual["effective"] == pytest.approx(1591.15)


def test_cli_network_error_exits_2_with_one_line(runner, monkeypatch):
    from planner.cli import main

    monkeypatch.setenv("AWS_ENDPOINT_URL_COST_EXPLORER", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    r = runner.invoke(main, ["report", str(REPO / "scenarios" / "chat-assistant.yaml"), "--month", "2026-03",
                             "--actuals", "aws-ce:?month=2026-03", "--format", "json"])
    assert r.exit_code == 2, r.output
    assert r.stdout == ""
    err = r.stderr.strip()
    assert err.count("\n") == 0 and err.startswith("Error: aws-ce:?month=2026-03: cannot reach Cost Explorer")
    assert "Traceback" not in r.output


@pytest.mark.parametrize("uri,message", [
    ("aws-ce:?month=2026-3", "month='2026-3' is not a month; write YYYY-MM"),
    ("aws-ce:?months=2026-03", "unknown parameter 'months'; did you mean 'month'"),
    ("aws-ce:?month=2026-03&group=service,region,tag:team", "3 groups given; this API groups by at most 2"),
    ("aws-ce:?month=2026-03&group=servise", "unknown group 'servise'; did you mean 'service'"),
    ("aws-ce:?start=2026-03-01", "give both start= and end="),
    ("aws-ce:?start=2026-03-05&end=2026-03-01", "end 2026-03-01 is not after start 2026-03-05"),
    ("aws-ce:123456789012?month=2026-03", "aws-ce: takes no path"),
    ("aws-ce:?month=2026-03&granularity=hourly", "unknown granularity 'hourly'"),
    ("aws-ce:?month=2026-03&net=maybe", "net='maybe' is not yes or no"),
    ("aws-ce:?month=2027-01", "month 2027-01 has not started"),
])
def test_bad_uris(uri, message):
    ce, _ = _stubbed()
    with pytest.raises(InputError) as e:
        open_source(uri, client=ce, today=date(2026, 6, 1))
    assert message in str(e.value) and str(e.value).startswith(uri)


def test_missing_boto3_says_what_to_install(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "boto3", None)
    with pytest.raises(InputError, match=r"needs the boto3 package; install it with pip install 'planner\[aws\]'"):
        open_source("aws-ce:?month=2026-02", today=date(2026, 6, 1))


def test_default_period_is_the_month_to_date_daily():
    ce, stub = _stubbed()
    stub.add_response("get_cost_and_usage", {"ResultsByTime": [
        {"TimePeriod": {"Start": "2026-03-01", "End": "2026-03-02"}, "Total": {},
         "Groups": [_group([EC2], "10.00", "9.00")], "Estimated": True}]},
        expected_params={"TimePeriod": {"Start": "2026-03-01", "End": "2026-03-02"}, "Granularity": "DAILY",
                         "Metrics": ["UnblendedCost", "AmortizedCost"],
                         "GroupBy": [{"Type": "DIMENSION", "Key": "SERVICE"}]})
    with stub:
        frame = open_source("aws-ce:", client=ce, today=date(2026, 3, 1))
    assert frame["BilledCost"].tolist() == [10.0] and not math.isnan(frame["EffectiveCost"].iloc[0])


def test_no_credentials_is_one_line(monkeypatch, tmp_path):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(CostAPIError, match=r"^aws-ce:\?month=2026-02: no AWS credentials found; run `aws configure`"):
        open_source("aws-ce:?month=2026-02", today=date(2026, 6, 1))
    with pytest.raises(CostAPIError, match="AWS profile 'nope' is not in the AWS config"):
        open_source("aws-ce:?month=2026-02&profile=nope", today=date(2026, 6, 1))

"""`planner catalog refresh` end to end: the CLI, the real adapter, a real SDK client on a fake transport.

The registry entry of each cloud is replaced by a factory building the real adapter around a real
client: boto3 ``pricing``/``ec2`` clients under botocore's Stubber, google-cloud-billing's
``CloudCatalogClient`` (REST) pointed at a local HTTP server, and a ``requests.Session`` under
``responses``. The fakes and their fixtures are the ones tests/sources/ uses; every figure comes from
tests/fixtures/<cloud>/ (the README there names each figure's source) and the expected prices are
worked out in the comments below.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import pricing.sources
from planner.cli import main
from pricing import store
from pricing.sources.http import NO_WAIT, RetryPolicy
from tests.sources.conftest import azure_api, gcp_server  # noqa: F401 - fixtures used by name below
from tests.sources.test_aws import EC2_GPU, NOW, client, load_json, page, params, spot_rows
from tests.sources.test_gcp import catalog_client

REPO = Path(__file__).resolve().parents[1]
SCENARIO = str(REPO / "scenarios" / "batch-embeddings.yaml")
# Persistent failures give up after 3 attempts, without waiting.
GIVE_UP_FAST = RetryPolicy(attempts=3, initial_wait_s=0, max_wait_s=0, jitter_s=0, sleep=lambda _s: None)


# -- helpers ---------------------------------------------------------------------------------------
def cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def active_catalog() -> str:
    r = cli("catalog", "list", "--format", "json")
    assert r.exit_code == 0, r.output
    active = [row["name"] for row in json.loads(r.stdout) if row["active"]]
    assert len(active) == 1, r.stdout
    return active[0]


def show(name: str, provider: str, region: str) -> list[dict[str, Any]]:
    r = cli("catalog", "show", name, "--provider", provider, "--region", region, "--format", "json")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def one(offers: list[dict[str, Any]], **want: Any) -> dict[str, Any]:
    found = [o for o in offers if all(o.get(k) == v for k, v in want.items())]
    assert len(found) == 1, (want, found)
    return found[0]


def tiers(offers: list[dict[str, Any]], **want: Any) -> list[tuple[Decimal, Decimal | None, Decimal]]:
    rows = [o for o in offers if all(o.get(k) == v for k, v in want.items())]
    return sorted(
        (
            Decimal(o["tier_start"]),
            None if o["tier_end"] is None else Decimal(o["tier_end"]),
            Decimal(o["price"]),
        )
        for o in rows
    )


def price(offer: dict[str, Any]) -> Decimal:
    return Decimal(offer["price"])


def refresh(cloud: str, region: str, name: str) -> Result:
    return cli("catalog", "refresh", "--cloud", cloud, "--region", region, "--name", name)


def assert_refreshed(r: Result, cloud: str, name: str) -> list[str]:
    """Exit 0, the snapshot active and layered on embedded; returns the output lines."""
    assert r.exit_code == 0, r.output
    assert active_catalog() == name
    manifest = store.read_manifest(name)
    assert manifest["extra"]["base"] == "embedded" and manifest["extra"]["cloud"] == cloud
    lines = r.stdout.splitlines()
    assert lines[0].startswith(f"Wrote snapshot {name!r}: ") and lines[-1] == f"Now using catalog {name!r}"
    # The fetch summary line: as many offers as the snapshot holds (its own offers, not the layered base).
    read = [line for line in lines if line.startswith("  read: ")]
    assert len(read) == 1, lines
    assert read[0].startswith(f"  read: {len(store.load_snapshot(name).offers)} offers (")
    return lines


def compare(*args: str) -> dict[str, Any]:
    r = cli("compare", SCENARIO, "--format", "json", *args)
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def assert_compare_prices_all_clouds(name: str, cloud: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Compare with the new snapshot: the two other clouds priced exactly as on embedded.

    Returns the refreshed cloud's summary and line items. The fake APIs list only a few instance
    types, so the refreshed region lacks some GPUs of the scenario: layering replaces a provider's
    prices per (region, resource), so the workloads they would run on are reported unavailable.
    """
    out, baseline = compare(), compare("--catalog", "embedded")
    assert out["catalog"]["name"] == name and baseline["catalog"]["name"] == "embedded"
    assert {c["cloud"] for c in out["clouds"]} == {"aws", "gcp", "azure"}
    for other in {"aws", "gcp", "azure"} - {cloud}:
        mine = [c for c in out["clouds"] if c["cloud"] == other]
        assert mine == [c for c in baseline["clouds"] if c["cloud"] == other]
        assert mine[0]["complete"] and out["totals"][other] == baseline["totals"][other] > 0
        assert [li for li in out["line_items"] if li["cloud"] == other] == [
            li for li in baseline["line_items"] if li["cloud"] == other
        ]
    summary = next(c for c in out["clouds"] if c["cloud"] == cloud)
    return summary, [li for li in out["line_items"] if li["cloud"] == cloud]


# -- AWS -------------------------------------------------------------------------------------------
def aws_stub_region(ps: Any, es: Any, region: str = "us-east-1") -> None:
    """Queue every call AwsSource makes for one region, in its order (GPU family only)."""
    from pricing.sources.aws import term_filters

    products = load_json("aws", "ec2_gpu_us-east-1.json")
    ps.add_response("get_products", page(products[:2], "tok-2"), params("AmazonEC2", EC2_GPU))
    ps.add_response("get_products", page(products[2:]), params("AmazonEC2", EC2_GPU, "tok-2"))
    rows = spot_rows()
    spot = {
        "InstanceTypes": ["g5.xlarge", "g6.xlarge", "p5.48xlarge", "p5e.48xlarge"],
        "ProductDescriptions": ["Linux/UNIX"],
        "StartTime": NOW,
    }
    es.add_response("describe_spot_price_history", {"SpotPriceHistory": rows[:7], "NextToken": "s2"}, spot)
    es.add_response("describe_spot_price_history", {"SpotPriceHistory": rows[7:]}, spot | {"NextToken": "s2"})
    data = load_json("aws", "storage_transfer_us-east-1.json")
    storage = [
        ("AmazonEC2", {"productFamily": "Storage", "volumeApiName": "gp3"}, data["ebs_gp3"]),
        ("AmazonEC2", {"productFamily": "Storage", "volumeApiName": "st1"}, []),
        ("AmazonS3", {"productFamily": "Storage"}, data["s3_storage"]),
        ("AmazonS3", {"productFamily": "API Request"}, data["s3_requests"]),
        ("AmazonS3GlacierDeepArchive", {}, data["s3_deep_archive"]),
    ]
    for service, fields, body in storage:
        ps.add_response(
            "get_products", page(body), params(service, term_filters(regionCode=region, **fields))
        )
    transfer = term_filters(fromRegionCode=region, transferType="AWS Outbound")
    ps.add_response("get_products", page(data["transfer"]), params("AWSDataTransfer", transfer))


@dataclass
class AwsFakes:
    ps: Any  # Stubber on the pricing client
    es: Any  # Stubber on the ec2 client
    retry: RetryPolicy = NO_WAIT


@pytest.fixture
def aws_clients(monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsFakes]:
    """Active Stubbers; the registry's "aws" builds AwsSource on their clients with ``fakes.retry``."""
    from botocore.stub import Stubber

    from pricing.sources.aws import AwsSource

    pricing_client, ec2 = client("pricing"), client("ec2")
    with Stubber(pricing_client) as ps, Stubber(ec2) as es:
        fakes = AwsFakes(ps, es)

        def factory(**kw: Any) -> AwsSource:
            return AwsSource(
                pricing_client,
                lambda region: ec2,
                instance_families=["GPU instance"],
                retry=fakes.retry,
                clock=lambda: NOW,
                **kw,
            )

        monkeypatch.setitem(pricing.sources.SOURCES, "aws", factory)
        yield fakes


def test_aws_refresh_end_to_end(aws_clients: AwsFakes) -> None:
    ps, es = aws_clients.ps, aws_clients.es
    aws_stub_region(ps, es)
    r = refresh("aws", "us-east-1", "aws-live")
    lines = assert_refreshed(r, "aws", "aws-live")
    ps.assert_no_pending_responses()
    es.assert_no_pending_responses()
    # Items read: 4 GPU products + 12 spot rows + EBS gp3 1 + S3 storage 4 + S3 requests 2
    # + Deep Archive 1 + transfer 1 = 25.
    # Offers: 4 on-demand (p5e.48xlarge without a price) + g5 reserved 1y (its 3y term is sold Partial
    # Upfront only, not No Upfront) + a capacity reservation at the on-demand rate for each of the 3 priced
    # types + spot for g5 and g6 = 10; EBS gp3 1; S3 Standard 3 tiers + Standard-IA + Deep Archive (from
    # AmazonS3GlacierDeepArchive) = 5 (One Zone-IA and the AmazonS3 Deep Archive staging usage skipped);
    # PUT and GET 2; internet egress 4 tiers -> 10 + 1 + 5 + 2 + 4 = 22.
    assert (
        "  read: 22 offers (1 without price) from 25 items; skipped 2 "
        "(s3_deep_archive_staging: 1, storage_product_not_modeled: 1)" in lines
    )

    offers = show("aws-live", "aws", "us-east-1")
    # refreshed price points replace embedded's; the instance types the fake does not list stay
    assert sum(o["source"].startswith("aws:") for o in offers) == 22  # every fetched offer is a us-east-1 price point
    assert one(offers, instance_type="g4dn.xlarge", purchase_option="on_demand")["source"].startswith("skypilot")
    g5 = one(offers, instance_type="g5.xlarge", purchase_option="on_demand")
    assert (
        price(g5) == Decimal("1.006") and g5["accelerator"] == "A10G"
    )  # the price list's 1.0060000000 USD/h
    # reserved 1y headline = standard No Upfront: 0 upfront / 8760 h + 0.633 USD/h = 0.633
    assert price(one(offers, instance_type="g5.xlarge", purchase_option="reserved_1y")) == Decimal("0.633")
    # spot: each AZ's latest price 0.5070, 0.4591, 0.4886, 0.4670, 0.4905 -> median 0.4886
    assert price(one(offers, instance_type="g5.xlarge", purchase_option="spot")) == Decimal("0.4886")
    # p5e.48xlarge is listed without an OnDemand term: missing (null), never 0
    assert one(offers, instance_type="p5e.48xlarge", purchase_option="on_demand")["price"] is None
    # S3 Standard: 0.023 for the first 50 TB (51,200 GB), 0.022 up to 500 TB (512,000 GB), 0.021 beyond
    assert tiers(offers, resource="storage", storage_class="object_standard") == [
        (Decimal(0), Decimal(51200), Decimal("0.023")),
        (Decimal(51200), Decimal(512000), Decimal("0.022")),
        (Decimal(512000), None, Decimal("0.021")),
    ]
    # internet egress: 0.09 for the first 10 TB (10,240 GB), 0.085 to 50 TB, 0.07 to 150 TB, 0.05 beyond
    assert tiers(offers, resource="egress") == [
        (Decimal(0), Decimal(10240), Decimal("0.09")),
        (Decimal(10240), Decimal(51200), Decimal("0.085")),
        (Decimal(51200), Decimal(153600), Decimal("0.07")),
        (Decimal(153600), None, Decimal("0.05")),
    ]
    # The other clouds and AWS's other regions still come from embedded.
    assert show("aws-live", "gcp", "us-central1") and show("aws-live", "aws", "us-west-2")
    summary, items = assert_compare_prices_all_clouds("aws-live", "aws")
    by_workload = {(li["workload"], li["resource"]): li for li in items}
    # nightly-embeddings: 8 x g6.xlarge (1 L4) on spot, the refreshed median 0.4083 USD/h
    # ((0.4064 + 0.4102) / 2, see above) x 952.381 instance-hours = 388.857..., plus the spot interruption
    # overhead for batch work (planner/interruptions.py: 0.2 / 730 per instance-hour x 25 min lost
    # = 0.000114155): 388.857 x 1.000114155 = 388.902 -> 388.90
    emb = by_workload[("nightly-embeddings", "instance")]
    assert (emb["instance_type"], emb["purchase_option"], emb["unit_price"]) == ("g6.xlarge", "spot", 0.4083)
    assert emb["monthly_cost"] == 388.9
    # feature-store: 20,000 GB growing 1,500 GB a month, billed on month 1's average (20,000 + 21,500) / 2
    # = 20,750 GB-months of S3 Standard-IA x 0.0125 = 259.375 -> 259.38
    assert by_workload[("feature-store", "storage")]["monthly_cost"] == 259.38
    # The fake lists no T4 instance and no Standard-IA request prices for us-east-1: those keep the
    # embedded prices the snapshot is layered on (g4dn.xlarge spot 0.2131 x 200 h x 1.000114155 = 42.625 -> 42.62;
    # 20M reads x 0.001 per 1,000 = 20.00), so AWS stays complete:
    # 388.9015 + 42.6249 + 259.375 + 20.00 = 710.9014 -> 710.90
    retrain = by_workload[("ranking-retrain", "instance")]
    assert (retrain["instance_type"], retrain["monthly_cost"]) == ("g4dn.xlarge", 42.62)
    assert summary["complete"] and summary["total"] == 710.9


# -- GCP -------------------------------------------------------------------------------------------
@pytest.fixture
def gcp_source(gcp_server: Any, monkeypatch: pytest.MonkeyPatch) -> Any:  # noqa: F811
    """The fake server; the registry's "gcp" builds GcpSource on a REST CloudCatalogClient aimed at it."""
    from pricing.sources.gcp import GcpSource

    fake, endpoint = gcp_server
    fake.retry = NO_WAIT

    def factory(**kw: Any) -> GcpSource:
        return GcpSource(catalog_client(endpoint), retry=fake.retry, **kw)

    monkeypatch.setitem(pricing.sources.SOURCES, "gcp", factory)
    return fake


def test_gcp_refresh_end_to_end(gcp_source: Any) -> None:
    r = refresh("gcp", "us-central1", "gcp-live")
    lines = assert_refreshed(r, "gcp", "gcp-live")
    # Items read: 44 Compute Engine + 5 Cloud Storage + 3 Networking SKUs = 52; among those skipped are
    # the N2 custom core, Coldline, egress to China, the sole-tenancy T4 and the A3 commitment listed
    # under usage type OnDemand, one each.
    read = next(line for line in lines if line.startswith("  read: "))
    assert " from 52 items; skipped " in read
    for reason in (
        "compute_sku_not_modeled: 1",
        "storage_class_not_modeled: 1",
        "egress_destination_not_modeled: 1",
        "sole_tenancy: 1",
        "commitment_not_on_demand: 1",
    ):
        assert reason in read

    offers = show("gcp-live", "gcp", "us-central1")
    assert any(o["source"].startswith("gcp:") for o in offers)

    def n2(po: str) -> Decimal:
        return price(one(offers, instance_type="n2-standard-8", purchase_option=po))

    # on-demand: 8 vCPU x 0.031611 + 32 GiB x 0.004237 = 0.252888 + 0.135584 = 0.388472
    assert n2("on_demand") == Decimal("0.388472")
    # spot: 8 x 0.00929 + 32 x 0.001605 = 0.07432 + 0.05136 = 0.12568
    assert n2("spot") == Decimal("0.12568")
    # 1-year commitment: 8 x 0.019915 + 32 x 0.002669 = 0.15932 + 0.085408 = 0.244728
    assert n2("committed_1y") == Decimal("0.244728")
    # g2-standard-8 (1 L4): 8 x 0.024988 + 32 x 0.002927 + 0.56004 = 0.199904 + 0.093664 + 0.56004 = 0.853608
    g2 = one(offers, instance_type="g2-standard-8", purchase_option="on_demand")
    assert price(g2) == Decimal("0.853608") and g2["accelerator"] == "L4"
    # Cloud Storage Iowa Standard 0.02 per GB-month
    assert price(one(offers, resource="storage", storage_class="object_standard")) == Decimal("0.02")
    # premium egress to the Americas: 0.12 for the first TiB (1,024), 0.11 to 10 TiB, 0.08 beyond
    assert tiers(offers, resource="egress") == [
        (Decimal(0), Decimal(1024), Decimal("0.12")),
        (Decimal(1024), Decimal(10240), Decimal("0.11")),
        (Decimal(10240), None, Decimal("0.08")),
    ]
    assert show("gcp-live", "aws", "us-east-1") and show("gcp-live", "azure", "eastus")
    summary, items = assert_compare_prices_all_clouds("gcp-live", "gcp")
    by_workload = {(li["workload"], li["resource"]): li for li in items}
    # The fake has no G2 or L4 spot SKU, so the refresh carries no g2 spot price and the embedded one is
    # kept (layering replaces per purchase option): the L4 batch runs on spot on g2-standard-4 at the
    # embedded 0.29598 USD/h (pricing/data/embedded.csv), below the refreshed on-demand
    # 4 x 0.024988 + 16 x 0.002927 + 1 x 0.56004 = 0.099952 + 0.046832 + 0.56004 = 0.706824 USD/h
    emb = by_workload[("nightly-embeddings", "instance")]
    assert (emb["instance_type"], emb["purchase_option"], emb["unit_price"]) == ("g2-standard-4", "spot", 0.29598)
    assert price(one(offers, instance_type="g2-standard-4", purchase_option="on_demand")) == Decimal("0.706824")
    # ranking-retrain on n1-standard-4+T4x4. On demand, refreshed: 4 x 0.031611 + 15 x 0.004237 + 4 x 0.35
    # = 0.126444 + 0.063555 + 1.4 = 1.589999 USD/h, x 50 h (200 T4-hours / 4 GPUs) = 79.49995 -> 79.50.
    # The fake has no T4 spot SKU, so the embedded spot price 0.73137 USD/h is kept and wins: 50 h plus the
    # spot interruption overhead (20 interruptions per 100 instance-months: 0.2 / 730 per hour x 25 min
    # lost = 0.000114) = 50.0057 h x 0.73137 = 36.5727 -> 36.57
    retrain = by_workload[("ranking-retrain", "instance")]
    assert (retrain["instance_type"], retrain["purchase_option"], retrain["unit_price"], retrain["monthly_cost"]) == (
        "n1-standard-4+T4x4",
        "spot",
        0.73137,
        36.57,
    )
    assert retrain["cost_by_purchase_option"]["on_demand"]["monthly_cost"] == 79.5
    # feature-store: 20,750 GB-months (month 1's average of 20,000 and 21,500 GB) Nearline x 0.01 = 207.50
    # (refreshed); read requests from embedded (not fetched)
    assert by_workload[("feature-store", "storage")]["monthly_cost"] == 207.5
    assert summary["complete"] and not summary["unpriced"]


# -- Azure -----------------------------------------------------------------------------------------
@pytest.fixture
def azure_source(azure_api: Any, monkeypatch: pytest.MonkeyPatch) -> Any:  # noqa: F811
    """The fake Retail Prices API; the registry's "azure" builds AzureSource on a requests.Session."""
    import requests

    from pricing.sources.azure import AzureSource

    azure_api.retry = NO_WAIT

    def factory(**kw: Any) -> AzureSource:
        return AzureSource(requests.Session(), retry=azure_api.retry, **kw)

    monkeypatch.setitem(pricing.sources.SOURCES, "azure", factory)
    return azure_api


def test_azure_refresh_end_to_end(azure_source: Any) -> None:
    r = refresh("azure", "eastus", "azure-live")
    lines = assert_refreshed(r, "azure", "azure-live")
    # Items the four eastus queries return from the fixture, and what becomes of them:
    #   VMs, Consumption: 6 items -> D2s v5 on-demand (+ savings plan 1y and 3y), spot; NC24ads on-demand,
    #     spot = 6 offers; Low Priority and Windows skipped (DevTest is not asked for)
    #   VMs, Reservation: 3 items -> E64 v4 1y, D2s v5 3y = 2 offers; the 5-year term skipped
    #   Blob Storage: 9 items -> Hot (3 tiers), Cool, Archive, write and read operations = 7 offers;
    #     Cold (no class) and GRS skipped
    #   Bandwidth (Rtn Preference: MGN, Standard Data Transfer Out): 5 items -> 5 tiers
    # = 20 offers from 23 items, 5 skipped.
    assert (
        "  read: 20 offers (0 without price) from 23 items; skipped 5 (low_priority: 1, windows: 1, "
        "reservation_term: 1, storage_class_not_modeled: 1, storage_meter_not_modeled: 1)" in lines
    )

    offers = show("azure-live", "azure", "eastus")
    assert any(o["source"] == "azure:retail-prices" for o in offers)
    a100 = one(offers, instance_type="Standard_NC24ads_A100_v4", purchase_option="on_demand")
    assert price(a100) == Decimal("3.673") and a100["accelerator"] == "A100-80GB"  # retailPrice 3.673 USD/h
    assert price(one(offers, instance_type="Standard_D2s_v5", purchase_option="spot")) == Decimal("0.020362")
    # E64 v4 1-year reservation: 25007.0 USD for the term / 8760 h = 2.85468036529... -> 2.8546803653
    e64 = one(offers, instance_type="Standard_E64_v4", purchase_option="reserved_1y")
    assert price(e64) == Decimal("2.8546803653")
    # Blob Hot LRS: 0.0184 to 51,200 GB, 0.0177 to 512,000 GB, 0.017 beyond
    assert tiers(offers, resource="storage", storage_class="object_standard") == [
        (Decimal(0), Decimal(51200), Decimal("0.0184")),
        (Decimal(51200), Decimal(512000), Decimal("0.0177")),
        (Decimal(512000), None, Decimal("0.017")),
    ]
    # egress: the first 100 GB free (a price of 0, not missing), then 0.087 / 0.083 / 0.07 / 0.05
    assert tiers(offers, resource="egress") == [
        (Decimal(0), Decimal(100), Decimal(0)),
        (Decimal(100), Decimal(10340), Decimal("0.087")),
        (Decimal(10340), Decimal(51300), Decimal("0.083")),
        (Decimal(51300), Decimal(153700), Decimal("0.07")),
        (Decimal(153700), None, Decimal("0.05")),
    ]
    assert show("azure-live", "aws", "us-east-1") and show("azure-live", "azure", "westus2")
    summary, items = assert_compare_prices_all_clouds("azure-live", "azure")
    # feature-store: 20,750 GB-months (month 1's average of 20,000 and 21,500 GB) of Cool LRS x 0.01 = 207.50
    # from the refresh. The fake lists no T4, A10 or
    # L4 VM and no Cool read operations: those keep the embedded prices, so Azure stays complete, and
    # everything but the storage line is priced exactly as on embedded.
    storage = next(li for li in items if li["resource"] == "storage")
    assert (storage["unit_price"], storage["monthly_cost"]) == (0.01, 207.5) and summary["complete"]
    base = {(li["workload"], li["resource"]): li["monthly_cost"] for li in compare("--catalog", "embedded")["line_items"]
            if li["cloud"] == "azure"}
    mine = {(li["workload"], li["resource"]): li["monthly_cost"] for li in items}
    assert {k: v for k, v in mine.items() if k[1] != "storage"} == {k: v for k, v in base.items() if k[1] != "storage"}
    assert summary["total"] == round(sum(v for k, v in mine.items()), 2)


# -- failures --------------------------------------------------------------------------------------
@pytest.fixture
def prev_active() -> Iterator[str]:
    """A refreshed-earlier state: snapshot "prev" (a copy of embedded's offers) active."""
    from pricing.catalog import load_embedded

    store.write_snapshot("prev", load_embedded().offers, source="earlier refresh", fetched_at="2026-11-01")
    assert cli("catalog", "use", "prev").exit_code == 0
    yield "prev"


def assert_failed_cleanly(r: Result, cloud_word: str, listing_before: str) -> str:
    assert r.exit_code == 1, r.output
    assert r.stdout == ""
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("Error: "), r.stderr
    line = r.stderr.rstrip("\n")
    assert cloud_word in line and line.endswith("; catalog 'prev' is still active"), line
    assert cli("catalog", "list", "--format", "json").stdout == listing_before
    assert active_catalog() == "prev"
    assert sorted(p.name for p in store.snapshots_dir().iterdir()) == ["prev"]  # no "broken", no .tmp-*
    return line


def test_aws_throttling_that_never_ends(aws_clients: AwsFakes, prev_active: str) -> None:
    ps = aws_clients.ps
    aws_clients.retry = GIVE_UP_FAST
    for _ in range(3):
        ps.add_client_error("get_products", "ThrottlingException", "Rate exceeded", 400)
    before = cli("catalog", "list", "--format", "json").stdout
    line = assert_failed_cleanly(refresh("aws", "us-east-1", "broken"), "AWS", before)
    assert line == (
        "Error: AWS get_products (AmazonEC2 GPU instance, us-east-1) failed after 3 attempts "
        "(ThrottlingException); wait a few minutes and run the refresh again; catalog 'prev' is still active"
    )
    ps.assert_no_pending_responses()  # all three attempts were made


def test_gcp_server_errors(gcp_source: Any, prev_active: str) -> None:
    gcp_source.retry = GIVE_UP_FAST
    internal = (500, {"error": {"code": 500, "message": "Internal error", "status": "INTERNAL"}})
    gcp_source.fail_at = {
        n: internal for n in range(2, 5)
    }  # services read, then every try of the first SKU page
    before = cli("catalog", "list", "--format", "json").stdout
    line = assert_failed_cleanly(refresh("gcp", "us-central1", "broken"), "GCP", before)
    assert line.startswith("Error: GCP list_skus (Compute Engine) failed after 3 attempts (HTTP 500)")


def test_gcp_damaged_page_halfway(gcp_source: Any, prev_active: str) -> None:
    # The third Compute Engine page is truncated JSON, after six SKUs were already read.
    gcp_source.fail_at = {3: (200, '{"skus": [{"name": "services/6F81-5844-456A/skus/')}
    before = cli("catalog", "list", "--format", "json").stdout
    line = assert_failed_cleanly(refresh("gcp", "us-central1", "broken"), "GCP", before)
    assert "could not be parsed" in line


def test_azure_malformed_second_page(azure_source: Any, prev_active: str) -> None:
    pages = {"n": 0}

    def tamper(body: dict[str, Any]) -> Any:
        pages["n"] += 1  # page 1 is whole (two offers read), page 2 is cut off mid-item
        return body if pages["n"] == 1 else '{"Items": [{"meterName": "D2s v5", "retailPr'

    azure_source.tamper = tamper
    before = cli("catalog", "list", "--format", "json").stdout
    line = assert_failed_cleanly(refresh("azure", "eastus", "broken"), "Azure", before)
    assert "not valid JSON" in line and pages["n"] == 2


def test_azure_throttled_to_the_end(azure_source: Any, prev_active: str) -> None:
    azure_source.retry = GIVE_UP_FAST
    azure_source.faults = [(429, {"Retry-After": "0"}, {"Error": {"Code": "TooManyRequests"}})] * 3
    before = cli("catalog", "list", "--format", "json").stdout
    line = assert_failed_cleanly(refresh("azure", "eastus", "broken"), "Azure", before)
    assert "failed after 3 attempts (HTTP 429" in line and len(azure_source.requests) == 3


# -- the fetch summary line ------------------------------------------------------------------------
def test_refresh_without_fetch_statistics_prints_no_summary(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.test_catalog_cli import SNAP, FakeSource

    monkeypatch.setitem(pricing.sources.SOURCES, "aws", lambda **kw: FakeSource(SNAP))
    r = refresh("aws", "us-east-1", "plain")
    assert r.exit_code == 0, r.output
    assert "  read: " not in r.stdout and r.stdout.endswith("Now using catalog 'plain'\n")

"""GCP source: the real CloudCatalogClient (REST transport) against a local server speaking the REST JSON.

SKU figures are in tests/fixtures/gcp/skus.json; its README names each figure's source.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from pricing.sources.gcp import GcpSource
from pricing.sources.http import NO_WAIT

CE = "6F81-5844-456A"
REGIONS = ["us-central1", "us-east4"]


def catalog_client(endpoint: str):
    from google.api_core.client_options import ClientOptions
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import billing_v1

    return billing_v1.CloudCatalogClient(
        credentials=AnonymousCredentials(),
        transport="rest",
        client_options=ClientOptions(api_endpoint=endpoint),
    )


def _by(offers, **want):
    found = [o for o in offers if all(getattr(o, k) == v for k, v in want.items())]
    assert len(found) == 1, (want, found)
    return found[0]


@pytest.fixture
def fetched(gcp_server):
    fake, endpoint = gcp_server
    src = GcpSource(catalog_client(endpoint), retry=NO_WAIT)
    return fake, src, list(src.fetch(REGIONS))


def test_requests_page_through_every_service(fetched) -> None:
    fake, src, _ = fetched
    sku_calls = [(path, q) for path, q in fake.seen if path == f"/v1/services/{CE}/skus"]
    # 44 Compute Engine SKUs served 3 per page -> 15 pages, linked by nextPageToken.
    assert [q.get("pageToken") for _, q in sku_calls] == [None] + [str(n) for n in range(3, 44, 3)]
    assert all(q["currencyCode"] == "USD" and q["pageSize"] == "5000" for _, q in sku_calls)
    assert "/v1/services/24E6-581D-38E5/skus" not in [p for p, _ in fake.seen]  # BigQuery is not read
    assert src.stats.items == 44 + 5 + 3


def test_n2_composed_for_each_purchase_option(fetched) -> None:
    _, _, offers = fetched
    n2 = {
        o.purchase_option: o
        for o in offers
        if o.instance_type == "n2-standard-8" and o.region == "us-central1"
    }
    # on-demand: 8 vCPU x 0.031611 + 32 GiB x 0.004237 = 0.252888 + 0.135584 = 0.388472
    # (the SkyPilot/anycloud catalog of 2026-05-20 lists n2-standard-8 us-central1 at 0.38847)
    assert n2["on_demand"].price == Decimal("0.388472")
    # spot: 8 x 0.00929 + 32 x 0.001605 = 0.07432 + 0.05136 = 0.12568 (same catalog: spot 0.12568)
    assert n2["spot"].price == Decimal("0.12568")
    # 1-year commitment: 8 x 0.019915 + 32 x 0.002669 = 0.15932 + 0.085408 = 0.244728
    assert n2["committed_1y"].price == Decimal("0.244728")
    # 3-year commitment: 8 x 0.014225 + 32 x 0.001907 = 0.1138 + 0.061024 = 0.174824
    assert n2["committed_3y"].price == Decimal("0.174824")
    o = n2["on_demand"]
    assert (o.unit, o.vcpus, o.memory_gib, o.accelerator, o.service) == (
        "hour",
        8,
        32,
        None,
        "Compute Engine",
    )
    assert o.sku.count("+") == 1 and o.effective_date == "2026-11-25" and o.source.startswith("gcp:")
    # The "Americas" SKUs list us-east4 as well; the custom-machine SKU is not a part.
    assert _by(
        offers, instance_type="n2-standard-8", region="us-east4", purchase_option="on_demand"
    ).price == Decimal("0.388472")


def test_gpu_machines_add_the_gpu_sku(fetched) -> None:
    _, _, offers = fetched

    def od(itype: str):
        return _by(offers, instance_type=itype, region="us-central1", purchase_option="on_demand")

    # a2-highgpu-1g: 12 x 0.031611 + 85 x 0.004237 + 1 x 2.933908 = 0.379332 + 0.360145 + 2.933908 = 3.673385,
    # Google's published on-demand price for a2-highgpu-1g in us-central1.
    a2 = od("a2-highgpu-1g")
    assert (a2.price, a2.accelerator, a2.accelerator_count) == (Decimal("3.673385"), "A100-40GB", 1)
    # g2-standard-8: 8 x 0.024988 + 32 x 0.002927 + 1 x 0.56004 = 0.199904 + 0.093664 + 0.56004 = 0.853608
    assert od("g2-standard-8").price == Decimal("0.853608")
    # n1-standard-8+T4x1: 8 x 0.031611 + 30 x 0.004237 + 1 x 0.35 = 0.252888 + 0.12711 + 0.35 = 0.729998
    assert od("n1-standard-8+T4x1").price == Decimal("0.729998")
    # n1-standard-8 without a GPU: 0.252888 + 0.12711 = 0.379998
    assert od("n1-standard-8").price == Decimal("0.379998")
    # c3 machines have no parts in the fixture: no offer at all.
    assert not [o for o in offers if o.instance_type == "c3-standard-8"]


def test_a_missing_part_makes_the_price_missing_not_partial(fetched) -> None:
    _, _, offers = fetched
    # Spot: only the A100 GPU SKU is in the fixture, not A2 spot core/RAM -> price missing.
    assert (
        _by(offers, instance_type="a2-highgpu-1g", region="us-central1", purchase_option="spot").price is None
    )
    # Flex-start: the DWS A100 80GB GPU is listed, DWS A2 core and RAM are not -> a2-ultragpu-1g missing.
    flex = _by(offers, instance_type="a2-ultragpu-1g", region="us-central1", purchase_option="flex_start")
    assert flex.price is None and flex.sku.startswith("0030-ABCD-0150")
    # No V100 SKU either.
    assert (
        _by(
            offers, instance_type="n1-standard-8+V100x1", region="us-central1", purchase_option="on_demand"
        ).price
        is None
    )


def test_storage_classes_and_egress_tiers(fetched) -> None:
    _, src, offers = fetched
    storage = {o.storage_class: o.price for o in offers if o.resource == "storage"}
    assert storage == {
        "object_standard": Decimal("0.02"),
        "object_infrequent": Decimal("0.01"),
        "object_archive": Decimal("0.0012"),
    }
    assert {o.unit for o in offers if o.resource == "storage"} == {"GB-month"}
    egress = sorted(
        (o.tier_start, o.tier_end, o.price)
        for o in offers
        if o.resource == "egress" and o.region == "us-central1"
    )
    assert egress == [
        (Decimal(0), Decimal(1024), Decimal("0.12")),
        (Decimal(1024), Decimal(10240), Decimal("0.11")),
        (Decimal(10240), None, Decimal("0.08")),
    ]
    assert src.stats.skipped["storage_class_not_modeled"] == 1  # Coldline
    assert src.stats.skipped["egress_destination_not_modeled"] == 1  # to China
    assert src.stats.skipped["compute_sku_not_modeled"] == 1  # N2 Custom


def test_egress_listed_by_two_services_is_priced_once(gcp_server) -> None:
    fake, endpoint = gcp_server
    legacy = json.loads(json.dumps(fake.skus["E505-1604-58F8"][0]))
    legacy |= {"skuId": "LEGACY-EGRESS", "description": "Network Internet Egress from Americas to Americas"}
    legacy["serviceRegions"] = ["us-central1"]
    fake.skus[CE].append(legacy)  # older catalogs list internet egress under Compute Engine
    src = GcpSource(catalog_client(endpoint), retry=NO_WAIT)
    egress = [o for o in src.fetch(REGIONS) if o.resource == "egress"]
    # Compute Engine is read first: its SKU prices us-central1; Networking's adds only us-east4.
    assert sorted({(o.region, o.sku) for o in egress}) == [
        ("us-central1", "LEGACY-EGRESS"),
        ("us-east4", fake.skus["E505-1604-58F8"][0]["skuId"]),
    ]
    assert len(egress) == 6  # 3 tiers per region


def test_region_filter(gcp_server) -> None:
    _fake, endpoint = gcp_server
    offers = list(
        GcpSource(catalog_client(endpoint), retry=NO_WAIT, include_storage=False, include_egress=False).fetch(
            ["europe-west1"]
        )
    )
    # Only the Belgium N2 core SKU serves europe-west1: n2 machines there lack their RAM part.
    assert offers and {o.region for o in offers} == {"europe-west1"}
    assert {o.instance_type.split("-")[0] for o in offers} == {"n2"}
    assert all(o.price is None for o in offers)


def test_progress_reports_items_per_service(gcp_server) -> None:
    _, endpoint = gcp_server
    seen: list[tuple[str, int]] = []
    list(
        GcpSource(catalog_client(endpoint), retry=NO_WAIT).fetch(
            REGIONS, progress=lambda s, n: seen.append((s, n))
        )
    )
    compute = [n for stage, n in seen if stage == "GCP list_skus (Compute Engine)"]
    assert compute == list(range(3, 44, 3)) + [44]  # running count, page by page
    assert ("GCP list_skus (Networking)", 3) in seen


@pytest.mark.parametrize(
    "description, key",
    [
        ("N2 Instance Core running in Americas", ("core", "N2")),
        ("Spot Preemptible N2 Instance Ram running in Belgium", ("ram", "N2")),
        ("N1 Predefined Instance Core running in Americas", ("core", "N1")),
        ("Commitment v1: C3 Cpu in Americas for 1 Year", ("core", "C3")),
        ("Commitment v1: N2D Ram in EMEA for 3 Year", ("ram", "N2D")),
        ("A3 Mega Instance Core running in Americas", ("core", "A3 Mega")),
        ("Nvidia Tesla T4 GPU running in Americas", ("gpu", "T4", "")),
        ("Nvidia Tesla A100 80GB GPU running in Americas", ("gpu", "A100-80GB", "")),
        (
            "Nvidia H100 80GB GPU attached to Spot Preemptible VMs running in Americas",
            ("gpu", "H100-SXM", ""),
        ),
        ("Nvidia H100 80GB Mega GPU running in Americas", ("gpu", "H100-SXM", "Mega")),
        ("Nvidia L4 GPU running in Netherlands", ("gpu", "L4", "")),
        ("N2D AMD Instance Core running in Americas", ("core", "N2D")),
        ("Commitment v1: C2D AMD Ram in EMEA for 3 Year", ("ram", "C2D")),
        ("Commitment v1: Cpu in Americas for 1 Year", ("core", "N1")),
        ("Commitment v1: Nvidia H100 80GB GPU running in Americas for 1 Year", ("gpu", "H100-SXM", "")),
        ("Nvidia H100 Mega 80GB GPU running in Americas", ("gpu", "H100-SXM", "Mega")),
        ("H200 141GB GPU running in Netherlands", ("gpu", "H200", "")),
        ("Reserved Nvidia H100 80GB Mega GPU in Americas in Calendar Mode", ("gpu", "H100-SXM", "Mega")),
        ("Nvidia H100 80GB Plus GPU running in Americas", ("gpu", "H100-SXM", "Mega")),
        ("Nvidia H100 80GB GPU attached to DWS Defined Duration VMs running in Americas", ("gpu", "H100-SXM", "")),
        ("DWS Defined Duration A3 Core running in Americas", ("core", "A3")),
        ("A3Plus Instance Core running in Americas", ("core", "A3 Mega")),
        ("Spot Preemptible A3Plus Instance Ram running in Tokyo", ("ram", "A3 Mega")),
        ("A3Ultra Instance Ram running in Americas", ("ram", "A3 Ultra")),
        ("SSD backed Local Storage", ("local_ssd", "")),
        ("SSD backed Local Storage attached to Spot Preemptible VMs running in Paris", ("local_ssd", "")),
        ("SSD backed Local Storage in Bangkok", ("local_ssd", "")),
        ("C3 Instance Local SSD running in Iowa", ("local_ssd", "C3")),
        ("SSD backed PD Capacity in Virginia", None),
        ("VM state: preserved local SSD in Bangkok", None),
        ("Cpu running in Americas", None),
        ("N2 Custom Instance Core running in Americas", None),
        ("Memory-optimized Instance Core running in Americas", None),
        ("N2 Sole Tenancy Instance Core running in Americas", None),
    ],
)
def test_part_descriptions(description: str, key) -> None:
    from pricing.sources.gcp_parse import part_key

    assert part_key(description) == key


def test_money_is_exact() -> None:
    from pricing.sources.gcp_parse import money

    assert money("2", 933908000) == Decimal("2.933908")
    assert money(0, 4237000) == Decimal("0.004237")

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
    assert {(o.instance_type or "").split("-")[0] for o in offers} == {"n2"}
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
        (
            "Nvidia H100 80GB GPU attached to DWS Defined Duration VMs running in Americas",
            ("gpu", "H100-SXM", ""),
        ),
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


# -- purchase options, A3 families, bundled local SSD (figures: tests/fixtures/gcp/README.md) --------
H100 = ("gpu", "H100-SXM", "")


def _part(src: GcpSource, key: tuple, option: str, region: str = "us-central1"):
    return src.parts[(key, option, region)]


def test_dws_twin_listed_first_never_becomes_the_on_demand_price(fetched) -> None:
    fake, src, offers = fetched
    listed = [s["description"] for s in fake.skus[CE]]
    dws = listed.index("Nvidia H100 80GB GPU attached to DWS Defined Duration VMs running in Americas")
    assert dws < listed.index("Nvidia H100 80GB GPU running in Americas")  # the trap: DWS comes first
    # The standard SKU is the on-demand H100 ($9.796550569); the DWS twin ($4.200761) is flex_start.
    assert (_part(src, H100, "on_demand").sku_id, _part(src, H100, "on_demand").usd) == (
        "0017-ABCD-00A1",
        Decimal("9.796550569"),
    )
    assert (_part(src, H100, "flex_start").sku_id, _part(src, H100, "flex_start").usd) == (
        "341A-49A5-0C07",
        Decimal("4.200761"),
    )
    # The DWS A3 host parts, also listed first, are flex_start too.
    assert _part(src, ("core", "A3"), "on_demand").usd == Decimal("0.025501")
    assert _part(src, ("core", "A3"), "flex_start").usd == Decimal("0.010934")
    # a3-highgpu-8g on demand: 208 x 0.025501 + 1872 x 0.00222 + 8 x 9.796550569 + 6000 GiB x 0.08 / 730
    # = 5.304208 + 4.15584 + 78.372404552 + 0.657534247 (480 / 730 = 0.65753424657.. to 9 places)
    # = 88.489986799; Google's published a3-highgpu-8g us-central1 on-demand price is about $88.49/h.
    a3 = _by(offers, instance_type="a3-highgpu-8g", region="us-central1", purchase_option="on_demand")
    assert (a3.price, a3.accelerator, a3.accelerator_count) == (Decimal("88.489986799"), "H100-SXM", 8)
    assert a3.sku == "0015-ABCD-0093+0016-ABCD-009A+0017-ABCD-00A1+003C-ABCD-01A4"
    assert "6000 GiB x 0.08 per GiB-month / 730" in a3.source and a3.source.startswith("gcp:")


def test_flex_start_is_composed_from_dws_parts(fetched) -> None:
    _, _, offers = fetched

    def flex(itype: str):
        return _by(offers, instance_type=itype, region="us-central1", purchase_option="flex_start")

    # a3-highgpu-8g: 208 x 0.010934 + 1872 x 0.000952 + 8 x 4.200761 + 6000 x 0.08 / 730
    # = 2.274272 + 1.782144 + 33.606088 + 0.657534247 = 38.320038247 (local SSD at the on-demand rate:
    # the listing has no DWS local SSD SKU, and the source says so)
    a3 = flex("a3-highgpu-8g")
    assert a3.price == Decimal("38.320038247")
    assert a3.sku == "9A32-36B2-7FBC+ED19-A584-4A84+341A-49A5-0C07+003C-ABCD-01A4"
    assert "on-demand rate: no flex_start local SSD SKU" in a3.source
    # a3-highgpu-1g: 26 x 0.010934 + 234 x 0.000952 + 4.200761 + 750 x 0.08 / 730
    # = 0.284284 + 0.222768 + 4.200761 + 0.082191781 = 4.790004781
    assert flex("a3-highgpu-1g").price == Decimal("4.790004781")
    # A3 Mega: the DWS Mega GPU is listed but no DWS A3 Mega core/RAM -> the price is missing.
    mega = flex("a3-megagpu-8g")
    assert mega.price is None and mega.sku.startswith("0037-ABCD-0181")
    # No DWS N1/T4 parts in us-central1: no flex_start offer for N1 machines.
    assert not [
        o for o in offers if (o.instance_type or "").startswith("n1-") and o.purchase_option == "flex_start"
    ]


def test_calendar_mode_gpu_is_its_own_option(fetched) -> None:
    _, src, offers = fetched
    mega_gpu = ("gpu", "H100-SXM", "Mega")
    # "Reserved Nvidia H100 80GB Mega GPU in Americas in Calendar Mode" (usage type OnDemand) is the
    # calendar price, not a reservation to skip and never the on-demand price ($10.344275712).
    assert _part(src, mega_gpu, "calendar").usd == Decimal("4.841121")
    assert _part(src, mega_gpu, "on_demand").usd == Decimal("10.344275712")
    cal = [o for o in offers if o.purchase_option == "calendar"]
    # Only a3-megagpu-8g has a calendar part; the listing has no calendar-mode A3 Mega core/RAM, so the
    # host is unpriced and so is the machine.
    assert [(o.instance_type, o.price) for o in cal] == [("a3-megagpu-8g", None)]
    assert cal[0].sku == "0038-ABCD-0188+003C-ABCD-01A4"


def test_a3_mega_hosts_are_a3plus_skus(fetched) -> None:
    _, _, offers = fetched
    # a3-megagpu-8g: 208 x 0.026924 (A3Plus core) + 1872 x 0.002344 (A3Plus RAM) + 8 x 10.344275712
    # ("Nvidia H100 80GB Plus GPU") + 6000 x 0.08 / 730 = 5.600192 + 4.387968 + 82.754205696 + 0.657534247
    # = 93.399899943
    mega = _by(offers, instance_type="a3-megagpu-8g", region="us-central1", purchase_option="on_demand")
    assert mega.price == Decimal("93.399899943")
    assert mega.sku == "0039-ABCD-018F+003A-ABCD-0196+003B-ABCD-019D+003C-ABCD-01A4"
    # The Plus GPU prices A3 Mega only: a3-highgpu keeps the standard H100 SKU (checked above) and no
    # other machine uses the Mega variant.
    assert {o.instance_type for o in offers if "003B-ABCD-019D" in o.sku} == {"a3-megagpu-8g"}


def test_bundled_local_ssd_priced_per_option(fetched) -> None:
    _, _, offers = fetched

    def get(itype: str, po: str):
        return _by(offers, instance_type=itype, region="us-central1", purchase_option=po)

    # a2-ultragpu-1g (375 GiB local SSD): 12 x 0.031611 + 170 x 0.004237 + 3.92808 + 375 x 0.08 / 730
    # = 0.379332 + 0.72029 + 3.92808 + 0.04109589 (30 / 730 = 0.0410958904..) = 5.06879789
    a2u = get("a2-ultragpu-1g", "on_demand")
    assert a2u.price == Decimal("5.06879789") and a2u.accelerator == "A100-80GB"
    # Spot uses the spot local SSD SKU (listed with usage type OnDemand, spot by its description):
    # a3-highgpu-8g: 208 x 0.0102 + 1872 x 0.000888 + 8 x 6.114395 + 6000 x 0.064 / 730
    # = 2.1216 + 1.662336 + 48.91516 + 0.526027397 (384 / 730) = 53.225123397
    spot = get("a3-highgpu-8g", "spot")
    assert spot.price == Decimal("53.225123397") and spot.sku.endswith("+003D-ABCD-01AB")


def test_a_machine_without_its_local_ssd_sku_is_unpriced(gcp_server) -> None:
    fake, endpoint = gcp_server
    fake.skus[CE] = [s for s in fake.skus[CE] if s["description"] != "SSD backed Local Storage"]
    offers = list(GcpSource(catalog_client(endpoint), retry=NO_WAIT).fetch(["us-central1"]))
    a3 = _by(offers, instance_type="a3-highgpu-8g", region="us-central1", purchase_option="on_demand")
    assert a3.price is None and "local SSD 6000 GiB unpriced" in a3.source
    # Spot keeps its own local SSD SKU, and machines without bundled SSD are unaffected.
    assert _by(offers, instance_type="a3-highgpu-8g", region="us-central1", purchase_option="spot").price
    assert _by(
        offers, instance_type="n1-standard-8", region="us-central1", purchase_option="on_demand"
    ).price == Decimal("0.379998")


def test_machines_not_sold_on_demand_get_no_on_demand_offer(fetched) -> None:
    from pricing.instances import instance_shape

    _, _, offers = fetched
    not_on_demand = ["a3-highgpu-1g", "a3-highgpu-2g", "a3-highgpu-4g", "a3-ultragpu-8g"]
    shapes = [instance_shape("gcp", t) for t in not_on_demand]
    assert all(s is not None and not s.sold_on_demand for s in shapes)
    assert not [o for o in offers if o.instance_type in not_on_demand and o.purchase_option == "on_demand"]
    # They are still offered where their parts are sold: spot and flex-start for a3-highgpu-1g.
    # Spot: 26 x 0.0102 + 234 x 0.000888 + 6.114395 + 750 x 0.064 / 730
    # = 0.2652 + 0.207792 + 6.114395 + 0.065753425 (48 / 730) = 6.653140425
    one_g = {o.purchase_option: o.price for o in offers if o.instance_type == "a3-highgpu-1g"}
    assert one_g == {"spot": Decimal("6.653140425"), "flex_start": Decimal("4.790004781")}


def test_reserved_commitment_and_sole_tenancy_are_skipped_with_a_reason(fetched) -> None:
    _, src, offers = fetched
    skipped = src.stats.skipped
    # "Nvidia Tesla T4 GPU attached to Sole Tenancy VMs" is listed before the standard T4 at the same
    # price; it is skipped, and the standard SKU prices T4.
    assert skipped["sole_tenancy"] == 1
    assert _part(src, ("gpu", "T4", ""), "on_demand").sku_id == "0014-ABCD-008C"
    # "Commitment v1: A3 Cpu in Americas for 1 Year" under usage type OnDemand: never on demand.
    assert skipped["commitment_not_on_demand"] == 1
    assert not [o for o in offers if "0033-ABCD-0165" in o.sku]
    # The N2 commitments (usage types Commit1Yr / Commit3Yr) stay committed_1y / committed_3y.
    assert _part(src, ("core", "N2"), "committed_1y").sku_id == "0005-ABCD-0023"
    assert _part(src, ("core", "N2"), "committed_3y").sku_id == "0007-ABCD-0031"


def test_seoul_reserved_zero_priced_and_dws_t4(gcp_server) -> None:
    _, endpoint = gcp_server
    src = GcpSource(catalog_client(endpoint), retry=NO_WAIT, include_storage=False, include_egress=False)
    offers = list(src.fetch(["asia-northeast3"]))
    # "Reserved Nvidia Tesla A100 GPU in Seoul" (usage type OnDemand, price 0) is a reservation: skipped.
    assert src.stats.skipped["reserved"] == 1
    assert not [o for o in offers if "INV-A100-RES0" in o.sku]
    # "Nvidia Tesla T4 GPU attached to DWS Defined Duration VMs running in Seoul" ($0.37) is flex_start;
    # with no DWS N1 core/RAM the N1 + T4 machines are offered flex-start without a price.
    assert _part(src, ("gpu", "T4", ""), "flex_start", "asia-northeast3").usd == Decimal("0.37")
    t4 = {
        (o.instance_type, o.purchase_option, o.price)
        for o in offers
        if o.instance_type == "n1-standard-8+T4x1"
    }
    assert t4 == {("n1-standard-8+T4x1", "flex_start", None)}
    assert all(o.purchase_option == "flex_start" for o in offers)


def test_a_zero_price_is_never_an_offer(gcp_server) -> None:
    fake, endpoint = gcp_server
    t4 = next(s for s in fake.skus[CE] if s["description"] == "Nvidia Tesla T4 GPU running in Americas")
    t4["pricingInfo"][0]["pricingExpression"]["tieredRates"][0]["unitPrice"] |= {"units": "0", "nanos": 0}
    src = GcpSource(catalog_client(endpoint), retry=NO_WAIT)
    offers = list(src.fetch(["us-central1"]))
    assert src.stats.skipped["zero_price"] == 1
    # The T4 part is missing, so N1 + T4 is unpriced (None), not priced with a $0 GPU.
    assert (
        _by(
            offers, instance_type="n1-standard-8+T4x1", region="us-central1", purchase_option="on_demand"
        ).price
        is None
    )


@pytest.mark.parametrize(
    "description, usage_type, expected",
    [
        ("Nvidia H100 80GB GPU running in Americas", "OnDemand", ("on_demand", "")),
        (
            "Nvidia H100 80GB GPU attached to DWS Defined Duration VMs running in Americas",
            "OnDemand",
            ("flex_start", ""),
        ),
        ("DWS Defined Duration A3 Core running in Americas", "OnDemand", ("flex_start", "")),
        ("Reserved Nvidia H100 80GB Mega GPU in Americas in Calendar Mode", "OnDemand", ("calendar", "")),
        (
            "C3 Instance Local SSD attached to Calendar mode reservations running in Iowa",
            "OnDemand",
            ("calendar", ""),
        ),
        ("Reserved Nvidia Tesla A100 GPU in Seoul", "OnDemand", (None, "reserved")),
        ("Commitment v1: N2 Cpu in Americas for 1 Year", "Commit1Yr", ("committed_1y", "")),
        ("Commitment v1: N2 Ram in Americas for 3 Year", "Commit3Yr", ("committed_3y", "")),
        ("Commitment v1: A3 Cpu in Americas for 1 Year", "OnDemand", (None, "commitment_not_on_demand")),
        (
            "Nvidia Tesla T4 GPU attached to Sole Tenancy VMs running in Americas",
            "OnDemand",
            (None, "sole_tenancy"),
        ),
        ("N2 Sole Tenant Premium Core running in Americas", "OnDemand", (None, "sole_tenancy")),
        ("Spot Preemptible A3Plus Instance Ram running in Tokyo", "Preemptible", ("spot", "")),
        (
            "Nvidia H100 80GB Mega GPU attached to Spot Preemptible VMs running in Tokyo",
            "Preemptible",
            ("spot", ""),
        ),
        ("SSD backed Local Storage attached to Spot Preemptible VMs", "OnDemand", ("spot", "")),
        ("Preemptible E2 Instance Core running in Virginia", "Preemptible", ("spot", "")),
        ("A3Plus Instance Core running in Americas", "OnDemand", ("on_demand", "")),
        ("N2 Instance Core running in Americas", "Internal", (None, "usage_type_not_modeled")),
    ],
)
def test_purchase_option_from_real_descriptions(description: str, usage_type: str, expected) -> None:
    from pricing.sources.gcp_parse import purchase_option

    assert purchase_option(description, usage_type) == expected


def test_prices_keep_their_precision_without_exponent_forms(fetched) -> None:
    import csv
    import io

    from pricing.schema import plain, write_offers_csv
    from pricing.sources.gcp_parse import money

    # 400 nanos is 0.0000004: Decimal's str() would say "4E-7"; written prices never do.
    assert money(0, 400) == Decimal("0.0000004") and plain(money(0, 400)) == "0.0000004"
    assert plain(money(0, 0)) == "0" and plain(money("9", 796550569)) == "9.796550569"
    _, _, offers = fetched
    out = io.StringIO()
    write_offers_csv(offers, out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    written = [r[f] for r in rows for f in ("price", "tier_start", "tier_end") if r[f]]
    assert written and not [w for w in written if "E" in w.upper()]
    a3 = [
        r["price"]
        for r in rows
        if r["instance_type"] == "a3-highgpu-8g" and r["purchase_option"] == "on_demand"
    ]
    assert a3 == ["88.489986799"]  # all nine decimals, as computed above

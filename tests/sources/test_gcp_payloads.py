"""The GCP adapter over real Cloud Catalog SKUs: <repo>/../shared/reference/pricing-payloads/gcp/.

Every file there goes through the real ``CloudCatalogClient`` (REST transport) against the local
server of ``conftest.gcp_server``, paged 3 SKUs at a time: ``services.json`` is the ``services.list``
body and each ``skus*.json`` a list of ``services.skus.list`` items (each says in ``_source`` where
it was captured; the client ignores that field). The prices asserted below are the files' own;
where a machine needs a part the files lack (the A3 local SSD), the one SKU added is the fixture's
"SSD backed Local Storage" ($0.08 per GiB-month, tests/fixtures/gcp/README.md). Skipped when
``../shared`` is absent.
"""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from pricing.schema import write_offers_csv
from pricing.sources.gcp import GcpSource
from pricing.sources.http import NO_WAIT
from tests.sources.conftest import load_json
from tests.sources.test_gcp import catalog_client

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
PAYLOADS = SHARED / "reference" / "pricing-payloads" / "gcp"
pytestmark = pytest.mark.skipif(not PAYLOADS.is_dir(), reason="../shared pricing payloads absent")
SKU_FILES = sorted(p.name for p in PAYLOADS.glob("skus*.json")) if PAYLOADS.is_dir() else []
CE = "6F81-5844-456A"
H100 = ("gpu", "H100-SXM", "")
MEGA = ("gpu", "H100-SXM", "Mega")
# Descriptions that are never an on-demand price, whatever their usage type says.
NOT_ON_DEMAND = re.compile(
    r"DWS|Defined Duration|Calendar Mode|Reserved|Commitment|Sole Tenan", re.IGNORECASE
)


def read(name: str) -> Any:
    return json.loads((PAYLOADS / name).read_text(encoding="utf-8"))


def fixture_local_ssd() -> dict:
    return next(
        s for s in load_json("gcp", "skus.json")[CE] if s["description"] == "SSD backed Local Storage"
    )


def serve(fake: Any, skus: list[dict]) -> None:
    """Serve ``skus`` (grouped by the service in their resource name) and the captured services list."""
    fake.services = read("services.json")["services"]
    by_service: dict[str, list[dict]] = {s["serviceId"]: [] for s in fake.services}  # none: an empty list
    for sku in skus:
        by_service[sku["name"].split("/")[1]].append(sku)
    fake.skus = by_service


def fetch(gcp_server: Any, skus: list[dict], regions: list[str] | None = None) -> tuple[GcpSource, list]:
    fake, endpoint = gcp_server
    serve(fake, skus)
    wanted = regions or sorted({r for s in skus for r in s.get("serviceRegions", [])})
    src = GcpSource(catalog_client(endpoint), retry=NO_WAIT)
    return src, list(src.fetch(wanted))


def by(offers: list, **want: Any):
    found = [o for o in offers if all(getattr(o, k) == v for k, v in want.items())]
    assert len(found) == 1, (want, found)
    return found[0]


def test_every_payload_file_is_covered() -> None:
    assert {p.name for p in PAYLOADS.glob("*")} == {"services.json", *SKU_FILES}
    assert SKU_FILES  # at least one SKU capture


@pytest.mark.parametrize("name", SKU_FILES)
def test_payload_through_the_real_client(gcp_server: Any, name: str) -> None:
    skus = read(name)
    src, offers = fetch(gcp_server, skus)
    fake, _ = gcp_server
    # Every SKU read, page by page (3 per page), through the REST client.
    assert src.stats.items == len(skus)
    ce_pages = [q.get("pageToken") for p, q in fake.seen if p == f"/v1/services/{CE}/skus"]
    assert len(ce_pages) == -(-len(fake.skus[CE]) // 3)
    # No part priced on demand comes from a DWS, calendar, reserved, commitment or sole-tenancy SKU.
    desc = {s["skuId"]: s["description"] for s in skus}
    on_demand = [p for (key, option, _), p in src.parts.items() if option == "on_demand"]
    assert not [p.sku_id for p in on_demand if NOT_ON_DEMAND.search(desc[p.sku_id])]
    # A zero price is never an offer or a part; every price is written positionally, never "4E-7".
    assert all(o.price is None or o.price > 0 for o in offers)
    assert all(p.usd > 0 for p in src.parts.values())
    out = io.StringIO()
    write_offers_csv(offers, out)
    written = [
        r[f] for r in csv.DictReader(io.StringIO(out.getvalue())) for f in ("price", "tier_start") if r[f]
    ]
    assert not [w for w in written if "E" in w.upper()]


# -- skus_description_level.json -------------------------------------------------------------------
@pytest.fixture
def described() -> list[dict]:
    if "skus_description_level.json" not in SKU_FILES:
        pytest.skip("skus_description_level.json absent")
    return read("skus_description_level.json")


def test_dws_twin_listed_first_is_flex_start_not_on_demand(gcp_server: Any, described: list[dict]) -> None:
    order = [s["skuId"] for s in described]
    assert order.index("341A-49A5-0C07") < order.index("GPUAG-H100")  # DWS twin listed first
    src, offers = fetch(gcp_server, described, ["us-central1"])
    od, flex = src.parts[(H100, "on_demand", "us-central1")], src.parts[(H100, "flex_start", "us-central1")]
    # "Nvidia H100 80GB GPU running in Americas" $9.796550569 on demand; the DWS twin $4.200761 flex-start
    assert (od.sku_id, od.usd) == ("GPUAG-H100", Decimal("9.796550569"))
    assert (flex.sku_id, flex.usd) == ("341A-49A5-0C07", Decimal("4.200761"))
    # The capture lists no standard A3 core/RAM nor local SSD: a3-highgpu-8g on demand is unpriced, and
    # still names the standard H100 SKU, never the DWS one.
    a3 = by(offers, instance_type="a3-highgpu-8g", purchase_option="on_demand")
    assert a3.price is None and a3.sku == "GPUAG-H100"
    # Flex-start has DWS core, RAM and GPU; only the local SSD is missing from the capture.
    f8 = by(offers, instance_type="a3-highgpu-8g", purchase_option="flex_start")
    assert f8.price is None and f8.sku == "9A32-36B2-7FBC+ED19-A584-4A84+341A-49A5-0C07"


def test_flex_start_a3_with_a_local_ssd_sku(gcp_server: Any, described: list[dict]) -> None:
    _, offers = fetch(gcp_server, described + [fixture_local_ssd()], ["us-central1"])
    # a3-highgpu-8g flex-start: 208 x 0.010934 + 1872 x 0.000952 + 8 x 4.200761 + 6000 GiB x 0.08 / 730
    # = 2.274272 + 1.782144 + 33.606088 + 0.657534247 = 38.320038247 (local SSD at the on-demand rate)
    f8 = by(offers, instance_type="a3-highgpu-8g", purchase_option="flex_start")
    assert f8.price == Decimal("38.320038247") and "on-demand rate" in f8.source
    # a3-highgpu-1g is not sold on demand but is sold flex-start: 26 x 0.010934 + 234 x 0.000952
    # + 4.200761 + 750 x 0.08 / 730 = 0.284284 + 0.222768 + 4.200761 + 0.082191781 = 4.790004781
    one_g = [o for o in offers if o.instance_type == "a3-highgpu-1g"]
    assert [(o.purchase_option, o.price) for o in one_g] == [("flex_start", Decimal("4.790004781"))]


def test_a3_mega_and_ultra_hosts(gcp_server: Any, described: list[dict]) -> None:
    src, offers = fetch(gcp_server, described + [fixture_local_ssd()], ["us-central1"])
    # A3 Mega: host "A3Plus Instance Core/Ram", GPU "Nvidia H100 80GB Plus GPU".
    assert src.parts[(("core", "A3 Mega"), "on_demand", "us-central1")].usd == Decimal("0.026924")
    assert src.parts[(MEGA, "on_demand", "us-central1")].sku_id == "GPUAG-H100PLUS"
    # a3-megagpu-8g: 208 x 0.026924 + 1872 x 0.002344 + 8 x 10.344275712 + 6000 x 0.08 / 730
    # = 5.600192 + 4.387968 + 82.754205696 + 0.657534247 = 93.399899943
    mega = by(offers, instance_type="a3-megagpu-8g", purchase_option="on_demand")
    assert mega.price == Decimal("93.399899943")
    assert mega.sku == "TS-A3PLUS-CORE+TS-A3PLUS-RAM+GPUAG-H100PLUS+" + fixture_local_ssd()["skuId"]
    # The Mega DWS and calendar-mode GPUs are flex_start ($4.423936) and calendar ($4.841121); the
    # capture lists no DWS or calendar A3 Mega host, so those machine prices are missing.
    assert src.parts[(MEGA, "flex_start", "us-central1")].usd == Decimal("4.423936")
    assert src.parts[(MEGA, "calendar", "us-central1")].usd == Decimal("4.841121")
    for option in ("flex_start", "calendar"):
        assert by(offers, instance_type="a3-megagpu-8g", purchase_option=option).price is None
    # A3 Ultra (H200 141GB, $9.31174) is not sold on demand: no on_demand offer, and no other option
    # has an H200 part in the capture.
    assert src.parts[(("gpu", "H200", ""), "on_demand", "us-central1")].usd == Decimal("9.31174")
    assert not [o for o in offers if o.instance_type == "a3-ultragpu-8g"]


def test_seoul_reserved_and_dws_and_tokyo_spot(gcp_server: Any, described: list[dict]) -> None:
    src, offers = fetch(gcp_server, described, ["asia-northeast1", "asia-northeast3"])
    # "Reserved Nvidia Tesla A100 GPU in Seoul" (OnDemand, $0) is a reservation, skipped with its reason.
    assert src.stats.skipped["reserved"] == 1
    assert src.parts[(("gpu", "T4", ""), "flex_start", "asia-northeast3")].usd == Decimal("0.37")
    assert not [p for p in src.parts.values() if p.sku_id == "INV-A100-RES0"]
    # Tokyo spot: "Nvidia H100 80GB Mega GPU attached to Spot Preemptible VMs" ($9.27246) and
    # "Spot Preemptible A3Plus Instance Ram" ($0.002102) are A3 Mega spot parts; no spot core listed.
    assert src.parts[(MEGA, "spot", "asia-northeast1")].usd == Decimal("9.27246")
    assert src.parts[(("ram", "A3 Mega"), "spot", "asia-northeast1")].usd == Decimal("0.002102")
    spot = by(offers, instance_type="a3-megagpu-8g", purchase_option="spot", region="asia-northeast1")
    assert spot.price is None and spot.sku == "MAYO-A3PLUS-RAM-SPOT+MAYO-MEGA-SPOT"
    assert not [o for o in offers if o.purchase_option == "on_demand"]


# -- skus_full_captures.json -----------------------------------------------------------------------
@pytest.fixture
def full() -> list[dict]:
    if "skus_full_captures.json" not in SKU_FILES:
        pytest.skip("skus_full_captures.json absent")
    return read("skus_full_captures.json")


def test_full_captures(gcp_server: Any, full: list[dict]) -> None:
    src, offers = fetch(gcp_server, full)
    # a2-highgpu-1g: 12 x 0.031611 + 85 x 0.004237 + 2.933908 = 0.379332 + 0.360145 + 2.933908 = 3.673385
    for region in ("us-central1", "us-east1", "us-west1"):
        a2 = by(offers, instance_type="a2-highgpu-1g", purchase_option="on_demand", region=region)
        assert a2.price == Decimal("3.673385")
    # Preemptible E2 parts keep the published nine decimals (nanos 7370235 and 987597).
    assert src.parts[(("core", "E2"), "spot", "us-east4")].usd == Decimal("0.007370235")
    assert src.parts[(("ram", "E2"), "spot", "us-east4")].usd == Decimal("0.000987597")
    # Internet egress listed under Compute Engine, us-east4 to the Americas: 0.12 / 0.11 / 0.08 per GiB.
    egress = sorted((o.tier_start, o.price) for o in offers if o.resource == "egress")
    assert egress == [
        (Decimal(0), Decimal("0.12")),
        (Decimal(1024), Decimal("0.11")),
        (Decimal(10240), Decimal("0.08")),
    ]
    # Persistent disks ("SSD backed PD Capacity" is not local SSD) and VPN egress are not modeled.
    assert src.stats.skipped["storage_sku_not_modeled"] == 2
    assert src.stats.skipped["network_sku_not_modeled"] == 1
    assert not [k for k in src.parts if k[0][0] == "local_ssd"]

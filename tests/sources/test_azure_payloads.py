"""The Azure adapter over real Retail Prices items: <repo>/../shared/reference/pricing-payloads/azure/.

``retail_items_real.json`` holds items from public write-ups and tests of Retail Prices clients, each
with a ``_capture`` field saying how it was captured. They are served by the fake API of
``conftest.AzureFake`` (``responses``: the adapter's own requests code builds the query, follows
``NextPageLink`` over pages of 3 and parses), filtered by each request's ``$filter``. The capture has
no page envelope, so the fake's pages carry no ``BillingCurrency``: each item's own ``currencyCode``
decides, and an item without one is of unknown currency. Skipped when ``../shared`` is absent.
"""

from __future__ import annotations

import json
import math
import random
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from pricing.schema import offer_to_row
from pricing.sources.azure import AzureSource
from pricing.sources.azure_parse import classify_vm, select_vm_rows
from pricing.sources.http import NO_WAIT
from tests.sources.conftest import AZURE_URL, AzureFake

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
PAYLOAD = SHARED / "reference" / "pricing-payloads" / "azure" / "retail_items_real.json"
pytestmark = pytest.mark.skipif(not PAYLOAD.is_file(), reason="../shared pricing payloads absent")
TODAY = "2026-12-02"


def _no_envelope_currency(body: dict) -> dict:
    return {k: v for k, v in body.items() if k != "BillingCurrency"}


@pytest.fixture
def capture() -> list[dict]:
    return json.loads(PAYLOAD.read_text(encoding="utf-8"))


def _serve(items: list[dict]) -> Iterator[AzureFake]:
    import responses

    fake = AzureFake(items, page_size=3, tamper=_no_envelope_currency)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rs:
        rs.add_callback(responses.GET, AZURE_URL, callback=fake)
        rs.add_callback(responses.GET, "https://prices.azure.com:443/api/retail/prices", callback=fake)
        yield fake


@pytest.fixture
def api(capture: list[dict]) -> Iterator[AzureFake]:
    yield from _serve(capture)


def _source(**kw: Any) -> AzureSource:
    import requests

    return AzureSource(requests.Session(), retry=NO_WAIT, today=TODAY, **kw)


def _region_items(src: AzureSource, region: str) -> list[dict]:
    """Every captured item of ``region``, read through the client (a filter on the region alone)."""
    return list(src.items(f"armRegionName eq '{region}'", what=f"capture {region}"))


def _offers(src: AzureSource, region: str) -> dict[tuple[str | None, str], Any]:
    offers = list(src.fetch([region]))
    table = {(o.instance_type, o.purchase_option): o for o in offers if o.resource == "instance"}
    assert len(table) == sum(o.resource == "instance" for o in offers)  # one offer per type and option
    return table


# Index in the capture -> what the VM rules make of it (purchase option, or the reason it is skipped).
VM_ROWS = {
    0: "cloud_services", 1: "low_priority", 2: "on_demand", 3: "reserved_1y", 4: "reserved_3y",
    5: "windows", 6: "windows", 7: "spot", 8: "windows", 9: "windows", 10: "cloud_services",
    11: "windows", 12: "windows",
    13: "cloud_services", 14: "spot", 15: "cloud_services", 16: "on_demand", 17: "reserved_1y",
    18: "reserved_3y", 19: "windows", 20: "windows", 21: "low_priority", 22: "windows", 23: "windows",
    24: "windows", 25: "windows",
    26: "on_demand", 27: "spot", 28: "windows", 29: "low_priority", 30: "price_type_devtestconsumption",
    31: "windows", 32: "windows", 33: "low_priority", 34: "cloud_services", 35: "on_demand", 36: "spot",
    37: "windows", 38: "on_demand", 39: "cloud_services",
    40: "on_demand", 41: "windows", 42: "spot", 43: "windows",
}  # fmt: skip


def test_every_captured_item_is_read_through_the_client_and_classified(api: AzureFake, capture: list) -> None:
    src = _source()
    regions = list(dict.fromkeys(i["armRegionName"] for i in capture))
    read = {r: _region_items(src, r) for r in regions}
    per_region = Counter(i["armRegionName"] for i in capture)
    # australiacentral 13, uksouth 13, eastus2 5, centralindia 9, eastus 4, westeurope 8 = 52 items;
    # pages of 3: 5 + 5 + 2 + 3 + 2 + 3 = 20 pages.
    assert {r: len(v) for r, v in read.items()} == per_region
    assert sum(per_region.values()) == len(capture) == 52
    assert src.stats.pages == sum(math.ceil(n / 3) for n in per_region.values()) == 20
    assert [q.get("$skip") for q in api.requests[:5]] == [None, "3", "6", "9", "12"]  # NextPageLink followed
    by_position = [item for r in regions for item in read[r]]
    assert [i["_capture"] for i in by_position] == [i["_capture"] for i in capture]
    outcome = [classify_vm(item)[0] or classify_vm(item)[1] for item in by_position]
    assert {n: outcome[n] for n in VM_ROWS} == VM_ROWS
    # The storage and bandwidth rows are no VM meters.
    assert {classify_vm(i)[1] for i in by_position[44:]} == {"not_a_vm_product"}


def test_b16als_v2_australiacentral_every_option(api: AzureFake) -> None:
    src = _source()
    offers = _offers(src, "australiacentral")
    t = "Standard_B16als_v2"
    assert {opt: o.price for (it, opt), o in offers.items() if it == t} == {
        "on_demand": Decimal("0.673"),  # "Virtual Machines Basv2 Series" B16als v2; not the Windows or
        # Cloud Services rows at 0.747
        "spot": Decimal("0.6057"),  # the Linux Spot row; the Windows one is 0.6723
        "reserved_1y": Decimal("0.3970319635"),  # 3478.0 USD / 8760 h = 0.39703196347... (10 places)
        "reserved_3y": Decimal("0.2557458143"),  # 6721.0 USD / 26280 h = 0.25574581430...
        "savings_plan_1y": Decimal("0.49129"),  # savingsPlan of the on-demand row, term "1 Year"
        "savings_plan_3y": Decimal("0.34323"),  # term "3 Years"
    }
    # Consumption filter: 8 items (rows 0 1 2 5 7 8 10 11); Reservation: 2 (rows 3 4); the three
    # DevTestConsumption rows do not match priceType 'Consumption'. 1 on-demand row -> 3 offers, spot 1,
    # reservations 2 = 6 offers.
    assert src.stats.summary() == (
        "6 offers (0 without price) from 10 items; skipped 6 (windows: 3, cloud_services: 2, low_priority: 1)"
    )


def test_ncc40ads_h100_v5_eastus2_srs_win_row_is_windows(api: AzureFake) -> None:
    src = _source()
    offers = _offers(src, "eastus2")
    assert {k: o.price for k, o in offers.items()} == {
        ("Standard_NCC40ads_H100_v5", "on_demand"): Decimal("6.98"),  # "Virtual Machines NCCadsv5 Srs"
        ("Standard_NCC40ads_H100_v5", "spot"): Decimal("1.419034"),
    }
    # "Virtual Machines NCCadsv5 Srs Win" at 8.82 is Windows; Low Priority 1.396 is skipped.
    assert src.stats.skipped == {"windows": 1, "low_priority": 1}
    assert offers[("Standard_NCC40ads_H100_v5", "on_demand")].effective_date == "2026-07-01"


def test_nd96isr_h100_v5_eastus(api: AzureFake) -> None:
    src = _source()
    offers = _offers(src, "eastus")
    od, spot = offers[("Standard_ND96isr_H100_v5", "on_demand")], offers[("Standard_ND96isr_H100_v5", "spot")]
    assert (od.price, spot.price) == (Decimal("98.32"), Decimal("18.169536"))  # not the Windows 102.736
    assert (od.accelerator, od.accelerator_count, od.vcpus) == ("H100-SXM", 8, 96)
    assert od.effective_date == ""  # the capture has no effectiveStartDate: the date stays unknown
    assert src.stats.skipped == {"windows": 2}  # on-demand 102.736 and Low Priority 41.094 Windows rows


def test_westeurope_bandwidth_tiers_and_blob_cool_archive(api: AzureFake) -> None:
    src = _source()
    offers = list(src.fetch(["westeurope"]))
    egress = sorted((o.tier_start, o.tier_end, o.price) for o in offers if o.resource == "egress")
    assert egress == [
        (0, 100, 0),  # the free first 100 GB: kept as the start of the priced schedule
        (100, 10335, Decimal("0.087")),
        (10335, 51295, Decimal("0.083")),
        (51295, 153695, Decimal("0.07")),
        (153695, 512095, Decimal("0.05")),
        (512095, None, Decimal("0.05")),
    ]
    stored = {o.storage_class: o.price for o in offers if o.resource == "storage"}
    assert stored == {"object_infrequent": Decimal("0.01"), "object_archive": Decimal("0.0018")}
    assert src.stats.summary() == "8 offers (0 without price) from 8 items"


def test_uksouth_d2as_v5_linux_row_is_chosen_and_gbp_is_not_read_as_usd(api: AzureFake) -> None:
    src = _source()
    # The uksouth rows are in GBP (a Go client's test data): the adapter asked for USD, so none of them
    # becomes an offer. Consumption filter: 8 items, Reservation: 2.
    assert _offers(src, "uksouth") == {}
    assert (
        src.stats.summary() == "0 offers (0 without price) from 10 items; skipped 10 (currency_not_usd: 10)"
    )

    # Which row the rules choose (currency aside), over every uksouth item including DevTest ones:
    chosen = select_vm_rows(_region_items(src, "uksouth"), today=TODAY, what="uksouth")
    price = {opt: row.price for (_, _, opt), row in chosen.items()}
    # "Virtual Machines Dasv5 Series" D2as v5 (2021-11-01) at 0.077842, not the newer (2023-10-01)
    # "Dasv5 Series Cloud Services" row at 0.149457 that the newest-date rule used to take.
    on_demand = chosen[("Standard_D2as_v5", "uksouth", "on_demand")].item
    assert on_demand["productName"] == "Virtual Machines Dasv5 Series"
    assert price == {
        "on_demand": Decimal("0.077842"),
        "spot": Decimal("0.010119"),  # Linux Spot; the Windows Spot row is 0.019429
        "reserved_1y": Decimal("0.045941124"),  # 402.444246 / 8760 = 0.04594112397... (10 places)
        "reserved_3y": Decimal("0.0295907046"),  # 777.643716 / 26280 = 0.02959070456...
        "savings_plan_1y": Decimal("0.058475"),
        "savings_plan_3y": Decimal("0.041085"),  # term spelled "3 years" in this capture
    }
    # The same client's test expects 0.077842 pay-as-you-go and 33.53702 a month for the 1-year
    # reservation: 402.444246 / 12 = 33.5370205, so the right reservation row is the one read here.
    reserved = chosen[("Standard_D2as_v5", "uksouth", "reserved_1y")].item
    assert round(reserved["retailPrice"] / 12, 5) == Decimal("33.53702")


def test_centralindia_linux_rate_is_chosen_and_unknown_currency_is_not_read(api: AzureFake) -> None:
    src = _source()
    # These rows carry no currencyCode (and the capture no envelope). They are not dollars: the same
    # public client's tests give Standard_D4as_v5 centralindia as INR 10.61715 = USD 0.111.
    assert _offers(src, "centralindia") == {}
    assert src.stats.skipped == {"currency_unknown": 9}

    chosen = select_vm_rows(_region_items(src, "centralindia"), today=TODAY, what="centralindia")
    assert {(t, opt): row.price for (t, _, opt), row in chosen.items()} == {
        ("Standard_D2as_v5", "on_demand"): Decimal("5.31814"),  # not 14.1562 (Windows / Cloud Services)
        ("Standard_D2as_v5", "spot"): Decimal("0.982804"),
        ("Standard_D4as_v5", "on_demand"): Decimal("10.61715"),  # not 28.21675
    }


@pytest.mark.parametrize("order", ["reversed", "shuffled"])
def test_response_order_does_not_change_any_offer(capture: list[dict], order: str) -> None:
    regions = ["australiacentral", "eastus2", "eastus", "westeurope"]

    def run(items: list[dict]) -> list[dict]:
        for _ in _serve(items):
            offers = _source().fetch(regions)
            return sorted(
                (o.to_dict() | {"fetched_at": ""} for o in offers),
                key=lambda d: json.dumps(d, sort_keys=True),
            )
        raise AssertionError("unreachable")

    other = capture[::-1] if order == "reversed" else random.Random(20261202).sample(capture, len(capture))
    baseline = run(capture)
    assert len(baseline) == 6 + 2 + 2 + 8 and run(other) == baseline


def test_written_prices_have_no_exponent_form(api: AzureFake) -> None:
    offers = list(_source().fetch(["australiacentral", "eastus2", "eastus", "westeurope"]))
    for o in offers:
        written = offer_to_row(o)["price"]
        assert "E" not in written.upper() and Decimal(written) == o.price, (o.sku, written)
    # the free tier is written "0", never "0E-10"
    assert {offer_to_row(o)["price"] for o in offers if o.price == 0} == {"0"}

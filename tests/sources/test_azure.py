"""Azure Retail Prices adapter against a fake API (``responses``) serving real-shaped items.

Figures come from tests/fixtures/azure/retail_items.json; its README names each figure's source.
"""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal

import pytest

from planner.errors import InputError, UnknownNameError
from pricing.sources.azure import AzureSource
from pricing.sources.http import NO_WAIT


def _source(**kw):
    import requests

    return AzureSource(requests.Session(), retry=NO_WAIT, **kw)


def _by(offers, **want):
    found = [o for o in offers if all(getattr(o, k) == v for k, v in want.items())]
    assert len(found) == 1, (want, found)
    return found[0]


def test_vm_prices_follow_next_page_link_and_classify_meters(azure_api) -> None:
    src = _source(include_storage=False, include_bandwidth=False)
    seen: list[tuple[str, int]] = []
    offers = list(src.fetch(["eastus"], progress=lambda stage, n: seen.append((stage, n))))

    # eastus items with type Consumption in the fixture: 6 (D2s v5: on-demand, Spot, Low Priority,
    # Windows; NC24ads: on-demand, Spot); the DevTestConsumption one does not match the filter.
    # Page size 2 -> 3 pages.
    consumption = [q for q in azure_api.requests if "Consumption" in q["$filter"]]
    assert len(consumption) == 3
    assert consumption[0]["$filter"] == (
        "serviceName eq 'Virtual Machines' and armRegionName eq 'eastus' and priceType eq 'Consumption'"
    )
    assert [q.get("$skip") for q in consumption] == [None, "2", "4"]
    stage = "Azure Retail Prices (Virtual Machines Consumption, eastus)"
    assert [n for s, n in seen if s == stage] == [2, 4, 6]

    d2 = _by(offers, instance_type="Standard_D2s_v5", purchase_option="on_demand")
    assert d2.price == Decimal("0.096") and d2.unit == "hour" and d2.region == "eastus"
    assert (d2.vcpus, d2.memory_gib, d2.accelerator) == (2, 8, None)
    assert (
        d2.source == "azure:retail-prices"
        and d2.fetched_at.endswith("Z")
        and d2.effective_date == "2026-05-01"
    )
    assert _by(offers, instance_type="Standard_D2s_v5", purchase_option="spot").price == Decimal("0.020362")
    a100 = _by(offers, instance_type="Standard_NC24ads_A100_v4", purchase_option="on_demand")
    assert (a100.price, a100.accelerator, a100.accelerator_count) == (Decimal("3.673"), "A100-80GB", 1)
    assert _by(offers, instance_type="Standard_NC24ads_A100_v4", purchase_option="spot").price == Decimal(
        "0.746721"
    )

    # Windows and Low Priority meters are not offers; they are counted.
    assert src.stats.skipped["windows"] == 1
    assert src.stats.skipped["low_priority"] == 1
    assert all(o.region == "eastus" for o in offers)  # the westeurope meter was filtered out by the API
    # 6 Consumption + 3 Reservation items; offers: D2s v5 on-demand, spot, 2 savings plans, 3-year
    # reservation; NC24ads on-demand, spot; E64 v4 1-year reservation = 8. Pages: 3 + 2.
    assert src.stats.summary() == (
        "8 offers (0 without price) from 9 items; skipped 3 (low_priority: 1, windows: 1, reservation_term: 1)"
    )
    assert src.stats.pages == 5


def test_savings_plan_entries_become_hourly_offers(azure_api) -> None:
    offers = list(_source(include_storage=False, include_bandwidth=False).fetch(["eastus"]))
    assert _by(offers, instance_type="Standard_D2s_v5", purchase_option="savings_plan_1y").price == Decimal(
        "0.0765"
    )
    assert _by(offers, instance_type="Standard_D2s_v5", purchase_option="savings_plan_3y").price == Decimal(
        "0.0572"
    )


def test_reservation_price_is_for_the_whole_term(azure_api) -> None:
    src = _source(include_storage=False, include_bandwidth=False)
    offers = list(src.fetch(["eastus"]))
    # 1 year: 25007.0 USD / 8760 h = 2.854680365296803... -> 2.8546803653 (10 places)
    e64 = _by(offers, instance_type="Standard_E64_v4", purchase_option="reserved_1y")
    assert e64.price == Decimal("2.8546803653")
    # 3 years: 1264.0 USD / 26280 h = 0.048097412480974... -> 0.0480974125
    assert _by(offers, instance_type="Standard_D2s_v5", purchase_option="reserved_3y").price == Decimal(
        "0.0480974125"
    )
    assert src.stats.skipped["reservation_term"] == 1  # the 5-year term has no purchase option


def test_arm_sku_list_narrows_the_filter(azure_api) -> None:
    src = _source(
        arm_sku_names=["Standard_NC24ads_A100_v4", "Standard_D2s_v5"],
        include_storage=False,
        include_bandwidth=False,
    )
    offers = list(src.fetch(["westeurope"]))
    assert azure_api.requests[0]["$filter"].endswith(
        "and (armSkuName eq 'Standard_NC24ads_A100_v4' or armSkuName eq 'Standard_D2s_v5')"
    )
    assert [(o.instance_type, o.price) for o in offers] == [("Standard_NC24ads_A100_v4", Decimal("4.775"))]


def test_blob_storage_tiers_and_operations(azure_api) -> None:
    src = _source(include_bandwidth=False)
    offers = [o for o in src.fetch(["eastus"]) if o.service == "Storage"]
    hot = sorted(
        (o for o in offers if o.storage_class == "object_standard" and o.resource == "storage"),
        key=lambda o: o.tier_start,
    )
    assert [(o.tier_start, o.tier_end, o.price) for o in hot] == [
        (Decimal(0), Decimal(51200), Decimal("0.0184")),
        (Decimal(51200), Decimal(512000), Decimal("0.0177")),
        (Decimal(512000), None, Decimal("0.017")),
    ]
    assert all(o.unit == "GB-month" for o in hot)
    assert _by(offers, storage_class="object_infrequent").price == Decimal("0.01")
    assert _by(offers, storage_class="object_archive").price == Decimal("0.002")
    # Operations are listed per 10K: 0.05 / 10000 = 0.000005 and 0.004 / 10000 = 0.0000004 per request.
    assert _by(offers, resource="requests_write").price == Decimal("0.000005")
    assert _by(offers, resource="requests_read").price == Decimal("0.0000004")
    assert src.stats.skipped["storage_class_not_modeled"] == 1  # Cold
    assert src.stats.skipped["storage_meter_not_modeled"] == 1  # GRS


def test_bandwidth_tiers(azure_api) -> None:
    offers = [o for o in _source().fetch(["eastus"]) if o.resource == "egress"]
    tiers = sorted((o.tier_start, o.tier_end, o.price) for o in offers)
    assert tiers == [
        (Decimal(0), Decimal(100), Decimal("0.0")),  # the free first 100 GB is a real price of 0, not missing
        (Decimal(100), Decimal(10340), Decimal("0.087")),
        (Decimal(10340), Decimal(51300), Decimal("0.083")),
        (Decimal(51300), Decimal(153700), Decimal("0.07")),
        (Decimal(153700), None, Decimal("0.05")),
    ]
    assert {o.unit for o in offers} == {"GB"}


def test_empty_retail_price_is_missing_not_zero(azure_api) -> None:
    for item in azure_api.items:
        if item["meterName"] == "NC24ads A100 v4" and item["armRegionName"] == "eastus":
            item["retailPrice"] = None
    src = _source(include_storage=False, include_bandwidth=False)
    offers = list(src.fetch(["eastus"]))
    assert _by(offers, instance_type="Standard_NC24ads_A100_v4", purchase_option="on_demand").price is None
    assert src.stats.missing_prices == 1


@pytest.mark.parametrize("bad", ["East US", "eastus'", ""])
def test_bad_region_name_is_input_error(bad: str) -> None:
    with pytest.raises(InputError, match="is not a region id of azure; use ids like 'eastus'"):
        list(_source().fetch([bad]))


@pytest.mark.parametrize(
    "provider, good, bad",
    [
        ("aws", ["us-east-1", "us-gov-west-1", "ap-southeast-2"], ["us-east", "US-EAST-1", "eastus"]),
        ("gcp", ["us-central1", "northamerica-northeast1"], ["us-central", "us-central1-a", "eastus"]),
        ("azure", ["eastus", "westeurope", "southcentralus"], ["east-us", "East US"]),
    ],
)
def test_region_id_forms(provider: str, good: list[str], bad: list[str]) -> None:
    from pricing.sources.base import check_regions

    assert check_regions(provider, good) == good
    for region in bad:
        with pytest.raises(InputError, match=f"not a region id of {provider}"):
            check_regions(provider, [region])


def test_classification_table() -> None:
    from pricing.sources.azure_parse import classify_vm

    base = {"unitOfMeasure": "1 Hour", "type": "Consumption", "productName": "Virtual Machines Dsv5 Series"}
    cases = [
        ({"skuName": "D2s v5", "meterName": "D2s v5"}, ("on_demand", "")),
        ({"skuName": "D2s v5 Spot", "meterName": "D2s v5 Spot"}, ("spot", "")),
        ({"skuName": "D2s v5 Low Priority", "meterName": "D2s v5 Low Priority"}, (None, "low_priority")),
        (
            {"productName": "Virtual Machines Dsv5 Series Windows", "skuName": "D2s v5 Spot"},
            (None, "windows"),
        ),
        ({"type": "Reservation", "reservationTerm": "1 Year", "skuName": "D2s v5"}, ("reserved_1y", "")),
        ({"type": "Reservation", "reservationTerm": "3 Years", "skuName": "D2s v5"}, ("reserved_3y", "")),
        ({"unitOfMeasure": "1/Month", "skuName": "D2s v5"}, (None, "unit_not_hour")),
        ({"type": "DevTestConsumption", "skuName": "D2s v5"}, (None, "price_type_devtestconsumption")),
    ]
    for extra, expected in cases:
        assert classify_vm(base | extra) == expected, extra


# -- registry ------------------------------------------------------------------------------------
def test_registry_builds_azure_and_suggests_on_typo() -> None:
    from pricing.sources import SOURCES, PriceSource, get_source

    assert set(SOURCES) >= {"aws", "gcp", "azure"}
    src = get_source("Azure", include_storage=False)
    assert isinstance(src, AzureSource) and isinstance(src, PriceSource) and src.include_storage is False
    with pytest.raises(UnknownNameError, match="did you mean 'azure'"):
        get_source("azur")


def test_importing_the_registry_imports_no_sdk() -> None:
    code = (
        "import sys, pricing.sources; "
        "print(sorted(m for m in ('boto3', 'google.cloud.billing_v1', 'requests', 'pricing.sources.aws') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"

"""Azure Retail Prices adapter against a fake API (``responses``) serving real-shaped items.

Figures come from tests/fixtures/azure/retail_items.json; its README names each figure's source.
"""

from __future__ import annotations

import dataclasses
import re
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
    assert {q["currencyCode"] for q in azure_api.requests} == {"'USD'"}  # quoted, as Microsoft's examples
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
        # product names as the API spells them (see tests/sources/test_azure_payloads.py for real rows)
        ({"productName": "Virtual Machines NCCadsv5 Srs Win", "skuName": "X"}, (None, "windows")),
        ({"productName": "Dasv5 Series Cloud Services", "skuName": "D2as v5"}, (None, "cloud_services")),
        ({"productName": "Dasv5 Series CloudServices", "skuName": "D2as v5"}, (None, "cloud_services")),
        (
            {"productName": "Virtual Machines Dedicated Host", "skuName": "Dsv5 Type1"},
            (None, "dedicated_host"),
        ),
        ({"productName": "Basv2 Series", "skuName": "B16als v2"}, (None, "not_a_vm_product")),
        # "Win" counts as a word only
        ({"productName": "Virtual Machines Winx Series", "skuName": "W2 v1"}, ("on_demand", "")),
        ({"type": "Reservation", "reservationTerm": "3 years", "skuName": "D2s v5"}, ("reserved_3y", "")),
        ({"skuName": "NCC40adsH100v5 Spot", "meterName": "NCC40adsH100v5 Spot"}, ("spot", "")),
    ]
    for extra, expected in cases:
        assert classify_vm(base | extra) == expected, extra


# -- filter length -------------------------------------------------------------------------------
def _comparable(offers) -> list[str]:
    return sorted(repr(dataclasses.replace(o, fetched_at="")) for o in offers)


def test_a_long_size_list_is_asked_in_several_filters_within_the_limits(azure_api) -> None:
    from pricing.instances import shapes
    from pricing.sources.azure import MAX_FILTER_CHARS, MAX_FILTER_COMPARISONS

    # Every Azure size the planner knows (31 in pricing/data/instances.csv) plus the fixture's E64 v4.
    names = [s.instance_type for s in shapes("azure")] + ["Standard_E64_v4"]
    assert len(set(names)) >= 20
    narrowed = _source(arm_sku_names=names, include_storage=False, include_bandwidth=False)
    offers = list(narrowed.fetch(["eastus"]))
    for price_type in ("Consumption", "Reservation"):
        filters = [
            q["$filter"] for q in azure_api.requests if price_type in q["$filter"] and "$skip" not in q
        ]
        assert len(filters) >= 2, filters
        for f in filters:
            assert len(f) <= MAX_FILTER_CHARS and f.count(" eq ") <= MAX_FILTER_COMPARISONS, f
        asked = [n for f in filters for n in re.findall(r"armSkuName eq '([^']+)'", f)]
        assert sorted(asked) == sorted(set(names))  # each size asked once
        where = {n: i for i, f in enumerate(filters) for n in re.findall(r"armSkuName eq '([^']+)'", f)}
        # the fixture's sizes sit in different requests
        assert where["Standard_D2s_v5"] != where["Standard_E64_v4"]
    # The union: the fixture's eastus VMs (D2s v5, NC24ads A100 v4, E64 v4) are all among the names, so
    # the narrowed fetch gives exactly the offers of the fetch of the whole region.
    whole = _source(include_storage=False, include_bandwidth=False)
    assert _comparable(offers) == _comparable(whole.fetch(["eastus"])) and len(offers) == 8
    assert narrowed.stats.summary() == whole.stats.summary()


def test_sku_filters_dedupe_quote_split_and_refuse_a_name_that_cannot_fit() -> None:
    from pricing.sources.azure import MAX_FILTER_CHARS, MAX_FILTER_COMPARISONS, sku_filters

    # The largest filter public clients saw answered: 15 armSkuName clauses + 3 fixed comparisons, 628
    # characters; 20 clauses (805 characters) were refused with HTTP 400 (see pricing.sources.azure).
    assert MAX_FILTER_CHARS <= 628 and MAX_FILTER_COMPARISONS <= 15 + 3
    base = "serviceName eq 'Virtual Machines'"
    assert sku_filters(base, ["A", "B", "A"]) == [base + " and (armSkuName eq 'A' or armSkuName eq 'B')"]
    assert sku_filters(base, ["O'Neil"]) == [base + " and (armSkuName eq 'O''Neil')"]
    # base has 1 comparison; at most 3 -> two names a filter
    assert sku_filters(base, ["A", "B", "C"], max_comparisons=3) == [
        base + " and (armSkuName eq 'A' or armSkuName eq 'B')",
        base + " and (armSkuName eq 'C')",
    ]
    # len(base) = 33; + " and (armSkuName eq 'A')" (24) = 57 characters: a limit of 60 holds one name
    assert len(sku_filters(base, ["A", "B"], max_chars=60)) == 2
    with pytest.raises(InputError, match="does not fit in one Retail Prices filter of 400 characters"):
        sku_filters(base, ["Standard_" + "x" * 400])


# -- which row is the price --------------------------------------------------------------------------
def _d2s_on_demand(azure_api, **changes) -> dict:
    """A copy of the fixture's D2s v5 eastus on-demand row (0.096 USD/h, effective 2026-05-01)."""
    row = next(
        i
        for i in azure_api.items
        if i["meterName"] == "D2s v5" and i["type"] == "Consumption" and i["armRegionName"] == "eastus"
    )
    return {k: v for k, v in row.items() if k != "savingsPlan"} | changes


def test_the_current_row_wins_whatever_the_order_or_newer_dates(azure_api) -> None:
    # Two more D2s v5 Linux rows at 0.188 (the fixture's Windows figure; which row wins is the point):
    # one dated after today, served first, and an older one, served last.
    future = _d2s_on_demand(
        azure_api, meterId="future", retailPrice=0.188, effectiveStartDate="2027-01-01T00:00:00Z"
    )
    older = _d2s_on_demand(
        azure_api, meterId="older", retailPrice=0.188, effectiveStartDate="2025-01-01T00:00:00Z"
    )
    azure_api.items[:0] = [future]
    azure_api.items.append(older)
    src = _source(include_storage=False, include_bandwidth=False, today="2026-12-02")
    d2 = _by(list(src.fetch(["eastus"])), instance_type="Standard_D2s_v5", purchase_option="on_demand")
    assert (d2.price, d2.effective_date) == (Decimal("0.096"), "2026-05-01")
    assert (src.stats.skipped["not_yet_effective"], src.stats.skipped["duplicate_meter"]) == (1, 1)
    # From 2027-01-01 on, the future row is the price in effect.
    src = _source(include_storage=False, include_bandwidth=False, today="2027-01-01")
    d2 = _by(list(src.fetch(["eastus"])), instance_type="Standard_D2s_v5", purchase_option="on_demand")
    assert (d2.price, d2.sku) == (Decimal("0.188"), "future")


def test_same_date_prefers_the_primary_meter_then_the_higher_price(azure_api) -> None:
    from pricing.sources.azure_parse import select_vm_rows

    key = ("Standard_D2s_v5", "eastus", "on_demand")
    primary = _d2s_on_demand(azure_api, meterId="primary", isPrimaryMeterRegion=True)
    other = _d2s_on_demand(azure_api, meterId="other", retailPrice=0.188, isPrimaryMeterRegion=False)
    for rows in ([primary, other], [other, primary]):
        assert select_vm_rows(rows, today="2026-12-02", what="t")[key].item["meterId"] == "primary"
    both = [primary, other | {"isPrimaryMeterRegion": True}]
    for rows in (both, both[::-1]):
        assert select_vm_rows(rows, today="2026-12-02", what="t")[key].price == Decimal("0.188")


# -- zero, currency, written form ------------------------------------------------------------------
def test_zero_prices_are_never_offers(azure_api) -> None:
    for item in azure_api.items:
        if item["armRegionName"] != "eastus":
            continue
        if item["meterName"] in ("NC24ads A100 v4", "E64 v4", "Cool LRS Data Stored"):
            item["retailPrice"] = 0.0
        if item.get("savingsPlan"):
            item["savingsPlan"] = [
                p | {"retailPrice": 0.0} if p["term"] == "1 Year" else p for p in item["savingsPlan"]
            ]
        if item["meterName"] == "Standard Data Transfer Out" and item["tierMinimumUnits"] == 10340.0:
            item["retailPrice"] = 0.0
    src = _source()
    offers = list(src.fetch(["eastus"]))
    zero = [(o.resource, o.tier_start) for o in offers if o.price == 0]
    assert zero == [("egress", 0)]  # only the free first 100 GB of egress
    have = {(o.instance_type, o.purchase_option) for o in offers if o.resource == "instance"}
    assert not have & {("Standard_NC24ads_A100_v4", "on_demand"), ("Standard_E64_v4", "reserved_1y")}
    assert ("Standard_D2s_v5", "savings_plan_1y") not in have
    assert ("Standard_D2s_v5", "savings_plan_3y") in have
    assert not [o for o in offers if o.storage_class == "object_infrequent" and o.resource == "storage"]
    # The dropped egress tier still ends the one before it: 100 -> 10340 at 0.087, then nothing to 51300.
    egress = sorted((o.tier_start, o.tier_end) for o in offers if o.resource == "egress")
    assert egress[:3] == [(0, 100), (100, 10340), (51300, 153700)]
    assert src.stats.skipped["zero_price"] == 5


def test_items_in_another_or_no_currency_are_not_read_as_usd(azure_api) -> None:
    for item in azure_api.items:
        if item["meterName"] == "NC24ads A100 v4" and item["armRegionName"] == "eastus":
            item["currencyCode"] = "EUR"
        if item["meterName"] == "D2s v5 Spot":
            del item["currencyCode"]  # then the page's BillingCurrency (USD in the fake) says what it is
    src = _source(include_storage=False, include_bandwidth=False)
    offers = list(src.fetch(["eastus"]))
    assert _by(offers, instance_type="Standard_D2s_v5", purchase_option="spot").price == Decimal("0.020362")
    have = {(o.instance_type, o.purchase_option) for o in offers}
    assert ("Standard_NC24ads_A100_v4", "on_demand") not in have
    assert src.stats.skipped["currency_not_usd"] == 1

    azure_api.tamper = lambda body: {k: v for k, v in body.items() if k != "BillingCurrency"}
    src = _source(include_storage=False, include_bandwidth=False)
    offers = list(src.fetch(["eastus"]))
    assert ("Standard_D2s_v5", "spot") not in {(o.instance_type, o.purchase_option) for o in offers}
    assert src.stats.skipped["currency_unknown"] == 1


def test_prices_are_written_without_exponent_forms(azure_api) -> None:
    from pricing.schema import offer_to_row

    offers = list(_source().fetch(["eastus"]))
    read = _by(offers, resource="requests_read")
    # 0.004 per 10K reads / 10000 = 0.0000004 per read; str() of that Decimal is "4E-7"
    assert (read.price, str(read.price)) == (Decimal("0.0000004"), "4E-7")
    assert offer_to_row(read)["price"] == read.to_dict()["price"] == "0.0000004"
    assert all("E" not in offer_to_row(o)["price"].upper() for o in offers)


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

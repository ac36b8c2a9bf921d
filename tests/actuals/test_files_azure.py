"""Azure cost exports: actual and amortized cost (alone and as a pair), EA / MCA / pay-as-you-go header variants,
camelCase and German-localized headers, a UTF-8 byte-order mark. Public samples from ../shared are checked
against sums taken with the csv module; small hand-made exports cover the same rules without them."""

from __future__ import annotations

import math

import pytest

from planner.actuals import detect_format, read_actuals, summarize
from tests.actuals.conftest import csv_rows, num, sample, write_csv

EA_HEADER = ["BillingPeriodStartDate", "BillingPeriodEndDate", "Date", "SubscriptionId", "MeterCategory", "MeterId",
             "Quantity", "UnitPrice", "PayGPrice", "CostInBillingCurrency", "BillingCurrencyCode", "ChargeType",
             "PricingModel", "ReservationId", "Tags"]


def _ea(tmp_path, name, rows):
    return write_csv(tmp_path / name, EA_HEADER, [["03/01/2026", "03/31/2026", *r] for r in rows])


def _hand_pair(tmp_path):
    """March 2026: a reservation bought for 120.00, 4.00 of its value used by a VM and 1.00 unused, and 10.00
    of on-demand storage (2 x 5.00 at a pay-as-you-go price of 5.00)."""
    actual = _ea(tmp_path, "actual.csv", [
        ["03/01/2026", "sub-1", "Virtual Machines", "m-ri", "1", "120", "0", "120.00", "USD", "Purchase",
         "Reservation", "ri-1", ""],
        ["03/05/2026", "sub-1", "Virtual Machines", "m-vm", "24", "0", "0.5", "0.00", "USD", "Usage",
         "Reservation", "ri-1", '{"team": "ml"}'],
        ["03/05/2026", "sub-1", "Storage", "m-st", "2", "5", "5", "10.00", "USD", "Usage", "OnDemand", "",
         '{"team": "data"}'],
    ])
    amortized = _ea(tmp_path, "amortized.csv", [
        ["03/05/2026", "sub-1", "Virtual Machines", "m-vm", "24", "0", "0.5", "4.00", "USD", "Usage",
         "Reservation", "ri-1", '{"team": "ml"}'],
        ["03/31/2026", "sub-1", "Virtual Machines", "m-ri", "1", "0", "0", "1.00", "USD", "UnusedReservation",
         "Reservation", "ri-1", ""],
        ["03/05/2026", "sub-1", "Storage", "m-st", "2", "5", "5", "10.00", "USD", "Usage", "OnDemand", "",
         '{"team": "data"}'],
    ])
    return actual, amortized


def _one(s):
    assert len(s) == 1, s
    return s.iloc[0]


def test_hand_actual_export_alone(tmp_path):
    actual, _ = _hand_pair(tmp_path)
    assert detect_format(actual) == "azure-ea"
    r = _one(summarize(actual, by="month"))
    # billed as invoiced: purchase 120 + covered usage 0 + storage 10; effective: the purchase is spread over
    # its use, which an actual-cost export does not show, so only the storage
    assert (r.month, r.billed_cost, r.effective_cost) == ("2026-03", 130.0, 10.0)


def test_hand_amortized_export_alone(tmp_path):
    _, amortized = _hand_pair(tmp_path)
    r = _one(summarize(amortized, by="month"))
    # effective: covered usage 4 + unused 1 + storage 10; billed: covered and unused rows were paid by the purchase
    assert (r.billed_cost, r.effective_cost) == (10.0, 15.0)


def test_hand_pair_each_side_from_its_own_file(tmp_path):
    actual, amortized = _hand_pair(tmp_path)
    r = _one(summarize([actual, amortized], by="month"))
    assert (r.billed_cost, r.effective_cost) == (130.0, 15.0)
    # list cost from the amortized file: storage 2 x 5.00; the reservation rows have a pay-as-you-go price
    # of 0.5 x 24 h = 12.00 for the VM and 0 for the unused row
    assert r.list_cost == pytest.approx(10.0 + 12.0 + 0.0)
    s = summarize([actual, amortized], by="charge,tag:team")
    rows = {(x.charge, x.tag_team): (x.billed_cost, x.effective_cost) for x in s.itertuples()}
    assert rows == {("Purchase", None): (120.0, 0.0), ("Usage", "ml"): (0.0, 4.0), ("Usage", None): (0.0, 1.0),
                    ("Usage", "data"): (10.0, 10.0)}


def test_hand_pair_forced_roles(tmp_path):
    actual, amortized = _hand_pair(tmp_path)
    a = read_actuals(actual, format="azure-actual")
    assert a["BilledCost"].sum() == 130.0
    m = read_actuals(amortized, format="azure-amortized")
    assert m["EffectiveCost"].sum() == 15.0
    assert sorted(x for x in m["CommitmentDiscountStatus"] if isinstance(x, str)) == ["Unused", "Used"]


def test_german_headers_with_bom(tmp_path):
    header = ["Abonnement-GUID (SubscriptionGuid)", "UsageDateTime (UsageDateTime)",
              "Kategorie der Verbrauchseinheit (MeterCategory)", "ID der Verbrauchseinheit (MeterId)",
              "UsageQuantity (UsageQuantity)", "PreTaxCost (PreTaxCost)", "Tags (Tags)", "Currency",
              "Maßeinheit (UnitOfMeasure)"]
    path = write_csv(tmp_path / "de.csv", header, [
        ["sub-1", "2026-02-03", "Virtual Machines", "m1", "10", "12.50", '"team": "ml"', "EUR", "1 Hour"],
        ["sub-1", "2026-02-04", "Virtual Machines", "m1", "10", "7.50", '"team": "ml"', "EUR", "1 Hour"],
    ], bom=True)
    assert detect_format(path) == "azure-payg"
    r = _one(summarize(path, by="month,provider,service,tag:team"))
    # 12.50 + 7.50 EUR; a pay-as-you-go export has no list price column: list unknown
    assert (r.month, r.provider, r.service, r.tag_team, r.billed_cost, r.currency) == \
        ("2026-02", "azure", "Virtual Machines", "ml", 20.0, "EUR")
    assert r.effective_cost == 20.0 and math.isnan(r.list_cost)


# -- public samples ------------------------------------------------------------------------------------------

ACTUAL = "azure/azure_ea_actualcost_2023-09_small.csv"
AMORTIZED = "azure/azure_ea_amortizedcost_2023-09_small.csv"


def test_sample_ea_actual():
    path = sample(ACTUAL)
    rows = csv_rows(path)
    total = sum(num(r["Cost"]) for r in rows)
    purchase = sum(num(r["Cost"]) for r in rows if r["ChargeType"] == "Purchase")
    assert purchase == 3.25  # one reservation purchase
    assert detect_format(path) == "azure-ea"
    r = _one(summarize(path, by="month,provider"))
    assert (r.month, r.provider, r.currency) == ("2023-09", "azure", "USD")
    assert r.billed_cost == pytest.approx(total)
    assert r.effective_cost == pytest.approx(total - purchase)
    by_charge = {x.charge: x.billed_cost for x in summarize(path, by="charge").itertuples()}
    assert by_charge == {"Purchase": 3.25, "Usage": pytest.approx(total - 3.25)}


def test_sample_ea_amortized():
    path = sample(AMORTIZED)
    rows = csv_rows(path)
    total = sum(num(r["Cost"]) for r in rows)
    covered = sum(num(r["Cost"]) for r in rows if r["PricingModel"] in ("Reservation", "SavingsPlan"))
    assert covered == pytest.approx(0.493152 + 0.006000000468)  # one reservation row, one savings plan row
    r = _one(summarize(path, by="month"))
    assert r.effective_cost == pytest.approx(total)
    assert r.billed_cost == pytest.approx(total - covered)


def test_sample_ea_actual_and_amortized_pair():
    actual, amortized = sample(ACTUAL), sample(AMORTIZED)
    billed = sum(num(r["Cost"]) for r in csv_rows(actual))
    effective = sum(num(r["Cost"]) for r in csv_rows(amortized))
    r = _one(summarize([actual, amortized], by="month"))
    assert r.billed_cost == pytest.approx(billed)
    assert r.effective_cost == pytest.approx(effective)
    # list cost from the amortized file: PayGPrice x Quantity; the reservation row shows PayGPrice 0 with a
    # unit price of 0.146, so its list price is unknown and so is the Virtual Machines total
    by_service = {x.service: x for x in summarize([actual, amortized], by="service").itertuples()}
    storage = sum(num(x["PayGPrice"]) * num(x["Quantity"]) for x in csv_rows(amortized)
                  if x["MeterCategory"] == "Storage")
    assert by_service["Storage"].list_cost == pytest.approx(storage)
    assert math.isnan(by_service["Virtual Machines"].list_cost)


def test_sample_ea_anonymous_cad_with_damaged_tags():
    path = sample("azure/azure_ea_export_2023-09_anon_27rows.csv")
    rows = csv_rows(path)
    total = sum(num(r["CostInBillingCurrency"]) for r in rows)
    spot = sum(num(r["CostInBillingCurrency"]) for r in rows if r["PricingModel"] == "Spot")
    r = _one(summarize(path, by="month,tag:tagA"))
    # dates 9/2/2023 (US month/day); tags '"tagA": "valueA","tagB": "valueB","tagC"' (tagC has no value)
    assert (r.month, r.tag_tagA, r.currency) == ("2023-09", "valueA", "CAD")
    assert r.billed_cost == pytest.approx(total)
    by_pricing = {x.pricing: x.billed_cost for x in summarize(path, by="pricing").itertuples()}
    assert by_pricing["Dynamic"] == pytest.approx(spot)  # spot VMs


@pytest.mark.parametrize(("name", "fmt", "month", "service", "billed", "currency"), [
    # one row each; the amounts are read off the files
    ("headersets_PayAsYouGo.csv", "azure-payg", "2021-02", "Load Balancer", 0.075, "USD"),
    ("headersets_German.csv", "azure-payg", "2021-02", "Load Balancer", 0.075, "USD"),
    ("headersets_YA.csv", "azure-mca", "2021-02", "Load Balancer", 0.075, "USD"),  # date 02/02/2021
    ("headersets_EnterpriseCamel.csv", "azure-mca", "2021-02", "Virtual Network", 0.012, "USD"),  # no period given
    ("headersets_Enterprise.csv", "azure-ea", "2021-05", "Virtual Machines", 0.0, "CAD"),  # period 05/01/2021
])
def test_sample_header_variants(name, fmt, month, service, billed, currency):
    path = sample(f"azure/opencost_billingexports/{name}")
    assert detect_format(path) == fmt
    r = _one(summarize(path, by="month,service"))
    assert (r.month, r.service, r.billed_cost, r.currency) == (month, service, billed, currency)


def test_sample_bom_header():
    path = sample("azure/opencost_billingexports/headersets_BOM.csv")
    assert path.read_bytes()[:3] == b"\xef\xbb\xbf"
    assert detect_format(path) == "azure-payg"  # the first column is found despite the mark
    frame = read_actuals(path)
    assert frame["SubAccountId"].isna().all()  # the one row is empty but for its date
    r = _one(summarize(path, by="month", billing_currency="USD"))
    assert r.month == "2022-11" and math.isnan(r.billed_cost)  # no cost given: missing, never 0


@pytest.mark.parametrize(("name", "cost", "month"), [
    ("koku_azure_camelCased.csv", "preTaxCost", "2019-07"),
    ("koku_costreport_a243c6f2-199f-4074-9a2c-40e671cf1584.csv", "PreTaxCost", "2019-07"),
    ("koku_camel_azure_version_2.csv", "costInBillingCurrency", "2023-08"),  # empty billing period: from date
    ("koku_azure_version_2.csv", "CostInBillingCurrency", "2020-09"),
])
def test_sample_koku_variants(name, cost, month):
    path = sample(f"azure/koku/{name}")
    total = sum(num(r[cost]) for r in csv_rows(path))
    s = summarize(path, by="month,currency")
    assert s["month"].tolist() == [month]
    assert s["billed_cost"].iloc[0] == pytest.approx(total)


def test_sample_missing_brackets_tags():
    path = sample("azure/opencost_billingexports/values_MissingBrackets.csv")
    frame = read_actuals(path)
    assert frame["Tags"].iloc[0]["resourceNameSuffix"] == "12345678"
    # 4 (costinbillingcurrency) billed, 5 list (paygcostinbillingcurrency); the file names no currency
    r = _one(summarize(path, by="month"))
    assert (r.billed_cost, r.list_cost, r.currency) == (4.0, 5.0, None)

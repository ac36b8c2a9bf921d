"""Azure cost exports: Enterprise Agreement and Microsoft Customer Agreement cost details (actual or
amortized), the older pay-as-you-go usage details (``PreTaxCost``), camelCase and German-localized headers,
with or without a UTF-8 byte-order mark.

Microsoft publishes two datasets of the same charges ("Get started with Cost Management exports" and
"Amortized reservation costs", learn.microsoft.com, retrieved 2026):

* **actual cost**: a reservation or savings plan purchase is a ``Purchase`` row with its price; usage
  covered by it costs 0;
* **amortized cost**: the purchase is spread over the term: covered usage (``PricingModel`` Reservation
  or SavingsPlan) carries its share, and the share nobody used is an ``UnusedReservation`` /
  ``UnusedSavingsPlan`` row.

Each row is read the same way in both: **BilledCost** is the cost, except for covered usage and unused
rows (paid by the purchase, so 0 on the invoice); **EffectiveCost** is the cost, except for a commitment
purchase or refund (0: spread over its use). One export alone therefore gets one side exactly — billed
from the actual export, effective from the amortized one — and the other side without the commitment.

Given **both** exports of the same months, each side comes from its own file: rows of the actual export
carry only BilledCost (EffectiveCost and ListCost 0), rows of the amortized export only EffectiveCost and
ListCost (BilledCost 0), so every sum — per month, service, tag — is exact without double counting. Which
file is which is read from the rows (a commitment purchase with a price: actual; covered usage with a cost
or an unused-commitment row: amortized) or forced with ``format="azure-actual"`` / ``"azure-amortized"``.

**ListCost** is ``PayGPrice x Quantity`` (or ``paygCostInBillingCurrency``); unknown where a priced meter has
no pay-as-you-go price (reservation rows of EA exports show 0 there).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from planner.actuals.focus import PROVIDER_NAMES, service_category
from planner.actuals.formats.base import (
    NUM,
    TEXT,
    TIME,
    Format,
    Header,
    Raw,
    RawSpec,
    is_in,
    map_bool,
    map_values,
)

COMMITMENT_MODELS = ("reservation", "savingsplan", "savings plan", "savingsplans")
UNUSED = ("unusedreservation", "unusedsavingsplan")
CHARGE = {"usage": "Usage", "purchase": "Purchase", "refund": "Purchase", "tax": "Tax",
          "unusedreservation": "Usage", "unusedsavingsplan": "Usage", "roundingadjustment": "Adjustment",
          "adjustment": "Adjustment", "credit": "Credit"}
PRICING = {"ondemand": "Standard", "on demand": "Standard", "spot": "Dynamic", "reservation": "Committed",
           "savingsplan": "Committed", "savings plan": "Committed"}

COST_KEYS = ("costinbillingcurrency", "cost", "pretaxcost")
DATE_KEYS = ("date", "usagedatetime", "usagedate")


def _charge(v: Any) -> Any:
    if not isinstance(v, str) or not v.strip():
        return "Usage"
    return CHARGE.get(v.strip().lower(), "Adjustment")


class Azure(Format):
    name = "azure"
    provider = "azure"
    period_keys = ("billingperiodstartdate",)
    label = "Azure cost details / usage details export (EA, MCA, pay-as-you-go; actual or amortized)"
    raw: ClassVar[RawSpec] = {
        "cost": (NUM, COST_KEYS),
        "currency": (TEXT, ("billingcurrencycode", "billingcurrency", "currency")),
        "date": (TIME, DATE_KEYS),
        "bp_start": (TIME, ("billingperiodstartdate",)),
        "bp_end": (TIME, ("billingperiodenddate",)),
        "meter_category": (TEXT, ("metercategory",)),
        "service_name": (TEXT, ("servicename",)),
        "consumed_service": (TEXT, ("consumedservice",)),
        "region": (TEXT, ("resourcelocation", "location", "meterregion")),
        "resource": (TEXT, ("resourceid", "instanceid", "instancename")),
        "account": (TEXT, ("subscriptionid", "subscriptionguid")),
        "sku": (TEXT, ("meterid", "productid")),
        "quantity": (NUM, ("quantity", "usagequantity")),
        "unit": (TEXT, ("unitofmeasure",)),
        "charge_type": (TEXT, ("chargetype",)),
        "pricing_model": (TEXT, ("pricingmodel",)),
        "benefit": (TEXT, ("benefitid", "reservationid")),
        "payg_cost": (NUM, ("paygcostinbillingcurrency",)),
        "payg_price": (NUM, ("paygprice",)),
        "unit_price": (NUM, ("unitprice",)),
        "tags": (TEXT, ("tags",)),
    }
    _deps: ClassVar[dict[str, tuple[str, ...]]] = {
        "BilledCost": ("cost", "charge_type", "pricing_model", "benefit", "bp_start", "date"),
        "EffectiveCost": ("cost", "charge_type", "pricing_model", "benefit", "bp_start", "date"),
        "ListCost": ("cost", "charge_type", "pricing_model", "benefit", "bp_start", "date", "payg_cost",
                     "payg_price", "unit_price", "quantity"),
        "BillingCurrency": ("currency",), "ChargePeriodStart": ("date",), "ChargePeriodEnd": ("date",),
        "BillingPeriodStart": ("bp_start",), "BillingPeriodEnd": ("bp_end",),
        "ServiceName": ("meter_category", "service_name", "consumed_service"),
        "ServiceCategory": ("meter_category", "service_name"),
        "RegionId": ("region",), "ResourceId": ("resource",), "SubAccountId": ("account",), "SkuId": ("sku",),
        "ConsumedQuantity": ("quantity",), "ConsumedUnit": ("unit",), "ChargeCategory": ("charge_type",),
        "PricingCategory": ("pricing_model",), "CommitmentDiscountId": ("benefit",),
        "CommitmentDiscountStatus": ("charge_type", "pricing_model", "benefit"),
    }

    def __init__(self, name: str = "azure", role: str | None = None) -> None:
        self.name = name
        self.role = role  # "actual" / "amortized" when forced

    def matches(self, header: Header) -> bool:
        return (header.count(COST_KEYS) > 0 and header.count(DATE_KEYS) > 0
                and header.count(("metercategory", "meterid", "consumedservice")) > 0)

    def variant(self, header: Header) -> str:
        if header.has("pretaxcost"):
            return "azure-payg"
        cost = header.find("costinbillingcurrency", "cost") or ""
        return "azure-mca" if cost[:1].islower() else "azure-ea"

    def needs(self, wanted: set[str]) -> set[str]:
        out: set[str] = set()
        for col in wanted:
            out.update(self._deps.get(col, ()))
        if "Tags" in wanted:
            out.add("tags")
        return out

    # -- commitment rows --
    def _kinds(self, raw: Raw) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(commitment purchase or refund, usage covered by a commitment, unused commitment) per row."""
        n = raw.n
        ct = raw.get("charge_type")
        if ct is None:
            z = np.zeros(n, dtype=bool)
            return z, z, z
        pm = raw.get("pricing_model")
        if pm is not None:
            commit = is_in(pm, COMMITMENT_MODELS)
        elif raw.get("benefit") is not None:
            commit = map_bool(raw.get("benefit"), lambda v: isinstance(v, str) and bool(v.strip()))  # type: ignore[arg-type]
        else:
            commit = np.zeros(n, dtype=bool)
        purchase = is_in(ct, ("purchase", "refund")) & commit
        covered = is_in(ct, ("usage",)) & commit
        unused = is_in(ct, UNUSED)
        return purchase, covered, unused

    def months(self, raw: Raw) -> np.ndarray:
        t = raw.get("bp_start")
        d = raw.get("date")
        if t is None:
            t = d
        elif d is not None:
            t = t.where(t.notna(), d)
        if t is None:
            return np.full(raw.n, "", dtype=object)
        return t.dt.strftime("%Y-%m").fillna("").to_numpy(dtype=object)

    def classify(self, raw: Raw) -> tuple[bool, bool]:
        """(looks like an actual-cost export, looks like an amortized one) from this batch's rows."""
        purchase, covered, unused = self._kinds(raw)
        cost = raw.num("cost", 0.0).fillna(0.0).to_numpy()
        actual = bool((purchase & (cost != 0)).any() or (covered & (cost == 0)).any())
        amortized = bool(unused.any() or (covered & (cost != 0)).any())
        return actual, amortized

    def normalize(self, raw: Raw, wanted: set[str], tags: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        role = raw.ctx.options.get("azure_role") or self.role
        paired = raw.ctx.options.get("paired_months") or set()
        if wanted & {"BilledCost", "EffectiveCost", "ListCost"}:
            cost = raw.num("cost")
            purchase, covered, unused = self._kinds(raw)
            billed = cost.to_numpy(copy=True)
            billed[covered | unused] = 0.0
            eff = cost.to_numpy(copy=True)
            eff[purchase] = 0.0
            lst = raw.num("payg_cost")
            if not raw.has("payg_cost") and raw.has("payg_price"):
                price = raw.num("payg_price")
                lst = price * raw.num("quantity")
                unknown = (price == 0) & (raw.num("unit_price", 0.0).fillna(0.0) > 0)
                lst = lst.where(~unknown)
            lst_a = lst.to_numpy(copy=True)
            if role and paired:
                in_pair = np.isin(self.months(raw), list(paired))
                if role == "actual":
                    eff[in_pair] = 0.0
                    lst_a[in_pair] = 0.0
                elif role == "amortized":
                    billed[in_pair] = 0.0
            out["BilledCost"] = pd.Series(billed, copy=False)
            out["EffectiveCost"] = pd.Series(eff, copy=False)
            out["ListCost"] = pd.Series(lst_a, copy=False)
            if "CommitmentDiscountStatus" in wanted:
                status = np.full(raw.n, None, dtype=object)
                status[covered] = "Used"
                status[unused] = "Unused"
                out["CommitmentDiscountStatus"] = pd.Series(status, copy=False)
        if wanted & {"ChargeCategory", "ListCost"}:
            ct = raw.get("charge_type")
            out["ChargeCategory"] = map_values(ct, _charge) if ct is not None else raw.constant("Usage")
        if "CommitmentDiscountStatus" in wanted and "CommitmentDiscountStatus" not in out:
            purchase, covered, unused = self._kinds(raw)
            status = np.full(raw.n, None, dtype=object)
            status[covered] = "Used"
            status[unused] = "Unused"
            out["CommitmentDiscountStatus"] = pd.Series(status, copy=False)
        if "PricingCategory" in wanted:
            pm = raw.get("pricing_model")
            out["PricingCategory"] = (map_values(pm, lambda v: PRICING.get(v.strip().lower(), "Other")
                                                 if isinstance(v, str) and v.strip() else None)
                                      if pm is not None else raw.constant(None))
        if "BillingCurrency" in wanted:
            out["BillingCurrency"] = map_values(raw.text("currency"), lambda v: v.strip().upper())
        if "ChargePeriodStart" in wanted or "ChargePeriodEnd" in wanted:
            start = raw.get("date")
            if "ChargePeriodStart" in wanted:
                out["ChargePeriodStart"] = start
            if "ChargePeriodEnd" in wanted:  # cost details are daily: a row covers its whole day
                out["ChargePeriodEnd"] = start + pd.Timedelta(days=1) if start is not None else None
        for col, lg in (("BillingPeriodStart", "bp_start"), ("BillingPeriodEnd", "bp_end")):
            if col in wanted:
                out[col] = raw.get(lg)
        if "BillingPeriodEnd" in wanted and out.get("BillingPeriodEnd") is not None:
            # EA exports give the period's last day (2023-09-30); FOCUS's end is exclusive
            end = out["BillingPeriodEnd"]
            out["BillingPeriodEnd"] = end.where(end.dt.day == 1, end + pd.Timedelta(days=1))
        if "ServiceName" in wanted:
            out["ServiceName"] = raw.text("meter_category", "service_name", "consumed_service")
        if "ServiceCategory" in wanted:
            out["ServiceCategory"] = map_values(raw.text("meter_category", "service_name"),
                                                lambda v: service_category("azure", v))
        for col, lgs in (("RegionId", ("region",)), ("ResourceId", ("resource",)), ("SubAccountId", ("account",)),
                         ("SkuId", ("sku",)), ("ConsumedUnit", ("unit",)), ("CommitmentDiscountId", ("benefit",))):
            if col in wanted:
                out[col] = raw.text(*lgs)
        if "ConsumedQuantity" in wanted:
            out["ConsumedQuantity"] = raw.num("quantity")
        if "ProviderName" in wanted:
            out["ProviderName"] = raw.constant(PROVIDER_NAMES["azure"])
        out.update(self.tags(raw, wanted, tags))
        return out

"""FOCUS 1.0+ exports from any provider (AWS Data Exports, Azure "FOCUS cost", Google's FOCUS view, OCI,
SaaS vendors), CSV or parquet. Columns are matched without regard to case or underscores, so Athena's
lower-case ``billedcost`` and ``billed_cost`` work too; ``x_`` provider columns are ignored.

The columns are FOCUS already; the importer checks the ones a spend summary cannot do without
(``BilledCost``, ``EffectiveCost``, ``ChargePeriodStart``), takes ``ProviderName`` from the 1.3
``ServiceProviderName`` when the file has that instead, and parses ``Tags`` (a JSON object, or a map in
parquet). Nothing is recomputed: a FOCUS file's own EffectiveCost is its provider's amortization.
"""

from __future__ import annotations

from typing import Any, ClassVar

from planner.actuals.focus import TIME_COLUMNS
from planner.actuals.formats.base import (
    NUM,
    RAW,
    TEXT,
    TIME,
    TIME_LAX,
    Format,
    Header,
    Raw,
    RawSpec,
    canon,
    map_values,
)

REQUIRED = ("BilledCost", "EffectiveCost", "ChargePeriodStart")
MARKERS = ("billedcost", "effectivecost", "listcost", "chargeperiodstart", "chargeperiodend", "billingperiodstart",
           "chargecategory", "billingcurrency", "servicename", "providername", "pricingcategory",
           "commitmentdiscountid", "contractedcost", "subaccountid")
TEXT_COLUMNS = ("ServiceName", "ServiceCategory", "RegionId", "ResourceId", "SubAccountId", "SkuId",
                "ChargeCategory", "ChargeClass", "PricingCategory", "CommitmentDiscountId",
                "CommitmentDiscountStatus", "ConsumedUnit", "BillingCurrency")
CATEGORIES = {c.lower(): c for c in ("Usage", "Purchase", "Tax", "Credit", "Adjustment")}
PRICING = {c.lower(): c for c in ("Standard", "Dynamic", "Committed", "Other")}


class Focus(Format):
    name = "focus"
    provider = ""
    period_keys = ("billingperiodstart",)
    label = "FOCUS 1.0+ (BilledCost, EffectiveCost, ChargePeriodStart, ...)"
    raw: ClassVar[RawSpec] = {
        **{c: (NUM, (canon(c),)) for c in ("BilledCost", "EffectiveCost", "ListCost", "ConsumedQuantity")},
        "ChargePeriodStart": (TIME, ("chargeperiodstart",)),
        "BillingPeriodStart": (TIME, ("billingperiodstart",)),
        "ChargePeriodEnd": (TIME_LAX, ("chargeperiodend",)),
        "BillingPeriodEnd": (TIME_LAX, ("billingperiodend",)),
        **{c: (TEXT, (canon(c),)) for c in TEXT_COLUMNS},
        "ProviderName": (TEXT, ("providername", "serviceprovidername", "hostprovidername", "publishername",
                                "invoiceissuername")),
        "tags": (RAW, ("tags",)),
    }

    def matches(self, header: Header) -> bool:
        return header.has("billedcost") and header.count(MARKERS) >= 3

    def missing(self, header: Header) -> list[str]:
        return [c for c in REQUIRED if not header.has(canon(c))]

    def needs(self, wanted: set[str]) -> set[str]:
        out = {c for c in wanted if c in self.raw}
        if "ListCost" in wanted:
            out.add("ChargeCategory")
        if "Tags" in wanted:
            out.add("tags")
        return out

    def normalize(self, raw: Raw, wanted: set[str], tags: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for col in wanted:
            if col not in self.raw or col == "tags":
                continue
            kind = self.raw[col][0]
            if kind == NUM:
                out[col] = raw.num(col)
            elif col in TIME_COLUMNS:
                out[col] = raw.get(col)
            else:
                out[col] = raw.text(col)
        if "ChargeCategory" in out:
            out["ChargeCategory"] = map_values(out["ChargeCategory"], lambda v: CATEGORIES.get(v.strip().lower(), v))
        elif "ListCost" in wanted:
            out["ChargeCategory"] = raw.text("ChargeCategory")
        if "PricingCategory" in out:
            out["PricingCategory"] = map_values(out["PricingCategory"], lambda v: PRICING.get(v.strip().lower(), v))
        if "BillingCurrency" in out:
            out["BillingCurrency"] = map_values(out["BillingCurrency"], lambda v: v.strip().upper())
        out.update(self.tags(raw, wanted, tags))
        return out

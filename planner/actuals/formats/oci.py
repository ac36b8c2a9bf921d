"""Oracle Cloud Infrastructure cost reports (``reports/cost-csv``), hourly rows with ``tags/...`` columns.

From "Cost and Usage Reports" (docs.oracle.com/en-us/iaas/Content/Billing/Concepts/costusagereportsoverview.htm,
retrieved 2026): ``cost/myCost`` is the cost of the row at the customer's prices; OCI has no prepaid
commitment to spread in these reports (Universal Credits are drawn down as used), so **BilledCost** and
**EffectiveCost** are both ``cost/myCost``. The report has no list price (``cost/unitPrice`` is the
customer's own rate), so **ListCost** is unknown. There is no billing-period column: a row's month is that
of ``lineItem/intervalUsageStart``. ``lineItem/isCorrection`` rows are FOCUS ``ChargeClass`` Correction.
Tag columns ``tags/<namespace>.<key>`` are tags named ``<namespace>.<key>``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from planner.actuals.focus import PROVIDER_NAMES, service_category
from planner.actuals.formats.base import NUM, TEXT, TIME, Format, Header, Raw, RawSpec, map_bool, map_values


class Oci(Format):
    name = "oci"
    provider = "oci"
    label = "Oracle Cloud cost report (cost/myCost, lineItem/intervalUsageStart)"
    signature = ("costmycost", "lineitemintervalusagestart")
    raw: ClassVar[RawSpec] = {
        "cost": (NUM, ("costmycost",)),
        "currency": (TEXT, ("costcurrencycode",)),
        "start": (TIME, ("lineitemintervalusagestart",)),
        "end": (TIME, ("lineitemintervalusageend",)),
        "service": (TEXT, ("productservice",)),
        "region": (TEXT, ("productregion",)),
        "resource": (TEXT, ("productresourceid",)),
        "compartment": (TEXT, ("productcompartmentid",)),
        "sku": (TEXT, ("costproductsku",)),
        "quantity": (NUM, ("usagebilledquantity",)),
        "unit": (TEXT, ("costskuunitdescription",)),
        "correction": (TEXT, ("lineitemiscorrection",)),
    }

    def tag_columns(self, header: Header) -> dict[str, str]:
        return {n.split("/", 1)[1]: n for n in header.names if n.lower().startswith("tags/")}

    def normalize(self, raw: Raw, wanted: set[str], tags: list[str]) -> dict[str, Any]:
        n = raw.n
        cost = raw.num("cost")
        svc = raw.text("service")
        out: dict[str, Any] = {
            "BilledCost": cost, "EffectiveCost": cost.copy(),
            "ListCost": pd.Series(np.nan, index=range(n), dtype="float64"),
            "ChargeCategory": raw.constant("Usage"),
            "BillingCurrency": map_values(raw.text("currency"), lambda v: v.strip().upper()),
            "ChargePeriodStart": raw.get("start"), "ChargePeriodEnd": raw.get("end"),
            "ServiceName": svc, "ServiceCategory": map_values(svc, lambda v: service_category("oci", v)),
            "RegionId": raw.text("region"), "ResourceId": raw.text("resource"),
            "SubAccountId": raw.text("compartment"), "SkuId": raw.text("sku"),
            "ConsumedQuantity": raw.num("quantity"), "ConsumedUnit": raw.text("unit"),
            "PricingCategory": raw.constant("Standard"), "ProviderName": raw.constant(PROVIDER_NAMES["oci"]),
        }
        corr = raw.get("correction")
        if corr is not None:
            cls = np.full(raw.n, None, dtype=object)
            cls[map_bool(corr, lambda v: str(v).strip().lower() == "true")] = "Correction"
            out["ChargeClass"] = pd.Series(cls, dtype=object)
        out.update(self.tags(raw, wanted, tags))
        return out

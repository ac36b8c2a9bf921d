"""Google Cloud billing export to BigQuery, standard and detailed (resource-level) tables, as rows flattened
to CSV (``service.description``, ``invoice.month``...) or as parquet with nested columns.

From "Structure of Standard data export" (cloud.google.com/billing/docs/how-to/export-data-bigquery-tables,
retrieved 2026):

* ``cost`` is the cost of the row before credits: **BilledCost** and **EffectiveCost** of the row. Google
  bills committed use discounts as monthly commitment fees as they accrue, so there is no prepaid purchase
  to spread: effective equals billed. ``cost_type`` gives the charge category (regular -> Usage, tax -> Tax,
  adjustment and rounding_error -> Adjustment); commitment fees (SKUs named "Commitment ...") -> Purchase.
* each entry of ``credits`` (free trial, sustained use, committed use, promotions...) becomes its own
  **Credit** row on the same service, day, project and labels, its amount as billed and effective cost.
* **ListCost** is ``cost_at_list`` where the export has it (added in 2023); older exports have no list
  price, so it is unknown for their usage rows.
* the billing month is ``invoice.month`` (Google invoices on Pacific time: the period starts at midnight
  America/Los_Angeles).
"""

from __future__ import annotations

import ast
import json
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from planner.actuals.focus import PROVIDER_NAMES, service_category
from planner.actuals.formats.base import NUM, RAW, TEXT, TIME, Format, Header, Raw, RawSpec, map_values

CHARGE = {"regular": "Usage", "tax": "Tax", "adjustment": "Adjustment", "rounding_error": "Adjustment",
          "credit": "Credit"}
CUD_CREDITS = {"committed_usage_discount", "committed_usage_discount_dollar_base"}


def _credits(v: Any) -> list[tuple[float, str, str]]:
    """(amount, type, id) of each credit in a cell: JSON, Python repr (as some CSV dumps write it), or a list."""
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return []
    items: Any = v
    if isinstance(v, str):
        t = v.strip()
        if not t or t == "[]":
            return []
        items = None
        for loader in (json.loads, ast.literal_eval):
            try:
                items = loader(t)
                break
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                continue
        if items is None:
            return []
    out = []
    for it in list(items) if isinstance(items, (list, tuple, np.ndarray)) else []:
        if isinstance(it, dict) and it.get("amount") is not None:
            out.append((float(it["amount"]), str(it.get("type") or ""), str(it.get("id") or it.get("name") or "")))
    return out


def _month_start(v: Any) -> Any:
    s = str(v).strip() if v is not None else ""
    if len(s) != 6 or not s.isdigit():
        return None
    return pd.Timestamp(f"{s[:4]}-{s[4:]}-01", tz="America/Los_Angeles").tz_convert("UTC")


class GcpBigQuery(Format):
    name = "gcp-bigquery"
    provider = "gcp"
    label = "Google Cloud billing export rows (BigQuery standard or resource-level)"
    signature = ("cost", "usagestarttime", "currency")
    period_keys = ("invoicemonth",)
    raw: ClassVar[RawSpec] = {
        "cost": (NUM, ("cost",)),
        "cost_at_list": (NUM, ("costatlist",)),
        "currency": (TEXT, ("currency",)),
        "start": (TIME, ("usagestarttime",)),
        "end": (TIME, ("usageendtime",)),
        "invoice_month": (TEXT, ("invoicemonth",)),
        "cost_type": (TEXT, ("costtype",)),
        "service": (TEXT, ("servicedescription",)),
        "sku": (TEXT, ("skuid",)),
        "sku_description": (TEXT, ("skudescription",)),
        "region": (TEXT, ("locationregion",)),
        "location": (TEXT, ("locationlocation",)),
        "resource": (TEXT, ("resourceglobalname", "resourcename")),
        "project": (TEXT, ("projectid",)),
        "amount": (NUM, ("usageamount",)),
        "unit": (TEXT, ("usageunit",)),
        "credits": (RAW, ("credits",)),
        "tags": (TEXT, ("labels",)),
    }

    def matches(self, header: Header) -> bool:
        return super().matches(header) and header.count(("servicedescription", "serviceid")) > 0

    def normalize(self, raw: Raw, wanted: set[str], tags: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        n = raw.n
        sku_desc = raw.get("sku_description")
        ct = raw.get("cost_type")
        cat = map_values(ct, lambda v: CHARGE.get(v.strip().lower(), "Adjustment") if isinstance(v, str) else "Usage",
                         categorical=False) if ct is not None else pd.Series(["Usage"] * n, dtype=object)
        cat = cat.fillna("Usage")
        if sku_desc is not None:
            commit = map_values(sku_desc, lambda v: isinstance(v, str) and v.strip().lower().startswith("commitment"),
                                categorical=False).fillna(False).to_numpy(dtype=bool)
            cat[commit & (cat == "Usage").to_numpy()] = "Purchase"
        cost = raw.num("cost")
        out["BilledCost"] = cost
        out["EffectiveCost"] = cost.copy()
        out["ListCost"] = raw.num("cost_at_list")
        out["ChargeCategory"] = cat
        out["BillingCurrency"] = map_values(raw.text("currency"), lambda v: v.strip().upper())
        out["ChargePeriodStart"] = raw.get("start")
        out["ChargePeriodEnd"] = raw.get("end")
        im = raw.get("invoice_month")
        if im is not None:
            bp = map_values(im, _month_start, categorical=False)
            out["BillingPeriodStart"] = pd.to_datetime(bp, utc=True)
            out["BillingPeriodEnd"] = pd.to_datetime(
                bp.map(lambda t: (t.tz_convert("America/Los_Angeles") + pd.offsets.MonthBegin(1)).tz_convert("UTC")
                       if t is not None else None), utc=True)
        svc = raw.text("service")
        out["ServiceName"] = svc
        out["ServiceCategory"] = map_values(svc, lambda v: service_category("gcp", v))
        out["RegionId"] = raw.text("region", "location")
        out["ResourceId"] = raw.text("resource")
        out["SubAccountId"] = raw.text("project")
        out["SkuId"] = raw.text("sku")
        out["ConsumedQuantity"] = raw.num("amount")
        out["ConsumedUnit"] = raw.text("unit")
        pricing = np.full(n, None, dtype=object)
        pricing[cat.to_numpy() == "Usage"] = "Standard"
        out["PricingCategory"] = pd.Series(pricing, dtype=object)
        out["ProviderName"] = raw.constant(PROVIDER_NAMES["gcp"])
        out["CommitmentDiscountId"] = pd.Series([None] * n, dtype=object)
        out.update(self.tags(raw, wanted, tags))
        out = {k: v for k, v in out.items() if k in wanted or k.startswith("tag:") or k == "ChargeCategory"}
        return self._with_credits(raw, out)

    def _with_credits(self, raw: Raw, out: dict[str, Any]) -> dict[str, Any]:
        """``out`` plus one Credit row for each credit of each row (appended after the rows)."""
        col = raw.get("credits")
        if col is None:
            return out
        vals = col.to_numpy(dtype=object)
        rows, amounts, kinds, ids = [], [], [], []
        for i, v in enumerate(vals):
            if isinstance(v, str) and (v == "[]" or not v.strip()):
                continue
            for amount, kind, cid in _credits(v):
                rows.append(i)
                amounts.append(amount)
                kinds.append(kind)
                ids.append(cid)
        if not rows:
            return out
        idx = np.asarray(rows, dtype=np.int64)
        extra: dict[str, Any] = {}
        for k, s in out.items():
            if k in ("BilledCost", "EffectiveCost", "ListCost"):
                extra[k] = pd.Series(amounts, dtype="float64")
            elif k == "ChargeCategory":
                extra[k] = pd.Series(["Credit"] * len(idx), dtype=object)
            elif k == "PricingCategory":
                extra[k] = pd.Series([None] * len(idx), dtype=object)
            elif k in ("ConsumedQuantity",):
                extra[k] = pd.Series(np.nan, index=range(len(idx)), dtype="float64")
            elif k == "ConsumedUnit":
                extra[k] = pd.Series([None] * len(idx), dtype=object)
            elif k == "CommitmentDiscountId":
                extra[k] = pd.Series([c if t.lower() in CUD_CREDITS else None for c, t in zip(ids, kinds)],
                                     dtype=object)
            else:
                extra[k] = s.iloc[idx].reset_index(drop=True) if s is not None else None
        merged: dict[str, Any] = {}
        for k, s in out.items():
            if s is None:
                merged[k] = None
                continue
            a = s.reset_index(drop=True)
            b = extra[k]
            if isinstance(a.dtype, pd.CategoricalDtype) or isinstance(getattr(b, "dtype", None), pd.CategoricalDtype):
                merged[k] = pd.Series(pd.concat([a.astype(object), b.astype(object)], ignore_index=True), dtype=object)
            else:
                merged[k] = pd.concat([a, b], ignore_index=True)
        return merged

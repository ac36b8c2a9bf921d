"""AWS Cost and Usage Reports: legacy CUR (``lineItem/UnblendedCost``), CUR in Athena/parquet
(``line_item_unblended_cost``) and CUR 2.0 (the same snake_case names, tags in a ``resource_tags`` map).

Costs, following AWS's "Understanding your amortized costs" and the CUR data dictionary
(docs.aws.amazon.com/cur/latest/userguide, retrieved 2026):

* **BilledCost** is ``lineItem/NetUnblendedCost`` where the report has it (after discounts), else
  ``lineItem/UnblendedCost``: what the invoice shows for the line.
* **EffectiveCost** (amortized) depends on the line item type:

  - ``DiscountedUsage`` (usage covered by a Reserved Instance): ``reservation/EffectiveCost`` — the
    upfront fee spread over the term plus the recurring fee, for this usage;
  - ``RIFee`` (the monthly RI charge): only its unused part,
    ``reservation/UnusedAmortizedUpfrontFeeForBillingPeriod + reservation/UnusedRecurringFee`` (the used
    part is already in the DiscountedUsage rows);
  - ``Fee`` of a reservation (an RI's upfront payment) and ``SavingsPlanUpfrontFee``: 0, spread over use;
  - ``SavingsPlanCoveredUsage``: ``savingsPlan/SavingsPlanEffectiveCost``;
  - ``SavingsPlanNegation`` (cancels the on-demand cost of covered usage on the invoice): 0;
  - ``SavingsPlanRecurringFee``: the unused commitment,
    ``savingsPlan/TotalCommitmentToDate - savingsPlan/UsedCommitment``;
  - everything else (on-demand usage, spot, tax, credits, refunds, discounts): its billed cost.

  The ``Net`` variants of these columns are used when the report carries them.
* **ListCost**: ``pricing/publicOnDemandCost``, else ``pricing/publicOnDemandRate x lineItem/UsageAmount``.
* **ChargeCategory**: Tax -> Tax; Credit -> Credit; Refund -> Adjustment; RIFee, Fee and the Savings Plan
  fees -> Purchase; usage and discount lines -> Usage.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from planner.actuals.focus import PROVIDER_NAMES, service_category
from planner.actuals.formats.base import (
    NUM,
    RAW,
    TEXT,
    TIME,
    Format,
    Header,
    Raw,
    RawSpec,
    coalesce,
    map_bool,
    map_values,
)
from planner.errors import InputError

USAGE_TYPES = {"usage", "discountedusage", "savingsplancoveredusage", "savingsplannegation", "bundleddiscount",
               "discount", "privateratediscount", "edpdiscount", "distributordiscount", "solutionprovideroffering"}
PURCHASE_TYPES = {"rifee", "fee", "savingsplanupfrontfee", "savingsplanrecurringfee"}
CHARGE = {"tax": "Tax", "credit": "Credit", "refund": "Adjustment", **{t: "Usage" for t in USAGE_TYPES},
          **{t: "Purchase" for t in PURCHASE_TYPES}}
DISCOUNT_TYPES = {"bundleddiscount", "discount", "privateratediscount", "edpdiscount", "distributordiscount",
                  "savingsplannegation"}


def _charge(t: Any) -> Any:
    if not isinstance(t, str) or not t.strip():
        return None
    return CHARGE.get(t.strip().lower(), "Adjustment")


def _pricing(term: Any) -> Any:
    if not isinstance(term, str):
        return None
    t = term.strip().lower()
    return {"ondemand": "Standard", "on-demand": "Standard", "reserved": "Committed", "spot": "Dynamic",
            "savings plan": "Committed"}.get(t)


class AwsCur(Format):
    name = "aws-cur"
    provider = "aws"
    label = "AWS Cost and Usage Report, lineItem/... columns"
    signature = ("lineitemunblendedcost", "lineitemlineitemtype")
    period_keys = ("billbillingperiodstartdate",)
    raw: ClassVar[RawSpec] = {
        "type": (TEXT, ("lineitemlineitemtype",)),
        "unblended": (NUM, ("lineitemunblendedcost",)),
        "net": (NUM, ("lineitemnetunblendedcost",)),
        "currency": (TEXT, ("lineitemcurrencycode",)),
        "start": (TIME, ("lineitemusagestartdate",)),
        "end": (TIME, ("lineitemusageenddate",)),
        "bp_start": (TIME, ("billbillingperiodstartdate",)),
        "bp_end": (TIME, ("billbillingperiodenddate",)),
        "product_name": (TEXT, ("productproductname",)),
        "product_code": (TEXT, ("lineitemproductcode",)),
        "product_map": (RAW, ("product",)),
        "region_code": (TEXT, ("productregioncode",)),
        "region": (TEXT, ("productregion",)),
        "resource": (TEXT, ("lineitemresourceid",)),
        "account": (TEXT, ("lineitemusageaccountid",)),
        "sku": (TEXT, ("productsku",)),
        "amount": (NUM, ("lineitemusageamount",)),
        "unit": (TEXT, ("pricingunit",)),
        "term": (TEXT, ("pricingterm",)),
        "usage_type": (TEXT, ("lineitemusagetype",)),
        "ri_arn": (TEXT, ("reservationreservationarn",)),
        "sp_arn": (TEXT, ("savingsplansavingsplanarn",)),
        "ri_effective": (NUM, ("reservationeffectivecost",)),
        "ri_net_effective": (NUM, ("reservationneteffectivecost",)),
        "ri_unused_upfront": (NUM, ("reservationunusedamortizedupfrontfeeforbillingperiod",)),
        "ri_net_unused_upfront": (NUM, ("reservationnetunusedamortizedupfrontfeeforbillingperiod",)),
        "ri_unused_recurring": (NUM, ("reservationunusedrecurringfee",)),
        "ri_net_unused_recurring": (NUM, ("reservationnetunusedrecurringfee",)),
        "sp_effective": (NUM, ("savingsplansavingsplaneffectivecost",)),
        "sp_net_effective": (NUM, ("savingsplannetsavingsplaneffectivecost",)),
        "sp_total": (NUM, ("savingsplantotalcommitmenttodate",)),
        "sp_net_total": (NUM, ("savingsplannetamortizedupfrontcommitmentforbillingperiod",)),
        "sp_used": (NUM, ("savingsplanusedcommitment",)),
        "list": (NUM, ("pricingpublicondemandcost",)),
        "list_rate": (NUM, ("pricingpublicondemandrate",)),
        "tags": (RAW, ("resourcetags",)),
    }
    # the raw columns each FOCUS column is made from
    _deps: ClassVar[dict[str, tuple[str, ...]]] = {
        "BilledCost": ("type", "unblended", "net"),
        "EffectiveCost": ("type", "unblended", "net", "ri_arn", "ri_effective", "ri_net_effective",
                          "ri_unused_upfront", "ri_net_unused_upfront", "ri_unused_recurring",
                          "ri_net_unused_recurring", "sp_effective", "sp_net_effective", "sp_total", "sp_used"),
        "ListCost": ("type", "list", "list_rate", "amount"),
        "BillingCurrency": ("currency",),
        "ChargePeriodStart": ("start",), "ChargePeriodEnd": ("end",),
        "BillingPeriodStart": ("bp_start",), "BillingPeriodEnd": ("bp_end",),
        "ServiceName": ("product_name", "product_code", "product_map"),
        "ServiceCategory": ("product_code", "product_name"),
        "RegionId": ("region_code", "region"), "ResourceId": ("resource",), "SubAccountId": ("account",),
        "SkuId": ("sku",), "ConsumedQuantity": ("amount",), "ConsumedUnit": ("unit",),
        "ChargeCategory": ("type",), "PricingCategory": ("type", "term", "usage_type"),
        "CommitmentDiscountId": ("sp_arn", "ri_arn"),
    }

    def needs(self, wanted: set[str]) -> set[str]:
        out: set[str] = set()
        for col in wanted:
            out.update(self._deps.get(col, ()))
        if "Tags" in wanted:
            out.add("tags")
        return out

    def prune(self, plan: dict[str, tuple[str, str]], wanted: set[str]) -> dict[str, tuple[str, str]]:
        # the usage amount is needed for a list cost only as rate x amount
        if "amount" in plan and "list_rate" not in plan and "ConsumedQuantity" not in wanted:
            plan = {k: v for k, v in plan.items() if k != "amount"}
        return plan

    def lazy(self, wanted: set[str]) -> set[str]:
        # the product code and the CUR 2.0 product map only stand in for a missing product name (the service),
        # unless the service category is asked for, which is keyed on the code
        return {"product_map"} | (set() if "ServiceCategory" in wanted else {"product_code"})

    def tag_columns(self, header: Header) -> dict[str, str]:
        out = {}
        for n in header.names:
            low = n.lower()
            if low.startswith("resourcetags/"):
                out[self.tag_key(n.split("/", 1)[1])] = n
            elif low.startswith("resource_tags_"):
                out[self.tag_key(n[len("resource_tags_"):])] = n
        return out

    def tag_key(self, key: str) -> str:
        for prefix in ("user:", "user_"):
            if key.startswith(prefix):
                return key[len(prefix):]
        return key

    def normalize(self, raw: Raw, wanted: set[str], tags: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        typ = raw.get("type")
        if typ is None:
            raise InputError("the report has no lineItem/LineItemType column", where=raw.ctx.path)

        # line item types: one small table of the batch's distinct types, masks by comparing codes
        tcodes = np.asarray(typ.cat.codes) if isinstance(typ.dtype, pd.CategoricalDtype) else None
        if tcodes is None:
            typ = typ.astype("category")
            tcodes = np.asarray(typ.cat.codes)
        kinds = [c.strip().lower() if isinstance(c, str) else "" for c in typ.cat.categories]

        def is_type(*names: str) -> np.ndarray:
            want = {n.lower() for n in names}
            idx = [i for i, k in enumerate(kinds) if k in want]
            if not idx:
                return np.zeros(raw.n, dtype=bool)
            if len(idx) > 8:
                return np.isin(tcodes, idx)
            mask = tcodes == idx[0]
            for i in idx[1:]:  # a few comparisons of small codes: faster than np.isin
                mask |= tcodes == i
            return mask

        def amount(lg: str, rows: np.ndarray) -> np.ndarray:
            """A numeric column at ``rows`` as float64 with missing values 0 (a column the report lacks is all 0)."""
            a = raw.take(lg, rows)
            if a is None:
                return np.zeros(len(rows))
            return np.nan_to_num(a, nan=0.0) if np.isnan(a).any() else a

        def net_or(plain: str, net: str, rows: np.ndarray) -> np.ndarray:
            a = amount(plain, rows)
            b = raw.take(net, rows)
            return a if b is None else np.where(np.isnan(b), a, b)

        if wanted & {"BilledCost", "EffectiveCost"}:
            unblended = raw.get("unblended")
            if unblended is None:
                raise InputError("the report has no lineItem/UnblendedCost column", where=raw.ctx.path)
            billed = unblended.to_numpy(dtype="float64", na_value=np.nan)
            if raw.has("net"):
                net = raw.get("net").to_numpy(dtype="float64", na_value=np.nan)  # type: ignore[union-attr]
                billed = np.where(np.isnan(net), billed, net)
            out["BilledCost"] = pd.Series(billed, copy=False)
        if "EffectiveCost" in wanted:
            eff = np.array(out["BilledCost"], dtype="float64")
            # each rule's amounts are read only at the rows of its line item type
            rules = (
                ("DiscountedUsage", "ri_effective", "reservation/EffectiveCost",
                 lambda rows: net_or("ri_effective", "ri_net_effective", rows)),
                ("RIFee", "ri_unused_upfront", "reservation/UnusedAmortizedUpfrontFeeForBillingPeriod",
                 lambda rows: net_or("ri_unused_upfront", "ri_net_unused_upfront", rows)
                 + net_or("ri_unused_recurring", "ri_net_unused_recurring", rows)),
                ("SavingsPlanCoveredUsage", "sp_effective", "savingsPlan/SavingsPlanEffectiveCost",
                 lambda rows: net_or("sp_effective", "sp_net_effective", rows)),
                ("SavingsPlanRecurringFee", "sp_total", "savingsPlan/TotalCommitmentToDate",
                 lambda rows: amount("sp_total", rows) - amount("sp_used", rows)),
            )
            for kind, first, needed, value in rules:
                mask = is_type(kind)
                if mask.any():
                    if not raw.has(first):
                        raise InputError(f"{kind} rows need the {needed} column to give their amortized "
                                         "cost, and the report has none; export the CUR with its reservation "
                                         "and savings plan columns", where=raw.ctx.path)
                    rows = np.flatnonzero(mask)
                    eff[rows] = value(rows)
            zero = is_type("SavingsPlanNegation", "SavingsPlanUpfrontFee")
            ri_arn = raw.get("ri_arn")
            if ri_arn is not None:
                zero |= is_type("Fee") & map_bool(ri_arn, lambda v: isinstance(v, str) and bool(v.strip()))
            eff[zero] = 0.0
            out["EffectiveCost"] = pd.Series(eff, copy=False)
        if "ListCost" in wanted:
            s = raw.get("list")
            lst = np.full(raw.n, np.nan) if s is None else np.array(s, dtype="float64")
            if raw.has("list_rate") and raw.has("amount"):
                gap = np.isnan(lst)
                if gap.any():
                    rate = raw.num("list_rate").to_numpy(dtype="float64", na_value=np.nan)
                    qty = raw.num("amount").to_numpy(dtype="float64", na_value=np.nan)
                    np.copyto(lst, rate * qty, where=gap)
            # discount and negation lines restate other lines' cost: no list cost of their own
            gap = np.isnan(lst)
            if gap.any():
                lst[gap & is_type(*DISCOUNT_TYPES)] = 0.0
            out["ListCost"] = pd.Series(lst, copy=False)
        if "ChargeCategory" in wanted or "ListCost" in wanted:
            out["ChargeCategory"] = map_values(typ, _charge)
        if "PricingCategory" in wanted:
            pc = map_values(raw.text("term"), _pricing, categorical=False)
            committed = is_type("DiscountedUsage", "SavingsPlanCoveredUsage")
            pc[committed] = "Committed"
            ut = raw.get("usage_type")
            if ut is not None:
                pc[map_bool(ut, lambda v: isinstance(v, str) and "SpotUsage" in v)] = "Dynamic"
            pc[~is_type(*USAGE_TYPES)] = None
            out["PricingCategory"] = pc
        if "BillingCurrency" in wanted:
            out["BillingCurrency"] = raw.text("currency")
        for col, lg in (("ChargePeriodStart", "start"), ("ChargePeriodEnd", "end"),
                        ("BillingPeriodStart", "bp_start"), ("BillingPeriodEnd", "bp_end")):
            if col in wanted:
                out[col] = raw.get(lg)
        if "ServiceName" in wanted:
            name = raw.text("product_name")
            pm = raw.get("product_map")
            if pm is not None and name.isna().any():  # CUR 2.0: product_name inside the product map
                from planner.actuals.formats.base import parse_tag_text

                from_map = pd.Series([parse_tag_text(v).get("product_name") for v in pm], dtype=object)
                name = pd.Series(pd.Categorical(name.astype(object).where(name.notna(), from_map)), copy=False)
            out["ServiceName"] = coalesce(name, raw.text("product_code")) if name.isna().any() else name
        if "ServiceCategory" in wanted:
            key = raw.text("product_code", "product_name")
            out["ServiceCategory"] = map_values(key, lambda v: service_category("aws", v))
        for col, lgs in (("RegionId", ("region_code", "region")), ("ResourceId", ("resource",)),
                         ("SubAccountId", ("account",)), ("SkuId", ("sku",)), ("ConsumedUnit", ("unit",)),
                         ("CommitmentDiscountId", ("sp_arn", "ri_arn"))):
            if col in wanted:
                out[col] = raw.text(*lgs)
        if "ConsumedQuantity" in wanted:
            out["ConsumedQuantity"] = raw.num("amount")
        if "ProviderName" in wanted:
            out["ProviderName"] = raw.constant(PROVIDER_NAMES["aws"])
        out.update(self.tags(raw, wanted, tags))
        return out


class AwsAthena(AwsCur):
    name = "aws-athena"
    label = "AWS CUR with Athena/parquet column names, line_item_..."

    def matches(self, header: Header) -> bool:
        return super().matches(header) and not any("/" in n for n in header.names) and not _is_cur2(header)


class AwsCur2(AwsCur):
    name = "aws-cur2"
    label = "AWS CUR 2.0, tags in a resource_tags column"

    def matches(self, header: Header) -> bool:
        return super().matches(header) and _is_cur2(header)


def _is_cur2(header: Header) -> bool:
    return "resource_tags" in header.names or ("product" in header.names and "line_item_product_code" in header.names)

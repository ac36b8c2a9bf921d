"""Actual spend (a FOCUS frame) -> the figures a monthly report needs.

Rules (each is said in the report too):

* **Month of a row**: its ``BillingPeriodStart`` (the invoice month); ``ChargePeriodStart`` when that is absent.
* **Workload of a row**: the value of the scenario's workload tag (``actuals.workload_tag``, default
  ``workload``), mapped through ``actuals.tag_values`` or equal to a workload's name. Rows without the tag are
  *untagged*; tag values that name no workload are kept under their own value, marked unplanned.
* **Projection**: charges for a day or less (``ChargePeriodEnd - ChargePeriodStart <= 1 day``) are
  extrapolated linearly on the days elapsed in the month (the last day with such a charge counts as a whole
  day); charges for longer periods (monthly fees, purchases) are counted once. A month whose daily charges
  reach its last day is complete.
* **Currency**: amounts stay in the billing currency. Mixed currencies need a rate for each non-USD one
  (``fx``: USD per unit) and are then reported in USD; without a rate they are an error.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from planner.errors import InputError
from planner.report.periods import Month

if TYPE_CHECKING:
    from planner.scenario import Scenario

REQUIRED = ("ChargePeriodStart", "BilledCost", "EffectiveCost")
PROVIDERS = {"amazon web services": "aws", "aws": "aws", "amazon": "aws", "google cloud": "gcp", "gcp": "gcp",
             "google": "gcp", "google cloud platform": "gcp", "microsoft": "azure", "azure": "azure",
             "microsoft azure": "azure", "oracle": "oci", "oracle cloud infrastructure": "oci", "oci": "oci"}
UNTAGGED = "(untagged)"
_Q = Decimal("0.000001")


def _dec(x: float) -> Decimal:
    return Decimal(repr(round(float(x), 6))).quantize(_Q)


@dataclass(frozen=True)
class Spend:
    """Actual spend, normalized: one row per charge with month, day, workload, service, cloud and amounts."""

    frame: Any  # pandas DataFrame
    currency: str
    converted: dict[str, Decimal]  # currencies converted to USD, with their rates
    workload_tag: str
    matched_tag: bool  # some row carries the workload tag
    notes: tuple[str, ...] = ()

    @property
    def months(self) -> list[Month]:
        return sorted({Month.parse(m) for m in self.frame["month"].unique()})

    def in_month(self, m: Month) -> Any:
        return self.frame[self.frame["month"] == str(m)]


def _cloud(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        return "(not given)"
    return PROVIDERS.get(name.strip().lower(), name.strip())


def _tags(v: Any) -> dict[str, Any]:
    if isinstance(v, dict):
        return v
    if isinstance(v, str) and v.strip().startswith("{"):
        try:
            parsed = json.loads(v)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return {}


def _text(v: Any, default: str) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return default
    s = str(v).strip()
    return s if s and s.lower() not in ("null", "nan", "none") else default


def _times(df: Any, col: str, where: str) -> Any:
    import pandas as pd

    t = pd.to_datetime(df[col], utc=True, errors="coerce", format="mixed")
    bad = t.isna() & df[col].notna()
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise InputError(f"{col} {df[col].iloc[i]!r} of row {i + 1} is not a date and time; FOCUS dates are ISO 8601 "
                         "such as 2026-03-01T00:00:00Z", where=where, field=col)
    return t


def _currency(df: Any, fx: dict[str, Decimal], where: str, default: str | None) -> tuple[str, Any, dict[str, Decimal]]:
    """(report currency, USD-or-billing multiplier per row, rates used). ``default``: the currency of charges that
    name none (said by the user, never assumed)."""
    import pandas as pd

    given = df["BillingCurrency"] if "BillingCurrency" in df.columns else pd.Series([None] * len(df), index=df.index)
    cur = given.map(lambda v: _text(v, "").upper())
    if default:
        cur = cur.where(cur != "", default.upper())
    if (cur == "").any():
        i = int((cur == "").to_numpy().nonzero()[0][0])
        raise InputError(f"row {i + 1} has no BillingCurrency; amounts without a currency cannot be checked against "
                         "a budget: give the currency of such charges with --billing-currency (e.g. USD)",
                         where=where, field="BillingCurrency")
    kinds = sorted(set(cur))
    if len(kinds) == 1:
        return kinds[0], cur.map(lambda _: 1.0), {}
    missing = [c for c in kinds if c != "USD" and c not in fx]
    if missing:
        example = " ".join(f"--fx {c}=RATE" for c in missing)
        raise InputError(f"actual spend mixes currencies ({', '.join(kinds)}) and no rate is given for "
                         f"{', '.join(missing)}; give each as USD per unit, e.g. {example}", where=where,
                         field="BillingCurrency")
    rates = {c: fx[c] for c in kinds if c != "USD"}
    return "USD", cur.map(lambda c: 1.0 if c == "USD" else float(rates[c])), rates


def prepare(frame: Any, scenario: Scenario, fx: dict[str, Decimal] | None = None, *,
            where: str = "actual spend", billing_currency: str | None = None) -> Spend:
    """Validate and normalize a FOCUS frame (see :func:`planner.actuals.read_actuals`) for a report."""
    import pandas as pd

    fx = fx or {}
    if frame is None or len(frame) == 0:
        raise InputError("actual spend has no rows; give a billing export with charges, or leave --actuals out "
                         "for a plan-and-budget report", where=where)
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise InputError(f"actual spend lacks the FOCUS column{'s' * (len(missing) > 1)} {', '.join(missing)}",
                         where=where, field=missing[0])
    df = frame.reset_index(drop=True)
    currency, mult, rates = _currency(df, fx, where, billing_currency)
    out = pd.DataFrame(index=df.index)
    start = _times(df, "ChargePeriodStart", where)
    if start.isna().any():
        i = int(start.isna().to_numpy().nonzero()[0][0])
        raise InputError(f"row {i + 1} has no ChargePeriodStart", where=where, field="ChargePeriodStart")
    end = _times(df, "ChargePeriodEnd", where) if "ChargePeriodEnd" in df.columns else start
    billing = _times(df, "BillingPeriodStart", where) if "BillingPeriodStart" in df.columns else start
    billing = billing.fillna(start)
    out["month"] = billing.dt.strftime("%Y-%m")
    out["day"] = start.dt.date
    span = (end.fillna(start) - start).dt.total_seconds()
    out["daily"] = span <= 86400
    for col, name in (("BilledCost", "billed"), ("EffectiveCost", "effective"), ("ListCost", "list")):
        if col not in df.columns:
            out[name] = float("nan")
            continue
        vals = pd.to_numeric(df[col].map(lambda v: None if _text(v, "") == "" else v), errors="coerce")
        if col != "ListCost":
            bad = vals.isna()
            if bad.any():
                i = int(bad.to_numpy().nonzero()[0][0])
                raise InputError(f"row {i + 1} has no {col} (or not a number: {df[col].iloc[i]!r}); a missing amount "
                                 "is not zero", where=where, field=col)
        out[name] = vals.astype(float) * mult
    out["cloud"] = df["ProviderName"].map(_cloud) if "ProviderName" in df.columns else "(not given)"
    out["service"] = (df["ServiceName"].map(lambda v: _text(v, "(no service name)"))
                      if "ServiceName" in df.columns else "(no service name)")
    out["category"] = (df["ServiceCategory"].map(lambda v: _text(v, "Other"))
                       if "ServiceCategory" in df.columns else "Other")
    out["charge"] = (df["ChargeCategory"].map(lambda v: _text(v, "Usage"))
                     if "ChargeCategory" in df.columns else "Usage")
    out["pricing"] = (df["PricingCategory"].map(lambda v: _text(v, ""))
                      if "PricingCategory" in df.columns else "")
    out["commitment"] = (df["CommitmentDiscountId"].map(lambda v: _text(v, ""))
                         if "CommitmentDiscountId" in df.columns else "")
    resource = df["ResourceId"].map(lambda v: _text(v, "")) if "ResourceId" in df.columns else pd.Series("", df.index)
    # FOCUS 1.1+: CommitmentDiscountStatus says Used/Unused; where it is not given (FOCUS 1.0), the unused part of
    # a commitment is the usage charged to the commitment itself (ResourceId = CommitmentDiscountId)
    status = (df["CommitmentDiscountStatus"].map(lambda v: _text(v, "").lower())
              if "CommitmentDiscountStatus" in df.columns else pd.Series("", df.index))
    by_resource = (out["commitment"] != "") & (resource == out["commitment"]) & (out["charge"] == "Usage")
    unused = (status == "unused") | ((status == "") & by_resource)
    out["unused"] = unused.to_numpy()

    mapping = scenario.actuals
    tag = mapping.workload_tag if mapping else "workload"
    names = [w.name for w in scenario.workloads] + [fc.name for fc in scenario.fixed_costs]
    value_to_workload = {n: n for n in names}
    if mapping:
        for w, values in mapping.tag_values.items():
            for v in values:
                value_to_workload[v] = w
    tags = df["Tags"].map(_tags) if "Tags" in df.columns else pd.Series([{}] * len(df), index=df.index)
    values = tags.map(lambda t: _text(t.get(tag), ""))
    out["tagged"] = values != ""
    out["workload"] = values.map(lambda v: UNTAGGED if v == "" else value_to_workload.get(v, v))
    out["planned"] = out["workload"].isin(names)
    matched = bool(out["planned"].any())
    notes = []
    if not matched:
        seen = sorted({k for t in tags for k in t})
        hint = f"tag keys in the data: {', '.join(seen[:10])}" if seen else "the data has no tags"
        msg = f"no charge maps to a workload through tag {tag!r} ({hint})"
        if mapping is not None:
            raise InputError(f"{msg}; fix actuals.workload_tag or actuals.tag_values", where=scenario.source_path,
                             field="actuals")
        notes.append(f"{msg}: all spend counts as untagged; map it with an actuals section in the scenario")
    elif mapping:
        seen_values = set(values)
        for w, vals in mapping.tag_values.items():
            if not seen_values & set(vals):
                notes.append(f"actuals.tag_values of {w}: no charge has tag {tag} = {', '.join(vals)}")
    if rates:
        notes.append("converted to USD at " + ", ".join(f"{c} = {r} USD" for c, r in rates.items()))
    return Spend(out, currency, rates, tag, matched, tuple(notes))


@dataclass(frozen=True)
class MonthSpend:
    """One month of actual spend on the report's basis, with its projection to month end."""

    month: Month
    billed: Decimal
    effective: Decimal
    list_cost: Decimal | None
    actual: Decimal  # on the basis (billed or effective), to date
    projected: Decimal  # month-end: equal to actual when the month is complete
    complete: bool
    data_through: date | None  # last day with a daily charge
    days_elapsed: int
    factor: float  # what daily charges are multiplied by to reach month end
    daily: dict[date, Decimal]  # daily charges per day (basis)
    fixed: Decimal  # charges for longer periods (basis)


def month_spend(spend: Spend, m: Month, basis: str) -> MonthSpend | None:
    rows = spend.in_month(m)
    if rows.empty:
        return None
    d = rows[rows["daily"]]
    last = max(d["day"]) if not d.empty else None
    if last is not None and (last.year, last.month) == (m.year, m.month):
        elapsed = last.day
    else:
        elapsed = m.days
    complete = elapsed >= m.days
    factor = 1.0 if complete else m.days / elapsed
    daily = {k: _dec(v) for k, v in d.groupby("day")[basis].sum().items()}
    fixed = _dec(rows.loc[~rows["daily"], basis].sum())
    actual = _dec(rows[basis].sum())
    lst = None if rows["list"].isna().any() else _dec(rows["list"].sum())
    projected = actual if complete else (fixed + sum(daily.values(), Decimal(0)) * Decimal(repr(factor))).quantize(_Q)
    return MonthSpend(m, _dec(rows["billed"].sum()), _dec(rows["effective"].sum()), lst, actual, projected, complete,
                      last, elapsed, factor, daily, fixed)


def grouped(spend: Spend, m: Month, basis: str, by: str | list[str], factor: float = 1.0) -> dict[Any, Decimal]:
    """Spend of month ``m`` per ``by``; ``factor`` > 1 projects the daily charges to month end."""
    rows = spend.in_month(m)
    if rows.empty:
        return {}
    amount = rows[basis].where(~rows["daily"], rows[basis] * factor)
    s = amount.groupby([rows[c] for c in ([by] if isinstance(by, str) else by)]).sum()
    return {k: _dec(v) for k, v in s.items()}


def commitments(spend: Spend, m: Month) -> dict[str, Any] | None:
    """Utilization and coverage of commitment discounts in month ``m`` (effective cost), or None without any.

    utilization = used / (used + unused) commitment; coverage = used commitment / (used commitment + on-demand
    (PricingCategory Standard) usage).
    """
    rows = spend.in_month(m)
    if rows.empty:
        return None
    committed = rows[(rows["commitment"] != "") & (rows["charge"] == "Usage")]
    purchases = rows[(rows["charge"] == "Purchase") & (rows["commitment"] != "")]
    if committed.empty and purchases.empty:
        return None
    used = _dec(committed.loc[~committed["unused"], "effective"].sum())
    unused = _dec(committed.loc[committed["unused"], "effective"].sum())
    on_demand_rows = rows[(rows["charge"] == "Usage") & (rows["commitment"] == "")
                          & (rows["pricing"].str.lower() == "standard")]
    on_demand = _dec(on_demand_rows["effective"].sum())

    def ratio(a: Decimal, b: Decimal) -> float | None:
        return None if b == 0 else round(float(a / b * 100), 1)

    return {"used": used, "unused": unused, "on_demand": on_demand,
            "purchases_billed": _dec(purchases["billed"].sum()),
            "utilization_pct": ratio(used, used + unused), "coverage_pct": ratio(used, used + on_demand),
            "rule": "utilization = used / (used + unused) commitment; coverage = used commitment / (used commitment "
                    "+ on-demand usage); effective (amortized) cost"}


def first_day_over(ms: MonthSpend, budget: Decimal) -> date | None:
    """The day the month's spend to date first passed ``budget`` (longer-period charges count from day 1)."""
    running = ms.fixed
    days = sorted(ms.daily)
    if running > budget:
        return ms.month.first
    for d in days:
        running += ms.daily[d]
        if running > budget:
            return d
    return None


def runs_out_on(ms: MonthSpend, budget: Decimal) -> date | None:
    """The day the month's budget runs out at the current daily burn; None when it lasts the month."""
    hit = first_day_over(ms, budget)
    if hit is not None or ms.complete:
        return hit
    daily_total = sum(ms.daily.values(), Decimal(0))
    if daily_total <= 0:
        return None
    rate = daily_total / ms.days_elapsed
    left = budget - ms.actual
    more = int(left // rate) + 1  # the first day whose running total passes the budget
    day = ms.days_elapsed + more
    return None if day > ms.month.days else ms.month.first + timedelta(days=day - 1)

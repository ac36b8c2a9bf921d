"""Plan vs budget vs actual for one month: the figures of ``planner report`` (rendered by markdown/html/JSON).

Amounts are exact decimals in the report's currency (the billing currency; USD when several are converted).
The plan and a USD budget are converted only with an explicit rate (``fx``: USD per unit of the currency).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from planner.errors import InputError
from planner.report import spend as sp
from planner.report.alerts import evaluate
from planner.report.periods import Month, fmt_amount, fmt_signed, fmt_unit, month_range, pct
from planner.report.plan import PlanSeries, plan_series
from planner.report.volumes import Volumes, merged
from planner.scenario import Scenario, Serving, Training

KPI_SCALE = {"requests": ("cost_per_1k_requests", Decimal(1000), "per 1K requests"),
             "tokens": ("cost_per_1m_tokens", Decimal(1_000_000), "per 1M tokens"),
             "training_runs": ("cost_per_training_run", Decimal(1), "per training run")}
BASES = ("effective", "billed")


@dataclass(frozen=True)
class Report:
    """A month's report: ``data`` holds every figure (Decimal money); see :meth:`to_dict` for the JSON form."""

    data: dict[str, Any]

    @property
    def exit_code(self) -> int:
        return int(self.data["alerts"]["exit_code"])

    @property
    def summary_line(self) -> str:
        return str(self.data["alerts"]["line"])

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(self.data)

    def to_json(self) -> str:
        from planner.render import dumps

        return dumps(self.to_dict())

    def to_markdown(self) -> str:
        from planner.report.markdown import to_markdown

        return to_markdown(self)

    def to_html(self) -> str:
        from planner.report.html import to_html

        return to_html(self)

    def months_frame(self) -> Any:
        """The month-by-month plan, budget and actual as a pandas DataFrame."""
        import pandas as pd

        return pd.DataFrame(self.to_dict()["months"])


def _jsonable(x: Any) -> Any:
    from planner.money import money

    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, Decimal):
        return money(x)
    if isinstance(x, (Month, date)):
        return str(x)
    return x


def _rate(fx: dict[str, Decimal], cur: str, why: str) -> Decimal:
    if cur == "USD":
        return Decimal(1)
    if cur not in fx:
        raise InputError(f"{why}; give the rate as --fx {cur}=RATE (USD per {cur}); no rate is guessed", field="--fx")
    return fx[cur]


def parse_fx(values: list[str] | tuple[str, ...] | dict[str, Any] | None) -> dict[str, Decimal]:
    """``["EUR=1.08"]`` or ``{"EUR": 1.08}`` -> {"EUR": Decimal("1.08")} (USD per unit of the currency)."""
    if not values:
        return {}
    pairs = list(values.items()) if isinstance(values, dict) else []
    if not isinstance(values, dict):
        for v in values:
            for part in str(v).split(","):
                if not part.strip():
                    continue
                cur, eq, rate = part.partition("=")
                if not eq:
                    raise InputError(f"takes CUR=RATE (USD per unit), e.g. EUR=1.08; got {part.strip()!r}", field="--fx")
                pairs.append((cur, rate))
    out: dict[str, Decimal] = {}
    for cur, rate in pairs:
        code = str(cur).strip().upper()
        try:
            r = Decimal(str(rate).strip())
        except ArithmeticError:
            r = Decimal("NaN")
        if len(code) != 3 or not code.isalpha() or not r.is_finite() or r <= 0 or r > 1_000_000:
            raise InputError(f"takes CUR=RATE with a 3-letter currency and a positive rate (USD per unit), e.g. "
                             f"EUR=1.08; got {cur}={rate}", field="--fx")
        out[code] = r
    return out


def parse_budget(text: str | float | Decimal | None) -> tuple[Decimal, str] | None:
    """``40000`` (USD), ``37000 EUR`` or ``EUR 37000`` -> (amount, currency)."""
    if text is None:
        return None
    s = str(text).strip().replace(",", "").replace("_", "")
    cur = "USD"
    parts = s.replace("$", "").split()
    if len(parts) == 1 and parts[0][-3:].isalpha() and len(parts[0]) > 3:
        parts = [parts[0][:-3], parts[0][-3:]]
    if len(parts) == 2:
        a, b = parts
        num, cur = (a, b) if b.isalpha() else (b, a)
        s = num
    elif len(parts) == 1:
        s = parts[0]
    try:
        amount = Decimal(s)
    except ArithmeticError:
        amount = Decimal("NaN")
    cur = cur.upper()
    if not amount.is_finite() or amount <= 0 or amount > Decimal("1e11") or len(cur) != 3 or not cur.isalpha():
        raise InputError(f"takes a positive monthly amount, optionally with its currency (40000, '37000 EUR'); got "
                         f"{text!r}", field="--budget")
    return amount, cur


def _unit_of(sc: Scenario, workload: str) -> str | None:
    """The work that drives a workload's cost: requests (serving), training runs (training)."""
    for w in sc.workloads:
        if w.name == workload:
            if isinstance(w, Serving) and w.style != "edge":
                return "requests"
            if isinstance(w, Training):
                return "training_runs"
    return None


def _fmt_volume(x: float, unit: str) -> str:
    label = {"requests": "requests", "tokens": "tokens", "training_runs": "training run" + "s" * (x != 1)}[unit]
    if x >= 1e9:
        return f"{x / 1e9:,.2f}B {label}"
    if x >= 1e6:
        return f"{x / 1e6:,.2f}M {label}"
    return f"{x:,.4g} {label}"


def build_report(
    scenario: Scenario,
    month: str | Month,
    *,
    actuals: Any = None,
    budget: str | float | Decimal | tuple[Decimal, str] | None = None,
    volumes: Volumes | None = None,
    cloud: str | None = None,
    plan_start: str | None = None,
    baseline: str | None = None,
    fx: dict[str, Any] | list[str] | None = None,
    basis: str = "effective",
    catalog: Any = None,
    pricebook: Any = None,
    warn_at: list[float] | None = None,
    fail_over_budget: bool = False,
    comparison: Any = None,
    billing_currency: str | None = None,
) -> Report:
    """Plan vs budget vs actual for ``month`` (YYYY-MM). ``actuals``: a FOCUS DataFrame (see
    :func:`planner.actuals.read_actuals`) or None for a plan-and-budget report; ``billing_currency``: the currency
    of charges whose BillingCurrency is empty (never assumed)."""
    from planner.comparison import compare

    sc = scenario
    m = month if isinstance(month, Month) else Month.parse(month)
    if basis not in BASES:
        raise InputError(f"basis is effective (amortized) or billed, got {basis!r}", field="--basis")
    rates = fx if isinstance(fx, dict) and all(isinstance(v, Decimal) for v in fx.values()) else parse_fx(fx)
    if billing_currency is not None and not (len(billing_currency) == 3 and billing_currency.isalpha()):
        raise InputError(f"takes a 3-letter currency code such as USD, got {billing_currency!r}",
                         field="--billing-currency")
    spend = sp.prepare(actuals, sc, rates, billing_currency=billing_currency) if actuals is not None else None
    notes: list[str] = list(spend.notes) if spend else []

    # -- plan start and the plan ------------------------------------------------------------------
    if plan_start:
        start, start_rule = Month.parse(plan_start, field="--plan-start"), "--plan-start"
    elif sc.plan_start:
        start, start_rule = Month.parse(sc.plan_start, field="plan_start"), "the scenario's plan_start"
    elif spend is not None and spend.months:
        start, start_rule = spend.months[0], "not given: the first month of actual spend"
    else:
        start, start_rule = m, "not given: the report month"
    cmp = comparison if comparison is not None else compare(sc, catalog, pricebook=pricebook)
    plan = plan_series(cmp, start, cloud)
    notes += plan.notes
    currency = spend.currency if spend else "USD"
    to_cur = Decimal(1) / _rate(rates, currency, f"actual spend is billed in {currency} but the plan is priced "
                                                 "in USD") if currency != "USD" else Decimal(1)

    def conv(x: Decimal | None) -> Decimal | None:
        return None if x is None else x * to_cur

    # -- budget -----------------------------------------------------------------------------------
    given = budget if isinstance(budget, tuple) else parse_budget(budget)
    if given is not None:
        b_amount, b_cur, b_source = given[0], given[1], "--budget"
    elif sc.budget_usd_per_month is not None:
        b_amount, b_cur, b_source = Decimal(str(sc.budget_usd_per_month)), "USD", "the scenario's budget_usd_per_month"
    else:
        b_amount, b_cur, b_source = None, currency, None
    monthly_budget: Decimal | None = None
    if b_amount is not None:
        if b_cur == currency:
            monthly_budget = b_amount
        else:
            usd = b_amount * _rate(rates, b_cur, f"the budget is in {b_cur} and the report in {currency}")
            monthly_budget = usd / _rate(rates, currency, f"the budget is in {b_cur} and the report in {currency}")

    # -- months -----------------------------------------------------------------------------------
    last_actual = m
    first = min([start, *(spend.months[:1] if spend else [])])
    months = month_range(first, max(plan.end, m))
    by_month: dict[Month, sp.MonthSpend | None] = {}
    if spend is not None:
        for mm in months:
            by_month[mm] = sp.month_spend(spend, mm, basis) if mm <= last_actual else None
    rows: list[dict[str, Any]] = []
    cum_plan: Decimal | None = Decimal(0)
    cum_actual: Decimal | None = Decimal(0)
    cum_budget = Decimal(0)
    for mm in months:
        p = conv(plan.month(mm)) if plan.covers(mm) else None
        ms = by_month.get(mm)
        in_plan = plan.covers(mm)
        if in_plan:
            cum_plan = None if cum_plan is None or p is None else cum_plan + p
            cum_budget += monthly_budget or Decimal(0)
        value = ms.projected if ms else None
        if mm <= m and mm >= start:
            fill = value if value is not None else p  # months without actual spend count at plan
            cum_actual = None if cum_actual is None or fill is None else cum_actual + fill
        rows.append({
            "month": mm, "plan_month": (mm - start + 1) if in_plan else None, "plan": p,
            "budget": monthly_budget if in_plan else None,
            "actual_billed": ms.billed if ms else None, "actual_effective": ms.effective if ms else None,
            "actual": ms.actual if ms else None,
            "projected": ms.projected if ms and not ms.complete else None,
            "complete": ms.complete if ms else None,
            "cumulative_plan": cum_plan if in_plan else None,
            "cumulative_budget": cum_budget if in_plan and monthly_budget is not None else None,
            "cumulative_spend": cum_actual if spend is not None and start <= mm <= m else None,
        })

    # -- the report month -------------------------------------------------------------------------
    ms = by_month.get(m)
    prev = by_month.get(m + -1)
    plan_m = conv(plan.month(m)) if plan.covers(m) else None
    if not plan.covers(m):
        notes.append(f"{m} is outside the plan's horizon ({plan.start} to {plan.end}); set plan_start or --plan-start")
    elif plan_m is None:
        notes.append(f"the plan for {m} is incomplete: some of it has no price")
    actual: dict[str, Any] | None = None
    factor = 1.0
    if spend is not None and ms is None:
        notes.append(f"no actual spend for {m} in the data (months with spend: "
                     f"{', '.join(str(x) for x in spend.months)})")
    if ms is not None:
        factor = ms.factor
        untagged = sp.grouped(spend, m, basis, "tagged").get(False, Decimal(0)) if spend else Decimal(0)
        rule = ("complete: daily charges reach the month's last day" if ms.complete else
                f"linear on days elapsed: charges of a day or less x {m.days}/{ms.days_elapsed} days, plus "
                f"charges for longer periods once")
        actual = {"billed": ms.billed, "effective": ms.effective, "list": ms.list_cost, "basis": basis,
                  "to_date": ms.actual, "projected_month_end": ms.projected, "complete": ms.complete,
                  "data_through": ms.data_through, "days_elapsed": ms.days_elapsed, "days_in_month": m.days,
                  "projection_rule": rule, "untagged": untagged, "untagged_share_pct": pct(untagged, ms.actual),
                  "workload_tag": spend.workload_tag if spend else None}
    spend_m = ms.projected if ms else None
    check = max(ms.projected, ms.actual) if ms else plan_m
    check_basis = ("projected month-end spend" if ms and not ms.complete else "actual spend") if ms else "plan"

    variance = None
    if ms is not None:
        variance = {"basis": "projected month-end" if not ms.complete else "actual",
                    "vs_plan": None if plan_m is None else ms.projected - plan_m,
                    "vs_plan_pct": None if plan_m is None else pct(ms.projected - plan_m, plan_m),
                    "vs_budget": None if monthly_budget is None else ms.projected - monthly_budget,
                    "vs_budget_pct": None if monthly_budget is None else pct(ms.projected - monthly_budget,
                                                                             monthly_budget)}
    mom = None
    if ms is not None and prev is not None:
        mom = {"previous_month": m + -1, "previous": prev.actual, "this_month": ms.projected,
               "change": ms.projected - prev.actual, "change_pct": pct(ms.projected - prev.actual, prev.actual),
               "basis": "projected month-end vs the previous month's actual" if not ms.complete else "actual vs actual"}

    # -- by workload --------------------------------------------------------------------------------
    plan_w = {w: conv(v) for w, v in plan.by_workload.get(m, {}).items()} if plan.covers(m) else {}
    act_w = sp.grouped(spend, m, basis, "workload") if ms and spend else {}
    proj_w = sp.grouped(spend, m, basis, "workload", factor) if ms and spend else {}
    order = list(plan.workloads) + sorted(k for k in act_w if k not in plan.workloads and k != sp.UNTAGGED)
    if sp.UNTAGGED in act_w:
        order.append(sp.UNTAGGED)
    total_proj = ms.projected if ms else None
    vols = merged(sc, volumes)
    by_workload = []
    for w in order:
        pw = plan_w.get(w)
        aw, jw = act_w.get(w), proj_w.get(w)
        if ms is not None:
            aw = aw if aw is not None else Decimal(0)
            jw = jw if jw is not None else Decimal(0)
        by_workload.append({
            "workload": w, "planned": w in plan.workloads, "plan": pw, "actual": aw,
            "projected": jw if ms and not ms.complete else None,
            "variance": None if pw is None or jw is None else jw - pw,
            "variance_pct": None if pw is None or jw is None else pct(jw - pw, pw),
            "share_pct": pct(jw, total_proj),
        })

    # -- by service category, service and cloud -----------------------------------------------------
    plan_c = {c: conv(v) for c, v in plan.by_category.get(m, {}).items()} if plan.covers(m) else {}
    proj_c = sp.grouped(spend, m, basis, "category", factor) if ms and spend else {}
    by_category = []
    for c in sorted(set(plan_c) | set(proj_c), key=lambda k: -(proj_c.get(k) or plan_c.get(k) or 0)):
        pc = plan_c.get(c)
        jc = proj_c.get(c, Decimal(0) if ms else None)
        by_category.append({"category": c, "plan": pc, "projected" if ms and not ms.complete else "actual": jc,
                            "variance": None if pc is None or jc is None else jc - pc})
    by_service = []
    if ms is not None and spend is not None:
        cur_s = sp.grouped(spend, m, basis, ["cloud", "service", "category"])
        proj_s = sp.grouped(spend, m, basis, ["cloud", "service", "category"], factor)
        prev_s = sp.grouped(spend, m + -1, basis, ["cloud", "service", "category"]) if prev is not None else {}
        for key in sorted(set(cur_s) | set(prev_s), key=lambda k: (-(proj_s.get(k) or 0), -(prev_s.get(k) or 0), k)):
            now_v, was = cur_s.get(key), prev_s.get(key)
            status = "ongoing" if prev is None else ("new" if was is None else ("vanished" if now_v is None else
                                                                                "ongoing"))
            by_service.append({"cloud": key[0], "service": key[1], "category": key[2], "actual": now_v or Decimal(0),
                               "projected": proj_s.get(key, Decimal(0)) if not ms.complete else None,
                               "previous": was, "change": None if was is None else proj_s.get(key, Decimal(0)) - was,
                               "status": status})
    by_cloud = []
    proj_cloud = sp.grouped(spend, m, basis, "cloud", factor) if ms and spend else {}
    for c in sorted(set(plan.by_cloud) | set(proj_cloud)):
        pcv = conv(plan.by_cloud[c].get(m)) if c in plan.by_cloud and plan.covers(m) else None
        by_cloud.append({"cloud": c, "plan": pcv, "chosen": c == plan.cloud,
                         "actual": proj_cloud.get(c, Decimal(0) if ms else None)})

    # -- variance drivers -----------------------------------------------------------------------------
    drivers: list[dict[str, Any]] = []
    if ms is not None:
        vm = vols.get(m, {})
        for row in by_workload:
            w, pw, jw = row["workload"], row["plan"], row["projected"] if row["projected"] is not None else row["actual"]
            if not row["planned"]:
                if w == sp.UNTAGGED:
                    drivers.append({"kind": "untagged", "name": w, "amount": jw,
                                    "text": f"untagged spend {fmt_amount(jw, currency)} "
                                            f"({row['share_pct'] or 0:.1f}% of the month); plan has none"})
                else:
                    drivers.append({"kind": "unplanned", "name": w, "amount": jw,
                                    "text": f"{w}: {fmt_amount(jw, currency)} tagged {spend.workload_tag if spend else ''}"
                                            f"={w}, not a workload of the scenario"})
                continue
            if pw is None or jw is None or jw == pw:
                continue
            d: dict[str, Any] = {"kind": "workload", "name": w, "amount": jw - pw}
            unit = _unit_of(sc, w)
            pv = plan.volumes.get(m, {}).get(w, {}).get(unit or "") if plan.covers(m) else None
            av = vm.get(w, {}).get(unit or "")
            text = f"{w}: {fmt_signed(jw - pw, currency)} vs plan ({fmt_amount(jw, currency)} vs {fmt_amount(pw, currency)})"
            if jw == 0:
                text = f"{w}: no spend recorded (plan {fmt_amount(pw, currency)})"
            elif unit and pv and av is not None:
                av_m = av * factor  # the month's volume to date, projected like its spend
                _, scale, label = KPI_SCALE[unit]
                plan_unit = pw / Decimal(repr(pv))
                vol_effect = (Decimal(repr(av_m)) - Decimal(repr(pv))) * plan_unit
                price_effect = (jw - pw) - vol_effect
                act_unit = jw / Decimal(repr(av_m)) if av_m else None
                d.update(volume_effect=vol_effect, price_effect=price_effect, unit=unit, planned_volume=pv,
                         volume=av_m)
                text += (f": volume {fmt_signed(vol_effect, currency)} ({_fmt_volume(av_m, unit)} vs "
                         f"{_fmt_volume(pv, unit)} planned), price {fmt_signed(price_effect, currency)} "
                         f"({_unit_text(act_unit, scale, currency)} vs {_unit_text(plan_unit, scale, currency)} "
                         f"{label})")
            d["text"] = text
            drivers.append(d)
        for s in by_service:
            if s["status"] == "new":
                amt = s["projected"] if s["projected"] is not None else s["actual"]
                drivers.append({"kind": "new_service", "name": s["service"], "amount": amt,
                                "text": f"new vs {m + -1}: {s['service']} ({s['cloud']}) {fmt_amount(amt, currency)}"})
            elif s["status"] == "vanished":
                drivers.append({"kind": "vanished_service", "name": s["service"], "amount": -s["previous"],
                                "text": f"gone vs {m + -1}: {s['service']} ({s['cloud']}), was "
                                        f"{fmt_amount(s['previous'], currency)}"})
        drivers.sort(key=lambda d: -abs(d["amount"] or 0))

    # -- budget burn ----------------------------------------------------------------------------------
    burn: dict[str, Any] = {}
    if monthly_budget is not None:
        if ms is not None:
            out_day = sp.runs_out_on(ms, monthly_budget)
            daily_total = sum(ms.daily.values(), Decimal(0))
            rate = daily_total / ms.days_elapsed if ms.days_elapsed else None
            if out_day is not None and (out_day <= (ms.data_through or m.first) or ms.complete):
                text = f"the {m} budget of {fmt_amount(monthly_budget, currency)} was passed on {out_day}"
            elif out_day is not None:
                text = (f"at the current burn ({fmt_amount(rate, currency)} a day) the {m} budget of "
                        f"{fmt_amount(monthly_budget, currency)} runs out on {out_day}")
            else:
                text = (f"the {m} budget of {fmt_amount(monthly_budget, currency)} lasts the month (projected "
                        f"{fmt_amount(ms.projected, currency)})")
            burn["monthly"] = {"budget": monthly_budget, "daily_burn": rate, "runs_out_on": out_day, "text": text}
        if plan.covers(m):
            total = monthly_budget * plan.horizon
            run_rate = ms.projected if ms else plan_m
            cum = next((r["cumulative_spend"] for r in rows if r["month"] == m), None) if spend else None
            if cum is None:
                cum = next((r["cumulative_plan"] for r in rows if r["month"] == m), None)
            out_month = None
            if cum is not None and run_rate is not None:
                running = cum
                mm = m
                if running > total:
                    out_month = m
                else:
                    while mm < plan.end:
                        mm = mm + 1
                        if ms is None:  # without actual spend the plan's own months are the burn
                            nxt = conv(plan.month(mm))
                            if nxt is None:
                                break
                        else:
                            nxt = run_rate
                        running += nxt
                        if running > total:
                            out_month = mm
                            break
            how = "the current month's projected spend each month" if ms else "the plan's months"
            if out_month is not None:
                text = (f"the horizon budget ({fmt_amount(monthly_budget, currency)} x {plan.horizon} months = "
                        f"{fmt_amount(total, currency)}, {plan.start} to {plan.end}) runs out in {out_month} at {how}")
            elif cum is None or run_rate is None:
                text = "the horizon budget's run-out month is unknown: some spend has no price"
            else:
                text = (f"the horizon budget ({fmt_amount(monthly_budget, currency)} x {plan.horizon} months = "
                        f"{fmt_amount(total, currency)}, {plan.start} to {plan.end}) lasts the horizon at {how}")
            burn["horizon"] = {"budget": total, "months": plan.horizon, "start": plan.start, "end": plan.end,
                               "spent_through_month": cum, "run_rate": run_rate, "runs_out_in": out_month,
                               "rule": f"spend to {m} (months without actual spend at plan), then {how}",
                               "text": text}

    # -- unit economics -------------------------------------------------------------------------------
    base = Month.parse(baseline, field="--baseline") if baseline else m + -1
    kpis = _kpis(sc, plan, vols, spend, by_month, conv, months, m, base, basis)

    alerts = evaluate(month=str(m), budget=monthly_budget, spend=check, basis=check_basis, currency=currency,
                      warn_at=list(warn_at or []), fail_over_budget=fail_over_budget)
    commit = sp.commitments(spend, m) if spend is not None else None
    data = {
        "scenario": sc.name, "month": m, "currency": currency, "basis": basis,
        "fx_usd_per_unit": {k: float(v) for k, v in rates.items()},
        "catalog": {"name": cmp.catalog_name, "fetched_at": cmp.catalog_fetched_at},
        "plan": {"cloud": plan.cloud, "region": plan.region, "chosen_by": plan.chosen_by, "start": plan.start,
                 "start_rule": start_rule, "end": plan.end, "horizon_months": plan.horizon,
                 "plan_month": (m - start + 1) if plan.covers(m) else None, "month": plan_m,
                 "complete": plan.complete,
                 "basis": "billed in each month at contracted prices (list prices without a price book)"},
        "budget": None if monthly_budget is None else {
            "monthly": monthly_budget, "given": b_amount, "given_currency": b_cur, "source": b_source,
            "plan_vs_budget": None if plan_m is None else plan_m - monthly_budget,
            "months_over_in_plan": [str(r["month"]) for r in rows
                                    if r["plan"] is not None and r["budget"] is not None and r["plan"] > r["budget"]]},
        "actual": actual, "variance": variance, "drivers": drivers, "month_over_month": mom, "burn": burn,
        "months": rows, "by_workload": by_workload, "by_category": by_category, "by_service": by_service,
        "by_cloud": by_cloud, "commitments": commit, "kpis": kpis, "alerts": alerts,
        "notes": notes, "warnings": list(cmp.warnings),
    }
    _ = spend_m
    return Report(data)


def _unit_text(x: Decimal | None, scale: Decimal, currency: str) -> str:
    return fmt_unit(None if x is None else float(x * scale), currency)


def _unit_value(x: Decimal | None) -> float | None:
    """A unit cost for JSON: 6 decimal places (cents would lose a cost per 1K requests)."""
    return None if x is None else round(float(x), 6)


def _kpis(sc: Scenario, plan: PlanSeries, vols: Volumes, spend: sp.Spend | None,
          by_month: dict[Month, sp.MonthSpend | None], conv: Any, months: list[Month], m: Month, base: Month,
          basis: str) -> dict[str, Any]:
    """Unit costs per workload and month: actual (spend to date / measured volume) and planned (plan / planned)."""
    trend: list[dict[str, Any]] = []
    cost_cache: dict[Month, dict[Any, Decimal]] = {}
    for mm in months:
        pv_all = plan.volumes.get(mm, {}) if plan.covers(mm) else {}
        pw_all = plan.by_workload.get(mm, {}) if plan.covers(mm) else {}
        av_all = vols.get(mm, {})
        if spend is not None and mm <= m and by_month.get(mm) is not None:
            cost_cache[mm] = sp.grouped(spend, mm, basis, "workload")
        for w in [x.name for x in sc.workloads]:
            for unit, (name, scale, label) in KPI_SCALE.items():
                pv = pv_all.get(w, {}).get(unit)
                av = av_all.get(w, {}).get(unit)
                pc = conv(pw_all.get(w))
                plan_value = None if not pv or pc is None else _unit_value(pc / Decimal(repr(pv)) * scale)
                cost = cost_cache.get(mm, {}).get(w) if mm in cost_cache else None
                value = None if not av or cost is None else _unit_value(cost / Decimal(repr(av)) * scale)
                if plan_value is None and value is None:
                    continue
                trend.append({"workload": w, "kpi": name, "label": label, "month": mm, "value": value,
                              "plan_value": plan_value, "cost": cost, "volume": av, "planned_volume": pv})
    rows: list[dict[str, Any]] = []
    for t in trend:
        if t["month"] != m:
            continue
        b = next((x for x in trend if x["month"] == base and x["workload"] == t["workload"] and x["kpi"] == t["kpi"]),
                 None)
        bv = b["value"] if b else None
        rows.append({**t, "baseline_value": bv,
                     "change_vs_baseline_pct": None if not bv or t["value"] is None else round((t["value"] - bv) / bv * 100, 1),
                     "vs_plan_pct": None if t["value"] is None or not t["plan_value"] else
                     round((t["value"] - t["plan_value"]) / t["plan_value"] * 100, 1)})
    return {"baseline": base, "rule": f"actual: the workload's {basis} spend to date / its measured volume of the "
                                      "month; plan: the month's plan / its planned volume",
            "rows": rows, "trend": trend}

"""The vectorised what-if engine (numpy): see :mod:`planner.whatif.core` for what it evaluates.

How a table of variants is evaluated:

1. Columns are *vector* paths -- the request rate of one real-time LLM serving workload (``qps_mean``,
   ``qps_peak``, ``qps_growth_pct_per_month``) and price factors (``prices.<cloud>``) -- or *structural*
   ones (anything else: purchase options, regions, the model, a second workload ...). Rows with the same
   structural values form a group with one base scenario.
2. Capacity, once per group and independent of the rate: each (accelerator, TP) configuration's replica
   rate and the largest per-replica rate that meets the TTFT SLO (:func:`planner.capacity.llm_sizing.
   serving_profiles`). Replica counts for every variant and month then follow in numpy
   (:func:`~planner.capacity.llm_sizing.replicas_for`), and variants needing the same replicas in every
   configuration and month are costed once (a *signature*).
3. Costing, per cloud and region, for all signatures at once: every candidate (configuration x offer,
   and the mixed fleets that beat single types) gets its instance counts per month; each plan the costing
   rules consider -- the 40 cheapest configurations in month 1 kept through the horizon (commitments
   bought as the fleet grows, for their whole terms), and a committed base with on-demand or spot burst --
   is totalled over the horizon, and the cheapest is kept, as :func:`planner.compare` does. The other
   workloads, which the rate does not change, are costed once per group by the costing itself.
4. Price factors multiply what the catalog prices (compute, storage); fixed costs and edge devices are not
   catalog prices and stay as they are. A uniform factor never changes which plan or region is cheapest.

Anything else -- another style of workload, a price book, a cloud that cannot price a workload -- goes
through the exact engine (:func:`planner.whatif.core.exact_rows`), so results are always those of
:func:`planner.compare`; the tests check the two agree to the cent on random samples.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np

from planner.scenario import Scenario, Serving

QPS_FIELDS = ("qps_mean", "qps_peak", "qps_growth_pct_per_month")
MAX_PINS = 40  # planner.costing.MAX_HORIZON_PINS
MAX_BASE = 64  # the largest committed base a base + burst plan tries (planner.costing._base_burst_plans)
ONE_PASS_CELLS = 30_000_000  # replica counts computed for every rate at once up to this many (rates x columns)


class _Fallback(Exception):
    """This group cannot be vectorised: evaluate it exactly."""


# -- classifying paths -----------------------------------------------------------------------------

def classify(scenario: Scenario, paths: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """Each path as ("qps", workload, field), ("price", cloud) or ("struct",)."""
    from planner.whatif.overrides import _resolve, scenario_data

    data = scenario_data(scenario)
    out: dict[str, tuple[str, ...]] = {}
    for p in paths:
        node, key, model = _resolve(data, p)
        if model is None and node is data.get("prices") and isinstance(key, str):
            out[p] = ("price", key)
        elif isinstance(node, dict) and node.get("type") == "serving" and key in QPS_FIELDS and "name" in node:
            out[p] = ("qps", str(node["name"]), str(key))
        else:
            out[p] = ("struct",)
    return out


# -- the capacity side: replica signatures ------------------------------------------------------------

@dataclass
class _Capacity:
    """Replica counts of the swept workload for every distinct (peak QPS, growth) of a group."""

    profiles: list[Any]
    index: np.ndarray  # variant -> signature
    by_km: np.ndarray  # (configurations, months, signatures) replicas, floors applied: each month's row contiguous
    replica_months: np.ndarray  # (configurations, signatures) replicas summed over the horizon (float64)

    @property
    def month0(self) -> np.ndarray:
        """(configurations, signatures) replicas in the first month, a view."""
        return self.by_km[:, 0, :]

    @property
    def sig_replicas(self) -> np.ndarray:
        """The same counts signature-major: (signatures, configurations, months), a view."""
        return self.by_km.transpose(2, 0, 1)


def _eligible(w: Any) -> bool:
    return (getattr(w, "type", None) == "serving" and w.style == "real_time" and w.replica is None
            and w.model is not None and not (w.peak_hours_per_day < 24 and w.qps_mean is not None))


class _Rates:
    """The distinct (peak QPS, growth) pairs of a group, their rate in every month, and replica counts on demand."""

    def __init__(self, sc: Scenario, w: Any, peak: np.ndarray, growth: np.ndarray, months: int,
                 profiles: list[Any]) -> None:
        self.profiles, self.months = profiles, months
        self._capacity: _Capacity | None = None
        self.floor = float(max(w.min_replicas, w.zones, 1))
        self.util = w.utilization_target
        self.order = np.lexsort((peak, growth))
        ps, gs = peak[self.order], growth[self.order]
        new = np.ones(len(ps), dtype=bool)
        new[1:] = (ps[1:] != ps[:-1]) | (gs[1:] != gs[:-1])
        self.pair_of = np.cumsum(new) - 1
        self.up, self.ug = ps[new], gs[new]
        gvals, ginv = np.unique(self.ug, return_inverse=True)
        # each month's rate: peak x (1 + growth)^month, with Python's own power as plan.py computes it
        bases = (1 + gvals / 100.0).tolist()  # IEEE division and addition: the same floats plan.py makes
        self.rates = [self.up * np.array(list(map(pow, bases, itertools.repeat(m))))[ginv] if m else self.up.copy()
                      for m in range(months)]
        self._month0 = [self.reps(k, 0) for k in range(len(profiles))]

    def reps(self, k: int, m: int, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        from planner.capacity.llm_sizing import replicas_for

        if m == 0 and isinstance(rows, slice) and getattr(self, "_month0", None):
            return self._month0[k]
        got: np.ndarray = np.asarray(replicas_for(self.profiles[k], self.rates[m][rows], self.util))
        return np.maximum(got, self.floor)

    def capacity(self) -> _Capacity:
        """The signatures of these rates (computed once, kept with them)."""
        if self._capacity is None:
            self._capacity = self.signatures()
        return self._capacity

    def signatures(self) -> _Capacity:
        """Variants needing the same replicas in every configuration and month, as one signature."""
        n, kk, months = len(self.up), len(self.profiles), self.months
        cols = [(k, m) for k in range(kk) for m in range(months)]
        # a signature starts wherever any of these counts differs from the previous rate's (rates are sorted,
        # so equal counts sit side by side). Replica counts below 2**20 are exact in float32, and so are the
        # instance counts divided from them: half the memory of float64 (beyond that, float64)
        change = np.zeros(n, dtype=bool)
        change[:1] = True
        if n * len(cols) <= ONE_PASS_CELLS:  # small enough: every rate's counts at once, then the distinct ones
            table = np.empty((kk, months, n), dtype=np.float32)
            for k, m in cols:
                col = self.reps(k, m)
                if table.dtype == np.float32 and len(col) and col.max() >= 2**20:
                    table = table.astype(np.float64)
                table[k, m] = col
                change[1:] |= col[1:] != col[:-1]
            by_km = table if change.all() else table[:, :, change]
        else:
            for k, m in cols:
                r = self.reps(k, m)
                change[1:] |= r[1:] != r[:-1]
            starts = np.flatnonzero(change)
            by_km = np.empty((kk, months, len(starts)), dtype=np.float32)
            for k, m in cols:
                col = self.reps(k, m)[starts] if m == 0 else self.reps(k, m, starts)
                if by_km.dtype == np.float32 and len(col) and col.max() >= 2**20:
                    by_km = by_km.astype(np.float64)
                by_km[k, m] = col
        sig_of_pair = np.cumsum(change) - 1
        index = np.empty(len(self.order), dtype=np.int64)
        index[self.order] = sig_of_pair[self.pair_of]
        return _Capacity(self.profiles, index, by_km, by_km.sum(axis=1, dtype=np.float64))


_PROFILES: dict[Any, list[Any]] = {}  # serving profiles by what they depend on, kept between calls (a notebook
# asks again and again of the same model)


def _profile_key(w: Any) -> tuple[Any, ...]:
    """What a workload's serving profiles depend on."""
    return (w.model, tuple(w.accelerators or ()), w.input_tokens, w.output_tokens, w.ttft_p95_ms, w.tpot_ms, w.dtype,
            repr(w.calibration))


def _profiles(w: Any) -> list[Any]:
    key = _profile_key(w)
    hit = _PROFILES.get(key)
    if hit is None:
        if len(_PROFILES) >= 64:
            _PROFILES.clear()
        hit = _PROFILES[key] = _new_profiles(w)
    return hit


def _new_profiles(w: Any) -> list[Any]:
    from planner.capacity.llm_sizing import serving_profiles
    from planner.plan import _calibration, canonical_accelerator

    accs = [canonical_accelerator(a) for a in w.accelerators] if w.accelerators else None
    if accs is None:
        from planner.capacity.hardware import list_accelerators

        accs = list(list_accelerators())
    cal = _calibration(w, w.dtype)
    profiles = serving_profiles(w.model, accs, w.input_tokens, w.output_tokens, ttft_p95_ms=w.ttft_p95_ms,
                                tpot_ms=w.tpot_ms, dtype=w.dtype, calib={a: cal for a in accs} if cal else None)
    if not profiles:
        raise _Fallback("no feasible configuration")
    return profiles


def _rates_for(sc: Scenario, w: Any, peak: np.ndarray, growth: np.ndarray, months: int,
               cache: dict[Any, Any]) -> _Rates:
    sizing = (*_profile_key(w), w.utilization_target, w.min_replicas, w.zones, months)
    hit = cache.get(sizing)
    if (hit is not None and len(hit.order) == len(peak) and np.array_equal(peak[hit.order], hit.up[hit.pair_of])
            and np.array_equal(growth[hit.order], hit.ug[hit.pair_of])):
        return hit  # the same rates (another group of the grid): the same replica counts
    rt = _Rates(sc, w, peak, growth, months, hit.profiles if hit is not None else _profiles(w))
    cache[sizing] = rt
    return rt


def _capacity(sc: Scenario, w: Any, peak: np.ndarray, growth: np.ndarray, months: int,
              cache: dict[Any, Any] | None = None) -> _Capacity:
    """Every configuration in every month (see :class:`_Rates`)."""
    rt = _rates_for(sc, w, peak, growth, months, cache if cache is not None else {})
    return rt.signatures()


# -- the costing side: one cloud and region, every signature ---------------------------------------------

@dataclass
class _Cand:
    k: int  # configuration
    offer: Any
    per: int  # replicas per instance
    rate: float  # effective cost of one instance for a month (hours billed x hourly price)
    po: str
    label: str
    term: int = 0  # commitment term in months (0: none)
    hourly: float = 0.0
    rest: _Cand | None = None  # a mixed fleet: the smaller type taking the remainder
    order: int = 0  # enumeration order (ties)
    exact: Decimal = Decimal(0)  # ``rate`` as the costing has it


@dataclass
class _WResult:
    total: np.ndarray  # contracted spend over the horizon (signatures)
    tail: np.ndarray
    month1: np.ndarray
    itype: np.ndarray  # object
    count: np.ndarray
    po: np.ndarray  # object


def _counts(c: _Cand, r: np.ndarray, zones: int) -> np.ndarray:
    """Instances of a single-type candidate for replica counts ``r`` (whole numbers, at least 1): at least one
    per zone while there are replicas for it. Float64 whole numbers: exact below 2**53, and faster than
    integer division."""
    if c.per == 1:
        n = r.astype(np.float64)
    else:
        n = np.true_divide(r, float(c.per), dtype=np.float64)
        np.ceil(n, out=n)
    if zones > 1:  # with one zone, ceil(r / per) >= 1 >= min(zones, r) already
        np.maximum(n, np.minimum(zones, r), out=n)
    return n


def _mixed_counts(c: _Cand, r: np.ndarray, zones: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(valid, main instances, rest instances) of a mixed fleet for replica counts ``r``."""
    assert c.rest is not None
    n_main = np.floor(r / c.per)
    left = r - n_main * c.per
    n_rest = np.ceil(left / c.rest.per).astype(np.float64, copy=False)
    n_main = n_main.astype(np.float64, copy=False)
    valid = (left > 0) & (n_main > 0) & (n_main + n_rest >= zones)
    return valid, n_main, n_rest


def _candidates(options: list[Any], offers: list[Any], allowed: set[str]) -> list[_Cand]:
    from planner.costing import (
        COMMITMENTS,
        TERM_MONTHS,
        WHOLE_DAY_OPTIONS,
        price_candidate,
        replicas_per_instance,
        sold,
    )

    singles: list[_Cand] = []
    seen: dict[tuple[int, str, str], _Cand] = {}
    order = 0
    for k, opt in enumerate(options):
        for offer in offers:
            order += 1
            if offer.purchase_option not in allowed or not sold(offer):
                continue
            if offer.accelerator != opt.accelerator or offer.accelerator_count < 1:
                continue
            if opt.accelerators_per_replica > offer.accelerator_count:
                continue  # serving replicas do not span instances
            per = replicas_per_instance(opt, offer)
            if per < 1:
                continue
            if offer.purchase_option in WHOLE_DAY_OPTIONS:
                raise _Fallback("whole-day purchase option")
            pc = price_candidate(opt, offer, 1)
            if pc.cost is None:
                continue  # unpriced: never a plan
            key = (k, offer.instance_type or "", offer.purchase_option)
            c = _Cand(k, offer, per, float(pc.cost), offer.purchase_option, offer.instance_type or "",
                      TERM_MONTHS.get(offer.purchase_option, 0), float(pc.cost / pc.hours) if pc.hours else 0.0,
                      order=order, exact=pc.cost)
            prev = seen.get(key)
            if prev is not None:  # the same type twice: the cheaper one is the one a sort finds first
                if c.rate < prev.rate:
                    singles[singles.index(prev)] = c
                    seen[key] = c
                continue
            seen[key] = c
            singles.append(c)
    mixed: list[_Cand] = []
    for a in singles:
        if a.po in (*COMMITMENTS, *WHOLE_DAY_OPTIONS):
            continue
        for b in singles:
            if (b.k != a.k or b.po != a.po or b.label == a.label or b.per >= a.per
                    or b.offer.accelerator != a.offer.accelerator):
                continue
            if a.per % b.per == 0 and b.exact * a.per <= a.exact * b.per:
                # the small type alone is no dearer per replica and packs the same replicas into instances as
                # well: the mixed fleet never costs less than it, so month 1 never keeps it (costing._mixed)
                continue
            order += 1
            mixed.append(_Cand(a.k, a.offer, a.per, a.rate, a.po, f"{a.label} + {b.label}", 0, a.hourly, rest=b,
                               order=order, exact=a.exact))
    return singles + mixed


def _argmin0(a: np.ndarray) -> np.ndarray:
    """``np.argmin(a, axis=0)`` (the first row holding each column's minimum) for a row-major 2-D array, by
    whole-row passes instead of a strided reduction."""
    if len(a) == 0:
        raise ValueError("no rows")
    low = np.minimum.reduce(a, axis=0)
    out = np.full(a.shape[1], -1, dtype=np.int64)
    for i in range(len(a) - 1, -1, -1):  # the last write is the first row
        out[a[i] == low] = i
    out[out < 0] = 0  # a column of nan: argmin's first row
    return out


def _ratchet(n: np.ndarray, term: int) -> tuple[np.ndarray, np.ndarray]:
    """Commitments bought as the fleet grows, each for ``term`` months: (instance-months billed within the
    horizon, instance-months billed after it), for counts ``n`` (months x signatures, whole numbers, none
    negative)."""
    months, u = n.shape
    if term >= months:
        # nothing bought ends within the horizon: the fleet billed is the largest so far (c), and what is bought
        # in month m (c[m] - c[m-1]) runs m + term - months months past the end, which sums to c[-1] x term - sum(c)
        c = n.copy()
        for m in range(1, months):
            np.maximum(c[m - 1], c[m], out=c[m])
        within = c.sum(axis=0)
        return within, c[-1] * term - within
    after = np.maximum(0, np.arange(months) + term - months)
    bought = np.zeros((months, u))
    within = np.zeros(u)
    held = np.zeros((months + 1, u))  # held[m]: instances bought before month m (a running sum)
    for m in range(months):
        active = held[m] - held[max(0, m - term + 1)]  # bought in the term's last months, still running
        np.maximum(0, n[m] - active, out=bought[m])
        within += active + bought[m]
        np.add(held[m], bought[m], out=held[m + 1])
    return within, after @ bought


@dataclass
class _Arrays:
    """Every candidate of one region over every signature (whatever the purchase options allowed): month 1 for
    all, horizon totals computed on demand for the signatures where a candidate can still win."""

    cands: list[_Cand]
    month1: np.ndarray  # (candidates, signatures); inf: not a candidate in month 1 (a mixed fleet that does not
    count1: np.ndarray  # beat the single types)
    keyrank: np.ndarray  # (candidates,) order of (type, purchase option)
    cap: _Capacity  # the replica counts the candidates are costed for
    zones: int
    priced: np.ndarray  # month1 is finite
    total: dict[int, np.ndarray] = field(default_factory=dict)  # candidate -> spend over the horizon (nan: not yet)
    tail: dict[int, np.ndarray] = field(default_factory=dict)

    def totals(self, j: int, rows: np.ndarray) -> None:
        """Horizon total and commitment tail of candidate ``j`` for the signatures ``rows`` (where not yet known)."""
        if j not in self.total:
            self.total[j] = np.full(self.month1.shape[1], np.nan)
            self.tail[j] = np.zeros(self.month1.shape[1])
        tot, tail = self.total[j], self.tail[j]
        rows = rows[np.isnan(tot[rows])]
        if not len(rows):
            return
        c = self.cands[j]
        r = self.cap.by_km[c.k][:, rows]  # months x rows
        if c.rest is None:
            n = _counts(c, r, self.zones)
            if c.term:
                within, after = _ratchet(n, c.term)
                tot[rows] = c.rate * within
                tail[rows] = c.rate * after
            else:
                tot[rows] = c.rate * n.sum(axis=0)
        else:
            valid, n_main, n_rest = _mixed_counts(c, r, self.zones)
            single = _counts(c, r, self.zones)
            tot[rows] = np.where(valid, c.rate * n_main + c.rest.rate * n_rest, c.rate * single).sum(axis=0)


def _arrays(options: list[Any], offers: list[Any], cap: _Capacity, zones: int,
            allowed: set[str] | None = None, spare: _Arrays | None = None) -> _Arrays | None:
    """Month 1 of every candidate for every signature of ``cap``; ``spare``: arrays no longer needed, whose
    memory is written over (already mapped: cheaper than fresh pages)."""
    from planner.costing import WHOLE_DAY_OPTIONS
    from pricing.schema import PURCHASE_OPTIONS, SCHEDULED_OPTIONS

    # serving never runs on scheduled capacity (costing.excluded_options): every other option, allowed or not
    usable = set(PURCHASE_OPTIONS) - set(SCHEDULED_OPTIONS) - set(WHOLE_DAY_OPTIONS)
    cands = _candidates(options, offers, usable if allowed is None else usable & allowed)
    if not cands:
        return None
    u = cap.by_km.shape[2]
    nc = len(cands)
    # candidate-major: each candidate's row is contiguous (every row is written below)
    month1 = _buffer(spare.month1 if spare else None, (nc, u), np.float64)
    count1 = _buffer(spare.count1 if spare else None, (nc, u), np.int32)
    r0_by_k = cap.month0
    first_of: dict[tuple[int, int], int] = {}  # (configuration, replicas per instance) -> its first single
    for j, c in enumerate(cands):
        r0 = r0_by_k[c.k]
        if c.rest is None:
            same = first_of.setdefault((c.k, c.per), j)
            if same == j:
                n0 = _counts(c, r0, zones)
                count1[j] = n0
                np.multiply(n0, c.rate, out=month1[j])
            else:  # the same instances as an earlier candidate
                count1[j] = count1[same]
                np.multiply(count1[same], c.rate, out=month1[j])
        else:  # month 1 needs the mixed fleet itself
            valid, n_main, n_rest = _mixed_counts(c, r0, zones)
            month1[j] = np.where(valid, c.rate * n_main + c.rest.rate * n_rest, np.inf)
            count1[j] = n_main + n_rest
    # a mixed fleet is a candidate only when it beats every single type of its configuration and option
    # (to the micro-dollar: at linear prices it costs what the small type alone does, and float rounding must
    # not make it look cheaper)
    best_single: dict[tuple[int, str], np.ndarray] = {}  # per configuration and option, singles only
    for j, c in enumerate(cands):
        if c.rest is None:
            continue
        if (c.k, c.po) not in best_single:
            group = [i for i, x in enumerate(cands) if x.rest is None and x.k == c.k and x.po == c.po]
            best_single[(c.k, c.po)] = np.round(month1[group].min(axis=0), 6)
        month1[j] = np.where(np.round(month1[j], 6) < best_single[(c.k, c.po)], month1[j], np.inf)
    keys = sorted({(c.label, c.po) for c in cands})
    keyrank = np.array([keys.index((c.label, c.po)) for c in cands])
    priced = np.isfinite(month1, out=_buffer(spare.priced if spare else None, (nc, u), np.bool_))
    return _Arrays(cands, month1, count1, keyrank, cap, zones, priced)


def _buffer(old: np.ndarray | None, shape: tuple[int, int], dtype: Any) -> np.ndarray:
    """An uninitialised array of ``shape``: in the memory of ``old`` (or of the array it views) when that is
    large enough."""
    size = shape[0] * shape[1]
    own = old if old is None or old.base is None else old.base
    if isinstance(own, np.ndarray) and own.dtype == dtype and own.flags.c_contiguous and own.size >= size:
        return own.reshape(-1)[:size].reshape(shape)
    return np.empty(shape, dtype=dtype)


def _floor_rate(c: _Cand, burst: _Cand | None = None) -> float:
    """The least any plan on ``c`` pays per replica-month: its rate per replica; a commitment's 730 hours (a
    committed base) or its burst's rate when lower; the cheaper type of a mixed fleet."""
    rate = c.rate / c.per
    if c.term:
        rate = min(rate, c.hourly * 730.0 / c.per)
    if burst is not None:
        rate = min(rate, burst.rate / burst.per)
    if c.rest is not None:
        rate = min(rate, c.rest.rate / c.rest.per)
    return rate


def cost_workload(options: list[Any], offers: list[Any], allowed: set[str], cap: _Capacity, zones: int,
                  hours: float, arrays: _Arrays | None = None) -> _WResult | None:
    """The swept workload's best plan in one region for every signature of ``cap``; None when nothing is priced
    there. ``arrays``: the region's candidates, when already computed.

    A candidate is costed over the horizon only for the signatures where it can win: where its lower bound
    (every month's replicas at its least rate per replica) is within the horizon cost of month 1's cheapest
    candidate, a plan the costing always compares."""
    region = arrays if arrays is not None else _arrays(options, offers, cap, zones, allowed)
    if region is None:
        return None
    from planner.costing import WHOLE_DAY_OPTIONS

    if allowed & set(WHOLE_DAY_OPTIONS):
        raise _Fallback("whole-day purchase option")
    sel = [j for j, c in enumerate(region.cands) if c.po in allowed]
    if not sel:
        return None
    cands = [region.cands[j] for j in sel]
    reps = cap.sig_replicas
    u, _, months = reps.shape
    rows = np.arange(u)
    every = len(sel) == len(region.cands)  # all allowed: the region's arrays as they are, no copies
    pick_sel = slice(None) if every else sel
    month1, count1, keyrank = region.month1[pick_sel], region.count1[pick_sel], region.keyrank[pick_sel]
    priced = region.priced[pick_sel]  # (candidates, signatures)
    # month 1's cheapest, a plan the costing always compares (any of a near-tie is among its first 40)
    first = _argmin0(month1)
    if not priced[first, rows].all():
        raise _Fallback("a signature with no priced plan")
    ub = np.empty(u)
    by_first = np.argsort(first, kind="stable")
    cuts = np.flatnonzero(np.diff(first[by_first])) + 1
    first_rows = {int(first[g[0]]): g for g in np.split(by_first, cuts)} if u else {}
    for j, at in first_rows.items():
        region.totals(sel[j], at)
        ub[at] = np.round(region.total[sel[j]][at] + region.tail[sel[j]][at], 6)
    ub_loose = ub * (1 + 1e-9) + 1e-6
    bursts = [_burst_for(cands, c) if c.term and c.rest is None else None for c in cands]
    live: list[int] = []  # candidates that can win somewhere, and where
    where: list[np.ndarray] = []
    # per configuration, the most any signature's upper bound allows per replica-month: a candidate whose least
    # rate is above it cannot win anywhere (a margin keeps float rounding on the side of trying)
    most = {k: float(np.max(ub_loose / region.cap.replica_months[k])) if u else 0.0 for k in {c.k for c in cands}}
    for j, c in enumerate(cands):
        floor = _floor_rate(c)
        if floor > most[c.k] * (1 + 1e-9) and j not in first_rows:
            continue
        ok = priced[j] & (floor * region.cap.replica_months[c.k] <= ub_loose)
        if j in first_rows:
            ok[first_rows[j]] = True
        idx = np.flatnonzero(ok)
        if len(idx):
            region.totals(sel[j], idx)
            live.append(j)
            where.append(ok)
    plan_live = np.full((len(live), u), np.inf)
    for i, (j, ok) in enumerate(zip(live, where, strict=True)):
        plan_live[i, ok] = np.round(region.total[sel[j]][ok] + region.tail[sel[j]][ok], 6)
    live_idx = np.asarray(live)
    pick = _argmin0(plan_live)
    best_pin = live_idx[pick]
    best_val = plan_live[pick, rows]
    tied = (plan_live == best_val[None, :]).sum(axis=0) > 1

    def plan_total_rows(hr: np.ndarray) -> np.ndarray:
        out = np.full((len(hr), len(sel)), np.inf)
        out[:, live_idx] = plan_live[:, hr].T
        return out

    # most signatures: the cheapest plan over the horizon is among the 40 first in month 1, and alone
    hard_mask = tied.copy()
    m1j, cj, kj = np.round(month1[best_pin, rows], 6)[None, :], count1[best_pin, rows][None, :], keyrank[best_pin][None, :]
    kr = keyrank[:, None]
    if len(sel) > MAX_PINS:  # the winner may rank below the 40th in month 1 only when there are more than 40
        # at most this many come before it (near-ties counted): where fewer than 40, it is among the first 40
        loose = priced & (month1 <= month1[best_pin, rows][None, :] * (1 + 1e-9) + 1e-6)
        near = np.flatnonzero(loose.sum(axis=0) >= MAX_PINS)
        if len(near):
            m1r = np.round(month1[:, near], 6)  # the order the costing sorts by: to the micro-dollar
            c1, mj, cjn, kjn = count1[:, near], m1j[:, near], cj[:, near], kj[:, near]
            before = priced[:, near] & ((m1r < mj) | ((m1r == mj) & ((c1 < cjn) | ((c1 == cjn) & (kr < kjn)))))
            hard_mask[near[before.sum(axis=0) >= MAX_PINS]] = True
    dup = np.flatnonzero(np.bincount(keyrank)[keyrank] > 1)  # one type and option in several configurations
    wins_dup = np.flatnonzero(np.isin(best_pin, dup)) if len(dup) else np.empty(0, dtype=np.int64)
    if len(wins_dup):  # a tie on cost, count, type and option is ordered by the configurations' order in the month
        kw = keyrank[best_pin[wins_dup]]
        for key in np.unique(kw):  # the winner's type and option in its other configurations
            w = wins_dup[kw == key]
            members = np.flatnonzero(keyrank == key)
            same = (priced[np.ix_(members, w)] & (np.round(month1[np.ix_(members, w)], 6) == m1j[:, w])
                    & (count1[np.ix_(members, w)] == cj[:, w]))
            hard_mask[w[same.sum(axis=0) > 1]] = True
    hard = np.flatnonzero(hard_mask)
    if len(hard):
        pt = plan_total_rows(hard)
        best_pin[hard] = _ordered_choice(options, reps[hard], cands, pt, np.round(month1[:, hard].T, 6),
                                         count1[:, hard].T, keyrank)
        best_val[hard] = pt[np.arange(len(hard)), best_pin[hard]]
    out_total = np.empty(u)
    out_tail = np.empty(u)
    for j in np.unique(best_pin):
        at = best_pin == j
        out_total[at], out_tail[at] = region.total[sel[j]][at], region.tail[sel[j]][at]
    out_m1 = month1[best_pin, rows].copy()
    out_count = count1[best_pin, rows].copy()
    out_j = best_pin.copy()
    # committed base + burst: for each commitment, the committed count with the lowest total; it replaces the
    # plan above only when strictly cheaper (those plans come after the configurations in the costing's list)
    horizon = months
    for j, c in enumerate(cands):
        burst = bursts[j]
        if burst is None:
            continue
        b = cands[burst]
        lb = _floor_rate(c, b) * region.cap.replica_months[c.k]
        at = np.flatnonzero(priced[j] & priced[burst] & (lb <= best_val * (1 + 1e-9) + 1e-6))
        if not len(at):
            continue
        n = np.ascontiguousarray(_counts(c, region.cap.by_km[c.k][:, at], zones).T)  # rows x months
        top = np.minimum(n.max(axis=1), MAX_BASE)
        bought_months = math.ceil(horizon / c.term) * c.term
        fixed = c.hourly * 730.0
        best_b, best_b_val = best_base(n, top, fixed, b.hourly * hours, bought_months)
        win = best_b_val < best_val[at]
        if win.any():
            w_rows = at[win]
            base = best_b[win]
            monthly = fixed * base[:, None] + b.hourly * hours * np.maximum(0, n[win] - base[:, None])
            out_total[w_rows] = monthly.sum(axis=1)
            out_tail[w_rows] = fixed * base * (bought_months - horizon)
            out_m1[w_rows] = monthly[:, 0]
            out_count[w_rows] = n[win, 0]
            out_j[w_rows] = j
            best_val[w_rows] = best_b_val[win]
    labels = np.array([c.offer.instance_type for c in cands], dtype=object)
    pos_ = np.array([c.po for c in cands], dtype=object)
    return _WResult(out_total, out_tail, out_m1, labels[out_j], out_count, pos_[out_j])


def best_base(n: np.ndarray, cap: np.ndarray, fixed: float, per_month: float, bought_months: int
              ) -> tuple[np.ndarray, np.ndarray]:
    """The committed base with the lowest total, the first on ties, for each row of monthly counts ``n`` (rows x
    months), bases 1 to ``cap``: (base, total to the micro-dollar). ``fixed``: a committed instance's month;
    ``per_month``: a burst instance's month; ``bought_months``: months of commitment bought (horizon rounded up
    to whole terms).

    The total -- base x fixed x months bought, plus per_month x the instances above the base each month -- is
    convex and piecewise linear in the base, its slope non-negative once at most K = fixed x months bought /
    per_month months exceed the base. Its first minimum is 1, the cap, or the K-th largest monthly count; the
    counts beside that one are tried too, in case float rounding puts K one off."""
    m, months = n.shape
    k_at = int(fixed * bought_months // per_month) if per_month > 0 else months
    desc = -np.sort(-n, axis=1)
    # instance-months above a base b: with j months above it (the j largest), sum of those j counts - j x b
    csum = np.zeros((m, months + 1))
    np.cumsum(desc, axis=1, out=csum[:, 1:])
    j_cap = np.count_nonzero(desc > cap[:, None], axis=1)
    tries = [(np.ones(m), np.count_nonzero(desc > 1, axis=1)), (cap, j_cap)]
    if k_at < months:
        for i in (k_at - 1, k_at, k_at + 1):
            t = min(max(i, 0), months - 1)
            over = desc[:, t] > cap  # the t-th largest count above the cap: the cap instead
            tries.append((np.where(over, cap, desc[:, t]), np.where(over, j_cap, t)))
    flat = csum.ravel()
    row_start = np.arange(m) * (months + 1)
    best_val = np.full(m, np.inf)
    best = np.zeros(m)
    for base, j in tries:  # the lowest total; on a tie the lowest base (the costing tries bases upwards)
        above = np.take(flat, row_start + j) - j * base  # whole numbers
        tot = np.round(fixed * bought_months * base + per_month * above, 6)
        better = (base >= 1) & ((tot < best_val) | ((tot == best_val) & (base < best)))
        best_val = np.where(better, tot, best_val)
        best = np.where(better, base, best)
    return best, best_val


def _ordered_choice(options: list[Any], reps: np.ndarray, cands: list[_Cand], plan_total: np.ndarray,
                    m1r: np.ndarray, count1: np.ndarray, keyrank: np.ndarray) -> np.ndarray:
    """The costing's choice the long way, for signatures where order matters: candidates sorted as in month 1
    (cost, instances, type and option, then the order they are enumerated in), the first 40 kept, and the
    first of the cheapest over the horizon."""
    u, nc = plan_total.shape
    opt_rank = _option_rank(options, reps[:, :, 0])
    n_off = max(c.order for c in cands) + 1
    enum = np.where([c.rest is None for c in cands], opt_rank[:, [c.k for c in cands]] * n_off
                    + np.array([c.order % n_off for c in cands]), 10**9 + np.array([c.order for c in cands]))
    order = np.lexsort((enum, np.broadcast_to(keyrank, (u, nc)), count1, m1r), axis=-1)
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(nc)[None, :].repeat(u, axis=0), axis=-1)
    priced = np.isfinite(m1r)
    pos = np.cumsum(np.take_along_axis(priced, order, axis=-1), axis=-1)
    within = np.empty_like(pos)
    np.put_along_axis(within, order, pos, axis=-1)
    chosen = np.where(priced & (within <= MAX_PINS), plan_total, np.inf)
    return np.lexsort((rank, chosen), axis=-1)[:, 0]


def _burst_for(cands: list[_Cand], commit: _Cand) -> int | None:
    """The burst of a commitment: the cheapest on-demand or spot fleet of the same type and configuration."""
    best: int | None = None
    for i, c in enumerate(cands):
        same = c.rest is None and c.k == commit.k and c.label == commit.label and c.po in ("on_demand", "spot")
        if same and (best is None or (c.rate, c.po) < (cands[best].rate, cands[best].po)):
            best = i
    return best


def _option_rank(options: list[Any], r0: np.ndarray) -> np.ndarray:
    """Each configuration's place in the month's option list (sorted by accelerators in total, then TP, then
    accelerator name), per signature."""
    tp = np.array([o.accelerators_per_replica for o in options])
    names = sorted({o.accelerator or "" for o in options})
    acc = np.array([names.index(o.accelerator or "") for o in options])
    u, k = r0.shape
    order = np.lexsort((np.broadcast_to(acc, (u, k)), np.broadcast_to(tp, (u, k)), r0 * tp), axis=-1)
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(k)[None, :].repeat(u, axis=0), axis=-1)
    return rank


# -- the other workloads, once per group -----------------------------------------------------------------

@dataclass
class _Others:
    """What every workload but the swept one costs in one region (contracted, at the base prices)."""

    scaled: float  # catalog-priced spend over the horizon
    fixed: float  # fixed costs and edge devices over the horizon (no price factor applies)
    tail: float
    month1_scaled: float
    month1_fixed: float
    compute: list[tuple[int, float, str | None, int | None, str | None]] = field(default_factory=list)
    w_order: int = 0  # the swept workload's place among the compute items
    order_of: dict[str, int] = field(default_factory=dict)  # workload name -> its place


def _others(parts: dict[str, Any], wname: str | None, order_of: dict[str, int]) -> _Others:
    """``parts``: every workload but the swept one; ``order_of``: each workload's place in the scenario."""
    o = _Others(0.0, 0.0, 0.0, 0.0, 0.0)
    o.order_of = dict(order_of)
    o.w_order = order_of.get(wname or "", -1)
    for j, (key, p) in enumerate(parts.items()):
        idx = order_of.get(key, len(order_of) + j)
        if key == wname:
            continue
        if p.contracted is None or any(not i.priced for i in p.items) or None in p.monthly:
            raise _Fallback(f"{key} is not priced in every month")
        flat = key.startswith("fixed:") or any(i.kind == "edge" for i in p.items)
        if flat:
            o.fixed += float(p.contracted)
            o.month1_fixed += float(p.monthly[0])
        else:
            o.scaled += float(p.contracted)
            o.month1_scaled += float(p.monthly[0])
        o.tail += float(p.tail)
        for i in p.items:
            if i.resource == "instance":
                o.compute.append((idx, float(i.contracted_cost or Decimal(0)), i.instance_type, i.count,
                                  i.purchase_option))
    return o


# -- putting a group together ----------------------------------------------------------------------------

def _group_rows(base: Scenario, cat: Any, wname: str | None, peak: np.ndarray | None, growth: np.ndarray | None,
                factors: dict[str, np.ndarray], n: int, workload: str | None, memo: dict[Any, Any],
                tick: Callable[[float], None] | None = None) -> tuple[np.ndarray, dict[str, list[tuple[np.ndarray, bool]]]]:
    """Result columns for ``n`` variants of ``base``: each variant's signature, and per column a list by cloud
    of (values, per variant?) (see :func:`_cloud_arrays`). ``tick``: told the share of the group done."""
    from planner.comparison import _cost_region
    from planner.costing import excluded_options
    from planner.plan import plan, plan_serving

    sc = base.model_copy(update={"prices": {}}) if base.prices else base
    _check_regions(sc, cat)
    horizon = sc.horizon_months
    options_po = list(sc.compare.purchase_options)
    # the other workloads do not change with the rate: planned and costed once for the group
    rest = sc.model_copy(update={"workloads": [x for x in sc.workloads if x.name != wname]}) if wname else sc
    reqs_by_month = [plan(rest, m) for m in range(horizon)]
    order_of = {x.name: i for i, x in enumerate(sc.workloads)}
    w = next((x for x in sc.workloads if x.name == wname), None) if wname else None
    cap: _Capacity | None = None
    w_options: list[Any] = []
    allowed: set[str] = set()
    union: set[str] = set()
    zones = 1
    hours = 730.0
    if w is not None:
        assert peak is not None and growth is not None
        rt = _rates_for(sc, w, peak, growth, horizon, memo.setdefault("rates", {}))
        assert isinstance(w, Serving)
        req0 = plan_serving(sc, w, 0)
        by_cfg = {(o.accelerator, o.accelerators_per_replica): o for o in req0.options}
        try:
            w_options = [by_cfg[(p.accelerator, p.tp)] for p in rt.profiles]
        except KeyError:
            raise _Fallback("configurations differ") from None
        allowed = set(options_po) - set(excluded_options(req0, options_po))
        every = sorted(memo.get("options", ()))  # what any group allows, for the candidates the groups share
        union = allowed | (set(every) - set(excluded_options(req0, every)))
        zones = w_options[0].min_instances
        hours = w_options[0].hours
        if any(o.levels or o.packing != "replicas" for o in w_options):
            raise _Fallback("levels")
        offers_by = {(c, r): cat.query(provider=c, region=r, resource="instance")
                     for c in sc.compare.clouds for r in sc.compare.regions_for(c)}
        cap = rt.capacity()
    if tick is not None:
        tick(0.3)
    n_regions = sum(len(sc.compare.regions_for(c)) for c in sc.compare.clouds)
    done = 0
    cols: dict[str, list[tuple[np.ndarray, bool]]] = {c: [] for c in ("cloud", "region", "monthly_cost", "month_1_cost", "horizon_cost",
                                                  "commitment_tail", "instance_type", "count", "purchase_option",
                                                  "complete", "winner")}
    per_cloud: list[dict[str, tuple[np.ndarray, bool]]] = []
    for cloud in sc.compare.clouds:
        regions = sc.compare.regions_for(cloud)
        per_region = []
        for r in regions:
            parts = _cost_region(rest, reqs_by_month, cat, cloud, r, options_po, None)
            oth = _others(parts, wname, order_of)
            wres = None
            if cap is not None:
                offers = offers_by[(cloud, r)]
                # every group with these replica counts shares the region's candidates, and their totals once
                # computed (kept with the counts they were computed from: a group with other rates has its own)
                key = ("candidates", cloud, r, zones, hours, frozenset(union))
                shared = "options" in memo  # several groups: keep each region's candidates for the others
                hit = memo.get(key)
                if hit is None or hit[0] is not cap:
                    spare = None if shared else memo.pop("spare", None)
                    hit = memo[key] = (cap, _arrays(w_options, offers, cap, zones, union, spare))
                wres = cost_workload(w_options, offers, allowed, cap, zones, hours, hit[1])
                if not shared:  # one group: this region's arrays are done with; the next region reuses them
                    memo["spare"] = memo.pop(key)[1]
                if wres is None:
                    raise _Fallback(f"{wname} is not priced in {cloud} {r}")
            done += 1
            if tick is not None:
                tick(0.3 + 0.65 * done / n_regions)
            per_region.append((r, oth, wres))
        per_cloud.append(_cloud_arrays(cloud, per_region, sc.compare.placement, cap, n, horizon, factors.get(cloud),
                                       bool(factors), workload, wname))
    # the winner: the cheapest over the horizon, commitment tail included (every cloud here is complete)
    decisive = np.stack([np.round(d["horizon_cost"][0] + d["commitment_tail"][0], 6) for d in per_cloud])
    win = _argmin0(decisive)
    for ci, d in enumerate(per_cloud):
        d["winner"] = (win == ci, bool(factors))
    for d in per_cloud:
        for c, acc in cols.items():
            acc.append(d[c])
    return cap.index if cap is not None else np.zeros(n, dtype=np.int64), cols


def _check_regions(sc: Scenario, cat: Any) -> None:
    """The clouds and regions compare() would refuse: let it say why, in its words."""
    from planner.comparison import compare
    from planner.scenario import CLOUDS as DEFAULT_CLOUDS

    for cloud in sc.compare.clouds:
        known = cat.regions(cloud)
        if (not known and cloud not in DEFAULT_CLOUDS) or any(r not in known for r in sc.compare.regions_for(cloud)):
            compare(sc, cat)
            raise _Fallback("regions")


def _cloud_arrays(cloud: str, per_region: list[tuple[str, _Others, _WResult | None]], placement: str,
                  cap: _Capacity | None, n: int, horizon: int, factor: np.ndarray | None, per_variant: bool,
                  workload: str | None, wname: str | None) -> dict[str, tuple[np.ndarray, bool]]:
    """One cloud's result columns, each as (values, per variant?): per signature (read through the group's
    signature index) unless ``per_variant`` (a price factor in the group: costs differ by variant)."""
    idx = cap.index if cap is not None else np.zeros(n, dtype=np.int64)
    nsig = int(idx.max()) + 1 if cap is not None else 1

    def w_arr(wres: _WResult | None, attr: str, default: Any = 0.0) -> np.ndarray:
        if wres is None:
            return np.full(nsig, default, dtype=object if isinstance(default, str) or default is None else float)
        return getattr(wres, attr)

    if placement != "single_region":
        raise _Fallback("per-workload placement")  # each part picks its own region: the exact path
    scores = np.stack([np.round(o.scaled + o.fixed + o.tail + w_arr(wr, "total") + w_arr(wr, "tail"), 6)
                       for _, o, wr in per_region])
    pick = _argmin0(scores)  # the first region on ties, as compare() keeps the first
    sig = np.arange(nsig)

    def take(fn: Any, dtype: Any = object) -> np.ndarray:
        if len(per_region) == 1:  # one region: its values as they are
            _, o, wr = per_region[0]
            return np.broadcast_to(np.asarray(fn(o, wr), dtype=dtype), (nsig,))
        vals = np.stack([np.broadcast_to(np.asarray(fn(o, wr), dtype=dtype), (nsig,)) for _, o, wr in per_region])
        return vals[pick, sig]

    region = np.array([r for r, _, _ in per_region], dtype=object)[pick]
    scaled = take(lambda o, wr: o.scaled + w_arr(wr, "total"), float)
    fixed = take(lambda o, wr: o.fixed, float)
    tail = take(lambda o, wr: o.tail + w_arr(wr, "tail"), float)
    m1s = take(lambda o, wr: o.month1_scaled + w_arr(wr, "month1"), float)
    m1f = take(lambda o, wr: o.month1_fixed, float)
    item = [take(lambda o, wr, a=a: _main_item(o, wr, nsig, workload, wname, a)) for a in range(3)]
    per_sig = {"cloud": (np.full(nsig, cloud, dtype=object), False), "region": (region, False),
            "instance_type": (item[0], False), "purchase_option": (item[2], False),
            "count": (np.asarray(item[1], dtype=float), False), "complete": (np.ones(nsig, dtype=bool), False)}
    if not per_variant:
        horizon_cost = scaled + fixed
        return {**per_sig, "horizon_cost": (horizon_cost, False), "monthly_cost": (horizon_cost / horizon, False),
                "month_1_cost": (m1s + m1f, False), "commitment_tail": (tail, False)}
    f = np.ones(n) if factor is None else factor
    horizon_cost = scaled[idx] * f + fixed[idx]
    return {**per_sig, "horizon_cost": (horizon_cost, True), "monthly_cost": (horizon_cost / horizon, True),
            "month_1_cost": (m1s[idx] * f + m1f[idx], True), "commitment_tail": (tail[idx] * f, True)}


def _main_item(o: _Others, wr: _WResult | None, nsig: int, workload: str | None, wname: str | None,
               attr: int) -> np.ndarray:
    """Field ``attr`` (type, count, purchase option) of the line item that names the cloud's hardware, per
    signature: the given workload's, else the costliest compute item in month 1 (the first on ties, in the
    scenario's order), as core.main_compute_item chooses it."""
    fields = ("itype", "count", "po")
    if workload is not None and workload != wname:
        mine = [x for x in o.compute if x[0] == o.order_of.get(workload, -1)]
        if mine:
            return np.full(nsig, (mine[0][2], mine[0][3], mine[0][4])[attr], dtype=object)
    if wr is not None:
        out = np.asarray(getattr(wr, fields[attr]), dtype=object).copy()
        if workload == wname:
            return out
        for order, cost, itype, count, po in o.compute:
            beats = (cost > wr.month1) | ((cost == wr.month1) & (order < o.w_order))
            val: Any = (itype, count, po)[attr]
            out = np.where(beats, val, out)
        return out
    best = None
    for x in o.compute:
        if best is None or x[1] > best[1]:
            best = x
    return np.full(nsig, None if best is None else (best[2], best[3], best[4])[attr], dtype=object)


# -- the entry point -----------------------------------------------------------------------------------

def evaluate_numpy(scenario: Scenario, table: Any, *, catalog: Any = None, workload: str | None = None,
                   progress: Any = None) -> Any:

    import gc

    from pricing.catalog import Catalog, load_catalog

    cat = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
    paths = list(table.columns)
    kinds = classify(scenario, paths)
    was = gc.isenabled()
    gc.disable()  # large arrays, few cycles: the collector's passes over them cost more than they free
    try:
        return _evaluate(scenario, table, cat, paths, kinds, workload, progress)
    finally:
        if was:
            gc.enable()


def _evaluate(scenario: Scenario, table: Any, cat: Any, paths: list[str], kinds: dict[str, tuple[str, ...]],
              workload: str | None, progress: Any) -> Any:
    from planner.whatif.core import exact_rows

    qps_paths = [p for p in paths if kinds[p][0] == "qps"]
    wnames = {kinds[p][1] for p in qps_paths}
    struct = [p for p in paths if kinds[p][0] == "struct"]
    if len(wnames) > 1 or (workload is not None and wnames and workload not in wnames):
        return exact_rows(scenario, table, catalog=cat, workload=workload)
    wname = next(iter(wnames), None)
    n_all = len(table)
    groups = _groups(table, struct)
    from planner.whatif.core import _plain
    from planner.whatif.overrides import what_if

    subs = [table.iloc[rows] if len(groups) > 1 else table for rows in groups]
    bases = [what_if(scenario, {p: _plain(sub[p].iat[0]) for p in struct}) if struct else scenario for sub in subs]
    # shared by the groups: capacity, and each region's candidates under every purchase option any group allows
    # (a group picks its own options from them)
    memo: dict[Any, Any] = {"options": set().union(*(b.compare.purchase_options for b in bases))} if len(bases) > 1 else {}
    steps = 100  # progress: 100 steps a group (capacity, then each region), and 10 for the frame at the end
    total = steps * len(groups) + steps // 10

    def tick(gi: int) -> Callable[[float], None] | None:
        if progress is None:
            return None
        return lambda part: progress(gi * steps + int(part * steps), total)

    frames = []
    for gi, (rows, sub, base) in enumerate(zip(groups, subs, bases, strict=True)):
        frames.append(_evaluate_group(scenario, base, sub, rows, cat, kinds, qps_paths, wname, workload, memo,
                                      tick(gi)))
        if progress is not None:
            progress((gi + 1) * steps, total)
    return _assemble(table, paths, frames, n_all)


TEXT = ("cloud", "region", "instance_type", "purchase_option")
# a group's rows of one cloud (or a group the exact engine evaluated): (variants, each row's place among its
# variant's rows, each row's signature, columns as (values, per row?)); values not per row are read through the
# signature index
Piece = tuple[np.ndarray, Any, np.ndarray, dict[str, tuple[np.ndarray, bool]]]


def _assemble(table: Any, paths: list[str], parts: list[list[Piece]], n_all: int) -> Any:
    """One frame from the groups' pieces, rows by variant, then cloud in the order compared: every column one
    gather from its pieces' values laid end to end, in output order."""
    import pandas as pd

    from planner.whatif.core import RESULT_COLUMNS

    pieces = [pc for part in parts for pc in part]
    counts = np.zeros(n_all, dtype=np.int64)  # rows per variant
    for rows, pos, _, _ in pieces:
        if isinstance(pos, int | np.integer):  # a row per variant
            counts[rows] = np.maximum(counts[rows], pos + 1)
        else:
            np.maximum.at(counts, rows, pos + 1)
    width = int(counts.max()) if n_all else 0
    uniform = bool((counts == width).all())
    start = None if uniform else np.concatenate([[0], np.cumsum(counts)[:-1]])
    total = n_all * width if uniform else int(counts.sum())

    def dest(rows: np.ndarray, pos: Any) -> Any:
        if start is not None:
            return start[rows] + pos
        if isinstance(pos, int | np.integer) and len(rows) > 1:
            step = int(rows[1] - rows[0])
            if step > 0 and int(rows[-1] - rows[0]) == step * (len(rows) - 1) and (np.diff(rows) == step).all():
                first = int(rows[0]) * width + int(pos)
                return slice(first, first + step * width * (len(rows) - 1) + 1, step * width)
        return rows * width + pos

    # a column is read per signature in every piece (one index: piece offset + signature), or else per row
    by_row = {c for c in RESULT_COLUMNS if any(cols[c][1] for _, _, _, cols in pieces)}
    sig_at = np.empty(total, dtype=np.int64) if len(by_row) < len(RESULT_COLUMNS) else None
    row_at = np.empty(total, dtype=np.int64) if by_row else None
    off_sig = off_row = 0
    for rows, pos, idx, cols in pieces:
        at = dest(rows, pos)
        if sig_at is not None:
            sig_at[at] = idx + off_sig
            off_sig += len(cols["cloud"][0])
        if row_at is not None:
            row_at[at] = np.arange(off_row, off_row + len(rows))
            off_row += len(rows)

    def laid(c: str, values: np.ndarray, per_row: bool, idx: np.ndarray) -> np.ndarray:
        return values[idx] if c in by_row and not per_row else values

    out: dict[str, Any] = {}
    out["variant"] = np.repeat(np.arange(n_all), width) if uniform else np.repeat(np.arange(n_all), counts)
    for path in paths:
        col = table[path].to_numpy()
        out[path] = np.repeat(col, width) if uniform else np.repeat(col, counts)
    for c in RESULT_COLUMNS:
        where = row_at if c in by_row else sig_at
        assert where is not None
        if c in TEXT:
            seen: dict[Any, int] = {}
            codes = []
            for _, _, idx, cols in pieces:
                values, per_row = cols[c]
                k, uniq = pd.factorize(values, use_na_sentinel=True)
                glob = np.array([seen.setdefault(v, len(seen)) for v in uniq], dtype=np.int32)
                local = np.where(k >= 0, glob[np.maximum(k, 0)] if len(glob) else -1, -1).astype(np.int32)
                codes.append(laid(c, local, per_row, idx))
            out[c] = pd.Categorical.from_codes(np.take(np.concatenate(codes), where),
                                               dtype=pd.CategoricalDtype(list(seen)), validate=False)
            continue
        values = np.take(np.concatenate([laid(c, *cols[c], idx) for _, _, idx, cols in pieces]), where)
        if c == "count":
            missing = np.isnan(values)
            out[c] = pd.arrays.IntegerArray(np.where(missing, 0, values).astype(np.int64), missing)
        else:
            out[c] = values
    return pd.DataFrame(out, copy=False)


def _groups(table: Any, struct: list[str]) -> list[np.ndarray]:
    """The rows of each distinct combination of the structural columns, in order of their first row."""
    if not struct:
        return [np.arange(len(table))]
    import pandas as pd

    combined = np.zeros(len(table), dtype=np.int64)
    for p in struct:
        col = table[p].to_numpy()
        if col.dtype != object:
            codes = pd.factorize(col, use_na_sentinel=False)[0]
        else:  # lists and the like: grid values are shared objects, told apart by identity, then by their text
            k = pd.factorize(np.fromiter(map(id, col), dtype=np.int64, count=len(col)))[0]
            # codes number values in order of appearance: each one first appears where the running maximum rises
            first = np.flatnonzero(np.diff(np.maximum.accumulate(k), prepend=-1) > 0)
            reps: dict[str, int] = {}
            canon = np.array([reps.setdefault(repr(col[f]), len(reps)) for f in first], dtype=np.int64)
            codes = canon[k]
        combined = combined * (int(codes.max()) + 1) + codes  # one integer per combination (mixed radix)
    inv = pd.factorize(combined)[0]  # groups numbered in order of their first row
    if int(inv.max()) < 2**15:
        inv = inv.astype(np.int16)  # a stable sort of small integers is a radix sort
    order = np.argsort(inv, kind="stable")
    return np.split(order, np.flatnonzero(np.diff(inv[order])) + 1)


def _evaluate_group(scenario: Scenario, base: Scenario, sub: Any, rows: np.ndarray, cat: Any,
                    kinds: dict[str, tuple[str, ...]], qps_paths: list[str], wname: str | None, workload: str | None,
                    memo: dict[Any, Any], tick: Callable[[float], None] | None = None) -> list[Piece]:
    """The rows ``rows`` of the table (``sub``), whose structural values make ``base``: pieces for
    :func:`_assemble`."""
    from planner.whatif.core import exact_rows

    n = len(sub)
    try:
        w = next((x for x in base.workloads if x.name == wname), None) if wname else None
        if w is not None and not _eligible(w):
            raise _Fallback("not a real-time LLM serving workload")
        peak = growth = None
        if w is not None:
            peak, growth = _rates(base, w, sub, qps_paths, kinds)
        factors = {}
        for p, kind in kinds.items():
            if kind[0] == "price":
                factors[kind[1]] = sub[p].to_numpy(dtype=float)
        for cloud, f in (base.prices or {}).items():
            factors.setdefault(cloud, np.full(n, float(f)))
        _check_factors(scenario, sub, factors, kinds)
        idx, cols = _group_rows(base, cat, wname, peak, growth, factors, n, workload, memo, tick)
    except _Fallback:
        ref = exact_rows(scenario, sub.reset_index(drop=True), catalog=cat, workload=workload)
        local = ref["variant"].to_numpy()
        starts = np.r_[0, np.flatnonzero(np.diff(local)) + 1]
        pos = np.arange(len(local)) - np.repeat(starts, np.diff(np.r_[starts, len(local)]))
        piece: dict[str, tuple[np.ndarray, bool]] = {}
        for c in ref.columns:
            if c in TEXT:
                piece[c] = (ref[c].to_numpy(dtype=object), False)
            elif c not in sub.columns and c != "variant":
                piece[c] = (ref[c].to_numpy(dtype=float if c == "count" else None), False)
        return [(rows[local], pos, np.arange(len(ref)), piece)]
    return [(rows, ci, idx, {c: v[ci] for c, v in cols.items()}) for ci in range(len(cols["cloud"]))]


def _rates(base: Scenario, w: Any, sub: Any, qps_paths: list[str], kinds: dict[str, tuple[str, ...]]
           ) -> tuple[np.ndarray, np.ndarray]:
    """Per variant: the peak QPS the workload is sized for, and its growth per month (percent); checked as the
    scenario checks them."""
    from planner.scenario import MAX_QPS
    from planner.whatif.core import _plain
    from planner.whatif.overrides import what_if

    n = len(sub)
    val = {"qps_mean": w.qps_mean, "qps_peak": w.qps_peak, "qps_growth_pct_per_month": w.qps_growth_pct_per_month}
    arrays: dict[str, np.ndarray] = {}
    for p in qps_paths:
        arrays[kinds[p][2]] = np.asarray(sub[p].to_numpy(), dtype=float)
    mean = arrays.get("qps_mean", np.full(n, np.nan if val["qps_mean"] is None else float(val["qps_mean"])))
    peak = arrays.get("qps_peak", np.full(n, np.nan if val["qps_peak"] is None else float(val["qps_peak"])))
    growth = arrays.get("qps_growth_pct_per_month", np.full(n, float(val["qps_growth_pct_per_month"])))
    bad = ~(np.isnan(mean) | ((mean > 0) & (mean <= MAX_QPS)))
    bad |= ~(np.isnan(peak) | ((peak > 0) & (peak <= MAX_QPS)))
    bad |= ~((growth > -100) & (growth <= 1000))
    bad |= np.isnan(mean)
    bad |= ~np.isnan(peak) & ~np.isnan(mean) & (peak < mean)
    eff = np.where(np.isnan(peak), mean, peak)
    months = max(1, int(base.horizon_months))
    top = eff * np.power(1 + growth / 100.0, months - 1)
    bad |= ~(top <= MAX_QPS * (1 - 1e-12))
    if bad.any():  # the first such variant fails with the scenario's own message
        i = int(np.flatnonzero(bad)[0])
        row = sub.iloc[i]
        sc = what_if(base, {p: _plain(row[p]) for p in qps_paths})
        from planner.plan import plan

        for m in range(sc.horizon_months):
            plan(sc, m)
        raise _Fallback("a variant at the bounds")
    return eff, growth


def _check_factors(scenario: Scenario, sub: Any, factors: dict[str, np.ndarray], kinds: dict[str, tuple[str, ...]]) -> None:
    from planner.whatif.core import _plain
    from planner.whatif.overrides import what_if

    for p, kind in kinds.items():
        if kind[0] != "price":
            continue
        f = factors[kind[1]]
        bad = ~((f > 0) & (f <= 100))
        if bad.any():
            what_if(scenario, {p: _plain(sub[p].iloc[int(np.flatnonzero(bad)[0])])})
            raise _Fallback("factor")

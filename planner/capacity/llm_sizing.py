"""Size LLM serving: for each accelerator and tensor-parallel degree, the replicas a QPS needs.

Per (accelerator, TP): the largest batch that fits (KV cache, engine cap) and meets the TPOT SLO,
the replica's request rate ``μ`` at that batch, ``R = ceil(λ / (ρ_target·μ))`` replicas, then more
replicas until the p95 TTFT meets its SLO. TTFT = wait for a batch slot (M/M/c over the ``B``
slots, each held for ``B/μ``) + wait behind queued prefills (M/D/1, prefills run first) +
``T_prefill(S)`` + one decode step in flight.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from planner.capacity.calibration import Calibration
from planner.capacity.hardware import GIB, Accelerator, get_accelerator
from planner.capacity.llm import Replica, make_replica
from planner.capacity.models import ModelSpec, get_model
from planner.capacity.queueing import mdc_wait_quantile_s, mmc_wait_quantile_s
from planner.capacity.requirements import ComputeOption
from planner.capacity.serving import DEFAULT_UTILIZATION_TARGET
from planner.errors import InputError, PlannerError

TP_DEGREES = (1, 2, 4, 8, 16)
PERCENTILE = 0.95


def _largest_batch(rep: Replica, cap: int, s: int, o: int, tpot_ms: float | None,
                   ttft_ms: float | None) -> tuple[int, str]:
    """Largest batch <= cap whose TPOT meets its SLO and whose idle-replica TTFT (prefill plus one
    decode step) meets the TTFT SLO, and what limits it; (0, ...) if even batch 1 fails. Both grow
    with the batch, so a binary search finds it."""
    t_pf = rep.prefill_per_request_s(s)
    prefill_1 = rep.prefill_s(1, s)[0]

    def limit(b: int) -> str:
        served = rep.serve(b, s, o, t_pf)
        if tpot_ms is not None and served["tpot_s"] * 1000.0 > tpot_ms:
            return "TPOT SLO"
        if ttft_ms is not None and (prefill_1 + served["step_s"]) * 1000.0 > ttft_ms:
            return "TTFT SLO"
        return ""

    if tpot_ms is None and ttft_ms is None or not limit(cap):
        return cap, ""
    if limit(1):
        return 0, limit(1)
    lo, hi = 1, cap
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if not limit(mid) else (lo, mid - 1)
    return lo, limit(lo + 1)


def smallest_tp(model: str | ModelSpec, accelerator: str, input_tokens: int, output_tokens: int,
                dtype: str = "bf16", max_gpus_per_replica: int = 8) -> int | None:
    """The smallest TP degree whose KV cache holds at least one sequence, or None."""
    spec = model if isinstance(model, ModelSpec) else get_model(model)
    acc = get_accelerator(accelerator)
    for tp in (t for t in TP_DEGREES if t <= max_gpus_per_replica):
        if any(r.max_batch(input_tokens + output_tokens) >= 1 for r in _layouts(spec, acc, tp, dtype, None)):
            return tp
    return None


def tp_per_token(model: str | ModelSpec, accelerator: str, input_tokens: int, output_tokens: int,
                 dtype: str = "bf16", max_gpus_per_replica: int = 8) -> dict[int, float]:
    """Sustained output tokens/s *per accelerator* at the best batch, for each TP degree that fits.

    The smallest TP is not always the cheapest per token: a larger TP frees memory for KV cache
    (a bigger batch) and can outweigh its all-reduce cost."""
    out = {}
    for tp in (t for t in TP_DEGREES if t <= max_gpus_per_replica):
        rep = make_replica(model, accelerator, tp, dtype)
        batch = min(rep.max_batch(input_tokens + output_tokens), rep.batch_cap)
        if batch >= 1:
            out[tp] = rep.serve(batch, input_tokens, output_tokens)["requests_per_s"] * output_tokens / tp
    return out


def _layouts(spec: ModelSpec, acc: Accelerator, tp: int, dtype: str,
             calib: Calibration | Mapping[str, float] | None) -> list[Replica]:
    """The ways to lay a model over ``tp`` devices: tensor parallel, and for MoE models also expert
    parallel with data-parallel attention (the faster one at the chosen batch is kept)."""
    out = []
    for ep in ((True, False) if spec.is_moe and tp > 1 else (False,)):
        try:
            out.append(make_replica(spec, acc, tp, dtype, calib=calib, expert_parallel=ep))
        except InputError:  # heads or experts that do not split this many ways
            continue
    return out


def ttft_quantile_ms(rep: Replica, qps_per_replica: float, batch: int, served: Mapping[str, float], s: int) -> float:
    prefill_s = rep.prefill_s(1, s)[0]
    mu = served["requests_per_s"]
    slot_wait = mmc_wait_quantile_s(qps_per_replica, batch / mu, batch, PERCENTILE)
    prefill_wait = mdc_wait_quantile_s(qps_per_replica, prefill_s, 1, PERCENTILE)
    return (slot_wait + prefill_wait + prefill_s + served["step_s"]) * 1000.0


_Best = tuple[float, Replica, int, str, int, dict[str, float]]
_LAYOUT_MEMO: dict[tuple[object, ...], tuple[_Best | None, float, float]] = {}
_LAYOUT_MEMO_MAX = 4096


def _best_layout(spec: ModelSpec, acc: Accelerator, tp: int, dtype: str,
                 overrides: Calibration | Mapping[str, float] | None, s: int, o: int, tpot_ms: float | None,
                 ttft_ms: float | None) -> tuple[_Best | None, float, float]:
    """The fastest layout of ``spec`` on ``tp`` x ``acc`` at its largest batch that meets the SLOs:
    (requests/s, replica, batch, the limit that set the batch, max batch, serving figures) or None, and
    the best TPOT and idle TTFT (ms) of layouts where even batch 1 misses an SLO (inf when none).

    None of it depends on the request rate, so it is remembered for the same inputs (a horizon sizes the
    same workload at a new rate every month); calibration overrides are never remembered."""
    key: tuple[object, ...] | None = None
    if overrides is None:
        key = (spec, acc, tp, dtype, s, o, tpot_ms, ttft_ms)
        try:
            got = _LAYOUT_MEMO.get(key)
        except TypeError:  # an unhashable spec: computed every time
            key, got = None, None
        if got is not None:
            return got
    best: _Best | None = None
    best_tpot = best_ttft = math.inf
    for rep in _layouts(spec, acc, tp, dtype, overrides):
        max_batch = rep.max_batch(s + o)
        if max_batch < 1:
            continue
        cap = min(max_batch, rep.batch_cap)
        batch, slo_limit = _largest_batch(rep, cap, s, o, tpot_ms, ttft_ms)
        if batch == 0:
            one = rep.serve(1, s, o)
            best_tpot = min(best_tpot, one["tpot_s"] * 1000.0)
            best_ttft = min(best_ttft, ttft_quantile_ms(rep, 0.0, 1, one, s))
            continue
        served = rep.serve(batch, s, o)
        if best is None or served["requests_per_s"] > best[0]:
            best = (served["requests_per_s"], rep, batch, slo_limit, max_batch, served)
    out = (best, best_tpot, best_ttft)
    if key is not None:
        if len(_LAYOUT_MEMO) >= _LAYOUT_MEMO_MAX:
            _LAYOUT_MEMO.clear()
        _LAYOUT_MEMO[key] = out
    return out


def size_llm_serving(model: str | ModelSpec, accelerators: Sequence[str], qps: float, input_tokens: int,
                     output_tokens: int, ttft_p95_ms: float | None = None, tpot_ms: float | None = None,
                     dtype: str = "bf16", utilization_target: float = DEFAULT_UTILIZATION_TARGET, max_gpus_per_replica: int = 8,
                     hours: float = 730.0,
                     calib: Mapping[str, Calibration | Mapping[str, float]] | None = None) -> list[ComputeOption]:
    """One ComputeOption per feasible (accelerator, TP), sorted by total accelerators.

    ``calib`` maps an accelerator id or family to overrides. Raises PlannerError when nothing is
    feasible, saying the memory the model needs or the best TTFT/TPOT any configuration reaches.
    """
    spec = model if isinstance(model, ModelSpec) else get_model(model)
    if qps <= 0:
        raise InputError(f"qps must be > 0, got {qps}")
    if input_tokens < 1 or output_tokens < 1:
        raise InputError("input_tokens and output_tokens must be at least 1")
    if not 0 < utilization_target <= 1:
        raise InputError(f"utilization_target must be in (0, 1], got {utilization_target}")
    if not accelerators:
        raise InputError("no accelerators given")
    options: list[tuple[int, int, ComputeOption]] = []
    best_ttft = best_tpot = math.inf
    largest_usable = 0.0
    for name in accelerators:
        acc = get_accelerator(name)
        overrides = (calib or {}).get(acc.id) or (calib or {}).get(acc.family)
        for tp in (t for t in TP_DEGREES if t <= max_gpus_per_replica):
            largest_usable = max(largest_usable, tp * acc.memory_bytes)
            best, tpot_1, ttft_1 = _best_layout(spec, acc, tp, dtype, overrides, input_tokens, output_tokens,
                                                tpot_ms, ttft_p95_ms)
            best_tpot, best_ttft = min(best_tpot, tpot_1), min(best_ttft, ttft_1)
            if best is None:
                continue
            mu, rep, batch, slo_limit, max_batch, served = best
            replicas = max(1, math.ceil(qps / (utilization_target * mu)))
            ttft = ttft_quantile_ms(rep, qps / replicas, batch, served, input_tokens)
            if slo_limit:
                bound, binding = "slo", slo_limit
            else:
                bound = "capacity"
                binding = "KV-cache memory" if max_batch <= rep.batch_cap else "engine max_batch_size"
            if ttft_p95_ms is not None and ttft > ttft_p95_ms:
                while ttft > ttft_p95_ms:  # more replicas shorten the queues
                    replicas = max(replicas + 1, math.ceil(replicas * 1.05))
                    ttft = ttft_quantile_ms(rep, qps / replicas, batch, served, input_tokens)
                bound, binding = "slo", "TTFT SLO"
            options.append((replicas * tp, tp, ComputeOption(
                accelerator=acc.id, accelerators_per_replica=tp, replicas=replicas, hours=hours,
                packing="replicas", explain={
                    "bound": bound, "binding": binding, "batch": batch, "max_batch": max_batch,
                    "tokens_per_s_per_replica": mu * output_tokens, "requests_per_s_per_replica": mu,
                    "utilization": qps / (replicas * mu), "ttft_ms": ttft, "ttft_percentile": PERCENTILE,
                    "tpot_ms": served["tpot_s"] * 1000.0, "decode_step_ms": served["step_s"] * 1000.0,
                    "parallelism": rep.parallelism,
                    "assumptions": {"dtype": rep.dtype, "kv_dtype": rep.kv_dtype, "eta_mem": rep.calib.eta_mem,
                                    "eta_flops": rep.calib.eta_flops(rep.dtype),
                                    "utilization_target": utilization_target, "source": rep.calib.source},
                })))
    if not options:
        raise _infeasible(spec, dtype, input_tokens + output_tokens, best_ttft, best_tpot, largest_usable,
                          ttft_p95_ms, tpot_ms)
    options.sort(key=lambda t: (t[0], t[1], t[2].accelerator or ""))
    return [o for _, _, o in options]


def _infeasible(spec: ModelSpec, dtype: str, seq_tokens: int, best_ttft: float, best_tpot: float,
                largest_usable: float, ttft_slo: float | None, tpot_slo: float | None) -> PlannerError:
    if math.isinf(best_ttft) and math.isinf(best_tpot):
        kv = "fp8" if dtype == "fp8" else "bf16"
        need = spec.weight_bytes(dtype) + spec.kv_bytes(seq_tokens, kv)
        return InputError(f"{spec.name} ({dtype}) fits on no configuration: weights plus one {seq_tokens}-token "
                          f"sequence need {need / GIB:,.0f} GiB, the largest replica has {largest_usable / GIB:,.0f} GiB; "
                          "raise max_gpus_per_replica, use fp8, or add a larger accelerator")
    tpot_part = f"best achievable TPOT is {best_tpot:,.1f} ms (SLO {tpot_slo:g} ms)" if tpot_slo is not None else ""
    ttft_part = f"best achievable p95 TTFT is {best_ttft:,.0f} ms (SLO {ttft_slo:g} ms)" if ttft_slo is not None else ""
    missed = [p for p, best, slo in ((tpot_part, best_tpot, tpot_slo), (ttft_part, best_ttft, ttft_slo))
              if slo is not None and best > slo]
    parts = missed or [p for p in (tpot_part, ttft_part) if p]  # each reachable alone, not both at once
    return InputError(f"no configuration of {spec.name} meets the SLOs: {'; '.join(parts)}; relax the SLO or "
                      "add faster accelerators")


class ServingProfile:
    """One feasible (accelerator, TP) configuration of an LLM with everything that does not depend on the
    request rate: the replica rate ``mu`` at the chosen batch and the largest per-replica rate whose p95 TTFT
    meets the SLO. :func:`replicas_for` then gives the replica count at any rate -- for an array of rates at
    once -- exactly as :func:`size_llm_serving` would."""

    __slots__ = ("_batch", "_rep", "_s", "_served", "accelerator", "mu", "tp", "ttft_slo", "x_bad", "x_ok")

    def __init__(self, accelerator: str, tp: int, mu: float, rep: Replica, batch: int, served: dict[str, float],
                 s: int, ttft_slo: float | None) -> None:
        self.accelerator, self.tp, self.mu = accelerator, tp, mu
        self._rep, self._batch, self._served, self._s = rep, batch, served, s
        self.ttft_slo = ttft_slo
        # x_ok: a per-replica rate that meets the TTFT SLO; x_bad: the next float up, which misses it
        self.x_ok, self.x_bad = self._threshold() if ttft_slo is not None else (math.inf, math.inf)

    def ttft_ms(self, qps_per_replica: float) -> float:
        return ttft_quantile_ms(self._rep, qps_per_replica, self._batch, self._served, self._s)

    def _misses(self, x: float) -> bool:
        return self.ttft_ms(x) > (self.ttft_slo or math.inf)

    def _threshold(self) -> tuple[float, float]:
        """The boundary between per-replica rates that meet the TTFT SLO and those that miss it, to one float
        step (TTFT grows with the rate: the queues lengthen)."""
        lo, hi = 0.0, self.mu
        while not self._misses(hi):
            hi *= 2.0
            if hi > 1e300:
                return math.inf, math.inf
        if self._misses(lo):  # even an idle replica misses it: the rate never helps (not reached for feasible configs)
            return -1.0, 0.0
        while True:
            mid = lo + (hi - lo) / 2.0
            if mid <= lo or mid >= hi:
                return lo, hi
            lo, hi = (lo, mid) if self._misses(mid) else (mid, hi)


def serving_profiles(model: str | ModelSpec, accelerators: Sequence[str], input_tokens: int, output_tokens: int,
                     ttft_p95_ms: float | None = None, tpot_ms: float | None = None, dtype: str = "bf16",
                     max_gpus_per_replica: int = 8,
                     calib: Mapping[str, Calibration | Mapping[str, float]] | None = None) -> list[ServingProfile]:
    """The rate-independent part of :func:`size_llm_serving`: one profile per feasible (accelerator, TP)."""
    spec = model if isinstance(model, ModelSpec) else get_model(model)
    out = []
    for name in accelerators:
        acc = get_accelerator(name)
        overrides = (calib or {}).get(acc.id) or (calib or {}).get(acc.family)
        for tp in (t for t in TP_DEGREES if t <= max_gpus_per_replica):
            best, _, _ = _best_layout(spec, acc, tp, dtype, overrides, input_tokens, output_tokens, tpot_ms, ttft_p95_ms)
            if best is not None:
                mu, rep, batch, _, _, served = best
                out.append(ServingProfile(acc.id, tp, mu, rep, batch, dict(served), input_tokens, ttft_p95_ms))
    return out


def replicas_for(profile: ServingProfile, qps: object, utilization_target: float) -> object:
    """Replicas ``profile`` needs at each rate of the numpy array ``qps`` (the count size_llm_serving gives)."""
    import numpy as np

    q = np.asarray(qps, dtype=float)
    um = utilization_target * profile.mu
    r = np.maximum(1.0, np.ceil(q / um))
    if profile.ttft_slo is None or um * (1 + 1e-9) < profile.x_ok * (1 - 1e-12):
        # no SLO, or the per-replica rate q / r (at most ``um`` up to rounding) is below where TTFT is checked
        return r
    near = np.zeros(q.shape, dtype=bool)
    for _ in range(10_000):
        x = q / r
        # rates within a few float steps of the boundary are decided by the TTFT itself
        edge = (x > profile.x_ok * (1 - 1e-12)) & (x < profile.x_bad * (1 + 1e-12))
        bad = x >= profile.x_bad
        if edge.any():
            idx = np.flatnonzero(edge)
            miss = np.array([profile._misses(float(v)) for v in x[idx]])
            bad[idx] = miss
            near[idx] = True
        if not bad.any():
            return r
        r = np.where(bad, np.maximum(r + 1.0, np.ceil(r * 1.05)), r)
    raise PlannerError("replica search did not converge")

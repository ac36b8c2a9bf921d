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
            best: tuple[float, Replica, int, str, int, dict[str, float]] | None = None
            for rep in _layouts(spec, acc, tp, dtype, overrides):
                max_batch = rep.max_batch(input_tokens + output_tokens)
                if max_batch < 1:
                    continue
                cap = min(max_batch, rep.batch_cap)
                batch, slo_limit = _largest_batch(rep, cap, input_tokens, output_tokens, tpot_ms, ttft_p95_ms)
                if batch == 0:
                    one = rep.serve(1, input_tokens, output_tokens)
                    best_tpot = min(best_tpot, one["tpot_s"] * 1000.0)
                    best_ttft = min(best_ttft, ttft_quantile_ms(rep, 0.0, 1, one, input_tokens))
                    continue
                served = rep.serve(batch, input_tokens, output_tokens)
                if best is None or served["requests_per_s"] > best[0]:
                    best = (served["requests_per_s"], rep, batch, slo_limit, max_batch, served)
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

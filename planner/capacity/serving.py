"""Generic (non-LLM) serving: replicas for a QPS and a latency percentile, from a service time or
a measured profile. A measured profile (load-test numbers) always overrides the model.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from planner.capacity.queueing import erlang_c, mdc_wait_quantile_s, mmc_wait_quantile_s
from planner.capacity.requirements import ComputeOption
from planner.errors import InputError

MAX_REPLICAS = 1_000_000
# Target utilization of serving replicas everywhere (CLI, scenarios, library): the usual autoscaling
# target of 60-70% (Kubernetes HPA, SageMaker target tracking) leaves headroom for bursts and scale-up lag.
DEFAULT_UTILIZATION_TARGET = 0.7


def _check(qps: float, utilization_target: float, min_replicas: int) -> None:
    if qps < 0:
        raise InputError(f"qps must be >= 0, got {qps}")
    if not 0 < utilization_target <= 1:
        raise InputError(f"utilization_target must be in (0, 1], got {utilization_target}")
    if min_replicas < 0:
        raise InputError(f"min_replicas must be >= 0, got {min_replicas}")


def replicas_for_latency_slo(qps: float, service_ms: float, slo_ms: float, percentile: float = 0.95,
                             utilization_target: float = DEFAULT_UTILIZATION_TARGET, concurrency_per_replica: int = 1,
                             min_replicas: int = 1, deterministic: bool = True) -> tuple[int, dict[str, Any]]:
    """Smallest replica count with p-quantile(wait) + service <= SLO and utilization <= target.

    Each replica serves ``concurrency_per_replica`` requests at once (threads or batch slots), each
    taking ``service_ms``; the pool is one M/D/c queue (M/M/c when ``deterministic`` is False).
    """
    _check(qps, utilization_target, min_replicas)
    if service_ms <= 0 or concurrency_per_replica < 1:
        raise InputError("service_ms must be > 0 and concurrency_per_replica >= 1")
    if slo_ms < service_ms:
        raise InputError(f"latency SLO {slo_ms:g} ms is below the service time {service_ms:g} ms; "
                         f"the best achievable p{percentile * 100:g} latency is {service_ms:g} ms")
    service_s, k = service_ms / 1000.0, concurrency_per_replica
    if qps == 0:  # no traffic: only the floor
        return min_replicas, {"bound": "min_replicas", "servers": min_replicas * k, "utilization": 0.0,
                              "percentile": percentile, "utilization_target": utilization_target}
    wait = mdc_wait_quantile_s if deterministic else mmc_wait_quantile_s
    by_load = math.ceil(qps * service_s / (k * utilization_target))
    replicas = max(min_replicas, by_load, 1)
    while True:
        w_s = wait(qps, service_s, replicas * k, percentile)
        if w_s * 1000.0 + service_ms <= slo_ms:
            break
        replicas += 1
        if replicas > MAX_REPLICAS:
            raise InputError(f"no replica count up to {MAX_REPLICAS:,} meets {slo_ms:g} ms")
    util = qps * service_s / (replicas * k)
    return replicas, {
        "bound": "slo" if replicas > max(min_replicas, by_load) else ("utilization" if by_load >= min_replicas
                                                                    else "min_replicas"),
        "queue": "M/D/c (Allen-Cunneen)" if deterministic else "M/M/c (Erlang C)",
        "servers": replicas * k, "utilization": util,
        "p_wait": erlang_c(replicas * k, qps * service_s),
        "wait_ms_at_percentile": w_s * 1000.0, "latency_ms_at_percentile": w_s * 1000.0 + service_ms,
        "percentile": percentile, "utilization_target": utilization_target,
    }


def replicas_for_profile(qps: float, requests_per_s_per_replica: float | None = None,
                         latency_ms_by_batch: Mapping[int, float] | None = None, slo_ms: float | None = None,
                         utilization_target: float = DEFAULT_UTILIZATION_TARGET, min_replicas: int = 1) -> tuple[int, dict[str, Any]]:
    """Replicas from measured numbers: a sustained requests/s per replica at the SLO (e.g. SageMaker
    Inference Recommender's max invocations), or latency at several batch sizes. With latencies, the
    largest batch with ``latency(b) <= slo/2`` is used (the half-SLO rule of Clipper and Nexus, leaving
    the other half for batch formation) and its throughput ``b / latency(b)``.
    """
    _check(qps, utilization_target, min_replicas)
    explain: dict[str, Any] = {"source": "measured profile", "utilization_target": utilization_target}
    if requests_per_s_per_replica is not None:
        if requests_per_s_per_replica <= 0:
            raise InputError("requests_per_s_per_replica must be > 0")
        rps = requests_per_s_per_replica
        explain["bound"] = "measured throughput"
    elif latency_ms_by_batch:
        budget = slo_ms / 2 if slo_ms is not None else math.inf
        fits = {b: ms for b, ms in latency_ms_by_batch.items() if ms <= budget and b >= 1 and ms > 0}
        if not fits:
            best_b = min(latency_ms_by_batch, key=lambda b: latency_ms_by_batch[b])
            raise InputError(f"no measured batch meets half the SLO ({budget:g} ms); the fastest is batch "
                             f"{best_b} at {latency_ms_by_batch[best_b]:g} ms, so the SLO must be at least "
                             f"{2 * latency_ms_by_batch[best_b]:g} ms")
        batch = max(fits)
        rps = batch / (fits[batch] / 1000.0)
        explain.update(bound="slo" if slo_ms is not None else "measured throughput", batch=batch,
                       batch_latency_ms=fits[batch])
    else:
        raise InputError("a profile needs requests_per_s_per_replica or latency_ms_by_batch")
    # the small tolerance keeps 14 / (2 x 0.7) = 10.000000000000002 at 10 replicas
    replicas = max(min_replicas, math.ceil(qps / (rps * utilization_target) - 1e-9) if qps > 0 else 0)
    explain.update(requests_per_s_per_replica=rps, utilization=qps / (replicas * rps) if replicas else 0.0)
    return replicas, explain


def size_cpu_serving(qps: float, service_ms: float, slo_ms: float, vcpus_per_replica: float,
                     memory_gib_per_replica: float, concurrency_per_replica: int = 1, percentile: float = 0.95,
                     utilization_target: float = DEFAULT_UTILIZATION_TARGET, min_replicas: int = 1, hours: float = 730.0) -> ComputeOption:
    """A CPU-only serving option (costing picks the instance shape that holds the replicas)."""
    replicas, explain = replicas_for_latency_slo(qps, service_ms, slo_ms, percentile, utilization_target,
                                                 concurrency_per_replica, min_replicas)
    return ComputeOption(accelerator=None, replicas=replicas, hours=hours, vcpus_per_replica=vcpus_per_replica,
                         memory_gib_per_replica=memory_gib_per_replica, explain=explain)

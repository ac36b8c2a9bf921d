"""Scenario workloads -> hardware requirements, month by month (no prices here).

This is the glue between validated scenario models (:mod:`planner.scenario`) and the pure capacity
functions (:mod:`planner.capacity`). Month ``m`` (0-based) applies the workload's growth.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from planner.capacity.requirements import ComputeOption, Requirement, StorageNeed
from planner.errors import InputError, quoted
from planner.scenario import Replica, Scenario, Serving, Storage, Training

DEFAULT_BATCH_WINDOW_HOURS = 8.0


def canonical_accelerator(name: str) -> str:
    from planner.capacity.hardware import get_accelerator

    return get_accelerator(name).id


def _calibration(w: Training | Serving, dtype: str) -> dict[str, float] | None:
    """Scenario calibration fields -> the capacity model's override names."""
    if w.calibration is None:
        return None
    c = w.calibration
    out: dict[str, float] = {}
    if c.bandwidth_efficiency is not None:
        out["eta_mem"] = c.bandwidth_efficiency
    if c.flops_efficiency is not None:
        out["eta_flops_8" if dtype == "fp8" else "eta_flops_16"] = c.flops_efficiency
    if c.step_overhead_ms is not None:
        out["step_overhead_ms"] = c.step_overhead_ms
    if c.mfu is not None:
        out["train_mfu_8" if dtype == "fp8" else "train_mfu_16"] = c.mfu
    return out or None


def _where(sc: Scenario, w: Any, field: str) -> dict[str, str]:
    # by identity; a copy made for sizing (one accelerator of a diurnal workload) is found by its name
    idx = next((i for i, x in enumerate(sc.workloads) if x is w),
               next((i for i, x in enumerate(sc.workloads) if x.name == w.name), 0))
    # as scenario errors show it: plain when plain, else quoted (control characters escaped); long names cut
    name = w.name if re.fullmatch(r"\w[\w .:/+\-]*", w.name) and len(w.name) <= 80 else quoted(
        w.name if len(w.name) <= 80 else w.name[:60] + "..." + w.name[-17:])
    return {"where": sc.source_path or "<scenario>", "field": f"workloads[{idx}] ({name}).{field}"}


# -- growth bounds ----------------------------------------------------------------------------------
# Compounding growth over a long horizon leaves any real workload behind (100 %/month for 120 months is
# a factor of 6.6e35). Grown figures are held to the bounds the scenario puts on the figures themselves, so
# the arithmetic stays finite and exact; a growth that passes them is refused, naming the workload and field.


def _outgrown(sc: Scenario, w: Any, field: str, rate: str, what: str, start: float, month: int, value: float,
              limit: float, unit: str) -> InputError:
    return InputError(
        f"{rate} takes {what} from {start:,.6g} {unit} to {value:.3g} {unit} in month {month + 1} of the "
        f"{sc.horizon_months}-month horizon, beyond the {limit:.0e} {unit} the planner plans for; lower {field} "
        f"or horizon_months (at this rate {what} stays within bounds for {month} month{'s' * (month != 1)})",
        **_where(sc, w, field))


def _check_serving_growth(sc: Scenario, w: Serving, month: int, g: float) -> None:
    from planner.scenario import MAX_COUNT, MAX_QPS

    rate = f"{w.qps_growth_pct_per_month:g}%/month"
    if w.style == "real_time" and w.peak_qps * g > MAX_QPS:
        raise _outgrown(sc, w, "qps_growth_pct_per_month", rate, "the peak", w.peak_qps, month, w.peak_qps * g,
                        MAX_QPS, "QPS")
    if w.style == "batch" and w.requests_per_run is not None and w.requests_per_run * g > MAX_COUNT:
        raise _outgrown(sc, w, "qps_growth_pct_per_month", rate, "the work per run", w.requests_per_run, month,
                        w.requests_per_run * g, MAX_COUNT, "requests")


def _check_storage_growth(sc: Scenario, w: Storage, billed: tuple[float, ...]) -> None:
    from planner.capacity.storage import gb_months_billed
    from planner.scenario import MAX_GB

    over = next((m for m, gb in enumerate(billed) if gb > MAX_GB), None)
    if over is None:
        return
    compound = gb_months_billed(w.gb, over + 1, 0.0, w.growth_pct_per_month)[over] if w.growth_pct_per_month else 0.0
    if compound > MAX_GB or not w.growth_gb_per_month:  # compounding alone passes the bound
        field, rate = "growth_pct_per_month", f"{w.growth_pct_per_month:g}%/month"
    else:
        field, rate = "growth_gb_per_month", f"{w.growth_gb_per_month:,.6g} GB/month"
        if w.growth_pct_per_month:
            rate += f" on top of {w.growth_pct_per_month:g}%/month"
    raise _outgrown(sc, w, field, rate, "the volume held", w.gb, over, billed[over], MAX_GB, "GB")


def _spot(w: Training | Serving) -> tuple[float | None, float, float]:
    return (w.spot_interruption_pct_per_month, w.checkpoint_interval_minutes, w.restart_minutes)


def plan_training(sc: Scenario, w: Training) -> Requirement:
    try:
        acc = canonical_accelerator(w.accelerator or "")
    except InputError as exc:
        raise InputError(exc.message, **_where(sc, w, "accelerator")) from None
    once = w.schedule == "once"
    explain: dict[str, Any] = {"schedule": w.schedule}
    if w.gpu_hours is not None:
        overhead = w.overhead_factor or 1.0
        explain["overhead_factor"] = overhead
        gpu_hours = w.gpu_hours * overhead
        explain.update(source="gpu_hours given", gpu_hours=gpu_hours)
        if w.gpus:
            opt = ComputeOption(
                accelerator=acc,
                accelerators_per_replica=w.gpus,
                replicas=1,
                hours=gpu_hours / w.gpus,
                one_time=once,
                explain={**explain, "bound": "given", "wall_hours": gpu_hours / w.gpus},
            )
        else:
            opt = ComputeOption(
                accelerator=acc,
                packing="flexible",
                accelerator_hours=gpu_hours,
                hours=w.hours_per_month,
                one_time=once,
                explain={**explain, "bound": "given"},
            )
        return Requirement(w.name, "training", (opt,), w.interruptible, explain=explain, spot_terms=_spot(w))

    from planner.capacity.training import estimate_training

    kw: dict[str, Any] = {} if w.overhead_factor is None else {"overhead": w.overhead_factor}

    def estimate(gpus: int) -> Any:
        return estimate_training(
            w.model or "",
            w.tokens or 0,
            acc,
            gpus,
            mfu=w.calibration.mfu if w.calibration else None,
            dtype=w.dtype,
            **kw,
        )

    # without a GPU count: one 8-GPU node, doubled until the training state fits in memory
    gpus = w.gpus or 8
    while True:
        try:
            est = estimate(gpus)
            break
        except InputError as exc:
            if w.gpus is None and "use at least" in exc.message and gpus < 16384:
                gpus *= 2
                continue
            raise InputError(exc.message, **_where(sc, w, "model")) from None
    if w.gpus is None:
        explain["gpus"] = f"{gpus} (not given: the fewest 8-GPU nodes, doubled, that hold the training state)"
    explain.update(
        source="derived from model and tokens",
        flops=est.flops,
        gpu_hours=est.gpu_hours,
        wall_hours=est.wall_hours,
        mfu=est.mfu,
        **{k: v for k, v in (est.explain or {}).items() if k not in ("flops", "gpu_hours", "wall_hours", "mfu")},
    )
    opt = replace(est.compute_option(), one_time=once, explain={**explain, "bound": "compute"})
    return Requirement(w.name, "training", (opt,), w.interruptible, explain=explain, spot_terms=_spot(w))


def _growth(w: Serving, month: int) -> float:
    return (1 + w.qps_growth_pct_per_month / 100.0) ** month


def _replica_options(sc: Scenario, w: Serving, qps: float, hours: float) -> tuple[ComputeOption, ...]:
    return tuple(_replica_option(sc, w, r, i, qps, hours) for i, r in enumerate(w.replicas))


def _measured_on(sc: Scenario, w: Serving, r: Replica, where: str) -> Replica:
    """A profile measured on an instance type takes that instance's hardware (one replica per instance)."""
    if r.instance_type is None:
        return r
    from pricing.instances import instance_shape, shapes

    shape = next((instance_shape(p, r.instance_type) for p in ("aws", "gcp", "azure") if instance_shape(p, r.instance_type)), None)
    if shape is None:
        from planner.errors import suggest

        names = [s.instance_type for s in shapes()]
        raise InputError(suggest(r.instance_type, names, what="instance type"), **_where(sc, w, f"{where}.instance_type"))
    if shape.accelerator:
        return r.model_copy(update={"accelerator": shape.accelerator, "gpus": shape.accelerator_count})
    return r.model_copy(update={"accelerator": None, "vcpus": shape.vcpus, "memory_gib": shape.memory_gib})


def _replica_option(sc: Scenario, w: Serving, r: Replica, idx: int, qps: float, hours: float) -> ComputeOption:
    where = "replica" if not isinstance(w.replica, list) else f"replica[{idx}]"
    r = _measured_on(sc, w, r, where)
    explain: dict[str, Any] = {"qps": qps, "utilization_target": w.utilization_target}
    if r.latency_ms is not None and w.latency_p95_ms is not None:
        from planner.capacity.serving import replicas_for_latency_slo

        try:
            n, ex = replicas_for_latency_slo(
                qps,
                r.latency_ms,
                w.latency_p95_ms,
                percentile=0.95,
                utilization_target=w.utilization_target,
                concurrency_per_replica=r.concurrency,
                min_replicas=1,
            )
        except InputError as exc:
            raise InputError(exc.message, **_where(sc, w, "latency_p95_ms")) from None
        explain.update(ex)
    else:
        from planner.capacity.serving import replicas_for_profile

        rps = r.requests_per_s if r.requests_per_s is not None else r.concurrency * 1000.0 / (r.latency_ms or 1)
        n, ex = replicas_for_profile(qps, rps, utilization_target=w.utilization_target, min_replicas=1)
        explain.update(ex)
    replicas = max(n, w.min_replicas, w.zones if w.style == "real_time" else 0, 1)
    if replicas > n:
        explain["raised_by"] = "min_replicas/zones"
    zones = w.zones if w.style == "real_time" else 1
    if r.accelerator is None:
        return ComputeOption(
            None,
            0,
            replicas,
            hours,
            vcpus_per_replica=r.vcpus or 0.0,
            memory_gib_per_replica=r.memory_gib or 0.0,
            min_instances=zones,
            explain=explain,
        )
    try:
        acc = canonical_accelerator(r.accelerator)
    except InputError as exc:
        raise InputError(exc.message, **_where(sc, w, f"{where}.accelerator")) from None
    # a GPU replica's vCPU and memory needs, when given, limit how many share an instance too
    return ComputeOption(acc, r.gpus, replicas, hours, vcpus_per_replica=r.vcpus or 0.0,
                         memory_gib_per_replica=r.memory_gib or 0.0, min_instances=zones, explain=explain)


def _llm_options(sc: Scenario, w: Serving, qps: float, hours: float, slo: bool) -> tuple[ComputeOption, ...]:
    from planner.capacity.llm_sizing import size_llm_serving

    accs = w.accelerators
    if accs:
        try:
            accs = [canonical_accelerator(a) for a in accs]
        except InputError as exc:
            raise InputError(exc.message, **_where(sc, w, "accelerators")) from None
    else:
        from planner.capacity.hardware import list_accelerators

        accs = list(list_accelerators())
    try:
        opts = size_llm_serving(
            w.model or "",
            accs,
            qps,
            w.input_tokens,
            w.output_tokens,
            ttft_p95_ms=w.ttft_p95_ms if slo else None,
            tpot_ms=w.tpot_ms if slo else None,
            dtype=w.dtype,
            utilization_target=w.utilization_target,
            hours=hours,
            calib={a: cal for a in accs} if (cal := _calibration(w, w.dtype)) else None,
        )
    except InputError as exc:
        raise InputError(exc.message, **_where(sc, w, "model")) from None
    zones = w.zones if w.style == "real_time" else 1
    floor = max(w.min_replicas, zones, 1)
    out = []
    for o in opts:
        if o.replicas < floor:
            out.append(replace(o, replicas=floor, min_instances=zones,
                               explain={**o.explain, "raised_by": "min_replicas/zones"}))
        else:
            out.append(replace(o, min_instances=zones))
    return tuple(out)


def _plan_batch(sc: Scenario, w: Serving, growth: float) -> Requirement:
    """Replicas sized for the rate that finishes a run in its window, billed while the run lasts."""
    from planner.capacity.deployment import batch_option, batch_plan, batch_rate

    assert w.requests_per_run is not None
    work = w.requests_per_run * growth
    window = w.window_hours or DEFAULT_BATCH_WINDOW_HOURS
    qps = batch_rate(work, window)
    if w.replica is not None:
        opts = _replica_options(sc, w, qps, window)
    else:
        opts = _llm_options(sc, w, qps, window, slo=False)
    out = []
    for o in opts:
        rps = o.explain.get("requests_per_s_per_replica") or o.explain.get("requests_per_s")
        run = batch_plan(work, window, w.runs_per_month, o.replicas, float(rps) if rps else None)
        out.append(batch_option(o, run))
    return Requirement(w.name, "serving", tuple(out), w.interruptible, explain={"style": "batch"},
                       spot_terms=_spot(w))


def plan_serving(sc: Scenario, w: Serving, month: int) -> Requirement:
    g = _growth(w, month)
    _check_serving_growth(sc, w, month, g)
    if w.style == "edge":
        from planner.capacity.deployment import edge_plan

        assert w.devices is not None and w.device_unit_cost_usd is not None
        edge = edge_plan(w.devices, w.device_unit_cost_usd, w.device_lifetime_months, w.device_usd_per_month)
        explain = {
            **edge.explain,
            "devices": w.devices,
            "usd_per_month": edge.monthly_cost_usd,
            "formula": "devices x (unit cost / lifetime months + monthly per device)",
        }
        return Requirement(w.name, "edge", (), False, explain=explain)
    if w.style == "batch":
        return _plan_batch(sc, w, g)
    qps = w.peak_qps * g
    hours = w.hours_per_month
    if w.replica is not None:
        opts = _replica_options(sc, w, qps, hours)
    else:
        opts = _llm_options(sc, w, qps, hours, slo=True)
    if w.peak_hours_per_day < 24 and w.qps_mean is not None:
        sized: dict[tuple[float, str | None], tuple[ComputeOption, ...]] = {}  # options sharing a level size once
        opts = tuple(_diurnal(sc, w, o, w.qps_mean * g, hours, sized) for o in opts)
    return Requirement(w.name, "serving", opts, w.interruptible, explain={"style": "real_time", "qps": qps})


def _diurnal(sc: Scenario, w: Serving, option: ComputeOption, mean_qps: float, hours: float,
             cache: dict[tuple[float, str | None], tuple[ComputeOption, ...]] | None = None) -> ComputeOption:
    """Peak replicas for ``peak_hours_per_day``, fewer off-peak: the option's hours shrink to match.

    ``cache`` keeps the sizing at each traffic level per accelerator, so the options of one workload that
    share an accelerator (its tensor-parallel degrees) are sized once per level."""
    from planner.capacity.deployment import realtime_option, realtime_plan

    memo = cache if cache is not None else {}

    def replicas_at(q: float) -> int:
        key = (q, None if w.replica is not None else option.accelerator)
        sized = memo.get(key)
        if sized is None:
            if w.replica is not None:
                sized = _replica_options(sc, w, q, hours)
            else:
                sized = _llm_options(sc, w.model_copy(update={"accelerators": [option.accelerator or ""]}), q, hours,
                                     slo=True)
            memo[key] = sized
        same = [o for o in sized if (o.accelerator, o.accelerators_per_replica, o.vcpus_per_replica)
                == (option.accelerator, option.accelerators_per_replica, option.vcpus_per_replica)]
        return same[0].replicas if same else option.replicas

    shape = realtime_plan(replicas_at, mean_qps, peak_to_mean=w.peak_qps / (w.qps_mean or w.peak_qps),
                          peak_hours_per_day=w.peak_hours_per_day, min_replicas=max(w.min_replicas, 1),
                          zones=w.zones, hours_per_month=hours)
    return realtime_option(option, shape)


def plan_storage(sc: Scenario, w: Storage) -> Requirement:
    from planner.capacity.storage import gb_months_billed

    gbs = gb_months_billed(w.gb, sc.horizon_months, w.growth_gb_per_month, w.growth_pct_per_month)
    _check_storage_growth(sc, w, gbs)
    need = StorageNeed(
        w.storage_class,
        tuple(gbs),
        w.write_requests_per_month,
        w.read_requests_per_month,
        w.egress_gb_per_month,
    )
    return Requirement(w.name, "storage", (), False, storage=need)


def plan(sc: Scenario, month: int = 0) -> list[Requirement]:
    """Requirements of every workload in month ``month`` (0 = the first month)."""
    out = []
    for w in sc.workloads:
        if isinstance(w, Training):
            out.append(plan_training(sc, w))
        elif isinstance(w, Serving):
            out.append(plan_serving(sc, w, month))
        else:
            out.append(plan_storage(sc, w))
    return out

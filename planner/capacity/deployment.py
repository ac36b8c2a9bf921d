"""Deployment styles: how replicas at a QPS become replica-hours in a month.

- real-time: always on; traffic has a peak (``peak_to_mean`` × mean QPS for ``peak_hours_per_day``)
  and an off-peak level that keeps the daily mean; at least ``min_replicas`` and one per zone.
- batch: a volume of work, a throughput per accelerator, an optional window; accelerator-hours
  that can run on spot capacity.
- edge: devices bought outright, amortized over their lifetime (a plain monthly figure from the
  unit cost the user gives; no cloud prices involved).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from planner.capacity.requirements import ComputeOption
from planner.errors import InputError

HOURS_PER_MONTH = 730.0


@dataclass(frozen=True)
class RealtimePlan:
    peak_qps: float
    off_peak_qps: float
    peak_replicas: int
    off_peak_replicas: int
    peak_hours_per_month: float
    off_peak_hours_per_month: float

    @property
    def replica_hours_per_month(self) -> float:
        return self.peak_replicas * self.peak_hours_per_month + self.off_peak_replicas * self.off_peak_hours_per_month


def realtime_plan(replicas_for_qps: Callable[[float], int], mean_qps: float, peak_to_mean: float = 1.0,
                  peak_hours_per_day: float = 24.0, min_replicas: int = 1, zones: int = 1,
                  hours_per_month: float = HOURS_PER_MONTH) -> RealtimePlan:
    """Replicas at peak and off-peak for a diurnal traffic shape (``replicas_for_qps`` sizes one level)."""
    if mean_qps < 0 or peak_to_mean < 1:
        raise InputError("mean_qps must be >= 0 and peak_to_mean >= 1")
    if not 0 < peak_hours_per_day <= 24:
        raise InputError(f"peak_hours_per_day must be in (0, 24], got {peak_hours_per_day}")
    if zones < 1:
        raise InputError(f"zones must be at least 1, got {zones}")
    peak_qps = mean_qps * peak_to_mean
    off_hours = 24.0 - peak_hours_per_day
    off_qps = max(0.0, (24.0 * mean_qps - peak_hours_per_day * peak_qps) / off_hours) if off_hours else 0.0
    floor = max(min_replicas, zones)
    peak_r = max(floor, replicas_for_qps(peak_qps) if peak_qps > 0 else 0)
    off_r = max(floor, replicas_for_qps(off_qps) if off_qps > 0 else 0) if off_hours else 0
    share = peak_hours_per_day / 24.0
    return RealtimePlan(peak_qps, off_qps, peak_r, off_r, hours_per_month * share, hours_per_month * (1 - share))


def realtime_option(option: ComputeOption, plan: RealtimePlan) -> ComputeOption:
    """The option with ``plan.peak_replicas`` and hours scaled so replica-hours match the plan."""
    hours = plan.replica_hours_per_month / plan.peak_replicas if plan.peak_replicas else 0.0
    explain = {**option.explain, "deployment": "real-time", "peak_replicas": plan.peak_replicas,
               "off_peak_replicas": plan.off_peak_replicas, "peak_qps": plan.peak_qps,
               "off_peak_qps": plan.off_peak_qps, "replica_hours_per_month": plan.replica_hours_per_month}
    levels = tuple((r, h) for r, h in ((plan.peak_replicas, plan.peak_hours_per_month),
                                       (plan.off_peak_replicas, plan.off_peak_hours_per_month)) if h > 0)
    return replace(option, replicas=plan.peak_replicas, hours=hours, levels=levels, explain=explain)


@dataclass(frozen=True)
class BatchPlan:
    accelerator_hours: float
    accelerators_for_window: int | None
    explain: dict[str, Any] = field(default_factory=dict)

    def compute_option(self, accelerator: str | None, per_month: bool = True) -> ComputeOption:
        return ComputeOption(accelerator=accelerator, packing="flexible", accelerator_hours=self.accelerator_hours,
                             hours=self.accelerator_hours, one_time=not per_month, explain=dict(self.explain))


def batch_plan(work_units: float, units_per_accelerator_hour: float, window_hours: float | None = None,
               interruption_overhead: float = 1.05) -> BatchPlan:
    """Accelerator-hours for a volume of work (tokens, images, requests); spot-friendly.

    ``interruption_overhead`` adds the work lost to spot reclaims (default 5%: jobs that checkpoint).
    ``window_hours`` (a deadline) gives the accelerators needed to finish in time.
    """
    if work_units < 0 or units_per_accelerator_hour <= 0:
        raise InputError("work_units must be >= 0 and units_per_accelerator_hour > 0")
    if interruption_overhead < 1:
        raise InputError("interruption_overhead must be >= 1")
    hours = work_units / units_per_accelerator_hour * interruption_overhead
    need = None
    if window_hours is not None:
        if window_hours <= 0:
            raise InputError(f"window_hours must be > 0, got {window_hours}")
        need = max(1, math.ceil(hours / window_hours))
    return BatchPlan(hours, need, {"deployment": "batch", "bound": "throughput",
                                   "units_per_accelerator_hour": units_per_accelerator_hour,
                                   "interruption_overhead": interruption_overhead, "window_hours": window_hours,
                                   "accelerators_for_window": need})


@dataclass(frozen=True)
class EdgePlan:
    devices: int
    unit_cost_usd: float
    lifetime_months: float
    monthly_cost_usd: float
    explain: dict[str, Any] = field(default_factory=dict)


def edge_plan(devices: int, unit_cost_usd: float, lifetime_months: float,
              monthly_opex_per_device_usd: float = 0.0) -> EdgePlan:
    """Devices bought outright, straight-line amortized: ``devices·(unit/lifetime + opex)`` per month."""
    if devices < 0 or unit_cost_usd < 0 or lifetime_months <= 0 or monthly_opex_per_device_usd < 0:
        raise InputError("edge: devices and costs must be >= 0 and lifetime_months > 0")
    monthly = devices * (unit_cost_usd / lifetime_months + monthly_opex_per_device_usd)
    return EdgePlan(devices, unit_cost_usd, lifetime_months, monthly,
                    {"deployment": "edge", "amortization": "straight-line", "opex_per_device_usd":
                     monthly_opex_per_device_usd})

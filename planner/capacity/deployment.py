"""Deployment styles: how replicas at a QPS become replica-hours in a month.

- real-time: always on; traffic has a peak (``peak_to_mean`` × mean QPS for ``peak_hours_per_day``)
  and an off-peak level that keeps the daily mean; at least ``min_replicas`` and one per zone.
- batch: a volume of work per run that must finish within a window: replicas sized for the rate that
  meets the window, billed while their share of the work lasts, every run of the month.
- edge: devices bought outright, amortized over their lifetime (a plain monthly figure from the
  unit cost the user gives; no cloud prices involved).
"""

from __future__ import annotations

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


def batch_rate(work_per_run: float, window_hours: float) -> float:
    """Work per second that finishes one run within its window: the rate to size batch replicas for."""
    if work_per_run < 0:
        raise InputError(f"work per run must be >= 0, got {work_per_run}")
    if window_hours <= 0:
        raise InputError(f"window_hours must be > 0, got {window_hours}")
    return work_per_run / (window_hours * 3600.0)


@dataclass(frozen=True)
class BatchPlan:
    work_per_run: float
    window_hours: float
    runs_per_month: float
    replicas: int
    run_hours: float  # how long the replicas run per run: the work at their throughput, at most the window

    @property
    def hours_per_month(self) -> float:
        return self.run_hours * self.runs_per_month


def batch_plan(work_per_run: float, window_hours: float, runs_per_month: float, replicas: int,
               units_per_s_per_replica: float | None) -> BatchPlan:
    """How long ``replicas`` (sized for :func:`batch_rate`) run to finish each run, and hours a month.

    Each run lasts ``work / (replicas x throughput)``, at most the window; with no throughput known the
    replicas are billed for the whole window. Work lost to spot reclaims is not added here: costing adds it
    to spot prices from the workload's interruption terms (:mod:`planner.interruptions`).
    """
    if runs_per_month < 0 or replicas < 1:
        raise InputError(f"runs_per_month must be >= 0 and replicas >= 1, got {runs_per_month} and {replicas}")
    batch_rate(work_per_run, window_hours)  # checks the work and the window
    run_hours = window_hours
    if units_per_s_per_replica is not None and units_per_s_per_replica > 0:
        run_hours = min(window_hours, work_per_run / (replicas * units_per_s_per_replica * 3600.0))
    return BatchPlan(work_per_run, window_hours, runs_per_month, replicas, run_hours)


def batch_option(option: ComputeOption, plan: BatchPlan) -> ComputeOption:
    """The option billed for ``plan``: its replicas for the plan's run hours, every run of the month."""
    explain = {**option.explain, "window_hours": plan.window_hours, "run_hours": plan.run_hours,
               "runs_per_month": plan.runs_per_month}
    return replace(option, hours=plan.hours_per_month, explain=explain)


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

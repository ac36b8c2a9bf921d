"""Deployment styles and storage growth, checked by hand."""

from __future__ import annotations

import math

import pytest

from planner.capacity.deployment import (
    batch_option,
    batch_plan,
    batch_rate,
    edge_plan,
    realtime_option,
    realtime_plan,
)
from planner.capacity.requirements import ComputeOption
from planner.capacity.storage import gb_by_month, storage_need
from planner.errors import InputError


def test_gb_by_month() -> None:
    # 100 GB, +10%/month then +10 GB: 100 -> 100*1.1+10 = 120 -> 120*1.1+10 = 142.
    assert gb_by_month(100, 3, 10, 10) == pytest.approx((100, 120, 142))
    assert gb_by_month(50, 2) == (50.0, 50.0)
    # billed on the month's average: 10 -> 15 -> 20 GB at month starts; months bill (10+15)/2 and (15+20)/2
    assert storage_need("standard", 10, 2, growth_gb_per_month=5).gb_by_month == (12.5, 17.5)


def test_storage_is_billed_on_the_months_average() -> None:
    from planner.capacity.storage import gb_months_billed

    # 50,000 GB growing 1,000 GB a month: month 1 holds 50,000 at its start and 51,000 at its end -> 50,500 GB-months
    assert gb_months_billed(50_000, 2, growth_gb_per_month=1_000) == (50_500.0, 51_500.0)
    # +10 %/month then +10 GB: starts 100, 120, 142 -> months bill 110 and 131
    assert gb_months_billed(100, 2, 10, 10) == pytest.approx((110.0, 131.0))
    assert gb_months_billed(50, 2) == (50.0, 50.0)
    with pytest.raises(InputError):
        gb_by_month(1, 0)


def test_realtime_diurnal_and_zones() -> None:
    # Mean 10 qps, peak 2x for 12 h: peak 20 qps; off-peak (24*10 - 12*20)/12 = 0 qps.
    # 5 qps per replica -> 4 at peak; off-peak floor = max(min_replicas 1, zones 2) = 2.
    # replica-hours = 4*365 + 2*365 = 2,190.
    plan = realtime_plan(lambda q: math.ceil(q / 5), 10, peak_to_mean=2, peak_hours_per_day=12, zones=2)
    assert (plan.peak_replicas, plan.off_peak_replicas, plan.off_peak_qps) == (4, 2, 0)
    assert plan.replica_hours_per_month == pytest.approx(2190)
    opt = realtime_option(ComputeOption("L4", 1, 1), plan)
    assert opt.replicas * opt.hours == pytest.approx(2190) and opt.explain["off_peak_replicas"] == 2


def test_realtime_flat_traffic() -> None:
    plan = realtime_plan(lambda q: math.ceil(q / 5), 12, min_replicas=2)
    assert plan.peak_replicas == 3 and plan.replica_hours_per_month == pytest.approx(3 * 730)


def test_batch_rate_and_plan() -> None:
    # scenarios/batch-embeddings.yaml: 40,000,000 requests a run in a 6 h window -> 40e6 / 21,600 s
    # = 1,851.85 requests/s to size for. L4 at 350 requests/s each: ceil(1,851.85 / (350 x 0.7)) = 8 replicas
    # (utilization target 0.7); they finish in 40e6 / (8 x 350 x 3,600) = 3.968 h, 30 runs = 119.05 h a month.
    rate = batch_rate(40e6, 6)
    assert rate == pytest.approx(1851.85, abs=0.01)
    plan = batch_plan(40e6, 6, 30, 8, 350)
    assert plan.run_hours == pytest.approx(3.968, abs=0.001)
    assert plan.hours_per_month == pytest.approx(119.05, abs=0.01)
    opt = batch_option(ComputeOption("L4", 1, 8, hours=6, explain={"qps": rate}), plan)
    assert (opt.replicas, opt.hours) == (8, plan.hours_per_month)
    assert opt.explain == {"qps": rate, "window_hours": 6, "run_hours": plan.run_hours, "runs_per_month": 30}


def test_batch_plan_is_capped_by_the_window() -> None:
    # 1 replica at 10 requests/s needs 100,000 / 36,000 per h = 2.78 h for the work, but a 2 h window ends
    # first (the sizing would have asked for more replicas); no throughput known -> the whole window
    assert batch_plan(100_000, 2, 1, 1, 10).run_hours == 2
    assert batch_plan(100_000, 4, 30, 3, None).hours_per_month == 4 * 30
    with pytest.raises(InputError):
        batch_rate(1, 0)
    with pytest.raises(InputError):
        batch_plan(1, 1, 30, 0, 10)


def test_edge_plan() -> None:
    # 100 devices x $600 over 36 months + $2/month each = 100 * (16.667 + 2) = $1,866.67 a month.
    plan = edge_plan(100, 600, 36, monthly_opex_per_device_usd=2)
    assert plan.monthly_cost_usd == pytest.approx(1866.67, abs=0.01)
    with pytest.raises(InputError):
        edge_plan(1, 100, 0)

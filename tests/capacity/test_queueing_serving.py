"""Erlang C / M/D/c formulas (textbook values) and replica sizing from service times and profiles."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.capacity.queueing import erlang_c, mdc_wait_quantile_s, mmc_mean_wait_s, mmc_wait_quantile_s
from planner.capacity.serving import replicas_for_latency_slo, replicas_for_profile, size_cpu_serving
from planner.errors import InputError


def test_erlang_c_textbook_values() -> None:
    # M/M/1: P(wait) = rho.  M/M/2 with a = 1 Erlang: (1/2! * 1/(1-1/2)) / (1 + 1 + 1) = 1/3.
    assert erlang_c(1, 0.8) == pytest.approx(0.8)
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    assert erlang_c(3, 3.0) == 1.0 and erlang_c(3, 0.0) == 0.0
    assert 0 < erlang_c(2000, 1800.0) < 1  # large c stays finite (recurrence, no factorials)


def test_wait_quantiles() -> None:
    # M/M/1, lambda 0.8/s, mu 1/s: P(W > t) = 0.8 e^{-0.2 t}; p95 -> ln(0.8/0.05)/0.2 = 13.863 s;
    # mean wait = rho/(mu - lambda) = 4 s. M/D/1 (Allen-Cunneen) halves the wait.
    assert mmc_wait_quantile_s(0.8, 1.0, 1, 0.95) == pytest.approx(math.log(16) / 0.2)
    assert mmc_mean_wait_s(0.8, 1.0, 1) == pytest.approx(4.0)
    assert mdc_wait_quantile_s(0.8, 1.0, 1, 0.95) == pytest.approx(math.log(16) / 0.4)
    assert mmc_wait_quantile_s(2.0, 1.0, 1) == math.inf
    assert mmc_wait_quantile_s(0.01, 1.0, 1, 0.95) == 0.0  # P(wait) 1% < 5%


def test_replicas_for_latency_slo_utilization_bound() -> None:
    # 100 qps x 50 ms = 5 Erlangs; at 70% -> ceil(7.14) = 8 replicas; p95 wait then ~10 ms < 150 ms.
    n, why = replicas_for_latency_slo(100, 50, 200, utilization_target=0.7)
    assert n == 8 and why["bound"] == "utilization"
    assert why["latency_ms_at_percentile"] <= 200


def test_replicas_for_latency_slo_tight_slo_adds_replicas() -> None:
    loose, _ = replicas_for_latency_slo(100, 50, 200, utilization_target=0.9)
    tight, why = replicas_for_latency_slo(100, 50, 52, utilization_target=0.9)
    assert tight > loose and why["bound"] == "slo" and why["latency_ms_at_percentile"] <= 52


def test_concurrency_and_minimum() -> None:
    n, _ = replicas_for_latency_slo(100, 50, 200, utilization_target=0.7, concurrency_per_replica=4)
    assert n == 2  # ceil(5 / (4 * 0.7)) = 2
    n, why = replicas_for_latency_slo(0.1, 50, 200, min_replicas=3)
    assert n == 3 and why["bound"] == "min_replicas"


def test_impossible_slo_says_best_achievable() -> None:
    with pytest.raises(InputError, match="best achievable p95 latency is 50 ms"):
        replicas_for_latency_slo(10, 50, 40)


def test_profile_overrides_model() -> None:
    # Load test: 50 requests/s per replica at the SLO; 100 qps at 70% -> ceil(100/35) = 3.
    n, why = replicas_for_profile(100, requests_per_s_per_replica=50)
    assert n == 3 and why["source"] == "measured profile"
    # Latency at batch sizes, SLO 200 ms -> half-SLO budget 100 ms: batch 8 (40 ms) = 200 req/s.
    n, why = replicas_for_profile(100, latency_ms_by_batch={1: 10, 8: 40, 32: 120}, slo_ms=200)
    assert why["batch"] == 8 and why["requests_per_s_per_replica"] == 200 and n == 1
    with pytest.raises(InputError, match="SLO must be at least 20 ms"):
        replicas_for_profile(100, latency_ms_by_batch={1: 10, 8: 40}, slo_ms=15)


def test_cpu_option() -> None:
    opt = size_cpu_serving(100, 50, 200, vcpus_per_replica=4, memory_gib_per_replica=8)
    assert opt.accelerator is None and opt.replicas == 8 and opt.vcpus_per_replica == 4


def _erlang_c_by_recurrence(c: int, a: float) -> float:
    """Textbook Erlang B recurrence B(k) = a·B(k-1)/(k + a·B(k-1)), then C = B / (1 - rho(1 - B))."""
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b / (1 - a / c * (1 - b))


@settings(max_examples=200, deadline=None)
@given(c=st.integers(1, 3000), load=st.floats(0.001, 0.999))
def test_erlang_c_matches_recurrence(c: int, load: float) -> None:
    a = c * load
    assert erlang_c(c, a) == pytest.approx(_erlang_c_by_recurrence(c, a), rel=1e-9, abs=1e-300)


def test_no_traffic_keeps_only_the_floor() -> None:
    assert replicas_for_latency_slo(0, 50, 200, min_replicas=0)[0] == 0
    assert replicas_for_latency_slo(0, 50, 200, min_replicas=2)[0] == 2

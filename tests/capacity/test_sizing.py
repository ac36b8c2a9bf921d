"""size_llm_serving: one option per feasible (accelerator, TP), replicas for a QPS under SLOs."""

from __future__ import annotations

import math

import pytest

from planner.capacity.hardware import list_accelerators
from planner.capacity.llm import make_replica
from planner.capacity.llm_sizing import size_llm_serving, smallest_tp, tp_per_token
from planner.errors import InputError, UnknownNameError


def test_options_sorted_by_total_gpus_and_sized_for_qps() -> None:
    opts = size_llm_serving("llama-3-8b", ["H100-SXM", "L4", "A10G"], qps=20, input_tokens=1000,
                            output_tokens=200)
    totals = [o.replicas * o.accelerators_per_replica for o in opts]
    assert totals == sorted(totals)
    for o in opts:
        e = o.explain
        # without SLOs: R = ceil(qps / (0.7 * mu)) at the batch that fits (one default utilization, 70%)
        assert o.replicas == max(1, math.ceil(20 / (0.7 * e["requests_per_s_per_replica"])))
        assert e["utilization"] <= 0.7 and o.packing == "replicas" and o.hours == 730.0
    assert {o.accelerator for o in opts} == {"H100-SXM", "L4", "A10G"}


def test_slos_are_met() -> None:
    opts = size_llm_serving("llama-3-70b", list_accelerators(), qps=10, input_tokens=1000, output_tokens=300,
                            ttft_p95_ms=800, tpot_ms=60)
    assert opts
    for o in opts:
        assert o.explain["ttft_ms"] <= 800 and o.explain["tpot_ms"] <= 60
        assert o.explain["bound"] in ("capacity", "slo")
        assert o.explain["binding"] in ("KV-cache memory", "engine max_batch_size", "TPOT SLO", "TTFT SLO")
    assert {o.explain["binding"] for o in opts} >= {"TPOT SLO"}


def test_more_qps_more_replicas() -> None:
    small = size_llm_serving("llama-3-8b", ["H100-SXM"], 5, 1000, 200, max_gpus_per_replica=1)[0]
    large = size_llm_serving("llama-3-8b", ["H100-SXM"], 200, 1000, 200, max_gpus_per_replica=1)[0]
    assert large.replicas > small.replicas


def test_larger_tp_can_be_cheaper_per_token() -> None:
    # 70B BF16 on H100: TP2 leaves ~10 GB for KV cache, TP4 ~150 GB, so TP4 serves more per GPU.
    per_gpu = tp_per_token("llama-3-70b", "H100-SXM", 1000, 300)
    assert smallest_tp("llama-3-70b", "H100-SXM", 1000, 300) == 2
    assert per_gpu[4] > per_gpu[2]


def test_impossible_slo_reports_best() -> None:
    with pytest.raises(InputError, match=r"best achievable p95 TTFT is \d+ ms \(SLO 5 ms\)"):
        size_llm_serving("llama-3-8b", ["H100-SXM"], 1, 1000, 200, ttft_p95_ms=5)
    with pytest.raises(InputError, match=r"best achievable TPOT is [\d.]+ ms \(SLO 0.5 ms\)"):
        size_llm_serving("llama-3-8b", ["H100-SXM"], 1, 1000, 200, tpot_ms=0.5)


def test_model_that_fits_nowhere() -> None:
    with pytest.raises(InputError, match=r"fits on no configuration: .* need [\d,]+ GiB"):
        size_llm_serving("llama-3.1-405b", ["L4", "T4"], 1, 1000, 200)


def test_ttft_includes_prefill_and_queueing() -> None:
    opt = size_llm_serving("llama-3-8b", ["H100-SXM"], 20, 2000, 200, max_gpus_per_replica=1)[0]
    rep = make_replica("llama-3-8b", "H100-SXM", 1)
    assert opt.explain["ttft_ms"] > rep.prefill_s(1, 2000)[0] * 1000


def test_bad_input() -> None:
    with pytest.raises(UnknownNameError):
        size_llm_serving("llama-3-8b", ["H1000"], 1, 100, 100)
    with pytest.raises(InputError, match="qps"):
        size_llm_serving("llama-3-8b", ["H100"], 0, 100, 100)


def test_ttft_slo_caps_the_batch() -> None:
    # Llama-3-8B BF16 on one H100: prefill of 1000 tokens ~27.6 ms; a decode step at context 1150 grows
    # from ~10.2 ms (batch 64) to ~29.5 ms (batch 342). A 45 ms TTFT at negligible load leaves ~17.4 ms
    # for the step in flight: a batch of about 170 instead of the 353 that fit.
    rep = make_replica("llama-3-8b", "H100-SXM", 1)
    prefill_ms = rep.prefill_s(1, 1000)[0] * 1e3
    opt = size_llm_serving("llama-3-8b", ["H100"], 0.1, 1000, 300, ttft_p95_ms=45, max_gpus_per_replica=1)[0]
    assert opt.explain["binding"] == "TTFT SLO" and 150 < opt.explain["batch"] < 190
    assert opt.explain["batch"] < rep.max_batch(1300) == 353
    assert opt.explain["decode_step_ms"] <= 45 - prefill_ms and opt.explain["ttft_ms"] <= 45


def test_tight_ttft_adds_replicas_or_shrinks_batch() -> None:
    # On L4 a 1000-token prefill of Llama-3-8B takes ~190 ms; with a 300 ms p95 TTFT the decode step in
    # flight must stay short and queues short: a smaller batch or more replicas than TPOT alone needs.
    loose = {(o.accelerator, o.accelerators_per_replica): o for o in
             size_llm_serving("llama-3-8b", ["L4"], 20, 1000, 300, tpot_ms=60)}
    tight = size_llm_serving("llama-3-8b", ["L4"], 20, 1000, 300, ttft_p95_ms=300, tpot_ms=60)
    assert all(o.explain["ttft_ms"] <= 300 for o in tight)
    limited = [o for o in tight if o.explain["binding"] == "TTFT SLO"]
    assert limited
    for o in limited:
        base = loose[(o.accelerator, o.accelerators_per_replica)]
        assert o.explain["batch"] < base.explain["batch"] or o.replicas > base.replicas

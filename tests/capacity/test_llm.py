"""One LLM replica: roofline step times, KV-cache limits, bounds, errors."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.capacity.calibration import Calibration
from planner.capacity.llm import llm_replica, make_replica
from planner.errors import InputError, UnknownNameError


def test_batch1_decode_hand_calculation() -> None:
    # Llama-2-7B BF16 on A100-80GB, batch 1, empty cache, default ampere calibration
    # (eta_mem 0.92, eta_flops 0.74, p = 1.13, 37 us per layer per decode step, no TP):
    #   weights read m = (6,738,149,376 - 32000*4096 input embedding) * 2 B / (2.039e12 * 0.92) = 7.044 ms
    #   GEMMs c = (2*6.476e9 + 2*131e6) FLOPs / (312e12 * 0.74)                              = 0.057 ms
    #   (c^1.13 + m^1.13)^(1/1.13)                                                          = 7.071 ms
    #   32 layers * 37 us                                                                   = 1.184 ms
    #   attention on an empty cache                                                         < 0.001 ms
    #   -> 8.256 ms, memory bound
    rep = make_replica("llama-2-7b", "A100-80GB", 1, "bf16")
    step_s, bound = rep.decode_step_s(1, 0)
    assert step_s * 1e3 == pytest.approx(8.256, rel=1e-3)
    assert bound == "memory"


def test_kv_budget_worked_example() -> None:
    # MODELING.md: H100 TP2, Llama-3-70B FP8 weights, BF16 KV, 1000/1000 -> ~68 GB for KV, B_max ~100
    # (80e9-byte cards, 90% of memory, 6 GB reserve). Our cards are 80 GiB (85.9e9 B, as nvidia-smi
    # reports); KV gets 90% of what weights (70.55 GB), a 2 GiB/GPU reserve and 1.5 GB of prefill
    # activations leave: 0.9 * (171.8 - 4.3 - 70.55 - 1.5) = 85.4 GB -> 130 sequences of 2000 tokens.
    rep = make_replica("llama-3-70b", "H100-SXM", 2, "fp8", kv_dtype="bf16")
    assert rep.kv_budget_bytes() / 1e9 == pytest.approx(85.4, abs=0.2)
    assert 100 <= rep.max_batch(2000) <= 135


def test_memory_bound_small_batch_compute_bound_large() -> None:
    # kipply's critical batch: H100 BF16 B* = 989/3.35 ~ 295; at batch 512 and short context the
    # GEMMs dominate, at batch 1 the weight read does.
    rep = make_replica("llama-3-8b", "H100-SXM", 1, "bf16")
    assert rep.decode_step_s(1, 1000)[1] == "memory"
    assert rep.decode_step_s(512, 100)[1] == "compute"


def test_tensor_parallel_decode_is_not_linear() -> None:
    # Two all-reduces per layer and per-layer fixed costs: TP2 is faster but far from 2x.
    one = make_replica("llama-3-8b", "H100-SXM", 1).decode_step_s(1, 1000)[0]
    two = make_replica("llama-3-8b", "H100-SXM", 2).decode_step_s(1, 1000)[0]
    assert one / 2 < two < one


def test_moe_batch1_reads_only_routed_experts() -> None:
    # Mixtral routes each token to 2 of 8 experts: at batch 1 ~13B of 46.7B weights are read, at batch
    # 64 nearly all experts are touched (8*(1-(6/8)^64) ~ 8), so the weight read grows ~3.5x.
    rep = make_replica("mixtral-8x7b", "H100-SXM", 2)
    assert rep.decode_step_s(1, 100)[0] < rep.decode_step_s(64, 100)[0] / 2


@settings(max_examples=40, deadline=None)
@given(b=st.integers(1, 200), ctx=st.integers(0, 8000))
def test_step_time_grows_with_batch_and_context(b: int, ctx: int) -> None:
    rep = make_replica("llama-3-8b", "L40S", 1)
    t = rep.decode_step_s(b, ctx)[0]
    assert rep.decode_step_s(b + 1, ctx)[0] > t
    assert rep.decode_step_s(b, ctx + 100)[0] > t
    # continuous-batching throughput grows with batch (fixed costs are shared)
    assert rep.serve(b + 1, 500, 200)["requests_per_s"] > rep.serve(b, 500, 200)["requests_per_s"]


def test_replica_contract_fields_and_bounds() -> None:
    est = llm_replica("llama-3-8b", "h100", 1, dtype="fp8", batch=32, context=2048, input_tokens=1000,
                      output_tokens=200)
    d = est.to_dict()
    for key in ("decode_step_ms", "decode_tokens_per_s", "prefill_ms", "prefill_tokens_per_s",
                "kv_bytes_per_token", "weight_bytes", "max_batch", "throughput_tokens_per_s", "requests_per_s",
                "bounds", "assumptions"):
        assert key in d
    assert est.accelerator == "H100-SXM" and est.batch == 32 and est.context == 2048
    assert est.kv_bytes_per_token == 65_536  # 131,072 B/token at BF16, FP8 cache halves it
    assert est.decode_tokens_per_s == pytest.approx(32 / (est.decode_step_ms / 1e3))
    assert est.prefill_tokens_per_s == pytest.approx(32 * 1000 / (est.prefill_ms / 1e3))
    assert est.throughput_tokens_per_s == pytest.approx(est.requests_per_s * 200)
    assert est.bounds["decode_step_ms"] == "memory" and est.bounds["prefill_ms"] == "compute"
    assert est.assumptions["family"] == "hopper" and est.assumptions["eta_mem"] > 0


def test_default_batch_is_the_most_that_fits() -> None:
    est = llm_replica("llama-3-70b", "H100-SXM", 4, input_tokens=2000, output_tokens=500)
    assert est.batch == est.max_batch and est.bounds["batch"] == "capacity"
    assert est.throughput_tokens_per_s > llm_replica("llama-3-70b", "H100-SXM", 4, batch=8, input_tokens=2000,
                                                     output_tokens=500).throughput_tokens_per_s


def test_fp8_on_a100_is_weight_only() -> None:
    rep = make_replica("llama-3-8b", "A100-80GB", 1, "fp8")
    assert rep.weight_bytes == make_replica("llama-3-8b", "A100-80GB", 1).weight_bytes / 2
    assert rep.acc.peak_flops("fp8") == 312e12


def test_calibration_override() -> None:
    slow = llm_replica("llama-3-8b", "H100-SXM", 1, batch=1, calib={"eta_mem": 0.46})
    base = llm_replica("llama-3-8b", "H100-SXM", 1, batch=1)
    assert slow.decode_step_ms > 1.5 * base.decode_step_ms - 3  # memory part doubles
    assert "overridden: eta_mem" in slow.assumptions["source"]
    explicit = llm_replica("llama-3-8b", "H100-SXM", 1, batch=1, calib=Calibration(eta_mem=0.46))
    assert explicit.decode_step_ms > base.decode_step_ms
    with pytest.raises(InputError, match="unknown calibration field"):
        llm_replica("llama-3-8b", "H100-SXM", 1, calib={"eta_memory": 0.5})


def test_does_not_fit_says_memory_needed() -> None:
    # 141.1 GB of BF16 weights = 131.4 GiB, + 2 GiB runtime + activations + one sequence's KV cache
    with pytest.raises(InputError, match=r"does not fit on 1x L4: needs 13[45]\.\d GiB per device.*has 24 GiB"):
        llm_replica("llama-3-70b", "L4", 1)


def test_batch_too_large() -> None:
    with pytest.raises(InputError, match="batch 5000 does not fit"):
        llm_replica("llama-3-8b", "L4", 1, batch=5000)


def test_unknown_names() -> None:
    with pytest.raises(UnknownNameError, match="did you mean"):
        llm_replica("llama-3-8b", "H101", 1)
    with pytest.raises(UnknownNameError, match="dtype"):
        llm_replica("llama-3-8b", "H100", 1, dtype="fp7")


def test_legacy_gqa_kernels_reread_kv_in_decode_only() -> None:
    # x = 1: every query head re-reads its group's K/V, so decode KV traffic grows by h/h_kv = 8 for
    # Llama-3-70B; prefill (flash attention keeps K/V on chip) and MHA models (h/h_kv = 1) are unchanged.
    legacy = {"gqa_kv_read_exponent": 1.0, "overlap": 1.0}  # overlap 1: memory and math times add
    new = make_replica("llama-3-70b", "H100-SXM", 4, calib={"overlap": 1.0})
    old = make_replica("llama-3-70b", "H100-SXM", 4, calib=legacy)
    kv_s = 64 * 4001 * new.kv_bytes_per_token / (4 * 3.35e12 * new.calib.eta_mem)  # 64 seqs x 4001 tokens
    assert old.decode_step_s(64, 4000)[0] - new.decode_step_s(64, 4000)[0] == pytest.approx(7 * kv_s, rel=1e-6)
    assert old.prefill_s(4, 2000)[0] == new.prefill_s(4, 2000)[0]
    mha = make_replica("llama-2-7b", "H100-SXM", 1, calib={"overlap": 1.0})
    assert mha.decode_step_s(8, 1000) == make_replica("llama-2-7b", "H100-SXM", 1, calib=legacy).decode_step_s(8, 1000)


def test_batch_at_long_context_must_fit() -> None:
    # 64 sequences of 100k tokens of Llama-3-8B BF16 KV need 64 * 100,001 * 131,072 B = 839 GB.
    with pytest.raises(InputError, match="sequences of 100001 tokens"):
        llm_replica("llama-3-8b", "H100-SXM", 1, batch=64, context=100_000, input_tokens=100, output_tokens=100)

"""Mixture-of-experts models: config parsing, total vs active parameters, expert memory, expert
parallelism and its all-to-all, MoE training. Every expected number is worked out by hand from the
real config.json fields in fixtures/configs (each file names its Hugging Face source)."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.capacity.hardware import GIB
from planner.capacity.llm import llm_replica, make_replica
from planner.capacity.llm_sizing import size_llm_serving
from planner.capacity.models import PRESETS, get_model
from planner.capacity.training import a2a_s_per_token, default_expert_parallel, estimate_training
from planner.errors import InputError

CONFIGS = Path(__file__).parent / "fixtures" / "configs"


def config(name: str) -> str:
    return str(CONFIGS / f"{name}.json")


def test_qwen3_235b_params_from_config() -> None:
    # d=4096, L=94, h=64, h_kv=4, d_h=128, 128 experts of width 1536, 8 per token, V=151936, untied.
    #   attention/layer: 2*4096*8192 + 2*4096*512             =    71,303,168
    #   one expert: 3*4096*1536                               =    18,874,368
    #   router: 4096*128                                      =       524,288
    #   total: 94*(71,303,168 + 128*18,874,368 + 524,288) + 2*151936*4096 = 235,092,836,352 (card: 235B)
    #   active: 94*(71,303,168 + 8*18,874,368 + 524,288) + 1,244,659,712  =  22,189,965,312 (card: 22B)
    m = get_model(config("Qwen3-235B-A22B"))
    assert m.name == "Qwen3-235B-A22B" and m.is_moe and m.moe_layers == 94
    assert m.attention_params_per_layer == 71_303_168
    assert m.expert_params_per_layer == 18_874_368
    assert m.params == 235_092_836_352
    assert m.active_params == 22_189_965_312
    assert m.kv_bytes_per_token("bf16") == 2 * 94 * 4 * 128 * 2  # 192,512 B
    assert m.params == PRESETS["qwen3-235b-a22b"].params


def test_qwen3_235b_fp8_fits_on_8_h200() -> None:
    # Before: every expert counted 12,288 wide (intermediate_size) -> 1.8T parameters, 215 GiB per GPU.
    # Now, tensor parallel: 235,092,836,352 B of FP8 weights / 8 = 29.39e9 B = 27.37 GiB per GPU, plus
    # a 2 GiB runtime reserve and prefill activations: about 30 GiB of 141.
    tp = make_replica("qwen3-235b-a22b", "H200", 8, "fp8", expert_parallel=False)
    assert tp.weight_bytes_per_device / GIB == pytest.approx(235_092_836_352 / 8 / GIB)
    assert tp.weight_bytes_per_device / GIB == pytest.approx(27.37, abs=0.01)
    used = (tp.tp * tp.acc.memory_bytes - tp.free_bytes()) / tp.tp / GIB
    assert 29 < used < 32
    # Expert parallel (default for MoE): attention, norms, router and embeddings on every GPU
    # (235,092,836,352 - 94*128*18,874,368 = 7,996,440,576 B), experts split 8 ways
    # (227,096,395,776 / 8 = 28,387,049,472 B): 36,383,490,048 B = 33.88 GiB per GPU.
    ep = make_replica("qwen3-235b-a22b", "H200", 8, "fp8")
    assert ep.ep == 8 and ep.weight_bytes_per_device == 36_383_490_048
    est = llm_replica("qwen3-235b-a22b", "H200", 8, dtype="fp8", input_tokens=1000, output_tokens=1000)
    assert est.max_batch > 1000 and est.params == 235_092_836_352 and est.active_params == 22_189_965_312
    opts = size_llm_serving("qwen3-235b-a22b", ["H200"], qps=1, input_tokens=1000, output_tokens=1000, dtype="fp8")
    # one H200 (141 GiB) cannot hold 219 GiB of weights; two hold 109.5 GiB each
    assert {o.accelerators_per_replica for o in opts} == {2, 4, 8}


def test_qwen3_30b_training_state() -> None:
    # attention/layer 2*2048*4096 + 2*2048*512 = 18,874,368; expert 3*2048*768 = 4,718,592; router 262,144
    # total 48*(18,874,368 + 128*4,718,592 + 262,144) + 2*151936*2048 = 30,531,911,680 (card: 30.5B)
    # Adam state 16 B/param = 488,510,586,880 B = 455.0 GiB (the old count said 3,479 GiB).
    m = get_model(config("Qwen3-30B-A3B"))
    assert m.params == 30_531_911_680
    assert m.active_params == 3_352_821_760  # 48*(18,874,368 + 8*4,718,592 + 262,144) + 622,329,856 (card 3.3B)
    with pytest.raises(InputError, match=r"needs 455 GiB of weights and optimizer state"):
        estimate_training(config("Qwen3-30B-A3B"), "1T", "H100", 4)
    est = estimate_training("qwen3-30b-a3b", "1T", "H100", 8)  # 455 GiB / 8 = 57 GiB < 0.9*80
    # FLOPs/token: 6*3,352,821,760 + 12*48*(32*128)*4096 = 20,116,930,560 + 9,663,676,416
    assert est.flops_per_token == 6 * 3_352_821_760 + 12 * 48 * 4096 * 4096
    assert est.explain["expert_parallel"] == 8 and est.explain["params"] == 30_531_911_680


def test_deepseek_v3_mla_and_shared_experts() -> None:
    # MLA attention/layer: q_a 7168*1536 + q_b 1536*128*(128+64) + kv_a 7168*(512+64)
    #   + kv_b 512*128*(128+128) + o 128*128*7168 = 11,010,048 + 37,748,736 + 4,128,768 + 16,777,216
    #   + 117,440,512 = 187,105,280
    # 3 dense layers of 3*7168*18432 = 396,361,728; 58 MoE layers of 256 routed + 1 shared expert of
    # 3*7168*2048 = 44,040,192 each plus a 7168*256 router; embeddings 2*129280*7168.
    #   total  = 61*187,105,280 + 3*396,361,728 + 58*(257*44,040,192 + 1,835,008) + 1,853,358,080
    #          = 671,025,397,760 (report: 671B)
    #   active = 61*187,105,280 + 3*396,361,728 + 58*(9*44,040,192 + 1,835,008) + 1,853,358,080
    #          = 37,551,276,032 (report: 37B)
    m = get_model(config("DeepSeek-V3"))
    assert m.is_mla and m.dense_layers == 3 and m.moe_layers == 58 and m.num_shared_experts == 1
    assert m.attention_params_per_layer == 187_105_280
    assert m.params == 671_025_397_760
    assert m.active_params == 37_551_276_032
    # KV cache: one latent of 512 + 64 per layer: 61 * 576 * 2 B = 70,272 B/token at BF16.
    assert m.kv_bytes_per_token("bf16") == 70_272
    assert m.params == PRESETS["deepseek-v3"].params == PRESETS["deepseek-r1"].params
    # The latent has no heads to split: tensor parallelism caches it on every GPU, expert parallelism
    # with data-parallel attention does not.
    assert make_replica("deepseek-v3", "H200", 8, "fp8", expert_parallel=False).kv_replication == 8
    assert make_replica("deepseek-v3", "H200", 8, "fp8").kv_replication == 1


def test_llama4_scout_nested_text_config() -> None:
    # text_config: d=5120, L=48 all MoE (step 1), 16 experts top-1 of 8192 + one shared expert of 8192.
    #   attention/layer 2*5120*5120 + 2*5120*1024 = 62,914,560; expert 3*5120*8192 = 125,829,120
    #   total  = 48*(62,914,560 + 17*125,829,120 + 81,920) + 2*202048*5120 = 107,769,364,480
    #   active = 48*(62,914,560 + 2*125,829,120 + 81,920) + 2,068,971,520  =  17,172,398,080 (card: 17B)
    # (card total 109B includes the vision encoder, not parsed here).
    m = get_model(config("Llama-4-Scout-17B-16E"))
    assert m.params == 107_769_364_480 and m.active_params == 17_172_398_080
    assert m.shared_expert_size == 8192 and m.dense_layers == 0
    # no_rope_layers: 36 of 48 layers use chunked attention over 8192 tokens; a 10,000-token sequence
    # caches 12*10,000 + 36*8,192 tokens of 2*8*128*2 = 4,096 B per layer = 1,699,479,552 B.
    assert (m.local_layers, m.local_window) == (36, 8192)
    assert m.kv_bytes(10_000, "bf16") == 4096 * (12 * 10_000 + 36 * 8192)


def test_llama4_maverick_interleaved_moe() -> None:
    # interleave_moe_layer_step 2: layers 1, 3, ..., 47 are MoE (24), the other 24 dense with
    # intermediate_size_mlp 16384: 24*3*5120*16384 = 6,039,797,760 dense MLP parameters.
    cfg = {"architectures": ["Llama4ForConditionalGeneration"], "text_config": {
        "hidden_size": 5120, "num_hidden_layers": 48, "num_attention_heads": 40, "num_key_value_heads": 8,
        "head_dim": 128, "intermediate_size": 8192, "intermediate_size_mlp": 16384, "vocab_size": 202048,
        "num_local_experts": 128, "num_experts_per_tok": 1, "interleave_moe_layer_step": 2,
        "model_type": "llama4_text"}}
    from planner.capacity.models import model_from_config

    m = model_from_config(cfg, "maverick")
    assert m.dense_layers == 24 and m.moe_layers == 24
    assert m.params == PRESETS["llama-4-maverick"].params
    assert m.params / 1e9 == pytest.approx(400, rel=0.005)  # card: 400B
    assert m.active_params / 1e9 == pytest.approx(17.2, rel=0.01)  # card: 17B


def test_gpt_oss_120b() -> None:
    # 36 layers, 128 experts top-4 of width 2880, d=2880, h=64, h_kv=8, d_h=64, V=201088.
    #   attention 2*2880*4096 + 2*2880*512 = 26,542,080; expert 3*2880*2880 = 24,883,200; router 368,640
    #   total = 36*(26,542,080 + 128*24,883,200 + 368,640) + 2*201088*2880 = 116,788,838,400 (card 116.8B)
    # The card's 5.13B active counts the unembedding only (the input embedding is a lookup):
    #   36*(26,542,080 + 4*24,883,200 + 368,640) + 201088*2880 = 4,551,966,720 + 579,133,440 = 5,131,100,160
    m = get_model(config("gpt-oss-120b"))
    assert m.params == 116_788_838_400
    assert m.active_params - 201088 * 2880 == 5_131_100_160
    assert (m.local_layers, m.local_window) == (18, 128)  # layer_types: every other layer, 128-token window
    assert m.kv_bytes(1000, "bf16") == 2 * 8 * 64 * 2 * (18 * 1000 + 18 * 128)


def test_batch1_decode_reads_only_routed_experts() -> None:
    # one token picks 8 of 128 experts: 128*(1-(1-8/128)^1) = 8 experts touched per layer
    m = get_model("qwen3-235b-a22b")
    assert m.experts_touched(1) == pytest.approx(8)
    assert m.experts_touched(10_000) == pytest.approx(128)
    rep = make_replica(m, "H200", 8, "fp8", expert_parallel=False)
    # weights read at batch 1 (TP8): (active layers + lm head) / 8 = (20,945,305,600 + 622,329,856) / 8
    assert rep.weight_elements_read(1) == pytest.approx((20_945_305_600 + 151936 * 4096) / 8)


def test_expert_parallel_all_to_all_hand_calculation() -> None:
    # EP8 on H200, 1,024 tokens in the pass, ep_expert_slowdown 1: each GPU sends its 128 tokens' 8
    # expert copies of 4096 16-bit values, 7/8 of them off the GPU: 128*8*4096*2*7/8 = 7,340,032 B per
    # all-to-all, over NVLink at 900e9/2*0.7 = 315e9 B/s = 23.30 us + 8 us latency; dispatch and combine
    # in 94 MoE layers: 2*94*31.30 us = 5.885 ms.
    rep = make_replica("qwen3-235b-a22b", "H200", 8, "fp8", calib={"ep_expert_slowdown": 1.0})
    assert rep.comm_s(1024) * 1e3 == pytest.approx(2 * 94 * (7_340_032 / 315e9 + 8e-6) * 1e3, rel=1e-9)
    assert rep.comm_s(1024) * 1e3 == pytest.approx(5.885, abs=0.001)
    # tensor parallel instead: two ring all-reduces per layer of 1024*4096*2 B, 2*(7/8) of it per GPU
    tp = make_replica("qwen3-235b-a22b", "H200", 8, "fp8", expert_parallel=False)
    assert tp.comm_s(1024) == pytest.approx(2 * 94 * (2 * 7 / 8 * 1024 * 4096 * 2 / 315e9 + 8e-6))


def test_tp_beyond_kv_heads_replicates_the_cache() -> None:
    # Qwen3-235B has 4 KV heads: TP8 keeps each on 2 GPUs, halving the sequences the cache holds.
    tp = make_replica("qwen3-235b-a22b", "H200", 8, "fp8", expert_parallel=False)
    assert tp.kv_replication == 2
    assert tp.kv_bytes(1000) == 2 * 94 * 4 * 128 * 1 * 1000 * 2


def test_expert_parallel_needs_divisible_experts() -> None:
    with pytest.raises(InputError, match="expert count divides"):
        make_replica("mixtral-8x7b", "H100", 16, expert_parallel=True)
    with pytest.raises(InputError, match="MoE model"):
        make_replica("llama-3-8b", "H100", 2, expert_parallel=True)


def test_moe_training_all_to_all_and_efficiency() -> None:
    # DeepSeek-V3, EP64 across 8 H800 nodes: per token 4 all-to-alls (dispatch, combine; forward,
    # backward) in 58 MoE layers of 8*7168*2 B * 63/64 = 112,896 B each over InfiniBand at
    # 100e9/2*0.7 = 35e9 B/s: 4*58*112,896 / 35e9 = 0.7483 ms per token per GPU.
    m, acc = get_model("deepseek-v3"), "H800"
    from planner.capacity.calibration import resolve_calibration
    from planner.capacity.hardware import get_accelerator

    h800 = get_accelerator(acc)
    assert a2a_s_per_token(m, h800, resolve_calibration(h800), 64) == pytest.approx(4 * 58 * 112_896 / 35e9)
    # within one node the same exchange crosses NVLink (400e9/2*0.7 = 140e9 B/s) and is 4x cheaper
    assert a2a_s_per_token(m, h800, resolve_calibration(h800), 8) == pytest.approx(4 * 58 * 8 * 7168 * 2 * 7 / 8 / 140e9)
    assert default_expert_parallel(m, h800, 2048) == 8
    est = estimate_training(m, "14.8T", acc, 2048, dtype="fp8", expert_parallel=64, overhead=1.0)
    # tokens/s/GPU = 1 / (FLOPs/token / (1979e12 * MFU) + 0.1 * 0.7483 ms); MFU = 0.39 * 0.6 * (1 - 0.04)
    fpt = 6 * 37_551_276_032 + 12 * 61 * (128 * (192 + 128) / 2) * 4096
    mfu = 0.39 * 0.6 * (1 - 0.04 * 1)
    assert est.flops_per_token == pytest.approx(fpt)
    assert est.tokens_per_s_per_gpu == pytest.approx(1 / (fpt / (1979e12 * mfu) + 0.1 * 4 * 58 * 112_896 / 35e9))
    with pytest.raises(InputError, match="expert_parallel 3"):
        estimate_training(m, "1T", acc, 2048, expert_parallel=3)

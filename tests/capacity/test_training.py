"""Training estimate: 6ND + attention FLOPs, MFU, overhead, checked by hand and on published runs."""

from __future__ import annotations

import math

import pytest

from planner.capacity.models import get_model
from planner.capacity.training import estimate_training, flops_per_token, parse_tokens
from planner.errors import InputError


def test_gpt3_6nd_matches_published_compute() -> None:
    # MODELING.md / GPT-3 paper: 175B x 300B tokens -> 6ND = 3.14e23 FLOPs (published 3.14e23).
    m = get_model("gpt3-175b")
    est = estimate_training(m, "300B", "V100", 1024, seq_len=2048)
    attention = 12 * m.num_layers * m.hidden_size * 2048 * 300e9  # PaLM's 12·L·d·S per token
    assert est.flops - attention == pytest.approx(3.14e23, rel=0.01)


def test_hand_calculation() -> None:
    # Llama-3-8B: N = 8,029,995,008; seq 4096: FLOPs/token = 6N + 12*32*4096*4096 = 54,622,420,992.
    # H100 BF16 989e12 at MFU 0.4 -> 989e12*0.4/54.62e9 = 7,242.4 tokens/s/GPU;
    # 1e12 tokens -> 1e12 / 7242.4 / 3600 = 38,354 GPU-hours; on 64 GPUs 599.3 h in 8 nodes.
    est = estimate_training("llama-3-8b", 1e12, "H100-SXM", 64, mfu=0.4, overhead=1.0, seq_len=4096)
    assert est.flops_per_token == 54_622_420_992
    assert est.tokens_per_s_per_gpu == pytest.approx(7242.4, rel=1e-4)
    assert est.gpu_hours == pytest.approx(38_354, rel=1e-4)
    assert est.wall_hours == pytest.approx(38_354 / 64, rel=1e-4)
    assert est.nodes == 8 and est.mfu == 0.4
    assert estimate_training("llama-3-8b", 1e12, "H100-SXM", 64, mfu=0.4, overhead=1.2).gpu_hours == \
        pytest.approx(1.2 * 38_354, rel=1e-4)


def test_llama1_65b_published_throughput_gives_published_gpu_hours() -> None:
    # LLaMA paper: 65B on 2048 A100-80GB at ~380 tokens/s/GPU, 1.4T tokens, 1,022,362 GPU-hours.
    # MFU that 380 tokens/s means with our FLOPs/token (seq 2048): 380 * fpt / 312e12.
    m = get_model("llama-65b")
    mfu = 380 * flops_per_token(m, 2048) / 312e12
    est = estimate_training(m, "1.4T", "A100-80GB", 2048, mfu=mfu, overhead=1.0, seq_len=2048)
    # by hand: 1.4e12 tokens / (380 tokens/s x 3600 s) = 1,023,392 GPU-hours, 0.1% from the published figure;
    # the model's FLOPs-to-time path must reproduce it
    assert est.gpu_hours == pytest.approx(1.4e12 / (380 * 3600), rel=1e-6)
    assert est.gpu_hours == pytest.approx(1_022_362, rel=0.005)


def test_default_mfu_falls_with_scale_beyond_1024() -> None:
    small = estimate_training("llama-3-70b", "1T", "H100-SXM", 1024, seq_len=8192)
    large = estimate_training("llama-3-70b", "1T", "H100-SXM", 2048, seq_len=8192)
    assert large.mfu == pytest.approx(small.mfu * 0.96)  # 4% per doubling (Llama 3: 43% -> 41%)
    assert "hopper default" in small.explain["mfu_source"]


def test_moe_uses_active_params_and_lora_skips_weight_gradients() -> None:
    mix = get_model("mixtral-8x7b")
    assert flops_per_token(mix, 1) == pytest.approx(6 * mix.active_params, rel=1e-3)
    m = get_model("llama-2-70b")
    assert flops_per_token(m, 4096, "lora") / flops_per_token(m, 4096) == pytest.approx(4 / 6)


def test_fp8_uses_fp8_peak() -> None:
    bf16 = estimate_training("llama-3-8b", "1T", "H100-SXM", 8, mfu=0.4, dtype="bf16")
    fp8 = estimate_training("llama-3-8b", "1T", "H100-SXM", 8, mfu=0.4, dtype="fp8")
    assert bf16.gpu_hours / fp8.gpu_hours == pytest.approx(1979 / 989)


@pytest.mark.parametrize(("text", "tokens"), [
    ("15T", 15e12), ("300B", 300e9), ("2e12", 2e12), ("1,500,000", 1.5e6), ("1.5t", 1.5e12), (7e9, 7e9),
])
def test_parse_tokens(text: str | float, tokens: float) -> None:
    assert parse_tokens(text) == tokens


@pytest.mark.parametrize("text", ["15X", "", "-3B", "T"])
def test_parse_tokens_rejects(text: str) -> None:
    with pytest.raises(InputError, match="tokens"):
        parse_tokens(text)


def test_optimizer_state_must_fit() -> None:
    # 16 B/param x 70.55e9 = 1,129 GB of state; one H100 holds 0.9 x 80 GiB.
    with pytest.raises(InputError, match=r"use at least 15 GPUs"):
        estimate_training("llama-3-70b", "1T", "H100-SXM", 8)
    est = estimate_training("llama-3-70b", "1T", "H100-SXM", 16)
    assert est.checkpoint_gb == pytest.approx(14 * 70.55, rel=0.01)
    assert math.isclose(est.compute_option().hours, est.wall_hours)


@pytest.mark.parametrize("kwargs", [{"mfu": 1.5}, {"overhead": 0.5}, {"gpus": 0}, {"method": "rlhf"}])
def test_bad_arguments(kwargs: dict) -> None:
    args = {"gpus": 8, **kwargs}
    with pytest.raises(InputError):
        estimate_training("llama-3-8b", "1T", "H100-SXM", **args)

"""Accelerator table and model shapes, checked against datasheets and MODELING.md worked numbers."""

from __future__ import annotations

import json

import pytest

from planner.capacity.hardware import ACCELERATORS, get_accelerator, list_accelerators
from planner.capacity.models import get_model
from planner.errors import InputError, UnknownNameError

CANONICAL = ["H100-SXM", "H100-PCIE", "H100-NVL", "H200", "H800", "B200", "A100-40GB", "A100-80GB", "L4", "L40S",
             "A10G", "A10", "T4", "V100", "V100-32GB", "MI300X", "Trainium1", "Trainium2", "Inferentia2",
             "TPU-v5e", "TPU-v5p", "TPU-v6e"]


def test_every_canonical_id_is_present_and_sourced() -> None:
    assert sorted(ACCELERATORS) == sorted(CANONICAL)
    for acc in ACCELERATORS.values():
        assert acc.source and acc.bf16_flops > 0 and acc.hbm_bytes_per_s > 0 and acc.fp8_flops >= acc.bf16_flops
        assert acc.node_size >= 2 and acc.internode_bytes_per_s > 0 and acc.internode
    # H800 (DeepSeek-V3's runs) is known but not offered by the clouds: sizing skips it by default
    assert "H800" not in list_accelerators() and len(list_accelerators()) == len(CANONICAL) - 1


@pytest.mark.parametrize(("alias", "canonical"), [
    ("h100", "H100-SXM"), ("H100", "H100-SXM"), ("h100-sxm", "H100-SXM"), ("a100-80gb", "A100-80GB"),
    ("a100-40g", "A100-40GB"), ("A100_80GB", "A100-80GB"), ("mi300x", "MI300X"), ("trn2", "Trainium2"),
    ("tpu-v5e", "TPU-v5e"), ("l40s", "L40S"), ("NVIDIA L4", "L4"), ("tpu-v5p-128", "TPU-v5p"),
])
def test_aliases_case_insensitive(alias: str, canonical: str) -> None:
    assert get_accelerator(alias).id == canonical


def test_bare_a100_is_refused_with_both_parts() -> None:
    # A100s come with 40 or 80 GB (NVIDIA A100 datasheet); price lists use the bare name for the 40 GB part
    with pytest.raises(InputError, match=r"'a100' does not name one part.*did you mean 'A100-40GB' or 'A100-80GB'\?$"):
        get_accelerator("a100")


def test_datasheet_figures() -> None:
    # NVIDIA H100 datasheet (SXM): 989 TFLOP/s dense BF16, 1,979 FP8, 3.35 TB/s, 80 GB.
    h100 = get_accelerator("H100-SXM")
    assert (h100.bf16_flops, h100.fp8_flops, h100.hbm_bytes_per_s) == (989e12, 1979e12, 3.35e12)
    assert h100.memory_gib == 80
    # A100 has no FP8 math: FP8 weights run through the 312 TFLOP/s 16-bit path.
    a100 = get_accelerator("A100-80GB")
    assert a100.peak_flops("fp8") == a100.peak_flops("bf16") == 312e12 and not a100.has_fp8


def test_unknown_accelerator_suggests() -> None:
    with pytest.raises(UnknownNameError, match="did you mean.*H100-SXM"):
        get_accelerator("H100-SXMM")


@pytest.mark.parametrize(("name", "kv_bytes"), [
    # MODELING.md section 1.2 worked numbers: 2 * L * h_kv * d_h * 2 bytes.
    ("llama-2-7b", 524_288), ("llama-3-8b", 131_072), ("llama-2-70b", 327_680), ("llama-3-70b", 327_680),
    ("llama-3.1-405b", 516_096),
])
def test_kv_bytes_per_token(name: str, kv_bytes: int) -> None:
    assert get_model(name).kv_bytes_per_token("bf16") == kv_bytes


@pytest.mark.parametrize(("name", "params_b"), [
    # Published parameter counts (model cards): Llama-2-7B 6.74B, Llama-3-8B 8.03B, Llama-3-70B 70.6B,
    # Llama-3.1-405B 405.9B, Mistral-7B 7.24B, Mixtral-8x7B 46.7B total, GPT-J 6.05B.
    ("llama-2-7b", 6.74), ("llama-3-8b", 8.03), ("llama-3-70b", 70.55), ("llama-3.1-405b", 405.85),
    ("mistral-7b", 7.24), ("mixtral-8x7b", 46.7), ("gpt-j-6b", 6.05),
])
def test_param_counts(name: str, params_b: float) -> None:
    assert get_model(name).params / 1e9 == pytest.approx(params_b, rel=0.005)


def test_moe_active_params() -> None:
    # Mistral AI: Mixtral-8x7B uses 12.9B of its 46.7B parameters per token.
    m = get_model("mixtral-8x7b")
    assert m.active_params / 1e9 == pytest.approx(12.9, rel=0.01)


def test_weight_bytes_per_dtype() -> None:
    # MODELING.md: 70B BF16 ~ 140 GB, FP8 ~ 70 GB.
    m = get_model("llama-3-70b")
    assert m.weight_bytes("bf16") == 2 * m.weight_bytes("fp8") == 4 * m.weight_bytes("int4")
    assert m.weight_bytes("bf16") / 1e9 == pytest.approx(141, rel=0.01)


def test_hf_config_path(tmp_path) -> None:
    # The Llama-3-8B config.json fields (meta-llama/Meta-Llama-3-8B).
    cfg = {"architectures": ["LlamaForCausalLM"], "hidden_size": 4096, "num_hidden_layers": 32,
           "num_attention_heads": 32, "num_key_value_heads": 8, "intermediate_size": 14336,
           "vocab_size": 128256, "tie_word_embeddings": False}
    path = tmp_path / "my-model" / "config.json"
    path.parent.mkdir()
    path.write_text(json.dumps(cfg))
    m = get_model(str(path))
    assert m.name == "my-model"
    assert m.params == get_model("llama-3-8b").params
    assert m.kv_bytes_per_token("bf16") == 131_072


def test_hf_config_moe_fields(tmp_path) -> None:
    cfg = {"hidden_size": 4096, "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8,
           "intermediate_size": 14336, "vocab_size": 32000, "num_local_experts": 8, "num_experts_per_tok": 2}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(cfg))
    assert get_model(str(path)).params == get_model("mixtral-8x7b").params


def test_bad_config(tmp_path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"hidden_size": 4096}))
    with pytest.raises(InputError, match="missing num_attention_heads"):
        get_model(str(path))
    with pytest.raises(InputError, match="not found"):
        get_model(str(tmp_path / "nope.json"))


def test_unknown_model_suggests() -> None:
    with pytest.raises(UnknownNameError, match="did you mean 'llama-3-8b'"):
        get_model("lama-3-8b")
    assert get_model("meta-llama/Llama-3.1-8B-Instruct").name == "llama-3.1-8b"

"""One dtype set, config naming, presets, `--format`, one utilization default and inter-node tensor
parallelism, through the library, the scenario model and the CLI."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from planner.capacity.llm import llm_replica, make_replica
from planner.capacity.llm_sizing import size_llm_serving
from planner.capacity.models import DTYPES, get_model
from planner.capacity.serving import DEFAULT_UTILIZATION_TARGET
from planner.capacity.training import estimate_training
from planner.cli import main
from planner.errors import InputError, UnknownNameError
from planner.scenario import Serving, Training


def test_one_dtype_set_everywhere() -> None:
    assert DTYPES == ("bf16", "fp16", "fp8", "int8", "int4")
    for dtype in DTYPES:  # the scenario models accept the same set as the library
        Serving(type="serving", name="s", qps_mean=1, model="llama-3-8b", dtype=dtype)
        Training(type="training", name="t", model="llama-3-8b", tokens=1e9, accelerator="H100", dtype=dtype)
    with pytest.raises(ValidationError):
        Serving(type="serving", name="s", qps_mean=1, model="llama-3-8b", dtype="fp4")
    for dtype in DTYPES:  # and the CLI
        res = CliRunner().invoke(main, ["capacity", "llm", "--model", "llama-3-8b", "--gpu", "H100", "--gpus", "1",
                                        "--dtype", dtype, "--format", "json"])
        assert res.exit_code == 0, res.output
        assert json.loads(res.stdout)["dtype"] == dtype


def test_weight_only_dtypes_keep_a_16_bit_cache() -> None:
    # Llama-3-8B: 32*(2*4096^2 + 2*4096*1024 + 3*4096*14336) + 2*128256*4096 = 8,029,995,008 params
    # (norms left out); int4: * 0.5 B = 4.015 GB; the KV cache stays BF16 (131,072 B/token).
    est = llm_replica("llama-3-8b", "L4", 1, dtype="int4")
    assert est.weight_bytes == 8_029_995_008 * 0.5 and est.kv_dtype == "bf16" and est.kv_bytes_per_token == 131_072
    assert make_replica("llama-3-8b", "L4", 1, "int8").weight_bytes == 8_029_995_008


def test_bf16_runs_as_fp16_where_there_is_no_bf16() -> None:
    # T4 (Turing) and V100 (Volta) have FP16 tensor cores only.
    t4 = make_replica("llama-3.2-1b", "T4", 1, "bf16")
    assert (t4.dtype, t4.kv_dtype) == ("fp16", "fp16")
    assert make_replica("llama-3.2-1b", "V100", 1, "int4").kv_dtype == "fp16"
    assert make_replica("llama-3.2-1b", "A100-80GB", 1, "bf16").dtype == "bf16"
    assert make_replica("llama-3.2-1b", "A100-80GB", 1, "fp16").dtype == "fp16"
    assert estimate_training("llama-3-8b", "1T", "V100-32GB", 512).dtype == "fp16"


def test_weight_only_dtypes_train_only_with_lora() -> None:
    with pytest.raises(InputError, match="int4 is a weight-only format"):
        estimate_training("llama-3-8b", "1T", "H100", 8, dtype="int4")
    # QLoRA: the frozen base in 4 bits, 8,029,995,008 * 0.5 B = 3.74 GiB of state on one GPU
    est = estimate_training("llama-3-8b", "1B", "H100", 1, dtype="int4", method="lora")
    assert est.explain["memory_per_device_gib"] == pytest.approx(8_029_995_008 * 0.5 / 2**30)


def test_config_named_after_name_or_path_then_file_then_folder(tmp_path) -> None:
    cfg = {"hidden_size": 4096, "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8,
           "intermediate_size": 14336, "vocab_size": 128256}
    models = tmp_path / "models"
    models.mkdir()
    (models / "qwen-like.json").write_text(json.dumps(cfg))
    assert get_model(str(models / "qwen-like.json")).name == "qwen-like"  # not "models"
    (models / "named.json").write_text(json.dumps({**cfg, "_name_or_path": "org/My-Model-8B"}))
    assert get_model(str(models / "named.json")).name == "org/My-Model-8B"
    (models / "config.json").write_text(json.dumps(cfg))
    assert get_model(str(models / "config.json")).name == "models"
    assert get_model(str(models)).name == "models"


@pytest.mark.parametrize(("name", "params_b", "source"), [
    # model cards: Llama 3.3 70B (70.6B), Qwen3-8B (8.2B), Qwen3-32B (32.8B), gpt-oss-20b (20.9B),
    # Gemma 3 27B (27B text + 0.4B vision), DeepSeek-R1 (671B)
    ("llama-3.3-70b", 70.55, "meta-llama/Llama-3.3-70B-Instruct"), ("qwen3-8b", 8.19, "Qwen/Qwen3-8B"),
    ("qwen3-32b", 32.76, "Qwen/Qwen3-32B"), ("gpt-oss-20b", 20.91, "openai/gpt-oss-20b"),
    ("gemma-3-27b", 27.0, "google/gemma-3-27b-pt"), ("deepseek-r1", 671.0, "deepseek-ai/DeepSeek-R1"),
])
def test_new_presets_with_sources(name: str, params_b: float, source: str) -> None:
    m = get_model(name)
    assert m.name == name and source in m.source
    assert m.params / 1e9 == pytest.approx(params_b, rel=0.005)


def test_unknown_model_is_an_error_not_a_neighbour() -> None:
    assert get_model("meta-llama/Llama-3.3-70B-Instruct").name == "llama-3.3-70b"  # its own preset now
    assert get_model("Qwen/Qwen3-235B-A22B").name == "qwen3-235b-a22b"
    with pytest.raises(UnknownNameError, match="did you mean 'llama-3.3-70b'"):
        get_model("llama-3.4-70b")
    # Gemma 3 27B: 10 of 62 layers global; a 4,096-token sequence caches 10*4096 + 52*1024 tokens of
    # 2*16*128*2 = 8,192 B per layer.
    assert get_model("gemma-3-27b").kv_bytes(4096) == 8192 * (10 * 4096 + 52 * 1024)


def test_format_flag_and_json_alias() -> None:
    runner = CliRunner()
    base = ["capacity", "train", "--model", "llama-3-8b", "--tokens", "1T", "--gpu", "H100", "--gpus", "64"]
    as_format = runner.invoke(main, [*base, "--format", "json"])
    as_alias = runner.invoke(main, [*base, "--json"])
    assert as_format.exit_code == as_alias.exit_code == 0
    assert json.loads(as_format.stdout) == json.loads(as_alias.stdout)
    table = runner.invoke(main, [*base, "--format", "table"])
    assert table.stdout.startswith("llama-3-8b pretrain on 64x H100-SXM")
    serve = runner.invoke(main, ["capacity", "serve", "--model", "llama-3-8b", "--gpu", "H100", "--qps", "5",
                                 "--format", "json"])
    assert serve.exit_code == 0 and json.loads(serve.stdout)[0]["accelerator"] == "H100-SXM"
    bad = runner.invoke(main, [*base, "--format", "yaml"])
    assert bad.exit_code == 2


def test_one_utilization_default() -> None:
    # 70%: the scenario default, the CLI default and the library default are one figure.
    assert DEFAULT_UTILIZATION_TARGET == 0.7
    assert Serving(type="serving", name="s", qps_mean=1, model="llama-3-8b").utilization_target == 0.7
    res = CliRunner().invoke(main, ["capacity", "serve", "--help"])
    assert "[default: 0.7;" in " ".join(res.stdout.split())
    opts = size_llm_serving("llama-3-8b", ["H100"], qps=50, input_tokens=1000, output_tokens=200)
    assert all(o.explain["assumptions"]["utilization_target"] == 0.7 for o in opts)


def test_tensor_parallel_across_nodes_uses_the_internode_link() -> None:
    # Llama-3.1-405B TP16 on two 8-GPU H100 nodes: each all-reduce crosses 400 Gb/s per GPU
    # (100e9 B/s both ways, 35e9 one way at 70%) with a 30 us latency, instead of NVLink's 315e9 B/s.
    # One decode token: 2 * 126 layers * (2*15/16 * 16384*2 B / 35e9 + 30e-6 s) = 7.999 ms.
    inter = make_replica("llama-3.1-405b", "H100", 16, "fp8")
    assert inter.link()[2] == "inter-node" and "across 2 nodes" in inter.parallelism
    assert inter.comm_s(1) == pytest.approx(2 * 126 * (2 * 15 / 16 * 16384 * 2 / 35e9 + 30e-6))
    intra = make_replica("llama-3.1-405b", "H100", 8, "fp8")
    assert intra.link()[2] == "nvlink" and intra.comm_s(1) < inter.comm_s(1) / 3
    with pytest.raises(InputError, match="must use whole nodes"):
        make_replica("llama-3.1-405b", "H100", 12, "fp8")
    # a TPU v5e pod is one ICI domain of 256 chips: 16 chips stay on ICI
    assert make_replica("llama-3.1-70b", "TPU-v5e", 16, "bf16").link()[2] == "ici"

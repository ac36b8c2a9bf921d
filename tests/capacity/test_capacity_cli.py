"""`planner capacity ...` through CliRunner on planner.cli.main: JSON contract, tables, errors (exit 2)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from planner.capacity.llm import llm_replica
from planner.capacity.training import estimate_training
from planner.cli import main

LLM_FIELDS = ("decode_step_ms", "decode_tokens_per_s", "prefill_ms", "prefill_tokens_per_s", "kv_bytes_per_token",
              "weight_bytes", "max_batch", "throughput_tokens_per_s", "requests_per_s", "bounds")
TRAIN_FIELDS = ("flops", "gpu_hours", "wall_hours", "tokens_per_s_per_gpu", "mfu")


@pytest.fixture()
def runner() -> CliRunner:
    return CliRunner()


def test_llm_json_contract(runner: CliRunner) -> None:
    args = ["capacity", "llm", "--model", "llama-3-8b", "--gpu", "h100", "--gpus", "1", "--dtype", "fp8",
            "--batch", "16", "--context", "1500", "--input-tokens", "1000", "--output-tokens", "200", "--json"]
    res = runner.invoke(main, args)
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    for key in LLM_FIELDS:
        assert key in data
    same = llm_replica("llama-3-8b", "H100-SXM", 1, dtype="fp8", batch=16, context=1500, input_tokens=1000,
                       output_tokens=200)
    assert data == json.loads(json.dumps(same.to_dict()))  # the CLI is the library, formatted
    assert data["kv_bytes_per_token"] == 65536 and data["batch"] == 16


def test_llm_default_gpus_is_smallest_fit(runner: CliRunner) -> None:
    res = runner.invoke(main, ["capacity", "llm", "--model", "llama-3-70b", "--gpu", "H100-SXM", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["gpus"] == 2


def test_llm_table_and_explain(runner: CliRunner) -> None:
    res = runner.invoke(main, ["capacity", "llm", "--model", "mistral-7b", "--gpu", "L4", "--explain"])
    assert res.exit_code == 0, res.output
    assert "mistral-7b on 1x L4" in res.stdout
    for label in ("decode step", "prefill", "max batch", "throughput (output tok/s)", "eta_mem", "source"):
        assert label in res.stdout


def test_train_json_contract(runner: CliRunner) -> None:
    res = runner.invoke(main, ["capacity", "train", "--model", "llama-3-8b", "--tokens", "15T", "--gpu", "H100",
                               "--gpus", "1024", "--mfu", "0.4", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    for key in TRAIN_FIELDS:
        assert key in data
    assert data["tokens"] == 15e12 and data["mfu"] == 0.4
    assert data["gpu_hours"] == pytest.approx(
        estimate_training("llama-3-8b", 15e12, "H100-SXM", 1024, mfu=0.4).gpu_hours)


@pytest.mark.parametrize(("tokens", "value"), [("2e12", 2e12), ("300B", 300e9), ("15T", 15e12)])
def test_train_token_forms(runner: CliRunner, tokens: str, value: float) -> None:
    res = runner.invoke(main, ["capacity", "train", "--model", "llama-2-7b", "--tokens", tokens, "--gpu", "a100-80gb",
                               "--gpus", "64", "--json"])
    assert res.exit_code == 0 and json.loads(res.stdout)["tokens"] == value


def test_train_table(runner: CliRunner) -> None:
    res = runner.invoke(main, ["capacity", "train", "--model", "llama-2-7b", "--tokens", "2T", "--gpu", "A100-80GB",
                               "--gpus", "256", "--explain"])
    assert res.exit_code == 0
    assert "GPU-hours" in res.stdout and "6N+12LdS" in res.stdout


def test_serve_table(runner: CliRunner) -> None:
    res = runner.invoke(main, ["capacity", "serve", "--model", "llama-3-8b", "--gpu", "L4", "--gpu", "H100",
                               "--qps", "10", "--ttft-p95-ms", "2000", "--tpot-ms", "80"])
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines()[0].split()[:4] == ["accelerator", "TP", "replicas", "GPUs"]


@pytest.mark.parametrize(("args", "message"), [
    (["llm", "--model", "lama-3-8b", "--gpu", "H100"], "Error: unknown model 'lama-3-8b'; did you mean 'llama-3-8b'"),
    (["llm", "--model", "llama-3-8b", "--gpu", "H101"], "Error: unknown accelerator 'H101'; did you mean"),
    (["llm", "--model", "llama-3-70b", "--gpu", "L4", "--gpus", "1"],
     "Error: llama-3-70b (bf16) does not fit on 1x L4: needs 135.2 GiB per device"),
    (["llm", "--model", "llama-3-8b", "--gpu", "L4", "--batch", "9999"], "Error: batch 9999 does not fit"),
    (["train", "--model", "llama-3-8b", "--tokens", "lots", "--gpu", "H100", "--gpus", "8"],
     "Error: tokens 'lots' is not a number"),
    (["train", "--model", "llama-3-70b", "--tokens", "1T", "--gpu", "H100", "--gpus", "4"],
     "use at least 15 GPUs"),
    (["serve", "--model", "llama-3-8b", "--gpu", "H100", "--qps", "1", "--ttft-p95-ms", "5"],
     "Error: no configuration of llama-3-8b meets the SLOs: best achievable p95 TTFT is"),
    (["serve", "--model", "llama-3.1-405b", "--gpu", "L4", "--qps", "1"],
     "Error: llama-3.1-405b (bf16) fits on no configuration"),
])
def test_bad_input_exits_2_with_one_line(runner: CliRunner, args: list[str], message: str) -> None:
    res = runner.invoke(main, ["capacity", *args])
    assert res.exit_code == 2
    assert message in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.output

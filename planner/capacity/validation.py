"""Predicted vs published: the capacity model on every row of ``cases.csv`` (fitted) and
``checks.csv`` (held out).

``python -m planner.capacity.validation --table`` prints docs/capacity-validation.md
(``--write PATH`` writes it). Inputs a row does not state (sequence
length of a training run, an unstated GPU count) are listed per case in ``CASE_INPUTS`` with the
reason, and appear in the table's notes column.
"""

from __future__ import annotations

import csv
import re
import statistics
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from planner.capacity.calibration import LEGACY_ENGINE, Calibration, resolve_calibration
from planner.capacity.hardware import get_accelerator
from planner.capacity.llm import make_replica
from planner.capacity.training import default_mfu, estimate_training

Overrides = Mapping[str, Mapping[str, float]]  # family (or "legacy-engine") -> calibration field -> value

HARDWARE = {"H100-80GB SXM": "H100-SXM", "A100-80GB SXM": "A100-80GB", "A100-80GB": "A100-80GB", "L40S": "L40S",
            "V100": "V100", "H200": "H200", "H800": "H800"}
SERVING_MODELS = {"GPT-J 6B": "gpt-j-6b", "LLaMA 7B": "llama-7b", "LLaMA 70B": "llama-2-70b",
                  "Llama 3.1 8B": "llama-3.1-8b", "Falcon 180B": "falcon-180b", "Llama 3.3 70B": "llama-3.3-70b",
                  "Llama 3.1 405B": "llama-3.1-405b", "Qwen3-235B-A22B": "qwen3-235b-a22b",
                  "Llama 4 Maverick": "llama-4-maverick", "Llama 4 Scout": "llama-4-scout"}
CASES, CHECKS, MOE = "cases.csv", "checks.csv", "moe_cases.csv"  # fitted on / held out / mixture-of-experts
LLAMA3_GPUS = "GPU count not stated; 16,384 assumed (the Llama 3 cluster, Herd paper)"
LLAMA2_GPUS = "GPU count not stated; 2,048 assumed (as LLaMA-1 65B)"
# case -> (preset, tokens, seq_len, gpus, method, note); sums list their parts instead.
CASE_INPUTS: dict[str, tuple[str, float, int, int, str, str]] = {
    "T01": ("llama-3.1-405b", 15.6e12, 8192, 16384, "pretrain", "seq 8192 (Herd paper)"),
    "T02": ("llama-3.1-70b", 15e12, 8192, 16384, "pretrain", LLAMA3_GPUS),
    "T03": ("llama-3.1-8b", 15e12, 8192, 16384, "pretrain", LLAMA3_GPUS),
    "T05": ("llama-3-70b", 15e12, 8192, 16384, "pretrain", LLAMA3_GPUS),
    "T06": ("llama-3-8b", 15e12, 8192, 16384, "pretrain", LLAMA3_GPUS),
    "T10": ("llama-2-70b", 2e12, 4096, 2048, "pretrain", LLAMA2_GPUS),
    "T11": ("llama-2-34b", 2e12, 4096, 2048, "pretrain", LLAMA2_GPUS),
    "T12": ("llama-2-13b", 2e12, 4096, 2048, "pretrain", LLAMA2_GPUS),
    "T13": ("llama-2-7b", 2e12, 4096, 2048, "pretrain", LLAMA2_GPUS),
    "T15": ("llama-65b", 1.4e12, 2048, 2048, "pretrain", "seq 2048 (LLaMA paper)"),
    "T16": ("llama-33b", 1.4e12, 2048, 2048, "pretrain", "GPU count not stated; 2,048 assumed"),
    "T17": ("llama-13b", 1.0e12, 2048, 2048, "pretrain", "GPU count not stated; 2,048 assumed"),
    "T18": ("llama-7b", 1.0e12, 2048, 2048, "pretrain", "GPU count not stated; 2,048 assumed"),
    "T31": ("llama-3-8b", 0, 8192, 8, "pretrain", "throughput, no overhead"),
    "T32": ("llama-3-70b", 0, 8192, 64, "pretrain", "throughput, no overhead"),
    "T33": ("llama-2-7b", 0, 4096, 8, "pretrain", "throughput, no overhead"),
    "T34": ("llama-2-70b", 0, 4096, 64, "pretrain", "throughput, no overhead"),
    "T35": ("gpt3-175b", 0, 2048, 512, "pretrain", "throughput, no overhead"),
    "T36": ("llama-2-70b", 0, 4096, 8, "lora", "LoRA: 4N+8LdS FLOPs/token"),
    "M60": ("deepseek-v3", 14.8e12, 4096, 2048, "pretrain", "seq 4096, EP64 across 8 nodes (report sections 3.2, 4.2)"),
    "M61": ("llama-4-scout", 40e12, 8192, 16384, "pretrain", "seq 8192 and 16,384 GPUs assumed (as Llama 3)"),
    "M62": ("llama-4-maverick", 22e12, 8192, 16384, "pretrain", "seq 8192 and 16,384 GPUs assumed (as Llama 3)"),
}
EXPERT_PARALLEL = {"M60": 64}  # stated expert-parallel degrees; others use the default (one node)
SUMS = {"T04": ("T01", "T02", "T03"), "T14": ("T10", "T11", "T12", "T13")}


@dataclass(frozen=True)
class Case:
    case_id: str
    kind: str
    model: str
    hardware: str
    num_gpus: int | None
    published: float
    unit: str
    shape: str
    conditions: str
    source: str

    @property
    def metric(self) -> str:
        if self.kind == "training":
            return {"GPU-hours": "GPU-hours", "model TFLOP/s per GPU": "TFLOP/s/GPU"}.get(self.unit, "tokens/s/GPU")
        return "TTFT ms" if "TTFT" in self.unit else "output tokens/s"


def load_cases(table: str = CASES) -> list[Case]:
    """A packaged table of published measurements: ``cases.csv`` (a copy of
    reference/capacity/published-cases.csv, used to fit the calibration) or ``checks.csv`` (more
    published rows on other GPUs, models and batch sizes, never used in the fit)."""
    text = resources.files("planner.capacity").joinpath(table).read_text(encoding="utf-8")
    rows = csv.DictReader(text.splitlines())
    return [Case(r["case_id"], r["kind"], r["model"], r["hardware"], int(r["num_gpus"]) if r["num_gpus"] else None,
                 float(r["published_value"]), r["unit"], r["tokens_or_shape"], r["conditions"], r["source"])
            for r in rows]


def _calib(case: Case, overrides: Overrides | None) -> Calibration:
    acc = get_accelerator(HARDWARE[case.hardware])
    changes = dict((overrides or {}).get(acc.family, {}))
    if re.search(r"v0\.[56]\b", conditions(case)):  # engines whose GQA decode re-reads K/V
        changes = {**LEGACY_ENGINE, **(overrides or {}).get("legacy-engine", {}), **changes}
    if "perf-overview" in case.source:  # "in many cases ... --kv_cache_free_gpu_mem_fraction 0.95"
        changes = {"kv_cache_fraction": 0.95, **changes}
    return resolve_calibration(acc, changes)


def conditions(case: Case) -> str:
    """A row's conditions, following 'same as S32' references."""
    m = re.match(r"same as (\w+)", case.conditions)
    return _BY_ID[m.group(1)].conditions + case.conditions[m.end():] if m else case.conditions


def predict_serving(case: Case, overrides: Overrides | None = None) -> float:
    dtype = "fp8" if "FP8" in conditions(case) else "fp16"
    gpus = case.num_gpus or 1
    rep = make_replica(SERVING_MODELS[case.model], HARDWARE[case.hardware], gpus, dtype,
                       calib=_calib(case, overrides))
    isl = int(re.search(r"ISL(\d+)", case.shape).group(1))  # type: ignore[union-attr]
    if case.metric == "TTFT ms":
        return rep.prefill_s(1, isl)[0] * 1e3
    osl = int(re.search(r"OSL(\d+)", case.shape).group(1))  # type: ignore[union-attr]
    batch_m = re.search(r"batch (\d+)", case.shape)
    if batch_m:  # static batching at a fixed batch (gptSessionBenchmark)
        value = rep.static_batch_tokens_per_s(int(batch_m.group(1)), isl, osl)
    else:  # max-load in-flight batching: the largest batch that fits
        batch = min(rep.max_batch(isl + osl), rep.batch_cap)
        value = rep.serve(batch, isl, osl)["requests_per_s"] * osl
    return value / gpus if "per GPU" in case.unit else value


def predict_training(case: Case, overrides: Overrides | None = None) -> float:
    if case.case_id in SUMS:
        return sum(predict_training(_BY_ID[c], overrides) for c in SUMS[case.case_id])
    dtype = "fp8" if "FP8" in conditions(case) else "bf16"
    if case.metric == "TFLOP/s/GPU":  # achieved model FLOP/s: peak x default MFU at that scale
        cal = _calib(case, overrides)
        acc = get_accelerator(HARDWARE[case.hardware])
        return acc.peak_flops(dtype) * default_mfu(cal, dtype, case.num_gpus or 1024) / 1e12
    preset, tokens, seq, gpus, method, _ = CASE_INPUTS[case.case_id]
    est = estimate_training(preset, tokens or 1e12, HARDWARE[case.hardware], gpus, dtype=dtype, seq_len=seq,
                            method=method, calib=_calib(case, overrides),
                            overhead=1.10 if case.metric == "GPU-hours" else 1.0,
                            expert_parallel=EXPERT_PARALLEL.get(case.case_id))
    return est.gpu_hours if case.metric == "GPU-hours" else est.tokens_per_s_per_gpu


_BY_ID = {c.case_id: c for c in load_cases() + load_cases(CHECKS) + load_cases(MOE)}


def predictions(overrides: Overrides | None = None, table: str = CASES) -> list[dict[str, Any]]:
    rows = []
    for case in load_cases(table):
        fn: Callable[[Case, Overrides | None], float] = predict_training if case.kind == "training" else predict_serving
        pred = fn(case, overrides)
        note = CASE_INPUTS.get(case.case_id, ("", 0, 0, 0, "", ""))[5] if case.kind == "training" else ""
        if case.metric == "TFLOP/s/GPU" and not case.num_gpus:
            note = "GPU count not stated; 1,024 assumed (no scale loss)"
        if case.case_id in SUMS:
            note = "sum of " + " + ".join(SUMS[case.case_id])
        rows.append({"case": case.case_id, "kind": case.kind, "model": case.model, "hardware": case.hardware,
                     "gpus": case.num_gpus, "shape": case.shape, "metric": case.metric,
                     "published": case.published, "predicted": pred,
                     "error": pred / case.published - 1.0, "note": note})
    return rows


def summary(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    out = {}
    for kind in ("serving", "training"):
        errs = [abs(r["error"]) for r in rows if r["kind"] == kind]
        if not errs:
            continue
        out[kind] = {"rows": len(errs), "median_abs_error": statistics.median(errs),
                     "within_25pct": sum(e <= 0.25 for e in errs) / len(errs)}
    return out


def markdown_table(rows: list[dict[str, Any]]) -> str:
    lines = ["| case | model | hardware | GPUs | shape | metric | published | predicted | error | notes |",
             "|---|---|---|---|---|---|---:|---:|---:|---|"]
    for r in rows:
        lines.append(f"| {r['case']} | {r['model']} | {r['hardware']} | {r['gpus'] or ''} | {r['shape']} | "
                     f"{r['metric']} | {r['published']:,.0f} | {r['predicted']:,.0f} | {r['error']:+.0%} | {r['note']} |")
    lines.append("")
    for kind, s in summary(rows).items():
        lines.append(f"- **{kind}**: {s['rows']} rows, median absolute error {s['median_abs_error']:.1%}, "
                     f"{s['within_25pct']:.0%} within 25%")
    return "\n".join(lines) + "\n"


HEADER = """# Capacity model validation

Predicted vs published, generated by
`python -m planner.capacity.validation --write docs/capacity-validation.md` (do not edit by hand).
The model and its calibration are described in [capacity.md](capacity.md).

Two tables of published measurements ship with the package, each row with its source:

- `planner/capacity/cases.csv` (a copy of the project's reference table): the efficiency figures
  were **fitted** on these rows (`python -m planner.capacity.fit`).
- `planner/capacity/checks.csv`: more published rows, never used in the fit: serving from the same
  TensorRT-LLM performance pages on **other GPUs (L40S), other models (Falcon-180B), multi-GPU
  replicas (TP2/4/8) and other batch sizes**; training throughput of large runs (Megatron-LM,
  BLOOM, OPT, MT-NLG, GPT-3 on V100, Llama 3 405B), predicted as peak x default MFU at that GPU
  count. A test of how the model generalizes.

How each kind of row is predicted:

- **Serving, static batching** (TensorRT-LLM v0.5/v0.6.1 `gptSessionBenchmark`): one batch of `B`
  prompts is prefilled, then `O-1` decode steps at mean context `S + O/2`;
  tokens/s = `B·O / (T_prefill(B, S) + (O-1)·T_step(B))`. "Per GPU" rows divide by the TP degree.
- **Serving, TTFT at batch 1**: `T_prefill(1, S)`.
- **Serving, max load with in-flight batching** (`trtllm-bench`, perf-overview): continuous batching
  at the largest batch the KV cache holds (full `S+O` reserved per sequence, engine cap 2048,
  `kv_cache_fraction` 0.95 as the page says those runs used), prompts prefilled in batches of up to
  8192 tokens: tokens/s = `O / (T_prefill_per_request + O·T_step(B)/B)`.
- **Training GPU-hours** (T01-T18): FLOPs `(6N + 12·L·d·S)·D` at the family's default MFU (minus 4%
  per doubling of GPUs beyond 1,024) times the default 1.10 overhead for restarts and evaluation.
  Sums (T04, T14) add their rows' predictions.
- **Training throughput** (T31-T36, NeMo 24.12 FP8): tokens/s/GPU = `F_fp8 · MFU / FLOPs_per_token`,
  no overhead; LoRA (T36) counts `4N + 8·L·d·S` FLOPs per token.

FP8 rows use FP8 weights, FP8 math and an FP8 KV cache; FP16 rows use 16-bit everything. Rows from
TensorRT-LLM v0.5 and v0.6.1 use `LEGACY_ENGINE` (its grouped-query decode kernels were off by
default and re-read K/V per query head: KV reads x (query heads per KV head)^0.91, fitted with the rest);
the planner's default assumes current GQA-aware kernels (exponent 0).

## Fitted rows (cases.csv)

"""

CHECKS_HEADER = """
## Held-out rows (checks.csv, not used in the fit)

"""

MOE_HEADER = """
## Mixture-of-experts rows (moe_cases.csv)

`planner/capacity/moe_cases.csv`: serving at maximum load from the same TensorRT-LLM page (Qwen3-235B-A22B,
Llama 4 Maverick and Scout in FP8 on H200 and H100, run with expert parallelism and data-parallel
attention) and whole-run training GPU-hours of DeepSeek-V3 (H800) and Llama 4 (H100). Serving is
predicted with expert parallelism over the row's GPUs; training with the stated (DeepSeek-V3: EP64
across nodes) or default expert parallelism. Two figures were fitted on this group and nowhere else:
`ep_expert_slowdown` 3.0 (expert reads, math and all-to-all under expert parallelism take 3x their
roofline) on M01-M52, and `moe_train_efficiency` 0.6 (MoE training MFU relative to dense) on M60-M62;
`a2a_exposed` 0.1 is assumed.

"""

MOE_FOOTER = """
Known misses in the MoE group:

- **Qwen3-235B-A22B on H200** is 14-40% low, worst at short outputs (128/128, 2048/128, 5000/500)
  where prefill dominates: the one slowdown figure also slows expert GEMMs in prefill, where large
  token counts balance the experts better than in decode.
- **ISL 20000** rows are 14-47% high: long prompts are prefilled in 8,192-token chunks whose
  attention cost the model underestimates.
- **DeepSeek-V3** training +22% and **Llama 4 Scout** -20%: one MoE efficiency for both; DeepSeek's
  FP8 run with DualPipe reached a higher share of peak than Meta's.
"""

FOOTER = """
Known misses:

- **T03 / T06** (Llama 3 and 3.1 8B whole-run GPU-hours): the published hours imply about 18-20% MFU
  (incl. restarts), half of what the same cluster reached on 405B. The model assumes no dependence
  of MFU on model size (NeMo's 8B and 70B FP8 throughputs, T31/T32, have the same MFU), so it
  predicts ~40% fewer hours. GPU counts for these runs are not published.
- **X48** (MT-NLG 530B, 30.2% MFU per PaLM's accounting): 61% high; the 2021 run on 4,480 A100s
  reached far less than the ampere default (fitted on Meta's 2023 runs and matching Megatron-LM,
  BLOOM and OPT within 18%).
- Serving rows drift the same way within a model: Llama 3.3 70B at max load is 8-14% slow on
  H200, L40S static batches 8-17% fast (its GDDR6 bandwidth efficiency is borrowed from HBM parts).
"""


def document() -> str:
    return (HEADER + markdown_table(predictions()) + CHECKS_HEADER + markdown_table(predictions(table=CHECKS))
            + FOOTER + MOE_HEADER + markdown_table(predictions(table=MOE)) + MOE_FOOTER)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    text = document()
    if "--write" in args:
        path = args[args.index("--write") + 1]
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

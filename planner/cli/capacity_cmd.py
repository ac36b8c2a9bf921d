"""`planner capacity ...`: size one LLM serving replica or one training run.

Each command parses its flags, calls one function of :mod:`planner.capacity` and formats the result.
Python equivalents: ``planner.capacity.llm_replica(...)`` and ``planner.capacity.estimate_training(...)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from planner.capacity.models import DTYPES as _DTYPES
from planner.capacity.serving import DEFAULT_UTILIZATION_TARGET
from planner.cli.types import MAX_MS, MAX_QPS, FiniteFloat, TokenCount

DTYPES = click.Choice(list(_DTYPES), case_sensitive=False)
DTYPE_HELP = ("Weights: bf16, fp16, fp8 (FP8 math and KV cache where the part has it), int8 or int4 (weight-only, "
              "16-bit KV cache); bf16 runs as fp16 on T4 and V100.")
F = TypeVar("F", bound=Callable[..., Any])


def output_format(fn: F) -> F:
    """``--format table|json`` plus ``--json`` (an alias of ``--format json``)."""
    fn = click.option("--json", "as_json", is_flag=True, help="Same as --format json.")(fn)
    return click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
                        show_default=True, help="Output format.")(fn)


def _rows(rows: list[tuple[str, str, str]]) -> str:
    width = max(len(r[0]) for r in rows)
    vwidth = max(len(r[1]) for r in rows)
    return "\n".join(f"{k:<{width}}  {v:>{vwidth}}  {b}".rstrip() for k, v, b in rows)


def _explain(assumptions: dict[str, Any]) -> str:
    return "\n".join(f"  {k}: {v}" for k, v in assumptions.items())


@click.group()
def capacity() -> None:
    """Size hardware for LLM serving and training (no prices)."""


@capacity.command("llm")
@click.option("--model", required=True, help="Preset name (llama-3-8b, ...) or path of a Hugging Face config.json.")
@click.option("--gpu", required=True, help="Accelerator id or alias (H100-SXM, h100, A100-80GB, L4, ...).")
@click.option("--gpus", type=click.IntRange(min=1),
              help="GPUs per replica (tensor parallel) [default: the fewest the model fits on].")
@click.option("--dtype", default="bf16", show_default=True, type=DTYPES, help=DTYPE_HELP)
@click.option("--expert-parallel/--tensor-parallel", "expert_parallel", default=None,
              help="MoE models: experts split across the GPUs with data-parallel attention, or everything tensor "
                   "parallel [default: expert parallel when the experts split evenly].")
@click.option("--batch", type=click.IntRange(min=1), help="Concurrent sequences [default: the most that fit].")
@click.option("--context", type=click.IntRange(min=0), help="Cached tokens per sequence for the decode step "
              "[default: input + output/2].")
@click.option("--input-tokens", default=1024, show_default=True, type=click.IntRange(min=1), help="Prompt tokens.")
@click.option("--output-tokens", default=256, show_default=True, type=click.IntRange(min=1), help="Output tokens.")
@output_format
@click.option("--explain", is_flag=True, help="Show the efficiency figures used and their source.")
def llm_cmd(model: str, gpu: str, gpus: int | None, dtype: str, expert_parallel: bool | None, batch: int | None,
            context: int | None, input_tokens: int, output_tokens: int, fmt: str, as_json: bool,
            explain: bool) -> None:
    """One LLM serving replica: decode step, prefill, KV-cache batch limit, sustained throughput."""
    from planner.capacity.llm import llm_replica
    from planner.capacity.llm_sizing import smallest_tp

    if gpus is None:
        gpus = smallest_tp(model, gpu, input_tokens, output_tokens, dtype.lower()) or 8
    est = llm_replica(model, gpu, gpus, dtype=dtype.lower(), batch=batch, context=context,
                      input_tokens=input_tokens, output_tokens=output_tokens, expert_parallel=expert_parallel)
    if as_json or fmt == "json":
        from planner.render import dumps

        click.echo(dumps(est.to_dict()))  # valid JSON: a non-finite figure is null, with its reason
        return
    b = est.bounds
    layout = f"; {est.parallelism}" if est.gpus > 1 else ""
    click.echo(f"{est.model} on {est.gpus}x {est.accelerator} ({est.dtype} weights, {est.kv_dtype} KV cache{layout}), "
               f"requests of {est.input_tokens} in / {est.output_tokens} out")
    moe = est.params != est.active_params
    click.echo(_rows([
        ("figure", "value", "bound"),
        *([("params total / active", f"{est.params / 1e9:,.1f}B / {est.active_params / 1e9:,.1f}B", "")] if moe else []),
        ("weights", f"{est.weight_bytes / 1e9:,.1f} GB", ""),
        *([("weights per GPU", f"{est.weight_bytes_per_device / 1e9:,.1f} GB", "")] if est.gpus > 1 else []),
        ("KV cache per token", f"{est.kv_bytes_per_token / 1024:,.0f} KiB", ""),
        ("max batch (sequences)", f"{est.max_batch:,}", b["max_batch"]),
        ("batch used", f"{est.batch:,}", b["batch"]),
        (f"decode step (ctx {est.context})", f"{est.decode_step_ms:,.2f} ms", b["decode_step_ms"]),
        ("decode tokens/s", f"{est.decode_tokens_per_s:,.0f}", b["decode_step_ms"]),
        (f"prefill ({est.batch} prompts)", f"{est.prefill_ms:,.1f} ms", b["prefill_ms"]),
        ("prefill tokens/s", f"{est.prefill_tokens_per_s:,.0f}", b["prefill_ms"]),
        ("TTFT (idle replica)", f"{est.ttft_ms:,.1f} ms", ""),
        ("TPOT (with prefills)", f"{est.tpot_ms:,.2f} ms", ""),
        ("throughput (output tok/s)", f"{est.throughput_tokens_per_s:,.0f}", b["throughput_tokens_per_s"]),
        ("requests/s", f"{est.requests_per_s:,.2f}", b["throughput_tokens_per_s"]),
    ]))
    if explain:
        click.echo("assumptions:")
        click.echo(_explain(est.assumptions))


@capacity.command("train")
@click.option("--model", required=True, help="Preset name or path of a Hugging Face config.json.")
@click.option("--tokens", required=True, type=TokenCount(), help="Training tokens: 15T, 300B, 2e12.")
@click.option("--gpu", required=True, help="Accelerator id or alias.")
@click.option("--gpus", required=True, type=click.IntRange(min=1), help="Number of accelerators.")
@click.option("--mfu", type=FiniteFloat(0, 1, min_open=True),
              help="Model-FLOPs utilization, e.g. 0.4 [default: by accelerator family].")
@click.option("--dtype", default="bf16", show_default=True, type=DTYPES,
              help="Training math precision (bf16, fp16, fp8); int8/int4 only with --method lora (quantized base).")
@click.option("--expert-parallel", "expert_parallel", type=click.IntRange(min=1),
              help="MoE models: GPUs sharing each layer's experts [default: up to one node].")
@click.option("--seq-len", default=4096, show_default=True, type=click.IntRange(min=1), help="Sequence length.")
@click.option("--overhead", default=1.10, show_default=True, type=FiniteFloat(1, 10),
              help="GPU-hours multiplier for restarts, checkpoints and evals.")
@click.option("--method", default="pretrain", show_default=True, type=click.Choice(["pretrain", "lora"]))
@output_format
@click.option("--explain", is_flag=True, help="Show the formula, MFU source and overheads.")
def train_cmd(model: str, tokens: str, gpu: str, gpus: int, mfu: float | None, dtype: str,
              expert_parallel: int | None, seq_len: int, overhead: float, method: str, fmt: str, as_json: bool,
              explain: bool) -> None:
    """GPU-hours and wall time of a training run (6ND + attention, MFU, overhead)."""
    from planner.capacity.training import estimate_training

    est = estimate_training(model, tokens, gpu, gpus, mfu=mfu, overhead=overhead, dtype=dtype.lower(),
                            seq_len=seq_len, method=method, expert_parallel=expert_parallel)
    if as_json or fmt == "json":
        from planner.render import dumps

        click.echo(dumps(est.to_dict()))  # valid JSON: a non-finite figure is null, with its reason
        return
    click.echo(f"{est.model} {est.method} on {est.gpus}x {est.accelerator} ({est.nodes} nodes of 8), "
               f"{est.tokens:,.3g} tokens at seq {est.seq_len}")
    click.echo(_rows([
        ("figure", "value", ""),
        ("FLOPs", f"{est.flops:.3e}", ""),
        ("MFU", f"{est.mfu:.1%}", ""),
        ("tokens/s per GPU", f"{est.tokens_per_s_per_gpu:,.0f}", ""),
        ("GPU-hours", f"{est.gpu_hours:,.0f}", f"x{est.overhead:.2f} overhead"),
        ("wall time", f"{est.wall_hours:,.1f} h", f"{est.wall_hours / 24:,.1f} days"),
        ("checkpoint", f"{est.checkpoint_gb:,.0f} GB", ""),
    ]))
    if explain:
        click.echo("assumptions:")
        click.echo(_explain(est.explain))


@capacity.command("serve")
@click.option("--model", required=True, help="Preset name or path of a Hugging Face config.json.")
@click.option("--gpu", "gpu_names", multiple=True, help="Accelerator to consider (repeatable) [default: all].")
@click.option("--qps", required=True, type=FiniteFloat(0, MAX_QPS, min_open=True), help="Requests per second.")
@click.option("--input-tokens", default=1024, show_default=True, type=click.IntRange(min=1))
@click.option("--output-tokens", default=256, show_default=True, type=click.IntRange(min=1))
@click.option("--ttft-p95-ms", type=FiniteFloat(0, MAX_MS, min_open=True), help="p95 time-to-first-token SLO.")
@click.option("--tpot-ms", type=FiniteFloat(0, MAX_MS, min_open=True), help="Time-per-output-token SLO.")
@click.option("--dtype", default="bf16", show_default=True, type=DTYPES, help=DTYPE_HELP)
@click.option("--utilization", default=DEFAULT_UTILIZATION_TARGET, show_default=True,
              type=FiniteFloat(0, 1, min_open=True),
              help="Target utilization of each replica (the scenarios' default too).")
@click.option("--max-gpus-per-replica", default=8, show_default=True, type=click.IntRange(min=1),
              help="Largest replica tried (powers of two); beyond a node (8 GPUs) collectives cross the "
                   "inter-node network.")
@output_format
def serve_cmd(model: str, gpu_names: tuple[str, ...], qps: float, input_tokens: int, output_tokens: int,
              ttft_p95_ms: float | None, tpot_ms: float | None, dtype: str, utilization: float,
              max_gpus_per_replica: int, fmt: str, as_json: bool) -> None:
    """Replicas needed for a QPS and latency SLOs, per accelerator and TP degree (fewest GPUs first)."""
    from planner.capacity.hardware import list_accelerators
    from planner.capacity.llm_sizing import size_llm_serving

    options = size_llm_serving(model, list(gpu_names) or list_accelerators(), qps, input_tokens, output_tokens,
                               ttft_p95_ms=ttft_p95_ms, tpot_ms=tpot_ms, dtype=dtype.lower(),
                               utilization_target=utilization, max_gpus_per_replica=max_gpus_per_replica)
    from planner.render import dumps, figure, json_ready

    if as_json or fmt == "json":  # a TTFT with no bound is null, with the reason in null_reasons
        click.echo(dumps([{"accelerator": o.accelerator, "gpus_per_replica": o.accelerators_per_replica,
                           "replicas": o.replicas, "gpus": o.replicas * o.accelerators_per_replica,
                           **o.explain} for o in options]))
        return
    rows = [("accelerator", "TP", "replicas", "GPUs", "batch", "TTFT p95 ms", "TPOT ms", "limited by", "layout")]
    notes: dict[str, None] = {}
    for o in options:
        e = o.explain
        rows.append((o.accelerator or "CPU", str(o.accelerators_per_replica), str(o.replicas),
                     str(o.replicas * o.accelerators_per_replica), str(e["batch"]), figure(e["ttft_ms"], ",.0f"),
                     figure(e["tpot_ms"], ",.1f"), e["binding"], e.get("parallelism", "")))
        notes.update(dict.fromkeys(json_ready(e).get("null_reasons", {}).values()))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        click.echo("  ".join(c.ljust(w) if i in (0, 7, 8) else c.rjust(w)
                             for i, (c, w) in enumerate(zip(r, widths))).rstrip())
    for note in notes:
        click.echo(f"unbounded: {note}")

"""LLM serving on one replica (a tensor-parallel group of ``gpus`` devices): a calibrated roofline.

One forward pass over ``n`` sequences, each adding ``new`` tokens to ``ctx`` cached tokens, costs

    T = R(linear) + R(attention) + T_allreduce + L·t_layer + t_step

where each ``R(c, m) = (c^p + m^p)^(1/p)`` combines the compute time ``c = FLOPs / (TP·F·η_f)``
and the memory time ``m = bytes / (TP·BW·η_m)`` of one operator group (``p`` = ``overlap``).
Linear layers read the weights once per pass (for MoE only the experts the batch touches) and do
``2·N_active`` FLOPs per token; attention reads the KV cache of every sequence and does
``4·L·h·d_h`` FLOPs per (query, key) pair. Tensor parallelism adds two all-reduces per layer of
``tokens·d`` 16-bit activations (ring: ``2(TP-1)/TP · bytes / link`` plus a fixed latency).

Serving with continuous batching at ``B`` concurrent sequences, requests of ``S`` input and ``O``
output tokens: each request costs ``T_prefill(S)`` (prompts batched up to ``prefill_chunk_tokens``)
plus ``O`` decode steps shared with ``B-1`` others, so ``requests/s = 1 / (T_pf + O·T_step(B)/B)``
and the time per output token a user sees is ``T_step(B) + B·T_pf/O`` (prefills interleave).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from planner.capacity.calibration import Calibration, resolve_calibration
from planner.capacity.hardware import GIB, Accelerator, get_accelerator
from planner.capacity.models import ModelSpec, dtype_bytes, get_model
from planner.errors import InputError, PlannerError

ACT_BYTES = 2.0  # activations travel as 16-bit values


@dataclass(frozen=True)
class Replica:
    """A model on ``tp`` devices with its dtypes and efficiency figures: the unit the formulas use.

    ``ep`` > 1 (MoE only, equal to ``tp``): expert parallelism with data-parallel attention, as
    TensorRT-LLM's and SGLang's MoE deployments run: every device holds the attention, dense and shared
    weights and serves its own share of the sequences; the routed experts are split across the ``ep``
    devices and each MoE layer sends tokens to their experts and back (two all-to-alls). ``ep`` = 1:
    tensor parallelism of everything (experts too), two all-reduces per layer; when ``tp`` exceeds the
    KV heads (MLA: one latent), each KV head is cached on ``tp / h_kv`` devices.
    """

    model: ModelSpec
    acc: Accelerator
    tp: int
    dtype: str
    kv_dtype: str
    calib: Calibration
    ep: int = 1

    @property
    def attention_dp(self) -> bool:
        return self.ep > 1

    @property
    def parallelism(self) -> str:
        if self.tp == 1:
            return "single device"
        where = "" if self.tp <= self.acc.node_size else f" across {self.tp // self.acc.node_size} nodes"
        if self.attention_dp:
            return f"EP{self.ep} experts, data-parallel attention{where}"
        return f"TP{self.tp}{where}"

    @property
    def batch_cap(self) -> int:
        """The engine's cap on concurrent sequences; with data-parallel attention each rank has its own."""
        return self.calib.max_batch_size * (self.ep if self.attention_dp else 1)

    @property
    def kv_replication(self) -> float:
        """Copies of each KV head across the group (1 with data-parallel attention)."""
        if self.attention_dp:
            return 1.0
        return max(1.0, self.tp / self.model.kv_heads_for_tp)

    def link(self) -> tuple[float, float, str]:
        """(one-way bytes/s per device, latency per collective in µs, name) of the group's slowest link."""
        c, acc = self.calib, self.acc
        if self.tp > acc.node_size:
            return acc.internode_bytes_per_s / 2 * c.link_efficiency, c.internode_latency_us, "inter-node"
        latency = c.pcie_allreduce_latency_us if acc.link == "pcie" else c.allreduce_latency_us
        return acc.link_bytes_per_s / 2 * c.link_efficiency, latency, acc.link

    # --- one forward pass ---
    def weight_elements_read(self, tokens: float) -> float:
        """Weights one device reads in a pass over ``tokens`` tokens (MoE: only the experts touched;
        the input embedding is a lookup, not a read of the table)."""
        m = self.model
        touched = m.experts_touched(tokens)
        layers = m.layer_params(touched) + m.vocab_size * m.hidden_size
        if not self.attention_dp:
            return layers / self.tp
        experts = m.moe_layers * touched * m.expert_params_per_layer
        return layers - experts + experts / self.tp * self.calib.ep_expert_slowdown

    def pass_time_s(self, n_seqs: float, new_tokens: float, ctx_tokens: float) -> tuple[float, str]:
        """Seconds for one forward pass, and its bound ('memory' or 'compute')."""
        m, c, tp = self.model, self.calib, self.tp
        tokens = n_seqs * new_tokens
        bw = self.acc.hbm_bytes_per_s * c.eta_mem  # one device
        f_lin = tp * self.acc.peak_flops(self.dtype) * c.eta_flops(self.dtype)
        f_attn = tp * self.acc.bf16_flops * c.eta_flops_16
        d, L = m.hidden_size, m.num_layers
        lm_head = m.vocab_size * d
        lin_flops = 2.0 * m.layer_params(m.experts_per_token) * tokens + 2.0 * lm_head * n_seqs  # last-token logits
        if self.attention_dp:  # the busiest device's experts set the pace
            expert_flops = 2.0 * m.moe_layers * m.experts_per_token * m.expert_params_per_layer * tokens
            lin_flops += (c.ep_expert_slowdown - 1.0) * expert_flops
        lin_c = lin_flops / f_lin
        lin_m = self.weight_elements_read(tokens) * dtype_bytes(self.dtype) / bw
        span = new_tokens * ctx_tokens + new_tokens * new_tokens / 2.0
        local = m.local_layers * new_tokens * min(ctx_tokens + new_tokens / 2.0, m.local_window) if m.local_layers else 0
        pairs = (L - m.local_layers) * span + local
        attn_c = m.attention_flops_per_pair(absorbed=new_tokens == 1) * n_seqs * pairs / f_attn
        kv_read = n_seqs * m.kv_bytes(ctx_tokens + new_tokens, self.kv_dtype) * self.kv_replication
        attn_m = kv_read / (tp * bw)
        if new_tokens == 1 and c.gqa_kv_read_exponent and not m.is_mla:  # kernels re-reading K/V per query head
            attn_m *= (m.num_heads / m.num_kv_heads) ** c.gqa_kv_read_exponent
        p = c.overlap
        t = (lin_c**p + lin_m**p) ** (1 / p) + (attn_c**p + attn_m**p) ** (1 / p)
        per_layer_us = c.layer_overhead_us if new_tokens == 1 else c.prefill_layer_overhead_us
        t += self.comm_s(tokens) + L * per_layer_us * 1e-6 + c.step_overhead_ms * 1e-3
        return t, ("memory" if lin_m + attn_m >= lin_c + attn_c else "compute")

    def comm_s(self, tokens: float) -> float:
        """Collectives of one pass: two ring all-reduces per layer of ``tokens·d`` 16-bit activations
        (``2(TP-1)/TP · bytes / link``), or with expert parallelism a dispatch and a combine all-to-all
        per MoE layer, each device sending ``(tokens/EP)·k·d`` activations of which ``(EP-1)/EP`` leave it."""
        if self.tp == 1:
            return 0.0
        m = self.model
        one_way, latency_us, _ = self.link()
        if self.attention_dp:
            per_device = (tokens / self.ep * m.experts_per_token * m.hidden_size * ACT_BYTES * (self.ep - 1) / self.ep
                          * self.calib.ep_expert_slowdown)
            return 2 * m.moe_layers * (per_device / one_way + latency_us * 1e-6)
        ring = 2 * (self.tp - 1) / self.tp * tokens * m.hidden_size * ACT_BYTES / one_way
        return 2 * m.num_layers * (ring + latency_us * 1e-6)

    def allreduce_s(self, tokens: float) -> float:
        return self.comm_s(tokens)

    def decode_step_s(self, batch: float, context: float) -> tuple[float, str]:
        return self.pass_time_s(batch, 1, context)

    def prefill_s(self, n_prompts: float, input_tokens: int) -> tuple[float, str]:
        return self.pass_time_s(n_prompts, input_tokens, 0)

    def prefill_per_request_s(self, input_tokens: int) -> float:
        """Prefill time per request under load: prompts batched up to ``prefill_chunk_tokens``."""
        k = max(1, self.calib.prefill_chunk_tokens // max(input_tokens, 1))
        return self.prefill_s(k, input_tokens)[0] / k

    # --- memory ---
    @property
    def weight_bytes(self) -> float:
        return self.model.weight_bytes(self.dtype)

    @property
    def weight_bytes_per_device(self) -> float:
        m = self.model
        if not self.attention_dp:
            return self.weight_bytes / self.tp
        experts = m.expert_params * dtype_bytes(self.dtype)
        return self.weight_bytes - experts + experts / self.tp

    @property
    def kv_bytes_per_token(self) -> float:
        return self.model.kv_bytes_per_token(self.kv_dtype)

    def kv_bytes(self, tokens: float) -> float:
        """Device memory one sequence of ``tokens`` tokens takes in the KV cache (with replicas)."""
        return self.model.kv_bytes(tokens, self.kv_dtype) * self.kv_replication

    def free_bytes(self) -> float:
        """Device memory of the replica left after weights, runtime reserve and prefill activations."""
        m, c = self.model, self.calib
        mlp = max(m.experts_per_token * (m.moe_intermediate_size or m.intermediate_size) + m.shared_expert_size,
                  (m.dense_intermediate_size or m.intermediate_size) if m.dense_layers or not m.is_moe else 0)
        activations = c.prefill_chunk_tokens * (4 * m.hidden_size * self.tp + mlp * (2 if m.gated_mlp else 1)) * ACT_BYTES
        runtime = self.tp * c.runtime_reserve_gib * GIB
        return self.tp * (self.acc.memory_bytes - self.weight_bytes_per_device) - runtime - activations

    def kv_budget_bytes(self) -> float:
        return self.calib.kv_cache_fraction * self.free_bytes()

    def max_batch(self, tokens_per_seq: float) -> int:
        return max(0, int(self.kv_budget_bytes() // self.kv_bytes(max(tokens_per_seq, 1))))

    # --- serving ---
    def serve(self, batch: int, input_tokens: int, output_tokens: int,
              prefill_per_request_s: float | None = None) -> dict[str, float]:
        """Sustained continuous-batching figures at ``batch`` concurrent sequences."""
        step, _ = self.decode_step_s(batch, input_tokens + output_tokens / 2)
        t_pf = prefill_per_request_s if prefill_per_request_s is not None else self.prefill_per_request_s(input_tokens)
        per_request = t_pf + output_tokens * step / batch
        return {"step_s": step, "prefill_per_request_s": t_pf, "requests_per_s": 1 / per_request,
                "tpot_s": step + batch * t_pf / max(output_tokens, 1)}

    def static_batch_tokens_per_s(self, batch: int, input_tokens: int, output_tokens: int) -> float:
        """Output tokens/s of one static batch: prefill all prompts, then ``O-1`` decode steps."""
        t_pf, _ = self.prefill_s(batch, input_tokens)
        step, _ = self.decode_step_s(batch, input_tokens + output_tokens / 2)
        return batch * output_tokens / (t_pf + (output_tokens - 1) * step)


def resolve_dtype(dtype: str, acc: Accelerator) -> str:
    """The weight dtype as run on ``acc``: one of DTYPES; BF16 becomes FP16 on parts without BF16."""
    dtype = dtype.lower()
    dtype_bytes(dtype)
    return acc.fp16_name if dtype == "bf16" else dtype


def default_kv_dtype(dtype: str, acc: Accelerator) -> str:
    """FP8 serving keeps the KV cache in FP8 too (as TensorRT-LLM's FP8 benchmarks do); int8/int4 are
    weight-only and keep a 16-bit cache; 16-bit weights keep their own format."""
    if dtype in ("bf16", "fp16"):
        return dtype
    return "fp8" if dtype == "fp8" else acc.fp16_name


def make_replica(model: str | ModelSpec, accelerator: str | Accelerator, gpus: int = 1, dtype: str = "bf16",
                 kv_dtype: str | None = None, calib: Calibration | Mapping[str, float] | None = None,
                 expert_parallel: bool | None = None) -> Replica:
    """A replica of ``gpus`` devices. ``expert_parallel`` (MoE models only): None = expert parallelism
    with data-parallel attention whenever ``gpus`` > 1 and the experts can be split that many ways."""
    spec = model if isinstance(model, ModelSpec) else get_model(model)
    acc = accelerator if isinstance(accelerator, Accelerator) else get_accelerator(accelerator)
    dtype = resolve_dtype(dtype, acc)
    if gpus < 1:
        raise InputError(f"gpus must be at least 1, got {gpus}")
    if gpus > acc.node_size and gpus % acc.node_size:
        raise InputError(f"{gpus} GPUs per replica would fill {gpus / acc.node_size:.2f} nodes of {acc.node_size} "
                         f"{acc.id}; a replica larger than a node must use whole nodes (a multiple of {acc.node_size})")
    can_ep = spec.is_moe and gpus > 1 and spec.num_experts % gpus == 0
    if expert_parallel and not can_ep:
        raise InputError(f"expert parallelism over {gpus} GPUs needs an MoE model whose expert count divides by "
                         f"{gpus}; {spec.name} has {spec.num_experts} expert(s)")
    ep = gpus if (can_ep if expert_parallel is None else expert_parallel) else 1
    if ep == 1 and spec.num_heads % gpus:
        # tensor parallelism splits attention heads evenly across the GPUs of a replica
        ok = [t for t in (1, 2, 4, 8, 16) if spec.num_heads % t == 0]
        raise InputError(f"{gpus} GPUs cannot split {spec.name}'s {spec.num_heads} attention heads evenly; "
                         f"use {', '.join(map(str, ok))}")
    kv = resolve_dtype(kv_dtype, acc) if kv_dtype else default_kv_dtype(dtype, acc)
    return Replica(spec, acc, gpus, dtype, kv, resolve_calibration(acc, calib), ep)


def fit_error(rep: Replica, seq_tokens: int) -> PlannerError:
    kv_one = rep.kv_bytes(seq_tokens) / rep.calib.kv_cache_fraction
    need = (rep.tp * rep.acc.memory_bytes - rep.free_bytes() + kv_one) / rep.tp
    return InputError(
        f"{rep.model.name} ({rep.dtype}) does not fit on {rep.tp}x {rep.acc.id}: needs {need / GIB:.1f} GiB per "
        f"device (weights, runtime, activations and the KV cache of one {seq_tokens}-token sequence), has "
        f"{rep.acc.memory_gib:.0f} GiB; use more GPUs (--gpus), a smaller dtype or a larger accelerator")


@dataclass(frozen=True)
class LLMReplicaEstimate:
    model: str
    accelerator: str
    gpus: int
    dtype: str
    kv_dtype: str
    batch: int
    context: int
    input_tokens: int
    output_tokens: int
    decode_step_ms: float
    decode_tokens_per_s: float
    prefill_ms: float
    prefill_tokens_per_s: float
    kv_bytes_per_token: float
    weight_bytes: float
    max_batch: int
    throughput_tokens_per_s: float
    requests_per_s: float
    tpot_ms: float
    ttft_ms: float
    params: int = 0
    active_params: int = 0
    weight_bytes_per_device: float = 0.0
    parallelism: str = ""
    bounds: dict[str, str] = field(default_factory=dict)
    assumptions: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def llm_replica(model: str | ModelSpec, accelerator: str | Accelerator, gpus: int = 1, dtype: str = "bf16",
                batch: int | None = None, context: int | None = None, input_tokens: int = 1024,
                output_tokens: int = 256, calib: Calibration | Mapping[str, float] | None = None,
                kv_dtype: str | None = None, expert_parallel: bool | None = None) -> LLMReplicaEstimate:
    """Estimate one replica of ``gpus`` devices serving ``model`` (tensor parallel; MoE models expert
    parallel by default, see :func:`make_replica`).

    ``batch`` = concurrent sequences (default: the most that fit, up to the engine cap);
    ``context`` = cached tokens per sequence for ``decode_step_ms`` (default ``input + output/2``).
    """
    if input_tokens < 1 or output_tokens < 1:
        raise InputError("input_tokens and output_tokens must be at least 1")
    rep = make_replica(model, accelerator, gpus, dtype, kv_dtype, calib, expert_parallel)
    seq_tokens = input_tokens + output_tokens
    max_batch = rep.max_batch(seq_tokens)
    if max_batch < 1:
        raise fit_error(rep, seq_tokens)
    cap = min(max_batch, rep.batch_cap)
    if batch is None:
        b = cap
        batch_bound = "capacity"
    else:
        if batch < 1:
            raise InputError(f"batch must be at least 1, got {batch}")
        for tokens in (seq_tokens, (context or 0) + 1):
            fits = rep.max_batch(tokens)
            if batch > fits:
                raise InputError(f"batch {batch} does not fit: KV cache of {rep.tp}x {rep.acc.id} holds at most "
                                 f"{fits} sequences of {tokens} tokens; lower --batch or add --gpus")
        b, batch_bound = batch, "given"
    ctx = context if context is not None else input_tokens + output_tokens // 2
    step_s, step_bound = rep.decode_step_s(b, ctx)
    pf_s, pf_bound = rep.prefill_s(b, input_tokens)
    served = rep.serve(b, input_tokens, output_tokens)
    ttft_s = rep.prefill_s(1, input_tokens)[0] + served["step_s"]
    serve_bound = step_bound if batch_bound == "given" else batch_bound
    c = rep.calib
    return LLMReplicaEstimate(
        model=rep.model.name, accelerator=rep.acc.id, gpus=rep.tp, dtype=rep.dtype, kv_dtype=rep.kv_dtype,
        batch=b, context=ctx, input_tokens=input_tokens, output_tokens=output_tokens,
        decode_step_ms=step_s * 1e3, decode_tokens_per_s=b / step_s,
        prefill_ms=pf_s * 1e3, prefill_tokens_per_s=b * input_tokens / pf_s,
        kv_bytes_per_token=rep.kv_bytes_per_token, weight_bytes=rep.weight_bytes, max_batch=max_batch,
        throughput_tokens_per_s=served["requests_per_s"] * output_tokens,
        requests_per_s=served["requests_per_s"], tpot_ms=served["tpot_s"] * 1e3, ttft_ms=ttft_s * 1e3,
        params=rep.model.params, active_params=rep.model.active_params,
        weight_bytes_per_device=rep.weight_bytes_per_device, parallelism=rep.parallelism,
        bounds={"decode_step_ms": step_bound, "prefill_ms": pf_bound, "max_batch": "memory",
                "batch": batch_bound, "throughput_tokens_per_s": serve_bound},
        assumptions={"eta_mem": c.eta_mem, "eta_flops": c.eta_flops(rep.dtype), "eta_flops_attention": c.eta_flops_16,
                     "layer_overhead_us": c.layer_overhead_us,
                     "prefill_layer_overhead_us": c.prefill_layer_overhead_us, "step_overhead_ms": c.step_overhead_ms,
                     "kv_cache_fraction": c.kv_cache_fraction, "max_batch_size": c.max_batch_size,
                     "kv_reservation": "full input+output per sequence", "family": rep.acc.family,
                     "link": rep.link()[2], "kv_replication": rep.kv_replication,
                     "batch_limit": "given" if batch is not None else (
                         "KV-cache memory" if max_batch <= rep.batch_cap else "engine max_batch_size"),
                     "source": c.source},
    )

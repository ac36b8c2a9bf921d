"""Training compute: FLOPs from model size and tokens, time from peak FLOP/s and MFU.

FLOPs per token (PaLM appendix B, the definition behind published MFU figures):
``6·N + 12·L·d·S`` for full training (forward 2N, backward 4N, plus attention over ``S`` tokens);
``4·N + 8·L·d·S`` for LoRA fine-tuning (no weight gradients for the frozen base). ``N`` is the
*active* parameter count (MoE: routed experts only).

MFU default: the family figure of :mod:`planner.capacity.calibration` (fitted on published runs),
lowered by ``mfu_loss_per_doubling`` for each doubling of devices beyond 1,024 (Llama 3: 43% MFU on
8K H100s, 41% on 16K). ``overhead`` multiplies GPU-hours for restarts after failures, checkpoint
stalls and evaluation (Llama 3 reports >90% effective training time, hence 1.10).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from planner.capacity.calibration import Calibration, resolve_calibration
from planner.capacity.hardware import GIB, Accelerator, get_accelerator
from planner.capacity.models import WEIGHT_ONLY, ModelSpec, dtype_bytes, get_model
from planner.capacity.requirements import ComputeOption
from planner.errors import InputError

GPUS_PER_NODE = 8
ACT_BYTES = 2.0
METHODS = ("pretrain", "lora")
_SUFFIX = {"": 1.0, "k": 1e3, "m": 1e6, "b": 1e9, "g": 1e9, "t": 1e12}


def parse_tokens(text: str | float) -> float:
    """'15T', '300B', '2e12', '1,500,000' -> tokens."""
    if isinstance(text, (int, float)):
        value = float(text)
    else:
        m = re.fullmatch(r"\s*([0-9][0-9_,]*\.?[0-9]*(?:e[+-]?[0-9]+)?)\s*([kmbgt]?)\s*(?:tokens)?\s*", text.lower())
        if not m:
            raise InputError(f"tokens {text!r} is not a number; use forms like 15T, 300B, 2e12")
        value = float(m.group(1).replace(",", "").replace("_", "")) * _SUFFIX[m.group(2)]
    if not value > 0 or math.isinf(value):
        raise InputError(f"tokens must be positive, got {text!r}")
    return value


@dataclass(frozen=True)
class TrainingEstimate:
    model: str
    accelerator: str
    gpus: int
    dtype: str
    method: str
    tokens: float
    seq_len: int
    flops: float
    flops_per_token: float
    mfu: float
    overhead: float
    tokens_per_s_per_gpu: float
    gpu_hours: float
    wall_hours: float
    nodes: int
    checkpoint_gb: float
    explain: dict[str, Any] = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def compute_option(self) -> ComputeOption:
        """One run on ``gpus`` accelerators for ``wall_hours`` (a one-time requirement)."""
        return ComputeOption(accelerator=self.accelerator, accelerators_per_replica=self.gpus, replicas=1,
                             hours=self.wall_hours, one_time=True, explain=dict(self.explain))


def flops_per_token(model: ModelSpec, seq_len: int, method: str = "pretrain") -> float:
    # 12·L·d·S generalized: attention_flops_per_pair = 4·h·d_h for ordinary attention (PaLM's 12·L·h·d_h·S
    # counts forward and backward of the QK and AV products over S/2 keys on average).
    attn = model.num_layers * model.attention_flops_per_pair() / 4.0 * seq_len
    if method == "lora":
        return 4.0 * model.active_params + 8.0 * attn
    return 6.0 * model.active_params + 12.0 * attn


def default_mfu(calib: Calibration, dtype: str, gpus: int, moe: bool = False) -> float:
    doublings = max(0.0, math.log2(gpus / 1024))
    moe_factor = calib.moe_train_efficiency if moe else 1.0
    return calib.train_mfu(dtype) * moe_factor * max(0.5, 1.0 - calib.mfu_loss_per_doubling * doublings)


def default_expert_parallel(model: ModelSpec, acc: Accelerator, gpus: int) -> int:
    """Experts spread over one node (at most), the usual Megatron/NeMo MoE layout."""
    if not model.is_moe:
        return 1
    return max(d for d in range(1, min(model.num_experts, acc.node_size, gpus) + 1)
               if model.num_experts % d == 0 and gpus % d == 0)


def a2a_s_per_token(model: ModelSpec, acc: Accelerator, calib: Calibration, ep: int) -> float:
    """Expert-parallel all-to-all seconds per token on one device: four per MoE layer (dispatch and
    combine, forward and backward), each sending ``k·d`` 16-bit activations of which ``(EP-1)/EP`` leave
    the device, over NVLink inside a node or the inter-node link beyond it."""
    if ep <= 1 or not model.is_moe:
        return 0.0
    link = acc.link_bytes_per_s if ep <= acc.node_size else acc.internode_bytes_per_s
    one_way = link / 2 * calib.link_efficiency
    per_layer = model.experts_per_token * model.hidden_size * ACT_BYTES * (ep - 1) / ep
    return 4 * model.moe_layers * per_layer / one_way


def estimate_training(model: str | ModelSpec, tokens: float | str, accelerator: str | Accelerator, gpus: int,
                      mfu: float | None = None, overhead: float = 1.10, dtype: str = "bf16",
                      seq_len: int = 4096, method: str = "pretrain",
                      calib: Calibration | Mapping[str, float] | None = None,
                      expert_parallel: int | None = None) -> TrainingEstimate:
    """GPU-hours and wall time to train ``model`` on ``tokens`` tokens with ``gpus`` accelerators.

    MoE models: compute counts the active parameters, memory all of them; ``expert_parallel`` devices
    share each layer's experts (default: up to one node) and exchange tokens by all-to-all."""
    spec = model if isinstance(model, ModelSpec) else get_model(model)
    acc = accelerator if isinstance(accelerator, Accelerator) else get_accelerator(accelerator)
    d_tokens = parse_tokens(tokens)
    dtype = dtype.lower()
    dtype_bytes(dtype)
    if method not in METHODS:
        raise InputError(f"unknown training method {method!r}; valid: {', '.join(METHODS)}")
    if dtype in WEIGHT_ONLY and method != "lora":
        raise InputError(f"dtype {dtype} is a weight-only format: pretraining runs in bf16, fp16 or fp8; "
                         f"{dtype} fits LoRA on a quantized base (method lora)")
    if dtype == "bf16" and not acc.has_bf16:
        dtype = "fp16"  # same bytes and peak; the 16-bit format the part has
    if gpus < 1:
        raise InputError(f"gpus must be at least 1, got {gpus}")
    if mfu is not None and not 0 < mfu <= 1:
        raise InputError(f"mfu must be in (0, 1], got {mfu}; e.g. 0.4 for 40%")
    if overhead < 1:
        raise InputError(f"overhead must be >= 1 (a multiplier on GPU-hours), got {overhead}")
    if seq_len < 1:
        raise InputError(f"seq_len must be at least 1, got {seq_len}")
    cal = resolve_calibration(acc, calib)
    # Mixed-precision Adam keeps 16 bytes/param (bf16 weights+grads, fp32 master+2 moments), sharded
    # across all devices (ZeRO-3 / FSDP); LoRA keeps the frozen base in 16 bits.
    base_bytes = dtype_bytes(dtype) if dtype in WEIGHT_ONLY else 2.0
    state_bytes = spec.params * (base_bytes if method == "lora" else 16.0)
    per_device = state_bytes / gpus
    usable = acc.memory_bytes * cal.memory_utilization
    if per_device > usable:
        need = math.ceil(state_bytes / usable)
        raise InputError(f"{spec.name} {method} needs {state_bytes / GIB:,.0f} GiB of weights and optimizer "
                         f"state; {gpus}x {acc.id} hold {gpus * usable / GIB:,.0f} GiB; use at least {need} GPUs")
    ep = expert_parallel if expert_parallel is not None else default_expert_parallel(spec, acc, gpus)
    if ep < 1 or ep > 1 and (not spec.is_moe or spec.num_experts % ep or gpus % ep):
        raise InputError(f"expert_parallel {ep} must divide the expert count ({spec.num_experts}) and the GPU "
                         f"count ({gpus}) of an MoE model")
    fpt = flops_per_token(spec, seq_len, method)
    mfu_used = mfu if mfu is not None else default_mfu(cal, dtype, gpus, spec.is_moe)
    peak = acc.peak_flops(dtype)
    a2a_s = a2a_s_per_token(spec, acc, cal, ep) * cal.a2a_exposed
    tok_s_gpu = 1.0 / (fpt / (peak * mfu_used) + a2a_s)
    gpu_hours = d_tokens / tok_s_gpu / 3600.0 * overhead
    checkpoint_gb = spec.params * (14.0 if method == "pretrain" else 2.0) / 1e9
    return TrainingEstimate(
        model=spec.name, accelerator=acc.id, gpus=gpus, dtype=dtype, method=method, tokens=d_tokens,
        seq_len=seq_len, flops=fpt * d_tokens, flops_per_token=fpt, mfu=mfu_used, overhead=overhead,
        tokens_per_s_per_gpu=tok_s_gpu, gpu_hours=gpu_hours, wall_hours=gpu_hours / gpus,
        nodes=math.ceil(gpus / GPUS_PER_NODE), checkpoint_gb=checkpoint_gb,
        explain={
            "bound": "compute",
            "flops_formula": "4N+8LdS per token (LoRA)" if method == "lora" else "6N+12LdS per token (PaLM)",
            "active_params": spec.active_params,
            "params": spec.params,
            **({"expert_parallel": ep, "a2a_ms_per_1k_tokens": a2a_s * 1e6,
                "a2a_link": "nvlink/fabric" if ep <= acc.node_size else "inter-node",
                "moe_train_efficiency": cal.moe_train_efficiency} if spec.is_moe else {}),
            "peak_flops": peak,
            "mfu_source": "given" if mfu is not None else
            f"{acc.family} default {cal.train_mfu(dtype):.2f}, -{cal.mfu_loss_per_doubling:.0%} per doubling "
            f"above 1024 devices ({cal.training_source})",
            "overhead": f"x{overhead:.2f} GPU-hours for restarts, checkpoints, evals",
            "memory_per_device_gib": per_device / GIB,
            "checkpoint": "bf16 weights + fp32 master and Adam moments (14 B/param)" if method == "pretrain"
            else "bf16 base weights (2 B/param)",
        },
    )

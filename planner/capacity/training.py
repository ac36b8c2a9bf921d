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
from planner.capacity.models import ModelSpec, dtype_bytes, get_model
from planner.capacity.requirements import ComputeOption
from planner.errors import InputError

GPUS_PER_NODE = 8
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
    attn = model.num_layers * model.num_heads * model.d_head * seq_len
    if method == "lora":
        return 4.0 * model.active_params + 8.0 * attn
    return 6.0 * model.active_params + 12.0 * attn


def default_mfu(calib: Calibration, dtype: str, gpus: int) -> float:
    doublings = max(0.0, math.log2(gpus / 1024))
    return calib.train_mfu(dtype) * max(0.5, 1.0 - calib.mfu_loss_per_doubling * doublings)


def estimate_training(model: str | ModelSpec, tokens: float | str, accelerator: str | Accelerator, gpus: int,
                      mfu: float | None = None, overhead: float = 1.10, dtype: str = "bf16",
                      seq_len: int = 4096, method: str = "pretrain",
                      calib: Calibration | Mapping[str, float] | None = None) -> TrainingEstimate:
    """GPU-hours and wall time to train ``model`` on ``tokens`` tokens with ``gpus`` accelerators."""
    spec = model if isinstance(model, ModelSpec) else get_model(model)
    acc = accelerator if isinstance(accelerator, Accelerator) else get_accelerator(accelerator)
    d_tokens = parse_tokens(tokens)
    dtype = dtype.lower()
    dtype_bytes(dtype)
    if method not in METHODS:
        raise InputError(f"unknown training method {method!r}; valid: {', '.join(METHODS)}")
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
    state_bytes = spec.params * (2.0 if method == "lora" else 16.0)
    per_device = state_bytes / gpus
    usable = acc.memory_bytes * cal.memory_utilization
    if per_device > usable:
        need = math.ceil(state_bytes / usable)
        raise InputError(f"{spec.name} {method} needs {state_bytes / GIB:,.0f} GiB of weights and optimizer "
                         f"state; {gpus}x {acc.id} hold {gpus * usable / GIB:,.0f} GiB; use at least {need} GPUs")
    fpt = flops_per_token(spec, seq_len, method)
    mfu_used = mfu if mfu is not None else default_mfu(cal, dtype, gpus)
    peak = acc.peak_flops(dtype)
    tok_s_gpu = peak * mfu_used / fpt
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

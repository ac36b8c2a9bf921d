"""Efficiency figures of the capacity model, per accelerator family, and how to override them.

The roofline formulas in :mod:`planner.capacity.llm` and :mod:`planner.capacity.training` give
ideal times; these figures turn them into measured ones. They were fitted on the published
measurements in ``cases.csv`` (TensorRT-LLM serving on H100 and A100, Meta and NVIDIA training
runs) with few parameters per family; families without published rows borrow the figures of the
closest measured family, as noted in ``source``. ``docs/capacity.md`` lists them and
``docs/capacity-validation.md`` shows the fit (regenerate it with
``python -m planner.capacity.validation --table``).

Override any figure by passing a :class:`Calibration` (or a mapping of field -> value) to the
estimators; ``resolve_calibration`` merges a mapping onto the family default.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from planner.capacity.hardware import Accelerator
from planner.errors import InputError


@dataclass(frozen=True)
class Calibration:
    # --- serving (LLM roofline) ---
    eta_mem: float = 0.92  # achieved / peak HBM bandwidth for weight and KV reads
    eta_flops_16: float = 0.74  # achieved / peak FLOP/s of 16-bit GEMMs (and all attention math)
    eta_flops_8: float = 0.52  # achieved / peak FLOP/s of FP8 GEMMs
    overlap: float = 1.13  # roofline combination (c^p + m^p)^(1/p): 1 = no overlap, large = max()
    layer_overhead_us: float = 37.0  # fixed time per layer per decode step (launches, norms, ...)
    prefill_layer_overhead_us: float = 109.0  # per layer per prefill pass (no CUDA graphs there)
    step_overhead_ms: float = 0.0  # fixed time per forward pass (scheduling, sampling)
    link_efficiency: float = 0.7  # achieved all-reduce bus bandwidth / one-direction link bandwidth
    allreduce_latency_us: float = 8.0  # fixed latency of one all-reduce over NVLink / fabric
    pcie_allreduce_latency_us: float = 25.0  # through PCIe switches and host bridges (assumed, not fitted)
    internode_latency_us: float = 30.0  # one collective across nodes over RDMA (assumed, not fitted)
    # Expert parallelism: routed-expert reads, math and all-to-all take this many times their roofline
    # (uneven routing loads the busiest device, small grouped GEMMs, dispatch kernels). Fitted on the
    # TensorRT-LLM MoE rows M01-M52 of moe_cases.csv (median error 14% at 3.0, 22% at 2.0).
    ep_expert_slowdown: float = 3.0
    memory_utilization: float = 0.90  # share of device memory training state may fill
    kv_cache_fraction: float = 0.90  # share of the memory left after weights, runtime and activations
    #                                  given to KV cache (TensorRT-LLM kv_cache_free_gpu_mem_fraction)
    runtime_reserve_gib: float = 2.0  # per device: CUDA context, graphs, allocator slack
    max_batch_size: int = 2048  # engine cap on concurrent sequences (TensorRT-LLM default)
    prefill_chunk_tokens: int = 8192  # tokens per prefill batch under load (max_num_tokens)
    # Decode attention reads K/V (query heads per KV head)^x times: 0 for GQA-aware kernels (vLLM,
    # TensorRT-LLM XQA); older kernels re-read per query head (see LEGACY_ENGINE).
    gqa_kv_read_exponent: float = 0.0
    # --- training ---
    train_mfu_16: float = 0.45  # model-FLOPs utilization of the 16-bit peak, <= 1024 devices
    train_mfu_8: float = 0.38  # of the FP8 peak
    mfu_loss_per_doubling: float = 0.04  # relative MFU lost per doubling of devices above 1024
    # MoE training: MFU relative to a dense model of the same active size (fitted on moe_cases.csv M60-M62:
    # DeepSeek-V3 on H800, Llama 4 Scout and Maverick on H100), and the share of the expert-parallel
    # all-to-all left exposed (assumed: DeepSeek-V3's DualPipe hides nearly all of it, section 3.2.1).
    moe_train_efficiency: float = 0.6
    a2a_exposed: float = 0.1
    source: str = ""  # where the serving figures come from
    training_source: str = ""  # where the training figures come from

    def eta_flops(self, dtype: str) -> float:
        return self.eta_flops_8 if dtype == "fp8" else self.eta_flops_16

    def train_mfu(self, dtype: str) -> float:
        return self.train_mfu_8 if dtype == "fp8" else self.train_mfu_16

    def as_dict(self) -> dict[str, float | int | str]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


# Fitted families (see docs/capacity-validation.md; refit with `python -m planner.capacity.fit`) and
# documented borrowings for families with no published rows in cases.csv.
FAMILY: dict[str, Calibration] = {
    "hopper": Calibration(
        eta_mem=0.92, eta_flops_16=0.70, eta_flops_8=0.52, train_mfu_16=0.41, train_mfu_8=0.39,
        source="fitted on TensorRT-LLM H100 FP8 rows S09-S14, S22-S24, S32-S36; 16-bit GEMM efficiency 0.70 "
               "assumed (cuBLAS BF16 ~700 of 989 TFLOP/s)",
        training_source="fitted on Llama 3/3.1 H100 runs T01-T06 (BF16) and NeMo 24.12 FP8 T31-T35"),
    "ampere": Calibration(
        eta_mem=0.92, eta_flops_16=0.74, train_mfu_16=0.53,
        source="fitted on TensorRT-LLM A100 FP16 rows S15-S18, S25-S27",
        training_source="fitted on LLaMA-1 and Llama 2 A100 runs T10-T18"),
}
_BORROWED = "not fitted: no published rows for this family"
FAMILY["blackwell"] = replace(FAMILY["hopper"], source=f"hopper figures ({_BORROWED})",
                              training_source=f"hopper figures ({_BORROWED})")
FAMILY["ada"] = replace(FAMILY["ampere"], eta_flops_8=FAMILY["hopper"].eta_flops_8,
                        source=f"ampere figures, FP8 efficiency from hopper ({_BORROWED})",
                        training_source=f"ampere figures ({_BORROWED})")
FAMILY["volta"] = replace(FAMILY["ampere"], train_mfu_16=0.25, source=f"ampere figures ({_BORROWED})",
                          training_source="0.25: between GPT-3's 21.3% (PaLM Table 3) and Megatron-LM 2019's ~30% "
                                          "on V100")
FAMILY["turing"] = replace(FAMILY["volta"], training_source="as volta (" + _BORROWED + ")")
FAMILY["cdna3"] = replace(FAMILY["hopper"], eta_mem=0.75, eta_flops_16=0.50, eta_flops_8=0.35,
                          train_mfu_16=0.35, train_mfu_8=0.30,
                          source=f"assumed: hopper figures lowered for a younger software stack ({_BORROWED})",
                          training_source=f"assumed ({_BORROWED})")
FAMILY["neuron"] = replace(FAMILY["ampere"], eta_mem=0.75, eta_flops_16=0.50, eta_flops_8=0.45,
                           train_mfu_16=0.35, source=f"assumed ({_BORROWED})",
                           training_source=f"assumed ({_BORROWED})")
FAMILY["tpu"] = replace(FAMILY["ampere"], eta_mem=0.80, eta_flops_16=0.55, train_mfu_16=0.45,
                        source=f"assumed ({_BORROWED})",
                        training_source="PaLM: 46.2% MFU on TPU v4 (PaLM Table 3), rounded down")


# TensorRT-LLM v0.5 / v0.6.1 (XQA grouped-query decode kernels off by default, per its
# performance.md): fitted on cases.csv (S13-S14 are its GQA rows); used only to validate against rows from those versions.
LEGACY_ENGINE: dict[str, float] = {"gqa_kv_read_exponent": 0.91}


def default_calibration(accelerator: Accelerator) -> Calibration:
    return FAMILY.get(accelerator.family, FAMILY["ampere"])


def resolve_calibration(accelerator: Accelerator,
                        calib: Calibration | Mapping[str, float] | None = None) -> Calibration:
    """The family default, replaced by ``calib`` (a Calibration) or updated by a mapping of overrides."""
    if isinstance(calib, Calibration):
        return calib
    base = default_calibration(accelerator)
    if not calib:
        return base
    known = {f.name for f in fields(Calibration)}
    unknown = sorted(set(calib) - known)
    if unknown:
        raise InputError(f"unknown calibration field(s) {', '.join(unknown)}; valid: {', '.join(sorted(known))}")
    note = f"; overridden: {', '.join(sorted(calib))}"
    changes: dict[str, Any] = {**calib, "source": base.source + note, "training_source": base.training_source + note}
    return replace(base, **changes)

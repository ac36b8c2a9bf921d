"""Accelerator specifications: peak dense FLOP/s, memory, memory bandwidth, interconnect.

Figures are vendor datasheet values for *dense* math (datasheets often quote 2:4-sparse figures;
those are halved here). Memory sizes marketed as "80 GB" are 80 GiB of HBM (nvidia-smi reports
81,559 MiB on an H100 SXM), so ``memory_bytes`` uses GiB. ``link_bytes_per_s`` is the per-device
total (both directions) of the fastest link a tensor-parallel group uses: NVLink where the part has
it, otherwise PCIe. Chips without a native FP8 path run FP8 weights through 16-bit math
(weight-only quantization), so their ``fp8_flops`` equals ``bf16_flops``. T4 and V100 have no BF16;
their 16-bit figure is the FP16 tensor-core peak.

``family`` selects the efficiency figures of :mod:`planner.capacity.calibration`.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import get_close_matches

from planner.errors import UnknownNameError, suggest

GIB = 2**30
TERA = 1e12


@dataclass(frozen=True)
class Accelerator:
    id: str
    vendor: str
    family: str
    bf16_flops: float  # dense 16-bit tensor FLOP/s
    fp8_flops: float  # dense FP8 FLOP/s (== bf16_flops when there is no FP8 math)
    memory_bytes: float
    hbm_bytes_per_s: float
    link_bytes_per_s: float
    link: str  # nvlink | pcie | infinity-fabric | neuronlink | ici
    source: str

    @property
    def memory_gib(self) -> float:
        return self.memory_bytes / GIB

    @property
    def has_fp8(self) -> bool:
        return self.fp8_flops > self.bf16_flops

    def peak_flops(self, dtype: str) -> float:
        """Dense peak FLOP/s of the math used for weights stored as ``dtype``."""
        return self.fp8_flops if dtype == "fp8" else self.bf16_flops


def _acc(id: str, vendor: str, family: str, bf16_tf: float, fp8_tf: float | None, mem_gib: float,
         hbm_gb_s: float, link_gb_s: float, link: str, source: str) -> Accelerator:
    return Accelerator(id, vendor, family, bf16_tf * TERA, (fp8_tf or bf16_tf) * TERA, mem_gib * GIB,
                       hbm_gb_s * 1e9, link_gb_s * 1e9, link, source)


_NV = "NVIDIA {} datasheet"
ACCELERATORS: dict[str, Accelerator] = {a.id: a for a in (
    _acc("H100-SXM", "nvidia", "hopper", 989, 1979, 80, 3350, 900, "nvlink", _NV.format("H100 Tensor Core GPU")),
    _acc("H100-PCIE", "nvidia", "hopper", 756, 1513, 80, 2000, 128, "pcie",
         _NV.format("H100 Tensor Core GPU") + " (PCIe Gen5; NVLink bridge joins pairs only)"),
    _acc("H100-NVL", "nvidia", "hopper", 835, 1671, 94, 3900, 600, "nvlink",
         _NV.format("H100 Tensor Core GPU") + " (H100 NVL column)"),
    _acc("H200", "nvidia", "hopper", 989, 1979, 141, 4800, 900, "nvlink", _NV.format("H200 Tensor Core GPU")),
    _acc("B200", "nvidia", "blackwell", 2250, 4500, 180, 8000, 1800, "nvlink",
         _NV.format("HGX B200 / DGX B200") + " (per-GPU share of the 8-GPU board)"),
    _acc("A100-40GB", "nvidia", "ampere", 312, None, 40, 1555, 600, "nvlink", _NV.format("A100 Tensor Core GPU")),
    _acc("A100-80GB", "nvidia", "ampere", 312, None, 80, 2039, 600, "nvlink", _NV.format("A100 Tensor Core GPU")),
    _acc("L4", "nvidia", "ada", 121, 242, 24, 300, 64, "pcie", _NV.format("L4 Tensor Core GPU")),
    _acc("L40S", "nvidia", "ada", 362, 733, 48, 864, 64, "pcie", _NV.format("L40S GPU")),
    _acc("A10G", "nvidia", "ampere", 125, None, 24, 600, 64, "pcie",
         "AWS EC2 G5 page + NVIDIA A10 datasheet (A10G is an AWS variant; A10 figures assumed)"),
    _acc("A10", "nvidia", "ampere", 125, None, 24, 600, 64, "pcie", _NV.format("A10 Tensor Core GPU")),
    _acc("T4", "nvidia", "turing", 65, None, 16, 320, 32, "pcie", _NV.format("T4 Tensor Core GPU")),
    _acc("V100", "nvidia", "volta", 125, None, 16, 900, 300, "nvlink", _NV.format("V100 Tensor Core GPU") + " (SXM2)"),
    _acc("V100-32GB", "nvidia", "volta", 125, None, 32, 900, 300, "nvlink",
         _NV.format("V100 Tensor Core GPU") + " (SXM2 32 GB)"),
    _acc("MI300X", "amd", "cdna3", 1307, 2615, 192, 5300, 896, "infinity-fabric",
         "AMD Instinct MI300X datasheet"),
    _acc("Trainium1", "aws", "neuron", 190, None, 32, 820 * GIB / 1e9, 384, "neuronlink",
         "AWS Neuron docs: Trainium architecture (link figure approximate)"),
    _acc("Trainium2", "aws", "neuron", 667, 1299, 96, 2900, 1280, "neuronlink",
         "AWS Neuron docs: Trainium2 architecture (link figure approximate)"),
    _acc("Inferentia2", "aws", "neuron", 190, None, 32, 820 * GIB / 1e9, 384, "neuronlink",
         "AWS Neuron docs: Inferentia2 architecture (link figure approximate)"),
    _acc("TPU-v5e", "google", "tpu", 197, None, 16, 819, 400, "ici", "Google Cloud TPU v5e docs"),
    _acc("TPU-v5p", "google", "tpu", 459, None, 95, 2765, 600, "ici", "Google Cloud TPU v5p docs"),
    _acc("TPU-v6e", "google", "tpu", 918, None, 32, 1638, 800, "ici", "Google Cloud TPU v6e (Trillium) docs"),
)}

# Common spellings (matched case-insensitively, ignoring spaces, '_' and '-').
# Bare "a100" means the 80 GB part: it is what new clusters and cloud A100 instances with the
# most memory offer (p4de, a2-ultragpu, ND A100 v4); say a100-40gb for the 40 GB part.
ALIASES: dict[str, str] = {
    "h100": "H100-SXM", "h100sxm5": "H100-SXM", "h10080gb": "H100-SXM", "h100sxm80gb": "H100-SXM",
    "h100pcie80gb": "H100-PCIE", "h100nvl94gb": "H100-NVL", "h200sxm": "H200", "h200141gb": "H200",
    "b200sxm": "B200", "a100": "A100-80GB", "a10080g": "A100-80GB", "a100sxm80gb": "A100-80GB",
    "a10040g": "A100-40GB", "a100sxm40gb": "A100-40GB", "a100sxm": "A100-40GB", "nvidial4": "L4",
    "v10016gb": "V100", "v100sxm2": "V100", "v10032g": "V100-32GB", "mi300": "MI300X",
    "trn1": "Trainium1", "trainium": "Trainium1", "trn2": "Trainium2", "inf2": "Inferentia2",
    "inferentia": "Inferentia2", "tpuv5e": "TPU-v5e", "tpuv5litepod": "TPU-v5e", "v5e": "TPU-v5e",
    "tpuv5p": "TPU-v5p", "v5p": "TPU-v5p", "tpuv6e": "TPU-v6e", "v6e": "TPU-v6e", "trillium": "TPU-v6e",
}


def _key(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


_LOOKUP: dict[str, str] = {**{_key(k): k for k in ACCELERATORS}, **{_key(a): c for a, c in ALIASES.items()}}


def canonical_accelerator(name: str) -> str:
    """The canonical id for ``name`` (an id or alias, any case); raises UnknownNameError."""
    try:
        return _LOOKUP[_key(name)]
    except KeyError:
        pass
    msg = suggest(name, ACCELERATORS, what="accelerator")
    if "did you mean" not in msg:  # also try the aliases: 'H101' is close to 'h100'
        close = dict.fromkeys(_LOOKUP[k] for k in get_close_matches(_key(name), list(_LOOKUP), n=3, cutoff=0.6))
        if close:
            head = f"unknown accelerator {name!r}"
            msg = f"{head}; did you mean {' or '.join(repr(c) for c in close)}?{msg[len(head):]}"
    raise UnknownNameError(msg)


def get_accelerator(name: str) -> Accelerator:
    """Look up an accelerator by canonical id or alias (case-insensitive)."""
    return ACCELERATORS[canonical_accelerator(name)]


def list_accelerators() -> list[str]:
    return list(ACCELERATORS)

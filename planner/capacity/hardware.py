"""Accelerator specifications: peak dense FLOP/s, memory, memory bandwidth, interconnect.

Figures are vendor datasheet values for *dense* math (datasheets often quote 2:4-sparse figures;
those are halved here). Memory sizes marketed as "80 GB" are 80 GiB of HBM (nvidia-smi reports
81,559 MiB on an H100 SXM), so ``memory_bytes`` uses GiB. ``link_bytes_per_s`` is the per-device
total (both directions) of the fastest link a tensor-parallel group uses: NVLink where the part has
it, otherwise PCIe. Chips without a native FP8 path run FP8 weights through 16-bit math
(weight-only quantization), so their ``fp8_flops`` equals ``bf16_flops``. T4 and V100 have no BF16
(``has_bf16`` False): their 16-bit figure is the FP16 tensor-core peak, and BF16 requests run in FP16.

``node_size`` is how many devices share that fast link (one 8-GPU NVLink/NVSwitch board, a Trainium
instance, a TPU pod's ICI domain); a tensor- or expert-parallel group larger than a node crosses the
``internode_bytes_per_s`` link (per device, both directions: the node's RDMA network divided by its
devices, e.g. 400 Gb/s InfiniBand or EFA per H100).

``family`` selects the efficiency figures of :mod:`planner.capacity.calibration`.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import get_close_matches

from planner.errors import InputError, UnknownNameError, suggest
from pricing.accelerator_identity import identities, key, lookup_names, quirk, resolve

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
    node_size: int = 8  # devices joined by ``link`` (one board / instance / ICI domain)
    internode_bytes_per_s: float = 100e9  # per device, both directions, between nodes
    internode: str = ""  # where the inter-node figure comes from
    has_bf16: bool = True
    listed: bool = True  # False: known for published runs (H800) but not offered in cloud catalogs

    @property
    def fp16_name(self) -> str:
        """The 16-bit format its tensor cores run: 'bf16', or 'fp16' on parts without BF16."""
        return "bf16" if self.has_bf16 else "fp16"

    @property
    def memory_gib(self) -> float:
        return self.memory_bytes / GIB

    @property
    def has_fp8(self) -> bool:
        return self.fp8_flops > self.bf16_flops

    def peak_flops(self, dtype: str) -> float:
        """Dense peak FLOP/s of the math used for weights stored as ``dtype``."""
        return self.fp8_flops if dtype == "fp8" else self.bf16_flops


# Inter-node links per device (both directions): 400 Gb/s = 50 GB/s each way, the RDMA NIC per GPU of
# H100/H200/B200 clusters (AWS p5 3,200 Gb/s EFA per 8 GPUs; Azure ND H100 v5 8x400 Gb/s InfiniBand;
# DeepSeek-V3 report arXiv:2412.19437 section 3.2.2: IB 50 GB/s per H800).
_IB400 = (100e9, "400 Gb/s RDMA per GPU (AWS p5 EFA 3,200 Gb/s per 8 GPUs; Azure ND H100 v5 InfiniBand)")
_IB200 = (50e9, "200 Gb/s per GPU (Azure ND A100 v4 HDR InfiniBand; AWS p4d has 400 Gb/s per 8 GPUs)")
_ETH = (12.5e9, "about 50 Gb/s per GPU (Ethernet of PCIe-GPU instances, e.g. AWS g6e.48xlarge 400 Gb/s per 8)")


def _acc(id: str, vendor: str, family: str, bf16_tf: float, fp8_tf: float | None,
         hbm_gb_s: float, link_gb_s: float, link: str, source: str, node: int = 8,
         internode: tuple[float, str] = _IB400, bf16: bool = True) -> Accelerator:
    ident = identities()[id]  # memory and whether the clouds sell it: the identity table
    return Accelerator(id, vendor, family, bf16_tf * TERA, (fp8_tf or bf16_tf) * TERA, ident.memory_gib * GIB,
                       hbm_gb_s * 1e9, link_gb_s * 1e9, link, source, node, internode[0], internode[1], bf16,
                       ident.offered)


_NV = "NVIDIA {} datasheet"
ACCELERATORS: dict[str, Accelerator] = {a.id: a for a in (
    _acc("H100-SXM", "nvidia", "hopper", 989, 1979, 3350, 900, "nvlink", _NV.format("H100 Tensor Core GPU")),
    _acc("H100-PCIE", "nvidia", "hopper", 756, 1513, 2000, 128, "pcie",
         _NV.format("H100 Tensor Core GPU") + " (PCIe Gen5; NVLink bridge joins pairs only)", internode=_ETH),
    _acc("H100-NVL", "nvidia", "hopper", 835, 1671, 3900, 600, "nvlink",
         _NV.format("H100 Tensor Core GPU") + " (H100 NVL column)", node=2,
         internode=(128e9, "PCIe Gen5 x16 between NVLink-bridged pairs")),
    _acc("H800", "nvidia", "hopper", 989, 1979, 3350, 400, "nvlink",
         _NV.format("H800 Tensor Core GPU") + " (H100 SXM compute and memory, NVLink 400 GB/s)",
         internode=(100e9, "DeepSeek-V3 report arXiv:2412.19437 section 3.2.2: InfiniBand 50 GB/s per H800")),
    _acc("H200", "nvidia", "hopper", 989, 1979, 4800, 900, "nvlink", _NV.format("H200 Tensor Core GPU")),
    _acc("B200", "nvidia", "blackwell", 2250, 4500, 8000, 1800, "nvlink",
         _NV.format("HGX B200 / DGX B200") + " (per-GPU share of the 8-GPU board)"),
    _acc("A100-40GB", "nvidia", "ampere", 312, None, 1555, 600, "nvlink", _NV.format("A100 Tensor Core GPU"),
         internode=_IB200),
    _acc("A100-80GB", "nvidia", "ampere", 312, None, 2039, 600, "nvlink", _NV.format("A100 Tensor Core GPU"),
         internode=_IB200),
    _acc("L4", "nvidia", "ada", 121, 242, 300, 64, "pcie", _NV.format("L4 Tensor Core GPU"), internode=_ETH),
    _acc("L40S", "nvidia", "ada", 362, 733, 864, 64, "pcie", _NV.format("L40S GPU"), internode=_ETH),
    _acc("A10G", "nvidia", "ampere", 125, None, 600, 64, "pcie",
         "AWS EC2 G5 page + NVIDIA A10 datasheet (A10G is an AWS variant; A10 figures assumed)", internode=_ETH),
    _acc("A10", "nvidia", "ampere", 125, None, 600, 64, "pcie", _NV.format("A10 Tensor Core GPU"),
         internode=_ETH),
    _acc("T4", "nvidia", "turing", 65, None, 320, 32, "pcie", _NV.format("T4 Tensor Core GPU"), internode=_ETH,
         bf16=False),
    _acc("V100", "nvidia", "volta", 125, None, 900, 300, "nvlink", _NV.format("V100 Tensor Core GPU") + " (SXM2)",
         internode=(25e9, "100 Gb/s per 8 GPUs to 100 Gb/s per GPU (AWS p3dn, Azure NDv2)"), bf16=False),
    _acc("V100-32GB", "nvidia", "volta", 125, None, 900, 300, "nvlink",
         _NV.format("V100 Tensor Core GPU") + " (SXM2 32 GB)",
         internode=(25e9, "100 Gb/s per 8 GPUs to 100 Gb/s per GPU (AWS p3dn, Azure NDv2)"), bf16=False),
    _acc("MI300X", "amd", "cdna3", 1307, 2615, 5300, 896, "infinity-fabric",
         "AMD Instinct MI300X datasheet", internode=(100e9, "Azure ND MI300X v5: 400 Gb/s InfiniBand per GPU")),
    _acc("Trainium1", "aws", "neuron", 190, None, 820 * GIB / 1e9, 384, "neuronlink",
         "AWS Neuron docs: Trainium architecture (link figure approximate)", node=16,
         internode=(12.5e9, "AWS trn1.32xlarge: 800 Gb/s EFA per 16 chips")),
    _acc("Trainium2", "aws", "neuron", 667, 1299, 2900, 1280, "neuronlink",
         "AWS Neuron docs: Trainium2 architecture (link figure approximate)", node=16,
         internode=(50e9, "AWS trn2.48xlarge: 3.2 Tb/s EFA per 16 chips")),
    _acc("Inferentia2", "aws", "neuron", 190, None, 820 * GIB / 1e9, 384, "neuronlink",
         "AWS Neuron docs: Inferentia2 architecture (link figure approximate)", node=12,
         internode=(2e9, "AWS inf2.48xlarge: 100 Gb/s per 12 chips")),
    _acc("TPU-v5e", "google", "tpu", 197, None, 819, 400, "ici", "Google Cloud TPU v5e docs", node=256,
         internode=(25e9, "data-center network between slices (assumed 100 Gb/s per chip)")),
    _acc("TPU-v5p", "google", "tpu", 459, None, 2765, 600, "ici", "Google Cloud TPU v5p docs", node=8960,
         internode=(25e9, "data-center network between slices (assumed 100 Gb/s per chip)")),
    _acc("TPU-v6e", "google", "tpu", 918, None, 1638, 800, "ici", "Google Cloud TPU v6e (Trillium) docs",
         node=256, internode=(25e9, "data-center network between slices (assumed 100 Gb/s per chip)")),
)}

def canonical_accelerator(name: str) -> str:
    """The canonical id for ``name`` as a person writes it (an id or alias, any case); raises InputError.

    Names come from the one identity table pricing reads too (:mod:`pricing.accelerator_identity`). A bare
    "a100" is refused: A100s come with 40 or 80 GB, and price lists use the bare name for the 40 GB part.
    """
    canon = resolve(name, "user")
    if canon is not None:
        return canon
    q = quirk(name)
    if q is not None:
        choices = " or ".join(repr(c) for c in q.did_you_mean)
        raise InputError(f"accelerator {name!r} does not name one part: {q.why}; did you mean {choices}?")
    msg = suggest(name, ACCELERATORS, what="accelerator")
    if "did you mean" not in msg:  # also try the aliases: 'H101' is close to 'h100'
        names = lookup_names()
        close = dict.fromkeys(names[k] for k in get_close_matches(key(name), list(names), n=3, cutoff=0.6))
        if close:
            head = f"unknown accelerator {name!r}"
            msg = f"{head}; did you mean {' or '.join(repr(c) for c in close)}?{msg[len(head):]}"
    raise UnknownNameError(msg)


def get_accelerator(name: str) -> Accelerator:
    """Look up an accelerator by canonical id or alias (case-insensitive)."""
    return ACCELERATORS[canonical_accelerator(name)]


def list_accelerators() -> list[str]:
    """The accelerators sizing considers by default (those clouds offer)."""
    return [a.id for a in ACCELERATORS.values() if a.listed]

"""Instance shapes (vCPUs, memory, accelerators) and canonical accelerator names.

The shape table lives in ``pricing/data/instances.csv`` (provider, instance_type, family, accelerator,
accelerator_count, vcpus, memory_gib, local_ssd_gib, on_demand) and is read once, on first use.
``local_ssd_gib`` is local SSD that comes with the machine type and is billed with it (GCP A2 Ultra and
A3 machines); ``on_demand`` is ``no`` for types the provider does not sell on demand (GCP sells
a3-highgpu-1g/2g/4g and a3-ultragpu-8g only as Spot, flex-start or reservations).

Naming of GCP N1 machines with attached GPUs: ``<n1 machine type>+<GPU>x<count>``, for example
``n1-standard-8+T4x1`` (an n1-standard-8 host with one NVIDIA T4 attached). The part before ``+`` is
the real machine type; the suffix names the attached accelerator by its canonical id.

Accelerator ids are canonical across providers: ``H100-SXM`` whether AWS calls it "H100", GCP
"nvidia-h100-80gb" or SkyPilot "H100-MEGA". :func:`canonical_accelerator` does the mapping.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

CANONICAL_ACCELERATORS: tuple[str, ...] = (
    "H100-SXM",
    "H100-PCIE",
    "H100-NVL",
    "H200",
    "B200",
    "A100-40GB",
    "A100-80GB",
    "L4",
    "L40S",
    "A10G",
    "A10",
    "T4",
    "V100",
    "V100-32GB",
    "MI300X",
    "Trainium1",
    "Trainium2",
    "Inferentia2",
    "TPU-v5e",
    "TPU-v5p",
    "TPU-v6e",
)


@dataclass(frozen=True)
class InstanceShape:
    provider: str
    instance_type: str
    family: str
    accelerator: str | None
    accelerator_count: int
    vcpus: float
    memory_gib: float
    local_ssd_gib: float = 0.0  # local SSD bundled with the type and billed with it (GCP A2 Ultra, A3)
    sold_on_demand: bool = True  # False: the provider sells it only as spot, flex-start or reservations


@cache
def _table() -> dict[tuple[str, str], InstanceShape]:
    text = (resources.files("pricing") / "data" / "instances.csv").read_text(encoding="utf-8")
    table: dict[tuple[str, str], InstanceShape] = {}
    for row in csv.DictReader(line for line in text.splitlines() if not line.startswith("#")):
        shape = InstanceShape(
            provider=row["provider"],
            instance_type=row["instance_type"],
            family=row["family"],
            accelerator=row["accelerator"] or None,
            accelerator_count=int(row["accelerator_count"] or 0),
            vcpus=float(row["vcpus"]),
            memory_gib=float(row["memory_gib"]),
            local_ssd_gib=float(row.get("local_ssd_gib") or 0),
            sold_on_demand=(row.get("on_demand") or "yes").strip().lower() != "no",
        )
        table[(shape.provider, shape.instance_type.lower())] = shape
    return table


def instance_shape(provider: str, instance_type: str) -> InstanceShape | None:
    """The shape of ``instance_type`` on ``provider`` (case-insensitive), or None if not in the table."""
    return _table().get((provider.lower(), instance_type.strip().lower()))


def shapes(provider: str | None = None) -> list[InstanceShape]:
    """All known shapes, optionally of one provider, in table order."""
    p = provider.lower() if provider else None
    return [s for s in _table().values() if p is None or s.provider == p]


# Aliases after normalization (lower case; "nvidia"/"tesla"/"amd"/"instinct" words dropped;
# spaces and underscores turned into "-").
_ALIASES: dict[str, str] = {
    "h100": "H100-SXM",
    "h100-sxm": "H100-SXM",
    "h100-sxm5": "H100-SXM",
    "h100-80gb": "H100-SXM",
    "h100-mega": "H100-SXM",
    "h100-mega-80gb": "H100-SXM",
    "h100-pcie": "H100-PCIE",
    "h100-nvl": "H100-NVL",
    "h100-94gb": "H100-NVL",
    "h200": "H200",
    "h200-141gb": "H200",
    "b200": "B200",
    "a100": "A100-40GB",
    "a100-40gb": "A100-40GB",
    "a100-sxm4-40gb": "A100-40GB",
    "a100-80gb": "A100-80GB",
    "a100-sxm4-80gb": "A100-80GB",
    "l4": "L4",
    "l40s": "L40S",
    "a10g": "A10G",
    "a10": "A10",
    "t4": "T4",
    "v100": "V100",
    "v100-16gb": "V100",
    "v100-32gb": "V100-32GB",
    "mi300x": "MI300X",
    "trainium": "Trainium1",
    "trainium1": "Trainium1",
    "trainium2": "Trainium2",
    "inferentia2": "Inferentia2",
    "tpu-v5e": "TPU-v5e",
    "tpu-v5-lite": "TPU-v5e",
    "tpu-v5litepod": "TPU-v5e",
    "tpu-v5p": "TPU-v5p",
    "tpu-v6e": "TPU-v6e",
}
_DROP_WORDS = re.compile(r"\b(nvidia|tesla|amd|instinct|aws)\b-?")
_TPU_SLICE = re.compile(r"^(tpu-v5litepod|tpu-v5p|tpu-v6e|tpu-v5e)-\d+$")


def _normalize(name: str) -> str:
    key = re.sub(r"[\s_]+", "-", name.strip().lower())
    key = _DROP_WORDS.sub("", key).strip("-")
    slice_match = _TPU_SLICE.match(key)
    return slice_match.group(1) if slice_match else key


def canonical_accelerator(
    name: str, provider: str | None = None, memory_gib: float | None = None
) -> str | None:
    """Map an accelerator name as providers and SkyPilot catalogs spell it to a canonical id.

    ``memory_gib`` is the memory of one accelerator when the caller knows it; it tells the 40 GB
    A100 from the 80 GB one, the 16 GB V100 from the 32 GB one, and the H100 NVL (94 GB) from the
    80 GB H100. ``provider`` is accepted for symmetry with the other lookups; names here mean the
    same on every provider (AWS and Azure call the 40 GB A100 "A100" as SkyPilot does).
    Returns None for a name that is not known (for example Inferentia1 or a P100).
    """
    if not name or not name.strip():
        return None
    exact = {a.lower(): a for a in CANONICAL_ACCELERATORS}.get(name.strip().lower())
    canon = exact or _ALIASES.get(_normalize(name))
    if canon is None or memory_gib is None:
        return canon
    if canon == "A100-40GB" and memory_gib >= 64:
        return "A100-80GB"
    if canon == "V100" and memory_gib >= 24:
        return "V100-32GB"
    if canon == "H100-SXM" and memory_gib >= 88:
        return "H100-NVL"
    return canon

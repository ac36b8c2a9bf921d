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
"nvidia-h100-80gb" or SkyPilot "H100-MEGA". :func:`canonical_accelerator` does the mapping with the one
identity table that sizing reads too (:mod:`pricing.accelerator_identity`), as price lists mean the names.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

from pricing.accelerator_identity import identities, resolve

# The canonical ids of the parts the clouds sell, in table order (pricing/data/accelerators.csv).
CANONICAL_ACCELERATORS: tuple[str, ...] = tuple(i.id for i in identities().values() if i.offered)


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


def canonical_accelerator(
    name: str, provider: str | None = None, memory_gib: float | None = None
) -> str | None:
    """Map an accelerator name as a provider's price list or a SkyPilot catalog spells it to a canonical id.

    Names are read as price lists mean them (:mod:`pricing.accelerator_identity`): bare "A100" is the
    40 GB part, as AWS (p4d), Azure (ND96asr_v4), GCP (nvidia-tesla-a100) and SkyPilot use it.
    ``memory_gib`` is the memory of one accelerator when the caller knows it; it picks among the parts of
    one chip (40 or 80 GB A100, 16 or 32 GB V100, 80 GB H100 or 94 GB H100 NVL). ``provider`` is accepted
    for symmetry with the other lookups; names mean the same on every provider.
    Returns None for a name that is not known (for example a first-generation Inferentia or a P100).
    """
    return resolve(name, "price_list", memory_gib)

"""Classify Cloud Catalog SKUs and compose GCP machine prices from their parts.

A Compute Engine machine is billed in parts: ``vcpus x <family> core SKU + memory_gib x <family>
RAM SKU + accelerators x GPU SKU``. Part SKUs are recognised from their description:

* ``N2 Instance Core running in Americas``, ``Spot Preemptible N2 Instance Core ...``,
  ``N1 Predefined Instance Ram ...``, ``Commitment v1: N2 Cpu in Americas for 1 Year`` -> (family, core|ram)
* ``N2D AMD Instance Core ...`` (vendor word dropped), ``Commitment v1: Cpu in ...`` (N1 commitments)
* ``Nvidia Tesla T4 GPU running in ...``, ``Nvidia H100 80GB GPU attached to Spot Preemptible VMs ...``,
  ``H200 141GB GPU running in ...``,
  ``Commitment v1: Nvidia ... GPU in ...`` -> (canonical accelerator, variant); the variant is
  "Mega" for ``Nvidia H100 80GB Mega GPU`` (priced for a3-megagpu machines only), else empty

and the purchase option from ``category.usage_type`` (OnDemand, Preemptible = spot, Commit1Yr,
Commit3Yr). Custom, sole-tenant and licence SKUs match none of the patterns and are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pricing.schema import Offer
from pricing.sources.base import plain

USAGE_TYPES = {
    "OnDemand": "on_demand",
    "Preemptible": "spot",
    "Commit1Yr": "committed_1y",
    "Commit3Yr": "committed_3y",
}
PART_UNITS = {"core": "h", "ram": "GiBy.h", "gpu": "h"}
# Shape family (pricing/instances.py) -> the family word in SKU descriptions, where not the upper-cased prefix.
SKU_FAMILY = {"a3-megagpu": "A3 Mega", "a3-ultragpu": "A3 Ultra"}
_PREFIX = re.compile(r"^(?:Spot Preemptible|Preemptible|Commitment(?: v\d+)?:)\s+")
_SUFFIX = re.compile(r" (?:attached to|running in|in|for) .*$")
_GPU = re.compile(r"^(?:Nvidia )?(?P<name>[A-Z][\w ]*?) GPU$", re.IGNORECASE)
_PART = re.compile(
    r"^(?:(?P<fam>[A-Z]\d[A-Z]?(?: (?:Mega|Ultra))?)(?: AMD| Intel| Arm)? )?(?:Predefined )?(?:Instance )?"
    r"(?P<part>Core|Cpu|Ram)$"
)
_STORAGE = re.compile(r"^(?P<cls>Standard|Nearline|Coldline|Archive) Storage ")
STORAGE_CLASS = {"Standard": "object_standard", "Nearline": "object_infrequent", "Archive": "object_archive"}
_EGRESS = re.compile(r"^Network Internet (?:Egress|Data Transfer Out) from (?P<src>.+?) to (?P<dst>.+)$")
EGRESS_DESTINATION = "Americas"


@dataclass(frozen=True)
class Part:
    key: tuple[str, ...]  # ("core", "N2") / ("ram", "N2") / ("gpu", "T4", "")
    option: str
    region: str
    usd: Decimal
    sku_id: str
    effective_date: str


def money(units: Any, nanos: Any) -> Decimal:
    """google.type.Money -> Decimal exactly: units + nanos / 1e9."""
    return plain(Decimal(int(units)) + Decimal(int(nanos)).scaleb(-9))


def sku_family(shape_family: str) -> str:
    return SKU_FAMILY.get(shape_family, shape_family.split("-")[0].upper())


def part_key(description: str) -> tuple[str, ...] | None:
    """("core"|"ram", family) or ("gpu", canonical accelerator, variant) for a machine-part SKU."""
    from pricing.instances import canonical_accelerator

    head = _SUFFIX.sub("", _PREFIX.sub("", description.strip()))
    m = _GPU.match(head)
    if m:
        name, variant = m["name"], ""
        if (
            " Mega" in f" {name} "
        ):  # A3 Mega machines have their own H100 SKUs ("H100 80GB Mega", "H100 Mega 80GB")
            name, variant = " ".join(w for w in name.split() if w != "Mega"), "Mega"
        canon = canonical_accelerator(name, provider="gcp")
        return ("gpu", canon, variant) if canon else None
    m = _PART.match(head)
    if m and (m["fam"] or description.startswith("Commitment")):
        # N1 commitments name no family: "Commitment v1: Cpu in Americas for 1 Year"
        return ("core" if m["part"] in ("Core", "Cpu") else "ram", m["fam"] or "N1")
    return None


def shape_parts(shape: Any) -> list[tuple[tuple[str, ...], Decimal]]:
    """(part key, quantity) pairs a machine shape is billed for."""
    fam = sku_family(shape.family)
    parts: list[tuple[tuple[str, ...], Decimal]] = [
        (("core", fam), Decimal(str(shape.vcpus))),
        (("ram", fam), Decimal(str(shape.memory_gib))),
    ]
    if shape.accelerator and shape.accelerator_count:
        variant = "Mega" if fam == "A3 Mega" else ""
        parts.append((("gpu", shape.accelerator, variant), Decimal(shape.accelerator_count)))
    return parts


def compose(
    shapes: Iterable[Any], parts: dict[tuple, Part], regions: Iterable[str], fetched_at: str, source: str
) -> Iterator[Offer]:
    """One offer per (shape, region, option) where at least one part is sold; price None if any part is not."""
    by_region_option: dict[tuple[str, str], None] = {(p.region, p.option): None for p in parts.values()}
    wanted = set(regions)
    for shape in shapes:
        needed = shape_parts(shape)
        for region, option in by_region_option:
            if region not in wanted:
                continue
            found = [(parts.get((key, option, region)), qty) for key, qty in needed]
            present = [(p, q) for p, q in found if p is not None]
            if not present:
                continue
            complete = len(present) == len(found)
            yield Offer(
                provider="gcp",
                service="Compute Engine",
                sku="+".join(p.sku_id for p, _ in present),
                region=region,
                resource="instance",
                purchase_option=option,
                unit="hour",
                price=plain(sum((p.usd * q for p, q in present), Decimal(0))) if complete else None,
                source=source,
                effective_date=max(p.effective_date for p, _ in present),
                fetched_at=fetched_at,
                instance_type=shape.instance_type,
                accelerator=shape.accelerator,
                accelerator_count=shape.accelerator_count,
                vcpus=shape.vcpus,
                memory_gib=shape.memory_gib,
            )


def storage_class(description: str) -> str | None | bool:
    """The storage class of a Cloud Storage SKU; None if not a storage SKU, False if a class not modeled."""
    m = _STORAGE.match(description)
    if not m:
        return None
    return STORAGE_CLASS.get(m["cls"], False)


def egress_destination(description: str) -> str | None:
    m = _EGRESS.match(description)
    return m["dst"] if m else None

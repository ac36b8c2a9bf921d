"""Classify Cloud Catalog SKUs and compose GCP machine prices from their parts.

A Compute Engine machine is billed in parts: ``vcpus x <family> core SKU + memory_gib x <family>
RAM SKU + accelerators x GPU SKU``, plus the local SSD bundled with A2 Ultra and A3 machine types
(``local_ssd_gib x`` a per-GiB-month SKU, / 730 for an hourly figure). Part SKUs are recognised from
their description:

* ``N2 Instance Core running in Americas``, ``Spot Preemptible N2 Instance Core ...``,
  ``N1 Predefined Instance Ram ...``, ``Commitment v1: N2 Cpu in Americas for 1 Year`` -> (family, core|ram)
* ``N2D AMD Instance Core ...`` (vendor word dropped), ``Commitment v1: Cpu in ...`` (N1 commitments)
* A3 hosts: ``A3 Instance Core/Ram`` (A3 High), ``A3Plus Instance Core/Ram`` (A3 Mega; also written
  "A3 Mega"), ``A3Ultra Instance Core/Ram`` (A3 Ultra); ``DWS Defined Duration A3 Core ...``
* ``Nvidia Tesla T4 GPU running in ...``, ``Nvidia H100 80GB GPU attached to Spot Preemptible VMs ...``,
  ``H200 141GB GPU running in ...``, ``Commitment v1: Nvidia ... GPU in ...`` -> (canonical
  accelerator, variant); the variant is "Mega" for the A3 Mega GPU (``Nvidia H100 80GB Plus GPU``,
  also spelt "H100 80GB Mega" / "H100 Mega 80GB"), priced for a3-megagpu machines only, else empty
* ``SSD backed Local Storage`` (optionally "in <city>", "attached to Spot Preemptible VMs ...") and
  ``<family> Instance Local SSD ...`` -> ("local_ssd", family or "")

The purchase option comes from the description first and ``category.usage_type`` second
(:func:`purchase_option`), because GCP lists DWS flex-start, calendar-mode and reserved SKUs with
usage type OnDemand, sometimes ahead of the standard SKU of the same part. Custom, sole-tenant and
licence SKUs match none of the patterns and are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from pricing.schema import Offer
from pricing.schema import plain as written
from pricing.sources.base import plain

USAGE_TYPES = {
    "OnDemand": "on_demand",
    "Preemptible": "spot",
    "Commit1Yr": "committed_1y",
    "Commit3Yr": "committed_3y",
}
PART_UNITS = {"core": "h", "ram": "GiBy.h", "gpu": "h", "local_ssd": "GiBy.mo"}
MACHINE_PARTS = ("core", "ram", "gpu")
HOURS_PER_MONTH = Decimal(730)  # GCP's own month for hourly prices of per-month resources
NANO = Decimal("0.000000001")  # the catalog's precision (google.type.Money nanos)
# Options whose bundled local SSD is billed at the on-demand local SSD SKU when the listing has no
# local SSD SKU of that option (spot has its own local SSD SKU; without it the price is missing).
SSD_AT_ON_DEMAND_RATE = ("committed_1y", "committed_3y", "flex_start", "calendar")
# Shape family (pricing/instances.py) -> the family word in SKU descriptions, where not the upper-cased prefix.
SKU_FAMILY = {"a3-megagpu": "A3 Mega", "a3-ultragpu": "A3 Ultra"}
# Family words as SKU descriptions spell them -> the names above.
_FAMILY_ALIASES = {"A3Plus": "A3 Mega", "A3 Plus": "A3 Mega", "A3Mega": "A3 Mega", "A3Ultra": "A3 Ultra"}
_PREFIX = re.compile(
    r"^(?:Spot Preemptible|Preemptible|Commitment(?: v\d+)?:|DWS Defined Duration|Reserved)\s+"
)
_SUFFIX = re.compile(r" (?:attached to|running in|in|for) .*$")
_GPU = re.compile(r"^(?:Nvidia )?(?P<name>[A-Z][\w ]*?) GPU$", re.IGNORECASE)
_FAM = r"[A-Z]\d[A-Z]?(?:Plus|Ultra|Mega| Plus| Ultra| Mega)?"
_PART = re.compile(
    rf"^(?:(?P<fam>{_FAM})(?: AMD| Intel| Arm)? )?(?:Predefined )?(?:Instance )?(?P<part>Core|Cpu|Ram)$"
)
_LOCAL_SSD = re.compile(rf"^(?:(?P<fam>{_FAM}) Instance Local SSD|SSD backed Local Storage|Local SSD)$")
_STORAGE = re.compile(r"^(?P<cls>Standard|Nearline|Coldline|Archive) Storage ")
STORAGE_CLASS = {"Standard": "object_standard", "Nearline": "object_infrequent", "Archive": "object_archive"}
_EGRESS = re.compile(r"^Network Internet (?:Egress|Data Transfer Out) from (?P<src>.+?) to (?P<dst>.+)$")
EGRESS_DESTINATION = "Americas"
_DWS = re.compile(r"\bDWS\b|\bDefined Duration\b", re.IGNORECASE)
_CALENDAR = re.compile(r"\bCalendar Mode\b", re.IGNORECASE)
_SOLE_TENANT = re.compile(r"\bSole Tenan(?:cy|t)\b", re.IGNORECASE)
_RESERVED = re.compile(r"\bReserv(?:ed|ation)\b", re.IGNORECASE)
_COMMITMENT = re.compile(r"\bCommitment\b", re.IGNORECASE)
_SPOT = re.compile(r"\bPreemptible\b", re.IGNORECASE)


@dataclass(frozen=True)
class Part:
    key: tuple[str, ...]  # ("core", "N2") / ("ram", "N2") / ("gpu", "T4", "") / ("local_ssd", "")
    option: str
    region: str
    usd: Decimal
    sku_id: str
    effective_date: str


def money(units: Any, nanos: Any) -> Decimal:
    """google.type.Money -> Decimal exactly: units + nanos / 1e9."""
    return plain(Decimal(int(units)) + Decimal(int(nanos)).scaleb(-9))


def purchase_option(description: str, usage_type: str) -> tuple[str | None, str]:
    """(purchase option, "") for a SKU, or (None, skip reason) when it is never one we price.

    The description decides before the usage type, since GCP gives these usage type OnDemand:
    "Sole Tenancy"/"Sole Tenant" parts -> skipped; "Calendar Mode" -> calendar (checked before
    "Reserved", which calendar-mode GPU SKUs also say); "DWS Defined Duration" / "attached to DWS ..."
    -> flex_start; "Reserved ..." -> skipped; "Commitment ..." -> committed_1y/3y with a Commit1Yr /
    Commit3Yr usage type, skipped with any other. "Preemptible" in the description or usage type
    Preemptible -> spot (GCP lists the spot local SSD SKU with usage type OnDemand); else OnDemand ->
    on_demand.
    """
    if _SOLE_TENANT.search(description):
        return None, "sole_tenancy"
    commit = usage_type in ("Commit1Yr", "Commit3Yr")
    if _CALENDAR.search(description):
        return ("calendar", "") if usage_type == "OnDemand" else (None, "usage_type_not_modeled")
    if _DWS.search(description):
        return ("flex_start", "") if usage_type == "OnDemand" else (None, "usage_type_not_modeled")
    if _RESERVED.search(description):
        return None, "reserved"
    if _COMMITMENT.search(description) or commit:
        return (USAGE_TYPES[usage_type], "") if commit else (None, "commitment_not_on_demand")
    if _SPOT.search(description) and usage_type in ("OnDemand", "Preemptible"):
        return "spot", ""
    option = USAGE_TYPES.get(usage_type)
    return (option, "") if option else (None, "usage_type_not_modeled")


def sku_family(shape_family: str) -> str:
    return SKU_FAMILY.get(shape_family, shape_family.split("-")[0].upper())


def _family(word: str | None) -> str:
    return _FAMILY_ALIASES.get(word, word) if word else ""


def _head(description: str) -> str:
    """The part name of a description: purchase-option prefixes and "running in ..." tails dropped."""
    head = description.strip()
    for _ in range(3):  # "Reserved ..." or "Commitment v1: ..." after "Spot Preemptible"
        shorter = _PREFIX.sub("", head)
        if shorter == head:
            break
        head = shorter
    return _SUFFIX.sub("", head)


def part_key(description: str) -> tuple[str, ...] | None:
    """("core"|"ram", family), ("gpu", canonical accelerator, variant) or ("local_ssd", family)."""
    from pricing.instances import canonical_accelerator

    head = _head(description)
    m = _GPU.match(head)
    if m:
        words = m["name"].split()
        # A3 Mega machines have their own H100 SKUs ("H100 80GB Plus", "H100 80GB Mega", "H100 Mega 80GB")
        variant = "Mega" if {"Mega", "Plus"} & set(words) else ""
        canon = canonical_accelerator(" ".join(w for w in words if w not in ("Mega", "Plus")), provider="gcp")
        return ("gpu", canon, variant) if canon else None
    m = _LOCAL_SSD.match(head)
    if m:
        return ("local_ssd", _family(m["fam"]))
    m = _PART.match(head)
    if m and (m["fam"] or description.startswith("Commitment")):
        # N1 commitments name no family: "Commitment v1: Cpu in Americas for 1 Year"
        return ("core" if m["part"] in ("Core", "Cpu") else "ram", _family(m["fam"]) or "N1")
    return None


def shape_parts(shape: Any) -> list[tuple[tuple[str, ...], Decimal]]:
    """(part key, quantity) pairs of the machine parts (core, RAM, GPU) a shape is billed for."""
    fam = sku_family(shape.family)
    parts: list[tuple[tuple[str, ...], Decimal]] = [
        (("core", fam), Decimal(str(shape.vcpus))),
        (("ram", fam), Decimal(str(shape.memory_gib))),
    ]
    if shape.accelerator and shape.accelerator_count:
        variant = "Mega" if fam == "A3 Mega" else ""
        parts.append((("gpu", shape.accelerator, variant), Decimal(shape.accelerator_count)))
    return parts


def local_ssd_part(
    shape: Any, option: str, region: str, parts: dict[tuple, Part]
) -> tuple[Part | None, bool]:
    """The local SSD SKU pricing ``shape``'s bundled SSD under ``option``, and whether it is the on-demand one.

    The family's own local SSD SKU ("A3 Instance Local SSD") is preferred to the generic "SSD backed
    Local Storage"; options in :data:`SSD_AT_ON_DEMAND_RATE` fall back to the on-demand SKU.
    """
    fam = sku_family(shape.family)
    for opt in (option, "on_demand") if option in SSD_AT_ON_DEMAND_RATE else (option,):
        for key in (("local_ssd", fam), ("local_ssd", "")):
            if (key, opt, region) in parts:
                return parts[(key, opt, region)], opt != option
    return None, False


def local_ssd_hourly(gib: Decimal, per_gib_month: Decimal) -> Decimal:
    """GiB x price per GiB-month / 730, rounded half-even to the catalog's nine decimals."""
    return (gib * per_gib_month / HOURS_PER_MONTH).quantize(NANO, rounding=ROUND_HALF_EVEN)


def _ssd_note(gib: Decimal, ssd: Part | None, at_on_demand: bool, option: str) -> str:
    if ssd is None:
        return f"; bundled local SSD {written(gib)} GiB unpriced (no local SSD SKU for {option})"
    note = f"; incl. bundled local SSD {written(gib)} GiB x {written(ssd.usd)} per GiB-month / 730"
    return note + (f" (on-demand rate: no {option} local SSD SKU)" if at_on_demand else "")


def compose(
    shapes: Iterable[Any], parts: dict[tuple, Part], regions: Iterable[str], fetched_at: str, source: str
) -> Iterator[Offer]:
    """One offer per (shape, region, option) where one of its core/RAM/GPU parts is sold under that option.

    The price is the sum of the parts x quantities (and the bundled local SSD, hourly); None when
    any part is not listed, never a partial sum. Shapes not sold on demand get no on_demand offer.
    """
    options: dict[str, dict[str, None]] = {}
    for p in parts.values():
        if p.key[0] in MACHINE_PARTS:
            options.setdefault(p.region, {})[p.option] = None
    for shape in shapes:
        needed = shape_parts(shape)
        gib = plain(Decimal(str(getattr(shape, "local_ssd_gib", 0) or 0)))
        for region in dict.fromkeys(regions):
            for option in options.get(region, {}):
                if option == "on_demand" and not getattr(shape, "sold_on_demand", True):
                    continue
                found = [(parts.get((key, option, region)), qty) for key, qty in needed]
                present = [(p, q) for p, q in found if p is not None]
                if not present:
                    continue
                complete = len(present) == len(found)
                total = sum((p.usd * q for p, q in present), Decimal(0))
                note = ""
                if gib:
                    ssd, at_on_demand = local_ssd_part(shape, option, region, parts)
                    note = _ssd_note(gib, ssd, at_on_demand, option)
                    if ssd is None:
                        complete = False
                    else:
                        present.append((ssd, gib))
                        total += local_ssd_hourly(gib, ssd.usd)
                yield Offer(
                    provider="gcp",
                    service="Compute Engine",
                    sku="+".join(p.sku_id for p, _ in present),
                    region=region,
                    resource="instance",
                    purchase_option=option,
                    unit="hour",
                    price=plain(total) if complete else None,
                    source=source + note,
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

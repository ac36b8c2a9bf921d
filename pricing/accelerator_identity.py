"""Accelerator identities: one canonical id per part, its memory, and the names it goes by.

The table is data: ``pricing/data/accelerators.csv`` (id, chip, memory_gib, offered, aliases) and
``pricing/data/accelerator-quirks.csv``, the few names that mean one part in a provider's price list and
are ambiguous when a person types them. Both layers read it: :mod:`pricing.instances` for names in
price lists, :mod:`planner.capacity.hardware` for names in scenarios and flags. It holds no prices and
no specifications and imports nothing but the standard library, so it sits at the bottom of the package
graph (as :mod:`pricing.errors` does): capacity reads it without reaching any price logic, and pricing
needs nothing from ``planner``.

Who wrote a name decides how it reads (``reader``):

- ``"price_list"``: provider APIs and SkyPilot catalogs. Bare "A100" is the 40 GB part there (AWS
  p4d.24xlarge, Azure ND96asr_v4, GCP nvidia-tesla-a100, SkyPilot's A100 rows); the memory per device,
  when the list gives it, picks among the parts of one chip (an "A100" of 81,920 MiB is A100-80GB).
- ``"user"``: a bare "a100" is refused, because A100s come with 40 or 80 GB and the two differ in
  memory and price; the caller reports :func:`quirk` (did you mean A100-40GB or A100-80GB?).

Every other name resolves the same way for both readers.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

Reader = Literal["price_list", "user"]

# words that never tell parts apart: vendor and brand names
_DROP_WORDS = frozenset({"nvidia", "tesla", "amd", "instinct", "aws"})


@dataclass(frozen=True)
class Identity:
    id: str
    chip: str  # parts of one chip differ in memory or form factor (A100-40GB / A100-80GB)
    memory_gib: float  # memory of one device
    offered: bool  # False: known for published runs but not sold by the clouds priced here
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class Quirk:
    name: str
    price_list: str | None  # what a price list means by it; None: a part not modelled
    user_input: str | None  # what a person means by it; None: refused
    did_you_mean: tuple[str, ...]
    why: str  # shown to a person whose input is refused
    evidence: str  # where the price-list meaning comes from


def key(name: str) -> str:
    """The lookup key of a name: lower-case letters and digits, brand words and a TPU slice's size dropped."""
    words = [w for w in re.split(r"[^a-z0-9]+", name.strip().lower()) if w and w not in _DROP_WORDS]
    if len(words) > 2 and words[0] == "tpu" and words[-1].isdigit():  # tpu-v5p-128: a slice of v5p chips
        words = words[:-1]
    return "".join(words)


def _rows(filename: str) -> list[dict[str, str]]:
    text = (resources.files("pricing") / "data" / filename).read_text(encoding="utf-8")
    return list(csv.DictReader(line for line in text.splitlines() if line and not line.startswith("#")))


@cache
def identities() -> dict[str, Identity]:
    """Every known part by canonical id, in table order."""
    out: dict[str, Identity] = {}
    for row in _rows("accelerators.csv"):
        ident = Identity(row["id"], row["chip"], float(row["memory_gib"]), row["offered"].strip() == "yes",
                         tuple((row["aliases"] or "").split()))
        if ident.id in out:
            raise ValueError(f"accelerators.csv: {ident.id} listed twice")
        out[ident.id] = ident
    return out


@cache
def _names() -> dict[str, str]:
    """Lookup key -> canonical id, for ids and aliases (not quirks)."""
    out: dict[str, str] = {}
    for ident in identities().values():
        for name in (ident.id, *ident.aliases):
            k = key(name)
            if out.get(k, ident.id) != ident.id:
                raise ValueError(f"accelerators.csv: {name!r} names both {out[k]} and {ident.id}")
            out[k] = ident.id
    return out


@cache
def quirks() -> dict[str, Quirk]:
    """Names read differently in price lists and in user input, by lookup key."""
    known = identities()
    out: dict[str, Quirk] = {}
    for row in _rows("accelerator-quirks.csv"):
        q = Quirk(row["name"], row["price_list"] or None, row["user_input"] or None,
                  tuple(row["did_you_mean"].split()), row["why"], row["evidence"])
        k = key(q.name)
        if k in _names() or k in out:
            raise ValueError(f"accelerator-quirks.csv: {q.name!r} is also an id or alias, or listed twice")
        bad = [i for i in (q.price_list, q.user_input, *q.did_you_mean) if i is not None and i not in known]
        if bad or (q.user_input is None and not q.did_you_mean):
            raise ValueError(f"accelerator-quirks.csv: {q.name!r} names unknown ids {bad} or offers no choice")
        out[k] = q
    return out


def resolve(name: str, reader: Reader, memory_gib: float | None = None) -> str | None:
    """The canonical id of ``name`` as ``reader`` means it; None if unknown (or refused: see :func:`quirk`).

    ``memory_gib`` (one device's memory, when a price list gives it) picks the part of the chip with the
    nearest memory: 40 or 80 GB A100, 16 or 32 GB V100, 80 GB H100 or 94 GB H100 NVL.
    """
    k = key(name)
    if not k:
        return None
    q = quirks().get(k)
    if q is not None:
        canon = q.price_list if reader == "price_list" else q.user_input
    else:
        canon = _names().get(k)
    if canon is None or memory_gib is None:
        return canon
    chip = identities()[canon].chip
    parts = [i for i in identities().values() if i.chip == chip]
    return min(parts, key=lambda i: (abs(i.memory_gib - memory_gib), i.id != canon)).id


def quirk(name: str) -> Quirk | None:
    """The quirk row of ``name``, if it is one of the names read differently by price lists and people."""
    return quirks().get(key(name))


def lookup_names() -> dict[str, str]:
    """Lookup key -> canonical id of every id and alias (for 'did you mean' suggestions)."""
    return dict(_names())

"""Catalogs: a named set of offers with provenance (source, fetched_at) and queries over it.

``embedded`` is the curated snapshot shipped in ``pricing/data``; other names are snapshots kept by
:mod:`pricing.store` under the user's data directory.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

from pricing.errors import CatalogError
from pricing.schema import Offer, read_offers_csv

EMBEDDED = "embedded"
STALE_AFTER_DAYS = 90


@dataclass(frozen=True)
class CatalogInfo:
    name: str
    source: str
    offers: int
    fetched_at: str
    active: bool = False
    oldest_price_at: str = ""  # the date of its oldest price: what its age is counted from ("" = fetched_at)
    damaged: str = ""  # why a stored snapshot cannot be used ("" = it can)

    @property
    def as_of(self) -> str:
        return self.oldest_price_at or self.fetched_at

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "source": self.source,
            "offers": self.offers,
            "fetched_at": self.fetched_at,
            "oldest_price_at": self.as_of,
            "active": self.active,
        }
        if self.damaged:
            out["damaged"] = self.damaged
        return out


@dataclass(eq=False)
class Catalog:
    name: str
    source: str
    fetched_at: str
    offers: list[Offer] = field(repr=False)

    @cached_property
    def _by_provider_region(self) -> dict[tuple[str, str], list[Offer]]:
        idx: dict[tuple[str, str], list[Offer]] = defaultdict(list)
        for o in self.offers:
            idx[(o.provider, o.region)].append(o)
        return dict(idx)

    def age_days(self, now: datetime | None = None) -> int:
        fetched = parse_when(self.fetched_at)
        return max(0, ((now or today()).date() - fetched).days)

    def is_stale(self, now: datetime | None = None, max_days: int = STALE_AFTER_DAYS) -> bool:
        return self.age_days(now) > max_days

    def info(self, active: bool = False) -> CatalogInfo:
        return CatalogInfo(self.name, self.source, len(self.offers), self.fetched_at, active)

    # -- vocabulary (for validation and "did you mean") -------------------------------------------
    def providers(self) -> list[str]:
        return sorted({p for p, _ in self._by_provider_region})

    def regions(self, provider: str | None = None) -> list[str]:
        return sorted({r for p, r in self._by_provider_region if provider in (None, p)})

    def instance_types(self, provider: str | None = None) -> list[str]:
        return sorted(
            {o.instance_type for o in self.offers if o.instance_type and provider in (None, o.provider)}
        )

    def accelerators(self, provider: str | None = None) -> list[str]:
        return sorted({o.accelerator for o in self.offers if o.accelerator and provider in (None, o.provider)})

    # -- queries --------------------------------------------------------------------------------
    def query(
        self,
        *,
        provider: str | None = None,
        region: str | None = None,
        resource: str | None = None,
        instance_type: str | None = None,
        accelerator: str | None = None,
        purchase_option: str | None = None,
        storage_class: str | None = None,
    ) -> list[Offer]:
        if provider is not None and region is not None:
            pool: list[Offer] = self._by_provider_region.get((provider, region), [])
        else:
            pool = self.offers
        acc = accelerator.lower() if accelerator else None
        itype = instance_type.lower() if instance_type else None
        return [
            o
            for o in pool
            if (provider is None or o.provider == provider)
            and (region is None or o.region == region)
            and (resource is None or o.resource == resource)
            and (itype is None or (o.instance_type or "").lower() == itype)
            and (acc is None or (o.accelerator or "").lower() == acc)
            and (purchase_option is None or o.purchase_option == purchase_option)
            and (storage_class is None or o.storage_class == storage_class)
        ]


def today() -> datetime:
    """Now, or the date pinned by ``PLANNER_NOW=YYYY-MM-DD`` (for reproducible outputs and tests)."""
    from pricing.env import pinned_now

    return pinned_now() or datetime.now(UTC)


def parse_when(text: str) -> date:
    text = text.strip()
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        return date.fromisoformat(text[:10])


def embedded_dir() -> Path:
    return Path(str(resources.files("pricing") / "data"))


def embedded_csv_paths(d: Path | None = None) -> list[Path]:
    """The embedded catalog's data files: ``embedded.csv`` then ``embedded-*.csv`` (one topic each), in order."""
    d = embedded_dir() if d is None else d
    return [d / "embedded.csv", *sorted(d.glob("embedded-*.csv"))]


def load_embedded() -> Catalog:
    d = embedded_dir()
    manifest = json.loads((d / "embedded.json").read_text(encoding="utf-8"))
    offers = [o for path in embedded_csv_paths(d) for o in read_offers_csv(path)]
    # the catalog is as old as its oldest figure, not as its last edit
    oldest = min((o.fetched_at for o in offers), key=parse_when, default=manifest["fetched_at"])
    return Catalog(EMBEDDED, manifest["source"], oldest[:10], offers)


def offer_key(o: Offer) -> tuple[object, ...]:
    """What makes two offers the same price point (for layering and diffs)."""
    return (o.provider, o.region, o.resource, o.instance_type, o.storage_class, o.purchase_option, o.tier_start)


def _group(o: Offer) -> tuple[object, ...]:
    """The unit a later catalog replaces whole: one item's prices under one purchase option.

    The item is an instance type, or a storage class / egress of a resource; under one purchase option
    that is one price, or one tier schedule (every tier of it), so tier boundaries of two catalogs never mix.
    """
    return (o.provider, o.region, o.resource, o.instance_type, o.storage_class, o.purchase_option)


def _units(offers: list[Offer]) -> dict[tuple[object, ...], dict[tuple[object, ...], Offer]]:
    """Offers by unit, then by price point (a repeated price point keeps the last, as layering does)."""
    units: dict[tuple[object, ...], dict[tuple[object, ...], Offer]] = defaultdict(dict)
    for o in offers:
        units[_group(o)][offer_key(o)] = o
    return units


def layer(catalogs: list[Catalog]) -> Catalog:
    """Merge catalogs, later ones winning, one (provider, region, item, purchase option) at a time.

    The unit is (provider, region, resource, instance type or storage class, purchase option). Within a
    unit a later catalog replaces the earlier prices whole: an instance type's spot price, or a storage
    class's whole on-demand tier schedule (so tier boundaries of two catalogs never mix). Units the later
    catalog does not carry are kept. Sources read different purchase options -- SkyPilot files carry
    on-demand and spot, AWS bulk price lists on-demand and reservations, none of them GCP commitments --
    so a price a source did not carry is one it did not read, not one the cloud stopped selling: importing
    on-demand and spot prices keeps the committed ones, and a refresh of one purchase option keeps the
    others. Each offer keeps its own ``fetched_at``, so where an item mixes fresh and older options the age
    of each is visible. Layering ``embedded,skypilot-aws`` keeps the embedded storage and egress prices, the
    other clouds and AWS reservations, and takes AWS on-demand and spot prices from the import where it
    has them.
    """
    if len(catalogs) == 1:
        return catalogs[0]
    merged: dict[tuple[object, ...], Offer] = {}
    for cat in catalogs:
        groups = {_group(o) for o in cat.offers}
        for k in [k for k, o in merged.items() if _group(o) in groups]:
            del merged[k]
        for o in cat.offers:
            merged[offer_key(o)] = o
    oldest = min(catalogs, key=lambda c: parse_when(c.fetched_at))
    return Catalog(
        "+".join(c.name for c in catalogs),
        " + ".join(c.source for c in catalogs),
        oldest.fetched_at,
        list(merged.values()),
    )


@dataclass(frozen=True)
class LayerSummary:
    """What layering ``new`` on ``base`` did, counted in offers (price points).

    ``added``: in ``new`` only; ``replaced``: in both, the price changed (a price gained or lost counts
    too); ``unchanged``: in both, same price; ``kept``: base offers of units ``new`` does not carry, kept
    as they were; ``dropped``: base offers of units ``new`` does carry but without that price point (a
    tier schedule with other boundaries). The layered catalog has ``added + replaced + unchanged + kept``
    offers; the base had ``replaced + unchanged + kept + dropped``.
    """

    added: int
    replaced: int
    unchanged: int
    kept: int
    dropped: int
    kept_by_purchase_option: dict[str, int] = field(default_factory=dict)
    base_as_of: str = ""  # the base catalog's age: the date of its oldest price (kept offers carry it)

    @property
    def total(self) -> int:
        return self.added + self.replaced + self.unchanged + self.kept

    def to_dict(self) -> dict[str, Any]:
        return {"added": self.added, "replaced": self.replaced, "unchanged": self.unchanged, "kept": self.kept,
                "dropped": self.dropped, "total": self.total,
                "kept_by_purchase_option": dict(self.kept_by_purchase_option)}


def layer_summary(base: Catalog, new: Catalog) -> LayerSummary:
    """Count what :func:`layer` ``([base, new])`` keeps, adds and replaces (see :class:`LayerSummary`)."""
    old_units, new_units = _units(base.offers), _units(new.offers)
    added = replaced = unchanged = kept = dropped = 0
    kept_by_po: Counter[str] = Counter()
    for unit, old in old_units.items():
        fresh = new_units.get(unit)
        if fresh is None:
            kept += len(old)
            for o in old.values():
                kept_by_po[o.purchase_option] += 1
            continue
        for key, o in old.items():
            n = fresh.get(key)
            if n is None:
                dropped += 1
            elif n.price == o.price:
                unchanged += 1
            else:
                replaced += 1
    for unit, fresh in new_units.items():
        old = old_units.get(unit, {})
        added += sum(1 for key in fresh if key not in old)
    return LayerSummary(added, replaced, unchanged, kept, dropped, dict(sorted(kept_by_po.items())),
                        base.fetched_at if kept else "")


def load_catalog(name: str | None = None) -> Catalog:
    """Load a catalog by name; ``None`` means the active one (``embedded`` unless ``catalog use`` chose another).

    ``a,b`` layers catalogs: ``b``'s prices replace ``a``'s for each (provider, region, item, purchase
    option) ``b`` carries, and everything else of ``a`` stays (see :func:`layer`). The age reported is
    the oldest part's. A damaged snapshot is a CatalogError naming it (with the fix); ``embedded`` never
    depends on the snapshot store.
    """
    from pricing import store

    name = name or store.active_name()
    names = [n.strip() for n in name.split(",") if n.strip()]
    if not names:
        from pricing.errors import InputError

        raise InputError(f"no catalog named in {name!r}; give a name such as embedded, or a,b to layer", field="--catalog")
    return layer([_load_one(n, store, ()) for n in names])


def _load_one(name: str, store: Any, seen: tuple[str, ...]) -> Catalog:
    """One catalog; a snapshot made on top of another (import/refresh) is layered on its base.

    The chain of bases stops at a name already in it (a snapshot deleted and written again may be layered
    on one that was layered on it) and may be at most ``store.MAX_BASE_DEPTH`` snapshots deep."""
    if name == EMBEDDED:
        return load_embedded()
    if len(seen) >= store.MAX_BASE_DEPTH:
        raise CatalogError(f"layered on {store.MAX_BASE_DEPTH} snapshots in a row ({' -> '.join(seen[:3])} -> ...); "
                           f"the store is damaged: import or refresh again with --standalone, or "
                           f"`planner catalog use {EMBEDDED}`", where=f"catalog {seen[0]}")
    snap = store.load_snapshot(name)
    base = (store.read_manifest(name).get("extra") or {}).get("base")  # checked: None or a catalog name
    if not base or base in seen or base == name:
        return snap
    try:
        under = _load_one(base, store, (*seen, name))
    except CatalogError as exc:
        if seen:  # the error is reported once, by the snapshot the user asked for
            raise
        reason = getattr(exc, "reason", None)
        detail = f"{getattr(exc, 'name', base)}: {reason}" if reason else exc.message
        raise CatalogError(f"snapshot {name!r} is layered on {base!r}, which cannot be loaded ({detail}); "
                           f"import or refresh again, or use --catalog {name} after restoring {base!r}") from None
    merged = layer([under, snap])
    return Catalog(name, merged.source, merged.fetched_at, merged.offers)


def list_catalogs() -> list[CatalogInfo]:
    """``embedded`` first, then every stored snapshot, newest first; damaged snapshots are listed with
    ``damaged`` saying why (they never hide the healthy ones)."""
    from pricing import store

    active = store.active_name()
    emb = load_embedded().info(active=active == EMBEDDED)
    return [emb, *store.list_snapshots(active=active)]

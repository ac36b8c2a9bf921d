"""What changed between two catalogs: prices that went up or down, offers that appeared or vanished.

Offers are matched on the key (provider, region, resource, instance_type, storage_class,
purchase_option, tier_start). A change is reported when the relative change ``(new - old) / old``
is at least ``threshold_pct`` percent in either direction. An offer whose price went from a figure to
missing (or back) is reported as ``lost_price`` / ``gained_price``, never as a change to or from 0.

:meth:`CatalogDiff.groups` counts the changes per (provider, region, purchase option): ``added``
(appeared), ``removed`` (vanished), ``up`` (dearer), ``down`` (cheaper), ``lost_price``,
``gained_price`` and ``unchanged``. In each group, ``a`` has ``removed + up + down + lost_price +
gained_price + unchanged`` price points and ``b`` has the same with ``added`` in place of ``removed``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from pricing.catalog import Catalog
from pricing.schema import Offer

KEY_FIELDS = ("provider", "region", "resource", "instance_type", "storage_class", "purchase_option", "tier_start")
GROUP_FIELDS = ("provider", "region", "purchase_option")
GROUP_COUNTS = ("added", "removed", "up", "down", "lost_price", "gained_price", "unchanged")
Key = tuple[Any, ...]
Group = tuple[str, str, str]


def offer_key(o: Offer) -> Key:
    return tuple(getattr(o, f) for f in KEY_FIELDS)


def _group_of_key(key: Key) -> Group:
    return (key[0], key[1], key[5])


def _group_of_offer(o: Offer) -> Group:
    return (o.provider, o.region, o.purchase_option)


@dataclass(frozen=True)
class PriceChange:
    key: Key
    unit: str
    old_price: Decimal | None
    new_price: Decimal | None

    @property
    def change_pct(self) -> float | None:
        if self.old_price is None or self.new_price is None or self.old_price == 0:
            return None
        return float((self.new_price - self.old_price) / self.old_price * 100)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {f: (str(v) if isinstance(v, Decimal) else v) for f, v in zip(KEY_FIELDS, self.key)}
        pct = self.change_pct
        out.update(
            unit=self.unit,
            old_price=None if self.old_price is None else str(self.old_price),
            new_price=None if self.new_price is None else str(self.new_price),
            change_pct=None if pct is None else round(pct, 4),
        )
        return out


@dataclass
class CatalogDiff:
    a: str
    b: str
    cheaper: list[PriceChange] = field(default_factory=list)
    dearer: list[PriceChange] = field(default_factory=list)
    lost_price: list[PriceChange] = field(default_factory=list)
    gained_price: list[PriceChange] = field(default_factory=list)
    appeared: Sequence[Offer] = field(default_factory=list)  # a list, or OfferRows made when read
    vanished: Sequence[Offer] = field(default_factory=list)
    unchanged: int = 0
    unchanged_by_group: Counter[Group] = field(default_factory=Counter)

    def summary(self) -> dict[str, int]:
        return {
            "cheaper": len(self.cheaper),
            "dearer": len(self.dearer),
            "lost_price": len(self.lost_price),
            "gained_price": len(self.gained_price),
            "appeared": len(self.appeared),
            "vanished": len(self.vanished),
            "unchanged": self.unchanged,
        }

    def changes_by_group(self) -> dict[Group, list[tuple[str, PriceChange | Offer]]]:
        """The changed price points per (provider, region, purchase option): (kind, change or offer),
        kinds in :data:`GROUP_COUNTS` order; groups sorted, groups with no change left out."""
        out: dict[Group, list[tuple[str, PriceChange | Offer]]] = {}
        for what, changes in (("up", self.dearer), ("down", self.cheaper), ("lost_price", self.lost_price),
                              ("gained_price", self.gained_price)):
            for c in changes:
                out.setdefault(_group_of_key(c.key), []).append((what, c))
        for what, offers in (("added", self.appeared), ("removed", self.vanished)):
            for o in offers:
                out.setdefault(_group_of_offer(o), []).append((what, o))
        order = {k: i for i, k in enumerate(GROUP_COUNTS)}
        return {g: sorted(rows, key=lambda r: order[r[0]]) for g, rows in sorted(out.items())}

    def _changed_offers(self) -> list[tuple[str, dict[Group, Any], Sequence[Offer]]]:
        """("added" | "removed", group -> that list's members of the group, the list)."""
        out: list[tuple[str, dict[Group, Any], Sequence[Offer]]] = []
        for what, offers in (("added", self.appeared), ("removed", self.vanished)):
            by_values = getattr(offers, "by_values", None)
            if by_values is not None:  # read from the columns, offers not made
                out.append((what, by_values(GROUP_FIELDS), offers))
            else:
                groups: dict[Group, list[Offer]] = {}
                for o in offers:
                    groups.setdefault(_group_of_offer(o), []).append(o)
                out.append((what, groups, offers))
        return out

    def changes_in_groups(self, limit: int, groups: int | None = None
                          ) -> dict[Group, tuple[Counter[str], list[tuple[str, PriceChange | Offer]]]]:
        """Per group with changes, sorted: (counts by kind, the first ``limit`` rows of
        :meth:`changes_by_group`); with ``groups``, rows only for that many first groups (the others get
        none). Offers that are not returned are counted, not made."""
        changed = self._changed_offers()
        counts: dict[Group, Counter[str]] = {}
        for what, members_by_group, _ in changed:
            for g, members in members_by_group.items():
                counts.setdefault(g, Counter())[what] += len(members)
        moves = (("up", self.dearer), ("down", self.cheaper), ("lost_price", self.lost_price),
                 ("gained_price", self.gained_price))
        for what, changes in moves:
            for c in changes:
                counts.setdefault(_group_of_key(c.key), Counter())[what] += 1
        order = sorted(counts)
        shown = set(order if groups is None else order[:groups])
        rows: dict[Group, list[tuple[str, PriceChange | Offer]]] = {g: [] for g in order}
        for what, members_by_group, offers in changed:
            picks: dict[Group, Any] = {}
            for g, members in members_by_group.items():
                room = limit - len(rows[g])
                if g in shown and room > 0:
                    picks[g] = members[:room]
            if isinstance(offers, list) or not picks:
                made: dict[Group, list[Offer]] = {g: list(p) for g, p in picks.items()}
            else:  # the offers of every group at once: each row group is read once
                import numpy as np

                at = np.sort(np.concatenate(list(picks.values())))
                got = dict(zip(at.tolist(), offers.layers.offers_at(offers.positions[at]), strict=True))  # type: ignore[attr-defined]
                made = {g: [got[int(i)] for i in p] for g, p in picks.items()}
            for g, offers_made in made.items():
                rows[g] += [(what, o) for o in offers_made]
        for what, changes in moves:
            for c in changes:
                g = _group_of_key(c.key)
                if g in shown and len(rows[g]) < limit:
                    rows[g].append((what, c))
        return {g: (counts[g], rows[g]) for g in order}

    def groups(self) -> list[dict[str, Any]]:
        """Counts per (provider, region, purchase option), sorted by those; every group of ``a`` or ``b``."""
        counts: dict[Group, Counter[str]] = {g: c for g, (c, _) in self.changes_in_groups(0, groups=0).items()}
        for g, n in self.unchanged_by_group.items():
            counts.setdefault(g, Counter())["unchanged"] += n
        return [{**dict(zip(GROUP_FIELDS, g, strict=True)), **{k: c[k] for k in GROUP_COUNTS}}
                for g, c in sorted(counts.items())]

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "summary": self.summary(),
            "groups": self.groups(),
            "cheaper": [c.to_dict() for c in self.cheaper],
            "dearer": [c.to_dict() for c in self.dearer],
            "lost_price": [c.to_dict() for c in self.lost_price],
            "gained_price": [c.to_dict() for c in self.gained_price],
            "appeared": [o.to_dict() for o in self.appeared],
            "vanished": [o.to_dict() for o in self.vanished],
        }


def _index(cat: Catalog) -> dict[Key, Offer]:
    # Duplicate keys (e.g. several SKUs for one instance) keep the first offer.
    idx: dict[Key, Offer] = {}
    for o in cat.offers:
        idx.setdefault(offer_key(o), o)
    return idx


def _compare_pair(out: CatalogDiff, key: Key, old: Offer, new: Offer, threshold_pct: float) -> None:
    ch = PriceChange(key, new.unit, old.price, new.price)
    if old.price is not None and new.price is None:
        out.lost_price.append(ch)
    elif old.price is None and new.price is not None:
        out.gained_price.append(ch)
    elif old.price is None or new.price is None or old.price == new.price:
        out.unchanged_by_group[_group_of_key(key)] += 1
    elif old.price == 0:
        # free -> priced: no percentage exists; always report
        out.dearer.append(ch)
    else:
        pct = ch.change_pct or 0.0
        if abs(pct) < threshold_pct:
            out.unchanged_by_group[_group_of_key(key)] += 1
        elif pct < 0:
            out.cheaper.append(ch)
        else:
            out.dearer.append(ch)


def _finish(out: CatalogDiff) -> CatalogDiff:
    out.unchanged = sum(out.unchanged_by_group.values())
    out.cheaper.sort(key=lambda c: c.change_pct or 0.0)
    out.dearer.sort(key=lambda c: -(c.change_pct if c.change_pct is not None else float("inf")))
    return out


def _stored(cat: Catalog) -> bool:
    layers = cat.layers
    return layers is not None and any(type(s).__name__ != "ListOffers" for s in layers.sources)


def diff_catalogs(a: Catalog, b: Catalog, *, threshold_pct: float = 0.0) -> CatalogDiff:
    """Compare ``a`` (old) with ``b`` (new); changes smaller than ``threshold_pct`` % count as unchanged.

    Loaded catalogs with stored snapshots are compared column by column (:func:`_diff_columns`): prices are
    compared from the columns and the offers that appeared or vanished are made when read, with the same result."""
    if _stored(a) or _stored(b):
        return _diff_columns(a, b, threshold_pct)
    ia, ib = _index(a), _index(b)
    out = CatalogDiff(a.name, b.name)
    vanished: list[Offer] = []
    for key, old in ia.items():
        new = ib.get(key)
        if new is None:
            vanished.append(old)
            continue
        _compare_pair(out, key, old, new, threshold_pct)
    out.vanished = vanished
    out.appeared = [o for k, o in ib.items() if k not in ia]
    return _finish(out)


class _Point(NamedTuple):
    """What :func:`_compare_pair` reads of an offer."""

    price: Decimal | None
    unit: str


def _decimals() -> Any:
    """Price text -> Decimal as stored offers read it (each distinct text parsed once; -0 is 0; None stays None)."""
    cache: dict[str, Decimal] = {}

    def dec(v: str | None) -> Decimal | None:
        if v is None:
            return None
        d = cache.get(v)
        if d is None:
            d = Decimal(v)
            d = cache[v] = Decimal(0) if d == 0 else d
        return d

    return dec


def _diff_columns(a: Catalog, b: Catalog, threshold_pct: float) -> CatalogDiff:
    """:func:`diff_catalogs` over columns: price points matched by key codes (the first offer of a key in each
    catalog, as :func:`_index` keeps); a pair whose price text is the same is unchanged without parsing it;
    every other pair is made and compared as above; the offers that appeared or vanished are made when read."""
    import numpy as np
    import pyarrow as pa

    from pricing.catalog import OfferRows, arrow_ints, codes, key_codes

    la, lb = a.as_layers(), b.as_layers()
    cols = [*KEY_FIELDS, "price"]
    ta = pa.table({c: la.column(c) for c in cols})
    tb = pa.table({c: lb.column(c) for c in cols})
    ka, kb = key_codes([ta, tb])
    ua, fa = np.unique(ka, return_index=True)
    ub, fb = np.unique(kb, return_index=True)
    _, ia, ib = np.intersect1d(ua, ub, assume_unique=True, return_indices=True)
    order = np.argsort(fa[ia], kind="stable")  # in the order of the first catalog
    pa_pos, pb_pos = fa[ia][order], fb[ib][order]
    out = CatalogDiff(a.name, b.name)
    out.vanished = OfferRows(la, np.sort(fa[~np.isin(ua, ub, assume_unique=True)]))  # made when read
    out.appeared = OfferRows(lb, np.sort(fb[~np.isin(ub, ua, assume_unique=True)]))
    prices, _ = codes(pa.chunked_array([*ta.column("price").chunks, *tb.column("price").chunks], type=pa.string()))
    same = prices[:ta.num_rows][pa_pos] == prices[ta.num_rows:][pb_pos]  # the same text, or both missing
    # unchanged without a doubt: counted per (provider, region, purchase option)
    keep = pa_pos[same]
    group = [la.codes(c) for c in GROUP_FIELDS]
    combined = np.zeros(len(keep), dtype=np.int64)
    for idx, vocab in group:
        combined = combined * (len(vocab) + 1) + idx[keep] + 1
    _, first, counts = np.unique(combined, return_index=True, return_counts=True)
    for at, n in zip(first.tolist(), counts.tolist(), strict=True):
        row = int(keep[at])
        out.unchanged_by_group[tuple(vocab[int(idx[row])] for idx, vocab in group)] += n  # type: ignore[index]
    # every other pair: its key, prices and unit read from the columns and compared exactly, as offers would be
    pick = np.nonzero(~same)[0]
    rows_a, rows_b = arrow_ints(pa_pos[pick]), arrow_ints(pb_pos[pick])
    dec = _decimals()
    key_cols = [ta.column(f).take(rows_a).to_pylist() for f in KEY_FIELDS]
    key_cols[KEY_FIELDS.index("tier_start")] = [dec(v) or Decimal(0) for v in key_cols[KEY_FIELDS.index("tier_start")]]
    olds = [_Point(dec(v), "") for v in ta.column("price").take(rows_a).to_pylist()]
    units = lb.column("unit").take(rows_b).to_pylist()
    news = [_Point(dec(v), u) for v, u in zip(tb.column("price").take(rows_b).to_pylist(), units, strict=True)]
    for key, old, new in zip(zip(*key_cols, strict=True), olds, news, strict=True):
        _compare_pair(out, key, old, new, threshold_pct)  # type: ignore[arg-type]
    return _finish(out)

"""Catalogs: a named set of offers with provenance (source, fetched_at) and queries over it.

``embedded`` is the curated snapshot shipped in ``pricing/data``; other names are snapshots kept by
:mod:`pricing.store` under the user's data directory.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
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


Key = tuple[str, str, str]  # (provider, region, resource): the slice a query on one region reads


@dataclass(eq=False, init=False)
class Catalog:
    """A named set of offers. Built from a list (``Catalog(name, source, fetched_at, offers)``) it queries that
    list; loaded by :func:`load_catalog` it reads its offers lazily from its layers (stored snapshots, the
    embedded data): a query on one provider and region reads only that region's offers, and ``offers``
    (every offer, in catalog order) is made only when asked for. A loaded catalog is read-only: to change
    its offers, build a new catalog from a list."""

    name: str
    source: str
    fetched_at: str
    offers: list[Offer] = field(repr=False)

    def __init__(self, name: str, source: str, fetched_at: str, offers: list[Offer] | None = None, *,
                 layers: Layers | None = None) -> None:
        self.name, self.source, self.fetched_at = name, source, fetched_at
        if layers is not None and offers is None:
            self.__dict__["_layers"] = layers
        else:
            self.offers = offers if offers is not None else []

    def __getattr__(self, attr: str) -> Any:
        if attr == "offers":  # a loaded catalog makes its offer list on first use
            layers = self.__dict__.get("_layers")
            if layers is not None:
                offers: list[Offer] = layers.offers()
                self.__dict__["offers"] = offers
                return offers
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {attr!r}")

    @property
    def layers(self) -> Layers | None:
        """Where a loaded catalog reads its offers from (None: a catalog built from a list)."""
        return self.__dict__.get("_layers")

    def as_layers(self) -> Layers:
        """This catalog's offers as layers (a catalog built from a list is one layer of that list)."""
        layers = self.layers
        if layers is None:
            layers = self.__dict__["_as_layers"] = self.__dict__.get("_as_layers") or Layers([ListOffers(self.offers)])
        return layers

    @cached_property
    def _by_provider_region(self) -> dict[tuple[str, str], list[Offer]]:
        idx: dict[tuple[str, str], list[Offer]] = defaultdict(list)
        for o in self.offers:
            idx[(o.provider, o.region)].append(o)
        return dict(idx)

    def offer_count(self) -> int:
        layers = self.layers
        return len(self.offers) if layers is None else layers.count()

    def age_days(self, now: datetime | None = None) -> int:
        fetched = parse_when(self.fetched_at)
        return max(0, ((now or today()).date() - fetched).days)

    def is_stale(self, now: datetime | None = None, max_days: int = STALE_AFTER_DAYS) -> bool:
        return self.age_days(now) > max_days

    def info(self, active: bool = False) -> CatalogInfo:
        return CatalogInfo(self.name, self.source, self.offer_count(), self.fetched_at, active)

    # -- vocabulary (for validation and "did you mean") -------------------------------------------
    def providers(self) -> list[str]:
        layers = self.layers
        if layers is not None:
            return sorted({k[0] for k in layers.region_keys()})
        return sorted({p for p, _ in self._by_provider_region})

    def regions(self, provider: str | None = None) -> list[str]:
        layers = self.layers
        if layers is not None:
            return sorted({r for p, r, _ in layers.region_keys() if provider in (None, p)})
        return sorted({r for p, r in self._by_provider_region if provider in (None, p)})

    def instance_types(self, provider: str | None = None) -> list[str]:
        layers = self.layers
        if layers is not None:
            return layers.distinct("instance_type", provider)
        return sorted(
            {o.instance_type for o in self.offers if o.instance_type and provider in (None, o.provider)}
        )

    def accelerators(self, provider: str | None = None) -> list[str]:
        layers = self.layers
        if layers is not None:
            return layers.distinct("accelerator", provider)
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
        """The offers with the given values (``instance_type`` and ``accelerator`` case-insensitively), in
        catalog order. On a loaded catalog the filters are applied to its columns before offers are made."""
        return self.find(provider=provider, region=region, resource=resource, instance_type=instance_type,
                         accelerator=accelerator, purchase_option=purchase_option, storage_class=storage_class)[0]

    def find(
        self,
        *,
        provider: str | None = None,
        region: str | None = None,
        resource: str | None = None,
        instance_type: str | None = None,
        accelerator: str | None = None,
        purchase_option: str | None = None,
        storage_class: str | None = None,
        limit: int | None = None,
    ) -> tuple[list[Offer], int]:
        """(the first ``limit`` offers :meth:`query` returns -- all with None --, how many it returns): offers
        beyond the limit are counted, not made."""
        layers = self.layers
        acc = accelerator.lower() if accelerator else None
        itype = instance_type.lower() if instance_type else None
        if layers is not None:
            if provider is None or region is None:  # across regions: filtered column by column
                at = layers.mask(provider=provider, region=region, resource=resource, instance_type=itype,
                                 accelerator=acc, purchase_option=purchase_option, storage_class=storage_class)
                return layers.offers_at(at[:limit]), len(at)
            extra = {k: v for k, v in (("instance_type", itype), ("accelerator", acc), ("purchase_option", purchase_option),
                                       ("storage_class", storage_class)) if v is not None}
            if extra and (provider, region, resource) not in layers._regions:  # filtered on the region's columns
                got = layers.region_select(provider, region, resource, extra)
                if got is not None:
                    return got[:limit], len(got)
            pool = layers.region_offers(provider, region, resource)
        elif provider is not None and region is not None:
            pool = self._by_provider_region.get((provider, region), [])
        else:
            pool = self.offers
        found = [
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
        return found[:limit], len(found)


# -- layers: the offers of a loaded catalog, read lazily ---------------------------------------------

Positioned = tuple[tuple[int, int], Offer]  # ((layer, row in that layer), offer): its place in catalog order


class ListOffers:
    """Offers held in a list (the embedded catalog, a catalog built by hand): one layer.

    ``ident`` names the content for caches that outlive the process (None: not cached there)."""

    def __init__(self, offers: list[Offer], ident: str | Callable[[], str] | None = None) -> None:
        self._offers = offers
        self._ident = ident

    @cached_property
    def ident(self) -> str | None:
        return self._ident() if callable(self._ident) else self._ident

    @cached_property
    def _index(self) -> dict[Key, list[tuple[int, Offer]]]:
        idx: dict[Key, list[tuple[int, Offer]]] = defaultdict(list)
        for i, o in enumerate(self._offers):
            idx[(o.provider, o.region, o.resource)].append((i, o))
        return dict(idx)

    def count(self) -> int:
        return len(self._offers)

    def region_keys(self) -> set[Key]:
        return set(self._index)

    def partition(self, key: Key) -> list[tuple[int, Offer]]:
        return self._index.get(key, [])

    def offers(self) -> list[Offer]:
        return self._offers

    @cached_property
    def _table(self) -> Any:
        from pricing.store import offers_table

        return offers_table(self._offers)

    def columns(self, names: Sequence[str]) -> Any:
        """Columns ``names`` of every offer, in list order (a pyarrow Table)."""
        return self._table.select(list(names))

    def order(self) -> Any:
        """File rows in catalog order (numpy): the list is in catalog order already."""
        import numpy as np

        return np.arange(len(self._offers))

    def rows_at(self, rows: Any) -> list[Offer]:
        offers = self._offers
        return [offers[i] for i in rows.tolist()]


class Layers:
    """The offers of a catalog: one layer, or several merged as :func:`layer` merges catalogs.

    Layers are read lazily. A query on one provider and region merges only that region's offers (the
    unit a later layer replaces lies within one provider, region and resource), once per process;
    whole-catalog views (every offer, a column, a filter across regions) merge the key columns of all
    layers once (:meth:`plan`) and make offers only for the rows asked for."""

    merges = 0  # whole-catalog merges made (plan), for tests
    region_merges = 0  # one-region merges made, for tests

    def __init__(self, sources: Sequence[Any], merge: bool = False) -> None:
        # a layer listed again later is replaced by the later copy whole: keep the last copy only
        kept: list[Any] = []
        for i, src in enumerate(sources):
            if not any(later is src for later in sources[i + 1:]):
                kept.append(src)
        self.sources = kept
        self.merge = merge or len(sources) > 1
        self._regions: dict[tuple[str, str, str | None], list[Positioned]] = {}
        self._plan: list[Any] | None = None
        self._columns: dict[str, Any] = {}
        self._codes: dict[str, tuple[Any, list[Any]]] = {}

    @property
    def ident(self) -> str | None:
        """What the merged offers are, as text (None when a layer has no lasting identity)."""
        parts = []
        for src in self.sources:
            if src.ident is None:
                return None
            parts.append(src.ident)
        return ("merge:" if self.merge else "") + "|".join(parts)

    def region_keys(self) -> set[Key]:
        out: set[Key] = set()
        for src in self.sources:
            out |= src.region_keys()
        return out

    def count(self) -> int:
        if not self.merge:
            return int(self.sources[0].count())
        return sum(len(rows) for rows in self.plan())

    # -- one region ---------------------------------------------------------------------------------
    def region_offers(self, provider: str, region: str, resource: str | None) -> list[Offer]:
        """The offers of one provider and region (and resource), in catalog order."""
        key = (provider, region, resource)
        rows = self._regions.get(key)
        if rows is None:
            if resource is None:
                rows = [r for res in sorted({k[2] for k in self.region_keys() if k[0] == provider and k[1] == region})
                        for r in self._merged_partition((provider, region, res))]
                rows.sort(key=lambda r: r[0])
            else:
                rows = self._merged_partition((provider, region, resource))
            self._regions[key] = rows
        return [o for _, o in rows]

    def region_select(self, provider: str, region: str, resource: str | None, equal: dict[str, str]
                      ) -> list[Offer] | None:
        """The offers of one provider and region (and resource) whose columns equal ``equal``, in catalog
        order, filtered on that region's columns before offers are made; None when that cannot be done
        here (merged layers: a later layer replaces an earlier one's offers by unit, which needs them all)."""
        if self.merge or not hasattr(self.sources[0], "partition_where"):
            return None
        keys = sorted(k for k in self.region_keys() if k[0] == provider and k[1] == region
                      and (resource is None or k[2] == resource))
        result: list[Offer] | None = self.sources[0].partition_where(keys, equal)
        return result

    def _merged_partition(self, key: Key) -> list[Positioned]:
        got = self._regions.get(key)  # type: ignore[arg-type]
        if got is not None:
            return got
        parts = [src.partition(key) for src in self.sources]
        if not self.merge:
            out = [((0, i), o) for i, o in parts[0]]
        else:
            Layers.region_merges += 1
            out = _merge_rows(parts)
        self._regions[key] = out  # type: ignore[index]
        return out

    # -- the whole catalog --------------------------------------------------------------------------
    def plan(self) -> list[Any]:
        """Per layer, its file rows that the merged catalog keeps, in catalog order (numpy arrays)."""
        if self._plan is None:
            if not self.merge:
                self._plan = [self.sources[0].order()]
            else:
                Layers.merges += 1
                self._plan = _merge_plan(self.sources)
        return self._plan

    def column(self, name: str) -> Any:
        """Column ``name`` of the merged catalog, in catalog order (a pyarrow Array)."""
        col = self._columns.get(name)
        if col is None:
            import pyarrow as pa

            chunks: list[Any] = []
            typ = None
            for src, rows in zip(self.sources, self.plan(), strict=True):
                c = src.columns([name]).column(0)
                typ = c.type
                chunks += c.take(arrow_ints(rows)).chunks
            col = pa.chunked_array(chunks, type=typ).combine_chunks() if typ is not None else pa.nulls(0, pa.string())
            self._columns[name] = col
        return col

    def codes(self, name: str) -> tuple[Any, list[Any]]:
        """:func:`codes` of column ``name`` (kept: columns are read-only)."""
        got = self._codes.get(name)
        if got is None:
            got = self._codes[name] = codes(self.column(name))
        return got

    def offers_at(self, selected: Any) -> list[Offer]:
        """Offers at merged positions ``selected`` (ascending numpy array), in catalog order."""
        import numpy as np

        out: list[Offer] = []
        start = 0
        for src, rows in zip(self.sources, self.plan(), strict=True):
            end = start + len(rows)
            lo, hi = np.searchsorted(selected, [start, end])
            if hi > lo:
                out += src.rows_at(rows[selected[lo:hi] - start])
            start = end
        return out

    def offers(self) -> list[Offer]:
        if not self.merge:
            return list(self.sources[0].offers()) if isinstance(self.sources[0], ListOffers) else \
                self.sources[0].rows_at(self.plan()[0])
        out: list[Offer] = []
        for src, rows in zip(self.sources, self.plan(), strict=True):
            out += src.rows_at(rows)
        return out

    def mask(self, **equal: str | None) -> Any:
        """Merged positions (numpy, ascending) whose columns equal the given values; ``instance_type`` and
        ``accelerator`` match case-insensitively (give them lower-case)."""
        import numpy as np

        keep = np.ones(self.count(), dtype=bool)
        for name, value in equal.items():
            if value is None:
                continue
            idx, vocab = self.codes(name)
            fold = name in ("instance_type", "accelerator")
            hits = [i for i, v in enumerate(vocab) if v is not None and (v.lower() if fold else v) == value]
            if not hits:
                return np.zeros(0, dtype=np.int64)
            keep &= np.isin(idx, hits)
        return np.nonzero(keep)[0]

    def select(self, **equal: str | None) -> list[Offer]:
        return self.offers_at(self.mask(**equal))

    def distinct(self, name: str, provider: str | None) -> list[str]:
        import numpy as np

        idx, vocab = self.codes(name)
        if provider is not None:
            pidx, pvocab = self.codes("provider")
            idx = idx[pidx == (pvocab.index(provider) if provider in pvocab else -2)]
        return sorted(vocab[i] for i in np.unique(idx).tolist() if i >= 0 and vocab[i])


class OfferRows(Sequence[Offer]):
    """The offers of a loaded catalog at some merged positions (ascending), made when read -- a chunk at a
    time when iterated -- so a long list (every offer that appeared in a diff) costs memory only when used."""

    CHUNK = 65_536

    def __init__(self, layers: Layers, positions: Any) -> None:
        import numpy as np

        self.layers = layers
        self.positions = np.asarray(positions, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.positions)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            if i.step is not None and i.step < 0:
                return list(self)[i]
            return self.layers.offers_at(self.positions[i])
        return self.layers.offers_at(self.positions[[range(len(self))[i]]])[0]

    def __iter__(self) -> Any:
        for start in range(0, len(self), self.CHUNK):
            yield from self.layers.offers_at(self.positions[start:start + self.CHUNK])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return len(self) == len(other) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"OfferRows({len(self)} offers)"

    def by_values(self, names: Sequence[str]) -> dict[tuple[Any, ...], Any]:
        """Indices into this list (numpy, ascending) by the values of columns ``names``, read from the columns."""
        import numpy as np

        if not len(self):
            return {}
        kept = self.__dict__.setdefault("_by_values", {})
        if tuple(names) in kept:
            return dict(kept[tuple(names)])
        parts = [self.layers.codes(n) for n in names]
        combined = np.zeros(len(self), dtype=np.int64)
        for idx, vocab in parts:
            combined = combined * (len(vocab) + 1) + idx[self.positions] + 1
        order = np.argsort(combined, kind="stable")
        uniq, first = np.unique(combined[order], return_index=True)
        bounds = [*first.tolist(), len(order)]
        out: dict[tuple[Any, ...], Any] = {}
        for j in range(len(uniq)):
            members = order[bounds[j]:bounds[j + 1]]
            at = int(self.positions[members[0]])
            out[tuple(vocab[int(idx[at])] if idx[at] >= 0 else None for idx, vocab in parts)] = members
        kept[tuple(names)] = out
        return dict(out)


# -- arrow <-> numpy without pandas ------------------------------------------------------------------
# pyarrow converts Python values and numpy arrays through its pandas shim, which imports pandas (half a
# second) on first use; these read and build buffers directly instead.

def np_values(values: Any, dtype: Any) -> Any:
    """A fixed-width arrow array's values as numpy, read from its buffer (null slots hold anything)."""
    import numpy as np

    arr = values.combine_chunks() if hasattr(values, "combine_chunks") else values
    if len(arr) == 0:
        return np.zeros(0, dtype=dtype)
    return np.frombuffer(arr.buffers()[1], dtype=dtype, count=arr.offset + len(arr))[arr.offset:]


def np_valid(values: Any) -> Any:
    """Which entries of an arrow array are not null (numpy bool)."""
    import numpy as np

    arr = values.combine_chunks() if hasattr(values, "combine_chunks") else values
    if arr.null_count == 0:
        return np.ones(len(arr), dtype=bool)
    bits = np.unpackbits(np.frombuffer(arr.buffers()[0], dtype=np.uint8), bitorder="little")
    return bits[arr.offset:arr.offset + len(arr)].astype(bool)


def arrow_ints(values: Any) -> Any:
    """A numpy array of indices as an arrow int64 array (for ``take``)."""
    import numpy as np
    import pyarrow as pa

    arr = np.ascontiguousarray(values, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), len(arr), [None, pa.py_buffer(arr)])


def arrow_strings(values: Sequence[str | None]) -> Any:
    """Python strings (None: null) as an arrow string array, built from its buffers."""
    import numpy as np
    import pyarrow as pa

    n = len(values)
    data = [b"" if v is None else v.encode() for v in values]
    lengths = np.fromiter(map(len, data), dtype=np.int64, count=n)
    total = int(lengths.sum())
    if total >= 1 << 31 and n > 1:  # beyond 32-bit offsets: in two chunks
        half = n // 2
        return pa.chunked_array([*arrow_strings(values[:half]).chunks, *arrow_strings(values[half:]).chunks],
                                type=pa.string())
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    nulls = sum(v is None for v in values)
    validity = None
    if nulls:
        validity = pa.py_buffer(np.packbits(np.fromiter((v is not None for v in values), dtype=bool, count=n),
                                            bitorder="little"))
    return pa.Array.from_buffers(pa.string(), n, [validity, pa.py_buffer(offsets), pa.py_buffer(b"".join(data))],
                                 null_count=nulls)


def arrow_numbers(values: Sequence[float | int | None], dtype: Any) -> Any:
    """Python numbers (None: null) as an arrow array of numpy ``dtype`` (float64 or int64), built from its buffers."""
    import numpy as np
    import pyarrow as pa

    n = len(values)
    nulls = sum(v is None for v in values)
    arr = np.fromiter((0 if v is None else v for v in values), dtype=dtype, count=n)
    validity = None
    if nulls:
        validity = pa.py_buffer(np.packbits(np.fromiter((v is not None for v in values), dtype=bool, count=n),
                                            bitorder="little"))
    typ = pa.from_numpy_dtype(np.dtype(dtype))
    return pa.Array.from_buffers(typ, n, [validity, pa.py_buffer(arr)], null_count=nulls)


def codes(values: Any) -> tuple[Any, list[Any]]:
    """(each entry's index in the list of distinct values, -1 for null (numpy int64); those values)."""
    import numpy as np
    import pyarrow as pa

    arr = values.combine_chunks() if hasattr(values, "combine_chunks") else values
    enc = arr if pa.types.is_dictionary(arr.type) else arr.dictionary_encode()
    idx = np_values(enc.indices, np.int32).astype(np.int64)
    if enc.indices.null_count:
        idx[~np_valid(enc.indices)] = -1
    return idx, enc.dictionary.to_pylist()


def _merge_rows(parts: list[list[tuple[int, Offer]]]) -> list[Positioned]:
    """:func:`layer`'s rule over the offers of one partition, each layer's in its own order, keeping each
    offer's place in catalog order: (layer, row of the first offer with its key)."""
    merged: dict[tuple[object, ...], Positioned] = {}
    for li, rows in enumerate(parts):
        if not rows:
            continue
        groups = {_group(o) for _, o in rows}
        for k in [k for k, (_, o) in merged.items() if _group(o) in groups]:
            del merged[k]
        for row, o in rows:
            k = offer_key(o)
            prev = merged.get(k)
            merged[k] = ((li, row) if prev is None else prev[0], o)
    return sorted(merged.values(), key=lambda r: r[0])


_KEY_COLUMNS = ("provider", "region", "resource", "instance_type", "storage_class", "purchase_option")


def key_codes(tables: Sequence[Any], *, tiers: bool = True) -> list[Any]:
    """Integer codes of each row's group (provider, region, resource, instance type, storage class,
    purchase option) -- and with ``tiers`` its price point (the tier start, as a number) -- equal across
    ``tables`` exactly when the values are (numpy int64 arrays, one per table)."""
    import numpy as np
    import pyarrow as pa

    sizes = [t.num_rows for t in tables]
    code = np.zeros(sum(sizes), dtype=np.int64)
    span = 1
    names = [*_KEY_COLUMNS, *(["tier_start"] if tiers else [])]
    for name in names:
        # chunks, not chunked arrays: pa.chunked_array converts those value by value
        col = pa.chunked_array([c for t in tables for c in t.column(name).cast(pa.string()).chunks], type=pa.string())
        idx, vocab = codes(col)
        idx += 1
        n = len(vocab) + 1
        if name == "tier_start":  # "0", "0.0" and null are one price point: compare as numbers
            from decimal import Decimal

            canon: dict[Decimal, int] = {}
            remap = [0]
            for text in vocab:
                remap.append(canon.setdefault(Decimal(text) if text else Decimal(0), len(canon) + 1))
            canon.setdefault(Decimal(0), len(canon) + 1)
            remap[0] = canon[Decimal(0)]
            idx = np.asarray(remap, dtype=np.int64)[idx]
            n = len(canon) + 1
        if span * n >= 1 << 62:  # renumber before the codes could overflow
            _, code = np.unique(code, return_inverse=True)
            span = int(code.max()) + 1 if len(code) else 1
        code = code * n + idx
        span *= n
    out, start = [], 0
    for size in sizes:
        out.append(code[start:start + size])
        start += size
    return out


def _merge_plan(sources: Sequence[Any]) -> list[Any]:
    """Per layer, the file rows :func:`layer` keeps, in catalog order: a layer's offers of units a later
    layer carries are replaced; a price point listed twice in one layer keeps its first place and its
    last offer."""
    import numpy as np

    orders = [src.order() for src in sources]  # file rows in catalog order
    tables = [src.columns([*_KEY_COLUMNS, "tier_start"]).take(arrow_ints(order))
              for src, order in zip(sources, orders, strict=True)]
    groups = key_codes(tables, tiers=False)
    keys = key_codes(tables)
    _, ginv = np.unique(np.concatenate(groups) if groups else np.zeros(0, np.int64), return_inverse=True)
    seen = np.zeros(int(ginv.max()) + 1 if len(ginv) else 0, dtype=bool)
    starts = np.cumsum([0, *[len(g) for g in groups]])
    plan: list[Any] = [None] * len(sources)
    for li in range(len(sources) - 1, -1, -1):
        g = ginv[starts[li]:starts[li + 1]]
        alive = np.nonzero(~seen[g])[0]
        seen[g] = True
        k = keys[li][alive]
        if len(k):
            _, first = np.unique(k, return_index=True)
            _, last_rev = np.unique(k[::-1], return_index=True)
            last = len(k) - 1 - last_rev
            pick = alive[last[np.argsort(first, kind="stable")]]
        else:
            pick = alive
        plan[li] = orders[li][pick]
    return plan


def today() -> datetime:
    """Now, or the date pinned by ``PLANNER_NOW=YYYY-MM-DD`` (for reproducible outputs and tests)."""
    from pricing.env import pinned_now

    return pinned_now() or datetime.now(UTC)


def parse_when(text: str) -> date:
    text = text.strip()
    try:
        return datetime.fromisoformat(text).date()
    except ValueError:
        return date.fromisoformat(text[:10])


def embedded_dir() -> Path:
    return Path(str(resources.files("pricing") / "data"))


def embedded_csv_paths(d: Path | None = None) -> list[Path]:
    """The embedded catalog's data files: ``embedded.csv`` then ``embedded-*.csv`` (one topic each), in order."""
    d = embedded_dir() if d is None else d
    return [d / "embedded.csv", *sorted(d.glob("embedded-*.csv"))]


_embedded_cache: dict[tuple[object, ...], tuple[str, str, ListOffers]] = {}


def _embedded() -> tuple[str, str, ListOffers]:
    """(source, fetched_at, offers) of the embedded catalog, read once per process (again when its files change)."""
    d = embedded_dir()
    paths = [d / "embedded.json", *embedded_csv_paths(d)]
    stamp = []
    for path in paths:
        try:
            st = path.stat()
            stamp.append((str(path), st.st_size, st.st_mtime_ns))
        except OSError:
            stamp.append((str(path), -1, -1))
    key = tuple(stamp)
    got = _embedded_cache.get(key)
    if got is not None:
        return got
    manifest = json.loads(paths[0].read_text(encoding="utf-8"))
    offers = [o for path in paths[1:] for o in read_offers_csv(path)]

    def ident() -> str:  # what the offers are (for findings kept on disk), read when first asked for
        import hashlib

        digest = hashlib.sha256()
        for path in paths[1:]:
            digest.update(path.read_bytes())
        return f"embedded:{digest.hexdigest()}"

    # the catalog is as old as its oldest figure, not as its last edit
    oldest = min(dict.fromkeys(o.fetched_at for o in offers), key=parse_when, default=manifest["fetched_at"])
    got = (manifest["source"], oldest[:10], ListOffers(offers, ident=ident))
    _embedded_cache.clear()
    _embedded_cache[key] = got
    return got


def load_embedded() -> Catalog:
    source, fetched_at, layer_ = _embedded()
    cat = Catalog(EMBEDDED, source, fetched_at, list(layer_.offers()))
    cat.__dict__["_layer_hint"] = layer_  # the shared, read-only list it was copied from
    return cat


def _as_source(cat: Catalog) -> Any:
    """A catalog built from a list, as one layer (the embedded catalog's shared layer when unchanged)."""
    hint = cat.__dict__.get("_layer_hint")
    if hint is not None:
        mine, theirs = cat.offers, hint.offers()
        if len(mine) == len(theirs) and all(a is b for a, b in zip(mine, theirs, strict=True)):
            return hint
    return ListOffers(cat.offers)


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
    oldest = min(catalogs, key=lambda c: parse_when(c.fetched_at))
    name, source = "+".join(c.name for c in catalogs), " + ".join(c.source for c in catalogs)
    if any(c.layers is not None for c in catalogs):  # loaded catalogs: merged lazily, by region or whole
        sources: list[Any] = []
        for c in catalogs:
            sources += c.layers.sources if c.layers is not None else [_as_source(c)]
        return Catalog(name, source, oldest.fetched_at, layers=Layers(sources, merge=True))
    merged: dict[tuple[object, ...], Offer] = {}
    for cat in catalogs:
        groups = {_group(o) for o in cat.offers}
        for k in [k for k, o in merged.items() if _group(o) in groups]:
            del merged[k]
        for o in cat.offers:
            merged[offer_key(o)] = o
    return Catalog(name, source, oldest.fetched_at, list(merged.values()))


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
    cat = layer([_load_one(n, store, ()) for n in names])
    layers = cat.layers
    if layers is None:
        return cat
    # the same names and the same stored content (checksums verified above): the catalog already loaded,
    # with whatever it has merged and read so far
    key = (tuple(names), layers.ident or id(layers), cat.name, cat.source, cat.fetched_at, str(store.home()))
    got = _loaded.get(key)
    if got is None:
        _loaded[key] = got = cat
        while len(_loaded) > _LOADED_MAX:
            del _loaded[next(iter(_loaded))]
    return got


_LOADED_MAX = 8
_loaded: dict[tuple[object, ...], Catalog] = {}


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
    if merged.layers is not None:
        return Catalog(name, merged.source, merged.fetched_at, layers=merged.layers)
    return Catalog(name, merged.source, merged.fetched_at, merged.offers)


def list_catalogs() -> list[CatalogInfo]:
    """``embedded`` first, then every stored snapshot, newest first; damaged snapshots are listed with
    ``damaged`` saying why (they never hide the healthy ones)."""
    from pricing import store

    active = store.active_name()
    emb = load_embedded().info(active=active == EMBEDDED)
    return [emb, *store.list_snapshots(active=active)]

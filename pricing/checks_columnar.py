"""The sanity checks of :mod:`pricing.checks` over the columns of a loaded catalog, with the same findings.

A catalog of a million offers is checked without making a million offers: the rows the checks look at
(priced hourly instance offers) are chosen, keyed and compared in numpy; ``on_demand_below_*`` compares
prices in floats and confirms each hit in exact decimals; ``region_outlier`` takes medians and ratios in
float64 exactly as :func:`statistics.median` does (the middle value, or the mean of the two middle ones);
only the rows with accelerators (for the per-GPU and memory-variant checks, which compare sizes pairwise)
and the rows a finding names become Python objects. ``tests/test_catalog_scale.py`` and
``tests/test_catalog_checks.py`` hold this to :func:`pricing.checks.check_offers` on the same offers.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pricing import checks as C


@dataclass(frozen=True, slots=True)
class Seen:
    """What the checks read of an offer (attribute names as :class:`pricing.schema.Offer`)."""

    provider: str
    region: str
    instance_type: str
    purchase_option: str
    price: Decimal
    accelerator: str | None
    accelerator_count: int
    vcpus: float | None
    memory_gib: float | None
    resource: str = "instance"  # only priced hourly instance offers are checked
    unit: str = "hour"


class _Rows:
    """The checked rows of a catalog as numpy codes, in catalog order."""

    def __init__(self, layers: Any) -> None:
        import numpy as np

        from pricing.catalog import np_valid, np_values

        keep = np.zeros(layers.count(), dtype=bool)
        keep[layers.mask(resource="instance", unit="hour")] = True
        keep &= np_valid(layers.column("instance_type")) & np_valid(layers.column("price"))
        self.vocab: dict[str, list[Any]] = {}
        code: dict[str, Any] = {}
        for name in ("provider", "region", "instance_type", "purchase_option", "accelerator", "price"):
            idx, vocab = layers.codes(name)
            code[name], self.vocab[name] = idx, vocab
        # the price of each distinct text, as offers read it (-0 is 0); checks skip those not above 0
        self.dec = [None if t is None else (Decimal(0) if Decimal(t) == 0 else Decimal(t)) for t in self.vocab["price"]]
        positive = np.asarray([d is not None and d > 0 for d in self.dec] + [False], dtype=bool)
        keep &= positive[code["price"]]  # -1 (missing) indexes the trailing False
        itype_ok = np.asarray([bool(t) for t in self.vocab["instance_type"]] + [False], dtype=bool)
        keep &= itype_ok[code["instance_type"]]
        self.at = np.nonzero(keep)[0]  # merged positions of the checked rows
        at = self.at
        self.p, self.r, self.t = code["provider"][at], code["region"][at], code["instance_type"][at]
        self.o, self.acc, self.price = code["purchase_option"][at], code["accelerator"][at], code["price"][at]
        self.fprice = np.asarray([0.0 if d is None else float(d) for d in self.dec] + [0.0])[self.price]
        self.count = np_values(layers.column("accelerator_count"), np.int64)[at]
        self.host: dict[str, tuple[Any, Any]] = {}  # vCPUs, memory: (values, present) of each checked row
        for name in ("vcpus", "memory_gib"):
            col = layers.column(name)
            self.host[name] = (np_values(col, np.float64)[at], np_valid(col)[at])
        options = self.vocab["purchase_option"]
        self.option_code = {v: i for i, v in enumerate(options)}
        spot = self.option_code.get("spot", -2)
        self.market = self.o == spot

    def key(self, *parts: Any) -> Any:
        """One int64 code per row for the combination of the given code arrays."""
        import numpy as np

        out = np.zeros(len(self.at), dtype=np.int64)
        for part in parts:
            span = int(part.max()) + 2 if len(part) else 1
            out = out * span + part + 1
        return out

    def first(self, rows: Any, key: Any) -> Any:
        """Of ``rows`` (indices, ascending), the first of each ``key`` value, ascending."""
        import numpy as np

        _, first = np.unique(key[rows], return_index=True)
        return np.sort(rows[first])

    def seen(self, rows: Any) -> list[Seen]:
        """Row objects for checked rows ``rows`` (indices, ascending)."""
        v = self.vocab
        cpu, mem = ([float(x) if ok else None for x, ok in zip(vals[rows].tolist(), valid[rows].tolist(), strict=True)]
                    for vals, valid in (self.host["vcpus"], self.host["memory_gib"]))
        return [Seen(v["provider"][p], v["region"][r], v["instance_type"][t], v["purchase_option"][o], self.dec[pr],
                     v["accelerator"][a] if a >= 0 else None, int(n), cpu, mem)
                for p, r, t, o, pr, a, n, cpu, mem in zip(
                    self.p[rows].tolist(), self.r[rows].tolist(), self.t[rows].tolist(), self.o[rows].tolist(),
                    self.price[rows].tolist(), self.acc[rows].tolist(), self.count[rows].tolist(),
                    cpu, mem, strict=True)]


def check_columns(layers: Any) -> list[C.Finding]:
    """:func:`pricing.checks.check_offers` of the offers of ``layers`` (a loaded catalog's), from its columns."""
    import numpy as np

    rows = _Rows(layers)
    n = len(rows.at)
    everything = np.arange(n)
    found: list[C.Finding] = []
    # per accelerator and memory variants: the first offer of each (provider, region, type, option) with
    # accelerators, list-priced, as pricing.checks._index keeps them
    gpu_rows = rows.first(everything[(rows.count > 0) & ~rows.market], rows.key(rows.p, rows.r, rows.t, rows.o))
    idx = C._index(rows.seen(gpu_rows))  # type: ignore[arg-type]
    found += C._per_gpu_inconsistent(idx)
    found += _on_demand_below(rows)
    found += C._larger_memory_cheaper(idx)
    found += _region_outlier(rows)
    order = {k: i for i, k in enumerate(C.KINDS)}
    return sorted(found, key=lambda f: (order[f.kind], f.provider, f.region, f.rows))


def _on_demand_below(rows: _Rows) -> list[C.Finding]:
    import numpy as np

    od_code = rows.option_code.get("on_demand", -2)
    prt = rows.key(rows.p, rows.r, rows.t)
    is_od = rows.o == od_code
    od_rows = rows.first(np.nonzero(is_od)[0], prt)  # the first on-demand offer of each type and region
    others = np.nonzero(~is_od)[0]  # spot and every at-most-on-demand option
    if not len(od_rows) or not len(others):
        return []
    keys = prt[od_rows]
    order = np.argsort(keys)
    pos = np.searchsorted(keys[order], prt[others])
    pos[pos >= len(keys)] = 0
    match = od_rows[order][pos]
    has = prt[match] == prt[others]
    # a float screen with room to spare, then the exact test of pricing.checks._on_demand_below
    loose = rows.fprice[match] < rows.fprice[others] * (1 - float(C.ROUNDING)) * (1 + 1e-9)
    pick = np.nonzero(has & loose)[0]
    out = []
    for o, od in zip(rows.seen(others[pick]), rows.seen(match[pick]), strict=True):
        if not od.price < o.price * (1 - C.ROUNDING):
            continue
        kind = "on_demand_below_spot" if o.purchase_option == "spot" else "on_demand_below_commitment"
        out.append(C.Finding(kind, o.provider, o.region, (C.offer_id(od), C.offer_id(o)),  # type: ignore[arg-type]
                             f"{o.instance_type}: on-demand {C._usd(od.price)} is below {o.purchase_option} "
                             f"{C._usd(o.price)} ({C._pct(od.price, o.price)} less)"))
    return out


def _medians(group: Any, values: Any) -> tuple[Any, Any]:
    """(each row's group median, each row's group size) as :func:`statistics.median` computes the median."""
    import numpy as np

    by_value = np.argsort(values, kind="stable")
    order = by_value[np.argsort(group[by_value], kind="stable")]  # by group, then value
    g, v = group[order], values[order]
    starts = np.nonzero(np.r_[True, g[1:] != g[:-1]])[0]
    sizes = np.diff(np.r_[starts, len(g)])
    lo = starts + (sizes - 1) // 2
    hi = starts + sizes // 2
    med = np.where(lo == hi, v[lo], (v[lo] + v[hi]) / 2)
    which = np.repeat(np.arange(len(starts)), sizes)
    row_med = np.empty(len(g))
    row_size = np.empty(len(g), dtype=np.int64)
    row_med[order] = med[which]
    row_size[order] = sizes[which]
    return row_med, row_size


def _region_outlier(rows: _Rows) -> list[C.Finding]:
    import numpy as np

    everything = np.arange(len(rows.at))
    # each (provider, type, option)'s first offer in each region, list prices only
    listed = rows.first(everything[~rows.market], rows.key(rows.p, rows.t, rows.o, rows.r))
    if not len(listed):
        return []
    pto = rows.key(rows.p, rows.t, rows.o)[listed]
    price = rows.fprice[listed]
    mid, size = _medians(pto, price)
    ok = size >= C.REGION_MIN
    listed, pto, price, mid, size = listed[ok], pto[ok], price[ok], mid[ok], size[ok]
    if not len(listed):
        return []
    ratio = price / mid
    # each (provider, region, option)'s usual ratio, where enough types tell it
    pro = rows.key(rows.p, rows.r, rows.o)[listed]
    lvl_med, lvl_size = _medians(pro, ratio)
    level = np.where(lvl_size >= C.REGION_LEVEL_MIN_TYPES, lvl_med, 1.0)
    adjusted = ratio / level
    f = float(C.REGION_OUTLIER_FACTOR)
    inside = ((f >= ratio) & (ratio >= 1 / f)) | ((f >= adjusted) & (adjusted >= 1 / f))
    out = []
    flagged = np.nonzero(~inside)[0]
    for i, o in zip(flagged.tolist(), rows.seen(listed[flagged]), strict=True):
        median = statistics.median(rows.dec[p] for p in rows.price[listed[pto == pto[i]]].tolist())
        lvl, adj, rat = float(level[i]), float(adjusted[i]), float(ratio[i])
        usual = "" if lvl == 1.0 else (f"; prices in {o.region} are usually {lvl:.2f}x the median, "
                                       f"so this is {adj:.2f}x what the region's level predicts")
        out.append(C.Finding(
            "region_outlier", o.provider, o.region, (C.offer_id(o),),  # type: ignore[arg-type]
            f"{o.instance_type} {o.purchase_option} {C._usd(o.price)} is {rat:.2f}x the median "
            f"{C._usd(median)} of its {int(size[i])} regions{usual}"))
    return out

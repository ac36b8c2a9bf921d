"""Spend summaries: billed, effective (amortized) and list cost per month, provider, service and tags.

**Streaming.** Files are read batch by batch (pyarrow's parquet reader and streaming CSV reader, only the
columns the summary needs) and each batch is reduced to partial sums per group at once, so memory depends
on the batch size and the number of groups, not on the file: a year of hourly CUR (tens of millions of
rows) is summarized in the memory of a few batches. pyarrow rather than DuckDB: pyarrow is already a core
dependency, its readers give column projection and dictionary-encoded text (each distinct service, hour or
tag set is handled once per batch, not once per row), and the same per-format code then serves both
:func:`planner.actuals.read_actuals` and the summaries — one place where each provider's amortization rules
live, instead of a second copy in SQL.

**Dask.** ``engine="dask"`` runs the same per-batch reduction as tasks of a ``dask.dataframe`` (one
partition per parquet row group, or per CSV file) and combines the partial sums with a dask groupby, so
the work spreads over the cores of a machine or the workers of a ``distributed`` cluster when a client is
active.

**Rules.** A row's month is its ``BillingPeriodStart`` (the invoice month), its ``ChargePeriodStart`` where
the source has no billing period. Amounts in different currencies are never added: the currency is always
part of the group. A total is missing (NaN/null), not 0, when any row in its group lacks that amount.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from planner.actuals.focus import short_provider
from planner.actuals.formats.base import parse_tag_text
from planner.errors import InputError, quoted

DIMENSIONS = {  # summary dimension -> FOCUS column
    "month": "BillingPeriodStart", "provider": "ProviderName", "service": "ServiceName",
    "category": "ServiceCategory", "region": "RegionId", "account": "SubAccountId", "charge": "ChargeCategory",
    "pricing": "PricingCategory", "sku": "SkuId", "resource": "ResourceId",
}
VALUES = (("BilledCost", "billed_cost"), ("EffectiveCost", "effective_cost"), ("ListCost", "list_cost"))
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
ROUND = 10  # decimals kept in totals: below any billed amount, above float summation noise
_COMBINE_EVERY = 64  # partial results kept before they are merged


def parse_by(by: str | Iterable[str], field: str = "by") -> tuple[list[str], list[str]]:
    """(dimensions in order, tag keys) of ``by``: ``"month,provider,tag:team"`` or a sequence of names."""
    items = [p.strip() for p in (by.split(",") if isinstance(by, str) else by)]
    dims: list[str] = []
    tags: list[str] = []
    for item in items:
        if not item:
            continue
        if item.lower().startswith("tag:"):
            key = item[4:].strip()
            if not key:
                raise InputError("tag: needs a tag key, e.g. tag:team", field=field)
            dims.append(f"tag:{key}")
            tags.append(key)
        elif item.lower() in DIMENSIONS:
            dims.append(item.lower())
        else:
            from planner.errors import suggest

            raise InputError(suggest(item, [*DIMENSIONS, "tag:KEY", "currency"], what="summary dimension"),
                             field=field)
    if len(set(dims)) != len(dims):
        raise InputError(f"a dimension is given twice in {','.join(items)}", field=field)
    return dims, tags


def check_month(month: str | None, field: str = "month") -> str | None:
    if month is None:
        return None
    m = str(month).strip()
    if not _MONTH.match(m):
        raise InputError(f"{quoted(month)} is not a month; give it as YYYY-MM, e.g. 2026-03", field=field)
    return m


def column_name(dim: str) -> str:
    return "tag_" + dim[4:] if dim.startswith("tag:") else dim


# -- per-batch reduction ----------------------------------------------------------------------------
# A batch is reduced on integer codes: each key column becomes codes into its distinct values (a Categorical's
# own codes, nulls as one more code), the codes are mixed into one group number, and np.bincount adds up the
# amounts per group. That is a few passes over integer arrays per batch, with no per-row Python and no hash
# table of tuples; only the groups found (a few thousand at most) become a DataFrame.

_NULL_KEY = "\u2400null"  # stands for a null key where dask cannot group on nulls
_DENSE_LIMIT = 1 << 22  # group numbers below this are counted directly; above, they are factorized first


def _month_codes(cols: dict[str, Any], where: str) -> np.ndarray:
    """Months since 1970-01 (int64) per row, from BillingPeriodStart, else ChargePeriodStart."""
    out: np.ndarray | None = None
    for c in ("BillingPeriodStart", "ChargePeriodStart"):
        s = cols.get(c)
        if s is None:
            continue
        m = _months_of(s)
        out = m if out is None else np.where(out == _NO_MONTH, m, out)
        if not _any_no_month(out):
            break
    if out is None or _any_no_month(out):
        which = "BillingPeriodStart" if cols.get("ChargePeriodStart") is None else \
            "BillingPeriodStart or ChargePeriodStart"
        raise InputError(f"a charge has no {which} date, so it has no month; every row of a billing export "
                         "needs its billing period", where=where)
    return out


_NO_MONTH = np.iinfo(np.int64).min


def _constant(a: np.ndarray) -> bool:
    """Whether ``a`` is one value repeated (as :func:`_months_of` gives a batch of one billing period)."""
    return a.ndim == 1 and len(a) > 0 and a.strides[0] == 0


def _any_no_month(a: np.ndarray) -> bool:
    return bool(a[0] == _NO_MONTH) if _constant(a) else bool((a == _NO_MONTH).any())


def _months_of(s: Any) -> np.ndarray:
    """Months since 1970-01 of a datetime column (``_NO_MONTH`` where null), via a table per day."""
    t = s if isinstance(s, pd.Series) else pd.Series(s)
    if not isinstance(t.dtype, pd.DatetimeTZDtype) and t.dtype.kind != "M":
        t = pd.to_datetime(t, utc=True)
    ns = np.asarray(t.array.asi8)  # integers in the column's own unit; NaT is the smallest int64
    per_day = {"s": 86_400, "ms": 86_400_000, "us": 86_400_000_000, "ns": 86_400_000_000_000}[t.dt.unit]
    if len(ns) == 0:
        return np.zeros(0, dtype=np.int64)
    nat = np.iinfo(np.int64).min
    lo_ns, hi_ns = int(ns.min()), int(ns.max())
    if lo_ns == hi_ns and lo_ns != nat:  # one billing period in the whole batch, as in most batches of a CUR
        month = np.datetime64(lo_ns // per_day, "D").astype("datetime64[M]").astype(np.int64)
        return np.broadcast_to(month, len(ns))  # one value, no array written
    if lo_ns == nat:  # some nulls: months of the others
        null = ns == nat
        out = np.full(len(ns), _NO_MONTH, dtype=np.int64)
        if not null.all():
            out[~null] = _months_of(pd.Series(t[~null].to_numpy(), copy=False))
        return out
    m_lo, m_hi = (int(np.datetime64(x // per_day, "D").astype("datetime64[M]").astype(np.int64)) for x in (lo_ns, hi_ns))
    if m_hi - m_lo <= 4:  # a few months (a batch across a month's end): compared with the months' first instants
        after = np.zeros(len(ns), dtype=np.int8)  # how many of the later months have begun by each row
        for m in range(m_lo + 1, m_hi + 1):
            first = int(np.datetime64(m, "M").astype("datetime64[D]").astype(np.int64)) * per_day
            after += (ns >= first).view(np.int8)
        return np.add(after, m_lo, dtype=np.int64)
    days = np.floor_divide(ns, per_day)
    lo, hi = int(days.min()), int(days.max())
    if hi - lo > 200_000:  # dates centuries apart: no table, convert each
        return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    table = np.arange(lo, hi + 1).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    days -= lo
    return table[days]


def _month_offsets(s: Any) -> tuple[np.ndarray, int, int] | None:
    """(months since ``lo`` per row as small integers, lo, hi) of a billing period column with a date in every
    row and at most five months in the batch, as in a CUR ordered by time; None otherwise (then the months are
    found by :func:`_month_codes`)."""
    if not isinstance(s, pd.Series) or not (isinstance(s.dtype, pd.DatetimeTZDtype) or s.dtype.kind == "M") \
            or len(s) == 0:
        return None
    unit = s.dtype.unit if isinstance(s.dtype, pd.DatetimeTZDtype) else np.datetime_data(s.dtype)[0]
    per_day = {"s": 86_400, "ms": 86_400_000, "us": 86_400_000_000, "ns": 86_400_000_000_000}.get(unit)
    if per_day is None:
        return None
    ns = np.asarray(s.array.asi8)
    lo_ns, hi_ns = int(ns.min()), int(ns.max())
    if lo_ns == np.iinfo(np.int64).min:  # a null
        return None
    m_lo, m_hi = (int(np.datetime64(x // per_day, "D").astype("datetime64[M]").astype(np.int64)) for x in (lo_ns, hi_ns))
    if m_hi - m_lo > 4:
        return None
    after = np.zeros(len(ns), dtype=np.int8)  # how many of the later months have begun by each row
    for m in range(m_lo + 1, m_hi + 1):
        first = int(np.datetime64(m, "M").astype("datetime64[D]").astype(np.int64)) * per_day
        after += (ns >= first).view(np.int8)
    return after, m_lo, m_hi


def _codes(s: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(codes, values) of a key column: ``values[codes]`` is the column, with None for nulls."""
    if s is None:
        return np.zeros(n, dtype=np.int8), np.array([None], dtype=object)
    ser = s if isinstance(s, pd.Series) else pd.Series(s)
    if isinstance(ser.dtype, pd.CategoricalDtype):
        codes = np.asarray(ser.cat.codes)
        values = np.asarray(ser.cat.categories, dtype=object)
    else:
        codes, uniq = pd.factorize(ser, use_na_sentinel=True)
        values = np.asarray(uniq, dtype=object)
    if len(codes) and codes.min() < 0:  # nulls: one more code, in the codes' own width when it fits
        null = len(values)
        dtype = codes.dtype if null <= np.iinfo(codes.dtype).max else np.int64
        codes = np.where(codes < 0, np.asarray(null, dtype=dtype), codes.astype(dtype, copy=False))
        values = np.append(values, np.array([None], dtype=object))
    return codes, values


def reduce_batch(cols: dict[str, Any], dims: list[str], month: str | None, where: str) -> pd.DataFrame:
    """Partial sums of one batch of FOCUS columns, grouped by ``dims`` and currency."""
    n = len(cols["BilledCost"])
    months: np.ndarray | None = None  # months since 1970-01 per row
    offsets: tuple[np.ndarray, int, int] | None = None  # or: months since ``lo`` per row, lo, hi
    if "month" in dims or month:
        offsets = _month_offsets(cols.get("BillingPeriodStart"))
        if offsets is None:
            months = _month_codes(cols, where)
            lo, hi = (int(months[0]),) * 2 if _constant(months) else (int(months.min()), int(months.max()))
            offsets = (months - lo if hi > lo else np.zeros(n, dtype=np.int8), lo, hi)
    keep: np.ndarray | None = None
    if month is not None:
        assert offsets is not None
        want = (int(month[:4]) - 1970) * 12 + (int(month[5:]) - 1) - offsets[1]
        keep = offsets[0] == want if 0 <= want <= offsets[2] - offsets[1] else np.zeros(n, dtype=bool)
        if not keep.any():
            return pd.DataFrame()
    parts: list[tuple[str, np.ndarray, np.ndarray]] = []  # (name, codes, values)
    for d in dims:
        if d == "month":
            assert offsets is not None
            codes, lo, hi = offsets
            parts.append(("month", codes, np.arange(lo, hi + 1, dtype=np.int64)))
        else:
            col = cols.get(d) if d.startswith("tag:") else cols.get(DIMENSIONS[d])
            parts.append((column_name(d), *_codes(col, n)))
    parts.append(("currency", *_codes(cols.get("BillingCurrency"), n)))
    if keep is not None:
        parts = [(name, c[keep], v) for name, c, v in parts]
    key: np.ndarray | None = None  # None while every key so far has one value (all group numbers 0)
    radix: list[tuple[tuple[str, ...], int, np.ndarray]] = []  # (key names, cardinality, values)
    for name, codes, values in parts:
        k = len(values)
        if radix and float(np.prod([r[1] for r in radix], dtype=float)) * k > _DENSE_LIMIT:
            key, radix = _compact(_key_or_zeros(key, len(codes)), radix)
        if k > 1:
            if key is None:
                key = np.array(codes, dtype=np.int64)
            else:
                key *= k
                key += codes
        radix.append(((name,), k, values))
    key = _key_or_zeros(key, len(parts[-1][1]))
    size = int(np.prod([r[1] for r in radix], dtype=float))
    if size > _DENSE_LIMIT:
        key, radix = _compact(key, radix)
        size = radix[0][1]
    counts = np.bincount(key, minlength=size)
    found = np.flatnonzero(counts)
    data = _decode(found, radix)
    for src, name in VALUES:
        c = cols[src]
        v = c.to_numpy(dtype="float64", na_value=np.nan) if isinstance(c, pd.Series) else np.asarray(c, "float64")
        if keep is not None:
            v = v[keep]
        if np.isfinite(np.add.reduce(v)):  # no NaN in v (a NaN makes the sum NaN): no mask needed
            data[name] = np.bincount(key, weights=v, minlength=size)[found]
            data[name + "_missing"] = np.zeros(len(found), dtype=np.int64)
            continue
        miss = np.isnan(v)
        if miss.any():
            data[name] = np.bincount(key, weights=np.where(miss, 0.0, v), minlength=size)[found]
            data[name + "_missing"] = np.bincount(key, weights=miss, minlength=size)[found].astype(np.int64)
        else:
            data[name] = np.bincount(key, weights=v, minlength=size)[found]
            data[name + "_missing"] = np.zeros(len(found), dtype=np.int64)
    data["rows"] = counts[found]
    for nm, col in data.items():  # key values as they are (no inference of a string dtype per batch)
        if col.dtype == object:
            data[nm] = pd.Series(col, dtype=object, copy=False)
    return pd.DataFrame(data, copy=False)


def _key_or_zeros(key: np.ndarray | None, n: int) -> np.ndarray:
    return np.zeros(n, dtype=np.int64) if key is None else key


def _decode(numbers: np.ndarray, radix: list[tuple[tuple[str, ...], int, np.ndarray]]) -> dict[str, Any]:
    """Key values (one array per key name) of mixed-radix group numbers."""
    out: dict[str, Any] = {}
    rest = numbers.astype(np.int64, copy=True)
    for names, k, values in reversed(radix):
        picked = values[rest % k]
        rest //= k
        if len(names) == 1:
            out[names[0]] = picked
        else:
            for j, nm in enumerate(names):
                col = np.empty(len(picked), dtype=object)
                col[:] = [t[j] for t in picked]
                out[nm] = col
    return {nm: out[nm] for names, _k, _v in radix for nm in names}


def _compact(key: np.ndarray, radix: list[tuple[tuple[str, ...], int, np.ndarray]]
             ) -> tuple[np.ndarray, list[tuple[tuple[str, ...], int, np.ndarray]]]:
    """Renumber the group numbers so far densely, before mixing in more keys would leave the dense range."""
    codes, uniq = pd.factorize(key)
    decoded = _decode(np.asarray(uniq, dtype=np.int64), radix)
    names = tuple(nm for names, _k, _v in radix for nm in names)
    table = np.empty(len(uniq), dtype=object)
    table[:] = list(zip(*(decoded[nm] for nm in names), strict=True))
    return codes.astype(np.int64), [(names, len(uniq), table)]


def combine(parts: list[pd.DataFrame], keys: list[str]) -> pd.DataFrame:
    """Partial sums of several batches added up per group (small frames: one row per group)."""
    parts = [p for p in parts if not p.empty]
    if not parts:
        return pd.DataFrame()
    if len(parts) == 1:
        return parts[0]
    return _group_sum(pd.concat(parts, ignore_index=True), keys)


def _group_sum(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    for k in keys:
        if k != "month":
            frame[k] = pd.Series(frame[k].astype(object).where(frame[k].notna(), None), dtype=object)
    return frame.groupby(keys, dropna=False, sort=False).sum().reset_index()


def finalize(total: pd.DataFrame, dims: list[str]) -> pd.DataFrame:
    cols = [*map(column_name, dims), "billed_cost", "effective_cost", "list_cost", "currency"]
    if total.empty:
        return pd.DataFrame(columns=cols)
    out = total.copy()
    if "month" in dims:
        codes = out["month"].astype(np.int64).to_numpy()
        out["month"] = [f"{1970 + c // 12:04d}-{c % 12 + 1:02d}" for c in codes]
    if "provider" in dims:
        out["provider"] = out["provider"].map(short_provider)
    for _, name in VALUES:
        out[name] = out[name].where(out[name + "_missing"] == 0, np.nan).round(ROUND)
        out[name] = out[name].where(out[name] != 0, 0.0)  # no -0.0
    out = out[cols]
    for c in cols:
        if c not in ("month", "billed_cost", "effective_cost", "list_cost"):  # keys: None where null, never NaN
            out[c] = pd.Series(out[c].astype(object).where(out[c].notna(), None), dtype=object)
    sort = [*map(column_name, dims), "currency"]
    out = out.sort_values(sort, key=lambda s: s.map(lambda v: (v is None, str(v))) if s.dtype == object else s,
                          kind="stable").reset_index(drop=True)
    return out


# -- entry points -----------------------------------------------------------------------------------

def wanted_for(src: Any, wanted: set[str]) -> set[str]:
    """``wanted`` for one source: a parquet file whose statistics show a billing period in every row needs no
    charge times (one column less to read); other files keep them for rows without a billing period."""
    if src.kind == "parquet" and src.fmt.has_billing_period(src.header):
        name = src.header.find(*src.fmt.period_keys)
        if name is not None and _never_null(src.path, name):
            return wanted - {"ChargePeriodStart"}
    return wanted


def _never_null(path: Any, column: str) -> bool:
    """Whether parquet column statistics show no null in ``column`` (False when a row group has none)."""
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(str(path)).metadata
    for i in range(meta.num_row_groups):
        rg = meta.row_group(i)
        col = next((rg.column(j) for j in range(rg.num_columns) if rg.column(j).path_in_schema == column), None)
        stats = col.statistics if col is not None else None
        if stats is None or not stats.has_null_count or stats.null_count:
            return False
    return True


def wanted_columns(dims: list[str]) -> set[str]:
    w = {"BilledCost", "EffectiveCost", "ListCost", "ChargeCategory", "BillingCurrency",
         "BillingPeriodStart", "ChargePeriodStart"}
    w.update(DIMENSIONS[d] for d in dims if not d.startswith("tag:"))
    return w


def summarize(sources_or_frame: Any, *, by: str | Sequence[str] = ("month", "provider", "service"),
              format: str | None = None, month: str | None = None, engine: str = "pandas",
              fx: Mapping[str, Any] | None = None, billing_currency: str | None = None) -> pd.DataFrame:
    """Billed, effective and list cost per group of ``by`` and currency.

    ``sources_or_frame``: billing export files/folders/cost API URIs (streamed; see the module docstring), or
    a FOCUS frame from :func:`planner.actuals.read_actuals`. ``by``: ``month``, ``provider``, ``service``,
    ``category``, ``region``, ``account``, ``charge``, ``pricing``, ``sku``, ``resource``, ``tag:KEY`` and
    ``currency``. ``month``: only charges of that month (YYYY-MM). ``engine``: ``"pandas"`` (streaming, one
    process) or ``"dask"``.

    Currencies are never added together by accident: when the charges are in more than one currency, either
    ``by`` names ``currency`` (one row per currency), or ``fx`` gives each currency other than USD as USD per
    unit (``{"EUR": 1.08}``) and every amount is shown in USD; otherwise InputError. ``billing_currency`` is
    the currency of charges whose source names none (never assumed).

    Returns columns: the dimensions (``tag:KEY`` as ``tag_KEY``), ``billed_cost``, ``effective_cost``,
    ``list_cost``, ``currency``; one row per group and currency, sorted.
    """
    items = [p.strip() for p in (by.split(",") if isinstance(by, str) else list(by))]
    apart = any(p.lower() == "currency" for p in items)
    dims, tags = parse_by([p for p in items if p.lower() != "currency"])
    rates = _rates(fx)
    if billing_currency is not None:
        billing_currency = _currency_code(billing_currency, "billing_currency")
    month = check_month(month)
    if engine not in ("pandas", "dask"):
        raise InputError(f"unknown engine {quoted(engine)}; use 'pandas' or 'dask'", field="engine")
    keys = [*map(column_name, dims), "currency"]
    wanted = wanted_columns(dims)
    seen_tags: set[str] = set()
    scan: list[Any] = []  # files whose tag keys are looked up when a tag matches nothing
    if isinstance(sources_or_frame, pd.DataFrame):
        parts = [reduce_batch(_frame_columns(sources_or_frame, tags, seen_tags), dims, month, "the frame")]
        total = combine(parts, keys)
    else:
        from planner.actuals.reader import _api_frame, split_sources

        uris, files = split_sources(sources_or_frame)
        parts = []
        for uri in uris:
            parts.append(reduce_batch(_frame_columns(_api_frame(uri), tags, seen_tags), dims, month, uri))
        if files:
            from planner.actuals.reader import open_sources
            from planner.actuals.sources import expand

            srcs = open_sources(expand(files), format)
            scan.extend(srcs)
            if engine == "dask":
                parts.append(_dask_total(srcs, wanted, dims, tags, month, keys))
            else:
                parts.append(_stream_total(srcs, wanted, dims, tags, month, keys))
        elif not uris:
            raise InputError("no source given; name one or more billing export files")
        total = combine(parts, keys)
    _check_result(total, tags, month, seen_tags, scan, wanted)
    total = _one_currency(total, keys, rates, billing_currency, apart)
    return finalize(total, dims)


def _currency_code(code: Any, field: str) -> str:
    c = str(code).strip().upper()
    if len(c) != 3 or not c.isalpha():
        raise InputError(f"{quoted(code)} is not a currency code; give three letters such as USD or EUR", field=field)
    return c


def _rates(fx: Mapping[str, Any] | None) -> dict[str, float]:
    out: dict[str, float] = {}
    for cur, rate in (fx or {}).items():
        code = _currency_code(cur, "fx")
        try:
            r = float(rate)
        except (TypeError, ValueError):
            r = float("nan")
        if not np.isfinite(r) or r <= 0:
            raise InputError(f"the rate of {code} must be a positive number of USD per {code}, not {quoted(rate)}",
                             field="fx")
        out[code] = r
    return out


def _one_currency(total: pd.DataFrame, keys: list[str], rates: dict[str, float], billing_currency: str | None,
                  apart: bool) -> pd.DataFrame:
    """Totals in one currency per row group: converted to USD with ``rates``, or kept apart when asked."""
    named = [c.strip().upper() if isinstance(c, str) and c.strip() else billing_currency for c in total["currency"]]
    cur = pd.Series(named, index=total.index, dtype=object)
    total = _group_sum(total.assign(currency=cur), keys)  # USD and usd, or a filled-in currency: one group
    kinds = sorted({c for c in named if c is not None})
    unnamed = any(c is None for c in named)
    if len(kinds) + unnamed <= 1:
        return total
    if not rates:
        if apart:
            return total
        if unnamed:
            raise InputError(f"some charges name no currency and others are in {', '.join(kinds)}; give the "
                             "currency of the unnamed ones with --billing-currency (e.g. USD)", field="currency")
        example = " ".join(f"--fx {c}=RATE" for c in kinds if c != "USD")
        raise InputError(f"the charges are in {len(kinds)} currencies ({', '.join(kinds)}) and no exchange rate is "
                         f"given; add {example} (USD per unit) to show them in USD, or --by ...,currency to keep "
                         "them apart", field="currency")
    if unnamed:
        raise InputError("some charges name no currency, so they cannot be converted; give their currency with "
                         "--billing-currency (e.g. USD)", field="currency")
    missing = [c for c in kinds if c != "USD" and c not in rates]
    if missing:
        example = " ".join(f"--fx {c}=RATE" for c in missing)
        raise InputError(f"no exchange rate for {', '.join(missing)}; add {example} (USD per unit)", field="fx")
    mult = np.array([1.0 if c == "USD" else rates[c] for c in total["currency"]], dtype="float64")
    out = total.copy()
    for _, name in VALUES:
        out[name] = out[name].to_numpy() * mult
    out["currency"] = "USD"
    return _group_sum(out, keys)


def _stream_total(srcs: list[Any], wanted: set[str], dims: list[str], tags: list[str], month: str | None,
                  keys: list[str]) -> pd.DataFrame:
    from planner.actuals.reader import normalized

    parts: list[pd.DataFrame] = []
    for src in srcs:
        for cols, _raw in normalized(src, wanted_for(src, wanted), tags):
            parts.append(reduce_batch(cols, dims, month, src.where))
            if len(parts) >= _COMBINE_EVERY:
                parts = [combine(parts, keys)]
    return combine(parts, keys)


def _piece(src: Any, wanted: set[str], dims: list[str], tags: list[str], month: str | None,
           row_groups: list[int] | None) -> pd.DataFrame:
    """One dask partition: the partial sums of one CSV file or of some row groups of a parquet file."""
    from planner.actuals.reader import normalized

    keys = [*map(column_name, dims), "currency"]
    if row_groups is not None:
        src = _with_row_groups(src, row_groups)
    parts = [reduce_batch(cols, dims, month, src.where) for cols, _ in normalized(src, wanted_for(src, wanted), tags)]
    out = combine(parts, keys)
    return _typed(out, dims)


def _typed(frame: pd.DataFrame, dims: list[str]) -> pd.DataFrame:
    keys = [*map(column_name, dims), "currency"]
    cols = [*keys, *[n for _, name in VALUES for n in (name, name + "_missing")], "rows"]
    if frame.empty:
        frame = pd.DataFrame({c: pd.Series(dtype="int64" if c == "month" or c.endswith("_missing") or c == "rows"
                                           else ("float64" if c.endswith("_cost") else object)) for c in cols})
    frame = frame[cols].copy()
    for k in keys:
        if k != "month":
            frame[k] = frame[k].astype(object).where(frame[k].notna(), _NULL_KEY)  # dask groupby: no null keys
    return frame


def _with_row_groups(src: Any, row_groups: list[int]) -> Any:
    import copy

    s = copy.copy(src)
    s.options = dict(src.options, row_groups=row_groups)
    return s


def _dask_total(srcs: list[Any], wanted: set[str], dims: list[str], tags: list[str], month: str | None,
                keys: list[str]) -> pd.DataFrame:
    try:
        import dask.dataframe as dd
    except ModuleNotFoundError:
        raise InputError("engine='dask' needs dask: pip install 'planner[dask]'", field="engine") from None
    import pyarrow.parquet as pq

    pieces: list[tuple[Any, list[int] | None]] = []
    for src in srcs:
        if src.kind == "parquet":
            n = pq.ParquetFile(str(src.path)).metadata.num_row_groups
            step = max(1, n // 64) if n > 64 else 1
            pieces.extend((src, list(range(i, min(n, i + step)))) for i in range(0, max(n, 1), step))
        else:
            pieces.append((src, None))
    meta = _typed(pd.DataFrame(), dims)
    ddf = dd.from_map(lambda p: _piece(p[0], wanted, dims, tags, month, p[1]), pieces, meta=meta,
                      enforce_metadata=False)
    total = ddf.groupby(keys, dropna=False, sort=False).sum(split_out=1).compute().reset_index()
    for k in keys:
        if k != "month":
            total[k] = pd.Series(total[k].astype(object).where(total[k] != _NULL_KEY, None), dtype=object)
    return total


def _frame_columns(frame: pd.DataFrame, tags: list[str], seen: set[str]) -> dict[str, Any]:
    """The FOCUS columns of a frame as the per-batch reduction takes them (tag values picked from Tags)."""
    if len(frame) == 0:
        raise InputError("the frame has no rows of charges")
    missing = [c for c in ("BilledCost", "EffectiveCost") if c not in frame.columns]
    if "ChargePeriodStart" not in frame.columns and "BillingPeriodStart" not in frame.columns:
        missing.append("ChargePeriodStart")
    if missing:
        raise InputError(f"the frame lacks the FOCUS column{'s' * (len(missing) > 1)} {', '.join(missing)}")
    df = frame.reset_index(drop=True)
    cols: dict[str, Any] = {c: df[c] for c in df.columns}
    for c in ("BilledCost", "EffectiveCost", "ListCost"):
        cols[c] = pd.to_numeric(df[c], errors="coerce") if c in df.columns else \
            pd.Series(np.nan, index=df.index, dtype="float64")
    for c in ("BillingPeriodStart", "ChargePeriodStart"):
        if c in df.columns:
            cols[c] = pd.to_datetime(df[c], utc=True, errors="coerce", format="mixed")
    if tags:
        parsed = df["Tags"].map(parse_tag_text) if "Tags" in df.columns else pd.Series([{}] * len(df))
        for d in parsed:
            seen.update(d)
            if len(seen) > 200:
                break
        for key in tags:
            folded = key.casefold()

            def pick(d: dict[str, Any], key: str = key, folded: str = folded) -> Any:
                v = d.get(key)
                if v is None:
                    v = next((x for k, x in d.items() if k.casefold() == folded), None)
                return None if v is None or v == "" else str(v)
            cols[f"tag:{key}"] = parsed.map(pick)
    return cols


def _check_result(total: pd.DataFrame, tags: list[str], month: str | None, seen_tags: set[str], scan: list[Any],
                  wanted: set[str]) -> None:
    if total.empty:
        if month:
            raise InputError(f"no charges in {month}; check --month against the months the export covers",
                             field="month")
        raise InputError("the sources have no charges")
    for key in tags:
        col = column_name(f"tag:{key}")
        if col in total.columns and not total[col].notna().any():
            known = sorted(seen_tags | _tag_keys(scan, wanted, tags))
            hint = (f"tag keys in the data: {', '.join(known[:15])}{', ...' if len(known) > 15 else ''}"
                    if known else "the data has no tags")
            raise InputError(f"no charge has tag {quoted(key)}{' in ' + month if month else ''} ({hint})",
                             field=f"tag:{key}")


def _tag_keys(srcs: list[Any], wanted: set[str], tags: list[str]) -> set[str]:
    """Tag keys seen in the first batch of each file (for the message when a tag matches nothing)."""
    from planner.actuals.reader import normalized

    keys: set[str] = set()
    for src in srcs:
        for _cols, raw in normalized(src, wanted_for(src, wanted), tags):
            keys |= src.fmt.seen_tag_keys(raw)
            break
    return keys


__all__ = ["DIMENSIONS", "check_month", "parse_by", "summarize"]

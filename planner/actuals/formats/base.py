"""What every billing-export format shares: header matching, column access by kind, and fast per-value maps.

A source file is read in Arrow record batches; a format names the raw columns it needs for the FOCUS
columns asked for (``Format.needs``) and turns one batch into those FOCUS columns (``Format.normalize``).

Header names are matched after :func:`canon`: lower case, letters and digits only, and for localized
headers such as ``Maßeinheit (UnitOfMeasure)`` the English name in the parentheses. So ``lineItem/UnblendedCost``
(CUR CSV), ``line_item_unblended_cost`` (CUR in Athena/parquet and CUR 2.0), ``CostInBillingCurrency`` and
``costInBillingCurrency`` each meet one key.

Text columns arrive dictionary-encoded (pandas ``Categorical``), so per-value work — parsing dates, tags or
numbers, mapping a line-item type to a charge category — runs once per distinct value and is spread to the
rows by their codes. Billing exports repeat the same few values (hours, services, tag sets) millions of
times, which is what keeps a pass over tens of millions of rows fast.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pyarrow as pa

from planner.errors import InputError, quoted

NUM, TEXT, TIME, RAW = "num", "text", "time", "raw"  # how a raw column is read
RawSpec = dict[str, tuple[str, tuple[str, ...]]]  # logical column -> (kind, header keys)
TIME_LAX = "time_lax"  # a time where a value that is not a date is left out (NaT) rather than refused

_PAIR = re.compile(r'"([^"]+)"\s*:\s*"([^"]*)"')
_PAREN = re.compile(r"\(([^()]+)\)\s*$")
_NOT_ALNUM = re.compile(r"[^0-9a-z]")


def canon(name: str) -> str:
    """Match key of a header name: ``Abonnement-GUID (SubscriptionGuid)`` -> ``subscriptionguid``."""
    m = _PAREN.search(name)
    if m and _NOT_ALNUM.sub("", m.group(1).lower()):
        name = m.group(1)
    return _NOT_ALNUM.sub("", name.lower())


class Header:
    """The column names of a file, found by canonical key (first column wins on a clash)."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = [str(n) for n in names]
        self.by_key: dict[str, str] = {}
        for n in self.names:
            self.by_key.setdefault(canon(n), n)

    def find(self, *keys: str) -> str | None:
        for k in keys:
            if k in self.by_key:
                return self.by_key[k]
        return None

    def has(self, *keys: str) -> bool:
        return all(k in self.by_key for k in keys)

    def count(self, keys: Iterable[str]) -> int:
        return sum(k in self.by_key for k in keys)


@dataclass
class Context:
    """What a format knows about the file a batch comes from."""

    path: str
    fmt: str
    header: Header
    options: dict[str, Any] = field(default_factory=dict)


class Raw:
    """One batch of a source: raw columns by logical name, converted to pandas on first use."""

    def __init__(self, batch: pa.RecordBatch, columns: dict[str, tuple[str, str]], ctx: Context) -> None:
        self.batch = batch
        self.columns = columns  # logical -> (actual column name, kind)
        self.ctx = ctx
        self.n = batch.num_rows
        self._cache: dict[str, Any] = {}
        self._names = set(batch.schema.names)

    def has(self, logical: str) -> bool:
        return logical in self.columns and self.columns[logical][0] in self._names

    def arrow(self, logical: str) -> pa.Array | None:
        if not self.has(logical):
            return None
        col = self.batch.column(self.columns[logical][0])
        return col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col

    def get(self, logical: str) -> pd.Series | None:
        """The column as pandas: float for numbers, Categorical for text, UTC datetime for times."""
        if logical in self._cache:
            return self._cache[logical]
        out = self._from_chunks(logical)
        if out is not None:
            self._cache[logical] = out
            return out
        arr = self.arrow(logical)
        if arr is not None:
            name, kind = self.columns[logical]
            if kind == NUM:
                out = to_number(arr, name, self.ctx.path)
            elif kind == TEXT and pa.types.is_nested(arr.type):  # labels/tags as lists or maps in parquet
                out = pd.Series(arr.to_pandas(), copy=False)
            elif kind == TEXT:
                out = to_text(arr)
            elif kind in (TIME, TIME_LAX):
                out = to_time(arr, name, self.ctx.path, strict=kind == TIME)
            else:
                out = pd.Series(arr.to_pandas(), copy=False)
        self._cache[logical] = out
        return out

    def _from_chunks(self, logical: str) -> pd.Series | None:
        """A column (of one chunk, or of several: parquet row groups) converted without joining it in Arrow
        first: floats and times concatenated once into their numpy array, text by the chunks' indices into their
        shared dictionary, written at once in the width pandas keeps. None for anything else (converted from the
        joined array)."""
        if not self.has(logical):
            return None
        col = self.batch.column(self.columns[logical][0])
        chunks = col.chunks if isinstance(col, pa.ChunkedArray) else [col]
        if not chunks:
            return None
        kind = self.columns[logical][1]
        t = col.type
        if kind == NUM and pa.types.is_floating(t):
            return pd.Series(_float64(chunks), copy=False)
        if kind in (TIME, TIME_LAX) and pa.types.is_timestamp(t) and t.tz is None and col.null_count == 0:
            parts = [c.view(pa.int64()).to_numpy() for c in chunks]
            ints = parts[0] if len(parts) == 1 else np.concatenate(parts)
            values = pd.arrays.DatetimeArray._from_sequence(ints.view(f"M8[{t.unit}]"), dtype=f"M8[{t.unit}]")
            return pd.Series(values.tz_localize("UTC"), copy=False)
        if kind == TEXT and pa.types.is_dictionary(t) and pa.types.is_string(t.value_type):
            first = chunks[0].dictionary
            if all(c.dictionary is first or c.dictionary.equals(first) for c in chunks[1:]):
                k = len(first)  # codes written at once in the width pandas keeps for k categories
                codes = np.empty(self.n, dtype=np.int8 if k < 127 else np.int16 if k < 32767 else np.int32)
                pos = 0
                for c in chunks:
                    codes[pos:pos + len(c)] = _codes_of(c)
                    pos += len(c)
                return _categorical_codes(first, codes)
        return None

    def take(self, logical: str, rows: np.ndarray) -> np.ndarray | None:
        """A numeric column's values at ``rows`` (ascending positions) as float64, NaN where null; None when the
        batch lacks the column. A column of several chunks is read where the rows are, not joined first."""
        if not self.has(logical):
            return None
        name, kind = self.columns[logical]
        col = self.batch.column(name)
        if logical not in self._cache and kind == NUM and isinstance(col, pa.ChunkedArray) and \
                col.num_chunks > 1 and pa.types.is_floating(col.type):
            out = np.empty(len(rows), dtype="float64")
            start = 0
            for c in col.chunks:
                lo, hi = np.searchsorted(rows, (start, start + len(c)))
                if hi > lo:
                    if c.type != pa.float64():
                        c = c.cast(pa.float64())
                    out[lo:hi] = c.to_numpy(zero_copy_only=False)[rows[lo:hi] - start]
                start += len(c)
            return out
        s = self.get(logical)
        return None if s is None else s.to_numpy(dtype="float64", na_value=np.nan)[rows]

    def num(self, logical: str, default: float = np.nan) -> pd.Series:
        s = self.get(logical)
        return pd.Series(default, index=range(self.n), dtype="float64") if s is None else s

    def text(self, *logicals: str) -> pd.Series:
        """The first of ``logicals`` that is non-empty in each row (None where none is)."""
        out: pd.Series | None = None
        for lg in logicals:
            s = self.get(lg)
            if s is None:
                continue
            s = blank_to_na(s)
            out = s if out is None else coalesce(out, s)
        return out if out is not None else pd.Series([None] * self.n, dtype="object")

    def constant(self, value: Any) -> pd.Series:
        return pd.Series(pd.Categorical([value] * self.n)) if value is not None else \
            pd.Series([None] * self.n, dtype="object")


# -- conversions -----------------------------------------------------------------------------------

def _codes_of(arr: pa.DictionaryArray) -> np.ndarray:
    """The indices of a dictionary array as numpy, -1 where null."""
    import pyarrow.compute as pc

    idx = arr.indices
    if idx.null_count:
        idx = pc.fill_null(idx, -1)
    return idx.to_numpy(zero_copy_only=False)


def _float64(chunks: list[pa.Array]) -> np.ndarray:
    """Floating chunks as one float64 array, NaN where null (one chunk without nulls: its own memory)."""
    parts = []
    for c in chunks:
        if c.type != pa.float64():
            c = c.cast(pa.float64())
        parts.append(c.to_numpy(zero_copy_only=False))
    return parts[0] if len(parts) == 1 else np.concatenate(parts) if parts else np.zeros(0)


_DTYPES: dict[tuple[Any, ...], pd.CategoricalDtype] = {}  # categories seen in earlier batches -> their dtype


def category_dtype(values: list[Any], *, text: bool = False) -> pd.CategoricalDtype:
    """The Categorical dtype of ``values`` (distinct, none null), made once for the few sets of categories a
    file's batches repeat (the same services, types, tags) instead of once per batch. ``text``: categories
    kept as Python objects, as an Arrow dictionary of strings gives them; otherwise pandas infers their type."""
    key = (text, *((type(v), v) for v in values))  # 1, 1.0 and True are different categories
    try:
        got = _DTYPES.get(key)
    except TypeError:  # unhashable categories: not kept
        return pd.CategoricalDtype(pd.Index(values, dtype=object) if text else values)
    if got is None:
        got = pd.CategoricalDtype(pd.Index(values, dtype=object) if text else values)
        if len(values) <= 4096:
            if len(_DTYPES) >= 256:
                _DTYPES.clear()
            _DTYPES[key] = got
    return got


def _categorical_codes(dictionary: pa.Array, codes: np.ndarray) -> pd.Series | None:
    """A Categorical of ``codes`` into ``dictionary`` (None when the dictionary is not a plain set)."""
    if dictionary.null_count:
        return None
    values = dictionary.to_pylist()
    if len(set(values)) != len(values):
        return None
    dtype = category_dtype(values, text=True)
    return pd.Series(pd.Categorical.from_codes(codes, dtype=dtype, validate=False), copy=False)


def _categorical(arr: pa.DictionaryArray) -> pd.Series | None:
    """A dictionary array as a Categorical sharing its indices (None when its dictionary is not a plain set)."""
    if arr.dictionary.null_count:
        return None
    return _categorical_codes(arr.dictionary, _codes_of(arr))


def to_text(arr: pa.Array) -> pd.Series:
    if pa.types.is_dictionary(arr.type):
        if not pa.types.is_string(arr.type.value_type) and not pa.types.is_large_string(arr.type.value_type):
            arr = arr.cast(pa.dictionary(arr.type.index_type, pa.string()))
        fast = _categorical(arr)
        if fast is not None:
            return fast
    elif pa.types.is_null(arr.type):
        return pd.Series(pd.Categorical([None] * len(arr)))
    else:
        if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
            arr = arr.cast(pa.string())
        arr = arr.dictionary_encode()
    return pd.Series(arr.to_pandas(), copy=False)


def to_number(arr: pa.Array, name: str, where: str) -> pd.Series:
    t = arr.type
    if pa.types.is_dictionary(t):
        arr, t = arr.dictionary_decode(), t.value_type
    if pa.types.is_floating(t) or pa.types.is_integer(t) or pa.types.is_decimal(t) or pa.types.is_null(t):
        return pd.Series(arr.cast(pa.float64()).to_numpy(zero_copy_only=False), copy=False)
    s = pd.Series(arr.cast(pa.string()).to_pandas(), copy=False)
    s = s.where(~s.isin(["", "null", "NULL", "None", "NaN", "nan"]), None)
    vals = pd.to_numeric(s, errors="coerce")
    bad = vals.isna() & s.notna()
    if bad.any():
        raise InputError(f"{quoted(s[bad].iloc[0])} is not a number; amounts must be plain numbers such as 12.5",
                         where=where, field=name)
    return vals.astype("float64")


_US_DATE = re.compile(r"^\d{1,2}/\d{1,2}/\d{2}(\d{2})?( |$)")
_DOT_DATE = re.compile(r"^\d{1,2}\.\d{1,2}\.\d{4}( |$)")
_SHORT_TZ = re.compile(r"(T\d{2}:\d{2})(Z|[+-]\d{2}:?\d{2})$")  # OCI: 2023-11-13T10:00Z


def parse_times(values: pd.Index | pd.Series | list[Any], name: str, where: str, strict: bool = True) -> pd.Series:
    """UTC datetimes of date/time texts in the forms billing exports use.

    ISO 8601 (with or without ``T``, seconds, fraction, zone), US ``MM/DD/YYYY`` (Azure EA and MCA
    exports), ``DD.MM.YYYY`` (German locale). Without a zone a time is UTC. ``strict``: a value that is
    not a date raises InputError naming it; otherwise it becomes NaT.
    """
    s = pd.Series(list(values), dtype="object")
    s = s.where(s.notna(), None).map(lambda v: v.strip() if isinstance(v, str) else v)
    s = s.where(~s.isin(["", "null", "NULL", "None"]), None)
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns, UTC]")
    txt = s.dropna().astype(str)
    if txt.empty:
        return out
    us = txt.str.match(_US_DATE)
    dot = txt.str.match(_DOT_DATE)
    iso = ~(us | dot)
    if iso.any():
        v = txt[iso].str.replace(_SHORT_TZ, r"\1:00\2", regex=True)
        out.loc[v.index] = pd.to_datetime(v, utc=True, errors="coerce", format="ISO8601")
        rest = out.loc[v.index].isna()
        if rest.any():  # mixed forms in one column: one more try, value by value
            out.loc[v[rest].index] = pd.to_datetime(v[rest], utc=True, errors="coerce", format="mixed")
    if us.any():
        v = txt[us].str.split(" ").str[0]
        four = v.str.match(r"^\d{1,2}/\d{1,2}/\d{4}$")
        out.loc[v[four].index] = pd.to_datetime(v[four], utc=True, errors="coerce", format="%m/%d/%Y")
        out.loc[v[~four].index] = pd.to_datetime(v[~four], utc=True, errors="coerce", format="%m/%d/%y")
    if dot.any():
        v = txt[dot].str.split(" ").str[0]
        out.loc[v.index] = pd.to_datetime(v, utc=True, errors="coerce", format="%d.%m.%Y")
    bad = out.isna() & s.notna()
    if bad.any() and strict:
        raise InputError(f"{quoted(s[bad].iloc[0])} is not a date and time; use ISO 8601 such as "
                         "2026-03-01T00:00:00Z (or the export's own MM/DD/YYYY)", where=where, field=name)
    return out


def to_time(arr: pa.Array, name: str, where: str, strict: bool = True) -> pd.Series:
    t = arr.type
    if pa.types.is_timestamp(t):
        if t.tz is None:  # a time without a zone is UTC: say so in Arrow (no pass over the values)
            arr = arr.cast(pa.timestamp(t.unit, "UTC"))
        s = pd.Series(arr.to_pandas(), copy=False)
        return s if t.tz in (None, "UTC", "Z", "+00:00") else s.dt.tz_convert("UTC")
    if pa.types.is_date(t):
        return pd.Series(pd.to_datetime(arr.to_pandas(), utc=True), copy=False)
    cat = to_text(arr)
    times = parse_times(cat.cat.categories, name, where, strict=strict)
    return take_by_codes(times.to_numpy(), cat.cat.codes.to_numpy(), np.datetime64("NaT"), "datetime64[ns, UTC]")


def take_by_codes(values: np.ndarray, codes: np.ndarray, missing: Any, dtype: Any = None) -> pd.Series:
    """``values[codes]`` with code -1 (null) giving ``missing``."""
    if values.dtype.kind == "M":  # tz-aware values arrive as object or M8; keep them as UTC datetimes
        vals = np.append(values.astype("datetime64[ns]"), np.datetime64("NaT", "ns"))
        out = pd.Series(vals[codes], copy=False)
        return out.dt.tz_localize("UTC")
    vals = np.append(values, np.array([missing], dtype=values.dtype if values.dtype != object else object))
    out = pd.Series(vals[codes], copy=False)
    if dtype is not None and dtype != "datetime64[ns, UTC]":
        out = out.astype(dtype)
    elif dtype == "datetime64[ns, UTC]":
        out = pd.to_datetime(out, utc=True)
    return out


def map_values(s: pd.Series, fn: Callable[[Any], Any], *, categorical: bool = True) -> pd.Series:
    """``fn`` applied once per distinct value of a Categorical (nulls stay null), spread over the rows."""
    if not isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype("category")
    cats = s.cat.categories
    mapped = [fn(c) for c in cats]
    codes = s.cat.codes.to_numpy()
    if categorical:
        uniq = list(dict.fromkeys(v for v in mapped if v is not None))
        pos = {v: i for i, v in enumerate(uniq)}
        table = np.array([pos[v] if v is not None else -1 for v in mapped] + [-1],
                         dtype=np.int8 if len(uniq) < 127 else np.int32)
        return pd.Series(pd.Categorical.from_codes(np.take(table, codes), dtype=category_dtype(uniq), validate=False),
                         copy=False)
    table_o = np.empty(len(mapped) + 1, dtype=object)
    table_o[:-1] = mapped
    table_o[-1] = None
    return pd.Series(np.take(table_o, codes), copy=False)


def map_bool(s: pd.Series, fn: Callable[[Any], bool], rows: np.ndarray | None = None) -> np.ndarray:
    """Boolean per row: ``fn`` of the row's value, computed once per distinct value (null is False); only at
    positions ``rows`` when given."""
    if not isinstance(s.dtype, pd.CategoricalDtype):
        s = (s.iloc[rows] if rows is not None else s).astype("category")
        rows = None
    table = np.array([bool(fn(c)) for c in s.cat.categories] + [False], dtype=bool)
    codes = s.cat.codes.to_numpy()
    return np.take(table, codes if rows is None else codes[rows])  # (np.take: no index array copied)


def is_in(s: pd.Series, values: Iterable[str], rows: np.ndarray | None = None) -> np.ndarray:
    vals = {v.lower() for v in values}
    return map_bool(s, lambda v: isinstance(v, str) and v.strip().lower() in vals, rows)


def blank_to_na(s: pd.Series) -> pd.Series:
    if isinstance(s.dtype, pd.CategoricalDtype):
        cats = s.cat.categories
        blank = [c for c in cats if not isinstance(c, str) or not c.strip() or c.strip().lower() in ("null", "none")]
        return s.cat.remove_categories(blank) if blank else s
    return s.where(s.map(lambda v: isinstance(v, str) and bool(v.strip())), None)


def coalesce(a: pd.Series, b: pd.Series) -> pd.Series:
    """``a`` where it has a value, else ``b`` (Categoricals merge their categories)."""
    if not a.isna().any():
        return a
    if isinstance(a.dtype, pd.CategoricalDtype) and isinstance(b.dtype, pd.CategoricalDtype):
        cats = a.cat.categories.union(b.cat.categories)
        a2 = a.cat.set_categories(cats)
        return a2.fillna(b.cat.set_categories(cats))
    return a.astype(object).where(a.notna(), b.astype(object))


def num_where(mask: np.ndarray, values: pd.Series | float, other: pd.Series) -> pd.Series:
    v = values.to_numpy() if isinstance(values, pd.Series) else values
    return pd.Series(np.where(mask, v, other.to_numpy()), copy=False)


# -- tags ------------------------------------------------------------------------------------------

def parse_tag_text(v: Any) -> dict[str, Any]:
    """Tags of one cell: a JSON object (braces optional, as in some Azure exports), a list of
    ``{"key", "value"}`` (GCP labels, JSON or Python repr), or a list of key/value pairs (Arrow maps)."""
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return {}
    if isinstance(v, dict):
        return {str(k): x for k, x in v.items()}
    if isinstance(v, (list, tuple, np.ndarray)):
        out: dict[str, Any] = {}
        for item in v:
            if isinstance(item, dict) and "key" in item:
                out[str(item["key"])] = item.get("value")
            elif isinstance(item, (list, tuple)) and len(item) == 2:
                out[str(item[0])] = item[1]
        return out
    text = str(v).strip()
    if not text or text in ("[]", "{}", "null"):
        return {}
    candidates = [text] if text[0] in "[{" else ["{" + text + "}"]
    for c in candidates:
        for loader in (json.loads, ast.literal_eval):
            try:
                parsed = loader(c)
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                continue
            if isinstance(parsed, (dict, list)):
                return parse_tag_text(parsed)
    # damaged objects (a key without a value, as some Azure exports write): the "key": "value" pairs in them
    return {k: v for k, v in _PAIR.findall(text)}


def tag_dicts(s: pd.Series) -> pd.Series:
    """A dict of tags per row from a text column of tag objects (parsed once per distinct value)."""
    if s.dtype == object and len(s) and not isinstance(s.dropna().iloc[0] if s.notna().any() else "", str):
        return s.map(parse_tag_text)
    return map_values(s, parse_tag_text, categorical=False).map(lambda d: d if d is not None else {})


def tag_value_column(s: pd.Series, key: str, normalize: Callable[[str], str] = lambda k: k) -> pd.Series:
    """The value of tag ``key`` per row, from a column of tag objects (None where absent)."""
    def pick(v: Any) -> Any:
        d = parse_tag_text(v)
        got = lookup_tag(d, key, normalize)
        return None if got is None or got == "" else str(got)
    if s.dtype == object and s.notna().any() and not isinstance(s.dropna().iloc[0], str):
        return pd.Series(pd.Categorical(s.map(pick)), copy=False)
    return map_values(s, pick)


def lookup_tag(tags: dict[str, Any], key: str, normalize: Callable[[str], str] = lambda k: k) -> Any:
    if key in tags:
        return tags[key]
    folded = key.casefold()
    for k, v in tags.items():
        if normalize(k) == key or normalize(k).casefold() == folded:
            return v
    return None


def tag_keys(s: pd.Series, normalize: Callable[[str], str] = lambda k: k, limit: int = 200) -> set[str]:
    keys: set[str] = set()
    vals = s.cat.categories if isinstance(s.dtype, pd.CategoricalDtype) else s.dropna()
    for v in vals:
        keys.update(normalize(k) for k in parse_tag_text(v))
        if len(keys) > limit:
            break
    return keys


# -- formats ---------------------------------------------------------------------------------------

class Format:
    """A billing-export format: how to recognise it and how its columns become FOCUS columns."""

    name = ""
    provider = ""
    label = ""  # for messages: what the format is
    signature: tuple[str, ...] = ()  # canonical keys that identify it (all must be present)
    period_keys: tuple[str, ...] = ()  # canonical keys of its billing-period (invoice month) column, if any
    # logical raw column -> (kind, canonical keys to try in order)
    raw: ClassVar[RawSpec] = {}

    def matches(self, header: Header) -> bool:
        return header.has(*self.signature)

    def missing(self, header: Header) -> list[str]:
        """Columns this format cannot do without that the file lacks (names as the format spells them)."""
        return []

    def describe(self) -> str:
        return f"{self.name} ({self.label})"

    def resolve(self, header: Header) -> dict[str, tuple[str, str]]:
        """Logical column -> (actual name, kind) for the raw columns this file has."""
        out = {}
        for logical, (kind, keys) in self.raw.items():
            name = header.find(*keys)
            if name is not None:
                out[logical] = (name, kind)
        return out

    def needs(self, wanted: set[str]) -> set[str]:
        """Logical raw columns needed for the FOCUS columns in ``wanted`` (default: all)."""
        return set(self.raw)

    def has_billing_period(self, header: Header) -> bool:
        """Whether the file says each charge's billing period (else a month is that of the charge's start)."""
        return header.count(self.period_keys) > 0

    def prune(self, plan: dict[str, tuple[str, str]], wanted: set[str]) -> dict[str, tuple[str, str]]:
        """The columns of ``plan`` worth reading, knowing which ones the file has (default: all)."""
        return plan

    def lazy(self, wanted: set[str]) -> set[str]:
        """Logical raw columns that a batch often does not need for ``wanted`` (a fallback for another column):
        a parquet file's are read for a batch only when it asks for them (default: none)."""
        return set()

    def tag_columns(self, header: Header) -> dict[str, str]:
        """Tag key -> column, for formats with one column per tag (CUR, OCI)."""
        return {}

    def tag_key(self, key: str) -> str:
        """A tag key as the user writes it (``user:team`` in a CUR is ``team``)."""
        return key

    def normalize(self, raw: Raw, wanted: set[str], tags: list[str]) -> dict[str, Any]:
        raise NotImplementedError

    # -- tags, shared by all formats --
    def tag_plan(self, header: Header, tags: list[str], all_tags: bool) -> dict[str, tuple[str, str]]:
        """Extra raw columns to read for the tags asked for (per-tag columns only)."""
        percol = self.tag_columns(header)
        names = set(percol.values()) if all_tags else {c for k in tags if (c := match_key(k, percol)) is not None}
        return {f"tagcol:{c}": (c, TEXT) for c in sorted(names)}

    def tags(self, raw: Raw, wanted: set[str], tags: list[str]) -> dict[str, Any]:
        """``tag:KEY`` columns (value per row or None) and, when wanted, ``Tags`` (a dict per row)."""
        out: dict[str, Any] = {}
        percol = self.tag_columns(raw.ctx.header)
        objects = raw.get("tags") if "tags" in self.raw else None
        arrow_map = raw.arrow("tags") if objects is not None else None
        for key in tags:
            col = match_key(key, percol)
            if arrow_map is not None and pa.types.is_map(arrow_map.type):
                out[f"tag:{key}"] = self._map_lookup(arrow_map, key)
            elif col is not None and raw.has(f"tagcol:{col}"):
                s = raw.get(f"tagcol:{col}")
                out[f"tag:{key}"] = blank_to_na(s) if s is not None else raw.constant(None)
            elif objects is not None:
                out[f"tag:{key}"] = tag_value_column(objects, key, self.tag_key)
            else:
                out[f"tag:{key}"] = raw.constant(None)
        if "Tags" in wanted:
            if objects is not None:
                dicts = tag_dicts(objects).map(lambda d: {self.tag_key(k): v for k, v in d.items()
                                                           if v is not None and v != ""})
            else:
                dicts = pd.Series([{} for _ in range(raw.n)], dtype=object)
            for key, col in percol.items():
                s = raw.get(f"tagcol:{col}")
                if s is None:
                    continue
                vals = blank_to_na(s).astype(object).to_numpy()
                for i in np.flatnonzero(pd.notna(vals)):
                    dicts.iat[i][key] = vals[i]
            out["Tags"] = dicts
        return out

    def _map_lookup(self, arr: pa.Array, key: str) -> pd.Series:
        """Tag ``key`` from an Arrow map column (CUR 2.0 ``resource_tags``), without leaving Arrow per row."""
        import pyarrow.compute as pc

        keys = pc.unique(arr.keys).to_pylist()
        raw_key = next((k for k in keys if k == key), None) or next(
            (k for k in keys if isinstance(k, str) and self.tag_key(k).casefold() == key.casefold()), None)
        if raw_key is None:
            return pd.Series(pd.Categorical([None] * len(arr)))
        return blank_to_na(to_text(pc.map_lookup(arr, raw_key, "first")))

    def seen_tag_keys(self, raw: Raw) -> set[str]:
        keys = set(self.tag_columns(raw.ctx.header))
        arr = raw.arrow("tags") if "tags" in self.raw else None
        if arr is not None and pa.types.is_map(arr.type):
            import pyarrow.compute as pc

            return keys | {self.tag_key(k) for k in pc.unique(arr.keys).to_pylist() if isinstance(k, str)}
        if "tags" in self.raw and raw.get("tags") is not None:
            keys |= tag_keys(raw.get("tags"), self.tag_key)
        return keys


def match_key(key: str, table: dict[str, str]) -> str | None:
    if key in table:
        return table[key]
    folded = key.casefold()
    for k, v in table.items():
        if k.casefold() == folded:
            return v
    return None

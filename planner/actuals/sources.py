"""Source files: finding them, telling their format from the header, and reading them in Arrow batches.

A source is a CSV file (optionally gzip-compressed, optionally with a UTF-8 byte-order mark), a parquet
file, or a folder of those (a CUR delivery is a folder of parts). Only the columns a request needs are read:
parquet by column projection, CSV with pyarrow's streaming reader restricted to those columns. Text columns
are read dictionary-encoded, numbers as float64. Parquet row groups are joined into batches without copying
(a column keeps a chunk per row group), and a column that is only a fallback for another is read for a batch
only when that batch needs it.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from planner.actuals.formats import Format, Header, detect, format_named
from planner.actuals.formats.base import NUM, RAW, TEXT, TIME, TIME_LAX
from planner.errors import InputError, quoted

NULLS = ["", "null", "NULL", "None", "NaN", "nan"]
CSV_BLOCK = 8 << 20  # bytes per CSV block read at a time
PARQUET_BATCH = 1 << 18  # rows per parquet batch, at most
SUFFIXES = (".csv", ".csv.gz", ".parquet", ".gz", ".txt")
_URI = re.compile(r"^(aws-ce|azure-cm|bq|bigquery|gcp-billing|ce|cm):", re.IGNORECASE)


def is_api_uri(source: Any) -> bool:
    return isinstance(source, str) and bool(_URI.match(source))


@dataclass
class SourceFile:
    path: Path
    kind: str  # "csv" or "parquet"
    compression: str | None
    header: Header
    fmt: Format
    fmt_name: str
    options: dict[str, Any] = field(default_factory=dict)
    nested: dict[str, str] = field(default_factory=dict)  # flattened parquet name -> top-level column

    @property
    def where(self) -> str:
        return str(self.path)


def expand(sources: Any) -> list[Path]:
    """Files named by ``sources`` (one or a list; folders give the billing files inside, sorted)."""
    items = [sources] if isinstance(sources, (str, Path)) else list(sources)
    if not items:
        raise InputError("no source given; name one or more billing export files")
    out: list[Path] = []
    for s in items:
        p = Path(s)
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.is_file() and f.name.lower().endswith(SUFFIXES))
            if not found:
                raise InputError("folder has no .csv, .csv.gz or .parquet files", where=str(p))
            out.extend(found)
        elif p.is_file():
            out.append(p)
        elif p.exists():
            raise InputError("not a regular file", where=str(p))
        else:
            raise InputError("no such file", where=str(p))
    return out


def _magic(path: Path) -> bytes:
    with path.open("rb") as f:
        return f.read(4)


def _csv_header(path: Path, compression: str | None) -> list[str]:
    opener = gzip.open if compression == "gzip" else open
    try:
        with opener(path, "rb") as f:  # type: ignore[operator]
            head = f.read(1 << 20)
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc})", where=str(path)) from None
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError("file is UTF-16 text; save it as UTF-8 (CSV UTF-8) and try again", where=str(path))
    if not head.strip(b"\xef\xbb\xbf \r\n\t"):
        raise InputError("file is empty; give an export with a header row and charges", where=str(path))
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the end of the sample
            raise InputError("file is not UTF-8 text (nor parquet); give the export as CSV or parquet",
                             where=str(path)) from None
        text = head[: exc.start].decode("utf-8-sig")
    first = next(csv.reader(io.StringIO(text)), [])
    names = [n.strip() for n in first]
    if len([n for n in names if n]) < 2:
        raise InputError("first line is not a CSV header of a billing export (fewer than two columns)",
                         where=str(path))
    return names


def _parquet_header(path: Path) -> tuple[list[str], dict[str, str]]:
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"unreadable parquet file ({exc})", where=str(path)) from None
    names: list[str] = []
    nested: dict[str, str] = {}

    def walk(prefix: str, top: str, t: pa.DataType) -> None:
        if pa.types.is_struct(t):
            for f in t:
                walk(f"{prefix}.{f.name}", top, f.type)
        else:
            names.append(prefix)
            nested[prefix] = top

    for f in schema:
        walk(f.name, f.name, f.type)
    return names, nested


def open_file(path: Path, format: str | None = None) -> SourceFile:
    if path.stat().st_size == 0:
        raise InputError("file is empty; give an export with a header row and charges", where=str(path))
    magic = _magic(path)
    nested: dict[str, str] = {}
    if magic == b"PAR1":
        kind, compression = "parquet", None
        names, nested = _parquet_header(path)
    elif magic[:2] == b"PK":
        raise InputError("file is a zip archive; unzip it and give the CSV inside", where=str(path))
    else:
        kind, compression = "csv", ("gzip" if magic[:2] == b"\x1f\x8b" else None)
        names = _csv_header(path, compression)
    header = Header(names)
    if format:
        fmt = format_named(format)
        fmt_name = fmt.name
    else:
        fmt, fmt_name = detect(header, str(path))
    missing = fmt.missing(header)
    if missing:
        s = "s" if len(missing) > 1 else ""
        raise InputError(f"{fmt_name} file lacks the mandatory column{s} {', '.join(missing)}; export it with "
                         "all FOCUS columns", where=str(path))
    return SourceFile(path, kind, compression, header, fmt, fmt_name, nested=nested)


def detect_format(path: str | Path) -> str:
    """The format name of a billing export file, read from its header (``focus``, ``aws-cur``, ``azure-ea``...)."""
    return open_file(Path(path)).fmt_name


def _arrow_type(kind: str) -> pa.DataType:
    if kind == NUM:
        return pa.float64()
    if kind in (TEXT, TIME, TIME_LAX):
        return pa.dictionary(pa.int32(), pa.string())
    return pa.string()


def batches(src: SourceFile, plan: dict[str, tuple[str, str]], lazy: Iterable[str] = ()
            ) -> Iterator[pa.RecordBatch | pa.Table | LazyBatch]:
    """Record batches of ``src`` with the columns of ``plan`` (logical -> (column, kind)); a batch of parquet
    row groups is a table whose columns have a chunk per row group. ``lazy``: logical columns a batch may well
    not need; a parquet file's are read only when a batch asks for them (see :class:`LazyBatch`)."""
    names = list(dict.fromkeys(name for name, _ in plan.values()))
    if src.kind == "parquet":
        later = {plan[lg][0] for lg in lazy if lg in plan}
        later -= {name for lg, (name, _) in plan.items() if lg not in lazy}  # also needed for sure: read now
        yield from _parquet_batches(src, plan, names, later)
    else:
        yield from _csv_batches(src, plan, names)


class _Names:
    def __init__(self, names: list[str]) -> None:
        self.names = names


class LazyBatch:
    """Parquet row groups read as one batch, with the columns a batch rarely needs (a fallback, or amounts of a
    few line item types) read from the same row groups only when asked for. Has what :class:`Raw` uses of a
    table: ``num_rows``, ``schema.names`` and ``column(name)``."""

    def __init__(self, table: pa.Table, later: list[str], load: Any) -> None:
        self.table = table
        self.num_rows = table.num_rows
        self.later = [n for n in later if n not in table.schema.names]
        self.schema = _Names([*table.schema.names, *self.later])
        self._load = load
        self._got: dict[str, pa.ChunkedArray] = {}

    def column(self, name: str) -> pa.ChunkedArray:
        if name not in self.later:
            return self.table.column(name)
        if name not in self._got:
            self._got[name] = self._load(name)
        return self._got[name]


def _csv_batches(src: SourceFile, plan: dict[str, tuple[str, str]], names: list[str]) -> Iterator[pa.RecordBatch]:
    """Streamed CSV batches. A row with fewer fields than the header (some exporters drop trailing empty
    fields) is read with its missing fields empty, as spreadsheet tools read it; a row with more fields is
    an error."""
    import pyarrow.csv as pcsv

    kinds = {name: kind for name, kind in plan.values()}
    if not names:  # nothing but the row count is needed
        names = [src.header.names[0]]
        kinds = {names[0]: RAW}
    types = {n: _arrow_type(kinds[n]) for n in names}
    convert = pcsv.ConvertOptions(include_columns=names, column_types=types,
                                  null_values=NULLS, strings_can_be_null=True, quoted_strings_can_be_null=True)
    short: list[str] = []
    too_long: list[Any] = []

    def on_bad_row(row: Any) -> str:
        if row.actual_columns < row.expected_columns and len(short) < 1_000_000:
            short.append(row.text)
            return "skip"
        too_long.append(row)
        return "error"

    stream = pa.input_stream(str(src.path), compression=src.compression)
    try:
        reader = pcsv.open_csv(stream, read_options=pcsv.ReadOptions(block_size=CSV_BLOCK),
                               parse_options=pcsv.ParseOptions(newlines_in_values=True,
                                                               invalid_row_handler=on_bad_row),
                               convert_options=convert)
        yield from reader
    except pa.ArrowInvalid as exc:
        if too_long:
            r = too_long[0]
            raise InputError(f"row {r.number or '?'} has {r.actual_columns} fields where the header has "
                             f"{r.expected_columns}; the file is not a well-formed CSV export",
                             where=src.where) from None
        raise InputError(_csv_problem(str(exc), names), where=src.where) from None
    finally:
        stream.close()
    if short:
        yield _padded_rows(src, short, names, types)


def _padded_rows(src: SourceFile, texts: list[str], names: list[str], types: dict[str, pa.DataType]) -> pa.RecordBatch:
    width = len(src.header.names)
    pos = {n: src.header.names.index(n) for n in names}
    rows = [r + [""] * (width - len(r)) for r in csv.reader(io.StringIO("\n".join(texts)))]
    cols = []
    for n in names:
        vals = [r[pos[n]] if r[pos[n]] not in NULLS else None for r in rows]
        arr = pa.array(vals, type=pa.string())
        t = types[n]
        if pa.types.is_floating(t):
            try:
                arr = arr.cast(t)
            except pa.ArrowInvalid:
                bad = next(v for v in vals if v is not None and not _is_number(v))
                raise InputError(f"column {quoted(n)}: {quoted(bad)} is not a number; amounts must be plain "
                                 "numbers such as 12.5", where=src.where) from None
        elif pa.types.is_dictionary(t):
            arr = arr.dictionary_encode()
        cols.append(arr)
    return pa.RecordBatch.from_arrays(cols, names=names)


def _is_number(v: str) -> bool:
    try:
        float(v)
    except ValueError:
        return False
    return True


def _csv_problem(msg: str, names: list[str]) -> str:
    m = re.search(r"In CSV column #(\d+): CSV conversion error to (\w+): invalid value '([^']*)'", msg)
    if m:
        col = int(m.group(1))
        name = names[col] if col < len(names) else f"#{col}"
        return (f"column {quoted(name)}: {quoted(m.group(3))} is not a number; amounts must be plain numbers "
                "such as 12.5")
    return "not readable as CSV: " + msg.splitlines()[0]


def _row_group_batches(pf: Any, groups: list[int], columns: list[str] | None
                       ) -> Iterator[tuple[pa.Table | pa.RecordBatch, list[int] | None]]:
    """Batches of up to PARQUET_BATCH rows. Small row groups are read whole and joined as the chunks of one
    table, their dictionaries unified (a pass over small arrays; every chunk of a text column then shares one
    dictionary, so its codes are the chunks' indices one after the other, and nothing else is copied here); a
    large one is read in slices. Slices of a large row group are never joined with other row groups, which
    would make the reader rebuild every dictionary value by value. Yields (batch, the row groups it holds, or
    None for a slice)."""
    pending: list[pa.Table] = []
    held: list[int] = []
    rows = 0

    def joined() -> tuple[pa.Table, list[int]]:
        return (pa.concat_tables(pending).unify_dictionaries() if len(pending) > 1 else pending[0]), held

    for rg in groups:
        n = pf.metadata.row_group(rg).num_rows
        if n == 0:
            continue
        if n > PARQUET_BATCH:
            if pending:
                yield joined()
                pending, held, rows = [], [], 0
            for b in pf.iter_batches(batch_size=PARQUET_BATCH, row_groups=[rg], columns=columns):
                yield b, None
            continue
        if rows + n > PARQUET_BATCH and pending:
            yield joined()
            pending, held, rows = [], [], 0
        pending.append(pf.read_row_group(rg, columns=columns))
        held.append(rg)
        rows += n
    if pending:
        yield joined()


def _parquet_batches(src: SourceFile, plan: dict[str, tuple[str, str]], names: list[str], later: set[str]
                     ) -> Iterator[pa.RecordBatch | pa.Table | LazyBatch]:
    import pyarrow.parquet as pq

    if any(src.nested.get(n, n) != n for n in names):  # nested columns: everything read at once
        later = set()
    tops = list(dict.fromkeys(src.nested.get(n, n) for n in names if n not in later))
    text_tops = [src.nested.get(n, n) for n, k in plan.values() if k in (TEXT, TIME, TIME_LAX) and n == src.nested.get(n, n)]
    try:
        pf = pq.ParquetFile(str(src.path))
        schema = pf.schema_arrow
        # only string columns can be read as dictionaries
        text_tops = [n for n in text_tops if n in schema.names and
                     (pa.types.is_string(schema.field(n).type) or pa.types.is_large_string(schema.field(n).type))]
        # pre_buffer off: column chunks are read as they are decoded, with no copy of the whole row group first
        pf = pq.ParquetFile(str(src.path), read_dictionary=text_tops or None, pre_buffer=False)
        groups = src.options.get("row_groups")
        groups = list(range(pf.metadata.num_row_groups)) if groups is None else list(groups)
        later = {n for n in later if n in schema.names}
        if later and any(pf.metadata.row_group(g).num_rows > PARQUET_BATCH for g in groups):
            later, tops = set(), list(dict.fromkeys([*tops, *sorted(later)]))  # slices of a row group: all now
        if later and not tops:
            tops = [min(later)]
            later.discard(tops[0])
        for b, held in _row_group_batches(pf, groups, tops or None):
            if any(pa.types.is_struct(t) for t in b.schema.types):  # nested columns -> parent.child columns
                t = b if isinstance(b, pa.Table) else pa.Table.from_batches([b])
                yield from t.combine_chunks().flatten().to_batches()
            elif later and held is not None and isinstance(b, pa.Table):
                yield LazyBatch(b, sorted(later), lambda name, held=held: _read_later(pf, held, name, src.where))
            else:
                yield b
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"unreadable parquet file ({str(exc).splitlines()[0]})", where=src.where) from None


def _read_later(pf: Any, groups: list[int], name: str, where: str) -> pa.ChunkedArray:
    """Column ``name`` of row groups ``groups``: a chunk per row group, dictionaries unified as in the batch."""
    try:
        t = pf.read_row_groups(groups, columns=[name])
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"unreadable parquet file ({str(exc).splitlines()[0]})", where=where) from None
    return (t.unify_dictionaries() if len(groups) > 1 else t).column(name)

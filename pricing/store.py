"""Versioned catalog snapshots under the user's data directory.

Layout::

    <home>/snapshots/<name>/offers.parquet   the offers (prices as exact decimal strings; missing = null)
    <home>/snapshots/<name>/manifest.json    name, source, fetched_at, counts, sha256 of offers.parquet
    <home>/active                            the name of the snapshot in use (absent = ``embedded``)
    <home>/.locks/<name>.lock                held (flock) while a process writes or deletes snapshot <name>
    <home>/.locks/active.lock                held (flock) while a process switches ``active``

``<home>`` is ``$PLANNER_HOME`` or the platform's user data dir.

A snapshot is written into a temporary folder next to its final place (``.tmp-<name>-<pid>-<random>``),
flushed to disk and renamed into place in one step, so a reader sees either the whole snapshot or none
of it. The ``active`` pointer is replaced the same way. Temporary folders left by an interrupted write
are never listed and are removed by the next write.

Writers of one snapshot name exclude each other with an exclusive ``flock`` on its lock file: a second
writer of a name being written gets a one-line error at once (it does not wait), and a name that exists
is never overwritten. Switching ``active`` waits for the lock instead (a switch takes milliseconds).

Everything read back is checked: a manifest whose fields have the wrong types, an ``active`` file that is
not a catalog name, an ``offers.parquet`` whose checksum, columns or values are wrong. A damaged snapshot
is reported by name (:class:`CatalogError`, one line) and listed as damaged; a damaged ``active`` file
falls back to ``embedded`` with a one-line warning (logger ``pricing.store``).
"""

from __future__ import annotations

import errno
import functools
import hashlib
import json
import logging
import os
import re
import secrets
import shutil
import stat
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from pricing.catalog import (
    EMBEDDED,
    Catalog,
    CatalogInfo,
    Layers,
    arrow_ints,
    arrow_numbers,
    arrow_strings,
    codes,
    np_valid,
    np_values,
)
from pricing.errors import CatalogError, InputError, suggest
from pricing.limits import (
    ACCELERATORS_MAX,
    MEMORY_GIB_MAX,
    PRICE_MAX,
    QUANTITY_MAX,
    VCPUS_MAX,
    decimal_problem,
    show,
)
from pricing.schema import FIELDS, PROVIDERS, PURCHASE_OPTIONS, RESOURCES, STORAGE_CLASSES, UNITS, Offer

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: writers rely on the rename refusing an existing name
    fcntl = None  # type: ignore[assignment]

SCHEMA_VERSION = 1
OFFERS_FILE = "offers.parquet"
ROW_COLUMN = "_row"  # an offer's place in catalog order (files are stored by provider, region and resource)
LAYOUT_KEY = b"planner.layout"
LAYOUT = b"by-region-1"
ROW_GROUP_MAX = 65_536
READ_BATCH_ROWS = 131_072  # rows of row groups read at once when offers are made from part of a file
CACHE_DIR = ".cache"  # derived data only (checksums of files already checked, check findings): safe to delete
VERIFIED_VERSION = 1  # bump when table_problem checks more, so files checked before are checked again
MANIFEST_FILE = "manifest.json"
ACTIVE_FILE = "active"
TMP_PREFIX = ".tmp-"
LOCKS_DIR = ".locks"
MANIFEST_MAX_BYTES = 4 << 20  # a manifest is a few kB; a bigger file is not one
ACTIVE_MAX_BYTES = 256  # a name is at most 128 characters
MAX_BASE_DEPTH = 32  # snapshots layered on snapshots: deeper chains are damaged stores
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")  # used with fullmatch (no trailing newline)
_SHA256_RE = re.compile(r"[0-9a-f]{64}")
_DECIMAL_FIELDS = ("price", "tier_start", "tier_end")
_FLOAT_FIELDS = ("vcpus", "memory_gib")
_REQUIRED = ("provider", "service", "sku", "region", "resource", "purchase_option", "unit", "source",
             "effective_date", "fetched_at")
_VOCAB: dict[str, tuple[str, ...]] = {"provider": PROVIDERS, "resource": RESOURCES,
                                      "purchase_option": PURCHASE_OPTIONS, "unit": UNITS,
                                      "storage_class": STORAGE_CLASSES}
_FLOAT_MAX = {"vcpus": VCPUS_MAX, "memory_gib": MEMORY_GIB_MAX}
USE_EMBEDDED = f"`planner catalog use {EMBEDDED}`"

log = logging.getLogger("pricing.store")
_warned: set[str] = set()
_held: dict[str, int] = {}  # lock files this process holds -> depth (writers nest: reserve() then write)


def home() -> Path:
    env = os.environ.get("PLANNER_HOME")
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir("planner", appauthor=False))


def snapshots_dir() -> Path:
    return home() / "snapshots"


def is_valid_name(name: str) -> bool:
    """A name a snapshot can have (``embedded`` is the shipped catalog, not a snapshot)."""
    return isinstance(name, str) and name != EMBEDDED and bool(_NAME_RE.fullmatch(name))


def printable(name: str) -> str:
    """``name`` safe to print on one line (a folder name may hold control characters or undecodable bytes)."""
    ok = name.isprintable()
    if ok:
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            ok = False
    return name if ok else ascii(name)[1:-1]


def _entries() -> list[tuple[str, Path]]:
    """Every entry of the snapshots folder that claims to be a snapshot: not hidden, and a folder or a link."""
    d = snapshots_dir()
    try:
        items = list(os.scandir(d))
    except FileNotFoundError:
        return []
    except OSError as exc:
        if exc.errno == errno.ENOTDIR:
            return []
        raise CatalogError(f"cannot list the snapshots ({exc.strerror or exc}); check its permissions",
                           where=str(d)) from None
    out = []
    for e in items:
        if e.name.startswith("."):
            continue
        try:
            if e.is_dir() or e.is_symlink():
                out.append((e.name, Path(e.path)))
        except OSError:
            out.append((e.name, Path(e.path)))
    return sorted(out)


def _snapshot_names() -> list[str]:
    return [n for n, _ in _entries() if is_valid_name(n)]


# -- the active pointer ---------------------------------------------------------------------------

def _read_small(path: Path, limit: int) -> bytes:
    """Up to ``limit + 1`` bytes of a regular file, without blocking on a pipe (OSError otherwise)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            kind = "a folder" if stat.S_ISDIR(os.fstat(fd).st_mode) else "a pipe, socket or device"
            raise OSError(errno.EINVAL, f"is {kind}, not a file")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, limit + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _read_active() -> tuple[str | None, str | None]:
    """(the name in ``<home>/active`` or None when unset, what is wrong with the file or None)."""
    path = home() / ACTIVE_FILE
    try:
        data = _read_small(path, ACTIVE_MAX_BYTES)
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        why = "symbolic link loop" if exc.errno == errno.ELOOP else (exc.strerror or str(exc))
        return None, f"cannot be read ({why})"
    if len(data) > ACTIVE_MAX_BYTES:
        return None, f"is longer than {ACTIVE_MAX_BYTES} bytes, so it does not hold a catalog name"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None, "is not UTF-8 text (binary?)"
    name = text.strip()
    if not name:
        return None, "is empty"
    if name != EMBEDDED and not _NAME_RE.fullmatch(name):
        return None, f"does not hold a catalog name ({show(name)})"
    return name, None


def _warn_once(message: str) -> None:
    if message not in _warned:
        _warned.add(message)
        log.warning(message)


def active_name() -> str:
    """The snapshot in use: the name in ``<home>/active``, or ``embedded`` when unset, gone or unreadable.

    A damaged or dangling ``active`` file is not an error (every command would fail): it means ``embedded``,
    with a one-line warning naming the file and the fix, logged once per process."""
    name, problem = _read_active()
    path = home() / ACTIVE_FILE
    if problem is None and name not in (None, EMBEDDED):
        assert name is not None
        if not (snapshots_dir() / name / MANIFEST_FILE).is_file():
            problem = f"names catalog {name!r}, which is not stored (deleted?)"
    if problem is not None:
        _warn_once(f"Warning: {path}: {problem}; using the {EMBEDDED} catalog. "
                   f"Fix: {USE_EMBEDDED} (or `planner catalog use NAME`)")
        return EMBEDDED
    return name or EMBEDDED


def check_name(name: str) -> str:
    if not is_valid_name(name):
        raise InputError(
            f"invalid snapshot name {show(name)}: use letters, digits, '.', '_' or '-' "
            f"(not starting with '.' or '-'), and not {EMBEDDED!r}"
        )
    return name


# -- manifests --------------------------------------------------------------------------------------

def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _date_problem(v: object) -> str | None:
    from pricing.catalog import parse_when

    if not isinstance(v, str):
        return f"should be a date (text), not {show(v)}"
    try:
        parse_when(v)
    except (ValueError, OverflowError):
        return f"is not a date ({show(v)})"
    return None


def manifest_problem(data: object) -> str | None:
    """What is wrong with a parsed manifest, or None (field types, dates, checksum, the base it layers on)."""
    if not isinstance(data, dict):
        return f"is not a JSON object ({type(data).__name__})"
    sv = data.get("schema_version")
    if not _is_int(sv):
        return f"field 'schema_version' should be a whole number, not {show(sv)}"
    if sv != SCHEMA_VERSION:
        return f"unsupported snapshot schema version {sv!r}"
    for key in ("source",):
        if not isinstance(data.get(key), str):
            return f"field {key!r} should be text, not {show(data.get(key))}"
    if "name" in data and not isinstance(data["name"], str):
        return f"field 'name' should be text, not {show(data['name'])}"
    for key in ("fetched_at", "oldest_fetched_at"):
        if key in data or key == "fetched_at":
            why = _date_problem(data.get(key))
            if why:
                return f"field {key!r} {why}"
    n = data.get("offers")
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        return f"field 'offers' should be a whole number of offers, not {show(n)}"
    counts = data.get("counts", {})
    if not isinstance(counts, dict) or not all(
        isinstance(c, dict) and all(isinstance(k, str) and _is_int(v) for k, v in c.items()) for c in counts.values()
    ):
        return "field 'counts' should map names to counts"
    files = data.get("files")
    entry = files.get(OFFERS_FILE) if isinstance(files, dict) else None
    if not isinstance(entry, dict):
        return f"field 'files' should describe {OFFERS_FILE}"
    sha = entry.get("sha256")
    if not isinstance(sha, str) or not _SHA256_RE.fullmatch(sha):
        return f"field 'files.{OFFERS_FILE}.sha256' should be a sha256 in hex, not {show(sha)}"
    extra = data.get("extra", {})
    if not isinstance(extra, dict):
        return f"field 'extra' should be an object, not {show(extra)}"
    base = extra.get("base")
    if base is not None and (not isinstance(base, str) or not (base == EMBEDDED or _NAME_RE.fullmatch(base))):
        return f"field 'extra.base' should be a catalog name, not {show(base)}"
    return None


class DamagedSnapshotError(CatalogError):
    """Snapshot ``name`` is stored but damaged; ``reason`` says how (the message adds the fix)."""

    def __init__(self, message: str, *, where: str | None = None, field: str | None = None, name: str = "",
                 reason: str = "") -> None:
        super().__init__(message, where=where, field=field)
        self.name, self.reason = name, reason


def _damaged(name: str, why: str) -> DamagedSnapshotError:
    folder = snapshots_dir() / name
    return DamagedSnapshotError(f"{why}; delete {folder} (`planner catalog delete {name}`) and import or refresh "
                                f"again, or {USE_EMBEDDED}", where=f"catalog {name}", name=name, reason=why)


def _load_manifest(name: str) -> dict[str, Any]:
    """The checked manifest of snapshot ``name`` (CatalogError: unknown, with suggestions, or damaged)."""
    if not is_valid_name(name):
        raise CatalogError(suggest(name if name.isprintable() else printable(name), [EMBEDDED, *_snapshot_names()],
                                   what="catalog"))
    path = snapshots_dir() / name / MANIFEST_FILE
    try:
        raw = _read_small(path, MANIFEST_MAX_BYTES)
    except FileNotFoundError:
        if (snapshots_dir() / name).is_dir():
            raise _damaged(name, f"{MANIFEST_FILE} is missing") from None
        raise CatalogError(suggest(name, [EMBEDDED, *_snapshot_names()], what="catalog")) from None
    except OSError as exc:
        why = "symbolic link loop" if exc.errno == errno.ELOOP else (exc.strerror or str(exc))
        raise _damaged(name, f"damaged manifest (cannot be read: {why})") from None
    if len(raw) > MANIFEST_MAX_BYTES:
        raise _damaged(name, f"damaged manifest (larger than {MANIFEST_MAX_BYTES >> 20} MB)")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise _damaged(name, "damaged manifest (not UTF-8 text)") from None
    except (ValueError, RecursionError) as exc:
        detail = " ".join(str(exc).split())[:80] or type(exc).__name__
        raise _damaged(name, f"damaged manifest (not JSON: {detail})") from None
    problem = manifest_problem(data)
    if problem:
        raise _damaged(name, f"damaged manifest: {problem}")
    return data  # type: ignore[no-any-return]


def _read_manifest(name: str) -> dict[str, Any]:
    return _load_manifest(name)


def read_manifest(name: str) -> dict[str, Any]:
    """The manifest of snapshot ``name`` (raises CatalogError with suggestions when unknown, or when damaged)."""
    return _load_manifest(name)


def _damaged_info(name: str, why: str, active: str | None) -> CatalogInfo:
    return CatalogInfo(printable(name), "(damaged)", 0, "", name == active, damaged=why)


def list_snapshots(active: str | None = None) -> list[CatalogInfo]:
    """Every stored snapshot, newest first; damaged ones are listed too, with ``damaged`` saying why
    (temporary folders of unfinished writes are skipped). Checksums are not verified here (see
    :func:`verify`); the manifest, and that ``offers.parquet`` is a file, are."""
    out = []
    for name, path in _entries():
        if not is_valid_name(name):
            out.append(_damaged_info(name, "folder name is not a snapshot name; rename or delete the folder", active))
            continue
        if not path.is_dir():
            out.append(_damaged_info(name, "not a folder (a broken or looping symbolic link?)", active))
            continue
        try:
            m = _load_manifest(name)
        except DamagedSnapshotError as exc:
            out.append(_damaged_info(name, exc.reason, active))
            continue
        except CatalogError:  # removed while listing
            continue
        if not (path / OFFERS_FILE).is_file():
            out.append(_damaged_info(name, f"{OFFERS_FILE} is missing", active))
            continue
        fetched = m["fetched_at"]
        out.append(CatalogInfo(name, m["source"], m["offers"], fetched, name == active,
                               m.get("oldest_fetched_at") or fetched))
    out.sort(key=lambda i: (i.fetched_at, i.name), reverse=True)
    return out


# -- offers tables ----------------------------------------------------------------------------------

def _sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return _sha256_fh(fh)


def _sha256_fh(fh: IO[bytes]) -> str:
    h = hashlib.sha256()
    for chunk in iter(lambda: fh.read(1 << 20), b""):
        h.update(chunk)
    return h.hexdigest()


def _arrow_schema() -> Any:
    import pyarrow as pa

    types = {f: pa.string() for f in FIELDS}
    types["accelerator_count"] = pa.int64()
    for f in _FLOAT_FIELDS:
        types[f] = pa.float64()
    return pa.schema([(f, types[f]) for f in FIELDS])


def _to_table(offers: list[Offer]) -> Any:
    import numpy as np
    import pyarrow as pa

    schema = _arrow_schema()
    arrays = []
    for f in FIELDS:
        values = [getattr(o, f) for o in offers]
        if f in _DECIMAL_FIELDS:
            arrays.append(arrow_strings([None if v is None else str(v) for v in values]))
        elif f in _FLOAT_FIELDS:
            arrays.append(arrow_numbers(values, np.float64))
        elif f == "accelerator_count":
            arrays.append(arrow_numbers(values, np.int64))
        else:
            arrays.append(arrow_strings(values))
    return pa.Table.from_arrays(arrays, schema=schema)


def offers_table(offers: list[Offer]) -> Any:
    """``offers`` as a pyarrow Table of :data:`pricing.schema.FIELDS` (prices as exact decimal strings)."""
    return _to_table(offers)


def _by_region(table: Any) -> list[Any]:
    """The table in the stored order -- by provider, region and resource, each slice in catalog order -- with
    each offer's place in catalog order (``_row``), cut into slices (one row group each when written)."""
    import numpy as np
    import pyarrow.compute as pc

    n = table.num_rows
    table = table.append_column(ROW_COLUMN, arrow_ints(np.arange(n, dtype=np.int64)))
    if n == 0:
        return [table]
    order = pc.sort_indices(table, sort_keys=[("provider", "ascending"), ("region", "ascending"),
                                              ("resource", "ascending"), (ROW_COLUMN, "ascending")])
    table = table.take(order)
    parts = []
    cols = [table.column(c).to_pylist() for c in ("provider", "region", "resource")]
    keys = list(zip(*cols, strict=True))
    start = 0
    for i in range(1, n + 1):
        if i == n or keys[i] != keys[start] or i - start >= ROW_GROUP_MAX:
            parts.append(table.slice(start, i - start))
            start = i
    return parts


def _write_offers(table: Any, path: Path) -> None:
    import pyarrow.parquet as pq

    parts = _by_region(table)
    schema = parts[0].schema.with_metadata({LAYOUT_KEY: LAYOUT})
    with pq.ParquetWriter(path, schema, compression="zstd") as w:
        for part in parts:
            w.write_table(part.replace_schema_metadata(schema.metadata))


def table_problem(table: Any) -> str | None:
    """What is wrong with an offers table, or None: columns and types, required fields, vocabularies,
    non-finite or out-of-range numbers (names the column and the first bad value)."""
    import numpy as np
    import pyarrow.compute as pc

    schema = _arrow_schema()
    for f in schema:
        if f.name not in table.schema.names:
            return f"column {f.name!r} is missing"
        if table.schema.field(f.name).type != f.type:
            return f"column {f.name!r} has type {table.schema.field(f.name).type}, expected {f.type}"
    for f in _REQUIRED:
        if table.column(f).null_count:
            return f"column {f!r} has empty values"
    for f, allowed in _VOCAB.items():
        idx, vocab = codes(table.column(f))
        wrong = [i for i, v in enumerate(vocab) if v not in allowed]
        if wrong:
            bad = vocab[int(idx[np.isin(idx, wrong)][0])]
            return f"column {f!r} has {show(bad)}, not one of {', '.join(allowed)}"
    for f in _FLOAT_FIELDS:
        col = table.column(f)
        vals = np_values(col, np.float64)
        with np.errstate(invalid="ignore"):
            wrong_at = np.nonzero(np_valid(col) & ~(np.isfinite(vals) & (vals > 0) & (vals <= _FLOAT_MAX[f])))[0]
        if len(wrong_at):
            bad = col[int(wrong_at[0])].as_py()
            return f"column {f!r} has {show(bad)} (not a positive number up to {_FLOAT_MAX[f]:g})"
    n = table.column("accelerator_count")
    lo, hi = pc.min(n).as_py(), pc.max(n).as_py()
    if (lo is not None and lo < 0) or (hi is not None and hi > ACCELERATORS_MAX):
        return f"column 'accelerator_count' has {lo if lo is not None and lo < 0 else hi}"
    for f in _DECIMAL_FIELDS:
        high = PRICE_MAX if f == "price" else QUANTITY_MAX
        distinct = pc.unique(table.column(f).drop_null())
        # fast path: plain decimals below ``high`` and not below PRICE_MIN need no parsing
        digits = len(str(int(high))) - 1
        plain = pc.and_(pc.match_substring_regex(distinct, rf"^(0|[1-9][0-9]{{0,{digits - 1}}})(\.[0-9]{{1,60}})?$"),
                        pc.invert(pc.match_substring_regex(distinct, r"^0\.0{12}")))
        for text in distinct.filter(pc.invert(plain)).to_pylist():
            try:
                problem = decimal_problem(Decimal(text), high=high)
            except (InvalidOperation, ValueError):
                problem = "is not a number"
            if problem:
                return f"column {f!r}: {show(text)} {problem}"
    ends = table.filter(pc.is_valid(table.column("tier_end")))
    for start, end in zip(ends.column("tier_start").to_pylist(), ends.column("tier_end").to_pylist(), strict=True):
        if Decimal(end) <= Decimal(start or 0):
            return f"a tier ends ({end}) where it starts or before ({start})"
    return None


def _from_table(table: Any) -> list[Offer]:
    import dataclasses

    cols = {f: table.column(f).to_pylist() for f in FIELDS}
    cache: dict[str, Decimal] = {}  # prices repeat a lot; parse each distinct string once

    def dec(v: str | None) -> Decimal | None:
        if v is None:
            return None
        d = cache.get(v)
        if d is None:
            d = Decimal(v)
            d = cache[v] = Decimal(0) if d == 0 else d  # -0 is 0
        return d

    for f in _DECIMAL_FIELDS:
        cols[f] = [dec(v) for v in cols[f]]
    cols["tier_start"] = [Decimal(0) if v is None else v for v in cols["tier_start"]]
    cols["accelerator_count"] = [0 if v is None else v for v in cols["accelerator_count"]]
    order = [f.name for f in dataclasses.fields(Offer)]  # positional construction is the fast path
    return [Offer(*row) for row in zip(*(cols[f] for f in order), strict=True)]


def _counts(offers: list[Offer]) -> dict[str, dict[str, int]]:
    return {
        "provider": dict(sorted(Counter(o.provider for o in offers).items())),
        "purchase_option": dict(sorted(Counter(o.purchase_option for o in offers).items())),
        "resource": dict(sorted(Counter(o.resource for o in offers).items())),
        "priced": {"priced": sum(o.price is not None for o in offers), "unpriced": sum(o.price is None for o in offers)},
    }


# -- writing ----------------------------------------------------------------------------------------

def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_temp() -> list[str]:
    """Remove temporary folders left by interrupted writes (of processes no longer running)."""
    d = snapshots_dir()
    removed: list[str] = []
    if not d.is_dir():
        return removed
    for p in d.iterdir():
        if not p.name.startswith(TMP_PREFIX) or not p.is_dir():
            continue
        parts = p.name[len(TMP_PREFIX):].rsplit("-", 2)
        pid = int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else -1
        if pid == os.getpid() or (pid > 0 and _pid_alive(pid)):
            continue
        shutil.rmtree(p, ignore_errors=True)
        removed.append(p.name)
    return removed


def _write_error(what: str, exc: OSError) -> CatalogError:
    return CatalogError(f"cannot {what} ({exc.strerror or exc}); check free space and the permissions of {home()}")


@contextmanager
def _flock(path: Path, busy: str | None) -> Iterator[None]:
    """Hold an exclusive flock on ``path`` (created if needed). ``busy``: the message when another process
    holds it (fail at once); None: wait for it. Nested use in one process holds it once."""
    key = str(path)
    if key in _held:
        _held[key] += 1
        try:
            yield
        finally:
            _held[key] -= 1
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise _write_error(f"create the lock file {path}", exc) from None
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (fcntl.LOCK_NB if busy else 0))
            except BlockingIOError:
                holder = os.read(fd, 32).decode("ascii", "replace").strip()
                pid = f" (pid {holder})" if holder.isdigit() else ""
                raise CatalogError(busy.format(pid=pid)) from None  # type: ignore[union-attr]
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        _held[key] = 1
        try:
            yield
        finally:
            del _held[key]
    finally:
        os.close(fd)  # releases the lock


def _name_lock(name: str) -> Any:
    return _flock(home() / LOCKS_DIR / f"{name}.lock",
                  f"snapshot {name!r} is being written or deleted by another planner process{{pid}}; "
                  f"wait for it to finish, or choose another --name")


def _active_lock() -> Any:
    return _flock(home() / LOCKS_DIR / "active.lock", None)


def _refuse_existing(name: str) -> None:
    final = snapshots_dir() / name
    if os.path.lexists(final):
        raise CatalogError(f"snapshot {name!r} already exists; choose another --name, "
                           f"or delete it first (`planner catalog delete {name}`)")


@contextmanager
def reserve(name: str) -> Iterator[str]:
    """Claim snapshot name ``name`` for a write that takes a while (fetching, parsing): fails at once if
    another process is writing it or it exists; :func:`write_snapshot` inside the block uses the claim."""
    check_name(name)
    with _name_lock(name):
        _refuse_existing(name)
        yield name


def write_snapshot(
    name: str,
    offers: Iterable[Offer],
    *,
    source: str,
    fetched_at: str,
    extra: dict[str, Any] | None = None,
    base_as_of: str = "",
) -> CatalogInfo:
    """Write ``offers`` as snapshot ``name`` all at once (it must not exist yet); does not switch to it.

    ``base_as_of``: for a snapshot layered on a base, the date of the base's oldest price it keeps, so the
    snapshot's age (``oldest_fetched_at``) is that of the catalog it makes, as ``compare`` will see it.
    Offers with numbers out of range (:func:`table_problem`) are refused: a snapshot never holds them."""
    check_name(name)
    offers = list(offers)
    table = _to_table(offers)
    problem = table_problem(table)
    if problem:
        raise CatalogError(f"refusing to write offers with bad values: {problem}", where=f"catalog {name}")
    why = _date_problem(fetched_at)
    if why:
        raise CatalogError(f"fetched_at {why}", where=f"catalog {name}")
    # a catalog is as old as its oldest figure (layered snapshots keep their base's older prices)
    oldest = oldest_fetched_at(offers, fetched_at, base_as_of)
    d = snapshots_dir()
    final = d / name
    with _name_lock(name):
        _refuse_existing(name)
        try:
            d.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _write_error(f"create {d}", exc) from None
        clean_temp()
        tmp = d / f"{TMP_PREFIX}{name}-{os.getpid()}-{secrets.token_hex(4)}"
        try:
            tmp.mkdir()
            parquet = tmp / OFFERS_FILE
            _write_offers(table, parquet)
            with open(parquet, "rb+") as fh:
                os.fsync(fh.fileno())
            manifest = {
                "schema_version": SCHEMA_VERSION,
                "name": name,
                "source": source,
                "fetched_at": fetched_at,
                "oldest_fetched_at": oldest,
                "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "offers": len(offers),
                "counts": _counts(offers),
                "files": {OFFERS_FILE: {"sha256": _sha256(parquet), "bytes": parquet.stat().st_size}},
                "extra": extra or {},
            }
            problem = manifest_problem(manifest)
            if problem:  # never write what cannot be read back
                raise CatalogError(f"refusing to write a manifest that {problem}", where=f"catalog {name}")
            with open(tmp / MANIFEST_FILE, "w", encoding="utf-8") as fh:
                json.dump(manifest, fh, indent=2, sort_keys=True)
                fh.write("\n")
                fh.flush()
                os.fsync(fh.fileno())
            _fsync_dir(tmp)
            written_sha = manifest["files"][OFFERS_FILE]["sha256"]  # type: ignore[index]
            os.rename(tmp, final)
            _fsync_dir(d)
        except BaseException as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            if isinstance(exc, OSError):
                if exc.errno in (errno.EEXIST, errno.ENOTEMPTY):  # written meanwhile by a process not using locks
                    _refuse_existing(name)
                raise _write_error(f"write snapshot {name!r} under {d}", exc) from exc
            raise
    _mark_checked(written_sha)  # checked before it was written
    return CatalogInfo(name, source, len(offers), fetched_at, name == active_name(), oldest)


def oldest_fetched_at(offers: Iterable[Offer], default: str, *more: str) -> str:
    """The date (YYYY-MM-DD) of the oldest figure among ``offers``, ``default`` (the snapshot's own date)
    and ``more`` (e.g. the oldest price of a base it is layered on)."""
    from pricing.catalog import parse_when

    dates = {o.fetched_at for o in offers if o.fetched_at} | {d for d in (default, *more) if d}
    best = None
    for d in dates:
        try:
            when = parse_when(d)
        except ValueError:
            continue
        best = when if best is None or when < best else best
    return best.isoformat() if best is not None else default[:10]


def _write_active(name: str) -> None:
    h = home()
    try:
        h.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _write_error(f"create {h}", exc) from None
    target = h / ACTIVE_FILE
    if target.is_dir() and not target.is_symlink():  # a damaged store: a folder where the pointer belongs
        try:
            target.rmdir()
        except OSError:
            raise CatalogError(f"cannot switch the active catalog: {target} is a folder, not the pointer file; "
                               "move it away and try again") from None
    tmp = h / f".active-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(name + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise _write_error(f"switch the active catalog to {name!r} (the previous one stays active)", exc) from exc
        raise
    _fsync_dir(h)


def use(name: str) -> str:
    """Make ``name`` the active catalog (``embedded`` or a stored, undamaged snapshot); the switch is atomic,
    and concurrent switches are serialized (the last one wins, the file is always whole)."""
    with _active_lock():
        if name != EMBEDDED:
            verify(name)
        _write_active(name)
    return name


def verify(name: str) -> dict[str, Any]:
    """Check snapshot ``name`` is complete and undamaged (checksum of offers.parquet); return its manifest."""
    m = _load_manifest(name)
    try:
        with _open_offers(name) as fh:
            actual = _sha256_fh(fh)
    except FileNotFoundError:
        raise _damaged(name, f"{OFFERS_FILE} is missing") from None
    except OSError as exc:
        raise _damaged(name, f"{OFFERS_FILE} cannot be read ({exc.strerror or exc})") from None
    _check_sum(name, m, actual)
    return m


def _check_sum(name: str, m: dict[str, Any], actual: str) -> None:
    if actual != m["files"][OFFERS_FILE]["sha256"]:
        raise _damaged(name, f"{OFFERS_FILE} is damaged (checksum mismatch)")


def _open_offers(name: str) -> IO[bytes]:
    path = snapshots_dir() / name / OFFERS_FILE
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(errno.EINVAL, "not a regular file")
    return os.fdopen(fd, "rb")


def load_snapshot(name: str) -> Catalog:
    """Load snapshot ``name``, checking offers.parquet against the checksum in its manifest, then its columns
    and values (a damaged snapshot is a CatalogError naming it). The offers are read when used: a query on
    one provider and region reads only that region's part of the file (see :class:`StoredOffers`)."""
    m = _load_manifest(name)
    src = open_offers(name, m)
    return Catalog(name, m["source"], m.get("oldest_fetched_at") or m["fetched_at"], layers=Layers([src]))


_opened: dict[tuple[str, str], StoredOffers] = {}
_OPENED_MAX = 16


def open_offers(name: str, m: dict[str, Any] | None = None) -> StoredOffers:
    """The checked offers file of snapshot ``name``; the same object again while the file is unchanged (its
    checksum is verified on every call)."""
    m = _load_manifest(name) if m is None else m
    path = snapshots_dir() / name / OFFERS_FILE
    try:
        with _open_offers(name) as fh:
            data = fh.read()
    except FileNotFoundError:
        raise _damaged(name, f"{OFFERS_FILE} is missing") from None
    except OSError as exc:
        raise _damaged(name, f"{OFFERS_FILE} cannot be read ({exc.strerror or exc})") from None
    sha = hashlib.sha256(data).hexdigest()
    _check_sum(name, m, sha)
    key = (str(path), sha)
    src = _opened.get(key)
    if src is None or src.num_rows != m["offers"]:
        src = StoredOffers(name, data, sha, m["offers"])
        _opened[key] = src
        while len(_opened) > _OPENED_MAX:
            del _opened[next(iter(_opened))]
    return src


def _checked_marker(sha: str) -> Path:
    return home() / CACHE_DIR / "checked" / f"{sha}.v{VERIFIED_VERSION}"


def _is_checked(sha: str) -> bool:
    try:
        return _checked_marker(sha).is_file()
    except OSError:
        return False


def _mark_checked(sha: str) -> None:
    """Remember that the offers file with checksum ``sha`` passed :func:`table_problem` (derived data: a
    failure to write it only means the next load checks the file again)."""
    marker = _checked_marker(sha)
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        tmp = marker.with_name(f".{marker.name}-{os.getpid()}-{secrets.token_hex(4)}")
        tmp.write_bytes(b"")
        os.replace(tmp, marker)
    except OSError:
        pass


class StoredOffers:
    """The offers of one snapshot file, read lazily (one layer of a loaded catalog).

    Files written by this version are stored by (provider, region, resource), one row group per slice,
    with each offer's place in catalog order in column ``_row``: a query on one region reads only its row
    groups (found from the row groups' min/max statistics). Older files (one block in catalog order) are
    read whole on first use. The checksum is verified on every load; the values (:func:`table_problem`) are
    checked when the file is first loaded, and a file whose checksum is remembered as checked (under
    ``<home>/.cache/checked``, written after a check or a write) is not checked again."""

    def __init__(self, name: str, data: bytes, sha: str, expected_rows: int) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.name = name
        self.ident = f"parquet:{sha}"
        self._columns: dict[str, Any] = {}
        self._full: Any = None
        try:
            self._pf = pq.ParquetFile(pa.BufferReader(pa.py_buffer(data)))
            md = self._pf.metadata
            schema = self._pf.schema_arrow
        except Exception as exc:  # noqa: BLE001 - any reader failure means a damaged file
            raise _damaged(name, f"{OFFERS_FILE} cannot be read ({type(exc).__name__})") from None
        self.num_rows = md.num_rows
        if md.num_rows != expected_rows:
            raise _damaged(name, f"{OFFERS_FILE} has {md.num_rows} offers, the manifest says {expected_rows}")
        self._names = [f for f in FIELDS if f in schema.names]
        has_row = ROW_COLUMN in schema.names and str(schema.field(ROW_COLUMN).type) == "int64"
        self._starts: list[int] = []
        self._index: dict[tuple[str, str, str], list[int]] = {}
        self._mixed: list[int] = []
        pos = 0
        for i in range(md.num_row_groups):
            rg = md.row_group(i)
            self._starts.append(pos)
            pos += rg.num_rows
            key = self._rg_key(rg, schema) if has_row else None
            if key is None:
                self._mixed.append(i)
            else:
                self._index.setdefault(key, []).append(i)
        self._has_row = has_row
        if not _is_checked(sha):
            self._check(sha)

    @staticmethod
    def _rg_key(rg: Any, schema: Any) -> tuple[str, str, str] | None:
        out = []
        for name in ("provider", "region", "resource"):
            i = schema.get_field_index(name)
            if i < 0:
                return None
            st = rg.column(i).statistics
            if st is None or not st.has_min_max or st.null_count or st.min != st.max or not isinstance(st.min, str):
                return None
            out.append(st.min)
        return (out[0], out[1], out[2])

    def _check(self, sha: str) -> None:
        """Read the whole file and check its values; remember the checksum when they and the layout are right."""
        import pyarrow.compute as pc

        try:
            table = self._pf.read()
        except Exception as exc:  # noqa: BLE001 - any reader failure means a damaged file
            raise _damaged(self.name, f"{OFFERS_FILE} cannot be read ({type(exc).__name__})") from None
        problem = table_problem(table)
        if problem:
            raise _damaged(self.name, f"{OFFERS_FILE}: {problem}")
        self._full = table
        layout_ok = True
        if self._has_row:  # the statistics and the places must tell the truth before they are trusted
            import numpy as np

            rows = table.column(ROW_COLUMN)
            if rows.null_count or not np.array_equal(np.sort(np_values(rows, np.int64)), np.arange(table.num_rows)):
                layout_ok = False
            for key, groups in self._index.items():
                for g in groups:
                    start = self._starts[g]
                    part = table.slice(start, self._pf.metadata.row_group(g).num_rows)
                    for col, want in zip(("provider", "region", "resource"), key, strict=True):
                        if part.column(col).null_count or set(pc.unique(part.column(col)).to_pylist()) != {want}:
                            layout_ok = False
        if not layout_ok:  # read as a file of no particular order
            self._has_row = False
            self._mixed = list(range(self._pf.metadata.num_row_groups))
            self._index = {}
        _mark_checked(sha)

    # -- the layer protocol (see pricing.catalog.Layers) ------------------------------------------------
    def count(self) -> int:
        return int(self.num_rows)

    def _read(self, groups: list[int], columns: list[str]) -> Any:
        if self._full is not None:
            import pyarrow as pa

            parts = [self._full.select(columns).slice(self._starts[g], self._pf.metadata.row_group(g).num_rows)
                     for g in groups]
            return pa.concat_tables(parts) if parts else self._full.select(columns).slice(0, 0)
        return self._pf.read_row_groups(groups, columns=columns, use_threads=False)

    @property
    def _row_columns(self) -> list[str]:
        return [*self._names, ROW_COLUMN] if self._has_row else list(self._names)

    @functools.cached_property
    def _mixed_index(self) -> dict[tuple[str, str, str], list[int]]:
        """File rows by (provider, region, resource) of the row groups that are not one slice each."""
        idx: dict[tuple[str, str, str], list[int]] = {}
        if not self._mixed:
            return idx
        t = self.columns(["provider", "region", "resource"])
        keys = zip(*(t.column(c).to_pylist() for c in ("provider", "region", "resource")), strict=True)
        mixed = set(self._mixed)
        starts = self._starts
        import bisect

        for i, key in enumerate(keys):
            if bisect.bisect_right(starts, i) - 1 in mixed:
                idx.setdefault(key, []).append(i)
        return idx

    def region_keys(self) -> set[tuple[str, str, str]]:
        return set(self._index) | set(self._mixed_index)

    def partition(self, key: tuple[str, str, str]) -> list[tuple[int, Offer]]:
        """The offers of one (provider, region, resource), in catalog order, with their places."""
        out: list[tuple[int, Offer]] = []
        groups = self._index.get(key)
        if groups:
            t = self._read(groups, self._row_columns)
            offers = _from_table(t)
            places = t.column(ROW_COLUMN).to_pylist() if self._has_row else range(len(offers))
            out = list(zip(places, offers, strict=True))
        rows = self._mixed_index.get(key)
        if rows:
            import numpy as np

            file_rows = np.asarray(rows)
            out += list(zip(self._places(file_rows).tolist(), self.rows_at(file_rows), strict=True))
        if groups and rows:
            out.sort(key=lambda r: r[0])
        return out

    def partition_where(self, keys: Sequence[tuple[str, str, str]], equal: dict[str, str]) -> list[Offer] | None:
        """The offers of the slices ``keys`` whose columns equal ``equal`` (``instance_type`` and ``accelerator``
        lower-case, matched case-insensitively), in catalog order: the slices' filter columns are read and
        compared first, and offers made only for the rows that match. None for a file of no particular order."""
        import numpy as np

        if not self._has_row or any(k in self._mixed_index for k in keys):
            return None
        groups = sorted(g for k in keys for g in self._index.get(k, []))
        if not groups:
            return []
        t = self._read(groups, [*equal, ROW_COLUMN])
        keep = np.ones(t.num_rows, dtype=bool)
        for name, value in equal.items():
            idx, vocab = codes(t.column(name))
            fold = name in ("instance_type", "accelerator")
            hits = [i for i, v in enumerate(vocab) if v is not None and (v.lower() if fold else v) == value]
            keep &= np.isin(idx, hits)
        rows = np.nonzero(keep)[0]
        if not len(rows):
            return []
        places = np_values(t.column(ROW_COLUMN), np.int64)[rows]
        rows = rows[np.argsort(places, kind="stable")]  # catalog order
        full = self._read(groups, self._names)
        return _from_table(full.take(arrow_ints(rows)))

    def _places(self, file_rows: Any) -> Any:
        if not self._has_row:
            return file_rows
        import numpy as np

        return np_values(self.columns([ROW_COLUMN]).column(0), np.int64)[file_rows]

    def columns(self, names: Sequence[str]) -> Any:
        """Columns ``names`` of every offer, in file order (a pyarrow Table)."""
        import pyarrow as pa

        missing = [n for n in names if n not in self._columns]
        if missing:
            if self._full is not None:
                got = self._full.select(missing)
            else:
                got = self._pf.read(columns=missing, use_threads=False)
            for n in missing:
                self._columns[n] = got.column(n)
        return pa.table({n: self._columns[n] for n in names})

    def order(self) -> Any:
        """File rows in catalog order (numpy)."""
        import numpy as np

        if not self._has_row:
            return np.arange(self.num_rows)
        return np.argsort(np_values(self.columns([ROW_COLUMN]).column(0), np.int64), kind="stable")

    def rows_at(self, file_rows: Any) -> list[Offer]:
        """The offers at file rows ``file_rows`` (numpy), in that order. The row groups that hold them are read
        a few at a time (at most :data:`READ_BATCH_ROWS` rows), so memory holds the offers made, not the file."""
        import numpy as np

        n = len(file_rows)
        if n == 0:
            return []
        if self._full is not None:
            return _from_table(self._full.select(self._names).take(arrow_ints(file_rows)))
        file_rows = np.asarray(file_rows, dtype=np.int64)
        gi = np.searchsorted(self._starts, file_rows, side="right") - 1
        by_group = np.argsort(gi, kind="stable")  # places in file_rows, grouped by row group
        sorted_gi = gi[by_group]
        groups = np.unique(sorted_gi).tolist()
        out: list[Any] = [None] * n
        md = self._pf.metadata
        i = 0
        while i < len(groups):
            batch: list[int] = []
            rows = 0
            while i < len(groups) and (not batch or rows + md.row_group(groups[i]).num_rows <= READ_BATCH_ROWS):
                batch.append(groups[i])
                rows += md.row_group(groups[i]).num_rows
                i += 1
            t = self._read(batch, self._names)
            offset, local = 0, {}
            for g in batch:  # file row -> row of the groups read
                local[g] = offset - self._starts[g]
                offset += md.row_group(g).num_rows
            lo, hi = np.searchsorted(sorted_gi, [batch[0], batch[-1] + 1])
            places = by_group[lo:hi]
            shift = np.asarray([local[g] for g in sorted_gi[lo:hi].tolist()], dtype=np.int64)
            made = _from_table(t.take(arrow_ints(file_rows[places] + shift)))
            for at, offer in zip(places.tolist(), made, strict=True):
                out[at] = offer
        return out

    def offers(self) -> list[Offer]:
        return self.rows_at(self.order())


def delete(name: str) -> None:
    """Remove snapshot ``name`` (damaged or not); the active pointer falls back to ``embedded`` if it named it.
    The folder is first renamed away in one step, so readers see the whole snapshot or none of it."""
    check_name(name)
    folder = snapshots_dir() / name
    if not os.path.lexists(folder):
        raise CatalogError(suggest(name, [EMBEDDED, *_snapshot_names()], what="catalog"))
    with _name_lock(name), _active_lock():
        if _read_active()[0] == name:
            _write_active(EMBEDDED)
        if folder.is_symlink() or not folder.is_dir():
            try:
                folder.unlink()
            except OSError as exc:
                raise _write_error(f"delete {folder}", exc) from None
            return
        gone = snapshots_dir() / f"{TMP_PREFIX}{name}-{os.getpid()}-{secrets.token_hex(4)}"
        try:
            os.rename(folder, gone)
        except OSError as exc:
            raise _write_error(f"delete {folder}", exc) from None
        shutil.rmtree(gone, ignore_errors=True)


def diff(a: str, b: str, *, threshold_pct: float = 0.0) -> Any:
    """Price changes from catalog ``a`` to catalog ``b`` (see :func:`pricing.diff.diff_catalogs`)."""
    from pricing.catalog import load_catalog
    from pricing.diff import diff_catalogs

    return diff_catalogs(load_catalog(a), load_catalog(b), threshold_pct=threshold_pct)

"""Versioned catalog snapshots under the user's data directory.

Layout::

    <home>/snapshots/<name>/offers.parquet   the offers (prices as exact decimal strings; missing = null)
    <home>/snapshots/<name>/manifest.json    name, source, fetched_at, counts, sha256 of offers.parquet
    <home>/active                            the name of the snapshot in use (absent = ``embedded``)

``<home>`` is ``$PLANNER_HOME`` or the platform's user data dir.

A snapshot is written into a temporary folder next to its final place (``.tmp-<name>-<pid>-<random>``),
flushed to disk and renamed into place in one step, so a reader sees either the whole snapshot or none
of it. The ``active`` pointer is replaced the same way. Temporary folders left by an interrupted write
are never listed and are removed by the next write.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pricing.errors import CatalogError, InputError, suggest
from pricing.catalog import EMBEDDED, Catalog, CatalogInfo
from pricing.schema import FIELDS, Offer

SCHEMA_VERSION = 1
OFFERS_FILE = "offers.parquet"
MANIFEST_FILE = "manifest.json"
TMP_PREFIX = ".tmp-"
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_DECIMAL_FIELDS = ("price", "tier_start", "tier_end")
_FLOAT_FIELDS = ("vcpus", "memory_gib")


def home() -> Path:
    env = os.environ.get("PLANNER_HOME")
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir("planner", appauthor=False))


def snapshots_dir() -> Path:
    return home() / "snapshots"


def _snapshot_names() -> list[str]:
    d = snapshots_dir()
    if not d.is_dir():
        return []
    return sorted(
        p.name for p in d.iterdir() if not p.name.startswith(".") and (p / MANIFEST_FILE).is_file()
    )


def active_name() -> str:
    """The snapshot in use: the name in ``<home>/active``, or ``embedded`` when unset or gone."""
    try:
        name = (home() / "active").read_text(encoding="utf-8").strip()
    except OSError:
        return EMBEDDED
    if not name or (name != EMBEDDED and not (snapshots_dir() / name / MANIFEST_FILE).is_file()):
        return EMBEDDED
    return name


def check_name(name: str) -> str:
    if name == EMBEDDED or not _NAME_RE.match(name):
        raise InputError(
            f"invalid snapshot name {name!r}: use letters, digits, '.', '_' or '-' "
            f"(not starting with '.' or '-'), and not {EMBEDDED!r}"
        )
    return name


def _read_manifest(name: str) -> dict[str, Any]:
    path = snapshots_dir() / name / MANIFEST_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogError(suggest(name, [EMBEDDED, *_snapshot_names()], what="catalog")) from None
    except (OSError, ValueError) as exc:
        raise CatalogError(
            f"damaged manifest ({exc}); delete {path.parent} and import or refresh again", where=f"catalog {name}"
        ) from None
    if not isinstance(data, dict):
        raise CatalogError(f"damaged manifest; delete {path.parent} and import or refresh again", where=f"catalog {name}")
    return data


def read_manifest(name: str) -> dict[str, Any]:
    """The manifest of snapshot ``name`` (raises CatalogError with suggestions when unknown)."""
    return _read_manifest(name)


def list_snapshots(active: str | None = None) -> list[CatalogInfo]:
    """Every complete snapshot, newest first (temporary folders of unfinished writes are skipped)."""
    out = []
    for name in _snapshot_names():
        try:
            m = _read_manifest(name)
        except CatalogError:
            out.append(CatalogInfo(name, "(damaged manifest)", 0, "", name == active))
            continue
        fetched = str(m.get("fetched_at", ""))
        out.append(CatalogInfo(name, str(m.get("source", "")), int(m.get("offers", 0)), fetched, name == active,
                               str(m.get("oldest_fetched_at") or fetched)))
    out.sort(key=lambda i: (i.fetched_at, i.name), reverse=True)
    return out


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
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
    import pyarrow as pa

    cols: dict[str, list[Any]] = {f: [] for f in FIELDS}
    for o in offers:
        for f in FIELDS:
            v = getattr(o, f)
            cols[f].append(str(v) if f in _DECIMAL_FIELDS and v is not None else v)
    return pa.Table.from_pydict(cols, schema=_arrow_schema())


def _from_table(table: Any) -> list[Offer]:
    import dataclasses
    from decimal import Decimal

    cols = {f: table.column(f).to_pylist() for f in FIELDS}
    cache: dict[str, Decimal] = {}  # prices repeat a lot; parse each distinct string once

    def dec(v: str | None) -> Decimal | None:
        if v is None:
            return None
        d = cache.get(v)
        if d is None:
            d = cache[v] = Decimal(v)
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
    snapshot's age (``oldest_fetched_at``) is that of the catalog it makes, as ``compare`` will see it."""
    import pyarrow.parquet as pq

    check_name(name)
    offers = list(offers)
    d = snapshots_dir()
    final = d / name
    if final.exists():
        raise CatalogError(f"snapshot {name!r} already exists; choose another --name or delete {final}")
    d.mkdir(parents=True, exist_ok=True)
    clean_temp()
    tmp = d / f"{TMP_PREFIX}{name}-{os.getpid()}-{secrets.token_hex(4)}"
    tmp.mkdir()
    try:
        parquet = tmp / OFFERS_FILE
        pq.write_table(_to_table(offers), parquet, compression="zstd")
        with open(parquet, "rb+") as fh:
            os.fsync(fh.fileno())
        manifest = {
            "schema_version": SCHEMA_VERSION,
            "name": name,
            "source": source,
            "fetched_at": fetched_at,
            # a catalog is as old as its oldest figure (layered snapshots keep their base's older prices)
            "oldest_fetched_at": oldest_fetched_at(offers, fetched_at, base_as_of),
            "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "offers": len(offers),
            "counts": _counts(offers),
            "files": {OFFERS_FILE: {"sha256": _sha256(parquet), "bytes": parquet.stat().st_size}},
            "extra": extra or {},
        }
        with open(tmp / MANIFEST_FILE, "w", encoding="utf-8") as fh:
            json.dump(manifest, fh, indent=2, sort_keys=True)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        _fsync_dir(tmp)
        os.rename(tmp, final)
        _fsync_dir(d)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return CatalogInfo(name, source, len(offers), fetched_at, name == active_name(), manifest["oldest_fetched_at"])


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


def use(name: str) -> str:
    """Make ``name`` the active catalog (``embedded`` or a stored, undamaged snapshot); the switch is atomic."""
    if name != EMBEDDED:
        verify(name)
    h = home()
    h.mkdir(parents=True, exist_ok=True)
    tmp = h / f".active-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(name + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, h / "active")
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(h)
    return name


def verify(name: str) -> dict[str, Any]:
    """Check snapshot ``name`` is complete and undamaged (checksum of offers.parquet); return its manifest."""
    m = _read_manifest(name)
    folder = snapshots_dir() / name
    fix = f"delete {folder} and import or refresh again (or `planner catalog use {EMBEDDED}`)"
    if m.get("schema_version") != SCHEMA_VERSION:
        raise CatalogError(f"unsupported snapshot schema version {m.get('schema_version')!r}; {fix}", where=f"catalog {name}")
    expected = (m.get("files") or {}).get(OFFERS_FILE, {}).get("sha256")
    try:
        actual = _sha256(folder / OFFERS_FILE)
    except OSError:
        raise CatalogError(f"{OFFERS_FILE} is missing; {fix}", where=f"catalog {name}") from None
    if actual != expected:
        raise CatalogError(f"{OFFERS_FILE} is damaged (checksum mismatch); {fix}", where=f"catalog {name}")
    return m


def load_snapshot(name: str) -> Catalog:
    """Load snapshot ``name``, checking offers.parquet against the checksum in its manifest."""
    import pyarrow.parquet as pq

    m = verify(name)
    folder = snapshots_dir() / name
    try:
        offers = _from_table(pq.read_table(folder / OFFERS_FILE))
    except Exception as exc:  # noqa: BLE001 - any reader failure means a damaged file
        raise CatalogError(
            f"{OFFERS_FILE} cannot be read ({type(exc).__name__}); delete {folder} and import or refresh again",
            where=f"catalog {name}",
        ) from None
    return Catalog(name, str(m.get("source", "")), str(m.get("oldest_fetched_at") or m.get("fetched_at", "")), offers)


def delete(name: str) -> None:
    """Remove snapshot ``name``; the active pointer falls back to ``embedded`` if it named it."""
    _read_manifest(check_name(name))
    if active_name() == name:
        use(EMBEDDED)
    shutil.rmtree(snapshots_dir() / name)


def diff(a: str, b: str, *, threshold_pct: float = 0.0) -> Any:
    """Price changes from catalog ``a`` to catalog ``b`` (see :func:`pricing.diff.diff_catalogs`)."""
    from pricing.catalog import load_catalog
    from pricing.diff import diff_catalogs

    return diff_catalogs(load_catalog(a), load_catalog(b), threshold_pct=threshold_pct)

"""Versioned catalog snapshots under the user's data directory.

Layout: ``<home>/snapshots/<name>/`` holding ``offers.csv`` and ``manifest.json``; ``<home>/active``
names the snapshot in use. ``<home>`` is ``$PLANNER_HOME`` or the platform's user data dir.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from planner.errors import CatalogError, suggest
from pricing.catalog import EMBEDDED, Catalog, CatalogInfo
from pricing.schema import read_offers_csv


def home() -> Path:
    env = os.environ.get("PLANNER_HOME")
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir("planner", appauthor=False))


def snapshots_dir() -> Path:
    return home() / "snapshots"


def active_name() -> str:
    f = home() / "active"
    try:
        name = f.read_text(encoding="utf-8").strip()
    except OSError:
        return EMBEDDED
    if name != EMBEDDED and not (snapshots_dir() / name / "manifest.json").is_file():
        return EMBEDDED
    return name or EMBEDDED


def _manifest(name: str) -> dict:
    path = snapshots_dir() / name / "manifest.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError:
        names = [p.name for p in snapshots_dir().glob("*") if (p / "manifest.json").is_file()]
        raise CatalogError(suggest(name, [EMBEDDED, *names], what="catalog")) from None
    except ValueError as exc:
        raise CatalogError(f"damaged manifest ({exc}); delete the folder or refresh again", where=str(path)) from None


def list_snapshots(active: str | None = None) -> list[CatalogInfo]:
    out = []
    d = snapshots_dir()
    if not d.is_dir():
        return out
    for p in d.iterdir():
        if not (p / "manifest.json").is_file():
            continue
        m = _manifest(p.name)
        out.append(CatalogInfo(p.name, m.get("source", ""), int(m.get("offers", 0)), m.get("fetched_at", ""), p.name == active))
    out.sort(key=lambda i: i.fetched_at, reverse=True)
    return out


def load_snapshot(name: str) -> Catalog:
    m = _manifest(name)
    offers = read_offers_csv(snapshots_dir() / name / "offers.csv")
    return Catalog(name, m.get("source", ""), m.get("fetched_at", ""), offers)

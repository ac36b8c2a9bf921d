"""Measured work per workload and month (requests, tokens, training runs): the scenario's ``actuals.volumes``
and a CSV file (``--volumes``: columns month, workload, requests, tokens, training_runs; blank = not measured).
A CSV row replaces the scenario's figures for the same month and workload."""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import TYPE_CHECKING

from planner.errors import InputError, suggest
from planner.report.periods import Month

if TYPE_CHECKING:
    from planner.scenario import Scenario

UNITS = ("requests", "tokens", "training_runs")
Volumes = dict[Month, dict[str, dict[str, float]]]


def scenario_volumes(sc: Scenario) -> Volumes:
    out: Volumes = {}
    for v in sc.actuals.volumes if sc.actuals else []:
        vals = {u: getattr(v, u) for u in UNITS if getattr(v, u) is not None}
        out.setdefault(Month.parse(v.month), {})[v.workload] = vals
    return out


def read_volumes(path: str | Path, sc: Scenario) -> Volumes:
    p = Path(path)
    where = str(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError("no such file; give a CSV with columns month, workload, requests, tokens, training_runs",
                         where=where, field="--volumes") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read it as UTF-8 text ({type(exc).__name__})", where=where,
                         field="--volumes") from None
    reader = csv.DictReader(text.splitlines())
    cols = [c.strip() for c in reader.fieldnames or []]
    if "month" not in cols or "workload" not in cols or not set(cols) & set(UNITS):
        raise InputError(f"needs columns month, workload and at least one of {', '.join(UNITS)}; found "
                         f"{', '.join(cols) or 'none'}", where=where, field="header")
    names = [w.name for w in sc.workloads]
    out: Volumes = {}
    for n, row in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
        if not any(row.values()):
            continue
        m = Month.parse(row.get("month", ""), field=f"line {n}: month", where=where)
        w = row.get("workload", "")
        if w not in names:
            raise InputError(suggest(w, names, what="workload"), where=where, field=f"line {n}: workload")
        vals: dict[str, float] = {}
        for u in UNITS:
            raw = row.get(u, "")
            if raw == "":
                continue
            try:
                x = float(raw.replace(",", "").replace("_", ""))
            except ValueError:
                x = math.nan
            if not math.isfinite(x) or x < 0:
                raise InputError(f"{u} must be a number at least 0, got {raw!r}", where=where, field=f"line {n}: {u}")
            vals[u] = x
        out.setdefault(m, {})[w] = vals
    if not out:
        raise InputError("no volume rows; add lines such as 2026-03,chat,12000000,,", where=where)
    return out


def merged(sc: Scenario, csv_volumes: Volumes | None) -> Volumes:
    out = scenario_volumes(sc)
    for m, per in (csv_volumes or {}).items():
        for w, vals in per.items():
            out.setdefault(m, {})[w] = vals
    return out

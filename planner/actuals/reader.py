"""Billing exports -> FOCUS rows, batch by batch; :func:`read_actuals` gathers them into one frame."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planner.actuals.focus import COST_COLUMNS, EXTRA_COLUMNS, FOCUS_COLUMNS, NUMBER_COLUMNS, TIME_COLUMNS
from planner.actuals.formats.azure import Azure
from planner.actuals.formats.base import Context, Raw, is_in
from planner.actuals.sources import SourceFile, batches, expand, is_api_uri, open_file
from planner.errors import InputError

FILL_LIST = ("Credit", "Adjustment", "Purchase", "Tax")


def open_sources(paths: list[Path], format: str | None = None) -> list[SourceFile]:
    """Open and detect every file; pair Azure actual and amortized exports of the same months."""
    srcs = [open_file(p, format) for p in paths]
    _pair_azure(srcs)
    return srcs


def _pair_azure(srcs: list[SourceFile]) -> None:
    azure = [s for s in srcs if isinstance(s.fmt, Azure)]
    if len(azure) < 2:
        return
    months: dict[str, set[str]] = {"actual": set(), "amortized": set()}
    roles: list[tuple[SourceFile, str]] = []
    for s in azure:
        fmt = s.fmt
        assert isinstance(fmt, Azure)
        role = fmt.role
        seen: set[str] = set()
        is_actual = is_amortized = False
        plan = {k: v for k, v in fmt.resolve(s.header).items()
                if k in ("cost", "charge_type", "pricing_model", "benefit", "bp_start", "date")}
        ctx = Context(s.where, s.fmt_name, s.header)
        for b in batches(s, plan):
            raw = Raw(b, plan, ctx)
            a, m = fmt.classify(raw)
            is_actual |= a
            is_amortized |= m
            seen.update(x for x in set(fmt.months(raw)) if x)
        if role is None and is_actual != is_amortized:
            role = "actual" if is_actual else "amortized"
        if role:
            roles.append((s, role))
            months[role] |= seen
    paired = months["actual"] & months["amortized"]
    for s, role in roles:
        s.options["azure_role"] = role
        s.options["paired_months"] = paired


def plan_for(src: SourceFile, wanted: set[str], tags: list[str]) -> dict[str, tuple[str, str]]:
    resolved = src.fmt.resolve(src.header)
    need = src.fmt.needs(wanted)
    if tags and "tags" in resolved:
        need.add("tags")
    plan = {k: v for k, v in resolved.items() if k in need}
    plan.update(src.fmt.tag_plan(src.header, tags, "Tags" in wanted))
    return src.fmt.prune(plan, wanted)


def normalized(src: SourceFile, wanted: set[str], tags: list[str]) -> Iterator[tuple[dict[str, Any], Raw]]:
    """FOCUS columns of ``src`` (those in ``wanted`` plus ``tag:KEY`` columns), one dict per batch."""
    plan = plan_for(src, wanted, tags)
    ctx = Context(src.where, src.fmt_name, src.header, dict(src.options))
    rows = 0
    for b in batches(src, plan, src.fmt.lazy(wanted)):
        if b.num_rows == 0:
            continue
        rows += b.num_rows
        raw = Raw(b, plan, ctx)
        cols = src.fmt.normalize(raw, wanted, tags)
        yield finish(cols, wanted, tags), raw
    if rows == 0:
        raise InputError("file has a header but no rows of charges", where=src.where)


def finish(cols: dict[str, Any], wanted: set[str], tags: list[str]) -> dict[str, Any]:
    """Shared last step: the FOCUS ListCost rule for charges without a list price, and null columns."""
    n = next(len(v) for v in cols.values() if v is not None)
    if "ListCost" in wanted and cols.get("ListCost") is not None and cols.get("ChargeCategory") is not None:
        lst = _floats(cols["ListCost"])
        rows = np.flatnonzero(np.isnan(lst))  # rows without a list cost
        if len(rows):
            cat = cols["ChargeCategory"]
            rows = rows[is_in(cat if isinstance(cat, pd.Series) else pd.Series(cat), FILL_LIST, rows)]
        if len(rows):
            lst = lst.copy()
            lst[rows] = _floats(cols["BilledCost"])[rows]
            cols["ListCost"] = pd.Series(lst, copy=False)
    for c in wanted:
        if cols.get(c) is None and c != "Tags":
            dtype = "float64" if c in COST_COLUMNS or c == "ConsumedQuantity" else object
            cols[c] = pd.Series([None] * n, dtype=dtype) if dtype is object else \
                pd.Series(np.nan, index=range(n), dtype="float64")
    if "Tags" in wanted and cols.get("Tags") is None:
        cols["Tags"] = pd.Series([{} for _ in range(n)], dtype=object)
    return cols


def _floats(s: Any) -> np.ndarray:
    return s.to_numpy(dtype="float64", na_value=np.nan) if isinstance(s, pd.Series) else np.asarray(s, dtype="float64")


def _api_frame(uri: str, **kw: Any) -> pd.DataFrame:
    try:
        from planner.actuals import apis  # type: ignore[attr-defined]
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("planner.actuals"):
            raise InputError(f"{uri.split(':', 1)[0]}: sources need the cost API readers "
                             "(planner.actuals.apis), which this installation does not have; export the "
                             "costs to a file (CUR, cost details, BigQuery export, FOCUS) and give that",
                             where=uri) from None
        raise
    frame = apis.open_source(uri, **kw)
    if not isinstance(frame, pd.DataFrame):
        raise InputError("the cost API reader returned no table", where=uri)
    return frame


def split_sources(sources: Any) -> tuple[list[str], list[Any]]:
    """(cost API URIs, file sources) of ``sources``."""
    items = [sources] if isinstance(sources, (str, Path)) else list(sources)
    return [str(s) for s in items if is_api_uri(s)], [s for s in items if not is_api_uri(s)]


def read_actuals(sources: Any, *, format: str | None = None) -> pd.DataFrame:
    """Billing exports (files, folders or cost API URIs) as one FOCUS frame, a row per charge.

    Columns: :data:`planner.actuals.FOCUS_COLUMNS` (``Tags`` a dict per row), then ``x_Format`` (the
    format a row was read as) and ``x_SourceFile``. ``format`` forces the input format of every file
    (see :data:`planner.actuals.formats.FORMATS`); by default each file's is detected from its header.
    """
    uris, files = split_sources(sources)
    if not uris and not files:
        raise InputError("no source given; name one or more billing export files")
    frames: list[pd.DataFrame] = []
    wanted = set(FOCUS_COLUMNS)
    if files:
        for src in open_sources(expand(files), format):
            for cols, _raw in normalized(src, wanted, []):
                n = len(cols["BilledCost"])
                data = {c: _plain(cols[c]) for c in FOCUS_COLUMNS}
                data["x_Format"] = [src.fmt_name] * n
                data["x_SourceFile"] = [src.where] * n
                frames.append(pd.DataFrame(data))
    for uri in uris:
        f = _api_frame(uri)
        frames.append(f.assign(x_Format=uri.split(":", 1)[0], x_SourceFile=uri))
    out = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0].reset_index(drop=True)
    for c in (*FOCUS_COLUMNS, *EXTRA_COLUMNS):
        if c not in out.columns:
            out[c] = None
    for c in TIME_COLUMNS:
        out[c] = pd.to_datetime(out[c], utc=True)
    for c in (*FOCUS_COLUMNS, *EXTRA_COLUMNS):  # text columns: None where a source gives nothing (not NaN)
        if c not in TIME_COLUMNS and c not in NUMBER_COLUMNS and c != "Tags":
            out[c] = pd.Series(out[c].astype(object).where(out[c].notna(), None), index=out.index, dtype=object)
    return out[[*FOCUS_COLUMNS, *EXTRA_COLUMNS, *[c for c in out.columns if c not in FOCUS_COLUMNS
                                                   and c not in EXTRA_COLUMNS]]]


def _plain(s: Any) -> Any:
    """Categoricals as plain values, so frames of different files concatenate cleanly."""
    if isinstance(s, pd.Series) and isinstance(s.dtype, pd.CategoricalDtype):
        return s.astype(object).where(s.notna(), None).to_numpy()
    return s.to_numpy() if isinstance(s, pd.Series) and s.dtype.kind != "M" else \
        (s.reset_index(drop=True) if isinstance(s, pd.Series) else s)

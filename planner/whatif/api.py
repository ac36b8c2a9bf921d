"""The what-if Python API: :func:`sweep`, :func:`monte_carlo`, :func:`sensitivity` and :func:`diff`.

Each takes a :class:`~planner.scenario.Scenario` (or the path of a scenario file) and returns a result with
``.to_frame()`` and ``.plot()`` (see :mod:`planner.whatif.results`). Paths are the dotted paths of
:func:`planner.whatif.what_if`. Costs are contracted US dollars: ``horizon_cost`` is what is billed within
the horizon, ``monthly_cost`` the horizon's average month, ``month_1_cost`` month 1 as billed.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from planner.scenario import Scenario
from planner.whatif.core import (
    MAX_LOCAL_VARIANTS,
    GridError,
    _hashable,
    check_engine,
    check_paths,
    evaluate,
    grid_table,
)
from planner.whatif.overrides import OverrideError, scenario_data, what_if
from planner.whatif.results import (
    METRICS,
    DiffResult,
    McResult,
    SensitivityResult,
    SweepResult,
    check_metric,
    concat_frames,
)

Progress = Callable[[int, int], None]  # (variants done, variants in all)
# with a progress callback, the variants are evaluated in about this many chunks (each reports when done)
PROGRESS_CHUNKS = 40
# ... but the numpy engine reports its own progress and is fastest given everything at once: it is chunked only
# beyond this many variants (to bound the memory of one pass)
NUMPY_CHUNK = 2_000_000


def _scenario(sc: Scenario | str | Path) -> Scenario:
    if isinstance(sc, Scenario):
        return sc
    if isinstance(sc, (str, Path)):
        from planner.scenario import load_scenario

        return load_scenario(str(sc))
    raise GridError(f"expected a Scenario or the path of a scenario file, got {type(sc).__name__}", field="scenario")


def _catalog(catalog: Any) -> Any:
    from pricing.catalog import Catalog, load_catalog

    return catalog if isinstance(catalog, Catalog) else load_catalog(catalog)


def workload_of(scenario: Scenario, paths: Sequence[str]) -> str | None:
    """The workload the first workload path names (its hardware is the one reported), else None."""
    names = [w.name for w in scenario.workloads]
    for p in paths:
        parts = p.split(".")
        if parts[0] == "workloads" and len(parts) > 2:
            return parts[1] if parts[1] in names else names[int(parts[1])] if parts[1].isdigit() else None
        if parts[0] in names and parts[0] not in Scenario.model_fields:
            return parts[0]
    return None


def run_variants(scenario: Scenario, table: Any, *, engine: str = "numpy", catalog: Any = None, client: Any = None,
                 workload: str | None = None, progress: Progress | None = None) -> Any:
    """:func:`planner.whatif.core.evaluate`, in chunks that report to ``progress`` when one is given."""

    check_engine(engine)
    if engine == "dask":
        from planner.whatif.dask_engine import evaluate_dask

        if len(table) == 0:
            raise GridError("no variants to evaluate", field="grid")
        check_paths(scenario, list(table.columns), table.iloc[0].to_dict())
        return evaluate_dask(scenario, table, catalog=catalog, client=client, workload=workload, progress=progress)
    cat = _catalog(catalog)
    n = len(table)
    # the exact engine costs the same per variant in any chunk; the numpy engine is fastest given everything at
    # once, so it is chunked only in pieces large enough to keep it vectorised
    size = max(1 if engine == "exact" else NUMPY_CHUNK, math.ceil(n / PROGRESS_CHUNKS))
    if progress is None or size >= n:
        cb = None if progress is None else _groups_as_variants(progress, n)
        out = evaluate(scenario, table, catalog=cat, engine=engine, workload=workload, progress=cb)
        if progress is not None:
            progress(n, n)
        return out
    parts = []
    for start in range(0, n, size):
        chunk = table.iloc[start:start + size].reset_index(drop=True)
        inner = None if engine == "exact" else _groups_as_variants(_offset(progress, start, n), len(chunk))
        df = evaluate(scenario, chunk, catalog=cat, engine=engine, workload=workload, progress=inner)
        df["variant"] += start
        parts.append(df)
        progress(min(n, start + size), n)
    return concat_frames(parts)


def _offset(progress: Progress, start: int, n: int) -> Progress:
    """A chunk's progress (variants of the chunk done) as the whole table's (``n`` variants, ``start`` of them
    done before the chunk)."""
    def report(done: int, _chunk: int) -> None:
        progress(start + done, n)

    return report


def _groups_as_variants(progress: Progress, n: int) -> Progress:
    """The numpy engine reports steps of its work done; the callers' progress counts variants."""
    def report(done: int, total: int) -> None:
        if total > 0 and done < total:
            progress(n * done // total, n)

    return report


# ------------------------------------------------------------------------------------------------ sweep
def sweep(scenario: Scenario | str | Path, grid: Mapping[str, Sequence[Any]] | Any, *, engine: str = "numpy",
          catalog: Any = None, client: Any = None, workload: str | None = None,
          progress: Progress | None = None) -> SweepResult:
    """Every combination of the values in ``grid`` ({path: values}), each compared on every cloud.

    >>> r = planner.sweep(sc, {"workloads.chat.qps_peak": [20, 40, 80], "prices.gcp": [1.0, 0.8]})
    >>> r.to_frame()      # one row per variant and cloud
    >>> r.plot()          # a line per cloud over qps_peak, one line style per GCP price factor

    ``grid`` may also be a pandas DataFrame whose rows are the variants (one column per path), for paths that
    move together rather than in every combination -- e.g. mean and peak QPS growing by the same factor::

        m = np.arange(1, 6.5, 0.5)
        planner.sweep(sc, pd.DataFrame({"workloads.chat.qps_mean": 15 * m, "workloads.chat.qps_peak": 40 * m}))

    ``engine``: ``"numpy"`` (vectorised), ``"exact"`` (every variant through :func:`planner.compare`) or
    ``"dask"`` (partitions on a cluster: ``client`` is a ``distributed.Client`` or a scheduler address; none
    starts a local one). ``workload`` names the workload whose hardware the rows report (default: the first
    one the grid's paths name, else each cloud's costliest compute). An unknown path, a value the field does
    not accept or an empty grid raise a :class:`planner.PlannerError`.
    """
    sc = _scenario(scenario)
    if hasattr(grid, "columns") and hasattr(grid, "itertuples"):  # a DataFrame: its rows are the variants
        table = variants_table(grid)
        axes = {p: _distinct(_values(table[p])) for p in table.columns}
    else:
        axes = grid_axes(grid)
        if engine == "dask" and math.prod(len(v) for v in axes.values()) > MAX_LOCAL_VARIANTS:
            from planner.whatif.dask_engine import evaluate_dask_grid

            check_paths(sc, list(axes), {p: v[0] for p, v in axes.items()})
            wl = workload or workload_of(sc, list(axes))
            return SweepResult(sc, axes, evaluate_dask_grid(sc, axes, catalog=catalog, client=client, workload=wl),
                               engine)
        table = grid_table(grid)
    wl = workload or workload_of(sc, list(axes))
    frame = run_variants(sc, table, engine=engine, catalog=catalog, client=client, workload=wl, progress=progress)
    return SweepResult(sc, axes, frame, engine)


def _distinct(values: Sequence[Any]) -> list[Any]:
    """The distinct values in order of first appearance (lists and mappings compared by content)."""
    seen: dict[Any, Any] = {}
    for v in values:
        seen.setdefault(_hashable(v), v)
    return list(seen.values())


def grid_axes(grid: Mapping[str, Sequence[Any]]) -> dict[str, list[Any]]:
    """``{path: values}`` checked (a mapping, at least one path, each with values) without making the variants."""
    if not isinstance(grid, Mapping):
        raise GridError(f"grid must be a mapping {{path: values}} or a DataFrame of variants, got "
                        f"{type(grid).__name__}", field="grid")
    if not grid:
        raise GridError("the grid is empty; give at least one path with a list of values, e.g. "
                        "{'workloads.chat.qps_peak': [20, 40, 80]}", field="grid")
    axes = {str(p): _values(v) for p, v in grid.items()}
    for p, v in axes.items():
        if not v:
            raise GridError(f"no values for {p}; give at least one", field=f"grid.{p}")
    return axes


def variants_table(frame: Any) -> Any:
    """A DataFrame of variants as the engines take it: string path columns, a plain 0..n-1 index."""
    if len(frame.columns) == 0:
        raise GridError("the table of variants has no columns; give one column per path", field="grid")
    if len(frame) == 0:
        raise GridError("the table of variants has no rows; give one row per variant", field="grid")
    if len(frame) > MAX_LOCAL_VARIANTS:
        raise GridError(f"the table has {len(frame):,} variants, more than one machine holds "
                        f"({MAX_LOCAL_VARIANTS:,}); split it, or use a coarser grid", field="grid")
    if len(set(map(str, frame.columns))) != len(frame.columns):
        raise GridError("the table of variants names a path twice", field="grid")
    if "variant" in map(str, frame.columns):
        raise GridError("'variant' is not a path; the result numbers the variants itself", field="grid")
    out = frame.reset_index(drop=True).copy()
    out.columns = [str(c) for c in out.columns]
    return out


def _values(v: Any) -> list[Any]:
    if isinstance(v, (list, tuple, range)) or hasattr(v, "__array__"):
        return [x.item() if hasattr(x, "item") else x for x in v]
    return [v]


# ------------------------------------------------------------------------------------------------ monte carlo
def monte_carlo(scenario: Scenario | str | Path, assumptions: Mapping[str, Any], n: int = 1000, seed: int | None = 0,
                *, engine: str = "numpy", catalog: Any = None, client: Any = None, workload: str | None = None,
                progress: Progress | None = None) -> McResult:
    """``n`` scenarios with the assumptions drawn at random, each compared on every cloud.

    >>> mc = planner.monte_carlo(sc, {"workloads.chat.qps_peak": {"dist": "normal", "mean": 40, "sd": 8},
    ...                               "prices.gcp": ("uniform", 0.8, 1.0)}, n=1000, seed=0)
    >>> mc.summary()      # per cloud: P10/P50/P90 of monthly and horizon cost, probability of winning

    Assumptions are scipy.stats frozen distributions or simple specs (see :mod:`planner.whatif.distributions`):
    draws are taken from each distribution truncated to what its field accepts, so every draw is a valid
    scenario, or refused with an error naming the draw when it breaks a rule between fields. Sampling uses
    ``numpy.random.default_rng(seed)``, assumptions in the order given: the same seed gives the same draws.
    """
    import numpy as np
    import pandas as pd

    from planner.whatif.distributions import draw, field_bounds, to_assumption

    sc = _scenario(scenario)
    if not assumptions:
        raise GridError("no assumptions; give at least one path with a distribution, e.g. "
                        "{'workloads.chat.qps_peak': 'normal(40, 8)'}", field="assumptions")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= MAX_LOCAL_VARIANTS:
        raise GridError(f"n must be a whole number of draws from 1 to {MAX_LOCAL_VARIANTS:,}, got {n!r}", field="n")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0):
        raise GridError(f"seed must be a non-negative whole number or None, got {seed!r}", field="seed")
    check_engine(engine)
    parsed = [to_assumption(str(p), spec) for p, spec in assumptions.items()]
    bounds = {a.path: field_bounds(sc, a.path) for a in parsed}  # unknown paths fail here, with suggestions
    rng = np.random.default_rng(seed)
    cols: dict[str, Any] = {}
    truncated: dict[str, float] = {}
    for a in parsed:
        cols[a.path], truncated[a.path] = draw(a, int(n), rng, bounds[a.path])
    table = pd.DataFrame(cols)
    validate_draws(sc, table)
    wl = workload or workload_of(sc, list(cols))
    try:
        frame = run_variants(sc, table, engine=engine, catalog=catalog, client=client, workload=wl, progress=progress)
    except OverrideError as exc:  # a draw beyond those validate_draws checked
        raise _bad_draw("a draw", exc) from None
    return McResult(sc, tuple(parsed), table.rename_axis("variant").reset_index(), frame, int(n), seed, truncated)


# draws checked one by one before any is evaluated (about 1 ms each); the engines check every variant anyway
CHECKED_DRAWS = 20


def validate_draws(sc: Scenario, table: Any, limit: int | None = None) -> None:
    """Drawn variants are valid scenarios; the first that is not is refused, naming the draw.

    The first ``limit`` distinct draws are checked, and the draws holding each numeric column's lowest and highest
    value (where a rule between fields, such as peak QPS at least mean QPS, breaks first). The engines validate
    every variant they evaluate, so a bad draw beyond these still fails, with the scenario's own message.
    """
    from planner.whatif.core import _plain

    paths = list(table.columns)
    rows = list(range(min(len(table), CHECKED_DRAWS if limit is None else limit)))
    for p in paths:
        col = table[p]
        if col.dtype.kind in "iuf" and len(col):
            rows += [int(col.to_numpy().argmin()), int(col.to_numpy().argmax())]
    seen: set[tuple[Any, ...]] = set()
    for i in dict.fromkeys(rows):
        values = tuple(table.iloc[i])
        key = tuple(repr(v) for v in values)
        if key in seen:
            continue
        seen.add(key)
        try:
            what_if(sc, {p: _plain(v) for p, v in zip(paths, values, strict=True)})
        except OverrideError as exc:
            drawn = ", ".join(f"{p}={_plain(v)!r}" for p, v in zip(paths, values, strict=True))
            raise _bad_draw(f"draw {i} ({drawn})", exc) from None


def _bad_draw(which: str, exc: Any) -> GridError:
    return GridError(f"{which} is not a valid scenario: {exc.message}; keep the distribution inside the rule "
                     "with min/max, e.g. normal(40, 8, min=15)", field=exc.field)


# ------------------------------------------------------------------------------------------------ sensitivity
def current_value(scenario: Scenario, path: str) -> Any:
    """The value ``path`` has in ``scenario`` (its default when the file does not set it; price factors 1)."""
    from planner.whatif.overrides import _resolve

    full = scenario.model_dump(mode="json", by_alias=True, exclude={"source_path"})
    node, key, _ = _resolve(full, path)
    value = node.get(key) if isinstance(node, dict) else None
    if value is None and path.split(".")[0] == "prices":
        return 1.0
    return value


def sensitivity(scenario: Scenario | str | Path, ranges: Mapping[str, Sequence[Any]], metric: str = "horizon_cost",
                cloud: str | None = None, *, engine: str = "numpy", catalog: Any = None,
                workload: str | None = None) -> SensitivityResult:
    """One assumption at a time moved to its low and its high value, the others at the scenario's: a tornado.

    >>> t = planner.sensitivity(sc, {"workloads.chat.qps_peak": (30, 60), "prices.aws": (0.9, 1.1),
    ...                              "workloads.chat.accelerators": (["H100-SXM"], ["A100-80GB"])})
    >>> t.to_frame()      # per path and cloud: cost at low, base, high and the swing, largest swing first
    >>> t.plot()          # tornado chart for the winning cloud

    ``metric``: horizon_cost (default), monthly_cost (average month) or month_1_cost. ``cloud`` keeps one
    cloud's rows. A range is two numbers for a numeric field (shown low then high whatever their order), or two
    alternative values of any kind the field accepts, as :func:`planner.what_if` takes them (a list of
    accelerators, purchase options, a model name, true/false); alternatives keep their order: the first in the
    ``low`` slot, the second in ``high``. ``base`` is the scenario's own value.
    """
    import pandas as pd

    sc = _scenario(scenario)
    check_metric(metric)
    if not ranges:
        raise GridError("no ranges; give at least one path with (low, high), e.g. "
                        "{'workloads.chat.qps_peak': (30, 60)}", field="ranges")
    lows: dict[str, Any] = {}
    highs: dict[str, Any] = {}
    base: dict[str, Any] = {}
    for path, rng in ranges.items():
        p = str(path)
        if isinstance(rng, (str, bytes)) or not isinstance(rng, Sequence) or len(rng) != 2:
            raise GridError(f"range for {p} must be (low, high) or two alternatives (a, b), got {rng!r}", field=p)
        a, b = (_alternative(x) for x in rng)
        if not (_is_number(a) and _is_number(b)):
            lows[p], highs[p], base[p] = a, b, _check_alternatives(sc, p, a, b)
            continue
        lo, hi = _num(p, a), _num(p, b)
        if lo == hi:
            raise GridError(f"range for {p}: low and high are both {lo:g}; give two different values", field=p)
        cur = current_value(sc, p)  # unknown paths fail here, with suggestions
        if not _is_number(cur):
            raise GridError(f"{p} is {cur!r} in the scenario, not a number; give two numbers only for a numeric "
                            "field, else two values the field takes (or set it in the scenario first)", field=p)
        lows[p], highs[p], base[p] = min(lo, hi), max(lo, hi), float(cur)
    paths = list(lows)
    rows = [dict(base)]
    for p in paths:
        rows.append({**base, p: lows[p]})
        rows.append({**base, p: highs[p]})
    # alternatives as objects (None stays None, lists whole), numbers as floats as before
    table = pd.DataFrame({p: pd.Series([r[p] for r in rows], dtype=float if _is_number(base[p]) and
                                       _is_number(lows[p]) and _is_number(highs[p]) else object) for p in paths})
    wl = workload or workload_of(sc, paths)
    frame = run_variants(sc, table, engine=engine, catalog=catalog, workload=wl)
    at = frame.set_index(["variant", "cloud"])
    clouds = list(dict.fromkeys(frame["cloud"]))
    if cloud is not None and cloud not in clouds:
        raise GridError(f"cloud {cloud!r} is not compared in this scenario; clouds: {', '.join(clouds)}",
                        field="cloud")
    winners = frame[frame["winner"]].set_index("variant")["cloud"]
    out = []
    for i, p in enumerate(paths):
        v_lo, v_hi = 1 + 2 * i, 2 + 2 * i
        for c in clouds if cloud is None else [cloud]:
            cost = {k: float(at.loc[(v, c), metric]) if (v, c) in at.index else math.nan
                    for k, v in (("low", v_lo), ("base", 0), ("high", v_hi))}
            # each row its own copy of a list value: editing one cell of the frame changes no other
            out.append({"path": p, "cloud": c, "low": copy.deepcopy(lows[p]), "base": copy.deepcopy(base[p]),
                        "high": copy.deepcopy(highs[p]),
                        "cost_low": cost["low"], "cost_base": cost["base"], "cost_high": cost["high"],
                        "swing": abs(cost["high"] - cost["low"]),
                        "winner_low": winners.get(v_lo), "winner_high": winners.get(v_hi)})
    table_out = pd.DataFrame(out).sort_values("swing", ascending=False, kind="stable", na_position="last")
    return SensitivityResult(sc, metric, table_out.reset_index(drop=True), winners.get(0))


def _num(path: str, x: Any) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(float(x)):
        raise GridError(f"range for {path} takes two finite numbers, got {x!r}", field=path)
    return float(x)


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _alternative(x: Any) -> Any:
    """A range end as plain Python: numpy scalars as numbers, tuples and arrays as lists (as a scenario file has)."""
    if hasattr(x, "tolist") and not isinstance(x, (str, bytes)):
        return x.tolist()
    if isinstance(x, (list, tuple)):
        return [_alternative(v) for v in x]
    if isinstance(x, Mapping):
        return {k: _alternative(v) for k, v in x.items()}
    return x


def _check_alternatives(sc: Scenario, path: str, a: Any, b: Any) -> Any:
    """Two alternative values for ``path``, each validated as :func:`what_if` does; returns the scenario's value."""
    cur = current_value(sc, path)  # unknown paths fail here, with suggestions
    if a == b:
        raise GridError(f"range for {path}: both alternatives are {SensitivityResult.value_text(a)}; give two "
                        "different values", field=path)
    for v in (a, b):
        try:
            what_if(sc, {path: v})
        except OverrideError as exc:
            raise GridError(f"range for {path}: {v!r} does not fit ({exc.message}); give two values the field "
                            "takes, as in a scenario file", field=path) from None
    return cur


# ------------------------------------------------------------------------------------------------ diff
def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """A scenario mapping as {dotted path: value}; workloads and fixed costs by name, other lists whole."""
    out: dict[str, Any] = {}
    for k, v in data.items():
        p = f"{prefix}{k}"
        if k in ("workloads", "fixed_costs") and not prefix and isinstance(v, list):
            for i, item in enumerate(v):
                name = item.get("name", str(i)) if isinstance(item, dict) else str(i)
                out.update(flatten({kk: vv for kk, vv in item.items() if kk != "name"}, f"{p}.{name}."))
        elif isinstance(v, dict):  # an empty mapping has no leaves: the same as an absent one
            out.update(flatten(v, f"{p}."))
        else:
            out[p] = v
    return out


def diff(a: Scenario | str | Path, b: Scenario | str | Path, *, catalog: Any = None,
         workload: str | None = None) -> DiffResult:
    """What changed from scenario ``a`` to ``b`` and what it did to each cloud's cost.

    >>> d = planner.diff(sc, planner.what_if(sc, {"prices.gcp": 0.8}))
    >>> d.changes        # path, old, new (dotted paths, as what_if takes them)
    >>> d.to_frame()     # per cloud: horizon and average-month cost before/after, winner before/after

    A path only one scenario has shows ``None`` on the other side (a workload added or removed shows as its
    fields). Both are priced with the same catalog.
    """
    import pandas as pd

    from planner.comparison import compare
    from planner.whatif.core import comparison_rows

    sa, sb = _scenario(a), _scenario(b)
    fa = flatten(sa.model_dump(mode="json", by_alias=True, exclude={"source_path"}))
    fb = flatten(sb.model_dump(mode="json", by_alias=True, exclude={"source_path"}))
    changes = [{"path": p, "old": fa.get(p), "new": fb.get(p)} for p in dict.fromkeys([*fa, *fb])
               if fa.get(p) != fb.get(p)]
    cat = _catalog(catalog)
    ca, cb = compare(sa, cat), compare(sb, cat)
    wl = workload or workload_of(sa, [str(c["path"]) for c in changes])  # the changed workload's hardware
    ra = {r["cloud"]: r for r in comparison_rows(ca, wl)}
    rb = {r["cloud"]: r for r in comparison_rows(cb, wl)}
    nan = math.nan
    rows = []
    for c in dict.fromkeys([*ra, *rb]):
        x, y = ra.get(c, {}), rb.get(c, {})
        hb, ha = x.get("horizon_cost", nan), y.get("horizon_cost", nan)
        mb, ma = x.get("monthly_cost", nan), y.get("monthly_cost", nan)
        rows.append({"cloud": c, "horizon_before": hb, "horizon_after": ha, "horizon_change": ha - hb,
                     "horizon_change_pct": (ha - hb) / hb * 100 if hb else nan,
                     "monthly_before": mb, "monthly_after": ma, "monthly_change": ma - mb,
                     "instance_before": x.get("instance_type"), "instance_after": y.get("instance_type"),
                     "winner_before": bool(x.get("winner", False)), "winner_after": bool(y.get("winner", False))})
    wa, wb = ca.winner, cb.winner
    return DiffResult(sa, sb, pd.DataFrame(changes, columns=["path", "old", "new"], dtype=object), pd.DataFrame(rows),
                      None if wa is None else wa.cloud, None if wb is None else wb.cloud)


__all__ = [
    "CHECKED_DRAWS",
    "METRICS",
    "current_value",
    "diff",
    "flatten",
    "monte_carlo",
    "run_variants",
    "scenario_data",
    "sensitivity",
    "sweep",
    "validate_draws",
    "variants_table",
    "workload_of",
]

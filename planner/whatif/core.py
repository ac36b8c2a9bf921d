"""Evaluate many variants of a scenario: one row per variant and cloud.

A *variant* is a set of overrides (dotted paths, as :func:`planner.whatif.what_if` takes them). Every
entry point here reduces to :func:`evaluate`, which takes a table of variants (one column per path)
and returns a tidy frame. Engines:

- ``"exact"``: every distinct variant through :func:`planner.compare` (the reference);
- ``"numpy"``: the vectorised engine (:mod:`planner.whatif.engine`): paths it can vectorise (QPS of a
  real-time serving workload, price factors, purchase options) are evaluated for all variants at once;
  any other path splits the table into groups, each with its own base scenario;
- ``"dask"``: the variants partitioned across a Dask cluster, each partition on the numpy engine.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from planner.errors import InputError
from planner.scenario import Scenario
from planner.whatif.overrides import OverrideError, what_if

# one row per variant and cloud
RESULT_COLUMNS = ["cloud", "region", "monthly_cost", "month_1_cost", "horizon_cost", "commitment_tail",
                  "instance_type", "count", "purchase_option", "complete", "winner"]
ENGINES = ("numpy", "exact", "dask")
# a grid is refused beyond this many variants on one machine (about 200 bytes a result row per cloud)
MAX_LOCAL_VARIANTS = 20_000_000


class GridError(InputError):
    """A grid, a distribution or a range that cannot be evaluated."""


def _money(x: Decimal | None) -> float:
    return math.nan if x is None else float(x)


def main_compute_item(res: Any, workload: str | None) -> Any:
    """The line item that names a cloud's hardware: the given workload's, else its costliest compute item."""
    items = [i for i in res.items if i.resource == "instance"]
    if workload is not None:
        mine = [i for i in items if i.workload == workload]
        if mine:
            return mine[0]
    return max(items, key=lambda i: i.contracted_cost or Decimal(0), default=None)


def comparison_rows(cmp: Any, workload: str | None = None) -> list[dict[str, Any]]:
    """The result rows of one comparison (one per cloud), as the engines return them."""
    win = cmp.winner
    rows = []
    for c in cmp.clouds:
        item = main_compute_item(c, workload)
        rows.append({
            "cloud": c.cloud,
            "region": c.region,
            "monthly_cost": _money(c.average_month),
            "month_1_cost": _money(c.month_1_billed),
            "horizon_cost": _money(c.contracted_horizon_cost),
            "commitment_tail": _money(c.contracted_commitment_tail),
            "instance_type": None if item is None else item.instance_type,
            "count": None if item is None else item.count,
            "purchase_option": None if item is None else item.purchase_option,
            "complete": c.complete,
            "winner": win is not None and win.cloud == c.cloud,
        })
    return rows


def check_engine(engine: str) -> None:
    if engine not in ENGINES:
        raise GridError(f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}", field="engine")


def grid_table(grid: Mapping[str, Sequence[Any]]) -> Any:
    """The cartesian product of ``grid`` as a DataFrame (one column per path, one row per variant)."""
    import pandas as pd

    if not grid:
        raise GridError("the grid is empty; give at least one path with a list of values, e.g. "
                        "{'workloads.chat.qps_peak': [20, 40, 80]}", field="grid")
    axes: dict[str, list[Any]] = {}
    for path, values in grid.items():
        vals = list(values) if isinstance(values, (list, tuple, range)) or hasattr(values, "__array__") else [values]
        if not vals:
            raise GridError(f"no values for {path}; give at least one", field=f"grid.{path}")
        axes[str(path)] = vals
    n = math.prod(len(v) for v in axes.values())
    if n > MAX_LOCAL_VARIANTS:
        raise GridError(f"the grid has {n:,} variants, more than one machine holds ({MAX_LOCAL_VARIANTS:,}); "
                        "use engine='dask' with a cluster, or a coarser grid", field="grid")
    if all(_is_numeric(v) for v in axes.values()):
        import numpy as np

        mesh = np.meshgrid(*[np.asarray(v, dtype=float) for v in axes.values()], indexing="ij")
        return pd.DataFrame({p: m.ravel() for p, m in zip(axes, mesh, strict=True)})
    rows = list(itertools.product(*axes.values()))
    return pd.DataFrame({p: [r[i] for r in rows] for i, p in enumerate(axes)})


def _is_numeric(values: Sequence[Any]) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values) or (
        hasattr(values, "dtype") and values.dtype.kind in "iuf")


def check_paths(scenario: Scenario, paths: Sequence[str], sample: Mapping[str, Any]) -> None:
    """Unknown paths and values that do not fit fail before any work is done (with the scenario's message)."""
    what_if(scenario, {p: _plain(sample[p]) for p in paths})


def _plain(v: Any) -> Any:
    if hasattr(v, "item") and not isinstance(v, (list, tuple, str)):
        v = v.item()
    if isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
        return v  # keep floats: a scenario field typed int accepts 3.0 only if integral, which it is
    return v


def exact_rows(scenario: Scenario, table: Any, *, catalog: Any = None, workload: str | None = None,
               cache: dict[tuple[Any, ...], list[dict[str, Any]]] | None = None) -> Any:
    """Every distinct variant of ``table`` through :func:`planner.compare` (the reference engine)."""
    import pandas as pd

    from planner.comparison import compare
    from pricing.catalog import Catalog, load_catalog

    cat = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
    memo = cache if cache is not None else {}
    paths = list(table.columns)
    out: list[dict[str, Any]] = []
    for idx, values in enumerate(table.itertuples(index=False, name=None)):
        key = tuple(_hashable(v) for v in values)
        rows = memo.get(key)
        if rows is None:
            sc = what_if(scenario, {p: _plain(v) for p, v in zip(paths, values, strict=True)})
            rows = memo[key] = comparison_rows(compare(sc, cat), workload)
        for r in rows:
            out.append({"variant": idx, **dict(zip(paths, values, strict=True)), **r})
    return pd.DataFrame(out, columns=["variant", *paths, *RESULT_COLUMNS])


def _hashable(v: Any) -> Any:
    if isinstance(v, list):
        return tuple(_hashable(x) for x in v)
    if isinstance(v, dict):
        return tuple(sorted((k, _hashable(x)) for k, x in v.items()))
    return v


def evaluate(scenario: Scenario, table: Any, *, catalog: Any = None, engine: str = "numpy",
             client: Any = None, workload: str | None = None, progress: Any = None) -> Any:
    """Evaluate every variant (row) of ``table``: a tidy frame, one row per variant and cloud."""
    check_engine(engine)
    if len(table) == 0:
        raise GridError("no variants to evaluate", field="grid")
    check_paths(scenario, list(table.columns), table.iloc[0].to_dict())
    if engine == "exact":
        return exact_rows(scenario, table, catalog=catalog, workload=workload)
    if engine == "dask":
        from planner.whatif.dask_engine import evaluate_dask

        return evaluate_dask(scenario, table, catalog=catalog, client=client, workload=workload)
    from planner.whatif.engine import evaluate_numpy

    return evaluate_numpy(scenario, table, catalog=catalog, workload=workload, progress=progress)


__all__ = ["ENGINES", "RESULT_COLUMNS", "GridError", "OverrideError", "comparison_rows", "evaluate", "exact_rows",
           "grid_table"]

"""The Dask engine: variants partitioned across a cluster, each partition on the numpy engine.

``client`` is a ``distributed.Client`` or a scheduler address (``"tcp://host:8786"``). With none, a local
cluster is started for the call and closed afterwards: threads in this process (``processes=False``), as many
workers as ``PLANNER_DASK_WORKERS`` says (default: the machine's cores, at most 4), one thread each.

The catalog (a name, ``None`` for the active one, or a catalog object) is loaded once by the caller, with the
caller's snapshot store, and sent to every worker once (``Client.scatter(..., broadcast=True)``): workers need
no store of their own. Results come back in the variants' order with the same numbering as
:func:`planner.whatif.core.evaluate` on one machine.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import Any

from planner.scenario import Scenario
from planner.whatif.core import GridError

PARTITIONS_PER_WORKER = 4
# no dashboard, and the scheduler's HTTP endpoint on a free local port rather than 8787 (which another cluster
# may hold: distributed then warns and moves)
LOCAL_CLUSTER_QUIET: dict[str, Any] = {"dashboard_address": None,
                                       "scheduler_kwargs": {"dashboard_address": "127.0.0.1:0"}}


def _worker_count() -> int:
    from pricing.env import dask_workers

    return dask_workers(max(1, min(4, os.cpu_count() or 1)))


def evaluate_partition(scenario: Scenario, part: Any, start: int, catalog: Any, workload: str | None) -> Any:
    """One partition on the numpy engine, its variants numbered from ``start``."""
    from planner.whatif.core import evaluate

    out = evaluate(scenario, part.reset_index(drop=True), catalog=catalog, engine="numpy", workload=workload)
    out["variant"] += start
    return out


def _connect(client: Any) -> tuple[Any, list[Any]]:
    """(client, things to close afterwards)."""
    from distributed import Client

    if client is None:
        from distributed import LocalCluster

        cluster = LocalCluster(n_workers=_worker_count(), threads_per_worker=1, processes=False,
                               **LOCAL_CLUSTER_QUIET)
        c = Client(cluster)
        return c, [c, cluster]
    if isinstance(client, str):
        try:
            c = Client(client, timeout=10)
        except OSError as exc:
            raise GridError(f"cannot reach the Dask scheduler at {client}: {exc}; start one (dask scheduler) or "
                            "give client=None for a local cluster", field="client") from None
        return c, [c]
    if not hasattr(client, "submit") or not hasattr(client, "gather"):
        raise GridError(f"client must be a distributed.Client or a scheduler address, got {type(client).__name__}",
                        field="client")
    return client, []


def evaluate_dask(scenario: Scenario, table: Any, *, catalog: Any = None, client: Any = None,
                  workload: str | None = None, progress: Callable[[int, int], None] | None = None) -> Any:
    """Every variant of ``table`` evaluated across a Dask cluster: the same frame as the numpy engine."""
    from distributed import as_completed

    from planner.whatif.results import concat_frames

    n = len(table)
    if n == 0:
        raise GridError("no variants to evaluate", field="grid")
    from pricing.catalog import Catalog, load_catalog

    cat_obj = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)  # a bad name fails before any cluster
    c, owned = _connect(client)
    try:
        workers = max(1, len(c.scheduler_info().get("workers", {})))
        size = max(1, math.ceil(n / (workers * PARTITIONS_PER_WORKER)))
        cat = c.scatter(cat_obj, broadcast=True)
        sc = c.scatter(scenario, broadcast=True)
        futures = {}
        for start in range(0, n, size):
            part = table.iloc[start:start + size]
            fut = c.submit(evaluate_partition, sc, part, start, cat, workload, pure=False)
            futures[fut] = (start, len(part))
        results: dict[int, Any] = {}
        done = 0
        for fut in as_completed(list(futures)):
            start, k = futures[fut]
            results[start] = fut.result()
            done += k
            if progress is not None:
                progress(done, n)
        return concat_frames([results[s] for s in sorted(results)])
    finally:
        for thing in owned:
            thing.close()


# ------------------------------------------------------------------------------------------------ grids
# a partition of a lazily built grid holds at most this many variants (its result: about 3 rows a variant)
GRID_PARTITION = 250_000


def grid_slice(axes: dict[str, list[Any]], start: int, stop: int) -> Any:
    """Variants ``start`` to ``stop - 1`` of the cartesian product of ``axes`` (the last path varying fastest),
    as the DataFrame :func:`planner.whatif.core.grid_table` would hold in those rows."""
    import numpy as np
    import pandas as pd

    from planner.whatif.core import _is_numeric

    shape = tuple(len(v) for v in axes.values())
    idx = np.unravel_index(np.arange(start, stop), shape)
    numeric = all(_is_numeric(v) for v in axes.values())
    cols = {}
    for (path, values), i in zip(axes.items(), idx, strict=True):
        if numeric:
            cols[path] = np.asarray(values, dtype=float)[i]
        else:
            arr = np.empty(len(values), dtype=object)
            for k, v in enumerate(values):
                arr[k] = v
            cols[path] = arr[i]
    return pd.DataFrame(cols)


def grid_partition(scenario: Scenario, axes: dict[str, list[Any]], start: int, stop: int, catalog: Any,
                   workload: str | None) -> Any:
    """One partition of a grid built on the worker and evaluated there on the numpy engine."""
    return evaluate_partition(scenario, grid_slice(axes, start, stop), start, catalog, workload)


def evaluate_dask_grid(scenario: Scenario, axes: dict[str, list[Any]], *, catalog: Any = None, client: Any = None,
                       workload: str | None = None) -> Any:
    """A grid too large for one machine: a lazy ``dask.dataframe.DataFrame`` of the same rows as
    :func:`evaluate_dask` would return, each partition's variants made and evaluated on a worker.

    Needs a running cluster (``client``: a ``distributed.Client`` or a scheduler address) that outlives the
    result; nothing is computed until the frame is (``.compute()``, ``.to_parquet(...)``, a reduction).
    """
    import dask
    import dask.dataframe as dd

    from pricing.catalog import Catalog, load_catalog

    if client is None:
        raise GridError("a grid this large is evaluated lazily on a Dask cluster that outlives the call; give "
                        "client= a distributed.Client or a scheduler address", field="client")
    n = math.prod(len(v) for v in axes.values())
    cat_obj = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
    meta = grid_partition(scenario, axes, 0, 1, cat_obj, workload).iloc[:0]  # the first variant, also a check
    c, _ = _connect(client)
    sc = c.scatter(scenario, broadcast=True)
    cat = c.scatter(cat_obj, broadcast=True)
    parts = [dask.delayed(grid_partition, pure=True)(sc, axes, start, min(n, start + GRID_PARTITION), cat, workload)
             for start in range(0, n, GRID_PARTITION)]
    return dd.from_delayed(parts, meta=meta, verify_meta=False)


__all__ = ["GRID_PARTITION", "LOCAL_CLUSTER_QUIET", "evaluate_dask", "evaluate_dask_grid",
           "evaluate_partition", "grid_partition", "grid_slice"]

"""Sweep benchmark: a QPS x purchase-option grid over chat-assistant (12 months, 3 clouds) on the numpy engine.

    python bench/sweep_bench.py                 # 1,000,000 variants, median of 3 runs
    python bench/sweep_bench.py --points 100000 --runs 5 --dask

Reports, for the grid: variants per second of ``planner.whatif.core.evaluate`` (numpy engine, one process), the
number of replica signatures it costed, and a pure-numpy lower bound for the same reduction: for every variant,
month and configuration the replica count (``ceil(q_m / (utilization x mu))``), instances on the cheapest
type, the month's cost, the horizon total, and the cheapest configuration per cloud -- the arithmetic any
engine does per variant when it shares nothing between variants. With ``--dask`` also the Dask engine on a
LocalCluster with 1 and 2 workers.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PURCHASE_SETS = [["on_demand"], ["on_demand", "reserved_1y"], ["on_demand", "committed_1y"],
                 ["on_demand", "reserved_1y", "committed_1y"]]


def grid(points: int) -> dict:
    return {"workloads.chat.qps_peak": np.linspace(20.0, 200.0, max(1, points // len(PURCHASE_SETS))),
            "purchase_options": PURCHASE_SETS}


def run_engine(sc, table, cat, engine: str = "numpy", client=None) -> float:
    from planner.whatif.core import evaluate

    t = time.perf_counter()
    out = evaluate(sc, table, catalog=cat, engine=engine, client=client, workload="chat")
    dt = time.perf_counter() - t
    assert len(out) == 3 * len(table)
    return dt


def lower_bound(sc, table, cat) -> float:
    """The per-variant arithmetic with nothing shared (see the module docstring)."""
    from planner.capacity.llm_sizing import serving_profiles

    w = sc.workloads[0]
    profiles = serving_profiles(w.model, w.accelerators, w.input_tokens, w.output_tokens, w.ttft_p95_ms, w.tpot_ms)
    q = table["workloads.chat.qps_peak"].to_numpy(float)
    rates = []  # per cloud and configuration: (replicas per instance, cheapest monthly rate of an instance)
    for cloud in ("aws", "gcp", "azure"):
        region = sc.compare.regions_for(cloud)[0]
        offers = [o for o in cat.query(provider=cloud, region=region, resource="instance")
                  if o.price is not None and o.purchase_option == "on_demand" and o.accelerator]
        row = []
        for p in profiles:
            fit = [(o.accelerator_count // p.tp, float(o.price) * 730) for o in offers
                   if o.accelerator == p.accelerator and o.accelerator_count >= p.tp]
            if fit:
                row.append((p, *min(fit, key=lambda t: t[1] / t[0])))
        rates.append(row)
    g = (1 + w.qps_growth_pct_per_month / 100.0) ** np.arange(sc.horizon_months)
    t = time.perf_counter()
    for row in rates:
        best = np.full(len(q), np.inf)
        for p, per, rate in row:
            total = np.zeros(len(q))
            for gm in g:
                r = np.maximum(np.ceil(q * gm / (w.utilization_target * p.mu)), 2.0)
                total += np.ceil(r / per) * rate
            np.minimum(best, total, out=best)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--dask", action="store_true")
    a = ap.parse_args()

    from planner.scenario import load_scenario
    from planner.whatif.core import grid_table
    from planner.whatif.engine import _capacity
    from pricing.catalog import load_catalog

    cat = load_catalog("embedded")
    sc = load_scenario(ROOT / "scenarios" / "chat-assistant.yaml")
    table = grid_table(grid(a.points))
    n = len(table)
    q = table["workloads.chat.qps_peak"].to_numpy(float)
    sigs = len(_capacity(sc, sc.workloads[0], np.unique(q), np.full(len(np.unique(q)), 5.0), 12, {}).sig_replicas)
    times = [run_engine(sc, table, cat) for _ in range(a.runs)]
    lb = [lower_bound(sc, table, cat) for _ in range(a.runs)]
    med, lbm = statistics.median(times), statistics.median(lb)
    print(f"variants {n:,}  replica signatures {sigs:,}")
    print(f"numpy engine: median {med:.2f} s over {a.runs} runs -> {n / med:,.0f} variants/s")
    print(f"pure-numpy lower bound: median {lbm:.2f} s -> {n / lbm:,.0f} variants/s; engine / bound = {med / lbm:.1f}x")
    if a.dask:
        from dask.distributed import Client, LocalCluster

        for workers in (1, 2):
            with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as lc, \
                    Client(lc) as client:
                dt = [run_engine(sc, table, cat, "dask", client) for _ in range(a.runs)]
                print(f"dask, {workers} worker(s): median {statistics.median(dt):.2f} s -> "
                      f"{n / statistics.median(dt):,.0f} variants/s")


if __name__ == "__main__":
    main()

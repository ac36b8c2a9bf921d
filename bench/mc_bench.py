"""Time a Monte Carlo what-if: 100,000 draws over five assumptions on chat-assistant (12 months, 3 clouds).

    python bench/mc_bench.py                  # print the timings
    python bench/mc_bench.py --record         # also rewrite the "## Monte Carlo" section of bench/RESULTS.md
    python bench/mc_bench.py --draws 20000    # another size

The five assumptions: peak QPS lognormal(60, 20, min=15), traffic growth triangular(0, 5, 12) %/month, and a list
price factor per cloud (AWS normal(0.95, 0.03), GCP uniform(0.7, 1), Azure triangular(0.75, 0.9, 1)).

Whatever engine is installed runs (``engine="numpy"``: vectorised where it can, ``planner.compare`` per variant where
it cannot). A probe of a few hundred draws runs first; when it projects the full run beyond ``--budget`` seconds the
full run is skipped and the probe's rate and the projection are reported instead, so the bench never runs for
hours. The number of ``planner.compare`` calls made says which path the engine took. Timings: wall clock
(``time.perf_counter``) in one process, imports and one warm-up run done before the timer starts; median of
``--runs``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "chat-assistant.yaml"
TITLE = "## Monte Carlo (what-if)"
ASSUMPTIONS = {
    "workloads.chat.qps_peak": "lognormal(60, 20, min=15)",
    "workloads.chat.qps_growth_pct_per_month": "triangular(0, 5, 12)",
    "prices.aws": "normal(0.95, 0.03)",
    "prices.gcp": "uniform(0.7, 1.0)",
    "prices.azure": "triangular(0.75, 0.9, 1.0)",
}
TARGET_S = 2.0


class CompareCounter:
    """Counts planner.compare calls (the exact path) while installed."""

    def __init__(self) -> None:
        from planner import comparison

        self.mod = comparison
        self.orig = comparison.compare
        self.calls = 0

    def __enter__(self) -> Self:
        def counted(*a: Any, **kw: Any) -> Any:
            self.calls += 1
            return self.orig(*a, **kw)

        self.mod.compare = counted  # type: ignore[assignment]
        return self

    def __exit__(self, *exc: object) -> None:
        self.mod.compare = self.orig  # type: ignore[assignment]


def run_once(sc: Any, cat: Any, n: int, seed: int) -> dict[str, Any]:
    import planner

    with CompareCounter() as cc:
        t0 = time.perf_counter()
        mc = planner.monte_carlo(sc, ASSUMPTIONS, n=n, seed=seed, catalog=cat)
        t1 = time.perf_counter()
        summary = mc.summary()
        t2 = time.perf_counter()
    return {"n": n, "seconds": t1 - t0, "summary_s": t2 - t1, "compare_calls": cc.calls, "summary": summary}


def sampling_seconds(sc: Any, n: int, seed: int) -> float:
    """Drawing and checking the draws alone (what monte_carlo does before evaluating)."""
    import numpy as np
    import pandas as pd

    from planner.whatif.api import validate_draws
    from planner.whatif.distributions import draw, field_bounds, to_assumption

    t0 = time.perf_counter()
    parsed = [to_assumption(p, s) for p, s in ASSUMPTIONS.items()]
    rng = np.random.default_rng(seed)
    cols = {a.path: draw(a, n, rng, field_bounds(sc, a.path))[0] for a in parsed}
    validate_draws(sc, pd.DataFrame(cols))
    return time.perf_counter() - t0


def engine_note() -> str:
    """Which engine ran: the last commit of planner/whatif/engine.py, and whether the working copy differs."""
    path = "planner/whatif/engine.py"
    try:
        log = subprocess.run(["git", "log", "-1", "--format=%h %s", "--", path], cwd=ROOT, capture_output=True,
                             text=True, check=False).stdout.strip()
        dirty = subprocess.run(["git", "diff", "--quiet", "--", path], cwd=ROOT, check=False).returncode != 0
    except OSError:
        return "engine version unknown (no git)"
    return f"`{path}` at {log[:90] or 'uncommitted'}{' + uncommitted changes' if dirty else ''}"


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--draws", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--probe", type=int, default=300, help="draws in the probe run")
    ap.add_argument("--budget", type=float, default=300.0, help="skip the full run if projected beyond (s)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--record", action="store_true")
    args = ap.parse_args(argv)

    import planner
    from pricing.catalog import load_catalog

    args.engine = engine_note()  # the engine as imported, before it runs (the working copy may change meanwhile)
    args.load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    t_imp = time.perf_counter()
    import scipy.stats  # noqa: F401  (imported before any timer, as a notebook session has it)

    imp = time.perf_counter() - t_imp
    sc = planner.load_scenario(SCENARIO)
    cat = load_catalog("embedded")
    run_once(sc, cat, 50, args.seed)  # warm-up: catalog indexes, capacity caches, imports
    probe = run_once(sc, cat, args.probe, args.seed)
    rate = probe["n"] / probe["seconds"]
    projected = args.draws / rate
    print(f"probe: {probe['n']} draws in {probe['seconds']:.2f} s ({rate:,.0f} draws/s, "
          f"{probe['compare_calls']} compare() calls); {args.draws:,} projected at {projected:,.1f} s")
    full: list[dict[str, Any]] = []
    if projected <= args.budget:
        for i in range(args.runs):
            r = run_once(sc, cat, args.draws, args.seed + i)
            full.append(r)
            print(f"run {i + 1}: {args.draws:,} draws in {r['seconds']:.2f} s "
                  f"({r['compare_calls']} compare() calls; summary {r['summary_s'] * 1e3:.0f} ms)")
    else:
        print(f"full run skipped: projected {projected:,.0f} s > budget {args.budget:.0f} s")
    samp = statistics.median(sampling_seconds(sc, args.draws, args.seed) for _ in range(3))
    print(f"sampling alone ({args.draws:,} draws, 5 assumptions, checks): {samp:.3f} s; scipy.stats import "
          f"{imp:.2f} s (once per process)")
    if args.record:
        record(section(args, probe, full, samp, imp))
    return 0


def section(args: Any, probe: dict[str, Any], full: list[dict[str, Any]], samp: float, imp: float) -> str:
    machine = f"{os.cpu_count() or 1}-core {platform.machine()}, Python {platform.python_version()}"
    lines = [TITLE, "",
             (f"`planner.monte_carlo` on `scenarios/chat-assistant.yaml` (12 months, AWS/GCP/Azure), five assumptions "
              "(peak QPS lognormal(60, 20, min=15), growth triangular(0, 5, 12) %/month, price factors AWS "
              "normal(0.95, 0.03), GCP uniform(0.7, 1), Azure triangular(0.75, 0.9, 1)), `engine=\"numpy\"`, embedded "
              f"catalog loaded once; wall clock in one warm process. Engine: {args.engine}. Machine: {machine}, load "
              f"average {args.load:.1f} at the start (other jobs share it); {datetime.now(UTC).date().isoformat()}. "
              f"Target: {args.draws:,} draws in <= {TARGET_S:g} s."), "",
             "| run | draws | seconds | draws/s | `compare()` calls |", "| --- | ---: | ---: | ---: | ---: |"]
    lines.append(f"| probe | {probe['n']:,} | {probe['seconds']:.2f} | {probe['n'] / probe['seconds']:,.0f} | "
                 f"{probe['compare_calls']:,} |")
    if full:
        secs = [r["seconds"] for r in full]
        med = statistics.median(secs)
        lines.append(f"| full, median of {len(full)} ({', '.join(f'{s:.2f}' for s in secs)} s) | {args.draws:,} | "
                     f"{med:.2f} | {args.draws / med:,.0f} | {full[0]['compare_calls']:,} |")
        verdict = "meets" if med <= TARGET_S else "misses"
        lines += ["", f"Result: {args.draws:,} draws in {med:.2f} s: {verdict} the {TARGET_S:g} s target."]
    else:
        projected = args.draws / (probe["n"] / probe["seconds"])
        lines += ["", (f"Result: the full run was not made: at the probe's rate {args.draws:,} draws would take about "
                       f"{projected:,.0f} s (target {TARGET_S:g} s). {probe['compare_calls']:,} `compare()` calls for "
                       f"{probe['n']:,} draws: the engine evaluated this scenario draw by draw (its exact path).")]
    lines += ["", (f"Of which sampling ({args.draws:,} draws from scipy.stats distributions truncated to the fields' "
                   f"bounds, and the up-front checks of the first draws and the extremes): {samp:.3f} s. Importing "
                   f"scipy.stats, once per process, takes a further {imp:.2f} s and is not counted."),
              "", "Reproduce: `python bench/mc_bench.py --record`", ""]
    return "\n".join(lines)


def record(text: str) -> None:
    from results_file import write_section

    write_section(text)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Whole-process timings of `planner --help` and `planner compare` on every example scenario.

Usage: python bench/cli_bench.py [--runs N] [--write]
Runs each command N times (default 7) after one warm-up, reports the median wall time and the
overhead over a bare `python -c pass`; --write replaces the "CLI start-up and compare" section of
bench/RESULTS.md with the results.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from child_env import child_env

ROOT = Path(__file__).resolve().parents[1]
SECTION = "## CLI start-up and compare"


def timed(cmd: list[str], runs: int) -> float:
    env = child_env(PLANNER_NOW="2026-11-26")
    subprocess.run(cmd, cwd=ROOT, capture_output=True, env=env, check=True)  # warm-up (pyc, page cache)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, capture_output=True, env=env, check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--write", action="store_true")
    a = ap.parse_args()
    py = sys.executable
    planner = [py, "-m", "planner"]
    base = timed([py, "-c", "pass"], a.runs)
    rows = [("python -c pass", base)]
    rows.append(("planner --help", timed([*planner, "--help"], a.runs)))
    for s in sorted((ROOT / "scenarios").glob("*.yaml")):
        rows.append((f"planner compare scenarios/{s.name}", timed([*planner, "compare", f"scenarios/{s.name}"], a.runs)))
        rows.append((f"planner compare scenarios/{s.name} --format json", timed([*planner, "compare", f"scenarios/{s.name}", "--format", "json"], a.runs)))
    machine = f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, Python {platform.python_version()}"
    lines = [SECTION, "", f"Machine: {machine}. Median of {a.runs} runs after one warm-up, whole processes.", "",
             "| command | median s | over `python -c pass` s |", "|---|---:|---:|"]
    for name, t in rows:
        lines.append(f"| `{name}` | {t:.3f} | {t - base:+.3f} |")
    lines += ["", ("Targets: `--help` within 0.25 s of a bare interpreter; `compare` of chat-assistant on the embedded "
                   "catalog within 0.25 s of it. Commands run with .pyc files written (bench/child_env.py)."),
              (f"Reproduce: `python bench/cli_bench.py --runs 7 --write` (figures above of {date.today().isoformat()}; "
              "the machine is shared, so other jobs may inflate them)."), ""]
    text = "\n".join(lines)
    print(text)
    if a.write:
        from results_file import write_section

        write_section(text)


if __name__ == "__main__":
    main()

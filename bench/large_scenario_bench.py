"""Whole-process timings of `planner compare` on large scenarios and on very long names.

Usage: python bench/large_scenario_bench.py [--runs N] [--sizes 1000,2500,5000,10000]
                                            [--name-lengths 1000,10000,100000] [--label TEXT] [--write]
                                            [--results PATH]

Scenarios are generated into a temporary folder: N workloads cycling through four kinds that size
without an LLM model (storage growing 2 %/month, a measured serving profile, GPU-hours training, edge
devices), 12 months, the default clouds and regions; and the chat-assistant example with its storage
workload (and the scenario) named with L characters. Each command runs N times (default 3) as a fresh process;
the median wall time is reported with the per-workload cost. --write adds the rows, labelled --label,
to the "Large scenarios" section of bench/RESULTS.md (earlier rows with the same label are replaced).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from child_env import child_env

ROOT = Path(__file__).resolve().parents[1]
SECTION = "## Large scenarios"

KINDS = (
    "{{name: w{i}, type: storage, gb: {gb}, growth_pct_per_month: 2}}",
    "{{name: w{i}, type: serving, qps_mean: {q}, replica: {{vcpus: 8, memory_gib: 16, requests_per_s: 50}}}}",
    "{{name: w{i}, type: training, accelerator: A100-80GB, gpu_hours: {gb}, gpus: 8}}",
    "{{name: w{i}, type: serving, style: edge, devices: {q}, device_unit_cost_usd: 350}}",
)


def many_workloads(n: int) -> str:
    """A scenario of ``n`` small workloads in flow style (about 80 bytes each)."""
    lines = [f"name: {n} workloads", "horizon_months: 12", "workloads:"]
    for i in range(n):
        lines.append("  - " + KINDS[i % len(KINDS)].format(i=i, gb=100 + i % 97, q=1 + i % 13))
    return "\n".join(lines) + "\n"


def long_name(length: int) -> str:
    """The chat-assistant example with its storage workload (and the scenario) named ``length`` characters."""
    text = (ROOT / "scenarios" / "chat-assistant.yaml").read_text()
    text = text.replace("name: LLM chat assistant", f"name: {'s' * length}", 1)
    return text.replace("name: conversation-logs", f"name: {'n' * length}", 1)


def timed(cmd: list[str], runs: int) -> list[float]:
    env = child_env(PLANNER_NOW="2026-11-26")
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        r = subprocess.run(cmd, cwd=ROOT, capture_output=True, env=env, check=False)
        times.append(time.perf_counter() - t0)
        if r.returncode != 0:
            sys.exit(f"{' '.join(cmd)} failed ({r.returncode}): {r.stderr.decode()[-400:]}")
    return times


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--sizes", default="1000,2500,5000,10000")
    ap.add_argument("--name-lengths", default="1000,10000,100000")
    ap.add_argument("--formats", default="table,json")
    ap.add_argument("--label", default="")
    ap.add_argument("--write", action="store_true")
    ap.add_argument("--results", type=Path, help="the file --write writes (default: bench/RESULTS.md)")
    a = ap.parse_args()
    py = [sys.executable, "-m", "planner", "compare"]
    rows: list[tuple[str, str, float, list[float], str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        cases: list[tuple[str, Path, int]] = []
        for n in (int(x) for x in a.sizes.split(",") if x):
            p = Path(tmp) / f"w{n}.yaml"
            p.write_text(many_workloads(n))
            cases.append((f"{n:,} workloads", p, n))
        for n in (int(x) for x in a.name_lengths.split(",") if x):
            p = Path(tmp) / f"name{n}.yaml"
            p.write_text(long_name(n))
            cases.append((f"names of {n:,} characters", p, 0))
        for what, path, n in cases:
            for fmt in a.formats.split(","):
                ts = timed([*py, str(path), "--format", fmt], a.runs)
                med = statistics.median(ts)
                per = f"{med / n * 1000:.2f}" if n else ""
                rows.append((what, fmt, med, ts, per))
                print(f"{what:>28} {fmt:>5}: median {med:7.2f} s  runs {', '.join(f'{t:.2f}' for t in ts)}"
                      + (f"  ({per} ms/workload)" if per else ""), flush=True)
    machine = (f"{platform.machine()}, {os.cpu_count()} cores (shared), {platform.system()} {platform.release()}, "
               f"Python {platform.python_version()}")
    label = a.label or time.strftime("%Y-%m-%d")
    table = [f"| {label} | {what} | {fmt} | {med:.2f} | {', '.join(f'{t:.2f}' for t in ts)} | {per} |"
             for what, fmt, med, ts, per in rows]
    print("\n".join(table))
    if a.write:  # rows join the section's table (same label: replaced); the prose around it is kept
        from results_file import RESULTS, read_section, write_section

        path = a.results or RESULTS
        write_section(merge_rows(read_section(SECTION, path), label, table, machine), path=path)


def merge_rows(current: str | None, label: str, table: list[str], machine: str) -> str:
    """The section ``current`` (a new one when None) with ``table`` after its last table row, in place of the rows
    labelled ``label``."""
    if current is None:
        current = "\n".join([
            SECTION, "", ("`planner compare FILE --format table|json`, whole processes, median of the runs (wall s), "
                          "generated by `bench/large_scenario_bench.py`."), "",
            "| code | scenario | format | median s | runs s | ms per workload |", "|---|---|---|---:|---:|---:|",
            "", f"Machine: {machine}.", ""])
    body = [ln for ln in current.splitlines() if not ln.startswith(f"| {label} |")]
    last = max(i for i, ln in enumerate(body) if ln.startswith("|"))
    body[last + 1:last + 1] = table
    return "\n".join(body) + "\n"


if __name__ == "__main__":
    main()

"""Time the capacity model: a full LLM sizing across every accelerator x TP, a training estimate,
one replica estimate, and the whole validation table.

    python bench/capacity_bench.py            # print medians
    python bench/capacity_bench.py --record   # also rewrite the "## Capacity" section of bench/RESULTS.md
"""

from __future__ import annotations

import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime

from planner.capacity.hardware import list_accelerators
from planner.capacity.llm import llm_replica
from planner.capacity.llm_sizing import size_llm_serving
from planner.capacity.training import estimate_training
from planner.capacity.validation import predictions

RUNS = 15


def median_ms(fn: Callable[[], object], runs: int = RUNS) -> tuple[float, list[float]]:
    fn()  # warm caches and imports
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times), times


def cases() -> list[tuple[str, Callable[[], object]]]:
    accs = list_accelerators()
    return [
        ((f"size_llm_serving llama-3-70b, {len(accs)} accelerators x TP 1/2/4/8, 40 qps, 1000/300 tokens, "
         "TTFT p95 1 s, TPOT 50 ms"),
         lambda: size_llm_serving("llama-3-70b", accs, 40, 1000, 300, ttft_p95_ms=1000, tpot_ms=50)),
        (f"size_llm_serving llama-3-8b, {len(accs)} accelerators x TP 1/2/4/8, 100 qps, no SLOs",
         lambda: size_llm_serving("llama-3-8b", accs, 100, 1000, 300)),
        ("estimate_training llama-3.1-405b, 15.6T tokens, 16,384 H100",
         lambda: estimate_training("llama-3.1-405b", "15.6T", "H100-SXM", 16384, seq_len=8192)),
        ("llm_replica llama-3-70b on 4x H100-SXM", lambda: llm_replica("llama-3-70b", "H100-SXM", 4)),
        ("validation table (42 published rows)", predictions),
    ]


def section(rows: list[tuple[str, float, list[float]]]) -> str:
    lines = ["## Capacity", "",
             (f"Median of {RUNS} runs after one warm-up, `time.perf_counter`, one process. Machine: "
             f"{_cores()}-core {platform.machine()}, Python {platform.python_version()}; "
             f"{datetime.now(UTC).date().isoformat()}."), "",
             "| call | median ms | min ms | max ms |", "| --- | ---: | ---: | ---: |"]
    for name, med, times in rows:
        lines.append(f"| {name} | {med:.2f} | {min(times):.2f} | {max(times):.2f} |")
    lines += ["", "Reproduce: `python bench/capacity_bench.py --record`", ""]
    return "\n".join(lines)


def _cores() -> int:
    import os

    return os.cpu_count() or 1


def record(text: str) -> None:
    from results_file import write_section

    write_section(text)


def main(argv: list[str]) -> int:
    rows = []
    for name, fn in cases():
        med, times = median_ms(fn)
        rows.append((name, med, times))
        print(f"{med:9.2f} ms  {name}")
    if "--record" in argv:
        record(section(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

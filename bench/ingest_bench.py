"""Benchmark: streaming ingest of an AWS bulk Price List CSV (pricing.sources.aws_bulk.parse_bulk_csv).

Runs the ingest in a fresh subprocess several times and reports the median throughput (MB/s of CSV
parsed, measured inside the child from the first byte to the last offer, after pyarrow is imported) and the peak RSS of each
child (``os.wait4`` rusage, ru_maxrss), then records the result in bench/RESULTS.md.

    python bench/gen_aws_bulk_csv.py --rows 1000000      # once: bench/_data/aws_ec2_bulk.csv
    python bench/ingest_bench.py --runs 5 [--record]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_FILE = HERE / "_data" / "aws_ec2_bulk.csv"
SECTION = "## Catalog ingest"


def child(path: str, block_mb: int | None) -> None:
    import importlib

    for mod in ("pyarrow.compute", "pyarrow.csv"):  # imported before the timer: the figure is parse throughput
        importlib.import_module(mod)

    from pricing.sources.aws_bulk import BLOCK_SIZE, BulkStats, parse_bulk_csv

    stats = BulkStats()
    start = time.perf_counter()
    offers = sum(1 for _ in parse_bulk_csv(path, stats=stats, block_size=(block_mb << 20) if block_mb else BLOCK_SIZE))
    seconds = time.perf_counter() - start
    print(json.dumps({"bytes": stats.bytes_read, "rows": stats.rows, "offers": offers, "seconds": seconds}))


def run_once(path: Path, block_mb: int | None) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--child", str(path)] + (["--block-mb", str(block_mb)] if block_mb else [])
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"ingest child failed with exit code {proc.returncode}")
    result = json.loads(out)
    result["peak_rss_mb"] = usage.ru_maxrss / 1024  # Linux: ru_maxrss is in KiB
    result["mb_per_s"] = result["bytes"] / 1e6 / result["seconds"]
    return result


def machine() -> str:
    return f"{os.cpu_count()}-core {platform.machine()}, Python {platform.python_version()}"


def record(text: str) -> None:
    from results_file import write_section

    write_section(text)


def main() -> None:
    ap = argparse.ArgumentParser(description="AWS bulk price-list CSV ingest benchmark")
    ap.add_argument("file", nargs="?", type=Path, default=DEFAULT_FILE)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--block-mb", type=int)
    ap.add_argument("--record", action="store_true", help="write the result into bench/RESULTS.md")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.block_mb)
        return
    if not args.file.is_file():
        raise SystemExit(f"{args.file} not found; run bench/gen_aws_bulk_csv.py first")
    runs = [run_once(args.file, args.block_mb) for _ in range(args.runs)]
    mbps = statistics.median(r["mb_per_s"] for r in runs)
    rss = max(r["peak_rss_mb"] for r in runs)
    size_mb = args.file.stat().st_size / 1e6
    r0 = runs[0]
    each = ", ".join(f"{r['mb_per_s']:.0f}" for r in runs)
    line = (f"{size_mb:.0f} MB, {r0['rows']:,.0f} rows -> {r0['offers']:,.0f} offers: median {mbps:.0f} MB/s "
            f"over {len(runs)} runs (each: {each}), "
            f"peak RSS {rss:.0f} MB")
    print(line)
    if args.record:
        block = args.block_mb or "default (4)"
        record(
            f"{SECTION}\n\n"
            f"AWS bulk Price List CSV (EC2 layout of 2025-09, synthetic: `bench/gen_aws_bulk_csv.py --rows 1000000`) "
            f"streamed through `pricing.sources.aws_bulk.parse_bulk_csv` (pyarrow `open_csv`, block {block} MB), "
            f"one fresh process per run; MB/s from the first byte read to the last offer (pyarrow imported "
            f"before the timer starts), peak RSS of the whole child. Machine: {machine()}; {time.strftime('%Y-%m-%d')}.\n\n"
            f"| file | rows | offers kept | median MB/s | runs (MB/s) | peak RSS |\n"
            f"| --- | --- | --- | --- | --- | --- |\n"
            f"| {size_mb:.0f} MB | {r0['rows']:,.0f} | {r0['offers']:,.0f} | {mbps:.0f} | "
            f"{each} | {rss:.0f} MB |\n\n"
            f"Reproduce: `python bench/gen_aws_bulk_csv.py --rows 1000000 && python bench/ingest_bench.py --runs 5 --record`\n"
        )


if __name__ == "__main__":
    main()

"""Benchmark: summarizing a synthetic hourly AWS CUR (parquet, Athena/CUR column names) by month x service x tag.

    python bench/actuals_bench.py                     # generate /tmp/planner-bench-cur/*.parquet once, run 3x
    python bench/actuals_bench.py --sizes 1000000 --runs 1
    python bench/actuals_bench.py --record            # also append the table to bench/RESULTS.md

Each run is a fresh process pinned to one core (``os.sched_setaffinity``; pyarrow's thread pools set to 1),
timing ``planner.actuals.summarize(path, by="month,service,tag:team")`` from the call to the returned frame
(imports and a first call on a 10,000-row file done before the timer), with the wall time, the CPU time of
the process (``time.process_time``: on a machine shared with other jobs, the better measure of one core's
work) and its peak RSS (VmHWM). The files are generated once and reused: a year of hourly usage lines for
500 resources over 12 services, with Reserved Instance, Savings Plan, tax and credit lines mixed in (so every
amortization rule runs), a ``team`` tag on most rows, in row groups of 131,072 rows (small row groups, so the
reader's joining of row groups into batches is part of what is measured).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = Path("/tmp/planner-bench-cur")
SIZES = (1_000_000, 3_000_000, 10_000_000)
ROW_GROUP = 131_072
BY = "month,service,tag:team"
WARMUP = "warmup_10000.parquet"

SERVICES = [("AmazonEC2", "Amazon Elastic Compute Cloud"), ("AmazonS3", "Amazon Simple Storage Service"),
            ("AmazonSageMaker", "Amazon SageMaker"), ("AmazonRDS", "Amazon Relational Database Service"),
            ("AmazonCloudWatch", "AmazonCloudWatch"), ("AWSLambda", "AWS Lambda"),
            ("AmazonEKS", "Amazon Elastic Container Service for Kubernetes"), ("AmazonBedrock", "Amazon Bedrock"),
            ("AWSDataTransfer", "AWS Data Transfer"), ("AmazonDynamoDB", "Amazon DynamoDB"),
            ("AmazonVPC", "Amazon Virtual Private Cloud"), ("AWSGlue", "AWS Glue")]
TEAMS = ["search", "ranking", "llm-serving", "training", "platform", "data", "research", ""]
# line item types and their share of rows
TYPES = [("Usage", 0.80), ("DiscountedUsage", 0.08), ("SavingsPlanCoveredUsage", 0.07),
         ("SavingsPlanNegation", 0.03), ("Tax", 0.01), ("Credit", 0.005), ("RIFee", 0.005)]


def generate(rows: int, path: Path, seed: int = 7) -> None:
    """Write ``rows`` synthetic hourly CUR lines to ``path`` (chunk by chunk; memory stays small)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    start = np.datetime64("2025-01-01T00:00", "h")
    hours = 365 * 24
    codes = pa.array([c for c, _ in SERVICES])
    names = pa.array([n for _, n in SERVICES])
    teams = pa.array([t or None for t in TEAMS])
    types = pa.array([t for t, _ in TYPES])
    type_p = np.array([p for _, p in TYPES])
    type_p /= type_p.sum()
    resources = pa.array([f"arn:aws:ec2:us-east-1:123456789012:instance/i-{i:017x}" for i in range(500)])
    tmp = path.with_suffix(".part")
    writer = None
    done = 0
    chunk = ROW_GROUP * 8
    while done < rows:
        n = min(chunk, rows - done)
        hour = np.sort(rng.integers(0, hours, n))  # a CUR is roughly in time order
        usage_start = start + hour.astype("timedelta64[h]")
        month_start = usage_start.astype("datetime64[M]").astype("datetime64[ms]")
        svc = rng.integers(0, len(SERVICES), n)
        typ = rng.choice(len(TYPES), n, p=type_p)
        cost = np.round(rng.gamma(1.2, 0.35, n), 8)
        cost[typ == 3] *= -1  # negation lines cancel covered usage
        cost[typ == 5] = -np.round(rng.gamma(1.0, 2.0, (typ == 5).sum()), 8)
        zeros = np.zeros(n)
        ri_eff = np.where(typ == 1, np.round(cost * 0.6, 8), zeros)
        sp_eff = np.where(typ == 2, np.round(cost * 0.7, 8), zeros)
        unused_upfront = np.where(typ == 6, np.round(cost * 0.1, 8), zeros)
        team = rng.integers(0, len(TEAMS), n)
        res = rng.integers(0, len(resources), n)
        tbl = pa.table({
            "bill_billing_period_start_date": pa.array(month_start, pa.timestamp("ms")),
            "line_item_usage_start_date": pa.array(usage_start.astype("datetime64[ms]"), pa.timestamp("ms")),
            "line_item_usage_end_date": pa.array((usage_start + np.timedelta64(1, "h")).astype("datetime64[ms]"),
                                                 pa.timestamp("ms")),
            "line_item_line_item_type": types.take(pa.array(typ)),
            "line_item_product_code": codes.take(pa.array(svc)),
            "product_product_name": names.take(pa.array(svc)),
            "line_item_resource_id": resources.take(pa.array(res)),
            "line_item_usage_amount": pa.array(np.ones(n)),
            "line_item_unblended_cost": pa.array(cost),
            "line_item_currency_code": pa.array(np.full(n, "USD")),
            "pricing_public_on_demand_cost": pa.array(np.where(typ <= 2, np.round(np.abs(cost) * 1.3, 8), np.nan),
                                                      from_pandas=True),
            "pricing_term": pa.array(np.where(typ == 1, "Reserved", "OnDemand")),
            "reservation_effective_cost": pa.array(ri_eff),
            "reservation_unused_amortized_upfront_fee_for_billing_period": pa.array(unused_upfront),
            "reservation_unused_recurring_fee": pa.array(zeros),
            "savings_plan_savings_plan_effective_cost": pa.array(sp_eff),
            "resource_tags_user_team": teams.take(pa.array(team)),
        })
        if writer is None:
            writer = pq.ParquetWriter(str(tmp), tbl.schema, compression="snappy")
        writer.write_table(tbl, row_group_size=ROW_GROUP)
        done += n
    assert writer is not None
    writer.close()
    tmp.replace(path)


def _peak_rss_mb() -> float:
    """Peak resident memory of this process: VmHWM, which exec resets (ru_maxrss can carry the high-water mark
    of the parent that forked us)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(path: str) -> None:
    """One measured run (in its own process): prints a JSON line."""

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    import pyarrow as pa
    import pyarrow.parquet as pq

    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)
    from planner.actuals import summarize

    rows = pq.ParquetFile(path).metadata.num_rows
    summarize(str(OUT_DIR / WARMUP), by=BY)  # imports and one-time set-up of pandas/pyarrow outside the timer
    c0, t0 = time.process_time(), time.perf_counter()
    out = summarize(path, by=BY)
    secs, cpu = time.perf_counter() - t0, time.process_time() - c0
    rss_mb = _peak_rss_mb()
    print(json.dumps({"rows": rows, "seconds": secs, "cpu": cpu, "rss_mb": rss_mb, "groups": len(out),
                      "billed": float(out["billed_cost"].sum())}))


def run_once(path: Path) -> dict[str, float]:
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    p = subprocess.run([sys.executable, __file__, "--child", str(path)], capture_output=True, text=True, env=env,
                       check=False)
    if p.returncode != 0:
        raise SystemExit(p.stderr)
    return json.loads(p.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default=",".join(map(str, SIZES)), help="row counts, comma-separated")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--record", action="store_true", help="append the results to bench/RESULTS.md")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        _child(a.child)
        return
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    if not (OUT_DIR / WARMUP).exists():
        generate(10_000, OUT_DIR / WARMUP, seed=1)
    results = []
    for rows in (int(s) for s in a.sizes.split(",")):
        path = OUT_DIR / f"cur_hourly_{rows}.parquet"
        if not path.exists():
            t = time.perf_counter()
            generate(rows, path)
            print(f"generated {path} ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t:.0f} s",
                  file=sys.stderr)
        load0 = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        runs = [run_once(path) for _ in range(a.runs)]
        load1 = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        secs = statistics.median(r["seconds"] for r in runs)
        cpu = statistics.median(r["cpu"] for r in runs)
        rss = statistics.median(r["rss_mb"] for r in runs)
        row = {"rows": rows, "mb": path.stat().st_size / 1e6, "median_s": secs, "rows_per_s": rows / secs,
               "median_cpu": cpu, "rows_per_cpu_s": rows / cpu, "runs_s": [r["seconds"] for r in runs],
               "rss_mb": rss, "groups": runs[0]["groups"], "load": (load0, load1)}
        results.append(row)
        print(f"{rows:>12,} rows  {row['mb']:6.0f} MB  median {secs:6.2f} s wall ({row['rows_per_s'] / 1e6:5.2f} M rows/s)"
              f"  {cpu:6.2f} s CPU ({row['rows_per_cpu_s'] / 1e6:5.2f} M rows/s)  peak RSS {rss:5.0f} MB  "
              f"({', '.join(f'{s:.2f}' for s in row['runs_s'])} s; {row['groups']} groups)")
    if a.record:
        record(results, a.runs)


def record(results: list[dict], runs: int) -> None:
    """Write the results as the section ``## Actual spend: hourly CUR summary`` of bench/RESULTS.md, replacing
    that section when it is there (up to the next ``## `` heading), else appending it."""
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    loads = [x for r in results for x in r["load"]]
    lines = ["## Actual spend: hourly CUR summary", "",
             (f"`planner.actuals.summarize(file, by=\"{BY}\")` on a synthetic hourly AWS CUR parquet "
             f"(`bench/actuals_bench.py`, Athena/CUR column names, row groups of {ROW_GROUP:,} rows, RI, Savings Plan, "
             "tax and credit lines), one fresh process per run pinned to one core (pyarrow thread pools at 1); "
             f"median of {runs} runs; peak RSS (VmHWM) of the process. Machine: 2-core x86_64, 24 GiB, Python 3.11.7; {day}; "
             f"shared with other jobs, load average (1 min) {min(loads):.1f} to {max(loads):.1f} during the runs, so "
             "the CPU time is the better measure of one core's work."),
             "", ("| rows | file | median wall s | M rows/s (wall) | median CPU s | M rows/s (CPU) | runs, wall s "
             "| peak RSS | groups |"),
             "| ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |"]
    for r in results:
        lines.append(f"| {r['rows']:,} | {r['mb']:.0f} MB | {r['median_s']:.2f} | {r['rows_per_s'] / 1e6:.2f} | "
                     f"{r['median_cpu']:.2f} | {r['rows_per_cpu_s'] / 1e6:.2f} | "
                     f"{', '.join(f'{s:.2f}' for s in r['runs_s'])} | {r['rss_mb']:.0f} MB | {r['groups']} |")
    lines += ["", (f"Reproduce: `python bench/actuals_bench.py --runs {runs} --record` (target: at least 5M rows/s "
              "on one core, peak RSS flat in the file size)."), ""]
    from results_file import write_section

    write_section("\n".join(lines))


if __name__ == "__main__":
    main()

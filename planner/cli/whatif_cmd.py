"""`planner sweep`, `planner mc`, `planner sensitivity` and `planner diff`: parse, call the what-if API, format.

Each command is :func:`planner.sweep`, :func:`planner.monte_carlo`, :func:`planner.sensitivity` or
:func:`planner.diff` with the same numbers; pandas, numpy, scipy and matplotlib load inside the commands.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import click

FORMATS = ["table", "json", "csv"]
METRICS = ["horizon_cost", "monthly_cost", "month_1_cost"]
ENGINES = ["numpy", "exact", "dask"]
TABLE_ROWS = 200  # a table shows at most this many variants; json and csv have them all
PLOT_SUFFIXES = (".png", ".svg", ".pdf")
_NUM = r"(-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"
_RANGE = re.compile(rf"\s*{_NUM}\s*:\s*{_NUM}\s*:\s*{_NUM}\s*")  # START:STOP:STEP
_MAX_RANGE_POINTS = 10_000_000


def _err(message: str, field: str) -> Exception:
    from planner.errors import InputError

    return InputError(message, field=field)


# ------------------------------------------------------------------------------------------------ options
def _plot_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--plot", "plot_path", type=click.Path(dir_okay=False), default=None,
                        help="Also draw the result's chart to this file (.png, .svg or .pdf).")(f)


def _progress_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--progress/--no-progress", "show_progress", default=None,
                        help="A progress bar on stderr (default: when stderr is a terminal).")(f)


def _engine_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option("--scheduler", default=None, metavar="ADDRESS",
                     help="With --engine dask: a Dask scheduler (tcp://host:8786); default a local cluster.")(f)
    f = click.option("--engine", type=click.Choice(ENGINES), default="numpy", show_default=True,
                     help="numpy (vectorised), exact (every variant through compare) or dask (a cluster).")(f)
    f = click.option("--workload", default=None,
                     help="The workload whose hardware the rows show (default: the one the paths name).")(f)
    return click.option("--catalog", "catalog_name", default=None,
                        help="Catalog snapshot to price with (default: the active one).")(f)


def check_plot_path(path: str | None) -> None:
    """A --plot file that can be written: known suffix, existing folder (checked before any work is done)."""
    if path is None:
        return
    from pathlib import Path

    p = Path(path)
    if p.suffix.lower() not in PLOT_SUFFIXES:
        raise _err(f"{path!r}: give a file ending in {', '.join(PLOT_SUFFIXES)}", "--plot")
    if not p.parent.is_dir():
        raise _err(f"folder {str(p.parent)!r} does not exist; create it or give another path", "--plot")


def save_plot(ax: Any, path: str) -> None:
    import matplotlib.pyplot as plt

    try:
        ax.figure.savefig(path, dpi=120)
    except OSError as exc:
        raise _err(f"cannot write {path!r}: {exc.strerror or exc}", "--plot") from None
    finally:
        plt.close(ax.figure)


def _use_agg() -> None:
    import matplotlib

    matplotlib.use("Agg")  # files only: never a window


@contextmanager
def progress_bar(show: bool | None, what: str) -> Iterator[Callable[[int, int], None] | None]:
    """A rich progress bar on stderr (a callback ``(done, total)``), or None when not shown."""
    if show is None:
        show = sys.stderr.isatty()
    if not show:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(TextColumn(what), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                   console=Console(stderr=True), transient=True)
    task = bar.add_task(what, total=None)

    def update(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    with bar:
        yield update


# ------------------------------------------------------------------------------------------------ parsing
def parse_sets(values: Sequence[str]) -> dict[str, Any]:
    """``--set PATH=VALUE`` (one value each, read as YAML) -> {path: value}."""
    from planner.whatif.overrides import parse_value, split_assignment

    out: dict[str, Any] = {}
    for text in values:
        path, value = split_assignment(text)
        out[path] = parse_value(value)
    return out


def parse_grid(values: Sequence[str]) -> dict[str, list[Any]]:
    """``--set PATH=V1,V2,...`` or ``--set PATH=START:STOP:STEP`` -> {path: [values]}.

    The values are read as a YAML list, so ``[us-east-1],[us-west-2]`` is two lists and ``on_demand,spot``
    two words; ``START:STOP:STEP`` is the numbers from START to STOP (included) in steps of STEP.
    """
    import yaml

    from planner.whatif.overrides import split_assignment

    grid: dict[str, list[Any]] = {}
    for text in values:
        path, value = split_assignment(text)
        if path in grid:
            raise _err(f"{path} is given twice; give all its values in one --set {path}=V1,V2,...", "--set")
        m = _RANGE.fullmatch(value)
        if m:
            grid[path] = _range(path, *(float(g) for g in m.groups()))
            continue
        try:
            vals = yaml.safe_load(f"[{value}]")
        except yaml.YAMLError:
            raise _err(f"{path}: cannot read {value!r} as comma-separated values (e.g. 20,40,80, "
                       "10:100:10 or [us-east-1],[us-west-2])", "--set") from None
        if not vals:
            raise _err(f"{path} has no values; give them comma-separated, e.g. {path}=20,40,80", "--set")
        grid[path] = vals
    if not grid:
        raise _err("give at least one --set PATH=V1,V2,... (e.g. --set workloads.chat.qps_peak=20,40,80)", "--set")
    return grid


def _range(path: str, start: float, stop: float, step: float) -> list[Any]:
    if step <= 0 or stop < start:
        raise _err(f"{path}: START:STOP:STEP needs STOP >= START and STEP > 0, got {start:g}:{stop:g}:{step:g}",
                   "--set")
    count = math.floor((stop - start) / step + 1e-9) + 1
    if count > _MAX_RANGE_POINTS:
        raise _err(f"{path}: {start:g}:{stop:g}:{step:g} is {count:,} values; take a larger step", "--set")
    whole = all(float(x).is_integer() for x in (start, step))
    return [int(start + k * step) if whole else round(start + k * step, 12) for k in range(count)]


def parse_pairs(values: Sequence[str], option: str) -> dict[str, str]:
    """``PATH=TEXT`` options (``--assume``, ``--range``) -> {path: text}; a path given twice is an error."""
    from planner.whatif.overrides import split_assignment

    out: dict[str, str] = {}
    for text in values:
        path, value = split_assignment(text, where=option)
        if path in out:
            raise _err(f"{path} is given twice", option)
        out[path] = value
    return out


# ------------------------------------------------------------------------------------------------ output
def _cell(v: Any) -> Any:
    """A frame value as plain JSON: numpy scalars as Python numbers, NaN as null (a missing price)."""
    if hasattr(v, "item") and not isinstance(v, (list, tuple, str)):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, (list, tuple)):
        return [_cell(x) for x in v]
    return v


def frame_records(frame: Any) -> list[dict[str, Any]]:
    cols = list(frame.columns)
    return [{c: _cell(v) for c, v in zip(cols, row, strict=True)} for row in frame.itertuples(index=False, name=None)]


def emit_frame(frame: Any, fmt: str) -> None:
    """json: a list of row objects; csv: a header and rows (lists as JSON text)."""
    if fmt == "json":
        from planner.render import dumps

        click.echo(dumps(frame_records(frame)))
        return
    import csv
    import io
    import json

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(list(frame.columns))
    for r in frame_records(frame):
        w.writerow(["" if v is None else json.dumps(v) if isinstance(v, list) else v for v in r.values()])
    click.echo(buf.getvalue().rstrip("\n"))


def usd(x: Any) -> str:
    return "missing" if x is None or not isinstance(x, (int, float)) or not math.isfinite(x) else f"${x:,.2f}"


def print_table(title: str, heads: list[str], rows: list[list[str]], right: set[int], notes: Sequence[str] = ()) -> None:
    from rich.table import Table

    from planner.render import text_console

    t = Table(title=title, title_justify="left")
    for i, h in enumerate(heads):
        t.add_column(h, justify="right" if i in right else "left", overflow="fold")
    for r in rows:
        t.add_row(*r)
    console = text_console(140)
    console.print(t)
    click.echo("\n".join(line.rstrip() for line in console.export_text().rstrip("\n").splitlines()))
    for n in notes:
        click.echo(n)


def short(path: str) -> str:
    from planner.whatif.results import short_path

    return short_path(path)


# ------------------------------------------------------------------------------------------------ sweep
@click.command()
@click.argument("scenario", metavar="SCENARIO")
@click.option("--set", "sets", multiple=True, metavar="PATH=V1,V2,...",
              help="A grid axis: a dotted path and its values (comma-separated, or START:STOP:STEP). Repeat for "
                   "more axes; every combination is a variant.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--metric", type=click.Choice(METRICS), default="horizon_cost", show_default=True,
              help="The cost the table and the chart show.")
@_plot_option
@_engine_options
@_progress_option
def sweep(scenario: str, sets: tuple[str, ...], fmt: str, metric: str, plot_path: str | None,
          catalog_name: str | None, workload: str | None, engine: str, scheduler: str | None,
          show_progress: bool | None) -> None:
    """Every combination of the --set values, compared on every cloud (planner.sweep).

    \b
    planner sweep scenarios/chat-assistant.yaml --set workloads.chat.qps_peak=20,40,80 --set prices.gcp=1,0.8
    planner sweep SCENARIO --set chat.qps_peak=10:200:10 --format csv

    table: one line per variant with each cloud's cost and the winner; json and csv: one row per variant and
    cloud (variant, the paths, cloud, region, monthly_cost, month_1_cost, horizon_cost, commitment_tail,
    instance_type, count, purchase_option, complete, winner), as planner.sweep(...).to_frame().
    """
    from planner.whatif.api import sweep as run
    from planner.whatif.core import MAX_LOCAL_VARIANTS

    check_plot_path(plot_path)
    grid = parse_grid(sets)
    n = math.prod(len(v) for v in grid.values())
    if n > MAX_LOCAL_VARIANTS:  # the command prints every row: a grid this size belongs on a cluster, from Python
        raise _err(f"the grid has {n:,} variants, more than one machine holds ({MAX_LOCAL_VARIANTS:,}); take "
                   "coarser steps, or sweep it from Python on a Dask cluster (planner.sweep(..., engine='dask', "
                   "client=ADDRESS)) and reduce the rows there", "--set")
    with progress_bar(show_progress, "sweep") as cb:
        result = run(scenario, grid, engine=engine, catalog=catalog_name, client=scheduler, workload=workload,
                     progress=cb)
    ax = None
    if plot_path:
        _use_agg()
        ax = result.plot(metric=metric)
    if fmt == "table":
        _sweep_table(result, metric)
    else:
        emit_frame(result.to_frame(), fmt)
    if ax is not None and plot_path:
        save_plot(ax, plot_path)


def _sweep_table(result: Any, metric: str) -> None:
    f = result.to_frame()
    clouds = list(dict.fromkeys(f["cloud"]))
    paths = result.paths
    cost = f.pivot(index="variant", columns="cloud", values=metric)
    win = result.winners(metric).set_index("variant")
    from planner.whatif.results import label

    rows = []
    for v in list(win.index)[:TABLE_ROWS]:
        w = win.loc[v]
        hw = "" if not isinstance(w["instance_type"], str) else f"{int(w['count'])}x {w['instance_type']}"
        opt = str(w["purchase_option"]).replace("_", "-") if isinstance(w["purchase_option"], str) else ""
        rows.append([*(label(w[p]) for p in paths), *(usd(cost.loc[v, c]) for c in clouds),
                     str(w["cloud"]) if isinstance(w["cloud"], str) else "none", hw, opt])
    heads = [*(short(p) for p in paths), *clouds, "Winner", "Hardware", "Option"]
    right = set(range(len(paths) + len(clouds)))
    n = len(win)
    notes = [f"... {n - TABLE_ROWS:,} more variants; --format csv or json lists them all"] if n > TABLE_ROWS else []
    name = getattr(result.scenario, "name", "")
    print_table(f"{name}: {n:,} variants, {metric.replace('_', ' ')}", heads, rows, right, notes)


# ------------------------------------------------------------------------------------------------ monte carlo
@click.command()
@click.argument("scenario", metavar="SCENARIO")
@click.option("--assume", "assume", multiple=True, metavar="PATH=SPEC",
              help="An uncertain input and its distribution: normal(MEAN, SD), lognormal(MEAN, SD), "
                   "uniform(LOW, HIGH), triangular(LOW, MODE, HIGH) or choice(A, B, ...); numeric ones take "
                   "min=, max=. Repeat for more.")
@click.option("-n", "--draws", "n", type=click.IntRange(1), default=1000, show_default=True,
              help="Number of draws.")
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True,
              help="Random seed: the same seed gives the same draws.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--per-draw", is_flag=True, help="json/csv: every draw's rows instead of the summary per cloud.")
@click.option("--metric", type=click.Choice(METRICS), default="horizon_cost", show_default=True,
              help="The cost the chart shows.")
@_plot_option
@_engine_options
@_progress_option
def mc(scenario: str, assume: tuple[str, ...], n: int, seed: int, fmt: str, per_draw: bool, metric: str,
       plot_path: str | None, catalog_name: str | None, workload: str | None, engine: str, scheduler: str | None,
       show_progress: bool | None) -> None:
    """Monte Carlo: N scenarios with the --assume inputs drawn at random (planner.monte_carlo).

    \b
    planner mc scenarios/chat-assistant.yaml --assume "workloads.chat.qps_peak=lognormal(40, 12)" \\
        --assume "prices.gcp=uniform(0.8, 1)" -n 2000 --seed 1

    Per cloud: P10, P50 and P90 of the horizon and the average month's cost, and the probability that it is
    the cheapest, as planner.monte_carlo(...).summary().
    """
    from planner.whatif.api import monte_carlo

    check_plot_path(plot_path)
    if not assume:
        raise _err("give at least one --assume PATH=SPEC (e.g. --assume 'workloads.chat.qps_peak=normal(40, 8)')",
                   "--assume")
    specs = parse_pairs(assume, "--assume")
    with progress_bar(show_progress, f"{n:,} draws") as cb:
        result = monte_carlo(scenario, specs, n=n, seed=seed, engine=engine, catalog=catalog_name, client=scheduler,
                             workload=workload, progress=cb)
    ax = None
    if plot_path:
        _use_agg()
        ax = result.plot(metric=metric)
    summary = result.summary()
    if fmt == "json" and not per_draw:
        from planner.render import dumps

        click.echo(dumps({
            "n": n, "seed": seed,
            "assumptions": [{"path": a.path, "distribution": a.label, "truncated_share": result.truncated.get(a.path, 0.0)}
                            for a in result.assumptions],
            "summary": frame_records(summary), "no_winner_share": result.no_winner_share}))
    elif fmt in ("json", "csv"):
        emit_frame(result.to_frame() if per_draw else summary, fmt)
    else:
        _mc_table(result, summary)
    if ax is not None and plot_path:
        save_plot(ax, plot_path)


def _mc_table(result: Any, s: Any) -> None:
    rows = [[str(r["cloud"]), usd(r["horizon_cost_p10"]), usd(r["horizon_cost_p50"]), usd(r["horizon_cost_p90"]),
             usd(r["monthly_cost_p50"]), f"{r['p_win']:.1%}"] for _, r in s.iterrows()]
    notes = [f"  {a.path} ~ {a.label}" + (f" ({result.truncated[a.path]:.1%} of it outside what the field accepts, "
                                          "cut off)" if result.truncated.get(a.path, 0) > 0 else "")
             for a in result.assumptions]
    if result.no_winner_share > 0:
        notes.append(f"  {result.no_winner_share:.1%} of draws: no cloud priced everything")
    name = getattr(result.scenario, "name", "")
    print_table(f"{name}: {result.n:,} draws (seed {result.seed})",
                ["Cloud", "Horizon P10", "Horizon P50", "Horizon P90", "Month P50", "Cheapest in"], rows,
                {1, 2, 3, 4, 5}, ["Assumptions:", *notes])


# ------------------------------------------------------------------------------------------------ sensitivity
@click.command()
@click.argument("scenario", metavar="SCENARIO")
@click.option("--range", "ranges", multiple=True, metavar="PATH=LOW,HIGH",
              help="An input and the low and high values to try (the others stay at the scenario's), or two "
                   "alternatives of any kind, read as YAML like sweep --set (e.g. "
                   "workloads.chat.accelerators=[H100-SXM],[H200]). Repeat.")
@click.option("--metric", type=click.Choice(METRICS), default="horizon_cost", show_default=True)
@click.option("--cloud", default=None, help="Only this cloud's rows (the chart: default the base winner).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@_plot_option
@click.option("--catalog", "catalog_name", default=None, help="Catalog snapshot (default: the active one).")
@click.option("--workload", default=None, help="The workload whose hardware the rows show.")
def sensitivity(scenario: str, ranges: tuple[str, ...], metric: str, cloud: str | None, fmt: str,
                plot_path: str | None, catalog_name: str | None, workload: str | None) -> None:
    """A tornado table: each --range input at its low and high value, largest cost swing first
    (planner.sensitivity).

    \b
    planner sensitivity scenarios/chat-assistant.yaml --range workloads.chat.qps_peak=20,80 \\
        --range prices.aws=0.8,1.2 --range horizon_months=6,24
    planner sensitivity scenarios/chat-assistant.yaml --range 'workloads.chat.accelerators=[H100-SXM],[H200]' \\
        --range 'purchase_options=[on_demand],[on_demand, committed_1y]' \\
        --range workloads.chat.model=llama-3-8b,llama-3-70b

    LOW,HIGH are two numbers (shown low then high), or two alternatives the field takes, read as a YAML list
    as in sweep --set: a list in brackets, a word, true/false, null for the default. Alternatives keep their
    order: the first in the low column, the second in the high one.
    """
    from planner.whatif.api import sensitivity as run

    check_plot_path(plot_path)
    if not ranges:
        raise _err("give at least one --range PATH=LOW,HIGH (e.g. --range workloads.chat.qps_peak=20,80)", "--range")
    parsed = {path: parse_range(path, text) for path, text in parse_pairs(ranges, "--range").items()}
    result = run(scenario, parsed, metric=metric, cloud=cloud, catalog=catalog_name, workload=workload)
    ax = None
    if plot_path:
        _use_agg()
        ax = result.plot(cloud=cloud)
    f = result.to_frame()
    if fmt != "table":
        emit_frame(f, fmt)
    else:
        text = result.value_text
        rows = [[short(r["path"]), str(r["cloud"]), f"{text(r['low'])} / {text(r['base'])} / {text(r['high'])}",
                 usd(r["cost_low"]), usd(r["cost_base"]), usd(r["cost_high"]), usd(r["swing"]),
                 f"{r['winner_low'] or 'none'} / {r['winner_high'] or 'none'}"] for _, r in f.iterrows()]
        name = getattr(result.scenario, "name", "")
        print_table(f"{name}: what moves the {metric.replace('_', ' ')} (largest swing first)",
                    ["Input", "Cloud", "Low / base / high", "At low", "At base", "At high", "Swing",
                     "Winner low / high"], rows, {3, 4, 5, 6})
    if ax is not None and plot_path:
        save_plot(ax, plot_path)


def parse_range(path: str, text: str) -> tuple[Any, Any]:
    """``--range PATH=LOW,HIGH``: two numbers, else two alternatives read as a YAML list (``[H100-SXM],[H200]``)."""
    from planner.whatif.overrides import parse_value

    parts = [p.strip() for p in text.split(",")]
    try:
        lo, hi = (float(p) for p in parts)
        return lo, hi
    except ValueError:
        pass
    vals = parse_value(f"[{text}]")  # as sweep --set reads a value (text it cannot read stays text)
    if not isinstance(vals, list) or len(vals) != 2:
        raise _err(f"{path}: give two numbers LOW,HIGH (e.g. {path}=20,80) or two alternatives A,B read as YAML "
                   f"(e.g. {path}=[H100-SXM],[H200]), got {text!r}", "--range")
    return vals[0], vals[1]


# ------------------------------------------------------------------------------------------------ diff
@click.command()
@click.argument("a", metavar="A")
@click.argument("b", metavar="[B]", required=False)
@click.option("--set", "sets", multiple=True, metavar="PATH=VALUE",
              help="Change B (or, with no B, a copy of A) at a dotted path before comparing. Repeat.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@_plot_option
@click.option("--catalog", "catalog_name", default=None, help="Catalog snapshot (default: the active one).")
def diff(a: str, b: str | None, sets: tuple[str, ...], fmt: str, plot_path: str | None,
         catalog_name: str | None) -> None:
    """What changed from scenario A to B and what it did to each cloud's cost (planner.diff).

    \b
    planner diff scenarios/chat-assistant.yaml my-chat.yaml
    planner diff scenarios/chat-assistant.yaml --set prices.gcp=0.8 --set workloads.chat.qps_peak=80
    """
    from planner.scenario import load_scenario
    from planner.whatif.api import diff as run
    from planner.whatif.overrides import what_if

    check_plot_path(plot_path)
    if b is None and not sets:
        raise _err("give a second scenario B, or --set PATH=VALUE to compare A with a changed copy", "B")
    sa = load_scenario(a)
    sb = load_scenario(b) if b is not None else sa
    if sets:
        sb = what_if(sb, parse_sets(sets))
    result = run(sa, sb, catalog=catalog_name)
    ax = None
    if plot_path:
        _use_agg()
        ax = result.plot()
    if fmt == "json":
        from planner.render import dumps

        click.echo(dumps({"changes": frame_records(result.changes), "costs": frame_records(result.to_frame()),
                          "winner_before": result.winner_before, "winner_after": result.winner_after}))
    else:
        _diff_table(result)
    if ax is not None and plot_path:
        save_plot(ax, plot_path)


def _moved(before: Any, after: Any) -> str:
    """``a -> b`` when the hardware changed; an instance that could not be priced shows as none."""
    a = before if isinstance(before, str) else "none"
    b = after if isinstance(after, str) else "none"
    return a if a == b else f"{a} -> {b}"


def _diff_table(result: Any) -> None:
    import json

    def show(v: Any) -> str:
        return "(not set)" if v is None else v if isinstance(v, str) else json.dumps(_cell(v))

    ch = result.changes
    rows = [[str(r["path"]), show(r["old"]), show(r["new"])] for _, r in ch.iterrows()]
    if rows:
        print_table(f"{len(rows)} change{'s' if len(rows) != 1 else ''}", ["Path", "A", "B"], rows, set())
    else:
        click.echo("No changes: A and B are the same scenario.")
    f = result.to_frame()

    def pct(x: Any) -> str:
        return "" if not isinstance(x, float) or not math.isfinite(x) else f"{x:+.1f}%"

    cost_rows = [[str(r["cloud"]), usd(r["horizon_before"]), usd(r["horizon_after"]),
                  ("+" if r["horizon_change"] >= 0 else "-") + usd(abs(r["horizon_change"]))
                  if math.isfinite(r["horizon_change"]) else "missing", pct(r["horizon_change_pct"]),
                  _moved(r["instance_before"], r["instance_after"])] for _, r in f.iterrows()]
    notes = [f"Winner: {result.winner_before or 'none'} -> {result.winner_after or 'none'}"]
    click.echo("")
    print_table("Cost over the horizon", ["Cloud", "A", "B", "Change", "%", "Instance"], cost_rows, {1, 2, 3, 4},
                notes)


__all__ = ["diff", "mc", "parse_grid", "parse_sets", "sensitivity", "sweep"]

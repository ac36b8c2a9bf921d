"""`planner compare` and `planner scale`: parse, call the Python API, format."""

from __future__ import annotations

import click

FORMATS = ["table", "json", "csv", "markdown"]


def _split(values: tuple[str, ...]) -> list[str] | None:
    out = [p.strip() for v in values for p in v.split(",") if p.strip()]
    return out or None


@click.command()
@click.argument("scenario", metavar="SCENARIO")
@click.option("--catalog", "catalog_name", default=None, help="Catalog snapshot to price with (default: the active one).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--cloud", "clouds", multiple=True, help="Only these clouds (repeat or comma-separate).")
@click.option("--region", "regions", multiple=True, help="Only these regions (repeat or comma-separate).")
@click.option("--purchase-option", "options", multiple=True, help="on_demand, spot, reserved_1y, committed_3y, ...")
@click.option("--pricebook", type=str, default=None, help="pricebook.yaml of negotiated discounts and private rates.")
@click.option("--explain", is_flag=True, help="After the table, say what bound each sizing and which assumptions it used.")
@click.option("--monthly", is_flag=True,
              help="Month by month instead: each month's count, purchase split and cost per workload and cloud.")
def compare(
    scenario: str,
    catalog_name: str | None,
    fmt: str,
    clouds: tuple[str, ...],
    regions: tuple[str, ...],
    options: tuple[str, ...],
    pricebook: str | None,
    explain: bool,
    monthly: bool,
) -> None:
    """Compare what SCENARIO (a YAML file) costs on AWS, GCP and Azure.

    Prints per cloud the cheapest fitting instances, counts, hours, purchase option and monthly
    cost, then the totals, the winner and by how much, and the catalog used with its age.
    """
    from planner import render
    from planner.comparison import compare as run
    from planner.scenario import load_scenario

    sc = load_scenario(scenario)
    result = run(
        sc,
        catalog_name,
        clouds=_split(clouds),
        regions=_split(regions),
        purchase_options=_split(options),
        pricebook=pricebook,
            )
    for w in result.warnings:
        click.echo(f"Warning: {w}", err=True)
    if monthly:
        views = {"table": render.monthly_to_table, "json": render.monthly_to_json, "csv": render.monthly_to_csv,
                 "markdown": render.monthly_to_markdown}
    else:
        views = {"table": render.to_table, "json": render.to_json, "csv": render.to_csv, "markdown": render.to_markdown}
    out = views[fmt](result)
    click.echo(out.rstrip("\n"))
    if explain and fmt in ("table", "markdown"):
        click.echo("\nWhy this capacity:")
        for line in render.explain_lines(result):
            click.echo(f"  {line}")


@click.command()
@click.argument("scenario", metavar="SCENARIO")
@click.option("--workload", required=True, help="Name of a real-time serving workload in SCENARIO.")
@click.option("--qps", "qps", required=True, help="Comma-separated QPS points, e.g. 1,10,100.")
@click.option("--catalog", "catalog_name", default=None, help="Catalog snapshot (default: the active one).")
@click.option("--cloud", "clouds", multiple=True, help="Only these clouds.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
def scale(scenario: str, workload: str, qps: str, catalog_name: str | None, clouds: tuple[str, ...], fmt: str) -> None:
    """How one serving workload's cost and capacity grow with QPS, per cloud."""
    import json
    import math

    from planner.comparison import scale_points
    from planner.errors import InputError
    from planner.scenario import load_scenario

    try:
        points = [float(x) for x in qps.split(",") if x.strip()]
    except ValueError:
        raise InputError(f"takes comma-separated numbers such as 1,10,100, got {qps!r}", field="--qps") from None
    if not points or any(not math.isfinite(p) or p <= 0 or p > 1e8 for p in points):
        raise InputError(f"takes positive QPS values up to 1e8 such as 1,10,100, got {qps!r}", field="--qps")
    sc = load_scenario(scenario)
    rows = scale_points(sc, workload, points, catalog_name, clouds=_split(clouds))
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    cols = ["cloud", "qps", "monthly_cost", "config", "instance_type", "count", "purchase_option", "cost_per_1k_requests", "status"]
    if fmt == "csv":
        import csv
        import io

        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
        click.echo(buf.getvalue().rstrip("\n"))
        return
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"{sc.name}: {workload} vs QPS", title_justify="left")
    heads = {"cloud": "Cloud", "qps": "QPS", "monthly_cost": "Monthly cost", "config": "Capacity",
             "instance_type": "Instance", "count": "Count", "purchase_option": "Option",
             "cost_per_1k_requests": "$ / 1K requests", "status": "Status"}
    for c in cols:
        t.add_column(heads[c], justify="right" if c in ("qps", "monthly_cost", "count", "cost_per_1k_requests") else "left")
    for r in rows:
        cost = "unpriced" if r["monthly_cost"] is None else f"${r['monthly_cost']:,.2f}"
        per_k = "" if r["cost_per_1k_requests"] is None else f"${r['cost_per_1k_requests']:.4f}"
        t.add_row(r["cloud"], f"{r['qps']:g}", cost, r["config"] or "", r["instance_type"] or "",
                  "" if r["count"] is None else str(r["count"]), (r["purchase_option"] or "").replace("_", "-"), per_k, r["status"])
    Console(width=120, color_system=None).print(t)

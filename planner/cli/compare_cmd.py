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
@click.option("--set", "sets", multiple=True, metavar="PATH=VALUE",
              help="Change the scenario at a dotted path first, e.g. --set workloads.chat.qps_mean=30 "
                   "--set prices.gcp=0.8 (as planner.what_if). Repeat.")
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
    sets: tuple[str, ...] = (),
) -> None:
    """Compare what SCENARIO (a YAML file) costs on AWS, GCP and Azure.

    Prints per cloud the cheapest fitting instances, counts, hours, purchase option and monthly
    cost, then the totals, the winner and by how much, and the catalog used with its age.
    """
    from planner import render
    from planner.comparison import compare as run
    from planner.scenario import load_scenario

    sc = load_scenario(scenario)
    if sets:
        from planner.cli.whatif_cmd import parse_sets
        from planner.whatif.overrides import what_if

        sc = what_if(sc, parse_sets(sets))
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
@click.option("--qps", "qps", required=True,
              help="Comma-separated mean QPS points, e.g. 1,10,100; each point's peak keeps the workload's "
                   "qps_peak/qps_mean ratio.")
@click.option("--catalog", "catalog_name", default=None, help="Catalog snapshot (default: the active one).")
@click.option("--cloud", "clouds", multiple=True, help="Only these clouds (repeat or comma-separate).")
@click.option("--region", "regions", multiple=True, help="Only these regions (repeat or comma-separate).")
@click.option("--purchase-option", "options", multiple=True, help="on_demand, spot, reserved_1y, committed_3y, ...")
@click.option("--pricebook", type=str, default=None, help="pricebook.yaml of negotiated discounts and private rates.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
def scale(scenario: str, workload: str, qps: str, catalog_name: str | None, clouds: tuple[str, ...],
          regions: tuple[str, ...], options: tuple[str, ...], pricebook: str | None, fmt: str) -> None:
    """How one serving workload's cost and capacity grow with its mean QPS, per cloud.

    Each --qps point is the workload's mean request rate. Replicas are sized for the peak (the point times the
    workload's qps_peak/qps_mean) and its diurnal shape, for one month with no growth; cost per 1K requests is
    at the mean. Regions, purchase options and the price book default to the scenario's compare section.
    """
    import math

    from planner import render
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
    rows = scale_points(sc, workload, points, catalog_name, clouds=_split(clouds), regions=_split(regions),
                        purchase_options=_split(options), pricebook=pricebook)
    if fmt == "json":
        click.echo(render.dumps(rows))
        return
    book = pricebook is not None
    cols = ["cloud", "qps", "qps_peak", "monthly_cost", *(["contracted_monthly_cost"] if book else []), "config",
            "region", "instance_type", "count", "purchase_option", "cost_per_1k_requests", "status"]
    if fmt == "table":  # 120 columns: the peak goes in the title; region and status when they say something
        cols.remove("qps_peak")
        if not regions and all(len(sc.compare.regions_for(c)) == 1 for c in sc.compare.clouds):
            cols.remove("region")
        if all(r["status"] == "priced" for r in rows):
            cols.remove("status")
    if fmt == "csv":
        import csv
        import io

        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
        click.echo(buf.getvalue().rstrip("\n"))
        return
    heads = {"cloud": "Cloud", "qps": "Mean QPS", "qps_peak": "Peak QPS", "monthly_cost": "Monthly cost",
             "contracted_monthly_cost": "Effective", "config": "Capacity", "region": "Region",
             "instance_type": "Instance", "count": "Count", "purchase_option": "Option",
             "cost_per_1k_requests": "$ / 1K req", "status": "Status"}
    right = ("qps", "qps_peak", "monthly_cost", "contracted_monthly_cost", "count", "cost_per_1k_requests")

    def cells(r: dict[str, object]) -> list[str]:
        def usd(x: object) -> str:
            return "unpriced" if not isinstance(x, (int, float)) else f"${x:,.2f}"

        per_k = r["cost_per_1k_requests"]
        out = {"cloud": str(r["cloud"]), "qps": f"{r['qps']:g}", "qps_peak": f"{r['qps_peak']:.4g}",
               "monthly_cost": usd(r["monthly_cost"]), "contracted_monthly_cost": usd(r["contracted_monthly_cost"]),
               "config": str(r["config"] or ""), "region": str(r["region"] or ""),
               "instance_type": str(r["instance_type"] or ""), "count": "" if r["count"] is None else str(r["count"]),
               "purchase_option": str(r["purchase_option"] or "").replace("_", "-"),
               "cost_per_1k_requests": f"${per_k:.4f}" if isinstance(per_k, float) else "",
               "status": str(r["status"])}
        return [out[c] for c in cols]

    ratio = rows[0]["qps_peak"] / rows[0]["qps"] if rows else 1.0
    title = f"{render.cut(sc.name, render.TITLE_WIDTH)}: {render.cut(workload)} vs mean QPS"
    if fmt == "table":
        title += f" (replicas sized for a peak of {ratio:.3g}x the mean)" if ratio != 1 else " (= the peak)"
    if fmt == "markdown":
        lines = [f"# {title}", "", render._md_row([heads[c] for c in cols]),
                 "|" + "|".join("---:" if c in right else "---" for c in cols) + "|"]
        lines += [render._md_row(cells(r)) for r in rows]
        click.echo("\n".join(lines))
        return
    from rich.table import Table

    t = Table(title=title, title_justify="left")
    for c in cols:
        t.add_column(heads[c], justify="right" if c in right else "left", overflow="fold",
                     no_wrap=c in (*right, "cloud", "purchase_option"), min_width=14 if c == "config" else None)
    for r in rows:
        t.add_row(*cells(r))
    console = render.text_console(120)
    console.print(t)
    click.echo(console.export_text().rstrip("\n"))

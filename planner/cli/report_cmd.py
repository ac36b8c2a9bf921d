"""`planner report`: parse, call planner.report.build_report, write the page, exit by the alert."""

from __future__ import annotations

import sys

import click


@click.command()
@click.argument("scenario", metavar="SCENARIO")
@click.option("--month", required=True, help="The month to report, YYYY-MM.")
@click.option("--budget", default=None,
              help="Monthly budget: 40000 (USD) or '37000 EUR' [the scenario's budget_usd_per_month].")
@click.option("--actuals", "actuals", multiple=True, metavar="SOURCE",
              help="Billing export(s) of actual spend (FOCUS, AWS CUR, Azure, GCP, OCI; repeat). "
                   "Without: a plan-and-budget report.")
@click.option("--actuals-format", default=None, help="Format of --actuals when it cannot be detected.")
@click.option("--volumes", default=None, metavar="FILE",
              help="CSV of measured work: month, workload, requests, tokens, training_runs.")
@click.option("--cloud", default=None, help="Whose plan to report against [the cheapest over the horizon].")
@click.option("--plan-start", default=None, metavar="YYYY-MM",
              help="Calendar month of the plan's month 1 [plan_start, else the first month of actual spend].")
@click.option("--baseline", default=None, metavar="YYYY-MM", help="Month unit costs are compared with [previous month].")
@click.option("--fx", "fx", multiple=True, metavar="CUR=RATE",
              help="Exchange rate as USD per unit, e.g. EUR=1.08 (repeat). Needed whenever currencies differ.")
@click.option("--billing-currency", default=None, metavar="CUR",
              help="Currency of charges whose BillingCurrency is empty (never assumed), e.g. USD.")
@click.option("--basis", type=click.Choice(["effective", "billed"]), default="effective", show_default=True,
              help="Cost compared with plan and budget: effective (amortized) or billed (as invoiced).")
@click.option("--catalog", "catalog_name", default=None, help="Catalog snapshot for the plan (default: the active one).")
@click.option("--pricebook", default=None, help="pricebook.yaml of negotiated rates for the plan.")
@click.option("--format", "fmt", type=click.Choice(["html", "markdown", "json"]), default=None,
              help="Output format [from the --out suffix: .html, .md, .json]; json without --out prints it.")
@click.option("--out", default=None, metavar="FILE", help="Write the report here (written whole or not at all).")
@click.option("--warn-at", default=None, metavar="P,...",
              help="Exit 3 when the month's spend reaches any of these percentages of the budget, e.g. 80,100.")
@click.option("--fail-over-budget", is_flag=True, help="Exit 4 when the month's spend is over budget.")
def report(scenario: str, month: str, budget: str | None, actuals: tuple[str, ...], actuals_format: str | None,
           volumes: str | None, cloud: str | None, plan_start: str | None, baseline: str | None,
           fx: tuple[str, ...], billing_currency: str | None, basis: str, catalog_name: str | None, pricebook: str | None, fmt: str | None,
           out: str | None, warn_at: str | None, fail_over_budget: bool) -> None:
    """Monthly budget report for SCENARIO: plan vs budget vs actual spend for --month.

    Shows month-to-date and projected month-end spend (linear on days elapsed), variance against the plan with
    its drivers, the day and month the budget runs out at the current burn, month-over-month change, cost by
    workload, service and cloud, commitment utilization and unit costs (per 1K requests, 1M tokens, training
    run). Writes HTML with inline charts, Markdown or JSON, and prints one summary line.

    Exit codes: 0 ok; 2 bad input (nothing written); 3 a --warn-at threshold crossed; 4 over budget with
    --fail-over-budget. The spend checked is the projected month-end (the actual once the month is complete),
    or the plan when there is no actual spend for the month.
    """
    from planner.report import build_report, read_volumes
    from planner.report.alerts import parse_thresholds
    from planner.report.build import parse_budget, parse_fx
    from planner.report.output import format_for, render, write
    from planner.report.periods import Month
    from planner.scenario import load_scenario

    Month.parse(month, field="--month")  # bad flags fail before any work
    for flag, value in (("--plan-start", plan_start), ("--baseline", baseline)):
        if value is not None:
            Month.parse(value, field=flag)
    kind = format_for(out, fmt)
    thresholds = parse_thresholds(warn_at)
    rates = parse_fx(fx)
    given_budget = parse_budget(budget)
    sc = load_scenario(scenario)
    vols = read_volumes(volumes, sc) if volumes else None
    frame = None
    if actuals:
        from planner.actuals import read_actuals

        frame = read_actuals(list(actuals), format=actuals_format)
    rep = build_report(sc, month, actuals=frame, budget=given_budget, volumes=vols, cloud=cloud,
                       plan_start=plan_start, baseline=baseline, fx=rates, basis=basis, catalog=catalog_name,
                       pricebook=pricebook, warn_at=thresholds, fail_over_budget=fail_over_budget,
                       billing_currency=billing_currency)
    if out is None:
        click.echo(render(rep, kind).rstrip("\n"))
        click.echo(rep.summary_line, err=True)
    else:
        write(rep, out, kind)
        line = f"{rep.summary_line} [wrote {out}]"
        click.echo(line, err=rep.exit_code != 0)
    sys.exit(rep.exit_code)

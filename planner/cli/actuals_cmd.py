"""`planner actuals ...`: actual spend from billing exports, summarized. Parse, call
:func:`planner.actuals.summarize`, format; every check happens before anything is printed."""

from __future__ import annotations

import math
from typing import Any

import click

FORMAT_HELP = ("Force the input format instead of detecting it from the header: "
               "focus, aws-cur, aws-athena, aws-cur2, azure, azure-ea, azure-mca, azure-payg, azure-actual, "
               "azure-amortized, gcp-bigquery, oci (see `planner actuals formats`).")


@click.group()
def actuals() -> None:
    """Actual cloud spend from billing exports: FOCUS files of any provider, AWS Cost and Usage Reports,
    Azure cost exports, Google Cloud BigQuery billing export rows and OCI cost reports."""


@actuals.command()
@click.argument("sources", nargs=-1, required=True, metavar="SOURCE...")
@click.option("--by", default="month,provider,service", show_default=True,
              help="Group by: month, provider, service, category, region, account, charge, pricing, sku, "
                   "resource, tag:KEY, currency (comma-separated).")
@click.option("--month", default=None, metavar="YYYY-MM", help="Only charges of this billing month.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True,
              help="Output format.")
@click.option("--input-format", "input_format", default=None, metavar="NAME", help=FORMAT_HELP)
@click.option("--fx", "fx", multiple=True, metavar="CUR=RATE",
              help="Exchange rate as USD per unit, e.g. EUR=1.08 (repeat): amounts are then shown in USD. "
                   "Needed when the charges are in several currencies, unless --by includes currency.")
@click.option("--billing-currency", default=None, metavar="CUR",
              help="Currency of charges whose export names none (never assumed), e.g. USD.")
@click.option("--engine", type=click.Choice(["pandas", "dask"]), default="pandas", show_default=True,
              help="pandas: stream the files in one process; dask: spread them over a dask cluster's workers.")
def show(sources: tuple[str, ...], by: str, month: str | None, fmt: str, input_format: str | None,
         fx: tuple[str, ...], billing_currency: str | None, engine: str) -> None:
    """Billed, effective (amortized) and list cost of SOURCE... per month, provider and service.

    SOURCE is a billing export file (CSV, CSV.gz or parquet) or a folder of them; the format of each is
    detected from its header. Rows: month (YYYY-MM, the billing period), provider (aws, azure, gcp, oci),
    service, billed_cost, effective_cost, list_cost, currency. A total that cannot be known (a usage line
    without a list price) shows as missing, never 0.

    \b
    planner actuals show cur/2026-03/ --by month,service,tag:team
    planner actuals show azure_actual.csv azure_amortized.csv --format json
    """
    from planner.actuals import summarize
    from planner.actuals.summary import check_month, parse_by

    check_month(month, field="--month")  # bad flags fail before any file is read
    parse_by([p for p in by.split(",") if p.strip().lower() != "currency"], field="--by")
    rates = _parse_fx(fx)
    frame = summarize(list(sources), by=by, month=month, format=input_format, engine=engine, fx=rates,
                      billing_currency=billing_currency)
    click.echo(render(frame, fmt), nl=False)


@actuals.command()
def formats() -> None:
    """The billing-export formats read, in the order they are tried on a file's header."""
    from planner.actuals.formats import DETECT_ORDER, FORMATS

    click.echo("Detected from the header, tried in this order:")
    for f in DETECT_ORDER:
        click.echo(f"  {f.name:<16} {f.label}")
    detected = {f.name for f in DETECT_ORDER}
    click.echo("Also accepted by --input-format: " + ", ".join(n for n in FORMATS if n not in detected))


def _parse_fx(values: tuple[str, ...]) -> dict[str, float]:
    from planner.errors import InputError

    out: dict[str, float] = {}
    for v in values:
        for part in v.split(","):
            if not part.strip():
                continue
            cur, eq, rate = part.partition("=")
            try:
                r = float(rate)
            except ValueError:
                r = math.nan
            code = cur.strip().upper()
            if not eq or len(code) != 3 or not code.isalpha() or not math.isfinite(r) or r <= 0:
                raise InputError(f"takes CUR=RATE with a 3-letter currency and a positive rate (USD per unit), "
                                 f"e.g. EUR=1.08; got {part.strip()!r}", field="--fx")
            out[code] = r
    return out


def _amount(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "missing"
    return f"{v:,.2f}" if abs(v) >= 0.005 or v == 0 else f"{v:.2g}"


def render(frame: Any, fmt: str) -> str:
    """The summary as text: an aligned table with a total per currency, JSON (a list of rows) or CSV."""
    import json

    cols = list(frame.columns)
    rows = [[None if (isinstance(v, float) and math.isnan(v)) else v for v in r]
            for r in frame.itertuples(index=False, name=None)]
    if fmt == "json":
        return json.dumps([dict(zip(cols, r, strict=True)) for r in rows], indent=2) + "\n"
    if fmt == "csv":
        import csv
        import io

        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(cols)
        w.writerows(["" if v is None else v for v in r] for r in rows)
        return buf.getvalue()
    money = {"billed_cost", "effective_cost", "list_cost"}
    cells = [[_amount(v) if c in money else ("(none)" if v is None else str(v)) for c, v in zip(cols, r, strict=True)]
             for r in rows]
    totals: dict[Any, list[float | None]] = {}
    for r in rows:
        t = totals.setdefault(r[cols.index("currency")], [0.0, 0.0, 0.0])
        for i, c in enumerate(("billed_cost", "effective_cost", "list_cost")):
            v = r[cols.index(c)]
            t[i] = None if v is None or t[i] is None else t[i] + v  # type: ignore[operator]
    foot = []
    for cur, t in totals.items():
        line = ["total" if j == 0 else "" for j in range(len(cols))]
        for i, c in enumerate(("billed_cost", "effective_cost", "list_cost")):
            line[cols.index(c)] = _amount(t[i])
        line[cols.index("currency")] = "(none)" if cur is None else str(cur)
        foot.append(line)
    widths = [max(len(x) for x in [c, *(row[j] for row in cells + foot)]) for j, c in enumerate(cols)]
    right = {j for j, c in enumerate(cols) if c in money}

    def fmt_row(vals: list[str]) -> str:
        return "  ".join(v.rjust(widths[j]) if j in right else v.ljust(widths[j]) for j, v in enumerate(vals)).rstrip()

    out = [fmt_row(cols), fmt_row(["-" * w for w in widths]), *map(fmt_row, cells)]
    if foot:
        out += [fmt_row(["-" * w for w in widths]), *map(fmt_row, foot)]
    return "\n".join(out) + "\n"

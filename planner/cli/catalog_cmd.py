"""`planner catalog ...`: browse, import, refresh, switch and compare price catalogs.

Each command parses its flags, calls one function of :mod:`pricing` and formats the result.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import click

from planner.cli.types import FiniteFloat, TextFile
from planner.errors import InputError, PlannerError, SourceError, UnknownNameError, suggest

FORMATS = click.Choice(["table", "json"])
CLOUDS = click.Choice(["aws", "gcp", "azure"])
# price files can also bring GPU clouds the live sources do not read
IMPORT_PROVIDERS = click.Choice(["aws", "gcp", "azure", "lambda"])
TABLE_LIMIT = 50
GROUPS_SHOWN = 20  # catalog diff: groups with changes shown (counts and rows)


def _stale_days() -> int:
    from pricing.catalog import STALE_AFTER_DAYS

    raw = os.environ.get("PLANNER_STALE_DAYS")
    if raw is None:
        return STALE_AFTER_DAYS
    try:
        return int(raw)
    except ValueError:
        raise InputError(f"PLANNER_STALE_DAYS must be a whole number of days, not {raw!r}") from None


def _age_days(fetched_at: str) -> int | None:
    from pricing.catalog import parse_when, today

    try:
        return max(0, (today().date() - parse_when(fetched_at)).days)
    except ValueError:
        return None


def _warn_if_stale(name: str, fetched_at: str) -> None:
    age, limit = _age_days(fetched_at), _stale_days()
    if age is not None and age > limit:
        click.echo(
            f"Warning: catalog {name!r} is {age} days old (older than {limit}); "
            f"run `planner catalog refresh` or import a newer one",
            err=True,
        )


def _console() -> Any:
    import sys

    from rich.console import Console

    # Piped output (files, CI logs) gets a wide table instead of rich's 80-column default.
    return Console(soft_wrap=False, width=None if sys.stdout.isatty() else 200)


def _now_stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S")


@click.group()
def catalog() -> None:
    """Browse, import, refresh and switch price catalogs (snapshots of offers)."""


@catalog.command("list")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
def list_cmd(fmt: str) -> None:
    """List the embedded catalog, then every stored snapshot (newest first).

    A catalog is as old as its oldest price: a snapshot layered on ``embedded`` keeps the embedded
    prices it did not replace, and their dates. ``compare`` reports the same age.
    """
    from pricing.catalog import list_catalogs

    infos = list_catalogs()
    rows = [{**i.to_dict(), "age_days": _age_days(i.as_of)} for i in infos]
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
    else:
        from rich.markup import escape
        from rich.table import Table

        t = Table("active", "name", "source", "offers", "fetched_at", "oldest price", "age")
        for r in rows:
            age = "?" if r["age_days"] is None else f"{r['age_days']} d"
            source, offers = (f"DAMAGED: {r['damaged']}", "?") if r.get("damaged") else (r["source"], str(r["offers"]))
            t.add_row("*" if r["active"] else "", escape(r["name"]), escape(source), offers, r["fetched_at"][:10],
                      r["oldest_price_at"][:10], age)
        _console().print(t)
    for i in infos:
        if i.damaged:
            _warn_damaged(i.name, i.damaged)
        elif i.active:
            _warn_if_stale(i.name, i.as_of)


def _warn_damaged(name: str, why: str) -> None:
    from pricing import store

    fix = (f"`planner catalog delete {name}`" if store.is_valid_name(name)
           else f"rename or delete the folder {store.snapshots_dir() / name}")
    click.echo(f"Warning: snapshot '{name}' is damaged ({why}); it cannot be used: {fix}, "
               f"then import or refresh again", err=True)


def _check_filter(value: str | None, vocab: list[str] | Callable[[], list[str]], what: str, *,
                  fold: bool = False) -> None:
    if value is None:
        return
    if callable(vocab):  # read from the catalog only when there is a value to check
        vocab = vocab()
    known = {v.lower() for v in vocab} if fold else set(vocab)
    if (value.lower() if fold else value) not in known:
        raise UnknownNameError(suggest(value, vocab, what=what))


@catalog.command("show")
@click.argument("name")
@click.option("--provider")
@click.option("--region")
@click.option("--instance-type")
@click.option("--accelerator")
@click.option("--purchase-option")
@click.option("--resource")
@click.option("--limit", type=click.IntRange(min=1), help=f"At most N offers (table default {TABLE_LIMIT}).")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
def show_cmd(
    name: str,
    provider: str | None,
    region: str | None,
    instance_type: str | None,
    accelerator: str | None,
    purchase_option: str | None,
    resource: str | None,
    limit: int | None,
    fmt: str,
) -> None:
    """Show the offers of catalog NAME (`embedded`, a snapshot name, or `active`)."""
    from pricing.catalog import load_catalog
    from pricing.schema import PURCHASE_OPTIONS, RESOURCES

    cat = load_catalog(None if name == "active" else name)
    want = limit if fmt == "json" else limit or TABLE_LIMIT

    def find() -> tuple[list[Any], int]:
        return cat.find(provider=provider, region=region, resource=resource, instance_type=instance_type,
                        accelerator=accelerator, purchase_option=purchase_option, limit=want)

    # the filters are checked against the catalog's names only when nothing matches (an unknown name matches
    # nothing): a query that finds offers never reads a whole catalog's vocabulary
    offers, total = find()
    if not total:
        given = accelerator
        _check_filter(provider, cat.providers, "provider")
        _check_filter(region, lambda: cat.regions(provider), "region" + (f" for {provider}" if provider else ""))
        _check_filter(instance_type, lambda: cat.instance_types(provider), "instance type", fold=True)
        if accelerator and accelerator.lower() not in {a.lower() for a in cat.accelerators(provider)}:
            from planner.capacity.hardware import canonical_accelerator

            try:  # the same aliases as everywhere else: h100 -> H100-SXM; a bare a100 is refused (40 or 80 GB?)
                accelerator = canonical_accelerator(accelerator)
            except UnknownNameError:
                pass
        _check_filter(accelerator, lambda: cat.accelerators(provider), "accelerator", fold=True)
        _check_filter(purchase_option, list(PURCHASE_OPTIONS), "purchase option")
        _check_filter(resource, list(RESOURCES), "resource")
        if accelerator != given:  # found under its canonical name
            offers, total = find()
    if fmt == "json":
        click.echo(json.dumps([o.to_dict() for o in offers], indent=2))
    else:
        from rich.table import Table

        shown = offers
        t = Table("provider", "region", "resource", "instance_type", "accelerator", "vcpus", "memory_gib",
                  "purchase_option", "price_usd", "unit", title=f"{cat.name} ({cat.source}, fetched {cat.fetched_at})")
        for o in shown:
            acc = f"{o.accelerator_count}x {o.accelerator}" if o.accelerator else ""
            t.add_row(o.provider, o.region, o.resource, o.instance_type or o.storage_class or "", acc,
                      "" if o.vcpus is None else f"{o.vcpus:g}", "" if o.memory_gib is None else f"{o.memory_gib:g}",
                      o.purchase_option, "missing" if o.price is None else str(o.price), o.unit)
        _console().print(t)
        if len(shown) < total:
            click.echo(f"showing {len(shown)} of {total} offers; use --limit or filters to see more", err=True)
    _warn_if_stale(cat.name, cat.fetched_at)


def _print_counts(info: Any, counts: dict[str, dict[str, int]]) -> None:
    click.echo(f"Wrote snapshot {info.name!r}: {info.offers} offers")
    for what, c in counts.items():
        click.echo(f"  {what}: " + ", ".join(f"{k} {v}" for k, v in c.items()))


def _layering_summary(base: str | None, offers: list[Any], source: str, fetched_at: str) -> Any:
    """What layering ``offers`` on catalog ``base`` will add, replace and keep (None when standalone).

    Loaded before the snapshot is written, so a base that cannot be loaded stops the import early."""
    if not base:
        return None
    from pricing.catalog import Catalog, layer_summary, load_catalog

    return layer_summary(load_catalog(base), Catalog("new", source, fetched_at, offers))


def _print_layering(base: str | None, s: Any) -> None:
    if base is None or s is None:
        return
    kept = ", ".join(f"{k} {v}" for k, v in s.kept_by_purchase_option.items())
    click.echo(f"  layered on {base!r}: added {s.added}, replaced {s.replaced} (price changed), "
               f"unchanged {s.unchanged}, kept from base {s.kept}" + (f" ({kept})" if kept else "")
               + (f", dropped {s.dropped} (tiers the new schedule does not have)" if s.dropped else ""))
    click.echo(f"  catalog {base!r} + this snapshot: {s.total} offers")


@catalog.command("import")
@click.option("--format", "fmt", type=click.Choice(["skypilot", "aws-bulk"]), required=True,
              help="skypilot: a SkyPilot vms.csv; aws-bulk: a downloaded AWS bulk Price List CSV (EC2).")
@click.argument("file", type=TextFile("price file"))
@click.option("--provider", type=IMPORT_PROVIDERS, required=True)
@click.option("--name", help="Snapshot name (default <format>-<provider>-YYYYMMDD-HHMMSS).")
@click.option("--standalone", is_flag=True,
              help="Keep only the imported prices (default: layer them on the active catalog, so other clouds, "
                   "storage and egress prices stay).")
@click.option("--as-of", "as_of", default=None, metavar="YYYY-MM-DD",
              help="Date of the file's prices (default: a SkyPilot file's modification time; an AWS bulk file's "
                   "publication date).")
def import_cmd(fmt: str, file: str, provider: str, name: str | None, standalone: bool, as_of: str | None) -> None:
    """Import a price file as a new snapshot and switch to it.

    By default the snapshot is layered on the catalog in use: its prices replace that catalog's for
    each (provider, region, instance type or storage item, purchase option) the file carries, and
    everything else is kept (commitments a file does not list stay). The summary counts the offers
    added, replaced (price changed), unchanged and kept from that catalog.
    """
    from pricing import store

    name = store.check_name(name or f"{fmt}-{provider}-{_now_stamp()}")
    dated = _as_of(as_of)
    invalid: list[tuple[int, str]] = []
    read_summary = None
    # the name is claimed first: a second import or refresh of it fails at once, and nothing is half-written
    with store.reserve(name):
        base = None if standalone else store.active_name()
        if fmt == "skypilot":
            from pricing.sources.skypilot import import_skypilot_csv

            result = import_skypilot_csv(file, provider, as_of=dated)
            offers, source, fetched_at, skipped = result.offers, result.source, result.fetched_at, result.skipped
            invalid = result.invalid
            if result.counts.get("zero_price"):
                read_summary = (f"{result.counts['zero_price']} zone prices of 0 taken as no price "
                                "(a zero price is never an offer)")
        else:
            offers, source, fetched_at, stats = _import_aws_bulk(file, provider, dated)
            skipped, read_summary = [], stats.summary()
            invalid = [(0, why) for why in stats.invalid]
        layering = _layering_summary(base, offers, source, fetched_at)
        info = store.write_snapshot(name, offers, source=source, fetched_at=fetched_at,
                                    extra={"format": fmt, "provider": provider, "skipped_rows": len(skipped),
                                           "base": base, "layering": layering and layering.to_dict()},
                                    base_as_of=layering.base_as_of if layering else "")
        store.use(name)
    _print_counts(info, store.read_manifest(name)["counts"])
    how = "as given by --as-of" if as_of else ("the file's modification time; give --as-of to date them"
                                               if fmt == "skypilot" else "the price list's publication date")
    click.echo(f"  prices dated {fetched_at[:10]} ({how}); the catalog is as old as its oldest price, {info.as_of[:10]}")
    _print_layering(base, layering)
    if read_summary:
        click.echo(f"  read: {read_summary}")
    if skipped:
        reasons: dict[str, int] = {}
        for _line, reason in skipped:
            reasons[reason] = reasons.get(reason, 0) + 1
        click.echo(f"  skipped rows: {len(skipped)} (" + "; ".join(f"{r}: {n}" for r, n in reasons.items()) + ")")
    if invalid:
        shown = "; ".join(f"line {line}: {why}" if line else why for line, why in invalid[:3])
        more = f"; and {len(invalid) - 3} more" if len(invalid) > 3 else ""
        click.echo(f"  invalid values (rows skipped): {shown}{more}")
    _print_checks(name, base, offers, source, fetched_at)
    click.echo(f"Now using catalog {name!r}")


def _as_of(text: str | None) -> str | None:
    if text is None:
        return None
    from datetime import date

    try:
        return date.fromisoformat(text.strip()).isoformat()
    except ValueError:
        raise InputError(f"not a date: {text!r}; give YYYY-MM-DD", field="--as-of") from None


def _import_aws_bulk(file: str, provider: str, as_of: str | None) -> tuple[list[Any], str, str, Any]:
    """(offers, source, the date of the prices, the parser's stats) of a downloaded bulk price list.

    A file that is not a price list is bad input (exit 2), not a failing source: the parser's SourceError
    (exit 1, right for a download) becomes an InputError naming the file."""
    from pathlib import Path

    from pricing.catalog import parse_when
    from pricing.limits import show
    from pricing.sources.aws_bulk import BulkStats, parse_bulk_csv

    if provider != "aws":
        raise InputError("--format aws-bulk reads AWS price lists; use --provider aws")
    stats = BulkStats()
    fetched_at = datetime.now(UTC).isoformat(timespec="seconds")
    try:
        offers = list(parse_bulk_csv(file, fetched_at=fetched_at, stats=stats))
    except SourceError as exc:
        raise InputError(f"{exc.message}; give a bulk Price List CSV of AmazonEC2", where=exc.where or file) from None
    meta = stats.metadata
    if not offers:
        raise InputError(f"no EC2 Linux instance prices in this price list ({stats.summary()}); "
                         "give the AmazonEC2 price list CSV of a region", where=file)
    source = f"AWS bulk price list {meta.get('OfferCode', '?')} version {meta.get('Version', '?')} ({Path(file).name})"
    published = meta.get("Publication Date") or ""
    if as_of:
        return offers, source, as_of, stats
    try:
        parse_when(published)
    except (ValueError, OverflowError):
        raise InputError(f"Publication Date {show(published)} is not a date; give --as-of YYYY-MM-DD",
                         where=file) from None
    return offers, source, published, stats


def _collect(cloud: str, regions: tuple[str, ...], bulk: bool) -> tuple[list[Any], str, str | None]:
    """The offers, the source description, and the source's one-line fetch summary (None if it keeps none)."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    if bulk:
        if cloud != "aws":
            raise InputError("--bulk is available for --cloud aws only")
        from pricing.sources.aws_bulk import AwsBulkSource

        src: Any = AwsBulkSource()
    else:
        from pricing.sources import get_source

        src = get_source(cloud)
    offers: list[Any] = []
    console = _console_err()
    # A live progress display on a terminal only; logs and pipes get just the summary.
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), transient=True,
                  console=console, disable=not console.is_terminal) as bar:
        task = bar.add_task(f"{cloud}: starting", total=None)

        def progress(stage: str, items: int) -> None:
            bar.update(task, description=f"{stage}: {items} items read, {len(offers)} offers")

        for offer in src.fetch(list(regions) or None, progress=progress):
            offers.append(offer)
            if len(offers) % 500 == 0:
                bar.update(task, description=f"{cloud}: {len(offers)} offers")
    stats: Any = getattr(src, "stats", None)
    summary = stats.summary() if callable(getattr(stats, "summary", None)) else None
    return offers, f"{cloud} price API ({getattr(src, 'name', cloud)})", summary


def _console_err() -> Any:
    from rich.console import Console

    return Console(stderr=True)


@catalog.command("refresh")
@click.option("--cloud", type=CLOUDS, required=True)
@click.option("--region", "regions", multiple=True, help="Region to fetch (repeatable; default: the source's defaults).")
@click.option("--name", help="Snapshot name (default <cloud>-YYYYMMDD-HHMMSS).")
@click.option("--bulk", is_flag=True, help="AWS only: read the bulk Price List CSV instead of the query API.")
@click.option("--standalone", is_flag=True, help="Keep only the fetched prices (default: layer them on the active catalog).")
def refresh_cmd(cloud: str, regions: tuple[str, ...], name: str | None, bulk: bool, standalone: bool) -> None:
    """Fetch current prices from a cloud into a new snapshot and switch to it (all or nothing).

    By default the snapshot is layered on the catalog in use, so the other clouds, and the purchase
    options this source does not read, keep their prices; the summary counts the offers added,
    replaced (price changed), unchanged and kept from that catalog.
    """
    from pricing import store

    name = store.check_name(name or f"{cloud}-{_now_stamp()}")
    # the name is claimed before fetching: a second refresh or import of it fails at once
    with store.reserve(name):
        before = store.active_name()
        fetched_at = datetime.now(UTC).isoformat(timespec="seconds")
        try:
            offers, source, fetch_summary = _collect(cloud, regions, bulk)
        except PlannerError as exc:
            raise type(exc)(f"{exc.message}; catalog {before!r} is still active", where=exc.where,
                            field=exc.field) from None
        except Exception as exc:  # noqa: BLE001 - any source failure is reported in one line
            detail = " ".join(str(exc).split()) or type(exc).__name__
            raise SourceError(f"refresh of {cloud} failed ({type(exc).__name__}: {detail}); "
                              f"catalog {before!r} is still active") from None
        if not offers:
            raise SourceError(f"refresh of {cloud} returned no offers; catalog {before!r} is still active")
        base = None if standalone else before
        layering = _layering_summary(base, offers, source, fetched_at)
        try:
            info = store.write_snapshot(name, offers, source=source, fetched_at=fetched_at,
                                        extra={"cloud": cloud, "regions": list(regions), "bulk": bulk, "base": base,
                                               "layering": layering and layering.to_dict()},
                                        base_as_of=layering.base_as_of if layering else "")
            store.use(name)
        except PlannerError as exc:  # e.g. a source that produced NaN prices: nothing is switched
            raise type(exc)(f"{exc.message}; catalog {before!r} is still active", where=exc.where,
                            field=exc.field) from None
    _print_counts(info, store.read_manifest(name)["counts"])
    click.echo(f"  prices fetched {fetched_at[:10]}; the catalog is as old as its oldest price, {info.as_of[:10]}")
    _print_layering(base, layering)
    if fetch_summary:
        click.echo(f"  read: {fetch_summary}")
    _print_checks(name, base, offers, source, fetched_at)
    click.echo(f"Now using catalog {name!r}")


@catalog.command("use")
@click.argument("name")
def use_cmd(name: str) -> None:
    """Make NAME (`embedded` or a snapshot) the active catalog."""
    from pricing import store

    store.use(name)
    click.echo(f"Now using catalog {name!r}")


@catalog.command("delete")
@click.argument("name")
def delete_cmd(name: str) -> None:
    """Delete stored snapshot NAME, damaged or not; if it was the active one, `embedded` becomes active."""
    from pricing import store

    was_active = store.active_name() == name
    store.delete(name)
    click.echo(f"Deleted snapshot {name!r}" + ("; now using catalog 'embedded'" if was_active else ""))


@catalog.command("check")
@click.argument("name")
@click.option("--justified", "justified_file", type=click.Path(dir_okay=False),
              help="Markdown file with a 'Sanity-check findings' table (kind | rows | why) of accepted findings; "
                   "they are listed with their reason.")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
def check_cmd(name: str, justified_file: str | None, fmt: str) -> None:
    """Sanity-check the prices of catalog NAME (`embedded`, a snapshot name, or `active`).

    Findings are warnings (exit code 0): a family's per-GPU price inconsistent across sizes, on-demand
    below spot or below a commitment, a larger-memory GPU variant cheaper than the smaller one, a
    region's price far from the type's other regions. Each finding names its rows.
    """
    from pricing.catalog import load_catalog
    from pricing.checks import check_catalog, summary

    justifications = _read_justifications(justified_file) if justified_file else []
    cat = load_catalog(None if name == "active" else name)
    findings = check_catalog(cat, justifications)
    if fmt == "json":
        click.echo(json.dumps([f.to_dict() for f in findings], indent=2))
        return
    if findings:
        from rich.table import Table

        why = any(f.why for f in findings)
        t = Table("kind", "provider", "region", "rows", "message", *(["justified"] if why else []),
                  title=f"{cat.name} ({cat.source}, fetched {cat.fetched_at})")
        for f in findings:
            t.add_row(f.kind, f.provider, f.region, "\n".join(f.rows), f.message, *([f.why or ""] if why else []))
        _console().print(t)
    click.echo(f"{cat.name}: {summary(findings)}")


def _read_justifications(path: str) -> list[Any]:
    from pricing.checks import parse_justifications
    from pricing.textfile import read_text_file

    text = read_text_file(path, what="justifications file")
    try:
        return parse_justifications(text)
    except ValueError as exc:
        raise InputError(str(exc), where=path) from None


def _print_checks(name: str, base: str | None, offers: list[Any], source: str, fetched_at: str) -> None:
    """One line after import/refresh: the sanity-check findings of the new catalog as it will be used.

    The new offers are layered on ``base`` in memory, as loading snapshot ``name`` would, without reading
    the snapshot back."""
    from pricing.catalog import Catalog, layer, load_catalog
    from pricing.checks import check_catalog, remember_findings, summary

    new = Catalog(name, source, fetched_at, offers)
    findings = check_catalog(layer([load_catalog(base), new]) if base else new)
    remember_findings(load_catalog(name), findings)  # the stored snapshot holds the same offers: not checked again
    click.echo(f"Checks: {summary(findings)}" + (f"; see 'planner catalog check {name}'" if findings else ""))


@catalog.command("diff")
@click.argument("a")
@click.argument("b")
@click.option("--threshold-pct", type=FiniteFloat(min=0), default=0.0, show_default=True,
              help="Ignore price changes smaller than this percentage.")
@click.option("--limit", type=click.IntRange(min=0), default=10, show_default=True,
              help="Table: at most N changed rows per provider/region/purchase option (JSON lists all).")
@click.option("--groups", "max_groups", type=click.IntRange(min=0), default=GROUPS_SHOWN, show_default=True,
              help="Table: at most N provider/region/purchase option groups with changes, their counts and rows "
                   "(JSON lists all).")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
def diff_cmd(a: str, b: str, threshold_pct: float, limit: int, max_groups: int, fmt: str) -> None:
    """What changed from catalog A to catalog B, by provider, region and purchase option.

    Counts first (added, removed, up, down, lost or gained a price, unchanged), then the changed rows.
    """
    from pricing import store

    d = store.diff(a, b, threshold_pct=threshold_pct)
    if fmt == "json":
        click.echo(json.dumps(d.to_dict(), indent=2))
        return
    _print_diff(d, limit, max_groups)


def _print_diff(d: Any, limit: int, max_groups: int = GROUPS_SHOWN) -> None:
    from rich.table import Table

    from pricing.diff import GROUP_COUNTS, PriceChange

    con = _console()
    con.print(f"{d.a} -> {d.b}: " + ", ".join(f"{k} {v}" for k, v in d.summary().items()))
    groups = d.groups()
    changed = [g for g in groups if any(g[k] for k in GROUP_COUNTS if k != "unchanged")]
    if changed:
        t = Table("provider", "region", "purchase_option", *GROUP_COUNTS,
                  title="changes by provider, region and purchase option")
        for g in changed[:max_groups]:
            t.add_row(g["provider"], g["region"], g["purchase_option"], *(str(g[k]) for k in GROUP_COUNTS))
        if max_groups:
            con.print(t)
    same = len(groups) - len(changed)
    if same:
        con.print(f"{same} provider/region/purchase option groups unchanged")
    detail = dict(list(d.changes_in_groups(limit, groups=max_groups).items())[:max_groups])
    for (provider, region, option), (kinds, rows) in detail.items():
        counts = ", ".join(f"{k} {n}" for k in GROUP_COUNTS if (n := kinds[k]))
        total = sum(kinds.values())
        t = Table("change", "resource", "item", "tier_start", "old", "new", "change_pct",
                  title=f"{provider} {region} {option}: {counts}")
        for what, row in rows[:limit]:
            if isinstance(row, PriceChange):
                r = row.to_dict()
                pct = "" if r["change_pct"] is None else f"{r['change_pct']:+.2f}%"
                t.add_row(what, r["resource"], r["instance_type"] or r["storage_class"] or "", r["tier_start"],
                          r["old_price"] or "missing", r["new_price"] or "missing", pct)
            else:
                price = "missing" if row.price is None else row.to_dict()["price"]
                old, new = (price, "-") if what == "removed" else ("-", price)
                t.add_row(what, row.resource, row.instance_type or row.storage_class or "",
                          row.to_dict()["tier_start"], old, new, "")
        con.print(t)
        if total > limit:
            con.print(f"  ... {total - limit} more rows in {provider} {region} {option} "
                      "(--limit N, or --format json for all)")
    if len(changed) > max_groups:
        rest = changed[max_groups:]
        counts = ", ".join(f"{k} {n}" for k in GROUP_COUNTS if k != "unchanged" and (n := sum(g[k] for g in rest)))
        con.print(f"... {len(rest)} more groups with changes ({counts}); --groups N, or --format json for all")

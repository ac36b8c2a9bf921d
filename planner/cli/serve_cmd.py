"""`planner serve`: the what-if page on a local web server."""

from __future__ import annotations

import click

LOOPBACK = ("127.0.0.1", "localhost", "::1")


@click.command()
@click.argument("scenarios", nargs=-1, metavar="[SCENARIO ...]")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port to listen on (0: any free port).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but a loopback address lets other machines open the page.")
@click.option("--catalog", "catalog_name", default=None, help="Catalog snapshot to price with (default: the active one).")
@click.option("--pricebook", type=str, default=None, help="pricebook.yaml of negotiated discounts and private rates.")
def serve(scenarios: tuple[str, ...], port: int, host: str, catalog_name: str | None, pricebook: str | None) -> None:
    """Open a what-if page for SCENARIO files in the browser: move a lever, see the three-cloud bill change.

    Without SCENARIO the examples in ./scenarios are offered; scenario files can also be uploaded on the page.
    Download the scenario on screen as YAML (planner compare gives the same numbers) or the report as Markdown.
    """
    import socket

    from planner.errors import InputError
    from planner.serve import build_engine, default_scenarios
    from planner.serve.app import LOOPBACK_HOSTS, create_app

    paths = list(scenarios) or [str(p) for p in default_scenarios()]
    engine, skipped = build_engine(paths, catalog_name, pricebook, skip_invalid=not scenarios)
    for line in skipped:
        click.echo(f"Warning: left out: {line}", err=True)
    loopback = host in LOOPBACK
    if not loopback:
        click.echo(f"Warning: listening on {host}: anyone who can reach this machine on port {port} can open the page "
                   "and the scenarios it serves; use the default --host 127.0.0.1 to keep it local", err=True)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        why = "is in use; choose another with --port (or --port 0 for any free one)" if exc.errno == 98 else \
            f"cannot be opened ({exc.strerror}); check --host and --port"
        raise InputError(f"{host} port {port} {why}", field="--port") from None
    sock.listen(128)
    sock.set_inheritable(True)
    bound = sock.getsockname()[1]
    app = create_app(engine, allowed_hosts=LOOPBACK_HOSTS if loopback else ["*"])

    import uvicorn

    shown = f"[{host}]" if ":" in host else host
    n = len(engine.store.entries())
    click.echo(f"planner what-if page: http://{shown}:{bound}/  ({n} scenario{'s' * (n != 1)}; "
               f"catalog {engine.catalog.name}; Ctrl+C to stop)")
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])

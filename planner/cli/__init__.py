"""The `planner` command: a thin layer over the Python API.

Subcommands live in their own modules and are imported only when invoked, so ``planner --help``
does not pay for pandas, pydantic or the cloud SDKs.
"""

from __future__ import annotations

import atexit
import gc
import importlib
import os
import sys
from typing import Any

import click

from planner.errors import PlannerError, one_line
from pricing.env import check_environment

# Everything a command made lives until the process ends and is freed with it; frozen, it is left out of the
# interpreter's last garbage-collection passes over the whole heap (about 20 ms after a compare).
atexit.register(gc.freeze)

# name -> (module, attribute, one-line help shown by `planner --help`)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "compare": ("planner.cli.compare_cmd", "compare", "Compare a scenario's cost on AWS, GCP and Azure."),
    "scale": ("planner.cli.compare_cmd", "scale", "Cost and capacity of one workload as its QPS grows."),
    "catalog": ("planner.cli.catalog_cmd", "catalog", "Browse, import, refresh and switch price catalogs."),
    "capacity": ("planner.cli.capacity_cmd", "capacity", "Size hardware for LLM serving and training."),
    "serve": ("planner.cli.serve_cmd", "serve", "A local what-if web page: move a lever, see each cloud's bill."),
    "report": ("planner.cli.report_cmd", "report", "Monthly budget report: plan vs budget vs actual spend."),
    "actuals": ("planner.cli.actuals_cmd", "actuals", "Actual spend from billing exports, by month, service and tag."),
    "sweep": ("planner.cli.whatif_cmd", "sweep", "What-if grid: every combination of --set values, on every cloud."),
    "mc": ("planner.cli.whatif_cmd", "mc", "Monte Carlo: cost percentiles and win odds under uncertain inputs."),
    "sensitivity": ("planner.cli.whatif_cmd", "sensitivity", "Tornado table: which input moves the cost most."),
    "diff": ("planner.cli.whatif_cmd", "diff", "What changed between two scenarios and what it did to each cost."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        mod, attr, _ = COMMANDS[name]
        try:
            return getattr(importlib.import_module(mod), attr)
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith(mod.rsplit(".", 1)[0]):
                return None
            raise

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in sorted(COMMANDS)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        """Usage errors print one line, like every other error (click's own form takes four)."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":  # bare `planner`: show the help
                click.echo(exc.format_message())
                sys.exit(0)
            where = exc.ctx.command_path if exc.ctx else "planner"
            click.echo(one_line(f"Error: {where}: {exc.format_message()} (see '{where} --help')"), err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            click.echo(one_line(f"Error: {exc.format_message()}"), err=True)
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        sys.exit(rv if isinstance(rv, int) else 0)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            check_environment()  # PLANNER_* variables: a bad value is one line naming the variable
            return super().invoke(ctx)
        except PlannerError as exc:
            if os.environ.get("PLANNER_DEBUG") == "1":
                raise
            click.echo(f"Error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except ArithmeticError as exc:  # Decimal/float overflow from extreme but valid-looking inputs
            if os.environ.get("PLANNER_DEBUG") == "1":
                raise
            click.echo(f"Error: numbers out of range ({type(exc).__name__}); check the scenario's rates and sizes "
                       "for unit mistakes", err=True)
            sys.exit(2)


@click.group(name="planner", cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="planner")
def main() -> None:
    """What ML workloads cost on AWS, GCP and Azure, how much hardware they need, and how both grow.

    Start with: planner compare scenarios/chat-assistant.yaml
    """

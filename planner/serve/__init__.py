"""``planner serve``: a local what-if page over the Python API.

Move a lever (traffic, growth, model, accelerator, region, purchase option, horizon, price factors) and the
three-cloud comparison is recomputed with :func:`planner.whatif.what_if` and :func:`planner.compare`; the
scenario on screen downloads as YAML that ``planner compare`` prices to the same numbers.

>>> from planner.serve import build_app
>>> app = build_app(["scenarios/chat-assistant.yaml"])   # a Starlette app; run it with uvicorn
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from planner.serve.engine import Engine

__all__ = ["build_app", "build_engine", "default_scenarios"]


def default_scenarios() -> list[Path]:
    """The example scenarios: ./scenarios/*.yaml, else those beside the installed package (a source checkout)."""
    for d in (Path.cwd() / "scenarios", Path(__file__).resolve().parents[2] / "scenarios"):
        found = sorted(d.glob("*.yaml"))
        if found:
            return found
    return []


def build_engine(scenarios: Sequence[str | Path], catalog: str | None = None, pricebook: str | None = None,
                 *, skip_invalid: bool = False) -> tuple[Engine, list[str]]:
    """The engine over ``scenarios`` (each checked now); returns it and the one-line problems of those skipped.

    With ``skip_invalid`` a scenario that does not load is left out (and reported) instead of raising.
    """
    from planner.errors import PlannerError
    from planner.serve.engine import Engine
    from planner.serve.store import ScenarioStore
    from pricing.catalog import load_catalog

    cat = load_catalog(catalog)
    book: Any = None
    if pricebook is not None:
        from pricing.pricebook import load_pricebook

        book = load_pricebook(pricebook)
    store = ScenarioStore()
    skipped = []
    for path in scenarios:
        try:
            store.add_file(path)
        except PlannerError as exc:
            if not skip_invalid:
                raise
            skipped.append(exc.format())
    return Engine(store, cat, book), skipped


def build_app(scenarios: Sequence[str | Path], catalog: str | None = None, pricebook: str | None = None,
              **kw: Any) -> Starlette:
    from planner.serve.app import create_app

    engine, _ = build_engine(scenarios, catalog, pricebook)
    return create_app(engine, **kw)

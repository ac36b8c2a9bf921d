"""planner: what ML workloads cost on AWS, GCP and Azure, how much hardware they need, and how both grow.

Python API (the CLI is a thin layer over these)::

    import planner
    sc = planner.load_scenario("scenarios/chat-assistant.yaml")
    result = planner.compare(sc)            # catalog=None: the active catalog
    result.to_frame()                       # line items as a pandas DataFrame
    planner.scale_curve(sc, "chat", qps=[1, 10, 100])
    planner.sweep(sc, {"workloads.chat.qps_peak": [20, 40, 80]}).plot()   # what-if: see docs/api.md
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "PlannerError",
    "compare",
    "diff",
    "load_catalog",
    "load_scenario",
    "monte_carlo",
    "scale_curve",
    "sensitivity",
    "sweep",
    "what_if",
]
__version__ = "0.1.0"

_LAZY = {
    "load_scenario": ("planner.scenario", "load_scenario"),
    "compare": ("planner.comparison", "compare"),
    "scale_curve": ("planner.comparison", "scale_curve"),
    "PlannerError": ("planner.errors", "PlannerError"),
    "load_catalog": ("pricing.catalog", "load_catalog"),
    "what_if": ("planner.whatif.overrides", "what_if"),
    "sweep": ("planner.whatif.api", "sweep"),
    "monte_carlo": ("planner.whatif.api", "monte_carlo"),
    "sensitivity": ("planner.whatif.api", "sensitivity"),
    "diff": ("planner.whatif.api", "diff"),
}


def __getattr__(name: str) -> Any:  # lazy so `import planner` (and `planner --help`) stays instant
    if name in _LAZY:
        import importlib

        mod, attr = _LAZY[name]
        return getattr(importlib.import_module(mod), attr)
    raise AttributeError(f"module 'planner' has no attribute {name!r}")

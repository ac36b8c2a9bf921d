"""What-if analysis: scenarios with fields changed, sweeps over grids of changes, uncertainty and sensitivity.

``what_if`` makes one changed scenario; ``sweep``, ``monte_carlo`` and ``sensitivity`` evaluate many at once on
the vectorised engine (:mod:`planner.whatif.engine`); ``diff`` says what changed between two scenarios and what
it did to each cloud's cost.
"""

from __future__ import annotations

from typing import Any

from planner.whatif.overrides import OverrideError, what_if

__all__ = ["DiffResult", "GridError", "McResult", "OverrideError", "SensitivityResult", "SweepResult", "diff",
           "monte_carlo", "sensitivity", "sweep", "what_if"]

_LAZY = {
    "sweep": "planner.whatif.api", "monte_carlo": "planner.whatif.api", "sensitivity": "planner.whatif.api",
    "diff": "planner.whatif.api", "GridError": "planner.whatif.core", "SweepResult": "planner.whatif.results",
    "McResult": "planner.whatif.results", "SensitivityResult": "planner.whatif.results",
    "DiffResult": "planner.whatif.results",
}


def __getattr__(name: str) -> Any:  # pandas and scipy load on first use, not on `import planner.whatif`
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'planner.whatif' has no attribute {name!r}")

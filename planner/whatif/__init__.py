"""What-if analysis: scenarios with fields changed, sweeps over grids of changes, uncertainty and sensitivity.

``what_if`` makes one changed scenario; ``sweep``, ``monte_carlo`` and ``sensitivity`` evaluate many at once on
the vectorised engine (:mod:`planner.whatif.engine`); ``diff`` says what changed between two scenarios and what
it did to each cloud's cost.
"""

from __future__ import annotations

from planner.whatif.overrides import OverrideError, what_if

__all__ = ["OverrideError", "what_if"]

"""The vectorised what-if engine (numpy): see :mod:`planner.whatif.core` for what it evaluates."""

from __future__ import annotations

from typing import Any

from planner.scenario import Scenario


def evaluate_numpy(scenario: Scenario, table: Any, *, catalog: Any = None, workload: str | None = None,
                   progress: Any = None) -> Any:
    from planner.whatif.core import exact_rows

    return exact_rows(scenario, table, catalog=catalog, workload=workload)

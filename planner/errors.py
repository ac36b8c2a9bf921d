"""One error root for everything the user can get wrong.

The classes live in :mod:`pricing.errors` (the lower layer, so the pricing package needs nothing from
``planner``); this module re-exports them for the planner side and for users of the Python API.
The CLI catches :class:`PlannerError` once and prints ``Error: <message>`` on stderr with
:attr:`PlannerError.exit_code` (2 for bad input).
"""

from __future__ import annotations

from pricing.errors import (
    CatalogError,
    InputError,
    PlannerError,
    SourceError,
    UnknownNameError,
    one_line,
    quoted,
    suggest,
)

__all__ = ["CatalogError", "InputError", "PlannerError", "SourceError", "UnknownNameError", "one_line", "quoted",
           "suggest"]

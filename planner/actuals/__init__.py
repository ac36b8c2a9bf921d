"""Actual cloud spend: billing exports of AWS, Azure, Google Cloud and OCI (or FOCUS files of any provider)
normalized to FOCUS columns, and summaries of them per month, provider, service and tag.

    from planner.actuals import read_actuals, summarize
    frame = read_actuals(["cur/2026-03/", "azure_amortized.csv"])   # one FOCUS row per charge
    summarize(frame, by=("month", "provider", "service", "tag:team"))

See docs/actuals.md for the formats read and how each provider's amortized cost is derived.
"""

from __future__ import annotations

from typing import Any

__all__ = ["FOCUS_COLUMNS", "detect_format", "read_actuals", "summarize"]

_LAZY = {
    "FOCUS_COLUMNS": ("planner.actuals.focus", "FOCUS_COLUMNS"),
    "detect_format": ("planner.actuals.sources", "detect_format"),
    "read_actuals": ("planner.actuals.reader", "read_actuals"),
    "summarize": ("planner.actuals.summary", "summarize"),
}


def __getattr__(name: str) -> Any:  # lazy: pandas and pyarrow load on first use, not on import
    if name in _LAZY:
        import importlib

        mod, attr = _LAZY[name]
        value = getattr(importlib.import_module(mod), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'planner.actuals' has no attribute {name!r}")

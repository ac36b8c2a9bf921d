"""The P10-P90 band on the page (placeholder until the band is computed here)."""

from __future__ import annotations


def available() -> bool:
    return False

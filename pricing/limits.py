"""Bounds on the numbers an offer may carry: prices, tier boundaries, instance shapes.

They keep out what no price source publishes -- NaN, infinities, ``1e999999999``, negative counts, a
positive price so small that writing it out takes thousands of digits -- not figures that are merely
unusual. Every bound is far outside published figures: the largest price in the SkyPilot-format
reference catalogs of 2026-05-20 is a GCP TPU v5p-12288 slice at 29,362.176 USD/h, the largest instance
has 832 vCPUs (Azure) and 15,200 GiB of memory, and no instance has more than 16 accelerators. Sources
may apply tighter bounds of their own (a price per instance-hour, see :mod:`pricing.sources.skypilot`).
"""

from __future__ import annotations

import math
from decimal import Decimal

PRICE_MAX = Decimal(1_000_000)  # USD per unit, any unit
PRICE_MIN = Decimal("1e-12")  # the smallest nonzero price; 0 itself is allowed (free tiers)
QUANTITY_MAX = Decimal("1e18")  # tier boundaries, in units per month
VCPUS_MAX = 100_000.0
MEMORY_GIB_MAX = 10_000_000.0
ACCELERATORS_MAX = 100_000


def show(value: object, width: int = 40) -> str:
    """A value quoted for a one-line message: escaped (no newlines or control characters) and shortened."""
    text = repr(value) if not isinstance(value, str) else ascii(value)
    return text if len(text) <= width else text[: width - 4] + "...'"


def decimal_problem(value: Decimal, *, low: Decimal = Decimal(0), high: Decimal = PRICE_MAX,
                    smallest: Decimal = PRICE_MIN, unit: str = "") -> str | None:
    """Why ``value`` is not a usable amount, or None: it must be finite, within [low, high], and 0 or at
    least ``smallest``. ``-0`` counts as 0."""
    if not value.is_finite():
        return "is not a finite number"
    if value < low:
        return "is negative" if low == 0 else f"is below {low}{unit}"
    if value > high:
        return f"is above {high}{unit}"
    if value != 0 and abs(value) < smallest:
        return f"is below {smallest:f}{unit} (too small to be a price)"
    return None


def float_problem(value: float, *, high: float, positive: bool = True) -> str | None:
    """Why ``value`` is not a usable count or size, or None: finite, positive (or >= 0), at most ``high``."""
    if not math.isfinite(value):
        return "is not a finite number"
    if positive and value <= 0:
        return "is not positive"
    if value < 0:
        return "is negative"
    if value > high:
        return f"is above {high:g}"
    return None

"""Money at the edges: Decimal amounts rounded to cents for JSON and text. Never ``$-0.00``."""

from __future__ import annotations

from decimal import Decimal

CENT = Decimal("0.01")


def cents(x: Decimal) -> Decimal:
    """``x`` rounded to cents; a negative amount that rounds to zero is zero (no ``-0.00``)."""
    q = x.quantize(CENT)
    return q.copy_abs() if q.is_zero() else q


def money(x: Decimal | None) -> float | None:
    """JSON money: a float rounded to cents, None (null) when missing."""
    return None if x is None else float(cents(x))


def fmt_money(x: Decimal | None) -> str:
    """Text money: ``$1,234.50``, or ``unpriced`` when missing (never ``$0``)."""
    return "unpriced" if x is None else f"${cents(x):,.2f}"

"""Numbers from files and flags that are really numbers.

One rule set for scenarios, price books, model configs and command-line flags:

* ``NaN``, ``Infinity`` and anything that overflows to infinity (``1e999999999``) are refused;
* ``true``/``false`` are not numbers (YAML 1.1 also reads ``yes``, ``no``, ``on`` and ``off`` as booleans);
* a non-zero value closer to zero than :data:`TINY` (``5e-324``) is refused: no quantity here is that small,
  and dividing by it overflows;
* ``-0.0`` is ``0``.

:func:`number_problem` says what is wrong (or None); :func:`finite_float` converts or raises ``ValueError``
with that text, for callers to wrap in their own one-line error naming the file and field.
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation

TINY = 1e-9
BOOL_HINT = "YAML reads yes, no, on and off as true and false"


def number_problem(value: object) -> str | None:
    """Why ``value`` (a parsed number, or text meant as one) is not a usable number; None when it is."""
    if isinstance(value, bool):
        return f"must be a number, not {str(value).lower()} ({BOOL_HINT})"
    if isinstance(value, (bytes, bytearray)):
        return "must be a number, not binary data"
    if isinstance(value, str):
        try:
            d = Decimal(value.strip().replace("_", ""))
        except InvalidOperation:
            return f"must be a number, not {value!r}"
        return _decimal_problem(d, value)
    if isinstance(value, Decimal):
        return _decimal_problem(value, value)
    if isinstance(value, int):
        try:
            float(value)
        except OverflowError:
            return f"is too large for any quantity ({len(str(abs(value)))} digits); check the units"
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return "must be a number, not NaN"
        if math.isinf(value):
            return f"must be a finite number, not {value}"
        if value != 0 and abs(value) < TINY:
            return f"{value!r} is too close to zero to be a real quantity; give 0 or at least {TINY:g}"
        return None
    return f"must be a number, not {type(value).__name__}"


def _decimal_problem(d: Decimal, shown: object) -> str | None:
    if d.is_nan():
        return f"must be a number, not {shown!r}"
    if d.is_infinite():
        return f"must be a finite number, not {shown!r}"
    if d != 0 and d.adjusted() > 307 and math.isinf(float(d)):
        return f"{shown!r} is too large for any quantity; check the units"
    if d != 0 and abs(d) < Decimal(str(TINY)):
        return f"{shown!r} is too close to zero to be a real quantity; give 0 or at least {TINY:g}"
    return None


def finite_float(value: object) -> float:
    """``value`` as a finite float (``-0.0`` -> ``0.0``), or ``ValueError`` saying why it is not a number."""
    problem = number_problem(value)
    if problem:
        raise ValueError(problem)
    out = float(value.strip().replace("_", "") if isinstance(value, str) else value)  # type: ignore[arg-type]
    return out + 0.0  # -0.0 + 0.0 == 0.0


def finite_decimal(value: object) -> Decimal:
    """``value`` as a finite Decimal (``-0`` -> ``0``), read from its text so ``0.1`` stays exact."""
    problem = number_problem(value)
    if problem:
        raise ValueError(problem)
    d = Decimal(value.strip().replace("_", "") if isinstance(value, str) else str(value))
    return d if d != 0 else Decimal(0)


def has_control_chars(text: str, *, allow: str = "") -> bool:
    """True when ``text`` holds a control character (line break, tab, escape, ...) not in ``allow``."""
    import unicodedata

    return not text.isprintable() and any(
        ch not in allow and (unicodedata.category(ch) in ("Cc", "Zl", "Zp")) for ch in text
    )

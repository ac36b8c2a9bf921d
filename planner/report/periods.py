"""Calendar months (YYYY-MM), days in them, and amounts as text in a billing currency."""

from __future__ import annotations

import calendar
import math
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from planner.errors import InputError
from planner.money import cents

_MONTH = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str, *, field: str = "--month", where: str | None = None) -> Month:
        m = _MONTH.match(str(text).strip())
        if not m:
            raise InputError(f"a month is written YYYY-MM, e.g. 2026-03; got {text!r}", where=where, field=field)
        return cls(int(m.group(1)), int(m.group(2)))

    @classmethod
    def of(cls, d: date) -> Month:
        return cls(d.year, d.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def __add__(self, n: int) -> Month:
        i = self.year * 12 + self.month - 1 + n
        return Month(i // 12, i % 12 + 1)

    def __sub__(self, other: Month) -> int:
        """Months from ``other`` to this one."""
        return (self.year - other.year) * 12 + self.month - other.month

    @property
    def days(self) -> int:
        return calendar.monthrange(self.year, self.month)[1]

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    def day(self, n: int) -> date:
        return date(self.year, self.month, n)


def month_range(start: Month, end: Month) -> list[Month]:
    """``start`` to ``end`` inclusive (empty when end is before start)."""
    return [start + i for i in range(end - start + 1)]


SYMBOLS = {"USD": "$"}


def fmt_amount(x: Decimal | None, currency: str, missing: str = "missing") -> str:
    """``$1,234.50`` in USD, ``1,234.50 EUR`` in other currencies; ``missing`` when unknown (never 0)."""
    if x is None:
        return missing
    c = cents(x)
    sym = SYMBOLS.get(currency)
    if sym:
        return f"-{sym}{-c:,.2f}" if c < 0 else f"{sym}{c:,.2f}"
    return f"{c:,.2f} {currency}"


def fmt_signed(x: Decimal | None, currency: str, missing: str = "missing") -> str:
    """An amount with its sign always shown: ``+$12.00``, ``-$3.50``."""
    if x is None:
        return missing
    text = fmt_amount(x, currency)
    return text if text.startswith("-") else "+" + text


def fmt_pct(x: float | None, signed: bool = False, missing: str = "n/a") -> str:
    if x is None:
        return missing
    return f"{x:+.1f}%" if signed else f"{x:.1f}%"


def pct(part: Decimal | None, whole: Decimal | None) -> float | None:
    """``part`` as a percentage of ``whole``; None when either is unknown or the whole is zero."""
    if part is None or whole is None or whole == 0:
        return None
    return round(float(part / whole * 100), 1)


def fmt_unit(x: float | None, currency: str) -> str:
    """A unit cost: 4 decimals below 1 (``$0.0271``), cents from 1 up; ``n/a`` when unknown."""
    if x is None:
        return "n/a"
    a = abs(x)
    if a >= 1 or a == 0:
        body = f"{a:,.2f}"
    else:  # at least 4 decimals, and 3 significant digits however small
        body = f"{a:.{max(4, 2 - math.floor(math.log10(a)))}f}"
    sign = "-" if x < 0 else ""
    sym = SYMBOLS.get(currency)
    return f"{sign}{sym}{body}" if sym else f"{sign}{body} {currency}"

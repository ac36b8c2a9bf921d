"""What every price source implements, and the small pieces they share.

A source reads one provider's public prices and yields :class:`pricing.schema.Offer` rows:

* prices are :class:`~decimal.Decimal` in USD per unit, parsed from the provider's decimal strings
  (never through float);
* ``source`` names the API the figure came from (for example ``aws:pricing.get_products``), never
  an endpoint with credentials or tokens in it;
* ``fetched_at`` is one ISO-8601 UTC timestamp per :meth:`PriceSource.fetch` call.

Missing prices
--------------
An item the provider lists for a product we model, but without a usable price (no price term, an
empty price), becomes an Offer with ``price=None`` -- missing, never 0. An item we do not model at
all (Windows images, custom machine parts, other currencies, a storage class outside
:data:`pricing.schema.STORAGE_CLASSES`) is skipped and counted in :attr:`FetchStats.skipped` under
a reason, so a caller can report "1,204 offers, 3,880 items skipped (windows: 3,100, ...)".
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Protocol, runtime_checkable

from pricing.errors import InputError, SourceError
from pricing.schema import Offer

Progress = Callable[[str, int], None]
"""``progress(stage, items_so_far)``: called as pages arrive, e.g. ``("aws us-east-1 ec2", 300)``."""

HOURS_1Y = Decimal(8760)  # 365 days x 24 h: the hours a 1-year commitment covers
HOURS_3Y = Decimal(26280)  # 3 x 8760


@runtime_checkable
class PriceSource(Protocol):
    """One provider's live price list."""

    name: str

    def fetch(
        self, regions: Sequence[str] | None = None, *, progress: Progress | None = None
    ) -> Iterator[Offer]:
        """Yield offers for ``regions`` (provider region ids; None = the source's default set)."""
        ...


@dataclass
class FetchStats:
    """What one fetch read: pages and items seen, offers made, items skipped by reason."""

    pages: int = 0
    items: int = 0
    offers: int = 0
    missing_prices: int = 0
    skipped: Counter[str] = field(default_factory=Counter)

    def skip(self, reason: str, n: int = 1) -> None:
        self.skipped[reason] += n

    def summary(self) -> str:
        reasons = ", ".join(f"{k}: {v}" for k, v in self.skipped.most_common())
        text = f"{self.offers} offers ({self.missing_prices} without price) from {self.items} items"
        return text + (f"; skipped {sum(self.skipped.values())} ({reasons})" if reasons else "")


REGION_FORMS = {
    "aws": (re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d+$"), "us-east-1"),
    "gcp": (re.compile(r"^[a-z]+-[a-z]+\d+$"), "us-central1"),
    "azure": (re.compile(r"^[a-z][a-z0-9]*$"), "eastus"),
}


def check_regions(provider: str, regions: Sequence[str]) -> list[str]:
    """``regions`` unchanged when each looks like a ``provider`` region id; else an InputError."""
    pattern, example = REGION_FORMS[provider]
    for region in regions:
        if not pattern.match(region):
            raise InputError(f"{region!r} is not a region id of {provider}; use ids like {example!r}")
    return list(regions)


def utc_now_iso() -> str:
    """Now, as an ISO-8601 UTC timestamp with seconds (``2026-11-26T07:30:00Z``)."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def iso_date(text: str | None) -> str:
    """The date part of an ISO timestamp (``2024-08-01T00:00:00Z`` -> ``2024-08-01``); '' if absent."""
    return (text or "")[:10]


def decimal_price(text: object, *, what: str) -> Decimal | None:
    """A provider's price string or number as Decimal; None when empty.

    Raises :class:`SourceError` when the value is present but not a number, since that means the
    page is damaged, not that the price is missing.
    """
    if text is None or (isinstance(text, str) and text.strip() == ""):
        return None
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        raise SourceError(
            f"{what}: price {str(text)[:40]!r} is not a number; the page looks damaged"
        ) from None
    if not value.is_finite() or value < 0:
        raise SourceError(f"{what}: price {str(text)[:40]!r} is not a valid amount; the page looks damaged")
    return plain(value)


def plain(value: Decimal) -> Decimal:
    """``value`` without trailing zeros and never in exponent form (0.020000000 -> 0.02, 1024.0 -> 1024)."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def report(progress: Progress | None, stage: str, n: int) -> None:
    if progress is not None:
        progress(stage, n)

"""What changed between two catalogs: prices that went up or down, offers that appeared or vanished.

Offers are matched on the key (provider, region, resource, instance_type, storage_class,
purchase_option, tier_start). A change is reported when the relative change ``(new - old) / old``
is at least ``threshold_pct`` percent in either direction. An offer whose price went from a figure to
missing (or back) is reported as ``lost_price`` / ``gained_price``, never as a change to or from 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pricing.catalog import Catalog
from pricing.schema import Offer

KEY_FIELDS = ("provider", "region", "resource", "instance_type", "storage_class", "purchase_option", "tier_start")
Key = tuple[Any, ...]


def offer_key(o: Offer) -> Key:
    return tuple(getattr(o, f) for f in KEY_FIELDS)


@dataclass(frozen=True)
class PriceChange:
    key: Key
    unit: str
    old_price: Decimal | None
    new_price: Decimal | None

    @property
    def change_pct(self) -> float | None:
        if self.old_price is None or self.new_price is None or self.old_price == 0:
            return None
        return float((self.new_price - self.old_price) / self.old_price * 100)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {f: (str(v) if isinstance(v, Decimal) else v) for f, v in zip(KEY_FIELDS, self.key)}
        pct = self.change_pct
        out.update(
            unit=self.unit,
            old_price=None if self.old_price is None else str(self.old_price),
            new_price=None if self.new_price is None else str(self.new_price),
            change_pct=None if pct is None else round(pct, 4),
        )
        return out


@dataclass
class CatalogDiff:
    a: str
    b: str
    cheaper: list[PriceChange] = field(default_factory=list)
    dearer: list[PriceChange] = field(default_factory=list)
    lost_price: list[PriceChange] = field(default_factory=list)
    gained_price: list[PriceChange] = field(default_factory=list)
    appeared: list[Offer] = field(default_factory=list)
    vanished: list[Offer] = field(default_factory=list)
    unchanged: int = 0

    def summary(self) -> dict[str, int]:
        return {
            "cheaper": len(self.cheaper),
            "dearer": len(self.dearer),
            "lost_price": len(self.lost_price),
            "gained_price": len(self.gained_price),
            "appeared": len(self.appeared),
            "vanished": len(self.vanished),
            "unchanged": self.unchanged,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "summary": self.summary(),
            "cheaper": [c.to_dict() for c in self.cheaper],
            "dearer": [c.to_dict() for c in self.dearer],
            "lost_price": [c.to_dict() for c in self.lost_price],
            "gained_price": [c.to_dict() for c in self.gained_price],
            "appeared": [o.to_dict() for o in self.appeared],
            "vanished": [o.to_dict() for o in self.vanished],
        }


def _index(cat: Catalog) -> dict[Key, Offer]:
    # Duplicate keys (e.g. several SKUs for one instance) keep the first offer.
    idx: dict[Key, Offer] = {}
    for o in cat.offers:
        idx.setdefault(offer_key(o), o)
    return idx


def diff_catalogs(a: Catalog, b: Catalog, *, threshold_pct: float = 0.0) -> CatalogDiff:
    """Compare ``a`` (old) with ``b`` (new); changes smaller than ``threshold_pct`` % count as unchanged."""
    ia, ib = _index(a), _index(b)
    out = CatalogDiff(a.name, b.name)
    for key, old in ia.items():
        new = ib.get(key)
        if new is None:
            out.vanished.append(old)
            continue
        ch = PriceChange(key, new.unit, old.price, new.price)
        if old.price is not None and new.price is None:
            out.lost_price.append(ch)
        elif old.price is None and new.price is not None:
            out.gained_price.append(ch)
        elif old.price is None or new.price is None or old.price == new.price:
            out.unchanged += 1
        elif old.price == 0:
            # free -> priced: no percentage exists; always report
            out.dearer.append(ch)
        else:
            pct = ch.change_pct or 0.0
            if abs(pct) < threshold_pct:
                out.unchanged += 1
            elif pct < 0:
                out.cheaper.append(ch)
            else:
                out.dearer.append(ch)
    out.appeared = [o for k, o in ib.items() if k not in ia]
    out.cheaper.sort(key=lambda c: c.change_pct or 0.0)
    out.dearer.sort(key=lambda c: -(c.change_pct if c.change_pct is not None else float("inf")))
    return out

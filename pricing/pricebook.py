"""Price books: negotiated discounts and private rates applied on top of list prices.

A ``pricebook.yaml``::

    name: acme-2026
    discounts:                 # percent off the list price
      - provider: aws
        percent: 12            # e.g. an enterprise discount on everything at AWS
      - provider: aws
        family: p5             # instance family: p5.48xlarge, p5.4xlarge (not p5e.*)
        percent: 30
      - provider: gcp
        service: Cloud Storage
        region: us-central1
        percent: 10
    rates:                     # private rates replace the list price outright
      - provider: azure
        instance_type: Standard_ND96isr_H100_v5
        region: eastus
        purchase_option: on_demand
        usd_per_hour: 60.0

Matching and precedence
-----------------------
* A rule matches an offer when every field it gives matches; fields it leaves out match anything.
  Text fields compare case-insensitively. ``family`` matches an instance type that starts with it
  followed by ``.``, ``-``, ``_`` or the end (``p5`` matches ``p5.48xlarge``, not ``p5e.48xlarge``;
  ``a3-highgpu`` matches ``a3-highgpu-8g``).
* A matching **rate** wins over any discount. Among rates, and among discounts, the most specific
  rule wins: the one giving the most fields besides ``provider``; on a tie, the rule listed first.
  Discounts do not stack.
* ``usd_per_hour`` applies to hourly offers only; ``usd_per_unit`` applies in the offer's own unit.
* A discount needs a list price: an offer without one stays without one (``None``, never 0). A
  private rate is a price in its own right and applies even where the list price is missing.

Rates the catalog lacks
-----------------------
A rate that names an ``instance_type`` and a ``purchase_option`` the catalog does not price for that
type (a negotiated 1-year reservation quote for an instance the catalog prices only on demand, say)
adds an offer of that purchase option wherever the catalog lists the type (in the rule's ``region``
when it gives one). The added offer has no list price (``None``): it is *contracted* only, and its
``source`` says which price book it came from. See :meth:`PriceBook.added_offers`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from pricing.errors import InputError, suggest
from pricing.numbers import BOOL_HINT, finite_decimal, has_control_chars
from pricing.schema import PROVIDERS, PURCHASE_OPTIONS, RESOURCES, STORAGE_CLASSES, Offer
from pricing.yamlfile import path_text

MATCH_FIELDS = ("provider", "service", "region", "resource", "family", "instance_type", "storage_class",
                "purchase_option")
DISCOUNT_KEYS = (*MATCH_FIELDS, "percent", "note")
RATE_KEYS = (*MATCH_FIELDS, "usd_per_hour", "usd_per_unit", "note")
MAX_RATE_USD = 1_000_000  # per hour or per unit: far above any list price, so a unit mistake is caught
_CHOICES = {"provider": PROVIDERS, "resource": RESOURCES, "purchase_option": PURCHASE_OPTIONS,
            "storage_class": STORAGE_CLASSES}


@dataclass(frozen=True)
class Rule:
    """One discount (``percent``) or private rate (``usd``, per ``unit``) with what it matches."""

    kind: str  # "discount" | "rate"
    match: tuple[tuple[str, str], ...]
    index: int
    line: int | None = None
    percent: Decimal | None = None
    usd: Decimal | None = None
    unit: str | None = None  # None = the offer's unit
    note: str | None = None

    @property
    def specificity(self) -> int:
        return sum(1 for k, _ in self.match if k != "provider")

    def matches(self, offer: Offer) -> bool:
        if self.unit is not None and offer.unit != self.unit:
            return False
        for key, given in self.match:
            want = given.lower()
            if key == "family":
                itype = (offer.instance_type or "").lower()
                if not (itype.startswith(want) and (len(itype) == len(want) or itype[len(want)] in ".-_")):
                    return False
            elif (getattr(offer, key) or "").lower() != want:
                return False
        return True

    def describe(self) -> str:
        what = ", ".join(f"{k}={v}" for k, v in self.match) or "everything"
        if self.kind == "rate":
            per = "hour" if self.unit == "hour" else "unit"
            head = f"private rate {self.usd} USD/{per}"
        else:
            head = f"{self.percent}% discount"
        tail = f" ({self.note})" if self.note else ""
        return f"{head} for {what}{tail}"


@dataclass(frozen=True)
class PriceBook:
    name: str
    discounts: tuple[Rule, ...] = ()
    rates: tuple[Rule, ...] = ()
    path: str | None = None

    def _best(self, rules: tuple[Rule, ...], offer: Offer) -> Rule | None:
        best: Rule | None = None
        for r in rules:
            if r.matches(offer) and (best is None or r.specificity > best.specificity):
                best = r
        return best

    def applied_rule(self, offer: Offer) -> Rule | None:
        """The rule that sets the contracted price of ``offer`` (a rate before any discount), or None."""
        return self._best(self.rates, offer) or self._best(self.discounts, offer)

    def contracted_price(self, offer: Offer) -> Decimal | None:
        """The price after this book: a private rate, else list x (1 - percent/100), else the list price."""
        rule = self.applied_rule(offer)
        if rule is not None and rule.kind == "rate":
            return rule.usd
        if offer.price is None:
            return None
        if rule is None:
            return offer.price
        assert rule.percent is not None
        return offer.price * (100 - rule.percent) / 100

    def added_offers(self, offers: list[Offer]) -> list[Offer]:
        """Offers for the rates whose (instance type, purchase option) the catalog lacks in a region.

        The shape is copied from an offer of the same provider, region and instance type; price is
        None (no list price) and the contracted price comes from the rate (:meth:`contracted_price`).
        """
        from dataclasses import replace

        have = {(o.provider, o.region, (o.instance_type or "").lower(), o.purchase_option)
                for o in offers if o.resource == "instance"}
        base: dict[tuple[str, str, str], Offer] = {}
        for o in offers:
            if o.resource == "instance" and o.instance_type:
                base.setdefault((o.provider, o.region, o.instance_type.lower()), o)
        out: list[Offer] = []
        for rule in self.rates:
            m = dict(rule.match)
            itype, po = m.get("instance_type", "").lower(), m.get("purchase_option")
            if not itype or not po:
                continue
            for (prov, region, t), o in base.items():
                if t != itype or prov != m["provider"].lower() or m.get("region", region).lower() != region.lower():
                    continue
                if (prov, region, t, po) in have:
                    continue
                have.add((prov, region, t, po))
                out.append(replace(
                    o, purchase_option=po, price=None, sku=f"pricebook:{self.name}:{o.instance_type}:{region}:{po}",
                    source=f"price book {self.name} (contracted rate, no list price): {rule.describe()}",
                    tier_start=Decimal(0), tier_end=None,
                ))
        return out

    def rule_for(self, offer: Offer) -> str | None:
        """A human description of the rule applied to ``offer`` (None: list price applies)."""
        rule = self.applied_rule(offer)
        return None if rule is None else f"{self.name}: {rule.describe()}"


def _err(path: Path, msg: str, field: str, line: int | None) -> InputError:
    where = f"{path}:{line}" if line else str(path)
    return InputError(msg, where=where, field=field)


def _number(value: Any, path: Path, field: str, line: int | None) -> Decimal:
    """A finite Decimal from the file (``-0`` is 0), or a one-line error naming the field."""
    try:
        return finite_decimal(value)
    except ValueError as exc:
        raise _err(path, str(exc), field, line) from None


def _text(value: Any, path: Path, field: str, line: int | None) -> str:
    if isinstance(value, bool):
        raise _err(path, f"must be text, not {str(value).lower()} ({BOOL_HINT}; put quotes around it)", field, line)
    if not isinstance(value, str) or not value.strip():
        raise _err(path, f"must be a non-empty text, not {value!r}", field, line)
    if has_control_chars(value):
        raise _err(path, f"{value!r} holds a control character (a line break, tab or escape); write it on one line",
                   field, line)
    return value.strip()


def _rule(kind: str, i: int, item: Any, path: Path, lines: dict[Any, int]) -> Rule:
    section = "discounts" if kind == "discount" else "rates"
    at = f"{section}[{i}]"
    line = lines.get((section, i))
    if not isinstance(item, dict):
        raise _err(path, "must be a mapping of fields (provider, percent, ...)", at, line)
    allowed = DISCOUNT_KEYS if kind == "discount" else RATE_KEYS
    for key in item:
        if key not in allowed:
            raise _err(path, suggest(str(key), allowed, what="field"), path_text((section, i, key)),
                       lines.get((section, i, key)))
    if "provider" not in item:
        raise _err(path, "missing 'provider' (aws, gcp, azure or lambda)", at, line)
    match = []
    for key in item:  # file order, for descriptions that read like the file
        if key not in MATCH_FIELDS:
            continue
        fline = lines.get((section, i, key))
        value = _text(item[key], path, f"{at}.{key}", fline)
        if key in _CHOICES and value not in _CHOICES[key]:
            raise _err(path, suggest(value, _CHOICES[key], what=key.replace("_", " ")), f"{at}.{key}", fline)
        match.append((key, value))
    if "family" in item and "instance_type" in item:
        raise _err(path, "give 'family' or 'instance_type', not both", at, line)
    note = _text(str(item["note"]), path, f"{at}.note", lines.get((section, i, "note"))) if "note" in item else None
    if kind == "discount":
        if "percent" not in item:
            raise _err(path, "missing 'percent' (percent off the list price)", at, line)
        pct = _number(item["percent"], path, f"{at}.percent", lines.get((section, i, "percent")))
        if not 0 < pct < 100:
            raise _err(path, f"must be between 0 and 100 (exclusive), not {item['percent']}", f"{at}.percent",
                       lines.get((section, i, "percent")))
        return Rule("discount", tuple(match), i, line, percent=pct, note=note)
    given = [k for k in ("usd_per_hour", "usd_per_unit") if k in item]
    if len(given) != 1:
        raise _err(path, "give exactly one of 'usd_per_hour' or 'usd_per_unit'", at, line)
    usd = _number(item[given[0]], path, f"{at}.{given[0]}", lines.get((section, i, given[0])))
    if not 0 < usd <= MAX_RATE_USD:
        raise _err(path, f"must be more than 0 and at most {MAX_RATE_USD:,} USD, not {usd} (a zero price is "
                         "never an offer: leave the rule out where there is no price)", f"{at}.{given[0]}",
                   lines.get((section, i, given[0])))
    return Rule("rate", tuple(match), i, line, usd=usd, unit="hour" if given[0] == "usd_per_hour" else None, note=note)


def load_pricebook(path: str | Path) -> PriceBook:
    """Read and validate a price book; errors are one line naming the file, line and field."""
    from pricing.yamlfile import load_yaml

    path = Path(path)
    data, lines = load_yaml(path, what="price book")
    if not isinstance(data, dict):
        raise _err(path, "a price book is a mapping with 'name', 'discounts' and/or 'rates'", "top level", None)
    for key in data:
        if key not in ("name", "discounts", "rates"):
            raise _err(path, suggest(str(key), ("name", "discounts", "rates"), what="field"), path_text((key,)),
                       lines.get((key,)))
    name = data.get("name")
    if name is None or isinstance(name, str) and not name.strip():
        raise _err(path, "missing 'name' (a label shown next to contracted prices)", "name", lines.get(("name",)))
    name = _text(name, path, "name", lines.get(("name",)))
    rules: dict[str, tuple[Rule, ...]] = {}
    for section, kind in (("discounts", "discount"), ("rates", "rate")):
        items = data.get(section) or []
        if not isinstance(items, list):
            raise _err(path, "must be a list of rules", section, lines.get((section,)))
        rules[section] = tuple(_rule(kind, i, item, path, lines) for i, item in enumerate(items))
    return PriceBook(name, rules["discounts"], rules["rates"], str(path))

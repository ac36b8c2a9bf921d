"""Billing rules found wrong on review; each figure is worked out by hand beside it.

Catalogs are hand-made (prices as in tests/test_purchase_options.py) so every expected figure follows from them.
"""

from __future__ import annotations

from decimal import Decimal

from planner.capacity.requirements import ComputeOption, Requirement
from planner.comparison import compare
from planner.costing import cost_compute
from planner.scenario import scenario_from_dict
from pricing.catalog import Catalog
from pricing.schema import Offer
from tests.conftest import offer


def _p5(price: float, po: str) -> Offer:
    return offer(provider="aws", region="us-east-1", instance_type="p5.48xlarge", accelerator="H100-SXM",
                 accelerator_count=8, vcpus=192.0, memory_gib=2048.0, price=price, purchase_option=po)


def test_capacity_blocks_never_bill_more_days_than_the_month_has() -> None:
    # 120 runs a month of 6 h each (86,400 requests at 4 requests/s on one p5.48xlarge = 6 h): 4 runs a day.
    # On demand: 120 x 6 h = 720 h x 55.04 = 39,628.80.
    # A block per run would be 120 x 24 h = 2,880 h of blocks in a 730-h month (runs share days); the most
    # whole-day blocks a month can need is ceil(730 / 24) = 31 days = 744 h: 744 x 31.464 = 23,409.216,
    # cheaper than on demand, so the block is chosen.
    cat = Catalog("hand", "test", "2026-11-01", [_p5(55.04, "on_demand"), _p5(31.464, "capacity_block")])
    sc = scenario_from_dict({
        "name": "t", "horizon_months": 1,
        "compare": {"clouds": ["aws"], "purchase_options": ["on_demand", "capacity_block"]},
        "workloads": [{"name": "often", "type": "serving", "style": "batch", "requests_per_run": 86400,
                       "runs_per_month": 120, "window_hours": 6, "utilization_target": 1.0,
                       "replica": {"accelerator": "H100", "gpus": 8, "requests_per_s": 4}}],
    })
    item = compare(sc, cat).cloud("aws").items[0]
    assert item.options_by_purchase["on_demand"]["monthly_cost"] == 39628.80
    assert item.options_by_purchase["capacity_block"]["monthly_cost"] == 23409.22
    assert (item.purchase_option, item.hours) == ("capacity_block", Decimal(744))


def _t4(itype: str, n: int, price: float | None, po: str = "on_demand") -> Offer:
    return offer(provider="gcp", region="us-central1", instance_type=itype, accelerator="T4", accelerator_count=n,
                 vcpus=4.0 * n, memory_gib=15.0 * n, price=price, purchase_option=po)


def test_a_mixed_fleet_alternative_counts_every_instance() -> None:
    # 9 replicas of one T4, interruptible. Spot: 5 x T4x2 at 0.30 = 1.50/h wins (the only spot type, no mix).
    # On demand: mixed 4 x T4x2 + 1 x T4x1 = 3.56 + 0.54 = 4.10/h beats 5 x T4x2 = 4.45/h and 9 x T4x1 = 4.86/h;
    # as a runner-up it is 5 instances (4 + 1), 730 h x 4.10 = 2,993.00.
    cat = Catalog("hand", "test", "2026-11-01", [
        _t4("n1-standard-8+T4x2", 2, 0.89), _t4("n1-standard-4+T4x1", 1, 0.54), _t4("n1-standard-8+T4x2", 2, 0.30, "spot")])
    sc = scenario_from_dict({
        "name": "t", "horizon_months": 1, "compare": {"clouds": ["gcp"], "purchase_options": ["on_demand", "spot"]},
        "workloads": [{"name": "api", "type": "serving", "qps_mean": 9, "utilization_target": 1.0,
                       "interruptible": True, "replica": {"accelerator": "T4", "gpus": 1, "requests_per_s": 1}}],
    })
    item = compare(sc, cat).cloud("gcp").items[0]
    assert (item.purchase_option, item.count) == ("spot", 5)
    mixed = next(a for a in item.alternatives if " + " in a["instance_type"])
    assert mixed["cost"] == 2993.00
    assert mixed["count"] == 5


class _Book:
    """A price book quoting private hourly rates for instances that have no list price."""

    def __init__(self, rates: dict[str, Decimal]) -> None:
        self.rates = rates

    def contracted_price(self, o: Offer) -> Decimal | None:
        return self.rates.get(o.instance_type or "", o.price)


def test_a_mixed_fleet_never_shows_a_missing_list_price_as_zero() -> None:
    # No list prices; contracted 0.80/h (T4x2) and 0.50/h (T4x1). 9 replicas of one T4: mixed 4 x 0.80 + 1 x 0.50
    # = 3.70/h beats 5 x 0.80 = 4.00/h and 9 x 0.50 = 4.50/h: 730 h x 3.70 = 2,701.00 contracted, list unknown.
    offers = [_t4("n1-standard-8+T4x2", 2, None), _t4("n1-standard-4+T4x1", 1, None)]
    book = _Book({"n1-standard-8+T4x2": Decimal("0.80"), "n1-standard-4+T4x1": Decimal("0.50")})
    req = Requirement("api", "serving", (ComputeOption("T4", 1, 9, 730.0),))
    item = cost_compute(req, offers, ["on_demand"], "gcp", "us-central1", book)
    assert item.contracted_cost == Decimal("2701.00") and item.cost is None
    assert [f["unit_price"] for f in item.explain["mixed_fleet"]] == [None, None]

"""Volume tiers and free allowances belong to the account (per cloud and region), not to each workload.

Prices: the embedded catalog's AWS us-east-1 rows, from aws.amazon.com/s3/pricing (S3 Standard $0.023/GB-month
for the first 50 TB = 51,200 GB, $0.022 for the next 450 TB) and the EC2 data-transfer page (first 100 GB a
month to the internet free, then $0.09/GB up to 10 TB).
"""

from __future__ import annotations

from decimal import Decimal

from planner.comparison import compare
from planner.scenario import scenario_from_dict
from pricing.catalog import load_catalog


def _two_stores(**store):  # type: ignore[no-untyped-def]
    base = {"type": "storage", "class": "object_standard", "gb": 30000}
    base.update(store)
    return scenario_from_dict({
        "name": "t", "horizon_months": 1, "compare": {"clouds": ["aws"], "regions": {"aws": ["us-east-1"]}},
        "workloads": [{**base, "name": "a"}, {**base, "name": "b"}],
    })


def _items(res, resource):  # type: ignore[no-untyped-def]
    return [i for i in res.cloud("aws").items if i.resource == resource]


def test_two_stores_share_one_tier_ladder() -> None:
    res = compare(_two_stores(), load_catalog("embedded"))
    a, b = _items(res, "storage")
    # 60,000 GB on one ladder: 51,200 x 0.023 + 8,800 x 0.022 = 1,177.60 + 193.60 = 1,371.20 (not 2 x 690.00)
    assert a.cost + b.cost == Decimal("1371.200")
    assert a.cost == b.cost == Decimal("685.600")  # split in proportion: 30,000 / 60,000 each
    assert a.explain["account_quantity"] == 60000.0 and a.explain["share"] == 0.5
    assert "in proportion" in a.explain["split"]
    assert res.cloud("aws").monthly_cost == Decimal("1371.200")


def test_free_egress_allowance_is_given_once_per_account() -> None:
    res = compare(_two_stores(gb=1, egress_gb_per_month=100), load_catalog("embedded"))
    a, b = _items(res, "egress")
    # 200 GB out in all: the first 100 GB free once, the next 100 GB at 0.09 = 9.00, 4.50 each (not 0 + 0)
    assert a.cost + b.cost == Decimal("9.00")
    assert a.cost == Decimal("4.50")


def test_a_single_store_is_billed_on_its_own_quantity() -> None:
    sc = scenario_from_dict({
        "name": "t", "horizon_months": 1, "compare": {"clouds": ["aws"], "regions": {"aws": ["us-east-1"]}},
        "workloads": [{"name": "a", "type": "storage", "gb": 60000}],
    })
    (item,) = _items(compare(sc, load_catalog("embedded")), "storage")
    assert item.cost == Decimal("1371.200")
    assert "split" not in item.explain


def test_csv_shows_the_blended_unit_price_totals_and_winner() -> None:
    import csv
    import io

    from planner.render import to_csv

    rows = list(csv.DictReader(io.StringIO(to_csv(compare(_two_stores(), load_catalog("embedded"))))))
    store = [r for r in rows if r["resource"] == "storage"]
    # 685.60 charged for 30,000 GB-months: 0.022853 on average, not the first tier's 0.023
    assert [float(r["unit_price"]) for r in store] == [round(685.60 / 30000, 6)] * 2
    total = next(r for r in rows if r["kind"] == "total")
    assert (total["cloud"], float(total["horizon_cost"]), total["status"]) == ("aws", 1371.2, "complete")
    win = next(r for r in rows if r["kind"] == "winner")
    assert win["cloud"] == "aws"

"""Costing rules: hours, tiers, cheapest fit, commitments, spot, unpriced. Prices here are test inputs."""

from __future__ import annotations

from decimal import Decimal

import pytest

from planner.capacity.requirements import ComputeOption, Requirement, StorageNeed
from planner.costing import cost_compute, cost_storage, fit_instances, tiered_cost
from pricing.catalog import Catalog
from tests.conftest import offer


def l4(itype: str, n: int, price: float | None, po: str = "on_demand", region: str = "us-east-1"):
    return offer(instance_type=itype, accelerator="L4", accelerator_count=n, vcpus=4.0 * n, memory_gib=16.0 * n,
                 price=price, purchase_option=po, region=region)


def test_month_is_730_hours_and_cost_is_exact_decimal():
    req = Requirement("chat", "serving", (ComputeOption("L4", 1, 2),))
    item = cost_compute(req, [l4("g6.xlarge", 1, 0.8048)], ["on_demand"], "aws", "us-east-1")
    # 2 instances x 730 h x $0.8048 = $1,175.008 exactly
    assert item.hours == Decimal(730)
    assert item.count == 2
    assert item.cost == Decimal("1175.0080")
    assert isinstance(item.cost, Decimal)


def test_workload_hours_override_730():
    req = Requirement("office-hours", "serving", (ComputeOption("L4", 1, 1, hours=220.0),))
    item = cost_compute(req, [l4("g6.xlarge", 1, 1.0)], ["on_demand"], "aws", "us-east-1")
    assert item.cost == Decimal("220.0")


def test_cheapest_fit_packs_replicas_and_keeps_runners_up():
    # 3 one-GPU replicas: 3 x g6.xlarge = 3 x 1.00 = 3.00/h; 1 x g6.12xlarge (4 GPUs) = 2.50/h -> the big box wins
    offers = [l4("g6.xlarge", 1, 1.00), l4("g6.12xlarge", 4, 2.50), l4("g6.48xlarge", 8, 9.0)]
    req = Requirement("s", "serving", (ComputeOption("L4", 1, 3),))
    item = cost_compute(req, offers, ["on_demand"], "aws", "us-east-1")
    assert (item.instance_type, item.count) == ("g6.12xlarge", 1)
    assert item.cost == Decimal("2.50") * 730
    alts = [(a["instance_type"], a["count"], a["cost"]) for a in item.alternatives]
    assert alts == [("g6.xlarge", 3, 2190.0), ("g6.48xlarge", 1, 6570.0)]


def test_replica_larger_than_instance_does_not_fit_serving_but_spans_nodes_for_training():
    box = offer(instance_type="p5.48xlarge", accelerator="H100-SXM", accelerator_count=8, vcpus=192.0, memory_gib=2048.0, price=55.04)
    opt = ComputeOption("H100-SXM", 16, 1, hours=10.0)
    assert fit_instances(opt, box, largest=8, allow_span=False) is None
    assert fit_instances(opt, box, largest=8, allow_span=True) == 2
    item = cost_compute(Requirement("pretrain", "training", (opt,), True), [box], ["on_demand"], "aws", "us-east-1")
    # 2 nodes x 10 h x $55.04 = $1,100.80
    assert item.cost == Decimal("1100.80")


def test_flexible_gpu_hours_split_across_whole_instances():
    box = offer(instance_type="p5.48xlarge", accelerator="H100-SXM", accelerator_count=8, vcpus=192.0, memory_gib=2048.0, price=55.04)
    opt = ComputeOption("H100-SXM", packing="flexible", accelerator_hours=8000.0)
    item = cost_compute(Requirement("ft", "training", (opt,), True), [box], ["on_demand"], "aws", "us-east-1")
    # 8000 GPU-h / 8 = 1000 instance-hours > 730 h in a month -> 2 instances x 500 h; cost 1000 x 55.04
    assert (item.count, item.hours) == (2, Decimal(500))
    assert item.cost == Decimal("55040.00")


def test_commitment_bills_every_hour_of_the_month():
    offers = [l4("g6.xlarge", 1, 1.00), l4("g6.xlarge", 1, 0.60, po="reserved_1y")]
    half = Requirement("s", "serving", (ComputeOption("L4", 1, 1, hours=300.0),))
    item = cost_compute(half, offers, ["on_demand", "reserved_1y"], "aws", "us-east-1")
    # on-demand 300 h x 1.00 = 300 beats reserved 730 h x 0.60 = 438 (break-even at 0.60 x 730 = 438 h)
    assert (item.purchase_option, item.cost) == ("on_demand", Decimal("300.00"))
    # break-even utilization = 0.60 / 1.00: the reservation pays off above 60% of the month (438 h)
    assert item.options_by_purchase == {"on_demand": {"monthly_cost": 300.0},
                                        "reserved_1y": {"monthly_cost": 438.0, "break_even_utilization": 0.6}}
    full = Requirement("s", "serving", (ComputeOption("L4", 1, 1),))
    item = cost_compute(full, offers, ["on_demand", "reserved_1y"], "aws", "us-east-1")
    assert (item.purchase_option, item.cost) == ("reserved_1y", Decimal("438.00"))


def test_commitments_not_used_for_one_off_runs():
    offers = [l4("g6.xlarge", 1, 1.00), l4("g6.xlarge", 1, 0.10, po="reserved_3y")]
    req = Requirement("once", "training", (ComputeOption("L4", 1, 1, hours=100.0, one_time=True),), True)
    item = cost_compute(req, offers, ["on_demand", "reserved_3y"], "aws", "us-east-1")
    assert item.purchase_option == "on_demand"


def test_spot_only_for_interruptible_workloads():
    offers = [l4("g6.xlarge", 1, 1.00), l4("g6.xlarge", 1, 0.30, po="spot")]
    opt = (ComputeOption("L4", 1, 1),)
    assert cost_compute(Requirement("rt", "serving", opt, False), offers, ["on_demand", "spot"], "aws", "x").purchase_option == "on_demand"
    assert cost_compute(Requirement("bt", "serving", opt, True), offers, ["on_demand", "spot"], "aws", "x").purchase_option == "spot"


def test_missing_price_is_unpriced_never_zero():
    req = Requirement("s", "serving", (ComputeOption("H200", 8, 1),))
    box = offer(instance_type="p5e.48xlarge", accelerator="H200", accelerator_count=8, vcpus=192.0, memory_gib=2048.0, price=None)
    item = cost_compute(req, [box], ["on_demand"], "aws", "us-east-1")
    assert item.status == "unpriced" and item.cost is None and item.monthly_cost is None
    assert "p5e.48xlarge" in item.note
    gone = cost_compute(req, [], ["on_demand"], "aws", "us-east-1")
    assert gone.status == "unavailable" and gone.cost is None


def test_cpu_replicas_pack_by_vcpus_and_memory():
    c7i = offer(instance_type="c7i.2xlarge", vcpus=8.0, memory_gib=16.0, price=0.357)
    gpu = l4("g6.xlarge", 1, 0.1)  # a GPU box is never used for CPU serving
    opt = ComputeOption(None, 0, 5, vcpus_per_replica=4.0, memory_gib_per_replica=4.0)
    item = cost_compute(Requirement("api", "serving", (opt,)), [c7i, gpu], ["on_demand"], "aws", "us-east-1")
    # 2 replicas per 8-vCPU box -> ceil(5/2) = 3 boxes x 730 h x 0.357 = 781.83
    assert (item.instance_type, item.count, item.cost) == ("c7i.2xlarge", 3, Decimal("781.830"))


def _s3_tiers(region="us-east-1"):
    # S3 Standard shape: first 50 TB at 0.023, next 450 TB at 0.022, over 500 TB at 0.021 (GB = 1024 per TB)
    t = {"provider": "aws", "service": "AmazonS3", "resource": "storage", "unit": "GB-month", "storage_class": "object_standard", "region": region}
    return [
        offer(**t, price="0.023", tier_start=0, tier_end=51200),
        offer(**t, price="0.022", tier_start=51200, tier_end=512000),
        offer(**t, price="0.021", tier_start=512000),
    ]


def test_tiers_are_applied_exactly():
    tiers = _s3_tiers()
    # 600 TB = 614,400 GB: 51,200 x 0.023 + 460,800 x 0.022 + 102,400 x 0.021 = 1,177.6 + 10,137.6 + 2,150.4
    cost, note = tiered_cost(Decimal(614400), tiers)
    assert cost == Decimal("13465.600") and note == ""
    cost, _ = tiered_cost(Decimal(1000), tiers)  # inside the first tier
    assert cost == Decimal("23.000")


def test_tier_gap_or_missing_tier_price_is_unpriced():
    t = _s3_tiers()
    cost, note = tiered_cost(Decimal(100000), [t[0], t[2]])
    assert cost is None and "gap" in note
    cost, note = tiered_cost(Decimal(100000), [])
    assert cost is None


def test_storage_line_items_with_requests_and_egress():
    e = {"provider": "aws", "service": "AWSDataTransfer", "resource": "egress", "unit": "GB"}
    offers = _s3_tiers() + [
        offer(provider="aws", service="AmazonS3", resource="requests_write", unit="request", storage_class="object_standard", price="0.000005"),
        offer(**e, price="0", tier_start=0, tier_end=100),
        offer(**e, price="0.09", tier_start=100, tier_end=10340),
        offer(**e, price="0.085", tier_start=10340),
    ]
    cat = Catalog("t", "test", "2026-01-01", offers)
    need = StorageNeed("object_standard", (1000.0, 2000.0), write_requests_per_month=2_000_000, egress_gb_per_month=600)
    items = {i.resource: i for i in cost_storage(need, 1, cat, "aws", "us-east-1", "data")}
    assert items["storage"].cost == Decimal("46.000")  # month 2: 2,000 GB x 0.023
    assert items["requests_write"].cost == Decimal("10.000000")  # 2M x $0.005 per 1,000
    assert items["egress"].cost == Decimal("45.00")  # (600 - 100 free) x 0.09


def test_storage_class_missing_in_catalog_is_unpriced():
    cat = Catalog("t", "test", "2026-01-01", _s3_tiers())
    need = StorageNeed("object_archive", (5000.0,))
    (item,) = cost_storage(need, 0, cat, "aws", "us-east-1", "cold")
    assert item.cost is None and item.status == "unpriced"


@pytest.mark.parametrize("month,gb", [(0, 1000.0), (5, 2000.0)])
def test_gb_month_index_clamps_to_horizon(month, gb):
    need = StorageNeed("object_standard", (1000.0, 2000.0))
    assert need.gb_month(month) == gb


def test_replicas_spread_over_zones_need_an_instance_per_zone():
    c7i = offer(instance_type="c7i.2xlarge", vcpus=8.0, memory_gib=16.0, price=0.357)
    # 2 replicas of 4 vCPU would share one 8-vCPU box, but in 2 zones they need 2 boxes
    opt = ComputeOption(None, 0, 2, vcpus_per_replica=4.0, min_instances=2)
    item = cost_compute(Requirement("api", "serving", (opt,)), [c7i], ["on_demand"], "aws", "us-east-1")
    assert item.count == 2

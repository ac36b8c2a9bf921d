"""Purchase options beyond on-demand and spot: who may use them, how they are billed, price-book quotes.

Every catalog here is hand-made, so each expected figure is worked out beside it.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from planner.comparison import compare
from planner.scenario import scenario_from_dict
from pricing.catalog import Catalog
from tests.conftest import offer


def inst(provider: str, region: str, itype: str, acc: str, n: int, price: float | None, po: str = "on_demand"):  # type: ignore[no-untyped-def]
    return offer(provider=provider, region=region, instance_type=itype, accelerator=acc, accelerator_count=n,
                 vcpus=8.0 * n, memory_gib=64.0 * n, price=price, purchase_option=po)


def _catalog(*extra) -> Catalog:  # type: ignore[no-untyped-def]
    return Catalog("hand", "test", "2026-11-01", [
        inst("aws", "us-east-1", "p5.48xlarge", "H100-SXM", 8, 55.04),
        inst("aws", "us-east-1", "p5.48xlarge", "H100-SXM", 8, 31.464, "capacity_block"),
        inst("gcp", "us-central1", "a3-highgpu-8g", "H100-SXM", 8, 88.0),
        inst("gcp", "us-central1", "a3-highgpu-8g", "H100-SXM", 8, 40.0, "flex_start"),
        *extra,
    ])


OPTIONS = ["on_demand", "spot", "capacity_block", "flex_start", "calendar", "reserved_1y"]


def _training(**over):  # type: ignore[no-untyped-def]
    w = {"name": "finetune", "type": "training", "schedule": "monthly", "accelerator": "H100", "gpus": 8,
         "gpu_hours": 800}
    w.update(over)
    return scenario_from_dict({"name": "t", "horizon_months": 1, "workloads": [w],
                               "compare": {"clouds": ["aws", "gcp"], "purchase_options": OPTIONS}})


def test_training_buys_a_capacity_block_in_whole_days() -> None:
    # 800 GPU-hours on 8 GPUs = 100 h of one p5.48xlarge.
    # on demand: 100 h x 55.04 = 5,504.00; capacity block: ceil(100 / 24) = 5 days = 120 h x 31.464 = 3,775.68
    res = compare(_training(), _catalog())
    item = res.cloud("aws").items[0]
    assert item.purchase_option == "capacity_block"
    assert item.hours == Decimal(120)
    assert item.cost == Decimal("3775.680")
    assert item.options_by_purchase["on_demand"]["monthly_cost"] == 5504.0
    assert "whole days" in item.explain["billed_hours_rule"]
    # GCP flex-start bills the hours used: 100 h x 40.0 = 4,000 (on demand 100 h x 88.0 = 8,800)
    g = res.cloud("gcp").items[0]
    assert (g.purchase_option, g.hours, g.cost) == ("flex_start", Decimal(100), Decimal("4000.0"))
    # commitments are allowed for monthly training, but this catalog has none: nothing is made up
    assert "reserved_1y" not in item.options_by_purchase


def test_serving_never_uses_scheduled_capacity_even_when_cheaper() -> None:
    sc = scenario_from_dict({
        "name": "t", "horizon_months": 1,
        "compare": {"clouds": ["aws", "gcp"], "purchase_options": OPTIONS},
        "workloads": [{"name": "chat", "type": "serving", "qps_mean": 1, "utilization_target": 1.0,
                       "replica": {"accelerator": "H100", "gpus": 8, "requests_per_s": 1}}],
    })
    res = compare(sc, _catalog())
    aws, gcp = res.cloud("aws").items[0], res.cloud("gcp").items[0]
    # one replica all month on demand: 730 h x 55.04 = 40,179.20; 730 h x 88.0 = 64,240.00
    assert (aws.purchase_option, aws.cost) == ("on_demand", Decimal("40179.20"))
    assert (gcp.purchase_option, gcp.cost) == ("on_demand", Decimal("64240.0"))
    skipped = aws.explain["purchase_options_not_considered"]
    assert set(skipped) == {"spot", "capacity_block", "flex_start", "calendar"}
    assert "serving runs all the time" in skipped["capacity_block"]


def test_batch_blocks_are_bought_per_run() -> None:
    # 30 nightly runs; each run needs 2 h of one p5.48xlarge (4 requests/s for 8 h window: 28,800 requests at
    # 4 requests/s per replica = 2 h). A block per run is 1 day = 24 h: 30 x 24 = 720 h x 31.464 = 22,654.08,
    # against on demand 30 x 2 h = 60 h x 55.04 = 3,302.40: on demand wins, and the block's cost is shown.
    sc = scenario_from_dict({
        "name": "t", "horizon_months": 1,
        "compare": {"clouds": ["aws"], "purchase_options": ["on_demand", "capacity_block"]},
        "workloads": [{"name": "nightly", "type": "serving", "style": "batch", "requests_per_run": 28800,
                       "runs_per_month": 30, "window_hours": 8,
                       "replica": {"accelerator": "H100", "gpus": 8, "requests_per_s": 4}}],
    })
    item = compare(sc, _catalog()).cloud("aws").items[0]
    assert (item.purchase_option, item.hours, item.cost) == ("on_demand", Decimal(60), Decimal("3302.40"))
    assert item.options_by_purchase["capacity_block"]["monthly_cost"] == 22654.08


def test_type_not_sold_on_demand_is_never_bought_on_demand() -> None:
    # GCP sells a3-highgpu-1g only as Spot, flex-start or reservations (pricing/data/instances.csv); a catalog
    # that lists an on-demand price for it (as some community catalogs do) must not be used.
    cat = Catalog("hand", "test", "2026-11-01", [
        inst("gcp", "us-central1", "a3-highgpu-1g", "H100-SXM", 1, 4.0),
        inst("gcp", "us-central1", "a3-highgpu-8g", "H100-SXM", 8, 88.0),
    ])
    sc = scenario_from_dict({
        "name": "t", "horizon_months": 1, "compare": {"clouds": ["gcp"]},
        "workloads": [{"name": "chat", "type": "serving", "qps_mean": 1, "utilization_target": 1.0,
                       "replica": {"accelerator": "H100", "gpus": 1, "requests_per_s": 1}}],
    })
    item = compare(sc, cat).cloud("gcp").items[0]
    # one replica per a3-highgpu-8g (8 GPUs, 1 used): 730 h x 88.0 = 64,240.00, not 730 x 4.0
    assert (item.instance_type, item.cost) == ("a3-highgpu-8g", Decimal("64240.0"))


def test_spot_only_for_serving_says_why_nothing_was_priced() -> None:
    sc = scenario_from_dict({
        "name": "t", "horizon_months": 1, "compare": {"clouds": ["aws"], "purchase_options": ["spot"]},
        "workloads": [{"name": "chat", "type": "serving", "qps_mean": 1, "utilization_target": 1.0,
                       "replica": {"accelerator": "H100", "gpus": 8, "requests_per_s": 1}}],
    })
    item = compare(sc, _catalog()).cloud("aws").items[0]
    assert item.status == "unavailable"
    assert item.note.startswith("spot is not allowed: real-time serving workloads are not interruptible")


def test_pricebook_reserved_quote_for_an_on_demand_only_instance(tmp_path: Path) -> None:
    # The catalog prices p5.48xlarge on demand only (55.04/h). A negotiated 1-year reservation quote of
    # 30.00/h becomes a reserved_1y offer of its own, contracted only (no list price).
    book = tmp_path / "pricebook.yaml"
    book.write_text("name: quote-2026\nrates:\n  - provider: aws\n    instance_type: p5.48xlarge\n"
                    "    purchase_option: reserved_1y\n    usd_per_hour: 30.00\n")
    sc = scenario_from_dict({
        "name": "t", "horizon_months": 12,
        "compare": {"clouds": ["aws"], "purchase_options": ["on_demand", "reserved_1y"]},
        "workloads": [{"name": "chat", "type": "serving", "qps_mean": 1, "utilization_target": 1.0,
                       "replica": {"accelerator": "H100", "gpus": 8, "requests_per_s": 1}}],
    })
    cat = Catalog("hand", "test", "2026-11-01", [inst("aws", "us-east-1", "p5.48xlarge", "H100-SXM", 8, 55.04)])
    res = compare(sc, cat, pricebook=book)
    item = res.cloud("aws").items[0]
    # reserved: 730 h x 30.00 = 21,900.00 a month, 12 months = 262,800.00 (on demand: 730 x 55.04 = 40,179.20)
    assert item.purchase_option == "reserved_1y"
    assert item.contracted_cost == Decimal("21900.00")
    assert item.cost is None  # no list price for a contracted-only offer, never $0
    assert res.cloud("aws").contracted_horizon_cost == Decimal("262800.00")
    assert not any("matches no offer" in w for w in res.warnings)
    # the list view of the same usage is the public on-demand rate
    assert item.list_view_cost == Decimal("40179.20")


@pytest.mark.parametrize("region,added", [("us-east-1", 1), ("eu-west-1", 0)])
def test_pricebook_added_offer_respects_the_rule_region(tmp_path: Path, region: str, added: int) -> None:
    from pricing.pricebook import load_pricebook

    book = tmp_path / "pricebook.yaml"
    book.write_text(f"name: q\nrates:\n  - provider: aws\n    instance_type: p5.48xlarge\n    region: {region}\n"
                    "    purchase_option: savings_plan_3y\n    usd_per_hour: 25\n")
    offers = _catalog().offers
    new = load_pricebook(book).added_offers(offers)
    assert len(new) == added
    for o in new:
        assert (o.purchase_option, o.price, o.accelerator_count) == ("savings_plan_3y", None, 8)
        assert o.source.startswith("price book q (contracted rate, no list price)")


# -- whole instances off-peak (diurnal traffic) --------------------------------------------------------------


def _diurnal(**over):  # type: ignore[no-untyped-def]
    w = {"name": "chat", "type": "serving", "qps_mean": 10, "qps_peak": 20, "peak_hours_per_day": 8, "zones": 2,
         "utilization_target": 1.0, "replica": {"accelerator": "H200", "gpus": 1, "requests_per_s": 2.5}}
    w.update(over)
    return scenario_from_dict({"name": "t", "horizon_months": 1, "compare": {"clouds": ["aws"]}, "workloads": [w]})


def test_off_peak_replicas_still_pay_whole_instances() -> None:
    # p5en.48xlarge 63.296/h (AWS on-demand, us-east-1, embedded catalog). Peak 20 QPS / 2.5 = 8 replicas of one
    # H200 for 8 h a day; off-peak (24 x 10 - 8 x 20) / 16 = 5 QPS / 2.5 = 2 replicas. With 2 zones each level
    # needs one instance per zone: 2 instances at peak (8 replicas fit one, the zone floor makes 2) and 2 off-peak.
    # Billed: 2 instances x 730 h x 63.296 = 92,412.16 (a fractional-instance reading would give 46,206.08).
    cat = Catalog("hand", "test", "2026-11-01", [inst("aws", "us-east-1", "p5en.48xlarge", "H200", 8, 63.296)])
    item = compare(_diurnal(), cat).cloud("aws").items[0]
    assert item.count == 2
    assert item.cost == Decimal("92412.16")


def test_off_peak_levels_pack_separately() -> None:
    # Peak 40 QPS / 2.5 = 16 replicas -> 2 instances for 1/3 of 730 h; off-peak (24 x 20 - 8 x 40) / 16 = 10 QPS
    # -> 4 replicas -> 1 instance, raised to 2 by the zones: 2 instances all month. With 1 zone the off-peak level
    # is 1 instance: 2 x 243.333333 + 1 x 486.666667 = 973.333333 instance-hours x 63.296 = 61,608.107 -> 61,608.11.
    cat = Catalog("hand", "test", "2026-11-01", [inst("aws", "us-east-1", "p5en.48xlarge", "H200", 8, 63.296)])
    two = compare(_diurnal(qps_mean=20, qps_peak=40), cat).cloud("aws").items[0]
    assert two.cost == Decimal("92412.16")
    one = compare(_diurnal(qps_mean=20, qps_peak=40, zones=1), cat).cloud("aws").items[0]
    assert one.count == 2
    assert round(one.cost, 2) == Decimal("61608.11")


def test_peak_heavier_than_the_daily_mean_is_an_error() -> None:
    from planner.errors import InputError

    # 30 QPS for 20 h a day is 600 request-seconds per second of day; a mean of 10 allows 240
    with pytest.raises((InputError, ValueError)) as err:
        _diurnal(qps_peak=30, peak_hours_per_day=20)
    assert "more traffic than qps_mean" in str(err.value)


# -- spot interruptions (planner/interruptions.py) -----------------------------------------------------------


def _spot_catalog() -> Catalog:
    return Catalog("hand", "test", "2026-11-01", [
        inst("aws", "us-east-1", "p5.48xlarge", "H100-SXM", 8, 55.04),
        inst("aws", "us-east-1", "p5.48xlarge", "H100-SXM", 8, 12.5, "spot"),
    ])


def _spot_training(**over):  # type: ignore[no-untyped-def]
    w = {"name": "run", "type": "training", "accelerator": "H100", "gpus": 8, "gpu_hours": 800, "interruptible": True}
    w.update(over)
    return scenario_from_dict({"name": "t", "horizon_months": 1, "workloads": [w],
                               "compare": {"clouds": ["aws"], "purchase_options": ["on_demand", "spot"]}})


def test_spot_training_pays_for_lost_work() -> None:
    # default: 20 % of GPU instances interrupted a month -> 0.2 / 730 per instance-hour; each interruption loses
    # half the 30-min checkpoint interval + 10 min restart = 25 min. One node: overhead = 0.2 / 730 x 25 / 60
    # = 0.000114155; 100 h -> 100.0114155 h x 12.5 = 1,250.14
    item = compare(_spot_training(), _spot_catalog()).cloud("aws").items[0]
    assert item.purchase_option == "spot"
    assert round(item.cost, 2) == Decimal("1250.14")
    sp = item.explain["spot_overhead"]
    assert sp["instances_in_step"] == 1 and sp["lost_minutes_per_interruption"] == 25
    assert sp["overhead_pct"] == round(0.2 / 730 * 25 / 60 * 100, 3)


def test_spot_overhead_can_be_overridden() -> None:
    # 100 % a month, checkpoints every 60 min, 30 min restart: 1 / 730 x (30 + 30) / 60 = 0.00136986 -> 100.136986 h
    sc = _spot_training(spot_interruption_pct_per_month=100, checkpoint_interval_minutes=60, restart_minutes=30)
    item = compare(sc, _spot_catalog()).cloud("aws").items[0]
    assert round(item.cost, 4) == round(Decimal("12.5") * (100 + Decimal(100) / 730), 4)


def test_large_multi_node_spot_run_is_warned_about() -> None:
    # 1,024 H100 for four weeks (672 h): 128 p5.48xlarge in step. Overhead 128 x 0.2 / 730 x 25 / 60 = 1.461 %;
    # expected interruptions 128 x 0.2 / 730 x 672 = 23.6. Spot (12.5 x 1.0146) still beats on demand (55.04).
    sc = _spot_training(gpus=1024, gpu_hours=1024 * 672, schedule="once")
    res = compare(sc, _spot_catalog())
    item = res.cloud("aws").items[0]
    assert (item.purchase_option, item.count) == ("spot", 128)
    sp = item.explain["spot_overhead"]
    assert sp["instances_in_step"] == 128 and sp["overhead_pct"] == round(128 * 0.2 / 730 * 25 / 60 * 100, 3)
    assert sp["expected_interruptions"] == round(128 * 0.2 / 730 * 672, 2)
    warning = next(w for w in res.warnings if "on spot run in step" in w)
    assert "about 24 expected" in warning


def test_real_time_serving_on_spot_has_no_checkpoint_overhead() -> None:
    sc = scenario_from_dict({
        "name": "t", "horizon_months": 1, "compare": {"clouds": ["aws"], "purchase_options": ["spot"]},
        "workloads": [{"name": "api", "type": "serving", "qps_mean": 1, "utilization_target": 1.0, "interruptible": True,
                       "replica": {"accelerator": "H100", "gpus": 8, "requests_per_s": 1}}],
    })
    item = compare(sc, _spot_catalog()).cloud("aws").items[0]
    assert item.cost == Decimal("9125.0")  # 730 h x 12.5, replicas are replaced, no work to redo
    assert "spot_overhead" not in item.explain


# -- mixed fleets ----------------------------------------------------------------------------------------------


def _t4_catalog() -> Catalog:
    def t4(itype: str, n: int, vcpus: float, price: float):  # type: ignore[no-untyped-def]
        return offer(provider="gcp", region="us-central1", instance_type=itype, accelerator="T4", accelerator_count=n,
                     vcpus=vcpus, memory_gib=vcpus * 3.75, price=price)

    return Catalog("hand", "test", "2026-11-01", [t4("n1-standard-8+T4x2", 2, 8, 0.89), t4("n1-standard-4+T4x1", 1, 4, 0.54),
                                                  t4("n1-standard-16+T4x4", 4, 16, 1.90)])


def _t4_serving(**replica):  # type: ignore[no-untyped-def]
    r = {"accelerator": "T4", "gpus": 1, "requests_per_s": 1}
    r.update(replica)
    return scenario_from_dict({"name": "t", "horizon_months": 1, "compare": {"clouds": ["gcp"]},
                               "workloads": [{"name": "api", "type": "serving", "qps_mean": 9, "utilization_target": 1.0,
                                              "replica": r}]})


def test_mixed_fleet_when_cheaper() -> None:
    # 9 replicas of one T4. Single types: 5 x T4x2 = 4.45/h, 9 x T4x1 = 4.86/h, 3 x T4x4 = 5.70/h.
    # Mixed: 4 x T4x2 + 1 x T4x1 = 3.56 + 0.54 = 4.10/h -> 730 h x 4.10 = 2,993.00
    item = compare(_t4_serving(), _t4_catalog()).cloud("gcp").items[0]
    assert item.description.startswith("4x n1-standard-8+T4x2 + 1x n1-standard-4+T4x1")
    assert item.cost == Decimal("2993.00") and item.count == 5
    assert item.unit_price == Decimal("0.82")  # 4.10 / 5 instances, blended
    assert [f["count"] for f in item.explain["mixed_fleet"]] == [4, 1]


def test_packing_respects_each_replicas_vcpus() -> None:
    # each replica also needs 6 vCPUs: T4x2 (8 vCPUs) holds 1, T4x4 (16 vCPUs) holds 2, T4x1 (4 vCPUs) none.
    # 9 replicas: 9 x T4x2 = 8.01/h; 5 x T4x4 = 9.50/h; mixed 4 x T4x4 + 1 x T4x2 = 7.60 + 0.89 = 8.49/h.
    # Cheapest: 9 x T4x2 -> 730 x 8.01 = 5,847.30
    item = compare(_t4_serving(vcpus=6), _t4_catalog()).cloud("gcp").items[0]
    assert item.instance_type == "n1-standard-8+T4x2" and item.count == 9
    assert item.cost == Decimal("5847.30")


def test_flagged_prices_are_warned_about_where_they_are_used() -> None:
    # the old embedded GCP row: a2-ultragpu-1g (A100-80GB) at 2.94582/h below a2-highgpu-1g (A100-40GB) at
    # 3.67339/h in us-central1 -- a larger-memory variant cheaper than the smaller one (pricing/checks.py)
    def a2(itype: str, acc: str, price: float):  # type: ignore[no-untyped-def]
        return offer(provider="gcp", region="us-central1", instance_type=itype, accelerator=acc, accelerator_count=1,
                     vcpus=12.0, memory_gib=170.0 if "ultra" in itype else 85.0, price=price)

    cat = Catalog("hand", "test", "2026-11-01", [a2("a2-ultragpu-1g", "A100-80GB", 2.94582),
                                                 a2("a2-highgpu-1g", "A100-40GB", 3.67339)])
    sc = scenario_from_dict({"name": "t", "horizon_months": 1, "compare": {"clouds": ["gcp"]},
                             "workloads": [{"name": "api", "type": "serving", "qps_mean": 1, "utilization_target": 1.0,
                                            "replica": {"accelerator": "A100-80GB", "gpus": 1, "requests_per_s": 1}}]})
    res = compare(sc, cat)
    assert res.cloud("gcp").items[0].instance_type == "a2-ultragpu-1g"
    flagged = [w for w in res.warnings if w.startswith("price flagged by the catalog checks (larger_memory_cheaper)")]
    assert len(flagged) == 1 and "a2-ultragpu-1g" in flagged[0]


def test_commitment_tail_without_a_list_price_is_unknown_not_zero(tmp_path: Path) -> None:
    # a negotiated 1-year reservation at 15.00/h (price book only, no list price) on a 6-month horizon:
    # 12 months are bought; 6 x 730 x 15.00 = 65,700 inside the horizon and 65,700 after it (the tail).
    # On demand would be 6 x 730 x 55.04 = 241,075.20, so the reservation wins even with its tail.
    book = tmp_path / "pricebook.yaml"
    book.write_text("name: quote\nrates:\n  - provider: aws\n    instance_type: p5.48xlarge\n"
                    "    purchase_option: reserved_1y\n    usd_per_hour: 15.00\n")
    sc = scenario_from_dict({
        "name": "t", "horizon_months": 6,
        "compare": {"clouds": ["aws"], "purchase_options": ["on_demand", "reserved_1y"]},
        "workloads": [{"name": "chat", "type": "serving", "qps_mean": 1, "utilization_target": 1.0,
                       "replica": {"accelerator": "H100", "gpus": 8, "requests_per_s": 1}}],
    })
    cat = Catalog("hand", "test", "2026-11-01", [inst("aws", "us-east-1", "p5.48xlarge", "H100-SXM", 8, 55.04)])
    res = compare(sc, cat, pricebook=book)
    aws = res.cloud("aws")
    assert aws.items[0].purchase_option == "reserved_1y"
    assert aws.contracted_commitment_tail == Decimal("65700.00")
    assert aws.commitment_tail is None  # no list price: unknown, never $0
    doc = res.to_dict()["clouds"][0]
    assert doc["commitment_tail"] is None and doc["contracted_commitment_tail"] == 65700.0


def test_spot_burst_of_a_committed_base_pays_the_interruption_overhead() -> None:
    # monthly training of 8,000 GPU-hours on 8-GPU instances = 1,000 instance-hours a month. Hand-made rates:
    # on demand 55.04, spot 30, committed 1 year 20. Best split: 1 instance committed (730 h x 20 = 14,600) and
    # the other 270 instance-hours on spot, which redo interrupted work: 270 x (1 + 0.2 / 730 x 25 / 60)
    # = 270.030822 h x 30 = 8,100.92 -> 22,700.92 a month (all spot: 1,000.114 h x 30 = 30,003.42;
    # 2 committed: 29,200)
    cat = Catalog("hand", "test", "2026-11-01", [
        inst("aws", "us-east-1", "p5.48xlarge", "H100-SXM", 8, 55.04),
        inst("aws", "us-east-1", "p5.48xlarge", "H100-SXM", 8, 30.0, "spot"),
        inst("aws", "us-east-1", "p5.48xlarge", "H100-SXM", 8, 20.0, "reserved_1y"),
    ])
    sc = scenario_from_dict({"name": "t", "horizon_months": 12, "workloads": [
        {"name": "run", "type": "training", "accelerator": "H100", "gpu_hours": 8000, "interruptible": True}],
        "compare": {"clouds": ["aws"], "purchase_options": ["on_demand", "spot", "reserved_1y"]}})
    item = compare(sc, cat).cloud("aws").items[0]
    assert item.explain["base_burst"]["committed_instances"] == 1
    assert item.explain["base_burst"]["burst_option"] == "spot"
    assert round(item.cost, 2) == Decimal("22700.92")

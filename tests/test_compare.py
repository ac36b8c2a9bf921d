"""Comparisons on a small hand-made catalog, so every expected figure can be worked out by hand."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from planner.comparison import compare, scale_points
from planner.errors import InputError
from planner.scenario import scenario_from_dict
from pricing.catalog import Catalog
from tests.conftest import offer


def _catalog() -> Catalog:
    def inst(provider, region, itype, acc, n, price, po="on_demand"):
        return offer(provider=provider, region=region, instance_type=itype, accelerator=acc, accelerator_count=n,
                     vcpus=8.0, memory_gib=32.0, price=price, purchase_option=po)

    def gb(provider, region, price):
        return offer(provider=provider, region=region, resource="storage", unit="GB-month",
                     storage_class="object_standard", price=price)

    return Catalog("hand", "test", "2026-11-01", [
        inst("aws", "us-east-1", "g6.xlarge", "L4", 1, 1.00),
        inst("aws", "us-east-1", "g6.xlarge", "L4", 1, 0.40, "spot"),
        inst("aws", "us-west-2", "g6.xlarge", "L4", 1, 0.90),
        inst("gcp", "us-central1", "g2-standard-4", "L4", 1, 0.80),
        inst("azure", "eastus", "Standard_NC4as_T4_v3", "T4", 1, 0.50),
        gb("aws", "us-east-1", "0.02"), gb("aws", "us-west-2", "0.03"),
        gb("gcp", "us-central1", "0.02"), gb("azure", "eastus", "0.02"),
    ])


def _scenario(**over):
    base = {
        "name": "t",
        "horizon_months": 3,
        "compare": {"regions": {"aws": ["us-east-1", "us-west-2"]}},
        "workloads": [
            {"name": "api", "type": "serving", "qps_mean": 7, "utilization_target": 1.0,
             "replica": [{"accelerator": "L4", "requests_per_s": 2}, {"accelerator": "T4", "requests_per_s": 1}]},
            {"name": "data", "type": "storage", "gb": 1000, "growth_gb_per_month": 1000},
        ],
    }
    base.update(over)
    return scenario_from_dict(base)


def test_cheapest_region_winner_margin_and_horizon():
    res = compare(_scenario(), _catalog())
    aws, gcp, azure = (res.cloud(c) for c in ("aws", "gcp", "azure"))
    # storage starts at 1,000 GB and grows 1,000 GB a month, billed on each month's average:
    # month starts 1,000 / 2,000 / 3,000 / 4,000 GB -> 1,500 / 2,500 / 3,500 GB-months (7,500 in all)
    # L4 at 2 req/s: ceil(7/2) = 4 replicas.  us-east-1: 4 x 730 x 1.00 + 1,500 x 0.02 = 2,950
    # us-west-2: 4 x 730 x 0.90 + 1,500 x 0.03 = 2,673 -> us-west-2 is chosen for AWS
    assert aws.region == "us-west-2" and aws.monthly_cost == Decimal("2673.00")
    assert gcp.monthly_cost == Decimal("2366.00")  # 4 x 730 x 0.80 + 30
    # Azure has no L4; T4 at 1 req/s: 7 replicas x 730 x 0.50 + 30 = 2,585
    assert azure.monthly_cost == Decimal("2585.00")
    assert res.winner is gcp
    # ranked over the 3-month horizon: Azure 3 x 2,555 + 7,500 x 0.02 = 7,815; GCP 3 x 2,336 + 150 = 7,158
    diff, pct = res.margin()
    assert diff == Decimal("657.00") and pct == pytest.approx(657 / 7815 * 100)
    assert gcp.horizon_cost == Decimal(3 * 4 * 730) * Decimal("0.80") + Decimal("150.00")


def test_restrict_clouds_regions_and_options():
    res = compare(_scenario(), _catalog(), clouds=["aws"], regions=["us-east-1"])
    assert [c.cloud for c in res.clouds] == ["aws"] and res.clouds[0].region == "us-east-1"
    with pytest.raises(InputError, match="unknown aws region 'us-east-7'"):
        compare(_scenario(compare={"regions": {"aws": ["us-east-7"]}}), _catalog())


def test_spot_used_for_interruptible_serving_only():
    sc = _scenario(workloads=[{"name": "b", "type": "serving", "qps_mean": 2, "interruptible": True,
                               "utilization_target": 1.0, "replica": {"accelerator": "L4", "requests_per_s": 2}}],
                   compare={"clouds": ["aws"], "purchase_options": ["on_demand", "spot"]})
    item = compare(sc, _catalog()).clouds[0].items[0]
    assert item.purchase_option == "spot" and item.cost == Decimal("292.00")  # 730 x 0.40


def test_unpriced_is_reported_never_zero():
    cat = _catalog()
    cat.offers.append(offer(provider="aws", region="us-east-1", instance_type="p5e.48xlarge", accelerator="H200",
                            accelerator_count=8, vcpus=192.0, memory_gib=2048.0, price=None))
    sc = _scenario(workloads=[{"name": "big", "type": "training", "accelerator": "H200", "gpu_hours": 80, "gpus": 8}],
                   compare={"clouds": ["aws", "gcp"], "regions": {"aws": ["us-east-1"]}})
    res = compare(sc, cat)
    aws = res.cloud("aws")
    assert not aws.complete and aws.items[0].status == "unpriced" and aws.items[0].cost is None
    assert res.cloud("gcp").items[0].status == "unavailable"
    assert res.winner is None
    doc = res.to_dict()
    assert doc["winner"] is None
    assert {(u["cloud"], u["status"]) for u in doc["unpriced"]} == {("aws", "unpriced"), ("gcp", "unavailable")}
    assert doc["line_items"][0]["monthly_cost"] is None
    json.dumps(doc)  # serializable


def test_fixed_costs_budget_and_one_off_amortized():
    sc = _scenario(
        horizon_months=4,
        budget_usd_per_month=1000,
        fixed_costs=[{"name": "team", "usd_per_month": 500}],
        workloads=[{"name": "run", "type": "training", "schedule": "once", "accelerator": "L4", "gpu_hours": 400, "gpus": 1}],
        compare={"clouds": ["gcp"]},
    )
    res = compare(sc, _catalog())
    gcp = res.cloud("gcp")
    run = next(i for i in gcp.items if i.workload == "run")
    # 400 h x 0.80 = 320 once; spread over 4 months = 80/month
    assert run.cost == Decimal("320.00") and run.monthly_cost == Decimal("80.00") and run.one_time
    assert gcp.monthly_cost == Decimal("580.00")
    assert gcp.horizon_cost == Decimal("320.00") + 4 * Decimal(500)
    # the one-off run is billed in month 1: 320 + 500 = 820 is the peak month, 180 under the 1,000 budget
    assert gcp.monthly_spend == (Decimal("820.00"), Decimal(500), Decimal(500), Decimal(500))
    assert res.to_dict()["budget"]["by_cloud"]["gcp"] == {"peak_month_cost": 820.0, "months_over": [],
                                                          "headroom": 180.0, "within": True}


def test_budget_names_the_months_over_it():
    sc = _scenario(horizon_months=4, budget_usd_per_month=1500, compare={"clouds": ["gcp"]},
                   workloads=[_api(qps_mean=2, qps_growth_pct_per_month=100)])
    doc = compare(sc, _catalog()).to_dict()
    # 1, 2, 4, 8 instances x 584 = 584, 1,168, 2,336, 4,672: months 3 and 4 exceed 1,500
    assert doc["budget"]["by_cloud"]["gcp"] == {"peak_month_cost": 4672.0, "months_over": [3, 4],
                                                "headroom": -3172.0, "within": False}


def test_to_frame_and_focus_columns():
    res = compare(_scenario(), _catalog())
    df = res.to_frame()
    assert {"cloud", "workload", "instance_type", "monthly_cost"} <= set(df.columns)
    focus = res.to_frame(focus=True)
    assert {"ListCost", "EffectiveCost", "PricingQuantity", "PricingUnit", "ServiceCategory", "RegionId", "SkuId"} <= set(focus.columns)
    gpu = focus[focus["ResourceType"] == "g2-standard-4"].iloc[0]
    assert gpu["ServiceCategory"] == "AI and Machine Learning" and gpu["PricingUnit"] == "Hours"
    assert gpu["ListCost"] == pytest.approx(4 * 730 * 0.80)


def test_scale_points_grow_replicas_with_qps():
    rows = scale_points(_scenario(), "api", [1, 10, 100], _catalog(), clouds=["gcp"])
    # ceil(q / 2) replicas of g2-standard-4 at 0.80/h: 1 -> 1, 10 -> 5, 100 -> 50
    assert [(r["qps"], r["count"], r["monthly_cost"]) for r in rows] == [
        (1.0, 1, 584.0), (10.0, 5, 2920.0), (100.0, 50, 29200.0)]
    # cost per 1k requests at 10 QPS: 2920 / (10 x 730 x 3600) x 1000
    assert rows[1]["cost_per_1k_requests"] == pytest.approx(2920 / (10 * 730 * 3600) * 1000, rel=1e-4)
    with pytest.raises(InputError, match="not real-time serving"):
        scale_points(_scenario(), "data", [1], _catalog())


def test_pricebook_shows_list_and_contracted_side_by_side(tmp_path):
    book = tmp_path / "pricebook.yaml"
    book.write_text("name: acme\ndiscounts:\n  - provider: gcp\n    percent: 25\n")
    sc = _scenario(compare={"clouds": ["gcp", "azure"]})
    res = compare(sc, _catalog(), pricebook=book)
    gcp, azure = res.cloud("gcp"), res.cloud("azure")
    # GCP list: 4 x 730 x 0.80 + 1,500 GB-months x 0.02 = 2,366; 25% off -> 1,774.50. Azure: contracted = list.
    assert gcp.monthly_cost == Decimal("2366.00") and gcp.contracted_monthly_cost == Decimal("1774.5000")
    assert azure.contracted_monthly_cost == azure.monthly_cost
    # horizon (3 months, 7,500 GB-months): list 3 x 2,336 + 150 = 7,158; contracted x 0.75 = 5,368.50
    assert gcp.horizon_cost == Decimal("7158.00") and gcp.contracted_horizon_cost == Decimal("5368.5000")
    doc = res.to_dict()
    assert doc["pricebook"] == "acme"
    assert {c["cloud"]: c["contracted_total"] for c in doc["clouds"]} == {"gcp": 1774.5, "azure": 2585.0}
    # over the horizon GCP wins by 7,815 - 5,368.50 = 2,446.50
    assert res.winner is gcp and res.margin()[0] == Decimal("2446.5000")


def test_pricebook_rate_decides_the_instance_not_just_the_bill(tmp_path):
    cat = _catalog()
    cat.offers.append(offer(provider="gcp", region="us-central1", instance_type="g2-standard-48", accelerator="L4",
                            accelerator_count=4, vcpus=48.0, memory_gib=192.0, price=4.00))
    sc = _scenario(compare={"clouds": ["gcp"]})
    # list: 4 replicas on g2-standard-4 = 4 x 0.80 = 3.20/h beats 1 x g2-standard-48 at 4.00/h
    assert compare(sc, cat).cloud("gcp").items[0].instance_type == "g2-standard-4"
    book = tmp_path / "pb.yaml"
    book.write_text("name: deal\nrates:\n  - provider: gcp\n    instance_type: g2-standard-48\n"
                    "    region: us-central1\n    purchase_option: on_demand\n    usd_per_hour: 2.0\n")
    item = compare(sc, cat, pricebook=book).cloud("gcp").items[0]
    # contracted: 1 x 2.00/h beats 3.20/h, so the private rate changes the choice
    assert item.instance_type == "g2-standard-48" and item.contracted_cost == Decimal("2.0") * 730
    assert item.cost == Decimal("4.00") * 730


def test_pricebook_discount_applies_to_every_tier(tmp_path):
    from planner.capacity.requirements import StorageNeed
    from planner.costing import cost_storage

    e = {"provider": "aws", "service": "AWSDataTransfer", "resource": "egress", "unit": "GB"}
    cat = Catalog("t", "test", "2026-11-01", [offer(**e, price="0", tier_start=0, tier_end=100),
                                              offer(**e, price="0.09", tier_start=100)])
    book = tmp_path / "pb.yaml"
    book.write_text("name: half\ndiscounts:\n  - provider: aws\n    percent: 50\n")
    from pricing.pricebook import load_pricebook

    (item,) = cost_storage(StorageNeed("object_standard", (0.0,), egress_gb_per_month=600), 0, cat, "aws",
                           "us-east-1", "d", load_pricebook(book))[1:]
    # list (600 - 100 free) x 0.09 = 45; half off every tier = 22.50
    assert item.cost == Decimal("45.00") and item.contracted_cost == Decimal("22.500")


def test_growth_decides_the_winner_over_the_horizon():
    # AWS: compute 0.20/h, storage 0.02/GB; GCP: compute 0.10/h, storage 0.03/GB; traffic doubles monthly
    cat = Catalog("g", "test", "2026-11-01", [
        offer(provider="aws", instance_type="c", vcpus=4.0, memory_gib=8.0, price=0.20),
        offer(provider="gcp", region="us-central1", instance_type="c", vcpus=4.0, memory_gib=8.0, price=0.10),
        offer(provider="aws", resource="storage", unit="GB-month", storage_class="object_standard", price="0.02"),
        offer(provider="gcp", region="us-central1", resource="storage", unit="GB-month", storage_class="object_standard", price="0.03"),
    ])
    sc = _scenario(horizon_months=4, compare={"clouds": ["aws", "gcp"]}, workloads=[
        {"name": "api", "type": "serving", "qps_mean": 1, "utilization_target": 1.0, "qps_growth_pct_per_month": 100,
         "replica": {"vcpus": 4, "requests_per_s": 1}},
        {"name": "d", "type": "storage", "gb": 20000},
    ])
    res = compare(sc, cat)
    aws, gcp = res.cloud("aws"), res.cloud("gcp")
    # month 1: AWS 730 x 0.20 + 20,000 x 0.02 = 546 < GCP 730 x 0.10 + 20,000 x 0.03 = 673
    assert (aws.monthly_cost, gcp.monthly_cost) == (Decimal("546.00"), Decimal("673.00"))
    # 1, 2, 4, 8 instances over 4 months = 15 instance-months:
    # AWS 15 x 146 + 4 x 400 = 3,790; GCP 15 x 73 + 4 x 600 = 3,495 -> GCP wins the horizon
    assert (aws.horizon_cost, gcp.horizon_cost) == (Decimal("3790.00"), Decimal("3495.00"))
    assert res.winner is gcp and res.margin()[0] == Decimal("295.00")


def test_zero_instance_price_is_missing_not_free():
    cat = _catalog()
    cat.offers[:] = [o for o in cat.offers if o.provider != "gcp"] + [
        offer(provider="gcp", region="us-central1", instance_type="g2-standard-4", accelerator="L4", accelerator_count=1,
              vcpus=4.0, memory_gib=16.0, price=0)]
    item = compare(_scenario(compare={"clouds": ["gcp"]}), cat).cloud("gcp").items[0]
    assert item.status == "unpriced" and item.cost is None


def _committed_catalog():
    cat = _catalog()
    cat.offers.append(offer(provider="gcp", region="us-central1", instance_type="g2-standard-4", accelerator="L4",
                            accelerator_count=1, vcpus=4.0, memory_gib=16.0, price=0.50, purchase_option="committed_1y"))
    return cat


def _api(**kw):
    w = {"name": "api", "type": "serving", "qps_mean": 2, "utilization_target": 1.0,
         "replica": {"accelerator": "L4", "requests_per_s": 2}}
    w.update(kw)
    return w


def test_short_horizon_does_not_pick_a_commitment_it_cannot_use():
    sc = _scenario(horizon_months=3, compare={"clouds": ["gcp"], "purchase_options": ["on_demand", "committed_1y"]},
                   workloads=[_api()])
    gcp = compare(sc, _committed_catalog()).cloud("gcp")
    # month 1 alone favours the commitment (730 x 0.50 = 365 < 730 x 0.80 = 584), but it bills 12 months:
    # 12 x 365 = 4,380 against 3 x 584 = 1,752 on demand over the 3-month horizon
    assert gcp.items[0].purchase_option == "on_demand" and gcp.horizon_cost == Decimal("1752.00")
    by = gcp.items[0].options_by_purchase
    assert by["committed_1y"]["break_even_utilization"] == 0.625  # 0.50 / 0.80 of the month


def test_commitments_are_bought_as_demand_rises_and_billed_for_their_whole_term():
    sc = _scenario(horizon_months=6, compare={"clouds": ["gcp"], "purchase_options": ["committed_1y"]},
                   workloads=[_api(qps_mean=1, qps_growth_pct_per_month=50)])
    res = compare(sc, _committed_catalog())
    gcp = res.cloud("gcp")
    # QPS 1, 1.5, 2.25, 3.375, 5.06, 7.59 at 2 per replica -> 1, 1, 2, 2, 3, 4 instances
    assert gcp.items[0].explain["instances_by_month"] == [1, 1, 2, 2, 3, 4]
    # one commitment bought in months 1, 3, 5 and 6, each 730 x 0.50 = 365 a month for 12 months
    assert gcp.monthly_spend == tuple(Decimal(365) * n for n in (1, 1, 2, 2, 3, 4))
    # each of the 4 commitments bills 12 months: 13 instance-months inside the horizon (the horizon total,
    # 13 x 365 = 4,745) and 6 + 8 + 10 + 11 = 35 after it (the commitment tail, 35 x 365 = 12,775)
    assert gcp.horizon_cost == Decimal(13 * 365)
    assert gcp.commitment_tail == Decimal(35 * 365)
    assert res.decisive(gcp) == Decimal(48 * 365)  # the choice counts the whole obligation
    assert any("billed after the horizon ends" in w for w in res.warnings)


def test_commitments_keep_billing_when_demand_falls():
    sc = _scenario(horizon_months=3, compare={"clouds": ["gcp"], "purchase_options": ["committed_1y"]},
                   workloads=[_api(qps_mean=4, qps_growth_pct_per_month=-50)])
    gcp = compare(sc, _committed_catalog()).cloud("gcp")
    # 2, 1, 1 instances needed, but the two commitments bought in month 1 bill all 12 months
    assert gcp.items[0].explain["instances_by_month"] == [2, 1, 1]
    assert gcp.monthly_spend == (Decimal(730), Decimal(730), Decimal(730))
    assert gcp.horizon_cost == Decimal(2 * 3 * 365)
    assert gcp.commitment_tail == Decimal(2 * 9 * 365)


def test_configuration_is_chosen_for_the_horizon_not_month_one():
    # month 1: 1 replica; traffic x10 from month 2. g2-standard-4 (1 L4) at 0.80 vs g2-standard-48 (4 L4) at 2.5:
    # month 1 favours the small box (0.80 < 2.50); over 4 months 1 + 3 x 10 = 31 small boxes (24,820 + ...)
    cat = _catalog()
    cat.offers.append(offer(provider="gcp", region="us-central1", instance_type="g2-standard-48", accelerator="L4",
                            accelerator_count=4, vcpus=48.0, memory_gib=192.0, price=2.50))
    sc = _scenario(horizon_months=4, compare={"clouds": ["gcp"]},
                   workloads=[_api(qps_mean=2, qps_growth_pct_per_month=200)])
    gcp = compare(sc, cat).cloud("gcp")
    # replicas: QPS 2, 6, 18, 54 -> 1, 3, 9, 27. Small boxes: 40 x 584 = 23,360.
    # Big boxes (4 replicas each): 1, 1, 3, 7 = 12 x 1,825 = 21,900 -> the big box wins the horizon
    assert gcp.items[0].instance_type == "g2-standard-48"
    assert gcp.horizon_cost == Decimal(12 * 730) * Decimal("2.50")


def test_pricebook_rule_that_matches_nothing_is_reported(tmp_path):
    book = tmp_path / "pb.yaml"
    book.write_text("name: typo\ndiscounts:\n  - provider: aws\n    instance_type: g6.xlargee\n    percent: 30\n")
    res = compare(_scenario(compare={"clouds": ["aws"]}), _catalog(), pricebook=book)
    assert any("matches no offer" in w and "g6.xlargee" in w for w in res.warnings)


def test_private_rate_without_list_price_is_not_shown_as_zero_list(tmp_path):
    cat = _catalog()
    cat.offers[:] = [o for o in cat.offers if o.provider != "gcp"] + [
        offer(provider="gcp", region="us-central1", instance_type="g2-standard-4", accelerator="L4", accelerator_count=1,
              vcpus=4.0, memory_gib=16.0, price=None),
        offer(provider="gcp", region="us-central1", resource="storage", unit="GB-month", storage_class="object_standard", price="0.02")]
    book = tmp_path / "pb.yaml"
    book.write_text("name: deal\nrates:\n  - provider: gcp\n    instance_type: g2-standard-4\n    usd_per_hour: 1.0\n")
    res = compare(_scenario(compare={"clouds": ["gcp"]}), cat, pricebook=book)
    gcp = res.cloud("gcp")
    item = gcp.items[0]
    # no list price, priced at the private rate: 4 replicas x 730 h x 1.00 = 2,920 contracted
    assert item.cost is None and item.contracted_cost == Decimal("2920.0") and "private rate" in item.note
    assert gcp.complete and gcp.list_incomplete
    doc = res.to_dict()["clouds"][0]
    assert doc["total"] is None and doc["contracted_total"] == 2950.0  # + 1,500 GB-months x 0.02


def test_list_contracted_and_effective_views_of_a_spot_item(tmp_path):
    # spot usage: ListCost at the public on-demand rate, ContractedCost at the negotiated on-demand rate,
    # EffectiveCost as billed (spot with the discount)
    book = tmp_path / "pb.yaml"
    book.write_text("name: ten\ndiscounts:\n  - provider: aws\n    percent: 10\n")
    sc = _scenario(workloads=[_api(interruptible=True)], compare={"clouds": ["aws"], "regions": {"aws": ["us-east-1"]},
                                                                  "purchase_options": ["on_demand", "spot"]})
    focus = compare(sc, _catalog(), pricebook=book).to_frame(focus=True).iloc[0]
    # 1 instance x 730 h: on-demand 1.00 -> 730; negotiated 0.90 -> 657; spot 0.40 x 0.90 -> 262.80
    assert (focus["ListCost"], focus["ContractedCost"], focus["EffectiveCost"]) == (730.0, 657.0, 262.8)
    assert focus["PricingCategory"] == "Dynamic"


def test_diurnal_traffic_runs_fewer_replicas_off_peak():
    sc = _scenario(horizon_months=1, compare={"clouds": ["gcp"]},
                   workloads=[_api(qps_mean=10, qps_peak=20, peak_hours_per_day=8,
                                   replica={"accelerator": "L4", "requests_per_s": 5})])
    item = compare(sc, _catalog()).cloud("gcp").items[0]
    # off-peak QPS keeps the daily mean: (24 x 10 - 8 x 20) / 16 = 5. Peak: 20 / 5 = 4 replicas for 1/3 of
    # 730 h; off-peak: 1 replica for 2/3. Replica-hours 4 x 243.33 + 1 x 486.67 = 1,460 = 4 x 365 h.
    assert (item.count, item.hours) == (4, Decimal("365.0"))
    assert item.cost == Decimal(4 * 365) * Decimal("0.80")
    assert item.explain["off_peak_replicas"] == 1


def test_committed_base_plus_on_demand_burst():
    # QPS 2 growing 20 % a month at 2 per replica: ceil(1.2 ** m) = 1, 2, 2, 2, 3, 3, 3, 4, 5, 6, 7, 8 instances
    # (46 instance-months). committed_1y 0.50/h (365 a month), on demand 0.80/h (584 a month), 12 months:
    #   all on demand: 46 x 584 = 26,864
    #   base k committed from month 1 + the rest on demand: k x 12 x 365 + (instance-months above k) x 584
    #     k=2: 8,760 + 23 x 584 = 22,192;  k=3: 13,140 + 15 x 584 = 21,900;  k=4: 17,520 + 10 x 584 = 23,360
    #   every instance committed as demand rises: 46 x 365 inside the horizon + 50 x 365 after it = 35,040
    sc = _scenario(horizon_months=12, compare={"clouds": ["gcp"], "purchase_options": ["on_demand", "committed_1y"]},
                   workloads=[_api(qps_mean=2, qps_growth_pct_per_month=20)])
    res = compare(sc, _committed_catalog())
    gcp = res.cloud("gcp")
    item = gcp.items[0]
    assert item.explain["instances_by_month"] == [1, 2, 2, 2, 3, 3, 3, 4, 5, 6, 7, 8]
    split = item.explain["base_burst"]
    assert split["committed_instances"] == 3 and split["burst_option"] == "on_demand"
    assert gcp.horizon_cost == Decimal("21900.00") and gcp.commitment_tail == 0
    # month 1: 3 committed (2 idle) = 1,095; month 12: 3 committed + 5 x 730 h on demand = 1,095 + 2,920
    assert item.cost == Decimal("1095.00") and gcp.monthly_spend[11] == Decimal("4015.00")
    # committed instance-hours used: min(n, 3) summed = 31 of 36 instance-months; break-even 0.50 / 0.80
    assert split["commitment_utilization"] == round(31 / 36, 3)
    assert split["break_even_utilization"] == 0.625
    assert "2 committed idle" in item.description


def test_recurring_workloads_keep_their_runners_up():
    # the pinned configuration must not hide the alternatives: AWS us-east-1 has g6.xlarge on demand (1.00) and
    # spot (0.40, not allowed: serving is not interruptible), us-west-2 0.90; the item lists what it beat
    res = compare(_scenario(compare={"clouds": ["aws"], "regions": {"aws": ["us-east-1"]}}), _catalog())
    item = res.cloud("aws").items[0]
    assert item.instance_type == "g6.xlarge" and item.purchase_option == "on_demand"
    gcp = compare(_scenario(compare={"clouds": ["azure", "gcp"]}), _catalog())
    doc = gcp.to_dict()
    alts = next(i["alternatives"] for i in doc["line_items"] if i["workload"] == "api" and i["cloud"] == "gcp")
    assert alts == []  # only one fitting offer in GCP us-central1: nothing to list
    cat = _catalog()
    cat.offers.append(offer(provider="gcp", region="us-central1", instance_type="g2-standard-8", accelerator="L4",
                            accelerator_count=1, vcpus=8.0, memory_gib=32.0, price=0.95))
    item = compare(_scenario(compare={"clouds": ["gcp"]}), cat).cloud("gcp").items[0]
    # 4 replicas: g2-standard-4 4 x 730 x 0.80 = 2,336 wins; runner-up g2-standard-8 4 x 730 x 0.95 = 2,774
    assert [(a["instance_type"], a["cost"]) for a in item.alternatives] == [("g2-standard-8", 2774.0)]


def test_monthly_view_shows_count_split_and_cost(tmp_path):
    import yaml
    from click.testing import CliRunner

    from planner.cli import main

    # the base + burst case above: 3 committed all year, the rest on demand (hand figures there)
    sc = _scenario(horizon_months=12, compare={"clouds": ["gcp"], "purchase_options": ["on_demand", "committed_1y"]},
                   workloads=[_api(qps_mean=2, qps_growth_pct_per_month=20)])
    rows = compare(sc, _committed_catalog()).monthly_rows()
    assert [r["count"] for r in rows] == [1, 2, 2, 2, 3, 3, 3, 4, 5, 6, 7, 8]
    assert {r["committed"] for r in rows} == {3}
    # month 12: 8 instances = 3 committed + 5 x 730 instance-hours on demand: 1,095 + 2,920 = 4,015
    assert rows[11]["burst_instance_hours"] == 3650.0 and rows[11]["contracted_cost"] == Decimal("4015.00")
    assert sum(r["contracted_cost"] for r in rows) == Decimal("21900.00")
    # the same through the CLI, as JSON
    f = tmp_path / "s.yaml"
    f.write_text(yaml.safe_dump({"name": "t", "horizon_months": 2, "compare": {"clouds": ["aws"], "regions": {"aws": ["us-east-1"]}},
                                 "workloads": [{"name": "data", "type": "storage", "gb": 1000, "growth_gb_per_month": 1000}]}))
    r = CliRunner().invoke(main, ["compare", str(f), "--monthly", "--format", "json", "--catalog", "embedded"])
    assert r.exit_code == 0, r.output
    months = json.loads(r.stdout)["months"]
    # S3 Standard 0.023/GB-month: month 1 bills (1,000 + 2,000) / 2 = 1,500 GB-months = 34.50; month 2 2,500 = 57.50
    assert [(m["month"], m["cost"]) for m in months] == [(1, 34.5), (2, 57.5)]


def test_too_close_to_call_is_judged_on_the_costs_that_differ():
    # one serving workload (GCP 4 x 730 x 0.80 = 2,336 a month; Azure 7 x 730 x 0.50 = 2,555) plus edge devices
    # that cost the same on every cloud. 3 months: GCP 7,008, Azure 7,665 -> margin 657, 8.6 % of Azure's
    # differing costs, whatever the edge devices add.
    edge = {"name": "kiosks", "type": "serving", "style": "edge", "devices": 1000, "device_unit_cost_usd": 3600,
            "device_lifetime_months": 36}  # 1000 x 3,600 / 36 = 100,000 a month, 300,000 over 3 months
    sc = _scenario(compare={"clouds": ["gcp", "azure"]}, workloads=[_scenario().workloads[0].model_dump(by_alias=True,
                   exclude_none=True), edge])
    res = compare(sc, _catalog())
    m = res.margin()
    assert m[0] == Decimal("657.00")
    assert m[1] == pytest.approx(657 / 307665 * 100)  # 0.21 % of the total: diluted by the devices
    assert res.margin_of_differing_costs() == pytest.approx(657 / 7665 * 100)
    assert not res.too_close_to_call
    assert res.to_dict()["winner"]["margin_pct_of_differing_costs"] == 8.6
    # with the Azure T4 at 0.4625 the differing costs are 7 x 730 x 0.4625 x 3 = 7,090.125 against GCP's 7,008:
    # margin 82.125 = 1.16 % of them -> too close to call
    cat = _catalog()
    cat.offers[:] = [o for o in cat.offers if o.instance_type != "Standard_NC4as_T4_v3"] + [
        offer(provider="azure", region="eastus", instance_type="Standard_NC4as_T4_v3", accelerator="T4",
              accelerator_count=1, vcpus=4.0, memory_gib=28.0, price=0.4625)]
    close = compare(sc, cat)
    assert close.margin()[0] == Decimal("82.125")
    assert close.margin_of_differing_costs() == pytest.approx(82.125 / 7090.125 * 100)
    assert close.too_close_to_call and close.to_dict()["winner"]["too_close_to_call"] is True
    from planner.render import summary_lines

    assert summary_lines(close)[0].startswith("Too close to call: cheapest is GCP (us-central1)")


def test_base_burst_break_even_is_against_on_demand_even_when_the_burst_is_spot():
    # interruptible serving, committed 0.50/h, on demand 0.80/h, spot 0.60/h: the rest of the fleet bursts on
    # spot, but the commitment's break-even utilization is, as everywhere, its rate over the on-demand rate:
    # 0.50 / 0.80 = 0.625 (not 0.50 / 0.60 against the spot burst)
    cat = _committed_catalog()
    cat.offers.append(offer(provider="gcp", region="us-central1", instance_type="g2-standard-4", accelerator="L4",
                            accelerator_count=1, vcpus=4.0, memory_gib=16.0, price=0.60, purchase_option="spot"))
    sc = _scenario(horizon_months=12, compare={"clouds": ["gcp"], "purchase_options": ["on_demand", "spot", "committed_1y"]},
                   workloads=[_api(qps_mean=2, qps_growth_pct_per_month=20, interruptible=True)])
    item = compare(sc, cat).cloud("gcp").items[0]
    split = item.explain["base_burst"]
    assert (item.purchase_option, split["burst_option"]) == ("committed_1y", "spot")
    assert split["break_even_utilization"] == 0.625

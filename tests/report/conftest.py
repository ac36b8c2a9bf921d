"""Helpers for the report tests: a hand-made catalog and scenario whose plan is easy to compute by hand, and
small FOCUS CSV files the tests write themselves.

The hand plan (catalog prices are test inputs, not real quotes): AWS us-east-1, g6.xlarge (1 L4) at $1.00/h.
* api: real-time serving, 2 QPS mean, a replica serves 1 req/s at utilization 1.0 -> 2 replicas x 730 h x $1.00
  = $1,460.00 a month; 2 QPS x 730 h x 3,600 s = 5,256,000 requests planned a month.
* train: monthly training, 100 GPU-hours on 1 L4 -> 100 h x $1.00 = $100.00 a month (one run a month).
* tools: fixed cost $40.00 a month.
Plan: $1,600.00 every month; budget $2,000.00 a month; horizon 3 months from plan_start 2026-02.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import offer

FOCUS_COLUMNS = ["BillingPeriodStart", "ChargePeriodStart", "ChargePeriodEnd", "ProviderName", "ServiceName",
                 "ServiceCategory", "RegionId", "ResourceId", "ChargeCategory", "PricingCategory",
                 "CommitmentDiscountId", "BilledCost", "EffectiveCost", "ListCost", "BillingCurrency", "Tags"]

SCENARIO = """\
name: Hand plan
horizon_months: 3
budget_usd_per_month: 2000
plan_start: 2026-02
compare:
  clouds: [aws]
  purchase_options: [on_demand]
fixed_costs:
  - name: tools
    usd_per_month: 40
actuals:
  workload_tag: workload
  tag_values:
    train: [train, trainer]
workloads:
  - name: api
    type: serving
    qps_mean: 2
    utilization_target: 1.0
    replica: {accelerator: L4, requests_per_s: 1}
  - name: train
    type: training
    accelerator: L4
    gpu_hours: 100
    gpus: 1
    interruptible: false
"""


def hand_catalog() -> Any:
    from pricing.catalog import Catalog

    return Catalog("hand", "test", "2026-11-01", [
        offer(provider="aws", region="us-east-1", instance_type="g6.xlarge", accelerator="L4", accelerator_count=1,
              vcpus=4.0, memory_gib=16.0, price="1.00"),
    ])


def charge(day: str, cost: float, *, workload: str | None = None, service: str = "Amazon Elastic Compute Cloud",
           category: str = "Compute", end: str | None = None, billed: float | None = None, currency: str = "USD",
           provider: str = "AWS", pricing: str = "Standard", charge_category: str = "Usage",
           commitment: str = "", resource: str = "i-0abc", tags: dict[str, str] | None = None) -> dict[str, Any]:
    """One FOCUS row charged on ``day`` (YYYY-MM-DD) for one day, unless ``end`` says otherwise."""
    from datetime import date, timedelta

    d = date.fromisoformat(day)
    stop = end or (d + timedelta(days=1)).isoformat()
    t = dict(tags or {})
    if workload is not None:
        t["workload"] = workload
    return {"BillingPeriodStart": f"{day[:7]}-01T00:00:00Z", "ChargePeriodStart": f"{day}T00:00:00Z",
            "ChargePeriodEnd": f"{stop}T00:00:00Z", "ProviderName": provider, "ServiceName": service,
            "ServiceCategory": category, "RegionId": "us-east-1", "ResourceId": resource,
            "ChargeCategory": charge_category, "PricingCategory": pricing, "CommitmentDiscountId": commitment,
            "BilledCost": f"{cost if billed is None else billed:.2f}", "EffectiveCost": f"{cost:.2f}",
            "ListCost": f"{cost:.2f}", "BillingCurrency": currency, "Tags": json.dumps(t, sort_keys=True)}


def write_focus(path: Path, rows: list[dict[str, Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=FOCUS_COLUMNS)
        w.writeheader()
        w.writerows(rows)
    return path


def load_focus(path: Path) -> Any:
    """A FOCUS CSV as the frame the report takes, read by planner.actuals.read_actuals as a user's file would be."""
    from planner.actuals import read_actuals

    return read_actuals([str(path)])


def hand_rows() -> list[dict[str, Any]]:
    """February 2026 complete, March 2026 through the 10th (see test_figures.py for the sums)."""
    rows = [charge(f"2026-02-{d:02d}", 50.00, workload="api") for d in range(1, 29)]  # 28 x 50 = 1,400
    rows.append(charge("2026-02-10", 120.00, workload="train"))
    rows.append(charge("2026-02-01", 30.00, service="Amazon Simple Storage Service", category="Storage",
                       end="2026-03-01"))  # untagged, a monthly charge
    rows += [charge(f"2026-03-{d:02d}", 60.00, workload="api") for d in range(1, 11)]  # 10 x 60 = 600
    rows.append(charge("2026-03-05", 110.00, workload="trainer"))  # mapped to train by tag_values
    rows += [charge(f"2026-03-{d:02d}", 5.00, service="Amazon SageMaker", category="AI and Machine Learning")
             for d in range(1, 11)]  # untagged, new in March: 10 x 5 = 50
    return rows


VOLUMES = "month,workload,requests,tokens,training_runs\n2026-02,api,4000000,,\n2026-03,api,2000000,,\n" \
          "2026-02,train,,,1\n2026-03,train,,,1\n"


@pytest.fixture
def hand(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The hand scenario, its FOCUS file and volumes CSV on disk; the hand catalog for every comparison."""
    from planner import comparison

    sc = tmp_path / "hand.yaml"
    sc.write_text(SCENARIO)
    focus = write_focus(tmp_path / "focus.csv", hand_rows())
    vols = tmp_path / "volumes.csv"
    vols.write_text(VOLUMES)
    real = comparison.compare
    cat = hand_catalog()

    def with_hand_catalog(scenario: Any, catalog: Any = None, **kw: Any) -> Any:
        return real(scenario, cat, **kw)

    monkeypatch.setattr(comparison, "compare", with_hand_catalog)
    return {"scenario": sc, "focus": focus, "volumes": vols, "dir": tmp_path}

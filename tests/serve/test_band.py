"""The P10-P90 band: draws of the scenario's main estimates, each priced with what_if + compare."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from planner.comparison import compare
from planner.money import money
from planner.serve import uncertainty
from planner.whatif import what_if


def test_draws_cover_each_estimate_stratum_by_stratum(engine):
    sc = engine.store.get("chat-assistant").scenario
    n = 16
    d = uncertainty.draws(sc, n=n, seed=7)
    assert len(d) == n
    factors = sorted(x["workloads.chat.qps_mean"] / 15 for x in d)  # the file's qps_mean is 15
    # a Latin hypercube puts exactly one draw in each of n equally likely slices of lognormal(0.35)
    edges = stats.lognorm(uncertainty.TRAFFIC_SIGMA).ppf(np.arange(n + 1) / n)
    for k, f in enumerate(factors):
        assert edges[k] * (1 - 1e-5) <= f <= edges[k + 1] * (1 + 1e-5), (k, f)
    # the peak moves with the mean (the file's 40/15), so the traffic shape is the file's
    for x in d:
        assert x["workloads.chat.qps_peak"] / x["workloads.chat.qps_mean"] == pytest.approx(40 / 15, rel=1e-5)
    growth = sorted(x["workloads.chat.qps_growth_pct_per_month"] - 5 for x in d)  # the file's growth is 5 %
    z = stats.norm(0, uncertainty.GROWTH_SD_POINTS).ppf(np.arange(n + 1) / n)
    for k, g in enumerate(growth):
        assert z[k] - 1e-4 <= g <= z[k + 1] + 1e-4
    assert uncertainty.draws(sc, n=n, seed=7) == d  # seeded: the page shows the same band each time


def test_band_is_the_percentiles_of_the_priced_draws(engine):
    n = 5
    got = uncertainty.band(engine, "chat-assistant", {"workloads.chat.qps_mean": 20}, n=n, seed=3)
    sc = what_if(engine.store.get("chat-assistant").scenario, {"workloads.chat.qps_mean": 20})
    spend: dict[str, list[list[float]]] = {}
    for d in uncertainty.draws(sc, n=n, seed=3):
        for c in compare(what_if(sc, d), engine.catalog).clouds:
            spend.setdefault(c.cloud, []).append([float(v) for v in c.monthly_spend])
    assert [c["cloud"] for c in got["clouds"]] == list(spend)
    for c in got["clouds"]:
        a = np.asarray(spend[c["cloud"]])
        assert c["draws"] == n
        assert c["monthly_p10"] == pytest.approx(list(np.percentile(a, 10, axis=0)), abs=0.006)
        assert c["monthly_p90"] == pytest.approx(list(np.percentile(a, 90, axis=0)), abs=0.006)
        assert c["cumulative_p90"][-1] == pytest.approx(np.percentile(a.sum(axis=1), 90), abs=0.006)


def test_the_plan_lies_inside_its_band(client, engine):
    # every varied estimate raises cost as it grows and the draws are centred on the plan's values,
    # so the plan's own horizon total sits between the P10 and P90 of the draws
    band = client.post("/api/band", json={"scenario": "chat-assistant", "overrides": {}}).json()
    assert band["n"] == uncertainty.N_DRAWS and "chat traffic" in band["note"]
    plan = compare(engine.store.get("chat-assistant").scenario, engine.catalog)
    for c in band["clouds"]:
        total = money(plan.cloud(c["cloud"]).contracted_horizon_cost)
        assert c["cumulative_p10"][-1] <= total <= c["cumulative_p90"][-1], c["cloud"]
        assert all(lo <= mid <= hi for lo, mid, hi in zip(c["monthly_p10"], c["monthly_p50"], c["monthly_p90"],
                                                         strict=True))


def test_a_scenario_without_estimates_to_vary_has_no_band(engine):
    from planner.scenario import scenario_from_dict
    from planner.serve.store import Entry

    sc = scenario_from_dict({"name": "cameras", "workloads": [
        {"name": "cams", "type": "serving", "style": "edge", "devices": 10, "device_unit_cost_usd": 100,
         "device_lifetime_months": 10}]}, where="cameras.yaml")
    assert uncertainty.draws(sc) == []
    engine.store._files["cameras"] = Entry("cameras", sc, "cameras.yaml", "file")
    try:
        got = uncertainty.band(engine, "cameras", {})
    finally:
        del engine.store._files["cameras"]
    assert got["clouds"] == [] and got["note"].startswith("No estimate to vary")

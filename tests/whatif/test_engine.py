"""The vectorised engine gives what planner.compare gives, to the cent, on randomly drawn variants.

The reference is the exact engine (``exact_rows``: one :func:`planner.compare` per variant), so every figure
asserted here comes from the costing itself; the draws are seeded and cover the paths the engine vectorises
(peak and mean QPS, growth, price factors) crossed with structural ones (purchase options, horizon,
interruptible, zones) and the groups it must hand to the exact path (diurnal traffic, per-workload placement).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planner.whatif import engine as eng
from planner.whatif.core import exact_rows, grid_table

ROOT = Path(__file__).resolve().parents[2]
MONEY = ["monthly_cost", "month_1_cost", "horizon_cost", "commitment_tail"]
LABELS = ["cloud", "region", "instance_type", "count", "purchase_option", "complete", "winner"]


@pytest.fixture(scope="module")
def chat():
    from planner.scenario import load_scenario

    return load_scenario(ROOT / "scenarios" / "chat-assistant.yaml")


def assert_same(fast: pd.DataFrame, ref: pd.DataFrame) -> None:
    assert len(fast) == len(ref)
    assert list(fast["variant"]) == list(ref["variant"])
    for c in MONEY:  # to the cent (the two differ by float rounding only: ~1e-9 USD)
        a, b = fast[c].to_numpy(float), ref[c].to_numpy(float)
        assert np.all(np.isnan(a) == np.isnan(b)), c
        assert np.nanmax(np.abs(a - b)) < 0.005, (c, np.nanmax(np.abs(a - b)))
    for c in LABELS:
        assert [str(x) for x in fast[c]] == [str(x) for x in ref[c]], c


def sample(table: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    rows = np.random.default_rng(seed).choice(len(table), size=min(n, len(table)), replace=False)
    return table.iloc[np.sort(rows)].reset_index(drop=True)


def test_qps_purchase_options_and_prices_match_compare(chat, catalog):
    rng = np.random.default_rng(7)
    grid = {
        "workloads.chat.qps_peak": [40.0, 60.0, *np.round(rng.uniform(15, 400, 30), 3)],
        "purchase_options": [["on_demand"], ["on_demand", "reserved_1y", "committed_1y"],
                             ["on_demand", "spot", "reserved_1y", "committed_1y"]],
        "prices.gcp": [1.0, 0.8],
        "prices.azure": [1.0, 1.25],
    }
    table = sample(grid_table(grid), 28, seed=1)
    assert_same(eng.evaluate_numpy(chat, table, catalog=catalog, workload="chat"),
                exact_rows(chat, table, catalog=catalog, workload="chat"))


def test_groups_with_different_rates_do_not_share_replica_counts(chat, catalog):
    """Rows that are not a grid: each purchase-option group has its own rates and its own number of rows, so no
    group may reuse another's replica counts or candidates (a price factor makes every row its own)."""
    rng = np.random.default_rng(29)
    sets = [["on_demand"], ["on_demand", "reserved_1y"], ["on_demand", "committed_1y"],
            ["on_demand", "reserved_1y", "committed_1y"], ["on_demand", "spot"], ["on_demand", "reserved_3y"]]
    n = 60
    table = pd.DataFrame({
        "workloads.chat.qps_peak": np.round(rng.lognormal(np.log(60), 0.8, n).clip(40, 2000), 3),
        "workloads.chat.qps_growth_pct_per_month": np.round(rng.uniform(0, 15, n), 3),
        "prices.gcp": np.round(rng.uniform(0.6, 1.2, n), 3),
        "purchase_options": [sets[i] for i in rng.integers(0, len(sets), n)],
    })
    assert_same(eng.evaluate_numpy(chat, table, catalog=catalog, workload="chat"),
                exact_rows(chat, table, catalog=catalog, workload="chat"))


def test_a_cloud_that_cannot_run_the_hardware_is_missing_not_cheap(chat, catalog):
    """H200 only: the embedded catalog has it on AWS and on neither GCP nor Azure, so those two are incomplete
    (no cost, never the winner), as compare() says; their other workloads alone must not make them cheapest."""
    from planner.whatif.overrides import what_if

    sc = what_if(chat, {"workloads.chat.accelerators": ["H200"]})
    table = pd.DataFrame({"workloads.chat.qps_peak": [40.0, 80.0, 160.0]})
    fast = eng.evaluate_numpy(sc, table, catalog=catalog, workload="chat")
    ref = exact_rows(sc, table, catalog=catalog, workload="chat")
    ref["count"] = ref["count"].astype("Int64")  # whole numbers, missing where nothing is priced
    assert_same(fast, ref)
    assert not fast.loc[fast["cloud"] != "aws", "complete"].any() and (fast.loc[fast["winner"], "cloud"] == "aws").all()


def test_mean_and_growth_over_two_years_with_renewed_commitments(chat, catalog):
    """24 months: one-year commitments expire and are bought again; growth is swept too (and may be negative)."""
    from planner.whatif import what_if

    base = what_if(chat, {"horizon_months": 24, "workloads.chat.qps_peak": None})  # sized on the mean
    rng = np.random.default_rng(11)
    grid = {"workloads.chat.qps_mean": np.round(rng.uniform(2, 150, 25), 2),
            "workloads.chat.qps_growth_pct_per_month": [-3.0, 0.0, 4.0, 9.5]}
    table = sample(grid_table(grid), 16, seed=2)
    assert_same(eng.evaluate_numpy(base, table, catalog=catalog, workload="chat"),
                exact_rows(base, table, catalog=catalog, workload="chat"))


def test_interruptible_zones_and_no_named_workload(chat, catalog):
    """Spot allowed for serving, three zones (a floor of three instances), and the hardware column naming the
    costliest compute item when no workload is named (the chat fleet or the fine-tune, whichever costs more)."""
    from planner.whatif import what_if

    base = what_if(chat, {"workloads.chat.interruptible": True, "workloads.chat.zones": 3,
                          "workloads.chat.min_replicas": 1, "workloads.chat.qps_peak": None})
    grid = {"workloads.chat.qps_mean": [0.5, 1.0, 3.0, 17.0, 40.0, 95.5, 230.0],
            "prices.aws": [0.5, 1.0]}
    table = grid_table(grid)
    assert_same(eng.evaluate_numpy(base, table, catalog=catalog, workload=None),
                exact_rows(base, table, catalog=catalog, workload=None))


def test_groups_it_cannot_vectorise_go_through_compare(chat, catalog, monkeypatch):
    """Diurnal traffic and per-workload placement are evaluated exactly, in the same frame as the rest."""
    grid = {"workloads.chat.qps_peak": [30.0, 44.0],  # x 8 h within qps_mean 15 x 24 h
            "workloads.chat.peak_hours_per_day": [24, 8],
            "placement": ["single_region", "per_workload"]}
    table = grid_table(grid)
    fast = eng.evaluate_numpy(chat, table, catalog=catalog, workload="chat")
    assert_same(fast, exact_rows(chat, table, catalog=catalog, workload="chat"))


def test_vectorised_groups_do_not_call_compare_per_variant(chat, catalog, monkeypatch):
    """The eligible group is costed in numpy: compare() does not run per variant (the other workloads are
    costed once per group by the costing functions themselves)."""
    from planner import comparison

    calls = []
    real = comparison.compare
    monkeypatch.setattr(comparison, "compare", lambda *a, **k: calls.append(1) or real(*a, **k))
    table = grid_table({"workloads.chat.qps_peak": np.linspace(20, 300, 200)})
    out = eng.evaluate_numpy(chat, table, catalog=catalog, workload="chat")
    assert len(out) == 600 and len(calls) <= 1


def test_variants_with_the_same_replicas_are_costed_once(chat):
    """40.0 and 40.001 QPS need the same replicas in every configuration and month: one signature."""
    w = chat.workloads[0]
    cap = eng._capacity(chat, w, np.array([40.0, 40.001, 400.0]), np.array([5.0, 5.0, 5.0]), 12)
    assert cap.index[0] == cap.index[1] != cap.index[2]
    assert cap.sig_replicas.shape[1:] == (len(cap.profiles), 12)


def test_invalid_variant_fails_like_the_scenario(chat, catalog):
    from planner.whatif import OverrideError

    table = grid_table({"workloads.chat.qps_mean": [10.0, 50.0]})  # 50 > qps_peak 40: refused by the scenario
    with pytest.raises(OverrideError, match="below qps_mean"):
        eng.evaluate_numpy(chat, table, catalog=catalog, workload="chat")
    with pytest.raises(OverrideError, match="prices"):
        eng.evaluate_numpy(chat, grid_table({"prices.gcp": [1.0, -2.0]}), catalog=catalog, workload="chat")


def test_replica_counts_equal_the_sizing_function():
    """replicas_for (numpy, all rates at once) against size_llm_serving (one rate at a time), including rates
    on the TTFT boundary of a configuration, where the count steps up."""
    from planner.capacity.llm_sizing import replicas_for, serving_profiles, size_llm_serving

    accs = ["H100-SXM", "A100-80GB", "L40S", "L4", "A10G"]
    profiles = serving_profiles("llama-3-8b", accs, 1000, 250, ttft_p95_ms=1000, tpot_ms=50)
    rng = np.random.default_rng(3)
    rates = list(rng.uniform(0.05, 600, 120))
    rates += [p.x_ok * r for p in profiles[:4] for r in (3, 7)] + [p.x_bad * 5 for p in profiles[:4]]
    for q in rates:
        want = {(o.accelerator, o.accelerators_per_replica): o.replicas
                for o in size_llm_serving("llama-3-8b", accs, float(q), 1000, 250, 1000, 50, utilization_target=0.7)}
        got = {(p.accelerator, p.tp): int(replicas_for(p, np.array([q]), 0.7)[0]) for p in profiles}
        assert got == want, q


def test_a_misspelled_short_form_is_suggested(chat):
    from planner.whatif import OverrideError, what_if

    with pytest.raises(OverrideError, match="did you mean regions"):
        what_if(chat, {"regoins.aws": ["us-west-2"]})


def test_a_larger_model_with_three_year_terms_matches_compare(chat, catalog):
    """llama-3-70b (tensor parallel over 2-8 GPUs), three zones, two AWS regions, 24 months and every
    commitment term the embedded catalog sells, swept over rate, growth and a GCP price factor."""
    from planner.whatif import what_if

    base = what_if(chat, {
        "workloads.chat.model": "llama-3-70b", "workloads.chat.accelerators": ["H100-SXM", "A100-80GB", "L40S", "H200"],
        "workloads.chat.ttft_p95_ms": 2000, "workloads.chat.tpot_ms": 80, "workloads.chat.zones": 3,
        "horizon_months": 24, "regions.aws": ["us-east-1", "us-west-2"],
        "purchase_options": ["on_demand", "spot", "reserved_1y", "reserved_3y", "committed_1y", "committed_3y"]})
    rng = np.random.default_rng(5)
    table = pd.DataFrame({"workloads.chat.qps_peak": np.round(rng.uniform(15, 300, 8), 2),
                          "workloads.chat.qps_growth_pct_per_month": rng.choice([-2.0, 0.0, 3.0, 7.5], 8),
                          "prices.gcp": np.round(rng.uniform(0.6, 1.2, 8), 3)})
    assert_same(eng.evaluate_numpy(base, table, catalog=catalog, workload="chat"),
                exact_rows(base, table, catalog=catalog, workload="chat"))


def test_best_committed_base_equals_trying_every_base():
    """best_base (the first minimum found from the slope of the total) against every base from 1 to the cap, on
    random monthly counts, rates and terms."""
    rng = np.random.default_rng(11)
    for _ in range(300):
        months, term = int(rng.integers(1, 37)), int(rng.choice([12, 36]))
        n = rng.integers(1, 90, (20, months)).astype(float)
        if rng.random() < 0.5:
            n = np.sort(n, axis=1)  # growing fleets
        fixed, per_month = float(rng.uniform(0.5, 40)) * 730.0, float(rng.uniform(0.3, 60)) * 730.0
        bought = -(-months // term) * term
        cap = np.minimum(n.max(axis=1), eng.MAX_BASE)
        want_val, want = np.full(20, np.inf), np.zeros(20)
        for b in range(1, eng.MAX_BASE + 1):  # the costing's loop: every base, the first strict minimum kept
            base = np.full(20, float(b))
            # every month bought pays the base; each month pays per_month for each instance above it
            monthly = fixed * base[:, None] + per_month * np.maximum(0, n - base[:, None])
            exact = monthly.sum(axis=1) + fixed * base * (bought - months)
            tot = np.round(fixed * bought * base + per_month * np.maximum(0, n - base[:, None]).sum(axis=1), 6)
            assert np.allclose(tot, exact, rtol=0, atol=1.1e-6)  # the same total summed by month (to the micro-dollar)
            ok = (base <= cap) & (tot < want_val)
            want_val, want = np.where(ok, tot, want_val), np.where(ok, base, want)
        got, got_val = eng.best_base(n, cap, fixed, per_month, bought)
        assert (got == want).all() and (got_val == want_val).all()

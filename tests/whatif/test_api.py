"""The what-if API: sweep, monte_carlo, sensitivity and diff return the documented frames, and their numbers
are planner.compare's on the same variant."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pytest

import planner
from planner.errors import PlannerError
from planner.whatif.core import RESULT_COLUMNS, comparison_rows

SWEEP_COLUMNS = ["variant", "workloads.chat.qps_peak", "prices.gcp", *RESULT_COLUMNS]


def cents(x: Decimal | None) -> float:
    return math.nan if x is None else float(x.quantize(Decimal("0.01")))


def test_sweep_rows_equal_compare_of_each_variant_to_the_cent(small, catalog):
    grid = {"workloads.chat.qps_peak": [20, 80], "prices.gcp": [1.0, 0.5]}
    frame = planner.sweep(small, grid, catalog=catalog).to_frame()
    assert list(frame.columns) == SWEEP_COLUMNS
    assert len(frame) == 4 * 3  # 2 x 2 variants, 3 clouds each
    for (qps, factor), rows in frame.groupby(["workloads.chat.qps_peak", "prices.gcp"]):
        ref = planner.compare(planner.what_if(small, {"workloads.chat.qps_peak": qps, "prices.gcp": factor}),
                              catalog)
        assert list(rows["cloud"]) == [c.cloud for c in ref.clouds]
        for (_, row), c in zip(rows.iterrows(), ref.clouds, strict=True):
            assert row["region"] == c.region
            assert round(row["horizon_cost"], 2) == cents(c.contracted_horizon_cost)
            assert round(row["monthly_cost"], 2) == cents(c.average_month)
            item = next(i for i in c.items if i.resource == "instance")
            assert (row["instance_type"], row["count"], row["purchase_option"]) == (
                item.instance_type, item.count, item.purchase_option)
            assert row["complete"] == c.complete
            assert row["winner"] == (c.cloud == ref.winner.cloud)


def test_sweep_price_factor_scales_only_that_cloud(small, catalog):
    # prices.gcp=0.5 halves every GCP list price: the same hardware costs half (what_if's documented meaning)
    f = planner.sweep(small, {"prices.gcp": [1.0, 0.5]}, catalog=catalog).to_frame().set_index(["prices.gcp", "cloud"])
    assert f.loc[(0.5, "gcp"), "horizon_cost"] == pytest.approx(f.loc[(1.0, "gcp"), "horizon_cost"] / 2, abs=0.01)
    assert f.loc[(0.5, "aws"), "horizon_cost"] == f.loc[(1.0, "aws"), "horizon_cost"]


def test_sweep_accepts_a_scenario_file_and_list_values(catalog):
    r = planner.sweep("scenarios/chat-assistant.yaml", {"regions.aws": [["us-east-1"]]}, engine="exact",
                      catalog=catalog)
    f = r.to_frame()
    assert set(f["cloud"]) == {"aws", "gcp", "azure"}
    assert (f.loc[f["cloud"] == "aws", "region"] == "us-east-1").all()


@pytest.mark.parametrize(("grid", "message"), [
    ({}, "the grid is empty"),
    ({"workloads.chat.qps_peak": []}, "no values for workloads.chat.qps_peak"),
    ({"workloads.chat.qps_peek": [1]}, "did you mean qps_peak"),
    ({"workloads.chat.qps_peak": ["lots"]}, "qps_peak"),
    ({"workloads.chat.qps_peak": list(range(5000)), "prices.gcp": list(range(1, 5000))}, "engine='dask'"),
])
def test_sweep_bad_input_is_a_planner_error(small, catalog, grid, message):
    with pytest.raises(PlannerError, match=message.replace("(", r"\(")):
        planner.sweep(small, grid, catalog=catalog)


def test_sweep_unknown_engine(small, catalog):
    with pytest.raises(PlannerError, match="unknown engine 'gpu'"):
        planner.sweep(small, {"prices.gcp": [1.0]}, engine="gpu", catalog=catalog)


# ------------------------------------------------------------------------------------------------ monte carlo
ASSUME = {"workloads.chat.qps_peak": ("uniform", 20, 80), "prices.aws": {"dist": "normal", "mean": 1.0, "sd": 0.1}}


@pytest.fixture(scope="module")
def mc(small, catalog):
    return planner.monte_carlo(small, ASSUME, n=30, seed=7, catalog=catalog)


def test_monte_carlo_same_seed_same_draws_and_costs(small, catalog, mc):
    again = planner.monte_carlo(small, ASSUME, n=30, seed=7, catalog=catalog)
    assert mc.draws.equals(again.draws)
    assert mc.to_frame().equals(again.to_frame())
    other = planner.monte_carlo(small, ASSUME, n=30, seed=8, catalog=catalog)
    assert not mc.draws.equals(other.draws)


def test_monte_carlo_draws_come_from_the_distributions(mc):
    d = mc.draws
    assert list(d.columns) == ["variant", "workloads.chat.qps_peak", "prices.aws"]
    assert len(d) == 30
    assert d["workloads.chat.qps_peak"].between(20, 80).all()
    # qps_peak must stay >= qps_mean (15) for a valid scenario; uniform(20, 80) never breaks that
    assert d["prices.aws"].gt(0).all()


def test_monte_carlo_summary_matches_the_per_draw_frame(mc):
    f = mc.to_frame()
    assert len(f) == 30 * 3
    s = mc.summary().set_index("cloud")
    for cloud, d in f.groupby("cloud"):
        ok = d[d["complete"]]
        for m in ("monthly_cost", "horizon_cost"):
            p10, p50, p90 = np.percentile(ok[m].to_numpy(), [10, 50, 90])
            assert s.loc[cloud, f"{m}_p10"] == pytest.approx(p10, rel=1e-12)
            assert s.loc[cloud, f"{m}_p50"] == pytest.approx(p50, rel=1e-12)
            assert s.loc[cloud, f"{m}_p90"] == pytest.approx(p90, rel=1e-12)
        wins = sum(1 for v, g in f.groupby("variant") if g.loc[g["horizon_cost"].idxmin(), "cloud"] == cloud
                   and g["complete"].all())
        assert s.loc[cloud, "p_win"] == pytest.approx(wins / 30)
    assert s["p_win"].sum() == pytest.approx(1 - mc.no_winner_share)


def test_monte_carlo_rows_equal_compare_of_a_draw(small, catalog, mc):
    f = mc.to_frame()
    row = mc.draws.iloc[3]
    sc = planner.what_if(small, {"workloads.chat.qps_peak": float(row["workloads.chat.qps_peak"]),
                                 "prices.aws": float(row["prices.aws"])})
    ref = {r["cloud"]: r for r in comparison_rows(planner.compare(sc, None))}
    got = f[f["variant"] == 3].set_index("cloud")
    for cloud, r in ref.items():
        assert round(got.loc[cloud, "horizon_cost"], 2) == round(r["horizon_cost"], 2)


def test_monte_carlo_bad_input(small, catalog):
    with pytest.raises(PlannerError, match="no assumptions"):
        planner.monte_carlo(small, {}, n=10, catalog=catalog)
    with pytest.raises(PlannerError, match="n must be"):
        planner.monte_carlo(small, ASSUME, n=0, catalog=catalog)
    with pytest.raises(PlannerError, match="did you mean qps_peak"):
        planner.monte_carlo(small, {"workloads.chat.qps_peek": ("uniform", 1, 2)}, n=10, catalog=catalog)
    # a draw below qps_mean (15) breaks a rule between fields: refused, naming the draw
    with pytest.raises(PlannerError, match="draw .* is not a valid scenario"):
        planner.monte_carlo(small, {"workloads.chat.qps_peak": ("uniform", 1, 14)}, n=5, catalog=catalog)


# ------------------------------------------------------------------------------------------------ sensitivity
def test_sensitivity_tornado_sorted_by_swing_and_equal_to_compare(small, catalog):
    ranges = {"prices.azure": (0.9, 1.1), "workloads.chat.qps_peak": (20, 80), "prices.gcp": (0.5, 1.5)}
    t = planner.sensitivity(small, ranges, catalog=catalog)
    f = t.to_frame()
    assert list(f.columns) == ["path", "cloud", "low", "base", "high", "cost_low", "cost_base", "cost_high", "swing",
                               "winner_low", "winner_high"]
    assert len(f) == 3 * 3
    assert list(f["swing"]) == sorted(f["swing"], reverse=True)
    assert (f["swing"] == (f["cost_high"] - f["cost_low"]).abs()).all()
    base = {c.cloud: c for c in planner.compare(small, catalog).clouds}
    hi = {c.cloud: c for c in planner.compare(planner.what_if(small, {"workloads.chat.qps_peak": 80}), catalog).clouds}
    for _, r in f.iterrows():
        assert round(r["cost_base"], 2) == cents(base[r["cloud"]].contracted_horizon_cost)
        if r["path"] == "workloads.chat.qps_peak":
            assert r["base"] == 40
            assert round(r["cost_high"], 2) == cents(hi[r["cloud"]].contracted_horizon_cost)
        if r["path"] == "prices.azure" and r["cloud"] != "azure":
            assert r["swing"] == 0  # an Azure price change moves no other cloud


def test_sensitivity_bad_input(small, catalog):
    with pytest.raises(PlannerError, match="no ranges"):
        planner.sensitivity(small, {}, catalog=catalog)
    with pytest.raises(PlannerError, match=r"must be \(low, high\)"):
        planner.sensitivity(small, {"prices.aws": (1.0,)}, catalog=catalog)
    with pytest.raises(PlannerError, match="not a number"):
        planner.sensitivity(small, {"workloads.chat.model": (1, 2)}, catalog=catalog)
    with pytest.raises(PlannerError, match="unknown metric"):
        planner.sensitivity(small, {"prices.aws": (0.9, 1.1)}, metric="cost", catalog=catalog)


# ------------------------------------------------------------------------------------------------ diff
def test_diff_names_changes_and_cost_deltas(small, catalog):
    b = planner.what_if(small, {"prices.gcp": 0.5, "workloads.chat.qps_peak": 80})
    d = planner.diff(small, b, catalog=catalog)
    changes = {r["path"]: (r["old"], r["new"]) for _, r in d.changes.iterrows()}
    assert changes == {"prices.gcp": (None, 0.5), "workloads.chat.qps_peak": (40.0, 80.0)}
    f = d.to_frame().set_index("cloud")
    before = {c.cloud: c for c in planner.compare(small, catalog).clouds}
    after = {c.cloud: c for c in planner.compare(b, catalog).clouds}
    for cloud in ("aws", "gcp", "azure"):
        assert round(f.loc[cloud, "horizon_before"], 2) == cents(before[cloud].contracted_horizon_cost)
        assert round(f.loc[cloud, "horizon_after"], 2) == cents(after[cloud].contracted_horizon_cost)
        assert f.loc[cloud, "horizon_change"] == pytest.approx(
            f.loc[cloud, "horizon_after"] - f.loc[cloud, "horizon_before"])


def test_diff_of_identical_scenarios_is_empty(small, catalog):
    d = planner.diff(small, small, catalog=catalog)
    assert d.changes.empty
    assert (d.to_frame()["horizon_change"] == 0).all()


# ------------------------------------------------------------------------------------------------ plots
def test_every_result_plots_to_an_axes(small, catalog, mc):
    from matplotlib.axes import Axes

    one = planner.sweep(small, {"workloads.chat.qps_peak": [20, 40, 80]}, catalog=catalog)
    two = planner.sweep(small, {"workloads.chat.qps_peak": [20, 80], "prices.gcp": [0.5, 1.0]}, catalog=catalog)
    cat = planner.sweep(small, {"purchase_options": [["on_demand"], ["on_demand", "reserved_1y"]]}, catalog=catalog)
    t = planner.sensitivity(small, {"prices.gcp": (0.5, 1.5)}, catalog=catalog)
    d = planner.diff(small, planner.what_if(small, {"prices.gcp": 0.5}), catalog=catalog)
    axes = [one.plot(), two.plot(), two.plot(hue="prices.gcp"), cat.plot(), mc.plot(), t.plot(), d.plot()]
    for ax in axes:
        assert isinstance(ax, Axes)
        assert ax.get_title()
    assert one.plot().get_xlabel() == "chat.qps_peak"


def test_sweep_over_a_table_of_variants(small, catalog):
    import pandas as pd

    table = pd.DataFrame({"workloads.chat.qps_mean": [15, 30], "workloads.chat.qps_peak": [40, 80]})
    r = planner.sweep(small, table, catalog=catalog)
    f = r.to_frame()
    assert len(f) == 2 * 3  # two variants (not 2 x 2 combinations), three clouds
    assert r.grid == {"workloads.chat.qps_mean": [15, 30], "workloads.chat.qps_peak": [40, 80]}
    ref = planner.compare(planner.what_if(small, {"workloads.chat.qps_mean": 30, "workloads.chat.qps_peak": 80}),
                          catalog)
    got = f[f["variant"] == 1].set_index("cloud")
    for c in ref.clouds:
        assert round(got.loc[c.cloud, "horizon_cost"], 2) == cents(c.contracted_horizon_cost)
    # qps_mean moves with qps_peak: one line per cloud over qps_peak, not an axis of its own
    assert r.plot(x="workloads.chat.qps_peak").get_xlabel() == "chat.qps_peak"
    with pytest.raises(PlannerError, match="no rows"):
        planner.sweep(small, table.iloc[:0], catalog=catalog)


def test_monte_carlo_draw_breaking_a_rule_between_fields(small, catalog, monkeypatch):
    from planner.whatif import api

    # mean and peak drawn independently: some draws have peak < mean, which the scenario refuses
    assume = {"workloads.chat.qps_mean": ("uniform", 10, 50), "workloads.chat.qps_peak": ("uniform", 30, 80)}
    with pytest.raises(PlannerError, match=r"draw \d+ \(.*\) is not a valid scenario"):
        planner.monte_carlo(small, assume, n=50, seed=0, catalog=catalog)
    # beyond the draws checked up front, the engine's own check refuses it (before any result is returned)
    monkeypatch.setattr(api, "CHECKED_DRAWS", 0)
    monkeypatch.setattr(api, "validate_draws", lambda sc, table, limit=None: None)
    with pytest.raises(PlannerError, match="is not a valid scenario|qps_peak"):
        planner.monte_carlo(small, assume, n=50, seed=0, catalog=catalog)


def test_diff_reports_the_changed_workloads_hardware(catalog):
    # chat-assistant has a fine-tune too; moving chat to L4 must show chat's instances, not the fine-tune's
    sc = planner.load_scenario("scenarios/chat-assistant.yaml")
    b = planner.what_if(sc, {"workloads.chat.accelerators": ["L4"]})
    f = planner.diff(sc, b, catalog=catalog).to_frame().set_index("cloud")
    for side, scen in (("before", sc), ("after", b)):
        for c in planner.compare(scen, catalog).clouds:
            chat = [i for i in c.items if i.workload == "chat" and i.resource == "instance"]
            want = chat[0].instance_type if chat and chat[0].instance_type else None
            got = f.loc[c.cloud, f"instance_{side}"]
            assert (got if isinstance(got, str) else None) == want


@pytest.mark.parametrize("engine", ["numpy", "exact"])
def test_progress_reports_variants_and_keeps_the_rows(small, catalog, engine):
    seen = []
    grid = {"workloads.chat.qps_peak": [20, 40, 80], "prices.gcp": [1.0, 0.5]}
    with_bar = planner.sweep(small, grid, engine=engine, catalog=catalog, progress=lambda d, n: seen.append((d, n)))
    plain = planner.sweep(small, grid, engine=engine, catalog=catalog)
    assert seen[-1] == (6, 6)
    assert all(n == 6 and 0 <= d <= 6 for d, n in seen) and [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert with_bar.to_frame().equals(plain.to_frame())


def test_numpy_progress_moves_within_one_group(small, catalog):
    """One group of variants (only the rate changes) still reports as it goes: after the capacity and after each
    cloud's regions, not only once at the end."""
    seen = []
    grid = {"workloads.chat.qps_peak": [20 + i for i in range(60)]}
    planner.sweep(small, grid, catalog=catalog, progress=lambda d, n: seen.append((d, n)))
    done = [d for d, _ in seen]
    assert seen[-1] == (60, 60) and done == sorted(done)
    assert len({d for d in done if 0 < d < 60}) >= 3  # capacity, then the regions


def test_a_dataframe_of_variants_may_hold_lists(small, catalog):
    """Rows of a DataFrame are the variants, whatever their values: purchase-option lists included (each row
    costs what the same row of a grid costs)."""
    import pandas as pd

    rows = pd.DataFrame({"workloads.chat.qps_peak": [40, 80, 80],
                         "purchase_options": [["on_demand"], ["on_demand", "committed_1y"], ["on_demand"]]})
    got = planner.sweep(small, rows, catalog=catalog)
    assert got.grid["purchase_options"] == [["on_demand"], ["on_demand", "committed_1y"]]
    grid = planner.sweep(small, {"workloads.chat.qps_peak": [40, 80],
                                 "purchase_options": [["on_demand"], ["on_demand", "committed_1y"]]}, catalog=catalog)
    g = grid.to_frame().set_index(["workloads.chat.qps_peak", grid.to_frame()["purchase_options"].map(tuple), "cloud"])
    for _, r in got.to_frame().iterrows():
        want = g.loc[(r["workloads.chat.qps_peak"], tuple(r["purchase_options"]), r["cloud"]), "horizon_cost"]
        assert r["horizon_cost"] == want

"""engine="dask": variants partitioned across a Dask cluster give the numpy engine's frame, row for row."""

from __future__ import annotations

import pandas as pd
import pytest

import planner
from planner.errors import PlannerError

pytest.importorskip("distributed")

GRID = {"workloads.chat.qps_peak": [20, 40, 80], "prices.gcp": [1.0, 0.5]}


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    from planner.whatif.dask_engine import LOCAL_CLUSTER_QUIET

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, **LOCAL_CLUSTER_QUIET) as c:
        yield c


@pytest.fixture(scope="module")
def numpy_sweep(small, catalog):
    return planner.sweep(small, GRID, catalog=catalog).to_frame()


def test_dask_sweep_with_a_client_equals_numpy(small, catalog, cluster, numpy_sweep):
    from distributed import Client

    seen = []
    with Client(cluster) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        got = planner.sweep(small, GRID, engine="dask", client=client, catalog=catalog,
                            progress=lambda done, n: seen.append((done, n))).to_frame()
    pd.testing.assert_frame_equal(got, numpy_sweep, check_categorical=False)
    assert seen[-1] == (6, 6)


def test_dask_sweep_with_a_scheduler_address_equals_numpy(small, catalog, cluster, numpy_sweep):
    got = planner.sweep(small, GRID, engine="dask", client=cluster.scheduler_address, catalog=catalog).to_frame()
    pd.testing.assert_frame_equal(got, numpy_sweep, check_categorical=False)


def test_dask_monte_carlo_equals_numpy(small, catalog, cluster):
    assume = {"workloads.chat.qps_peak": "uniform(20, 80)", "prices.gcp": "triangular(0.6, 0.9, 1.1)"}
    ref = planner.monte_carlo(small, assume, n=12, seed=5, catalog=catalog)
    got = planner.monte_carlo(small, assume, n=12, seed=5, engine="dask", client=cluster.scheduler_address,
                              catalog=catalog)
    pd.testing.assert_frame_equal(got.to_frame(), ref.to_frame(), check_categorical=False)
    pd.testing.assert_frame_equal(got.summary(), ref.summary())


def test_no_client_starts_a_local_cluster(small, catalog, numpy_sweep, monkeypatch):
    monkeypatch.setenv("PLANNER_DASK_WORKERS", "1")
    got = planner.sweep(small, GRID, engine="dask", catalog=catalog).to_frame()
    pd.testing.assert_frame_equal(got, numpy_sweep, check_categorical=False)


def test_bad_client_and_worker_count(small, catalog, monkeypatch):
    with pytest.raises(PlannerError, match="client must be a distributed.Client or a scheduler address"):
        planner.sweep(small, GRID, engine="dask", client=42, catalog=catalog)
    monkeypatch.setenv("PLANNER_DASK_WORKERS", "many")
    with pytest.raises(PlannerError, match="PLANNER_DASK_WORKERS.*whole number from 1 to 256"):
        planner.sweep(small, GRID, engine="dask", catalog=catalog)


def test_cli_sweep_on_dask_prints_the_numpy_rows(runner, tmp_path, cluster):
    import json

    import yaml

    from planner.cli import main
    from tests.whatif.conftest import SMALL

    p = tmp_path / "small.yaml"
    p.write_text(yaml.safe_dump(SMALL))
    args = ["sweep", str(p), "--set", "workloads.chat.qps_peak=20,80", "--format", "json"]
    ref = runner.invoke(main, args)
    got = runner.invoke(main, [*args, "--engine", "dask", "--scheduler", cluster.scheduler_address])
    assert got.exit_code == 0, got.output
    assert json.loads(got.stdout) == json.loads(ref.stdout)


def test_grid_too_large_for_one_machine_is_a_lazy_frame_on_the_cluster(small, catalog, cluster, numpy_sweep,
                                                                      monkeypatch):
    from planner.whatif import api, core, dask_engine

    # pretend one machine holds 4 variants: the 6-variant grid is built and evaluated on the workers, 2 a partition
    monkeypatch.setattr(api, "MAX_LOCAL_VARIANTS", 4)
    monkeypatch.setattr(core, "MAX_LOCAL_VARIANTS", 4)
    monkeypatch.setattr(dask_engine, "GRID_PARTITION", 2)
    with pytest.raises(PlannerError, match="engine='dask'"):
        planner.sweep(small, GRID, catalog=catalog)  # the numpy engine refuses it (grid_table's limit)
    r = planner.sweep(small, GRID, engine="dask", client=cluster.scheduler_address, catalog=catalog)
    assert r.lazy
    lazy = r.to_frame()
    assert lazy.npartitions == 3
    assert list(lazy.columns) == list(numpy_sweep.columns)
    got = lazy.compute().reset_index(drop=True)
    pd.testing.assert_frame_equal(got, numpy_sweep, check_dtype=False, check_categorical=False)
    with pytest.raises(PlannerError, match="6 variants on a Dask cluster"):
        r.plot()
    with pytest.raises(PlannerError, match="give client="):
        planner.sweep(small, GRID, engine="dask", catalog=catalog)


def test_grid_slice_is_the_grid_tables_rows():
    from planner.whatif.core import grid_table
    from planner.whatif.dask_engine import grid_slice

    axes = {"a": [1, 2, 3], "b": [10.0, 20.0], "c": [5, 6]}
    full = grid_table(axes)
    pd.testing.assert_frame_equal(grid_slice(axes, 3, 9), full.iloc[3:9].reset_index(drop=True))
    lists = {"purchase_options": [["on_demand"], ["on_demand", "spot"]], "a": [1, 2]}
    assert list(grid_slice(lists, 1, 3)["purchase_options"]) == [["on_demand"], ["on_demand", "spot"]]

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
    pd.testing.assert_frame_equal(got, numpy_sweep)
    assert seen[-1] == (6, 6)


def test_dask_sweep_with_a_scheduler_address_equals_numpy(small, catalog, cluster, numpy_sweep):
    got = planner.sweep(small, GRID, engine="dask", client=cluster.scheduler_address, catalog=catalog).to_frame()
    pd.testing.assert_frame_equal(got, numpy_sweep)


def test_dask_monte_carlo_equals_numpy(small, catalog, cluster):
    assume = {"workloads.chat.qps_peak": "uniform(20, 80)", "prices.gcp": "triangular(0.6, 0.9, 1.1)"}
    ref = planner.monte_carlo(small, assume, n=12, seed=5, catalog=catalog)
    got = planner.monte_carlo(small, assume, n=12, seed=5, engine="dask", client=cluster.scheduler_address,
                              catalog=catalog)
    pd.testing.assert_frame_equal(got.to_frame(), ref.to_frame())
    pd.testing.assert_frame_equal(got.summary(), ref.summary())


def test_no_client_starts_a_local_cluster(small, catalog, numpy_sweep, monkeypatch):
    monkeypatch.setenv("PLANNER_DASK_WORKERS", "1")
    got = planner.sweep(small, GRID, engine="dask", catalog=catalog).to_frame()
    pd.testing.assert_frame_equal(got, numpy_sweep)


def test_bad_client_and_worker_count(small, catalog, monkeypatch):
    with pytest.raises(PlannerError, match="client must be a distributed.Client or a scheduler address"):
        planner.sweep(small, GRID, engine="dask", client=42, catalog=catalog)
    monkeypatch.setenv("PLANNER_DASK_WORKERS", "many")
    with pytest.raises(PlannerError, match="PLANNER_DASK_WORKERS must be a whole number"):
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

"""Fixtures for the what-if page: an engine over the example scenarios and a Starlette test client on it."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((REPO / "scenarios").glob("*.yaml"))


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory):
    """The server's engine over every example scenario, with the embedded catalog (an empty snapshot store)."""
    from planner.serve import build_engine

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PLANNER_HOME", str(tmp_path_factory.mktemp("serve-home")))
        eng, skipped = build_engine(EXAMPLES)
    assert not skipped
    return eng


@pytest.fixture(scope="module")
def client(engine):
    from starlette.testclient import TestClient

    from planner.serve.app import create_app

    # addressed to 127.0.0.1 as the browser does: the app answers loopback host names only
    with TestClient(create_app(engine), base_url="http://127.0.0.1:8765") as c:
        yield c

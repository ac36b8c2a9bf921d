"""`planner serve`: where it listens, what it warns about, and its one-line errors."""

from __future__ import annotations

import socket

import pytest

from planner.cli import main
from tests.serve.conftest import REPO

CHAT = str(REPO / "scenarios" / "chat-assistant.yaml")


@pytest.fixture
def served(monkeypatch):
    """Runs `planner serve` up to the point it would serve; records the socket and app instead of serving."""
    import uvicorn

    seen: dict = {}

    def run(self, sockets=None):
        seen["app"] = self.config.app
        seen["address"] = sockets[0].getsockname()
        for s in sockets:
            s.close()

    monkeypatch.setattr(uvicorn.Server, "run", run)
    return seen


def test_binds_to_loopback_by_default(runner, served):
    r = runner.invoke(main, ["serve", CHAT, "--port", "0"])
    assert r.exit_code == 0, r.output
    assert served["address"][0] == "127.0.0.1"
    port = served["address"][1]
    assert r.stdout.startswith(f"planner what-if page: http://127.0.0.1:{port}/  (1 scenario; catalog embedded;")
    assert r.stderr == ""


def test_another_host_is_served_with_a_warning(runner, served):
    r = runner.invoke(main, ["serve", CHAT, "--port", "0", "--host", "0.0.0.0"])
    assert r.exit_code == 0, r.output
    assert served["address"][0] == "0.0.0.0"
    assert r.stderr.startswith("Warning: listening on 0.0.0.0: anyone who can reach this machine")


def test_without_scenarios_the_examples_are_offered(runner, served, monkeypatch):
    monkeypatch.chdir(REPO)
    r = runner.invoke(main, ["serve", "--port", "0"])
    assert r.exit_code == 0, r.output
    n = len(list((REPO / "scenarios").glob("*.yaml")))
    assert f"({n} scenarios; " in r.stdout


def test_a_bad_scenario_is_the_one_line_error_and_nothing_is_served(runner, served, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nworkloads: [\n")
    r = runner.invoke(main, ["serve", str(bad), "--port", "0"])
    assert r.exit_code == 2
    assert r.stderr.startswith(f"Error: {bad}") and r.stderr.count("\n") == 1
    assert "app" not in served and r.stdout == ""


def test_a_port_in_use_is_the_one_line_error(runner, served):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        r = runner.invoke(main, ["serve", CHAT, "--port", str(port)])
    assert r.exit_code == 2
    assert r.stderr == f"Error: --port: 127.0.0.1 port {port} is in use; choose another with --port (or --port 0 for " \
                       "any free one)\n"


def test_help_names_the_options(runner):
    r = runner.invoke(main, ["serve", "--help"])
    assert r.exit_code == 0
    for opt in ("--port", "--host", "--catalog", "--pricebook"):
        assert opt in r.output


def test_the_app_needs_only_core_dependencies(tmp_path):
    """The page runs with the README's first install (core dependencies): no test client, browser driver,
    cloud SDK or Dask is imported by the app, a comparison, the band or the reports."""
    import os
    import subprocess
    import sys

    code = f"""
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("httpx", "playwright", "boto3", "google", "azure", "dask", "distributed", "pytest"):
            raise ImportError("not a core dependency: " + name)
sys.meta_path.insert(0, Block())
from planner.serve import build_app, build_engine
eng, _ = build_engine([{CHAT!r}])
build_app([{CHAT!r}])
eng.evaluate("chat-assistant", {{"workloads.chat.qps_mean": 30}})
eng.scale("chat-assistant", {{}}, "chat")
eng.band("chat-assistant", {{}})
eng.report_markdown("chat-assistant", {{}})
eng.report_html("chat-assistant", {{}})
eng.scenario_yaml("chat-assistant", {{}})
print("ok")
"""
    env = {**os.environ, "PLANNER_HOME": str(tmp_path), "PLANNER_NOW": "2026-11-26"}
    p = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
                       check=False)
    assert p.returncode == 0 and p.stdout == "ok\n", p.stderr[-2000:]


def test_a_price_book_prices_the_page_as_it_does_planner_compare(runner, tmp_path, monkeypatch):
    import json

    from starlette.testclient import TestClient

    from planner.serve import build_app

    monkeypatch.setenv("PLANNER_HOME", str(tmp_path))
    book = str(REPO / "docs" / "pricebook-example.yaml")
    sc = str(REPO / "scenarios" / "batch-embeddings.yaml")
    with TestClient(build_app([sc], pricebook=book), base_url="http://127.0.0.1") as client:
        assert client.get("/api/meta").json()["pricebook"] == "acme-2026"
        page = client.post("/api/compare", json={"scenario": "batch-embeddings",
                                                 "overrides": {"prices.gcp": 1.1}}).json()
    out = runner.invoke(main, ["compare", sc, "--pricebook", book, "--set", "prices.gcp=1.1", "--format", "json"])
    assert out.exit_code == 0, out.output
    cli = json.loads(out.stdout)
    assert {c["cloud"]: c["contracted_horizon_total"] for c in cli["clouds"]} == {
        c["cloud"]: c["horizon_total"] for c in page["clouds"]}
    # the price book's discounts apply: contracted totals below the list totals
    assert all(c["contracted_horizon_total"] < c["horizon_total"] for c in cli["clouds"])


def test_a_missing_price_book_is_the_one_line_error(runner, served):
    r = runner.invoke(main, ["serve", CHAT, "--pricebook", "/nonexistent/pricebook.yaml", "--port", "0"])
    assert r.exit_code == 2
    assert r.stderr == "Error: /nonexistent/pricebook.yaml: file not found; check the path\n"
    assert "app" not in served

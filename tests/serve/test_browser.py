"""The what-if page end to end in headless Chromium (Debian's /usr/bin/chromium driven by Playwright).

`planner serve` runs as a user would start it, in a subprocess on a free port; the browser loads the page, moves
the chat workload's QPS slider, sees the totals and the chart change, downloads the scenario and prices it with
``planner.compare`` to the totals on screen, with no console errors. Screenshots go to tests/artifacts/serve/.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from planner.comparison import compare
from planner.money import money
from planner.scenario import load_scenario
from pricing.catalog import load_catalog
from tests.serve.conftest import REPO

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = os.environ.get("PLANNER_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip("no chromium to drive (apt-get install chromium)", allow_module_level=True)

ARTIFACTS = REPO / "tests" / "artifacts" / "serve"
QPS = 'input[type=range][data-path="workloads.chat.qps_mean"]'


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`planner serve` on the chat assistant and the batch pipeline; yields its URL."""
    home = tmp_path_factory.mktemp("serve-browser-home")
    env = {**os.environ, "PLANNER_HOME": str(home), "PYTHONUNBUFFERED": "1"}
    env.pop("PLANNER_DEBUG", None)
    args = [sys.executable, "-m", "planner", "serve", "scenarios/chat-assistant.yaml",
            "scenarios/batch-embeddings.yaml", "--port", "0"]
    log = home / "serve.log"
    with log.open("w") as err, subprocess.Popen(args, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=err,
                                                 text=True) as proc:
        try:
            line = proc.stdout.readline()
            assert line.startswith("planner what-if page: http://127.0.0.1:"), line + log.read_text()
            yield line.split()[3]
        finally:
            proc.terminate()
            proc.wait(10)
    # the server logged nothing (warnings and failed requests would be here)
    assert log.read_text() == ""


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    pg = ctx.new_page()
    pg.problems = []  # console errors and uncaught exceptions
    pg.on("console", lambda m: pg.problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.problems.append(f"page error: {e}"))
    yield pg
    ctx.close()


def _settled(page, after: int = 0) -> int:
    """Waits until the page has shown the answer to a change later than ``after``; returns its number."""
    page.wait_for_function("(after) => Number(document.body.dataset.seq || 0) > after && "
                           "!document.getElementById('results').classList.contains('stale')", arg=after)
    return int(page.evaluate("() => document.body.dataset.seq"))


def _totals(page) -> dict[str, float]:
    return {c.get_attribute("data-cloud"): float(c.locator(".total").get_attribute("data-total"))
            for c in page.locator(".card").all()}


def _lines(page) -> dict[str, str]:
    return {p.get_attribute("data-series"): p.get_attribute("points")
            for p in page.locator("#chart-horizon polyline[data-series]").all()}


def test_move_qps_see_totals_and_chart_change_download_the_scenario(server, page, tmp_path):
    page.goto(server)
    seq = _settled(page)
    assert page.locator("#scenario-select").input_value() == "chat-assistant"
    before, lines_before = _totals(page), _lines(page)
    assert set(before) == {"aws", "gcp", "azure"} and set(lines_before) == set(before)
    assert page.locator(f"{QPS}").count() == 1
    page.wait_for_function("() => document.querySelectorAll('#chart-scale polyline').length === 3")

    # drag the mean-QPS slider three quarters of the way: 0.15 * (1500/0.15)^0.75 = 150 QPS (log scale)
    slider = page.locator(QPS)
    box = slider.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.75, box["y"] + box["height"] / 2)
    seq = _settled(page, seq)
    shown_qps = float(page.locator('input[type=number][data-path="workloads.chat.qps_mean"]').input_value())
    assert 100 < shown_qps < 200
    assert page.locator('.ctl[data-path="workloads.chat.qps_mean"]').get_attribute("class") == "ctl changed"
    # the scaling curve is redrawn around the new QPS
    page.wait_for_function("(q) => Number(document.getElementById('chart-scale').dataset.qps) === q", arg=shown_qps)
    after, lines_after = _totals(page), _lines(page)
    assert all(after[c] > before[c] for c in before), (before, after)  # ten times the traffic costs more
    assert all(lines_after[c] != lines_before[c] for c in before)
    assert "vs the file" in page.locator('.card[data-cloud="aws"] .delta').inner_text()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "after-qps-change.png"), full_page=True)

    with page.expect_download() as dl:
        page.click("#download-scenario")
    path = tmp_path / dl.value.suggested_filename
    dl.value.save_as(path)
    assert path.name == "chat-assistant-whatif.yaml"
    data = yaml.safe_load(path.read_text())
    chat = next(w for w in data["workloads"] if w["name"] == "chat")
    assert chat["qps_mean"] == shown_qps
    cmp = compare(load_scenario(path), load_catalog("embedded"))
    assert {c.cloud: money(c.contracted_horizon_cost) for c in cmp.clouds} == after

    with page.expect_download() as dl:
        page.click("#download-report")
    assert dl.value.suggested_filename == "chat-assistant-report.md"
    report = Path(dl.value.path()).read_text()
    assert f"{after['aws']:,.2f}" in report

    page.click("#reset")
    _settled(page, seq)
    assert _totals(page) == before
    assert page.problems == []


def test_a_slider_dragged_step_by_step_ends_on_the_numbers_of_its_last_position(server, page):
    import json
    import urllib.request

    page.goto(server)
    seq = _settled(page)
    page.locator(QPS).focus()
    for _ in range(10):  # forty steps in bursts just past the page's pause, faster than the server answers
        for _ in range(4):
            page.keyboard.press("ArrowRight")
        page.wait_for_timeout(170)
    _settled(page, seq)
    page.wait_for_timeout(400)  # nothing else arrives later
    _settled(page, seq)
    mean = float(page.locator('input[type=number][data-path="workloads.chat.qps_mean"]').input_value())
    peak = float(page.locator('input[type=number][data-path="workloads.chat.qps_peak"]').input_value())
    assert mean > 15 and peak / mean == pytest.approx(40 / 15, rel=1e-3)
    body = json.dumps({"scenario": "chat-assistant", "overrides": {"workloads.chat.qps_mean": mean,
                                                                   "workloads.chat.qps_peak": peak}}).encode()
    req = urllib.request.Request(server + "api/compare", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        want = {c["cloud"]: c["horizon_total"] for c in json.load(r)["clouds"]}
    assert _totals(page) == want
    assert page.problems == []


def test_uncertainty_band_scenario_switch_and_a_bad_upload(server, page):
    page.goto(server)
    seq = _settled(page)
    page.check("#uncertainty")
    page.wait_for_function("() => document.querySelectorAll('#chart-horizon polygon[data-band]').length === 3",
                           timeout=60_000)
    assert "P10–P90 of 16 draws" in page.locator("#band-note").inner_text()
    page.screenshot(path=str(ARTIFACTS / "band.png"), full_page=False) if ARTIFACTS.exists() else None

    page.select_option("#scenario-select", "batch-embeddings")
    seq = _settled(page, seq)
    assert page.locator('[data-workload="nightly-embeddings"]').count() == 1
    assert page.problems == []

    bad = b"name: x\nworkloads: [\n"
    page.set_input_files("#upload", files=[{"name": "broken.yaml", "mimeType": "text/yaml", "buffer": bad}])
    err = page.locator("#error")
    err.wait_for(state="visible")
    text = err.inner_text()
    assert text.startswith("Error: broken.yaml") and "\n" not in text
    # the browser logs the refused request (HTTP 400) itself; nothing else went wrong
    assert all("status of 400" in p for p in page.problems), page.problems
    # and the page still works
    page.select_option("#scenario-select", "chat-assistant")
    _settled(page, seq)
    assert set(_totals(page)) == {"aws", "gcp", "azure"}

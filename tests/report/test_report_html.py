"""The HTML report in headless Chromium (Debian's /usr/bin/chromium through playwright): it opens with no
console errors and no network requests, and every chart is there with a non-empty drawing. A screenshot is
saved under tests/artifacts/ (gitignored) for a person to look at."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

from planner.cli import main

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium not installed"),
    pytest.mark.skipif(importlib.util.find_spec("playwright") is None, reason="playwright not installed"),
]


def _open(html: Path, shot: Path) -> dict:
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(html.as_uri())
            charts = page.eval_on_selector_all("figure.chart", """els => els.map(f => {
                const svg = f.querySelector('svg'); const box = svg ? svg.getBoundingClientRect() : null;
                return {id: f.id, w: box ? box.width : 0, h: box ? box.height : 0,
                        marks: svg ? svg.querySelectorAll('path, rect, use').length : 0};
            })""")
            alert = page.inner_text("#alert")
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    return {"errors": errors, "requests": requests, "charts": charts, "alert": alert}


@pytest.mark.parametrize("with_actuals", [True, False], ids=["actuals", "plan"])
def test_html_report_in_chromium(runner, hand, with_actuals):
    out = hand["dir"] / "report.html"
    args = ["report", str(hand["scenario"]), "--month", "2026-03", "--out", str(out), "--warn-at", "80,100"]
    if with_actuals:
        args += ["--actuals", str(hand["focus"]), "--volumes", str(hand["volumes"])]
    r = runner.invoke(main, args)
    assert r.exit_code == 3, r.output  # 80% reached (plan 1,600 / 2,000; projected 2,356 / 2,000)
    shot = ARTIFACTS / f"report-{'actuals' if with_actuals else 'plan'}.png"
    seen = _open(out, shot)
    assert seen["errors"] == []
    assert seen["requests"] == [out.as_uri()]  # nothing fetched but the page itself
    ids = [c["id"] for c in seen["charts"]]
    assert ids == ["chart-monthly", "chart-cumulative", "chart-workload", "chart-service", "chart-cloud", "chart-kpi"]
    for c in seen["charts"]:
        assert c["w"] > 200 and c["h"] > 80, c  # laid out at a readable size
        assert c["marks"] > 10, c  # bars, lines and axes drawn
    assert seen["alert"].startswith("WARNING: 2026-03")
    assert shot.stat().st_size > 50_000
    shutil.copy(shot, hand["dir"] / shot.name)

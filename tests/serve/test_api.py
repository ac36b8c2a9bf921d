"""The what-if page's API through Starlette's test client: downloads, uploads and the safety rules."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from planner.cli import main
from planner.comparison import compare
from planner.money import money
from planner.scenario import load_scenario
from tests.serve.conftest import REPO

CHANGES = {"workloads.chat.qps_mean": 30, "workloads.chat.qps_peak": 80, "regions.aws": ["us-west-2"],
           "prices.gcp": 0.8, "horizon_months": 18, "workloads.conversation-logs.growth_pct_per_month": 4}


def _post(client, path, overrides, sid="chat-assistant", **kw):
    return client.post(path, json={"scenario": sid, "overrides": overrides, **kw})


# -- the page and its assets ---------------------------------------------------------------------------
def test_page_and_assets_are_served_by_the_app_with_no_external_url(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    refs = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert {"/static/app.js", "/static/style.css", "/static/icon.svg"} <= set(refs)
    for ref in refs:  # every asset is the app's own, and is there
        assert ref.startswith("/") and not ref.startswith("//"), ref
        assert client.get(ref).status_code == 200, ref
    css = client.get("/static/style.css").text
    js = client.get("/static/app.js").text
    assert not re.search(r"https?://|//[a-z]", html.replace("<!doctype html>", ""))
    assert "@import" not in css and not re.search(r"url\(\s*['\"]?(https?:)?//", css)
    # the script's only absolute URL is the SVG namespace name (never fetched)
    assert set(re.findall(r"https?://[^\s\"'`]+", js)) == {"http://www.w3.org/2000/svg"}
    assert "default-src 'self'" in page.headers["content-security-policy"]


def test_meta_lists_the_scenarios_it_was_started_with_and_the_catalog(client):
    meta = client.get("/api/meta").json()
    assert [s["label"] for s in meta["scenarios"]] == sorted(p.name for p in (REPO / "scenarios").glob("*.yaml"))
    assert meta["catalog"]["name"] == "embedded"


# -- downloads ------------------------------------------------------------------------------------------
def test_downloaded_scenario_round_trips_to_the_page_numbers(client, engine, tmp_path, runner):
    page = _post(client, "/api/compare", CHANGES).json()
    r = _post(client, "/api/download/scenario", CHANGES)
    assert r.status_code == 200
    assert r.headers["content-disposition"] == 'attachment; filename="chat-assistant-whatif.yaml"'
    path = tmp_path / "chat-assistant-whatif.yaml"
    path.write_bytes(r.content)
    data = yaml.safe_load(r.text)
    assert data["workloads"][0]["qps_mean"] == 30 and data["horizon_months"] == 18
    assert data["compare"]["regions"]["aws"] == ["us-west-2"]
    # the file's header says which --set options give the same scenario
    assert "#   --set workloads.chat.qps_mean=30" in r.text
    cmp = compare(load_scenario(path), engine.catalog)
    for page_cloud, c in zip(page["clouds"], cmp.clouds, strict=True):
        assert page_cloud["cloud"] == c.cloud and page_cloud["region"] == c.region
        assert page_cloud["horizon_total"] == money(c.contracted_horizon_cost)
        assert page_cloud["monthly"] == [money(v) for v in c.monthly_spend]
    # and through the CLI, as a user would run it
    out = runner.invoke(main, ["compare", str(path), "--format", "json"])
    assert out.exit_code == 0, out.output
    import json

    cli = json.loads(out.stdout)
    assert {c["cloud"]: c["contracted_horizon_total"] for c in cli["clouds"]} == {
        c["cloud"]: c["horizon_total"] for c in page["clouds"]}
    assert cli["winner"]["cloud"] == page["winner"]["cloud"]


@pytest.mark.parametrize("sid", [p.stem for p in sorted((REPO / "scenarios").glob("*.yaml"))])
def test_every_example_downloads_as_itself_and_reports(client, engine, tmp_path, sid, monkeypatch):
    r = _post(client, "/api/download/scenario", {}, sid=sid)
    assert r.headers["content-disposition"] == f'attachment; filename="{sid}.yaml"'
    path = tmp_path / "b.yaml"
    path.write_bytes(r.content)
    a = compare(load_scenario(path), engine.catalog)
    b = compare(load_scenario(REPO / "scenarios" / f"{sid}.yaml"), engine.catalog)
    assert [(c.cloud, c.region, c.contracted_horizon_cost, c.monthly_spend) for c in a.clouds] == [
        (c.cloud, c.region, c.contracted_horizon_cost, c.monthly_spend) for c in b.clouds]
    monkeypatch.setenv("PLANNER_NOW", "2026-11-26")
    for fmt in ("md", "html"):
        rep = _post(client, "/api/download/report", {}, sid=sid, format=fmt)
        assert rep.status_code == 200, rep.text


def test_downloaded_report_has_the_page_totals_and_changes(client):
    page = _post(client, "/api/compare", CHANGES).json()
    r = _post(client, "/api/download/report", CHANGES)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/markdown")
    assert r.headers["content-disposition"] == 'attachment; filename="chat-assistant-report.md"'
    text = r.text
    assert text.startswith("# LLM chat assistant")
    assert "`workloads.chat.qps_mean` = `30`" in text
    assert "\n## LLM chat assistant: month by month\n" in text and "\n### AWS (us-west-2)\n" in text
    for c in page["clouds"]:
        assert f"{c['horizon_total']:,.2f}" in text, c["cloud"]


# -- bad input: one line, the app keeps running -----------------------------------------------------------
def _upload(client, name, body, **headers):
    return client.post("/api/upload", content=body, headers={"X-Filename": name, **headers})


def _still_running(client):
    assert client.get("/api/meta").status_code == 200
    assert _post(client, "/api/compare", {}).status_code == 200


def test_a_50_mb_upload_is_refused_and_the_app_keeps_running(client):
    r = _upload(client, "big.yaml", b"a: 1\n" * (10 * 1024 * 1024))  # 50 MiB
    assert r.status_code == 413
    assert r.json()["error"].startswith("the upload is larger than 1024 KiB")
    assert "\n" not in r.json()["error"]
    _still_running(client)


def test_a_streamed_upload_is_cut_off_at_the_limit(client):
    sent = []

    def body():  # no Content-Length: the server counts what arrives and stops reading
        for _ in range(50):
            sent.append(1)
            yield b"#" * (1024 * 1024)

    r = _upload(client, "big.yaml", body())
    assert r.status_code == 413
    _still_running(client)


def _cli_error(runner, tmp_path: Path, name: str, text: str) -> str:
    """What `planner compare` prints for the same file, with the directory left out."""
    p = tmp_path / name
    p.write_text(text)
    out = runner.invoke(main, ["compare", str(p)])
    assert out.exit_code == 2
    line = out.stderr.strip()
    assert line.startswith("Error: ") and "\n" not in line
    return line[len("Error: "):].replace(str(tmp_path) + "/", "")


@pytest.mark.parametrize(("name", "text"), [
    ("broken.yaml", "name: x\nworkloads: [\n  - {name: a, type: serving\n"),  # malformed YAML
    ("negative.yaml", ("name: x\nworkloads:\n  - {name: a, type: serving, style: real_time, qps_mean: -3, "
                      "latency_p95_ms: 100}\n")),  # a value the scenario refuses
    ("unknown.yaml", "name: x\nworkloads:\n  - {name: a, type: storage, gb: 10, colour: blue}\n"),
    ("empty.yaml", ""),
])
def test_bad_uploads_get_the_cli_one_line_error(client, runner, tmp_path, name, text):
    r = _upload(client, name, text.encode())
    assert r.status_code == 400
    assert r.json()["error"] == _cli_error(runner, tmp_path, name, text)
    _still_running(client)


def test_a_yaml_alias_bomb_is_refused_before_it_expands(client):
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n"  # each level nine times the one before: 9**8 items at h
    for prev, name in zip("abcdefg", "bcdefgh"):
        bomb += f"{name}: &{name} [{', '.join(['*' + prev] * 9)}]\n"
    r = _upload(client, "bomb.yaml", bomb.encode())
    assert r.status_code == 400 and "aliases" in r.json()["error"]
    _still_running(client)


def test_binary_upload_is_a_one_line_error(client):
    r = _upload(client, "x.yaml", bytes(range(256)) * 10)
    assert r.status_code == 400 and "\n" not in r.json()["error"]
    _still_running(client)


@pytest.mark.parametrize("name", ["../../etc/passwd", "..\\..\\windows\\win.ini", "/etc/passwd", "..", "a\x00b"])
def test_a_path_as_upload_name_is_refused(client, name):
    from urllib.parse import quote

    r = _upload(client, quote(name), b"name: x\nworkloads: []\n")
    assert r.status_code == 400
    assert "not a plain file name" in r.json()["error"]
    _still_running(client)


@pytest.mark.parametrize("url", [
    "/static/../../../../etc/passwd", "/static/..%2F..%2F..%2F..%2Fetc%2Fpasswd", "/static/%2Fetc%2Fpasswd",
    "/api/scenarios/..%2F..%2F..%2Fetc%2Fpasswd", "/api/scenarios/%2Fetc%2Fpasswd", "/../../etc/passwd",
    "/static/app.py", "/static/index.html",
])
def test_no_file_is_readable_by_path(client, url):
    r = client.get(url)
    assert r.status_code == 404
    assert "root:" not in r.text


def test_scenarios_are_named_by_id_only(client):
    r = _post(client, "/api/compare", {}, sid="../../etc/passwd")
    assert r.status_code == 404 and "no scenario" in r.json()["error"]
    r = _post(client, "/api/compare", {}, sid=str(REPO / "scenarios" / "chat-assistant.yaml"))
    assert r.status_code == 404


def test_a_model_file_path_cannot_be_read_through_an_upload_or_a_change(client, tmp_path):
    cfg = tmp_path / "config.json"  # a real HF config on disk: still refused, nothing is read
    cfg.write_text('{"hidden_size": 4096}')
    text = (f"name: x\nworkloads:\n  - {{name: a, type: serving, style: real_time, qps_mean: 1, model: {cfg}}}\n")
    r = _upload(client, "m.yaml", text.encode())
    assert r.status_code == 400 and "preset model names only" in r.json()["error"]
    r = _post(client, "/api/compare", {"workloads.chat.model": str(cfg)})
    assert r.status_code == 400 and "is not one of the choices" in r.json()["error"]


def test_only_the_page_controls_can_be_changed(client):
    r = _post(client, "/api/compare", {"workloads.chat.min_replicas": 40})
    assert r.status_code == 400
    assert r.json()["error"] == "overrides: 'workloads.chat.min_replicas' is not one of this page's controls"
    r = _post(client, "/api/compare", {"workloads.chat.qps_mean": "lots"})
    assert r.status_code == 400 and "takes a number" in r.json()["error"]


def test_a_value_the_scenario_refuses_is_its_one_line_error(client):
    r = _post(client, "/api/compare", {"workloads.chat.qps_mean": -1})
    assert r.status_code == 400
    err = r.json()["error"]
    assert "qps_mean" in err and "\n" not in err


def test_post_needs_json_and_the_upload_header(client):
    r = client.post("/api/compare", content=b"scenario=chat-assistant", headers={"content-type": "text/plain"})
    assert r.status_code == 400 and r.json()["error"] == "send the request as application/json"
    r = client.post("/api/upload", content=b"name: x\n")  # a form posted from another site sends no X-Filename
    assert r.status_code == 400 and "X-Filename" in r.json()["error"]


def test_requests_for_another_host_name_are_refused(client):
    # a page on another site that re-points its own name at 127.0.0.1 (DNS rebinding) is answered 400
    r = client.get("/api/meta", headers={"host": "evil.example:8765"})
    assert r.status_code == 400
    for host in ("localhost:8765", "127.0.0.1:8765", "[::1]:8765"):  # the loopback names a browser may use
        assert client.get("/api/meta", headers={"host": host}).status_code == 200, host


def test_no_credentials_appear_in_any_answer(client, monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s3cr3t-not-for-pages")
    texts = [client.get(u).text for u in ("/", "/api/meta", "/api/scenarios/chat-assistant")]
    texts += [_post(client, u, CHANGES).text for u in ("/api/compare", "/api/download/scenario",
                                                       "/api/download/report")]
    assert not any("s3cr3t" in t for t in texts)


# -- uploads that work ------------------------------------------------------------------------------------
def test_an_uploaded_scenario_is_listed_and_compared(client, engine):
    text = (REPO / "scenarios" / "batch-embeddings.yaml").read_bytes()
    r = _upload(client, "my%20batch.yaml", text)
    assert r.status_code == 200, r.text
    view = r.json()
    assert view["label"] == "my batch.yaml" and view["origin"] == "upload"
    assert view["id"] in [s["id"] for s in client.get("/api/meta").json()["scenarios"]]
    got = _post(client, "/api/compare", {}, sid=view["id"]).json()
    want = compare(load_scenario(REPO / "scenarios" / "batch-embeddings.yaml"), engine.catalog)
    assert [c["horizon_total"] for c in got["clouds"]] == [money(c.contracted_horizon_cost) for c in want.clouds]


# -- the scaling curve ------------------------------------------------------------------------------------
def test_scaling_curve_follows_the_changed_qps(client, engine):
    from planner.comparison import scale_points
    from planner.whatif import what_if

    r = _post(client, "/api/scale", {"workloads.chat.qps_mean": 30, "workloads.chat.qps_peak": 80},
              workload="chat").json()
    assert r["workload"] == "chat" and r["qps"] == 30
    qps = sorted({p["qps"] for p in r["points"]})
    assert qps[0] == 3 and qps[-1] == 300 and 30 in qps  # a tenth to ten times the mean on screen
    sc = what_if(engine.store.get("chat-assistant").scenario,
                 **{"workloads.chat.qps_mean": 30, "workloads.chat.qps_peak": 80})
    want = scale_points(sc, "chat", [30], engine.catalog)
    at30 = {p["cloud"]: p["contracted_monthly_cost"] for p in r["points"] if p["qps"] == 30}
    assert at30 == {w["cloud"]: w["contracted_monthly_cost"] for w in want}


def test_html_budget_report_of_the_plan_first_month(client, engine, monkeypatch):
    from planner.report import build_report

    monkeypatch.setenv("PLANNER_NOW", "2026-11-26")  # the chat assistant gives no plan_start: this month
    r = _post(client, "/api/download/report", CHANGES, format="html")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert r.headers["content-disposition"] == 'attachment; filename="chat-assistant-report-2026-11.html"'
    page = _post(client, "/api/compare", CHANGES).json()
    from planner.whatif import what_if

    sc = what_if(engine.store.get("chat-assistant").scenario, CHANGES)
    want = build_report(sc, "2026-11", catalog=engine.catalog).to_dict()
    assert want["plan"]["cloud"] == page["winner"]["cloud"]
    # each cloud's plan for the month is its month 1 on the page (the report starts the plan this month)
    assert {c["cloud"]: c["plan"] for c in want["by_cloud"]} == {c["cloud"]: c["month_1"] for c in page["clouds"]}
    assert f"{want['plan']['month']:,.2f}" in r.text
    assert r.text.startswith("<!doctype html>") or r.text.lower().startswith("<!doctype html>")
    assert not re.search(r"(?:src|href)=\"(?:https?:)?//", r.text)  # the report is self-contained too
    assert _post(client, "/api/download/report", CHANGES, format="pdf").json()["error"] == \
        "the report format is md or html"

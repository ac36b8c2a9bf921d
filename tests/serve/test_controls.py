"""Every control on the page changes the numbers exactly as ``planner compare --set PATH=VALUE`` does.

For each control of each example scenario the test picks a value other than the file's, posts it to
/api/compare as the page does, and checks the page's figures against ``planner.compare`` on
``planner.what_if(scenario, **{path: value})`` -- the comparison ``planner compare --set`` prints -- to the cent.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from planner.comparison import compare
from planner.errors import PlannerError
from planner.money import money
from planner.render import comparison_to_dict
from planner.whatif import what_if
from tests.serve.conftest import EXAMPLES


def changed_value(c: dict[str, Any]) -> Any:
    """A value for control ``c`` other than the scenario's, inside the control's range or choices."""
    v = c["value"]
    if c["kind"] == "factor":
        return 0.8  # 20% below list
    if c["kind"] in ("number", "int"):
        lo, hi = c["min"], c["max"]
        if v is None or v == 0:
            x = math.sqrt(lo * hi) if c["log"] and lo > 0 else lo + (hi - lo) / 4
        else:
            x = v * 2 if v * 2 <= hi else v / 2
        if c["kind"] == "int":
            x = max(1, round(x))
            if x == v:
                x = v + 1
        return x
    if c["kind"] == "select":
        return next(o for o in c["options"] if o != v)
    assert c["kind"] == "multi"
    chosen = v if v is not None else c["options"]
    if len(chosen) > 1:
        return chosen[:1]
    return [next(o for o in c["options"] if o not in chosen)]


def _cases() -> list[tuple[str, str]]:
    import tempfile

    from planner.serve import build_engine

    with tempfile.TemporaryDirectory() as home, pytest.MonkeyPatch.context() as mp:
        mp.setenv("PLANNER_HOME", home)  # the embedded catalog, as in the tests
        eng, _ = build_engine(EXAMPLES)
    return [(e.id, c["path"]) for e in eng.store.entries() for c in eng.view(e.id)["controls"]]


CASES = _cases()


def test_every_example_has_its_main_levers(engine):
    paths = {sid: {c["path"] for c in engine.view(sid)["controls"]} for sid in {s for s, _ in CASES}}
    chat = paths["chat-assistant"]
    # QPS mean/peak and growth, model and SLOs, GPU-hours, storage and its growth, clouds, regions, purchase options
    for p in ("workloads.chat.qps_mean", "workloads.chat.qps_peak", "workloads.chat.qps_growth_pct_per_month",
              "workloads.chat.model", "workloads.chat.ttft_p95_ms", "workloads.chat.tpot_ms",
              "workloads.monthly-finetune.gpu_hours", "workloads.conversation-logs.gb",
              "workloads.conversation-logs.growth_pct_per_month", "clouds", "regions.aws", "regions.gcp",
              "regions.azure", "purchase_options", "horizon_months", "prices.gcp"):
        assert p in chat, p
    assert "workloads.embed-nightly.requests_per_run" in paths["batch-embeddings"] or any(
        p.endswith(".requests_per_run") for p in paths["batch-embeddings"])
    assert any(p.endswith(".devices") for p in paths["vision-edge"])


@pytest.mark.parametrize(("sid", "path"), CASES, ids=[f"{s}:{p}" for s, p in CASES])
def test_control_matches_compare_with_set(engine, client, sid, path):
    c = next(x for x in engine.view(sid)["controls"] if x["path"] == path)
    value = changed_value(c)
    base = engine.store.get(sid).scenario
    r = client.post("/api/compare", json={"scenario": sid, "overrides": {path: value}})
    try:
        sc = what_if(base, **{path: value})
        want = compare(sc, engine.catalog)
    except PlannerError as exc:  # a value the scenario refuses: the page shows the same one-line error
        assert r.status_code == 400
        assert r.json()["error"] == exc.format()
        return
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["changes"] == {path: value}
    assert sc != base  # the override took effect
    ref = comparison_to_dict(want)  # what `planner compare --set PATH=VALUE --format json` prints
    assert [x["cloud"] for x in got["clouds"]] == [x["cloud"] for x in ref["clouds"]]
    for page, cli, cr in zip(got["clouds"], ref["clouds"], want.clouds, strict=True):
        assert page["region"] == cli["region"]
        assert page["horizon_total"] == cli["contracted_horizon_total"]
        assert page["month_1"] == cli["month_1_billed"]
        assert page["average_month"] == cli["average_month"]
        assert page["commitment_tail"] == cli["contracted_commitment_tail"]
        assert page["complete"] == cli["complete"]
        assert page["monthly"] == [money(v) for v in cr.monthly_spend]
        assert [i["monthly_cost"] for i in page["items"]] == [
            it["contracted_monthly_cost"] for it in ref["line_items"] if it["cloud"] == page["cloud"]]
        # the month table adds up to the month's total
        for row in page["months"]:
            if row["total"] is not None and all(x is not None and x["cost"] is not None for x in row["cells"]):
                assert sum(x["cost"] for x in row["cells"]) == pytest.approx(row["total"], abs=0.005 * len(row["cells"]))
    if ref["winner"] is None:
        assert got["winner"] is None
    else:
        assert got["winner"]["cloud"] == ref["winner"]["cloud"]
        assert got["winner"]["margin_usd"] == ref["winner"]["margin_usd"]
        assert got["winner"]["too_close_to_call"] == ref["winner"]["too_close_to_call"]
    if path == "budget_usd_per_month":
        assert got["scenario"]["budget_usd_per_month"] == value


@pytest.mark.parametrize("changes", [
    {"workloads.chat.qps_mean": 30, "workloads.chat.qps_peak": 80},
    {"workloads.chat.model": "llama-3-70b"},
    {"regions.aws": ["us-east-1"], "purchase_options": ["on_demand", "spot"]},
    {"prices.gcp": 0.8, "horizon_months": 24},
    {"workloads.conversation-logs.growth_pct_per_month": 20, "workloads.monthly-finetune.gpu_hours": 256},
], ids=["qps", "model", "regions+options", "price+horizon", "storage+gpu-hours"])
def test_page_matches_the_cli_compare_with_set(client, runner, changes):
    """The same changes given to `planner compare --set PATH=VALUE` (values as JSON, which is YAML) print the
    page's totals and winner."""
    import json

    from planner.cli import main
    from tests.serve.conftest import REPO

    page = client.post("/api/compare", json={"scenario": "chat-assistant", "overrides": changes}).json()
    args = ["compare", str(REPO / "scenarios" / "chat-assistant.yaml"), "--format", "json"]
    for path, value in changes.items():
        args += ["--set", f"{path}={json.dumps(value)}"]
    out = runner.invoke(main, args)
    assert out.exit_code == 0, out.output
    cli = json.loads(out.stdout)
    assert {c["cloud"]: c["contracted_horizon_total"] for c in cli["clouds"]} == {
        c["cloud"]: c["horizon_total"] for c in page["clouds"]}
    assert {c["cloud"]: c["month_1_billed"] for c in cli["clouds"]} == {c["cloud"]: c["month_1"] for c in page["clouds"]}
    assert cli["winner"]["cloud"] == page["winner"]["cloud"]
    assert cli["winner"]["margin_usd"] == page["winner"]["margin_usd"]

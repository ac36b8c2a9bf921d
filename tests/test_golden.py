"""Golden files: `planner compare` table and JSON of every example scenario.

Regenerate after a reviewed change with:  PLANNER_UPDATE_GOLDEN=1 pytest tests/test_golden.py
and review the diff of tests/golden/.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from planner.cli import main

REPO = Path(__file__).resolve().parents[1]
GOLDEN = REPO / "tests" / "golden"
SCENARIOS = sorted((REPO / "scenarios").glob("*.yaml"))
UPDATE = os.environ.get("PLANNER_UPDATE_GOLDEN") == "1"


def _check(path: Path, actual: str) -> None:
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual)
    assert path.exists(), f"{path} missing: run with PLANNER_UPDATE_GOLDEN=1 and review it"
    assert actual == path.read_text(), f"{path} differs: review, then regenerate with PLANNER_UPDATE_GOLDEN=1"


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.stem for s in SCENARIOS])
@pytest.mark.parametrize("fmt,name", [("table", "table.txt"), ("json", "compare.json"), ("markdown", "compare.md")])
def test_compare_golden(runner, monkeypatch, scenario, fmt, name):
    monkeypatch.setenv("PLANNER_NOW", "2026-11-26")
    monkeypatch.chdir(REPO)
    r = runner.invoke(main, ["compare", f"scenarios/{scenario.name}", "--format", fmt])
    assert r.exit_code == 0, r.output
    _check(GOLDEN / scenario.stem / name, r.stdout)


def test_json_contract_fields(runner, monkeypatch):
    """The fields scripts rely on (DESIGN.md contract) are present for every line item and cloud."""
    monkeypatch.setenv("PLANNER_NOW", "2026-11-26")
    monkeypatch.chdir(REPO)
    r = runner.invoke(main, ["compare", "scenarios/chat-assistant.yaml", "--format", "json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    for item in doc["line_items"]:
        for key in ("cloud", "region", "workload", "instance_type", "accelerator", "count", "purchase_option",
                    "hours", "unit_price", "monthly_cost"):
            assert key in item
    assert {c["cloud"] for c in doc["clouds"]} == {"aws", "gcp", "azure"}
    for c in doc["clouds"]:
        priced = [i["monthly_cost"] for i in doc["line_items"] if i["cloud"] == c["cloud"] and i["monthly_cost"] is not None]
        assert c["total"] == pytest.approx(sum(priced), abs=0.05)
        assert doc["totals"][c["cloud"]] == c["total"]
    assert doc["winner"]["cloud"] in {"aws", "gcp", "azure"}
    from datetime import date

    from pricing.catalog import load_embedded

    # age = PLANNER_NOW - the catalog's oldest figure, in days
    fetched = load_embedded().fetched_at
    assert doc["catalog"] == {"name": "embedded", "fetched_at": fetched, "stale": True,
                              "age_days": (date(2026, 11, 26) - date.fromisoformat(fetched)).days}
    assert all(c["complete"] for c in doc["clouds"])  # so the totals above are whole, not partial

"""`planner report` through the CLI: formats by suffix, alert exit codes, one-line errors with nothing written.

Hand plan (conftest): $1,600 a month against a $2,000 budget (80%); March actuals project to $2,356 (117.8%).
"""

from __future__ import annotations

import json

import pytest

from planner.cli import main


def _run(runner, hand, *args):
    return runner.invoke(main, ["report", str(hand["scenario"]), *args])


@pytest.mark.parametrize("suffix,start", [(".md", "# Budget report: Hand plan, 2026-03\n"),
                                          (".html", "<!DOCTYPE html>"), (".json", "{")])
def test_format_from_suffix(runner, hand, suffix, start):
    out = hand["dir"] / f"r{suffix}"
    r = _run(runner, hand, "--month", "2026-03", "--out", str(out))
    assert r.exit_code == 0, r.output
    assert out.read_text().startswith(start)
    assert r.stdout.startswith("OK: 2026-03: plan $1,600.00 is 80.0% of the $2,000.00 monthly budget")
    assert r.stdout.count("\n") == 1  # one summary line


def test_json_to_stdout_matches_the_api(runner, hand):
    from planner.report import build_report
    from planner.scenario import load_scenario

    r = _run(runner, hand, "--month", "2026-03", "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc == build_report(load_scenario(hand["scenario"]), "2026-03").to_dict()
    for key in ("month", "budget", "plan", "actual", "variance", "by_service", "by_workload", "kpis", "alerts"):
        assert key in doc  # the fields DESIGN.md promises
    assert doc["plan"]["month"] == 1600.0 and doc["budget"]["monthly"] == 2000.0


@pytest.mark.parametrize("args,code,line", [
    (["--warn-at", "80"], 3, "WARNING: 2026-03: plan $1,600.00 is 80.0%"),  # 1,600 / 2,000 = 80% reaches 80
    (["--warn-at", "90,100"], 0, "OK: "),
    (["--fail-over-budget"], 0, "OK: "),
    (["--budget", "1500", "--fail-over-budget"], 4, "OVER BUDGET: 2026-03: plan $1,600.00 is 106.7%"),  # 1600/1500
    (["--budget", "1500", "--warn-at", "100"], 3, "WARNING: "),  # over, but only a warning was asked for
])
def test_alert_exit_codes_on_the_plan(runner, hand, args, code, line):
    out = hand["dir"] / "r.md"
    r = _run(runner, hand, "--month", "2026-03", "--out", str(out), *args)
    assert r.exit_code == code, r.output
    assert r.output.startswith(line) and r.output.count("\n") == 1
    assert out.exists()  # an alert still writes the report


@pytest.mark.parametrize("args,code", [([], 0), (["--warn-at", "80,100"], 3), (["--warn-at", "120"], 0),
                                       (["--fail-over-budget"], 4), (["--fail-over-budget", "--warn-at", "80"], 4)])
def test_alert_exit_codes_on_actuals(runner, hand, args, code):
    out = hand["dir"] / "r.json"
    r = _run(runner, hand, "--month", "2026-03", "--actuals", str(hand["focus"]), "--volumes", str(hand["volumes"]),
             "--out", str(out), *args)
    assert r.exit_code == code, r.output
    doc = json.loads(out.read_text())
    assert doc["actual"]["projected_month_end"] == 2356.0  # 760 x 31 / 10
    assert doc["alerts"]["pct_of_budget"] == 117.8


@pytest.mark.parametrize("args,message", [
    (["--month", "2026-3"], "Error: --month: a month is written YYYY-MM, e.g. 2026-03; got '2026-3'"),
    (["--month", "March"], "Error: --month: a month is written YYYY-MM"),
    (["--month", "2026-03", "--warn-at", "eighty"], "Error: --warn-at: takes percentages"),
    (["--month", "2026-03", "--fx", "EUR"], "Error: --fx: takes CUR=RATE"),
    (["--month", "2026-03", "--budget", "-5"], "Error: --budget: takes a positive monthly amount"),
    (["--month", "2026-03", "--plan-start", "2026/01"], "Error: --plan-start: a month is written YYYY-MM"),
    (["--month", "2026-03", "--cloud", "gcq"], "Error: --cloud: unknown cloud in this comparison 'gcq'"),
])
def test_bad_flags(runner, hand, args, message):
    out = hand["dir"] / "r.html"
    r = _run(runner, hand, *args, "--out", str(out))
    assert r.exit_code == 2, r.output
    assert r.output.startswith(message) and r.output.count("\n") == 1
    assert not out.exists()
    assert list(hand["dir"].glob(".r.html.*")) == []  # no temporary file left either


def test_bad_out_and_volumes(runner, hand):
    r = _run(runner, hand, "--month", "2026-03", "--out", str(hand["dir"] / "r.txt"))
    assert r.exit_code == 2 and "name it .html, .md or .json" in r.output
    r = _run(runner, hand, "--month", "2026-03")
    assert r.exit_code == 2 and "give --out FILE" in r.output
    bad = hand["dir"] / "v.csv"
    bad.write_text("month,workload,requests\n2026-03,apii,10\n")
    out = hand["dir"] / "r.md"
    r = _run(runner, hand, "--month", "2026-03", "--volumes", str(bad), "--out", str(out))
    assert r.exit_code == 2 and r.output.startswith(f"Error: {bad}: line 2: workload: unknown workload 'apii'; did "
                                                    "you mean 'api'?")
    assert not out.exists()


def test_alerts_need_a_budget(runner, hand):
    hand["scenario"].write_text(hand["scenario"].read_text().replace("budget_usd_per_month: 2000\n", ""))
    out = hand["dir"] / "r.md"
    r = _run(runner, hand, "--month", "2026-03", "--warn-at", "80", "--out", str(out))
    assert r.exit_code == 2 and "alerts need a budget" in r.output and not out.exists()


@pytest.mark.parametrize("rows,message", [
    ("mixed", ("mixes currencies (EUR, USD) and no rate is given for EUR; give each as USD per unit, e.g. --fx "
              "EUR=RATE")),
    ("untagged", "no charge maps to a workload through tag 'workload'"),
    ("empty", None),
])
def test_bad_actuals(runner, hand, rows, message):
    from tests.report.conftest import charge, write_focus

    data = {"mixed": [charge("2026-03-01", 1.0, workload="api", currency="EUR"),
                      charge("2026-03-01", 1.0, workload="api")],
            "untagged": [charge("2026-03-01", 1.0, tags={"team": "x"})], "empty": []}[rows]
    src = write_focus(hand["dir"] / "a.csv", data)
    out = hand["dir"] / "r.html"
    r = _run(runner, hand, "--month", "2026-03", "--actuals", str(src), "--out", str(out))
    assert r.exit_code == 2, r.output
    assert r.output.startswith("Error: ") and r.output.count("\n") == 1
    if message:
        assert message in r.output
    assert not out.exists()


def test_existing_report_kept_on_error(runner, hand):
    out = hand["dir"] / "r.md"
    out.write_text("previous report\n")
    r = _run(runner, hand, "--month", "2026-03", "--cloud", "azure", "--out", str(out))
    assert r.exit_code == 2
    assert out.read_text() == "previous report\n"


def test_help_documents_exit_codes(runner):
    r = runner.invoke(main, ["report", "--help"])
    assert r.exit_code == 0
    text = " ".join(r.output.split())
    assert "2 bad input" in text and "3 a --warn-at threshold crossed" in text and "4 over budget" in text

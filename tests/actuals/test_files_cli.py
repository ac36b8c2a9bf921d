"""`planner actuals show` and `planner actuals formats` through click's CliRunner (and once as a real process):
output formats, grouping, forced input formats, and bad input as one line with exit code 2 and nothing on stdout."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest

from planner.cli import main
from tests.actuals.conftest import fixture, write_csv
from tests.conftest import REPO

FOCUS = str(fixture("focus_small.csv"))
CUR = str(fixture("cur_commitments.csv"))

# focus_small.csv by month, provider, service (see test_files_focus.py for the rows):
# EC2 February: billed 0 + 720 - 25 + 8 = 703, effective 60 + 0 - 25 + 8 = 43, list 90 + 720 - 25 + 8 = 793
TABLE = """\
month    provider  service                 billed_cost  effective_cost  list_cost  currency
-------  --------  ----------------------  -----------  --------------  ---------  --------
2026-02  aws       Amazon EC2                   703.00           43.00     793.00  USD
2026-02  aws       Amazon SageMaker             100.00          100.00     100.00  USD
2026-03  aws       Amazon SageMaker              30.00           30.00      30.00  USD
2026-03  azure     Azure Machine Learning        40.00           40.00      50.00  USD
-------  --------  ----------------------  -----------  --------------  ---------  --------
total                                           873.00          213.00     973.00  USD
"""


def show(runner, *args):
    return runner.invoke(main, ["actuals", "show", *args])


def test_show_table(runner):
    r = show(runner, FOCUS)
    assert r.exit_code == 0, r.output
    assert r.stdout == TABLE  # totals: 703 + 100 + 30 + 40 = 873 billed; 43 + 100 + 30 + 40 = 213 effective


def test_show_json_matches_the_python_api(runner):
    from planner.actuals import summarize

    r = show(runner, FOCUS, "--by", "month,tag:team", "--format", "json")
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    assert rows == summarize(FOCUS, by="month,tag:team").to_dict("records")
    assert {"month": "2026-02", "tag_team": None, "billed_cost": 728.0, "effective_cost": 8.0, "list_cost": 728.0,
            "currency": "USD"} in rows  # the untagged purchase (720) and tax (8)


def test_show_csv_with_missing_list_cost(runner, tmp_path):
    path = write_csv(tmp_path / "f.csv", ["BillingPeriodStart", "ChargePeriodStart", "ProviderName", "ServiceName",
                                          "ChargeCategory", "BilledCost", "EffectiveCost", "BillingCurrency"],
                     [["2026-01-01", "2026-01-02", "AWS", "Amazon S3", "Usage", "2.5", "2.5", "USD"]])
    r = show(runner, str(path), "--format", "csv")
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert rows == [{"month": "2026-01", "provider": "aws", "service": "Amazon S3", "billed_cost": "2.5",
                     "effective_cost": "2.5", "list_cost": "", "currency": "USD"}]
    table = show(runner, str(path)).stdout
    assert "missing" in table.splitlines()[2]  # an unknown list price is shown as missing, never 0.00


def test_show_cur_by_service_and_tag_for_one_month(runner):
    r = show(runner, CUR, "--by", "service,tag:team", "--month", "2026-03", "--format", "json")
    assert r.exit_code == 0, r.output
    got = {(x["service"], x["tag_team"]): x["effective_cost"] for x in json.loads(r.stdout)}
    assert got[("Amazon SageMaker", "ml")] == 7.0
    assert got[("Amazon Elastic Compute Cloud", "web")] == 10.0


def test_show_forced_input_format(runner):
    r = show(runner, CUR, "--input-format", "aws-cur", "--by", "charge", "--format", "json")
    assert r.exit_code == 0, r.output
    assert {x["charge"]: x["billed_cost"] for x in json.loads(r.stdout)}["Purchase"] == 111.0  # 8 + 100 + 3


def test_show_converts_with_fx(runner, tmp_path):
    path = write_csv(tmp_path / "fx.csv", ["BillingPeriodStart", "ChargePeriodStart", "ProviderName", "ServiceName",
                                           "ChargeCategory", "BilledCost", "EffectiveCost", "BillingCurrency"],
                     [["2026-03-01", "2026-03-02", "Microsoft", "Storage", "Usage", "10", "10", "EUR"],
                      ["2026-03-01", "2026-03-02", "AWS", "Amazon S3", "Usage", "5", "5", "USD"]])
    r = show(runner, str(path), "--by", "month", "--fx", "EUR=1.10", "--format", "json")
    assert r.exit_code == 0, r.output
    [row] = json.loads(r.stdout)
    assert row["billed_cost"] == pytest.approx(16.0) and row["currency"] == "USD"  # 10 x 1.10 + 5


def test_formats_lists_every_importer(runner):
    r = runner.invoke(main, ["actuals", "formats"])
    assert r.exit_code == 0
    for name in ("focus", "aws-cur", "aws-athena", "aws-cur2", "azure", "gcp-bigquery", "oci", "azure-amortized"):
        assert name in r.stdout


def _bad(tmp_path):
    """(name, arguments, words the one-line message must contain) for each kind of bad input."""
    unknown = write_csv(tmp_path / "unknown.csv", ["date", "amount"], [["2026-03-01", "1"]])
    no_cols = write_csv(tmp_path / "nocols.csv", ["BillingPeriodStart", "ProviderName", "BilledCost", "ListCost"],
                        [["2026-03-01", "AWS", "1", "1"]])
    mixed = write_csv(tmp_path / "mixed.csv", ["ChargePeriodStart", "ChargeCategory", "BilledCost", "EffectiveCost",
                                               "BillingCurrency"],
                      [["2026-03-01", "Usage", "1", "1", "USD"], ["2026-03-01", "Usage", "1", "1", "CAD"]])
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    return [
        ("month", [FOCUS, "--month", "2026-3"], ["--month", "YYYY-MM"]),
        ("unknown format", [str(unknown)], ["Tried", "focus", "aws-cur", "azure", "gcp-bigquery", "oci"]),
        ("missing columns", [str(no_cols), "--input-format", "focus"], ["EffectiveCost", "ChargePeriodStart"]),
        ("mixed currencies", [str(mixed)], ["CAD, USD", "--fx CAD=RATE"]),
        ("tag", [FOCUS, "--by", "tag:owner"], ["owner", "env, team"]),
        ("empty", [str(empty)], ["empty"]),
        ("bad fx", [FOCUS, "--fx", "EUR"], ["--fx", "CUR=RATE"]),
        ("unknown input format", [FOCUS, "--input-format", "azur"], ["did you mean", "azure"]),
        ("no such file", [str(tmp_path / "nope.csv")], ["no such file"]),
    ]


def test_bad_input_is_one_line_exit_2_and_no_output(runner, tmp_path):
    for name, args, words in _bad(tmp_path):
        r = show(runner, *args)
        assert r.exit_code == 2, (name, r.output)
        assert r.stdout == "", name  # nothing partial on stdout
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: "), (name, r.stderr)
        for w in words:
            assert w in lines[0], (name, w, lines[0])


def test_real_process_prints_no_traceback(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    p = subprocess.run([sys.executable, "-m", "planner", "actuals", "show", str(empty)], capture_output=True,
                       text=True, cwd=REPO, check=False)
    assert p.returncode == 2 and p.stdout == ""
    assert p.stderr.count("\n") == 1 and "Traceback" not in p.stderr
    ok = subprocess.run([sys.executable, "-m", "planner", "actuals", "show", FOCUS, "--format", "csv"],
                        capture_output=True, text=True, cwd=REPO, check=False)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.splitlines()[0] == "month,provider,service,billed_cost,effective_cost,list_cost,currency"


def test_docs_transcripts_are_current(runner, monkeypatch):
    """Every `$ planner actuals ...` transcript in docs/actuals.md is exactly what the command prints."""
    import re
    import shlex

    doc = (REPO / "docs" / "actuals.md").read_text()
    blocks = re.findall(r"```console\n\$ (planner [^\n]*)\n(.*?)```", doc, re.DOTALL)
    assert len(blocks) == 2
    monkeypatch.chdir(REPO)
    for cmd, shown in blocks:
        r = runner.invoke(main, shlex.split(cmd)[1:])
        assert r.exit_code == 0, (cmd, r.output)
        assert r.stdout.rstrip("\n") == shown.rstrip("\n"), cmd

"""`planner compare --set`, `sweep`, `mc`, `sensitivity` and `diff`: the same numbers as the Python API, one-line
errors with exit code 2 and nothing on stdout for bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal

import pytest
import yaml

import planner
from planner.cli import main
from tests.whatif.conftest import SMALL


@pytest.fixture
def path(tmp_path):
    p = tmp_path / "small.yaml"
    p.write_text(yaml.safe_dump(SMALL, sort_keys=False))
    return str(p)


def run(runner, *args):
    r = runner.invoke(main, [str(a) for a in args])
    assert r.exit_code == 0, r.output + r.stderr
    return r


def records(frame):
    from planner.cli.whatif_cmd import frame_records

    return frame_records(frame)


def test_compare_set_equals_what_if(runner, path):
    r = run(runner, "compare", path, "--set", "workloads.chat.qps_peak=80", "--set", "prices.gcp=0.5",
            "--format", "json")
    got = json.loads(r.stdout)
    sc = planner.what_if(planner.load_scenario(path), {"workloads.chat.qps_peak": 80, "prices.gcp": 0.5})
    ref = planner.compare(sc)
    # the JSON rounds money to the cent (planner.render.money)
    assert {c["cloud"]: c["contracted_horizon_total"] for c in got["clouds"]} == {
        c.cloud: float(c.contracted_horizon_cost.quantize(Decimal("0.01"))) for c in ref.clouds}
    assert got["winner"]["cloud"] == ref.winner.cloud


def test_sweep_json_and_csv_are_the_api_frame(runner, path):
    r = run(runner, "sweep", path, "--set", "workloads.chat.qps_peak=20,80", "--set", "prices.gcp=1,0.5",
            "--format", "json")
    api = planner.sweep(path, {"workloads.chat.qps_peak": [20, 80], "prices.gcp": [1, 0.5]}).to_frame()
    assert json.loads(r.stdout) == records(api)
    r = run(runner, "sweep", path, "--set", "workloads.chat.qps_peak=20,80", "--set", "prices.gcp=1,0.5",
            "--format", "csv")
    lines = r.stdout.splitlines()
    assert lines[0].split(",") == list(api.columns)
    assert len(lines) == 1 + len(api)


def test_sweep_range_and_list_values(runner, path):
    r = run(runner, "sweep", path, "--set", "workloads.chat.qps_peak=20:60:20", "--set",
            "purchase_options=[on_demand],[on_demand, reserved_1y]", "--format", "json", "--engine", "exact")
    rows = json.loads(r.stdout)
    assert sorted({x["workloads.chat.qps_peak"] for x in rows}) == [20, 40, 60]
    assert {tuple(x["purchase_options"]) for x in rows} == {("on_demand",), ("on_demand", "reserved_1y")}
    assert len(rows) == 3 * 2 * 3


def test_sweep_table_shows_each_variant_and_winner(runner, path):
    r = run(runner, "sweep", path, "--set", "workloads.chat.qps_peak=20,80")
    api = planner.sweep(path, {"workloads.chat.qps_peak": [20, 80]}).winners()
    out = r.stdout
    assert "2 variants" in out
    for _, w in api.iterrows():
        assert f"${w['horizon_cost']:,.2f}" in out
        assert f"{w['count']}x {w['instance_type']}" in out


def test_sweep_plot_file_and_progress(runner, path, tmp_path):
    png = tmp_path / "sweep.png"
    plain = run(runner, "sweep", path, "--set", "workloads.chat.qps_peak=20,40,80", "--format", "csv")
    r = run(runner, "sweep", path, "--set", "workloads.chat.qps_peak=20,40,80", "--format", "csv", "--plot", png,
            "--progress")
    assert r.stdout == plain.stdout  # the bar goes to stderr only
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_mc_matches_the_api(runner, path):
    args = ["--assume", "workloads.chat.qps_peak=uniform(20, 80)", "--assume", "prices.aws=normal(1, 0.1)",
            "-n", "20", "--seed", "3"]
    r = run(runner, "mc", path, *args, "--format", "json")
    got = json.loads(r.stdout)
    api = planner.monte_carlo(path, {"workloads.chat.qps_peak": "uniform(20, 80)", "prices.aws": "normal(1, 0.1)"},
                              n=20, seed=3)
    assert got["summary"] == records(api.summary())
    assert [a["distribution"] for a in got["assumptions"]] == ["uniform(low=20, high=80)", "normal(mean=1, sd=0.1)"]
    r = run(runner, "mc", path, *args, "--format", "csv", "--per-draw")
    assert len(r.stdout.splitlines()) == 1 + 20 * 3
    r = run(runner, "mc", path, *args)
    best = api.summary().sort_values("p_win").iloc[-1]
    assert f"${best['horizon_cost_p50']:,.2f}" in r.stdout and f"{best['p_win']:.1%}" in r.stdout


def test_sensitivity_matches_the_api(runner, path, tmp_path):
    r = run(runner, "sensitivity", path, "--range", "workloads.chat.qps_peak=20,80", "--range", "prices.aws=0.8,1.2",
            "--format", "json", "--plot", tmp_path / "t.png")
    api = planner.sensitivity(path, {"workloads.chat.qps_peak": (20, 80), "prices.aws": (0.8, 1.2)})
    assert json.loads(r.stdout) == records(api.to_frame())
    assert (tmp_path / "t.png").stat().st_size > 0


def test_diff_matches_the_api(runner, path, tmp_path):
    b = tmp_path / "b.yaml"
    b.write_text(yaml.safe_dump({**SMALL, "horizon_months": 6}, sort_keys=False))
    r = run(runner, "diff", path, b, "--format", "json")
    api = planner.diff(path, str(b))
    got = json.loads(r.stdout)
    assert got["changes"] == [{"path": "horizon_months", "old": 3, "new": 6}]
    assert got["costs"] == records(api.to_frame())
    r2 = run(runner, "diff", path, "--set", "horizon_months=6", "--format", "json")
    assert json.loads(r2.stdout)["costs"] == got["costs"]
    table = run(runner, "diff", path, b).stdout
    assert "horizon_months" in table and "Winner:" in table


@pytest.mark.parametrize(("args", "message"), [
    (["sweep", "{p}", "--set", "workloads.chat.qps_peek=1,2"], "did you mean qps_peak"),
    (["sweep", "{p}", "--set", "workloads.chat.qps_peak=a,b"], "valid number"),
    (["sweep", "{p}", "--set", "workloads.chat.qps_peak="], "has no values"),
    (["sweep", "{p}"], "give at least one --set"),
    (["sweep", "{p}", "--set", "workloads.chat.qps_peak=1:100000:1", "--set", "prices.gcp=0.01:3:0.01"],
     "engine='dask'"),
    (["sweep", "{p}", "--set", "workloads.chat.qps_peak=9:1:1"], "STOP >= START"),
    (["sweep", "{p}", "--set", "qps_peak"], "expected PATH=VALUE"),
    (["sweep", "{p}", "--set", "workloads.chat.qps_peak=20", "--plot", "chart.txt"], "--plot"),
    (["mc", "{p}", "--assume", "workloads.chat.qps_peak=normal(40, -1)"], "sd > 0"),
    (["mc", "{p}", "--assume", "workloads.chat.qps_peak=normall(40, 1)"], "did you mean normal"),
    (["mc", "{p}"], "give at least one --assume"),
    (["sensitivity", "{p}", "--range", "workloads.chat.qps_peak=1"], "LOW,HIGH"),
    (["sensitivity", "{p}", "--range", "prices.aws=1,1"], "two different values"),
    (["diff", "{p}"], "give a second scenario"),
    (["compare", "{p}", "--set", "horizon_months=abc"], "valid integer"),
    (["compare", "{p}", "--set", "horizon_monts=6"], "did you mean horizon_months"),
])
def test_bad_input_is_one_line_exit_2(runner, path, args, message):
    r = runner.invoke(main, [a.replace("{p}", path) for a in args])
    assert r.exit_code == 2, r.output
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0], r.stderr


def test_whatif_commands_import_nothing_heavy():
    heavy = ("pandas", "numpy", "scipy", "matplotlib", "dask", "pydantic", "rich")
    code = ("import sys, planner.cli.whatif_cmd, planner.cli.compare_cmd\n"
            f"print(','.join(m for m in {heavy!r} if m in sys.modules))")
    p = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == ""


# ------------------------------------------------------------------------------------------------ the docs' commands
def _section(text: str, heading: str) -> str:
    start = text.index(heading)
    end = text.find("\n## ", start + len(heading))
    return text[start:end if end >= 0 else None]


def test_readme_whatif_commands_run_as_shown(runner, tmp_path, monkeypatch):
    """Every command of the README's "What-if analysis" shell block runs as written, from a folder holding the
    example scenarios (so the chart `mc.png` lands there, not in the checkout)."""
    import re
    import shlex

    from tests.conftest import REPO

    section = _section((REPO / "README.md").read_text(), "## What-if analysis")
    [block] = re.findall(r"```sh\n(.*?)```", section, re.DOTALL)
    commands = [shlex.split(c) for c in block.replace("\\\n", " ").splitlines() if c.strip()]
    assert [c[1] for c in commands] == ["compare", "mc", "sensitivity", "diff"]
    (tmp_path / "scenarios").symlink_to(REPO / "scenarios")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PLANNER_NOW", "2026-11-26")
    for args in commands:
        assert args[0] == "planner"
        r = runner.invoke(main, args[1:])
        assert r.exit_code == 0, (args, r.output)
        assert "Winner" in r.stdout or "Cheapest in" in r.stdout or "largest swing first" in r.stdout, args
    assert (tmp_path / "mc.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"  # the mc command's --plot


def test_api_doc_transcript_is_current(runner, monkeypatch):
    """The `$ planner ...` transcript in docs/api.md prints what the doc shows (here a one-line error, exit 2)."""
    import re
    import shlex

    from tests.conftest import REPO

    doc = (REPO / "docs" / "api.md").read_text()
    blocks = re.findall(r"```console\n\$ (planner [^\n]*)\n(.*?)```", doc, re.DOTALL)
    assert blocks
    monkeypatch.chdir(REPO)
    for cmd, shown in blocks:
        r = runner.invoke(main, shlex.split(cmd)[1:])
        assert (r.stdout + r.stderr).rstrip("\n") == shown.rstrip("\n"), cmd
        assert r.exit_code == (2 if shown.startswith("Error: ") else 0), cmd

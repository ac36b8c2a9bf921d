"""The README's commands are run: the two set-up commands and every `$ planner ...` transcript."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text()


def _block_after(marker: str) -> str:
    m = re.search(re.escape(marker) + r"\n```\w*\n(.+?)\n```", README)
    assert m, f"README has no command block after {marker}"
    return m.group(1).strip()


def test_two_setup_commands_at_the_top():
    main_cmd = _block_after("<!-- main-command -->")
    test_cmd = _block_after("<!-- test-command -->")
    assert README.index("<!-- main-command -->") < README.index("<!-- test-command -->") < README.index("```console")
    assert "pip install" in main_cmd and "planner compare scenarios/" in main_cmd
    assert "pip install" in test_cmd and "pytest" in test_cmd


def test_ci_runs_the_readme_test_command():
    out = subprocess.run(["bash", ".ci/run"], check=False, cwd=REPO, capture_output=True, text=True,
                         env={**os.environ, "CI_PRINT_ONLY": "1"})
    assert out.returncode == 0 and out.stdout.strip() == _block_after("<!-- test-command -->")


def test_main_command_runs_a_three_cloud_comparison():
    main_cmd = _block_after("<!-- main-command -->")
    planner_part = main_cmd[main_cmd.index("planner compare"):].split()
    p = subprocess.run([sys.executable, "-m", "planner", *planner_part[1:]], check=False, cwd=REPO, capture_output=True, text=True,
                       env={**os.environ, "PLANNER_NOW": "2026-11-26"})
    assert p.returncode == 0, p.stderr
    for cloud in ("AWS", "GCP", "AZURE"):
        assert cloud in p.stdout
    assert "Winner:" in p.stdout and "Catalog: embedded" in p.stdout


def test_transcripts_match_current_output():
    sys.path.insert(0, str(REPO / "tools"))
    try:
        import readme_transcripts
    finally:
        sys.path.pop(0)
    assert readme_transcripts.transcripts(README), "README shows no planner transcripts"
    stale = readme_transcripts.check()
    assert not stale, f"README transcripts out of date (run python tools/readme_transcripts.py): {stale}"


def test_python_examples_run_as_shown(monkeypatch):
    import doctest

    monkeypatch.chdir(REPO)
    parser = doctest.DocTestParser()
    test = parser.get_doctest(README, {}, "README.md", str(REPO / "README.md"), 0)
    assert test.examples, "README shows no Python example"
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    runner.run(test)
    assert runner.summarize(verbose=False).failed == 0

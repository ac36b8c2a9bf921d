"""docs/capacity.md stays true: its command transcripts and calibration table match the code."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from planner.capacity.calibration import FAMILY
from planner.cli import main

DOC = Path(__file__).resolve().parents[2] / "docs" / "capacity.md"
BLOCKS = re.findall(r"```\n\$ (planner capacity [^\n]+)\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)


def test_doc_has_transcripts() -> None:
    assert len(BLOCKS) == 3


@pytest.mark.parametrize(("command", "expected"), BLOCKS, ids=[b[0][:40] for b in BLOCKS])
def test_transcript_is_real_output(command: str, expected: str) -> None:
    res = CliRunner().invoke(main, shlex.split(command)[1:])
    assert res.exit_code == 0, res.output
    shown = expected.split("...\n")[0]  # a transcript may end early with '...'
    assert res.stdout.startswith(shown)


def test_calibration_table_matches_code() -> None:
    text = DOC.read_text(encoding="utf-8")
    for family, c in FAMILY.items():
        row = (f"| {family} | {c.eta_mem:.2f} | {c.eta_flops_16:.2f} | {c.eta_flops_8:.2f} | "
               f"{c.train_mfu_16:.2f} | {c.train_mfu_8:.2f} |")
        assert row in text, f"docs/capacity.md calibration row for {family} is stale"

"""Keep the README's command transcripts true.

Every ```console block in README.md whose first line is `$ planner ...` is a transcript: the command
and its exact output. `python tools/readme_transcripts.py` re-runs each command and rewrites the
output; `--check` exits 1 when any output differs (the tests call `check()`).
Commands run from the repository root with a fixed date (PLANNER_NOW), an empty snapshot store and
a 120-column terminal, so the output is reproducible.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"```console\n\$ (planner [^\n]*)\n(.*?)```", re.DOTALL)


def run(command: str, home: str) -> str:
    env = {**os.environ, "PLANNER_NOW": "2026-11-26", "PLANNER_HOME": home, "COLUMNS": "120", "NO_COLOR": "1"}
    env.pop("PLANNER_DEBUG", None)
    args = shlex.split(command)
    p = subprocess.run([sys.executable, "-m", "planner", *args[1:]], cwd=ROOT, env=env, capture_output=True, text=True,
                       check=False)
    return p.stdout + p.stderr


def transcripts(text: str) -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in BLOCK.finditer(text)]


def refresh(text: str) -> str:
    with tempfile.TemporaryDirectory() as home:
        def sub(m: re.Match[str]) -> str:
            out = run(m.group(1), home).rstrip("\n")
            return f"```console\n$ {m.group(1)}\n{out}\n```"

        return BLOCK.sub(sub, text)


def check() -> list[str]:
    """Commands whose README output differs from what they print now."""
    text = (ROOT / "README.md").read_text()
    bad = []
    with tempfile.TemporaryDirectory() as home:
        for cmd, shown in transcripts(text):
            if run(cmd, home).rstrip("\n") != shown.rstrip("\n"):
                bad.append(cmd)
    return bad


if __name__ == "__main__":
    if "--check" in sys.argv:
        stale = check()
        for c in stale:
            print(f"stale transcript: {c}")
        sys.exit(1 if stale else 0)
    f = ROOT / "README.md"
    f.write_text(refresh(f.read_text()))

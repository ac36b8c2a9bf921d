"""`planner --help` stays instant: the CLI entry point imports no heavy dependency."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("pandas", "numpy", "pyarrow", "boto3", "botocore", "google.cloud", "azure", "pydantic", "rich", "yaml", "requests")


def test_help_imports_nothing_heavy():
    code = (
        "import sys; from planner.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        f"print('HEAVY:' + ','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    p = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip().splitlines()[-1] == "HEAVY:", "heavy modules imported by --help"


def test_every_command_has_help(runner):
    from planner.cli import COMMANDS, main

    for name in COMMANDS:
        r = runner.invoke(main, [name, "--help"])
        assert r.exit_code == 0, (name, r.output)
        assert "Usage:" in r.output and len(r.output.splitlines()) > 3, name

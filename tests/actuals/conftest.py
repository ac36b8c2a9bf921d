"""Shared helpers for the actual-spend importer tests.

The public billing samples live in ``../shared/reference/billing/`` (see its README); tests that read them skip
when that folder is absent. Small hand-made files in ``tests/fixtures/actuals/`` cover the same behaviour
without it (their README says what each contains and why).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, SHARED

BILLING = SHARED / "reference" / "billing"
FIXTURES = REPO / "tests" / "fixtures" / "actuals"


def sample(rel: str) -> Path:
    """A file under ../shared/reference/billing/, or skip the test when the folder is absent."""
    p = BILLING / rel
    if not p.exists():
        pytest.skip(f"../shared/reference/billing/{rel} not present")
    return p


def fixture(name: str) -> Path:
    return FIXTURES / name


def csv_rows(path: Path, encoding: str = "utf-8-sig") -> list[dict[str, str]]:
    """The rows of a CSV as dicts, read with the standard library (an oracle independent of the importers)."""
    text = path.read_text(encoding=encoding)
    return [r for r in csv.DictReader(io.StringIO(text)) if any((v or "").strip() for v in r.values())]


def num(v: Any) -> float:
    """A CSV cell as a number: empty means 0 in the sums the tests compute by hand."""
    return float(v) if v not in (None, "", "null", "NULL") else 0.0


def write_csv(path: Path, header: list[str], rows: list[list[Any]], *, bom: bool = False) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    path.write_text(("\ufeff" if bom else "") + buf.getvalue(), encoding="utf-8")
    return path


def totals(frame: Any) -> dict[str, float]:
    """Billed, effective and list totals of a summary or FOCUS frame (NaN if any part is missing)."""
    import math

    cols = ("billed_cost", "effective_cost", "list_cost") if "billed_cost" in frame.columns else \
        ("BilledCost", "EffectiveCost", "ListCost")
    out = {}
    for c, key in zip(cols, ("billed", "effective", "list"), strict=True):
        vals = [float(v) for v in frame[c]]
        out[key] = math.nan if any(math.isnan(v) for v in vals) else sum(vals)
    return out

"""examples/what-if.ipynb runs top to bottom (nbclient, the python3 kernel of this environment), is stored without
outputs, and its charts are the PNGs docs/api.md shows.

Regenerate the charts in docs/img after a reviewed change with:  PLANNER_UPDATE_GOLDEN=1 pytest tests/whatif/test_notebook.py
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "examples" / "what-if.ipynb"
IMG = REPO / "docs" / "img"
UPDATE = os.environ.get("PLANNER_UPDATE_GOLDEN") == "1"


def _kernel() -> str:
    """The python3 kernel of this interpreter; installed into its prefix when missing, else the test skips."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec("python3")
    except NoSuchKernel:
        p = subprocess.run([sys.executable, "-m", "ipykernel", "install", "--sys-prefix"], capture_output=True,
                           text=True, check=False)
        if p.returncode != 0:
            pytest.skip(f"no python3 Jupyter kernel and ipykernel could not install one: {p.stderr.strip()[-200:]}")
    return "python3"


def test_notebook_is_stored_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code
    assert all(not c.outputs and c.execution_count is None for c in code)


TEST_PARAMETERS = "DRAWS = 60"  # fewer Monte Carlo draws than the notebook's 1,000: every other cell as stored


@pytest.fixture(scope="module")
def executed():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    # as papermill does: the test's parameters in a cell right after the one tagged "parameters"
    at = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    nb.cells.insert(at + 1, nbformat.v4.new_code_cell(TEST_PARAMETERS, metadata={"tags": ["injected-parameters"]}))
    client = nbclient.NotebookClient(nb, kernel_name=_kernel(), timeout=600,
                                     resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute()  # raises CellExecutionError naming the cell on any error
    return nb


def test_notebook_runs_and_draws_its_charts(executed):
    errors = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    charts = {c.metadata["docs_image"]: c for c in executed.cells if "docs_image" in c.metadata}
    assert len(charts) >= 6
    for name, cell in charts.items():
        pngs = [o["data"]["image/png"] for o in cell.outputs if "image/png" in o.get("data", {})]
        assert len(pngs) == 1, f"{name}: expected one chart, got {len(pngs)}"
        data = base64.b64decode(pngs[0])
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        path = IMG / name
        if UPDATE:
            IMG.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        assert path.exists(), f"{path} missing: run with PLANNER_UPDATE_GOLDEN=1 and review it"


def test_notebook_numbers_are_the_apis(executed):
    import numpy as np
    import pandas as pd

    import planner

    text = "".join(o.get("text", "") for c in executed.cells if c.cell_type == "code" for o in c.outputs
                   if o.output_type == "stream")
    sc = planner.load_scenario(REPO / "scenarios" / "chat-assistant.yaml")
    base = planner.compare(sc)
    assert f"Cheapest: {base.winner.cloud} ({base.winner.region})" in text, text[:500]
    # the winners table of section 1 is planner.sweep's on the same table of variants (the notebook's call, re-run)
    cell = next(c for c in executed.cells if c.cell_type == "code" and "traffic.winners()" in c.source)
    [shown] = [o["data"]["text/plain"] for o in cell.outputs if o.output_type == "execute_result"]
    m = np.arange(1, 6.5, 0.5)
    traffic = planner.sweep(sc, pd.DataFrame({"workloads.chat.qps_mean": 15 * m, "workloads.chat.qps_peak": 40 * m}))
    want = traffic.winners()[["workloads.chat.qps_peak", "cloud", "horizon_cost", "instance_type", "count"]].round(0)
    rows = [line.split() for line in shown.splitlines()[1:]]
    assert len(rows) == len(want) == len(m)
    for row, (_, w) in zip(rows, want.iterrows(), strict=True):
        qps, cloud, cost, instance, count = row[1:]
        assert (float(qps), cloud, float(cost), instance, int(count)) == (
            w["workloads.chat.qps_peak"], w["cloud"], w["horizon_cost"], w["instance_type"], w["count"]), row


def test_api_doc_shows_every_notebook_chart():
    doc = (REPO / "docs" / "api.md").read_text()
    nb = nbformat.read(NOTEBOOK, as_version=4)
    names = {c.metadata["docs_image"] for c in nb.cells if "docs_image" in c.metadata}
    shown = set(re.findall(r"\]\(img/([\w.-]+\.png)\)", doc))
    assert names <= shown, f"docs/api.md does not show {sorted(names - shown)}"

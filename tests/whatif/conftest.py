"""A small scenario for what-if tests: one real-time chat workload, three clouds, one region each, 3 months.

Small on purpose: every variant is one :func:`planner.compare` on the exact path (about 0.1 s), so the tests
stay fast whichever engine is installed.
"""

from __future__ import annotations

import matplotlib
import pytest

matplotlib.use("Agg")

SMALL = {
    "name": "small chat",
    "horizon_months": 3,
    "compare": {
        "clouds": ["aws", "gcp", "azure"],
        "regions": {"aws": ["us-east-1"], "gcp": ["us-central1"], "azure": ["eastus"]},
        "purchase_options": ["on_demand", "reserved_1y", "committed_1y"],
    },
    "workloads": [{
        "name": "chat", "type": "serving", "style": "real_time", "model": "llama-3-8b",
        "qps_mean": 15, "qps_peak": 40, "input_tokens": 1000, "output_tokens": 250,
        "ttft_p95_ms": 1000, "tpot_ms": 50, "accelerators": ["H100-SXM", "A100-80GB", "L4"], "min_replicas": 2,
    }],
}


@pytest.fixture(scope="session")
def small():
    from planner.scenario import scenario_from_dict

    return scenario_from_dict(SMALL, where="small chat (tests/whatif/conftest.py)")


@pytest.fixture(scope="session")
def catalog():
    """The embedded catalog, loaded once (tests use it by object so no store lookup differs)."""
    from pricing.catalog import load_catalog

    return load_catalog("embedded")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")

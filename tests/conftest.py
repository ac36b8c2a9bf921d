from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own empty snapshot store and fake cloud credentials."""
    monkeypatch.setenv("PLANNER_HOME", str(tmp_path_factory.mktemp("planner-home")))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("PLANNER_DEBUG", raising=False)


@pytest.fixture
def runner():
    from click.testing import CliRunner

    return CliRunner()


def offer(**kw):
    """A hand-made offer for tests (prices are test inputs, not real quotes)."""
    from pricing.schema import Offer

    base = {
        "provider": "aws",
        "service": "AmazonEC2",
        "sku": "",
        "region": "us-east-1",
        "resource": "instance",
        "purchase_option": "on_demand",
        "unit": "hour",
        "price": None,
        "source": "test fixture",
        "effective_date": "2026-01-01",
        "fetched_at": "2026-01-01",
    }
    base.update(kw)
    if isinstance(base["price"], (int, float, str)):
        base["price"] = Decimal(str(base["price"]))
    for k in ("tier_start", "tier_end"):
        if isinstance(base.get(k), (int, float, str)):
            base[k] = Decimal(str(base[k]))
    if not base["sku"]:
        base["sku"] = f"{base['provider']}:{base.get('instance_type') or base.get('storage_class')}:{base['region']}:{base['purchase_option']}:{base.get('tier_start', 0)}:{base['resource']}"
    return Offer(**base)

"""Layered catalogs (`--catalog a,b`) and comparisons on imported reference catalogs."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from pricing.catalog import Catalog, layer
from tests.conftest import SHARED, offer


def test_later_catalog_replaces_its_price_points_and_tier_schedules():
    base = Catalog("embedded", "e", "2026-11-01", [
        offer(instance_type="g6.xlarge", accelerator="L4", accelerator_count=1, price=1.0),
        offer(instance_type="g5.xlarge", accelerator="A10G", accelerator_count=1, price=2.0),
        offer(resource="storage", unit="GB-month", storage_class="object_standard", price="0.023"),
        offer(provider="gcp", region="us-central1", instance_type="g2-standard-4", accelerator="L4", accelerator_count=1, price=0.7),
    ])
    new = Catalog("fresh", "f", "2026-11-20", [
        offer(instance_type="g6.xlarge", accelerator="L4", accelerator_count=1, price=0.9),
        offer(resource="storage", unit="GB-month", storage_class="object_standard", price="0.022", tier_start=0, tier_end=100),
        offer(resource="storage", unit="GB-month", storage_class="object_standard", price="0.021", tier_start=100),
    ])
    cat = layer([base, new])
    prices = {(o.provider, o.resource, o.instance_type, o.tier_start): o.price for o in cat.offers}
    # g6.xlarge takes the new price, g5.xlarge (not in "fresh") keeps its own; the storage schedule is
    # replaced whole (two new tiers, the old single tier gone); GCP is untouched
    assert prices == {("aws", "instance", "g6.xlarge", 0): Decimal("0.9"), ("aws", "instance", "g5.xlarge", 0): Decimal("2.0"),
                      ("aws", "storage", None, 0): Decimal("0.022"), ("aws", "storage", None, 100): Decimal("0.021"),
                      ("gcp", "instance", "g2-standard-4", 0): Decimal("0.7")}
    assert cat.name == "embedded+fresh" and cat.fetched_at == "2026-11-01"  # age of the oldest part


@pytest.mark.skipif(not (SHARED / "reference" / "skypilot-catalog").is_dir(), reason="../shared reference catalogs absent")
def test_three_reference_catalogs_import_and_compare(runner, monkeypatch):
    from planner.cli import main

    repo = Path(__file__).resolve().parents[1]
    monkeypatch.chdir(repo)
    for p in ("aws", "gcp", "azure"):
        r = runner.invoke(main, ["catalog", "import", "--format", "skypilot", str(SHARED / "reference" / "skypilot-catalog" / p / "vms.csv"),
                                 "--provider", p, "--name", f"sky-{p}"])
        assert r.exit_code == 0, r.output
    r = runner.invoke(main, ["compare", "scenarios/batch-embeddings.yaml", "--catalog", "embedded,sky-aws,sky-gcp,sky-azure",
                             "--format", "json"])
    assert r.exit_code == 0, r.output
    import json

    doc = json.loads(r.stdout)
    assert doc["catalog"]["name"] == "embedded+sky-aws+sky-gcp+sky-azure"
    assert {c["cloud"] for c in doc["clouds"] if c["complete"]} == {"aws", "gcp", "azure"}
    l4 = next(i for i in doc["line_items"] if i["cloud"] == "aws" and i["workload"] == "nightly-embeddings")
    assert l4["instance_type"] == "g6.xlarge"


def test_import_layers_on_the_active_catalog_by_default(runner, monkeypatch, tmp_path):
    """Importing one cloud's prices keeps the other clouds, storage and egress: compare still sees all three."""
    from planner.cli import main

    monkeypatch.chdir(Path(__file__).resolve().parents[1])
    f = tmp_path / "vms.csv"  # a tiny SkyPilot-format AWS file (prices are test inputs)
    f.write_text("InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,GpuInfo,Price,SpotPrice,Region,AvailabilityZone,Arch\n"
                 "g6.xlarge,L4,1,4.0,16.0,,0.5,0.2,us-east-1,us-east-1a,x86_64\n"
                 "g4dn.xlarge,T4,1,4.0,16.0,,0.5,0.3,us-east-1,us-east-1a,x86_64\n")
    r = runner.invoke(main, ["catalog", "import", "--format", "skypilot", str(f), "--provider", "aws", "--name", "mine"])
    assert r.exit_code == 0, r.output
    assert "layered on 'embedded'" in r.stdout
    r = runner.invoke(main, ["compare", "scenarios/batch-embeddings.yaml", "--format", "json"])
    assert r.exit_code == 0, r.output
    import json

    doc = json.loads(r.stdout)
    assert doc["catalog"]["name"] == "mine"
    assert {c["cloud"] for c in doc["clouds"] if c["complete"]} == {"aws", "gcp", "azure"}
    emb = next(i for i in doc["line_items"] if i["cloud"] == "aws" and i["workload"] == "nightly-embeddings")
    # AWS us-east-1 instances now come only from the import: g6.xlarge spot at 0.2
    assert emb["instance_type"] == "g6.xlarge" and emb["unit_price"] == 0.2
    # --standalone keeps only what the file has
    r = runner.invoke(main, ["catalog", "import", "--format", "skypilot", str(f), "--provider", "aws", "--name", "alone", "--standalone"])
    assert r.exit_code == 0
    r = runner.invoke(main, ["compare", "scenarios/batch-embeddings.yaml", "--cloud", "gcp"])
    assert r.exit_code == 2 and "unknown gcp region 'us-central1'" in r.stderr


def test_missing_base_of_a_layered_snapshot_is_named(runner, monkeypatch, tmp_path):
    import shutil

    from planner.cli import main
    from pricing import store

    f = tmp_path / "vms.csv"
    f.write_text("InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,GpuInfo,Price,SpotPrice,Region,AvailabilityZone,Arch\n"
                 "g6.xlarge,L4,1,4.0,16.0,,0.5,0.2,us-east-1,us-east-1a,x86_64\n")
    for name in ("one", "two"):  # "two" is layered on "one"
        assert runner.invoke(main, ["catalog", "import", "--format", "skypilot", str(f), "--provider", "aws", "--name", name]).exit_code == 0
    shutil.rmtree(store.snapshots_dir() / "one")
    r = runner.invoke(main, ["catalog", "show", "two", "--format", "json"])
    assert r.exit_code == 2 and "snapshot 'two' is layered on 'one', which cannot be loaded" in r.stderr

"""Layered catalogs (`--catalog a,b`) and comparisons on imported reference catalogs."""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from pricing.catalog import Catalog, layer, layer_summary
from tests.conftest import SHARED, offer


def _prices(cat: Catalog) -> dict[tuple[object, ...], Decimal | None]:
    return {(o.provider, o.resource, o.instance_type or o.storage_class, o.purchase_option, o.tier_start): o.price
            for o in cat.offers}


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
    # g6.xlarge takes the new price, g5.xlarge (not in "fresh") keeps its own; the storage schedule is
    # replaced whole (two new tiers, the old single tier gone); GCP is untouched
    assert _prices(cat) == {
        ("aws", "instance", "g6.xlarge", "on_demand", 0): Decimal("0.9"),
        ("aws", "instance", "g5.xlarge", "on_demand", 0): Decimal("2.0"),
        ("aws", "storage", "object_standard", "on_demand", 0): Decimal("0.022"),
        ("aws", "storage", "object_standard", "on_demand", 100): Decimal("0.021"),
        ("gcp", "instance", "g2-standard-4", "on_demand", 0): Decimal("0.7")}
    assert cat.name == "embedded+fresh" and cat.fetched_at == "2026-11-01"  # age of the oldest part


GCP = {"provider": "gcp", "region": "us-central1", "instance_type": "a3-highgpu-8g", "accelerator": "H100-SXM",
       "accelerator_count": 8}


def test_import_of_on_demand_and_spot_keeps_commitments_of_the_same_type():
    # prices are test inputs
    base = Catalog("embedded", "e", "2026-11-01", [
        offer(**GCP, price="88.25"), offer(**GCP, purchase_option="spot", price="40"),
        offer(**GCP, purchase_option="committed_1y", price="61"), offer(**GCP, purchase_option="committed_3y", price="39"),
    ])
    new = Catalog("sky", "s", "2026-11-20", [
        offer(**GCP, price="88.25"), offer(**GCP, purchase_option="spot", price="35.87"),
    ])
    assert _prices(layer([base, new])) == {
        ("gcp", "instance", "a3-highgpu-8g", "on_demand", 0): Decimal("88.25"),
        ("gcp", "instance", "a3-highgpu-8g", "spot", 0): Decimal("35.87"),         # from the import
        ("gcp", "instance", "a3-highgpu-8g", "committed_1y", 0): Decimal(61),    # kept: the import has none
        ("gcp", "instance", "a3-highgpu-8g", "committed_3y", 0): Decimal(39)}
    s = layer_summary(base, new)
    # on_demand same price (unchanged), spot 40 -> 35.87 (replaced), both commitments kept, nothing new
    assert (s.added, s.replaced, s.unchanged, s.kept, s.dropped) == (0, 1, 1, 2, 0)
    assert s.kept_by_purchase_option == {"committed_1y": 1, "committed_3y": 1}
    assert s.total == len(layer([base, new]).offers) == 4


def test_refresh_of_one_purchase_option_keeps_the_others():
    p5 = {"instance_type": "p5.48xlarge", "accelerator": "H100-SXM", "accelerator_count": 8}
    base = Catalog("embedded", "e", "2026-11-01", [
        offer(**p5, price="55.04"), offer(**p5, purchase_option="spot", price="31.037"),
        offer(**p5, purchase_option="reserved_1y", price="36.0"),
    ])
    bulk = Catalog("bulk", "b", "2026-11-20", [  # an AWS bulk list: on-demand and reservations, no spot
        offer(**p5, price="55.04"), offer(**p5, purchase_option="reserved_1y", price="35.5"),
        offer(**p5, purchase_option="reserved_3y", price="24.0"),
    ])
    assert _prices(layer([base, bulk])) == {
        ("aws", "instance", "p5.48xlarge", "on_demand", 0): Decimal("55.04"),
        ("aws", "instance", "p5.48xlarge", "spot", 0): Decimal("31.037"),  # kept
        ("aws", "instance", "p5.48xlarge", "reserved_1y", 0): Decimal("35.5"),
        ("aws", "instance", "p5.48xlarge", "reserved_3y", 0): Decimal("24.0")}
    s = layer_summary(base, bulk)
    assert (s.added, s.replaced, s.unchanged, s.kept, s.dropped) == (1, 1, 1, 1, 0)  # reserved_3y is new


def test_tier_schedules_are_replaced_whole_per_purchase_option():
    def tier(start: int, end: int | None, price: str, po: str = "on_demand") -> object:
        return offer(resource="egress", unit="GB", region="us-east-1", purchase_option=po, price=price,
                     tier_start=start, tier_end=end)

    base = Catalog("a", "a", "2026-11-01", [tier(0, 10240, "0.09"), tier(10240, 51200, "0.085"), tier(51200, None, "0.07"),
                                             tier(0, None, "0.05", po="reserved_1y")])
    new = Catalog("b", "b", "2026-11-20", [tier(0, 10240, "0.09"), tier(10240, None, "0.08")])
    cat = layer([base, new])
    # the on-demand schedule is the new one only: no 51200 boundary left over from the old one, and the
    # old 10240 tier's 0.085 does not survive; the other purchase option's schedule is kept
    assert _prices(cat) == {("aws", "egress", None, "on_demand", 0): Decimal("0.09"),
                            ("aws", "egress", None, "on_demand", 10240): Decimal("0.08"),
                            ("aws", "egress", None, "reserved_1y", 0): Decimal("0.05")}
    s = layer_summary(base, new)
    # tier 0 same price; tier 10240 0.085 -> 0.08; the 51200 tier is dropped; the reserved schedule kept
    assert (s.added, s.replaced, s.unchanged, s.kept, s.dropped) == (0, 1, 1, 1, 1)
    assert s.added + s.replaced + s.unchanged + s.kept == len(cat.offers) == 3
    assert s.replaced + s.unchanged + s.kept + s.dropped == len(base.offers) == 4


def test_price_gained_or_lost_counts_as_replaced():
    base = Catalog("a", "a", "2026-11-01", [offer(instance_type="x.large", price="1"), offer(instance_type="y.large")])
    new = Catalog("b", "b", "2026-11-20", [offer(instance_type="x.large"), offer(instance_type="y.large", price="2")])
    s = layer_summary(base, new)
    assert (s.added, s.replaced, s.unchanged, s.kept) == (0, 2, 0, 0)
    assert [o.price for o in layer([base, new]).offers] == [None, Decimal(2)]  # a lost price stays missing


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
    # g6.xlarge's us-east-1 spot price now comes from the import (0.2), the cheapest L4 there
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


SKY = SHARED / "reference" / "skypilot-catalog"
needs_sky = pytest.mark.skipif(not SKY.is_dir(), reason="../shared reference catalogs absent")


def _raw_embedded_rows() -> list[dict[str, str]]:
    """The embedded catalog's rows read straight from its CSV files (not through the loader)."""
    import csv

    from pricing.catalog import embedded_csv_paths

    rows: list[dict[str, str]] = []
    for path in embedded_csv_paths():
        with open(path, newline="", encoding="utf-8") as fh:
            rows += csv.DictReader(line for line in fh if not line.startswith("#"))
    return rows


@needs_sky
def test_gcp_reference_import_over_embedded_keeps_every_committed_row(runner):
    from planner.cli import main
    from pricing import store
    from pricing.catalog import load_catalog, load_embedded

    r = runner.invoke(main, ["catalog", "import", "--format", "skypilot", str(SKY / "gcp" / "vms.csv"),
                             "--provider", "gcp", "--name", "sky-gcp"])
    assert r.exit_code == 0, r.output
    emb, layered = load_embedded(), load_catalog("sky-gcp")
    imported = store.load_snapshot("sky-gcp")

    raw = _raw_embedded_rows()
    raw_committed = Counter(row["purchase_option"] for row in raw if row["purchase_option"].startswith("committed_"))
    committed = [o for o in emb.offers if o.purchase_option in ("committed_1y", "committed_3y")]
    assert len(committed) == sum(raw_committed.values()) > 0
    assert set(committed) <= set(layered.offers)  # every one kept, unchanged

    s = layer_summary(emb, imported)
    # the arithmetic: every imported offer is added, replaced or unchanged; every embedded offer is
    # replaced, unchanged, kept or dropped; the layered catalog is what was imported plus what was kept
    assert s.added + s.replaced + s.unchanged == len(imported.offers)
    assert s.replaced + s.unchanged + s.kept + s.dropped == len(emb.offers) == len(raw)
    assert s.total == s.added + s.replaced + s.unchanged + s.kept == len(layered.offers)

    # exact counts, from the two files row by row: the import has 12,588 on-demand + 12,582 spot offers
    # (docs/catalogs.md, reference table). An embedded row is carried by the import when the file prices
    # its (region, instance type, purchase option): only GCP instance on-demand and spot rows can be.
    # Carried rows at the file's price are unchanged, the other carried rows replaced; every other
    # embedded row (other clouds, storage, egress, commitments, flex-start) is kept; the rest of the
    # import is added. Nothing is dropped: an instance's price under one option is one price point.
    assert len(imported.offers) == 12_588 + 12_582
    sky = {(o.region, o.instance_type, o.purchase_option): o.price for o in imported.offers}

    def file_key(row: dict[str, str]) -> tuple[str, str, str]:
        return (row["region"], row["instance_type"], row["purchase_option"])

    carried = [row for row in raw if row["provider"] == "gcp" and row["resource"] == "instance" and file_key(row) in sky]
    same = [row for row in carried if (Decimal(row["price"]) if row["price"] else None) == sky[file_key(row)]]
    assert carried and {row["purchase_option"] for row in carried} == {"on_demand", "spot"}
    expected = (len(imported.offers) - len(carried), len(carried) - len(same), len(same), len(raw) - len(carried), 0)
    assert (s.added, s.replaced, s.unchanged, s.kept, s.dropped) == expected
    assert {k: v for k, v in s.kept_by_purchase_option.items() if k.startswith("committed_")} == raw_committed
    assert (f"layered on 'embedded': added {expected[0]}, replaced {expected[1]} (price changed), "
            f"unchanged {expected[2]}, kept from base {expected[3]} " in r.stdout)
    assert f"catalog 'embedded' + this snapshot: {len(layered.offers)} offers" in r.stdout

    # the diff says the same: nothing vanished, the embedded rows unchanged, committed groups untouched
    d = json.loads(runner.invoke(main, ["catalog", "diff", "embedded", "sky-gcp", "--format", "json"]).stdout)
    assert d["summary"]["vanished"] == 0 and d["summary"]["appeared"] == expected[0]
    changed = sum(d["summary"][k] for k in ("cheaper", "dearer", "lost_price", "gained_price"))
    assert changed == expected[1] and d["summary"]["unchanged"] == len(raw) - expected[1]
    committed_groups = [g for g in d["groups"] if g["purchase_option"].startswith("committed_")]
    assert sum(g["unchanged"] for g in committed_groups) == sum(raw_committed.values())
    assert all(g[k] == 0 for g in committed_groups for k in ("added", "removed", "up", "down", "lost_price", "gained_price"))


FOUR_CLOUDS = Path(__file__).resolve().parent / "fixtures" / "scenarios" / "train-on-four-clouds.yaml"


@needs_sky
def test_lambda_import_and_four_cloud_comparison(runner, monkeypatch):
    from planner.cli import main

    monkeypatch.chdir(Path(__file__).resolve().parents[1])
    r = runner.invoke(main, ["catalog", "import", "--format", "skypilot", str(SKY / "lambda" / "vms.csv"),
                             "--provider", "lambda", "--name", "sky-lambda"])
    assert r.exit_code == 0, r.output
    # 25 instance types x 17 regions, one on-demand price each, no spot prices in the file
    assert "Wrote snapshot 'sky-lambda': 425 offers" in r.stdout and "on_demand 425" in r.stdout
    assert "layered on 'embedded': added 425, replaced 0 (price changed), unchanged 0" in r.stdout

    r = runner.invoke(main, ["compare", str(FOUR_CLOUDS), "--catalog", "embedded,sky-lambda", "--format", "json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert sorted(c["cloud"] for c in doc["clouds"]) == ["aws", "azure", "gcp", "lambda"]
    lam = {i["workload"]: i for i in doc["line_items"] if i["cloud"] == "lambda"}
    # 800 GPU-hours on 8 GPUs = 100 h of one 8-GPU node. lambda/vms.csv rows for us-east-1 and us-west-1:
    # gpu_8x_h100_sxm5 8 x H100, 31.92 USD/h in both (the first region listed wins the tie); the 1x, 2x and
    # 4x H100 SXM types cannot hold an 8-GPU replica. 31.92 x 100 h = 3,192.00 USD.
    ft = lam["finetune"]
    assert (ft["region"], ft["instance_type"], ft["count"], ft["purchase_option"]) == \
        ("us-east-1", "gpu_8x_h100_sxm5", 1, "on_demand")
    assert ft["hours"] == 100.0 and ft["unit_price"] == 31.92 and ft["monthly_cost"] == 3192.0
    # Lambda has no object storage prices in any catalog: unpriced, never $0, and the cloud is incomplete
    ck = lam["checkpoints"]
    assert ck["status"] == "unpriced" and ck["monthly_cost"] is None and ck["unit_price"] is None
    lam_cloud = next(c for c in doc["clouds"] if c["cloud"] == "lambda")
    assert lam_cloud["complete"] is False
    assert doc["winner"]["cloud"] != "lambda"

    # the default stays the three hyperscalers, even with Lambda prices in the catalog
    r = runner.invoke(main, ["compare", "scenarios/batch-embeddings.yaml", "--catalog", "embedded,sky-lambda",
                             "--format", "json"])
    assert r.exit_code == 0, r.output
    assert {c["cloud"] for c in json.loads(r.stdout)["clouds"]} == {"aws", "gcp", "azure"}


def test_lambda_without_an_import_is_explained(runner):
    from planner.cli import main

    r = runner.invoke(main, ["compare", str(FOUR_CLOUDS), "--catalog", "embedded"])
    assert r.exit_code == 2 and r.stderr.count("\n") == 1
    assert "compare.clouds: catalog 'embedded' has no lambda prices; import them with" in r.stderr
    assert "--catalog embedded,NAME" in r.stderr

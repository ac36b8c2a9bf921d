"""`planner catalog ...` through click's CliRunner on `planner.cli.main`, with PLANNER_HOME in a tmp dir."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

import pricing.catalog
from planner.cli import main
from pricing import store
from pricing.schema import FIELDS, Offer, offer_to_row

TODAY = datetime.now(UTC).date().isoformat()


def offer(provider: str, region: str, itype: str, price: str | None, po: str = "on_demand",
          acc: str | None = None, n: int = 0, fetched_at: str = TODAY) -> Offer:
    return Offer(provider=provider, service="svc", sku=f"{provider}-{itype}-{po}", region=region, resource="instance",
                 purchase_option=po, unit="hour", price=None if price is None else Decimal(price),
                 source="test fixture", effective_date=fetched_at, fetched_at=fetched_at, instance_type=itype,
                 accelerator=acc, accelerator_count=n, vcpus=8.0, memory_gib=32.0)


@pytest.fixture()
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(autouse=True)
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private PLANNER_HOME and a tiny embedded catalog (independent of the shipped data)."""
    monkeypatch.setenv("PLANNER_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("PLANNER_STALE_DAYS", raising=False)
    emb = tmp_path / "embedded"
    emb.mkdir()
    (emb / "embedded.json").write_text(json.dumps({"name": "embedded", "source": "tiny", "fetched_at": TODAY}))
    rows = [offer_to_row(offer("aws", "us-east-1", "g5.xlarge", "1.006", acc="A10G", n=1))]
    lines = [",".join(FIELDS)] + [",".join(r[f] for f in FIELDS) for r in rows]
    (emb / "embedded.csv").write_text("\n".join(lines) + "\n")
    monkeypatch.setattr(pricing.catalog, "embedded_dir", lambda: emb)
    return tmp_path


SNAP = [
    offer("aws", "us-east-1", "p5.48xlarge", "55.04", acc="H100-SXM", n=8),
    offer("aws", "us-east-1", "p5.48xlarge", "12.5", po="spot", acc="H100-SXM", n=8),
    offer("aws", "us-east-1", "p5e.48xlarge", None, acc="H200", n=8),
    offer("aws", "us-west-2", "g5.xlarge", "1.006", acc="A10G", n=1),
    offer("gcp", "us-central1", "a3-highgpu-8g", "43.07006", acc="H100-SXM", n=8),
]


def test_list_json_always_has_embedded(runner: CliRunner) -> None:
    r = runner.invoke(main, ["catalog", "list", "--format", "json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    assert [(x["name"], x["offers"], x["active"]) for x in rows] == [("embedded", 1, True)]
    assert set(rows[0]) >= {"name", "source", "offers", "fetched_at", "active", "age_days"}


def test_list_shows_snapshots_and_active(runner: CliRunner) -> None:
    store.write_snapshot("snap", SNAP, source="unit", fetched_at=TODAY)
    assert runner.invoke(main, ["catalog", "use", "snap"]).exit_code == 0
    rows = json.loads(runner.invoke(main, ["catalog", "list", "--format", "json"]).stdout)
    assert [(x["name"], x["offers"], x["active"], x["age_days"]) for x in rows] == [
        ("embedded", 1, False, 0), ("snap", 5, True, 0)]
    table = runner.invoke(main, ["catalog", "list"]).stdout
    assert "snap" in table and "embedded" in table


def test_show_json_filters_and_missing_price_is_null(runner: CliRunner) -> None:
    store.write_snapshot("snap", SNAP, source="unit", fetched_at=TODAY)
    r = runner.invoke(main, ["catalog", "show", "snap", "--provider", "aws", "--region", "us-east-1", "--format", "json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    assert [(x["instance_type"], x["purchase_option"], x["price"]) for x in rows] == [
        ("p5.48xlarge", "on_demand", "55.04"), ("p5.48xlarge", "spot", "12.5"), ("p5e.48xlarge", "on_demand", None)]
    assert set(rows[0]) == set(FIELDS)
    r = runner.invoke(main, ["catalog", "show", "snap", "--accelerator", "h100-sxm", "--purchase-option", "on_demand",
                             "--format", "json"])
    assert [x["instance_type"] for x in json.loads(r.stdout)] == ["p5.48xlarge", "a3-highgpu-8g"]
    r = runner.invoke(main, ["catalog", "show", "snap", "--limit", "1", "--format", "json"])
    assert len(json.loads(r.stdout)) == 1


def test_show_table_says_missing(runner: CliRunner) -> None:
    store.write_snapshot("snap", SNAP, source="unit", fetched_at=TODAY)
    r = runner.invoke(main, ["catalog", "show", "snap", "--instance-type", "p5e.48xlarge"])
    assert r.exit_code == 0, r.output
    assert "missing" in r.stdout and " 0 " not in r.stdout


def test_show_unknown_region_suggests(runner: CliRunner) -> None:
    store.write_snapshot("snap", SNAP, source="unit", fetched_at=TODAY)
    r = runner.invoke(main, ["catalog", "show", "snap", "--provider", "aws", "--region", "us-east1"])
    assert r.exit_code == 2
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("Error: unknown region for aws 'us-east1'")
    assert "did you mean 'us-east-1'" in r.stderr
    r = runner.invoke(main, ["catalog", "show", "snap", "--provider", "amazon"])
    assert r.exit_code == 2 and "Valid: aws, gcp" in r.stderr


def test_show_unknown_catalog(runner: CliRunner) -> None:
    store.write_snapshot("aws-snap", SNAP, source="unit", fetched_at=TODAY)
    r = runner.invoke(main, ["catalog", "show", "aws-snp"])
    assert r.exit_code == 2 and "did you mean 'aws-snap'" in r.stderr


def test_stale_warning_threshold_from_env(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    old = (datetime.now(UTC) - timedelta(days=10)).date().isoformat()
    store.write_snapshot("old", SNAP[:1], source="unit", fetched_at=old)
    r = runner.invoke(main, ["catalog", "show", "old", "--format", "json"])
    assert r.exit_code == 0 and "Warning" not in r.stderr  # 10 days < STALE_AFTER_DAYS (90)
    monkeypatch.setenv("PLANNER_STALE_DAYS", "7")
    r = runner.invoke(main, ["catalog", "show", "old", "--format", "json"])
    assert r.stderr.count("\n") == 1 and "'old' is 10 days old" in r.stderr
    json.loads(r.stdout)  # the warning does not pollute JSON on stdout


def test_use_and_diff(runner: CliRunner) -> None:
    store.write_snapshot("a", SNAP, source="unit", fetched_at=TODAY)
    changed = [SNAP[0].__class__(**{**SNAP[0].to_dict(), "price": Decimal("44.032"), "tier_start": Decimal(0)}),
               *SNAP[1:4]]
    store.write_snapshot("b", changed, source="unit", fetched_at=TODAY)
    r = runner.invoke(main, ["catalog", "use", "b"])
    assert r.exit_code == 0 and "b" in r.stdout and store.active_name() == "b"
    r = runner.invoke(main, ["catalog", "diff", "a", "b", "--format", "json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    # p5.48xlarge on demand 55.04 -> 44.032: (44.032 - 55.04) / 55.04 = -20 %
    assert [(c["instance_type"], c["change_pct"]) for c in d["cheaper"]] == [("p5.48xlarge", -20.0)]
    assert [o["instance_type"] for o in d["vanished"]] == ["a3-highgpu-8g"]
    r = runner.invoke(main, ["catalog", "diff", "a", "b", "--threshold-pct", "25", "--format", "json"])
    assert json.loads(r.stdout)["cheaper"] == []
    assert "cheaper" in runner.invoke(main, ["catalog", "diff", "a", "b"]).stdout


def test_use_unknown(runner: CliRunner) -> None:
    r = runner.invoke(main, ["catalog", "use", "nope"])
    assert r.exit_code == 2 and r.stderr.startswith("Error: unknown catalog 'nope'")


AWS_CSV = """InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,GpuInfo,Price,SpotPrice,Region,AvailabilityZone,Arch
g5.xlarge,A10G,1.0,4.0,16.0,,1.006,0.40,us-east-1,use1-az1,x86_64
g5.xlarge,A10G,1.0,4.0,16.0,,1.006,0.30,us-east-1,use1-az2,x86_64
p5e.48xlarge,H200,8.0,192.0,2048.0,,,,us-east-2,use2-az1,x86_64
"""


def test_import_skypilot_switches_and_counts(runner: CliRunner, tmp_path: Path) -> None:
    f = tmp_path / "vms.csv"
    f.write_text(AWS_CSV)
    r = runner.invoke(main, ["catalog", "import", "--format", "skypilot", str(f), "--provider", "aws", "--name", "sky1"])
    assert r.exit_code == 0, r.output
    assert "Wrote snapshot 'sky1': 3 offers" in r.stdout and "Now using catalog 'sky1'" in r.stdout
    assert "on_demand 2, spot 1" in r.stdout and "priced 2, unpriced 1" in r.stdout
    assert store.active_name() == "sky1"
    rows = json.loads(runner.invoke(main, ["catalog", "show", "sky1", "--format", "json"]).stdout)
    # g5.xlarge spot: median of 0.40 and 0.30 = 0.35
    assert [(x["instance_type"], x["purchase_option"], x["price"]) for x in rows] == [
        ("g5.xlarge", "on_demand", "1.006"), ("g5.xlarge", "spot", "0.35"), ("p5e.48xlarge", "on_demand", None)]


def test_import_default_name_and_bad_file(runner: CliRunner, tmp_path: Path) -> None:
    f = tmp_path / "vms.csv"
    f.write_text(AWS_CSV)
    r = runner.invoke(main, ["catalog", "import", "--format", "skypilot", str(f), "--provider", "aws"])
    assert r.exit_code == 0 and store.active_name().startswith("skypilot-aws-")
    r = runner.invoke(main, ["catalog", "import", "--format", "skypilot", str(f), "--provider", "gcp"])
    assert r.exit_code == 2 and r.stderr.startswith("Error: ") and "check --provider" in r.stderr
    assert store.active_name().startswith("skypilot-aws-")


def test_import_real_aws_catalog(runner: CliRunner) -> None:
    f = Path(__file__).resolve().parents[1] / ".." / "shared" / "reference" / "skypilot-catalog" / "aws" / "vms.csv"
    if not f.is_file():
        pytest.skip("reference catalog not present")
    r = runner.invoke(main, ["catalog", "import", "--format", "skypilot", str(f), "--provider", "aws", "--name", "ref"])
    assert r.exit_code == 0, r.output
    rows = json.loads(runner.invoke(main, ["catalog", "show", "ref", "--region", "us-east-1", "--instance-type",
                                           "p5.48xlarge", "--purchase-option", "on_demand", "--format", "json"]).stdout)
    assert [x["price"] for x in rows] == ["55.04"]  # reference README, us-east-1 on-demand


class FakeSource:
    name = "fake"

    def __init__(self, offers: list[Offer], fail_after: int | None = None) -> None:
        self.offers, self.fail_after, self.calls = offers, fail_after, []

    def fetch(self, regions=None, *, progress=None):  # type: ignore[no-untyped-def]
        self.calls.append(regions)
        for i, o in enumerate(self.offers):
            if self.fail_after is not None and i == self.fail_after:
                raise ConnectionError("connection reset by peer\nwhile reading page 3")
            if progress:
                progress("fake page", i + 1)
            yield o


def test_refresh_writes_and_switches(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    import pricing.sources

    src = FakeSource(SNAP)
    monkeypatch.setitem(pricing.sources.SOURCES, "aws", lambda **kw: src)
    r = runner.invoke(main, ["catalog", "refresh", "--cloud", "aws", "--region", "us-east-1", "--name", "live"])
    assert r.exit_code == 0, r.output
    assert src.calls == [["us-east-1"]]
    assert store.active_name() == "live" and len(store.load_snapshot("live").offers) == len(SNAP)
    assert "Now using catalog 'live'" in r.stdout


def test_refresh_failure_keeps_previous(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    import pricing.sources

    store.write_snapshot("prev", SNAP, source="unit", fetched_at=TODAY)
    store.use("prev")
    monkeypatch.setitem(pricing.sources.SOURCES, "gcp", lambda **kw: FakeSource(SNAP, fail_after=2))
    r = runner.invoke(main, ["catalog", "refresh", "--cloud", "gcp", "--name", "broken"])
    assert r.exit_code == 1
    assert r.stderr.count("\n") == 1
    assert r.stderr.startswith("Error: refresh of gcp failed (ConnectionError: connection reset by peer while")
    assert "catalog 'prev' is still active" in r.stderr
    assert store.active_name() == "prev" and [i.name for i in store.list_snapshots()] == ["prev"]


def test_catalog_cli_imports_no_heavy_modules() -> None:
    import subprocess
    import sys

    code = ("import sys, planner.cli.catalog_cmd, pricing.store, pricing.sources.skypilot, pricing.sources.aws_bulk, "
            "pricing.pricebook; print(sorted(m for m in ('pandas', 'pyarrow', 'boto3', 'numpy', 'rich') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_every_catalog_command_has_help(runner: CliRunner) -> None:
    from planner.cli.catalog_cmd import catalog

    for name, cmd in catalog.commands.items():
        assert cmd.help, name
        r = runner.invoke(main, ["catalog", name, "--help"])
        assert r.exit_code == 0 and "Usage:" in r.stdout


def test_layered_snapshot_is_as_old_as_its_oldest_price_in_list_and_compare(runner: CliRunner, tmp_path: Path) -> None:
    # a base snapshot with a price read 200 days ago, then a file imported on top of it dated today:
    # the result still holds the 200-day-old price, so list and compare both call it 200 days old
    from pricing.catalog import load_catalog

    old = (datetime.now(UTC) - timedelta(days=200)).date().isoformat()
    store.write_snapshot("base", [offer("gcp", "us-central1", "g2-standard-4", "0.70683", acc="L4", n=1, fetched_at=old)],
                         source="unit", fetched_at=old)
    store.use("base")
    csv_file = tmp_path / "vms.csv"
    csv_file.write_text("InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,GpuInfo,Price,SpotPrice,Region,"
                        "AvailabilityZone,Arch\ng5.xlarge,A10G,1,4,16,,1.006,0.4,us-east-1,us-east-1a,x86_64\n")
    r = runner.invoke(main, ["catalog", "import", "--format", "skypilot", str(csv_file), "--provider", "aws",
                             "--name", "layered", "--as-of", TODAY])
    assert r.exit_code == 0, r.output
    assert f"prices dated {TODAY} (as given by --as-of); the catalog is as old as its oldest price, {old}" in r.stdout
    rows = {x["name"]: x for x in json.loads(runner.invoke(main, ["catalog", "list", "--format", "json"]).stdout)}
    assert rows["layered"]["age_days"] == 200 and rows["layered"]["oldest_price_at"] == old
    assert load_catalog("layered").age_days() == 200
    r = runner.invoke(main, ["catalog", "import", "--format", "skypilot", str(csv_file), "--provider", "aws",
                             "--as-of", "last tuesday"])
    assert r.exit_code == 2 and "--as-of: not a date: 'last tuesday'; give YYYY-MM-DD" in r.stderr

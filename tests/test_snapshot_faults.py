"""Faults: a failing refresh, a write killed before or while renaming, damaged files, leftovers, secrets.

Each fault must leave the previous snapshot intact and active, with a one-line error.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

import pricing.sources
from planner.cli import main
from planner.errors import CatalogError
from pricing import store
from pricing.schema import Offer

TODAY = datetime.now(UTC).date().isoformat()
REPO = Path(__file__).resolve().parents[1]


def offer(i: int, price: str | None = "1.5") -> Offer:
    return Offer(provider="aws", service="AmazonEC2", sku=f"sku{i}", region="us-east-1", resource="instance",
                 purchase_option="on_demand", unit="hour", price=None if price is None else Decimal(price),
                 source="fault test", effective_date=TODAY, fetched_at=TODAY, instance_type=f"t{i}.large")


PREV = [offer(i) for i in range(5)]


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PLANNER_HOME", str(tmp_path / "home"))
    store.write_snapshot("prev", PREV, source="fault test", fetched_at=TODAY)
    store.use("prev")
    return tmp_path / "home"


def assert_prev_intact() -> None:
    assert store.active_name() == "prev"
    assert store.load_snapshot("prev").offers == PREV
    assert [i.name for i in store.list_snapshots(active="prev")] == ["prev"]


class HalfwayFailingSource:
    name = "halfway"

    def fetch(self, regions=None, *, progress=None):  # type: ignore[no-untyped-def]
        yield from PREV[:3]
        raise TimeoutError("read timed out")


def test_refresh_source_raises_halfway(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(pricing.sources.SOURCES, "azure", lambda **kw: HalfwayFailingSource())
    r = CliRunner().invoke(main, ["catalog", "refresh", "--cloud", "azure", "--name", "new"])
    assert r.exit_code == 1
    assert r.stderr == ("Error: refresh of azure failed (TimeoutError: read timed out); "
                        "catalog 'prev' is still active\n")
    assert_prev_intact()


def test_rename_failure_cleans_up(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    def broken_rename(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as m, pytest.raises(CatalogError, match=r"cannot write snapshot 'new' .*"
                                                                        r"\(No space left on device\)"):
        m.setattr(os, "rename", broken_rename)
        store.write_snapshot("new", [offer(9)], source="s", fetched_at=TODAY)
    assert_prev_intact()
    assert [p.name for p in (home / "snapshots").iterdir()] == ["prev"]  # no temp folder left


def test_failed_pointer_switch_keeps_previous(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    store.write_snapshot("new", [offer(9)], source="s", fetched_at=TODAY)

    def broken_replace(src: object, dst: object) -> None:
        raise OSError(5, "Input/output error")

    with monkeypatch.context() as m, pytest.raises(CatalogError, match=r"the previous one stays active"):
        m.setattr(os, "replace", broken_replace)
        store.use("new")
    assert store.active_name() == "prev"
    assert not [p for p in home.iterdir() if p.name.startswith(".active")]


CHILD = r"""
import os, signal, sys
from decimal import Decimal
from pricing import store
from pricing.schema import Offer
mode, n = sys.argv[1], int(sys.argv[2])
offers = [Offer(provider="aws", service="AmazonEC2", sku=f"sku{i}", region="us-east-1", resource="instance",
                purchase_option="on_demand", unit="hour", price=Decimal(i) / 1000, source="child",
                effective_date="2026-01-01", fetched_at="2026-01-01", instance_type=f"t{i}.large") for i in range(n)]
if mode == "before-rename":
    os.rename = lambda src, dst: os.kill(os.getpid(), signal.SIGKILL)   # killed after the files are written
print("writing", flush=True)
store.write_snapshot("big", offers, source="child", fetched_at="2026-01-01")
store.use("big")
print("done", flush=True)
"""


def run_child(mode: str, n: int, home: Path, kill_after_s: float | None = None) -> subprocess.CompletedProcess[str] | int:
    env = {**os.environ, "PLANNER_HOME": str(home)}
    proc = subprocess.Popen([sys.executable, "-c", CHILD, mode, str(n)], env=env, cwd=REPO,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "writing"
    if kill_after_s is not None:
        time.sleep(kill_after_s)
        proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=120)
    proc.stdout.close()
    return proc.returncode


def test_kill_between_write_and_rename(home: Path) -> None:
    rc = run_child("before-rename", 20_000, home)
    assert rc == -signal.SIGKILL
    leftovers = [p.name for p in (home / "snapshots").iterdir() if p.name.startswith(".tmp-")]
    assert len(leftovers) == 1  # the killed write's temp folder ...
    assert_prev_intact()  # ... is not listed, and prev is intact and active
    r = CliRunner().invoke(main, ["catalog", "list", "--format", "json"])
    assert ".tmp" not in r.stdout
    store.write_snapshot("next", [offer(7)], source="s", fetched_at=TODAY)  # the next write cleans it up
    assert not [p for p in (home / "snapshots").iterdir() if p.name.startswith(".tmp-")]


@pytest.mark.slow
def test_kill_at_a_random_moment_of_a_large_write(home: Path) -> None:
    # Whenever the kill lands, "big" is either complete and loadable or absent; prev stays usable.
    rc = run_child("normal", 150_000, home, kill_after_s=0.4)
    names = [i.name for i in store.list_snapshots()]
    if "big" in names:
        assert len(store.load_snapshot("big").offers) == 150_000
    else:
        assert rc == -signal.SIGKILL
        assert_prev_intact()
    assert store.load_snapshot("prev").offers == PREV


def test_damaged_parquet_one_line_error_and_use_refused(home: Path) -> None:
    store.write_snapshot("bad", [offer(1)], source="s", fetched_at=TODAY)
    (home / "snapshots" / "bad" / "offers.parquet").write_bytes(b"PAR1 not really")
    r = CliRunner().invoke(main, ["catalog", "show", "bad", "--format", "json"])
    assert r.exit_code == 2
    assert r.stderr.count("\n") == 1
    assert r.stderr.startswith("Error: catalog bad: offers.parquet is damaged (checksum mismatch); delete ")
    r = CliRunner().invoke(main, ["catalog", "use", "bad"])
    assert r.exit_code == 2 and store.active_name() == "prev"
    assert_prev_intact_except_bad()


def assert_prev_intact_except_bad() -> None:
    assert store.active_name() == "prev" and store.load_snapshot("prev").offers == PREV


def test_damaged_manifest(home: Path) -> None:
    store.write_snapshot("bad", [offer(1)], source="s", fetched_at=TODAY)
    (home / "snapshots" / "bad" / "manifest.json").write_text("{not json")
    with pytest.raises(CatalogError, match="damaged manifest"):
        store.load_snapshot("bad")
    infos = {i.name: i for i in store.list_snapshots()}
    assert infos["bad"].damaged.startswith("damaged manifest (not JSON: ")  # listed as damaged, not hidden
    assert not infos["prev"].damaged
    assert_prev_intact_except_bad()


def test_active_pointer_to_deleted_snapshot_falls_back(home: Path) -> None:
    import shutil

    shutil.rmtree(home / "snapshots" / "prev")
    assert store.active_name() == "embedded"


SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYFAKESECRETKEY"


class EnvReadingSource:
    """A source whose code runs with credentials in the environment (as a real SDK does)."""

    name = "env"

    def fetch(self, regions=None, *, progress=None):  # type: ignore[no-untyped-def]
        assert os.environ["AWS_SECRET_ACCESS_KEY"] == SECRET
        yield from PREV


def _all_text(folder: Path) -> str:
    import pyarrow.parquet as pq

    table = pq.read_table(folder / "offers.parquet")
    values = [str(v) for col in table.columns for v in col.to_pylist()]
    raw = b"".join(p.read_bytes() for p in folder.iterdir())
    return "\n".join(values) + (folder / "manifest.json").read_text() + raw.decode("latin-1")


def test_no_secret_in_snapshot_files(monkeypatch: pytest.MonkeyPatch, home: Path, tmp_path: Path) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAFAKEACCESSKEY123")
    monkeypatch.setitem(pricing.sources.SOURCES, "aws", lambda **kw: EnvReadingSource())
    runner = CliRunner()
    assert runner.invoke(main, ["catalog", "refresh", "--cloud", "aws", "--name", "live"]).exit_code == 0
    csv = tmp_path / "vms.csv"
    csv.write_text("InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,GpuInfo,Price,SpotPrice,Region,"
                   "AvailabilityZone,Arch\nc7i.large,,,2.0,4.0,,0.08925,,us-east-1,use1-az1,x86_64\n")
    r = runner.invoke(main, ["catalog", "import", "--format", "skypilot", str(csv), "--provider", "aws", "--name", "sky"])
    assert r.exit_code == 0, r.output
    for name in ("live", "sky"):
        text = _all_text(home / "snapshots" / name)
        assert SECRET not in text and "AKIAFAKEACCESSKEY123" not in text
    assert SECRET not in (home / "active").read_text()
    assert json.loads((home / "snapshots" / "live" / "manifest.json").read_text())["offers"] == len(PREV)


class NanSource:
    """A source whose parser let a NaN price through: the refresh must not write or switch to it."""

    name = "nan"

    def fetch(self, regions=None, *, progress=None):  # type: ignore[no-untyped-def]
        yield offer(1)
        yield offer(2, "NaN")


def test_refresh_with_non_finite_prices_writes_nothing(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    monkeypatch.setitem(pricing.sources.SOURCES, "gcp", lambda **kw: NanSource())
    r = CliRunner().invoke(main, ["catalog", "refresh", "--cloud", "gcp", "--name", "new"])
    assert r.exit_code == 2 and r.stderr.count("\n") == 1
    assert r.stderr == ("Error: catalog new: refusing to write offers with bad values: column 'price': 'NaN' is not "
                        "a finite number; catalog 'prev' is still active\n")
    assert_prev_intact()
    assert not (home / "snapshots" / "new").exists()

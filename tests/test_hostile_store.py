"""A damaged or hostile snapshot store: manifests with wrong field types, non-date dates, bases that are not
names, parquet files with absurd values (checksum made to match), odd folders, a damaged `active` file.

Each damaged snapshot is reported by name in one line and skipped; `catalog list` still lists the healthy
ones and shows the damaged ones with the reason; the embedded catalog stays usable; a damaged `active`
file means `embedded` with a one-line warning naming the file and the fix.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from planner.cli import main
from planner.errors import CatalogError, InputError
from pricing import store
from pricing.catalog import EMBEDDED, list_catalogs, load_catalog
from pricing.schema import Offer

REPO = Path(__file__).resolve().parents[1]


def offer(itype: str, price: str, **kw: Any) -> Offer:
    # hand-made test offers; the prices are inputs, not quotes
    return Offer(provider="aws", service="AmazonEC2", sku=f"{itype}-od", region="us-east-1", resource="instance",
                 purchase_option="on_demand", unit="hour", price=Decimal(price), source="test fixture",
                 effective_date="2026-11-01", fetched_at="2026-11-01", instance_type=itype, **kw)


GOOD = [offer("c7i.large", "0.08925", vcpus=2.0, memory_gib=4.0)]
BAD = [offer("g5.xlarge", "1.006", accelerator="A10G", accelerator_count=1, vcpus=4.0, memory_gib=16.0)]


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    h = tmp_path / "home"
    monkeypatch.setenv("PLANNER_HOME", str(h))
    monkeypatch.setattr(store, "_warned", set())  # warnings are once per process: reset for each test
    store.write_snapshot("good", GOOD, source="good source", fetched_at="2026-11-01")
    store.write_snapshot("bad", BAD, source="bad source", fetched_at="2026-11-01")
    return h


def manifest_path(home: Path, name: str = "bad") -> Path:
    return home / "snapshots" / name / "manifest.json"


def edit_manifest(home: Path, change: Callable[[dict[str, Any]], None], name: str = "bad") -> None:
    p = manifest_path(home, name)
    m = json.loads(p.read_text())
    change(m)
    p.write_text(json.dumps(m))


def cli(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def assert_healthy_rest(damaged: str, why: str) -> None:
    """`catalog list` lists `good` as it was and `bad` as damaged with ``why``; `good` and `embedded` load."""
    r = cli("catalog", "list", "--format", "json")
    assert r.exit_code == 0, r.output
    rows = {row["name"]: row for row in json.loads(r.stdout)}
    assert rows["good"]["offers"] == 1 and "damaged" not in rows["good"]
    assert rows["embedded"]["offers"] > 0 and "damaged" not in rows["embedded"]
    assert why in rows[damaged]["damaged"], rows[damaged]
    assert r.stderr.count(f"Warning: snapshot '{damaged}' is damaged (") == 1
    assert len(load_catalog("good").offers) == 1
    assert load_catalog(EMBEDDED).offers
    table = cli("catalog", "list")
    assert table.exit_code == 0 and "DAMAGED: " in table.stdout and "good source" in table.stdout


def assert_refused_by_name(name: str, why: str) -> None:
    for args in (["catalog", "show", name, "--format", "json"], ["catalog", "use", name]):
        r = cli(*args)
        assert r.exit_code == 2, r.output
        assert r.stderr.count("\n") == 1 and r.stderr.startswith(f"Error: catalog {name}: "), r.stderr
        assert why in r.stderr and f"`planner catalog delete {name}`" in r.stderr
        assert "`planner catalog use embedded`" in r.stderr
    assert store.active_name() == EMBEDDED


# -- manifests ---------------------------------------------------------------------------------------

def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(m: dict[str, Any]) -> None:
        target = m
        *path, last = key.split(".")
        for k in path:
            target = target[k]
        target[last] = value
    return change


FIELD_CASES = [
    ("offers", "many", "field 'offers' should be a whole number of offers, not 'many'"),
    ("offers", -1, "field 'offers' should be a whole number of offers, not -1"),
    ("offers", True, "field 'offers' should be a whole number of offers, not True"),
    ("offers", 1e999, "field 'offers' should be a whole number of offers, not inf"),
    ("fetched_at", 20261101, "field 'fetched_at' should be a date (text), not 20261101"),
    ("fetched_at", "yesterday", "field 'fetched_at' is not a date ('yesterday')"),
    ("fetched_at", "9999-99-99", "field 'fetched_at' is not a date ('9999-99-99')"),
    ("oldest_fetched_at", "soon", "field 'oldest_fetched_at' is not a date ('soon')"),
    ("source", None, "field 'source' should be text, not None"),
    ("schema_version", "1", "field 'schema_version' should be a whole number, not '1'"),
    ("schema_version", 99, "unsupported snapshot schema version 99"),
    ("files", [], "field 'files' should describe offers.parquet"),
    ("files.offers.parquet", "x", "field 'files' should describe offers.parquet"),
    ("counts", {"provider": "aws"}, "field 'counts' should map names to counts"),
    ("extra", ["base"], "field 'extra' should be an object, not ['base']"),
    ("extra.base", 5, "field 'extra.base' should be a catalog name, not 5"),
    ("extra.base", "../../etc", "field 'extra.base' should be a catalog name, not '../../etc'"),
    ("extra.base", ["good"], "field 'extra.base' should be a catalog name, not ['good']"),
    ("extra.base", "good\nbad", "field 'extra.base' should be a catalog name, not 'good\\nbad'"),
]


@pytest.mark.parametrize(("key", "value", "why"), FIELD_CASES, ids=[f"{k}={v!r}" for k, v, _ in FIELD_CASES])
def test_manifest_field_of_the_wrong_type(home: Path, key: str, value: Any, why: str) -> None:
    if key == "files.offers.parquet":
        edit_manifest(home, lambda m: m["files"].__setitem__("offers.parquet", value))
    else:
        edit_manifest(home, _set(key, value))
    assert_refused_by_name("bad", why)
    assert_healthy_rest("bad", why)


def test_manifest_checksum_that_is_not_a_checksum(home: Path) -> None:
    edit_manifest(home, lambda m: m["files"]["offers.parquet"].__setitem__("sha256", 12))
    why = "field 'files.offers.parquet.sha256' should be a sha256 in hex, not 12"
    assert_refused_by_name("bad", why)
    assert_healthy_rest("bad", why)


def _deep(p: Path) -> None:
    p.write_text("[" * 100_000 + "]" * 100_000)


def _fifo(p: Path) -> None:
    p.unlink()
    os.mkfifo(p)  # reading it would block forever: it must be refused without opening it for a blocking read


def _loop(p: Path) -> None:
    p.unlink()
    p.symlink_to(p)


def _directory(p: Path) -> None:
    p.unlink()
    p.mkdir()


def _huge(p: Path) -> None:
    p.write_text('{"pad": "' + "x" * (5 << 20) + '"}')


FILE_CASES: dict[str, tuple[Callable[[Path], object], str]] = {
    "not JSON": (lambda p: p.write_text("{not json"), "damaged manifest (not JSON: "),
    "a JSON list": (lambda p: p.write_text("[]"), "damaged manifest: is not a JSON object (list)"),
    "binary": (lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff"), "damaged manifest (not UTF-8 text)"),
    "UTF-16": (lambda p: p.write_bytes('{"a": 1}'.encode("utf-16")), "damaged manifest (not UTF-8 text)"),
    "empty": (lambda p: p.write_text(""), "damaged manifest (not JSON: "),
    "deeply nested": (_deep, "damaged manifest (not JSON: "),
    "over 4 MB": (_huge, "damaged manifest (larger than 4 MB)"),
    "a named pipe": (_fifo, "damaged manifest (cannot be read: is a pipe, socket or device, not a file)"),
    "a symlink loop": (_loop, "damaged manifest (cannot be read: symbolic link loop)"),
    "a directory": (_directory, "damaged manifest (cannot be read: is a folder, not a file)"),
    "missing": (lambda p: p.unlink(), "manifest.json is missing"),
}


@pytest.mark.parametrize("case", sorted(FILE_CASES))
def test_manifest_file_that_is_not_a_manifest(home: Path, case: str) -> None:
    damage, why = FILE_CASES[case]
    damage(manifest_path(home))
    assert_refused_by_name("bad", why)
    assert_healthy_rest("bad", why)


# -- offers.parquet with absurd values (the checksum made to match, as a hostile writer would) -------

def rewrite_offers(home: Path, change: Callable[[pa.Table], pa.Table], name: str = "bad") -> None:
    folder = home / "snapshots" / name
    table = change(pq.read_table(folder / "offers.parquet"))
    pq.write_table(table, folder / "offers.parquet")
    digest = hashlib.sha256((folder / "offers.parquet").read_bytes()).hexdigest()
    edit_manifest(home, lambda m: m["files"]["offers.parquet"].__setitem__("sha256", digest), name)
    edit_manifest(home, lambda m: m.__setitem__("offers", table.num_rows), name)


def _col(name: str, value: Any, typ: Any = None) -> Callable[[pa.Table], pa.Table]:
    def change(t: pa.Table) -> pa.Table:
        i = t.schema.get_field_index(name)
        typ_ = typ or t.schema.field(i).type
        return t.set_column(i, pa.field(name, typ_), pa.array([value] * t.num_rows, type=typ_))
    return change


PARQUET_CASES: dict[str, tuple[Callable[[pa.Table], pa.Table], str]] = {
    "price NaN": (_col("price", "NaN"), "column 'price': 'NaN' is not a finite number"),
    "price 1e999999999": (_col("price", "1e999999999"), "column 'price': '1e999999999' is above 1000000"),
    "price negative": (_col("price", "-1.006"), "column 'price': '-1.006' is negative"),
    "price not a number": (_col("price", "cheap"), "column 'price': 'cheap' is not a number"),
    "price 1e-999999999": (_col("price", "1E-999999999"), "column 'price': '1E-999999999' is below"),
    "tier_start Infinity": (_col("tier_start", "Infinity"), "column 'tier_start': 'Infinity' is not a finite"),
    "tier_end before tier_start": (_col("tier_end", "0"), "a tier ends (0) where it starts or before (0)"),
    "vcpus NaN": (_col("vcpus", float("nan")), "column 'vcpus' has nan"),
    "memory negative": (_col("memory_gib", -16.0), "column 'memory_gib' has -16.0"),
    "accelerator_count -8": (_col("accelerator_count", -8), "column 'accelerator_count' has -8"),
    "purchase option unknown": (_col("purchase_option", "free"), "column 'purchase_option' has 'free', not one of"),
    "provider empty": (_col("provider", None, pa.string()), "column 'provider' has empty values"),
    "price as a float column": (_col("price", 1.006, pa.float64()), "column 'price' has type double"),
    "a column missing": (lambda t: t.drop_columns(["region"]), "column 'region' is missing"),
    "not the number of offers the manifest says": (lambda t: t.slice(0, 0),
                                                   "offers.parquet has 0 offers, the manifest says 1"),
}


@pytest.mark.parametrize("case", sorted(PARQUET_CASES))
def test_offers_with_absurd_values_are_refused_by_name(home: Path, case: str) -> None:
    change, why = PARQUET_CASES[case]
    if case.startswith("not the number"):
        rewrite_offers(home, change)
        edit_manifest(home, lambda m: m.__setitem__("offers", 1))
    else:
        rewrite_offers(home, change)
    with pytest.raises(CatalogError) as info:
        load_catalog("bad")
    assert why in str(info.value) and "\n" not in str(info.value)
    assert str(info.value).startswith("catalog bad: ")
    assert len(load_catalog("good").offers) == 1 and load_catalog(EMBEDDED).offers


def test_a_writer_never_stores_absurd_values() -> None:
    nan = offer("m7i.large", "NaN")
    with pytest.raises(CatalogError, match="refusing to write offers with bad values: column 'price': 'NaN'"):
        store.write_snapshot("nan", [nan], source="s", fetched_at="2026-11-01")
    with pytest.raises(CatalogError, match="catalog later: fetched_at is not a date"):
        store.write_snapshot("later", GOOD, source="s", fetched_at="later")
    assert {i.name for i in store.list_snapshots()} == {"good", "bad"}


# -- the chain of bases ---------------------------------------------------------------------------------

def test_base_that_is_damaged_names_both(home: Path) -> None:
    store.write_snapshot("top", GOOD, source="s", fetched_at="2026-11-01", extra={"base": "bad"})
    manifest_path(home).write_text("{not json")
    r = cli("catalog", "show", "top", "--format", "json")
    assert r.exit_code == 2 and r.stderr.count("\n") == 1
    assert r.stderr.startswith("Error: snapshot 'top' is layered on 'bad', which cannot be loaded "
                               "(bad: damaged manifest (not JSON: ")


def test_base_chain_too_deep_is_one_line(home: Path) -> None:
    prev = "good"
    for i in range(store.MAX_BASE_DEPTH + 2):
        store.write_snapshot(f"layer{i}", GOOD, source="s", fetched_at="2026-11-01", extra={"base": prev})
        prev = f"layer{i}"
    with pytest.raises(CatalogError, match=f"layered on {store.MAX_BASE_DEPTH} snapshots in a row") as info:
        load_catalog(prev)
    assert "\n" not in str(info.value)
    assert len(load_catalog(f"layer{store.MAX_BASE_DEPTH - 2}").offers) == 1  # a chain within the limit loads


def test_base_cycle_stops(home: Path) -> None:
    # a deleted snapshot written again may be layered on one that was layered on it: a -> b -> a
    store.write_snapshot("a", GOOD, source="s", fetched_at="2026-11-01", extra={"base": "b"})
    store.write_snapshot("b", BAD, source="s", fetched_at="2026-11-01", extra={"base": "a"})
    assert {o.instance_type for o in load_catalog("a").offers} == {"c7i.large", "g5.xlarge"}


# -- odd entries in the snapshots folder ------------------------------------------------------------------

def test_odd_folders_are_listed_as_damaged_or_ignored(home: Path) -> None:
    snaps = home / "snapshots"
    (snaps / "bad" / "offers.parquet").unlink()  # a snapshot without its offers
    os.mkdir(bytes(snaps) + b"/caf\xe9")  # a folder name that is not UTF-8
    (snaps / "dangling").symlink_to(snaps / "nowhere")
    (snaps / "README").write_text("not a snapshot")  # a stray file: not a snapshot, not listed
    (snaps / ".tmp-x-1-abcd").mkdir()  # an unfinished write: never listed
    infos = {i.name: i for i in list_catalogs()}
    assert set(infos) == {"embedded", "good", "bad", "caf\\udce9", "dangling"}
    assert infos["bad"].damaged == "offers.parquet is missing"
    assert infos["caf\\udce9"].damaged.startswith("folder name is not a snapshot name")
    assert infos["dangling"].damaged.startswith("not a folder")
    r = cli("catalog", "list")
    assert r.exit_code == 0 and "caf\\udce9" in r.stdout
    r = cli("catalog", "list", "--format", "json")
    assert r.exit_code == 0 and json.loads(r.stdout)[1]["name"] == "good"


def test_delete_damaged_snapshot(home: Path) -> None:
    manifest_path(home).write_text("[]")
    store.use("good")
    (home / "active").write_text("bad\n")  # the active one is the damaged one
    r = cli("catalog", "delete", "bad")
    assert r.exit_code == 0 and r.stdout == "Deleted snapshot 'bad'; now using catalog 'embedded'\n"
    assert [i.name for i in store.list_snapshots()] == ["good"]
    assert store.active_name() == EMBEDDED and (home / "active").read_text() == "embedded\n"
    r = cli("catalog", "delete", "bad")
    assert r.exit_code == 2 and r.stderr.startswith("Error: unknown catalog 'bad'")


def test_unknown_names_never_reach_outside_the_store(home: Path) -> None:
    (home / "outside").mkdir()
    (home / "outside" / "manifest.json").write_text(manifest_path(home, "good").read_text())
    for name in ("../outside", "/etc", "good/..", ".tmp-x"):
        r = cli("catalog", "show", name)
        assert r.exit_code == 2 and r.stderr.startswith("Error: unknown catalog "), (name, r.stderr)


def test_home_that_is_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "afile"
    f.write_text("x")
    monkeypatch.setenv("PLANNER_HOME", str(f))
    assert store.list_snapshots() == [] and store.active_name() == EMBEDDED
    with pytest.raises(CatalogError, match="cannot create the lock file") as info:
        store.write_snapshot("x", GOOD, source="s", fetched_at="2026-11-01")
    assert "\n" not in str(info.value)
    for args in (["catalog", "list"], ["catalog", "use", "embedded"]):
        r = cli(*args)  # whichever layer refuses it, the answer is one line
        assert r.exit_code in (0, 2) and "Traceback" not in r.output and r.stderr.count("Error:") <= 1


# -- the active pointer -----------------------------------------------------------------------------------

def _active_fifo(p: Path) -> None:
    os.mkfifo(p)


def _active_loop(p: Path) -> None:
    p.symlink_to(p)


ACTIVE_CASES: dict[str, tuple[Callable[[Path], object], str]] = {
    "binary": (lambda p: p.write_bytes(b"\x00\xff\xfe\x89PNG"), "is not UTF-8 text (binary?)"),
    "UTF-16": (lambda p: p.write_bytes("good\n".encode("utf-16")), "is not UTF-8 text (binary?)"),
    "empty": (lambda p: p.write_text(""), "is empty"),
    "a path": (lambda p: p.write_text("../../etc/passwd\n"), "does not hold a catalog name ('../../etc/passwd')"),
    "two lines": (lambda p: p.write_text("good\nbad\n"), "does not hold a catalog name ('good\\nbad')"),
    "a megabyte": (lambda p: p.write_text("a" * (1 << 20)), "is longer than 256 bytes, so it does not hold a catalog name"),
    "a named pipe": (_active_fifo, "cannot be read (is a pipe, socket or device, not a file)"),
    "a directory": (lambda p: p.mkdir(), "cannot be read (is a folder, not a file)"),
    "a symlink loop": (_active_loop, "cannot be read (symbolic link loop)"),
    "a deleted snapshot": (lambda p: p.write_text("gone\n"), "names catalog 'gone', which is not stored (deleted?)"),
}


@pytest.mark.parametrize("case", sorted(ACTIVE_CASES))
def test_damaged_active_file_means_embedded_with_one_warning(home: Path, case: str,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    damage, why = ACTIVE_CASES[case]
    damage(home / "active")
    with caplog.at_level(logging.WARNING, logger="pricing.store"):
        assert store.active_name() == EMBEDDED
        assert load_catalog().name == EMBEDDED
        r = cli("catalog", "list", "--format", "json")
    assert r.exit_code == 0 and json.loads(r.stdout)[0]["active"] is True  # embedded, listed first
    warnings = [rec.getMessage() for rec in caplog.records if rec.name == "pricing.store"]
    expected = (f"Warning: {home / 'active'}: {why}; using the embedded catalog. "
                "Fix: `planner catalog use embedded` (or `planner catalog use NAME`)")
    assert warnings == [expected]  # once, one line
    r = cli("catalog", "use", "good")  # the fix
    assert r.exit_code == 0 and store.active_name() == "good"


def test_damaged_active_file_does_not_break_compare(home: Path) -> None:
    (home / "active").write_bytes(b"\x00\xff binary")
    env = {**os.environ, "PLANNER_HOME": str(home), "PLANNER_NOW": "2026-12-02"}
    proc = subprocess.run([sys.executable, "-m", "planner", "compare", "scenarios/chat-assistant.yaml",
                           "--format", "json"], cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["catalog"]["name"] == EMBEDDED
    lines = proc.stderr.splitlines()
    expected = (f"Warning: {home / 'active'}: is not UTF-8 text (binary?); using the embedded catalog. "
                "Fix: `planner catalog use embedded` (or `planner catalog use NAME`)")
    assert lines.count(expected) == 1 and "Traceback" not in proc.stderr


def test_compare_on_a_damaged_active_snapshot_is_one_line_with_the_fix(home: Path) -> None:
    store.use("bad")
    edit_manifest(home, _set("fetched_at", "yesterday"))
    r = cli("compare", str(REPO / "scenarios" / "chat-assistant.yaml"), "--format", "json")
    assert r.exit_code == 2 and r.stderr.count("\n") == 1, r.output
    assert r.stderr.startswith("Error: catalog bad: damaged manifest: field 'fetched_at' is not a date ('yesterday'); ")
    assert r.stderr.rstrip().endswith("or `planner catalog use embedded`")
    r = cli("compare", str(REPO / "scenarios" / "chat-assistant.yaml"), "--format", "json", "--catalog", "embedded")
    assert r.exit_code == 0 and json.loads(r.stdout)["catalog"]["name"] == EMBEDDED


def test_a_name_with_a_trailing_newline_is_not_a_name() -> None:
    for name in ("good\n", "good\r\n", "x" * 129, "-x", ".x", "embedded", "a b"):
        assert not store.is_valid_name(name), name
    with pytest.raises(InputError, match="invalid snapshot name 'good\\\\n'"):
        store.write_snapshot("good\n", GOOD, source="s", fetched_at="2026-11-01")

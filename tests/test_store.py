"""Snapshots: exact round trip, manifest contents, atomic switch, checksum verification, diff."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from pathlib import Path

import pytest

from planner.errors import CatalogError, InputError
from pricing import store
from pricing.catalog import EMBEDDED, Catalog, load_catalog
from pricing.diff import diff_catalogs
from pricing.schema import Offer


def offer(itype: str, price: str | None, *, po: str = "on_demand", region: str = "us-east-1",
          provider: str = "aws", **kw: object) -> Offer:
    return Offer(provider=provider, service="AmazonEC2", sku=f"{itype}-{po}", region=region, resource="instance",
                 purchase_option=po, unit="hour", price=None if price is None else Decimal(price),
                 source="test fixture", effective_date="2026-01-01", fetched_at="2026-01-01",
                 instance_type=itype, **kw)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def planner_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PLANNER_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


OFFERS = [
    # Prices with many digits and trailing zeros must come back exactly (not via float).
    offer("p5.48xlarge", "55.0400", accelerator="H100-SXM", accelerator_count=8, vcpus=192.0, memory_gib=2048.0),
    offer("p4d.24xlarge", "21.957642", accelerator="A100-40GB", accelerator_count=8, vcpus=96.0, memory_gib=1152.0),
    offer("p5e.48xlarge", None),  # unpriced in the source: stays None, never 0
    offer("g5.xlarge", "0.000000000123456789012345678901", po="spot"),
    Offer(provider="aws", service="AmazonS3", sku="s3-tier2", region="us-east-1", resource="storage",
          purchase_option="on_demand", unit="GB-month", price=Decimal("0.022"), source="t",
          effective_date="2026-01-01", fetched_at="2026-01-01", storage_class="object_standard",
          tier_start=Decimal(51200), tier_end=Decimal(512000)),
]


def test_round_trip_is_exact() -> None:
    store.write_snapshot("snap1", OFFERS, source="unit test", fetched_at="2026-01-02T03:04:05+00:00")
    cat = store.load_snapshot("snap1")
    assert cat.offers == OFFERS
    assert str(cat.offers[0].price) == "55.0400"
    assert cat.offers[2].price is None
    assert cat.offers[3].price == Decimal("0.000000000123456789012345678901")
    assert cat.offers[4].tier_end == Decimal(512000) and cat.offers[0].tier_end is None
    # a catalog is dated by its oldest figure: the offers say 2026-01-01, the snapshot 2026-01-02
    assert (cat.source, cat.fetched_at) == ("unit test", "2026-01-01")
    assert store.read_manifest("snap1")["fetched_at"] == "2026-01-02T03:04:05+00:00"


def test_manifest_has_counts_and_checksum(planner_home: Path) -> None:
    store.write_snapshot("snap1", OFFERS, source="unit test", fetched_at="2026-01-02", extra={"k": "v"})
    folder = planner_home / "snapshots" / "snap1"
    m = json.loads((folder / "manifest.json").read_text())
    assert m["name"] == "snap1" and m["offers"] == 5 and m["schema_version"] == store.SCHEMA_VERSION
    assert m["counts"]["provider"] == {"aws": 5}
    assert m["counts"]["purchase_option"] == {"on_demand": 4, "spot": 1}
    assert m["counts"]["resource"] == {"instance": 4, "storage": 1}
    assert m["counts"]["priced"] == {"priced": 4, "unpriced": 1}
    assert m["files"]["offers.parquet"]["sha256"] == hashlib.sha256((folder / "offers.parquet").read_bytes()).hexdigest()
    assert m["extra"] == {"k": "v"}


def test_use_and_active_pointer(planner_home: Path) -> None:
    assert store.active_name() == EMBEDDED
    store.write_snapshot("a", OFFERS[:1], source="s", fetched_at="2026-01-01")
    assert store.active_name() == EMBEDDED  # writing does not switch
    store.use("a")
    assert store.active_name() == "a"
    assert (planner_home / "active").read_text().strip() == "a"
    assert load_catalog().name == "a"
    store.use(EMBEDDED)
    assert store.active_name() == EMBEDDED
    assert [p.name for p in planner_home.iterdir() if p.name.startswith(".active")] == []


def test_use_unknown_name_suggests() -> None:
    store.write_snapshot("aws-2026", OFFERS[:1], source="s", fetched_at="2026-01-01")
    with pytest.raises(CatalogError, match="did you mean 'aws-2026'"):
        store.use("aws-2025")


def test_existing_name_and_bad_names_refused() -> None:
    store.write_snapshot("a", OFFERS[:1], source="s", fetched_at="2026-01-01")
    with pytest.raises(CatalogError, match="already exists"):
        store.write_snapshot("a", OFFERS[:1], source="s", fetched_at="2026-01-01")
    for bad in ("embedded", ".hidden", "a/b", "", "x" * 200):
        with pytest.raises(InputError):
            store.write_snapshot(bad, OFFERS[:1], source="s", fetched_at="2026-01-01")


def test_list_newest_first_marks_active() -> None:
    store.write_snapshot("old", OFFERS[:1], source="s1", fetched_at="2025-01-01")
    store.write_snapshot("new", OFFERS[:2], source="s2", fetched_at="2026-01-01")
    store.use("old")
    infos = store.list_snapshots(active=store.active_name())
    assert [(i.name, i.offers, i.active) for i in infos] == [("new", 2, False), ("old", 1, True)]


def test_damaged_parquet_is_detected(planner_home: Path) -> None:
    store.write_snapshot("snap1", OFFERS, source="s", fetched_at="2026-01-01")
    p = planner_home / "snapshots" / "snap1" / "offers.parquet"
    data = bytearray(p.read_bytes())
    data[len(data) // 2] ^= 0xFF
    p.write_bytes(bytes(data))
    with pytest.raises(CatalogError) as err:
        store.load_snapshot("snap1")
    msg = str(err.value)
    assert "snap1" in msg and "checksum" in msg and "delete" in msg and "\n" not in msg


def test_empty_snapshot_round_trips() -> None:
    store.write_snapshot("empty", [], source="s", fetched_at="2026-01-01")
    assert store.load_snapshot("empty").offers == []


def test_delete_falls_back_to_embedded() -> None:
    store.write_snapshot("a", OFFERS[:1], source="s", fetched_at="2026-01-01")
    store.use("a")
    store.delete("a")
    assert store.active_name() == EMBEDDED and store.list_snapshots() == []


def test_diff_reports_changes_by_percent() -> None:
    old = [offer("a", "10"), offer("b", "10"), offer("c", "10"), offer("d", "10"), offer("e", None)]
    new = [offer("a", "8"), offer("b", "10.5"), offer("c", "10.05"), offer("e", "1"), offer("f", "3")]
    store.write_snapshot("old", old, source="s", fetched_at="2026-01-01")
    store.write_snapshot("new", new, source="s", fetched_at="2026-02-01")
    d = store.diff("old", "new", threshold_pct=1.0)
    # a: (8-10)/10 = -20 %; b: (10.5-10)/10 = +5 %; c: +0.5 % < 1 % threshold -> unchanged
    assert [(c.key[3], c.change_pct) for c in d.cheaper] == [("a", -20.0)]
    assert [(c.key[3], c.change_pct) for c in d.dearer] == [("b", 5.0)]
    assert [c.key[3] for c in d.gained_price] == ["e"]
    assert [o.instance_type for o in d.appeared] == ["f"]
    assert [o.instance_type for o in d.vanished] == ["d"]
    assert d.unchanged == 1
    assert diff_catalogs(store.load_snapshot("old"), store.load_snapshot("new")).summary()["dearer"] == 2


def test_diff_lost_price_is_not_a_drop_to_zero() -> None:
    store.write_snapshot("x", [offer("a", "10")], source="s", fetched_at="2026-01-01")
    store.write_snapshot("y", [offer("a", None)], source="s", fetched_at="2026-01-01")
    d = store.diff("x", "y")
    assert d.cheaper == [] and [c.to_dict()["new_price"] for c in d.lost_price] == [None]


def store_catalog(name: str, offers: list[Offer]) -> Catalog:
    return Catalog(name, "test fixture", "2026-01-01", offers)


def test_diff_groups_count_changes_by_provider_region_and_option() -> None:
    old = [offer("a", "10"), offer("b", "10"), offer("c", "10"), offer("d", "10", po="spot"),
           offer("e", "4", po="spot"), offer("f", "1", region="us-west-2"), offer("g", None, region="us-west-2")]
    new = [offer("a", "12"), offer("b", "9"), offer("c", "10"), offer("e", "4", po="spot"),
           offer("h", "5", po="spot"), offer("f", None, region="us-west-2"), offer("g", "2", region="us-west-2"),
           offer("k", "3", provider="lambda", region="us-east-1")]
    d = diff_catalogs(store_catalog("old", old), store_catalog("new", new))
    cols = ("added", "removed", "up", "down", "lost_price", "gained_price", "unchanged")
    got = {(g["provider"], g["region"], g["purchase_option"]): tuple(g[c] for c in cols) for g in d.groups()}
    assert got == {
        # a 10 -> 12 up, b 10 -> 9 down, c unchanged
        ("aws", "us-east-1", "on_demand"): (0, 0, 1, 1, 0, 0, 1),
        # d vanished, h appeared, e unchanged
        ("aws", "us-east-1", "spot"): (1, 1, 0, 0, 0, 0, 1),
        # f lost its price, g gained one
        ("aws", "us-west-2", "on_demand"): (0, 0, 0, 0, 1, 1, 0),
        ("lambda", "us-east-1", "on_demand"): (1, 0, 0, 0, 0, 0, 0),
    }
    # a group's counts cover each of its price points once: a has removed + up + down + lost + gained +
    # unchanged of them, b the same with added in place of removed
    assert sum(g["removed"] + g["up"] + g["down"] + g["lost_price"] + g["gained_price"] + g["unchanged"]
               for g in d.groups()) == len(old)
    assert sum(g["added"] + g["up"] + g["down"] + g["lost_price"] + g["gained_price"] + g["unchanged"]
               for g in d.groups()) == len(new)
    rows = d.changes_by_group()
    assert list(rows) == [("aws", "us-east-1", "on_demand"), ("aws", "us-east-1", "spot"),
                          ("aws", "us-west-2", "on_demand"), ("lambda", "us-east-1", "on_demand")]  # unchanged-only left out
    assert [kind for kind, _ in rows[("aws", "us-east-1", "spot")]] == ["added", "removed"]
    doc = d.to_dict()
    assert list(doc) == ["a", "b", "summary", "groups", "cheaper", "dearer", "lost_price", "gained_price",
                         "appeared", "vanished"]
    assert doc["summary"] == {"cheaper": 1, "dearer": 1, "lost_price": 1, "gained_price": 1, "appeared": 2,
                              "vanished": 1, "unchanged": 2}


def test_diff_table_shows_counts_first_then_rows() -> None:
    from click.testing import CliRunner

    from planner.cli import main

    store.write_snapshot("old", [offer("a", "10"), offer("z0", "1", po="spot")], source="s", fetched_at="2026-01-01")
    store.write_snapshot("new", [offer("a", "8"), offer("b", "3")] + [offer(f"z{i}", "1", po="spot") for i in range(4)],
                         source="s", fetched_at="2026-02-01")
    r = CliRunner().invoke(main, ["catalog", "diff", "old", "new", "--limit", "2"])
    assert r.exit_code == 0, r.output
    out = r.stdout
    counts = out.index("changes by provider, region and purchase option")
    rows = out.index("aws us-east-1 on_demand: added 1, down 1")
    assert counts < rows and out.index("aws us-east-1 spot: added 3") > rows
    assert "-20.00%" in out  # a: (8 - 10) / 10
    assert "... 1 more rows in aws us-east-1 spot" in out  # 3 added, 2 shown

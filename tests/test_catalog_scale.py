"""Catalogs at scale: a stored snapshot of a scaled-down synthetic catalog (50,000 offers over every region of
the three clouds, made by bench/gen_synthetic_catalog.py) read lazily and column by column gives exactly what
the same offers give held in a list -- compare results, filtered queries, diffs and check findings -- and a
layered chain is merged once per process. No figure here is a price: every assertion compares the stored
(columnar) path with the plain one over the same offers."""

from __future__ import annotations

import importlib.util
import random
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from pricing import store
from pricing.catalog import Catalog, Layers, load_catalog
from pricing.schema import Offer

REPO = Path(__file__).resolve().parents[1]
OFFERS = 50_000


def _generator():
    spec = importlib.util.spec_from_file_location("gen_synthetic_catalog", REPO / "bench" / "gen_synthetic_catalog.py")
    mod = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def synthetic() -> tuple[object, list[Offer]]:
    gen = _generator()
    return gen, gen.generate(OFFERS)


def _store(gen, offers: list[Offer], name: str = "synth") -> Catalog:
    store.write_snapshot(name, offers, source=gen.SOURCE, fetched_at=gen.FETCHED_AT, extra={"synthetic": True})
    return load_catalog(name)


def _plain(cat: Catalog, offers: list[Offer]) -> Catalog:
    """The same offers the old way: one list, filtered in Python."""
    return Catalog(cat.name, cat.source, cat.fetched_at, list(offers))


def test_the_synthetic_catalog_covers_every_region_of_the_three_clouds(synthetic) -> None:
    gen, offers = synthetic
    assert len(offers) == OFFERS
    for provider, regions in gen.REGIONS.items():
        assert {o.region for o in offers if o.provider == provider} == set(regions)
    assert all("synthetic" in o.sku for o in offers)


def test_stored_offers_read_back_in_catalog_order(synthetic) -> None:
    gen, offers = synthetic
    cat = _store(gen, offers)
    assert cat.offer_count() == OFFERS
    assert cat.offers == offers


def test_compare_on_the_stored_catalog_equals_compare_on_the_same_offers_in_a_list(synthetic) -> None:
    from planner import compare, load_scenario
    from planner.render import to_json

    gen, offers = synthetic
    stored = _store(gen, offers)
    plain = _plain(stored, offers)
    for path in ("scenarios/chat-assistant.yaml", "scenarios/pretraining.yaml"):
        sc = load_scenario(REPO / path)
        a, b = compare(sc, catalog=stored), compare(sc, catalog=plain)
        assert to_json(a) == to_json(b), path
        assert a.warnings == b.warnings


FILTERS = ("provider", "region", "resource", "instance_type", "accelerator", "purchase_option", "storage_class")


def _matches(o: Offer, f: dict[str, str]) -> bool:
    for k, v in f.items():
        have = getattr(o, k)
        if k in ("instance_type", "accelerator"):
            have, v = (have or "").lower(), v.lower()
        if have != v:
            return False
    return True


def test_filtered_queries_return_exactly_the_matching_offers(synthetic, monkeypatch: pytest.MonkeyPatch) -> None:
    gen, offers = synthetic
    stored = _store(gen, offers)
    rng = random.Random(20261202)
    made: list[int] = []
    real = store._from_table

    def counting(table):  # how many offers the store makes
        made.append(table.num_rows)
        return real(table)

    monkeypatch.setattr(store, "_from_table", counting)
    for _ in range(25):
        sample = rng.choice(offers)
        names = rng.sample(FILTERS, rng.randint(1, 4))
        f = {k: getattr(sample, k) for k in names if getattr(sample, k) is not None}
        if rng.random() < 0.3 and "instance_type" in f:
            f["instance_type"] = f["instance_type"].upper()  # matched case-insensitively
        want = [o for o in offers if _matches(o, f)]
        made.clear()
        got = stored.query(**f)
        assert got == want, f
        if "provider" not in f or "region" not in f:  # across regions: only the matches are made
            assert sum(made) == len(want), f
        elif set(f) - {"provider", "region", "resource"}:  # one region, filtered on its columns (or read before)
            assert sum(made) in (0, len(want)), f
        first, total = stored.find(**f, limit=3)
        assert (first, total) == (want[:3], len(want))


def test_a_query_on_one_region_reads_only_that_region(synthetic, monkeypatch: pytest.MonkeyPatch) -> None:
    gen, offers = synthetic
    stored = _store(gen, offers)
    made: list[int] = []
    real = store._from_table
    monkeypatch.setattr(store, "_from_table", lambda t: made.append(t.num_rows) or real(t))
    got = stored.query(provider="gcp", region="europe-west4", resource="instance")
    assert got == [o for o in offers if (o.provider, o.region, o.resource) == ("gcp", "europe-west4", "instance")]
    assert sum(made) == len(got) < OFFERS // 50


def test_a_layered_chain_is_merged_once_per_process(synthetic) -> None:
    gen, offers = synthetic
    _store(gen, offers[: OFFERS // 2], "first")
    # the second half with every tenth on-demand price changed: replaces units of the first where they overlap
    second = [o if i % 10 or o.price is None else replace(o, price=o.price * Decimal("1.1"))
              for i, o in enumerate(offers[OFFERS // 4:])]
    _store(gen, second, "second")
    merges, region_merges = Layers.merges, Layers.region_merges
    a = load_catalog("embedded,first,second")
    a.offer_count()
    a.instance_types("aws")
    a.query(accelerator="H100-SXM")
    b = load_catalog("embedded,first,second")
    assert b is a  # the API's cache: the same loaded catalog
    b.offer_count()
    b.query(resource="storage")
    assert Layers.merges == merges + 1
    for _ in range(3):
        a.query(provider="aws", region="us-east-1", resource="instance")
        b.query(provider="aws", region="us-east-1", resource="instance", accelerator="H100-SXM")
    assert Layers.region_merges == region_merges + 1
    # and the merged result is the plain layering of the same lists
    from pricing.catalog import layer, load_embedded

    plain = layer([load_embedded(), _plain(a, offers[: OFFERS // 2]), _plain(a, second)])
    assert a.offers == plain.offers
    assert a.query(provider="aws", region="us-east-1", resource="instance") == plain.query(
        provider="aws", region="us-east-1", resource="instance")


def test_a_diff_of_stored_catalogs_equals_the_diff_of_the_same_offers_in_lists(synthetic) -> None:
    from pricing.diff import diff_catalogs

    gen, offers = synthetic
    rng = random.Random(7)
    new = []
    for o in offers[: OFFERS - 500]:  # 500 offers vanish
        r = rng.random()
        if o.price is not None and r < 0.05:
            o = replace(o, price=o.price * Decimal("0.8"))  # cheaper
        elif o.price is not None and r < 0.1:
            o = replace(o, price=o.price * Decimal("1.25"))  # dearer
        elif o.price is not None and r < 0.11:
            o = replace(o, price=None)  # lost its price
        new.append(o)
    new += [replace(o, region="me-central-1", sku=o.sku + ":copy")  # appeared
            for o in offers if o.provider == "aws" and o.region == "us-east-1"][:300]
    a, b = _store(gen, offers, "old"), _store(gen, new, "new")
    for threshold in (0.0, 22.0):
        got = diff_catalogs(a, b, threshold_pct=threshold)
        # the plain lists are the offers as stored (a stored zero price reads back as 0, not 0.000000)
        want = diff_catalogs(_plain(a, a.offers), _plain(b, b.offers), threshold_pct=threshold)
        assert got.to_dict() == want.to_dict()
        assert got.changes_by_group() == want.changes_by_group()
        for limit, groups in ((3, None), (0, 2), (10, 5)):
            assert got.changes_in_groups(limit, groups) == want.changes_in_groups(limit, groups)
        full = want.changes_by_group()
        for g, (_, rows) in got.changes_in_groups(4).items():
            assert rows == full[g][:4]


def test_check_findings_of_a_stored_catalog_equal_those_of_its_offers(synthetic) -> None:
    from pricing.checks import KINDS, catalog_findings, check_offers

    gen, offers = synthetic
    # a few prices made odd so that every kind of finding has something to find
    odd = list(offers)
    for i, o in enumerate(odd):
        if o.price is not None and o.resource == "instance" and i % 997 == 0:
            odd[i] = replace(o, price=o.price * Decimal(3))
    stored = _store(gen, odd)
    want = check_offers(odd)
    assert {f.kind for f in want} == set(KINDS)  # something of every kind to compare
    assert catalog_findings(stored) == want

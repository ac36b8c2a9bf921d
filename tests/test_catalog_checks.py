"""Sanity checks over catalogs (`pricing.checks`) and `planner catalog check`.

Sources of the prices used below (USD per hour):
- GCP: anycloud-sh/catalog gcp/vms.csv at 62ff0a9 (catalog of 2026-05-20), host row + GPU row, as embedded
  before its GCP GPU prices were corrected: a2-highgpu-1g us-central1 3.67339, a2-highgpu-8g 29.38708,
  a2-ultragpu-1g us-central1 2.94582 (a DWS flex-start price read as on-demand), a3-highgpu-8g 43.06615 in
  us-central1 and us-west1, 111.81719 in europe-west4, a2-highgpu-1g europe-west4 2.42771; the A100-80GB GPU
  row alone: on-demand 1.8462, spot 1.964 (docs/embedded-catalog.md, "Known oddities").
- AWS: skypilot-org/skypilot-catalog catalogs/v8/aws/vms.csv at e385a0d: us-east-1 g5.xlarge 1.006,
  g5.16xlarge 4.096, p4d.24xlarge 21.957642, p4de.24xlarge 27.44705, p3.16xlarge 24.48, p3dn.24xlarge 31.212,
  p5.48xlarge 55.04; me-central-1 g5.24xlarge on-demand 9.98976, spot 9.9898 (median of its zones).
  EC2 Capacity Blocks (aws.amazon.com/ec2/capacityblocks/pricing): P5 5.970 per GPU-hour from 2026-10-07,
  5.191 on 2026-07-15.
- Azure: anycloud-sh/catalog azure/vms.csv at 62ff0a9: eastus Standard_NC16as_T4_v3 1.204,
  Standard_NC64as_T4_v3 4.352; westus2 Standard_ND96isr_H200_v5 on-demand and spot both 84.8.
Shapes (vCPUs, memory, GPUs) are those of pricing/data/instances.csv.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import pricing.catalog
from planner.cli import main
from pricing import checks, store
from pricing.catalog import load_embedded
from pricing.checks import Finding, Justification, check_offers, findings_for, justify, parse_justifications
from pricing.instances import instance_shape
from pricing.schema import Offer, write_offers_csv
from tests.conftest import SHARED, offer

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs" / "embedded-catalog.md"


def vm(provider: str, region: str, itype: str, price: str | None, po: str = "on_demand") -> Offer:
    """An instance offer shaped as pricing/data/instances.csv says."""
    shape = instance_shape(provider, itype)
    assert shape is not None, itype
    return offer(provider=provider, region=region, instance_type=itype, price=price, purchase_option=po,
                 accelerator=shape.accelerator, accelerator_count=shape.accelerator_count, vcpus=shape.vcpus,
                 memory_gib=shape.memory_gib)


def kinds(found: list[Finding]) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(f.kind, f.region, f.rows) for f in found]


# -- larger_memory_cheaper ----------------------------------------------------------------------------

def test_dws_price_read_as_on_demand_is_caught() -> None:
    """The old embedded GCP data: a2-ultragpu-1g (A100 80GB) 2.94582 below a2-highgpu-1g (A100 40GB) 3.67339."""
    found = check_offers([vm("gcp", "us-central1", "a2-highgpu-1g", "3.67339"),
                          vm("gcp", "us-central1", "a2-ultragpu-1g", "2.94582")])
    assert kinds(found) == [("larger_memory_cheaper", "us-central1",
                             ("gcp us-central1 a2-ultragpu-1g on_demand", "gcp us-central1 a2-highgpu-1g on_demand"))]
    # (3.67339 - 2.94582) / 3.67339 = 19.8 %
    assert "2.94582/GPU is 20% below a2-highgpu-1g" in found[0].message
    assert found[0].to_dict() == {"kind": "larger_memory_cheaper", "provider": "gcp", "region": "us-central1",
                                  "rows": list(found[0].rows), "message": found[0].message}


def test_larger_memory_dearer_is_fine_and_other_regions_or_counts_are_not_compared() -> None:
    found = check_offers([
        vm("aws", "us-east-1", "p4d.24xlarge", "21.957642"), vm("aws", "us-east-1", "p4de.24xlarge", "27.44705"),
        vm("aws", "us-east-1", "p3.16xlarge", "24.48"), vm("aws", "us-east-1", "p3dn.24xlarge", "31.212"),
        # same prices, different region / GPU count: not the same comparison
        vm("gcp", "us-central1", "a2-highgpu-1g", "3.67339"), vm("gcp", "europe-west4", "a2-ultragpu-1g", "2.94582"),
        vm("gcp", "us-central1", "a2-ultragpu-2g", "5.89164"),  # 2 x 2.94582, vs a 1-GPU machine
    ])
    assert found == []


def test_memory_variants_on_spot_are_not_compared() -> None:
    """Spot prices follow supply and demand: a cheap A100-80GB spot price is not a data error."""
    found = check_offers([vm("gcp", "us-central1", "a2-highgpu-1g", "3.67339", po="spot"),
                          vm("gcp", "us-central1", "a2-ultragpu-1g", "2.94582", po="spot")])
    assert found == []


# -- per_gpu_inconsistent -----------------------------------------------------------------------------

def test_per_gpu_price_inconsistent_across_sizes() -> None:
    # a2-highgpu-8g at the DWS per-GPU price: 8 x 2.94582 = 23.56656, 19.8 % below 1g's 3.67339 per GPU
    found = check_offers([vm("gcp", "us-central1", "a2-highgpu-1g", "3.67339"),
                          vm("gcp", "us-central1", "a2-highgpu-8g", "23.56656")])
    assert kinds(found) == [("per_gpu_inconsistent", "us-central1",
                             ("gcp us-central1 a2-highgpu-1g on_demand", "gcp us-central1 a2-highgpu-8g on_demand"))]
    assert "a2-highgpu-8g 2.94582/GPU is 20% below a2-highgpu-1g 3.67339/GPU" in found[0].message
    # the published 8g price: 29.38708 / 8 = 3.673385 per GPU, the same as 1g
    assert check_offers([vm("gcp", "us-central1", "a2-highgpu-1g", "3.67339"),
                         vm("gcp", "us-central1", "a2-highgpu-8g", "29.38708")]) == []


def test_per_gpu_allows_a_smaller_host_to_be_cheaper_and_a_gap_within_tolerance() -> None:
    # g5.xlarge (4 vCPUs per A10G) 1.006 vs g5.16xlarge (64 vCPUs per A10G) 4.096: the host explains it
    # NC64as_T4_v3 4.352 / 4 = 1.088 per T4 vs NC16as_T4_v3 1.204 (same host per GPU): 9.6 % < 15 %
    assert check_offers([vm("aws", "us-east-1", "g5.xlarge", "1.006"), vm("aws", "us-east-1", "g5.16xlarge", "4.096"),
                         vm("azure", "eastus", "Standard_NC16as_T4_v3", "1.204"),
                         vm("azure", "eastus", "Standard_NC64as_T4_v3", "4.352")]) == []
    # swapped: the 64-vCPU size cheaper per GPU than the 4-vCPU one is a finding
    found = check_offers([vm("aws", "us-east-1", "g5.xlarge", "4.096"), vm("aws", "us-east-1", "g5.16xlarge", "1.006")])
    assert [f.kind for f in found] == ["per_gpu_inconsistent"]
    assert found[0].rows == ("aws us-east-1 g5.16xlarge on_demand", "aws us-east-1 g5.xlarge on_demand")


def test_family_from_the_shape_table_or_the_name() -> None:
    assert checks.family("gcp", "a2-ultragpu-4g") == "a2-ultragpu"  # instances.csv
    assert checks.family("aws", "g4dn.2xlarge") == "g4dn"
    assert checks.family("aws", "p4de.24xlarge") == "p4de"
    assert checks.family("gcp", "a3-edgegpu-8g") == "a3-edgegpu"  # not in instances.csv: from the name
    assert checks.family("gcp", "n1-highmem-8+T4x2") == "n1-highmem"
    assert checks.family("azure", "Standard_NC48ads_A100_v4") == "NCads_A100_v4"
    assert checks.family("azure", "Standard_ND40rs_v2") == "NDrs_v2"


# -- on_demand_below_spot / on_demand_below_commitment ---------------------------------------------

def test_on_demand_below_spot() -> None:
    # the A100-80GB GPU row's prices, as one 1-GPU machine: on-demand 1.8462 < spot 1.964
    found = check_offers([vm("gcp", "us-central1", "a2-ultragpu-1g", "1.8462"),
                          vm("gcp", "us-central1", "a2-ultragpu-1g", "1.964", po="spot")])
    assert kinds(found) == [("on_demand_below_spot", "us-central1",
                             ("gcp us-central1 a2-ultragpu-1g on_demand", "gcp us-central1 a2-ultragpu-1g spot"))]
    # (1.964 - 1.8462) / 1.964 = 6.0 %
    assert found[0].message == "a2-ultragpu-1g: on-demand 1.8462 is below spot 1.964 (6% less)"


def test_spot_equal_or_within_rounding_is_fine_and_unpriced_is_ignored() -> None:
    assert check_offers([
        vm("azure", "westus2", "Standard_ND96isr_H200_v5", "84.8"),
        vm("azure", "westus2", "Standard_ND96isr_H200_v5", "84.8", po="spot"),
        vm("aws", "me-central-1", "g5.24xlarge", "9.98976"),
        vm("aws", "me-central-1", "g5.24xlarge", "9.9898", po="spot"),  # 0.0004 % above: rounding
        vm("aws", "us-east-1", "p5.48xlarge", None),
        vm("aws", "us-east-1", "p5.48xlarge", "31.037", po="spot"),
    ]) == []


def test_on_demand_below_commitment() -> None:
    od = vm("aws", "us-east-1", "p5.48xlarge", "55.04")
    block = vm("aws", "us-east-1", "p5.48xlarge", "47.76", po="capacity_block")  # 8 x 5.970
    assert check_offers([od, block]) == []
    # the 2026-07-15 block rate (8 x 5.191 = 41.528) loaded as on-demand by mistake
    wrong = vm("aws", "us-east-1", "p5.48xlarge", "41.528")
    found = check_offers([wrong, block])
    assert kinds(found) == [("on_demand_below_commitment", "us-east-1",
                             ("aws us-east-1 p5.48xlarge on_demand", "aws us-east-1 p5.48xlarge capacity_block"))]
    # (47.76 - 41.528) / 47.76 = 13.0 %
    assert found[0].message.endswith("on-demand 41.528 is below capacity_block 47.76 (13% less)")
    for po in checks.AT_MOST_ON_DEMAND:
        assert [f.kind for f in check_offers([wrong, vm("aws", "us-east-1", "p5.48xlarge", "47.76", po=po)])] == [
            "on_demand_below_commitment"], po


# -- region_outlier -----------------------------------------------------------------------------------

def test_region_outlier() -> None:
    gcp = [vm("gcp", "us-central1", "a3-highgpu-8g", "43.06615"), vm("gcp", "us-west1", "a3-highgpu-8g", "43.06615"),
           vm("gcp", "europe-west4", "a3-highgpu-8g", "111.81719")]
    found = check_offers(gcp)
    assert kinds(found) == [("region_outlier", "europe-west4", ("gcp europe-west4 a3-highgpu-8g on_demand",))]
    # 111.81719 / 43.06615 = 2.596
    assert found[0].message == "a3-highgpu-8g on_demand 111.81719 is 2.60x the median 43.06615 of its 3 regions"
    # fewer than 3 regions: no median to speak of
    assert check_offers(gcp[1:]) == []
    # 2.42771 / 3.67339 = 0.661, within 1 / 1.6 = 0.625
    assert check_offers([vm("gcp", r, "a2-highgpu-1g", p) for r, p in
                         (("us-central1", "3.67339"), ("us-west1", "3.67339"), ("europe-west4", "2.42771"))]) == []


def test_region_dearer_across_the_board_is_not_an_outlier() -> None:
    """Ten types priced 1 in two regions and 1.8 in a third: the third's level is 1.8, nothing stands out."""
    types = ["n2-standard-2", "n2-standard-4", "n2-standard-8", "n2-standard-16", "n2-standard-32",
             "n2-standard-48", "n2-standard-64", "n2-standard-80", "n2-standard-96", "n2-standard-128"]
    base = [vm("gcp", r, t, p) for t in types for r, p in (("a", "1"), ("b", "1"), ("c", "1.8"))]
    assert check_offers(base) == []
    # one more type at 3.6 in c: 3.6x the median, 3.6 / 1.8 = 2x the region's level -> flagged
    odd = [vm("gcp", r, "c3-standard-4", p) for r, p in (("a", "1"), ("b", "1"), ("c", "3.6"))]
    found = check_offers(base + odd)
    assert kinds(found) == [("region_outlier", "c", ("gcp c c3-standard-4 on_demand",))]
    assert found[0].message.endswith("3.60x the median 1 of its 3 regions; prices in c are usually 1.80x the "
                                     "median, so this is 2.00x what the region's level predicts")
    # with fewer than 10 types the region's level is not estimated: 1.8x is an outlier
    assert [f.region for f in check_offers(base[:9])] == ["c", "c", "c"]


def test_region_outliers_ignore_spot() -> None:
    assert check_offers([vm("gcp", r, "a3-highgpu-8g", p, po="spot") for r, p in
                         (("us-central1", "10"), ("us-west1", "10"), ("europe-west4", "30"))]) == []


# -- findings, justifications, summaries -----------------------------------------------------------

def test_findings_for_offers_used() -> None:
    ultra = vm("gcp", "us-central1", "a2-ultragpu-1g", "2.94582")
    high = vm("gcp", "us-central1", "a2-highgpu-1g", "3.67339")
    g2 = vm("gcp", "us-central1", "g2-standard-4", "0.70683")
    found = check_offers([ultra, high, g2])
    assert findings_for(found, [ultra]) == found
    assert findings_for(found, [high]) == found
    assert findings_for(found, [g2]) == []
    # the same type on spot is another row
    assert findings_for(found, [vm("gcp", "us-central1", "a2-ultragpu-1g", "2.51378", po="spot")]) == []


def test_summary() -> None:
    f = Finding("region_outlier", "gcp", "r", ("x",), "m")
    g = Finding("on_demand_below_spot", "gcp", "r", ("y",), "m")
    assert checks.summary([]) == "no findings"
    assert checks.summary([f]) == "1 finding (1 region_outlier)"
    assert checks.summary([f, g, g]) == "3 findings (2 on_demand_below_spot, 1 region_outlier)"


JUSTIFIED_MD = """# Notes

## Sanity-check findings

| kind | rows | why |
| --- | --- | --- |
| larger_memory_cheaper | `gcp us-central1 a2-ultragpu-1g on_demand`; `gcp us-central1 a2-highgpu-1g on_demand` | test reason |
| region_outlier | gcp europe-west4 a3-highgpu-8g on_demand | matches nothing |

## Next section

| kind | rows | why |
| --- | --- | --- |
| region_outlier | not read | not read |
"""


def test_parse_and_apply_justifications() -> None:
    js = parse_justifications(JUSTIFIED_MD)
    assert js == [
        Justification("larger_memory_cheaper", ("gcp us-central1 a2-ultragpu-1g on_demand",
                                                "gcp us-central1 a2-highgpu-1g on_demand"), "test reason"),
        Justification("region_outlier", ("gcp europe-west4 a3-highgpu-8g on_demand",), "matches nothing")]
    found = check_offers([vm("gcp", "us-central1", "a2-highgpu-1g", "3.67339"),
                          vm("gcp", "us-central1", "a2-ultragpu-1g", "2.94582"),
                          vm("gcp", "us-central1", "a2-ultragpu-1g", "2.0", po="committed_1y"),
                          vm("gcp", "us-central1", "a2-ultragpu-1g", "3.0", po="committed_3y")])
    result = justify(found, js)
    assert [f.kind for f in result.open] == ["on_demand_below_commitment"]
    assert [(f.kind, f.why) for f in result.justified] == [("larger_memory_cheaper", "test reason")]
    assert result.justified[0].to_dict()["justified"] == "test reason"
    assert result.unmatched == [js[1]]
    assert parse_justifications("# no table here\n") == []


@pytest.mark.parametrize("text, error", [
    ("## Sanity-check findings\n| kind | rows |\n", "line 2: the table header must be"),
    ("## Sanity-check findings\n| kind | rows | why |\n|---|---|---|\n| cheap | r | w |\n", "line 4: unknown kind 'cheap'"),
    ("## Sanity-check findings\n| kind | rows | why |\n|---|---|---|\n| region_outlier | r |  |\n", "line 4: a justif"),
])
def test_bad_justification_tables(text: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        parse_justifications(text)


# -- the embedded catalog and the reference catalogs ---------------------------------------------

def test_embedded_catalog_findings_are_all_justified() -> None:
    """Every finding on the embedded catalog is justified in docs/embedded-catalog.md, and every justification
    there still matches a finding (so the table is kept up to date with the data)."""
    result = justify(check_offers(load_embedded().offers), parse_justifications(DOCS.read_text(encoding="utf-8")))
    assert [f"{f.kind}: {f.message} [{'; '.join(f.rows)}]" for f in result.open] == []
    assert result.unmatched == []


def test_reference_gcp_catalog_flags_the_known_odd_rows() -> None:
    """The SkyPilot-format GCP catalog mixes DWS flex-start prices into on-demand in some regions; the checks see it."""
    f = SHARED / "reference" / "skypilot-catalog" / "gcp" / "vms.csv"
    if not f.is_file():
        pytest.skip("reference catalogs not present")
    from pricing.sources.skypilot import import_skypilot_csv

    found = check_offers(import_skypilot_csv(f, "gcp").offers)
    rows = {(f.kind, r) for f in found for r in f.rows}
    # 43.06615 in us-central1, where most of its 16 regions ask more than twice that
    assert ("region_outlier", "gcp us-central1 a3-highgpu-8g on_demand") in rows
    assert ("larger_memory_cheaper", "gcp us-central1 a2-ultragpu-1g on_demand") in rows


# -- CLI ----------------------------------------------------------------------------------------------

def _tiny_embedded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, offers: list[Offer]) -> None:
    emb = tmp_path / "embedded"
    emb.mkdir()
    (emb / "embedded.json").write_text(json.dumps({"name": "embedded", "source": "tiny", "fetched_at": "2026-05-20"}))
    with open(emb / "embedded.csv", "w", encoding="utf-8", newline="") as fh:
        write_offers_csv(offers, fh)
    monkeypatch.setattr(pricing.catalog, "embedded_dir", lambda: emb)


DWS = [vm("gcp", "us-central1", "a2-highgpu-1g", "3.67339"), vm("gcp", "us-central1", "a2-ultragpu-1g", "2.94582")]


@pytest.fixture()
def tiny(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    _tiny_embedded(tmp_path, monkeypatch, DWS)
    return tmp_path


def test_check_json_lists_findings_and_exits_0(runner: CliRunner, tiny: Path) -> None:
    r = runner.invoke(main, ["catalog", "check", "embedded", "--format", "json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    assert [set(x) for x in rows] == [{"kind", "provider", "region", "rows", "message"}]
    assert (rows[0]["kind"], rows[0]["provider"], rows[0]["region"], rows[0]["rows"]) == (
        "larger_memory_cheaper", "gcp", "us-central1",
        ["gcp us-central1 a2-ultragpu-1g on_demand", "gcp us-central1 a2-highgpu-1g on_demand"])
    # the same through Python
    assert [f.to_dict() for f in checks.check_catalog(pricing.catalog.load_catalog("embedded"))] == rows


def test_check_table_and_active(runner: CliRunner, tiny: Path) -> None:
    r = runner.invoke(main, ["catalog", "check", "active"])
    assert r.exit_code == 0, r.output
    assert "larger_memory_cheaper" in r.stdout and "a2-ultragpu-1g" in r.stdout
    assert r.stdout.rstrip().endswith("embedded: 1 finding (1 larger_memory_cheaper)")


def test_check_unknown_catalog_is_one_line_exit_2(runner: CliRunner, tiny: Path) -> None:
    r = runner.invoke(main, ["catalog", "check", "embeded"])
    assert r.exit_code == 2
    assert r.stderr.startswith("Error: unknown catalog 'embeded'; did you mean 'embedded'?")
    assert r.stderr.count("\n") == 1


def test_check_with_justifications(runner: CliRunner, tiny: Path) -> None:
    md = tiny / "notes.md"
    md.write_text(JUSTIFIED_MD)
    r = runner.invoke(main, ["catalog", "check", "embedded", "--justified", str(md), "--format", "json"])
    assert r.exit_code == 0, r.output
    assert [x["justified"] for x in json.loads(r.stdout)] == ["test reason"]
    r = runner.invoke(main, ["catalog", "check", "embedded", "--justified", str(md)])
    assert "justified" in r.stdout and "test reason" in r.stdout
    md.write_text("## Sanity-check findings\n| kind | rows | why |\n|---|---|---|\n| cheap | r | w |\n")
    r = runner.invoke(main, ["catalog", "check", "embedded", "--justified", str(md)])
    assert r.exit_code == 2 and r.stderr == f"Error: {md}: line 4: unknown kind 'cheap'; use one of " \
        f"{', '.join(checks.KINDS)}\n"
    r = runner.invoke(main, ["catalog", "check", "embedded", "--justified", str(tiny / "missing.md")])
    assert r.exit_code == 2 and r.stderr == f"Error: {tiny / 'missing.md'}: file not found; check the path\n"


SKY_AWS = """InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,GpuInfo,Price,SpotPrice,Region,AvailabilityZone,Arch
g5.xlarge,A10G,1.0,4.0,16.0,,1.006,{spot},us-east-1,use1-az1,x86_64
"""


def test_import_prints_a_checks_line(runner: CliRunner, tiny: Path) -> None:
    f = tiny / "vms.csv"
    f.write_text(SKY_AWS.format(spot="1.2"))  # hand-made: spot above the 1.006 on-demand price
    r = runner.invoke(main, ["catalog", "import", "--format", "skypilot", str(f), "--provider", "aws", "--name", "odd"])
    assert r.exit_code == 0, r.output
    # layered on the tiny embedded catalog: its DWS pair is part of what will be used
    assert ("\nChecks: 2 findings (1 on_demand_below_spot, 1 larger_memory_cheaper); "
            "see 'planner catalog check odd'\nNow using catalog 'odd'\n") in r.stdout
    # the same findings as the check command reports on the stored snapshot
    r = runner.invoke(main, ["catalog", "check", "odd", "--format", "json"])
    assert sorted(x["kind"] for x in json.loads(r.stdout)) == ["larger_memory_cheaper", "on_demand_below_spot"]
    f.write_text(SKY_AWS.format(spot="0.4886"))  # g5.xlarge us-east-1, reference catalog
    r = runner.invoke(main, ["catalog", "import", "--format", "skypilot", str(f), "--provider", "aws", "--name", "ok",
                             "--standalone"])
    assert r.exit_code == 0, r.output
    assert "\nChecks: no findings\n" in r.stdout and store.active_name() == "ok"


def test_refresh_prints_a_checks_line(runner: CliRunner, tiny: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pricing.sources

    class Source:
        name = "fake"

        def fetch(self, regions=None, *, progress=None):  # type: ignore[no-untyped-def]
            yield from [vm("aws", "us-east-1", "g5.xlarge", "1.006"), vm("aws", "us-east-1", "g5.xlarge", "1.2", "spot")]

    monkeypatch.setitem(pricing.sources.SOURCES, "aws", lambda **kw: Source())
    r = runner.invoke(main, ["catalog", "refresh", "--cloud", "aws", "--name", "live", "--standalone"])
    assert r.exit_code == 0, r.output
    assert "\nChecks: 1 finding (1 on_demand_below_spot); see 'planner catalog check live'\n" in r.stdout

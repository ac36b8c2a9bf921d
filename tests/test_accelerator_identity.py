"""One table of accelerator identities, read by pricing (price lists) and capacity (user input).

Expected parts come from provider documentation, named beside each case:
- AWS: aws.amazon.com/ec2/instance-types/<family>/; GCP: cloud.google.com/compute/docs/gpus;
- Azure: learn.microsoft.com/azure/virtual-machines/sizes/gpu-accelerated/<series>;
- memory per device: the vendor datasheets cited in planner/capacity/hardware.py.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from planner.capacity.hardware import ACCELERATORS, list_accelerators
from planner.capacity.hardware import canonical_accelerator as user_name
from planner.errors import InputError, UnknownNameError
from pricing.accelerator_identity import identities, key, quirks, resolve
from pricing.instances import CANONICAL_ACCELERATORS, instance_shape
from pricing.instances import canonical_accelerator as price_list_name
from tests.conftest import SHARED

SKY = SHARED / "reference" / "skypilot-catalog"
_MIB = re.compile(r"'SizeInMiB':\s*(\d+)")
needs_sky = pytest.mark.skipif(not SKY.is_dir(), reason="../shared reference catalogs absent")


def _spellings() -> list[str]:
    """Every id and alias in the table, as written there and as people and price lists decorate them."""
    out: list[str] = []
    for ident in identities().values():
        for name in (ident.id, *ident.aliases):
            out += [name, name.upper(), name.replace("-", " "), name.replace("-", "_"), f"NVIDIA {name}"]
    return out


@pytest.mark.parametrize("name", _spellings())
def test_every_name_means_the_same_part_to_both_readers(name: str) -> None:
    # one table: outside the quirk list, a name resolves to one part whoever wrote it
    assert price_list_name(name) is not None
    assert price_list_name(name) == user_name(name) == resolve(name, "user") == resolve(name, "price_list")


def test_quirks_are_the_only_names_read_differently() -> None:
    # the quirk names are neither ids nor aliases, and each is read differently by the two readers
    table = {key(n) for i in identities().values() for n in (i.id, *i.aliases)}
    assert quirks() and not table & set(quirks())
    for q in quirks().values():
        assert q.user_input is None and q.did_you_mean, q  # every quirk is refused in user input
        assert resolve(q.name, "price_list") == q.price_list
        with pytest.raises(InputError, match="did you mean"):
            user_name(q.name)


@pytest.mark.parametrize(("name", "part"), [
    # aws.amazon.com/ec2/instance-types/p4: p4d.24xlarge has 8 x A100 40 GB; SkyPilot's catalog names it "A100"
    ("A100", "A100-40GB"),
    # cloud.google.com/compute/docs/gpus: nvidia-tesla-a100 is the 40 GB part (a2-highgpu, a2-megagpu)
    ("nvidia-tesla-a100", "A100-40GB"),
    # GCP billing SKU "Nvidia Tesla A100 GPU running in Americas" prices the 40 GB part (a2-highgpu machines)
    ("Nvidia Tesla A100", "A100-40GB"),
    ("Nvidia Tesla A100 80GB", "A100-80GB"),
    # first-generation Inferentia (inf1) is not modelled: unknown in a price list, never Inferentia2
    ("Inferentia", None),
])
def test_price_list_meaning_of_the_quirks(name: str, part: str | None) -> None:
    assert price_list_name(name) == part


@pytest.mark.parametrize(("name", "choices"), [
    ("a100", "'A100-40GB' or 'A100-80GB'"),
    ("A100", "'A100-40GB' or 'A100-80GB'"),
    ("nvidia a100", "'A100-40GB' or 'A100-80GB'"),
    ("a100-sxm4", "'A100-40GB' or 'A100-80GB'"),
    ("inferentia", "'Inferentia2'"),
])
def test_user_input_refuses_names_that_are_not_one_part(name: str, choices: str) -> None:
    with pytest.raises(InputError) as err:
        user_name(name)
    assert not isinstance(err.value, UnknownNameError)  # the name is known; it just does not say which part
    assert str(err.value).endswith(f"did you mean {choices}?") and "\n" not in str(err.value)


def test_ambiguous_accelerator_in_a_scenario_is_one_line_naming_file_and_field(runner, tmp_path: Path) -> None:
    from planner.cli import main

    path = tmp_path / "train.yaml"
    path.write_text("name: t\nworkloads:\n  - name: finetune\n    type: training\n    accelerator: a100\n"
                    "    gpus: 8\n    gpu_hours: 100\n", encoding="utf-8")
    r = runner.invoke(main, ["compare", str(path)])
    assert r.exit_code == 2 and r.stderr.count("\n") == 1, r.output
    assert r.stderr.startswith(f"Error: {path}: workloads[0] (finetune).accelerator: accelerator 'a100' does not name")
    assert "did you mean 'A100-40GB' or 'A100-80GB'?" in r.stderr


def test_unknown_names_are_none_in_price_lists_and_errors_in_user_input() -> None:
    for name in ("P100", "K80", "tpu-v2-8", "RTX-4090", "GH200"):
        assert price_list_name(name) is None
        with pytest.raises(UnknownNameError):
            user_name(name)


@pytest.mark.parametrize(("name", "mib", "part"), [
    # SkyPilot GpuInfo memory per GPU (reference catalogs, aws/vms.csv): A100 40,960 MiB (p4d) and
    # A100-80GB 81,920 MiB (p4de); V100 16,384 MiB (p3); H100 81,920 MiB (p5)
    ("A100", 40960, "A100-40GB"), ("A100", 81920, "A100-80GB"), ("V100", 16384, "V100"),
    ("H100", 81920, "H100-SXM"),
    # a bare chip name with the other part's memory: 32 GB V100 (p3dn) and 94 GB H100 NVL (NVIDIA H100
    # datasheet, NVL column: 94 GB = 96,256 MiB)
    ("V100", 32 * 1024, "V100-32GB"), ("H100", 94 * 1024, "H100-NVL"),
    # a named part keeps its name when its sibling has the same memory (H100 PCIe and SXM: 80 GB)
    ("H100-PCIE", 81920, "H100-PCIE"),
    # memory never moves a name to another chip: H200 has no 80 GB sibling
    ("H200", 81920, "H200"),
])
def test_memory_picks_the_part_of_a_chip(name: str, mib: int, part: str) -> None:
    assert price_list_name(name, memory_gib=mib / 1024) == part


def test_the_table_and_the_hardware_specs_name_the_same_parts() -> None:
    assert list(identities()) == list(ACCELERATORS)
    # the clouds' parts: what pricing accepts as instance accelerators and what sizing tries by default
    assert CANONICAL_ACCELERATORS == tuple(list_accelerators())
    assert "H800" in identities() and "H800" not in CANONICAL_ACCELERATORS  # DeepSeek's part, not sold here
    for ident in identities().values():
        assert ACCELERATORS[ident.id].memory_gib == ident.memory_gib


def _embedded_rows() -> list[dict[str, str]]:
    from pricing.catalog import embedded_csv_paths

    rows: list[dict[str, str]] = []
    for path in embedded_csv_paths():
        with open(path, newline="", encoding="utf-8") as fh:
            rows += csv.DictReader(line for line in fh if not line.startswith("#"))
    return rows


def test_embedded_rows_keep_their_accelerator() -> None:
    rows = [r for r in _embedded_rows() if r["accelerator"]]
    assert rows
    for r in rows:
        acc = r["accelerator"]
        assert price_list_name(acc) == user_name(acc) == acc, r["sku"]
        shape = instance_shape(r["provider"], r["instance_type"])
        assert shape is not None and shape.accelerator == acc, r["sku"]


def _sky_rows(provider: str) -> list[dict[str, str]]:
    with open(SKY / provider / "vms.csv", newline="", encoding="utf-8") as fh:
        return [row for row in csv.DictReader(fh) if row.get("AcceleratorName")]


@needs_sky
@pytest.mark.parametrize("provider", ["aws", "azure"])
def test_skypilot_names_resolve_to_the_documented_part_of_each_instance(provider: str) -> None:
    # instances.csv carries each instance type's accelerator from the provider's documentation. The name
    # SkyPilot's catalog gives that instance resolves to that part when the row gives the memory per GPU
    # (aws/vms.csv), and to a part of the same chip when it does not (azure/vms.csv: the importer then
    # takes the part from instances.csv, e.g. "H100" on Standard_NC40ads_H100_v5 is the 94 GB H100 NVL)
    from pricing.sources.skypilot import _canonical

    named: set[str] = set()
    for row in _sky_rows(provider):
        shape = instance_shape(provider, row["InstanceType"])
        if shape is None or shape.accelerator is None:
            continue
        part = _canonical(row["AcceleratorName"], row.get("GpuInfo") or "")
        if _MIB.search(row.get("GpuInfo") or ""):
            assert part == shape.accelerator, row
        else:
            assert part is not None and identities()[part].chip == identities()[shape.accelerator].chip, row
        named.add(f"{row['AcceleratorName']} -> {part}")
    # p4d / ND96asr_v4 say "A100" (the 40 GB part); p4de / NC24ads_A100_v4 say "A100-80GB"
    assert {"A100 -> A100-40GB", "A100-80GB -> A100-80GB"} <= named


@needs_sky
@pytest.mark.parametrize("provider", ["aws", "gcp", "azure", "lambda"])
def test_skypilot_gpu_memory_matches_the_part_it_resolves_to(provider: str) -> None:
    # every known name with a GpuInfo memory resolves to a part within 10% of that memory (A10G: 22,888 MiB
    # = 22.4 GiB against 24 GiB, the largest gap: the driver reserves part of it)
    seen = 0
    for row in _sky_rows(provider):
        m = _MIB.search(row.get("GpuInfo") or "")
        part = price_list_name(row["AcceleratorName"], memory_gib=int(m.group(1)) / 1024 if m else None)
        if part is None or m is None:
            continue
        gib = int(m.group(1)) / 1024
        assert abs(identities()[part].memory_gib - gib) <= 0.1 * gib, row
        seen += 1
    assert seen or provider == "azure"  # azure/vms.csv gives no GpuInfo memory


def test_catalog_filter_reads_names_as_a_person_does(runner) -> None:
    from planner.cli import main

    r = runner.invoke(main, ["catalog", "show", "embedded", "--accelerator", "a100"])
    assert r.exit_code == 2 and r.stderr.count("\n") == 1
    assert r.stderr.rstrip().endswith("did you mean 'A100-40GB' or 'A100-80GB'?")
    # aws.amazon.com/ec2/instance-types/p4: p4de.24xlarge carries 8 x A100 80 GB
    r = runner.invoke(main, ["catalog", "show", "embedded", "--accelerator", "a100-80gb", "--format", "json"])
    assert r.exit_code == 0, r.output
    import json

    rows = json.loads(r.stdout)
    assert rows and {o["accelerator"] for o in rows} == {"A100-80GB"}
    assert "p4de.24xlarge" in {o["instance_type"] for o in rows}

"""SkyPilot vms.csv import: tiny hand-made files (always) and the real reference catalogs (when present)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from planner.errors import InputError
from pricing.sources.skypilot import import_skypilot_csv

REPO = Path(__file__).resolve().parents[1]
REF = REPO / ".." / "shared" / "reference" / "skypilot-catalog"

AWS_HEADER = "InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,GpuInfo,Price,SpotPrice,Region,AvailabilityZone,Arch"
GCP_HEADER = "InstanceType,vCPUs,MemoryGiB,AcceleratorName,AcceleratorCount,GpuInfo,Region,AvailabilityZone,Price,SpotPrice"
AZURE_HEADER = "InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,GpuInfo,Price,SpotPrice,Region,Generation"
LAMBDA_HEADER = "InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,Price,Region,GpuInfo,SpotPrice"


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "vms.csv"
    p.write_text(text.strip() + "\n")
    return p


def by_key(result) -> dict[tuple[str, str, str], object]:  # type: ignore[no-untyped-def]
    return {(o.region, o.instance_type, o.purchase_option): o for o in result.offers}


# -- tiny fixtures ------------------------------------------------------------------------------------

def test_aws_spot_is_median_of_zones_and_empty_price_is_none(tmp_path: Path) -> None:
    gpu = "\"{'Gpus': [{'Name': 'A10G', 'Count': 1, 'MemoryInfo': {'SizeInMiB': 24576}}]}\""
    p = write(tmp_path, f"""
{AWS_HEADER}
g5.xlarge,A10G,1.0,4.0,16.0,{gpu},1.006,0.40,us-east-1,use1-az1,x86_64
g5.xlarge,A10G,1.0,4.0,16.0,{gpu},1.006,0.30,us-east-1,use1-az2,x86_64
g5.xlarge,A10G,1.0,4.0,16.0,{gpu},1.006,0.50,us-east-1,use1-az3,x86_64
g5.xlarge,A10G,1.0,4.0,16.0,{gpu},1.006,0.20,us-east-1,use1-az4,x86_64
p5e.48xlarge,H200,8.0,192.0,2048.0,,,,us-east-2,use2-az1,x86_64
c7i.large,,,2.0,4.0,,0.08925,,us-east-1,use1-az1,x86_64
""")
    r = import_skypilot_csv(p, "aws")
    k = by_key(r)
    assert k[("us-east-1", "g5.xlarge", "on_demand")].price == Decimal("1.006")
    # median of 0.20, 0.30, 0.40, 0.50 = (0.30 + 0.40) / 2 = 0.35
    assert k[("us-east-1", "g5.xlarge", "spot")].price == Decimal("0.35")
    g5 = k[("us-east-1", "g5.xlarge", "on_demand")]
    assert (g5.accelerator, g5.accelerator_count, g5.vcpus, g5.memory_gib) == ("A10G", 1, 4.0, 16.0)
    assert k[("us-east-2", "p5e.48xlarge", "on_demand")].price is None  # unpriced, not free
    assert ("us-east-2", "p5e.48xlarge", "spot") not in k  # no spot price anywhere: no spot offer
    assert k[("us-east-1", "c7i.large", "on_demand")].accelerator is None
    assert r.counts == {"rows": 6, "priced": 2, "unpriced": 1, "spot": 1, "no_spot_price": 2, "skipped": 0,
                        "offers": 4, "instance_types": 3, "regions": 2}


def test_gcp_gpu_rows_join_their_host(tmp_path: Path) -> None:
    h100 = "\"{'Gpus': [{'MemoryInfo': {'SizeInMiB': 81920}}]}\""
    t4 = "\"{'Gpus': [{'MemoryInfo': {'SizeInMiB': 16384}}]}\""
    p = write(tmp_path, f"""
{GCP_HEADER}
a3-highgpu-8g,208.0,1872.0,,,,us-central1,us-central1-a,9.46006,3.86318
,,,H100,8,{h100},us-central1,us-central1-a,33.60609,32.0104
n1-standard-8,8.0,30.0,,,,us-central1,us-central1-a,0.38,0.13954
,,,T4,1,{t4},us-central1,us-central1-a,0.35,0.1654
n1-highmem-64,64.0,416.0,,,,us-central1,us-central1-a,3.78,1.1
,,,tpu-v5p-8,1,tpu-v5p-8,us-central1,us-central1-a,16.8,3.31027
,,,L4,1,{t4},europe-west1,europe-west1-b,0.6,0.2
""")
    r = import_skypilot_csv(p, "gcp")
    k = by_key(r)
    a3 = k[("us-central1", "a3-highgpu-8g", "on_demand")]
    assert a3.price == Decimal("9.46006") + Decimal("33.60609") == Decimal("43.06615")
    assert k[("us-central1", "a3-highgpu-8g", "spot")].price == Decimal("35.87358")  # 3.86318 + 32.0104
    assert (a3.accelerator, a3.accelerator_count) == ("H100-SXM", 8)
    n1 = k[("us-central1", "n1-standard-8+T4x1", "on_demand")]
    assert (n1.price, n1.accelerator, n1.accelerator_count) == (Decimal("0.73"), "T4", 1)  # 0.38 + 0.35
    assert k[("us-central1", "n1-standard-8", "on_demand")].price == Decimal("0.38")  # plain host still offered
    # T4 x1 allows at most 48 vCPUs on the host: no n1-highmem-64+T4x1
    assert ("us-central1", "n1-highmem-64+T4x1", "on_demand") not in k
    reasons = sorted(reason for _, reason in r.skipped)
    assert reasons == ["GPU row with no host VM row in its zone", "TPU slice (not a VM offer)"]
    assert [line for line, _ in r.skipped] == [7, 8]


def test_gcp_host_without_its_gpu_row_is_unpriced(tmp_path: Path) -> None:
    p = write(tmp_path, f"""
{GCP_HEADER}
a3-megagpu-8g,208.0,1872.0,,,,asia-east1,asia-east1-c,11.5,3.1
""")
    k = by_key(import_skypilot_csv(p, "gcp"))
    assert k[("asia-east1", "a3-megagpu-8g", "on_demand")].price is None
    assert ("asia-east1", "a3-megagpu-8g", "spot") not in k


def test_azure_unquoted_generation_is_read(tmp_path: Path) -> None:
    p = write(tmp_path, f"""
{AZURE_HEADER}
Standard_B12ms,,,12,48,,0.634,,australiacentral,V1,V2
Standard_ND96isr_H100_v5,H100,8,96,1900,H100,98.32,18.169536,eastus,V2
Standard_X,,,1,2,,0.1,0.05,eastus,V1,V2,extra
""")
    r = import_skypilot_csv(p, "azure")
    k = by_key(r)
    assert k[("australiacentral", "Standard_B12ms", "on_demand")].price == Decimal("0.634")
    nd = k[("eastus", "Standard_ND96isr_H100_v5", "spot")]
    assert (nd.price, nd.accelerator, nd.accelerator_count) == (Decimal("18.169536"), "H100-SXM", 8)
    assert r.skipped == [(4, "12 fields, expected 10")]  # reported, not dropped silently
    assert r.counts["rows"] == 3


def test_lambda_shapes_from_the_file_and_h100_pcie_told_apart(tmp_path: Path) -> None:
    def gpu(name: str, n: int, mib: int) -> str:
        return f"\"{{'Gpus': [{{'Name': '{name}', 'Count': {n}.0, 'MemoryInfo': {{'SizeInMiB': {mib}}}}}]}}\""

    # rows in the shape of lambda/vms.csv (prices are test inputs)
    p = write(tmp_path, f"""
{LAMBDA_HEADER}
gpu_1x_h100_pcie,H100,1.0,26.0,200.0,3.0,us-east-1,{gpu("H100", 1, 81920)},
gpu_8x_h100_sxm5,H100,8.0,208.0,1800.0,30.0,us-east-1,{gpu("H100", 8, 81920)},
gpu_1x_gh200,GH200,1.0,64.0,432.0,2.0,us-east-3,{gpu("GH200", 1, 98304)},
gpu_8x_a100,A100,8.0,124.0,1800.0,15.0,us-west-1,{gpu("A100", 8, 40960)},
gpu_8x_a100_80gb_sxm4,A100-80GB,8.0,240.0,1800.0,22.0,us-west-1,{gpu("A100-80GB", 8, 81920)},
cpu_4x_general,,,4.0,16.0,0.2,us-west-1,,
""")
    r = import_skypilot_csv(p, "lambda")
    k = by_key(r)
    shapes = {it: (o.accelerator, o.accelerator_count, o.vcpus, o.memory_gib)
              for (_, it, _), o in k.items()}
    assert shapes == {
        "gpu_1x_h100_pcie": ("H100-PCIE", 1, 26.0, 200.0),   # "_pcie" in the type name
        "gpu_8x_h100_sxm5": ("H100-SXM", 8, 208.0, 1800.0),
        "gpu_1x_gh200": ("GH200", 1, 64.0, 432.0),            # not a canonical id: kept as published
        "gpu_8x_a100": ("A100-40GB", 8, 124.0, 1800.0),       # 40960 MiB per GPU
        "gpu_8x_a100_80gb_sxm4": ("A100-80GB", 8, 240.0, 1800.0),
        "cpu_4x_general": (None, 0, 4.0, 16.0),
    }
    o = k[("us-east-1", "gpu_8x_h100_sxm5", "on_demand")]
    assert (o.provider, o.service, o.price, o.unit) == ("lambda", "Lambda Cloud", Decimal("30.0"), "hour")
    assert {po for _, _, po in k} == {"on_demand"}  # no spot prices: no spot offers
    assert r.counts == {"rows": 6, "priced": 6, "no_spot_price": 6, "skipped": 0, "offers": 6,
                        "instance_types": 6, "regions": 3}


def test_lambda_file_under_another_provider_says_so(tmp_path: Path) -> None:
    p = write(tmp_path, f"{LAMBDA_HEADER}\ncpu_4x_general,,,4.0,16.0,0.2,us-west-1,,\n")
    with pytest.raises(InputError, match="not a SkyPilot aws vms.csv.*check --provider"):
        import_skypilot_csv(p, "aws")
    with pytest.raises(InputError, match="use one of aws, gcp, azure, lambda"):
        import_skypilot_csv(p, "oci")


def test_wrong_header_says_so(tmp_path: Path) -> None:
    p = write(tmp_path, f"{AZURE_HEADER}\nStandard_B1s,,,1,1,,0.01,,eastus,V1\n")
    with pytest.raises(InputError, match="not a SkyPilot gcp vms.csv.*check --provider"):
        import_skypilot_csv(p, "gcp")


def test_bad_number_names_the_line(tmp_path: Path) -> None:
    p = write(tmp_path, f"{AZURE_HEADER}\nStandard_B1s,,,1,1,,0.01,,eastus,V1\nStandard_B2s,,,2,4,,abc,,eastus,V1\n")
    r = import_skypilot_csv(p, "azure")  # the bad row is skipped and named; the good one is imported
    assert r.invalid == [(3, "Price 'abc' is not a number")] and r.skipped == [(3, "invalid Price")]
    assert [o.instance_type for o in r.offers] == ["Standard_B1s"]


# -- the real reference catalogs ------------------------------------------------------------------

def ref(provider: str) -> Path:
    p = REF / provider / "vms.csv"
    if not p.is_file():
        pytest.skip(f"reference catalog {p} not present")
    return p


@pytest.fixture(scope="module")
def aws():  # type: ignore[no-untyped-def]
    return import_skypilot_csv(ref("aws"), "aws")


def test_real_aws_known_prices(aws) -> None:  # type: ignore[no-untyped-def]
    k = by_key(aws)
    # README of the reference catalog, us-east-1 on-demand USD/h
    for itype, usd in [("p5.48xlarge", "55.04"), ("p4d.24xlarge", "21.957642"), ("g5.xlarge", "1.006"),
                       ("trn1.32xlarge", "21.5"), ("g4dn.xlarge", "0.526"), ("c7i.2xlarge", "0.357")]:
        assert k[("us-east-1", itype, "on_demand")].price == Decimal(usd), itype
    # p5.48xlarge us-east-1 spot by zone: 55.04, 47.2054, 14.582, 55.04, 14.246, 14.8686;
    # median = (14.8686 + 47.2054) / 2 = 31.037
    assert k[("us-east-1", "p5.48xlarge", "spot")].price == Decimal("31.037")
    assert k[("us-east-1", "p4d.24xlarge", "on_demand")].accelerator == "A100-40GB"
    assert aws.counts["rows"] == 2063 and aws.skipped == []


def test_real_aws_unpriced_rows_kept(aws) -> None:  # type: ignore[no-untyped-def]
    unpriced = {(o.region, o.instance_type) for o in aws.offers if o.price is None}
    assert {it for _, it in unpriced} == {"p5e.48xlarge", "trn1.32xlarge", "trn2.48xlarge"}
    assert ("us-east-2", "p5e.48xlarge") in unpriced
    assert all(o.price is None or o.price > 0 for o in aws.offers)


def test_real_gcp_a3_composed() -> None:
    r = import_skypilot_csv(ref("gcp"), "gcp")
    k = by_key(r)
    a3 = k[("us-central1", "a3-highgpu-8g", "on_demand")]
    # README: host row 9.46006 + H100 x 8 GPU row 33.60609 = 43.06615 (README rounds to 43.07)
    assert a3.price == Decimal("43.06615") and (a3.accelerator, a3.accelerator_count) == ("H100-SXM", 8)
    assert r.counts["rows"] == 31285
    assert not [s for s in r.skipped if "fields" in s[1]]


def test_real_azure_v1v2_rows_read() -> None:
    r = import_skypilot_csv(ref("azure"), "azure")
    k = by_key(r)
    nd = k[("eastus", "Standard_ND96isr_H100_v5", "on_demand")]
    assert nd.price == Decimal("98.32")  # README: eastus 98.32 (spot 18.17, file 18.169536)
    assert k[("eastus", "Standard_ND96isr_H100_v5", "spot")].price == Decimal("18.169536")
    # 56,671 rows of which 27,141 carry an unquoted V1,V2: all read, none skipped
    assert r.counts["rows"] == 56671 and r.skipped == []
    assert k[("australiacentral", "Standard_B12ms", "on_demand")].price == Decimal("0.634")


def test_real_lambda_catalog() -> None:
    r = import_skypilot_csv(ref("lambda"), "lambda")
    k = by_key(r)
    # README of the reference catalogs: 425 rows, 17 regions; 25 instance types, each in every region
    # (25 x 17 = 425), every row priced, no spot prices
    assert r.counts == {"rows": 425, "priced": 425, "no_spot_price": 425, "skipped": 0, "offers": 425,
                        "instance_types": 25, "regions": 17}
    # lambda/vms.csv rows, us-east-1: gpu_8x_h100_sxm5 31.92, gpu_1x_h100_pcie 3.29, gpu_8x_b200_sxm6 53.52,
    # gpu_1x_gh200 2.29 USD/h
    for itype, usd, acc, n in [("gpu_8x_h100_sxm5", "31.92", "H100-SXM", 8), ("gpu_1x_h100_pcie", "3.29", "H100-PCIE", 1),
                               ("gpu_8x_b200_sxm6", "53.52", "B200", 8), ("gpu_1x_gh200", "2.29", "GH200", 1)]:
        o = k[("us-east-1", itype, "on_demand")]
        assert (o.price, o.accelerator, o.accelerator_count) == (Decimal(usd), acc, n), itype
    assert {o.purchase_option for o in r.offers} == {"on_demand"}

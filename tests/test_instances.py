"""Instance shapes and accelerator names (pricing.instances).

Expected shapes are the figures published by each provider:
- AWS: aws.amazon.com/ec2/instance-types/<family>/ (vCPU, memory GiB, accelerators per instance)
- GCP: cloud.google.com/compute/docs/accelerator-optimized-machines and .../general-purpose-machines
- Azure: learn.microsoft.com/azure/virtual-machines/sizes/gpu-accelerated/<series>
"""

from __future__ import annotations

import pytest

from pricing.instances import (
    CANONICAL_ACCELERATORS,
    InstanceShape,
    canonical_accelerator,
    instance_shape,
    shapes,
)

# (provider, instance_type, accelerator, count, vcpus, memory_gib) -- provider documentation
PUBLISHED_SHAPES = [
    # aws.amazon.com/ec2/instance-types/p5: p5.48xlarge 8 x H100 80 GB SXM, 192 vCPU, 2 TiB; p5.4xlarge 1 GPU, 16 vCPU, 256 GiB
    ("aws", "p5.48xlarge", "H100-SXM", 8, 192, 2048),
    ("aws", "p5.4xlarge", "H100-SXM", 1, 16, 256),
    # aws.amazon.com/ec2/instance-types/p5: p5en.48xlarge 8 x H200, 192 vCPU, 2 TiB
    ("aws", "p5en.48xlarge", "H200", 8, 192, 2048),
    # aws.amazon.com/ec2/instance-types/p4: p4d.24xlarge 8 x A100 40 GB, p4de 8 x A100 80 GB, 96 vCPU, 1152 GiB
    ("aws", "p4d.24xlarge", "A100-40GB", 8, 96, 1152),
    ("aws", "p4de.24xlarge", "A100-80GB", 8, 96, 1152),
    # aws.amazon.com/ec2/instance-types/p3: p3.2xlarge 1 x V100 16 GB, 8 vCPU, 61 GiB; p3dn 8 x V100 32 GB, 96 vCPU, 768 GiB
    ("aws", "p3.2xlarge", "V100", 1, 8, 61),
    ("aws", "p3dn.24xlarge", "V100-32GB", 8, 96, 768),
    # aws.amazon.com/ec2/instance-types/g5: g5.xlarge 1 x A10G, 4 vCPU, 16 GiB; g5.48xlarge 8 GPUs, 192 vCPU, 768 GiB
    ("aws", "g5.xlarge", "A10G", 1, 4, 16),
    ("aws", "g5.48xlarge", "A10G", 8, 192, 768),
    # aws.amazon.com/ec2/instance-types/g6e: g6e.xlarge 1 x L40S, 4 vCPU, 32 GiB
    ("aws", "g6e.xlarge", "L40S", 1, 4, 32),
    # aws.amazon.com/ec2/instance-types/g6: g6.12xlarge 4 x L4, 48 vCPU, 192 GiB
    ("aws", "g6.12xlarge", "L4", 4, 48, 192),
    # aws.amazon.com/ec2/instance-types/g4: g4dn.xlarge 1 x T4, 4 vCPU, 16 GiB
    ("aws", "g4dn.xlarge", "T4", 1, 4, 16),
    # aws.amazon.com/ec2/instance-types/inf2: inf2.48xlarge 12 Inferentia2 chips, 192 vCPU, 768 GiB
    ("aws", "inf2.48xlarge", "Inferentia2", 12, 192, 768),
    # aws.amazon.com/ec2/instance-types/trn1: trn1.32xlarge 16 Trainium chips, 128 vCPU, 512 GiB
    ("aws", "trn1.32xlarge", "Trainium1", 16, 128, 512),
    # aws.amazon.com/ec2/instance-types/trn2: trn2.48xlarge 16 Trainium2 chips, 192 vCPU, 2 TiB
    ("aws", "trn2.48xlarge", "Trainium2", 16, 192, 2048),
    # aws.amazon.com/ec2/instance-types/p6: p6-b200.48xlarge 8 x B200, 192 vCPU, 2 TiB
    ("aws", "p6-b200.48xlarge", "B200", 8, 192, 2048),
    # aws.amazon.com/ec2/instance-types/c7i and m7i: c7i.2xlarge 8 vCPU 16 GiB, m7i.large 2 vCPU 8 GiB
    ("aws", "c7i.2xlarge", None, 0, 8, 16),
    ("aws", "m7i.large", None, 0, 2, 8),
    # GCP A3: a3-highgpu-8g 208 vCPU, 1872 GB, 8 x H100 80 GB; a3-ultragpu-8g 224 vCPU, 2952 GB, 8 x H200
    ("gcp", "a3-highgpu-8g", "H100-SXM", 8, 208, 1872),
    ("gcp", "a3-highgpu-1g", "H100-SXM", 1, 26, 234),
    ("gcp", "a3-ultragpu-8g", "H200", 8, 224, 2952),
    # GCP A2: a2-highgpu-1g 12 vCPU 85 GB 1 x A100 40 GB; a2-megagpu-16g 96 vCPU 1360 GB 16 GPUs;
    # a2-ultragpu-1g 12 vCPU 170 GB 1 x A100 80 GB
    ("gcp", "a2-highgpu-1g", "A100-40GB", 1, 12, 85),
    ("gcp", "a2-megagpu-16g", "A100-40GB", 16, 96, 1360),
    ("gcp", "a2-ultragpu-1g", "A100-80GB", 1, 12, 170),
    # GCP G2: g2-standard-24 2 x L4, 24 vCPU, 96 GB; g2-standard-32 1 x L4, 32 vCPU, 128 GB
    ("gcp", "g2-standard-24", "L4", 2, 24, 96),
    ("gcp", "g2-standard-32", "L4", 1, 32, 128),
    # GCP N1/N2/C3 general purpose: n1-standard-8 8 vCPU 30 GB; n2-standard-128 128 vCPU 512 GB; c3-standard-176 704 GB
    ("gcp", "n1-standard-8", None, 0, 8, 30),
    ("gcp", "n2-standard-128", None, 0, 128, 512),
    ("gcp", "c3-standard-176", None, 0, 176, 704),
    # N1 host with attached GPUs (naming convention of pricing.instances): the host shape plus the GPUs
    ("gcp", "n1-standard-8+T4x1", "T4", 1, 8, 30),
    ("gcp", "n1-standard-32+V100x4", "V100", 4, 32, 120),
    # Azure ND H100 v5: ND96isr_H100_v5 96 vCPU, 1900 GiB, 8 x H100 80 GB
    ("azure", "Standard_ND96isr_H100_v5", "H100-SXM", 8, 96, 1900),
    # Azure NC A100 v4: NC24ads 24 vCPU 220 GiB 1 x A100 80 GB PCIe; NC96ads 96 vCPU 880 GiB 4 GPUs
    ("azure", "Standard_NC24ads_A100_v4", "A100-80GB", 1, 24, 220),
    ("azure", "Standard_NC96ads_A100_v4", "A100-80GB", 4, 96, 880),
    # Azure NCads H100 v5 (H100 NVL 94 GB): NC40ads 40 vCPU 320 GiB 1 GPU; NC80adis 80 vCPU 640 GiB 2 GPUs
    ("azure", "Standard_NC40ads_H100_v5", "H100-NVL", 1, 40, 320),
    ("azure", "Standard_NC80adis_H100_v5", "H100-NVL", 2, 80, 640),
    # Azure ND A100 v4: ND96asr_v4 8 x A100 40 GB, 96 vCPU, 900 GiB
    ("azure", "Standard_ND96asr_v4", "A100-40GB", 8, 96, 900),
    # Azure NVadsA10 v5: NV36ads 1 full A10, 36 vCPU, 440 GiB
    ("azure", "Standard_NV36ads_A10_v5", "A10", 1, 36, 440),
    # Azure NCasT4_v3: NC4as 1 x T4, 4 vCPU, 28 GiB; NC64as 4 x T4, 64 vCPU, 440 GiB
    ("azure", "Standard_NC4as_T4_v3", "T4", 1, 4, 28),
    ("azure", "Standard_NC64as_T4_v3", "T4", 4, 64, 440),
    # Azure Dsv5 / Fsv2: D2s_v5 2 vCPU 8 GiB; F72s_v2 72 vCPU 144 GiB
    ("azure", "Standard_D2s_v5", None, 0, 2, 8),
    ("azure", "Standard_F72s_v2", None, 0, 72, 144),
]


@pytest.mark.parametrize("provider,itype,acc,count,vcpus,mem", PUBLISHED_SHAPES)
def test_published_shapes(
    provider: str, itype: str, acc: str | None, count: int, vcpus: int, mem: int
) -> None:
    shape = instance_shape(provider, itype)
    assert shape is not None, f"{provider} {itype} missing"
    assert (shape.accelerator, shape.accelerator_count, shape.vcpus, shape.memory_gib) == (
        acc,
        count,
        vcpus,
        mem,
    )


def test_lookup_is_case_insensitive_and_unknown_is_none() -> None:
    assert instance_shape("AWS", "P5.48XLARGE") == instance_shape("aws", "p5.48xlarge")
    assert instance_shape("azure", "standard_nd96isr_h100_v5") is not None
    assert instance_shape("aws", "p9.96xlarge") is None
    assert instance_shape("gcp", "p5.48xlarge") is None  # right name, wrong provider


def test_shapes_filter_and_consistency() -> None:
    every = shapes()
    assert {s.provider for s in every} == {"aws", "gcp", "azure"}
    gcp = shapes("gcp")
    assert gcp and all(s.provider == "gcp" for s in gcp)
    assert len(every) == len(shapes("aws")) + len(gcp) + len(shapes("azure"))
    for s in every:
        assert isinstance(s, InstanceShape)
        assert s.vcpus > 0 and s.memory_gib > 0, s
        if s.accelerator is None:
            assert s.accelerator_count == 0, s
        else:
            assert s.accelerator in CANONICAL_ACCELERATORS, s
            assert s.accelerator_count > 0, s


def test_required_families_are_complete() -> None:
    # Every size of these families (aws.amazon.com/ec2/instance-types): 8 sizes of g6e/g6/g5, 7 of g4dn,
    # 4 of inf2, 11 of c7i/m7i (large .. 48xlarge and two metal sizes)
    expected = {"g6e": 8, "g6": 8, "g5": 8, "g4dn": 7, "inf2": 4, "c7i": 11, "m7i": 11}
    for family, n in expected.items():
        assert len([s for s in shapes("aws") if s.family == family]) == n, family
    # GCP: n2-standard 2..128 (10 sizes), c3-standard 4..176 (6 sizes), g2-standard 4..96 (8 sizes)
    gcp_expected = {"n2-standard": 10, "c3-standard": 6, "g2-standard": 8}
    for family, n in gcp_expected.items():
        assert len([s for s in shapes("gcp") if s.family == family]) == n, family
    # Azure: Dsv5 D2s..D96s (8 sizes), Fsv2 F2s..F72s (8 sizes)
    assert len([s for s in shapes("azure") if s.family == "Ds_v5"]) == 8
    assert len([s for s in shapes("azure") if s.family == "Fs_v2"]) == 8


ALIASES = [
    # SkyPilot catalog names (AcceleratorName column)
    ("H100", None, None, "H100-SXM"),
    ("H100-MEGA", "gcp", None, "H100-SXM"),
    ("H200", None, None, "H200"),
    ("A100", None, None, "A100-40GB"),
    ("A100-80GB", None, None, "A100-80GB"),
    ("A10G", "aws", None, "A10G"),
    ("A10", "azure", None, "A10"),
    ("L4", None, None, "L4"),
    ("L40S", None, None, "L40S"),
    ("T4", None, None, "T4"),
    ("V100", None, None, "V100"),
    ("V100-32GB", None, None, "V100-32GB"),
    ("Inferentia2", "aws", None, "Inferentia2"),
    ("Trainium", "aws", None, "Trainium1"),
    ("Trainium2", "aws", None, "Trainium2"),
    ("MI300X", "azure", None, "MI300X"),
    ("B200", None, None, "B200"),
    # GCP accelerator type ids (cloud.google.com/compute/docs/gpus)
    ("nvidia-tesla-t4", "gcp", None, "T4"),
    ("nvidia-tesla-v100", "gcp", None, "V100"),
    ("nvidia-tesla-a100", "gcp", None, "A100-40GB"),
    ("nvidia-a100-80gb", "gcp", None, "A100-80GB"),
    ("nvidia-h100-80gb", "gcp", None, "H100-SXM"),
    ("nvidia-h100-mega-80gb", "gcp", None, "H100-SXM"),
    ("nvidia-h200-141gb", "gcp", None, "H200"),
    ("nvidia-l4", "gcp", None, "L4"),
    ("nvidia-b200", "gcp", None, "B200"),
    # TPU slice names map to the chip generation
    ("tpu-v5litepod-8", "gcp", None, "TPU-v5e"),
    ("tpu-v5p-128", "gcp", None, "TPU-v5p"),
    ("tpu-v6e-16", "gcp", None, "TPU-v6e"),
    # spelled-out and differently cased names
    ("NVIDIA H100 NVL", None, None, "H100-NVL"),
    ("h100 pcie", None, None, "H100-PCIE"),
    ("AMD Instinct MI300X", None, None, "MI300X"),
    ("a100-80gb", None, None, "A100-80GB"),
    ("NVIDIA A100-SXM4-40GB", None, None, "A100-40GB"),  # nvidia-smi's product name
    ("H800", None, None, "H800"),  # known part, not sold by these clouds (not in CANONICAL_ACCELERATORS)
    # per-accelerator memory tells the variants apart (GiB of one device)
    ("A100", None, 80, "A100-80GB"),
    ("A100", None, 40, "A100-40GB"),
    ("V100", None, 32, "V100-32GB"),
    ("H100", "azure", 94, "H100-NVL"),
]


@pytest.mark.parametrize("name,provider,memory,expected", ALIASES)
def test_canonical_accelerator_aliases(
    name: str, provider: str | None, memory: float | None, expected: str
) -> None:
    assert canonical_accelerator(name, provider, memory) == expected


@pytest.mark.parametrize("name", ["", "   ", "P100", "K80", "Inferentia", "tpu-v2-8", "RTX-4090", "A100-SXM4"])
def test_unknown_accelerators_are_none(name: str) -> None:
    # P100/K80/TPU v2 and Inferentia (first generation) are not in the canonical list; no price list says
    # "A100-SXM4" without the memory, and SXM4 A100s come with 40 or 80 GB
    assert canonical_accelerator(name) is None


def test_every_canonical_id_maps_to_itself() -> None:
    for acc in CANONICAL_ACCELERATORS:
        assert canonical_accelerator(acc) == acc
        assert canonical_accelerator(acc.lower()) == acc

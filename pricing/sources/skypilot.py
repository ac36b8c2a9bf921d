"""Import a SkyPilot-format ``vms.csv`` (AWS, GCP, Azure or Lambda) into offers.

The SkyPilot catalog (skypilot-org/skypilot-catalog, ``catalogs/v8/<cloud>/vms.csv``) lists one row
per instance type per region -- for AWS and GCP per availability zone -- with an on-demand ``Price``
and a ``SpotPrice`` in USD per hour. The import makes at most one ``on_demand`` and one ``spot`` offer
per (instance type, region):

* **Zones.** Prices of the zones of a region are combined by their median. AWS lists one on-demand
  price per region (so the median is that price) but a spot price per zone; the median is the
  figure a workload spread over the region's zones typically pays.
* **Missing prices.** An empty ``Price`` gives an on-demand offer with ``price=None`` (listed but
  unpriced, e.g. AWS p5e.48xlarge), never 0. A spot offer is made only when at least one zone has
  a spot price; types without any are counted under ``no_spot_price``.
* **GCP GPUs.** GPU rows have an empty ``InstanceType`` and carry only the GPU price. They are added
  to their host VM in the same zone: a2/a3/a4 machine types come with a fixed GPU model and count
  (``a3-highgpu-8g`` = 8 x H100, ``g2-standard-24`` = 2 x L4); N1 machines take T4, V100, P4 or P100
  GPUs, composed as ``<n1 type>+<GPU>x<count>`` for each count GCP allows on that host size. GPU rows
  used by no host, TPU slices and TPU host VMs are listed in ``skipped`` with their reason.
* **Azure.** Rows whose ``Generation`` is ``V1,V2`` are published unquoted, so they have one field
  more than the header; the extra field is joined back into ``Generation``.
* **Lambda** (and other GPU clouds in the same schema) has one row per instance type and region, no
  zones and no spot prices; prices include the GPUs. Shapes (vCPUs, memory, GPU count) come from the
  file, as the instance shape table has no Lambda types. The file names the H100 of
  ``gpu_1x_h100_pcie`` and of ``gpu_*x_h100_sxm5`` alike ("H100", 80 GB); the ``_pcie`` in the type
  name makes the first ``H100-PCIE``. GH200, A6000 and RTX6000 are kept as published.
* Accelerator names go through :func:`pricing.instances.canonical_accelerator`; a name it does not
  know (e.g. Inferentia, P100, M60) is kept as published. Fractional GPU shares (Azure NVadsA10 v5
  with 1/6, 1/3 or 1/2 of an A10) keep the accelerator name with ``accelerator_count`` 0.
"""

from __future__ import annotations

import csv
import hashlib
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from pricing.errors import InputError
from pricing.schema import Offer

HEADERS: dict[str, tuple[str, ...]] = {
    "aws": ("InstanceType", "AcceleratorName", "AcceleratorCount", "vCPUs", "MemoryGiB", "GpuInfo", "Price",
            "SpotPrice", "Region", "AvailabilityZone", "Arch"),
    "gcp": ("InstanceType", "vCPUs", "MemoryGiB", "AcceleratorName", "AcceleratorCount", "GpuInfo", "Region",
            "AvailabilityZone", "Price", "SpotPrice"),
    "azure": ("InstanceType", "AcceleratorName", "AcceleratorCount", "vCPUs", "MemoryGiB", "GpuInfo", "Price",
              "SpotPrice", "Region", "Generation"),
    "lambda": ("InstanceType", "AcceleratorName", "AcceleratorCount", "vCPUs", "MemoryGiB", "Price", "Region",
               "GpuInfo", "SpotPrice"),
}
SERVICES = {"aws": "AmazonEC2", "gcp": "Compute Engine", "azure": "Virtual Machines", "lambda": "Lambda Cloud"}

# GCP machine families with built-in GPUs: family -> GPU name as the catalog spells it.
GCP_FIXED_GPU = {
    "a2-highgpu": "A100", "a2-megagpu": "A100", "a2-ultragpu": "A100-80GB", "a3-highgpu": "H100",
    "a3-edgegpu": "H100", "a3-megagpu": "H100-MEGA", "a3-ultragpu": "H200", "a4-highgpu": "B200",
}
_GCP_FIXED_RE = re.compile(r"^(a[234]-[a-z]+gpu)-(\d+)g(-nolssd)?$")
# g2-standard-N: L4 count by vCPUs (GCP "GPU machine types", G2 table).
GCP_G2_L4 = {4: 1, 8: 1, 12: 1, 16: 1, 32: 1, 24: 2, 48: 4, 96: 8}
# N1 hosts with attached GPUs: (GPU, count) -> (max vCPUs, max memory GiB) of the host
# (GCP "GPU machine types", N1 general-purpose table).
GCP_N1_GPU_LIMITS: dict[tuple[str, int], tuple[float, float]] = {
    ("T4", 1): (48, 312), ("T4", 2): (48, 312), ("T4", 4): (96, 624),
    ("V100", 1): (12, 78), ("V100", 2): (24, 156), ("V100", 4): (48, 312), ("V100", 8): (96, 624),
    ("P4", 1): (24, 156), ("P4", 2): (48, 312), ("P4", 4): (96, 624),
    ("P100", 1): (16, 104), ("P100", 2): (32, 208), ("P100", 4): (96, 624),
}
_N1_HOST_RE = re.compile(r"^n1-(standard|highmem|highcpu)-\d+$")
_MIB_RE = re.compile(r"'SizeInMiB':\s*(\d+)")
_PCIE_RE = re.compile(r"_pcie(_|$)", re.IGNORECASE)


@dataclass
class ImportResult:
    offers: list[Offer]
    counts: dict[str, int]
    skipped: list[tuple[int, str]] = field(default_factory=list)
    source: str = ""
    fetched_at: str = ""


@dataclass
class _Group:
    """All zone rows of one (instance type, region)."""

    line: int
    accelerator: str | None
    accelerator_count: int
    vcpus: float | None
    memory_gib: float | None
    prices: list[Decimal | None] = field(default_factory=list)
    spots: list[Decimal | None] = field(default_factory=list)


def _dec(text: str, line: int, col: str) -> Decimal | None:
    text = text.strip()
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{col} {text!r} is not a number") from None
    if not value.is_finite() or value < 0:
        raise ValueError(f"{col} {text!r} is not a valid price")
    return value


def _float(text: str) -> float | None:
    text = text.strip()
    return float(text) if text else None


def _median(values: list[Decimal | None]) -> Decimal | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def _canonical(name: str, gpu_info: str) -> str | None:
    if not name.strip():
        return None
    from pricing.instances import canonical_accelerator

    m = _MIB_RE.search(gpu_info)
    mem = int(m.group(1)) / 1024 if m else None
    return canonical_accelerator(name, memory_gib=mem) or name.strip()


def _rows(path: Path, provider: str, skipped: list[tuple[int, str]]) -> list[tuple[int, dict[str, str]]]:
    header = HEADERS[provider]
    out: list[tuple[int, dict[str, str]]] = []
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        first = next(reader, None)
        if first is None or tuple(c.strip() for c in first) != header:
            raise InputError(
                f"not a SkyPilot {provider} vms.csv: header should be {','.join(header)}; "
                f"check --provider", where=str(path))
        for row in reader:
            line = reader.line_num
            if not row:
                continue
            if len(row) == len(header) + 1 and provider == "azure":
                row = [*row[:-2], f"{row[-2]},{row[-1]}"]  # unquoted "V1,V2" Generation
            if len(row) != len(header):
                skipped.append((line, f"{len(row)} fields, expected {len(header)}"))
                continue
            out.append((line, dict(zip(header, row, strict=True))))
    return out


def import_skypilot_csv(path: str | Path, provider: str, as_of: str | None = None) -> ImportResult:
    """Read a SkyPilot ``vms.csv`` of ``provider`` (aws, gcp, azure or lambda) into offers; see the module doc.

    ``as_of`` (YYYY-MM-DD) dates the prices; without it they are dated by the file's modification time,
    which is when it was downloaded or copied, not when its prices were published.
    """
    if provider not in HEADERS:
        raise InputError(f"unknown provider {provider!r} for a SkyPilot import; use one of {', '.join(HEADERS)}")
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", where=str(path))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    fetched_at = as_of or datetime.fromtimestamp(path.stat().st_mtime, UTC).isoformat(timespec="seconds")
    source = f"SkyPilot catalog {provider}/{path.name} (sha256 {digest[:12]})"
    skipped: list[tuple[int, str]] = []
    rows = _rows(path, provider, skipped)
    data_rows = len(rows) + len(skipped)  # rows read, including malformed ones
    try:
        groups = _gcp_groups(rows, skipped) if provider == "gcp" else _plain_groups(rows, provider)
    except ValueError as exc:
        raise InputError(str(exc), where=str(path)) from None
    offers: list[Offer] = []
    counts: Counter[str] = Counter(rows=data_rows)
    for (itype, region), g in sorted(groups.items()):
        _apply_shape(provider, itype, g)
        common: dict[str, Any] = {
            "provider": provider, "service": SERVICES[provider], "region": region, "resource": "instance",
            "unit": "hour", "source": source, "effective_date": fetched_at[:10], "fetched_at": fetched_at,
            "instance_type": itype, "accelerator": g.accelerator, "accelerator_count": g.accelerator_count,
            "vcpus": g.vcpus, "memory_gib": g.memory_gib,
        }
        price = _median(g.prices)
        offers.append(Offer(sku=f"skypilot:{provider}:{region}:{itype}:on_demand", purchase_option="on_demand",
                            price=price, **common))
        counts["priced" if price is not None else "unpriced"] += 1
        spot = _median(g.spots)
        if spot is None:
            counts["no_spot_price"] += 1
        else:
            offers.append(Offer(sku=f"skypilot:{provider}:{region}:{itype}:spot", purchase_option="spot",
                                price=spot, **common))
            counts["spot"] += 1
    counts["skipped"] = len(skipped)
    counts["offers"] = len(offers)
    counts["instance_types"] = len({k[0] for k in groups})
    counts["regions"] = len({k[1] for k in groups})
    skipped.sort()
    return ImportResult(offers, dict(counts), skipped, source, fetched_at)


def _apply_shape(provider: str, itype: str, g: _Group) -> None:
    """Take the accelerator from the instance shape table when it knows the type (it tells, e.g.,
    Azure's H100 NVL from the SXM H100, which the catalog names alike, and names trn2's Trainium2)."""
    from pricing.instances import instance_shape

    shape = instance_shape(provider, itype.split("+", 1)[0] if provider == "gcp" else itype)
    if shape is not None and shape.accelerator and (provider != "gcp" or "+" not in itype):
        g.accelerator, g.accelerator_count = shape.accelerator, shape.accelerator_count
    elif provider == "lambda" and g.accelerator == "H100-SXM" and _PCIE_RE.search(itype):
        g.accelerator = "H100-PCIE"  # gpu_1x_h100_pcie: the file says "H100", 80 GB, as for the SXM types


def _count(text: str) -> int:
    """Accelerators per instance; 0 for none and for fractional shares (0.167 of a GPU)."""
    raw = _float(text) or 0.0
    return int(raw) if raw == int(raw) else 0


def _plain_groups(rows: list[tuple[int, dict[str, str]]], provider: str) -> dict[tuple[str, str], _Group]:
    groups: dict[tuple[str, str], _Group] = {}
    for line, r in rows:
        try:
            key = (r["InstanceType"].strip(), r["Region"].strip())
            g = groups.get(key)
            if g is None:
                n = _count(r["AcceleratorCount"])
                acc = _canonical(r["AcceleratorName"], r["GpuInfo"])
                g = groups[key] = _Group(line, acc, n, _float(r["vCPUs"]), _float(r["MemoryGiB"]))
            g.prices.append(_dec(r["Price"], line, "Price"))
            g.spots.append(_dec(r["SpotPrice"], line, "SpotPrice"))
        except ValueError as exc:
            raise ValueError(f"line {line}: {exc}") from None
    return groups


def _gcp_groups(rows: list[tuple[int, dict[str, str]]], skipped: list[tuple[int, str]]) -> dict[tuple[str, str], _Group]:
    # GPU rows by (catalog GPU name, count, zone) -> (line, price, spot, canonical name)
    gpus: dict[tuple[str, int, str], tuple[int, Decimal | None, Decimal | None, str]] = {}
    hosts: list[tuple[int, dict[str, str]]] = []
    for line, r in rows:
        name = r["AcceleratorName"].strip()
        try:
            if r["InstanceType"].strip():
                hosts.append((line, r))
            elif name.startswith("tpu-"):
                skipped.append((line, "TPU slice (not a VM offer)"))
            else:
                n = _count(r["AcceleratorCount"])
                gpus[(name, n, r["AvailabilityZone"].strip())] = (
                    line, _dec(r["Price"], line, "Price"), _dec(r["SpotPrice"], line, "SpotPrice"),
                    _canonical(name, r["GpuInfo"]) or name)
        except ValueError as exc:
            raise ValueError(f"line {line}: {exc}") from None
    used: set[tuple[str, int, str]] = set()
    groups: dict[tuple[str, str], _Group] = {}

    def add(itype: str, region: str, line: int, acc: str | None, n: int, r: dict[str, str],
            price: Decimal | None, spot: Decimal | None) -> None:
        g = groups.get((itype, region))
        if g is None:
            g = groups[(itype, region)] = _Group(line, acc, n, _float(r["vCPUs"]), _float(r["MemoryGiB"]))
        g.prices.append(price)
        g.spots.append(spot)

    def plus(a: Decimal | None, b: Decimal | None) -> Decimal | None:
        return None if a is None or b is None else a + b

    for line, r in hosts:
        itype, region, zone = r["InstanceType"].strip(), r["Region"].strip(), r["AvailabilityZone"].strip()
        if itype.endswith("-tpu"):
            skipped.append((line, "TPU host VM (sold with a TPU slice)"))
            continue
        try:
            price, spot = _dec(r["Price"], line, "Price"), _dec(r["SpotPrice"], line, "SpotPrice")
        except ValueError as exc:
            raise ValueError(f"line {line}: {exc}") from None
        pairing = _gcp_fixed_gpu(itype, _float(r["vCPUs"]))
        if pairing is None:
            add(itype, region, line, None, 0, r, price, spot)
        else:
            gpu_key = (pairing[0], pairing[1], zone)
            gpu = gpus.get(gpu_key)
            used.add(gpu_key)
            acc = gpu[3] if gpu else _canonical(pairing[0], "")
            add(itype, region, line, acc, pairing[1], r, plus(price, gpu and gpu[1]), plus(spot, gpu and gpu[2]))
        if _N1_HOST_RE.match(itype):
            vcpus, mem = _float(r["vCPUs"]) or 0.0, _float(r["MemoryGiB"]) or 0.0
            for (gname, n), (max_vcpus, max_mem) in GCP_N1_GPU_LIMITS.items():
                gpu = gpus.get((gname, n, zone))
                if gpu is None or vcpus > max_vcpus or mem > max_mem:
                    continue
                used.add((gname, n, zone))
                add(f"{itype}+{gpu[3]}x{n}", region, line, gpu[3], n, r, plus(price, gpu[1]), plus(spot, gpu[2]))
    for key, (line, *_rest) in gpus.items():
        if key not in used:
            skipped.append((line, "GPU row with no host VM row in its zone"))
    return groups


def _gcp_fixed_gpu(itype: str, vcpus: float | None) -> tuple[str, int] | None:
    """The GPU (catalog name, count) built into a GCP machine type, or None for machines without one."""
    m = _GCP_FIXED_RE.match(itype)
    if m and m.group(1) in GCP_FIXED_GPU:
        return GCP_FIXED_GPU[m.group(1)], int(m.group(2))
    if itype.startswith("g2-standard-") and vcpus is not None and int(vcpus) in GCP_G2_L4:
        return "L4", GCP_G2_L4[int(vcpus)]
    return None

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
* **Values that are not prices or shapes** -- ``NaN``, ``Infinity``, ``1e999999999``, negative prices,
  counts or sizes, a vCPU or memory of 0, text in a number column, an empty or malformed instance type or
  region -- make the row skipped (reason ``invalid <column>``), listed in :attr:`ImportResult.invalid`
  with its line and value, and counted under ``invalid``; ``-0`` is 0. A price of 0 is never an offer: it
  counts as no price for that zone (``zero_price``). A GCP host row of 0 (a4-highgpu-8g) still adds up
  with its GPU row. A file whose rows are all skipped is refused.
* **Files that cannot be read** as UTF-8 CSV text (a directory, a pipe, a symbolic link loop, no
  permission, binary, UTF-16) are an :class:`InputError` naming the file (:mod:`pricing.textfile`).
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from pricing.errors import InputError
from pricing.limits import decimal_problem, float_problem, show
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
_MIB_RE = re.compile(r"'SizeInMiB':\s*(\d{1,9})\b")
_PCIE_RE = re.compile(r"_pcie(_|$)", re.IGNORECASE)

# Bounds of one row's figures (USD per instance-hour; per instance). Far outside published figures: the
# reference catalogs of 2026-05-20 (skypilot-org/skypilot-catalog v8 aws, anycloud-sh/catalog gcp, azure,
# lambda) range from 0.003514 USD/h (an Azure spot price) to 29,362.176 USD/h (a GCP TPU v5p-12288 slice),
# at most 832 vCPUs and 15,200 GiB (Azure) and 16 accelerators (trn1, a2-megagpu-16g) per instance.
MAX_HOURLY = Decimal(100_000)
MIN_HOURLY = Decimal("0.000001")
MAX_VCPUS = 10_000.0
MAX_MEMORY_GIB = 100_000.0
MAX_ACCELERATORS = 128
_NAME_MAX = 128


@dataclass
class ImportResult:
    offers: list[Offer]
    counts: dict[str, int]
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (line, reason), every row not used
    source: str = ""
    fetched_at: str = ""
    invalid: list[tuple[int, str]] = field(default_factory=list)  # (line, "<column> '<value>' <problem>")


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


class _Invalid(ValueError):
    """A row value that is not a price, count, size or name; the row is skipped."""

    def __init__(self, column: str, detail: str) -> None:
        super().__init__(f"{column} {detail}")
        self.column = column


@dataclass
class _Row:
    """One data row, its values checked."""

    line: int
    itype: str
    region: str
    zone: str
    acc_name: str
    gpu_info: str
    count: int
    vcpus: float | None
    memory_gib: float | None
    price: Decimal | None
    spot: Decimal | None


def _price(r: dict[str, str], col: str) -> Decimal | None:
    text = r[col].strip()
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise _Invalid(col, f"{show(text)} is not a number") from None
    problem = decimal_problem(value, high=MAX_HOURLY, smallest=MIN_HOURLY, unit=" USD per hour")
    if problem:
        raise _Invalid(col, f"{show(text)} {problem}")
    return value if value != 0 else Decimal(0)  # -0 is 0


def _number(r: dict[str, str], col: str, high: float, positive: bool) -> float | None:
    text = r[col].strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise _Invalid(col, f"{show(text)} is not a number") from None
    problem = float_problem(value, high=high, positive=positive)
    if problem:
        raise _Invalid(col, f"{show(text)} {problem}")
    return value + 0.0  # -0.0 is 0.0


def _count(r: dict[str, str]) -> int:
    """Accelerators per instance; 0 for none and for fractional shares (0.167 of a GPU)."""
    raw = _number(r, "AcceleratorCount", MAX_ACCELERATORS, positive=False) or 0.0
    return int(raw) if raw == int(raw) else 0


def _name(r: dict[str, str], col: str, *, required: bool, spaces: bool = False) -> str:
    text = r[col].strip()
    if not text:
        if required:
            raise _Invalid(col, "is empty")
        return ""
    if len(text) > _NAME_MAX or not text.isprintable() or (not spaces and any(c.isspace() for c in text)):
        raise _Invalid(col, f"{show(text)} is not a name (control characters, spaces or over {_NAME_MAX} characters)")
    return text


def _row(line: int, r: dict[str, str], *, host_required: bool) -> _Row:
    """Check every value of a row (raises _Invalid naming the first bad one)."""
    return _Row(
        line=line,
        itype=_name(r, "InstanceType", required=host_required),
        region=_name(r, "Region", required=True),
        zone=_name(r, "AvailabilityZone", required=False) if "AvailabilityZone" in r else "",
        acc_name=_name(r, "AcceleratorName", required=False, spaces=True),
        gpu_info=r.get("GpuInfo", ""),
        count=_count(r),
        vcpus=_number(r, "vCPUs", MAX_VCPUS, positive=True),
        memory_gib=_number(r, "MemoryGiB", MAX_MEMORY_GIB, positive=True),
        price=_price(r, "Price"),
        spot=_price(r, "SpotPrice"),
    )


def _checked_rows(rows: list[tuple[int, dict[str, str]]], skipped: list[tuple[int, str]],
                  invalid: list[tuple[int, str]], *, host_required: bool) -> list[_Row]:
    out = []
    for line, r in rows:
        try:
            out.append(_row(line, r, host_required=host_required))
        except _Invalid as exc:
            skipped.append((line, f"invalid {exc.column}"))
            invalid.append((line, str(exc)))
    return out


def _median(values: list[Decimal | None]) -> Decimal | None:
    """The median of the zones' prices; a zone priced 0 has no price (a zero price is never an offer)."""
    known = [v for v in values if v is not None and v > 0]
    return statistics.median(known) if known else None


def _canonical(name: str, gpu_info: str) -> str | None:
    if not name.strip():
        return None
    from pricing.instances import canonical_accelerator

    m = _MIB_RE.search(gpu_info)
    mem = int(m.group(1)) / 1024 if m else None
    return canonical_accelerator(name, memory_gib=mem) or name.strip()


def _rows(path: Path, provider: str, skipped: list[tuple[int, str]]) -> list[tuple[int, dict[str, str]]]:
    from pricing.textfile import open_checked

    header = HEADERS[provider]
    out: list[tuple[int, dict[str, str]]] = []
    with open_checked(path, what="SkyPilot vms.csv") as fh:
        reader = csv.reader(fh)
        try:
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
        except csv.Error as exc:
            raise InputError(f"line {reader.line_num + 1}: not CSV ({exc}); is this a SkyPilot vms.csv?",
                             where=str(path)) from None
    return out


def _file_facts(path: Path, as_of: str | None) -> tuple[str, str]:
    """(sha256 of the file, the date its prices get: ``as_of`` or the file's modification time)."""
    from pricing.textfile import check_text_file

    check_text_file(path, what="SkyPilot vms.csv")
    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        mtime = os.stat(path).st_mtime
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror or exc})", where=str(path)) from None
    if as_of:
        return h.hexdigest(), as_of
    try:
        return h.hexdigest(), datetime.fromtimestamp(mtime, UTC).isoformat(timespec="seconds")
    except (OverflowError, OSError, ValueError):
        raise InputError("its modification time is not a date; give --as-of YYYY-MM-DD", where=str(path)) from None


def import_skypilot_csv(path: str | Path, provider: str, as_of: str | None = None) -> ImportResult:
    """Read a SkyPilot ``vms.csv`` of ``provider`` (aws, gcp, azure or lambda) into offers; see the module doc.

    ``as_of`` (YYYY-MM-DD) dates the prices; without it they are dated by the file's modification time,
    which is when it was downloaded or copied, not when its prices were published. Rows with values that
    are not prices, counts or sizes are skipped and listed in ``invalid``; a file with no usable row is an
    InputError.
    """
    if provider not in HEADERS:
        raise InputError(f"unknown provider {provider!r} for a SkyPilot import; use one of {', '.join(HEADERS)}")
    path = Path(path)
    digest, fetched_at = _file_facts(path, as_of)
    source = f"SkyPilot catalog {provider}/{path.name} (sha256 {digest[:12]})"
    skipped: list[tuple[int, str]] = []
    invalid: list[tuple[int, str]] = []
    rows = _rows(path, provider, skipped)
    data_rows = len(rows) + len(skipped)  # rows read, including malformed ones
    if provider == "gcp":
        groups = _gcp_groups(rows, skipped, invalid)
    else:
        groups = _plain_groups(_checked_rows(rows, skipped, invalid, host_required=True))
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
        counts["zero_price"] += sum(1 for v in (*g.prices, *g.spots) if v is not None and v == 0)
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
    if invalid:
        counts["invalid"] = len(invalid)
    counts["offers"] = len(offers)
    counts["instance_types"] = len({k[0] for k in groups})
    counts["regions"] = len({k[1] for k in groups})
    skipped.sort()
    invalid.sort()
    if not offers:
        why = (f"{len(invalid)} rows with invalid values, the first at line {invalid[0][0]}: {invalid[0][1]}"
               if invalid else f"{data_rows} rows, none of them an instance offer")
        raise InputError(f"no usable rows ({why}); check that this is a SkyPilot {provider} vms.csv", where=str(path))
    return ImportResult(offers, {k: v for k, v in counts.items() if v or k in _ALWAYS}, skipped, source,
                        fetched_at, invalid)


_ALWAYS = ("rows", "skipped", "offers", "instance_types", "regions")


def _apply_shape(provider: str, itype: str, g: _Group) -> None:
    """Take the accelerator from the instance shape table when it knows the type (it tells, e.g.,
    Azure's H100 NVL from the SXM H100, which the catalog names alike, and names trn2's Trainium2)."""
    from pricing.instances import instance_shape

    shape = instance_shape(provider, itype.split("+", 1)[0] if provider == "gcp" else itype)
    if shape is not None and shape.accelerator and (provider != "gcp" or "+" not in itype):
        g.accelerator, g.accelerator_count = shape.accelerator, shape.accelerator_count
    elif provider == "lambda" and g.accelerator == "H100-SXM" and _PCIE_RE.search(itype):
        g.accelerator = "H100-PCIE"  # gpu_1x_h100_pcie: the file says "H100", 80 GB, as for the SXM types


def _plain_groups(rows: list[_Row]) -> dict[tuple[str, str], _Group]:
    groups: dict[tuple[str, str], _Group] = {}
    for r in rows:
        key = (r.itype, r.region)
        g = groups.get(key)
        if g is None:
            g = groups[key] = _Group(r.line, _canonical(r.acc_name, r.gpu_info), r.count, r.vcpus, r.memory_gib)
        g.prices.append(r.price)
        g.spots.append(r.spot)
    return groups


def _gcp_groups(rows: list[tuple[int, dict[str, str]]], skipped: list[tuple[int, str]],
                invalid: list[tuple[int, str]]) -> dict[tuple[str, str], _Group]:
    # TPU rows are skipped before their values are checked: they are never offers
    used_rows: list[tuple[int, dict[str, str]]] = []
    for line, raw in rows:
        itype, name = raw["InstanceType"].strip(), raw["AcceleratorName"].strip()
        if itype.endswith("-tpu"):
            skipped.append((line, "TPU host VM (sold with a TPU slice)"))
        elif not itype and name.startswith("tpu-"):
            skipped.append((line, "TPU slice (not a VM offer)"))
        else:
            used_rows.append((line, raw))
    checked = _checked_rows(used_rows, skipped, invalid, host_required=False)
    # GPU rows by (catalog GPU name, count, zone) -> (line, price, spot, canonical name)
    gpus: dict[tuple[str, int, str], tuple[int, Decimal | None, Decimal | None, str]] = {}
    hosts: list[_Row] = []
    for r in checked:
        if r.itype:
            hosts.append(r)
        elif not r.acc_name:
            skipped.append((r.line, "neither an instance type nor a GPU"))
        else:
            gpus[(r.acc_name, r.count, r.zone)] = (r.line, r.price, r.spot,
                                                   _canonical(r.acc_name, r.gpu_info) or r.acc_name)
    used: set[tuple[str, int, str]] = set()
    groups: dict[tuple[str, str], _Group] = {}

    def add(itype: str, r: _Row, acc: str | None, n: int, price: Decimal | None, spot: Decimal | None) -> None:
        g = groups.get((itype, r.region))
        if g is None:
            g = groups[(itype, r.region)] = _Group(r.line, acc, n, r.vcpus, r.memory_gib)
        g.prices.append(price)
        g.spots.append(spot)

    def plus(a: Decimal | None, b: Decimal | None) -> Decimal | None:
        return None if a is None or b is None else a + b

    for r in hosts:
        pairing = _gcp_fixed_gpu(r.itype, r.vcpus)
        if pairing is None:
            add(r.itype, r, None, 0, r.price, r.spot)
        else:
            gpu_key = (pairing[0], pairing[1], r.zone)
            gpu = gpus.get(gpu_key)
            used.add(gpu_key)
            acc = gpu[3] if gpu else _canonical(pairing[0], "")
            add(r.itype, r, acc, pairing[1], plus(r.price, gpu and gpu[1]), plus(r.spot, gpu and gpu[2]))
        if _N1_HOST_RE.match(r.itype):
            vcpus, mem = r.vcpus or 0.0, r.memory_gib or 0.0
            for (gname, n), (max_vcpus, max_mem) in GCP_N1_GPU_LIMITS.items():
                gpu = gpus.get((gname, n, r.zone))
                if gpu is None or vcpus > max_vcpus or mem > max_mem:
                    continue
                used.add((gname, n, r.zone))
                add(f"{r.itype}+{gpu[3]}x{n}", r, gpu[3], n, plus(r.price, gpu[1]), plus(r.spot, gpu[2]))
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

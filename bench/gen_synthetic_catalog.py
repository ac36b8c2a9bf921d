"""Generate a SYNTHETIC price catalog of 1,000,000 offers and store it as a snapshot (for benchmarks only).

The catalog covers every public region of AWS, GCP and Azure (region ids as listed by the providers in
2025: docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html,
cloud.google.com/compute/docs/regions-zones, learn.microsoft.com/azure/reliability/regions-list; read
2026-12), with

- every GPU instance type of the embedded catalog, at its embedded on-demand price (the cheapest region
  that lists it), and CPU families in the providers' naming (AWS ``m7i.2xlarge``, GCP ``n2-standard-8``,
  Azure ``Standard_D8s_v5``) priced per vCPU from the embedded c7i / m7i / r7i, n2 / c3 and D / E / F
  on-demand rates; some of these family names are made up (they follow the naming rules, not the
  providers' price lists);
- the purchase options each provider sells: AWS on-demand, spot, reserved and savings plans (1 and 3
  years), GCP on-demand, spot and committed use (1 and 3 years), Azure the same as AWS;
- the storage, request and egress rows of the embedded catalog, copied into every region.

Every price is derived: embedded price x a per-region factor (1.00 in us-east-1, us-central1 and eastus,
otherwise 1.00-1.35 from a hash of the region id) x a per-option ratio (spot from the embedded spot /
on-demand ratio of the type, or 0.30-0.60 from a hash; GCP commitments from the embedded committed /
on-demand ratios; AWS and Azure reservations and savings plans fixed ratios). None of these numbers is a
real price: the source, the SKUs and the manifest all say SYNTHETIC.

    PLANNER_HOME=/tmp/bench-home python bench/gen_synthetic_catalog.py [--offers 1000000] [--name synthetic-1m]

``--home DIR`` overrides ``$PLANNER_HOME``. The snapshot is standalone (layered on nothing) and is not made
the active catalog. Its sanity-check findings are computed and kept with it, as ``catalog import`` does.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import zlib
from collections import defaultdict
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pricing.schema import Offer

SOURCE = "SYNTHETIC benchmark catalog (bench/gen_synthetic_catalog.py): derived from the embedded catalog, not real prices"
FETCHED_AT = "2026-11-26"

REGIONS = {
    "aws": [
        "us-east-1", "us-east-2", "us-west-1", "us-west-2", "af-south-1", "ap-east-1", "ap-east-2", "ap-south-1",
        "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5",
        "ap-southeast-6", "ap-southeast-7", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ca-central-1",
        "ca-west-1", "eu-central-1", "eu-central-2", "eu-west-1", "eu-west-2", "eu-west-3", "eu-south-1",
        "eu-south-2", "eu-north-1", "il-central-1", "me-south-1", "me-central-1", "mx-central-1", "sa-east-1",
    ],
    "gcp": [
        "us-central1", "us-east1", "us-east4", "us-east5", "us-south1", "us-west1", "us-west2", "us-west3",
        "us-west4", "northamerica-northeast1", "northamerica-northeast2", "northamerica-south1",
        "southamerica-east1", "southamerica-west1", "europe-central2", "europe-north1", "europe-north2",
        "europe-southwest1", "europe-west1", "europe-west2", "europe-west3", "europe-west4", "europe-west6",
        "europe-west8", "europe-west9", "europe-west10", "europe-west12", "me-central1", "me-central2", "me-west1",
        "africa-south1", "asia-east1", "asia-east2", "asia-northeast1", "asia-northeast2", "asia-northeast3",
        "asia-south1", "asia-south2", "asia-southeast1", "asia-southeast2", "australia-southeast1",
        "australia-southeast2",
    ],
    "azure": [
        "eastus", "eastus2", "westus", "westus2", "westus3", "centralus", "northcentralus", "southcentralus",
        "westcentralus", "canadacentral", "canadaeast", "brazilsouth", "brazilsoutheast", "mexicocentral",
        "chilecentral", "northeurope", "westeurope", "uksouth", "ukwest", "francecentral", "francesouth",
        "germanywestcentral", "germanynorth", "switzerlandnorth", "switzerlandwest", "norwayeast", "norwaywest",
        "swedencentral", "swedensouth", "polandcentral", "italynorth", "spaincentral", "austriaeast",
        "belgiumcentral", "denmarkeast", "qatarcentral", "uaenorth", "uaecentral", "israelcentral",
        "southafricanorth", "southafricawest", "centralindia", "southindia", "westindia", "jioindiawest",
        "jioindiacentral", "eastasia", "southeastasia", "japaneast", "japanwest", "koreacentral", "koreasouth",
        "australiaeast", "australiasoutheast", "australiacentral", "australiacentral2", "newzealandnorth",
        "indonesiacentral", "malaysiawest", "taiwannorth",
    ],
}
REFERENCE_REGION = {"aws": "us-east-1", "gcp": "us-central1", "azure": "eastus"}
OPTIONS = {
    "aws": ("on_demand", "spot", "reserved_1y", "reserved_3y", "savings_plan_1y", "savings_plan_3y"),
    "gcp": ("on_demand", "spot", "committed_1y", "committed_3y"),
    "azure": ("on_demand", "spot", "reserved_1y", "reserved_3y", "savings_plan_1y", "savings_plan_3y"),
}
# synthetic ratios to on-demand (not published figures; chosen to sit below on-demand as commitments do)
FIXED_RATIOS = {"reserved_1y": Decimal("0.63"), "reserved_3y": Decimal("0.43"),
                "savings_plan_1y": Decimal("0.72"), "savings_plan_3y": Decimal("0.52")}
SERVICE = {"aws": "AmazonEC2", "gcp": "Compute Engine", "azure": "Virtual Machines"}
# CPU ladders: (vCPUs, size name) per provider naming scheme
AWS_SIZES = [(2, "large"), (4, "xlarge"), (8, "2xlarge"), (16, "4xlarge"), (32, "8xlarge"), (48, "12xlarge"),
             (64, "16xlarge"), (96, "24xlarge"), (128, "32xlarge"), (192, "48xlarge")]
GCP_SIZES = [2, 4, 8, 16, 22, 32, 44, 48, 64, 88, 96, 128, 176, 192]
AZURE_SIZES = [2, 4, 8, 16, 32, 48, 64, 96, 128, 192]
GIB_PER_VCPU = {"c": 2, "m": 4, "r": 8, "x": 16, "standard": 4, "highcpu": 1, "highmem": 8, "megamem": 14,
                "F": 2, "D": 4, "E": 8, "M": 24}
Q6 = Decimal("0.000001")


def _h(*parts: str) -> int:
    return zlib.crc32("|".join(parts).encode())


def region_factor(provider: str, region: str) -> Decimal:
    if region == REFERENCE_REGION[provider]:
        return Decimal(1)
    return Decimal(100 + _h(provider, region) % 36) / 100


def _q(d: Decimal) -> Decimal:
    return d.quantize(Q6, rounding=ROUND_HALF_EVEN)


def embedded_basis() -> tuple[dict[str, dict[str, dict]], dict[str, list[Offer]], dict[str, dict[str, Decimal]]]:
    """From the embedded catalog: GPU types per provider with shape and cheapest on-demand price, the storage
    rows of each provider's reference region, and per-provider per-vCPU rates by CPU kind."""
    from pricing.catalog import load_embedded

    emb = load_embedded()
    types: dict[str, dict[str, dict]] = defaultdict(dict)
    spot: dict[tuple[str, str], list[Decimal]] = defaultdict(list)
    commit: dict[tuple[str, str], list[Decimal]] = defaultdict(list)
    od: dict[tuple[str, str, str], Decimal] = {}
    for o in emb.offers:
        if o.resource == "instance" and o.price and o.purchase_option == "on_demand":
            od[(o.provider, o.region, o.instance_type or "")] = o.price
    for o in emb.offers:
        if o.resource != "instance" or not o.price or not o.instance_type:
            continue
        base = od.get((o.provider, o.region, o.instance_type))
        if o.purchase_option == "on_demand":
            t = types[o.provider].setdefault(o.instance_type, {
                "accelerator": o.accelerator, "count": o.accelerator_count, "vcpus": o.vcpus,
                "memory": o.memory_gib, "price": o.price})
            t["price"] = min(t["price"], o.price)
        elif base and o.purchase_option == "spot":
            spot[(o.provider, o.instance_type)].append(o.price / base)
        elif base and o.purchase_option.startswith("committed"):
            commit[(o.provider, o.purchase_option)].append(o.price / base)
    for p, by_type in types.items():
        for name, t in by_type.items():
            r = spot.get((p, name))
            t["spot"] = min(statistics.median(r), Decimal("0.9")) if r else None
    ratios = {k[1]: min(statistics.median(v), Decimal("0.95")) for k, v in commit.items() if k[0] == "gcp"}
    storage = {p: [o for o in emb.offers if o.provider == p and o.resource != "instance"
                   and o.region == REFERENCE_REGION[p]] for p in REGIONS}
    per_vcpu: dict[str, dict[str, Decimal]] = defaultdict(dict)
    anchors = {"aws": {"c": "c7i.xlarge", "m": "m7i.xlarge", "r": "r7i.xlarge"},
               "gcp": {"standard": "n2-standard-8", "highmem": "n2-highmem-8", "highcpu": "n2-highcpu-8"},
               "azure": {"D": "Standard_D8s_v5", "E": "Standard_E8s_v5", "F": "Standard_F8s_v2"}}
    for p, kinds in anchors.items():
        for kind, name in kinds.items():
            t = types[p].get(name)
            per_vcpu[p][kind] = t["price"] / Decimal(str(t["vcpus"])) if t and t["vcpus"] else Decimal("0.045")
        cpu = [t for t in types[p].values() if not t["count"] and t["vcpus"]]
        med = statistics.median([t["price"] / Decimal(str(t["vcpus"])) for t in cpu]) if cpu else Decimal("0.045")
        for kind, gib in GIB_PER_VCPU.items():
            per_vcpu[p].setdefault(kind, med * gib / 4 if kind in ("x", "megamem", "M") else med)
    gpu = {p: {n: t for n, t in by_type.items() if t["count"]} for p, by_type in types.items()}
    per_vcpu["gcp"]["_commit"] = ratios  # type: ignore[assignment]
    return gpu, storage, per_vcpu


def cpu_types(provider: str, per_vcpu: dict[str, Decimal], want: int) -> list[tuple[str, dict]]:
    """CPU-only types in the provider's naming, per-vCPU priced by kind, until ``want`` types."""
    out: list[tuple[str, dict]] = []

    def add(name: str, vcpus: int, kind: str, factor: float) -> bool:
        price = _q(per_vcpu[kind] * vcpus * Decimal(str(factor)))
        out.append((name, {"accelerator": None, "count": 0, "vcpus": float(vcpus),
                           "memory": float(vcpus * GIB_PER_VCPU[kind]), "price": price, "spot": None}))
        return len(out) >= want

    if provider == "aws":
        for gen in (5, 6, 7, 8, 4, 9):
            for suffix, f in (("i", 1.0), ("a", 0.9), ("g", 0.8), ("", 0.97), ("id", 1.18), ("gd", 0.95),
                              ("ad", 1.08), ("in", 1.3), ("n", 1.2), ("dn", 1.35), ("gn", 1.1), ("flex", 0.95)):
                for kind in ("c", "m", "r", "x"):
                    for vcpus, size in AWS_SIZES:
                        fam = f"{kind}{gen}{suffix}"
                        name = f"{fam}-{size}" if suffix == "flex" else f"{fam}.{size}"
                        if suffix == "flex":
                            name = f"{kind}{gen}i-flex.{size}"
                        if add(name, vcpus, kind, f * (1 - (8 - gen) * 0.03)):
                            return out
    elif provider == "gcp":
        for fam, f in (("n2", 1.0), ("n2d", 0.87), ("c3", 1.08), ("c3d", 0.95), ("n4", 0.98), ("c4", 1.12),
                       ("c4d", 1.02), ("e2", 0.7), ("n1", 0.92), ("t2d", 0.85), ("c2", 1.05), ("c2d", 1.0),
                       ("m1", 1.5), ("m3", 1.6), ("h3", 1.2), ("z3", 1.4), ("x4", 1.9), ("t2a", 0.8),
                       ("n4d", 0.9), ("c4a", 0.88), ("m4", 1.55), ("h4d", 1.15), ("n4a", 0.86), ("c3a", 0.9),
                       ("e2d", 0.68), ("n2a", 0.85), ("z4", 1.45)):
            for kind in ("standard", "highcpu", "highmem", "megamem"):
                for vcpus in GCP_SIZES:
                    if add(f"{fam}-{kind}-{vcpus}", vcpus, kind, f):
                        return out
    else:
        for series, f in (("s_v5", 1.0), ("as_v5", 0.9), ("ds_v5", 1.1), ("ads_v5", 1.0), ("s_v6", 1.02),
                          ("as_v6", 0.92), ("ps_v6", 0.8), ("pds_v6", 0.88), ("s_v4", 0.98), ("as_v4", 0.9),
                          ("ds_v4", 1.08), ("s_v3", 0.95), ("ls_v5", 0.85), ("lds_v5", 0.93), ("als_v6", 0.82),
                          ("bs_v5", 1.15), ("bds_v5", 1.22), ("s_v2", 0.93), ("ms_v2", 1.1), ("ns_v5", 1.04),
                          ("ps_v5", 0.81), ("pls_v5", 0.78), ("plds_v5", 0.84), ("pds_v5", 0.9), ("ls_v6", 0.86),
                          ("lds_v6", 0.94), ("ads_v6", 1.01), ("alds_v6", 0.9), ("ds_v6", 1.12), ("s_v7", 1.05)):
            for kind in ("D", "E", "F", "M"):
                for vcpus in AZURE_SIZES:
                    if add(f"Standard_{kind}{vcpus}{series}", vcpus, kind, f):
                        return out
    return out


def generate(total: int) -> list[Offer]:
    gpu, storage, per_vcpu = embedded_basis()
    commit: dict[str, Decimal] = per_vcpu["gcp"].pop("_commit")  # type: ignore[assignment]
    storage_rows = sum(len(storage[p]) * len(REGIONS[p]) for p in REGIONS)
    slots = {p: len(REGIONS[p]) * len(OPTIONS[p]) for p in REGIONS}
    share = {"aws": 0.33, "gcp": 0.25, "azure": 0.42}  # of the instance rows (AWS lists the most per region)
    instance_rows = total - storage_rows
    offers: list[Offer] = []
    dec = Decimal
    for p in ("aws", "gcp", "azure"):
        want_types = -(-int(instance_rows * share[p]) // slots[p])
        types = list(gpu.get(p, {}).items())
        types += cpu_types(p, per_vcpu[p], max(0, want_types - len(types)))
        ratio_fixed = {**FIXED_RATIOS, **commit}
        for region in REGIONS[p]:
            rf = region_factor(p, region)
            for name, t in types:
                od = _q(t["price"] * rf)
                sp = t["spot"] if t["spot"] is not None else dec(30 + _h(p, name, region) % 31) / 100
                for option in OPTIONS[p]:
                    if option == "on_demand":
                        price = od
                    elif option == "spot":
                        price = _q(od * sp)
                    else:
                        price = _q(od * ratio_fixed[option])
                    offers.append(Offer(p, SERVICE[p], f"synthetic:{p}:{name}:{region}:{option}", region, "instance",
                                        option, "hour", price, SOURCE, FETCHED_AT, FETCHED_AT, name,
                                        t["accelerator"], t["count"], t["vcpus"], t["memory"], None, dec(0), None))
            for o in storage[p]:
                price = None if o.price is None else _q(o.price * rf) if o.price else o.price
                offers.append(Offer(p, o.service, f"synthetic:{p}:{o.resource}:{o.storage_class}:{region}:{o.tier_start}",
                                    region, o.resource, o.purchase_option, o.unit, price, SOURCE, FETCHED_AT,
                                    FETCHED_AT, None, None, 0, None, None, o.storage_class, o.tier_start, o.tier_end))
    # trim instance rows (never storage rows) to exactly ``total``
    extra = len(offers) - total
    if extra > 0:
        keep_storage = [i for i, o in enumerate(offers) if o.resource != "instance"]
        drop = set()
        i = len(offers) - 1
        storage_idx = set(keep_storage)
        while len(drop) < extra:
            if i not in storage_idx:
                drop.add(i)
            i -= 1
        offers = [o for i, o in enumerate(offers) if i not in drop]
    if len(offers) != total:
        raise SystemExit(f"made {len(offers)} offers, not {total}: the type ladders are too short")
    return offers


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--offers", type=int, default=1_000_000)
    ap.add_argument("--name", default="synthetic-1m")
    ap.add_argument("--home", help="store directory (default $PLANNER_HOME)")
    ap.add_argument("--replace", action="store_true", help="delete a snapshot of that name first")
    a = ap.parse_args()
    if a.home:
        os.environ["PLANNER_HOME"] = a.home
    if not os.environ.get("PLANNER_HOME"):
        sys.exit("give --home DIR or set PLANNER_HOME (the synthetic catalog never goes into your own store)")
    from pricing import store

    if a.replace and (store.snapshots_dir() / a.name).exists():
        store.delete(a.name)
    t0 = time.perf_counter()
    offers = generate(a.offers)
    t1 = time.perf_counter()
    info = store.write_snapshot(a.name, offers, source=SOURCE, fetched_at=FETCHED_AT,
                                extra={"format": "synthetic", "synthetic": True, "base": None})
    t2 = time.perf_counter()
    from pricing.catalog import load_catalog
    from pricing.checks import catalog_findings

    catalog_findings(load_catalog(a.name))  # kept with the snapshot's checksum, as an import does
    t3 = time.perf_counter()
    print(f"{info.offers} synthetic offers in {store.snapshots_dir() / a.name}: generated {t1 - t0:.1f} s, "
          f"written {t2 - t1:.1f} s, checked {t3 - t2:.1f} s")


if __name__ == "__main__":
    main()

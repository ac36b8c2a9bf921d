"""Generate a synthetic AWS EC2 bulk Price List CSV with the real column layout.

The header is the one AWS published for AmazonEC2 in September 2025 (version 20250912225308):
5 metadata lines, then 97 columns. Values follow the file's shape: each product SKU (instance type x
region x operating system x tenancy x pre-installed software x capacity status) has one OnDemand row
and Reserved rows for 1yr/3yr x standard/convertible x No/Partial/All Upfront, where Partial and All
Upfront add an "Upfront Fee" row. Only a few percent of rows are Linux / Shared / NA / Used, as in
the real file. Output goes to bench/_data/ (git-ignored).

    python bench/gen_aws_bulk_csv.py --rows 1000000
"""

from __future__ import annotations

import argparse
import csv
import random
import string
from pathlib import Path

HEADER = ["SKU", "OfferTermCode", "RateCode", "TermType", "PriceDescription", "EffectiveDate", "StartingRange", "EndingRange", "Unit", "PricePerUnit", "Currency", "RelatedTo", "LeaseContractLength", "PurchaseOption", "OfferingClass", "Product Family", "serviceCode", "Location", "Location Type", "Instance Type", "Current Generation", "Instance Family", "vCPU", "Physical Processor", "Clock Speed", "Memory", "Storage", "Network Performance", "Processor Architecture", "Storage Media", "Volume Type", "Max Volume Size", "Max IOPS/volume", "Max IOPS Burst Performance", "Max throughput/volume", "Provisioned", "Tenancy", "EBS Optimized", "Operating System", "License Model", "Group", "Group Description", "Transfer Type", "From Location", "From Location Type", "To Location", "To Location Type", "usageType", "operation", "AvailabilityZone", "CapacityStatus", "ClassicNetworkingSupport", "Dedicated EBS Throughput", "ECU", "Elastic Graphics Type", "Enhanced Networking Supported", "From Region Code", "GPU", "GPU Memory", "Instance", "Instance Capacity - 10xlarge", "Instance Capacity - 12xlarge", "Instance Capacity - 16xlarge", "Instance Capacity - 18xlarge", "Instance Capacity - 24xlarge", "Instance Capacity - 2xlarge", "Instance Capacity - 32xlarge", "Instance Capacity - 4xlarge", "Instance Capacity - 8xlarge", "Instance Capacity - 9xlarge", "Instance Capacity - large", "Instance Capacity - medium", "Instance Capacity - metal", "Instance Capacity - xlarge", "instanceSKU", "Intel AVX2 Available", "Intel AVX Available", "Intel Turbo Available", "MarketOption", "Normalization Size Factor", "Physical Cores", "Pre Installed S/W", "Processor Features", "Product Type", "Region Code", "Resource Type", "serviceName", "SnapshotArchiveFeeType", "To Region Code", "Volume API Name", "VPCNetworkingSupport"]

REGIONS = [
    ("us-east-1", "US East (N. Virginia)", "USE1"), ("us-east-2", "US East (Ohio)", "USE2"),
    ("us-west-2", "US West (Oregon)", "USW2"), ("eu-west-1", "EU (Ireland)", "EU"),
    ("eu-central-1", "EU (Frankfurt)", "EUC1"), ("ap-northeast-1", "Asia Pacific (Tokyo)", "APN1"),
    ("ap-southeast-2", "Asia Pacific (Sydney)", "APS2"), ("ap-south-1", "Asia Pacific (Mumbai)", "APS3"),
    ("eu-west-2", "EU (London)", "EUW2"), ("ca-central-1", "Canada (Central)", "CAN1"),
    ("sa-east-1", "South America (Sao Paulo)", "SAE1"), ("eu-north-1", "EU (Stockholm)", "EUN1"),
]
# family -> (vCPU of .xlarge, GiB per vCPU, USD/h of .xlarge, GPU per xlarge-equivalent, processor)
FAMILIES = {
    "m7i": (4, 4, 0.2016, 0, "Intel Xeon Scalable (Sapphire Rapids)"),
    "c7i": (4, 2, 0.1785, 0, "Intel Xeon Scalable (Sapphire Rapids)"),
    "r7i": (4, 8, 0.2646, 0, "Intel Xeon Scalable (Sapphire Rapids)"),
    "m6i": (4, 4, 0.192, 0, "Intel Xeon 8375C (Ice Lake)"),
    "c6i": (4, 2, 0.17, 0, "Intel Xeon 8375C (Ice Lake)"),
    "r6i": (4, 8, 0.252, 0, "Intel Xeon 8375C (Ice Lake)"),
    "m7g": (4, 4, 0.1632, 0, "AWS Graviton3 Processor"),
    "g5": (4, 4, 1.006, 1, "AMD EPYC 7R32"),
    "g6": (4, 4, 0.8048, 1, "AMD EPYC 7R13"),
    "g4dn": (4, 4, 0.526, 1, "Intel Xeon Family"),
}
SIZES = [("large", 0.5), ("xlarge", 1), ("2xlarge", 2), ("4xlarge", 4), ("8xlarge", 8), ("12xlarge", 12),
         ("16xlarge", 16), ("24xlarge", 24)]
# (operating system, pre-installed software, license model, operation, price multiplier, weight)
SOFTWARE = [
    ("Linux", "NA", "No License required", "RunInstances", 1.0, 3),
    ("Windows", "NA", "No License required", "RunInstances:0002", 1.45, 2),
    ("Windows", "SQL Web", "No License required", "RunInstances:0202", 1.6, 1),
    ("Windows", "SQL Std", "No License required", "RunInstances:0006", 2.4, 1),
    ("RHEL", "NA", "No License required", "RunInstances:0010", 1.3, 1),
    ("SUSE", "NA", "No License required", "RunInstances:000g", 1.25, 1),
    ("Ubuntu Pro", "NA", "No License required", "RunInstances:0g00", 1.04, 1),
    ("Linux", "SQL Ent", "No License required", "RunInstances:0100", 3.0, 1),
]
TENANCY = [("Shared", "BoxUsage", 4), ("Dedicated", "DedicatedUsage", 1), ("Host", "HostUsage", 1)]
CAPACITY = [("Used", 3), ("UnusedCapacityReservation", 1), ("AllocatedCapacityReservation", 1)]
RESERVED = [(lease, opt, cls) for lease in ("1yr", "3yr") for cls in ("standard", "convertible")
            for opt in ("No Upfront", "Partial Upfront", "All Upfront")]


def _code(rng: random.Random, n: int) -> str:
    return "".join(rng.choices(string.ascii_uppercase + string.digits, k=n))


def product_rows(rng: random.Random) -> list[list[str]]:
    family = rng.choice(list(FAMILIES))
    xl_vcpu, gib_per_vcpu, xl_usd, gpus, cpu = FAMILIES[family]
    size, mult = rng.choice(SIZES)
    itype = f"{family}.{size}"
    vcpu = max(2, int(xl_vcpu * mult))
    region, location, prefix = rng.choice(REGIONS)
    os_name, sw, lic, operation, os_mult, _ = rng.choices(SOFTWARE, weights=[s[-1] for s in SOFTWARE])[0]
    tenancy, usage, _ = rng.choices(TENANCY, weights=[t[-1] for t in TENANCY])[0]
    capacity = rng.choices([c[0] for c in CAPACITY], weights=[c[1] for c in CAPACITY])[0]
    od = xl_usd * mult * os_mult * (1.1 if tenancy != "Shared" else 1.0) * rng.uniform(0.95, 1.25)
    sku = _code(rng, 16)
    base = dict.fromkeys(HEADER, "")
    base.update({
        "SKU": sku, "Currency": "USD", "Product Family": "Compute Instance", "serviceCode": "AmazonEC2",
        "Location": location, "Location Type": "AWS Region", "Instance Type": itype, "Current Generation": "Yes",
        "Instance Family": "General purpose", "vCPU": str(vcpu), "Physical Processor": cpu, "Clock Speed": "3.2 GHz",
        "Memory": f"{vcpu * gib_per_vcpu:,} GiB", "Storage": "EBS only", "Network Performance": "Up to 12500 Megabit",
        "Processor Architecture": "64-bit", "Tenancy": tenancy, "EBS Optimized": "Yes", "Operating System": os_name,
        "License Model": lic, "usageType": f"{prefix}-{usage}:{itype}", "operation": operation,
        "AvailabilityZone": "NA", "CapacityStatus": capacity, "ClassicNetworkingSupport": "false",
        "Dedicated EBS Throughput": "Up to 10000 Mbps", "ECU": "NA", "Enhanced Networking Supported": "Yes",
        "GPU": str(int(gpus * max(1, mult // 4))) if gpus else "", "Intel AVX2 Available": "Yes",
        "Intel AVX Available": "Yes", "Intel Turbo Available": "Yes", "MarketOption": "OnDemand",
        "Normalization Size Factor": str(mult * 8), "Physical Cores": str(vcpu // 2), "Pre Installed S/W": sw,
        "Processor Features": "Intel AVX; Intel AVX2; Intel AVX512; Intel Turbo", "Region Code": region,
        "serviceName": "Amazon Elastic Compute Cloud", "VPCNetworkingSupport": "true",
    })
    rows = []
    term = _code(rng, 10)
    rows.append({**base, "OfferTermCode": "JRTCKXETXF", "RateCode": f"{sku}.JRTCKXETXF.6YS6EN2CT7",
                 "TermType": "OnDemand", "PriceDescription": f"${od:.4f} per On Demand {os_name} {itype} Instance Hour",
                 "EffectiveDate": "2025-09-01", "StartingRange": "0", "EndingRange": "Inf", "Unit": "Hrs",
                 "PricePerUnit": f"{od:.10f}"})
    for lease, opt, cls in RESERVED:
        term = _code(rng, 10)
        years = 1 if lease == "1yr" else 3
        disc = (0.62 if years == 1 else 0.42) * (1.08 if cls == "convertible" else 1.0)
        hourly = od * disc * {"No Upfront": 1.0, "Partial Upfront": 0.5, "All Upfront": 0.0}[opt]
        common = {**base, "OfferTermCode": term, "TermType": "Reserved", "EffectiveDate": "2025-09-12",
                  "LeaseContractLength": lease, "PurchaseOption": opt, "OfferingClass": cls}
        rows.append({**common, "RateCode": f"{sku}.{term}.6YS6EN2CT7", "StartingRange": "0", "EndingRange": "Inf",
                     "PriceDescription": f"{os_name} ({itype}) reserved instance applied", "Unit": "Hrs",
                     "PricePerUnit": f"{hourly:.10f}"})
        if opt != "No Upfront":
            fee = od * disc * 8760 * years * (0.5 if opt == "Partial Upfront" else 1.0)
            rows.append({**common, "RateCode": f"{sku}.{term}.2TG2D8R56U", "PriceDescription": "Upfront Fee",
                         "Unit": "Quantity", "PricePerUnit": f"{fee:.0f}"})
    return [[r[c] for c in HEADER] for r in rows]


def generate(path: Path, rows: int, seed: int = 20250912) -> int:
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with open(path, "w", newline="", encoding="utf-8") as fh:
        meta = csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\n")
        meta.writerows([
            ["FormatVersion", "v1.0"],
            ["Disclaimer", ("This pricing list is for informational purposes only. All prices are subject to the "
                            "additional terms included in the pricing pages on http://aws.amazon.com.")],
            ["Publication Date", "2025-09-12T22:53:08Z"], ["Version", "20250912225308"], ["OfferCode", "AmazonEC2"],
            HEADER,
        ])
        # AWS quotes non-empty fields and leaves empty ones bare.
        while written < rows:
            for r in product_rows(rng):
                fh.write(",".join(f'"{v}"' if v else "" for v in r) + "\n")
                written += 1
    return written


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "_data" / "aws_ec2_bulk.csv")
    ap.add_argument("--seed", type=int, default=20250912)
    args = ap.parse_args()
    n = generate(args.out, args.rows, args.seed)
    print(f"{args.out}: {n} rows, {args.out.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()

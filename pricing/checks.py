"""Sanity checks over a catalog's instance prices: findings that point at rows worth a second look.

Pure functions over :class:`pricing.schema.Offer` lists; a finding is a warning, never an error (a catalog
with findings still loads and prices). Five kinds, each explained in ``docs/catalogs.md``:

``per_gpu_inconsistent``
    Within one machine family, region and purchase option, a size that has at least as much host
    (vCPUs, memory and bundled local SSD) per accelerator as another size costs more than
    :data:`PER_GPU_TOLERANCE` less per accelerator. Sizes with the same host per accelerator are thereby
    held to the same per-accelerator price within the tolerance both ways (a2-highgpu-1g .. 8g); a size
    with a smaller host per accelerator may be cheaper (g5.xlarge vs g5.16xlarge: one A10G each).
``on_demand_below_spot``
    The on-demand price of a type in a region is more than :data:`ROUNDING` below its spot price.
``on_demand_below_commitment``
    The on-demand price is more than :data:`ROUNDING` below a reserved, savings-plan, committed-use,
    capacity-block, flex-start, calendar or capacity-reservation price of the same type and region (those
    should cost at most the on-demand rate).
``larger_memory_cheaper``
    A machine with the larger-memory variant of an accelerator (A100-80GB vs A100-40GB, H200 vs H100-SXM,
    V100-32GB vs V100) and at least the same host per accelerator costs more than :data:`ROUNDING` less per
    accelerator than the smaller-memory machine with the same accelerator count, provider, region and
    purchase option.
``region_outlier``
    A type's price in one region is more than :data:`REGION_OUTLIER_FACTOR` times the median of its prices
    in all its regions (at least :data:`REGION_MIN`), or less than the median divided by that factor, and
    stays so after allowing for the region's usual price level (the median, over the types priced there,
    of price / the type's median), so regions that are dearer across the board (Brazil Southeast) are not
    flagged type by type.

Spot prices are set by supply and demand per type, zone and hour, so only ``on_demand_below_spot`` looks at
them; the structural checks (per accelerator, memory variants, regions) compare list prices only.
Unpriced offers and non-instance resources (storage, requests, egress) are ignored.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from pricing.instances import instance_shape
from pricing.schema import PURCHASE_OPTIONS, Offer, plain

KINDS: tuple[str, ...] = (
    "per_gpu_inconsistent",
    "on_demand_below_spot",
    "on_demand_below_commitment",
    "larger_memory_cheaper",
    "region_outlier",
)
PER_GPU_TOLERANCE = Decimal("0.15")
# Differences smaller than this share of the dearer price are rounding, not findings (AWS publishes spot
# prices with 4 decimals: g5.24xlarge me-central-1 on-demand 9.98976 vs spot 9.9898).
ROUNDING = Decimal("0.01")
REGION_OUTLIER_FACTOR = Decimal("1.6")
REGION_MIN = 3
REGION_LEVEL_MIN_TYPES = 10
# (smaller-memory accelerator, larger-memory variant of the same chip)
MEMORY_VARIANTS: tuple[tuple[str, str], ...] = (
    ("A100-40GB", "A100-80GB"),
    ("H100-SXM", "H200"),
    ("V100", "V100-32GB"),
)
# Options that should never cost more than on-demand for the same type and region.
AT_MOST_ON_DEMAND: tuple[str, ...] = tuple(o for o in PURCHASE_OPTIONS if o not in ("on_demand", "spot"))
_MARKET_PRICED = ("spot",)
_EPS = 1e-9
_SHOWN = 4  # pairs spelled out in a per-GPU message before "... and N more"


@dataclass(frozen=True)
class Finding:
    """One sanity-check finding. ``rows`` are the offer ids it is about (see :func:`offer_id`)."""

    kind: str
    provider: str
    region: str
    rows: tuple[str, ...]
    message: str
    why: str | None = None  # set when a justification accepts the finding

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "provider": self.provider, "region": self.region,
                               "rows": list(self.rows), "message": self.message}
        if self.why is not None:
            out["justified"] = self.why
        return out


@dataclass(frozen=True)
class Justification:
    """An accepted finding: the kind and exact rows of a finding, and why the prices are right."""

    kind: str
    rows: tuple[str, ...]
    why: str

    def matches(self, finding: Finding) -> bool:
        return finding.kind == self.kind and set(finding.rows) == set(self.rows)


@dataclass
class CheckResult:
    """Findings split by a list of justifications."""

    open: list[Finding] = field(default_factory=list)
    justified: list[Finding] = field(default_factory=list)  # each with ``why`` set
    unmatched: list[Justification] = field(default_factory=list)  # justifications no finding matches

    @property
    def findings(self) -> list[Finding]:
        return [*self.open, *self.justified]


def offer_id(o: Offer) -> str:
    """How findings name a row: ``"gcp us-central1 a2-ultragpu-1g on_demand"``."""
    return f"{o.provider} {o.region} {o.instance_type} {o.purchase_option}"


# -- the shape facts the checks need ----------------------------------------------------------------

_AZURE_SIZE = re.compile(r"^(?:Standard_|Basic_)?([A-Za-z]+)\d+(?:-\d+)?(.*)$")
_GCP_SIZE = re.compile(r"-\d+[a-z]?$")


def family(provider: str, instance_type: str) -> str:
    """The machine family: the shape table's when it knows the type, else read from the name.

    AWS ``g5.12xlarge`` -> ``g5``; GCP ``a2-highgpu-4g`` -> ``a2-highgpu`` (``n1-standard-8+T4x1`` ->
    ``n1-standard``); Azure ``Standard_NC24ads_A100_v4`` -> ``NCads_A100_v4`` (the size number dropped).
    """
    shape = instance_shape(provider, instance_type)
    if shape is not None:
        return shape.family
    if provider == "aws":
        return instance_type.split(".", 1)[0]
    if provider == "azure":
        m = _AZURE_SIZE.match(instance_type)
        return m.group(1) + m.group(2) if m else instance_type
    return _GCP_SIZE.sub("", instance_type.split("+", 1)[0])


@dataclass(slots=True)
class _Row:
    """A list-priced offer with accelerators, its price per accelerator and its host per accelerator."""

    offer: Offer
    per_gpu: Decimal
    host: tuple[float, float, float]  # vCPUs, memory GiB, bundled local SSD GiB per accelerator

    @property
    def id(self) -> str:
        return offer_id(self.offer)


@dataclass
class _Index:
    """What the checks look up, built in one pass; the first offer listed for a key wins."""

    on_demand: dict[tuple[str, str, str], Offer] = field(default_factory=dict)  # (provider, region, type)
    others: list[Offer] = field(default_factory=list)  # spot and at-most-on-demand options
    by_type: dict[tuple[str, str, str], dict[str, Offer]] = field(  # (provider, type, option) -> region ->
        default_factory=lambda: defaultdict(dict))
    gpu: list[_Row] = field(default_factory=list)


def _index(offers: Iterable[Offer]) -> _Index:
    """Index priced hourly instance offers (unpriced ones, storage, requests and egress are left out)."""
    idx = _Index()
    compared = {"spot", *AT_MOST_ON_DEMAND}
    gpu_seen: set[tuple[str, str, str, str]] = set()
    shapes: dict[tuple[str, str], Any] = {}
    for o in offers:
        price = o.price
        itype = o.instance_type
        if not price or price < 0 or not itype or o.resource != "instance" or o.unit != "hour":
            continue
        option = o.purchase_option
        if option == "on_demand":
            idx.on_demand.setdefault((o.provider, o.region, itype), o)
        elif option in compared:
            idx.others.append(o)
        if option in _MARKET_PRICED:
            continue
        idx.by_type[(o.provider, itype, option)].setdefault(o.region, o)
        n = o.accelerator_count
        if n <= 0 or (key := (o.provider, o.region, itype, option)) in gpu_seen:
            continue
        gpu_seen.add(key)
        sk = (o.provider, itype)
        if sk not in shapes:
            shapes[sk] = instance_shape(o.provider, itype)
        shape = shapes[sk]
        vcpus = o.vcpus if o.vcpus is not None else (shape.vcpus if shape else None)
        mem = o.memory_gib if o.memory_gib is not None else (shape.memory_gib if shape else None)
        if vcpus is not None and mem is not None:
            ssd = shape.local_ssd_gib if shape else 0.0
            idx.gpu.append(_Row(o, price / n, (vcpus / n, mem / n, ssd / n)))
    return idx


def _covers(a: tuple[float, float, float], b: tuple[float, float, float]) -> bool:
    """Whether host ``a`` has at least as much of everything as host ``b``."""
    return a[0] >= b[0] - _EPS and a[1] >= b[1] - _EPS and a[2] >= b[2] - _EPS


def _usd(d: Decimal) -> str:
    """A price for a message: at most 6 decimals, no trailing zeros."""
    return plain(d.quantize(Decimal("0.000001")).normalize())


def _pct(a: Decimal, b: Decimal) -> str:
    """How much ``a`` is below ``b``, in percent."""
    return f"{float((b - a) / b * 100):.0f}%"


# -- the checks -------------------------------------------------------------------------------------

def _per_gpu_inconsistent(idx: _Index) -> list[Finding]:
    groups: dict[tuple[str, str, str, str, str], list[_Row]] = defaultdict(list)
    for r in idx.gpu:
        o = r.offer
        groups[(o.provider, o.region, o.purchase_option, family(o.provider, o.instance_type or ""),
                o.accelerator or "")].append(r)
    out = []
    floor = 1 - PER_GPU_TOLERANCE
    for (provider, region, option, fam, acc), members in groups.items():
        if len(members) < 2:
            continue
        pairs = []  # (cheap size, dear size): cheap has at least the dear one's host per GPU
        limits = [(b, b.per_gpu * floor) for b in members]
        for a in members:
            for b, limit in limits:
                if a is not b and a.per_gpu < limit and _covers(a.host, b.host):
                    pairs.append((a, b))
        if not pairs:
            continue
        involved = sorted({r.id for p in pairs for r in p})
        said = "; ".join(
            f"{a.offer.instance_type} {_usd(a.per_gpu)}/GPU is {_pct(a.per_gpu, b.per_gpu)} below "
            f"{b.offer.instance_type} {_usd(b.per_gpu)}/GPU" for a, b in pairs[:_SHOWN])
        more = f"; ... and {len(pairs) - _SHOWN} more" if len(pairs) > _SHOWN else ""
        out.append(Finding(
            "per_gpu_inconsistent", provider, region, tuple(involved),
            f"{fam} ({acc}, {option}): a size with at least as much host per GPU costs more than "
            f"{PER_GPU_TOLERANCE * 100:.0f}% less per GPU: {said}{more}"))
    return out


def _on_demand_below(idx: _Index) -> list[Finding]:
    out = []
    for o in idx.others:
        od = idx.on_demand.get((o.provider, o.region, o.instance_type or ""))
        if od is None or od.price is None or o.price is None or not od.price < o.price * (1 - ROUNDING):
            continue
        kind = "on_demand_below_spot" if o.purchase_option == "spot" else "on_demand_below_commitment"
        out.append(Finding(kind, o.provider, o.region, (offer_id(od), offer_id(o)),
                           f"{o.instance_type}: on-demand {_usd(od.price)} is below {o.purchase_option} "
                           f"{_usd(o.price)} ({_pct(od.price, o.price)} less)"))
    return out


def _larger_memory_cheaper(idx: _Index) -> list[Finding]:
    variant_of = {big: small for small, big in MEMORY_VARIANTS}
    smalls = set(variant_of.values())
    groups: dict[tuple[str, str, str, int], list[_Row]] = defaultdict(list)
    for r in idx.gpu:
        o = r.offer
        if o.accelerator in variant_of or o.accelerator in smalls:
            groups[(o.provider, o.region, o.purchase_option, o.accelerator_count)].append(r)
    out = []
    floor = 1 - ROUNDING
    for (provider, region, option, n), members in groups.items():
        for big in members:
            small_acc = variant_of.get(big.offer.accelerator or "")
            if small_acc is None:
                continue
            for small in members:
                if (small.offer.accelerator == small_acc and _covers(big.host, small.host)
                        and big.per_gpu < small.per_gpu * floor):
                    out.append(Finding(
                        "larger_memory_cheaper", provider, region, (big.id, small.id),
                        f"{big.offer.instance_type} ({n}x {big.offer.accelerator}) {_usd(big.per_gpu)}/GPU is "
                        f"{_pct(big.per_gpu, small.per_gpu)} below {small.offer.instance_type} "
                        f"({n}x {small_acc}) {_usd(small.per_gpu)}/GPU, {option}, with at least the same host"))
    return out


def _region_outlier(idx: _Index) -> list[Finding]:
    # each type's price relative to its median over regions (floats: the thresholds are coarse) ...
    ratios: list[tuple[Offer, float, dict[str, Offer]]] = []
    by_region: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for (provider, _itype, option), regions in idx.by_type.items():
        if len(regions) < REGION_MIN:
            continue
        prices = {reg: float(o.price or 0) for reg, o in regions.items()}
        mid = statistics.median(prices.values())
        for reg, o in regions.items():
            ratio = prices[reg] / mid
            ratios.append((o, ratio, regions))
            by_region[(provider, reg, option)].append(ratio)
    # ... and each region's usual ratio (its price level), where enough types tell it
    level = {k: statistics.median(v) if len(v) >= REGION_LEVEL_MIN_TYPES else 1.0 for k, v in by_region.items()}
    out = []
    factor = float(REGION_OUTLIER_FACTOR)
    for o, ratio, regions in ratios:
        lvl = level[(o.provider, o.region, o.purchase_option)]
        adjusted = ratio / lvl
        if factor >= ratio >= 1 / factor or factor >= adjusted >= 1 / factor:
            continue
        median = statistics.median(r.price or Decimal(0) for r in regions.values())
        usual = "" if lvl == 1.0 else (f"; prices in {o.region} are usually {lvl:.2f}x the median, "
                                       f"so this is {adjusted:.2f}x what the region's level predicts")
        out.append(Finding(
            "region_outlier", o.provider, o.region, (offer_id(o),),
            f"{o.instance_type} {o.purchase_option} {_usd(o.price or Decimal(0))} is {ratio:.2f}x the median "
            f"{_usd(median)} of its {len(regions)} regions{usual}"))
    return out


def check_offers(offers: Iterable[Offer]) -> list[Finding]:
    """Every finding over ``offers``, sorted by kind, provider, region and rows."""
    idx = _index(offers)
    found = [*_per_gpu_inconsistent(idx), *_on_demand_below(idx), *_larger_memory_cheaper(idx),
             *_region_outlier(idx)]
    order = {k: i for i, k in enumerate(KINDS)}
    return sorted(found, key=lambda f: (order[f.kind], f.provider, f.region, f.rows))


def check_catalog(catalog: Any, justifications: Sequence[Justification] = ()) -> list[Finding]:
    """The findings of a :class:`pricing.catalog.Catalog`; those a justification accepts carry its ``why``."""
    found = catalog_findings(catalog)
    if not justifications:
        return found
    result = justify(found, justifications)
    return sorted(result.findings, key=lambda f: (KINDS.index(f.kind), f.provider, f.region, f.rows))


# -- findings of loaded catalogs, kept --------------------------------------------------------------
# The findings are a function of the offers and of this code. A loaded catalog (pricing.catalog.load_catalog)
# keeps them while the process runs, and a catalog whose layers are stored snapshots and the embedded data
# keeps them under <home>/.cache/findings, named by a hash of its layers' checksums and of the files the
# checks read: a new import, a refresh or an edit of the checks gives a new name, so they are made again.

_CODE_FILES = ("checks.py", "checks_columnar.py", "instances.py", "schema.py", "data/instances.csv")
_code_digest: str | None = None


def _code_id() -> str:
    global _code_digest
    if _code_digest is None:
        import hashlib
        from pathlib import Path

        h = hashlib.sha256()
        here = Path(__file__).resolve().parent
        for name in _CODE_FILES:
            try:
                h.update((here / name).read_bytes())
            except OSError:
                h.update(name.encode())
        _code_digest = h.hexdigest()
    return _code_digest


def _fingerprint(catalog: Any) -> str | None:
    layers = getattr(catalog, "layers", None)
    ident = getattr(layers, "ident", None)
    if not ident or not any(not s.startswith("embedded:") for s in ident.removeprefix("merge:").split("|")):
        return None  # only catalogs with stored layers are worth keeping on disk
    import hashlib

    return hashlib.sha256(f"{ident}\n{_code_id()}".encode()).hexdigest()


def _cache_path(fp: str) -> Any:
    from pricing.store import CACHE_DIR, home

    return home() / CACHE_DIR / "findings" / f"{fp}.json"


def _read_kept(fp: str) -> list[Finding] | None:
    import json

    try:
        data = json.loads(_cache_path(fp).read_text(encoding="utf-8"))
        if data.get("fingerprint") != fp:
            return None
        return [Finding(str(d["kind"]), str(d["provider"]), str(d["region"]), tuple(str(r) for r in d["rows"]),
                        str(d["message"])) for d in data["findings"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):  # absent or damaged: made again
        return None


def _keep(fp: str, findings: Sequence[Finding]) -> None:
    import json
    import os
    import secrets

    path = _cache_path(fp)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}-{os.getpid()}-{secrets.token_hex(4)}")
        tmp.write_text(json.dumps({"fingerprint": fp, "findings": [f.to_dict() for f in findings]}), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:  # derived data: the next run makes it again
        pass


def _check_loaded(catalog: Any) -> list[Finding]:
    """:func:`check_offers` of a loaded catalog: from its columns when it has stored layers
    (:mod:`pricing.checks_columnar`, no offer made for rows no finding names), else from its offers."""
    layers = catalog.layers
    if "offers" in catalog.__dict__ or all(type(s).__name__ == "ListOffers" for s in layers.sources):
        return check_offers(list(catalog.offers))
    from pricing.checks_columnar import check_columns

    return check_columns(layers)


def catalog_findings(catalog: Any) -> list[Finding]:
    """:func:`check_offers` of a catalog, kept for a loaded catalog (see above)."""
    if getattr(catalog, "layers", None) is None:  # a catalog built from a list may change: checked every time
        return check_offers(catalog.offers)
    found = catalog.__dict__.get("_check_findings")
    if found is None:
        fp = _fingerprint(catalog)
        found = _read_kept(fp) if fp else None
        if found is None:
            found = _check_loaded(catalog)
            if fp:
                _keep(fp, found)
        catalog.__dict__["_check_findings"] = found
    return list(found)


def remember_findings(catalog: Any, findings: Sequence[Finding]) -> None:
    """Keep ``findings`` as those of loaded ``catalog`` (computed on the same offers in another form, as
    ``catalog import`` does before writing the snapshot)."""
    if getattr(catalog, "layers", None) is None:
        return
    catalog.__dict__["_check_findings"] = list(findings)
    fp = _fingerprint(catalog)
    if fp:
        _keep(fp, findings)


def justify(findings: Sequence[Finding], justifications: Sequence[Justification]) -> CheckResult:
    """Split ``findings`` into open and justified ones, and list justifications that match none."""
    result = CheckResult()
    used: set[int] = set()
    for f in findings:
        hit = next((i for i, j in enumerate(justifications) if j.matches(f)), None)
        if hit is None:
            result.open.append(f)
        else:
            used.add(hit)
            result.justified.append(replace(f, why=justifications[hit].why))
    result.unmatched = [j for i, j in enumerate(justifications) if i not in used]
    return result


def findings_for(findings: Sequence[Finding], offers: Iterable[Offer]) -> list[Finding]:
    """The findings that name any of ``offers`` (matched on provider, region, instance type and option)."""
    ids = {offer_id(o) for o in offers if o.instance_type}
    return [f for f in findings if ids.intersection(f.rows)]


def summary(findings: Sequence[Finding]) -> str:
    """``"3 findings (2 on_demand_below_spot, 1 region_outlier)"`` or ``"no findings"``."""
    if not findings:
        return "no findings"
    counts = Counter(f.kind for f in findings)
    parts = ", ".join(f"{counts[k]} {k}" for k in KINDS if counts[k])
    return f"{len(findings)} finding{'s' if len(findings) != 1 else ''} ({parts})"


# -- justifications kept as a Markdown table --------------------------------------------------------

JUSTIFICATION_SECTION = "Sanity-check findings"


def parse_justifications(markdown: str, section: str = JUSTIFICATION_SECTION) -> list[Justification]:
    """The ``kind | rows | why`` table under the heading ``section`` of a Markdown text.

    ``rows`` lists offer ids separated by ``;`` (each ``provider region instance_type purchase_option``,
    optionally in backticks). Raises ValueError naming the line of a malformed row or unknown kind.
    """
    lines = markdown.splitlines()
    start = next((i for i, line in enumerate(lines)
                  if line.lstrip("#").strip().lower() == section.lower() and line.startswith("#")), None)
    if start is None:
        return []
    out: list[Justification] = []
    header_seen = False
    for i in range(start + 1, len(lines)):
        line = lines[i].strip()
        if line.startswith("#"):
            break
        if not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if not header_seen:
            if [c.lower() for c in cells] != ["kind", "rows", "why"]:
                raise ValueError(f"line {i + 1}: the table header must be '| kind | rows | why |'")
            header_seen = True
            continue
        if all(set(c) <= set("-: ") for c in cells):
            continue
        if len(cells) != 3:
            raise ValueError(f"line {i + 1}: expected 3 cells (kind | rows | why), found {len(cells)}")
        kind, rows, why = (c.strip("`").strip() for c in cells)
        if kind not in KINDS:
            raise ValueError(f"line {i + 1}: unknown kind {kind!r}; use one of {', '.join(KINDS)}")
        ids = tuple(" ".join(r.strip().strip("`").split()) for r in rows.split(";") if r.strip())
        if not ids or not why:
            raise ValueError(f"line {i + 1}: a justification needs rows and a reason")
        out.append(Justification(kind, ids, why))
    return out

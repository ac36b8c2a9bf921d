"""AWS bulk Price List files (CSV): find them, stream them, turn Linux instance prices into offers.

The Price List Bulk API (boto3 ``pricing`` client, us-east-1) lists one price-list file per service,
region and currency (``list_price_lists``) and hands out a download URL for it
(``get_price_list_file_url``). The EC2 CSV file of one region is hundreds of MB; the global one is
several GB. It is read as a stream -- never whole into memory -- with pyarrow's incremental CSV reader.

File layout (as published)::

    "FormatVersion","v1.0"
    "Disclaimer","This pricing list is for informational purposes only. ..."
    "Publication Date","2025-09-12T22:53:08Z"
    "Version","20250912225308"
    "OfferCode","AmazonEC2"
    "SKU","OfferTermCode","RateCode","TermType","PriceDescription","EffectiveDate","StartingRange",...
    "2223B6PCG6QAUYY6","38NPMPTW36","2223B6PCG6QAUYY6.38NPMPTW36.6YS6EN2CT7","Reserved",...

Kept rows: Product Family "Compute Instance" or "Compute Instance (bare metal)", Operating System "Linux", Tenancy "Shared",
Pre Installed S/W "NA", CapacityStatus "Used", Currency "USD", and

* TermType "OnDemand", Unit "Hrs": with ``MarketOption`` "OnDemand" (or no such column) the
  ``on_demand`` price, and a ``capacity_reservation`` offer at the same rate (AWS bills a capacity
  reservation the on-demand rate whether it is used or not). With ``MarketOption`` "CapacityBlock" the
  row is never an on-demand price: a positive price becomes a ``capacity_block`` offer (per hour); the
  published file lists Capacity Blocks at $0 (the Linux operating-system fee of a block; the block's
  reservation fee is not in the price list), and those rows are skipped.
* TermType "Reserved", OfferingClass "standard" (convertible terms are left out), LeaseContractLength
  "1yr"/"3yr" and one PurchaseOption, "No Upfront" unless the caller picks "Partial Upfront" or
  "All Upfront": the term's "Hrs" row and its upfront-fee ("Quantity") row are added up per SKU and
  offer term code into the effective hourly price ``upfront / (8,760 or 26,280 h) + hourly``
  (``reserved_1y`` / ``reserved_3y``), one figure per term. Reserved offers are yielded after the
  file's last row, since a term's two rows may fall into different batches.

Everything else (Windows, RHEL, SUSE, dedicated tenancy and hosts, capacity-reservation usage rows,
other payment options) is skipped and counted by reason in :attr:`BulkStats.skipped`. A zero price is
never an offer (skipped as ``zero_price``); an empty PricePerUnit is a missing price (None), never 0.
A PricePerUnit that is not a usable amount (text, NaN, Infinity, negative, ``1e999999999``: above
:data:`MAX_HOURLY` per hour or :data:`MAX_UPFRONT` upfront) makes its row skipped as ``invalid_price``,
with the first few listed in :attr:`BulkStats.invalid`; ``-0`` is 0. vCPU, memory or GPU figures that are
not positive finite numbers are left missing. A file that is not UTF-8 CSV text, or whose rows do not
parse, is a :class:`SourceError` naming it.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from pricing.errors import SourceError
from pricing.limits import decimal_problem, float_problem, show
from pricing.schema import Offer
from pricing.sources.aws_parse import effective_hourly
from pricing.sources.base import HOURS_3Y

PRICING_REGION = "us-east-1"
DEFAULT_REGIONS = ("us-east-1", "us-west-2", "eu-west-1")  # when fetch() is given none
METADATA_LINES = 5
BLOCK_SIZE = 4 << 20  # bytes per parsed batch; 4 MB was fastest and keeps peak RSS near 300 MB (bench)
DOWNLOAD_CHUNK = 1 << 20
LINE_LIMIT = 1 << 20  # a metadata or header line is < 4 kB; a longer one means this is not a price list
# Bounds of one row's price (USD): 3.4x the largest instance-hour figure in the SkyPilot-format reference
# catalogs of 2026-05-20 (29,362.176 USD/h), and upfront fees up to three years of that hourly bound.
MAX_HOURLY = Decimal(100_000)
MAX_UPFRONT = MAX_HOURLY * HOURS_3Y
MAX_GPUS = 128  # per instance; the most in the reference catalogs is 16 (trn1.32xlarge)

# Columns the parser needs (the file has ~90; only these are converted).
COLUMNS = (
    "SKU",
    "OfferTermCode",
    "RateCode",
    "TermType",
    "EffectiveDate",
    "Unit",
    "PricePerUnit",
    "Currency",
    "LeaseContractLength",
    "PurchaseOption",
    "OfferingClass",
    "Product Family",
    "Instance Type",
    "vCPU",
    "Memory",
    "Tenancy",
    "Operating System",
    "Pre Installed S/W",
    "CapacityStatus",
    "GPU",
    "MarketOption",
    "Region Code",
)
OPTIONAL = ("GPU", "MarketOption", "OfferTermCode")
INSTANCE_FAMILIES = ("Compute Instance", "Compute Instance (bare metal)")
# (column, the value priced, the skip reason otherwise), applied in this order after the product family
_FILTERS = (
    ("Operating System", "Linux", "operating_system_not_linux"),
    ("Tenancy", "Shared", "tenancy_not_shared"),
    ("Pre Installed S/W", "NA", "pre_installed_software"),
    ("CapacityStatus", "Used", "capacity_reservation_usage"),
    ("Currency", "USD", "currency_not_usd"),
)
_RESERVED = {"1yr": "reserved_1y", "3yr": "reserved_3y"}
_YEARS = {"1yr": 1, "3yr": 3}
PAYMENT_OPTIONS = ("No Upfront", "Partial Upfront", "All Upfront")
# Per-instance shape bounds: far above the largest published shapes (832 vCPUs and 15,200 GiB in the
# SkyPilot-format reference catalogs of 2026-05-20; AWS High Memory u-* instances go up to 24 TiB, per the
# EC2 user guide "Memory optimized instances").
VCPUS_LIMIT = 10_000.0
MEMORY_GIB_LIMIT = 100_000.0

ProgressFn = Callable[[str, int], None]


@dataclass
class BulkStats:
    bytes_read: int = 0
    rows: int = 0
    offers: int = 0
    missing_prices: int = 0
    metadata: dict[str, str] = field(default_factory=dict)
    skipped: Counter[str] = field(default_factory=Counter)
    invalid: list[str] = field(default_factory=list)  # the first few rows skipped as invalid_price, why

    def skip(self, reason: str, n: int = 1) -> None:
        if n:
            self.skipped[reason] += n

    def summary(self) -> str:
        reasons = ", ".join(f"{k}: {v}" for k, v in self.skipped.most_common())
        text = f"{self.offers} offers ({self.missing_prices} without price) from {self.rows} rows"
        return text + (f"; skipped {sum(self.skipped.values())} ({reasons})" if reasons else "")


class _Counting(io.RawIOBase):
    """A raw stream that counts the bytes read through it and reports progress every ``every`` bytes."""

    def __init__(
        self, inner: IO[bytes], on_bytes: Callable[[int], None] | None, every: int = 8 << 20
    ) -> None:
        self.inner, self.on_bytes, self.every, self.count, self._next = inner, on_bytes, every, 0, every

    def readable(self) -> bool:
        return True

    def readinto(self, buf: Any) -> int:
        data = self.inner.read(len(buf))
        n = len(data)
        buf[:n] = data
        self.count += n
        if self.on_bytes is not None and self.count >= self._next:
            self._next += self.every
            self.on_bytes(self.count)
        return n


def _line(stream: IO[bytes], where: str, encoding: str = "utf-8") -> str:
    raw = stream.readline(LINE_LIMIT + 1)
    if len(raw) > LINE_LIMIT:
        raise SourceError(f"not an AWS price list CSV (a line of over {LINE_LIMIT >> 20} MB)", where=where)
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError:
        raise SourceError("not an AWS price list CSV (not UTF-8 text)", where=where) from None


def _read_metadata(stream: IO[bytes], where: str) -> tuple[dict[str, str], list[str]]:
    meta: dict[str, str] = {}
    for _ in range(METADATA_LINES):
        line = _line(stream, where, "utf-8-sig")
        try:
            row = next(csv.reader([line]), [])
        except csv.Error:
            row = []
        if len(row) < 2:
            raise SourceError(
                f"not an AWS price list CSV (expected 5 metadata lines, got {show(line[:60])})", where=where
            )
        meta[row[0]] = row[1]
    try:
        header = next(csv.reader([_line(stream, where)]), [])
    except csv.Error:
        header = []
    missing = [c for c in COLUMNS if c not in header and c not in OPTIONAL]
    if missing:
        raise SourceError(f"price list CSV lacks columns {', '.join(missing)}", where=where)
    return meta, header


def parse_bulk_csv(
    source: str | Path | IO[bytes],
    *,
    regions: Sequence[str] | None = None,
    fetched_at: str | None = None,
    progress: ProgressFn | None = None,
    stats: BulkStats | None = None,
    block_size: int = BLOCK_SIZE,
    reserved_payment: str = "No Upfront",
) -> Iterator[Offer]:
    """Stream offers out of an AWS bulk price-list CSV (a path or a binary stream, e.g. an HTTP body)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv

    if reserved_payment not in PAYMENT_OPTIONS:
        raise ValueError(f"reserved_payment must be one of {', '.join(PAYMENT_OPTIONS)}")
    stats = stats if stats is not None else BulkStats()
    fetched_at = fetched_at or datetime.now(UTC).isoformat(timespec="seconds")
    own = isinstance(source, (str, Path))
    if isinstance(source, (str, Path)):
        from pricing.textfile import check_text_file

        where, label = str(source), f"aws bulk {Path(source).name}"
        check_text_file(source, what="AWS price list CSV")  # a directory, a pipe, binary, UTF-16: one line
        raw: IO[bytes] = open(source, "rb")  # noqa: SIM115 - closed in the finally below
    else:
        where, label, raw = "price list stream", "aws bulk download", source
    counting = _Counting(raw, (lambda n: progress(label + " MB", n >> 20)) if progress else None)
    stream = io.BufferedReader(counting, buffer_size=DOWNLOAD_CHUNK)
    terms: dict[tuple[str, str, str], _Term] = {}
    try:
        meta, header = _read_metadata(stream, where)
        stats.metadata = meta
        src = f"aws:pricing bulk price list {meta.get('OfferCode', '?')} version {meta.get('Version', '?')}"
        wanted = [c for c in COLUMNS if c in header]
        reader = pcsv.open_csv(
            stream,
            read_options=pcsv.ReadOptions(column_names=header, block_size=block_size, use_threads=True),
            convert_options=pcsv.ConvertOptions(
                include_columns=wanted,
                column_types={c: pa.string() for c in wanted},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        region_set = pa.array(sorted(regions)) if regions else None
        families = pa.array(list(INSTANCE_FAMILIES))
        for batch in reader:
            stats.rows += batch.num_rows
            mask = pa.array([True] * batch.num_rows)
            checks = [(pc.is_in(batch.column("Product Family"), value_set=families), "not_an_instance")]
            checks += [(pc.equal(batch.column(col), value), reason) for col, value, reason in _FILTERS]
            if region_set is not None:
                checks.append((pc.is_in(batch.column("Region Code"), value_set=region_set), "other_region"))
            term = batch.column("TermType")
            unit = batch.column("Unit")
            on_demand = pc.and_(pc.equal(term, "OnDemand"), pc.equal(unit, "Hrs"))
            reserved = pc.and_(
                pc.and_(pc.equal(term, "Reserved"), pc.equal(batch.column("OfferingClass"), "standard")),
                pc.and_(
                    pc.and_(
                        pc.equal(batch.column("PurchaseOption"), reserved_payment),
                        pc.is_in(unit, value_set=pa.array(["Hrs", "Quantity"])),
                    ),
                    pc.is_in(batch.column("LeaseContractLength"), value_set=pa.array(["1yr", "3yr"])),
                ),
            )
            checks.append((pc.or_(on_demand, reserved), "term_not_modeled"))
            for ok, reason in checks:
                stats.skip(reason, pc.sum(pc.and_(mask, pc.invert(ok))).as_py() or 0)
                mask = pc.and_(mask, ok)
            kept = batch.filter(mask)
            if kept.num_rows:
                yield from _offers(kept, src, fetched_at, stats, where, terms)
            if progress is not None:
                progress(f"{label} rows", stats.rows)
        yield from _reserved_offers(terms, src, fetched_at, stats)
    except (pa.ArrowException, UnicodeDecodeError) as exc:
        if stats.rows == 0 and str(exc).startswith("Empty CSV file"):
            return  # a header and no rows: nothing to read
        detail = " ".join(str(exc).split())[:160] or type(exc).__name__
        raise SourceError(f"not a readable AWS price list CSV after {stats.rows} rows ({detail})",
                          where=where) from None
    finally:
        stats.bytes_read = counting.count
        if own:
            raw.close()


def _memory_gib(text: str) -> float | None:
    num = text.replace("GiB", "").replace(",", "").strip()
    try:
        value = float(num) if num else None
    except ValueError:
        return None
    return None if value is None or float_problem(value, high=MEMORY_GIB_LIMIT) else value


@dataclass
class _Term:
    """One reserved offer term being added up: its hourly and upfront rows may come in any order."""

    option: str
    years: int
    fields: dict[str, Any]
    hourly: Decimal = Decimal(0)
    upfront: Decimal = Decimal(0)
    priced: bool = False


def _shape_fields(cols: dict[str, list[str]], i: int) -> dict[str, Any]:
    from pricing.instances import instance_shape

    itype = cols["Instance Type"][i]
    shape = instance_shape("aws", itype)
    vcpu = cols["vCPU"][i].strip()
    gpus = (cols.get("GPU") or [""] * (i + 1))[i].strip()
    count = int(gpus) if gpus.isdigit() and len(gpus) < 6 and 0 < int(gpus) <= MAX_GPUS else None
    vcpus = float(vcpu) if vcpu.replace(".", "", 1).isdigit() and len(vcpu) < 12 else None
    return {
        "instance_type": itype,
        "accelerator": shape.accelerator if shape else None,
        "accelerator_count": (
            (shape.accelerator_count if shape and shape.accelerator else 0) if count is None else count
        ),
        "vcpus": vcpus if vcpus is not None and not float_problem(vcpus, high=VCPUS_LIMIT) else None,
        "memory_gib": _memory_gib(cols["Memory"][i]),
    }


def _offers(
    batch: Any,
    src: str,
    fetched_at: str,
    stats: BulkStats,
    where: str,
    terms: dict[tuple[str, str, str], _Term],
) -> Iterator[Offer]:
    cols = {c: batch.column(c).to_pylist() for c in batch.schema.names}
    market = cols.get("MarketOption") or [""] * batch.num_rows
    listed = cols.get("OfferTermCode") or [""] * batch.num_rows
    term_codes = [
        code or (rc.split(".")[1] if "." in rc else "") for code, rc in zip(listed, cols["RateCode"])
    ]
    for i in range(batch.num_rows):
        text = cols["PricePerUnit"][i].strip()
        try:
            price = _price(text, cols["Unit"][i])
        except ValueError as exc:
            stats.skip("invalid_price")
            if len(stats.invalid) < 5:
                stats.invalid.append(f"SKU {show(cols['SKU'][i])}: PricePerUnit {show(text)} {exc}")
            continue
        common = {
            "provider": "aws",
            "service": "AmazonEC2",
            "region": cols["Region Code"][i],
            "resource": "instance",
            "unit": "hour",
            "source": src,
            "effective_date": cols["EffectiveDate"][i][:10],
            "fetched_at": fetched_at,
        }
        if cols["TermType"][i] == "Reserved":
            lease = cols["LeaseContractLength"][i]
            key = (cols["SKU"][i], term_codes[i], lease)
            t = terms.get(key)
            if t is None:
                fields = common | _shape_fields(cols, i) | {"sku": f"{cols['SKU'][i]}.{term_codes[i]}"}
                t = terms[key] = _Term(_RESERVED[lease], _YEARS[lease], fields)
            if price is not None:
                t.priced = True
                if cols["Unit"][i] == "Quantity":
                    t.upfront += price
                else:
                    t.hourly += price
            continue
        if price is not None and price <= 0:
            stats.skip("capacity_block_without_price" if market[i] == "CapacityBlock" else "zero_price")
            continue
        fields = common | _shape_fields(cols, i) | {"sku": cols["RateCode"][i] or cols["SKU"][i]}
        if market[i] == "CapacityBlock":
            if price is None:
                stats.skip("capacity_block_without_price")
                continue
            stats.offers += 1
            yield Offer(**fields, purchase_option="capacity_block", price=price)
            continue
        if market[i] not in ("", "OnDemand"):
            stats.skip("market_option")
            continue
        stats.offers += 1
        stats.missing_prices += price is None
        yield Offer(**fields, purchase_option="on_demand", price=price)
        if price is not None:
            stats.offers += 1
            yield Offer(**fields, purchase_option="capacity_reservation", price=price)


def _price(text: str, unit: str) -> Decimal | None:
    """A row's price (None when empty; ValueError saying why when it is not a usable amount; -0 is 0)."""
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError("is not a number") from None
    high = MAX_UPFRONT if unit == "Quantity" else MAX_HOURLY
    problem = decimal_problem(value, high=high, unit=" USD")
    if problem:
        raise ValueError(problem)
    return value if value != 0 else Decimal(0)


def _reserved_offers(
    terms: dict[tuple[str, str, str], _Term], src: str, fetched_at: str, stats: BulkStats
) -> Iterator[Offer]:
    for t in terms.values():
        if not t.priced:
            stats.offers += 1
            stats.missing_prices += 1
            yield Offer(**t.fields, purchase_option=t.option, price=None)
            continue
        price = effective_hourly(t.upfront, t.hourly, t.years)
        if price <= 0:
            stats.skip("zero_price")
            continue
        stats.offers += 1
        yield Offer(**t.fields, purchase_option=t.option, price=price)


class AwsBulkSource:
    """EC2 Linux instance prices from the bulk Price List CSV files, one file per region."""

    name = "aws-bulk"

    def __init__(
        self,
        client: Any = None,
        session: Any = None,
        *,
        service_code: str = "AmazonEC2",
        timeout_s: float = 60.0,
    ) -> None:
        self._client, self._session = client, session
        self.service_code, self.timeout_s = service_code, timeout_s
        self.stats = BulkStats()

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("pricing", region_name=PRICING_REGION)
        return self._client

    @property
    def session(self) -> Any:
        if self._session is None:
            import requests

            self._session = requests.Session()
        return self._session

    def list_price_lists(
        self, region: str | None = None, *, effective: datetime | None = None
    ) -> list[dict[str, Any]]:
        """Price-list files of the service (USD), optionally of one region, effective at ``effective``."""
        kwargs: dict[str, Any] = {
            "ServiceCode": self.service_code,
            "CurrencyCode": "USD",
            "EffectiveDate": effective or datetime.now(UTC),
        }
        if region:
            kwargs["RegionCode"] = region
        out: list[dict[str, Any]] = []
        for page in self.client.get_paginator("list_price_lists").paginate(**kwargs):
            out.extend(page.get("PriceLists", []))
        return out

    def get_price_list_file_url(self, arn: str, file_format: str = "csv") -> str:
        return str(self.client.get_price_list_file_url(PriceListArn=arn, FileFormat=file_format)["Url"])

    def open_stream(self, url: str) -> Any:
        """Start a streamed download; the caller reads ``.raw`` and closes the response."""
        resp = self.session.get(url, stream=True, timeout=self.timeout_s)
        if resp.status_code != 200:
            resp.close()
            raise SourceError(
                f"price list download failed with HTTP {resp.status_code}", where="aws bulk price list"
            )
        resp.raw.decode_content = True
        return resp

    def fetch(
        self, regions: Sequence[str] | None = None, *, progress: ProgressFn | None = None
    ) -> Iterator[Offer]:
        """Offers of each region's price-list file (``regions`` None: :data:`DEFAULT_REGIONS`)."""
        fetched_at = datetime.now(UTC).isoformat(timespec="seconds")
        targets = list(regions) if regions else list(DEFAULT_REGIONS)
        for region in targets:
            lists = [p for p in self.list_price_lists(region) if "csv" in p.get("FileFormats", ["csv"])]
            if not lists:
                raise SourceError(
                    f"no {self.service_code} price list for region {region!r}", where="aws bulk price list"
                )
            for pl in lists:
                url = self.get_price_list_file_url(pl["PriceListArn"])
                resp = self.open_stream(url)
                try:
                    yield from parse_bulk_csv(
                        resp.raw, regions=[region], fetched_at=fetched_at, progress=progress, stats=self.stats
                    )
                finally:
                    resp.close()

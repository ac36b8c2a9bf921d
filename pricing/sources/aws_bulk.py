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

Kept rows: Product Family "Compute Instance", Operating System "Linux", Tenancy "Shared",
Pre Installed S/W "NA", CapacityStatus "Used", Currency "USD", Unit "Hrs", and either TermType
"OnDemand" or a Reserved term with OfferingClass "standard", PurchaseOption "No Upfront" and
LeaseContractLength "1yr"/"3yr" (-> ``reserved_1y`` / ``reserved_3y``). Everything else (Windows,
RHEL, dedicated tenancy, upfront fees, convertible terms, capacity reservations) is skipped.
An empty PricePerUnit is a missing price (None), never 0.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from planner.errors import SourceError
from pricing.schema import Offer

PRICING_REGION = "us-east-1"
DEFAULT_REGIONS = ("us-east-1", "us-west-2", "eu-west-1")  # when fetch() is given none
METADATA_LINES = 5
BLOCK_SIZE = 4 << 20  # bytes per parsed batch; 4 MB was fastest and keeps peak RSS near 300 MB (bench)
DOWNLOAD_CHUNK = 1 << 20

# Columns the parser needs (the file has ~90; only these are converted).
COLUMNS = (
    "SKU", "RateCode", "TermType", "EffectiveDate", "Unit", "PricePerUnit", "Currency", "LeaseContractLength",
    "PurchaseOption", "OfferingClass", "Product Family", "Instance Type", "vCPU", "Memory", "Tenancy",
    "Operating System", "Pre Installed S/W", "CapacityStatus", "GPU", "Region Code",
)
OPTIONAL = ("GPU",)
_FILTERS = {
    "Product Family": "Compute Instance", "Operating System": "Linux", "Tenancy": "Shared",
    "Pre Installed S/W": "NA", "CapacityStatus": "Used", "Currency": "USD", "Unit": "Hrs",
}
_RESERVED = {"1yr": "reserved_1y", "3yr": "reserved_3y"}

ProgressFn = Callable[[str, int], None]


@dataclass
class BulkStats:
    bytes_read: int = 0
    rows: int = 0
    offers: int = 0
    missing_prices: int = 0
    metadata: dict[str, str] = field(default_factory=dict)


class _Counting(io.RawIOBase):
    """A raw stream that counts the bytes read through it and reports progress every ``every`` bytes."""

    def __init__(self, inner: IO[bytes], on_bytes: Callable[[int], None] | None, every: int = 8 << 20) -> None:
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


def _read_metadata(stream: IO[bytes], where: str) -> tuple[dict[str, str], list[str]]:
    meta: dict[str, str] = {}
    for _ in range(METADATA_LINES):
        line = stream.readline().decode("utf-8-sig")
        row = next(csv.reader([line]), [])
        if len(row) < 2:
            raise SourceError(f"not an AWS price list CSV (expected 5 metadata lines, got {line[:60]!r})", where=where)
        meta[row[0]] = row[1]
    header = next(csv.reader([stream.readline().decode("utf-8")]), [])
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
) -> Iterator[Offer]:
    """Stream offers out of an AWS bulk price-list CSV (a path or a binary stream, e.g. an HTTP body)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv

    stats = stats if stats is not None else BulkStats()
    fetched_at = fetched_at or datetime.now(UTC).isoformat(timespec="seconds")
    own = isinstance(source, (str, Path))
    if isinstance(source, (str, Path)):
        where, label = str(source), f"aws bulk {Path(source).name}"
        raw: IO[bytes] = open(source, "rb")  # noqa: SIM115 - closed in the finally below
    else:
        where, label, raw = "price list stream", "aws bulk download", source
    counting = _Counting(raw, (lambda n: progress(label + " MB", n >> 20)) if progress else None)
    stream = io.BufferedReader(counting, buffer_size=DOWNLOAD_CHUNK)
    try:
        meta, header = _read_metadata(stream, where)
        stats.metadata = meta
        src = f"aws:pricing bulk price list {meta.get('OfferCode', '?')} version {meta.get('Version', '?')}"
        wanted = [c for c in COLUMNS if c in header]
        reader = pcsv.open_csv(
            stream,
            read_options=pcsv.ReadOptions(column_names=header, block_size=block_size, use_threads=True),
            convert_options=pcsv.ConvertOptions(
                include_columns=wanted, column_types={c: pa.string() for c in wanted}, strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        region_set = pa.array(sorted(regions)) if regions else None
        for batch in reader:
            stats.rows += batch.num_rows
            mask = None
            for col, value in _FILTERS.items():
                m = pc.equal(batch.column(col), value)
                mask = m if mask is None else pc.and_(mask, m)
            term = batch.column("TermType")
            reserved = pc.and_(
                pc.and_(pc.equal(term, "Reserved"), pc.equal(batch.column("OfferingClass"), "standard")),
                pc.and_(pc.equal(batch.column("PurchaseOption"), "No Upfront"),
                        pc.is_in(batch.column("LeaseContractLength"), value_set=pa.array(["1yr", "3yr"]))),
            )
            mask = pc.and_(mask, pc.or_(pc.equal(term, "OnDemand"), reserved))
            if region_set is not None:
                mask = pc.and_(mask, pc.is_in(batch.column("Region Code"), value_set=region_set))
            kept = batch.filter(mask)
            if kept.num_rows:
                yield from _offers(kept, src, fetched_at, stats, where)
            if progress is not None:
                progress(f"{label} rows", stats.rows)
    finally:
        stats.bytes_read = counting.count
        if own:
            raw.close()


def _memory_gib(text: str) -> float | None:
    num = text.replace("GiB", "").replace(",", "").strip()
    try:
        return float(num) if num else None
    except ValueError:
        return None


def _offers(batch: Any, src: str, fetched_at: str, stats: BulkStats, where: str) -> Iterator[Offer]:
    from pricing.instances import instance_shape

    cols = {c: batch.column(c).to_pylist() for c in batch.schema.names}
    for i in range(batch.num_rows):
        itype = cols["Instance Type"][i]
        text = cols["PricePerUnit"][i].strip()
        try:
            price = Decimal(text) if text else None
        except InvalidOperation:
            raise SourceError(f"SKU {cols['SKU'][i]}: price {text[:40]!r} is not a number", where=where) from None
        if price is None:
            stats.missing_prices += 1
        option = "on_demand" if cols["TermType"][i] == "OnDemand" else _RESERVED[cols["LeaseContractLength"][i]]
        shape = instance_shape("aws", itype)
        vcpu = cols["vCPU"][i].strip()
        stats.offers += 1
        yield Offer(
            provider="aws", service="AmazonEC2", sku=cols["RateCode"][i] or cols["SKU"][i],
            region=cols["Region Code"][i], resource="instance", purchase_option=option, unit="hour", price=price,
            source=src, effective_date=cols["EffectiveDate"][i][:10], fetched_at=fetched_at, instance_type=itype,
            accelerator=shape.accelerator if shape else None,
            accelerator_count=shape.accelerator_count if shape and shape.accelerator else 0,
            vcpus=float(vcpu) if vcpu.replace(".", "", 1).isdigit() else None,
            memory_gib=_memory_gib(cols["Memory"][i]),
        )


class AwsBulkSource:
    """EC2 Linux instance prices from the bulk Price List CSV files, one file per region."""

    name = "aws-bulk"

    def __init__(self, client: Any = None, session: Any = None, *, service_code: str = "AmazonEC2",
                 timeout_s: float = 60.0) -> None:
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

    def list_price_lists(self, region: str | None = None, *, effective: datetime | None = None
                         ) -> list[dict[str, Any]]:
        """Price-list files of the service (USD), optionally of one region, effective at ``effective``."""
        kwargs: dict[str, Any] = {"ServiceCode": self.service_code, "CurrencyCode": "USD",
                                  "EffectiveDate": effective or datetime.now(UTC)}
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
            raise SourceError(f"price list download failed with HTTP {resp.status_code}", where="aws bulk price list")
        resp.raw.decode_content = True
        return resp

    def fetch(self, regions: Sequence[str] | None = None, *, progress: ProgressFn | None = None) -> Iterator[Offer]:
        """Offers of each region's price-list file (``regions`` None: :data:`DEFAULT_REGIONS`)."""
        fetched_at = datetime.now(UTC).isoformat(timespec="seconds")
        targets = list(regions) if regions else list(DEFAULT_REGIONS)
        for region in targets:
            lists = [p for p in self.list_price_lists(region) if "csv" in p.get("FileFormats", ["csv"])]
            if not lists:
                raise SourceError(f"no {self.service_code} price list for region {region!r}", where="aws bulk price list")
            for pl in lists:
                url = self.get_price_list_file_url(pl["PriceListArn"])
                resp = self.open_stream(url)
                try:
                    yield from parse_bulk_csv(resp.raw, regions=[region], fetched_at=fetched_at,
                                              progress=progress, stats=self.stats)
                finally:
                    resp.close()

"""The billing-export formats the importers read, tried in this order when a file's format is detected."""

from __future__ import annotations

from planner.actuals.formats.aws import AwsAthena, AwsCur, AwsCur2
from planner.actuals.formats.azure import Azure
from planner.actuals.formats.base import Format, Header
from planner.actuals.formats.focus_csv import Focus
from planner.actuals.formats.gcp import GcpBigQuery
from planner.actuals.formats.oci import Oci
from planner.errors import InputError, quoted, suggest


class _LegacyCur(AwsCur):
    def matches(self, header: Header) -> bool:
        return super().matches(header) and any("/" in n for n in header.names)


DETECT_ORDER: tuple[Format, ...] = (Focus(), _LegacyCur(), AwsCur2(), AwsAthena(), Azure(), GcpBigQuery(), Oci())

# names accepted by format= / --input-format
FORMATS: dict[str, Format] = {
    "focus": Focus(),
    "aws-cur": AwsCur(),
    "aws-athena": AwsAthena(),
    "aws-cur2": AwsCur2(),
    "azure": Azure("azure"),
    "azure-ea": Azure("azure-ea"),
    "azure-mca": Azure("azure-mca"),
    "azure-payg": Azure("azure-payg"),
    "azure-actual": Azure("azure-actual", role="actual"),
    "azure-amortized": Azure("azure-amortized", role="amortized"),
    "gcp-bigquery": GcpBigQuery(),
    "oci": Oci(),
}


def format_named(name: str) -> Format:
    key = name.strip().lower()
    if key not in FORMATS:
        raise InputError(suggest(name, FORMATS, what="input format"))
    return FORMATS[key]


def detect(header: Header, where: str) -> tuple[Format, str]:
    """(format, name of the variant) of a file with ``header``; InputError naming the formats tried."""
    for fmt in DETECT_ORDER:
        if fmt.matches(header):
            name = fmt.variant(header) if isinstance(fmt, Azure) else fmt.name
            return fmt, name
    tried = "; ".join(f.describe() for f in DETECT_ORDER)
    shown = ", ".join(quoted(n) for n in header.names[:6]) + (", ..." if len(header.names) > 6 else "")
    raise InputError(f"not a billing export this tool reads (columns {shown}). Tried: {tried}. "
                     "Give --input-format to force one", where=where)


__all__ = ["DETECT_ORDER", "FORMATS", "Format", "Header", "detect", "format_named"]

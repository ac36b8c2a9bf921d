"""What the three cost API readers share: the source URI, the period asked for, errors without secrets,
and the FOCUS frame they all return."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

from planner.errors import InputError, PlannerError, one_line, quoted, suggest

# scheme as written -> reader
SCHEMES = {"aws-ce": "aws-ce", "ce": "aws-ce", "azure-cm": "azure-cm", "cm": "azure-cm",
           "bq": "bq", "bigquery": "bq", "gcp-billing": "bq"}
COMMON_PARAMS = ("month", "start", "end", "granularity", "group")
GRANULARITIES = ("daily", "monthly")
MAX_MESSAGE = 300


class CostAPIError(PlannerError):
    """A cost API call failed (network, credentials, permissions, throttling that did not end)."""

    exit_code = 2


@dataclass(frozen=True)
class Group:
    """One grouping of a cost query: a dimension of the common vocabulary, or a tag (label) key."""

    dim: str  # service, region, account, charge, pricing, resource; "tag" for a tag
    key: str = ""  # the tag key


@dataclass(frozen=True)
class SourceURI:
    """A parsed cost API source such as ``aws-ce:?month=2026-03&group=service,tag:workload``."""

    text: str
    scheme: str  # aws-ce, azure-cm or bq
    path: str  # Azure scope, BigQuery table; empty for Cost Explorer
    params: dict[str, str] = field(default_factory=dict)

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.params.get(name, default)

    def flag(self, name: str) -> bool:
        v = (self.params.get(name) or "").strip().lower()
        if v in ("", "0", "false", "no", "off"):
            return False
        if v in ("1", "true", "yes", "on"):
            return True
        raise InputError(f"{name}={quoted(v)} is not yes or no", where=self.text, field=name)


def parse_uri(uri: str, allowed: Iterable[str] | None = None) -> SourceURI:
    """``SCHEME:PATH?key=value&...`` -> :class:`SourceURI`. With ``allowed`` (the reader's own parameters),
    keys that are neither those nor common ones are an error naming the valid ones."""
    if not isinstance(uri, str) or ":" not in uri:
        raise InputError("not a cost API source; write e.g. aws-ce:?month=2026-03", where=str(uri))
    scheme, rest = uri.split(":", 1)
    kind = SCHEMES.get(scheme.strip().lower())
    if kind is None:
        raise InputError(suggest(scheme, SCHEMES, what="cost API"), where=uri)
    path, _, query = rest.partition("?")
    params: dict[str, str] = {}
    for k, v in parse_qsl(query, keep_blank_values=True):
        k = k.strip().lower()
        if k in params:
            raise InputError(f"{k} is given twice", where=uri, field=k)
        params[k] = v.strip()
    valid = (*COMMON_PARAMS, *(allowed or ()))
    for k in params:
        if allowed is not None and k not in valid:
            raise InputError(suggest(k, valid, what="parameter"), where=uri, field=k)
    return SourceURI(uri, kind, path.strip(), params)


@dataclass(frozen=True)
class Period:
    """Days ``start`` (inclusive) to ``end`` (exclusive), and the granularity of the rows asked for."""

    start: date
    end: date
    granularity: str  # daily or monthly

    @property
    def label(self) -> str:
        return f"{self.start.isoformat()}..{(self.end - timedelta(days=1)).isoformat()}"

    def months(self) -> list[date]:
        """First days of the months the period touches."""
        out, m = [], self.start.replace(day=1)
        while m < self.end:
            out.append(m)
            m = next_month(m)
        return out


def next_month(d: date) -> date:
    return date(d.year + d.month // 12, d.month % 12 + 1, 1)


_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def _day(uri: SourceURI, name: str) -> date:
    text = uri.get(name) or ""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{name}={quoted(text)} is not a date; write YYYY-MM-DD", where=uri.text,
                         field=name) from None


def _given_span(uri: SourceURI) -> tuple[date, date] | None:
    """(first day, day after the last) of ``month=`` or ``start=``/``end=``; None when neither is given."""
    month = uri.get("month")
    if month is not None and (uri.get("start") or uri.get("end")):
        raise InputError("give month= or start=/end=, not both", where=uri.text, field="month")
    if month is not None:
        m = _MONTH.match(month)
        if not m:
            raise InputError(f"month={quoted(month)} is not a month; write YYYY-MM, e.g. 2026-03", where=uri.text,
                             field="month")
        first = date(int(m.group(1)), int(m.group(2)), 1)
        return first, next_month(first)
    if uri.get("start") or uri.get("end"):
        if not (uri.get("start") and uri.get("end")):
            raise InputError("give both start= and end= (end is exclusive), or month=YYYY-MM", where=uri.text,
                             field="start" if not uri.get("start") else "end")
        start, end = _day(uri, "start"), _day(uri, "end")
        if end <= start:
            raise InputError(f"end {end} is not after start {start} (end is exclusive)", where=uri.text,
                             field="end")
        return start, end
    return None


def _granularity(uri: SourceURI, start: date, end: date) -> str:
    gran = (uri.get("granularity") or "").strip().lower()
    if not gran:
        gran = "daily" if start.replace(day=1) == (end - timedelta(days=1)).replace(day=1) else "monthly"
    if gran not in GRANULARITIES:
        raise InputError(suggest(gran, GRANULARITIES, what="granularity"), where=uri.text, field="granularity")
    return gran


def period_of(uri: SourceURI, today: date | None = None) -> Period:
    """The period of ``uri``: ``month=YYYY-MM``, or ``start=``/``end=`` (end exclusive), or by default the
    current month to date. A month that is not over ends today (data for today are still coming in).
    ``granularity``: ``daily`` or ``monthly``; by default daily for a period within one month, else monthly."""
    today = today or datetime.now(UTC).date()
    span = _given_span(uri)
    if span is None:
        start, end = today.replace(day=1), today + timedelta(days=1)
    elif uri.get("month") is not None:
        start, end = span[0], min(span[1], today + timedelta(days=1))
        if start > today:
            raise InputError(f"month {uri.get('month')} has not started; actual costs exist only up to today",
                             where=uri.text, field="month")
    else:
        start, end = span
    return Period(start, end, _granularity(uri, start, end))


def groups_of(uri: SourceURI, valid: Sequence[str], default: str = "service", most: int = 2,
              tag_words: Sequence[str] = ("tag",)) -> list[Group]:
    """The ``group=`` list of ``uri``: names of ``valid`` and ``tag:KEY`` (or ``label:KEY`` where allowed)."""
    text = uri.get("group")
    items = [p.strip() for p in (text if text is not None else default).split(",") if p.strip()]
    out: list[Group] = []
    for item in items:
        word, sep, key = item.partition(":")
        if sep and word.strip().lower() in tag_words:
            key = key.strip()
            if not key:
                raise InputError(f"{item}: give the tag key, e.g. tag:workload", where=uri.text, field="group")
            out.append(Group("tag", key))
        elif item.lower() in valid:
            out.append(Group(item.lower()))
        else:
            raise InputError(suggest(item, [*valid, "tag:KEY"], what="group"), where=uri.text, field="group")
    if len(out) > most:
        raise InputError(f"{len(out)} groups given; this API groups by at most {most}", where=uri.text,
                         field="group")
    if len(set(out)) < len(out):
        raise InputError("a group is given twice", where=uri.text, field="group")
    return out


# --- messages without secrets -------------------------------------------------------------------------

_SECRET_NAME = re.compile(r"SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIAL|ACCESS_KEY|PRIVATE|API_KEY|SAS", re.IGNORECASE)
_SECRET_PREFIXED = [  # the prefix (group 1) stays, what follows it goes
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"(?i)((?:sig|signature|access_token|refresh_token|client_secret|x-amz-security-token|"
               r"x-amz-signature|password)=)[^&\s\"']+"),
]
_SECRET_WHOLE = [
    re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]*"),  # JWTs
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)", re.DOTALL),
]


def redact(text: str) -> str:
    """``text`` without the values of secret-looking environment variables, bearer tokens, signatures,
    JWTs or private keys, on one line and at most :data:`MAX_MESSAGE` characters."""
    out = str(text)
    for name, value in os.environ.items():
        if _SECRET_NAME.search(name) and len(value) >= 8 and value in out:
            out = out.replace(value, "[redacted]")
    for pat in _SECRET_PREFIXED:
        out = pat.sub(lambda m: m.group(1) + "[redacted]", out)
    for pat in _SECRET_WHOLE:
        out = pat.sub("[redacted]", out)
    out = one_line(" ".join(out.split()))
    return out if len(out) <= MAX_MESSAGE else out[: MAX_MESSAGE - 3] + "..."


def api_error(message: str, uri: SourceURI | str) -> CostAPIError:
    where = uri.text if isinstance(uri, SourceURI) else uri
    return CostAPIError(redact(message), where=redact(where))


def missing_sdk(module: str, extra: str, uri: SourceURI) -> InputError:
    return InputError(f"this source needs the {module} package; install it with pip install 'planner[{extra}]'",
                      where=uri.text)


def no_costs(uri: SourceURI, what: str, period: Period, hint: str) -> InputError:
    return InputError(f"{what} returned no costs for {period.label}; {hint}", where=uri.text)


def no_tag(uri: SourceURI, key: str, period: Period, hint: str) -> InputError:
    return InputError(f"no cost in {period.label} has tag {quoted(key)}; {hint}", where=uri.text,
                      field=f"tag:{key}")


# --- the frame ----------------------------------------------------------------------------------------


def utc(d: date | datetime) -> Any:
    import pandas as pd

    ts = pd.Timestamp(d)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def focus_frame(rows: list[dict[str, Any]]) -> Any:
    """FOCUS frame of ``rows`` (dicts of FOCUS columns): every FOCUS column present (null where a row has
    none), times as UTC timestamps, costs as float64, ``Tags`` a dict per row."""
    import pandas as pd

    from planner.actuals.focus import COST_COLUMNS, FOCUS_COLUMNS, TIME_COLUMNS

    cols: dict[str, Any] = {}
    for c in FOCUS_COLUMNS:
        vals = [r.get(c) for r in rows]
        if c in COST_COLUMNS or c == "ConsumedQuantity":
            cols[c] = pd.Series([float("nan") if v is None else float(v) for v in vals], dtype="float64")
        elif c in TIME_COLUMNS:
            cols[c] = pd.to_datetime(pd.Series(vals, dtype=object), utc=True)
        elif c == "Tags":
            cols[c] = pd.Series([dict(v) if v else {} for v in vals], dtype=object)
        else:
            cols[c] = pd.Series(vals, dtype=object)
    extra = sorted({k for r in rows for k in r if k not in FOCUS_COLUMNS})
    for c in extra:
        cols[c] = pd.Series([r.get(c) for r in rows], dtype=object)
    return pd.DataFrame(cols)


FORECAST_COLUMNS = ("ProviderName", "ChargePeriodStart", "ChargePeriodEnd", "BillingCurrency",
                    "ForecastBilledCost", "ForecastBilledCostLower", "ForecastBilledCostUpper",
                    "ForecastEffectiveCost", "ForecastEffectiveCostLower", "ForecastEffectiveCostUpper")


def forecast_frame(rows: list[dict[str, Any]]) -> Any:
    """A forecast frame: :data:`FORECAST_COLUMNS`, one row per day or month (bounds null where the API gives
    none)."""
    import pandas as pd

    cols: dict[str, Any] = {}
    for c in FORECAST_COLUMNS:
        vals = [r.get(c) for r in rows]
        if c.startswith("Forecast"):
            cols[c] = pd.Series([float("nan") if v is None else float(v) for v in vals], dtype="float64")
        elif c.startswith("ChargePeriod"):
            cols[c] = pd.to_datetime(pd.Series(vals, dtype=object), utc=True)
        else:
            cols[c] = pd.Series(vals, dtype=object)
    return pd.DataFrame(cols)


def forecast_period(uri: SourceURI, today: date | None = None) -> Period:
    """The period a forecast covers: ``month=`` (from today on if the month has begun), ``start=``/``end=``,
    or by default from today to the end of the month."""
    today = today or datetime.now(UTC).date()
    if uri.get("group"):
        raise InputError("a forecast is a total; leave group= out", where=uri.text, field="group")
    span = _given_span(uri)
    if span is None:
        start, end = today, next_month(today)
    elif uri.get("month") is not None:
        start, end = max(span[0], today), span[1]
        if start >= end:
            raise InputError(f"month {uri.get('month')} is over; a forecast covers today or later",
                             where=uri.text, field="month")
    else:
        start, end = span
    return Period(start, end, _granularity(uri, start, end))

"""Actual spend from the clouds' cost APIs, as FOCUS rows: AWS Cost Explorer, Azure Cost Management and the
Google Cloud billing export in BigQuery.

A source is a URI (docs/actuals.md, "Cost APIs")::

    aws-ce:?month=2026-03&group=service,tag:workload
    azure-cm:subscriptions/<id>?start=2026-01-01&end=2026-04-01&granularity=monthly
    bq:my-project.billing.gcp_billing_export_v1_0123AB_4567CD_89EF01?month=2026-03&group=service,label:team

    from planner.actuals.apis import open_source, forecast
    frame = open_source("aws-ce:?month=2026-03&group=service,tag:workload")   # FOCUS columns
    ahead = forecast("aws-ce:?month=2026-04")                                 # ForecastBilledCost, ...

:func:`planner.actuals.read_actuals` and :func:`planner.actuals.summarize` take these URIs beside files.
Each reader builds its SDK client from the SDK's standard credential chain; pass ``client=`` to use one of
your own (a boto3 ``ce`` client, a ``CostManagementClient``, a ``bigquery.Client``). The SDKs are imported
only when a source of theirs is read.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from planner.actuals.apis.common import (
    FORECAST_COLUMNS,
    CostAPIError,
    SourceURI,
    forecast_period,
    parse_uri,
)
from planner.errors import InputError

__all__ = ["FORECAST_COLUMNS", "CostAPIError", "SourceURI", "forecast", "open_source", "parse_uri"]


READERS = {"aws-ce": "planner.actuals.apis.aws_ce", "azure-cm": "planner.actuals.apis.azure_cm",
           "bq": "planner.actuals.apis.gcp_bq"}


def _module(scheme: str) -> Any:
    import importlib

    return importlib.import_module(READERS[scheme])


def _parse(uri: str | SourceURI) -> tuple[SourceURI, Any]:
    if isinstance(uri, SourceURI):
        return uri, _module(uri.scheme)
    scheme = parse_uri(uri).scheme  # validates the scheme; the parameters are checked against the reader's
    mod = _module(scheme)
    return parse_uri(uri, mod.PARAMS), mod


def open_source(uri: str | SourceURI, *, client: Any = None, today: date | None = None, **kw: Any) -> Any:
    """Actual costs of a cost API source as a pandas DataFrame of FOCUS columns
    (:data:`planner.actuals.FOCUS_COLUMNS`; ``Tags`` a dict per row), one row per period (day or month) and
    group. ``client``: an SDK client to use instead of one built from the standard credential chain.
    ``today``: the date "month to date" is counted to (default: today, UTC). Other keywords go to the reader
    (Azure: ``sleep``, the function that waits out throttling).

    Raises :class:`planner.errors.InputError` for a bad URI or a scope/tag with no costs, and
    :class:`CostAPIError` (exit code 2, one line, no secrets) when the API cannot be reached or refuses.
    """
    parsed, mod = _parse(uri)
    return mod.read(parsed, client=client, today=today, **kw)


def forecast(uri: str | SourceURI, *, client: Any = None, today: date | None = None, **kw: Any) -> Any:
    """Forecast costs of a cost API source: a DataFrame of :data:`FORECAST_COLUMNS`, one row per day or month
    from ``today`` (or ``start=``) to the end of the month (or ``end=``). AWS gives an 80 % prediction
    interval; Azure gives the expected value only. The BigQuery billing export has no forecast."""
    parsed, mod = _parse(uri)
    if not hasattr(mod, "forecast"):
        raise InputError(f"{parsed.scheme}: sources have no forecast API; forecast from the scenario's plan",
                         where=parsed.text)
    return mod.forecast(parsed, forecast_period(parsed, today), client=client, **kw)

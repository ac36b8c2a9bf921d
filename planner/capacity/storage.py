"""Storage over time: GB held in each month with linear and compound growth."""

from __future__ import annotations

from itertools import pairwise

from planner.capacity.requirements import StorageNeed
from planner.errors import InputError


def gb_by_month(initial_gb: float, months: int, growth_gb_per_month: float = 0.0,
                growth_pct_per_month: float = 0.0) -> tuple[float, ...]:
    """GB stored in months 1..``months``: month 1 holds ``initial_gb``; each later month adds
    ``growth_pct_per_month`` percent of the previous month, then ``growth_gb_per_month``."""
    if months < 1:
        raise InputError(f"months must be at least 1, got {months}")
    if initial_gb < 0 or growth_pct_per_month < -100:
        raise InputError("initial_gb must be >= 0 and growth_pct_per_month >= -100")
    out = [float(initial_gb)]
    for _ in range(months - 1):
        out.append(max(0.0, out[-1] * (1 + growth_pct_per_month / 100.0) + growth_gb_per_month))
    return tuple(out)


def gb_months_billed(initial_gb: float, months: int, growth_gb_per_month: float = 0.0,
                     growth_pct_per_month: float = 0.0) -> tuple[float, ...]:
    """GB-months billed in months 1..``months``: the average held over each month.

    S3, Cloud Storage and Azure Blob bill storage prorated over the month (GB-months, or GiB-hours
    averaged), not the volume on the first day. With growth spread evenly through the month, month m
    holds on average the mean of its start and end volumes: 50,000 GB growing 1,000 GB a month bills
    50,500 GB-months in month 1. Start volumes follow :func:`gb_by_month`.
    """
    starts = gb_by_month(initial_gb, months + 1, growth_gb_per_month, growth_pct_per_month)
    return tuple((a + b) / 2.0 for a, b in pairwise(starts))


def storage_need(storage_class: str, initial_gb: float, months: int, growth_gb_per_month: float = 0.0,
                 growth_pct_per_month: float = 0.0, write_requests_per_month: float = 0.0,
                 read_requests_per_month: float = 0.0, egress_gb_per_month: float = 0.0) -> StorageNeed:
    return StorageNeed(storage_class, gb_months_billed(initial_gb, months, growth_gb_per_month, growth_pct_per_month),
                       write_requests_per_month, read_requests_per_month, egress_gb_per_month)

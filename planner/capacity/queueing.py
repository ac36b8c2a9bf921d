"""Queueing formulas for sizing servers against a latency percentile.

M/M/c (Erlang C): ``P(wait > t) = C(c, a) · exp(-(cμ - λ)·t)`` with ``a = λ/μ``, so the p-quantile
of the wait is ``max(0, ln(C / (1 - p)) / (cμ - λ))``. Service times of model servers are closer to
deterministic, so M/D/c uses the Allen–Cunneen correction ``(Ca² + Cs²)/2`` with ``Cs² = 0``,
i.e. half the M/M/c wait (mean and quantile alike).
"""

from __future__ import annotations

import math

from planner.errors import InputError


def erlang_c(servers: int, offered_erlangs: float) -> float:
    """Probability that an arrival waits in an M/M/c queue (1.0 when the queue is unstable)."""
    if servers < 1:
        raise InputError(f"servers must be at least 1, got {servers}")
    if offered_erlangs <= 0:
        return 0.0
    if offered_erlangs >= servers:
        return 1.0
    rho = offered_erlangs / servers
    if servers > offered_erlangs + 8.0 * math.sqrt(offered_erlangs) + 8.0:
        # far from saturation P(Poisson(a) <= c) ~ 1, so Erlang B ~ a^c e^-a / c! (O(1) for large c)
        b = math.exp(servers * math.log(offered_erlangs) - offered_erlangs - math.lgamma(servers + 1))
        return b / (1.0 - rho * (1.0 - b))
    b = 1.0  # Erlang B by the stable recurrence B(k) = a·B(k-1) / (k + a·B(k-1))
    for k in range(1, servers + 1):
        b = offered_erlangs * b / (k + offered_erlangs * b)
    return b / (1.0 - rho * (1.0 - b))


def mmc_wait_quantile_s(arrival_per_s: float, service_s: float, servers: int, percentile: float = 0.95,
                        variability: float = 1.0) -> float:
    """p-quantile of the queueing wait (seconds) in M/M/c, scaled by ``variability`` = (Ca²+Cs²)/2.

    Returns ``math.inf`` when arrivals exceed capacity.
    """
    if not 0 < percentile < 1:
        raise InputError(f"percentile must be between 0 and 1, got {percentile}")
    if arrival_per_s <= 0:
        return 0.0
    mu = 1.0 / service_s
    spare = servers * mu - arrival_per_s
    if spare <= 0:
        return math.inf
    c = erlang_c(servers, arrival_per_s * service_s)
    if c <= 1.0 - percentile:
        return 0.0
    return variability * math.log(c / (1.0 - percentile)) / spare


def mdc_wait_quantile_s(arrival_per_s: float, service_s: float, servers: int, percentile: float = 0.95) -> float:
    """M/D/c wait quantile (Allen–Cunneen: half the M/M/c wait)."""
    return mmc_wait_quantile_s(arrival_per_s, service_s, servers, percentile, variability=0.5)


def mmc_mean_wait_s(arrival_per_s: float, service_s: float, servers: int) -> float:
    mu = 1.0 / service_s
    spare = servers * mu - arrival_per_s
    if spare <= 0:
        return math.inf
    return erlang_c(servers, arrival_per_s * service_s) / spare

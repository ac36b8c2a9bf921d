"""Queueing formulas for sizing servers against a latency percentile.

M/M/c (Erlang C): ``P(wait > t) = C(c, a) · exp(-(cμ - λ)·t)`` with ``a = λ/μ``, so the p-quantile
of the wait is ``max(0, ln(C / (1 - p)) / (cμ - λ))``. Service times of model servers are closer to
deterministic, so M/D/c uses the Allen–Cunneen correction ``(Ca² + Cs²)/2`` with ``Cs² = 0``,
i.e. half the M/M/c wait (mean and quantile alike).
"""

from __future__ import annotations

import math

from planner.errors import InputError


def erlang_b(servers: int, offered_erlangs: float) -> float:
    """Blocking probability of M/M/c/c: ``P(X = c) / P(X <= c)`` for ``X ~ Poisson(a)``.

    Summed downward from ``c`` in O(sqrt(a)) terms (those further below the mode are negligible)."""
    a, c = offered_erlangs, servers
    if a <= 0:
        return 0.0
    top = math.exp(c * math.log(a) - a - math.lgamma(c + 1))  # P(X = c)
    if c > a + 8.0 * math.sqrt(a) + 8.0:
        return top  # P(X <= c) ~ 1 this far above the mean
    total, term, k = top, top, c
    while k > 0:
        term *= k / a
        k -= 1
        total += term
        if k < a and term < 1e-17 * total:
            break
    return top / total if total > 0 else 1.0


def erlang_c(servers: int, offered_erlangs: float) -> float:
    """Probability that an arrival waits in an M/M/c queue (1.0 when the queue is unstable)."""
    if servers < 1:
        raise InputError(f"servers must be at least 1, got {servers}")
    if offered_erlangs <= 0:
        return 0.0
    if offered_erlangs >= servers:
        return 1.0
    rho = offered_erlangs / servers
    b = erlang_b(servers, offered_erlangs)
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

"""The P10-P90 band on the page: the scenario on screen priced at a few draws of its main estimates.

Forecasts are the uncertain inputs of a plan, so each estimate the page has a lever for is drawn around the value on
screen (the median of each draw):

=================================  =================================================  ===========================
estimate                           drawn as                                           P10 .. P90 of the draws
=================================  =================================================  ===========================
traffic (qps_mean, qps_peak)       value x lognormal(sigma 0.35), one factor for both  x0.64 .. x1.57
traffic growth (% a month)         value + normal(sd 2.5 points)                      -3.2 .. +3.2 points
GPU-hours / training tokens        value x lognormal(sigma 0.25)                      x0.73 .. x1.38
batch requests per run             value x lognormal(sigma 0.35)                      x0.64 .. x1.57
storage GB, growth (GB a month)    value x lognormal(sigma 0.25)                      x0.73 .. x1.38
storage growth (% a month)         value + normal(sd 2.5 points), at least 0          -3.2 .. +3.2 points
=================================  =================================================  ===========================

The draws are a Latin hypercube (:class:`scipy.stats.qmc.LatinHypercube`, fixed seed) so that :data:`N_DRAWS`
comparisons cover each estimate's range evenly; each draw is an ordinary :func:`planner.whatif.what_if` +
:func:`planner.compare`, and the band is the 10th and 90th percentile of each cloud's spend in each month (and of
its spend to date), over the draws in which the cloud priced everything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from planner.money import money
from planner.scenario import Scenario, Serving, Storage, Training

if TYPE_CHECKING:
    from planner.serve.engine import Engine

N_DRAWS = 16
SEED = 20_260_101
TRAFFIC_SIGMA = 0.35
GROWTH_SD_POINTS = 2.5
SIZE_SIGMA = 0.25


def available() -> bool:
    """Whether the band can be drawn (scipy is a core dependency; kept as a check for trimmed installs)."""
    import importlib.util

    return importlib.util.find_spec("scipy") is not None


def _levers(sc: Scenario) -> list[tuple[str, list[tuple[str, float]], str, float, float]]:
    """(name, [(what_if path, value on screen)], kind, spread, floor) for each uncertain estimate of ``sc``.

    ``kind`` is "factor" (the values are multiplied by one lognormal factor) or "shift" (a normal shift in points).
    """
    out: list[tuple[str, list[tuple[str, float]], str, float, float]] = []
    from planner.serve.controls import workload_key

    for i, w in enumerate(sc.workloads):
        p = f"workloads.{workload_key(sc, i)}."
        if isinstance(w, Serving) and w.style == "real_time" and w.qps_mean is not None:
            paths = [(p + "qps_mean", w.qps_mean)] + ([(p + "qps_peak", w.qps_peak)] if w.qps_peak is not None else [])
            out.append((f"{w.name} traffic", paths, "factor", TRAFFIC_SIGMA, 0.0))
            out.append((f"{w.name} traffic growth", [(p + "qps_growth_pct_per_month", w.qps_growth_pct_per_month)],
                        "shift", GROWTH_SD_POINTS, -99.0))
        elif isinstance(w, Serving) and w.style == "batch" and w.requests_per_run is not None:
            out.append((f"{w.name} requests per run", [(p + "requests_per_run", w.requests_per_run)], "factor",
                        TRAFFIC_SIGMA, 0.0))
        elif isinstance(w, Training):
            if w.gpu_hours is not None:
                out.append((f"{w.name} GPU-hours", [(p + "gpu_hours", w.gpu_hours)], "factor", SIZE_SIGMA, 0.0))
            elif w.tokens is not None:
                out.append((f"{w.name} tokens", [(p + "tokens", w.tokens)], "factor", SIZE_SIGMA, 0.0))
        elif isinstance(w, Storage):
            out.append((f"{w.name} GB", [(p + "gb", w.gb)], "factor", SIZE_SIGMA, 0.0))
            if w.growth_gb_per_month:
                out.append((f"{w.name} growth", [(p + "growth_gb_per_month", w.growth_gb_per_month)], "factor",
                            SIZE_SIGMA, 0.0))
            if w.growth_pct_per_month:
                out.append((f"{w.name} growth %", [(p + "growth_pct_per_month", w.growth_pct_per_month)], "shift",
                            GROWTH_SD_POINTS, 0.0))
    return out


def draws(sc: Scenario, n: int = N_DRAWS, seed: int = SEED) -> list[dict[str, float]]:
    """``n`` sets of overrides (what_if paths to values) drawn around the values of ``sc``."""
    from scipy import stats
    from scipy.stats import qmc

    levers = _levers(sc)
    if not levers:
        return []
    u = qmc.LatinHypercube(d=len(levers), seed=seed).random(n)
    out = []
    for row in u:
        d: dict[str, float] = {}
        for (_, paths, kind, spread, floor), q in zip(levers, row, strict=True):
            z = float(stats.norm.ppf(q))
            for path, v in paths:
                x = v * float(stats.lognorm(spread).ppf(q)) if kind == "factor" else v + z * spread
                x = float(f"{max(floor, x):.6g}")
                if kind == "factor" and x <= 0:
                    x = v
                d[path] = x
        out.append(d)
    return out


def _pct(values: list[list[float]], q: float) -> list[float | None]:
    import numpy as np

    return [money(_dec(x)) for x in np.percentile(np.asarray(values, dtype=float), q, axis=0)]


def _dec(x: float) -> Any:
    from decimal import Decimal

    return Decimal(repr(float(x)))


def band(engine: Engine, sid: str, overrides: Any, n: int = N_DRAWS, seed: int = SEED) -> dict[str, Any]:
    """Per cloud, the P10 and P90 of its spend in each month and to date, over ``n`` draws around the scenario
    on screen (with the page's changes)."""
    from planner.comparison import compare
    from planner.errors import PlannerError
    from planner.whatif import what_if

    _, _, sc = engine.scenario(sid, overrides)
    levers = _levers(sc)
    if not levers:
        return {"clouds": [], "n": 0, "note": "No estimate to vary: the scenario has no traffic, GPU-hours or "
                                              "storage lever."}
    monthly: dict[str, list[list[float]]] = {}
    left_out = 0
    for d in draws(sc, n, seed):
        try:
            cmp = compare(what_if(sc, d), engine.catalog, pricebook=engine.pricebook)
        except PlannerError:
            left_out += 1
            continue
        for c in cmp.clouds:
            spend = list(c.monthly_spend)
            if c.complete and spend and all(v is not None for v in spend):
                monthly.setdefault(c.cloud, []).append([float(v) for v in spend if v is not None])
    clouds = []
    for cloud, rows in monthly.items():
        cum = [[sum(r[: m + 1]) for m in range(len(r))] for r in rows]
        clouds.append({"cloud": cloud, "draws": len(rows),
                       "monthly_p10": _pct(rows, 10), "monthly_p50": _pct(rows, 50), "monthly_p90": _pct(rows, 90),
                       "cumulative_p10": _pct(cum, 10), "cumulative_p90": _pct(cum, 90)})
    names = ", ".join(name for name, *_ in levers)
    note = (f"P10–P90 of {n} draws (Latin hypercube, seed {seed}) of: {names}. Traffic x0.64–x1.57, sizes x0.73–x1.38, "
            f"growth ±3.2 points (P10–P90).")
    if left_out:
        note += f" {left_out} draw{'s' * (left_out != 1)} left out (not a valid scenario)."
    return {"clouds": clouds, "n": n, "note": note}

"""Distributions for Monte Carlo assumptions: simple specs translated to :mod:`scipy.stats`.

An assumption is one of

- a frozen :mod:`scipy.stats` distribution, e.g. ``scipy.stats.norm(40, 8)`` (used as given);
- a mapping ``{"dist": "normal", "mean": 40, "sd": 8}``;
- a tuple ``("normal", 40, 8)`` (positional parameters in the order below);
- text ``"normal(40, 8)"`` or ``"normal(40, 8, min=20)"`` (the CLI's ``--assume PATH=SPEC``).

=============  =============================  ==============================================
name           parameters (positional order)  scipy.stats
=============  =============================  ==============================================
``normal``     ``mean``, ``sd``               ``norm(loc=mean, scale=sd)``
``lognormal``  ``mean``, ``sd`` of the value  ``lognorm(s=sigma, scale=exp(mu))`` with
               (or ``median``, ``sigma``      sigma² = ln(1 + sd²/mean²), mu = ln(mean) − sigma²/2
               of its logarithm)
``uniform``    ``low``, ``high``              ``uniform(loc=low, scale=high − low)``
``triangular`` ``low``, ``mode``, ``high``    ``triang(c=(mode − low)/(high − low), loc=low, scale=high − low)``
``choice``     ``values`` [, ``p``]           ``numpy.random.Generator.choice`` (any values, e.g. lists of
                                              purchase options)
=============  =============================  ==============================================

Every numeric assumption may also carry ``min`` and ``max``.

**Draws always make valid scenarios.** A draw is taken from the distribution *truncated* to the range the
field accepts (its declared bounds -- e.g. ``qps_peak`` above 0, a price factor in (0, 100] -- intersected
with ``min``/``max``): uniform numbers between F(low) and F(high) are mapped through the distribution's
inverse CDF (``ppf``), so the shape inside the range is kept and nothing piles up at a bound. The share of
the distribution's mass that was cut off is reported (:attr:`McResult.truncated`). A distribution with no
mass inside the range is refused. Draws for integer fields (``horizon_months``, ``min_replicas``, token
counts) are rounded to the nearest integer. Rules that tie two fields together (``qps_peak`` at least
``qps_mean``) are checked on every draw: a draw that breaks one is refused with an error naming the draw,
its value and the rule, so give ``min``/``max`` to keep the distribution inside it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from planner.whatif.core import GridError

# name -> (canonical name, positional parameter names)
_NAMES: dict[str, tuple[str, tuple[str, ...]]] = {
    "normal": ("normal", ("mean", "sd")), "norm": ("normal", ("mean", "sd")), "gaussian": ("normal", ("mean", "sd")),
    "lognormal": ("lognormal", ("mean", "sd")), "lognorm": ("lognormal", ("mean", "sd")),
    "uniform": ("uniform", ("low", "high")),
    "triangular": ("triangular", ("low", "mode", "high")), "triang": ("triangular", ("low", "mode", "high")),
    "choice": ("choice", ("values", "p")),
}
_BOUND_KEYS = ("min", "max")


@dataclass(frozen=True)
class Assumption:
    """One assumption: a frozen scipy distribution (``dist``) or a list of values to choose from."""

    path: str
    label: str  # e.g. "normal(mean=40, sd=8)"
    dist: Any = None  # scipy.stats frozen distribution (numeric assumptions)
    values: tuple[Any, ...] = ()  # choice
    p: tuple[float, ...] | None = None
    low: float = -math.inf  # user bounds (min/max); the field's own bounds are added when sampling
    high: float = math.inf

    @property
    def numeric(self) -> bool:
        return self.dist is not None


def _err(path: str, msg: str) -> GridError:
    return GridError(msg, field=path)  # shown as "PATH: MSG"


def _number(path: str, name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise _err(path, f"{name} must be a number, got {value!r}") from None
    x = float(value)
    if not math.isfinite(x):
        raise _err(path, f"{name} must be a finite number, got {value!r}")
    return x


def parse_spec(text: str, path: str = "--assume") -> dict[str, Any]:
    """``"normal(40, 8, min=20)"`` -> ``{"dist": "normal", "mean": 40, "sd": 8, "min": 20}``."""
    import yaml

    m = re.fullmatch(r"\s*([A-Za-z_]+)\s*\((.*)\)\s*", text, flags=re.DOTALL)
    if not m:
        raise _err(path, f"expected NAME(PARAMS) such as normal(40, 8), lognormal(40, 8), uniform(20, 60), "
                         f"triangular(20, 40, 80) or choice(a, b), got {text!r}")
    name = m.group(1).lower()
    if name not in _NAMES:
        raise _unknown_dist(path, name)
    try:
        args = yaml.safe_load(f"[{m.group(2)}]")
    except yaml.YAMLError:
        raise _err(path, f"cannot read the parameters of {text!r}; give numbers separated by commas") from None
    canon, params = _NAMES[name]
    spec: dict[str, Any] = {"dist": canon}
    if canon == "choice":  # every argument is a value to choose from
        spec["values"] = args
        return spec
    positional = []
    for a in args:
        if isinstance(a, str) and "=" in a:
            k, _, v = a.partition("=")
            spec[k.strip()] = yaml.safe_load(v)
        elif isinstance(a, dict):  # yaml reads "min: 3" as a mapping
            spec.update(a)
        else:
            positional.append(a)
    if len(positional) > len(params):
        raise _err(path, f"{canon} takes {len(params)} parameters ({', '.join(params)}), got {len(positional)}")
    spec.update(zip(params, positional, strict=False))
    return spec


def _unknown_dist(path: str, name: str) -> GridError:
    from difflib import get_close_matches

    known = sorted({c for c, _ in _NAMES.values()})
    close = get_close_matches(name, list(_NAMES), n=1)
    hint = f"did you mean {_NAMES[close[0]][0]}? " if close else ""
    return _err(path, f"unknown distribution {name!r}; {hint}use one of {', '.join(known)} or a scipy.stats "
                      "frozen distribution")


def to_assumption(path: str, spec: Any) -> Assumption:
    """Translate one assumption spec (see the module doc) into an :class:`Assumption`; bad parameters raise
    :class:`~planner.whatif.core.GridError`."""
    if hasattr(spec, "ppf") and hasattr(spec, "cdf") and hasattr(spec, "dist"):  # scipy frozen
        args = ", ".join([*(f"{a:g}" if isinstance(a, (int, float)) else repr(a) for a in spec.args),
                          *(f"{k}={v:g}" if isinstance(v, (int, float)) else f"{k}={v!r}" for k, v in spec.kwds.items())])
        return Assumption(path, f"{spec.dist.name}({args})", dist=spec)
    if isinstance(spec, str):
        spec = parse_spec(spec, path)
    elif isinstance(spec, (tuple, list)):
        if not spec or not isinstance(spec[0], str):
            raise _err(path, f"a tuple spec starts with the distribution's name, e.g. ('normal', 40, 8), got {spec!r}")
        name = spec[0].lower()
        if name not in _NAMES:
            raise _unknown_dist(path, name)
        canon, params = _NAMES[name]
        if canon == "choice":
            vals = spec[1] if len(spec) == 2 and isinstance(spec[1], (list, tuple)) else list(spec[1:])
            spec = {"dist": "choice", "values": list(vals)}
        else:
            if len(spec) - 1 != len(params):
                raise _err(path, f"{canon} takes {len(params)} parameters ({', '.join(params)}), got {len(spec) - 1}")
            spec = {"dist": canon, **dict(zip(params, spec[1:], strict=True))}
    if not isinstance(spec, Mapping):
        raise _err(path, f"expected a scipy.stats distribution, a mapping such as {{'dist': 'normal', 'mean': 40, "
                         f"'sd': 8}}, a tuple or text such as 'normal(40, 8)', got {spec!r}")
    spec = dict(spec)
    name = str(spec.pop("dist", spec.pop("distribution", "")) or "").lower()
    if not name:
        raise _err(path, "the mapping needs 'dist' (normal, lognormal, uniform, triangular or choice)")
    if name not in _NAMES:
        raise _unknown_dist(path, name)
    canon = _NAMES[name][0]
    if canon == "choice":
        return _choice(path, spec)
    low = _number(path, "min", spec.pop("min")) if spec.get("min") is not None else -math.inf
    high = _number(path, "max", spec.pop("max")) if spec.get("max") is not None else math.inf
    spec.pop("min", None)
    spec.pop("max", None)
    if low >= high:
        raise _err(path, f"min ({low:g}) must be below max ({high:g})")
    dist, label = _scipy(path, canon, spec)
    bounds = "".join(f", {k}={v:g}" for k, v in (("min", low), ("max", high)) if math.isfinite(v))
    return Assumption(path, label[:-1] + bounds + ")", dist=dist, low=low, high=high)


def _take(path: str, canon: str, spec: dict[str, Any], names: Sequence[str]) -> list[float]:
    missing = [n for n in names if spec.get(n) is None]
    if missing:
        raise _err(path, f"{canon} needs {', '.join(names)}; missing {', '.join(missing)}")
    out = [_number(path, n, spec.pop(n)) for n in names]
    if spec:
        raise _err(path, f"{canon} takes {', '.join(names)} (and min, max); unknown {', '.join(map(str, spec))}")
    return out


def _scipy(path: str, canon: str, spec: dict[str, Any]) -> tuple[Any, str]:
    from scipy import stats

    if canon == "normal":
        mean, sd = _take(path, canon, spec, ("mean", "sd"))
        if sd <= 0:
            raise _err(path, f"normal needs sd > 0, got {sd:g}")
        return stats.norm(loc=mean, scale=sd), f"normal(mean={mean:g}, sd={sd:g})"
    if canon == "lognormal":
        if "median" in spec or "sigma" in spec:
            median, sigma = _take(path, canon, spec, ("median", "sigma"))
            if median <= 0 or sigma <= 0:
                raise _err(path, f"lognormal needs median > 0 and sigma > 0, got median={median:g}, sigma={sigma:g}")
            return stats.lognorm(s=sigma, scale=median), f"lognormal(median={median:g}, sigma={sigma:g})"
        mean, sd = _take(path, canon, spec, ("mean", "sd"))
        if mean <= 0 or sd <= 0:
            raise _err(path, f"lognormal needs mean > 0 and sd > 0 (of the value), got mean={mean:g}, sd={sd:g}")
        sigma2 = math.log1p((sd / mean) ** 2)
        mu = math.log(mean) - sigma2 / 2
        return stats.lognorm(s=math.sqrt(sigma2), scale=math.exp(mu)), f"lognormal(mean={mean:g}, sd={sd:g})"
    if canon == "uniform":
        lo, hi = _take(path, canon, spec, ("low", "high"))
        if lo >= hi:
            raise _err(path, f"uniform needs low < high, got low={lo:g}, high={hi:g}")
        return stats.uniform(loc=lo, scale=hi - lo), f"uniform(low={lo:g}, high={hi:g})"
    lo, mode, hi = _take(path, canon, spec, ("low", "mode", "high"))
    if not lo <= mode <= hi or lo >= hi:
        raise _err(path, f"triangular needs low <= mode <= high and low < high, got {lo:g}, {mode:g}, {hi:g}")
    return (stats.triang(c=(mode - lo) / (hi - lo), loc=lo, scale=hi - lo),
            f"triangular(low={lo:g}, mode={mode:g}, high={hi:g})")


def _choice(path: str, spec: dict[str, Any]) -> Assumption:
    values = spec.pop("values", None)
    p = spec.pop("p", None)
    if spec:
        raise _err(path, f"choice takes values (and p); unknown {', '.join(map(str, spec))}")
    if not isinstance(values, (list, tuple)) or not values:
        raise _err(path, f"choice needs a non-empty list of values, got {values!r}")
    probs: tuple[float, ...] | None = None
    if p is not None:
        if not isinstance(p, (list, tuple)) or len(p) != len(values):
            raise _err(path, f"choice: p needs one probability per value ({len(values)}), got {p!r}")
        probs = tuple(_number(path, "p", x) for x in p)
        if any(x < 0 for x in probs) or not math.isclose(sum(probs), 1.0, abs_tol=1e-9):
            raise _err(path, f"choice: p must be non-negative and add up to 1, got {list(probs)}")
    label = "choice(" + ", ".join(map(_short, values)) + ")"
    return Assumption(path, label, values=tuple(values), p=probs)


def _short(v: Any) -> str:
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(map(str, v)) + "]"
    return f"{v:g}" if isinstance(v, float) else str(v)


@dataclass(frozen=True)
class FieldBounds:
    low: float = -math.inf
    high: float = math.inf
    low_open: bool = False  # gt rather than ge
    high_open: bool = False
    integer: bool = False


def field_bounds(scenario: Any, path: str) -> FieldBounds:
    """The range a numeric field accepts (from the scenario model's declared bounds)."""
    import annotated_types as at

    from planner.whatif.overrides import _resolve, scenario_data

    _, key, model = _resolve(scenario_data(scenario), path)
    if model is None:
        if path.split(".")[0] == "prices":  # price factors: above 0, at most 100 (Scenario._price_factors)
            return FieldBounds(0.0, 100.0, low_open=True)
        return FieldBounds()
    info = next((f for n, f in model.model_fields.items() if (f.alias or n) == key), None)  # type: ignore[attr-defined]
    if info is None:
        return FieldBounds()
    b: dict[str, Any] = {}
    for m in info.metadata:
        if isinstance(m, at.Gt):
            b.update(low=float(m.gt), low_open=True)  # type: ignore[arg-type]
        elif isinstance(m, at.Ge):
            b.update(low=float(m.ge), low_open=False)  # type: ignore[arg-type]
        elif isinstance(m, at.Lt):
            b.update(high=float(m.lt), high_open=True)  # type: ignore[arg-type]
        elif isinstance(m, at.Le):
            b.update(high=float(m.le), high_open=False)  # type: ignore[arg-type]
    ann = str(info.annotation)
    b["integer"] = info.annotation is int or ann in ("int | None", "typing.Optional[int]")
    return FieldBounds(**b)


def draw(a: Assumption, n: int, rng: Any, bounds: FieldBounds) -> tuple[Any, float]:
    """``n`` draws of ``a`` (a numpy array, or a list for a choice) and the share of mass cut off by truncation."""
    import numpy as np

    if not a.numeric:
        idx = rng.choice(len(a.values), size=n, p=None if a.p is None else np.asarray(a.p))
        return [a.values[i] for i in idx], 0.0
    lo, hi = max(a.low, bounds.low), min(a.high, bounds.high)
    if bounds.integer:  # a draw rounds to the nearest integer: keep it inside after rounding
        if math.isfinite(lo):
            lo = math.ceil(lo - 0.5) - 0.5
        if math.isfinite(hi):
            hi = math.floor(hi + 0.5) + 0.5
        if bounds.low_open and math.isfinite(bounds.low) and lo < bounds.low + 0.5:
            lo = bounds.low + 0.5
    if lo >= hi:
        raise _err(a.path, f"min/max ({a.low:g}, {a.high:g}) leave nothing of the range the field accepts "
                           f"({bounds.low:g} to {bounds.high:g})")
    f_lo = float(a.dist.cdf(lo)) if math.isfinite(lo) else 0.0
    f_hi = float(a.dist.cdf(hi)) if math.isfinite(hi) else 1.0
    if not f_hi > f_lo:
        raise _err(a.path, f"{a.label} puts no probability between {lo:g} and {hi:g}, the values the field accepts; "
                           "move it or widen min/max")
    u = rng.uniform(f_lo, f_hi, size=n)
    x = np.asarray(a.dist.ppf(u), dtype=float)
    # ppf at the very edge can land on an open bound (or a hair outside it through rounding): nudge inside
    x = np.clip(x, np.nextafter(lo, math.inf), np.nextafter(hi, -math.inf))
    if bounds.integer:
        x = np.rint(x)
    return x, 1.0 - (f_hi - f_lo)


__all__ = ["Assumption", "FieldBounds", "draw", "field_bounds", "parse_spec", "to_assumption"]

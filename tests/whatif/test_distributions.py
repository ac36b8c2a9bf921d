"""Monte Carlo assumptions: scipy.stats frozen distributions as given, simple specs translated to scipy.stats,
draws truncated to what the field accepts, bad parameters refused with a PlannerError."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from planner.errors import PlannerError
from planner.whatif.distributions import FieldBounds, draw, field_bounds, parse_spec, to_assumption

P = "workloads.chat.qps_peak"


def test_scipy_frozen_distribution_is_used_as_given():
    d = stats.lognorm(0.5, scale=40)
    a = to_assumption(P, d)
    assert a.dist is d
    assert a.label == "lognorm(0.5, scale=40)"


@pytest.mark.parametrize(("spec", "ref"), [
    ({"dist": "normal", "mean": 40, "sd": 8}, stats.norm(40, 8)),
    (("normal", 40, 8), stats.norm(40, 8)),
    ("normal(40, 8)", stats.norm(40, 8)),
    ("uniform(20, 60)", stats.uniform(loc=20, scale=40)),
    (("triangular", 20, 30, 80), stats.triang(c=10 / 60, loc=20, scale=60)),
    ({"dist": "lognormal", "median": 40, "sigma": 0.5}, stats.lognorm(0.5, scale=40)),
])
def test_simple_specs_are_scipy_distributions(spec, ref):
    a = to_assumption(P, spec)
    q = [0.01, 0.1, 0.5, 0.9, 0.99]
    assert a.dist.ppf(q) == pytest.approx(ref.ppf(q), rel=1e-12)


def test_lognormal_by_mean_and_sd_of_the_value():
    # sigma^2 = ln(1 + sd^2/mean^2), mu = ln(mean) - sigma^2/2: the lognormal with that mean and sd
    a = to_assumption(P, "lognormal(40, 10)")
    assert a.dist.mean() == pytest.approx(40, rel=1e-12)
    assert a.dist.std() == pytest.approx(10, rel=1e-12)


def test_text_spec_with_bounds():
    assert parse_spec("normal(40, 8, min=20)") == {"dist": "normal", "mean": 40, "sd": 8, "min": 20}
    a = to_assumption(P, "normal(40, 8, min=20, max=50)")
    assert (a.low, a.high) == (20, 50)
    x, cut = draw(a, 2000, np.random.default_rng(0), FieldBounds())
    assert x.min() >= 20 and x.max() <= 50
    # the mass cut off is the normal's outside [20, 50]
    assert cut == pytest.approx(stats.norm(40, 8).cdf(20) + stats.norm(40, 8).sf(50), rel=1e-9)


def test_choice_spec():
    a = to_assumption("purchase_options", "choice([on_demand], [on_demand, reserved_1y])")
    assert a.values == (["on_demand"], ["on_demand", "reserved_1y"])
    x, cut = draw(a, 50, np.random.default_rng(1), FieldBounds())
    assert cut == 0 and {tuple(v) for v in x} <= {("on_demand",), ("on_demand", "reserved_1y")}


def test_draws_are_truncated_to_the_field_bounds(small):
    b = field_bounds(small, P)
    assert b.low == 0 and b.low_open  # qps_peak > 0
    pb = field_bounds(small, "prices.gcp")
    assert (pb.low, pb.high) == (0, 100)
    x, cut = draw(to_assumption(P, "normal(1, 2)"), 5000, np.random.default_rng(2), b)
    assert x.min() > 0
    assert cut == pytest.approx(stats.norm(1, 2).cdf(0), rel=1e-9)


def test_integer_fields_draw_whole_numbers(small):
    b = field_bounds(small, "horizon_months")
    assert b.integer
    x, _ = draw(to_assumption("horizon_months", "uniform(1, 24)"), 200, np.random.default_rng(3), b)
    assert np.array_equal(x, np.rint(x)) and x.min() >= 1


@pytest.mark.parametrize(("spec", "message"), [
    ("normal(40, -1)", "sd > 0"),
    ("normal(40)", "missing sd"),
    ("normal(40, 8, 3)", "takes 2 parameters"),
    ("lognormal(-5, 1)", "mean > 0"),
    ({"dist": "lognormal", "median": 0, "sigma": 1}, "median > 0"),
    ("uniform(60, 20)", "low < high"),
    ("triangular(20, 90, 80)", "low <= mode <= high"),
    ("normall(40, 8)", "did you mean normal"),
    ("normal(40, 8, min=50, max=10)", "must be below max"),
    ("normal(forty, 8)", "mean must be a number"),
    ({"dist": "normal", "mean": 40, "sd": 8, "skew": 1}, "unknown skew"),
    ({"mean": 40}, "needs 'dist'"),
    (42, "expected a scipy.stats distribution"),
    ("gauss 40 8", "expected NAME(PARAMS)"),
    (("uniform", 1), "takes 2 parameters"),
    ("choice()", "non-empty list"),
    ({"dist": "choice", "values": [1, 2], "p": [0.5, 0.6]}, "add up to 1"),
    ({"dist": "normal", "mean": math.inf, "sd": 1}, "finite"),
])
def test_invalid_parameters_are_planner_errors(spec, message):
    with pytest.raises(PlannerError, match=message.replace("(", r"\(").replace(")", r"\)")):
        to_assumption(P, spec)


def test_no_mass_inside_the_field_range_is_refused(small):
    a = to_assumption(P, "uniform(-10, -5)")
    with pytest.raises(PlannerError, match="no probability"):
        draw(a, 10, np.random.default_rng(0), field_bounds(small, P))

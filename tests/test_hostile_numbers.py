"""Numbers that are not numbers, and bad ``PLANNER_*`` variables: one line naming the field, exit code 2.

NaN, infinities, values that overflow (``1e999999999``), subnormal dust (``5e-324``), booleans (YAML 1.1
reads yes/no/on/off as true/false) and binary data where numbers belong, in scenarios, price books,
model configs and command-line flags. ``-0.0`` is 0. Every case runs through the real command line.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from planner.cli import main

BOOL = "(YAML reads yes, no, on and off as true and false)"
TINY = "is too close to zero to be a real quantity; give 0 or at least 1e-09"


def one_line_error(args: list[str], env: dict[str, str] | None = None) -> str:
    r = CliRunner().invoke(main, args, env=env)
    assert r.exit_code == 2, (r.exit_code, r.stderr, r.exception)
    assert r.stderr.endswith("\n") and r.stderr.count("\n") == 1, repr(r.stderr)
    return r.stderr[:-1]


# -- scenarios ----------------------------------------------------------------------------------------

def _storage(gb: str) -> str:
    return f"name: x\ncompare: {{clouds: [aws]}}\nworkloads:\n  - name: d\n    type: storage\n    gb: {gb}\n"


SCENARIO_NUMBERS = [
    # (YAML value of gb, message after "workloads[0] (d).gb (line 6): ")
    (".nan", "must be a number, not NaN"),
    ("NaN", "must be a number, not 'NaN'"),  # YAML 1.1 reads a bare NaN as text
    (".inf", "must be a finite number, not inf"),
    ("-.inf", "must be a finite number, not -inf"),
    ("Infinity", "must be a finite number, not 'Infinity'"),
    ("1e999999999", "'1e999999999' is too large for any quantity; check the units"),
    # 1e308 is a float, but more than an exabyte (MAX_GB = 1e12 in planner/scenario.py)
    ("1e308", "Input should be less than or equal to 1000000000000 (got 1e+308)"),
    ("5e-324", f"'5e-324' {TINY}"),
    ("4.9406564584124654e-324", f"5e-324 {TINY}"),  # YAML 1.1 reads this form (dot, signed exponent) as a float
    ("true", f"must be a number, not true {BOOL}"),
    ("on", f"must be a number, not true {BOOL}"),
    ("!!binary aGVsbG8=", "binary data (!!binary) where a number or text belongs; write the value as plain text"),
    ("-0.0", "Input should be greater than 0 (got 0.0)"),  # -0.0 is 0, and gb must be above 0
]


@pytest.mark.parametrize(("value", "message"), SCENARIO_NUMBERS, ids=[v for v, _ in SCENARIO_NUMBERS])
def test_scenario_numbers_that_are_not_numbers(tmp_path: Path, value: str, message: str) -> None:
    f = tmp_path / "s.yaml"
    f.write_text(_storage(value))
    # !!binary is refused while reading the YAML, which knows the key path but not the workload's name
    field = "workloads[0].gb" if value.startswith("!!binary") else "workloads[0] (d).gb"
    assert one_line_error(["compare", str(f)]) == f"Error: {f}: {field} (line 6): {message}"


def test_scenario_whole_number_field_refuses_yes(tmp_path: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text("name: x\nhorizon_months: yes\nworkloads:\n  - {name: d, type: storage, gb: 5}\n")
    assert one_line_error(["compare", str(f)]) == (
        f"Error: {f}: horizon_months (line 2): must be a whole number, not true {BOOL}")


def test_scenario_text_field_refuses_a_boolean(tmp_path: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text("name: no\nworkloads:\n  - {name: d, type: storage, gb: 5}\n")
    assert one_line_error(["compare", str(f)]) == (
        f"Error: {f}: name (line 1): must be text, not false {BOOL[:-1]}; put quotes around it)")


def test_scenario_yes_no_field_refuses_a_number(tmp_path: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text("name: x\nworkloads:\n  - {name: t, type: training, accelerator: H100-SXM, gpu_hours: 10, "
                 "interruptible: 2}\n")
    assert one_line_error(["compare", str(f)]) == (
        f"Error: {f}: workloads[0] (t).interruptible (line 3): must be true or false, not 2")


def test_scenario_minus_zero_is_zero(tmp_path: Path) -> None:
    from planner import load_scenario

    f = tmp_path / "s.yaml"
    f.write_text("name: x\nworkloads:\n  - {name: d, type: storage, gb: 5, growth_gb_per_month: -0.0}\n")
    growth = load_scenario(f).workloads[0].growth_gb_per_month  # type: ignore[union-attr]
    assert growth == 0 and str(growth) == "0.0"  # not "-0.0"


def test_scenario_numbers_written_as_text_are_read_as_numbers(tmp_path: Path) -> None:
    """YAML 1.1 reads 2e12 (no dot, unsigned exponent) as text; it is still the number 2 x 10^12."""
    from planner import load_scenario

    f = tmp_path / "s.yaml"
    f.write_text("name: x\nworkloads:\n  - {name: d, type: storage, gb: 2e3}\n")
    assert load_scenario(f).workloads[0].gb == 2000.0  # type: ignore[union-attr]


# -- price books --------------------------------------------------------------------------------------

PRICEBOOK_NUMBERS = [
    # (rule, field, message)
    ("{provider: aws, percent: .nan}", "discounts[0].percent", "must be a number, not NaN"),
    ("{provider: aws, percent: true}", "discounts[0].percent", f"must be a number, not true {BOOL}"),
    ("{provider: aws, percent: 5e-324}", "discounts[0].percent", f"'5e-324' {TINY}"),
    ("{provider: aws, instance_type: g6.xlarge, purchase_option: on_demand, usd_per_hour: 1e999999999}",
     "rates[0].usd_per_hour", "'1e999999999' is too large for any quantity; check the units"),
    ("{provider: aws, instance_type: g6.xlarge, purchase_option: on_demand, usd_per_hour: .inf}",
     "rates[0].usd_per_hour", "must be a finite number, not inf"),
    # -0.0 is 0, and a zero price is never an offer
    ("{provider: aws, instance_type: g6.xlarge, purchase_option: on_demand, usd_per_hour: -0.0}",
     "rates[0].usd_per_hour", ("must be more than 0 and at most 1,000,000 USD, not 0 (a zero price is never an "
                               "offer: leave the rule out where there is no price)")),
    ("{provider: !!binary YXdz, percent: 5}", None,
     "binary data (!!binary) where a number or text belongs; write the value as plain text"),
]


@pytest.mark.parametrize(("rule", "field", "message"), PRICEBOOK_NUMBERS, ids=range(len(PRICEBOOK_NUMBERS)))
def test_price_book_numbers_that_are_not_numbers(tmp_path: Path, rule: str, field: str | None,
                                                 message: str) -> None:
    sc = tmp_path / "s.yaml"
    sc.write_text("name: x\ncompare: {clouds: [aws]}\nworkloads:\n  - {name: d, type: storage, gb: 5}\n")
    pb = tmp_path / "pb.yaml"
    section = "discounts" if "percent" in rule else "rates"
    pb.write_text(f"name: acme\n{section}:\n  - {rule}\n")
    err = one_line_error(["compare", str(sc), "--pricebook", str(pb)])
    if field is None:  # refused by the YAML reader, which names the key path and line
        assert err == f"Error: {pb}: discounts[0].provider (line 3): {message}"
    else:
        assert err == f"Error: {pb}:3: {field}: {message}"


# -- model configs (JSON) -----------------------------------------------------------------------------

SHAPE = {"num_attention_heads": 32, "num_hidden_layers": 32, "vocab_size": 128256}  # Llama 3 8B's config.json

CONFIG_NUMBERS = [
    # (hidden_size as written in the JSON, message after "<file>: hidden_size: ")
    ("NaN", "must be a number, not NaN; give the value (JSON has no NaN or Infinity)"),
    ("Infinity", "must be a number, not Infinity; give the value (JSON has no NaN or Infinity)"),
    ("1e999999999", "is too large for any number (it overflows to infinity); check the value"),
    ("1e308", "1e+308 is larger than any model size (1e+15); check the value"),
    ("5e-324", "5e-324 is too close to zero to be a real value; give 0 or the intended value"),
    ("4096.5", "must be a whole number, not 4096.5"),
]


@pytest.mark.parametrize(("value", "message"), CONFIG_NUMBERS, ids=[v for v, _ in CONFIG_NUMBERS])
def test_model_config_numbers_that_are_not_numbers(tmp_path: Path, value: str, message: str) -> None:
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps(SHAPE)[:-1] + f', "hidden_size": {value}}}')
    err = one_line_error(["capacity", "llm", "--model", str(cfg), "--gpu", "H100"])
    assert err == f"Error: {cfg}: hidden_size: {message}"


def test_model_config_boolean_size_is_refused(tmp_path: Path) -> None:
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps({**SHAPE, "hidden_size": 4096, "num_attention_heads": True}))
    err = one_line_error(["capacity", "llm", "--model", str(cfg), "--gpu", "H100"])
    assert err == f"Error: {cfg}: num_attention_heads must be a positive number, got True"


# -- command-line flags -------------------------------------------------------------------------------

SERVE = ["capacity", "serve", "--model", "llama-3-8b", "--gpu", "H100"]
TRAIN = ["capacity", "train", "--model", "llama-3-8b", "--gpu", "H100", "--gpus", "8", "--tokens", "1T"]

FLAGS = [
    (SERVE + ["--qps", "nan"], "planner capacity serve", "--qps", "must be a number, not 'nan'; give a number such as 2.5"),
    (SERVE + ["--qps", "1", "--ttft-p95-ms", "nan"], "planner capacity serve", "--ttft-p95-ms",
     "must be a number, not 'nan'; give a number such as 2.5"),
    (SERVE + ["--qps", "1", "--tpot-ms", "inf"], "planner capacity serve", "--tpot-ms",
     "must be a finite number, not 'inf'; give a number such as 2.5"),
    (SERVE + ["--qps", "1e999999999"], "planner capacity serve", "--qps",
     "'1e999999999' is too large for any quantity; check the units; give a number such as 2.5"),
    (SERVE + ["--qps", "-0.0"], "planner capacity serve", "--qps", "0.0 is not in the range 0<x<=100000000.0."),
    (SERVE + ["--qps", "5e-324"], "planner capacity serve", "--qps",
     f"'5e-324' {TINY}; give a number such as 2.5"),
    (SERVE + ["--qps", "1", "--utilization", "NaN"], "planner capacity serve", "--utilization",
     "must be a number, not 'NaN'; give a number such as 2.5"),
    (TRAIN + ["--overhead", "inf"], "planner capacity train", "--overhead",
     "must be a finite number, not 'inf'; give a number such as 2.5"),
    (TRAIN + ["--mfu", "nan"], "planner capacity train", "--mfu", "must be a number, not 'nan'; give a number such as 2.5"),
    (["catalog", "diff", "embedded", "embedded", "--threshold-pct", "nan"], "planner catalog diff",
     "--threshold-pct", "must be a number, not 'nan'; give a number such as 2.5"),
]


@pytest.mark.parametrize(("args", "command", "flag", "message"), FLAGS, ids=range(len(FLAGS)))
def test_flags_that_are_not_numbers(args: list[str], command: str, flag: str, message: str) -> None:
    err = one_line_error(args)
    assert err == f"Error: {command}: Invalid value for '{flag}': {message} (see '{command} --help')"


def test_training_tokens_beyond_any_run_are_refused() -> None:
    # the scenarios' bound on tokens is 1e16 (planner/scenario.py, Training.tokens)
    args = ["capacity", "train", "--model", "llama-3-8b", "--gpu", "H100", "--gpus", "8", "--tokens", "1e308"]
    assert one_line_error(args) == ("Error: --tokens: 1e308 is 1e+308 tokens; give 1 to 1e+16 (forms like 15T, "
                                    "300B, 2e12)")


# -- PLANNER_* environment variables ------------------------------------------------------------------

ENV = [
    ("PLANNER_NOW", "yesterday", "'yesterday' is not a date; give YYYY-MM-DD such as 2026-12-02, or unset the variable"),
    ("PLANNER_NOW", "0001-01-01", "'0001-01-01' is not a date from 2000 to 2199; give YYYY-MM-DD, or unset the variable"),
    ("PLANNER_STALE_DAYS", "1e3", "'1e3' is not a whole number of days; give 0 to 36500, or unset the variable"),
    ("PLANNER_STALE_DAYS", "-3", "'-3' is not from 0 to 36500 days; give 0 to 36500, or unset the variable"),
    ("PLANNER_DEBUG", "yes", "'yes' is not 1 or 0; give 1 to show tracebacks or 0 not to, or unset the variable"),
]


@pytest.mark.parametrize(("name", "value", "message"), ENV, ids=[f"{n}={v}" for n, v, _ in ENV])
def test_bad_environment_variables_name_the_variable(name: str, value: str, message: str) -> None:
    assert one_line_error(["catalog", "list"], env={name: value}) == f"Error: {name}: {message}"


def test_planner_home_that_is_a_file(tmp_path: Path) -> None:
    f = tmp_path / "home"
    f.write_text("")
    assert one_line_error(["catalog", "list"], env={"PLANNER_HOME": str(f)}) == (
        f"Error: PLANNER_HOME: {str(f)!r} is a file, not a folder; point it at a folder (created when missing)")
    under = f / "sub"
    assert one_line_error(["catalog", "list"], env={"PLANNER_HOME": str(under)}) == (
        f"Error: PLANNER_HOME: {str(under)!r} cannot be used (Not a directory); point it at a folder")


def test_planner_home_that_loops(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.symlink_to(b)
    b.symlink_to(a)
    assert one_line_error(["catalog", "list"], env={"PLANNER_HOME": str(a)}) == (
        f"Error: PLANNER_HOME: {str(a)!r} cannot be used (a symbolic link loop); point it at a folder")


def test_pinned_date_is_checked_in_the_library_too(monkeypatch: pytest.MonkeyPatch) -> None:
    from planner.errors import InputError
    from pricing.catalog import today

    monkeypatch.setenv("PLANNER_NOW", "yesterday")
    with pytest.raises(InputError, match="^PLANNER_NOW: 'yesterday' is not a date"):
        today()
    monkeypatch.setenv("PLANNER_NOW", "2026-12-02")
    assert today().date().isoformat() == "2026-12-02"


def test_every_planner_variable_the_code_reads_is_checked() -> None:
    """grep for PLANNER_ names in the code: each one read at run time is checked by check_environment."""
    import re

    from pricing.env import VARIABLES

    repo = Path(__file__).resolve().parents[1]
    found: set[str] = set()
    for pkg in ("planner", "pricing"):
        for f in (repo / pkg).rglob("*.py"):
            found |= set(re.findall(r"PLANNER_[A-Z_]+", f.read_text(encoding="utf-8")))
    assert found == set(VARIABLES)

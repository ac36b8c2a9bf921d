"""Property: any scenario either compares, with finite non-negative money, or fails with one ``Error:`` line.

Hypothesis starts from the example scenarios in ``scenarios/`` and mutates them: drops keys and list items,
duplicates list items (workloads included), retypes values (text, numbers, booleans, null, lists, mappings,
NaN and infinities), puts extreme numbers in numeric fields (0, -0, dust, 1e15, 1e308, bounds and just past
them), renames keys and swaps workload types and styles. Each case runs ``planner compare`` in process (click's
CliRunner) in one of the four formats and must either

* exit 0 with output that parses (strict JSON: no NaN or Infinity) and money that is finite and not negative, or
* exit 2 with exactly one ``Error:`` line on stderr (warnings aside), nothing on stdout and no traceback,

each within PER_CASE_SECONDS of CPU time (a guard against hangs, not a speed test; CPU time, so other jobs on
a shared machine do not trip it). The normal suite runs
DEFAULT_EXAMPLES cases, the same ones every time; ``PLANNER_FUZZ_EXAMPLES=N`` runs N random ones.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import math
import os
import re
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.cli import main

REPO = Path(__file__).resolve().parents[1]
BASES = {p.stem: yaml.safe_load(p.read_text()) for p in sorted((REPO / "scenarios").glob("*.yaml"))}
DEFAULT_EXAMPLES = 200
EXAMPLES = int(os.environ.get("PLANNER_FUZZ_EXAMPLES") or DEFAULT_EXAMPLES)
PER_CASE_SECONDS = 20.0

# Values a mutation can put anywhere (retype) and in numeric places (extreme). The numeric bounds are the
# scenario's own (planner/scenario.py: MAX_QPS 1e8, MAX_GB 1e12, MAX_USD 1e11, MAX_COUNT 1e15, horizon 1..120,
# hours 744) and one step past them.
ANY_VALUES: list[Any] = ["text", "", " ", "H100-SXM", "llama-3-8b", "[/x] :smile:", "a\nb", 0, 1, -1, 2.5, True,
                         False, None, [], {}, [1, 2], {"a": 1}, ["x"], math.nan, math.inf, -math.inf, "1e400"]
EXTREMES: list[Any] = [0, -0.0, -1, 1, 5e-324, 1e-9, 0.5, 1.5, 24, 25, 100, 120, 121, 744, 745, 1000, 1001, 1e8,
                       1.0000001e8, 1e11, 1e12, 1.1e12, 1e15, 1.1e15, 1e16, 2**63, 1e308, -1e308]
TYPES = ["training", "serving", "storage", "other"]
STYLES = ["real_time", "batch", "edge", "stream"]

# JSON fields that are money (USD) and may never be negative; "headroom" (budget minus spend) may be
MONEY = {"monthly_cost", "contracted_monthly_cost", "on_demand_list_monthly_cost", "one_time_cost", "total",
         "contracted_total", "month_1_billed", "average_month", "horizon_total", "contracted_horizon_total",
         "commitment_tail", "contracted_commitment_tail", "horizon_cost", "decided_on", "peak_month_cost",
         "unit_price", "average_unit_price", "margin_usd", "margin_usd_per_month", "cost", "account_cost",
         "usd_per_month"}


class CaseTimeout(BaseException):  # BaseException: nothing under test catches it on the way out
    pass


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    raise CaseTimeout(f"a case used more than {PER_CASE_SECONDS:g} s of CPU time")


# -- mutations -----------------------------------------------------------------------------------------

def _paths(node: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in the document: mapping keys and list indexes, depth first."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield (*at, k)
            yield from _paths(v, (*at, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield (*at, i)
            yield from _paths(v, (*at, i))


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        doc = doc[p]
    return doc


def mutate(doc: dict[str, Any], op: str, pick: int, value: Any) -> None:
    """Apply one mutation in place; ``pick`` chooses the place (modulo the candidates), ``value`` the new value
    (an extreme number for ``extreme``: ``EXTREMES[pick]`` when ``value`` is not a number)."""
    paths = list(_paths(doc))
    if op == "extreme" and (not isinstance(value, (int, float)) or isinstance(value, bool)):
        value = EXTREMES[pick % len(EXTREMES)]
    if op in ("drop", "retype", "extreme", "rename"):
        if op == "extreme":  # numbers only: the fields whose bounds matter
            paths = [p for p in paths if isinstance(_get(doc, p), (int, float)) and not isinstance(_get(doc, p), bool)]
        if op == "rename":
            paths = [p for p in paths if isinstance(p[-1], str)]
        if not paths:
            return
        path = paths[pick % len(paths)]
        parent = _get(doc, path[:-1])
        if op == "drop":
            del parent[path[-1]]
        elif op == "rename":
            key = path[-1]
            new = [key[:-1], key.upper(), key + "s", key.replace("_", "-"), "qps_mean", "type", "gb", "name"][pick % 8]
            parent[new if new else "x"] = parent.pop(key)
        else:
            parent[path[-1]] = copy.deepcopy(value)  # never the shared pool object itself
    elif op == "duplicate":
        lists = [p for p in paths if isinstance(_get(doc, p), list) and _get(doc, p)]
        if lists:
            seq = _get(doc, lists[pick % len(lists)])
            seq.append(copy.deepcopy(seq[pick % len(seq)]))
    elif op in ("swap_type", "swap_style"):
        listed = doc.get("workloads")
        workloads = [w for w in listed if isinstance(w, dict)] if isinstance(listed, list) else []
        if workloads:
            w = workloads[pick % len(workloads)]
            if op == "swap_type":
                w["type"] = TYPES[(TYPES.index(w["type"]) + 1 + pick % 3) % 4] if w.get("type") in TYPES else "serving"
            else:
                w["style"] = STYLES[pick % len(STYLES)]


# Most renames, duplicates and retypes are refused by validation; extreme numbers and swaps are where a scenario
# gets through and the arithmetic and outputs are tested, so they are drawn more often.
OPS = ["extreme"] * 6 + ["swap_style"] * 2 + ["swap_type"] + ["drop"] * 2 + ["retype"] * 2 + ["duplicate", "rename"]
mutation = st.tuples(st.sampled_from(OPS), st.integers(min_value=0, max_value=10_000),
                     st.one_of(st.sampled_from(ANY_VALUES), st.sampled_from(EXTREMES)))
case = st.tuples(st.sampled_from(sorted(BASES)), st.lists(mutation, min_size=1, max_size=2),
                 st.sampled_from(["json", "table", "markdown", "csv"]),
                 st.sampled_from([(), (), ("--explain",), ("--monthly",)]))


# -- checks --------------------------------------------------------------------------------------------

def _strict_json(text: str) -> Any:
    def refuse(token: str) -> Any:
        raise AssertionError(f"output is not JSON: it holds {token}")

    return json.loads(text, parse_constant=refuse)


def _money_ok(node: Any, key: str = "") -> None:
    if isinstance(node, dict):
        for k, v in node.items():
            _money_ok(v, str(k))
    elif isinstance(node, list):
        for v in node:
            _money_ok(v, key)
    elif key in MONEY and node is not None:
        assert isinstance(node, (int, float)) and math.isfinite(node) and node >= 0, f"{key} = {node!r}"


NOT_A_NUMBER = re.compile(r"(?<![A-Za-z])(nan|inf|infinity)(?![A-Za-z])", re.IGNORECASE)


def check_output(fmt: str, out: str, monthly: bool) -> None:
    """``out`` (names removed from text formats) parses, and its money is finite and not negative."""
    if fmt == "json":
        doc = _strict_json(out)
        _money_ok(doc)
        if not monthly:
            _money_ok(doc["totals"], "total")
        return
    assert not NOT_A_NUMBER.search(out), NOT_A_NUMBER.search(out)
    assert not re.search(r"-\$\d", out), "negative money"
    if fmt == "csv":
        for r in csv.DictReader(io.StringIO(out)):
            for k in ("monthly_cost", "contracted_monthly_cost", "horizon_cost", "one_time_cost", "cost"):
                if r.get(k):
                    v = float(r[k])
                    assert math.isfinite(v) and v >= 0, (k, r[k])


def run_case(base: str, mutations: list[tuple[str, int, Any]], fmt: str, flags: tuple[str, ...] = ()) -> None:
    doc = copy.deepcopy(BASES[base])
    for op, pick, value in mutations:
        mutate(doc, op, pick, value)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scenario.yaml"
        path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
        old = signal.signal(signal.SIGPROF, _on_alarm)
        signal.setitimer(signal.ITIMER_PROF, PER_CASE_SECONDS)
        try:
            r = CliRunner().invoke(main, ["compare", str(path), "--format", fmt, *flags],
                                   env={"PLANNER_NOW": "2026-11-26"})
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0)
            signal.signal(signal.SIGPROF, old)
    assert isinstance(r.exception, SystemExit) or r.exception is None, repr(r.exception)
    if r.exit_code == 0:
        names = [str(w.get("name")) for w in doc["workloads"]]
        names += [str(doc["name"]), *(str(f.get("name")) for f in doc.get("fixed_costs") or [])]
        text = r.stdout
        for n in sorted(set(names), key=len, reverse=True):  # names are the user's text: a workload may be "inf"
            text = text.replace(n, "") if n else text
        check_output(fmt, r.stdout if fmt == "json" else text, "--monthly" in flags)
        return
    assert r.exit_code == 2, (r.exit_code, r.stderr[-2000:])
    lines = r.stderr.splitlines()
    errors = [ln for ln in lines if ln.startswith("Error: ")]
    assert len(errors) == 1, r.stderr[-2000:]
    assert all(ln.startswith(("Error: ", "Warning: ")) for ln in lines), r.stderr[-2000:]
    assert r.stderr.endswith("\n") and r.stdout == "", (r.stdout[-500:], r.stderr[-500:])
    assert "Traceback" not in r.stderr


@settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize="PLANNER_FUZZ_EXAMPLES" not in os.environ,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case)
def test_mutated_scenarios_compare_or_fail_in_one_line(
        c: tuple[str, list[tuple[str, int, Any]], str, tuple[str, ...]]) -> None:
    run_case(*c)


@pytest.mark.parametrize("base", sorted(BASES))
def test_unmutated_examples_pass_the_same_checks(base: str) -> None:
    run_case(base, [], "json")

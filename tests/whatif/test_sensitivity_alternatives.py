"""planner.sensitivity and `planner sensitivity` with two alternatives of any kind (hardware, purchase options, a
model) next to numeric ranges: each row's costs are planner.compare's on that one change, to the cent."""

from __future__ import annotations

import json
import math
import re
import shlex
from decimal import Decimal

import pytest

import planner
from planner.cli import main
from planner.errors import PlannerError
from tests.conftest import REPO

CHAT = str(REPO / "scenarios" / "chat-assistant.yaml")
ACC = "workloads.chat.accelerators"
OPTS = "purchase_options"
MODEL = "workloads.chat.model"
QPS = "workloads.chat.qps_peak"
# the example of docs/api.md: one numeric row and three rows of alternatives (each offered on every cloud)
RANGES = {
    QPS: (30, 80),
    ACC: (["H100-SXM"], ["A100-80GB"]),
    OPTS: (["on_demand"], ["on_demand", "committed_1y"]),
    MODEL: ("llama-3-8b", "llama-3-70b"),
}
FIVE = ["H100-SXM", "A100-80GB", "L40S", "L4", "A10G"]  # the scenario file's accelerators
FOUR = ["on_demand", "spot", "reserved_1y", "committed_1y"]  # ... and its purchase options


@pytest.fixture(scope="module")
def chat():
    return planner.load_scenario(CHAT)


@pytest.fixture(scope="module")
def tornado(chat):
    return planner.sensitivity(chat, RANGES)


def cents(x: Decimal | None) -> float:
    return math.nan if x is None else float(x.quantize(Decimal("0.01")))


def reference(sc, overrides=None):
    """{cloud: horizon cost to the cent} from planner.compare itself (the reference)."""
    sc = planner.what_if(sc, overrides) if overrides else sc
    return {c.cloud: cents(c.contracted_horizon_cost) for c in planner.compare(sc).clouds}


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or round(a, 2) == b


def test_every_row_is_compare_of_that_one_change_to_the_cent(chat, tornado):
    f = tornado.to_frame()
    assert len(f) == 4 * 3  # four paths, three clouds
    base = reference(chat)
    for path, (first, second) in RANGES.items():
        rows = f[f["path"] == path].set_index("cloud")
        assert list(rows.index) != [] and set(rows.index) == {"aws", "gcp", "azure"}
        low = reference(chat, {path: first})
        high = reference(chat, {path: second})
        for cloud, r in rows.iterrows():
            assert same(r["cost_base"], base[cloud]), (path, cloud)
            assert same(r["cost_low"], low[cloud]), (path, cloud)
            assert same(r["cost_high"], high[cloud]), (path, cloud)
            assert r["swing"] == abs(r["cost_high"] - r["cost_low"])
    assert list(f["swing"]) == sorted(f["swing"], reverse=True)
    # on-demand only vs on-demand or a 1-year commitment: GCP's committed-use price is lower, so its cost moves
    gcp = f[(f["path"] == OPTS) & (f["cloud"] == "gcp")].iloc[0]
    assert gcp["cost_high"] < gcp["cost_low"]


def test_alternatives_kept_as_given_with_the_scenarios_own_value_as_base(tornado):
    f = tornado.to_frame()
    by_path = {p: f[f["path"] == p].iloc[0] for p in RANGES}
    assert (by_path[ACC]["low"], by_path[ACC]["base"], by_path[ACC]["high"]) == (["H100-SXM"], FIVE, ["A100-80GB"])
    assert (by_path[OPTS]["low"], by_path[OPTS]["base"], by_path[OPTS]["high"]) == (
        ["on_demand"], FOUR, ["on_demand", "committed_1y"])
    assert (by_path[MODEL]["low"], by_path[MODEL]["base"], by_path[MODEL]["high"]) == (
        "llama-3-8b", "llama-3-8b", "llama-3-70b")
    assert (by_path[QPS]["low"], by_path[QPS]["base"], by_path[QPS]["high"]) == (30.0, 40.0, 80.0)
    assert all(f[c].dtype == object for c in ("low", "base", "high"))
    assert all(f[c].dtype == float for c in ("cost_low", "cost_base", "cost_high", "swing"))
    # each row holds its own list: changing one cell of one frame changes nothing else
    f.loc[f["path"] == ACC, "low"].iloc[0].append("L4")
    assert tornado.to_frame()[lambda d: d["path"] == ACC]["low"].map(len).tolist() == [1, 1, 1]


def test_alternatives_in_the_other_order_swap_low_and_high(chat, tornado):
    t = planner.sensitivity(chat, {ACC: (["A100-80GB"], ["H100-SXM"])}).to_frame().set_index("cloud")
    ref = tornado.to_frame()[lambda d: d["path"] == ACC].set_index("cloud")
    assert t.loc["gcp", "low"] == ["A100-80GB"] and t.loc["gcp", "high"] == ["H100-SXM"]
    assert (t["cost_low"].round(2) == ref.loc[t.index, "cost_high"].round(2)).all()
    assert (t["cost_high"].round(2) == ref.loc[t.index, "cost_low"].round(2)).all()


def test_numeric_rows_are_unchanged_by_rows_of_alternatives(chat, tornado):
    alone = planner.sensitivity(chat, {QPS: (80, 30)}).to_frame()  # given high first: still shown low, high
    assert alone["low"].dtype == float and alone["high"].dtype == float
    assert (list(alone["low"]), list(alone["high"])) == ([30.0] * 3, [80.0] * 3)
    mixed = tornado.to_frame()
    mixed = mixed[mixed["path"] == QPS].reset_index(drop=True)
    cols = ["cloud", "cost_low", "cost_base", "cost_high", "swing", "winner_low", "winner_high"]
    assert mixed[cols].equals(alone[cols])


def test_a_cloud_without_the_hardware_is_missing_on_the_exact_engine(chat):
    """H200 is offered on AWS only in the embedded catalog: GCP and Azure cannot serve the workload."""
    f = planner.sensitivity(chat, {ACC: (["H100-SXM"], ["H200"]), QPS: (30, 80)}, engine="exact").to_frame()
    high = reference(chat, {ACC: ["H200"]})
    assert math.isnan(high["gcp"]) and math.isnan(high["azure"])
    rows = f[f["path"] == ACC].set_index("cloud")
    for cloud, r in rows.iterrows():
        assert same(r["cost_high"], high[cloud]), cloud
        assert r["winner_high"] == "aws"


def test_a_cloud_without_the_hardware_is_missing_on_the_numpy_engine(chat):
    """GCP and Azure offer no H200 in the embedded catalog: missing, never priced from their other costs only."""
    f = planner.sensitivity(chat, {ACC: (["H100-SXM"], ["H200"]), QPS: (30, 80)}).to_frame()
    rows = f[f["path"] == ACC].set_index("cloud")
    assert math.isnan(rows.loc["gcp", "cost_high"]) and rows.loc["gcp", "winner_high"] == "aws"


# ------------------------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize(("ranges", "message"), [
    ({"workloads.chat.acelerators": (["L4"], ["L40S"])}, "did you mean accelerators"),
    ({OPTS: (["on_demand"], ["on_dmand"])}, (r"range for purchase_options: \['on_dmand'\] does not fit "
                                             r"\(unknown purchase option 'on_dmand'; did you mean 'on_demand'")),
    ({ACC: (["H100-SXM"], ["H100-SXM"])}, "both alternatives are H100-SXM; give two different values"),
    ({MODEL: ("llama-3-8b", "llama-3-8b")}, "give two different values"),
    ({"workloads.chat.zones": (True, False)}, r"range for workloads.chat.zones: True does not fit"),
    ({QPS: ("many", 80)}, r"range for workloads.chat.qps_peak: 'many' does not fit"),
    ({MODEL: (1, 2)}, "not a number"),  # two numbers for a field holding text: as before
    ({QPS: (30, math.inf)}, "two finite numbers"),
    ({QPS: ["H100-SXM"]}, r"must be \(low, high\)"),
    ({ACC: (["H100-SXM"], ["H900"])}, r"accelerators.*unknown accelerator 'H900'; did you mean"),
])
def test_bad_alternatives_are_one_line_errors_naming_the_path(chat, ranges, message):
    with pytest.raises(PlannerError, match=message) as exc:
        planner.sensitivity(chat, ranges)
    assert "\n" not in str(exc.value)


# ------------------------------------------------------------------------------------------------ plot
def test_tornado_labels_show_values_as_text(tornado):
    ax = tornado.plot(cloud="gcp")
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert sorted(ticks) == sorted(["chat.qps_peak", "chat.accelerators", "purchase_options", "chat.model"])
    ends = [t.get_text() for t in ax.texts]
    assert sorted(ends) == sorted(["30", "80", "H100-SXM", "A100-80GB", "on_demand", "on_demand, committed_1y",
                                   "llama-3-8b", "llama-3-70b"])
    assert not any(c in "".join(ticks + ends) for c in "[]'\"")
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["at the low value (or first alternative)", "at the high value (or second alternative)"]
    ax.figure.canvas.draw()  # renders (Agg)


def test_value_text():
    from planner.whatif.results import SensitivityResult

    text = SensitivityResult.value_text
    assert [text(v) for v in (["H100-SXM"], ["H100-SXM", "H200"], "llama-3-8b", 0.8, 40.0, 3, True, None, [])] == [
        "H100-SXM", "H100-SXM, H200", "llama-3-8b", "0.8", "40", "3", "true", "default", "none"]


# ------------------------------------------------------------------------------------------------ CLI
CLI_RANGES = ["workloads.chat.qps_peak=30,80", "workloads.chat.accelerators=[H100-SXM],[A100-80GB]",
              "purchase_options=[on_demand],[on_demand, committed_1y]", "workloads.chat.model=llama-3-8b,llama-3-70b"]


def cli(runner, *args):
    return runner.invoke(main, ["sensitivity", CHAT, *[a for r in CLI_RANGES for a in ("--range", r)], *args])


def test_cli_gives_the_api_numbers(runner, tornado, tmp_path):
    from planner.cli.whatif_cmd import frame_records

    r = cli(runner, "--format", "json", "--plot", str(tmp_path / "t.png"))
    assert r.exit_code == 0, r.output + r.stderr
    assert json.loads(r.stdout) == frame_records(tornado.to_frame())
    assert (tmp_path / "t.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = cli(runner).stdout  # values as text (long ones folded over lines), no Python list brackets or quotes
    assert "chat.accelerators │ gcp   │ H100-SXM / H100-SXM," in table
    assert "on_demand / on_demand," in table and "llama-3-8b / llama-3-8b /" in table
    assert "[" not in table and "'" not in table


def test_cli_reads_ranges_as_before_and_alternatives_as_yaml():
    from planner.cli.whatif_cmd import parse_range

    assert parse_range("p", "20,80") == (20.0, 80.0)
    assert parse_range("p", " 1e3 , .5 ") == (1000.0, 0.5)
    assert parse_range("p", "[H100-SXM],[H200]") == (["H100-SXM"], ["H200"])
    assert parse_range("p", "[on_demand],[on_demand, reserved_1y]") == (["on_demand"], ["on_demand", "reserved_1y"])
    assert parse_range("p", "llama-3-8b,llama-3-70b") == ("llama-3-8b", "llama-3-70b")
    assert parse_range("p", "true,false") == (True, False)
    assert parse_range("p", "null,4") == (None, 4)


@pytest.mark.parametrize(("value", "message"), [
    ("workloads.chat.accelerators=[H100-SXM]", "LOW,HIGH"),
    ("workloads.chat.accelerators=[H100-SXM],[H200],[L4]", "two alternatives A,B"),
    ("workloads.chat.accelerators=[H100-SXM,[H200]", "two alternatives A,B"),
    ("workloads.chat.accelerators=[H100-SXM],[H100-SXM]", "give two different values"),
    ("purchase_options=[on_demand],[on_dmand]", "did you mean 'on_demand'"),
    ("workloads.chat.acelerators=[L4],[L40S]", "did you mean accelerators"),
])
def test_cli_bad_alternatives_are_one_line_exit_2(runner, value, message):
    r = runner.invoke(main, ["sensitivity", CHAT, "--range", value])
    assert r.exit_code == 2, r.output
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0], r.stderr


def test_docs_sensitivity_example_and_command_agree(runner, chat, tornado, monkeypatch):
    """docs/api.md's sensitivity section: its example of alternatives is RANGES, and its command prints the same."""
    doc = (REPO / "docs" / "api.md").read_text()
    start = doc.index("## `sensitivity`")
    section = doc[start:doc.index("\n## ", start + 1)]
    [block] = re.findall(r"```sh\n(.*?)```", section, re.DOTALL)
    args = shlex.split(block.replace("\\\n", " "))
    assert args[:2] == ["planner", "sensitivity"]
    assert [a for a in args[3:] if a != "--range"] == CLI_RANGES
    monkeypatch.chdir(REPO)
    r = runner.invoke(main, [*args[1:], "--format", "json"])
    assert r.exit_code == 0, r.output + r.stderr
    from planner.cli.whatif_cmd import frame_records

    assert json.loads(r.stdout) == frame_records(tornado.to_frame())
    for path, (first, second) in RANGES.items():
        assert f'"{path}": ({first!r}, {second!r})'.replace("'", '"') in section

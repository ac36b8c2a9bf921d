"""Outputs stay well formed whatever the input: strict JSON, names cut and printed as text in tables,
each "Could not price" said once, regions named per row, growth bounded with the field named, and the
`planner scale` flags. Every case runs through the real command line (click's CliRunner, in process).
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from planner.cli import main
from planner.render import NAME_WIDTH, cut, dumps, json_ready

REPO = Path(__file__).resolve().parents[1]
CHAT = REPO / "scenarios" / "chat-assistant.yaml"


def strict_json(text: str) -> Any:
    """RFC 8259 JSON: NaN, Infinity and -Infinity are refused (Python's json accepts them by default)."""
    def refuse(token: str) -> Any:
        raise AssertionError(f"not JSON: {token}")

    return json.loads(text, parse_constant=refuse)


def run(args: list[str]) -> Any:
    r = CliRunner().invoke(main, args, env={"PLANNER_NOW": "2026-11-26"})
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    return r


def one_line_error(args: list[str]) -> str:
    r = run(args)
    assert r.exit_code == 2, (r.exit_code, r.stdout[-500:], r.stderr)
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("Error: "), repr(r.stderr)
    return r.stderr[:-1]


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> str:
    p = tmp_path / name
    p.write_text(text)
    return str(p)


# -- JSON is always JSON ------------------------------------------------------------------------------

def test_json_ready_turns_every_non_finite_number_into_null_with_a_reason() -> None:
    doc = {"a": math.inf, "b": [1.5, math.nan, {"c": -math.inf}], "d": Decimal("NaN"), "e": Decimal("2.50"),
           "ttft_ms": math.inf, "utilization": 0.5}
    out = strict_json(dumps(doc))
    assert out["a"] is None and out["b"][1] is None and out["b"][2]["c"] is None and out["d"] is None
    assert out["e"] == 2.5 and out["utilization"] == 0.5
    assert set(out["null_reasons"]) == {"a", "d", "ttft_ms"} and set(out["b"][2]["null_reasons"]) == {"c"}
    assert "prefill" in out["null_reasons"]["ttft_ms"]  # utilization below 1: the prefill queue is the one
    assert "batch slot" in json_ready({"ttft_ms": math.inf, "utilization": 1.0})["null_reasons"]["ttft_ms"]


def test_capacity_serve_json_says_why_ttft_has_no_bound() -> None:
    """Llama-3-8B on H100 at 100 QPS, 1024 in / 256 out, utilization target 1, no TTFT SLO: some layouts are
    loaded so that their p95 TTFT has no finite value. Before, the JSON held ``Infinity`` (not JSON)."""
    from planner.capacity.llm import make_replica

    args = ["capacity", "serve", "--model", "llama-3-8b", "--gpu", "H100", "--qps", "100", "--utilization", "1"]
    options = strict_json(run([*args, "--json"]).stdout)
    unbounded = [o for o in options if o["ttft_ms"] is None]
    assert unbounded, "this load leaves some layout's prefill queue unstable"
    for o in options:
        # The TTFT model (planner/capacity/llm_sizing.py) queues prefills one at a time (M/D/1) and batch slots
        # (M/M/c): it has no bound when a replica gets prefills at least as fast as it runs them,
        # rate x prefill time >= 1, or runs at its full request rate.
        rep = make_replica("llama-3-8b", "H100-SXM", o["gpus_per_replica"], "bf16")
        per_replica = 100 / o["replicas"]
        saturated = per_replica * rep.prefill_s(1, 1024)[0] >= 1 or o["utilization"] >= 1
        assert (o["ttft_ms"] is None) == saturated, o
        if o["ttft_ms"] is None:
            assert "unbounded" in o["null_reasons"]["ttft_ms"] and "--ttft-p95-ms" in o["null_reasons"]["ttft_ms"]
        else:
            assert "null_reasons" not in o and o["ttft_ms"] > 0
    table = run(args).stdout
    assert "unbounded" in table and "inf" not in table.replace("unbounded", "") and "nan" not in table
    assert "unbounded: p95 time to first token is unbounded" in table


def test_compare_json_is_valid_when_a_chosen_replica_has_no_ttft_bound(tmp_path: Path) -> None:
    # 1-token requests at 100 QPS on L4 with a 1% utilization target: the roofline serves thousands of requests a
    # second per replica at batch 2048, but a lone 1-token prefill reads all the weights (tens of ms), so the
    # one-at-a-time prefill queue of each of the few replicas is unstable: p95 TTFT has no bound.
    f = write(tmp_path, "name: unbounded\nhorizon_months: 1\ncompare: {clouds: [aws]}\nworkloads:\n"
                        "  - {name: chat, type: serving, model: llama-3-8b, accelerators: [L4], qps_mean: 100,\n"
                        "     input_tokens: 1, output_tokens: 1, utilization_target: 0.01}\n")
    doc = strict_json(run(["compare", f, "--format", "json"]).stdout)
    explain = doc["line_items"][0]["explain"]
    assert explain["ttft_ms"] is None and "prefill queue" in explain["null_reasons"]["ttft_ms"]
    out = run(["compare", f, "--explain"]).stdout
    assert "ttft_ms=unbounded" in out and "inf" not in out.replace("unbounded", "").replace("info", "")
    strict_json(run(["compare", f, "--format", "json", "--monthly"]).stdout)
    strict_json(run(["scale", f, "--workload", "chat", "--qps", "50,100", "--format", "json"]).stdout)


# -- names in tables ----------------------------------------------------------------------------------

def test_cut_keeps_both_ends_and_drops_control_characters() -> None:
    name = "training-data-" + "x" * 100 + "-v2"
    shown = cut(name)
    assert len(shown) == NAME_WIDTH and shown.startswith("training-data-") and shown.endswith("x-v2")
    assert "..." in shown and cut("short") == "short" and cut("a\nb\tc") == "a b c"


def test_long_names_are_cut_in_tables_and_whole_in_json(tmp_path: Path) -> None:
    """A 100,000-character workload name took 71 s to render (the table highlighter is quadratic in a word's
    length). Tables now show its ends, the same for any length; the whole name stays in JSON and CSV."""
    outputs = {}
    for length in (1_000, 100_000):
        name = "n" * (length - 4) + "-end"
        text = CHAT.read_text().replace("name: conversation-logs", f"name: {name}", 1)
        text = text.replace("name: LLM chat assistant", f"name: {'s' * length}", 1)
        f = write(tmp_path, text, f"long{length}.yaml")
        for fmt in ("table", "markdown"):
            out = outputs[length, fmt] = run(["compare", f, "--format", fmt]).stdout
            assert name not in out and "n-end" in out.replace("│\n│", "").replace(" ", "")
        assert f"| {cut(name)} |" in outputs[length, "markdown"]
        doc = strict_json(run(["compare", f, "--format", "json"]).stdout)
        assert name in {i["workload"] for i in doc["line_items"]}
        assert name in run(["compare", f, "--format", "csv"]).stdout
    # the names' ends are alike, so the text is the same for a 1,000- and a 100,000-character name
    assert outputs[1_000, "table"] == outputs[100_000, "table"]
    assert outputs[1_000, "markdown"] == outputs[100_000, "markdown"]


def test_names_are_text_not_markup(tmp_path: Path) -> None:
    # rich reads [..] as style tags and :name: as emoji codes; a name must print as written (it crashed on [/x])
    f = write(tmp_path, 'name: "[/x] :smile: [bold]"\ncompare: {clouds: [aws]}\nworkloads:\n'
                        '  - {name: "[/bold] logs :smile:", type: storage, gb: 100}\n')
    out = run(["compare", f]).stdout
    assert "Scenario: [/x] :smile: [bold]" in out and "[/bold] logs :smile:" in out
    assert "[/bold] logs :smile:" in run(["compare", f, "--monthly"]).stdout


# -- unpriced lines and regions -----------------------------------------------------------------------

def test_could_not_price_lines_are_said_once(tmp_path: Path) -> None:
    # The embedded catalog has no S3 Glacier (object_archive) storage or request prices in eu-west-1: the
    # storage, write and read items of workload s all fail for the same reason, and were printed three times.
    f = write(tmp_path, "name: st\nhorizon_months: 2\ncompare: {clouds: [aws], regions: {aws: [eu-west-1]}}\n"
                        "workloads:\n"
                        "  - {name: s, type: storage, class: object_archive, gb: 1000, write_requests_per_month: 100,"
                        " read_requests_per_month: 100}\n"
                        "  - {name: t, type: storage, class: object_archive, gb: 1000}\n")
    lines = [ln for ln in run(["compare", f]).stdout.splitlines() if ln.startswith("Could not price")]
    assert lines == ["Could not price: aws s: unpriced (no price in this catalog)",
                     "Could not price: aws t: unpriced (no price in this catalog)"]
    doc = strict_json(run(["compare", f, "--format", "json"]).stdout)
    assert sum(1 for u in doc["unpriced"] if u["workload"] == "s") == 3  # JSON keeps one entry per item


def test_per_workload_placement_names_each_rows_region(tmp_path: Path) -> None:
    from pricing.catalog import load_catalog

    f = write(tmp_path, "name: per workload\nhorizon_months: 3\n"
                        "compare: {clouds: [aws], regions: {aws: [us-east-1, eu-west-1]}, placement: per_workload}\n"
                        "workloads:\n"
                        "  - {name: archive, type: storage, class: object_archive, gb: 1000}\n"
                        "  - {name: finetune, type: training, accelerator: A100-40GB, gpu_hours: 64, gpus: 8}\n")
    cat = load_catalog(None)
    # where each workload belongs, from the catalog: Glacier is priced in us-east-1 only; p4d.24xlarge (8x A100-40GB)
    # spot is cheaper in whichever region lists the lower price
    spot: dict[str, Decimal] = {}
    for r in ("us-east-1", "eu-west-1"):
        price = cat.query(provider="aws", region=r, instance_type="p4d.24xlarge", purchase_option="spot")[0].price
        assert price is not None
        spot[r] = price
    assert not cat.query(provider="aws", region="eu-west-1", resource="storage", storage_class="object_archive")
    expected = {"archive": "us-east-1", "finetune": min(spot, key=lambda r: spot[r])}
    assert len(set(expected.values())) == 2  # the two workloads sit in different regions
    doc = strict_json(run(["compare", f, "--format", "json"]).stdout)
    assert {i["workload"]: i["region"] for i in doc["line_items"]} == expected
    for args in (["--format", "table"], ["--format", "markdown"], ["--monthly"]):
        out = run(["compare", f, *args]).stdout
        assert "Region" in out
        for workload, region in expected.items():
            rows = [ln for ln in out.splitlines() if f" {workload} " in ln]
            assert rows and all(region in ln for ln in rows), (args, rows)


# -- growth that leaves the bounds ---------------------------------------------------------------------

SERVING = ("name: g\nhorizon_months: 120\ncompare: {{clouds: [aws]}}\nworkloads:\n"
           "  - {{name: chat, type: serving, qps_mean: 10, qps_growth_pct_per_month: {pct}, "
           "replica: {{vcpus: 8, requests_per_s: 1000}}}}\n")


def test_compounding_qps_growth_is_refused_naming_workload_and_field(tmp_path: Path) -> None:
    f = write(tmp_path, SERVING.format(pct=100))
    # 10 QPS doubling monthly: month m (1-based) has 10 x 2^(m-1); above 1e8 once 2^(m-1) > 1e7, m - 1 >= 24
    # (2^24 = 16,777,216), so month 25 with 1.68e8 QPS; before, "numbers out of range" named nothing
    assert one_line_error(["compare", f]) == (
        f"Error: {f}: workloads[0] (chat).qps_growth_pct_per_month: 100%/month takes the peak from 10 QPS to "
        "1.68e+08 QPS in month 25 of the 120-month horizon, beyond the 1e+08 QPS the planner plans for; lower "
        "qps_growth_pct_per_month or horizon_months (at this rate the peak stays within bounds for 24 months)")
    f = write(tmp_path, SERVING.format(pct=15), "ok.yaml")  # 10 x 1.15^119 = 1.6e8 > 1e8: refused too
    assert "month 117 of the 120-month horizon" in one_line_error(["compare", f])  # 10 x 1.15^116 = 1.1e8
    f = write(tmp_path, SERVING.format(pct=14), "ok2.yaml")  # 10 x 1.14^119 = 5.8e7: within bounds
    doc = strict_json(run(["compare", f, "--format", "json"]).stdout)
    assert doc["clouds"][0]["horizon_total"] > 0


def test_storage_growth_past_the_bounds_names_the_field_that_drove_it(tmp_path: Path) -> None:
    base = "name: g\nhorizon_months: 120\ncompare: {clouds: [aws]}\nworkloads:\n  - {name: logs, type: storage, "
    f = write(tmp_path, base + "gb: 1000, growth_pct_per_month: 1000}\n")
    # 1,000 GB x 11^k at the start of month k+1; month k+1 bills the mean of its start and end, 1,000 x 11^k x 6.
    # Above 1e12 once 11^k > 1.67e8: k = 8 (11^8 = 2.1e8), month 9, 1.29e12 GB; 8 months fit
    assert one_line_error(["compare", f]) == (
        f"Error: {f}: workloads[0] (logs).growth_pct_per_month: 1000%/month takes the volume held from 1,000 GB "
        "to 1.29e+12 GB in month 9 of the 120-month horizon, beyond the 1e+12 GB the planner plans for; lower "
        "growth_pct_per_month or horizon_months (at this rate the volume held stays within bounds for 8 months)")
    f = write(tmp_path, base + "gb: 1000, growth_gb_per_month: 1.0e+11, growth_pct_per_month: 1}\n", "lin.yaml")
    # linear growth drives it: month k+1 starts with s_k = 1,000 x 1.01^k + 1e11 x (1.01^k - 1) / 0.01 GB, so
    # s_9 = 9.37e11, s_10 = 1.046e12, s_11 = 1.157e12; month 10 bills (s_9 + s_10) / 2 = 9.9e11, month 11 1.10e12
    msg = one_line_error(["compare", f])
    assert "workloads[0] (logs).growth_gb_per_month: 1e+11 GB/month on top of 1%/month" in msg
    assert "in month 11 of the 120-month horizon" in msg


def test_batch_work_growth_is_bounded(tmp_path: Path) -> None:
    f = write(tmp_path, "name: b\nhorizon_months: 120\nworkloads:\n  - {name: nightly, type: serving, style: batch, "
                        "requests_per_run: 1.0e+9, qps_growth_pct_per_month: 1000, "
                        "replica: {accelerator: T4, requests_per_s: 100}}\n")
    # 1e9 x 11^k requests per run; above MAX_COUNT 1e15 once 11^k > 1e6: k = 6 (1.77e6), month 7
    msg = one_line_error(["compare", f])
    assert "workloads[0] (nightly).qps_growth_pct_per_month: 1000%/month takes the work per run" in msg
    assert "1.77e+15 requests in month 7" in msg


# -- planner scale ------------------------------------------------------------------------------------

def test_scale_says_its_qps_is_the_mean() -> None:
    assert "mean QPS" in run(["scale", "--help"]).stdout
    out = run(["scale", str(CHAT), "--workload", "chat", "--qps", "10", "--cloud", "aws"]).stdout
    # chat-assistant: qps_mean 15, qps_peak 40, so replicas are sized for 40 / 15 = 2.67x the mean
    assert "chat vs mean QPS (replicas sized for a peak of 2.67x the mean)" in out and "Mean QPS" in out
    rows = strict_json(run(["scale", str(CHAT), "--workload", "chat", "--qps", "15", "--cloud", "aws",
                            "--format", "json"]).stdout)
    assert rows[0]["qps"] == 15 and rows[0]["qps_peak"] == pytest.approx(40)


def test_scale_region_purchase_option_and_markdown() -> None:
    # chat-assistant compares GCP in us-central1 on on_demand, spot, reserved_1y and committed_1y; the flags narrow it
    rows = strict_json(run(["scale", str(CHAT), "--workload", "chat", "--qps", "5,20", "--cloud", "gcp",
                            "--region", "us-west1", "--purchase-option", "committed_1y", "--format", "json"]).stdout)
    assert {(r["region"], r["purchase_option"], r["status"]) for r in rows} == {("us-west1", "committed_1y", "priced")}
    md = run(["scale", str(CHAT), "--workload", "chat", "--qps", "5", "--cloud", "aws", "--format", "markdown"]).stdout
    lines = md.splitlines()
    assert lines[0] == "# LLM chat assistant: chat vs mean QPS"
    assert lines[2].startswith("| Cloud | Mean QPS | Peak QPS | Monthly cost |") and lines[4].startswith("| aws | 5 |")
    assert "Error: --region: unknown region" in run(["scale", str(CHAT), "--workload", "chat", "--qps", "5",
                                                       "--region", "us-nowhere-1"]).stderr


def test_scale_applies_a_price_book(tmp_path: Path) -> None:
    book = write(tmp_path, "name: edp\ndiscounts:\n  - {provider: aws, percent: 20}\n", "book.yaml")
    args = ["scale", str(CHAT), "--workload", "chat", "--qps", "5", "--cloud", "aws", "--format", "json"]
    plain = strict_json(run(args).stdout)[0]
    booked = strict_json(run([*args, "--pricebook", book]).stdout)[0]
    # a 20 % discount on every AWS price: the same capacity at 0.8 x the list cost (to the cent)
    assert booked["instance_type"] == plain["instance_type"] and booked["count"] == plain["count"]
    assert booked["monthly_cost"] == plain["monthly_cost"]
    assert booked["contracted_monthly_cost"] == pytest.approx(plain["monthly_cost"] * 0.8, abs=0.01)
    assert "Effective" in run([*args[:-2], "--pricebook", book]).stdout


def test_scale_refuses_a_peak_beyond_the_bounds(tmp_path: Path) -> None:
    f = write(tmp_path, "name: spiky\nworkloads:\n  - {name: api, type: serving, qps_mean: 1, qps_peak: 1.0e+6, "
                        "replica: {vcpus: 4, requests_per_s: 100}}\n")
    # peak/mean 1e6: a mean of 1,000 QPS is a 1e9 QPS peak, past the 1e8 bound; up to 100 QPS mean fits
    assert one_line_error(["scale", f, "--workload", "api", "--qps", "1000"]) == (
        "Error: --qps: mean QPS 1000 is a peak of 1e+09 QPS for workload 'api' (peak/mean 1e+06), beyond the 1e+08 "
        "QPS the planner sizes; give mean QPS up to 100")

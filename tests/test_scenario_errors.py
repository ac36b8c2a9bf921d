"""Bad scenario input: one line `Error: <file>: <field>: <what and how to fix>`, exit code 2, no traceback."""

from __future__ import annotations

import textwrap

import pytest

from planner.cli import main

GOOD_WORKLOAD = """
  - name: chat
    type: serving
    qps_mean: 10
    replica: {accelerator: L4, requests_per_s: 5}
"""

CASES = [
    # (id, file text, expected fragments of the one-line message)
    ("malformed-yaml", "name: x\nworkloads: [\n", ["invalid YAML", "line 3"]),
    ("empty-file", "", ["file is empty"]),
    ("comment-only", "# nothing here\n", ["file is empty"]),
    ("list-not-mapping", "- a\n- b\n", ["must be a mapping", "got a list"]),
    ("number-not-mapping", "42\n", ["must be a mapping", "got a int"]),
    ("unknown-top-key", "name: x\nhorizon_month: 3\nworkloads:" + GOOD_WORKLOAD,
     ["horizon_month (line 2)", "unknown field", "did you mean 'horizon_months'?"]),
    ("unknown-workload-key", "name: x\nworkloads:" + GOOD_WORKLOAD + "    qps_peek: 20\n",
     ["workloads[0] (chat).qps_peek (line 7)", "did you mean 'qps_peak'?"]),
    ("wrong-type", "name: x\nhorizon_months: soon\nworkloads:" + GOOD_WORKLOAD,
     ["horizon_months (line 2)", "valid integer", "'soon'"]),
    ("negative-qps", "name: x\nworkloads:\n  - name: chat\n    type: serving\n    qps_mean: -5\n    replica: {accelerator: L4, requests_per_s: 5}\n",
     ["workloads[0] (chat).qps_mean (line 5)", "greater than 0", "-5"]),
    ("zero-gb", "name: x\nworkloads:\n  - {name: data, type: storage, gb: 0}\n",
     ["workloads[0] (data).gb", "greater than 0"]),
    ("unknown-cloud", "name: x\ncompare:\n  clouds: [aws, gpc]\nworkloads:" + GOOD_WORKLOAD,
     ["compare.clouds (line 3)", "unknown cloud 'gpc'", "did you mean 'gcp'?"]),
    ("unknown-purchase-option", "name: x\ncompare:\n  purchase_options: [ondemand]\nworkloads:" + GOOD_WORKLOAD,
     ["compare.purchase_options", "unknown purchase option 'ondemand'", "on_demand"]),
    ("unknown-region", "name: x\ncompare:\n  regions: {aws: [us-east-9]}\nworkloads:" + GOOD_WORKLOAD,
     ["compare.regions.aws", "unknown aws region 'us-east-9'", "us-east-1"]),
    ("unknown-accelerator", "name: x\nworkloads:\n  - name: chat\n    type: serving\n    qps_mean: 1\n    replica: {accelerator: H101, requests_per_s: 5}\n",
     ["workloads[0] (chat).replica.accelerator", "H101", "H100"]),
    ("unknown-workload-type", "name: x\nworkloads:\n  - {name: w, type: inference}\n",
     ["workloads[0] (w)", "unknown workload type 'inference'", "training, serving or storage"]),
    ("missing-type", "name: x\nworkloads:\n  - {name: w}\n", ["workloads[0] (w)", "has no type"]),
    ("missing-name", "workloads:" + GOOD_WORKLOAD, ["name", "required field is missing"]),
    ("no-workloads", "name: x\nworkloads: []\n", ["workloads", "at least 1"]),
    ("duplicate-workloads", "name: x\nworkloads:" + GOOD_WORKLOAD + GOOD_WORKLOAD, ["workload names must be unique", "chat"]),
    ("serving-without-profile-or-model", "name: x\nworkloads:\n  - {name: s, type: serving, qps_mean: 3}\n",
     ["workloads[0] (s)", "give either replica (measured throughput) or model"]),
    ("peak-below-mean", "name: x\nworkloads:\n  - name: s\n    type: serving\n    qps_mean: 10\n    qps_peak: 5\n    replica: {accelerator: L4, requests_per_s: 5}\n",
     ["qps_peak (5) is below qps_mean (10)"]),
    ("training-without-size", "name: x\nworkloads:\n  - {name: t, type: training, accelerator: H100}\n",
     ["workloads[0] (t)", "give gpu_hours (with accelerator) or model and tokens"]),
    ("bad-storage-class", "name: x\nworkloads:\n  - {name: d, type: storage, gb: 5, class: glacier}\n",
     ["workloads[0] (d).class", "object_standard"]),
    ("workloads-not-list", "name: x\nworkloads: {name: a}\n", ["workloads", "expected a list"]),
    ("workload-not-mapping", "name: x\nworkloads: [7]\n", ["workloads[0]"]),
    ("infinite", "name: x\nworkloads:\n  - {name: s, type: serving, qps_mean: .inf, replica: {accelerator: L4, requests_per_s: 1}}\n",
     ["workloads[0] (s).qps_mean", "finite number"]),
    ("absurd-qps", "name: x\nworkloads:\n  - {name: s, type: serving, qps_mean: 1.0e300, replica: {accelerator: L4, requests_per_s: 1}}\n",
     ["workloads[0] (s).qps_mean", "less than or equal to 100000000"]),
    ("absurd-storage", "name: x\nworkloads:\n  - {name: d, type: storage, gb: 1.0e30}\n", ["workloads[0] (d).gb", "less than or equal"]),
    ("traffic-to-zero", "name: x\nworkloads:\n  - {name: s, type: serving, qps_mean: 1, qps_growth_pct_per_month: -100, replica: {accelerator: L4, requests_per_s: 1}}\n",
     ["qps_growth_pct_per_month", "greater than -100"]),
    ("nested-unknown-key", "name: x\nworkloads:\n  - name: s\n    type: serving\n    qps_mean: 3\n    replica: {accelerator: L4, requests_per_s: 2, foo: 1}\n",
     ["workloads[0] (s).replica.foo (line 6)", "allowed here: accelerator,"]),
    ("bad-item-in-profile-list", "name: x\nworkloads:\n  - name: s\n    type: serving\n    qps_mean: 3\n    replica:\n      - {accelerator: L4, requests_per_s: 2}\n      - {accelerator: T4}\n",
     ["workloads[0] (s).replica[1] (line 8)", "give requests_per_s"]),
    ("duplicate-key", "name: x\nname: y\nworkloads: []\n", ["line 2", "'name' appears twice (lines 1 and 2)"]),
]


@pytest.mark.parametrize("case_id,text,fragments", CASES, ids=[c[0] for c in CASES])
def test_bad_scenario_one_line_exit_2(runner, tmp_path, case_id, text, fragments):
    f = tmp_path / "bad.yaml"
    f.write_text(text)
    r = runner.invoke(main, ["compare", str(f)])
    assert r.exit_code == 2, r.output
    err = r.stderr.strip()
    assert "\n" not in err and "Traceback" not in err, err
    assert err.startswith(f"Error: {f}: "), err
    assert "function-after" not in err  # no validator internals in the path
    for frag in fragments:
        assert frag in err, (frag, err)


def test_missing_file(runner, tmp_path):
    r = runner.invoke(main, ["compare", str(tmp_path / "nope.yaml")])
    assert r.exit_code == 2
    assert r.stderr.strip() == f"Error: {tmp_path / 'nope.yaml'}: file not found; check the path"


def test_directory_instead_of_file(runner, tmp_path):
    r = runner.invoke(main, ["compare", str(tmp_path)])
    assert r.exit_code == 2 and "is a directory" in r.stderr


@pytest.mark.parametrize(
    "args,fragments",
    [
        (["--cloud", "awz"], ["--cloud", "unknown cloud 'awz'", "did you mean 'aws'?"]),
        (["--purchase-option", "reserved"], ["--purchase-option", "unknown purchase option 'reserved'"]),
        (["--catalog", "nope"], ["unknown catalog 'nope'", "embedded"]),
    ],
)
def test_bad_command_line_values(runner, tmp_path, args, fragments):
    f = tmp_path / "ok.yaml"
    f.write_text("name: x\nworkloads:" + GOOD_WORKLOAD)
    r = runner.invoke(main, ["compare", str(f), *args])
    assert r.exit_code == 2, r.output
    err = r.stderr.strip()
    assert err.startswith("Error: ") and "\n" not in err
    for frag in fragments:
        assert frag in err, (frag, err)


def test_traceback_only_with_debug(tmp_path):
    import subprocess
    import sys

    f = tmp_path / "bad.yaml"
    f.write_text("name: x\nworkloads: 3\n")
    quiet = subprocess.run([sys.executable, "-m", "planner", "compare", str(f)], check=False, capture_output=True, text=True)
    assert quiet.returncode == 2 and "Traceback" not in quiet.stderr
    import os

    loud = subprocess.run([sys.executable, "-m", "planner", "compare", str(f)], check=False, capture_output=True, text=True,
                          env={**os.environ, "PLANNER_DEBUG": "1"})
    assert "Traceback" in loud.stderr and "InputError" in loud.stderr


def test_python_api_raises_with_location(tmp_path):
    from planner import load_scenario
    from planner.errors import InputError

    f = tmp_path / "s.yaml"
    f.write_text(textwrap.dedent("""\
        name: x
        workloads:
          - name: chat
            type: serving
            qps_mean: 0
            replica: {accelerator: L4, requests_per_s: 5}
        """))
    with pytest.raises(InputError) as ei:
        load_scenario(f)
    assert ei.value.where == str(f) and ei.value.field == "workloads[0] (chat).qps_mean (line 5)"


PLAN_CASES = [
    ("unknown-instance-type", "    replica: {instance_type: g6.xlarg, requests_per_s: 5}\n",
     ["workloads[0] (chat).replica.instance_type", "unknown instance type 'g6.xlarg'", "did you mean 'g6.xlarge'"]),
    ("unknown-model", "    model: llama-3-8x\n", ["workloads[0] (chat).model", "llama-3-8x", "llama-3-8b"]),
    ("impossible-slo", "    model: llama-3-8b\n    accelerators: [L4]\n    tpot_ms: 0.5\n",
     ["workloads[0] (chat).model", "0.5"]),
    ("model-too-big", "    model: llama-3.1-405b\n    accelerators: [T4]\n",
     ["workloads[0] (chat).model", "GiB"]),
]


@pytest.mark.parametrize("case_id,tail,fragments", PLAN_CASES, ids=[c[0] for c in PLAN_CASES])
def test_bad_sizing_input_names_the_workload_field(runner, tmp_path, case_id, tail, fragments):
    f = tmp_path / "s.yaml"
    f.write_text("name: x\nworkloads:\n  - name: chat\n    type: serving\n    qps_mean: 10\n" + tail)
    r = runner.invoke(main, ["compare", str(f)])
    assert r.exit_code == 2, r.output
    err = r.stderr.strip()
    assert err.startswith(f"Error: {f}: ") and "\n" not in err, err
    for frag in fragments:
        assert frag in err, (frag, err)


def test_profile_measured_on_an_instance_type_takes_its_hardware(tmp_path):
    from planner import compare, load_scenario

    f = tmp_path / "s.yaml"
    f.write_text("name: x\ncompare: {clouds: [gcp]}\nworkloads:\n  - name: api\n    type: serving\n    qps_mean: 10\n"
                 "    utilization_target: 1.0\n    replica: {instance_type: g6.xlarge, requests_per_s: 5}\n")
    item = compare(load_scenario(f)).clouds[0].items[0]
    # measured on AWS g6.xlarge (1 x L4): on GCP the same 1-L4 replica, 10 / 5 = 2 replicas
    assert item.accelerator == "L4" and item.explain["replicas"] == 2




@pytest.mark.parametrize(
    "args,fragment",
    [
        (["compare", "scenarios/chat-assistant.yaml", "--format", "xml"], "Invalid value for '--format'"),
        (["scale", "scenarios/chat-assistant.yaml", "--qps", "1"], "Missing option '--workload'"),
        (["scale", "scenarios/chat-assistant.yaml", "--workload", "chat", "--qps", "nan"], "--qps: takes positive QPS"),
        (["scale", "scenarios/chat-assistant.yaml", "--workload", "caht", "--qps", "1"], "--workload: unknown workload 'caht'; did you mean 'chat'?"),
        (["compare", "scenarios/chat-assistant.yaml", "--region", "us-east-7"], "--region: unknown region 'us-east-7'"),
        (["nope"], "No such command 'nope'"),
    ],
)
def test_command_line_mistakes_are_one_line(args, fragment, monkeypatch):
    """Usage errors too: one line on stderr, exit 2 (as a user sees them, in a real process)."""
    import subprocess
    import sys
    from pathlib import Path

    p = subprocess.run([sys.executable, "-m", "planner", *args], check=False, capture_output=True, text=True,
                       cwd=Path(__file__).resolve().parents[1])
    assert p.returncode == 2, p.stderr
    err = p.stderr.strip()
    assert err.startswith("Error: ") and "\n" not in err, err
    assert fragment in err, err


def test_region_of_one_cloud_leaves_the_others_out_with_a_warning(runner, monkeypatch):
    from pathlib import Path

    monkeypatch.chdir(Path(__file__).resolve().parents[1])
    r = runner.invoke(main, ["compare", "scenarios/batch-embeddings.yaml", "--region", "eastus"])
    assert r.exit_code == 0
    assert "Warning: aws left out: none of --region eastus is a aws region" in r.stderr
    assert "AZURE" in r.stdout and "GCP " not in r.stdout


def test_yaml_merge_keys_may_be_overridden(tmp_path):
    from planner import load_scenario

    f = tmp_path / "s.yaml"
    f.write_text("name: x\nworkloads:\n  - &svc\n    name: a\n    type: serving\n    qps_mean: 2\n"
                 "    replica: {accelerator: L4, requests_per_s: 1}\n  - <<: *svc\n    name: b\n    qps_mean: 5\n")
    sc = load_scenario(f)
    assert [(w.name, w.qps_mean) for w in sc.workloads] == [("a", 2.0), ("b", 5.0)]


def test_empty_profile_list_and_empty_catalog_name(runner, tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text("name: x\nworkloads:\n  - {name: s, type: serving, qps_mean: 1, replica: []}\n")
    r = runner.invoke(main, ["compare", str(f)])
    assert r.exit_code == 2 and "empty list of profiles" in r.stderr
    f.write_text("name: x\nworkloads:\n  - {name: s, type: serving, qps_mean: 1, replica: {accelerator: L4, requests_per_s: 1}}\n")
    r = runner.invoke(main, ["compare", str(f), "--catalog", ","])
    assert r.exit_code == 2 and r.stderr.startswith("Error: --catalog: no catalog named")

"""Hostile and broken input files end in one line ``Error: <file>: <field>: ...`` and exit code 2.

Every case runs through the real command line (click's CliRunner, stdout and stderr apart): YAML that
expands or nests without end, files that cannot be read, messages that would break over lines, errors
that must name the right thing, and the place of the error and YAML modules in the package graph.
Numbers that are not numbers and the environment are in ``test_hostile_numbers.py``.
"""

from __future__ import annotations

import ast
import errno
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from planner.cli import main

REPO = Path(__file__).resolve().parents[1]
STORAGE = "  - {name: d, type: storage, gb: 5}\n"
SCENARIO = "name: x\ncompare: {clouds: [aws]}\nworkloads:\n" + STORAGE


def one_line_error(args: list[str], env: dict[str, str] | None = None) -> str:
    """Run ``planner ARGS``; assert exit code 2 and exactly one line on stderr; return that line."""
    r = CliRunner().invoke(main, args, env=env)
    assert r.exit_code == 2, (r.exit_code, r.stderr, r.exception)
    assert r.stderr.endswith("\n") and r.stderr.count("\n") == 1, repr(r.stderr)
    return r.stderr[:-1]


def scenario_error(tmp_path: Path, text: str | bytes) -> tuple[Path, str]:
    f = tmp_path / "s.yaml"
    if isinstance(text, bytes):
        f.write_bytes(text)
    else:
        f.write_text(text, encoding="utf-8")
    return f, one_line_error(["compare", str(f)])


# -- YAML that expands or nests without end -----------------------------------------------------------

def test_yaml_self_referencing_alias_is_refused_at_its_line(tmp_path: Path) -> None:
    f, err = scenario_error(tmp_path, "name: x\nworkloads: &w\n  - {name: a, type: storage, gb: 1}\n  - *w\n")
    assert err == (f"Error: {f}: line 4: alias *w is inside the node &w it refers to, so the value never ends; "
                   "refer to a node defined before it")


@pytest.mark.parametrize(("style", "levels"), [("flow", 5000), ("block", 200)])
def test_yaml_nesting_without_end_is_refused(tmp_path: Path, style: str, levels: int) -> None:
    # 5,000 levels is past Python's recursion limit (1,000) for a recursive composer; block style at 200
    # levels keeps the file under the 1 MiB limit (2 spaces more indentation a level). The limit is 64.
    if style == "flow":
        text = "name: x\nworkloads: " + "[" * levels + "]" * levels + "\n"
    else:
        text = "name: x\nworkloads:\n" + "".join(f"{'  ' * (i + 1)}-\n" for i in range(levels))
    f, err = scenario_error(tmp_path, text)
    assert err.startswith(f"Error: {f}: line ")
    assert err.endswith(": nested more than 64 levels deep; no field here needs that, so check the brackets and "
                        "indentation")


def test_price_book_self_referencing_alias_is_refused_at_its_line(tmp_path: Path) -> None:
    """Price books are read by the same YAML reader, with the same limits."""
    pb = tmp_path / "pb.yaml"
    pb.write_text("name: acme\ndiscounts: &d\n  - {provider: aws, percent: 5}\n  - *d\n")
    err = one_line_error(_pricebook_args(tmp_path, pb))
    assert err == (f"Error: {pb}: line 4: alias *d is inside the node &d it refers to, so the value never ends; "
                   "refer to a node defined before it")


def test_yaml_billion_laughs_is_refused_before_it_expands(tmp_path: Path) -> None:
    # 9 levels of 9 aliases each: 9**9 = 387,420,489 values once expanded; the limit is 100,000.
    # Expanded sizes: level a = 1 + 9 = 10 values, b = 1 + 9*10 = 91, c = 820, d = 7,381, e = 66,430,
    # f = 1 + 9*66,430 = 597,871 > 100,000, so it is refused at level f, line 6.
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for prev, cur in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 9) + "]")
    f, err = scenario_error(tmp_path, "\n".join(lines) + "\nname: x\nworkloads: *i\n")
    assert err == (f"Error: {f}: line 6: with its aliases expanded this holds more than 100,000 values; "
                   "write the values out or use fewer nested aliases")


def test_yaml_aliases_within_the_limit_still_expand() -> None:
    """The limits refuse bombs, not ordinary anchors: 3 levels of 9 aliases expand to 9**3 = 729 items."""
    import tempfile

    from planner.yamlfile import load_yaml

    text = "a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9]\nb: &b [" + ", ".join(["*a"] * 9) + "]\n"
    text += "c: [" + ", ".join(["*b"] * 9) + "]\n"
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "ok.yaml"
        f.write_text(text)
        data, lines = load_yaml(f)
    assert len(data["c"]) == 9 and all(len(outer) == 9 for outer in data["c"])
    assert sum(len(inner) for outer in data["c"] for inner in outer) == 729
    assert lines[("c",)] == 3


def test_yaml_file_over_one_mib_is_refused_before_parsing(tmp_path: Path) -> None:
    f, err = scenario_error(tmp_path, SCENARIO + "#" * (1024 * 1024) + "\n")
    assert err == f"Error: {f}: is larger than 1 MiB, too big for a scenario file; check that this is the right file"


def test_yaml_binary_value_is_refused_with_its_field(tmp_path: Path) -> None:
    f, err = scenario_error(tmp_path, "name: !!binary aGVsbG8=\nworkloads:\n" + STORAGE)
    assert err == (f"Error: {f}: name (line 1): binary data (!!binary) where a number or text belongs; "
                   "write the value as plain text")


def test_yaml_integer_too_long_to_convert_is_refused(tmp_path: Path) -> None:
    # Python refuses int() of more than 4,300 digits (sys.int_info.default_max_str_digits)
    f, err = scenario_error(tmp_path, "name: x\nhorizon_months: 1" + "0" * 5000 + "\nworkloads:\n" + STORAGE)
    assert err == (f"Error: {f}: horizon_months (line 2): cannot read the value "
                   "'1000000000000000000000000000000000000000' (a number with too many digits); "
                   "write a plain number or text")


def test_yaml_control_character_is_a_syntax_error_with_its_line(tmp_path: Path) -> None:
    f, err = scenario_error(tmp_path, "name: x\ndescription: a\x07b\nworkloads:\n" + STORAGE)
    assert err.startswith(f"Error: {f}: line 2: invalid YAML: ")


# -- files that cannot be read ------------------------------------------------------------------------

def _pricebook_args(tmp_path: Path, path: Path) -> list[str]:
    sc = tmp_path / "scenario.yaml"
    sc.write_text(SCENARIO)
    return ["compare", str(sc), "--pricebook", str(path)]


# (kind of input, what the messages call it, the command line for a file at PATH)
READERS = [
    ("scenario", "scenario file", lambda tmp, p: ["compare", str(p)]),
    ("pricebook", "price book", _pricebook_args),
    ("model-config", "model config", lambda tmp, p: ["capacity", "llm", "--model", str(p), "--gpu", "H100"]),
    ("catalog-import", "price file",
     lambda tmp, p: ["catalog", "import", "--format", "skypilot", "--provider", "aws", str(p)]),
]


def _bad_file(tmp_path: Path, kind: str) -> tuple[Path, str]:
    """A file of the named kind of trouble (named *.json so --model reads it as a path) and the message."""
    d = tmp_path / "bad"
    d.mkdir()
    p = d / "config.json"
    if kind == "symlink-loop":
        other = d / "other.json"
        p.symlink_to(other)
        other.symlink_to(p)
        return p, "is a symbolic link that loops back on itself; point it at a real file"
    if kind == "dangling-symlink":
        p.symlink_to(d / "gone.json")
        return p, "is a symbolic link to a file that does not exist; point it at the real file"
    if kind == "directory":
        p.mkdir()
        return p, "is a directory, not a {what}; give the path of the file"
    if kind == "fifo":
        os.mkfifo(p)
        return p, "is not a regular file (a pipe, socket or device), not a {what}; give a saved file"
    if kind == "binary":
        p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")  # the first bytes of a PNG image
        return p, "is a binary file (it contains NUL bytes), not a {what}; check that this is the right file"
    if kind == "utf16-bom":
        p.write_bytes("name: x\n".encode("utf-16"))
        return p, "is UTF-16 text; save the {what} as UTF-8"
    if kind == "utf16-no-bom":
        p.write_bytes("name: x\n".encode("utf-16-le"))
        return p, "looks like UTF-16 text (every other byte is zero); save the {what} as UTF-8"
    if kind == "latin1":
        p.write_bytes(b"name: x\n# caf\xe9\n")  # 'cafe' with e-acute in Latin-1: 0xe9 starts no UTF-8 sequence here
        return p, "line 2 is not UTF-8 text (byte 0xe9); save the {what} as UTF-8"
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["symlink-loop", "dangling-symlink", "directory", "fifo", "binary", "utf16-bom",
                                  "utf16-no-bom", "latin1"])
@pytest.mark.parametrize(("reader", "what", "args"), READERS, ids=[r[0] for r in READERS])
def test_unreadable_files_are_one_line_naming_the_file(tmp_path: Path, kind: str, reader: str, what: str,
                                                       args) -> None:  # type: ignore[no-untyped-def]
    if kind == "directory" and reader == "model-config":
        pytest.skip("--model takes a folder too: the config.json inside it (tested below)")
    path, message = _bad_file(tmp_path, kind)
    err = one_line_error(args(tmp_path, path))
    assert err == f"Error: {path}: {message.format(what=what)}"


def test_model_path_that_does_not_exist_says_preset_or_path(tmp_path: Path) -> None:
    p = tmp_path / "nope" / "config.json"
    err = one_line_error(["capacity", "llm", "--model", str(p), "--gpu", "H100"])
    assert err == f"Error: model config {str(p)!r} not found; give a preset name or a config.json path"


@pytest.mark.parametrize(("reader", "what", "args"), READERS, ids=[r[0] for r in READERS])
def test_permission_denied_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reader: str, what: str,
                                       args) -> None:  # type: ignore[no-untyped-def]
    """Unreadable files. Root reads any file whatever its mode, so the refusal is made where files are opened."""
    import pricing.textfile

    p = tmp_path / "locked.json"
    p.write_text("{}")
    real_open = open

    def deny(path, *a, **kw):  # type: ignore[no-untyped-def]
        if Path(path) == p:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, *a, **kw)

    monkeypatch.setattr(pricing.textfile, "open", deny, raising=False)
    err = one_line_error(args(tmp_path, p))
    assert err == f"Error: {p}: cannot be read: permission denied; make the {what} readable"


def test_unreadable_file_mode_000_when_not_root(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads files whatever their mode; the refusal itself is tested above")
    p = tmp_path / "s.yaml"
    p.write_text(SCENARIO)
    p.chmod(0)
    err = one_line_error(["compare", str(p)])
    assert err == f"Error: {p}: cannot be read: permission denied; make the scenario file readable"


def test_bad_bytes_after_the_first_block_of_a_price_file_name_their_line(tmp_path: Path) -> None:
    """The import argument is checked on its first 64 KiB; the streaming reader catches later bytes."""
    from planner.errors import InputError
    from pricing.textfile import SNIFF_BYTES, open_checked

    p = tmp_path / "big.csv"
    row = "c7i.large,,,2.0,4.0,,0.1,,us-east-1,use1-az1,x86_64\n"
    n = SNIFF_BYTES // len(row) + 10  # rows enough to pass the first block
    p.write_bytes(("h\n" + row * n).encode() + b"\xff\n")
    with pytest.raises(InputError) as err, open_checked(p, what="price file") as fh:
        for _ in fh:
            pass
    assert str(err.value) == f"{p}: line {n + 2} is not UTF-8 text (byte 0xff); save the price file as UTF-8"


# -- errors split over lines --------------------------------------------------------------------------

def test_newline_in_a_workload_name_stays_on_one_line(tmp_path: Path) -> None:
    f, err = scenario_error(tmp_path, 'name: x\nworkloads:\n  - {name: "chat\\nbot", type: storage, gb: 5}\n')
    assert err == (f"Error: {f}: workloads[0] ('chat\\nbot').name (line 3): 'chat\\nbot' holds a control character "
                   "(a line break, tab or escape); write it on one line")


def test_newline_in_an_unknown_key_stays_on_one_line(tmp_path: Path) -> None:
    f, err = scenario_error(tmp_path, 'name: x\nworkloads:\n  - {name: d, type: storage, gb: 5, "g\\nb": 1}\n')
    # the key is 'gb' with a line break inside, and the suggestion sees that
    assert err == (f"Error: {f}: workloads[0] (d).'g\\nb' (line 3): unknown field; did you mean 'gb'? allowed here: class, "
                   "egress_gb_per_month, gb, growth_gb_per_month, growth_pct_per_month, name, "
                   "read_requests_per_month, type, write_requests_per_month")


def test_escape_sequence_in_a_price_book_name_stays_on_one_line(tmp_path: Path) -> None:
    pb = tmp_path / "pb.yaml"
    pb.write_text('name: "acme\\e[2J"\n')  # an ANSI clear-screen sequence
    err = one_line_error(_pricebook_args(tmp_path, pb))
    assert err == (f"Error: {pb}:1: name: 'acme\\x1b[2J' holds a control character (a line break, tab or escape); "
                   "write it on one line")


def test_newline_in_a_flag_value_stays_on_one_line(tmp_path: Path) -> None:
    sc = tmp_path / "s.yaml"
    sc.write_text(SCENARIO)
    err = one_line_error(["compare", str(sc), "--format", "x\ny"])
    assert err == ("Error: planner compare: Invalid value for '--format': 'x\\ny' is not one of 'table', 'json', "
                   "'csv', 'markdown'. (see 'planner compare --help')")


def test_newline_in_a_file_name_stays_on_one_line(tmp_path: Path) -> None:
    p = tmp_path / "a\nb.yaml"
    err = one_line_error(["compare", str(p)])
    shown = str(tmp_path) + "/a\\nb.yaml"  # the line break written as the two characters \ and n
    assert err == f"Error: {shown}: file not found; check the path"


# -- messages that name the right thing ---------------------------------------------------------------

LLAMA_SHAPE = '"num_attention_heads": 32, "num_hidden_layers": 32, "vocab_size": 128256'


@pytest.mark.parametrize("given", ["file", "folder"])
def test_model_config_errors_name_the_file_not_its_folder(tmp_path: Path, given: str) -> None:
    d = tmp_path / "my-model"
    d.mkdir()
    cfg = d / "config.json"
    cfg.write_text('{"hidden_size": true, ' + LLAMA_SHAPE + "}")
    err = one_line_error(["capacity", "llm", "--model", str(cfg if given == "file" else d), "--gpu", "H100"])
    assert err == f"Error: {cfg}: hidden_size must be a positive number, got True"


def test_missing_field_beside_a_misspelt_one_reports_the_misspelling(tmp_path: Path) -> None:
    f, err = scenario_error(tmp_path, "name: x\nworkloads:\n  - {name: d, type: storage, tb: 5}\n")
    assert err == (f"Error: {f}: workloads[0] (d).tb (line 3): unknown field; did you mean 'gb'? allowed here: "
                   "class, egress_gb_per_month, gb, growth_gb_per_month, growth_pct_per_month, name, "
                   "read_requests_per_month, type, write_requests_per_month [+1 more problem]")


def test_unknown_key_keeps_its_suggestion_alongside_other_errors(tmp_path: Path) -> None:
    text = "name: x\nhorizon_month: 3\nbudget_usd_per_month: -1\nworkloads: []\n"
    f, err = scenario_error(tmp_path, text)
    assert err.startswith(f"Error: {f}: horizon_month (line 2): unknown field; did you mean 'horizon_months'? ")
    assert err.endswith(" [+2 more problems]")


def test_unknown_name_message_separates_the_valid_choices() -> None:
    err = one_line_error(["catalog", "use", "nope"])
    assert err == "Error: unknown catalog 'nope'. Valid: embedded"


# -- the error and YAML modules sit below both packages -----------------------------------------------

def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


def test_pricing_takes_errors_and_yaml_from_its_own_package() -> None:
    files = sorted((REPO / "pricing").rglob("*.py"))
    assert len(files) > 10
    upward = {str(f.relative_to(REPO)): sorted(m for m in _imports(f) if m in ("planner.errors", "planner.yamlfile"))
              for f in files}
    assert {f: m for f, m in upward.items() if m} == {}


@pytest.mark.parametrize("module", ["pricing.errors", "pricing.yamlfile", "pricing.textfile", "pricing.numbers",
                                    "pricing.env"])
def test_base_modules_import_nothing_from_planner(module: str) -> None:
    path = REPO / (module.replace(".", "/") + ".py")
    assert not [m for m in _imports(path) if m == "planner" or m.startswith("planner.")]


def test_planner_names_are_the_pricing_classes() -> None:
    import planner.errors
    import planner.yamlfile
    import pricing.errors
    import pricing.yamlfile

    assert planner.errors.InputError is pricing.errors.InputError
    assert planner.errors.PlannerError is pricing.errors.PlannerError
    assert planner.yamlfile.load_yaml is pricing.yamlfile.load_yaml


@pytest.mark.parametrize("case", ["alias-loop", "bad-env"])
def test_real_process_prints_one_line_and_exits_2(tmp_path: Path, case: str) -> None:
    """As a user sees it: `python -m planner` in its own process, stderr only the one line."""
    import subprocess
    import sys

    f = tmp_path / "s.yaml"
    f.write_text("name: x\nworkloads: &w [*w]\n" if case == "alias-loop" else SCENARIO)
    env = {**os.environ, "PLANNER_NOW": "yesterday" if case == "bad-env" else "2026-12-02"}
    p = subprocess.run([sys.executable, "-m", "planner", "compare", str(f)], capture_output=True, text=True,
                       env=env, cwd=REPO, check=False, timeout=120)
    expected = {
        "alias-loop": f"Error: {f}: line 2: alias *w is inside the node &w it refers to, so the value never ends; "
                      "refer to a node defined before it",
        "bad-env": "Error: PLANNER_NOW: 'yesterday' is not a date; give YYYY-MM-DD such as 2026-12-02, or unset "
                   "the variable",
    }[case]
    assert (p.returncode, p.stderr, p.stdout) == (2, expected + "\n", "")


def test_limits_hold_with_the_pure_python_parser_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without libyaml the loader is PyYAML's pure-Python one, with the same checks."""
    import yaml

    from planner.errors import InputError
    from pricing import yamlfile

    monkeypatch.setattr(yaml, "__with_libyaml__", False)
    yamlfile._loader_class.cache_clear()
    try:
        assert yamlfile._loader_class().__mro__[1] is yaml.SafeLoader
        cases = {
            "name: x\nworkloads: &w [*w]\n": "line 2: alias *w is inside the node &w it refers to",
            "w: " + "[" * 5000 + "]" * 5000 + "\n": "line 1: nested more than 64 levels deep",
        }
        for text, start in cases.items():
            f = tmp_path / "s.yaml"
            f.write_text(text)
            with pytest.raises(InputError) as err:
                yamlfile.load_yaml(f)
            assert str(err.value).startswith(f"{f}: {start}")
    finally:
        yamlfile._loader_class.cache_clear()

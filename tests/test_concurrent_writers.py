"""Concurrent writers, as real processes: two imports or refreshes of one snapshot name, and `active` switches.

A writer claims the name (an exclusive flock on ``<home>/.locks/<name>.lock``) before reading or fetching;
a second writer of that name gets a one-line error at once, or -- once the first is done -- "already
exists". The result is always one whole snapshot, never a mix or a half-written one. Switches of `active`
are serialized and atomic, so a reader only ever sees a whole name. Nothing here depends on timing: the
processes are held and released through pipes, and the races run to completion however they interleave.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from planner.errors import CatalogError
from pricing import store

REPO = Path(__file__).resolve().parents[1]
HEADER = "InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,GpuInfo,Price,SpotPrice,Region,AvailabilityZone,Arch"
# us-east-1 on-demand USD/h from the SkyPilot reference catalog (skypilot-org/skypilot-catalog v8 aws/vms.csv):
# c7i.large 0.08925, c7i.xlarge 0.1785, c7i.2xlarge 0.357. The two files differ, so a mix would show.
FILE_A = f"{HEADER}\nc7i.large,,,2.0,4.0,,0.08925,,us-east-1,use1-az1,x86_64\n"
FILE_B = (f"{HEADER}\nc7i.xlarge,,,4.0,8.0,,0.1785,,us-east-1,use1-az1,x86_64\n"
          "c7i.2xlarge,,,8.0,16.0,,0.357,,us-east-1,use1-az1,x86_64\n")
OFFERS_A = {("c7i.large", Decimal("0.08925"))}
OFFERS_B = {("c7i.xlarge", Decimal("0.1785")), ("c7i.2xlarge", Decimal("0.357"))}

CHILD = r"""
import sys
from planner.cli import main

mode, args = sys.argv[1], sys.argv[2:]
if mode == "go":  # start when the parent says so: both writers of a race are ready before either starts
    sys.stdin.readline()
elif mode == "held-refresh":  # a refresh whose fetch waits for the parent, holding the name meanwhile
    from decimal import Decimal
    import pricing.sources
    from pricing.schema import Offer

    class Held:
        name = "held"

        def fetch(self, regions=None, *, progress=None):
            print("fetching", flush=True)
            sys.stdin.readline()
            yield Offer(provider="aws", service="AmazonEC2", sku="c7i.large-od", region="us-east-1",
                        resource="instance", purchase_option="on_demand", unit="hour", price=Decimal("0.08925"),
                        source="held", effective_date="2026-11-26", fetched_at="2026-11-26",
                        instance_type="c7i.large")

    pricing.sources.SOURCES["aws"] = lambda **kw: Held()
main(args, prog_name="planner")
"""

SWITCHER = r"""
import sys
from pricing import store

sys.stdin.readline()
names, rounds = sys.argv[1].split(","), int(sys.argv[2])
for i in range(rounds):
    store.use(names[i % len(names)])
print("done", flush=True)
"""

READER = r"""
import sys
from pathlib import Path
from pricing import store

sys.stdin.readline()
path, rounds, seen, bad = Path(sys.argv[1]) / "active", int(sys.argv[2]), set(), []
for _ in range(rounds):
    data = path.read_bytes()
    seen.add(data)
    if data not in (b"a\n", b"b\n"):
        bad.append(data)
    if store.active_name() not in ("a", "b"):
        bad.append(b"active_name")
print(len(bad), len(seen), flush=True)
"""


def spawn(code: str, *args: str, home: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PLANNER_HOME": str(home)}
    return subprocess.Popen([sys.executable, "-c", code, *args], cwd=REPO, env=env, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def finish(proc: subprocess.Popen[str], say: str = "") -> tuple[int, str, str]:
    out, err = proc.communicate(say, timeout=300)
    return proc.returncode, out, err


def import_args(path: Path, name: str) -> list[str]:
    return ["catalog", "import", "--format", "skypilot", str(path), "--provider", "aws", "--name", name,
            "--standalone", "--as-of", "2026-11-26"]


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    h = tmp_path / "home"
    monkeypatch.setenv("PLANNER_HOME", str(h))
    return h


@pytest.fixture()
def files(tmp_path: Path) -> tuple[Path, Path]:
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text(FILE_A)
    b.write_text(FILE_B)
    return a, b


def offers_of(name: str) -> set[tuple[str | None, Decimal | None]]:
    return {(o.instance_type, o.price) for o in store.load_snapshot(name).offers}


def no_leftovers(home: Path) -> bool:
    return not [p for p in (home / "snapshots").iterdir() if p.name.startswith(".tmp-")]


def test_second_writer_fails_at_once_while_the_first_holds_the_name(home: Path, files: tuple[Path, Path]) -> None:
    # A: a refresh of snapshot "same", held inside its fetch (the name is claimed before fetching)
    a = spawn(CHILD, "held-refresh", "catalog", "refresh", "--cloud", "aws", "--name", "same", "--standalone",
              home=home)
    assert a.stdout is not None and a.stdout.readline() == "fetching\n"
    # B: an import of the same name, as a separate process, while A holds it
    b = subprocess.run([sys.executable, "-m", "planner", *import_args(files[1], "same")], cwd=REPO,
                       env={**os.environ, "PLANNER_HOME": str(home)}, capture_output=True, text=True, timeout=300,
                       check=False)
    assert b.returncode == 2 and b.stdout == ""
    assert b.stderr == (f"Error: snapshot 'same' is being written or deleted by another planner process "
                        f"(pid {a.pid}); wait for it to finish, or choose another --name\n")
    assert not (home / "snapshots" / "same").exists()  # nothing of B's was written
    rc, out, err = finish(a, "go\n")  # A finishes
    assert rc == 0, err
    assert "Now using catalog 'same'" in out
    assert offers_of("same") == OFFERS_A and store.active_name() == "same"
    assert no_leftovers(home)
    # B again, now that A is done: the name exists, one line, A's snapshot untouched
    b = subprocess.run([sys.executable, "-m", "planner", *import_args(files[1], "same")], cwd=REPO,
                       env={**os.environ, "PLANNER_HOME": str(home)}, capture_output=True, text=True, timeout=300,
                       check=False)
    assert b.returncode == 2 and b.stderr.count("\n") == 1
    assert b.stderr.startswith("Error: snapshot 'same' already exists; choose another --name")
    assert offers_of("same") == OFFERS_A


@pytest.mark.parametrize("round_", range(3))
def test_two_imports_of_one_name_at_once_leave_one_whole_snapshot(home: Path, files: tuple[Path, Path],
                                                                   round_: int) -> None:
    name = f"race{round_}"
    procs = [spawn(CHILD, "go", *import_args(f, name), home=home) for f in files]
    for p in procs:  # both started; now let them go together
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    results = [finish(p) for p in procs]
    codes = sorted(rc for rc, _, _ in results)
    assert codes == [0, 2], results
    winner = next(i for i, (rc, _, _) in enumerate(results) if rc == 0)
    loser_err = results[1 - winner][2]
    assert loser_err.count("\n") == 1 and loser_err.startswith(f"Error: snapshot '{name}' "), loser_err
    assert ("is being written or deleted by another planner process" in loser_err
            or "already exists" in loser_err)
    # exactly the winner's offers, checksum verified on load, manifest count matching
    assert offers_of(name) == (OFFERS_A, OFFERS_B)[winner]
    assert store.read_manifest(name)["offers"] == len((OFFERS_A, OFFERS_B)[winner])
    assert store.active_name() == name and no_leftovers(home)


def test_active_switches_at_once_are_always_whole(home: Path) -> None:
    store.write_snapshot("a", [], source="s", fetched_at="2026-11-26")
    store.write_snapshot("b", [], source="s", fetched_at="2026-11-26")
    store.use("a")
    procs = [spawn(SWITCHER, "a,b", "300", home=home), spawn(SWITCHER, "b,a", "300", home=home),
             spawn(READER, str(home), "3000", home=home)]
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    results = [finish(p) for p in procs]
    assert [rc for rc, _, _ in results] == [0, 0, 0], results
    bad, distinct = (int(x) for x in results[2][1].split())
    assert bad == 0 and 1 <= distinct <= 2  # only ever "a\n" or "b\n", never empty or partial
    assert store.active_name() in ("a", "b")
    assert not [p for p in home.iterdir() if p.name.startswith(".active-")]  # no temp pointer left


def test_writer_and_deleter_exclude_each_other(home: Path) -> None:
    # another process holding the lock of a name (here: this test, through its own open file description)
    store.write_snapshot("held", [], source="s", fetched_at="2026-11-26")
    lock = home / ".locks" / "held.lock"
    fd = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(CatalogError, match="'held' is being written or deleted by another planner process"):
            store.delete("held")
        with pytest.raises(CatalogError, match="'held' is being written or deleted"), store.reserve("held"):
            pass
    finally:
        os.close(fd)
    store.delete("held")  # free again
    assert store.list_snapshots() == []

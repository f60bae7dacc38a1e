"""The sandbox guard (tests/sandbox.py, wired in tests/conftest.py) works, and can fail.

Every proof writes only inside its own temp folder: the "protected file", the "watched folder" and
the "repository" of the inner pytest runs are registered there through KEEL_SANDBOX_* variables.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from core.paths import keel_home as keel_folder
from tests import sandbox
from tests.sandbox import GUARD, REAL_HOME, sandbox_env, watch_writes

ROOT = Path(__file__).resolve().parents[1]

INNER_TESTS = '''
import os, subprocess, sys
from pathlib import Path

import pytest

from tests.sandbox import REAL_HOME, sandbox_env

MARKS = Path(os.environ["INNER_MARKS"])
REPO = Path(os.environ["KEEL_SANDBOX_REPO"])


def test_clean():
    (Path.home() / "notes.txt").write_text("HOME is a temp folder")


def test_clean_subprocess_through_sandbox_env():
    subprocess.run([sys.executable, "-c", "pass"], env=sandbox_env(), check=True)


def test_writes_the_protected_file():
    Path(os.environ["KEEL_SANDBOX_PROTECT"]).write_text("replaced by a predictions CSV")


def test_adds_a_file_to_a_watched_folder():
    (Path(os.environ["KEEL_SANDBOX_WATCH"]) / "stray").write_text("x")


def test_changes_a_tracked_sample():
    (REPO / "data" / "sample.csv").write_text("a,b\\n9,9\\n")


def test_leaves_an_untracked_file_in_the_repository():
    (REPO / "scored.csv").write_text("prediction\\n1\\n")


@pytest.fixture
def real_keel_home(monkeypatch):
    monkeypatch.setenv("KEEL_HOME", str(REAL_HOME / ".keel"))


def test_fixture_points_keel_home_at_the_real_home(real_keel_home):
    (MARKS / "body_ran").write_text("the guard let the test body run")


def test_body_points_home_at_the_real_home(monkeypatch):
    monkeypatch.setenv("HOME", str(REAL_HOME))


@pytest.mark.cli_sandbox
def test_cli_test_runs_in_the_repository(monkeypatch):
    monkeypatch.chdir(REPO)


def test_moves_to_a_folder_outside_the_temp_tree(monkeypatch):
    monkeypatch.chdir(REPO)


def test_subprocess_with_the_real_home():
    code = f"open({str(MARKS / 'child_ran')!r}, 'w')"
    subprocess.run([sys.executable, "-c", code], env={**os.environ, "HOME": str(REAL_HOME)})


def test_subprocess_without_a_home():
    subprocess.run([sys.executable, "-c", "pass"], env={"PATH": os.environ.get("PATH", "")})
'''
SHOULD_PASS = {"test_clean", "test_clean_subprocess_through_sandbox_env", "test_writes_the_protected_file",
               "test_adds_a_file_to_a_watched_folder", "test_changes_a_tracked_sample",
               "test_leaves_an_untracked_file_in_the_repository"}
GUARD_FAILS = {"test_fixture_points_keel_home_at_the_real_home", "test_body_points_home_at_the_real_home",
               "test_cli_test_runs_in_the_repository", "test_moves_to_a_folder_outside_the_temp_tree",
               "test_subprocess_with_the_real_home", "test_subprocess_without_a_home"}


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=sandbox_env())


def _inner_session(tmp_path: Path, selection: str | None = None) -> tuple[subprocess.CompletedProcess, dict]:
    """Run INNER_TESTS in a pytest of its own, guarded by tests/conftest.py; (process, {test: outcome})."""
    inner, marks, repo, watched = (tmp_path / name for name in ("inner", "marks", "repo", "watched"))
    for folder in (inner, marks, repo / "data", watched):
        folder.mkdir(parents=True)
    (inner / "pytest.ini").write_text("[pytest]\n")
    (inner / "test_inner_guard.py").write_text(INNER_TESTS)
    (repo / "data" / "sample.csv").write_text("a,b\n1,2\n")
    (repo / "README.md").write_text("# a repository for the guard's proof\n")
    _git(repo, "init", "-q")
    _git(repo, "add", "data/sample.csv", "README.md")
    protected = tmp_path / "passwd"
    protected.write_text("root:x:0:0:root:/root:/bin/bash\n")
    env = sandbox_env(PYTHONPATH=str(ROOT), INNER_MARKS=str(marks), KEEL_SANDBOX_REPO=str(repo),
                      KEEL_SANDBOX_PROTECT=str(protected), KEEL_SANDBOX_WATCH=str(watched),
                      KEEL_SANDBOX_NO_SYSTEM="1", PYTHONDONTWRITEBYTECODE="1")
    junit = tmp_path / "junit.xml"
    argv = [sys.executable, "-m", "pytest", "-p", "tests.conftest", "-p", "no:cacheprovider", "-q",
            f"--basetemp={tmp_path / 'basetemp'}", f"--junitxml={junit}", "test_inner_guard.py"]
    proc = subprocess.run([*argv, *(["-k", selection] if selection else [])], cwd=inner, env=env,
                          capture_output=True, text=True, timeout=240)
    outcomes = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        bad = [e for e in case if e.tag in ("failure", "error")]  # (an Element without children is falsy)
        outcomes[case.get("name")] = f"failed: {bad[0].get('message', '')}" if bad else "passed"
    return proc, outcomes


def test_the_guard_fails_tests_and_sessions_that_reach_outside_the_temp_tree(tmp_path: Path) -> None:
    proc, outcomes = _inner_session(tmp_path)
    report = f"stdout:\n{proc.stdout[-6000:]}\nstderr:\n{proc.stderr[-2000:]}"
    assert set(outcomes) == SHOULD_PASS | GUARD_FAILS, report
    for name in SHOULD_PASS:
        assert outcomes[name] == "passed", f"{name}: {outcomes[name]}\n{report}"
    for name in GUARD_FAILS:
        assert outcomes[name].startswith("failed: Failed: sandbox guard"), f"{name}: {outcomes[name]}\n{report}"
    assert "when the test started" in outcomes["test_fixture_points_keel_home_at_the_real_home"]
    assert "when the test ended" in outcomes["test_body_points_home_at_the_real_home"]
    assert "refused to start" in outcomes["test_subprocess_with_the_real_home"]
    assert not (tmp_path / "marks" / "body_ran").exists(), "the guard must stop the test before its body"
    assert not (tmp_path / "marks" / "child_ran").exists(), "the child with the real HOME must never start"
    # the session itself fails and names each change outside the tree
    assert proc.returncode == 1, report
    assert "sandbox guard: the session changed things outside its temporary tree" in proc.stdout, report
    for line in (f"protected file {tmp_path / 'passwd'} changed content",
                 f"new entry {tmp_path / 'watched' / 'stray'} appeared",
                 f"protected file {tmp_path / 'repo' / 'data' / 'sample.csv'} changed content",
                 f"new untracked file {tmp_path / 'repo' / 'scored.csv'} appeared"):
        assert line in proc.stdout, f"missing {line!r}\n{report}"


def test_a_session_that_stays_inside_passes_the_guard(tmp_path: Path) -> None:
    proc, outcomes = _inner_session(tmp_path, selection="test_clean")
    assert outcomes == {"test_clean": "passed", "test_clean_subprocess_through_sandbox_env": "passed"}, proc.stdout
    assert proc.returncode == 0 and "sandbox guard" not in proc.stdout, proc.stdout[-3000:]


# --------------------------------------------------------------------------- the layers, one by one


def test_every_test_gets_home_and_keel_home_in_the_temp_tree(sandbox_home: Path, keel_home: Path) -> None:
    base = GUARD.base
    assert base is not None and REAL_HOME != Path.home()
    for path in (Path.home(), Path(os.path.expanduser("~")), Path(os.environ["KEEL_HOME"]), keel_folder()):
        assert sandbox.is_inside(path, base), path
    assert Path.home() == sandbox_home and keel_folder() == keel_home


@pytest.fixture(scope="session")
def session_environment() -> dict[str, str | None]:
    """HOME and KEEL_HOME as a session-scoped fixture (e.g. the e2e server) sees them."""
    return {name: os.environ.get(name) for name in ("HOME", "KEEL_HOME")}


def test_session_fixtures_see_home_and_keel_home_in_the_temp_tree(session_environment: dict) -> None:
    assert GUARD.base is not None
    for name, value in session_environment.items():
        assert value and sandbox.is_inside(value, GUARD.base), name


def test_environment_problems_name_each_way_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base, start = tmp_path / "base", tmp_path / "start"
    for folder in (base / "home", start):
        folder.mkdir(parents=True)
    with monkeypatch.context() as m:  # undone before the test ends (the guard checks then)
        m.setenv("HOME", str(base / "home"))
        m.setenv("KEEL_HOME", str(base / "keel"))
        m.chdir(start)
        assert sandbox.environment_problems(base, start, cwd_in_base=False) == []
        assert "working directory" in sandbox.environment_problems(base, start, cwd_in_base=True)[0]
        m.setenv("KEEL_HOME", str(REAL_HOME / ".keel"))
        assert [p.split("=")[0] for p in sandbox.environment_problems(base, start, cwd_in_base=False)] == ["KEEL_HOME"]
        m.setenv("KEEL_HOME", " ")
        m.setenv("HOME", str(base / ".." / "elsewhere"))
        assert [p.split("=")[0] for p in sandbox.environment_problems(base, start, cwd_in_base=False)] == [
            "HOME", "KEEL_HOME"]
        m.delenv("HOME")
        m.delenv("KEEL_HOME")
        m.chdir(tmp_path)
        problems = sandbox.environment_problems(base, start, cwd_in_base=False)
        assert len(problems) == 2 and problems[0].startswith("HOME=None") and "working directory" in problems[1]


def test_sandbox_env_refuses_the_real_home(tmp_path: Path) -> None:
    assert sandbox.is_inside(sandbox_env()["HOME"], GUARD.base)
    assert sandbox_env(KEEL_HOME=str(tmp_path / "k"))["KEEL_HOME"] == str(tmp_path / "k")
    for bad in ({"HOME": str(REAL_HOME)}, {"KEEL_HOME": str(REAL_HOME / ".keel")}, {"HOME": ""}):
        with pytest.raises(RuntimeError, match="sandbox_env"):
            sandbox_env(**bad)


def test_watch_writes_refuses_and_records_every_kind_of_write_outside(tmp_path: Path) -> None:
    inside, outside = tmp_path / "inside", tmp_path / "outside"
    for folder in (inside, outside):
        folder.mkdir()
    (inside / "a.csv").write_text("a\n1\n")
    (outside / "kept.csv").write_text("kept\n")
    attempts = {
        "open": lambda: open(outside / "x.csv", "w"),
        "os.open": lambda: os.open(outside / "kept.csv", os.O_WRONLY | os.O_TRUNC),
        "mkdir": lambda: os.mkdir(outside / "d"),
        "rename": lambda: os.replace(inside / "a.csv", outside / "a.csv"),
        "remove": lambda: os.remove(outside / "kept.csv"),
        "copy": lambda: shutil.copyfile(inside / "a.csv", outside / "b.csv"),
        "sqlite": lambda: sqlite3.connect(outside / "keel.db"),
        "climb": lambda: open(inside / ".." / "outside" / "y.csv", "a"),
    }
    with watch_writes(inside) as refused:
        for name, attempt in attempts.items():
            with pytest.raises(PermissionError):
                attempt()
        (inside / "b.csv").write_text("inside is fine")
        os.replace(inside / "b.csv", inside / "c.csv")
        assert (outside / "kept.csv").read_text() == "kept\n"  # reading outside is fine
    assert len(refused) == len(attempts), refused
    assert sorted(p.name for p in outside.iterdir()) == ["kept.csv"] and (inside / "a.csv").exists()
    open(outside / "after.csv", "w").close()  # the watch ends with its block


def test_snapshot_differences_name_what_changed(tmp_path: Path) -> None:
    repo, watched = tmp_path / "repo", tmp_path / "watched"
    for folder in (repo / "data", watched):
        folder.mkdir(parents=True)
    (repo / "data" / "s.csv").write_text("a\n1\n")
    _git(repo, "init", "-q")
    _git(repo, "add", "data/s.csv")
    kept, touched, edited, gone = (tmp_path / n for n in ("kept", "touched", "edited", "gone"))
    for path in (kept, touched, edited, gone):
        path.write_text("same\n")
    before = sandbox.take_snapshot(repo, [kept, touched, edited, gone, repo / "data" / "s.csv"], [watched])
    assert sandbox.differences(before) == []
    os.utime(touched, ns=(1, 1))
    edited.write_text("SAME\n")
    gone.unlink()
    (watched / "new").mkdir()
    (repo / "out.csv").write_text("x")
    (repo / "__pycache__").mkdir()
    (repo / "__pycache__" / "m.pyc").write_text("ignored")
    assert sandbox.differences(before) == [
        f"protected file {touched} changed size/time during the test session",
        f"protected file {edited} changed content during the test session",
        f"protected file {gone} disappeared during the test session",
        f"new entry {watched / 'new'} appeared during the test session",
        f"new untracked file {repo / 'out.csv'} appeared in the repository",
    ]


def test_the_protected_list_holds_the_machine_and_the_samples() -> None:
    protected = set(sandbox.protected_files(ROOT))
    assert {Path("/etc/passwd"), Path("/etc/group"), Path("/etc/hosts")} <= protected
    assert ROOT / "README.md" in protected and any(p.parent == ROOT / "data" and p.suffix == ".csv" for p in protected)
    assert (Path("/etc/shadow") in protected) == os.access("/etc/shadow", os.R_OK)
    assert set(sandbox.watched_folders()) >= {Path("/"), Path("/etc")}


@pytest.mark.skipif(sandbox.landlock_abi() < 1, reason="this kernel has no Landlock")
def test_landlock_refuses_writes_outside_the_allowed_folders(tmp_path: Path) -> None:
    allowed, outside = tmp_path / "allowed", tmp_path / "outside"
    for folder in (allowed, outside):
        folder.mkdir()
    (outside / "kept.csv").write_text("kept\n")
    probe = textwrap.dedent(f"""
        import json, os, sys
        from tests.sandbox import restrict_writes
        allowed, outside = {str(allowed)!r}, {str(outside)!r}
        restrict_writes([allowed])
        results = {{}}
        for name, attempt in {{
            "write": lambda: open(os.path.join(outside, "x.csv"), "w"),
            "truncate": lambda: os.truncate(os.path.join(outside, "kept.csv"), 0),
            "mkdir": lambda: os.mkdir(os.path.join(outside, "d")),
            "remove": lambda: os.remove(os.path.join(outside, "kept.csv")),
            "move_out": lambda: (open(os.path.join(allowed, "m"), "w").close(),
                                 os.rename(os.path.join(allowed, "m"), os.path.join(outside, "m"))),
            "inside": lambda: open(os.path.join(allowed, "ok.csv"), "w").close(),
        }}.items():
            try:
                attempt()
                results[name] = "done"
            except PermissionError:
                results[name] = "refused"
        print(json.dumps(results))
    """)
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
                          env=sandbox_env(PYTHONPATH=str(ROOT)))
    assert proc.returncode == 0, proc.stderr
    truncate = "refused" if sandbox.landlock_abi() >= 3 else "done"  # truncate(2) is refused from ABI 3 on
    assert json.loads(proc.stdout) == {"write": "refused", "truncate": truncate, "mkdir": "refused",
                                       "remove": "refused", "move_out": "refused", "inside": "done"}
    assert sorted(p.name for p in outside.iterdir()) == ["kept.csv"]
    assert (outside / "kept.csv").read_text() == ("kept\n" if truncate == "refused" else "")


@pytest.mark.skipif(not GUARD.landlock, reason="the session runs without Landlock (see the pytest header)")
def test_this_session_cannot_write_outside_its_folders() -> None:
    writable = sandbox.session_writable(GUARD.base, ROOT)
    for precious in ("/etc/passwd", "/", REAL_HOME / ".keel" / "keel.db", "/usr/bin"):
        assert not any(sandbox.is_inside(precious, folder) for folder in writable), precious
    # The process's own name in /proc is outside every allowed folder: opening it to write (writing
    # nothing) is refused by the kernel now, where it succeeds in an unguarded process.
    with pytest.raises(PermissionError):
        os.close(os.open("/proc/self/comm", os.O_WRONLY))

"""Shared fixtures: every test gets its own KEEL_HOME and HOME in a temporary folder, inside a guarded sandbox.

The guard (logic in ``tests/sandbox.py``; issue 14, "a test suite that cannot harm its machine"):

* the session starts with HOME and KEEL_HOME inside pytest's temporary tree, and the kernel (Landlock,
  where Linux has it) refuses the session and every process it starts any write outside that tree,
  the system's temp folders, /dev and the repository;
* every test runs with HOME (and KEEL_HOME, XDG folders) inside the tree, checked when the test starts
  (after its fixtures) and when it ends; tests marked ``cli_sandbox`` must also run in a working
  directory inside it; a subprocess whose environment would reach the real home is refused;
* after the session, system files, the real user's Keel database and the repository's samples must
  be unchanged and no new file may have appeared in the repository, / or /etc: otherwise the session
  fails and says which.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from tests import sandbox
from tests.sandbox import GUARD, sandbox_env  # noqa: F401  (sandbox_env: for tests that start subprocesses)

# Property tests explore new random cases on every local run; in CI they replay a fixed set, so a
# case nobody has seen yet cannot block a landing at random (found cases get a regression test).
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parents[1]
_SESSION: dict = {}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "cli_sandbox: calls the CLI in-process; its working directory must be inside the temporary tree")


def pytest_sessionstart(session: pytest.Session) -> None:
    repo = Path(os.environ.get("KEEL_SANDBOX_REPO") or ROOT)
    _SESSION["snapshot"] = sandbox.take_snapshot(repo)  # before any test (or fixture) can change anything
    base = session.config._tmp_path_factory.getbasetemp().resolve()  # what tmp_path_factory.getbasetemp() gives
    _SESSION["environ"] = {name: os.environ.get(name) for name in ("HOME", "KEEL_HOME", *sandbox.XDG)}
    home = base / "home"
    home.mkdir(exist_ok=True)
    os.environ["HOME"] = str(home)  # session-scoped fixtures and the subprocesses they start see these
    os.environ["KEEL_HOME"] = str(base / "keel_home")
    for name in sandbox.XDG:
        if name in os.environ:
            (home / f".{name.lower()}").mkdir(mode=0o700, exist_ok=True)
            os.environ[name] = str(home / f".{name.lower()}")
    GUARD.base, GUARD.start_cwd = base, Path.cwd()
    sandbox.install_audit_hook()
    if os.environ.get("KEEL_SANDBOX_LANDLOCK", "1") != "0":
        try:
            GUARD.landlock = sandbox.restrict_writes(sandbox.session_writable(base, ROOT))
        except OSError as exc:  # reported in the header; the other layers still hold
            _SESSION["landlock_error"] = str(exc)


def pytest_report_header(config: pytest.Config) -> str:
    if GUARD.landlock:
        where = ", ".join(str(p) for p in sandbox.session_writable(GUARD.base or Path("?"), ROOT))
        kernel = f"Landlock ABI {GUARD.landlock}: writes only under {where}"
    else:
        kernel = f"no Landlock ({_SESSION.get('landlock_error', 'off or not in this kernel')})"
    return f"sandbox: HOME and KEEL_HOME in {GUARD.base}; {kernel}"


def _check(item: pytest.Item, when: str) -> None:
    if GUARD.base is None:
        pytest.fail("sandbox guard was not started (tests/conftest.py must be loaded before the session starts)")
    problems = sandbox.environment_problems(GUARD.base, GUARD.start_cwd,
                                            cwd_in_base=item.get_closest_marker("cli_sandbox") is not None)
    problems += GUARD.spawn_violations
    GUARD.spawn_violations = []
    if problems:
        pytest.fail(f"sandbox guard ({when}): " + "; ".join(problems), pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Check the environment once the test's fixtures are set up, and again when its body is done."""
    _check(item, "when the test started")
    try:
        return (yield)
    finally:
        _check(item, "when the test ended")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    snapshot = _SESSION.pop("snapshot", None)
    if snapshot is None:
        return
    GUARD.base = None  # from here on, the session's own git calls are not tests' subprocesses
    for name, value in _SESSION.pop("environ", {}).items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    problems = sandbox.differences(snapshot)
    if problems:
        _SESSION["problems"] = problems
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter) -> None:
    problems = _SESSION.get("problems")
    if problems:
        terminalreporter.section("sandbox guard: the session changed things outside its temporary tree",
                                 sep="!", red=True, bold=True)
        for line in problems:
            terminalreporter.write_line(line, red=True)


@pytest.fixture(autouse=True)
def sandbox_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HOME for this test: ``~``, ``Path.home()`` and the default ``~/.keel`` all land in its temp folder."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    monkeypatch.setenv("HOME", str(home))
    return home


@pytest.fixture(autouse=True)
def keel_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "keel_home"
    monkeypatch.setenv("KEEL_HOME", str(home))
    return home


@pytest.fixture(autouse=True)
def nobody_acting() -> Iterator[None]:
    """Each test starts and ends with no person acting: a command run in-process (``core.cli.main``) records its
    person and role for the rest of the thread, as a real one-command process would."""
    from core.store.db import set_actor

    set_actor(None)
    yield
    set_actor(None)


# --------------------------------------------------------------------------- PostgreSQL (issue 18)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[object]:
    """A real PostgreSQL server on loopback for the session; skipped where none can start, never in CI."""
    from tests.pg import start_server

    server = start_server()
    if isinstance(server, str):
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the PostgreSQL tests, but {server}")
        pytest.skip(server)
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def store_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, keel_home: Path) -> Iterator[str]:
    """Run a store test on both engines: the SQLite file in KEEL_HOME, and a fresh database on a real
    PostgreSQL server (KEEL_DATABASE_URL)."""
    from core import store

    if request.param == "sqlite":
        monkeypatch.delenv("KEEL_DATABASE_URL", raising=False)
        yield "sqlite"
        return
    from tests.pg import database

    server = request.getfixturevalue("postgres_server")
    with database(server) as url:
        monkeypatch.setenv("KEEL_DATABASE_URL", url)
        store.forget_checked()
        yield "postgres"
        store.forget_checked()

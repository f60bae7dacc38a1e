"""``check``: the integrity of the database and of every stored file, without changing anything."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from sqlite_utils import Database

from core.paths import keel_home
from core.store.db import (
    BUSY_TIMEOUT_MS,
    RESTORE_HINT,
    StoreDamagedError,
    StoreUnavailableError,
    applied_migrations,
    check_is_keel,
    database_problem,
    database_url,
    db_path,
    open_postgres,
)
from core.store.files import file_sha256, quarantined, referenced_files, stored_files
from core.store.postgres import describe_url
from core.store.schema import migrations


@dataclass(frozen=True)
class Problem:
    what: str
    detail: str
    hint: str


@dataclass(frozen=True)
class CheckReport:
    ok: bool
    problems: tuple[Problem, ...]
    notes: tuple[str, ...]
    datasets: int
    models: int
    files_checked: int


@dataclass(frozen=True)
class _Contents:
    """What a readable database lists: the files it refers to, how many datasets and models, legacy models."""

    referenced: list[tuple[str, str, str]]
    datasets: int
    models: int
    legacy: list[str]


def check(home: Path | None = None) -> CheckReport:
    """Integrity of the database and of every stored file, without changing anything."""
    home = home or keel_home()
    url = database_url()
    if url:  # a server that cannot be reached is not damaged: say what to check, not to restore a backup
        try:
            open_postgres(url).close()
        except StoreUnavailableError as exc:
            return _failed(Problem("database", exc.message, exc.hint))
    problem = database_problem(home)
    if problem:
        return _failed(Problem("database", problem + ".", RESTORE_HINT))
    if not url and not db_path(home).exists():
        return CheckReport(True, (), ("Keel has stored nothing here yet.",), 0, 0, 0)
    notes: list[str] = []
    try:
        contents = _read_postgres(url, notes) if url else _read_database(db_path(home), notes)
    except StoreDamagedError as exc:
        return _failed(Problem("database", exc.message, exc.hint))
    except sqlite3.DatabaseError as exc:
        return _failed(Problem("database", f"The database cannot be read: {exc}.", RESTORE_HINT))
    if contents is None:  # a database the next start will finish creating
        return CheckReport(True, (), tuple(notes), 0, 0, 0)
    problems = [
        Problem(
            f"model {label}",
            "Saved by an older Keel in a format that runs code when loaded; Keel will not load it.",
            "Train it again, or restore a backup made after upgrading.",
        )
        for label in contents.legacy
    ]
    problems += _file_problems(home, contents.referenced)
    notes += _leftover_notes(home, {name for _, name, _ in contents.referenced})
    mode = home.stat().st_mode & 0o777
    if mode & 0o022:
        problems.append(
            Problem(
                "folder",
                f"Other users can change Keel's folder {home} (permissions {mode:o}).",
                f"Make it private: chmod 700 '{home}'.",
            )
        )
    return CheckReport(
        not problems, tuple(problems), tuple(notes), contents.datasets, contents.models, len(contents.referenced)
    )


def _failed(problem: Problem) -> CheckReport:
    return CheckReport(False, (problem,), (), 0, 0, 0)


def _read_database(path: Path, notes: list[str]) -> _Contents | None:
    """Check the database's own integrity and that it is Keel's; list what it refers to."""
    # Not read-only: a hot journal left by a crash must be rolled back first, as any open would.
    conn = sqlite3.connect(f"file:{quote(str(path))}?mode=rw", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        result = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
        if result != ["ok"]:
            raise StoreDamagedError(f"The database is damaged: {'; '.join(result[:3])}.", RESTORE_HINT)
        db = Database(conn)
        check_is_keel(db, path)
        tables = set(db.table_names())
        pending = [m.name for m in migrations.pending(db)] if tables else []
        if pending:
            notes.append(f"The database will be upgraded at the next start ({', '.join(pending)}).")
        if not {"datasets", "models"} <= tables:
            return None
        columns = {r[1] for r in conn.execute("PRAGMA table_info(models)")}
        legacy_rows = (
            conn.execute("SELECT name, version FROM models WHERE artifact_format != 'skops'")
            if "artifact_format" in columns
            else []
        )
        return _Contents(
            referenced=referenced_files(conn),
            datasets=int(conn.execute("SELECT COUNT(*) FROM datasets").fetchone()[0]),
            models=int(conn.execute("SELECT COUNT(*) FROM models").fetchone()[0]),
            legacy=[f"{n}:{v}" for n, v in legacy_rows],
        )
    finally:
        conn.close()


def _read_postgres(url: str, notes: list[str]) -> _Contents | None:
    """The server's database: Keel's, not newer than this Keel; what it refers to. (PostgreSQL keeps its own
    pages consistent; there is no file to check.)"""
    db = open_postgres(url)
    try:
        check_is_keel(db, describe_url(url))
        done = set(applied_migrations(db))
        pending = [m.name for m in migrations._migrations if m.name not in done]
        if pending:
            notes.append(f"The database will be upgraded at the next start ({', '.join(pending)}).")
        if not {"datasets", "models"} <= set(db.table_names()):
            return None
        legacy_rows = (
            db.execute("SELECT name, version FROM models WHERE artifact_format != 'skops'").fetchall()
            if "artifact_format" in db.columns("models")
            else []
        )
        count = db.execute("SELECT (SELECT COUNT(*) FROM datasets), (SELECT COUNT(*) FROM models)").fetchone()
        return _Contents(
            referenced=referenced_files(db),
            datasets=int(count[0]) if count else 0,
            models=int(count[1]) if count else 0,
            legacy=[f"{n}:{v}" for n, v in legacy_rows],
        )
    finally:
        db.close()


def _file_problems(home: Path, referenced: list[tuple[str, str, str]]) -> list[Problem]:
    problems = []
    for kind, name, sha in referenced:
        file = home / kind / name
        if not file.is_file():
            problems.append(Problem(f"{kind}/{name}", "The file is missing.", RESTORE_HINT))
        elif file_sha256(file) != sha:
            detail = "The file has changed since Keel saved it (its fingerprint differs)."
            problems.append(Problem(f"{kind}/{name}", detail, RESTORE_HINT))
    return problems


def _leftover_notes(home: Path, live: set[str]) -> list[str]:
    """Notes (not problems) on files no record uses and on a damaged database kept aside."""
    notes = []
    stray = [p for p in stored_files(home) if p.name not in live]
    if stray:
        notes.append(
            f"{len(stray)} stored file(s) belong to no dataset or model (an interrupted save leaves these); "
            "Keel moves them to the quarantine folder at its next start."
        )
    kept = quarantined(home)
    if kept:
        notes.append(
            f"{len(kept)} file(s) wait in {home / 'quarantine'}: no dataset or model uses them. If you restored an "
            "older backup they may belong to newer work; otherwise you can delete that folder."
        )
    damaged = sorted(p.name for p in home.glob("keel.db.damaged-*"))
    if damaged:
        notes.append(
            f"A damaged database was kept aside as {damaged[-1]}; delete it once you are happy with the restore."
        )
    return notes

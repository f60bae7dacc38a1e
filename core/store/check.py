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
    check_is_keel,
    database_problem,
    db_path,
)
from core.store.files import file_sha256, quarantined, referenced_files, stored_files
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


def check(home: Path | None = None) -> CheckReport:
    """Integrity of the database and of every stored file, without changing anything."""
    home = home or keel_home()
    problems: list[Problem] = []
    notes: list[str] = []
    path = db_path(home)
    problem = database_problem(home)
    if problem:
        problems.append(Problem("database", problem + ".", RESTORE_HINT))
        return CheckReport(False, tuple(problems), tuple(notes), 0, 0, 0)
    if not path.exists():
        notes.append("Keel has stored nothing here yet.")
        return CheckReport(True, (), tuple(notes), 0, 0, 0)
    try:
        # Not read-only: a hot journal left by a crash must be rolled back first, as any open would.
        conn = sqlite3.connect(f"file:{quote(str(path))}?mode=rw", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            result = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
            if result != ["ok"]:
                problems.append(Problem("database", f"The database is damaged: {'; '.join(result[:3])}.", RESTORE_HINT))
                return CheckReport(False, tuple(problems), tuple(notes), 0, 0, 0)
            db = Database(conn)
            try:
                check_is_keel(db, path)
            except StoreDamagedError as exc:
                problems.append(Problem("database", exc.message, exc.hint))
                return CheckReport(False, tuple(problems), tuple(notes), 0, 0, 0)
            pending = [m.name for m in migrations.pending(db)] if db.table_names() else []
            if pending:
                notes.append(f"The database will be upgraded at the next start ({', '.join(pending)}).")
            tables = set(db.table_names())
            if not {"datasets", "models"} <= tables:
                return CheckReport(True, (), tuple(notes), 0, 0, 0)
            referenced = referenced_files(conn)
            datasets = conn.execute("SELECT COUNT(*) FROM datasets").fetchone()[0]
            models = conn.execute("SELECT COUNT(*) FROM models").fetchone()[0]
            legacy = (
                []
                if "artifact_format" not in {r[1] for r in conn.execute("PRAGMA table_info(models)")}
                else [
                    f"{n}:{v}"
                    for n, v in conn.execute("SELECT name, version FROM models WHERE artifact_format != 'skops'")
                ]
            )
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        problems.append(Problem("database", f"The database cannot be read: {exc}.", RESTORE_HINT))
        return CheckReport(False, tuple(problems), tuple(notes), 0, 0, 0)
    for label in legacy:
        problems.append(
            Problem(
                f"model {label}",
                "Saved by an older Keel in a format that runs code when loaded; Keel will not load it.",
                "Train it again, or restore a backup made after upgrading.",
            )
        )
    for kind, name, sha in referenced:
        file = home / kind / name
        if not file.is_file():
            problems.append(Problem(f"{kind}/{name}", "The file is missing.", RESTORE_HINT))
        elif file_sha256(file) != sha:
            problems.append(
                Problem(
                    f"{kind}/{name}",
                    "The file has changed since Keel saved it (its fingerprint differs).",
                    RESTORE_HINT,
                )
            )
    live = {name for _, name, _ in referenced}
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
    mode = home.stat().st_mode & 0o777
    if mode & 0o022:
        problems.append(
            Problem(
                "folder",
                f"Other users can change Keel's folder {home} (permissions {mode:o}).",
                f"Make it private: chmod 700 '{home}'.",
            )
        )
    return CheckReport(not problems, tuple(problems), tuple(notes), int(datasets), int(models), len(referenced))

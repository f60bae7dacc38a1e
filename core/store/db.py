"""Opening the database: refusing a missing, empty, damaged or foreign one, applying the schema once per
process, short-lived connections, write transactions, the audit log's writes, and small shared helpers."""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import fcntl
import json
import os
import re
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd
from sqlite_utils import Database

from core.errors import AccessDenied, IntegrityError, KeelError, NotFoundError
from core.paths import keel_home
from core.store.files import kind_folder, quarantine_file, stored_files
from core.store.postgres import MIGRATIONS_TABLE, PgDatabase, check_url, describe_url
from core.store.roles import ACTION_PERMISSIONS, ROLE_PERMISSIONS, refusal
from core.store.schema import migrations, replaced_pickles

BUSY_TIMEOUT_MS = 30_000


class StoreDamagedError(IntegrityError):
    """Keel's database is missing, empty, damaged or not Keel's: nothing can be read or written
    until it is restored (the hint names the command)."""


RESTORE_HINT = (
    "Restore your latest backup with `python -m core restore BACKUP_FOLDER` (nothing is deleted; "
    "the damaged database is kept beside it). `python -m core check` lists what is wrong."
)


SQLITE_MAGIC = b"SQLite format 3\x00"


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def db_path(home: Path | None = None) -> Path:
    return (home or keel_home()) / "keel.db"


_migrated: set[str] = set()


def database_url() -> str | None:
    """The PostgreSQL server holding the store's database (``KEEL_DATABASE_URL``), or None for the
    SQLite file ``KEEL_HOME/keel.db``. Stored files stay under KEEL_HOME either way."""
    url = os.environ.get("KEEL_DATABASE_URL", "").strip()
    return check_url(url) if url else None


def _checked_key(home: Path) -> str:
    return database_url() or str(db_path(home))


def forget_checked(home: Path | None = None) -> None:
    """Make the next connection check and migrate the database again (it was replaced, e.g. by a restore);
    without ``home``, every store this process opened."""
    if home is None:
        _migrated.clear()
    else:
        _migrated.discard(_checked_key(home))


class StoreUnavailableError(KeelError):
    """The database server named by KEEL_DATABASE_URL cannot be reached or refuses Keel."""


def open_postgres(url: str) -> PgDatabase:
    """A connection to the store's PostgreSQL database, or a plain error saying what to check."""
    import psycopg

    try:
        return PgDatabase(url)
    except psycopg.OperationalError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise StoreUnavailableError(
            f"Keel cannot reach its database at {describe_url(url)} ({reason[:200]}).",
            "Check that the server is running and that KEEL_DATABASE_URL names the right host, port, database "
            "and user (a password goes in PGPASSWORD or ~/.pgpass); or unset KEEL_DATABASE_URL to keep the "
            "store on this computer.",
        ) from None


def database_problem(home: Path | None = None) -> str | None:
    """Why the database file cannot be used as it is, in words; None when it looks usable.

    A database that does not exist yet is usable (a first start) unless stored files exist: then
    it was lost, and starting a fresh one would orphan the user's files.
    """
    home = home or keel_home()
    url = database_url()
    if url:
        try:
            open_postgres(url).close()
        except StoreUnavailableError as exc:
            return exc.message.rstrip(".")
        return None
    path = db_path(home)
    if path.is_dir():
        return f"Keel's database '{path}' is a folder, not a file"
    try:
        size = path.stat().st_size if path.exists() else None
        head = path.open("rb").read(16) if size else b""
    except OSError as exc:
        return f"Keel cannot read its database '{path}' ({exc.strerror})"
    if not size:
        files = stored_files(home)
        if files:
            state = "is missing" if size is None else "is empty"
            return (
                f"Keel's database '{path}' {state}, but {len(files):,} stored data and model "
                "files are there; Keel will not start an empty database over them"
            )
        return None
    if head != SQLITE_MAGIC:
        return f"Keel's database '{path}' is damaged (it does not start like a database file)"
    return None


def damaged(what: str) -> StoreDamagedError:
    return StoreDamagedError(f"{what}.", RESTORE_HINT)


_DAMAGE_WORDS = (
    "malformed",
    "not a database",
    "disk i/o error",
    "file is encrypted",
    "unable to open",
    "no such table",
    "no such column",
    "database corrupt",
)


@contextlib.contextmanager
def _database_errors(home: Path) -> Iterator[None]:
    """Turn SQLite's damage errors into :class:`StoreDamagedError`; "database is locked" and
    other transient errors pass through unchanged."""
    try:
        yield
    except sqlite3.DatabaseError as exc:
        text = str(exc).lower()
        if not any(word in text for word in _DAMAGE_WORDS):
            raise
        _migrated.discard(str(db_path(home)))
        raise damaged(database_problem(home) or f"Keel's database '{db_path(home)}' is damaged ({text})") from None


def raw_connect(path: Path, *, create: bool = False) -> sqlite3.Connection:
    mode = "rwc" if create else "rw"  # only the first start may create the file
    uri = f"file:{quote(str(path))}?mode={mode}"
    conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA secure_delete=ON")  # deleted rows are overwritten, not left in free pages
    return conn


def make_private(path: Path, mode: int = 0o600) -> None:
    with contextlib.suppress(OSError):
        if path.exists() and (path.stat().st_mode & 0o777) != mode:
            os.chmod(path, mode)


def applied_migrations(db: Any) -> list[str]:
    """Names of the migrations a database has applied, oldest first (on either engine)."""
    if getattr(db, "is_postgres", False):
        return list(db.applied_migrations())
    return [m.name for m in migrations.applied(db)] if "_sqlite_migrations" in db.table_names() else []


def check_is_keel(db: Any, path: Path | str) -> None:
    """Refuse a database some other program made, or a newer Keel whose schema this one does not know."""
    tables = set(db.table_names())
    # A first start killed after sqlite-utils made its bookkeeping table holds only that table.
    own = tables - {"_sqlite_migrations", "sqlite_sequence", "sqlite_stat1", MIGRATIONS_TABLE}
    applied = set(applied_migrations(db))
    if not own and not applied:
        return  # a new, empty database: the migrations create Keel's tables
    if not applied:
        raise StoreDamagedError(
            f"'{path}' is not Keel's database (it holds tables {', '.join(sorted(own)[:5])}).",
            "Point KEEL_HOME at Keel's own folder, or move this file away. " + RESTORE_HINT,
        )
    unknown = applied - {m.name for m in migrations._migrations}
    if unknown:
        raise StoreDamagedError(
            f"Keel's database '{path}' was written by a newer version of Keel (it knows {', '.join(sorted(unknown))}).",
            "Update Keel to the newest version, then try again; this version will not change that database.",
        )


def ensure_schema(home: Path, *, for_restore: bool = False) -> None:
    """Check the database, then create or upgrade its schema, once per process (serialised across
    processes by a lock). Refuses, without changing anything, a database that is missing while
    stored files exist, empty, damaged, or not Keel's. ``for_restore``: a restore is about to fill
    an empty database, so stored files beside it are expected."""
    url = database_url()
    if url:
        _ensure_postgres_schema(url, home, for_restore=for_restore)
        return
    path = db_path(home)
    if str(path) in _migrated and path.is_file():
        return
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(home / ".migrate.lock", "a+") as lock:
        make_private(home / ".migrate.lock")
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            problem = database_problem(home)
            if problem:
                raise damaged(problem)
            sidecars = [home / name for name in ("keel.db-wal", "keel.db-shm")]
            existed = [p.exists() for p in sidecars]
            try:
                with _database_errors(home):
                    db = Database(raw_connect(path, create=True))
                    try:
                        make_private(path)
                        ok = db.execute("PRAGMA quick_check").fetchone()[0]
                        if ok != "ok":
                            raise damaged(f"Keel's database '{path}' is damaged (its own consistency check failed)")
                        check_is_keel(db, path)
                        with db.ensure_autocommit_on():
                            db.conn.execute("PRAGMA journal_mode=WAL")
                        replaced_pickles.clear()
                        migrations.apply(db)
                    finally:
                        db.close()
                for pickle_file in replaced_pickles:  # never loaded again; kept aside, not deleted
                    with contextlib.suppress(OSError):
                        quarantine_file(pickle_file, home, "models")
                replaced_pickles.clear()
            except StoreDamagedError:
                for sidecar, was_there in zip(sidecars, existed):  # leave a damaged store as it was found
                    if not was_there:
                        with contextlib.suppress(OSError):
                            sidecar.unlink()
                raise
            for name in ("keel.db-wal", "keel.db-shm"):
                make_private(home / name)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    _migrated.add(str(path))
    with contextlib.suppress(sqlite3.Error, OSError, KeelError):
        quarantine_orphans(home)  # once per process: what a crash may have left (moved aside, not deleted)


def _ensure_postgres_schema(url: str, home: Path, *, for_restore: bool = False) -> None:
    if url in _migrated:
        return
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    db = open_postgres(url)
    try:
        check_is_keel(db, describe_url(url))
        files = stored_files(home)
        if not applied_migrations(db) and files and not for_restore:
            raise StoreDamagedError(
                f"The database at {describe_url(url)} holds no Keel data yet, but {len(files):,} stored data and "
                f"model files are in {home}; Keel will not start an empty database over them.",
                "To move a store to this server: run `python -m core backup FOLDER` without KEEL_DATABASE_URL, "
                "then `python -m core restore FOLDER` with it set. Or point KEEL_HOME at an empty folder.",
            )
        db.apply_migrations(migrations)
    finally:
        db.close()
    _migrated.add(url)
    with contextlib.suppress(OSError, KeelError):
        quarantine_orphans(home)


@contextlib.contextmanager
def connect(home: Path | None = None) -> Iterator[Any]:
    """Open a short-lived connection to the store (schema guaranteed current): a sqlite-utils
    ``Database`` on ``KEEL_HOME/keel.db``, or a :class:`PgDatabase` when KEEL_DATABASE_URL is set."""
    home = home or keel_home()
    ensure_schema(home)
    url = database_url()
    if url:
        pg = _take_connection(url)
        try:
            yield pg
        finally:
            _give_back(pg)
        return
    with _database_errors(home):
        db = Database(raw_connect(db_path(home)))
        try:
            yield db
        finally:
            db.close()


# A few idle PostgreSQL connections kept per process: opening one costs ~15 ms (a page makes several store
# calls). A connection goes back only when it is healthy and outside any transaction; the rest are closed.
_IDLE_MAX = 4
_idle: list[PgDatabase] = []
_idle_lock = threading.Lock()


def _take_connection(url: str) -> PgDatabase:
    with _idle_lock:
        while _idle:
            pg = _idle.pop()
            if pg.url == url and pg.reusable() and pg.alive():
                return pg
            pg.close()
    return open_postgres(url)


def _give_back(pg: PgDatabase) -> None:
    if pg.reusable():
        with _idle_lock:
            if len(_idle) < _IDLE_MAX:
                _idle.append(pg)
                return
    pg.close()


@contextlib.contextmanager
def transaction(home: Path | None = None) -> Iterator[Any]:
    """One write transaction. ``BEGIN IMMEDIATE`` takes the write lock up front (waiting up to
    the busy timeout), so read-then-write sequences such as "next version number" are safe."""
    with connect(home) as db:
        postgres = getattr(db, "is_postgres", False)
        if postgres:
            db.begin_write()
        else:
            db.conn.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.rollback()
            raise
        else:
            if postgres:
                db.commit()
            else:
                db.conn.execute("COMMIT")


def insert_row(db: Database, table: str, row: dict[str, Any]) -> int:
    """Insert one row and return its id."""
    new_id = db.table(table).insert(row).last_pk
    if new_id is None:  # pragma: no cover - every Keel table has an integer primary key
        raise RuntimeError(f"no id for the new row of {table}")
    return int(new_id)


_ACTOR: contextvars.ContextVar[str | None] = contextvars.ContextVar("keel_actor", default=None)
_ROLE: contextvars.ContextVar[str | None] = contextvars.ContextVar("keel_actor_role", default=None)


@contextlib.contextmanager
def acting_as(person: str | None, role: str | None = None) -> Iterator[None]:
    """Record ``person`` as the one who acts in every audit event written inside this block (this thread); with
    a ``role``, a write that role may not make is refused (see :mod:`core.store.roles`)."""
    token, role_token = _ACTOR.set(person), _ROLE.set(role)
    try:
        yield
    finally:
        _ACTOR.reset(token)
        _ROLE.reset(role_token)


def set_actor(person: str | None, role: str | None = None) -> None:
    """Record ``person`` (and their ``role``, which every write is then checked against) for the rest of this
    thread's work (a page run sets it first thing)."""
    _ACTOR.set(person)
    _ROLE.set(role)


def acting() -> tuple[str | None, str | None]:
    """The person and role set for this thread's writes (to hand to a worker process doing the work for them)."""
    return _ACTOR.get(), _ROLE.get()


def current_actor() -> str | None:
    """Who is acting: set by the page or command (the person a login proxy named), else ``KEEL_USER``;
    None for one person on their own laptop."""
    return _ACTOR.get() or os.environ.get("KEEL_USER", "").strip() or None


def check_allowed(action: str) -> None:
    """Refuse a write the acting person's role does not allow (:class:`AccessDenied`); nothing to check when no
    role is set (one person on their own laptop, or Keel acting on its own behalf)."""
    role, permission = _ROLE.get(), ACTION_PERMISSIONS.get(action)
    if role is None or permission is None or permission in ROLE_PERMISSIONS.get(role, frozenset()):
        return
    raise AccessDenied(
        refusal(_ACTOR.get(), role, permission),
        "Ask an admin to give you a role that allows it (People page, or `python -m core people add NAME --role "
        "editor`).",
    )


def audit_event(db: Any, action: str, object_type: str, object_id: int | None, **detail: Any) -> None:
    check_allowed(action)  # inside the write's transaction: a refused write leaves nothing behind
    row = {
        "at": utc_now(),
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "detail": json.dumps(detail, default=str),
    }
    if "actor" in _audit_columns(db):
        row["actor"] = current_actor()
    db.table("audit").insert(row)


def _audit_columns(db: Any) -> set[str]:
    if getattr(db, "is_postgres", False):
        return set(db.columns("audit"))
    return set(db.table("audit").columns_dict)


def redact_audit(db: Database, object_type: str, ids: list[int] | tuple[int, ...], why: str) -> None:
    """Forget what the audit log says about deleted objects (names, file names, column names, notes);
    the events themselves (what was done, when, to which id) stay."""
    if not ids:
        return
    marks = ",".join("?" * len(ids))
    db.execute(
        f"UPDATE audit SET detail = ? WHERE object_type = ? AND object_id IN ({marks})",
        [json.dumps({"redacted": why}), object_type, *[int(i) for i in ids]],
    )


def checkpoint(home: Path | None = None) -> None:
    """Fold the write-ahead log into the database and truncate it, so deleted content is gone from
    the WAL file too (with secure_delete it is zeroed in the database itself)."""
    if database_url():
        return  # PostgreSQL reclaims deleted rows itself (VACUUM); nothing is kept in a file here
    with connect(home) as db:
        db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def schema_version(home: Path | None = None) -> list[str]:
    """Names of the applied migrations, oldest first."""
    with connect(home) as db:
        return applied_migrations(db)


def integrity_check(home: Path | None = None) -> str:
    """SQLite's own integrity check ('ok' when healthy); on PostgreSQL, 'ok' when the database answers
    (the server keeps its own files consistent)."""
    with connect(home) as db:
        if getattr(db, "is_postgres", False):
            return "ok" if db.execute("SELECT 1").fetchone() == (1,) else "no answer"
        return str(db.execute("PRAGMA integrity_check").fetchone()[0])


def slug(*parts: str) -> str:
    """A short lowercase name for references on the command line: 'Sales 2024.csv', 'units' -> 'sales-2024-units'."""
    text = "-".join(re.sub(r"[^0-9a-z]+", "-", str(p).lower()).strip("-") for p in parts if str(p).strip())
    return re.sub(r"-{2,}", "-", text).strip("-")[:80] or "model"


def clean_name(name: str, fallback: str = "dataset") -> str:
    """A display name: printable, single-line, at most 120 characters. Never used as a path."""
    text = "".join(ch for ch in str(name) if ch.isprintable()).strip()
    return text[:120] or fallback


def get_row(db: Any, table: str, object_id: int, what: str) -> dict[str, Any]:
    rows = list(db.table(table).rows_where("id = ?", [int(object_id)], limit=1))
    if not rows:
        raise NotFoundError(
            f"There is no {what} with id {object_id} (it may have been deleted).",
            f"Pick a {what} from the list of those Keel keeps.",
        )
    return rows[0]


def quarantine_orphans(home: Path | None = None, temp_grace_seconds: float = 3600.0) -> int:
    """Move stored files no record refers to (left by a crash) into ``quarantine/``; remove stale
    temp files (a write a crash interrupted: never a complete file). Returns how many were moved
    or removed.

    Runs while holding the write lock, so no save can commit between the check and the move; a
    save that wrote its file before this took the lock re-writes it once it holds the lock (see
    ``save_dataset``). Files and temp files younger than ``temp_grace_seconds`` may belong to a
    write in progress in another process and are left alone.
    """
    home = home or keel_home()
    moved = 0
    now = time.time()
    with transaction(home) as db:
        live = {r[0] for r in db.execute("SELECT sha256 FROM datasets UNION SELECT artifact_sha256 FROM models")}
        for kind in ("datasets", "models"):
            for path in kind_folder(kind, home).iterdir():
                with contextlib.suppress(OSError):
                    young = now - path.stat().st_mtime < temp_grace_seconds
                    if path.name.startswith(".tmp-"):
                        if not young:
                            path.unlink()
                            moved += 1
                    elif path.name.split(".", 1)[0] not in live and not young:
                        quarantine_file(path, home, kind)
                        moved += 1
    return moved


def json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (dt.date, dt.datetime, pd.Timestamp)):
        return value.isoformat()
    return str(value)

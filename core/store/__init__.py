"""The store: the only module that writes SQL or touches files under ``KEEL_HOME``.

Layout under ``KEEL_HOME`` (folder 0700, files 0600)::

    keel.db                     SQLite (WAL) — datasets, models, batches, forecasts, audit log
    datasets/<sha256>.parquet   one file per distinct table content
    models/<sha256>.skops       model files (skops: loading builds only allow-listed types)
    quarantine/                 files no record refers to, moved aside (never deleted unasked)
    install.key                 this installation's key for signing backups (never copied)
    secret.key                  the key for pseudonymising values (travels with backups)
    logs/errors.log             unexpected errors (see core.bugs.log_bug)

Rules this module keeps:

* a short-lived connection per operation (``connect()``), because SQLite connections are
  thread-bound and Streamlit sessions are threads;
* every multi-step change runs inside one ``BEGIN IMMEDIATE`` transaction (``_write``), so a
  reader never sees half a record and two writers never compute the same version number;
* files are written to a temporary name, flushed to disk and renamed into place *before* the
  row that points at them is committed. A crash leaves at worst an unreferenced file, which
  :func:`quarantine_orphans` moves aside; never a row pointing at a missing or partial file;
* Keel never creates a fresh database where stored files exist, and never deletes a stored file
  because a database does not mention it: a missing, empty or damaged database stops every
  command with the ``restore`` command to run (:class:`StoreDamagedError`);
* only a delete the user asked for deletes stored files, and it forgets their names in the
  audit log too.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import hmac
import io
import json
import os
import re
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd
from sqlite_utils import Database, Migrations

from core.errors import InputError, IntegrityError, KeelError, NotFoundError
from core.paths import is_inside, keel_home

SCHEMA_NAME = "keel"
BUSY_TIMEOUT_MS = 30_000
STAGES = ("candidate", "champion", "retired")

migrations = Migrations(SCHEMA_NAME)


# --------------------------------------------------------------------------- schema


@migrations()
def m001_initial(db: Database) -> None:
    db["datasets"].create(
        {
            "id": int,
            "name": str,
            "family_id": int,  # id of the first upload this version descends from
            "version": int,  # 1 for an upload, then 2, 3… for each derived version
            "parent_id": int,
            "change": str,  # what made this version, in words ("Uploaded", "Dropped column 'x'")
            "sha256": str,
            "original_name": str,
            "source_format": str,
            "size_bytes": int,
            "rows": int,
            "n_columns": int,
            "columns_json": str,
            "kinds_json": str,  # user-confirmed column kinds, {} until changed
            "notes_json": str,  # what ingest noticed (renamed columns, skipped lines…)
            "created_at": str,
        },
        pk="id",
    )
    db["datasets"].create_index(["sha256"])
    db["datasets"].create_index(["family_id"])
    db["models"].create(
        {
            "id": int,
            "name": str,
            "version": int,
            "task": str,
            "algorithm": str,
            "stage": str,
            "dataset_id": int,
            "target": str,
            "metrics_json": str,
            "params_json": str,
            "schema_json": str,
            "report_json": str,  # evaluation results for the Evaluate page and model card
            "artifact_sha256": str,
            "artifact_bytes": int,
            "created_at": str,
        },
        pk="id",
    )
    db["models"].create_index(["name", "version"], unique=True)
    db["stage_history"].create(
        {"id": int, "model_id": int, "at": str, "from_stage": str, "to_stage": str, "reason": str},
        pk="id",
    )
    db["batches"].create(
        {
            "id": int,
            "model_id": int,
            "created_at": str,
            "rows": int,
            "dataset_id": int,  # raw rows kept only when the user chose to
            "result_json": str,
        },
        pk="id",
    )
    db["forecasts"].create(
        {
            "id": int,
            "dataset_id": int,
            "created_at": str,
            "params_json": str,
            "result_json": str,
        },
        pk="id",
    )
    db["audit"].create(
        {
            "id": int,
            "at": str,
            "action": str,
            "object_type": str,
            "object_id": int,
            "detail": str,
        },
        pk="id",
    )


@migrations()
def m002_safe_model_files(db: Database) -> None:
    """Models are saved as skops files; those an earlier Keel pickled with joblib are converted once.

    Each old file is unpickled here, and only here, after its SHA-256 matched the record. A file
    that is missing, changed or cannot be converted stays recorded as 'joblib', and Keel refuses
    to load it (``load_model_artifact``) instead of unpickling it later.
    """
    db["models"].add_column("artifact_format", str, not_null_default="joblib")
    home = Path(db.execute("PRAGMA database_list").fetchone()[2]).parent
    rows = list(db.execute("SELECT id, artifact_sha256 FROM models").fetchall())
    if not rows:
        return
    from core.models.model import convert_legacy_artifact  # the only caller of the legacy loader

    folder = home / "models"
    for model_id, sha in rows:
        old = folder / f"{sha}.joblib"
        try:
            payload = old.read_bytes()
            if _sha256(payload) != sha:
                continue
            converted = convert_legacy_artifact(payload)
        except Exception:
            continue
        new_sha = _sha256(converted)
        _write_file_atomically(folder, f"{new_sha}.skops", converted, sha=new_sha)
        db.execute(
            "UPDATE models SET artifact_sha256 = ?, artifact_bytes = ?, artifact_format = 'skops' WHERE id = ?",
            [new_sha, len(converted), model_id],
        )
        _replaced_pickles.append(old)


_replaced_pickles: list[Path] = []  # old model files converted by m002: moved aside once it has committed


# --------------------------------------------------------------------------- connections


class StoreDamagedError(IntegrityError):
    """Keel's database is missing, empty, damaged or not Keel's: nothing can be read or written
    until it is restored (the hint names the command)."""


RESTORE_HINT = (
    "Restore your latest backup with `python -m core restore BACKUP_FOLDER` (nothing is deleted; "
    "the damaged database is kept beside it). `python -m core check` lists what is wrong."
)
_SQLITE_MAGIC = b"SQLite format 3\x00"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def db_path(home: Path | None = None) -> Path:
    return (home or keel_home()) / "keel.db"


_migrated: set[str] = set()


def _stored_files(home: Path) -> list[Path]:
    """Dataset and model files kept under ``home`` (not temp files, not the quarantine)."""
    found: list[Path] = []
    for kind in ("datasets", "models"):
        folder = home / kind
        if folder.is_dir():
            found.extend(p for p in folder.iterdir() if not p.name.startswith(".tmp-"))
    return found


def database_problem(home: Path | None = None) -> str | None:
    """Why the database file cannot be used as it is, in words; None when it looks usable.

    A database that does not exist yet is usable (a first start) unless stored files exist: then
    it was lost, and starting a fresh one would orphan the user's files.
    """
    home = home or keel_home()
    path = db_path(home)
    if path.is_dir():
        return f"Keel's database '{path}' is a folder, not a file"
    try:
        size = path.stat().st_size if path.exists() else None
        head = path.open("rb").read(16) if size else b""
    except OSError as exc:
        return f"Keel cannot read its database '{path}' ({exc.strerror})"
    if not size:
        files = _stored_files(home)
        if files:
            state = "is missing" if size is None else "is empty"
            return (
                f"Keel's database '{path}' {state}, but {len(files):,} stored data and model "
                "files are there; Keel will not start an empty database over them"
            )
        return None
    if head != _SQLITE_MAGIC:
        return f"Keel's database '{path}' is damaged (it does not start like a database file)"
    return None


def _damaged(what: str) -> StoreDamagedError:
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
        raise _damaged(database_problem(home) or f"Keel's database '{db_path(home)}' is damaged ({text})") from None


def _raw_connect(path: Path, *, create: bool = False) -> sqlite3.Connection:
    mode = "rwc" if create else "rw"  # only the first start may create the file
    uri = f"file:{quote(str(path))}?mode={mode}"
    conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA secure_delete=ON")  # deleted rows are overwritten, not left in free pages
    return conn


def _private(path: Path, mode: int = 0o600) -> None:
    with contextlib.suppress(OSError):
        if path.exists() and (path.stat().st_mode & 0o777) != mode:
            os.chmod(path, mode)


def _check_is_keel(db: Database, path: Path) -> None:
    """Refuse a database some other program made, or a newer Keel whose schema this one does not know."""
    tables = set(db.table_names())
    # A first start killed after sqlite-utils made its bookkeeping table holds only that table.
    own = tables - {"_sqlite_migrations", "sqlite_sequence", "sqlite_stat1"}
    applied = {m.name for m in migrations.applied(db)} if "_sqlite_migrations" in tables else set()
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


def _migrate(home: Path) -> None:
    """Check the database, then create or upgrade its schema, once per process (serialised across
    processes by a lock). Refuses, without changing anything, a database that is missing while
    stored files exist, empty, damaged, or not Keel's."""
    path = db_path(home)
    if str(path) in _migrated and path.is_file():
        return
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(home / ".migrate.lock", "a+") as lock:
        _private(home / ".migrate.lock")
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            problem = database_problem(home)
            if problem:
                raise _damaged(problem)
            sidecars = [home / name for name in ("keel.db-wal", "keel.db-shm")]
            existed = [p.exists() for p in sidecars]
            try:
                with _database_errors(home):
                    db = Database(_raw_connect(path, create=True))
                    try:
                        _private(path)
                        ok = db.execute("PRAGMA quick_check").fetchone()[0]
                        if ok != "ok":
                            raise _damaged(f"Keel's database '{path}' is damaged (its own consistency check failed)")
                        _check_is_keel(db, path)
                        with db.ensure_autocommit_on():
                            db.conn.execute("PRAGMA journal_mode=WAL")
                        _replaced_pickles.clear()
                        migrations.apply(db)
                    finally:
                        db.close()
                for pickle_file in _replaced_pickles:  # never loaded again; kept aside, not deleted
                    with contextlib.suppress(OSError):
                        _quarantine(pickle_file, home, "models")
                _replaced_pickles.clear()
            except StoreDamagedError:
                for sidecar, was_there in zip(sidecars, existed):  # leave a damaged store as it was found
                    if not was_there:
                        with contextlib.suppress(OSError):
                            sidecar.unlink()
                raise
            for name in ("keel.db-wal", "keel.db-shm"):
                _private(home / name)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    _migrated.add(str(path))
    with contextlib.suppress(sqlite3.Error, OSError, KeelError):
        quarantine_orphans(home)  # once per process: what a crash may have left (moved aside, not deleted)


@contextlib.contextmanager
def connect(home: Path | None = None) -> Iterator[Database]:
    """Open a short-lived connection to the store (schema guaranteed current)."""
    home = home or keel_home()
    _migrate(home)
    with _database_errors(home):
        db = Database(_raw_connect(db_path(home)))
        try:
            yield db
        finally:
            db.close()


@contextlib.contextmanager
def _write(home: Path | None = None) -> Iterator[Database]:
    """One write transaction. ``BEGIN IMMEDIATE`` takes the write lock up front (waiting up to
    the busy timeout), so read-then-write sequences such as "next version number" are safe."""
    with connect(home) as db:
        db.conn.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.rollback()
            raise
        else:
            db.conn.execute("COMMIT")


def _audit(db: Database, action: str, object_type: str, object_id: int | None, **detail: Any) -> None:
    db["audit"].insert(
        {
            "at": _now(),
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "detail": json.dumps(detail, default=str),
        }
    )


def _redact_audit(db: Database, object_type: str, ids: list[int] | tuple[int, ...], why: str) -> None:
    """Forget what the audit log says about deleted objects (names, file names, column names, notes);
    the events themselves (what was done, when, to which id) stay."""
    if not ids:
        return
    marks = ",".join("?" * len(ids))
    db.execute(
        f"UPDATE audit SET detail = ? WHERE object_type = ? AND object_id IN ({marks})",
        [json.dumps({"redacted": why}), object_type, *[int(i) for i in ids]],
    )


def _checkpoint(home: Path | None = None) -> None:
    """Fold the write-ahead log into the database and truncate it, so deleted content is gone from
    the WAL file too (with secure_delete it is zeroed in the database itself)."""
    with connect(home) as db:
        db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def schema_version(home: Path | None = None) -> list[str]:
    """Names of the applied migrations, oldest first."""
    with connect(home) as db:
        return [m.name for m in migrations.applied(db)]


def integrity_check(home: Path | None = None) -> str:
    with connect(home) as db:
        return str(db.execute("PRAGMA integrity_check").fetchone()[0])


# --------------------------------------------------------------------------- files


def _folder(kind: str, home: Path | None = None) -> Path:
    folder = (home or keel_home()) / kind
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def _file_sha(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_file_atomically(
    folder: Path, final_name: str, payload: bytes, *, sha: str | None = None, trust_existing: bool = False
) -> Path:
    """Write ``payload`` to ``folder/final_name`` via a temp file (0600) + fsync + rename.

    With ``sha`` (content-addressed files) an existing file is kept only if its content really has
    that hash — a damaged copy of the same size is rewritten. ``trust_existing`` skips that check
    for a file this same operation has just verified or written.
    """
    final = folder / final_name
    if sha is not None and final.is_file():
        if trust_existing and final.stat().st_size == len(payload):
            return final
        with contextlib.suppress(OSError):
            if _file_sha(final) == sha:
                return final
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, final)
        _fsync_folder(folder)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return final


def _fsync_folder(folder: Path) -> None:
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _sha256(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def _quarantine(path: Path, home: Path, kind: str) -> Path:
    """Move a stored file no record refers to into ``quarantine/<kind>/`` (never delete it)."""
    folder = home / "quarantine" / kind
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = folder / path.name
    n = 1
    while target.exists():
        n += 1
        target = folder / f"{path.name}.{n}"
    os.replace(path, target)
    return target


def quarantined(home: Path | None = None) -> list[Path]:
    """Files moved into the quarantine folder, oldest first."""
    folder = (home or keel_home()) / "quarantine"
    if not folder.is_dir():
        return []
    return sorted((p for p in folder.rglob("*") if p.is_file()), key=lambda p: p.stat().st_mtime)


# --------------------------------------------------------------------------- datasets


@dataclass(frozen=True)
class DatasetInfo:
    id: int
    name: str
    family_id: int
    version: int
    parent_id: int | None
    change: str
    sha256: str
    original_name: str
    source_format: str
    size_bytes: int
    rows: int
    n_columns: int
    columns: tuple[str, ...]
    kinds: dict[str, str]
    notes: tuple[str, ...]
    created_at: str
    is_new: bool = True  # False when an identical table was already stored

    @property
    def label(self) -> str:
        return f"{self.name} (v{self.version})"


def _dataset_from_row(row: dict[str, Any], is_new: bool = True) -> DatasetInfo:
    return DatasetInfo(
        id=row["id"],
        name=row["name"],
        family_id=row["family_id"],
        version=row["version"],
        parent_id=row["parent_id"],
        change=row["change"] or "",
        sha256=row["sha256"],
        original_name=row["original_name"] or "",
        source_format=row["source_format"] or "",
        size_bytes=row["size_bytes"] or 0,
        rows=row["rows"],
        n_columns=row["n_columns"],
        columns=tuple(json.loads(row["columns_json"] or "[]")),
        kinds=json.loads(row["kinds_json"] or "{}"),
        notes=tuple(json.loads(row["notes_json"] or "[]")),
        created_at=row["created_at"],
        is_new=is_new,
    )


def _frame_to_parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    # Column names must be strings for Parquet; ingest guarantees that, but be defensive.
    safe = frame.copy(deep=False)
    safe.columns = [str(c) for c in safe.columns]
    safe.to_parquet(buffer, index=False, compression="zstd")
    return buffer.getvalue()


def slug(*parts: str) -> str:
    """A short lowercase name for references on the command line: 'Sales 2024.csv', 'units' -> 'sales-2024-units'."""
    text = "-".join(re.sub(r"[^0-9a-z]+", "-", str(p).lower()).strip("-") for p in parts if str(p).strip())
    return re.sub(r"-{2,}", "-", text).strip("-")[:80] or "model"


def clean_name(name: str, fallback: str = "dataset") -> str:
    """A display name: printable, single-line, at most 120 characters. Never used as a path."""
    text = "".join(ch for ch in str(name) if ch.isprintable()).strip()
    return text[:120] or fallback


def save_dataset(
    frame: pd.DataFrame,
    name: str,
    *,
    original_name: str = "",
    source_format: str = "",
    size_bytes: int = 0,
    notes: tuple[str, ...] | list[str] = (),
    parent_id: int | None = None,
    change: str = "Uploaded",
    kinds: dict[str, str] | None = None,
    home: Path | None = None,
) -> DatasetInfo:
    """Keep ``frame`` as a dataset version. Identical content is stored once.

    With ``parent_id`` the new version joins the parent's family with the next version number
    and ``change`` says what was done. Uploading a table that is already stored returns the
    existing record (``is_new=False``) instead of a duplicate.
    """
    home = home or keel_home()
    _migrate(home)  # a first start creates the database before any file is kept
    payload = _frame_to_parquet(frame)
    sha = _sha256(payload)
    _write_file_atomically(_folder("datasets", home), f"{sha}.parquet", payload, sha=sha)
    with _write(home) as db:
        # A sweep in another process may have moved the file aside before we held the lock: put it back.
        _write_file_atomically(_folder("datasets", home), f"{sha}.parquet", payload, sha=sha, trust_existing=True)
        existing = list(db["datasets"].rows_where("sha256 = ?", [sha], limit=1))
        if existing:
            return _dataset_from_row(existing[0], is_new=False)
        if parent_id is not None:
            parent = _get_row(db, "datasets", parent_id, "dataset")
            family_id = parent["family_id"]
            version = db.execute(
                "SELECT COALESCE(MAX(version), 0) + 1 FROM datasets WHERE family_id = ?", [family_id]
            ).fetchone()[0]
            base_kinds = json.loads(parent["kinds_json"] or "{}")
        else:
            family_id, version, base_kinds = None, 1, {}
        merged_kinds = {k: v for k, v in {**base_kinds, **(kinds or {})}.items() if k in frame.columns}
        row = {
            "name": clean_name(name),
            "family_id": family_id,
            "version": version,
            "parent_id": parent_id,
            "change": change,
            "sha256": sha,
            "original_name": clean_name(original_name, fallback=""),
            "source_format": source_format,
            "size_bytes": int(size_bytes or len(payload)),
            "rows": len(frame),
            "n_columns": int(frame.shape[1]),
            "columns_json": json.dumps([str(c) for c in frame.columns]),
            "kinds_json": json.dumps(merged_kinds),
            "notes_json": json.dumps(list(notes)),
            "created_at": _now(),
        }
        new_id = db["datasets"].insert(row).last_pk
        if family_id is None:
            db.execute("UPDATE datasets SET family_id = ? WHERE id = ?", [new_id, new_id])
        _audit(
            db,
            "upload" if parent_id is None else "derive",
            "dataset",
            new_id,
            name=row["name"],
            rows=row["rows"],
            columns=row["n_columns"],
            parent_id=parent_id,
            change=change,
        )
        stored = db["datasets"].get(new_id)
    return _dataset_from_row(stored)


def _get_row(db: Database, table: str, object_id: int, what: str) -> dict[str, Any]:
    rows = list(db[table].rows_where("id = ?", [int(object_id)], limit=1))
    if not rows:
        raise NotFoundError(
            f"There is no {what} with id {object_id} (it may have been deleted).",
            f"Pick a {what} from the list of those Keel keeps.",
        )
    return rows[0]


def get_dataset(dataset_id: int, home: Path | None = None) -> DatasetInfo:
    with connect(home) as db:
        return _dataset_from_row(_get_row(db, "datasets", dataset_id, "dataset"))


def list_datasets(home: Path | None = None) -> list[DatasetInfo]:
    """Every dataset version, newest first."""
    with connect(home) as db:
        return [_dataset_from_row(r) for r in db["datasets"].rows_where(order_by="id desc")]


def load_dataset(dataset_id: int, home: Path | None = None) -> pd.DataFrame:
    """The stored table of a dataset version, checked against its recorded hash."""
    info = get_dataset(dataset_id, home)
    path = _folder("datasets", home) / f"{info.sha256}.parquet"
    try:
        payload = path.read_bytes()
    except FileNotFoundError:
        raise IntegrityError(
            f"The file behind dataset '{info.name}' is missing from Keel's folder.",
            "Upload the original file again.",
        ) from None
    if _sha256(payload) != info.sha256:
        raise IntegrityError(
            f"The stored copy of dataset '{info.name}' has changed since it was saved.",
            "Upload the original file again; Keel will not use a copy it cannot verify.",
        )
    return pd.read_parquet(io.BytesIO(payload))


def rename_dataset(dataset_id: int, new_name: str, home: Path | None = None) -> DatasetInfo:
    name = clean_name(new_name, fallback="")
    if not name:
        raise InputError("A dataset name cannot be empty.", "Type a short name, e.g. 'Sales 2025'.")
    with _write(home) as db:
        old = _get_row(db, "datasets", dataset_id, "dataset")
        db["datasets"].update(int(dataset_id), {"name": name})
        _audit(db, "rename", "dataset", int(dataset_id), old=old["name"], new=name)
        row = db["datasets"].get(int(dataset_id))
    return _dataset_from_row(row)


def set_column_kinds(dataset_id: int, kinds: dict[str, str], home: Path | None = None) -> DatasetInfo:
    """Record the user's choice of column kinds for a dataset version."""
    with _write(home) as db:
        row = _get_row(db, "datasets", dataset_id, "dataset")
        columns = set(json.loads(row["columns_json"]))
        unknown = sorted(set(kinds) - columns)
        if unknown:
            raise InputError(
                f"Dataset '{row['name']}' has no column named {', '.join(map(repr, unknown))}.",
                "Choose kinds only for columns that are in the table.",
            )
        merged = {**json.loads(row["kinds_json"] or "{}"), **kinds}
        db["datasets"].update(int(dataset_id), {"kinds_json": json.dumps(merged)})
        _audit(db, "set_kinds", "dataset", int(dataset_id), kinds=kinds)
        row = db["datasets"].get(int(dataset_id))
    return _dataset_from_row(row)


def _descendants(db: Database, dataset_id: int) -> list[int]:
    rows = db.execute(
        """
        WITH RECURSIVE tree(id) AS (
            SELECT ? UNION ALL SELECT d.id FROM datasets d JOIN tree t ON d.parent_id = t.id
        ) SELECT id FROM tree
        """,
        [int(dataset_id)],
    ).fetchall()
    return [r[0] for r in rows]


@dataclass(frozen=True)
class DeleteImpact:
    datasets: tuple[int, ...]
    models: tuple[int, ...]
    batches: int
    forecasts: int


def delete_impact(dataset_id: int, home: Path | None = None) -> DeleteImpact:
    """What deleting a dataset would also delete (derived versions, models, batches, forecasts)."""
    with connect(home) as db:
        _get_row(db, "datasets", dataset_id, "dataset")
        return _impact(db, dataset_id)


def _impact(db: Database, dataset_id: int) -> DeleteImpact:
    ids = _descendants(db, dataset_id)
    marks = ",".join("?" * len(ids))
    models = [r[0] for r in db.execute(f"SELECT id FROM models WHERE dataset_id IN ({marks})", ids)]
    model_marks = ",".join("?" * len(models)) or "NULL"
    batches = db.execute(
        f"SELECT COUNT(*) FROM batches WHERE model_id IN ({model_marks}) OR dataset_id IN ({marks})",
        [*models, *ids],
    ).fetchone()[0]
    forecasts = db.execute(f"SELECT COUNT(*) FROM forecasts WHERE dataset_id IN ({marks})", ids).fetchone()[0]
    return DeleteImpact(tuple(ids), tuple(models), int(batches), int(forecasts))


def delete_dataset(dataset_id: int, home: Path | None = None) -> DeleteImpact:
    """Delete a dataset version and everything derived from it, in one transaction.

    Derived versions, models trained on any of them (with their files and monitored batches) and
    forecasts go too. Their names, file names and column names are redacted from the audit log
    (the events stay). The files no remaining record uses are deleted after the commit.
    """
    home = home or keel_home()
    with _write(home) as db:
        _get_row(db, "datasets", dataset_id, "dataset")
        impact = _impact(db, dataset_id)
        ids = list(impact.datasets)
        marks = ",".join("?" * len(ids))
        files = [
            (r[0], "datasets") for r in db.execute(f"SELECT DISTINCT sha256 FROM datasets WHERE id IN ({marks})", ids)
        ]
        model_marks = ",".join("?" * len(impact.models)) or "NULL"
        files += [
            (r[0], "models")
            for r in db.execute(f"SELECT artifact_sha256 FROM models WHERE id IN ({model_marks})", list(impact.models))
        ]
        batch_ids = [
            r[0]
            for r in db.execute(
                f"SELECT id FROM batches WHERE model_id IN ({model_marks}) OR dataset_id IN ({marks})",
                [*impact.models, *ids],
            )
        ]
        forecast_ids = [r[0] for r in db.execute(f"SELECT id FROM forecasts WHERE dataset_id IN ({marks})", ids)]
        for model_id in impact.models:
            _delete_model_rows(db, model_id)
        db.execute(f"DELETE FROM batches WHERE dataset_id IN ({marks})", ids)
        db.execute(f"DELETE FROM forecasts WHERE dataset_id IN ({marks})", ids)
        db.execute(f"DELETE FROM datasets WHERE id IN ({marks})", ids)
        why = f"deleted with dataset {int(dataset_id)}"
        _redact_audit(db, "dataset", ids, why)
        _redact_audit(db, "model", list(impact.models), why)
        _redact_audit(db, "batch", batch_ids, why)
        _redact_audit(db, "forecast", forecast_ids, why)
        _audit(
            db,
            "delete",
            "dataset",
            int(dataset_id),
            datasets=ids,
            models=list(impact.models),
            batches=impact.batches,
            forecasts=impact.forecasts,
        )
        gone = _unreferenced(db, home, files)
    _delete_files(gone)
    _checkpoint(home)
    return impact


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
    with _write(home) as db:
        live = {r[0] for r in db.execute("SELECT sha256 FROM datasets UNION SELECT artifact_sha256 FROM models")}
        for kind in ("datasets", "models"):
            for path in _folder(kind, home).iterdir():
                with contextlib.suppress(OSError):
                    young = now - path.stat().st_mtime < temp_grace_seconds
                    if path.name.startswith(".tmp-"):
                        if not young:
                            path.unlink()
                            moved += 1
                    elif path.name.split(".", 1)[0] not in live and not young:
                        _quarantine(path, home, kind)
                        moved += 1
    return moved


# --------------------------------------------------------------------------- audit log


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: str
    action: str
    object_type: str
    object_id: int | None
    detail: dict[str, Any]


def audit_log(limit: int = 200, home: Path | None = None) -> list[AuditEntry]:
    with connect(home) as db:
        rows = db["audit"].rows_where(order_by="id desc", limit=limit)
        return [
            AuditEntry(r["id"], r["at"], r["action"], r["object_type"], r["object_id"], json.loads(r["detail"] or "{}"))
            for r in rows
        ]


# --------------------------------------------------------------------------- models


@dataclass(frozen=True)
class ModelInfo:
    id: int
    name: str
    version: int
    task: str
    algorithm: str
    stage: str
    dataset_id: int | None
    target: str
    metrics: dict[str, Any]
    params: dict[str, Any]
    schema: dict[str, Any]
    report: dict[str, Any]
    artifact_sha256: str
    artifact_bytes: int
    created_at: str
    artifact_format: str = "skops"

    @property
    def label(self) -> str:
        return f"{self.name}:{self.version}"


def _model_from_row(row: dict[str, Any]) -> ModelInfo:
    return ModelInfo(
        id=row["id"],
        name=row["name"],
        version=row["version"],
        task=row["task"],
        algorithm=row["algorithm"],
        stage=row["stage"],
        dataset_id=row["dataset_id"],
        target=row["target"] or "",
        metrics=json.loads(row["metrics_json"] or "{}"),
        params=json.loads(row["params_json"] or "{}"),
        schema=json.loads(row["schema_json"] or "{}"),
        report=json.loads(row["report_json"] or "{}"),
        artifact_sha256=row["artifact_sha256"],
        artifact_bytes=row["artifact_bytes"] or 0,
        created_at=row["created_at"],
        artifact_format=row.get("artifact_format") or "joblib",
    )


def save_model(
    artifact: bytes,
    *,
    name: str,
    task: str,
    algorithm: str,
    dataset_id: int | None,
    target: str,
    metrics: dict[str, Any],
    params: dict[str, Any],
    schema: dict[str, Any],
    report: dict[str, Any] | None = None,
    artifact_format: str = "skops",
    home: Path | None = None,
) -> ModelInfo:
    """Register serialized model bytes (produced by Keel itself) as the next version of ``name``.

    The first version of a name becomes its champion (the one in use); later versions are
    candidates until promoted (``set_stage``) or a champion/challenger gate promotes them.
    """
    model_name = check_model_name(name)
    home = home or keel_home()
    _migrate(home)  # a first start creates the database before any file is kept
    sha = _sha256(artifact)
    suffix = _MODEL_SUFFIX[artifact_format]
    _write_file_atomically(_folder("models", home), f"{sha}{suffix}", artifact, sha=sha)
    with _write(home) as db:
        _write_file_atomically(
            _folder("models", home), f"{sha}{suffix}", artifact, sha=sha, trust_existing=True
        )  # see save_dataset
        version = db.execute(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM models WHERE name = ?", [model_name]
        ).fetchone()[0]
        first = db.execute("SELECT COUNT(*) FROM models WHERE name = ?", [model_name]).fetchone()[0] == 0
        stage = "champion" if first else "candidate"
        row = {
            "name": model_name,
            "version": int(version),
            "task": task,
            "algorithm": algorithm,
            "stage": stage,
            "dataset_id": dataset_id,
            "target": target,
            "metrics_json": json.dumps(metrics, default=_json_default),
            "params_json": json.dumps(params, default=_json_default),
            "schema_json": json.dumps(schema, default=_json_default),
            "report_json": json.dumps(report or {}, default=_json_default),
            "artifact_sha256": sha,
            "artifact_bytes": len(artifact),
            "artifact_format": artifact_format,
            "created_at": _now(),
        }
        new_id = db["models"].insert(row).last_pk
        db["stage_history"].insert(
            {
                "model_id": new_id,
                "at": row["created_at"],
                "from_stage": None,
                "to_stage": stage,
                "reason": "trained; the first model of this name is put to use" if first else "trained",
            }
        )
        _audit(db, "register", "model", new_id, name=model_name, version=version, algorithm=algorithm)
        stored = db["models"].get(new_id)
    return _model_from_row(stored)


_MODEL_SUFFIX = {"skops": ".skops", "joblib": ".joblib"}


def check_model_name(name: str) -> str:
    """The name a model will be registered under, or ``InputError`` for one that cannot be."""
    # ':' and '@' separate a name from a version or stage in references (name:2, name@champion)
    model_name = clean_name(name, fallback="").replace(":", "-").replace("@", "-")
    if not model_name:
        raise InputError("A model name cannot be empty.", "Type a short name, e.g. 'churn'.")
    if model_name.isdecimal():
        raise InputError(
            f"A model name cannot be only digits ('{model_name}'): a number on the command line means a model id.",
            f"Add a word, e.g. 'model-{model_name}'.",
        )
    return model_name


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (dt.date, dt.datetime, pd.Timestamp)):
        return value.isoformat()
    return str(value)


_MAX_ID = 2**63 - 1


def _as_id(text: str) -> int | None:
    """A whole number written in ASCII digits that SQLite can hold, else None ('²', '٣', 10**30)."""
    if not re.fullmatch(r"[0-9]{1,19}", text):
        return None
    number = int(text)
    return number if number <= _MAX_ID else None


def resolve_model(ref: str | int, home: Path | None = None) -> ModelInfo:
    """Find a model by id, ``name`` (the version in use, else the newest), ``name:version`` or ``name@stage``."""
    text = str(ref).strip()
    not_found = NotFoundError(
        f"No model matches '{text}'.",
        "Use a model id, a name, name:version or name@champion; `python -m core models` lists them.",
    )
    with connect(home) as db:
        rows: list[dict[str, Any]] = []
        if text.isdecimal() or text.isdigit():
            model_id = _as_id(text)
            if model_id is None:
                raise not_found
            rows = list(db["models"].rows_where("id = ?", [model_id], limit=1))
            named = list(db["models"].rows_where("name = ?", [text], order_by="version desc", limit=1))
            if rows and named:  # only from a store made before names of digits were refused
                raise InputError(
                    f"'{text}' is both the id of model {rows[0]['name']}:{rows[0]['version']} and the name of "
                    f"model {named[0]['name']}:{named[0]['version']}.",
                    f"Say which: '{rows[0]['name']}:{rows[0]['version']}' or '{named[0]['name']}:{named[0]['version']}'.",
                )
            rows = rows or named
        elif "@" in text:
            name, stage = text.rsplit("@", 1)
            rows = list(
                db["models"].rows_where("name = ? AND stage = ?", [name, stage], order_by="version desc", limit=1)
            )
        elif ":" in text and text.rsplit(":", 1)[1].isdigit():
            name, version_text = text.rsplit(":", 1)
            version = _as_id(version_text)
            if version is not None:
                rows = list(db["models"].rows_where("name = ? AND version = ?", [name, version], limit=1))
        else:  # a bare name means the version in use; the newest when none is
            rows = list(
                db["models"].rows_where("name = ?", [text], order_by="stage = 'champion' desc, version desc", limit=1)
            )
    if not rows:
        raise not_found
    return _model_from_row(rows[0])


def get_model(model_id: int, home: Path | None = None) -> ModelInfo:
    with connect(home) as db:
        return _model_from_row(_get_row(db, "models", model_id, "model"))


def list_models(home: Path | None = None) -> list[ModelInfo]:
    with connect(home) as db:
        return [_model_from_row(r) for r in db["models"].rows_where(order_by="name, version desc")]


def model_file(info: ModelInfo, home: Path | None = None) -> Path:
    return _folder("models", home) / f"{info.artifact_sha256}{_MODEL_SUFFIX.get(info.artifact_format, '.skops')}"


def load_model_artifact(model_id: int, home: Path | None = None) -> bytes:
    """The skops bytes of a model, refused unless their sha256 matches the record."""
    info = get_model(model_id, home)
    if info.artifact_format != "skops":
        raise IntegrityError(
            f"Model {info.label} was saved by an older Keel in a format that runs code when loaded, and "
            "could not be converted to the safe format.",
            "Train the model again (`python -m core retrain` or the Train page); Keel will not load that file.",
        )
    path = model_file(info, home)
    try:
        payload = path.read_bytes()
    except FileNotFoundError:
        raise IntegrityError(
            f"The saved file of model {info.label} is missing.",
            "Restore a backup (`python -m core restore BACKUP_FOLDER`), or train the model again.",
        ) from None
    if _sha256(payload) != info.artifact_sha256:
        raise IntegrityError(
            f"The saved file of model {info.label} does not match the fingerprint recorded when it was "
            "trained, so Keel refuses to load it.",
            "Someone or something changed it on disk. Train the model again, or restore a backup.",
        )
    return payload


def set_stage(model_id: int, stage: str, reason: str = "", home: Path | None = None) -> ModelInfo:
    """Move a model to a stage. Promoting a champion retires the previous one of the same name."""
    if stage not in STAGES:
        raise InputError(f"'{stage}' is not a stage.", f"Use one of: {', '.join(STAGES)}.")
    with _write(home) as db:
        row = _get_row(db, "models", model_id, "model")
        at = _now()
        if stage == "champion":
            for old in db["models"].rows_where("name = ? AND stage = 'champion' AND id != ?", [row["name"], row["id"]]):
                db["models"].update(old["id"], {"stage": "retired"})
                db["stage_history"].insert(
                    {
                        "model_id": old["id"],
                        "at": at,
                        "from_stage": "champion",
                        "to_stage": "retired",
                        "reason": f"replaced by version {row['version']}",
                    }
                )
        db["models"].update(row["id"], {"stage": stage})
        db["stage_history"].insert(
            {"model_id": row["id"], "at": at, "from_stage": row["stage"], "to_stage": stage, "reason": reason}
        )
        _audit(db, "stage", "model", row["id"], from_stage=row["stage"], to_stage=stage, reason=reason)
        row = db["models"].get(row["id"])
    return _model_from_row(row)


def record_decision(model_id: int, action: str, **detail: Any) -> None:
    """Write a decision about a model (e.g. the champion/challenger gate) to the audit log."""
    with _write() as db:
        _get_row(db, "models", model_id, "model")
        _audit(db, action, "model", int(model_id), **detail)


def previous_champion(name: str, home: Path | None = None) -> ModelInfo | None:
    """The model of ``name`` that was champion most recently before the current one."""
    with connect(home) as db:
        row = db.execute(
            """SELECT m.id FROM stage_history h JOIN models m ON m.id = h.model_id
               WHERE m.name = ? AND h.from_stage = 'champion' AND m.stage != 'champion'
               ORDER BY h.id DESC LIMIT 1""",
            [name],
        ).fetchone()
        return _model_from_row(db["models"].get(row[0])) if row else None


def stage_history(model_id: int, home: Path | None = None) -> list[dict[str, Any]]:
    with connect(home) as db:
        return list(db["stage_history"].rows_where("model_id = ?", [int(model_id)], order_by="id"))


def _delete_model_rows(db: Database, model_id: int) -> None:
    db.execute("DELETE FROM batches WHERE model_id = ?", [model_id])
    db.execute("DELETE FROM stage_history WHERE model_id = ?", [model_id])
    db.execute("DELETE FROM models WHERE id = ?", [model_id])


def delete_model(model_id: int, home: Path | None = None) -> None:
    """Delete one model version, its monitored batches and its file; its name leaves the audit log."""
    home = home or keel_home()
    with _write(home) as db:
        row = _get_row(db, "models", model_id, "model")
        batches = [r[0] for r in db.execute("SELECT id FROM batches WHERE model_id = ?", [row["id"]])]
        _delete_model_rows(db, row["id"])
        _redact_audit(db, "model", [row["id"]], "model deleted")
        _redact_audit(db, "batch", batches, "model deleted")
        _audit(db, "delete", "model", row["id"], batches=len(batches))
        gone = _unreferenced(db, home, [(row["artifact_sha256"], "models")])
    _delete_files(gone)
    _checkpoint(home)


def _unreferenced(db: Database, home: Path, candidates: list[tuple[str, str]]) -> list[Path]:
    """The files (and quarantined copies) of deleted records that no remaining record uses."""
    live = {r[0] for r in db.execute("SELECT sha256 FROM datasets UNION SELECT artifact_sha256 FROM models")}
    paths: list[Path] = []
    for sha, kind in candidates:
        if sha in live:
            continue
        for folder in (home / kind, home / "quarantine" / kind):
            if folder.is_dir():
                paths.extend(p for p in folder.iterdir() if p.name.startswith(sha))
    return paths


def _delete_files(paths: list[Path]) -> None:
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink()


# --------------------------------------------------------------------------- monitoring & forecasts


def save_batch(
    model_id: int, rows: int, result: dict[str, Any], dataset_id: int | None = None, home: Path | None = None
) -> int:
    with _write(home) as db:
        _get_row(db, "models", model_id, "model")
        batch_id = (
            db["batches"]
            .insert(
                {
                    "model_id": int(model_id),
                    "created_at": _now(),
                    "rows": int(rows),
                    "dataset_id": dataset_id,
                    "result_json": json.dumps(result, default=_json_default),
                }
            )
            .last_pk
        )
        _audit(db, "monitor", "batch", batch_id, model_id=model_id, rows=rows)
    return int(batch_id)


def list_batches(model_id: int, home: Path | None = None) -> list[dict[str, Any]]:
    with connect(home) as db:
        out = []
        for r in db["batches"].rows_where("model_id = ?", [int(model_id)], order_by="id"):
            out.append({**r, "result": json.loads(r.pop("result_json") or "{}")})
        return out


def acknowledge_alert(batch_id: int, rule: str, note: str = "", home: Path | None = None) -> None:
    """Mark a fired trigger of a batch as seen by the user (the alert log keeps it, marked)."""
    with _write(home) as db:
        row = _get_row(db, "batches", batch_id, "monitored batch")
        result = json.loads(row["result_json"] or "{}")
        result.setdefault("acknowledged", {})[rule] = {"at": _now(), "note": note}
        db["batches"].update(int(batch_id), {"result_json": json.dumps(result, default=_json_default)})
        _audit(db, "acknowledge", "batch", int(batch_id), rule=rule, note=note)


def save_forecast(
    dataset_id: int | None, params: dict[str, Any], result: dict[str, Any], home: Path | None = None
) -> int:
    with _write(home) as db:
        forecast_id = (
            db["forecasts"]
            .insert(
                {
                    "dataset_id": dataset_id,
                    "created_at": _now(),
                    "params_json": json.dumps(params, default=_json_default),
                    "result_json": json.dumps(result, default=_json_default),
                }
            )
            .last_pk
        )
        _audit(db, "forecast", "forecast", forecast_id, dataset_id=dataset_id)
    return int(forecast_id)


# --------------------------------------------------------------------------- secrets


def secret_key(home: Path | None = None) -> bytes:
    """This installation's key for pseudonymising values (keyed hash). Created once, private."""
    return _key_file((home or keel_home()) / "secret.key")


def _key_file(path: Path) -> bytes:
    """32 random bytes kept in ``path`` (0600), created once even with several processes racing."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp_name = f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}"
    try:
        _write_file_atomically(path.parent, tmp_name, os.urandom(32))
        os.chmod(path.parent / tmp_name, 0o600)
        os.link(path.parent / tmp_name, path)  # fails if another process won the race
    except FileExistsError:
        pass
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path.parent / tmp_name)
    return path.read_bytes()


# --------------------------------------------------------------------------- backup and restore

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"


def _install_key(home: Path) -> bytes:
    """This installation's key for signing backups. Created once, private, never put in a backup."""
    return _key_file(home / "install.key")


def _copy_verified(source: Path, folder: Path, name: str, sha: str) -> bool:
    """Copy ``source`` to ``folder/name`` through a temp file, checking its SHA-256 on the way.

    Returns True when a file was written, False when an identical file was already there. Raises
    ``IntegrityError`` (nothing changed at ``folder/name``) when the source does not match ``sha``.
    """
    final = folder / name
    if final.is_file():
        with contextlib.suppress(OSError):
            if _file_sha(final) == sha:
                return False
    digest = hashlib.sha256()
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, source.open("rb") as src:
            for block in iter(lambda: src.read(1 << 20), b""):
                digest.update(block)
                out.write(block)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != sha:
            raise IntegrityError(
                f"'{source}' has changed since it was recorded (its fingerprint differs).",
                "Use another backup; nothing was changed.",
            )
        os.replace(tmp, final)
        _fsync_folder(folder)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return True


def _referenced(db: sqlite3.Connection) -> list[tuple[str, str, str]]:
    """(kind, file name, sha256) of every file a database refers to."""
    found = [("datasets", f"{sha}.parquet", sha) for (sha,) in db.execute("SELECT DISTINCT sha256 FROM datasets")]
    columns = {r[1] for r in db.execute("PRAGMA table_info(models)")}
    query = (
        "SELECT DISTINCT artifact_sha256, artifact_format FROM models"
        if "artifact_format" in columns
        else "SELECT DISTINCT artifact_sha256, 'joblib' FROM models"
    )
    found += [("models", f"{sha}{_MODEL_SUFFIX.get(fmt, '.skops')}", sha) for sha, fmt in db.execute(query)]
    return found


def backup(destination: Path, home: Path | None = None) -> Path:
    """Copy everything Keel keeps into a new folder ``destination`` while Keel keeps running.

    The database is copied with SQLite's online backup API (a consistent snapshot even with writers
    running); then the files it refers to, each checked against its recorded SHA-256. Last comes a
    manifest of every file's SHA-256, signed with this installation's key (``install.key``, which
    stays here), so ``restore`` can tell this installation's backups from anyone else's.
    """
    home = home or keel_home()
    destination = Path(destination).expanduser()
    if is_inside(destination, home):
        raise InputError(
            f"'{destination}' is inside Keel's own folder ({home}).",
            "Back up to a folder outside it, e.g. on another disk: python -m core backup /media/usb/keel-backup",
        )
    try:
        if destination.exists() and (not destination.is_dir() or any(destination.iterdir())):
            raise InputError(f"'{destination}' is not an empty folder.", "Choose a new or empty folder for the backup.")
        destination.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise InputError(
            f"Keel cannot create the backup folder '{destination}' ({exc.strerror}).",
            "Choose a folder you can write to, e.g. one in your home folder.",
        ) from None
    with connect(home) as db:
        target = sqlite3.connect(str(destination / "keel.db"))
        try:
            db.conn.backup(target)
            target.execute("PRAGMA journal_mode=DELETE")
        finally:
            target.close()
    _private(destination / "keel.db")
    snapshot = sqlite3.connect(f"file:{quote(str(destination / 'keel.db'))}?mode=ro", uri=True)
    try:
        needed = _referenced(snapshot)
    finally:
        snapshot.close()
    files = {"keel.db": _file_sha(destination / "keel.db")}
    for kind, name, sha in needed:
        (destination / kind).mkdir(exist_ok=True, mode=0o700)
        source = home / kind / name
        if not source.is_file():
            raise IntegrityError(
                f"The stored file {kind}/{name[:16]}… is missing, so the backup is incomplete.",
                "Run `python -m core check` to see what is damaged; the backup folder can be deleted.",
            )
        try:
            _copy_verified(source, destination / kind, name, sha)
        except IntegrityError:
            raise IntegrityError(
                f"The stored file {kind}/{name[:16]}… is damaged, so the backup stopped.",
                "Run `python -m core check` to see what is damaged; the backup folder can be deleted.",
            ) from None
        files[f"{kind}/{name}"] = sha
    key = home / "secret.key"
    if key.exists():
        _write_file_atomically(destination, "secret.key", key.read_bytes())
        files["secret.key"] = _file_sha(destination / "secret.key")
    manifest = json.dumps({"keel_backup": 1, "created_at": _now(), "files": files}, sort_keys=True, indent=1).encode()
    _write_file_atomically(destination, MANIFEST, manifest)
    _write_file_atomically(
        destination, SIGNATURE, hmac.new(_install_key(home), manifest, "sha256").hexdigest().encode()
    )
    return destination


@dataclass(frozen=True)
class RestoreReport:
    datasets: int
    models: int
    files_written: int  # copied in (new here, or replacing a damaged copy)
    quarantined: int  # files here that the restored database does not use, moved to quarantine/
    kept_damaged: str | None  # where the damaged database was set aside, if there was one
    trusted: bool  # restored with --trust (not signed by this installation)


def _not_a_backup(source: Path, why: str) -> InputError:
    return InputError(
        f"'{source}' is not a Keel backup Keel can restore ({why}).",
        "Pick the folder `python -m core backup` created; nothing was changed.",
    )


def _read_manifest(source: Path, home: Path, trust: bool) -> tuple[dict[str, str] | None, bool]:
    """The backup's file list (None when it has none) and whether this installation signed it.

    A backup this installation did not sign (made elsewhere, made by an older Keel, or changed
    since) is refused unless ``trust``.
    """
    manifest_path, signature_path = source / MANIFEST, source / SIGNATURE
    signed = False
    files: dict[str, str] | None = None
    if manifest_path.is_file():
        raw = manifest_path.read_bytes()
        if signature_path.is_file():
            expected = hmac.new(_install_key(home), raw, "sha256").hexdigest().encode()
            signed = hmac.compare_digest(expected, signature_path.read_bytes().strip())
        try:
            parsed = json.loads(raw)
            files = {str(k): str(v) for k, v in parsed["files"].items()}
        except (ValueError, KeyError, TypeError, AttributeError):
            raise _not_a_backup(source, "its manifest is unreadable") from None
    if not signed and not trust:
        raise InputError(
            f"The backup in '{source}' was not made by this Keel installation, or was changed after it was made.",
            "If you made it yourself (e.g. on your old computer) and nobody else could change it, run "
            f"`python -m core restore '{source}' --trust`. Trusting it means: its data and models become yours as "
            "they are, and models saved by a Keel older than this version are converted once, which runs code "
            "from the backup. Nothing was changed.",
        )
    return files, signed


def _check_backup_database(source: Path) -> list[tuple[str, str, str]]:
    path = source / "keel.db"
    try:
        with path.open("rb") as fh:
            if fh.read(16) != _SQLITE_MAGIC:
                raise _not_a_backup(source, "its keel.db is not a database")
        conn = sqlite3.connect(f"file:{quote(str(path))}?mode=ro&immutable=1", uri=True)
    except OSError as exc:
        raise _not_a_backup(source, f"its keel.db cannot be read: {exc.strerror}") from None
    try:
        if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise IntegrityError("The backup's database is damaged.", "Use another backup; nothing was changed.")
        db = Database(conn)
        try:
            _check_is_keel(db, path)
        except StoreDamagedError as exc:
            raise _not_a_backup(source, exc.message.rstrip(".")) from None
        if "datasets" not in db.table_names() or "models" not in db.table_names():
            raise _not_a_backup(source, "its keel.db does not hold Keel's tables")
        return _referenced(conn)
    except sqlite3.DatabaseError as exc:
        raise _not_a_backup(source, f"its keel.db is damaged: {exc}") from None
    finally:
        conn.close()


def _live_database_ok(home: Path) -> bool:
    path = db_path(home)
    if database_problem(home) or not path.is_file() or path.stat().st_size == 0:
        return False
    try:
        conn = _raw_connect(path)
        try:
            return conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return False


def restore(source: Path, home: Path | None = None, *, trust: bool = False) -> RestoreReport:
    """Put a backup made by :func:`backup` in place. Only adds: nothing is deleted.

    The whole backup is checked first (its signature, its database, every file against its
    SHA-256); a problem stops the restore before anything changes. Then the files are copied in
    (an existing copy whose content differs is rewritten), and the database is replaced in one
    step: through SQLite's backup API into a healthy live database (one transaction), or, when the
    live one is missing or damaged, by renaming a complete copy over it after setting the damaged
    one aside. A crash at any point leaves either the old store or the restored one. Files the
    restored database does not use are moved to ``quarantine/``, never deleted.
    """
    home = home or keel_home()
    source = Path(source).expanduser()
    try:
        if not source.is_dir():
            raise _not_a_backup(source, "no such folder")
        if not (source / "keel.db").is_file():
            raise _not_a_backup(source, "no keel.db in it")
    except OSError as exc:  # e.g. a name longer than the file system allows
        raise _not_a_backup(source, exc.strerror or "it cannot be read") from None
    if is_inside(source, home):
        raise InputError(f"'{source}' is inside Keel's own folder ({home}).", "Restore from the backup's own folder.")
    manifest, signed = _read_manifest(source, home, trust)
    needed = _check_backup_database(source)
    listed = dict(manifest or {})
    if manifest is not None and listed.get("keel.db") != _file_sha(source / "keel.db"):
        raise IntegrityError(
            "The backup's database differs from the one its manifest lists.", "Use another backup; nothing was changed."
        )
    for kind, name, sha in needed:
        path = source / kind / name
        if (
            not path.is_file()
            or _file_sha(path) != sha
            or (manifest is not None and listed.get(f"{kind}/{name}") != sha)
        ):
            raise IntegrityError(
                f"The backup is missing or has a damaged file ({kind}/{sha[:12]}…).",
                "Use another backup; nothing was changed.",
            )
    # -- checked: now put it in place
    written = 0
    for kind, name, sha in needed:
        written += _copy_verified(source / kind / name, _folder(kind, home), name, sha)
    kept = _replace_database(source / "keel.db", home)
    if (source / "secret.key").is_file():
        _write_file_atomically(home, "secret.key", (source / "secret.key").read_bytes())
        _private(home / "secret.key")
    _migrated.discard(str(db_path(home)))
    with connect(home) as db:  # migrations bring an older backup up to date
        datasets = db.execute("SELECT COUNT(*) FROM datasets").fetchone()[0]
        models = db.execute("SELECT COUNT(*) FROM models").fetchone()[0]
        _audit(db, "restore", "store", None, trusted=not signed, files_written=written)
    moved = quarantine_orphans(home, temp_grace_seconds=0)
    return RestoreReport(int(datasets), int(models), written, moved, kept, not signed)


def _replace_database(backup_db: Path, home: Path) -> str | None:
    """Make the backup's database the live one in one step; return where a damaged one was kept."""
    live = db_path(home)
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(home / ".migrate.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            src = sqlite3.connect(f"file:{quote(str(backup_db))}?mode=ro&immutable=1", uri=True)
            try:
                if _live_database_ok(home):
                    dst = _raw_connect(live)
                    try:
                        src.backup(dst)  # one transaction on the live database: all or nothing
                    finally:
                        dst.close()
                    return None
                fresh = home / "keel.db.restoring"
                with contextlib.suppress(FileNotFoundError):
                    fresh.unlink()
                dst = sqlite3.connect(str(fresh))
                try:
                    src.backup(dst)
                finally:
                    dst.close()
            finally:
                src.close()
            _private(fresh)
            with open(fresh, "rb+") as fh:
                os.fsync(fh.fileno())
            kept = None
            if live.exists():
                kept_path = home / f"keel.db.damaged-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}"
                shutil.copyfile(live, kept_path) if live.is_file() else os.replace(live, kept_path)
                kept = str(kept_path)
            for name in ("keel.db-wal", "keel.db-shm", "keel.db-journal"):
                stale = home / name
                if stale.exists():  # a damaged database's log must never be applied to the restored one
                    if kept:
                        shutil.copyfile(stale, Path(kept + name.removeprefix("keel.db")))
                    stale.unlink()
            os.replace(fresh, live)
            _fsync_folder(home)
            return kept
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


# --------------------------------------------------------------------------- integrity check


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
                _check_is_keel(db, path)
            except StoreDamagedError as exc:
                problems.append(Problem("database", exc.message, exc.hint))
                return CheckReport(False, tuple(problems), tuple(notes), 0, 0, 0)
            pending = [m.name for m in migrations.pending(db)] if db.table_names() else []
            if pending:
                notes.append(f"The database will be upgraded at the next start ({', '.join(pending)}).")
            tables = set(db.table_names())
            if not {"datasets", "models"} <= tables:
                return CheckReport(True, (), tuple(notes), 0, 0, 0)
            referenced = _referenced(conn)
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
        elif _file_sha(file) != sha:
            problems.append(
                Problem(
                    f"{kind}/{name}",
                    "The file has changed since Keel saved it (its fingerprint differs).",
                    RESTORE_HINT,
                )
            )
    live = {name for _, name, _ in referenced}
    stray = [p for p in _stored_files(home) if p.name not in live]
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

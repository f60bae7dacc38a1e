"""The store: the only module that writes SQL or touches files under ``KEEL_HOME``.

Layout under ``KEEL_HOME``::

    keel.db                 SQLite (WAL) — datasets, models, batches, forecasts, audit log
    datasets/<sha256>.parquet   one file per distinct table content
    models/<sha256>.joblib      model artifacts, written only by Keel, hash-checked on load
    logs/errors.log         unexpected errors (see core.errors.log_bug)

Rules this module keeps:

* a short-lived connection per operation (``connect()``), because SQLite connections are
  thread-bound and Streamlit sessions are threads;
* every multi-step change runs inside one ``BEGIN IMMEDIATE`` transaction (``_write``), so a
  reader never sees half a record and two writers never compute the same version number;
* files are written to a temporary name, flushed to disk and renamed into place *before* the
  row that points at them is committed. A crash leaves at worst an unreferenced file, which
  ``sweep_orphans`` removes; never a row pointing at a missing or partial file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import io
import json
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sqlite_utils import Database, Migrations

from core.errors import IntegrityError, InputError, NotFoundError
from core.paths import keel_home

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


# --------------------------------------------------------------------------- connections


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def db_path(home: Path | None = None) -> Path:
    return (home or keel_home()) / "keel.db"


_migrated: set[str] = set()


def _raw_connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA secure_delete=ON")  # deleted rows are overwritten, not left in free pages
    return conn


def _migrate(home: Path) -> None:
    """Create or upgrade the schema once per process, serialised across processes by a lock."""
    path = db_path(home)
    if str(path) in _migrated:
        return
    with open(home / ".migrate.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        db = Database(_raw_connect(path))
        try:
            with db.ensure_autocommit_on():
                db.conn.execute("PRAGMA journal_mode=WAL")
            migrations.apply(db)
        finally:
            db.close()
            fcntl.flock(lock, fcntl.LOCK_UN)
    _migrated.add(str(path))
    with contextlib.suppress(sqlite3.Error, OSError):
        sweep_orphans(home)  # once per process: what a crash may have left (old temp files, unreferenced files)


@contextlib.contextmanager
def connect(home: Path | None = None) -> Iterator[Database]:
    """Open a short-lived connection to the store (schema guaranteed current)."""
    home = home or keel_home()
    _migrate(home)
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
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _write_file_atomically(folder: Path, final_name: str, payload: bytes) -> Path:
    """Write ``payload`` to ``folder/final_name`` via a temp file + fsync + rename."""
    final = folder / final_name
    if final.exists() and final.stat().st_size == len(payload):
        return final  # content-addressed: same name, same bytes
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, final)
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return final


def _sha256(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


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
    import re

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
    payload = _frame_to_parquet(frame)
    sha = _sha256(payload)
    _write_file_atomically(_folder("datasets", home), f"{sha}.parquet", payload)
    with _write(home) as db:
        # A sweep in another session may have removed the file before we held the lock: restore it.
        _write_file_atomically(_folder("datasets", home), f"{sha}.parquet", payload)
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
            "rows": int(len(frame)),
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
    forecasts = db.execute(
        f"SELECT COUNT(*) FROM forecasts WHERE dataset_id IN ({marks})", ids
    ).fetchone()[0]
    return DeleteImpact(tuple(ids), tuple(models), int(batches), int(forecasts))


def delete_dataset(dataset_id: int, home: Path | None = None) -> DeleteImpact:
    """Delete a dataset version and everything derived from it, in one transaction.

    Derived versions, models trained on any of them (with their artifacts and monitored
    batches) and forecasts go too. Files no longer referenced are removed after the commit.
    """
    with _write(home) as db:
        _get_row(db, "datasets", dataset_id, "dataset")
        impact = _impact(db, dataset_id)
        shas = [
            r[0]
            for r in db.execute(
                f"SELECT DISTINCT sha256 FROM datasets WHERE id IN ({','.join('?' * len(impact.datasets))})",
                list(impact.datasets),
            )
        ]
        for model_id in impact.models:
            _delete_model_rows(db, model_id)
        ids = list(impact.datasets)
        marks = ",".join("?" * len(ids))
        db.execute(f"DELETE FROM batches WHERE dataset_id IN ({marks})", ids)
        db.execute(f"DELETE FROM forecasts WHERE dataset_id IN ({marks})", ids)
        db.execute(f"DELETE FROM datasets WHERE id IN ({marks})", ids)
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
    _checkpoint(home)
    sweep_orphans(home)
    return impact


def sweep_orphans(home: Path | None = None, temp_grace_seconds: float = 3600.0) -> int:
    """Remove files no row refers to (left by a crash or a delete) and stale temp files.

    Runs while holding the write lock, so no save can commit between the check and the delete;
    a save that wrote its file before the sweep took the lock re-writes it once it holds the lock
    (see ``save_dataset``). Temp files younger than ``temp_grace_seconds`` may be another
    process's write in progress and are left alone.
    """
    import time

    removed = 0
    now = time.time()
    with _write(home) as db:
        live_data = {r[0] for r in db.execute("SELECT sha256 FROM datasets")}
        live_models = {r[0] for r in db.execute("SELECT artifact_sha256 FROM models")}
        for kind, live, suffix in (("datasets", live_data, ".parquet"), ("models", live_models, ".joblib")):
            for path in _folder(kind, home).iterdir():
                if path.name.startswith(".tmp-"):
                    with contextlib.suppress(OSError):
                        if now - path.stat().st_mtime < temp_grace_seconds:
                            continue
                elif path.name.endswith(suffix) and path.name[: -len(suffix)] in live:
                    continue
                with contextlib.suppress(OSError):
                    path.unlink()
                    removed += 1
    return removed


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
    home: Path | None = None,
) -> ModelInfo:
    """Register serialized model bytes (produced by Keel itself) as the next version of ``name``."""
    # ':' and '@' separate a name from a version or stage in references (name:2, name@champion)
    model_name = clean_name(name, fallback="").replace(":", "-").replace("@", "-")
    if not model_name:
        raise InputError("A model name cannot be empty.", "Type a short name, e.g. 'churn'.")
    sha = _sha256(artifact)
    _write_file_atomically(_folder("models", home), f"{sha}.joblib", artifact)
    with _write(home) as db:
        _write_file_atomically(_folder("models", home), f"{sha}.joblib", artifact)  # see save_dataset
        version = db.execute(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM models WHERE name = ?", [model_name]
        ).fetchone()[0]
        row = {
            "name": model_name,
            "version": int(version),
            "task": task,
            "algorithm": algorithm,
            "stage": "candidate",
            "dataset_id": dataset_id,
            "target": target,
            "metrics_json": json.dumps(metrics, default=_json_default),
            "params_json": json.dumps(params, default=_json_default),
            "schema_json": json.dumps(schema, default=_json_default),
            "report_json": json.dumps(report or {}, default=_json_default),
            "artifact_sha256": sha,
            "artifact_bytes": len(artifact),
            "created_at": _now(),
        }
        new_id = db["models"].insert(row).last_pk
        db["stage_history"].insert(
            {"model_id": new_id, "at": row["created_at"], "from_stage": None, "to_stage": "candidate", "reason": "trained"}
        )
        _audit(db, "register", "model", new_id, name=model_name, version=version, algorithm=algorithm)
        stored = db["models"].get(new_id)
    return _model_from_row(stored)


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (dt.date, dt.datetime, pd.Timestamp)):
        return value.isoformat()
    return str(value)


def resolve_model(ref: str | int, home: Path | None = None) -> ModelInfo:
    """Find a model by id, ``name`` (latest version), ``name:version`` or ``name@champion``."""
    text = str(ref).strip()
    with connect(home) as db:
        if text.isdigit():
            rows = list(db["models"].rows_where("id = ?", [int(text)], limit=1))
        elif "@" in text:
            name, stage = text.rsplit("@", 1)
            rows = list(
                db["models"].rows_where("name = ? AND stage = ?", [name, stage], order_by="version desc", limit=1)
            )
        elif ":" in text and text.rsplit(":", 1)[1].isdigit():
            name, version = text.rsplit(":", 1)
            rows = list(db["models"].rows_where("name = ? AND version = ?", [name, int(version)], limit=1))
        else:
            rows = list(db["models"].rows_where("name = ?", [text], order_by="version desc", limit=1))
    if not rows:
        raise NotFoundError(
            f"No model matches '{text}'.",
            "Use a model id, a name, name:version or name@champion; `python -m core models` lists them.",
        )
    return _model_from_row(rows[0])


def get_model(model_id: int, home: Path | None = None) -> ModelInfo:
    with connect(home) as db:
        return _model_from_row(_get_row(db, "models", model_id, "model"))


def list_models(home: Path | None = None) -> list[ModelInfo]:
    with connect(home) as db:
        return [_model_from_row(r) for r in db["models"].rows_where(order_by="name, version desc")]


def load_model_artifact(model_id: int, home: Path | None = None) -> bytes:
    """The artifact bytes of a model, refused unless their sha256 matches the record."""
    info = get_model(model_id, home)
    path = _folder("models", home) / f"{info.artifact_sha256}.joblib"
    try:
        payload = path.read_bytes()
    except FileNotFoundError:
        raise IntegrityError(
            f"The saved file of model {info.label} is missing.", "Train the model again."
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
            for old in db["models"].rows_where(
                "name = ? AND stage = 'champion' AND id != ?", [row["name"], row["id"]]
            ):
                db["models"].update(old["id"], {"stage": "retired"})
                db["stage_history"].insert(
                    {"model_id": old["id"], "at": at, "from_stage": "champion", "to_stage": "retired",
                     "reason": f"replaced by version {row['version']}"}
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
    with _write(home) as db:
        row = _get_row(db, "models", model_id, "model")
        _delete_model_rows(db, row["id"])
        _audit(db, "delete", "model", row["id"], name=row["name"], version=row["version"])
    _checkpoint(home)
    sweep_orphans(home)


# --------------------------------------------------------------------------- monitoring & forecasts


def save_batch(
    model_id: int, rows: int, result: dict[str, Any], dataset_id: int | None = None, home: Path | None = None
) -> int:
    with _write(home) as db:
        _get_row(db, "models", model_id, "model")
        batch_id = db["batches"].insert(
            {
                "model_id": int(model_id),
                "created_at": _now(),
                "rows": int(rows),
                "dataset_id": dataset_id,
                "result_json": json.dumps(result, default=_json_default),
            }
        ).last_pk
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


def save_forecast(dataset_id: int | None, params: dict[str, Any], result: dict[str, Any], home: Path | None = None) -> int:
    with _write(home) as db:
        forecast_id = db["forecasts"].insert(
            {
                "dataset_id": dataset_id,
                "created_at": _now(),
                "params_json": json.dumps(params, default=_json_default),
                "result_json": json.dumps(result, default=_json_default),
            }
        ).last_pk
        _audit(db, "forecast", "forecast", forecast_id, dataset_id=dataset_id)
    return int(forecast_id)


# --------------------------------------------------------------------------- secrets


def secret_key(home: Path | None = None) -> bytes:
    """This installation's key for pseudonymising values (keyed hash). Created once, private."""
    path = (home or keel_home()) / "secret.key"
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    tmp_name = f".secret.key.{os.getpid()}.{os.urandom(4).hex()}"
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


def backup(destination: Path, home: Path | None = None) -> Path:
    """Copy everything Keel keeps into a new folder ``destination`` while Keel keeps running.

    The database is copied with SQLite's online backup API (a consistent snapshot even with writers
    running); then the files it refers to are copied. Files are content-addressed and never change
    once written, so copying them after the snapshot is safe.
    """
    home = home or keel_home()
    destination = Path(destination)
    try:
        if destination.exists() and (not destination.is_dir() or any(destination.iterdir())):
            raise InputError(f"'{destination}' is not an empty folder.", "Choose a new or empty folder for the backup.")
        destination.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"Keel cannot create the backup folder '{destination}' ({exc.strerror}).",
                         "Choose a folder you can write to, e.g. one in your home folder.") from None
    with connect(home) as db:
        target = sqlite3.connect(str(destination / "keel.db"))
        try:
            db.conn.backup(target)
        finally:
            target.close()
    snapshot = Database(str(destination / "keel.db"))
    try:
        needed = {
            "datasets": {f"{r[0]}.parquet" for r in snapshot.execute("SELECT sha256 FROM datasets")},
            "models": {f"{r[0]}.joblib" for r in snapshot.execute("SELECT artifact_sha256 FROM models")},
        }
    finally:
        snapshot.close()
    for kind, names in needed.items():
        (destination / kind).mkdir(exist_ok=True)
        for name in names:
            payload = (home / kind / name).read_bytes()
            _write_file_atomically(destination / kind, name, payload)
    key = home / "secret.key"
    if key.exists():
        _write_file_atomically(destination, "secret.key", key.read_bytes())
        os.chmod(destination / "secret.key", 0o600)
    return destination


def restore(source: Path, home: Path | None = None) -> None:
    """Replace what Keel keeps with a backup made by :func:`backup` (checked before anything changes)."""
    home = home or keel_home()
    source = Path(source)
    if not (source / "keel.db").is_file():
        raise InputError(f"'{source}' does not hold a Keel backup (no keel.db).", "Pick the folder a backup created.")
    check = sqlite3.connect(f"file:{source / 'keel.db'}?mode=ro", uri=True)
    try:
        if check.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise IntegrityError("The backup's database is damaged.", "Use another backup.")
        shas = [r[0] for r in check.execute("SELECT sha256 FROM datasets")]
        models = [r[0] for r in check.execute("SELECT artifact_sha256 FROM models")]
    finally:
        check.close()
    for kind, names, suffix in (("datasets", shas, ".parquet"), ("models", models, ".joblib")):
        for sha in names:
            path = source / kind / f"{sha}{suffix}"
            if not path.is_file() or _sha256(path.read_bytes()) != sha:
                raise IntegrityError(f"The backup is missing or has a damaged file ({kind}/{sha[:12]}…).",
                                     "Use another backup; nothing was changed.")
    for kind in ("datasets", "models"):
        for path in (source / kind).iterdir():
            _write_file_atomically(_folder(kind, home), path.name, path.read_bytes())
    with connect(home) as db:
        src = sqlite3.connect(str(source / "keel.db"))
        try:
            src.backup(db.conn)
        finally:
            src.close()
    if (source / "secret.key").is_file():
        _write_file_atomically(home, "secret.key", (source / "secret.key").read_bytes())
        os.chmod(home / "secret.key", 0o600)
    _migrated.discard(str(db_path(home)))  # an older backup gets its migrations on the next connect
    sweep_orphans(home)

"""Dataset versions: stored once per content as Parquet, with provenance, kinds, renames and deletes that
take everything derived from them."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sqlite_utils import Database

from core.errors import InputError, IntegrityError
from core.paths import keel_home
from core.store.db import (
    audit_event,
    checkpoint,
    clean_name,
    connect,
    ensure_schema,
    get_row,
    insert_row,
    redact_audit,
    transaction,
    utc_now,
)
from core.store.files import delete_files, kind_folder, sha256_of, unreferenced_files, write_file_atomically
from core.store.registry import delete_model_rows


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
    ensure_schema(home)  # a first start creates the database before any file is kept
    payload = _frame_to_parquet(frame)
    sha = sha256_of(payload)
    write_file_atomically(kind_folder("datasets", home), f"{sha}.parquet", payload, sha=sha)
    with transaction(home) as db:
        # A sweep in another process may have moved the file aside before we held the lock: put it back.
        write_file_atomically(kind_folder("datasets", home), f"{sha}.parquet", payload, sha=sha, trust_existing=True)
        existing = list(db.table("datasets").rows_where("sha256 = ?", [sha], limit=1))
        if existing:
            return _dataset_from_row(existing[0], is_new=False)
        if parent_id is not None:
            parent = get_row(db, "datasets", parent_id, "dataset")
            family_id = parent["family_id"]
            version = db.execute(
                "SELECT COALESCE(MAX(version), 0) + 1 FROM datasets WHERE family_id = ?", [family_id]
            ).fetchone()[0]
            base_kinds = json.loads(parent["kinds_json"] or "{}")
        else:
            family_id, version, base_kinds = None, 1, {}
            name = _unused_name(db, clean_name(name))  # a different file under a name already used
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
            "created_at": utc_now(),
        }
        new_id = insert_row(db, "datasets", row)
        if family_id is None:
            db.execute("UPDATE datasets SET family_id = ? WHERE id = ?", [new_id, new_id])
        audit_event(
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
        stored = db.table("datasets").get(new_id)
    return _dataset_from_row(stored)


def _unused_name(db: Database, name: str) -> str:
    """``name``, or ``name (2)``, ``name (3)``… when another upload already goes by it, so two different files
    called reference.csv can be told apart in every list."""
    taken = {row[0] for row in db.execute("SELECT DISTINCT name FROM datasets").fetchall()}
    if name not in taken:
        return name
    number = 2
    while f"{name} ({number})" in taken:
        number += 1
    return f"{name} ({number})"


def get_dataset(dataset_id: int, home: Path | None = None) -> DatasetInfo:
    with connect(home) as db:
        return _dataset_from_row(get_row(db, "datasets", dataset_id, "dataset"))


def list_datasets(home: Path | None = None) -> list[DatasetInfo]:
    """Every dataset version, newest first."""
    with connect(home) as db:
        return [_dataset_from_row(r) for r in db.table("datasets").rows_where(order_by="id desc")]


def load_dataset(dataset_id: int, home: Path | None = None) -> pd.DataFrame:
    """The stored table of a dataset version, checked against its recorded hash."""
    info = get_dataset(dataset_id, home)
    path = kind_folder("datasets", home) / f"{info.sha256}.parquet"
    try:
        payload = path.read_bytes()
    except FileNotFoundError:
        raise IntegrityError(
            f"The file behind dataset '{info.name}' is missing from Keel's folder.",
            "Upload the original file again.",
        ) from None
    if sha256_of(payload) != info.sha256:
        raise IntegrityError(
            f"The stored copy of dataset '{info.name}' has changed since it was saved.",
            "Upload the original file again; Keel will not use a copy it cannot verify.",
        )
    return pd.read_parquet(io.BytesIO(payload))


def rename_dataset(dataset_id: int, new_name: str, home: Path | None = None) -> DatasetInfo:
    name = clean_name(new_name, fallback="")
    if not name:
        raise InputError("A dataset name cannot be empty.", "Type a short name, e.g. 'Sales 2025'.")
    with transaction(home) as db:
        old = get_row(db, "datasets", dataset_id, "dataset")
        db.table("datasets").update(int(dataset_id), {"name": name})
        audit_event(db, "rename", "dataset", int(dataset_id), old=old["name"], new=name)
        row = db.table("datasets").get(int(dataset_id))
    return _dataset_from_row(row)


def set_column_kinds(dataset_id: int, kinds: dict[str, str], home: Path | None = None) -> DatasetInfo:
    """Record the user's choice of column kinds for a dataset version."""
    with transaction(home) as db:
        row = get_row(db, "datasets", dataset_id, "dataset")
        columns = set(json.loads(row["columns_json"]))
        unknown = sorted(set(kinds) - columns)
        if unknown:
            raise InputError(
                f"Dataset '{row['name']}' has no column named {', '.join(map(repr, unknown))}.",
                "Choose kinds only for columns that are in the table.",
            )
        merged = {**json.loads(row["kinds_json"] or "{}"), **kinds}
        db.table("datasets").update(int(dataset_id), {"kinds_json": json.dumps(merged)})
        audit_event(db, "set_kinds", "dataset", int(dataset_id), kinds=kinds)
        row = db.table("datasets").get(int(dataset_id))
    return _dataset_from_row(row)


def _descendants(db: Database, dataset_id: int) -> list[int]:
    rows = db.execute(
        """
        WITH RECURSIVE tree(id) AS (
            SELECT CAST(? AS BIGINT) UNION ALL SELECT d.id FROM datasets d JOIN tree t ON d.parent_id = t.id
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
        get_row(db, "datasets", dataset_id, "dataset")
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
    with transaction(home) as db:
        get_row(db, "datasets", dataset_id, "dataset")
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
            delete_model_rows(db, model_id)
        db.execute(f"DELETE FROM batches WHERE dataset_id IN ({marks})", ids)
        db.execute(f"DELETE FROM forecasts WHERE dataset_id IN ({marks})", ids)
        db.execute(f"DELETE FROM datasets WHERE id IN ({marks})", ids)
        why = f"deleted with dataset {int(dataset_id)}"
        redact_audit(db, "dataset", ids, why)
        redact_audit(db, "model", list(impact.models), why)
        redact_audit(db, "batch", batch_ids, why)
        redact_audit(db, "forecast", forecast_ids, why)
        audit_event(
            db,
            "delete",
            "dataset",
            int(dataset_id),
            datasets=ids,
            models=list(impact.models),
            batches=impact.batches,
            forecasts=impact.forecasts,
        )
        gone = unreferenced_files(db, home, files)
    delete_files(gone)
    checkpoint(home)
    return impact

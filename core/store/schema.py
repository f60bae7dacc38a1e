"""The store's schema: sqlite-utils migrations, applied in order, each in one transaction."""

from __future__ import annotations

from pathlib import Path

from sqlite_utils import Database, Migrations

from core.store.files import sha256_of, write_file_atomically

SCHEMA_NAME = "keel"


migrations = Migrations(SCHEMA_NAME)


#: The tables of the first schema. A migration's effect must never change once released: later changes
#: are new migrations.
_V1_TABLES: dict[str, dict[str, type]] = {
    "datasets": {
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
    "models": {
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
    "stage_history": {"id": int, "model_id": int, "at": str, "from_stage": str, "to_stage": str, "reason": str},
    "batches": {
        "id": int,
        "model_id": int,
        "created_at": str,
        "rows": int,
        "dataset_id": int,  # raw rows kept only when the user chose to
        "result_json": str,
    },
    "forecasts": {"id": int, "dataset_id": int, "created_at": str, "params_json": str, "result_json": str},
    "audit": {"id": int, "at": str, "action": str, "object_type": str, "object_id": int, "detail": str},
}


@migrations()
def m001_initial(db: Database) -> None:
    for table, columns in _V1_TABLES.items():
        db.table(table).create(columns, pk="id")
    db.table("datasets").create_index(["sha256"])
    db.table("datasets").create_index(["family_id"])
    db.table("models").create_index(["name", "version"], unique=True)


@migrations()
def m002_safe_model_files(db: Database) -> None:
    """Models are saved as skops files; those an earlier Keel pickled with joblib are converted once.

    Each old file is unpickled here, and only here, after its SHA-256 matched the record. A file
    that is missing, changed or cannot be converted stays recorded as 'joblib', and Keel refuses
    to load it (``load_model_artifact``) instead of unpickling it later.
    """
    db.table("models").add_column("artifact_format", str, not_null_default="joblib")
    if getattr(db, "is_postgres", False):
        from core.paths import keel_home

        home = keel_home()
    else:
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
            if sha256_of(payload) != sha:
                continue
            converted = convert_legacy_artifact(payload)
        except Exception:
            continue
        new_sha = sha256_of(converted)
        write_file_atomically(folder, f"{new_sha}.skops", converted, sha=new_sha)
        db.execute(
            "UPDATE models SET artifact_sha256 = ?, artifact_bytes = ?, artifact_format = 'skops' WHERE id = ?",
            [new_sha, len(converted), model_id],
        )
        replaced_pickles.append(old)


replaced_pickles: list[Path] = []  # old model files converted by m002: moved aside once it has committed


@migrations()
def m003_model_card_and_cutoff(db: Database) -> None:
    """What a person writes about a model (intended use, limits, owner…) and the cut-off chosen for it."""
    db.table("models").add_column("card_json", str, not_null_default="{}")
    db.table("models").add_column("threshold", float)


_TEAM_TABLES: dict[str, dict[str, type]] = {
    "people": {"id": int, "name": str, "email": str, "role": str, "created_at": str, "updated_at": str},
    "alert_channels": {"id": int, "model_name": str, "kind": str, "target": str, "created_at": str},
    "alerts_outbox": {
        "id": int,
        "model_id": int,
        "batch_id": int,
        "channel_id": int,
        "created_at": str,
        "subject": str,
        "body_json": str,  # the message: plain words and numbers, never raw rows
        "status": str,  # pending | sent | failed
        "attempts": int,
        "next_attempt_at": str,
        "last_error": str,
        "sent_at": str,
    },
    "schedules": {
        "id": int,
        "model_name": str,
        "source": str,  # a folder to watch or a file pattern ('/data/batches/*.csv')
        "every_minutes": int,
        "labels_column": str,
        "retrain": str,  # never | gate: retrain through the champion/challenger gate when labels are present
        "created_at": str,
        "last_run_at": str,
        "next_run_at": str,
    },
    "processed_files": {
        "id": int,
        "schedule_id": int,
        "file_key": str,  # path + size + modification time + sha256: one claim per file version
        "path": str,
        "claimed_by": str,
        "claimed_at": str,
        "finished_at": str,
        "batch_id": int,
        "status": str,  # claimed | done | failed
        "detail": str,
    },
}


@migrations()
def m004_team(db: Database) -> None:
    """Who did what, and what reaches people: the person in every audit event, people and their roles,
    alert channels and the outbox of messages, schedules and the files each has processed."""
    db.table("audit").add_column("actor", str)
    for table, columns in _TEAM_TABLES.items():
        db.table(table).create(columns, pk="id")
    db.table("people").create_index(["name"], unique=True)
    db.table("alert_channels").create_index(["model_name"])
    db.table("alerts_outbox").create_index(["status", "next_attempt_at"])
    db.table("processed_files").create_index(["schedule_id", "file_key"], unique=True)


@migrations()
def m005_scoring_api(db: Database) -> None:
    """The scoring API (``python -m core serve``): its keys, stored only as a SHA-256 of the secret, with the
    models each may score and its rate; and its traffic, counted per minute, key, model and answer."""
    db.table("api_keys").create(
        {
            "id": int,
            "name": str,
            "key_sha256": str,  # the secret itself is shown once and never stored
            "key_start": str,  # its first characters, so a person can tell two keys apart
            "scope_json": str,  # the model references it may score; [] means every model
            "rate_per_minute": int,
            "created_at": str,
        },
        pk="id",
    )
    db.table("api_keys").create_index(["name"], unique=True)
    db.table("api_traffic").create(
        {
            "id": int,
            "minute": str,  # ISO 8601, UTC, the start of the minute
            "key_name": str,
            "model_id": int,  # None for requests that named no model (the list, a refused key)
            "status": int,
            "requests": int,
            "rows": int,
            "total_ms": float,
            "max_ms": float,
        },
        pk="id",
    )
    db.table("api_traffic").create_index(["minute"])


@migrations()
def m006_lookup_indexes(db: Database) -> None:
    """Indexes for what pages and commands look up by model or dataset: with 1,000 models x 100 batches, one
    model's batch history was a scan of all 100,000 batches (bench/bench_team.py)."""
    db.table("batches").create_index(["model_id"])
    db.table("batches").create_index(["dataset_id"])
    db.table("stage_history").create_index(["model_id"])
    db.table("models").create_index(["dataset_id"])
    db.table("forecasts").create_index(["dataset_id"])
    db.table("audit").create_index(["object_type", "object_id"])

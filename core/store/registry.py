"""The model registry: versions, stages (champion, candidate, retired), references, model files."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from core.errors import InputError, IntegrityError, NotFoundError
from core.paths import keel_home
from core.store.db import (
    audit_event,
    checkpoint,
    clean_name,
    connect,
    ensure_schema,
    get_row,
    insert_row,
    json_default,
    redact_audit,
    transaction,
    utc_now,
)
from core.store.files import (
    MODEL_SUFFIX,
    delete_files,
    kind_folder,
    sha256_of,
    unreferenced_files,
    write_file_atomically,
)

STAGES = ("candidate", "champion", "retired")
#: The model card's fields a person writes (in the app or with `python -m core card`), in the card's order.
CARD_FIELDS = ("intended_use", "not_for", "limitations", "owner", "notes")
MAX_CARD_TEXT = 4000


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
    card: dict[str, str] = field(default_factory=dict)  # fields a person wrote for the model card
    threshold: float | None = None  # the chosen cut-off for a yes/no model; None: the most likely answer

    @property
    def label(self) -> str:
        return f"{self.name}:{self.version}"

    def brief(self, *fields: str) -> dict[str, Any]:
        """The model as the CLI's JSON names it: id, name, version, task and algorithm, then any ``fields``."""
        return {k: getattr(self, k) for k in ("id", "name", "version", "task", "algorithm", *fields)}


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
        card=json.loads(row.get("card_json") or "{}"),
        threshold=row.get("threshold"),
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
    ensure_schema(home)  # a first start creates the database before any file is kept
    sha = sha256_of(artifact)
    suffix = MODEL_SUFFIX[artifact_format]
    write_file_atomically(kind_folder("models", home), f"{sha}{suffix}", artifact, sha=sha)
    with transaction(home) as db:
        write_file_atomically(
            kind_folder("models", home), f"{sha}{suffix}", artifact, sha=sha, trust_existing=True
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
            "metrics_json": json.dumps(metrics, default=json_default),
            "params_json": json.dumps(params, default=json_default),
            "schema_json": json.dumps(schema, default=json_default),
            "report_json": json.dumps(report or {}, default=json_default),
            "artifact_sha256": sha,
            "artifact_bytes": len(artifact),
            "artifact_format": artifact_format,
            "created_at": utc_now(),
        }
        new_id = insert_row(db, "models", row)
        db.table("stage_history").insert(
            {
                "model_id": new_id,
                "at": row["created_at"],
                "from_stage": None,
                "to_stage": stage,
                "reason": "trained; the first model of this name is put to use" if first else "trained",
            }
        )
        audit_event(db, "register", "model", new_id, name=model_name, version=version, algorithm=algorithm)
        stored = db.table("models").get(new_id)
    return _model_from_row(stored)


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
            rows = list(db.table("models").rows_where("id = ?", [model_id], limit=1))
            named = list(db.table("models").rows_where("name = ?", [text], order_by="version desc", limit=1))
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
                db.table("models").rows_where("name = ? AND stage = ?", [name, stage], order_by="version desc", limit=1)
            )
        elif ":" in text and text.rsplit(":", 1)[1].isdigit():
            name, version_text = text.rsplit(":", 1)
            version = _as_id(version_text)
            if version is not None:
                rows = list(db.table("models").rows_where("name = ? AND version = ?", [name, version], limit=1))
        else:  # a bare name means the version in use; the newest when none is
            rows = list(
                db.table("models").rows_where(
                    "name = ?", [text], order_by="stage = 'champion' desc, version desc", limit=1
                )
            )
    if not rows:
        raise not_found
    return _model_from_row(rows[0])


def get_model(model_id: int, home: Path | None = None) -> ModelInfo:
    with connect(home) as db:
        return _model_from_row(get_row(db, "models", model_id, "model"))


def list_models(home: Path | None = None) -> list[ModelInfo]:
    with connect(home) as db:
        return [_model_from_row(r) for r in db.table("models").rows_where(order_by="name, version desc")]


def model_file(info: ModelInfo, home: Path | None = None) -> Path:
    return kind_folder("models", home) / f"{info.artifact_sha256}{MODEL_SUFFIX.get(info.artifact_format, '.skops')}"


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
    if sha256_of(payload) != info.artifact_sha256:
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
    with transaction(home) as db:
        row = get_row(db, "models", model_id, "model")
        at = utc_now()
        if stage == "champion":
            for old in db.table("models").rows_where(
                "name = ? AND stage = 'champion' AND id != ?", [row["name"], row["id"]]
            ):
                db.table("models").update(old["id"], {"stage": "retired"})
                db.table("stage_history").insert(
                    {
                        "model_id": old["id"],
                        "at": at,
                        "from_stage": "champion",
                        "to_stage": "retired",
                        "reason": f"replaced by version {row['version']}",
                    }
                )
        db.table("models").update(row["id"], {"stage": stage})
        db.table("stage_history").insert(
            {"model_id": row["id"], "at": at, "from_stage": row["stage"], "to_stage": stage, "reason": reason}
        )
        audit_event(db, "stage", "model", row["id"], from_stage=row["stage"], to_stage=stage, reason=reason)
        row = db.table("models").get(row["id"])
    return _model_from_row(row)


def update_card(model_id: int, fields: dict[str, str], home: Path | None = None) -> ModelInfo:
    """Write the model card fields a person fills in (:data:`CARD_FIELDS`); an empty text clears a field."""
    unknown = sorted(set(fields) - set(CARD_FIELDS))
    if unknown:
        raise InputError(
            f"The model card has no field {', '.join(map(repr, unknown))}.",
            f"Use one of: {', '.join(CARD_FIELDS)}.",
        )
    too_long = [k for k, v in fields.items() if len(str(v)) > MAX_CARD_TEXT]
    if too_long:
        raise InputError(
            f"The text for {', '.join(too_long)} is longer than {MAX_CARD_TEXT:,} characters.",
            "Keep each field to a few paragraphs; link to a longer document instead.",
        )
    with transaction(home) as db:
        row = get_row(db, "models", model_id, "model")
        card = json.loads(row.get("card_json") or "{}")
        for key, value in fields.items():
            text = str(value).strip()
            if text:
                card[key] = text
            else:
                card.pop(key, None)
        db.table("models").update(row["id"], {"card_json": json.dumps(card)})
        audit_event(db, "card", "model", row["id"], fields=sorted(fields))
        row = db.table("models").get(row["id"])
    return _model_from_row(row)


def set_threshold(model_id: int, threshold: float | None, reason: str = "", home: Path | None = None) -> ModelInfo:
    """Keep a cut-off for a yes/no model: its chance of the second answer (in sorted order) at or above which
    it answers that. ``None`` goes back to the most likely answer (0.5). Predictions and monitoring use it."""
    if threshold is not None and not (0.0 < float(threshold) < 1.0):
        raise InputError(
            f"A cut-off must be a chance between 0 and 1 (not {threshold}).",
            "Choose one between 0 and 1, e.g. 0.3 to say yes more often, 0.7 to say it less often.",
        )
    with transaction(home) as db:
        row = get_row(db, "models", model_id, "model")
        classes = json.loads(row["params_json"] or "{}").get("classes") or []
        if row["task"] != "classification" or len(classes) != 2:
            raise InputError(
                f"Model {row['name']}:{row['version']} does not answer yes or no, so it has no cut-off to set.",
                "A cut-off applies to models that choose between two answers.",
            )
        value = None if threshold is None else float(threshold)
        db.table("models").update(row["id"], {"threshold": value})
        audit_event(db, "threshold", "model", row["id"], threshold=value, reason=reason)
        row = db.table("models").get(row["id"])
    return _model_from_row(row)


def record_decision(model_id: int, action: str, **detail: Any) -> None:
    """Write a decision about a model (e.g. the champion/challenger gate) to the audit log."""
    with transaction() as db:
        get_row(db, "models", model_id, "model")
        audit_event(db, action, "model", int(model_id), **detail)


def previous_champion(name: str, home: Path | None = None) -> ModelInfo | None:
    """The model of ``name`` that was champion most recently before the current one."""
    with connect(home) as db:
        row = db.execute(
            """SELECT m.id FROM stage_history h JOIN models m ON m.id = h.model_id
               WHERE m.name = ? AND h.from_stage = 'champion' AND m.stage != 'champion'
               ORDER BY h.id DESC LIMIT 1""",
            [name],
        ).fetchone()
        return _model_from_row(db.table("models").get(row[0])) if row else None


def stage_history(model_id: int, home: Path | None = None) -> list[dict[str, Any]]:
    with connect(home) as db:
        return list(db.table("stage_history").rows_where("model_id = ?", [int(model_id)], order_by="id"))


def delete_model_rows(db: Database, model_id: int) -> None:
    db.execute("DELETE FROM batches WHERE model_id = ?", [model_id])
    db.execute("DELETE FROM stage_history WHERE model_id = ?", [model_id])
    db.execute("DELETE FROM models WHERE id = ?", [model_id])


def delete_model(model_id: int, home: Path | None = None) -> None:
    """Delete one model version, its monitored batches and its file; its name leaves the audit log."""
    home = home or keel_home()
    with transaction(home) as db:
        row = get_row(db, "models", model_id, "model")
        batches = [r[0] for r in db.execute("SELECT id FROM batches WHERE model_id = ?", [row["id"]])]
        delete_model_rows(db, row["id"])
        redact_audit(db, "model", [row["id"]], "model deleted")
        redact_audit(db, "batch", batches, "model deleted")
        audit_event(db, "delete", "model", row["id"], batches=len(batches))
        gone = unreferenced_files(db, home, [(row["artifact_sha256"], "models")])
    delete_files(gone)
    checkpoint(home)

"""Monitored batches, forecasts and the audit log's reads."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.store.db import audit_event, connect, get_row, insert_row, json_default, transaction, utc_now


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: str
    action: str
    object_type: str
    object_id: int | None
    detail: dict[str, Any]
    actor: str | None = None  # the person, in a team; None on one person's laptop


def audit_log(limit: int = 200, home: Path | None = None) -> list[AuditEntry]:
    with connect(home) as db:
        rows = db.table("audit").rows_where(order_by="id desc", limit=limit)
        return [
            AuditEntry(
                r["id"],
                r["at"],
                r["action"],
                r["object_type"],
                r["object_id"],
                json.loads(r["detail"] or "{}"),
                r.get("actor"),
            )
            for r in rows
        ]


def save_batch(
    model_id: int, rows: int, result: dict[str, Any], dataset_id: int | None = None, home: Path | None = None
) -> int:
    with transaction(home) as db:
        get_row(db, "models", model_id, "model")
        batch_id = insert_row(
            db,
            "batches",
            {
                "model_id": int(model_id),
                "created_at": utc_now(),
                "rows": int(rows),
                "dataset_id": dataset_id,
                "result_json": json.dumps(result, default=json_default),
            },
        )
        audit_event(db, "monitor", "batch", batch_id, model_id=model_id, rows=rows)
    return int(batch_id)


def list_batches(model_id: int, home: Path | None = None) -> list[dict[str, Any]]:
    with connect(home) as db:
        out = []
        for r in db.table("batches").rows_where("model_id = ?", [int(model_id)], order_by="id"):
            out.append({**r, "result": json.loads(r.pop("result_json") or "{}")})
        return out


def acknowledge_alert(batch_id: int, rule: str, note: str = "", home: Path | None = None) -> None:
    """Mark a fired trigger of a batch as seen by the user (the alert log keeps it, marked)."""
    with transaction(home) as db:
        row = get_row(db, "batches", batch_id, "monitored batch")
        result = json.loads(row["result_json"] or "{}")
        result.setdefault("acknowledged", {})[rule] = {"at": utc_now(), "note": note}
        db.table("batches").update(int(batch_id), {"result_json": json.dumps(result, default=json_default)})
        audit_event(db, "acknowledge", "batch", int(batch_id), rule=rule, note=note)


def save_forecast(
    dataset_id: int | None, params: dict[str, Any], result: dict[str, Any], home: Path | None = None
) -> int:
    with transaction(home) as db:
        forecast_id = insert_row(
            db,
            "forecasts",
            {
                "dataset_id": dataset_id,
                "created_at": utc_now(),
                "params_json": json.dumps(params, default=json_default),
                "result_json": json.dumps(result, default=json_default),
            },
        )
        audit_event(db, "forecast", "forecast", forecast_id, dataset_id=dataset_id)
    return int(forecast_id)


@dataclass(frozen=True)
class StoredForecast:
    id: int
    dataset_id: int | None
    created_at: str
    params: dict[str, Any]  # what run_forecast was asked: date, value, id, ids, horizon, level, season, …
    result: dict[str, Any]  # the forecast as its to_json() wrote it


def get_forecast(forecast_id: int, home: Path | None = None) -> StoredForecast:
    """A forecast Keel kept (NotFoundError when there is no such forecast)."""
    with connect(home) as db:
        row = get_row(db, "forecasts", forecast_id, "forecast")
    return StoredForecast(
        int(row["id"]),
        row["dataset_id"],
        str(row["created_at"]),
        json.loads(row["params_json"] or "{}"),
        json.loads(row["result_json"] or "{}"),
    )

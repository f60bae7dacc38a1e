"""Keel for a team: people and their roles, alert channels and the outbox of messages, schedules and the
files each has processed. Who did what is in the audit log's ``actor`` (see ``db.acting_as``).

Every check-then-write here runs in one write transaction, so two processes never both claim a file or
both send one message: the store decides.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.errors import InputError, NotFoundError
from core.store.db import audit_event, connect, get_row, insert_row, transaction, utc_now
from core.store.roles import ROLES

CHANNEL_KINDS = ("email", "webhook", "slack", "teams")
RETRAIN_POLICIES = ("never", "gate")
MAX_ATTEMPTS = 6


# --------------------------------------------------------------------------- people


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    role: str


def _clean_person(name: str) -> str:
    text = str(name).strip()
    if not text or len(text) > 200 or any(not ch.isprintable() for ch in text):
        raise InputError(f"'{text[:40]}' is not a usable person's name.", "Use the login name your proxy sends.")
    return text


def set_role(name: str, role: str, email: str = "", home: Path | None = None) -> Person:
    """Give a person a role (adding them if new)."""
    name = _clean_person(name)
    if role not in ROLES:
        raise InputError(f"'{role}' is not a role.", f"Use one of: {', '.join(ROLES)}.")
    with transaction(home) as db:
        rows = list(db.table("people").rows_where("name = ?", [name], limit=1))
        now = utc_now()
        if rows:
            old = rows[0]
            db.table("people").update(
                old["id"], {"role": role, "email": email or old["email"] or "", "updated_at": now}
            )
            audit_event(db, "role", "person", old["id"], name=name, from_role=old["role"], to_role=role)
        else:
            new_id = insert_row(
                db, "people", {"name": name, "email": email, "role": role, "created_at": now, "updated_at": now}
            )
            audit_event(db, "role", "person", new_id, name=name, from_role=None, to_role=role)
    return Person(name, email, role)


def get_person(name: str, home: Path | None = None) -> Person | None:
    with connect(home) as db:
        rows = list(db.table("people").rows_where("name = ?", [str(name).strip()], limit=1))
    return Person(rows[0]["name"], rows[0]["email"] or "", rows[0]["role"]) if rows else None


def list_people(home: Path | None = None) -> list[Person]:
    with connect(home) as db:
        return [Person(r["name"], r["email"] or "", r["role"]) for r in db.table("people").rows_where(order_by="name")]


def remove_person(name: str, home: Path | None = None) -> None:
    with transaction(home) as db:
        rows = list(db.table("people").rows_where("name = ?", [str(name).strip()], limit=1))
        if not rows:
            raise NotFoundError(f"There is no person called '{name}'.", "`python -m core people` lists them.")
        db.execute("DELETE FROM people WHERE id = ?", [rows[0]["id"]])
        audit_event(db, "role", "person", rows[0]["id"], name=rows[0]["name"], from_role=rows[0]["role"], to_role=None)


# --------------------------------------------------------------------------- alert channels and the outbox


@dataclass(frozen=True)
class Channel:
    id: int
    model_name: str
    kind: str
    target: str


def add_channel(model_name: str, kind: str, target: str, home: Path | None = None) -> Channel:
    """Send a model's alerts somewhere: an e-mail address, or a webhook URL (generic JSON, Slack, Teams)."""
    if kind not in CHANNEL_KINDS:
        raise InputError(f"'{kind}' is not a kind of alert channel.", f"Use one of: {', '.join(CHANNEL_KINDS)}.")
    target = str(target).strip()
    if kind == "email" and ("@" not in target or " " in target):
        raise InputError(f"'{target}' is not an e-mail address.", "Write it as name@example.org.")
    if kind != "email" and not target.startswith(("https://", "http://")):
        raise InputError(f"'{target}' is not a web address.", "Paste the webhook's URL, starting with https://.")
    with transaction(home) as db:
        new_id = insert_row(
            db, "alert_channels", {"model_name": model_name, "kind": kind, "target": target, "created_at": utc_now()}
        )
        audit_event(db, "channel", "alert_channel", new_id, model_name=model_name, kind=kind)
    return Channel(new_id, model_name, kind, target)


def list_channels(model_name: str | None = None, home: Path | None = None) -> list[Channel]:
    with connect(home) as db:
        where, args = ("model_name = ?", [model_name]) if model_name else (None, [])
        rows = db.table("alert_channels").rows_where(where, args, order_by="id")
        return [Channel(r["id"], r["model_name"], r["kind"], r["target"]) for r in rows]


def remove_channel(channel_id: int, home: Path | None = None) -> None:
    with transaction(home) as db:
        get_row(db, "alert_channels", channel_id, "alert channel")
        db.execute("DELETE FROM alert_channels WHERE id = ?", [int(channel_id)])
        audit_event(db, "channel_removed", "alert_channel", int(channel_id))


@dataclass(frozen=True)
class OutgoingAlert:
    id: int
    model_id: int
    batch_id: int | None
    channel: Channel
    subject: str
    body: dict[str, Any]
    status: str
    attempts: int
    last_error: str
    created_at: str
    sent_at: str


def queue_alert(
    model_id: int, batch_id: int | None, channel_id: int, subject: str, body: dict[str, Any], home: Path | None = None
) -> int:
    """Put a message in the outbox; a sender delivers it (with retries) without anyone waiting."""
    with transaction(home) as db:
        now = utc_now()
        return insert_row(
            db,
            "alerts_outbox",
            {
                "model_id": int(model_id),
                "batch_id": batch_id,
                "channel_id": int(channel_id),
                "created_at": now,
                "subject": subject,
                "body_json": json.dumps(body, default=str),
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "last_error": "",
                "sent_at": "",
            },
        )


def _alert_from_row(db: Any, row: dict[str, Any]) -> OutgoingAlert:
    ch = list(db.table("alert_channels").rows_where("id = ?", [row["channel_id"]], limit=1))
    channel = (
        Channel(ch[0]["id"], ch[0]["model_name"], ch[0]["kind"], ch[0]["target"])
        if ch
        else Channel(row["channel_id"], "", "removed", "")
    )
    return OutgoingAlert(
        row["id"],
        row["model_id"],
        row["batch_id"],
        channel,
        row["subject"] or "",
        json.loads(row["body_json"] or "{}"),
        row["status"],
        int(row["attempts"] or 0),
        row["last_error"] or "",
        row["created_at"],
        row["sent_at"] or "",
    )


def take_due_alerts(now: str | None = None, limit: int = 20, home: Path | None = None) -> list[OutgoingAlert]:
    """Pending messages whose time has come, each marked as being sent (its next attempt pushed a minute on)
    in the same transaction, so two senders never send the same message at once."""
    now = now or utc_now()
    later = (dt.datetime.fromisoformat(now) + dt.timedelta(minutes=1)).isoformat(timespec="seconds")
    with transaction(home) as db:
        rows = list(
            db.table("alerts_outbox").rows_where(
                "status = 'pending' AND next_attempt_at <= ?", [now], order_by="id", limit=limit
            )
        )
        for row in rows:
            db.table("alerts_outbox").update(row["id"], {"next_attempt_at": later})
        return [_alert_from_row(db, r) for r in rows]


def record_delivery(
    alert_id: int, *, ok: bool, error: str = "", retry_in_seconds: float = 0.0, home: Path | None = None
) -> OutgoingAlert:
    """After a send: mark it sent, or count the failed attempt and set the next one (failed for good after
    :data:`MAX_ATTEMPTS`)."""
    with transaction(home) as db:
        row = get_row(db, "alerts_outbox", alert_id, "alert")
        attempts = int(row["attempts"] or 0) + 1
        now = dt.datetime.now(dt.UTC)
        if ok:
            values: dict[str, Any] = {
                "status": "sent",
                "attempts": attempts,
                "sent_at": now.isoformat(timespec="seconds"),
            }
        else:
            final = attempts >= MAX_ATTEMPTS
            values = {
                "status": "failed" if final else "pending",
                "attempts": attempts,
                "last_error": error[:500],
                "next_attempt_at": (now + dt.timedelta(seconds=retry_in_seconds)).isoformat(timespec="seconds"),
            }
        db.table("alerts_outbox").update(row["id"], values)
        if ok or values["status"] == "failed":
            audit_event(db, "alert_" + ("sent" if ok else "failed"), "alert", row["id"], attempts=attempts)
        return _alert_from_row(db, db.table("alerts_outbox").get(row["id"]))


def list_alerts(model_id: int | None = None, limit: int = 200, home: Path | None = None) -> list[OutgoingAlert]:
    with connect(home) as db:
        where, args = ("model_id = ?", [int(model_id)]) if model_id is not None else (None, [])
        rows = db.table("alerts_outbox").rows_where(where, args, order_by="id desc", limit=limit)
        return [_alert_from_row(db, r) for r in rows]


# --------------------------------------------------------------------------- schedules and processed files


@dataclass(frozen=True)
class Schedule:
    id: int
    model_name: str
    source: str
    every_minutes: int
    labels_column: str
    retrain: str
    last_run_at: str
    next_run_at: str


def _schedule_from_row(r: dict[str, Any]) -> Schedule:
    return Schedule(
        r["id"],
        r["model_name"],
        r["source"],
        int(r["every_minutes"]),
        r["labels_column"] or "",
        r["retrain"] or "never",
        r["last_run_at"] or "",
        r["next_run_at"] or "",
    )


def add_schedule(
    model_name: str,
    source: str,
    every_minutes: int,
    labels_column: str = "",
    retrain: str = "never",
    home: Path | None = None,
) -> Schedule:
    if not (1 <= int(every_minutes) <= 60 * 24 * 31):
        raise InputError(
            f"Every {every_minutes} minutes is not a schedule Keel can keep.",
            "Choose between 1 minute and 31 days (44,640 minutes), e.g. 1440 for once a day.",
        )
    if retrain not in RETRAIN_POLICIES:
        raise InputError(f"'{retrain}' is not a retraining policy.", f"Use one of: {', '.join(RETRAIN_POLICIES)}.")
    with transaction(home) as db:
        now = utc_now()
        row = {
            "model_name": model_name,
            "source": str(source),
            "every_minutes": int(every_minutes),
            "labels_column": labels_column,
            "retrain": retrain,
            "created_at": now,
            "last_run_at": "",
            "next_run_at": now,
        }
        new_id = insert_row(db, "schedules", row)
        audit_event(db, "schedule", "schedule", new_id, model_name=model_name, every_minutes=int(every_minutes))
    return _schedule_from_row({**row, "id": new_id})


def list_schedules(home: Path | None = None) -> list[Schedule]:
    with connect(home) as db:
        return [_schedule_from_row(r) for r in db.table("schedules").rows_where(order_by="id")]


def remove_schedule(schedule_id: int, home: Path | None = None) -> None:
    with transaction(home) as db:
        get_row(db, "schedules", schedule_id, "schedule")
        db.execute("DELETE FROM schedules WHERE id = ?", [int(schedule_id)])
        audit_event(db, "schedule_removed", "schedule", int(schedule_id))


def take_due_schedule(schedule_id: int, now: str | None = None, home: Path | None = None) -> Schedule | None:
    """The schedule if its run is due, with its next run moved on in the same transaction (a run missed
    while nothing was running is caught up once, not once per missed interval); None when not due."""
    now = now or utc_now()
    with transaction(home) as db:
        row = get_row(db, "schedules", schedule_id, "schedule")
        if (row["next_run_at"] or "") > now:
            return None
        following = dt.datetime.fromisoformat(now) + dt.timedelta(minutes=int(row["every_minutes"]))
        values = {"last_run_at": now, "next_run_at": following.isoformat(timespec="seconds")}
        db.table("schedules").update(row["id"], values)
        return _schedule_from_row({**row, **values})


def claim_file(schedule_id: int, file_key: str, path: str, claimed_by: str, home: Path | None = None) -> int | None:
    """Claim one version of a file for a schedule; None when it was claimed before (by any process)."""
    with transaction(home) as db:
        found = db.execute(
            "SELECT id FROM processed_files WHERE schedule_id = ? AND file_key = ?", [int(schedule_id), file_key]
        ).fetchone()
        if found:
            return None
        return insert_row(
            db,
            "processed_files",
            {
                "schedule_id": int(schedule_id),
                "file_key": file_key,
                "path": path,
                "claimed_by": claimed_by,
                "claimed_at": utc_now(),
                "finished_at": "",
                "batch_id": None,
                "status": "claimed",
                "detail": "",
            },
        )


def finish_file(
    claim_id: int, status: str, batch_id: int | None = None, detail: str = "", home: Path | None = None
) -> None:
    with transaction(home) as db:
        get_row(db, "processed_files", claim_id, "processed file")
        db.table("processed_files").update(
            int(claim_id), {"status": status, "batch_id": batch_id, "detail": detail[:500], "finished_at": utc_now()}
        )


def processed_files(schedule_id: int, home: Path | None = None) -> list[dict[str, Any]]:
    with connect(home) as db:
        return list(db.table("processed_files").rows_where("schedule_id = ?", [int(schedule_id)], order_by="id"))

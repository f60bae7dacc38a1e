"""Alerts that reach people: a plain-language message when a monitoring trigger raises an alert or a retrain
gate decides, put in the store's outbox for every channel the model has, and delivered later with retries.

Queueing never sends (a page or a command only writes to the outbox); :func:`send_due_alerts` delivers what
is due (the scheduler loop, ``python -m core alerts send``, or :func:`start_sender` in the app). A failed
delivery waits twice as long each time (``KEEL_ALERT_RETRY_SECONDS``, 60 s by default, doubling) and is
given up after ``store.MAX_ATTEMPTS``; every attempt's outcome is in the outbox and in
``KEEL_HOME/logs/alerts.log``.

A message holds numbers and column names only, never a row of data: its sentences come from the triggers'
details and the gate's reason, which Keel writes from statistics.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core import store
from core.paths import keel_home
from core.team.channels import deliver, shown_target
from core.team.messages import gate_message, monitor_message

# --------------------------------------------------------------------------- queueing


def _as_json(result: Any) -> dict[str, Any]:
    if hasattr(result, "to_json"):
        return dict(result.to_json())
    return dict(result)


def _queue(model_id: int, batch_id: int | None, model_name: str, body: dict[str, Any], home: Path | None) -> list[int]:
    ids = []
    for channel in store.list_channels(model_name, home=home):
        ids.append(store.queue_alert(model_id, batch_id, channel.id, body["headline"], body, home=home))
    return ids


def queue_alerts_for(model_id: int, batch_id: int | None, result: Any, home: Path | None = None) -> list[int]:
    """Queue a message for each of the model's channels when a monitored batch raised a new alert (its action is
    review or retrain and ``alerting``); returns the outbox ids (none when nothing is to be said or nobody
    listens). Only writes to the outbox: delivery is :func:`send_due_alerts`'s job."""
    data = _as_json(result)
    if data.get("action") not in ("review", "retrain") or not data.get("alerting", True):
        return []
    model = store.get_model(int(model_id), home=home) if "model" not in data else None
    if model is not None:
        data["model"] = {"id": model.id, "name": model.name, "version": model.version}
    data.setdefault("batch_id", batch_id)
    body = monitor_message(data)
    return _queue(int(model_id), batch_id, str(body["model"]["name"]), body, home)


def queue_gate_alerts(outcome: Any, home: Path | None = None) -> list[int]:
    """Queue a message for each channel of the model when a retrain gate decided (promote or keep)."""
    body = gate_message(outcome)
    return _queue(int(outcome.challenger.id), None, str(outcome.challenger.name), body, home)


# --------------------------------------------------------------------------- sending


@dataclass(frozen=True)
class Delivery:
    alert_id: int
    model_name: str
    channel: str  # the kind and the target as shown (a webhook's secret path hidden)
    ok: bool
    status: str  # sent | pending (will retry) | failed (gave up)
    attempts: int
    error: str
    next_attempt_in: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.alert_id,
            "model": self.model_name,
            "channel": self.channel,
            "ok": self.ok,
            "status": self.status,
            "attempts": self.attempts,
            "error": self.error or None,
            "next_attempt_in_seconds": self.next_attempt_in,
        }


def retry_delay(attempts_before: int) -> float:
    """Seconds before the next try after ``attempts_before + 1`` failed ones: the base, doubling, at most a day."""
    try:
        base = float(os.environ.get("KEEL_ALERT_RETRY_SECONDS", "60"))
    except ValueError:
        base = 60.0
    return float(min(max(base, 0.0) * 2 ** max(attempts_before, 0), 86_400.0))


def log_delivery(delivery: Delivery, home: Path | None = None) -> None:
    """One line per attempt in KEEL_HOME/logs/alerts.log (never the message itself, never a password)."""
    try:
        folder = (home or keel_home()) / "logs"
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        record = {"at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), **delivery.to_json()}
        fd = os.open(folder / "alerts.log", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record) + "\n")
    except OSError:
        pass  # a log that cannot be written must not stop the delivery


def send_due_alerts(home: Path | None = None, limit: int = 200) -> list[Delivery]:
    """Deliver every message whose time has come (at most ``limit``); each outcome is recorded in the outbox
    (sent, or the error and the next attempt) and logged. Two senders never send the same message."""
    done: list[Delivery] = []
    while len(done) < limit:
        batch = store.take_due_alerts(limit=min(20, limit - len(done)), home=home)
        if not batch:
            break
        for alert in batch:
            error = deliver(alert.channel.kind, alert.channel.target, alert.subject, alert.body)
            delay = retry_delay(alert.attempts) if error else 0.0
            after = store.record_delivery(alert.id, ok=not error, error=error, retry_in_seconds=delay, home=home)
            delivery = Delivery(
                alert.id,
                alert.channel.model_name,
                f"{alert.channel.kind} {shown_target(alert.channel.kind, alert.channel.target)}",
                not error,
                after.status,
                after.attempts,
                error,
                delay if after.status == "pending" else None,
            )
            log_delivery(delivery, home)
            done.append(delivery)
    return done


_sender_lock = threading.Lock()
_sender: threading.Thread | None = None


def start_sender(every_seconds: float = 30.0) -> bool:
    """Deliver due messages from a background thread in this process (the app calls it once); False if it is
    already running. Errors never reach a page: a failed delivery is in the outbox and the log."""
    global _sender
    with _sender_lock:
        if _sender is not None and _sender.is_alive():
            return False

        def run() -> None:
            stop = threading.Event()
            while not stop.wait(every_seconds):
                with contextlib.suppress(Exception):  # the store may be briefly unreachable; try next time
                    send_due_alerts()

        _sender = threading.Thread(target=run, name="keel-alert-sender", daemon=True)
        _sender.start()
        return True

"""Checks on a schedule: each model's source (a folder to watch or a file pattern) is looked at when its schedule
is due; every new file version is monitored, alerts are queued and, where the schedule allows it and the file
has labels, the model is retrained through the champion/challenger gate (it never promotes a worse model).

The store decides everything two schedulers could race for: :func:`core.store.take_due_schedule` hands a due
run to one of them (a run missed while nothing ran is caught up once), and :func:`core.store.claim_file` hands
each file version (path, size, modification time and sha256) to one of them, once.
"""

from __future__ import annotations

import datetime as dt
import glob
import hashlib
import os
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core import store
from core.bugs import log_bug
from core.errors import InputError, KeelError
from core.team.alerts import queue_alerts_for, queue_gate_alerts, send_due_alerts

SETTLE_SECONDS = 5.0  # a file changed more recently than this may still be being copied: next time
SKIPPED_SUFFIXES = (".part", ".tmp", ".crdownload", ".partial", ".swp", "~")
GLOB_CHARS = set("*?[")


@dataclass(frozen=True)
class FileOutcome:
    path: str
    status: str  # done | error
    batch_id: int | None
    action: str | None
    alerts: int
    retrain: str | None  # promote | keep | None (not retrained) — with why in ``detail``
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "status": self.status,
            "batch_id": self.batch_id,
            "action": self.action,
            "alerts_queued": self.alerts,
            "retrain": self.retrain,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class ScheduleRun:
    schedule_id: int
    model_name: str
    source: str
    ran_at: str
    problem: str = ""  # the source could not be read (e.g. a missing folder): nothing was processed
    files: tuple[FileOutcome, ...] = field(default_factory=tuple)
    skipped: int = 0  # file versions processed before (by this or another scheduler)

    def to_json(self) -> dict[str, Any]:
        return {
            "schedule_id": self.schedule_id,
            "model": self.model_name,
            "source": self.source,
            "ran_at": self.ran_at,
            "problem": self.problem or None,
            "files": [f.to_json() for f in self.files],
            "already_processed": self.skipped,
        }


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


# --------------------------------------------------------------------------- sources


def source_files(source: str, settle_seconds: float = SETTLE_SECONDS, now: float | None = None) -> list[Path]:
    """The files a source names now, oldest first: a folder's files, or those a pattern matches (``*.csv``).
    Hidden and half-copied files (``.part``, ``.tmp``, changed in the last ``settle_seconds``) wait."""
    text = os.path.expanduser(str(source).strip())
    if any(ch in GLOB_CHARS for ch in text):
        parent = Path(text).parent
        while any(ch in GLOB_CHARS for ch in str(parent)):
            parent = parent.parent
        if not parent.is_dir():
            raise InputError(
                f"The folder '{parent}' of the schedule's pattern '{source}' does not exist.",
                "Create the folder, mount the shared disk, or change the schedule (`python -m core schedule list`).",
            )
        found = [Path(p) for p in glob.glob(text)]
    else:
        path = Path(text)
        if path.is_dir():
            found = list(path.iterdir())
        elif path.is_file():
            found = [path]
        else:
            raise InputError(
                f"The schedule's source '{source}' does not exist (no such folder or file).",
                "Create the folder, mount the shared disk, or change the schedule (`python -m core schedule list`).",
            )
    moment = time.time() if now is None else now
    usable = []
    for item in found:
        if item.name.startswith(".") or item.name.endswith(SKIPPED_SUFFIXES):
            continue
        try:
            info = item.stat()
        except OSError:
            continue
        if item.is_file() and moment - info.st_mtime >= settle_seconds:
            usable.append((info.st_mtime, str(item), item))
    return [item for _, _, item in sorted(usable)]


def file_key(path: Path) -> str:
    """One version of a file: path, size, modification time and content hash (a rewrite is a new version)."""
    info = path.stat()
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return f"{path.resolve()}|{info.st_size}|{info.st_mtime_ns}|{digest.hexdigest()}"


# --------------------------------------------------------------------------- one file, one schedule


def _retrain(schedule: store.Schedule, frame: Any, labels: str, time_budget_s: float) -> tuple[str, str, int]:
    from core.workflows import retrain_with_gate

    outcome = retrain_with_gate(f"{schedule.model_name}@champion", frame, labels, time_budget_s=time_budget_s)
    queued = queue_gate_alerts(outcome)
    return outcome.decision.decision, str(outcome.decision.reason), len(queued)


def process_file(schedule: store.Schedule, path: Path, time_budget_s: float = 120.0) -> FileOutcome:
    """Read one file, monitor it for the schedule's model, queue alerts and retrain where the schedule allows."""
    from core.data import read_table
    from core.monitoring import monitor_batch

    table = read_table(path, name=path.name)
    frame = table.frame
    labels = schedule.labels_column if schedule.labels_column and schedule.labels_column in frame.columns else None
    result = monitor_batch(schedule.model_name, frame, labels_column=labels)
    data = result.to_json()
    queued = len(queue_alerts_for(int(data["model"]["id"]), result.batch_id, data))
    notes = [f"action {result.action}"]
    if schedule.labels_column and labels is None:
        notes.append(f"no '{schedule.labels_column}' column with real outcomes in this file")
    decision = None
    if schedule.retrain == "gate" and result.action == "retrain":
        if labels is None:
            notes.append("not retrained: the file has no real outcomes")
        else:
            decision, reason, gate_alerts = _retrain(schedule, frame, labels, time_budget_s)
            queued += gate_alerts
            notes.append(f"retrained: {reason}")
    return FileOutcome(str(path), "done", result.batch_id, result.action, queued, decision, "; ".join(notes))


def run_schedule(
    schedule: store.Schedule,
    claimed_by: str | None = None,
    *,
    settle_seconds: float = SETTLE_SECONDS,
    time_budget_s: float = 120.0,
) -> ScheduleRun:
    """Process every new file version of one schedule's source (each claimed in the store first, so no file is
    processed twice, by this or any other scheduler). A missing source is recorded as the run's problem."""
    who = claimed_by or worker_name()
    ran_at = schedule.last_run_at or _now()
    try:
        files = source_files(schedule.source, settle_seconds)
    except InputError as exc:
        claim = store.claim_file(schedule.id, f"run|{ran_at}|{who}", schedule.source, who)
        if claim is not None:
            store.finish_file(claim, "source_missing", detail=exc.message)
        return ScheduleRun(schedule.id, schedule.model_name, schedule.source, ran_at, problem=exc.message)
    outcomes, skipped = [], 0
    for path in files:
        try:
            key = file_key(path)
        except OSError:
            continue  # gone or unreadable since it was listed: the next run looks again
        claim = store.claim_file(schedule.id, key, str(path), who)
        if claim is None:
            skipped += 1
            continue
        outcome = _process_claimed(schedule, path, claim, time_budget_s)
        outcomes.append(outcome)
    return ScheduleRun(
        schedule.id, schedule.model_name, schedule.source, ran_at, files=tuple(outcomes), skipped=skipped
    )


def _process_claimed(schedule: store.Schedule, path: Path, claim: int, time_budget_s: float) -> FileOutcome:
    try:
        outcome = process_file(schedule, path, time_budget_s)
    except KeelError as exc:
        detail = exc.message + (f" {exc.hint}" if exc.hint else "")
        outcome = FileOutcome(str(path), "error", None, None, 0, None, detail)
    except Exception as exc:  # a bug: logged with an id; the scheduler goes on with the next file
        bug_id = log_bug(exc, context=f"scheduler schedule {schedule.id}")
        outcome = FileOutcome(str(path), "error", None, None, 0, None, f"Keel failed on this file (error id {bug_id}).")
    store.finish_file(claim, outcome.status, batch_id=outcome.batch_id, detail=outcome.detail)
    return outcome


def run_due(
    now: str | None = None,
    claimed_by: str | None = None,
    *,
    settle_seconds: float = SETTLE_SECONDS,
    time_budget_s: float = 120.0,
    send: bool = True,
) -> list[ScheduleRun]:
    """Run every schedule that is due (each taken in the store, so one scheduler runs it), then send due alerts."""
    runs = []
    for schedule in store.list_schedules():
        taken = store.take_due_schedule(schedule.id, now=now)
        if taken is None:
            continue
        runs.append(run_schedule(taken, claimed_by, settle_seconds=settle_seconds, time_budget_s=time_budget_s))
    if send:
        send_due_alerts()
    return runs


def run_forever(
    poll_seconds: float = 60.0,
    *,
    settle_seconds: float = SETTLE_SECONDS,
    time_budget_s: float = 120.0,
    on_runs: Callable[[list[ScheduleRun]], None] | None = None,
    max_rounds: int | None = None,
) -> int:
    """Poll for due schedules until SIGTERM/SIGINT (or ``max_rounds``); returns the number of rounds run.
    A round that fails (e.g. the database server is briefly away) is logged and the next one tries again."""
    stopping = {"now": False}

    def stop(signum: int, frame: Any) -> None:
        stopping["now"] = True

    previous = signal.signal(signal.SIGTERM, stop)
    rounds = 0
    try:
        while not stopping["now"] and (max_rounds is None or rounds < max_rounds):
            try:
                runs = run_due(settle_seconds=settle_seconds, time_budget_s=time_budget_s)
                if on_runs is not None:
                    on_runs(runs)
            except KeelError as exc:  # e.g. the database server is away: say so, try again next round
                if on_runs is not None:
                    on_runs([ScheduleRun(0, "", "", _now(), problem=exc.message)])
            except Exception as exc:  # a bug: logged with an id; the loop keeps going
                bug_id = log_bug(exc, context="scheduler round")
                if on_runs is not None:
                    on_runs([ScheduleRun(0, "", "", _now(), problem=f"Keel failed in this round (error id {bug_id}).")])
            rounds += 1
            deadline = time.monotonic() + poll_seconds
            while not stopping["now"] and time.monotonic() < deadline:
                time.sleep(min(0.2, poll_seconds))
    finally:
        signal.signal(signal.SIGTERM, previous)
    return rounds

"""The store's team tables (issue 18): people and roles, who did what, alert outbox, schedules and claims,
on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
from pathlib import Path

import pandas as pd
import pytest

from core import store
from core.errors import InputError, NotFoundError

pytestmark = pytest.mark.usefixtures("store_backend")


def test_people_roles_and_who_did_what() -> None:
    assert store.list_people() == []
    store.set_role("ana", "admin", email="ana@example.org")
    store.set_role("bo", "viewer")
    store.set_role("bo", "editor")
    assert [(p.name, p.role) for p in store.list_people()] == [("ana", "admin"), ("bo", "editor")]
    assert store.get_person("ana").email == "ana@example.org" and store.get_person("cy") is None
    with pytest.raises(InputError, match="'boss' is not a role") as err:
        store.set_role("cy", "boss")
    assert "viewer, editor, admin" in err.value.hint
    with store.acting_as("bo"):
        info = store.save_dataset(pd.DataFrame({"a": [1, 2]}), "sales")
    assert store.current_actor() is None
    store.rename_dataset(info.id, "sales 2025")  # nobody named: one person's laptop
    log = {e.action: e.actor for e in store.audit_log()}
    assert log["upload"] == "bo" and log["rename"] is None
    role_changes = [e for e in store.audit_log() if e.action == "role"]
    assert len(role_changes) == 3 and role_changes[0].detail == {"name": "bo", "from_role": "viewer", "to_role": "editor"}
    store.remove_person("bo")
    with pytest.raises(NotFoundError, match="no person called 'bo'"):
        store.remove_person("bo")


def test_the_outbox_retries_and_gives_up() -> None:
    model = store.save_model(b"m", name="churn", task="classification", algorithm="x", dataset_id=None, target="y",
                             metrics={}, params={}, schema={})
    with pytest.raises(InputError, match="not an e-mail address"):
        store.add_channel("churn", "email", "not-an-address")
    with pytest.raises(InputError, match="not a web address"):
        store.add_channel("churn", "slack", "ftp://x")
    email = store.add_channel("churn", "email", "team@example.org")
    hook = store.add_channel("churn", "webhook", "http://127.0.0.1:9/hook")
    assert [c.kind for c in store.list_channels("churn")] == ["email", "webhook"]
    first = store.queue_alert(model.id, None, email.id, "Retrain recommended", {"action": "retrain"})
    store.queue_alert(model.id, None, hook.id, "Retrain recommended", {"action": "retrain"})
    due = store.take_due_alerts()
    assert [a.channel.kind for a in due] == ["email", "webhook"]
    assert store.take_due_alerts() == []  # being sent: another sender does not take them again
    store.record_delivery(first, ok=True)
    for attempt in range(store.MAX_ATTEMPTS):
        last = store.record_delivery(due[1].id, ok=False, error="HTTP 500", retry_in_seconds=0)
    assert last.status == "failed" and last.attempts == store.MAX_ATTEMPTS and last.last_error == "HTTP 500"
    statuses = {a.id: a.status for a in store.list_alerts(model.id)}
    assert statuses == {first: "sent", due[1].id: "failed"}
    assert {e.action for e in store.audit_log()} >= {"alert_sent", "alert_failed", "channel"}


def test_a_missed_schedule_runs_once_and_files_are_claimed_once() -> None:
    with pytest.raises(InputError, match="Every 0 minutes is not a schedule") as err:
        store.add_schedule("churn", "/data/*.csv", 0)
    assert "between 1 minute and 31 days" in err.value.hint
    schedule = store.add_schedule("churn", "/data/*.csv", 60, labels_column="churned", retrain="gate")
    long_after = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).isoformat(timespec="seconds")
    ran = store.take_due_schedule(schedule.id, now=long_after)
    assert ran is not None and ran.last_run_at == long_after
    assert store.take_due_schedule(schedule.id, now=long_after) is None  # 3 days missed: caught up once
    claim = store.claim_file(schedule.id, "a.csv|10|1|abc", "/data/a.csv", "scheduler-1")
    assert claim is not None
    assert store.claim_file(schedule.id, "a.csv|10|1|abc", "/data/a.csv", "scheduler-2") is None
    store.finish_file(claim, "done", batch_id=None, detail="action none")
    assert [(r["status"], r["claimed_by"]) for r in store.processed_files(schedule.id)] == [("done", "scheduler-1")]


def _claim_many(url: str | None, home: str, schedule_id: int, who: str, keys: list[str], out: mp.Queue) -> None:
    import os

    if url:
        os.environ["KEEL_DATABASE_URL"] = url
    os.environ["KEEL_HOME"] = home
    from core import store as s

    out.put([k for k in keys if s.claim_file(schedule_id, k, k, who) is not None])


def test_two_schedulers_never_claim_the_same_file(keel_home: Path) -> None:
    schedule = store.add_schedule("churn", "/data/*.csv", 5)
    keys = [f"file-{i}" for i in range(40)]
    ctx = mp.get_context("spawn")
    out: mp.Queue = ctx.Queue()
    url = store.database_url()
    workers = [ctx.Process(target=_claim_many, args=(url, str(keel_home), schedule.id, f"s{i}", keys, out))
               for i in range(2)]
    for w in workers:
        w.start()
    got = [out.get(timeout=120) for _ in workers]
    for w in workers:
        w.join(60)
    assert sorted(got[0] + got[1]) == sorted(keys)  # every file once, by exactly one of them
    assert not set(got[0]) & set(got[1])

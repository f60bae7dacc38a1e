"""Alerts that reach people, against real servers on loopback: a local SMTP server (aiosmtpd, with STARTTLS and a
login) and a local HTTP receiver for webhooks; retries when the receiver is down or answers 500; and the
scheduler, run as two real processes at once, processing a dropped file exactly once."""

from __future__ import annotations

import json
import os
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core import store, team
from core.models.registry import register
from core.models.train import train
from core.monitoring import monitor_batch
from core.store.db import transaction
from tests.core.test_train import make_churn

REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def churn_result() -> Any:
    return train(make_churn(300), "churn", time_budget_s=20, candidates=("logistic_regression",))


def _register(result: Any) -> None:
    """The model with the table it learned from kept beside it (monitoring compares new batches with it)."""
    dataset = store.save_dataset(make_churn(300), "churn.csv")
    register(result, "churn", dataset.id)


@pytest.fixture
def drifted_alert(churn_result: Any) -> dict[str, Any]:
    """A registered 'churn' model and a monitored batch that drifted far enough to raise an alert."""
    _register(churn_result)
    batch = make_churn(300, seed=5)
    batch["age"] = batch["age"] + 35
    batch["spend"] = batch["spend"] * 4
    batch["plan"] = "max"
    result = monitor_batch("churn", batch.drop(columns=["churn"]))
    data = result.to_json()
    assert data["action"] in ("review", "retrain") and data["alerting"], data["action"]
    return data


# --------------------------------------------------------------------------- webhooks


def _time_passes() -> None:
    """Every waiting message is due now (as if its backoff had passed)."""
    with transaction() as db:
        db.execute("UPDATE alerts_outbox SET next_attempt_at = '2000-01-01T00:00:00+00:00' WHERE status = 'pending'")


class _Receiver(ThreadingHTTPServer):
    fail_next = 0
    received: list[tuple[str, dict[str, Any]]]


class _Handler(BaseHTTPRequestHandler):
    server: _Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.server.fail_next > 0:
            self.server.fail_next -= 1
            self.send_response(500)
            self.end_headers()
            return
        self.server.received.append((self.path, json.loads(body)))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[_Receiver]:
    server = _Receiver(("127.0.0.1", 0), _Handler)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_a_webhook_gets_the_message_and_a_500_is_retried(
    drifted_alert: dict[str, Any], receiver: _Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KEEL_ALERT_RETRY_SECONDS", "60")
    url = f"http://127.0.0.1:{receiver.server_address[1]}/hooks/T0SECRETPATH"
    team.add_channel("churn", "webhook", url)
    team.add_channel("churn", "slack", url)
    receiver.fail_next = 1
    assert len(team.queue_alerts_for(drifted_alert["model"]["id"], None, drifted_alert)) == 2

    first = team.send_due_alerts()
    assert sorted(d.status for d in first) == ["pending", "sent"]
    failed = next(d for d in first if not d.ok)
    assert failed.error.startswith("The webhook at http://127.0.0.1:") and "answered 500" in failed.error
    assert failed.next_attempt_in == 60.0
    assert "SECRETPATH" not in failed.error and "SECRETPATH" not in failed.channel  # the secret path stays hidden
    assert team.send_due_alerts() == []  # it waits for its minute

    _time_passes()
    second = team.send_due_alerts()
    assert [d.status for d in second] == ["sent"] and second[0].attempts == 2
    assert [a.status for a in store.list_alerts()] == ["sent", "sent"]

    bodies = [b for _, b in receiver.received]
    generic = next(b for b in bodies if b.get("source") == "keel")
    slack = next(b for b in bodies if set(b) == {"text"})
    assert generic["model"]["name"] == "churn" and generic["recommendation"]
    assert "churn" in slack["text"] and "age" in slack["text"]
    # a message holds statistics and column names, never a row of data
    assert "C00" not in json.dumps(bodies) and "@example.com" not in json.dumps(bodies)
    log = (Path(os.environ["KEEL_HOME"]) / "logs" / "alerts.log").read_text().splitlines()
    assert len(log) == 3 and "SECRETPATH" not in "".join(log)


def test_a_receiver_that_is_down_is_retried_with_backoff_and_then_reached(
    drifted_alert: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    port = _free_port()
    team.add_channel("churn", "webhook", f"http://127.0.0.1:{port}/in")
    team.queue_alerts_for(drifted_alert["model"]["id"], None, drifted_alert)
    monkeypatch.setenv("KEEL_ALERT_RETRY_SECONDS", "60")
    down = team.send_due_alerts()
    assert len(down) == 1 and down[0].status == "pending" and down[0].next_attempt_in == 60.0
    assert down[0].error.startswith(f"Could not reach the webhook at http://127.0.0.1:{port}")
    assert team.send_due_alerts() == []  # not due yet: it waits for the backoff
    assert team.retry_delay(3) == 480.0  # doubling

    _time_passes()
    server = _Receiver(("127.0.0.1", port), _Handler)
    server.received = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        up = team.send_due_alerts()
    finally:
        server.shutdown()
        server.server_close()
    assert [d.status for d in up] == ["sent"] and len(server.received) == 1


def test_a_message_that_never_goes_through_is_given_up_after_the_last_attempt(
    drifted_alert: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KEEL_ALERT_RETRY_SECONDS", "0")
    team.add_channel("churn", "webhook", f"http://127.0.0.1:{_free_port()}/in")
    team.queue_alerts_for(drifted_alert["model"]["id"], None, drifted_alert)
    statuses = [d.status for _ in range(store.MAX_ATTEMPTS + 2) for d in team.send_due_alerts()]
    assert statuses == ["pending"] * (store.MAX_ATTEMPTS - 1) + ["failed"]
    assert store.list_alerts()[0].last_error.startswith("Could not reach the webhook")


# --------------------------------------------------------------------------- e-mail


@pytest.fixture
def smtp_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """A real SMTP server on loopback that offers STARTTLS (a certificate made for this test) and requires a
    login over TLS; the messages it accepted."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox: list[Any] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            inbox.append(envelope)
            return "250 OK"

    def login(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and data.login == b"keel" and data.password == b"s3cret"
        return AuthResult(success=ok, handled=False)  # the server answers 535 itself on a refusal

    port = _free_port()
    controller = Controller(
        Handler(), hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True,
        authenticator=login, auth_require_tls=True, auth_exclude_mechanism=["LOGIN"],
    )  # fmt: skip
    controller.start()
    for name, value in {
        "KEEL_SMTP_HOST": "127.0.0.1",
        "KEEL_SMTP_PORT": str(port),
        "KEEL_SMTP_USER": "keel",
        "KEEL_SMTP_PASSWORD": "s3cret",
        "KEEL_SMTP_FROM": "keel@shop.example",
        "KEEL_SMTP_CA_FILE": str(cert),
        "KEEL_ALERT_RETRY_SECONDS": "60",
    }.items():
        monkeypatch.setenv(name, value)
    try:
        yield inbox
    finally:
        controller.stop()


def test_an_email_goes_out_over_starttls_with_a_login(drifted_alert: dict[str, Any], smtp_server: list[Any]) -> None:
    team.add_channel("churn", "email", "owner@shop.example")
    team.queue_alerts_for(drifted_alert["model"]["id"], None, drifted_alert)
    sent = team.send_due_alerts()
    assert [d.status for d in sent] == ["sent"], sent
    assert len(smtp_server) == 1
    mail = smtp_server[0]
    assert mail.mail_from == "keel@shop.example" and mail.rcpt_tos == ["owner@shop.example"]
    text = mail.content.decode("utf-8", "replace")
    assert "Subject: Keel: " in text and "churn" in text and "age" in text
    assert "C00" not in text and "user1@example.com" not in text  # no raw rows


def test_a_refused_login_is_said_plainly_without_the_password(
    drifted_alert: dict[str, Any], smtp_server: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KEEL_SMTP_PASSWORD", "wrong-pass-123")
    team.add_channel("churn", "email", "owner@shop.example")
    team.queue_alerts_for(drifted_alert["model"]["id"], None, drifted_alert)
    (failed,) = team.send_due_alerts()
    assert failed.status == "pending" and smtp_server == []
    assert failed.error.startswith("The mail server 127.0.0.1:") and "refused the login for 'keel'" in failed.error
    assert "Check KEEL_SMTP_USER and KEEL_SMTP_PASSWORD" in failed.error and "wrong-pass-123" not in failed.error
    monkeypatch.setenv("KEEL_SMTP_PASSWORD", "s3cret")  # fixed: the retry goes through
    _time_passes()
    assert [d.status for d in team.send_due_alerts()] == ["sent"] and len(smtp_server) == 1


def test_an_untrusted_certificate_is_refused(
    drifted_alert: dict[str, Any], smtp_server: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KEEL_SMTP_CA_FILE")
    team.add_channel("churn", "email", "owner@shop.example")
    team.queue_alerts_for(drifted_alert["model"]["id"], None, drifted_alert)
    (failed,) = team.send_due_alerts()
    assert failed.status == "pending" and smtp_server == []
    assert "certificate could not be verified" in failed.error and "KEEL_SMTP_CA_FILE" in failed.error


# --------------------------------------------------------------------------- the scheduler


def _scheduler_once(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "core", "scheduler", "--once", "--settle", "0", "--json"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_schedulers_process_a_dropped_file_once(churn_result: Any, tmp_path: Path) -> None:
    _register(churn_result)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    team.add_schedule("churn", inbox, 60)
    batch = make_churn(200, seed=9).drop(columns=["churn"])
    batch["spend"] = batch["spend"] + np.linspace(0, 1, len(batch))
    batch.to_csv(inbox / "week-49.csv", index=False)

    env = {**os.environ, "PYTHONPATH": str(REPO)}
    runs = [_scheduler_once(env) for _ in range(2)]
    outputs = [p.communicate(timeout=300) for p in runs]
    assert [p.returncode for p in runs] == [0, 0], [err for _, err in outputs]
    reports = [json.loads(out) for out, _ in outputs]
    processed = [f for r in reports for run in r["runs"] for f in run["files"]]
    assert len(processed) == 1 and processed[0]["status"] == "done", reports
    assert processed[0]["path"].endswith("week-49.csv")
    assert len(store.processed_files(store.list_schedules()[0].id)) == 1
    model = store.resolve_model("churn")
    assert len(store.list_batches(model.id)) == 1

    # the next due run sees the same file as processed: nothing again
    with transaction() as db:
        db.execute("UPDATE schedules SET next_run_at = '2000-01-01T00:00:00+00:00'")
    again = _scheduler_once(env)
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    (run,) = json.loads(out)["runs"]
    assert run["files"] == [] and run["already_processed"] == 1
    assert len(store.list_batches(model.id)) == 1


def test_a_schedule_whose_folder_went_missing_says_so(churn_result: Any, tmp_path: Path) -> None:
    _register(churn_result)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    schedule = team.add_schedule("churn", inbox, 60)
    inbox.rmdir()
    (run,) = team.run_due(send=False)
    assert run.schedule_id == schedule.id and run.files == ()
    assert run.problem == f"The schedule's source '{inbox}' does not exist (no such folder or file)."
    with pytest.raises(Exception, match="does not exist"):
        team.add_schedule("churn", tmp_path / "nowhere", 60)

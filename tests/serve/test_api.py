"""The scoring API, driven over HTTP: a real ``python -m core serve`` (uvicorn) on a free loopback port, in a
subprocess, against a KEEL_HOME in the test's temporary folder.

Predictions equal the CLI's (CSV byte for byte); a missing or wrong key is 401, a model outside the key's scope
403, bad rows 422 naming the row and column (the CLI's message), too many rows or bytes 413, too many requests
429 with Retry-After; only /health answers without a key; a new champion is served without a restart; a revoked
key stops working; counts and latency reach the store; the OpenAPI document is valid and fuzzing finds no 500.
"""

from __future__ import annotations

import contextlib
import csv
import json
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from core import store
from core.models.registry import register
from core.models.train import train
from tests.core.test_train import make_churn
from tests.sandbox import sandbox_env

ROOT = Path(__file__).resolve().parents[2]


# --------------------------------------------------------------------------- helpers


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


def call(url: str, key: str | None = None, body: object = None, *, data: bytes | None = None,
         content_type: str = "application/json", method: str | None = None) -> Answer:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    if body is not None:
        data = json.dumps(body).encode()
    if data is not None:
        headers["Content-Type"] = content_type
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return Answer(response.status, {k.lower(): v for k, v in response.headers.items()}, response.read())
    except urllib.error.HTTPError as err:
        return Answer(err.code, {k.lower(): v for k, v in err.headers.items()}, err.read())


def cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "core", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env=sandbox_env(KEEL_HOME=str(home)))


def new_key(home: Path, name: str, *extra: str) -> str:
    done = cli(home, "apikey", "create", name, *extra, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["key"]


class Server:
    def __init__(self, home: Path, log: Path, *extra: str) -> None:
        self.log = log
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "core", "serve", "--port", "0", *extra, "--json"], cwd=ROOT,
            stdout=subprocess.PIPE, stderr=log.open("wb"), env=sandbox_env(KEEL_HOME=str(home)))
        deadline = time.monotonic() + 90
        while True:
            found = re.search(r"listening on http://127\.0\.0\.1:(\d+)", log.read_text())
            if found:
                self.url = f"http://127.0.0.1:{found.group(1)}"
                break
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"the server did not start: {log.read_text()[-2000:]}")
            time.sleep(0.1)
        while call(self.url + "/health").status != 200:
            time.sleep(0.1)

    def stop(self) -> tuple[int | None, str]:
        """SIGTERM, then wait; a server that does not stop is killed (and the test fails on its exit code)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                out, _ = self.proc.communicate(timeout=30)
                return self.proc.returncode, out.decode()
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        out = self.proc.stdout.read().decode() if self.proc.stdout else ""
        return self.proc.returncode, out


@contextlib.contextmanager
def running(home: Path, log: Path, *extra: str) -> Iterator[Server]:
    server = Server(home, log, *extra)
    try:
        yield server
    finally:
        server.stop()


@dataclass
class Api:
    home: Path
    url: str
    key: str
    new_csv: Path
    new_rows: list[dict]
    churn: pd.DataFrame


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """Two churn versions and a price model in a store; a key for everything; one server for the module."""
    folder = tmp_path_factory.mktemp("serve")
    home = folder / "keel_home"
    churn = make_churn(200)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KEEL_HOME", str(home))
        register(train(churn, "churn", time_budget_s=20, candidates=("logistic_regression",)), "churn", None)
        register(train(make_churn(200, seed=1), "churn", time_budget_s=20, candidates=("logistic_regression",)),
                 "churn", None)
        price = churn.assign(price=churn["spend"] * 3)[["age", "plan", "price"]]
        register(train(price, "price", time_budget_s=20, candidates=("ridge",)), "price", None)
    new = churn.drop(columns=["churn", "cancel_code"]).head(40)
    new_csv = folder / "new.csv"
    new.to_csv(new_csv, index=False)
    with new_csv.open(newline="") as fh:  # numbers as a client sends them: JSON numbers, exactly as written
        rows = [{k: float(v) if k in ("age", "spend") else v for k, v in row.items()} for row in csv.DictReader(fh)]
    key = new_key(home, "everything", "--rate", "100000")
    with running(home, folder / "server.log", "--max-rows", "1000", "--max-body-mb", "1") as server:
        yield Api(home, server.url, key, new_csv, rows, churn)


# --------------------------------------------------------------------------- keys


def test_health_answers_without_a_key_and_nothing_else_does(api: Api) -> None:
    assert call(api.url + "/health").json() == {"status": "ok"}
    for path in ("/v1/models", "/openapi.json"):
        answer = call(api.url + path)
        assert answer.status == 401 and answer.headers["content-type"] == "application/problem+json"
        assert answer.headers["www-authenticate"].startswith("Bearer")
        problem = answer.json()
        assert problem["status"] == 401 and problem["detail"] == "This request has no API key."
        assert "Authorization: Bearer KEY" in problem["hint"]
    wrong = call(api.url + "/v1/models/churn/predict", "keel_not-a-real-key", {"rows": api.new_rows[:1]})
    assert wrong.status == 401
    assert wrong.json()["detail"] == "Keel does not know this API key (it may have been revoked)."


def test_a_key_out_of_scope_gets_403_and_sees_only_its_models(api: Api) -> None:
    key = new_key(api.home, "pricing-only", "--models", "price")
    listed = call(api.url + "/v1/models", key).json()["models"]
    assert {m["name"] for m in listed} == {"price"}
    refused = call(api.url + "/v1/models/churn/predict", key, {"rows": api.new_rows[:1]})
    assert refused.status == 403
    assert refused.json()["detail"] == "Key 'pricing-only' may not score model churn:1."
    allowed = call(api.url + "/v1/models/price/predict", key, {"rows": [{"age": 30, "plan": "pro"}]})
    assert allowed.status == 200 and isinstance(allowed.json()["predictions"][0]["prediction"], float)


def test_a_revoked_key_stops_working_without_a_restart(api: Api) -> None:
    key = new_key(api.home, "short-lived")
    assert call(api.url + "/v1/models", key).status == 200
    done = cli(api.home, "apikey", "revoke", "short-lived", "--json")
    assert done.returncode == 0 and json.loads(done.stdout) == {"name": "short-lived", "revoked": True}
    deadline = time.monotonic() + 10
    while call(api.url + "/v1/models", key).status == 200:
        assert time.monotonic() < deadline, "a revoked key still works after 10 s"
        time.sleep(0.2)
    assert call(api.url + "/v1/models", key).status == 401


def test_too_many_requests_get_429_with_retry_after(api: Api) -> None:
    key = new_key(api.home, "slow", "--rate", "1")
    assert call(api.url + "/v1/models", key).status == 200
    answer = call(api.url + "/v1/models", key)
    assert answer.status == 429 and int(answer.headers["retry-after"]) >= 1
    assert answer.json()["detail"] == "Key 'slow' has used its 1 requests a minute."


# --------------------------------------------------------------------------- predictions


def test_json_predictions_equal_the_cli(api: Api) -> None:
    done = cli(api.home, "predict", "churn", str(api.new_csv), "--json")
    assert done.returncode == 0, done.stderr
    expected = [{k: v for k, v in row.items() if k == "prediction" or k.startswith("proba_")}
                for row in json.loads(done.stdout)["rows"]]
    answer = call(api.url + "/v1/models/churn/predict", api.key, {"rows": api.new_rows})
    assert answer.status == 200, answer.body
    body = answer.json()
    assert body["predictions"] == expected  # the same numbers, to the last digit
    assert len(expected) == 40 and set(expected[0]) == {"prediction", "proba_no", "proba_yes"}
    assert body["model"]["ref"] == "churn:1"


def test_csv_in_csv_out_is_byte_for_byte_the_cli_file(api: Api, tmp_path: Path) -> None:
    out = tmp_path / "scored.csv"
    done = cli(api.home, "predict", "churn@champion", str(api.new_csv), "--out", str(out))
    assert done.returncode == 0, done.stderr
    answer = call(api.url + "/v1/models/churn@champion/predict", api.key, data=api.new_csv.read_bytes(),
                  content_type="text/csv")
    assert answer.status == 200 and answer.headers["content-type"].startswith("text/csv")
    assert answer.body == out.read_bytes()


def test_references_resolve_like_the_cli(api: Api) -> None:
    one = {"rows": api.new_rows[:3]}
    by_name = call(api.url + "/v1/models/churn/predict", api.key, one).json()
    for ref in ("churn:1", "churn@champion", "1"):
        assert call(api.url + f"/v1/models/{ref}/predict", api.key, one).json()["predictions"] == by_name["predictions"]
    other = call(api.url + "/v1/models/churn:2/predict", api.key, one).json()
    assert other["model"]["version"] == 2 and other["predictions"] != by_name["predictions"]
    missing = call(api.url + "/v1/models/nothing-here/predict", api.key, one)
    assert missing.status == 404 and missing.json()["detail"] == "No model matches 'nothing-here'."


def test_bad_rows_get_422_naming_the_row_and_column(api: Api) -> None:
    rows = [dict(api.new_rows[0]), dict(api.new_rows[1], age="forty")]
    answer = call(api.url + "/v1/models/churn/predict", api.key, {"rows": rows})
    assert answer.status == 422 and answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["title"] == "Unprocessable Entity" and problem["type"] == "about:blank"
    # the CLI's own words (core.models.predict.check_schema)
    assert problem["detail"] == ("This table does not fit the model: 'age' should hold numbers, but 1 value is not "
                                 "(row 2: 'forty').")
    assert problem["errors"] == [{"row": 2, "column": "age", "value": "forty", "expected": "numbers"}]
    lacking = call(api.url + "/v1/models/churn/predict", api.key, {"rows": [{"age": 3, "plan": "pro"}]}).json()
    assert "The table lacks 2 columns the model needs: 'signup', 'spend'." in lacking["detail"]
    nested = call(api.url + "/v1/models/churn/predict", api.key, {"rows": [api.new_rows[0], {"plan": ["pro"]}]})
    assert nested.status == 422
    assert nested.json()["detail"] == "Row 2, column 'plan' holds a list; a cell must be a number, text, true/false or null."
    for body, detail in (({"rows": []}, "'rows' must be a list holding at least one row."),
                         ({"data": []}, "The request has no 'rows'."),
                         ({"rows": [1]}, "Row 1 is a single value, not an object of column names and values.")):
        answer = call(api.url + "/v1/models/churn/predict", api.key, body)
        assert (answer.status, answer.json()["detail"]) == (422, detail)
    garbled = call(api.url + "/v1/models/churn/predict", api.key, data=b"{not json")
    assert garbled.status == 422 and garbled.json()["detail"] == "The request body is not valid JSON."
    xml = call(api.url + "/v1/models/churn/predict", api.key, data=b"<rows/>", content_type="application/xml")
    assert xml.status == 415


def test_a_wrong_type_deep_in_a_large_request_names_its_row_and_column(api: Api) -> None:
    rows = [dict(api.new_rows[i % 40]) for i in range(700)]  # over 64 KB: read and checked in a worker thread
    rows[576] = dict(rows[576], spend="lots")
    answer = call(api.url + "/v1/models/churn/predict", api.key, {"rows": rows})
    assert answer.status == 422
    problem = answer.json()
    assert problem["detail"] == ("This table does not fit the model: 'spend' should hold numbers, but 1 value is "
                                 "not (row 577: 'lots').")
    assert problem["errors"] == [{"row": 577, "column": "spend", "value": "lots", "expected": "numbers"}]


def test_an_unknown_model_gets_404_naming_it(api: Api) -> None:
    for ref in ("churnn", "churn:9", "churn@retired", "999"):
        answer = call(api.url + f"/v1/models/{ref}/predict", api.key, {"rows": api.new_rows[:1]})
        assert answer.status == 404 and answer.headers["content-type"] == "application/problem+json"
        problem = answer.json()
        assert problem["detail"] == f"No model matches '{ref}'." and problem["code"] == "not_found"
        assert "`python -m core models` lists them" in problem["hint"]


def test_too_many_rows_or_bytes_get_413(api: Api) -> None:
    many = call(api.url + "/v1/models/churn/predict", api.key, {"rows": api.new_rows[:1] * 1001})
    assert many.status == 413
    assert many.json()["detail"] == "The request has 1,001 rows; this server takes at most 1,000 in one request."
    huge_cell = dict(api.new_rows[0], plan="x" * (2 * 1024 * 1024))  # one 2 MB row (the server takes 1 MB)
    big = call(api.url + "/v1/models/churn/predict", api.key, {"rows": [huge_cell]})
    assert big.status == 413 and "larger than the 1 MB this server takes" in big.json()["detail"]
    ten_mb = dict(api.new_rows[0], plan="x" * (10 * 1024 * 1024))  # one 10 MB row: refused, and answered
    huge = call(api.url + "/v1/models/churn/predict", api.key, {"rows": [ten_mb]})
    assert huge.status == 413 and huge.json()["code"] == "too_large"
    assert huge.json()["hint"] == "Split the rows into smaller requests."
    just_enough = call(api.url + "/v1/models/churn/predict", api.key, {"rows": api.new_rows[:1] * 1000})
    assert just_enough.status == 200 and len(just_enough.json()["predictions"]) == 1000


def test_explain_gives_the_cli_contributions_and_a_sentence_per_row(api: Api) -> None:
    done = cli(api.home, "predict", "churn", str(api.new_csv), "--json", "--explain")
    assert done.returncode == 0, done.stderr
    expected = [{k: v for k, v in row.items() if k.startswith("contribution_")} for row in json.loads(done.stdout)["rows"]]
    sent = list(api.new_rows[0])  # every column sent has a contribution (0 for one the model does not use)
    assert set(expected[0]) == {"contribution_base", *(f"contribution_{c}" for c in sent)}
    assert expected[0]["contribution_email"] == 0 and expected[0]["contribution_age"] != 0
    answer = call(api.url + "/v1/models/churn/predict?explain=true", api.key, {"rows": api.new_rows})
    assert answer.status == 200, answer.body
    predictions = answer.json()["predictions"]
    assert len(predictions) == len(expected) == 40
    for got, want in zip(predictions, expected, strict=True):
        contributions = {k: v for k, v in got.items() if k.startswith("contribution_")}
        assert contributions.keys() == want.keys()
        for name, value in want.items():
            assert contributions[name] == pytest.approx(value, rel=0, abs=1e-12), name
        assert sum(contributions.values()) == pytest.approx(got["proba_yes"], abs=1e-6)
    plain = call(api.url + "/v1/models/churn/predict", api.key, {"rows": api.new_rows}).json()["predictions"]
    assert [{k: p[k] for k in ("prediction", "proba_no", "proba_yes")} for p in predictions] == plain
    assert not any(k.startswith("contribution_") or k == "explanation" for k in plain[0])
    sentences = [p["explanation"] for p in predictions]
    assert all(s.startswith("Mostly because '") and "; the usual chance of " in s for s in sentences)
    assert any("'age' is " in s for s in sentences) and len(set(sentences)) > 1


def test_explain_on_a_csv_is_the_cli_file_and_a_bad_flag_is_400(api: Api, tmp_path: Path) -> None:
    out = tmp_path / "explained.csv"
    done = cli(api.home, "predict", "price", str(api.new_csv), "--out", str(out), "--explain")
    assert done.returncode == 0, done.stderr
    answer = call(api.url + "/v1/models/price/predict?explain=1", api.key, data=api.new_csv.read_bytes(),
                  content_type="text/csv")
    assert answer.status == 200 and answer.body == out.read_bytes()
    assert b"contribution_base" in answer.body.splitlines()[0]
    bad = call(api.url + "/v1/models/churn/predict?explain=maybe", api.key, {"rows": api.new_rows[:1]})
    assert bad.status == 400 and bad.json()["detail"] == "'explain' must be true or false, not 'maybe'."
    off = call(api.url + "/v1/models/churn/predict?explain=false", api.key, {"rows": api.new_rows[:1]})
    assert off.status == 200 and "explanation" not in off.json()["predictions"][0]


def _served_version(url: str, key: str, ref: str, body: dict, version: int, within_s: float = 5.0) -> dict:
    """The answer for ``ref`` once it comes from ``version`` (the server looks a reference up again every second)."""
    deadline = time.monotonic() + within_s
    while True:
        answer = call(url + f"/v1/models/{ref}/predict", key, body).json()
        if answer["model"]["version"] == version:
            return answer
        assert time.monotonic() < deadline, f"{ref} is still version {answer['model']['version']} after {within_s} s"
        time.sleep(0.1)


def test_a_new_champion_is_served_without_a_restart(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEEL_HOME", str(api.home))
    one = {"rows": api.new_rows[:5]}
    before = call(api.url + "/v1/models/churn@champion/predict", api.key, one).json()
    v2 = call(api.url + "/v1/models/churn:2/predict", api.key, one).json()
    assert before["model"]["version"] == 1
    second = store.resolve_model("churn:2")
    store.set_stage(second.id, "champion", reason="test")
    try:
        started = time.monotonic()
        after = _served_version(api.url, api.key, "churn@champion", one, 2)
        assert time.monotonic() - started < 3.0  # within about a second (the lookup is kept 1 s)
        assert after["predictions"] == v2["predictions"]
        assert _served_version(api.url, api.key, "churn", one, 2)["predictions"] == v2["predictions"]
    finally:
        store.set_stage(store.resolve_model("churn:1").id, "champion", reason="test")
    assert _served_version(api.url, api.key, "churn", one, 1)["predictions"] == before["predictions"]


# --------------------------------------------------------------------------- the server's life


@pytest.mark.slow
def test_traffic_reaches_the_store_and_a_stop_is_clean(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "keel_home"
    monkeypatch.setenv("KEEL_HOME", str(home))
    register(train(make_churn(120), "churn", time_budget_s=20, candidates=("logistic_regression",)), "churn", None)
    key = new_key(home, "till-1")
    rows = {"rows": [{"age": 40, "plan": "pro", "signup": "2021-03-01", "spend": 50.5}] * 3}
    server = Server(home, tmp_path / "server.log")
    try:
        for _ in range(4):
            assert call(server.url + "/v1/models/churn/predict", key, rows).status == 200
        assert call(server.url + "/v1/models/churn/predict", key, {"rows": [{"age": "x"}]}).status == 422
        assert call(server.url + "/v1/models").status == 401
    finally:
        code, out = server.stop()
    assert code == 0, (tmp_path / "server.log").read_text()[-2000:]
    assert json.loads(out)["stopped"] is True  # one JSON object, after a graceful stop by SIGTERM
    traffic = store.api_traffic()
    ok = [t for t in traffic if t.key_name == "till-1" and t.status == 200]
    assert sum(t.requests for t in ok) == 4 and sum(t.rows for t in ok) == 12
    assert all(t.model_id == 1 and t.total_ms > 0 and t.max_ms <= t.total_ms for t in ok)
    assert sum(t.requests for t in traffic if t.status == 422) == 1
    assert sum(t.requests for t in traffic if t.status == 401 and t.key_name == "") == 1


@pytest.mark.slow
def test_two_worker_processes_answer_and_stop_cleanly(api: Api, tmp_path: Path) -> None:
    one = {"rows": api.new_rows[:3]}
    expected = call(api.url + "/v1/models/churn/predict", api.key, one).json()["predictions"]
    server = Server(api.home, tmp_path / "server.log", "--workers", "2")
    try:
        for _ in range(6):
            answer = call(server.url + "/v1/models/churn/predict", api.key, one)
            assert answer.status == 200 and answer.json()["predictions"] == expected
        assert call(server.url + "/v1/models").status == 401
    finally:
        code, out = server.stop()
    assert code == 0 and json.loads(out)["stopped"] is True, (tmp_path / "server.log").read_text()[-2000:]


@pytest.mark.slow
def test_scored_rows_become_monitored_batches_only_when_asked(api: Api, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEEL_HOME", str(api.home))
    model_id = store.resolve_model("churn:2").id
    before = len(store.list_batches(model_id))
    three = {"rows": api.new_rows[:3]}
    call(api.url + "/v1/models/churn:2/predict", api.key, three)  # the module's server keeps nothing
    server = Server(api.home, tmp_path / "server.log", "--keep-inputs", "10")
    try:
        for _ in range(4):
            assert call(server.url + "/v1/models/churn:2/predict", api.key, three).status == 200
        csv_answer = call(server.url + "/v1/models/churn:2/predict", api.key, content_type="text/csv",
                          data=api.new_csv.read_bytes())
        assert csv_answer.status == 200
    finally:
        code, _ = server.stop()
    assert code == 0, (tmp_path / "server.log").read_text()[-2000:]
    batches = store.list_batches(model_id)[before:]
    assert [b["rows"] for b in batches] == [12, 40]  # once 10 rows or more wait: the 4 requests, then the file
    assert all(b["dataset_id"] is not None for b in batches)  # the rows themselves are kept, for drift


def test_a_port_in_use_is_a_plain_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        done = cli(tmp_path / "keel_home", "serve", "--port", str(port))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"error: Port {port} on 127.0.0.1 is already in use" in done.stderr
    assert "hint: Stop that program, or choose another port" in done.stderr


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # the CLI runs in-process: its working directory stays in the sandbox
    return tmp_path


@pytest.mark.cli_sandbox
@pytest.mark.usefixtures("in_tmp")
def test_apikey_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from core.cli import main

    home = tmp_path / "keel_home"
    monkeypatch.setenv("KEEL_HOME", str(home))
    register(train(make_churn(120), "churn", time_budget_s=20, candidates=("logistic_regression",)), "churn", None)

    def run(*args: str) -> tuple[int, str, str]:
        code = main(["apikey", *args])
        out, err = capsys.readouterr()
        return code, out, err

    code, out, err = run("create", "web-form", "--models", "churn", "--json")
    assert code == 0, err
    made = json.loads(out)
    secret = made["key"]
    assert made["name"] == "web-form" and secret.startswith("keel_") and len(secret) > 40
    code, out, err = run("list", "--json")
    assert secret not in out and secret not in err
    assert json.loads(out)["keys"][0]["models"] == ["churn"]
    assert secret not in (home / "keel.db").read_bytes().decode("latin-1")  # only its fingerprint is kept
    for args, error in ((("create", "web-form"), "error: There is already a key called 'web-form'."),
                        (("create", "x", "--models", "nope"), "error: No model matches 'nope'."),
                        (("create", "bad name!"), "error: 'bad name!' is not a usable key name."),
                        (("revoke", "nobody"), "error: There is no API key called 'nobody'.")):
        code, out, err = run(*args)
        assert code == 2 and error in err and "hint: " in err and out == "", err
    code, out, _ = run("create", "till", "--json")
    assert code == 0 and set(json.loads(out)) >= {"name", "key"}
    code, out, _ = run("revoke", "web-form", "--json")
    assert code == 0 and json.loads(out) == {"name": "web-form", "revoked": True}
    assert [k["name"] for k in json.loads(run("--json")[1])["keys"]] == ["till"]


# --------------------------------------------------------------------------- the OpenAPI document


def test_the_openapi_document_is_served_and_valid(api: Api) -> None:
    import schemathesis

    document = call(api.url + "/openapi.json", api.key).json()
    assert document["openapi"] == "3.1.0"
    assert set(document["paths"]) == {"/health", "/v1/models", "/v1/models/{ref}/predict"}
    predict = document["paths"]["/v1/models/{ref}/predict"]["post"]
    explain = next(p for p in predict["parameters"] if p["name"] == "explain")
    assert explain["in"] == "query" and explain["schema"] == {"type": "boolean", "default": False}
    item = document["components"]["schemas"]["PredictResponse"]["properties"]["predictions"]["items"]
    assert item["properties"]["explanation"] == {"type": "string", "description": item["properties"]["explanation"]
                                                 ["description"]}
    schemathesis.openapi.from_dict(document).validate()  # against the OpenAPI 3.1 meta-schema
    broken = {**document, "paths": {"/health": {"get": {"responses": "none"}}}}
    with pytest.raises(Exception):  # noqa: B017  (the check can fail: a broken document is refused)
        schemathesis.openapi.from_dict(broken).validate()


@pytest.mark.slow
def test_fuzzing_the_openapi_document_finds_no_server_error(api: Api) -> None:
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import content_type_conformance, status_code_conformance

    schema = schemathesis.openapi.from_dict(call(api.url + "/openapi.json", api.key).json())
    auth = {"Authorization": f"Bearer {api.key}"}
    checks = [not_a_server_error, status_code_conformance, content_type_conformance]
    tried = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=35, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def fuzz(case: schemathesis.Case) -> None:
            nonlocal tried
            tried += 1
            response = case.call(base_url=api.url, headers=auth, timeout=30)
            case.validate_response(response, checks=checks)

        fuzz()
    assert tried >= 30

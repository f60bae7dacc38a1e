"""Background jobs run in worker processes: progress, results, Keel errors, bugs and crashes."""

from __future__ import annotations

import os
import signal
import time

import pandas as pd
import pytest

from core.jobs import runner as jobs
from core.errors import InputError


def _ok(n: int, progress) -> int:
    for i in range(n):
        progress((i + 1) / n, f"step {i + 1}")
    return n * 2


def _user_error(progress) -> None:
    raise InputError("The column 'x' is empty.", "Pick another column.")


def _bug(progress) -> None:
    {}["missing"]


def _crash(progress) -> None:
    progress(0.5, "about to die")
    os.kill(os.getpid(), signal.SIGKILL)


def _hog(progress) -> None:
    blocks = []
    while True:
        blocks.append(bytearray(256 * 1024 * 1024))


def _niceness(progress) -> int:
    return os.nice(0)


def wait(job_id: str, timeout: float = 180) -> jobs.Job:
    job = jobs.wait(job_id, timeout)
    assert job.status != "running", "the job did not finish"
    return job


def test_result_and_progress_come_back() -> None:
    job = wait(jobs.submit("double", _ok, 3))
    assert (job.status, job.result, job.fraction) == ("done", 6, 1.0)


def test_a_keel_error_keeps_its_message_and_hint() -> None:
    job = wait(jobs.submit("bad", _user_error))
    assert job.status == "failed" and isinstance(job.error, InputError)
    assert (job.error.message, job.error.hint) == ("The column 'x' is empty.", "Pick another column.")


def test_a_bug_is_reported_without_its_message() -> None:
    job = wait(jobs.submit("bug", _bug))
    assert job.status == "failed" and not isinstance(job.error, InputError)
    assert "KeyError" in str(job.error) and "missing" not in str(job.error)


def test_a_crashing_worker_fails_only_its_job() -> None:
    job = wait(jobs.submit("crash", _crash))
    assert job.status == "failed" and isinstance(job.error, jobs.JobDiedError)
    assert "stopped before finishing" in job.error.message and job.error.hint
    assert wait(jobs.submit("after", _ok, 1)).result == 2  # the next job still runs


def test_memory_is_limited(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jobs, "MEMORY_LIMIT_BYTES", 1500 * 1024 * 1024)
    job = wait(jobs.submit("hog", _hog), timeout=120)
    assert job.status == "failed" and isinstance(job.error, jobs.JobDiedError)
    assert "memory" in (job.error.message + job.error.hint).lower()


def test_background_jobs_run_at_lower_priority_than_pages() -> None:
    base = os.nice(0)
    assert wait(jobs.submit("nice", _niceness)).result == min(19, base + jobs.BACKGROUND_NICENESS)
    assert jobs.run_isolated("direct", _niceness_direct) == base  # a user is waiting on this one


def _niceness_direct() -> int:
    return os.nice(0)


def _parse_ok(text: str) -> int:
    return len(text)


def test_run_isolated_returns_results_and_keeps_errors() -> None:
    assert jobs.run_isolated("count", _parse_ok, "abcd") == 4
    with pytest.raises(InputError, match="The column 'x' is empty"):
        jobs.run_isolated("bad", _user_error, None)
    with pytest.raises(jobs.JobDiedError, match="stopped before finishing"):
        jobs.run_isolated("crash", _crash_quietly)


def _crash_quietly() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _task_names(stream: list[dict]) -> set[str]:
    return {str(task["key"]).split("-")[0].strip("('\"") for task in stream}


@pytest.mark.slow
def test_the_app_s_jobs_use_the_cluster_when_one_is_configured(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """KEEL_DASK_SCHEDULER in the app's environment: the Forecast page's job (jobs.submit) and the Predict page's
    scoring (jobs.run_isolated) send their per-series and per-chunk work to the cluster, with the local results."""
    from distributed import Client, get_task_stream

    from core.data import load_sample
    from core.workflows import run_forecast
    from core.models.predict import score_upload
    from core.models.registry import register
    from core.models.train import train
    from tests.core.test_cluster import dask_cluster
    from tests.core.test_train import make_churn

    info = load_sample("shop_calendar")  # 6 products
    ask = dict(date="date", value="units_sold", id="product", horizon=14)
    model = register(train(make_churn(200), "churn", time_budget_s=20, candidates=("logistic_regression",)), "churn",
                     None)
    rows = make_churn(60_001, seed=3).drop(columns=["churn", "cancel_code"]).to_csv(index=False).encode()  # 2 chunks

    def run_both() -> tuple[jobs.Job, tuple]:
        job = wait(jobs.submit("Forecasting", run_forecast, info.id, **ask), timeout=600)
        return job, jobs.run_isolated("Scoring 'new.csv'", score_upload, rows, "new.csv", model.id)

    monkeypatch.delenv("KEEL_DASK_SCHEDULER", raising=False)
    here, (here_report, here_scored) = run_both()
    assert here.status == "done", here.error
    (tmp_path / "dask").mkdir()
    with dask_cluster(tmp_path / "dask") as (address, _):
        monkeypatch.setenv("KEEL_DASK_SCHEDULER", address)  # as the app's environment would have it
        with Client(address, timeout=30, set_as_default=False) as client, get_task_stream(client) as stream:
            there, (there_report, there_scored) = run_both()
    assert there.status == "done", there.error
    names = _task_names(stream.data)
    assert {"backtest_chunk", "finish_chunk", "score_remote"} <= names, names  # the scheduler ran the work
    assert sum(str(t["key"]).startswith(("score_remote", "('score_remote")) for t in stream.data) >= 2
    forecast_here, forecast_there = here.result[1].to_json(), there.result[1].to_json()
    for result in (forecast_here, forecast_there):
        result.pop("elapsed_seconds", None)
    assert len(forecast_here["series"]) == 6 and forecast_there == forecast_here
    assert here_report.ok and there_report.ok and len(there_scored) == 60_001
    pd.testing.assert_frame_equal(there_scored, here_scored, check_exact=True)


def test_a_job_told_of_an_unreachable_cluster_fails_with_the_plain_message(monkeypatch: pytest.MonkeyPatch) -> None:
    from core.data import load_sample
    from core.workflows import run_forecast
    from tests.core.test_cluster import closed_port

    info = load_sample("shop_calendar")
    where = f"tcp://127.0.0.1:{closed_port()}"
    monkeypatch.setenv("KEEL_DASK_SCHEDULER", where)
    job = wait(jobs.submit("Forecasting", run_forecast, info.id, date="date", value="units_sold", id="product",
                           horizon=7), timeout=300)
    assert job.status == "failed" and not isinstance(job.error, jobs.JobDiedError)
    assert job.error.message.startswith(f"Keel cannot reach the Dask scheduler at {where}")
    assert job.error.hint.startswith("Check that `dask scheduler` is running there")

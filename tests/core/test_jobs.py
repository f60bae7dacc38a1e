"""Background jobs run in worker processes: progress, results, Keel errors, bugs and crashes."""

from __future__ import annotations

import os
import signal
import time

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

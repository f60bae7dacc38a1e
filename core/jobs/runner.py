"""Long work in the background, in its own process, so a page stays responsive and a crash
stays contained.

Each job runs ``func(*args, progress=…, **kwargs)`` in a fresh worker *process*
(``python -m core.worker``: it shares no threads or locks with the server) with limits on memory
and CPU time.
If the worker dies — out of memory, a fault in a native library, killed — only that job fails,
with a plain message; the server and everyone else's session carry on, and the store is intact
because every store write is a transaction.

The worker gets the server's environment. With ``KEEL_DASK_SCHEDULER`` set there (:mod:`core.cluster`), a
forecast's per-series work and a big file's scoring chunks go from the worker to that Dask cluster, exactly as
``python -m core forecast/predict --cluster`` does; a cluster that cannot be used fails the job with a plain
message (:class:`core.cluster.ClusterError` comes back as a Keel error, with its hint).

The job id is a random token: only a session that holds it (kept in that session's state) can
see the job. Results come back pickled from our own child process — never from a user's file.
"""

from __future__ import annotations

import os
import pickle
import secrets
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import KeelError
from core.store.db import acting

MEMORY_LIMIT_BYTES = int(os.environ.get("KEEL_JOB_MEMORY_MB", "12000")) * 1024 * 1024
CPU_LIMIT_SECONDS = int(os.environ.get("KEEL_JOB_CPU_SECONDS", "7200"))
# Background jobs (training, forecasting) yield the CPU to people waiting for a page: on a 2-core
# laptop a training run otherwise slowed everyone's page loads. Alone on the machine they still
# get all of it. Work a user waits on directly (run_isolated) keeps normal priority.
BACKGROUND_NICENESS = 10
MAX_RUNNING = 2  # one per core on the target laptop; more queue up

ROOT = Path(__file__).resolve().parents[2]
_JOBS: dict[str, Job] = {}
_LOCK = threading.Lock()
_SLOTS = threading.Semaphore(MAX_RUNNING)
_KEEP_SECONDS = 6 * 3600


class JobDiedError(KeelError):
    """The worker process stopped without an answer (out of memory, time limit, a crash)."""


@dataclass
class Job:
    id: str
    title: str
    started: float = field(default_factory=time.time)
    fraction: float = 0.0
    text: str = "Waiting to start…"
    status: str = "running"  # running | done | failed
    result: Any = None
    error: BaseException | None = None
    finished: float | None = None

    def report(self, fraction: float, text: str) -> None:
        self.fraction = max(0.0, min(1.0, float(fraction)))
        self.text = text

    @property
    def elapsed(self) -> float:
        return (self.finished or time.time()) - self.started


class _ChildBug(Exception):
    """An unexpected error inside a worker, re-raised in the server so it is logged as a bug."""


def _error_from(kind: str, *payload: Any) -> BaseException:
    if kind == "keel_error":
        name, message, hint = payload
        import core.errors as errors

        cls = getattr(errors, name, None)
        cls = (
            cls
            if isinstance(cls, type) and issubclass(cls, KeelError)
            else (JobDiedError if name == "JobDiedError" else KeelError)
        )
        return cls(message, hint)
    name, frames = payload
    return _ChildBug(f"{name} in a worker: " + " <- ".join(reversed(frames[-4:])))


def _read_message(stream: Any) -> tuple | None:
    header = stream.read(8)
    if len(header) < 8:
        return None
    (size,) = struct.unpack(">Q", header)
    payload = stream.read(size)
    if len(payload) < size:
        return None
    return pickle.loads(payload)  # written by our own worker process, never by a user


def _supervise(job: Job, func: Callable[..., Any], args: tuple, kwargs: dict, actor: tuple) -> None:
    with _SLOTS:
        _run_worker(job, func, args, kwargs, niceness=BACKGROUND_NICENESS, actor=actor)


def _without_progress(func: Callable[..., Any], args: tuple, kwargs: dict, progress: Callable) -> Any:
    return func(*args, **kwargs)


def run_isolated(title: str, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run ``func(*args, **kwargs)`` in a worker process and wait for it (no progress).

    For short work on untrusted input — parsing an upload, scoring a file — where a fault in a
    native library must not take the server down. Keel's own errors come back as themselves; a
    dead worker becomes :class:`JobDiedError`. ``func`` must be a module-level function.
    """
    job = Job(id=secrets.token_urlsafe(12), title=title)
    _run_worker(job, _without_progress, (func, args, kwargs), {}, actor=acting())
    if job.status != "done":
        raise job.error if job.error is not None else JobDiedError(f"'{title}' did not finish.", "Try again.")
    return job.result


def _run_worker(
    job: Job, func: Callable[..., Any], args: tuple, kwargs: dict, niceness: int = 0, actor: tuple = (None, None)
) -> None:
    """Run one job in a fresh ``python -m core.worker`` process and record its outcome on ``job``. ``actor``: the
    person and role the work is done for (its writes are checked against that role, and audited under them)."""
    job.text = "Starting…"
    # A fresh interpreter running only core.worker: it shares no threads or locks with the
    # server and never re-runs the page script (as multiprocessing's spawn would).
    proc = subprocess.Popen(
        [sys.executable, "-m", "core.jobs.worker", str(MEMORY_LIMIT_BYTES), str(CPU_LIMIT_SECONDS), str(niceness)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=str(ROOT),
        env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))},
    )
    outcome: tuple | None = None
    assert proc.stdin is not None and proc.stdout is not None  # both are pipes
    try:
        proc.stdin.write(pickle.dumps((func, args, kwargs, actor), protocol=pickle.HIGHEST_PROTOCOL))
        proc.stdin.close()
        while outcome is None:
            message = _read_message(proc.stdout)
            if message is None:
                break
            if message[0] == "progress":
                job.report(message[1], message[2])
            else:
                outcome = message
    except (BrokenPipeError, OSError, pickle.UnpicklingError, EOFError):
        outcome = None
    finally:
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if outcome is None:
        code = proc.returncode
        why = "it was stopped by the system (probably out of memory)" if code and code < 0 else f"exit code {code}"
        job.error = JobDiedError(
            f"'{job.title}' stopped before finishing: {why}.",
            "Nothing was saved from it. Try again with a smaller file, fewer columns or a shorter time limit.",
        )
        job.status = "failed"
    elif outcome[0] == "done":
        job.result = outcome[1]
        job.fraction, job.text, job.status = 1.0, "Finished", "done"
    else:
        job.error = _error_from(*outcome)
        job.status = "failed"
    job.finished = time.time()


def submit(title: str, func: Callable[..., Any], *args: Any, **kwargs: Any) -> str:
    """Start ``func(*args, progress=…, **kwargs)`` in a worker process; return the job id.

    ``func`` must be a module-level function (it is sent to the worker by reference).
    """
    job = Job(id=secrets.token_urlsafe(12), title=title)
    with _LOCK:
        _forget_old()
        _JOBS[job.id] = job
    threading.Thread(
        target=_supervise, args=(job, func, args, kwargs, acting()), daemon=True, name=f"keel-job-{job.id[:6]}"
    ).start()
    return job.id


def wait(job_id: str, timeout: float = 300.0) -> Job:
    """Block until a job has finished (for scripts and tests; pages poll instead)."""
    deadline = time.monotonic() + timeout
    job = get(job_id)
    while job is not None and job.status == "running" and time.monotonic() < deadline:
        time.sleep(0.1)
    if job is None:
        raise KeyError(job_id)
    return job


def get(job_id: str | None) -> Job | None:
    with _LOCK:
        return _JOBS.get(job_id or "")


def _forget_old() -> None:
    now = time.time()
    for key in [k for k, j in _JOBS.items() if j.finished and now - j.finished > _KEEP_SECONDS]:
        del _JOBS[key]

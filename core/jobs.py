"""Long work in the background, in its own process, so a page stays responsive and a crash
stays contained.

Each job runs ``func(*args, progress=…, **kwargs)`` in a fresh worker *process* (spawned, not
forked, so it shares no threads or locks with the server) with limits on memory and CPU time.
If the worker dies — out of memory, a fault in a native library, killed — only that job fails,
with a plain message; the server and everyone else's session carry on, and the store is intact
because every store write is a transaction.

The job id is a random token: only a session that holds it (kept in that session's state) can
see the job. Results come back pickled from our own child process — never from a user's file.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue as queue_module
import resource
import secrets
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core.errors import KeelError

MEMORY_LIMIT_BYTES = int(os.environ.get("KEEL_JOB_MEMORY_MB", "12000")) * 1024 * 1024
CPU_LIMIT_SECONDS = int(os.environ.get("KEEL_JOB_CPU_SECONDS", "7200"))
MAX_RUNNING = 2  # one per core on the target laptop; more queue up

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


def _limit_resources() -> None:
    for limit, value in ((resource.RLIMIT_AS, MEMORY_LIMIT_BYTES), (resource.RLIMIT_CPU, CPU_LIMIT_SECONDS)):
        soft, hard = resource.getrlimit(limit)
        cap = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(limit, (cap, hard))


def _worker(func: Callable[..., Any], args: tuple, kwargs: dict, out: Any) -> None:
    """Runs in the child process: limits, then the work; every outcome goes back on ``out``."""
    _limit_resources()

    def progress(fraction: float, text: str) -> None:
        out.put(("progress", float(fraction), str(text)))

    try:
        out.put(("done", func(*args, progress=progress, **kwargs)))
    except KeelError as exc:
        out.put(("keel_error", type(exc).__name__, exc.message, exc.hint))
    except MemoryError:
        out.put(("keel_error", "JobDiedError", "The job ran out of memory.",
                 "Try a smaller file or fewer columns, or close other programs."))
    except BaseException as exc:  # a bug: keep the type and frames, not the message (it may hold data)
        frames = [f"{f.filename}:{f.lineno} in {f.name}" for f in traceback.extract_tb(exc.__traceback__)]
        out.put(("bug", type(exc).__qualname__, frames))


class _ChildBug(Exception):
    """An unexpected error inside a worker, re-raised in the server so it is logged as a bug."""


def _error_from(kind: str, *payload: Any) -> BaseException:
    if kind == "keel_error":
        name, message, hint = payload
        import core.errors as errors

        cls = getattr(errors, name, None)
        cls = cls if isinstance(cls, type) and issubclass(cls, KeelError) else (JobDiedError if name == "JobDiedError" else KeelError)
        return cls(message, hint)
    name, frames = payload
    return _ChildBug(f"{name} in a worker: " + " <- ".join(reversed(frames[-4:])))


def _supervise(job: Job, func: Callable[..., Any], args: tuple, kwargs: dict) -> None:
    with _SLOTS:
        ctx = mp.get_context("spawn")
        out = ctx.Queue()
        # not a daemon: the work may use a process pool of its own (forecasting does)
        proc = ctx.Process(target=_worker, args=(func, args, kwargs, out), daemon=False)
        job.text = "Starting…"
        proc.start()
        outcome: tuple | None = None
        while outcome is None:
            try:
                message = out.get(timeout=0.5)
            except queue_module.Empty:
                if not proc.is_alive():
                    try:  # the last message may land just as the process exits
                        message = out.get(timeout=1.0)
                    except queue_module.Empty:
                        break
                else:
                    continue
            if message[0] == "progress":
                job.report(message[1], message[2])
            else:
                outcome = message
        proc.join(10)
        if outcome is None:
            code = proc.exitcode
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
    threading.Thread(target=_supervise, args=(job, func, args, kwargs), daemon=True,
                     name=f"keel-job-{job.id[:6]}").start()
    return job.id


def get(job_id: str | None) -> Job | None:
    with _LOCK:
        return _JOBS.get(job_id or "")


def _forget_old() -> None:
    now = time.time()
    for key in [k for k, j in _JOBS.items() if j.finished and now - j.finished > _KEEP_SECONDS]:
        del _JOBS[key]

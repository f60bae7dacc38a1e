"""Long work in the background, so a page stays responsive and the user can look elsewhere.

A job runs a function in a worker thread of this process and records its progress. The id is a
random token: only a session that holds it (kept in that session's state) can see the job.
Errors are kept on the job and shown by the page through the usual error contract.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="keel-job")
_JOBS: dict[str, Job] = {}
_LOCK = threading.Lock()
_KEEP_SECONDS = 6 * 3600


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


def submit(title: str, func: Callable[..., Any], *args: Any, **kwargs: Any) -> str:
    """Start ``func(*args, progress=job.report, **kwargs)`` in the background; return the job id."""
    job = Job(id=secrets.token_urlsafe(12), title=title)

    def run() -> None:
        try:
            job.result = func(*args, progress=job.report, **kwargs)
            job.fraction, job.text, job.status = 1.0, "Finished", "done"
        except BaseException as exc:  # kept for the page to show; never lost silently
            job.error, job.status = exc, "failed"
        finally:
            job.finished = time.time()

    with _LOCK:
        _forget_old()
        _JOBS[job.id] = job
    _POOL.submit(run)
    return job.id


def get(job_id: str | None) -> Job | None:
    with _LOCK:
        return _JOBS.get(job_id or "")


def _forget_old() -> None:
    now = time.time()
    for key in [k for k, j in _JOBS.items() if j.finished and now - j.finished > _KEEP_SECONDS]:
        del _JOBS[key]

"""Work spread over a Dask distributed cluster (``--cluster tcp://HOST:PORT`` or ``KEEL_DASK_SCHEDULER``).

Keel does not schedule anything itself: :func:`executor` connects to a running Dask scheduler and hands out its
``concurrent.futures`` executor, which :mod:`core.forecasting.parallel` uses in place of local worker processes.
The work is the same functions on the same pieces, so results are identical to a local run; a worker that dies
mid-job has its pieces run again elsewhere by Dask, and a scheduler that dies is a plain error with nothing
partial. Without an address nothing here is imported or used.

Before any work goes out, Keel checks that the scheduler answers, that it has workers, and that every worker can
run Keel's own code at this version (``core.__version__``, asked of each with ``client.run``); each failure is a
plain error (the CLI exits 2) naming what to fix. The app's background jobs (:mod:`core.jobs`) inherit
``KEEL_DASK_SCHEDULER`` and go the same way.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import os
import re
from collections.abc import Callable, Iterator
from typing import Any

from core.errors import KeelError

ENV = "KEEL_DASK_SCHEDULER"
CONNECT_TIMEOUT_S = 10
WORKERS_TIMEOUT_S = 30

_ADDRESS: contextvars.ContextVar[str | None] = contextvars.ContextVar("keel_cluster", default=None)


class ClusterError(KeelError):
    """The cluster cannot be used: unreachable, without workers, or workers without Keel."""


def check_address(text: str) -> str:
    address = text.strip()
    if not address.startswith(("tcp://", "tls://")) or ":" not in address.split("://", 1)[1]:
        raise ClusterError(
            f"'{address[:80]}' is not a Dask scheduler address.",
            "Write it as tcp://HOST:PORT, e.g. tcp://scheduler.example:8786 (what `dask scheduler` prints).",
        )
    return address


def address() -> str | None:
    """The scheduler in use: ``--cluster`` (see :func:`using`), else ``KEEL_DASK_SCHEDULER``, else None (run here)."""
    chosen = _ADDRESS.get() or os.environ.get(ENV, "").strip()
    return check_address(chosen) if chosen else None


@contextlib.contextmanager
def using(chosen: str | None) -> Iterator[None]:
    """Send the work done inside this block to the cluster at ``chosen`` (None: as configured by the environment)."""
    token = _ADDRESS.set(check_address(chosen) if chosen else None)
    try:
        yield
    finally:
        _ADDRESS.reset(token)


def choose(chosen: str | None) -> None:
    """Use the cluster at ``chosen`` for the rest of this command (None: as the environment says)."""
    _ADDRESS.set(check_address(chosen) if chosen else None)


def run_all(func: Callable[..., Any], items: list[tuple[Any, ...]]) -> list[Any]:
    """``func(*item)`` for every item on the cluster's workers; the results in the items' order."""
    with executor() as remote:
        if remote is None:
            return [func(*item) for item in items]
        futures = [remote.submit(func, *item) for item in items]
        return [f.result() for f in futures]


def keel_version() -> str:
    """Run on every worker (``client.run``): the version of Keel it has. A worker without Keel cannot even load this
    function (it lives in Keel), and says so instead of answering."""
    import core

    return str(core.__version__)


keel_here = keel_version  # the old name


def _connect(where: str) -> Any:
    from distributed import Client

    try:
        return Client(where, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise ClusterError(
            f"Keel cannot reach the Dask scheduler at {where} ({type(exc).__name__}).",
            "Check that `dask scheduler` is running there and the address and port are right; or leave out "
            f"--cluster (and unset {ENV}) to run on this computer.",
        ) from None


def _named(workers: list[str]) -> str:
    shown = ", ".join(workers[:3])
    return shown + (f" and {len(workers) - 3} more" if len(workers) > 3 else "")


def _check_workers(client: Any, where: str) -> None:
    """Every worker the scheduler has can run this Keel: it imports ``core`` and has the same version."""
    try:
        client.wait_for_workers(1, timeout=WORKERS_TIMEOUT_S)
    except (OSError, TimeoutError):
        raise ClusterError(
            f"The Dask scheduler at {where} has no workers.",
            f"Start some with `dask worker {where}` on machines that have Keel installed.",
        ) from None
    import core

    here = str(core.__version__)
    try:  # a worker that is stuck (frozen, swapping) would make this wait for ever: bounded
        answers: dict[str, Any] = client.run(keel_version, on_error="return", callback_timeout=WORKERS_TIMEOUT_S)
    except (OSError, TimeoutError) as exc:
        raise ClusterError(
            f"Not every worker of the Dask cluster at {where} answered within {WORKERS_TIMEOUT_S} s while Keel "
            f"checked them ({type(exc).__name__}): one may be stuck, overloaded or gone.",
            "Check that the scheduler and its workers are running (restart a stuck `dask worker`), then run the "
            f"command again; or leave out --cluster (and unset {ENV}) to run on this computer.",
        ) from None
    install = (
        f"Install Keel {here} (the version on this computer) on every worker machine, e.g. `pip install -e .` in a "
        "copy of the same Keel, and restart the workers; or leave out --cluster (and unset "
        f"{ENV}) to run on this computer."
    )
    broken = sorted(w for w, answer in answers.items() if isinstance(answer, BaseException))
    if broken:
        text = str(answers[broken[0]])
        missing = re.search(r"No module named '[^']+'", text)
        why = missing.group(0) if missing else (text.strip()[:120] or type(answers[broken[0]]).__name__)
        raise ClusterError(
            f"{_how_many(broken, answers)} at {where} cannot run Keel ({_named(broken)}: {why}).", install
        )
    other = sorted(w for w, v in answers.items() if str(v) != here)
    if other:
        versions = ", ".join(sorted({str(answers[w]) for w in other}))
        raise ClusterError(
            f"{_how_many(other, answers)} at {where} {'has' if len(other) == 1 < len(answers) else 'have'} another "
            f"version of Keel ({_named(other)}: Keel "
            f"{versions[:40]}; this computer has Keel {here}). Results must come from the same code.",
            install,
        )


def _how_many(some: list[str], of: dict[str, Any]) -> str:
    return f"{len(some)} of the {len(of)} workers" if len(some) < len(of) else "The workers"


def _lost(exc: BaseException) -> bool:
    """The cluster lost the work: a worker or the scheduler died, or a worker could not load Keel's code."""
    if isinstance(exc, KeelError):
        return False
    if type(exc).__name__ in ("KilledWorker", "CommClosedError", "FutureCancelledError", "CancelledError"):
        return True
    return "No module named 'core'" in str(exc)


@contextlib.contextmanager
def _quiet_dask() -> Iterator[None]:
    """Dask's client logs a lost scheduler as an error with a traceback on stderr; Keel says it in plain words
    instead (the CLI's stderr carries only ``error:`` and ``hint:``). Its loggers are muted while Keel uses it."""
    import distributed  # noqa: F401  (its loggers exist from here on)

    loggers = [
        logging.getLogger(name)
        for name in list(logging.root.manager.loggerDict)
        if name == "distributed" or name.startswith("distributed.")
    ] or [logging.getLogger("distributed")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


@contextlib.contextmanager
def executor() -> Iterator[Any | None]:
    """The cluster's ``concurrent.futures`` executor while the block runs, or None when no cluster is configured."""
    where = address()
    if where is None:
        yield None
        return
    with _quiet_dask():
        yield from _remote(where)


def _remote(where: str) -> Iterator[Any]:
    client = _connect(where)
    try:
        _check_workers(client, where)
        yield client.get_executor(pure=False)
    except Exception as exc:
        if not _lost(exc):
            raise
        raise ClusterError(
            f"The Dask cluster at {where} lost the work ({type(exc).__name__}): a worker or the scheduler stopped "
            "while running it, or a worker without Keel joined.",
            "Nothing partial was kept. Check the scheduler's and workers' logs (and that every worker has Keel "
            "installed), then run the command again.",
        ) from None
    finally:
        client.close()

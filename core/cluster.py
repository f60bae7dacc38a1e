"""Work spread over a Dask distributed cluster (``--cluster tcp://HOST:PORT`` or ``KEEL_DASK_SCHEDULER``).

Keel does not schedule anything itself: :func:`executor` connects to a running Dask scheduler and hands out its
``concurrent.futures`` executor, which :mod:`core.forecasting.parallel` uses in place of local worker processes.
The work is the same functions on the same pieces, so results are identical to a local run; a worker that dies
mid-job has its pieces run again elsewhere by Dask. Without an address nothing here is imported or used.

Before any work goes out, Keel checks that the scheduler answers, that it has workers, and that they can run
Keel's own code; each failure is a plain error (the CLI exits 2) naming what to fix.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
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


def keel_here() -> str:
    """Run on a worker: proves it can import and run Keel's code."""
    import core

    return str(getattr(core, "__name__", "core"))


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


def _check_workers(client: Any, where: str) -> None:
    try:
        client.wait_for_workers(1, timeout=WORKERS_TIMEOUT_S)
    except (OSError, TimeoutError):
        raise ClusterError(
            f"The Dask scheduler at {where} has no workers.",
            f"Start some with `dask worker {where}` on machines that have Keel installed.",
        ) from None
    try:
        client.submit(keel_here, pure=False).result(timeout=WORKERS_TIMEOUT_S)
    except Exception as exc:
        raise ClusterError(
            f"A Dask worker at {where} cannot run Keel's code ({type(exc).__name__}: {str(exc)[:120]}).",
            "Install Keel on every worker machine (the same version, `pip install -e .` in its folder) and restart "
            "the workers.",
        ) from None


@contextlib.contextmanager
def executor() -> Iterator[Any | None]:
    """The cluster's ``concurrent.futures`` executor while the block runs, or None when no cluster is configured."""
    where = address()
    if where is None:
        yield None
        return
    client = _connect(where)
    try:
        _check_workers(client, where)
        yield client.get_executor(pure=False)
    except Exception as exc:
        if type(exc).__name__ not in ("KilledWorker", "CommClosedError", "FutureCancelledError", "CancelledError"):
            raise
        raise ClusterError(
            f"The Dask cluster at {where} lost the work ({type(exc).__name__}): workers died while running it.",
            "Nothing partial was kept. Check the workers' memory and logs, then run the command again.",
        ) from None
    finally:
        client.close()

"""Worker processes for a forecast of many series: the work goes out in chunks, progress comes back as
chunks finish, and a broken pool costs nothing that arrived (the rest runs here)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from typing import Any


@contextlib.contextmanager
def worker_pool(workers: int) -> Iterator[Executor | None]:
    """Worker processes for a forecast (None: run here). Fork in a single-threaded process (the CLI);
    with threads around (Streamlit) forking is unsafe, so a clean fork server. With a Dask cluster configured
    (``--cluster``, ``KEEL_DASK_SCHEDULER``; :mod:`core.cluster`) the work goes to its workers instead."""
    from core import cluster

    if cluster.address() is not None:
        with cluster.executor() as remote:
            yield remote
        return
    if workers <= 1:
        yield None
        return
    import multiprocessing as mp

    try:
        if threading.active_count() == 1 and "fork" in mp.get_all_start_methods():
            ctx: Any = mp.get_context("fork")
        else:
            ctx = mp.get_context("forkserver")
            ctx.set_forkserver_preload(["core.forecasting.engine"])
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker)
    except (OSError, RuntimeError, ImportError, ValueError):
        yield None
        return
    with pool:
        yield pool


def map_chunks(
    pool: Executor | None,
    workers: int,
    func: Callable,
    items: list[tuple],
    kw: dict,
    on_done: Callable[[int], None],
) -> dict[int, Any]:
    """Run ``func`` over chunks of items in the pool (or here); {index: result}."""
    total = len(items)
    out: dict[int, Any] = {}
    if pool is not None:
        size = max(1, min(10, total // (workers * 8) or 1))
        chunks = [items[i : i + size] for i in range(0, total, size)]
        try:
            futs = [pool.submit(func, ch, kw) for ch in chunks]
            for fut in as_completed(futs):
                for i, r in fut.result():
                    out[i] = r
                on_done(len(out))
            return out
        except (OSError, RuntimeError, ImportError):  # a broken pool: keep what arrived, finish here
            pass
    with one_thread():
        for item in items:
            if item[0] in out:
                continue
            for i, r in func([item], kw):
                out[i] = r
            on_done(len(out))
    return out


def one_thread() -> Any:
    """Tiny matrices only: BLAS threads just fight each other (and other users) here."""
    try:
        from threadpoolctl import threadpool_limits

        return threadpool_limits(limits=1)
    except Exception:
        return contextlib.nullcontext()


def _init_worker() -> None:
    global _LIMITER
    _LIMITER = one_thread()


_LIMITER: Any = None

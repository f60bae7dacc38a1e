"""Scoring small requests together: while one batch is being scored, the requests that arrive for the same model
wait, then go in one call.

Scoring one row costs almost what scoring a hundred does (the cost is in pandas and scikit-learn's per-call
work, not in the rows), so ten clients asking at once are answered in about the time of one call, not ten. Nothing
waits on a timer: a request that finds the model idle is scored at once. Each request's rows are checked and
prepared on their own first (:func:`core.serve.scoring.prepared_rows`); only the model's input tables are put
together, and each request gets back exactly its own rows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable
from dataclasses import dataclass

import pandas as pd
from starlette.concurrency import run_in_threadpool

from core.models import KeelModel
from core.serve.scoring import outputs

MAX_BATCH_ROWS = 2_000  # a bigger request is scored on its own


@dataclass
class _Job:
    prepared: pd.DataFrame
    future: asyncio.Future[pd.DataFrame]


def _score_together(prepared: list[pd.DataFrame], model: KeelModel) -> list[pd.DataFrame]:
    if len(prepared) == 1:
        return [outputs(prepared[0], model)]
    together = outputs(pd.concat(prepared, ignore_index=True), model)
    parts, at = [], 0
    for part in prepared:
        parts.append(together.iloc[at : at + len(part)].set_axis(part.index))
        at += len(part)
    return parts


class Batcher:
    """One queue and at most one scoring call in flight per model (by the key the caller gives)."""

    def __init__(self, max_rows: int = MAX_BATCH_ROWS) -> None:
        self._max_rows = max_rows
        self._queues: dict[Hashable, list[_Job]] = {}
        self._running: dict[Hashable, asyncio.Task[None]] = {}

    async def score(self, slot: Hashable, model: KeelModel, prepared: pd.DataFrame) -> pd.DataFrame:
        """The outputs for ``prepared`` (see :func:`core.serve.scoring.outputs`)."""
        if len(prepared) >= self._max_rows:
            return await run_in_threadpool(outputs, prepared, model)
        future: asyncio.Future[pd.DataFrame] = asyncio.get_running_loop().create_future()
        self._queues.setdefault(slot, []).append(_Job(prepared, future))
        if slot not in self._running:
            self._running[slot] = asyncio.create_task(self._drain(slot, model))
        return await future

    def _take(self, slot: Hashable) -> list[_Job]:
        queue, rows = self._queues.get(slot, []), 0
        taken: list[_Job] = []
        while queue and (not taken or rows + len(queue[0].prepared) <= self._max_rows):
            job = queue.pop(0)
            if job.future.cancelled():  # the client went away
                continue
            taken.append(job)
            rows += len(job.prepared)
        return taken

    async def _drain(self, slot: Hashable, model: KeelModel) -> None:
        try:
            while self._queues.get(slot):
                jobs = self._take(slot)
                if not jobs:
                    continue
                try:
                    parts = await run_in_threadpool(_score_together, [j.prepared for j in jobs], model)
                except Exception as exc:  # every request of the batch gets the same error (a bug: logged there)
                    for job in jobs:
                        if not job.future.done():
                            job.future.set_exception(exc)
                    continue
                for job, part in zip(jobs, parts, strict=True):
                    if not job.future.done():
                        job.future.set_result(part)
        finally:  # no await since the queue was last seen empty: nothing can have been added meanwhile
            self._running.pop(slot, None)
            self._queues.pop(slot, None)

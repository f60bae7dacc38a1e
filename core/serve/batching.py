"""Scoring small requests together: while one batch is being scored, the requests that arrive for the same model
wait, then go in one call.

Checking, preparing and scoring one row costs almost what a hundred do (the cost is pandas' and scikit-learn's
work per call and per column, not per row), so ten clients asking at once are answered in about the time of one
call, not ten. Nothing waits on a timer: a request that finds the model idle is scored at once.

Requests are put together only when that cannot change an answer: the same columns with the same types, and
dates (if any are text) written as ISO 8601, which read the same whatever else is in the batch. The batch is
checked once; if the check finds anything to say (an error, a category never seen), each request is checked and
answered on its own, so every message names that request's own rows. Each request gets back exactly its rows.

Rows that passed the fast path's check (:mod:`core.serve.plain`: certainly nothing for the CLI's check to say)
skip the table check altogether: every such request's rows make one table, prepared and scored in one call.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import pandas as pd
from starlette.concurrency import run_in_threadpool

from core.errors import KeelError
from core.models import KeelModel, check_schema
from core.serve.plain import plain_frame, rules_for
from core.serve.scoring import outputs, prepared_rows

MAX_BATCH_ROWS = 2_000  # a request this big is scored on its own
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?")

Answer = tuple[pd.DataFrame, list[str]]  # the outputs for a request's rows, and the check's warnings


@dataclass
class _Job:
    frame: pd.DataFrame | None  # rows for the full check, or
    rows: list[dict[str, Any]] | None  # rows that passed the fast path's check
    future: asyncio.Future[Answer]

    @property
    def size(self) -> int:
        return len(self.rows) if self.rows is not None else len(self.frame) if self.frame is not None else 0


def _signature(frame: pd.DataFrame, model: KeelModel) -> tuple[object, ...] | None:
    """What must match for two requests to be checked and scored together; None: this one goes alone."""
    for feat in model.schema["features"]:
        if feat["kind"] != "datetime" or feat["name"] not in frame.columns:
            continue
        col = frame[feat["name"]]
        if pd.api.types.is_datetime64_any_dtype(col):
            continue
        if not all(isinstance(v, str) and _ISO_DATE.fullmatch(v) for v in col.dropna()):
            return None
    return tuple((str(c), str(t)) for c, t in frame.dtypes.items())


def _alone(frame: pd.DataFrame, model: KeelModel) -> Answer | KeelError:
    try:
        prepared, warnings = prepared_rows(frame, model)
    except KeelError as exc:
        return exc
    return outputs(prepared, model), warnings


def _together(frames: list[pd.DataFrame], model: KeelModel) -> list[Answer] | None:
    batch = pd.concat(frames, ignore_index=True)
    report = check_schema(batch, model, raise_errors=False)
    if not report.ok or report.warnings:
        return None
    added = outputs(model.prepare(batch), model)
    parts: list[Answer] = []
    at = 0
    for frame in frames:
        parts.append((added.iloc[at : at + len(frame)].set_axis(frame.index), []))
        at += len(frame)
    return parts


def score_plain(requests: list[list[dict[str, Any]]], model: KeelModel) -> list[Answer]:
    """Each request's outputs, for requests whose rows passed the fast path's check, scored in one call."""
    frame = plain_frame([row for rows in requests for row in rows], rules_for(model))
    added = outputs(model.prepare(frame), model, frame)
    parts: list[Answer] = []
    at = 0
    for rows in requests:
        parts.append((added.iloc[at : at + len(rows)].set_axis(pd.RangeIndex(len(rows))), []))
        at += len(rows)
    return parts


def _score_all(jobs: list[_Job], model: KeelModel) -> list[Answer | KeelError]:
    answers: list[Answer | KeelError | None] = [None] * len(jobs)
    plain = [i for i, job in enumerate(jobs) if job.rows is not None]
    if plain:
        for i, answer in zip(plain, score_plain([jobs[i].rows or [] for i in plain], model), strict=True):
            answers[i] = answer
    full = [i for i, job in enumerate(jobs) if job.frame is not None]
    if full:
        for i, found in zip(
            full, score_jobs([jobs[i].frame for i in full if jobs[i].frame is not None], model), strict=True
        ):
            answers[i] = found
    return [a for a in answers if a is not None]


def score_jobs(frames: list[pd.DataFrame], model: KeelModel) -> list[Answer | KeelError]:
    """Each request's answer (or the user error it raised), putting together the requests that may be."""
    answers: list[Answer | KeelError | None] = [None] * len(frames)
    groups: dict[tuple[object, ...], list[int]] = {}
    for i, frame in enumerate(frames):
        signature = _signature(frame, model)
        if signature is not None:
            groups.setdefault(signature, []).append(i)
    for members in groups.values():
        if len(members) < 2:
            continue
        parts = _together([frames[i] for i in members], model)
        for i, part in zip(members, parts or [], strict=False):
            answers[i] = part
    return [answer if answer is not None else _alone(frames[i], model) for i, answer in enumerate(answers)]


class Batcher:
    """One queue and at most one scoring call in flight per model (by the key the caller gives)."""

    def __init__(self, max_rows: int = MAX_BATCH_ROWS) -> None:
        self._max_rows = max_rows
        self._queues: dict[Hashable, list[_Job]] = {}
        self._running: dict[Hashable, asyncio.Task[None]] = {}

    async def score(self, slot: Hashable, model: KeelModel, frame: pd.DataFrame) -> Answer:
        """The outputs for ``frame``'s rows (see :func:`core.serve.scoring.outputs`) and the check's warnings;
        a :class:`KeelError` when the rows do not fit the model."""
        if len(frame) >= self._max_rows:
            answer = await run_in_threadpool(_alone, frame, model)
            if isinstance(answer, KeelError):
                raise answer
            return answer
        return await self._queued(slot, model, _Job(frame, None, asyncio.get_running_loop().create_future()))

    async def score_rows(self, slot: Hashable, model: KeelModel, rows: list[dict[str, Any]]) -> Answer:
        """The outputs for rows that passed the fast path's check (:func:`core.serve.plain.plain_rows`)."""
        if len(rows) >= self._max_rows:
            return (await run_in_threadpool(score_plain, [rows], model))[0]
        return await self._queued(slot, model, _Job(None, rows, asyncio.get_running_loop().create_future()))

    async def _queued(self, slot: Hashable, model: KeelModel, job: _Job) -> Answer:
        self._queues.setdefault(slot, []).append(job)
        if slot not in self._running:
            self._running[slot] = asyncio.create_task(self._drain(slot, model))
        return await job.future

    def _take(self, slot: Hashable) -> list[_Job]:
        queue, rows = self._queues.get(slot, []), 0
        taken: list[_Job] = []
        while queue and (not taken or rows + queue[0].size <= self._max_rows):
            job = queue.pop(0)
            if job.future.cancelled():  # the client went away
                continue
            taken.append(job)
            rows += job.size
        return taken

    async def _drain(self, slot: Hashable, model: KeelModel) -> None:
        try:
            while self._queues.get(slot):
                jobs = self._take(slot)
                if not jobs:
                    continue
                try:
                    answers = await run_in_threadpool(_score_all, jobs, model)
                except Exception as exc:  # a bug: every request of the batch gets it (and logs it)
                    for job in jobs:
                        if not job.future.done():
                            job.future.set_exception(exc)
                    continue
                for job, answer in zip(jobs, answers, strict=True):
                    if job.future.done():
                        continue
                    if isinstance(answer, KeelError):
                        job.future.set_exception(answer)
                    else:
                        job.future.set_result(answer)
        finally:  # no await since the queue was last seen empty: nothing can have been added meanwhile
            self._running.pop(slot, None)
            self._queues.pop(slot, None)

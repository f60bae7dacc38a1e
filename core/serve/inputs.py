"""Keeping what the API scored, only when asked (``serve --keep-inputs``), so Monitor can check it for drift.

The rows of answered requests are gathered per model; every ``rows`` rows (and whatever is left when the server
stops) become a monitored batch of that model (:func:`core.monitoring.monitor_batch`, with the rows kept), in a
background thread, so a request never waits for it.
"""

from __future__ import annotations

import logging
import queue
import threading

import pandas as pd

from core.errors import KeelError

DEFAULT_ROWS = 1_000

log = logging.getLogger("keel.serve")


class InputKeeper:
    """Rows per model id, handed to Monitor in batches of at least ``rows`` rows."""

    def __init__(self, rows: int = DEFAULT_ROWS) -> None:
        self._rows = rows
        self._frames: dict[int, list[pd.DataFrame]] = {}
        self._counts: dict[int, int] = {}
        self._lock = threading.Lock()
        self._work: queue.Queue[tuple[int, pd.DataFrame] | None] = queue.Queue()
        self._thread: threading.Thread | None = None

    def add(self, model_id: int, frame: pd.DataFrame) -> None:
        with self._lock:
            self._frames.setdefault(model_id, []).append(frame)
            self._counts[model_id] = self._counts.get(model_id, 0) + len(frame)
            if self._counts[model_id] < self._rows:
                return
            frames = self._frames.pop(model_id)
            self._counts.pop(model_id)
        self._work.put((model_id, pd.concat(frames, ignore_index=True)))

    def _run(self) -> None:
        from core.monitoring import monitor_batch

        while (item := self._work.get()) is not None:
            model_id, frame = item
            try:
                monitor_batch(model_id, frame, keep_rows=True)
            except KeelError as exc:  # e.g. the model was deleted meanwhile: say so in the server's log
                log.warning("could not record %s API rows of model %s for Monitor: %s", len(frame), model_id, exc)
            except Exception as exc:  # a bug: logged with an id, the server goes on
                from core.bugs import log_bug

                log.warning("could not record API rows for Monitor (error id %s)", log_bug(exc, context="serve"))

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="keel-inputs", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Hand over what is left and wait for it to be recorded."""
        with self._lock:
            left = [(m, pd.concat(f, ignore_index=True)) for m, f in self._frames.items()]
            self._frames, self._counts = {}, {}
        for item in left:
            self._work.put(item)
        self._work.put(None)
        if self._thread is not None:
            self._thread.join(timeout=120)

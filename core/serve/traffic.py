"""Request counts and latency, written to the store in batches so Monitor can show live traffic.

A request only adds to counters in memory (a lock held for microseconds); a background thread writes them
every few seconds in one transaction. If the database is busy or away, the counts wait for the next try
(and are dropped only when they pile past a bound), so scoring never waits for the store.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass

from core import store

FLUSH_SECONDS = 5.0
MAX_PENDING = 10_000  # counter rows kept while the store cannot be written

log = logging.getLogger("keel.serve")


@dataclass
class _Counter:
    requests: int = 0
    rows: int = 0
    total_ms: float = 0.0
    max_ms: float = 0.0


def _minute(now: dt.datetime) -> str:
    return now.replace(second=0, microsecond=0).isoformat(timespec="seconds")


class Traffic:
    """Counters per (minute, key, model, status), flushed to the store by :meth:`start`'s thread."""

    def __init__(self, flush_s: float = FLUSH_SECONDS) -> None:
        self._flush_s = flush_s
        self._counts: dict[tuple[str, str, int | None, int], _Counter] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, key_name: str, model_id: int | None, status: int, rows: int, ms: float) -> None:
        slot = (_minute(dt.datetime.now(dt.UTC)), key_name, model_id, status)
        with self._lock:
            counter = self._counts.get(slot)
            if counter is None:
                if len(self._counts) >= MAX_PENDING:
                    return
                counter = self._counts[slot] = _Counter()
            counter.requests += 1
            counter.rows += rows
            counter.total_ms += ms
            counter.max_ms = max(counter.max_ms, ms)

    def flush(self) -> int:
        """Write what has been counted; returns the number of rows written (0 when the store refused)."""
        with self._lock:
            taken, self._counts = self._counts, {}
        rows = [
            store.TrafficRow(m, k, mid, s, c.requests, c.rows, round(c.total_ms, 3), round(c.max_ms, 3))
            for (m, k, mid, s), c in taken.items()
        ]
        try:
            store.record_api_traffic(rows)
        except Exception as exc:  # the store is busy or away: keep the counts for the next try
            log.warning("could not write API traffic yet (%s); will retry", exc)
            with self._lock:
                for slot, c in taken.items():
                    mine = self._counts.setdefault(slot, _Counter())
                    mine.requests += c.requests
                    mine.rows += c.rows
                    mine.total_ms += c.total_ms
                    mine.max_ms = max(mine.max_ms, c.max_ms)
            return 0
        return len(rows)

    def _run(self) -> None:
        while not self._stop.wait(self._flush_s):
            self.flush()

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="keel-traffic", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and write what is left."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.flush()

"""Live traffic from other programs: what the scoring API (``python -m core serve``) answered for a model,
read back from the counts the server writes to the store every few seconds (:mod:`core.serve.traffic`).

One summary per model (all its versions): how many requests and rows, how many were answered and why the
others were refused, how long answers took (the mean, and the slowest minute's slowest request), per minute
or per hour for a chart, and one or two sentences a shop owner understands.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from core import store
from core.vocab import count, number, percent

# why the API refused a request, in plain words (the status codes core.serve answers with)
REFUSED = {
    401: "had no key or a wrong one",
    403: "used a key not allowed to use this model",
    404: "named a model or version that does not exist",
    413: "sent too much at once",
    422: "sent rows that did not fit the model's columns",
    429: "came faster than the key's limit",
}


@dataclass(frozen=True)
class Traffic:
    """What the API did for one model over a window of time (see :func:`api_traffic_summary`)."""

    requests: int
    answered: int
    rows: int  # rows scored in answered requests
    refused: tuple[tuple[int, int], ...]  # (status, requests), most first
    mean_ms: float  # time to answer, mean over answered requests
    slowest_ms: float
    since: str  # ISO 8601, the window's start
    bucket: str  # "minute" or "hour": the chart's step
    per_step: pd.DataFrame  # time, answered, refused, mean_ms
    sentence: str
    refused_sentence: str | None


def _window_start(hours: float, now: dt.datetime | None) -> dt.datetime:
    end = now or dt.datetime.now(dt.UTC)
    return (end - dt.timedelta(hours=hours)).replace(second=0, microsecond=0)


def api_traffic_summary(
    model_ids: Iterable[int], hours: float = 24.0, home: Path | None = None, now: dt.datetime | None = None
) -> Traffic | None:
    """The API's traffic for the models ``model_ids`` (a model's versions) in the last ``hours``; None when
    there was none. Refusals before a model was named (no key) are not anyone's model's and are not counted."""
    ids = {int(i) for i in model_ids}
    start = _window_start(hours, now)
    rows = [r for r in store.api_traffic(since=start.isoformat(timespec="seconds"), home=home) if r.model_id in ids]
    if not rows:
        return None
    frame = pd.DataFrame(
        {
            "time": pd.to_datetime([r.minute for r in rows], utc=True, format="ISO8601"),
            "ok": [200 <= r.status < 300 for r in rows],
            "status": [r.status for r in rows],
            "requests": [r.requests for r in rows],
            "rows": [r.rows for r in rows],
            "total_ms": [r.total_ms for r in rows],
            "max_ms": [r.max_ms for r in rows],
        }
    )
    answered = frame[frame["ok"]]
    refused = frame[~frame["ok"]].groupby("status")["requests"].sum().sort_values(ascending=False)
    span = frame["time"].max() - frame["time"].min()
    bucket = "minute" if span <= pd.Timedelta(hours=2) else "hour"
    frame["step"] = frame["time"].dt.floor("min" if bucket == "minute" else "h")
    per_step = _per_step(frame)
    n_ok = int(answered["requests"].sum())
    mean_ms = float(answered["total_ms"].sum() / n_ok) if n_ok else float("nan")
    slowest = float(answered["max_ms"].max()) if n_ok else float("nan")
    total = int(frame["requests"].sum())
    return Traffic(
        requests=total,
        answered=n_ok,
        rows=int(answered["rows"].sum()),
        refused=tuple((int(s), int(n)) for s, n in refused.items()),
        mean_ms=mean_ms,
        slowest_ms=slowest,
        since=start.isoformat(timespec="seconds"),
        bucket=bucket,
        per_step=per_step,
        sentence=_sentence(total, n_ok, int(answered["rows"].sum()), mean_ms, slowest, hours),
        refused_sentence=_refused_sentence(refused) if len(refused) else None,
    )


def _per_step(frame: pd.DataFrame) -> pd.DataFrame:
    """Answered and refused requests and the mean answer time per chart step."""
    ok = frame[frame["ok"]].groupby("step")[["requests", "total_ms"]].sum()
    bad = frame[~frame["ok"]].groupby("step")["requests"].sum()
    out = pd.DataFrame(index=sorted(set(frame["step"])))
    out["answered"] = ok["requests"].reindex(out.index).fillna(0).astype(int)
    out["refused"] = bad.reindex(out.index).fillna(0).astype(int)
    out["mean_ms"] = (ok["total_ms"] / ok["requests"]).reindex(out.index)
    return out.rename_axis("time").reset_index()


def _sentence(total: int, answered: int, rows: int, mean_ms: float, slowest: float, hours: float) -> str:
    window = f"the last {count(round(hours), 'hour')}" if hours != 24 else "the last 24 hours"
    head = f"In {window}, other programs asked this model {count(total, 'time')}"
    if not answered:
        return f"{head}, and every request was refused (below, why)."
    share = "all answered" if answered == total else f"{percent(answered / total)} answered"
    return (
        f"{head} ({share}, {count(rows, 'row')} scored). An answer took {number(mean_ms)} ms on average and "
        f"{number(slowest)} ms at the slowest: under 100 ms feels instant to a person waiting at a till."
    )


def _refused_sentence(refused: pd.Series) -> str:
    parts = [
        f"{count(int(n), 'request')} {REFUSED.get(int(s), f'failed (answer {int(s)})')}" for s, n in refused.items()
    ]
    text = "; ".join(parts)
    return (
        f"Refused: {text}. A wrong key or too many requests is the calling program's to fix; a failed answer "
        "(5xx) is Keel's: the server's log says why."
    )

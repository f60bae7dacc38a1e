"""The ``date_gaps`` check. Finds missing periods in a date column (e.g. days with no rows in daily data)."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd

from core import vocab
from core.data.findings import Finding
from core.data.quality.context import Context
from core.data.quality.facts import Facts
from core.data.quality.registry import Check, make_finding
from core.data.wording import quote

DATE_GAP = 1.5  # in a regular series, a step > 1.5x the usual step means periods are missing
DATE_SILENCE = 10.0  # in irregular (event) data, a silence > 10x the usual step (and >= 2 days)
_DATE_REGULAR = 0.8  # a series is regular when >= 80% of steps equal the usual step (±10%)
_DATE_MIN_POINTS = 10
DATE_ONE_PER_PERIOD = 1.5  # up to 1.5 rows per period: a series where every period should be there
_DATE_POISSON = -math.log(1e-4)  # event data: a silence this unlikely by chance (p < 1e-4) is a gap


def run(ctx: Context, threshold: float) -> list[Finding]:
    out = []
    for col in ctx.columns(("datetime",)):
        f = ctx.facts[col]
        if f.family != "datetime" or f.n_unique < _DATE_MIN_POINTS:
            continue
        finding = _date_gap_finding(col, f, threshold)
        if finding:
            out.append(finding)
    return out


def _date_gap_finding(col: str, f: Facts, threshold: float) -> Finding | None:
    tick_day = f.date_tick
    ticks = np.asarray(f.uniques.asi8)  # distinct, non-missing (unsorted), with their row counts
    counts = f.counts.astype("float64")

    def regular(d: np.ndarray, m: float) -> bool:
        return m > 0 and float(np.mean(np.abs(d - m) <= 0.1 * m)) >= _DATE_REGULAR

    if len(ticks) <= 100_000:  # sub-daily regular data (hourly readings): judge it as it is
        order = np.argsort(ticks)
        pts, w = ticks[order], counts[order]
        d = np.diff(pts).astype("float64")
        m = float(np.median(d))
        if 0 < m < tick_day and regular(d, m):
            missing = np.where(d > threshold * m, np.rint(d / m).astype(np.int64) - 1, 0)
            return _report_gaps(
                col,
                pts,
                w,
                missing,
                _step_name(m / tick_day),
                lambda p: str(f.instant(int(p)).astype("datetime64[s]")).replace("T", " "),
            )
    day_codes, day_ids = pd.factorize(np.floor_divide(ticks, tick_day))
    per_day = np.bincount(day_codes, weights=counts)
    order = np.argsort(day_ids)
    days, w = _trim_isolated(np.asarray(day_ids)[order], per_day[order])
    if len(days) < _DATE_MIN_POINTS:
        return None
    d = np.diff(days).astype("float64")
    m = float(np.median(d))
    show = lambda p: str(np.datetime64(int(p), "D"))  # noqa: E731
    if m == 1 and len(days) >= 20:
        dow = (days + 3) % 7  # 1970-01-01 was a Thursday; 0 = Monday
        closed = sorted(set(range(7)) - set(np.unique(dow).tolist()))
        if 0 < len(closed) <= 3:  # weekdays that never have a row (weekends, a shop shut on Sundays): not gaps
            dates = days.astype("datetime64[D]")
            missing = np.busday_count(dates[:-1], dates[1:], weekmask=[int(d not in closed) for d in range(7)]) - 1
            if closed == [5, 6]:
                return _report_gaps(col, days, w, missing, "business day", show)
            names = " or ".join(_WEEKDAY_NAMES[d] for d in closed)
            return _report_gaps(
                col,
                days,
                w,
                missing,
                "opening day",
                show,
                f" No row falls on a {names}, so those count as closing days, not gaps.",
            )
    if regular(d, m):
        missing = np.where(d > threshold * m, np.rint(d / m).astype(np.int64) - 1, 0)
        return _report_gaps(col, days, w, missing, _step_name(m), show)
    silence = d > max(DATE_SILENCE * m, 2.0)
    if not silence.any():
        return None
    biggest = int(np.argmax(d))
    a, b = show(days[biggest]), show(days[biggest + 1])
    msg = (
        f"{quote(col)} has {vocab.count(int(silence.sum()), 'long stretch', 'long stretches')} without rows; "
        "the longest is "
        f"{int(d[biggest])} days, between {a} and {b}, while rows usually come every "
        f"{'day' if m <= 1 else f'{m:.0f} days'}."
    )
    return make_finding(
        "date_gaps",
        "info",
        col,
        msg,
        "A long silence often means data is missing for that period (an outage, a lost export). "
        "Check it, especially before forecasting or comparing periods.",
        None,
        silences=int(silence.sum()),
        longest_days=int(d[biggest]),
        longest_from=a,
        longest_to=b,
    )


def _trim_isolated(days: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Drop a few end points that lie further from the rest than the rest spans (typos like 2300):
    the outliers and future_dates checks report those; here they would swamp the gap count."""
    for _ in range(3):
        if len(days) < _DATE_MIN_POINTS:
            break
        if days[-1] - days[-2] > days[-2] - days[0]:
            days, w = days[:-1], w[:-1]
        elif days[1] - days[0] > days[-1] - days[1]:
            days, w = days[1:], w[1:]
        else:
            break
    return days, w


_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _report_gaps(
    col: str,
    points: np.ndarray,
    rows: np.ndarray,
    missing: np.ndarray,
    step: str,
    show: Callable[[int], str],
    note: str = "",
) -> Finding | None:
    """Report missing periods (``missing[i]`` = periods missing between point i and i+1).

    With about one row per period every gap counts. With several random events per period an
    empty one can be chance, so a gap of L periods counts only when, at the rate of rows seen
    around it, P(no rows for L periods) = exp(-rate * L) < 1e-4 (Poisson)."""
    rate = _local_rate(rows, missing)
    missing = np.where((rate <= DATE_ONE_PER_PERIOD) | (rate * missing >= _DATE_POISSON), missing, 0)
    total = int(missing[missing > 0].sum())
    if total <= 0:
        return None
    biggest = int(np.argmax(missing))
    a, b = show(points[biggest]), show(points[biggest + 1])
    plural = step + ("s" if total != 1 else "")
    msg = (
        f"{quote(col)} has data for every {step}, except {total:,} {plural} with none "
        f"(the longest gap is between {a} and {b}).{note}"
    )
    return make_finding(
        "date_gaps",
        "warning",
        col,
        msg,
        "Missing periods break forecasts and time-based features (like 'last week's sales'). "
        "Check whether data was lost; if those periods truly had nothing, add them with zero.",
        None,
        step=step,
        missing_periods=total,
        gaps=int((missing > 0).sum()),
        longest_from=a,
        longest_to=b,
    )


def _local_rate(rows: np.ndarray, missing: np.ndarray, window: int = 14) -> np.ndarray:
    """Rows per period around each gap: the ``window`` present periods on each side."""
    n = len(rows)
    i = np.arange(len(missing))
    lo, hi = np.maximum(0, i - window + 1), np.minimum(n, i + 1 + window)
    cum_rows = np.concatenate([[0.0], np.cumsum(rows)])
    cum_missing = np.concatenate([[0], np.cumsum(missing)])
    periods = (hi - lo) + (cum_missing[hi - 1] - cum_missing[lo]) - missing
    return (cum_rows[hi] - cum_rows[lo]) / np.maximum(periods, 1)


def _step_name(days: float) -> str:
    for name, length in (
        ("minute", 1 / 1440),
        ("hour", 1 / 24),
        ("day", 1),
        ("week", 7),
        ("month", 30.44),
        ("quarter", 91.3),
        ("year", 365.25),
    ):
        if abs(days - length) <= 0.1 * length:
            return name
    if days < 1:
        return f"{days * 24:.3g}-hour period"
    return f"{days:.0f}-day period"


CHECK = Check(
    code="date_gaps",
    title="Gaps in dates",
    kinds=("datetime",),
    threshold=DATE_GAP,
    reason="In a regular series a step over 1.5 times the usual one means periods are missing; in event data a silence over 10 times the usual step (and at least 2 days) that chance would explain less than once in 10,000 is a gap.",
    rule="missing periods in a regular series -> warning; long silences in event data -> info.",
    help="Finds missing periods in a date column (e.g. days with no rows in daily data).",
    run=run,
)

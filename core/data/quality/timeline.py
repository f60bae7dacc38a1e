"""Is the table a series over time (one row per regular period: days, weeks, months)? And what a number
in it usually is at each moment, so checks judge a value against its season and trend, not against
every other value (a December peak is ordinary in a shop's monthly takings).

``time_index(facts, kinds, rows)`` finds the date column that orders the table; ``seasonal_residuals`` takes away a
rolling-median trend and the median of each position in the season, leaving what the pattern does
not explain.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.data.quality.facts import Facts

TIME_MIN_PERIODS = 10  # fewer dates than this: not a series worth judging as one
TIME_MAX_PERIODS = 20_000  # longer (sensor readings, years of hours): judged as plain columns, fast and fair there
TIME_REGULAR = 0.8  # >= 80% of steps equal the usual step (±10%): a regular series
TIME_ONE_PER_PERIOD = 0.95  # >= 95% of rows have their own date: one row per period (not a panel)
_CHUNK = 20_000

# usual step in days -> (name of one period, periods in its season; 0 = no season to learn)
_STEPS = (
    (1 / 24, "hour", 24),
    (1.0, "day", 7),
    (7.0, "week", 52),
    (30.4, "month", 12),
    (91.3, "quarter", 4),
    (365.25, "year", 0),
)


@dataclass(frozen=True)
class TimeIndex:
    column: str
    periods: int  # distinct dates
    period: str  # 'day', 'week', 'month', … ('period' when the step has no usual name)
    season: int  # periods in one season (12 for months); 0 when there is none to learn
    order: np.ndarray  # row positions sorted by date (rows without a date left out)

    @property
    def seasons_seen(self) -> float:
        return self.periods / self.season if self.season else 0.0


def _name_step(step_days: float) -> tuple[str, int]:
    for days, name, season in _STEPS:
        if abs(step_days - days) <= 0.1 * days:
            return name, season
    return "period", 0


def time_index(facts: dict[str, Facts], kinds: dict[str, str], rows: int) -> TimeIndex | None:
    """The date column that orders the table as a regular series, one row per period; None otherwise."""
    best: TimeIndex | None = None
    for col, f in facts.items():
        if kinds.get(col) != "datetime" or f.family != "datetime":
            continue
        if not TIME_MIN_PERIODS <= f.n_unique <= TIME_MAX_PERIODS or f.n_unique < TIME_ONE_PER_PERIOD * rows:
            continue
        ticks = np.sort(np.asarray(f.uniques.asi8, dtype="float64"))
        steps = np.diff(ticks)
        step = float(np.median(steps))
        if step <= 0 or float(np.mean(np.abs(steps - step) <= 0.1 * step)) < TIME_REGULAR:
            continue  # irregular dates (sales of houses, events): not a series over time
        name, season = _name_step(step / f.date_tick)
        values = f.values
        dated = np.flatnonzero(~np.isnan(values))
        order = dated[np.argsort(values[dated], kind="stable")]
        found = TimeIndex(col, f.n_unique, name, season, order)
        if best is None or found.periods > best.periods:
            best = found
    return best


def _level_around(z: np.ndarray, window: int, min_values: int) -> np.ndarray:
    """The median of the values around each one in a centred window, leaving the value itself out: a value
    is then never its own yardstick (which would squeeze the spread of what is left and make ordinary
    values look far out)."""
    half = window // 2
    padded = np.concatenate([np.full(half, np.nan), z, np.full(half, np.nan)])
    out = np.full(len(z), np.nan)
    keep = [i for i in range(window) if i != half]
    for start in range(0, len(z), _CHUNK):  # sliding windows a chunk at a time: memory stays small
        stop = min(start + _CHUNK, len(z))
        windows = np.lib.stride_tricks.sliding_window_view(padded[start : stop + 2 * half], window)[:, keep]
        gaps = np.isnan(windows)
        holed = gaps.any(axis=1)
        level = np.full(len(windows), np.nan)
        level[~holed] = _median_rows(windows[~holed])  # most windows: many times faster than nanmedian
        enough = holed & (np.sum(~gaps, axis=1) >= min_values)
        if enough.any():
            with np.errstate(all="ignore"):
                level[enough] = np.nanmedian(windows[enough], axis=1)
        out[start:stop] = level
    return out


def _median_rows(rows: np.ndarray) -> np.ndarray:
    """The median of each row (no gaps), by partial sorting."""
    k = rows.shape[1]
    if not len(rows) or not k:
        return np.full(len(rows), np.nan)
    mid = k // 2
    if k % 2:
        return np.partition(rows, mid, axis=1)[:, mid]
    part = np.partition(rows, [mid - 1, mid], axis=1)
    return (part[:, mid - 1] + part[:, mid]) / 2


def _median_of_others(z: np.ndarray) -> np.ndarray:
    """For each value, the median of the other non-missing values (a missing one: of all of them); 0 when
    there are none."""
    ok = np.flatnonzero(~np.isnan(z))
    g = len(ok)
    out = np.full(len(z), float(np.median(z[ok])) if g else 0.0)
    if g < 2:
        return out
    order = ok[np.argsort(z[ok], kind="stable")]
    a = z[order]
    rank = np.arange(g)

    def without(j: np.ndarray) -> np.ndarray:  # the j-th smallest once the value at `rank` is left out
        return a[np.where(j < rank, j, j + 1)]

    lo = (g - 2) // 2
    hi = (g - 1) // 2
    out[order] = (without(np.full(g, lo)) + without(np.full(g, hi))) / 2
    return out


def seasonal_residuals(values: np.ndarray, season: int, log: bool | None = None) -> tuple[np.ndarray, bool]:
    """What a trend and a season do not explain, for values in date order (NaN kept); and whether the
    values were judged on a log scale (by default when all are positive: a peak that grows with the trend
    stays ordinary)."""
    x = np.asarray(values, dtype="float64")
    finite = x[np.isfinite(x)]
    if log is None:
        log = bool(len(finite)) and bool(np.all(finite > 0))
    with np.errstate(all="ignore"):
        y = np.log(x) if log else x.copy()
    y[~np.isfinite(y)] = np.nan
    # take away a straight-line trend first (its slope: the median change over a season, or a period), so a
    # window cut short at either end does not lag behind a rising or falling series
    lag = season if season and len(y) >= 2 * season else 1
    if len(y) > lag:
        changes = y[lag:] - y[:-lag]
        changes = changes[np.isfinite(changes)]
        if len(changes):
            y = y - float(np.median(changes)) / lag * np.arange(len(y))
    window = max(season, 6) | 1  # odd, so the window is centred on the period
    if season and len(y) >= 2 * season:
        # the season from full windows only (a half window at either end would tilt it), then the trend
        # of what the season leaves, where a shorter window at the ends is fair
        position = np.arange(len(y)) % season
        detrended = y - _level_around(y, window, window - 1)
        seasonal = np.zeros(len(y))
        for p in range(season):
            at = np.flatnonzero(position == p)
            seasonal[at] = _median_of_others(detrended[at])
        y = y - seasonal
    return y - _level_around(y, window, 3), log

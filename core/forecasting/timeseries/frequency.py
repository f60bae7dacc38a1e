"""The regular step of a table's dates (hourly, daily, weekly, ...), the season lengths worth testing
for it, a sensible horizon, and the dates a forecast continues with."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.errors import InputError
from core.vocab import count

#: How each step is said: its label ("daily") and its unit ("day"). Sub-hourly and multi-year steps are
#: said from their number (see :class:`Frequency`).
FREQUENCY_WORDS = {
    "h": ("hourly", "hour"),
    "D": ("daily", "day"),
    "B": ("business-daily", "business day"),
    "W": ("weekly", "week"),
    "M": ("monthly", "month"),
    "Q": ("quarterly", "quarter"),
    "Y": ("yearly", "year"),
}
# candidate season lengths per frequency (non-integer -> Fourier terms); checked against the data
SEASON_CANDIDATES: dict[str, tuple[float, ...]] = {
    "h": (24.0, 168.0),
    "D": (7.0, 365.25),
    "B": (5.0, 260.0),
    "W": (52.18,),
    "M": (12.0,),
    "Q": (4.0,),
    "Y": (),
}
_WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


def season_candidates(code: str) -> tuple[float, ...]:
    """Season lengths worth testing for a frequency code: a day and a week for sub-hourly data."""
    if code.endswith("min"):
        per_day = 1440 / int(code[:-3])
        return (per_day, 7 * per_day) if per_day > 1 else (7.0,)
    return SEASON_CANDIDATES.get(code, ())


@dataclass(frozen=True)
class Frequency:
    """A regular step. ``code`` is one of h, D, B, W, M, Q, Y; ``alias`` the pandas offset alias
    used for the output dates (e.g. ``W-SUN``, ``MS``, ``QE``, ``YS``)."""

    code: str
    alias: str
    period_alias: str  # pandas Period alias used internally
    anchor: str = "start"  # dates shown at period "start" or "end"

    @property
    def minutes(self) -> int | None:
        """Step in minutes for sub-hourly data (code ``30min``), else None."""
        return int(self.code[:-3]) if self.code.endswith("min") else None

    @property
    def years(self) -> int | None:
        """Step in years for data every few years (code ``5Y``: a census, 5-yearly surveys), else None."""
        return int(self.code[:-1]) if self.code.endswith("Y") and self.code[:-1].isdigit() else None

    @property
    def label(self) -> str:
        if self.minutes:
            return f"every {self.minutes} minutes"
        if self.years:
            return f"every {self.years} years"
        return FREQUENCY_WORDS[self.code][0]

    @property
    def unit(self) -> str:
        if self.minutes:
            return f"{self.minutes}-minute period"
        if self.years:
            return f"{self.years}-year period"
        return FREQUENCY_WORDS[self.code][1]

    def units(self, n: int) -> str:
        """'2 weeks', '1 month'."""
        return count(n, self.unit)


def infer_frequency(dates: pd.Series | pd.DatetimeIndex, ids: pd.Series | None = None) -> Frequency:
    """The regular step of the dates (pooled over series). Raises InputError if it cannot tell."""
    d = pd.Series(pd.DatetimeIndex(dates))
    frame = pd.DataFrame({"d": d.to_numpy(), "g": (ids.to_numpy() if ids is not None else 0)})
    frame = frame.dropna().drop_duplicates().sort_values(["g", "d"])
    diffs = frame.groupby("g")["d"].diff().dropna()
    diffs = diffs[diffs > pd.Timedelta(0)]
    if diffs.empty:
        raise InputError(
            "There is only one distinct date, so there is no time series to forecast.",
            "Use a table with one row per date (at least a few dates per series).",
        )
    seconds = np.round(diffs.dt.total_seconds().to_numpy())
    days = seconds / 86400.0
    # the most common step (the smallest on ties): gaps are multiples of it
    vals, counts = np.unique(seconds, return_counts=True)
    step = float(vals[counts == counts.max()].min()) / 86400.0
    u = pd.DatetimeIndex(frame["d"].unique())
    if step < 0.9:
        minutes = max(1, round(step * 1440))
        if minutes == 60:
            return Frequency("h", "h", "h")
        if 1440 % minutes == 0:  # 1, 2, 5, 10, 15, 20, 30 minutes, 2, 3, 4, 6, 8, 12 hours
            return Frequency(f"{minutes}min", f"{minutes}min", f"{minutes}min")
        return Frequency("h", "h", "h")  # an odd step: hourly totals
    if step < 1.5:
        # business days: no weekend dates at all, and 3-day steps over weekends
        if (u.day_of_week < 5).all() and np.any(np.isclose(days, 3)) and len(u) > 10:
            return Frequency("B", "B", "B")
        return Frequency("D", "D", "D")
    if step < 10:
        wd = int(pd.Series(u.day_of_week).mode().iloc[0])
        end_day = _WEEKDAYS[(wd - 1) % 7]  # a week ending the day before the shown weekday
        return Frequency("W", f"W-{_WEEKDAYS[wd]}", f"W-{end_day}")
    month_end = bool((u.is_month_end).all())
    if step < 50:
        return Frequency("M", "ME" if month_end else "MS", "M", "end" if month_end else "start")
    if step < 200:
        # quarter anchored on the months actually used
        return Frequency("Q", "QE" if month_end else "QS", "Q-DEC", "end" if month_end else "start")
    year_end = bool((u.is_year_end).all())
    every = round(step / 365.25)
    if every >= 2 and not year_end:  # every 5 or 10 years (gapminder, a census): not yearly with gaps
        return Frequency(f"{every}Y", f"{every}YS", f"{every}Y-DEC", "start")
    return Frequency("Y", "YE" if year_end else "YS", "Y-DEC", "end" if year_end else "start")


def event_times(work: pd.DataFrame, freq: Frequency) -> bool:
    """True when sub-daily time stamps are events (sales at their own times), not a regular clock.

    Events either miss the step's grid (times at 9:03, 9:11, 9:40: the most common gap is only one
    of many) or fill a tiny share of it (sales stamped to the minute: a few minutes a day).
    """
    if not (freq.minutes or freq.code == "h"):
        return False
    step = 60 * (freq.minutes or 60)
    t = work[["g", "d"]].drop_duplicates().sort_values(["g", "d"])
    secs = t.groupby("g")["d"].diff().dropna().dt.total_seconds().to_numpy()
    secs = secs[secs > 0]
    if secs.size < 2:
        return False
    on_grid = float(np.mean(np.isclose(secs / step, np.round(secs / step))))
    span = t.groupby("g")["d"].agg(["min", "max"])
    grid = float(((span["max"] - span["min"]).dt.total_seconds() / step + 1).sum())
    return on_grid < 0.5 or len(t) / max(grid, 1.0) < 0.05


_HORIZONS = {"h": 48, "B": 20, "D": 28, "W": 8, "M": 6, "Q": 4, "Y": 3}


def default_horizon(freq: Frequency) -> int:
    """A sensible number of periods to forecast: four weeks of days, two months of weeks, half a year
    of months, a year of quarters, three years; a day of sub-hourly data; two steps of multi-year data."""
    if freq.minutes:
        return max(1, 1440 // freq.minutes)
    if freq.years:
        return 2
    return _HORIZONS.get(freq.code, 12)


def to_dates(periods, freq: Frequency) -> pd.DatetimeIndex:
    if freq.code == "B":  # business days are kept as plain dates (Period[B] is deprecated in pandas)
        return pd.DatetimeIndex(periods)
    if freq.anchor == "end":
        return pd.DatetimeIndex(periods.to_timestamp(how="end")).normalize()
    return pd.DatetimeIndex(periods.to_timestamp(how="start"))


def period_keys(dates: pd.Series, freq: Frequency):
    if freq.code == "B":
        return pd.DatetimeIndex(dates).normalize()
    return pd.PeriodIndex(pd.DatetimeIndex(dates), freq=freq.period_alias)


def full_range(lo, hi, freq: Frequency):
    if freq.code == "B":
        return pd.bdate_range(lo, hi)
    return pd.period_range(lo, hi, freq=freq.period_alias)


def future_dates(last: pd.Timestamp, h: int, freq: Frequency) -> pd.DatetimeIndex:
    if freq.code == "B":
        return pd.bdate_range(pd.Timestamp(last) + pd.offsets.BDay(1), periods=h)
    p = pd.Period(last, freq=freq.period_alias)
    periods = pd.period_range(p + 1, periods=h, freq=freq.period_alias)
    return to_dates(periods, freq)


def coarser_frequency(code: str) -> Frequency:
    if code in ("h", "H"):  # hourly totals of readings taken every few minutes
        return Frequency("h", "h", "h")
    code = code.upper()[:1]
    if code == "D":
        return Frequency("D", "D", "D")
    if code == "W":
        return Frequency("W", "W-MON", "W-SUN")
    if code == "M":
        return Frequency("M", "MS", "M")
    if code == "Q":
        return Frequency("Q", "QS", "Q-DEC")
    if code in ("Y", "A"):
        return Frequency("Y", "YS", "Y-DEC")
    raise InputError(
        f"Unknown frequency '{code}' to aggregate to.",
        "Choose one of D (daily), W (weekly), M (monthly), Q (quarterly) or Y (yearly).",
    )

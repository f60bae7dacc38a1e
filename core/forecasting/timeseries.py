"""Time-series preparation: long-format table -> regular series per id, plus plain-language findings.

The input is one row per date (and per series id). We accept real dates and plain integer years,
infer the frequency, sum duplicated dates, optionally aggregate to a coarser frequency, and make
the index regular. Missing periods are either ``missing`` (unknown, interpolated for fitting) or
``zero`` (nothing sold) -- the user's choice; :func:`suggest_fill` proposes one.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.data.quality import Finding
from core.errors import InputError

# frequency code -> (pandas period alias builder, plain label, singular unit, default season candidates)
_LABELS = {
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
COARSER = ("D", "W", "M", "Q", "Y")
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
        return _LABELS[self.code][0]

    @property
    def unit(self) -> str:
        if self.minutes:
            return f"{self.minutes}-minute period"
        if self.years:
            return f"{self.years}-year period"
        return _LABELS[self.code][1]

    def units(self, n: int) -> str:
        """'2 weeks', '1 month'."""
        u = self.unit
        return f"{n} {u}" if n == 1 else f"{n} {u}s"


@dataclass(frozen=True)
class Series:
    """One regular series. ``values`` has NaN where a period is missing (when fill='missing')."""

    id: str | None
    dates: pd.DatetimeIndex
    values: np.ndarray
    findings: tuple[Finding, ...] = ()

    @property
    def n(self) -> int:
        return len(self.values)


@dataclass(frozen=True)
class Panel:
    """All series of a table, prepared. ``fill`` is what was done with missing periods."""

    frequency: Frequency
    series: tuple[Series, ...]
    findings: tuple[Finding, ...]  # table-wide findings (per-series ones live on each Series)
    fill: str  # "zero" | "missing"
    suggested_fill: str
    integer_years: bool = False
    value: str = "value"
    date: str = "date"
    id: str | None = None
    aggregated_from: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def all_findings(self) -> tuple[Finding, ...]:
        return self.findings + tuple(f for s in self.series for f in s.findings)


# --------------------------------------------------------------------------- parsing


def _check_column(frame: pd.DataFrame, col: str | None, role: str) -> None:
    if col is None:
        return
    if col not in frame.columns:
        shown = ", ".join(f"'{c}'" for c in list(frame.columns)[:12])
        raise InputError(
            f"There is no column '{col}' for the {role} in this table (columns: {shown}).",
            f"Choose one of the table's columns as the {role}.",
        )


def parse_dates(raw: pd.Series, column: str) -> tuple[pd.Series, bool]:
    """Parse a date column; plain integer years (e.g. 1990, 2024) become 1 January of that year.

    Returns (timestamps, integer_years). Raises InputError naming the first value that is not a date.
    """
    s = raw
    nonnull = s.dropna()
    if nonnull.empty:
        raise InputError(
            f"The date column '{column}' is empty.",
            "Choose a column that holds dates (or years) for every row.",
        )
    if pd.api.types.is_datetime64_any_dtype(s):
        out = pd.to_datetime(s)
        if getattr(out.dt, "tz", None) is not None:
            out = out.dt.tz_localize(None)
        return out, False
    # plain integer years (ints, or floats/strings that are whole numbers in a plausible range)
    num = pd.to_numeric(nonnull, errors="coerce") if not pd.api.types.is_bool_dtype(s) else None
    if num is not None and num.notna().all():
        whole = bool(np.all(np.isclose(num, np.round(num))))
        if whole and num.between(1000, 2999).all():
            years = pd.to_numeric(s, errors="coerce").round().astype("Int64")
            out = pd.to_datetime(years.astype("string") + "-01-01", format="%Y-%m-%d", errors="coerce")
            return out, True
        decimal = _decimal_years(pd.to_numeric(s, errors="coerce")) if num.between(1000, 2999).all() else None
        if decimal is not None:
            return decimal, False
        if whole and num.between(10000101, 29991231).all():  # 20240131, as databases export dates
            digits = pd.to_numeric(s, errors="coerce").round().astype("Int64").astype("string")
            out = pd.to_datetime(digits, format="%Y%m%d", errors="coerce")
            if out[digits.notna()].notna().all():
                return out, False
        raise InputError(
            f"The date column '{column}' holds numbers, not dates (first: {num.iloc[0]:g}).",
            "Choose a column with dates such as 2024-03-31, plain years such as 2024, or decimal years "
            "by month or quarter such as 1949.25 (April 1949, as R writes them).",
        )
    text = s.astype("string").str.strip()
    periods = _periods(text)
    if periods is not None:
        return periods, False
    with warnings.catch_warnings():  # "Could not infer format": the values are checked below
        warnings.simplefilter("ignore", UserWarning)
        out = pd.to_datetime(text, errors="coerce", dayfirst=_day_first(text))
        if out[text.notna()].isna().mean() > 0:
            try:
                alt = pd.to_datetime(text, errors="coerce", format="mixed")
            except (ValueError, TypeError):
                alt = out
            if alt.isna().sum() < out.isna().sum():
                out = alt
    bad = text.notna() & out.isna()
    if bad.any():
        first = text[bad].iloc[0]
        n_bad = int(bad.sum())
        what = "value is" if n_bad == 1 else "values are"
        raise InputError(
            f"{n_bad} {what} in '{column}' not dates (first: '{first}', row {int(np.flatnonzero(bad.to_numpy())[0]) + 1}).",
            "Fix them in the file, or choose another date column.",
        )
    if getattr(out.dt, "tz", None) is not None:
        out = out.dt.tz_convert(None)
    return out, False


_DAY_MONTH = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-]\d")


def _day_first(text: pd.Series) -> bool:
    """Whether 01/02/2024-style dates are day/month: one order for the whole column, decided by the
    values whose first number is above 12 (13/02/2024) and none whose second is."""
    valid = text.dropna()
    if valid.empty or not _DAY_MONTH.match(valid.iloc[0]):
        return False
    parts = valid.str.extract(_DAY_MONTH).apply(pd.to_numeric, errors="coerce")
    return bool((parts[0] > 12).any() and not (parts[1] > 12).any())


def _decimal_years(t: pd.Series) -> pd.Series | None:
    """R's decimal times (1949.0, 1949.0833, ... or 1956.25 for the second quarter) as month starts,
    when every value sits on a month (or quarter) boundary; else None."""
    valid = t.dropna()
    months = (valid - np.floor(valid + 1e-9)) * 12
    if valid.empty or not np.allclose(months, np.round(months), atol=1e-3):
        return None
    year = np.floor(t + 1e-9).astype("Int64").astype("string")
    month = (np.round((t - np.floor(t + 1e-9)) * 12) + 1).astype("Int64").astype("string").str.zfill(2)
    return pd.to_datetime(year + "-" + month + "-01", format="%Y-%m-%d", errors="coerce")


_QUARTER = re.compile(r"^(?:(?P<y1>\d{4})\s*[-/ ]?\s*Q(?P<q1>[1-4])|Q(?P<q2>[1-4])\s*[-/ ]?\s*(?P<y2>\d{4}))$", re.I)
_WEEK = re.compile(r"^(?P<y>\d{4})\s*[-/ ]?\s*W(?P<w>\d{1,2})$", re.I)
# months as statistics offices write them ('2021M01') and as month and year alone ('Jan 21',
# 'Jan-2021'): with no day, 'Jan 21' is January 2021 in a date column, not the 21st of January
_MONTH_CODE = re.compile(r"^(?P<y>\d{4})\s*M(?P<m>\d{1,2})$", re.I)
_MONTH_YEAR = re.compile(r"^(?P<name>[A-Za-z]{3,9})\.?[\s\-/'’]*(?P<y>\d{2}|\d{4})$")
_MONTHS = {
    name: i + 1
    for i, names in enumerate(
        zip(
            ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
            (
                "january",
                "february",
                "march",
                "april",
                "may",
                "june",
                "july",
                "august",
                "september",
                "october",
                "november",
                "december",
            ),
        )
    )
    for name in names
} | {"sept": 9}


def _periods(text: pd.Series) -> pd.Series | None:
    """Months ('2021M01', 'Jan 21', 'January 2021') and quarters ('1981 Q1', '1981-Q1', 'Q1 1981') as
    their first day, and ISO weeks ('1991 W06', '1991-W06') as their Monday, when every value is one;
    else None."""
    valid = text.dropna()
    first = valid.iloc[0] if not valid.empty else ""
    if not any(p.match(first) for p in (_QUARTER, _WEEK, _MONTH_CODE, _MONTH_YEAR)):
        return None  # the usual case, dates: decided by one value, not a regex over a million rows
    months = _month_labels(valid)
    if months is not None:
        return months.reindex(text.index)
    q = valid.str.extract(_QUARTER)
    if q.notna().any(axis=1).all():
        year = q["y1"].fillna(q["y2"])
        quarter = q["q1"].fillna(q["q2"]).astype(int)
        starts = year + "-" + (3 * quarter - 2).astype(str).str.zfill(2) + "-01"
        return pd.to_datetime(starts, format="%Y-%m-%d").reindex(text.index)
    w = valid.str.extract(_WEEK)
    if w.notna().all(axis=1).all():
        mondays = w["y"] + "-W" + w["w"].str.zfill(2) + "-1"
        out = pd.to_datetime(mondays, format="%G-W%V-%u", errors="coerce")
        return out.reindex(text.index) if out.notna().all() else None
    return None


def _month_labels(valid: pd.Series) -> pd.Series | None:
    """'2021M01', 'Jan 21', 'Jan-2021', 'January 2021' as the month's first day, when every value is one."""
    code = valid.str.extract(_MONTH_CODE)
    if code.notna().all(axis=1).all():
        year, month = code["y"].astype(int), code["m"].astype(int)
    else:
        named = valid.str.extract(_MONTH_YEAR)
        month = named["name"].str.lower().map(_MONTHS)
        if not (named.notna().all(axis=1) & month.notna()).all():
            return None
        year = named["y"].astype(int)
        year = year.where(named["y"].str.len() == 4, np.where(year < 69, 2000 + year, 1900 + year))  # as %y
    if not month.between(1, 12).all():
        return None
    return pd.to_datetime(pd.DataFrame({"year": year, "month": month.astype(int), "day": 1}))


def parse_values(raw: pd.Series, column: str) -> pd.Series:
    if pd.api.types.is_bool_dtype(raw):
        return raw.astype(float)
    if pd.api.types.is_numeric_dtype(raw):
        return raw.astype(float)
    text = raw.astype("string").str.strip().str.replace(r"[\s,](?=\d{3}\b)", "", regex=True)
    num = pd.to_numeric(text, errors="coerce")
    bad = text.notna() & (text != "") & num.isna()
    if bad.any():
        n_bad = int(bad.sum())
        first = text[bad].iloc[0]
        what = "value is" if n_bad == 1 else "values are"
        raise InputError(
            f"{n_bad} {what} in '{column}' not numbers (first: '{first}', row {int(np.flatnonzero(bad.to_numpy())[0]) + 1}).",
            "Choose a numeric column (such as units sold) as the value, or fix those cells.",
        )
    return num.astype(float)


# --------------------------------------------------------------------------- frequency


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
        minutes = max(1, int(round(step * 1440)))
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
    every = int(round(step / 365.25))
    if every >= 2 and not year_end:  # every 5 or 10 years (gapminder, a census): not yearly with gaps
        return Frequency(f"{every}Y", f"{every}YS", f"{every}Y-DEC", "start")
    return Frequency("Y", "YE" if year_end else "YS", "Y-DEC", "end" if year_end else "start")


def _event_times(work: pd.DataFrame, freq: Frequency) -> bool:
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


def guess_frequency(frame: pd.DataFrame, date: str, id: str | Sequence[str] | None = None) -> Frequency | None:
    """The step a forecast of ``frame`` would use (single sales count as days), or None if the dates do not parse."""
    try:
        frame, id = series_key(frame, id)
        dates, years = parse_dates(frame[date], date)
        ids = frame[id].astype("string") if id else pd.Series(0, index=frame.index)
        work = pd.DataFrame({"d": dates.to_numpy(), "g": ids.to_numpy()}).dropna(subset=["d"])
        freq, events = _step(work, years)
    except (InputError, KeyError, ValueError, TypeError):
        return None
    return coarser_frequency("D") if events else freq


def _step(work: pd.DataFrame, integer_years: bool) -> tuple[Frequency, bool]:
    """The dates' step (columns d and g: date and series), and whether they are single events."""
    freq = infer_frequency(work["d"], work["g"])
    if integer_years and not freq.years:
        return Frequency("Y", "YS", "Y-DEC", "start"), False
    return freq, _event_times(work, freq)


def _to_dates(periods, freq: Frequency) -> pd.DatetimeIndex:
    if freq.code == "B":  # business days are kept as plain dates (Period[B] is deprecated in pandas)
        return pd.DatetimeIndex(periods)
    if freq.anchor == "end":
        return pd.DatetimeIndex(periods.to_timestamp(how="end")).normalize()
    return pd.DatetimeIndex(periods.to_timestamp(how="start"))


def _keys(dates: pd.Series, freq: Frequency):
    if freq.code == "B":
        return pd.DatetimeIndex(dates).normalize()
    return pd.PeriodIndex(pd.DatetimeIndex(dates), freq=freq.period_alias)


def _full(lo, hi, freq: Frequency):
    if freq.code == "B":
        return pd.bdate_range(lo, hi)
    return pd.period_range(lo, hi, freq=freq.period_alias)


def future_dates(last: pd.Timestamp, h: int, freq: Frequency) -> pd.DatetimeIndex:
    if freq.code == "B":
        return pd.bdate_range(pd.Timestamp(last) + pd.offsets.BDay(1), periods=h)
    p = pd.Period(last, freq=freq.period_alias)
    periods = pd.period_range(p + 1, periods=h, freq=freq.period_alias)
    return _to_dates(periods, freq)


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


# --------------------------------------------------------------------------- fill suggestion


def counts_like(values: np.ndarray) -> bool:
    """Sales-like counts: whole numbers, at most a few of them (5 %) negative (returns, corrections)."""
    v = values[np.isfinite(values)]
    return bool(v.size and np.mean(v < 0) <= 0.05 and np.allclose(v, np.round(v)))


def suggest_fill(values: np.ndarray) -> str:
    """'zero' for sales-like counts (see :func:`counts_like`), else 'missing'."""
    return "zero" if counts_like(values) else "missing"


# --------------------------------------------------------------------------- findings


def _f(code: str, severity: str, column: str, message: str, advice: str, series: str | None, **details) -> Finding:
    return Finding(
        code=code,
        severity=severity,
        column=column,
        message=message,
        advice=advice,
        details={"series": series, **details},
    )


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, length) of runs of True."""
    out = []
    n = len(mask)
    i = 0
    while i < n:
        if mask[i]:
            j = i
            while j < n and mask[j]:
                j += 1
            out.append((i, j - i))
            i = j
        else:
            i += 1
    return out


def edge_runs(mask: np.ndarray) -> tuple[int, int]:
    """How many values at the start and at the end of ``mask`` are True (e.g. leading/trailing zeros)."""
    mask = np.asarray(mask, dtype=bool)
    if mask.all():
        return mask.size, mask.size
    false = np.flatnonzero(~mask)
    return int(false[0]), int(mask.size - 1 - false[-1])


def launch_zeros(values: np.ndarray) -> int:
    """How many leading zeros look like "not on sale yet" (0 if none): a run of 3 or more that would
    be very unlikely by chance (under 1 %) given how often the rest of the series is zero. A slow seller
    with zeros on half its days often starts with three zeros; that is no launch, and dropping them
    would cost the history it needs (two years of days to see a yearly pattern)."""
    zero = np.asarray(values, dtype=float) == 0
    lead, _ = edge_runs(zero)
    if lead < 3 or lead >= zero.size:
        return 0
    p_zero = float(zero[lead:].mean())
    return lead if p_zero**lead < 0.01 else 0


def stockout_runs(values: np.ndarray) -> list[tuple[int, int]]:
    """(start, length) of inner runs of 3+ zeros in a series that usually sells (<30 % zeros, median >= 2)."""
    v = np.asarray(values, dtype=float)
    finite = np.isfinite(v)
    x = v[finite]
    if len(x) <= 10:
        return []
    zero = finite & (v == 0)
    if float(zero[finite].mean()) >= 0.3:
        return []
    pos = x[x > 0]
    if not pos.size or float(np.median(pos)) < 2:
        return []
    lead, trail = edge_runs(zero)
    inner = zero.copy()
    inner[:lead] = False
    inner[len(v) - trail :] = False
    return [(s, L) for s, L in _runs(inner) if L >= 3]


def series_findings(
    values: np.ndarray,
    sid: str | None,
    column: str,
    freq: Frequency,
    n_missing: int = 0,
    fill: str = "missing",
    horizon: int | None = None,
) -> list[Finding]:
    """Plain-language findings for one regular series."""
    name = f"'{sid}'" if sid is not None else f"'{column}'"
    out: list[Finding] = []
    v = np.asarray(values, dtype=float)
    n = len(v)
    finite = np.isfinite(v)
    x = v[finite]
    min_len = 2 * max(1, {"D": 7, "W": 4, "M": 12, "Q": 4}.get(freq.code, 1))
    if len(x) < 2:
        out.append(
            _f(
                "too_short_history",
                "critical",
                column,
                f"Series {name} has only {len(x)} {freq.unit}(s) of data.",
                "A forecast needs at least 2 points (better a few seasons); this series gets none. "
                "Collect more history, or check that the series id column is right.",
                sid,
                n=len(x),
            )
        )
    elif n < 3 or len(x) < 3:
        out.append(
            _f(
                "too_short_history",
                "critical",
                column,
                f"Series {name} has only {len(x)} {freq.unit}(s) of data.",
                "At least 3 points are needed for a real forecast; we show a flat forecast only. Collect more history.",
                sid,
                n=len(x),
            )
        )
    elif n < min_len:
        out.append(
            _f(
                "too_short_history",
                "warning",
                column,
                f"Series {name} has only {freq.units(n)} of history.",
                f"Forecasts from short histories are rough; with at least {freq.units(min_len)} Keel can check them against the past.",
                sid,
                n=n,
            )
        )
    if horizon is not None and horizon > n:
        out.append(
            _f(
                "horizon_longer_than_history",
                "warning",
                column,
                f"The forecast horizon ({freq.units(horizon)}) is longer than the history of {name} ({freq.units(n)}).",
                "Forecasts that far ahead are guesses; shorten the horizon or use more history.",
                sid,
            )
        )
    if n_missing:
        what = "counted as zero" if fill == "zero" else "left missing and filled in by interpolation for fitting"
        out.append(
            _f(
                "missing_periods",
                "info" if n_missing <= 0.05 * n else "warning",
                column,
                f"Series {name} has {n_missing} {freq.unit}(s) with no row; they were {what}.",
                "Choose 'zero' if no row means nothing was sold, or 'missing' if the data are simply not recorded "
                "(on the Forecast page, or --fill on the command line).",
                sid,
                n=n_missing,
            )
        )
    if len(x) == 0:
        return out
    if (x < 0).any():
        k = int((x < 0).sum())
        out.append(
            _f(
                "negative_values",
                "warning",
                column,
                f"Series {name} has {k} negative value(s) (lowest {x.min():g}).",
                "Negative sales usually mean returns or corrections. Check them; order suggestions treat them as lower demand.",
                sid,
                n=k,
            )
        )
    zero = finite & (v == 0)
    zero_share = float(zero[finite].mean())
    all_zero_lead, trail = edge_runs(zero)
    lead = launch_zeros(v[finite])
    if lead:
        out.append(
            _f(
                "leading_zeros",
                "info",
                column,
                f"Series {name} starts with {freq.units(lead)} of zeros.",
                "This often means the product was launched later; Keel ignores those leading zeros when fitting.",
                sid,
                n=lead,
            )
        )
    if trail >= 3 and trail < n and zero_share < 0.8:
        out.append(
            _f(
                "trailing_zeros",
                "warning",
                column,
                f"Series {name} ends with {freq.units(trail)} of zeros.",
                "Was the product discontinued or out of stock? The forecast will follow the recent zeros.",
                sid,
                n=trail,
            )
        )
    if zero_share >= 0.3 and all_zero_lead < n:
        out.append(
            _f(
                "intermittent_demand",
                "info",
                column,
                f"Series {name} is zero in {zero_share:.0%} of {freq.unit}s (intermittent demand).",
                "Keel tries Croston/SBA, a method made for items that sell now and then.",
                sid,
                zero_share=round(zero_share, 3),
            )
        )
    elif zero_share < 0.3 and len(x) > 10:
        pos = x[x > 0]
        typical = float(np.median(pos)) if pos.size else 0.0
        long_runs = stockout_runs(v)
        if long_runs:
            s, L = max(long_runs, key=lambda r: r[1])
            out.append(
                _f(
                    "stockout_zeros",
                    "warning",
                    column,
                    f"Series {name} has {len(long_runs)} run(s) of zeros (longest {freq.units(L)}) although it usually sells about {typical:g}.",
                    "These look like stock-outs: true demand was probably not zero, so the forecast may be too low. If so, "
                    "empty those cells (or delete those rows and choose 'unknown' for periods with no row) so they are not read as no demand.",
                    sid,
                    runs=len(long_runs),
                    longest=L,
                    start=s,
                )
            )
    if len(x) >= 12:
        med = pd.Series(v).rolling(7, center=True, min_periods=3).median().to_numpy()
        dev = v - med
        d = dev[np.isfinite(dev)]
        mad = float(np.median(np.abs(d - np.median(d)))) * 1.4826 if d.size else 0.0
        if mad > 0:
            idx = np.flatnonzero(np.abs(dev) > 6 * mad)
            if idx.size and idx.size <= 0.05 * n and not zero_share >= 0.3:
                out.append(
                    _f(
                        "outliers",
                        "info" if idx.size <= 2 else "warning",
                        column,
                        f"Series {name} has {idx.size} unusual value(s) (e.g. {v[idx[0]]:g} where about {med[idx[0]]:g} was typical).",
                        (
                            "Check them. A typing error should be fixed in the file. A real one-off (a big order) can pull the "
                            "forecast up; a known event that comes back (a promotion, a holiday) is real demand, "
                            "but the forecast does not know when it comes next, so plan for it on top."
                        ),
                        sid,
                        n=int(idx.size),
                        positions=[int(i) for i in idx[:10]],
                    )
                )
    return out


def lagged_copy_findings(frame: pd.DataFrame, date: str, value: str, id: str | None) -> list[Finding]:
    """Other numeric columns that are the value shifted by 1-3 periods (they would leak the answer)."""
    out: list[Finding] = []
    others = [c for c in frame.columns if c not in (date, value, id) and pd.api.types.is_numeric_dtype(frame[c])]
    if not others:
        return out
    f = frame.sort_values([id, date] if id else [date])
    y = pd.to_numeric(f[value], errors="coerce")
    for c in others[:50]:
        col = f[c].astype(float)
        for lag in (1, 2, 3):
            shifted = y.groupby(f[id]).shift(lag) if id else y.shift(lag)
            ok = shifted.notna() & col.notna()
            if ok.sum() >= 5 and np.isclose(shifted[ok], col[ok]).mean() > 0.95:
                out.append(
                    Finding(
                        code="lagged_copy",
                        severity="warning",
                        column=str(c),
                        message=f"Column '{c}' is '{value}' from {lag} period(s) earlier.",
                        advice="It is a lagged copy of what you forecast; Keel does not use it as an input. Remove it if it was meant as a predictor.",
                        details={"lag": lag},
                    )
                )
                break
    return out


# --------------------------------------------------------------------------- main entry


ID_JOIN = " · "  # between the parts of a series name made of several columns: 'Store 3 · Item 12'


def series_key(frame: pd.DataFrame, id: str | Sequence[str] | None) -> tuple[pd.DataFrame, str | None]:
    """One series-id column for ``id``: a column name, or several (a store and a product) joined into one.

    Returns the frame (with the joined column in place of its parts) and that column's name.
    """
    if id is None or isinstance(id, str):
        return frame, id
    cols = list(dict.fromkeys(id))
    if not cols:
        return frame, None
    for col in cols:
        _check_column(frame, col, "series id")
    if len(cols) == 1:
        return frame, cols[0]
    name = ID_JOIN.join(cols)
    key = frame[cols[0]].astype("string").fillna("(blank)")
    for col in cols[1:]:
        key = key + ID_JOIN + frame[col].astype("string").fillna("(blank)")
    return frame.drop(columns=cols).assign(**{name: key}), name


def long_format(
    frame: pd.DataFrame, date: str, value: str | Sequence[str], id: str | Sequence[str] | None
) -> tuple[pd.DataFrame, str, str | None]:
    """A wide table (one column per product: 'Month, Apples, Pears') as one row per date and column.

    Returns the frame, the value column and the series-id column: with several value columns the
    values go to 'value' and each column's name becomes its series' name (joined to ``id``'s, if any).
    """
    frame, id = series_key(frame, id)
    if isinstance(value, str):
        return frame, value, id
    values = list(dict.fromkeys(value))
    if not values:
        raise InputError("No column was chosen to forecast.", "Choose the column with the numbers to forecast.")
    for col in values:
        _check_column(frame, col, "value")
    if len(values) == 1:
        return frame, values[0], id
    if date in values or (id is not None and id in values):
        raise InputError(
            f"'{date if date in values else id}' cannot be both a value to forecast and the "
            f"{'date' if date in values else 'series id'}.",
            "Choose other columns to forecast.",
        )
    keep = [date] + ([id] if id else [])
    long = frame[keep + values].melt(id_vars=keep, value_vars=values, var_name="__column", value_name="value")
    name = "column" if id is None else ID_JOIN.join([id, "column"])
    key = long["__column"].astype("string")
    if id is not None:
        key = long[id].astype("string").fillna("(blank)") + ID_JOIN + key
    return long.drop(columns=["__column"] + ([id] if id else [])).assign(**{name: key}), "value", name


def series_names(frame: pd.DataFrame, value: str | Sequence[str], id: str | Sequence[str] | None) -> list[str]:
    """The names :func:`long_format` gives the series (for a picker), sorted; [] for a single series.

    Cheap on a big table: the ids' distinct values crossed with the value columns, no reshaping.
    """
    values = [value] if isinstance(value, str) else list(dict.fromkeys(value))
    names: list[str] = []
    if id is not None and (isinstance(id, str) or list(id)):
        keyed, key = series_key(frame, id)
        names = sorted(keyed[key].dropna().astype(str).unique().tolist())
    if len(values) > 1:  # one series per value column (per id and column, with an id)
        names = sorted(ID_JOIN.join((n, v)) for n in names for v in values) if names else sorted(values)
    return names


def prepare(
    frame: pd.DataFrame,
    date: str,
    value: str | Sequence[str],
    id: str | Sequence[str] | None = None,
    *,
    aggregate_to: str | None = None,
    fill: str = "auto",
    horizon: int | None = None,
    stockouts_as_missing: bool = False,
) -> Panel:
    """Validate and regularise a long-format table into one regular series per id.

    ``fill``: 'zero' (missing periods mean nothing happened), 'missing' (unknown) or 'auto'
    (zero for sales-like counts). ``aggregate_to``: 'W', 'M', 'Q' or 'Y' to sum to a coarser step.
    ``stockouts_as_missing``: runs of 3+ zeros in an item that usually sells are treated as unknown
    (likely stock-outs) rather than as zero demand.
    """
    if not isinstance(frame, pd.DataFrame) or frame.empty:
        raise InputError("The table is empty.", "Upload a file with one row per date (and per product).")
    _check_column(frame, date, "date")
    frame, value, id = long_format(frame, date, value, id)
    for col, role in ((date, "date"), (value, "value"), (id, "series id")):
        _check_column(frame, col, role)
    if fill not in ("auto", "zero", "missing"):
        raise InputError(f"Unknown gap handling '{fill}'.", "Choose 'zero', 'missing' or 'auto'.")
    dates, integer_years = parse_dates(frame[date], date)
    values = parse_values(frame[value], value)
    if id is not None:
        ids = frame[id].astype("string").fillna("(blank)")
    else:
        ids = pd.Series(["__all__"] * len(frame), index=frame.index, dtype="string")
    work = pd.DataFrame({"d": dates.to_numpy(), "y": values.to_numpy(), "g": ids.to_numpy()})
    n_nodate = int(work["d"].isna().sum())
    work = work.dropna(subset=["d"])
    if len(work) < 2 or work["d"].nunique() < 2:
        raise InputError(
            f"There is only {work['d'].nunique()} distinct date in '{date}', so there is nothing to forecast from.",
            "Use a table with one row per date: at least a few dates per series.",
        )
    freq, events = _step(work, integer_years)
    events = events and not aggregate_to
    table_findings: list[Finding] = []
    aggregated_from = None
    if events:
        # a till or web-shop export: one row per sale at its own time, not readings on a clock
        table_findings.append(
            Finding(
                code="event_times",
                severity="info",
                column=date,
                message=f"The times in '{date}' vary from row to row, so each row looks like a single sale or event "
                "rather than a reading on a regular clock. Keel added the values up per day.",
                advice="Choose weekly or monthly totals if you order less often (Add up to on the Forecast page, "
                "--aggregate on the command line). If the values are readings such as temperatures, adding "
                "them up is wrong: make one row per regular time first.",
                details={"step": freq.label},
            )
        )
        aggregate_to = "D"
    if aggregate_to:
        target = coarser_frequency(aggregate_to)
        order = {"h": -1, "B": 0, "D": 0, "W": 1, "M": 2, "Q": 3, "Y": 4}
        if order[target.code] < order.get(freq.code, 5 if freq.years else -2):
            raise InputError(
                f"The data are {freq.label}; they cannot be split into {target.label} values.",
                f"Choose a coarser step than {freq.label} (or keep {freq.label}).",
            )
        if target.code != freq.code:
            aggregated_from = "single time stamps" if events else freq.label
            freq = target
    work["p"] = _keys(work["d"], freq)
    dup = work.duplicated(subset=["g", "p"], keep=False)
    if dup.any() and aggregated_from is None:
        n_dup = int(work[dup].drop_duplicates(subset=["g", "p"]).shape[0])
        exact = work.duplicated(subset=["g", "d"], keep=False).any()
        advice = (
            "We added them up (one total per date). If each row is a different product or store, "
            "choose that column as the series id."
            if id is None or exact
            else "We added them up per period. Check that the dates are what you expect."
        )
        table_findings.append(
            Finding(
                code="duplicate_dates",
                severity="warning",
                column=date,
                message=f"{n_dup} date(s) appear more than once{' within a series' if id else ''} in '{date}'.",
                advice=advice,
                details={"n": n_dup},
            )
        )
    if n_nodate:
        table_findings.append(
            Finding(
                code="missing_values",
                severity="warning",
                column=date,
                message=f"{n_nodate} row(s) have no date in '{date}' and were left out.",
                advice="Fill in the dates in the file if those rows matter.",
                details={"n": n_nodate},
            )
        )
    # irregular steps: steps that are not whole multiples of the inferred one
    if aggregated_from is None:
        periods = work.drop_duplicates(subset=["g", "p"]).sort_values(["g", "p"])
        prev = periods.groupby("g")["p"].shift().dropna()
        cur = periods.loc[prev.index, "p"]
        if not len(prev):
            k = np.array([])
        elif freq.code == "B":
            k = np.busday_count(prev.to_numpy().astype("datetime64[D]"), cur.to_numpy().astype("datetime64[D]"))
        else:  # whole periods between neighbours (a 30-minute step counts n=30 minutes)
            k = np.array([d.n for d in (cur - prev)]) / (freq.minutes or freq.years or 1)
        irregular = int((k != 1).sum())
        if irregular > 0.1 * max(1, len(k)):
            table_findings.append(
                Finding(
                    code="irregular_steps",
                    severity="warning",
                    column=date,
                    message=f"{irregular} of {len(k)} steps between dates are not one {freq.unit}.",
                    advice=f"Keel treats the data as {freq.label}; the missing {freq.unit}s are gaps. Aggregate to a coarser step if the dates are uneven.",
                    details={"n": irregular},
                )
            )
    # single sales on a day without a row: nothing was sold that day
    suggested = "zero" if events else suggest_fill(work["y"].to_numpy())
    use_fill = suggested if fill == "auto" else fill
    agg = work.groupby(["g", "p"], sort=True)["y"].sum(min_count=1)
    # when no row means nothing sold, a product whose last row is old sold nothing since: its
    # history runs to the table's last date, so its forecast starts where the others' do (one row
    # alone is no history, and is reported as such)
    end = agg.index.get_level_values(1).max() if use_fill == "zero" else None
    series: list[Series] = []
    for g, s in agg.groupby(level=0, sort=False):
        s = s.droplevel(0)
        full = _full(s.index.min(), s.index.max() if end is None or len(s) < 2 else end, freq)
        present = s.reindex(full)
        n_missing = int(len(full) - len(s))
        v = present.to_numpy(dtype=float)
        if use_fill == "zero":
            v = np.where(np.isnan(v), 0.0, v)
        sid = None if id is None else str(g)
        fnd = series_findings(v, sid, value, freq, n_missing, use_fill, horizon)
        if stockouts_as_missing:
            runs = stockout_runs(v)
            for st, L in runs:
                v[st : st + L] = np.nan
            if runs:
                fnd.append(
                    _f(
                        "stockouts_ignored",
                        "info",
                        value,
                        f"{freq.units(sum(L for _, L in runs)).replace(' ', ' zero ', 1)} of '{sid or value}' "
                        "were treated as stock-outs (unknown demand).",
                        "They are filled in from the neighbouring values when fitting, so the forecast is not pulled down.",
                        sid,
                        n=sum(L for _, L in runs),
                    )
                )
        series.append(Series(id=sid, dates=_to_dates(full, freq), values=v, findings=tuple(fnd)))
    table_findings += lagged_copy_findings(frame, date, value, id)
    return Panel(
        frequency=freq,
        series=tuple(series),
        findings=tuple(table_findings),
        fill=use_fill,
        suggested_fill=suggested,
        integer_years=integer_years,
        value=value,
        date=date,
        id=id,
        aggregated_from=aggregated_from,
    )


# --------------------------------------------------------------------------- column suggestion

_VALUE_WORDS = (
    "sales",
    "sold",
    "units",
    "qty",
    "quantity",
    "demand",
    "value",
    "amount",
    "revenue",
    "count",
    "volume",
    "orders",
    "y",
)
_ID_WORDS = ("product", "item", "sku", "store", "shop", "id", "series", "article", "category", "name")


@dataclass(frozen=True)
class ColumnGuess:
    date: str
    value: str | None
    id: str | None
    date_candidates: tuple[str, ...] = ()
    value_candidates: tuple[str, ...] = ()
    id_candidates: tuple[str, ...] = ()


def _looks_like_dates(s: pd.Series, name: str) -> bool:
    if pd.api.types.is_datetime64_any_dtype(s):
        return True
    x = s.dropna()
    if x.empty:
        return False
    if pd.api.types.is_numeric_dtype(x):
        ok = pd.to_numeric(x, errors="coerce")
        return bool(
            ("year" in name.lower() or "jahr" in name.lower() or name.lower() in ("yr", "date"))
            and ok.between(1000, 2999).all()
            and np.allclose(ok, np.round(ok))
        )
    sample = x.astype("string").head(200)
    if not sample.str.contains(r"\d").all():
        return False
    parsed = pd.to_datetime(sample, errors="coerce", format="mixed")
    return bool(parsed.notna().mean() >= 0.9)


def suggest_columns(frame: pd.DataFrame) -> ColumnGuess:
    """Guess the date, value and (optional) series-id columns of a long-format table."""
    if frame.empty or not len(frame.columns):
        raise InputError("The table is empty.", "Upload a file with one row per date (and per product).")
    dates = [str(c) for c in frame.columns if _looks_like_dates(frame[c], str(c))]
    if not dates:
        shown = ", ".join(f"'{c}'" for c in list(frame.columns)[:12])
        raise InputError(
            f"No column looks like dates (columns: {shown}).",
            "Forecasting needs a column of dates (such as 2024-03-31) or plain years; add one to the file.",
        )
    date = next((d for d in dates if "date" in d.lower() or "time" in d.lower() or "day" in d.lower()), dates[0])
    numeric = [
        str(c)
        for c in frame.columns
        if str(c) not in dates and pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
    ]

    def vscore(c: str) -> tuple:
        low = c.lower()
        return (
            not any(w == low or w in low.split("_") or (len(w) > 2 and w in low) for w in _VALUE_WORDS),
            frame[c].isna().mean(),
        )

    values = sorted(numeric, key=vscore)
    n = len(frame)
    ids = []
    for c in frame.columns:
        c = str(c)
        if c in dates or c in values[:1]:
            continue
        k = frame[c].nunique(dropna=True)
        if 2 <= k <= max(2, n // 3) and not pd.api.types.is_float_dtype(frame[c]):
            ids.append(c)

    def id_rank(c: str) -> int:  # 'product' before 'category': the word order in _ID_WORDS is the preference
        return next((i for i, w in enumerate(_ID_WORDS) if w in c.lower()), len(_ID_WORDS))

    ids.sort(key=lambda c: (id_rank(c), frame[c].nunique()))
    # an id column is only needed when dates repeat
    need_id = frame[date].duplicated().any()
    return ColumnGuess(
        date=date,
        value=values[0] if values else None,
        id=ids[0] if (ids and need_id) else None,
        date_candidates=tuple(dates),
        value_candidates=tuple(values),
        id_candidates=tuple(ids),
    )

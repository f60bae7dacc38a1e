"""What the user knows about their calendar: public holidays of a country (and region) from the
``holidays`` package (offline data), and their own events (promotions, closures, paydays) as a small
table ``date, event[, before, after]``. Both become one 0/1 column per event name, marking the periods
of a series (past and future) that the event touches; :mod:`core.forecasting.drivers` learns what
each is worth.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.errors import InputError
from core.forecasting.timeseries import Frequency, parse_dates
from core.forecasting.timeseries.frequency import period_keys

EVENT_COLUMNS = ("date", "event", "before", "after")
MAX_WINDOW = 60  # days before or after an event


@dataclass(frozen=True)
class Calendar:
    """Every event day the user named: (day, event name) pairs, from holidays and their own table."""

    days: tuple[tuple[pd.Timestamp, str], ...] = ()
    regions: tuple[str, ...] = ()  # the holiday codes asked for, as given ('US', 'AU-VIC')
    user_events: tuple[str, ...] = ()  # the names in the user's events table

    @property
    def names(self) -> list[str]:
        return list(dict.fromkeys(name for _, name in self.days))

    def __bool__(self) -> bool:
        return bool(self.regions or self.user_events)


def parse_regions(text: str | Sequence[str] | None) -> list[tuple[str, str | None]]:
    """'US,AU-VIC' -> [('US', None), ('AU', 'VIC')]; an unknown country or region is the user's error."""
    import holidays

    if text is None:
        return []
    parts = [p.strip() for p in (text.split(",") if isinstance(text, str) else text) if p and p.strip()]
    supported = holidays.list_supported_countries()
    out: list[tuple[str, str | None]] = []
    for part in parts:
        country, _, region = part.upper().partition("-")
        if country not in supported:
            raise InputError(
                f"'{part}' is not a country code Keel knows for public holidays.",
                "Use a two-letter ISO country code, optionally with a region: US, GB, DE, AU-VIC.",
            )
        regions = list(supported[country])
        region = next((r for r in regions if r.upper() == region), region)  # 'AU-NSW Western', 'DE-Augsburg'
        if region and region not in regions:
            shown = ", ".join(f"{country}-{r}" for r in regions[:8]) or "none (use the country alone)"
            raise InputError(
                f"'{part}': {country} has no region '{region}' in the holiday calendar.",
                f"Use one of {shown}{' …' if len(regions) > 8 else ''}, or {country} alone for national holidays.",
            )
        out.append((country, region or None))
    return out


def parse_events(frame: pd.DataFrame) -> list[tuple[pd.Timestamp, str, int, int]]:
    """The rows of a user's events table: (date, event, days before, days after).

    Columns are matched without regard to case; 'before' and 'after' are optional whole numbers of days
    (0 to 60) around the date that the event also touches (a promotion's run-up, the days after a fair).
    """
    if not isinstance(frame, pd.DataFrame) or frame.empty:
        raise InputError("The events table is empty.", "Give one row per event: date, event[, before, after].")
    cols = {str(c).strip().lower(): c for c in frame.columns}
    missing = [c for c in ("date", "event") if c not in cols]
    if missing:
        shown = ", ".join(f"'{c}'" for c in list(frame.columns)[:8])
        raise InputError(
            f"The events table has no '{missing[0]}' column (columns: {shown}).",
            "Name its columns date, event and optionally before and after (days around the date).",
        )
    try:  # as the data's own dates are read (day-first dates, plain years, database numbers)
        dates = parse_dates(frame[cols["date"]], "date")[0]
    except InputError:
        dates = pd.to_datetime(frame[cols["date"]], errors="coerce", format="mixed")
    bad = dates.isna()
    if bad.any():
        first = frame[cols["date"]][bad].iloc[0]
        raise InputError(
            f"{int(bad.sum())} value(s) in the events table's 'date' are not dates (first: '{first}').",
            "Write dates as 2026-12-24, one per row.",
        )
    names = frame[cols["event"]].astype("string").str.strip()
    if names.isna().any() or (names == "").any():
        row = int(np.flatnonzero((names.isna() | (names == "")).to_numpy())[0]) + 1
        raise InputError(f"Row {row} of the events table has no event name.", "Name every event, e.g. 'Summer sale'.")
    windows = {}
    for side in ("before", "after"):
        if side not in cols:
            windows[side] = np.zeros(len(frame), dtype=int)
            continue
        raw = frame[cols[side]]
        num = pd.to_numeric(raw.where(raw.astype("string").str.strip() != "", None), errors="coerce").fillna(0)
        bad = ~np.isfinite(num.to_numpy(dtype=float)) | (num < 0) | (num > MAX_WINDOW) | (num != np.round(num))
        bad |= pd.to_numeric(raw, errors="coerce").isna() & raw.notna() & (raw.astype("string").str.strip() != "")
        if bad.any():
            first = raw[bad].iloc[0]
            raise InputError(
                f"'{side}' in the events table must be a whole number of days from 0 to {MAX_WINDOW} (got '{first}').",
                f"Write how many days {side} the date the event also touches, or leave it empty for none.",
            )
        windows[side] = num.to_numpy(dtype=int)
    return [
        (pd.Timestamp(d).normalize(), str(n), int(b), int(a))
        for d, n, b, a in zip(dates, names, windows["before"], windows["after"])
    ]


def build_calendar(
    regions: str | Sequence[str] | None,
    events: pd.DataFrame | None,
    start: pd.Timestamp,
    end: pd.Timestamp,
) -> Calendar:
    """Every event day between ``start`` and ``end`` (the first date of the data and the forecast's last).

    A user's event with no day in that range is the user's error (a typo in the year, most likely).
    """
    import holidays

    start, end = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    days: list[tuple[pd.Timestamp, str]] = []
    codes = parse_regions(regions)
    years = list(range(start.year, end.year + 1))
    for country, region in codes:
        cal = holidays.country_holidays(country, subdiv=region, years=years)
        for d, name in sorted(cal.items()):
            for one in str(name).split("; "):  # two holidays on one day
                days.append((pd.Timestamp(d), one))
    user: list[str] = []
    if events is not None:
        for d, name, before, after in parse_events(events):
            touched = pd.date_range(d - pd.Timedelta(days=before), d + pd.Timedelta(days=after), freq="D")
            inside = [t for t in touched if start <= t <= end]
            if not inside:
                raise InputError(
                    f"The event '{name}' on {d:%Y-%m-%d} is outside the data and the forecast "
                    f"({start:%Y-%m-%d} to {end:%Y-%m-%d}).",
                    "Check its year, or leave it out: only events inside the history teach Keel their effect, "
                    "and only those inside the forecast change it.",
                )
            days += [(t, name) for t in inside]
            user.append(name)
    days = [(d, n) for d, n in days if start <= d <= end]
    return Calendar(
        tuple(dict.fromkeys(days)), tuple(f"{c}-{r}" if r else c for c, r in codes), tuple(dict.fromkeys(user))
    )


def event_matrix(calendar: Calendar, dates: pd.DatetimeIndex, freq: Frequency) -> tuple[np.ndarray, list[str]]:
    """One column per event name: for each of ``dates`` (a series' periods), how many of its days the
    event touches (0/1 for daily data and finer)."""
    names = calendar.names
    out = np.zeros((len(dates), len(names)))
    if not names or not len(dates):
        return out, names
    col = {n: j for j, n in enumerate(names)}
    finer = freq.code == "h" or freq.minutes is not None
    if finer or freq.code in ("D", "B"):
        row: dict[pd.Timestamp, list[int]] = {}
        for i, d in enumerate(pd.DatetimeIndex(dates).normalize()):
            row.setdefault(d, []).append(i)
        for d, n in calendar.days:
            for i in row.get(d, []):
                out[i, col[n]] = 1.0
        return out, names
    keys = list(period_keys(pd.Series(dates), freq))
    row_of = {k: i for i, k in enumerate(keys)}
    day_keys = period_keys(pd.Series([d for d, _ in calendar.days]), freq)
    for k, (_, n) in zip(day_keys, calendar.days):
        at = row_of.get(k)
        if at is not None:
            out[at, col[n]] += 1.0
    return out, names

"""What the shop knows ahead, lined up with each series: drivers (price, promotion on/off, planned
marketing, a temperature forecast) whose future values come as rows after the last observed value with
the value left empty, the calendar's event columns (:mod:`core.forecasting.calendar`), and the days
marked out of stock (censored demand: unknown, not low).

:func:`split_future` takes the future rows out of the table before it is made into series;
:func:`series_extras` gives each series its :class:`Extras`: the known columns over its history and
the forecast, and its out-of-stock periods.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.errors import InputError
from core.forecasting.calendar import Calendar, event_matrix
from core.forecasting.timeseries import Panel, future_dates, parse_dates, parse_values, series_key
from core.forecasting.timeseries.frequency import period_keys
from core.vocab import count

TRUE_WORDS = {"1", "1.0", "true", "yes", "y", "x"}
FALSE_WORDS = {"0", "0.0", "false", "no", "n", ""}


@dataclass(frozen=True)
class Extras:
    """One series' known columns: ``past`` (one row per history period) and ``future`` (per forecast
    period), named by ``names`` with ``kinds`` 'event' or 'driver'; ``out_of_stock`` marks history
    periods without stock (None: not given)."""

    names: tuple[str, ...]
    kinds: tuple[str, ...]
    past: np.ndarray
    future: np.ndarray
    out_of_stock: np.ndarray | None = None
    sold: np.ndarray | None = None  # what was sold in those periods (a floor for the demand)


def check_known(frame: pd.DataFrame, value: str | Sequence[str], drivers: Sequence[str], stockout: str | None) -> str:
    """The one value column; every driver and the stock-out column must exist and differ from it."""
    values = [value] if isinstance(value, str) else list(value)
    if len(values) != 1:
        raise InputError(
            "Drivers and stock-outs need a table with one column to forecast (one row per date and product).",
            "Choose a single value column and a product column as the series id.",
        )
    shown = ", ".join(f"'{c}'" for c in list(frame.columns)[:12])
    for col, role in [(d, "driver") for d in drivers] + ([(stockout, "stock-out marker")] if stockout else []):
        if col not in frame.columns:
            raise InputError(
                f"There is no column '{col}' for the {role} in this table (columns: {shown}).",
                f"Name one of the table's columns as the {role}.",
            )
        if col == values[0]:
            raise InputError(
                f"'{col}' is the column to forecast; it cannot also be a {role}.", f"Choose another {role} column."
            )
    return values[0]


def split_future(
    frame: pd.DataFrame, date: str, value: str, id: str | Sequence[str] | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The history rows, and the future rows: those after a series' last observed value, with the value empty."""
    keyed, key = series_key(frame, id)
    dates, _ = parse_dates(keyed[date], date)
    values = parse_values(keyed[value], value)
    group = keyed[key].astype("string").fillna("(blank)") if key else pd.Series("", index=keyed.index)
    seen = dates.where(values.notna())
    last = seen.groupby(group.to_numpy()).transform("max")
    future = (values.isna() & (dates > last)).to_numpy()
    return frame.loc[~future], frame.loc[future]


def numeric_driver(raw: pd.Series, name: str) -> pd.Series:
    """A driver's values as numbers: numbers stay, yes/no and true/false become 1/0."""
    text = raw.astype("string").str.strip().str.lower()
    # '1,250', '£5.20', '12%' as numbers (a share stays in its own units: 12)
    plain = text.str.replace(r"[\s,](?=\d{3}\b)", "", regex=True).str.strip("£$€ %")
    num = pd.to_numeric(raw, errors="coerce").astype(float)
    num = num.fillna(pd.to_numeric(plain, errors="coerce").astype(float))
    words = num.isna() & raw.notna()
    num = num.where(~(words & text.isin(TRUE_WORDS)), 1.0).where(~(words & text.isin(FALSE_WORDS - {""})), 0.0)
    bad = num.isna() & raw.notna() & (text != "")
    if bad.any():
        raise InputError(
            f"{int(bad.sum())} value(s) in the driver '{name}' are not numbers (first: '{raw[bad].iloc[0]}').",
            "A driver must be a number (a price, a temperature) or a yes/no mark (a promotion on or off).",
        )
    return num.astype(float)


def stock_marks(raw: pd.Series, name: str) -> pd.Series:
    """The stock-out column as 0/1 (1 = nothing on the shelf); anything else is the user's error."""
    text = raw.astype("string").str.strip().str.lower().fillna("")
    yes, no = text.isin(TRUE_WORDS), text.isin(FALSE_WORDS)
    bad = ~(yes | no)
    if bad.any():
        raise InputError(
            f"'{name}' should be 1 on days without stock and 0 otherwise; {int(bad.sum())} value(s) are neither "
            f"(first: '{raw[bad].iloc[0]}').",
            "Mark days without stock with 1 (or yes) and other days with 0, or leave them empty.",
        )
    return yes.astype(float)


def series_extras(
    panel: Panel,
    history: pd.DataFrame,
    future: pd.DataFrame,
    id: str | Sequence[str] | None,
    horizon: int,
    drivers: Sequence[str],
    stockout: str | None,
    calendar: Calendar,
) -> list[Extras]:
    """Each series' known columns over its history and forecast, and its out-of-stock periods."""
    freq, date = panel.frequency, panel.date
    both = pd.concat([history.assign(__future=False), future.assign(__future=True)])
    keyed, key = series_key(both, id)
    dates, _ = parse_dates(keyed[date], date)
    work = pd.DataFrame(
        {
            "g": keyed[key].astype("string").fillna("(blank)").to_numpy() if key else "__all__",
            "p": period_keys(dates, freq),
            "future": keyed["__future"].to_numpy(),
        }
    )
    for d in drivers:
        work[f"d:{d}"] = numeric_driver(keyed[d], d).to_numpy()
    if stockout:
        work["out"] = stock_marks(keyed[stockout], stockout).to_numpy()
    work = work[pd.notna(dates.to_numpy())]
    by = {g: part.groupby("p").mean(numeric_only=True) for g, part in work.groupby("g", sort=False)}
    out: list[Extras] = []
    for s in panel.series:
        part = by.get("__all__" if s.id is None else s.id)
        ahead = future_dates(s.dates[-1], horizon, freq)
        past_keys, future_keys = period_keys(pd.Series(s.dates), freq), period_keys(pd.Series(ahead), freq)
        names: list[str] = []
        kinds: list[str] = []
        past_cols: list[np.ndarray] = []
        future_cols: list[np.ndarray] = []
        for d in drivers:
            col = part[f"d:{d}"] if part is not None else pd.Series(dtype=float)
            p, f = col.reindex(past_keys).to_numpy(float), col.reindex(future_keys).to_numpy(float)
            _check_future(f, ahead, d, s.id)
            if np.isfinite(p).sum() == 0:
                raise InputError(
                    f"The driver '{d}' has no values in the history{_of(s.id)}.",
                    "Fill in the driver for the past dates too: Keel learns its effect from them.",
                )
            past_cols.append(pd.Series(p).interpolate(limit_direction="both").to_numpy())
            future_cols.append(f)
            names.append(d)
            kinds.append("driver")
        ev_past, ev_names = event_matrix(calendar, s.dates, freq)
        ev_future, _ = event_matrix(calendar, ahead, freq)
        names += ev_names
        kinds += ["event"] * len(ev_names)
        past = np.column_stack([*past_cols, ev_past]) if past_cols else ev_past
        fut = np.column_stack([*future_cols, ev_future]) if future_cols else ev_future
        shelf = sold = None
        if stockout:
            marks = part["out"].reindex(past_keys).fillna(0).to_numpy(float) if part is not None else np.zeros(s.n)
            shelf = marks > 0
            sold = np.where(shelf, np.nan_to_num(s.values), 0.0)
        out.append(Extras(tuple(names), tuple(kinds), past, fut, shelf, sold))
    return out


def _of(sid: str | None) -> str:
    return f" of '{sid}'" if sid is not None else ""


def _check_future(values: np.ndarray, ahead: pd.DatetimeIndex, name: str, sid: str | None) -> None:
    gaps = ~np.isfinite(values)
    if not gaps.any():
        return
    first = pd.Timestamp(ahead[int(np.flatnonzero(gaps)[0])])
    raise InputError(
        f"The driver '{name}' has no future value{_of(sid)} for {count(int(gaps.sum()), 'forecast date')} "
        f"(first: {first:%Y-%m-%d}); a driver must be known for the whole horizon.",
        f"Add one row per date after the last sale up to the horizon, with the value empty and '{name}' filled "
        f"in, or leave '{name}' out of --drivers.",
    )


def censor(panel: Panel, extras: list[Extras]) -> Panel:
    """The panel with out-of-stock periods emptied: demand there is unknown, not low."""
    from dataclasses import replace

    series = []
    for s, e in zip(panel.series, extras):
        if e.out_of_stock is not None and e.out_of_stock.any():
            s = replace(s, values=np.where(e.out_of_stock, np.nan, s.values))
        series.append(s)
    return replace(panel, series=tuple(series))


def drop_explained(panel: Panel, extras: list[Extras]) -> Panel:
    """The panel without 'unusual value' findings that the user's calendar, drivers or stock-out marks
    explain: every flagged period falls on an event, a switched-on yes/no driver or a day without stock."""
    from dataclasses import replace

    series = []
    for s, e in zip(panel.series, extras):
        marked = np.zeros(s.n, dtype=bool)
        for j, kind in enumerate(e.kinds):
            col = e.past[:, j]
            if kind == "event" or np.isin(col[np.isfinite(col)], (0.0, 1.0)).all():
                marked |= col > 0
        if e.out_of_stock is not None:
            marked |= e.out_of_stock
        kept = tuple(
            f
            for f in s.findings
            if not (
                f.code == "outliers"
                and f.details.get("positions")
                and len(f.details["positions"]) == f.details.get("n")
                and all(0 <= i < s.n and marked[i] for i in f.details["positions"])
            )
        )
        series.append(replace(s, findings=kept) if len(kept) != len(s.findings) else s)
    return replace(panel, series=tuple(series))

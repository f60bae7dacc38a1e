"""A long-format table (one row per date and series, or one column per product) made into one regular
series per id: the :class:`Panel` the engine forecasts.

The input is one row per date (and per series id). We accept real dates and plain integer years,
infer the frequency, sum duplicated dates, optionally aggregate to a coarser frequency, and make
the index regular. Missing periods are either ``missing`` (unknown, interpolated for fitting) or
``zero`` (nothing sold) -- the user's choice; :func:`suggest_file_fill` proposes one for the whole file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.data.findings import Finding
from core.errors import InputError
from core.forecasting.timeseries.columns import suggest_file_fill
from core.forecasting.timeseries.dates import parse_dates, parse_values
from core.forecasting.timeseries.findings import (
    FILL_QUESTION,
    fill_label,
    finding,
    lagged_copy_findings,
    series_findings,
    stockout_runs,
)
from core.forecasting.timeseries.frequency import (
    Frequency,
    coarser_frequency,
    event_times,
    full_range,
    infer_frequency,
    period_keys,
    to_dates,
)


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


def check_column(frame: pd.DataFrame, col: str | None, role: str) -> None:
    if col is None:
        return
    if col not in frame.columns:
        shown = ", ".join(f"'{c}'" for c in list(frame.columns)[:12])
        raise InputError(
            f"There is no column '{col}' for the {role} in this table (columns: {shown}).",
            f"Choose one of the table's columns as the {role}.",
        )


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
        check_column(frame, col, "series id")
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
        check_column(frame, col, "value")
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
    check_column(frame, date, "date")
    frame, value, key = long_format(frame, date, value, id)
    for col, role in ((date, "date"), (value, "value"), (key, "series id")):
        check_column(frame, col, role)
    if fill not in ("auto", "zero", "missing"):
        raise InputError(f"Unknown gap handling '{fill}'.", "Choose 'zero', 'missing' or 'auto'.")
    work, integer_years = _work_table(frame, date, value, key)
    n_nodate = int(work["d"].isna().sum())
    work = work.dropna(subset=["d"])
    if len(work) < 2 or work["d"].nunique() < 2:
        raise InputError(
            f"There is only {work['d'].nunique()} distinct date in '{date}', so there is nothing to forecast from.",
            "Use a table with one row per date: at least a few dates per series.",
        )
    freq, events, aggregated_from, table_findings = _choose_step(work, integer_years, aggregate_to, date)
    work["p"] = period_keys(work["d"], freq)
    table_findings += _date_findings(work, freq, date, key, n_nodate, aggregated_from is None)
    # single sales on a day without a row: nothing was sold that day; otherwise the file decides, so every
    # column of one file gets the same treatment of closed days
    suggested, decided_by = ("zero", None) if events else suggest_file_fill(frame, value, (date, key))
    use_fill = suggested if fill == "auto" else fill
    if fill == "auto" and decided_by is not None:
        table_findings.append(_closed_days_finding(value, decided_by))
    series = _regular_series(work, freq, value, key, use_fill, horizon, stockouts_as_missing)
    table_findings += lagged_copy_findings(frame, date, value, key)
    return Panel(
        frequency=freq,
        series=tuple(series),
        findings=tuple(table_findings),
        fill=use_fill,
        suggested_fill=suggested,
        integer_years=integer_years,
        value=value,
        date=date,
        id=key,
        aggregated_from=aggregated_from,
    )


def _closed_days_finding(value: str, counted_by: str) -> Finding:
    """Why a date with no row counts as nothing sold for a column that does not count things itself."""
    return Finding(
        code="closed_days",
        severity="info",
        column=value,
        message=f"A date with no row counts as 0 for '{value}' ('{fill_label('zero')}'): '{counted_by}' in this file "
        "counts what was sold, so a date without a row is a day nothing was sold (closed).",
        advice=f"If those dates are gaps in the records instead, choose '{fill_label('missing')}' ('{FILL_QUESTION}' "
        "on the Forecast page, or --fill missing on the command line).",
        details={"counted_by": counted_by},
    )


def _work_table(frame: pd.DataFrame, date: str, value: str, key: str | None) -> tuple[pd.DataFrame, bool]:
    """Columns d (dates), y (values) and g (series) parsed from the table, and whether the dates are plain years."""
    dates, integer_years = parse_dates(frame[date], date)
    values = parse_values(frame[value], value)
    if key is not None:
        ids = frame[key].astype("string").fillna("(blank)")
    else:
        ids = pd.Series(["__all__"] * len(frame), index=frame.index, dtype="string")
    return pd.DataFrame({"d": dates.to_numpy(), "y": values.to_numpy(), "g": ids.to_numpy()}), integer_years


def _choose_step(
    work: pd.DataFrame, integer_years: bool, aggregate_to: str | None, date: str
) -> tuple[Frequency, bool, str | None, list[Finding]]:
    """The step to forecast at, whether rows are single events, what was added up (None: nothing), and a
    finding when single events were added up per day."""
    freq, events = _step(work, integer_years)
    events = events and not aggregate_to
    found: list[Finding] = []
    aggregated_from = None
    if events:
        # a till or web-shop export: one row per sale at its own time, not readings on a clock
        found.append(
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
    return freq, events, aggregated_from, found


def _date_findings(
    work: pd.DataFrame, freq: Frequency, date: str, key: str | None, n_nodate: int, as_given: bool
) -> list[Finding]:
    """Dates that repeat, rows without a date and (for dates kept at their own step, ``as_given``) steps
    that are not one period."""
    found: list[Finding] = []
    dup = work.duplicated(subset=["g", "p"], keep=False)
    if dup.any() and as_given:
        n_dup = int(work[dup].drop_duplicates(subset=["g", "p"]).shape[0])
        exact = work.duplicated(subset=["g", "d"], keep=False).any()
        advice = (
            "We added them up (one total per date). If each row is a different product or store, "
            "choose that column as the series id."
            if key is None or exact
            else "We added them up per period. Check that the dates are what you expect."
        )
        found.append(
            Finding(
                code="duplicate_dates",
                severity="warning",
                column=date,
                message=f"{n_dup} date(s) appear more than once{' within a series' if key else ''} in '{date}'.",
                advice=advice,
                details={"n": n_dup},
            )
        )
    if n_nodate:
        found.append(
            Finding(
                code="missing_values",
                severity="warning",
                column=date,
                message=f"{n_nodate} row(s) have no date in '{date}' and were left out.",
                advice="Fill in the dates in the file if those rows matter.",
                details={"n": n_nodate},
            )
        )
    if as_given:
        found += _irregular_steps(work, freq, date)
    return found


def _irregular_steps(work: pd.DataFrame, freq: Frequency, date: str) -> list[Finding]:
    """A finding when more than a tenth of the steps between a series' dates are not one period."""
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
    if irregular <= 0.1 * max(1, len(k)):
        return []
    return [
        Finding(
            code="irregular_steps",
            severity="warning",
            column=date,
            message=f"{irregular} of {len(k)} steps between dates are not one {freq.unit}.",
            advice=f"Keel treats the data as {freq.label}; the missing {freq.unit}s are gaps. Aggregate to a coarser step if the dates are uneven.",
            details={"n": irregular},
        )
    ]


def _regular_series(
    work: pd.DataFrame,
    freq: Frequency,
    value: str,
    key: str | None,
    use_fill: str,
    horizon: int | None,
    stockouts_as_missing: bool,
) -> list[Series]:
    """One regular series per id: values summed per period, missing periods zero or NaN, with findings."""
    agg = work.groupby(["g", "p"], sort=True)["y"].sum(min_count=1)
    # when no row means nothing sold, a product whose last row is old sold nothing since: its
    # history runs to the table's last date, so its forecast starts where the others' do (one row
    # alone is no history, and is reported as such)
    end = agg.index.get_level_values(1).max() if use_fill == "zero" else None
    series: list[Series] = []
    for g, s in agg.groupby(level=0, sort=False):
        s = s.droplevel(0)
        full = full_range(s.index.min(), s.index.max() if end is None or len(s) < 2 else end, freq)
        present = s.reindex(full)
        n_missing = int(len(full) - len(s))
        v = present.to_numpy(dtype=float)
        if use_fill == "zero":
            v = np.where(np.isnan(v), 0.0, v)
        sid = None if key is None else str(g)
        fnd = series_findings(v, sid, value, freq, n_missing, use_fill, horizon)
        if stockouts_as_missing:
            fnd += _stockouts_as_missing(v, freq, value, sid)
        series.append(Series(id=sid, dates=to_dates(full, freq), values=v, findings=tuple(fnd)))
    return series


def _stockouts_as_missing(v: np.ndarray, freq: Frequency, value: str, sid: str | None) -> list[Finding]:
    """Empty the likely stock-outs of ``v`` (in place) and say so."""
    runs = stockout_runs(v)
    for st, L in runs:
        v[st : st + L] = np.nan
    if not runs:
        return []
    total = sum(L for _, L in runs)
    return [
        finding(
            "stockouts_ignored",
            "info",
            value,
            f"{freq.units(total).replace(' ', ' zero ', 1)} of '{sid or value}' were treated as stock-outs (unknown demand).",
            "They are filled in from the neighbouring values when fitting, so the forecast is not pulled down.",
            sid,
            n=total,
        )
    ]


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
    return freq, event_times(work, freq)

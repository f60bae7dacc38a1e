"""Property tests for the forecast date parser: quarters, ISO weeks and R's decimal years."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import InputError
from core.forecasting.timeseries import parse_dates

_QUARTER_STYLES = ["{y} Q{q}", "{y}-Q{q}", "{y}Q{q}", "Q{q} {y}", "{y} q{q}", "Q{q}-{y}"]


@given(st.integers(1900, 2090), st.integers(1, 4), st.integers(1, 40), st.sampled_from(_QUARTER_STYLES))
def test_quarters_parse_to_their_first_day(year: int, quarter: int, n: int, style: str) -> None:
    idx = [(year * 4 + quarter - 1 + k) for k in range(n)]
    text = pd.Series([style.format(y=i // 4, q=i % 4 + 1) for i in idx])
    dates, years = parse_dates(text, "Quarter")
    assert not years
    assert [(d.year, d.month, d.day) for d in dates] == [(i // 4, 3 * (i % 4) + 1, 1) for i in idx]


@given(st.dates(dt.date(1950, 1, 1), dt.date(2090, 12, 31)), st.integers(1, 60), st.sampled_from(["{y} W{w:02d}", "{y}-W{w}"]))
def test_iso_weeks_parse_to_their_monday(start: dt.date, n: int, style: str) -> None:
    mondays = [start - dt.timedelta(days=start.weekday()) + dt.timedelta(weeks=k) for k in range(n)]
    text = pd.Series([style.format(y=d.isocalendar()[0], w=d.isocalendar()[1]) for d in mondays])
    dates, _ = parse_dates(text, "Week")
    assert [d.date() for d in dates] == mondays


@given(st.integers(1000 * 12, 2900 * 12), st.integers(1, 200), st.sampled_from([1, 3]))
def test_decimal_years_by_month_or_quarter_parse_to_month_starts(first: int, n: int, step: int) -> None:
    months = [first - first % step + k * step for k in range(n)]
    times = pd.Series([m // 12 + (m % 12) / 12 for m in months])
    if times.max() >= 3000:
        return
    dates, years = parse_dates(times, "time")
    assert [(d.year, d.month) for d in dates] == [(m // 12, m % 12 + 1) for m in months]
    assert years == all(m % 12 == 0 for m in months)  # only whole numbers are plain years


def test_numbers_between_months_are_refused_with_a_hint_that_names_the_forms() -> None:
    with pytest.raises(InputError) as err:
        parse_dates(pd.Series([1949.1, 1949.3]), "time")
    assert err.value.message == "The date column 'time' holds numbers, not dates (first: 1949.1)."
    assert "1949.25" in err.value.hint


def test_a_mix_of_quarters_and_other_text_is_not_taken_for_quarters() -> None:
    with pytest.raises(InputError, match="not dates"):
        parse_dates(pd.Series(["1981 Q1", "soon"]), "Quarter")
    with_gap = parse_dates(pd.Series(["1981 Q1", None, "1981 Q3"]), "Quarter")[0]
    assert with_gap.isna().tolist() == [False, True, False] and with_gap.iloc[2] == pd.Timestamp("1981-07-01")


@given(st.dates(dt.date(1950, 1, 1), dt.date(2090, 12, 31)), st.integers(1, 90), st.sampled_from("/.-"),
       st.sampled_from(["dmy", "mdy"]))
def test_day_and_month_are_read_one_way_for_the_whole_column(start: dt.date, n: int, sep: str, order: str) -> None:
    # '01/12/2010' and '13/12/2010' in one column: both are day first (the second could only be)
    days = [start + dt.timedelta(days=k) for k in range(n)]
    fmt = f"%d{sep}%m{sep}%Y" if order == "dmy" else f"%m{sep}%d{sep}%Y"
    dates, _ = parse_dates(pd.Series([d.strftime(fmt) for d in days]), "Date")
    if any(d.day > 12 for d in days) or order == "mdy":  # all-ambiguous day-first dates cannot be told apart
        assert [d.date() for d in dates] == days


@given(st.dates(dt.date(1900, 1, 1), dt.date(2200, 12, 31)), st.integers(1, 40), st.booleans())
def test_yyyymmdd_numbers_are_dates(start: dt.date, n: int, as_text: bool) -> None:
    days = [start + dt.timedelta(days=k) for k in range(n)]
    raw = [int(d.strftime("%Y%m%d")) for d in days]
    dates, years = parse_dates(pd.Series([str(v) for v in raw] if as_text else raw), "Day")
    assert not years and [d.date() for d in dates] == days


def test_numbers_that_are_not_dates_are_refused_in_plain_words() -> None:
    for raw in (pd.Series([12345, 678]), pd.Series(["12345", "20101301"])):
        with pytest.raises(InputError, match="holds numbers, not dates"):
            parse_dates(raw, "Code")


@given(st.integers(1970 * 12, 2060 * 12), st.integers(1, 40),
       st.sampled_from(["{b} {yy}", "{b}-{yyyy}", "{B} {yyyy}", "{yyyy}M{mm}", "{b}'{yy}"]))
def test_month_and_year_labels_parse_to_the_first_of_the_month(first: int, n: int, style: str) -> None:
    # 'Jan 21' in a date column is January 2021 (a day with no year makes no time series)
    months = [first + k for k in range(n)]
    days = [dt.date(m // 12, m % 12 + 1, 1) for m in months]
    if any(not 1969 <= d.year <= 2068 for d in days) and "{yy}" in style:
        return  # two-digit years are read as 1969-2068, as strptime's %y does
    text = pd.Series([style.format(b=d.strftime("%b"), B=d.strftime("%B"), yy=d.strftime("%y"), yyyy=d.year,
                                   mm=f"{d.month:02d}") for d in days])
    dates, _ = parse_dates(text, "Month")
    assert [d.date() for d in dates] == days

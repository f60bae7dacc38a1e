"""Reading a table's date and value columns: real dates, plain and decimal years, quarters, ISO weeks,
months as statistics offices write them, and numbers written with thousands separators."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd

from core.errors import InputError


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

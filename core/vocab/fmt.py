"""One way to write numbers, shares, differences, dates and durations for people.

* :func:`percent` — a share (0.123) as "12%": whole percents from 10% up, one decimal below ("3.4%"),
  "<0.1%" and ">99.9%" at the edges, so a tiny share never reads as 0% and an almost-all as 100%.
* :func:`points` — a difference of two shares, "3 percentage points".
* :func:`number` — a plain number with thousands separators and as many decimals as it needs
  ("1,234", "12.5", "0.034"); years and other four-digit whole numbers keep no separator ("2024").
* :func:`date`, :func:`minutes`, :func:`duration` — "31 Jan 2025", "2026-11-27 19:25", "2 min 5 s".

Missing values (None, NaN, infinity) are written as "—".
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

MISSING = "—"


def _finite(x: Any) -> float | None:
    if x is None:
        return None
    try:
        value = float(x)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def percent(share: Any, digits: int | None = None) -> str:
    """A share between 0 and 1 as a percent. ``digits`` forces that many decimals."""
    value = _finite(share)
    if value is None:
        return MISSING
    v = 100 * value
    if digits is not None:
        return f"{v:.{digits}f}%".replace("-0%", "0%")
    if v == 0:
        return "0%"
    if 0 < abs(v) < 0.1:
        return f"{'-' if v < 0 else ''}<0.1%"
    if 99.5 <= v < 100:  # never round an almost-all up to 100%
        return ">99.9%" if v > 99.95 else f"{v:.1f}%"
    if abs(v) < 10:
        text = f"{v:.1f}".rstrip("0").rstrip(".")
        return f"{text}%"
    return f"{v:.0f}%"


def signed_percent(change: Any) -> str:
    """A relative change with its sign: "+12%", "-3.4%", "0%"."""
    value = _finite(change)
    if value is None:
        return MISSING
    text = percent(abs(value))
    if text == "0%":
        return text
    return ("+" if value > 0 else "-") + text


def points(difference: Any) -> str:
    """A difference of two shares, in percentage points ("3 percentage points", "0.4 percentage points")."""
    value = _finite(difference)
    if value is None:
        return MISSING
    v = abs(100 * value)
    if 0 < v < 0.1:
        return "less than 0.1 percentage points"
    text = f"{v:.1f}".rstrip("0").rstrip(".") if v < 10 else f"{v:.0f}"
    return f"{text} percentage point{'' if text == '1' else 's'}"


def number(x: Any) -> str:
    """A number as a person writes it: separators, and only the decimals it needs."""
    value = _finite(x)
    if value is None:
        return MISSING
    a = abs(value)
    if value.is_integer() and a < 1e15:
        whole = int(value)
        return str(whole) if 1000 <= a < 10_000 else f"{whole:,}"  # 2024 stays 2024
    if a >= 1000:
        return f"{value:,.0f}"
    if a >= 10:
        return f"{value:,.1f}".rstrip("0").rstrip(".")
    if a >= 1:
        return f"{value:.2f}".rstrip("0").rstrip(".")
    if a >= 0.01:
        return f"{value:.2f}".rstrip("0").rstrip(".") if a >= 0.1 else f"{value:.3f}".rstrip("0").rstrip(".")
    return f"{value:.2g}"


def count(n: int, word: str, plural_word: str | None = None) -> str:
    """'1 row', '1,204 rows'."""
    return f"{int(n):,} {plural(int(n), word, plural_word)}"


def plural(n: int, word: str, plural_word: str | None = None) -> str:
    """The word for ``n`` of it: 'row' or 'rows'."""
    return word if n == 1 else (plural_word or word + "s")


def date(value: Any) -> str:
    """A date as '31 Jan 2025' (with the time when it has one: '31 Jan 2025 14:05')."""
    import pandas as pd

    if value is None:
        return MISSING
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        return str(value)
    if pd.isna(stamp):
        return MISSING
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    text = f"{stamp.day} {stamp:%b %Y}"
    return text if (stamp.hour, stamp.minute, stamp.second) == (0, 0, 0) else f"{text} {stamp:%H:%M}"


def minutes(stamps: Any) -> Any:
    """Stored time stamps ('2026-11-27T19:25:40+00:00') to the minute in UTC: '2026-11-27 19:25'.
    A column in, a column out; one stamp in, one text out."""
    import pandas as pd

    if isinstance(stamps, (str, dt.datetime, pd.Timestamp)):
        t = pd.Timestamp(stamps)
        return (t.tz_convert("UTC") if t.tzinfo else t).strftime("%Y-%m-%d %H:%M")
    return pd.to_datetime(stamps, utc=True, format="ISO8601").dt.strftime("%Y-%m-%d %H:%M")


def duration(seconds: Any) -> str:
    """'0.4 s', '12 s', '2 min 5 s', '1 h 3 min'."""
    value = _finite(seconds)
    if value is None:
        return MISSING
    if value < 10:
        return f"{value:.1f} s".replace(".0 s", " s")
    s = round(value)
    if s < 60:
        return f"{s} s"
    m, s = divmod(s, 60)
    if m < 60:
        return f"{m} min {s} s" if s else f"{m} min"
    h, m = divmod(m, 60)
    return f"{h} h {m} min" if m else f"{h} h"

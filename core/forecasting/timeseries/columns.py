"""Guess which columns of a table hold the dates, the values to forecast and the series ids."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.errors import InputError
from core.forecasting.timeseries.findings import counts_like

#: Words in a column's name that say it counts things (what an order list is made of).
_QUANTITY_WORDS = (
    "units",
    "unit",
    "qty",
    "quantity",
    "sold",
    "count",
    "volume",
    "orders",
    "demand",
    "pieces",
    "items",
    "visits",
    "visitors",
    "customers",
    "bookings",
    "number",
    "num",
)
#: Words that say it is money: a forecast of it is fine, but an order list in dollars is not what a shop orders.
_MONEY_WORDS = (
    "revenue",
    "turnover",
    "takings",
    "amount",
    "income",
    "value",
    "dollars",
    "usd",
    "eur",
    "gbp",
    "euro",
    "money",
    "cash",
    "spend",
    "cost",
)
#: Words that could be either ('sales' is units in one shop, money in the next), or that name the forecast target.
_EITHER_WORDS = ("sales", "y")
#: Words of a column that is not something to forecast: a price, a rate, a share, a flag.
_NOT_VALUE_WORDS = ("price", "rate", "percent", "pct", "share", "discount", "promo", "promotion", "flag", "is", "has")
_ID_WORDS = ("product", "item", "sku", "store", "shop", "id", "series", "article", "category", "name")


def _has_word(name: str, words: tuple[str, ...]) -> bool:
    """Whether a column name holds one of ``words`` as a word ('pizzas_sold' holds 'sold'), or, for words of
    more than three letters, inside a word ('unitssold')."""
    low = name.lower()
    parts = [p for p in re.split(r"[^a-z0-9]+", low) if p]
    return any(w in parts or (len(w) > 3 and w in low) for w in words)


def value_kind(frame: pd.DataFrame, column: str) -> str:
    """What a numeric column holds, judged from its name and values: 'quantity' (units, pieces sold), 'money'
    (revenue, amount), 'not a value' (a price, a rate, a 0/1 flag) or 'unknown'."""
    values = pd.to_numeric(frame[column], errors="coerce").dropna()
    if _has_word(column, _NOT_VALUE_WORDS) or (len(values) and set(values.unique()) <= {0, 1}):
        return "not a value"
    if _has_word(column, _QUANTITY_WORDS):
        return "quantity"
    if _has_word(column, _MONEY_WORDS):
        return "money"
    return "unknown"


@dataclass(frozen=True)
class ColumnGuess:
    date: str
    value: str | None
    id: str | None
    date_candidates: tuple[str, ...] = ()
    value_candidates: tuple[str, ...] = ()
    id_candidates: tuple[str, ...] = ()
    value_sure: bool = True  # False: more than one column could be meant, so ask (``value_question``)
    value_question: str | None = None  # the question to ask, in plain words, when not sure


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
    values, sure, question = _rank_values(frame, numeric)
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
        value_sure=sure,
        value_question=question,
    )


_KIND_ORDER = {"quantity": 0, "either": 1, "money": 2, "unknown": 3, "not a value": 4}


def _rank_values(frame: pd.DataFrame, numeric: list[str]) -> tuple[list[str], bool, str | None]:
    """The numeric columns, the likeliest value to forecast first: a quantity before money (an order list
    counts pieces, not dollars), then whole numbers before fractions, then the fuller column. Also whether the
    first is a sure choice, and if not, the question to ask."""

    def kind(c: str) -> str:
        k = value_kind(frame, c)
        return "either" if k == "unknown" and _has_word(c, _EITHER_WORDS) else k

    kinds = {c: kind(c) for c in numeric}

    def whole(c: str) -> bool:
        v = pd.to_numeric(frame[c], errors="coerce").dropna().to_numpy(dtype=float)
        return bool(v.size and np.allclose(v, np.round(v)))

    values = sorted(numeric, key=lambda c: (_KIND_ORDER[kinds[c]], not whole(c), frame[c].isna().mean()))
    plausible = [c for c in values if kinds[c] != "not a value"] or values
    if not values:
        return values, True, None
    first = values[0]
    quantities = [c for c in plausible if kinds[c] == "quantity"]
    if len(plausible) <= 1 or (kinds[first] == "quantity" and len(quantities) == 1):
        return values, True, None
    shown = " or ".join(f"'{c}'" + _described(kinds[c]) for c in [first, *[c for c in plausible if c != first][:3]])
    return values, False, f"Which column should Keel forecast: {shown}? The order list counts in the column you pick."


def _described(kind: str) -> str:
    return {"quantity": " (a quantity)", "money": " (money)"}.get(kind, "")


def suggest_file_fill(frame: pd.DataFrame, value: str, skip: tuple[str | None, ...] = ()) -> tuple[str, str | None]:
    """What a date with no row means for the whole file, whichever column is forecast: 'zero' (nothing sold)
    when the value counts things, or another column of the file is a count of what was sold (then a date with
    no row is a closed day for every column: no pizzas, and no revenue either); else 'missing'. Returns the
    choice and the counting column that decided it (None when it is the value itself, or for 'missing').

    ``skip``: columns that are not values (the date, the series id)."""
    own = pd.to_numeric(frame[value], errors="coerce").to_numpy(dtype=float)
    if counts_like(own):
        return "zero", None
    for c in frame.columns:
        c = str(c)
        if c == value or c in skip or not pd.api.types.is_numeric_dtype(frame[c]) or _has_word(c, _ID_WORDS):
            continue
        if value_kind(frame, c) == "quantity" and counts_like(frame[c].to_numpy(dtype=float)):
            return "zero", c
    return "missing", None

"""Guess which columns of a table hold the dates, the values to forecast and the series ids."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.errors import InputError

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

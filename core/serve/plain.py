"""The fast path for JSON rows: a check in plain Python that the rows certainly fit the model.

:func:`plain_rows` answers "would the CLI's schema check (:func:`core.models.check_schema`) find nothing to say
about these rows?" without building a table, in a few microseconds a row. It says yes only when every value is
one the CLI reads without question: numbers (not true/false) in number columns, true/false in yes/no columns,
dates written ``YYYY-MM-DD`` in date columns, categories the model saw in training in the others, or null; and
every column the model needs is in the rows. Anything else (a missing column, text in a number column, a
category never seen, a date in another form) is not judged here: those rows take the full check, so every
message, warning and 422 is the CLI's own, word for word.

Rows that pass can be scored together with other requests' rows that passed (:mod:`core.serve.batching`): their
columns hold one type each, so the table they make reads the same, row by row, whatever else is in it.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import weakref
from typing import Any

import numpy as np
import pandas as pd

from core.models import KeelModel

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_BIG_INT = 2**53  # beyond this an int may not be held exactly as a float: let the full check judge it
_YEARS = (1700, 2200)  # well inside the dates pandas can hold
_PLAIN = (str, int, float, bool, type(None))


class RowRules:
    """What each of a model's columns accepts on the fast path (built once per loaded model)."""

    def __init__(self, model: KeelModel) -> None:
        self.columns: list[tuple[str, str, frozenset[str] | None]] = []
        for feat in model.schema["features"]:
            kind = str(feat["kind"])
            allowed = None
            if kind not in ("numeric", "boolean", "datetime"):
                categories = feat.get("categories")
                if categories and feat.get("categories_complete", True):
                    allowed = frozenset(categories)
            self.columns.append((str(feat["name"]), kind, allowed))


_RULES: weakref.WeakKeyDictionary[KeelModel, RowRules] = weakref.WeakKeyDictionary()
_RULES_LOCK = threading.Lock()


def rules_for(model: KeelModel) -> RowRules:
    """The fast path's rules for a loaded model, made once per model object."""
    with _RULES_LOCK:
        found = _RULES.get(model)
        if found is None:
            found = _RULES[model] = RowRules(model)
        return found


def _number(value: Any) -> bool:
    kind = type(value)
    return kind is float or (kind is int and -_BIG_INT < value < _BIG_INT)


def _date(value: Any) -> bool:
    if type(value) is not str or not _DATE.fullmatch(value):
        return False
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return False
    return _YEARS[0] <= day.year <= _YEARS[1]


def _fits(value: Any, kind: str, allowed: frozenset[str] | None) -> bool:
    if value is None:
        return True
    if kind == "numeric":
        return _number(value)
    if kind == "boolean":
        return type(value) is bool
    if kind == "datetime":
        return _date(value)
    return type(value) is str and (allowed is None or value in allowed)


_ABSENT = object()


def plain_rows(body: Any, rules: RowRules, max_rows: int) -> list[dict[str, Any]] | None:
    """The rows of ``{"rows": [...]}`` when they certainly pass the CLI's check with nothing to report; None when
    the full check must judge them (including every malformed body, and more than ``max_rows`` rows)."""
    if type(body) is not dict:
        return None
    rows = body.get("rows")
    if type(rows) is not list or not rows or len(rows) > max_rows:
        return None
    for row in rows:
        if type(row) is not dict:
            return None
        for value in row.values():
            if not isinstance(value, _PLAIN):
                return None
    for name, kind, allowed in rules.columns:
        seen = False
        for row in rows:
            value = row.get(name, _ABSENT)
            if value is _ABSENT:
                continue
            seen = True
            if not _fits(value, kind, allowed):
                return None
        if not seen:  # a column no row has: the CLI says it is missing
            return None
    return rows


def plain_frame(rows: list[dict[str, Any]], rules: RowRules) -> pd.DataFrame:
    """The model's columns of rows that passed :func:`plain_rows`, as a table the model reads exactly as it reads
    ``pd.DataFrame.from_records(rows)`` (the same numbers, dates and category texts), built more cheaply:
    numbers straight into floats, categories as plain Python text (no Arrow strings to build and take apart).
    Columns the model does not use are left out."""
    columns: dict[str, Any] = {}
    for name, kind, _ in rules.columns:
        values = [row.get(name) for row in rows]
        if kind == "numeric":
            columns[name] = np.array([np.nan if v is None else v for v in values], dtype=float)
        else:  # dates as text, yes/no (True → 'true' → 1.0) and categories: read cell by cell, as in any table
            columns[name] = pd.Series(values, dtype=object)
    return pd.DataFrame(columns, index=pd.RangeIndex(len(rows)))

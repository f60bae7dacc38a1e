"""Turning a raw table into model input, and describing the columns a model was trained on.

:func:`prepare_features` is stateless (row by row), so it is safe to run before cross-validation and
again at scoring time: numbers become floats, yes/no values 1.0/0.0 (spelled in any of
:data:`core.vocab.TRUE_WORDS` / :data:`core.vocab.FALSE_WORDS`), categories text, dates their year, month
and day of the week. :func:`build_schema` records what training saw, which scoring checks against.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from core.vocab import FALSE_WORDS, TRUE_WORDS

FORMAT_VERSION = 1
MAX_SAVED_CATEGORIES = 200
DATE_PARTS = ("year", "month", "day_of_week")


def date_part_name(column: str, part: str) -> str:
    return f"{column} ({part})"


def to_float(series: pd.Series) -> pd.Series:
    """Numbers as float; anything that is not a number (or is infinite) becomes NaN, i.e. missing
    (check_schema reports text that is not a number before scoring)."""
    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        values = series.astype(float)
    else:
        values = pd.to_numeric(series, errors="coerce").astype(float)
    finite = np.isfinite(values.to_numpy())
    return values if finite.all() else values.where(finite)


def to_bool_float(series: pd.Series) -> pd.Series:
    """True/False (also yes/no, 1/0 and the other spellings in core.vocab, as text) as 1.0/0.0;
    anything else NaN."""
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        return pd.to_numeric(series, errors="coerce").astype(float).where(lambda s: s.isin([0.0, 1.0]))
    text = (
        series.astype(object).where(series.notna(), None).map(lambda v: None if v is None else str(v).strip().lower())
    )
    out = pd.Series(np.nan, index=series.index, dtype=float)
    out[text.isin(TRUE_WORDS)] = 1.0
    out[text.isin(FALSE_WORDS)] = 0.0
    return out


def to_category_text(series: pd.Series) -> pd.Series:
    """Categories as text: a pandas string column as it is, anything else as Python str (object
    dtype), missing values as NaN."""
    if isinstance(series.dtype, pd.StringDtype):
        return series  # every non-missing cell is already a str
    obj = series.astype(object)
    mask = series.isna().to_numpy()
    if pd.api.types.is_object_dtype(series):
        # Already text (mostly): only non-str cells need converting.
        values = obj.to_numpy(copy=True)
        non_str = ~mask & ~np.fromiter((isinstance(v, str) for v in values), bool, len(values))
        if non_str.any():
            values[non_str] = [str(v) for v in values[non_str]]
    else:
        values = np.array([str(v) for v in obj.to_numpy()], dtype=object)
    values[mask] = np.nan
    return pd.Series(values, index=series.index, dtype=object)


def to_datetime(series: pd.Series) -> pd.Series:
    """Dates from a date column or text; anything unreadable becomes NaT.

    The common case (one format throughout) is parsed in one vectorised pass; only the cells that
    fail are retried one by one in mixed formats.
    """
    if pd.api.types.is_datetime64_any_dtype(series):
        return series
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            parsed = pd.to_datetime(series, errors="coerce")
        except (TypeError, ValueError, OverflowError):
            parsed = pd.Series(pd.NaT, index=series.index, dtype="datetime64[ns]")
        if getattr(parsed.dt, "tz", None) is not None:
            parsed = parsed.dt.tz_localize(None)
        failed = parsed.isna() & series.notna()
        if failed.any():
            retry = pd.to_datetime(series[failed].astype(str), errors="coerce", format="mixed")
            if getattr(retry.dt, "tz", None) is not None:
                retry = retry.dt.tz_localize(None)
            parsed = parsed.astype("datetime64[ns]")
            parsed[failed] = retry.astype("datetime64[ns]")
    return parsed


def prepare_features(frame: pd.DataFrame, schema: dict[str, Any]) -> pd.DataFrame:
    """The model's input table: numbers as float, categories as text, dates as year/month/weekday.

    Stateless (row by row), so it is safe to run before cross-validation. Missing feature
    columns are filled with NaN here; :func:`core.models.predict.check_schema` refuses them before
    batch scoring.
    """
    out: dict[str, pd.Series] = {}
    n = len(frame)
    for feat in schema["features"]:
        name, kind = feat["name"], feat["kind"]
        col = frame[name] if name in frame.columns else pd.Series([np.nan] * n, index=frame.index, dtype=float)
        key = str(name)  # model inputs are named by text, never by position
        if kind == "numeric":
            out[key] = to_float(col)
        elif kind == "boolean":
            out[key] = to_bool_float(col)
        elif kind == "datetime":
            stamps = to_datetime(col)
            for part in DATE_PARTS:
                out[date_part_name(key, part)] = getattr(stamps.dt, part).astype(float)
        else:
            out[key] = to_category_text(col)
    return pd.DataFrame(out, index=frame.index)


def input_columns(schema: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(numeric model inputs, categorical model inputs) after :func:`prepare_features`."""
    numeric: list[str] = []
    categorical: list[str] = []
    for feat in schema["features"]:
        key = str(feat["name"])
        if feat["kind"] in ("numeric", "boolean"):
            numeric.append(key)
        elif feat["kind"] == "datetime":
            numeric.extend(date_part_name(key, p) for p in DATE_PARTS)
        else:
            categorical.append(key)
    return numeric, categorical


def describe_feature(name: str, kind: str, col: pd.Series) -> dict[str, Any]:
    """One feature as seen in training: kind, dtype, missing share, and its range or categories."""
    feat: dict[str, Any] = {
        "name": name,
        "kind": kind,
        "dtype": str(col.dtype),
        "missing_share": round(float(col.isna().mean()), 4) if len(col) else 0.0,
    }
    if kind in ("numeric", "boolean"):
        values = (to_float(col) if kind == "numeric" else to_bool_float(col)).dropna()
        feat.update(
            min=float(values.min()) if len(values) else None,
            max=float(values.max()) if len(values) else None,
            median=float(values.median()) if len(values) else None,
        )
    elif kind == "datetime":
        stamps = to_datetime(col).dropna()
        feat.update(
            min=stamps.min().isoformat() if len(stamps) else None,
            max=stamps.max().isoformat() if len(stamps) else None,
        )
    else:
        counts = to_category_text(col).value_counts()
        feat.update(
            categories=[str(c) for c in counts.index[:MAX_SAVED_CATEGORIES]],
            categories_complete=bool(len(counts) <= MAX_SAVED_CATEGORIES),
            n_categories=len(counts),
        )
    return feat


def build_schema(
    frame: pd.DataFrame, kinds: dict[str, str], *, target: str, task: str, classes: tuple[Any, ...] = ()
) -> dict[str, Any]:
    """Describe each feature as seen in training: kind, dtype, categories or numeric range."""
    return {
        "format_version": FORMAT_VERSION,
        "target": target,
        "task": task,
        "classes": [plain(c) for c in classes],
        "features": [describe_feature(name, kind, frame[name]) for name, kind in kinds.items()],
    }


def plain(value: Any) -> Any:
    """A numpy scalar as the plain Python value (classes are written into JSON)."""
    return value.item() if hasattr(value, "item") else value

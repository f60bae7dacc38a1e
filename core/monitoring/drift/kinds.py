"""Which columns are compared, and as what: numbers as numbers; categories, yes/no and constant columns as
categories. Dates, identifiers and free text are not compared: dates in a later batch are *supposed* to be
later, identifiers differ by design, and free text needs other tools."""

from __future__ import annotations

import warnings

import pandas as pd

from core.errors import InputError
from core.monitoring.drift.base import CATEGORICAL, NUMERIC

SKIPPED_KINDS = {
    "datetime": "Dates are expected to move forward in new data, so they are not compared.",
    "id_like": "Identifiers differ from batch to batch by design, so they are not compared.",
    "text": "Free text is not compared (only numbers and categories are).",
}


def infer_drift_kind(series: pd.Series) -> str:
    """Keel's simple default: numbers → numeric; dates (also written as text) → datetime; text where
    every value differs → id_like; long sentences → text; everything else → categorical."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "categorical"
    if pd.api.types.is_numeric_dtype(dtype):
        return "numeric"
    if pd.api.types.is_datetime64_any_dtype(dtype) or isinstance(dtype, pd.PeriodDtype):
        return "datetime"
    return _text_kind(series)


def _text_kind(series: pd.Series) -> str:
    """Dates written as text, identifiers and free text are told apart from categories on a sample."""
    filled = series.dropna()
    if len(filled) < 20:
        return "categorical"
    sample = filled.sample(500, random_state=0) if len(filled) > 500 else filled
    text = sample.astype(str)
    if text.str.contains(r"\d[-/:.]\d", regex=True).mean() > 0.9:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parsed = pd.to_datetime(text, errors="coerce", format="mixed")
        if parsed.notna().mean() > 0.9:
            return "datetime"
    if text.str.len().mean() > 40 and text.str.contains(" ").mean() > 0.5:
        return "text"
    if text.nunique() == len(text) and filled.nunique() == len(filled) and len(filled) >= 50:
        return "id_like"
    return "categorical"


def compare_as(kind: str) -> str | None:
    """How a column of this kind is compared (numeric or categorical), or None when it is not."""
    if kind == "numeric":
        return NUMERIC
    if kind in ("categorical", "boolean", "constant"):
        return CATEGORICAL
    return None


def check_kind(name: str, kind: str) -> None:
    """InputError unless ``kind`` is one of Keel's column kinds."""
    if compare_as(kind) is None and kind not in SKIPPED_KINDS:
        raise InputError(
            f"Unknown column kind '{kind}' for '{name}'.",
            "Use one of: numeric, categorical, boolean, datetime, id_like, text, constant.",
        )

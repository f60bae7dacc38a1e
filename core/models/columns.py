"""Which columns a model learns from, and what kind of task it is.

* :func:`detect_task` tells classification from regression by the target's values.
* :func:`suggest_split` proposes a time-ordered split when the table has dates.
* :func:`select_features` leaves out ID-like columns, likely copies of the target, personal data,
  constant and empty columns and free text, each with a reason in plain words; the user can put any of
  them back (``include``) or leave more out (``exclude``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core.errors import InputError
from core.models.features import to_datetime

MIN_ROWS = 20  # fewer rows than this: no column is called an ID for being unique


@dataclass(frozen=True)
class LeftOut:
    column: str
    code: str  # id_like | target_leakage | pii | constant | empty | text | excluded
    reason: str  # plain words, e.g. "looks like an ID: every value is different"


@dataclass(frozen=True)
class FeaturePlan:
    target: str
    used: tuple[str, ...]
    kinds: dict[str, str]  # used column -> numeric | boolean | categorical | datetime
    left_out: tuple[LeftOut, ...]  # left out (by default or by the user), with the reason
    put_back: tuple[LeftOut, ...] = ()  # columns Keel would leave out but the user included
    notes: tuple[str, ...] = ()
    watch: tuple[LeftOut, ...] = ()  # used, but flagged as a possible leak (weaker evidence)

    def reason_for(self, column: str) -> str | None:
        for item in (*self.left_out, *self.put_back):
            if item.column == column:
                return item.reason
        return None


@dataclass(frozen=True)
class SplitSuggestion:
    split: str
    date_column: str | None
    reason: str


# --------------------------------------------------------------------------- the task and the split


def detect_task(y: pd.Series) -> str:
    """'classification' or 'regression' from the target's values.

    Text, yes/no and any column with at most two distinct values → classification. Whole numbers
    with at most 10 distinct values and at least 20 rows per distinct value on average (e.g. a 1–5
    rating in a big table) → classification. Any other numbers → regression.
    """
    values = y.dropna()
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        return "classification"
    n_unique = int(values.nunique())
    if n_unique <= 2:
        return "classification"
    as_float = values.astype(float)
    whole = bool(np.all(np.isfinite(as_float)) and np.all(np.mod(as_float, 1) == 0))
    if whole and n_unique <= 10 and len(values) >= 20 * n_unique:
        return "classification"
    return "regression"


def suggest_split(frame: pd.DataFrame, target: str) -> SplitSuggestion:
    """Suggest a time-ordered split when the table has a date column (the user decides)."""
    for column in frame.columns:
        if column == target:
            continue
        if is_datetime(frame[column]):
            return SplitSuggestion(
                "time",
                str(column),
                f"'{column}' holds dates. If the model will score future rows, test it on the latest "
                "rows (a time-ordered split): that is how it will be used.",
            )
    return SplitSuggestion("random", None, "No date column: a random split is the fair test.")


# --------------------------------------------------------------------------- choosing columns


_ID_NAMES = re.compile(r"(?i:(^|[_\s.-])(id|key|uuid|guid|no\.?|nr\.?|number)$|^id([_\s.-]|$))|[a-z](Id|ID)$")
# one row per year (1950, 1951, ...) is a trend, not an ID: calendar years or a column named like one
YEAR_NAMES = re.compile(r"(?i)(^|[^a-z])(year|yr|jahr|annee|año|ano)s?($|[^a-z])")


def is_datetime(series: pd.Series) -> bool:
    if pd.api.types.is_datetime64_any_dtype(series):
        return True
    if not (pd.api.types.is_string_dtype(series) or pd.api.types.is_object_dtype(series)):
        return False
    sample = series.dropna().astype(str).head(200)
    if len(sample) < 5 or not sample.str.contains(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}", regex=True).mean() >= 0.9:
        return False
    return bool(to_datetime(sample).notna().mean() >= 0.95)


def _column_kind(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "boolean"
    if pd.api.types.is_numeric_dtype(series):
        return "numeric"
    if is_datetime(series):
        return "datetime"
    return "categorical"


def _structural_reason(name: str, series: pd.Series, kind: str) -> LeftOut | None:
    """Columns a model cannot use well whatever the data-quality checks say."""
    values = series.dropna()
    n = len(series)
    if len(values) == 0:
        return LeftOut(name, "empty", "is empty: every value is missing")
    n_unique = int(values.nunique())
    if n_unique == 1:
        return LeftOut(name, "constant", f"has the same value in every row ({values.iloc[0]!r}), so it tells nothing")
    if kind == "categorical":
        text = values.head(2000).astype(str)  # a sample is enough to tell sentences from labels
        mean_len = float(text.str.len().mean())
        words = float(text.str.count(r"\s+").mean()) + 1
        if mean_len > 40 or (words >= 4 and n_unique > 0.5 * len(values)):
            return LeftOut(name, "text", "holds free text (sentences), which Keel does not learn from yet")
        if n >= MIN_ROWS and n_unique >= 0.95 * len(values):
            return LeftOut(
                name, "id_like", "looks like an ID: almost every value is different, so it cannot generalise"
            )
    if kind == "numeric" and n >= MIN_ROWS and n_unique == len(values):
        as_float = values.astype(float)
        whole = bool(np.all(np.mod(as_float, 1) == 0))
        steps = np.diff(np.sort(as_float.to_numpy()))
        years = bool(YEAR_NAMES.search(str(name))) or (len(values) <= 250 and bool(as_float.between(1000, 2200).all()))
        if whole and (_ID_NAMES.search(str(name)) or (not years and len(steps) and np.all(steps == 1))):
            return LeftOut(name, "id_like", "looks like an ID: a different whole number in every row")
    return None


def _copies_target(series: pd.Series, y: pd.Series, task: str) -> bool:
    """True when a column is the target under another name (one-to-one, or near-perfect correlation)."""
    pair = pd.DataFrame({"x": series, "y": y}).dropna()
    if len(pair) < 10:
        return False
    if task == "regression":
        if not pd.api.types.is_numeric_dtype(pair["x"]) or pd.api.types.is_bool_dtype(pair["x"]):
            return False
        x = pair["x"].astype(float)
        if x.std() == 0 or pair["y"].astype(float).std() == 0:
            return False
        return bool(abs(np.corrcoef(x, pair["y"].astype(float))[0, 1]) >= 0.999)
    if pair["x"].nunique() != pair["y"].nunique():  # quick exit for almost every column
        return False
    x_codes, _ = pd.factorize(pair["x"])
    y_codes, _ = pd.factorize(pair["y"])
    pairs = pd.unique(x_codes.astype(np.int64) * (int(y_codes.max()) + 1) + y_codes)
    return bool(len(pairs) == pair["x"].nunique())


def select_features(
    frame: pd.DataFrame,
    target: str,
    findings: Iterable[Any] = (),
    *,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    task: str | None = None,
) -> FeaturePlan:
    """Decide which columns the model learns from, and say why the others are left out.

    Left out by default: ID-like columns, likely copies of the target (critical ``target_leakage``
    findings, or a column that maps one-to-one onto the target; a weaker leakage finding keeps the
    column, listed in ``watch`` with a note), personal data (``pii``),
    constant and empty columns, and free text. ``include`` puts any of them back (the reason is
    kept in ``put_back`` so a too-good score can be explained); ``exclude`` leaves more out.
    Date columns are used as year, month and day of the week.
    """
    _check_names(frame, include, "include")
    _check_names(frame, exclude, "exclude")
    both = sorted(set(include) & set(exclude))
    if both:
        raise InputError(
            f"{quote_list(both)} {'is' if len(both) == 1 else 'are'} both included and excluded.",
            "Keep each column in only one of the two lists.",
        )
    y = frame[target] if target in frame.columns else None
    task = task or (detect_task(y) if y is not None and y.notna().any() else "classification")
    flagged, suspects = _flags_from_findings(frame, target, findings)
    plan = _Plan()
    for name in frame.columns:
        if name == target:
            continue
        col = frame[name]
        kind = _column_kind(col)
        if name in exclude:
            plan.left_out.append(LeftOut(name, "excluded", "left out by you"))
            continue
        reason = flagged.get(name) or _structural_reason(name, col, kind)
        if reason is None and y is not None and _copies_target(col, y, task):
            reason = LeftOut(
                name,
                "target_leakage",
                f"holds the same information as '{target}' (it is the answer under another name)",
            )
        if reason is not None and name not in include:
            plan.left_out.append(reason)
            continue
        plan.use(name, kind, reason, None if reason is not None else suspects.get(name))
    return FeaturePlan(
        target,
        tuple(plan.used),
        plan.kinds,
        tuple(plan.left_out),
        tuple(plan.put_back),
        tuple(plan.notes),
        tuple(plan.watch),
    )


@dataclass
class _Plan:
    """The plan as it is being built, column by column."""

    used: list[str] = field(default_factory=list)
    kinds: dict[str, str] = field(default_factory=dict)
    left_out: list[LeftOut] = field(default_factory=list)
    put_back: list[LeftOut] = field(default_factory=list)
    watch: list[LeftOut] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def use(self, name: str, kind: str, put_back: LeftOut | None, suspect: LeftOut | None) -> None:
        if put_back is not None:
            self.put_back.append(put_back)
        if kind == "datetime":
            self.notes.append(f"'{name}' holds dates: Keel uses its year, month and day of the week.")
        if suspect is not None:
            self.watch.append(suspect)
            self.notes.append(f"'{name}' is used, but it {suspect.reason}.")
        self.used.append(name)
        self.kinds[name] = kind


def _flags_from_findings(
    frame: pd.DataFrame, target: str, findings: Iterable[Any]
) -> tuple[dict[str, LeftOut], dict[str, LeftOut]]:
    """(columns to leave out, columns to use but watch) from the data-quality findings."""
    flagged: dict[str, LeftOut] = {}
    suspects: dict[str, LeftOut] = {}
    for finding in findings:
        column = getattr(finding, "column", None)
        code = getattr(finding, "code", "")
        if column is None or column == target or column not in frame.columns or column in flagged:
            continue
        if code == "id_like":
            flagged[column] = LeftOut(column, "id_like", "looks like an ID, so it cannot generalise to new rows")
        elif code == "target_leakage" and getattr(finding, "severity", "critical") != "critical":
            suspects[column] = LeftOut(
                column,
                "target_leakage",
                f"predicts '{target}' suspiciously well on its own; make sure its value is known before the outcome",
            )
        elif code == "target_leakage":
            how = (
                "far better than any other column on its own"
                if (getattr(finding, "details", None) or {}).get("rule") == "stands_out"
                else "suspiciously well"
            )
            flagged[column] = LeftOut(
                column,
                "target_leakage",
                f"may give away the answer: it predicts '{target}' {how} (often it is filled in after the outcome is known)",
            )
        elif code == "pii":
            flagged[column] = LeftOut(
                column, "pii", "holds personal data (names, emails, phone numbers); a model should not learn from it"
            )
        elif code == "constant_column":
            flagged[column] = LeftOut(column, "constant", "has the same value in every row, so it tells nothing")
    return flagged, suspects


def _check_names(frame: pd.DataFrame, names: Sequence[str], what: str) -> None:
    unknown = [n for n in names if n not in frame.columns]
    if unknown:
        raise InputError(
            f"The table has no column named {quote_list(unknown)} (in '{what}').",
            f"Use column names exactly as in the table: {quote_list(list(map(str, frame.columns))[:12])}.",
        )


def quote_list(items: Sequence[Any]) -> str:
    """'a', 'b', 'c' — names quoted for a sentence."""
    return ", ".join(f"'{i}'" for i in items)

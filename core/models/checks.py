"""Checking a table and its target before anything is trained.

Each problem a user can fix is an ``InputError`` naming the column and the values, with a hint saying
what to do next. A few stray answers seen once (typed by hand in a real outcome column) are left out with
a note instead of refusing the table.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.errors import InputError
from core.models.columns import MIN_ROWS, detect_task, quote_list
from core.vocab import count, number

MIN_ROWS_PER_CLASS = 2
RARE_SHARE = 0.01  # outcomes seen once, in at most 1 % of rows: stray answers, left out with a note
MAX_CLASSES = 50


@dataclass(frozen=True)
class CheckedTable:
    rows: pd.DataFrame  # the rows kept: a target value, and not a stray answer seen once
    task: str  # "classification" | "regression"
    dropped: int  # rows without a target value
    warnings: tuple[str, ...]  # other rows left out: they change what the model learns from


def check_table(frame: pd.DataFrame, target: str, task: str) -> CheckedTable:
    """Check the table and target; the rows to learn from, the task, and what was left out."""
    _check_target_column(frame, target)
    y = frame[target]
    if task == "auto":
        task = detect_task(y)
    if task not in ("classification", "regression"):
        raise InputError(f"'{task}' is not a task Keel knows.", "Use 'auto', 'classification' or 'regression'.")
    kept = frame[y.notna()]
    if task == "regression":
        _check_numeric_target(kept[target], target)
    else:
        _check_outcomes(kept[target], target)
    if len(kept) < MIN_ROWS:
        raise InputError(
            f"Only {len(kept)} rows have a value in '{target}'; Keel needs at least {MIN_ROWS} to train a model "
            "and check it on rows it has not seen.",
            "Add more rows (a few hundred is a good start).",
        )
    warnings: list[str] = []
    if task == "classification":
        kept, warnings = _leave_out_stray_answers(kept, target)
    return CheckedTable(kept, task, len(frame) - int(y.notna().sum()), tuple(warnings))


def _check_target_column(frame: pd.DataFrame, target: str) -> None:
    if not isinstance(frame, pd.DataFrame) or frame.shape[1] == 0:
        raise InputError("The table has no columns.", "Upload a table with a header row and at least two columns.")
    if target not in frame.columns:
        lowered = {str(c).lower().strip(): str(c) for c in frame.columns}
        close = difflib.get_close_matches(str(target).lower().strip(), list(lowered), n=1, cutoff=0.6)
        hint = f"Did you mean '{lowered[close[0]]}'? " if close else ""
        raise InputError(
            f"The table has no column named '{target}' to predict.",
            hint + f"Choose the target from the table's columns: {quote_list(list(map(str, frame.columns))[:12])}.",
        )
    if frame[target].notna().sum() == 0:
        raise InputError(
            f"The target column '{target}' is empty: every value is missing.",
            "Choose a column that holds the answer you want to predict, filled in for past rows.",
        )


def _check_numeric_target(y: pd.Series, target: str) -> None:
    numbers = pd.to_numeric(y, errors="coerce") if not pd.api.types.is_bool_dtype(y) else y.astype(float)
    bad = y[numbers.isna()]
    if len(bad):
        raise InputError(
            f"'{target}' holds {number(len(bad))} values that are not numbers (first: {str(bad.iloc[0])!r}), "
            "so Keel cannot predict it as a number.",
            "Choose 'classification' to predict it as a category, or fix those values in the file.",
        )
    if not np.isfinite(numbers.astype(float)).all():
        raise InputError(
            f"'{target}' holds infinite values, which cannot be predicted.",
            "Replace them with real numbers, or remove those rows.",
        )
    if numbers.nunique() < 2:
        raise InputError(
            f"Every row has the same value in '{target}' ({numbers.iloc[0]!r}), so there is nothing to learn.",
            "A model needs examples of different outcomes. Add rows with other values, or choose another target.",
        )


def _check_outcomes(y: pd.Series, target: str) -> None:
    counts = y.astype(str).value_counts() if not pd.api.types.is_numeric_dtype(y) else y.value_counts()
    if len(counts) < 2:
        raise InputError(
            f"Every row has the same value in '{target}' ({counts.index[0]!r}), so there is nothing to learn.",
            "A model needs examples of at least two different outcomes. Add rows with other outcomes, "
            "or choose another target.",
        )
    if len(counts) > MAX_CLASSES:
        raise InputError(
            f"'{target}' has {number(len(counts))} different values; classification works with a handful of "
            f"outcomes (at most {MAX_CLASSES}).",
            "If it is a number, choose 'regression'. Otherwise group rare outcomes together, or choose another target.",
        )


def _leave_out_stray_answers(kept: pd.DataFrame, target: str) -> tuple[pd.DataFrame, list[str]]:
    """Outcomes seen in one row only: a few stray answers are left out (with a warning); a target made of
    them is refused (a name or an ID); otherwise each needs more rows."""
    y = kept[target]
    counts = y.value_counts()
    rare = counts[counts < MIN_ROWS_PER_CLASS]
    if not len(rare):
        return kept, []
    if rare.sum() >= 0.5 * len(kept) and len(counts) > 10:  # most rows: a name each
        raise InputError(
            f"'{target}' has {number(len(counts))} different values in {number(len(kept))} rows, most of them in "
            "one row only: it looks like a name or an ID, not an outcome to predict.",
            "Choose the column that holds the outcome (a handful of values that repeat), or choose "
            "'regression' if it is a number.",
        )
    names = quote_list([str(v) for v in rare.index[:5]]) + (f" (and {len(rare) - 5} more)" if len(rare) > 5 else "")
    if rare.sum() <= RARE_SHARE * len(kept) and len(counts) - len(rare) >= 2:
        # a few stray answers (typed by hand, once each) in a real outcome column: leave those rows out
        n_rare = int(rare.sum())
        return kept[~y.isin(rare.index)], [
            f"{count(n_rare, 'row')} whose '{target}' appears only once ({names}) "
            "were left out: a model cannot learn an outcome from one example."
        ]
    one = len(rare) == 1
    numeric = pd.api.types.is_numeric_dtype(y) and not pd.api.types.is_bool_dtype(y)
    raise InputError(
        f"The value{'' if one else 's'} {names} of '{target}' {'appears' if one else 'each appear'} in only "
        f"one row; each outcome needs at least {MIN_ROWS_PER_CLASS} rows so it can appear in both the "
        "training and the test part.",
        ("If it is an amount or a count, choose 'regression' to predict it as a number. " if numeric else "")
        + f"Otherwise add more rows with {'that outcome' if one else 'those outcomes'}, merge "
        f"{'it' if one else 'them'} with a similar outcome, or remove those rows.",
    )

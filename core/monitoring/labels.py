"""A batch's labels as the model knows its classes: the same class whether written 1, 1.0 or '1', 'yes' or
'Yes', True or 'Y' (for a yes/no model, in any of Keel's yes/no words); numbers for a number model."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from core.errors import InputError
from core.vocab import yes_no


def label_text(v: Any) -> str:
    """A label as text, the same whether it came as 1, 1.0 or '1' (a boolean as 'True' or 'False')."""
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    return str(v)


def as_text(series: pd.Series) -> pd.Series:
    """Class labels as text, written the same way whether they came as 1, 1.0 or '1'; missing stays missing.

    Each distinct value is converted once, so a million rows cost one hashing pass.
    """
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    texts = np.array([label_text(u) for u in uniques] + [np.nan], dtype=object)
    return pd.Series(texts[codes], index=series.index, dtype=object)


def class_codes(values: Any, classes: Sequence[Any]) -> np.ndarray:
    """Position of each value in ``classes`` (-1 when missing or unknown)."""
    codes, uniques = pd.factorize(pd.Series(np.asarray(values, dtype=object)), use_na_sentinel=True)
    position = {label_text(c): j for j, c in enumerate(classes)}
    lookup = np.array([position.get(label_text(u), -1) for u in uniques] + [-1], dtype=np.int64)
    return lookup[codes]


def _answer(v: Any) -> bool | None:
    """True/False for a yes/no answer in words or as a boolean (True, 'yes', 'Y'), else None.
    Digits are not answers here: 1/0 labels for a yes/no model are more likely the wrong column."""
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    word = label_text(v).strip().lower()
    if word[:1].isdigit():
        return None
    return yes_no(word)


def to_classes(raw: pd.Series, classes: Sequence[Any], column: str, *, strict: bool = True) -> pd.Series:
    """Each label as the model's class it stands for (object dtype; missing stays missing).

    A label matches the class written the same way (1, 1.0 and '1' alike); else the one class that
    differs only in case or spaces ('yes' for 'Yes'); else, for a yes/no model, the same answer
    ('yes' for True, 'N' for 'No'), so a new file need not spell the answers as the training file did.
    Labels that match no class raise InputError naming them (``strict``) or stay as written.
    """
    exact = {label_text(c): c for c in classes}
    folded: dict[str, list[Any]] = {}
    for c in classes:
        folded.setdefault(label_text(c).strip().casefold(), []).append(c)
    answers = {_answer(c): c for c in classes}
    yes_no = len(classes) == 2 and set(answers) == {True, False}
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    found: list[Any] = []
    unknown: list[str] = []
    for u in uniques:
        same_but_case = folded.get(label_text(u).strip().casefold(), [])
        if label_text(u) in exact:
            found.append(exact[label_text(u)])
        elif len(same_but_case) == 1:
            found.append(same_but_case[0])
        elif yes_no and _answer(u) is not None:
            found.append(answers[_answer(u)])
        else:
            found.append(u)
            unknown.append(label_text(u))
    if unknown and strict:
        shown = ", ".join(repr(u) for u in sorted(unknown)[:5])
        raise InputError(
            f"The labels in '{column}' do not match the model's classes: found {shown}, "
            f"expected one of {', '.join(repr(c) for c in exact)}.",
            "Check that you picked the right column, and that its values are written as in training.",
        )
    lookup = np.empty(len(found) + 1, dtype=object)
    lookup[:-1] = found
    lookup[-1] = np.nan
    return pd.Series(lookup[codes], index=raw.index, dtype=object)


def clean_labels(raw: pd.Series, task: str, classes: Sequence[Any], column: str) -> pd.Series:
    """Labels as text matching the model's classes, or as floats; missing labels stay missing."""
    present = raw.notna()
    if task == "classification":
        return as_text(to_classes(raw, classes, column))  # written as the model's classes are (see label_text)
    as_num = pd.to_numeric(raw, errors="coerce")
    bad = present & as_num.isna()
    if bad.any():
        first = raw[bad].iloc[0]
        row = int(np.flatnonzero(bad.to_numpy())[0]) + 1
        raise InputError(
            f"The labels in '{column}' must be numbers, but {int(bad.sum())} are not (first: {first!r} in row {row}).",
            "Pick the column with the true values, or fix those cells in the file.",
        )
    return as_num.astype(float)

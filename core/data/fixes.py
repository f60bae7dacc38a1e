"""One-click, mechanical fixes for data-quality findings.

``apply_fix(frame, fix, column)`` returns a *new* table (the input is never changed) and one
plain sentence saying what changed. The page stores the result as a new dataset version
(``core.store.save_dataset(..., parent_id=…, change=description)``), so every fix can be undone
by going back to the parent version.

The fix ids are the ones :mod:`core.data.quality` puts in ``Finding.fix`` / ``Finding.other_fixes``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from core import vocab
from core.data import pii
from core.data.wording import and_join
from core.errors import InputError


def _drop_column(frame: pd.DataFrame, column: str, key: bytes | None) -> tuple[pd.DataFrame, str]:
    return frame.drop(columns=[column]), f"Dropped column '{column}'."


def _drop_duplicates(frame: pd.DataFrame, column: str, key: bytes | None) -> tuple[pd.DataFrame, str]:
    dup = frame.duplicated(keep="first")
    count = int(dup.sum())
    if count == 0:
        return frame.copy(), "There were no duplicate rows to remove."
    out = frame.loc[~dup.to_numpy()].reset_index(drop=True)
    share = vocab.percent(count / len(frame))
    return out, f"Removed {vocab.count(count, 'duplicate row')}, {share} of the table (kept the first of each)."


def _drop_rows_missing(frame: pd.DataFrame, column: str, key: bytes | None) -> tuple[pd.DataFrame, str]:
    missing = frame[column].isna().to_numpy()
    count = int(missing.sum())
    if count == 0:
        return frame.copy(), f"'{column}' had no empty cells; nothing was removed."
    out = frame.loc[~missing].reset_index(drop=True)
    return out, f"Removed {vocab.count(count, 'row')} where '{column}' was empty."


def _mask_pii(frame: pd.DataFrame, column: str, key: bytes | None) -> tuple[pd.DataFrame, str]:
    series = frame[column]
    types = pii.scan(series).types or pii.scan(series, sample_size=None).types
    if not types:
        raise InputError(
            f"Keel found no personal data to mask in '{column}'.",
            "If the column is personal anyway (e.g. names Keel doesn't recognise), drop it or use pseudonyms.",
        )
    masked, done = pii.mask_detected(series, types)
    before, after = series.astype("str"), masked.astype("str")
    changed = int((before.ne(after) & before.notna()).sum())
    what = and_join([pii.LABELS[t] for t in done])
    out = frame.assign(**{column: masked})
    return out, f"Masked {what} in '{column}' ({vocab.count(changed, 'value')} changed)."


def _pseudonymise(frame: pd.DataFrame, column: str, key: bytes | None) -> tuple[pd.DataFrame, str]:
    if key is None:
        raise InputError(
            f"Replacing '{column}' with pseudonyms needs a secret key.",
            "Use the workspace key Keel keeps, so the same value gets the same pseudonym in every dataset.",
        )
    out = frame.assign(**{column: pii.pseudonymise(frame[column], key)})
    return out, (
        f"Replaced the values in '{column}' with pseudonyms (keyed hashes): equal values still match, "
        "so joins keep working."
    )


def _clear_placeholders(frame: pd.DataFrame, column: str, key: bytes | None) -> tuple[pd.DataFrame, str]:
    from core.data.quality import placeholder_mask  # the checks load only for the fix that needs them

    series = frame[column]
    mask = placeholder_mask(series).to_numpy()
    count = int(mask.sum())
    if count == 0:
        return frame.copy(), f"'{column}' had no placeholder values; nothing was changed."
    examples = pd.unique(series[mask].astype("str"))[:3]
    if pd.api.types.is_integer_dtype(series.dtype):
        series = series.astype("Int64")  # keep whole numbers whole once gaps appear
    cleared = series.mask(pd.Series(mask, index=series.index))
    shown = ", ".join("blank" if str(v).strip() == "" else f"'{pii.redact(v, 20)}'" for v in examples)
    out = frame.assign(**{column: cleared})
    return out, f"Cleared {vocab.count(count, 'placeholder value')} in '{column}' ({shown}); they now count as missing."


def _group_rare(frame: pd.DataFrame, column: str, key: bytes | None) -> tuple[pd.DataFrame, str]:
    series = frame[column]
    counts = series.value_counts(dropna=True)
    rare = counts.index[counts <= 1]
    if not len(rare):
        return frame.copy(), f"'{column}' had no value seen in only one row; nothing was changed."
    taken = set(map(str, counts.index))
    other = next(name for name in ("Other", "Other (rare)", "(rare values)") if name not in taken)
    grouped = series.astype("object").where(~series.isin(rare), other)
    shown = and_join([f"'{pii.redact(v, 20)}'" for v in list(rare)[:3]]) + ("…" if len(rare) > 3 else "")
    out = frame.assign(**{column: grouped})
    return out, f"Grouped {vocab.count(len(rare), 'value')} seen in only one row in '{column}' ({shown}) as '{other}'."


def _clear_rare(frame: pd.DataFrame, column: str, key: bytes | None) -> tuple[pd.DataFrame, str]:
    series = frame[column]
    counts = series.value_counts(dropna=True)
    rare = counts.index[counts <= 1]
    if not len(rare):
        return frame.copy(), f"'{column}' had no value seen in only one row; nothing was changed."
    shown = and_join([f"'{pii.redact(v, 20)}'" for v in list(rare)[:3]]) + ("…" if len(rare) > 3 else "")
    out = frame.assign(**{column: series.where(~series.isin(rare))})
    now = "it now counts" if len(rare) == 1 else "they now count"
    return out, f"Emptied {vocab.count(len(rare), 'value')} seen once in '{column}' ({shown}); {now} as missing."


@dataclass(frozen=True)
class Fix:
    """A one-click fix: what it is called and does, and the function that does it."""

    id: str  # stable snake_case, as in Finding.fix / Finding.other_fixes
    label: str  # the text of its button on the Data page, in the user's words
    needs_column: bool  # False: it works on whole rows
    apply: Callable[[pd.DataFrame, str, bytes | None], tuple[pd.DataFrame, str]]  # (table, column, key)


#: Every fix by id. A new fix is one entry here (and its id in a check's ``make_finding(fix=…)``).
FIXES: dict[str, Fix] = {
    f.id: f
    for f in (
        Fix("drop_column", "Drop this column", True, _drop_column),
        Fix("drop_duplicates", "Remove duplicate rows", False, _drop_duplicates),
        Fix("drop_rows_missing", "Drop rows where it is missing", True, _drop_rows_missing),
        Fix("mask_pii", "Mask these values", True, _mask_pii),
        Fix("pseudonymise_pii", "Replace with pseudonyms", True, _pseudonymise),
        Fix("clear_placeholders", "Clear placeholder values", True, _clear_placeholders),
        Fix("group_rare", "Group values seen once as 'Other'", True, _group_rare),
        Fix("clear_rare", "Make values seen once empty", True, _clear_rare),
    )
}


def apply_fix(
    frame: pd.DataFrame, fix: str, column: str | None = None, *, key: bytes | None = None
) -> tuple[pd.DataFrame, str]:
    """Apply one fix; return the new table and a plain description of what changed."""
    if not isinstance(frame, pd.DataFrame):
        raise InputError("Expected a table (a pandas DataFrame) to fix.", "Load the dataset first.")
    if fix not in FIXES:
        raise InputError(f"There is no fix called '{fix}'.", f"Use one of: {', '.join(FIXES)}.")
    spec = FIXES[fix]
    if spec.needs_column:
        if column is None:
            raise InputError(f"The fix '{fix}' needs a column.", "Choose the column to fix.")
        if column not in frame.columns:
            raise InputError(
                f"There is no column '{column}' in this table.",
                "It may have been dropped already; profile the latest version again.",
            )
    elif column is not None:
        raise InputError(f"The fix '{fix}' works on whole rows, not on one column.", "Leave the column empty.")
    return spec.apply(frame, column or "", key)  # a fix on whole rows gets no column


__all__ = ["FIXES", "Fix", "apply_fix"]

"""One-click, mechanical fixes for data-quality findings.

``apply_fix(frame, fix, column)`` returns a *new* table (the input is never changed) and one
plain sentence saying what changed. The page stores the result as a new dataset version
(``core.store.save_dataset(..., parent_id=…, change=description)``), so every fix can be undone
by going back to the parent version.

The fix ids are the ones :mod:`core.quality` puts in ``Finding.fix`` / ``Finding.other_fixes``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from core.data import pii
from core.errors import InputError


@dataclass(frozen=True)
class Fix:
    id: str
    title: str  # button label, in the user's words
    needs_column: bool
    needs_key: bool = False


FIXES: dict[str, Fix] = {
    f.id: f
    for f in (
        Fix("drop_column", "Drop this column", True),
        Fix("drop_duplicates", "Remove duplicate rows", False),
        Fix("drop_rows_missing", "Remove rows where this is empty", True),
        Fix("mask_pii", "Mask the personal data", True),
        Fix("pseudonymise_pii", "Replace with pseudonyms", True, needs_key=True),
        Fix("clear_placeholders", "Clear placeholder values", True),
    )
}


def _n(x: int) -> str:
    return f"{int(x):,}"


def _plural(count: int, word: str) -> str:
    return f"{_n(count)} {word}{'' if count == 1 else 's'}"


def _drop_column(frame: pd.DataFrame, column: str, key: bytes | None) -> tuple[pd.DataFrame, str]:
    return frame.drop(columns=[column]), f"Dropped column '{column}'."


def _drop_duplicates(frame: pd.DataFrame, column: None, key: bytes | None) -> tuple[pd.DataFrame, str]:
    dup = frame.duplicated(keep="first")
    count = int(dup.sum())
    if count == 0:
        return frame.copy(), "There were no duplicate rows to remove."
    out = frame.loc[~dup.to_numpy()].reset_index(drop=True)
    return out, f"Removed {_plural(count, 'duplicate row')} (kept the first of each)."


def _drop_rows_missing(frame: pd.DataFrame, column: str, key: bytes | None) -> tuple[pd.DataFrame, str]:
    missing = frame[column].isna().to_numpy()
    count = int(missing.sum())
    if count == 0:
        return frame.copy(), f"'{column}' had no empty cells; nothing was removed."
    out = frame.loc[~missing].reset_index(drop=True)
    return out, f"Removed {_plural(count, 'row')} where '{column}' was empty."


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
    labels = [pii.LABELS[t] for t in done]
    what = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
    out = frame.assign(**{column: masked})
    return out, f"Masked {what} in '{column}' ({_plural(changed, 'value')} changed)."


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
    from core.data.quality import placeholder_mask  # quality imports pii; keep the import graph one-way

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
    return out, f"Cleared {_plural(count, 'placeholder value')} in '{column}' ({shown}); they now count as missing."


_APPLY: dict[str, Callable[[pd.DataFrame, str, bytes | None], tuple[pd.DataFrame, str]]] = {
    "drop_column": _drop_column,
    "drop_duplicates": _drop_duplicates,
    "drop_rows_missing": _drop_rows_missing,
    "mask_pii": _mask_pii,
    "pseudonymise_pii": _pseudonymise,
    "clear_placeholders": _clear_placeholders,
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
    return _APPLY[fix](frame, column, key)


__all__ = ["FIXES", "Fix", "apply_fix"]

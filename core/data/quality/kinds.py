"""What a column is (its *kind*): the rules and thresholds in ``core.data.quality``'s docstring, and
the conversion a kind the user chose may need."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from core import vocab
from core.data import pii
from core.data.quality.facts import Facts, all_facts, prepare_frame
from core.errors import InputError

ID_NAME_UNIQUE = 0.9  # a column *named* like an id needs 90% distinct values (some repeats happen)
ID_TEXT_UNIQUE = 0.95  # unnamed text codes (emails, order numbers): 95% distinct ...
ID_TEXT_MIN_ROWS = 100  # ... in at least 100 rows (in 20 rows, 20 distinct labels are ordinary)
ID_INT_UNIQUE = 0.99  # unnamed integers: 99% distinct in >= 1,000 rows and sequential
ID_INT_MIN_ROWS = 1_000
ID_INT_STRICT_UNIQUE = 0.999  # ... or 99.9% distinct in >= 10,000 rows (amounts repeat by then)
ID_INT_STRICT_MIN_ROWS = 10_000
TEXT_MIN_WORDS = 4.0  # mean words per value for free text
TEXT_MIN_CHARS = 30.0  # ... or mean length with at least 2 words (a UUID is 36 chars, 1 word)
TEXT_MIN_DISTINCT_SHARE = 0.2  # free text rarely repeats; labels do
TEXT_MIN_DISTINCT = 500

# Two text labels that make a yes/no column. Matching pairs rather than any two of core.vocab's yes/no
# words, so a column's kind stays what it was: 'on'/'off' is a pair, 'yes' with 'nein' is not.
_BOOL_PAIRS = [
    {"yes", "no"},
    {"y", "n"},
    {"true", "false"},
    {"t", "f"},
    {"0", "1"},
    {"on", "off"},
    {"ja", "nein"},
    {"oui", "non"},
    {"si", "no"},
    {"1.0", "0.0"},
]
_ID_TOKENS = frozenset({"id", "ids", "uuid", "guid", "key", "pk", "identifier"})


def name_tokens(name: str) -> list[str]:
    parts = re.findall(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+", str(name))
    return [p.lower() for p in parts]


def infer_kind(f: Facts) -> str:
    if f.n_unique <= 1:
        return "constant"
    if f.family == "bool":
        return "boolean"
    if f.family == "datetime":
        return "datetime"
    ratio = f.n_unique / f.n_valid
    id_name = bool(_ID_TOKENS.intersection(name_tokens(f.name)))
    if f.family == "numeric":
        if f.n_unique == 2 and set(np.asarray(f.uniques, dtype="float64").tolist()) == {0.0, 1.0}:
            return "boolean"
        if not f.is_integer:
            return "numeric"
        if id_name and ratio >= ID_NAME_UNIQUE and f.n_unique >= 3:
            return "id_like"
        if f.n_valid >= ID_INT_STRICT_MIN_ROWS and ratio >= ID_INT_STRICT_UNIQUE:
            return "id_like"
        if f.n_valid >= ID_INT_MIN_ROWS and ratio >= ID_INT_UNIQUE:
            u = np.asarray(f.uniques, dtype="float64")
            span = float(u.max() - u.min()) + 1.0
            x = f.values[~np.isnan(f.values)]
            sequential = bool(np.all(np.diff(x) > 0)) or f.n_unique / span >= 0.5
            if sequential:
                return "id_like"
        return "numeric"
    # text values
    if f.n_unique <= 6:
        lowered = {str(v).strip().lower() for v in f.uniques}
        if len(lowered) == 2 and lowered in _BOOL_PAIRS:
            return "boolean"
    chars, words, _ = f.text_shape
    long_text = words >= TEXT_MIN_WORDS or (chars >= TEXT_MIN_CHARS and words >= 2)
    if long_text and (ratio >= TEXT_MIN_DISTINCT_SHARE or f.n_unique >= TEXT_MIN_DISTINCT):
        return "text"
    if id_name and ratio >= ID_NAME_UNIQUE and f.n_unique >= 3:
        return "id_like"
    if f.n_valid >= ID_TEXT_MIN_ROWS and ratio >= ID_TEXT_UNIQUE:
        return "id_like"
    return "categorical"


def infer_kinds(frame: pd.DataFrame) -> dict[str, str]:
    """Guess each column's kind (see the module docstring for the rules)."""
    frame = prepare_frame(frame)
    return {name: infer_kind(f) for name, f in all_facts(frame).items()}


def coerce_kind(frame: pd.DataFrame, col: str, kind: str, facts: Facts) -> pd.Series | None:
    """A converted column when the user's kind needs numbers/dates the dtype doesn't hold."""
    s = frame[col]
    if kind == "numeric" and facts.family not in ("numeric", "bool"):
        if facts.family == "datetime":
            raise InputError(
                f"'{col}' holds dates, which can't be treated as numbers.",
                f"Keep 'datetime' for '{col}', or choose 'categorical'.",
            )
        text = s.astype("str").str.strip()
        # '1,200' -> 1200, but '4,5' stays unreadable rather than silently becoming 45
        thousands = text.str.fullmatch(r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?").fillna(False).astype(bool)
        text = text.where(~thousands, text.str.replace(",", "", regex=False))
        converted = pd.to_numeric(text, errors="coerce")
        bad = converted.isna() & s.notna()
        if bad.any():
            example = pii.redact(s[bad].iloc[0])
            raise InputError(
                f"'{col}' can't be treated as numbers: {vocab.count(int(bad.sum()), 'value')} "
                f"{'is' if bad.sum() == 1 else 'are'} not numbers "
                f"(e.g. '{example}').",
                f"Choose 'categorical' or 'text' for '{col}', or fix those values in the file.",
            )
        return converted.astype("float64")
    if kind == "numeric" and facts.family == "bool":
        return s.astype("float64")
    if kind == "datetime" and facts.family != "datetime":
        if facts.family in ("numeric", "bool"):
            raise InputError(
                f"'{col}' holds numbers, which Keel won't guess dates from.",
                f"Keep 'numeric' for '{col}', or write the dates as text like 2024-05-31 in the file.",
            )
        converted = pd.to_datetime(s, errors="coerce", format="mixed")
        bad = converted.isna() & s.notna()
        if bad.any():
            example = pii.redact(s[bad].iloc[0])
            raise InputError(
                f"'{col}' can't be treated as dates: {vocab.count(int(bad.sum()), 'value')} "
                f"{'is' if bad.sum() == 1 else 'are'} not dates "
                f"(e.g. '{example}').",
                f"Choose 'categorical' for '{col}', or fix those values in the file.",
            )
        return converted
    return None

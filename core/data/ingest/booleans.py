"""Yes/no text columns: read as true/false, or kept in the user's words with one spelling per answer."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from core.data.ingest.notes import failure_note
from core.data.ingest.source import CONVERT_SHARE
from core.data.ingest.values import Outcome, Prepared
from core.vocab import FALSE_WORDS, TRUE_WORDS

# The yes/no words of core.vocab, as a text column may spell them. '1.0' and '0.0' are left to the
# number reader: a column of them is numbers (a model's 0/1 output), not yes/no answers.
TRUE_SPELLINGS = tuple(sorted(w for w in TRUE_WORDS if not w.endswith(".0")))
FALSE_SPELLINGS = tuple(sorted(w for w in FALSE_WORDS if not w.endswith(".0")))
# answers written as words: a column of only 'y' (or only 'n') is more likely a code than answers
_ANSWER_WORDS = frozenset(w for w in TRUE_SPELLINGS + FALSE_SPELLINGS if len(w) > 1 and w.isalpha())


def as_boolean(column: pa.ChunkedArray, name: str, sample: Counter[str], decimal: str) -> Outcome | None:
    if len(sample) > 40:
        return None  # yes/no columns have a handful of distinct spellings
    total = sample.total()
    truthy = sum(n for v, n in sample.items() if v.lower() in TRUE_SPELLINGS)
    falsy = sum(n for v, n in sample.items() if v.lower() in FALSE_SPELLINGS)
    if truthy + falsy < CONVERT_SHARE * total:
        return None
    seen = {v.lower() for v in sample if v.lower() in TRUE_SPELLINGS or v.lower() in FALSE_SPELLINGS}
    if seen <= {"1", "0"}:
        return None  # digits stay numbers (or text, if the column was kept as text on purpose)
    if not (truthy and falsy) and not seen <= _ANSWER_WORDS:
        return None  # a column of only 'y' (or 'n') is more likely a code than a yes/no answer
    if not seen <= {"true", "false", "1", "0"}:
        return _one_spelling(column, name, sample)
    prepared = Prepared(column)
    tokens = [t for word in TRUE_SPELLINGS + FALSE_SPELLINGS for t in dict.fromkeys((word, word.upper(), word.title()))]
    truth = pa.array([t.lower() in TRUE_SPELLINGS for t in tokens], pa.bool_())
    value_set = pa.array(tokens, pa.string())

    def convert(values: Any, strict: bool) -> Any:
        if not strict:
            values = pc.utf8_lower(values)
        return pc.take(truth, pc.index_in(values, value_set=value_set))

    result, failed = prepared.run(convert)
    if failed is None:
        return None
    notes = [f"'{name}': read as true/false."]
    if failed:
        notes.append(failure_note(name, failed, prepared.failed_examples(result), "true/false"))
    return Outcome(result, "true/false text", notes)


def _one_spelling(column: pa.ChunkedArray, name: str, sample: Counter[str]) -> Outcome | None:
    """Yes/no answers stay in the user's words (a model trained on 'Yes'/'No' answers 'Yes'), each
    answer in one spelling: the most common one ('YES', 'yes' and '1' become 'Yes' when 'Yes' is the
    usual way of writing it). Values that are neither stay as they are. None if already uniform."""
    words: dict[bool, str] = {}
    for side, vocab in ((True, TRUE_SPELLINGS), (False, FALSE_SPELLINGS)):
        spellings = [v for v in sample if v.strip().lower() in vocab and v.strip() not in ("1", "0")]
        if spellings:
            words[side] = max(spellings, key=lambda v: (sample[v], v)).strip()
    truth = {
        v: v.strip().lower() in TRUE_SPELLINGS for v in sample if v.strip().lower() in TRUE_SPELLINGS + FALSE_SPELLINGS
    }
    others = {v for v, t in truth.items() if t in words and v != words[t]}
    if not others:
        return None
    pairs = [
        (spelled, words[t]) for t in words for spelled in (TRUE_SPELLINGS if t else FALSE_SPELLINGS)
    ]  # 'yes' -> 'Yes'
    value_set = pa.array([p[0] for p in pairs], pa.string())
    lowered = pc.utf8_lower(pc.utf8_trim_whitespace(column))
    result = pc.coalesce(
        pc.take(pa.array([p[1] for p in pairs], pa.string()), pc.index_in(lowered, value_set=value_set)), column
    )
    read_as = [
        ", ".join(f"'{v}'" for v in sorted(v for v in others if truth[v] is t)[:4]) + f" as '{w}'"
        for t, w in words.items()
        if any(truth[v] is t for v in others)
    ]
    return Outcome(
        result,
        "yes/no answers in several spellings",
        [f"'{name}': read {' and '.join(read_as)}, so each answer is spelled one way."],
    )

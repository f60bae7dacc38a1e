"""What the recognisers share: missing-value and spreadsheet-error words, a sample of a column's
values, and :class:`Prepared`, which converts a column and counts what did not parse."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from core.data.ingest.source import CONVERT_SHARE


@dataclass
class Outcome:
    array: pa.ChunkedArray
    was: str
    notes: list[str]


_NA_WORDS = frozenset(["NA", "N/A", "n/a", "na", "NULL", "null", "None", "none", "NaN", "nan", "#N/A", "-", "--", "?"])
# what a spreadsheet shows in a cell whose formula failed: missing values in a column of numbers
ERROR_WORDS = frozenset(
    [
        "#VALUE!",
        "#DIV/0!",
        "#N/A",
        "#REF!",
        "#NAME?",
        "#NUM!",
        "#NULL!",
        "#SPILL!",
        "#CALC!",
        "#GETTING_DATA",
        "#FIELD!",
        "#BLOCKED!",
        "#CONNECT!",
        "#BUSY!",
        "#UNKNOWN!",
        "#N/A!",
    ]
)
_MISSING_WORDS = _NA_WORDS | ERROR_WORDS
_NA_TOKENS = pa.array(sorted(_MISSING_WORDS), pa.string())
MISSING_TOKENS = _NA_TOKENS  # the words a reader takes as an empty cell
ERROR_TOKENS = pa.array(sorted(ERROR_WORDS), pa.string())


def sample_values(column: pa.ChunkedArray, size: int = 2500) -> list[str]:
    """Up to ``size`` stripped, non-empty values: the first 1000, then runs spread over the rest."""
    values = column.drop_null() if column.null_count > len(column) // 2 else column
    n = len(values)
    if n <= size:
        raw = values.to_pylist()
    else:
        raw = values.slice(0, 1000).to_pylist()
        run = 50
        for start in np.linspace(1000, n - run, (size - 1000) // run).astype(np.int64):
            raw.extend(values.slice(int(start), run).to_pylist())
    stripped = (v.strip() for v in raw if v is not None)
    return [v for v in stripped if v and v not in _MISSING_WORDS]


def too_many_misses(misses: int, total: int) -> bool:
    return misses > (1 - CONVERT_SHARE) * total


class Prepared:
    """A text column to convert. Trimming (and blank -> missing) is done only when needed."""

    def __init__(self, column: pa.ChunkedArray) -> None:
        self.values: Any = column
        self.valid = len(column) - column.null_count
        self.trimmed = False

    def trim(self) -> None:
        if self.trimmed:
            return
        trimmed = pc.utf8_trim_whitespace(self.values)
        blank = pc.or_(pc.equal(pc.binary_length(trimmed), 0), pc.is_in(trimmed, value_set=_NA_TOKENS))
        if pc.any(blank).as_py():
            trimmed = pc.if_else(blank, pa.scalar(None, pa.string()), trimmed)
        self.values = trimmed
        self.valid = len(trimmed) - trimmed.null_count
        self.trimmed = True

    def run(self, convert: Callable[[Any, bool], Any]) -> tuple[Any, int | None]:
        """``convert(values, strict)``; retried on trimmed values if anything failed.

        Returns (result, number of values that did not parse) or (result, None) when more than
        1% of the values did not parse.
        """
        if not self.trimmed:
            try:
                result = convert(self.values, True)
                if self.valid - (len(result) - result.null_count) == 0:
                    return result, 0
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                pass
            self.trim()
        result = convert(self.values, False)
        return result, self.accept(result)

    def accept(self, result: Any) -> int | None:
        failed = self.valid - (len(result) - result.null_count)
        if failed > (1 - CONVERT_SHARE) * self.valid:
            return None
        return failed

    def failed_examples(self, result: Any, k: int = 3) -> list[str]:
        mask = pc.and_(pc.is_valid(self.values), pc.is_null(result))
        return [str(v) for v in pc.filter(self.values, mask).slice(0, k).to_pylist()]


DIGITS_TO_NINE = str.maketrans("0123456789", "9999999999")

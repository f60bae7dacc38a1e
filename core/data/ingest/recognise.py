"""Recognising text columns as yes/no, numbers or dates, one column at a time (two threads for big
tables)."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pyarrow as pa
import pyarrow.compute as pc

from core.data.ingest.booleans import FALSE_SPELLINGS, TRUE_SPELLINGS, as_boolean
from core.data.ingest.dates import as_date
from core.data.ingest.notes import rows_text
from core.data.ingest.numbers import as_number
from core.data.ingest.values import ERROR_TOKENS, Outcome, sample_values

Recognised = tuple[list[pa.ChunkedArray], dict[str, str], dict[int, list[str]]]


def recognise_all(columns: list[pa.ChunkedArray], names: list[str], decimal: str, mode: bool | str) -> Recognised:
    """Recognise every text column (``mode`` as in :func:`_finish`); returns the new columns,
    what each converted column was, and the notes per column position."""
    columns = list(columns)
    converted: dict[str, str] = {}
    column_notes: dict[int, list[str]] = {}
    jobs = [i for i, c in enumerate(columns) if mode and pa.types.is_string(c.type)]
    if not jobs:
        return columns, converted, column_notes

    def work(i: int) -> tuple[int, Outcome | None]:
        return i, _recognise(columns[i], names[i], decimal, dates_only=mode == "dates")

    if len(jobs) > 1 and len(columns[0]) > 50_000:
        with ThreadPoolExecutor(max_workers=2) as pool:
            results = list(pool.map(work, jobs))
    else:
        results = [work(i) for i in jobs]
    for i, outcome in results:
        if outcome is not None:
            columns[i] = outcome.array
            converted[names[i]] = outcome.was
            column_notes[i] = outcome.notes
    return columns, converted, column_notes


def _recognise(column: pa.ChunkedArray, name: str, decimal: str, dates_only: bool = False) -> Outcome | None:
    """Convert a text column to booleans, numbers or dates when (nearly) all values parse."""
    if len(column) == column.null_count:
        return None
    values = sample_values(column)
    if not values:
        return None
    head = values[:64]
    if not any(ch.isdigit() for v in head for ch in v[:16]) and not any(
        v.lower() in TRUE_SPELLINGS or v.lower() in FALSE_SPELLINGS for v in head
    ):
        return None  # words without digits: neither numbers, dates nor yes/no
    sample = Counter(values)  # distinct values with their counts: each is parsed once
    for detect in (as_date,) if dates_only else (as_boolean, as_number, as_date):
        outcome = detect(column, name, sample, decimal)
        if outcome is not None:
            errors = _error_values_note(column, name)
            if errors:
                outcome.notes.append(errors)
            return outcome
    return None


def _error_values_note(column: pa.ChunkedArray, name: str) -> str | None:
    """'x': 3 spreadsheet error values (#DIV/0!, #VALUE!) are now missing (rows 2, 5 and 9)."""
    if not pc.any(pc.fill_null(pc.match_substring(column, "#"), False)).as_py():
        return None
    trimmed = pc.utf8_trim_whitespace(column)
    errors = pc.fill_null(pc.is_in(trimmed, value_set=ERROR_TOKENS), False)
    count = pc.sum(errors).as_py() or 0
    if not count:
        return None
    kinds = pc.unique(pc.filter(trimmed, errors)).to_pylist()
    shown = ", ".join(sorted(kinds)[:4]) + (" …" if len(kinds) > 4 else "")
    positions = pc.indices_nonzero(errors).slice(0, 5).to_pylist()
    verb = "is" if count == 1 else "are"
    return (
        f"'{name}': {count:,} spreadsheet error value{'s' if count > 1 else ''} ({shown}) {verb} now "
        f"missing ({rows_text(positions, count)})."
    )

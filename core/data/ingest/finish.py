"""What every reader does last: clean column names, blanks to missing, recognise text columns, leave
out a closing totals row, and hand pandas the table with one note per column."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core.data.ingest.csv_dialect import Dialect
from core.data.ingest.notes import OFFSET, canonical_offset, one_note, rows_text, tz_note
from core.data.ingest.recognise import recognise_all
from core.data.ingest.source import AS_TEXT, MAX_CELL_CHARS, MAX_COLUMNS
from core.data.ingest.totals import totals_candidate, totals_note, totals_verdict
from core.errors import InputError


@dataclass
class Finished:
    frame: pd.DataFrame
    notes: list[str]
    converted: dict[str, str]


def finish_table(
    table: pa.Table,
    label: str,
    notes: list[str],
    *,
    recognise: bool | str,
    decimal: str,
    raw_samples: Dialect | None,
    kept_text: tuple[int, ...] = (),
    last_row: Callable[[], str] | None = None,
) -> Finished:
    """``recognise``: True to turn text columns into booleans, numbers or dates when they parse;
    "dates" for dates only (a typed file: its text is text, but dates are often written as text).

    ``kept_text``: positions of columns the reader kept as text on purpose (codes), noted only if
    they are still text at the end. ``last_row``: where the last row is in the file ("line 9"),
    for a report's sheet or CSV whose closing totals row is left out; None: no such check.
    Each column gets at most one note, saying everything that was done to it.
    """
    if table.num_columns > MAX_COLUMNS:
        raise InputError(
            f"'{label}' has {table.num_columns:,} columns; Keel reads up to {MAX_COLUMNS:,}.",
            "Keep only the columns you need, or split the file.",
        )
    names, rename_notes = _clean_names(table.column_names)
    notes.extend(rename_notes)
    mode = recognise and not AS_TEXT.get()
    columns = []
    for name, column in zip(names, table.columns):
        column = _normalise_type(column)
        if pa.types.is_string(column.type):
            column = _blank_to_missing(column, name, label)
        columns.append(column)
    raw = list(columns)
    total = totals_candidate(columns) if last_row is not None else None
    if total is not None and last_row is not None:
        body = [c.slice(0, len(c) - 1) for c in columns]
        recognised = recognise_all(body, names, decimal, mode)
        typed = recognised if mode or not recognise else recognise_all(body, names, decimal, recognise)
        verdict = totals_verdict(typed, [c.slice(len(c) - 1) for c in columns], total, names, decimal)
        if verdict is None:
            recognised = recognise_all(columns, names, decimal, mode)  # a real row: keep it
        else:
            raw = body
            notes.append(totals_note(total[1], last_row(), verdict, names))
    else:
        recognised = recognise_all(columns, names, decimal, mode)
    columns, converted, column_notes = recognised
    for i, column in enumerate(columns):
        if pa.types.is_timestamp(column.type) and column.type.tz is not None and i not in column_notes:
            offsets = _sample_offsets(raw_samples, i) if raw_samples else []
            column_notes[i] = [tz_note(names[i], offsets)]
            converted.setdefault(names[i], "date-times with UTC offsets")
        if pa.types.is_floating(column.type):
            infinite = _infinite_note(names[i], column, raw[i])
            if infinite:
                column_notes.setdefault(i, []).append(infinite)
    kept = [i for i in kept_text if i < len(columns) and i not in column_notes and pa.types.is_string(columns[i].type)]
    if kept:
        shown = ", ".join(f"'{names[i]}'" for i in kept[:5])
        more = f" and {len(kept) - 5} more" if len(kept) > 5 else ""
        notes.append(
            f"Kept {shown}{more} as text: zip codes or codes (values that start with 0, or a "
            "column named like a postal code), not amounts."
        )
    for i in sorted(column_notes):
        notes.append(one_note(names[i], column_notes[i]))
    frame = _to_pandas(pa.Table.from_arrays(columns, names=names))
    return Finished(frame, notes, converted)


def _infinite_note(name: str, column: pa.ChunkedArray, raw: pa.ChunkedArray) -> str | None:
    """'x': 2 values are infinite (rows 4 and 9: 'inf', '1e309')."""
    infinite = pc.fill_null(pc.is_inf(column), False)
    count = pc.sum(infinite).as_py() or 0
    if not count:
        return None
    positions = pc.indices_nonzero(infinite).slice(0, 5).to_pylist()
    where = rows_text(positions, count)
    if pa.types.is_string(raw.type):
        written = list(dict.fromkeys(str(raw[p].as_py()).strip() for p in positions))
        where += ": " + ", ".join(f"'{w[:20]}'" for w in written[:3])
    verb = "is" if count == 1 else "are"
    return f"'{name}': {count:,} value{'s' if count > 1 else ''} {verb} infinite ({where})."


def _sample_offsets(dialect: Dialect, index: int) -> list[str]:
    found: list[str] = []
    for row in dialect.rows:
        if index < len(row):
            match = OFFSET.search(row[index].strip())
            if match:
                found.append(canonical_offset(match.group(0)))
    return sorted(set(found))


def _clean_names(raw: list[str]) -> tuple[list[str], list[str]]:
    """Blank names -> column_<n>, duplicates -> name_2, name_3… (deterministic), all str."""
    stripped = [str(n).replace("\ufeff", "").strip() for n in raw]
    notes: list[str] = []
    trimmed = sum(1 for a, b in zip(raw, stripped) if str(a) != b and b)
    if trimmed:
        notes.append(f"Removed spaces around {trimmed} column name{'s' if trimmed > 1 else ''}.")
    taken = {n for n in stripped if n}
    out: list[str] = []
    used: set[str] = set()
    renamed: list[str] = []
    for position, name in enumerate(stripped, start=1):
        if not name:
            candidate = f"column_{position}"
            k = 2
            while candidate in taken or candidate in used:
                candidate = f"column_{position}_{k}"
                k += 1
            renamed.append(f"blank name of column {position} → '{candidate}'")
        elif name in used:
            k = 2
            candidate = f"{name}_{k}"
            while candidate in taken or candidate in used:
                k += 1
                candidate = f"{name}_{k}"
            renamed.append(f"duplicate '{name}' (column {position}) → '{candidate}'")
        else:
            candidate = name
        used.add(candidate)
        out.append(candidate)
    if renamed:
        shown = "; ".join(renamed[:5]) + (f"; and {len(renamed) - 5} more" if len(renamed) > 5 else "")
        notes.append(f"Renamed {len(renamed)} column{'s' if len(renamed) > 1 else ''}: {shown}.")
    return out, notes


def _blank_to_missing(column: pa.ChunkedArray, name: str, label: str) -> pa.ChunkedArray:
    """Refuse over-long values; empty strings become missing values."""
    if column.null_count == len(column):
        return column
    lengths = pc.binary_length(column)
    low_high = pc.min_max(lengths).as_py()
    longest = low_high["max"] or 0
    if longest > MAX_CELL_CHARS:
        row = pc.index(lengths, longest).as_py()
        chars = len(column[row].as_py())
        if chars > MAX_CELL_CHARS:
            raise InputError(
                f"Column '{name}' of '{label}' has a value of {chars:,} characters (row {row + 1:,}); "
                f"Keel reads values up to {MAX_CELL_CHARS:,} characters.",
                "Check that the quotes in the file are balanced, or shorten that value.",
            )
    if low_high["min"] == 0:
        column = pc.if_else(pc.equal(lengths, 0), pa.scalar(None, pa.string()), column)
    return column


def _normalise_type(column: pa.ChunkedArray) -> pa.ChunkedArray:
    t = column.type
    if pa.types.is_null(t):
        return pa.chunked_array([pa.nulls(len(column), pa.float64())])
    if pa.types.is_dictionary(t):
        column = column.cast(t.value_type)
        return _normalise_type(column)
    if pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return column.cast(pa.string())
    if pa.types.is_time(t):
        return column.cast(pa.string())
    if pa.types.is_decimal(t):
        return column.cast(pa.float64())
    if pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t):
        try:
            return column.cast(pa.string())
        except pa.ArrowInvalid:
            return pa.chunked_array(
                [pa.array([None if v is None else v.hex() for v in column.to_pylist()], pa.string())]
            )
    if pa.types.is_nested(t):
        values = column.to_pylist()
        return pa.chunked_array(
            [pa.array([None if v is None else json.dumps(v, default=str) for v in values], pa.string())]
        )
    return column


def _to_pandas(table: pa.Table) -> pd.DataFrame:
    frame = table.to_pandas(date_as_object=False)
    for name, column in zip(table.column_names, table.columns):
        if pa.types.is_boolean(column.type) and column.null_count:
            values = pc.fill_null(column, False).to_numpy()
            mask = pc.is_null(column).to_numpy()
            frame[name] = pd.arrays.BooleanArray(values, mask)
    return frame

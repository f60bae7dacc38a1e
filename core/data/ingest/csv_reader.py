"""Reading delimited text with pyarrow's CSV reader: bad lines, line breaks inside quotes, runaway
quotes, and the notes that say what was done."""

from __future__ import annotations

import csv
import io
import threading
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from core.data.ingest.csv_dialect import NO_DELIMITER, Dialect, detect_dialect, skip_note, sniff_text
from core.data.ingest.encoding import ENCODING_LABELS, utf8_bytes
from core.data.ingest.finish import finish_table
from core.data.ingest.source import (
    AS_TEXT,
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_LISTED_LINES,
    SAMPLE_BYTES,
    Source,
    Table,
    describe_error,
)
from core.errors import InputError

_THREAD_MIN_BYTES = 4 << 20  # smaller files are parsed on one thread (exact row numbers)
_DELIMITER_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "pipes (|)"}


class _BadRows:
    """pyarrow invalid_row_handler: counts, keeps a few texts and the row numbers."""

    def __init__(self) -> None:
        self.count = 0
        self.numbers: list[int] = []
        self.texts: list[str] = []
        self.expected = 0
        self.widest = ""  # the skipped record spanning the most lines
        self.widest_breaks = 0
        self.newlines = False  # whether the read used newlines_in_values
        self._lock = threading.Lock()

    def __call__(self, row: Any) -> str:
        with self._lock:
            self.count += 1
            self.expected = row.expected_columns
            if row.number is not None:
                self.numbers.append(row.number)
            if len(self.texts) < 3:
                self.texts.append(row.text)
            breaks = row.text.count("\n")
            if breaks > self.widest_breaks:
                self.widest_breaks, self.widest = breaks, row.text
        return "skip"


def read_csv(src: Source, utf8: bytes | None, head_text: str, label: str, codec: str, notes: list[str]) -> Table:
    text = _sample_text(src, head_text, label)
    dialect = detect_dialect(text)
    if len(dialect.header) > MAX_COLUMNS:
        columns = _header_fields(src, utf8, dialect)  # the sample may have cut the header line short
        raise InputError(
            f"'{label}' has {columns:,} columns; Keel reads up to {MAX_COLUMNS:,}.",
            "Keep only the columns you need, or split the file into several files.",
        )
    if dialect.skip_lines:
        notes.append(skip_note(dialect.skip_lines, dialect.titles, dialect.sep_line))
    # Quoted values may hold line breaks. pyarrow reads them right only with newlines_in_values
    # (about 30% more work); without it, a block boundary that falls inside such a value garbles
    # the rows around it, silently. So: use it when the sample shows such a value; otherwise read
    # without it and check the rows at every block boundary, where garbling would show.
    if src.size <= SAMPLE_BYTES:
        quotes_possible = '"' in text
    elif utf8 is not None or src.in_memory:
        quotes_possible = b'"' in (utf8 if utf8 is not None else src.data())
    else:
        quotes_possible = True
    newlines = quotes_possible and any(
        "\n" in cell or "\r" in cell for row in [dialect.header, *dialect.rows] for cell in row
    )
    plan = dict(
        delimiter=dialect.delimiter or NO_DELIMITER,
        skip=dialect.skip_lines,
        decimal=dialect.decimal,
        text_columns=list(dialect.header) if AS_TEXT.get() else dialect.text_columns,
    )
    read = _read_arrow(src, utf8, plan, label, codec, notes, quotes_possible=quotes_possible, newlines=newlines)
    table, bad, utf8, codec = read
    _check_runaway_quote(table, src, utf8, label, dialect.delimiter)
    _check_swallowed_rows(table, bad, label, dialect.delimiter or NO_DELIMITER)
    bad_lines = _bad_lines(table, bad, utf8 if utf8 is not None else src, dialect, label, notes)
    if table.num_rows == 0:
        raise InputError(
            f"'{label}' has column names but no rows.",
            "Add rows of data under the column names, or check that you picked the right file.",
        )
    notes.extend(_dialect_notes(dialect))
    kept = tuple(i for i, name in enumerate(dialect.header) if name in dialect.text_columns)
    result = finish_table(
        table,
        label,
        notes,
        recognise=True,
        decimal=dialect.decimal,
        raw_samples=dialect,
        kept_text=kept,
        last_row=lambda: f"line {_last_line_number(src, utf8):,}",
    )
    return Table(
        frame=result.frame,
        source_name=label,
        format="csv",
        size_bytes=src.size,
        encoding=ENCODING_LABELS.get(codec, codec),
        delimiter=dialect.delimiter,
        decimal=dialect.decimal,
        notes=tuple(result.notes),
        bad_lines=bad_lines,
        converted=result.converted,
        bad_line_count=bad.count,
    )


def _sample_text(src: Source, head_text: str, label: str) -> str:
    """The head of the file as whole lines, for sniffing the dialect; refuses a blank file."""
    text = sniff_text(head_text, src.size <= SAMPLE_BYTES)
    if not text.strip():
        raise InputError(
            f"'{label}' is empty (it holds only blank space).", "Choose a file that has column names and rows of data."
        )
    if "\n" not in text and "\r" in text:
        # old Mac line endings: pyarrow reads them, the csv module wants them split
        text = text.replace("\r", "\n")
    return text


def _read_arrow(
    src: Source,
    utf8: bytes | None,
    plan: dict,
    label: str,
    codec: str,
    notes: list[str],
    *,
    quotes_possible: bool,
    newlines: bool,
) -> tuple[pa.Table, _BadRows, bytes | None, str]:
    """pyarrow's read, again where the first one cannot be trusted: text that is not UTF-8 after
    all, rows garbled by a line break inside quotes, bad rows read on several threads (whose row
    numbers are not exact). Returns the table, its bad rows, and the UTF-8 bytes and codec used."""
    threads = src.size > _THREAD_MIN_BYTES
    table, bad = _arrow_csv(src, utf8, plan, label, codec, notes, threads=threads, newlines=newlines)
    if table is None:  # not valid UTF-8 after all: re-decode
        utf8, codec = utf8_bytes(src, label, notes)
        table, bad = _arrow_csv(src, utf8, plan, label, codec, notes, threads=threads, newlines=newlines)
        assert table is not None
    newlines = bad.newlines
    if not newlines and quotes_possible and (bad.count or _garbled_at_block_edges(table)):
        newlines = True
        table, bad = _arrow_csv(src, utf8, plan, label, codec, notes, threads=threads, newlines=True)
        assert table is not None
    if bad.count and threads:
        # exact row numbers need one thread
        table, bad = _arrow_csv(src, utf8, plan, label, codec, notes, threads=False, newlines=newlines)
        assert table is not None
    return table, bad, utf8, codec


def _bad_lines(
    table: pa.Table, bad: _BadRows, data: bytes | Source, dialect: Dialect, label: str, notes: list[str]
) -> tuple[int, ...]:
    """The line numbers of the skipped lines (noted), or a refusal when no line was read."""
    if not bad.count:
        return ()
    lines = _record_lines(
        data if isinstance(data, bytes) else data.data(), bad.numbers, dialect.delimiter or NO_DELIMITER
    )
    bad_lines = tuple(lines[:MAX_LISTED_LINES])
    if table.num_rows == 0:
        raise InputError(
            f"No row of '{label}' has the {bad.expected} fields that its header line names "
            f"({bad.count:,} lines had a different number).",
            "Check that the first line holds the column names and that every line uses the same "
            "separator; quote values that contain the separator.",
        )
    notes.append(_bad_lines_note(bad, bad_lines))
    return bad_lines


def _dialect_notes(dialect: Dialect) -> list[str]:
    if dialect.delimiter and dialect.delimiter != ",":
        what = _DELIMITER_NAMES[dialect.delimiter]
        decimals = " and decimals use a comma (1.234,56)." if dialect.decimal == "," else "."
        return [f"Columns are separated by {what}{decimals}"]
    if dialect.decimal == ",":
        return ["Decimals use a comma (1.234,56)."]
    return []


def _last_line_number(src: Source, utf8: bytes | None) -> int:
    """The number of the file's last line that is not blank."""
    if utf8 is not None or src.in_memory:
        data = utf8 if utf8 is not None else src.data()
        stripped = data.rstrip(b" \t\r\n")
        breaks = stripped.count(b"\n") or stripped.count(b"\r")
        return breaks + 1
    assert src.path is not None
    tail = src.tail(1 << 16)
    trailing = tail[len(tail.rstrip(b" \t\r\n")) :]
    lines = 0
    with open(src.path, "rb") as fh:
        while block := fh.read(1 << 22):
            lines += block.count(b"\n")
    return lines - trailing.count(b"\n") + 1


def _header_fields(src: Source, utf8: bytes | None, dialect: Dialect) -> int:
    """The exact number of fields on the header line, read as far as it goes (for refusals)."""
    if utf8 is None and src.path is not None and not src.in_memory:
        raw: Any = open(src.path, "rb")  # noqa: SIM115 (closed with the text stream below)
    else:
        raw = io.BytesIO(utf8 if utf8 is not None else src.data())
    delimiter = dialect.delimiter or NO_DELIMITER
    with io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="") as stream:
        for _ in range(dialect.skip_lines):
            stream.readline()
        record = ""
        for line in stream:
            if not record and not line.strip():
                continue
            record += line
            if record.count('"') % 2 == 0:
                break
    return sum(part.count(delimiter) for part in record.split('"')[::2]) + 1


def _arrow_csv(
    src: Source,
    utf8: bytes | None,
    plan: dict,
    label: str,
    codec: str,
    notes: list[str],
    *,
    threads: bool,
    newlines: bool,
) -> tuple[pa.Table | None, _BadRows]:
    """One pyarrow read. Returns (None, …) when the data turned out not to be UTF-8."""
    bad = _BadRows()
    source = pa.BufferReader(utf8) if utf8 is not None else src.arrow_input()
    text_types = {name: pa.string() for name in plan["text_columns"]}
    block = 1 << 20
    for _attempt in range(6):
        try:
            table = pacsv.read_csv(
                source,
                read_options=pacsv.ReadOptions(use_threads=threads, block_size=block, skip_rows=plan["skip"]),
                parse_options=pacsv.ParseOptions(
                    delimiter=plan["delimiter"],
                    quote_char='"',
                    double_quote=True,
                    newlines_in_values=newlines,
                    ignore_empty_lines=True,
                    invalid_row_handler=bad,
                ),
                convert_options=pacsv.ConvertOptions(
                    column_types=text_types,
                    decimal_point=plan["decimal"],
                    true_values=_ARROW_TRUE,
                    false_values=_ARROW_FALSE,
                ),
            )
            bad.newlines = newlines
            if utf8 is None and any(pa.types.is_binary(f.type) for f in table.schema):
                return None, bad  # pyarrow keeps bytes that are not UTF-8 as binary: re-decode
            return table, bad
        except pa.ArrowInvalid as exc:
            message = str(exc)
            if "invalid UTF8" in message or "UTF-8" in message or "UTF8" in message:
                if utf8 is not None:
                    raise InputError(
                        f"'{label}' has text that could not be decoded.",
                        "Save the file again as UTF-8 CSV and upload that.",
                    ) from exc
                return None, bad
            if "newlines_in_values" in message and not newlines:
                newlines = True  # a value with a line break straddles two blocks: read it again
                bad = _BadRows()
                source = pa.BufferReader(utf8) if utf8 is not None else src.arrow_input()
                continue
            if "Empty CSV file" in message:
                raise InputError(
                    f"'{label}' has column names but no rows.",
                    "Add rows of data under the column names, or check that you picked the right file.",
                ) from exc
            if ("straddling" in message or "block" in message.lower()) and block < (1 << 30):
                block = min(1 << 30, max(block * 16, (src.size + 1024)))
                bad = _BadRows()
                source = pa.BufferReader(utf8) if utf8 is not None else src.arrow_input()
                continue
            raise InputError(
                f"'{label}' could not be read as CSV ({describe_error(exc)}).",
                "Check that every line uses the same separator and that quotes are balanced.",
            ) from exc
    raise InputError(
        f"'{label}' has a line too long to read.",
        f"Keel reads values up to {MAX_CELL_CHARS:,} characters; check that quotes are balanced.",
    )


# what pyarrow may read as booleans while parsing: true/false only. Yes/no answers stay in the
# user's own words (see _as_boolean), so a model answers 'Yes' where the file said 'Yes'.
_ARROW_TRUE = ["1", "true", "True", "TRUE"]
_ARROW_FALSE = ["0", "false", "False", "FALSE"]


def _garbled_at_block_edges(table: pa.Table) -> bool:
    """True if a row at a block edge holds a quote or a line break (read again to be safe).

    Each chunk of the table is one block pyarrow parsed on its own. When a block boundary falls
    inside a quoted value with a line break, the rows on either side of the boundary come out
    with a stray quote or a line break in some text value, and nowhere else.
    """
    for column in table.columns:
        if not pa.types.is_string(column.type):
            continue
        for chunk in column.chunks:
            if len(chunk):
                for value in (chunk[0].as_py(), chunk[len(chunk) - 1].as_py()):
                    if value and ('"' in value or "\n" in value or "\r" in value):
                        return True
    return False


def _bad_lines_note(bad: _BadRows, lines: tuple[int, ...]) -> str:
    shown = ", ".join(str(n) for n in lines[:10])
    more = f" and {bad.count - min(10, len(lines)):,} more" if bad.count > min(10, len(lines)) else ""
    where = f": line{'s' if bad.count > 1 else ''} {shown}{more}" if lines else ""
    return f"Skipped {bad.count:,} line{'s' if bad.count > 1 else ''} that did not have {bad.expected} fields{where}."


def _record_lines(data: bytes, records: list[int], delimiter: str) -> list[int]:
    """Map pyarrow's record numbers (1-based, blank lines not counted) to physical line numbers."""
    if not records:
        return []
    wanted = sorted(set(records))
    if b'"' not in data:
        arr = np.frombuffer(data, dtype=np.uint8)
        newlines = np.flatnonzero(arr == 10)
        if newlines.size == 0 and b"\r" in data:
            newlines = np.flatnonzero(arr == 13)
        starts = np.concatenate(([0], newlines + 1))
        ends = np.concatenate((newlines, [len(data)]))
        length = ends - starts
        crlf = (length == 1) & (arr[np.minimum(starts, len(arr) - 1)] == 13)
        nonblank = np.flatnonzero((length > 0) & ~crlf) + 1  # 1-based physical line numbers
        idx = np.asarray(wanted) - 1
        idx = idx[idx < nonblank.size]
        return [int(n) for n in nonblank[idx]]
    # quotes may hide line breaks: walk the records with the csv module (rarely needed)
    text = data.decode("utf-8", errors="replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    out: list[int] = []
    want = iter(wanted)
    target = next(want, None)
    record = 0
    previous_line = 0
    try:
        for row in reader:
            start = previous_line + 1
            previous_line = reader.line_num
            if not row:
                continue
            record += 1
            while target is not None and target <= record:
                if target == record:
                    out.append(start)
                target = next(want, None)
            if target is None:
                break
    except csv.Error:
        pass
    return out


def _check_runaway_quote(table: pa.Table, src: Source, utf8: bytes | None, label: str, delimiter: str | None) -> None:
    """Refuse a file whose unclosed quote swallowed the rest of it into one value."""
    if table.num_rows == 0:
        return
    last = table.slice(table.num_rows - 1, 1)
    multiline = False
    for column in last.columns:
        if pa.types.is_string(column.type):
            value = column[0].as_py()
            if value and "\n" in value:
                multiline = True
    if not multiline:
        return
    data = utf8 if utf8 is not None else src.data()
    if data.count(b'"') % 2 == 0:
        return
    # the opening quote sits in the value that runs to the end of the file: count back
    value = max(
        (c[0].as_py() for c in last.columns if pa.types.is_string(c.type) and c[0].as_py()),
        key=lambda v: v.count("\n"),
    )
    line = max(1, data.count(b"\n") - value.count("\n") + 1)
    raise InputError(
        f"'{label}' has a quote (\") on line {line:,} that is never closed, so everything after "
        "it would be read as one value.",
        'Remove that stray quote or close it (write a quote inside a value as ""), then upload again.',
    )


def _check_swallowed_rows(table: pa.Table, bad: _BadRows, label: str, delimiter: str) -> None:
    """Refuse when a stray quote made many lines (that look like rows) into one value or line."""
    candidates: list[tuple[str, str | None]] = []
    if bad.widest_breaks >= 10:
        candidates.append((bad.widest, None))
    for name, column in zip(table.column_names, table.columns):
        if not pa.types.is_string(column.type) or column.null_count == len(column):
            continue
        if (pc.max(pc.binary_length(column)).as_py() or 0) < 20 * max(2, table.num_columns):
            continue  # too short to hold ten lines that look like rows: skip the slower scan
        breaks = pc.count_substring(column, "\n")
        most = pc.max(breaks).as_py() or 0
        if most >= 10:
            candidates.append((column[pc.index(breaks, most).as_py()].as_py(), name))
    for text, name in candidates:
        lines = text.split("\n")
        row_like = sum(line.count(delimiter) >= table.num_columns - 1 for line in lines)
        if row_like < 0.8 * len(lines):
            continue
        start = text[:40].replace("\n", " ")
        where = f" into one value of column '{name}'" if name else ""
        raise InputError(
            f"'{label}' has a quote (\") that is not closed where it should be, so {len(lines):,} "
            f"lines run together{where} (they start: '{start}').",
            "Find that place in the file and remove the stray quote, or write a quote inside a "
            'value as "", then upload again.',
        )

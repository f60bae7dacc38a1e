"""How a delimited text file is written: delimiter, a title block above the header, decimal comma,
columns kept as text (codes with leading zeros). Judged from a sample of the file's head."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from core.data.ingest.numbers import CODE_NAME
from core.data.ingest.values import ERROR_WORDS

_SNIFF_CHARS = 64 * 1024  # text used for delimiter detection
_DELIMITERS = (",", ";", "\t", "|")
NO_DELIMITER = "\x1f"  # one-column files: a separator that never occurs in text


@dataclass
class Dialect:
    delimiter: str | None  # None: a single column
    skip_lines: int  # physical lines before the header
    header: list[str]
    decimal: str
    text_columns: list[str]  # forced to text (leading zeros)
    rows: list[list[str]]  # sample records after the header
    titles: list[str] = field(default_factory=list)  # the text of skipped title lines
    sep_line: bool = False  # the first line was Excel's 'sep=;'


def sniff_text(head_text: str, complete: bool) -> str:
    """The head of the file cut back to complete lines (unless the whole file is in it)."""
    text = head_text.lstrip("\ufeff")
    if not complete:
        cut = text.rfind("\n")
        if cut > 0:
            text = text[: cut + 1]
    return text


def _records(text: str, delimiter: str, limit: int = 400) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=False)
    rows: list[list[str]] = []
    try:
        for row in reader:
            if row and not (len(row) == 1 and not row[0].strip()):
                rows.append(row)
            if len(rows) >= limit:
                break
    except csv.Error:
        pass  # a field longer than the csv module allows: judge from what was read
    return rows


def detect_dialect(text: str) -> Dialect:
    sniff = text[:_SNIFF_CHARS]
    if len(text) > _SNIFF_CHARS:
        cut = sniff.rfind("\n")
        # whole lines, unless that leaves fewer than two (a very long header): take more then
        sniff = sniff[: cut + 1] if sniff.count("\n", 0, max(cut, 0)) >= 1 else text[: 4 * _SNIFF_CHARS]
    sep_line = re.match(r'\s*"?sep=(.)"?\s*\r?\n', sniff, re.IGNORECASE)
    skip = 0
    if sep_line:
        skip = 1
        sniff = sniff[sep_line.end() :]
    best: tuple[float, int, int] | None = None
    choice: tuple[str | None, int, list[list[str]]] = (None, 0, _records(sniff, NO_DELIMITER))
    candidates = [sep_line.group(1)] if sep_line and sep_line.group(1) in _DELIMITERS else list(_DELIMITERS)
    for rank, delim in enumerate(candidates):
        rows = _records(sniff, delim)
        if not rows:
            continue
        title = title_block(rows)  # a title padded to the table's width (as Excel saves it)
        for start in [title] if title else range(0, min(len(rows) - 1, 10) + 1):
            header_n = len(rows[start])
            if header_n < 2:
                continue
            body = rows[start + 1 :]
            share = sum(len(r) == header_n for r in body) / len(body) if body else 1.0
            if start > 0 and (
                share < 0.9
                or len(body) < (1 if title else 2)
                or (not title and not _short_lines(rows[:start], rows[start], body))
            ):
                continue  # skip title lines only when they are short and a clear table follows
            score = (share - 0.05 * start, header_n if share >= 0.9 else 0, -rank)
            if best is None or score > best:
                best, choice = score, (delim, start, rows[start:])
            if share >= 0.9:
                break
    delim, start, rows = choice
    titles: list[str] = []
    if delim is None:
        rows = _records(sniff, NO_DELIMITER)
    if start:
        skip += _lines_before_record(sniff, delim or NO_DELIMITER, start)
        lines = _records(sniff, delim or NO_DELIMITER, limit=start)
        titles = [" ".join(c.strip() for c in r if c.strip()) for r in lines]
        titles = [t for t in titles if t]
    header = rows[0] if rows else []
    body = rows[1:]
    decimal = _detect_decimal(body, delim)
    text_columns = []
    for j, name in enumerate(header):
        values = [r[j].strip() for r in body if j < len(r)]
        if CODE_NAME.search(name) or any(_LEADING_ZERO.match(v) for v in values):
            text_columns.append(name)
    return Dialect(delim, skip, header, decimal, text_columns, body, titles, bool(sep_line))


# ---- a title block above the header -------------------------------------------------------------

_DATA_LIKE = re.compile(
    r"^[(+\-−]?\s*[$€£¥₹]?\s*[+-]?(?:\d[\d.,'\u00a0\u202f ]*)?\d(?:[eE][+-]?\d+)?\s*%?\s*[$€£¥₹]?\)?$"
    r"|^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}|^[+-]?(?:inf|infinity)$|^(?:true|false)$",
    re.IGNORECASE,
)
_YEAR = re.compile(r"^(?:19|20)\d\d$")


def _data_like(value: str) -> bool:
    """A number, amount, percentage, date or spreadsheet error: a value, never a column name."""
    return bool(_DATA_LIKE.match(value)) or value in ERROR_WORDS


def _filled(row: list[str]) -> int:
    return sum(1 for cell in row if cell.strip())


def title_block(rows: list[list[str]]) -> int:
    """How many leading rows are a title block above the real header (0: none).

    Title rows have one filled cell, or a few in a wide table (at most a third of the header's),
    whatever their width (a title padded with separators, a title in cell A1); the row below them
    must look like column names over the table (see :func:`_header_like`).
    """
    filled = [_filled(r) for r in rows]
    for k in range(1, min(10, len(rows) - 1) + 1):
        width = len(rows[k]) - next((i for i, c in enumerate(reversed(rows[k])) if c.strip()), 0)
        limit = max(1, width // 3)
        if filled[k] <= limit:
            continue  # still in the title block
        if any(f > limit for f in filled[:k]):
            return 0
        body = rows[k + 1 : k + 201]
        if not body or sum(f > limit for f in filled[k + 1 : k + 201]) < 0.6 * len(body):
            return 0
        if not _header_like([c.strip() for c in rows[k][:width]], body):
            return 0
        titles = [" ".join(c.strip() for c in r if c.strip()) for r in rows[:k]]
        titles = [t for t in titles if t]
        if not titles:
            return 0  # only blank rows above: nothing to skip that the reader does not skip
        numbers_below = any(_data_like(c.strip()) for r in body[:50] for c in r)
        if len(titles) == 1 and " " not in titles[0] and len(titles[0]) <= 15 and not numbers_below:
            return 0  # one short word over a table of words: as likely a header with blank names
        return k
    return 0


def _short_lines(lines: list[list[str]], header: list[str], body: list[list[str]]) -> bool:
    """Whether ``lines`` above ``header`` are a title: far fewer fields than the table (a third at
    most), or merely fewer when the header is plainly names over a column of numbers."""
    if all(len(r) <= max(1, len(header) // 3) for r in lines):
        return True
    return all(len(r) < len(header) for r in lines) and _header_like([c.strip() for c in header], body, strong=True)


def _header_like(cells: list[str], body: list[list[str]], strong: bool = False) -> bool:
    """Whether ``cells`` read as column names over ``body``: distinct, nearly all filled, and no
    number sitting over a column of numbers (a year such as '2024' may name a column). ``strong``:
    only when some name sits over a column of numbers (words over words could be a row of data)."""
    names = [c for c in cells if c]
    if len(names) < 2 or len(names) < 0.7 * len(cells) or len({n.lower() for n in names}) < len(names):
        return False
    evidence = 0
    for j, cell in enumerate(cells):
        if not cell:
            continue
        below = [r[j].strip() for r in body[:50] if j < len(r) and r[j].strip()]
        numeric_below = bool(below) and sum(_data_like(v) for v in below) >= 0.8 * len(below)
        if _data_like(cell):
            if numeric_below and not _YEAR.match(cell):
                return False  # a number over numbers: a row of data, not names
            if numeric_below and not all(_YEAR.match(v) for v in below):
                evidence += 1  # a year naming a column of amounts
        elif numeric_below:
            evidence += 1
    return evidence > 0 or (not strong and not any(_data_like(n) for n in names))


def skip_note(lines: int, titles: list[str], sep_line: bool, what: str = "line", where: str = "") -> str:
    """Skipped 2 lines before the column names (lines 1–2: 'Sales report Q1', 'Exported …')."""
    span = f"{what} 1" if lines == 1 else f"{what}s 1–{lines}"
    shown = [f"'{t[:60]}{'…' if len(t) > 60 else ''}'" for t in titles[:3]]
    if len(titles) > 3:
        shown.append("…")
    if sep_line and not titles:
        return f"Skipped {what} 1 ('sep=…'), which only names the separator."
    listed = f": {', '.join(shown)}" if shown else ""
    return f"Skipped {lines} {what}{'s' if lines > 1 else ''} before the column names{where} ({span}{listed})."


def _lines_before_record(text: str, delimiter: str, record: int) -> int:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=False)
    seen = 0
    for row in reader:
        if row and not (len(row) == 1 and not row[0].strip()):
            if seen == record:
                return reader.line_num - 1 - _record_span(row)
            seen += 1
    return 0


def _record_span(row: list[str]) -> int:
    return sum(cell.count("\n") for cell in row)


_LEADING_ZERO = re.compile(r"^0\d+$")
_EU_NUMBER = re.compile(r"^[+-]?(?:\d+,\d{1,2}|\d+,\d{4,}|\d{1,3}(?:\.\d{3})+,\d+|\d{1,3}(?:\.\d{3}){2,})$")
_US_NUMBER = re.compile(r"^[+-]?(?:\d+\.\d{1,2}|\d+\.\d{4,}|\d{1,3}(?:,\d{3})+\.\d+|\d{1,3}(?:,\d{3}){2,})$")
_AMBIGUOUS_COMMA = re.compile(r"^[+-]?\d{1,3},\d{3}$")


def _detect_decimal(rows: list[list[str]], delimiter: str | None) -> str:
    if delimiter == ",":
        return "."
    eu = us = comma = 0
    for row in rows[:400]:
        for cell in row:
            value = cell.strip().strip("$€£¥%").strip()
            if _EU_NUMBER.match(value):
                eu += 1
            elif _US_NUMBER.match(value):
                us += 1
            elif _AMBIGUOUS_COMMA.match(value):
                comma += 1
    if eu > us:
        return ","
    if us == 0 and comma and delimiter == ";":
        return ","
    return "."

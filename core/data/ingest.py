"""Read whatever a person uploads into a DataFrame, or refuse it with a clear reason.

``read_table(source, name)`` accepts raw bytes (an upload) or a path (the CLI). The format is
decided by the file's *content*, never its extension:

- CSV / TSV / TXT: encoding (UTF-8 with or without BOM, UTF-16 with or without BOM,
  Windows-1252 / Latin-1 fallback), delimiter (``, ; tab |``) and decimal comma are detected
  from a sample; parsing is pyarrow's multi-threaded CSV reader.
- Excel ``.xlsx``: openpyxl in read-only mode with cached values only (no formula is ever
  evaluated); the zip is checked for bombs, and every XML part for entity declarations (a
  'billion laughs' workbook is refused as unsafe), before anything is parsed. Without a chosen
  sheet the biggest table-like sheet is read, and the note names the others.
- Parquet (pyarrow), JSON Lines and a JSON array of objects. Limits are checked before reading:
  a Parquet footer declaring more than MAX_CELLS values, or JSON nested deeper than
  MAX_JSON_DEPTH (pyarrow's reader would crash the process), is refused.

Reports as people make them: a title block above the header (one filled cell per line, however
wide the line) is skipped, and a closing totals row ('Total', 'Grand total', 'Sum'… whose numbers
add up) is left out, both with a note naming the lines. Spreadsheet error values (#DIV/0!, #N/A…)
in a column of numbers become missing and 'inf' / '1e309' infinite, so the column stays numeric.

Text columns are then *recognised* with vectorised pyarrow compute: numbers with thousands
separators, currency, percentages, yes/no booleans and dates (day/month order decided by the
data). A column is converted only when at least 99% of its values parse; what was converted and
anything unusual is recorded in ``Table.converted`` and ``Table.notes`` in plain words, with at
most one note per column saying everything done to it.

Non-tables (archives, pickles, images, PDFs, programs, databases, web pages, binary garbage) are
refused with an :class:`~core.errors.InputError` whose hint says what to upload instead. Nothing
uploaded is ever unpickled or executed, and ``name`` is only ever used in messages. Any other
failure inside a library is wrapped into an ``InputError`` too (and logged with an id, as a bug).

``Table.notes`` are whole sentences, one per thing done, naming columns in quotes, e.g.::

    Text encoding: Windows-1252 (the file is not UTF-8).
    Columns are separated by semicolons and decimals use a comma (1.234,56).
    Skipped 1 line before the column names (line 1: 'Sales report Q1').
    Skipped 2 lines that did not have 3 fields: lines 4, 6.
    Renamed 2 columns: blank name of column 2 → 'column_2'; duplicate 'x' (column 3) → 'x_2'.
    Skipped the last row (line 40, 'Total'): it is a totals row, not data ('units' adds up to it).
    'price': read as numbers (amounts in $, thousands separators ','); 3 values could not be read
      as numbers and are now missing (first: 'n/a?', …).
    'margin': read percentages as fractions (12.5% → 0.125).
    'shipped': read as dates (day/month/year).
    'when': times had different UTC offsets (+01:00, +02:00) and were converted to UTC.
    'ratio': 2 spreadsheet error values (#DIV/0!) are now missing (rows 4 and 9).

``Table.converted`` maps each converted column to what it was, e.g. ``"amounts in $, thousands
separators ','"``, ``"percentages"``, ``"yes/no text (yes/no)"``, ``"dates (day/month/year)"``.
In text columns only empty cells become missing; placeholders such as ``N/A`` stay as written
(they count as missing only while a column is being recognised as numbers, dates or yes/no).
"""

from __future__ import annotations

import contextvars
import csv
import io
import json
import re
import threading
import zipfile
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from core.bugs import log_bug
from core.errors import InputError, KeelError

MAX_BYTES = 500 * 1024 * 1024  # refuse larger uploads with a clear message
MAX_COLUMNS = 10_000
MAX_CELL_CHARS = 2_000_000
MAX_UNPACKED_BYTES = 300 * 1024 * 1024  # an .xlsx may not unpack to more than this
MAX_ZIP_RATIO = 100  # ... nor compress a large member more than this many times
MAX_ZIP_MEMBERS = 10_000
MAX_PARQUET_UNPACKED = 4 * 1024 * 1024 * 1024
MAX_JSON_DOCUMENT_BYTES = 200 * 1024 * 1024  # a whole-document JSON array is parsed in Python
MAX_JSON_DEPTH = 100  # [ and { nested deeper than this are refused before any JSON parser runs
MAX_CELLS = 100_000_000  # rows x columns a typed file (Parquet) may declare: ~0.8 GB as numbers
MAX_EXCEL_ROWS = 1_048_576  # Excel's own limit
CONVERT_SHARE = 0.99  # a text column is converted only when this share of its values parse
MAX_LISTED_LINES = 100_000  # bad line numbers kept in Table.bad_lines

_SAMPLE_BYTES = 1 << 20  # head of the file used for sniffing
_SNIFF_CHARS = 64 * 1024  # text used for delimiter detection
_THREAD_MIN_BYTES = 4 << 20  # smaller files are parsed on one thread (exact row numbers)
_LARGE_ZIP_MEMBER = 10 * 1024 * 1024
_DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "pipes (|)"}
_NO_DELIMITER = "\x1f"  # one-column files: a separator that never occurs in text
_UPLOAD_HINT = "Upload a CSV, Excel (.xlsx), Parquet or JSON file."


@dataclass(frozen=True)
class Table:
    """A parsed upload: the table plus everything ingest noticed on the way."""

    frame: pd.DataFrame
    source_name: str  # the user's file name, for display only (never used as a path)
    format: str  # "csv", "xlsx", "parquet", "jsonl", "json"
    size_bytes: int
    encoding: str | None = None
    delimiter: str | None = None
    decimal: str | None = None
    sheet: str | None = None
    sheets: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # plain-language notices: renamed columns, converted columns…
    bad_lines: tuple[int, ...] = ()  # 1-based line numbers that could not be read
    converted: dict[str, str] = field(default_factory=dict)  # column -> what it was converted from
    bad_line_count: int = 0  # may exceed len(bad_lines) when more than MAX_LISTED_LINES


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------


_AS_TEXT: contextvars.ContextVar[bool] = contextvars.ContextVar("keel_read_as_text", default=False)


def read_table(
    source: bytes | str | Path, name: str | None = None, *, sheet: str | None = None, as_text: bool = False
) -> Table:
    """Parse ``source`` (raw bytes, or a path) into a :class:`Table`; raise ``InputError`` if not a table.

    ``name`` is the user's file name and only appears in messages. ``sheet`` picks an Excel
    sheet by name (default: the biggest table-like sheet). ``as_text``: a text file's cells
    exactly as written ('1.50', '>3', '6-Aug-09'), for copying a user's rows into an output;
    typed files (Excel, Parquet, JSON) keep their own types.
    """
    label = _label(source, name)
    token = _AS_TEXT.set(as_text)
    try:
        return _read(source, label, sheet)
    except KeelError:
        raise
    except MemoryError as exc:
        raise InputError(
            f"'{label}' is too big to read into memory on this machine.",
            "Split it into smaller files, or keep only the columns you need.",
        ) from exc
    except Exception as exc:
        bug_id = log_bug(exc, context="ingest.read_table")
        raise InputError(
            f"'{label}' could not be read as a table ({_describe(exc)}).",
            f"Check that it is a valid CSV, Excel, Parquet or JSON file. If it is, report "
            f"reference {bug_id} so we can fix the reader.",
        ) from exc
    finally:
        _AS_TEXT.reset(token)
        # pyarrow's allocator keeps what a read freed (the file's blocks, the text before it became
        # numbers: ~450 MB for a 200 MB CSV) for reuse that never comes; hand it back, so the work
        # that follows a read (profiling) starts from the table's own size
        pa.default_memory_pool().release_unused()


def _label(source: object, name: str | None) -> str:
    if name:
        return str(name)
    if isinstance(source, (str, Path)):
        return Path(source).name or str(source)
    return "the uploaded file"


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


class _Source:
    """The bytes of an upload, or a file on disk read only as far as needed."""

    def __init__(self, source: bytes | str | Path, label: str) -> None:
        self.label = label
        self.path: Path | None = None
        self._data: bytes | None = None
        if isinstance(source, (bytes, bytearray, memoryview)):
            self._data = bytes(source)
            self.size = len(self._data)
        elif isinstance(source, (str, Path)):
            try:
                path = Path(source)
                if not path.exists():
                    raise InputError(f"File '{label}' was not found.", "Check the path and try again.")
                if path.is_dir():
                    raise InputError(f"'{label}' is a folder, not a file.", "Give the path of a file inside it.")
                self.size = path.stat().st_size
            except (OSError, ValueError) as exc:
                raise InputError(
                    f"File '{label}' could not be opened ({_describe(exc)}).",
                    "Check the path and that you may read the file.",
                ) from exc
            self.path = path
        else:
            raise InputError(
                f"'{label}' is not a file (got a {type(source).__name__}).",
                "Pass the file's bytes or its path.",
            )

    def head(self, n: int) -> bytes:
        if self._data is not None:
            return self._data[:n]
        assert self.path is not None
        with open(self.path, "rb") as fh:
            return fh.read(n)

    def tail(self, n: int) -> bytes:
        if self._data is not None:
            return self._data[-n:] if n < self.size else self._data
        assert self.path is not None
        with open(self.path, "rb") as fh:
            fh.seek(max(0, self.size - n))
            return fh.read()

    @property
    def in_memory(self) -> bool:
        return self._data is not None

    def data(self) -> bytes:
        if self._data is None:
            assert self.path is not None
            try:
                self._data = self.path.read_bytes()
            except OSError as exc:
                raise InputError(
                    f"File '{self.label}' could not be read ({_describe(exc)}).",
                    "Check that the file is not being written and that you may read it.",
                ) from exc
        return self._data

    def arrow_input(self) -> Any:
        """What pyarrow should read: the path (fast, parallel IO) or an in-memory buffer."""
        if self._data is None and self.path is not None:
            return str(self.path.absolute())  # absolute: pyarrow would expand a leading '~' itself
        return pa.BufferReader(self.data())


def _read(source: bytes | str | Path, label: str, sheet: str | None) -> Table:
    src = _Source(source, label)
    if src.size == 0:
        raise InputError(f"'{label}' is empty.", "Choose a file that has column names and rows of data.")
    if src.size > MAX_BYTES:
        raise InputError(
            f"'{label}' is {src.size / 2**20:,.0f} MB; Keel reads files up to {MAX_BYTES // 2**20} MB.",
            "Split it into smaller files, or keep only the columns and rows you need.",
        )
    head = src.head(_SAMPLE_BYTES)
    kind = _sniff_binary(head, src, label)
    if kind == "zip":
        return _read_xlsx(src.data(), label, src.size, sheet)
    if kind == "parquet":
        return _read_parquet(src, label, src.size)
    return _read_text(src, head, label)


# --------------------------------------------------------------------------------------------
# Content sniffing: refuse what is not a table
# --------------------------------------------------------------------------------------------

_NOT_A_TABLE_HINT = "Upload the data itself as a CSV, Excel (.xlsx), Parquet or JSON file."
_ARCHIVE_HINT = "Decompress it and upload the CSV or Excel file inside."

# (magic bytes, offset, what it is, hint)
_MAGIC: tuple[tuple[bytes, int, str, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "a PNG image", _NOT_A_TABLE_HINT),
    (b"\xff\xd8\xff", 0, "a JPEG image", _NOT_A_TABLE_HINT),
    (b"GIF87a", 0, "a GIF image", _NOT_A_TABLE_HINT),
    (b"GIF89a", 0, "a GIF image", _NOT_A_TABLE_HINT),
    (b"II*\x00", 0, "a TIFF image", _NOT_A_TABLE_HINT),
    (b"MM\x00*", 0, "a TIFF image", _NOT_A_TABLE_HINT),
    (
        b"%PDF",
        0,
        "a PDF document",
        "Export the table from where it came from as CSV or Excel; tables copied out of a PDF lose their structure.",
    ),
    (b"\x1f\x8b", 0, "a gzip-compressed file", _ARCHIVE_HINT),
    (b"BZh", 0, "a bzip2-compressed file", _ARCHIVE_HINT),
    (b"\xfd7zXZ\x00", 0, "an xz-compressed file", _ARCHIVE_HINT),
    (b"7z\xbc\xaf\x27\x1c", 0, "a 7-Zip archive", _ARCHIVE_HINT),
    (b"Rar!\x1a\x07", 0, "a RAR archive", _ARCHIVE_HINT),
    (b"\x28\xb5\x2f\xfd", 0, "a Zstandard-compressed file", _ARCHIVE_HINT),
    (b"ustar", 257, "a tar archive", _ARCHIVE_HINT),
    (b"\x7fELF", 0, "a program (executable file)", _NOT_A_TABLE_HINT),
    (b"\xcf\xfa\xed\xfe", 0, "a program (executable file)", _NOT_A_TABLE_HINT),
    (b"\xfe\xed\xfa\xcf", 0, "a program (executable file)", _NOT_A_TABLE_HINT),
    (b"\xca\xfe\xba\xbe", 0, "a program (executable file)", _NOT_A_TABLE_HINT),
    (b"\x00asm", 0, "a program (WebAssembly)", _NOT_A_TABLE_HINT),
    (
        b"SQLite format 3\x00",
        0,
        "an SQLite database",
        "Export the table you need as CSV (for example with the sqlite3 command '.mode csv'), then upload that.",
    ),
    (b"\x93NUMPY", 0, "a NumPy array file", "Save the data as CSV or Parquet and upload that."),
    (b"\x89HDF\r\n\x1a\n", 0, "an HDF5 file", "Save the table as CSV or Parquet and upload that."),
    (
        b"ARROW1",
        0,
        "an Arrow/Feather file",
        "Save it as Parquet (for example with pandas' to_parquet) and upload that.",
    ),
    (b"ORC", 0, "an ORC file", "Save it as Parquet and upload that."),
    (b"Obj\x01", 0, "an Avro file", "Save it as Parquet and upload that."),
    (b"{\\rtf", 0, "an RTF document", "Save the table as CSV or Excel and upload that."),
    (b"%!PS", 0, "a PostScript document", _NOT_A_TABLE_HINT),
    (b"\x00\x00\x01\x00", 0, "an icon image", _NOT_A_TABLE_HINT),
    (b"OggS", 0, "an audio or video file", _NOT_A_TABLE_HINT),
    (b"ID3", 0, "an MP3 audio file", _NOT_A_TABLE_HINT),
    (b"\x1aE\xdf\xa3", 0, "a video file", _NOT_A_TABLE_HINT),
)


def _refuse(label: str, what: str, hint: str) -> InputError:
    return InputError(f"'{label}' is {what}, not a table.", hint)


def _sniff_binary(head: bytes, src: _Source, label: str) -> str:
    """Return "zip", "parquet" or "text"; raise for anything that is not a table."""
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        return "zip"
    if head.startswith(b"PAR1"):
        if src.size >= 12 and src.tail(4) == b"PAR1":
            return "parquet"
        raise InputError(
            f"'{label}' starts like a Parquet file but is incomplete or damaged.",
            "Save or download the Parquet file again, or upload it as CSV.",
        )
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise InputError(
            f"'{label}' is an old-format Excel (.xls) file or a password-protected workbook, which Keel cannot read.",
            "Open it in Excel or LibreOffice and save it as .xlsx (without a password) or as CSV.",
        )
    for magic, offset, what, hint in _MAGIC:
        if head[offset : offset + len(magic)] == magic:
            if magic == b"BZh" and head[4:10] != b"1AY&SY":
                continue
            if magic == b"ORC" and b"\x00" not in head[:64]:
                continue
            if magic == b"ID3" and b"\x00" not in head[:16]:
                continue
            if magic == b"\x00\x00\x01\x00" and head[:4] != magic:
                continue
            raise _refuse(label, what, hint)
    if head.startswith(b"RIFF") and head[8:12] in (b"WEBP", b"WAVE", b"AVI "):
        what = "a WebP image" if head[8:12] == b"WEBP" else "an audio or video file"
        raise _refuse(label, what, _NOT_A_TABLE_HINT)
    if (
        head.startswith(b"BM")
        and len(head) >= 26
        and head[6:10] == b"\x00\x00\x00\x00"
        and (int.from_bytes(head[2:6], "little") in (src.size, 0) or b"\x00" in head[14:18])
    ):
        raise _refuse(label, "a BMP image", _NOT_A_TABLE_HINT)
    if head.startswith(b"MZ") and len(head) >= 64:
        pe = int.from_bytes(head[60:64], "little")
        if head[pe : pe + 4] == b"PE\x00\x00" or b"This program cannot be run in DOS" in head[:512]:
            raise _refuse(label, "a Windows program (executable file)", _NOT_A_TABLE_HINT)
    if head[:1] == b"\x80" and len(head) > 1 and 2 <= head[1] <= 5:
        raise _pickle(label)
    if head[:4] in (b"\x78\x9c", b"\x78\xda") and b"\x00" in head[:256]:
        raise _refuse(label, "a compressed file", _ARCHIVE_HINT)  # zlib (joblib & co.)
    stripped = head.lstrip()
    if stripped.startswith((b"(dp0", b"(lp0", b"ccopy_reg\n", b"c__builtin__\n", b"(tp0", b"(I")) and (
        src.tail(1) == b"."
    ):
        raise _pickle(label)
    return "text"


def _pickle(label: str) -> InputError:
    return InputError(
        f"'{label}' is a Python pickle file, not a table. Keel never opens pickle files, because "
        "opening one can run any code hidden inside it.",
        "Save the data as CSV, Excel (.xlsx) or Parquet and upload that.",
    )


# --------------------------------------------------------------------------------------------
# Text: encoding, then JSON / HTML / CSV
# --------------------------------------------------------------------------------------------

_ENCODING_LABELS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 (with BOM)",
    "utf-16-le": "UTF-16 LE",
    "utf-16-be": "UTF-16 BE",
    "utf-32-le": "UTF-32 LE",
    "utf-32-be": "UTF-32 BE",
    "cp1252": "Windows-1252",
    "latin-1": "Latin-1 (ISO-8859-1)",
}


def _detect_encoding(head: bytes) -> tuple[str, int]:
    """Return (codec, BOM length) from the head of a file."""
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig", 3
    if head.startswith(b"\xff\xfe\x00\x00"):
        return "utf-32-le", 4
    if head.startswith(b"\x00\x00\xfe\xff"):
        return "utf-32-be", 4
    if head.startswith(b"\xff\xfe"):
        return "utf-16-le", 2
    if head.startswith(b"\xfe\xff"):
        return "utf-16-be", 2
    sample = head[:8192]
    if len(sample) >= 4:
        even, odd = sample[0::2], sample[1::2]
        even_nul = even.count(0) / max(1, len(even))
        odd_nul = odd.count(0) / max(1, len(odd))
        if odd_nul > 0.3 and even_nul < 0.05:
            return "utf-16-le", 0
        if even_nul > 0.3 and odd_nul < 0.05:
            return "utf-16-be", 0
    if _valid_utf8_prefix(head):
        return "utf-8", 0
    return _single_byte_codec(head), 0


def _valid_utf8_prefix(head: bytes) -> bool:
    """True if ``head`` is UTF-8, allowing a character cut off at the end of the sample."""
    try:
        head.decode("utf-8")
        return True
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 3 and exc.reason == "unexpected end of data"


_CP1252_UNDEFINED = b"\x81\x8d\x8f\x90\x9d"
_UTF8_SEQ = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _single_byte_codec(data: bytes) -> str:
    return "latin-1" if any(b in data for b in _CP1252_UNDEFINED) else "cp1252"


def _fallback_codec(data: bytes) -> tuple[str, str]:
    """For text that is not valid UTF-8: ("utf-8", "replace") if it is mostly UTF-8, else cp1252/latin-1."""
    high = len(data) - len(data.translate(None, bytes(range(128, 256))))
    in_sequences = sum(len(m) for m in _UTF8_SEQ.findall(data))
    if high and in_sequences / high >= 0.5:
        return "utf-8", "replace"
    return _single_byte_codec(data), "strict"


def _read_text(src: _Source, head: bytes, label: str) -> Table:
    codec, bom = _detect_encoding(head)
    notes: list[str] = []
    head_text = _decode_head(head[bom:], codec)
    _check_not_binary(head_text, label)
    _check_not_markup(head_text, label)
    first = head_text.lstrip("\ufeff \t\r\n")[:1]
    json_like = first == "{" or (first == "[" and re.match(r"\[\s*[\[{\"\]\d\-tfn]", head_text.lstrip("\ufeff \t\r\n")))
    if codec in ("utf-8", "utf-8-sig"):
        utf8: bytes | None = None  # let pyarrow read the original (it skips a UTF-8 BOM)
    else:
        data = src.data()
        utf8 = _transcode(data[bom:], codec, "strict", label)
        notes.append(f"Text encoding: {_ENCODING_LABELS[codec]} (converted to UTF-8).")
    if json_like:
        if utf8 is None:
            utf8, codec = _utf8_bytes(src, label, notes)
        return _read_json(utf8, label, src.size, codec, notes)
    return _read_csv(src, utf8, head_text, label, codec, notes)


def _decode_head(head: bytes, codec: str) -> str:
    if codec.startswith("utf-16") or codec.startswith("utf-32"):
        unit = 2 if codec.startswith("utf-16") else 4
        head = head[: len(head) - len(head) % unit]
    return head.decode(codec, errors="replace")


def _transcode(data: bytes, codec: str, errors: str, label: str) -> bytes:
    try:
        return data.decode(codec, errors=errors).encode("utf-8")
    except UnicodeDecodeError as exc:
        if codec.startswith("utf-16") or codec.startswith("utf-32"):
            raise InputError(
                f"'{label}' looks like {_ENCODING_LABELS.get(codec, codec)} text but has invalid "
                f"bytes at position {exc.start:,}.",
                "Save the file again as UTF-8 CSV and upload that.",
            ) from exc
        return data.decode("latin-1").encode("utf-8")


def _utf8_bytes(src: _Source, label: str, notes: list[str]) -> tuple[bytes, str]:
    """The file as valid UTF-8 bytes and the codec it was in (it may only *start* as UTF-8)."""
    data = src.data()
    try:
        data.decode("utf-8")
        return data, "utf-8"
    except UnicodeDecodeError:
        codec, errors = _fallback_codec(data)
        _note_fallback(notes, codec, errors)
        return _transcode(data, codec, errors, label), codec


def _note_fallback(notes: list[str], codec: str, errors: str) -> None:
    if errors == "replace":
        notes.append("Some bytes were not valid UTF-8 text and were replaced with '\ufffd'.")
    else:
        notes.append(f"Text encoding: {_ENCODING_LABELS[codec]} (the file is not UTF-8).")


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f]")


def _check_not_binary(text: str, label: str) -> None:
    sample = text[:65536]
    if not sample:
        return
    bad = len(_CONTROL.findall(sample))
    if "\x00" in sample or bad / len(sample) > 0.01 or sample.count("\ufffd") / len(sample) > 0.1:
        raise InputError(
            f"'{label}' contains binary data, not text or a spreadsheet.",
            _UPLOAD_HINT,
        )


_MARKUP = re.compile(
    r"\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|\?xml|svg|rss|feed|!doctype|table|div|script)\b",
    re.IGNORECASE | re.DOTALL,
)


def _check_not_markup(text: str, label: str) -> None:
    start = text.lstrip("\ufeff")[:4096]
    match = _MARKUP.match(start)
    if not match:
        return
    lowered = start.lower()
    if "urn:schemas-microsoft-com:office:spreadsheet" in lowered:
        raise InputError(
            f"'{label}' is an Excel 2003 XML spreadsheet, which Keel cannot read.",
            "Open it in Excel or LibreOffice and save it as .xlsx or CSV.",
        )
    if "<?xml" in lowered[:100] and "<html" not in lowered and "<svg" not in lowered:
        raise _refuse(label, "an XML document", "Export the data as CSV, Excel (.xlsx) or JSON and upload that.")
    if "<svg" in lowered:
        raise _refuse(label, "an SVG image", _NOT_A_TABLE_HINT)
    raise _refuse(
        label,
        "a web page (HTML)",
        "Download the data as CSV or Excel instead of saving the web page.",
    )


# --------------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------------


@dataclass
class _Dialect:
    delimiter: str | None  # None: a single column
    skip_lines: int  # physical lines before the header
    header: list[str]
    decimal: str
    text_columns: list[str]  # forced to text (leading zeros)
    rows: list[list[str]]  # sample records after the header
    titles: list[str] = field(default_factory=list)  # the text of skipped title lines
    sep_line: bool = False  # the first line was Excel's 'sep=;'


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


def _sniff_text(head_text: str, complete: bool) -> str:
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


def _detect_dialect(text: str) -> _Dialect:
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
    choice: tuple[str | None, int, list[list[str]]] = (None, 0, _records(sniff, _NO_DELIMITER))
    candidates = [sep_line.group(1)] if sep_line and sep_line.group(1) in _DELIMITERS else list(_DELIMITERS)
    for rank, delim in enumerate(candidates):
        rows = _records(sniff, delim)
        if not rows:
            continue
        title = _title_block(rows)  # a title padded to the table's width (as Excel saves it)
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
        rows = _records(sniff, _NO_DELIMITER)
    if start:
        skip += _lines_before_record(sniff, delim or _NO_DELIMITER, start)
        lines = _records(sniff, delim or _NO_DELIMITER, limit=start)
        titles = [" ".join(c.strip() for c in r if c.strip()) for r in lines]
        titles = [t for t in titles if t]
    header = rows[0] if rows else []
    body = rows[1:]
    decimal = _detect_decimal(body, delim)
    text_columns = []
    for j, name in enumerate(header):
        values = [r[j].strip() for r in body if j < len(r)]
        if _CODE_NAME.search(name) or any(_LEADING_ZERO.match(v) for v in values):
            text_columns.append(name)
    return _Dialect(delim, skip, header, decimal, text_columns, body, titles, bool(sep_line))


# ---- a title block above the header -------------------------------------------------------------

_DATA_LIKE = re.compile(
    r"^[(+\-−]?\s*[$€£¥₹]?\s*[+-]?(?:\d[\d.,'\u00a0\u202f ]*)?\d(?:[eE][+-]?\d+)?\s*%?\s*[$€£¥₹]?\)?$"
    r"|^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}|^[+-]?(?:inf|infinity)$|^(?:true|false)$",
    re.IGNORECASE,
)
_YEAR = re.compile(r"^(?:19|20)\d\d$")


def _data_like(value: str) -> bool:
    """A number, amount, percentage, date or spreadsheet error: a value, never a column name."""
    return bool(_DATA_LIKE.match(value)) or value in _ERROR_WORDS


def _filled(row: list[str]) -> int:
    return sum(1 for cell in row if cell.strip())


def _title_block(rows: list[list[str]]) -> int:
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


def _skip_note(lines: int, titles: list[str], sep_line: bool, what: str = "line", where: str = "") -> str:
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


def _read_csv(src: _Source, utf8: bytes | None, head_text: str, label: str, codec: str, notes: list[str]) -> Table:
    complete = src.size <= _SAMPLE_BYTES
    text = _sniff_text(head_text, complete)
    if not text.strip():
        raise InputError(
            f"'{label}' is empty (it holds only blank space).", "Choose a file that has column names and rows of data."
        )
    if "\n" not in text and "\r" in text:
        # old Mac line endings: pyarrow reads them, the csv module wants them split
        text = text.replace("\r", "\n")
    dialect = _detect_dialect(text)
    if len(dialect.header) > MAX_COLUMNS:
        columns = _header_fields(src, utf8, dialect)  # the sample may have cut the header line short
        raise InputError(
            f"'{label}' has {columns:,} columns; Keel reads up to {MAX_COLUMNS:,}.",
            "Keep only the columns you need, or split the file into several files.",
        )
    if dialect.skip_lines:
        notes.append(_skip_note(dialect.skip_lines, dialect.titles, dialect.sep_line))
    # Quoted values may hold line breaks. pyarrow reads them right only with newlines_in_values
    # (about 30% more work); without it, a block boundary that falls inside such a value garbles
    # the rows around it, silently. So: use it when the sample shows such a value; otherwise read
    # without it and check the rows at every block boundary, where garbling would show.
    if complete:
        quotes_possible = '"' in text
    elif utf8 is not None or src.in_memory:
        quotes_possible = b'"' in (utf8 if utf8 is not None else src.data())
    else:
        quotes_possible = True
    newlines = quotes_possible and any(
        "\n" in cell or "\r" in cell for row in [dialect.header, *dialect.rows] for cell in row
    )
    plan = dict(
        delimiter=dialect.delimiter or _NO_DELIMITER,
        skip=dialect.skip_lines,
        decimal=dialect.decimal,
        text_columns=list(dialect.header) if _AS_TEXT.get() else dialect.text_columns,
    )
    threads = src.size > _THREAD_MIN_BYTES
    table, bad = _arrow_csv(src, utf8, plan, label, codec, notes, threads=threads, newlines=newlines)
    if table is None:  # not valid UTF-8 after all: re-decode
        utf8, codec = _utf8_bytes(src, label, notes)
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
    _check_runaway_quote(table, src, utf8, label, dialect.delimiter)
    _check_swallowed_rows(table, bad, label, dialect.delimiter or _NO_DELIMITER)
    bad_lines: tuple[int, ...] = ()
    if bad.count:
        data = utf8 if utf8 is not None else src.data()
        lines = _record_lines(data, bad.numbers, dialect.delimiter or _NO_DELIMITER)
        bad_lines = tuple(lines[:MAX_LISTED_LINES])
        if table.num_rows == 0:
            raise InputError(
                f"No row of '{label}' has the {bad.expected} fields that its header line names "
                f"({bad.count:,} lines had a different number).",
                "Check that the first line holds the column names and that every line uses the same "
                "separator; quote values that contain the separator.",
            )
        notes.append(_bad_lines_note(bad, bad_lines))
    if table.num_rows == 0:
        raise InputError(
            f"'{label}' has column names but no rows.",
            "Add rows of data under the column names, or check that you picked the right file.",
        )
    if dialect.delimiter and dialect.delimiter != ",":
        what = _DELIMITER_NAMES[dialect.delimiter]
        notes.append(
            f"Columns are separated by {what}"
            + (" and decimals use a comma (1.234,56)." if dialect.decimal == "," else ".")
        )
    elif dialect.decimal == ",":
        notes.append("Decimals use a comma (1.234,56).")
    kept = tuple(i for i, name in enumerate(dialect.header) if name in dialect.text_columns)
    result = _finish(
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
        encoding=_ENCODING_LABELS.get(codec, codec),
        delimiter=dialect.delimiter,
        decimal=dialect.decimal,
        notes=tuple(result.notes),
        bad_lines=bad_lines,
        converted=result.converted,
        bad_line_count=bad.count,
    )


def _last_line_number(src: _Source, utf8: bytes | None) -> int:
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


def _header_fields(src: _Source, utf8: bytes | None, dialect: _Dialect) -> int:
    """The exact number of fields on the header line, read as far as it goes (for refusals)."""
    if utf8 is None and src.path is not None and not src.in_memory:
        stream: Any = open(src.path, encoding="utf-8-sig", errors="replace", newline="")
    else:
        data = utf8 if utf8 is not None else src.data()
        stream = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", errors="replace", newline="")
    delimiter = dialect.delimiter or _NO_DELIMITER
    with stream:
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
    src: _Source,
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
                f"'{label}' could not be read as CSV ({_describe(exc)}).",
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


def _check_runaway_quote(table: pa.Table, src: _Source, utf8: bytes | None, label: str, delimiter: str | None) -> None:
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


# --------------------------------------------------------------------------------------------
# Excel
# --------------------------------------------------------------------------------------------


def _check_zip(data: bytes, label: str) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise InputError(
            f"'{label}' is a damaged or incomplete ZIP file (Excel files are ZIP files inside).",
            "Open it in Excel or LibreOffice and save it again, or export it as CSV.",
        ) from exc
    names = {m.filename for m in members}
    if "xl/workbook.xml" not in names:
        if "xl/workbook.bin" in names:
            raise InputError(
                f"'{label}' is an Excel binary workbook (.xlsb), which Keel cannot read.",
                "Open it in Excel and save it as .xlsx or CSV.",
            )
        if "word/document.xml" in names:
            raise _refuse(label, "a Word document", "Copy the table into Excel and save it as .xlsx or CSV.")
        if "ppt/presentation.xml" in names:
            raise _refuse(label, "a PowerPoint presentation", "Copy the table into Excel and save it as .xlsx or CSV.")
        if "mimetype" in names and "content.xml" in names:
            raise InputError(
                f"'{label}' is an OpenDocument file (.ods), which Keel cannot read.",
                "Open it in LibreOffice and save it as .xlsx or CSV.",
            )
        raise InputError(
            f"'{label}' is a ZIP archive, not a table.",
            "Unzip it and upload the CSV or Excel file inside.",
        )
    if len(members) > MAX_ZIP_MEMBERS:
        raise InputError(
            f"'{label}' holds {len(members):,} files inside; a spreadsheet has far fewer, so Keel will not unpack it.",
            "Save the sheet you need as CSV and upload that.",
        )
    total = sum(m.file_size for m in members)
    if total > MAX_UNPACKED_BYTES:
        raise InputError(
            f"'{label}' would unpack to {total / 2**20:,.0f} MB, more than the "
            f"{MAX_UNPACKED_BYTES // 2**20} MB Keel allows for a spreadsheet.",
            "Save the sheet you need as CSV and upload that, or split the workbook.",
        )
    for member in members:
        if member.file_size > _LARGE_ZIP_MEMBER and member.file_size > MAX_ZIP_RATIO * max(1, member.compress_size):
            raise InputError(
                f"'{label}' is compressed more than {MAX_ZIP_RATIO} times over (like a 'zip bomb'), "
                "so Keel will not unpack it.",
                "If it is a real spreadsheet, save it as CSV and upload that.",
            )
    return archive


_XML_PROLOG_STEP = 64 * 1024
_XML_PROLOG_LIMIT = 1 << 20


def _check_no_xml_entities(archive: zipfile.ZipFile, label: str) -> None:
    """Refuse a workbook any of whose XML parts declares a DTD or entities.

    Excel never writes them; a 'billion laughs' part uses them to expand a few kilobytes into
    gigabytes inside the XML parser. Only the prolog (what comes before the first element) may
    hold a declaration, so each part is read just that far.
    """
    for member in archive.infolist():
        if member.is_dir():
            continue
        with archive.open(member) as fh:
            head = fh.read(_XML_PROLOG_STEP)
            if _xml_text(head) is None:
                continue  # not XML: an image or another binary part
            verdict = None
            while verdict is None and len(head) < _XML_PROLOG_LIMIT:
                verdict = _prolog_verdict(_xml_text(head) or "")
                more = fh.read(_XML_PROLOG_STEP) if verdict is None else b""
                if verdict is None and not more:
                    break
                head += more
        if verdict is None:  # a prolog without end: look for a declaration anywhere in it
            text = _xml_text(head) or ""
            verdict = "<!DOCTYPE" in text or "<!ENTITY" in text
        if verdict:
            raise InputError(
                f"'{label}' is not safe to open: it contains XML entity declarations (in "
                f"'{member.filename}') that could make the computer run out of memory (a 'billion "
                "laughs' attack), so Keel did not open it.",
                "Excel never writes these. If the file comes from someone you trust, open it in Excel "
                "or LibreOffice, save it again as .xlsx and upload that, or export the sheet as CSV.",
            )


def _xml_text(head: bytes) -> str | None:
    """The start of an XML part as text, or None if it is not XML."""
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if head.startswith(bom):
            head, encoding = head[len(bom) :], codec
            break
    else:
        encoding = "utf-16-le" if head[1:2] == b"\x00" else "utf-16-be" if head[:1] == b"\x00" else "utf-8"
    text = head.decode(encoding, errors="replace")
    return text if text.lstrip()[:1] == "<" else None


def _prolog_verdict(text: str) -> bool | None:
    """True if the prolog declares a DTD or entities, False once the first element starts,
    None if the text ends inside the prolog."""
    i = 0
    n = len(text)
    while True:
        while i < n and text[i] in " \t\r\n":
            i += 1
        if i >= n:
            return None
        if text.startswith("<?", i):
            close = "?>"
        elif text.startswith("<!--", i):
            close = "-->"
        elif text.startswith("<!", i):
            return True  # <!DOCTYPE or <!ENTITY: a declaration
        else:
            return False  # the root element (or not XML at all): the prolog is over
        end = text.find(close, i + 2)
        if end < 0:
            return None
        i = end + len(close)


def _read_xlsx(data: bytes, label: str, size: int, sheet: str | None) -> Table:
    _check_no_xml_entities(_check_zip(data, label), label)
    import openpyxl  # local: only Excel uploads pay for the import
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    except KeelError:
        raise
    except (
        InvalidFileException,
        zipfile.BadZipFile,
        KeyError,
        ValueError,
        TypeError,
        OSError,
        EOFError,
        IndexError,
        AttributeError,
    ) as exc:
        raise InputError(
            f"'{label}' looks like an Excel file but is damaged or incomplete ({_describe(exc)}).",
            "Open it in Excel or LibreOffice and save it again, or export the sheet as CSV.",
        ) from exc
    except Exception as exc:
        raise InputError(
            f"'{label}' looks like an Excel file but could not be read ({_describe(exc)}).",
            "Open it in Excel or LibreOffice and save it again, or export the sheet as CSV.",
        ) from exc
    try:
        names = tuple(str(n) for n in book.sheetnames)
        if not names:
            raise InputError(f"'{label}' has no sheets.", "Save a workbook with at least one sheet of data.")
        if sheet is not None and sheet not in names:
            listed = ", ".join(f"'{n}'" for n in names)
            raise InputError(f"'{label}' has no sheet named '{sheet}'.", f"Sheets in this file: {listed}.")
        best: _Sheet | None = None
        for candidate in [sheet] if sheet is not None else names:
            found = _read_sheet(book[candidate], label, candidate)
            if found is not None and (best is None or found.score > best.score):
                best = found
        if best is None:
            if sheet is not None:
                raise InputError(f"Sheet '{sheet}' in '{label}' is empty.", "Pick a sheet that has data.")
            raise InputError(
                f"Every sheet in '{label}' is empty.", "Save the workbook with the data in it and upload it again."
            )
    except KeelError:
        raise
    except Exception as exc:
        raise InputError(
            f"'{label}' looks like an Excel file but a sheet is damaged ({_describe(exc)}).",
            "Open it in Excel or LibreOffice and save it again, or export the sheet as CSV.",
        ) from exc
    finally:
        book.close()
    return _sheet_table(best, names, sheet is None, label, size)


@dataclass
class _Sheet:
    name: str
    rows: list[tuple]  # from the first non-empty row, trailing empty cells trimmed
    numbers: list[int]  # each row's number in the sheet (1-based)
    title: int  # rows of a title block above the header
    score: tuple[int, int]  # (has data rows, cells of the table): the biggest table wins


def _read_sheet(ws: Any, label: str, name: str) -> _Sheet | None:
    rows, numbers = _sheet_rows(ws, label, name)
    if not rows:
        return None
    title = _title_block([[_cell_label(v) for v in row] for row in rows[:211]])
    width = max(len(r) for r in rows[title:])
    body = len(rows) - title - 1
    return _Sheet(name, rows, numbers, title, (int(body > 0), body * width))


def _cell_label(value: Any) -> str:
    return "" if value is None else value if isinstance(value, str) else _cell_text(value)


def _sheet_table(found: _Sheet, names: tuple[str, ...], picked: bool, label: str, size: int) -> Table:
    notes: list[str] = []
    name, rows, numbers = found.name, found.rows[found.title :], found.numbers[found.title :]
    if len(names) > 1:
        rest = [f"'{n}'" for n in names if n != name]
        others = f"the other{'s' if len(rest) > 1 else ''}: {_and(rest[:10] + ([f'{len(rest) - 10} more'] if len(rest) > 10 else []))}"
        if picked:
            notes.append(
                f"Read sheet '{name}', the biggest table of the {len(names)} sheets in the file "
                f"({others}). To read another, pick it in the sheet list, or on the command line add "
                "--sheet NAME."
            )
        else:
            notes.append(f"Read sheet '{name}' ({len(names)} sheets in the file; {others}).")
    if found.title:
        titles = [
            " ".join(_cell_label(v).strip() for v in r if _cell_label(v).strip()) for r in found.rows[: found.title]
        ]
        notes.append(_skip_note(numbers[0] - 1, [t for t in titles if t], False, "row", f" in sheet '{name}'"))
    empty_rows = (numbers[-1] - numbers[0] + 1) - len(rows)
    if empty_rows:
        notes.append(f"Skipped {empty_rows:,} empty row{'s' if empty_rows > 1 else ''} inside the sheet.")
    width = max(len(r) for r in rows)
    header, body = tuple(rows[0]) + (None,) * (width - len(rows[0])), rows[1:]
    if not body:
        raise InputError(
            f"Sheet '{name}' of '{label}' has column names but no rows.",
            "Add rows of data under the column names, or pick another sheet.",
        )
    names_raw = [_header_text(v) for v in header]
    arrays = [_column_from_values([r[j] if j < len(r) else None for r in body]) for j in range(width)]
    table = pa.Table.from_arrays(arrays, names=names_raw)
    result = _finish(
        table,
        label,
        notes,
        recognise=True,
        decimal=".",
        raw_samples=None,
        last_row=lambda: f"row {numbers[-1]:,} of sheet '{name}'",
    )
    return Table(
        frame=result.frame,
        source_name=label,
        format="xlsx",
        size_bytes=size,
        sheet=name,
        sheets=names,
        notes=tuple(result.notes),
        converted=result.converted,
    )


def _sheet_rows(ws: Any, label: str, sheet: str) -> tuple[list[tuple], list[int]]:
    """Rows of a read-only sheet that hold something, trailing empty cells trimmed, with their
    row numbers in the sheet."""
    if hasattr(ws, "reset_dimensions"):
        ws.reset_dimensions()  # a sheet's declared size may lie; read what is there
    rows: list[tuple] = []
    numbers: list[int] = []
    for index, row in enumerate(ws.iter_rows(values_only=True), start=1):
        if index > MAX_EXCEL_ROWS + 1:
            raise InputError(
                f"Sheet '{sheet}' of '{label}' has more than {MAX_EXCEL_ROWS:,} rows.",
                "Split the data or save it as CSV.",
            )
        end = len(row)
        while end and (row[end - 1] is None or (isinstance(row[end - 1], str) and not row[end - 1].strip())):
            end -= 1
        if end == 0:
            continue
        if end > MAX_COLUMNS:
            raise InputError(
                f"Sheet '{sheet}' of '{label}' has {end:,} columns; Keel reads up to {MAX_COLUMNS:,}.",
                "Keep only the columns you need, or save the sheet as CSV.",
            )
        rows.append(tuple(row[:end]))
        numbers.append(index)
    return rows, numbers


def _header_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        text = value.isoformat()
        return text[:-9] if text.endswith("T00:00:00") else text
    return str(value)


def _column_from_values(values: list[Any]) -> pa.Array:
    """An Arrow array from Python cell values; mixed kinds become text (then recognised)."""
    import datetime as dt

    kinds = set()
    for v in values:
        if v is None:
            continue
        if isinstance(v, bool):
            kinds.add("bool")
        elif isinstance(v, (int, float)):
            kinds.add("int" if isinstance(v, int) else "float")
        elif isinstance(v, dt.datetime) or isinstance(v, dt.date):
            kinds.add("datetime")
        elif isinstance(v, str):
            kinds.add("str" if v.strip() else "blank")
        else:
            kinds.add("other")
        if len(kinds) > 2:
            break
    kinds.discard("blank")
    cleaned = [None if (isinstance(v, str) and not v.strip()) else v for v in values]
    try:
        if not kinds:
            return pa.nulls(len(values), pa.float64())
        if kinds == {"int"}:
            return pa.array(cleaned, type=pa.int64())
        if kinds <= {"int", "float"}:
            return pa.array([None if v is None else float(v) for v in cleaned], type=pa.float64())
        if kinds == {"bool"}:
            return pa.array(cleaned, type=pa.bool_())
        if kinds == {"datetime"}:
            return pa.array(
                [
                    None if v is None else (v if isinstance(v, dt.datetime) else dt.datetime(v.year, v.month, v.day))
                    for v in cleaned
                ],
                type=pa.timestamp("us"),
            )
    except (pa.ArrowException, OverflowError, TypeError, ValueError):
        pass
    return pa.array([None if v is None else _cell_text(v) for v in cleaned], type=pa.string())


def _cell_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=str)
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ") if hasattr(value, "hour") and hasattr(value, "date") else value.isoformat()
    return str(value)


# --------------------------------------------------------------------------------------------
# Parquet
# --------------------------------------------------------------------------------------------


def _read_parquet(src: _Source, label: str, size: int) -> Table:
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(src.arrow_input())
        meta = parquet.metadata
        _check_parquet_size(meta, label)
        table = parquet.read()
    except KeelError:
        raise
    except (pa.ArrowException, OSError, ValueError, IndexError, TypeError, KeyError) as exc:
        raise InputError(
            f"'{label}' looks like a Parquet file but could not be read ({_describe(exc)}).",
            "Save or download the Parquet file again, or upload it as CSV.",
        ) from exc
    if table.num_rows == 0:
        raise InputError(f"'{label}' has column names but no rows.", "Check that you picked the right file.")
    notes: list[str] = []
    # the writer typed the columns: text stays text (codes with leading zeros), but dates written
    # as text ('2024-03-31', a common way to save them) are read as dates, as from a CSV
    result = _finish(table, label, notes, recognise="dates", decimal=".", raw_samples=None)
    return Table(
        frame=result.frame,
        source_name=label,
        format="parquet",
        size_bytes=size,
        notes=tuple(result.notes),
        converted=result.converted,
    )


def _check_parquet_size(meta: Any, label: str) -> None:
    """Refuse, from the footer alone, a file that would not fit in memory once read.

    A few megabytes of Parquet can declare a billion rows (a column of nothing but missing values
    compresses to almost nothing), so the declared shape is checked, not the file's size.
    """
    groups = [meta.row_group(i) for i in range(meta.num_row_groups)]
    rows = max(int(meta.num_rows), sum(int(g.num_rows) for g in groups))
    columns = int(meta.num_columns)
    if columns > MAX_COLUMNS:
        raise InputError(
            f"'{label}' has {columns:,} columns; Keel reads up to {MAX_COLUMNS:,}.",
            "Keep only the columns you need and save it again.",
        )
    if rows * max(1, columns) > MAX_CELLS:
        raise InputError(
            f"'{label}' declares {rows:,} rows × {columns:,} column{'s' if columns != 1 else ''} "
            f"({rows * max(1, columns):,} values); Keel holds up to {MAX_CELLS:,} values in memory, "
            "so it did not read the file.",
            "Keep only the rows and columns you need (a sample of the rows is often enough) and save "
            "it again, or split it into several files.",
        )
    unpacked = sum(g.total_byte_size for g in groups)
    if unpacked > MAX_PARQUET_UNPACKED:
        raise InputError(
            f"'{label}' would unpack to {unpacked / 2**30:,.1f} GB, more than Keel can hold in memory.",
            "Keep only the rows and columns you need and save it again.",
        )


# --------------------------------------------------------------------------------------------
# JSON
# --------------------------------------------------------------------------------------------

_JSON_HINT = "Keel reads a JSON array of objects ([{...}, {...}]) or JSON Lines (one object per line)."


def _read_json(data: bytes, label: str, size: int, codec: str, notes: list[str]) -> Table:
    _check_json_depth(data, label, lines=True)
    text_start = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    table: pa.Table | None = None
    fmt = "json"
    if text_start == b"{":
        fmt = "jsonl"
        table = _jsonl_arrow(data)
        if table is not None and table.num_rows == 1 and all(pa.types.is_list(f.type) for f in table.schema):
            fmt, table = "json", _json_document(data, label, notes)  # {"col": [...], ...}
        elif table is None:
            records = _jsonl_python(data, label)
            if records is None:  # one JSON object spread over lines
                fmt = "json"
                table = _json_document(data, label, notes)
            else:
                table = _records_table(records, label, notes)
    else:
        table = _json_document(data, label, notes)
    if table.num_columns > MAX_COLUMNS:
        raise InputError(
            f"'{label}' has {table.num_columns:,} different keys; Keel reads up to {MAX_COLUMNS:,} columns.",
            "Keep only the fields you need.",
        )
    if table.num_rows == 0:
        raise InputError(f"'{label}' holds no records.", _JSON_HINT)
    table = _flatten_nested(table, notes)
    result = _finish(table, label, notes, recognise=True, decimal=".", raw_samples=None)
    return Table(
        frame=result.frame,
        source_name=label,
        format=fmt,
        size_bytes=size,
        encoding=_ENCODING_LABELS.get(codec, codec),
        notes=tuple(result.notes),
        converted=result.converted,
    )


def _check_json_depth(data: bytes, label: str, *, lines: bool) -> None:
    """Refuse JSON nested deeper than MAX_JSON_DEPTH before a parser sees it.

    pyarrow's JSON reader recurses once per level and crashes the whole process (no exception,
    exit 139) somewhere past ten thousand levels. It parses each line on its own, so for it
    (``lines``) a line with few opening brackets is safe whatever the rest holds: that quick count
    clears ordinary files, and only a line with many brackets pays for the exact scan.
    """
    if lines:
        if _openers_per_line(data) <= MAX_JSON_DEPTH:
            return
    elif data.count(b"[") + data.count(b"{") <= MAX_JSON_DEPTH:
        return
    depth, at = _json_depth(data)
    if depth > MAX_JSON_DEPTH:
        line = data.count(b"\n", 0, at) + 1
        raise InputError(
            f"'{label}' has JSON nested {depth:,} levels deep (line {line:,}); Keel reads JSON nested "
            f"up to {MAX_JSON_DEPTH} levels, and the records of a table need only a few.",
            "Flatten the records (one object per row, with plain values such as numbers, text or "
            "short lists), or save the data as CSV or Parquet, then upload again.",
        )


_DEPTH_CHUNK = 4 << 20
_OPENER = np.zeros(256, dtype=bool)
_OPENER[[ord("["), ord("{")]] = True
# byte classes for the exact scan: quote, backslash, line break, opening and closing bracket
_JSON_CLASS = np.zeros(256, dtype=np.int8)
_JSON_CLASS[ord('"')], _JSON_CLASS[ord("\\")], _JSON_CLASS[ord("\n")] = 1, 2, 3
_JSON_CLASS[[ord("["), ord("{")]] = 4
_JSON_CLASS[[ord("]"), ord("}")]] = 5


def _openers_per_line(data: bytes) -> int:
    """The most opening brackets ([ or {) on any one line: an upper bound of its depth."""
    arr = np.frombuffer(data, dtype=np.uint8)
    worst = carry = 0
    for start in range(0, len(arr), _DEPTH_CHUNK):
        chunk = arr[start : start + _DEPTH_CHUNK]
        openers = np.flatnonzero(_OPENER[chunk])
        breaks = np.flatnonzero(chunk == 10)
        if not len(breaks):
            carry += len(openers)
            worst = max(worst, carry)
            continue
        per_line = np.diff(np.searchsorted(openers, breaks), prepend=0)
        per_line[0] += carry
        carry = len(openers) - int(np.searchsorted(openers, breaks[-1]))
        worst = max(worst, int(per_line.max()), carry)
    return worst


def _json_depth(data: bytes) -> tuple[int, int]:
    """(deepest nesting of [ and { outside strings, byte offset where it is first reached).

    A vectorised scan in chunks over the bytes that matter: quotes not escaped by an odd run of
    backslashes toggle "inside a string"; brackets outside strings move the level. A closing
    bracket never takes the level below zero, and a line break always ends a string (JSON forbids
    raw line breaks inside one, and pyarrow parses each line on its own), so broken JSON cannot
    hide depth from this count.
    """
    arr = np.frombuffer(data, dtype=np.uint8)
    in_string = level = low = backslashes = 0  # low: min(0, lowest running level), the clamp
    best, best_at = 0, 0
    for start in range(0, len(arr), _DEPTH_CHUNK):
        chunk = arr[start : start + _DEPTH_CHUNK]
        pos = np.flatnonzero(_JSON_CLASS[chunk])
        kind = _JSON_CLASS[chunk[pos]]
        slash = kind == 2
        if slash.any() or (backslashes % 2 == 1 and len(pos) and pos[0] == 0):
            kind = _drop_escapes(pos, kind, slash, backslashes)
        backslashes = _trailing_backslashes(chunk, backslashes)
        quotes = np.cumsum(kind == 1, dtype=np.int64)  # quotes up to and including each entry
        breaks = np.flatnonzero(kind == 3)
        if len(breaks):
            last = np.maximum.accumulate(np.where(kind == 3, np.arange(len(kind)), -1))
            base = np.where(last >= 0, quotes[np.maximum(last, 0)], -in_string)
            in_string_after = int(quotes[-1] - quotes[breaks[-1]]) % 2
        else:
            base = -in_string
            in_string_after = (in_string + int(quotes[-1] if len(quotes) else 0)) % 2
        where = np.flatnonzero((kind >= 4) & ((quotes - base) % 2 == 0))
        if len(where):
            sums = level + np.cumsum(np.where(kind[where] == 4, 1, -1), dtype=np.int64)
            depth = sums - np.minimum(np.minimum.accumulate(sums), low)
            top = int(np.argmax(depth))
            if depth[top] > best:
                best, best_at = int(depth[top]), start + int(pos[where[top]])
            level, low = int(sums[-1]), min(low, int(sums.min()))
        in_string = in_string_after
    return best, best_at


def _drop_escapes(pos: np.ndarray, kind: np.ndarray, slash: np.ndarray, carried: int) -> np.ndarray:
    """``kind`` with backslashes, and quotes escaped by an odd run of them, set to 0 (ignored).

    A run of backslashes may begin in the previous chunk, which ended with ``carried`` of them.
    """
    kind = kind.copy()
    if carried % 2 == 1 and len(pos) and pos[0] == 0 and kind[0] == 1:
        kind[0] = 0
    entries = np.flatnonzero(slash)
    if not len(entries):
        return kind
    at = pos[entries]
    order = np.arange(len(at))
    first = np.r_[True, (at - order)[1:] != (at - order)[:-1]]  # a run's bytes are consecutive
    run_start = np.maximum.accumulate(np.where(first, order, 0))
    run = order - run_start + 1 + np.where(at[run_start] == 0, carried, 0)
    following = entries + 1
    inside = following < len(kind)
    following, run, at = following[inside], run[inside], at[inside]
    escaped = (pos[following] == at + 1) & (run % 2 == 1) & (kind[following] == 1)
    kind[following[escaped]] = 0
    kind[entries] = 0
    return kind


def _trailing_backslashes(chunk: np.ndarray, carried: int) -> int:
    if not len(chunk) or chunk[-1] != 92:
        return 0
    tail = chunk[-4096:]
    run = len(tail) - len(tail.tobytes().rstrip(b"\\"))
    if run == len(tail):  # a long run: count it exactly
        other = np.flatnonzero(chunk != 92)
        run = len(chunk) - 1 - int(other[-1]) if len(other) else len(chunk) + carried
    return run


def _jsonl_arrow(data: bytes) -> pa.Table | None:
    import pyarrow.json as pajson

    try:
        return pajson.read_json(pa.BufferReader(data), read_options=pajson.ReadOptions(block_size=1 << 24))
    except (pa.ArrowException, OSError, ValueError):
        return None


def _jsonl_python(data: bytes, label: str) -> list[dict] | None:
    if len(data) > MAX_JSON_DOCUMENT_BYTES:
        raise InputError(
            f"'{label}' has JSON lines of mixed or invalid form and is too big to check one by one.",
            "Make every line one JSON object with the same kinds of values, or save the data as CSV or Parquet.",
        )
    records: list[dict] = []
    text = data.decode("utf-8", errors="replace")
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            if number == 1:
                return None
            raise InputError(
                f"Line {number} of '{label}' is not valid JSON ({exc.msg}, column {exc.colno}).",
                "Fix that line, or remove it, and upload again. " + _JSON_HINT,
            ) from exc
        if not isinstance(value, dict):
            raise InputError(f"Line {number} of '{label}' is not a JSON object.", _JSON_HINT)
        records.append(value)
    return records


def _json_document(data: bytes, label: str, notes: list[str]) -> pa.Table:
    if len(data) > MAX_JSON_DOCUMENT_BYTES:
        raise InputError(
            f"'{label}' is a {len(data) / 2**20:,.0f} MB JSON document; Keel reads JSON arrays up to "
            f"{MAX_JSON_DOCUMENT_BYTES // 2**20} MB.",
            "Save it as JSON Lines (one object per line), CSV or Parquet instead.",
        )
    _check_json_depth(data, label, lines=False)
    try:
        value = json.loads(data.decode("utf-8", errors="replace").lstrip("\ufeff"))
    except json.JSONDecodeError as exc:
        raise InputError(
            f"'{label}' looks like JSON but is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}).",
            "Fix the file, or export it again. " + _JSON_HINT,
        ) from exc
    except RecursionError as exc:
        raise InputError(f"'{label}' is JSON nested too deeply to be a table.", _JSON_HINT) from exc
    if isinstance(value, dict):
        lists = {k: v for k, v in value.items() if isinstance(v, list)}
        if (
            value
            and len(lists) == len(value)
            and len({len(v) for v in lists.values()}) == 1
            and not any(isinstance(x, dict) for v in lists.values() for x in v[:1])
        ):
            return _records_table([dict(zip(lists, row)) for row in zip(*lists.values())], label, notes)
        record_lists = [k for k, v in lists.items() if v and all(isinstance(x, dict) for x in v[:100])]
        if len(record_lists) == 1:
            notes.append(f"Read the records under the key '{record_lists[0]}'.")
            value = value[record_lists[0]]
        else:
            raise InputError(f"'{label}' is a JSON object, not a list of records.", _JSON_HINT)
    if not isinstance(value, list):
        raise InputError(f"'{label}' is JSON but holds a single value, not a table.", _JSON_HINT)
    if not value:
        raise InputError(f"'{label}' is an empty JSON list.", _JSON_HINT)
    if not all(isinstance(item, dict) for item in value):
        if all(isinstance(item, list) for item in value) and value and all(isinstance(x, str) for x in value[0]):
            header = [str(x) for x in value[0]]
            return _records_table([dict(zip(header, row)) for row in value[1:]], label, notes, order=header)
        raise InputError(f"'{label}' is a JSON list, but not of records (objects).", _JSON_HINT)
    return _records_table(value, label, notes)


def _records_table(records: list[dict], label: str, notes: list[str], order: list[str] | None = None) -> pa.Table:
    keys: dict[str, None] = dict.fromkeys(order or [])
    for record in records:
        for key in record:
            keys.setdefault(str(key), None)
            if len(keys) > MAX_COLUMNS:
                raise InputError(
                    f"'{label}' has more than {MAX_COLUMNS:,} different keys; Keel reads up to {MAX_COLUMNS:,} columns.",
                    "Keep only the fields you need.",
                )
    lookup = [_flat_record(r) for r in records]
    keys = dict.fromkeys(order or [])
    for record in lookup:
        for key in record:
            keys.setdefault(key, None)
    if len(keys) > MAX_COLUMNS:
        raise InputError(
            f"'{label}' has more than {MAX_COLUMNS:,} different keys; Keel reads up to {MAX_COLUMNS:,} columns.",
            "Keep only the fields you need.",
        )
    names = list(keys)
    nested = [k for k in names if any(isinstance(r.get(k), list) for r in lookup[:1000])]
    if nested:
        notes.append(
            "Kept lists as JSON text in "
            + ", ".join(f"'{n}'" for n in nested[:5])
            + (f" and {len(nested) - 5} more" if len(nested) > 5 else "")
            + "."
        )
    arrays = [_column_from_values([r.get(k) for r in lookup]) for k in names]
    return pa.Table.from_arrays(arrays, names=names) if names else pa.table({})


def _flat_record(record: dict, prefix: str = "", depth: int = 0) -> dict[str, Any]:
    """{'who': {'name': 'a'}} -> {'who.name': 'a'} (a few levels deep; deeper stays JSON text)."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value and depth < 5:
            out.update(_flat_record(value, f"{name}.", depth + 1))
        else:
            out[name] = value
    return out


def _flatten_nested(table: pa.Table, notes: list[str]) -> pa.Table:
    for _ in range(5):
        if not any(pa.types.is_struct(f.type) for f in table.schema):
            break
        table = table.flatten()
    nested = [f.name for f in table.schema if pa.types.is_nested(f.type)]
    for name in nested:
        index = table.schema.get_field_index(name)
        values = table.column(index).to_pylist()
        text = pa.array(
            [None if v is None else json.dumps(v, ensure_ascii=False, default=str) for v in values], pa.string()
        )
        table = table.set_column(index, name, text)
    if nested:
        notes.append(
            "Kept lists as JSON text in "
            + ", ".join(f"'{n}'" for n in nested[:5])
            + (f" and {len(nested) - 5} more" if len(nested) > 5 else "")
            + "."
        )
    return table


# --------------------------------------------------------------------------------------------
# Shared finishing: names, types, recognition, pandas
# --------------------------------------------------------------------------------------------


@dataclass
class _Finished:
    frame: pd.DataFrame
    notes: list[str]
    converted: dict[str, str]


def _finish(
    table: pa.Table,
    label: str,
    notes: list[str],
    *,
    recognise: bool | str,
    decimal: str,
    raw_samples: _Dialect | None,
    kept_text: tuple[int, ...] = (),
    last_row: Callable[[], str] | None = None,
) -> _Finished:
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
    mode = recognise and not _AS_TEXT.get()
    columns = []
    for name, column in zip(names, table.columns):
        column = _normalise_type(column)
        if pa.types.is_string(column.type):
            column = _blank_to_missing(column, name, label)
        columns.append(column)
    raw = list(columns)
    total = _totals_candidate(columns) if last_row is not None else None
    if total is not None:
        body = [c.slice(0, len(c) - 1) for c in columns]
        recognised = _recognise_all(body, names, decimal, mode)
        typed = recognised if mode or not recognise else _recognise_all(body, names, decimal, recognise)
        verdict = _totals_verdict(typed, [c.slice(len(c) - 1) for c in columns], total, names, decimal)
        if verdict is None:
            recognised = _recognise_all(columns, names, decimal, mode)  # a real row: keep it
        else:
            raw = body
            notes.append(_totals_note(total[1], last_row(), verdict, names))
    else:
        recognised = _recognise_all(columns, names, decimal, mode)
    columns, converted, column_notes = recognised
    for i, column in enumerate(columns):
        if pa.types.is_timestamp(column.type) and column.type.tz is not None and i not in column_notes:
            offsets = _sample_offsets(raw_samples, i) if raw_samples else []
            column_notes[i] = [_tz_note(names[i], offsets)]
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
        notes.append(_one_note(names[i], column_notes[i]))
    frame = _to_pandas(pa.Table.from_arrays(columns, names=names))
    return _Finished(frame, notes, converted)


_Recognised = tuple[list[pa.ChunkedArray], dict[str, str], dict[int, list[str]]]


def _recognise_all(columns: list[pa.ChunkedArray], names: list[str], decimal: str, mode: bool | str) -> _Recognised:
    """Recognise every text column (``mode`` as in :func:`_finish`); returns the new columns,
    what each converted column was, and the notes per column position."""
    columns = list(columns)
    converted: dict[str, str] = {}
    column_notes: dict[int, list[str]] = {}
    jobs = [i for i, c in enumerate(columns) if mode and pa.types.is_string(c.type)]
    if not jobs:
        return columns, converted, column_notes

    def work(i: int) -> tuple[int, _Outcome | None]:
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


def _one_note(name: str, parts: list[str]) -> str:
    """The notes about one column as one sentence: "'x': read as numbers; 2 values …"."""
    prefix = f"'{name}': "
    bodies = list(dict.fromkeys(p[len(prefix) :] if p.startswith(prefix) else p for p in parts))
    return prefix + "; ".join(b.rstrip(".") for b in bodies) + "."


def _and(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _rows_text(positions: list[int], count: int) -> str:
    """'row 4' / 'rows 4, 9 and 12' / 'rows 4, 9, 12, 15, 20 and 31 more' (1-based)."""
    shown = [f"{p + 1:,}" for p in positions[:5]]
    if count == 1:
        return f"row {shown[0]}"
    if count > len(shown):
        return f"rows {', '.join(shown)} and {count - len(shown):,} more"
    return f"rows {', '.join(shown[:-1])} and {shown[-1]}"


def _infinite_note(name: str, column: pa.ChunkedArray, raw: pa.ChunkedArray) -> str | None:
    """'x': 2 values are infinite (rows 4 and 9: 'inf', '1e309')."""
    infinite = pc.fill_null(pc.is_inf(column), False)
    count = pc.sum(infinite).as_py() or 0
    if not count:
        return None
    positions = pc.indices_nonzero(infinite).slice(0, 5).to_pylist()
    where = _rows_text(positions, count)
    if pa.types.is_string(raw.type):
        written = list(dict.fromkeys(str(raw[p].as_py()).strip() for p in positions))
        where += ": " + ", ".join(f"'{w[:20]}'" for w in written[:3])
    verb = "is" if count == 1 else "are"
    return f"'{name}': {count:,} value{'s' if count > 1 else ''} {verb} infinite ({where})."


# ---- a closing totals row ---------------------------------------------------------------------

_TOTAL_WORD = re.compile(
    r"^(?:grand[ -]?totals?|sub-?totals?|totals?|sum|sums|summe|gesamt(?:summe)?|total g[ée]n[ée]ral|"
    r"totaal|totale|totalt|suma|somme)\s*:?$",
    re.IGNORECASE,
)
_TOTAL_START = re.compile(r"^(?:grand[ -]?|sub-?)?totals?\b|^sum\b", re.IGNORECASE)
_TotalRow = tuple[int, str, bool]  # (position of the label's column, the label, the label is only the word)


def _totals_candidate(columns: list[pa.ChunkedArray]) -> _TotalRow | None:
    """The last row, if its first filled cell is text that starts with 'Total', 'Sum'…"""
    rows = len(columns[0]) if columns else 0
    if rows < 3:  # a total needs at least two rows above it
        return None
    for j, column in enumerate(columns):
        value = column[rows - 1].as_py()
        if value is None:
            continue
        if not isinstance(value, str):
            return None
        text = value.strip()
        if _TOTAL_WORD.match(text):
            return j, text, True
        if _TOTAL_START.match(text):
            return j, text, False
        return None
    return None


def _totals_verdict(
    recognised: _Recognised, last: list[pa.ChunkedArray], total: _TotalRow, names: list[str], decimal: str
) -> list[int] | None:
    """Columns whose sum over the rows above equals the last row's value, when the last row is a
    totals row; None when it is a real row (a product called 'Total Care Shampoo').

    A label that is only the word ('Total', 'Grand total:') is enough when the row holds numbers
    that could be totals (one column adds up, or each is at least as big as any value above it); a
    label that only starts with it needs every number in the row to be its column's sum.
    """
    columns, converted, _ = recognised
    label_at, _label_text, word_only = total
    matched: list[int] = []
    mismatched = 0
    aggregate = True
    for i, column in enumerate(columns):
        t = column.type
        if i == label_at or not (pa.types.is_integer(t) or pa.types.is_floating(t)):
            continue
        value, places = _loose_number(last[i][0].as_py(), decimal)
        if value is None:
            continue
        if "percentages" in converted.get(names[i], ""):
            value /= 100
        body_sum = float(pc.sum(column).as_py() or 0)
        # as written: '10' totals 9.6 + 0.4 to the unit, '10.00' to the cent; a typed number exactly
        tolerance = max(1e-9 * abs(body_sum), 0.5 * 10.0**-places if places is not None else 1e-9)
        if body_sum != 0 and abs(value - body_sum) <= tolerance:
            matched.append(i)
        else:
            mismatched += 1
        largest = pc.max(pc.abs(column)).as_py()
        if largest is not None and abs(value) < largest:
            aggregate = False
    if word_only:
        return matched if (matched or mismatched) and (matched or aggregate) else None
    return matched if matched and not mismatched else None


_LOOSE_STRIP = re.compile(r"[\s\u00a0\u202f'%$€£¥₹]|\b(?:" + "|".join(("USD", "EUR", "GBP", "CHF")) + r")\b")


def _loose_number(value: Any, decimal: str) -> tuple[float | None, int | None]:
    """A number from one cell of a totals row, and how many decimals it was written with."""
    if isinstance(value, bool) or value is None:
        return None, None
    if isinstance(value, (int, float)):
        return (float(value), None) if np.isfinite(value) else (None, None)
    if not isinstance(value, str):
        return None, None
    text = _LOOSE_STRIP.sub("", value.strip())
    negative = text.startswith("(") and text.endswith(")")
    text = text.strip("()")
    text = text.replace(",", "") if decimal == "." else text.replace(".", "").replace(",", ".")
    if not re.fullmatch(r"[+-]?(?:\d+\.?\d*|\.\d+)", text):
        return None, None
    places = len(text.split(".")[1]) if "." in text else 0
    number = float(text)
    return (-number if negative else number), places


def _totals_note(label_text: str, where: str, matched: list[int], names: list[str]) -> str:
    text = label_text if len(label_text) <= 40 else label_text[:40] + "…"
    note = f"Skipped the last row ({where}, '{text}'): it is a totals row, not data"
    if matched:
        shown = [f"'{names[i]}'" for i in matched[:4]] + ([f"{len(matched) - 4} more"] if len(matched) > 4 else [])
        note += f" ({_and(shown)} add{'s' if len(matched) == 1 else ''} up to it)"
    return note + "."


def _sample_offsets(dialect: _Dialect, index: int) -> list[str]:
    found: list[str] = []
    for row in dialect.rows:
        if index < len(row):
            match = _OFFSET.search(row[index].strip())
            if match:
                found.append(_canonical_offset(match.group(0)))
    return sorted(set(found))


_OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")


def _canonical_offset(text: str) -> str:
    if text == "Z":
        return "+00:00"
    return text if ":" in text else text[:3] + ":" + text[3:]


def _tz_note(name: str, offsets: list[str]) -> str:
    if len(offsets) > 1:
        shown = ", ".join(offsets[:4]) + (" …" if len(offsets) > 4 else "")
        return f"'{name}': times had different UTC offsets ({shown}) and were converted to UTC."
    if offsets:
        return f"'{name}': times carried the UTC offset {offsets[0]} and were converted to UTC."
    return f"'{name}': times with UTC offsets were converted to UTC."


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


# --------------------------------------------------------------------------------------------
# Value recognition on text columns
# --------------------------------------------------------------------------------------------


@dataclass
class _Outcome:
    array: pa.ChunkedArray
    was: str
    notes: list[str]


def _recognise(column: pa.ChunkedArray, name: str, decimal: str, dates_only: bool = False) -> _Outcome | None:
    """Convert a text column to booleans, numbers or dates when (nearly) all values parse."""
    if len(column) == column.null_count:
        return None
    values = _sample_values(column)
    if not values:
        return None
    head = values[:64]
    if not any(ch.isdigit() for v in head for ch in v[:16]) and not any(
        v.lower() in _TRUE or v.lower() in _FALSE for v in head
    ):
        return None  # words without digits: neither numbers, dates nor yes/no
    sample = Counter(values)  # distinct values with their counts: each is parsed once
    for detect in (_as_date,) if dates_only else (_as_boolean, _as_number, _as_date):
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
    errors = pc.fill_null(pc.is_in(trimmed, value_set=_ERROR_TOKENS), False)
    count = pc.sum(errors).as_py() or 0
    if not count:
        return None
    kinds = pc.unique(pc.filter(trimmed, errors)).to_pylist()
    shown = ", ".join(sorted(kinds)[:4]) + (" …" if len(kinds) > 4 else "")
    positions = pc.indices_nonzero(errors).slice(0, 5).to_pylist()
    verb = "is" if count == 1 else "are"
    return (
        f"'{name}': {count:,} spreadsheet error value{'s' if count > 1 else ''} ({shown}) {verb} now "
        f"missing ({_rows_text(positions, count)})."
    )


_NA_WORDS = frozenset(["NA", "N/A", "n/a", "na", "NULL", "null", "None", "none", "NaN", "nan", "#N/A", "-", "--", "?"])
# what a spreadsheet shows in a cell whose formula failed: missing values in a column of numbers
_ERROR_WORDS = frozenset(
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
_MISSING_WORDS = _NA_WORDS | _ERROR_WORDS
_NA_TOKENS = pa.array(sorted(_MISSING_WORDS), pa.string())
_ERROR_TOKENS = pa.array(sorted(_ERROR_WORDS), pa.string())
_INFINITY_WORDS = frozenset(["inf", "infinity"])


def _sample_values(column: pa.ChunkedArray, size: int = 2500) -> list[str]:
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


def _too_many_misses(misses: int, total: int) -> bool:
    return misses > (1 - CONVERT_SHARE) * total


class _Prepared:
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


def _failure_note(name: str, failed: int, examples: list[str], what: str) -> str:
    shown = ", ".join(f"'{e[:40]}'" for e in examples)
    return (
        f"'{name}': {failed:,} value{'s' if failed > 1 else ''} could not be read as {what} and "
        f"{'are' if failed > 1 else 'is'} now missing (first: {shown})."
    )


# ---- booleans ------------------------------------------------------------------------------

_TRUE = ("true", "t", "yes", "y", "1", "ja", "j", "oui", "si", "sí", "wahr")
_FALSE = ("false", "f", "no", "n", "0", "nein", "non", "falsch")
_BOOL_WORDS = {"true", "false", "yes", "no", "ja", "nein", "oui", "non", "wahr", "falsch"}


def _as_boolean(column: pa.ChunkedArray, name: str, sample: Counter[str], decimal: str) -> _Outcome | None:
    if len(sample) > 40:
        return None  # yes/no columns have a handful of distinct spellings
    total = sample.total()
    truthy = sum(n for v, n in sample.items() if v.lower() in _TRUE)
    falsy = sum(n for v, n in sample.items() if v.lower() in _FALSE)
    if truthy + falsy < CONVERT_SHARE * total:
        return None
    seen = {v.lower() for v in sample if v.lower() in _TRUE or v.lower() in _FALSE}
    if seen <= {"1", "0"}:
        return None  # digits stay numbers (or text, if the column was kept as text on purpose)
    if not (truthy and falsy) and not seen <= _BOOL_WORDS:
        return None  # a column of only 'y' (or 'n') is more likely a code than a yes/no answer
    if not seen <= {"true", "false", "1", "0"}:
        return _one_spelling(column, name, sample)
    prepared = _Prepared(column)
    tokens = [t for word in _TRUE + _FALSE for t in dict.fromkeys((word, word.upper(), word.title()))]
    truth = pa.array([t.lower() in _TRUE for t in tokens], pa.bool_())
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
        notes.append(_failure_note(name, failed, prepared.failed_examples(result), "true/false"))
    return _Outcome(result, "true/false text", notes)


def _one_spelling(column: pa.ChunkedArray, name: str, sample: Counter[str]) -> _Outcome | None:
    """Yes/no answers stay in the user's words (a model trained on 'Yes'/'No' answers 'Yes'), each
    answer in one spelling: the most common one ('YES', 'yes' and '1' become 'Yes' when 'Yes' is the
    usual way of writing it). Values that are neither stay as they are. None if already uniform."""
    words: dict[bool, str] = {}
    for side, vocab in ((True, _TRUE), (False, _FALSE)):
        spellings = [v for v in sample if v.strip().lower() in vocab and v.strip() not in ("1", "0")]
        if spellings:
            words[side] = max(spellings, key=lambda v: (sample[v], v)).strip()
    truth = {v: v.strip().lower() in _TRUE for v in sample if v.strip().lower() in _TRUE + _FALSE}
    others = {v for v, t in truth.items() if t in words and v != words[t]}
    if not others:
        return None
    pairs = [(spelled, words[t]) for t in words for spelled in (_TRUE if t else _FALSE)]  # 'yes' -> 'Yes'
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
    return _Outcome(
        result,
        "yes/no answers in several spellings",
        [f"'{name}': read {' and '.join(read_as)}, so each answer is spelled one way."],
    )


# ---- numbers -------------------------------------------------------------------------------

_CURRENCY_SYMBOLS = "$€£¥₹₩₽"
_CURRENCY_CODES = (
    "USD",
    "EUR",
    "GBP",
    "JPY",
    "CHF",
    "CAD",
    "AUD",
    "NZD",
    "CNY",
    "INR",
    "SEK",
    "NOK",
    "DKK",
    "PLN",
    "CZK",
    "HUF",
    "HKD",
    "SGD",
    "ZAR",
    "BRL",
    "MXN",
)
_CODES_RE = "|".join(_CURRENCY_CODES)
_SEPARATORS = {".": ",\u00a0\u202f ' ", ",": ".\u00a0\u202f '"}


def _number_pattern(decimal: str) -> re.Pattern[str]:
    seps = re.escape(_SEPARATORS[decimal].replace(" ", "")) + " "
    d = re.escape(decimal)
    return re.compile(
        rf"^(?:(?P<grouped>\d{{1,3}}(?P<sep>[{seps}])\d{{3}}(?:(?P=sep)\d{{3}})*)|(?P<plain>\d+))?"
        rf"(?:{d}(?P<frac>\d+))?(?P<exp>[eE][+-]?\d+)?$"
    )


_NUMBER_PATTERNS = {".": _number_pattern("."), ",": _number_pattern(",")}


@dataclass(frozen=True)
class _NumberShape:
    currency: str | None
    currency_lead: bool
    sign_before_currency: bool
    percent: bool
    parens: bool
    sep: str | None
    fraction: bool
    leading_zero: bool


def _number_shape(value: str, decimal: str) -> _NumberShape | None:
    s = value
    parens = s.startswith("(") and s.endswith(")")
    if parens:
        s = s[1:-1].strip()
    sign = s[:1] in "+-" and len(s) > 1
    if sign:
        s = s[1:].lstrip()
    currency = None
    lead = False
    sign_before = False
    if s[:1] and s[:1] in _CURRENCY_SYMBOLS:
        currency, lead, s = s[0], True, s[1:].lstrip()
    elif s[:3] in _CURRENCY_CODES and (len(s) == 3 or not s[3].isalpha()):
        currency, lead, s = s[:3], True, s[3:].lstrip()
    if lead:
        sign_before = sign
        if not sign and s[:1] in "+-":
            sign, s = True, s[1:].lstrip()
    percent = s.endswith("%")
    if percent:
        s = s[:-1].rstrip()
    if currency is None:
        if s[-1:] and s[-1:] in _CURRENCY_SYMBOLS:
            currency, s = s[-1], s[:-1].rstrip()
        elif s[-3:] in _CURRENCY_CODES and len(s) > 3 and not s[-4].isalpha():
            currency, s = s[-3:], s[:-3].rstrip()
        if not percent and s.endswith("%"):
            percent, s = True, s[:-1].rstrip()
    if not s or (parens and sign):
        return None
    match = _NUMBER_PATTERNS[decimal].match(s)
    if not match or not (match.group("grouped") or match.group("plain") or match.group("frac")):
        return None
    if match.group("sep") and match.group("exp"):
        return None
    digits = match.group("plain") or ""
    return _NumberShape(
        currency=currency,
        currency_lead=lead,
        sign_before_currency=sign_before,
        percent=percent,
        parens=parens,
        sep=match.group("sep"),
        fraction=bool(match.group("frac") or match.group("exp")),
        leading_zero=len(digits) > 1 and digits.startswith("0"),
    )


_INFINITE_SHAPE = _NumberShape(None, False, False, False, False, None, True, False)
_DIGITS_TO_NINE = str.maketrans("0123456789", "9999999999")
_LEADING_ZERO_NUMBER = re.compile(r"^[+-]?0\d")
_CODE_NAME = re.compile(r"(?i)(^|[^a-z])(zip|zipcode|postcode|postal|plz)([^a-z]|$)")


def _as_number(column: pa.ChunkedArray, name: str, sample: Counter[str], decimal: str) -> _Outcome | None:
    total = sample.total()
    shapes: Counter[str] = Counter()  # '1,234.50' and '8,765.40' share the shape '9,999.99'
    for value, n in sample.items():
        shapes[value.translate(_DIGITS_TO_NINE)] += n
    parsed: list[_NumberShape] = []
    weights: list[int] = []
    misses = 0
    for shape_text, n in shapes.most_common():
        if shape_text.lower().lstrip("+-") in _INFINITY_WORDS:
            parsed.append(_INFINITE_SHAPE)  # 'inf', '-Infinity': numbers, read as ±infinity
            weights.append(n)
            continue
        shape = _number_shape(shape_text, decimal)
        if shape is None:
            misses += n
            if _too_many_misses(misses, total):
                return None
        else:
            parsed.append(shape)
            weights.append(n)
    if not parsed:
        return None
    if any(_LEADING_ZERO_NUMBER.match(v) and not ("." in v or "," in v) for v in sample):
        return None  # codes such as '02134' keep their leading zeros
    if _CODE_NAME.search(name) or pc.any(pc.match_substring_regex(column, r"^\s*\d+-\d+\s*$")).as_py():
        return None  # zip codes (98115, 98115-4820) and codes like '12-345' are labels, not amounts
    currencies = {s.currency for s in parsed if s.currency}
    if len(currencies) > 1:
        return None  # mixed currencies cannot share one number column
    percent = sum(n for s, n in zip(parsed, weights) if s.percent)
    if percent and percent < CONVERT_SHARE * sum(weights):
        return None
    percent_column = bool(percent)
    seps = sorted({s.sep for s in parsed if s.sep})
    prepared = _Prepared(column)
    fraction = any(s.fraction for s in parsed) or percent_column
    currency = next(iter(currencies)) if currencies else None
    parens = any(s.parens for s in parsed)
    regex_currency = currency is not None and (
        len(currency) > 1 or parens or any(s.sign_before_currency for s in parsed)
    )

    def convert(values: Any, strict: bool) -> Any:
        if parens:
            values = pc.replace_substring_regex(values, r"^\((.*)\)$", r"-\1")
        if currency is not None:
            if regex_currency:
                symbol = re.escape(currency)
                values = pc.replace_substring_regex(values, rf"^([+-]?)\s*{symbol}\s*", r"\1")
                values = pc.replace_substring_regex(values, rf"\s*{symbol}\s*(%?)$", r"\1")
            else:
                values = pc.utf8_trim(values, characters=currency + " \u00a0")
        if percent_column:
            values = pc.utf8_rtrim(values, characters="% \u00a0")
            if currency is not None:
                values = pc.utf8_rtrim(values, characters=currency + " \u00a0")
        for sep in seps:
            values = pc.replace_substring(values, sep, "")
        if decimal == ",":
            values = pc.replace_substring(values, ",", ".")
        return _cast_number(values, fraction, strict)

    result, failed = prepared.run(convert)
    if failed is None:
        return None
    if percent_column:
        result = pc.divide(result, 100.0)
    parts = []
    if currencies:
        parts.append(f"amounts in {next(iter(currencies))}")
    if percent_column:
        parts.append("percentages")
    if seps:
        shown = " ".join("space" if s in " \u00a0\u202f" else f"'{s}'" for s in seps)
        parts.append(f"thousands separators {shown}")
    if decimal == "," and fraction:
        parts.append("decimal commas")
    was = ", ".join(parts) if parts else "numbers stored as text"
    if percent_column:
        notes = [f"'{name}': read percentages as fractions (12.5% → 0.125)."]
    else:
        notes = [f"'{name}': read as numbers ({was})."]
    if failed:
        notes.append(_failure_note(name, failed, prepared.failed_examples(result), "numbers"))
    return _Outcome(result, was, notes)


_NUMBER_TEXT = r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$"


def _cast_number(values: Any, fraction: bool, strict: bool) -> Any:
    targets = [pa.float64()] if fraction else [pa.int64(), pa.float64()]
    for target in targets:
        try:
            return pc.cast(values, target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            if strict and target == targets[-1]:
                raise
    ok = pc.match_substring_regex(values, _NUMBER_TEXT)
    cleaned = pc.if_else(ok, values, pa.scalar(None, pa.string()))
    for target in targets:
        try:
            return pc.cast(cleaned, target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
    return pa.nulls(len(values), pa.float64())


# ---- dates ---------------------------------------------------------------------------------

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?$")
_NUMERIC_DATE = re.compile(r"^(?P<a>\d{1,2})(?P<sep>[/.\-])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})(?P<rest>.*)$")
_YMD_DATE = re.compile(r"^(?P<y>\d{4})(?P<sep>[/.])(?P<a>\d{1,2})(?P=sep)(?P<b>\d{1,2})(?P<rest>.*)$")
_NAMED_DMY = re.compile(r"^\d{1,2}(?P<sep>[ \-])[A-Za-z]{3,9}\.?(?P=sep)(?P<y>\d{4}|\d{2})(?P<rest>.*)$")
_NAMED_MDY = re.compile(r"^[A-Za-z]{3,9}\.? \d{1,2}(?P<comma>,?) (?P<y>\d{4})(?P<rest>.*)$")
_TIME = re.compile(
    r"^(?P<t>[T ])(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?(?:\s?(?P<ampm>[AaPp][Mm]))?\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?$"
)


def _time_format(rest: str) -> tuple[str, bool] | None:
    """strptime suffix for the time part after a date, and whether it has an offset."""
    if not rest:
        return "", False
    match = _TIME.match(rest)
    if not match:
        return None
    fmt = "T" if match.group("t") == "T" else " "
    fmt += ("%I" if match.group("ampm") else "%H") + ":%M"
    if match.group("s"):
        fmt += ":%S"
    if match.group("ampm"):
        fmt += " %p" if " " in rest[match.start("ampm") - 1 : match.start("ampm")] else "%p"
    tz = match.group("tz")
    if tz:
        fmt += (" " if rest[match.start("tz") - 1] == " " else "") + "%z"
    return fmt, bool(tz)


def _as_date(column: pa.ChunkedArray, name: str, sample: Counter[str], decimal: str) -> _Outcome | None:
    total = sample.total()
    first = next(iter(sample))
    if not any(ch.isdigit() for ch in first):
        return None
    if any(_ISO.match(v) for v in list(sample)[:5]):
        iso = [(m, n) for v, n in sample.items() if (m := _ISO.match(v))]
        if sum(n for _, n in iso) >= CONVERT_SHARE * total:
            return _iso_dates(column, name, [m for m, _ in iso])
    shapes: Counter[tuple[str, bool]] = Counter()  # (format with {A}/{B} placeholders, has offset)
    by_text: Counter[str] = Counter()
    for value, n in sample.items():
        by_text[value.translate(_DIGITS_TO_NINE)] += n
    matched = 0
    misses = 0
    for shape_text, n in by_text.most_common():
        shape = _date_shape(shape_text)
        if shape is None:
            misses += n
            if _too_many_misses(misses, total):
                return None
            continue
        template, tz, _a, _b = shape
        matched += n
        shapes[(template, tz)] += n
    if matched < CONVERT_SHARE * total or len(shapes) > 4:
        return None
    day_first = month_first = 0
    if any("{A}" in t for t, _ in shapes):
        for value in sample:
            found = _DAY_MONTH.match(value)
            if not found:
                continue
            a, b = int(found.group(1)), int(found.group(2))
            if a > 31 or b > 31 or a == 0 or b == 0 or (a > 12 and b > 12):
                return None
            if a > 12:
                day_first += 1
            elif b > 12:
                month_first += 1
    if len({tz for _, tz in shapes}) > 1:
        return None  # some values carry a UTC offset and some do not: leave it to the user
    if day_first and month_first:
        return None  # both orders appear: not one date format
    ordered = any("{A}" in t for t, _ in shapes)
    orders = ["dmy", "mdy"] if (day_first or not month_first) else ["mdy", "dmy"]
    ambiguous = ordered and not day_first and not month_first
    templates = [t for (t, _), _n in shapes.most_common()]
    prepared = _Prepared(column)

    def converter(order: str) -> Callable[[Any, bool], Any]:
        a, b = ("%d", "%m") if order == "dmy" else ("%m", "%d")
        return lambda values, strict: _strptime_all(values, templates, a, b)

    def convert(order: str) -> tuple[Any, int | None]:
        return prepared.run(converter(order))

    result, failed = convert(orders[0])
    chosen = orders[0]
    if ordered and (ambiguous or failed is None or failed):
        other, other_failed = convert(orders[1])
        if other_failed is not None and (failed is None or other_failed < failed):
            result, failed, chosen, ambiguous = other, other_failed, orders[1], False
        elif (ambiguous and other_failed is not None and failed is not None and other_failed > failed) or (
            ambiguous and other_failed is None
        ):
            ambiguous = False
    if failed is None:
        return None
    has_time = any("%" in t.split("{Y}")[-1] for t in templates)
    order_words = {"dmy": "day/month/year", "mdy": "month/day/year"}[chosen] if ordered else ""
    kind = "date-times" if has_time else "dates"
    was = f"{kind} ({order_words})" if order_words else kind
    notes = [f"'{name}': read as {was}."]
    if ambiguous:
        notes.append(
            f"'{name}': no day is above 12, so day and month could be either way round (if "
            f"{order_words} is wrong, fix the dates in the file)."
        )
    if any(tz for _, tz in shapes):
        offsets = sorted({_canonical_offset(m.group(0)) for v in sample if (m := _OFFSET.search(v))})
        notes.append(_tz_note(name, offsets))
        was += " with UTC offsets"
    if failed:
        notes.append(_failure_note(name, failed, prepared.failed_examples(result), "dates"))
    return _Outcome(result, was, notes)


def _strptime_all(values: Any, templates: list[str], a: str, b: str) -> Any:
    results = [
        pc.strptime(values, t.replace("{A}", a).replace("{B}", b).replace("{Y}", ""), unit="s", error_is_null=True)
        for t in templates
    ]
    return results[0] if len(results) == 1 else pc.coalesce(*results)


_DAY_MONTH = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-]\d")


def _date_shape(value: str) -> tuple[str, bool, int | None, int | None] | None:
    """A strptime template ({A}/{B} for the day/month slots, {Y} marks the year) for one value."""
    for pattern, kind in ((_NUMERIC_DATE, "ab"), (_YMD_DATE, "ymd")):
        match = pattern.match(value)
        if not match:
            continue
        timed = _time_format(match.group("rest"))
        if timed is None:
            return None
        suffix, tz = timed
        sep = match.group("sep")
        year = "%Y" if len(match.group("y")) == 4 else "%y"
        if kind == "ymd":
            return f"%Y{sep}%m{sep}%d{{Y}}{suffix}", tz, None, None
        return f"{{A}}{sep}{{B}}{sep}{year}{{Y}}{suffix}", tz, None, None
    match = _NAMED_DMY.match(value)
    if match:
        timed = _time_format(match.group("rest"))
        if timed is None:
            return None
        sep = match.group("sep")
        year = "%Y" if len(match.group("y")) == 4 else "%y"
        month = "%b" if "." in value or len(value.split(sep)[1]) == 3 else "%B"
        return f"%d{sep}{month}{sep}{year}{{Y}}{timed[0]}", timed[1], None, None
    match = _NAMED_MDY.match(value)
    if match:
        timed = _time_format(match.group("rest"))
        if timed is None:
            return None
        month = "%b" if len(value.split(" ")[0].rstrip(".")) == 3 else "%B"
        return f"{month} %d{match.group('comma')} %Y{{Y}}{timed[0]}", timed[1], None, None
    return None


def _iso_dates(column: pa.ChunkedArray, name: str, matches: list[re.Match[str]]) -> _Outcome | None:
    with_tz = sum(m.group("tz") is not None for m in matches)
    if with_tz and with_tz < len(matches):
        return None  # mixed: some values have offsets, some not
    prepared = _Prepared(column)
    target = pa.timestamp("us", tz="UTC" if with_tz else None)

    def convert(values: Any, strict: bool) -> Any:
        if strict:
            return pc.cast(values, target)
        values = pc.replace_substring(values, ",", ".")  # 10:00:00,5 -> 10:00:00.5
        try:
            return pc.cast(values, target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            series = pd.Series(values.to_pandas(), dtype=object)
            parsed = pd.to_datetime(series, format="ISO8601", errors="coerce", utc=bool(with_tz))
            return pa.chunked_array([pa.array(parsed, type=target, from_pandas=True)])

    result, failed = prepared.run(convert)
    if failed is None:
        return None
    has_time = any(len(m.group(0)) > 10 for m in matches)
    was = "date-times (ISO 8601)" if has_time else "dates (ISO 8601)"
    notes = [f"'{name}': read as {was.split(' (')[0]}."]
    if with_tz:
        offsets = sorted({_canonical_offset(m.group("tz")) for m in matches})
        notes.append(_tz_note(name, offsets))
        was += " with UTC offsets"
    if failed:
        notes.append(_failure_note(name, failed, prepared.failed_examples(result), "dates"))
    return _Outcome(result, was, notes)

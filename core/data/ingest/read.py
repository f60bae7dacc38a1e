"""The entry point: :func:`read_table` checks the size, sniffs the content and hands it to the reader
for its format."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa

from core.bugs import log_bug
from core.data.ingest.csv_reader import read_csv
from core.data.ingest.encoding import ENCODING_LABELS, decode_head, detect_encoding, transcode, utf8_bytes
from core.data.ingest.excel import read_xlsx
from core.data.ingest.json_reader import read_json
from core.data.ingest.parquet import read_parquet
from core.data.ingest.sniff import check_not_binary, check_not_markup, sniff_binary
from core.data.ingest.source import AS_TEXT, MAX_BYTES, SAMPLE_BYTES, Source, Table, describe_error
from core.errors import InputError, KeelError


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
    token = AS_TEXT.set(as_text)
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
            f"'{label}' could not be read as a table ({describe_error(exc)}).",
            f"Check that it is a valid CSV, Excel, Parquet or JSON file. If it is, report "
            f"reference {bug_id} so we can fix the reader.",
        ) from exc
    finally:
        AS_TEXT.reset(token)
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


def _read(source: bytes | str | Path, label: str, sheet: str | None) -> Table:
    src = Source(source, label)
    if src.size == 0:
        raise InputError(f"'{label}' is empty.", "Choose a file that has column names and rows of data.")
    if src.size > MAX_BYTES:
        raise InputError(
            f"'{label}' is {src.size / 2**20:,.0f} MB; Keel reads files up to {MAX_BYTES // 2**20} MB.",
            "Split it into smaller files, or keep only the columns and rows you need.",
        )
    head = src.head(SAMPLE_BYTES)
    kind = sniff_binary(head, src, label)
    if kind == "zip":
        return read_xlsx(src.data(), label, src.size, sheet)
    if kind == "parquet":
        return read_parquet(src, label, src.size)
    return _read_text(src, head, label)


def _read_text(src: Source, head: bytes, label: str) -> Table:
    codec, bom = detect_encoding(head)
    notes: list[str] = []
    head_text = decode_head(head[bom:], codec)
    check_not_binary(head_text, label)
    check_not_markup(head_text, label)
    first = head_text.lstrip("\ufeff \t\r\n")[:1]
    json_like = first == "{" or (first == "[" and re.match(r"\[\s*[\[{\"\]\d\-tfn]", head_text.lstrip("\ufeff \t\r\n")))
    if codec in ("utf-8", "utf-8-sig"):
        utf8: bytes | None = None  # let pyarrow read the original (it skips a UTF-8 BOM)
    else:
        data = src.data()
        utf8 = transcode(data[bom:], codec, "strict", label)
        notes.append(f"Text encoding: {ENCODING_LABELS[codec]} (converted to UTF-8).")
    if json_like:
        if utf8 is None:
            utf8, codec = utf8_bytes(src, label, notes)
        return read_json(utf8, label, src.size, codec, notes)
    return read_csv(src, utf8, head_text, label, codec, notes)

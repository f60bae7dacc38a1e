"""Limits, the :class:`Table` a read returns, and :class:`Source`: an upload's bytes or a file on disk
read only as far as needed."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from core.errors import InputError

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

SAMPLE_BYTES = 1 << 20  # head of the file used for sniffing


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


AS_TEXT: contextvars.ContextVar[bool] = contextvars.ContextVar("keel_read_as_text", default=False)


def describe_error(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


class Source:
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
                    f"File '{label}' could not be opened ({describe_error(exc)}).",
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
                    f"File '{self.label}' could not be read ({describe_error(exc)}).",
                    "Check that the file is not being written and that you may read it.",
                ) from exc
        return self._data

    def arrow_input(self) -> Any:
        """What pyarrow should read: the path (fast, parallel IO) or an in-memory buffer."""
        if self._data is None and self.path is not None:
            return str(self.path.absolute())  # absolute: pyarrow would expand a leading '~' itself
        return pa.BufferReader(self.data())

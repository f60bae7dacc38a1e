"""Read whatever a person uploads into a DataFrame, or refuse it with a clear reason.

(Interface fixed here; implementation being filled in.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

MAX_BYTES = 500 * 1024 * 1024  # refuse larger uploads with a clear message
MAX_COLUMNS = 10_000
MAX_CELL_CHARS = 2_000_000


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


def read_table(
    source: bytes | str | Path, name: str | None = None, *, sheet: str | None = None
) -> Table:
    """Parse ``source`` (raw bytes, or a path) into a :class:`Table`; raise ``InputError`` if not a table."""
    raise NotImplementedError

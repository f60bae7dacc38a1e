"""Parquet files, refused from the footer alone when they declare more than memory can hold."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from core.data.ingest.finish import finish_table
from core.data.ingest.source import MAX_CELLS, MAX_COLUMNS, MAX_PARQUET_UNPACKED, Source, Table, describe_error
from core.errors import InputError, KeelError


def read_parquet(src: Source, label: str, size: int) -> Table:
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
            f"'{label}' looks like a Parquet file but could not be read ({describe_error(exc)}).",
            "Save or download the Parquet file again, or upload it as CSV.",
        ) from exc
    if table.num_rows == 0:
        raise InputError(f"'{label}' has column names but no rows.", "Check that you picked the right file.")
    notes: list[str] = []
    # the writer typed the columns: text stays text (codes with leading zeros), but dates written
    # as text ('2024-03-31', a common way to save them) are read as dates, as from a CSV
    result = finish_table(table, label, notes, recognise="dates", decimal=".", raw_samples=None)
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

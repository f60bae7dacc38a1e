"""Files larger than memory: read once in pieces, with exact counts and a random sample for everything else.

:func:`read_large` streams a CSV (pyarrow's block reader) or a Parquet file (its row groups) once. On the way
it counts exactly what can be counted exactly (rows, empty cells per column) and keeps a uniform random sample
of rows (each row gets a seeded random key; the rows with the smallest keys are kept, in file order). The sample
is then read by the ordinary reader, so its columns get the same kinds, conversions and notes as any upload.
Memory stays bounded by the sample, whatever the file's size. The sample is the same on every run (seed 0).

:func:`fits_in_memory` decides whether a file is read at once: under the size limit, and small enough for the
memory this process may use (its address-space limit, when one is set, e.g. by ``ulimit -v``).
"""

from __future__ import annotations

import io
import os
import resource
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from core.data.ingest.csv_dialect import detect_dialect, sniff_text
from core.data.ingest.encoding import decode_head, detect_encoding
from core.data.ingest.read import read_table
from core.data.ingest.sniff import sniff_binary
from core.data.ingest.source import MAX_BYTES, MAX_CELLS, SAMPLE_BYTES, Source, Table, describe_error
from core.data.ingest.values import MISSING_TOKENS
from core.errors import InputError, KeelError
from core.vocab import count, number

SAMPLE_ROWS = 1_000_000
#: a file is read at once only when this many times its size fits in the memory left (reading a CSV into
#: typed columns peaked at about 5× the file's size in bench/bench_ingest.py)
READ_FACTOR = 8
PARQUET_FACTOR = 4  # ... and a Parquet file at about 4x what its row groups hold decoded
BLOCK_BYTES = 8 << 20


@dataclass(frozen=True)
class LargeTable:
    """A sample of a file too large to read at once, with the counts that were made over all of it."""

    table: Table  # the sampled rows, read like any upload
    rows: int  # every row of the file (exact)
    missing: dict[str, int] = field(default_factory=dict)  # empty cells per column (exact)
    sample_rows: int = 0
    seed: int = 0
    bad_lines: int = 0

    @property
    def note(self) -> str:
        skipped = f" {skipped_words(self.bad_lines)}" if self.bad_lines else ""
        return (
            f"'{self.table.source_name}' has {count(self.rows, 'row')}, more than fit in memory at once: Keel counted "
            f"every row and every empty cell, and judged everything else on a random sample of "
            f"{count(self.sample_rows, 'row')} (the same sample every time).{skipped}"
        )

    def missing_share(self, column: str) -> float | None:
        return self.missing[column] / self.rows if column in self.missing and self.rows else None


def skipped_words(lines: int) -> str:
    """What a read in pieces says of the lines it could not read (a field too many or too few)."""
    return f"{count(lines, 'line')} could not be read as rows (a value too many or too few) and {'was' if lines == 1 else 'were'} left out."


def memory_left() -> int | None:
    """Bytes this process may still allocate under its address-space limit; None when there is no limit."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_AS)
    if soft in (resource.RLIM_INFINITY, -1):
        return None
    try:
        with open("/proc/self/statm") as fh:
            used = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        used = 0
    return max(0, soft - used)


#: an administrator's own limit (megabytes) above which profile, drift and predict read a file in pieces
READ_AT_ONCE_VARIABLE = "KEEL_READ_AT_ONCE_MB"


def fits_in_memory(path: Path) -> bool:
    """Whether ``path`` can be read at once: text within the size limit and the memory left; a Parquet file
    whose declared cells are within the limit and whose size fits in the memory left. ``KEEL_READ_AT_ONCE_MB``
    lowers the limit (e.g. in a container whose memory is capped some other way)."""
    size = path.stat().st_size
    chosen = os.environ.get(READ_AT_ONCE_VARIABLE, "").strip()
    if chosen:
        try:
            if size > float(chosen) * 2**20:
                return False
        except ValueError:
            raise InputError(
                f"{READ_AT_ONCE_VARIABLE} is '{chosen}', which is not a number of megabytes.",
                "Set it to a number such as 500, or unset it.",
            ) from None
    left = memory_left()
    if left is not None and size * READ_FACTOR > left:
        return False
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head == b"PAR1":
        import pyarrow.parquet as pq

        try:
            meta = pq.ParquetFile(str(path.absolute())).metadata
        except (pa.ArrowException, OSError, ValueError):
            return True  # the ordinary reader says what is wrong with it
        # compressed bytes say little: what the row groups hold once decoded decides (about 4x that at the peak)
        decoded = sum(int(meta.row_group(i).total_byte_size) for i in range(meta.num_row_groups))
        if left is not None and decoded * PARQUET_FACTOR > left:
            return False
        return int(meta.num_rows) * max(1, int(meta.num_columns)) <= MAX_CELLS
    return size <= MAX_BYTES


def read_large(path: Path, name: str | None = None, *, sample_rows: int = SAMPLE_ROWS, seed: int = 0) -> LargeTable:
    """Stream ``path`` once: exact counts and a uniform random sample of ``sample_rows`` rows (CSV or Parquet)."""
    label = name or path.name
    before = _fingerprint(path)
    with _reading(label, f"even read in pieces with a sample of {count(sample_rows, 'row')}"):
        pieces = _open(path, label)
        sampler = _Sampler(pieces.names, sample_rows, seed)
        for batch in pieces.batches:
            sampler.add(batch)
        sample = pieces.write(sampler.sample())
    _check_unchanged(path, label, before)
    if sampler.rows == 0:
        raise InputError(f"'{label}' has column names but no rows.", "Check that you picked the right file.")
    table = read_table(sample, name=label)
    missing = {
        column: sampler.missing[column] if _is_text(table.frame[column]) else sampler.blank[column]
        for column in table.frame.columns
        if column in sampler.missing
    }
    return LargeTable(table, sampler.rows, missing, min(sample_rows, sampler.rows), seed, pieces.bad[0])


def read_in_pieces(path: Path, name: str | None = None, *, rows: int = 200_000) -> Iterator[tuple[bytes, int, int]]:
    """A file too large to read at once, as pieces of about ``rows`` rows: each the bytes of a small file of the
    same format (with the header), the 1-based number of its first row in the whole file, and how many lines
    could not be read so far. Refused at the end if the file changed while it was read."""
    label = name or path.name
    before = _fingerprint(path)
    with _reading(label, "even read in pieces"):
        pieces = _open(path, label)
        held: list[pa.RecordBatch] = []
        first = 1
        for batch in pieces.batches:
            held.append(batch)
            if sum(b.num_rows for b in held) >= rows:
                piece = pa.Table.from_batches(held)
                yield pieces.write(piece), first, pieces.bad[0]
                first += piece.num_rows
                held = []
        if held:
            yield pieces.write(pa.Table.from_batches(held)), first, pieces.bad[0]
    _check_unchanged(path, label, before)


@contextmanager
def _reading(label: str, how: str) -> Iterator[None]:
    """Errors of a read in pieces as the user's: memory, a broken file."""
    try:
        yield
    except KeelError:
        raise
    except (MemoryError, pa.ArrowMemoryError) as exc:
        raise InputError(
            f"'{label}' is too large for the memory Keel may use here, {how}.",
            "Give Keel more memory (a higher `ulimit -v`), or close other programs and try again.",
        ) from exc
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise InputError(
            f"'{label}' could not be read in pieces ({describe_error(exc)}).",
            "Check that every line uses the same separator and that quotes are balanced.",
        ) from exc


def _check_unchanged(path: Path, label: str, before: tuple[int, int]) -> None:
    if _fingerprint(path) != before:
        raise InputError(
            f"'{label}' changed while Keel was reading it (it is {number(path.stat().st_size)} bytes now, "
            f"{number(before[0])} when Keel started).",
            "Wait until whatever writes the file has finished, or copy it and give Keel the copy.",
        )


@dataclass
class _Pieces:
    names: list[str]
    batches: Iterator[pa.RecordBatch]
    write: Callable[[pa.Table], bytes]  # some of the rows as the bytes of a file of the same format
    bad: list[int]  # lines that could not be read (one counter, filled while reading)


def _open(path: Path, label: str) -> _Pieces:
    src = Source(path, label)
    head = src.head(SAMPLE_BYTES)
    kind = sniff_binary(head, src, label)
    if kind == "parquet":
        return _parquet(path)
    if kind == "text" and head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] not in (b"{", b"["):
        return _csv(path, head, label)
    raise InputError(
        f"'{label}' is too large to read at once, and only CSV and Parquet files are read in pieces.",
        "Save it as CSV or Parquet, or split it into smaller files.",
    )


def _fingerprint(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns


class _Sampler:
    """Exact counts and the rows with the smallest seeded random keys, kept as the batches go by (in file order:
    a batch's rows are only ever filtered, never reordered)."""

    def __init__(self, names: list[str], size: int, seed: int) -> None:
        self.names, self.size = names, size
        self.rng = np.random.default_rng(seed)
        self.rows = 0
        self.missing = dict.fromkeys(names, 0)  # empty cells: missing whatever the column holds
        self.blank = dict.fromkeys(names, 0)  # and blank or 'N/A'-like ones: missing in a number or date column
        self.kept: list[tuple[pa.RecordBatch, np.ndarray]] = []  # each kept batch with its rows' keys
        self.threshold = 1.0
        self.held = 0

    def add(self, batch: pa.RecordBatch) -> None:
        for name, column in zip(self.names, batch.columns, strict=True):
            empty, blank = _missing(column)
            self.missing[name] += empty
            self.blank[name] += blank
        keys = self.rng.random(batch.num_rows)
        self.rows += batch.num_rows
        mask = keys < self.threshold
        if mask.any():
            self.kept.append((batch.filter(pa.array(mask)), keys[mask]))
            self.held += int(mask.sum())
        if self.held > self.size + self.size // 4:
            self._trim()

    def _trim(self) -> None:
        if self.held <= self.size:
            return
        keys = np.concatenate([k for _, k in self.kept])
        self.threshold = float(np.partition(keys, self.size - 1)[self.size - 1])
        kept = []
        for batch, k in self.kept:
            mask = k <= self.threshold
            if mask.any():
                kept.append((batch.filter(pa.array(mask)), k[mask]))
        self.kept = kept
        self.held = sum(len(k) for _, k in kept)

    def sample(self) -> pa.Table:
        """The kept rows, in the order the file has them."""
        self._trim()
        return pa.Table.from_batches([b for b, _ in self.kept])


def _missing(column: Any) -> tuple[int, int]:
    """Cells of one column of a batch that the reader makes missing: (in a column kept as text: nulls and empty
    text; in a column read as numbers or dates: also blanks and the words that mean 'missing', such as N/A)."""
    empty = blank = column.null_count
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        empty += int(pc.sum(pc.equal(pc.binary_length(column), 0)).as_py() or 0)
        text = pc.utf8_trim_whitespace(column)
        words = pc.or_(pc.equal(pc.binary_length(text), 0), pc.is_in(text, value_set=MISSING_TOKENS))
        blank += int(pc.sum(pc.fill_null(words, False)).as_py() or 0)
    return int(empty), int(blank)


def _csv(path: Path, head: bytes, label: str) -> _Pieces:
    import pyarrow.csv as pacsv

    codec, _bom = detect_encoding(head)
    if codec not in ("utf-8", "utf-8-sig", "ascii"):
        raise InputError(
            f"'{label}' is too large to read at once, and a file that large must be saved as UTF-8 to be read in "
            "pieces.",
            "Save it again as UTF-8 CSV, or split it into smaller files.",
        )
    dialect = detect_dialect(sniff_text(decode_head(head, codec), complete=False))
    delimiter = dialect.delimiter or "\x1f"
    names = list(dialect.header)
    bad = [0]

    def skip(_row: Any) -> str:
        bad[0] += 1
        return "skip"

    reader = pacsv.open_csv(
        str(path.absolute()),
        read_options=pacsv.ReadOptions(
            use_threads=True, block_size=BLOCK_BYTES, skip_rows=dialect.skip_lines + 1, column_names=names
        ),
        parse_options=pacsv.ParseOptions(
            delimiter=delimiter,
            quote_char='"',
            double_quote=True,
            newlines_in_values=True,
            ignore_empty_lines=True,
            invalid_row_handler=skip,
        ),
        convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string())),
    )

    def write(rows: pa.Table) -> bytes:
        out = io.BytesIO()
        options = pacsv.WriteOptions(include_header=True, delimiter=delimiter, quoting_style="needed")
        pacsv.write_csv(rows, out, write_options=options)
        return out.getvalue()

    return _Pieces(names, iter(reader), write, bad)


def _parquet(path: Path) -> _Pieces:
    import pyarrow.parquet as pq

    # without pre-buffering: with it, pyarrow kept every row group's bytes it had read (~200 MB per 8M rows)
    parquet = pq.ParquetFile(str(path.absolute()), pre_buffer=False, buffer_size=4 << 20)

    def write(rows: pa.Table) -> bytes:
        out = io.BytesIO()
        pq.write_table(rows, out)
        return out.getvalue()

    return _Pieces(list(parquet.schema_arrow.names), parquet.iter_batches(batch_size=1 << 17), write, [0])


def _is_text(column: Any) -> bool:
    import pandas as pd

    return bool(pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column))

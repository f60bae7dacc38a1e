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

Layout: ``read`` (the entry point: size, sniffing, dispatch) · ``source`` (limits, :class:`Table`,
the bytes or file) · ``sniff`` (refusing what is not a table) · ``encoding`` · ``csv_dialect`` and
``csv_reader`` · ``excel`` · ``parquet`` · ``json_reader`` · ``cells`` (Python cell values to
Arrow) · ``finish`` (names, types, totals rows, pandas) · ``recognise`` with ``booleans``,
``numbers``, ``dates`` and their shared ``values``, ``notes`` (the sentences), ``totals``.
"""

from core.data.ingest.large import LargeTable, fits_in_memory, read_in_pieces, read_large
from core.data.ingest.read import read_table
from core.data.ingest.source import (
    CONVERT_SHARE,
    MAX_BYTES,
    MAX_CELL_CHARS,
    MAX_CELLS,
    MAX_COLUMNS,
    MAX_EXCEL_ROWS,
    MAX_JSON_DEPTH,
    MAX_JSON_DOCUMENT_BYTES,
    MAX_LISTED_LINES,
    MAX_PARQUET_UNPACKED,
    MAX_UNPACKED_BYTES,
    MAX_ZIP_MEMBERS,
    MAX_ZIP_RATIO,
    Table,
)

__all__ = [
    "CONVERT_SHARE",
    "MAX_BYTES",
    "MAX_CELLS",
    "MAX_CELL_CHARS",
    "MAX_COLUMNS",
    "MAX_EXCEL_ROWS",
    "MAX_JSON_DEPTH",
    "MAX_JSON_DOCUMENT_BYTES",
    "MAX_LISTED_LINES",
    "MAX_PARQUET_UNPACKED",
    "MAX_UNPACKED_BYTES",
    "MAX_ZIP_MEMBERS",
    "MAX_ZIP_RATIO",
    "LargeTable",
    "Table",
    "fits_in_memory",
    "read_in_pieces",
    "read_large",
    "read_table",
]

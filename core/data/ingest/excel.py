"""Excel .xlsx: the zip and its XML parts checked before openpyxl reads anything (bombs, entity
declarations); the biggest table-like sheet read unless one is chosen."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from core.data.ingest.cells import cell_text, column_from_values
from core.data.ingest.csv_dialect import skip_note, title_block
from core.data.ingest.finish import finish_table
from core.data.ingest.sniff import refusal
from core.data.ingest.source import (
    MAX_COLUMNS,
    MAX_EXCEL_ROWS,
    MAX_UNPACKED_BYTES,
    MAX_ZIP_MEMBERS,
    MAX_ZIP_RATIO,
    Table,
    describe_error,
)
from core.data.wording import and_join
from core.errors import InputError, KeelError

_LARGE_ZIP_MEMBER = 10 * 1024 * 1024


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
            raise refusal(label, "a Word document", "Copy the table into Excel and save it as .xlsx or CSV.")
        if "ppt/presentation.xml" in names:
            raise refusal(label, "a PowerPoint presentation", "Copy the table into Excel and save it as .xlsx or CSV.")
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
        else:
            # <!DOCTYPE or <!ENTITY: a declaration; anything else is the root element (or not XML
            # at all): the prolog is over
            return text.startswith("<!", i)
        end = text.find(close, i + 2)
        if end < 0:
            return None
        i = end + len(close)


def read_xlsx(data: bytes, label: str, size: int, sheet: str | None) -> Table:
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
            f"'{label}' looks like an Excel file but is damaged or incomplete ({describe_error(exc)}).",
            "Open it in Excel or LibreOffice and save it again, or export the sheet as CSV.",
        ) from exc
    except Exception as exc:
        raise InputError(
            f"'{label}' looks like an Excel file but could not be read ({describe_error(exc)}).",
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
            f"'{label}' looks like an Excel file but a sheet is damaged ({describe_error(exc)}).",
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
    title = title_block([[_cell_label(v) for v in row] for row in rows[:211]])
    width = max(len(r) for r in rows[title:])
    body = len(rows) - title - 1
    return _Sheet(name, rows, numbers, title, (int(body > 0), body * width))


def _cell_label(value: Any) -> str:
    return "" if value is None else value if isinstance(value, str) else cell_text(value)


def _sheet_table(found: _Sheet, names: tuple[str, ...], picked: bool, label: str, size: int) -> Table:
    notes: list[str] = []
    name, rows, numbers = found.name, found.rows[found.title :], found.numbers[found.title :]
    if len(names) > 1:
        rest = [f"'{n}'" for n in names if n != name]
        others = f"the other{'s' if len(rest) > 1 else ''}: {and_join(rest[:10] + ([f'{len(rest) - 10} more'] if len(rest) > 10 else []))}"
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
        notes.append(skip_note(numbers[0] - 1, [t for t in titles if t], False, "row", f" in sheet '{name}'"))
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
    arrays = [column_from_values([r[j] if j < len(r) else None for r in body]) for j in range(width)]
    table = pa.Table.from_arrays(arrays, names=names_raw)
    result = finish_table(
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

"""A corpus of nasty files for ``core.data.ingest.read_table``, generated (seeded) at test time.

Every :class:`Case` declares what must happen: the file loads with so many rows and columns
(and maybe a note and a few value checks), or it is refused with a message containing given
words. Big files are generated here, never committed.

    from tests.nasty.corpus import CASES, write_corpus
    paths = write_corpus(tmp_folder)          # {case name: path}
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import pickle
import random
import re
import sqlite3
import struct
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

SEED = 20261127


@dataclass(frozen=True)
class Case:
    name: str  # the file name a user would upload (extensions deliberately lie sometimes)
    make: Callable[[random.Random], bytes]
    rows: int | None = None  # expected rows when it loads
    cols: int | None = None  # expected columns when it loads
    note: str | None = None  # a substring expected in the joined notes
    refused: tuple[str, ...] = ()  # words expected in the refusal message (then it must not load)
    sheet: str | None = None
    check: Callable[[Any], None] | None = field(default=None, compare=False)  # more asserts on the Table

    @property
    def loads(self) -> bool:
        return not self.refused


def _csv(rows: list[list[Any]], delimiter: str = ",", newline: str = "\n") -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline)
    writer.writerows(rows)
    return out.getvalue()


def _people() -> list[list[Any]]:
    return [["name", "city", "age"], ["José", "Zürich", 31], ["Zoë", "Škofja Loka", 45], ["Ångström", "Malmö", 27]]


# ---- builders -------------------------------------------------------------------------------


def _ragged(_: random.Random) -> bytes:
    return b"a,b,c\n1,2,3\n4,5\n6,7,8\n9,10,11,12\n13,14,15\n"


def _embedded_newlines(_: random.Random) -> bytes:
    return _csv([["id", "comment"], [1, "first line\nsecond line"], [2, "plain"], [3, 'say "hi"\r\nbye']]).encode()


def _stray_quote_mid_file(_: random.Random) -> bytes:
    lines = ["id,name,score"] + [f"{i},name {i},{i % 7}" for i in range(1, 200)]
    lines[20] = '20,"Bob,3'  # opened here ...
    lines[150] = '150,Eve",4,5'  # ... closed 130 lines later
    return ("\n".join(lines) + "\n").encode()


def _wide(cols: int) -> Callable[[random.Random], bytes]:
    def make(rng: random.Random) -> bytes:
        header = [f"c{i}" for i in range(cols)]
        rows = [[rng.randint(0, 99) for _ in range(cols)] for _ in range(3)]
        return _csv([header, *rows]).encode()

    return make


def _long_cell(chars: int) -> Callable[[random.Random], bytes]:
    def make(rng: random.Random) -> bytes:
        body = "".join(rng.choice("abcdefghij ") for _ in range(1000)) * (chars // 1000)
        return _csv([["id", "text"], [1, body], [2, "short"]]).encode()

    return make


def _garbage(rng: random.Random) -> bytes:
    return bytes(rng.getrandbits(8) for _ in range(20_000))


def _zip_of_csv(_: random.Random) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.csv", "a,b\n1,2\n")
    return out.getvalue()


def _png(_: random.Random) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 4 for _ in range(4))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def _sqlite(_: random.Random) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "db.sqlite"
        con = sqlite3.connect(path)
        con.execute("create table t (a int, b text)")
        con.execute("insert into t values (1, 'x')")
        con.commit()
        con.close()
        return path.read_bytes()


def _xlsx(sheets: dict[str, list[list[Any]]]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    first = True
    for title, rows in sheets.items():
        ws = book.active if first else book.create_sheet()
        first = False
        ws.title = title
        for row in rows:
            ws.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _patch_zip(data: bytes, member: str, change: Callable[[str], str]) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == member:
                content = change(content.decode("utf-8")).encode("utf-8")
            target.writestr(info.filename, content)
    return out.getvalue()


def _xlsx_formulas(_: random.Random) -> bytes:
    """Formulas with cached values, as Excel saves them (openpyxl itself writes no cache)."""
    data = _xlsx({"Calc": [["a", "b", "total", "remote"], [2, 3, "=A2*B2", '=WEBSERVICE("http://example.invalid/x")'], [4, 5, "=A3*B3", "=NOW()"]]})
    cached = {"C2": "6", "C3": "20", "D2": "cached text", "D3": "45000"}

    def add_cache(xml: str) -> str:
        def repl(match: re.Match[str]) -> str:
            ref, formula = match.group(1), match.group(2)
            value = cached[ref]
            if value.isdigit():
                return f'<c r="{ref}"><f>{formula}</f><v>{value}</v></c>'
            return f'<c r="{ref}" t="str"><f>{formula}</f><v>{value}</v></c>'

        return re.sub(r'<c r="([A-Z]+\d+)"(?: [^>]*)?><f>(.*?)</f><v\s*/?>(?:</v>)?</c>', repl, xml)

    return _patch_zip(data, "xl/worksheets/sheet1.xml", add_cache)


def _xlsx_bomb(_: random.Random) -> bytes:
    data = _xlsx({"Sheet": [["a"], [1]]})
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info.filename))
        target.writestr("xl/media/padding.bin", b"\x00" * (24 * 1024 * 1024))
    return out.getvalue()


def _xlsx_entity_bomb(_: random.Random) -> bytes:
    """'Billion laughs' entities in the sheet XML: defusedxml must refuse to expand them."""
    entities = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(
            f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
        )
        + "]>"
    )

    def change(xml: str) -> str:
        body = xml.split("?>", 1)[1] if xml.startswith("<?xml") else xml
        return entities + body.replace("<v>1</v>", "<v>&lol9;</v>", 1)

    return _patch_zip(_xlsx({"S": [["a", "b"], [1, 2]]}), "xl/worksheets/sheet1.xml", change)


def _xlsx_corrupt(_: random.Random) -> bytes:
    data = _xlsx({"Sheet": [["a", "b"], [1, 2]]})
    return data[: len(data) // 2]


def _xlsx_bad_xml(_: random.Random) -> bytes:
    data = _xlsx({"Sheet": [["a", "b"], [1, 2]]})
    return _patch_zip(data, "xl/worksheets/sheet1.xml", lambda xml: xml[: len(xml) // 2])


def _xlsx_mixed(_: random.Random) -> bytes:
    import datetime as dt

    return _xlsx(
        {
            "Data": [
                ["when", "amount", "mixed", None, "flag"],
                [dt.datetime(2024, 1, 5, 10, 30), 1.5, 1, None, True],
                [dt.datetime(2024, 2, 6), 2, "two", None, False],
                [None, None, None, None, None],
                [dt.datetime(2024, 3, 7), 3.25, 3.5, None, None],
            ]
        }
    )


def _big_malformed(rng: random.Random) -> bytes:
    lines = ["id,value,label"]
    for i in range(1, 200_001):
        if i % 997 == 0:
            lines.append(f"{i},{i * 2}")  # a field short
        elif i % 1499 == 0:
            lines.append(f"{i},{i * 2},x,extra")  # a field too many
        else:
            lines.append(f"{i},{rng.randint(0, 10**6)},{rng.choice('abc')}")
    return ("\n".join(lines) + "\n").encode()


def _big_malformed_bad() -> list[int]:
    bad = [i for i in range(1, 200_001) if i % 997 == 0 or i % 1499 == 0]
    return [i + 1 for i in bad]  # +1: the header is line 1


def _parquet(_: random.Random) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"a": [1, 2, 3], "b": ["x", None, "z"], "when": pa.array([0, 1, 2], pa.timestamp("s"))})
    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue()


def _null_parquet(rows: int) -> Callable[[random.Random], bytes]:
    """A Parquet file declaring ``rows`` rows of nothing: tiny on disk, huge once read."""

    def make(_: random.Random) -> bytes:
        import pyarrow as pa
        import pyarrow.parquet as pq

        out = io.BytesIO()
        pq.write_table(pa.table({"x": pa.nulls(rows)}), out, row_group_size=rows)
        return out.getvalue()

    return make


def _report_csv(rng: random.Random) -> bytes:
    """An export as a person makes it: a title, a blank line, the table, a totals row."""
    rows = [[f"Store {i}", rng.randint(1, 99), round(rng.uniform(1, 500), 2)] for i in range(1, 21)]
    total = ["Total", sum(r[1] for r in rows), f"{sum(r[2] for r in rows):.2f}"]
    return _csv([["Sales report Q1", "", ""], ["", "", ""], ["store", "units", "revenue"], *rows, total]).encode()


def _report_xlsx(_: random.Random) -> bytes:
    return _xlsx({"Read me": [["Figures are in euros; see the Q1 sheet."]],
                  "Q1": [["Sales report Q1"], [], ["store", "units", "revenue"], ["North", 3, 10.5], ["South", 4, 20.25],
                         ["East", 5, 1.0], ["Grand total", 12, 31.75]]})


def _spreadsheet_errors(_: random.Random) -> bytes:
    values = ["#DIV/0!" if i % 9 == 0 else "inf" if i == 5 else str(i / 4) for i in range(1, 101)]
    return ("month,margin\n" + "".join(f"{i},{v}\n" for i, v in enumerate(values, 1))).encode()


def _entity_in_content_types(_: random.Random) -> bytes:
    def change(xml: str) -> str:
        return '<?xml version="1.0"?><!DOCTYPE t [<!ENTITY e "x">]>' + xml.split("?>", 1)[-1]

    return _patch_zip(_xlsx({"S": [["a"], [1]]}), "[Content_Types].xml", change)


def _check_report(table: Any) -> None:
    assert list(table.frame.columns) == ["store", "units", "revenue"]
    assert _col(table, "store")[-1] == "Store 20"
    assert "Skipped the last row (line 24, 'Total')" in " ".join(table.notes)


def _check_report_xlsx(table: Any) -> None:
    assert table.sheet == "Q1" and _col(table, "units") == [3, 4, 5]
    assert "Skipped the last row (row 7 of sheet 'Q1', 'Grand total')" in " ".join(table.notes)


def _check_errors(table: Any) -> None:
    import math

    margin = _col(table, "margin")
    assert sum(1 for v in margin if v != v) == 11 and math.isinf(margin[4])


def _ole(_: random.Random) -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


# ---- checks ---------------------------------------------------------------------------------


def _col(table: Any, name: str) -> list[Any]:
    return table.frame[name].tolist()


def _check_people(table: Any) -> None:
    assert list(table.frame.columns) == ["name", "city", "age"], list(table.frame.columns)
    assert _col(table, "name")[0] == "José"
    assert _col(table, "city")[1] == "Škofja Loka"


def _check_cp1252(table: Any) -> None:
    assert _col(table, "price")[0] == "€ 5 – café"


def _check_decimal_comma(table: Any) -> None:
    assert _col(table, "amount") == [1234.56, 7.5, -1000.0]
    assert _col(table, "rate") == [0.5, 1.25, 2.0]
    assert table.decimal == "," and table.delimiter == ";"


def _check_single(table: Any) -> None:
    assert _col(table, "name") == ["Alice", "Bob, Jr.", "Carol"]


def _check_ragged(table: Any) -> None:
    assert table.bad_lines == (3, 5)
    assert _col(table, "a") == [1, 6, 13]


def _check_newlines(table: Any) -> None:
    assert _col(table, "comment")[0] == "first line\nsecond line"
    assert _col(table, "comment")[2] == 'say "hi"\r\nbye'


def _check_names(table: Any) -> None:
    assert list(table.frame.columns) == ["x", "column_2", "x_2", "x_3", "column_5"]


def _check_long(table: Any) -> None:
    assert len(_col(table, "text")[0]) == 1_000_000


def _check_formulas(table: Any) -> None:
    assert _col(table, "total") == [6, 20]
    assert _col(table, "remote") == ["cached text", "45000"]


def _check_injection(table: Any) -> None:
    assert _col(table, "formula") == ['=HYPERLINK("http://example.invalid","click")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3"]


def _check_utc(table: Any) -> None:
    import pandas as pd

    values = table.frame["when"]
    assert str(values.dt.tz) == "UTC"
    assert values.iloc[0] == pd.Timestamp("2024-03-01 08:00", tz="UTC")
    assert values.iloc[1] == pd.Timestamp("2024-03-01 15:00", tz="UTC")


def _check_big(table: Any) -> None:
    expected = _big_malformed_bad()
    assert table.bad_lines == tuple(expected), table.bad_lines[:5]
    assert table.frame["id"].is_monotonic_increasing


def _check_xlsx_mixed(table: Any) -> None:
    import pandas as pd

    assert list(table.frame.columns) == ["when", "amount", "mixed", "column_4", "flag"]
    assert table.frame["when"].iloc[0] == pd.Timestamp("2024-01-05 10:30")
    assert _col(table, "amount") == [1.5, 2.0, 3.25]
    assert _col(table, "mixed") == ["1", "two", "3.5"]


def _check_zips(table: Any) -> None:
    assert _col(table, "zip") == ["02134", "10001", "00501"]


def _check_dmy(table: Any) -> None:
    import pandas as pd

    assert table.frame["date"].iloc[0] == pd.Timestamp("2024-01-31")
    assert table.converted["date"].startswith("dates (day/month/year)")


def _check_mdy(table: Any) -> None:
    import pandas as pd

    assert table.frame["date"].iloc[0] == pd.Timestamp("2024-01-31")
    assert table.converted["date"].startswith("dates (month/day/year)")


def _check_sheet2(table: Any) -> None:
    assert table.sheet == "Costs" and table.sheets == ("Sales", "Costs")


def _check_spaces_eur(table: Any) -> None:
    assert _col(table, "price") == [1234.5, 12.5, 1000000.0]


def _check_ja(table: Any) -> None:
    assert _col(table, "aktiv") == ["ja", "nein", "ja"]  # the user's words, one spelling per answer


# ---- the corpus -----------------------------------------------------------------------------

DECIMAL_COMMA = "id;amount;rate\n1;1.234,56;0,5\n2;7,50;1,25\n3;-1.000,00;2\n"

CASES: list[Case] = [
    # empty and nearly empty
    Case("empty.csv", lambda r: b"", refused=("empty",)),
    Case("only_whitespace.csv", lambda r: b"  \n\t\n   \r\n", refused=("empty",)),
    Case("only_newlines.csv", lambda r: b"\n\n\n\n", refused=("empty",)),
    Case("header_only.csv", lambda r: b"a,b,c\n", refused=("column names", "no rows")),
    Case("header_only_no_newline.csv", lambda r: b"a;b;c", refused=("column names", "no rows")),
    Case("trailing_empty_lines.csv", lambda r: b"a,b\n1,2\n3,4\n\n\n\n\n", rows=2, cols=2),
    Case("crlf.csv", lambda r: b"a,b\r\n1,2\r\n3,4\r\n", rows=2, cols=2),
    Case("old_mac_cr.csv", lambda r: b"a,b\r1,2\r3,4\r", rows=2, cols=2),
    # encodings
    Case("utf8_bom.csv", lambda r: b"\xef\xbb\xbf" + _csv(_people()).encode(), rows=3, cols=3, check=_check_people),
    Case("utf16_le_bom.csv", lambda r: _csv(_people()).encode("utf-16"), rows=3, cols=3, note="UTF-16", check=_check_people),
    Case("utf16_be_bom.csv", lambda r: b"\xfe\xff" + _csv(_people()).encode("utf-16-be"), rows=3, cols=3, note="UTF-16 BE", check=_check_people),
    Case("utf16_le_no_bom.csv", lambda r: _csv(_people()).encode("utf-16-le"), rows=3, cols=3, note="UTF-16 LE", check=_check_people),
    Case("latin1_accents.csv", lambda r: _csv(_people()[:2] + [["Zoë", "Malmö", 45]]).replace("Z\u00fcrich", "Z\u00fcrich").encode("latin-1"), rows=2, cols=3, note="Windows-1252"),
    Case("cp1252_euro.csv", lambda r: "id,price\n1,€ 5 – café\n".encode("cp1252"), rows=1, cols=2, check=_check_cp1252),
    # delimiters and number formats
    Case("semicolon_decimal_comma.csv", lambda r: DECIMAL_COMMA.encode(), rows=3, cols=3, note="semicolons", check=_check_decimal_comma),
    Case("tabs.tsv", lambda r: b"a\tb\tc\n1\t2\t3\n4\t5\t6\n", rows=2, cols=3, note="tabs"),
    Case("pipes.txt", lambda r: b"a|b|c\n1|2|3\n4|5|6\n", rows=2, cols=3, note="pipes"),
    Case("sep_line.csv", lambda r: b"sep=;\na;b\n1;2\n", rows=1, cols=2),
    Case("preamble.csv", lambda r: b"Sales report\nGenerated 2024-01-01\n\nid,amount,region\n1,10,n\n2,20,s\n3,30,e\n", rows=3, cols=3, note="before the column names"),
    Case("single_column.csv", lambda r: b"name\nAlice\nBob, Jr.\nCarol\n", rows=3, cols=1, check=_check_single),
    Case("spaces_and_euro.csv", lambda r: "id;price\n1;1 234,50 €\n2;12,50 €\n3;1 000 000 €\n".encode(), rows=3, cols=2, note="amounts in €", check=_check_spaces_eur),
    Case("ja_nein.csv", lambda r: b"id;aktiv\n1;ja\n2;nein\n3;Ja\n", rows=3, cols=2, check=_check_ja),
    Case("leading_zeros.csv", lambda r: b"zip,n\n02134,1\n10001,2\n00501,3\n", rows=3, cols=2, check=_check_zips),
    Case("dates_dmy.csv", lambda r: b"date,v\n31/01/2024,1\n01/02/2024,2\n15/03/2024,3\n", rows=3, cols=2, check=_check_dmy),
    Case("dates_mdy.csv", lambda r: b"date,v\n01/31/2024,1\n02/01/2024,2\n03/15/2024,3\n", rows=3, cols=2, check=_check_mdy),
    Case("dates_ambiguous.csv", lambda r: b"date,v\n01/02/2024,1\n03/04/2024,2\n", rows=2, cols=2, note="either way round"),
    Case("mixed_timezones.csv", lambda r: b"when,v\n2024-03-01T10:00:00+02:00,1\n2024-03-01T10:00:00-05:00,2\n2024-03-01T09:00:00+01:00,3\n", rows=3, cols=2, note="UTC", check=_check_utc),
    # structure
    Case("ragged_rows.csv", _ragged, rows=3, cols=3, note="Skipped 2 lines", check=_check_ragged),
    Case("all_rows_ragged.csv", lambda r: b"a,b\n1,2,3\n4,5,6\n7,8,9\n", refused=("No row", "fields")),
    Case("embedded_newlines.csv", _embedded_newlines, rows=3, cols=2, check=_check_newlines),
    Case("unbalanced_quote.csv", lambda r: b'a,b\n1,"oops\n2,3\n4,5\n', refused=("quote", "line 2", "never closed")),
    Case("stray_quote_mid_file.csv", _stray_quote_mid_file, refused=("quote", "not closed", "131 lines run together", "20,\"Bob,3")),
    Case("duplicate_blank_names.csv", lambda r: b"x,,x,x,\n1,2,3,4,5\n", rows=1, cols=5, note="Renamed 4 columns", check=_check_names),
    Case("wide_5000_columns.csv", _wide(5000), rows=3, cols=5000),
    Case("too_wide_10001_columns.csv", _wide(10_001), refused=("10,001 columns",)),
    Case("cell_1mb.csv", _long_cell(1_000_000), rows=2, cols=2, check=_check_long),
    Case("cell_too_long.csv", _long_cell(2_100_000), refused=("characters", "text")),
    Case("formula_injection.csv", lambda r: _csv([["id", "formula"], [1, '=HYPERLINK("http://example.invalid","click")'], [2, "+cmd|' /C calc'!A0"], [3, "@SUM(1+1)"], [4, "-2+3"]]).encode(), rows=4, cols=2, check=_check_injection),
    Case("big_200k_malformed.csv", _big_malformed, rows=200_000 - len(_big_malformed_bad()), cols=3, note="Skipped 333 lines", check=_check_big),
    # not tables
    Case("binary_garbage.csv", _garbage, refused=("binary",)),
    Case("nul_bytes.csv", lambda r: b"a,b\n1,\x00\x00\x00\x002\n" * 50, refused=("binary",)),
    Case("archive_renamed.csv", _zip_of_csv, refused=("ZIP archive",)),
    Case("pickle_renamed.csv", lambda r: pickle.dumps({"a": [1, 2]}, protocol=4), refused=("pickle",)),
    Case("pickle_protocol0.csv", lambda r: pickle.dumps({"a": [1, 2]}, protocol=0), refused=("pickle",)),
    Case("png_renamed.csv", _png, refused=("PNG image",)),
    Case("jpeg_renamed.csv", lambda r: b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(200), refused=("JPEG image",)),
    Case("gif_renamed.csv", lambda r: b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", refused=("GIF image",)),
    Case("pdf_renamed.csv", lambda r: b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n", refused=("PDF",)),
    Case("html_page.csv", lambda r: b"<!DOCTYPE html>\n<html><head><title>Sales</title></head><body><table><tr><td>1</td></tr></table></body></html>", refused=("web page",)),
    Case("xml_document.csv", lambda r: b'<?xml version="1.0"?>\n<rows><row a="1"/></rows>\n', refused=("XML",)),
    Case("gzip_renamed.csv", lambda r: gzip.compress(b"a,b\n1,2\n"), refused=("gzip",)),
    Case("program_renamed.csv", lambda r: b"\x7fELF\x02\x01\x01" + bytes(100), refused=("program",)),
    Case("sqlite_renamed.csv", _sqlite, refused=("SQLite",)),
    Case("old_excel.xls", _ole, refused=(".xls",)),
    # Excel
    Case("corrupt.xlsx", _xlsx_corrupt, refused=("damaged",)),
    Case("broken_sheet_xml.xlsx", _xlsx_bad_xml, refused=("Excel",)),
    Case("two_sheets.xlsx", lambda r: _xlsx({"Sales": [["a", "b"], [1, 2], [3, 4], [5, 6]], "Costs": [["c"], [7], [8]]}), rows=3, cols=2, note="2 sheets"),
    Case("two_sheets_pick_second.xlsx", lambda r: _xlsx({"Sales": [["a", "b"], [1, 2]], "Costs": [["c"], [7], [8]]}), rows=2, cols=1, sheet="Costs", check=_check_sheet2),
    Case("missing_sheet.xlsx", lambda r: _xlsx({"Sales": [["a"], [1]]}), refused=("no sheet named", "Nope"), sheet="Nope"),
    Case("first_sheet_empty.xlsx", lambda r: _xlsx({"Empty": [], "Data": [["a"], [1], [2]]}), rows=2, cols=1),
    Case("header_only.xlsx", lambda r: _xlsx({"S": [["a", "b"]]}), refused=("no rows",)),
    Case("formulas.xlsx", _xlsx_formulas, rows=2, cols=4, check=_check_formulas),
    Case("mixed_types.xlsx", _xlsx_mixed, rows=3, cols=5, note="empty row", check=_check_xlsx_mixed),
    Case("zip_bomb.xlsx", _xlsx_bomb, refused=("zip bomb",)),
    Case("xml_entity_bomb.xlsx", _xlsx_entity_bomb, refused=("not safe", "run out of memory", "did not open")),
    # other formats
    Case("records.json", lambda r: json.dumps([{"a": 1, "b": "x"}, {"a": 2, "b": "y", "c": True}]).encode(), rows=2, cols=3),
    Case("lines.jsonl", lambda r: b'{"a": 1, "b": "x"}\n{"a": 2, "b": "y"}\n\n', rows=2, cols=2),
    Case("mixed_lines.jsonl", lambda r: b'{"a": 1}\n{"a": "two"}\n' * 3, rows=6, cols=1),
    Case("one_object.json", lambda r: b'{"name": "x", "size": 3}', rows=1, cols=2),
    Case("nested.json", lambda r: b'[{"id": 1, "who": {"name": "a", "tags": ["x", "y"]}}]', rows=1, cols=3, note="JSON text"),
    Case("list_of_numbers.json", lambda r: b"[1, 2, 3]", refused=("not of records",)),
    Case("object_of_columns.json", lambda r: b'{"a": [1, 2, 3],\n "b": ["x", "y", "z"]}', rows=3, cols=2),
    Case("lone_number.json", lambda r: b"42", refused=("no rows",)),
    Case("broken.json", lambda r: b'[{"a": 1}, {"a": 2,,}]', refused=("not valid JSON",)),
    Case("table.parquet", _parquet, rows=3, cols=3),
    # reports as people make them, and files built to exhaust the reader
    Case("report_title_total.csv", _report_csv, rows=20, cols=3, note="(lines 1–2: 'Sales report Q1')", check=_check_report),
    Case("report_title_total.xlsx", _report_xlsx, rows=3, cols=3, note="the biggest table", check=_check_report_xlsx),
    Case("spreadsheet_errors.csv", _spreadsheet_errors, rows=100, cols=2, note="spreadsheet error values (#DIV/0!)", check=_check_errors),
    Case("deep_nesting.jsonl", lambda r: ('{"a":' * 20_000 + "1" + "}" * 20_000 + "\n").encode(), refused=("nested 20,000 levels deep",)),
    Case("declares_200m_rows.parquet", _null_parquet(200_000_000), refused=("declares 200,000,000 rows",)),
    Case("wide_100000_columns.csv", _wide(100_000), refused=("100,000 columns",)),
    Case("entity_in_content_types.xlsx", _entity_in_content_types, refused=("not safe", "[Content_Types].xml")),
    Case("truncated.parquet", lambda r: _parquet(r)[:-20], refused=("Parquet",)),
]


def write_corpus(folder: Path, seed: int = SEED) -> dict[str, Path]:
    """Write every case's file into ``folder``; return {case name: path}."""
    folder.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for case in CASES:
        rng = random.Random(f"{seed}:{case.name}")
        path = folder / case.name
        path.write_bytes(case.make(rng))
        paths[case.name] = path
    return paths

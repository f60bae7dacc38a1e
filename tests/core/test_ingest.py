"""Known-answer tests for core.ingest.read_table."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core.data import ingest
from core.errors import InputError, KeelError
from core.data.ingest import Table, read_table
from core.data.quality import profile


def read(data: bytes | str, name: str = "data.csv", **kw) -> Table:
    return read_table(data.encode("utf-8") if isinstance(data, str) else data, name, **kw)


def refused(data: bytes | str, name: str = "data.csv", **kw) -> InputError:
    with pytest.raises(InputError) as caught:
        read(data, name, **kw)
    assert caught.value.hint.strip()
    return caught.value


def notes(table: Table) -> str:
    return " ".join(table.notes)


# ---- encodings ------------------------------------------------------------------------------

PEOPLE = "name,city\nJosé,Zürich\nZoë,Malmö\n"


@pytest.mark.parametrize(
    ("encoded", "encoding"),
    [
        pytest.param(PEOPLE.encode("utf-8"), "UTF-8", id="utf8"),
        pytest.param(b"\xef\xbb\xbf" + PEOPLE.encode("utf-8"), "UTF-8 (with BOM)", id="utf8-bom"),
        pytest.param(PEOPLE.encode("utf-16"), "UTF-16 LE", id="utf16-bom"),
        pytest.param(b"\xfe\xff" + PEOPLE.encode("utf-16-be"), "UTF-16 BE", id="utf16be-bom"),
        pytest.param(PEOPLE.encode("utf-16-le"), "UTF-16 LE", id="utf16le-no-bom"),
        pytest.param(PEOPLE.encode("utf-16-be"), "UTF-16 BE", id="utf16be-no-bom"),
        pytest.param(PEOPLE.encode("cp1252"), "Windows-1252", id="cp1252"),
    ],
)
def test_encodings_are_detected(encoded: bytes, encoding: str) -> None:
    table = read(encoded)
    assert table.encoding == encoding
    assert list(table.frame.columns) == ["name", "city"]
    assert table.frame["city"].tolist() == ["Zürich", "Malmö"]


def test_latin1_bytes_undefined_in_cp1252_fall_back_to_latin1() -> None:
    table = read("id,v\n1,caf\xe9\x81\n".encode("latin-1"))
    assert table.encoding == "Latin-1 (ISO-8859-1)"
    assert table.frame["v"].tolist() == ["caf\xe9\x81"]


def test_mostly_utf8_with_a_bad_byte_beyond_the_sample_is_kept_as_utf8() -> None:
    body = "".join(f"{i},Zürich\n" for i in range(120_000)).encode("utf-8")
    table = read(b"id,city\n" + body + b"999999,M\xe4lm\xf6\n")
    assert table.frame["city"].iloc[0] == "Zürich"
    assert "replaced" in notes(table)
    assert len(table.frame) == 120_001


def test_cp1252_beyond_the_sample_is_re_read() -> None:
    body = b"".join(b"%d,plain\n" % i for i in range(150_000))
    table = read(b"id,city\n" + body + "1,Malmö €\n".encode("cp1252"))
    assert table.frame["city"].iloc[-1] == "Malmö €"
    assert "Windows-1252" in notes(table)


# ---- delimiters and numbers -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("delimiter", "word"),
    [(",", None), (";", "semicolons"), ("\t", "tabs"), ("|", "pipes")],
    ids=["comma", "semicolon", "tab", "pipe"],
)
def test_delimiters(delimiter: str, word: str | None) -> None:
    text = "\n".join(delimiter.join(r) for r in [["a", "b", "c"], ["1", "x y", "3.5"], ["2", "z", "4"]]) + "\n"
    table = read(text)
    assert table.delimiter == delimiter
    assert table.frame.shape == (2, 3)
    assert table.frame["c"].tolist() == [3.5, 4.0]
    if word:
        assert word in notes(table)


def test_decimal_comma_with_dot_thousands() -> None:
    table = read("id;amount;small\n1;1.234,56;0,5\n2;-7,25;1,75\n3;1.000.000,00;2\n")
    assert table.decimal == ","
    assert table.frame["amount"].tolist() == [1234.56, -7.25, 1_000_000.0]
    assert table.frame["small"].tolist() == [0.5, 1.75, 2.0]
    assert "decimals use a comma" in notes(table)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param(['"1,234"', '"12,345,678"', "5"], [1234, 12345678, 5], id="comma"),
        pytest.param(['"1 234.5"', '"10 000"', "7"], [1234.5, 10000.0, 7.0], id="space"),
        pytest.param(['"1\u00a0234"', '"2\u00a0000"', "3"], [1234, 2000, 3], id="nbsp"),
        pytest.param(["1'234.50", "99", "12'000"], [1234.5, 99.0, 12000.0], id="apostrophe"),
    ],
)
def test_thousands_separators(values: list[str], expected: list[float]) -> None:
    table = read("v,k\n" + "".join(f"{v},{i}\n" for i, v in enumerate(values)))
    assert table.frame["v"].tolist() == expected
    assert "thousands separators" in table.converted["v"]
    assert pd.api.types.is_numeric_dtype(table.frame["v"])


def test_dot_thousands_in_semicolon_file() -> None:
    table = read("v;k\n1.234;1\n12.345.678;2\n5,5;3\n")
    assert table.frame["v"].tolist() == [1234.0, 12345678.0, 5.5]


@pytest.mark.parametrize(
    ("values", "expected", "currency"),
    [
        pytest.param(["$5.00", '"$1,234.50"', "-$3"], [5.0, 1234.5, -3.0], "$", id="dollar-leading"),
        pytest.param(["5 €", "12.5€", "€7"], [5.0, 12.5, 7.0], "€", id="euro-both-sides"),
        pytest.param(["£1", "£2.50", "(£3.00)"], [1.0, 2.5, -3.0], "£", id="pound-accounting-negative"),
        pytest.param(["¥100", "¥2500", "¥0"], [100, 2500, 0], "¥", id="yen"),
        pytest.param(["USD 10", "USD 2.5", "USD -1"], [10.0, 2.5, -1.0], "USD", id="code"),
        pytest.param(["10 EUR", "2.5 EUR", "1 EUR"], [10.0, 2.5, 1.0], "EUR", id="trailing-code"),
    ],
)
def test_currency(values: list[str], expected: list[float], currency: str) -> None:
    table = read("price,k\n" + "".join(f"{v},{i}\n" for i, v in enumerate(values)))
    assert table.frame["price"].tolist() == expected
    assert table.converted["price"].startswith(f"amounts in {currency}")


def test_mixed_currencies_stay_text() -> None:
    table = read("price\n$5\n€6\n£7\n")
    assert table.frame["price"].tolist() == ["$5", "€6", "£7"]
    assert "price" not in table.converted


def test_percentages_become_fractions() -> None:
    table = read("rate,k\n12.5%,1\n100%,2\n-3 %,3\n")
    assert table.frame["rate"].tolist() == [0.125, 1.0, -0.03]
    assert table.converted["rate"] == "percentages"
    assert "'rate': read percentages as fractions (12.5% → 0.125)." in table.notes


def test_percent_with_decimal_comma() -> None:
    table = read("rate;k\n12,5 %;1\n7 %;2\n")
    assert table.frame["rate"].tolist() == [0.125, 0.07]


# ---- booleans, dates ------------------------------------------------------------------------


@pytest.mark.parametrize("values", [["True", "false", "TRUE", "False"], ["true", "false", "true", "false"]])
def test_true_false_text_is_read_as_booleans(values: list[str]) -> None:
    table = read("flag,k\n" + "".join(f"{v},{i}\n" for i, v in enumerate(values)))
    assert table.frame["flag"].tolist() == [True, False, True, False]
    assert table.frame["flag"].dtype == bool


@pytest.mark.parametrize(
    ("values", "expected", "note"),
    [
        pytest.param(["Yes", "No", "Yes", "No"], ["Yes", "No", "Yes", "No"], None, id="one-spelling-kept"),
        pytest.param(["yes", "no", "Yes", "NO", "yes"], ["yes", "no", "yes", "no", "yes"],
                     "'flag': read 'Yes' as 'yes' and 'NO' as 'no', so each answer is spelled one way.", id="yes-no"),
        pytest.param(["y", "n", "Y", "n", "y"], ["y", "n", "y", "n", "y"], "'flag': read 'Y' as 'y', so each answer "
                     "is spelled one way.", id="y-n"),
        pytest.param(["ja", "nein", "Ja", "ja"], ["ja", "nein", "ja", "ja"], None, id="ja-nein"),
        pytest.param(["yes", "1", "no", "0"], ["yes", "yes", "no", "no"], None, id="mixed-with-digits"),
        pytest.param(["Yes", "No", "maybe"] + ["Yes"] * 200, ["Yes", "No", "maybe"] + ["Yes"] * 200, None,
                     id="other-answers-untouched"),
    ],
)
def test_yes_no_answers_keep_the_users_words(values: list[str], expected: list[str], note: str | None) -> None:
    # a model trained on a 'Yes'/'No' column answers 'Yes'/'No' (not True/False), as the file says
    table = read("flag,k\n" + "".join(f"{v},{i}\n" for i, v in enumerate(values)))
    assert table.frame["flag"].tolist() == expected
    if note:
        assert note in notes(table)
    assert profile(table.frame).kinds["flag"] == ("boolean" if len(set(expected)) == 2 else "categorical")


def test_zero_one_column_stays_numeric() -> None:
    table = read("flag\n1\n0\n1\n")
    assert table.frame["flag"].dtype == np.int64


def test_boolean_with_missing_is_nullable() -> None:
    table = read("flag,k\ntrue,1\n,2\nfalse,3\n")
    assert str(table.frame["flag"].dtype) == "boolean"
    assert table.frame["flag"].isna().tolist() == [False, True, False]


def test_single_letter_codes_of_one_kind_stay_text() -> None:
    table = read("grade\ny\ny\ny\n")
    assert table.frame["grade"].tolist() == ["y", "y", "y"]


@pytest.mark.parametrize(
    ("values", "first", "was"),
    [
        pytest.param(["31/01/2024", "01/02/2024", "15/12/2024"], "2024-01-31", "dates (day/month/year)", id="dmy"),
        pytest.param(["01/31/2024", "02/01/2024", "12/15/2024"], "2024-01-31", "dates (month/day/year)", id="mdy"),
        pytest.param(["31.01.2024", "1.2.2024", "15.12.2024"], "2024-01-31", "dates (day/month/year)", id="dmy-dots"),
        pytest.param(["31/01/24", "01/02/24", "15/12/24"], "2024-01-31", "dates (day/month/year)", id="two-digit-year"),
        pytest.param(["2024/01/31", "2024/02/01", "2024/12/15"], "2024-01-31", "dates", id="ymd-slash"),
        pytest.param(["31 Jan 2024", "1 Feb 2024", "15 Dec 2024"], "2024-01-31", "dates", id="day-month-name"),
        pytest.param(['"Jan 31, 2024"', '"Feb 1, 2024"', '"Dec 15, 2024"'], "2024-01-31", "dates", id="month-name-first"),
        pytest.param(["January 31 2024", "February 1 2024", "December 15 2024"], "2024-01-31", "dates", id="long-month-name"),
        pytest.param(
            ["31/01/2024 10:30", "01/02/2024 08:05", "15/12/2024 23:59"],
            "2024-01-31 10:30",
            "date-times (day/month/year)",
            id="with-time",
        ),
        pytest.param(
            ["01/31/2024 10:30 PM", "02/01/2024 8:05 AM", "12/15/2024 11:59 PM"],
            "2024-01-31 22:30",
            "date-times (month/day/year)",
            id="am-pm",
        ),
        pytest.param(
            ["2024-01-31T10:30:00.5", "2024-02-01 08:00", "2024-12-15"],
            "2024-01-31 10:30:00.5",
            None,  # pyarrow reads these itself: nothing for us to convert or record
            id="iso-mixed-precision",
        ),
    ],
)
def test_dates(values: list[str], first: str, was: str | None) -> None:
    table = read("when,k\n" + "".join(f"{v},{i}\n" for i, v in enumerate(values)))
    column = table.frame["when"]
    assert pd.api.types.is_datetime64_any_dtype(column)
    assert column.iloc[0] == pd.Timestamp(first)
    assert table.converted.get("when") == was


def test_day_month_order_is_decided_by_the_whole_column() -> None:
    # the first 1000 rows are ambiguous; a later row settles it as day/month
    rows = [f"0{1 + i % 9}/0{1 + i % 9}/2024" for i in range(5000)] + ["25/03/2024"]
    table = read("when\n" + "\n".join(rows) + "\n")
    assert table.converted["when"] == "dates (day/month/year)"
    assert table.frame["when"].iloc[-1] == pd.Timestamp("2024-03-25")
    assert "either way round" not in notes(table)


def test_ambiguous_dates_are_noted() -> None:
    table = read("when\n01/02/2024\n03/04/2024\n")
    assert table.frame["when"].iloc[0] == pd.Timestamp("2024-02-01")
    assert table.notes == (  # one note per column, saying everything done to it
        "'when': read as dates (day/month/year); no day is above 12, so day and month could be "
        "either way round (if day/month/year is wrong, fix the dates in the file).",
    )


def test_both_orders_in_one_column_stay_text() -> None:
    table = read("when\n31/01/2024\n01/31/2024\n")
    assert table.frame["when"].tolist() == ["31/01/2024", "01/31/2024"]


def test_mixed_timezones_become_utc_with_a_note() -> None:
    table = read("when\n2024-03-01T10:00:00+02:00\n2024-03-01T10:00:00-05:00\n")
    assert table.frame["when"].tolist() == [
        pd.Timestamp("2024-03-01 08:00", tz="UTC"),
        pd.Timestamp("2024-03-01 15:00", tz="UTC"),
    ]
    assert "'when': times had different UTC offsets (+02:00, -05:00) and were converted to UTC." in table.notes


def test_offsets_in_day_month_dates() -> None:
    table = read("when\n31/01/2024 10:00 +0100\n01/02/2024 10:00 +0200\n")
    assert table.frame["when"].tolist() == [
        pd.Timestamp("2024-01-31 09:00", tz="UTC"),
        pd.Timestamp("2024-02-01 08:00", tz="UTC"),
    ]
    assert "converted to UTC" in notes(table)


def test_some_with_offsets_some_without_stay_text() -> None:
    table = read("when\n2024-03-01T10:00:00+02:00\n2024-03-01T10:00:00\n")
    assert table.frame["when"].dtype == "str"


# ---- the 99% rule ---------------------------------------------------------------------------


def test_column_converts_when_99_percent_parse_and_says_what_went_missing() -> None:
    values = [f'"{i:,}"' for i in range(1000, 1300)] + ["oops"]
    table = read("v\n" + "\n".join(values) + "\n")
    assert table.frame["v"].iloc[0] == 1000
    assert table.frame["v"].isna().sum() == 1
    assert table.notes == (  # one note per column
        "'v': read as numbers (thousands separators ','); 1 value could not be read as numbers and "
        "is now missing (first: 'oops').",
    )


def test_column_stays_text_when_too_many_values_do_not_parse() -> None:
    values = [f'"{i:,}"' for i in range(1000, 1100)] + ["oops", "n/a?"]
    table = read("v\n" + "\n".join(values) + "\n")
    assert table.frame["v"].dtype == "str"
    assert table.converted == {}


def test_leading_zeros_stay_text() -> None:
    table = read("zip,n\n02134,1\n10001,2\n")
    assert table.frame["zip"].tolist() == ["02134", "10001"]
    assert "Kept 'zip' as text: zip codes or codes" in notes(table)


def test_postal_codes_stay_text_and_zip_plus_four_is_not_lost() -> None:
    # openintro/seattlepets: 71 ZIP+4 codes ('98115-4820') among 52,000 five-digit ones became empty
    rows = "".join(f"{98100 + i % 50},{i}\n" for i in range(500))
    table = read("zip_code,n\n" + rows + "98115-4820,1\n")
    assert table.frame["zip_code"].tolist()[-2:] == ["98149", "98115-4820"]
    assert read("postcode,n\n" + rows).frame["postcode"].iloc[0] == "98100"
    coded = read("area,n\n" + rows + "98115-4820,1\n")  # not named like one: the hyphenated code decides
    assert coded.frame["area"].iloc[-1] == "98115-4820"


def test_resulting_dtypes() -> None:
    table = read(
        "i,f,s,d,b,m\n1,1.5,x,2024-01-05,true,\n2,,y,2024-01-06,false,\n3,2.5,,2024-01-07,true,\n"
    )
    dtypes = table.frame.dtypes
    assert dtypes["i"] == np.int64
    assert dtypes["f"] == np.float64
    assert dtypes["s"] == "str"
    assert pd.api.types.is_datetime64_any_dtype(dtypes["d"])
    assert dtypes["b"] == bool
    assert dtypes["m"] == np.float64  # an empty column
    assert table.frame["s"].isna().tolist() == [False, False, True]


# ---- names and broken lines -----------------------------------------------------------------


def test_blank_and_duplicate_names_are_renamed() -> None:
    table = read("x,,x, ,x_2\n1,2,3,4,5\n")
    assert list(table.frame.columns) == ["x", "column_2", "x_3", "column_4", "x_2"]
    assert (
        "Renamed 3 columns: blank name of column 2 → 'column_2'; duplicate 'x' (column 3) → 'x_3'; "
        "blank name of column 4 → 'column_4'."
    ) in table.notes


def test_names_are_trimmed() -> None:
    table = read(" a ,b\n1,2\n")
    assert list(table.frame.columns) == ["a", "b"]
    assert "Removed spaces around 1 column name." in table.notes


def test_bad_lines_are_reported_with_line_numbers() -> None:
    table = read("a,b,c\n1,2,3\n\n4,5\n6,7,8\n9,10,11,12\n13,14,15\n")
    assert table.bad_lines == (4, 6)
    assert table.bad_line_count == 2
    assert table.frame["a"].tolist() == [1, 6, 13]
    assert "Skipped 2 lines that did not have 3 fields: lines 4, 6." in table.notes


def test_bad_line_numbers_count_embedded_line_breaks() -> None:
    table = read('a,b\n1,"two\nlines"\n2\n3,x\n')
    assert table.bad_lines == (4,)
    assert table.frame["b"].tolist() == ["two\nlines", "x"]


def _big_csv(rows: int, bad_every: int, multiline_every: int = 0) -> tuple[bytes, list[int]]:
    lines, bad = ["id,text,value"], []
    line_no = 1
    for i in range(rows):
        line_no += 1
        if bad_every and i % bad_every == bad_every - 1:
            lines.append(f"{i},broken")
            bad.append(line_no)
        elif multiline_every and i % multiline_every == 0 and i > 60_000:
            lines.append(f'{i},"two\nlines, with comma",{i}')
            line_no += 1
        else:
            lines.append(f"{i},plain text here,{i * 3}")
    return ("\n".join(lines) + "\n").encode(), bad


def test_bad_lines_in_a_big_file_read_on_several_threads() -> None:
    data, bad = _big_csv(200_000, bad_every=20_011)
    assert len(data) > 4 * 2**20
    table = read(data)
    assert table.bad_lines == tuple(bad)
    assert len(table.frame) == 200_000 - len(bad)


@pytest.mark.parametrize("as_path", [False, True], ids=["bytes", "path"])
def test_quoted_line_breaks_far_into_a_big_file(as_path: bool, tmp_path: Path) -> None:
    # no quote in the first megabyte; later values hold line breaks, and the part after the
    # break would parse as a valid row: a reader that splits blocks at any newline garbles them
    data, _ = _big_csv(200_000, bad_every=0, multiline_every=997)
    assert b'"' not in data[: 2**20]
    if as_path:
        (tmp_path / "big.csv").write_bytes(data)
        table = read_table(tmp_path / "big.csv")
    else:
        table = read(data)
    assert table.bad_lines == ()
    assert len(table.frame) == 200_000
    expected = sum(1 for i in range(200_000) if i % 997 == 0 and i > 60_000)
    assert (table.frame["text"] == "two\nlines, with comma").sum() == expected
    assert table.frame["value"].iloc[-1] == 199_999 * 3


def test_preamble_lines_are_skipped() -> None:
    table = read("Quarterly report\nExported 2024-01-01\n\nid,amount,region\n1,10,n\n2,20,s\n3,30,e\n")
    assert list(table.frame.columns) == ["id", "amount", "region"]
    assert "Skipped 3 lines before the column names (lines 1–3: 'Quarterly report', 'Exported 2024-01-01')." in table.notes


# ---- refusals -------------------------------------------------------------------------------


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "message", "hint"),
    [
        pytest.param(b"", "'report.csv' is empty.", "Choose a file that has column names and rows of data.", id="empty"),
        pytest.param(b" \n\n\t\n", "'report.csv' is empty (it holds only blank space).", "Choose a file", id="blank"),
        pytest.param(b"a,b,c\n", "'report.csv' has column names but no rows.", "Add rows of data under the column names", id="header-only"),
        pytest.param(_zip({"x.csv": b"a\n1\n"}), "'report.csv' is a ZIP archive, not a table.", "Unzip it and upload the CSV or Excel file inside.", id="zip"),
        pytest.param(b"\x80\x04\x95\x10\x00", "'report.csv' is a Python pickle file, not a table.", "Save the data as CSV", id="pickle"),
        pytest.param(b"\x89PNG\r\n\x1a\n" + bytes(30), "'report.csv' is a PNG image, not a table.", "Upload the data itself", id="png"),
        pytest.param(b"\xff\xd8\xff\xe0" + bytes(30), "'report.csv' is a JPEG image, not a table.", "Upload the data itself", id="jpeg"),
        pytest.param(b"GIF89a" + bytes(30), "'report.csv' is a GIF image, not a table.", "Upload the data itself", id="gif"),
        pytest.param(b"BM" + (40).to_bytes(4, "little") + bytes(34), "'report.csv' is a BMP image, not a table.", "Upload the data itself", id="bmp"),
        pytest.param(b"RIFF\x10\x00\x00\x00WEBPVP8 " + bytes(20), "'report.csv' is a WebP image, not a table.", "Upload the data itself", id="webp"),
        pytest.param(b"%PDF-1.7\n", "'report.csv' is a PDF document, not a table.", "Export the table", id="pdf"),
        pytest.param(b"\x1f\x8b\x08\x00" + bytes(20), "'report.csv' is a gzip-compressed file, not a table.", "Decompress it", id="gzip"),
        pytest.param(b"\x7fELF\x02\x01" + bytes(60), "'report.csv' is a program (executable file), not a table.", "Upload the data itself", id="elf"),
        pytest.param(b"MZ\x90\x00" + bytes(56) + (64).to_bytes(4, "little") + b"PE\x00\x00" + bytes(40), "'report.csv' is a Windows program (executable file), not a table.", "Upload the data itself", id="exe"),
        pytest.param(b"SQLite format 3\x00" + bytes(100), "'report.csv' is an SQLite database, not a table.", "Export the table you need as CSV", id="sqlite"),
        pytest.param(b"<!DOCTYPE html><html><body></body></html>", "'report.csv' is a web page (HTML), not a table.", "Download the data as CSV or Excel", id="html"),
        pytest.param(b'<?xml version="1.0"?><a/>', "'report.csv' is an XML document, not a table.", "Export the data", id="xml"),
        pytest.param(bytes(range(256)) * 20, "'report.csv' contains binary data, not text or a spreadsheet.", "Upload a CSV, Excel (.xlsx), Parquet or JSON file.", id="binary"),
        pytest.param(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "'report.csv' is an old-format Excel (.xls) file or a password-protected workbook", "save it as .xlsx", id="xls"),
        pytest.param(b"a,b\n1,2,3\n4,5,6\n", "No row of 'report.csv' has the 2 fields that its header line names (2 lines had a different number).", "Check that the first line holds the column names", id="all-lines-bad"),
        pytest.param(b'a,b\n1,2\n3,"never closed\n4,5\n', "'report.csv' has a quote (\") on line 3 that is never closed, so everything after it would be read as one value.", "Remove that stray quote", id="unclosed-quote"),
    ],
)
def test_refusals(data: bytes, message: str, hint: str) -> None:
    error = refused(data, "report.csv")
    assert error.message.startswith(message), error.message
    assert hint in error.hint


def test_refusals_are_keel_errors_and_value_errors() -> None:
    error = refused(b"\x89PNG\r\n\x1a\n", "x.csv")
    assert isinstance(error, KeelError) and isinstance(error, ValueError)


def test_pickle_is_never_unpickled(tmp_path: Path) -> None:
    import pickle

    marker = tmp_path / "ran"

    class Boom:
        def __reduce__(self):  # pragma: no cover - must never run
            return (marker.write_text, ("ran",))

    data = pickle.dumps(Boom(), protocol=2)
    refused(data, "model.csv")
    refused(pickle.dumps(Boom(), protocol=0), "model.csv")
    assert not marker.exists()


def test_too_many_columns() -> None:
    header = ",".join(f"c{i}" for i in range(ingest.MAX_COLUMNS + 1))
    error = refused(header + "\n" + ",".join("1" for _ in range(ingest.MAX_COLUMNS + 1)) + "\n")
    assert error.message == "'data.csv' has 10,001 columns; Keel reads up to 10,000."


def test_too_big(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ingest.read, "MAX_BYTES", 1024)  # where the limit is checked
    error = refused("a,b\n" + "1,2\n" * 1000)
    assert error.message == "'data.csv' is 0 MB; Keel reads files up to 0 MB."
    assert error.hint == "Split it into smaller files, or keep only the columns and rows you need."


def test_too_long_cell() -> None:
    error = refused("id,text\n1," + "x" * (ingest.MAX_CELL_CHARS + 1) + "\n")
    assert error.message == (
        "Column 'text' of 'data.csv' has a value of 2,000,001 characters (row 1); "
        "Keel reads values up to 2,000,000 characters."
    )


def test_missing_path_and_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="was not found"):
        read_table(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="is a folder"):
        read_table(tmp_path)


def test_name_is_only_used_in_messages(tmp_path: Path) -> None:
    table = read_table(b"a\n1\n", name="../../etc/passwd")
    assert table.source_name == "../../etc/passwd"
    error = refused(b"%PDF-1.4", name="../../etc/passwd")
    assert error.message.startswith("'../../etc/passwd' is a PDF document")


def test_path_source(tmp_path: Path) -> None:
    path = tmp_path / "people.txt"
    path.write_bytes(PEOPLE.encode("utf-16"))
    table = read_table(path)
    assert table.source_name == "people.txt"
    assert table.size_bytes == path.stat().st_size
    assert table.frame["name"].tolist() == ["José", "Zoë"]


# ---- Excel ----------------------------------------------------------------------------------


def _xlsx(sheets: dict[str, list[list]]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    for n, (title, rows) in enumerate(sheets.items()):
        ws = book.active if n == 0 else book.create_sheet()
        ws.title = title
        for row in rows:
            ws.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_sheets() -> None:
    data = _xlsx({"Empty": [], "Sales": [["a", "b"], [1, "1,234"], [2, "5"]], "Costs": [["c"], [3]]})
    table = read(data, "book.xlsx")
    assert table.format == "xlsx"
    assert table.sheet == "Sales" and table.sheets == ("Empty", "Sales", "Costs")
    assert table.frame["b"].tolist() == [1234, 5]
    assert read(data, "book.xlsx", sheet="Costs").frame["c"].tolist() == [3]
    error = refused(data, "book.xlsx", sheet="Nope")
    assert error.message == "'book.xlsx' has no sheet named 'Nope'."
    assert error.hint == "Sheets in this file: 'Empty', 'Sales', 'Costs'."


def test_xlsx_refuses_big_unpacked_size(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ingest.excel, "MAX_UNPACKED_BYTES", 2000)
    error = refused(_xlsx({"S": [["a"], [1]]}), "book.xlsx")
    assert "would unpack to" in error.message and "more than the 0 MB" in error.message


def test_xlsx_zip_bomb_ratio() -> None:
    source = zipfile.ZipFile(io.BytesIO(_xlsx({"S": [["a"], [1]]})))
    members = {i.filename: source.read(i.filename) for i in source.infolist()}
    members["xl/media/pad.bin"] = bytes(12 * 2**20)
    error = refused(_zip(members), "book.xlsx")
    assert error.message == (
        "'book.xlsx' is compressed more than 100 times over (like a 'zip bomb'), so Keel will not unpack it."
    )


# ---- Parquet and JSON -----------------------------------------------------------------------


def test_parquet() -> None:
    out = io.BytesIO()
    pq.write_table(pa.table({"a": [1, 2], "b": ["x", None], "d": pa.array([1.5, 2.5]).cast(pa.decimal128(5, 2))}), out)
    table = read(out.getvalue(), "t.parquet")
    assert table.format == "parquet"
    assert table.frame["a"].tolist() == [1, 2]
    assert table.frame["d"].tolist() == [1.5, 2.5]


def test_parquet_dates_written_as_text_are_dates_but_other_text_stays_text() -> None:
    out = io.BytesIO()
    pq.write_table(pa.table({"when": ["1959-01-01", "1959-04-01", "1959-07-01"], "zip": ["02139", "10001", "94105"],
                             "flag": ["yes", "no", "yes"]}), out)
    table = read(out.getvalue(), "t.parquet")
    assert pd.api.types.is_datetime64_any_dtype(table.frame["when"])  # as from a CSV
    assert table.frame["zip"].tolist() == ["02139", "10001", "94105"]  # the writer's text: not numbers
    assert table.frame["flag"].tolist() == ["yes", "no", "yes"]
    assert any("'when': read as dates" in n for n in table.notes)


def test_json_lines_and_array() -> None:
    lines = read(b'{"a": 1, "when": "2024-01-05"}\n{"a": 2, "when": "2024-01-06"}\n', "x.jsonl")
    assert lines.format == "jsonl"
    assert lines.frame["a"].tolist() == [1, 2]
    assert pd.api.types.is_datetime64_any_dtype(lines.frame["when"])
    array = read(b'[{"a": 1, "b": {"c": "x"}}, {"a": "two"}]', "x.json")
    assert array.format == "json"
    assert list(array.frame.columns) == ["a", "b.c"]
    assert array.frame["a"].tolist() == ["1", "two"]


def test_json_refusals() -> None:
    assert refused(b"[1, 2, 3]", "x.json").message == "'x.json' is a JSON list, but not of records (objects)."
    assert refused(b'[{"a": 1},', "x.json").message.startswith("'x.json' looks like JSON but is not valid JSON")


def test_placeholders_in_excel_numbers_count_as_missing() -> None:
    data = _xlsx({"S": [["v"], *[[f"{i:,}"] for i in range(1000, 1150)], ["N/A"], ["-"]]})
    table = read(data, "book.xlsx")
    assert table.frame["v"].iloc[0] == 1000
    assert table.frame["v"].isna().sum() == 2
    assert table.converted["v"] == "thousands separators ','"


def test_padded_numbers_are_numbers() -> None:
    table = read("v,k\n  5 ,1\n 6,2\n7  ,3\n")
    assert table.frame["v"].tolist() == [5, 6, 7]


def test_stray_quote_that_swallows_rows_into_a_value_is_refused() -> None:
    lines = ["id,name,note"] + [f"{i},name {i},ok" for i in range(1, 200)]
    lines[20] = '20,x,"Bob'  # opened in the last column ...
    lines[150] = '150,Eve"'  # ... and closed 130 lines later: still three fields
    error = refused("\n".join(lines) + "\n", "people.csv")
    assert error.message.startswith(
        "'people.csv' has a quote (\") that is not closed where it should be, so 131 lines run "
        "together into one value of column 'note' (they start: 'Bob 21,name 21,ok 22,name 22,ok 23,"
    )
    assert "remove the stray quote" in error.hint


def test_long_multiline_text_values_are_fine() -> None:
    essay = "\n".join(f"Paragraph {i}: some words here." for i in range(30))
    table = read(f'id,text\n1,"{essay}"\n2,short\n')
    assert table.frame["text"].iloc[0] == essay


def test_line_breaks_in_quotes_across_block_boundaries() -> None:
    # The sniffed head has no line breaks in quotes, so the fast read runs without pyarrow's
    # newlines_in_values; every later row has one, so block boundaries fall inside them.
    head = "".join(f"{i},plain,{i}\n" for i in range(4000))
    tail = "".join(f'{i},"two\nlines, with comma",{i}\n' for i in range(4000, 150_000))
    data = ("id,text,value\n" + head + tail).encode()
    import pyarrow.csv as pacsv

    try:  # what the plain reader makes of it: an error, or (worse) quietly wrong rows
        naive = pacsv.read_csv(pa.BufferReader(data))
        assert naive.column("text").to_pylist()[4000:] != ["two\nlines, with comma"] * 146_000
    except pa.ArrowInvalid as exc:
        assert "newlines_in_values" in str(exc)
    table = read(data)
    assert len(table.frame) == 150_000 and table.bad_lines == ()
    assert table.frame["value"].tolist() == list(range(150_000))
    assert (table.frame["text"] == "two\nlines, with comma").sum() == 146_000

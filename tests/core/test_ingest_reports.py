"""Reading reports right: title blocks, totals rows, the right sheet, spreadsheet errors, one note
per column. Real files (CSV bytes, .xlsx built with openpyxl) written into tmp_path."""

from __future__ import annotations

import io
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from core.errors import InputError
from core.data.ingest import Table, read_table

ROOT = Path(__file__).resolve().parents[2]


def csv_file(tmp_path: Path, text: str, name: str = "report.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def xlsx_file(tmp_path: Path, sheets: dict[str, list[list[Any]]], name: str = "book.xlsx") -> Path:
    book = openpyxl.Workbook()
    for n, (title, rows) in enumerate(sheets.items()):
        ws = book.active if n == 0 else book.create_sheet()
        ws.title = title
        for row in rows:
            ws.append(row)
    path = tmp_path / name
    book.save(path)
    return path


def read(path: Path, **kw: Any) -> Table:
    return read_table(path, **kw)


def rows(table: Table) -> list[list[Any]]:
    return table.frame.astype(object).values.tolist()


SALES = "region,units,price\nNorth,1,2.5\nSouth,2,3.5\nEast,3,4\n"


# ---- a title block above the header ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("above", "note"),
    [
        pytest.param("Sales report Q1\n", "Skipped 1 line before the column names (line 1: 'Sales report Q1').",
                     id="title-line"),
        pytest.param("Sales report Q1,,\n", "Skipped 1 line before the column names (line 1: 'Sales report Q1').",
                     id="title-padded-as-excel-saves-it"),
        pytest.param("Sales report Q1,,\n,,\nExported 2024-04-02,,\n",
                     "Skipped 3 lines before the column names (lines 1–3: 'Sales report Q1', 'Exported 2024-04-02').",
                     id="title-block-with-a-blank-line"),
        pytest.param('"Sales report, Q1"\n', "Skipped 1 line before the column names (line 1: 'Sales report, Q1').",
                     id="quoted-comma"),
        pytest.param("Sales report, Q1\n", "Skipped 1 line before the column names (line 1: 'Sales report Q1').",
                     id="unquoted-comma"),
    ],
)
def test_a_title_above_the_header_is_skipped_and_named(tmp_path: Path, above: str, note: str) -> None:
    table = read(csv_file(tmp_path, above + SALES))
    assert list(table.frame.columns) == ["region", "units", "price"]
    assert rows(table) == [["North", 1, 2.5], ["South", 2, 3.5], ["East", 3, 4.0]]
    assert table.notes == (note,)


def test_a_title_in_cell_a1_of_a_sheet_is_skipped(tmp_path: Path) -> None:
    path = xlsx_file(tmp_path, {"Q1": [["Sales report Q1"], [], ["region", "units", "price"],
                                       ["North", 1, 2.5], ["South", 2, 3.5]]})
    table = read(path)
    assert list(table.frame.columns) == ["region", "units", "price"]
    assert len(table.frame) == 2
    assert table.notes == ("Skipped 2 rows before the column names in sheet 'Q1' (rows 1–2: 'Sales report Q1').",)


def test_a_title_over_a_header_that_names_years_is_skipped(tmp_path: Path) -> None:
    table = read(csv_file(tmp_path, "Revenue by region,,\nregion,2023,2024\nNorth,5,6\nSouth,7,8\n"))
    assert list(table.frame.columns) == ["region", "2023", "2024"]
    assert table.frame["2024"].tolist() == [6, 8]


@pytest.mark.parametrize(
    ("text", "columns", "shape"),
    [
        pytest.param("name\nAlice\nBob\nCarol\n", ["name"], (3, 1), id="one-column-table"),
        pytest.param("id,,\n1,2,3\n4,5,6\n7,8,9\n", ["id", "column_2", "column_3"], (3, 3),
                     id="header-with-blank-names-over-numbers"),
        pytest.param("name,\nAlice,Zurich\nBob,Malmo\nCarol,Oslo\n", ["name", "column_2"], (3, 2),
                     id="one-word-header-over-words"),
        pytest.param("a,b\n1,2\n3,4\n", ["a", "b"], (2, 2), id="plain"),
        pytest.param("x,y,z\n1,,\n2,3,4\n5,6,7\n", ["x", "y", "z"], (3, 3), id="first-row-mostly-empty"),
    ],
)
def test_honest_headers_are_kept(tmp_path: Path, text: str, columns: list[str], shape: tuple[int, int]) -> None:
    table = read(csv_file(tmp_path, text))
    assert list(table.frame.columns) == columns
    assert table.frame.shape == shape
    assert not any("before the column names" in n for n in table.notes)


# ---- a totals row at the end ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("last", "note"),
    [
        pytest.param("Total,6,10", "Skipped the last row (line 5, 'Total'): it is a totals row, not data "
                     "('units' and 'price' add up to it).", id="total-that-adds-up"),
        pytest.param("Grand total:,6,", "Skipped the last row (line 5, 'Grand total:'): it is a totals row, not "
                     "data ('units' adds up to it).", id="grand-total-one-column"),
        pytest.param("TOTALS,60,40", "Skipped the last row (line 5, 'TOTALS'): it is a totals row, not data.",
                     id="word-with-numbers-bigger-than-any-row"),
        pytest.param("Sum,6,10", "Skipped the last row (line 5, 'Sum'): it is a totals row, not data ('units' "
                     "and 'price' add up to it).", id="sum"),
        pytest.param("Total for Q1,6,10", "Skipped the last row (line 5, 'Total for Q1'): it is a totals row, "
                     "not data ('units' and 'price' add up to it).", id="label-starting-with-total-that-adds-up"),
    ],
)
def test_a_closing_totals_row_is_skipped_and_named(tmp_path: Path, last: str, note: str) -> None:
    table = read(csv_file(tmp_path, SALES + last + "\n\n"))
    assert rows(table) == [["North", 1, 2.5], ["South", 2, 3.5], ["East", 3, 4.0]]
    assert table.notes == (note,)


@pytest.mark.parametrize(
    "last",
    [
        pytest.param("Total Care Shampoo,4,9", id="product-whose-name-starts-with-total"),
        pytest.param("Total Care Shampoo,6,9", id="product-where-only-one-column-adds-up"),
        pytest.param("Total,2,3", id="company-called-total-with-ordinary-numbers"),
        pytest.param("Total,,", id="word-without-numbers"),
        pytest.param("Totally Organic,6,10", id="a-word-that-only-begins-like-it"),
    ],
)
def test_a_last_row_that_is_not_a_total_is_kept(tmp_path: Path, last: str) -> None:
    table = read(csv_file(tmp_path, SALES + last + "\n"))
    assert len(table.frame) == 4
    assert table.frame["region"].iloc[-1] == last.split(",")[0]
    assert not any("totals row" in n for n in table.notes)


def test_totals_of_amounts_and_percentages_are_recognised(tmp_path: Path) -> None:
    text = 'item;amount;share\na;"1.234,50";20%\nb;"2.000,25";30%\nc;10;50%\nTotal;"3.244,75";100%\n'
    table = read(csv_file(tmp_path, text))
    assert table.frame["amount"].tolist() == [1234.5, 2000.25, 10.0]
    assert table.frame["share"].tolist() == [0.2, 0.3, 0.5]
    assert "Skipped the last row (line 5, 'Total'): it is a totals row, not data ('amount' and 'share' add up to it)." in table.notes


def test_a_total_label_in_a_column_of_numbers_leaves_that_column_numeric(tmp_path: Path) -> None:
    table = read(csv_file(tmp_path, "order,units\n101,1\n102,2\n103,3\nTotal,6\n"))
    assert table.frame["order"].tolist() == [101, 102, 103]
    assert str(table.frame["order"].dtype) == "int64"


def test_a_total_row_in_a_sheet_names_its_row(tmp_path: Path) -> None:
    path = xlsx_file(tmp_path, {"Data": [["region", "units"], ["North", 1], ["South", 2], [], ["Total", 3]]})
    table = read(path)
    assert table.frame["units"].tolist() == [1, 2]
    assert table.notes == (
        "Skipped 1 empty row inside the sheet.",
        "Skipped the last row (row 5 of sheet 'Data', 'Total'): it is a totals row, not data ('units' adds up to it).",
    )


def test_title_and_total_together_in_a_big_file_read_from_a_path(tmp_path: Path) -> None:
    body = "".join(f"r{i},{i},{i % 7}.5\n" for i in range(200_000))
    total_units = sum(range(200_000))
    total_price = sum(i % 7 + 0.5 for i in range(200_000))
    text = "Export of 2024-04-02,,\n" + "name,units,price\n" + body + f"Total,{total_units},{total_price:.2f}\n"
    table = read(csv_file(tmp_path, text))
    assert len(table.frame) == 200_000
    assert f"Skipped the last row (line {200_003:,}, 'Total'): it is a totals row, not data ('units' and 'price' add up to it)." in table.notes


# ---- the right sheet ---------------------------------------------------------------------------------


def test_the_biggest_table_like_sheet_is_read_and_the_others_are_named(tmp_path: Path) -> None:
    path = xlsx_file(tmp_path, {
        "Read me": [["This workbook holds the Q1 sales; see the Data sheet."]],
        "Summary": [["region", "units"], ["North", 10], ["South", 20]],
        "Data": [["date", "region", "units"]] + [[f"2024-01-{d:02d}", "North", d] for d in range(1, 29)],
        "Empty": [],
    })
    table = read(path)
    assert table.sheet == "Data"
    assert table.sheets == ("Read me", "Summary", "Data", "Empty")
    assert table.frame.shape == (28, 3)
    assert table.notes[0] == (
        "Read sheet 'Data', the biggest table of the 4 sheets in the file (the others: 'Read me', 'Summary' "
        "and 'Empty'). To read another, pick it in the sheet list, or on the command line add --sheet NAME."
    )


def test_a_chosen_sheet_is_read_and_named(tmp_path: Path) -> None:
    path = xlsx_file(tmp_path, {"Read me": [["note"]], "Summary": [["region", "units"], ["North", 10]],
                                "Data": [["a"], [1], [2], [3]]})
    table = read(path, sheet="Summary")
    assert table.sheet == "Summary" and table.frame.shape == (1, 2)
    assert table.notes[0] == "Read sheet 'Summary' (3 sheets in the file; the others: 'Read me' and 'Data')."


def test_a_one_sheet_note_is_not_a_table(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        read(xlsx_file(tmp_path, {"Read me": [["only a note"]], "Data": [["a"], [1]]}), sheet="Read me")
    assert caught.value.message == "Sheet 'Read me' of 'book.xlsx' has column names but no rows."


def test_cli_reads_the_sheet_named_with_dash_dash_sheet(tmp_path: Path) -> None:
    path = xlsx_file(tmp_path, {"Read me": [["note"]], "Data": [["a", "b"], [1, 2], [3, 4]],
                                "Costs": [["cost"], [5], [6], [7]]})
    home = tmp_path / "cli_home"
    home.mkdir()
    env = {**os.environ, "KEEL_HOME": str(home / "keel"), "HOME": str(home)}
    run = [sys.executable, "-m", "core", "profile", str(path), "--json"]
    default = subprocess.run(run, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    chosen = subprocess.run([*run, "--sheet", "Costs"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120, check=False)
    assert default.returncode == 0 and chosen.returncode == 0, default.stderr + chosen.stderr
    assert '"sheet": "Data"' in default.stdout and "--sheet NAME" in default.stdout
    assert '"sheet": "Costs"' in chosen.stdout and '"rows": 3' in chosen.stdout


# ---- spreadsheet errors and infinities ----------------------------------------------------------------


def test_error_values_are_missing_and_infinities_infinite_so_the_column_stays_numeric(tmp_path: Path) -> None:
    values = ["#VALUE!", "#DIV/0!", "5", "inf", "1e309", "#N/A", "-inf", "#REF!", "#NAME?", "#NUM!", "#NULL!"]
    values += [str(i) for i in range(12, 40)]
    table = read(csv_file(tmp_path, "id,v\n" + "".join(f"{i},{v}\n" for i, v in enumerate(values, 1))))
    v = table.frame["v"]
    assert str(v.dtype) == "float64"
    assert v.isna().sum() == 7
    assert v[v.abs() == math.inf].tolist() == [math.inf, math.inf, -math.inf]
    assert table.notes == (
        "'v': read as numbers (numbers stored as text); 7 spreadsheet error values (#DIV/0!, #N/A, #NAME?, "
        "#NULL! …) are now missing (rows 1, 2, 6, 8, 9 and 2 more); 3 values are infinite (rows 4, 5 and 7: "
        "'inf', '1e309', '-inf').",
    )


def test_error_cells_in_a_sheet_keep_the_column_numeric(tmp_path: Path) -> None:
    sheet = [["month", "margin"]] + [[m, "#DIV/0!" if m % 4 == 0 else m / 10] for m in range(1, 13)]
    table = read(xlsx_file(tmp_path, {"P&L": sheet}))
    assert str(table.frame["margin"].dtype) == "float64"
    assert table.frame["margin"].isna().sum() == 3
    assert table.notes == (
        "'margin': read as numbers (numbers stored as text); 3 spreadsheet error values (#DIV/0!) are now "
        "missing (rows 4, 8 and 12).",
    )


def test_infinity_read_natively_is_noted(tmp_path: Path) -> None:
    table = read(csv_file(tmp_path, "x\n1.5\ninf\n2.5\n-Infinity\n"))
    assert table.frame["x"].tolist()[1] == math.inf
    assert table.notes == ("'x': 2 values are infinite (rows 2 and 4).",)


def test_a_text_column_with_an_error_value_stays_text(tmp_path: Path) -> None:
    table = read(csv_file(tmp_path, "name,v\nAlice,#REF!\nBob,fine\nCarol,ok\n"))
    assert table.frame["v"].tolist() == ["#REF!", "fine", "ok"]
    assert table.notes == ()


# ---- one note per column ------------------------------------------------------------------------------


def test_a_column_is_not_both_kept_as_text_and_read_as_numbers(tmp_path: Path) -> None:
    """A ragged line put '0123' under 'amount' in the sample; that line is skipped, and 'amount'
    holds only numbers: it was said to be kept as text, then read as numbers."""
    table = read(csv_file(tmp_path, "id,amount\n1,5\n2,0123,x\n3,7\n4,8\n"))
    assert table.frame["amount"].tolist() == [5, 7, 8]
    assert table.notes == (
        "Skipped 1 line that did not have 2 fields: line 3.",
        "'amount': read as numbers (numbers stored as text).",
    )


def test_codes_kept_as_text_are_still_noted(tmp_path: Path) -> None:
    table = read(csv_file(tmp_path, "zip,n\n02134,1\n10001,2\n"))
    assert table.notes == ("Kept 'zip' as text: zip codes or codes (values that start with 0, or a column "
                           "named like a postal code), not amounts.",)


@pytest.mark.parametrize(
    "text",
    [
        "when,v\n01/02/2024,1\n03/04/2024,x\n" + "05/06/2024,3\n" * 200,
        "p\n" + "".join(f'"{i:,}"\n' for i in range(1000, 1300)) + "oops\ninf\n",
        "when,x\n2024-03-01T10:00:00+02:00,#N/A\n2024-03-01T10:00:00-05:00,1.5\n" + "2024-03-01T09:00:00+01:00,2\n" * 150,
    ],
    ids=["ambiguous-dates-and-failures", "numbers-failures-infinity", "offsets-and-errors"],
)
def test_each_column_has_at_most_one_note(tmp_path: Path, text: str) -> None:
    table = read(csv_file(tmp_path, text))
    for name in table.frame.columns:
        about = [n for n in table.notes if n.startswith(f"'{name}':")]
        assert len(about) <= 1, about


def test_cells_as_written_leave_out_the_same_title_and_total(tmp_path: Path) -> None:
    """Predictions copy the user's cells as written: the same rows must be left out."""
    path = csv_file(tmp_path, "Sales report Q1,,\n" + "region,units,price\nNorth,1,2.50\nSouth,2,3.50\nEast,3,4\n"
                    "Total,6,10.00\n")
    typed, written = read(path), read_table(path, as_text=True)
    assert rows(written) == [["North", "1", "2.50"], ["South", "2", "3.50"], ["East", "3", "4"]]
    assert written.notes == typed.notes

"""Property tests: any input either parses or raises Keel's own error; simple frames round-trip."""

from __future__ import annotations

import os
import string
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.pandas import column, data_frames, range_indexes

from core.errors import KeelError
from core.data.ingest import Table, read_table

SETTINGS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


def _no_bug_logged() -> None:
    """read_table wraps unexpected errors into InputError but logs them: there must be none."""
    log = Path(os.environ["KEEL_HOME"]) / "logs" / "errors.log"
    assert not log.exists(), log.read_text()


def _parses_or_refuses(data: bytes) -> Table | None:
    try:
        table = read_table(data, name="upload.csv")
    except KeelError as exc:
        assert exc.message and exc.hint
        _no_bug_logged()
        return None
    assert isinstance(table, Table)
    assert all(isinstance(c, str) for c in table.frame.columns)
    assert len(set(table.frame.columns)) == table.frame.shape[1]
    assert len(table.frame) > 0
    _no_bug_logged()
    return table


@SETTINGS
@given(st.binary(max_size=3000))
def test_any_bytes_parse_or_refuse(data: bytes) -> None:
    _parses_or_refuses(data)


@SETTINGS
@given(st.text(max_size=2000))
def test_any_text_parses_or_refuses(text: str) -> None:
    _parses_or_refuses(text.encode("utf-8"))


_CELL = st.text(alphabet=string.ascii_letters + string.digits + ' ,;\t|"\'\n\r.-%$€/:', max_size=12)


@SETTINGS
@given(
    st.lists(st.lists(_CELL, min_size=1, max_size=6), min_size=1, max_size=30),
    st.sampled_from([",", ";", "\t", "|"]),
    st.sampled_from(["utf-8", "utf-16", "cp1252", "utf-8-sig"]),
)
def test_csv_like_text_parses_or_refuses(rows: list[list[str]], delimiter: str, encoding: str) -> None:
    text = "\n".join(delimiter.join(cells) for cells in rows) + "\n"
    _parses_or_refuses(text.encode(encoding, errors="replace"))


@SETTINGS
@given(
    data_frames(
        [
            column("n", dtype=int),
            column("x", dtype=float),
            column("t", elements=st.text(max_size=20)),
            column("b", dtype=bool),
        ],
        index=range_indexes(min_size=0, max_size=25),
    ),
    st.sampled_from([",", ";", "\t"]),
)
def test_any_frame_written_as_csv_parses_or_refuses(frame: pd.DataFrame, delimiter: str) -> None:
    _parses_or_refuses(frame.to_csv(index=False, sep=delimiter).encode("utf-8"))


_WORD = st.text(alphabet=string.ascii_letters, min_size=1, max_size=10).map(lambda s: "w" + s)


@SETTINGS
@given(
    data_frames(
        [
            column("count", dtype=np.int64),
            column("amount", elements=st.floats(allow_nan=False, allow_infinity=False, width=64)),
            column("label", elements=_WORD),
        ],
        index=range_indexes(min_size=1, max_size=40),
    )
)
def test_round_trip_comma_csv(frame: pd.DataFrame) -> None:
    table = read_table(frame.to_csv(index=False).encode("utf-8"), name="frame.csv")
    got = table.frame
    assert list(got.columns) == ["count", "amount", "label"]
    assert got["count"].tolist() == frame["count"].tolist()
    assert np.array_equal(got["amount"].to_numpy(dtype=float), frame["amount"].to_numpy(dtype=float))
    assert got["label"].tolist() == frame["label"].tolist()
    assert table.converted == {}


@SETTINGS
@given(
    data_frames(
        [
            column("count", elements=st.integers(-(10**9), 10**9)),
            column("amount", elements=st.floats(-1e6, 1e6).map(lambda v: round(v, 2))),
            column("label", elements=_WORD),
        ],
        index=range_indexes(min_size=1, max_size=40),
    )
)
def test_round_trip_semicolon_decimal_comma(frame: pd.DataFrame) -> None:
    frame = frame.astype({"count": "int64", "amount": "float64"})
    data = frame.to_csv(index=False, sep=";", decimal=",").encode("utf-8")
    table = read_table(data, name="frame.csv")
    got = table.frame
    assert table.delimiter == ";"
    assert got["count"].tolist() == frame["count"].tolist()
    if any("," in v for v in frame["amount"].map(lambda x: f"{x}".replace(".", ","))):
        assert np.allclose(got["amount"].to_numpy(dtype=float), frame["amount"].to_numpy(dtype=float))
    assert got["label"].tolist() == frame["label"].tolist()


# ---- a title block above, a totals row below: the table itself reads the same -----------------------

_NAME = st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=8).map(lambda s: "c" + s)
_TITLE = st.lists(st.text(alphabet=string.ascii_letters + string.digits + "-:/", min_size=1, max_size=10),
                  min_size=2, max_size=5).map(" ".join)  # a title has words and spaces


@st.composite
def _report(draw: st.DrawFn) -> tuple[list[str], list[str], list[list[str]]]:
    """(column names, kinds, rows as text): a label column of words, then numbers (and maybe words)."""
    names = draw(st.lists(_NAME, min_size=2, max_size=6, unique_by=str.lower))
    kinds = ["word"] + [draw(st.sampled_from(["int", "int", "word"])) for _ in names[1:]]
    if "int" not in kinds:
        kinds[-1] = "int"
    n = draw(st.integers(2, 25))
    rows = [[draw(_WORD) if k == "word" else str(draw(st.integers(2, 10**6))) for k in kinds] for _ in range(n)]
    return names, kinds, rows


def _csv_text(names: list[str], rows: list[list[str]], delimiter: str) -> str:
    return "\n".join(delimiter.join(r) for r in [names, *rows]) + "\n"


def _same_table(got: Table, want: Table) -> None:
    pd.testing.assert_frame_equal(got.frame, want.frame)
    assert got.converted == want.converted


@SETTINGS
@given(_report(), st.lists(_TITLE, min_size=1, max_size=3), st.sampled_from([",", ";", "\t"]), st.booleans(),
       st.booleans())
def test_a_title_block_above_any_table_leaves_the_table_as_it_was(
    report: tuple[list[str], list[str], list[list[str]]], titles: list[str], delimiter: str, padded: bool,
    blank_after: bool,
) -> None:
    names, _kinds, rows = report
    plain = _csv_text(names, rows, delimiter)
    pad = delimiter * (len(names) - 1) if padded else ""
    block = "".join(f"{t}{pad}\n" for t in titles) + (pad + "\n" if blank_after else "")
    want = read_table(plain.encode(), name="t.csv")
    got = read_table((block + plain).encode(), name="t.csv")
    assert list(got.frame.columns) == names
    _same_table(got, want)
    lines = len(titles) + int(blank_after)
    span = "line 1" if lines == 1 else f"lines 1–{lines}"
    assert got.notes[0].startswith(f"Skipped {lines} line{'s' if lines > 1 else ''} before the column names ({span}: '")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_report(), _TITLE)
def test_a_title_in_a_sheet_leaves_the_table_as_it_was(
    report: tuple[list[str], list[str], list[list[str]]], title: str
) -> None:
    import io

    import openpyxl

    names, kinds, rows = report
    typed = [[int(v) if k == "int" else v for v, k in zip(r, kinds)] for r in rows]

    def book(with_title: bool) -> bytes:
        wb = openpyxl.Workbook()
        if with_title:
            wb.active.append([title])
        for row in [names, *typed]:
            wb.active.append(row)
        out = io.BytesIO()
        wb.save(out)
        return out.getvalue()

    got, want = read_table(book(True), name="b.xlsx"), read_table(book(False), name="b.xlsx")
    _same_table(got, want)
    assert got.notes[0] == f"Skipped 1 row before the column names in sheet 'Sheet' (row 1: '{title}')."


@SETTINGS
@given(_report(), st.sampled_from(["Total", "TOTAL", "Totals", "Grand total", "Sum", "Total:"]))
def test_a_totals_row_that_adds_up_is_left_out(report: tuple[list[str], list[str], list[list[str]]], word: str) -> None:
    names, kinds, rows = report
    sums = [word] + [str(sum(int(r[j]) for r in rows)) if k == "int" else "" for j, k in enumerate(kinds) if j]
    plain = _csv_text(names, rows, ",")
    got = read_table((plain + ",".join(sums) + "\n").encode(), name="t.csv")
    _same_table(got, read_table(plain.encode(), name="t.csv"))
    assert f"Skipped the last row (line {len(rows) + 2}, '{word}'): it is a totals row, not data (" in " ".join(got.notes)


@SETTINGS
@given(_report(), st.data())
def test_a_last_row_named_like_a_total_whose_numbers_do_not_add_up_is_kept(
    report: tuple[list[str], list[str], list[list[str]]], data: st.DataObject
) -> None:
    names, kinds, rows = report
    numeric = [j for j, k in enumerate(kinds) if k == "int"]
    wrong = data.draw(st.sampled_from(numeric))
    last = ["Total Care " + data.draw(_WORD)]
    for j, k in enumerate(kinds[1:], start=1):
        total = sum(int(r[j]) for r in rows) if k == "int" else 0
        last.append(str(total + 1) if j == wrong else str(total) if k == "int" else data.draw(_WORD))
    got = read_table((_csv_text(names, rows, ",") + ",".join(last) + "\n").encode(), name="t.csv")
    assert len(got.frame) == len(rows) + 1
    assert got.frame[names[0]].iloc[-1] == last[0]


# ---- the JSON depth scan agrees with a byte-by-byte reading ------------------------------------------


def _depth_by_hand(data: bytes) -> tuple[int, int]:
    """Deepest [ { outside strings, where reached; a line break ends a string, closers stop at 0."""
    best = at = level = run = 0
    inside = False
    for i, b in enumerate(data):
        if b == 10:
            inside, run = False, 0
            continue
        if b == 92:
            run += 1
            continue
        escaped, run = run % 2 == 1, 0
        if b == 34:
            inside = inside if escaped else not inside
        elif not inside and b in (91, 123):
            level += 1
            if level > best:
                best, at = level, i
        elif not inside and b in (93, 125):
            level = max(0, level - 1)
    return best, at


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200).map(lambda b: bytes(b'[]{}"\\a\n'[x % 8] for x in b)), st.sampled_from([1, 3, 7, 64, 4 << 20]))
def test_json_depth_scan_matches_a_byte_by_byte_count(data: bytes, chunk: int) -> None:
    from core.data.ingest import json_reader

    saved = json_reader.DEPTH_CHUNK
    json_reader.DEPTH_CHUNK = chunk  # small chunks: runs of backslashes and strings cross chunk edges
    try:
        assert json_reader.json_depth(data) == _depth_by_hand(data)
    finally:
        json_reader.DEPTH_CHUNK = saved

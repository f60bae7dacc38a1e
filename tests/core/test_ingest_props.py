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
from core.ingest import Table, read_table

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

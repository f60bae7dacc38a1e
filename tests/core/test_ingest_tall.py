"""Tall, narrow uploads (millions of rows, one column) are profiled in bounded memory with the same
answers: the leaner paths in core.data.quality agree exactly with the general ones they replace.

The lean factorizing path starts at a million rows; here it starts at 50,000, so the same code runs on
a tenth of the data (bench/bench_ingest_limits.py measures time and memory at full size)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.data import quality
from core.data.quality.checks.duplicate_rows import _duplicate_mask
from core.data.quality.context import Context
from core.data.quality import facts
from core.data.quality.facts import _factorize, all_facts
from core.data.quality.kinds import infer_kind
from core.data.ingest import read_table


LEAN_FROM = 50_000  # rows from which the lean path is taken in these tests (1,000,000 in Keel)


@pytest.fixture(scope="module", autouse=True)
def _lean_path_from_fewer_rows() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(facts, "_ARROW_FACTORIZE_ROWS", LEAN_FROM)
        yield


@pytest.fixture(scope="module")
def tall_codes(tmp_path_factory: pytest.TempPathFactory) -> pd.Series:
    """120,000 product codes with gaps and repeats, read from a real CSV (pyarrow-backed text, in
    several chunks)."""
    rng = np.random.default_rng(3)
    codes = np.char.add("SKU-", rng.integers(0, 40_000, 120_000).astype(str)).astype(object)
    codes[rng.random(len(codes)) < 0.01] = ""
    path = tmp_path_factory.mktemp("tall") / "codes.csv"
    path.write_text("id,code\n" + "".join(f"{i},{c}\n" for i, c in enumerate(codes.tolist())))
    series = read_table(path).frame["code"]
    assert len(series) == 120_000 and series.isna().any()
    assert len(series.array._pa_array.chunks) > 1
    return series


def test_text_codes_are_factorized_as_pandas_does(tall_codes: pd.Series) -> None:
    codes, uniques = _factorize(tall_codes)
    want_codes, want_uniques = pd.factorize(tall_codes, use_na_sentinel=True)
    assert np.array_equal(codes, want_codes)
    pd.testing.assert_index_equal(uniques, want_uniques)
    assert codes.dtype == np.int32  # half the memory of pandas' int64 codes


def test_short_or_non_text_columns_take_pandas_own_path() -> None:
    small = pd.Series(["b", "a", None, "b"], dtype="str")
    codes, uniques = _factorize(small)
    assert codes.tolist() == [0, 1, -1, 0] and uniques.tolist() == ["b", "a"]
    numbers = pd.Series(np.arange(LEAN_FROM + 100_000) % 7, dtype="int64")
    codes, uniques = _factorize(numbers)
    assert codes[:8].tolist() == [0, 1, 2, 3, 4, 5, 6, 0] and len(uniques) == 7


@pytest.mark.parametrize("column", ["text", "numbers", "gaps"])
def test_duplicates_of_one_column_match_the_general_search(tall_codes: pd.Series, column: str) -> None:
    if column == "text":
        series = tall_codes.iloc[:60_000]
    elif column == "numbers":
        series = pd.Series(np.random.default_rng(5).integers(0, 40_000, 60_000), dtype="int64")
    else:
        series = pd.Series(np.where(np.arange(60_000) % 3 == 0, np.nan, np.arange(60_000) % 1000), dtype="float64")
    one = pd.DataFrame({"x": series})
    two = pd.DataFrame({"x": series, "same": 1})  # a constant column: the same duplicates, general path

    def mask(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        facts = all_facts(frame)
        kinds = {c: infer_kind(f) for c, f in facts.items()}
        found = _duplicate_mask(Context(frame, facts, kinds, None))
        assert found is not None
        return found

    dup, first = mask(one)
    dup_general, first_general = mask(two)
    assert np.array_equal(dup, dup_general)
    assert np.array_equal(first, first_general)
    assert dup.sum() > 0


def test_profile_of_a_tall_text_column_reads_the_same_as_before(tall_codes: pd.Series, tmp_path: Path) -> None:
    frame = pd.DataFrame({"code": tall_codes})
    result = quality.profile(frame)
    column = result.columns[0]
    assert column.n_unique == tall_codes.nunique()
    assert column.n_missing == int(tall_codes.isna().sum())
    duplicates = [f for f in result.findings if f.code == "duplicate_rows"]
    assert duplicates and duplicates[0].details["duplicates"] == int(tall_codes.duplicated().sum())

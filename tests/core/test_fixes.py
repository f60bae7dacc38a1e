"""One-click fixes: new table + plain description, the input never changes, bad requests refused."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.errors import InputError
from core.data.fixes import FIXES, apply_fix
from core.data.quality import profile

KEY = b"k" * 32


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame({
        "email": pd.Series(["ann@example.com", "bob@example.com", None, "ann@example.com", "ann@example.com"],
                           dtype="str"),
        "age": [31.0, np.nan, 40.0, 31.0, 31.0],
        "city": pd.Series(["Rome", "N/A", "Oslo", "Rome", "Rome"], dtype="str"),
        "score": [1, 2, 3, 1, 1],
    })


def test_drop_column(frame: pd.DataFrame) -> None:
    out, what = apply_fix(frame, "drop_column", "email")
    assert what == "Dropped column 'email'."
    assert list(out.columns) == ["age", "city", "score"]
    assert "email" in frame.columns  # the input is untouched


def test_drop_duplicates(frame: pd.DataFrame) -> None:
    out, what = apply_fix(frame, "drop_duplicates")
    assert what == "Removed 2 duplicate rows, 40% of the table (kept the first of each)."
    assert len(out) == 3 and list(out.index) == [0, 1, 2]
    assert not out.duplicated().any()


def test_drop_duplicates_when_there_are_none() -> None:
    out, what = apply_fix(pd.DataFrame({"a": [1, 2]}), "drop_duplicates")
    assert what == "There were no duplicate rows to remove." and len(out) == 2


def test_drop_rows_missing(frame: pd.DataFrame) -> None:
    out, what = apply_fix(frame, "drop_rows_missing", "age")
    assert what == "Removed 1 row where 'age' was empty."
    assert out["age"].notna().all() and len(out) == 4


def test_mask_pii(frame: pd.DataFrame) -> None:
    out, what = apply_fix(frame, "mask_pii", "email")
    assert what == "Masked email addresses in 'email' (4 values changed)."
    assert out["email"].tolist()[:2] == ["a***@example.com", "b***@example.com"]
    assert pd.isna(out["email"].iloc[2])
    assert frame["email"].iloc[0] == "ann@example.com"


def test_mask_pii_where_there_is_none(frame: pd.DataFrame) -> None:
    with pytest.raises(InputError, match="found no personal data to mask in 'city'"):
        apply_fix(frame, "mask_pii", "city")


def test_pseudonymise_keeps_equal_values_equal(frame: pd.DataFrame) -> None:
    out, what = apply_fix(frame, "pseudonymise_pii", "email", key=KEY)
    assert what.startswith("Replaced the values in 'email' with pseudonyms")
    e = out["email"]
    assert e.iloc[0] == e.iloc[3] != e.iloc[1] and pd.isna(e.iloc[2])
    assert not e.dropna().str.contains("@").any()


def test_pseudonymise_needs_a_key(frame: pd.DataFrame) -> None:
    with pytest.raises(InputError, match="needs a secret key") as err:
        apply_fix(frame, "pseudonymise_pii", "email")
    assert err.value.hint


def test_clear_placeholders_text_and_numbers() -> None:
    frame = pd.DataFrame({
        "city": pd.Series(["Rome", "N/A", "", "unknown", "Oslo"], dtype="str"),
        "age": [30, 41, -999, 52, 23] * 1 + [],
    })
    out, what = apply_fix(frame, "clear_placeholders", "city")
    assert what == "Cleared 3 placeholder values in 'city' ('N/A', blank, 'unknown'); they now count as missing."
    assert out["city"].isna().tolist() == [False, True, True, True, False]
    big = pd.DataFrame({"age": list(range(20, 60)) + [-999, -999]})
    out, what = apply_fix(big, "clear_placeholders", "age")
    assert what == "Cleared 2 placeholder values in 'age' ('-999'); they now count as missing."
    assert str(out["age"].dtype) == "Int64" and out["age"].isna().sum() == 2


@pytest.mark.parametrize(
    ("fix", "column", "message"),
    [
        ("explode", "email", "There is no fix called 'explode'."),
        ("drop_column", "nope", "There is no column 'nope' in this table."),
        ("drop_column", None, "The fix 'drop_column' needs a column."),
        ("drop_duplicates", "email", "The fix 'drop_duplicates' works on whole rows, not on one column."),
    ],
    ids=["unknown-fix", "unknown-column", "missing-column", "column-not-wanted"],
)
def test_bad_requests_are_input_errors(frame: pd.DataFrame, fix: str, column: str | None, message: str) -> None:
    with pytest.raises(InputError) as err:
        apply_fix(frame, fix, column)
    assert err.value.message == message and err.value.hint


def test_every_fix_offered_by_a_finding_can_be_applied() -> None:
    rng = np.random.default_rng(0)
    n = 300
    frame = pd.DataFrame({
        "email": pd.Series([f"p{i}@example.com" for i in range(n)], dtype="str"),
        "age": np.where(rng.random(n) < 0.03, np.nan, rng.normal(40, 5, n)),
        "city": pd.Series(rng.choice(["Rome", "N/A", "Oslo"], n), dtype="str"),
        "const": 1,
        "grade": pd.Series(["A", "B"] * 5 + ["x", "y"] + ["C"] * (n - 12), dtype="str"),  # two labels seen once
    })
    frame = pd.concat([frame, frame.iloc[:3]], ignore_index=True)
    applied = set()
    for f in profile(frame).findings:
        for fix in (f.fix, *f.other_fixes):
            if fix is None:
                continue
            out, what = apply_fix(frame, fix, None if f.column is None else f.column, key=KEY)
            assert isinstance(out, pd.DataFrame) and what.endswith(".")
            applied.add(fix)
    assert applied == set(FIXES)

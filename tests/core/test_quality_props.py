"""Property tests: profile() on arbitrary tables either works or raises Keel's own error type."""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.pandas import column, data_frames, range_indexes

from core.errors import KeelError
from core.data.fixes import FIXES, apply_fix
from core.data.quality import KINDS, SEVERITIES, profile

TRICKY_TEXT = ["", " ", "N/A", "null", "4111 1111 1111 1111", "a@b.co", "2024-01-31", "12.5", "1,200",
               "+44 20 7946 0958", "DE89 3704 0044 0532 0130 00", "Ann Lee", "é", "\x00", "  x  "]

text_values = st.one_of(st.none(), st.text(max_size=12), st.sampled_from(TRICKY_TEXT))
float_values = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1.0, np.nan, 1e308, -1e308, 5e-324, -999.0]),
)
date_values = st.one_of(
    st.none(),
    st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2300, 1, 1)),
)

frames = data_frames(
    columns=[
        column("f", elements=float_values, dtype=float),
        column("i", elements=st.integers(-(2**63), 2**63 - 1), dtype="int64"),
        column("s", elements=text_values, dtype=object),
        column("b", elements=st.booleans(), dtype=bool),
        column("d", elements=date_values, dtype=object),
        column("small", elements=st.integers(0, 3), dtype="int64"),
    ],
    index=range_indexes(min_size=0, max_size=40),
)


def _normalise(frame: pd.DataFrame) -> pd.DataFrame:
    """Give the columns the dtypes Keel's reader produces (str, datetime64)."""
    frame = frame.copy()
    frame["s"] = frame["s"].astype("str")
    frame["d"] = pd.to_datetime(frame["d"])
    return frame


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    frame=frames,
    subset=st.sets(st.sampled_from(["f", "i", "s", "b", "d", "small"]), min_size=0, max_size=6),
    target=st.one_of(st.none(), st.sampled_from(["f", "i", "s", "b", "d", "small"])),
    override=st.one_of(st.none(), st.tuples(st.sampled_from(["f", "i", "s", "b", "d", "small"]),
                                             st.sampled_from(KINDS))),
)
def test_profile_never_crashes_and_counts_missing_exactly(
    frame: pd.DataFrame, subset: set[str], target: str | None, override: tuple[str, str] | None
) -> None:
    frame = _normalise(frame)[[c for c in ["f", "i", "s", "b", "d", "small"] if c in subset]]
    if target not in frame.columns:
        target = None
    kinds = {override[0]: override[1]} if override and override[0] in frame.columns else None
    try:
        p = profile(frame, target=target, kinds=kinds)
    except KeelError as err:
        assert err.message and err.hint
        return
    assert p.rows == len(frame)
    assert [c.name for c in p.columns] == list(frame.columns)
    for c in p.columns:
        true_share = float(frame[c.name].isna().mean()) if len(frame) else 0.0
        assert 0.0 <= c.missing_share <= 1.0
        assert math.isclose(c.missing_share, true_share, abs_tol=1e-12)
        assert c.kind in KINDS
        assert c.n_unique == frame[c.name].nunique(dropna=True)
    for f in p.findings:
        assert f.severity in SEVERITIES and f.message and f.advice
        assert f.fix is None or f.fix in FIXES
    json.dumps(p.to_dict(), allow_nan=False)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame=frames)
def test_offered_fixes_work_or_refuse_politely(frame: pd.DataFrame) -> None:
    frame = _normalise(frame)
    p = profile(frame)
    for f in p.findings:
        for fix in (f.fix, *f.other_fixes):
            if fix is None:
                continue
            try:
                out, what = apply_fix(frame, fix, f.column, key=b"k" * 32)
            except KeelError as err:
                assert err.hint
                continue
            assert isinstance(out, pd.DataFrame) and what

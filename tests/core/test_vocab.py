"""The one vocabulary: formats, metric table, yes/no words, warnings (core/vocab)."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.vocab import (
    LOWER_IS_BETTER,
    METRICS,
    count,
    date,
    duration,
    explain_stage,
    exposure_warning,
    format_metric,
    is_lower_better,
    jsonable,
    metric_label,
    metric_phrase,
    minutes,
    number,
    percent,
    points,
    signed_percent,
    yes_no,
)


@pytest.mark.parametrize(("share", "text"), [
    (0, "0%"), (0.0004, "<0.1%"), (0.034, "3.4%"), (0.05, "5%"), (0.1234, "12%"), (0.995, "99.5%"),
    (0.999, "99.9%"), (0.9996, ">99.9%"), (1, "100%"), (None, "—"), (float("nan"), "—"), (-0.05, "-5%"),
], ids=str)
def test_one_percent_style(share, text) -> None:
    assert percent(share) == text


@given(st.floats(min_value=0, max_value=1, allow_nan=False))
def test_a_share_never_reads_as_none_or_all_unless_it_is(share: float) -> None:
    text = percent(share)
    assert text.endswith("%") and " " not in text
    assert (text == "0%") == (share == 0)
    assert (text == "100%") == (share == 1)


@pytest.mark.parametrize(("x", "text"), [
    (0, "0"), (2024, "2024"), (12345, "12,345"), (1234.56, "1,235"), (12.345, "12.3"), (1.25, "1.25"),
    (0.345, "0.34"), (0.0345, "0.035"), (0.00012, "0.00012"), (-3.5, "-3.5"), (float("inf"), "—"),
], ids=str)
def test_numbers(x, text) -> None:
    assert number(x) == text


def test_points_durations_dates_and_counts() -> None:
    assert points(0.034) == "3.4 percentage points" and points(0.01) == "1 percentage point"
    assert points(0.0004) == "less than 0.1 percentage points"
    assert signed_percent(0.12) == "+12%" and signed_percent(-0.034) == "-3.4%" and signed_percent(0) == "0%"
    assert [duration(s) for s in (0.4, 12.2, 125, 3780)] == ["0.4 s", "12 s", "2 min 5 s", "1 h 3 min"]
    assert date("2025-01-31") == "31 Jan 2025" and date("2025-01-31T14:05:00+01:00") == "31 Jan 2025 13:05"
    assert minutes("2026-11-27T22:17:15+01:00") == "2026-11-27 21:17"
    assert minutes(pd.Series(["2026-11-27T21:17:15+00:00"])).tolist() == ["2026-11-27 21:17"]
    assert count(1, "row") == "1 row" and count(1204, "row") == "1,204 rows"


def test_the_metric_table_covers_the_contract_keys() -> None:
    contract = {"accuracy", "balanced_accuracy", "f1_macro", "roc_auc", "log_loss", "brier", "ece", "mae", "rmse", "r2"}
    assert contract <= set(METRICS)
    assert LOWER_IS_BETTER == {"log_loss", "brier", "ece", "mae", "rmse", "mase", "smape", "mape"}
    for key, metric in METRICS.items():
        assert metric.key == key and metric.label and metric.phrase and metric.meaning.endswith(".")
        assert metric.scale in ("share", "score", "units")
    assert is_lower_better("mae") and not is_lower_better("r2")
    assert metric_label("mae") == "Typical error (MAE)" and metric_phrase("mae") == "typical error"
    assert metric_label("something_new") == "something new"
    assert format_metric("accuracy", 0.876) == "88%" and format_metric("log_loss", 0.1234) == "0.123"
    assert format_metric("mae", 1234.5) == "1,234" and format_metric("r2", None) == "—"


@pytest.mark.parametrize(("value", "answer"), [
    ("yes", True), ("Ja", True), (" oui ", True), ("1", True), (True, True), ("no", False), ("nein", False),
    ("0.0", False), (False, False), ("maybe", None), (None, None), ("", None),
], ids=str)
def test_one_set_of_yes_no_words(value, answer) -> None:
    assert yes_no(value) is answer


def test_jsonable_is_strict_json() -> None:
    import json

    import numpy as np

    out = jsonable({"a": np.float64("nan"), "b": [np.int64(3), math.inf], "c": pd.Timestamp("2025-01-02"),
                    "d": pd.NaT, 4: np.array([1.5, 2.5])})
    assert json.dumps(out, allow_nan=False) == (
        '{"a": null, "b": [3, null], "c": "2025-01-02T00:00:00", "d": null, "4": [1.5, 2.5]}')


def test_warnings_in_words() -> None:
    assert exposure_warning("127.0.0.1") is None and exposure_warning("localhost") is None
    assert "every network interface" in exposure_warning("")
    assert "0.0.0.0" in exposure_warning("0.0.0.0") and exposure_warning("0.0.0.0", behind_auth=True) is None
    assert "now the one in use" in explain_stage("champion", "churn")
    assert "'churn@champion' names the one in use" in explain_stage("candidate", "churn")

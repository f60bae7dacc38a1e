"""Which column a forecast counts in (a quantity before money), when Keel should ask, and what a date with
no row means for a whole file (core.forecasting.timeseries.columns)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.forecasting.timeseries import prepare, suggest_columns, suggest_file_fill, value_kind


def _shop(days: int = 60, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    units = rng.poisson(12, days)
    return pd.DataFrame(
        {
            "date": pd.date_range("2026-01-01", periods=days, freq="D").strftime("%Y-%m-%d"),
            "revenue": units * 4.5 + rng.normal(0, 0.3, days).round(2),
            "pizzas_sold": units,
            "price": np.full(days, 4.5),
            "is_holiday": rng.integers(0, 2, days),
        }
    )


@pytest.mark.parametrize(
    ("column", "kind"),
    [
        ("pizzas_sold", "quantity"),
        ("unitssold", "quantity"),
        ("revenue", "money"),
        ("price", "not a value"),
        ("is_holiday", "not a value"),
        ("temperature", "unknown"),
    ],
)
def test_value_kind_reads_the_name_and_the_values(column: str, kind: str) -> None:
    frame = _shop().rename(columns={"pizzas_sold": column}) if column in ("unitssold", "temperature") else _shop()
    assert value_kind(frame, column) == kind


def test_a_quantity_is_suggested_before_money_and_that_is_sure() -> None:
    guess = suggest_columns(_shop())
    assert guess.date == "date" and guess.value == "pizzas_sold"
    assert guess.value_candidates[:2] == ("pizzas_sold", "revenue")
    assert guess.value_candidates[-2:] in (("price", "is_holiday"), ("is_holiday", "price"))
    assert guess.value_sure and guess.value_question is None


def test_two_quantities_make_keel_ask_in_plain_words() -> None:
    frame = _shop().assign(pieces_returned=lambda f: f["pizzas_sold"] // 10)
    guess = suggest_columns(frame)
    assert not guess.value_sure
    assert guess.value_question is not None and guess.value_question.startswith("Which column should Keel forecast: ")
    assert "(a quantity)" in guess.value_question and "'revenue' (money)" in guess.value_question


def test_money_alone_is_not_a_question() -> None:
    guess = suggest_columns(_shop().drop(columns=["pizzas_sold"]))
    assert guess.value == "revenue" and guess.value_sure


def test_a_counting_column_makes_a_missing_date_a_closed_day_for_every_column() -> None:
    frame = _shop()
    assert suggest_file_fill(frame, "pizzas_sold", ("date",)) == ("zero", None)
    assert suggest_file_fill(frame, "revenue", ("date",)) == ("zero", "pizzas_sold")
    assert suggest_file_fill(frame.drop(columns=["pizzas_sold"]), "revenue", ("date",)) == ("missing", None)


def test_forecasting_money_in_a_file_that_counts_says_why_closed_days_are_zero() -> None:
    frame = _shop().drop(index=[10, 11, 30]).reset_index(drop=True)
    panel = prepare(frame, "date", "revenue", None)
    closed = [f for f in panel.findings if f.code == "closed_days"]
    assert len(closed) == 1 and "'pizzas_sold' in this file counts what was sold" in closed[0].message
    assert "--fill missing" in closed[0].advice
    assert panel.fill == "zero" and (panel.series[0].values == 0).sum() >= 3

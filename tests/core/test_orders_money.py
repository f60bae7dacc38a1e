"""An order list made from a money column (takings, revenue) says it is money, not pieces, and which column to
forecast instead (issue 16: 'Order 9,331 of classic' in dollars, not pizzas)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from core.forecasting import Backtest, ForecastResult, SeriesForecast
from core.forecasting.orders import money_warning, order_plan
from core.forecasting.timeseries import Frequency

Z90 = norm.ppf(0.95)


def _result(value_name: str | None, ids=("classic", "veggie")) -> ForecastResult:
    y, sd = np.array([1200.0, 1300.0, 1250.0]), np.array([100.0, 100.0, 100.0])
    series = tuple(
        SeriesForecast(id=sid, model="ets", model_label="", backtest=Backtest(),
                       dates=tuple(pd.date_range("2025-01-06", periods=3, freq="W-MON")),
                       yhat=tuple(y), lo=tuple(y - Z90 * sd), hi=tuple(y + Z90 * sd))
        for sid in ids
    )
    return ForecastResult(frequency="W-MON", frequency_label="weekly", horizon=3, level=90.0, series=series,
                          freq=Frequency("W", "W-MON", "W-SUN"), value_name=value_name)


PANEL = pd.DataFrame({"week": pd.date_range("2024-01-01", periods=4, freq="W-MON").repeat(2),
                      "pizza": ["classic", "veggie"] * 4, "revenue": [1200.0, 900.0] * 4,
                      "pizzas_sold": [100, 75] * 4, "price": [12.0, 12.0] * 4})


def test_a_money_column_gives_an_order_list_in_money_and_says_what_to_forecast_instead() -> None:
    plan = order_plan(_result("revenue"), lead_time=1, review_period=1, frame=PANEL)
    assert plan.warning == (
        "'revenue' is money, not a count of things, so this list is in money too: 'order 900' means about 900 "
        "worth at the prices in 'revenue', not 900 pieces. Use it to plan a budget. To get how many to order, "
        "forecast 'pizzas_sold' instead."
    )
    q = plan.lines[0].order_quantity
    assert plan.lines[0].sentence == (
        f"Order about {q:,} worth of 'classic' now (money, as in 'revenue', not pieces): covers the next 2 weeks "
        "with 95% confidence."
    )
    assert plan.to_frame()["explanation"].iloc[0] == plan.lines[0].sentence  # the download says it too


def test_without_the_table_the_name_alone_tells_money_and_the_advice_is_general() -> None:
    plan = order_plan(_result("takings"), lead_time=1, review_period=1, on_hand=10_000)
    assert plan.warning is not None and plan.warning.startswith("'takings' is money, not a count of things")
    assert plan.warning.endswith(
        "forecast a column that counts what you sell (pieces, packs, kilos) instead; this table has none, so add one."
    )
    assert plan.lines[0].sentence.startswith("No need to order 'classic' now: the 10,000 worth in stock or on order")


@pytest.mark.parametrize("column", ["pizzas_sold", "units", None], ids=["a-count", "units", "a-wide-table"])
def test_a_count_keeps_the_plain_order_sentence_and_no_warning(column: str | None) -> None:
    plan = order_plan(_result(column), lead_time=1, review_period=1, frame=PANEL)
    assert plan.warning is None and money_warning(column, PANEL) is None
    q = plan.lines[0].order_quantity
    assert plan.lines[0].sentence == f"Order {q:,} of 'classic' now: covers the next 2 weeks with 95% confidence."
    money = order_plan(_result("revenue"), lead_time=1, review_period=1, frame=PANEL)
    assert [ln.order_quantity for ln in money.lines] == [ln.order_quantity for ln in plan.lines]  # same numbers

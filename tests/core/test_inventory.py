"""Inventory math against hand calculations, and the plain sentences."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from core.errors import InputError
from core.forecasting import Backtest, ForecastResult, SeriesForecast, forecast
from core.forecasting.orders import order_plan
from core.forecasting.timeseries import Frequency

Z90 = norm.ppf(0.95)


def _result(yhat, sd, ids=("Espresso beans",), level=90.0):
    series = []
    for sid in ids:
        y = np.asarray(yhat, float)
        s = np.asarray(sd, float)
        series.append(SeriesForecast(
            id=sid, model="ets", model_label="", backtest=Backtest(),
            dates=tuple(pd.date_range("2025-01-06", periods=len(y), freq="W-MON")),
            yhat=tuple(y), lo=tuple(y - Z90 * s), hi=tuple(y + Z90 * s)))
    return ForecastResult(frequency="W-MON", frequency_label="weekly", horizon=len(yhat), level=level,
                          series=tuple(series), freq=Frequency("W", "W-MON", "W-SUN"))


def test_safety_stock_reorder_point_and_order_by_hand():
    res = _result([10, 10, 10, 10], [2, 2, 2, 2])
    plan = order_plan(res, lead_time=1, review_period=1, service_level=0.95, on_hand={"Espresso beans": 5})
    ln = plan.lines[0]
    z = norm.ppf(0.95)
    assert ln.demand == pytest.approx(20)
    assert ln.sigma == pytest.approx(math.sqrt(8))
    assert ln.safety_stock == pytest.approx(z * math.sqrt(8))
    assert ln.order_up_to == pytest.approx(20 + z * math.sqrt(8))
    assert ln.reorder_point == pytest.approx(10 + z * 2)
    assert ln.order_quantity == math.ceil(20 + z * math.sqrt(8) - 5)  # 20 + 4.65 - 5 -> 20
    assert ln.sentence == "Order 20 of 'Espresso beans' now: covers the next 2 weeks with 95% confidence."


def test_no_order_when_stock_covers():
    plan = order_plan(_result([3, 3, 3], [1, 1, 1], ids=("Tea",)), lead_time=1, review_period=1,
                      service_level=0.9, on_hand=100)
    ln = plan.lines[0]
    assert ln.order_quantity == 0
    assert ln.sentence == "No need to order 'Tea' now: the 100 in stock or on order cover the next 2 weeks with 90% confidence."


def test_on_order_counts_and_percent_service_level():
    res = _result([10, 10], [0, 0], ids=("A",))
    plan = order_plan(res, lead_time=0, review_period=2, service_level=95, on_hand={"A": 4}, on_order={"A": 6})
    assert plan.service_level == 0.95
    assert plan.lines[0].order_quantity == 10  # 20 needed, 10 in hand or coming


def test_beyond_horizon_repeats_last_step_and_says_so():
    plan = order_plan(_result([5, 6], [1, 1]), lead_time=2, review_period=2)
    assert plan.lines[0].demand == pytest.approx(5 + 6 + 6 + 6)
    assert "longer than the forecast" in plan.notes[0]


def test_csv_download_has_one_row_per_product():
    plan = order_plan(_result([10, 10], [1, 1], ids=("A", "B")), lead_time=1)
    frame = plan.to_frame()
    assert list(frame["product"]) == ["A", "B"]
    assert {"order_now", "safety_stock", "reorder_point", "explanation"} <= set(frame.columns)
    assert plan.to_csv().decode().splitlines()[0].startswith("product,order_now")


@pytest.mark.parametrize(
    "kwargs, message",
    [(dict(lead_time=-1), "The lead time must be a whole number of periods, 0 or more (got -1)."),
     (dict(lead_time=1, review_period=0), "The review period must be a whole number of periods, 1 or more (got 0)."),
     (dict(lead_time=1, service_level=1.5), "The service level must be between 50% and 99.9% (got 1.5).")],
    ids=["negative-lead", "zero-review", "bad-service"],
)
def test_bad_inventory_input(kwargs, message):
    with pytest.raises(InputError) as e:
        order_plan(_result([1, 1], [1, 1]), **kwargs)
    assert e.value.message == message
    assert e.value.hint


def test_from_a_real_forecast():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"date": pd.date_range("2023-01-02", periods=80, freq="W-MON"),
                       "units": rng.poisson(40, 80), "product": "Espresso beans"})
    res = forecast(df, "date", "units", "product", horizon=8)
    plan = order_plan(res, lead_time=1, review_period=1, service_level=0.95)
    ln = plan.lines[0]
    assert 60 < ln.demand < 100  # about 2 x 40
    assert ln.safety_stock > 0 and ln.order_quantity >= ln.demand
    assert ln.sentence.startswith(f"Order {ln.order_quantity} of 'Espresso beans' now: covers the next 2 weeks")


def test_sigma_from_upper_half_when_lower_bound_is_cut_at_zero():
    y = np.array([1.0, 1.0])
    res = _result(y, [2, 2])
    s = res.series[0]
    cut = SeriesForecast(id=s.id, model=s.model, model_label="", backtest=Backtest(), dates=s.dates, yhat=s.yhat,
                         lo=(0.0, 0.0), hi=s.hi)
    res2 = ForecastResult(frequency="W-MON", frequency_label="weekly", horizon=2, level=90.0, series=(cut,),
                          freq=res.freq)
    assert order_plan(res2, lead_time=1).lines[0].sigma == pytest.approx(math.sqrt(8))

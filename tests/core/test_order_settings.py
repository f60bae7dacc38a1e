"""Orders as suppliers take them (issue 17): case packs, minimum orders, lead time per product and its
variability, stock on hand and on order; the settings read from a small table or the forecast table's columns;
the rounding's plain sentences; a property test of the rounding; the shop sample end to end with real fits."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import norm

from core.errors import InputError
from core.forecasting import (
    Backtest,
    ForecastResult,
    OrderSettings,
    SeriesForecast,
    forecast,
    order_plan,
    read_order_settings,
    round_order,
)
from core.forecasting.timeseries import Frequency

DATA = Path(__file__).resolve().parents[2] / "data"
Z90 = norm.ppf(0.95)
Z95 = norm.ppf(0.95)


def _result(yhat, sd, ids=("Espresso beans 1kg",), unit="day") -> ForecastResult:
    y, s = np.asarray(yhat, float), np.asarray(sd, float)
    freq = Frequency("D", "D", "D") if unit == "day" else Frequency("W", "W-MON", "W-SUN")
    series = tuple(
        SeriesForecast(id=sid, model="ets", model_label="", backtest=Backtest(),
                       dates=tuple(pd.date_range("2026-01-01", periods=len(y), freq="D")),
                       yhat=tuple(y), lo=tuple(y - Z90 * s), hi=tuple(y + Z90 * s))
        for sid in ids
    )  # fmt: skip
    return ForecastResult(frequency=freq.alias, frequency_label="daily", horizon=len(y), level=90.0,
                          series=series, freq=freq)  # fmt: skip


# --- the rounding -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("need", "case", "minimum", "expected"),
    [
        (18.2, None, None, (19, None)),
        (18.2, 6, None, (24, "cases")),
        (18.0, 6, None, (18, None)),  # already whole cases
        (18.2, None, 50, (50, "minimum")),
        (18.2, 6, 50, (54, "minimum_cases")),
        (18.2, 6, 48, (48, "minimum")),  # the minimum is whole cases already
        (60.5, 6, 50, (66, "cases")),  # above the minimum: only the cases
        (0.0, 6, 50, (0, None)),  # nothing needed: no order, whatever the minimum
        (-12.0, 6, 50, (0, None)),
    ],
    ids=["units", "cases", "exact-cases", "minimum", "minimum-then-cases", "minimum-in-cases", "above-minimum",
         "none-needed", "stock-covers"],
)  # fmt: skip
def test_round_order_by_hand(need, case, minimum, expected) -> None:
    assert round_order(need, case, minimum) == expected


@given(
    need=st.floats(min_value=-50, max_value=10_000, allow_nan=False),
    case=st.one_of(st.none(), st.integers(min_value=1, max_value=144)),
    minimum=st.one_of(st.none(), st.floats(min_value=0, max_value=2_000, allow_nan=False)),
)
def test_round_order_properties(need: float, case: int | None, minimum: float | None) -> None:
    q, how = round_order(need, case, minimum)
    if need <= 1e-9:
        assert q == 0 and how is None
        return
    assert q >= need - 1e-9  # never less than needed
    if case:
        assert q % case == 0  # whole cases
    if minimum:
        assert q >= minimum - 1e-9  # at least the supplier's minimum when ordering
    if not minimum or math.ceil(need) >= minimum:  # the minimum does not bind
        assert q < need + (case or 1)  # at most one case more than needed


# --- the lines and their sentences ------------------------------------------------------------------------


def test_a_case_pack_rounds_up_and_the_sentence_says_why() -> None:
    res = _result([1.0] * 20, [0.0] * 20)  # 14 days at 1 a day, no uncertainty: need 14 - 5 in stock = 9
    plan = order_plan(res, lead_time=7, review_period=7, settings={"Espresso beans 1kg": OrderSettings(case_pack=6)},
                      on_hand=5)  # fmt: skip
    ln = plan.lines[0]
    assert ln.need == pytest.approx(9) and ln.order_quantity == 12 and ln.cases == 2 and ln.rounding == "cases"
    assert ln.sentence == (
        "Order 12 of 'Espresso beans 1kg' now (2 cases of 6): you need about 9 more to cover the next 14 days "
        "with 95% confidence; the supplier sells whole cases."
    )
    row = plan.to_frame().iloc[0]
    assert (row["case_pack"], row["cases"], row["lead_time"], row["order_now"]) == (6, 2, 7.0, 12)


def test_a_minimum_order_raises_the_order_then_to_whole_cases() -> None:
    res = _result([1.0] * 20, [0.0] * 20)
    plan = order_plan(res, lead_time=7, review_period=7, settings=OrderSettings(case_pack=6, min_order=50))
    ln = plan.lines[0]
    assert ln.order_quantity == 54 and ln.cases == 9 and ln.rounding == "minimum_cases"
    assert ln.sentence == (
        "Order 54 of 'Espresso beans 1kg' now (9 cases of 6): you need about 14 more to cover the next 14 days "
        "with 95% confidence; raised to the supplier's minimum of 50, then to whole cases."
    )
    plain = order_plan(res, lead_time=7, review_period=7, settings=OrderSettings(min_order=50)).lines[0]
    assert plain.order_quantity == 50
    assert plain.sentence.endswith("; raised to the supplier's minimum of 50.")


def test_no_order_when_stock_covers_even_with_a_minimum() -> None:
    res = _result([1.0] * 20, [0.0] * 20)
    ln = order_plan(res, lead_time=7, review_period=7,
                    settings=OrderSettings(case_pack=6, min_order=50, on_hand=10, on_order=6)).lines[0]  # fmt: skip
    assert ln.order_quantity == 0 and ln.cases == 0 and (ln.on_hand, ln.on_order) == (10, 6)
    assert ln.sentence.startswith("No need to order 'Espresso beans 1kg' now: the 16 in stock or on order cover")


def test_own_lead_time_overrides_the_one_for_all_and_is_said() -> None:
    res = _result([2.0] * 20, [0.0] * 20, ids=("A", "B"))
    plan = order_plan(res, lead_time=7, review_period=7, settings={"A": OrderSettings(lead_time=3)})
    a, b = plan.lines
    assert a.demand == pytest.approx(2 * 10) and b.demand == pytest.approx(2 * 14)
    assert a.sentence == "Order 20 of 'A' now: covers the next 10 days with 95% confidence. Its delivery takes 3 days."
    assert b.sentence == "Order 28 of 'B' now: covers the next 14 days with 95% confidence."


def test_lead_time_variability_by_the_standard_formula() -> None:
    """sigma_P = sqrt(sum of the periods' sigma^2 + d^2 sigma_L^2), d the demand per period."""
    d, sd_d, lt, r, sd_l = 10.0, 3.0, 5, 2, 1.5
    res = _result([d] * 14, [sd_d] * 14)
    ln = order_plan(res, lead_time=lt, review_period=r, settings=OrderSettings(lead_time_sd=sd_l)).lines[0]
    sigma = math.sqrt((lt + r) * sd_d**2 + d**2 * sd_l**2)
    assert ln.sigma == pytest.approx(sigma)
    assert ln.safety_stock == pytest.approx(Z95 * sigma)
    assert ln.order_quantity == math.ceil(d * (lt + r) + Z95 * sigma)
    assert ln.reorder_point == pytest.approx(d * lt + Z95 * math.sqrt(lt * sd_d**2 + d**2 * sd_l**2))
    assert ln.sentence.endswith("Its delivery takes about 5 days, give or take 1.5; the extra stock allows for that.")
    steady = order_plan(res, lead_time=lt, review_period=r).lines[0]
    assert steady.sigma == pytest.approx(math.sqrt(7) * sd_d)  # no variability: the forecast's own sigma
    assert ln.order_quantity > steady.order_quantity


def test_a_fractional_lead_time_counts_part_of_a_period() -> None:
    res = _result([4.0] * 10, [0.0] * 10)
    ln = order_plan(res, lead_time=1, review_period=1, settings=OrderSettings(lead_time=1.5)).lines[0]
    assert ln.demand == pytest.approx(4 * 2.5)
    assert "covers the next 2.5 days" in ln.sentence


def test_settings_on_hand_wins_over_the_value_for_all() -> None:
    res = _result([1.0] * 20, [0.0] * 20, ids=("A", "B"))
    plan = order_plan(res, lead_time=7, review_period=7, on_hand=4, on_order={"A": 1.0},
                      settings={"A": OrderSettings(on_hand=10)})  # fmt: skip
    assert [(ln.on_hand, ln.on_order) for ln in plan.lines] == [(10, 1), (4, 0)]
    assert [ln.order_quantity for ln in plan.lines] == [3, 10]


# --- reading the settings ---------------------------------------------------------------------------------

IDS = ("Espresso beans 1kg", "Green tea 50 bags")


def test_a_settings_table_with_loose_column_names_and_a_note_for_an_unknown_product() -> None:
    table = pd.DataFrame({
        "Product": ["Espresso beans 1kg", "green tea 50 bags", "Matcha 30g", "Espresso beans 1kg"],
        "Case pack": [6, 24, 10, 6], "MOQ": [None, 48, None, None], "lead time": [3, None, 2, 3],
        "lead_time_sd": [1, None, None, 1], "in stock now": [4, "", None, 4], "on_order": [None, 12, None, None],
    })  # fmt: skip
    got = read_order_settings(table, _result([1.0], [0.0], ids=IDS))
    assert got.columns == ("case_pack", "min_order", "lead_time", "lead_time_sd", "on_hand", "on_order")
    assert got.settings == {
        "Espresso beans 1kg": OrderSettings(case_pack=6, lead_time=3, lead_time_sd=1, on_hand=4),
        "Green tea 50 bags": OrderSettings(case_pack=24, min_order=48, on_order=12),
    }
    assert got.notes == ("1 product(s) in the order settings are not in this forecast, so their settings were not "
                         "used: 'Matcha 30g'.",)  # fmt: skip
    assert got.sentence("orders.csv") == (
        "Case pack, minimum order, lead time, lead-time variability, stock on hand and stock on order per product "
        "from orders.csv (2 products)."
    )


@pytest.mark.parametrize(
    ("column", "raw", "message", "hint"),
    [
        ("case_pack", 0, "The case pack of 'Espresso beans 1kg' is 0: a case holds at least 1 unit.",
         "Enter how many units come in one case (e.g. 6), or leave it empty if the supplier sells single units."),
        ("case_pack", -6, "The case pack of 'Espresso beans 1kg' is -6: a case holds at least 1 unit.", None),
        ("case_pack", 2.5, "The case pack of 'Espresso beans 1kg' is 2.5: a case holds a whole number of units.",
         None),
        ("lead_time", -2, "The lead time of 'Espresso beans 1kg' is -2; it cannot be negative.",
         "Enter how many periods a delivery takes to arrive after you order (0 or more)."),
        ("lead_time_sd", -0.5, "The lead-time variability of 'Espresso beans 1kg' is -0.5; it cannot be negative.",
         "Enter by how many periods deliveries typically vary (0 if they always arrive on time)."),
        ("min_order", -1, "The minimum order of 'Espresso beans 1kg' is -1; it cannot be negative.", None),
        ("on_hand", -3, "The stock on hand of 'Espresso beans 1kg' is -3; it cannot be negative.",
         "Enter the stock on hand in units, 0 or more."),
        ("on_order", -3, "The stock on order of 'Espresso beans 1kg' is -3; it cannot be negative.", None),
        ("case_pack", "six", "The case pack of 'Espresso beans 1kg' in the order settings is 'six', not a number.",
         "Enter a number in the 'case_pack' column for 'Espresso beans 1kg', or leave it empty."),
    ],
    ids=["case-0", "case-negative", "case-not-whole", "lead-negative", "sd-negative", "min-negative",
         "on-hand-negative", "on-order-negative", "not-a-number"],
)  # fmt: skip
def test_bad_settings_name_the_product_and_the_column(column, raw, message, hint) -> None:
    table = pd.DataFrame({"product": ["Espresso beans 1kg"], column: pd.Series([raw], dtype=object)})
    with pytest.raises(InputError) as err:
        read_order_settings(table, _result([1.0], [0.0], ids=IDS))
    assert err.value.message == message
    if hint:
        assert err.value.hint == hint


def test_a_product_twice_with_different_values_is_refused() -> None:
    table = pd.DataFrame({"product": ["Espresso beans 1kg", "Espresso beans 1kg"], "case_pack": [6, 12]})
    with pytest.raises(InputError) as err:
        read_order_settings(table, _result([1.0], [0.0], ids=IDS))
    assert err.value.message == (
        "'Espresso beans 1kg' is in the order settings twice with different values of 'case_pack' (6 and 12)."
    )
    assert err.value.hint == "Keep one row per product, or give both rows the same values."


def test_a_table_without_setting_columns_gives_nothing() -> None:
    got = read_order_settings(pd.DataFrame({"product": ["A"], "colour": ["red"]}), _result([1.0], [0.0]))
    assert got.settings == {} and got.columns == () and got.sentence("x") is None


def test_the_shop_samples_case_pack_column_per_product_last_non_empty_value() -> None:
    frame = pd.read_csv(DATA / "shop_calendar.csv")
    res = forecast(frame, date="date", value="units_sold", id="product", horizon=14)
    got = read_order_settings(frame, res, id="product", where="the sales history")
    packs = {sid: s.case_pack for sid, s in got.settings.items()}
    assert packs == frame.groupby("product")["case_pack"].last().astype(int).to_dict()
    assert packs["Espresso beans 1kg"] == 6 and packs["Green tea 50 bags"] == 24
    assert got.sentence("the sales history") == "Case pack per product from the sales history (6 products)."
    # an empty last cell: the last non-empty value counts
    blank = frame.copy()
    blank.loc[blank.index[-1], "case_pack"] = None
    assert read_order_settings(blank, res, id="product").settings == got.settings
    plan = order_plan(res, lead_time=7, review_period=7, settings=got.settings)
    assert all(ln.order_quantity % ln.case_pack == 0 for ln in plan.lines)
    assert all(ln.order_quantity >= ln.need for ln in plan.lines) and any(ln.rounding == "cases" for ln in plan.lines)
    espresso = next(ln for ln in plan.lines if ln.id == "Espresso beans 1kg")
    assert espresso.sentence.startswith(f"Order {espresso.order_quantity} of 'Espresso beans 1kg' now ")
    assert f"({espresso.cases} cases of 6)" in espresso.sentence


def test_a_table_with_one_series_and_no_product_column() -> None:
    frame = pd.DataFrame({"date": pd.date_range("2025-01-01", periods=60), "units": np.arange(60) % 7 + 3.0,
                          "case_pack": [12.0] * 59 + [None]})  # fmt: skip
    res = forecast(frame, date="date", value="units", horizon=7)
    got = read_order_settings(frame, res, where="the sales history")
    assert got.settings == {None: OrderSettings(case_pack=12)}
    assert order_plan(res, lead_time=7, settings=got.settings).lines[0].order_quantity % 12 == 0


def test_a_money_forecast_is_not_put_in_cases() -> None:
    res = replace(_result([100.0] * 20, [0.0] * 20), value_name="takings")
    plan = order_plan(res, lead_time=7, review_period=7, settings=OrderSettings(case_pack=6, min_order=5_000))
    ln = plan.lines[0]
    assert ln.order_quantity == 1_400 and ln.case_pack is None and ln.rounding is None
    assert ln.sentence.startswith("Order about 1,400 worth of 'Espresso beans 1kg' now (money, as in 'takings'")
    assert plan.notes == ("Case packs and minimum orders were not applied: this list is in money, not pieces.",)

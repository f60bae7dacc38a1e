"""Forecasts that know the calendar and the shop (issue 17): holidays, the user's events, known-ahead
drivers, stock-outs, and the forecast and order list written to files from the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.pandas import column, data_frames

from core import workflows
from core.cli import main
from core.errors import InputError
from core.forecasting import (
    driver_days_ahead,
    forecast,
    holiday_countries,
    holiday_regions,
    known_columns,
)
from core.forecasting.calendar import build_calendar, parse_events, parse_regions

ROOT = Path(__file__).resolve().parents[2]
SHOP = ROOT / "data" / "shop_sales.csv"


def shop(products: tuple[str, ...] = ("House blend 250g", "Oat milk 1L")) -> pd.DataFrame:
    frame = pd.read_csv(SHOP)
    return frame[frame["product"].isin(products)].reset_index(drop=True)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    got = capsys.readouterr()
    return code, got.out, got.err


def promo_series(seed: int = 0, days: int = 420) -> pd.DataFrame:
    """Daily sales with a weekly pattern, doubled on promotion days (every 25th day) and falling with price."""
    rng = np.random.default_rng(seed)
    d = pd.date_range("2024-01-01", periods=days, freq="D")
    promo = (np.arange(days) % 25 == 3).astype(int)
    price = 5 + rng.integers(0, 3, days) * 0.5
    base = 40 * (1 + 0.3 * (d.day_of_week >= 5)) * np.exp(-0.3 * (price - 5))
    units = rng.poisson(base * (1 + promo))
    return pd.DataFrame({"date": d.strftime("%Y-%m-%d"), "units": units.astype(float), "promo": promo, "price": price})


def with_future(frame: pd.DataFrame, h: int, **values: object) -> pd.DataFrame:
    last = pd.Timestamp(frame["date"].iloc[-1])
    future = pd.DataFrame({"date": pd.date_range(last + pd.Timedelta(days=1), periods=h).strftime("%Y-%m-%d")})
    future["units"] = np.nan
    for k, v in values.items():
        future[k] = v
    return pd.concat([frame, future], ignore_index=True)


# --------------------------------------------------------------------------- the no-flag path


def test_without_flags_the_forecast_is_unchanged_and_gains_empty_keys() -> None:
    frame = shop()
    plain = forecast(frame, "date", "units_sold", "product", horizon=14)
    again = forecast(frame, "date", "units_sold", "product", horizon=14, holidays=None, drivers=[], stockout=None)
    assert [s.yhat for s in plain.series] == [s.yhat for s in again.series]
    for s in plain.to_json()["series"]:
        assert s["events"] == [] and s["drivers_used"] == [] and s["stockout"] is None


# --------------------------------------------------------------------------- holidays


def test_uk_holidays_on_the_shop_sample_learn_christmas_closing() -> None:
    res = forecast(shop(), "date", "units_sold", "product", horizon=14, holidays="GB")
    house = next(s for s in res.series if s.id == "House blend 250g")
    effects = {e["event"]: e for e in house.events}
    assert effects, house.notes
    assert effects["Christmas Day"]["effect"] < -0.5
    assert effects["Christmas Day"]["sentence"].startswith("Christmas Day: ")
    assert house.backtest.mae is not None
    out = res.to_json()["series"][0]
    assert {"events", "drivers_used"} <= set(out)


@pytest.mark.parametrize(
    ("codes", "message", "hint"),
    [
        ("XX", "'XX' is not a country code Keel knows", "two-letter ISO country code"),
        ("AU-ZZ", "AU has no region 'ZZ'", "AU-VIC"),
    ],
    ids=["unknown-country", "unknown-region"],
)
def test_an_unknown_country_or_region_is_the_users_error(codes: str, message: str, hint: str) -> None:
    with pytest.raises(InputError) as err:
        parse_regions(codes)
    assert message in err.value.message and hint in err.value.hint


def test_regions_parse_with_lower_case_and_spaces() -> None:
    assert parse_regions(" us, au-vic ") == [("US", None), ("AU", "VIC")]


# --------------------------------------------------------------------------- events


def test_own_events_learn_a_promotion_and_lift_its_future_day() -> None:
    frame = promo_series()
    days = pd.to_datetime(frame["date"])
    events = pd.DataFrame({"date": days[frame["promo"] == 1].dt.strftime("%Y-%m-%d"), "event": "Promotion"})
    future_promo = (days.iloc[-1] + pd.Timedelta(days=5)).strftime("%Y-%m-%d")
    events = pd.concat([events, pd.DataFrame({"date": [future_promo], "event": ["Promotion"]})])
    plain = forecast(frame[["date", "units"]], "date", "units", horizon=14)
    res = forecast(frame[["date", "units"]], "date", "units", horizon=14, events=events)
    s = res.series[0]
    assert [e["event"] for e in s.events] == ["Promotion"]
    assert 0.6 < s.events[0]["effect"] < 1.4  # doubled sales: about +100 %
    assert s.backtest.mae < plain.series[0].backtest.mae
    assert s.yhat[4] > 1.5 * plain.series[0].yhat[4]


def test_events_with_days_before_and_after_touch_each_day() -> None:
    table = pd.DataFrame({"Date": ["2025-03-10"], "Event": ["Fair"], "before": [1], "after": [2]})
    cal = build_calendar(None, table, pd.Timestamp("2025-01-01"), pd.Timestamp("2025-12-31"))
    assert [d.strftime("%m-%d") for d, _ in cal.days] == ["03-09", "03-10", "03-11", "03-12"]


def test_an_event_outside_the_data_and_the_forecast_is_refused() -> None:
    frame = promo_series()[["date", "units"]]
    events = pd.DataFrame({"date": ["2019-05-01"], "event": ["Old fair"]})
    with pytest.raises(InputError) as err:
        forecast(frame, "date", "units", horizon=7, events=events)
    assert "'Old fair' on 2019-05-01 is outside the data and the forecast" in err.value.message
    assert "Check its year" in err.value.hint


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (pd.DataFrame({"day": ["2025-01-01"], "event": ["x"]}), "has no 'date' column"),
        (pd.DataFrame({"date": ["2025-01-01"], "what": ["x"]}), "has no 'event' column"),
        (pd.DataFrame({"date": ["not a date"], "event": ["x"]}), "are not dates (first: 'not a date')"),
        (pd.DataFrame({"date": ["2025-01-01"], "event": [""]}), "Row 1 of the events table has no event name"),
        (pd.DataFrame({"date": ["2025-01-01"], "event": ["x"], "before": [-1]}), "'before' in the events table"),
        (pd.DataFrame({"date": ["2025-01-01"], "event": ["x"], "after": ["two"]}), "'after' in the events table"),
        (pd.DataFrame(), "The events table is empty"),
    ],
    ids=["no-date", "no-event", "bad-date", "no-name", "negative-window", "text-window", "empty"],
)
def test_a_bad_events_table_says_what_is_wrong(table: pd.DataFrame, message: str) -> None:
    with pytest.raises(InputError) as err:
        parse_events(table)
    assert message in err.value.message and err.value.hint


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data_frames(
        [
            column("date", elements=st.one_of(st.text(max_size=12), st.dates().map(str))),
            column("event", elements=st.one_of(st.none(), st.text(max_size=10))),
            column("before", elements=st.one_of(st.none(), st.integers(-5, 90), st.text(max_size=3))),
        ]
    )
)
def test_any_events_table_parses_or_raises_our_error(table: pd.DataFrame) -> None:
    try:
        rows = parse_events(table)
    except InputError as err:
        assert err.message and err.hint
        return
    assert len(rows) == len(table)
    for day, name, before, after in rows:
        assert isinstance(day, pd.Timestamp) and name.strip() and 0 <= before <= 60 and after == 0


# --------------------------------------------------------------------------- drivers


def test_a_driver_known_ahead_is_used_when_it_wins_the_backtest() -> None:
    frame = promo_series(seed=1)
    full = with_future(frame, 14, promo=[0] * 4 + [1] + [0] * 9, price=5.0)
    res = forecast(full, "date", "units", horizon=14, drivers=["promo", "price"])
    s = res.series[0]
    assert s.drivers_used == ("promo", "price")
    promo = next(d for d in s.drivers if d["driver"] == "promo")
    assert 0.6 < promo["effect_per_unit"] < 1.4 and promo["sentence"].startswith("'promo' on: about +")
    assert s.yhat[4] > 1.5 * max(s.yhat[3], s.yhat[5])
    assert promo["moved"]["share"] > 0.03 and "against keeping it at its last value" in promo["moved"]["sentence"]
    assert res.to_json()["series"][0]["drivers_used"] == ["promo", "price"]


def test_a_driver_without_future_values_is_refused() -> None:
    frame = promo_series()
    full = with_future(frame, 5, promo=0, price=5.0)
    with pytest.raises(InputError) as err:
        forecast(full, "date", "units", horizon=7, drivers=["price"])
    assert "'price' has no future value for 2 forecast dates (first:" in err.value.message
    assert "whole horizon" in err.value.message and "value empty" in err.value.hint


@pytest.mark.parametrize(
    ("drivers", "message"),
    [(["nope"], "There is no column 'nope' for the driver"), (["units"], "'units' is the column to forecast")],
    ids=["missing-column", "the-value-itself"],
)
def test_a_driver_that_is_not_a_usable_column_is_refused(drivers: list[str], message: str) -> None:
    with pytest.raises(InputError) as err:
        forecast(promo_series(), "date", "units", horizon=7, drivers=drivers)
    assert message in err.value.message


def test_a_driver_with_text_is_refused() -> None:
    frame = with_future(promo_series(), 7, promo=0, price=5.0)
    frame["price"] = frame["price"].astype(object)
    frame.loc[3, "price"] = "cheap"
    with pytest.raises(InputError) as err:
        forecast(frame, "date", "units", horizon=7, drivers=["price"])
    assert "are not numbers (first: 'cheap')" in err.value.message


# --------------------------------------------------------------------------- stock-outs


def test_stockout_days_are_censored_demand_and_the_lost_demand_is_said() -> None:
    frame = promo_series()[["date", "units"]].copy()
    full = forecast(frame.copy(), "date", "units", horizon=7)  # the shelf never empty
    frame["out"] = 0
    gone = frame.index[-40:-30]
    frame.loc[gone, "units"] = 0.0
    frame.loc[gone, "out"] = 1
    res = forecast(frame, "date", "units", horizon=7, stockout="out")
    s = res.series[0]
    assert s.stockout is not None and s.stockout["periods"] == 10
    assert s.stockout["lost_demand"] > 200  # about 45 a day
    assert "would likely have sold" in s.stockout["sentence"]
    # the empty days did not pull the forecast down: it stays near the one from the history without them
    assert abs(np.mean(s.yhat) / np.mean(full.series[0].yhat) - 1) < 0.02


def test_a_stockout_column_with_other_values_is_refused() -> None:
    frame = promo_series()[["date", "units"]].copy()
    frame["out"] = "maybe"
    with pytest.raises(InputError) as err:
        forecast(frame, "date", "units", horizon=7, stockout="out")
    assert "'out' should be 1 on days without stock" in err.value.message


# --------------------------------------------------------------------------- the CLI


def test_cli_writes_the_forecast_and_the_order_list(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = tmp_path / "beans.csv"
    shop(("Espresso beans 1kg",)).drop(columns=["product"]).to_csv(data, index=False)
    out, orders = tmp_path / "forecast.csv", tmp_path / "orders.csv"
    code, stdout, err = run(
        capsys, "forecast", str(data), "--date", "date", "--value", "units_sold", "--horizon", "7",
        "--out", str(out), "--orders-out", str(orders), "--json",
    )  # fmt: skip
    assert code == 0, err
    result = json.loads(stdout)
    assert result["out"] == str(out) and result["orders_out"] == str(orders)
    table = pd.read_csv(out)
    assert list(table.columns[:5]) == ["series", "date", "forecast", "lower", "upper"]
    assert set(table["series"]) == {"units_sold"} and len(table) == 7
    text = out.read_text()
    assert not any(len(cell.split(".")[-1]) > 4 for cell in text.replace("\n", ",").split(",") if "." in cell)
    plan = pd.read_csv(orders)
    assert plan["product"].tolist() == ["units_sold"] and plan["order_now"].iloc[0] >= 0


def test_cli_refuses_an_existing_output_unless_overwrite(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = tmp_path / "beans.csv"
    shop(("Espresso beans 1kg",)).to_csv(data, index=False)
    out = tmp_path / "forecast.csv"
    out.write_text("keep me")
    args = ["forecast", str(data), "--date", "date", "--value", "units_sold", "--horizon", "7", "--out", str(out)]
    code, _, err = run(capsys, *args)
    assert code == 2 and "already exists" in err and "hint: " in err and "--overwrite" in err
    assert out.read_text() == "keep me"
    code, _, err = run(capsys, *args, "--overwrite")
    assert code == 0, err and out.read_text().startswith('"series"')


def test_cli_refuses_an_output_inside_keel_home(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, keel_home: Path
) -> None:
    data = tmp_path / "beans.csv"
    shop(("Espresso beans 1kg",)).to_csv(data, index=False)
    code, _, err = run(
        capsys, "forecast", str(data), "--date", "date", "--value", "units_sold", "--horizon", "7",
        "--orders-out", str(keel_home / "orders.csv"),
    )  # fmt: skip
    assert code == 2 and "inside Keel's own folder" in err


def test_cli_summary_compares_with_simply_repeating_and_names_one_series_by_its_column(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = tmp_path / "beans.csv"
    shop(("Espresso beans 1kg",)).to_csv(data, index=False)
    code, stdout, err = run(capsys, "forecast", str(data), "--date", "date", "--value", "units_sold", "--horizon", "7")
    assert code == 0, err
    assert "  units_sold: " in stdout and "None:" not in stdout and "MASE" not in stdout
    assert "that of simply repeating" in stdout or "simply repeats" in stdout


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--holidays", "XX"), "error: 'XX' is not a country code Keel knows"),
        (("--holidays", "GB-QQ"), "error: 'GB-QQ': GB has no region 'QQ'"),
        (("--drivers", "price"), "error: The driver 'price' has no future value"),
        (("--stockout", "price"), "error: 'price' should be 1 on days without stock"),
        (("--events", "missing.csv"), "error: There is no file at 'missing.csv'"),
    ],
    ids=["country", "region", "driver-future", "stockout-values", "events-file"],
)
def test_cli_bad_calendar_input_is_exit_2_with_a_hint(
    capsys: pytest.CaptureFixture[str], extra: tuple[str, ...], message: str
) -> None:
    code, stdout, err = run(
        capsys, "forecast", str(SHOP), "--date", "date", "--value", "units_sold", "--id", "product",
        "--horizon", "7", *extra, "--json",
    )  # fmt: skip
    assert code == 2 and stdout == ""
    assert message in err and "\nhint: " in err and "Traceback" not in err


def test_cli_holidays_and_events_in_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    events.write_text("date,event,before,after\n2024-11-29,Black Friday,0,3\n2025-11-28,Black Friday,0,3\n")
    data = tmp_path / "shop.csv"
    shop().to_csv(data, index=False)
    code, stdout, err = run(
        capsys, "forecast", str(data), "--date", "date", "--value", "units_sold", "--id", "product",
        "--horizon", "14", "--holidays", "GB", "--events", str(events), "--json",
    )  # fmt: skip
    assert code == 0, err
    series = json.loads(stdout)["series"]
    assert all(isinstance(s["events"], list) and s["drivers_used"] == [] for s in series)
    names = {e["event"] for s in series for e in s["events"]}
    assert not names or {"Christmas Day", "Black Friday"} & names


def test_an_unknown_option_names_the_commands_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as ex:
        main(["forecast", str(SHOP), "--date", "date", "--value", "units_sold", "--horizon", "7", "--bogus"])
    err = capsys.readouterr().err
    assert ex.value.code == 2
    assert "unrecognized arguments: --bogus" in err and "`python -m core forecast --help`" in err
    assert "core core" not in err


def test_cli_drivers_and_stockout_in_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    frame = with_future(promo_series(seed=2), 7, promo=[0, 0, 1, 0, 0, 0, 0], price=5.0)
    frame["out"] = 0
    frame.loc[100:104, ["units", "out"]] = [0.0, 1]
    data = tmp_path / "promo.csv"
    frame.to_csv(data, index=False)
    code, stdout, err = run(
        capsys, "forecast", str(data), "--date", "date", "--value", "units", "--horizon", "7",
        "--drivers", "promo,price", "--stockout", "out", "--json",
    )  # fmt: skip
    assert code == 0, err
    s = json.loads(stdout)["series"][0]
    assert s["id"] is None and set(s["drivers_used"]) <= {"promo", "price"}
    assert s["stockout"]["periods"] == 5 and s["stockout"]["lost_demand"] > 0
    assert len(s["forecast"]) == 7


def test_events_dates_are_read_as_the_datas_own_dates_are() -> None:
    rows = parse_events(pd.DataFrame({"date": ["24/12/2025", "31/12/2025"], "event": ["Eve", "New Year's Eve"]}))
    assert [r[0] for r in rows] == [pd.Timestamp("2025-12-24"), pd.Timestamp("2025-12-31")]


def test_driver_values_written_with_currency_thousands_or_yes_no_are_numbers() -> None:
    from core.forecasting.drivers import numeric_driver

    got = numeric_driver(pd.Series(["£5.20", "1,250", "12%", "yes", "no", None]), "price").tolist()
    assert got[:5] == [5.2, 1250.0, 12.0, 1.0, 0.0] and np.isnan(got[5])


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--orders-out", "o.csv", "--lead-time", "-1"), "The lead time must be a whole number of periods, 0 or more"),
        (("--orders-out", "o.csv", "--service-level", "150"), "The service level must be between 50% and 99.9%"),
        (("--out", "same.csv", "--orders-out", "same.csv"), "--out and --orders-out name the same file"),
    ],
    ids=["negative-lead-time", "service-level", "same-file"],
)
def test_cli_bad_order_settings_are_exit_2(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    extra: tuple[str, ...],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "beans.csv"
    shop(("Espresso beans 1kg",)).to_csv(data, index=False)
    code, _, err = run(
        capsys, "forecast", str(data), "--date", "date", "--value", "units_sold", "--horizon", "7", *extra
    )
    assert code == 2 and message in err and "hint: " in err
    assert not (tmp_path / "o.csv").exists()


# --------------------------------------------------------------------------- the shop sample and the page's helpers
CALENDAR_SHOP = ROOT / "data" / "shop_calendar.csv"


def calendar_shop(products: tuple[str, ...] | None = None) -> pd.DataFrame:
    frame = pd.read_csv(CALENDAR_SHOP)
    return frame if products is None else frame[frame["product"].isin(products)].reset_index(drop=True)


def test_rows_after_the_last_sale_with_the_value_empty_are_the_future_not_zeros() -> None:
    frame = calendar_shop(("House blend 250g",))
    res = forecast(frame, "date", "units_sold", "product", horizon=7)
    (house,) = res.series
    assert house.dates[0] == pd.Timestamp("2026-01-01")  # right after the last sale, not after the empty rows
    assert min(house.yhat) > 5  # 31 empty days read as zeros would pull this towards 0
    assert not any("ends with" in f.message for f in res.all_findings())


def test_the_espresso_january_is_forecast_at_januarys_level_not_decembers() -> None:
    frame = calendar_shop(("Espresso beans 1kg",))
    res = forecast(frame, "date", "units_sold", "product", horizon=31, holidays="GB-ENG")
    (beans,) = res.series
    sold = frame.dropna(subset=["units_sold"]).assign(date=lambda f: pd.to_datetime(f["date"]))
    january = sold[sold["date"].dt.month == 1]["units_sold"].mean()
    december = sold[sold["date"].dt.month == 12]["units_sold"].mean()
    assert december > 2.3 * january  # the sample holds the problem
    assert abs(np.mean(beans.yhat) - january) < 0.3 * january < abs(np.mean(beans.yhat) - december)


def test_a_day_the_shop_was_always_closed_is_said_so_and_forecast_at_zero() -> None:
    frame = calendar_shop(("House blend 250g",))
    res = forecast(frame, "date", "units_sold", "product", horizon=10, holidays="GB")
    (house,) = res.series
    effects = {e["event"]: e for e in house.events}
    assert effects["New Year's Day"]["sentence"] == (
        "New Year's Day: closed (nothing sold on it in the history, so none is forecast)"
    )
    assert effects["Christmas Day"]["effect"] == -1.0
    assert house.yhat[0] == 0.0 and house.hi[0] == 0.0  # 1 January 2026
    assert min(house.yhat[1:]) > 5
    assert effects["Boxing Day"].get("closed") is None and -0.8 < effects["Boxing Day"]["effect"] < 0


def test_the_shop_sample_with_a_planned_promotion_and_stock_outs() -> None:
    frame = calendar_shop(("House blend 250g", "Green tea 50 bags"))
    res = forecast(
        frame, "date", "units_sold", "product", horizon=31, holidays="GB-ENG", drivers=["on_promotion"],
        stockout="out_of_stock",
    )  # fmt: skip
    house, tea = (next(s for s in res.series if s.id == name) for name in ("House blend 250g", "Green tea 50 bags"))
    assert "on_promotion" in house.drivers_used
    promo = next(d for d in house.drivers if d["driver"] == "on_promotion")
    assert 0.3 < promo["effect_per_unit"] < 1.2  # made with +70 %
    week = [y for d, y in zip(house.dates, house.yhat) if pd.Timestamp("2026-01-12") <= d <= pd.Timestamp("2026-01-18")]
    before = [
        y for d, y in zip(house.dates, house.yhat) if pd.Timestamp("2026-01-05") <= d <= pd.Timestamp("2026-01-11")
    ]
    assert sum(week) > 1.3 * sum(before)
    assert tea.stockout is not None and tea.stockout["periods"] == 16 and tea.stockout["lost_demand"] > 40


def test_holiday_countries_and_regions_have_plain_names() -> None:
    countries = dict(holiday_countries())
    assert countries["GB"] == "United Kingdom" and countries["DE"] == "Germany" and len(countries) > 100
    names = list(countries.values())
    assert names[0] == "Afghanistan" and names.index("Åland Islands") < names.index("Albania")
    assert ("ENG", "England") in holiday_regions("GB") and holiday_regions("gb") == holiday_regions("GB")
    assert holiday_regions("XX") == ()
    for code, _ in holiday_regions("AU"):  # every region offered is one the forecast accepts
        assert parse_regions(f"AU-{code}")


def test_known_columns_and_how_far_ahead_drivers_are_filled_in() -> None:
    frame = calendar_shop()
    known = known_columns(frame, "date", "units_sold", "product")
    assert known.drivers == ("price", "on_promotion", "out_of_stock")  # not case_pack: fixed per product
    assert known.stock_marks == ("on_promotion", "out_of_stock")
    assert driver_days_ahead(frame, "date", "units_sold", "product", ["price", "on_promotion"]) == {
        "price": 31,
        "on_promotion": 31,
    }
    short = frame[~((frame["product"] == "Decaf beans 250g") & (frame["date"] > "2026-01-10"))]
    assert driver_days_ahead(short, "date", "units_sold", "product", ["price"]) == {"price": 10}
    history = frame.dropna(subset=["units_sold"])
    assert driver_days_ahead(history, "date", "units_sold", "product", ["price"]) == {"price": 0}


def test_family_columns_are_offered_only_when_they_group_the_products() -> None:
    frame = calendar_shop()
    assert known_columns(frame, "date", "units_sold", "product").families == ("category",)
    assert known_columns(frame, "date", "units_sold", ("product",)).families == ("category",)  # as the page asks
    assert known_columns(frame, "date", "units_sold", None).families == ()  # one series: nothing to group
    split = frame.copy()
    split.loc[split.index[0], "category"] = "snacks"  # a product in two groups is not a family column
    assert known_columns(split, "date", "units_sold", "product").families == ()
    one = frame.assign(category="all")  # one group for every product: no totals worth forecasting
    assert known_columns(one, "date", "units_sold", "product").families == ()


def test_the_shop_sample_is_small_and_remade_from_its_seed(tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_shop_sample", ROOT / "data" / "make_shop_sample.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--out", str(tmp_path)]) == 0
    assert (tmp_path / module.FILE).read_bytes() == CALENDAR_SHOP.read_bytes()
    assert (tmp_path / module.EVENTS_FILE).read_bytes() == (ROOT / "data" / module.EVENTS_FILE).read_bytes()
    assert CALENDAR_SHOP.stat().st_size < 1_000_000
    frame = calendar_shop()
    assert frame.groupby("category")["product"].nunique().to_dict() == {"coffee": 3, "tea": 3}
    closed = frame[frame["date"].isin(["2024-12-25", "2025-01-01", "2025-12-25"])]
    assert (closed["units_sold"] == 0).all()


def test_the_samples_own_events_file_teaches_the_fair_and_the_christmas_weeks() -> None:
    frame = calendar_shop(("House blend 250g", "Espresso beans 1kg"))
    events = pd.read_csv(ROOT / "data" / "shop_calendar_events.csv")
    res = forecast(frame, "date", "units_sold", "product", horizon=31, holidays="GB-ENG", events=events)
    house, beans = (next(s for s in res.series if s.id == name) for name in ("House blend 250g", "Espresso beans 1kg"))
    fair = next(e for e in house.events if e["event"] == "Summer fair")
    assert 0.4 < fair["effect"] < 1.2 and fair["sentence"].startswith("Summer fair: about +")  # made with +80 %
    rush = next(e for e in beans.events if e["event"] == "Christmas shopping")
    assert rush["effect"] > 0.5  # made with up to +120 %
    assert 3.5 < np.mean(beans.yhat) < 5.5  # January's level (about 4.4 in 2024 and 2025), not December's (12)


def test_a_sale_on_a_day_the_user_explained_is_not_called_unusual() -> None:
    frame = calendar_shop(("House blend 250g",))
    events = pd.read_csv(ROOT / "data" / "shop_calendar_events.csv")
    plain = forecast(frame, "date", "units_sold", "product", horizon=7)
    told = forecast(frame, "date", "units_sold", "product", horizon=7, events=events)
    unusual = [f for f in plain.series[0].findings if f.code == "outliers"]
    assert unusual and "57 where about 18 was typical" in unusual[0].message  # the summer fair of 2025
    assert not [f for f in told.series[0].findings if f.code == "outliers"]


def test_a_stored_forecast_keeps_the_calendar_with_it() -> None:
    from core import store
    from core.data import load_sample

    info = load_sample("shop_calendar")
    forecast_id, res = workflows.run_forecast(
        info.id, date="date", value="units_sold", id="product", ids=("House blend 250g",), horizon=14,
        holidays="GB", events=pd.DataFrame({"date": ["2026-01-09"], "event": ["Open day"]}),
    )  # fmt: skip
    assert [s.id for s in res.series] == ["House blend 250g"]
    assert forecast_id > 0
    assert any(e["event"] == "Christmas Day" for e in res.series[0].events) or res.series[0].notes
    assert store.load_dataset(info.id).shape[0] == 4572

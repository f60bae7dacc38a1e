"""AppTests for the Forecast page's calendar step (issue 17): public holidays of a country and region, the
user's own events (typed or uploaded), drivers known ahead and the stock-out mark, on the shop sample and
a real store; bad input shows core's message and hint, never a traceback."""

from __future__ import annotations

import re
import time

from core import jobs
from core.data import load_sample
from tests.app.helpers import open_page, texts
from ui import state


def widget(at, kind: str, label: str):
    found = [w for w in getattr(at, kind) if w.label == label]
    assert found, f"no {kind} labelled {label!r}: {[w.label for w in getattr(at, kind)]}"
    return found[0]


def press_forecast(at) -> str:
    """Press Forecast and wait for the job (it runs in a worker); its id and final status."""
    widget(at, "button", "Forecast").click().run()
    job_id = at.session_state[state.FORECAST_JOB]["job"]
    deadline = time.monotonic() + 180
    while jobs.get(job_id).status == "running" and time.monotonic() < deadline:
        time.sleep(0.2)
    at.run()
    return jobs.get(job_id).status


def shop_page(products: list[str], horizon: int):
    info = load_sample("shop_calendar")
    at = open_page("pages/6_Forecast.py", **{state.DATASET_ID: info.id})
    assert not at.exception
    widget(at, "multiselect", "Products (leave empty for all)").set_value(products).run()
    at.number_input[0].set_value(horizon).run()
    return at


def test_holidays_drivers_and_stockouts_on_the_shop_sample() -> None:
    at = shop_page(["House blend 250g", "Green tea 50 bags"], 31)
    country = widget(at, "selectbox", "Public holidays of")
    assert country.value is None and country.options[0] == "no public holidays"
    assert "United Kingdom" in country.options and "Germany" in country.options
    assert widget(at, "selectbox", "Region").disabled  # no country, no region
    country.set_value("GB").run()
    region = widget(at, "selectbox", "Region")
    assert region.options == ["the whole country", "England", "Northern Ireland", "Scotland", "Wales"]
    region.set_value("ENG").run()
    stock = widget(at, "selectbox", "Days without stock are marked in")
    assert stock.options == ["no column (not marked)", "on_promotion", "out_of_stock"]
    stock.set_value("out_of_stock").run()
    drivers = widget(at, "multiselect", "Known ahead (drivers)")
    assert drivers.options == ["price", "on_promotion"]  # not the stock-out mark, not the fixed case pack
    drivers.set_value(["on_promotion"]).run()
    assert not at.warning, [w.value for w in at.warning]  # January's promotion rows are there
    assert press_forecast(at) == "done"
    assert not at.exception and not at.error, [e.value for e in at.error]
    body = texts(at)
    assert "Forecast 2 series (daily)" in body
    assert re.search(r"Days out of stock likely cost about \d+ sales of Green tea 50 bags\. ", body)
    pick = widget(at, "selectbox", "Look at")
    pick.set_value(pick.options.index("House blend 250g")).run()
    body = texts(at)
    assert "What your calendar and shop did to 'House blend 250g'" in body
    assert "Christmas Day: closed (nothing sold on it in the history, so none is forecast)" in body
    assert "'on_promotion' on: about +" in body
    assert "No period was marked out of stock" not in body  # nothing to say for a product never out of stock
    assert "What to order" in body and at.download_button
    # the kept forecast can be taken away as a notebook or a script that reruns it (issue 20)
    labels = [b.label for b in at.get("download_button")]
    assert "Notebook (.ipynb)" in labels and "Script (.py)" in labels


def test_a_driver_without_future_values_is_said_before_and_refused_with_cores_message() -> None:
    info = load_sample("shop_sales")  # no rows after the last sale
    at = open_page("pages/6_Forecast.py", **{state.DATASET_ID: info.id})
    widget(at, "multiselect", "Products (leave empty for all)").set_value(["Oat milk 1L"]).run()
    widget(at, "multiselect", "Known ahead (drivers)").set_value(["on_promotion"]).run()
    assert any("'on_promotion' has no future values" in w.value for w in at.warning), [w.value for w in at.warning]
    assert press_forecast(at) == "failed"
    assert not at.exception
    assert any("The driver 'on_promotion' has no future value of 'Oat milk 1L'" in e.value for e in at.error)
    assert any("leave 'on_promotion' out" in i.value for i in at.info)


def test_an_uploaded_events_file_outside_the_data_is_refused_with_cores_message() -> None:
    at = shop_page(["House blend 250g"], 7)
    events = b"date,event,before,after\n2019-06-01,Summer fair,1,1\n"
    at.toggle(key="forecast_own_events").set_value(True).run()
    at.file_uploader(key="forecast_events_file").upload("events.csv", events, "text/csv").run()
    assert "1 row read from 'events.csv'." in texts(at)
    assert press_forecast(at) == "failed"
    assert not at.exception
    assert any(
        "The event 'Summer fair' on 2019-06-01 is outside the data and the forecast" in e.value for e in at.error
    )
    assert any("Check its year" in i.value for i in at.info)


def test_typed_events_are_learnt_and_shown_per_event() -> None:
    at = shop_page(["House blend 250g"], 14)
    assert not at.data_editor  # the editor shows only when asked for (the one-click path stays short)
    at.toggle(key="forecast_own_events").set_value(True).run()
    rows = [{"date": d, "event": "Shop shut"} for d in ("2024-12-25", "2025-12-25", "2025-01-01")]
    at.session_state["forecast_events"] = {"edited_rows": {}, "added_rows": rows, "deleted_rows": []}  # typed in
    at.run()
    assert press_forecast(at) == "done", [e.value for e in at.error]
    assert not at.exception and not at.error
    assert "Shop shut: closed (nothing sold on it in the history, so none is forecast)" in texts(at)


def test_a_driver_known_for_fewer_days_than_the_horizon_is_said_plainly() -> None:
    at = shop_page(["House blend 250g"], 40)  # the sample's future rows cover 31 days
    widget(at, "multiselect", "Known ahead (drivers)").set_value(["on_promotion"]).run()
    assert not at.exception
    assert [w.value for w in at.warning] == [
        "'on_promotion' is filled in for only 31 of the 40 days ahead. Add rows after the last sale with "
        "'units_sold' empty and 'on_promotion' filled in, forecast fewer days, or leave it out."
    ]
    at.number_input[0].set_value(31).run()
    assert not at.warning

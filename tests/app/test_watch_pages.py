"""AppTests for Forecast and Monitor."""

from __future__ import annotations

import time

import pandas as pd
import plotly.io as pio
import pytest

from core import jobs, store, workflows
from core.data import DATA_DIR, load_sample
from core.forecasting import timeseries
from tests.app.helpers import open_page, plain, texts
from ui import state


def press_forecast(at) -> str:
    """Press Forecast and wait for the job (it runs in a worker, outside the script run); its id."""
    [b for b in at.button if b.label == "Forecast"][0].click().run()
    job_id = at.session_state[state.FORECAST_JOB]["job"]  # the job travels with the table and column it is of
    deadline = time.monotonic() + 180
    while jobs.get(job_id).status == "running" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert jobs.get(job_id).status == "done", jobs.get(job_id).error
    return job_id


def test_forecast_page_forecasts_and_builds_an_order_list() -> None:
    info = load_sample("shop_sales")
    at = open_page("pages/6_Forecast.py", **{state.DATASET_ID: info.id})
    assert not at.exception
    # Keel's guesses for a sales table
    assert at.selectbox[1].value == "date" and at.multiselect[0].value == ["units_sold"]
    assert at.multiselect[1].value == ["product"]
    at.multiselect[2].set_value(["Oat milk 1L", "Ceramic mug"]).run()
    at.number_input[0].set_value(14).run()
    job_id = press_forecast(at)
    at.run()
    assert not at.exception
    body = texts(at)
    assert not at.error, [e.value for e in at.error]
    assert "Forecast 2 series (daily)" in body
    assert "What to order" in body
    assert any("Order" in m.value or "order" in m.value for m in at.markdown)
    assert at.download_button
    # the biggest expected sellers come first in the table, the chart picker and the order list
    result = jobs.get(job_id).result[1]
    biggest = sorted(result.series, key=lambda s: -sum(s.yhat))
    assert at.dataframe[0].value["series"].tolist() == [s.id for s in biggest]
    assert [s.id for s in result.series] == ["Ceramic mug", "Oat milk 1L"]  # as computed, by name
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == [
        "Download the forecast (CSV)",
        "Notebook (.ipynb)",  # rerun it yourself (issue 20)
        "Script (.py)",
        "Download the order list (CSV)",
    ]


def test_forecast_page_makes_one_series_per_pair_of_columns() -> None:
    info = load_sample("shop_sales")
    at = open_page("pages/6_Forecast.py", **{state.DATASET_ID: info.id})
    at.multiselect[1].set_value(["category", "product"]).run()
    assert not at.exception
    assert "coffee · House blend 250g" in at.multiselect[2].options  # the products list names the pairs
    at.multiselect[2].set_value(["coffee · House blend 250g", "tea · Green tea 50 bags"]).run()
    at.number_input[0].set_value(7).run()
    job_id = press_forecast(at)
    result = jobs.get(job_id).result[1]
    assert sorted(s.id for s in result.series) == ["coffee · House blend 250g", "tea · Green tea 50 bags"]
    at.run()
    assert not at.exception and not at.error


def test_forecast_page_forecasts_each_column_of_a_wide_table() -> None:
    months = pd.date_range("2020-01-01", periods=48, freq="MS")
    frame = pd.DataFrame({"month": months, "Apples": [50 + i % 12 for i in range(48)],
                          "Pears": [20 + (i % 12) * 2 for i in range(48)], "Plums": [5] * 48})
    info = store.save_dataset(frame, "Fruit", original_name="fruit.csv", source_format="csv", size_bytes=0,
                              notes=(), change="test")
    at = open_page("pages/6_Forecast.py", **{state.DATASET_ID: info.id})
    at.multiselect[0].set_value(["Apples", "Pears"]).run()
    assert not at.exception
    assert at.multiselect[2].options == ["Apples", "Pears"]  # each chosen column is a product
    job_id = press_forecast(at)
    assert sorted(s.id for s in jobs.get(job_id).result[1].series) == ["Apples", "Pears"]
    at.run()
    assert not at.exception and not at.error
    at.multiselect[0].set_value([]).run()  # nothing to forecast: a pointer, not an error
    assert not at.exception and "Choose what to forecast" in texts(at)


def test_forecast_page_offers_half_a_year_for_monthly_data() -> None:
    months = pd.date_range("2019-01-01", periods=60, freq="MS")
    frame = pd.DataFrame({"month": months, "units": [100 + (i % 12) * 5 for i in range(60)]})
    info = store.save_dataset(frame, "Monthly sales", original_name="monthly.csv", source_format="csv",
                              size_bytes=0, notes=(), change="test")
    at = open_page("pages/6_Forecast.py", **{state.DATASET_ID: info.id})
    assert not at.exception
    assert at.number_input[0].label == "Months ahead" and at.number_input[0].value == 6
    at.selectbox[2].set_value("Q").run()  # adding up to quarters asks for quarters
    assert at.number_input[0].label == "Quarters ahead" and at.number_input[0].value == 4


def test_monitor_page_checks_a_batch() -> None:
    info = load_sample("penguins")
    model = workflows.train_and_register(info.id, target="species", time_budget_s=60).model
    at = open_page("pages/7_Monitor.py", **{state.MODEL_ID: model.id})
    assert not at.exception
    assert "No batches recorded yet" in texts(at)
    at.file_uploader(key="monitor_upload").upload("batch.csv", (DATA_DIR / "penguins.csv").read_bytes(), "text/csv").run()
    assert at.selectbox[1].value == "species"  # the outcome column is found by name
    [b for b in at.button if b.label == "Check this batch"][0].click().run()
    assert not at.exception
    body = texts(at)
    assert not at.error, [e.value for e in at.error]
    assert "No action needed" in body
    assert "What changed in the data" in body
    assert len(store.list_batches(model.id)) == 1
    # one column before and after, drawn from the shares the drift check kept (the training data is not re-read)
    result = at.session_state[state.MONITOR_RESULT]
    chosen = [s for s in at.selectbox if s.label == "Compare one column"][0].value
    column = next(c for c in result.drift.columns if c.column == chosen)
    figures = [pio.from_json(el.proto.spec) for el in at.get("plotly_chart")]
    # the title is written above the chart as text (it wraps at phone width); the figure keeps the axes
    assert f"Has '{chosen}' changed since training?" in texts(at)
    assert all(not f.layout.title.text for f in figures)
    [drawn] = [f for f in figures if str(f.layout.xaxis.title.text).startswith(chosen)]
    assert column.histogram and list(drawn.data[0].y) == pytest.approx([100 * v for v in column.histogram["reference"]])
    assert list(drawn.data[1].y) == pytest.approx([100 * v for v in column.histogram["current"]])
    history = at.dataframe[-1].value  # over time: plain headings, minutes not microseconds
    assert list(history.columns[:4]) == ["batch", "checked", "rows", "columns drifted (%)"]
    assert "Right answers (accuracy)" in history.columns and history["advice"].tolist() == ["No action needed"]
    assert len(history["checked"].iloc[0]) == 16
    [b for b in at.button if b.label == "Retrain with this batch"][0].click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert len(store.list_models()) == 2  # the challenger is kept as a new version either way
    assert any("recent rows" in str(x.value) for x in [*at.success, *at.info])


def test_forecast_page_keeps_going_when_one_product_is_too_short() -> None:
    days = pd.date_range("2025-01-01", periods=60, freq="D")
    frame = pd.concat([pd.DataFrame({"date": days, "product": "Tea", "units": range(60)}),
                       pd.DataFrame({"date": [days[-1]], "product": ["New mug"], "units": [3]})])
    info = store.save_dataset(frame, "one short product")
    at = open_page("pages/6_Forecast.py", **{state.DATASET_ID: info.id})
    at.number_input[0].set_value(7).run()
    press_forecast(at)
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "Forecast 2 series (daily)" in texts(at)
    assert [b.proto.label for b in at.get("download_button")][0] == "Download the forecast (CSV)"


def _monthly(name: str, column: str, start: str, base: int) -> store.DatasetInfo:
    months = pd.date_range(start, periods=48, freq="MS")
    frame = pd.DataFrame({"month": months, column: [base + (i % 12) * 3 for i in range(48)]})
    return store.save_dataset(frame, name, original_name=f"{name}.csv", source_format="csv", size_bytes=0,
                              notes=(), change="test")


def test_forecast_page_shows_a_forecast_only_with_the_table_it_is_of() -> None:
    """The bug: forecast one file, upload another, and the page showed the first file's forecast labelled
    with the second file's column."""
    first = _monthly("bakery", "loaves", "2019-01-01", 100)
    at = open_page("pages/6_Forecast.py", **{state.DATASET_ID: first.id})
    press_forecast(at)
    at.run()
    assert "of 'loaves' from bakery" in texts(at) and "What to order" in texts(at)
    # another table arrives through the page's own upload
    months = pd.date_range("1958-01-01", periods=48, freq="MS")
    other = pd.DataFrame({"month": months.strftime("%Y-%m-%d"), "Takings": [300 + (i % 12) * 9 for i in range(48)]})
    at.file_uploader(key="forecast_upload").upload("takings.csv", other.to_csv(index=False).encode(), "text/csv").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    body = texts(at)
    assert at.selectbox[0].value != first.id  # the upload is the table now worked on
    assert "What to order" not in body and "Forecast 1 series" not in body and not at.download_button
    assert "Your last forecast was of another table, bakery" in body
    at.selectbox[0].set_value(first.id).run()  # back to the first table: its forecast, with its own column
    body = texts(at)
    assert "of 'loaves' from bakery" in body and "Takings" not in body


def test_forecast_page_offers_an_upload_for_a_table_without_dates() -> None:
    credit = pd.DataFrame({"income": [1200, 3400, 560] * 20, "granted": ["yes", "no", "yes"] * 20})
    info = store.save_dataset(credit, "credit")  # the last table worked on, with no dates in it
    at = open_page("pages/6_Forecast.py", **{state.DATASET_ID: info.id})
    assert not at.exception
    assert "cannot be forecast: No column looks like dates" in texts(at)
    assert "Upload your sales history above" in texts(at)
    sales = (DATA_DIR / "shop_sales.csv").read_bytes()
    at.file_uploader(key="forecast_upload").upload("shop.csv", sales, "text/csv").run()
    assert not at.exception and "cannot be forecast" not in texts(at)
    assert at.multiselect[0].value == ["units_sold"]


def test_forecast_page_asks_which_column_when_unsure_and_names_the_fill_choice_as_warnings_do() -> None:
    days = pd.date_range("2025-01-01", periods=60, freq="D")
    pizza = pd.DataFrame({"date": days.repeat(2), "pizza": ["classic", "veggie"] * 60,
                          "revenue": [104.5, 88.0] * 60, "pizzas_sold": [11, 8] * 60})
    info = store.save_dataset(pizza, "pizzeria")
    at = open_page("pages/6_Forecast.py", **{state.DATASET_ID: info.id})
    assert at.multiselect[0].value == ["pizzas_sold"]  # pieces, not dollars: the order list counts pieces
    assert not [i for i in at.info if "Which column should Keel forecast" in i.value]
    fill = [s for s in at.selectbox if s.label == timeseries.FILL_QUESTION][0]
    assert fill.options == [f"let Keel suggest: {timeseries.fill_label('zero')}", timeseries.fill_label("zero"),
                            timeseries.fill_label("missing")]
    unsure = pd.DataFrame({"date": days, "revenue": [float(i % 7) + 0.5 for i in range(60)],
                           "profit": [i * 1.5 + 0.25 for i in range(60)]})
    info = store.save_dataset(unsure, "unsure")
    at = open_page("pages/6_Forecast.py", **{state.DATASET_ID: info.id})
    guess = timeseries.suggest_columns(unsure)
    assert not guess.value_sure
    assert at.multiselect[0].value == []  # asked, not guessed
    assert plain(at.info[0].value) == guess.value_question
    assert "Choose what to forecast" in texts(at)


def test_forecast_page_warns_that_an_order_list_of_money_is_not_pieces() -> None:
    info = _monthly("cafe", "revenue", "2019-01-01", 900)
    at = open_page("pages/6_Forecast.py", **{state.DATASET_ID: info.id})
    assert at.multiselect[0].value == ["revenue"]  # the only number there is
    press_forecast(at)
    at.run()
    assert not at.exception and "What to order" in texts(at)
    assert any("'revenue' is money, not a count of things" in plain(w.value) for w in at.warning)
    loaves = _monthly("bakery", "loaves", "2019-01-01", 100)  # a count: no such warning
    at = open_page("pages/6_Forecast.py", **{state.DATASET_ID: loaves.id})
    press_forecast(at)
    at.run()
    assert "What to order" in texts(at) and not any("is money, not a count" in w.value for w in at.warning)


def test_monitor_page_says_why_in_sentences_and_names_the_retrain_measure_plainly() -> None:
    import numpy as np

    info = load_sample("customer_churn")
    model = workflows.train_and_register(info.id, target="churned", time_budget_s=30).model
    assert model.params.get("primary_metric") == "roc_auc"
    batch = pd.read_csv(DATA_DIR / "customer_churn.csv").sample(800, random_state=1)
    # the real outcomes no longer follow the inputs: right answers fall far past the 5-point limit
    batch["churned"] = np.random.default_rng(0).permutation(batch["churned"].to_numpy())
    at = open_page("pages/7_Monitor.py", **{state.MODEL_ID: model.id})
    at.file_uploader(key="monitor_upload").upload("batch.csv", batch.to_csv(index=False).encode(), "text/csv").run()
    [b for b in at.button if b.label == "Check this batch"][0].click().run()
    assert not at.exception
    [box] = [plain(e.value) for e in at.error]  # a retrain is the red box: the verdict, then why, in sentences
    assert box.startswith("**Retrain recommended.** Right answers") and " fell from " in box
    assert "more than the 5-point drop that calls for a retrain." in box and "level" not in box
    rules = at.dataframe[[i for i, d in enumerate(at.dataframe) if "rule" in d.value.columns][0]].value
    assert "metric_drop_measured" in rules["rule"].tolist()  # the specialist's name, one click away
    [slider] = [s for s in at.slider if "new model" in s.label]
    assert plain(slider.label) == "Switch only if the new model's ranking quality is better by at least (percentage points)"
    assert "ROC AUC" not in slider.label and "For specialists: Ranking quality (ROC AUC)." in plain(slider.help)
    assert "at 1, 80% for the current model must become more than 81% for the new one" in plain(slider.help)
    alerts = [plain(m.value) for m in at.markdown if m.value.startswith("🔔 **Retrain recommended** · batch")]
    assert any("Right answers" in a and "more than the 5-point drop" in a for a in alerts)  # the alert log too

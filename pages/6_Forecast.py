"""Forecast & order: how many of each product will sell, and how many to order."""

import pandas as pd
import streamlit as st

from core import charts, jobs, store, workflows
from core.errors import KeelError
from core.forecasting import order_plan, timeseries
from core.models import to_safe_csv
from core.paths import keel_home
from core.vocab import percent
from ui import state
from ui.common import chart, choose, esc, finished_job, guard, need, page, show_error

page("Forecast & order", "📈")
st.title("📈 Forecast & order")
st.caption(
    "Keel tries several forecasting methods on each product, checks each on past months it did not "
    "look at, keeps the one that did best (with an eye on which did best for your other products), and "
    "turns the forecast into an order list."
)

SHOWN_LINES = 50  # order sentences on the page; the CSV has every product


@st.cache_data(max_entries=4, show_spinner=False)
def frame_of(dataset_id: int, sha256: str, home: str) -> pd.DataFrame:
    return store.load_dataset(dataset_id)


@st.cache_data(max_entries=16, show_spinner=False)
def data_step(dataset_id: int, sha256: str, date: str, id_cols: tuple[str, ...]) -> timeseries.Frequency | None:
    frame = frame_of(dataset_id, sha256, str(keel_home()))
    return timeseries.guess_frequency(frame[[date, *[c for c in id_cols if c != date]]], date, list(id_cols) or None)


datasets = store.list_datasets()
need(
    bool(datasets),
    "Upload your sales history first (one row per date and product).",
    "pages/1_Data.py",
    "Check my data →",
)
info = choose("Sales history", datasets, state.DATASET_ID, lambda d: f"{d.label} — {d.rows:,} rows")
dataset_id = info.id
with guard():
    frame = frame_of(dataset_id, info.sha256, str(keel_home()))
columns = [str(c) for c in frame.columns]
try:
    guess = timeseries.suggest_columns(frame)
    g_date, g_value, g_id = guess.date, guess.value, guess.id
except KeelError as exc:  # no date-like column: say so, but let the user pick anyway
    st.warning(esc(exc.message) + " " + esc(exc.hint), icon="⚠️")
    g_date = g_value = g_id = None

c1, c2, c3 = st.columns(3)
date = c1.selectbox("Date column", columns, index=columns.index(g_date) if g_date in columns else 0)
values = c2.multiselect(
    "What to forecast",
    columns,
    default=[g_value] if g_value in columns else [],
    help="The column with the numbers to forecast. In a table with one column per product, "
    "pick them all: each becomes its own forecast.",
)
id_cols = c3.multiselect(
    "One forecast per… (optional)",
    columns,
    default=[g_id] if g_id in columns else [],
    placeholder="— one series —",
    help="The column that names each product. Pick two (a store and a product) for one forecast per pair.",
)
if not values:
    st.info("Choose what to forecast: the column with the numbers (units sold, sales, visits).", icon="👆")
    st.stop()
value: str | list[str] = values[0] if len(values) == 1 else list(values)
id_col: str | list[str] | None = (id_cols[0] if len(id_cols) == 1 else list(id_cols)) if id_cols else None
ids: tuple[str, ...] = ()
with guard():
    names = timeseries.series_names(frame[list(id_cols)], values, id_col)
if names:
    if len(names) > 2000:
        st.warning(f"There are {len(names):,} series; forecasting all may take a while.")
    chosen = st.multiselect("Products (leave empty for all)", names[:5000])
    ids = tuple(chosen)

c4, c5, c6, c7 = st.columns(4)
aggregate = c5.selectbox(
    "Add up to",
    [None, "h", "D", "W", "M", "Q", "Y"],
    format_func={
        None: "as in the file",
        "h": "hours",
        "D": "days",
        "W": "weeks",
        "M": "months",
        "Q": "quarters",
        "Y": "years",
    }.get,
)
# the default horizon follows the step: four weeks of days, two months of weeks, half a year of months
step = (
    timeseries.coarser_frequency(aggregate) if aggregate else data_step(dataset_id, info.sha256, date, tuple(id_cols))
)
horizon = int(
    c4.number_input(
        f"{step.unit.capitalize()}s ahead" if step else "Periods ahead",
        min_value=1,
        max_value=400,
        value=timeseries.default_horizon(step) if step else 28,
        key=f"horizon-{step.code if step else ''}",
    )
)
level = float(c6.slider("Interval (%)", 50, 99, 90, help="How sure the shaded range should be."))
fill = c7.selectbox(
    "A date with no row means…",
    ["auto", "zero", "missing"],
    format_func={"auto": "let Keel suggest", "zero": "nothing sold", "missing": "unknown"}.get,
)
season = st.number_input(
    "Season length (0 = let Keel find it)",
    min_value=0,
    max_value=400,
    value=0,
    help="e.g. 7 for a weekly pattern in daily data, 12 for a yearly one in monthly data.",
)

if st.button("Forecast", type="primary"):
    st.session_state[state.FORECAST_JOB] = jobs.submit(
        "Forecasting",
        workflows.run_forecast,
        dataset_id,
        date=date,
        value=value,
        id=id_col,
        ids=ids or None,
        horizon=horizon,
        level=level,
        season=int(season) or None,
        fill=fill,
        aggregate_to=aggregate,
    )
    st.session_state.pop(state.FORECAST_RESULT, None)


if state.FORECAST_RESULT not in st.session_state:
    job = finished_job(st.session_state.get(state.FORECAST_JOB))
    if job is not None and job.status == "failed":
        show_error(job.error)
    elif job is not None:
        st.session_state[state.FORECAST_RESULT] = job.result[1]
result = st.session_state.get(state.FORECAST_RESULT)
if result is None:
    st.stop()

cov = result.coverage
st.success(
    f"Forecast {len(result.series)} series "
    f"({esc(result.frequency_label)}) in {result.elapsed_seconds:.0f} s."
    + (
        f" In the check on past data, {percent(cov, 0)} of real values fell inside the {percent(result.level / 100, 0)} range."
        if cov is not None
        else ""
    ),
    icon="✅",
)
for finding in result.findings:
    st.warning(esc(finding.message) + " " + esc(finding.advice))
result = charts.biggest_first(result)  # the table, the chart picker and the order list follow

# one series without an id is named by its column (a wide table's series are named by theirs already)
value_label = value if isinstance(value, str) else "value"
labels = result.series_labels(value_label)
st.dataframe(
    charts.forecast_summary_table(result, value_label),
    hide_index=True,
    column_config={
        "error vs. simply repeating": st.column_config.NumberColumn(format="%.2f ×"),
        "range hit rate": st.column_config.NumberColumn(format="%.0f %%"),
        "typical error": st.column_config.NumberColumn(format="%.3g"),
        "error %": st.column_config.NumberColumn(format="%.0f %%"),
    },
)
st.caption(
    "Keel checked each forecast on the last stretches of history. 'Error vs. simply repeating' compares its "
    "typical miss with that of repeating the last season (or the last value): below 1 × Keel did better, "
    "1 × or more means repeating did as well, so treat that forecast as rough. 'Range hit rate' is how often "
    "the real value fell inside the shaded range."
)

st.download_button(
    "Download the forecast (CSV)",
    to_safe_csv(result.download_frame(value_label)),
    file_name="forecast.csv",
    mime="text/csv",
)

pick = st.selectbox("Look at", range(len(labels)), format_func=lambda i: labels[i])
chosen = result.series[pick]
for note in chosen.notes:
    st.caption(f"ℹ️ {esc(note)}")
for finding in chosen.findings:
    st.caption(f"⚠️ {esc(finding.message)} {esc(finding.advice)}")
# a wide table: each series is a column, named by its last part ('North · Apples' -> 'Apples')
value_name = value if isinstance(value, str) else str(chosen.id).split(timeseries.ID_JOIN)[-1]
with guard(stop=False):
    chart(charts.forecast_figure(chosen, level=result.level, value_name=value_name))
    chart(charts.backtest_figure(chosen, value_name=value_name))

st.subheader("What to order")
unit = result.freq.unit if result.freq else "period"
o1, o2, o3 = st.columns(3)
weekly_default = 7 if unit == "day" else 1  # daily data: a typical small shop orders weekly
lead = int(o1.number_input(f"Delivery takes ({unit}s)", min_value=0, max_value=366, value=weekly_default))
review = int(o2.number_input(f"You order every ({unit}s)", min_value=1, max_value=366, value=weekly_default))
service = o3.slider("Chance of not running out (%)", 50, 99, 95) / 100
stock = st.data_editor(
    pd.DataFrame({"product": labels, "in stock now": [0.0] * len(labels)}),
    hide_index=True,
    disabled=["product"],
    key="stock",
)
with guard(stop=False):
    plan = order_plan(
        result,
        lead_time=lead,
        review_period=review,
        service_level=service,
        on_hand={s.id: float(v) for s, v in zip(result.series, stock["in stock now"])},
    )
    for line in plan.lines[:SHOWN_LINES]:
        st.markdown(f"- {esc(line.sentence)}")
    if len(plan.lines) > SHOWN_LINES:
        st.caption(
            f"The {SHOWN_LINES} biggest sellers are shown; the order list below has all {len(plan.lines):,} products."
        )
    for note in plan.notes:
        st.caption(f"ℹ️ {esc(note)}")
    st.download_button(
        "Download the order list (CSV)",
        to_safe_csv(plan.to_frame()),
        file_name="order-list.csv",
        mime="text/csv",
        type="primary",
    )

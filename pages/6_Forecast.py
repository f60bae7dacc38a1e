"""Forecast & order: how many of each product will sell, and how many to order."""

import pandas as pd
import streamlit as st

from core import charts, jobs, store, workflows
from core.data import read_table
from core.errors import KeelError
from core.forecasting import (
    driver_days_ahead,
    holiday_countries,
    holiday_regions,
    known_columns,
    timeseries,
)
from core.models import export_content, to_safe_csv
from core.paths import keel_home
from core.vocab import count, number, percent
from ui import state
from ui.common import chart, choose, details, esc, finished_job, guard, page, show_error
from ui.forecast_families import render_families
from ui.forecast_orders import order_section, what_if_section
from ui.upload import FILE_KINDS, upload_table
from ui.words import dataset_words

page("Forecast & order", "📈")
st.title("📈 Forecast & order")
st.markdown(
    "Upload your sales history: one row per date, and per product if you sell several. Keel forecasts what "
    "comes next, checks itself on your past sales, and turns the forecast into an order list."
)

SHOWN_EVENTS = 6  # learnt holiday and event effects per product: closed days first, then the biggest


@st.cache_data(max_entries=4, show_spinner=False)
def frame_of(dataset_id: int, sha256: str, home: str) -> pd.DataFrame:
    return store.load_dataset(dataset_id)


@st.cache_data(max_entries=16, show_spinner=False)
def data_step(dataset_id: int, sha256: str, date: str, id_cols: tuple[str, ...]) -> timeseries.Frequency | None:
    frame = frame_of(dataset_id, sha256, str(keel_home()))
    return timeseries.guess_frequency(frame[[date, *[c for c in id_cols if c != date]]], date, list(id_cols) or None)


@st.cache_data(max_entries=16, show_spinner=False)
def known_step(dataset_id: int, sha256: str, date: str, value: str, id_cols: tuple[str, ...]):  # -> KnownColumns
    frame = frame_of(dataset_id, sha256, str(keel_home()))
    return known_columns(frame, date, value, list(id_cols) or None)


@st.cache_data(max_entries=4, show_spinner=False)
def read_events(data: bytes, name: str) -> pd.DataFrame:  # the CLI's --events format: date, event[, before, after]
    return read_table(data, name=name).frame


upload_table(f"Upload your sales history — {FILE_KINDS}", key="forecast_upload")
datasets = store.list_datasets()
if not datasets:
    st.info("Upload your sales history above, or open the shop's sample on the Home page.", icon="👆")
    st.page_link("app.py", label="Go to the samples", icon="🏠")
    st.stop()
info = choose(
    "Sales history", datasets, state.DATASET_ID, dataset_words, placeholder="Choose a table, or upload one above"
)
if info is None:
    st.info("Choose the table with your sales history, or upload it above.", icon="👆")
    st.stop()
dataset_id = info.id
with guard():
    frame = frame_of(dataset_id, info.sha256, str(keel_home()))
columns = [str(c) for c in frame.columns]
try:
    guess = timeseries.suggest_columns(frame)
except KeelError as exc:  # no date-like column: this table cannot be forecast
    st.info(
        f"'{esc(info.label)}' cannot be forecast: {esc(exc.message)} {esc(exc.hint)} "
        "Upload your sales history above, or choose another table.",
        icon="👆",
    )
    st.stop()

if not guess.value_sure and guess.value_question:
    # two columns could be meant (say revenue and units): ask rather than forecast money as pieces
    st.info(esc(guess.value_question), icon="❓")
c1, c2, c3 = st.columns(3)
date = c1.selectbox("Date column", columns, index=columns.index(guess.date) if guess.date in columns else 0)
values = c2.multiselect(
    "What to forecast",
    columns,
    default=[guess.value] if guess.value in columns and guess.value_sure else [],
    help="The column with the numbers to forecast. In a table with one column per product, "
    "pick them all: each becomes its own forecast.",
)
id_cols = c3.multiselect(
    "One forecast per… (optional)",
    columns,
    default=[guess.id] if guess.id in columns else [],
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

c4, c5 = st.columns(2)
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
with st.expander("More settings"):
    c6, c7, c8 = st.columns(3)
    # the same words as the forecast's warnings and the command line's --fill help (core.forecasting)
    try:
        suggested: str | None = timeseries.suggest_file_fill(frame, values[0], (date, *id_cols))[0]
    except (KeelError, ValueError, TypeError):
        suggested = None
    fill = c6.selectbox(
        timeseries.FILL_QUESTION,
        list(timeseries.FILL_CHOICES),
        format_func=lambda f: (
            f"{timeseries.fill_label(f)}: {timeseries.fill_label(suggested)}"
            if f == "auto" and suggested
            else timeseries.fill_label(f)
        ),
        help=" ".join(f"'{label}': {what}" for label, what in timeseries.FILL_CHOICES.values()),
    )
    level = float(
        c7.slider("How sure the shaded range should be (%)", 50, 99, 90, help="The range around the forecast.")
    )
    season = c8.number_input(
        "Season length (0 = let Keel find it)",
        min_value=0,
        max_value=400,
        value=0,
        help="e.g. 7 for a weekly pattern in daily data, 12 for a yearly one in monthly data.",
    )

COUNTRIES = dict(holiday_countries())
EMPTY_EVENTS = pd.DataFrame(
    {"date": pd.Series(dtype="datetime64[ns]"), "event": pd.Series(dtype="str"), "before": pd.Series(dtype="Int64"),
     "after": pd.Series(dtype="Int64")}
)  # fmt: skip
with st.expander("Your calendar and shop: holidays, events, promotions, stock-outs"):
    st.caption(
        "Optional. Keel learns from your past sales what each of these did, and uses them only where that "
        "made its forecasts of the past clearly better."
    )
    k1, k2 = st.columns(2)
    country = k1.selectbox(
        "Public holidays of",
        [None, *COUNTRIES],
        format_func=lambda c: "no public holidays" if c is None else COUNTRIES[c],
        help="Closed days and holidays then read as what they are, not as unusual sales.",
    )
    regions = dict(holiday_regions(country)) if country else {}
    region = k2.selectbox(
        "Region",
        [None, *regions],
        format_func=lambda r: "the whole country" if r is None else regions[r],
        disabled=not regions,
        help="Some holidays are only kept in one region (England, Bavaria, Victoria).",
    )
    holidays = f"{country}-{region}" if country and region else country
    typed, uploaded = EMPTY_EVENTS, None
    if st.toggle("Add your own events: promotions, closures, paydays, a local fair", key="forecast_own_events"):
        st.caption("One row per event, with the days before and after it that it also touches.")
        typed = st.data_editor(
            EMPTY_EVENTS,
            num_rows="dynamic",
            hide_index=True,
            column_config={
                "date": st.column_config.DateColumn("date", format="YYYY-MM-DD"),
                "event": st.column_config.TextColumn("event"),
                "before": st.column_config.NumberColumn("days before", min_value=0, max_value=60, step=1),
                "after": st.column_config.NumberColumn("days after", min_value=0, max_value=60, step=1),
            },
            key="forecast_events",
        )
        events_file = st.file_uploader(
            "…or upload them: a CSV with columns date, event and optionally before, after", key="forecast_events_file"
        )
        if events_file is not None:
            with guard(stop=False):
                uploaded = read_events(events_file.getvalue(), events_file.name)
                st.caption(f"{count(len(uploaded), 'row')} read from '{esc(events_file.name)}'.")
    drivers: list[str] = []
    stockout = None
    family = None
    if isinstance(value, str):
        known = known_step(dataset_id, info.sha256, date, value, tuple(id_cols))
        d1, d2 = st.columns(2)
        stockout = d2.selectbox(
            "Days without stock are marked in",
            [None, *known.stock_marks],
            format_func=lambda c: "no column (not marked)" if c is None else c,
            help="A column with 1 on days the shelf was empty and 0 otherwise. Those days' sales are not "
            "taken as low demand, and Keel says how much more would likely have sold.",
        )
        drivers = d1.multiselect(
            "Known ahead (drivers)",
            [c for c in known.drivers if c != stockout],
            placeholder="none",
            help="Numbers or yes/no you know in advance: price, a planned promotion, opening days.",
        )
        st.caption(
            f"A driver's future values go in rows after the last sale, with '{esc(value)}' left empty: one row per "
            "date (and product) up to the forecast's last date."
        )
        with guard(stop=False):
            ahead = driver_days_ahead(frame, date, value, id_col, drivers) if drivers else {}
            for name, days in ahead.items():
                if days < horizon:
                    have = "has no future values" if days == 0 else f"is filled in for only {days} of the {horizon}"
                    st.warning(
                        f"'{esc(name)}' {have} {step.unit if step else 'period'}s ahead. Add rows after the last "
                        f"sale with '{esc(value)}' empty and '{esc(name)}' filled in, forecast fewer "
                        f"{step.unit if step else 'period'}s, or leave it out.",
                        icon="⚠️",
                    )
        if isinstance(id_col, str) and known.families:
            family = st.selectbox(
                "Also forecast the totals per",
                [None, *known.families],
                format_func=lambda c: "no totals" if c is None else c,
                help="A column that groups the products (a category, a store). Keel forecasts each group's total "
                "too and makes the totals and the products agree; a product with only a few weeks of sales "
                "borrows its group's pattern.",
            )
    else:
        st.caption("Drivers and stock-outs need one column to forecast (one row per date and product).")

if st.button("Forecast", type="primary"):
    typed = typed.dropna(how="all")
    given = [f for f in (typed if len(typed) else None, uploaded) if f is not None]
    events = pd.concat(given, ignore_index=True) if given else None
    params = {
        "date": date,
        "value": value,
        "id": id_col,
        "ids": ids or None,
        "horizon": horizon,
        "level": level,
        "season": int(season) or None,
        "fill": fill,
        "aggregate_to": aggregate,
        "holidays": holidays,
        "drivers": drivers,
        "stockout": stockout,
        "family": family,
    }
    job_id = jobs.submit("Forecasting", workflows.run_forecast, dataset_id, events=events, **params)
    # What the forecast is of travels with it: it is shown only with its own table, and labelled with the
    # column it forecast, whatever the controls above say later. Its settings go with it for 'What if'.
    kept = {**params, "events": None if events is None else events.to_dict("records")}
    st.session_state[state.FORECAST_JOB] = {"job": job_id, "dataset_id": dataset_id, "value": value, "params": kept}
    st.session_state.pop(state.FORECAST_RESULT, None)

running = st.session_state.get(state.FORECAST_JOB)
if running is not None and running["dataset_id"] == dataset_id:
    job = finished_job(running["job"])
    if job is not None:
        st.session_state.pop(state.FORECAST_JOB, None)
        if job.status == "failed":
            show_error(job.error)
        else:
            forecast_id, result, *families = job.result  # with a family column: its totals come third
            st.session_state[state.FORECAST_RESULT] = {
                **running,
                "forecast_id": forecast_id,
                "result": result,
                "families": families[0] if families else None,
            }
elif running is not None:
    st.caption("A forecast of another table is still running; choose that table again to see it.")

shown = st.session_state.get(state.FORECAST_RESULT)
if shown is None:
    st.stop()
if shown["dataset_id"] != dataset_id:
    other = next((d for d in datasets if d.id == shown["dataset_id"]), None)
    st.caption(
        f"Your last forecast was of another table{f', {esc(other.label)}' if other else ''}: choose it above to "
        "see it again, or press Forecast for this one."
    )
    st.stop()
result = shown["result"]
value = shown["value"]

cov = result.coverage
value_label = value if isinstance(value, str) else "value"
st.success(
    f"Forecast {len(result.series)} series ({esc(result.frequency_label)}) of "
    + (f"'{esc(value)}'" if isinstance(value, str) else f"{len(value)} columns")
    + f" from {esc(info.label)} in {result.elapsed_seconds:.0f} s."
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
lost = [(s, s.stockout["lost_demand"]) for s in result.series if s.stockout and s.stockout.get("lost_demand")]
if lost:
    lost.sort(key=lambda x: -x[1])
    st.info(
        f"Days out of stock likely cost about {number(sum(v for _, v in lost))} sales"
        + (
            f" of {esc(lost[0][0].id)}"
            if len(lost) == 1
            else ": " + "; ".join(f"{esc(s.id)} about {number(v)}" for s, v in lost[:5])
        )
        + ". Those days did not pull the forecasts down.",
        icon="📦",
    )

# one series without an id is named by its column (a wide table's series are named by theirs already)
labels = result.series_labels(value_label)
pick = st.selectbox("Look at", range(len(labels)), format_func=lambda i: labels[i])
chosen = result.series[pick]
# what the calendar and the shop did: closed days first, then the biggest effects
learnt = sorted(
    (e for e in chosen.events if e.get("effect") is not None), key=lambda e: (not e.get("closed"), -abs(e["effect"]))
)
said = [e["sentence"] for e in learnt[:SHOWN_EVENTS]]
said += [f"{d['sentence']}; {d['moved']['sentence']}." for d in chosen.drivers]
said += [chosen.stockout["sentence"]] if chosen.stockout and chosen.stockout.get("periods") else []
for note in chosen.notes:
    if note not in said and note not in {e["sentence"] for e in chosen.events}:
        st.caption(f"ℹ️ {esc(note)}")
if said:
    st.markdown(f"**What your calendar and shop did to '{esc(labels[pick])}'**")
    st.markdown("\n".join(f"- {esc(text)}" for text in said))
    if len(learnt) > SHOWN_EVENTS:
        st.caption(f"…and {len(learnt) - SHOWN_EVENTS} smaller holiday and event effects.")
for finding in chosen.findings:
    st.caption(f"⚠️ {esc(finding.message)} {esc(finding.advice)}")
# a wide table: each series is a column, named by its last part ('North · Apples' -> 'Apples')
value_name = value if isinstance(value, str) else str(chosen.id).split(timeseries.ID_JOIN)[-1]
with guard(stop=False):
    chart(charts.forecast_figure(chosen, level=result.level, value_name=value_name))

with details("How well did each forecast do on past sales?"):
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
    with guard(stop=False):
        chart(charts.backtest_figure(chosen, value_name=value_name))
    st.download_button(
        "Download the forecast (CSV)",
        to_safe_csv(result.download_frame(value_label)),
        file_name="forecast.csv",
        mime="text/csv",
    )
    with st.expander("Rerun it yourself (a notebook or a Python script)"):
        st.caption(
            "The same table, settings and calendar through Keel's Python functions, with each step explained: "
            "run it where Keel keeps your data and it prints the same backtest scores."
        )
        left, right = st.columns(2)
        with guard(stop=False):
            kept_id = int(shown["forecast_id"])
            left.download_button(
                "Notebook (.ipynb)",
                export_content(None, "notebook", forecast_id=kept_id),
                file_name=f"forecast-{kept_id}.ipynb",
                mime="application/x-ipynb+json",
            )
            right.download_button(
                "Script (.py)",
                export_content(None, "script", forecast_id=kept_id),
                file_name=f"forecast-{kept_id}.py",
                mime="text/x-python",
            )

if shown.get("families") is not None:
    with guard(stop=False):
        render_families(shown["families"], value_name=value_label)
orders = order_section(result, frame, value, shown, labels)
what_if_section(shown, info, result, pick, orders)

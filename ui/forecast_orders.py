"""The Forecast page's order list, with each product's order settings (stock, case pack, minimum order, lead
time), and its "What if" section (a driver's planned values changed: both forecasts, both order lists)."""

from __future__ import annotations

import html
from typing import Any

import pandas as pd
import streamlit as st

from core import charts, store
from core.forecasting import (
    Change,
    ForecastResult,
    OrderPlan,
    OrderSettings,
    order_plan,
    read_order_settings,
    timeseries,
    what_if,
)
from core.models import to_safe_csv
from core.vocab import number
from ui.common import chart, esc, guard

SHOWN_LINES = 50  # order sentences on the page; the CSV has every product

#: The editor's columns: the settings' own names (read back by core.forecasting.read_order_settings).
EDITOR = ("product", "on_hand", "case_pack", "on_order", "min_order", "lead_time", "lead_time_sd")


def settings_table(
    result: ForecastResult, frame: pd.DataFrame | None, id_col: Any, labels: list[str], lead: int
) -> tuple[pd.DataFrame, list[str]]:
    """The editor's first rows and the data's columns they came from: one per product, from the data's own columns when it has them (the shop
    sample's case_pack), else nothing in stock or on order, no minimum, the delivery time for all (``lead``)
    and no give-or-take; a case pack left empty means single units."""
    own: dict[Any, OrderSettings] = {}
    found: list[str] = []
    if frame is not None:
        with guard(stop=False):
            read = read_order_settings(frame, result, id=id_col, where="your sales history", history=True)
            own, found = read.settings, list(read.columns)
    rows = []
    for s, label in zip(result.series, labels):
        got = own.get(s.id, OrderSettings())
        rows.append({
            "product": label,
            "on_hand": got.on_hand if got.on_hand is not None else 0.0,
            "case_pack": got.case_pack,
            "on_order": got.on_order if got.on_order is not None else 0.0,
            "min_order": got.min_order if got.min_order is not None else 0.0,
            "lead_time": got.lead_time if got.lead_time is not None else float(lead),
            "lead_time_sd": got.lead_time_sd if got.lead_time_sd is not None else 0.0,
        })  # fmt: skip
    return pd.DataFrame(rows, columns=list(EDITOR)).astype({k: "float64" for k in EDITOR[1:]}), found


def order_section(result: ForecastResult, frame: pd.DataFrame, value: Any, shown: dict[str, Any], labels: list[str]):
    """'What to order': the values for all, each product's settings, the order list. Returns what the what-if
    section needs to make its order list the same way: (lead, review, service, settings, table) or None."""
    st.header("What to order")
    unit = result.freq.unit if result.freq else "period"
    o1, o2, o3 = st.columns(3)
    weekly_default = 7 if unit == "day" else 1  # daily data: a typical small shop orders weekly
    lead = int(o1.number_input(f"Delivery takes ({unit}s)", min_value=0, max_value=366, value=weekly_default))
    review = int(o2.number_input(f"You order every ({unit}s)", min_value=1, max_value=366, value=weekly_default))
    service = o3.slider("Chance of not running out (%)", 50, 99, 95) / 100
    one_column = isinstance(value, str) and value in frame.columns
    id_col = (shown.get("params") or {}).get("id")
    start, filled = settings_table(result, frame if one_column else None, id_col, labels, lead)
    st.markdown("**Your stock and how each product is ordered**")
    st.caption(
        "Type what you have in stock and on order. A case pack rounds each order up to whole cases (empty: single "
        "units); a minimum order raises a small order to the supplier's minimum. Change a product's delivery time "
        f"where its supplier takes longer or shorter than {number(lead)} {unit}s, and 'give or take' where "
        "deliveries vary." + (f" Prefilled from your data's own columns: {', '.join(filled)}." if filled else "")
    )
    edited = st.data_editor(
        start,
        hide_index=True,
        disabled=["product"],
        column_config={
            "product": st.column_config.TextColumn("product"),
            "on_hand": st.column_config.NumberColumn("in stock now", min_value=0.0),
            "on_order": st.column_config.NumberColumn("on order", min_value=0.0),
            "case_pack": st.column_config.NumberColumn("case pack", min_value=1, step=1, format="%d"),
            "min_order": st.column_config.NumberColumn("minimum order", min_value=0.0),
            "lead_time": st.column_config.NumberColumn(f"delivery ({unit}s)", min_value=0.0),
            "lead_time_sd": st.column_config.NumberColumn(f"give or take ({unit}s)", min_value=0.0),
        },
        key=f"order_settings_{shown['forecast_id']}",
    )
    with guard(stop=False):
        settings = read_order_settings(edited, result, where="the table above").settings
        plan = order_plan(result, lead, review, service, settings=settings, frame=frame if one_column else None)
        show_plan(plan)
        return lead, review, service, settings, frame if one_column else None
    return None


def show_plan(plan: OrderPlan) -> None:
    if plan.warning:  # an order list counts pieces: one made from takings would read as 'order 9,331 of classic'
        st.warning(esc(plan.warning), icon="⚠️")
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


@st.cache_data(max_entries=8, show_spinner="Forecasting with the change…")
def what_if_step(
    dataset_id: int, sha256: str, params: dict[str, Any], driver: str, to: float | None, factor: float | None
):
    """The stored table's forecast with ``params`` (as the Forecast button ran it), as it is and with the
    driver's future values set ``to`` a value or multiplied by ``factor`` (-> core.forecasting.WhatIf)."""
    p = dict(params)
    frame, value, key = timeseries.long_format(
        store.load_dataset(dataset_id), p.pop("date"), p.pop("value"), p.pop("id")
    )
    ids = p.pop("ids", None)
    if key is not None and ids:
        frame = frame[frame[key].astype(str).isin(set(ids))]
    events = p.pop("events", None)
    change = Change(driver, value=to, factor=factor)  # with a family column: the reconciled forecasts, and its totals
    return what_if(
        frame, change, date=params["date"], value=value, id=key, events=pd.DataFrame(events) if events else None, **p
    )


def what_if_section(shown: dict[str, Any], info: Any, result: ForecastResult, pick: int, orders: Any) -> None:
    """'What if': change one driver's planned values; both forecasts and both order lists. Only when the
    forecast used drivers (one column forecast, its params kept)."""
    params = shown.get("params") or {}
    drivers = list(params.get("drivers") or [])
    if not drivers or not isinstance(params.get("value"), str):
        return
    st.header("What if")
    st.caption(
        "Change a driver's planned values (a promotion on, the price lower) and see the forecast and the order "
        "list with it, beside the ones above."
    )
    w1, w2, w3 = st.columns(3)
    driver = w1.selectbox("Driver to change", drivers, key="whatif_driver")
    how = w2.radio("Change it by", ["setting it to", "a percent change"], horizontal=True, key="whatif_how")
    if how == "setting it to":
        to, factor = float(w3.number_input(f"New value of '{esc(driver)}'", value=1.0, key="whatif_value")), None
    else:
        pct = w3.number_input("Change (%)", min_value=-99.0, max_value=1000.0, value=-10.0, step=5.0, key="whatif_pct")
        to, factor = None, 1 + float(pct) / 100
    if not st.toggle("Show the forecast with this change", key=f"whatif_on_{shown['forecast_id']}"):
        return
    with guard(stop=False):
        w = what_if_step(info.id, info.sha256, params, driver, to, factor)
        order = [s.id for s in result.series]  # the page's order: the biggest sellers first
        st.markdown("\n".join(f"- {esc(text)}" for text in w.sentences(order, limit=SHOWN_LINES)))
        base = result.series[pick]
        i = [s.id for s in w.baseline.series].index(base.id)
        label = str(base.id) if base.id is not None else str(params["value"])
        words = w.change.words()
        chart(overlay(w.baseline.series[i], w.changed.series[i], words, str(params["value"]), label, result.level))
        if orders is not None:
            lead, review, service, settings, frame = orders
            before = order_plan(w.baseline, lead, review, service, settings=settings, frame=frame)
            after = order_plan(w.changed, lead, review, service, settings=settings, frame=frame)
            st.markdown("**Both order lists**")
            st.dataframe(both_orders(before, after, w.baseline, order), hide_index=True)
            st.download_button(
                "Download the order list with the change (CSV)",
                to_safe_csv(after.to_frame()),
                file_name="order-list-what-if.csv",
                mime="text/csv",
            )


def overlay(baseline: Any, changed: Any, words: str, value_name: str, label: str, level: float):  # -> plotly Figure
    """The product's forecast chart (as above) with the changed forecast drawn over it, dashed."""
    fig = charts.forecast_figure(baseline, level=level, value_name=value_name)
    fig.add_scatter(
        x=list(changed.dates),
        y=list(changed.yhat),
        mode="lines",
        name=html.escape(f"with {words}", quote=False),
        line={"color": charts.PALETTE[0], "width": 2.5, "dash": "dash"},
        hovertemplate="%{x|%Y-%m-%d}: %{y:,.4g}<extra></extra>",
    )
    fig.update_layout(title={"text": html.escape(f"What if: '{label}' with {words}", quote=False)})
    return fig


def both_orders(before: OrderPlan, after: OrderPlan, result: ForecastResult, order: list[Any]) -> pd.DataFrame:
    """Product, order as it is, order with the change (in ``order`` of ids: the page's, biggest first)."""
    name = dict(zip([s.id for s in result.series], result.series_labels()))
    rank = {sid: i for i, sid in enumerate(order)}
    pairs = sorted(zip(before.lines, after.lines), key=lambda p: rank.get(p[0].id, len(rank)))
    return pd.DataFrame({
        "product": [name.get(a.id, str(a.id)) for a, _ in pairs],
        "order as it is": [a.order_quantity for a, _ in pairs],
        "order with the change": [b.order_quantity for _, b in pairs],
    })  # fmt: skip

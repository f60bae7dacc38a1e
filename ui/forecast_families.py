"""The Forecast page's "Product families" section: the family totals (chart and table), the sentence that
says what making them add up did, how the ways of doing it compared on the past, and the new products'
notes. The page calls :func:`render_families` with the result of :func:`core.forecasting.forecast_families`."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.charts import family_totals_figure
from core.forecasting import FamilyForecast
from core.vocab import number
from ui.common import chart, esc


def totals_table(result: FamilyForecast, column: str) -> pd.DataFrame:
    """One row per date, one column per family of ``column``: the reconciled forecasts, rounded."""
    nodes = result.level_nodes(column)
    table = pd.DataFrame({"date": [pd.Timestamp(d).strftime("%Y-%m-%d") for d in nodes[0].dates]} if nodes else {})
    for n in nodes:
        table[str(n.key)] = [round(y, 1) for y in n.yhat]
    return table


def scores_table(result: FamilyForecast) -> pd.DataFrame:
    """The ways of making the forecasts add up, with their typical error on the past per level."""
    levels = ["total", *result.family, result.id]
    rows = []
    for s in result.scores:
        row: dict[str, object] = {"way": s.label + (" (used)" if s.chosen else "")}
        for lv in levels:
            if lv in s.mase:
                row[f"error: {'all products' if lv == 'total' else lv}"] = number(s.mase[lv])
        rows.append(row)
    return pd.DataFrame(rows)


def render_families(result: FamilyForecast, value_name: str | None = None) -> None:
    """Draw the family totals, the reconciliation sentence, the totals table and the new products' notes."""
    st.header("Product families")
    st.info(esc(result.sentence), icon="🧮")
    column = result.family[0]
    if len(result.family) > 1:
        column = st.radio("Totals per", list(result.family), format_func=esc, horizontal=True, key="families_level")
    chart(family_totals_figure(result, value_name=value_name, level=column))
    st.markdown(f"**Forecast per {esc(column)}** (these add up to the products' forecasts below)")
    st.dataframe(totals_table(result, column), hide_index=True)
    for p in result.new_products:
        st.caption(f"🌱 {esc(p.note)}")
    others = [n for n in result.notes if n not in {p.note for p in result.new_products}]
    for note in others:
        st.caption(f"ℹ️ {esc(note)}")
    if result.scores:
        with st.expander("How the ways of making them add up did on the past"):
            st.caption(
                "Typical error on the past as a multiple of simply repeating the last season (lower is better), "
                "tested on the same past dates for every way."
            )
            st.dataframe(scores_table(result), hide_index=True)

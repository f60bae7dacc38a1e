"""What a student learns from Keel (issue 20), drawn on the pages: how columns relate (Data), why the model
gave this answer for this row (Predict), and the glossary behind the terms."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from core import charts
from core.charts import MEASURE_WORDS
from core.vocab import TERMS, count, explain_term, number, percent
from ui.common import chart, details, esc

TOP_PAIRS = 6  # pairs told in sentences
TARGET_CHARTS = 6  # columns drawn against the target; the others in sentences


def term_help(key: str) -> str | None:
    """A term's plain explanation for a ``help=`` tooltip (None when the glossary has no entry)."""
    return explain_term(key) or None


def glossary(keys: list[str], label: str = "What these measures mean") -> None:
    """A closed expander with the glossary entries of ``keys``: title, meaning and the worked example."""
    with details(label):
        for key in keys:
            term = TERMS.get(key)
            if term is not None:
                example = f" *For example:* {esc(term.example)}" if term.example else ""
                st.markdown(f"**{esc(term.title)}** — {esc(term.meaning)}{example}")


def _findings_about(columns: tuple[str, str], findings: list[Any]) -> list[str]:
    return [f.message for f in findings if f.column in columns]


def relationships(found: Any, frame: pd.DataFrame, target: str | None, findings: list[Any]) -> None:
    """The Relationships tab: the grid of pair strengths, the strongest pairs in sentences, the pairs that say
    the same thing (with what the findings say about them) and, with a target, each column against it."""
    st.caption(
        "How strongly the columns go together, each pair measured the way that fits it. "
        "Going together is not causing: it says what a model can learn from, not why."
    )
    used = sorted({p.measure for p in found.pairs}, key=list(MEASURE_WORDS).index)
    chart(charts.relations_figure(found))
    if used:
        st.caption(
            f"Measured with: {', '.join(MEASURE_WORDS[m] for m in used)}. Their meaning is under 'What these "
            "measures mean' below."
        )
    told = [p for p in found.pairs if p.sentence][:TOP_PAIRS]
    if told:
        st.markdown("**The strongest pairs**")
        st.markdown("\n".join(f"- {esc(p.sentence)}" for p in told))
    twins = [p for p in found.pairs if p.redundant]
    for p in twins:
        about = _findings_about((p.a, p.b), findings)
        more = (" The Findings tab says about them: " + " ".join(esc(m) for m in about)) if about else ""
        st.warning(
            f"'{esc(p.a)}' and '{esc(p.b)}' say nearly the same thing ({MEASURE_WORDS[p.measure]} "
            f"{esc(number(round(p.strength, 2)))}). A model needs only one of them; keeping both can make its reasons "
            f"hard to read.{more}",
            icon="👯",
        )
    for note in found.notes:
        st.caption(f"ℹ️ {esc(note)}")
    glossary([*used, "mutual_information", "p_value"])
    if target is None or found.target is None:
        st.info("Choose a column to predict at the top of the page to see how each column relates to it.", icon="👆")
        return
    st.subheader(f"Each column against '{esc(target)}'")
    if not found.target:
        st.info(f"No column could be measured against '{esc(target)}'.", icon="ℹ️")
        return
    for link in found.target[:TARGET_CHARTS]:
        with st.container(border=True):
            chart(charts.target_relation_figure(frame[link.column], frame[target], link.column_kind, found.target_kind))
            st.markdown(esc(link.sentence), help=term_help(link.measure))
            if not link.enough_data:
                st.caption(f"ℹ️ Only {count(link.rows, 'row')} have both values: read this with care.")
            elif link.p_value is not None and link.p_value > 0.05 and abs(link.strength) >= 0.1:
                st.caption(
                    f"ℹ️ This could well be chance: a pattern at least this strong shows up by chance alone in "
                    f"{percent(link.p_value)} of tables like this one.",
                    help=term_help("p_value"),
                )
    rest = found.target[TARGET_CHARTS:]
    if rest:
        with details(f"The other {count(len(rest), 'column')}"):
            st.markdown("\n".join(f"- {esc(link.sentence)}" for link in rest))


def row_explanation(explanation: Any) -> None:
    """Why the model gave this answer for this row: the sentence and the bar chart of the biggest pushes."""
    st.markdown(f"**{esc(explanation.headline)}**", help=term_help("base"))
    st.info(esc(explanation.sentence), icon="💡")
    chart(charts.contributions_figure(explanation, is_share=explanation.is_share))
    st.caption(esc(TERMS["contribution"].meaning))

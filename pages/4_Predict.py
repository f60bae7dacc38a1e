"""Make predictions: score a whole file, or fill in one row."""

import datetime as dt

import streamlit as st

from core import charts, jobs, store
from core.errors import KeelError
from core.models import (
    KeelModel,
    RowExplanation,
    common_categories,
    explain_one,
    load_registered,
    predict_one,
    score_upload,
    to_safe_csv,
)
from core.paths import keel_home
from ui import learn, state
from ui.common import chart, choose, esc, guard, need, page
from ui.words import cut_off_words, model_words

page("Make predictions", "🎯")
st.title("🎯 Make predictions")
st.markdown("Choose a model, then upload a file of new rows to get an answer for each, or fill in one row by hand.")

models = store.list_models()
need(bool(models), "Train a model first; then you can use it here.", "pages/2_Train.py", "Train a model →")
ordered = sorted(models, key=lambda m: (m.stage != "champion", -m.id))
info = choose("Model", ordered, state.MODEL_ID, model_words)
cut_off = cut_off_words(info)
if cut_off:
    st.caption(f"✂️ {esc(cut_off)} Change it on 'How good is it?' or 'My models'.")


@st.cache_resource(max_entries=4, show_spinner=False)
def loaded_model(model_id: int, sha: str, home: str) -> KeelModel:
    """A fitted model, shared read-only across sessions (keyed by its verified hash)."""
    return load_registered(model_id)[1]


@st.cache_data(max_entries=8, show_spinner=False)
def form_categories(model_id: int, sha: str, home: str) -> dict[str, list[str]]:
    """Each category column's choices for the one-row form: those at least two training rows have."""
    try:
        training = store.load_dataset(info.dataset_id) if info.dataset_id is not None else None
    except KeelError:  # the training data was deleted: the schema's list
        training = None
    return common_categories(loaded_model(model_id, sha, home), training)


@st.cache_data(max_entries=32, show_spinner=False)
def why(model_id: int, sha: str, home: str, values: dict) -> RowExplanation:
    """The one row's explanation; a linear model starts from its training rows' average."""
    return explain_one(values, loaded_model(model_id, sha, home), dataset_id=info.dataset_id)


with guard():
    model = loaded_model(info.id, info.artifact_sha256, str(keel_home()))
    choices = form_categories(info.id, info.artifact_sha256, str(keel_home()))
features = info.schema.get("features", [])

tab_file, tab_row = st.tabs(["Score a file", "One row"])

with tab_file:
    st.caption(
        "Upload rows with the same columns the model learned from: "
        + ", ".join(f"'{esc(f['name'])}'" for f in features[:15])
        + ("…" if len(features) > 15 else "")
        + ". Extra columns are kept in the output and ignored by the model."
    )
    uploaded = st.file_uploader("File to score", key="predict_upload")
    if uploaded is not None:
        with guard():
            with st.spinner("Reading and scoring your file…"):
                # In a worker process: a hostile file or a fault while scoring cannot take the server down.
                report, scored = jobs.run_isolated(
                    f"Scoring '{uploaded.name}'", score_upload, uploaded.getvalue(), uploaded.name, info.id
                )
            for message in report.errors:
                st.error(esc(message), icon="⚠️")
            if not report.ok:
                st.info("Fix the file and upload it again.", icon="👉")
                st.stop()
            for message in report.warnings:
                st.warning(esc(message), icon="⚠️")
            for note in report.notes:
                st.caption(f"ℹ️ {esc(note)}")
            st.success(f"Scored {len(scored):,} rows.", icon="✅")
            # on screen the answers come first (the file keeps the input's column order, then the answers)
            answers = [c for c in scored.columns if c == "prediction" or str(c).startswith(("proba_", "chance_"))]
            st.dataframe(scored.head(200)[answers + [c for c in scored.columns if c not in answers]], hide_index=True)
            st.download_button(
                "Download the predictions (CSV)",
                to_safe_csv(scored),
                file_name="predictions.csv",
                mime="text/csv",
                type="primary",
            )
            st.caption(
                "Cells that start with =, +, - or @ are written so a spreadsheet shows them as text "
                "and never runs them as formulas."
            )

with tab_row:
    st.caption(
        "Fill in what you know. Numbers start at the middle value seen in training; a choice left "
        "on 'unknown' is treated as missing."
    )
    with st.form("one_row"):
        values = {}
        for f in features:
            name, kind = f["name"], f.get("kind")
            label = esc(name)
            if kind == "numeric":
                lo, hi, mid = f.get("min"), f.get("max"), f.get("median")
                values[name] = st.number_input(
                    label, value=mid, help=None if lo is None else f"seen from {lo:g} to {hi:g}"
                )
            elif kind == "boolean":
                values[name] = st.selectbox(
                    label, [None, True, False], format_func=lambda v: "unknown" if v is None else ("yes" if v else "no")
                )
            elif kind == "datetime":
                values[name] = st.date_input(label, value=None, min_value=dt.date(1900, 1, 1))
            else:
                values[name] = st.selectbox(
                    label,
                    [None, *choices.get(name, f.get("categories", []))],
                    format_func=lambda v: "unknown" if v is None else v,
                )
        submitted = st.form_submit_button("Predict", type="primary")
    if submitted:
        with guard():
            result = predict_one(values, model)
            st.success(esc(result.sentence), icon="🎯")
            if result.probabilities:
                chart(charts.probability_figure(result.probabilities, result.prediction))
            for note in result.notes:
                st.caption(f"ℹ️ {esc(note)}")
        with guard(stop=False):
            learn.row_explanation(why(info.id, info.artifact_sha256, str(keel_home()), values))

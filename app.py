"""Keel — Home. Run with ``./run`` (or ``streamlit run app.py``)."""

import streamlit as st

from core import store
from core.data import SAMPLES, load_sample
from core.vocab import minutes
from ui import state
from ui.common import esc, guard, page
from ui.words import dataset_words, model_words

page("Home", "⚓")

st.title("⚓ Keel")
st.markdown(
    "**Look after machine-learning models without being a data scientist.** "
    "Upload a spreadsheet, see what is wrong with it, predict a column or forecast sales, "
    "and keep an eye on your model as new data arrives. Everything stays on this computer."
)

cols = st.columns(4)
steps = (
    ("1 · Check your data", "Missing values, duplicates, personal data, columns that give the answer away."),
    ("2 · Train a model", "Keel tries several and compares them with a simple guess."),
    ("3 · Use it", "Score a file or a single row; forecast and get an order list."),
    ("4 · Watch it", "Spot when new data drifts and when to retrain."),
)
for col, (title, text) in zip(cols, steps):
    col.markdown(f"**{title}**  \n{text}")

st.header("Start with a sample")
st.caption("One click loads it and shows what Keel finds. Or bring your own file on the Data page.")
sample_cols = st.columns(len(SAMPLES))
for col, sample in zip(sample_cols, SAMPLES):
    with col.container(border=True):
        st.markdown(f"**{sample.title}**")
        st.caption(sample.who)
        st.write(sample.description)
        if st.button("Open this sample", key=f"sample_{sample.key}", type="primary"):
            with guard():
                with st.spinner("Loading…"):
                    info = load_sample(sample.key)
                st.session_state[state.DATASET_ID] = info.id
                if sample.target:
                    st.session_state[state.TARGET] = {info.id: sample.target}
                st.switch_page("pages/1_Data.py")

st.page_link("pages/1_Data.py", label="Upload your own file →", icon="📤")

st.header("Recent work")
with guard(stop=False):
    datasets = store.list_datasets()[:5]
    models = store.list_models()
    if not datasets and not models:
        st.caption("Nothing yet — open a sample above to get started.")
        st.stop()
    left, right = st.columns(2)
    with left:
        st.markdown("**Datasets**")
        for d in datasets:
            st.markdown(f"- {esc(dataset_words(d))}")
    with right:
        st.markdown("**Models**")
        for m in sorted(models, key=lambda m: m.created_at, reverse=True)[:5]:
            st.markdown(f"- {esc(model_words(m))} · {esc(minutes(m.created_at))}")

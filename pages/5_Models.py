"""My models: versions, stages (champion/candidate/retired), compare, model card, cut-off, delete."""

import re

import streamlit as st

from core import charts, store, workflows
from core.models import compact_variants, export_content, keep_variant
from core.paths import keel_home
from core.vocab import format_metric, number
from core.vocab import metric_label as metric_name
from ui import state
from ui.common import chart, choose, details, esc, guard, need, page
from ui.words import cut_off_words, model_kind, model_words

page("My models", "🗂️")
st.title("🗂️ My models")
st.markdown(
    "Every training run is kept as a new version. The one marked *in use* answers when you make predictions; "
    "you can switch, compare, describe and delete versions here."
)

# What a person writes on the model card: the field, its question, and an example.
CARD_QUESTIONS = {
    "intended_use": ("What is it for?", "e.g. Flag customers likely to leave next month, for a call from the team."),
    "not_for": ("What must it not be used for?", "e.g. Deciding prices or refusing service to anyone."),
    "limitations": ("What are its known limits?", "e.g. Trained on 2023 customers from one country only."),
    "owner": ("Who looks after it?", "e.g. Sam, customer team (sam@example.com)"),
    "notes": ("Anything else a reader should know?", ""),
}

models = store.list_models()
need(bool(models), "No models yet. Train one and it appears here as version 1.", "pages/2_Train.py", "Train a model →")

by_id = {m.id: m for m in models}
info = choose("Look at one version", models, state.MODEL_ID, model_words)

left, mid, right = st.columns(3)
if info.stage == "champion":
    left.markdown(f"🏆 **In use.** Predictions by the name {esc(info.name)} use this version.")
elif left.button("🏆 Make this the one in use", type="primary"):
    with guard():
        had_champion = any(m.name == info.name and m.stage == "champion" for m in models)
        store.set_stage(info.id, "champion", reason="chosen by the user")
        st.session_state[state.FLASH] = f"{esc(info.label)} is now in use" + (
            "; the previous one was retired." if had_champion else "."
        )
        st.rerun()
if info.stage != "retired" and mid.button("📦 Retire"):
    with guard():
        store.set_stage(info.id, "retired", reason="retired by the user")
        st.rerun()
with right, guard(stop=False):
    st.download_button(
        "📄 Download the model card (HTML)",
        workflows.model_card(info),
        file_name=f"model-card-{info.id}.html",
        mime="text/html",
    )
st.caption(
    esc(
        f"{info.label} predicts '{info.target}' from {len(info.schema.get('features', []))} columns "
        f"(kind of model: {model_kind(info.algorithm)})."
    )
)

cut_off = cut_off_words(info)
if cut_off:
    st.info(esc(cut_off), icon="✂️")
    if st.button("Go back to the most likely answer (no cut-off)", key=f"cut_off_default_{info.id}"):
        with guard():
            store.set_threshold(info.id, None, reason="back to the default, on 'My models'")
            st.session_state[state.FLASH] = f"{esc(info.label)} answers with the likelier answer again."
            st.rerun()

st.header("Model card")
st.caption(
    "What the downloaded card says about this version beyond the numbers. Write it for someone who was not there."
)
with st.form(f"card_{info.id}"):
    fields = {
        key: st.text_area(question, value=info.card.get(key, ""), placeholder=example, max_chars=4000, height=80)
        for key, (question, example) in CARD_QUESTIONS.items()
        if key in store.CARD_FIELDS
    }
    if st.form_submit_button("Save the model card"):
        with guard():
            store.update_card(info.id, fields)
            st.session_state[state.FLASH] = f"Saved the card of {esc(info.label)}; the download includes it."
            st.rerun()

st.header("All versions")
st.dataframe(charts.models_table(models), hide_index=True)
metric_keys = sorted({k for m in models for k, v in m.metrics.items() if isinstance(v, (int, float))})
if metric_keys:
    # the plainest measure first: right answers for a classifier, the typical error for a number
    default = next((k for k in ("accuracy", "mae", "roc_auc", "r2") if k in metric_keys), metric_keys[0])
    metric = st.selectbox("Compare versions on", metric_keys, index=metric_keys.index(default), format_func=metric_name)
    with guard(stop=False):
        chart(charts.metric_over_versions_figure(models, metric))

# versions of the same model first (the comparison that means something), then the rest
others = sorted((m for m in models if m.id != info.id), key=lambda m: (m.name != info.name, -m.version))
if others:
    st.header("Side by side")
    other_id = st.selectbox("Compare with", [m.id for m in others], format_func=lambda i: model_words(by_id[i]))
    other = by_id[other_id]
    st.dataframe(charts.side_by_side_table(info, other), hide_index=True)
    if other.name == info.name:
        st.caption(
            "Each version was scored on the test rows of its own training data, so small differences "
            "may come from the rows, not the model. The retrain gate compares versions on the same "
            "new rows; its decisions are in the stage history."
        )
    else:
        st.caption(
            "These are different models, possibly of different data: compare them only if they "
            "predict the same thing for the same rows."
        )


@st.cache_data(max_entries=16, show_spinner=False)
def reproduction(model_id: int, sha: str, home: str, kind: str) -> bytes:
    """The notebook or script that reruns this version's training (made in memory, never written)."""
    return export_content(model_id, kind)


st.header("Make it smaller")
st.caption(
    "Keel can make smaller, faster copies of this version (fewer or shallower trees, or a small model that "
    "learned from this one's answers) and measure them on the same test rows. Keep one as a new version if it "
    "is nearly as good; you decide which version is in use."
)
if st.button("Measure smaller copies", key=f"compact_{info.id}"):
    with guard(stop=False), st.spinner("Making and measuring smaller copies…"):
        found = compact_variants(info.id)
        rows = [("this version", found.original, "")] + [(v.label, v.measured, v.verdict) for v in found.variants]
        table = [
            {
                "version": name,
                "file size (KB)": round(m.size_bytes / 1024, 1),
                "one answer takes (ms)": round(m.latency_ms, 1),
                metric_name(found.primary): format_metric(found.primary, m.metrics.get(found.primary)),
                metric_name(found.proper): format_metric(found.proper, m.metrics.get(found.proper)),
            }
            for name, m, _ in rows
        ]
        # the verdicts are sentences: said below the table, where a phone shows them whole
        verdicts = [f"{name}: {verdict}" for name, _, verdict in rows if verdict]
        offered = {v.key: v.label for v in found.variants}
        st.session_state[state.COMPACT] = (info.id, table, offered, verdicts + list(found.notes), found.holdout_rows)
kept_compact = st.session_state.get(state.COMPACT)
if kept_compact is not None and kept_compact[0] == info.id:
    _, table, offered, notes, rows_measured = kept_compact
    st.caption(f"Measured on the same {number(rows_measured)} test rows.")
    st.dataframe(table, hide_index=True)
    for note in notes:
        st.markdown(f"- {esc(note)}")
    if offered:
        pick = st.selectbox("Keep which copy?", list(offered), format_func=lambda k: offered[k])
        if st.button("Keep it as a new version", type="primary"):
            with guard(stop=False), st.spinner("Making it again and keeping it…"):
                _, new = keep_variant(info.id, pick)
                st.session_state.pop(state.COMPACT, None)
                st.session_state[state.FLASH] = (
                    f"Kept {esc(new.label)} ({esc(offered[pick])}) as a candidate. Open it above and choose "
                    "'Make this the one in use' to serve it."
                )
                st.rerun()

st.header("Rerun it yourself")
stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", info.name).strip(".-") or "model"
st.caption(
    "A notebook (Jupyter) or a Python script that reruns what Keel did for this version: it reads the same "
    "data from Keel's store, trains the same candidates with the same split and seed, and prints the same "
    "hold-out scores. Change it to learn from it."
)
with guard(stop=False):
    book, script = (
        reproduction(info.id, info.artifact_sha256, str(keel_home()), kind) for kind in ("notebook", "script")
    )
    left, right = st.columns(2)
    left.download_button(
        "📓 Download as a notebook (.ipynb)",
        book,
        file_name=f"{stem}-v{info.version}.ipynb",
        mime="application/x-ipynb+json",
        key=f"export_notebook_{info.id}",
    )
    right.download_button(
        "🐍 Download as a script (.py)",
        script,
        file_name=f"{stem}-v{info.version}.py",
        mime="text/x-python",
        key=f"export_script_{info.id}",
    )

with details("Stage history of this version"):
    st.dataframe(charts.stage_history_table(store.stage_history(info.id)), hide_index=True)

with st.expander("Delete this version"):
    st.warning(
        f"Deleting {esc(info.label)} removes the model file and its monitoring history. Its training data stays.",
        icon="🗑️",
    )
    if st.checkbox("I understand", key=f"confirm_model_delete_{info.id}") and st.button("Delete model"):
        with guard():
            store.delete_model(info.id)
            st.session_state.pop(state.MODEL_ID, None)
            st.session_state[state.FLASH] = f"Deleted {esc(info.label)}."
            st.rerun()

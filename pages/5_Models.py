"""My models: versions, stages (champion/candidate/retired), compare, model card, delete."""

import streamlit as st

from core import charts, store, workflows
from core.vocab import metric_label as metric_name
from ui import state
from ui.common import chart, choose, esc, guard, need, page

page("My models", "🗂️")
st.title("🗂️ My models")

models = store.list_models()
need(bool(models), "No models yet. Train one and it appears here as version 1.", "pages/2_Train.py", "Train a model →")

st.dataframe(charts.models_table(models), hide_index=True)

names = sorted({m.name for m in models})
metric_keys = sorted({k for m in models for k, v in m.metrics.items() if isinstance(v, (int, float))})
if metric_keys:
    default = "roc_auc" if "roc_auc" in metric_keys else ("r2" if "r2" in metric_keys else metric_keys[0])
    metric = st.selectbox("Compare versions on", metric_keys, index=metric_keys.index(default), format_func=metric_name)
    with guard(stop=False):
        chart(charts.metric_over_versions_figure(models, metric))

by_id = {m.id: m for m in models}
info = choose("Look at one version", models, state.MODEL_ID, lambda m: f"{m.label} ({m.stage})")

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

st.markdown("**Stage history**")
st.dataframe(charts.stage_history_table(store.stage_history(info.id)), hide_index=True)

# versions of the same model first (the comparison that means something), then the rest
others = sorted((m for m in models if m.id != info.id), key=lambda m: (m.name != info.name, -m.version))
if others:
    st.subheader("Side by side")
    other_id = st.selectbox("Compare with", [m.id for m in others], format_func=lambda i: by_id[i].label)
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
    st.caption(
        f"{esc(info.label)}: {esc(info.algorithm)}, {len(info.schema.get('features', []))} columns · "
        f"{esc(other.label)}: {esc(other.algorithm)}, {len(other.schema.get('features', []))} columns"
    )

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

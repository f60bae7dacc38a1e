"""Monitor: has new data drifted from what the model learned, has it got worse, should it be retrained?"""

import streamlit as st

from core import charts, jobs, store, workflows
from core.data import read_table
from core.monitoring import alerts, history_table, monitor_batch
from core.vocab import minutes as minutes_text
from ui import state
from ui.common import chart, choose, esc, guard, need, page

page("Monitor", "🩺")
st.title("🩺 Monitor")
st.caption(
    "Upload each new batch of data (say, last month's). Keel compares it with what the model learned "
    "from, estimates how well the model is doing — even before you know the real outcomes — and tells "
    "you whether to retrain."
)

ACTION_WORDS = {
    "none": ("✅ Nothing to do", "success"),
    "review": ("👀 Take a look", "warning"),
    "retrain": ("🔁 Retrain recommended", "error"),
}

models = store.list_models()
need(bool(models), "Train a model first; then you can watch it here.", "pages/2_Train.py", "Train a model →")
ordered = sorted(models, key=lambda m: (m.stage != "champion", -m.id))
info = choose("Model", ordered, state.MODEL_ID, lambda m: f"{m.label} — predicts '{m.target}' ({m.stage})")

uploaded = st.file_uploader("New batch of data", key="monitor_upload")
if uploaded is not None:
    with guard():
        table = jobs.run_isolated(f"Reading '{uploaded.name}'", read_table, uploaded.getvalue(), name=uploaded.name)
    cols = [str(c) for c in table.frame.columns]
    labels = st.selectbox(
        "Column with the real outcome (if you know it yet)",
        [None, *cols],
        index=(cols.index(info.target) + 1) if info.target in cols else 0,
        format_func=lambda c: "— not known yet —" if c is None else c,
    )
    if st.button("Check this batch", type="primary"):
        with guard(), st.spinner("Comparing with the training data…"):
            result = monitor_batch(info.id, table.frame, labels_column=labels)
            st.session_state[state.MONITOR_RESULT] = result
            st.session_state[state.MONITOR_FRAME] = table.frame

result = st.session_state.get(state.MONITOR_RESULT)
if result is not None and result.model.get("id") == info.id:
    words, box = ACTION_WORDS.get(result.action, (result.action, "info"))
    getattr(st, box)(f"**{esc(words)}.** {esc(result.explain)}")
    for t in result.triggers:
        mark = "🔔" if t.fired else "·"
        st.markdown(f"{mark} {esc(t.detail)}" + (" (recently alerted; waiting)" if t.cooling_down else ""))
    if result.performance is not None:
        st.subheader("How well is it doing?")
        st.markdown(esc(result.performance.explain))
    if result.drift is not None:
        st.subheader("What changed in the data")
        with guard(stop=False):
            chart(charts.drift_overview_figure(result.drift))
        st.dataframe(charts.drift_table(result.drift), hide_index=True)
        # drawn from the shares the drift check kept for charts: the training data is not read again
        compared = [c for c in result.drift.columns if c.verdict in ("drifted", "no drift")]
        if compared:
            names = [c.column for c in compared]
            first = next((i for i, c in enumerate(compared) if c.drifted), 0)
            column = st.selectbox("Compare one column", names, index=first)
            with guard(stop=False):
                chart(charts.drift_histogram_figure(compared[names.index(column)]))

st.subheader("Over time")
with guard(stop=False):
    batches = store.list_batches(info.id)
    if not batches:
        st.caption("No batches recorded yet for this model.")
    else:
        chart(charts.drift_timeline_figure(batches))
        chart(charts.performance_timeline_figure(batches))
        st.dataframe(history_table(info.id, batches), hide_index=True)

st.subheader("Alerts")
with guard(stop=False):
    open_alerts = alerts(info.id, include_acknowledged=False)
    if not open_alerts:
        st.caption("No open alerts.")
    for i, alert in enumerate(open_alerts[:20]):
        cols = st.columns([5, 1])
        cols[0].markdown(
            f"🔔 **{esc(alert.action)}** · batch {alert.batch_id} · {esc(minutes_text(alert.created_at))} — "
            f"{esc(alert.detail)}"
        )
        if cols[1].button("Seen", key=f"ack_{alert.batch_id}_{alert.rule}_{i}"):
            store.acknowledge_alert(alert.batch_id, alert.rule)
            st.rerun()

st.subheader("Retrain")
st.caption(
    "Keel trains a new model on the training data plus the new batch's labelled rows, keeps the newest "
    "rows aside, scores the current model and the new one on exactly those rows, and switches only if "
    "the new one is clearly better. You can always switch back."
)
frame_for_retrain = st.session_state.get(state.MONITOR_FRAME)
margin = st.slider("The new model must be better by at least (points)", 0.0, 10.0, 1.0, 0.5) / 100
if frame_for_retrain is None:
    st.caption("Check a batch that includes the real outcomes first.")
elif st.button("Retrain with this batch"):
    with guard(), st.spinner("Training a challenger and comparing it with the current model…"):
        outcome = workflows.retrain_with_gate(info.id, frame_for_retrain, margin=margin)
    box = st.success if outcome.decision.decision == "promote" else st.info
    box(
        f"New version {esc(outcome.challenger.label)}: {esc(outcome.decision.reason)} "
        f"(compared on {outcome.holdout_rows:,} recent rows)."
    )
if store.previous_champion(info.name) is not None and st.button("↩️ Go back to the previous model in use"):
    with guard():
        back = workflows.rollback(info.name)
        st.session_state[state.FLASH] = f"{esc(back.label)} is in use again."
        st.rerun()

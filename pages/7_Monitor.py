"""Monitor: has new data drifted from what the model learned, has it got worse, should it be retrained?"""

import streamlit as st

from core import charts, jobs, store, workflows
from core.data import read_table
from core.monitoring import alerts, api_traffic_summary, history_table, margin_words, monitor_batch, rules_table
from core.vocab import minutes as minutes_text
from ui import state
from ui.common import chart, choose, details, esc, guard, need, page
from ui.words import model_words

page("Monitor", "🩺")
st.title("🩺 Monitor")
st.markdown(
    "Upload each new batch of data (say, last month's). Keel compares it with what the model learned from, "
    "tells you whether the model still does its job, even before you know the real outcomes, and when to retrain."
)

# The headline's words are core.monitoring's ('No action needed', 'Retrain recommended'), the same as the
# command line's and the alerts'; the page adds a mark and a colour.
ALERT_WORDS = {"review": "Worth a review", "retrain": "Retrain recommended"}  # core.monitoring's words
ACTION_BOX = {"none": ("✅", "success"), "review": ("👀", "warning"), "retrain": ("🔁", "error")}

models = store.list_models()
need(bool(models), "Train a model first; then you can watch it here.", "pages/2_Train.py", "Train a model →")
ordered = sorted(models, key=lambda m: (m.stage != "champion", -m.id))
info = choose("Model", ordered, state.MODEL_ID, model_words)

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
            st.session_state[state.MONITOR_FRAME] = (info.id, table.frame)  # the batch, for retraining this model

# A checked batch belongs to the model it was checked against: another model (or the new version after a
# retrain) never shows it.
result = st.session_state.get(state.MONITOR_RESULT)
if result is not None and result.model.get("id") == info.id:
    mark, box = ACTION_BOX.get(result.action, ("ℹ️", "info"))
    headline = result.headline or result.action
    drift_words = result.drift.explain if result.drift is not None else ""
    held = [t for t in result.triggers if t.fired]
    # the verdict and why, in at most three sentences: the rules that hold say it in plain words (every rule,
    # with its measure and limit, is one click away); with none, what moved in the data
    why = " ".join(
        t.finding or t.detail for t in held[:2]
    )  # a cool-down is said once, in the headline + (" (and more below)" if len(held) > 2 else "")
    getattr(st, box)(f"{mark} **{esc(headline)}** {esc(why or drift_words)}")
    if result.performance is not None:
        st.header("How well is it doing?")
        st.markdown(esc(result.performance.explain))
    if result.drift is not None:
        st.header("What changed in the data")
        if why:
            st.markdown(esc(drift_words))
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
    with details():
        st.markdown("**Every rule Keel checked**")
        for t in result.triggers:
            st.markdown(
                f"{'🔔' if t.fired else '·'} {esc(t.detail)}"
                + (" (already reported; waiting)" if t.cooling_down else "")
            )
        st.dataframe(rules_table(result.triggers), hide_index=True)
        for note in result.notes:
            st.caption(f"ℹ️ {esc(note)}")
        if result.drift is not None:
            st.markdown("**How each column was compared**")
            st.dataframe(charts.drift_details_table(result.drift), hide_index=True)

st.header("Over time")
with guard(stop=False):
    batches = store.list_batches(info.id)
    if not batches:
        st.caption("No batches recorded yet for this model.")
    else:
        chart(charts.drift_timeline_figure(batches))
        chart(charts.performance_timeline_figure(batches))
        with details():
            st.dataframe(history_table(info.id, batches), hide_index=True)

st.header("Alerts")
with guard(stop=False):
    open_alerts = alerts(info.id, include_acknowledged=False)
    if not open_alerts:
        st.caption("No open alerts for this model.")
    for i, alert in enumerate(open_alerts[:20]):
        cols = st.columns([5, 1])
        cols[0].markdown(
            f"🔔 **{esc(ALERT_WORDS.get(alert.action, alert.action))}** · batch {alert.batch_id} · "
            f"{esc(minutes_text(alert.created_at))} — "
            f"{esc(alert.detail)}"
        )
        if cols[1].button("Seen", key=f"ack_{alert.batch_id}_{alert.rule}_{i}"):
            store.acknowledge_alert(alert.batch_id, alert.rule)
            st.rerun()

st.header("Requests from other programs")
with guard(stop=False):
    traffic = api_traffic_summary([m.id for m in models if m.name == info.name])
    if traffic is None:
        st.caption(
            "No program has asked this model for predictions in the last 24 hours. A till, a web form or a "
            "spreadsheet can: start Keel's scoring service with `python -m core serve` and give it a key "
            "(`python -m core apikey create NAME`); its requests show up here within seconds."
        )
    else:
        st.markdown(esc(traffic.sentence))
        if traffic.refused_sentence:
            st.markdown(esc(traffic.refused_sentence))
        chart(charts.api_traffic_figure(traffic))

st.header("Retrain")
st.caption(
    "Keel trains a new model on the training data plus the new batch's labelled rows, keeps the newest "
    "rows aside, scores the current model and the new one on exactly those rows, and switches only if "
    "the new one is clearly better. You can always switch back."
)
kept = st.session_state.get(state.MONITOR_FRAME)
frame_for_retrain = kept[1] if kept is not None and kept[0] == info.id else None
# in the measure the gate judges by (a number model's typical error, not R²), named in plain words
asked = margin_words(info.params.get("primary_metric"))
margin = st.slider(esc(asked.label), 0.0, 10.0, 1.0, 0.5, help=esc(asked.help)) / 100
if frame_for_retrain is None:
    st.caption("Check a batch that includes the real outcomes first.")
elif st.button("Retrain with this batch"):
    with guard(), st.spinner("Training a challenger and comparing it with the current model…"):
        outcome = workflows.retrain_with_gate(info.id, frame_for_retrain, margin=margin)
    promoted = outcome.decision.decision == "promote"
    # The page starts again on the model now in use: its picker lists the new version, and the old
    # version's verdict and alerts (which the retrain answered) are no longer shown as this model's.
    st.session_state[state.MODEL_ID] = outcome.challenger.id if promoted else info.id
    if promoted:
        st.session_state.pop(state.MONITOR_RESULT, None)
        st.session_state.pop(state.MONITOR_FRAME, None)
    st.session_state[state.FLASH] = esc(
        f"New version {outcome.challenger.label}: {outcome.decision.reason} "
        f"(compared on {outcome.holdout_rows:,} recent rows). "
        + (f"{outcome.challenger.label} is now in use; watch it here." if promoted else f"{info.label} stays in use.")
    )
    st.rerun()
if store.previous_champion(info.name) is not None and st.button("↩️ Go back to the previous model in use"):
    with guard():
        back = workflows.rollback(info.name)
        st.session_state[state.MODEL_ID] = back.id
        st.session_state[state.FLASH] = f"{esc(back.label)} is in use again."
        st.rerun()

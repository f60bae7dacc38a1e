"""How good is it? Metrics with intervals, the gap to a simple guess, curves, slices,
calibration, robustness, what drives it, and a decision threshold from the user's costs."""

import pandas as pd
import streamlit as st

from core import charts, store, workflows
from core.models import evaluate
from ui import state
from ui.common import chart, choose, esc, guard, need, page

page("How good is it?", "📏")
st.title("📏 How good is it?")

models = store.list_models()
need(bool(models), "Train a model first; then its report card appears here.", "pages/2_Train.py", "Train a model →")
info = choose(
    "Model",
    sorted(models, key=lambda m: m.id, reverse=True),
    state.MODEL_ID,
    lambda m: f"{m.label} — {m.algorithm}, predicts '{m.target}' ({m.stage})",
)

with guard():
    report = workflows.stored_report(info)
if report is None:
    st.info("This model has no stored evaluation. Train it again to get one.")
    st.stop()
ev = report.evaluation

for warning in info.params.get("warnings", []):
    st.warning(esc(warning), icon="⚠️")


def explained(sentences, figure) -> None:
    """What a check found, in words, then its chart."""
    for sentence in sentences:
        st.markdown(f"- {esc(sentence)}")
    chart(figure)


st.subheader("In short")
for sentence in evaluate.explain_evaluation(ev):
    st.markdown(f"- {esc(sentence)}")

st.dataframe(charts.metrics_table(ev), hide_index=True)
st.caption(
    f"Measured on {ev.n_rows:,} rows the model never saw while training. "
    f"'Likely between' is a 95% range: with other test rows the number would usually land there."
)

is_binary = ev.task == "classification" and len(ev.classes) == 2
tab_names = ["Overview", "Where it goes wrong", "Can I trust its confidence?", "Robustness", "What drives it"]
if is_binary:
    tab_names += ["Yes/no cut-off", "Fairness"]
tabs = st.tabs(tab_names)

with tabs[0], guard(stop=False):
    chart(charts.metrics_ci_figure(ev))
    if ev.task == "classification":
        left, right = st.columns(2)
        chart(charts.confusion_figure(ev), left)
        if ev.roc_curve is not None:
            chart(charts.roc_figure(ev), right)
        if ev.pr_curve is not None:
            chart(charts.pr_figure(ev))
        if ev.per_class:
            st.dataframe(pd.DataFrame([c.to_dict() for c in ev.per_class]), hide_index=True)
    else:
        chart(charts.residuals_figure(ev))

with tabs[1], guard(stop=False):
    if report.slices is None or not report.slices.slices:
        st.info("Not enough rows to compare groups.")
    else:
        explained(evaluate.explain_slices(report.slices), charts.slices_figure(report.slices))

with tabs[2], guard(stop=False):
    if ev.calibration is None:
        st.info("Calibration applies to models that sort into groups.")
    else:
        st.markdown(esc(evaluate.explain_calibration(ev.calibration)))
        chart(charts.calibration_figure(ev.calibration))
        if st.button("Check whether recalibrating would help"):
            with st.spinner("Fitting a calibrator on half the test rows and checking it on the other half…"):
                check = workflows.rescore(info, "recalibration")
            st.session_state[state.RECALIBRATION] = (info.id, check.helps)
            st.markdown(esc(evaluate.explain_recalibration(check)))
        if st.session_state.get(state.RECALIBRATION) == (info.id, True) and st.button(
            "Keep the recalibrated model as a new version", type="primary"
        ):
            with st.spinner("Recalibrating and re-checking…"):
                new = workflows.keep_recalibrated(info.id)
            st.session_state[state.MODEL_ID] = new.id
            st.session_state[state.FLASH] = f"Kept {esc(new.label)}: the same model with more trustworthy confidence."
            st.rerun()

with tabs[3], guard(stop=False):
    if report.robustness is None:
        st.info("No robustness check was stored for this model.")
    else:
        explained(evaluate.explain_robustness(report.robustness), charts.robustness_figure(report.robustness))

with tabs[4], guard(stop=False):
    if report.drivers is None:
        st.info("No importance check was stored for this model.")
    else:
        explained(evaluate.explain_drivers(report.drivers, info.target), charts.importance_figure(report.drivers))
        for item in report.drivers.partial_dependence:
            chart(charts.partial_dependence_figure(item, of_class=report.drivers.of_class, target=info.target))

if is_binary:
    with tabs[5], guard(stop=False):
        positive = ev.positive_label or ev.classes[-1]
        st.markdown(
            f"The model gives each row a chance of '{esc(positive)}'. Above a cut-off it answers "
            f"'{esc(positive)}'. Tell Keel what each kind of mistake costs you and it picks the cut-off "
            "that costs least on the test rows."
        )
        c1, c2, c3 = st.columns(3)
        cost_fa = c1.number_input(f"Cost of a false alarm (says '{esc(positive)}' wrongly)", min_value=0.0, value=1.0)
        cost_miss = c2.number_input(f"Cost of a miss (fails to spot a '{esc(positive)}')", min_value=0.0, value=5.0)
        unit = c3.text_input("Unit", value="£", max_chars=10)
        if st.button("Find the best cut-off"):
            choice = workflows.rescore(
                info, "threshold", positive_label=positive, cost_false_alarm=cost_fa, cost_miss=cost_miss, unit=unit
            )
            st.success(esc(evaluate.explain_threshold(choice, positive_label=positive)))
            chart(charts.threshold_figure(choice, positive_label=positive))

    with tabs[6], guard(stop=False):
        st.markdown(
            "Pick a column that describes a group of people (e.g. age band, region). "
            "Keel compares how often the model says yes, and how often it is right, per group."
        )
        features = [f["name"] for f in info.schema.get("features", []) if f.get("kind") in ("categorical", "boolean")]
        column = st.selectbox(
            "Sensitive column", [None, *features], format_func=lambda c: "— choose —" if c is None else c
        )
        if column:
            fair = workflows.rescore(info, "fairness", positive_label=positive, column=column)
            explained(evaluate.explain_fairness(fair), charts.fairness_figure(fair))

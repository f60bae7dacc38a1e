"""How good is it? The headline in plain words first; then where it goes wrong, whether its confidence can be
trusted, robustness, what drives it, a cut-off from the user's costs (which predictions can then use) and
fairness. Measures with their ranges, curves and per-answer scores are one click away."""

import streamlit as st

from core import charts, store, workflows
from core.models import evaluate, load_registered
from core.paths import keel_home
from core.vocab import percent
from ui import state
from ui.common import chart, choose, details, esc, guard, need, page
from ui.words import cut_off_words, model_words

page("How good is it?", "📏")
st.title("📏 How good is it?")

models = store.list_models()
need(bool(models), "Train a model first; then its report card appears here.", "pages/2_Train.py", "Train a model →")
info = choose("Model", sorted(models, key=lambda m: m.id, reverse=True), state.MODEL_ID, model_words)


@st.cache_data(show_spinner="Explaining a few test rows…", max_entries=16)
def example_rows(model_id: int, sha: str, home: str) -> tuple:
    """A few typical and surprising test rows with why (kept per model file and store: explaining them takes a
    moment, and another store may hold another model under the same id)."""
    return workflows.example_rows(store.get_model(model_id))


@st.cache_data(show_spinner="Measuring the model at your cut-off…", max_entries=16)
def at_cut_off(model_id: int, cut_off: float, sha: str, home: str) -> evaluate.Report:
    """The stored report measured again on the test rows at the model's cut-off (it is part of the key: a new
    cut-off measures again), the way its predictions answer. The model file and the store are in the key too:
    another store may hold another model under the same id."""
    chosen, model = load_registered(model_id)
    X, y = workflows.holdout(chosen)
    return evaluate.at_cutoff(workflows.stored_report(chosen), model, X, y)


with guard():
    report = workflows.stored_report(info)
if report is not None and info.threshold is not None:
    with guard(stop=False):  # if the test rows cannot be read again, the stored report stays and says so below
        report = at_cut_off(info.id, float(info.threshold), info.artifact_sha256, str(keel_home()))
if report is None:
    st.info("This model has no stored evaluation. Train it again to get one.")
    st.stop()
ev = report.evaluation
datasets = {d.id: d for d in store.list_datasets()}
source = datasets.get(info.dataset_id) if info.dataset_id is not None else None
# the report belongs to this model and the data it learned from: say which, so it is never read as another's
st.caption(
    f"The report of {esc(info.label)}, tested on {ev.n_rows:,} rows "
    + (f"of '{esc(source.label)}' " if source else "")
    + "that it never saw while training."
)


def explained(sentences, figure) -> None:
    """What a check found, in words, then its chart."""
    for sentence in sentences:
        st.markdown(f"- {esc(sentence)}")
    chart(figure)


# The headline and the gap to a simple guess: the two sentences anyone needs. The rest is for specialists.
sentences = evaluate.explain_evaluation(ev)
st.header("In short")
for sentence in sentences[:2]:
    st.markdown(esc(sentence))
if info.threshold is not None and ev.cutoff is None:
    st.caption(
        f"✂️ {esc(cut_off_words(info))} These figures could not be measured at it: they count the likelier answer."
    )
elif evaluate.explain_cutoff(ev):  # which cut-off the right answers, the mix-ups and the groups are counted at
    st.caption(f"✂️ {esc(evaluate.explain_cutoff(ev))}")
for warning in info.params.get("warnings", []):
    st.warning(esc(warning), icon="⚠️")
with details():
    for sentence in sentences[2:]:
        st.markdown(f"- {esc(sentence)}")
    st.dataframe(charts.metrics_table(ev), hide_index=True)
    st.caption(
        f"Measured on {ev.n_rows:,} rows the model never saw while training. "
        "'Likely between' is a 95% range: with other test rows the number would usually land there."
    )
    with guard(stop=False):
        chart(charts.metrics_ci_figure(ev))
        if ev.roc_curve is not None:
            chart(charts.roc_figure(ev))
        if ev.pr_curve is not None:
            chart(charts.pr_figure(ev))
        if ev.per_class:
            st.dataframe(charts.per_class_table(ev), hide_index=True)

is_classifier = ev.task == "classification"
is_binary = is_classifier and len(ev.classes) == 2
first_tab = "Which answers it mixes up" if is_classifier else "How far off it is"
tab_names = [first_tab, "Where it goes wrong", "Can I trust its confidence?", "Robustness", "What drives it"]
if is_binary:
    tab_names += ["Yes/no cut-off", "Fairness"]
tabs = st.tabs(tab_names)

with tabs[0], guard(stop=False):
    chart(charts.confusion_figure(ev) if is_classifier else charts.residuals_figure(ev))

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
    rows = example_rows(info.id, info.artifact_sha256, str(keel_home()))
    if rows:
        st.subheader("Rows that show how it thinks")
        st.caption(
            "A few test rows it got right as it usually does, and the ones it got most wrong: the columns that "
            "pushed its answer most. Surprises often point at a missing value, a typing slip or a case it never saw."
        )
        for kind, heading in (("typical", "Typical rows"), ("surprising", "Its biggest surprises")):
            st.markdown(f"**{heading}**")
            for r in (r for r in rows if r.kind == kind):
                st.markdown(
                    f"- Row {r.row}: true answer **{esc(r.truth)}**, it said **{esc(r.answer)}** ({esc(r.how_sure)}). "
                    f"{esc(r.sentence)}"
                )


def stored_cut_off(chosen: float, positive: object) -> float:
    """The store keeps a cut-off on the chance of the second answer in sorted order; the finder's is on the
    chance of ``positive``. With two answers one chance is 1 minus the other."""
    classes = [str(c) for c in info.params.get("classes") or ev.classes]
    return chosen if not classes or str(positive) == classes[-1] else round(1.0 - chosen, 6)


if is_binary:
    with tabs[5], guard(stop=False):
        positive = ev.positive_label or ev.classes[-1]
        named = evaluate.answer_name(positive, ev.target)  # 'churned' for 'yes', 'Survived' for 1
        yes = f"'{esc(named)}'" + ("" if named == str(positive) else f" ({esc(positive)})")
        st.markdown(
            f"The model gives each row a chance of {yes}. Above a cut-off it answers {yes}. Tell Keel what each "
            "kind of mistake costs you and it picks the cut-off that costs least on the test rows."
        )
        in_use = cut_off_words(info)
        if in_use:
            st.info(esc(in_use), icon="✂️")
            if st.button("Go back to the most likely answer (no cut-off)"):
                with guard():
                    store.set_threshold(info.id, None, reason="back to the default, on 'How good is it?'")
                    st.session_state[state.FLASH] = f"{esc(info.label)} answers with the likelier answer again."
                    st.rerun()
        c1, c2, c3 = st.columns(3)
        cost_fa = c1.number_input(f"Cost of a false alarm (says '{esc(named)}' wrongly)", min_value=0.0, value=1.0)
        cost_miss = c2.number_input(f"Cost of a miss (fails to spot a '{esc(named)}' case)", min_value=0.0, value=5.0)
        unit = c3.text_input("Unit", value="£", max_chars=10)
        if st.button("Find the best cut-off"):
            found = workflows.rescore(
                info, "threshold", positive_label=positive, cost_false_alarm=cost_fa, cost_miss=cost_miss, unit=unit
            )
            st.session_state[state.CUT_OFF_FOUND] = (info.id, found)
        kept = st.session_state.get(state.CUT_OFF_FOUND)
        if kept is not None and kept[0] == info.id:
            choice = kept[1]
            st.success(esc(evaluate.explain_threshold(choice, positive_label=positive)))
            chart(charts.threshold_figure(choice, positive_label=named))
            if abs(choice.threshold - 0.5) > 1e-9 and st.button("Use this cut-off for predictions", type="primary"):
                with guard():
                    store.set_threshold(
                        info.id,
                        stored_cut_off(choice.threshold, positive),
                        reason=f"chosen from costs ({choice.cost_false_alarm:g} per false alarm, "
                        f"{choice.cost_miss:g} per miss) on 'How good is it?'",
                    )
                    st.session_state.pop(state.CUT_OFF_FOUND, None)
                    st.session_state[state.FLASH] = (
                        f"{esc(info.label)} now answers '{esc(positive)}' from a chance of "
                        f"{percent(choice.threshold)}. Predictions use it."
                    )
                    st.rerun()

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

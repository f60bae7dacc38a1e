"""Train a model: pick a column to predict, see what Keel leaves out and why, compare candidates."""

import pandas as pd
import streamlit as st

from core import charts, jobs, store, workflows
from core.models import train
from core.paths import keel_home
from core.vocab import count as plural
from core.vocab import explain_stage, format_metric
from core.vocab import metric_label as metric_name
from ui import state
from ui.common import choose, details, esc, finished_job, guard, need, page, show_error
from ui.upload import FILE_KINDS, upload_table
from ui.words import dataset_words, model_kind

page("Train a model", "🏋️")
st.title("🏋️ Train a model")
st.markdown(
    "Pick the column you want predicted. Keel tries a few kinds of model, compares each with the simplest "
    "possible guess, and keeps the best as a new version you can use and watch."
)


@st.cache_data(max_entries=8, show_spinner=False)
def frame_of(dataset_id: int, sha256: str, home: str) -> pd.DataFrame:
    return store.load_dataset(dataset_id)


@st.cache_data(max_entries=16, show_spinner=False)
def findings_of(dataset_id: int, sha256: str, home: str, target: str, kinds: str) -> tuple:
    return workflows.dataset_profile(dataset_id, target).findings


datasets = store.list_datasets()
with st.expander("Upload a file to learn from", expanded=not datasets):
    upload_table(f"Upload a table — {FILE_KINDS}", key="train_upload")
need(bool(datasets), "First give Keel some data to learn from.", "pages/1_Data.py", "Check my data →")
info = choose("Data to learn from", datasets, state.DATASET_ID, dataset_words)
dataset_id = info.id

with guard():
    frame = frame_of(dataset_id, info.sha256, str(keel_home()))
columns = [str(c) for c in frame.columns]
targets = st.session_state.setdefault(state.TARGET, {})
default_target = targets.get(dataset_id) if targets.get(dataset_id) in columns else None
target = st.selectbox(
    "Which column should the model predict?",
    [None, *columns],
    index=0 if default_target is None else columns.index(default_target) + 1,
    format_func=lambda c: "— choose a column —" if c is None else c,
)
if target is None:
    st.info("Choose the column you want predicted — for example whether a customer left, or a price.", icon="👆")
    st.stop()
targets[dataset_id] = target

with guard():
    detected = train.detect_task(frame[target])
    findings = findings_of(dataset_id, info.sha256, str(keel_home()), target, str(sorted(info.kinds.items())))
    suggestion = train.suggest_split(frame, target)

left, right = st.columns(2)
with left:
    task_words = {"classification": "Sort into groups (e.g. yes/no)", "regression": "Predict a number"}
    task = st.radio(
        f"What kind of prediction? Keel thinks: **{task_words[detected].lower()}**.",
        ["classification", "regression"],
        index=["classification", "regression"].index(detected),
        format_func=task_words.get,
        horizontal=True,
    )
with right:
    split_words = {"random": "Random rows", "time": "The most recent rows"}
    split = st.radio(
        "Test the model on…",
        ["random", "time"],
        index=["random", "time"].index(suggestion.split),
        format_func=split_words.get,
        horizontal=True,
        help="Keel keeps these rows aside and only uses them to test the finished model.",
    )
    st.caption(esc(suggestion.reason))

with guard():
    plan = train.select_features(frame, target, findings, task=task)
st.markdown(f"**Keel will learn from {plural(len(plan.used), 'column')}.**")
put_back: list[str] = []
if plan.left_out:
    st.markdown("Left out on purpose — put any back if you know better:")
    for item in plan.left_out:
        if st.checkbox(
            f"Put back '{esc(item.column)}'", key=f"putback_{dataset_id}_{item.column}", help=esc(item.reason)
        ):
            put_back.append(item.column)
        st.caption(f"'{esc(item.column)}': {esc(item.reason)}")
for item in plan.watch:
    st.caption(f"⚠️ Kept, but watch '{esc(item.column)}': {esc(item.reason)}")
for note in plan.notes:
    st.caption(f"ℹ️ {esc(note)}")

with st.expander("More settings"):
    name = st.text_input(
        "Model name",
        value=workflows.default_model_name(info, target),
        max_chars=80,
        help="Each training run becomes a new version of this name.",
    )
    budget = st.slider(
        "Time allowed (seconds)", 10, 600, 120, step=10, help="Candidates not started when the time is up are skipped."
    )

if st.button("Train and compare", type="primary"):
    job_id = jobs.submit(
        f"Training '{target}'",
        workflows.train_and_register,
        dataset_id,
        target=target,
        task=task,
        name=name or target,
        include=tuple(put_back),
        split=split,
        date_column=suggestion.date_column if split == "time" else None,
        time_budget_s=float(budget),
    )
    st.session_state[state.TRAIN_JOB] = job_id
    st.session_state[state.TRAIN_DATASET] = dataset_id


def show_result(outcome: workflows.TrainOutcome, waited: float) -> None:
    result, model = outcome.result, outcome.model
    # the whole wait (reading, checking, fitting, scoring, saving), not the fitting alone
    st.success(
        f"Model trained in {max(waited, result.elapsed_seconds):.0f} s and kept as **{esc(model.label)}**. "
        f"{esc(explain_stage(model.stage, model.name))}",
        icon="✅",
    )
    for warning in result.warnings:
        st.warning(esc(warning), icon="⚠️")
    primary = result.primary_metric
    # the headline in the plainest measure (right answers; the typical error for a number), whatever the
    # measure the candidates were compared on, which stays one click away
    shown = next((k for k in ("accuracy", "mae") if result.holdout_metrics.get(k) is not None), primary)
    c = st.columns(3)
    c[0].metric(esc(metric_name(shown)), format_metric(shown, result.holdout_metrics.get(shown)))
    c[1].metric("The simplest guess", format_metric(shown, result.baseline_metrics.get(shown)))
    c[2].metric("Kind of model", esc(model_kind(model.algorithm)))
    st.caption(f"Measured on the test rows, which the model never saw. {esc(result.split.description)}")
    st.page_link("pages/3_Evaluate.py", label="See how good it is →", icon="📏")
    with details():
        if shown != primary:
            st.markdown(
                f"The candidates were compared on {esc(metric_name(primary))}: "
                f"{format_metric(primary, result.holdout_metrics.get(primary))} on the test rows, "
                f"{format_metric(primary, result.baseline_metrics.get(primary))} for the simplest guess."
            )
        st.markdown("**How the candidates compared** (cross-validated on the training rows):")
        st.dataframe(charts.leaderboard_table(result), hide_index=True)


job = finished_job(st.session_state.get(state.TRAIN_JOB), note=" — you can look at other pages meanwhile.")
elsewhere = st.session_state.get(state.TRAIN_DATASET, dataset_id) != dataset_id
if job is not None and job.status == "failed" and not elsewhere:
    show_error(job.error)
elif job is not None and job.status != "failed":
    st.session_state[state.MODEL_ID] = job.result.model.id
    if elsewhere:  # the last run was on another dataset: its results would read as this one's
        st.caption(
            f"Your last training run, {esc(job.result.model.label)}, was on another dataset; it is on the Models page."
        )
    else:
        show_result(job.result, job.elapsed)

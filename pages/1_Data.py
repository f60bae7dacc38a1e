"""Check my data: upload, preview, column kinds, distributions, findings with fixes, versions."""

import json

import pandas as pd
import streamlit as st

from core import charts, store, workflows
from core.data import FIXES, KINDS, explore
from core.paths import keel_home
from core.vocab import KIND_WORDS, SEVERITY_WORDS
from core.vocab import count as plural
from ui import learn, state
from ui.common import chart, choose, esc, guard, page
from ui.upload import FILE_KINDS, upload_table
from ui.words import dataset_words

page("Check my data", "🔎")
st.title("🔎 Check my data")


@st.cache_data(max_entries=16, show_spinner=False)
def dataset_report(dataset_id: int, sha256: str, home: str, target: str | None, kinds_json: str):
    return workflows.dataset_profile(dataset_id, target)


@st.cache_data(max_entries=16, show_spinner=False)
def dataset_relations(dataset_id: int, sha256: str, home: str, target: str | None):
    return explore(dataset_frame(dataset_id, sha256, home), target)


@st.cache_data(max_entries=4, show_spinner=False)
def dataset_frame(dataset_id: int, sha256: str, home: str) -> pd.DataFrame:
    return store.load_dataset(dataset_id)


st.markdown(
    "Keel reads your table and lists what could mislead a model, the most serious first. "
    "Most problems have a one-click fix, and the original is always kept."
)

# ----------------------------------------------------------------------------- upload
upload_table(f"Upload a table — {FILE_KINDS}", key="upload")

# ----------------------------------------------------------------------------- pick a dataset
datasets = store.list_datasets()
if not datasets:
    st.info("Upload a file above, or open a sample from the Home page.", icon="👆")
    st.page_link("app.py", label="Go to the samples", icon="🏠")
    st.stop()

info = choose("Dataset", datasets, state.DATASET_ID, dataset_words)
dataset_id = info.id

with guard():
    frame = dataset_frame(dataset_id, info.sha256, str(keel_home()))
    targets = st.session_state.setdefault(state.TARGET, {})
    options = [None, *map(str, frame.columns)]
    saved_target = targets.get(dataset_id) if targets.get(dataset_id) in options else None
    target = st.selectbox(
        "Which column would you like to predict? (optional: Keel then also looks for columns that give the answer away)",
        options,
        index=options.index(saved_target),
        format_func=lambda c: "— none —" if c is None else c,
    )
    targets[dataset_id] = target
    with st.spinner("Checking your data…"):
        report = dataset_report(
            dataset_id, info.sha256, str(keel_home()), target, json.dumps(info.kinds, sort_keys=True)
        )

counts = {s: sum(f.severity == s for f in report.findings) for s in SEVERITY_WORDS}
# one line, not five big numbers: on a phone those stacked into a screenful before the first finding
st.markdown(
    f"**{plural(report.rows, 'row')} × {plural(len(report.columns), 'column')}** · "
    + " · ".join(f"{heading}: **{counts[s]}**" for s, (heading, _) in SEVERITY_WORDS.items())
)
for note in info.notes:
    st.caption(f"ℹ️ {esc(note)}")
next_steps = st.columns(3)
next_steps[0].page_link("pages/2_Train.py", label="Next: predict a column →", icon="🏋️")
next_steps[1].page_link("pages/6_Forecast.py", label="Or: forecast sales →", icon="📈")

tab_findings, tab_columns, tab_relations, tab_preview, tab_versions = st.tabs(
    ["Findings", "Columns", "Relationships", "Preview", "Versions & history"]
)

with tab_findings:
    if not report.findings:
        st.success("No problems found. Your data looks ready for a model.", icon="✅")
    for severity, (heading, blurb) in SEVERITY_WORDS.items():
        group = [f for f in report.findings if f.severity == severity]
        if not group:
            continue
        st.header(f"{heading} ({len(group)})")
        st.caption(blurb)
        for i, finding in enumerate(group):
            with st.container(border=True):
                st.markdown(f"**{esc(finding.message)}**")
                st.markdown(esc(finding.advice))
                if finding.column:
                    st.caption(f"column: {esc(finding.column)}")
                fix_key = f"fix_{severity}_{i}_{finding.code}_{finding.column}"
                if finding.fix and st.button(FIXES[finding.fix].label, key=fix_key):
                    with guard(), st.spinner("Creating a new version…"):
                        new = workflows.fix_dataset(dataset_id, finding.fix, finding.column)
                        st.session_state[state.DATASET_ID] = new.id
                        targets[new.id] = target  # the new version keeps the checks the user turned on
                        st.session_state[state.FLASH] = (
                            f"Created {esc(new.label)}: {esc(new.change)}. The original is kept."
                        )
                        st.rerun()

with tab_columns:
    table = charts.columns_table(report)
    st.caption("Keel guessed what each column holds. If a guess is wrong, change it and save.")
    edited = st.data_editor(
        table,
        hide_index=True,
        disabled=["column", "missing %", "distinct values", "type in file"],
        column_config={"kind": st.column_config.SelectboxColumn("kind", options=list(KINDS), required=True)},
        key=f"kinds_{dataset_id}",
    )
    changed = {r.column: r.kind for r in edited.itertuples() if r.kind != dict(zip(table.column, table.kind))[r.column]}
    if changed and st.button(f"Save {plural(len(changed), 'change')} to column kinds", type="primary"):
        with guard():
            store.set_column_kinds(dataset_id, changed)
            st.session_state[state.FLASH] = "Column kinds saved; the checks below use them."
            st.rerun()
    with st.expander("What the kinds mean"):
        for kind, words in KIND_WORDS.items():
            st.markdown(f"- **{kind}** — {words}")
    names = [c.name for c in report.columns]
    if any(c.missing_share > 0 for c in report.columns):
        chart(charts.missing_figure(names, [c.missing_share for c in report.columns]))
    # the column to predict, else the first that can tell something (an ID's spread says nothing)
    telling = [c.name for c in report.columns if c.kind not in ("id_like", "constant", "text")]
    first = target if target in names else (telling[0] if telling else names[0])
    column = st.selectbox("See how a column is spread", names, index=names.index(first))
    kind = {c.name: c.kind for c in report.columns}[column]
    chart(charts.column_figure(frame[column], kind))

with tab_relations, guard(stop=False):
    with st.spinner("Measuring how the columns go together…"):
        found = dataset_relations(dataset_id, info.sha256, str(keel_home()), target)
    learn.relationships(found, frame, target, report.findings)

with tab_preview:
    st.caption(f"The first {min(len(frame), 500):,} of {len(frame):,} rows.")
    st.dataframe(frame.head(500), hide_index=True)

with tab_versions:
    family = [d for d in datasets if d.family_id == info.family_id]
    st.dataframe(charts.versions_table(family), hide_index=True)
    with st.form("rename"):
        new_name = st.text_input("Rename this dataset", value=info.name, max_chars=120)
        if st.form_submit_button("Rename"):
            with guard():
                store.rename_dataset(dataset_id, new_name)
                st.session_state[state.FLASH] = "Renamed."
                st.rerun()
    with st.expander("Delete this version"):
        with guard():
            impact = store.delete_impact(dataset_id)
        st.warning(
            f"Deleting {esc(info.label)} also deletes {plural(len(impact.datasets) - 1, 'version')} made from it, "
            f"{plural(len(impact.models), 'model')} trained on them, {plural(impact.batches, 'monitored batch', 'monitored batches')} "
            f"and {plural(impact.forecasts, 'forecast')}. This cannot be undone.",
            icon="🗑️",
        )
        if st.checkbox("I understand", key=f"confirm_delete_{dataset_id}") and st.button("Delete", type="primary"):
            with guard():
                store.delete_dataset(dataset_id)
                st.session_state.pop(state.DATASET_ID, None)
                st.session_state[state.FLASH] = f"Deleted {esc(info.label)} and what was made from it."
                st.rerun()
    st.markdown("**History**")
    st.dataframe(charts.dataset_history_table(store.audit_log(500), [d.id for d in family]), hide_index=True)

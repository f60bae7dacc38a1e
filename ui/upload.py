"""Taking an upload as a dataset, the same way on every page that needs data (Check my data, Forecast):
read it in a worker process, ask about personal data before anything is stored, keep it, and make it the
dataset the user works on."""

from __future__ import annotations

import streamlit as st

from core import jobs, workflows
from core.data import profile, read_table
from core.vocab import count as plural
from ui import state
from ui.common import esc, guard

FILE_KINDS = "CSV, TSV or TXT, Excel (.xlsx), Parquet or JSON lines"


@st.cache_data(max_entries=4, show_spinner=False)
def parse_upload(data: bytes, name: str, sheet: str | None):
    # In a worker process: a fault in a native parser on a hostile file cannot take the server down.
    return jobs.run_isolated(f"Reading '{name}'", read_table, data, name=name, sheet=sheet)


@st.cache_data(max_entries=4, show_spinner=False)
def upload_pii(data: bytes, name: str, sheet: str | None) -> list:
    table = parse_upload(data, name, sheet)
    return [f for f in profile(table.frame).findings if f.code == "pii"]


def upload_table(label: str, key: str) -> None:
    """A file uploader; a new file is read, checked for personal data (the user chooses what to do with
    it before it is stored), kept as a dataset and chosen.
    The page then reruns with a one-line message."""
    uploaded = st.file_uploader(label, key=key, help="Keel reads the file on this computer. Nothing leaves it.")
    if uploaded is None or st.session_state.get(state.KEPT_UPLOAD) == uploaded.file_id:
        return
    with guard():
        data = uploaded.getvalue()
        sheet = st.session_state.get(state.UPLOAD_SHEET)
        with st.spinner("Reading your file…"):
            table = parse_upload(data, uploaded.name, sheet)
        if len(table.sheets) > 1:
            chosen = st.selectbox(
                "This workbook has several sheets. Which one holds your table?",
                table.sheets,
                index=table.sheets.index(table.sheet) if table.sheet in table.sheets else 0,
            )
            if chosen != table.sheet:
                st.session_state[state.UPLOAD_SHEET] = chosen
                st.rerun()
        with st.spinner("Looking for personal data…"):
            pii = upload_pii(data, uploaded.name, table.sheet)
        actions: dict[str, str] = {}
        if pii:
            st.warning(
                f"**Personal data found in {plural(len(pii), 'column')}.** Choose what Keel should do with "
                "each before anything is stored. *Mask* hides most of each value, *pseudonymise* replaces it "
                "with a code that still matches across rows, *drop* removes the column.",
                icon="🔒",
            )
            for finding in pii:
                actions[finding.column] = st.radio(
                    esc(finding.message),
                    workflows.PII_ACTIONS,
                    index=1,
                    horizontal=True,
                    key=f"pii_{finding.column}",
                )
            if not st.button("Keep this dataset", type="primary"):
                st.dataframe(table.frame.head(20), hide_index=True)
                st.stop()
        info = workflows.keep_upload(table, pii_actions=actions)
        st.session_state[state.KEPT_UPLOAD] = uploaded.file_id
        st.session_state[state.DATASET_ID] = info.id
        st.session_state.pop(state.UPLOAD_SHEET, None)
        st.session_state[state.FLASH] = (
            f"Kept '{esc(info.name)}': {info.rows:,} rows × {info.n_columns} columns."
            if info.is_new
            else f"You already have this table: showing '{esc(info.label)}'."
        )
        st.rerun()

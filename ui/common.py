"""Page scaffolding: config, the sidebar, the error contract, safe text."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator

import streamlit as st

from core import jobs
from core.errors import KeelError, log_bug
from core.explain import exposure_warning
from ui import state

PAGES = (
    ("app.py", "Home", "🏠"),
    ("pages/1_Data.py", "Check my data", "🔎"),
    ("pages/2_Train.py", "Train a model", "🏋️"),
    ("pages/3_Evaluate.py", "How good is it?", "📏"),
    ("pages/4_Predict.py", "Make predictions", "🎯"),
    ("pages/5_Models.py", "My models", "🗂️"),
    ("pages/6_Forecast.py", "Forecast & order", "📈"),
    ("pages/7_Monitor.py", "Monitor", "🩺"),
)

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def esc(text: object) -> str:
    """Escape user-derived text so Markdown renders it literally (no links, HTML or formatting)."""
    return _MD_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")


def page(title: str, icon: str = "⚓") -> None:
    """Set up a page: config, the shared sidebar, and a one-shot flash message."""
    st.set_page_config(page_title=f"{title} · Keel", page_icon=icon, layout="wide")
    with st.sidebar:
        st.markdown("### ⚓ Keel")
        st.caption("Look after your models — no data science degree needed.")
        for path, label, emoji in PAGES:
            st.page_link(path, label=label, icon=emoji)
    exposed = exposure_warning(st.get_option("server.address"), os.environ.get("KEEL_BEHIND_AUTH") == "1")
    if exposed:
        st.warning(exposed, icon="🔓")
    flash = st.session_state.pop(state.FLASH, None)
    if flash:
        st.success(flash)


def show_error(exc: BaseException) -> None:
    """Show an error per the contract: Keel's own errors with their hint; anything else as a bug id."""
    if isinstance(exc, KeelError):
        st.error(esc(exc.message), icon="⚠️")
        if exc.hint:
            st.info(esc(exc.hint), icon="👉")
    else:
        bug_id = log_bug(exc, context="page")
        st.error(
            f"Sorry — something went wrong inside Keel (error id `{bug_id}`). "
            "This is our bug, not your data's. Please try again; if it keeps happening, report this id.",
            icon="🐞",
        )


@contextlib.contextmanager
def guard(stop: bool = True) -> Iterator[None]:
    """Run page work; turn any exception into a readable message (never a traceback)."""
    try:
        yield
    except Exception as exc:  # st.stop()/rerun are BaseException and pass through
        show_error(exc)
        if stop:
            st.stop()


def need(condition: bool, message: str, link: str, label: str) -> None:
    """Stop the page with a pointer back when an earlier step is missing."""
    if not condition:
        st.info(message, icon="👈")
        st.page_link(link, label=label)
        st.stop()


def finished_job(job_id: str | None, note: str = "") -> jobs.Job | None:
    """The job once it has finished (done or failed), else None.

    While it runs, a progress bar refreshes itself every second. Only then: a page that polled for
    ever cost every visitor a script run and a redraw each second, which under load slowed
    everyone's page loads. When the job ends the whole page reruns once and shows the result."""
    job = jobs.get(job_id)
    if job is None or job.status != "running":
        return job

    @st.fragment(run_every=1.0)
    def progress() -> None:
        current = jobs.get(job_id)
        if current is None or current.status != "running":
            st.rerun()
        st.progress(current.fraction, text=f"{esc(current.text)} ({current.elapsed:.0f} s){note}")

    progress()
    return None

"""Page scaffolding: config, the sidebar, the error contract, safe text."""

from __future__ import annotations

import contextlib
import gc
import importlib
import os
import re
import threading
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


# Streamlit's spinners and fades ignore the visitor's "reduce motion" setting. Honour it (WCAG 2.3.3).
# It also matters for speed: a spinning icon costs a browser drawing without a graphics card about
# 8 % of a core for as long as the page works (measured in headless Chromium), so 20 waiting tabs
# on one small machine spent more CPU drawing spinners than the server spent answering them.
REDUCED_MOTION_CSS = """<style>
@media (prefers-reduced-motion: reduce) {
  *, *::before, *::after { animation: none !important; transition: none !important; }
}
</style>"""


# Everything the pages will import sooner or later. Streamlit runs a full garbage collection after
# every script run (runner.postScriptGC); with these libraries loaded that walks ~200,000 objects
# and took ~120 ms of the one Python thread per page load and per click, most of the server's CPU
# under load. Loading them once and freezing them out of the collector (gc.freeze, as large Python
# servers do) leaves each collection only the objects created since: ~0 ms. The per-run collection
# itself stays, so memory from finished sessions is still given back.
_PRELOAD = ("core.workflows", "core.charts", "core.evaluate", "core.monitor", "core.predict", "core.inventory",
            "core.forecast", "core.card", "sklearn.ensemble", "sklearn.linear_model", "sklearn.metrics",
            "sklearn.inspection", "sklearn.calibration", "statsmodels.tsa.stattools", "scipy.stats",
            "plotly.graph_objects", "pyarrow.parquet")
_preload_once = threading.Lock()  # taken once, never released


def _preload_and_freeze() -> None:
    for name in _PRELOAD:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - an optional module missing only costs speed
            continue
    gc.collect()
    gc.freeze()


def _start_preload() -> None:
    """Once per server process, in the background so the first visitor does not wait for it."""
    if _preload_once.acquire(blocking=False):
        threading.Thread(target=_preload_and_freeze, name="keel-preload", daemon=True).start()


def page(title: str, icon: str = "⚓") -> None:
    """Set up a page: config, the shared sidebar, and a one-shot flash message."""
    st.set_page_config(page_title=f"{title} · Keel", page_icon=icon, layout="wide")
    _start_preload()
    st.html(REDUCED_MOTION_CSS)  # style only: Streamlit puts it out of the page flow, it takes no space
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

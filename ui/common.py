"""Page scaffolding: config, the sidebar, the error contract, safe text."""

from __future__ import annotations

import contextlib
import gc
import importlib
import os
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import streamlit as st

from core import jobs
from core.bugs import log_bug
from core.charts import split_title
from core.errors import KeelError
from core.team import Access
from core.vocab import exposure_warning
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
    ("pages/8_People.py", "People", "👥"),
)

# Streamlit renders Markdown (CommonMark + GFM + its own :directives:, emoji, icons and $math$) in
# most places. Escaping is done with backslashes, which the browser shows without the backslash, but
# Streamlit also puts the label string itself into aria-label, where a screen reader reads each one
# out. So characters are escaped only where Markdown could act on them: everywhere for the rare ones,
# and for the common ones in names ("bill_length_mm", "Sales 2024.csv", "e-mail") only where they
# would start something (checked in Chromium on Streamlit 1.67, tests/e2e/test_hostile_text.py).
_ALWAYS = re.compile(r"[\\`*\[\]<>~$|{}]|&(?=#?\w+;)")  # the rare ones, and '&' starting an entity
_LINE_START = re.compile(r"#(?=#*(?:\s|$))|[-+](?=[\s\-]|$)|\d{1,9}(?=[.)](?:\s|$))")  # heading, bullet, rule, "1."
_EMPHASIS_UNDERSCORES = re.compile(r"(?<![^\W_])_+|_+(?![^\W_])")  # not between two letters or digits
# Some patterns are found in the text itself, where a backslash does not help: GFM's autolinks (bare
# "http://…", "www.…", "name@host.tld"; its pass runs after escapes are undone) and Streamlit's
# ":emoji:", ":material/icon:", ":streamlit:" (an image) and ":color[…]" directives (found even as
# "\:joy:"). An invisible WORD JOINER (U+2060) where each needs an unbroken run stops them all:
# after a ":" that "//", a name or a ":100:"-like number follows, between "www" and ".", and after an
# "@" that a domain follows. Nowhere else: it would travel with a copy, and "churn:2" or "name@champion"
# copied from a page into the command line must still work.
WORD_JOINER = "\u2060"
_UNBREAKABLE = re.compile(r"(?<=:)(?=[A-Za-z_+\-/]|\d[\w+\-]*:)|(?<=www)(?=\.)|(?<=@)(?=[\w\-]+\.\w)", re.IGNORECASE)
_WHITESPACE = re.compile(r"[ \t\r\n\f\v\x85\u2028\u2029]+")


def esc(text: object) -> str:
    """User-derived text made inert for any place Streamlit renders Markdown.

    That is st.markdown/caption/write/info/warning/error/success/toast, every widget label, ``help=``
    tooltips, st.metric label *and value and delta*, expander/tabs/status/progress/page_link labels and
    the options of st.radio, st.select_slider, st.pills and st.segmented_control. The browser shows the
    text as typed, on one line: no links, no images, no HTML, no formatting, no autolinks, and no
    visible backslashes. Not for st.selectbox/st.multiselect options, text inputs, dataframes or
    st.code: those show plain text, where the escapes would be visible."""
    text = _WHITESPACE.sub(" ", str(text)).strip()  # one line: no headings, lists, tables or code blocks
    text = _UNBREAKABLE.sub(WORD_JOINER, text)
    text = _ALWAYS.sub(lambda m: "\\" + m.group(0), text)
    text = _EMPHASIS_UNDERSCORES.sub(lambda m: "\\_" * len(m.group(0)), text)
    start = _LINE_START.match(text)
    if start is None:
        return text
    return f"{start.group()}\\{text[start.end() :]}" if text[0].isdigit() else "\\" + text


# Plotly draws its own small HTML in every text it puts in a figure (titles, tick labels, legends,
# hover): "<a href=…>" becomes a live SVG link. Keel's charts use only these tags, without attributes.
_PLOTLY_TAG_OK = re.compile(r"<(?!/?(?:br|b|i|em|sup|sub|extra)\s*/?>)", re.IGNORECASE)


def _inert_plotly(value: object) -> tuple[object, bool]:
    if isinstance(value, str):
        safe = _PLOTLY_TAG_OK.sub("&lt;", value)
        return safe, safe != value
    if isinstance(value, dict):
        changed = False
        out = {}
        for key, item in value.items():
            out[key], hit = _inert_plotly(item)
            changed |= hit
        return out, changed
    if isinstance(value, (list, tuple)):
        pairs = [_inert_plotly(item) for item in value]
        return [p[0] for p in pairs], any(p[1] for p in pairs)
    if getattr(value, "dtype", None) is not None and value.dtype.kind == "O":  # numpy text arrays
        return _inert_plotly(list(value))
    return value, False


def inert_figure(figure: Any) -> Any:
    """A plotly figure whose texts show any tag but Keel's plain formatting ones as text (never a link)."""
    data, changed = _inert_plotly(figure.to_plotly_json())
    if not changed:
        return figure
    import plotly.graph_objects as go  # already loaded by whoever built the figure

    return go.Figure(data)


# No plotly toolbar: on a phone it covered the top of every chart, and zoom/pan/lasso are not what a
# shop owner came for. Streamlit's own fullscreen button stays.
PLOTLY_CONFIG = {"displayModeBar": False, "responsive": True}


def chart(figure: Any, where: Any = st) -> None:
    """Draw a core.charts figure (``where``: st, a column or a container) with its texts made inert.

    The title (and subtitle) are written above the figure as text: there they wrap at any width (a
    plotly title is cut off at phone width) and screen readers read them."""
    title, sub, figure = split_title(inert_figure(figure))
    if title:
        where.markdown(f"**{esc(title)}**")
    if sub:
        where.caption(esc(sub))
    where.plotly_chart(figure, theme=None, config=PLOTLY_CONFIG)


# Streamlit's spinners and fades ignore the visitor's "reduce motion" setting. Honour it (WCAG 2.3.3).
# It also matters for speed: a spinning icon costs a browser drawing without a graphics card about
# 8 % of a core for as long as the page works (measured in headless Chromium), so 20 waiting tabs
# on one small machine spent more CPU drawing spinners than the server spent answering them.
REDUCED_MOTION_CSS = """<style>
@media (prefers-reduced-motion: reduce) {
  *, *::before, *::after { animation: none !important; transition: none !important; }
}
</style>"""

# Streamlit's light theme draws captions and small print in a grey that reads at 3.8:1 on white and on the
# sidebar (axe-core: serious, WCAG 1.4.3 asks 4.5:1). This grey reads at 6.5:1 on white, 6.1:1 on the sidebar.
# Streamlit also draws a caption at 60 % opacity, which pales any colour to 2.7:1: captions are drawn opaque.
CAPTION_GREY = "#5f5e5c"
READABLE_CSS = f"""<style>
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p,
[data-testid="stFileUploaderDropzoneInstructions"] small,
[data-testid="stWidgetLabel"] small, [data-testid="stTooltipHoverTarget"] {{ color: {CAPTION_GREY} !important; }}
[data-testid="stCaptionContainer"] {{ opacity: 1 !important; }}
</style>"""


# Everything the pages will import sooner or later. Streamlit runs a full garbage collection after
# every script run (runner.postScriptGC); with these libraries loaded that walks ~200,000 objects
# and took ~120 ms of the one Python thread per page load and per click, most of the server's CPU
# under load. Loading them once and freezing them out of the collector (gc.freeze, as large Python
# servers do) leaves each collection only the objects created since: ~0 ms. The per-run collection
# itself stays, so memory from finished sessions is still given back.
_PRELOAD = (
    "core.workflows",
    "core.charts",
    "core.data",
    "core.models",
    "core.monitoring",
    "core.forecasting",
    "sklearn.ensemble",
    "sklearn.linear_model",
    "sklearn.metrics",
    "sklearn.inspection",
    "sklearn.calibration",
    "statsmodels.tsa.stattools",
    "scipy.stats",
    "plotly.graph_objects",
    "pyarrow.parquet",
)
_preload_once = threading.Lock()  # taken once, never released


def _preload_and_freeze() -> None:
    for name in _PRELOAD:
        try:
            importlib.import_module(name)
        except Exception:
            continue
    gc.collect()
    gc.freeze()


def _start_preload() -> None:
    """Once per server process, in the background so the first visitor does not wait for it."""
    if _preload_once.acquire(blocking=False):
        threading.Thread(target=_preload_and_freeze, name="keel-preload", daemon=True).start()


def page(title: str, icon: str = "⚓") -> Access:
    """Set up a page: config, the shared sidebar, who is asking (a page stops for someone who may not use Keel)
    and a one-shot flash message. Returns who is asking and what they may do (everything, for one person)."""
    st.set_page_config(page_title=f"{title} · Keel", page_icon=icon, layout="wide")
    _start_preload()
    st.html(REDUCED_MOTION_CSS + READABLE_CSS)  # style only: Streamlit puts it out of the page flow
    with st.sidebar:
        st.markdown("**⚓ Keel**")  # not a heading: the page's own title is the first one
        st.caption("Look after your models — no data science degree needed.")
        for path, label, emoji in PAGES:
            st.page_link(path, label=label, icon=emoji)
    from ui.access import gate, who  # here: ui.access draws with this module's helpers

    with guard():
        access = who()
    gate(access)
    exposed = exposure_warning(st.get_option("server.address"), os.environ.get("KEEL_BEHIND_AUTH") == "1")
    if exposed:
        st.warning(esc(exposed), icon="🔓")
    flash = st.session_state.pop(state.FLASH, None)
    if flash:
        st.success(flash)
    return access


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


def choose(
    label: str, items: Sequence[Any], key: str, describe: Callable[[Any], str], placeholder: str | None = None
) -> Any:
    """A selectbox of stored things (datasets or models, by id) that starts on, and remembers in ``key``,
    the one the user last worked on; the chosen item. ``describe`` names an item (plain text: selectbox
    options are not Markdown); two items it names alike get their number added, so they can be told apart.
    With a ``placeholder``, a visit that has chosen nothing yet starts on nothing, and gets None."""
    by_id = {item.id: item for item in items}
    ids = list(by_id)
    names = {i: describe(item) for i, item in by_id.items()}
    seen = Counter(names.values())
    names = {i: name + (f" · no. {i}" if seen[name] > 1 else "") for i, name in names.items()}
    current = st.session_state.get(key)
    index = ids.index(current) if current in by_id else (None if placeholder else 0)
    chosen = st.selectbox(label, ids, index=index, format_func=names.__getitem__, placeholder=placeholder or "")
    if chosen is None:
        return None
    st.session_state[key] = chosen
    return by_id[chosen]


def details(label: str = "Details for specialists") -> Any:
    """A closed expander for what a data scientist wants and a shop owner can skip (tests, scores, tables)."""
    return st.expander(label, expanded=False)


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

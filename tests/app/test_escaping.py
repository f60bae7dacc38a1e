"""User text is inert wherever Streamlit renders Markdown: ui.common.esc, the chart guard, and the
labels, tooltips, options and messages of the pages (AppTest sees the raw strings sent to the browser).

What each string turns into in a real browser is checked by tests/e2e/test_hostile_text.py."""

from __future__ import annotations

import json
import re

import pandas as pd
import plotly.graph_objects as go
import pytest

from core import jobs, store, workflows
from core.charts import column_figure
from core.data import FIXES, read_table
from tests.app.helpers import (HOSTILE_CHANNELS, HOSTILE_CLASSES, HOSTILE_PRODUCTS, hostile_frame, hostile_names,
                               open_page, plain)
from ui import state
from ui.common import WORD_JOINER, esc, inert_figure

NAMES = hostile_names(9)
FILE_NAME = "[report](http://evil.example/f) <img src=http://127.0.0.1:9/f.png>.csv"
HOSTILE = (*NAMES.values(), *HOSTILE_PRODUCTS, *HOSTILE_CHANNELS, *HOSTILE_CLASSES, FILE_NAME)
MODEL_NAME = "[model](http://evil.example/m) www.evil.example"
HOSTILE += (MODEL_NAME.replace(":", "-"),)  # as the store keeps it (':' separates a version)


def _syntax(markdown: str) -> str:
    """What Markdown's syntax sees: backslash-escaped characters removed."""
    return re.sub(r"\\.", "", markdown)


def _found_in_text(markdown: str) -> list[str]:
    """Patterns matched in the text after escapes are undone: GFM autolinks, Streamlit's :emoji:,
    :material/icons: and :directives[…]."""
    return re.findall(r"(?i)://|www\.|@\w|:[\w+\-/]+:|:[a-z]", re.sub(r"\\(.)", r"\1", markdown))


def live(markdown: str) -> list[str]:
    """Links, images, HTML, autolinks and Streamlit shortcodes a renderer would still make of
    ``markdown``, which may mix Keel's own words and formatting with escaped user text."""
    return re.findall(r"\]\(|<[a-zA-Z/!?]", _syntax(markdown)) + _found_in_text(markdown)


def specials(markdown: str) -> list[str]:
    """What a renderer would act on in ``markdown`` that is all user text: also formatting."""
    syntax = _syntax(markdown)
    found = re.findall(r"[\[\]<>*`~$|{}]|&#?\w+;", syntax)
    found += [m.group() for m in re.finditer(r"_+", syntax)
              if not (m.start() and syntax[m.start() - 1].isalnum() and syntax[m.end():m.end() + 1].isalnum())]
    found += re.findall(r"^(?:#+(?:\s|$)|[-+](?:\s|$|-)|\d+[.)](?:\s|$))", markdown)  # block at the start
    return found + live(markdown)


# ----------------------------------------------------------------------------- the helper itself
@pytest.mark.parametrize("text", HOSTILE + (
    "**bold** _it_ `code` ~~gone~~ # heading", ":red[red] :material/home: :smile: :joy::joy: $x^2$",
    "<http://evil.example/ang> HTTPS://EVIL.EXAMPLE WWW.EVIL.EXAMPLE mailto:bob@evil.example",
    "# heading", "- item", "1. item", "12) item", "---", "a | b", "&amp; &lt;b&gt; &#65;", "__init__ _x_",
    "a :red b :streamlit:", "[x]: http://evil.example", "\\*not\\* a\\b",
), ids=lambda t: t[:24])
def test_esc_leaves_nothing_a_renderer_would_act_on_and_reads_as_typed(text: str) -> None:
    out = esc(text)
    assert specials(out) == []
    assert plain(out) == text  # a reader sees exactly the text: no backslashes, no visible joiners


@pytest.mark.parametrize("name", ["bill_length_mm", "Sales 2024.csv", "e-mail address", "churn rate (%)",
                                  "3.5 kg", "price!", "#tag", "-5 °C", "R&D", "Note: see below", "a+b=c",
                                  "churn-model:2", "churn@champion", "10:30"])
def test_esc_leaves_everyday_names_as_they_are(name: str) -> None:
    """Streamlit also puts a label in aria-label, where a screen reader would read each backslash; and
    a model reference copied from a page into the command line must not carry an invisible character."""
    assert esc(name) == name


def test_esc_breaks_autolinks_and_shortcodes_with_an_invisible_word_joiner() -> None:
    out = esc("see http://evil.example/u, www.evil.example or bob@evil.example :smile: :material/home:")
    assert f"http:{WORD_JOINER}//evil" in out and f"www{WORD_JOINER}.evil" in out and f"@{WORD_JOINER}evil" in out
    assert f":{WORD_JOINER}smile:" in out and f":{WORD_JOINER}material/home:" in out


def test_esc_keeps_text_on_one_line() -> None:
    out = esc(" a\n# heading\r===\n- item\u2028> quote\t ")
    assert "\n" not in out and "\r" not in out and "\u2028" not in out
    assert plain(out) == "a # heading === - item > quote"


def test_esc_leaves_keels_own_words_readable() -> None:
    for text in ("Right answers — on the test rows", "R² 0.93 (likely 0.91–0.95)", "50 % of 1,234 rows"):
        assert plain(esc(text)) == text


def test_inert_figure_shows_tags_as_text_but_keeps_keels_formatting() -> None:
    link = "<a href=http://evil.example/t>t</a>"
    fig = go.Figure(go.Bar(x=[link, "<img src=x>"], y=[1, 2], name=link,
                           hovertemplate="%{x}<br>%{y}<extra></extra>"))
    fig.update_layout(title=f"<b>Sales</b> of {link}", xaxis_title=link)
    out = json.loads(inert_figure(fig).to_json())
    text = json.dumps(out)
    assert "<a " not in text and "<img" not in text and "&lt;a href" in text
    assert out["data"][0]["hovertemplate"] == "%{x}<br>%{y}<extra></extra>"
    assert out["layout"]["title"]["text"].startswith("<b>Sales</b> of &lt;a href")
    clean = go.Figure(go.Bar(x=["a"], y=[1], hovertemplate="%{x}<br>%{y}<extra></extra>"))
    assert inert_figure(clean) is clean  # nothing to change: the same figure, no copy


def test_core_charts_of_hostile_columns_hold_no_live_tag() -> None:
    frame = hostile_frame()
    for column, kind in ((NAMES["channel"], "categorical"), (NAMES["units"], "numeric")):
        text = inert_figure(column_figure(frame[column], kind)).to_json()
        assert not re.search(r"<(?!/?(br|b|i|em|sup|sub|extra)\s*/?>)", text, re.IGNORECASE), text[:300]


# ----------------------------------------------------------------------------- the pages
@pytest.fixture()
def hostile() -> tuple[store.DatasetInfo, store.ModelInfo]:
    table = read_table(hostile_frame().to_csv(index=False).encode(), name=FILE_NAME)
    info = workflows.keep_upload(table, pii_actions={NAMES["product"]: "keep"})
    model = workflows.train_and_register(info.id, target=NAMES["target"], name=MODEL_NAME, time_budget_s=30).model
    return info, model


def markdown_strings(at) -> list[tuple[str, str]]:
    """Every string AppTest can see that the browser renders as Markdown."""
    out = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "success", "warning", "error"):
        out += [(kind, str(e.value)) for e in getattr(at, kind)]
    for kind in ("button", "checkbox", "radio", "selectbox", "multiselect", "number_input", "text_input",
                 "date_input", "slider", "select_slider", "toggle", "text_area"):
        for widget in getattr(at, kind):
            out.append((f"{kind} label", str(widget.label)))
            if getattr(widget, "help", None):
                out.append((f"{kind} help", str(widget.help)))
    for widget in at.radio:  # radio options render Markdown (selectbox and multiselect options do not)
        out += [("radio option", str(o)) for o in widget.options]
    for metric in at.metric:
        out += [("metric label", str(metric.label)), ("metric value", str(metric.value))]
    out += [("expander", str(e.label)) for e in at.expander] + [("tab", str(t.label)) for t in at.tabs]
    return out


def assert_inert(at) -> list[tuple[str, str]]:
    assert not at.exception, [e.value for e in at.exception]
    strings = markdown_strings(at)
    raw = [(kind, s) for kind, s in strings for h in HOSTILE if h in s]
    assert raw == [], "user text reached a Markdown context unescaped"
    hostile = [(kind, s) for kind, s in strings if "evil" in s or "127.0.0.1" in s]
    assert hostile, "the hostile text never reached the page: nothing was checked"
    assert [(kind, s, live(s)) for kind, s in hostile if live(s)] == []
    return hostile


def _forecast(at) -> None:
    # two number columns could be meant: the page asks (hostile names in the question) and the user picks
    assert not at.multiselect[0].value
    at.multiselect[0].set_value([NAMES["units"]]).run()
    [b for b in at.button if b.label == "Forecast"][0].click().run()
    jobs.wait(at.session_state[state.FORECAST_JOB]["job"], 180)
    at.run()


def _monitor(at) -> None:
    batch = hostile_frame(shift=1.5).to_csv(index=False).encode()
    at.file_uploader(key="monitor_upload").upload(FILE_NAME, batch, "text/csv").run()
    [b for b in at.button if b.label == "Check this batch"][0].click().run()


@pytest.mark.parametrize("page, act", [
    ("app.py", None), ("pages/1_Data.py", None), ("pages/2_Train.py", None), ("pages/3_Evaluate.py", None),
    ("pages/4_Predict.py", None), ("pages/5_Models.py", None), ("pages/6_Forecast.py", _forecast),
    ("pages/7_Monitor.py", _monitor),
], ids=lambda v: getattr(v, "__name__", v))
def test_every_page_renders_hostile_names_inert(hostile, page: str, act) -> None:
    info, model = hostile
    at = open_page(page, **{state.DATASET_ID: info.id, state.MODEL_ID: model.id,
                            state.TARGET: {info.id: NAMES["target"]}})
    if act is not None:
        assert not at.exception, [e.value for e in at.exception]
        act(at)
    assert_inert(at)


def test_one_row_form_labels_are_escaped_and_options_stay_plain(hostile) -> None:
    _, model = hostile
    at = open_page("pages/4_Predict.py", **{state.MODEL_ID: model.id})
    assert_inert(at)
    labels = {w.label: w for w in [*at.number_input, *at.selectbox, *at.date_input]}
    for feature in model.schema["features"]:
        assert esc(feature["name"]) in labels, feature["name"]
        assert plain(esc(feature["name"])) == feature["name"]
    # selectbox options are shown as plain text by the browser: escaping them would show backslashes
    channel = labels[esc(NAMES["channel"])]
    assert set(HOSTILE_CHANNELS) <= set(channel.options)
    [b for b in at.button if b.label == "Predict"][0].click().run()
    hostile_strings = assert_inert(at)
    assert any(kind == "success" and "verify your account" in plain(s) for kind, s in hostile_strings)


def test_train_page_tooltips_and_labels_are_escaped(hostile) -> None:
    info, _ = hostile
    at = open_page("pages/2_Train.py", **{state.DATASET_ID: info.id, state.TARGET: {info.id: NAMES["target"]}})
    assert_inert(at)
    put_back = [c for c in at.checkbox if "Put back" in c.label]
    assert put_back and plain(put_back[0].label) == f"Put back '{NAMES['product']}'"
    assert all(c.help and not specials(c.help) for c in put_back)
    # the column to predict is offered as plain text, exactly as in the file
    assert NAMES["target"] in [s for s in at.selectbox if s.label.startswith("Which column")][0].options


def test_cut_off_labels_quote_the_class_escaped(hostile) -> None:
    _, model = hostile
    at = open_page("pages/3_Evaluate.py", **{state.MODEL_ID: model.id})
    assert_inert(at)
    costs = [plain(w.label) for w in at.number_input if w.label.startswith("Cost of")]
    assert len(costs) == 2 and all(any(f"'{c}'" in label for c in HOSTILE_CLASSES) for label in costs)


def test_flash_after_a_fix_names_the_new_version_escaped(hostile) -> None:
    info, _ = hostile
    at = open_page("pages/1_Data.py", **{state.DATASET_ID: info.id})
    fix = [b for b in at.button if b.label in {f.label for f in FIXES.values()}]
    assert fix, "the hostile file should offer a one-click fix"
    fix[0].click().run()
    assert_inert(at)
    assert at.success and "report" in plain(at.success[0].value) and not live(at.success[0].value)

"""Escaped everywhere, in a real browser: a file whose column names, values, file name and model name
are Markdown links and images, raw HTML, bare URLs and e-mail addresses goes through every page.

On every page: no link or image made of user text, no request to the listener the images point at,
and no request to any host but Keel's own server. Each page must show the hostile text literally at
least once, so the checks cannot pass on a page that rendered nothing."""

from __future__ import annotations

import http.server
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.app.helpers import HOSTILE_CHANNELS, HOSTILE_CLASSES, HOSTILE_PRODUCTS, hostile_frame, hostile_names
from tests.e2e.conftest import ROOT, shot, wait_idle
from ui.common import esc

SHOTS = Path("/tmp/helper_escape")  # the one-row form at desktop and phone width, for a person to look at


class Listener:
    """An HTTP server on loopback that records every request (a tracking beacon would land here)."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        seen = self.requests

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                seen.append(self.path)
                self.send_response(204)
                self.end_headers()

            do_POST = do_HEAD = do_GET  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, name="hostile-listener", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)


@pytest.fixture()
def listener() -> Iterator[Listener]:
    lis = Listener()
    with urllib.request.urlopen(f"http://127.0.0.1:{lis.port}/self-test", timeout=5):
        pass
    assert lis.requests == ["/self-test"], "the listener must see a request, or its silence proves nothing"
    lis.requests.clear()
    yield lis
    lis.stop()


# Every anchor, image-like element and script on the page, with where it points and what it says
# (SVG anchors from charts keep their target in xlink:href).
_COLLECT = """() => {
  const attr = (e, names) => names.map(n => e.getAttribute(n)).filter(v => v).join(' ');
  return {
    anchors: Array.from(document.querySelectorAll('a')).map(a => ({
      href: attr(a, ['href', 'xlink:href']), text: (a.textContent || '').slice(0, 200)})),
    sources: Array.from(document.querySelectorAll('img, image, iframe, source, video, audio, object, embed'))
      .map(e => attr(e, ['src', 'srcset', 'href', 'xlink:href', 'data'])),
    scripts: Array.from(document.querySelectorAll('script')).map(s => s.textContent || ''),
    text: document.body.innerText.replaceAll('\\u2060', ''),
  };
}"""


class Journey:
    def __init__(self, page: Page, server_url: str, listener: Listener) -> None:
        self.page, self.server_url, self.listener = page, server_url, listener
        self.foreign: list[str] = []
        self.own = 0  # requests to Keel's server: proof that the request hook sees requests at all
        page.on("request", self._request)
        self.checked: dict[str, list[str]] = {}

    def _request(self, request) -> None:
        if request.url == self.server_url or request.url.startswith(self.server_url + "/"):
            self.own += 1
        else:
            self.foreign.append(request.url)

    def go(self, link: str, heading: str) -> None:
        self.page.get_by_test_id("stSidebar").get_by_role("link", name=link).click()
        expect(self.page.get_by_role("heading", name=heading)).to_be_visible(timeout=30_000)
        wait_idle(self.page)

    def check(self, where: str, literals: list[str]) -> None:
        """The page shows each of ``literals`` as text, and nothing on it links or loads user text."""
        wait_idle(self.page)
        self.page.wait_for_timeout(500)  # let images (if any were made) start loading
        found = self.page.evaluate(_COLLECT)
        shown = " ".join(found["text"].split())
        missing = [text for text in literals if " ".join(text.split()) not in shown]
        assert literals and not missing, f"{where}: hostile text not shown literally: {missing}\n{shown[:3000]}"
        assert found["anchors"], f"{where}: no anchors at all (the sidebar's links should be there)"
        port = f":{self.listener.port}"
        bad_links = [a for a in found["anchors"] if "evil" in a["href"] or port in a["href"] or "evil" in a["text"]]
        assert bad_links == [], f"{where}: user text became a link"
        bad_sources = [s for s in found["sources"] if "evil" in s or port in s]
        assert bad_sources == [], f"{where}: user text became an image or frame"
        assert not [s for s in found["scripts"] if "alert(1)" in s], f"{where}: user text became a script"
        assert self.listener.requests == [], f"{where}: the browser fetched {self.listener.requests}"
        assert self.own > 0 and self.foreign == [], f"{where}: requests beyond Keel's server: {self.foreign}"
        self.checked[where] = literals

    def choose(self, label: str, option: str) -> None:
        """Pick ``option`` in the selectbox labelled ``label`` (options are plain text, as typed)."""
        self.page.get_by_role("combobox", name=label, exact=True).click()
        self.page.get_by_role("option", name=option, exact=True).click()
        self.page.wait_for_timeout(500)  # the rerun may not have started yet
        wait_idle(self.page)


@pytest.mark.browser
def test_hostile_names_stay_text_on_every_page(server, page: Page, listener: Listener) -> None:
    names = hostile_names(listener.port)
    file_name = f"[report](http://evil.example/f) <img src=http://127.0.0.1:{listener.port}/f.png> bob@evil.example.csv"
    model_name = "[model](http://evil.example/m) www.evil.example"
    model_label = f"{model_name.replace(':', '-')}:1"  # ':' separates a version in the store's names
    csv = hostile_frame(listener.port).to_csv(index=False).encode()
    batch = hostile_frame(listener.port, shift=1.5).to_csv(index=False).encode()
    j = Journey(page, server.url, listener)

    page.goto(server.url)
    wait_idle(page)
    j.go("Check my data", "Check my data")
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        {"name": file_name, "mimeType": "text/csv", "buffer": csv})
    expect(page.get_by_text("Personal data found in 1 column")).to_be_visible(timeout=60_000)
    j.check("Check my data: the personal-data question", [names["product"]])
    page.get_by_test_id("stRadio").get_by_text("keep", exact=True).click()
    wait_idle(page)
    page.get_by_role("button", name="Keep this dataset").click()
    expect(page.get_by_text(re.compile(r"Kept '.*': 120 rows × 6 columns"))).to_be_visible(timeout=60_000)
    j.check("Check my data", [f"Kept '{file_name}'", f"column: {names['product']}"])
    j.choose("Which column would you like to predict? (optional: Keel then also looks for columns that give the "
             "answer away)", names["target"])
    page.get_by_role("tab", name="Preview").click()
    wait_idle(page)
    shot(page, "hostile_data_preview")  # the table's headers and cells are drawn as text on a canvas

    j.go("Home", "Recent work")
    j.check("Home", [file_name])

    j.go("Train a model", "Train a model")
    page.get_by_text("More settings").click()
    name_box = page.get_by_role("textbox", name="Model name")
    name_box.fill(model_name)
    name_box.press("Enter")
    wait_idle(page)
    j.check("Train a model: the plan", [f"Put back '{names['product']}'"])
    page.get_by_role("button", name="Train and compare").click()
    expect(page.get_by_text(re.compile(r"Model trained in \d+ s and kept as"))).to_be_visible(timeout=180_000)
    j.check("Train a model", [model_label, names["product"]])

    j.go("How good is it?", "How good is it?")
    page.get_by_role("tab", name="Yes/no cut-off").click()
    page.get_by_role("button", name="Find the best cut-off").click()
    expect(page.get_by_test_id("stAlertContentSuccess").first).to_be_visible(timeout=60_000)
    j.check("How good is it?: the cut-off", [f"says '{HOSTILE_CLASSES[1]}' wrongly"])
    page.get_by_role("tab", name="Fairness").click()
    j.choose("Sensitive column", names["channel"])
    j.check("How good is it?: fairness", [f"'{names['channel']}'"])

    j.go("Make predictions", "Make predictions")
    page.get_by_test_id("stFileUploaderDropzoneInput").first.set_input_files(
        {"name": file_name, "mimeType": "text/csv", "buffer": csv})
    expect(page.get_by_text("Scored 120 rows.")).to_be_visible(timeout=60_000)
    j.check("Make predictions: a file", [f"'{names['units']}'", f"'{names['channel']}'"])
    page.get_by_role("tab", name="One row").click()
    form = page.get_by_test_id("stForm")
    expect(form).to_be_visible()
    j.choose(esc(names["channel"]), HOSTILE_CHANNELS[0])  # Streamlit names the box by its label's source
    form.get_by_role("button", name="Predict").click()
    expect(page.locator('[data-testid="stAlertContentSuccess"]:visible', has_text="🎯")).to_be_visible(timeout=60_000)
    j.check("Make predictions: one row", [names["units"], names["score"], names["channel"], names["date"]])
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 2200})
        wait_idle(page)
        form.scroll_into_view_if_needed()
        form.screenshot(path=str(SHOTS / f"one_row_form_{width}.png"))
    page.set_viewport_size({"width": 1366, "height": 2200})
    wait_idle(page)

    j.go("My models", "My models")
    page.get_by_text("Delete this version").click()
    j.check("My models", [f"Deleting {model_label}"])

    j.go("Forecast & order", "Forecast & order")
    # two number columns could be meant: Keel asks, naming both, and leaves the choice to the user
    j.check("Forecast & order: which column?", [names["units"], names["score"]])
    page.get_by_role("combobox", name="What to forecast").click()
    page.get_by_role("option", name=names["units"], exact=True).click()
    page.keyboard.press("Escape")
    page.wait_for_timeout(500)
    wait_idle(page)
    page.get_by_role("button", name="Forecast", exact=True).click()
    expect(page.get_by_text(re.compile(r"Forecast 2 series"))).to_be_visible(timeout=240_000)
    j.check("Forecast & order", list(HOSTILE_PRODUCTS))
    shot(page, "hostile_forecast")

    j.go("Monitor", "Monitor")
    page.get_by_test_id("stFileUploaderDropzoneInput").first.set_input_files(
        {"name": file_name, "mimeType": "text/csv", "buffer": batch})
    expect(page.get_by_role("button", name="Check this batch")).to_be_visible(timeout=60_000)
    wait_idle(page)
    page.get_by_role("button", name="Check this batch").click()
    expect(page.get_by_text(re.compile(r"No action needed|Worth a review|Retrain recommended")).first).to_be_visible(
        timeout=120_000)
    j.check("Monitor", [names["score"]])
    shot(page, "hostile_monitor")

    assert len(j.checked) == 13, list(j.checked)


# ----------------------------------------------------------------------------- esc() against the renderer
ESC_CASES = [
    "# heading", "## h2", "#tag", "- item", "+ item", "* item", "1. item", "12) item", "3.5 kg", "> quote", "---",
    "***", "___", "- - -", "a_b_c", "_a_", "__init__", "a _b_ c", "*a*", "a*b*c", "`code`", "~~del~~", "~x~", "$x$",
    "$$x$$", "[a](b)", "[a][b]", "[x]: http://evil.example", "[^1]", "![a](b)", "<b>x</b>", "<http://evil.example/ang>",
    "http://evil.example", "HTTPS://EVIL.EXAMPLE/z?q=1", "www.evil.example", "bob@evil.example",
    "mailto:bob@evil.example", ":smile:", ":100:", ":joy::joy:", ":material/home:", ":streamlit:", ":red[x]",
    "a :red b", ":red{style=color:red}", "&amp; &lt;b&gt; &#65; &nbsp;", "R&D", "a\\b", "\\*not\\*", "a | b | c",
    "x > 5 and y < 3", "    four spaces", "a\n===", "line1\nline2", "<!-- c -->", "[link](javascript:alert(1))",
    "```", "~~~", "{{x}} %{x}", "bill_length_mm", "Sales 2024.csv", "e-mail -5 °C", "10:30 Note: x",
]
ESC_APP = '''
import json
import streamlit as st
from ui.common import esc
for i, text in enumerate(json.loads(open("cases.json").read())):
    with st.container(key=f"md_{i}"):
        st.markdown(esc(text))
    with st.container(key=f"item_{i}"):
        st.markdown(f"- {esc(text)}")
    with st.container(key=f"bold_{i}"):
        st.markdown(f"**{esc(text)}**")
    with st.container(key=f"label_{i}"):
        st.checkbox(esc(text), key=f"c{i}", help=esc(text))
    with st.container(key=f"option_{i}"):
        st.radio(f"r{i}", [esc(text)], key=f"r{i}")
    with st.container(key=f"metric_{i}"):
        st.metric(esc(text), esc(text))
'''
# Per place: the elements Keel's own Markdown makes there; anything else came from the user's text.
ESC_ALLOWED = {"md": {"p"}, "item": {"ul", "li", "p"}, "bold": {"p", "strong"}, "label": {"p"}, "option": {"p"},
               "metric": {"p"}}


@pytest.mark.browser
def test_esc_renders_every_markdown_trick_as_its_text(page: Page, listener: Listener, tmp_path: Path) -> None:
    """Each case, through esc(), in six places that render Markdown: exactly its text, nothing more."""
    cases = [*ESC_CASES, f"![b](http://127.0.0.1:{listener.port}/b.png) bill",
             f"<img src=http://127.0.0.1:{listener.port}/i.png>"]
    (tmp_path / "cases.json").write_text(json.dumps(cases))
    (tmp_path / "esc_app.py").write_text(ESC_APP)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    url = f"http://127.0.0.1:{port}"
    with open(tmp_path / "streamlit.log", "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "esc_app.py", "--server.headless", "true", "--server.address",
             "127.0.0.1", "--server.port", str(port), "--server.fileWatcherType", "none",
             "--browser.gatherUsageStats", "false"],
            cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT), "KEEL_HOME": str(tmp_path / "home")},
            stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(600):
            assert proc.poll() is None, (tmp_path / "streamlit.log").read_text()
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        j = Journey(page, url, listener)
        page.goto(url)
        wait_idle(page)
        expect(page.get_by_test_id("stMetric")).to_have_count(len(cases), timeout=30_000)
        page.get_by_test_id("stTooltipHoverTarget").first.hover()  # tooltips (help=) render Markdown too
        expect(page.get_by_test_id("stTooltipContent")).to_be_visible()
        rendered = page.evaluate("""() => Array.from(document.querySelectorAll('[class*="st-key-"]'))
          .map(c => Array.from(c.classList).find(k => /^st-key-(md|item|bold|label|option|metric)_\\d+$/.test(k)))
          .filter(k => k).map(k => {
            const box = document.querySelector('.' + k);
            const md = Array.from(box.querySelectorAll('[data-testid="stMarkdownContainer"]'));
            return {key: k.slice(7), texts: md.map(m => m.innerText.replaceAll('\\u2060', '')),
                    tags: Array.from(new Set(md.flatMap(m => Array.from(m.querySelectorAll('*'))
                            .map(e => e.tagName.toLowerCase()))))};
          })""")
        tooltip = page.get_by_test_id("stTooltipContent").evaluate(
            "t => ({text: t.innerText.replaceAll('\\u2060', ''),"
            "       tags: Array.from(t.querySelectorAll('*')).map(e => e.tagName.toLowerCase())})")
        assert len(rendered) == 6 * len(cases)
        wrong = []
        for item in rendered:
            place, i = item["key"].rsplit("_", 1)
            want = " ".join(cases[int(i)].split())
            texts = [" ".join(t.split()) for t in item["texts"]]
            texts = texts[1:] if place == "option" else texts  # the radio's own label comes first
            if not texts or any(t != want for t in texts) or set(item["tags"]) - ESC_ALLOWED[place]:
                wrong.append((place, cases[int(i)], texts, sorted(set(item["tags"]) - ESC_ALLOWED[place])))
        assert wrong == []
        assert " ".join(tooltip["text"].split()) == " ".join(cases[0].split()) and set(tooltip["tags"]) <= {"div", "p"}
        j.check("esc() test page", [cases[-2], cases[-1], "[link](javascript:alert(1))"])
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)

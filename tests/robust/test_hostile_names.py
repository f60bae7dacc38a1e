"""Hostile file names, column names and cell values: never a path, never HTML, never a link, never a formula.

Uploads go through the real 'Check my data' page (AppTest, real store in a temp KEEL_HOME). The
payloads: file names with ``../``, NUL, HTML and Markdown links; column names and cells holding
``<script>``, Markdown emphasis and links, and a spreadsheet formula. Uploads run in a working
folder two levels inside the test's temp folder, so a name taken as a path lands there (checked).
"""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

import pandas as pd
import pytest

from core import store
from core.charts import column_figure
from core.models.predict import to_safe_csv
from tests.app.helpers import open_page

PAGE = "pages/1_Data.py"
HOSTILE_NAMES = [
    pytest.param("../../etc/passwd.csv", id="dotdot"),
    pytest.param("a\u0000b.csv", id="nul"),
    pytest.param("<img src=x onerror=alert(1)>.csv", id="html"),
    pytest.param("[click](http://evil).csv", id="markdown-link"),
]
PAYLOADS = ["<script>alert(1)</script>", "**bold**", "[link](http://x)", '=HYPERLINK("http://x")']
ALLOWED_IN_HOME = {"keel.db", "keel.db-wal", "keel.db-shm", "datasets", "models", "logs", "secret.key", ".migrate.lock"}
MARKERS = ("script", "alert", "onerror", "evil", "bold", "http://x", "HYPERLINK", "passwd")


def _hostile_csv() -> bytes:
    # "amount" first: a file that *starts* with "<script" is refused as a web page by ingest (fine too)
    frame = pd.DataFrame(
        {
            "amount": [float(i % 7) for i in range(30)],
            PAYLOADS[0]: [PAYLOADS[0], "plain", PAYLOADS[2]] * 10,
            PAYLOADS[1]: [PAYLOADS[1], "other", PAYLOADS[3]] * 10,
            PAYLOADS[2]: [PAYLOADS[2], PAYLOADS[0], "x"] * 10,
            PAYLOADS[3]: [PAYLOADS[3], "ok", PAYLOADS[1]] * 10,
        }
    )
    return frame.to_csv(index=False).encode()


def _unsafe(text: str) -> list[str]:
    """Live HTML, links or emphasis a Markdown renderer would make of ``text`` (escaped text is fine)."""
    problems = []
    if re.search(r"(?<!\\)<\s*[a-zA-Z/!]", text):
        problems.append("unescaped HTML tag")
    if re.search(r"(?<!\\)\]\s*\(", text) and re.search(r"(?<!\\)\[", text):
        problems.append("Markdown link")
    if re.search(r"(?<!\\)\*(?<!\\)\*bold", text):
        problems.append("Markdown emphasis")
    return problems


def _rendered_text(at) -> list[tuple[str, str]]:
    """Every Markdown-rendered string on the page: element bodies and widget labels."""
    out = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "success", "warning", "error"):
        out += [(kind, str(e.value)) for e in getattr(at, kind)]
    for kind in ("radio", "selectbox", "checkbox", "button", "text_input", "expander", "tabs"):
        out += [(f"{kind} label", str(getattr(e, "label", ""))) for e in getattr(at, kind)]
    return out


def _tree(folder: Path) -> set[Path]:
    return set(folder.rglob("*")) if folder.exists() else set()


@pytest.mark.parametrize("file_name", HOSTILE_NAMES)
def test_hostile_upload_stays_in_keel_home_and_renders_as_text(
    tmp_path: Path, keel_home: Path, file_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two levels deep in the temp folder: '../../etc/passwd.csv' taken as a path from here is
    # tmp_path/etc/passwd.csv, never the machine's /etc (sessions run as root).
    work = tmp_path / "w1" / "w2"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    before = _tree(tmp_path)
    at = open_page(PAGE)
    at.file_uploader(key="upload").upload(file_name, _hostile_csv(), "text/csv").run()
    assert not at.exception, [e.value for e in at.exception]

    # stored once, under KEEL_HOME only, named by content — never by the user's file name
    [info] = store.list_datasets()
    assert info.rows == 30 and "\x00" not in info.name and "\x00" not in info.original_name
    for path in _tree(tmp_path) - before:
        relative = path.relative_to(keel_home)  # ValueError if anything was written outside KEEL_HOME
        if not relative.parts:
            continue  # KEEL_HOME itself
        assert relative.parts[0] in ALLOWED_IN_HOME, path
        if relative.parts[0] == "datasets" and path.is_file():
            assert re.fullmatch(r"[0-9a-f]{64}\.parquet", path.name), path
    for base in (Path.cwd(), keel_home, keel_home / "datasets", tmp_path):
        implied = base / file_name.replace("\x00", "")
        assert not implied.exists() or implied.resolve() in {keel_home.resolve(), tmp_path.resolve()}, implied
    assert not (tmp_path / "etc").exists()
    assert not (keel_home / "logs" / "errors.log").exists()

    # everything Markdown renders shows the payloads as text
    rendered = _rendered_text(at)
    assert any("script" in value for _, value in rendered)  # the payloads did reach the page
    bad = [(kind, value[:160], _unsafe(value)) for kind, value in rendered
           if any(m in value for m in MARKERS) and _unsafe(value)]
    assert bad == []


@pytest.mark.parametrize("name", ["<b>x</b>", "<script>alert(1)</script>", "[link](http://x)"])
def test_chart_titles_and_labels_escape_html(name: str) -> None:
    numbers = column_figure(pd.Series([1.0, 2.0, 2.5, 7.0], name=name), "numeric")
    title = numbers.layout.title.text
    assert html.escape(name, quote=False) in title and "<b>" not in title and "<script" not in title
    assert "<" not in numbers.layout.xaxis.title.text
    labels = column_figure(pd.Series([name, name, "plain"], name=name), "categorical")
    assert "<" not in labels.layout.title.text
    assert all("<" not in str(v) for v in labels.data[0].y)


def test_exported_csv_holds_no_live_formula() -> None:
    frame = pd.DataFrame(
        {
            '=HYPERLINK("http://x")': ['=HYPERLINK("http://x")', "+1+2", "-cmd", "@SUM(A1)", "\t=1", "safe"],
            "number": [-3.5, 1.0, 2.0, 3.0, 4.0, 5.0],
            "category": pd.Categorical(["=1+1", "a", "b", "a", "b", "a"]),
        }
    )
    text = to_safe_csv(frame).decode("utf-8")
    back = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    for column in back.columns:
        assert not column.startswith(("=", "+", "-", "@", "\t", "\r")), column
    for column in ("'=HYPERLINK(\"http://x\")", "category"):
        assert not back[column].str.match(r"[=+\-@\t\r]").any(), back[column].tolist()
    assert back["number"].tolist()[0] == "-3.5"  # numbers stay numbers
    assert back.iloc[0, 0] == "'=HYPERLINK(\"http://x\")"


@pytest.mark.parametrize(
    "page",
    ["app.py", "pages/1_Data.py", "pages/2_Train.py", "pages/4_Predict.py", "pages/5_Models.py",
     "pages/6_Forecast.py", "pages/7_Monitor.py"],
)
def test_every_page_shows_a_hostile_dataset_as_text(keel_home: Path, page: str) -> None:
    """A dataset whose name, column names and cells are hostile, kept the way an upload is kept."""
    from core import workflows
    from core.data.ingest import read_table
    from ui import state

    table = read_table(_hostile_csv(), name="[click](http://evil) <img src=x onerror=alert(1)>.csv")
    info = workflows.keep_upload(table)
    at = open_page(page, **{state.DATASET_ID: info.id})
    assert not at.exception, [e.value for e in at.exception]
    bad = [(kind, value[:160], _unsafe(value)) for kind, value in _rendered_text(at)
           if any(m in value for m in MARKERS) and _unsafe(value)]
    assert bad == []

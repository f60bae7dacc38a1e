"""Every page at desktop (1400 px) and phone (390 px) width, with results on it: a screenshot of each for a
person to look at, chart titles written as text (never cut off inside a chart), no chart toolbar, and axe-core
(the accessibility checker, installed by .ci/run) finding no serious or critical problem.

Screenshots go to screenshots/tmp/pages/<width>/ (ignored by git); the ones looked at are copied to screenshots/.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from bench.load_test import Server
from tests.e2e.conftest import ROOT, SHOTS, wait_idle
from tests.e2e.test_watch_journeys import drifted_batch

AXE = ROOT / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = (1400, 390)

# A store with a trained yes/no model and one checked (drifted) batch, so every page has something to show.
SEED = """
import sys
import pandas as pd
from core import workflows
from core.data import load_sample
from core.monitoring import monitor_batch
load_sample("shop_sales")
churn = load_sample("customer_churn")
model = workflows.train_and_register(churn.id, target="churned", time_budget_s=20).model
monitor_batch(model.id, pd.read_csv(sys.argv[1]), labels_column="churned")
"""


@pytest.fixture(scope="module")
def seeded_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    base = tmp_path_factory.mktemp("every_page")
    home = base / "keel_home"
    batch = drifted_batch(base / "batch.csv")
    done = subprocess.run(
        [sys.executable, "-c", SEED, str(batch)],
        cwd=ROOT,
        env={**os.environ, "KEEL_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    srv = Server(home, base / "streamlit.log")
    yield srv
    srv.stop()


def axe_problems(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now, one line each."""
    if not AXE.exists():
        message = f"axe-core is not installed at {AXE} (.ci/run installs it with npm)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
        }"""
    )
    return [f"{v['impact']}: {v['id']} ({v['help']}) at {v['nodes']}" for v in found if v["impact"] in ("serious", "critical")]


def look(page: Page, name: str, problems: dict[str, list[str]]) -> None:
    """At each width: the whole page in one screenshot, the axe check and the chart checks."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 1000})
        wait_idle(page)
        page.wait_for_timeout(800)  # charts redraw at the new width
        height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
        page.set_viewport_size({"width": width, "height": min(max(int(height) + 40, 800), 14_000)})
        page.wait_for_timeout(800)
        folder = SHOTS / "pages" / str(width)
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{name}.png"))
        # Keel writes chart titles as text above each chart (they wrap; a title inside the chart is cut off
        # at phone width and the toolbar covered it): no chart has a title or a toolbar of its own.
        assert page.locator(".js-plotly-plot .gtitle").count() == 0, f"{name} at {width} px: a title inside a chart"
        assert page.locator(".js-plotly-plot .modebar-container .modebar").count() == 0, f"{name}: chart toolbar"
        for chart in page.locator('[data-testid="stPlotlyChart"]:visible').all():
            box = chart.bounding_box()
            assert box is not None and box["width"] <= width, f"{name} at {width} px: a chart wider than the screen"
        problems[f"{name} at {width} px"] = axe_problems(page)
        assert "Traceback" not in page.content() and "Sorry — something went wrong" not in page.content()
    page.set_viewport_size({"width": WIDTHS[0], "height": 1000})
    wait_idle(page)


def go(page: Page, link: str, heading: str) -> None:
    page.get_by_test_id("stSidebar").get_by_role("link", name=link).click()
    expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible(timeout=30_000)
    wait_idle(page)


@pytest.mark.browser
def test_every_page_reads_at_phone_and_desktop_width_with_no_serious_accessibility_problem(
    seeded_server: Server, page: Page, tmp_path: Path
) -> None:
    problems: dict[str, list[str]] = {}
    page.set_viewport_size({"width": WIDTHS[0], "height": 1000})
    page.goto(seeded_server.url)
    wait_idle(page)
    expect(page.get_by_text("Recent work")).to_be_visible()
    look(page, "home", problems)

    page.get_by_role("button", name="Open this sample").nth(0).click()  # the shop's sales
    expect(page.get_by_role("heading", name="Check my data", level=1)).to_be_visible(timeout=30_000)
    wait_idle(page)
    look(page, "data", problems)

    go(page, "Forecast & order", "📈 Forecast & order")
    page.get_by_role("button", name="Forecast", exact=True).click()
    expect(page.get_by_text(re.compile(r"Forecast 11 series \(daily\)"))).to_be_visible(timeout=300_000)
    wait_idle(page)
    expect(page.get_by_role("heading", name="What to order")).to_be_visible()
    look(page, "forecast", problems)

    go(page, "Train a model", "🏋️ Train a model")
    look(page, "train", problems)

    go(page, "How good is it?", "📏 How good is it?")
    expect(page.get_by_text("In short")).to_be_visible()
    look(page, "evaluate", problems)

    go(page, "Make predictions", "🎯 Make predictions")
    look(page, "predict", problems)

    go(page, "My models", "🗂️ My models")
    look(page, "models", problems)

    go(page, "Monitor", "🩺 Monitor")
    expect(page.get_by_role("heading", name="Over time")).to_be_visible()
    look(page, "monitor", problems)
    # and with a checked batch: the verdict, the drift overview, the table and one column's before/after
    page.get_by_test_id("stFileUploaderDropzoneInput").first.set_input_files(str(drifted_batch(tmp_path / "b.csv")))
    expect(page.get_by_role("button", name="Check this batch")).to_be_visible(timeout=60_000)
    wait_idle(page)
    page.get_by_role("button", name="Check this batch").click()
    expect(page.get_by_role("heading", name="What changed in the data")).to_be_visible(timeout=120_000)
    wait_idle(page)
    look(page, "monitor_checked", problems)

    go(page, "People", "👥 People")
    look(page, "people", problems)

    assert len(problems) == 10 * len(WIDTHS)
    found = "\n".join(f"{where}: {line}" for where, lines in problems.items() for line in lines)
    (SHOTS / "pages" / "axe.txt").write_text(found or "no serious or critical violation\n")
    assert not found, "axe-core found serious or critical problems:\n" + found

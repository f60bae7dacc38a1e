"""Issue 20 in a real browser: a shipped sample's relationships, then one row predicted and explained.

Screenshots (1400 and 390 px wide) go to ``KEEL_SHOTS_DIR`` when set, else to the test's temporary folder:
never into the repository."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import wait_idle

WIDTHS = (1400, 390)


def _shots(page: Page, folder: Path, name: str) -> None:
    """The page at each width, tall enough that Streamlit's own scrolling area shows everything."""
    folder.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 4200})
        wait_idle(page)
        page.wait_for_timeout(600)  # plotly redraws at the new width
        page.screenshot(path=str(folder / f"{name}_{width}.png"))
    page.set_viewport_size({"width": 1366, "height": 2200})


@pytest.mark.browser
def test_a_student_sees_how_columns_relate_and_why_one_row_got_its_answer(server, page: Page, tmp_path: Path) -> None:
    folder = Path(os.environ.get("KEEL_SHOTS_DIR") or tmp_path)
    page.goto(server.url)
    wait_idle(page)
    page.locator(".st-key-sample_penguins").get_by_role("button", name="Open this sample").click()
    expect(page.get_by_role("heading", name="Check my data")).to_be_visible(timeout=30_000)
    wait_idle(page)
    page.get_by_role("tab", name="Relationships").click()
    expect(page.get_by_text("How strongly each pair of columns goes together")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Each column against 'species'")).to_be_visible(timeout=30_000)
    expect(page.get_by_text(re.compile(r"'flipper_length_mm' and 'body_mass_g' go together strongly"))).to_be_visible()
    panel = page.get_by_role("tabpanel").filter(has_text="How strongly each pair")
    expect(panel.locator(".main-svg").first).to_be_visible(timeout=30_000)
    assert "Sorry — something went wrong" not in page.content()
    _shots(page, folder, "relationships")

    page.get_by_role("link", name="Train a model").click()
    expect(page.get_by_role("heading", name="Train a model")).to_be_visible(timeout=30_000)
    wait_idle(page)
    page.get_by_role("button", name="Train and compare").click()
    expect(page.get_by_text(re.compile(r"Model trained in \d+ s and kept as"))).to_be_visible(timeout=180_000)
    wait_idle(page)

    page.get_by_role("link", name="Make predictions").click()
    expect(page.get_by_role("heading", name="Make predictions")).to_be_visible(timeout=30_000)
    wait_idle(page)
    page.get_by_role("tab", name="One row").click()
    page.get_by_role("button", name="Predict").click()
    sentence = page.get_by_text(re.compile(r"^Mostly because '.+' is .+ \([+−][0-9.]+ percentage points?\)"))
    expect(sentence).to_be_visible(timeout=60_000)
    expect(page.get_by_text(re.compile(r"Why the chance of '(Adelie|Chinstrap|Gentoo)' is \d+%"))).to_be_visible()
    expect(page.get_by_text("What pushed this answer up or down")).to_be_visible()
    wait_idle(page)
    assert "Sorry — something went wrong" not in page.content()
    _shots(page, folder, "one_row_explanation")

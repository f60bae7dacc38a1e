"""Deep links on a freshly started server open the right page with Keel's own navigation."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import shot, wait_idle
from ui.common import PAGES

# url path (Streamlit derives it from the file name) -> the page's H1 title
EXPECTED = [
    ("", "Keel"),
    ("Data", "Check my data"),
    ("Train", "Train a model"),
    ("Evaluate", "How good is it?"),
    ("Predict", "Make predictions"),
    ("Models", "My models"),
    ("Forecast", "Forecast & order"),
    ("Monitor", "Monitor"),
    ("People", "People"),
]


@pytest.mark.browser
def test_each_page_by_its_url_on_a_fresh_server(fresh_server, page: Page) -> None:
    assert len(EXPECTED) == len(PAGES)
    for path, title in reversed(EXPECTED):  # deep links first, Home last
        page.goto(f"{fresh_server.url}/{path}")
        wait_idle(page)
        expect(page.get_by_role("heading", level=1).first).to_contain_text(title, timeout=30_000)
        sidebar = page.get_by_test_id("stSidebar")
        for _, label, _ in PAGES:
            expect(sidebar.get_by_role("link", name=label)).to_be_visible()
        # the legacy auto-generated nav ("app", "1 Data"…) must not appear
        expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
        assert "Traceback" not in page.content()
    shot(page, "home_fresh")


@pytest.mark.browser
def test_reduce_motion_setting_stops_animations(server, browser) -> None:
    """A visitor who asked for less motion gets no spinning or fading; others keep them."""
    probe = """() => {
        const d = document.createElement('div');
        d.style.animation = 'keel-probe 1s infinite';
        d.style.transition = 'opacity 1s';
        document.body.appendChild(d);
        const s = getComputedStyle(d);
        return [s.animationName, s.transitionDuration];
    }"""
    seen = {}
    for motion in ("reduce", "no-preference"):
        context = browser.new_context(reduced_motion=motion)
        try:
            page = context.new_page()
            page.goto(f"{server.url}/Train")
            wait_idle(page)
            expect(page.get_by_role("heading", level=1).first).to_contain_text("Train a model", timeout=30_000)
            # the stylesheet comes with the page's first elements; wait until the browser has it
            page.wait_for_function("""() => [...document.querySelectorAll('style')]
                                       .some(s => s.textContent.includes('prefers-reduced-motion'))""",
                                   timeout=30_000)
            seen[motion] = page.evaluate(probe)
        finally:
            context.close()
    assert seen["reduce"] == ["none", "0s"]
    assert seen["no-preference"] == ["keel-probe", "1s"]

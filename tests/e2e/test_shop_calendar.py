"""The shop owner tells Keel their calendar (issue 17), in a real browser: the coffee-and-tea shop sample,
England's public holidays, its events file uploaded, the planned promotion and the stock-out mark, then the
forecast and the order list."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ROOT, wait_idle

SHOTS = Path(os.environ.get("KEEL_SHOTS", "/tmp/keel-shots"))  # looked at by eye; never in the repository


def pick(page: Page, label: str, option: str) -> None:
    """Choose ``option`` in the selectbox or multiselect labelled ``label`` (typing filters the list)."""
    box = page.get_by_test_id(re.compile(r"stSelectbox|stMultiSelect")).filter(has_text=label)
    wait_idle(page)
    box.locator("input").first.click()
    page.keyboard.type(option)
    page.get_by_role("option", name=option, exact=True).first.click(timeout=10_000)
    page.keyboard.press("Escape")
    # chosen: a selectbox shows it as its input's value, a multiselect as a chip (wait for the rerun to finish)
    expect(box.locator(f'input[value="{option}"]').or_(box.get_by_text(option, exact=True)).first).to_be_visible()
    page.wait_for_timeout(300)
    wait_idle(page)


def screenshot(page: Page, name: str, width: int) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": width, "height": 2600})
    wait_idle(page)
    page.wait_for_timeout(500)  # the layout settles after a resize
    page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)


def shop_with_calendar(page: Page, url: str) -> None:
    """From the home page: open the coffee-and-tea shop sample, go to Forecast & order, and tell it England's
    holidays, the stock-out mark and the promotion as a driver."""
    page.goto(url)
    wait_idle(page)
    page.get_by_role("button", name="Open this sample").nth(3).click()  # the coffee-and-tea shop
    expect(page.get_by_role("heading", name="Check my data")).to_be_visible(timeout=30_000)
    wait_idle(page)
    page.get_by_role("link", name="Forecast & order").click()
    expect(page.get_by_role("heading", name="Forecast & order")).to_be_visible(timeout=30_000)
    wait_idle(page)
    page.get_by_text("Your calendar and shop: holidays, events, promotions, stock-outs").click()
    wait_idle(page)
    pick(page, "Public holidays of", "United Kingdom")
    pick(page, "Region", "England")
    pick(page, "Days without stock are marked in", "out_of_stock")
    pick(page, "Known ahead (drivers)", "on_promotion")


@pytest.mark.browser
def test_shop_sample_with_holidays_forecasts_and_lists_orders(server, page: Page) -> None:
    shop_with_calendar(page, server.url)
    expect(page.get_by_text("has no future values")).to_have_count(0)
    page.get_by_text("Add your own events: promotions, closures, paydays, a local fair").click()
    expect(page.get_by_test_id("stDataFrame").or_(page.get_by_test_id("stDataEditor")).first).to_be_visible()
    events = page.get_by_test_id("stFileUploaderDropzoneInput").nth(1)  # the first is the sales-history upload
    events.set_input_files(str(ROOT / "data" / "shop_calendar_events.csv"))
    expect(page.get_by_text("4 rows read from 'shop_calendar_events.csv'.")).to_be_visible(timeout=30_000)
    wait_idle(page)
    screenshot(page, "calendar-controls", 1400)
    screenshot(page, "calendar-controls", 390)
    page.set_viewport_size({"width": 1366, "height": 2200})
    page.get_by_role("button", name="Forecast", exact=True).click()
    expect(page.get_by_text(re.compile(r"Forecast 6 series \(daily\)"))).to_be_visible(timeout=240_000)
    wait_idle(page)
    expect(page.get_by_text(re.compile(r"Days out of stock likely cost about \d+ sales of Green tea"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"What your calendar and shop did to"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"closed \(nothing sold on it in the history")).first).to_be_visible()
    expect(page.get_by_text(re.compile(r"Summer fair: about \+\d+")).first).to_be_visible()  # from the uploaded events
    expect(page.get_by_role("heading", name="What to order")).to_be_visible()
    expect(page.get_by_role("button", name="Download the order list (CSV)")).to_be_visible()
    assert "Traceback" not in page.content() and "Sorry — something went wrong" not in page.content()
    screenshot(page, "calendar-forecast", 1400)
    screenshot(page, "calendar-forecast", 390)

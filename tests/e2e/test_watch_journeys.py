"""The shop owner's and the analyst's journeys in a real browser."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ROOT, open_sample_and_train, shot, wait_idle


@pytest.mark.browser
def test_shop_sales_forecast_to_order_list_download(server, page: Page, tmp_path: Path) -> None:
    page.goto(server.url)
    wait_idle(page)
    page.get_by_role("button", name="Open this sample").nth(0).click()  # shop sales
    expect(page.get_by_role("heading", name="Check my data")).to_be_visible(timeout=30_000)
    wait_idle(page)
    page.get_by_role("link", name="Forecast & order").click()
    expect(page.get_by_role("heading", name="Forecast & order")).to_be_visible(timeout=30_000)
    wait_idle(page)
    page.get_by_role("button", name="Forecast", exact=True).click()
    try:
        expect(page.get_by_text(re.compile(r"Forecast 11 series \(daily\)"))).to_be_visible(timeout=240_000)
    finally:
        shot(page, "forecast_wait")
    wait_idle(page)
    expect(page.get_by_role("heading", name="What to order")).to_be_visible()
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible()
    assert "Sorry — something went wrong" not in page.content()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download the order list (CSV)").click()
    orders = pd.read_csv(download_info.value.path())
    assert len(orders) == 11 and {"product", "order_now", "explanation"} <= set(orders.columns)
    assert (orders["order_now"] >= 0).all()
    shot(page, "forecast")

    # Another file arrives (the same shop's takings per month, made from the sample): the first file's
    # forecast and order list must not be shown under the new file's name (the bug in issue 16).
    sales = pd.read_csv(ROOT / "data" / "shop_sales.csv", parse_dates=["date"])
    sales["takings"] = sales["units_sold"] * sales["price"]
    monthly = sales.groupby(sales["date"].dt.to_period("M").dt.to_timestamp())["takings"].sum().reset_index()
    path = tmp_path / "monthly takings.csv"
    monthly.to_csv(path, index=False)
    page.get_by_test_id("stFileUploaderDropzoneInput").first.set_input_files(str(path))
    expect(page.get_by_text(re.compile(r"Kept 'monthly takings\.csv'"))).to_be_visible(timeout=60_000)
    wait_idle(page)
    expect(page.get_by_text(re.compile(r"Your last forecast was of another table"))).to_be_visible()
    expect(page.get_by_role("heading", name="What to order")).to_have_count(0)
    expect(page.get_by_role("button", name="Download the order list (CSV)")).to_have_count(0)
    page.get_by_role("button", name="Forecast", exact=True).click()
    expect(page.get_by_text(re.compile(r"Forecast 1 series \([a-z]+\) of 'takings' from monthly takings"))).to_be_visible(
        timeout=240_000
    )
    wait_idle(page)
    shot(page, "forecast_second_file")


def drifted_batch(path: Path) -> Path:
    """Last month's customers: fees up, more support calls — and more of them leave."""
    churn = pd.read_csv(ROOT / "data" / "customer_churn.csv")
    batch = churn.sample(800, random_state=1).copy()
    batch["monthly_fee"] = batch["monthly_fee"] * 1.6
    batch["support_calls"] = batch["support_calls"] + 3
    rng = np.random.default_rng(1)
    batch.loc[rng.random(len(batch)) < 0.35, "churned"] = "yes"
    batch.to_csv(path, index=False)
    return path


@pytest.mark.browser
def test_train_monitor_drifted_batch_then_retrain_with_the_gate(server, page: Page, tmp_path: Path) -> None:
    open_sample_and_train(page, server.url, 1)  # customers

    page.get_by_role("link", name="Monitor").click()
    expect(page.get_by_role("heading", name="Monitor")).to_be_visible(timeout=30_000)
    wait_idle(page)
    page.get_by_test_id("stFileUploaderDropzoneInput").first.set_input_files(str(drifted_batch(tmp_path / "batch.csv")))
    expect(page.get_by_role("button", name="Check this batch")).to_be_visible(timeout=30_000)
    wait_idle(page)
    page.get_by_role("button", name="Check this batch").click()
    expect(page.get_by_text(re.compile(r"Retrain recommended|Worth a review"))).to_be_visible(timeout=120_000)
    wait_idle(page)
    page.get_by_text("Details for specialists").first.click()  # the rules Keel checked, for a specialist
    expect(page.get_by_text("🔔").first).to_be_visible()
    shot(page, "monitor_drift")

    page.get_by_role("button", name="Retrain with this batch").click()
    # esc() joins ':2:'; the version is 2 unless an earlier test on this server trained the same name
    done = re.compile(r"New version customer-churn-churned:\u2060?(\d+): (Promote|Keep the champion)")
    expect(page.get_by_text(done)).to_be_visible(timeout=240_000)
    wait_idle(page)
    assert "Sorry — something went wrong" not in page.content()
    shot(page, "monitor_retrain")
    # the page goes on with the model now in use: after a promotion the picker shows the new version and the old
    # version's verdict is gone (the retrain answered it); else the version in use and its verdict stay
    said = done.search(page.get_by_text(done).inner_text())
    assert said is not None
    new, promoted = int(said.group(1)), said.group(2) == "Promote"
    box = page.get_by_test_id("stSelectbox").first  # the model picker, the page's first box
    shown = box.inner_text() + " " + " ".join(i.input_value() for i in box.locator("input").all())
    assert (f"customer-churn-churned:{new} " in shown) == promoted and "in use" in shown, shown
    if promoted:
        expect(page.get_by_text(re.compile(r"Retrain recommended|Worth a review"))).to_have_count(0)
        expect(page.get_by_text("No batches recorded yet for this model.")).to_be_visible()

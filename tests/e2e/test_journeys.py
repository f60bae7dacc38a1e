"""Whole journeys in a real browser against a real server: what a new user would do."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from core.data import FIXES
from tests.e2e.conftest import ROOT, shot, wait_idle


@pytest.mark.browser
def test_upload_a_csv_and_see_its_findings(server, page: Page, tmp_path: Path) -> None:
    csv = tmp_path / "my shop.csv"
    rows = ["customer,region,spend,spend_again"] + [f"C{i:04d},{['North', 'South'][i % 2]},{i % 50},{i % 50}"
                                                     for i in range(300)]
    csv.write_text("\n".join(rows + rows[1:6]) + "\n")  # 5 duplicate rows at the end
    page.goto(f"{server.url}/Data")
    wait_idle(page)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(csv))
    expect(page.get_by_text("Kept 'my shop.csv': 305 rows × 4 columns.")).to_be_visible(timeout=60_000)
    wait_idle(page)
    expect(page.get_by_text(re.compile(r"5 rows are exact copies of earlier rows"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"'customer' looks like an identifier"))).to_be_visible()
    expect(page.get_by_role("button", name=FIXES["drop_duplicates"].label)).to_be_visible()
    assert "Traceback" not in page.content()
    shot(page, "data_upload")


@pytest.mark.browser
def test_sample_to_findings_is_quick(server, page: Page) -> None:
    page.goto(server.url)
    wait_idle(page)
    page.get_by_role("button", name="Open this sample").nth(1).click()  # the customer table
    expect(page.get_by_role("heading", name="Check my data")).to_be_visible(timeout=30_000)
    expect(page.get_by_text(re.compile(r"'cancellation_date' alone predicts 'churned'"))).to_be_visible(timeout=5_000)
    wait_idle(page)
    shot(page, "data_sample")

"""The student's journey in a real browser: sample → train → evaluate → keep → predict a file → download."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ROOT, open_sample_and_train, shot, wait_idle


@pytest.mark.browser
def test_train_evaluate_keep_predict_download(server, page: Page) -> None:
    def target_is_preset(page: Page) -> None:  # the sample chose the column to predict
        expect(page.get_by_text(re.compile(r"Keel will learn from 7 columns"))).to_be_visible(timeout=30_000)

    open_sample_and_train(page, server.url, 2, before_training=target_is_preset, timeout=180_000)  # penguins
    shot(page, "train_done")

    page.get_by_role("link", name="See how good it is").click()
    expect(page.get_by_role("heading", name="How good is it?")).to_be_visible(timeout=30_000)
    wait_idle(page)
    expect(page.get_by_text("In short")).to_be_visible()
    # the measures with their ranges, curves and tables wait, closed, for a specialist
    expect(page.get_by_test_id("stExpander").filter(has_text="Details for specialists")).to_be_visible()
    expect(page.locator('[data-testid="stPlotlyChart"]:visible').first).to_be_visible(timeout=30_000)
    assert "Sorry — something went wrong" not in page.content()
    shot(page, "evaluate")

    page.get_by_role("link", name="My models").click()
    expect(page.get_by_role("heading", name="My models")).to_be_visible(timeout=30_000)
    wait_idle(page)
    expect(page.get_by_text(re.compile(r"In use\. Predictions by the name"))).to_be_visible(timeout=30_000)
    wait_idle(page)
    shot(page, "models")

    page.get_by_role("link", name="Make predictions").click()
    expect(page.get_by_role("heading", name="Make predictions")).to_be_visible(timeout=30_000)
    wait_idle(page)
    page.get_by_test_id("stFileUploaderDropzoneInput").first.set_input_files(str(ROOT / "data" / "penguins.csv"))
    expect(page.get_by_text("Scored 344 rows.")).to_be_visible(timeout=60_000)
    wait_idle(page)
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download the predictions (CSV)").click()
    path = download_info.value.path()
    scored = pd.read_csv(path)
    assert len(scored) == 344 and list(scored.columns[:2]) == ["species", "island"]
    assert {"prediction", "proba_Adelie", "proba_Chinstrap", "proba_Gentoo"} <= set(scored.columns)
    assert (scored["prediction"] == scored["species"]).mean() > 0.9
    shot(page, "predict")

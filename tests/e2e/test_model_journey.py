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


@pytest.mark.browser
def test_student_uploads_a_file_sees_its_warnings_trains_evaluates_and_uses_a_cut_off(server, page: Page) -> None:
    """A student's own file (data/customer_churn.csv, as Keel ships it): personal data asked about before
    anything is kept, the column that gives the answer away named and left out, a model trained, its report
    in plain words first, and a cut-off from costs put to use by predictions (no dead end)."""
    page.goto(f"{server.url}/Data")
    wait_idle(page)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(ROOT / "data" / "customer_churn.csv"))
    expect(page.get_by_text(re.compile(r"Personal data found in"))).to_be_visible(timeout=60_000)
    wait_idle(page)
    page.get_by_test_id("stRadio").first.get_by_text("drop", exact=True).click()
    wait_idle(page)
    page.get_by_role("button", name="Keep this dataset").click()
    expect(page.get_by_text(re.compile(r"Kept 'customer_churn\.csv': [0-9,]+ rows"))).to_be_visible(timeout=60_000)
    wait_idle(page)
    page.get_by_role("combobox", name=re.compile(r"Which column would you like to predict")).click()
    page.get_by_role("option", name="churned", exact=True).click()
    expect(page.get_by_text(re.compile(r"'cancellation_date' alone predicts 'churned'"))).to_be_visible(timeout=60_000)
    wait_idle(page)
    shot(page, "student_data")

    page.get_by_role("link", name="Next: predict a column").click()
    expect(page.get_by_role("heading", name="Train a model")).to_be_visible(timeout=30_000)
    wait_idle(page)
    expect(page.get_by_text("Put back 'cancellation_date'")).to_be_visible()  # left out, with a way back
    page.get_by_role("button", name="Train and compare").click()
    expect(page.get_by_text(re.compile(r"Model trained in \d+ s and kept as"))).to_be_visible(timeout=300_000)
    wait_idle(page)
    expect(page.get_by_test_id("stMetric").first).to_contain_text("Right answers")  # not ROC AUC first
    shot(page, "student_trained")

    page.get_by_role("link", name="See how good it is").click()
    expect(page.get_by_role("heading", name="How good is it?")).to_be_visible(timeout=30_000)
    wait_idle(page)
    expect(page.get_by_text(re.compile(r"right \d+% of the time")).first).to_be_visible()
    assert "Brier" not in page.get_by_test_id("stMain").inner_text()  # one click away, not in the lead
    page.get_by_role("tab", name="Yes/no cut-off").click()
    page.get_by_role("spinbutton", name=re.compile(r"Cost of a miss")).fill("20")
    page.get_by_role("spinbutton", name=re.compile(r"Cost of a miss")).press("Enter")
    wait_idle(page)
    page.get_by_role("button", name="Find the best cut-off").click()
    expect(page.get_by_role("button", name="Use this cut-off for predictions")).to_be_visible(timeout=60_000)
    wait_idle(page)
    page.get_by_role("button", name="Use this cut-off for predictions").click()
    expect(page.get_by_text(re.compile(r"Predictions use it\."))).to_be_visible(timeout=30_000)
    wait_idle(page)
    shot(page, "student_cut_off")

    page.get_by_role("link", name="Make predictions").click()
    expect(page.get_by_role("heading", name="Make predictions")).to_be_visible(timeout=30_000)
    wait_idle(page)
    expect(page.get_by_text(re.compile(r"\(a cut-off you chose\)"))).to_be_visible()
    assert "Sorry — something went wrong" not in page.content()

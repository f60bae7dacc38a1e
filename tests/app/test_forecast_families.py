"""The Forecast page's "Product families" section (ui/forecast_families.py), drawn on its own with a real
family forecast of the shop sample, a new product with a hostile name among them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core.forecasting import FamilyForecast, forecast_families

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = "<b>Oat</b> *latte* [x](http://evil.example)"


@pytest.fixture(scope="module")
def result() -> FamilyForecast:
    frame = pd.read_csv(ROOT / "data" / "shop_calendar.csv").dropna(subset=["units_sold"])
    frame = frame[frame["date"] <= "2025-09-30"]
    # 'House blend 250g' as if launched three weeks ago, under a name a person should see as typed
    launch = frame["product"].eq("House blend 250g")
    frame = frame[~launch | (frame["date"] > "2025-09-09")].copy()
    frame.loc[frame["product"].eq("House blend 250g"), "product"] = HOSTILE
    return forecast_families(frame, "date", "units_sold", "product", "category", horizon=14)


def families_section(result: "FamilyForecast") -> None:  # noqa: UP037 (the body runs as a script of its own)
    from ui.forecast_families import render_families

    render_families(result, value_name="units_sold")


def test_the_families_section_draws_the_totals_the_sentence_and_the_notes(result: FamilyForecast) -> None:
    at = AppTest.from_function(families_section, args=(result,), default_timeout=60)
    at.run()
    assert not at.exception
    assert [h.value for h in at.header] == ["Product families"]
    assert at.info[0].value.startswith("Category totals now equal the sum of their products")
    (table, *_) = at.dataframe
    shown = table.value
    assert list(shown.columns) == ["date", "coffee", "tea"] and len(shown) == 14
    captions = " ".join(c.value for c in at.caption)
    # the new product's note, its name escaped: shown as typed, no bold, no link
    assert "too few for its own pattern" in captions
    assert "\\<b\\>Oat\\</b\\> \\*latte\\* \\[x\\](http:\u2060//evil.example)" in captions
    assert "<b>" not in captions.replace(r"\<b\>", "")
    assert len(at.get("plotly_chart")) == 1
    assert at.expander[0].label == "How the ways of making them add up did on the past"


def test_with_two_family_columns_the_reader_picks_which_totals() -> None:
    frame = pd.read_csv(ROOT / "data" / "shop_calendar.csv").dropna(subset=["units_sold"])
    frame["shelf"] = frame["product"].str.contains("bags|beans").map({True: "loose", False: "other"})
    two = forecast_families(frame, "date", "units_sold", "product", ["category", "shelf"], horizon=7)
    at = AppTest.from_function(families_section, args=(two,), default_timeout=60)
    at.run()
    assert not at.exception
    assert at.info[0].value.startswith("Category and shelf totals now equal the sum of their products")
    assert list(at.dataframe[0].value.columns) == ["date", "coffee", "tea"]
    at.radio[0].set_value("shelf").run()
    assert list(at.dataframe[0].value.columns) == ["date", "loose", "other"]

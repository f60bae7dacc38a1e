"""AppTests for issue 20's app side: the Data page's Relationships tab, the Predict page's one-row explanation
(and its form's choices), the Models page's notebook and script downloads. Real stores, real trained models."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from core import store, workflows
from core.data import load_sample
from tests.app.helpers import open_page, plain, texts
from ui import state


def figures(at) -> list[dict]:
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def boat_frame(rows: int = 240) -> pd.DataFrame:
    """Who survived a boat trip: the fare and sex decide it; 'port' has a value only one row has ('Zeebrugge')."""
    rng = np.random.default_rng(3)
    fare = rng.gamma(2.0, 20.0, rows).round(2)
    sex = rng.choice(["female", "male"], rows)
    port = rng.choice(["Southampton", "Cherbourg", "Queenstown"], rows)
    port[7] = "Zeebrugge"
    score = 0.04 * fare + 2.0 * (sex == "female") - 2.2 + rng.normal(0, 0.6, rows)
    survived = np.where(score > 0, "yes", "no")
    return pd.DataFrame({"fare": fare, "sex": sex, "port": port, "survived": survived})


@pytest.fixture()
def boat_model() -> store.ModelInfo:
    info = store.save_dataset(boat_frame(), "boat trip")
    return workflows.train_and_register(info.id, target="survived", time_budget_s=20).model


# ----------------------------------------------------------------------------- Data: Relationships


def test_relationships_tab_draws_the_grid_and_tells_the_strongest_pairs() -> None:
    info = load_sample("penguins")
    at = open_page("pages/1_Data.py", **{state.DATASET_ID: info.id})
    assert not at.exception, [e.value for e in at.exception]
    assert [t.label for t in at.tabs][:3] == ["Findings", "Columns", "Relationships"]
    body = texts(at)
    assert "How strongly each pair of columns goes together" in body  # the chart's title, written as text
    grid = [f for f in figures(at) if f["data"] and f["data"][0]["type"] == "heatmap"]
    assert len(grid) == 1 and not grid[0]["layout"].get("title", {}).get("text")  # no title inside the figure
    hover = [c for row in grid[0]["data"][0]["customdata"] for c in row if c]
    assert "flipper_length_mm and body_mass_g: rank correlation 0.84" in hover  # the strongest pair
    assert "0.8" in [c for row in grid[0]["data"][0]["text"] for c in row]
    assert "'flipper_length_mm' and 'body_mass_g' go together strongly" in body
    assert "Choose a column to predict at the top of the page" in body
    meanings = [e for e in at.expander if e.label == "What these measures mean"]
    assert meanings and "bias-corrected version" in plain(" ".join(m.value for m in meanings[0].markdown))


def test_relationships_tab_draws_each_column_against_the_target() -> None:
    info = load_sample("penguins")
    at = open_page("pages/1_Data.py", **{state.DATASET_ID: info.id, state.TARGET: {info.id: "species"}})
    assert not at.exception, [e.value for e in at.exception]
    body = texts(at)
    assert "Each column against 'species'" in body
    assert "How 'flipper_length_mm' is spread in each group of 'species'" in body
    assert "'flipper_length_mm' is typically 216 where 'species' is 'Gentoo' and 190 where it is 'Adelie'" in body
    assert "The mix of 'species' in each group of 'island'" in body
    kinds = [f["data"][0]["type"] for f in figures(at) if f["data"]]
    assert kinds.count("box") >= 4 and "bar" in kinds
    assert all(not f["layout"].get("title", {}).get("text") for f in figures(at))


def test_a_pair_that_says_the_same_thing_points_to_the_findings() -> None:
    rng = np.random.default_rng(0)
    price = rng.uniform(10, 100, 200).round(2)
    with_tax = (price * 1.2).round(2)
    with_tax[:60] = np.nan  # a finding about this column (missing values)
    frame = pd.DataFrame({"price": price, "price_with_tax": with_tax, "units": rng.integers(1, 9, 200)})
    info = store.save_dataset(frame, "prices")
    at = open_page("pages/1_Data.py", **{state.DATASET_ID: info.id})
    assert not at.exception, [e.value for e in at.exception]
    twins = [plain(w.value) for w in at.warning if "say nearly the same thing" in plain(w.value)]
    assert len(twins) == 1, [plain(w.value) for w in at.warning]
    assert "'price' and 'price_with_tax'" in twins[0] and "A model needs only one of them" in twins[0]
    assert "The Findings tab says about them:" in twins[0] and "price_with_tax" in twins[0].split("about them:")[1]


# ----------------------------------------------------------------------------- Predict: one row, explained


def test_one_row_prediction_is_explained_in_a_sentence_and_a_chart(boat_model: store.ModelInfo) -> None:
    at = open_page("pages/4_Predict.py", **{state.MODEL_ID: boat_model.id})
    next(n for n in at.number_input if n.label == "fare").set_value(90.0)
    next(s for s in at.selectbox if s.label == "sex").set_value("female")
    next(b for b in at.button if b.label == "Predict").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    body = texts(at)
    assert "Why the chance of 'yes' is" in body
    [sentence] = [plain(i.value) for i in at.info if "Mostly because" in plain(i.value)]
    assert "'fare' is 90 (+" in sentence and "'sex' is 'female' (+" in sentence and "percentage points" in sentence
    assert "What pushed this answer up or down" in body
    bars = [f for f in figures(at) if f["layout"].get("xaxis", {}).get("title", {}).get("text", "").startswith("push")]
    assert len(bars) == 1 and bars[0]["data"][0]["y"][:2] in (["fare", "sex"], ["sex", "fare"])
    assert all(x > 0 for x in bars[0]["data"][0]["x"][:2])  # a high fare and being female both raise the chance
    assert "How much a column pushed this answer" not in body  # the glossary's meaning is shown, not its title
    assert "how far one column moved the model's answer" in body


def test_the_one_row_form_does_not_offer_a_category_seen_once(boat_model: store.ModelInfo) -> None:
    assert "Zeebrugge" in boat_model.schema["features"][2]["categories"]  # the model's schema lists it
    at = open_page("pages/4_Predict.py", **{state.MODEL_ID: boat_model.id})
    assert not at.exception
    port = next(s for s in at.selectbox if s.label == "port")
    assert sorted(o for o in port.options if o != "unknown") == ["Cherbourg", "Queenstown", "Southampton"]


# ----------------------------------------------------------------------------- Models: take the work away


def test_models_page_offers_the_notebook_and_the_script(boat_model: store.ModelInfo) -> None:
    at = open_page("pages/5_Models.py", **{state.MODEL_ID: boat_model.id})
    assert not at.exception and not at.error, [e.value for e in at.error]
    labels = [b.proto.label for b in at.get("download_button")]
    assert "📓 Download as a notebook (.ipynb)" in labels and "🐍 Download as a script (.py)" in labels
    assert "reruns what Keel did for this version" in texts(at)



def test_a_target_with_one_value_is_explained_in_the_tab_and_the_page_stays() -> None:
    frame = pd.DataFrame({"x": np.arange(40.0), "kind": ["a", "b"] * 20, "same": ["yes"] * 40})
    info = store.save_dataset(frame, "one answer")
    at = open_page("pages/1_Data.py", **{state.DATASET_ID: info.id, state.TARGET: {info.id: "same"}})
    assert not at.exception, [e.value for e in at.exception]
    assert any("The target 'same' has only one value" in plain(e.value) for e in at.error)
    assert "Versions & history" in [t.label for t in at.tabs] and at.dataframe  # the rest of the page is there

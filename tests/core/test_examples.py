"""Typical and surprising hold-out rows with why the model answered so (issue 20): on the Evaluate page and the
model card, never with the values of personal-data columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core import store, workflows
from core.data import read_table
from core.models import example_rows
from core.models import train as keel_train

DATA = __import__("pathlib").Path(__file__).resolve().parents[2] / "data"


@pytest.fixture(scope="module")
def churn():
    frame = read_table(DATA / "customer_churn.csv").frame
    return keel_train.train(frame, "churned", time_budget_s=10, seed=0)


def test_typical_rows_are_right_and_surprising_rows_are_the_most_wrong(churn) -> None:
    rows = example_rows(churn.model, churn.X_test, churn.y_test)
    typical = [r for r in rows if r.kind == "typical"]
    surprising = [r for r in rows if r.kind == "surprising"]
    assert len(typical) == 3 and len(surprising) == 3
    assert all(r.truth == r.answer for r in typical)
    assert {r.answer for r in typical} == {"yes", "no"}  # spread over the answers it gives
    # independently: the rows whose true answer got the smallest chance
    proba = churn.model.predict_proba(churn.X_test)
    classes = [str(c) for c in churn.model.classes_]
    truth = churn.y_test.astype(str).to_numpy()
    true_chance = proba[np.arange(len(truth)), [classes.index(t) for t in truth]]
    worst = set(churn.X_test.index[np.argsort(true_chance, kind="stable")[:3]])
    assert {r.row for r in surprising} == worst
    assert all(r.truth != r.answer for r in surprising)
    for r in rows:
        assert r.sentence.startswith("Mostly because '") and "percentage points" in r.sentence
        assert r.how_sure.startswith("chance ")


def test_a_personal_data_column_is_named_but_its_value_never_shown(churn) -> None:
    used = [c for c in churn.X_test.columns if c in {f["name"] for f in churn.model.schema["features"]}]
    hidden = "contract" if "contract" in used else used[0]
    rows = example_rows(churn.model, churn.X_test, churn.y_test, hidden=(hidden,), each=5)
    said = [r.sentence for r in rows if f"'{hidden}'" in r.sentence]
    assert said, "the hidden column pushed none of the ten answers: pick another"
    values = set(churn.X_test[hidden].dropna().astype(str))
    for sentence in said:
        assert f"'{hidden}' is '(personal data, not shown)'" in sentence
        assert not any(f"'{hidden}' is '{v}'" in sentence for v in values)


def test_a_number_model_says_how_far_it_missed() -> None:
    rng = np.random.default_rng(0)
    n = 600
    frame = pd.DataFrame({"area": rng.uniform(20, 200, n), "rooms": rng.integers(1, 6, n)})
    frame["rent"] = 12 * frame["area"] + 80 * frame["rooms"] + rng.normal(0, 60, n)
    result = keel_train.train(frame, "rent", time_budget_s=5, seed=0)
    rows = example_rows(result.model, result.X_test, result.y_test)
    misses = [float(r.how_sure.removeprefix("missed by ").replace(",", "")) for r in rows]
    typical, surprising = misses[:3], misses[3:]
    assert max(typical) <= min(surprising)
    prediction = result.model.predict(result.X_test)
    assert max(surprising) == pytest.approx(float(np.max(np.abs(prediction - result.y_test.to_numpy()))), rel=0.01)


def test_the_model_card_shows_them() -> None:
    dataset = store.save_dataset(read_table(DATA / "penguins.csv").frame, "penguins")
    outcome = workflows.train_and_register(dataset.id, target="species", time_budget_s=5)
    card = workflows.model_card(store.get_model(outcome.model.id))
    assert "Rows that show how it thinks" in card and "Its biggest surprises" in card
    assert card.count("Mostly because") == 6

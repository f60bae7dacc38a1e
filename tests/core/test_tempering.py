"""Tempering a model's chances (core.models.tempering): it keeps every answer, it is kept only when it helps on
rows it was not fitted on, and the kept temperature travels in the model file."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from core.models.model import KeelModel, temper
from core.models.tempering import MIN_ROWS, judge_tempering


def _overconfident(n: int, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Chances that say ~97% for the most likely answer, which is right only ~60% of the time."""
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, k, n)
    top = np.where(rng.random(n) < 0.6, codes, (codes + 1) % k)
    proba = np.full((n, k), 0.03 / (k - 1))
    proba[np.arange(n), top] = 0.97
    return proba, codes


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.float64, (7, 4), elements=st.floats(0.001, 1.0)),
    st.floats(0.05, 20.0),
)
def test_tempering_keeps_every_answer_and_sums_to_one(raw: np.ndarray, t: float) -> None:
    proba = raw / raw.sum(axis=1, keepdims=True)
    out = temper(proba, t)
    np.testing.assert_allclose(out.sum(axis=1), 1.0)
    # the answer of each row is kept (rows with a tie may pick either of the tied answers)
    clear = np.sort(proba, axis=1)[:, -1] - np.sort(proba, axis=1)[:, -2] > 1e-9
    assert (out.argmax(axis=1)[clear] == proba.argmax(axis=1)[clear]).all()
    assert temper(proba, 1.0) is proba


def test_overconfident_chances_are_tempered_and_that_is_measured_on_unseen_halves() -> None:
    proba, codes = _overconfident(600, 4, seed=1)
    judged = judge_tempering(proba, codes, seed=0)
    assert judged.helps and judged.temperature > 1.5
    assert judged.log_loss_after < judged.log_loss_before and judged.ece_after < judged.ece_before
    assert "too sure of itself" in judged.sentence and "600 training rows" in judged.sentence


def test_honest_chances_and_too_few_rows_are_left_alone() -> None:
    rng = np.random.default_rng(3)
    proba = rng.dirichlet(np.ones(3), 800)
    codes = np.array([rng.choice(3, p=p) for p in proba])  # the chances are the truth
    honest = judge_tempering(proba, codes)
    assert not honest.helps and honest.temperature == 1.0 and honest.sentence == ""
    few = judge_tempering(*_overconfident(MIN_ROWS - 1, 3, seed=2))
    assert not few.helps and few.temperature == 1.0


def test_the_temperature_travels_in_the_model_file() -> None:
    from sklearn.dummy import DummyClassifier

    X = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]})
    y = np.array([0, 1, 2, 0, 1, 0])
    pipe = DummyClassifier(strategy="prior").fit(X, y)
    model = KeelModel(
        pipe,
        {"columns": [{"name": "a", "kind": "numeric"}]},
        "classification",
        "y",
        ("a", "b", "c"),
        "dummy",
        True,
        temperature=2.5,
    )
    again = KeelModel.from_bytes(model.to_bytes())
    assert again.temperature == 2.5
    np.testing.assert_allclose(again.predict_proba(X, prepared=True), temper(pipe.predict_proba(X), 2.5))

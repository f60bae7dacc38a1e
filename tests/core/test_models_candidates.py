"""The training candidates' registry contract (scikit-learn's check_estimator idea), one test per entry.

Every registered candidate, for every task it serves, on a small table with numbers (some missing), a
yes/no column, categories and a date: its factory builds a pipeline whose ``fit`` returns itself, whose
``predict`` and ``predict_proba`` give one answer (one row of chances) per row, which survives Keel's model
file (``KeelModel.to_bytes``/``from_bytes``, allow-listed types only) with identical answers, and whose
label a user can read."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.models.candidates import CANDIDATES, TASKS, Candidate, TableShape, lineup
from core.models.features import build_schema, input_columns, prepare_features
from core.models.model import TRUSTED_TYPES, KeelModel

CASES = [
    pytest.param(c, task, k, id=f"{c.key}-{task}" + (f"-{k}-classes" if k else ""))
    for c in CANDIDATES
    for task in c.tasks
    for k in ((2, 3) if task == "classification" else (0,))
]


def _table(n: int = 160, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "flag": rng.choice(["yes", "no"], n),
            "plan": rng.choice(["basic", "pro", "max", None], n),
            "when": pd.date_range("2024-01-01", periods=n, freq="D").astype(str),
        }
    )
    frame.loc[::9, "x"] = np.nan
    return frame


def _fitted(candidate: Candidate, task: str, k: int):
    frame = _table()
    kinds = {"x": "numeric", "flag": "boolean", "plan": "categorical", "when": "datetime"}
    signal = np.nan_to_num(frame["x"].to_numpy()) + (frame["plan"] == "pro")
    if task == "classification":
        y = np.digitize(signal, np.quantile(signal, np.linspace(0, 1, k + 1)[1:-1]))  # codes 0..k-1
        classes: tuple = tuple(f"class {i}" for i in range(k))
    else:
        y, classes = 3 * signal + 1.0, ()
    schema = build_schema(frame, kinds, target="y", task=task, classes=classes)
    numeric, categorical = input_columns(schema)
    shape = TableShape(task, tuple(numeric), tuple(categorical), len(frame), balanced=k == 3, seed=0)
    pipeline = candidate.build(shape)
    X = prepare_features(frame, schema)
    returned = pipeline.fit(X, y)
    model = KeelModel(pipeline, schema, task, "y", classes, candidate.key, fitted_on_codes=task == "classification")
    return returned, pipeline, model, frame


@pytest.mark.parametrize(("candidate", "task", "k"), CASES)
def test_fit_returns_the_pipeline_and_answers_every_row(candidate, task, k):
    returned, pipeline, model, frame = _fitted(candidate, task, k)
    assert returned is pipeline
    answers = model.predict(frame)
    assert answers.shape == (len(frame),)
    if task == "classification":
        proba = model.predict_proba(frame)
        assert proba.shape == (len(frame), k)
        np.testing.assert_allclose(proba.sum(axis=1), 1.0)
        assert set(answers) <= set(model.classes_)
    else:
        assert np.isfinite(answers).all()


@pytest.mark.parametrize(("candidate", "task", "k"), CASES)
def test_survives_the_model_file_with_identical_answers(candidate, task, k):
    import skops.io as sio

    _, _, model, frame = _fitted(candidate, task, k)
    payload = model.to_bytes()
    assert set(sio.get_untrusted_types(data=payload)) <= TRUSTED_TYPES
    again = KeelModel.from_bytes(payload)
    assert again.algorithm == candidate.key and again.classes_ == model.classes_
    if task == "classification":
        np.testing.assert_array_equal(again.predict_proba(frame), model.predict_proba(frame))
    np.testing.assert_array_equal(again.predict(frame), model.predict(frame))


@pytest.mark.parametrize("candidate", CANDIDATES, ids=[c.key for c in CANDIDATES])
def test_key_and_label_are_stable_and_plain(candidate):
    assert candidate.key.isidentifier() and candidate.key == candidate.key.lower()
    assert candidate.label[0].isupper() and "_" not in candidate.label and candidate.label != candidate.key
    assert candidate.tasks and set(candidate.tasks) <= set(TASKS)


@pytest.mark.parametrize("task", TASKS)
def test_each_task_has_one_baseline_first_and_unique_keys(task):
    offered = lineup(task)
    assert [c.baseline for c in offered].count(True) == 1 and offered[0].baseline
    assert len({c.key for c in offered}) == len(offered) >= 3
    assert len({c.label for c in offered}) == len(offered)

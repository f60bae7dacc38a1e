"""Explanations of single predictions (issue 20): every row's contributions add up to the output the CLI
contract names, for every model kind Keel trains, and agree with the ``shap`` package where it applies."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_diabetes
from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestClassifier, RandomForestRegressor

from core.models import evaluate
from core.models.explain import TOLERANCE, explain_frame, explain_row
from core.models.model import KeelModel, RecalibratedKeelModel
from core.models.predict import predict_frame
from core.models.train import train
from core.models.treeshap import tree_contributions

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
ALGORITHMS = ("baseline", "linear", "random_forest", "hist_gradient_boosting")


def _churn() -> pd.DataFrame:
    frame = pd.read_csv(DATA / "customer_churn.csv").drop(columns=["customer_id", "email", "cancellation_date"])
    return frame.sample(1200, random_state=0).reset_index(drop=True)


def _diabetes() -> pd.DataFrame:
    return load_diabetes(as_frame=True).frame


TABLES = {
    "binary": (_churn, "churned"),
    "multiclass": (lambda: pd.read_csv(DATA / "penguins.csv"), "species"),
    "regression": (_diabetes, "target"),
}
_TRAINED: dict[tuple[str, str], tuple[pd.DataFrame, object]] = {}


def trained(table: str, algorithm: str):
    """(frame, TrainResult) for one table and one candidate, trained once per test session."""
    key = (table, algorithm)
    if key not in _TRAINED:
        make, target = TABLES[table]
        frame = make()
        if algorithm == "linear":
            algorithm = "ridge" if table == "regression" else "logistic_regression"
        wanted = () if algorithm == "baseline" else (algorithm,)
        _TRAINED[key] = (frame, train(frame, target, time_budget_s=60, seed=0, candidates=wanted))
    return _TRAINED[key]


def _added_up(explained) -> np.ndarray:
    return explained.base + explained.contributions.sum(axis=1).to_numpy()


def _check_additive(frame: pd.DataFrame, model: KeelModel) -> None:
    X = frame.drop(columns=[model.target])
    found = explain_frame(X, model, background=frame)
    scored = predict_frame(X, model)
    if model.task == "regression":
        output = scored["prediction"].to_numpy(dtype=float)
    elif len(model.classes_) == 2:
        output = scored[f"proba_{sorted(model.classes_)[-1]}"].to_numpy()
    else:
        output = scored[[f"proba_{c}" for c in model.classes_]].to_numpy().max(axis=1)
    np.testing.assert_allclose(found.explained, output, rtol=0, atol=1e-12)
    assert np.abs(_added_up(found) - output).max() <= TOLERANCE
    assert found.correction <= 1e-7, f"the method itself should add up (gap {found.correction:.1e} before closing)"


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("table", list(TABLES))
def test_contributions_add_up_to_the_explained_output(table: str, algorithm: str) -> None:
    frame, result = trained(table, algorithm)
    assert result.model.algorithm == algorithm or algorithm == "linear"
    _check_additive(frame, result.model)


@pytest.mark.parametrize("table", ["binary", "multiclass"])
@pytest.mark.parametrize("algorithm", ["linear", "random_forest", "hist_gradient_boosting"])
@pytest.mark.parametrize("temperature", [0.5, 2.0])
def test_tempered_chances_still_add_up(table: str, algorithm: str, temperature: float) -> None:
    frame, result = trained(table, algorithm)
    m = result.model
    tempered = KeelModel(
        m.pipeline, m.schema, m.task, m.target, m.classes_, m.algorithm, m.fitted_on_codes, temperature
    )
    _check_additive(frame, tempered)


@pytest.mark.parametrize("method", ["isotonic", "sigmoid"])
@pytest.mark.parametrize("table", ["binary", "multiclass"])
@pytest.mark.parametrize("algorithm", ["linear", "hist_gradient_boosting"])
def test_recalibrated_chances_still_add_up(table: str, algorithm: str, method: str) -> None:
    frame, result = trained(table, algorithm)
    recal = evaluate.recalibrate(result.model, result.X_test, result.y_test, method)
    _check_additive(frame, RecalibratedKeelModel(result.model, recal.model))


def test_a_stored_cut_off_changes_the_answer_not_the_explained_chance() -> None:
    frame, result = trained("binary", "hist_gradient_boosting")
    model = KeelModel.from_bytes(result.model.to_bytes())
    model.cutoff = 0.2
    X = frame.drop(columns=["churned"])
    scored = predict_frame(X, model, explain=True)
    parts = scored[[c for c in scored.columns if c.startswith("contribution_")]].sum(axis=1)
    assert (scored["cutoff"] == 0.2).all()
    np.testing.assert_allclose(parts, scored["proba_yes"], atol=TOLERANCE, rtol=0)


# --------------------------------------------------------------------------- agreement with shap


def _shap_values(estimator, X: np.ndarray) -> np.ndarray:
    import shap  # a test dependency only: Keel never imports it

    values = np.asarray(shap.TreeExplainer(estimator).shap_values(X, check_additivity=False))
    if values.ndim == 2:
        values = values[..., None]
    return values if values.shape[0] == len(X) else np.moveaxis(values, 0, -1)


@pytest.mark.parametrize(
    "make",
    [
        lambda X, y: HistGradientBoostingRegressor(random_state=0).fit(X, y),
        lambda X, y: RandomForestRegressor(n_estimators=20, min_samples_leaf=10, random_state=0).fit(X, y),
        lambda X, y: RandomForestClassifier(n_estimators=20, min_samples_leaf=10, random_state=0).fit(X, y > 140),
    ],
    ids=["boosting", "forest", "forest-classifier"],
)
def test_tree_shap_matches_the_shap_package(make) -> None:
    X, y = load_diabetes(return_X_y=True)
    X = X.copy()
    X[::9, 2] = np.nan if "Hist" in repr(make(X[:50], y[:50])) else X[::9, 2]
    estimator = make(X, y)
    n_classes = len(getattr(estimator, "classes_", [])) if hasattr(estimator, "classes_") else 0
    phi, _base, method = tree_contributions(estimator, X, n_classes)
    assert method == "tree_shap"
    np.testing.assert_allclose(phi, _shap_values(estimator, X), rtol=0, atol=1e-9)


def test_a_keel_boosting_model_agrees_with_shap_column_by_column() -> None:
    frame, result = trained("regression", "hist_gradient_boosting")
    X = frame.drop(columns=["target"])
    found = explain_frame(X, result.model)
    pipeline = result.model.pipeline
    inputs = pipeline.steps[0][1].transform(result.model.prepare(X))
    expected = _shap_values(pipeline.steps[-1][1], np.asarray(inputs, dtype=float))[:, :, 0]
    np.testing.assert_allclose(found.contributions.to_numpy(), expected, rtol=0, atol=1e-8)


def test_a_deep_forest_gets_additive_path_contributions() -> None:
    frame, result = trained("binary", "random_forest")
    found = explain_frame(frame.drop(columns=["churned"]), result.model)
    assert found.method in ("tree_path", "tree_shap")
    assert found.correction <= 1e-9


# --------------------------------------------------------------------------- in words


def test_one_row_in_a_sentence() -> None:
    frame, result = trained("binary", "linear")
    X = frame.drop(columns=["churned"])
    found = explain_frame(X, result.model, background=frame)
    row = explain_row(found, X, 0)
    assert row.sentence.startswith("Mostly because '") and "percentage point" in row.sentence
    assert len(row.reasons) == 3
    sizes = [abs(r.contribution) for r in row.reasons]
    assert sizes == sorted(sizes, reverse=True)
    assert abs(row.base + sum(row.contributions.values()) - row.output) <= TOLERANCE


def test_the_baseline_says_no_column_moved_it() -> None:
    frame, result = trained("regression", "baseline")
    X = frame.drop(columns=["target"])
    row = explain_row(explain_frame(X, result.model), X, 0)
    assert "no column moved it" in row.sentence and not row.reasons


# --------------------------------------------------------------------------- the CLI


def _cli(*args: str, home: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "core", *args], cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={**os.environ, "KEEL_HOME": str(home)},
    )  # fmt: skip


def test_predict_explain_on_the_command_line(keel_home: Path, tmp_path: Path) -> None:
    trained_ = _cli("train", str(DATA / "penguins.csv"), "--target", "species", "--json", home=keel_home)
    assert trained_.returncode == 0, trained_.stderr
    proc = _cli("predict", "1", str(DATA / "penguins.csv"), "--explain", "--json", home=keel_home)
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)["rows"]
    columns = pd.read_csv(DATA / "penguins.csv", nrows=1).columns
    for row in rows:
        assert "contribution_base" in row
        assert all(f"contribution_{c}" in row for c in columns)
        parts = sum(v for k, v in row.items() if k.startswith("contribution_"))
        assert abs(parts - row[f"proba_{row['prediction']}"]) <= TOLERANCE
    out = tmp_path / "scored.csv"
    proc = _cli("predict", "1", str(DATA / "penguins.csv"), "--explain", "--out", str(out), home=keel_home)
    assert proc.returncode == 0, proc.stderr
    written = pd.read_csv(out)
    assert {f"contribution_{c}" for c in columns} <= set(written.columns)


def test_explaining_a_model_whose_file_changed_is_refused(keel_home: Path, tmp_path: Path) -> None:
    trained_ = _cli("train", str(DATA / "penguins.csv"), "--target", "species", "--json", home=keel_home)
    sha = json.loads(trained_.stdout)["model"]["id"] and next((keel_home / "models").glob("*.skops"))
    sha.write_bytes(sha.read_bytes()[:-3] + b"xyz")
    proc = _cli("predict", "1", str(DATA / "penguins.csv"), "--explain", "--json", home=keel_home)
    assert proc.returncode == 2 and "error:" in proc.stderr and "hint:" in proc.stderr
    assert proc.stdout == ""


# --------------------------------------------------------------------------- speed


def test_ten_thousand_rows_are_explained_quickly() -> None:
    frame, result = trained("binary", "hist_gradient_boosting")
    big = frame.drop(columns=["churned"]).sample(10_000, replace=True, random_state=1).reset_index(drop=True)
    started = time.perf_counter()
    found = explain_frame(big, result.model)
    elapsed = time.perf_counter() - started
    assert np.abs(_added_up(found) - found.explained).max() <= TOLERANCE
    assert elapsed < 60, f"{elapsed:.1f}s for 10,000 rows"  # bench/bench_explain.py: well under 10 s alone


def test_the_path_method_equals_shapley_values_on_stumps(monkeypatch: pytest.MonkeyPatch) -> None:
    from core.models import treeshap

    X, y = load_diabetes(return_X_y=True)
    forest = RandomForestRegressor(n_estimators=30, max_depth=1, random_state=0).fit(X, y)
    monkeypatch.setattr(treeshap, "MAX_PATH_CELLS", 0)  # as for a forest of deep trees
    phi, base, method = tree_contributions(forest, X, 0)
    assert method == "tree_path"
    np.testing.assert_allclose(phi, _shap_values(forest, X), rtol=0, atol=1e-9)  # one split: the same
    np.testing.assert_allclose(base + phi.sum(axis=1)[:, 0], forest.predict(X), rtol=0, atol=1e-9)


def test_the_one_row_form_gets_its_reasons() -> None:
    from core.models.explain import explain_one
    from core.models.predict import predict_one

    frame, result = trained("binary", "linear")
    values = frame.drop(columns=["churned"]).iloc[3].to_dict()
    values["monthly_fee"] = ""  # an empty field: a missing value, as predict_one treats it
    row = explain_one(values, result.model)
    chance = predict_one(values, result.model).probabilities["yes"]
    assert abs(row.base + sum(row.contributions.values()) - chance) <= TOLERANCE
    assert row.output == pytest.approx(chance, abs=1e-12)
    assert row.sentence.startswith("Mostly because") and "monthly_fee" in row.contributions


# --------------------------------------------------------------------------- awkward column names


def _two_columns(first: str) -> tuple[pd.DataFrame, object]:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({first: rng.normal(size=300), "x": rng.normal(size=300)})
    frame["y"] = np.where(2 * frame[first] + frame["x"] + rng.normal(0, 0.5, 300) > 0, "yes", "no")
    return frame, train(frame, "y", time_budget_s=30, seed=0, candidates=("logistic_regression",)).model


def test_a_column_named_base_keeps_its_push_and_the_sum_holds() -> None:
    frame, model = _two_columns("base")
    scored = predict_frame(frame.drop(columns="y"), model, explain=True, background=frame)
    pushes = [c for c in scored.columns if str(c).startswith("contribution_")]
    assert pushes == ["contribution_base", "contribution_base (column)", "contribution_x"]
    assert scored["contribution_base (column)"].abs().max() > 0.01  # the column's own push, not dropped
    gap = scored[pushes].sum(axis=1) - scored["proba_yes"]
    assert gap.abs().max() <= TOLERANCE


def test_a_batch_scored_before_gets_no_pushes_for_keels_own_output_columns() -> None:
    frame, model = _two_columns("fare")
    once = predict_frame(frame.drop(columns="y"), model, explain=True, background=frame)
    found = explain_frame(once, model, background=frame)
    columns = found.columns([str(c) for c in once.columns])
    assert list(columns.columns) == ["contribution_base", "contribution_fare", "contribution_x"]
    assert (columns.sum(axis=1) - once["proba_yes"]).abs().max() <= TOLERANCE


def test_one_row_with_a_date_says_the_date_as_a_person_writes_it() -> None:
    import datetime as dt

    from core.models import explain_one

    rng = np.random.default_rng(1)
    days = pd.Series(pd.date_range("2024-01-01", periods=12, freq="MS")).sample(300, replace=True, random_state=1)
    frame = pd.DataFrame({"day": days.to_numpy(), "x": rng.normal(size=300)})
    frame["sales"] = 5 * frame["day"].dt.month + 3 * frame["x"] + rng.normal(0, 1, 300)
    model = train(frame, "sales", time_budget_s=30, seed=0, candidates=("ridge",), include=("day", "x")).model
    assert "day" in model.feature_names
    row = explain_one({"day": dt.date(2024, 9, 1), "x": 1.0}, model, background=frame)
    assert not row.is_share and row.headline.startswith("Why the prediction is ")
    assert "'day' is 1 Sep 2024 (+" in row.sentence and "'2024-09-01'" not in row.sentence
    assert abs(row.base + sum(row.contributions.values()) - row.output) <= TOLERANCE


def test_explaining_an_explained_batch_again_replaces_its_old_pushes() -> None:
    frame, model = _two_columns("fare")
    once = predict_frame(frame.drop(columns="y"), model, explain=True, background=frame)
    twice = predict_frame(once, model, explain=True, background=frame)
    assert list(twice.columns) == list(once.columns)  # no second set of contribution columns
    pd.testing.assert_frame_equal(twice, once)

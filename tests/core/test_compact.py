"""Compact variants (issue 19): real fits on the shipped samples, every variant's measured numbers checked
against scikit-learn's own metric functions on the same hold-out rows, keeping one as a candidate version that
scores through ``predict`` like the original, and the CLI's errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    log_loss,
    mean_absolute_error,
    r2_score,
    roc_auc_score,
)

from core import store
from core.cli import main
from core.models import compact_variants, keep_variant, load_registered, register, train

DATA = Path(__file__).resolve().parents[2] / "data"
CALLS = 10  # one-row calls timed per model in these tests (the CLI times 200)


def _fit(csv: str, target: str, algorithm: str, drop: tuple[str, ...] = ()) -> tuple[pd.DataFrame, train.TrainResult]:
    frame = pd.read_csv(DATA / csv).drop(columns=list(drop))
    result = train.train(frame, target, candidates=[algorithm] if algorithm != "baseline" else [], time_budget_s=120)
    assert result.algorithm == algorithm
    return frame, result


@pytest.fixture(scope="module")
def churn_boosting():
    return _fit(
        "customer_churn.csv",
        "churned",
        "hist_gradient_boosting",
        drop=("customer_id", "email", "cancellation_date"),
    )


@pytest.fixture(scope="module")
def penguins_forest():
    return _fit("penguins.csv", "species", "random_forest")


@pytest.fixture(scope="module")
def mass_forest():
    return _fit("penguins.csv", "body_mass_g", "random_forest")


@pytest.fixture(scope="module")
def mass_ridge():
    return _fit("penguins.csv", "body_mass_g", "ridge")


def _register(fitted: tuple[pd.DataFrame, train.TrainResult], name: str = "m", report: bool = True) -> store.ModelInfo:
    frame, result = fitted
    dataset = store.save_dataset(frame, name)
    rows = {"holdout_rows": [int(i) for i in result.X_test.index]} if report else None
    return register(result, name, dataset.id, report=rows)


def _holdout(info: store.ModelInfo) -> tuple[pd.DataFrame, pd.Series]:
    """The recorded hold-out rows, read independently of core.models.compact."""
    frame = store.load_dataset(info.dataset_id)
    part = frame.loc[info.report["holdout_rows"]]
    part = part[part[info.target].notna()]
    return part.drop(columns=[info.target]), part[info.target]


def _sklearn_metrics(model, X: pd.DataFrame, y: pd.Series) -> dict[str, float]:
    """What scikit-learn says about ``model`` on these rows (the independent recomputation)."""
    if model.task == "regression":
        pred = model.predict(X)
        return {"r2": r2_score(y, pred), "mae": mean_absolute_error(y, pred)}
    classes = [str(c) for c in model.classes_]
    codes = np.array([classes.index(str(v)) for v in y])
    proba = model.predict_proba(X)
    out = {
        "accuracy": accuracy_score(codes, proba.argmax(axis=1)),
        "balanced_accuracy": balanced_accuracy_score(codes, proba.argmax(axis=1)),
        # Keel's log loss clips a chance at 1e-15 (scikit-learn at the float epsilon): the same clip here
        "log_loss": log_loss(codes, np.clip(proba, 1e-15, 1), labels=list(range(len(classes)))),
    }
    if len(classes) == 2:
        out["roc_auc"] = roc_auc_score(codes, proba[:, 1])
    return out


def _check_measured(info: store.ModelInfo, report) -> int:
    """Every variant's (and the original's) metrics as scikit-learn computes them, and its size as its file's;
    returns how many variants were checked (so a test can show the loop asserted something)."""
    _, original = load_registered(info.id)
    X, y = _holdout(info)
    assert report.holdout_rows == len(X)
    for key, want in _sklearn_metrics(original, X, y).items():
        assert report.original.metrics[key] == pytest.approx(want, rel=1e-9, abs=1e-12), key
        assert report.original.metrics[key] == pytest.approx(info.metrics[key], rel=1e-9, abs=1e-12), key
    for v in report.variants:
        for key, want in _sklearn_metrics(v.model, X, y).items():
            assert v.measured.metrics[key] == pytest.approx(want, rel=1e-9, abs=1e-12), (v.key, key)
        assert abs(v.measured.size_bytes - len(v.model.to_bytes())) <= 0.01 * v.measured.size_bytes
        assert v.measured.latency_ms > 0
        assert 0 <= v.agreement <= 1
        assert v.verdict.endswith(".") and " vs " in v.verdict
    return len(report.variants)


# --------------------------------------------------------------------------- building and measuring


def test_boosting_binary_variants_measured_as_sklearn_does(churn_boosting):
    info = _register(churn_boosting)
    report = compact_variants(info.label, latency_calls=CALLS)
    keys = [v.key for v in report.variants]
    assert {"fewer_trees_half", "shallower_trees", "distilled_decision_tree", "distilled_linear"} <= set(keys)
    assert report.primary == "roc_auc" and report.proper == "log_loss"
    assert _check_measured(info, report) == len(keys) >= 5
    # fewer rounds: the original's first rounds, not a refit
    _, original = load_registered(info.id)
    half = report.variant("fewer_trees_half").model.pipeline.named_steps["model"]
    full = original.pipeline.named_steps["model"]
    assert half.n_iter_ == round(full.n_iter_ * 0.5)
    assert half._predictors[0][0].nodes.tobytes() == full._predictors[0][0].nodes.tobytes()
    assert "right answers" in report.variant("distilled_decision_tree").verdict


def test_forest_multiclass_variants(penguins_forest):
    info = _register(penguins_forest)
    report = compact_variants(info.label, latency_calls=CALLS)
    assert report.primary == "balanced_accuracy"
    assert _check_measured(info, report) >= 5
    tenth = report.variant("fewer_trees_tenth").model.pipeline.named_steps["model"]
    _, original = load_registered(info.id)
    forest = original.pipeline.named_steps["model"]
    assert len(tenth.estimators_) == len(forest.estimators_) // 10
    assert np.array_equal(tenth.estimators_[3].tree_.threshold, forest.estimators_[3].tree_.threshold)
    tree = report.variant("distilled_decision_tree")
    assert tree.measured.size_bytes < report.original.size_bytes / 4  # one tree against a hundred
    chances = tree.model.predict_proba(_holdout(info)[0])
    assert np.allclose(chances.sum(axis=1), 1.0)


def test_regression_forest_variants_and_distillation(mass_forest):
    info = _register(mass_forest)
    report = compact_variants(info.label, latency_calls=CALLS)
    assert report.primary == "r2" and report.proper == "mae"
    assert _check_measured(info, report) >= 5
    assert "typical error" in report.variant("distilled_small_boosting").verdict
    assert "float32" not in [v.key for v in report.variants]


def test_float32_only_when_no_answer_changes(mass_ridge):
    info = _register(mass_ridge)
    report = compact_variants(info.label, latency_calls=CALLS)
    assert [v.key for v in report.variants] == ["float32"]
    assert _check_measured(info, report) == 1
    v = report.variant("float32")
    X, _ = _holdout(info)
    _, original = load_registered(info.id)
    assert np.allclose(v.model.predict(X), original.predict(X), rtol=1e-5)
    assert v.model.pipeline.named_steps["model"].coef_.dtype == np.float32
    assert v.agreement == 1.0


# --------------------------------------------------------------------------- keeping one


def test_kept_variant_is_a_candidate_that_predict_scores(penguins_forest, tmp_path, capsys):
    info = _register(penguins_forest, "penguins")
    report, kept = keep_variant("penguins", "distilled_decision_tree", latency_calls=CALLS)
    assert (kept.name, kept.version, kept.stage) == ("penguins", 2, "candidate")
    assert store.resolve_model("penguins@champion").version == 1  # never the champion on its own
    record = kept.report["compact"]
    assert record["made_from"] == {"id": info.id, "name": "penguins", "version": 1, "algorithm": "random_forest"}
    assert record["variant"] == "distilled_decision_tree" and record["size_bytes"] == kept.artifact_bytes
    assert kept.report["holdout_rows"] == info.report["holdout_rows"] and kept.report["full"]
    assert kept.algorithm == "decision_tree"
    # what was kept scores as measured
    _, model = load_registered("penguins:2")
    X, y = _holdout(info)
    for key, want in _sklearn_metrics(model, X, y).items():
        assert kept.metrics[key] == pytest.approx(want, rel=1e-9), key
    # and through predict, with the original's output columns
    source = tmp_path / "new.csv"
    pd.read_csv(DATA / "penguins.csv").drop(columns=["species"]).head(30).to_csv(source, index=False)
    outs = {}
    for ref in ("penguins:1", "penguins:2"):
        out = tmp_path / f"{ref.replace(':', '_')}.csv"
        assert main(["predict", ref, str(source), "--out", str(out)]) == 0, capsys.readouterr().err
        outs[ref] = pd.read_csv(out)
    assert list(outs["penguins:2"].columns) == list(outs["penguins:1"].columns)
    assert {"prediction", "proba_Adelie", "proba_Chinstrap", "proba_Gentoo"} <= set(outs["penguins:2"].columns)
    assert (outs["penguins:2"]["prediction"] == outs["penguins:1"]["prediction"]).mean() > 0.9


# --------------------------------------------------------------------------- the CLI


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_json_and_table(mass_ridge, capsys):
    _register(mass_ridge, "mass")
    code, out, err = _run(capsys, "compact", "mass", "--json")
    assert code == 0, err
    found = json.loads(out)
    assert found["model"]["name"] == "mass" and found["primary_metric"] == "r2" and found["kept"] is None
    assert set(found["original"]) == {"size_bytes", "latency_ms", "metrics"}
    (v,) = found["variants"]
    assert v["variant"] == "float32" and v["size_bytes"] > 0 and v["latency_ms"] > 0 and "vs" in v["verdict"]
    assert set(v["metrics"]) == {"mae", "rmse", "r2"}
    code, out, _ = _run(capsys, "compact", "mass")
    assert code == 0 and "original (ridge)" in out and "float32" in out and "--keep VARIANT" in out
    code, out, err = _run(capsys, "compact", "mass", "--keep", "float32", "--json")
    assert code == 0, err
    assert json.loads(out)["kept"] == {
        "id": 2,
        "name": "mass",
        "version": 2,
        "task": "regression",
        "algorithm": "ridge",
        "stage": "candidate",
    }


def test_cli_errors(mass_ridge, capsys):
    info = _register(mass_ridge, "mass")
    code, _, err = _run(capsys, "compact", "nosuch")
    assert code == 2 and "error: No model matches 'nosuch'" in err and "hint:" in err
    code, _, err = _run(capsys, "compact", "mass", "--keep", "bogus")
    assert code == 2 and "no variant called 'bogus'" in err and "hint: Choose one of: 'float32'" in err
    assert store.resolve_model("mass").version == 1  # nothing was kept
    store.model_file(info).write_bytes(b"PK\x03\x04 changed")
    code, _, err = _run(capsys, "compact", "mass")
    assert code == 2 and "does not match the fingerprint" in err and "hint:" in err


def test_cli_refuses_a_baseline_and_a_model_without_test_rows(mass_ridge, capsys):
    frame = pd.read_csv(DATA / "penguins.csv")
    base = train.train(frame, "body_mass_g", candidates=[], time_budget_s=30)
    assert base.algorithm == "baseline"
    _register((frame, base), "base")
    code, _, err = _run(capsys, "compact", "base")
    assert code == 2 and "is the baseline" in err and "hint:" in err
    _register(mass_ridge, "norows", report=False)
    code, _, err = _run(capsys, "compact", "norows")
    assert code == 2 and "no record of the test rows" in err and "hint: Train the model again" in err

"""Monitoring a registered model: drift, confidence-based estimates, triggers, gate."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from core import store
from core.monitoring import monitor
from core.errors import InputError, NotFoundError
from core.vocab import date
from core.monitoring.monitor import TriggerRule, estimate_performance, expected_roc_auc, gate, monitor_model

WEIGHTS = np.array([1.5, -1.0, 0.5])
SEGMENT_EFFECT = {"a": 0.0, "b": 0.4, "c": -0.4}


def logistic_frame(n: int, seed: int, *, mean=(0.0, 0.0, 0.0), sd=(1.0, 1.0, 1.0), weights=WEIGHTS,
                   segments=(0.5, 0.3, 0.2)) -> pd.DataFrame:
    """Rows whose label really follows a logistic model, so a fitted logistic regression is calibrated."""
    rng = np.random.default_rng(seed)
    x = rng.normal(mean, sd, size=(n, 3))
    seg = rng.choice(["a", "b", "c"], n, p=segments)
    logit = x @ weights + np.vectorize(SEGMENT_EFFECT.get)(seg)
    y = rng.random(n) < 1 / (1 + np.exp(-logit))
    return pd.DataFrame({"x1": x[:, 0], "x2": x[:, 1], "x3": x[:, 2], "segment": seg,
                         "churn": np.where(y, "yes", "no")})


FEATURES = [{"name": "x1", "kind": "numeric"}, {"name": "x2", "kind": "numeric"},
            {"name": "x3", "kind": "numeric"}, {"name": "segment", "kind": "categorical"}]


class StandIn:
    """A stand-in with KeelModel's interface around a real fitted scikit-learn pipeline."""

    def __init__(self, pipeline, task: str, target: str, classes=()):
        self.pipeline = pipeline
        self.task = task
        self.target = target
        self.classes_ = tuple(classes)
        self.schema = {"target": target, "task": task, "features": FEATURES}

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.pipeline.predict(frame[[f["name"] for f in FEATURES]]))

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        return self.pipeline.predict_proba(frame[[f["name"] for f in FEATURES]])


def _pipeline(estimator) -> Pipeline:
    pre = ColumnTransformer([("num", StandardScaler(), ["x1", "x2", "x3"]),
                             ("cat", OneHotEncoder(handle_unknown="ignore"), ["segment"])])
    return Pipeline([("pre", pre), ("model", estimator)])


@pytest.fixture(scope="module")
def trained():
    train = logistic_frame(6_000, 1)
    fitted = _pipeline(LogisticRegression(C=100.0)).fit(train.drop(columns="churn"), train["churn"])
    holdout = logistic_frame(4_000, 2)
    acc = accuracy_score(holdout["churn"], fitted.predict(holdout.drop(columns="churn")))
    auc = roc_auc_score(holdout["churn"] == "yes", fitted.predict_proba(holdout.drop(columns="churn"))[:, 1])
    return train, StandIn(fitted, "classification", "churn", fitted.classes_), {"accuracy": acc, "roc_auc": auc}


def register(train: pd.DataFrame, model, metrics, *, report=None, task="classification", target="churn"):
    ds = store.save_dataset(train, "train")
    return store.save_model(b"stand-in bytes", name="churn", task=task, algorithm="logistic_regression",
                            dataset_id=ds.id, target=target, metrics=metrics, params={}, schema=model.schema,
                            report=report)


NOW = dt.datetime.now(dt.timezone.utc)


# --------------------------------------------------------------------------- confidence-based estimation


def test_cbpe_estimate_within_003_of_real_accuracy_under_covariate_shift(trained):
    _, model, metrics = trained
    # Covariate shift: inputs crowd towards the decision boundary; the input→label rule is unchanged.
    shifted = logistic_frame(20_000, 3, mean=(0.3, 0.4, -0.2), sd=(0.45, 0.5, 1.0), segments=(0.2, 0.3, 0.5))
    proba = model.predict_proba(shifted)
    est = estimate_performance(proba)
    real_acc = accuracy_score(shifted["churn"], model.predict(shifted))
    real_auc = roc_auc_score(shifted["churn"] == "yes", proba[:, 1])
    assert metrics["accuracy"] - real_acc > 0.05  # the shift really hurt the model…
    assert est["accuracy"].value == pytest.approx(real_acc, abs=0.03)  # …and the estimate saw it without labels
    assert est["roc_auc"].value == pytest.approx(real_auc, abs=0.03)
    # The 90 % band is sampling noise for 20 000 rows (about ±0.5 point); it does not cover the model's
    # own calibration error, so only its width is checked here.
    assert est["accuracy"].low < est["accuracy"].value < est["accuracy"].high
    assert 0.005 < est["accuracy"].high - est["accuracy"].low < 0.03


def test_expected_roc_auc_known_answers():
    assert expected_roc_auc(np.full(100, 0.5)) == pytest.approx(0.5)
    assert expected_roc_auc(np.r_[np.zeros(50), np.ones(50)]) == pytest.approx(1.0)
    # Calibrated scores: the average real AUC over label draws matches the expectation.
    rng = np.random.default_rng(0)
    scores = rng.beta(2, 2, 4_000)
    draws = [roc_auc_score(rng.random(scores.size) < scores, scores) for _ in range(50)]
    assert expected_roc_auc(scores) == pytest.approx(np.mean(draws), abs=0.005)


def test_multiclass_estimate_is_mean_max_probability():
    proba = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4]])
    est = estimate_performance(np.repeat(proba, 100, axis=0))
    assert est["accuracy"].value == pytest.approx((0.7 + 0.8 + 0.4) / 3)
    assert 0.5 < est["roc_auc"].value < 1.0


# --------------------------------------------------------------------------- one batch end to end


def test_clean_batch_no_drift_no_action_and_contract(trained):
    train, model, metrics = trained
    info = register(train, model, metrics)
    batch = logistic_frame(3_000, 10).drop(columns="churn")
    result = monitor_model(info, model, batch, now=NOW)
    out = json.loads(json.dumps(result.to_json(), allow_nan=False))
    assert {"batch_id", "drift", "performance", "triggers", "action"} <= set(out)
    assert out["action"] == "none" and out["drift"]["dataset_drift"] is False
    assert out["drift"]["drift_share"] == 0.0
    assert {t["rule"] for t in out["triggers"]} >= {"drift_share", "important_feature_drift", "metric_drop_measured",
                                                     "metric_drop_estimated", "model_age", "volume_change"}
    assert all({"rule", "fired", "detail"} <= set(t) for t in out["triggers"])
    assert out["performance"]["method"] == "cbpe"
    assert out["performance"]["estimated"]["accuracy"]["value"] == pytest.approx(metrics["accuracy"], abs=0.03)
    assert out["prediction_drift"]["drifted"] is False
    stored = store.list_batches(info.id)
    assert [b["id"] for b in stored] == [result.batch_id] and stored[0]["rows"] == 3_000
    assert "x1" not in json.dumps(stored[0]["result"]["drift"]["columns"][0]["current"])  # statistics, not rows
    assert len(json.dumps(stored[0]["result"])) < 40_000


def test_drifted_batch_with_labels_shows_estimate_beside_measurement_and_fires(trained):
    train, model, metrics = trained
    info = register(train, model, metrics, report={"importance": {"x1": 0.30, "x2": 0.20, "x3": 0.05, "segment": 0.01}})
    batch = logistic_frame(5_000, 11, mean=(1.0, 1.0, 0.0), sd=(0.5, 0.5, 1.0), segments=(0.1, 0.2, 0.7))
    result = monitor_model(info, model, batch, labels_column="churn", now=NOW)
    perf = result.performance
    assert perf.method == "cbpe+labels" and perf.rows_labelled == 5_000
    assert perf.estimated["accuracy"].value == pytest.approx(perf.measured["accuracy"], abs=0.03)
    assert perf.explain.startswith(f"Right answers probably fell from {round(100 * metrics['accuracy'])}% to ")
    fired = {t.rule: t for t in result.triggers if t.fired}
    assert set(fired) >= {"drift_share", "important_feature_drift", "metric_drop_measured", "metric_drop_estimated"}
    assert fired["important_feature_drift"].detail == (
        "'x1' and 'x2' changed; they are among the 3 columns that matter most to the model ('x1', 'x2' and 'x3'), "
        "so its answers may shift.")
    assert result.action == "retrain"
    assert result.target_drift is not None and result.prediction_drift is not None
    assert result.explain.startswith("The data has drifted: 3 of 4 columns (75%) changed — 'x1', 'x2', 'segment'.")


def test_concept_drift_is_caught_only_by_labels(trained):
    train, model, metrics = trained
    info = register(train, model, metrics)
    flipped = logistic_frame(5_000, 12, weights=-WEIGHTS)  # same inputs, opposite rule
    result = monitor_model(info, model, flipped, labels_column="churn", now=NOW)
    by = {t.rule: t for t in result.triggers}
    assert not by["drift_share"].fired and not by["metric_drop_estimated"].fired  # inputs look the same
    assert by["metric_drop_measured"].fired and result.action == "retrain"
    assert result.target_drift.column == "target"


def test_model_age_and_volume_change_triggers(trained):
    train, model, metrics = trained
    info = register(train, model, metrics)
    monitor_model(info, model, logistic_frame(1_000, 13).drop(columns="churn"), now=NOW)
    later = NOW + dt.timedelta(days=120)
    result = monitor_model(info, model, logistic_frame(3_000, 14).drop(columns="churn"), now=later)
    by = {t.rule: t for t in result.triggers}
    assert by["model_age"].fired and by["model_age"].detail.startswith("Trained 120 days ago")
    assert by["volume_change"].fired and "3,000 rows against 1,000" in by["volume_change"].detail
    assert result.action == "review"


def test_cooldown_quiets_a_repeat_unless_it_gets_worse(trained):
    train, model, metrics = trained
    info = register(train, model, metrics)
    rules = (TriggerRule("drift_share", "Many features drifted", 0.5, "retrain", cooldown=2, worse_by=0.1),)
    moved = dict(mean=(1.0, 1.0, 0.0), sd=(1.0, 1.0, 1.0))
    first = monitor_model(info, model, logistic_frame(2_000, 20, **moved).drop(columns="churn"), rules=rules, now=NOW)
    second = monitor_model(info, model, logistic_frame(2_000, 21, **moved).drop(columns="churn"), rules=rules, now=NOW)
    worse = monitor_model(info, model, logistic_frame(2_000, 22, mean=(1.0, 1.0, 1.0), segments=(0.1, 0.1, 0.8))
                          .drop(columns="churn"), rules=rules, now=NOW)
    assert first.triggers[0].fired and first.action == "retrain"
    assert first.triggers[0].value == 0.5
    assert first.alerting and first.headline == "Retrain recommended."
    # the same problem again: the state still calls for a retrain; only the alert stays quiet
    assert second.triggers[0].fired and second.triggers[0].cooling_down and not second.triggers[0].alerting
    assert second.action == "retrain" and second.alerting is False
    reported = date(first.created_at)
    assert second.headline == f"Retrain recommended — already reported on {reported}, so no new alert."
    assert f"Still true; already reported on {reported} (1 batch ago) and not worse since" in second.triggers[0].detail
    out = second.to_json()
    assert out["action"] == "retrain" and out["alerting"] is False and out["triggers"][0]["alerting"] is False
    assert "Retrain recommended — already reported" in out["explain"]
    assert worse.triggers[0].fired and worse.triggers[0].alerting and worse.triggers[0].value == 1.0
    log = monitor.alerts(info.id)
    assert [(a.batch_id, a.rule, a.action) for a in log] == [
        (worse.batch_id, "drift_share", "retrain"), (first.batch_id, "drift_share", "retrain")]
    assert not any(a.acknowledged for a in log)


def test_regression_model_measures_with_labels_and_never_estimates():
    train = logistic_frame(2_000, 30)
    train["spend"] = 3 * train["x1"] - train["x2"] + np.random.default_rng(0).normal(0, 0.5, len(train))
    fitted = _pipeline(LinearRegression()).fit(train[["x1", "x2", "x3", "segment"]], train["spend"])
    model = StandIn(fitted, "regression", "spend")
    info = register(train, model, {"mae": 0.4, "rmse": 0.5, "r2": 0.97}, task="regression", target="spend")
    batch = logistic_frame(1_000, 31)
    batch["spend"] = 3 * batch["x1"] - batch["x2"] + 2.0  # everyone now spends 2 more
    result = monitor_model(info, model, batch, labels_column="spend", now=NOW)
    assert result.performance.estimated == {}
    assert result.performance.measured["mae"] == pytest.approx(2.0, abs=0.1)
    by = {t.rule: t for t in result.triggers}
    assert by["metric_drop_measured"].fired and by["metric_drop_measured"].detail == (
        "The typical error grew from 0.4 when tested after training to 2.02 on this batch's labelled rows (+404%), "
        "more than the 20% rise that calls for a retrain.")
    assert by["metric_drop_estimated"].detail == "Estimating performance without labels is only possible for classifiers."


# --------------------------------------------------------------------------- bad input changes nothing


def test_batch_missing_columns_is_refused(trained):
    train, model, metrics = trained
    info = register(train, model, metrics)
    with pytest.raises(InputError) as err:
        monitor_model(info, model, logistic_frame(100, 40).drop(columns=["x2", "segment"]))
    assert err.value.message == "The batch is missing 2 column(s) that model churn:1 needs: 'x2', 'segment'."
    assert err.value.hint.startswith("Use a file with the same columns")
    assert store.list_batches(info.id) == []


def test_empty_batch_is_refused(trained):
    train, model, metrics = trained
    info = register(train, model, metrics)
    with pytest.raises(InputError, match="The batch is empty"):
        monitor_model(info, model, logistic_frame(10, 41).iloc[:0])
    assert store.list_batches(info.id) == []


def test_labels_of_the_wrong_kind_are_refused(trained):
    train, model, metrics = trained
    info = register(train, model, metrics)
    batch = logistic_frame(200, 42)
    batch["churn"] = np.where(batch["churn"] == "yes", 1, 0)
    with pytest.raises(InputError) as err:
        monitor_model(info, model, batch, labels_column="churn")
    assert err.value.message == ("The labels in 'churn' do not match the model's classes: found '0', '1', "
                                 "expected one of 'no', 'yes'.")
    with pytest.raises(InputError, match="The labels column 'outcome' is not in the batch."):
        monitor_model(info, model, batch, labels_column="outcome")
    assert store.list_batches(info.id) == []


@pytest.mark.parametrize(("classes", "labels", "expected"), [
    (("No", "Yes"), ["yes", " NO", "Yes", None], ["Yes", "No", "Yes", None]),  # spelled another way
    ((False, True), ["yes", "no", "True", None], [True, False, True, None]),  # a model from before yes/no stayed words
    (("n", "y"), ["Yes", "no", "Y"], ["y", "n", "y"]),
    ((0, 1), [1, 0.0, "1"], [1, 0, 1]),
])
def test_labels_are_matched_to_the_models_classes(classes, labels, expected):
    from core.monitoring.monitor import to_classes

    got = to_classes(pd.Series(labels, dtype=object), classes, "outcome")
    assert [None if pd.isna(v) else v for v in got] == expected
    assert [type(v) for v in got if not pd.isna(v)] == [type(v) for v in expected if v is not None]


def test_labels_that_match_no_class_are_named_or_kept():
    from core.monitoring.monitor import to_classes

    with pytest.raises(InputError) as err:
        to_classes(pd.Series(["yes", "maybe", "1"]), ("no", "yes"), "outcome")
    assert err.value.message == ("The labels in 'outcome' do not match the model's classes: found '1', 'maybe', "
                                 "expected one of 'no', 'yes'.")
    kept = to_classes(pd.Series(["YES", "maybe"]), ("no", "yes"), "outcome", strict=False)
    assert kept.tolist() == ["yes", "maybe"]  # a class the model has not seen yet (a retrain learns it)


def test_text_labels_for_a_number_model_are_refused():
    train = logistic_frame(300, 43)
    train["spend"] = train["x1"]
    fitted = _pipeline(LinearRegression()).fit(train[["x1", "x2", "x3", "segment"]], train["spend"])
    model = StandIn(fitted, "regression", "spend")
    info = register(train, model, {"mae": 0.1}, task="regression", target="spend")
    batch = train.copy()
    batch["spend"] = batch["spend"].astype(object)
    batch.loc[5, "spend"] = "n/a"
    with pytest.raises(InputError) as err:
        monitor_model(info, model, batch, labels_column="spend")
    assert err.value.message == "The labels in 'spend' must be numbers, but 1 are not (first: 'n/a' in row 6)."


def test_batch_for_a_deleted_model_is_refused(trained):
    train, model, metrics = trained
    info = register(train, model, metrics)
    store.delete_model(info.id)
    with pytest.raises(NotFoundError):
        monitor.monitor_batch(info.id, logistic_frame(100, 44))


def test_monitor_batch_with_a_real_registered_keel_model():
    modelio = pytest.importorskip("core.models.model")
    train = logistic_frame(2_000, 50)
    kinds = {"x1": "numeric", "x2": "numeric", "x3": "numeric", "segment": "categorical"}
    schema = modelio.build_schema(train, kinds, target="churn", task="classification", classes=("no", "yes"))
    keel = modelio.KeelModel(None, schema, "classification", "churn", ("no", "yes"), "logistic_regression")
    pipe = _pipeline(LogisticRegression()).fit(keel.prepare(train), train["churn"])
    keel.pipeline = pipe
    ds = store.save_dataset(train, "train")
    info = store.save_model(keel.to_bytes(), name="churn", task="classification", algorithm="logistic_regression",
                            dataset_id=ds.id, target="churn", metrics={"accuracy": 0.8}, params={}, schema=schema)
    result = monitor.monitor_batch("churn", logistic_frame(500, 51), labels_column="churn")
    assert result.batch_id == store.list_batches(info.id)[0]["id"]
    assert result.performance.measured["accuracy"] > 0.7
    frame = monitor.timeline(info.id)
    assert list(frame["batch_id"]) == [result.batch_id] and "drift:x1" in frame.columns
    plain = monitor.history_table(info.id, store.list_batches(info.id))  # as a person reads it
    assert list(plain.columns) == ["batch", "checked", "rows", "columns drifted (%)", "Right answers (accuracy)",
                                   "Right answers, each answer counted equally (balanced accuracy)", "advice"]
    assert len(plain["checked"].iloc[0]) == 16 and plain["advice"].tolist() == [monitor.ACTION_WORDS[result.action]]


# --------------------------------------------------------------------------- champion / challenger gate


def test_gate_promotes_only_past_the_margin():
    d = gate({"accuracy": 0.90}, {"accuracy": 0.93}, "accuracy", 0.01)
    assert d.decision == "promote" and d.improvement == pytest.approx(0.03)
    assert d.reason == ("Promote: the new model's accuracy is 93.0%, against 90.0% for the model in use on the "
                        "same recent rows (3 percentage points higher), more than the required 1 percentage point.")
    small = gate({"accuracy": 0.90}, {"accuracy": 0.905}, "accuracy", 0.01)
    assert small.decision == "keep" and "less than the required 1 percentage point" in small.reason
    worse = gate({"accuracy": 0.90}, {"accuracy": 0.85}, "accuracy", 0.01)
    assert worse.decision == "keep" and worse.reason.endswith("the new model is not better.")


def test_gate_errors_are_relative_and_lower_is_better():
    d = gate({"mae": 10.0}, {"mae": 8.0}, "mae", 0.05)
    assert d.decision == "promote" and d.relative and d.improvement == pytest.approx(0.2)
    assert gate({"mae": 10.0}, {"mae": 9.8}, "mae", 0.05).decision == "keep"
    assert gate({"log_loss": 0.30}, {"log_loss": 0.35}, "log_loss", 0.01).decision == "keep"


def test_a_number_model_is_judged_and_explained_in_typical_error_not_r2_points():
    champion = {"mae": 12.0, "rmse": 15.0, "r2": 0.80}
    challenger = {"mae": 8.0, "rmse": 11.0, "r2": 0.86}
    d = gate(champion, challenger, "r2", 0.01)
    assert d.metric == "mae" and d.relative and d.improvement == pytest.approx(1 / 3)
    assert d.reason == ("Promote: the new model's typical error is 8, against 12 for the model in use on the "
                        "same recent rows (33% smaller), more than the required 1%.")
    assert "points" not in d.reason and "R²" not in d.reason
    worse = gate(champion, {"mae": 12.5, "r2": 0.79}, "r2", 0.01)
    assert worse.decision == "keep" and worse.reason.endswith("(4.2% larger); the new model is not better.")
    assert gate({"r2": 0.8}, {"r2": 0.9}, "r2", 0.01).metric == "r2"  # without typical errors: R² it is


def test_gate_without_champion_or_metric():
    assert gate(None, {"roc_auc": 0.8}, "roc_auc", 0.01).decision == "promote"
    assert gate({"roc_auc": 0.8}, {}, "roc_auc", 0.01).decision == "keep"
    nan = gate({"roc_auc": float("nan")}, {"roc_auc": 0.8}, "roc_auc", 0.01)
    assert nan.decision == "keep" and "cannot be compared fairly" in nan.reason


def test_rows_are_kept_only_when_asked(trained):
    train, model, metrics = trained
    info = register(train, model, metrics)
    batch = logistic_frame(300, 60).drop(columns="churn")
    monitor_model(info, model, batch, now=NOW)
    monitor_model(info, model, batch, now=NOW, keep_rows=True)
    first, second = store.list_batches(info.id)
    assert first["dataset_id"] is None
    kept = store.load_dataset(second["dataset_id"])
    pd.testing.assert_frame_equal(kept.reset_index(drop=True), batch.reset_index(drop=True), check_dtype=False)


@pytest.mark.filterwarnings("ignore:y_pred contains classes not in y_true")
@pytest.mark.parametrize("k", [2, 4], ids=["binary", "four-classes"])
def test_measured_metrics_agree_with_sklearn(k):
    from sklearn import metrics as skm

    rng = np.random.default_rng(k)
    classes = [f"c{j}" for j in range(k)]
    proba = rng.dirichlet(np.ones(k), 3_000)
    truth = np.array(classes, dtype=object)[[rng.choice(k, p=row) for row in proba]]
    if k == 4:
        truth[truth == "c3"] = "c2"  # one class never occurs in the truth
    pred = np.array(classes, dtype=object)[proba.argmax(axis=1)]
    got = monitor.measure_performance("classification", pd.Series(truth), pred, proba, classes)
    assert got["accuracy"] == pytest.approx(skm.accuracy_score(truth, pred))
    assert got["balanced_accuracy"] == pytest.approx(skm.balanced_accuracy_score(truth, pred))
    assert got["f1_macro"] == pytest.approx(skm.f1_score(truth, pred, average="macro", zero_division=0))
    if k == 2:
        assert got["roc_auc"] == pytest.approx(skm.roc_auc_score(truth == "c1", proba[:, 1]))
    else:
        present = [j for j in range(k) if (truth == classes[j]).any()]
        expected = np.mean([skm.roc_auc_score(truth == classes[j], proba[:, j]) for j in present])
        assert got["roc_auc"] == pytest.approx(expected)


def test_estimated_band_holds_the_value_when_the_model_is_nearly_always_sure():
    # ratdat/complete_old: almost every row at probability ~1; the bootstrap's 5 % quantile landed above
    # its mean and the band came out as [1.0000008, 1.0] around 0.99999905
    from core.monitoring.monitor import estimate_performance

    p = np.full((5000, 2), [1e-9, 1 - 1e-9])
    p[:3] = [0.4, 0.6]
    for est in estimate_performance(p).values():
        if est.value is not None and est.low is not None:
            assert 0.0 <= est.low <= est.value <= est.high <= 1.0


def test_accuracy_no_better_than_always_giving_the_common_answer_is_said_plainly():
    from core.monitoring.performance import explain_performance

    measured = {"accuracy": 0.73, "balanced_accuracy": 0.74}
    text = explain_performance("classification", {}, measured, {"accuracy": 0.77}, 800, ("no", 0.73, 0.60, 2))
    assert "always answering 'no' would have been right for 73% of these rows" in text
    assert "counting every answer equally, it is right 74% of the time" in text
    assert text.startswith("Measured on 800 labelled rows, it was right 73% of the time (it was 77% when tested")
    assert "It answered 'no' for 60% of the rows; in fact 73% were 'no'." in text
    calm = explain_performance("classification", {}, {"accuracy": 0.9}, {"accuracy": 0.9}, 800, ("no", 0.73, 0.71, 2))
    assert "always answering" not in calm and "in fact" not in calm
    three = explain_performance("classification", {}, {"accuracy": 0.5, "balanced_accuracy": 0.36}, {}, 90,
                                 ("a", 0.5, 0.5, 3))
    assert "a blind guess scores 33%" in three
    one = explain_performance("classification", {}, {"accuracy": 1.0, "balanced_accuracy": 1.0}, {}, 90, ("a", 1.0, 1.0, 2))
    assert "blind guess" not in one


def _perf(task, measured, reference, labelled=400, reference_rows=400):
    return monitor.Performance(task=task, method="labels", estimated={}, measured=measured, reference=reference,
                               rows=labelled, rows_labelled=labelled, explain="", reference_rows=reference_rows)


def _measured_rule(perf):
    triggers, action = monitor.evaluate_triggers(drift=None, performance=perf, task=perf.task, created_at=None,
                                                 rows=perf.rows, history=[], rules=monitor.DEFAULT_RULES[2:3])
    return triggers[0], action


def test_a_fall_in_balanced_accuracy_counts_even_when_accuracy_rises():
    t, action = _measured_rule(_perf("classification", {"accuracy": 0.90, "balanced_accuracy": 0.53},
                                     {"accuracy": 0.88, "balanced_accuracy": 0.85}))
    assert t.fired and action == "retrain"
    assert t.detail == ("Right answers, each answer counted equally, fell from 85.0% when tested after training to 53.0% "
                        "on this batch's labelled rows, more than the 5-point drop that calls for a retrain.")


def test_a_gap_a_small_hold_out_explains_by_chance_does_not_fire():
    small = _perf("classification", {"accuracy": 0.933}, {"accuracy": 1.0}, labelled=75, reference_rows=15)
    t, action = _measured_rule(small)
    assert not t.fired and action == "none" and "can be chance" in t.detail
    big = _perf("classification", {"accuracy": 0.933}, {"accuracy": 1.0}, labelled=2000, reference_rows=2000)
    assert _measured_rule(big)[0].fired  # the same gap on many rows is real


def test_a_regression_model_worse_than_the_average_fires_even_with_a_small_rise_in_error():
    t, _ = _measured_rule(_perf("regression", {"mae": 6.29, "rmse": 8.0, "r2": -0.07},
                                {"mae": 5.33, "rmse": 7.0, "r2": 0.11}))
    assert t.fired and "worse than always predicting the average (R² -0.07" in t.detail
    calm, _ = _measured_rule(_perf("regression", {"mae": 5.5, "rmse": 7.2, "r2": 0.09}, {"mae": 5.33, "rmse": 7.0, "r2": 0.11}))
    assert not calm.fired


def test_a_decay_after_a_healthy_batch_is_news_again():
    rule = (TriggerRule("metric_drop_measured", "Measured performance dropped", 0.05, "retrain", cooldown=3, worse_by=0.02),)
    bad = _perf("classification", {"accuracy": 0.50}, {"accuracy": 0.95})
    ok = _perf("classification", {"accuracy": 0.95}, {"accuracy": 0.95})
    decay = _perf("classification", {"accuracy": 0.83}, {"accuracy": 0.95})
    history: list[dict] = []
    for perf in (bad, ok, decay):
        triggers, action = monitor.evaluate_triggers(drift=None, performance=perf, task="classification",
                                                     created_at=None, rows=400, history=history, rules=rule)
        history.append({"rows": 400, "result": {"triggers": [t.to_json() for t in triggers]}})
    assert action == "retrain" and triggers[0].fired and not triggers[0].cooling_down
    again = monitor.evaluate_triggers(drift=None, performance=decay, task="classification", created_at=None,
                                      rows=400, history=history, rules=rule)[0][0]
    assert again.cooling_down and again.fired and "already reported (1 batch ago)" in again.detail  # same decay: no new alert


def test_time_stamps_read_to_the_minute():
    from core.vocab import minutes as minutes_text

    assert minutes_text("2026-11-27T21:17:15.999512+00:00") == "2026-11-27 21:17"
    assert minutes_text("2026-11-27T22:17:15+01:00") == "2026-11-27 21:17"  # shown in UTC
    assert minutes_text(pd.Series(["2026-11-27T21:17:15+00:00", "2026-01-02T03:04:05.5+00:00"])).tolist() == [
        "2026-11-27 21:17", "2026-01-02 03:04"]

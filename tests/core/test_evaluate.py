"""core.evaluate: known answers on real fits (sklearn's bundled datasets and small planted frames)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import RandomForestRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from core.errors import InputError
from core.models import evaluate as E
from core.vocab import points

N_BOOT = 60


# --------------------------------------------------------------------------- fixtures


def _split(X, y, seed=0):
    return train_test_split(X, y, test_size=0.4, random_state=seed, stratify=y if y.nunique() < 10 else None)


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    Xtr, Xte, ytr, yte = _split(X, y)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(Xtr, ytr)
    return model, Xte, yte


@pytest.fixture(scope="module")
def wine():
    X, y = load_wine(return_X_y=True, as_frame=True)
    Xtr, Xte, ytr, yte = _split(X, y)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(Xtr, ytr)
    return model, Xte, yte


@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    Xtr, Xte, ytr, yte = _split(X, y)
    model = RandomForestRegressor(n_estimators=40, min_samples_leaf=5, random_state=0, n_jobs=1).fit(Xtr, ytr)
    return model, Xte, yte


def _customers(n=1200, seed=0, flip_region=None, flip_share=0.0):
    """Churn-like frame: `tenure` lowers churn strongly, `plan` matters a little, `noise` not at all."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "tenure": rng.uniform(0, 60, n),
            "noise": rng.normal(0, 1, n),
            "plan": rng.choice(["basic", "plus", "pro"], n),
            "region": rng.choice(["North", "South", "East", "West"], n),
        }
    )
    logit = 3 - 0.12 * X["tenure"] + np.where(X["plan"] == "basic", 0.8, 0.0)
    churn = rng.random(n) < 1 / (1 + np.exp(-logit))
    y = pd.Series(np.where(churn, "yes", "no"), name="churn")
    if flip_region is not None:
        m = (X["region"] == flip_region).to_numpy() & (rng.random(n) < flip_share)
        y[m] = np.where(y[m] == "yes", "no", "yes")
    return X, y


def _churn_pipeline(estimator=None):
    pre = ColumnTransformer(
        [("num", StandardScaler(), ["tenure", "noise"]), ("cat", OneHotEncoder(handle_unknown="ignore"), ["plan", "region"])]
    )
    return make_pipeline(pre, estimator or LogisticRegression(max_iter=1000))


@pytest.fixture(scope="module")
def churn():
    Xtr, ytr = _customers(1500, seed=1)
    model = _churn_pipeline().fit(Xtr, ytr)
    Xte, yte = _customers(1200, seed=2)
    return model, Xte, yte


# --------------------------------------------------------------------------- evaluate


def test_binary_metrics_match_sklearn(cancer):
    model, X, y = cancer
    ev = E.evaluate(model, X, y, "classification", n_boot=N_BOOT)
    proba = model.predict_proba(X)
    pred = model.predict(X)
    assert ev.metrics["accuracy"] == pytest.approx(skm.accuracy_score(y, pred))
    assert ev.metrics["balanced_accuracy"] == pytest.approx(skm.balanced_accuracy_score(y, pred))
    assert ev.metrics["f1_macro"] == pytest.approx(skm.f1_score(y, pred, average="macro"))
    assert ev.metrics["roc_auc"] == pytest.approx(skm.roc_auc_score(y, proba[:, 1]))
    assert ev.metrics["pr_auc"] == pytest.approx(skm.average_precision_score(y, proba[:, 1]))
    assert ev.metrics["log_loss"] == pytest.approx(skm.log_loss(y, proba))
    assert ev.metrics["brier"] == pytest.approx(skm.brier_score_loss(y, proba[:, 1]))
    assert set(E.CLASSIFICATION_KEYS) <= set(ev.metrics)
    for key, value in ev.metrics.items():
        low, high = ev.intervals[key]
        assert low <= value + 1e-9 and value - 1e-9 <= high, key
    assert np.array(ev.confusion).sum() == len(y)
    assert ev.positive_label == "1"
    assert len(ev.roc_curve.x) <= 200 and ev.roc_curve.x[0] == 0.0 and ev.roc_curve.y[-1] == 1.0
    assert len(ev.pr_curve.x) <= 200
    assert sum(b.count for b in ev.calibration.bins) == len(y)


def test_sentences_name_rows_and_interval(cancer):
    model, X, y = cancer
    ev = E.evaluate(model, X, y, "classification", row_noun="patients", n_boot=N_BOOT)
    lo, hi = ev.intervals["accuracy"]
    s = ev.sentences["accuracy"]
    assert s.startswith(f"On {len(y)} patients it hadn't seen, the model was right ")
    assert "likely between" in s
    # gap against the most common answer, with a paired interval
    assert ev.baseline_name == "always guessing the most common answer"
    assert ev.gap.value == pytest.approx(ev.metrics["accuracy"] - y.value_counts(normalize=True).max())
    assert ev.gap.sentence.startswith(f"It is right {points(ev.gap.value)} more often than always guessing")
    lines = E.explain_evaluation(ev)
    assert lines[0] == s and lines[1] == ev.gap.sentence


def test_multiclass_metrics_match_sklearn(wine):
    model, X, y = wine
    ev = E.evaluate(model, X, y, "classification", n_boot=N_BOOT)
    proba = model.predict_proba(X)
    assert ev.metrics["roc_auc"] == pytest.approx(skm.roc_auc_score(y, proba, multi_class="ovr", average="macro"))
    assert ev.metrics["f1_macro"] == pytest.approx(skm.f1_score(y, model.predict(X), average="macro"))
    assert ev.metrics["brier"] is None and ev.metrics["pr_auc"] is None
    assert ev.roc_curve is None and ev.positive_label is None
    assert ev.calibration.kind == "top_label"
    assert [c.support for c in ev.per_class] == list(y.value_counts().sort_index())


def test_regression_metrics_match_sklearn(diabetes):
    model, X, y = diabetes
    ev = E.evaluate(model, X, y, "regression", n_boot=N_BOOT, row_noun="patients")
    pred = model.predict(X)
    assert ev.metrics["mae"] == pytest.approx(skm.mean_absolute_error(y, pred))
    assert ev.metrics["rmse"] == pytest.approx(np.sqrt(skm.mean_squared_error(y, pred)))
    assert ev.metrics["r2"] == pytest.approx(skm.r2_score(y, pred))
    assert ev.metrics.keys() == set(E.REGRESSION_KEYS)
    assert ev.residuals.sampled_from == len(y) and len(ev.residuals.residual) == len(y)
    assert ev.sentences["mae"].startswith(f"On {len(y)} patients it hadn't seen, its predictions of 'target' were off by ")
    assert ev.baseline_name == "always guessing the average"
    assert ev.gap.value > 0  # better than the mean


def test_perfect_classifier_has_accuracy_one_and_tight_interval():
    X = pd.DataFrame({"x": np.r_[np.zeros(100), np.ones(100)]})
    y = pd.Series(np.r_[np.zeros(100, int), np.ones(100, int)])
    model = LogisticRegression(C=1e4).fit(X, y)
    ev = E.evaluate(model, X, y, "classification", n_boot=N_BOOT)
    assert ev.metrics["accuracy"] == 1.0
    assert ev.intervals["accuracy"] == (1.0, 1.0)
    assert ev.metrics["roc_auc"] == 1.0
    assert ev.sentences["accuracy"].startswith("On 200 rows it hadn't seen, the model was right 100% of the time")


def test_constant_classifier_has_auc_one_half(cancer):
    _, X, y = cancer
    model = DummyClassifier(strategy="prior").fit(X, y)
    ev = E.evaluate(model, X, y, "classification", n_boot=N_BOOT)
    assert ev.metrics["roc_auc"] == pytest.approx(0.5)
    assert ev.gap.value == pytest.approx(0.0)
    assert "not clearly better" in ev.gap.sentence


def test_bootstrap_is_seeded(cancer):
    model, X, y = cancer
    a = E.evaluate(model, X, y, "classification", n_boot=N_BOOT, seed=3)
    b = E.evaluate(model, X, y, "classification", n_boot=N_BOOT, seed=3)
    c = E.evaluate(model, X, y, "classification", n_boot=N_BOOT, seed=4)
    assert a.intervals == b.intervals
    assert a.intervals["roc_auc"] != c.intervals["roc_auc"]


def test_given_baseline_model_is_compared(churn):
    model, X, y = churn
    weak = _churn_pipeline().fit(X[["tenure", "noise", "plan", "region"]].assign(tenure=0.0), y)
    ev = E.evaluate(model, X, y, "classification", baseline=weak, baseline_name="the model without tenure", n_boot=N_BOOT)
    assert ev.baseline_metrics["accuracy"] < ev.metrics["accuracy"]
    assert "the model without tenure" in ev.gap.sentence


def test_evaluation_json_round_trip(churn, diabetes):
    for model, X, y, task in (churn + ("classification",), diabetes + ("regression",)):
        ev = E.evaluate(model, X, y, task, n_boot=N_BOOT)
        text = json.dumps(ev.to_dict(), allow_nan=False)
        back = E.Evaluation.from_dict(json.loads(text))
        assert back == ev
        assert isinstance(back.roc_curve, (E.Curve, type(None))) and isinstance(back.intervals[ev.headline], tuple)


def test_missing_labels_are_dropped_with_a_note(churn):
    model, X, y = churn
    y = y.copy().astype(object)
    y.iloc[:10] = None
    ev = E.evaluate(model, X, y, "classification", n_boot=0)
    assert ev.n_rows == len(X) - 10
    assert ev.notes == ("10 rows without a known answer were left out.",)
    assert ev.intervals["accuracy"] is None


@pytest.mark.parametrize(
    "kwargs, message",
    [
        pytest.param({"task": "clustering"}, "Unknown task 'clustering'.", id="bad-task"),
        pytest.param({"y": pd.Series(["yes", "maybe"] * 600, name="churn")}, "The answers include 'maybe', which the model never saw", id="unseen-label"),
        pytest.param({"y": pd.Series(["yes"] * 5)}, "The table has 1,200 rows but there are 5 answers.", id="length"),
    ],
)
def test_evaluate_rejects_bad_input_in_plain_words(churn, kwargs, message):
    model, X, y = churn
    args = {"y": y, "task": "classification", **kwargs}
    with pytest.raises(InputError) as err:
        E.evaluate(model, X, args["y"], args["task"], n_boot=0)
    assert str(err.value).startswith(message)
    assert err.value.hint


# --------------------------------------------------------------------------- threshold


def test_threshold_moves_toward_catching_more_when_misses_cost_more(churn):
    model, X, y = churn
    p = model.predict_proba(X)[:, list(model.classes_).index("yes")]
    even = E.choose_threshold(y, p, 1, 1, positive_label="yes")
    miss_dear = E.choose_threshold(y, p, 1, 10, positive_label="yes", unit="€", row_noun="customers")
    alarm_dear = E.choose_threshold(y, p, 10, 1, positive_label="yes")
    assert miss_dear.threshold < even.threshold < alarm_dear.threshold
    assert miss_dear.misses_chosen < miss_dear.misses_default
    assert miss_dear.cost_at_chosen < miss_dear.cost_at_default
    assert miss_dear.cost_at_default == miss_dear.false_alarms_default * 1 + miss_dear.misses_default * 10
    assert f"flag 'yes' when the model is at least {round(100 * miss_dear.threshold)}% sure instead of 50%" in miss_dear.sentence
    assert "€" in miss_dear.sentence and "customers" in miss_dear.sentence
    assert len(miss_dear.thresholds) == len(miss_dear.costs)
    assert E.ThresholdChoice.from_dict(json.loads(json.dumps(miss_dear.to_dict()))) == miss_dear


def test_threshold_rejects_negative_costs():
    with pytest.raises(InputError, match="must be zero or more"):
        E.choose_threshold([0, 1], [0.2, 0.8], -1, 5)


# --------------------------------------------------------------------------- calibration


def test_ece_small_when_calibrated_large_when_overconfident():
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 1, 6000)
    y = (rng.random(6000) < p).astype(int)
    good = E.calibration(y, np.column_stack([1 - p, p]), [0, 1])
    sharp = np.where(p > 0.5, 0.99, 0.01)
    bad = E.calibration(y, np.column_stack([1 - sharp, sharp]), [0, 1])
    assert good.ece < 0.03
    assert bad.ece > 0.2
    assert bad.brier > good.brier
    assert len(good.bins) == 10 and sum(b.count for b in good.bins) == 6000
    assert good.sentence.startswith("When it gives a '1' chance of about ")
    assert "face value" in good.sentence and "recalibrating may help" in bad.sentence


def test_recalibration_helps_an_overconfident_model():
    # Naive Bayes on ten copies of the same feature counts the evidence ten times: overconfident.
    rng = np.random.default_rng(0)
    x = rng.normal(0, 1, 3000)
    y = pd.Series((rng.random(3000) < 1 / (1 + np.exp(-1.5 * x))).astype(int))
    X = pd.DataFrame({f"x{i}": x + rng.normal(0, 0.05, 3000) for i in range(10)})
    model = GaussianNB().fit(X.iloc[:1000], y.iloc[:1000])
    result = E.recalibrate(model, X.iloc[1000:2000], y.iloc[1000:2000], "isotonic")
    assert result.check.helps
    assert result.check.ece_after < result.check.ece_before
    assert "Worth using" in result.check.sentence
    ev_raw = E.evaluate(model, X.iloc[2000:], y.iloc[2000:], "classification", n_boot=0)
    ev_cal = E.evaluate(result.model, X.iloc[2000:], y.iloc[2000:], "classification", n_boot=0)
    assert ev_cal.metrics["ece"] < ev_raw.metrics["ece"]
    assert list(result.model.classes_) == [0, 1]
    assert result.model.var_smoothing == model.var_smoothing  # attributes read through


def test_recalibration_says_when_it_does_not_help(cancer):
    model, X, y = cancer
    result = E.recalibrate(model, X, y, "sigmoid")
    assert result.check.n_fit + result.check.n_check == len(y)
    if not result.check.helps:
        assert "Keep the model as it is." in result.check.sentence
    multi = E.recalibrate(*_wine_model_and_data(), "isotonic")
    proba = multi.model.predict_proba(_wine_model_and_data()[1])
    assert np.allclose(proba.sum(axis=1), 1)


def _wine_model_and_data():
    X, y = load_wine(return_X_y=True, as_frame=True)
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(X.iloc[::2], y.iloc[::2]), X.iloc[1::2], y.iloc[1::2]


# --------------------------------------------------------------------------- slices + fairness


def test_slices_find_a_planted_bad_slice():
    Xtr, ytr = _customers(1500, seed=1)
    model = _churn_pipeline().fit(Xtr, ytr)
    Xte, yte = _customers(1600, seed=3, flip_region="North", flip_share=0.4)
    report = E.slices(model, Xte, yte, "classification", row_noun="customers", n_boot=N_BOOT)
    worse = [(s.column, s.label) for s in report.slices if s.worse]
    assert ("region", "North") in worse
    assert not [w for w in worse if w[0] == "region" and w[1] != "North"]
    assert not [w for w in worse if w[0] in ("plan", "noise")]
    north = next(s for s in report.slices if s.label == "North")
    assert north.high < report.overall and north.count == (Xte["region"] == "North").sum()
    assert any(s.startswith("For customers where 'region' is 'North' (") for s in report.sentences)
    tenure = [s for s in report.slices if s.column == "tenure"]
    assert len(tenure) == 4 and tenure[0].label.endswith("(lowest quarter)")
    assert sum(s.count for s in tenure) == len(Xte)
    assert E.SliceReport.from_dict(json.loads(json.dumps(report.to_dict()))) == report


def test_slices_ignore_small_groups_and_say_so(churn):
    model, X, y = churn
    X = X.copy()
    X["vip"] = np.where(np.arange(len(X)) < 12, "gold", "none")
    y = y.copy()
    y.iloc[:12] = np.where(y.iloc[:12] == "yes", "no", "yes")  # all wrong, but only 12 rows
    report = E.slices(model, X, y, "classification", columns=["vip"], n_boot=N_BOOT)
    assert [s.label for s in report.slices] == ["none"]  # 12 rows: under 30, not listed (as on the card)
    assert report.hidden == 1
    assert report.sentences == (
        "No group of rows big enough to matter does clearly worse than overall.",
        "1 group under 30 rows is not listed: too few to judge.",
    )
    assert E.SliceReport.from_dict(json.loads(json.dumps(report.to_dict()))) == report


def test_slices_leave_out_the_columns_the_model_left_out():
    from core.models.train import train

    X, y = _customers(1000, seed=5)
    frame = X.assign(name=[f"Passenger {i}, Mr {chr(65 + i % 26)}" for i in range(len(X))], churn=y)
    result = train(frame, "churn", candidates=["logistic_regression"], seed=0)
    assert "name" not in result.model.feature_names  # left out as an identifier
    report = E.full_report(result.model, result.X_test, result.y_test, "classification", n_boot=N_BOOT)
    assert report.slices is not None
    assert {s.column for s in report.slices.slices} == {"tenure", "noise", "plan", "region"}
    assert all(s.count >= 30 for s in report.slices.slices)


def test_regression_slices_use_average_miss(diabetes):
    model, X, y = diabetes
    report = E.slices(model, X, y, "regression", columns=["sex", "bmi"], n_boot=N_BOOT)
    assert report.metric_key == "mae"
    assert {s.column for s in report.slices} == {"sex", "bmi"}
    assert all(s.low <= s.metric <= s.high for s in report.slices)


def test_fairness_reports_planted_gap():
    rng = np.random.default_rng(5)
    n = 2000
    X = pd.DataFrame({"score": rng.normal(0, 1, n), "group": rng.choice(["A", "B"], n)})
    # group B's scores are shifted down, so the model flags it less
    X.loc[X["group"] == "B", "score"] -= 1.0
    y = pd.Series((X["score"] + rng.normal(0, 0.5, n) > 0).astype(int), name="approved")
    model = make_pipeline(
        ColumnTransformer([("n", "passthrough", ["score"]), ("c", OneHotEncoder(), ["group"])]), LogisticRegression()
    ).fit(X, y)
    report = E.fairness(model, X, y, "group")
    a, b = report.groups
    assert {a.group, b.group} == {"A", "B"}
    rates = {g.group: g.positive_rate for g in report.groups}
    assert rates["A"] > rates["B"] + 0.2
    gap = next(g for g in report.gaps if g.measure == "positive_rate")
    assert gap.highest_group == "A" and gap.lowest_group == "B"
    assert report.sentences[0].startswith("By 'group', the model flags 'approved' ")  # its answer 1
    assert any("four-fifths" in s for s in report.sentences)
    assert E.FairnessReport.from_dict(report.to_dict()) == report


def test_fairness_needs_yes_no_model(wine):
    model, X, y = wine
    with pytest.raises(InputError, match="needs a yes/no model"):
        E.fairness(model, X, y, "alcohol")


# --------------------------------------------------------------------------- robustness


def test_flips_increase_with_noise(churn):
    model, X, y = churn
    report = E.robustness(model, X, y, "classification", noise_levels=(0.01, 0.1, 0.5), missing_levels=(), swap_levels=(0.1, 0.5))
    noise = [p.flip_share for p in report.results if p.kind == "noise"]
    assert noise == sorted(noise) and noise[-1] > noise[0] + 0.02
    swaps = [p for p in report.results if p.kind == "swap"]
    assert swaps[1].flip_share > swaps[0].flip_share
    assert report.categorical_columns == ("plan", "region")
    assert report.sentences[0].startswith("With noise of 50% of each column's usual spread, accuracy went from")


def test_missing_values_recorded_as_failure_when_model_cannot_take_them(churn):
    model, X, y = churn
    report = E.robustness(model, X, y, "classification", noise_levels=(), swap_levels=())
    assert all(p.failed for p in report.results)
    assert "could not answer at all" in report.sentences[0]
    pre = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(), StandardScaler()), ["tenure", "noise"]),
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["plan", "region"]),
        ]
    )
    tolerant = make_pipeline(pre, LogisticRegression(max_iter=1000)).fit(*_customers(800, seed=9))
    report = E.robustness(tolerant, X, y, "classification", noise_levels=(), swap_levels=())
    assert not any(p.failed for p in report.results)
    assert [p.level for p in report.results] == [0.05, 0.10, 0.20]


def test_robustness_subsamples_and_is_seeded(diabetes):
    model, X, y = diabetes
    a = E.robustness(model, X, y, "regression", max_rows=100, seed=1)
    b = E.robustness(model, X, y, "regression", max_rows=100, seed=1)
    assert a == b and a.n_rows == 100
    assert E.RobustnessReport.from_dict(json.loads(json.dumps(a.to_dict()))) == a


# --------------------------------------------------------------------------- drivers


def test_importance_ranks_planted_feature_first_and_pd_direction(churn):
    model, X, y = churn
    report = E.drivers(model, X, y, "classification", n_repeats=3, positive_label="yes")
    assert report.importances[0].column == "tenure"
    assert report.of_class == "yes"
    pd_tenure = report.partial_dependence[0]
    assert pd_tenure.column == "tenure" and pd_tenure.direction == "down"
    assert pd_tenure.sentence.startswith("Higher 'tenure' lowers the chance of 'churn' = 'yes'")
    plan = next((p for p in report.partial_dependence if p.column == "plan"), None)
    if plan is not None:
        assert plan.kind == "category" and "'basic'" in plan.sentence
    assert report.sentences[0].startswith("It leans most on 'tenure'")
    assert E.DriverReport.from_dict(json.loads(json.dumps(report.to_dict()))) == report


def test_regression_pd_direction_up_down_and_mixed():
    rng = np.random.default_rng(0)
    n = 1500
    X = pd.DataFrame({"up": rng.uniform(-3, 3, n), "down": rng.uniform(-3, 3, n), "wave": rng.uniform(-3, 3, n)})
    y = pd.Series(3 * X["up"] - 2 * X["down"] + 4 * np.sin(2 * X["wave"]) + rng.normal(0, 0.2, n), name="sales")
    model = RandomForestRegressor(n_estimators=30, min_samples_leaf=5, random_state=0, n_jobs=1).fit(X[:1000], y[:1000])
    report = E.drivers(model, X[1000:], y[1000:], "regression", n_repeats=3)
    directions = {p.column: p.direction for p in report.partial_dependence}
    assert directions == {"up": "up", "down": "down", "wave": "mixed"}
    sentences = {p.column: p.sentence for p in report.partial_dependence}
    assert sentences["down"].startswith("Higher 'down' lowers the predicted 'sales'")
    assert "no clear direction" in sentences["wave"]


@pytest.mark.parametrize("dtype", ["int64", "Int64"])
def test_drivers_of_a_whole_number_column_whose_grid_falls_between_whole_numbers(dtype):
    # ages 18-80: the grid's quantiles (34.5, ...) cannot be held by an integer column. This crashed
    # training on about a third of 190 real R datasets (pandas 3 refuses a lossy float -> int cast)
    rng = np.random.default_rng(4)
    X = pd.DataFrame({"age": rng.integers(18, 81, 800), "noise": rng.normal(0, 1, 800)})
    X["age"] = X["age"].astype(dtype)
    y = pd.Series(2 * X["age"].astype(float) + rng.normal(0, 1, 800), name="spend")
    model = RandomForestRegressor(n_estimators=20, random_state=0, n_jobs=1).fit(X[:600], y[:600])
    report = E.drivers(model, X[600:], y[600:], "regression", n_repeats=2)
    age = next(p for p in report.partial_dependence if p.column == "age")
    assert age.direction == "up" and any(float(v) != round(float(v)) for v in age.grid)


def test_linear_model_drivers_ignore_noise_column():
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"strong": rng.normal(0, 1, 600), "useless": rng.normal(0, 1, 600)})
    y = pd.Series(5 * X["strong"] + rng.normal(0, 0.1, 600))
    report = E.drivers(LinearRegression().fit(X, y), X, y, "regression", n_repeats=3)
    assert [i.column for i in report.importances] == ["strong", "useless"]
    assert report.importances[1].drop < 0.05 * report.importances[0].drop


# --------------------------------------------------------------------------- everything


def test_full_report_round_trips_and_is_fast_enough(churn):
    model, X, y = churn
    report = E.full_report(model, X, y, "classification", costs=(1, 5), unit="€", sensitive_column="region", n_boot=N_BOOT, row_noun="customers")
    assert report.threshold is not None and report.fairness is not None
    text = json.dumps(report.to_dict(), allow_nan=False)
    assert len(text) < 400_000
    assert E.Report.from_dict(json.loads(text)) == report


def test_labels_read_back_as_text_still_match(cancer):
    model, X, y = cancer
    as_text = E.evaluate(model, X, y.astype(str), "classification", n_boot=0)
    assert as_text.metrics == E.evaluate(model, X, y, "classification", n_boot=0).metrics


def test_permutation_importance_agrees_with_sklearn(churn):
    from sklearn.inspection import permutation_importance

    model, X, y = churn
    ours = E.drivers(model, X, y, "classification", n_repeats=5, top=0)
    theirs = permutation_importance(model, X, y, scoring="accuracy", n_repeats=5, random_state=0)
    ranked = [X.columns[i] for i in np.argsort(-theirs.importances_mean)]
    assert [i.column for i in ours.importances][:2] == ranked[:2]
    tenure = next(i for i in ours.importances if i.column == "tenure")
    assert tenure.drop == pytest.approx(theirs.importances_mean[0], abs=0.02)


def test_ranking_metrics_handle_tied_scores_like_sklearn():
    rng = np.random.default_rng(4)
    X = pd.DataFrame({"x": rng.integers(0, 4, 400).astype(float)})  # only 4 distinct scores: many ties
    y = pd.Series((rng.random(400) < 0.2 + 0.2 * X["x"]).astype(int))
    model = LogisticRegression().fit(X, y)
    ev = E.evaluate(model, X, y, "classification", n_boot=N_BOOT)
    p = model.predict_proba(X)[:, 1]
    assert ev.metrics["roc_auc"] == pytest.approx(skm.roc_auc_score(y, p))
    assert ev.metrics["pr_auc"] == pytest.approx(skm.average_precision_score(y, p))
    lo, hi = ev.intervals["pr_auc"]
    assert lo < ev.metrics["pr_auc"] < hi


def test_calibrated_model_survives_pickling():
    import pickle

    model, X, y = _wine_model_and_data()
    wrapped = E.recalibrate(model, X, y, "sigmoid").model
    again = pickle.loads(pickle.dumps(wrapped))
    assert np.allclose(again.predict_proba(X), wrapped.predict_proba(X))
    assert list(again.predict(X[:5])) == list(wrapped.predict(X[:5]))


def test_few_valued_numeric_column_gets_short_labels(diabetes):
    model, X, y = diabetes
    report = E.slices(model, X, y, "regression", columns=["sex"], n_boot=20)
    assert sorted(s.label for s in report.slices) == sorted(f"{v:.4g}" for v in X["sex"].unique())


def test_ece_metric_is_top_answer_calibration(cancer):
    model, X, y = cancer
    ev = E.evaluate(model, X, y, "classification", n_boot=0)
    proba = model.predict_proba(X)
    conf = proba.max(axis=1)
    correct = (proba.argmax(axis=1) == y.to_numpy()).astype(float)
    which = np.clip(np.digitize(conf, np.linspace(0, 1, 11)[1:-1], right=True), 0, 9)
    expected = sum(abs(correct[which == b].mean() - conf[which == b].mean()) * (which == b).mean() for b in range(10) if (which == b).any())
    assert ev.metrics["ece"] == pytest.approx(expected)
    assert ev.calibration.kind == "positive_class"  # the diagram is about the chance of '1'


def test_columns_the_model_does_not_read_are_left_out_of_drivers_and_robustness(churn):
    model, X, y = churn
    X = X.assign(customer_id=[f"C{i:05d}" for i in range(len(X))])

    class Named:  # a fitted model that says which columns it reads, like KeelModel.feature_names
        feature_names = ["tenure", "noise", "plan", "region"]
        classes_ = model.classes_
        predict = staticmethod(lambda f: model.predict(f[Named.feature_names]))
        predict_proba = staticmethod(lambda f: model.predict_proba(f[Named.feature_names]))

    drivers = E.drivers(Named(), X, y, "classification", n_repeats=2)
    assert "customer_id" not in {i.column for i in drivers.importances}
    assert "customer_id" not in E.robustness(Named(), X, y, "classification").categorical_columns


def test_permutation_importance_prepares_a_keel_model_table_once_with_the_same_answer():
    # the shortcut (shuffle the model's prepared inputs) must give exactly what shuffling the column
    # gives; a date column becomes several inputs, shuffled together
    from core.models.train import train

    rng = np.random.default_rng(8)
    n = 400
    frame = pd.DataFrame({"day": pd.date_range("2023-01-01", periods=n, freq="D"), "plan": rng.choice(["a", "b", "c"], n),
                          "x": rng.normal(0, 1, n)})
    frame["spend"] = 3 * frame["x"] + (frame["plan"] == "b") * 2 + frame["day"].dt.day_of_week + rng.normal(0, 0.5, n)
    model = train(frame, "spend", candidates=("hist_gradient_boosting",), findings=[]).model
    assert model.scores_prepared

    class Plain:  # the same model seen only through predict(): the generic path
        feature_names = model.feature_names
        predict = staticmethod(model.predict)

    fast = E.permutation_importance(model, frame.drop(columns="spend"), frame["spend"], "regression", 3, 0)
    slow = E.permutation_importance(Plain(), frame.drop(columns="spend"), frame["spend"], "regression", 3, 0)
    assert [(i.column, round(i.drop, 9)) for i in fast] == [(i.column, round(i.drop, 9)) for i in slow]
    assert fast[0].column == "x"


def test_a_gap_near_zero_reads_plus_zero_not_minus_zero():
    from types import SimpleNamespace

    from core.models.evaluate import Gap, explain_gap

    ev = SimpleNamespace(gap=Gap("accuracy", np.float64(0.021), np.float64(-0.003), np.float64(0.049), ""),
                         baseline_name="always guessing the most common answer", cutoff=None)
    text = explain_gap(ev)
    assert "(+2 percentage points, likely between +0 and +5 percentage points)" in text and "-0" not in text

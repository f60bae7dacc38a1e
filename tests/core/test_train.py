"""Training: task detection, column choice, validation wording, honest scores, reproducibility."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from core.data.quality import Finding
from core.errors import InputError
from core.models.train import (
    CLASSIFICATION_METRICS,
    REGRESSION_METRICS,
    classification_metrics,
    detect_task,
    select_features,
    suggest_split,
    train,
)

FAST = 20  # seconds of time budget: plenty for these small tables
LINEAR = ("logistic_regression",)  # one real candidate keeps tests that need no comparison quick


def make_churn(n: int = 300, seed: int = 0, minority: float | None = None) -> pd.DataFrame:
    """A small customer table with the usual traps: an ID, an email, a date, a copy of the target."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "customer_id": [f"C{i:05d}" for i in range(n)],
            "age": rng.integers(18, 80, n).astype(float),
            "plan": rng.choice(["basic", "pro", "max"], n),
            "email": [f"user{i}@example.com" for i in range(n)],
            "signup": pd.date_range("2021-01-01", periods=n, freq="D"),
            "spend": rng.normal(50, 10, n),
            "country": "NL",
        }
    )
    score = 0.06 * (frame["age"] - 50) + (frame["plan"] == "pro") * 1.2 + rng.normal(0, 1, n)
    cut = np.quantile(score, 1 - minority) if minority else 0.3
    frame["churn"] = np.where(score > cut, "yes", "no")
    frame["cancel_code"] = np.where(frame["churn"] == "yes", "CX", "OK")  # filled in after the fact
    return frame


@pytest.fixture(scope="module")
def cancer_result():
    frame = load_breast_cancer(as_frame=True).frame
    return frame, train(frame, "target", time_budget_s=FAST, seed=0)


# --------------------------------------------------------------------------- task detection


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param(["yes", "no"] * 20, "classification", id="text"),
        pytest.param([True, False] * 20, "classification", id="booleans"),
        pytest.param([0, 1] * 20, "classification", id="two-numbers"),
        pytest.param([1, 2, 3, 4, 5] * 40, "classification", id="rating-1-to-5-many-rows"),
        pytest.param([1, 2, 3, 4, 5] * 4, "regression", id="few-distinct-ints-few-rows"),
        pytest.param(list(range(200)), "regression", id="many-ints"),
        pytest.param(list(np.linspace(0, 1, 50)), "regression", id="floats"),
    ],
)
def test_detect_task(values, expected):
    assert detect_task(pd.Series(values)) == expected


def test_detect_task_ignores_missing_values():
    assert detect_task(pd.Series(["a", None, "b"] * 10)) == "classification"


# --------------------------------------------------------------------------- column choice


def test_risky_columns_are_left_out_with_plain_reasons():
    frame = make_churn()
    frame["notes"] = [f"Customer called on day {i} and asked about the invoice twice" for i in range(len(frame))]
    plan = select_features(frame, "churn", [Finding("pii", "warning", "email", "emails", "mask them")])
    codes = {x.column: x.code for x in plan.left_out}
    assert codes == {
        "customer_id": "id_like",
        "email": "pii",
        "country": "constant",
        "cancel_code": "target_leakage",
        "notes": "text",
    }
    assert plan.used == ("age", "plan", "signup", "spend")
    assert plan.kinds["signup"] == "datetime" and plan.kinds["plan"] == "categorical"
    assert "'churn'" in plan.reason_for("cancel_code")
    assert "ID" in plan.reason_for("customer_id")
    assert any("year, month and day of the week" in n for n in plan.notes)


def test_findings_from_the_quality_checks_are_honoured():
    frame = make_churn()
    plan = select_features(frame, "churn", [Finding("target_leakage", "critical", "spend", "m", "a")])
    assert "spend" not in plan.used
    assert plan.reason_for("spend").startswith("may give away the answer")


def test_weak_leakage_evidence_keeps_the_column_with_a_note():
    plan = select_features(make_churn(), "churn", [Finding("target_leakage", "warning", "spend", "m", "a")])
    assert "spend" in plan.used and [x.column for x in plan.watch] == ["spend"]
    assert "'spend' is used, but it predicts 'churn' suspiciously well on its own" in plan.notes[-1]


def test_include_puts_a_column_back_and_remembers_why_it_was_out():
    plan = select_features(make_churn(), "churn", [], include=["cancel_code"], exclude=["spend"])
    assert "cancel_code" in plan.used and "spend" not in plan.used
    assert [x.column for x in plan.put_back] == ["cancel_code"]
    assert {x.column: x.reason for x in plan.left_out}["spend"] == "left out by you"


def test_include_and_exclude_the_same_column_is_refused():
    with pytest.raises(InputError, match="'age' is both included and excluded"):
        select_features(make_churn(), "churn", [], include=["age"], exclude=["age"])


def test_unknown_column_in_include_is_refused():
    with pytest.raises(InputError, match=r"no column named 'agee' \(in 'include'\)") as err:
        select_features(make_churn(), "churn", [], include=["agee"])
    assert "exactly as in the table" in err.value.hint


def test_leaky_column_put_back_gives_a_too_good_to_be_true_warning():
    frame = make_churn()
    honest = train(frame, "churn", time_budget_s=FAST, candidates=LINEAR)
    assert "cancel_code" not in honest.feature_plan.used
    assert not any("too good to be true" in w for w in honest.warnings)
    leaky = train(frame, "churn", include=["cancel_code"], time_budget_s=FAST, candidates=LINEAR)
    assert leaky.holdout_metrics["roc_auc"] > 0.99
    warning = next(w for w in leaky.warnings if "too good to be true" in w)
    assert "'cancel_code'" in warning and "Leave it out and train again" in warning


def test_suggest_split_prefers_time_when_there_is_a_date():
    suggestion = suggest_split(make_churn(), "churn")
    assert suggestion.split == "time" and suggestion.date_column == "signup"
    assert suggest_split(make_churn().drop(columns=["signup"]), "churn").split == "random"


# --------------------------------------------------------------------------- validation


def _tiny(n: int = 30) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    return pd.DataFrame({"x": rng.normal(size=n), "y": ["a", "b"] * (n // 2)})


@pytest.mark.parametrize(
    ("frame", "target", "kwargs", "message", "hint"),
    [
        pytest.param(_tiny(), "Y", {}, "The table has no column named 'Y' to predict.", "Did you mean 'y'?",
                     id="target-not-in-table"),
        pytest.param(_tiny().assign(y=None), "y", {}, "The target column 'y' is empty: every value is missing.",
                     "Choose a column that holds the answer", id="target-all-missing"),
        pytest.param(_tiny().assign(y="a"), "y", {}, "Every row has the same value in 'y' ('a'), so there is "
                     "nothing to learn.", "at least two different outcomes", id="one-class"),
        pytest.param(_tiny(12), "y", {}, "Only 12 rows have a value in 'y'; Keel needs at least 20",
                     "Add more rows", id="too-few-rows"),
        pytest.param(_tiny().assign(y=["a"] * 29 + ["b"]), "y", {}, "The value 'b' of 'y' appears in only one row",
                     "merge it with a similar outcome", id="class-with-one-row"),
        pytest.param(_tiny().assign(y=["a"] * 26 + ["b", "c", "d", "e"]), "y", {},
                     "The values 'b', 'c', 'd', 'e' of 'y' each appear in only one row", "merge them with",
                     id="classes-with-one-row"),
        pytest.param(_tiny().assign(y=[f"job {i}" for i in range(30)]), "y", {},
                     "'y' has 30 different values in 30 rows, most of them in one row only: it looks like a name "
                     "or an ID", "Choose the column that holds the outcome", id="names-as-target"),
        pytest.param(_tiny().assign(y=[1, 2] * 13 + [3, 4, 5, 6]), "y", {"task": "classification"},
                     "The values '3', '4', '5', '6' of 'y' each appear in only one row",
                     "If it is an amount or a count, choose 'regression'", id="whole-numbers-with-one-row-each"),
        pytest.param(pd.DataFrame({"date": pd.date_range("1971-04-01", periods=89, freq="QS"),
                                   "value": 13067.3 + 60.0 * np.arange(89)}), "value", {},
                     "No columns are left to learn from", "This table is a time series ('date' and 'value'): "
                     "to predict the next values, forecast it", id="time-series-to-train"),
        pytest.param(_tiny(), "y", {"exclude": ["x"]}, "No columns are left to learn from: 'x' left out by you.",
                     "Put back at least one column", id="every-column-excluded"),
        pytest.param(_tiny().assign(y=["a", "b", "c"] * 10), "y", {"task": "regression"},
                     "'y' holds 30 values that are not numbers (first: 'a')", "Choose 'classification'",
                     id="text-target-as-regression"),
        pytest.param(_tiny(), "y", {"split": "sideways"}, "'sideways' is not a way to split the data.",
                     "Use 'auto', 'random' or 'time'.", id="unknown-split"),
    ],
)
def test_validation_errors_say_what_and_what_next(frame, target, kwargs, message, hint):
    with pytest.raises(InputError) as err:
        train(frame, target, time_budget_s=FAST, candidates=LINEAR, **kwargs)
    assert message in err.value.message
    assert hint in err.value.hint


def test_a_few_stray_answers_seen_once_are_left_out_with_a_warning_not_refused():
    # a survey's 'housing': four real answers and 15 typed-in ones, each once, in 1 % of rows
    frame = make_churn(1500)
    frame["churn"] = frame["churn"].astype(str)
    frame.loc[:14, "churn"] = [f"own words {i}" for i in range(15)]
    result = train(frame, "churn", time_budget_s=FAST, candidates=LINEAR)
    assert result.split.train_rows + result.split.test_rows == 1485
    assert any(w.startswith("15 rows whose 'churn' appears only once ('own words 0'") for w in result.warnings)
    assert len(result.classes) == 2


def test_rows_without_a_target_are_dropped_and_noted():
    frame = make_churn(200)
    frame.loc[:9, "churn"] = None
    result = train(frame, "churn", time_budget_s=FAST, candidates=LINEAR)
    assert result.dropped_rows == 10
    assert "10 rows have no value in 'churn' and were left out." in result.notes
    assert result.split.train_rows + result.split.test_rows == 190


# --------------------------------------------------------------------------- honest scores


def test_breast_cancer_matches_a_hand_tuned_pipeline_on_the_same_split(cancer_result):
    frame, result = cancer_result
    X, y = frame.drop(columns=["target"]), frame["target"]
    train_rows = X.index.difference(result.X_test.index)
    hand = GridSearchCV(make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000)),
                        {"logisticregression__C": [0.1, 1, 10]}, scoring="roc_auc", cv=3)
    hand.fit(X.loc[train_rows], y.loc[train_rows])
    hand_auc = roc_auc_score(result.y_test, hand.predict_proba(result.X_test)[:, 1])
    assert result.primary_metric == "roc_auc"
    assert result.holdout_metrics["roc_auc"] == pytest.approx(hand_auc, abs=0.02)
    assert result.holdout_metrics["roc_auc"] > 0.97
    assert result.baseline_metrics["roc_auc"] == pytest.approx(0.5)


def test_leaderboard_rows_are_complete(cancer_result):
    _, result = cancer_result
    names = [r.algorithm for r in result.leaderboard]
    assert names == ["baseline", "logistic_regression", "hist_gradient_boosting", "random_forest"]
    for row in result.leaderboard:
        assert set(row.metrics) == set(CLASSIFICATION_METRICS) == set(row.cv_std)
        assert row.fit_seconds > 0 and row.predict_ms_per_1000 > 0 and row.size_bytes > 500
    chosen = [r for r in result.leaderboard if r.note.startswith("chosen")]
    assert len(chosen) == 1 and chosen[0].algorithm == result.algorithm != "baseline"
    assert set(result.holdout_metrics) == set(CLASSIFICATION_METRICS)
    assert result.split.kind == "random" and result.split.test_rows == len(result.X_test) == 114
    assert "target" not in result.X_test.columns
    assert result.classes == (0, 1)


def test_multiclass_uses_balanced_accuracy_and_macro_auc():
    frame = load_wine(as_frame=True).frame
    result = train(frame, "target", time_budget_s=FAST, candidates=LINEAR)
    assert result.primary_metric == "balanced_accuracy"
    assert result.holdout_metrics["brier"] is None  # binary only, but the key is there
    assert result.holdout_metrics["roc_auc"] > 0.95
    assert result.holdout_metrics["balanced_accuracy"] > result.baseline_metrics["balanced_accuracy"] + 0.4
    assert result.model.predict_proba(result.X_test).shape == (len(result.X_test), 3)


def test_regression_beats_the_baseline_on_diabetes():
    frame = load_diabetes(as_frame=True).frame
    result = train(frame, "target", time_budget_s=FAST, candidates=("ridge",))
    assert result.task == "regression" and result.primary_metric == "r2"
    assert set(result.holdout_metrics) == set(REGRESSION_METRICS)
    assert result.holdout_metrics["r2"] > 0.25
    assert result.holdout_metrics["mae"] < result.baseline_metrics["mae"]
    assert result.classes == ()


def test_same_seed_gives_the_same_result_and_another_seed_a_different_split():
    frame = make_churn(200)
    both = ("logistic_regression", "random_forest")
    first = train(frame, "churn", time_budget_s=FAST, seed=3, candidates=both)
    again = train(frame, "churn", time_budget_s=FAST, seed=3, candidates=both)
    other = train(frame, "churn", time_budget_s=FAST, seed=4, candidates=LINEAR)
    assert first.holdout_metrics == again.holdout_metrics
    assert [r.metrics for r in first.leaderboard] == [r.metrics for r in again.leaderboard]
    assert list(first.X_test.index) == list(again.X_test.index) != list(other.X_test.index)


def test_imbalanced_target_warns_about_accuracy_and_weighs_classes():
    frame = make_churn(400, minority=0.1)
    result = train(frame, "churn", time_budget_s=FAST, candidates=LINEAR)
    warning = next(w for w in result.warnings if w.startswith("Accuracy"))
    assert "is what always answering 'no' would get: look at balanced accuracy instead" in warning
    assert any("'yes' is rare (10% of rows)" in n for n in result.notes)
    model = result.model.pipeline.named_steps["model"]
    assert model.class_weight == "balanced"
    # the dummy on the same hold-out is ~90% accurate but no better than chance on balance
    assert result.baseline_metrics["accuracy"] == pytest.approx(0.9, abs=0.02)
    assert result.baseline_metrics["balanced_accuracy"] == pytest.approx(0.5)


def test_time_split_tests_on_the_latest_rows():
    frame = make_churn(250)
    result = train(frame, "churn", split="time", date_column="signup", time_budget_s=FAST, candidates=LINEAR)
    assert result.split.kind == "time" and result.split.date_column == "signup"
    train_dates = frame.loc[frame.index.difference(result.X_test.index), "signup"]
    assert result.X_test["signup"].min() > train_dates.max()
    assert "Time-ordered split on 'signup'" in result.split.description


def test_spent_time_budget_skips_candidates_with_a_note():
    seen: list[tuple[float, str]] = []
    result = train(make_churn(120), "churn", time_budget_s=0, progress=lambda f, t: seen.append((f, t)))
    skipped = [r for r in result.leaderboard if r.note.startswith("skipped")]
    assert len(skipped) == 3 and all(r.metrics["roc_auc"] is None for r in skipped)
    assert result.algorithm == "baseline"
    assert any("Give it more time" in w for w in result.warnings)
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_progress_is_reported_as_candidates_finish():
    seen: list[tuple[float, str]] = []
    train(make_churn(120), "churn", time_budget_s=FAST, progress=lambda f, t: seen.append((f, t)))
    assert [t for _, t in seen if t.startswith("Scored")] == [
        "Scored Baseline (ignores the columns)", "Scored Linear model (logistic regression)",
        "Scored Gradient boosting", "Scored Random forest",
    ]
    assert seen[-1][0] == 1.0 and seen[-1][1].startswith("Done")


def test_missing_values_and_unseen_categories_do_not_break_training_or_scoring():
    frame = make_churn(200)
    frame.loc[::7, "age"] = np.nan
    frame.loc[::5, "plan"] = None
    result = train(frame, "churn", time_budget_s=FAST, candidates=("hist_gradient_boosting",))
    fresh = result.X_test.head(3).assign(plan="brand-new", age=np.nan)
    assert result.model.predict_proba(fresh).shape == (3, 2)


def test_unknown_candidate_is_refused():
    with pytest.raises(InputError, match="'ridge' is not an algorithm Keel offers for classification"):
        train(make_churn(60), "churn", candidates=("ridge",))


def test_classification_metrics_are_none_when_undefined():
    proba = np.array([[0.8, 0.2], [0.7, 0.3]])
    metrics = classification_metrics(["a", "a"], proba, ["a", "b"])
    assert set(metrics) == set(CLASSIFICATION_METRICS)
    assert metrics["roc_auc"] is None and metrics["accuracy"] == 1.0
    assert metrics["brier"] == pytest.approx((0.2**2 + 0.3**2) / 2)



def test_many_outcomes_with_two_rows_each_appear_in_both_parts():
    frame = pd.DataFrame({"x": np.random.default_rng(0).normal(size=22), "y": list("abcdefghijk") * 2})
    result = train(frame, "y", candidates=LINEAR)
    assert set(result.y_test) == set("abcdefghijk")
    assert result.split.test_rows == 11 and result.split.train_rows == 11


def test_time_split_survives_early_folds_with_a_single_outcome():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=80), "when": pd.date_range("2020-01-01", periods=80)})
    frame["y"] = np.where(np.arange(80) < 30, "a", np.where(frame["x"] > 0, "a", "b"))
    result = train(frame, "y", split="time", date_column="when", candidates=LINEAR)
    assert all(row.metrics["balanced_accuracy"] is not None for row in result.leaderboard)
    assert result.algorithm == "logistic_regression"


def _row(name: str, auc: float | None, std: float = 0.01, log_loss: float | None = None, ll_std: float = 0.02):
    from core.models.train import LeaderboardRow

    return LeaderboardRow(
        name, {"roc_auc": auc, "log_loss": log_loss}, {"roc_auc": std, "log_loss": ll_std}, 0.1, 1.0, 1000
    )


@pytest.mark.parametrize(
    ("rows", "expected", "note_start"),
    [
        pytest.param([_row("baseline", 0.5), _row("logistic_regression", 0.850, log_loss=0.40),
                      _row("random_forest", 0.880, log_loss=0.35)],
                     "random_forest", "chosen", id="clear-winner"),
        pytest.param([_row("baseline", 0.5), _row("logistic_regression", 0.8599, log_loss=0.350),
                      _row("random_forest", 0.860, log_loss=0.351)],
                     "logistic_regression", "chosen: as good as Random forest on every main measure (", id="a-true-tie-goes-to-the-simpler-model"),
        pytest.param([_row("baseline", 0.5), _row("hist_gradient_boosting", 0.857, log_loss=1.02),
                      _row("random_forest", 0.860, log_loss=0.63)],
                     "random_forest", "chosen", id="glass-simpler-but-worse-chances-is-not-chosen"),
        pytest.param([_row("baseline", 0.5), _row("logistic_regression", 0.991, log_loss=0.088),
                      _row("random_forest", 0.993, log_loss=0.112)],
                     "logistic_regression", "chosen: ranking quality (ROC AUC) within noise of Random forest, and more "
                     "trustworthy chances (log loss", id="cancer-better-chances-within-noise"),
        pytest.param([_row("baseline", 0.5), _row("logistic_regression", None)], "baseline", "chosen",
                     id="nothing-scored"),
    ],
)
def test_choose_best(rows, expected, note_start):
    from core.models.train import choose_best

    name, note = choose_best(rows, "roc_auc", n_folds=4)  # one standard error = 0.01 / 2 = 0.005
    assert name == expected and note.startswith(note_start)


def test_the_leaderboard_says_why_a_model_was_not_chosen():
    from core.models.choice import trade_off

    gb, rf = _row("hist_gradient_boosting", 0.857, log_loss=1.02), _row("random_forest", 0.860, log_loss=0.63)
    assert trade_off(gb, rf, "roc_auc") == (
        "not chosen: log loss 1.020 against 0.630"
    )
    assert trade_off(rf, rf, "roc_auc") == ""


def test_regression_copy_of_the_target_is_left_out_and_warned_about_when_put_back():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"size": rng.uniform(20, 200, 120), "rooms": rng.integers(1, 6, 120).astype(float)})
    frame["price"] = 3 * frame["size"] + 20 * frame["rooms"] + rng.normal(0, 60, 120)
    frame["price_in_k"] = frame["price"] / 1000  # the answer in other units
    plan = select_features(frame, "price", [])
    assert {x.column: x.code for x in plan.left_out} == {"price_in_k": "target_leakage"}
    result = train(frame, "price", include=["price_in_k"], candidates=("ridge",), findings=[])
    assert result.holdout_metrics["r2"] > 0.99
    assert any(w.startswith("Share of ups and downs explained (R²) of ") and "%" in w.split(" is too good")[0]
               and "is too good to be true: the model uses 'price_in_k'" in w for w in result.warnings)


@pytest.mark.parametrize(
    ("name", "is_id"),
    [("customer_id", True), ("CustomerId", True), ("order no", True), ("ID", True), ("invoice nr", True),
     ("casino", False), ("paid", False), ("valid", False), ("monkey", False)],
)
def test_unique_whole_numbers_are_an_id_only_when_named_or_sequential_like_one(name, is_id):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({name: rng.permutation(np.arange(1000, 1000 + 60) * 7), "y": ["a", "b"] * 30})
    plan = select_features(frame, "y", [])
    assert (name not in plan.used) is is_id
    sequential = pd.DataFrame({"n": np.arange(60), "y": ["a", "b"] * 30})
    assert select_features(sequential, "y", []).left_out[0].code == "id_like"


@pytest.mark.parametrize(("name", "values"), [("Year", np.arange(1950, 1974)), ("time", np.arange(1989, 2009)),
                                             ("year", np.arange(63, 93))])
def test_one_row_per_year_is_a_trend_not_an_id(name, values):
    # robustbase/telef and fpp2/elecsales: the year was the only column, and training refused the table
    calls = np.linspace(10, 50, values.size) + np.random.default_rng(1).normal(0, 8, values.size)
    frame = pd.DataFrame({name: values, "calls": calls})
    plan = select_features(frame, "calls", [])
    assert list(plan.used) == [name]
    later = pd.DataFrame({"row": np.arange(1001, 1301), "y": ["a", "b"] * 150})  # 300 consecutive numbers: an ID
    assert select_features(later, "y", []).left_out[0].code == "id_like"


def test_a_model_that_does_worse_than_the_baseline_on_the_test_rows_is_flagged():
    # heplots/TIPI: one typing slip (age 5555) in a small table; the chosen linear model scored
    # R² -10.8 on the test rows against the baseline's 0.00, and nothing said so
    rng = np.random.default_rng(2)
    n = 120
    frame = pd.DataFrame({"age": rng.integers(18, 70, n).astype(float), "noise": rng.normal(0, 1, n)})
    frame["familysize"] = 1 + 0.03 * frame["age"] + rng.normal(0, 1, n)
    result = train(frame, "familysize", task="regression", candidates=("ridge",), findings=[], seed=0)
    test = result.X_test.index
    frame.loc[test[0], "age"] = 5555.0  # the slip lands in the test rows only
    result = train(frame, "familysize", task="regression", candidates=("ridge",), findings=[], seed=0)
    assert result.holdout_metrics["r2"] < result.baseline_metrics["r2"] - 0.02
    assert any(w.startswith("On the test rows the model did worse than the baseline") for w in result.warnings)

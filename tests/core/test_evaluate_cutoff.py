"""A yes/no model's chosen cut-off in its evaluation: the headline figures, the confusion and the groups are
measured the way its predictions answer (issue 16), and group comparisons use only the columns it learned from."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from core import store
from core.errors import InputError
from core.models import evaluate as E
from core.models import load_registered, predict_frame, register
from core.models.train import train

N_BOOT = 40


def _customers(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "tenure": rng.uniform(0, 60, n),
            "plan": rng.choice(["basic", "plus", "pro"], n),
            "region": rng.choice(["North", "South", "East", "West"], n),
        }
    )
    logit = 1.2 - 0.08 * frame["tenure"] + np.where(frame["plan"] == "basic", 0.8, 0.0)
    frame["churned"] = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    frame["customer"] = [f"C{i:05d}, {rng.choice(['Ann', 'Bob', 'Cy'])}" for i in range(n)]
    return frame


@pytest.fixture(scope="module")
def churn():
    result = train(_customers(1600, 3), "churned", candidates=["logistic_regression"], seed=0)
    assert "customer" not in result.model.feature_names  # left out as an identifier
    return result


def test_the_figures_follow_the_chosen_cut_off_as_predictions_do(churn) -> None:
    model, X, y = churn.model, churn.X_test, churn.y_test
    plain = E.evaluate(model, X, y, "classification", n_boot=N_BOOT)
    cut = E.evaluate(model, X, y, "classification", n_boot=N_BOOT, cutoff=0.2)
    answers = predict_frame(X, model, cutoff=0.2)["prediction"]  # what `predict` writes for this cut-off
    assert cut.cutoff == 0.2 and plain.cutoff is None
    assert cut.metrics["accuracy"] == pytest.approx(skm.accuracy_score(y, answers))
    assert cut.metrics["balanced_accuracy"] == pytest.approx(skm.balanced_accuracy_score(y, answers))
    assert cut.metrics["f1_macro"] == pytest.approx(skm.f1_score(y, answers, average="macro"))
    assert cut.confusion == tuple(map(tuple, skm.confusion_matrix(y, answers, labels=list(model.classes_))))
    assert cut.confusion != plain.confusion and abs(cut.metrics["accuracy"] - plain.metrics["accuracy"]) > 0.02
    yes = {c.label: c for c in cut.per_class}["yes"]
    assert yes.recall == pytest.approx(skm.recall_score(y, answers, pos_label="yes"))
    for key in ("roc_auc", "pr_auc", "log_loss", "brier", "ece"):  # measures of the chances: no cut-off in them
        assert cut.metrics[key] == pytest.approx(plain.metrics[key]), key
    assert E.Evaluation.from_dict(cut.to_dict()) == cut


def test_a_registered_model_is_measured_at_the_cut_off_stored_with_it(churn) -> None:
    info = register(churn, name="churn", dataset_id=None)
    store.set_threshold(info.id, 0.2, reason="test")
    _, model = load_registered(info.id)
    X, y = churn.X_test, churn.y_test
    stored = E.evaluate(model, X, y, "classification", n_boot=N_BOOT)
    groups = E.slices(model, X, y, "classification", n_boot=N_BOOT)
    assert stored.cutoff == 0.2
    assert stored.metrics["accuracy"] == pytest.approx(skm.accuracy_score(y, predict_frame(X, model)["prediction"]))
    assert stored.metrics["accuracy"] != pytest.approx(skm.accuracy_score(y, model.predict(X)))
    assert groups.cutoff == 0.2 and groups.overall == pytest.approx(stored.metrics["accuracy"])


def test_at_cutoff_remeasures_the_stored_report_and_says_which_cut_off(churn) -> None:
    model, X, y = churn.model, churn.X_test, churn.y_test
    report = E.full_report(model, X, y, "classification", n_boot=N_BOOT)
    assert E.at_cutoff(report, model, X, y) is report  # no cut-off: the report as it was
    assert E.explain_cutoff(report.evaluation) == (
        "These figures count the answer the model finds likelier: 'churned' (yes) when it gives it a chance of 50% or "
        "more (no cut-off chosen)."
    )
    moved = E.at_cutoff(report, model, X, y, cutoff=0.25, n_boot=N_BOOT)
    assert moved.evaluation.cutoff == 0.25 and moved.slices is not None and moved.slices.cutoff == 0.25
    assert moved.slices.overall == pytest.approx(moved.evaluation.metrics["accuracy"])
    assert moved.slices.overall != pytest.approx(report.slices.overall)
    assert moved.evaluation.metrics["roc_auc"] == pytest.approx(report.evaluation.metrics["roc_auc"])
    assert moved.drivers == report.drivers and moved.robustness == report.robustness
    assert E.explain_cutoff(moved.evaluation) == (
        "These figures use your cut-off: the model answers 'churned' (yes) when it gives it a chance of at least 25%, as "
        "its predictions do."
    )
    assert "37.5%" in E.explain_cutoff(E.at_cutoff(report, model, X, y, cutoff=0.375, n_boot=N_BOOT).evaluation)
    assert E.Report.from_dict(moved.to_dict()) == moved


def test_a_cut_off_is_for_yes_no_models_only() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=600), "z": rng.normal(size=600)})
    frame["kind"] = np.select([frame["x"] < -0.5, frame["x"] > 0.5], ["low", "high"], "mid")
    result = train(frame, "kind", candidates=["logistic_regression"], seed=0)
    ev = E.evaluate(result.model, result.X_test, result.y_test, "classification", n_boot=N_BOOT, cutoff=0.3)
    assert ev.cutoff is None and E.explain_cutoff(ev) == ""


def test_fairness_follows_the_cut_off(churn) -> None:
    model, X, y = churn.model, churn.X_test, churn.y_test
    plain = E.fairness(model, X, y, "plan")
    low = E.fairness(model, X, y, "plan", cutoff=0.2)
    flagged = {g.group: g.positive_rate for g in low.groups}
    assert all(flagged[g.group] > g.positive_rate for g in plain.groups)  # a lower cut-off flags more
    basic = (X["plan"] == "basic").to_numpy()
    answers = predict_frame(X, model, cutoff=0.2)["prediction"].to_numpy()
    assert flagged["basic"] == pytest.approx(np.mean(answers[basic] == "yes"))


def test_group_comparisons_use_only_the_columns_the_model_learned_from(churn) -> None:
    model, X, y = churn.model, churn.X_test, churn.y_test
    assert "customer" in X.columns  # the test rows still hold it
    with pytest.raises(InputError) as caught:
        E.fairness(model, X, y, "customer")
    assert caught.value.message == "The model was trained without 'customer', so its groups are not compared."
    assert caught.value.hint == "Pick one of the columns the model learned from: 'tenure', 'plan', 'region'."
    assert {g.column for g in E.slices(model, X, y, "classification", n_boot=N_BOOT).slices} <= {"tenure", "plan", "region"}


def test_at_a_cut_off_fewer_right_answers_are_the_price_named_not_a_verdict_on_the_model(churn) -> None:
    model, X, y = churn.model, churn.X_test, churn.y_test
    low = E.evaluate(model, X, y, "classification", n_boot=N_BOOT, cutoff=0.1)
    assert low.gap.high < 0  # far more 'yes' answers: right less often than always guessing 'no'
    assert low.gap.sentence.startswith("At your cut-off it is not right more often than always guessing the most common answer (")
    assert low.gap.sentence.endswith(
        "it answers 'churned' more often, catching more of them at the price of more false alarms. Whether that "
        "pays depends on what each mistake costs ('Yes/no cut-off')."
    )
    assert "do not use it" not in low.gap.sentence and "learned little" not in low.gap.sentence
    high = E.evaluate(model, X, y, "classification", n_boot=N_BOOT, cutoff=0.9)
    assert "less often, with fewer false alarms at the price of missing more of them" in high.gap.sentence

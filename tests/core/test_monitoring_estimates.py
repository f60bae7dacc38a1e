"""The label-free accuracy estimate, corrected by the model's hold-out; the estimated-drop rule judging the band,
not its middle; and a yes/no model's chosen cut-off used for every answer monitoring scores."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, balanced_accuracy_score

from core import store
from core.monitoring import monitor
from core.monitoring.estimates import HoldOut, MetricEstimate, estimate_performance, given_answers
from core.monitoring.monitor import monitor_model

NOW = dt.datetime(2026, 3, 3, 9, 0, tzinfo=dt.UTC)


def _overconfident(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Chances a model states (0.7 to 0.99 for its answer) while it is right only 75 % of the time."""
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.7, 0.99, n)
    yes = rng.random(n) < 0.5
    proba = np.where(yes[:, None], np.column_stack([1 - p, p]), np.column_stack([p, 1 - p]))
    answer = given_answers(proba)
    truth = np.where(rng.random(n) < 0.75, answer, 1 - answer)
    return proba, truth


def test_the_hold_out_corrects_an_overconfident_model_and_its_band_holds_the_measured_accuracy() -> None:
    hold_proba, hold_truth = _overconfident(800, 1)
    held = 0
    for seed in range(2, 42):
        proba, truth = _overconfident(1500, seed)
        measured = float(np.mean(given_answers(proba) == truth))
        naive = estimate_performance(proba, n_boot=20)["accuracy"]
        est = estimate_performance(proba, n_boot=20, holdout=HoldOut(hold_proba, hold_truth))["accuracy"]
        assert naive.value > 0.83  # the model's word: 84 %
        assert est.value == pytest.approx(0.75, abs=0.03)  # the hold-out's correction
        held += est.low <= measured <= est.high
    assert 33 <= held <= 40  # a 90 % band: 36 of 40 expected


def test_without_a_hold_out_the_band_is_widened_by_the_calibration_error() -> None:
    p = np.random.default_rng(3).uniform(0.55, 0.95, 2000)
    proba = np.column_stack([1 - p, p])
    plain = estimate_performance(proba)["accuracy"]
    wide = estimate_performance(proba, calibration_error=0.04)["accuracy"]
    assert wide.value == plain.value
    assert wide.low == pytest.approx(plain.low - 0.04) and wide.high == pytest.approx(plain.high + 0.04)
    tiny = HoldOut(proba[:10], np.zeros(10, dtype=int))  # too few hold-out rows to fit a curve: same as none
    assert estimate_performance(proba, calibration_error=0.04, holdout=tiny)["accuracy"] == wide


def test_a_cut_off_changes_the_answers_and_the_estimate_follows_them() -> None:
    proba = np.array([[0.8, 0.2], [0.6, 0.4], [0.3, 0.7]])
    assert list(given_answers(proba)) == [0, 0, 1]
    assert list(given_answers(proba, 0.35)) == [0, 1, 1]
    est = estimate_performance(np.repeat(proba, 50, axis=0), cutoff=0.35)["accuracy"]
    assert est.value == pytest.approx((0.8 + 0.4 + 0.7) / 3)


def _perf(estimate: MetricEstimate, reference: float) -> monitor.Performance:
    return monitor.Performance(task="classification", method="cbpe", estimated={"accuracy": estimate}, measured={},
                               reference={"accuracy": reference}, rows=500, rows_labelled=0, explain="")


def _estimated_rule(perf: monitor.Performance) -> monitor.TriggerResult:
    triggers, _ = monitor.evaluate_triggers(drift=None, performance=perf, task="classification", created_at=None,
                                            rows=500, history=[], rules=monitor.DEFAULT_RULES[3:4])
    return triggers[0]


def test_the_estimated_drop_rule_judges_the_band_not_its_middle() -> None:
    # mroz in issue 16: estimated 77.6 %, measured 86.2 %; the band reached past the training figure
    t = _estimated_rule(_perf(MetricEstimate("accuracy", 0.776, 0.70, 0.85), 0.862))
    assert not t.fired and t.action == "none"
    assert t.detail == ("Judging from the model's own confidence, right answers are probably between 70.0% and 85.0% "
                        "on this batch (about 77.6%), against 86.2% when tested after training: the top of that range "
                        "is only 1.2 percentage points below it, less than the 5-point drop that is worth a review, so "
                        "this is no clear drop.")
    low = _estimated_rule(_perf(MetricEstimate("accuracy", 0.74, 0.70, 0.78), 0.862))
    assert low.fired and low.action == "review" and low.value == pytest.approx(0.082)
    assert low.detail.endswith("even the top of that range is 8.2 percentage points lower, more than the 5-point drop "
                               "that is worth a review.")


# --------------------------------------------------------------------------- a chosen cut-off


class _Model:
    """A real fitted logistic regression behind KeelModel's interface."""

    def __init__(self, fitted: LogisticRegression) -> None:
        self.fitted = fitted
        self.task, self.target, self.classes_ = "classification", "bought", tuple(fitted.classes_)
        self.schema = {"target": "bought", "task": "classification",
                       "features": [{"name": "x", "kind": "numeric"}, {"name": "z", "kind": "numeric"}]}

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        return self.fitted.predict_proba(frame[["x", "z"]].to_numpy())

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        return self.fitted.predict(frame[["x", "z"]].to_numpy())


def _rows(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x, z = rng.normal(0, 1, n), rng.normal(0, 1, n)
    yes = rng.random(n) < 1 / (1 + np.exp(-(1.2 * x - 0.8 * z - 1.0)))  # 'yes' is the rarer answer
    return pd.DataFrame({"x": x, "z": z, "bought": np.where(yes, "yes", "no")})


def test_monitoring_scores_a_yes_no_model_with_its_chosen_cut_off() -> None:
    train = _rows(3000, 1)
    model = _Model(LogisticRegression().fit(train[["x", "z"]].to_numpy(), train["bought"]))
    ds = store.save_dataset(train, "train")
    holdout_rows = list(range(2000, 3000))
    info = store.save_model(b"stand-in", name="shop", task="classification", algorithm="logistic_regression",
                            dataset_id=ds.id, target="bought", metrics={"accuracy": 0.8, "balanced_accuracy": 0.7},
                            params={"classes": ["no", "yes"]}, schema=model.schema,
                            report={"holdout_rows": holdout_rows})
    batch = _rows(2000, 2)
    proba = model.predict_proba(batch)
    plain = monitor_model(info, model, batch, labels_column="bought", now=NOW)
    assert plain.performance.measured["accuracy"] == pytest.approx(
        accuracy_score(batch["bought"], np.where(proba[:, 1] >= 0.5, "yes", "no")))

    info = store.set_threshold(info.id, 0.25)
    assert store.get_model(info.id).threshold == 0.25
    cut = monitor_model(info, model, batch, labels_column="bought", now=NOW)
    answers = np.where(proba[:, 1] >= 0.25, "yes", "no")
    measured = cut.performance.measured
    assert measured["accuracy"] == pytest.approx(accuracy_score(batch["bought"], answers))
    assert measured["balanced_accuracy"] == pytest.approx(balanced_accuracy_score(batch["bought"], answers))
    assert measured["balanced_accuracy"] > plain.performance.measured["balanced_accuracy"]  # the cut-off's purpose
    # the training figure it is compared with uses the same cut-off, on the model's hold-out rows
    held = train.iloc[holdout_rows]
    held_answers = np.where(model.predict_proba(held)[:, 1] >= 0.25, "yes", "no")
    assert cut.performance.reference["accuracy"] == pytest.approx(accuracy_score(held["bought"], held_answers))
    assert cut.performance.reference_rows == 1000
    # and so does the label-free estimate: close to what the labels then measured
    est = cut.performance.estimated["accuracy"]
    assert est.low <= measured["accuracy"] <= est.high
    assert abs(est.value - plain.performance.estimated["accuracy"].value) > 0.02


# --------------------------------------------------------------------------- the hit rate moving along the file


def _periods(n: int, seed: int, rates: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """Stated chances of 0.7-0.99 while the share of right answers is ``rates[i]`` in the i-th period of the rows."""
    rng = np.random.default_rng(seed)
    proba, _ = _overconfident(n, seed)
    answer = given_answers(proba)
    rate = np.repeat(rates, -(-n // len(rates)))[:n]
    return proba, np.where(rng.random(n) < rate, answer, 1 - answer)


def test_a_shuffled_hold_out_measures_no_movement_and_keeps_the_band() -> None:
    proba, truth = _overconfident(1200, 5)
    order = np.random.default_rng(6).permutation(1200)
    moved = [HoldOut(proba, truth, np.random.default_rng(s).permutation(1200)).reliability() for s in range(20)]
    assert np.median([r.stretch_variance for r in moved]) < 2e-4  # chance alone: at most about a point's spread
    batch, _ = _overconfident(1500, 7)
    with_order = estimate_performance(batch, n_boot=20, holdout=HoldOut(proba, truth, order))["accuracy"]
    without = estimate_performance(batch, n_boot=20, holdout=HoldOut(proba, truth))["accuracy"]
    assert with_order.value == without.value
    assert (with_order.high - with_order.low) - (without.high - without.low) < 0.03


def test_a_hit_rate_that_moved_from_period_to_period_widens_the_band_so_it_holds_a_later_period() -> None:
    held_with = held_without = 0
    for seed in range(20):
        # the training file, in time order: each of 8 periods (a season, a year) has its own share of right answers
        rates = np.random.default_rng(seed).normal(0.8, 0.06, 9).clip(0.55, 0.98)
        proba, truth = _periods(1600, seed, list(rates[:8]))
        order = np.arange(1600)
        curve = HoldOut(proba, truth, order).reliability()
        assert curve is not None
        later, later_truth = _periods(1000, 100 + seed, [rates[8]])  # the next period
        measured = float(np.mean(given_answers(later) == later_truth))
        est = estimate_performance(later, n_boot=20, holdout=HoldOut(proba, truth, order))["accuracy"]
        old = estimate_performance(later, n_boot=20, holdout=HoldOut(proba, truth))["accuracy"]
        assert est.low <= old.low and est.high >= old.high
        held_with += est.low <= measured <= est.high
        held_without += old.low <= measured <= old.high
    assert held_without <= 4  # without the movement the band is sure to within about 3 points and nearly always misses
    assert held_with >= 16  # a 90 % band: 18 of 20 expected


def test_monitoring_reads_the_hold_out_rows_in_file_order() -> None:
    train = _rows(2000, 3)
    model = _Model(LogisticRegression().fit(train[["x", "z"]].to_numpy(), train["bought"]))
    ds = store.save_dataset(train, "train")
    rows = [1999, 5, 1500, 700]
    info = store.save_model(b"stand-in", name="shop", task="classification", algorithm="logistic_regression",
                            dataset_id=ds.id, target="bought", metrics={"accuracy": 0.8},
                            params={"classes": ["no", "yes"]}, schema=model.schema, report={"holdout_rows": rows})
    held = monitor._holdout(info, monitor._Model.of(info, model), model, store.load_dataset(ds.id))
    assert held is not None and sorted(held.order.tolist()) == sorted(rows)

"""core.models.metrics, Keel's one metric implementation, against scikit-learn's own metric functions.

Each statistic is checked on the rows as they are (``point``) and under bootstrap-like weights (how many
times each row was drawn), where scikit-learn takes the same weights as ``sample_weight``."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from core.models import metrics as M
from core.vocab import CLASSIFICATION_METRICS, REGRESSION_METRICS


def _classification_case(k: int, n: int = 300, seed: int = 0, ties: bool = False):
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(n, k))
    if ties:  # few distinct chances: many tied scores
        logits = np.round(logits)
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    # answers follow the chances, so the metrics are far from trivial
    yc = np.array([rng.choice(k, p=p) for p in proba])
    weights = rng.multinomial(n, np.full(n, 1 / n), size=3).astype(float)  # three bootstrap resamples
    return yc, proba, weights


def _sklearn_classification(yc, proba, w):
    k = proba.shape[1]
    pc = proba.argmax(axis=1)
    out = {
        "accuracy": skm.accuracy_score(yc, pc, sample_weight=w),
        "balanced_accuracy": skm.balanced_accuracy_score(yc, pc, sample_weight=w),
        "f1_macro": skm.f1_score(yc, pc, average="macro", sample_weight=w, zero_division=0),
        "log_loss": skm.log_loss(yc, proba, labels=list(range(k)), sample_weight=w),
    }
    if k == 2:
        out["roc_auc"] = skm.roc_auc_score(yc, proba[:, 1], sample_weight=w)
        out["pr_auc"] = skm.average_precision_score(yc, proba[:, 1], sample_weight=w)
        out["brier"] = skm.brier_score_loss(yc, proba[:, 1], sample_weight=w)
    else:
        out["roc_auc"] = np.mean(
            [skm.roc_auc_score(yc == c, proba[:, c], sample_weight=w) for c in range(k) if (w[yc == c] > 0).any()]
        )
    return out


@pytest.mark.parametrize(
    ("k", "ties"), [(2, False), (2, True), (3, False), (5, True)], ids=["binary", "binary-ties", "three", "five-ties"]
)
def test_classification_statistics_match_sklearn_with_and_without_weights(k, ties):
    yc, proba, weights = _classification_case(k, ties=ties)
    stats = M.classification_stats(yc, proba.argmax(axis=1), proba, k, k - 1)
    for w in (np.ones(len(yc)), *weights):
        expected = _sklearn_classification(yc, proba, w)
        for key, value in expected.items():
            got = float(stats[key](w[None, :])[0])
            assert got == pytest.approx(value, rel=1e-9, abs=1e-12), (key, w.sum())
    assert len(expected) == (7 if k == 2 else 5)  # every metric sklearn has was compared


def test_regression_statistics_match_sklearn_with_and_without_weights():
    rng = np.random.default_rng(3)
    y = rng.normal(10, 3, 400)
    pred = y + rng.normal(0, 1.5, 400)
    stats = M.regression_stats(y, pred)
    for w in (np.ones(400), rng.multinomial(400, np.full(400, 1 / 400)).astype(float)):
        assert float(stats["mae"](w[None, :])[0]) == pytest.approx(skm.mean_absolute_error(y, pred, sample_weight=w))
        assert float(stats["rmse"](w[None, :])[0]) == pytest.approx(
            skm.root_mean_squared_error(y, pred, sample_weight=w)
        )
        assert float(stats["r2"](w[None, :])[0]) == pytest.approx(skm.r2_score(y, pred, sample_weight=w))


def test_ece_is_the_weighted_gap_per_bin_closed_on_the_right():
    conf = np.array([0.7, 0.7, 0.75, 0.8, 0.95, 0.05])
    outcome = np.array([1, 0, 1, 1, 1, 0])
    bins = M.bin_ids(conf)
    assert bins.tolist() == [6, 6, 7, 7, 9, 0]  # 0.7 is in (0.6, 0.7], 0.8 in (0.7, 0.8]
    expected = (abs(1 - 1.4) + abs(2 - 1.55) + abs(1 - 0.95) + abs(0 - 0.05)) / 6
    assert M.point(M.stat_ece(bins, outcome, conf), 6) == pytest.approx(expected)


def test_leaderboard_metrics_use_the_same_statistics():
    yc, proba, _ = _classification_case(2, seed=5)
    labels = np.array(["no", "yes"], dtype=object)
    got = M.classification_metrics(labels[yc], proba, ["no", "yes"])
    assert tuple(got) == CLASSIFICATION_METRICS
    expected = _sklearn_classification(yc, proba, np.ones(len(yc)))
    for key in ("accuracy", "balanced_accuracy", "f1_macro", "roc_auc", "log_loss", "brier"):
        assert got[key] == pytest.approx(expected[key], rel=1e-9), key
    assert got["ece"] == pytest.approx(M.ece_score(labels[yc], proba, ["no", "yes"]))
    reg = M.regression_metrics([1.0, 2.0, 4.0], [1.5, 2.0, 3.0])
    assert tuple(reg) == REGRESSION_METRICS and reg["mae"] == pytest.approx(0.5)


def test_undefined_metrics_are_none():
    one_class = M.classification_metrics(["a", "a"], np.array([[0.8, 0.2], [0.7, 0.3]]), ["a", "b"])
    assert one_class["roc_auc"] is None and one_class["accuracy"] == 1.0
    assert M.classification_metrics([], np.empty((0, 2)), ["a", "b"]) == dict.fromkeys(CLASSIFICATION_METRICS)
    three = M.classification_metrics([0, 1, 2], np.eye(3), [0, 1, 2])
    assert three["brier"] is None and three["roc_auc"] == 1.0
    assert M.regression_metrics([2.0, 2.0], [1.0, 3.0])["r2"] is None  # the truth does not vary

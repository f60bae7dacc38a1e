"""Keel's one implementation of its model metrics (the keys are core.vocab's).

Every metric is written as ``stat(w)``, where ``w`` is a (B, n) matrix of row weights: how many times
each hold-out row was drawn in each of B bootstrap resamples. The metric itself is ``stat`` on one row of
ones (:func:`point`); its bootstrap interval is ``stat`` on many resamples at once
(:mod:`core.models.evaluate.intervals`). With weights, most metrics are one matrix product
(``w @ per-row values``), and the ranking metrics (ROC AUC, average precision) sort the rows once instead
of once per resample. Training's leaderboard (:func:`classification_metrics`,
:func:`regression_metrics`) and the evaluation use these same functions; tests check them against
scikit-learn's own metric functions, with and without weights.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from core.vocab import CLASSIFICATION_METRICS, REGRESSION_METRICS

Stat = Callable[[np.ndarray], np.ndarray]  # (B, n) weights -> (B,) values
EPS = 1e-15  # the smallest chance a log loss takes: one surprise never costs infinity
ECE_BINS = 10


def point(stat: Stat, n: int) -> float | None:
    """The metric on the rows as they are (every weight 1); None when it is not defined."""
    v = float(np.asarray(stat(np.ones((1, n))))[0])
    return v if np.isfinite(v) else None


def safe_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a / b, NaN where b is 0."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(b > 0, a / np.where(b > 0, b, 1), np.nan)


def _onehot(codes: np.ndarray, labels: np.ndarray) -> np.ndarray:
    return (codes[:, None] == labels[None, :]).astype(float)


def stat_mean(values: np.ndarray) -> Stat:
    v = np.asarray(values, dtype=float)
    return lambda w: (w @ v) / w.sum(axis=1)


def stat_balanced_accuracy(yc: np.ndarray, correct: np.ndarray, k: int) -> Stat:
    """The mean recall over the answers that occur (as scikit-learn's balanced_accuracy_score)."""
    Y = _onehot(yc, np.arange(k))
    hits = Y * correct[:, None]

    def stat(w: np.ndarray) -> np.ndarray:
        recall = safe_div(w @ hits, w @ Y)
        if not np.isfinite(recall).any():
            return np.full(len(w), np.nan)
        with np.errstate(invalid="ignore"):
            return np.nanmean(np.where(np.isfinite(recall), recall, np.nan), axis=1)

    return stat


def stat_f1_macro(yc: np.ndarray, pc: np.ndarray, labels: np.ndarray) -> Stat:
    """F1 averaged over the answers that occur or are predicted; 0 for an answer never caught."""
    T, P = _onehot(yc, labels), _onehot(pc, labels)
    TP, FP, FN = T * P, (1 - T) * P, T * (1 - P)

    def stat(w: np.ndarray) -> np.ndarray:
        tp, fp, fn = w @ TP, w @ FP, w @ FN
        denom = 2 * tp + fp + fn
        f1 = np.where(denom > 0, 2 * tp / np.where(denom > 0, denom, 1), 0.0)
        return f1.mean(axis=1)

    return stat


def _groups_sorted(score: np.ndarray, descending: bool) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(-score if descending else score, kind="mergesort")
    s = score[order]
    starts = np.r_[0, np.flatnonzero(np.diff(s) != 0) + 1]
    return order, starts


def stat_auc_binary(pos: np.ndarray, score: np.ndarray) -> Stat:
    """ROC AUC with tied scores given half credit (as scikit-learn), from weighted sums over the rows
    sorted once by score."""
    order, starts = _groups_sorted(np.asarray(score, dtype=float), descending=False)
    p = pos[order].astype(float)

    def stat(w: np.ndarray) -> np.ndarray:
        ws = w[:, order]
        wp = np.add.reduceat(ws * p, starts, axis=1)
        wn = np.add.reduceat(ws * (1 - p), starts, axis=1)
        neg_below = np.cumsum(wn, axis=1) - wn
        num = (wp * (neg_below + 0.5 * wn)).sum(axis=1)
        return safe_div(num, wp.sum(axis=1) * wn.sum(axis=1))

    return stat


def stat_auc_ovr(yc: np.ndarray, proba: np.ndarray) -> Stat:
    """One-vs-rest ROC AUC averaged over the answers that occur (macro)."""
    per_class = [stat_auc_binary(yc == c, proba[:, c]) for c in range(proba.shape[1])]

    def stat(w: np.ndarray) -> np.ndarray:
        aucs = np.vstack([f(w) for f in per_class])
        if not np.isfinite(aucs).any():
            return np.full(len(w), np.nan)
        with np.errstate(invalid="ignore"):
            return np.nanmean(aucs, axis=0)

    return stat


def stat_average_precision(pos: np.ndarray, score: np.ndarray) -> Stat:
    """Average precision as scikit-learn defines it (precision at each distinct threshold, weighted
    by the recall gained there)."""
    order, starts = _groups_sorted(np.asarray(score, dtype=float), descending=True)
    p = pos[order].astype(float)

    def stat(w: np.ndarray) -> np.ndarray:
        ws = w[:, order]
        tp = np.add.reduceat(ws * p, starts, axis=1)
        fp = np.add.reduceat(ws * (1 - p), starts, axis=1)
        TP, FP = np.cumsum(tp, axis=1), np.cumsum(fp, axis=1)
        prec = safe_div(TP, TP + FP)
        return safe_div(np.nansum(tp * prec, axis=1), TP[:, -1])

    return stat


def bin_ids(conf: np.ndarray, n_bins: int = ECE_BINS) -> np.ndarray:
    """Equal-width bins closed on the right: (0.7, 0.8] is one bin, 0 falls in the first."""
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    return np.clip(np.digitize(conf, edges[1:-1], right=True), 0, n_bins - 1)


def stat_ece(bins: np.ndarray, outcome: np.ndarray, conf: np.ndarray, n_bins: int = ECE_BINS) -> Stat:
    """Expected calibration error: per bin, the gap between how often it happened and the stated chance,
    weighted by the bin's share of rows."""
    M = _onehot(bins, np.arange(n_bins)) * (outcome.astype(float) - conf)[:, None]
    return lambda w: np.abs(w @ M).sum(axis=1) / w.sum(axis=1)


def stat_rmse(sq: np.ndarray) -> Stat:
    mean = stat_mean(sq)
    return lambda w: np.sqrt(mean(w))


def stat_r2(y: np.ndarray, sq: np.ndarray) -> Stat:
    """R²; not defined (NaN) when the truth does not vary."""
    yc = y - y.mean()  # centred once for numerical safety
    F = np.column_stack([sq, yc, yc * yc])

    def stat(w: np.ndarray) -> np.ndarray:
        s = w @ F
        n = w.sum(axis=1)
        ss_tot = s[:, 2] - s[:, 1] ** 2 / n
        return 1 - safe_div(s[:, 0], np.where(ss_tot > 1e-12 * np.maximum(s[:, 2], 1e-300), ss_tot, 0))

    return stat


def classification_stats(
    yc: np.ndarray,
    pc: np.ndarray,
    proba: np.ndarray | None,
    k: int,
    pos: int,
    n_bins: int = ECE_BINS,
    *,
    average_precision: bool = True,
) -> dict[str, Stat | None]:
    """Every classification metric as a weighted statistic, keyed as in core.vocab, plus ``pr_auc``.

    ``yc``/``pc`` are the true and predicted answers as codes 0..k-1, ``proba`` the (n, k) chances
    (None when the model gives none), ``pos`` the code of the 'yes' answer of a yes/no model. ``ece`` is
    about the top answer's confidence for every task. ``average_precision=False`` leaves ``pr_auc`` out
    (None), which saves a sort where it is not reported.
    """
    correct = yc == pc
    labels = np.union1d(np.unique(yc), np.unique(pc))
    stats: dict[str, Stat | None] = {
        "accuracy": stat_mean(correct.astype(float)),
        "balanced_accuracy": stat_balanced_accuracy(yc, correct, k),
        "f1_macro": stat_f1_macro(yc, pc, labels),
        "roc_auc": None,
        "pr_auc": None,
        "log_loss": None,
        "brier": None,
        "ece": None,
    }
    if proba is not None:
        p_true = np.clip(proba[np.arange(len(yc)), yc], EPS, 1)
        stats["log_loss"] = stat_mean(-np.log(p_true))
        if k == 2:
            positive = yc == pos
            stats["roc_auc"] = stat_auc_binary(positive, proba[:, pos])
            if average_precision:
                stats["pr_auc"] = stat_average_precision(positive, proba[:, pos])
            stats["brier"] = stat_mean((proba[:, pos] - positive) ** 2)
        else:
            stats["roc_auc"] = stat_auc_ovr(yc, proba)
        conf, outcome = proba.max(axis=1), proba.argmax(axis=1) == yc
        stats["ece"] = stat_ece(bin_ids(conf, n_bins), outcome, conf, n_bins)
    return stats


def regression_stats(y: np.ndarray, pred: np.ndarray) -> dict[str, Stat | None]:
    err = y - pred
    sq = err**2
    return {"mae": stat_mean(np.abs(err)), "rmse": stat_rmse(sq), "r2": stat_r2(y, sq)}


def _answer_codes(y_true: Sequence[Any] | np.ndarray, classes: Sequence[Any]) -> np.ndarray:
    cls = list(classes)
    codes = pd.Index(cls).get_indexer(pd.Index(np.asarray(y_true, dtype=object)))
    if (codes < 0).any():
        index = {c: i for i, c in enumerate(cls)}
        codes = np.array([index[v] for v in np.asarray(y_true, dtype=object)])
    return np.asarray(codes, dtype=np.int64)


def classification_metrics(
    y_true: Sequence[Any] | np.ndarray, proba: np.ndarray, classes: Sequence[Any]
) -> dict[str, float | None]:
    """Every classification metric key of the CLI contract for the chances ``proba`` (one column per
    class, in the order of ``classes``); ``None`` where it cannot be computed. The answer is the most
    likely class; for two classes the second is 'yes'."""
    out: dict[str, float | None] = dict.fromkeys(CLASSIFICATION_METRICS)
    if len(y_true) == 0:
        return out
    proba = np.asarray(proba, dtype=float)
    yc = _answer_codes(y_true, classes)
    k = len(classes)
    stats = classification_stats(yc, proba.argmax(axis=1), proba, k, k - 1, average_precision=False)
    for key in out:
        stat = stats[key]
        out[key] = None if stat is None else point(stat, len(yc))
    return out


def regression_metrics(
    y_true: Sequence[float] | np.ndarray, y_pred: Sequence[float] | np.ndarray
) -> dict[str, float | None]:
    """Every regression metric key of the CLI contract; ``None`` where it cannot be computed."""
    y = np.asarray(y_true, dtype=float)
    out: dict[str, float | None] = dict.fromkeys(REGRESSION_METRICS)
    if len(y) == 0:
        return out
    stats = regression_stats(y, np.asarray(y_pred, dtype=float))
    for key in out:
        stat = stats[key]
        out[key] = None if stat is None else point(stat, len(y))
    return out


def ece_score(
    y_true: Sequence[Any] | np.ndarray, proba: np.ndarray, classes: Sequence[Any], bins: int = ECE_BINS
) -> float:
    """Expected calibration error of the top-class confidence (``bins`` equal-width bins)."""
    proba = np.asarray(proba, dtype=float)
    yc = _answer_codes(y_true, classes)
    conf, outcome = proba.max(axis=1), proba.argmax(axis=1) == yc
    return float(stat_ece(bin_ids(conf, bins), outcome, conf, bins)(np.ones((1, len(yc))))[0])

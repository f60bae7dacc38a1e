"""Comparing candidates fairly: cross-validation folds, each candidate scored on the same folds, and the
leaderboard row that records how it did (mean and spread of each metric, fit and scoring time, size)."""

from __future__ import annotations

import io
import time
import warnings
from dataclasses import dataclass
from typing import Any

import joblib
import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import KFold, RepeatedKFold, RepeatedStratifiedKFold, StratifiedKFold, TimeSeriesSplit

from core.models.candidates import Candidate, label
from core.models.metrics import classification_metrics, regression_metrics
from core.models.model import aligned_proba
from core.vocab import CLASSIFICATION_METRICS, REGRESSION_METRICS

Folds = list[tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class LeaderboardRow:
    algorithm: str
    metrics: dict[str, float | None]  # cross-validated means, keys as in DESIGN.md
    cv_std: dict[str, float | None]
    fit_seconds: float | None  # mean seconds to fit one fold
    predict_ms_per_1000: float | None  # milliseconds to score 1,000 rows
    size_bytes: int | None  # bytes of the serialized pipeline (joblib, compress=3)
    note: str = ""

    @property
    def label(self) -> str:
        return label(self.algorithm)


def metric_keys(task: str) -> tuple[str, ...]:
    return CLASSIFICATION_METRICS if task == "classification" else REGRESSION_METRICS


SMALL_ROWS = 2_000  # below this, one round of folds is too noisy to choose between models: repeat it
REPEATS = 3


def make_folds(task: str, split_kind: str, y: np.ndarray, n_rows: int, seed: int) -> Folds:
    """5 folds (3 on 10,000 rows or more): in time order for a time-ordered split, stratified by outcome
    when every outcome has two rows, else plain shuffled folds. On fewer than 2,000 rows the shuffled
    folds are drawn three times (repeated k-fold): every row is still scored once per round, and the
    comparison rests on three times as many folds. The first ``n_splits`` folds always form one round
    (a partition of the rows)."""
    k = 5 if n_rows < 10_000 else 3
    dummy = np.zeros(n_rows)
    if split_kind == "time":
        return list(TimeSeriesSplit(n_splits=k).split(dummy))
    repeats = REPEATS if n_rows < SMALL_ROWS else 1
    if task == "classification":
        smallest = int(pd.Series(y).value_counts().min())
        if smallest < 2:  # an outcome with one training row cannot be spread over folds
            return list(KFold(n_splits=min(k, max(2, n_rows // 5)), shuffle=True, random_state=seed).split(dummy))
        k = max(2, min(k, smallest))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return list(
                RepeatedStratifiedKFold(n_splits=k, n_repeats=repeats, random_state=seed).split(dummy, y)
                if repeats > 1
                else StratifiedKFold(n_splits=k, shuffle=True, random_state=seed).split(dummy, y)
            )
    if repeats > 1:
        return list(RepeatedKFold(n_splits=k, n_repeats=repeats, random_state=seed).split(dummy))
    return list(KFold(n_splits=k, shuffle=True, random_state=seed).split(dummy))


def first_round(folds: Folds) -> Folds:
    """The folds of the first round: each row in exactly one validation fold (empty when they overlap, as
    time-ordered folds do not cover the earliest rows)."""
    seen: set[int] = set()
    out: Folds = []
    for train_idx, valid_idx in folds:
        if seen.intersection(valid_idx.tolist()):
            break
        seen.update(valid_idx.tolist())
        out.append((train_idx, valid_idx))
    n_rows = len(out[0][0]) + len(out[0][1]) if out else 0
    return out if out and len(seen) == n_rows else []


def score(est: Any, X: pd.DataFrame, y: np.ndarray, task: str, classes: tuple[Any, ...]) -> dict[str, float | None]:
    """Metrics of a fitted pipeline; for classification ``y`` holds codes 0..k-1 of ``classes``."""
    if task == "classification":
        codes = tuple(range(len(classes)))
        return classification_metrics(y, aligned_proba(est, X, codes), codes)
    return regression_metrics(y, est.predict(X))


def serialized_size(est: Any) -> int:
    buffer = io.BytesIO()
    joblib.dump(est, buffer, compress=3)
    return len(buffer.getvalue())


def _predict_ms_per_1000(model: Any, X: pd.DataFrame, valid_idx: np.ndarray, task: str) -> float:
    """Time scoring on at least 1,000 rows, so fixed overheads do not dominate."""
    batch = X.iloc[np.resize(valid_idx, max(1000, len(valid_idx)))]
    started = time.perf_counter()
    model.predict_proba(batch) if task == "classification" else model.predict(batch)
    return (time.perf_counter() - started) * 1000 * 1000 / len(batch)


def cross_validate(
    candidate: Candidate,
    est: Any,
    X: pd.DataFrame,
    y: np.ndarray,
    folds: Folds,
    task: str,
    classes: tuple[Any, ...],
    deadline: float,
) -> LeaderboardRow:
    """Fit and score ``est`` on each fold. A candidate (not the baseline) whose next fold would end past
    ``deadline`` stops early, with a note saying on how many folds it was scored."""
    scores: list[dict[str, float | None]] = []
    fit_times: list[float] = []
    predict_ms: list[float] = []
    fitted: Any = None
    note = ""
    for i, (train_idx, valid_idx) in enumerate(folds):
        if task == "classification" and len(np.unique(y[train_idx])) < 2:
            continue  # an early time-ordered fold with a single outcome teaches nothing
        model = clone(est)
        started = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(X.iloc[train_idx], y[train_idx])
            fit_times.append(time.perf_counter() - started)
            scores.append(score(model, X.iloc[valid_idx], y[valid_idx], task, classes))
            if not predict_ms:
                predict_ms.append(_predict_ms_per_1000(model, X, valid_idx, task))
        fitted = model
        fold_seconds = time.perf_counter() - started
        if not candidate.baseline and i + 1 < len(folds) and time.perf_counter() + fold_seconds > deadline:
            note = f"scored on {len(scores)} of {len(folds)} folds: the time budget ran out"
            break
    if not scores:
        raise ValueError("no fold had two outcomes to learn from")
    means, stds = _summarise(scores, metric_keys(task))
    return LeaderboardRow(
        algorithm=candidate.key,
        metrics=means,
        cv_std=stds,
        fit_seconds=float(np.mean(fit_times)),
        predict_ms_per_1000=float(np.mean(predict_ms)),
        size_bytes=serialized_size(fitted),
        note=note,
    )


def _summarise(
    scores: list[dict[str, float | None]], keys: tuple[str, ...]
) -> tuple[dict[str, float | None], dict[str, float | None]]:
    """The mean and standard deviation of each metric over the folds where it was defined."""
    means: dict[str, float | None] = {}
    stds: dict[str, float | None] = {}
    for key in keys:
        vals = [v for s in scores if (v := s.get(key)) is not None]
        means[key] = float(np.mean(vals)) if vals else None
        stds[key] = float(np.std(vals)) if len(vals) > 1 else (0.0 if vals else None)
    return means, stds


def skipped(key: str, task: str, note: str) -> LeaderboardRow:
    """The row of a candidate that was not scored, saying why."""
    keys = metric_keys(task)
    return LeaderboardRow(key, dict.fromkeys(keys), dict.fromkeys(keys), None, None, None, note)

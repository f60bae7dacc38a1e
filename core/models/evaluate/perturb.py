"""How the model holds up when its inputs get a little messier: noise on the numbers, blank cells, and
categories swapped for another seen value; the score and the share of answers that change."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.models.evaluate.inputs import (
    answer_codes,
    check_task,
    is_numeric,
    model_classes,
    model_features,
    predict_codes,
    prepare_rows,
    subsample,
)
from core.models.evaluate.serial import Serial
from core.vocab import number, percent


@dataclass(frozen=True)
class Perturbation(Serial):
    kind: str  # "noise" | "missing" | "swap"
    level: float  # share of spread (noise) or of cells (missing, swap)
    metric: float | None
    change: float | None  # metric - clean metric
    # classification: share of answers that change; regression: share moving > 10% of target spread
    flip_share: float | None
    failed: str | None = None  # the model could not score these rows (e.g. it cannot take missing values)


@dataclass(frozen=True)
class RobustnessReport(Serial):
    task: str
    metric_key: str
    clean_metric: float
    n_rows: int
    numeric_columns: tuple[str, ...]
    categorical_columns: tuple[str, ...]
    results: tuple[Perturbation, ...]
    sentences: tuple[str, ...]


def split_columns(X: pd.DataFrame) -> tuple[list[str], list[str]]:
    """(number columns, other columns), dates left out."""
    num: list[str] = []
    cat: list[str] = []
    for c in X.columns:
        s = X[c]
        if pd.api.types.is_datetime64_any_dtype(s):
            continue
        (num if is_numeric(s) else cat).append(c)
    return num, cat


def _spread(x: np.ndarray) -> float:
    x = x[np.isfinite(x)]
    if x.size < 2:
        return 0.0
    q1, q3 = np.percentile(x, [25, 75])
    iqr = (q3 - q1) / 1.349
    return float(iqr if iqr > 0 else np.std(x))


def _with_noise(X: pd.DataFrame, num: list[str], level: float, rng: np.random.Generator) -> pd.DataFrame:
    f = X.copy()
    for c in num:
        x = f[c].to_numpy(dtype=float)
        f[c] = x + rng.normal(0, level * _spread(X[c].to_numpy(dtype=float)), size=len(x))
    return f


def _with_blanks(X: pd.DataFrame, columns: list[str], level: float, rng: np.random.Generator) -> pd.DataFrame:
    f = X.copy()
    for c in columns:
        m = rng.random(len(f)) < level
        if m.any():
            f[c] = f[c].mask(m)  # the column's own missing marker (NaN for numbers and pandas strings)
    return f


def _with_swaps(X: pd.DataFrame, cat: list[str], level: float, rng: np.random.Generator) -> pd.DataFrame:
    f = X.copy()
    for c in cat:
        vals = f[c].astype(object).to_numpy()
        observed = pd.unique(vals[pd.notna(vals)])
        if len(observed) < 2:
            continue
        m = np.flatnonzero(rng.random(len(vals)) < level)
        if not m.size:
            continue
        pos = pd.Index(observed).get_indexer(vals[m])
        shift = rng.integers(1, len(observed), size=m.size)
        new = observed[np.where(pos >= 0, (pos + shift) % len(observed), shift % len(observed))]
        vals = vals.copy()
        vals[m] = new
        f[c] = pd.Series(vals, index=f.index).astype(X[c].dtype) if X[c].dtype != object else vals
    return f


def _scorer(model: Any, y: pd.Series, task: str) -> tuple[str, Callable[[pd.DataFrame], tuple[float, np.ndarray]]]:
    """(metric key, rows -> (metric, answers)): accuracy for a classifier, average miss for a regressor."""
    if task == "classification":
        classes = model_classes(model)
        yc = answer_codes(y, classes)

        def accuracy(frame: pd.DataFrame) -> tuple[float, np.ndarray]:
            p = predict_codes(model, frame, classes)
            return float((p == yc).mean()), p

        return "accuracy", accuracy
    y_num = y.to_numpy(dtype=float)

    def average_miss(frame: pd.DataFrame) -> tuple[float, np.ndarray]:
        p = np.asarray(model.predict(frame), dtype=float)
        return float(np.abs(y_num - p).mean()), p

    return "mae", average_miss


def robustness(
    model: Any,
    X: pd.DataFrame,
    y: Any,
    task: str,
    *,
    noise_levels: tuple[float, ...] = (0.01, 0.05, 0.10),
    missing_levels: tuple[float, ...] = (0.05, 0.10, 0.20),
    swap_levels: tuple[float, ...] = (0.05, 0.10, 0.20),
    max_rows: int = 2000,
    seed: int = 0,
) -> RobustnessReport:
    """How the model holds up when the inputs get a little messier: Gaussian noise on numeric
    columns (sd = level x the column's spread, IQR/1.349 or std), blanked cells, and categorical
    values swapped for another observed value. Reports the metric and the share of answers that
    change. Seeded; at most ``max_rows`` rows."""
    check_task(task)
    X, y_all, _ = prepare_rows(X, y)
    X, y_sub = subsample(X, y_all, max_rows, seed)
    assert y_sub is not None
    rng = np.random.default_rng(seed)
    num, cat = split_columns(X[model_features(model, X)])
    key, score = _scorer(model, y_sub, task)
    clean, base_pred = score(X)
    tol = 0.1 * (np.std(y_sub.to_numpy(dtype=float)) if task == "regression" else 0)

    def variants() -> Iterator[tuple[str, float, pd.DataFrame]]:  # drawn in this order: the seed decides all
        for level in noise_levels if num else ():
            yield "noise", level, _with_noise(X, num, level, rng)
        for level in missing_levels:
            yield "missing", level, _with_blanks(X, num + cat, level, rng)
        for level in swap_levels if cat else ():
            yield "swap", level, _with_swaps(X, cat, level, rng)

    results: list[Perturbation] = []
    for kind, level, frame in variants():
        try:
            m, pred = score(frame)
        except (ValueError, TypeError) as exc:
            results.append(Perturbation(kind, level, None, None, None, failed=type(exc).__name__))
            continue
        moved = pred != base_pred if task == "classification" else np.abs(pred - base_pred) > tol
        results.append(Perturbation(kind, level, m, m - clean, float(moved.mean())))
    report = RobustnessReport(task, key, clean, len(X), tuple(map(str, num)), tuple(map(str, cat)), tuple(results), ())
    return dataclasses.replace(report, sentences=tuple(explain_robustness(report)))


_DISTURBANCES = {
    "noise": "a little noise on the numbers",
    "missing": "blank cells",
    "swap": "categories swapped for another seen value",
}


def _explain_one(r: RobustnessReport, kind: str, rows: list[Perturbation]) -> str:
    if any(p.failed for p in rows):
        return (
            f"With {_DISTURBANCES[kind]}, the model could not answer at all: it cannot take such inputs, so clean "
            "them before scoring."
        )
    worst = max(rows, key=lambda p: p.level)
    amount = {
        "noise": f"noise of {percent(worst.level)} of each column's usual spread",
        "missing": f"{percent(worst.level)} of cells left blank",
        "swap": f"{percent(worst.level)} of categories swapped",
    }[kind]
    if r.metric_key == "accuracy":
        change = f"accuracy went from {percent(r.clean_metric)} to {percent(worst.metric)}"
        flip = f"{percent(worst.flip_share)} of answers changed"
        harm = max(worst.flip_share or 0.0, -(worst.change or 0.0))
    else:  # regression: judged by how much the average miss grows
        change = f"the average miss went from {number(r.clean_metric)} to {number(worst.metric)}"
        flip = f"{percent(worst.flip_share)} of predictions moved by more than a tenth of the target's spread"
        harm = (worst.change or 0.0) / r.clean_metric if r.clean_metric > 0 else 0.0
    verdict = "steady" if harm < 0.05 else ("somewhat sensitive" if harm < 0.15 else "fragile")
    if verdict == "steady" and (worst.flip_share or 0.0) >= 0.25:
        # the misses balance out on average, but one row's answer is not to be trusted to the digit
        verdict = "steady on average, but single answers shift a lot, so treat each one as rough"
    return f"With {amount}, {change} and {flip}: {verdict}."


def explain_robustness(r: RobustnessReport) -> list[str]:
    out = []
    for kind in ("noise", "missing", "swap"):
        rows = [p for p in r.results if p.kind == kind]
        if rows:
            out.append(_explain_one(r, kind, rows))
    return out

"""What drives the model: permutation importance of each column on hold-out rows, then partial dependence
(how the average answer moves as one column moves) for the columns that matter, described in words.

Importance is measured here rather than with ``sklearn.inspection.permutation_importance`` for speed: all
shuffled copies are scored in one call, and a Keel model prepares its input table once instead of once per
column (a table of 800 columns took 4 minutes the other way). ``tests/core/test_evaluate.py`` checks it
against scikit-learn's.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
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
    positive_index,
    predict_codes,
    predict_proba,
    prepare_rows,
    quoted,
    subsample,
)
from core.models.evaluate.serial import Serial
from core.vocab import number, percent, points


@dataclass(frozen=True)
class Importance(Serial):
    column: str
    drop: float  # how much worse the metric gets when the column is shuffled (accuracy points or MAE units)
    std: float


@dataclass(frozen=True)
class PartialDependence(Serial):
    column: str
    kind: str  # "numeric" | "category"
    grid: tuple[str, ...]  # grid values as text (numbers formatted by float())
    values: tuple[float, ...]  # average prediction / chance of `of_class`
    direction: str  # "up" | "down" | "flat" | "mixed" | "category"
    sentence: str


@dataclass(frozen=True)
class DriverReport(Serial):
    task: str
    metric_key: str
    of_class: str | None  # the class whose chance the partial dependence shows
    importances: tuple[Importance, ...]  # most important first
    partial_dependence: tuple[PartialDependence, ...]
    sentences: tuple[str, ...]


def _scorers(
    model: Any, y: pd.Series, task: str, n: int
) -> tuple[Callable[[Any], np.ndarray], Callable[[Any], np.ndarray], Callable[[np.ndarray], np.ndarray]]:
    """(raw rows -> answers, prepared rows -> answers, answers of stacked copies -> one score per copy).

    The score is accuracy, or minus the average miss, so that a drop is always 'worse'. The prepared
    path is only used for a model that says it ``scores_prepared``."""
    if task == "classification":
        classes = model_classes(model)
        yc = answer_codes(y, classes)
        return (
            lambda f: predict_codes(model, f, classes),
            lambda f: model.predict_proba(f, prepared=True).argmax(axis=1),
            lambda codes: (codes.reshape(-1, n) == yc[None, :]).mean(axis=1),
        )
    y_num = y.to_numpy(dtype=float)
    return (
        lambda f: np.asarray(model.predict(f), dtype=float),
        lambda f: np.asarray(model.predict(f, prepared=True), dtype=float),
        lambda pred: -np.abs(pred.reshape(-1, n) - y_num[None, :]).mean(axis=1),
    )


def permutation_importance(
    model: Any, X: pd.DataFrame, y: pd.Series, task: str, n_repeats: int, seed: int
) -> list[Importance]:
    """Shuffle one column at a time (``n_repeats`` times, all copies scored in one call) and
    measure how much worse the model gets. Same as sklearn.inspection.permutation_importance
    with accuracy / negative MAE scoring, but works with any object that has ``predict``.

    A Keel model (``scores_prepared``) turns each row into its inputs on its own, so shuffling a column's
    prepared inputs is the same as shuffling the column: the table is prepared once, not once per column."""
    rng = np.random.default_rng(seed)
    n = len(X)
    fast = bool(getattr(model, "scores_prepared", False))
    raw, prepared, per_copy = _scorers(model, y, task, n)
    base = per_copy(raw(X))[0]
    big = pd.concat([X] * n_repeats, ignore_index=True)
    ready = model.prepare(big) if fast else big
    predict = prepared if fast else raw
    out = []
    for c in model_features(model, X):
        order = np.concatenate([rng.permutation(n) + k * n for k in range(n_repeats)])
        f = ready.copy()
        for p in model.prepared_columns(c) if fast else [c]:
            if p in f.columns:
                f[p] = pd.Series(ready[p].to_numpy()[order], index=f.index, dtype=ready[p].dtype)
        drops = base - per_copy(predict(f))
        out.append(Importance(str(c), float(drops.mean()), float(drops.std())))
    out.sort(key=lambda i: -i.drop)
    return out


def _direction(values: np.ndarray, spread: float) -> str:
    rng_ = float(values.max() - values.min())
    if len(values) < 2 or rng_ <= max(spread, 1e-12):
        return "flat"
    d = np.diff(values)
    tol = 0.05 * rng_
    if np.all(d >= -tol):
        return "up"
    if np.all(d <= tol):
        return "down"
    from scipy.stats import spearmanr

    rho = spearmanr(np.arange(len(values)), values).statistic
    if rho >= 0.9:
        return "up"
    if rho <= -0.9:
        return "down"
    return "mixed"


def grid_dtype(grid: np.ndarray, column: pd.Series) -> Any:
    """The type for probe rows that set ``column`` to each ``grid`` value: the column's own, unless
    it holds whole numbers and the grid falls between them (an age of 34.5), which needs floats."""
    if pd.api.types.is_integer_dtype(column) and not np.all(grid == np.round(grid)):
        return float
    return column.dtype


def _chosen_columns(imps: list[Importance], top: int) -> list[str]:
    """The columns to draw: clearly important first, then any that matter at all, else the top ones."""
    clear = [i.column for i in imps if i.drop > max(2 * i.std, 1e-12)]
    chosen = (clear + [i.column for i in imps if i.drop > 0 and i.column not in clear])[:top]
    return chosen or [i.column for i in imps[:top]]


def _grid(s: pd.Series, grid_size: int) -> tuple[str, np.ndarray, Any]:
    """(kind, grid values, dtype to hold them): quantiles of a number column, else its common values."""
    if is_numeric(s) and s.nunique() > 2:
        x = s.to_numpy(dtype=float)
        grid = np.unique(np.quantile(x[np.isfinite(x)], np.linspace(0.05, 0.95, grid_size)))
        return "numeric", grid, grid_dtype(grid, s)
    return "category", s.dropna().value_counts().index[:10].to_numpy(), s.dtype


def _curve(
    model: Any, Xp: pd.DataFrame, column: Any, values: np.ndarray, dtype: Any, task: str, class_index: int | None
) -> tuple[np.ndarray, int | None]:
    """The average answer (or chance of the class at ``class_index``; for multiclass, the class whose
    chance moves most) with ``column`` set to each value in turn, on every row of ``Xp``."""
    big = pd.concat([Xp] * len(values), ignore_index=True)
    big[column] = pd.Series(np.repeat(values, len(Xp)), dtype=dtype)
    if task != "classification":
        return np.asarray(model.predict(big), dtype=float).reshape(len(values), len(Xp)).mean(axis=1), None
    proba = predict_proba(model, big)
    if proba is None:
        proba = np.eye(len(model_classes(model)))[predict_codes(model, big, model_classes(model))]
    means = proba.reshape(len(values), len(Xp), -1).mean(axis=1)  # (grid, k)
    if class_index is None:
        class_index = int(np.argmax(means.max(axis=0) - means.min(axis=0)))
    return means[:, class_index], class_index


def drivers(
    model: Any,
    X: pd.DataFrame,
    y: Any,
    task: str,
    *,
    n_repeats: int = 5,
    max_rows: int = 5000,
    top: int = 3,
    grid_size: int = 20,
    pd_rows: int = 500,
    positive_label: Any = None,
    seed: int = 0,
) -> DriverReport:
    """What drives the model: permutation importance of the original columns on hold-out rows
    (``n_repeats`` shuffles, at most ``max_rows`` rows), then partial dependence for the
    ``top`` columns (set the column to each grid value on ``pd_rows`` rows and average the
    prediction, or the chance of the positive / most affected class), described in words."""
    check_task(task)
    X, y, _ = prepare_rows(X, y)
    Xs, ys = subsample(X, y, max_rows, seed)
    assert ys is not None
    imps = permutation_importance(model, Xs, ys, task, n_repeats, seed)
    Xp, _ = subsample(Xs, None, pd_rows, seed + 1)
    class_index: int | None = None
    if task == "classification" and len(model_classes(model)) == 2:
        class_index = positive_index(model_classes(model), positive_label)
    target = None if y.name is None else str(y.name)
    of_class = None
    pds: list[PartialDependence] = []
    col_lookup = {str(c): c for c in X.columns}
    for name in _chosen_columns(imps, top):
        kind, grid, dtype = _grid(X[col_lookup[name]], grid_size)
        if len(grid) < 2:
            continue
        curve, class_index = _curve(model, Xp, col_lookup[name], grid, dtype, task, class_index)
        if class_index is not None:
            of_class = str(model_classes(model)[class_index])
        spread = 0.01 if task == "classification" else 0.01 * float(np.std(y.to_numpy(dtype=float)))
        direction = _direction(curve, spread) if kind == "numeric" else "category"
        labels = tuple(str(float(g)) for g in grid) if kind == "numeric" else tuple(str(g) for g in grid)
        pdp = PartialDependence(name, kind, labels, tuple(float(v) for v in curve), direction, "")
        pds.append(dataclasses.replace(pdp, sentence=_explain_pd(pdp, task, target, of_class)))
    key = "accuracy" if task == "classification" else "mae"
    report = DriverReport(task, key, of_class, tuple(imps), tuple(pds), ())
    return dataclasses.replace(report, sentences=tuple(explain_drivers(report, target)))


def _explain_pd(p: PartialDependence, task: str, target: str | None, of_class: str | None) -> str:
    col = quoted(p.column)
    if task == "classification":
        thing = (
            f"the chance of {quoted(target)} = {quoted(of_class)}" if target else f"the chance of {quoted(of_class)}"
        )
        fmt: Callable[[Any], str] = percent
    else:
        thing = f"the predicted {quoted(target)}" if target else "the prediction"
        fmt = number
    lo, hi = min(p.values), max(p.values)
    if p.kind == "category":
        i_hi, i_lo = int(np.argmax(p.values)), int(np.argmin(p.values))
        if hi - lo < (0.01 if task == "classification" else 1e-12):
            return f"{col} barely changes {thing}."
        return (
            f"{thing[0].upper() + thing[1:]} is highest when {col} is {quoted(p.grid[i_hi])} ({fmt(hi)}) and lowest "
            f"when it is {quoted(p.grid[i_lo])} ({fmt(lo)})."
        )
    span = f"from {fmt(p.values[0])} to {fmt(p.values[-1])} across the usual range of {col}"
    if p.direction == "up":
        return f"Higher {col} raises {thing} ({span})."
    if p.direction == "down":
        return f"Higher {col} lowers {thing} ({span})."
    if p.direction == "flat":
        return f"{col} barely changes {thing} on its own."
    return (
        f"{col} matters, but with no clear direction: {thing} goes up and down between {fmt(lo)} and {fmt(hi)} "
        "across its range."
    )


def explain_drivers(r: DriverReport, target: str | None = None) -> list[str]:
    useful = [i for i in r.importances if i.drop > max(2 * i.std, 1e-12)]
    if not useful:
        return [
            "No single column makes a clear difference on its own when shuffled. Usually several columns carry the "
            "same information, so when one is shuffled the others stand in for it; if the model is not clearly "
            "better than the simple baseline, it may also have learned little."
        ]
    lead = useful[0]
    if r.metric_key == "accuracy":
        out = [
            f"It leans most on {quoted(lead.column)}: shuffling it makes the model right {points(lead.drop)} less often."
        ]
    else:
        out = [
            f"It leans most on {quoted(lead.column)}: shuffling it makes the average miss {number(lead.drop)} bigger."
        ]
    if len(useful) > 1:
        out.append("Next: " + ", ".join(quoted(i.column) for i in useful[1:4]) + ".")
    unused = [i.column for i in r.importances if i.drop <= 0]
    if unused:
        many = len(unused) > 1
        out.append(
            f"{len(unused)} column{'s' if many else ''} make{'' if many else 's'} no measurable difference "
            f"(e.g. {', '.join(quoted(u) for u in unused[:3])})."
        )
    return out + [p.sentence for p in r.partial_dependence]

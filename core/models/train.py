"""Train and compare models honestly, then hand back the best one with its hold-out scores.

The recipe, in the order it runs (each step a function below):

1. **Check the input** (:func:`core.models.checks.check_table`): the target exists, has values, has at
   least two outcomes, and there are enough rows. Each problem is an ``InputError`` with a hint.
2. **Choose the columns** (:func:`core.models.columns.select_features`): ID-like columns, likely copies of
   the target, personal data, constant and empty columns and free text are left out by default, each
   with a reason in plain words; the user can put any of them back with ``include``. Date columns
   are turned into year, month and day-of-week numbers.
3. **Split once** (:func:`_split`): a hold-out part (20%) is set aside before anything is fitted —
   stratified at random, or the latest rows when the user picks a time-ordered split.
4. **Compare candidates by cross-validation on the training part only** (:func:`_compare`): the
   candidates of :mod:`core.models.candidates` (a baseline that ignores the columns, a linear model,
   gradient boosting and a random forest). Every preprocessing step sits inside a scikit-learn
   ``Pipeline`` and is refitted in each fold, so nothing learned from a validation fold leaks into training.
5. **Pick the best by the primary metric** (:func:`choose_best`) — ROC AUC for two outcomes (it does not
   depend on how rare the positive outcome is), balanced accuracy for more than two outcomes (every
   outcome counts equally, so a rare one is not ignored), R² for numbers — refit it on the whole
   training part and score it once on the hold-out, next to the baseline on the same rows
   (:func:`_fit_best`), and say plainly when a result is too good, or no better than the baseline.
"""

from __future__ import annotations

import functools
import math
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

from core.errors import InputError
from core.models.candidates import ALGORITHM_LABELS, Candidate, TableShape, is_baseline, label, lineup
from core.models.checks import check_table
from core.models.choice import choose_best, trade_off
from core.models.columns import (
    MIN_ROWS,
    YEAR_NAMES,
    FeaturePlan,
    LeftOut,
    SplitSuggestion,
    detect_task,
    select_features,
    suggest_split,
)
from core.models.crossval import Folds, LeaderboardRow, cross_validate, first_round, make_folds, score, skipped
from core.models.features import build_schema, input_columns, prepare_features, to_category_text, to_datetime
from core.models.honesty import IMBALANCE_SHARE, calibration_warning, honesty_warnings, leak_suspects
from core.models.metrics import classification_metrics, ece_score, regression_metrics
from core.models.model import KeelModel, aligned_proba
from core.models.tempering import Tempering, judge_tempering
from core.vocab import (
    CLASSIFICATION_METRICS,
    LOWER_IS_BETTER,
    REGRESSION_METRICS,
    date,
    number,
    percent,
)

MAX_CV_ROWS = 50_000
HOLDOUT_SHARE = 0.2
COMPARE_SHARE = 0.85  # of the time budget; the rest is kept for training the winner on all rows

Progress = Callable[[float, str], None]

__all__ = [
    "ALGORITHM_LABELS",
    "CLASSIFICATION_METRICS",
    "LOWER_IS_BETTER",
    "REGRESSION_METRICS",
    "FeaturePlan",
    "LeaderboardRow",
    "LeftOut",
    "SplitInfo",
    "SplitSuggestion",
    "TrainResult",
    "choose_best",
    "classification_metrics",
    "detect_task",
    "ece_score",
    "primary_metric",
    "regression_metrics",
    "select_features",
    "suggest_split",
    "train",
]


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class SplitInfo:
    kind: str  # "random" | "time"
    date_column: str | None
    train_rows: int
    test_rows: int
    cv_folds: int
    cv_rows: int
    description: str


@dataclass(frozen=True)
class TrainResult:
    task: str
    target: str
    model: KeelModel
    leaderboard: tuple[LeaderboardRow, ...]
    holdout_metrics: dict[str, float | None]
    baseline_metrics: dict[str, float | None]
    feature_plan: FeaturePlan
    split: SplitInfo
    warnings: tuple[str, ...]
    notes: tuple[str, ...]
    X_test: pd.DataFrame  # hold-out rows, every column but the target, original index
    y_test: pd.Series
    classes: tuple[Any, ...]
    seed: int
    primary_metric: str
    elapsed_seconds: float
    dropped_rows: int = 0
    leak_suspects: tuple[str, ...] = ()  # the column a near-perfect model leans on (see core.models.honesty)
    temperature: float = 1.0  # the kept model's chances were tempered by this (1: left as they were)

    @property
    def algorithm(self) -> str:
        return self.model.algorithm


def primary_metric(task: str, n_classes: int) -> str:
    if task == "regression":
        return "r2"
    return "roc_auc" if n_classes == 2 else "balanced_accuracy"


# --------------------------------------------------------------------------- the steps


@dataclass(frozen=True)
class _Split:
    """The rows that train and the rows that test, with the answers as labels and as what models learn."""

    kind: str
    date_column: str | None
    train_idx: np.ndarray
    test_idx: np.ndarray
    description: str
    classes: tuple[Any, ...]
    labels: np.ndarray  # every row's answer (class labels, or numbers)
    fit_values: np.ndarray  # what the models learn: class codes 0..k-1, or the numbers


def _plan_columns(
    kept: pd.DataFrame, target: str, findings: Iterable[Any], include: Sequence[str], exclude: Sequence[str], task: str
) -> FeaturePlan:
    """The columns to learn from; refuses a table that leaves none, saying what to do instead."""
    plan = select_features(kept, target, findings, include=include, exclude=exclude, task=task)
    if plan.used:
        return plan
    reasons = "; ".join(f"'{x.column}' {x.reason}" for x in plan.left_out[:6])
    others = [c for c in kept.columns if c != target]
    timed = others and all(
        pd.api.types.is_datetime64_any_dtype(kept[c])
        or YEAR_NAMES.search(str(c))
        or str(c).lower() in ("date", "time", "period", "month", "quarter", "week", "day")
        for c in others
    )
    raise InputError(
        f"No columns are left to learn from: {reasons}."
        if reasons
        else f"No columns are left to learn from: the table holds only '{target}'.",
        (
            f"This table is a time series ('{others[0]}' and '{target}'): to predict the next values, forecast "
            f"it (the Forecast page, or: python -m core forecast FILE --date {others[0]} --value {target} "
            "--horizon 12)."
            if timed and len(others) == 1
            else "Put back at least one column (on the Train page, or with --include COLUMN), or add columns "
            "that may explain the target."
        ),
    )


def _label_values(y: pd.Series) -> np.ndarray:
    """Class labels as a numpy array scikit-learn accepts: bool, int64, float64 or object of str."""
    if pd.api.types.is_bool_dtype(y):
        return y.astype(bool).to_numpy()
    if pd.api.types.is_integer_dtype(y) or (pd.api.types.is_float_dtype(y) and bool(np.all(np.mod(y, 1) == 0))):
        return y.astype("int64").to_numpy()
    if pd.api.types.is_numeric_dtype(y):
        return y.astype(float).to_numpy()
    return to_category_text(y).to_numpy()


def _split(
    kept: pd.DataFrame, target: str, task: str, split: str, date_column: str | None, seed: int, notes: list[str]
) -> _Split:
    """Set the hold-out rows aside: the latest 20% by ``date_column`` ("time"), else 20% at random,
    stratified by outcome ("random"; "auto" is random, with a note when a date column suggests time)."""
    if split == "auto":
        split = "random"
        suggestion = suggest_split(kept, target)
        if suggestion.split == "time" and date_column is None:
            notes.append(suggestion.reason)
    if split not in ("random", "time"):
        raise InputError(f"'{split}' is not a way to split the data.", "Use 'auto', 'random' or 'time'.")
    if task == "classification":
        labels = _label_values(kept[target])
        uniques, fit_values = np.unique(labels, return_inverse=True)
        classes: tuple[Any, ...] = tuple(uniques.tolist())
    else:
        labels = pd.to_numeric(kept[target], errors="coerce").astype(float).to_numpy()
        fit_values, classes = labels, ()
    if split == "time":
        date_column = date_column or suggest_split(kept, target).date_column
        train_idx, test_idx, desc = _split_by_time(kept, date_column)
    else:
        train_idx, test_idx, desc = _split_at_random(len(kept), target, task, classes, fit_values, seed)
    return _Split(
        split, date_column if split == "time" else None, train_idx, test_idx, desc, classes, labels, fit_values
    )


def _split_by_time(kept: pd.DataFrame, date_column: str | None) -> tuple[np.ndarray, np.ndarray, str]:
    if date_column is None or date_column not in kept.columns:
        raise InputError(
            "A time-ordered split needs a date column, and "
            + (f"the table has no column named '{date_column}'." if date_column else "none was found."),
            "Choose the column that holds each row's date, or use a random split.",
        )
    stamps = to_datetime(kept[date_column])
    if stamps.notna().sum() < MIN_ROWS:
        raise InputError(
            f"'{date_column}' does not hold enough readable dates to order the rows.",
            "Choose another date column, or use a random split.",
        )
    order = np.argsort(stamps.fillna(stamps.min()).to_numpy(), kind="stable")
    n_test = max(1, round(len(kept) * HOLDOUT_SHARE))
    train_idx, test_idx = order[:-n_test], order[-n_test:]
    desc = (
        f"Time-ordered split on '{date_column}': the {number(len(train_idx))} earliest rows train the model, the "
        f"{number(n_test)} latest (from {date(stamps.iloc[test_idx].min())}) test it."
    )
    return train_idx, test_idx, desc


def _split_at_random(
    n: int, target: str, task: str, classes: tuple[Any, ...], fit_values: np.ndarray, seed: int
) -> tuple[np.ndarray, np.ndarray, str]:
    index = np.arange(n)
    n_test = max(math.ceil(n * HOLDOUT_SHARE), len(classes))
    if n - n_test < max(len(classes), 2):
        raise InputError(
            f"{number(n)} rows are too few for {len(classes)} different outcomes of '{target}': each outcome "
            "must appear both in the rows that train the model and in the rows that test it.",
            "Add more rows, or group rare outcomes together.",
        )
    strat = fit_values if task == "classification" else None
    train_idx, test_idx = train_test_split(index, test_size=n_test, random_state=seed, shuffle=True, stratify=strat)
    desc = (
        f"Random split: {number(len(train_idx))} rows train the model, {number(len(test_idx))} rows set aside to "
        "test it" + (f" (each outcome of '{target}' in the same proportion)." if task == "classification" else ".")
    )
    return train_idx, test_idx, desc


@dataclass(frozen=True)
class _Inputs:
    """The model's input tables for the training and hold-out rows, and what it learns from."""

    schema: dict[str, Any]
    X_train: pd.DataFrame
    X_test: pd.DataFrame
    fit_train: np.ndarray
    fit_test: np.ndarray
    y_train: np.ndarray  # the training rows' answers as labels
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    test_rows: pd.DataFrame  # the hold-out rows as given


def _model_inputs(kept: pd.DataFrame, sp: _Split, plan: FeaturePlan, target: str, task: str) -> _Inputs:
    train_rows, test_rows = kept.iloc[sp.train_idx], kept.iloc[sp.test_idx]
    schema = build_schema(train_rows, plan.kinds, target=target, task=task, classes=sp.classes)
    numeric, categorical = input_columns(schema)
    return _Inputs(
        schema,
        prepare_features(train_rows, schema),
        prepare_features(test_rows, schema),
        sp.fit_values[sp.train_idx],
        sp.fit_values[sp.test_idx],
        sp.labels[sp.train_idx],
        tuple(numeric),
        tuple(categorical),
        test_rows,
    )


def _weigh_outcomes(task: str, y_train: np.ndarray, notes: list[str]) -> bool:
    """True when an outcome is rare: the candidates then weigh each outcome equally."""
    if task != "classification":
        return False
    shares = pd.Series(y_train).value_counts(normalize=True)
    if shares.min() >= IMBALANCE_SHARE:
        return False
    notes.append(
        f"'{shares.idxmin()}' is rare ({percent(shares.min())} of rows), so the models weigh each outcome equally "
        "and are ranked by a measure that counts every outcome fairly."
    )
    return True


def _cv_positions(n: int, kind: str, task: str, fit_train: np.ndarray, seed: int, notes: list[str]) -> np.ndarray:
    """The training rows the candidates are compared on: all of them, or a sample of MAX_CV_ROWS (the
    latest ones for a time-ordered split)."""
    positions = np.arange(n)
    if n <= MAX_CV_ROWS:
        return positions
    if kind == "time":
        return positions[-MAX_CV_ROWS:]
    sample, _ = train_test_split(
        positions, train_size=MAX_CV_ROWS, random_state=seed, stratify=fit_train if task == "classification" else None
    )
    notes.append(
        f"Models were compared on a sample of {number(MAX_CV_ROWS)} training rows to save time; "
        f"the best was then trained on all {number(n)}."
    )
    return np.sort(sample)


def _compare(
    candidates: list[tuple[Candidate, Any]],
    X: pd.DataFrame,
    y: np.ndarray,
    folds: Folds,
    task: str,
    classes: tuple[Any, ...],
    deadline: float,
    report: Progress,
) -> list[LeaderboardRow]:
    """Cross-validate each candidate in turn; out of time, the rest are skipped (never the baseline),
    and one that fails is noted, not fatal (unless it is the baseline)."""
    rows: list[LeaderboardRow] = []
    total_steps = len(candidates) + 1
    for step, (candidate, est) in enumerate(candidates):
        if not candidate.baseline and time.perf_counter() > deadline:
            rows.append(skipped(candidate.key, task, "skipped: the time budget was spent"))
            report((step + 1) / total_steps, f"Skipped {candidate.label} (out of time)")
            continue
        report(step / total_steps, f"Trying {candidate.label}…")
        try:
            rows.append(cross_validate(candidate, est, X, y, folds, task, classes, deadline))
        except Exception as exc:  # a candidate failing must not sink the others
            if candidate.baseline:
                raise
            note = f"failed ({type(exc).__name__}); the other models were compared"
            rows.append(skipped(candidate.key, task, note))
        report((step + 1) / total_steps, f"Scored {candidate.label}")
    return rows


def _fit_best(
    contenders: list[tuple[Candidate, Any]], best_name: str, data: _Inputs, task: str, classes: tuple[Any, ...]
) -> tuple[Any, dict[str, float | None]]:
    """Train the winner and the baseline on every training row: (the winner, the baseline's hold-out metrics)."""
    best = clone(next(est for c, est in contenders if c.key == best_name))
    baseline = clone(next(est for c, est in contenders if c.baseline))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        best.fit(data.X_train, data.fit_train)
        baseline.fit(data.X_train, data.fit_train)
        return best, score(baseline, data.X_test, data.fit_test, task, classes)


def _temper(
    contenders: list[tuple[Candidate, Any]], best_name: str, X: pd.DataFrame, y: np.ndarray, folds: Folds, seed: int
) -> Tempering | None:
    """For more than two outcomes: out-of-fold chances of the winner over one round of folds, and whether
    tempering them helps on rows the temperature was not fitted on (:mod:`core.models.tempering`)."""
    round_one = first_round(folds)
    k = int(y.max()) + 1 if len(y) else 0
    if k <= 2 or not round_one:
        return None
    est = next(est for c, est in contenders if c.key == best_name)
    oof = np.zeros((len(y), k))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for train_idx, valid_idx in round_one:
            model = clone(est).fit(X.iloc[train_idx], y[train_idx])
            oof[valid_idx] = aligned_proba(model, X.iloc[valid_idx], tuple(range(k)))
    return judge_tempering(oof, y, seed)


def _holdout_metrics(model: KeelModel, data: _Inputs, task: str, classes: tuple[Any, ...]) -> dict[str, float | None]:
    """The kept model's hold-out metrics, through its own (possibly tempered) chances."""
    if task != "classification":
        return score(model.pipeline, data.X_test, data.fit_test, task, classes)
    codes = tuple(range(len(classes)))
    return classification_metrics(data.fit_test, model.predict_proba(data.X_test, prepared=True), codes)


def _with_trade_offs(
    rows: list[LeaderboardRow], best_name: str, chosen_note: str, primary: str
) -> list[LeaderboardRow]:
    """Each row's note says how it compares with the kept model on the main measures."""
    chosen = next((r for r in rows if r.algorithm == best_name), None)
    out = []
    for r in rows:
        if r.algorithm == best_name:
            out.append(replace(r, note=_joined(chosen_note, r.note)))
        elif chosen is not None and (why := trade_off(r, chosen, primary)):
            out.append(replace(r, note=_joined(why, r.note)))
        else:
            out.append(r)
    return out


def _findings(frame: pd.DataFrame, target: str) -> list[Any]:
    """Data-quality findings from core.data.quality (ID-like columns, leakage, personal data…)."""
    from core.data import quality

    return list(quality.profile(frame, target).findings)


# --------------------------------------------------------------------------- train


# One thread per native library (OpenMP, BLAS): the machine is shared between sessions, and
# OpenMP's busy-waiting threads turn a 2-second fit into 25 seconds when the cores are busy.
def _single_threaded(func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with threadpool_limits(1):
            return func(*args, **kwargs)

    return wrapper


@_single_threaded
def train(
    frame: pd.DataFrame,
    target: str,
    *,
    task: str = "auto",
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    split: str = "auto",
    date_column: str | None = None,
    time_budget_s: float = 60,
    seed: int = 0,
    progress: Progress | None = None,
    findings: Iterable[Any] | None = None,
    candidates: Sequence[str] | None = None,
) -> TrainResult:
    """Compare candidate models on ``frame`` to predict ``target`` and return the best, scored honestly.

    ``findings`` are data-quality findings (``core.data.quality.profile(...).findings``); when None,
    Keel runs the checks itself. ``split``: "random" (stratified for classification), "time"
    (the latest 20% of rows by ``date_column`` are the test part) or "auto" (= random; see
    :func:`suggest_split`). Comparing candidates may take 85% of ``time_budget_s`` (the rest is for
    training the winner on all rows): a candidate whose next fold would not fit stops early, and
    candidates still waiting are skipped, each with a note. ``progress(fraction, text)`` is called
    as candidates finish. ``candidates`` limits the algorithms tried (keys of
    :data:`core.models.candidates.CANDIDATES`); the baseline always runs.
    """
    started = time.perf_counter()
    report = progress or (lambda fraction, text: None)
    checked = check_table(frame, target, task)
    kept, task = checked.rows, checked.task
    notes = (
        [f"{number(checked.dropped)} rows have no value in '{target}' and were left out."] if checked.dropped else []
    )
    warns = list(checked.warnings)  # rows left out beyond empty targets change what the model learns: say it loudly
    plan = _plan_columns(
        kept, target, _findings(kept, target) if findings is None else findings, include, exclude, task
    )
    notes.extend(plan.notes)
    sp = _split(kept, target, task, split, date_column, seed, notes)
    data = _model_inputs(kept, sp, plan, target, task)
    balanced = _weigh_outcomes(task, data.y_train, notes)
    primary = primary_metric(task, len(sp.classes))

    cv = _cv_positions(len(sp.train_idx), sp.kind, task, data.fit_train, seed, notes)
    folds = make_folds(task, sp.kind, data.fit_train[cv], len(cv), seed)
    shape = TableShape(task, data.numeric, data.categorical, len(cv), balanced, seed)
    contenders = [(c, c.build(shape)) for c in lineup(task, candidates)]
    deadline = started + COMPARE_SHARE * float(time_budget_s)
    rows = _compare(contenders, data.X_train.iloc[cv], data.fit_train[cv], folds, task, sp.classes, deadline, report)

    return _finish(
        task,
        target,
        plan,
        sp,
        data,
        contenders,
        rows,
        folds,
        cv,
        primary,
        notes,
        warns,
        seed,
        report,
        checked.dropped,
        started,
    )


def _finish(
    task: str,
    target: str,
    plan: FeaturePlan,
    sp: _Split,
    data: _Inputs,
    contenders: list[tuple[Candidate, Any]],
    rows: list[LeaderboardRow],
    folds: Folds,
    cv: np.ndarray,
    primary: str,
    notes: list[str],
    warns: list[str],
    seed: int,
    report: Progress,
    dropped: int,
    started: float,
) -> TrainResult:
    """Choose the winner, train it on every training row, temper its chances if that helps, score it once
    on the hold-out, and say what a user must know before trusting it."""
    best_name, chosen_note = choose_best(rows, primary, len(folds))
    if is_baseline(best_name):
        warns.append("No model could be trained in time, so Keel kept the baseline. Give it more time.")
    report(len(contenders) / (len(contenders) + 1), f"Training {label(best_name)} on all training rows…")
    best, base_metrics = _fit_best(contenders, best_name, data, task, sp.classes)
    tempered = None
    if task == "classification" and not is_baseline(best_name):
        tempered = _temper(contenders, best_name, data.X_train.iloc[cv], data.fit_train[cv], folds, seed)
    temperature = tempered.temperature if tempered is not None else 1.0
    model = KeelModel(
        best, data.schema, task, target, sp.classes, best_name, task == "classification", temperature=temperature
    )
    holdout = _holdout_metrics(model, data, task, sp.classes)
    if tempered is not None and tempered.helps:
        notes.append(tempered.sentence)
    rows = _with_trade_offs(rows, best_name, chosen_note, primary)
    suspects, leak_warning = leak_suspects(model, data.X_test, data.fit_test, holdout, primary, sp.classes, seed)
    warns += leak_warning
    warns += honesty_warnings(task, holdout, base_metrics, plan, data.y_train, best_name, primary, rows)
    if task == "classification":
        warns += calibration_warning(holdout)
    report(1.0, f"Done: {label(best_name)} chosen.")
    return TrainResult(
        task=task,
        target=target,
        model=model,
        leaderboard=tuple(rows),
        holdout_metrics=holdout,
        baseline_metrics=base_metrics,
        feature_plan=plan,
        split=SplitInfo(
            sp.kind, sp.date_column, len(sp.train_idx), len(sp.test_idx), len(folds), len(cv), sp.description
        ),
        warnings=tuple(warns),
        notes=tuple(notes),
        X_test=data.test_rows.drop(columns=[target]),
        y_test=pd.Series(sp.labels[sp.test_idx], index=data.test_rows.index, name=target),
        classes=sp.classes,
        seed=seed,
        primary_metric=primary,
        elapsed_seconds=time.perf_counter() - started,
        dropped_rows=dropped,
        leak_suspects=suspects,
        temperature=temperature,
    )


def _joined(note: str, existing: str) -> str:
    return f"{note}; {existing}" if existing else note

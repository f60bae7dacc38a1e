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
from core.models.columns import (
    MIN_ROWS,
    YEAR_NAMES,
    FeaturePlan,
    LeftOut,
    SplitSuggestion,
    detect_task,
    quote_list,
    select_features,
    suggest_split,
)
from core.models.crossval import Folds, LeaderboardRow, cross_validate, make_folds, score, skipped
from core.models.features import build_schema, input_columns, prepare_features, to_category_text, to_datetime
from core.models.metrics import classification_metrics, ece_score, regression_metrics
from core.models.model import KeelModel
from core.vocab import (
    CLASSIFICATION_METRICS,
    LOWER_IS_BETTER,
    REGRESSION_METRICS,
    date,
    format_metric,
    metric_label,
    metric_phrase,
    number,
    percent,
)

MAX_CV_ROWS = 50_000
HOLDOUT_SHARE = 0.2
IMBALANCE_SHARE = 0.20
TOO_GOOD = 0.99
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


def choose_best(rows: Sequence[LeaderboardRow], primary: str, n_folds: int) -> tuple[str, str]:
    """The algorithm to keep, and the note saying why.

    The best cross-validated ``primary`` score wins, except that a simpler candidate (rows are
    listed simplest first) within one standard error of it is preferred: the difference is noise,
    and the simpler model is faster, smaller and easier to explain. The baseline only when nothing
    else could be scored.
    """

    def rank(row: LeaderboardRow) -> float:
        value = row.metrics.get(primary)
        if value is None:
            return -math.inf
        return -value if primary in LOWER_IS_BETTER else value

    scored = [r for r in rows if not is_baseline(r.algorithm) and r.metrics.get(primary) is not None]
    if not scored:
        return next((r.algorithm for r in rows if is_baseline(r.algorithm)), "baseline"), "chosen"
    top = max(scored, key=rank)
    spread = (top.cv_std.get(primary) or 0.0) / math.sqrt(max(1, n_folds))
    simplest = next(r for r in scored if rank(top) - rank(r) <= spread)
    if simplest.algorithm == top.algorithm:
        return top.algorithm, "chosen"
    return simplest.algorithm, (
        f"chosen: within noise of {label(top.algorithm)} "
        f"({metric_phrase(primary)} {format_metric(primary, top.metrics[primary])}), and simpler"
    )


def _fit_best(
    contenders: list[tuple[Candidate, Any]], best_name: str, data: _Inputs, task: str, classes: tuple[Any, ...]
) -> tuple[Any, dict[str, float | None], dict[str, float | None]]:
    """Train the winner and the baseline on every training row: (the winner, its hold-out metrics, the
    baseline's hold-out metrics)."""
    best = clone(next(est for c, est in contenders if c.key == best_name))
    baseline = clone(next(est for c, est in contenders if c.baseline))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        best.fit(data.X_train, data.fit_train)
        baseline.fit(data.X_train, data.fit_train)
        metrics = (score(m, data.X_test, data.fit_test, task, classes) for m in (best, baseline))
        return best, next(metrics), next(metrics)


def _findings(frame: pd.DataFrame, target: str) -> list[Any]:
    """Data-quality findings from core.data.quality (ID-like columns, leakage, personal data…)."""
    from core.data import quality

    return list(quality.profile(frame, target).findings)


# --------------------------------------------------------------------------- honest warnings


def _honesty_warnings(
    task: str,
    holdout: dict[str, float | None],
    baseline: dict[str, float | None],
    plan: FeaturePlan,
    y_train: np.ndarray,
    best: str,
    primary: str,
    rows: list[LeaderboardRow],
) -> list[str]:
    """What a user must know before trusting the scores: too good to be true, accuracy that only
    reflects a common answer, no better than the baseline, worse than the baseline on the test rows."""
    out = _too_good(task, holdout, plan)
    if task == "classification":
        out += _accuracy_paradox(holdout, baseline, y_train)
    if not is_baseline(best):
        out += _no_better_than_baseline(rows, best, primary, plan.target)
        out += _worse_on_test_rows(holdout, baseline, primary)
    return out


def _too_good(task: str, holdout: dict[str, float | None], plan: FeaturePlan) -> list[str]:
    key = "r2" if task == "regression" else ("roc_auc" if holdout.get("roc_auc") is not None else "balanced_accuracy")
    score_ = holdout.get(key)
    if score_ is None or score_ <= TOO_GOOD:
        return []
    said = f"{metric_label(key)} of {format_metric(key, score_)}"
    leaky = [x.column for x in (*plan.put_back, *plan.watch) if x.code in ("target_leakage", "id_like")]
    if leaky:
        return [
            f"{said} is too good to be true: the model uses {quote_list(leaky)}, which Keel flagged as likely "
            "giving away the answer. The model will not do this well on new rows, where that value is not known "
            "yet. Leave it out and train again."
        ]
    if score_ > 0.999 and (holdout.get("balanced_accuracy") or holdout.get("r2") or 0) > 0.999:
        return [
            f"{said} is almost perfect. Check that no column is filled in after the outcome is known (it would "
            "give away the answer)."
        ]
    return []


def _accuracy_paradox(
    holdout: dict[str, float | None], baseline: dict[str, float | None], y_train: np.ndarray
) -> list[str]:
    counts = pd.Series(y_train).value_counts(normalize=True)
    majority, share = counts.index[0], float(counts.iloc[0])
    base_acc = baseline.get("accuracy")
    if share < 1 - IMBALANCE_SHARE or base_acc is None:
        return []
    other = " or ".join(f"'{c}'" for c in counts.index[1:3])
    return [
        f"Accuracy {format_metric('accuracy', base_acc)} is what always answering '{majority}' would get: look at "
        f"balanced accuracy instead (it counts {other} as much as '{majority}'). This model's balanced accuracy "
        f"is {format_metric('balanced_accuracy', holdout.get('balanced_accuracy'))}."
    ]


def _no_better_than_baseline(rows: list[LeaderboardRow], best: str, primary: str, target: str) -> list[str]:
    best_row = next((r for r in rows if r.algorithm == best), None)
    base_row = next((r for r in rows if is_baseline(r.algorithm)), None)
    if best_row is None or base_row is None:
        return []
    b, m = base_row.metrics.get(primary), best_row.metrics.get(primary)
    if b is None or m is None:
        return []
    gain = (b - m) if primary in LOWER_IS_BETTER else (m - b)
    if gain >= 0.02:
        return []
    return [
        "The best model is hardly better than the baseline, which ignores every column: the columns "
        f"may not hold what it takes to predict '{target}'."
    ]


def _worse_on_test_rows(holdout: dict[str, float | None], baseline: dict[str, float | None], primary: str) -> list[str]:
    hb, hm = baseline.get(primary), holdout.get(primary)
    if hb is None or hm is None:
        return []
    behind = (hm - hb) if primary in LOWER_IS_BETTER else (hb - hm)  # as the gain above, reversed
    if behind <= 0.02:
        return []
    return [
        f"On the test rows the model did worse than the baseline, which ignores every column "
        f"({metric_phrase(primary)} {format_metric(primary, hm)} against {format_metric(primary, hb)}): what it "
        "learned did not hold for rows it had not seen. Look for extreme values or mistakes in the columns (see "
        "the data-quality warnings), or use more rows, before relying on it."
    ]


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

    best_name, chosen_note = choose_best(rows, primary, len(folds))
    if is_baseline(best_name):
        warns.append("No model could be trained in time, so Keel kept the baseline. Give it more time.")
    report(len(contenders) / (len(contenders) + 1), f"Training {label(best_name)} on all training rows…")
    best, holdout, base_metrics = _fit_best(contenders, best_name, data, task, sp.classes)
    rows = [r if r.algorithm != best_name else replace(r, note=_joined(chosen_note, r.note)) for r in rows]
    model = KeelModel(best, data.schema, task, target, sp.classes, best_name, fitted_on_codes=task == "classification")
    warns += _honesty_warnings(task, holdout, base_metrics, plan, data.y_train, best_name, primary, rows)
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
        dropped_rows=checked.dropped,
    )


def _joined(note: str, existing: str) -> str:
    return f"{note}; {existing}" if existing else note

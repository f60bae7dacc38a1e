"""Train and compare models honestly, then hand back the best one with its hold-out scores.

The recipe, in the order it runs:

1. **Check the input** (:func:`_validate`): the target exists, has values, has at least two
   outcomes, and there are enough rows. Each problem is an ``InputError`` with a hint.
2. **Choose the columns** (:func:`select_features`): ID-like columns, likely copies of the
   target, personal data, constant and empty columns and free text are left out by default, each
   with a reason in plain words; the user can put any of them back with ``include``. Date columns
   are turned into year, month and day-of-week numbers.
3. **Split once**: a hold-out part (20%) is set aside before anything is fitted — stratified at
   random, or the latest rows when the user picks a time-ordered split.
4. **Compare candidates by cross-validation on the training part only**: a baseline that
   ignores the columns, a linear model, a random forest and gradient boosting. Every
   preprocessing step (imputation, scaling, encoding) sits inside a scikit-learn ``Pipeline`` and
   is refitted in each fold, so nothing learned from a validation fold leaks into training.
5. **Pick the best by the primary metric** — ROC AUC for two outcomes (it does not depend on
   how rare the positive outcome is), balanced accuracy for more than two outcomes (every
   outcome counts equally, so a rare one is not ignored), R² for numbers — refit it on the whole
   training part and score it once on the hold-out, next to the baseline on the same rows.
"""

from __future__ import annotations

import functools
import io
import math
import re
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import joblib
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.model_selection import KFold, StratifiedKFold, TimeSeriesSplit, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from core.errors import InputError
from core.models.encoding import CategoryCodes
from core.models.features import build_schema, input_columns, prepare_features, to_category_text, to_datetime
from core.models.metrics import classification_metrics, regression_metrics
from core.models.model import KeelModel, aligned_proba
from core.vocab import CLASSIFICATION_METRICS, LOWER_IS_BETTER, REGRESSION_METRICS

MIN_ROWS = 20
MIN_ROWS_PER_CLASS = 2
RARE_SHARE = 0.01  # outcomes seen once, in at most 1 % of rows: stray answers, left out with a note
MAX_CLASSES = 50
MAX_CV_ROWS = 50_000
HOLDOUT_SHARE = 0.2
IMBALANCE_SHARE = 0.20
TOO_GOOD = 0.99
MAX_CATEGORIES = 20


ALGORITHM_LABELS = {
    "baseline": "Baseline (ignores the columns)",
    "logistic_regression": "Linear model (logistic regression)",
    "ridge": "Linear model (ridge regression)",
    "random_forest": "Random forest",
    "hist_gradient_boosting": "Gradient boosting",
}

Progress = Callable[[float, str], None]


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class LeftOut:
    column: str
    code: str  # id_like | target_leakage | pii | constant | empty | text | excluded
    reason: str  # plain words, e.g. "looks like an ID: every value is different"


@dataclass(frozen=True)
class FeaturePlan:
    target: str
    used: tuple[str, ...]
    kinds: dict[str, str]  # used column -> numeric | boolean | categorical | datetime
    left_out: tuple[LeftOut, ...]  # left out (by default or by the user), with the reason
    put_back: tuple[LeftOut, ...] = ()  # columns Keel would leave out but the user included
    notes: tuple[str, ...] = ()
    watch: tuple[LeftOut, ...] = ()  # used, but flagged as a possible leak (weaker evidence)

    def reason_for(self, column: str) -> str | None:
        for item in (*self.left_out, *self.put_back):
            if item.column == column:
                return item.reason
        return None


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
        return ALGORITHM_LABELS.get(self.algorithm, self.algorithm)


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
class SplitSuggestion:
    split: str
    date_column: str | None
    reason: str


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


# --------------------------------------------------------------------------- task detection


def detect_task(y: pd.Series) -> str:
    """'classification' or 'regression' from the target's values.

    Text, yes/no and any column with at most two distinct values → classification. Whole numbers
    with at most 10 distinct values and at least 20 rows per distinct value on average (e.g. a 1–5
    rating in a big table) → classification. Any other numbers → regression.
    """
    values = y.dropna()
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        return "classification"
    n_unique = int(values.nunique())
    if n_unique <= 2:
        return "classification"
    as_float = values.astype(float)
    whole = bool(np.all(np.isfinite(as_float)) and np.all(np.mod(as_float, 1) == 0))
    if whole and n_unique <= 10 and len(values) >= 20 * n_unique:
        return "classification"
    return "regression"


def suggest_split(frame: pd.DataFrame, target: str) -> SplitSuggestion:
    """Suggest a time-ordered split when the table has a date column (the user decides)."""
    for column in frame.columns:
        if column == target:
            continue
        if _is_datetime(frame[column]):
            return SplitSuggestion(
                "time",
                str(column),
                f"'{column}' holds dates. If the model will score future rows, test it on the latest "
                "rows (a time-ordered split): that is how it will be used.",
            )
    return SplitSuggestion("random", None, "No date column: a random split is the fair test.")


# --------------------------------------------------------------------------- choosing columns


_ID_NAMES = re.compile(r"(?i:(^|[_\s.-])(id|key|uuid|guid|no\.?|nr\.?|number)$|^id([_\s.-]|$))|[a-z](Id|ID)$")
# one row per year (1950, 1951, ...) is a trend, not an ID: calendar years or a column named like one
_YEAR_NAMES = re.compile(r"(?i)(^|[^a-z])(year|yr|jahr|annee|año|ano)s?($|[^a-z])")


def _is_datetime(series: pd.Series) -> bool:
    if pd.api.types.is_datetime64_any_dtype(series):
        return True
    if not (pd.api.types.is_string_dtype(series) or pd.api.types.is_object_dtype(series)):
        return False
    sample = series.dropna().astype(str).head(200)
    if len(sample) < 5 or not sample.str.contains(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}", regex=True).mean() >= 0.9:
        return False
    return bool(to_datetime(sample).notna().mean() >= 0.95)


def _column_kind(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "boolean"
    if pd.api.types.is_numeric_dtype(series):
        return "numeric"
    if _is_datetime(series):
        return "datetime"
    return "categorical"


def _structural_reason(name: str, series: pd.Series, kind: str) -> LeftOut | None:
    """Columns a model cannot use well whatever the data-quality checks say."""
    values = series.dropna()
    n = len(series)
    if len(values) == 0:
        return LeftOut(name, "empty", "is empty: every value is missing")
    n_unique = int(values.nunique())
    if n_unique == 1:
        return LeftOut(name, "constant", f"has the same value in every row ({values.iloc[0]!r}), so it tells nothing")
    if kind == "categorical":
        text = values.head(2000).astype(str)  # a sample is enough to tell sentences from labels
        mean_len = float(text.str.len().mean())
        words = float(text.str.count(r"\s+").mean()) + 1
        if mean_len > 40 or (words >= 4 and n_unique > 0.5 * len(values)):
            return LeftOut(name, "text", "holds free text (sentences), which Keel does not learn from yet")
        if n >= MIN_ROWS and n_unique >= 0.95 * len(values):
            return LeftOut(
                name, "id_like", "looks like an ID: almost every value is different, so it cannot generalise"
            )
    if kind == "numeric" and n >= MIN_ROWS and n_unique == len(values):
        as_float = values.astype(float)
        whole = bool(np.all(np.mod(as_float, 1) == 0))
        steps = np.diff(np.sort(as_float.to_numpy()))
        years = bool(_YEAR_NAMES.search(str(name))) or (len(values) <= 250 and bool(as_float.between(1000, 2200).all()))
        if whole and (_ID_NAMES.search(str(name)) or (not years and len(steps) and np.all(steps == 1))):
            return LeftOut(name, "id_like", "looks like an ID: a different whole number in every row")
    return None


def _copies_target(series: pd.Series, y: pd.Series, task: str) -> bool:
    """True when a column is the target under another name (one-to-one, or near-perfect correlation)."""
    pair = pd.DataFrame({"x": series, "y": y}).dropna()
    if len(pair) < 10:
        return False
    if task == "regression":
        if not pd.api.types.is_numeric_dtype(pair["x"]) or pd.api.types.is_bool_dtype(pair["x"]):
            return False
        x = pair["x"].astype(float)
        if x.std() == 0 or pair["y"].astype(float).std() == 0:
            return False
        return bool(abs(np.corrcoef(x, pair["y"].astype(float))[0, 1]) >= 0.999)
    if pair["x"].nunique() != pair["y"].nunique():  # quick exit for almost every column
        return False
    x_codes, _ = pd.factorize(pair["x"])
    y_codes, _ = pd.factorize(pair["y"])
    pairs = pd.unique(x_codes.astype(np.int64) * (int(y_codes.max()) + 1) + y_codes)
    return bool(len(pairs) == pair["x"].nunique())


def select_features(
    frame: pd.DataFrame,
    target: str,
    findings: Iterable[Any] = (),
    *,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    task: str | None = None,
) -> FeaturePlan:
    """Decide which columns the model learns from, and say why the others are left out.

    Left out by default: ID-like columns, likely copies of the target (critical ``target_leakage``
    findings, or a column that maps one-to-one onto the target; a weaker leakage finding keeps the
    column, listed in ``watch`` with a note), personal data (``pii``),
    constant and empty columns, and free text. ``include`` puts any of them back (the reason is
    kept in ``put_back`` so a too-good score can be explained); ``exclude`` leaves more out.
    Date columns are used as year, month and day of the week.
    """
    _check_names(frame, include, "include")
    _check_names(frame, exclude, "exclude")
    both = sorted(set(include) & set(exclude))
    if both:
        raise InputError(
            f"{_quote_list(both)} {'is' if len(both) == 1 else 'are'} both included and excluded.",
            "Keep each column in only one of the two lists.",
        )
    y = frame[target] if target in frame.columns else None
    task = task or (detect_task(y) if y is not None and y.notna().any() else "classification")
    flagged: dict[str, LeftOut] = {}
    suspects: dict[str, LeftOut] = {}
    for finding in findings:
        column = getattr(finding, "column", None)
        code = getattr(finding, "code", "")
        if column is None or column == target or column not in frame.columns or column in flagged:
            continue
        if code == "id_like":
            flagged[column] = LeftOut(column, "id_like", "looks like an ID, so it cannot generalise to new rows")
        elif code == "target_leakage" and getattr(finding, "severity", "critical") != "critical":
            suspects[column] = LeftOut(
                column,
                "target_leakage",
                f"predicts '{target}' suspiciously well on its own; make sure its value is known before the outcome",
            )
        elif code == "target_leakage":
            flagged[column] = LeftOut(
                column,
                "target_leakage",
                f"may give away the answer: it predicts '{target}' suspiciously well (often it is filled in after the outcome is known)",
            )
        elif code == "pii":
            flagged[column] = LeftOut(
                column, "pii", "holds personal data (names, emails, phone numbers); a model should not learn from it"
            )
        elif code == "constant_column":
            flagged[column] = LeftOut(column, "constant", "has the same value in every row, so it tells nothing")

    used: list[str] = []
    kinds: dict[str, str] = {}
    left_out: list[LeftOut] = []
    put_back: list[LeftOut] = []
    watch: list[LeftOut] = []
    notes: list[str] = []
    for name in frame.columns:
        if name == target:
            continue
        col = frame[name]
        kind = _column_kind(col)
        if name in exclude:
            left_out.append(LeftOut(name, "excluded", "left out by you"))
            continue
        reason = flagged.get(name) or _structural_reason(name, col, kind)
        if reason is None and y is not None and _copies_target(col, y, task):
            reason = LeftOut(
                name,
                "target_leakage",
                f"holds the same information as '{target}' (it is the answer under another name)",
            )
        if reason is not None and name not in include:
            left_out.append(reason)
            continue
        if reason is not None:
            put_back.append(reason)
        if kind == "datetime":
            notes.append(f"'{name}' holds dates: Keel uses its year, month and day of the week.")
        if reason is None and name in suspects:
            watch.append(suspects[name])
            notes.append(f"'{name}' is used, but it {suspects[name].reason}.")
        used.append(name)
        kinds[name] = kind
    return FeaturePlan(target, tuple(used), kinds, tuple(left_out), tuple(put_back), tuple(notes), tuple(watch))


def _check_names(frame: pd.DataFrame, names: Sequence[str], what: str) -> None:
    unknown = [n for n in names if n not in frame.columns]
    if unknown:
        raise InputError(
            f"The table has no column named {_quote_list(unknown)} (in '{what}').",
            f"Use column names exactly as in the table: {_quote_list(list(map(str, frame.columns))[:12])}.",
        )


def _quote_list(items: Sequence[Any]) -> str:
    return ", ".join(f"'{i}'" for i in items)


# --------------------------------------------------------------------------- metrics


def primary_metric(task: str, n_classes: int) -> str:
    if task == "regression":
        return "r2"
    return "roc_auc" if n_classes == 2 else "balanced_accuracy"


# --------------------------------------------------------------------------- candidates


def _preprocessor(style: str, numeric: list[str], categorical: list[str]) -> ColumnTransformer:
    """Preprocessing refitted inside every fold: median imputation (+ missing flags) and scaling
    for the linear model; category codes (at most 20 per column, rare and unseen values pooled)
    one-hot encoded for the linear model, as integer codes for the trees."""
    parts: list[tuple[str, Any, list[str]]] = []
    if style == "linear":
        if numeric:
            parts.append(
                (
                    "num",
                    Pipeline(
                        [("impute", SimpleImputer(strategy="median", add_indicator=True)), ("scale", StandardScaler())]
                    ),
                    numeric,
                )
            )
        if categorical:
            parts.append(
                (
                    "cat",
                    Pipeline(
                        [
                            ("codes", CategoryCodes(MAX_CATEGORIES, 5, missing="code")),
                            ("encode", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
                        ]
                    ),
                    categorical,
                )
            )
    elif style == "forest":
        if numeric:
            parts.append(("num", SimpleImputer(strategy="median", add_indicator=True), numeric))
        if categorical:
            parts.append(("cat", CategoryCodes(MAX_CATEGORIES, 5, missing="code"), categorical))
    else:  # "boosting": NaN handled natively, categories as codes with missing as NaN
        if numeric:
            parts.append(("num", "passthrough", numeric))
        if categorical:
            parts.append(("cat", CategoryCodes(MAX_CATEGORIES, 5, missing="nan"), categorical))
    return ColumnTransformer(parts, remainder="drop", sparse_threshold=0.0)  # dense: at most ~20 codes a column


def _candidates(
    task: str, numeric: list[str], categorical: list[str], n_fit: int, balanced: bool, seed: int
) -> list[tuple[str, Pipeline]]:
    weight = "balanced" if balanced else None
    leaf = max(1, n_fit // 4000)  # keeps each tree to a few thousand leaves on big tables
    max_samples = min(1.0, 20_000 / n_fit) if n_fit > 20_000 else None
    cat_mask = [False] * len(numeric) + [True] * len(categorical)
    jobs = 1 if n_fit < 20_000 else 2  # threads cost more than they save on small tables
    rounds = 100 if n_fit < 10_000 else 200  # big tables stop early on their own
    hgb_cats: Any = cat_mask if categorical else None

    def pipe(style: str, model: Any) -> Pipeline:
        return Pipeline([("prepare", _preprocessor(style, numeric, categorical)), ("model", model)])

    trees = 100 if n_fit <= 20_000 else 50
    if task == "classification":
        return [
            ("baseline", Pipeline([("model", DummyClassifier(strategy="prior"))])),
            ("logistic_regression", pipe("linear", LogisticRegression(max_iter=1000, class_weight=weight))),
            (
                "hist_gradient_boosting",
                pipe(
                    "boosting",
                    HistGradientBoostingClassifier(
                        max_iter=rounds, categorical_features=hgb_cats, class_weight=weight, random_state=seed
                    ),
                ),
            ),
            (
                "random_forest",
                pipe(
                    "forest",
                    RandomForestClassifier(
                        n_estimators=trees,
                        min_samples_leaf=leaf,
                        max_samples=max_samples,
                        n_jobs=jobs,
                        class_weight="balanced_subsample" if balanced else None,
                        random_state=seed,
                    ),
                ),
            ),
        ]
    return [
        ("baseline", Pipeline([("model", DummyRegressor(strategy="mean"))])),
        ("ridge", pipe("linear", RidgeCV(alphas=np.logspace(-3, 3, 13)))),
        (
            "hist_gradient_boosting",
            pipe(
                "boosting",
                HistGradientBoostingRegressor(max_iter=rounds, categorical_features=hgb_cats, random_state=seed),
            ),
        ),
        (
            "random_forest",
            pipe(
                "forest",
                RandomForestRegressor(
                    n_estimators=trees,
                    min_samples_leaf=max(leaf, 2),
                    max_features=0.5,
                    max_samples=max_samples,
                    n_jobs=jobs,
                    random_state=seed,
                ),
            ),
        ),
    ]


def _score(est: Any, X: pd.DataFrame, y: np.ndarray, task: str, classes: tuple[Any, ...]) -> dict[str, float | None]:
    """Metrics of a fitted pipeline; for classification ``y`` holds codes 0..k-1 of ``classes``."""
    if task == "classification":
        codes = tuple(range(len(classes)))
        return classification_metrics(y, aligned_proba(est, X, codes), codes)
    return regression_metrics(y, est.predict(X))


def _serialized_size(est: Any) -> int:
    buffer = io.BytesIO()
    joblib.dump(est, buffer, compress=3)
    return len(buffer.getvalue())


def _clone(est: Pipeline) -> Pipeline:
    from sklearn.base import clone

    return clone(est)


def _cross_validate(
    name: str,
    est: Pipeline,
    X: pd.DataFrame,
    y: np.ndarray,
    folds: list[tuple[np.ndarray, np.ndarray]],
    task: str,
    classes: tuple[Any, ...],
    deadline: float,
) -> LeaderboardRow:
    keys = CLASSIFICATION_METRICS if task == "classification" else REGRESSION_METRICS
    scores: list[dict[str, float | None]] = []
    fit_times: list[float] = []
    predict_ms: list[float] = []
    fitted: Any = None
    note = ""
    for i, (train_idx, valid_idx) in enumerate(folds):
        if task == "classification" and len(np.unique(y[train_idx])) < 2:
            continue  # an early time-ordered fold with a single outcome teaches nothing
        model = _clone(est)
        started = fold_started = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(X.iloc[train_idx], y[train_idx])
        fit_times.append(time.perf_counter() - started)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scores.append(_score(model, X.iloc[valid_idx], y[valid_idx], task, classes))
            if not predict_ms:  # time scoring on at least 1,000 rows so fixed overheads do not dominate
                batch = X.iloc[np.resize(valid_idx, max(1000, len(valid_idx)))]
                started = time.perf_counter()
                model.predict_proba(batch) if task == "classification" else model.predict(batch)
                predict_ms.append((time.perf_counter() - started) * 1000 * 1000 / len(batch))
        fitted = model
        fold_seconds = time.perf_counter() - fold_started
        if name != "baseline" and i + 1 < len(folds) and time.perf_counter() + fold_seconds > deadline:
            note = f"scored on {len(scores)} of {len(folds)} folds: the time budget ran out"
            break
    if not scores:
        raise ValueError("no fold had two outcomes to learn from")
    means: dict[str, float | None] = {}
    stds: dict[str, float | None] = {}
    for key in keys:
        vals = [s[key] for s in scores if s.get(key) is not None]
        means[key] = float(np.mean(vals)) if vals else None
        stds[key] = float(np.std(vals)) if len(vals) > 1 else (0.0 if vals else None)
    return LeaderboardRow(
        algorithm=name,
        metrics=means,
        cv_std=stds,
        fit_seconds=float(np.mean(fit_times)),
        predict_ms_per_1000=float(np.mean(predict_ms)),
        size_bytes=_serialized_size(fitted),
        note=note,
    )


def _skipped(name: str, task: str, note: str) -> LeaderboardRow:
    keys = CLASSIFICATION_METRICS if task == "classification" else REGRESSION_METRICS
    return LeaderboardRow(name, dict.fromkeys(keys), dict.fromkeys(keys), None, None, None, note)


# --------------------------------------------------------------------------- validation


def _validate(frame: pd.DataFrame, target: str, task: str) -> tuple[pd.DataFrame, str, int, list[str]]:
    """Check the table and target; return (rows kept, task, rows without a target, notes on other rows left out)."""
    if not isinstance(frame, pd.DataFrame) or frame.shape[1] == 0:
        raise InputError("The table has no columns.", "Upload a table with a header row and at least two columns.")
    if target not in frame.columns:
        import difflib

        lowered = {str(c).lower().strip(): str(c) for c in frame.columns}
        close = difflib.get_close_matches(str(target).lower().strip(), list(lowered), n=1, cutoff=0.6)
        hint = f"Did you mean '{lowered[close[0]]}'? " if close else ""
        raise InputError(
            f"The table has no column named '{target}' to predict.",
            hint + f"Choose the target from the table's columns: {_quote_list(list(map(str, frame.columns))[:12])}.",
        )
    y = frame[target]
    if y.notna().sum() == 0:
        raise InputError(
            f"The target column '{target}' is empty: every value is missing.",
            "Choose a column that holds the answer you want to predict, filled in for past rows.",
        )
    if task == "auto":
        task = detect_task(y)
    if task not in ("classification", "regression"):
        raise InputError(f"'{task}' is not a task Keel knows.", "Use 'auto', 'classification' or 'regression'.")
    kept = frame[y.notna()]
    dropped = len(frame) - len(kept)
    y = kept[target]
    if task == "regression":
        numbers = pd.to_numeric(y, errors="coerce") if not pd.api.types.is_bool_dtype(y) else y.astype(float)
        bad = y[numbers.isna()]
        if len(bad):
            raise InputError(
                f"'{target}' holds {len(bad)} values that are not numbers (first: {str(bad.iloc[0])!r}), "
                "so Keel cannot predict it as a number.",
                "Choose 'classification' to predict it as a category, or fix those values in the file.",
            )
        if not np.isfinite(numbers.astype(float)).all():
            raise InputError(
                f"'{target}' holds infinite values, which cannot be predicted.",
                "Replace them with real numbers, or remove those rows.",
            )
        if numbers.nunique() < 2:
            raise InputError(
                f"Every row has the same value in '{target}' ({numbers.iloc[0]!r}), so there is nothing to learn.",
                "A model needs examples of different outcomes. Add rows with other values, or choose another target.",
            )
    else:
        counts = y.astype(str).value_counts() if not pd.api.types.is_numeric_dtype(y) else y.value_counts()
        if len(counts) < 2:
            raise InputError(
                f"Every row has the same value in '{target}' ({counts.index[0]!r}), so there is nothing to learn.",
                "A model needs examples of at least two different outcomes. Add rows with other outcomes, "
                "or choose another target.",
            )
        if len(counts) > MAX_CLASSES:
            raise InputError(
                f"'{target}' has {len(counts)} different values; classification works with a handful of outcomes "
                f"(at most {MAX_CLASSES}).",
                "If it is a number, choose 'regression'. Otherwise group rare outcomes together, or choose another target.",
            )
    if len(kept) < MIN_ROWS:
        raise InputError(
            f"Only {len(kept)} rows have a value in '{target}'; Keel needs at least {MIN_ROWS} to train a model "
            "and check it on rows it has not seen.",
            "Add more rows (a few hundred is a good start).",
        )
    notes: list[str] = []
    if task == "classification":
        counts = y.value_counts()
        rare = counts[counts < MIN_ROWS_PER_CLASS]
        if len(rare) and rare.sum() >= 0.5 * len(kept) and len(counts) > 10:  # most rows: a name each
            raise InputError(
                f"'{target}' has {len(counts)} different values in {len(kept)} rows, most of them in one row only: "
                "it looks like a name or an ID, not an outcome to predict.",
                "Choose the column that holds the outcome (a handful of values that repeat), or choose "
                "'regression' if it is a number.",
            )
        names = _quote_list([str(v) for v in rare.index[:5]]) + (
            f" (and {len(rare) - 5} more)" if len(rare) > 5 else ""
        )
        one = len(rare) == 1
        if len(rare) and rare.sum() <= RARE_SHARE * len(kept) and len(counts) - len(rare) >= 2:
            # a few stray answers (typed by hand, once each) in a real outcome column: leave those rows out
            kept = kept[~y.isin(rare.index)]
            n_rare = int(rare.sum())
            notes.append(
                f"{n_rare} row{'' if n_rare == 1 else 's'} whose '{target}' appears only once ({names}) "
                "were left out: a model cannot learn an outcome from one example."
            )
        elif len(rare):
            numeric = pd.api.types.is_numeric_dtype(y) and not pd.api.types.is_bool_dtype(y)
            raise InputError(
                f"The value{'' if one else 's'} {names} of '{target}' {'appears' if one else 'each appear'} in only "
                f"one row; each outcome needs at least {MIN_ROWS_PER_CLASS} rows so it can appear in both the "
                "training and the test part.",
                ("If it is an amount or a count, choose 'regression' to predict it as a number. " if numeric else "")
                + f"Otherwise add more rows with {'that outcome' if one else 'those outcomes'}, merge "
                f"{'it' if one else 'them'} with a similar outcome, or remove those rows.",
            )
    return kept, task, dropped, notes


# --------------------------------------------------------------------------- training


def _folds(task: str, split_kind: str, y: np.ndarray, n_rows: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    k = 5 if n_rows < 10_000 else 3
    dummy = np.zeros(n_rows)
    if split_kind == "time":
        return list(TimeSeriesSplit(n_splits=k).split(dummy))
    if task == "classification":
        smallest = int(pd.Series(y).value_counts().min())
        if smallest < 2:  # an outcome with one training row cannot be spread over folds
            return list(KFold(n_splits=min(k, max(2, n_rows // 5)), shuffle=True, random_state=seed).split(dummy))
        k = max(2, min(k, smallest))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return list(StratifiedKFold(n_splits=k, shuffle=True, random_state=seed).split(dummy, y))
    return list(KFold(n_splits=k, shuffle=True, random_state=seed).split(dummy))


def _label_values(y: pd.Series) -> np.ndarray:
    """Class labels as a numpy array scikit-learn accepts: bool, int64, float64 or object of str."""
    if pd.api.types.is_bool_dtype(y):
        return y.astype(bool).to_numpy()
    if pd.api.types.is_integer_dtype(y) or (pd.api.types.is_float_dtype(y) and bool(np.all(np.mod(y, 1) == 0))):
        return y.astype("int64").to_numpy()
    if pd.api.types.is_numeric_dtype(y):
        return y.astype(float).to_numpy()
    return to_category_text(y).to_numpy()


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

    ``findings`` are data-quality findings (``core.quality.profile(...).findings``); when None,
    Keel runs the checks itself. ``split``: "random" (stratified for classification), "time"
    (the latest 20% of rows by ``date_column`` are the test part) or "auto" (= random; see
    :func:`suggest_split`). Comparing candidates may take 85% of ``time_budget_s`` (the rest is for
    training the winner on all rows): a candidate whose next fold would not fit stops early, and
    candidates still waiting are skipped, each with a note. ``progress(fraction, text)`` is called
    as candidates finish. ``candidates``
    limits the algorithms tried (names as in :data:`ALGORITHM_LABELS`); the baseline always runs.
    """
    started = time.perf_counter()
    report = progress or (lambda fraction, text: None)
    kept, task, dropped, checked = _validate(frame, target, task)
    notes: list[str] = []
    warns: list[str] = []
    if dropped:
        notes.append(f"{dropped} rows have no value in '{target}' and were left out.")
    warns.extend(checked)  # rows left out beyond empty targets change what the model learns from: say it loudly

    if findings is None:
        findings = _findings(kept, target)
    plan = select_features(kept, target, findings, include=include, exclude=exclude, task=task)
    if not plan.used:
        reasons = "; ".join(f"'{x.column}' {x.reason}" for x in plan.left_out[:6])
        others = [c for c in kept.columns if c != target]
        timed = others and all(
            pd.api.types.is_datetime64_any_dtype(kept[c])
            or _YEAR_NAMES.search(str(c))
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
    notes.extend(plan.notes)

    # ----- the split
    if split == "auto":
        split = "random"
        suggestion = suggest_split(kept, target)
        if suggestion.split == "time" and date_column is None:
            notes.append(suggestion.reason)
    if split not in ("random", "time"):
        raise InputError(f"'{split}' is not a way to split the data.", "Use 'auto', 'random' or 'time'.")
    y_raw = kept[target]
    if task == "classification":
        y_all = _label_values(y_raw)
        uniques, codes_all = np.unique(y_all, return_inverse=True)
        classes: tuple[Any, ...] = tuple(uniques.tolist())
    else:
        y_all = pd.to_numeric(y_raw, errors="coerce").astype(float).to_numpy()
        codes_all = y_all
        classes = ()
    index = np.arange(len(kept))
    if split == "time":
        if date_column is None:
            suggestion = suggest_split(kept, target)
            date_column = suggestion.date_column
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
        n_test = max(1, int(round(len(kept) * HOLDOUT_SHARE)))
        train_idx, test_idx = order[:-n_test], order[-n_test:]
        cut = stamps.iloc[test_idx].min()
        desc = (
            f"Time-ordered split on '{date_column}': the {len(train_idx)} earliest rows train the model, the "
            f"{n_test} latest (from {cut.date() if hasattr(cut, 'date') else cut}) test it."
        )
    else:
        strat = codes_all if task == "classification" else None
        n_test = max(int(math.ceil(len(index) * HOLDOUT_SHARE)), len(classes))
        if len(index) - n_test < max(len(classes), 2):
            raise InputError(
                f"{len(index)} rows are too few for {len(classes)} different outcomes of '{target}': each outcome "
                "must appear both in the rows that train the model and in the rows that test it.",
                "Add more rows, or group rare outcomes together.",
            )
        train_idx, test_idx = train_test_split(index, test_size=n_test, random_state=seed, shuffle=True, stratify=strat)
        desc = f"Random split: {len(train_idx)} rows train the model, {len(test_idx)} rows set aside to test it" + (
            f" (each outcome of '{target}' in the same proportion)." if task == "classification" else "."
        )
    train_frame, test_frame = kept.iloc[train_idx], kept.iloc[test_idx]
    y_train, y_test = y_all[train_idx], y_all[test_idx]  # labels, for messages and the result
    fit_train, fit_test = codes_all[train_idx], codes_all[test_idx]  # what the models learn from

    # ----- features, imbalance
    schema = build_schema(train_frame, plan.kinds, target=target, task=task, classes=classes)
    X_train = prepare_features(train_frame, schema)
    X_test_prepared = prepare_features(test_frame, schema)
    numeric, categorical = input_columns(schema)
    balanced = False
    if task == "classification":
        shares = pd.Series(y_train).value_counts(normalize=True)
        if shares.min() < IMBALANCE_SHARE:
            balanced = True
            notes.append(
                f"'{shares.idxmin()}' is rare ({shares.min():.0%} of rows), so the models weigh each outcome equally "
                "and are ranked by a measure that counts every outcome fairly."
            )
    primary = primary_metric(task, len(classes))

    # ----- cross-validation on (a sample of) the training part
    cv_rows = len(train_idx)
    cv_positions = np.arange(cv_rows)
    if cv_rows > MAX_CV_ROWS and split != "time":
        cv_positions, _ = train_test_split(
            cv_positions,
            train_size=MAX_CV_ROWS,
            random_state=seed,
            stratify=fit_train if task == "classification" else None,
        )
        cv_positions = np.sort(cv_positions)
        notes.append(
            f"Models were compared on a sample of {MAX_CV_ROWS:,} training rows to save time; "
            f"the best was then trained on all {cv_rows:,}."
        )
    elif cv_rows > MAX_CV_ROWS:
        cv_positions = cv_positions[-MAX_CV_ROWS:]
    X_cv, y_cv = X_train.iloc[cv_positions], fit_train[cv_positions]
    folds = _folds(task, split, y_cv, len(cv_positions), seed)
    all_candidates = _candidates(task, numeric, categorical, len(cv_positions), balanced, seed)
    if candidates is not None:
        known = [name for name, _ in all_candidates]
        unknown = [c for c in candidates if c not in known]
        if unknown:
            raise InputError(
                f"{_quote_list(unknown)} is not an algorithm Keel offers for {task}.",
                f"Choose among {_quote_list(known[1:])}.",
            )
    lineup = [(n, e) for n, e in all_candidates if n == "baseline" or candidates is None or n in candidates]
    # Comparing models may use 85% of the budget; the rest is kept for training the winner on all rows.
    deadline = started + 0.85 * float(time_budget_s)
    rows: list[LeaderboardRow] = []
    total_steps = len(lineup) + 1
    for step, (name, est) in enumerate(lineup):
        if name != "baseline" and time.perf_counter() > deadline:
            rows.append(_skipped(name, task, "skipped: the time budget was spent"))
            report((step + 1) / total_steps, f"Skipped {ALGORITHM_LABELS[name]} (out of time)")
            continue
        report(step / total_steps, f"Trying {ALGORITHM_LABELS[name]}…")
        try:
            rows.append(_cross_validate(name, est, X_cv, y_cv, folds, task, classes, deadline))
        except Exception as exc:  # a candidate failing must not sink the others
            if name == "baseline":
                raise
            rows.append(_skipped(name, task, f"failed ({type(exc).__name__}); the other models were compared"))
        report((step + 1) / total_steps, f"Scored {ALGORITHM_LABELS[name]}")

    # ----- choose, refit, score on the hold-out
    best_name, chosen_note = choose_best(rows, primary, len(folds))
    if best_name == "baseline":
        warns.append("No model could be trained in time, so Keel kept the baseline. Give it more time.")
    report(len(lineup) / total_steps, f"Training {ALGORITHM_LABELS[best_name]} on all training rows…")
    estimators = dict(lineup)
    best = _clone(estimators[best_name])
    baseline = _clone(estimators["baseline"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        best.fit(X_train, fit_train)
        baseline.fit(X_train, fit_train)
        holdout = _score(best, X_test_prepared, fit_test, task, classes)
        base_metrics = _score(baseline, X_test_prepared, fit_test, task, classes)
    rows = [r if r.algorithm != best_name else _with_note(r, chosen_note) for r in rows]
    model = KeelModel(best, schema, task, target, classes, best_name, fitted_on_codes=task == "classification")

    warns.extend(_honesty_warnings(task, classes, holdout, base_metrics, plan, y_train, best_name, primary, rows))
    report(1.0, f"Done: {ALGORITHM_LABELS[best_name]} chosen.")
    return TrainResult(
        task=task,
        target=target,
        model=model,
        leaderboard=tuple(rows),
        holdout_metrics=holdout,
        baseline_metrics=base_metrics,
        feature_plan=plan,
        split=SplitInfo(
            split,
            date_column if split == "time" else None,
            len(train_idx),
            len(test_idx),
            len(folds),
            len(cv_positions),
            desc,
        ),
        warnings=tuple(warns),
        notes=tuple(notes),
        X_test=test_frame.drop(columns=[target]),
        y_test=pd.Series(y_test, index=test_frame.index, name=target),
        classes=classes,
        seed=seed,
        primary_metric=primary,
        elapsed_seconds=time.perf_counter() - started,
        dropped_rows=dropped,
    )


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

    scored = [r for r in rows if r.algorithm != "baseline" and r.metrics.get(primary) is not None]
    if not scored:
        return "baseline", "chosen"
    top = max(scored, key=rank)
    spread = (top.cv_std.get(primary) or 0.0) / math.sqrt(max(1, n_folds))
    simplest = next(r for r in scored if rank(top) - rank(r) <= spread)
    if simplest.algorithm == top.algorithm:
        return top.algorithm, "chosen"
    return simplest.algorithm, (
        f"chosen: within noise of {ALGORITHM_LABELS.get(top.algorithm, top.algorithm)} "
        f"({primary} {top.metrics[primary]:.3f}), and simpler"
    )


def _with_note(row: LeaderboardRow, note: str) -> LeaderboardRow:
    from dataclasses import replace

    return replace(row, note=f"{note}; {row.note}" if row.note else note)


def _findings(frame: pd.DataFrame, target: str) -> list[Any]:
    """Data-quality findings from core.quality (ID-like columns, leakage, personal data…)."""
    from core.data import quality

    return list(quality.profile(frame, target).findings)


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _honesty_warnings(
    task: str,
    classes: tuple[Any, ...],
    holdout: dict[str, float | None],
    baseline: dict[str, float | None],
    plan: FeaturePlan,
    y_train: np.ndarray,
    best_name: str,
    primary: str,
    rows: list[LeaderboardRow],
) -> list[str]:
    out: list[str] = []
    score = holdout.get("roc_auc") if task == "classification" else holdout.get("r2")
    if task == "classification" and score is None:
        score = holdout.get("balanced_accuracy")
    leaky = [x.column for x in (*plan.put_back, *plan.watch) if x.code in ("target_leakage", "id_like")]
    metric_name = "ROC AUC" if task == "classification" else "R²"
    if score is not None and score > TOO_GOOD:
        if leaky:
            out.append(
                f"{metric_name} {score:.3f} is too good to be true: the model uses {_quote_list(leaky)}, which Keel "
                "flagged as likely giving away the answer. The model will not do this well on new rows, where that "
                "value is not known yet. Leave it out and train again."
            )
        elif score > 0.999 and (holdout.get("balanced_accuracy") or holdout.get("r2") or 0) > 0.999:
            out.append(
                f"{metric_name} {score:.3f} is almost perfect. Check that no column is filled in after "
                "the outcome is known (it would give away the answer)."
            )
    if task == "classification":
        counts = pd.Series(y_train).value_counts(normalize=True)
        majority, share = counts.index[0], float(counts.iloc[0])
        base_acc = baseline.get("accuracy")
        if share >= 1 - IMBALANCE_SHARE and base_acc is not None:
            other = " or ".join(f"'{c}'" for c in counts.index[1:3])
            out.append(
                f"Accuracy {base_acc:.2f} is what always answering '{majority}' would get: look at balanced accuracy "
                f"instead (it counts {other} as much as '{majority}'). This model's balanced accuracy is "
                f"{_fmt(holdout.get('balanced_accuracy'))}."
            )
    best_row = next((r for r in rows if r.algorithm == best_name), None)
    base_row = next((r for r in rows if r.algorithm == "baseline"), None)
    if best_row and base_row and best_name != "baseline":
        b, m = base_row.metrics.get(primary), best_row.metrics.get(primary)
        if b is not None and m is not None:
            gain = (b - m) if primary in LOWER_IS_BETTER else (m - b)
            if gain < 0.02:
                out.append(
                    "The best model is hardly better than the baseline, which ignores every column: the columns "
                    f"may not hold what it takes to predict '{plan.target}'."
                )
    hb, hm = baseline.get(primary), holdout.get(primary)
    if best_name != "baseline" and hb is not None and hm is not None:
        behind = (hm - hb) if primary in LOWER_IS_BETTER else (hb - hm)  # as the gain above, reversed
        if behind > 0.02:
            label = {"r2": "R²", "roc_auc": "ROC AUC"}.get(primary, primary.replace("_", " "))
            out.append(
                f"On the test rows the model did worse than the baseline, which ignores every column ({label} "
                f"{_fmt(hm)} against {_fmt(hb)}): what it learned did not hold for rows it had not seen. Look for "
                "extreme values or mistakes in the columns (see the data-quality warnings), or use more rows, "
                "before relying on it."
            )
    return out


# --------------------------------------------------------------------------- the CLI's train command


__all__ = [
    "FeaturePlan",
    "LeaderboardRow",
    "LeftOut",
    "SplitInfo",
    "SplitSuggestion",
    "TrainResult",
    "choose_best",
    "classification_metrics",
    "detect_task",
    "primary_metric",
    "regression_metrics",
    "select_features",
    "suggest_split",
    "train",
]

"""The models Keel tries when it trains: one registry, one entry per candidate.

Each :class:`Candidate` carries a stable ``key`` (the leaderboard's and the CLI's ``algorithm``), a plain
``label``, the task(s) it serves, its traits, and a factory that builds its scikit-learn ``Pipeline`` for
the table's shape (:class:`TableShape`). Every preprocessing step sits inside the pipeline, so it is
refitted in each cross-validation fold and nothing learned from a validation fold leaks into training.

To add a candidate, add one entry to :data:`CANDIDATES` (simplest first: when two candidates score within
noise of each other, the earlier one is kept). ``tests/core/test_models_candidates.py`` checks every entry's
contract (fit, predict, chances, the model file round trip, a plain label) and the model file's type
allow-list (``core.models.model.TRUSTED_TYPES``) must cover what its pipeline holds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
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
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from core.errors import InputError
from core.models.encoding import CategoryCodes

TASKS = ("classification", "regression")
MAX_CATEGORIES = 20  # category codes kept per column (rare and unseen values share one more)
MIN_CATEGORY_ROWS = 5  # a category seen in fewer training rows is pooled with the rare ones


@dataclass(frozen=True)
class TableShape:
    """What a factory needs to know about the table a candidate will learn from."""

    task: str  # "classification" | "regression"
    numeric: tuple[str, ...]  # model inputs that are numbers (after core.models.features.prepare_features)
    categorical: tuple[str, ...]  # model inputs that are text categories
    n_rows: int  # rows each fit sees
    balanced: bool = False  # weigh each outcome equally (a rare outcome is not ignored)
    seed: int = 0


@dataclass(frozen=True)
class Candidate:
    key: str  # stable snake_case name: the leaderboard's ``algorithm``
    label: str  # what a user reads
    tasks: tuple[str, ...]  # the tasks it serves
    build: Callable[[TableShape], Pipeline]  # an unfitted pipeline for a table of this shape
    baseline: bool = False  # ignores the columns: always runs, is the yardstick, is kept only if nothing else scores
    handles_missing: bool = False  # learns from missing values itself instead of filling them in
    explains_linearly: bool = False  # one weight per input: its answers are a sum of the inputs' effects

    def serves(self, task: str) -> bool:
        return task in self.tasks


# --------------------------------------------------------------------------- preprocessing


def _codes(missing: str) -> CategoryCodes:
    return CategoryCodes(MAX_CATEGORIES, MIN_CATEGORY_ROWS, missing=missing)


def _prepare_linear(shape: TableShape) -> ColumnTransformer:
    """Median imputation (+ missing flags) and scaling for numbers; category codes one-hot encoded."""
    parts: list[tuple[str, Any, list[str]]] = []
    if shape.numeric:
        numbers = Pipeline(
            [("impute", SimpleImputer(strategy="median", add_indicator=True)), ("scale", StandardScaler())]
        )
        parts.append(("num", numbers, list(shape.numeric)))
    if shape.categorical:
        categories = Pipeline(
            [("codes", _codes("code")), ("encode", OneHotEncoder(handle_unknown="ignore", sparse_output=False))]
        )
        parts.append(("cat", categories, list(shape.categorical)))
    return ColumnTransformer(parts, remainder="drop", sparse_threshold=0.0)


def _prepare_forest(shape: TableShape) -> ColumnTransformer:
    """Median imputation (+ missing flags) for numbers; categories as integer codes."""
    parts: list[tuple[str, Any, list[str]]] = []
    if shape.numeric:
        parts.append(("num", SimpleImputer(strategy="median", add_indicator=True), list(shape.numeric)))
    if shape.categorical:
        parts.append(("cat", _codes("code"), list(shape.categorical)))
    return ColumnTransformer(parts, remainder="drop", sparse_threshold=0.0)  # dense: at most ~20 codes a column


def _prepare_boosting(shape: TableShape) -> ColumnTransformer:
    """Numbers as they are (missing values handled by the model); categories as codes, missing as NaN."""
    parts: list[tuple[str, Any, list[str]]] = []
    if shape.numeric:
        parts.append(("num", "passthrough", list(shape.numeric)))
    if shape.categorical:
        parts.append(("cat", _codes("nan"), list(shape.categorical)))
    return ColumnTransformer(parts, remainder="drop", sparse_threshold=0.0)


def _pipe(prepare: ColumnTransformer, model: Any) -> Pipeline:
    return Pipeline([("prepare", prepare), ("model", model)])


# --------------------------------------------------------------------------- factories


def _baseline(shape: TableShape) -> Pipeline:
    if shape.task == "classification":
        return Pipeline([("model", DummyClassifier(strategy="prior"))])
    return Pipeline([("model", DummyRegressor(strategy="mean"))])


def _logistic_regression(shape: TableShape) -> Pipeline:
    weight = "balanced" if shape.balanced else None
    return _pipe(_prepare_linear(shape), LogisticRegression(max_iter=1000, class_weight=weight))


def _ridge(shape: TableShape) -> Pipeline:
    return _pipe(_prepare_linear(shape), RidgeCV(alphas=np.logspace(-3, 3, 13)))


def _hist_gradient_boosting(shape: TableShape) -> Pipeline:
    rounds = 100 if shape.n_rows < 10_000 else 200  # big tables stop early on their own
    cats: Any = [False] * len(shape.numeric) + [True] * len(shape.categorical) if shape.categorical else None
    if shape.task == "classification":
        model: Any = HistGradientBoostingClassifier(
            max_iter=rounds,
            categorical_features=cats,
            class_weight="balanced" if shape.balanced else None,
            random_state=shape.seed,
        )
    else:
        model = HistGradientBoostingRegressor(max_iter=rounds, categorical_features=cats, random_state=shape.seed)
    return _pipe(_prepare_boosting(shape), model)


def _random_forest(shape: TableShape) -> Pipeline:
    n = shape.n_rows
    leaf = max(1, n // 4000)  # keeps each tree to a few thousand leaves on big tables
    common: dict[str, Any] = {
        "n_estimators": 100 if n <= 20_000 else 50,
        "max_samples": min(1.0, 20_000 / n) if n > 20_000 else None,
        "n_jobs": 1 if n < 20_000 else 2,  # threads cost more than they save on small tables
        "random_state": shape.seed,
    }
    if shape.task == "classification":
        weight = "balanced_subsample" if shape.balanced else None
        model: Any = RandomForestClassifier(min_samples_leaf=leaf, class_weight=weight, **common)
    else:
        model = RandomForestRegressor(min_samples_leaf=max(leaf, 2), max_features=0.5, **common)
    return _pipe(_prepare_forest(shape), model)


# --------------------------------------------------------------------------- the registry

CANDIDATES: tuple[Candidate, ...] = (
    Candidate("baseline", "Baseline (ignores the columns)", TASKS, _baseline, baseline=True, handles_missing=True),
    Candidate(
        "logistic_regression",
        "Linear model (logistic regression)",
        ("classification",),
        _logistic_regression,
        explains_linearly=True,
    ),
    Candidate("ridge", "Linear model (ridge regression)", ("regression",), _ridge, explains_linearly=True),
    Candidate("hist_gradient_boosting", "Gradient boosting", TASKS, _hist_gradient_boosting, handles_missing=True),
    Candidate("random_forest", "Random forest", TASKS, _random_forest),
)

#: key -> label, for code that shows stored leaderboards
ALGORITHM_LABELS = {c.key: c.label for c in CANDIDATES}


def label(key: str) -> str:
    """The plain name of a candidate ('Gradient boosting'); an unknown key as it is."""
    return ALGORITHM_LABELS.get(key, key)


def is_baseline(key: str) -> bool:
    return any(c.key == key and c.baseline for c in CANDIDATES)


def lineup(task: str, wanted: Sequence[str] | None = None) -> list[Candidate]:
    """The candidates to compare for ``task``, simplest first: every one, or the baseline plus ``wanted``.

    An unknown name in ``wanted`` is the user's error (InputError naming what Keel offers)."""
    offered = [c for c in CANDIDATES if c.serves(task)]
    if wanted is None:
        return offered
    known = [c.key for c in offered]
    unknown = [w for w in wanted if w not in known]
    if unknown:
        names = ", ".join(f"'{w}'" for w in unknown)
        choices = ", ".join(f"'{c.key}'" for c in offered if not c.baseline)
        raise InputError(f"{names} is not an algorithm Keel offers for {task}.", f"Choose among {choices}.")
    return [c for c in offered if c.baseline or c.key in wanted]

"""Checking and reading what an evaluation is given: the task, the hold-out rows and their answers, and
what a model says about them (its answers as codes, its chances, the columns it reads)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from core.errors import InputError
from core.models.predict import apply_cutoff
from core.vocab import count, yes_no

TASKS = ("classification", "regression")


#: Target names that say nothing about what 'yes' means: a '1' of 'y' stays '1'.
BARE_TARGETS = frozenset({"y", "target", "label", "class", "outcome", "answer", "result"})


def answer_name(label: Any, target: str | None = None) -> str:
    """An answer as a person reads it: a yes/no answer (1/0, true/false, yes/no: :func:`core.vocab.yes_no`) of
    a target with a telling name is said with that name ('churned', 'not churned' for 'yes', 'no' of
    'churned'); any other answer is itself."""
    text = str(label)
    said = yes_no(text)
    if said is None or not target or str(target).strip().lower() in BARE_TARGETS:
        return text
    return str(target) if said else f"not {target}"


def target_name(X: pd.DataFrame, y: pd.Series) -> str | None:
    """The name of what the model predicts: the answers' name, unless the table holds a column of that name
    (pandas names values computed from a column after it, and an input is never the target)."""
    if y.name is None or y.name in X.columns:
        return None
    return str(y.name)


def quoted(value: Any) -> str:
    """A user's value or column name quoted for a sentence."""
    return f"'{value}'"


def check_task(task: str) -> str:
    if task not in TASKS:
        raise InputError(f"Unknown task {task!r}.", "Use 'classification' or 'regression'.")
    return task


def as_frame(X: Any) -> pd.DataFrame:
    if isinstance(X, pd.DataFrame):
        return X.reset_index(drop=True)
    if isinstance(X, pd.Series):
        return X.to_frame().T.reset_index(drop=True)
    raise InputError(
        "The rows to evaluate on must be a table.", "Pass a pandas DataFrame of the model's input columns."
    )


def prepare_rows(X: Any, y: Any) -> tuple[pd.DataFrame, pd.Series, list[str]]:
    """The rows with a known answer, re-indexed 0..n-1, and notes on what was left out."""
    X = as_frame(X)
    y = pd.Series(y).reset_index(drop=True) if not isinstance(y, pd.Series) else y.reset_index(drop=True)
    if len(X) != len(y):
        raise InputError(
            f"The table has {count(len(X), 'row')} but there are {count(len(y), 'answer')}.",
            "Pass one answer (label) per row of the evaluation table.",
        )
    notes: list[str] = []
    missing = y.isna().to_numpy()
    if missing.any():
        notes.append(f"{count(int(missing.sum()), 'row')} without a known answer were left out.")
        X, y = X.loc[~missing].reset_index(drop=True), y.loc[~missing].reset_index(drop=True)
    if len(y) < 2:
        raise InputError(
            "There are fewer than 2 rows with a known answer to evaluate on.",
            "Use a hold-out set with at least a few dozen labelled rows.",
        )
    if len(y) < 50:
        notes.append(f"Only {count(len(y), 'row')} to check on: treat every number here as rough.")
    return X, y, notes


def model_classes(model: Any) -> np.ndarray:
    classes = getattr(model, "classes_", None)
    if classes is None:
        raise InputError(
            "This model does not list the answers it can give.", "Evaluate it as a regression model, or retrain it."
        )
    return np.asarray(classes)


def answer_codes(y: pd.Series, classes: np.ndarray, what: str = "answers") -> np.ndarray:
    """Each answer as the position of its class (0..k-1); an answer the model never saw is the user's error."""
    idx = pd.Index(classes).get_indexer(pd.Index(y.to_numpy()))
    if (idx < 0).any():  # e.g. classes 0/1 read back as '0'/'1' from a file: match on the text
        as_text = pd.Index([str(c) for c in classes])
        if as_text.is_unique:
            idx = as_text.get_indexer(pd.Index(y.astype(str).to_numpy()))
    if (idx < 0).any():
        unseen = pd.unique(y.to_numpy()[idx < 0])[:3]
        raise InputError(
            f"The {what} include {', '.join(quoted(u) for u in unseen)}, which the model never saw in training "
            f"(it knows {', '.join(quoted(c) for c in classes[:6])}).",
            "Check that you picked the same target column and spelling, or retrain on data that includes these answers.",
        )
    return idx.astype(np.int64)


def predict_proba(model: Any, X: pd.DataFrame) -> np.ndarray | None:
    """The model's chances (one column per class), or None when it gives none."""
    if not hasattr(model, "predict_proba"):
        return None
    proba = np.asarray(model.predict_proba(X), dtype=float)
    return proba if proba.ndim == 2 else None


def answering_cutoff(model: Any, classes: np.ndarray, cutoff: float | None = None) -> float | None:
    """The cut-off a yes/no model's answers follow: ``cutoff`` when given, else the one stored with the model
    (a registered model loaded by :func:`core.models.load_registered` carries it, and predictions follow it);
    None for other models, which answer with the most likely answer."""
    if len(classes) != 2:
        return None
    chosen = cutoff if cutoff is not None else getattr(model, "cutoff", None)
    return None if chosen is None else float(chosen)


def predict_codes(
    model: Any, X: pd.DataFrame, classes: np.ndarray, cutoff: float | None = None, proba: np.ndarray | None = None
) -> np.ndarray:
    """The model's answers as positions in ``classes``: its most likely answer, or for a yes/no model with a
    ``cutoff`` the rule predictions use (:func:`core.models.predict.apply_cutoff`: the second answer where its
    chance, ``proba``'s second column, reaches the cut-off)."""
    if cutoff is not None and len(classes) == 2:
        chances = proba if proba is not None else predict_proba(model, X)
        if chances is not None and chances.shape == (len(X), 2):
            return np.asarray(apply_cutoff(chances, (0, 1), cutoff), dtype=np.int64)
    pred = np.asarray(model.predict(X))
    idx = pd.Index(classes).get_indexer(pd.Index(pred))
    if (idx < 0).any():  # a model predicting labels not in classes_: should never happen
        idx[idx < 0] = 0
    return idx.astype(np.int64)


def positive_index(classes: np.ndarray, positive_label: Any = None) -> int:
    """The position of the answer that means 'yes' (the last class unless named)."""
    if positive_label is None:
        return len(classes) - 1
    hits = [i for i, c in enumerate(classes) if c == positive_label or str(c) == str(positive_label)]
    if not hits:
        raise InputError(
            f"{quoted(positive_label)} is not one of the model's answers ({', '.join(quoted(c) for c in classes)}).",
            "Pick the answer that means 'yes' from the list.",
        )
    return hits[0]


def model_features(model: Any, X: pd.DataFrame) -> list[Any]:
    """The columns of X the model reads, when it says (``feature_names`` as a list or method, or
    scikit-learn's ``feature_names_in_``); otherwise every column."""
    names = getattr(model, "feature_names", None)
    if callable(names):
        names = names()
    if names is None:
        names = getattr(model, "feature_names_in_", None)
    if names is None:
        return list(X.columns)
    wanted = {str(n) for n in names}
    used = [c for c in X.columns if str(c) in wanted]
    return used or list(X.columns)


def subsample(X: pd.DataFrame, y: pd.Series | None, max_rows: int, seed: int) -> tuple[pd.DataFrame, pd.Series | None]:
    """At most ``max_rows`` rows, drawn without replacement (seeded), in their original order."""
    if len(X) <= max_rows:
        return X, y
    rng = np.random.default_rng(seed)
    keep = np.sort(rng.choice(len(X), size=max_rows, replace=False))
    return X.iloc[keep].reset_index(drop=True), (None if y is None else y.iloc[keep].reset_index(drop=True))


def is_numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)

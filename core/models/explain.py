"""Why the model said this for this row: each column's push on one prediction, in points or units.

For every row, ``base + sum(contributions) == the explained output`` (to 1e-6, in practice about 1e-12):

* the chance of the last class in sorted order for a yes/no model (``proba_<last class>``), the predicted
  class's chance for more than two classes, the prediction itself for numbers;
* ``base`` is the model's answer for a typical row: its answer at its average raw score over the training
  rows (for a number model, its average prediction over them).

How the contributions are found (no sampling; the model is never approximated):

1. **Raw scores, exactly additive.** A linear model's input ``f`` adds ``w_f · (x_f − mean_f)`` to its score
   (the mean over a background sample of the training rows: the stored dataset the model learned from, or
   one typical row from the model's schema when there is none, :func:`typical_row`). Tree ensembles get TreeSHAP (or path contributions for very deep
   forests): see :mod:`core.models.treeshap`. The baseline model ignores every column: all zero.
2. **From scores to chances.** A yes/no model's chance is one curve of one score, after its temper and
   recalibration too. The change from the base score to the row's score is shared in proportion to each
   column's part of the score (integrated gradients along the straight line, exact in closed form for a
   single score: ``contribution = score part × (p − p_base) / (s − s_base)``); signs never flip. With more
   than two classes the chance of the predicted class depends on every class's score: the line is cut into
   steps, each step's change is shared among the class scores by their Shapley values, and each class's
   share among the columns in proportion to their parts of that score (exact, as the steps telescope).
3. **A final additive correction** closes any rounding gap against the very number written in the output
   column, shared out in proportion to each contribution's size. Its largest size is reported
   (:attr:`Explanations.correction`); it is below 1e-9 for every model Keel trains.

Contributions are computed on the model's own inputs (after scaling, one-hot parts, date parts, missing
flags) and summed back to the user's columns.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.models.features import DATE_PARTS, date_part_name
from core.models.model import KeelModel, temper
from core.models.treeshap import is_tree_ensemble, tree_contributions
from core.vocab import date, number, percent, points

TOLERANCE = 1e-6  # base + contributions vs the explained output
BACKGROUND_ROWS = 2_000  # training rows whose average a linear model's contributions start from
_SEGMENTS = 8  # steps along the line from the base scores to a row's, for more than two classes
_EXACT_CLASSES = 4  # up to this many classes, each step is shared among them by exact Shapley values
_STEP = 1e-5  # central differences of the chance along the line
_OUTPUTS = ("prediction", "cutoff")  # columns a scored batch gains (with the prefixes below): never inputs
_OUTPUT_PREFIXES = ("proba_", "chance_", "contribution_")


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Explanations:
    """Contributions for a table of rows, one column per input column of the model."""

    base: np.ndarray  # (rows,) the usual answer the contributions start from
    contributions: pd.DataFrame  # rows x the model's input columns, same index as the scored table
    explained: np.ndarray  # (rows,) the output explained: base + the row's contributions
    output: str  # the column explained: "proba_yes", "the predicted class's chance" or "prediction"
    is_share: bool  # a chance (contributions in percentage points) rather than a number in the target's units
    method: str  # "linear" | "tree_shap" | "tree_path" | "constant"
    predicted: tuple[Any, ...] = ()  # per row, the class whose chance is explained (classifiers)
    correction: float = 0.0  # the largest final correction applied to a row (rounding)

    def columns(self, names: list[str] | None = None) -> pd.DataFrame:
        """``contribution_base`` and one ``contribution_<column>`` per column in ``names`` (default: the model's
        input columns); a column the model does not use contributes 0.

        A column whose name would clash with another output (a feature literally named ``base`` against
        ``contribution_base``) gets `` (column)`` added, so every push is kept and they still add up. Keel's
        own output columns in ``names`` (``prediction``, ``proba_…``, ``chance_…``, ``contribution_…``, ``cutoff``:
        a batch scored before) are not inputs and get no column, unless the model learned from them."""
        names = list(self.contributions.columns) if names is None else names
        out: dict[str, Any] = {"contribution_base": self.base}
        for c in names:
            key = str(c)
            found = key in self.contributions.columns
            if not found and (key in _OUTPUTS or key.startswith(_OUTPUT_PREFIXES)):
                continue
            name = f"contribution_{key}"
            while name in out:
                name += " (column)"
            out[name] = self.contributions[key].to_numpy() if found else 0.0
        return pd.DataFrame(out, index=self.contributions.index)


@dataclass(frozen=True)
class Reason:
    column: str
    value: str  # the row's value as words: "80", "female", "missing"
    contribution: float
    words: str  # "'fare' is 80 (+18 percentage points)"


@dataclass(frozen=True)
class RowExplanation:
    base: float
    output: float
    reasons: tuple[Reason, ...]  # the columns that pushed most, largest push first
    sentence: str
    contributions: dict[str, float]  # every input column
    is_share: bool = True  # pushes are chances (percentage points), not numbers in the target's units
    explained: str = ""  # the output explained: "proba_yes", "the predicted class's chance" or "prediction"
    headline: str = ""  # what the sentence explains: "Why the chance of 'yes' is 40%"


# --------------------------------------------------------------------------- the model's input columns


def _sources(step: Any, cols: list[str]) -> list[str]:
    """For each output column of a fitted preprocessing step, the input column it was made from."""
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    if isinstance(step, str):
        return [] if step == "drop" else list(cols)
    if isinstance(step, Pipeline):
        for _, sub in step.steps:
            cols = _sources(sub, cols)
        return cols
    if isinstance(step, SimpleImputer):
        keep = getattr(step, "keep_empty_features", False)
        stats = np.asarray(step.statistics_, dtype=float)
        kept = [c for c, s in zip(cols, stats) if keep or not np.isnan(s)]
        indicator = getattr(step, "indicator_", None)
        return kept + ([cols[i] for i in indicator.features_] if indicator is not None else [])
    if isinstance(step, OneHotEncoder):
        return [c for c, cats in zip(cols, step.categories_) for _ in range(len(cats))]
    return list(cols)  # scalers, category codes: one output per input


def _model_parts(model: KeelModel) -> tuple[Any, Any, np.ndarray]:
    """(preprocessing or None, the final estimator, (estimator inputs, user columns) 0/1 map)."""
    steps = list(getattr(model.pipeline, "steps", [("model", model.pipeline)]))
    estimator = steps[-1][1]
    prepare = steps[0][1] if len(steps) > 1 else None
    features = [str(f["name"]) for f in model.schema["features"]]
    owner: dict[str, int] = {}
    for i, feat in enumerate(model.schema["features"]):
        name = str(feat["name"])
        parts = [date_part_name(name, p) for p in DATE_PARTS] if feat["kind"] == "datetime" else [name]
        owner.update({p: i for p in parts})
    inputs: list[str] = []
    if prepare is not None:
        for _, step, cols in prepare.transformers_:
            inputs += _sources(step, [str(c) for c in cols])
    mapping = np.zeros((len(inputs), len(features)))
    for j, name in enumerate(inputs):
        mapping[j, owner[name]] = 1.0
    return prepare, estimator, mapping


# --------------------------------------------------------------------------- raw scores


def _linear(model: KeelModel, estimator: Any, X: np.ndarray, background: np.ndarray) -> tuple[Any, ...]:
    coef = np.atleast_2d(np.asarray(estimator.coef_, dtype=float))  # (scores, inputs)
    intercept = np.atleast_1d(np.asarray(estimator.intercept_, dtype=float))
    mean = background.mean(axis=0) if len(background) else np.zeros(X.shape[1])
    phi = (X - mean)[:, :, None] * coef.T[None, :, :]
    base = mean @ coef.T + intercept
    if model.task != "classification":
        return phi, base, "identity", "linear"
    return phi, base, "sigmoid" if coef.shape[0] == 1 else "softmax", "linear"


def _raw(
    model: KeelModel, frame: pd.DataFrame, background: pd.DataFrame | None
) -> tuple[np.ndarray, np.ndarray, str, str, Any]:
    """(phi (rows, user columns, scores), base (scores,), link, method, estimator)."""
    prepare, estimator, mapping = _model_parts(model)
    n, n_features = len(frame), len(model.schema["features"])
    classifier = model.task == "classification"
    if prepare is None or not (hasattr(estimator, "coef_") or is_tree_ensemble(estimator)):  # the baseline
        return np.zeros((n, n_features, 1)), np.zeros(1), "constant", "constant", estimator
    X = np.asarray(prepare.transform(model.prepare(frame)), dtype=float)
    if hasattr(estimator, "coef_"):
        bg = typical_row(model) if background is None or not len(background) else background
        B = np.asarray(prepare.transform(model.prepare(bg)), dtype=float)
        phi, base, link, method = _linear(model, estimator, X, B)
    else:
        n_classes = len(estimator.classes_) if classifier else 0
        phi, base, method = tree_contributions(estimator, X, n_classes)
        forest = hasattr(estimator, "estimators_")
        link = "identity" if not classifier else "proba" if forest else "sigmoid" if len(base) == 1 else "softmax"
    return np.einsum("npk,pf->nfk", phi, mapping), base, link, method, estimator


class _Given:
    """Stands in for a model whose chances are already known (to pass them through a recalibration)."""

    def __init__(self, proba: np.ndarray) -> None:
        self.proba = proba

    def predict_proba(self, X: Any) -> np.ndarray:
        return self.proba


def _chances(model: KeelModel, estimator: Any, raw: np.ndarray, link: str) -> np.ndarray:
    """The model's chances (rows, classes) from raw scores, as :meth:`KeelModel.predict_proba` gives them."""
    if link == "sigmoid":
        p1 = 1.0 / (1.0 + np.exp(-raw[:, 0]))
        proba = np.column_stack([1.0 - p1, p1])
    elif link == "softmax":
        e = np.exp(raw - raw.max(axis=1, keepdims=True))
        proba = e / e.sum(axis=1, keepdims=True)
    else:
        proba = raw
    fitted = list(estimator.classes_)
    wanted = list(range(len(model.classes_))) if model.fitted_on_codes else list(model.classes_)
    if fitted != wanted:
        full = np.zeros((len(proba), len(wanted)))
        for j, c in enumerate(fitted):
            full[:, wanted.index(c)] = proba[:, j]
        proba = full
    proba = temper(proba, model.temperature)
    calibrated = getattr(model, "calibrated", None)
    if calibrated is None:
        return proba
    again = type(calibrated)(_Given(proba), calibrated.method)
    again.calibrators_, again.classes_ = calibrated.calibrators_, calibrated.classes_
    return np.asarray(again.predict_proba(None), dtype=float)


# --------------------------------------------------------------------------- from scores to the explained output


def _last_class(classes: tuple[Any, ...]) -> int:
    """Index of the last class in sorted order (the one a yes/no model's contributions explain)."""
    try:
        last = sorted(classes)[-1]
    except TypeError:
        last = sorted(classes, key=str)[-1]
    return classes.index(last)


def _binary(phi: np.ndarray, base: np.ndarray, g: Any, link: str) -> tuple[np.ndarray, np.ndarray]:
    """Single-score models: (base output per row, contributions)."""
    col = 1 if link == "proba" else 0
    s = base[col] + phi[:, :, col].sum(axis=1)
    b = float(base[col])
    gs, gb = g(s), float(g(np.array([b]))[0])
    step = s - b
    near = np.abs(step) < 1e-9
    ratio = np.empty_like(s)
    ratio[~near] = (gs[~near] - gb) / step[~near]
    if near.any():
        ratio[near] = (g(s[near] + _STEP) - g(s[near] - _STEP)) / (2 * _STEP)
    return np.full(len(s), gb), phi[:, :, col] * ratio[:, None]


def _class_shares(g: Any, start: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """(rows, classes): how the change of ``g`` from ``start`` to ``start + delta`` is shared among the class
    scores: their Shapley values (every order of moving the scores) for up to :data:`_EXACT_CLASSES` classes,
    else the average of moving them in one order and in the reverse order. Adds up exactly either way."""
    n, k = start.shape
    shares = np.zeros((n, k))
    if k <= _EXACT_CLASSES:
        masks = np.arange(2**k)
        bits = ((masks[:, None] >> np.arange(k)[None, :]) & 1).astype(float)
        values = [g(start + delta * bits[m][None, :]) for m in masks]
        size = bits.sum(axis=1).astype(int)
        weight = [math.factorial(s) * math.factorial(k - s - 1) / math.factorial(k) for s in range(k)]
        for m in masks:
            for j in range(k):
                if not bits[m, j]:
                    shares[:, j] += weight[size[m]] * (values[m | (1 << j)] - values[m])
        return shares
    for order in (range(k), range(k - 1, -1, -1)):
        at, before = start.copy(), g(start)
        for j in order:
            at[:, j] += delta[:, j]
            after = g(at)
            shares[:, j] += 0.5 * (after - before)
            before = after
    return shares


def _multiclass(phi: np.ndarray, base: np.ndarray, final: Any, predicted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """More than two classes: the chance of each row's predicted class depends on every class's score. The
    straight line from the base scores to the row's is cut into :data:`_SEGMENTS` steps; each step's change
    of the chance is shared among the class scores (:func:`_class_shares`) and each class's share among the
    columns in proportion to their parts of that score. The steps telescope, so the total is exact."""
    n = phi.shape[0]
    rows = np.arange(n)

    def g(raw: np.ndarray) -> np.ndarray:
        return np.asarray(final(raw)[rows, predicted], dtype=float)

    step = phi.sum(axis=1)
    origin = np.repeat(base[None, :], n, axis=0)
    shares = np.zeros_like(step)
    for i in range(_SEGMENTS):
        shares += _class_shares(g, origin + (i / _SEGMENTS) * step, step / _SEGMENTS)
    moved = np.abs(step) > 1e-12
    rate = np.where(moved, shares / np.where(moved, step, 1.0), 0.0)
    return g(origin), np.einsum("nfk,nk->nf", phi, rate)


def _close(base: np.ndarray, contrib: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """The final additive correction: any gap to the output, shared in proportion to each contribution's size."""
    gap = target - base - contrib.sum(axis=1)
    size = np.abs(contrib)
    total = size.sum(axis=1)
    spread = total > 0
    contrib = contrib.copy()
    contrib[spread] += gap[spread, None] * size[spread] / total[spread, None]
    base = base.copy()
    base[~spread] += gap[~spread]
    return base, contrib, float(np.abs(gap).max()) if len(gap) else 0.0


def explain_frame(
    frame: pd.DataFrame,
    model: KeelModel,
    *,
    background: pd.DataFrame | None = None,
    outputs: np.ndarray | None = None,
) -> Explanations:
    """Each input column's contribution to each row's prediction (see the module's docstring).

    ``background``: rows like the training data (only linear models use it; default: :func:`typical_row`).
    ``outputs``: the scored output, when known (chances (rows, classes) or predictions); computed otherwise.
    """
    phi, base, link, method, estimator = _raw(model, frame, background)
    names = [str(f["name"]) for f in model.schema["features"]]
    n = len(frame)
    predicted: tuple[Any, ...] = ()
    if model.task != "classification":
        target = np.asarray(model.predict(frame) if outputs is None else outputs, dtype=float)
        start = target.copy() if link == "constant" else np.full(n, float(base[0]))
        contrib, output, is_share = phi[:, :, 0], "prediction", False
    else:
        proba = np.asarray(model.predict_proba(frame) if outputs is None else outputs, dtype=float)
        if len(model.classes_) == 2:
            e = _last_class(model.classes_)
            target = proba[:, e]
            output = f"proba_{model.classes_[e]}"
            predicted = (model.classes_[e],) * n
            if link == "constant":
                start, contrib = target.copy(), phi[:, :, 0]
            else:

                def g(s: np.ndarray) -> np.ndarray:
                    raw = np.column_stack([1.0 - s, s]) if link == "proba" else s[:, None]
                    return _chances(model, estimator, raw, link)[:, e]

                start, contrib = _binary(phi, base, g, link)
        else:
            best = proba.argmax(axis=1)
            target = proba[np.arange(n), best]
            output = "the predicted class's chance"
            predicted = tuple(model.classes_[i] for i in best)
            if link == "constant":
                start, contrib = target.copy(), phi[:, :, 0]
            else:
                start, contrib = _multiclass(phi, base, lambda raw: _chances(model, estimator, raw, link), best)
        is_share = True
    start, contrib, correction = _close(start, contrib, target)
    table = pd.DataFrame(contrib, index=frame.index, columns=names)
    return Explanations(start, table, target, output, is_share, method, predicted, correction)


def typical_row(model: KeelModel) -> pd.DataFrame:
    """One row of typical values from the model's schema (medians, middle dates, most common categories): the
    starting point of a linear model's contributions when no training rows are at hand."""
    row: dict[str, Any] = {}
    for feat in model.schema["features"]:
        if feat["kind"] in ("numeric", "boolean"):
            row[feat["name"]] = feat.get("median")
        elif feat["kind"] == "datetime" and feat.get("min") and feat.get("max"):
            low, high = pd.Timestamp(feat["min"]), pd.Timestamp(feat["max"])
            row[feat["name"]] = low + (high - low) / 2
        else:
            row[feat["name"]] = (feat.get("categories") or [None])[0]
    return pd.DataFrame({k: [v] for k, v in row.items()})


def explain_one(
    values: dict[str, Any],
    model: KeelModel,
    *,
    background: pd.DataFrame | None = None,
    dataset_id: int | None = None,
) -> RowExplanation:
    """The one-row form's explanation: the few columns that pushed this answer most, in a sentence. Empty fields
    are missing values, as :func:`core.models.predict.predict_one` treats them. ``dataset_id`` (the stored
    dataset the model learned from) gives a linear model its average training row to start from."""
    if background is None and dataset_id is not None and needs_background(model):
        background = background_for(dataset_id)
    names = model.feature_names
    blank = {n for n in names if values.get(n) is None or (isinstance(values.get(n), str) and not values[n].strip())}
    row = pd.DataFrame({n: [np.nan if n in blank else values.get(n)] for n in names})
    return explain_row(explain_frame(row, model, background=background), row, 0)


def needs_background(model: KeelModel) -> bool:
    """Only a linear model's contributions start from an average over training rows."""
    return hasattr(_model_parts(model)[1], "coef_")


def background_for(dataset_id: int | None) -> pd.DataFrame | None:
    """A seeded sample of the stored dataset a model learned from (None when it is not in the store)."""
    if dataset_id is None:
        return None
    from core import store
    from core.errors import KeelError

    try:
        data = store.load_dataset(dataset_id)
    except (KeelError, OSError):
        return None
    return data.sample(BACKGROUND_ROWS, random_state=0) if len(data) > BACKGROUND_ROWS else data


def common_categories(model: KeelModel, training: pd.DataFrame | None, least: int = 2) -> dict[str, list[str]]:
    """For each category column of the model, the categories its schema lists that at least ``least`` training
    rows have (a value seen once taught the model nothing it can use, so a form should not offer it), most
    common first. Without the training rows (``None``, or a column missing from them), the schema's list."""
    from core.models.features import to_category_text

    out: dict[str, list[str]] = {}
    for feat in model.schema["features"]:
        if feat["kind"] in ("numeric", "boolean", "datetime"):
            continue
        name, listed = str(feat["name"]), [str(c) for c in feat.get("categories", [])]
        if training is None or name not in training.columns:
            out[name] = listed
            continue
        counts = to_category_text(training[name]).value_counts(dropna=True)
        out[name] = [c for c in listed if int(counts.get(c, 0)) >= least]
    return out


# --------------------------------------------------------------------------- in words


def _value_words(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "missing"
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        return number(value)
    if isinstance(value, (datetime.date, np.datetime64)):  # pd.Timestamp and datetime are dates too
        return date(value)
    return f"'{str(value)[:40]}'"


def _push(amount: float, is_share: bool) -> str:
    sign = "+" if amount >= 0 else "−"
    return f"{sign}{points(abs(amount)) if is_share else number(abs(amount))}"


def explain_row(explanations: Explanations, frame: pd.DataFrame, i: int, top: int = 3) -> RowExplanation:
    """The few columns that pushed row ``i`` (a position) most, in a sentence: "Mostly because 'fare' is 80
    (+18 percentage points) and 'sex' is 'female' (+25 percentage points)."""
    row = explanations.contributions.iloc[i]
    order = row.abs().sort_values(ascending=False, kind="stable").index
    reasons = []
    for column in [c for c in order if abs(row[c]) > 0][:top]:
        value = _value_words(frame.iloc[i][column]) if column in frame.columns else "missing"
        words = f"'{column}' is {value} ({_push(float(row[column]), explanations.is_share)})"
        reasons.append(Reason(str(column), value, float(row[column]), words))
    base, output = float(explanations.base[i]), float(explanations.explained[i])
    usual = percent(base) if explanations.is_share else number(base)
    if not reasons:
        sentence = f"This answer is the model's usual one ({usual}): no column moved it."
    else:
        listed = ", ".join(r.words for r in reasons[:-1]) + (" and " if len(reasons) > 1 else "") + reasons[-1].words
        if explanations.is_share and i < len(explanations.predicted):
            usual_words = f"the usual chance of '{explanations.predicted[i]}' is {usual}"
        else:
            usual_words = f"the usual prediction is {usual}"
        sentence = f"Mostly because {listed}; {usual_words}."
    contributions = {str(k): float(v) for k, v in row.items()}
    if explanations.is_share and i < len(explanations.predicted):
        headline = f"Why the chance of '{explanations.predicted[i]}' is {percent(output)}"
    else:
        headline = f"Why the prediction is {number(output)}"
    return RowExplanation(
        base, output, tuple(reasons), sentence, contributions, explanations.is_share, explanations.output, headline
    )

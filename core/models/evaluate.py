"""Honest evaluation of a fitted classifier or regressor on rows it has not seen.

Everything here takes *any* fitted object with scikit-learn-like ``predict(frame)`` (and, for
classifiers, ``predict_proba(frame)`` and ``classes_``) plus a hold-out frame ``X`` and labels
``y``. Nothing is refitted except where a function says so (``recalibrate``).

Results are frozen dataclasses with ``to_dict()`` (plain JSON: lists, floats, ``None`` for
"not defined") and ``from_dict()`` so they can live in the registry's ``report_json`` and be
drawn again later. Each result carries plain-language sentences; ``explain_*`` functions
return them.

Main entry points::

    evaluate(model, X, y, task)                    -> Evaluation
    choose_threshold(y_true, proba_pos, cost_false_alarm, cost_miss) -> ThresholdChoice
    calibration(y_true, proba, classes)            -> Calibration
    recalibrate(model, X_cal, y_cal, method)       -> Recalibration (.model is usable)
    slices(model, X, y, task)                      -> SliceReport
    fairness(model, X, y, sensitive_column)        -> FairnessReport
    robustness(model, X, y, task)                  -> RobustnessReport
    boundary_probe(model, X_row, X_reference)      -> BoundaryProbe
    drivers(model, X, y, task)                     -> DriverReport (importance + partial dependence)
    full_report(model, X, y, task, ...)            -> Report (all of the above, one JSON blob)

Metric keys follow DESIGN.md: ``accuracy``, ``balanced_accuracy``, ``f1_macro``, ``roc_auc``,
``log_loss``, ``brier`` (binary), ``ece``; ``mae``, ``rmse``, ``r2``. Extra: ``pr_auc``
(binary average precision). A metric that is not defined for the task is ``None``.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from dataclasses import dataclass, field
from typing import Any, ClassVar, Union, get_args, get_origin

import numpy as np
import pandas as pd

from core.errors import InputError
from core.models.metrics import EPS as _EPS
from core.models.metrics import bin_ids as _bin_ids
from core.models.metrics import classification_stats as _classification_stats
from core.models.metrics import point as _point
from core.models.metrics import regression_stats as _regression_stats
from core.models.metrics import safe_div as _div
from core.models.metrics import stat_mean as _stat_mean

TASKS = ("classification", "regression")
CLASSIFICATION_KEYS = ("accuracy", "balanced_accuracy", "f1_macro", "roc_auc", "pr_auc", "log_loss", "brier", "ece")
REGRESSION_KEYS = ("mae", "rmse", "r2")
_MAX_CURVE_POINTS = 200
_MAX_RESIDUALS = 2000

# --------------------------------------------------------------------------- JSON round trip


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return f if math.isfinite(f) else None
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value)


def _from_json(tp: Any, value: Any) -> Any:
    if value is None:
        return None
    origin, args = get_origin(tp), get_args(tp)
    if origin in (Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        for option in options:
            if dataclasses.is_dataclass(option) and isinstance(value, dict):
                return option.from_dict(value)
        return _from_json(options[0], value) if len(options) == 1 else value
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return tp.from_dict(value)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_from_json(args[0], v) for v in value)
        return tuple(_from_json(a, v) for a, v in zip(args, value))
    if origin is list:
        return [_from_json(args[0], v) for v in value]
    if origin is dict:
        return {k: _from_json(args[1], v) for k, v in value.items()}
    return value


class _Serial:
    """Mixin: ``to_dict()`` gives plain JSON; ``from_dict()`` rebuilds the nested dataclasses."""

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Any:
        hints = typing.get_type_hints(cls)
        kwargs = {}
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            if f.name in data:
                kwargs[f.name] = _from_json(hints[f.name], data[f.name])
        return cls(**kwargs)


# --------------------------------------------------------------------------- formatting


def _pct(x: float | None, signed: bool = False) -> str:
    if x is None or not math.isfinite(x):
        return "n/a"
    v = 100 * x
    digits = 1 if (0 < abs(v) < 1 or 99 < abs(v) < 100) else 0
    s = f"{v:+.{digits}f}" if signed else f"{v:.{digits}f}"
    s = s.replace("100.0", "100").replace("+0.0", "0").replace("-0.0", "0")
    return s + "%"


def _pts(x: float | None) -> str:
    """A difference of two shares, in percentage points."""
    if x is None or not math.isfinite(x):
        return "n/a"
    v = 100 * x
    return f"{v:.1f} percentage points" if abs(v) < 1 else f"{v:.0f} percentage points"


def _num(x: float | None) -> str:
    if x is None or not math.isfinite(x):
        return "n/a"
    a = abs(x)
    if a >= 100:
        return f"{x:,.0f}"
    if a >= 1:
        return (f"{x:,.2f}" if a < 10 else f"{x:,.1f}").rstrip("0").rstrip(".")
    if a == 0:
        return "0"
    return f"{x:.2g}" if a < 0.01 else f"{x:.2f}"


def _count(n: int) -> str:
    return f"{n:,}"


def _q(value: Any) -> str:
    """A user value quoted for a sentence."""
    return f"'{value}'"


def _col(name: Any) -> str:
    return f"'{name}'"


def _between(ci: tuple[float, float] | None, fmt: Any = _pct) -> str:
    if ci is None:
        return ""
    return f" (likely between {fmt(ci[0])} and {fmt(ci[1])})"


# --------------------------------------------------------------------------- inputs


def _check_task(task: str) -> str:
    if task not in TASKS:
        raise InputError(f"Unknown task {task!r}.", "Use 'classification' or 'regression'.")
    return task


def _frame(X: Any) -> pd.DataFrame:
    if isinstance(X, pd.DataFrame):
        return X.reset_index(drop=True)
    if isinstance(X, pd.Series):
        return X.to_frame().T.reset_index(drop=True)
    raise InputError(
        "The rows to evaluate on must be a table.", "Pass a pandas DataFrame of the model's input columns."
    )


def _prepare(X: Any, y: Any) -> tuple[pd.DataFrame, pd.Series, list[str]]:
    X = _frame(X)
    y = pd.Series(y).reset_index(drop=True) if not isinstance(y, pd.Series) else y.reset_index(drop=True)
    if len(X) != len(y):
        raise InputError(
            f"The table has {len(X):,} rows but there are {len(y):,} answers.",
            "Pass one answer (label) per row of the evaluation table.",
        )
    notes: list[str] = []
    missing = y.isna().to_numpy()
    if missing.any():
        notes.append(f"{int(missing.sum()):,} rows without a known answer were left out.")
        X, y = X.loc[~missing].reset_index(drop=True), y.loc[~missing].reset_index(drop=True)
    if len(y) < 2:
        raise InputError(
            "There are fewer than 2 rows with a known answer to evaluate on.",
            "Use a hold-out set with at least a few dozen labelled rows.",
        )
    if len(y) < 50:
        notes.append(f"Only {len(y):,} rows to check on: treat every number here as rough.")
    return X, y, notes


def _classes(model: Any) -> np.ndarray:
    classes = getattr(model, "classes_", None)
    if classes is None:
        raise InputError(
            "This model does not list the answers it can give.", "Evaluate it as a regression model, or retrain it."
        )
    return np.asarray(classes)


def _codes(y: pd.Series, classes: np.ndarray, what: str = "answers") -> np.ndarray:
    idx = pd.Index(classes).get_indexer(pd.Index(y.to_numpy()))
    if (idx < 0).any():  # e.g. classes 0/1 read back as '0'/'1' from a file: match on the text
        as_text = pd.Index([str(c) for c in classes])
        if as_text.is_unique:
            idx = as_text.get_indexer(pd.Index(y.astype(str).to_numpy()))
    if (idx < 0).any():
        unseen = pd.unique(y.to_numpy()[idx < 0])[:3]
        raise InputError(
            f"The {what} include {', '.join(_q(u) for u in unseen)}, which the model never saw in training "
            f"(it knows {', '.join(_q(c) for c in classes[:6])}).",
            "Check that you picked the same target column and spelling, or retrain on data that includes these answers.",
        )
    return idx.astype(np.int64)


def _predict_proba(model: Any, X: pd.DataFrame) -> np.ndarray | None:
    if not hasattr(model, "predict_proba"):
        return None
    proba = np.asarray(model.predict_proba(X), dtype=float)
    return proba if proba.ndim == 2 else None


def _predict_codes(model: Any, X: pd.DataFrame, classes: np.ndarray) -> np.ndarray:
    pred = np.asarray(model.predict(X))
    idx = pd.Index(classes).get_indexer(pd.Index(pred))
    if (idx < 0).any():  # a model predicting labels not in classes_: should never happen
        idx[idx < 0] = 0
    return idx.astype(np.int64)


def _positive_index(classes: np.ndarray, positive_label: Any = None) -> int:
    if positive_label is None:
        return len(classes) - 1
    hits = [i for i, c in enumerate(classes) if c == positive_label or str(c) == str(positive_label)]
    if not hits:
        raise InputError(
            f"{_q(positive_label)} is not one of the model's answers ({', '.join(_q(c) for c in classes)}).",
            "Pick the answer that means 'yes' from the list.",
        )
    return hits[0]


def _model_features(model: Any, X: pd.DataFrame) -> list[Any]:
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


def _subsample(X: pd.DataFrame, y: pd.Series | None, max_rows: int, seed: int) -> tuple[pd.DataFrame, pd.Series | None]:
    if len(X) <= max_rows:
        return X, y
    rng = np.random.default_rng(seed)
    keep = np.sort(rng.choice(len(X), size=max_rows, replace=False))
    return X.iloc[keep].reset_index(drop=True), (None if y is None else y.iloc[keep].reset_index(drop=True))


# --------------------------------------------------------------------------- bootstrap + vectorised metrics
# Every metric is written as stat(w) where w is a (B, n) matrix of bootstrap weights: how many
# times each hold-out row was drawn in each of B resamples (rows sum to n). The point estimate is
# stat(ones((1, n))). With weights, most metrics are one matrix product (w @ per-row values), and
# ranking metrics (ROC AUC, average precision) sort the rows once instead of once per resample.
# The same seed gives the same resamples for every metric, so model-vs-baseline gaps are paired.


def _weights(idx: np.ndarray, n: int) -> np.ndarray:
    b = idx.shape[0]
    flat = (idx + (np.arange(b, dtype=np.int64) * n)[:, None]).ravel()
    return np.bincount(flat, minlength=b * n).reshape(b, n).astype(float)


def _boot_many(stats: dict[str, Any], n: int, n_boot: int, seed: int) -> dict[str, tuple[float, float] | None]:
    """95% percentile intervals for several statistics over the same seeded resamples (the
    weights of each chunk of resamples are drawn once and shared)."""
    if n_boot <= 0 or n < 2 or not stats:
        return {k: None for k in stats}
    rng = np.random.default_rng(seed)
    chunk = max(1, min(n_boot, 2_000_000 // max(n, 1)))
    values: dict[str, list[np.ndarray]] = {k: [] for k in stats}
    done = 0
    while done < n_boot:
        b = min(chunk, n_boot - done)
        w = _weights(rng.integers(0, n, size=(b, n)), n)
        for key, stat in stats.items():
            values[key].append(np.asarray(stat(w), dtype=float))
        done += b
    out: dict[str, tuple[float, float] | None] = {}
    for key, parts in values.items():
        v = np.concatenate(parts)
        v = v[np.isfinite(v)]
        out[key] = (
            None if v.size < max(5, n_boot // 2) else (float(np.percentile(v, 2.5)), float(np.percentile(v, 97.5)))
        )
    return out


def _boot(stat: Any, n: int, n_boot: int, seed: int) -> tuple[float, float] | None:
    return _boot_many({"x": stat}, n, n_boot, seed)["x"]


def _wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float] | None:
    if n <= 0:
        return None
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


# --------------------------------------------------------------------------- result types


@dataclass(frozen=True)
class ClassMetrics(_Serial):
    label: str
    precision: float | None
    recall: float | None
    f1: float | None
    support: int


@dataclass(frozen=True)
class Curve(_Serial):
    """Points of a curve (ROC: x=false-positive rate, y=true-positive rate; PR: x=recall, y=precision)."""

    x: tuple[float, ...]
    y: tuple[float, ...]
    thresholds: tuple[float, ...] = ()


@dataclass(frozen=True)
class CalibrationBin(_Serial):
    lower: float
    upper: float
    mean_predicted: float | None
    observed: float | None
    count: int


@dataclass(frozen=True)
class Calibration(_Serial):
    """Reliability diagram data. Binary: the chance of the positive answer vs how often it was
    that answer. Multiclass: the model's confidence in its top answer vs how often it was right."""

    kind: str  # "positive_class" | "top_label"
    positive_label: str | None
    bins: tuple[CalibrationBin, ...]
    brier: float | None
    ece: float | None
    sentence: str


@dataclass(frozen=True)
class Residuals(_Serial):
    predicted: tuple[float, ...]
    actual: tuple[float, ...]
    residual: tuple[float, ...]  # actual - predicted
    sampled_from: int


@dataclass(frozen=True)
class Gap(_Serial):
    """The model minus the baseline on the headline metric (paired bootstrap interval)."""

    key: str
    value: float | None
    low: float | None
    high: float | None
    sentence: str


@dataclass(frozen=True)
class Evaluation(_Serial):
    task: str
    n_rows: int
    target: str | None
    row_noun: str
    classes: tuple[str, ...]
    positive_label: str | None
    metrics: dict[str, float | None]
    intervals: dict[str, tuple[float, float] | None]
    sentences: dict[str, str]
    per_class: tuple[ClassMetrics, ...] = ()
    confusion: tuple[tuple[int, ...], ...] = ()
    roc_curve: Curve | None = None
    pr_curve: Curve | None = None
    calibration: Calibration | None = None
    residuals: Residuals | None = None
    baseline_name: str | None = None
    baseline_metrics: dict[str, float | None] = field(default_factory=dict)
    gap: Gap | None = None
    notes: tuple[str, ...] = ()

    HEADLINE: ClassVar[dict[str, str]] = {"classification": "accuracy", "regression": "mae"}

    @property
    def headline(self) -> str:
        return self.HEADLINE[self.task]


# --------------------------------------------------------------------------- evaluate


def _downsample(x: np.ndarray, y: np.ndarray, t: np.ndarray, limit: int = _MAX_CURVE_POINTS) -> Curve:
    n = len(x)
    if n > limit:
        keep = np.unique(np.linspace(0, n - 1, limit).round().astype(int))
        x, y, t = x[keep], y[keep], t[keep]
    t = np.where(np.isfinite(t), t, 1.0)
    return Curve(tuple(float(v) for v in x), tuple(float(v) for v in y), tuple(float(v) for v in t))


def calibration(
    y_true: Any, proba: np.ndarray, classes: Any, *, positive_label: Any = None, n_bins: int = 10
) -> Calibration:
    """Reliability diagram (``n_bins`` equal-width bins), Brier score (binary) and ECE.

    ``proba`` is the (n, k) probability matrix in the order of ``classes``. Binary uses the
    positive class's probability (so its ``ece`` can differ from the ``ece`` metric, which is
    always about the top answer); multiclass the confidence in the top answer."""
    classes = np.asarray(classes)
    proba = np.asarray(proba, dtype=float)
    yc = _codes(pd.Series(y_true).reset_index(drop=True), classes)
    conf, outcome, kind, pos_label, brier = _calibration_inputs(yc, proba, classes, positive_label)
    bins = _bin_ids(conf, n_bins)
    out = []
    for b in range(n_bins):
        m = bins == b
        c = int(m.sum())
        out.append(
            CalibrationBin(
                lower=b / n_bins,
                upper=(b + 1) / n_bins,
                mean_predicted=float(conf[m].mean()) if c else None,
                observed=float(outcome[m].mean()) if c else None,
                count=c,
            )
        )
    ece = float(np.sum([abs(outcome[bins == b].sum() - conf[bins == b].sum()) for b in range(n_bins)]) / len(conf))
    cal = Calibration(kind=kind, positive_label=pos_label, bins=tuple(out), brier=brier, ece=ece, sentence="")
    return dataclasses.replace(cal, sentence=explain_calibration(cal))


def _calibration_inputs(
    yc: np.ndarray, proba: np.ndarray, classes: np.ndarray, positive_label: Any
) -> tuple[np.ndarray, np.ndarray, str, str | None, float | None]:
    if len(classes) == 2:
        pi = _positive_index(classes, positive_label)
        conf = proba[:, pi]
        outcome = (yc == pi).astype(float)
        brier = float(np.mean((conf - outcome) ** 2))
        return conf, outcome, "positive_class", str(classes[pi]), brier
    top = proba.argmax(axis=1)
    return proba.max(axis=1), (top == yc).astype(float), "top_label", None, None


def explain_calibration(cal: Calibration) -> str:
    """'When it says about 80%, it is right N% of the time.' from the best-filled bin near 80%."""
    filled = [b for b in cal.bins if b.count >= 10 and b.mean_predicted is not None]
    if not filled:
        return "Too few rows to check whether its stated chances can be trusted."
    # Prefer a bin between 60% and 95% (the interesting "fairly sure" range), else the fullest.
    pick = [b for b in filled if 0.6 <= (b.mean_predicted or 0) < 0.95] or filled
    b = max(pick, key=lambda x: x.count)
    what = (
        f"it is {_q(cal.positive_label)} {_pct(b.observed)} of the time"
        if cal.kind == "positive_class"
        else f"it is right {_pct(b.observed)} of the time"
    )
    says = (
        f"gives a {_q(cal.positive_label)} chance of about {_pct(b.mean_predicted)}"
        if cal.kind == "positive_class"
        else f"says it is about {_pct(b.mean_predicted)} sure"
    )
    verdict = ""
    if cal.ece is not None:
        if cal.ece < 0.03:
            verdict = " Its stated chances can be taken at face value."
        elif cal.ece < 0.08:
            verdict = f" Its stated chances are off by about {_pts(cal.ece)} on average: usable, but not exact."
        else:
            verdict = f" Its stated chances are off by about {_pts(cal.ece)} on average: do not read them as exact probabilities; recalibrating may help."
    return f"When it {says} ({b.count:,} rows), {what}.{verdict}"


def _baseline_predictions(
    task: str, y: pd.Series, yc: np.ndarray | None, k: int
) -> tuple[np.ndarray, np.ndarray | None]:
    if task == "classification":
        assert yc is not None
        freq = np.bincount(yc, minlength=k) / len(yc)
        return np.full(len(yc), int(np.argmax(freq))), np.tile(freq, (len(yc), 1))
    y_num = y.to_numpy(dtype=float)
    return np.full(len(y_num), y_num.mean()), None


def evaluate(
    model: Any,
    X: pd.DataFrame,
    y: Any,
    task: str,
    *,
    baseline: Any = None,
    baseline_name: str | None = None,
    positive_label: Any = None,
    row_noun: str = "rows",
    seed: int = 0,
    n_boot: int = 200,
) -> Evaluation:
    """Score ``model`` on hold-out rows ``X`` with true answers ``y``.

    Every headline number gets a seeded bootstrap 95% interval (``n_boot`` resamples of the
    rows) and one plain sentence. ``baseline`` is another fitted model to compare against; when
    None, the naive answer from the hold-out itself is used (the most common class, or the
    average), which flatters the baseline slightly, so the gap shown is if anything modest.
    ``row_noun`` ("customers", "orders") is used in sentences.
    """
    _check_task(task)
    X, y, notes = _prepare(X, y)
    n = len(y)
    target = None if y.name is None else str(y.name)
    if task == "classification":
        classes = _classes(model)
        k = len(classes)
        yc = _codes(y, classes)
        pc = _predict_codes(model, X, classes)
        proba = _predict_proba(model, X)
        if proba is not None and proba.shape != (n, k):
            proba = None
        pos = _positive_index(classes, positive_label) if k == 2 else -1
        stats = _classification_stats(yc, pc, proba, k, pos)
    else:
        classes = np.asarray([])
        try:
            y_num = y.to_numpy(dtype=float)
        except (TypeError, ValueError) as exc:
            raise InputError(
                f"The answers in {_col(target or 'the target')} are not all numbers.",
                "Evaluate a regression model on a numeric target, or treat this as classification.",
            ) from exc
        pred = np.asarray(model.predict(X), dtype=float)
        stats = _regression_stats(y_num, pred)

    metrics: dict[str, float | None] = {key: (None if stat is None else _point(stat, n)) for key, stat in stats.items()}

    # Baseline and the paired gap on the headline metric.
    if baseline is not None:
        b_name = baseline_name or "the simple baseline model"
        if task == "classification":
            b_pc = _predict_codes(baseline, X, classes)
            b_proba = _predict_proba(baseline, X)
            if b_proba is not None and b_proba.shape != (n, len(classes)):
                b_proba = None
        else:
            b_pred = np.asarray(baseline.predict(X), dtype=float)
    else:
        if task == "classification":
            b_name = baseline_name or "always guessing the most common answer"
            b_pc, b_proba = _baseline_predictions(task, y, yc, len(classes))
        else:
            b_name = baseline_name or "always guessing the average"
            b_pred, _ = _baseline_predictions(task, y, None, 0)
    if task == "classification":
        b_stats = _classification_stats(yc, b_pc, b_proba, len(classes), pos)
        m_correct, b_correct = (yc == pc).astype(float), (yc == b_pc).astype(float)
        gap_stat = _stat_mean(m_correct - b_correct)
        gap_key = "accuracy"
    else:
        b_stats = _regression_stats(y_num, b_pred)
        m_abs, b_abs = np.abs(y_num - pred), np.abs(y_num - b_pred)

        def gap_stat(w: np.ndarray) -> np.ndarray:  # share of the baseline's typical error removed
            return 1 - _div(w @ m_abs, w @ b_abs)

        gap_key = "mae"
    baseline_metrics = {key: (None if s is None else _point(s, n)) for key, s in b_stats.items()}
    g_val = _point(gap_stat, n)
    defined = {key: stat for key, stat in stats.items() if stat is not None and metrics[key] is not None}
    if g_val is not None:
        defined["__gap__"] = gap_stat
    found = _boot_many(defined, n, n_boot, seed)
    intervals = {key: found.get(key) for key in stats}
    g_ci = found.get("__gap__")
    gap = Gap(gap_key, g_val, g_ci[0] if g_ci else None, g_ci[1] if g_ci else None, "")

    # Details: per class, confusion, curves, calibration, residuals.
    per_class: tuple[ClassMetrics, ...] = ()
    confusion: tuple[tuple[int, ...], ...] = ()
    roc = pr = None
    cal = None
    residuals = None
    pos_label = None
    if task == "classification":
        cm = np.zeros((len(classes), len(classes)), dtype=int)
        np.add.at(cm, (yc, pc), 1)
        confusion = tuple(tuple(int(v) for v in row) for row in cm)
        rows = []
        for c in range(len(classes)):
            tp, col_sum, row_sum = cm[c, c], cm[:, c].sum(), cm[c, :].sum()
            prec = tp / col_sum if col_sum else None
            rec = tp / row_sum if row_sum else None
            f1 = (
                2 * prec * rec / (prec + rec)
                if (prec is not None and rec is not None and prec + rec > 0)
                else (0.0 if row_sum or col_sum else None)
            )
            rows.append(
                ClassMetrics(
                    str(classes[c]),
                    None if prec is None else float(prec),
                    None if rec is None else float(rec),
                    None if f1 is None else float(f1),
                    int(row_sum),
                )
            )
        per_class = tuple(rows)
        if len(classes) == 2:
            pos_label = str(classes[pos])
        if proba is not None:
            cal = calibration(y, proba, classes, positive_label=classes[pos] if len(classes) == 2 else None)
            if len(classes) == 2 and 0 < (yc == pos).sum() < n:
                from sklearn.metrics import precision_recall_curve, roc_curve

                fpr, tpr, thr = roc_curve(yc == pos, proba[:, pos])
                roc = _downsample(fpr, tpr, thr)
                prec_c, rec_c, thr_pr = precision_recall_curve(yc == pos, proba[:, pos])
                pr = _downsample(rec_c[:-1], prec_c[:-1], thr_pr)
    else:
        rng = np.random.default_rng(seed)
        keep = np.sort(rng.choice(n, size=min(n, _MAX_RESIDUALS), replace=False))
        residuals = Residuals(
            predicted=tuple(float(v) for v in pred[keep]),
            actual=tuple(float(v) for v in y_num[keep]),
            residual=tuple(float(v) for v in (y_num - pred)[keep]),
            sampled_from=n,
        )
    ev = Evaluation(
        task=task,
        n_rows=n,
        target=target,
        row_noun=row_noun,
        classes=tuple(str(c) for c in classes),
        positive_label=pos_label,
        metrics=metrics,
        intervals=intervals,
        sentences={},
        per_class=per_class,
        confusion=confusion,
        roc_curve=roc,
        pr_curve=pr,
        calibration=cal,
        residuals=residuals,
        baseline_name=b_name,
        baseline_metrics=baseline_metrics,
        gap=gap,
        notes=tuple(notes),
    )
    gap = dataclasses.replace(gap, sentence=explain_gap(ev))
    ev = dataclasses.replace(ev, gap=gap)
    return dataclasses.replace(
        ev, sentences={key: explain_metric(ev, key) for key in metrics if metrics[key] is not None}
    )


# --------------------------------------------------------------------------- explain evaluation


def explain_metric(ev: Evaluation, key: str) -> str:
    """One plain sentence for one metric, with its interval."""
    v = ev.metrics.get(key)
    ci = ev.intervals.get(key)
    if v is None:
        return ""
    seen = f"On {_count(ev.n_rows)} {ev.row_noun} it hadn't seen"
    target = _col(ev.target) if ev.target else "the answer"
    pos = _q(ev.positive_label) if ev.positive_label else "the 'yes' answer"
    if key == "accuracy":
        return f"{seen}, the model was right {_pct(v)} of the time{_between(ci)}."
    if key == "balanced_accuracy":
        return f"Counting every answer equally, so rare answers weigh as much as common ones, it was right {_pct(v)} of the time{_between(ci)}."
    if key == "f1_macro":
        return f"Its F1 score, which balances catching each answer against false alarms and is averaged over the answers, is {v:.2f}{_between(ci, lambda x: f'{x:.2f}')} (1 is perfect)."
    if key == "roc_auc":
        if ev.positive_label:
            return (
                f"Given one {pos} row and one other row at random, it gives the {pos} row the higher chance "
                f"{_pct(v)} of the time{_between(ci)} (ROC AUC {v:.3f}; 0.5 is a coin flip, 1 is perfect)."
            )
        return f"It separates each answer from the rest {_pct(v)} of the time{_between(ci)} (average ROC AUC {v:.3f}; 0.5 is a coin flip, 1 is perfect)."
    if key == "pr_auc":
        return f"Among the rows it ranks as most likely {pos}, precision averages {v:.2f}{_between(ci, lambda x: f'{x:.2f}')} (average precision; always guessing scores the share of {pos} rows)."
    if key == "log_loss":
        return f"Its log loss is {v:.3f}{_between(ci, lambda x: f'{x:.3f}')}: lower is better; it punishes confident wrong answers hard."
    if key == "brier":
        return f"Its Brier score is {v:.3f}{_between(ci, lambda x: f'{x:.3f}')}: the squared gap between its stated chance and what happened; 0 is perfect, always saying 50% scores 0.25."
    if key == "ece":
        return (
            f"How sure it says it is of its answer is off from how often it is right by about {_pts(v)} on average"
            f"{_between(ci)} (calibration error; 0 means its confidence can be taken at face value)."
        )
    if key == "mae":
        return f"{seen}, its predictions of {target} were off by {_num(v)} on average{_between(ci, _num)}."
    if key == "rmse":
        return f"Weighing big misses more, the typical error (RMSE) is {_num(v)}{_between(ci, _num)}; much larger than the average miss means a few large misses."
    if key == "r2":
        return f"It explains {_pct(v)} of the variation in {target}{_between(ci)} (R²; 0% is no better than always guessing the average)."
    return f"{key}: {_num(v)}"


def explain_gap(ev: Evaluation) -> str:
    g = ev.gap
    if g is None or g.value is None:
        return ""
    name = ev.baseline_name or "the simple baseline"
    if g.key == "accuracy":
        pts = 100 * g.value

        def signed(x: float) -> str:  # whole points with a sign, and never "-0"
            return f"{int(round(100 * float(x))):+d}"

        rng = (
            f" (likely between {signed(g.low)} and {signed(g.high)} points)"
            if g.low is not None and g.high is not None
            else ""
        )
        if g.low is not None and g.low > 0:
            return f"It is right {pts:.0f} points more often than {name}{rng}."
        if g.high is not None and g.high < 0:
            return f"It is right {abs(pts):.0f} points LESS often than {name}{rng}: do not use it."
        return f"It is not clearly better than {name} ({signed(g.value)} points{rng[1:-1] and ', ' + rng[2:-1]}): it may have learned little."
    rng = f" (likely between {_pct(g.low)} and {_pct(g.high)})" if g.low is not None and g.high is not None else ""
    if g.low is not None and g.low > 0:
        return f"Its typical error is {_pct(g.value)} smaller than {name}{rng}."
    if g.high is not None and g.high < 0:
        return f"Its typical error is {_pct(-g.value)} LARGER than {name}{rng}: do not use it."
    return f"Its typical error is not clearly smaller than {name} ({_pct(g.value, signed=True)}{', ' + rng[2:-1] if rng else ''}): it may have learned little."


def explain_evaluation(ev: Evaluation) -> list[str]:
    """The headline sentences in reading order: main metric, gap, then the rest."""
    order = (
        ("accuracy", "balanced_accuracy", "roc_auc", "f1_macro", "pr_auc", "ece", "brier", "log_loss")
        if ev.task == "classification"
        else ("mae", "r2", "rmse")
    )
    out = [ev.sentences[order[0]]] if order[0] in ev.sentences else []
    if ev.gap and ev.gap.sentence:
        out.append(ev.gap.sentence)
    out += [ev.sentences[k] for k in order[1:] if k in ev.sentences]
    return out + list(ev.notes)


# --------------------------------------------------------------------------- decision threshold


@dataclass(frozen=True)
class ThresholdChoice(_Serial):
    threshold: float
    cost_false_alarm: float
    cost_miss: float
    n_rows: int
    cost_at_default: float
    cost_at_chosen: float
    false_alarms_default: int
    misses_default: int
    false_alarms_chosen: int
    misses_chosen: int
    thresholds: tuple[float, ...]  # the scanned grid, for a cost-vs-threshold chart
    costs: tuple[float, ...]
    unit: str
    sentence: str


def _money(v: float, unit: str) -> str:
    s = _num(v) if abs(v) < 100 else f"{v:,.0f}"
    if not unit:
        return s
    return f"{unit}{s}" if len(unit) <= 1 or unit in ("US$", "CHF") else f"{s} {unit}"


def choose_threshold(
    y_true: Any,
    proba_pos: Any,
    cost_false_alarm: float,
    cost_miss: float,
    *,
    positive_label: Any = None,
    unit: str = "",
    row_noun: str = "rows",
) -> ThresholdChoice:
    """The cut-off on the positive-class chance that minimises expected cost on these rows.

    ``y_true`` is booleans/0-1, or labels with ``positive_label`` naming 'yes'. Costs are per
    case in the user's units (``unit``: '€', 'hours'…). The threshold is chosen on the same
    rows it is judged on, so the saving shown is a little optimistic; choose it on a
    validation split and check it on the test split where you can.
    """
    if cost_false_alarm < 0 or cost_miss < 0 or (cost_false_alarm == 0 and cost_miss == 0):
        raise InputError(
            "The costs of a false alarm and of a miss must be zero or more, and not both zero.",
            "Enter what one false alarm and one missed case cost you, e.g. 5 and 50.",
        )
    p = np.asarray(proba_pos, dtype=float)
    y = pd.Series(y_true).reset_index(drop=True)
    if len(p) != len(y):
        raise InputError(f"There are {len(p):,} chances but {len(y):,} answers.", "Pass one chance per labelled row.")
    if positive_label is not None:
        pos = (y == positive_label).to_numpy() | (y.astype(str) == str(positive_label)).to_numpy()
    else:
        pos = y.astype(bool).to_numpy()
    grid = np.unique(np.concatenate([np.round(np.linspace(0.01, 0.99, 99), 2), [0.5]]))
    flagged = p[None, :] >= grid[:, None]
    fa = (flagged & ~pos[None, :]).sum(axis=1)
    miss = (~flagged & pos[None, :]).sum(axis=1)
    costs = fa * cost_false_alarm + miss * cost_miss
    best = costs.min()
    candidates = np.flatnonzero(costs == best)
    i = int(candidates[np.argmin(np.abs(grid[candidates] - 0.5))])
    d = int(np.flatnonzero(grid == 0.5)[0])
    choice = ThresholdChoice(
        threshold=float(grid[i]),
        cost_false_alarm=float(cost_false_alarm),
        cost_miss=float(cost_miss),
        n_rows=len(p),
        cost_at_default=float(costs[d]),
        cost_at_chosen=float(costs[i]),
        false_alarms_default=int(fa[d]),
        misses_default=int(miss[d]),
        false_alarms_chosen=int(fa[i]),
        misses_chosen=int(miss[i]),
        thresholds=tuple(float(t) for t in grid),
        costs=tuple(float(c) for c in costs),
        unit=unit,
        sentence="",
    )
    return dataclasses.replace(
        choice, sentence=explain_threshold(choice, row_noun=row_noun, positive_label=positive_label)
    )


def explain_threshold(t: ThresholdChoice, *, row_noun: str = "rows", positive_label: Any = None) -> str:
    yes = _q(positive_label) if positive_label is not None else "'yes'"
    costs = f"With a false alarm costing {_money(t.cost_false_alarm, t.unit)} and a miss costing {_money(t.cost_miss, t.unit)}"
    if abs(t.threshold - 0.5) < 1e-9 or t.cost_at_chosen >= t.cost_at_default:
        return (
            f"{costs}, the usual rule (flag {yes} when the model is at least 50% sure) is already the cheapest: "
            f"{_money(t.cost_at_default, t.unit)} on these {_count(t.n_rows)} {row_noun}."
        )
    saving = t.cost_at_default - t.cost_at_chosen
    caught = t.misses_default - t.misses_chosen
    extra_fa = t.false_alarms_chosen - t.false_alarms_default
    trade = (
        f"it catches {caught:,} more {yes} cases at the price of {extra_fa:,} more false alarms"
        if caught > 0
        else f"it raises {-extra_fa:,} fewer false alarms at the price of missing {-caught:,} more {yes} cases"
    )
    return (
        f"{costs}, flag {yes} when the model is at least {_pct(t.threshold)} sure instead of 50%: on these "
        f"{_count(t.n_rows)} {row_noun} that would have cost {_money(t.cost_at_chosen, t.unit)} instead of "
        f"{_money(t.cost_at_default, t.unit)}, saving {_money(saving, t.unit)}; {trade}."
    )


# --------------------------------------------------------------------------- recalibration


class CalibratedModel:
    """A fitted classifier whose probabilities pass through per-class calibrators fitted on
    held-out rows (isotonic or sigmoid/Platt); multiclass outputs are renormalised. Predicts the
    most likely class after calibration. Other attributes (``task``, ``schema``…) are read
    through from the wrapped model."""

    def __init__(self, model: Any, method: str = "isotonic") -> None:
        self.model = model
        self.method = method

    def fit(self, X: pd.DataFrame, y: Any) -> CalibratedModel:
        from sklearn.isotonic import IsotonicRegression
        from sklearn.linear_model import LogisticRegression

        classes = _classes(self.model)
        yc = _codes(pd.Series(y).reset_index(drop=True), classes)
        proba = np.asarray(self.model.predict_proba(X), dtype=float)
        cols = [len(classes) - 1] if len(classes) == 2 else list(range(len(classes)))
        self.calibrators_ = {}
        for c in cols:
            target = (yc == c).astype(int)
            if target.min() == target.max():
                self.calibrators_[c] = None
                continue
            if self.method == "isotonic":
                cal = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(proba[:, c], target)
            else:
                cal = LogisticRegression(C=1e6).fit(_logit(proba[:, c])[:, None], target)
            self.calibrators_[c] = cal
        self.classes_ = classes
        return self

    def _calibrate_column(self, c: int, p: np.ndarray) -> np.ndarray:
        cal = self.calibrators_.get(c)
        if cal is None:
            return p
        if self.method == "isotonic":  # never exactly 0 or 1: one surprise would cost infinite log loss
            return np.clip(np.asarray(cal.predict(p), dtype=float), 1e-3, 1 - 1e-3)
        return cal.predict_proba(_logit(p)[:, None])[:, 1]

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        proba = np.asarray(self.model.predict_proba(X), dtype=float)
        if len(self.classes_) == 2:
            p1 = np.clip(self._calibrate_column(1, proba[:, 1]), 0, 1)
            return np.column_stack([1 - p1, p1])
        out = np.column_stack([self._calibrate_column(c, proba[:, c]) for c in range(proba.shape[1])])
        out = np.clip(out, 1e-6, None)
        return out / out.sum(axis=1, keepdims=True)

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("model", "method", "calibrators_", "classes_"):
            raise AttributeError(name)
        return getattr(self.model, name)


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


@dataclass(frozen=True)
class RecalibrationCheck(_Serial):
    method: str
    ece_before: float | None
    ece_after: float | None
    brier_before: float | None
    brier_after: float | None
    log_loss_before: float | None
    log_loss_after: float | None
    helps: bool
    n_fit: int
    n_check: int
    sentence: str


@dataclass(frozen=True)
class Recalibration:
    """``model`` is the calibrated wrapper fitted on all of ``X_cal``; ``check`` is the honest
    before/after comparison on half of ``X_cal`` that the check's calibrator never saw."""

    model: CalibratedModel
    check: RecalibrationCheck


def recalibrate(
    model: Any, X_cal: pd.DataFrame, y_cal: Any, method: str = "isotonic", *, seed: int = 0
) -> Recalibration:
    """Fit a probability calibrator on held-out rows and say whether it helps.

    ``X_cal`` must be rows the model was NOT trained on, and ideally not the rows used for the
    final report either. They are split in two: a calibrator fitted on one half is judged on
    the other (ECE, Brier, log loss); ``helps`` is True when calibration error and log loss both
    drop there. The returned ``model`` is then refitted on all of ``X_cal``.
    """
    if method not in ("isotonic", "sigmoid"):
        raise InputError(f"Unknown calibration method {method!r}.", "Use 'isotonic' (needs 1,000+ rows) or 'sigmoid'.")
    X_cal, y_cal, _ = _prepare(X_cal, y_cal)
    classes = _classes(model)
    yc = _codes(y_cal, classes)
    if len(y_cal) < 40:
        raise InputError(
            f"Only {len(y_cal):,} rows to calibrate on.",
            "Calibrate on at least a few hundred held-out rows the model was not trained on.",
        )
    from sklearn.model_selection import train_test_split

    counts = np.bincount(yc, minlength=len(classes))
    strat = yc if counts[counts > 0].min() >= 2 else None
    idx_fit, idx_chk = train_test_split(np.arange(len(yc)), test_size=0.5, random_state=seed, stratify=strat)
    X_fit, X_chk = X_cal.iloc[idx_fit], X_cal.iloc[idx_chk]
    trial = CalibratedModel(model, method).fit(X_fit, y_cal.iloc[idx_fit])
    y_chk = y_cal.iloc[idx_chk].reset_index(drop=True)

    def scores(m: Any) -> tuple[float | None, float | None, float]:
        proba = np.asarray(m.predict_proba(X_chk), dtype=float)
        cal = calibration(y_chk, proba, classes)
        codes = yc[idx_chk]
        ll = float(np.mean(-np.log(np.clip(proba[np.arange(len(codes)), codes], _EPS, 1))))
        return cal.ece, cal.brier, ll

    e0, b0, l0 = scores(model)
    e1, b1, l1 = scores(trial)
    helps = bool(e0 is not None and e1 is not None and e1 < e0 and l1 <= l0 and (b0 is None or b1 is None or b1 <= b0))
    check = RecalibrationCheck(method, e0, e1, b0, b1, l0, l1, helps, len(idx_fit), len(idx_chk), "")
    check = dataclasses.replace(check, sentence=explain_recalibration(check))
    return Recalibration(model=CalibratedModel(model, method).fit(X_cal, y_cal), check=check)


def explain_recalibration(c: RecalibrationCheck) -> str:
    if c.helps:
        return (
            f"Recalibrating ({c.method}) made its stated chances more trustworthy on {c.n_check:,} rows kept aside: "
            f"off by {_pts(c.ece_after)} on average instead of {_pts(c.ece_before)}. Worth using."
        )
    return (
        f"Recalibrating ({c.method}) did not help on {c.n_check:,} rows kept aside "
        f"(off by {_pts(c.ece_after)} vs {_pts(c.ece_before)} before, log loss {_num(c.log_loss_after)} vs {_num(c.log_loss_before)}). Keep the model as it is."
    )


# --------------------------------------------------------------------------- slices


@dataclass(frozen=True)
class Slice(_Serial):
    column: str
    label: str  # "North", "12 – 24 (2nd quarter)", "other"
    kind: str  # "category" | "quantile"
    count: int
    share: float
    metric: float | None
    low: float | None
    high: float | None
    worse: bool  # big enough to matter and worse than overall beyond its interval


@dataclass(frozen=True)
class SliceReport(_Serial):
    task: str
    metric_key: str  # "accuracy" (Wilson interval) | "mae" (bootstrap interval)
    overall: float
    n_rows: int
    slices: tuple[Slice, ...]
    skipped: tuple[str, ...]
    sentences: tuple[str, ...]


def _is_numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def _groups(s: pd.Series, max_categories: int) -> tuple[str, list[tuple[str, np.ndarray]]] | None:
    """('category'|'quantile', [(label, mask)]) for one column, or None to skip it."""
    if pd.api.types.is_datetime64_any_dtype(s):
        return None
    values = s.to_numpy()
    if _is_numeric(s) and s.nunique(dropna=True) > max_categories:
        x = s.to_numpy(dtype=float)
        finite = np.isfinite(x)
        if finite.sum() < 8:
            return None
        edges = np.unique(np.quantile(x[finite], [0, 0.25, 0.5, 0.75, 1.0]))
        if len(edges) < 3:
            return None
        names = ["lowest quarter", "2nd quarter", "3rd quarter", "highest quarter"]
        out = []
        nb = len(edges) - 1
        bins = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, nb - 1)
        for b in range(nb):
            m = finite & (bins == b)
            name = names[b] if nb == 4 else f"band {b + 1} of {nb}"
            out.append((f"{_num(edges[b])} to {_num(edges[b + 1])} ({name})", m))
        if (~finite).any():
            out.append(("missing", ~finite))
        return "quantile", out
    if _is_numeric(s):  # a few distinct numbers: name them briefly (0.0507, not 0.0506801187398187)
        labels = pd.Series([("(missing)" if pd.isna(v) else f"{float(v):.4g}") for v in values], index=s.index)
    else:
        labels = s.astype("object").where(s.notna(), "(missing)").astype(str)
    counts = labels.value_counts()
    top = list(counts.index[:max_categories])
    out = [(str(v), (labels == v).to_numpy()) for v in top]
    rest = ~labels.isin(top).to_numpy()
    if rest.any():
        out.append(("other", rest))
    return "category", out


def slices(
    model: Any,
    X: pd.DataFrame,
    y: Any,
    task: str,
    columns: list[str] | None = None,
    *,
    min_count: int = 30,
    min_share: float = 0.05,
    max_categories: int = 8,
    row_noun: str = "rows",
    seed: int = 0,
    n_boot: int = 200,
) -> SliceReport:
    """How the model does on each group of rows: per value of each categorical column (top
    ``max_categories`` values + 'other') and per quarter of each numeric column.

    Classification uses accuracy with a Wilson 95% interval; regression the average miss (MAE)
    with a bootstrap interval. A slice is called out (``worse``) only when it has at least
    ``min_count`` rows and ``min_share`` of all rows, and the overall figure lies outside the
    slice's interval on the bad side.
    """
    _check_task(task)
    X, y, _ = _prepare(X, y)
    n = len(y)
    columns = list(X.columns) if columns is None else list(columns)
    missing = [c for c in columns if c not in X.columns]
    if missing:
        raise InputError(
            f"Column {_col(missing[0])} is not in the table.", f"Pick from: {', '.join(map(str, X.columns[:10]))}."
        )
    if task == "classification":
        classes = _classes(model)
        per_row = (_codes(y, classes) == _predict_codes(model, X, classes)).astype(float)
        key = "accuracy"
    else:
        per_row = np.abs(y.to_numpy(dtype=float) - np.asarray(model.predict(X), dtype=float))
        key = "mae"
    overall = float(per_row.mean())
    out: list[Slice] = []
    skipped: list[str] = []
    for ci, col in enumerate(columns):
        grouped = _groups(X[col], max_categories)
        if grouped is None:
            skipped.append(str(col))
            continue
        kind, groups = grouped
        for gi, (label, mask) in enumerate(groups):
            cnt = int(mask.sum())
            if cnt == 0:
                continue
            vals = per_row[mask]
            value = float(vals.mean())
            if key == "accuracy":
                ci_ = _wilson(int(vals.sum()), cnt)
            else:
                ci_ = _boot(_stat_mean(vals), cnt, n_boot, seed + 7919 * ci + gi) if cnt >= 5 else None
            low, high = ci_ if ci_ else (None, None)
            big = cnt >= min_count and cnt / n >= min_share
            beyond = (high is not None and overall > high) if key == "accuracy" else (low is not None and overall < low)
            out.append(Slice(str(col), label, kind, cnt, cnt / n, value, low, high, bool(big and beyond)))
    report = SliceReport(task, key, overall, n, tuple(out), tuple(skipped), ())
    return dataclasses.replace(report, sentences=tuple(explain_slices(report, row_noun=row_noun)))


def explain_slices(r: SliceReport, *, row_noun: str = "rows", top: int = 3) -> list[str]:
    worse = [s for s in r.slices if s.worse]
    if r.metric_key == "accuracy":
        worse.sort(key=lambda s: (s.metric or 0) - r.overall)
    else:
        worse.sort(key=lambda s: -((s.metric or 0) - r.overall))
    if not worse:
        return [f"No group of {row_noun} big enough to matter does clearly worse than overall."]
    out = []
    for s in worse[:top]:
        where = f"{_col(s.column)} is {_q(s.label)}" if s.kind == "category" else f"{_col(s.column)} is {s.label}"
        if r.metric_key == "accuracy":
            out.append(
                f"For {row_noun} where {where} ({s.count:,} {row_noun}, {_pct(s.share)}), the model was right "
                f"{_pct(s.metric)} of the time (likely {_pct(s.low)} to {_pct(s.high)}), against {_pct(r.overall)} overall."
            )
        else:
            out.append(
                f"For {row_noun} where {where} ({s.count:,} {row_noun}, {_pct(s.share)}), predictions were off by "
                f"{_num(s.metric)} on average (likely {_num(s.low)} to {_num(s.high)}), against {_num(r.overall)} overall."
            )
    if len(worse) > top:
        out.append(f"{len(worse) - top} more groups do clearly worse; see the table.")
    return out


# --------------------------------------------------------------------------- fairness


@dataclass(frozen=True)
class GroupRates(_Serial):
    group: str
    count: int
    positive_rate: float | None  # share the model flags 'yes'
    actual_positive_rate: float | None
    recall: float | None  # true-positive rate: of the real 'yes', share caught
    precision: float | None  # of the flagged, share really 'yes'
    enough: bool  # count >= min_count


@dataclass(frozen=True)
class FairnessGap(_Serial):
    measure: str  # "positive_rate" | "recall" | "precision"
    highest_group: str
    highest: float
    lowest_group: str
    lowest: float
    difference: float
    ratio: float | None  # lowest / highest


@dataclass(frozen=True)
class FairnessReport(_Serial):
    column: str
    positive_label: str
    groups: tuple[GroupRates, ...]
    gaps: tuple[FairnessGap, ...]
    sentences: tuple[str, ...]


def fairness(
    model: Any,
    X: pd.DataFrame,
    y: Any,
    sensitive_column: str,
    *,
    positive_label: Any = None,
    min_count: int = 30,
    max_groups: int = 8,
) -> FairnessReport:
    """Yes/no models only: per group of ``sensitive_column`` (numeric columns in quarters) the
    share flagged 'yes', recall (share of real 'yes' caught) and precision, and the largest
    gaps between groups with at least ``min_count`` rows."""
    X, y, _ = _prepare(X, y)
    if sensitive_column not in X.columns:
        raise InputError(
            f"Column {_col(sensitive_column)} is not in the table.",
            "Pick the column that holds the group (e.g. sex, age band).",
        )
    classes = _classes(model)
    if len(classes) != 2:
        raise InputError(
            f"The fairness view needs a yes/no model; this one has {len(classes)} answers.",
            "Use the per-group results (slices) instead.",
        )
    pos = _positive_index(classes, positive_label)
    actual = _codes(y, classes) == pos
    flagged = _predict_codes(model, X, classes) == pos
    grouped = _groups(X[sensitive_column], max_groups)
    if grouped is None:
        raise InputError(f"Cannot form groups from {_col(sensitive_column)}.", "Pick a categorical or numeric column.")
    rows = []
    for label, mask in grouped[1]:
        cnt = int(mask.sum())
        if cnt == 0:
            continue
        a, f = actual[mask], flagged[mask]
        rows.append(
            GroupRates(
                group=label,
                count=cnt,
                positive_rate=float(f.mean()),
                actual_positive_rate=float(a.mean()),
                recall=float((a & f).sum() / a.sum()) if a.sum() else None,
                precision=float((a & f).sum() / f.sum()) if f.sum() else None,
                enough=cnt >= min_count,
            )
        )
    gaps = []
    for measure in ("positive_rate", "recall", "precision"):
        vals = [(g.group, getattr(g, measure)) for g in rows if g.enough and getattr(g, measure) is not None]
        if len(vals) < 2:
            continue
        hi = max(vals, key=lambda t: t[1])
        lo = min(vals, key=lambda t: t[1])
        gaps.append(
            FairnessGap(measure, hi[0], hi[1], lo[0], lo[1], hi[1] - lo[1], (lo[1] / hi[1]) if hi[1] > 0 else None)
        )
    report = FairnessReport(str(sensitive_column), str(classes[pos]), tuple(rows), tuple(gaps), ())
    return dataclasses.replace(report, sentences=tuple(explain_fairness(report)))


def explain_fairness(r: FairnessReport) -> list[str]:
    col, yes = _col(r.column), _q(r.positive_label)
    if not r.gaps:
        return [f"Too few {col} groups with enough rows (30+) to compare fairly."]
    words = {
        "positive_rate": f"flags {yes}",
        "recall": f"catches the real {yes} cases",
        "precision": f"is right when it flags {yes}",
    }
    out = []
    shown = [g for g in r.gaps if g.difference >= 0.01]
    if not shown:
        out.append(
            f"By {col}, the groups are treated alike: flag rates, share caught and precision are within 1 percentage point."
        )
    for g in sorted(shown, key=lambda g: -g.difference):
        ratio = f"; ratio {g.ratio:.2f}" if g.ratio is not None else ""
        out.append(
            f"By {col}, the model {words[g.measure]} {_pct(g.highest)} of the time for {_q(g.highest_group)} "
            f"but {_pct(g.lowest)} for {_q(g.lowest_group)} ({_pts(g.difference)} apart{ratio})."
        )
    pr = next((g for g in r.gaps if g.measure == "positive_rate"), None)
    if pr is not None and pr.ratio is not None and pr.ratio < 0.8:
        out.append(
            f"The group flagged least gets {yes} less than 80% as often as the group flagged most (the 'four-fifths' rule of thumb): "
            "check whether that difference is justified before using the model for decisions about people."
        )
    small = [g.group for g in r.groups if not g.enough]
    if small:
        # Not named: a tiny group's label can identify a person.
        out.append(
            f"{len(small)} group{'s are' if len(small) > 1 else ' is'} too small to judge (under 30 rows) and left out of the comparison."
        )
    return out


# --------------------------------------------------------------------------- robustness


@dataclass(frozen=True)
class Perturbation(_Serial):
    kind: str  # "noise" | "missing" | "swap"
    level: float  # share of spread (noise) or of cells (missing, swap)
    metric: float | None
    change: float | None  # metric - clean metric
    flip_share: (
        float | None
    )  # classification: share of answers that change; regression: share moving > 10% of target spread
    failed: str | None = None  # the model could not score these rows (e.g. it cannot take missing values)


@dataclass(frozen=True)
class RobustnessReport(_Serial):
    task: str
    metric_key: str
    clean_metric: float
    n_rows: int
    numeric_columns: tuple[str, ...]
    categorical_columns: tuple[str, ...]
    results: tuple[Perturbation, ...]
    sentences: tuple[str, ...]


def _split_columns(X: pd.DataFrame) -> tuple[list[str], list[str]]:
    num, cat = [], []
    for c in X.columns:
        s = X[c]
        if pd.api.types.is_datetime64_any_dtype(s):
            continue
        (num if _is_numeric(s) else cat).append(c)
    return num, cat


def _spread(x: np.ndarray) -> float:
    x = x[np.isfinite(x)]
    if x.size < 2:
        return 0.0
    q1, q3 = np.percentile(x, [25, 75])
    iqr = (q3 - q1) / 1.349
    return float(iqr if iqr > 0 else np.std(x))


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
    _check_task(task)
    X, y, _ = _prepare(X, y)
    X, y = _subsample(X, y, max_rows, seed)
    assert y is not None
    rng = np.random.default_rng(seed)
    num, cat = _split_columns(X[_model_features(model, X)])
    if task == "classification":
        classes = _classes(model)
        yc = _codes(y, classes)

        def score(frame: pd.DataFrame) -> tuple[float, np.ndarray]:
            p = _predict_codes(model, frame, classes)
            return float((p == yc).mean()), p

        key = "accuracy"
    else:
        y_num = y.to_numpy(dtype=float)

        def score(frame: pd.DataFrame) -> tuple[float, np.ndarray]:
            p = np.asarray(model.predict(frame), dtype=float)
            return float(np.abs(y_num - p).mean()), p

        key = "mae"
    clean, base_pred = score(X)
    tol = 0.1 * (np.std(y_num) if task == "regression" else 0)

    def flips(pred: np.ndarray) -> float:
        if task == "classification":
            return float((pred != base_pred).mean())
        return float((np.abs(pred - base_pred) > tol).mean())

    results: list[Perturbation] = []

    def run(kind: str, level: float, frame: pd.DataFrame) -> None:
        try:
            m, pred = score(frame)
        except (ValueError, TypeError) as exc:
            results.append(Perturbation(kind, level, None, None, None, failed=type(exc).__name__))
            return
        results.append(Perturbation(kind, level, m, m - clean, flips(pred)))

    spreads = {c: _spread(X[c].to_numpy(dtype=float)) for c in num}
    if num:
        for level in noise_levels:
            f = X.copy()
            for c in num:
                x = f[c].to_numpy(dtype=float)
                f[c] = x + rng.normal(0, level * spreads[c], size=len(x))
            run("noise", level, f)
    for level in missing_levels:
        f = X.copy()
        for c in num + cat:
            m = rng.random(len(f)) < level
            if m.any():
                f[c] = f[c].mask(m)  # the column's own missing marker (NaN for numbers and pandas strings)
        run("missing", level, f)
    if cat:
        for level in swap_levels:
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
            run("swap", level, f)
    report = RobustnessReport(task, key, clean, len(X), tuple(map(str, num)), tuple(map(str, cat)), tuple(results), ())
    return dataclasses.replace(report, sentences=tuple(explain_robustness(report)))


def explain_robustness(r: RobustnessReport) -> list[str]:
    out = []
    what = {
        "noise": "a little noise on the numbers",
        "missing": "blank cells",
        "swap": "categories swapped for another seen value",
    }
    for kind in ("noise", "missing", "swap"):
        rows = [p for p in r.results if p.kind == kind]
        if not rows:
            continue
        failed = [p for p in rows if p.failed]
        if failed:
            out.append(
                f"With {what[kind]}, the model could not answer at all: it cannot take such inputs, so clean them before scoring."
            )
            continue
        worst = max(rows, key=lambda p: p.level)
        amount = (
            f"noise of {_pct(worst.level)} of each column's usual spread"
            if kind == "noise"
            else (
                f"{_pct(worst.level)} of cells left blank"
                if kind == "missing"
                else f"{_pct(worst.level)} of categories swapped"
            )
        )
        if r.metric_key == "accuracy":
            change = f"accuracy went from {_pct(r.clean_metric)} to {_pct(worst.metric)}"
            flip = f"{_pct(worst.flip_share)} of answers changed"
        else:
            change = f"the average miss went from {_num(r.clean_metric)} to {_num(worst.metric)}"
            flip = f"{_pct(worst.flip_share)} of predictions moved by more than a tenth of the target's spread"
        if r.metric_key == "accuracy":
            harm = max(worst.flip_share or 0.0, -(worst.change or 0.0))
        else:  # regression: judged by how much the average miss grows
            harm = (worst.change or 0.0) / r.clean_metric if r.clean_metric > 0 else 0.0
        verdict = "steady" if harm < 0.05 else ("somewhat sensitive" if harm < 0.15 else "fragile")
        if verdict == "steady" and (worst.flip_share or 0.0) >= 0.25:
            # the misses balance out on average, but one row's answer is not to be trusted to the digit
            verdict = "steady on average, but single answers shift a lot, so treat each one as rough"
        out.append(f"With {amount}, {change} and {flip}: {verdict}.")
    return out


@dataclass(frozen=True)
class BoundaryChange(_Serial):
    column: str
    from_value: str
    to_value: str
    new_answer: str
    distance: float | None  # numeric: how far in percentile terms (0-1); None for categories
    sentence: str


@dataclass(frozen=True)
class BoundaryProbe(_Serial):
    answer: str
    changes: tuple[BoundaryChange, ...]  # nearest first: numeric by percentile distance, then categories
    columns_checked: int
    sentences: tuple[str, ...]


def boundary_probe(
    model: Any, X_row: Any, X_reference: pd.DataFrame, *, n_grid: int = 21, top: int = 3, max_categories: int = 20
) -> BoundaryProbe:
    """For one row, the smallest change to a single column (within the range seen in
    ``X_reference``, scanned on a grid of its quantiles / its observed categories) that changes
    the predicted answer. All candidate rows are scored in one call."""
    row = _frame(X_row).iloc[[0]].reset_index(drop=True)
    ref = _frame(X_reference)
    classes = _classes(model)
    answer = _predict_codes(model, row, classes)[0]
    num, cat = _split_columns(ref[_model_features(model, ref)])
    num = [c for c in num if c in row.columns]
    cat = [c for c in cat if c in row.columns]
    pieces, meta = [], []
    for c in num:
        x = ref[c].to_numpy(dtype=float)
        x = x[np.isfinite(x)]
        if x.size < 2:
            continue
        grid = np.unique(np.quantile(x, np.linspace(0, 1, n_grid)))
        cur = float(row[c].iloc[0]) if pd.notna(row[c].iloc[0]) else np.nan
        cur_rank = float((x <= cur).mean()) if np.isfinite(cur) else np.nan
        cand = pd.concat([row] * len(grid), ignore_index=True)
        cand[c] = pd.Series(grid, dtype=_grid_dtype(grid, ref[c]))
        pieces.append(cand)
        for g in grid:
            dist = abs(float((x <= g).mean()) - cur_rank) if np.isfinite(cur_rank) else None
            meta.append((c, cur, g, dist))
    for c in cat:
        vals = ref[c].dropna().astype(str).value_counts().index[:max_categories]
        cur = row[c].iloc[0]
        choices = [v for v in vals if str(v) != str(cur)]
        if not choices:
            continue
        originals = ref[c].dropna()
        lookup = {str(v): v for v in originals.unique()}
        cand = pd.concat([row] * len(choices), ignore_index=True)
        cand[c] = pd.Series([lookup.get(v, v) for v in choices], dtype=ref[c].dtype)
        pieces.append(cand)
        meta += [(c, cur, lookup.get(v, v), None) for v in choices]
    changes: list[BoundaryChange] = []
    if pieces:
        preds = _predict_codes(model, pd.concat(pieces, ignore_index=True), classes)
        best: dict[str, tuple[Any, ...]] = {}
        for (c, cur, new, dist), p in zip(meta, preds):
            if p == answer:
                continue
            key = dist if dist is not None else 2.0
            if c not in best or key < best[c][0]:
                best[c] = (key, cur, new, p, dist)
        ordered = sorted(best.items(), key=lambda kv: kv[1][0])
        nums = [kv for kv in ordered if kv[1][4] is not None][:top]
        cats = [kv for kv in ordered if kv[1][4] is None][: max(1, top - 1)]
        for c, (_, cur, new, p, dist) in nums + cats:
            changes.append(_boundary_change(str(c), cur, new, str(classes[p]), str(classes[answer]), dist))
    sentences = [ch.sentence for ch in changes] or [
        f"No change to a single column, within the values seen in the data, changes the answer {_q(classes[answer])}: it is a firm call."
    ]
    return BoundaryProbe(str(classes[answer]), tuple(changes), len(num) + len(cat), tuple(sentences))


def _boundary_change(
    col: str, cur: Any, new: Any, new_answer: str, old_answer: str, dist: float | None
) -> BoundaryChange:
    if dist is not None:
        verb = "Raising" if float(new) > float(cur) else "Lowering"
        s = (
            f"{verb} {_col(col)} from {_num(float(cur))} to {_num(float(new))} (past {_pct(dist)} of other rows) "
            f"would change the answer from {_q(old_answer)} to {_q(new_answer)}."
        )
        return BoundaryChange(col, _num(float(cur)), _num(float(new)), new_answer, float(dist), s)
    s = f"Changing {_col(col)} from {_q(cur)} to {_q(new)} alone would change the answer from {_q(old_answer)} to {_q(new_answer)}."
    return BoundaryChange(col, str(cur), str(new), new_answer, None, s)


# --------------------------------------------------------------------------- what drives it


@dataclass(frozen=True)
class Importance(_Serial):
    column: str
    drop: float  # how much worse the metric gets when the column is shuffled (accuracy points or MAE units)
    std: float


@dataclass(frozen=True)
class PartialDependence(_Serial):
    column: str
    kind: str  # "numeric" | "category"
    grid: tuple[str, ...]  # grid values as text (numbers formatted by float())
    values: tuple[float, ...]  # average prediction / chance of `of_class`
    direction: str  # "up" | "down" | "flat" | "mixed" | "category"
    sentence: str


@dataclass(frozen=True)
class DriverReport(_Serial):
    task: str
    metric_key: str
    of_class: str | None  # the class whose chance the partial dependence shows
    importances: tuple[Importance, ...]  # most important first
    partial_dependence: tuple[PartialDependence, ...]
    sentences: tuple[str, ...]


def _permutation_importance(
    model: Any, X: pd.DataFrame, y: pd.Series, task: str, n_repeats: int, seed: int
) -> list[Importance]:
    """Shuffle one column at a time (``n_repeats`` times, all copies scored in one call) and
    measure how much worse the model gets. Same as sklearn.inspection.permutation_importance
    with accuracy / negative MAE scoring, but works with any object that has ``predict``."""
    rng = np.random.default_rng(seed)
    n = len(X)
    if task == "classification":
        classes = _classes(model)
        yc = _codes(y, classes)

        def per_copy(pred_codes: np.ndarray) -> np.ndarray:
            return (pred_codes.reshape(-1, n) == yc[None, :]).mean(axis=1)

        base = per_copy(_predict_codes(model, X, classes))[0]
        predict = lambda f: _predict_codes(model, f, classes)  # noqa: E731
    else:
        y_num = y.to_numpy(dtype=float)

        def per_copy(pred: np.ndarray) -> np.ndarray:
            return -np.abs(pred.reshape(-1, n) - y_num[None, :]).mean(axis=1)

        predict = lambda f: np.asarray(model.predict(f), dtype=float)  # noqa: E731
        base = per_copy(predict(X))[0]
    out = []
    big = pd.concat([X] * n_repeats, ignore_index=True)
    # A Keel model turns each row into its inputs on its own, so shuffling a column's prepared inputs
    # is the same as shuffling the column: prepare the table once, not once per column (a table of
    # 800 columns took 4 minutes, preparing 800 columns 800 times)
    fast = bool(getattr(model, "scores_prepared", False))
    if fast:
        ready = model.prepare(big)
        if task == "classification":
            predict = lambda f: model.predict_proba(f, prepared=True).argmax(axis=1)  # noqa: E731
        else:
            predict = lambda f: np.asarray(model.predict(f, prepared=True), dtype=float)  # noqa: E731
    for c in _model_features(model, X):
        order = np.concatenate([rng.permutation(n) + k * n for k in range(n_repeats)])
        if fast:
            f = ready.copy()
            for p in model.prepared_columns(c):
                if p in f.columns:
                    f[p] = pd.Series(ready[p].to_numpy()[order], index=f.index, dtype=ready[p].dtype)
        else:
            f = big.copy()
            f[c] = pd.Series(big[c].to_numpy()[order], dtype=X[c].dtype)
        scores = per_copy(predict(f))
        drops = base - scores
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


def _grid_dtype(grid: np.ndarray, column: pd.Series) -> Any:
    """The type for probe rows that set ``column`` to each ``grid`` value: the column's own, unless
    it holds whole numbers and the grid falls between them (an age of 34.5), which needs floats."""
    if pd.api.types.is_integer_dtype(column) and not np.all(grid == np.round(grid)):
        return float
    return column.dtype


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
    _check_task(task)
    X, y, _ = _prepare(X, y)
    Xs, ys = _subsample(X, y, max_rows, seed)
    assert ys is not None
    imps = _permutation_importance(model, Xs, ys, task, n_repeats, seed)
    Xp, _ = _subsample(Xs, None, pd_rows, seed + 1)
    of_class = None
    class_index: int | None = None
    if task == "classification":
        classes = _classes(model)
        if len(classes) == 2:
            class_index = _positive_index(classes, positive_label)
    target = None if y.name is None else str(y.name)
    pds: list[PartialDependence] = []
    clear = [i.column for i in imps if i.drop > max(2 * i.std, 1e-12)]
    chosen = (clear + [i.column for i in imps if i.drop > 0 and i.column not in clear])[:top] or [
        i.column for i in imps[:top]
    ]
    col_lookup = {str(c): c for c in X.columns}
    for name in chosen:
        c = col_lookup[name]
        s = X[c]
        if _is_numeric(s) and s.nunique() > 2:
            x = s.to_numpy(dtype=float)
            grid = np.unique(np.quantile(x[np.isfinite(x)], np.linspace(0.05, 0.95, grid_size)))
            kind = "numeric"
            values_in = grid
            dtype = _grid_dtype(grid, s)
        else:
            values_in = s.dropna().value_counts().index[:10].to_numpy()
            grid = values_in
            kind = "category"
            dtype = s.dtype
        if len(values_in) < 2:
            continue
        big = pd.concat([Xp] * len(values_in), ignore_index=True)
        big[c] = pd.Series(np.repeat(values_in, len(Xp)), dtype=dtype)
        if task == "classification":
            proba = _predict_proba(model, big)
            if proba is None:
                proba = np.eye(len(classes))[_predict_codes(model, big, classes)]
            means = proba.reshape(len(values_in), len(Xp), -1).mean(axis=1)  # (grid, k)
            if class_index is None:  # multiclass: the class whose chance moves most with the top column
                class_index = int(np.argmax(means.max(axis=0) - means.min(axis=0)))
            curve = means[:, class_index]
            of_class = str(classes[class_index])
            spread = 0.01
        else:
            curve = np.asarray(model.predict(big), dtype=float).reshape(len(values_in), len(Xp)).mean(axis=1)
            spread = 0.01 * float(np.std(y.to_numpy(dtype=float)))
        direction = _direction(curve, spread) if kind == "numeric" else "category"
        labels = tuple(str(float(g)) for g in grid) if kind == "numeric" else tuple(str(g) for g in grid)
        pdp = PartialDependence(name, kind, labels, tuple(float(v) for v in curve), direction, "")
        pds.append(dataclasses.replace(pdp, sentence=_explain_pd(pdp, task, target, of_class)))
    report = DriverReport(
        task, "accuracy" if task == "classification" else "mae", of_class, tuple(imps), tuple(pds), ()
    )
    return dataclasses.replace(report, sentences=tuple(explain_drivers(report, target)))


def _explain_pd(p: PartialDependence, task: str, target: str | None, of_class: str | None) -> str:
    col = _col(p.column)
    if task == "classification":
        thing = f"the chance of {_col(target)} = {_q(of_class)}" if target else f"the chance of {_q(of_class)}"
        fmt = _pct
    else:
        thing = f"the predicted {_col(target)}" if target else "the prediction"
        fmt = _num
    lo, hi = min(p.values), max(p.values)
    if p.kind == "category":
        i_hi, i_lo = int(np.argmax(p.values)), int(np.argmin(p.values))
        if hi - lo < (0.01 if task == "classification" else 1e-12):
            return f"{col} barely changes {thing}."
        return f"{thing[0].upper() + thing[1:]} is highest when {col} is {_q(p.grid[i_hi])} ({fmt(hi)}) and lowest when it is {_q(p.grid[i_lo])} ({fmt(lo)})."
    first, last = p.values[0], p.values[-1]
    span = f"from {fmt(first)} to {fmt(last)} across the usual range of {col}"
    if p.direction == "up":
        return f"Higher {col} raises {thing} ({span})."
    if p.direction == "down":
        return f"Higher {col} lowers {thing} ({span})."
    if p.direction == "flat":
        return f"{col} barely changes {thing} on its own."
    return f"{col} matters, but with no clear direction: {thing} goes up and down between {fmt(lo)} and {fmt(hi)} across its range."


def explain_drivers(r: DriverReport, target: str | None = None) -> list[str]:
    useful = [i for i in r.importances if i.drop > max(2 * i.std, 1e-12)]
    if not useful:
        return [
            (
                "No single column makes a clear difference on its own when shuffled. Usually several columns carry the same "
                "information, so when one is shuffled the others stand in for it; if the model is not clearly better "
                "than the simple baseline, it may also have learned little."
            )
        ]
    out = []
    lead = useful[0]
    if r.metric_key == "accuracy":
        out.append(
            f"It leans most on {_col(lead.column)}: shuffling it makes the model right {100 * lead.drop:.0f} points less often."
        )
    else:
        out.append(
            f"It leans most on {_col(lead.column)}: shuffling it makes the average miss {_num(lead.drop)} bigger."
        )
    if len(useful) > 1:
        out.append("Next: " + ", ".join(_col(i.column) for i in useful[1:4]) + ".")
    unused = [i.column for i in r.importances if i.drop <= 0]
    if unused:
        out.append(
            f"{len(unused)} column{'s' if len(unused) > 1 else ''} make{'' if len(unused) > 1 else 's'} no measurable difference (e.g. {', '.join(_col(u) for u in unused[:3])})."
        )
    out += [p.sentence for p in r.partial_dependence]
    return out


# --------------------------------------------------------------------------- everything at once


@dataclass(frozen=True)
class Report(_Serial):
    """Everything the Evaluate page and the model card show; store ``to_dict()`` as report_json."""

    evaluation: Evaluation
    slices: SliceReport | None = None
    robustness: RobustnessReport | None = None
    drivers: DriverReport | None = None
    threshold: ThresholdChoice | None = None
    fairness: FairnessReport | None = None
    recalibration: RecalibrationCheck | None = None


def full_report(
    model: Any,
    X: pd.DataFrame,
    y: Any,
    task: str,
    *,
    costs: tuple[float, float] | None = None,
    unit: str = "",
    sensitive_column: str | None = None,
    positive_label: Any = None,
    row_noun: str = "rows",
    seed: int = 0,
    n_boot: int = 200,
) -> Report:
    """Run evaluate, slices, robustness and drivers (plus the cost-based threshold when
    ``costs=(false_alarm, miss)`` is given for a yes/no model, and fairness when a
    ``sensitive_column`` is named)."""
    ev = evaluate(model, X, y, task, positive_label=positive_label, row_noun=row_noun, seed=seed, n_boot=n_boot)
    sl = slices(model, X, y, task, row_noun=row_noun, seed=seed, n_boot=n_boot)
    rb = robustness(model, X, y, task, seed=seed)
    dr = drivers(model, X, y, task, positive_label=positive_label, seed=seed)
    th = fa = None
    if task == "classification" and len(ev.classes) == 2:
        if costs is not None:
            Xc, yc_, _ = _prepare(X, y)
            classes = _classes(model)
            pos = _positive_index(classes, positive_label)
            proba = _predict_proba(model, Xc)
            if proba is not None:
                th = choose_threshold(
                    yc_, proba[:, pos], costs[0], costs[1], positive_label=classes[pos], unit=unit, row_noun=row_noun
                )
        if sensitive_column is not None:
            fa = fairness(model, X, y, sensitive_column, positive_label=positive_label)
    return Report(ev, sl, rb, dr, th, fa)

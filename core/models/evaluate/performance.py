"""How well a fitted model does on rows it has not seen: every metric with a bootstrap interval and one
plain sentence, the gap to a naive baseline, and the details a page draws (per class, confusion, curves,
calibration, residuals)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from core.errors import InputError
from core.models.evaluate.inputs import (
    answer_codes,
    answer_name,
    answering_cutoff,
    check_task,
    model_classes,
    positive_index,
    predict_codes,
    predict_proba,
    prepare_rows,
    quoted,
    target_name,
)
from core.models.evaluate.intervals import boot_many
from core.models.evaluate.reliability import Calibration, calibration
from core.models.evaluate.serial import Serial
from core.models.metrics import Stat, classification_stats, point, regression_stats, safe_div, stat_mean
from core.vocab import (
    CLASSIFICATION_METRICS,
    METRICS,
    REGRESSION_METRICS,
    count,
    format_metric,
    metric_label,
    number,
    percent,
    points,
    signed_percent,
)

#: The evaluation's metrics: the CLI contract's, plus average precision for a yes/no model, in the
#: vocabulary's order.
CLASSIFICATION_KEYS = tuple(k for k in METRICS if k in CLASSIFICATION_METRICS or k == "pr_auc")
REGRESSION_KEYS = REGRESSION_METRICS
MAX_CURVE_POINTS = 200
MAX_RESIDUALS = 2000


@dataclass(frozen=True)
class ClassMetrics(Serial):
    label: str
    precision: float | None
    recall: float | None
    f1: float | None
    support: int


@dataclass(frozen=True)
class Curve(Serial):
    """Points of a curve (ROC: x=false-positive rate, y=true-positive rate; PR: x=recall, y=precision)."""

    x: tuple[float, ...]
    y: tuple[float, ...]
    thresholds: tuple[float, ...] = ()


@dataclass(frozen=True)
class Residuals(Serial):
    predicted: tuple[float, ...]
    actual: tuple[float, ...]
    residual: tuple[float, ...]  # actual - predicted
    sampled_from: int


@dataclass(frozen=True)
class Gap(Serial):
    """The model minus the baseline on the headline metric (paired bootstrap interval)."""

    key: str
    value: float | None
    low: float | None
    high: float | None
    sentence: str


@dataclass(frozen=True)
class Evaluation(Serial):
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
    # a yes/no model's cut-off its answers (and so accuracy, the confusion, per answer) followed: the chance of
    # the second answer in ``classes`` at or above which it answers that; None: the most likely answer
    cutoff: float | None = None

    HEADLINE: ClassVar[dict[str, str]] = {"classification": "accuracy", "regression": "mae"}

    @property
    def headline(self) -> str:
        return self.HEADLINE[self.task]


# --------------------------------------------------------------------------- scoring


@dataclass(frozen=True)
class _Scored:
    """What the model said about the rows, and the metrics as weighted statistics."""

    task: str
    classes: np.ndarray
    stats: dict[str, Stat | None]
    yc: np.ndarray | None = None  # classification: true answers as codes
    pc: np.ndarray | None = None  # predicted answers as codes
    proba: np.ndarray | None = None
    pos: int = -1  # the code of 'yes' for a yes/no model
    cutoff: float | None = None  # the yes/no cut-off the answers followed
    y_num: np.ndarray | None = None  # regression: the truth
    pred: np.ndarray | None = None  # and the predictions


def _score_classifier(
    model: Any, X: pd.DataFrame, y: pd.Series, positive_label: Any, cutoff: float | None = None
) -> _Scored:
    classes = model_classes(model)
    k = len(classes)
    yc = answer_codes(y, classes)
    proba = predict_proba(model, X)
    if proba is not None and proba.shape != (len(y), k):
        proba = None
    used = answering_cutoff(model, classes, cutoff) if proba is not None else None
    pc = predict_codes(model, X, classes, used, proba)
    pos = positive_index(classes, positive_label) if k == 2 else -1
    stats = classification_stats(yc, pc, proba, k, pos)
    return _Scored("classification", classes, stats, yc=yc, pc=pc, proba=proba, pos=pos, cutoff=used)


def _score_regressor(model: Any, X: pd.DataFrame, y: pd.Series, target: str | None) -> _Scored:
    try:
        y_num = y.to_numpy(dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"The answers in {quoted(target or 'the target')} are not all numbers.",
            "Evaluate a regression model on a numeric target, or treat this as classification.",
        ) from exc
    pred = np.asarray(model.predict(X), dtype=float)
    return _Scored("regression", np.asarray([]), regression_stats(y_num, pred), y_num=y_num, pred=pred)


def _baseline(
    s: _Scored, baseline: Any, baseline_name: str | None, X: pd.DataFrame
) -> tuple[str, dict[str, Stat | None], str, Stat]:
    """(baseline's name, its statistics, the gap's metric, the gap as a statistic): the given baseline
    model, or the naive answer from the hold-out itself (the most common class, or the average), which
    flatters the baseline slightly, so the gap shown is if anything modest."""
    if s.task == "classification":
        assert s.yc is not None and s.pc is not None
        k = len(s.classes)
        if baseline is not None:
            name = baseline_name or "the simple baseline model"
            b_pc, b_proba = predict_codes(baseline, X, s.classes), predict_proba(baseline, X)
            if b_proba is not None and b_proba.shape != (len(s.yc), k):
                b_proba = None
        else:
            name = baseline_name or "always guessing the most common answer"
            freq = np.bincount(s.yc, minlength=k) / len(s.yc)
            b_pc, b_proba = np.full(len(s.yc), int(np.argmax(freq))), np.tile(freq, (len(s.yc), 1))
        gap = stat_mean((s.yc == s.pc).astype(float) - (s.yc == b_pc).astype(float))
        return name, classification_stats(s.yc, b_pc, b_proba, k, s.pos), "accuracy", gap
    assert s.y_num is not None and s.pred is not None
    if baseline is not None:
        name = baseline_name or "the simple baseline model"
        b_pred = np.asarray(baseline.predict(X), dtype=float)
    else:
        name = baseline_name or "always guessing the average"
        b_pred = np.full(len(s.y_num), s.y_num.mean())
    m_abs, b_abs = np.abs(s.y_num - s.pred), np.abs(s.y_num - b_pred)

    def gap_stat(w: np.ndarray) -> np.ndarray:  # share of the baseline's typical error removed
        return 1 - safe_div(w @ m_abs, w @ b_abs)

    return name, regression_stats(s.y_num, b_pred), "mae", gap_stat


def _per_class(s: _Scored) -> tuple[tuple[tuple[int, ...], ...], tuple[ClassMetrics, ...]]:
    """The confusion matrix (rows: truth, columns: answer) and precision/recall/F1 per class."""
    assert s.yc is not None and s.pc is not None
    k = len(s.classes)
    cm = np.zeros((k, k), dtype=int)
    np.add.at(cm, (s.yc, s.pc), 1)
    rows = []
    for c in range(k):
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
                str(s.classes[c]),
                None if prec is None else float(prec),
                None if rec is None else float(rec),
                None if f1 is None else float(f1),
                int(row_sum),
            )
        )
    return tuple(tuple(int(v) for v in row) for row in cm), tuple(rows)


def _downsample(x: np.ndarray, y: np.ndarray, t: np.ndarray, limit: int = MAX_CURVE_POINTS) -> Curve:
    n = len(x)
    if n > limit:
        keep = np.unique(np.linspace(0, n - 1, limit).round().astype(int))
        x, y, t = x[keep], y[keep], t[keep]
    t = np.where(np.isfinite(t), t, 1.0)
    return Curve(tuple(float(v) for v in x), tuple(float(v) for v in y), tuple(float(v) for v in t))


def _curves(s: _Scored, y: pd.Series) -> dict[str, Any]:
    """Calibration for any classifier with chances; ROC and precision-recall curves for a yes/no one."""
    out: dict[str, Any] = {}
    if s.proba is None or s.yc is None:
        return out
    binary = len(s.classes) == 2
    out["calibration"] = calibration(y, s.proba, s.classes, positive_label=s.classes[s.pos] if binary else None)
    if binary and 0 < (s.yc == s.pos).sum() < len(s.yc):
        from sklearn.metrics import precision_recall_curve, roc_curve

        fpr, tpr, thr = roc_curve(s.yc == s.pos, s.proba[:, s.pos])
        out["roc_curve"] = _downsample(fpr, tpr, thr)
        prec_c, rec_c, thr_pr = precision_recall_curve(s.yc == s.pos, s.proba[:, s.pos])
        out["pr_curve"] = _downsample(rec_c[:-1], prec_c[:-1], thr_pr)
    return out


def _details(s: _Scored, y: pd.Series, seed: int) -> dict[str, Any]:
    """The Evaluation's detail fields: per class, confusion and curves, or a sample of residuals."""
    if s.task == "classification":
        confusion, per_class = _per_class(s)
        binary = len(s.classes) == 2
        return {
            "confusion": confusion,
            "per_class": per_class,
            "positive_label": str(s.classes[s.pos]) if binary else None,
            **_curves(s, y),
        }
    assert s.y_num is not None and s.pred is not None
    n = len(s.y_num)
    keep = np.sort(np.random.default_rng(seed).choice(n, size=min(n, MAX_RESIDUALS), replace=False))
    residuals = Residuals(
        predicted=tuple(float(v) for v in s.pred[keep]),
        actual=tuple(float(v) for v in s.y_num[keep]),
        residual=tuple(float(v) for v in (s.y_num - s.pred)[keep]),
        sampled_from=n,
    )
    return {"residuals": residuals}


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
    cutoff: float | None = None,
) -> Evaluation:
    """Score ``model`` on hold-out rows ``X`` with true answers ``y``.

    A yes/no model answers as its predictions do: by ``cutoff`` when given, else by the cut-off stored with
    it (a registered model's ``cutoff``), else with the most likely answer. The cut-off changes accuracy,
    balanced accuracy, F1, the confusion and the per-answer table; the measures of its chances (ROC AUC,
    average precision, log loss, Brier, calibration) do not depend on it. ``Evaluation.cutoff`` says which.

    Every headline number gets a seeded bootstrap 95% interval (``n_boot`` resamples of the
    rows) and one plain sentence. ``baseline`` is another fitted model to compare against; when
    None, the naive answer from the hold-out itself is used (the most common class, or the
    average), which flatters the baseline slightly, so the gap shown is if anything modest.
    ``row_noun`` ("customers", "orders") is used in sentences.
    """
    check_task(task)
    X, y, notes = prepare_rows(X, y)
    n = len(y)
    target = target_name(X, y)
    if task == "classification":
        s = _score_classifier(model, X, y, positive_label, cutoff)
    else:
        s = _score_regressor(model, X, y, target)
    metrics = {key: (None if stat is None else point(stat, n)) for key, stat in s.stats.items()}
    b_name, b_stats, gap_key, gap_stat = _baseline(s, baseline, baseline_name, X)
    g_val = point(gap_stat, n)
    defined: dict[str, Any] = {key: st for key, st in s.stats.items() if st is not None and metrics[key] is not None}
    if g_val is not None:
        defined["__gap__"] = gap_stat
    found = boot_many(defined, n, n_boot, seed)
    g_ci = found.get("__gap__")
    details = _details(s, y, seed)
    ev = Evaluation(
        task=task,
        n_rows=n,
        target=target,
        row_noun=row_noun,
        classes=tuple(str(c) for c in s.classes),
        metrics=metrics,
        intervals={key: found.get(key) for key in s.stats},
        sentences={},
        baseline_name=b_name,
        baseline_metrics={key: (None if st is None else point(st, n)) for key, st in b_stats.items()},
        gap=Gap(gap_key, g_val, g_ci[0] if g_ci else None, g_ci[1] if g_ci else None, ""),
        notes=tuple(notes),
        positive_label=details.pop("positive_label", None),
        cutoff=s.cutoff,
        **details,
    )
    assert ev.gap is not None
    ev = dataclasses.replace(ev, gap=dataclasses.replace(ev.gap, sentence=explain_gap(ev)))
    return dataclasses.replace(ev, sentences={k: explain_metric(ev, k) for k in metrics if metrics[k] is not None})


# --------------------------------------------------------------------------- in words


def _between(ci: tuple[float, float] | None, fmt: Any = percent) -> str:
    if ci is None:
        return ""
    return f" (likely between {fmt(ci[0])} and {fmt(ci[1])})"


def explain_metric(ev: Evaluation, key: str) -> str:
    """One plain sentence for one metric, with its interval."""
    v = ev.metrics.get(key)
    ci = ev.intervals.get(key)
    if v is None:
        return ""
    seen = f"On {count(ev.n_rows, ev.row_noun, ev.row_noun)} it hadn't seen"
    target = quoted(ev.target) if ev.target else "the answer"
    pos = quoted(ev.positive_label) if ev.positive_label else "the 'yes' answer"
    as_metric = lambda x: format_metric(key, x)  # noqa: E731
    sentences = {
        "accuracy": f"{seen}, the model was right {percent(v)} of the time{_between(ci)}.",
        "balanced_accuracy": f"Counting every answer equally, so rare answers weigh as much as common ones, it was "
        f"right {percent(v)} of the time{_between(ci)}.",
        "f1_macro": f"Its F1 score, which balances catching each answer against false alarms and is averaged over "
        f"the answers, is {as_metric(v)}{_between(ci, as_metric)} (1 is perfect).",
        "roc_auc": (
            f"Given one {pos} row and one other row at random, it gives the {pos} row the higher chance "
            f"{percent(v)} of the time{_between(ci)} (its ROC AUC: 50% is a coin flip, 100% is perfect)."
            if ev.positive_label
            else f"It separates each answer from the rest {percent(v)} of the time{_between(ci)} (its average "
            "ROC AUC: 50% is a coin flip, 100% is perfect)."
        ),
        "pr_auc": f"Among the rows it ranks as most likely {pos}, precision averages {percent(v)}{_between(ci)} "
        f"(average precision; always guessing scores the share of {pos} rows).",
        "log_loss": f"Its log loss is {as_metric(v)}{_between(ci, as_metric)}: lower is better; it punishes "
        "confident wrong answers hard.",
        "brier": f"Its Brier score is {as_metric(v)}{_between(ci, as_metric)}: the squared gap between its stated "
        "chance and what happened; 0 is perfect, always saying 50% scores 0.25.",
        "ece": f"How sure it says it is of its answer is off from how often it is right by about {points(v)} on "
        f"average{_between(ci)} (calibration error; 0 means its confidence can be taken at face value).",
        "mae": f"{seen}, its predictions of {target} were off by {number(v)} on average{_between(ci, number)}.",
        "rmse": f"Weighing big misses more, the typical error (RMSE) is {number(v)}{_between(ci, number)}; much "
        "larger than the average miss means a few large misses.",
        "r2": f"It explains {percent(v)} of the variation in {target}{_between(ci)} (R²; 0% is no better than "
        "always guessing the average).",
    }
    return sentences.get(key, f"{metric_label(key)}: {as_metric(v)}")


def explain_cutoff(ev: Evaluation) -> str:
    """Which cut-off a yes/no model's figures use, in one sentence ('' for other models)."""
    if ev.task != "classification" or len(ev.classes) != 2:
        return ""
    named = answer_name(ev.classes[-1], ev.target)  # 'churned' (yes): the plain word, and what predictions write
    second = quoted(named) + ("" if named == ev.classes[-1] else f" ({ev.classes[-1]})")
    if ev.cutoff is None:
        return (
            f"These figures count the answer the model finds likelier: {second} when it gives it a chance of 50% "
            "or more (no cut-off chosen)."
        )
    at = percent(ev.cutoff, None if float(100 * ev.cutoff).is_integer() else 1)
    return (
        f"These figures use your cut-off: the model answers {second} when it gives it a chance of at least {at}, "
        "as its predictions do."
    )


def _signed_points(x: float) -> str:
    """A gap of two shares as signed whole percentage points ('+2', '-3'), never '-0'."""
    return f"{round(100 * float(x)):+d}"


def explain_gap(ev: Evaluation) -> str:
    g = ev.gap
    if g is None or g.value is None:
        return ""
    name = ev.baseline_name or "the simple baseline"
    low, high = g.low, g.high
    if g.key == "accuracy":
        span = (
            f"likely between {_signed_points(low)} and {_signed_points(high)} percentage points"
            if low is not None and high is not None
            else ""
        )
        said = f"{_signed_points(g.value)} percentage points"
        better, worse = f"right {points(g.value)} more often", f"right {points(g.value)} LESS often"
        unclear = f"It is not clearly better than {name}"
    else:
        span = f"likely between {percent(low)} and {percent(high)}" if low is not None and high is not None else ""
        said = signed_percent(g.value)
        better, worse = f"typical error is {percent(g.value)} smaller", f"typical error is {percent(-g.value)} LARGER"
        unclear = f"Its typical error is not clearly smaller than {name}"
    paren = f" ({span})" if span else ""
    if low is not None and low > 0:
        return f"{'It is' if g.key == 'accuracy' else 'Its'} {better} than {name}{paren}."
    if g.key == "accuracy" and ev.cutoff is not None and len(ev.classes) == 2:
        return _cutoff_gap(ev, name, said, span)
    if high is not None and high < 0:
        return f"{'It is' if g.key == 'accuracy' else 'Its'} {worse} than {name}{paren}: do not use it."
    return f"{unclear} ({said}{', ' + span if span else ''}): it may have learned little."


def _cutoff_gap(ev: Evaluation, name: str, said: str, span: str) -> str:
    """The gap to a simple guess of a yes/no model answering by a chosen cut-off, when it is not clearly
    better: right answers are what a cut-off from costs gives up, so that is said, not 'do not use it'."""
    yes = quoted(answer_name(ev.classes[-1], ev.target))
    cutoff = float(ev.cutoff or 0.5)
    trade = (
        f"it answers {yes} more often, catching more of them at the price of more false alarms"
        if cutoff < 0.5
        else f"it answers {yes} less often, with fewer false alarms at the price of missing more of them"
    )
    return (
        f"At your cut-off it is not right more often than {name} ({said}{', ' + span if span else ''}): {trade}. "
        "Whether that pays depends on what each mistake costs ('Yes/no cut-off')."
    )


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

"""Watching a registered model: one batch of new data at a time.

For each batch :func:`monitor_batch` works out

* **drift** of every model feature against the model's training data (:mod:`core.drift`), plus
  drift of the model's predictions and, when labels are given, of the labels themselves;
* **performance**: for a classifier, an *estimate* from the model's own confidence that needs no
  labels (confidence-based performance estimation, CBPE), and the *measured* metric when a
  labels column is given, side by side with the training hold-out metric;
* **triggers**: simple rules, each with an action (``none``, ``review``, ``retrain``) and a
  cooldown, giving one overall recommended ``action``.

The batch's statistics (not its rows) are kept with :func:`core.store.save_batch`.

CBPE in short: if the model's probabilities are calibrated (when it says 80 %, it is right 8
times in 10), then on any batch the expected accuracy is the mean of each row's highest class
probability, and the expected ROC AUC follows from expected true/false positives at every
threshold (expected TP at a threshold = sum of the scores above it). This holds under covariate
shift (inputs change, the input→outcome relation does not) and fails under concept drift, which
is why measured metrics win once labels arrive. The uncertainty band comes from a bootstrap that
resamples rows *and* draws labels from the model's probabilities, so it says where the real
metric of a batch like this one would land.

:func:`gate` is the champion/challenger rule used before promoting a retrained model.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from core import store
from core.errors import InputError
from core.monitoring.drift import ColumnDrift, DriftReport, DriftSettings, compare, compare_series, fmt_number

ACTIONS = ("none", "review", "retrain")
LOWER_IS_BETTER = {"mae", "rmse", "log_loss", "brier", "ece", "mase", "smape", "mape"}
# Scores on a fixed 0–1 scale get an absolute margin (points); open-ended errors a relative one.
RELATIVE_MARGIN = {"mae", "rmse", "log_loss", "mase", "mape"}
METRIC_WORDS = {
    "accuracy": "accuracy",
    "balanced_accuracy": "balanced accuracy",
    "f1_macro": "F1 score",
    "roc_auc": "ROC AUC (ranking quality)",
    "log_loss": "log loss",
    "brier": "Brier score",
    "ece": "calibration error",
    "mae": "typical error (MAE)",
    "rmse": "typical error (RMSE)",
    "r2": "R²",
}
MAX_REFERENCE_ROWS_TO_SCORE = 50_000
BOOTSTRAP_ROWS = 10_000


# --------------------------------------------------------------------------- performance


@dataclass(frozen=True)
class MetricEstimate:
    metric: str
    value: float | None
    low: float | None  # 90 % band for the real metric of a batch like this one
    high: float | None

    def to_json(self) -> dict[str, Any]:
        return {"metric": self.metric, "value": _num(self.value), "low": _num(self.low), "high": _num(self.high)}


@dataclass(frozen=True)
class Performance:
    task: str
    method: str  # "cbpe" (estimated from confidence), "labels" (measured), "cbpe+labels", or "none"
    estimated: dict[str, MetricEstimate]
    measured: dict[str, float | None]
    reference: dict[str, float | None]  # the training hold-out metrics
    rows: int
    rows_labelled: int
    explain: str
    reference_rows: int | None = None  # rows of the training hold-out the reference metrics come from

    def to_json(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "method": self.method,
            "estimated": {k: v.to_json() for k, v in self.estimated.items()},
            "measured": {k: _num(v) for k, v in self.measured.items()},
            "reference": {k: _num(v) for k, v in self.reference.items()},
            "rows": self.rows,
            "rows_labelled": self.rows_labelled,
            "reference_rows": self.reference_rows,
            "explain": self.explain,
        }


def _num(x: Any) -> float | None:
    if x is None:
        return None
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) or math.isinf(x) else x


def _normalise(proba: np.ndarray) -> np.ndarray:
    proba = np.clip(np.asarray(proba, dtype=float), 0.0, None)
    sums = proba.sum(axis=1, keepdims=True)
    sums[sums == 0] = 1.0
    return proba / sums


def expected_accuracy(proba: np.ndarray) -> float:
    """CBPE accuracy: the mean of each row's highest class probability."""
    return float(np.mean(np.max(_normalise(proba), axis=1)))


def expected_roc_auc(scores: np.ndarray) -> float | None:
    """CBPE ROC AUC for one class from calibrated scores P(class | row).

    Expected true positives above a threshold are the sum of the scores above it, expected false
    positives the sum of (1 − score); the curve through those points is integrated.
    """
    s = np.asarray(scores, dtype=float)
    pos_total, neg_total = s.sum(), (1 - s).sum()
    if s.size == 0 or pos_total <= 0 or neg_total <= 0:
        return None
    order = np.argsort(-s, kind="stable")
    s_sorted = s[order]
    tp, fp = np.cumsum(s_sorted), np.cumsum(1 - s_sorted)
    last_of_tie = np.r_[np.flatnonzero(np.diff(s_sorted) != 0), s.size - 1]  # one point per distinct score
    tpr = np.r_[0.0, tp[last_of_tie] / pos_total]
    fpr = np.r_[0.0, fp[last_of_tie] / neg_total]
    return float(np.trapezoid(tpr, fpr))


def _expected_auc_all(proba: np.ndarray) -> float | None:
    if proba.shape[1] < 2:
        return None
    if proba.shape[1] == 2:
        return expected_roc_auc(proba[:, 1])
    values = [expected_roc_auc(proba[:, j]) for j in range(proba.shape[1])]
    values = [v for v in values if v is not None]
    return float(np.mean(values)) if values else None  # macro one-vs-rest, like sklearn's "ovr"


def _rank_auc(scores: np.ndarray, y: np.ndarray) -> float:
    n_pos = int(y.sum())
    n_neg = y.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = stats.rankdata(scores)
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def estimate_performance(
    proba: np.ndarray, n_boot: int = 200, level: float = 0.90, seed: int = 0, calibration_error: float | None = None
) -> dict[str, MetricEstimate]:
    """Accuracy and ROC AUC a classifier probably has on these rows, with a band, without labels.

    The bootstrap works on at most 10 000 rows and scales its spread by √(rows used / rows), so a
    million-row batch costs the same as a 20 000-row one. It takes the model's confidence at its word;
    ``calibration_error`` (the model's ECE on its hold-out: how far that word was off) widens the
    accuracy band by as much on each side. Without it, the band held the measured accuracy in only 11 of
    20 random halves of real tables.
    """
    p = _normalise(proba)
    n, k = p.shape
    if n == 0:
        return {}
    acc = expected_accuracy(p)
    auc = _expected_auc_all(p)
    rng = np.random.default_rng(seed)
    m = min(n, BOOTSTRAP_ROWS)
    shrink = math.sqrt(m / n)
    pred = p.argmax(axis=1)
    cum = np.cumsum(p, axis=1)
    accs, aucs = np.empty(n_boot), np.empty(n_boot)
    for b in range(n_boot):
        idx = rng.integers(0, n, m)
        u = rng.random(m)
        y = np.minimum((u[:, None] > cum[idx]).sum(axis=1), k - 1)  # labels drawn from the probabilities
        accs[b] = np.mean(y == pred[idx])
        if k == 2:
            aucs[b] = _rank_auc(p[idx, 1], y == 1)
        else:
            per = [_rank_auc(p[idx, j], y == j) for j in range(k)]
            aucs[b] = np.nanmean(per) if not all(math.isnan(x) for x in per) else np.nan
    lo_q, hi_q = (1 - level) / 2, 1 - (1 - level) / 2

    def band(value: float | None, draws: np.ndarray) -> tuple[float | None, float | None]:
        draws = draws[~np.isnan(draws)]
        if value is None or draws.size < 10:
            return None, None
        centre = float(np.mean(draws))
        lo, hi = np.quantile(draws, [lo_q, hi_q])
        # a skewed bootstrap near 0 or 1 can put a quantile past its mean: the band always holds the value
        return (
            min(max(0.0, value + (lo - centre) * shrink), value),
            max(min(1.0, value + (hi - centre) * shrink), value),
        )

    low, high = band(acc, accs)
    if calibration_error and low is not None and high is not None:
        low, high = max(0.0, low - float(calibration_error)), min(1.0, high + float(calibration_error))
    out = {"accuracy": MetricEstimate("accuracy", acc, low, high)}
    out["roc_auc"] = MetricEstimate("roc_auc", auc, *band(auc, aucs))
    return out


def measure_performance(
    task: str, y_true: pd.Series, y_pred: np.ndarray, proba: np.ndarray | None, classes: Sequence[Any]
) -> dict[str, float | None]:
    """The real metrics on labelled rows (metric keys as in DESIGN.md)."""
    from sklearn import metrics as skm

    if task == "classification":
        # Integer class codes: sklearn's metrics on a million text labels spend seconds sorting strings.
        k = len(classes)
        yt, yp = _class_codes(y_true, classes), _class_codes(y_pred, classes)
        ok = (yt >= 0) & (yp >= 0)
        yt, yp = yt[ok], yp[ok]
        cm = np.bincount(yt * k + yp, minlength=k * k).reshape(k, k).astype(float)
        support, predicted, tp = cm.sum(axis=1), cm.sum(axis=0), np.diag(cm)
        seen = support > 0
        recall = np.divide(tp, support, out=np.zeros(k), where=seen)
        used = seen | (predicted > 0)  # sklearn's default: labels present in truth or predictions
        denom = support + predicted
        f1 = np.divide(2 * tp, denom, out=np.zeros(k), where=denom > 0)
        out: dict[str, float | None] = {
            "accuracy": float(tp.sum() / cm.sum()) if cm.sum() else None,
            "balanced_accuracy": float(recall[seen].mean()) if seen.any() else None,
            "f1_macro": float(f1[used].mean()) if used.any() else None,
            "roc_auc": None,
        }
        if proba is not None and seen.sum() >= 2:
            p = _normalise(np.asarray(proba)[ok])
            if k == 2:
                out["roc_auc"] = _rank_auc(p[:, 1], yt == 1)
            else:
                out["roc_auc"] = float(np.mean([_rank_auc(p[:, j], yt == j) for j in np.flatnonzero(seen)]))
        return out
    y = np.asarray(y_true, dtype=float)
    pred = np.asarray(y_pred, dtype=float)
    err = pred - y
    r2 = float(skm.r2_score(y, pred)) if y.size >= 2 and np.var(y) > 0 else None
    return {"mae": float(np.mean(np.abs(err))), "rmse": float(np.sqrt(np.mean(err**2))), "r2": r2}


def _int_or_none(x: Any) -> int | None:
    try:
        return int(x) if x is not None else None
    except (TypeError, ValueError):
        return None


def _pct(x: float | None, digits: int = 0) -> str:
    return "—" if x is None else f"{100 * x:.{digits}f} %"


def _explain_performance(
    task: str,
    estimated: Mapping[str, MetricEstimate],
    measured: Mapping[str, float | None],
    reference: Mapping[str, float | None],
    rows_labelled: int,
    answers: tuple[str, float, float, int] | None = None,
) -> str:
    """``answers``: (the most common true answer in the batch, its share, the share the model gave it, the
    number of classes)."""
    parts = []
    ref_acc = reference.get("accuracy")
    est = estimated.get("accuracy")
    if est is not None and est.value is not None:
        band = ""
        if est.low is not None and est.high is not None:
            digits = 1 if est.high - est.low < 0.02 else 0
            band = f" (probably between {_pct(est.low, digits)} and {_pct(est.high, digits)})"
        if ref_acc is not None:
            verb = "fell" if est.value < ref_acc - 0.005 else "rose" if est.value > ref_acc + 0.005 else "stayed"
            tail = f"at {_pct(est.value)}" if verb == "stayed" else f"from {_pct(ref_acc)} to {_pct(est.value)}"
            parts.append(f"Accuracy probably {verb} {tail}{band}, judging from the model's own confidence.")
        else:
            parts.append(f"Accuracy is probably {_pct(est.value)}{band}, judging from the model's own confidence.")
    if task == "classification" and measured.get("accuracy") is not None:
        parts.append(
            f"Measured on {rows_labelled:,} labelled rows it is {_pct(measured['accuracy'])}"
            + (f" (it was {_pct(ref_acc)} when tested after training)." if ref_acc is not None else ".")
        )
        if answers is not None and answers[1] < 0.99:  # one answer in (nearly) every row: nothing to compare
            common, share, given, n_classes = answers
            if measured["accuracy"] <= share + 0.005:
                bal = measured.get("balanced_accuracy")
                parts.append(
                    f"But always answering '{common}' would have been right for {_pct(share)} of these rows: "
                    "by accuracy the model does no better than that blind guess here. Judge it by the "
                    "mistakes it makes"
                    + (
                        f" (its balanced accuracy, which weighs every answer equally, is {_pct(bal)}; "
                        f"a blind guess scores {_pct(1 / n_classes)})."
                        if bal is not None
                        else "."
                    )
                )
            if abs(given - share) >= 0.1:
                parts.append(
                    f"It answered '{common}' for {_pct(given)} of the rows; in fact {_pct(share)} were "
                    f"'{common}'. A gap this big usually means the new data differ from the training data."
                )
    if task == "regression":
        if measured.get("mae") is not None:
            ref_mae = reference.get("mae")
            was = f" (it was {fmt_number(ref_mae)} when tested after training)" if ref_mae is not None else ""
            parts.append(f"The typical error on {rows_labelled:,} labelled rows is {fmt_number(measured['mae'])}{was}.")
        else:
            parts.append("Performance of a number-predicting model can only be measured once the true values arrive.")
    return " ".join(parts)


# --------------------------------------------------------------------------- triggers


@dataclass(frozen=True)
class TriggerRule:
    """A rule: fires when its value reaches ``level``; then recommends ``action``.

    After firing it stays quiet for the next ``cooldown`` batches unless its value gets worse.
    """

    rule: str
    title: str
    level: float
    action: str
    cooldown: int = 3  # batches
    worse_by: float = 0.0  # during the cooldown, fire again only if the value rose by more than this
    regression_level: float | None = None  # metric rules: relative rise of the typical error (MAE)


DEFAULT_RULES: tuple[TriggerRule, ...] = (
    # Half the features moved: the world the model learned from has changed.
    TriggerRule("drift_share", "Many features drifted", 0.5, "retrain", worse_by=0.1),
    # One of the model's 3 most important features moved: predictions can shift a lot.
    TriggerRule("important_feature_drift", "An important feature drifted", 1, "review"),
    # Measured metric 5 points worse (or typical error 20 % bigger) than at training: retrain.
    TriggerRule(
        "metric_drop_measured", "Measured performance dropped", 0.05, "retrain", worse_by=0.02, regression_level=0.20
    ),
    # The estimate relies on calibration, so a drop seen only through it asks for a look first.
    TriggerRule("metric_drop_estimated", "Estimated performance dropped", 0.05, "review", worse_by=0.02),
    # A quarter of a year: most business data changes with the seasons.
    TriggerRule("model_age", "Model is getting old", 90, "review", worse_by=30),
    # Half or double the rows of the last batch: a feed may be broken or a segment added.
    TriggerRule("volume_change", "Batch size changed a lot", 0.5, "review", worse_by=0.25),
)
TOP_FEATURES = 3


@dataclass(frozen=True)
class TriggerResult:
    rule: str
    fired: bool
    action: str  # the action if fired (the rule's), "none" otherwise
    value: float | None
    level: float
    detail: str
    cooling_down: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "fired": self.fired,
            "action": self.action,
            "value": _num(self.value),
            "level": self.level,
            "detail": self.detail,
            "cooling_down": self.cooling_down,
        }


def _rule_values(
    rule: TriggerRule,
    drift: DriftReport | None,
    perf: Performance | None,
    task: str,
    created_at: str | None,
    now: dt.datetime,
    rows: int,
    previous_rows: int | None,
    importance: Mapping[str, float] | None,
) -> tuple[float | None, str, bool]:
    """(value, detail, fired-before-cooldown) for one rule. Larger values are worse."""
    if rule.rule == "drift_share":
        if drift is None or drift.drift_share is None:
            return None, "No drift verdict for this batch.", False
        v = drift.drift_share
        return (
            v,
            f"{drift.n_drifted} of {drift.n_judged} features drifted ({_pct(v)}; level {_pct(rule.level)}).",
            v >= rule.level,
        )
    if rule.rule == "important_feature_drift":
        if drift is None:
            return None, "No drift verdict for this batch.", False
        if not importance:
            return None, "The model's feature importance is not known, so this rule was not checked.", False
        top = [c for c, _ in sorted(importance.items(), key=lambda kv: -kv[1])[:TOP_FEATURES]]
        moved = [c.column for c in drift.columns if c.drifted and c.column in top]
        if moved:
            return (
                float(len(moved)),
                (
                    f"Important feature(s) drifted: {', '.join(repr(c) for c in moved)} "
                    f"(top {TOP_FEATURES}: {', '.join(repr(c) for c in top)})."
                ),
                len(moved) >= rule.level,
            )
        return (
            0.0,
            f"None of the {len(top)} most important features ({', '.join(repr(c) for c in top)}) drifted.",
            False,
        )
    if rule.rule in ("metric_drop_measured", "metric_drop_estimated"):
        return _metric_drop(rule, perf, task)
    if rule.rule == "model_age":
        if not created_at:
            return None, "The training date is unknown.", False
        try:
            born = dt.datetime.fromisoformat(created_at.replace("Z", "+00:00"))
        except ValueError:
            return None, "The training date is unreadable.", False
        if born.tzinfo is None:
            born = born.replace(tzinfo=dt.UTC)
        days = (now - born).total_seconds() / 86400
        return days, f"Trained {days:.0f} days ago (level {rule.level:.0f} days).", days >= rule.level
    if rule.rule == "volume_change":
        if not previous_rows:
            return None, "First batch: nothing to compare its size with.", False
        change = abs(rows / previous_rows - 1)
        return (
            change,
            (
                f"{rows:,} rows against {previous_rows:,} in the previous batch "
                f"({100 * (rows / previous_rows - 1):+.0f} %; level ±{_pct(rule.level)})."
            ),
            change >= rule.level,
        )
    raise InputError(f"Unknown trigger rule '{rule.rule}'.", "Use one of: " + ", ".join(r.rule for r in DEFAULT_RULES))


def _class_drop(rule: TriggerRule, perf: Performance) -> tuple[float | None, str, bool]:
    """Measured accuracy or balanced accuracy (whichever fell more) against the training hold-out.

    Accuracy alone missed decay on uneven answers: balanced accuracy fell from 0.85 to 0.53 while
    accuracy rose. A drop also has to be bigger than chance allows for the two samples' sizes: a
    hold-out of 15 rows scoring 100 % made ordinary batches look 5 points worse.
    """
    drops = []
    for metric in ("accuracy", "balanced_accuracy"):
        current, ref = perf.measured.get(metric), perf.reference.get(metric)
        if current is not None and ref is not None:
            drops.append((ref - current, metric, current, ref))
    if not drops:
        if perf.measured.get("accuracy") is None:
            return None, "Measured accuracy is not available for this batch (no labels).", False
        return None, "The model has no accuracy from training to compare with.", False
    drop, metric, current, ref = max(drops)
    words = "accuracy" if metric == "accuracy" else "balanced accuracy"
    detail = (
        f"Measured {words} {100 * current:.1f} % against {100 * ref:.1f} % when tested after training "
        f"({-drop * 100:+.1f} points; level −{rule.level * 100:.0f} points)."
    )
    fires = drop >= rule.level
    n_ref, n_cur = perf.reference_rows, perf.rows_labelled
    if fires and n_ref and n_cur:
        pooled = (ref * n_ref + current * n_cur) / (n_ref + n_cur)  # the two-proportion test's pooled rate
        se = math.sqrt(pooled * (1 - pooled) * (1 / n_ref + 1 / n_cur))
        if drop < 1.645 * se:
            fires = False
            detail += (
                f" With {n_ref:,} test rows after training and {n_cur:,} here, a gap this size can be chance "
                f"(it would need to exceed {100 * 1.645 * se:.1f} points), so it does not count yet."
            )
    return drop, detail, fires


def _metric_drop(rule: TriggerRule, perf: Performance | None, task: str) -> tuple[float | None, str, bool]:
    if perf is None:
        return None, "No performance figures for this batch.", False
    if task == "classification" and rule.rule == "metric_drop_measured":
        return _class_drop(rule, perf)
    if task == "classification":
        metric = "accuracy"
        current = perf.estimated[metric].value if metric in perf.estimated else None
    else:
        metric = "mae"
        if rule.rule == "metric_drop_estimated":
            return None, "Estimating performance without labels is only possible for classifiers.", False
        current = perf.measured.get(metric)
    ref = perf.reference.get(metric)
    how = "Measured" if rule.rule == "metric_drop_measured" else "Estimated"
    if current is None:
        return (
            None,
            f"{how} {METRIC_WORDS[metric]} is not available for this batch (no labels)."
            if how == "Measured"
            else f"{how} {METRIC_WORDS[metric]} is not available.",
            False,
        )
    if ref is None:
        return None, f"The model has no training {METRIC_WORDS[metric]} to compare with.", False
    if metric == "mae":
        level = rule.regression_level if rule.regression_level is not None else rule.level
        drop = (current - ref) / ref if ref > 0 else (math.inf if current > 0 else 0.0)
        detail = (
            f"{how} typical error {fmt_number(current)} against {fmt_number(ref)} when tested after training "
            f"({100 * drop:+.0f} %; level +{_pct(level)})."
        )
        r2, r2_ref = perf.measured.get("r2"), perf.reference.get("r2")
        if drop < level and r2 is not None and r2 < 0 and r2_ref is not None and r2_ref > 0.1:
            # the misses grew less than the level, but the model now does worse than always answering the
            # average: it has stopped explaining anything (shuffled answers took R² from 0.11 to -0.07, MAE +18 %)
            return (
                drop,
                detail
                + (
                    f" It now does worse than always predicting the average (R² {r2:.2f}, "
                    f"{r2_ref:.2f} when tested after training)."
                ),
                True,
            )
        return drop, detail, drop >= level
    drop = ref - current
    return (
        drop,
        (
            f"{how} accuracy {100 * current:.1f} % against {100 * ref:.1f} % when tested after training ({-drop * 100:+.1f} points; "
            f"level −{rule.level * 100:.0f} points)."
        ),
        drop >= rule.level,
    )


def evaluate_triggers(
    *,
    drift: DriftReport | None,
    performance: Performance | None,
    task: str,
    created_at: str | None,
    rows: int,
    history: Sequence[Mapping[str, Any]] = (),
    importance: Mapping[str, float] | None = None,
    rules: Sequence[TriggerRule] = DEFAULT_RULES,
    now: dt.datetime | None = None,
) -> tuple[list[TriggerResult], str]:
    """Run every rule; return the results and the overall action (the strongest fired action).

    ``history`` is the earlier batches' stored results, oldest first (``store.list_batches``).
    """
    now = now or dt.datetime.now(dt.UTC)
    previous_rows = int(history[-1].get("rows") or 0) if history else None
    results = []
    for rule in rules:
        if rule.action not in ACTIONS:
            raise InputError(f"Unknown action '{rule.action}' for rule '{rule.rule}'.", "Use none, review or retrain.")
        value, detail, fires = _rule_values(
            rule, drift, performance, task, created_at, now, rows, previous_rows, importance
        )
        cooling = False
        if fires and rule.cooldown > 0:
            # only while the problem lasts: a batch where the rule held no more ends the quiet spell, so
            # a decay after a healthy batch is news even if an earlier one was worse
            for offset, past in enumerate(reversed(history[-rule.cooldown :]), start=1):
                mine = [t for t in (past.get("result") or {}).get("triggers", []) if t.get("rule") == rule.rule]
                if not mine or not (mine[0].get("fired") or mine[0].get("cooling_down")):
                    break
                t = mine[0]
                if (
                    t.get("fired")
                    and t.get("value") is not None
                    and value is not None
                    and value <= float(t["value"]) + rule.worse_by
                ):
                    cooling = True
                    detail += (
                        f" Already raised {offset} batch(es) ago and not worse since; quiet for "
                        f"{rule.cooldown} batches unless it gets worse."
                    )
                    break
        fired = bool(fires and not cooling)
        results.append(
            TriggerResult(rule.rule, fired, rule.action if fired else "none", value, rule.level, detail, cooling)
        )
    fired_actions = [r.action for r in results if r.fired]
    action = max(fired_actions, key=ACTIONS.index) if fired_actions else "none"
    return results, action


# --------------------------------------------------------------------------- one batch


@dataclass(frozen=True)
class MonitorResult:
    batch_id: int
    model: dict[str, Any]  # id, name, version, task
    rows: int
    drift: DriftReport | None
    prediction_drift: ColumnDrift | None
    target_drift: ColumnDrift | None
    performance: Performance | None
    triggers: tuple[TriggerResult, ...]
    action: str
    created_at: str
    explain: str
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        return {"batch_id": self.batch_id, **self.record()}

    def record(self) -> dict[str, Any]:
        """What is stored for the batch: statistics and verdicts, never the rows themselves."""
        return {
            "model": self.model,
            "rows": self.rows,
            "created_at": self.created_at,
            "drift": self.drift.to_json() if self.drift else None,
            "prediction_drift": self.prediction_drift.to_json() if self.prediction_drift else None,
            "target_drift": self.target_drift.to_json() if self.target_drift else None,
            "performance": self.performance.to_json() if self.performance else None,
            "triggers": [t.to_json() for t in self.triggers],
            "action": self.action,
            "explain": self.explain,
            "notes": list(self.notes),
        }


def _importance_from_report(report: Mapping[str, Any] | None) -> dict[str, float]:
    """Find feature importance in a model's stored report, whatever shape the evaluator gave it."""
    if not report:
        return {}
    candidates: list[Any] = []
    for key in ("importance", "importances", "feature_importance"):
        if key in report:
            candidates.append(report[key])
    for sub in ("drivers", "evaluation"):
        if isinstance(report.get(sub), Mapping):
            for key in ("importances", "importance"):
                if key in report[sub]:
                    candidates.append(report[sub][key])
    for cand in candidates:
        if isinstance(cand, Mapping):
            try:
                return {str(k): float(v) for k, v in cand.items()}
            except (TypeError, ValueError):
                continue
        if isinstance(cand, Sequence):
            out = {}
            for item in cand:
                if isinstance(item, Mapping):
                    name = item.get("column") or item.get("feature") or item.get("name")
                    value = item.get("drop", item.get("importance", item.get("value")))
                    if name is not None and _num(value) is not None:
                        out[str(name)] = float(value)
            if out:
                return out
    return {}


def _check_batch(frame: pd.DataFrame, features: Sequence[str], labels_column: str | None, label: str) -> None:
    if not isinstance(frame, pd.DataFrame) or len(frame) == 0:
        raise InputError("The batch is empty: it has no rows.", "Choose a file with at least one row of new data.")
    missing = [f for f in features if f not in frame.columns]
    if missing:
        shown = ", ".join(repr(m) for m in missing[:8]) + (" …" if len(missing) > 8 else "")
        raise InputError(
            f"The batch is missing {len(missing)} column(s) that model {label} needs: {shown}.",
            "Use a file with the same columns as the training data (names must match exactly).",
        )
    if labels_column is not None and labels_column not in frame.columns:
        raise InputError(
            f"The labels column '{labels_column}' is not in the batch.",
            "Pick the column that holds the true outcome, or leave the labels empty.",
        )


def _text(v: Any) -> str:
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    return str(v)


def _as_text(series: pd.Series) -> pd.Series:
    """Class labels as text, written the same way whether they came as 1, 1.0 or '1'; missing stays missing.

    Each distinct value is converted once, so a million rows cost one hashing pass.
    """
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    texts = np.array([_text(u) for u in uniques] + [np.nan], dtype=object)
    return pd.Series(texts[codes], index=series.index, dtype=object)


def _class_codes(values: Any, classes: Sequence[Any]) -> np.ndarray:
    """Position of each value in ``classes`` (-1 when missing or unknown)."""
    codes, uniques = pd.factorize(pd.Series(np.asarray(values, dtype=object)), use_na_sentinel=True)
    position = {_text(c): j for j, c in enumerate(classes)}
    lookup = np.array([position.get(_text(u), -1) for u in uniques] + [-1], dtype=np.int64)
    return lookup[codes]


def _answer(v: Any) -> bool | None:
    """True/False for a yes/no answer in words or as a boolean (True, 'yes', 'Y'), else None.
    Digits are not answers here: 1/0 labels for a yes/no model are more likely the wrong column."""
    from core.models.model import _FALSE, _TRUE

    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    word = _text(v).strip().lower()
    if word[:1].isdigit():
        return None
    return True if word in _TRUE else False if word in _FALSE else None


def to_classes(raw: pd.Series, classes: Sequence[Any], column: str, *, strict: bool = True) -> pd.Series:
    """Each label as the model's class it stands for (object dtype; missing stays missing).

    A label matches the class written the same way (1, 1.0 and '1' alike); else the one class that
    differs only in case or spaces ('yes' for 'Yes'); else, for a yes/no model, the same answer
    ('yes' for True, 'N' for 'No'), so a new file need not spell the answers as the training file did.
    Labels that match no class raise InputError naming them (``strict``) or stay as written.
    """
    exact = {_text(c): c for c in classes}
    folded: dict[str, list[Any]] = {}
    for c in classes:
        folded.setdefault(_text(c).strip().casefold(), []).append(c)
    answers = {_answer(c): c for c in classes}
    yes_no = len(classes) == 2 and set(answers) == {True, False}
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    found: list[Any] = []
    unknown: list[str] = []
    for u in uniques:
        same_but_case = folded.get(_text(u).strip().casefold(), [])
        if _text(u) in exact:
            found.append(exact[_text(u)])
        elif len(same_but_case) == 1:
            found.append(same_but_case[0])
        elif yes_no and _answer(u) is not None:
            found.append(answers[_answer(u)])
        else:
            found.append(u)
            unknown.append(_text(u))
    if unknown and strict:
        shown = ", ".join(repr(u) for u in sorted(unknown)[:5])
        raise InputError(
            f"The labels in '{column}' do not match the model's classes: found {shown}, "
            f"expected one of {', '.join(repr(c) for c in exact)}.",
            "Check that you picked the right column, and that its values are written as in training.",
        )
    lookup = np.empty(len(found) + 1, dtype=object)
    lookup[:-1] = found
    lookup[-1] = np.nan
    return pd.Series(lookup[codes], index=raw.index, dtype=object)


def _clean_labels(raw: pd.Series, task: str, classes: Sequence[Any], column: str) -> pd.Series:
    """Labels as text matching the model's classes, or as floats; missing labels stay missing."""
    present = raw.notna()
    if task == "classification":
        return _as_text(to_classes(raw, classes, column))  # written as the model's classes are (see _text)
    as_num = pd.to_numeric(raw, errors="coerce")
    bad = present & as_num.isna()
    if bad.any():
        first = raw[bad].iloc[0]
        row = int(np.flatnonzero(bad.to_numpy())[0]) + 1
        raise InputError(
            f"The labels in '{column}' must be numbers, but {int(bad.sum())} are not (first: {first!r} in row {row}).",
            "Pick the column with the true values, or fix those cells in the file.",
        )
    return as_num.astype(float)


def monitor_model(
    info: store.ModelInfo,
    model: Any,
    frame: pd.DataFrame,
    labels_column: str | None = None,
    *,
    reference: pd.DataFrame | None = None,
    importance: Mapping[str, float] | None = None,
    rules: Sequence[TriggerRule] = DEFAULT_RULES,
    settings: DriftSettings | None = None,
    now: dt.datetime | None = None,
    keep_rows: bool = False,
    home: Path | None = None,
) -> MonitorResult:
    """Monitor one batch for an already-loaded model and record it. See :func:`monitor_batch`."""
    schema = getattr(model, "schema", None) or info.schema or {}
    features = [f["name"] for f in schema.get("features", [])]
    kinds = {f["name"]: f.get("kind", "categorical") for f in schema.get("features", [])}
    task = getattr(model, "task", None) or info.task
    target = getattr(model, "target", None) or info.target
    _check_batch(frame, features, labels_column, info.label)
    classes = list(getattr(model, "classes_", ()) or ())
    labels = _clean_labels(frame[labels_column], task, classes, labels_column) if labels_column else None
    notes: list[str] = []

    if reference is None and info.dataset_id is not None:
        reference = store.load_dataset(info.dataset_id, home)
    drift_report: DriftReport | None = None
    pred_drift: ColumnDrift | None = None
    tgt_drift: ColumnDrift | None = None
    ref_sample = None
    if reference is None:
        notes.append("The training data is no longer kept, so drift could not be measured.")
    else:
        usable = [f for f in features if f in reference.columns]
        drift_report = compare(reference[usable], frame[usable], kinds={f: kinds[f] for f in usable}, settings=settings)
        ref_sample = (
            reference
            if len(reference) <= MAX_REFERENCE_ROWS_TO_SCORE
            else reference.sample(MAX_REFERENCE_ROWS_TO_SCORE, random_state=0)
        )
        if labels is not None and target in reference.columns:
            tgt_drift = compare_series(
                _as_text(reference[target]) if task == "classification" else reference[target],
                _as_text(labels) if task == "classification" else labels,
                "categorical" if task == "classification" else "numeric",
                name="target",
                settings=settings,
            )

    proba = model.predict_proba(frame) if task == "classification" else None
    if task == "classification":
        pred = np.asarray(classes, dtype=object)[np.asarray(proba).argmax(axis=1)]
    else:
        pred = np.asarray(model.predict(frame), dtype=float)
    if ref_sample is not None:
        ref_pred = model.predict(ref_sample)
        kind = "categorical" if task == "classification" else "numeric"
        as_series = (
            (lambda a: _as_text(pd.Series(a))) if task == "classification" else (lambda a: pd.Series(a, dtype=float))
        )
        pred_drift = compare_series(as_series(ref_pred), as_series(pred), kind, name="prediction", settings=settings)

    reference_metrics = {k: _num(v) for k, v in (info.metrics or {}).items() if not isinstance(v, (dict, list))}
    ece = reference_metrics.get("ece")
    estimated = (
        estimate_performance(proba, calibration_error=ece if ece is not None and math.isfinite(ece) else None)
        if proba is not None
        else {}
    )
    measured: dict[str, float | None] = {}
    n_labelled = 0
    answers = None
    if labels is not None:
        known = labels.notna().to_numpy()
        n_labelled = int(known.sum())
        if n_labelled:
            measured = measure_performance(
                task, labels[known], pred[known], np.asarray(proba)[known] if proba is not None else None, classes
            )
            if task == "classification":
                truth, given = _as_text(labels[known]), _as_text(pd.Series(np.asarray(pred)[known]))
                common = truth.value_counts().index[0]
                answers = (
                    str(common),
                    float((truth == common).mean()),
                    float((given == common).mean()),
                    max(2, len(classes)),
                )
        else:
            notes.append(f"The labels column '{labels_column}' is empty, so performance could not be measured.")
    method = "+".join(m for m, on in (("cbpe", bool(estimated)), ("labels", bool(measured))) if on) or "none"
    performance = Performance(
        task=task,
        method=method,
        estimated=estimated,
        measured=measured,
        reference={
            k: reference_metrics.get(k)
            for k in (
                ("accuracy", "balanced_accuracy", "roc_auc") if task == "classification" else ("mae", "rmse", "r2")
            )
        },
        reference_rows=_int_or_none(info.params.get("test_rows")),
        rows=len(frame),
        rows_labelled=n_labelled,
        explain=_explain_performance(task, estimated, measured, reference_metrics, n_labelled, answers),
    )

    history = store.list_batches(info.id, home)
    if importance is None:
        importance = _importance_from_report(info.report)
    triggers, action = evaluate_triggers(
        drift=drift_report,
        performance=performance,
        task=task,
        created_at=info.created_at,
        rows=len(frame),
        history=history,
        importance=importance,
        rules=rules,
        now=now,
    )
    created = (now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
    explain = _explain_batch(drift_report, performance, triggers, action)
    result = MonitorResult(
        batch_id=0,
        model={"id": info.id, "name": info.name, "version": info.version, "task": task},
        rows=len(frame),
        drift=drift_report,
        prediction_drift=pred_drift,
        target_drift=tgt_drift,
        performance=performance,
        triggers=tuple(triggers),
        action=action,
        created_at=created,
        explain=explain,
        notes=tuple(notes),
    )
    dataset_id = None
    if keep_rows:  # only when the user asked: the rows become a dataset of their own
        dataset_id = store.save_dataset(frame, f"{info.name} batch", change="Monitored batch", home=home).id
    batch_id = store.save_batch(info.id, len(frame), result.record(), dataset_id=dataset_id, home=home)
    return dataclasses.replace(result, batch_id=batch_id)


def _explain_batch(
    drift: DriftReport | None, perf: Performance | None, triggers: Sequence[TriggerResult], action: str
) -> str:
    parts = []
    if drift is not None:
        parts.append(drift.explain)
    if perf is not None and perf.explain:
        parts.append(perf.explain)
    fired = [t for t in triggers if t.fired]
    if action == "none":
        parts.append("No action needed.")
    else:
        what = "Retraining is recommended" if action == "retrain" else "Worth a review"
        parts.append(f"{what}: " + " ".join(t.detail for t in fired))
    return " ".join(parts)


def _load(model_ref: str | int, home: Path | None) -> tuple[store.ModelInfo, Any]:
    from core.models import model as modelio

    if home is None:
        return modelio.load_registered(model_ref)
    info = store.resolve_model(model_ref, home)
    return info, modelio.KeelModel.from_bytes(store.load_model_artifact(info.id, home))


def monitor_batch(
    model_ref: str | int,
    frame: pd.DataFrame,
    labels_column: str | None = None,
    home: Path | None = None,
    *,
    importance: Mapping[str, float] | None = None,
    rules: Sequence[TriggerRule] = DEFAULT_RULES,
    settings: DriftSettings | None = None,
    now: dt.datetime | None = None,
    keep_rows: bool = False,
) -> MonitorResult:
    """Record a new batch for a registered model (id, name, name:version or name@champion).

    Compares the batch with the model's training data, estimates (and, with ``labels_column``,
    measures) performance, runs the trigger rules and stores the batch's statistics. The rows
    themselves are kept only with ``keep_rows=True``.
    """
    info, model = _load(model_ref, home)
    return monitor_model(
        info,
        model,
        frame,
        labels_column,
        importance=importance,
        rules=rules,
        settings=settings,
        now=now,
        keep_rows=keep_rows,
        home=home,
    )


def timeline(
    model_id: int, home: Path | None = None, batches: Sequence[Mapping[str, Any]] | None = None
) -> pd.DataFrame:
    """One row per recorded batch: when, rows, drift share, performance and action, for charts.

    ``batches``: the model's batches when the caller has already read them (``store.list_batches``)."""
    rows = []
    for b in store.list_batches(model_id, home) if batches is None else batches:
        res = b.get("result") or {}
        perf = res.get("performance") or {}
        est = (perf.get("estimated") or {}).get("accuracy") or {}
        drift = res.get("drift") or {}
        row = {
            "batch_id": b["id"],
            "created_at": b["created_at"],
            "rows": b["rows"],
            "drift_share": drift.get("drift_share"),
            "action": res.get("action"),
            "estimated_accuracy": est.get("value"),
            "estimated_low": est.get("low"),
            "estimated_high": est.get("high"),
        }
        for key, value in (perf.get("measured") or {}).items():
            row[f"measured_{key}"] = value
        for col in drift.get("columns", []):
            row[f"drift:{col['column']}"] = col.get("statistic")
        rows.append(row)
    return pd.DataFrame(rows)


def history_table(model_id: int, batches: Sequence[Mapping[str, Any]] | None = None) -> pd.DataFrame:
    """The batches as a person reads them: when, rows, share of columns drifted, measured scores, advice."""
    from core.vocab import metric_label as metric_name
    from core.vocab import minutes as minutes_text

    raw = timeline(model_id, batches=batches)
    if raw.empty:
        return raw
    plain = pd.DataFrame(
        {
            "batch": raw["batch_id"],
            "checked": minutes_text(raw["created_at"]),
            "rows": raw["rows"],
            "columns drifted (%)": (100 * raw["drift_share"].astype(float)).round(0),
        }
    )
    for key in ("accuracy", "balanced_accuracy", "mae", "r2"):
        if f"measured_{key}" in raw:
            plain[metric_name(key)] = raw[f"measured_{key}"].astype(float).round(3)
    plain["advice"] = raw["action"]
    return plain


@dataclass(frozen=True)
class Alert:
    batch_id: int
    created_at: str
    rule: str
    action: str
    detail: str
    acknowledged: bool

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def alerts(model_id: int, home: Path | None = None, include_acknowledged: bool = True) -> list[Alert]:
    """Every trigger that fired for a model, newest first (the alert log).

    A batch's stored result may carry ``"acknowledged": {rule: {...}}``; writing that needs a store
    function (see the note in the report), reading it is done here.
    """
    out = []
    for b in reversed(store.list_batches(model_id, home)):
        res = b.get("result") or {}
        acked = res.get("acknowledged") or {}
        for t in res.get("triggers", []):
            if not t.get("fired"):
                continue
            alert = Alert(
                int(b["id"]),
                str(b["created_at"]),
                str(t.get("rule")),
                str(t.get("action")),
                str(t.get("detail", "")),
                bool(acked.get(t.get("rule"))),
            )
            if include_acknowledged or not alert.acknowledged:
                out.append(alert)
    return out


# --------------------------------------------------------------------------- champion / challenger


@dataclass(frozen=True)
class GateDecision:
    decision: str  # "promote" | "keep"
    reason: str
    metric: str
    champion: float | None
    challenger: float | None
    improvement: float | None  # positive = challenger better (points, or a share for relative metrics)
    margin: float
    relative: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "decision": self.decision,
            "reason": self.reason,
            "metric": self.metric,
            "champion": _num(self.champion),
            "challenger": _num(self.challenger),
            "improvement": _num(self.improvement),
            "margin": self.margin,
            "relative": self.relative,
        }


def gate(
    champion_metrics: Mapping[str, Any] | None,
    challenger_metrics: Mapping[str, Any],
    primary_metric: str,
    margin: float = 0.01,
) -> GateDecision:
    """Promote the challenger only if it beats the champion on ``primary_metric`` by more than ``margin``.

    Both sets of metrics must come from the same recent hold-out. For scores on a 0–1 scale
    (accuracy, ROC AUC, R², Brier…) the margin is in points (0.01 = 1 point); for open-ended
    errors (MAE, RMSE, log loss) it is a share of the champion's value (0.01 = 1 % smaller).
    """
    relative = primary_metric in RELATIVE_MARGIN
    lower = primary_metric in LOWER_IS_BETTER
    words = METRIC_WORDS.get(primary_metric, primary_metric)
    chall = _num((challenger_metrics or {}).get(primary_metric))
    champ = _num((champion_metrics or {}).get(primary_metric)) if champion_metrics else None
    need = f"{100 * margin:.0f} %" if relative else f"{margin * 100:.1f} points"

    def decide(decision: str, reason: str, improvement: float | None = None) -> GateDecision:
        return GateDecision(decision, reason, primary_metric, champ, chall, improvement, margin, relative)

    if chall is None:
        return decide("keep", f"Keep the champion: the new model has no {words} to compare.")
    if not champion_metrics:
        return decide("promote", f"Promote: there is no champion yet (new model's {words}: {chall:.3g}).")
    if champ is None:
        return decide(
            "keep",
            f"Keep the champion: its {words} is unknown, so the two cannot be compared fairly. "
            "Evaluate both on the same recent rows first.",
        )
    diff = (champ - chall) if lower else (chall - champ)
    if relative:
        improvement = diff / abs(champ) if champ != 0 else (math.inf if diff > 0 else 0.0)
        shown = f"{100 * improvement:+.1f} %"
    else:
        improvement = diff
        shown = f"{improvement * 100:+.1f} points"
    better = "lower" if lower else "higher"
    facts = f"new model's {words} {chall:.3g} against the champion's {champ:.3g} ({shown}; {better} is better)"
    if improvement > margin:
        return decide("promote", f"Promote: the {facts}, more than the required {need}.", improvement)
    if improvement > 0:
        return decide("keep", f"Keep the champion: the {facts}, less than the required {need}.", improvement)
    return decide("keep", f"Keep the champion: the {facts}; the new model is not better.", improvement)

"""How a model does on a batch: measured where labels are given, estimated from its confidence where they
are not (:mod:`.estimates`), beside its training hold-out figures, in one plain paragraph."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.monitoring.estimates import MetricEstimate, normalise, rank_auc
from core.monitoring.labels import class_codes
from core.vocab import count, jsonable, metric_label, number, percent


def plain_metric(key: str) -> str:
    """A measure's everyday name, without the specialist's one in brackets ('Right answers', 'Ranking
    quality', 'Typical error'): :func:`core.vocab.metric_label` up to its bracket, which keeps the full label
    for the details."""
    return metric_label(key).split(" (")[0]


def as_float(x: Any) -> float | None:
    """``x`` as a finite float, or None (missing, not a number, NaN or infinite)."""
    if x is None:
        return None
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) or math.isinf(x) else x


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
            "measured": {k: jsonable(v) for k, v in self.measured.items()},
            "reference": {k: jsonable(v) for k, v in self.reference.items()},
            "rows": self.rows,
            "rows_labelled": self.rows_labelled,
            "reference_rows": self.reference_rows,
            "explain": self.explain,
        }


def measure_performance(
    task: str, y_true: pd.Series, y_pred: np.ndarray, proba: np.ndarray | None, classes: Sequence[Any]
) -> dict[str, float | None]:
    """The real metrics on labelled rows (metric keys as in DESIGN.md)."""
    from sklearn import metrics as skm

    if task == "classification":
        # Integer class codes: sklearn's metrics on a million text labels spend seconds sorting strings.
        k = len(classes)
        yt, yp = class_codes(y_true, classes), class_codes(y_pred, classes)
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
            p = normalise(np.asarray(proba)[ok])
            if k == 2:
                out["roc_auc"] = rank_auc(p[:, 1], yt == 1)
            else:
                out["roc_auc"] = float(np.mean([rank_auc(p[:, j], yt == j) for j in np.flatnonzero(seen)]))
        return out
    y = np.asarray(y_true, dtype=float)
    pred = np.asarray(y_pred, dtype=float)
    err = pred - y
    r2 = float(skm.r2_score(y, pred)) if y.size >= 2 and np.var(y) > 0 else None
    return {"mae": float(np.mean(np.abs(err))), "rmse": float(np.sqrt(np.mean(err**2))), "r2": r2}


def int_or_none(x: Any) -> int | None:
    try:
        return int(x) if x is not None else None
    except (TypeError, ValueError):
        return None


def explain_performance(
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
            digits = 1 if est.high - est.low < 0.02 else None
            band = f" (probably between {percent(est.low, digits)} and {percent(est.high, digits)})"
        if ref_acc is not None:
            verb = "fell" if est.value < ref_acc - 0.005 else "rose" if est.value > ref_acc + 0.005 else "stayed"
            tail = (
                f"at {percent(est.value)}" if verb == "stayed" else f"from {percent(ref_acc)} to {percent(est.value)}"
            )
            parts.append(f"Right answers probably {verb} {tail}{band}, judging from the model's own confidence.")
        else:
            parts.append(
                f"Right answers are probably {percent(est.value)}{band}, judging from the model's own confidence."
            )
    accuracy = measured.get("accuracy")
    if task == "classification" and accuracy is not None:
        parts.append(
            f"Measured on {count(rows_labelled, 'labelled row')}, it was right {percent(accuracy)} of the time"
            + (f" (it was {percent(ref_acc)} when tested after training)." if ref_acc is not None else ".")
        )
        if answers is not None and answers[1] < 0.99:  # one answer in (nearly) every row: nothing to compare
            common, share, given, n_classes = answers
            if accuracy <= share + 0.005:
                bal = measured.get("balanced_accuracy")
                parts.append(
                    f"But always answering '{common}' would have been right for {percent(share)} of these rows: "
                    "by right answers alone the model does no better than that blind guess here. Judge it by the "
                    "mistakes it makes"
                    + (
                        f" (counting every answer equally, it is right {percent(bal)} of the time; "
                        f"a blind guess scores {percent(1 / n_classes)})."
                        if bal is not None
                        else "."
                    )
                )
            if abs(given - share) >= 0.1:
                parts.append(
                    f"It answered '{common}' for {percent(given)} of the rows; in fact {percent(share)} were "
                    f"'{common}'. A gap this big usually means the new data differ from the training data."
                )
    if task == "regression":
        if measured.get("mae") is not None:
            ref_mae = reference.get("mae")
            was = f" (it was {number(ref_mae)} when tested after training)" if ref_mae is not None else ""
            parts.append(
                f"The typical error on {count(rows_labelled, 'labelled row')} is {number(measured['mae'])}{was}."
            )
        else:
            parts.append("Performance of a number-predicting model can only be measured once the true values arrive.")
    return " ".join(parts)

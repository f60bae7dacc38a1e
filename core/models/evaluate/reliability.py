"""Can the model's stated chances be trusted? The reliability diagram (calibration) and recalibration.

* :func:`calibration` — equal-width bins of stated chance vs how often it happened, Brier score and ECE.
* :func:`recalibrate` — fit a calibrator (isotonic or sigmoid) on held-out rows, check on half of them
  whether it helps, and return the wrapped model (:class:`CalibratedModel`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.errors import InputError
from core.models.evaluate.inputs import answer_codes, model_classes, positive_index, prepare_rows, quoted
from core.models.evaluate.serial import Serial
from core.models.metrics import EPS, bin_ids
from core.vocab import count, format_metric, percent, points


@dataclass(frozen=True)
class CalibrationBin(Serial):
    lower: float
    upper: float
    mean_predicted: float | None
    observed: float | None
    count: int


@dataclass(frozen=True)
class Calibration(Serial):
    """Reliability diagram data. Binary: the chance of the positive answer vs how often it was
    that answer. Multiclass: the model's confidence in its top answer vs how often it was right."""

    kind: str  # "positive_class" | "top_label"
    positive_label: str | None
    bins: tuple[CalibrationBin, ...]
    brier: float | None
    ece: float | None
    sentence: str


def calibration(
    y_true: Any, proba: np.ndarray, classes: Any, *, positive_label: Any = None, n_bins: int = 10
) -> Calibration:
    """Reliability diagram (``n_bins`` equal-width bins), Brier score (binary) and ECE.

    ``proba`` is the (n, k) probability matrix in the order of ``classes``. Binary uses the
    positive class's probability (so its ``ece`` can differ from the ``ece`` metric, which is
    always about the top answer); multiclass the confidence in the top answer."""
    classes = np.asarray(classes)
    proba = np.asarray(proba, dtype=float)
    yc = answer_codes(pd.Series(y_true).reset_index(drop=True), classes)
    conf, outcome, kind, pos_label, brier = _calibration_inputs(yc, proba, classes, positive_label)
    bins = bin_ids(conf, n_bins)
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
        pi = positive_index(classes, positive_label)
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
        f"it is {quoted(cal.positive_label)} {percent(b.observed)} of the time"
        if cal.kind == "positive_class"
        else f"it is right {percent(b.observed)} of the time"
    )
    says = (
        f"gives a {quoted(cal.positive_label)} chance of about {percent(b.mean_predicted)}"
        if cal.kind == "positive_class"
        else f"says it is about {percent(b.mean_predicted)} sure"
    )
    verdict = ""
    if cal.ece is not None:
        if cal.ece < 0.03:
            verdict = " Its stated chances can be taken at face value."
        elif cal.ece < 0.08:
            verdict = f" Its stated chances are off by about {points(cal.ece)} on average: usable, but not exact."
        else:
            verdict = (
                f" Its stated chances are off by about {points(cal.ece)} on average: do not read them as exact "
                "probabilities; recalibrating may help."
            )
    return f"When it {says} ({count(b.count, 'row')}), {what}.{verdict}"


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

        classes = model_classes(self.model)
        yc = answer_codes(pd.Series(y).reset_index(drop=True), classes)
        proba = np.asarray(self.model.predict_proba(X), dtype=float)
        cols = [len(classes) - 1] if len(classes) == 2 else list(range(len(classes)))
        self.calibrators_: dict[int, Any] = {}
        for c in cols:
            target = (yc == c).astype(int)
            if target.min() == target.max():
                self.calibrators_[c] = None
                continue
            if self.method == "isotonic":
                cal: Any = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(proba[:, c], target)
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
class RecalibrationCheck(Serial):
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
    X_cal, y_cal, _ = prepare_rows(X_cal, y_cal)
    classes = model_classes(model)
    yc = answer_codes(y_cal, classes)
    if len(y_cal) < 40:
        raise InputError(
            f"Only {count(len(y_cal), 'row')} to calibrate on.",
            "Calibrate on at least a few hundred held-out rows the model was not trained on.",
        )
    from sklearn.model_selection import train_test_split

    counts = np.bincount(yc, minlength=len(classes))
    strat = yc if counts[counts > 0].min() >= 2 else None
    idx_fit, idx_chk = train_test_split(np.arange(len(yc)), test_size=0.5, random_state=seed, stratify=strat)
    X_chk = X_cal.iloc[idx_chk]
    trial = CalibratedModel(model, method).fit(X_cal.iloc[idx_fit], y_cal.iloc[idx_fit])
    y_chk = y_cal.iloc[idx_chk].reset_index(drop=True)

    def scores(m: Any) -> tuple[float | None, float | None, float]:
        proba = np.asarray(m.predict_proba(X_chk), dtype=float)
        cal = calibration(y_chk, proba, classes)
        codes = yc[idx_chk]
        ll = float(np.mean(-np.log(np.clip(proba[np.arange(len(codes)), codes], EPS, 1))))
        return cal.ece, cal.brier, ll

    e0, b0, l0 = scores(model)
    e1, b1, l1 = scores(trial)
    helps = bool(e0 is not None and e1 is not None and e1 < e0 and l1 <= l0 and (b0 is None or b1 is None or b1 <= b0))
    check = RecalibrationCheck(method, e0, e1, b0, b1, l0, l1, helps, len(idx_fit), len(idx_chk), "")
    check = dataclasses.replace(check, sentence=explain_recalibration(check))
    return Recalibration(model=CalibratedModel(model, method).fit(X_cal, y_cal), check=check)


def explain_recalibration(c: RecalibrationCheck) -> str:
    kept_aside = f"{count(c.n_check, 'row')} kept aside"
    if c.helps:
        return (
            f"Recalibrating ({c.method}) made its stated chances more trustworthy on {kept_aside}: "
            f"off by {points(c.ece_after)} on average instead of {points(c.ece_before)}. Worth using."
        )
    return (
        f"Recalibrating ({c.method}) did not help on {kept_aside} "
        f"(off by {points(c.ece_after)} vs {points(c.ece_before)} before, log loss "
        f"{format_metric('log_loss', c.log_loss_after)} vs {format_metric('log_loss', c.log_loss_before)}). "
        "Keep the model as it is."
    )

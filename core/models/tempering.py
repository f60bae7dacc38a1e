"""Tempering a model's chances when they are too sure (or not sure enough) on rows it has not seen.

A random forest on a small table with six outcomes says "60%" where it is right 85% of the time; gradient
boosting says "99%" where it is right 80% of the time. One number, the temperature ``T``, rescales every
row's chances (``softmax(log p / T)``) without changing which outcome each row gets. It is fitted on
out-of-fold chances of the training rows and kept only when it helps on rows it was not fitted on: each
half of those rows is judged with a temperature fitted on the other half, and log loss and calibration
error (ECE) must both drop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize_scalar

from core.models.metrics import ece_score
from core.models.model import temper
from core.vocab import points

MIN_ROWS = 60  # two halves of >= 30 rows to fit and judge a temperature
_BOUNDS = (-3.0, 3.0)  # log T: from 0.05 to 20


@dataclass(frozen=True)
class Tempering:
    temperature: float  # 1.0 when it does not help
    helps: bool
    log_loss_before: float
    log_loss_after: float
    ece_before: float
    ece_after: float
    rows: int

    @property
    def sentence(self) -> str:
        if not self.helps:
            return ""
        way = "too sure of itself" if self.temperature > 1 else "not sure enough"
        return (
            f"The chosen model's stated chances were {way} on rows it had not seen, so Keel rescaled them: off by "
            f"{points(self.ece_after)} on average instead of {points(self.ece_before)} (measured on "
            f"{self.rows:,} training rows, each half judged with a scale fitted on the other)."
        )


def _log_loss(proba: np.ndarray, codes: np.ndarray) -> float:
    return float(np.mean(-np.log(np.clip(proba[np.arange(len(codes)), codes], 1e-12, 1.0))))


def fit_temperature(proba: np.ndarray, codes: np.ndarray) -> float:
    """The temperature that minimises log loss on these rows."""
    found = minimize_scalar(
        lambda log_t: _log_loss(temper(proba, float(np.exp(log_t))), codes), bounds=_BOUNDS, method="bounded"
    )
    return float(np.exp(found.x))


def judge_tempering(proba: np.ndarray, codes: np.ndarray, seed: int = 0) -> Tempering:
    """Whether tempering helps on out-of-fold chances ``proba`` (rows x classes) with answers ``codes``."""
    n = len(codes)
    classes = list(range(proba.shape[1]))

    def ece(p: np.ndarray) -> float:
        return ece_score(codes, p, classes)

    ece0 = ece(proba)
    ll0 = _log_loss(proba, codes)
    if n < MIN_ROWS:
        return Tempering(1.0, False, ll0, ll0, ece0, ece0, n)
    order = np.random.default_rng(seed).permutation(n)
    halves = (order[: n // 2], order[n // 2 :])
    judged = np.empty_like(proba)
    for fit, check in (halves, halves[::-1]):
        judged[check] = temper(proba[check], fit_temperature(proba[fit], codes[fit]))
    ll1 = _log_loss(judged, codes)
    ece1 = ece(judged)
    helps = bool(ll1 < ll0 and ece1 < ece0)
    t = fit_temperature(proba, codes) if helps else 1.0
    return Tempering(t, helps, ll0, ll1, ece0, ece1, n)

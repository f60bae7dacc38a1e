"""How forecasts are scored against what happened, and how intervals are calibrated on the backtest.

Metric conventions as in :mod:`core.forecasting.results`.
"""

from __future__ import annotations

import math

import numpy as np


def metrics(actual: np.ndarray, pred: np.ndarray, scale: float | None) -> dict[str, float | None]:
    """MAE, RMSE, sMAPE, MASE (with ``scale``), WAPE and bias of ``pred`` against ``actual``."""
    a = np.asarray(actual, float)
    p = np.asarray(pred, float)
    e = p - a
    mae = float(np.mean(np.abs(e)))
    den = np.abs(a) + np.abs(p)
    terms = np.where(den > 0, 2 * np.abs(e) / np.where(den > 0, den, 1), 0.0)
    tot = float(np.sum(np.abs(a)))
    return {
        "mae": mae,
        "rmse": float(np.sqrt(np.mean(e**2))),
        "smape": float(100 * np.mean(terms)),
        "mase": mae / scale if scale else None,
        "wape": float(100 * np.sum(np.abs(e)) / tot) if tot > 0 else None,
        "bias": float(np.mean(e)),
    }


def mase_scale(y: np.ndarray, m: int) -> float | None:
    """The in-sample MAE of repeating the last season (lag ``m``, or 1); None when it is zero."""
    m = m if m and y.size > m else 1
    if y.size <= m:
        return None
    s = float(np.mean(np.abs(y[m:] - y[:-m])))
    if s <= 0 and m > 1:
        s = float(np.mean(np.abs(np.diff(y))))
    return s if s > 0 else None


def interval_scale(u: np.ndarray, level: float) -> float:
    """Factor that makes the interval cover ``level`` % of backtest points (at least 1)."""
    u = u[np.isfinite(u)]
    if u.size < 5:
        return 1.0
    # split-conformal finite-sample correction: the ceil((n+1) * level)-th smallest value
    raw = float(np.quantile(u, min(1.0, (1 + 1 / u.size) * level / 100.0), method="higher"))
    if not math.isfinite(raw):
        return 1.0
    # model-based intervals ignore parameter and model uncertainty, so they are never narrowed;
    # they are widened when the backtest shows they were too narrow
    return float(np.clip(raw, 1.0, 5.0))


def needed(actual: np.ndarray, mean: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Fraction of the half-width each point needed to be covered (<= 1: covered)."""
    up = np.maximum(hi - mean, 1e-12)
    down = np.maximum(mean - lo, 1e-12)
    e = actual - mean
    return np.where(e >= 0, e / up, -e / down)

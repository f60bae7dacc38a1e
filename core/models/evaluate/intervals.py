"""How sure a number is: seeded bootstrap intervals for any metric of :mod:`core.models.metrics`, and the
Wilson interval for a share.

Every metric is a statistic of row weights (``stat(w)``); a resample is a row of weights counting how many
times each hold-out row was drawn. The same seed gives the same resamples for every metric, so
model-vs-baseline gaps are paired.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from core.models.metrics import Stat


def weights(idx: np.ndarray, n: int) -> np.ndarray:
    """(B, n) counts of each row in each of B resamples given as (B, n) drawn row numbers."""
    b = idx.shape[0]
    flat = (idx + (np.arange(b, dtype=np.int64) * n)[:, None]).ravel()
    return np.bincount(flat, minlength=b * n).reshape(b, n).astype(float)


def boot_many(stats: dict[str, Any], n: int, n_boot: int, seed: int) -> dict[str, tuple[float, float] | None]:
    """95% percentile intervals for several statistics over the same seeded resamples (the
    weights of each chunk of resamples are drawn once and shared)."""
    if n_boot <= 0 or n < 2 or not stats:
        return dict.fromkeys(stats)
    rng = np.random.default_rng(seed)
    chunk = max(1, min(n_boot, 2_000_000 // max(n, 1)))
    values: dict[str, list[np.ndarray]] = {k: [] for k in stats}
    done = 0
    while done < n_boot:
        b = min(chunk, n_boot - done)
        w = weights(rng.integers(0, n, size=(b, n)), n)
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


def boot(stat: Stat, n: int, n_boot: int, seed: int) -> tuple[float, float] | None:
    return boot_many({"x": stat}, n, n_boot, seed)["x"]


def wilson(successes: int, n: int) -> tuple[float, float] | None:
    """The 95% Wilson score interval of a share (statsmodels' ``proportion_confint``)."""
    if n <= 0:
        return None
    from statsmodels.stats.proportion import proportion_confint

    low, high = proportion_confint(successes, n, alpha=0.05, method="wilson")
    return max(0.0, float(low)), min(1.0, float(high))

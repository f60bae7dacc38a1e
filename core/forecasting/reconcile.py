"""Make forecasts of a hierarchy add up: each family's total equals the sum of its products at every step.

The hierarchy is its summing matrix ``S`` (one row per series, one column per product; the last rows are
the products themselves, an identity block): the totals are ``S @ products``. Base forecasts ``yhat`` (one
row per series, one column per horizon step) made on their own rarely add up. A reconciled forecast is
``S @ G @ yhat``, and two choices of ``G`` are offered:

* **bottom-up**: the products' forecasts as they are, the totals added up from them;
* **MinT** (Wickramasuriya, Athanasopoulos & Hyndman 2019, "Optimal forecast reconciliation ... through
  trace minimization", JASA 114): ``G = (S' W⁻¹ S)⁻¹ S' W⁻¹`` with ``W`` the covariance of the base
  forecasts' errors. ``W`` is estimated from backtest errors (what each series' forecast missed on its own
  past, as Keel's rolling-origin backtest measured it, uncentred as in the paper), shrunk towards its
  diagonal by the Schäfer & Strimmer (2005) intensity

      lambda = sum_{i != j} Var(r_ij) / sum_{i != j} r_ij²

  (``r_ij`` the errors' correlations, ``Var(r_ij)`` estimated from the standardised errors), clipped to
  [0, 1]. With fewer than :data:`MIN_POINTS` error points per series the covariance is not estimated: ``W``
  is then diagonal with each series' number of products (structural scaling, "WLS struct"), which gives
  a total as much weight as the products under it together.

MinT of forecasts that already add up leaves them unchanged (``S G S = S``). Sales cannot be negative:
with ``nonnegative`` a product forecast below zero after MinT is set to zero and the totals added up again.
"""

from __future__ import annotations

import numpy as np

#: fewer backtest error points than this per series: structural weights instead of a covariance
MIN_POINTS = 8
BOTTOM_UP = "bottom_up"
MINT_SHRINK = "mint_shrink"
WLS_STRUCT = "wls_struct"


def bottom_rows(S: np.ndarray) -> int:
    """How many products ``S`` has (its columns); checks that its last rows are the identity."""
    m = S.shape[1]
    if S.shape[0] < m or not np.array_equal(S[-m:], np.eye(m)):
        raise ValueError("the summing matrix must end with one identity row per product")
    return m


def shrunk_covariance(errors: np.ndarray) -> tuple[np.ndarray, float]:
    """The Schäfer-Strimmer shrinkage estimate of the errors' covariance (``errors``: points x series,
    no missing values) towards its diagonal, and the shrinkage intensity used (0: the sample covariance,
    1: its diagonal only)."""
    x = np.asarray(errors, dtype=float)
    n = x.shape[0]
    cov = x.T @ x / n  # uncentred: a good forecast's errors have mean zero
    var = np.diag(cov).copy()
    sd = np.sqrt(np.where(var > 0, var, 1.0))
    xs = x / sd  # standardised errors
    corr = cov / np.outer(sd, sd)
    if n < 2:
        return np.diag(var), 1.0
    # Var(r_ij) from the products w_kij = xs_ki xs_kj of the standardised errors: sum_k (w_kij - mean_ij)² /
    # (n (n - 1)), as the hts R package computes it, without building the points x series x series array
    sq = xs**2
    var_r = (sq.T @ sq - (xs.T @ xs) ** 2 / n) / (n * (n - 1))
    off = ~np.eye(x.shape[1], dtype=bool)
    den = float((corr[off] ** 2).sum())
    lam = 1.0 if den <= 0 else float(np.clip(var_r[off].sum() / den, 0.0, 1.0))
    shrunk = lam * np.diag(var) + (1 - lam) * cov
    return shrunk, lam


def weights(S: np.ndarray, errors: np.ndarray | None) -> tuple[np.ndarray, str, float | None]:
    """MinT's ``W``: the shrunk error covariance when ``errors`` (points x series, finite) hold at least
    :data:`MIN_POINTS` points, else the structural diagonal. Returns W, the method's key and the
    shrinkage intensity (None for structural weights)."""
    if errors is None or errors.ndim != 2 or errors.shape[0] < MIN_POINTS or not np.isfinite(errors).all():
        return np.diag(S.sum(axis=1).astype(float)), WLS_STRUCT, None
    W, lam = shrunk_covariance(errors)
    d = np.diag(W)
    if not (d > 0).any():
        return np.diag(S.sum(axis=1).astype(float)), WLS_STRUCT, None
    # a series whose errors were all zero would get no variance (an exact constraint): floor it
    floor = 1e-9 * float(d.max())
    W = W + np.diag(np.where(d < floor, floor - d, 0.0))
    return W, MINT_SHRINK, lam


def mint(base: np.ndarray, S: np.ndarray, W: np.ndarray) -> np.ndarray:
    """``S (S' W⁻¹ S)⁻¹ S' W⁻¹ base`` (``base``: series x steps)."""
    Wi_S = np.linalg.solve(W, S)
    Wi_b = np.linalg.solve(W, base)
    bottom = np.linalg.solve(S.T @ Wi_S, S.T @ Wi_b)
    return S @ bottom


def reconcile(
    base: np.ndarray,
    S: np.ndarray,
    method: str,
    errors: np.ndarray | None = None,
    nonnegative: bool = False,
) -> tuple[np.ndarray, str]:
    """Reconciled forecasts (series x steps, they add up exactly) and the method actually used.

    ``method``: :data:`BOTTOM_UP`, or ``"mint"`` (shrunk covariance from ``errors``, points x series, or
    structural weights when they are too few: the key returned says which).
    """
    b = np.asarray(base, dtype=float)
    m = bottom_rows(S)
    if method == BOTTOM_UP:
        return S @ b[-m:], BOTTOM_UP
    W, used, _ = weights(S, errors)
    out = mint(b, S, W)
    if nonnegative and (out[-m:] < 0).any():
        out = S @ np.maximum(out[-m:], 0.0)
    # the solve is exact up to rounding; add the totals up from the products so they match to the last digit
    return S @ out[-m:], used

"""The simple models: repeats (naive, seasonal naive), the long-run average, and Croston/SBA for
intermittent demand."""

from __future__ import annotations

import math

import numpy as np

from core.forecasting.methods.base import Model, checked, rmse


class Naive(Model):
    """Tomorrow equals today. Intervals grow like a random walk."""

    alias, label = "naive", "last value carried forward"
    intermittent = True
    transforms = False
    repeat = True
    baseline = True  # scored for reference; ETS/ARIMA become it when it fits best
    combinable = False

    def fit(self, y: np.ndarray) -> Naive:
        y = checked(y)
        self.last_ = y[-1]
        self.sigma_ = rmse(np.diff(y)) if y.size > 1 else 0.0
        return self

    def _mean(self, h: int) -> np.ndarray:
        return np.full(h, self.last_)

    def _sd(self, h: int) -> np.ndarray:
        return self.sigma_ * np.sqrt(np.arange(1, h + 1))


class SeasonalNaive(Model):
    """Same as one season ago."""

    alias, label = "seasonal_naive", "same as last season"
    seasonal = True
    self_seasonal = True
    long_season = False  # repeats the last short cycle (a week), blind to a longer one (a year)
    intermittent = True
    transforms = False
    repeat = True

    def fit(self, y: np.ndarray) -> SeasonalNaive:
        y = checked(y)
        m = int(self.season) if self.season and self.season > 1 and y.size > self.season else 1
        self.m_ = m
        self.last_ = y[-m:]
        self.sigma_ = rmse(y[m:] - y[:-m]) if y.size > m else 0.0
        return self

    def _mean(self, h: int) -> np.ndarray:
        return np.resize(self.last_, h)

    def _sd(self, h: int) -> np.ndarray:
        return self.sigma_ * np.sqrt(np.arange(h) // self.m_ + 1)


class Mean(Model):
    """The long-run average."""

    alias, label = "mean", "long-run average"
    intermittent = True
    regular = False
    transforms = False
    divides_seasons = True
    combinable = False

    def fit(self, y: np.ndarray) -> Mean:
        y = checked(y)
        self.mu_ = float(y.mean())
        self.sigma_ = float(y.std(ddof=1)) if y.size > 1 else 0.0
        return self

    def _mean(self, h: int) -> np.ndarray:
        return np.full(h, self.mu_)

    def _sd(self, h: int) -> np.ndarray:
        return np.full(h, self.sigma_ * math.sqrt(1 + 1 / 2))


class Croston(Model):
    """Croston's method with the Syntetos-Boylan correction (SBA) for intermittent demand."""

    alias, label = "croston_sba", "intermittent-demand average (Croston/SBA)"
    intermittent = True
    regular = False
    transforms = False
    divides_seasons = True
    default = True  # for intermittent demand, when the history is too short to test

    def __init__(self, season: int = 1, alpha: float = 0.1, sba: bool = True) -> None:
        super().__init__(season)
        self.alpha = alpha
        self.sba = sba

    def fit(self, y: np.ndarray) -> Croston:
        y = checked(y)
        a = self.alpha
        nz = np.flatnonzero(y != 0)
        if nz.size == 0:
            self.rate_ = 0.0
            self.sigma_ = 0.0
            return self
        sizes = y[nz]
        gaps = np.diff(np.concatenate([[-1], nz])).astype(float)
        z = sizes[0]
        p = gaps[0]
        fitted = np.full(y.size, np.nan)
        for i in range(1, nz.size):
            fitted[nz[i - 1] + 1 : nz[i] + 1] = z / p
            z = a * sizes[i] + (1 - a) * z
            p = a * gaps[i] + (1 - a) * p
        fitted[nz[-1] + 1 :] = z / p
        factor = (1 - a / 2) if self.sba else 1.0
        self.rate_ = float(z / p * factor)
        e = y - fitted * factor
        self.sigma_ = rmse(e)
        return self

    def _mean(self, h: int) -> np.ndarray:
        return np.full(h, self.rate_)

    def _sd(self, h: int) -> np.ndarray:
        return np.full(h, self.sigma_)

"""What every forecasting model is: one interface, and the traits the engine asks about.

Every model follows scikit-learn's habits: ``__init__`` takes the season length first (as every
statsforecast model does) and stores its parameters unchanged; ``fit(y)`` validates, learns
attributes ending in ``_`` and returns ``self``; ``predict(h, level)`` returns ``(mean, lo, hi)``
numpy arrays of length ``h``. ``spec()`` returns the structure chosen by an automatic search (ETS
trend, ARIMA order) so later refits can reuse it without searching again.

The engine never checks a model's name: it reads the class attributes below (the traits) to decide
which models to try on a series and how to feed them.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from scipy.stats import norm


def z_value(level: float) -> float:
    """The standard normal quantile of a central ``level`` % interval (1.645 for 90)."""
    return float(norm.ppf(0.5 + level / 200.0))


class Model:
    """A forecasting model. Subclasses set the traits and implement ``fit`` and ``_mean``/``_sd``
    (or ``predict`` itself)."""

    #: Stable key (the CLI contract's ``model``): naive, seasonal_naive, ets, ...
    alias: ClassVar[str] = "model"
    #: How the model is named for people.
    label: ClassVar[str] = "model"
    #: Needs a season (length > 1) to be worth trying.
    seasonal: ClassVar[bool] = False
    #: Takes the season length itself and is fitted to the raw series; the others see the series with
    #: its seasons removed (or divided out) by the engine.
    self_seasonal: ClassVar[bool] = False
    #: Only for these season lengths (None: any). Holt-Winters and the airline model: months and quarters.
    season_lengths: ClassVar[tuple[int, ...] | None] = None
    #: Follows a season longer than the test windows together. False for a model that copies the last
    #: short cycle: it looks fine in a few test windows and then misses the yearly pattern.
    long_season: ClassVar[bool] = True
    #: Tried on series that sell now and then (many zeros) / on the others.
    intermittent: ClassVar[bool] = False
    regular: ClassVar[bool] = True
    #: Works on the scale the engine chooses (log for a multiplicative pattern) with the seasons
    #: subtracted; False: sees the series as it is.
    transforms: ClassVar[bool] = True
    #: Sees demand with the seasons divided out (zeros stay zeros) when the series has seasons.
    divides_seasons: ClassVar[bool] = False
    #: Needs columns known in advance (drivers). No model does yet; the engine skips such a model
    #: when none are given.
    needs_drivers: ClassVar[bool] = False
    #: Least history (points, and whole seasons) before the model is worth trying.
    min_points: ClassVar[int] = 0
    min_seasons: ClassVar[int] = 0
    #: A plain repeat (of the last value, or of the last season when ``seasonal``): scored for
    #: reference, the answer of last resort, and what a forecast is compared with.
    repeat: ClassVar[bool] = False
    #: Scored for reference only, never chosen.
    baseline: ClassVar[bool] = False
    #: May be part of the average of the tested models.
    combinable: ClassVar[bool] = True
    #: The choice when the history is too short to test any model.
    default: ClassVar[bool] = False

    def __init__(self, season: int = 1) -> None:
        self.season = season

    @classmethod
    def min_history(cls, season: int) -> int:
        """How many points a series needs before this model is worth trying, for this season length."""
        return max(cls.min_points, cls.min_seasons * season)

    @classmethod
    def suits(cls, season: int, n: int, intermittent: bool, drivers: bool = False) -> bool:
        """Whether to try this model on a series of ``n`` points with this main season length."""
        if (intermittent and not cls.intermittent) or (not intermittent and not cls.regular):
            return False
        if cls.seasonal and season <= 1:
            return False
        if cls.season_lengths is not None and season not in cls.season_lengths:
            return False
        if cls.needs_drivers and not drivers:
            return False
        return n >= cls.min_history(season)

    def spec(self) -> dict[str, Any]:
        return {}

    def fit(self, y: np.ndarray) -> Model:  # pragma: no cover - interface
        raise NotImplementedError

    def _mean(self, h: int) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError

    def _sd(self, h: int) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError

    def predict(self, h: int, level: float = 90.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        mean = np.asarray(self._mean(h), dtype=float)
        sd = np.asarray(self._sd(h), dtype=float)
        z = z_value(level)
        return mean, mean - z * sd, mean + z * sd


def checked(y: np.ndarray) -> np.ndarray:
    """``y`` as a float array; ValueError unless it is a non-empty finite 1-d array."""
    y = np.asarray(y, dtype=float)
    if y.ndim != 1 or y.size == 0 or not np.isfinite(y).all():
        raise ValueError("model input must be a non-empty finite 1-d array")
    return y


def rmse(e: np.ndarray) -> float:
    """Root mean square of the finite values (0 when there are none)."""
    e = e[np.isfinite(e)]
    return float(np.sqrt(np.mean(e**2))) if e.size else 0.0

"""Forecasting models with one interface, the registry the engine chooses from, and the seasonal
adjustment they share.

**Adding a model**: write its class (a :class:`~core.forecasting.methods.base.Model` subclass with
its traits: ``alias``, ``label``, ``seasonal``, ``intermittent``, ``min_points``, ...) in a module of
this package and list it in :data:`MODELS` below. The engine reads the traits; it never checks a
model's name.

Models see a clean float array without NaN (the engine interpolates gaps). Seasonality is removed
beforehand by :class:`SeasonalAdjuster` for the models that ``transforms``; the ``self_seasonal``
ones take the season length themselves and work on the raw series.
"""

from __future__ import annotations

from core.forecasting.methods.arima import ARIMA, SeasonalARIMA
from core.forecasting.methods.base import Model, z_value
from core.forecasting.methods.seasonality import (
    SeasonalAdjuster,
    centered_ma,
    cycles_repeat,
    fourier,
    season_history,
    seasonality_test,
)
from core.forecasting.methods.simple import Croston, Mean, Naive, SeasonalNaive
from core.forecasting.methods.smoothing import ETS, SES, HoltWinters, Theta

#: Every model the engine may try, by alias. The order is the preference on ties (equal backtest
#: errors): the models for intermittent demand first, then the seasonal repeat, then the rest.
MODELS: dict[str, type[Model]] = {
    m.alias: m for m in (Naive, Croston, SES, Mean, SeasonalNaive, Theta, ETS, ARIMA, HoltWinters, SeasonalARIMA)
}

#: The engine's own answer besides the models: the average of the tested models (highest and lowest left out
#: when there are five or more; :func:`core.forecasting.fitting.combine`).
COMBINATION = "combination"

#: A series' own forecast averaged with a model learnt across all series of a table (:mod:`core.forecasting.pooled`).
POOLED = "pooled"

LABELS: dict[str, str] = {k: v.label for k, v in MODELS.items()} | {
    COMBINATION: "average of the tested models",
    POOLED: "average of its own model and one learnt across all products (gradient boosting)",
}

__all__ = [
    "ARIMA",
    "COMBINATION",
    "ETS",
    "LABELS",
    "MODELS",
    "POOLED",
    "SES",
    "Croston",
    "HoltWinters",
    "Mean",
    "Model",
    "Naive",
    "SeasonalARIMA",
    "SeasonalAdjuster",
    "SeasonalNaive",
    "Theta",
    "centered_ma",
    "cycles_repeat",
    "fourier",
    "season_history",
    "seasonality_test",
    "z_value",
]

"""The forecasting registry's contract, checked on every registered model (one test id per model), and
proof that the engine chooses by traits: a model added to the registry is tried with no engine change."""

from __future__ import annotations

import ast
import inspect

import numpy as np
import pandas as pd
import pytest

from core.forecasting import backtest, choice, engine, fitting, plan, results, scoring
from core.forecasting.engine import forecast
from core.forecasting.methods import MODELS, Model

SEASON = 4
BOOL_TRAITS = (
    "seasonal", "self_seasonal", "long_season", "intermittent", "regular", "transforms", "divides_seasons",
    "needs_drivers", "repeat", "baseline", "combinable", "default",
)


def _short(cls: type[Model]) -> np.ndarray:
    """The shortest series the engine tries this model on (at least 8 points, the least training window)."""
    n = max(8, cls.min_history(SEASON))
    t = np.arange(n)
    return 20 + 0.5 * t + 3 * np.sin(2 * np.pi * t / SEASON) + np.random.default_rng(n).normal(0, 0.5, n)


def _intermittent() -> np.ndarray:
    rng = np.random.default_rng(4)
    return (rng.random(48) < 0.3) * rng.integers(1, 6, 48).astype(float)


@pytest.mark.parametrize("alias", list(MODELS))
def test_every_model_declares_its_traits(alias):
    cls = MODELS[alias]
    assert cls.alias == alias and alias.islower() and " " not in alias
    assert cls.label and cls.label != Model.label
    for trait in BOOL_TRAITS:
        assert isinstance(getattr(cls, trait), bool), trait
    assert cls.regular or cls.intermittent  # tried on some series
    assert isinstance(cls.min_points, int) and isinstance(cls.min_seasons, int)
    assert cls.season_lengths is None or all(isinstance(m, int) and m > 1 for m in cls.season_lengths)
    params = list(inspect.signature(cls.__init__).parameters)
    assert params[:2] == ["self", "season"]  # one constructor shape: the season length first


@pytest.mark.parametrize("alias", list(MODELS))
@pytest.mark.parametrize("series", ["short", "intermittent"])
def test_every_model_fits_and_forecasts_the_horizon(alias, series):
    cls = MODELS[alias]
    y = _short(cls) if series == "short" else _intermittent()
    model = cls(season=SEASON)
    assert model.fit(y) is model
    mean, lo, hi = model.predict(7, 90.0)
    assert len(mean) == len(lo) == len(hi) == 7
    assert np.isfinite(np.r_[mean, lo, hi]).all()
    assert np.all(lo <= mean + 1e-9) and np.all(mean <= hi + 1e-9)
    wider = model.predict(7, 99.0)
    assert np.all(wider[2] - wider[1] >= hi - lo - 1e-9)  # a higher level never narrows the interval


def test_the_trait_filters_choose_the_candidates():
    assert set(MODELS) == {"naive", "croston_sba", "ses", "mean", "seasonal_naive", "theta", "ets", "arima",
                           "holt_winters", "seasonal_arima"}
    monthly = [a for a, m in MODELS.items() if m.suits(12, 40, intermittent=False)]
    assert monthly == ["naive", "seasonal_naive", "theta", "ets", "arima", "holt_winters", "seasonal_arima"]
    assert [a for a, m in MODELS.items() if m.suits(7, 200, intermittent=False)] == [
        "naive", "seasonal_naive", "theta", "ets", "arima"]  # daily: no Holt-Winters, kept fast
    assert [a for a, m in MODELS.items() if m.suits(1, 10, intermittent=False)] == ["naive", "theta", "ets"]
    assert [a for a, m in MODELS.items() if m.suits(7, 100, intermittent=True)] == [
        "naive", "croston_sba", "ses", "mean", "seasonal_naive"]


ENGINE_MODULES = (backtest, choice, engine, fitting, plan, results, scoring)


def _names_checked(source: str) -> set[str]:
    """String constants the code compares with (==, in, ...) or looks up in the registry (MODELS["x"])."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            parts = [node.left, *node.comparators]
        elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id in ("MODELS", "LABELS"):
            parts = [node.slice]
        else:
            continue
        found |= {c.value for part in parts for c in ast.walk(part) if isinstance(c, ast.Constant) and isinstance(c.value, str)}
    return found


@pytest.mark.parametrize("module", ENGINE_MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_the_engine_never_checks_a_model_name(module):
    assert not _names_checked(inspect.getsource(module)) & set(MODELS)


def test_the_name_check_can_fail():
    assert _names_checked('if name in ("croston_sba", "mean"):\n    m = MODELS["ets"]') == {"croston_sba", "mean", "ets"}


class _Drift(Model):
    """A straight line through the first and last value (the 'drift' method)."""

    alias, label = "drift_line", "straight line from first to last value"
    transforms = False

    def fit(self, y):
        y = np.asarray(y, float)
        self.last_, self.slope_ = y[-1], (y[-1] - y[0]) / max(y.size - 1, 1)
        self.sigma_ = float(np.std(np.diff(y))) if y.size > 2 else 0.0
        return self

    def _mean(self, h):
        return self.last_ + self.slope_ * np.arange(1, h + 1)

    def _sd(self, h):
        return self.sigma_ * np.sqrt(np.arange(1, h + 1))


class _NeedsDrivers(_Drift):
    alias, label = "with_drivers", "needs columns known in advance"
    needs_drivers = True


def test_a_model_added_to_the_registry_is_tried_without_touching_the_engine(monkeypatch):
    monkeypatch.setitem(MODELS, _Drift.alias, _Drift)
    monkeypatch.setitem(MODELS, _NeedsDrivers.alias, _NeedsDrivers)
    y = 10 + 2.0 * np.arange(60) + np.random.default_rng(1).normal(0, 0.1, 60)
    frame = pd.DataFrame({"date": pd.date_range("2020-01-01", periods=60, freq="MS"), "sales": y})
    s = forecast(frame, "date", "sales", horizon=6, workers=1).series[0]
    tried = [m.model for m in s.leaderboard]
    assert "drift_line" in tried and "with_drivers" not in tried  # no drivers given: not tried
    assert "naive" in tried

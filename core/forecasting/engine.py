"""Forecast many series at once, honestly.

For each series Keel tries a few models (naive, seasonal naive, Theta, ETS, ARIMA, Croston/SBA for
intermittent demand, Holt-Winters and the airline seasonal ARIMA for monthly and quarterly data, and
the average of the best few) and picks the one with the smallest error in
a rolling-origin backtest: the series is cut at several past dates, each model is fitted on what was
known at that date only and scored on what came next. With three or more series in one table, a
series' own backtest is steadied by how each model did on the other series' backtests (a close call
goes to the model that was reliable across the table; clear evidence of the series' own still
wins). Prediction intervals come from the model and
are then widened or narrowed so that they would have covered the right share of the backtest
points; the coverage that this gives (checked window by window on windows not used for the
adjustment) is reported next to the forecast.

Metric conventions: ``mae`` and ``rmse`` in the value's units, ``smape`` and ``wape`` in percent
(sMAPE is the M4 definition, 0-200), ``mase`` is the MAE divided by the in-sample MAE of the
seasonal naive forecast (lag = season length, or 1), ``bias`` = mean(forecast - actual) (positive =
forecasts too high), ``coverage`` = share of backtest points inside the interval (0-1).
"""

from __future__ import annotations

import contextlib
import math
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.data.quality import Finding
from core.errors import InputError
from core.forecasting.methods import (
    LABELS,
    MODELS,
    SELF_SEASONAL,
    SeasonalAdjuster,
    season_history,
    seasonality_test,
)
from core.forecasting.timeseries import (
    Frequency,
    Panel,
    counts_like,
    future_dates,
    launch_zeros,
    prepare,
    season_candidates,
)

DEFAULT_WINDOWS = 3
COMBINE_TOP = 3
MAX_FIT_POINTS = 1500  # older history adds little but costs time
BASELINES: set[str] = {"naive"}  # scored for reference; ETS/ARIMA become it when it fits best
COMBO_MARGIN = 1.05  # take the combination unless a single model is more than 5 % better
# In a table of several series, a model's mean relative backtest error over the other series is added
# to its own (log scale) at this weight, and only with at least MIN_PANEL tested series. Chosen on the
# forecasting benchmark at three origins: 0.25, 0.5 and 1 all helped at all three (per-series MASE
# 1-7 % lower, geometric mean), 0.5 most.
PANEL_WEIGHT = 0.5
MIN_PANEL = 3
# Holt-Winters and the airline seasonal ARIMA for monthly and quarterly data, whose seasonal pattern
# drifts over long histories (the other models see one fixed pattern removed). Measured on 270 other
# real series (bench corpus; mostly 80 years of monthly US employment), mean MASE at the last three
# origins: 1.162 / 1.051 / 0.934 without them, 1.070 / 0.964 / 0.869 with both; on the benchmark's 106
# within 0.3 % of before at each origin. Daily data stay without them (500 shop series in two minutes).
SEASONAL_MODEL_SEASONS = (4, 12)
REL_CAP = 4.0  # a model this many times worse than a series' best counts as no worse than that


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Backtest:
    """Rolling-origin backtest scores of the chosen model (None when the history is too short)."""

    mae: float | None = None
    rmse: float | None = None
    smape: float | None = None
    mase: float | None = None
    wape: float | None = None
    bias: float | None = None
    coverage: float | None = None  # share of backtest points inside the (adjusted) interval
    raw_coverage: float | None = None  # same, before the interval adjustment
    windows: int = 0
    points: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            k: _num(getattr(self, k))
            for k in ("mae", "rmse", "smape", "mase", "wape", "bias", "coverage", "raw_coverage", "windows", "points")
        }


@dataclass(frozen=True)
class ModelScore:
    model: str
    mae: float
    mase: float | None
    smape: float | None
    chosen: bool = False


@dataclass(frozen=True)
class BacktestWindow:
    """One backtest cut: what the chosen model would have said, next to what happened."""

    dates: tuple[pd.Timestamp, ...]
    actual: tuple[float, ...]
    yhat: tuple[float, ...]
    lo: tuple[float, ...]
    hi: tuple[float, ...]


@dataclass(frozen=True)
class SeriesForecast:
    id: str | None
    model: str | None  # stable key: naive, seasonal_naive, theta, ets, arima, croston_sba, holt_winters,
    #                    seasonal_arima, combination
    model_label: str
    backtest: Backtest
    dates: tuple[pd.Timestamp, ...]
    yhat: tuple[float, ...]
    lo: tuple[float, ...]
    hi: tuple[float, ...]
    history_dates: tuple[pd.Timestamp, ...] = ()
    history: tuple[float, ...] = ()
    season: int | None = None  # main season length used (None if no seasonality)
    seasons: tuple[float, ...] = ()
    transform: str = "none"  # "log" | "none"
    components: tuple[str, ...] = ()  # models averaged when model == "combination"
    leaderboard: tuple[ModelScore, ...] = ()
    windows: tuple[BacktestWindow, ...] = ()
    interval_scale: float = 1.0
    notes: tuple[str, ...] = ()  # plain-language notes: fallbacks, skipped seasons
    findings: tuple[Finding, ...] = ()

    @property
    def repeat_baseline(self) -> str | None:
        """The plain repeat the backtest also tried: seasonal naive, else naive (None if neither)."""
        tried = {m.model for m in self.leaderboard}
        return next((b for b in ("seasonal_naive", "naive") if b in tried), None)

    @property
    def vs_repeat(self) -> float | None:
        """The chosen model's typical miss in the backtest over that of :attr:`repeat_baseline`, on the
        same test windows: below 1, Keel's forecast did better."""
        by = {m.model: m.mae for m in self.leaderboard}
        base = self.repeat_baseline
        mine, plain = by.get(self.model), by.get(base)
        if mine is None or plain is None or self.model in ("seasonal_naive", "naive"):
            return None
        return mine / plain if plain > 0 else None

    def summary(self, level: float = 90.0, unit: str = "period") -> str:
        """One plain sentence about the chosen method and how it did on the past."""
        name = f"'{self.id}'" if self.id is not None else "The series"
        if self.model is None:
            return f"{name}: too little history to forecast."
        how = self.model_label
        if self.components:
            how += " (" + ", ".join(LABELS.get(c, c) for c in self.components) + ")"
        b = self.backtest
        if b.mae is None:
            return f"{name}: forecast with {how}; the history is too short to check it against the past."
        rel = f" ({b.wape:.0f} % of actual values)" if b.wape is not None else ""
        cov = (
            f"; its {level:g} % ranges held the actual value {b.coverage:.0%} of the time"
            if b.coverage is not None
            else ""
        )
        plain = "repeating the last season" if self.repeat_baseline == "seasonal_naive" else "repeating the last value"
        worse = (
            f" Simply {plain} did as well or better on those {unit}s, so treat this forecast as rough."
            if self.vs_repeat is not None and self.vs_repeat >= 1
            else ""
        )
        return (
            f"{name}: forecast with {how}. Tested on the last {b.points} {unit}s of history, it was typically off by "
            f"{b.mae:,.3g}{rel}{cov}.{worse}"
        )

    def to_json(self, integer_years: bool = False) -> dict[str, Any]:
        # one format per series: hourly forecasts write midnight as T00:00:00 too, not as a bare date
        timed = any(pd.Timestamp(d) != pd.Timestamp(d).normalize() for d in self.dates)
        return {
            "id": self.id,
            "model": self.model,
            "model_label": self.model_label,
            "components": list(self.components),
            "season": self.season,
            "transform": self.transform,
            "backtest": self.backtest.to_json(),
            "forecast": [
                {
                    "date": _iso(d, timed),
                    **({"year": d.year} if integer_years else {}),
                    "yhat": _num(y),
                    "lo": _num(a),
                    "hi": _num(b),
                }
                for d, y, a, b in zip(self.dates, self.yhat, self.lo, self.hi)
            ],
            "leaderboard": [
                {"model": s.model, "mae": _num(s.mae), "mase": _num(s.mase), "smape": _num(s.smape), "chosen": s.chosen}
                for s in self.leaderboard
            ],
            "notes": list(self.notes),
            "findings": [_finding_json(f) for f in self.findings],
        }


@dataclass(frozen=True)
class ForecastResult:
    frequency: str  # pandas alias of the dates: D, W-SUN, MS, ME, QS, YS, ...
    frequency_label: str  # daily, weekly, monthly, ...
    horizon: int
    level: float
    series: tuple[SeriesForecast, ...]
    findings: tuple[Finding, ...] = ()  # table-wide findings
    fill: str = "missing"
    integer_years: bool = False
    elapsed_seconds: float = 0.0
    freq: Frequency | None = None

    @property
    def coverage(self) -> float | None:
        """Share of all backtest points inside their interval (over all series)."""
        num = sum(
            (s.backtest.coverage or 0) * s.backtest.points for s in self.series if s.backtest.coverage is not None
        )
        den = sum(s.backtest.points for s in self.series if s.backtest.coverage is not None)
        return num / den if den else None

    def to_json(self) -> dict[str, Any]:
        return {
            "frequency": self.frequency,
            "frequency_label": self.frequency_label,
            "horizon": self.horizon,
            "level": self.level,
            "fill": self.fill,
            "coverage": _num(self.coverage),
            "elapsed_seconds": round(self.elapsed_seconds, 3),
            "series": [
                {
                    **s.to_json(self.integer_years),
                    "summary": s.summary(self.level, self.freq.unit if self.freq else "period"),
                }
                for s in self.series
            ],
            "findings": [_finding_json(f) for f in self.all_findings()],
        }

    def all_findings(self) -> tuple[Finding, ...]:
        """Table-wide findings, then each series' own."""
        return self.findings + tuple(f for s in self.series for f in s.findings)

    def series_labels(self, value_name: str) -> list[str]:
        """Each series' name for people: its id, or the value column's name for a table with one series."""
        return [value_name if s.id is None else str(s.id) for s in self.series]

    def download_frame(self, value_name: str) -> pd.DataFrame:
        """The forecasts as a person downloads them: series, date (with the time for hourly data), forecast,
        low, high, method. A series too short to forecast has no rows."""
        sub_daily = self.freq is not None and (self.freq.code == "h" or self.freq.minutes is not None)
        rows = [
            {
                "series": label,
                "date": _iso(d, with_time=sub_daily),
                "forecast": y,
                "low": a,
                "high": b,
                "method": s.model_label,
            }
            for s, label in zip(self.series, self.series_labels(value_name))
            for d, y, a, b in zip(s.dates, s.yhat, s.lo, s.hi)
        ]
        return pd.DataFrame(rows, columns=["series", "date", "forecast", "low", "high", "method"])

    def to_frame(self) -> pd.DataFrame:
        """Long table of the forecasts: id, date, yhat, lo, hi, model."""
        rows = []
        for s in self.series:
            for d, y, a, b in zip(s.dates, s.yhat, s.lo, s.hi):
                rows.append({"id": s.id, "date": d, "yhat": y, "lo": a, "hi": b, "model": s.model})
        return pd.DataFrame(rows, columns=["id", "date", "yhat", "lo", "hi", "model"])


def _num(x):
    if x is None:
        return None
    if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
        return int(x)
    x = float(x)
    return round(x, 6) if math.isfinite(x) else None


def _iso(d: pd.Timestamp, with_time: bool = False) -> str:
    d = pd.Timestamp(d)
    return d.isoformat() if with_time or d != d.normalize() else d.strftime("%Y-%m-%d")


def _finding_json(f: Finding) -> dict[str, Any]:
    return {
        "code": f.code,
        "severity": f.severity,
        "column": f.column,
        "message": f.message,
        "advice": f.advice,
        "series": f.details.get("series"),
    }


# --------------------------------------------------------------------------- metrics


def metrics(actual: np.ndarray, pred: np.ndarray, scale: float | None) -> dict[str, float | None]:
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
    m = m if m and y.size > m else 1
    if y.size <= m:
        return None
    s = float(np.mean(np.abs(y[m:] - y[:-m])))
    if s <= 0 and m > 1:
        s = float(np.mean(np.abs(np.diff(y))))
    return s if s > 0 else None


# --------------------------------------------------------------------------- per-series engine


@dataclass(frozen=True)
class _Plan:
    seasons: tuple[float, ...]
    main_season: int
    log: bool
    intermittent: bool
    nonneg: bool
    notes: tuple[str, ...] = ()
    closed: tuple[int, ...] = ()  # points of the main season that are always zero (t % main_season)

    def shut(self, start: int, n: int) -> np.ndarray:
        """Which of the points start, ..., start + n - 1 fall on a closed slot of the cycle."""
        return np.isin(np.arange(start, start + n) % self.main_season, self.closed)


def _use_log(y: np.ndarray, m: int) -> bool:
    """Log scale if positive data whose spread grows with their level (multiplicative pattern)."""
    if y.size < 8 or np.min(y) <= 0:
        return False
    if np.allclose(y, np.round(y)) and np.min(y) < 3:
        return False  # small counts: a zero is likely soon, and the log scale cannot take it
    w = max(m, 4)
    k = y.size // w
    if k < 3:
        return False
    chunks = y[-k * w :].reshape(k, w)
    mu = chunks.mean(axis=1)
    sd = chunks.std(axis=1, ddof=1)
    if np.any(sd <= 0) or mu.max() / mu.min() < 1.3:
        return False
    slope = np.polyfit(np.log(mu), np.log(sd), 1)[0]
    return bool(slope > 0.5)


def _make_plan(
    y: np.ndarray, freq_code: str, season: int | None, unit: str, history: np.ndarray | None = None
) -> _Plan:
    """How to model ``y`` (the first backtest window's training part): seasons, log scale, intermittent.

    Whether a season is there is judged on the whole ``history`` when given: the first window of a
    few years of monthly data is too short to show a yearly pattern that the whole history shows.
    """
    history = y if history is None else history
    notes: list[str] = []
    # counts with a few returns are still demand: forecasts and ranges stop at zero
    nonneg = bool(np.all(y >= 0)) or counts_like(y)
    zero_share = float(np.mean(y == 0))
    intermittent = zero_share >= 0.3
    if season is not None:
        cands: tuple[float, ...] = (float(season),) if season > 1 else ()
    else:
        cands = season_candidates(freq_code)
    seasons: list[float] = []
    for p in cands:
        m = int(round(p))
        if history.size < season_history(p):
            if season is not None or m <= 24:
                notes.append(
                    f"A season of {m} {unit}s needs at least {season_history(p)} {unit}s of history; "
                    f"this series has {history.size}, so the seasonal pattern was left out."
                )
            continue
        if season is not None or seasonality_test(history, p):
            seasons.append(p)
    short = [p for p in seasons if round(p) <= 24]
    main = int(round(min(seasons))) if seasons else 1
    if not short and seasons:
        main = int(round(min(seasons)))
    closed: tuple[int, ...] = ()
    if nonneg and main > 1 and zero_share > 0 and y.size >= 2 * main:
        # zero at the same point of (nearly) every cycle: a shop closed at night or on Sundays, solar
        # power after dark. Those points are forecast as zero, and the rest alone decide whether
        # demand is intermittent. A slot counts as closed only if that many zeros would be very
        # unlikely by chance, given how often the other points are zero (sparse sales are zero on
        # some weekday by luck).
        from scipy.stats import binom

        slot = np.arange(y.size) % main
        cycles = np.bincount(slot, minlength=main)
        zeros = np.bincount(slot, weights=(y == 0).astype(float), minlength=main)
        cand = zeros >= 0.9 * cycles
        if cand.any() and not cand.all():
            p_open = float(zeros[~cand].sum() / cycles[~cand].sum())
            chance = binom.sf(zeros - 1, cycles, p_open)  # P(at least this many zeros | open slot)
            shut = cand & (chance < 0.01 / main)
            if shut.any():
                closed = tuple(int(j) for j in np.flatnonzero(shut))
                intermittent = float(np.mean(y[~np.isin(slot, closed)] == 0)) >= 0.3
    log = (not intermittent) and _use_log(y, main)
    return _Plan(tuple(seasons), main, log, intermittent, nonneg, tuple(notes), closed)


def _candidates(plan: _Plan, n: int) -> list[str]:
    if plan.intermittent:
        c = ["naive", "croston_sba", "ses", "mean"]
        if plan.main_season > 1:
            c.append("seasonal_naive")
        return c
    c = ["naive"]
    if plan.main_season > 1:
        c.append("seasonal_naive")
    c += ["theta", "ets"]
    if n >= 12:
        c.append("arima")
    if plan.main_season in SEASONAL_MODEL_SEASONS and n >= 3 * plan.main_season:
        c += ["holt_winters", "seasonal_arima"]
    return c


def _fit_predict(
    name: str, y: np.ndarray, h: int, level: float, plan: _Plan, spec: dict | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    mean, lo, hi, spec = _fit_predict_model(name, y, h, level, plan, spec)
    if plan.closed:  # always zero at these points of the cycle (closed at night, ...): exactly zero
        shut = plan.shut(y.size, h)
        mean, lo, hi = (np.where(shut, 0.0, a) for a in (mean, lo, hi))
    return mean, lo, hi, spec


def _fit_predict_model(
    name: str, y: np.ndarray, h: int, level: float, plan: _Plan, spec: dict | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    if name in ("croston_sba", "mean") and plan.seasons and float(np.min(y)) >= 0:
        # demand now and then, but more of it in some seasons (gifts before Christmas): the model sees
        # the demand with the seasons divided out (zeros stay zeros), and its forecast is multiplied back.
        # Without this, three test windows in December chose a season-blind model that carried the
        # Christmas rush into January (2.5 times what the last January sold)
        adj = SeasonalAdjuster(plan.seasons).fit(y)
        base = max(float(np.mean(y)), 1e-9)
        # the same bounds both ways: a Fourier ripple beside a sharp peak dips below zero, which must
        # neither force a forecast of exactly nothing nor blow past sales up tenfold
        past, ahead = (np.clip(1 + c / base, 0.25, 4.0) for c in (adj.component(np.arange(y.size)), adj.future(h)))
        model = MODELS[name]()
        model.fit(y / past)
        mean, lo, hi = model.predict(h, level)
        return mean * ahead, lo * ahead, hi * ahead, {}
    if name in ("naive", "seasonal_naive", "croston_sba", "mean"):
        model = MODELS[name](season=plan.main_season) if name == "seasonal_naive" else MODELS[name]()
        model.fit(y)
        mean, lo, hi = model.predict(h, level)
        return mean, lo, hi, {}
    use_log = plan.log and float(np.min(y)) > 0  # a later zero rules the log scale out for this fit
    x = np.log(y) if use_log else y
    adj = SeasonalAdjuster(plan.seasons).fit(x) if plan.seasons and name not in SELF_SEASONAL else None
    z = adj.transform(x) if adj else x
    model = MODELS[name](season=plan.main_season) if name in SELF_SEASONAL else MODELS[name](**(spec or {}))
    try:
        model.fit(z)
    except Exception:
        if not spec:
            raise
        model = MODELS[name]()
        model.fit(z)
    mean, lo, hi = model.predict(h, level)
    if adj:
        s = adj.future(h)
        mean, lo, hi = mean + s, lo + s, hi + s
    if use_log:
        mean, lo, hi = np.exp(np.clip(mean, -50, 50)), np.exp(np.clip(lo, -50, 50)), np.exp(np.clip(hi, -50, 50))
    if not (np.isfinite(mean).all() and np.isfinite(lo).all() and np.isfinite(hi).all()):
        raise RuntimeError(f"{name} gave a non-finite forecast")
    return mean, lo, hi, model.spec()


def _clean(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Interpolate gaps; drop 3+ leading zeros. Returns (clean values, number of points dropped)."""
    v = pd.Series(values, dtype=float)
    if v.notna().sum() == 0:
        return np.array([]), len(values)
    first = int(np.flatnonzero(v.notna().to_numpy())[0])
    v = v.iloc[first:].interpolate(limit_direction="both")
    arr = v.to_numpy()
    lead = launch_zeros(arr)
    if lead and lead < arr.size - 2:
        arr = arr[lead:]
        first += lead
    return arr, first


def _interval_scale(u: np.ndarray, level: float) -> float:
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


def _needed(actual, mean, lo, hi) -> np.ndarray:
    """Fraction of the half-width each point needed to be covered (<= 1: covered)."""
    up = np.maximum(hi - mean, 1e-12)
    down = np.maximum(mean - lo, 1e-12)
    e = actual - mean
    return np.where(e >= 0, e / up, -e / down)


def forecast_series(
    values: np.ndarray,
    h: int,
    level: float = 90.0,
    season: int | None = None,
    freq_code: str = "D",
    unit: str = "period",
    windows: int = DEFAULT_WINDOWS,
    prior: dict[str, float] | None = None,
) -> dict[str, Any]:
    """Backtest, choose and forecast one series (raw numpy in, plain dict out; runs in workers).

    ``prior``: how each model did on the backtests of the other series of the same table
    (see :func:`panel_priors`); without it the series' own backtest alone decides.
    """
    return _finish(_backtest(values, h, level, season, freq_code, unit, windows), prior)


def _backtest(
    values: np.ndarray, h: int, level: float, season: int | None, freq_code: str, unit: str, windows: int
) -> dict[str, Any]:
    """Clean one series and test every candidate model on its own past (rolling origins).

    Returns the state :func:`_finish` needs; ``state["done"]`` is already the answer when the
    series is too short for any model.
    """
    y, offset = _clean(np.asarray(values, dtype=float))
    notes: list[str] = []
    if offset and y.size and offset < len(values):
        notes.append(f"The first {offset} {unit}(s) (zeros or empty) were left out of the fit.")
    if y.size > MAX_FIT_POINTS:
        offset += y.size - MAX_FIT_POINTS
        y = y[-MAX_FIT_POINTS:]
    n = y.size
    if n < 2:
        return {
            "done": {
                "model": None,
                "notes": ["This series has too few values to forecast."],
                "mean": [],
                "lo": [],
                "hi": [],
            }
        }
    if n < 3:
        v = float(y[-1])
        notes.append("Too little history for a real forecast: the last value is carried forward.")
        return {
            "done": {
                "model": "naive",
                "notes": notes,
                "mean": [v] * h,
                "lo": [v] * h,
                "hi": [v] * h,
                "season": None,
                "seasons": [],
                "transform": "none",
                "scores": [],
                "windows": [],
                "backtest": None,
                "components": [],
                "scale": 1.0,
            }
        }
    # how many backtest windows fit (keep at least ~2 seasons or 8 points for training)
    min_train = max(8, h // 2)
    cand = [float(season)] if season and season > 1 else list(season_candidates(freq_code))
    fits = [season_history(p) for p in cand if n - h >= season_history(p)]
    if fits:  # keep enough training data in the first window to see the longest season
        min_train = max(min_train, max(fits))
    n_win = max(0, min(windows, (n - min_train) // h))
    origins = [n - w * h for w in range(n_win, 0, -1)]
    first_train = y[: origins[0]] if origins else y
    plan = _make_plan(first_train, freq_code, season, unit, history=y)
    untested = ""
    if origins and plan.main_season > 1:
        min_train = max(min_train, season_history(plan.main_season))
        if origins[-1] < min_train:
            # the whole history shows a season that no test window's past is long enough to hold.
            # Using it without a test did better on both corpora than a tested forecast without it
            # (half-hourly solar power a day ahead: MASE 0.65 against 2.51)
            m = plan.main_season
            untested = (
                f"The history shows a pattern that repeats every {m} {unit}s, and the forecast follows "
                f"it. Checking forecasts on the past would need {season_history(m)} {unit}s before each test of "
                f"{h} {unit}s, more than this history has, so there are no accuracy figures. Forecast "
                f"fewer {unit}s ahead to get them."
            )
        origins = [o for o in origins if o >= min_train]
    notes += list(plan.notes)
    if origins and any(not SeasonalAdjuster.fits(origins[0], p) for p in plan.seasons):
        # the first test window's past is too short to learn a season the whole history shows (two years of days)
        m = int(round(max(plan.seasons)))
        notes.append(
            f"The forecast follows a pattern that repeats every {m} {unit}s, which only the whole history is "
            f"long enough to show: the checks on the past ran without it, so their accuracy figures "
            f"describe the forecast without that pattern."
        )
    cands = _candidates(plan, first_train.size)
    if any(p > plan.main_season and p > len(origins) * h for p in plan.seasons):
        # seasonal naive repeats the last short cycle (a week) and is blind to a longer one (a year) that the
        # test windows together are too short to show: it looked fine in three December windows and then
        # carried the Christmas rush into January. The other models see every season the history shows
        cands = [c for c in cands if c != "seasonal_naive"]
    specs: dict[str, dict] = {}
    preds: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {c: [] for c in cands}
    failed: set[str] = set()
    for o in origins:
        train = y[:o]
        for c in cands:
            if c in failed:
                continue
            try:
                mean, lo, hi, spec = _fit_predict(c, train, h, level, plan, specs.get(c))
                if c not in specs:
                    specs[c] = spec
                preds[c].append((mean, lo, hi))
            except Exception:
                failed.add(c)
    ok = [c for c in cands if c not in failed and len(preds[c]) == len(origins)]
    for c in sorted(failed):
        notes.append(f"The {LABELS.get(c, c)} model could not be fitted to this series and was skipped.")
    scale = mase_scale(first_train, plan.main_season)
    actuals = [y[o : o + h] for o in origins]
    scores: dict[str, dict] = {}
    # intermittent demand: judge by squared error, since absolute error rewards forecasting zero
    crit = "rmse" if plan.intermittent else "mae"
    if origins and not ok:
        notes.append("No model could be fitted in the backtest; Keel fell back to the last value.")
        origins, actuals = [], []
        ok = ["naive"]
    if origins:
        act = np.concatenate(actuals)
        for c in ok:
            pm = np.concatenate([p[0] for p in preds[c]])
            scores[c] = metrics(act, pm, scale)
        ranked = sorted(ok, key=lambda c: scores[c][crit])
        top = [c for c in ranked if c not in ("naive", "mean")][:COMBINE_TOP]
        if len(top) >= 2:
            preds["combination"] = [
                tuple(np.mean([preds[c][i][k] for c in top], axis=0) for k in range(3)) for i in range(len(origins))
            ]
            scores["combination"] = metrics(act, np.concatenate([p[0] for p in preds["combination"]]), scale)
            ok.append("combination")
    else:
        ranked, top = [], []
        notes.append(untested or "The history is too short to test forecasts against the past; no accuracy figures.")
    return {
        "done": None,
        "y": y,
        "offset": offset,
        "h": h,
        "level": level,
        "unit": unit,
        "notes": notes,
        "plan": plan,
        "origins": origins,
        "actuals": actuals,
        "preds": preds,
        "scores": scores,
        "ok": ok,
        "crit": crit,
        "specs": specs,
        "ranked": ranked,
        "top": top,
    }


def relative_errors(state: dict[str, Any]) -> dict[str, float]:
    """log(backtest error / this series' best) for each model it may choose: 0 for its best.

    Scale-free, so series of 3 and of 3,000 units a week can be pooled.
    """
    if state.get("done") is not None or not state["origins"]:
        return {}
    ok, scores, crit = state["ok"], state["scores"], state["crit"]
    errs = {c: scores[c][crit] for c in ([c for c in ok if c not in BASELINES] or ok)}
    errs = {c: e for c, e in errs.items() if e is not None and math.isfinite(e)}
    if not errs:
        return {}
    # errors below 0.1 % of the series' typical size count as that much (a model that repeats an
    # exact pattern perfectly must not make every other model look infinitely worse), and a model
    # more than REL_CAP times worse than the best counts as that: one odd series cannot sway a table
    floor = 1e-3 * float(np.mean(np.abs(state["y"]))) + 1e-12
    best = max(min(errs.values()), floor)
    return {c: min(math.log(max(e, floor) / best), math.log(REL_CAP)) for c, e in errs.items()}


def panel_priors(states: list[dict[str, Any]]) -> list[dict[str, float]]:
    """For each series: how each model did on the backtests of the *other* series (mean relative error).

    One series' three test windows are a noisy judge; products of one shop tend to behave alike,
    so the other series' evidence steadies the choice. Needs MIN_PANEL tested series.
    """
    rels = [relative_errors(s) for s in states]
    # intermittent series are judged differently (squared error, other models): pooled apart
    kind = [bool(s["plan"].intermittent) if r else None for s, r in zip(states, rels)]
    out: list[dict[str, float]] = [{} for _ in states]
    for k in (False, True):
        group = [i for i, g in enumerate(kind) if g is k]
        if len(group) < MIN_PANEL:
            continue
        total: dict[str, float] = {}
        count: dict[str, int] = {}
        for i in group:
            for c, v in rels[i].items():
                total[c] = total.get(c, 0.0) + v
                count[c] = count.get(c, 0) + 1
        for i in group:
            r = rels[i]
            if all(count[c] - 1 >= MIN_PANEL - 1 for c in r):  # evidence for every model it may choose
                out[i] = {c: (total[c] - r[c]) / (count[c] - 1) for c in r}
    return out


def _choose(rel: dict[str, float], prior: dict[str, float]) -> str:
    if not all(c in prior for c in rel):  # a model without evidence must not look best by default
        prior = {}
    score = {c: v + PANEL_WEIGHT * prior.get(c, 0.0) for c, v in rel.items()}
    best = min(score, key=lambda c: (score[c], c != "combination"))
    if (
        "combination" in score
        and best != "combination"
        and score["combination"] <= score[best] + math.log(COMBO_MARGIN)
    ):
        best = "combination"  # averages are steadier out of sample; take them unless clearly beaten
    return best


def _finish(state: dict[str, Any], prior: dict[str, float] | None = None, choice: str | None = None) -> dict[str, Any]:
    """Choose the model (own backtest, steadied by the other series'), fit it to all data, calibrate.

    ``choice`` (one of :func:`relative_errors`' keys) skips the choosing: the benchmark uses it to
    score every model Keel could have chosen.
    """
    if state.get("done") is not None:
        return state["done"]
    y, offset, h, level, unit = state["y"], state["offset"], state["h"], state["level"], state["unit"]
    plan, origins, actuals, preds = state["plan"], state["origins"], state["actuals"], state["preds"]
    scores, ok, crit, specs, ranked, top = (state[k] for k in ("scores", "ok", "crit", "specs", "ranked", "top"))
    notes = list(state["notes"])
    n = y.size
    rel = relative_errors(state)
    if rel:
        best = choice if choice in rel else _choose(rel, prior or {})
        own = best if choice in rel else _choose(rel, {})
        if best != own:
            notes.append(
                f"Chosen: '{LABELS.get(best, best)}'. On this series' own past '{LABELS.get(own, own)}' did "
                f"a little better, but across the other series in this table '{LABELS.get(best, best)}' "
                "was clearly more reliable, so Keel went with it."
            )
        components = top if best == "combination" else []
    else:
        # no room for a backtest: a sensible default
        best = "croston_sba" if plan.intermittent else ("ets" if "ets" in ok else ok[0] if ok else "naive")
        components = []
    # final fit on all data
    if plan.log and float(np.min(y)) <= 0:
        notes.append(
            "A zero or negative value appears after the first test period, so the final forecast "
            "works on the original scale instead of the log scale."
        )
    if best == "combination":
        finals = []
        for c in components:
            try:
                sp = None if n <= 300 else specs.get(c)
                finals.append(_fit_predict(c, y, h, level, plan, sp)[:3])
            except Exception:
                notes.append(
                    f"The {LABELS.get(c, c)} model failed on the full history and was left out of the average."
                )
        if finals:
            mean, lo, hi = (np.mean([f[k] for f in finals], axis=0) for k in range(3))
        else:
            best = "seasonal_naive" if plan.main_season > 1 and n > plan.main_season else "naive"
            notes.append(f"Every averaged model failed on the full history; Keel fell back to {LABELS[best]}.")
    if best != "combination":
        fb = "seasonal_naive" if plan.main_season > 1 and n > plan.main_season else "naive"
        # if the chosen model cannot be fitted to the whole history, the next best of the backtest answers
        order = [best] + [c for c in ranked if c not in (best, "combination") and c in ok and c not in BASELINES]
        for c in order + [fb]:
            try:
                sp = None if n <= 300 else specs.get(c)
                mean, lo, hi, _ = _fit_predict(c, y, h, level, plan, sp)
            except Exception:
                continue
            if c != best:
                notes.append(
                    f"The {LABELS.get(best, best)} model failed on the full history; "
                    f"Keel used the next best, {LABELS.get(c, c)}."
                )
                best = c
            break
    # interval adjustment from the backtest (leave-one-window-out for the reported coverage)
    factor = 1.0
    bt = None
    bt_windows = []
    if origins and best in preds:
        us = [_needed(actuals[i], *preds[best][i]) for i in range(len(origins))]
        if plan.closed:  # forced zeros say nothing about how wide the range should be
            us = [u[~plan.shut(o, u.size)] for u, o in zip(us, origins)]
        allu = np.concatenate(us)
        factor = _interval_scale(allu, level)
        raw_cov = float(np.mean(allu <= 1))
        if len(us) > 1:
            cov_hits = []
            for i in range(len(us)):
                f_i = _interval_scale(np.concatenate([u for j, u in enumerate(us) if j != i]), level)
                cov_hits.append(us[i] <= f_i)
            cov = float(np.mean(np.concatenate(cov_hits)))
        else:
            cov = raw_cov
        s = scores[best]
        bt = {**s, "coverage": cov, "raw_coverage": raw_cov, "windows": len(origins), "points": int(allu.size)}
        for i, o in enumerate(origins):
            pm, pl, ph = preds[best][i]
            pl = pm - factor * (pm - pl)
            ph = pm + factor * (ph - pm)
            if plan.nonneg:
                pm, pl, ph = np.maximum(pm, 0), np.maximum(pl, 0), np.maximum(ph, 0)
            bt_windows.append(
                {
                    "start": o + offset,
                    "actual": actuals[i].tolist(),
                    "yhat": pm.tolist(),
                    "lo": pl.tolist(),
                    "hi": ph.tolist(),
                }
            )
    lo = mean - factor * (mean - lo)
    hi = mean + factor * (hi - mean)
    if plan.nonneg:
        mean, lo, hi = np.maximum(mean, 0), np.maximum(lo, 0), np.maximum(hi, 0)
    leaderboard = [
        {
            "model": c,
            "mae": scores[c]["mae"],
            "mase": scores[c]["mase"],
            "smape": scores[c]["smape"],
            "chosen": c == best,
        }
        for c in sorted(scores, key=lambda c: scores[c][crit])
    ]
    return {
        "model": best,
        "components": list(components),
        "mean": mean.tolist(),
        "lo": lo.tolist(),
        "hi": hi.tolist(),
        "season": plan.main_season if plan.main_season > 1 else None,
        "seasons": list(plan.seasons),
        "transform": "log" if plan.log else "none",
        "scores": leaderboard,
        "backtest": bt,
        "windows": bt_windows,
        "notes": notes,
        "scale": factor,
        "offset": offset,
    }


def _backtest_chunk(items: list[tuple[int, np.ndarray]], kw: dict) -> list[tuple[int, dict]]:
    return [(i, _backtest(v, **kw)) for i, v in items]


def _finish_chunk(items: list[tuple[int, dict, dict]], kw: dict) -> list[tuple[int, dict]]:
    return [(i, _finish(state, prior)) for i, state, prior in items]


@contextlib.contextmanager
def _pool(workers: int):
    """Worker processes for a forecast (None: run here). Fork in a single-threaded process (the CLI);
    with threads around (Streamlit) forking is unsafe, so a clean fork server."""
    if workers <= 1:
        yield None
        return
    import multiprocessing as mp

    try:
        if threading.active_count() == 1 and "fork" in mp.get_all_start_methods():
            ctx = mp.get_context("fork")
        else:
            ctx = mp.get_context("forkserver")
            ctx.set_forkserver_preload(["core.forecasting.engine"])
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker)
    except (OSError, RuntimeError, ImportError, ValueError):
        yield None
        return
    with pool:
        yield pool


def _map(
    pool, workers: int, func: Callable, items: list[tuple], kw: dict, on_done: Callable[[int], None]
) -> dict[int, Any]:
    """Run ``func`` over chunks of items in the pool (or here); {index: result}."""
    total = len(items)
    out: dict[int, Any] = {}
    if pool is not None:
        size = max(1, min(10, total // (workers * 8) or 1))
        chunks = [items[i : i + size] for i in range(0, total, size)]
        try:
            futs = [pool.submit(func, ch, kw) for ch in chunks]
            for fut in as_completed(futs):
                for i, r in fut.result():
                    out[i] = r
                on_done(len(out))
            return out
        except (OSError, RuntimeError, ImportError):  # a broken pool: keep what arrived, finish here
            pass
    with _one_thread():
        for item in items:
            if item[0] in out:
                continue
            for i, r in func([item], kw):
                out[i] = r
            on_done(len(out))
    return out


def _one_thread():
    """Tiny matrices only: BLAS threads just fight each other (and other users) here."""
    try:
        from threadpoolctl import threadpool_limits

        return threadpool_limits(limits=1)
    except Exception:
        return contextlib.nullcontext()


def _init_worker():
    global _LIMITER
    _LIMITER = _one_thread()


_LIMITER = None


# --------------------------------------------------------------------------- public entry


def _validate(horizon: Any, level: Any, season: Any) -> tuple[int, float, int | None]:
    try:
        h = int(horizon)
    except (TypeError, ValueError):
        raise InputError(
            f"The horizon must be a whole number of periods, not {horizon!r}.",
            "Enter how many periods ahead to forecast, e.g. 12.",
        ) from None
    if h != horizon or h <= 0:
        raise InputError(
            f"The horizon must be a positive whole number of periods (got {horizon}).",
            "Enter how many periods ahead to forecast, e.g. 12.",
        )
    try:
        lv = float(level)
    except (TypeError, ValueError):
        lv = float("nan")
    if not (50 <= lv < 100):
        raise InputError(f"The interval level must be between 50 and 99.9 percent (got {level}).", "Use 80, 90 or 95.")
    if season is not None:
        try:
            s = int(season)
        except (TypeError, ValueError):
            s = -1
        if s != season or s < 1:
            raise InputError(
                f"The season length must be a whole number of periods of at least 1 (got {season}).",
                "Use e.g. 7 for daily data with a weekly pattern, 12 for monthly data, or leave it empty.",
            )
        season = s
    return h, lv, season


def forecast(
    frame: pd.DataFrame,
    date: str,
    value: str | Sequence[str],
    id: str | Sequence[str] | None = None,
    horizon: int = 12,
    level: float = 90.0,
    season: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    *,
    fill: str = "auto",
    aggregate_to: str | None = None,
    stockouts_as_missing: bool = False,
    windows: int = DEFAULT_WINDOWS,
    workers: int | None = None,
) -> ForecastResult:
    """Forecast the next ``horizon`` periods of every series in a long-format table.

    ``id``: the column naming each series, or several (a store and a product: one series per pair).
    ``value``: the column to forecast, or several (a wide table, one column per product): one series each.
    ``progress(done, total)`` is called as series finish. ``workers``: processes to use
    (default: up to 2 when there is enough work, else run in this process).
    """
    t0 = time.perf_counter()
    h, lv, season = _validate(horizon, level, season)
    panel = prepare(
        frame,
        date,
        value,
        id,
        aggregate_to=aggregate_to,
        fill=fill,
        horizon=h,
        stockouts_as_missing=stockouts_as_missing,
    )
    return forecast_panel(panel, h, lv, season, progress, windows=windows, workers=workers, t0=t0)


def forecast_panel(
    panel: Panel,
    horizon: int,
    level: float = 90.0,
    season: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    *,
    windows: int = DEFAULT_WINDOWS,
    workers: int | None = None,
    t0: float | None = None,
) -> ForecastResult:
    t0 = time.perf_counter() if t0 is None else t0
    freq = panel.frequency
    usable = [s for s in panel.series if np.isfinite(s.values).sum() >= 2]
    if not usable:
        longest = max(int(np.isfinite(s.values).sum()) for s in panel.series)
        raise InputError(
            f"Every series has fewer than 2 values (the longest has {longest}).",
            "Forecasting needs a history: at least 2 dates per series, better a few seasons."
            + (" Check that the series id column is right." if panel.id else ""),
        )
    longest = max(s.n for s in panel.series)
    if horizon > longest:
        raise InputError(
            f"The horizon ({freq.units(horizon)}) is longer than the longest history ({freq.units(longest)}).",
            f"Forecast at most {freq.units(longest)} ahead, or use more history.",
        )
    kw = {"h": horizon, "level": level, "season": season, "freq_code": freq.code, "unit": freq.unit, "windows": windows}
    total = len(panel.series)
    n_points = sum(s.n for s in panel.series)
    if workers is None:
        workers = min(2, os.cpu_count() or 1) if total >= 8 and n_points >= 5000 else 1
    # two passes: test every model on every series' past, then choose (each series' own test steadied
    # by the others') and fit the final models. Progress: the tests are ~80 % of the work.
    shown = [-1]

    def report(done: int) -> None:  # each step once, never backwards
        if progress and done > shown[0]:
            shown[0] = done
            progress(done, total)

    tested = int(0.8 * total)
    with _pool(workers) as pool:
        states = _map(
            pool,
            workers,
            _backtest_chunk,
            [(i, s.values) for i, s in enumerate(panel.series)],
            kw,
            lambda done: report(int(0.8 * done)),
        )
        priors = panel_priors([states[i] for i in range(total)])
        out = _map(
            pool,
            workers,
            _finish_chunk,
            [(i, states[i], priors[i]) for i in range(total)],
            kw,
            lambda done: report(tested + done * (total - tested) // total),
        )
    series = tuple(_to_series(panel.series[i], out[i], freq, horizon) for i in range(total))
    return ForecastResult(
        frequency=freq.alias,
        frequency_label=freq.label,
        horizon=horizon,
        level=level,
        series=series,
        findings=panel.findings,
        fill=panel.fill,
        integer_years=panel.integer_years,
        elapsed_seconds=time.perf_counter() - t0,
        freq=freq,
    )


def _to_series(s, r: dict, freq: Frequency, h: int) -> SeriesForecast:
    last = s.dates[-1]
    dates = tuple(future_dates(last, h, freq))
    bt = r.get("backtest")
    backtest = (
        Backtest(
            **{
                k: bt[k]
                for k in (
                    "mae",
                    "rmse",
                    "smape",
                    "mase",
                    "wape",
                    "bias",
                    "coverage",
                    "raw_coverage",
                    "windows",
                    "points",
                )
            }
        )
        if bt
        else Backtest()
    )
    wins = []
    for w in r.get("windows", []):
        st = w["start"]
        d = tuple(s.dates[st : st + len(w["actual"])])
        wins.append(BacktestWindow(d, tuple(w["actual"]), tuple(w["yhat"]), tuple(w["lo"]), tuple(w["hi"])))
    model = r.get("model")
    return SeriesForecast(
        id=s.id,
        model=model,
        model_label=LABELS.get(model, "none") if model else "none",
        backtest=backtest,
        dates=dates,
        yhat=tuple(float(x) for x in r["mean"]),
        lo=tuple(float(x) for x in r["lo"]),
        hi=tuple(float(x) for x in r["hi"]),
        history_dates=tuple(s.dates),
        history=tuple(float(x) for x in s.values),
        season=r.get("season"),
        seasons=tuple(r.get("seasons", ())),
        transform=r.get("transform", "none"),
        components=tuple(r.get("components", ())),
        leaderboard=tuple(
            ModelScore(x["model"], x["mae"], x["mase"], x["smape"], x["chosen"]) for x in r.get("scores", [])
        ),
        windows=tuple(wins),
        interval_scale=float(r.get("scale", 1.0)),
        notes=tuple(r.get("notes", ())),
        findings=s.findings,
    )

"""What a forecast gives back: per series the chosen model, its backtest and the forecast with its
interval; for the table the frequency, findings and the downloads.

Metric conventions: ``mae`` and ``rmse`` in the value's units, ``smape`` and ``wape`` in percent
(sMAPE is the M4 definition, 0-200), ``mase`` is the MAE divided by the in-sample MAE of the
seasonal naive forecast (lag = season length, or 1), ``bias`` = mean(forecast - actual) (positive =
forecasts too high), ``coverage`` = share of backtest points inside the interval (0-1).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.data.findings import Finding
from core.forecasting.methods import LABELS, MODELS
from core.forecasting.timeseries import Frequency
from core.vocab import count, jsonable, number, percent, plural

#: The plain repeats a forecast is compared with, the seasonal one first.
REPEATS = tuple(sorted((a for a, m in MODELS.items() if m.repeat), key=lambda a: not MODELS[a].seasonal))


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
            k: _json_number(getattr(self, k))
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
    events: tuple[dict[str, Any], ...] = ()  # {event, effect (a share of the usual level), sentence}
    drivers_used: tuple[str, ...] = ()
    drivers: tuple[dict[str, Any], ...] = ()  # {driver, effect_per_unit, sentence}
    stockout: dict[str, Any] | None = None  # {periods, lost_demand, sentence} when a stock-out column was given

    @property
    def repeat_baseline(self) -> str | None:
        """The plain repeat the backtest also tried: seasonal naive, else naive (None if neither)."""
        tried = {m.model for m in self.leaderboard}
        return next((b for b in REPEATS if b in tried), None)

    @property
    def vs_repeat(self) -> float | None:
        """The chosen model's typical miss in the backtest over that of :attr:`repeat_baseline`, on the
        same test windows: below 1, Keel's forecast did better."""
        by = {m.model: m.mae for m in self.leaderboard}
        base = self.repeat_baseline
        if base is None or self.model is None or self.model in REPEATS:
            return None
        # with the calendar or drivers the chosen forecast's own backtest differs from its model's alone
        mine = self.backtest.mae if (self.events or self.drivers_used) else by.get(self.model)
        plain = by.get(base)
        if mine is None or plain is None:
            return None
        return mine / plain if plain > 0 else None

    def comparison(self) -> str:
        """The backtest in one plain phrase, as the page's 'error vs. simply repeating' column shows it:
        'error 0.81× that of simply repeating the last season'."""
        base = self.repeat_baseline
        plain = "the last season" if base is not None and MODELS[base].seasonal else "the last value"
        if self.model is None:
            return "too little history to forecast"
        if self.model in REPEATS:
            return f"simply repeats {'the last season' if MODELS[self.model].seasonal else 'the last value'}"
        if self.vs_repeat is None:
            return "not checked against the past (history too short)"
        return f"error {self.vs_repeat:.2f}× that of simply repeating {plain}"

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
        rel = f" ({percent(b.wape / 100)} of actual values)" if b.wape is not None else ""
        cov = (
            f"; its {number(level)}% ranges held the actual value {percent(b.coverage)} of the time"
            if b.coverage is not None
            else ""
        )
        base = self.repeat_baseline
        seasonal = base is not None and MODELS[base].seasonal
        plain = "repeating the last season" if seasonal else "repeating the last value"
        worse = (
            f" Simply {plain} did as well or better on those {plural(b.points, unit)}, so treat this forecast as rough."
            if self.vs_repeat is not None and self.vs_repeat >= 1
            else ""
        )
        return (
            f"{name}: forecast with {how}. Tested on the last {count(b.points, unit)} of history, it was typically "
            f"off by {number(b.mae)}{rel}{cov}.{worse}"
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
                    "yhat": _json_number(y),
                    "lo": _json_number(a),
                    "hi": _json_number(b),
                }
                for d, y, a, b in zip(self.dates, self.yhat, self.lo, self.hi)
            ],
            "leaderboard": [
                {
                    "model": s.model,
                    "mae": _json_number(s.mae),
                    "mase": _json_number(s.mase),
                    "smape": _json_number(s.smape),
                    "chosen": s.chosen,
                }
                for s in self.leaderboard
            ],
            "notes": list(self.notes),
            "findings": [_finding_json(f) for f in self.findings],
            "events": [{k: _json_number(v) if k == "effect" else v for k, v in e.items()} for e in self.events],
            "drivers_used": list(self.drivers_used),
            "drivers": [dict(d) for d in self.drivers],
            "stockout": dict(self.stockout) if self.stockout else None,
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
    value_name: str | None = None  # the forecast column: the name of a table's only series

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
            "coverage": _json_number(self.coverage),
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

    def series_labels(self, value_name: str | None = None) -> list[str]:
        """Each series' name for people: its id, or the value column's name for a table with one series."""
        name = value_name or self.value_name or "value"
        return [name if s.id is None else str(s.id) for s in self.series]

    def download_frame(self, value_name: str | None = None) -> pd.DataFrame:
        """The forecasts as a person downloads them: series, date (with the time for hourly data), forecast,
        lower, upper, method, rounded to the series' own scale (:func:`decimals`). A series too short to
        forecast has no rows."""
        sub_daily = self.freq is not None and (self.freq.code == "h" or self.freq.minutes is not None)
        rows = []
        for s, label in zip(self.series, self.series_labels(value_name)):
            k = decimals(s.history or s.yhat)
            rows += [
                {
                    "series": label,
                    "date": _iso(d, with_time=sub_daily),
                    "forecast": round(y, k),
                    "lower": round(a, k),
                    "upper": round(b, k),
                    "method": s.model_label,
                }
                for d, y, a, b in zip(s.dates, s.yhat, s.lo, s.hi)
            ]
        return pd.DataFrame(rows, columns=["series", "date", "forecast", "lower", "upper", "method"])

    def to_frame(self) -> pd.DataFrame:
        """Long table of the forecasts: id, date, yhat, lo, hi, model."""
        rows = []
        for s in self.series:
            for d, y, a, b in zip(s.dates, s.yhat, s.lo, s.hi):
                rows.append({"id": s.id, "date": d, "yhat": y, "lo": a, "hi": b, "model": s.model})
        return pd.DataFrame(rows, columns=["id", "date", "yhat", "lo", "hi", "model"])


def decimals(values: Sequence[float]) -> int:
    """Decimals that keep about four significant digits of a series' typical size: 2 for sales of
    about 30, none for thousands, more for small fractions (never more than 6)."""
    finite = [abs(v) for v in values if v == v and abs(v) != float("inf")]
    typical = float(np.median(finite)) if finite else 0.0
    if typical <= 0:
        return 2
    return int(min(6, max(0, 3 - math.floor(math.log10(typical)))))


def _json_number(x: Any) -> Any:
    """A number for the JSON results: whole numbers stay whole, others are rounded to 6 decimals, NaN and
    infinity become null (:func:`core.vocab.jsonable`)."""
    value = jsonable(x)
    return round(value, 6) if isinstance(value, float) else value


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

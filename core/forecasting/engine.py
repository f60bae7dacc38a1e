"""Forecast many series at once, honestly.

For each series Keel tries the registered models that suit it (:mod:`core.forecasting.methods`: naive,
seasonal naive, Theta, ETS, ARIMA, Croston/SBA for intermittent demand, Holt-Winters and the airline
seasonal ARIMA for monthly and quarterly data, and the average of them all) and picks the one with
the smallest error in a rolling-origin backtest (:mod:`core.forecasting.backtest`): the series is cut at
several past dates, each model is fitted on what was known at that date only and scored on what came
next. With three or more series in one table, a series' own backtest is steadied by how each model did
on the other series' backtests, and the interval is calibrated on the backtest
(:mod:`core.forecasting.choice`). Results and metric conventions: :mod:`core.forecasting.results`.
Told the calendar, drivers or stock-outs, each chosen forecast is tried again with them at the same
backtest origins and kept only when clearly better (:mod:`core.forecasting.adjust`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from core.errors import InputError
from core.forecasting.adjust import improve
from core.forecasting.backtest import DEFAULT_WINDOWS, backtest
from core.forecasting.calendar import build_calendar, parse_regions
from core.forecasting.choice import finish, panel_priors, relative_errors
from core.forecasting.drivers import Extras, censor, check_known, drop_explained, series_extras, split_future
from core.forecasting.methods import LABELS
from core.forecasting.parallel import map_chunks, worker_pool
from core.forecasting.pooled import try_pooled
from core.forecasting.results import Backtest, BacktestWindow, ForecastResult, ModelScore, SeriesForecast
from core.forecasting.scoring import mase_scale, metrics
from core.forecasting.timeseries import Frequency, Panel, Series, future_dates, prepare

__all__ = [
    "DEFAULT_WINDOWS",
    "Backtest",
    "BacktestWindow",
    "ForecastResult",
    "ModelScore",
    "SeriesForecast",
    "every_choice",
    "forecast",
    "forecast_panel",
    "mase_scale",
    "metrics",
    "panel_priors",
    "relative_errors",
]


def backtest_chunk(items: list[tuple[int, np.ndarray]], kw: dict) -> list[tuple[int, dict]]:
    """Backtest a chunk of series (runs in a worker process)."""
    return [(i, backtest(v, **kw)) for i, v in items]


def finish_chunk(items: list[tuple[int, dict, dict, Extras | None]], kw: dict) -> list[tuple[int, dict]]:
    """Choose, fit and calibrate a chunk of backtested series, with what the shop knows when given (runs in
    a worker process)."""
    return [
        (i, finish(state, prior) if e is None else improve(state, finish(state, prior), e))
        for i, state, prior, e in items
    ]


def every_choice(
    values: np.ndarray,
    h: int,
    level: float = 90.0,
    season: int | None = None,
    freq_code: str = "D",
    unit: str = "period",
    windows: int = DEFAULT_WINDOWS,
) -> dict[str | None, list[float]]:
    """What each model Keel could choose for one series would forecast (its mean, by model key), after
    the same backtest :func:`forecast` runs. A series too short to choose among models gives Keel's one
    answer (key None, and no values, when it is too short for any). The forecasting benchmark scores
    these to find the best choice in hindsight, a ceiling for any way of choosing."""
    state = backtest(np.asarray(values, dtype=float), h, level, season, freq_code, unit, windows)
    rel = relative_errors(state)
    if not rel:
        done = finish(state)
        return {done["model"]: done["mean"]}
    return {c: finish(state, choice=c)["mean"] for c in rel}


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
    holidays: str | Sequence[str] | None = None,
    events: pd.DataFrame | None = None,
    drivers: Sequence[str] | None = None,
    stockout: str | None = None,
) -> ForecastResult:
    """Forecast the next ``horizon`` periods of every series in a long-format table.

    ``id``: the column naming each series, or several (a store and a product: one series per pair).
    ``value``: the column to forecast, or several (a wide table, one column per product): one series each.
    ``progress(done, total)`` is called as series finish. ``workers``: processes to use
    (default: up to 2 when there is enough work, else run in this process).

    What the shop knows (:mod:`core.forecasting.adjust`): ``holidays`` ('US', 'AU-VIC', several joined
    by commas), ``events`` (a table date, event[, before, after]), ``drivers`` (columns known ahead:
    their future values are rows after the last observed value, with the value empty) and ``stockout``
    (a 0/1 column marking periods without stock: censored demand). Without them the forecast is exactly
    the one Keel gives without.
    """
    t0 = time.perf_counter()
    h, lv, season = _validate(horizon, level, season)
    if holidays or events is not None or drivers or stockout:
        return forecast_known(
            frame,
            date,
            value,
            id,
            h,
            lv,
            season,
            progress,
            fill=fill,
            aggregate_to=aggregate_to,
            stockouts_as_missing=stockouts_as_missing,
            windows=windows,
            workers=workers,
            holidays=holidays,
            events=events,
            drivers=list(drivers or []),
            stockout=stockout,
            t0=t0,
        )
    if _has_future_rows(frame, date, value):  # rows after a series' last value with it empty: the future, not zeros
        frame = split_future(frame, date, str(value), id)[0]
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


def _has_future_rows(frame: Any, date: str, value: Any) -> bool:
    """Could the table hold rows after a series' last value with the value empty (one value column)?"""
    ok = isinstance(value, str) and isinstance(frame, pd.DataFrame) and {value, date} <= set(frame.columns)
    return bool(ok and frame[value].isna().any())


def forecast_known(
    frame: pd.DataFrame,
    date: str,
    value: str | Sequence[str],
    id: str | Sequence[str] | None,
    h: int,
    level: float,
    season: int | None,
    progress: Callable[[int, int], None] | None,
    *,
    holidays: str | Sequence[str] | None,
    events: pd.DataFrame | None,
    drivers: list[str],
    stockout: str | None,
    t0: float,
    **prepare_kw: Any,
) -> ForecastResult:
    """:func:`forecast` with the calendar, drivers and stock-outs (see there)."""
    windows, workers = prepare_kw.pop("windows"), prepare_kw.pop("workers")
    if not isinstance(frame, pd.DataFrame) or frame.empty:
        raise InputError("The table is empty.", "Upload a file with one row per date (and per product).")
    if drivers or stockout:
        value = check_known(frame, value, drivers, stockout)
    if isinstance(value, str):  # rows after a series' last value with it empty are the future, not zeros
        history, ahead = split_future(frame, date, value, id)
    else:
        history, ahead = frame, frame.iloc[:0]
    regions = parse_regions(holidays)  # an unknown code fails before any work
    panel = prepare(history, date, value, id, horizon=h, **prepare_kw)
    start = min(s.dates[0] for s in panel.series)
    end = max(future_dates(s.dates[-1], h, panel.frequency)[-1] for s in panel.series)
    calendar = build_calendar([f"{c}-{r}" if r else c for c, r in regions], events, start, end)
    extras = series_extras(panel, history, ahead, id, h, drivers, stockout, calendar)
    panel = drop_explained(panel, extras)  # a sale on a day the user explained is not 'unusual'
    if stockout:
        panel = censor(panel, extras)
    return forecast_panel(panel, h, level, season, progress, windows=windows, workers=workers, t0=t0, extras=extras)


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
    extras: Sequence[Extras] | None = None,
) -> ForecastResult:
    """Forecast a prepared panel; ``extras`` (one per series) adds the calendar, drivers and stock-outs."""
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
    with worker_pool(workers) as pool:
        states = map_chunks(
            pool,
            workers,
            backtest_chunk,
            [(i, s.values) for i, s in enumerate(panel.series)],
            kw,
            lambda done: report(int(0.8 * done)),
        )
        priors = panel_priors([states[i] for i in range(total)])
        out = map_chunks(
            pool,
            workers,
            finish_chunk,
            [(i, states[i], priors[i], extras[i] if extras is not None else None) for i in range(total)],
            kw,
            lambda done: report(tested + done * (total - tested) // total),
        )
    out = try_pooled(panel, states, out, extras)  # one model learnt across all series, where it wins
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
        value_name=panel.value,
    )


def _to_series(s: Series, r: dict, freq: Frequency, h: int) -> SeriesForecast:
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
        events=tuple(r.get("events", ())),
        drivers_used=tuple(r.get("drivers_used", ())),
        drivers=tuple(r.get("drivers", ())),
        stockout=r.get("stockout"),
    )

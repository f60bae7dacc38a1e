"""A model learnt across all products at once, averaged with each series' own: a candidate that must win
its place in the backtest.

Each series' own models see only its own past; a shop's products often share what no single one of them
shows clearly (how a promotion lifts sales, how a bank holiday dents them, the weekly shape). M5's leading
entries learnt one gradient-boosting model on every product at once. Keel does the same, as one more
candidate: scikit-learn's ``HistGradientBoostingRegressor`` is trained on the rows of every series of the
table together, each series divided by its recent average level (so products selling 3 and 3,000 a day
share one model), with these features for a day ``t``:

* the series' values at least ``h`` (the horizon) periods before ``t``, its recent rolling averages and
  share of zeros ending there, the same weekday in the last four weeks that lie ``h`` or more back, and
  the level a year earlier;
* the calendar: day of week, month, day of year; the event of the day (public holidays and the user's
  events, one categorical feature) and the drivers' values on ``t`` and on the seasonal lag's day;
* the series' level (log) and share of zeros.

Only values ``h`` or more periods old are used (the *direct* strategy with lags beyond the horizon, as
M5's winners did), so one model forecasts every step of the horizon without feeding its own forecasts
back: four fits in all (three backtest windows and the final one), where a model per step would need
``h`` times as many. Series ids are not features (tables of a few hundred products exceed what a
categorical feature holds, and scaling already removes each series' level).

The candidate is the average of a series' chosen forecast and the pooled model's: on the scale benchmark
the pooled model alone was worse than each series' own forecast on the held-out month (mean MASE 0.628
against 0.570 on 60 series) while the average was as good (0.571) and better where products share what
each is too short to show (averages are steadier out of sample, as Keel's own combination of models is).
It is evaluated at exactly the origins of the per-series backtest (the pooled model trained on what was
known then, averaged with the chosen forecast's own test windows) and replaces a series' chosen forecast
only where its backtest error is clearly lower (the rule of :mod:`core.forecasting.adjust`,
:data:`~core.forecasting.adjust.MARGIN`), and stays so when steadied by how it did on the other series (as
:func:`core.forecasting.choice.choose` steadies a series' choice: three test windows are a noisy judge). It
always joins the series' leaderboard. Its interval averages the chosen forecast's with the pooled model's
(its in-sample error spread on the series) and is then calibrated on the backtest like every other model's
(:func:`core.forecasting.choice.calibrate`).

It is tried only when it can pay: on daily data (:data:`DAILY`), with at least :data:`MIN_SERIES` series
that end on the same date, each with a backtest, and :data:`MIN_ROWS` training rows. A single series or a small table is never touched, so its
forecast is exactly what it was. The fits are deterministic (fixed seed, no early stopping). Setting the
environment variable ``KEEL_POOLED=0`` switches the candidate off (the scale benchmark compares the two).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.forecasting.adjust import MARGIN
from core.forecasting.choice import PANEL_WEIGHT, REL_CAP, calibrate
from core.forecasting.drivers import Extras
from core.forecasting.methods import LABELS, POOLED, z_value
from core.forecasting.parallel import one_thread
from core.forecasting.scoring import metrics
from core.forecasting.timeseries import Panel, future_dates, season_candidates
from core.vocab import count, number, percent, signed_percent

LABEL = LABELS[POOLED]
MIN_SERIES = 10  # fewer series than this rarely teach a shared model more than each series' own
MIN_ROWS = (
    2000  # training rows in the first backtest window: fewer rarely teach ~25 features more than each series knows
)
RECENT = 365  # training targets per series and fit: the latest year (older rows add time, little accuracy)
MAX_ROWS = 60_000  # rows per fit at most (a fixed sample beyond): about 1.5 s of one core per fit
LEVEL_POINTS = 182  # a series' level: the mean of its last half year of known values
SEED = 0
# daily tables only: a shop's sales, where the calendar and drivers live. On monthly US employment (148
# series, bench_forecast_scale.py real) the average made the held-out error 3.5 % worse at the last origin
DAILY = ("D", "B")
FIT_CHECK = 20_000  # training rows the in-sample error spread is measured on (a fixed sample beyond)
BOOSTING = dict(
    learning_rate=0.1,
    max_iter=120,
    max_leaf_nodes=31,
    min_samples_leaf=40,
    l2_regularization=1.0,
    early_stopping=False,
    random_state=SEED,
)


Forecast = tuple[np.ndarray, np.ndarray, np.ndarray]


@dataclass(frozen=True)
class _Table:
    """The member series side by side, aligned on their common last date (column ``T - 1``)."""

    y: np.ndarray  # (G, T) values, NaN before a series starts
    target: np.ndarray  # (G, T) usable as a training target (known, in stock)
    start: np.ndarray  # (G,) first column of each series
    dates: pd.DatetimeIndex  # T + h dates: the history, then the forecast
    event: np.ndarray  # (G, T + h) event of the day: 0 none, else 1 + its index in ``events``
    drivers: np.ndarray  # (G, T + h, k) drivers' values
    names: tuple[str, ...]  # the drivers
    h: int
    season: int  # the short season (7 for days), 1 if none
    year: int  # a year in periods, aligned to the short season (364 days), 0 if none
    nonneg: bool


def enabled() -> bool:
    """False when ``KEEL_POOLED=0`` (the scale benchmark's comparison without this candidate)."""
    return os.environ.get("KEEL_POOLED", "1").strip().lower() not in ("0", "no", "false", "off")


def try_pooled(
    panel: Panel, states: dict[int, dict[str, Any]], out: dict[int, dict[str, Any]], extras: Sequence[Extras] | None
) -> dict[int, dict[str, Any]]:
    """``out`` (each series' chosen forecast by index) with the pooled model where it is clearly better."""
    daily = panel.frequency.code in DAILY
    members = _members(panel, states, out) if enabled() and daily else []
    if not members:
        return out
    table = _table(panel, members, states, extras)
    steps = sorted({(states[i]["y"].size - o) // table.h for i in members for o in states[i]["origins"]})
    width = table.y.shape[1]
    if _rows(table, width - max(steps) * table.h)[0].size < MIN_ROWS:
        return out
    from sklearn.ensemble import HistGradientBoostingRegressor  # noqa: F401 - loads OpenMP before one_thread limits it

    try:
        with one_thread():  # OpenMP threads on a busy machine wait on each other far longer than they work
            fits = {w: _fit(table, width - w * table.h) for w in steps}
            final = _fit(table, width, effects=True)
    except Exception:  # a candidate that cannot be fitted leaves every forecast as it was, and says so
        note = f"Keel also tried one model learnt across all {count(len(members), 'product')}; it could not be fitted."
        return {**out, **{i: {**out[i], "notes": [*out[i].get("notes", []), note]} for i in members}}
    tested = [_tested(states[i], out[i], k, fits) for k, i in enumerate(members)]
    steady = _steadied([_relative(states[i], out[i], new) for i, (_, new) in zip(members, tested)])
    result = dict(out)
    for k, i in enumerate(members):
        result[i] = _consider(states[i], out[i], k, tested[k], steady[k], final, table)
    return result


def _tested(
    state: dict[str, Any], done: dict[str, Any], k: int, fits: dict[int, dict]
) -> tuple[list[Forecast], dict[str, Any]]:
    """The candidate at series ``k``'s backtest origins: the average of its chosen forecast (as its test
    windows show it) and the pooled model's (interval: the series' in-sample error spread), and its scores."""
    y, h, plan = state["y"], state["h"], state["plan"]
    zv = z_value(state["level"])
    preds = []
    for o, own in zip(state["origins"], done["windows"]):
        fit = fits[(y.size - o) // h]
        m = _closed(plan, o, fit["mean"][k])
        pooled = (m, m - zv * fit["sd"][k], m + zv * fit["sd"][k])
        preds.append(_average(pooled, (own["yhat"], own["lo"], own["hi"])))
    scores = state["scores"]
    with_mase = [c for c in state["ranked"] if scores[c].get("mase")]
    scale = scores[with_mase[0]]["mae"] / scores[with_mase[0]]["mase"] if with_mase else None
    return preds, metrics(np.concatenate(state["actuals"]), np.concatenate([p[0] for p in preds]), scale)


def _average(a: Any, b: Any) -> Forecast:
    mean, lo, hi = ((np.asarray(x, float) + np.asarray(y, float)) / 2 for x, y in zip(a, b))
    return mean, lo, hi


def _relative(state: dict[str, Any], done: dict[str, Any], new: dict[str, Any]) -> float:
    """log(pooled backtest error / chosen forecast's), capped as :func:`core.forecasting.choice.relative_errors`."""
    crit = state["crit"]
    a, b = new.get(crit), done["backtest"].get(crit)
    if a is None or b is None or not (math.isfinite(a) and math.isfinite(b)):
        return math.log(REL_CAP)
    floor = 1e-3 * float(np.mean(np.abs(state["y"]))) + 1e-12
    return float(np.clip(math.log(max(a, floor) / max(b, floor)), -math.log(REL_CAP), math.log(REL_CAP)))


def _steadied(rel: list[float]) -> list[tuple[float, float]]:
    """Each series' own relative error and that steadied by the other series' (as the per-series choice
    is, :func:`core.forecasting.choice.choose`): three test windows of one series are a noisy judge."""
    total = float(np.sum(rel))
    n = len(rel)
    return [(r, r + PANEL_WEIGHT * (total - r) / (n - 1)) for r in rel]


def _members(panel: Panel, states: dict[int, dict[str, Any]], out: dict[int, dict[str, Any]]) -> list[int]:
    """The series the pooled model is tried on: those with a backtest that end on the table's most common
    last date (so every window is cut at one date for all), when there are at least MIN_SERIES of them."""
    ends: dict[pd.Timestamp, list[int]] = {}
    for i, s in enumerate(panel.series):
        st = states[i]
        if st.get("done") is not None or not st.get("origins") or not out[i].get("backtest"):
            continue
        if st["origins"][0] < st["h"] + 8:  # too few rows of its own before the first window
            continue
        ends.setdefault(pd.Timestamp(s.dates[-1]), []).append(i)
    best = max(ends.values(), key=len, default=[])
    return best if len(best) >= MIN_SERIES else []


def _table(
    panel: Panel, members: list[int], states: dict[int, dict[str, Any]], extras: Sequence[Extras] | None
) -> _Table:
    """The member series, their calendar and drivers in aligned arrays."""
    h = int(states[members[0]]["h"])
    sizes = [states[i]["y"].size for i in members]
    width, g = max(sizes), len(members)
    known = [extras[i] if extras is not None else None for i in members]
    events = sorted({n for e in known if e for n, k in zip(e.names, e.kinds) if k == "event"})
    names = tuple(dict.fromkeys(n for e in known if e for n, k in zip(e.names, e.kinds) if k == "driver"))
    y = np.full((g, width), np.nan)
    target = np.zeros((g, width), dtype=bool)
    event = np.zeros((g, width + h), dtype=np.int16)
    drivers = np.full((g, width + h, len(names)), np.nan)
    for j, i in enumerate(members):
        st, e = states[i], known[j]
        n, off, lo = st["y"].size, st["offset"], width - sizes[j]
        y[j, lo:] = st["y"]
        target[j, lo:] = True
        if e is None:
            continue
        if e.out_of_stock is not None:  # demand there is unknown: not a target
            target[j, lo:] &= ~e.out_of_stock[off : off + n]
        both = np.vstack([e.past[off : off + n], e.future])
        for c, (name, kind) in enumerate(zip(e.names, e.kinds)):
            if kind == "event":
                row = event[j, lo:]
                row[(both[:, c] > 0) & (row == 0)] = min(1 + events.index(name), 250)
            else:
                drivers[j, lo:, names.index(name)] = both[:, c]
    longest = panel.series[members[int(np.argmax(sizes))]]
    past = pd.DatetimeIndex(longest.dates[-width:])
    dates = past.append(future_dates(past[-1], h, panel.frequency))
    cands = [round(p) for p in season_candidates(panel.frequency.code)]
    season = cands[0] if cands and cands[0] > 1 else 1
    year = round(cands[1] / season) * season if len(cands) > 1 and season > 1 else 0
    start = np.array([width - n for n in sizes])
    return _Table(y, target, start, dates, event, drivers, names, h, season, year, bool(np.nanmin(y) >= 0))


def _rows(table: _Table, cut: int) -> tuple[np.ndarray, np.ndarray]:
    """The training rows (series, column) for a fit on what was known before column ``cut``: the latest
    RECENT targets of each series that have a value ``h`` periods before them; at most MAX_ROWS."""
    lo = max(0, cut - RECENT)
    cols = np.arange(lo, cut)
    mask = table.target[:, lo:cut] & (cols[None, :] - table.h >= table.start[:, None])
    g, t = np.nonzero(mask)
    t = t + lo
    if g.size > MAX_ROWS:
        pick = np.sort(np.random.default_rng(SEED).choice(g.size, MAX_ROWS, replace=False))
        g, t = g[pick], t[pick]
    return g, t


def _levels(table: _Table, cut: int) -> tuple[np.ndarray, np.ndarray]:
    """Each series' level (mean of its last LEVEL_POINTS known values, else of all, else 1) and share of zeros."""
    known = table.y[:, :cut]
    recent = known[:, max(0, cut - LEVEL_POINTS) :]

    def mean(a: np.ndarray) -> np.ndarray:
        ok = np.isfinite(a)
        n = ok.sum(axis=1)
        return np.where(n > 0, np.where(ok, np.abs(a), 0.0).sum(axis=1) / np.maximum(n, 1), np.nan)

    level = mean(recent)
    level = np.where(np.isfinite(level) & (level > 0), level, mean(known))
    level = np.where(np.isfinite(level) & (level > 0), level, 1.0)
    ok = np.isfinite(recent)
    zeros = np.where(ok, recent == 0, False).sum(axis=1) / np.maximum(ok.sum(axis=1), 1)
    return level, zeros


def _features(
    table: _Table, z: np.ndarray, g: np.ndarray, t: np.ndarray, level: np.ndarray, zeros: np.ndarray
) -> tuple[np.ndarray, int, np.ndarray]:
    """One row per (series ``g``, column ``t``), from values at least ``h`` periods before ``t`` (``z``:
    the values divided by the series' level, empty from the cut on), the calendar and the drivers; and
    which column is the event of the day (a categorical feature); and each row's recent level, which the
    model's target is divided by."""
    h, p, year = table.h, table.season, table.year
    lag = -(-h // p) * p  # the first same point of the season at least h back
    windows = (p, 4 * p, 13 * p) if p > 1 else (4, 13, 52)
    pad = max(h + 7, lag + 3 * p, h + max(windows), year + p) + 2
    zp = np.hstack([np.full((z.shape[0], pad), np.nan), z])
    tp = t + pad
    ok = np.isfinite(zp)
    csum = np.hstack([np.zeros((z.shape[0], 1)), np.cumsum(np.where(ok, zp, 0.0), axis=1)])
    cnt = np.hstack([np.zeros((z.shape[0], 1)), np.cumsum(ok, axis=1)])
    czero = np.hstack([np.zeros((z.shape[0], 1)), np.cumsum(ok & (zp == 0), axis=1)])

    def window(end: np.ndarray, w: int, sums: np.ndarray = csum) -> np.ndarray:  # mean over end-w+1 .. end
        n = cnt[g, end + 1] - cnt[g, end + 1 - w]
        return np.where(n > 0, (sums[g, end + 1] - sums[g, end + 1 - w]) / np.maximum(n, 1), np.nan)

    recent = [window(tp - h, w) for w in windows]
    # every value relative to the series' recent level (the mean over 4 seasons ending h back): the trees
    # then learn shares (a weekday's, a promotion's, a holiday's), which hold across products
    base = np.where(np.isfinite(recent[1]) & (recent[1] > 0.05), recent[1], 1.0)
    cols = [zp[g, tp - h - j] / base for j in range(7)]
    same = [zp[g, tp - lag - k * p] / base for k in range(4)] if p > 1 else []
    cols += same
    if same:
        cols.append(_mean_of(same))
    cols += [recent[0] / base, recent[2] / base, np.log(base), window(tp - h, windows[1], czero)]
    far = bool(year) and year - p // 2 - 1 >= h
    cols.append(window(tp - year + p // 2, p) / base if far else np.full(g.size, np.nan))
    d = table.dates
    cols += [d.day_of_week.to_numpy()[t], d.month.to_numpy()[t], d.day_of_year.to_numpy()[t]]
    event = len(cols)
    cols.append(table.event[g, t].astype(float))
    for c in range(len(table.names)):
        cols.append(table.drivers[g, t, c])
        back = t - lag
        cols.append(np.where(back >= 0, table.drivers[g, np.maximum(back, 0), c], np.nan))
    cols += [np.log(level[g]), zeros[g]]
    return np.column_stack(cols), event, base


def _mean_of(cols: list[np.ndarray]) -> np.ndarray:
    a = np.column_stack(cols)
    ok = np.isfinite(a)
    n = ok.sum(axis=1)
    return np.where(n > 0, np.where(ok, a, 0.0).sum(axis=1) / np.maximum(n, 1), np.nan)


def _fit(table: _Table, cut: int, effects: bool = False) -> dict[str, Any]:
    """Train on what was known before column ``cut`` and forecast the ``h`` columns from it: the mean
    (series x step), each series' in-sample error spread, and (``effects``) what each driver does."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    level, zeros = _levels(table, cut)
    z = np.full((table.y.shape[0], table.y.shape[1] + table.h), np.nan)
    z[:, :cut] = table.y[:, :cut] / level[:, None]
    g, t = _rows(table, cut)
    x, event, base = _features(table, z, g, t, level, zeros)
    keep = np.isfinite(x).any(axis=0)  # a feature never known (a year back in a short history) is left out
    keep[event] = True
    x = x[:, keep]
    target = z[g, t]
    model = HistGradientBoostingRegressor(
        loss="poisson" if table.nonneg else "squared_error",
        categorical_features=[int(keep[:event].sum())],
        **BOOSTING,
    )
    with np.errstate(all="ignore"):
        # the share of the recent level (sample weights would make this fit several times slower)
        model.fit(x, target / base)
        some = slice(None) if g.size <= FIT_CHECK else np.random.default_rng(SEED).choice(g.size, FIT_CHECK, False)
        err = (model.predict(x[some]) * base[some] - target[some]) * level[g[some]]
    g = g[some]
    n = np.bincount(g, minlength=level.size)
    sd = np.sqrt(np.bincount(g, weights=err**2, minlength=level.size) / np.maximum(n, 1))

    def ahead(tab: _Table) -> np.ndarray:
        gg = np.repeat(np.arange(level.size), tab.h)
        tt = np.tile(np.arange(cut, cut + tab.h), level.size)
        xf, _, bf = _features(tab, z, gg, tt, level, zeros)
        return (model.predict(xf[:, keep]) * bf).reshape(level.size, tab.h) * level[:, None]

    mean = ahead(table)
    out: dict[str, Any] = {"mean": mean, "sd": sd, "effects": {}}
    if effects:
        out["effects"] = {c: _driver_effect(table, c, cut, mean, ahead) for c in range(len(table.names))}
    return out


def _driver_effect(table: _Table, c: int, cut: int, mean: np.ndarray, ahead: Any) -> dict[str, np.ndarray]:
    """Driver ``c``: the forecast with its planned values against keeping it at its last value, and its
    effect per unit (for a 0/1 driver: switched on against off), as shares per series."""
    from dataclasses import replace

    def with_future(values: np.ndarray) -> np.ndarray:
        d = table.drivers.copy()
        d[:, cut : cut + table.h, c] = values[:, None]
        return ahead(replace(table, drivers=d))

    past = table.drivers[:, :cut, c]
    last = np.array([row[np.isfinite(row)][-1] if np.isfinite(row).any() else 0.0 for row in past])
    switch = bool(np.isin(past[np.isfinite(past)], (0.0, 1.0)).all())
    g = table.y.shape[0]
    low = with_future(np.zeros(g) if switch else last)
    high = with_future(np.ones(g) if switch else last + 1)
    kept = with_future(last)
    return {
        "moved": _share(mean.sum(axis=1), kept.sum(axis=1)),
        "per_unit": _share(high.sum(axis=1), low.sum(axis=1)),
        "switch": np.full(g, switch),
    }


def _share(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.where(b > 0, a / np.where(b > 0, b, 1.0) - 1, 0.0)


def _consider(
    state: dict[str, Any],
    done: dict[str, Any],
    k: int,
    tested: tuple[list[Forecast], dict[str, Any]],
    steady: tuple[float, float],
    final: dict,
    table: _Table,
) -> dict[str, Any]:
    """Series ``k``'s chosen forecast ``done``, or the pooled model's where its backtest is clearly better
    (by MARGIN, on its own and steadied by the other series')."""
    y, h, plan = state["y"], state["h"], state["plan"]
    preds, new = tested
    zv = z_value(state["level"])
    scores = state["scores"]
    old = done["backtest"]
    out = dict(done)
    entry = {"model": POOLED, "mae": new["mae"], "mase": new["mase"], "smape": new["smape"], "chosen": False}
    others = [dict(r) for r in done.get("scores", [])]
    group = count(table.y.shape[0], "product")
    own, steadied = steady
    if own >= math.log(MARGIN) or steadied >= math.log(MARGIN):
        why = (
            f"not clearly better (typical error {number(new['mae'])} against {number(old['mae'])})"
            if own >= math.log(MARGIN)
            else f"{percent(-math.expm1(own))} closer, but across the other products it did worse than their "
            "own forecasts, so it is not trusted here"
        )
        out["scores"] = _ranked([*others, entry], state, new)
        out["notes"] = [
            *done.get("notes", []),
            f"Keel also tried averaging this forecast with one model learnt across all {group} of this table; "
            f"on this series' past that was {why}; the forecast above does not use it.",
        ]
        return out
    trial = {**state, "preds": {**state["preds"], POOLED: preds}, "scores": {**scores, POOLED: new}}
    factor, bt, windows = calibrate(trial, POOLED)
    m = _closed(plan, y.size, final["mean"][k])
    pooled = (m, m - zv * final["sd"][k], m + zv * final["sd"][k])
    mean, lo, hi = _average(pooled, (done["mean"], done["lo"], done["hi"]))
    lo, hi = mean - factor * (mean - lo), mean + factor * (hi - mean)
    if plan.nonneg:
        mean, lo, hi = np.maximum(mean, 0), np.maximum(lo, 0), np.maximum(hi, 0)
    gain = 1 - new["mae"] / old["mae"] if old["mae"] else 0.0
    mine = [_driver(name, final["effects"][c], k, state["unit"], h) for c, name in enumerate(table.names)]
    for r in others:
        r["chosen"] = False
    own_label = LABELS.get(done.get("model") or "", "its own model")
    out.update(
        model=POOLED,
        components=[*(done.get("components") or [done.get("model")])],
        mean=mean.tolist(),
        lo=lo.tolist(),
        hi=hi.tolist(),
        backtest=bt,
        windows=windows,
        scale=factor,
        scores=_ranked([*others, {**entry, "chosen": True}], state, new),
        drivers_used=list(dict.fromkeys([*done.get("drivers_used", []), *table.names])),
        drivers=done.get("drivers") or mine,
        notes=[
            *done.get("notes", []),
            f"Averaged with one model learnt across all {group} of this table (gradient boosting on their past "
            + ("values, the calendar and the drivers" if table.names or table.event.any() else "values")
            + f"), the forecast ({own_label}) was {percent(gain)} closer on this series' past (typical error "
            f"{number(new['mae'])} against {number(old['mae'])}), so Keel uses the average.",
            *([] if done.get("drivers") else [f"{d['sentence']}; {d['moved']['sentence']}." for d in mine]),
        ],
    )
    return out


def _closed(plan: Any, start: int, mean: np.ndarray) -> np.ndarray:
    """Nothing at the points of the cycle the series is always closed on (as every model forecasts them)."""
    return np.where(plan.shut(start, mean.size), 0.0, mean) if plan.closed else mean


def _ranked(rows: list[dict[str, Any]], state: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """The leaderboard rows ordered by the series' criterion, the pooled model's among them."""
    crit, scores = state["crit"], state["scores"]

    def key(r: dict[str, Any]) -> float:
        v = (new if r["model"] == POOLED else scores.get(r["model"], {})).get(crit)
        return float(v) if v is not None and math.isfinite(v) else math.inf

    return sorted(rows, key=key)


def _driver(name: str, effect: dict[str, np.ndarray], k: int, unit: str, h: int) -> dict[str, Any]:
    """A driver's effect on one series as the pooled model learnt it (same fields as the calendar candidate's)."""
    switch = bool(effect["switch"][k])
    share, moved = float(effect["per_unit"][k]), float(effect["moved"][k])
    return {
        "driver": name,
        "effect_per_unit": round(share, 6),
        "sentence": f"'{name}' {'on' if switch else 'one higher'}: about {signed_percent(share)} in the model learnt "
        "across all products (half of this forecast)",
        "moved": {
            "share": round(moved, 4),
            "sentence": f"its planned values move the next {count(h, unit)} by about {signed_percent(moved)} "
            "against keeping it at its last value",
        },
    }

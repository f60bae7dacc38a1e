"""The calendar and the drivers as a candidate that must win its place in the backtest.

For a series with known columns (:class:`core.forecasting.drivers.Extras`), the effect of each event
and driver is learnt by a ridge regression on the series' past (on the log scale for sales, so effects
are shares: 'Christmas Eve: about +80 %'), with the season, the year's shape and a slowly bending trend
as controls so that a December holiday is not credited with December's level. The effects are taken
out of the history, the model Keel chose for the series forecasts what is left, and the effects of the
future's events and drivers are put back. This runs at the same rolling origins as the other models,
each fitted on what was known at that origin only; the result replaces the plain forecast only when
its backtest error is clearly lower (:data:`MARGIN`), so a calendar that does not matter changes
nothing. Out-of-stock periods are left out of the regression and reported as likely lost demand.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from core.forecasting.choice import REFIT_SPEC_POINTS, calibrate
from core.forecasting.drivers import Extras
from core.forecasting.fitting import combine, fit_predict
from core.forecasting.methods import COMBINATION
from core.forecasting.scoring import metrics
from core.vocab import count, number, percent, signed_percent

MARGIN = 0.98  # the calendar's backtest error must be at least 2 % below the plain forecast's
EFFECT_PENALTY = 0.5  # ridge penalty on an event's or a (standardised) driver's coefficient
TREND_PENALTY = 1.0
FOURIER_TERMS = 3

Forecast = tuple[np.ndarray, np.ndarray, np.ndarray]


class _Effects:
    """Event and driver effects learnt on one stretch of history (``z``: log1p or raw values)."""

    def __init__(self, z: np.ndarray, known: np.ndarray, use: np.ndarray, season: int, seasons: tuple[float, ...]):
        n, k = known.shape
        self.center = np.zeros(k)
        self.scale = np.ones(k)
        drivers = (
            np.array([len(np.unique(known[use, j])) > 2 for j in range(k)], dtype=bool) if k else np.zeros(0, bool)
        )
        if drivers.any():
            self.center[drivers] = known[use][:, drivers].mean(axis=0)
            self.scale[drivers] = known[use][:, drivers].std(axis=0) + 1e-12
        x = (known - self.center) / self.scale
        self.active = np.array([np.ptp(x[use, j]) > 0 for j in range(k)], dtype=bool) if k else np.zeros(0, bool)
        controls, penalties = _controls(n, season, seasons)
        a = np.column_stack([controls, x[:, self.active]])
        pen = np.r_[penalties, np.full(int(self.active.sum()), EFFECT_PENALTY)]
        aa = a[use]
        coef = np.linalg.solve(aa.T @ aa + np.diag(pen), aa.T @ z[use])
        self.beta = np.zeros(k)
        self.beta[self.active] = coef[controls.shape[1] :]

    def contribution(self, known: np.ndarray) -> np.ndarray:
        if not known.shape[1]:
            return np.zeros(known.shape[0])
        return ((known - self.center) / self.scale) @ self.beta

    def per_unit(self, j: int) -> float:
        return float(self.beta[j] / self.scale[j])


def _controls(n: int, season: int, seasons: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Intercept, season dummies, the long seasons' Fourier terms and trend hinges, with their penalties."""
    t = np.arange(n, dtype=float)
    cols: list[np.ndarray] = [np.ones(n)]
    pen: list[float] = [1e-6]
    if 1 < season <= 60 and n >= 2 * season:
        for j in range(1, season):
            cols.append((t % season == j).astype(float))
            pen.append(1e-3)
    for p in seasons:
        if p > max(season, 1) and n >= p:
            for k in range(1, FOURIER_TERMS + 1):
                cols += [np.sin(2 * np.pi * k * t / p), np.cos(2 * np.pi * k * t / p)]
                pen += [1e-3, 1e-3]
    spacing = max(3 * season, 21)
    cols.append(t / max(n, 1))
    pen.append(1e-3)
    for knot in range(spacing, n - spacing // 2, spacing):
        hinge = np.maximum(t - knot, 0.0)
        cols.append(hinge / (hinge.std() + 1e-12))
        pen.append(TREND_PENALTY)
    return np.column_stack(cols), np.array(pen)


def _forecast(
    state: dict[str, Any],
    models: list[str],
    y: np.ndarray,
    past: np.ndarray,
    ahead: np.ndarray,
    use: np.ndarray,
    final: bool,
) -> tuple[Forecast, _Effects, bool]:
    """Learn the effects on ``y``, forecast what is left with ``models`` (averaged), put the effects back."""
    plan, h, level = state["plan"], state["h"], state["level"]
    mult = bool(np.min(y) >= 0)
    z = np.log1p(y) if mult else y
    eff = _Effects(z, past, use, plan.main_season, plan.seasons)
    rest = z - eff.contribution(past)
    base = np.expm1(rest) if mult else rest
    fits = []
    for c in models:
        # the structure the backtest found (as its later windows and a long final fit reuse it)
        spec = state["specs"].get(c) if not final or y.size > REFIT_SPEC_POINTS else None
        fits.append(fit_predict(c, base, h, level, plan, spec)[:3])
    mean, lo, hi = combine(fits)
    back = eff.contribution(ahead)
    if mult:
        mean, lo, hi = (np.expm1(np.log1p(np.maximum(a, 0.0)) + back) for a in (mean, lo, hi))
    else:
        mean, lo, hi = mean + back, lo + back, hi + back
    return (mean, lo, hi), eff, mult


def improve(state: dict[str, Any], done: dict[str, Any], extras: Extras) -> dict[str, Any]:
    """``done`` (the chosen forecast) with the calendar and drivers, if that does clearly better in the backtest."""
    out = dict(done)
    out["events"], out["drivers_used"], out["drivers"] = [], [], []
    out["stockout"] = _lost(state, done, extras)
    if out["stockout"] and out["stockout"]["periods"]:  # a product never out of stock needs no note
        _note(out, out["stockout"]["sentence"])
    if state.get("done") is not None or not extras.names:
        return out
    best = done.get("model")
    models = list(done.get("components") or [best])
    y, offset, origins = state["y"], state["offset"], state["origins"]
    past = extras.past[offset : offset + y.size]
    use = np.ones(y.size, dtype=bool)
    if extras.out_of_stock is not None:
        use &= ~extras.out_of_stock[offset : offset + y.size]
    if not origins or best not in state["preds"] or best is None:
        return _note(
            out, "The history is too short to test the calendar and drivers against the past, so they were left out."
        )
    preds = []
    try:
        for o in origins:
            (m, lo, hi), _, _ = _forecast(state, models, y[:o], past[:o], past[o : o + state["h"]], use[:o], False)
            preds.append((m, lo, hi))
        final, eff, mult = _forecast(state, models, y, past, extras.future, use, True)
    except (np.linalg.LinAlgError, ValueError, RuntimeError, FloatingPointError):
        return _note(out, "The calendar and drivers could not be fitted to this series.")
    crit, scores = state["crit"], state["scores"]
    act = np.concatenate(state["actuals"])
    old = scores[best]
    scale = old["mae"] / old["mase"] if old.get("mase") else None
    new = metrics(act, np.concatenate([p[0] for p in preds]), scale)
    used = [n for n, k, a in zip(extras.names, extras.kinds, eff.active) if a]
    if not (new[crit] is not None and old[crit] is not None and new[crit] < MARGIN * old[crit]):
        return _note(
            out,
            f"Keel also tried the forecast with {_what(extras)}; on the past it was not clearly better "
            f"(typical error {number(new['mae'])} against {number(old['mae'])}), so they were left out.",
        )
    trial = {**state, "preds": {**state["preds"], best: preds}, "scores": {**scores, best: new}}
    factor, bt, windows = calibrate(trial, best)
    shut = _closed(extras, y, past, use) if mult else set()
    mean, lo, hi = _shut(extras, shut, _widen(final, factor, state["plan"].nonneg))
    events = [
        _event(n, eff.beta[j], mult, y, j in shut) for j, n in enumerate(extras.names) if extras.kinds[j] == "event"
    ]
    drivers = [
        {
            **_driver(n, eff.per_unit(j), mult, y, bool(np.isin(past[:, j], (0.0, 1.0)).all())),
            "moved": _moved(mean, eff.per_unit(j) * (extras.future[:, j] - past[-1, j]), mult, state["unit"]),
        }
        for j, n in enumerate(extras.names)
        if extras.kinds[j] == "driver"
    ]
    gain = 1 - new["mae"] / old["mae"] if old["mae"] else 0.0
    sentence = (
        f"With {_what(extras)} the forecast was {percent(gain)} closer on the past "
        f"(typical error {number(new['mae'])} against {number(old['mae'])}), so Keel uses them."
    )
    out.update(
        mean=mean.tolist(),
        lo=lo.tolist(),
        hi=hi.tolist(),
        backtest=bt,
        windows=windows,
        scale=factor,
        notes=list(out.get("notes", []))
        + [sentence]
        + [e["sentence"] for e in events if e["effect"] is not None]
        + [f"{d['sentence']}; {d['moved']['sentence']}." for d in drivers if d["driver"] in used],
        events=events,
        drivers_used=[n for n in used if n in {d["driver"] for d in drivers}],
        drivers=[d for d in drivers if d["driver"] in used],
        calendar_backtest={"without": old["mae"], "with": new["mae"]},
    )
    if best == COMBINATION:
        out["components"] = models
    return out


def _note(out: dict[str, Any], text: str) -> dict[str, Any]:
    out["notes"] = [*list(out.get("notes", [])), text]
    return out


def _what(extras: Extras) -> str:
    parts = []
    if "event" in extras.kinds:
        parts.append("the calendar")
    drivers = [n for n, k in zip(extras.names, extras.kinds) if k == "driver"]
    if drivers:
        parts.append(", ".join(f"'{d}'" for d in drivers))
    return " and ".join(parts) or "nothing"


def _closed(extras: Extras, y: np.ndarray, past: np.ndarray, use: np.ndarray) -> set[int]:
    """The events (their columns) on whose every day in the history nothing sold: the shop was closed."""
    out = set()
    for j, kind in enumerate(extras.kinds):
        on = (past[:, j] > 0) & use & np.isfinite(y)
        if kind == "event" and on.any() and np.all(y[on] == 0) and np.nanmean(y[~on & use]) > 0:
            out.add(j)
    return out


def _widen(forecast: Forecast, factor: float, nonneg: bool) -> Forecast:
    """The interval scaled by the backtest's calibration ``factor``; nothing below 0 for sales."""
    mean, lo, hi = forecast
    lo, hi = mean - factor * (mean - lo), mean + factor * (hi - mean)
    if nonneg:
        mean, lo, hi = np.maximum(mean, 0), np.maximum(lo, 0), np.maximum(hi, 0)
    return mean, lo, hi


def _shut(extras: Extras, shut: set[int], forecast: Forecast) -> Forecast:
    """The forecast with nothing sold on the future days of events the shop was always closed on."""
    if not shut:
        return forecast
    off = (extras.future[:, sorted(shut)] > 0).any(axis=1)
    mean, lo, hi = (np.where(off, 0.0, a) for a in forecast)
    return mean, lo, hi


def _event(name: str, beta: float, mult: bool, y: np.ndarray, closed: bool = False) -> dict[str, Any]:
    """An event's learnt effect: a share of the usual level (sales) or a number of units."""
    if beta == 0:
        return {"event": name, "effect": None, "sentence": f"{name}: not in the history, so no effect was learnt."}
    if closed:
        return {
            "event": name,
            "effect": -1.0,
            "closed": True,
            "sentence": f"{name}: closed (nothing sold on it in the history, so none is forecast)",
        }
    level = float(np.mean(y)) or 1.0
    share = math.expm1(beta) if mult else beta / level
    if share <= -0.9:
        text = f"{name}: closed or almost nothing sold ({signed_percent(share)})"
    else:
        text = f"{name}: about {signed_percent(share)}"
    return {"event": name, "effect": round(share, 4), "sentence": text}


def _driver(name: str, per_unit: float, mult: bool, y: np.ndarray, switch: bool) -> dict[str, Any]:
    """A driver's learnt effect per unit (for a 0/1 driver such as a promotion: switched on)."""
    level = float(np.mean(y)) or 1.0
    share = math.expm1(per_unit) if mult else per_unit / level
    how = "on" if switch else "one higher"
    return {
        "driver": name,
        "effect_per_unit": round(share, 6),
        "sentence": f"'{name}' {how}: about {signed_percent(share)}",
    }


def _moved(mean: np.ndarray, push: np.ndarray, mult: bool, unit: str) -> dict[str, Any]:
    """How much a driver's future values move the forecast's total, against keeping it at its last value."""
    without = mean * np.exp(-push) if mult else mean - push
    base = float(np.sum(without))
    share = float(np.sum(mean)) / base - 1 if base > 0 else 0.0
    return {
        "share": round(share, 4),
        "sentence": f"its planned values move the next {count(mean.size, unit)} by about {signed_percent(share)} "
        "against keeping it at its last value",
    }


def _lost(state: dict[str, Any], done: dict[str, Any], extras: Extras) -> dict[str, Any] | None:
    """How much demand the out-of-stock periods likely lost: the demand around them, less what sold."""
    if extras.out_of_stock is None:
        return None
    marked = int(extras.out_of_stock.sum())
    if not marked:
        return {"periods": 0, "lost_demand": 0.0, "sentence": "No period was marked out of stock."}
    y, offset = state.get("y"), state.get("offset", 0)
    if y is None:
        return {"periods": marked, "lost_demand": None, "sentence": "Too little history to estimate lost demand."}
    shelf = extras.out_of_stock[offset : offset + y.size]
    sold = (extras.sold if extras.sold is not None else np.zeros(extras.out_of_stock.size))[offset : offset + y.size]
    lost = float(np.maximum(y[shelf] - sold[shelf], 0).sum())
    unit = state.get("unit", "period")
    return {
        "periods": marked,
        "lost_demand": round(lost, 2),
        "sentence": f"On the {count(marked, unit)} marked out of stock "
        + (f"about {number(lost)} more would likely have sold" if lost >= 0.5 else "little or no demand was lost")
        + " (estimated from the demand around them); those days did not pull the forecast down.",
    }

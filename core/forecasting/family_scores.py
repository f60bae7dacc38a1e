"""Scoring the ways of making a family's forecasts add up, on the backtest every series was already tested
on, and the plain sentence that says what reconciling did (used by :mod:`core.forecasting.families`).

Each method (unreconciled, bottom-up, MinT) is replayed window by window; MinT's covariance for a window
comes from the other windows' errors only, so no window is scored with weights that saw its own errors.
Each series' MASE is its mean absolute error over all windows divided by the in-sample error of the
seasonal naive forecast before the first window (:func:`core.forecasting.scoring.mase_scale`); a level's
MASE is the mean over its series, and the overall one the mean over the levels (each level weighs alike).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.forecasting.reconcile import BOTTOM_UP, reconcile
from core.forecasting.results import SeriesForecast
from core.forecasting.scoring import mase_scale
from core.vocab import percent

NONE, MINT = "none", "mint"
METHOD_LABELS = {
    NONE: "each series on its own (not reconciled)",
    BOTTOM_UP: "products added up (bottom-up)",
    MINT: "MinT (weighted by backtest errors)",
}


@dataclass(frozen=True)
class MethodScore:
    """A way of making the forecasts add up, replayed on the backtest windows: mean MASE per level."""

    method: str  # "none", "bottom_up" or "mint"
    label: str
    mase: dict[str, float | None]  # level -> mean MASE of its series (None: nothing to score)
    overall: float | None  # mean over the levels
    chosen: bool = False


def sold_periods(history: Sequence[float] | np.ndarray) -> np.ndarray:
    """A product's history from its first sale on (a launch's leading zeros or gaps left out)."""
    v = np.asarray(history, dtype=float)
    started = np.flatnonzero(np.isfinite(v) & (v != 0))
    return v[started[0] :] if started.size else v[:0]


# --- replaying the methods on the backtest


def window_table(
    series: list[SeriesForecast | None], sources: dict[int, tuple[tuple[int, ...], float]], borrowed: set[int]
) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each backtest window of the first total: every series' forecast (series x steps) and what
    happened (NaN where a series has no window of its own). A product without its own window (or that
    borrows) gets its source's forecast times its factor. Windows some total lacks are left out."""
    ref = series[0].windows if series[0] is not None else ()
    out = []
    for w in ref:
        yh = np.full((len(series), len(w.dates)), np.nan)
        act = yh.copy()
        for i, s in enumerate(series):
            mine = next((x for x in (s.windows if s else ()) if x.dates == w.dates), None)
            if mine is not None:
                act[i] = mine.actual
                if i not in borrowed:
                    yh[i] = mine.yhat
        for _ in range(2):  # a look-alike may itself be filled from its family first
            for i, (js, f) in sources.items():
                if i in borrowed or not np.isfinite(yh[i]).all():
                    yh[i] = f * yh[list(js)].sum(axis=0)
        if np.isfinite(yh).all():
            out.append((yh, act))
    return out


def window_errors(
    table: list[tuple[np.ndarray, np.ndarray]], sources: dict[int, tuple[tuple[int, ...], float]]
) -> np.ndarray:
    """Every backtest error point (points x series); a series without a value there errs as its source
    does, times its factor."""
    blocks = []
    for yh, act in table:
        e = act - yh
        for _ in range(2):
            for i, (js, f) in sources.items():
                if not np.isfinite(e[i]).all():
                    e[i] = np.where(np.isfinite(e[i]), e[i], f * e[list(js)].sum(axis=0))
        blocks.append(e)
    return np.concatenate(blocks, axis=1).T if blocks else np.empty((0, len(sources)))


def replay(
    table: list[tuple[np.ndarray, np.ndarray]],
    S: np.ndarray,
    sources: dict[int, tuple[tuple[int, ...], float]],
    nonneg: bool,
) -> dict[str, list[np.ndarray]]:
    """Each method's forecasts at each backtest window; MinT's weights for a window come from the other
    windows' errors only."""
    out: dict[str, list[np.ndarray]] = {NONE: [], BOTTOM_UP: [], MINT: []}
    for k, (yh, _) in enumerate(table):
        others = [t for i, t in enumerate(table) if i != k]
        out[NONE].append(yh)
        out[BOTTOM_UP].append(reconcile(yh, S, BOTTOM_UP)[0])
        out[MINT].append(reconcile(yh, S, MINT, window_errors(others, sources), nonneg)[0])
    return out


def level_scores(
    table: list[tuple[np.ndarray, np.ndarray]], preds: list[np.ndarray], scales: list[float | None], levels: list[str]
) -> tuple[dict[str, float | None], float | None]:
    """Mean MASE per level (each series' MAE over all windows / its scale) and the mean over levels."""
    by_level: dict[str, list[float]] = {lv: [] for lv in dict.fromkeys(levels)}
    act = np.concatenate([a for _, a in table], axis=1)
    pred = np.concatenate(preds, axis=1)
    for i, lv in enumerate(levels):
        ok = np.isfinite(act[i])
        if ok.any() and scales[i]:
            by_level[lv].append(float(np.mean(np.abs(pred[i][ok] - act[i][ok]))) / float(scales[i] or 1))
    mase = {lv: float(np.mean(v)) if v else None for lv, v in by_level.items()}
    known = [v for v in mase.values() if v is not None]
    return mase, float(np.mean(known)) if known else None


def mase_scales(series: list[SeriesForecast | None]) -> list[float | None]:
    """Each series' MASE denominator: the seasonal naive's in-sample error before the first backtest window,
    exactly as the series' own backtest computed it when it has one (so the unreconciled scores are the
    backtest's own MASE), else from its history before the first window of the first total."""
    ref = series[0].windows if series[0] is not None else ()
    start = ref[0].dates[0] if ref else None
    out: list[float | None] = []
    for s in series:
        if s is None or not s.history:
            out.append(None)
            continue
        if s.backtest.mase and s.backtest.mae is not None and s.windows and s.windows[0].dates[0] == start:
            out.append(s.backtest.mae / s.backtest.mase)
            continue
        y = np.asarray(s.history, dtype=float)
        if start is not None:
            y = y[np.asarray(pd.DatetimeIndex(s.history_dates) < start)]
        y = sold_periods(y)
        y = y[np.isfinite(y)]
        out.append(mase_scale(y, s.season or 1))
    return out


def choose(scores: dict[str, MethodScore], bottom: str, wanted: str) -> str:
    """MinT when it is at least as accurate on the products as bottom-up (whose products are the
    unreconciled ones) and, on a tie, over all levels; else bottom-up. ``wanted`` other than 'auto' wins."""
    if wanted != "auto":
        return wanted
    inf = float("inf")

    def key(m: str) -> tuple[float, float]:
        s = scores[m]
        b = s.mase.get(bottom)
        return (inf if b is None else round(b, 12), inf if s.overall is None else s.overall)

    return MINT if key(MINT) < key(BOTTOM_UP) else BOTTOM_UP


# --- the sentence


def accuracy_change(new: float | None, old: float | None) -> str:
    """'3.1% more accurate', '2% less accurate' or 'just as accurate' (MASE ``new`` against ``old``)."""
    if new is None or old is None or old <= 0:
        return "of unknown accuracy"
    rel = (old - new) / old
    if abs(rel) < 5e-4:
        return "just as accurate"
    return f"{percent(abs(rel))} {'more' if rel > 0 else 'less'} accurate"


def totals_mase(score: MethodScore, bottom: str) -> float | None:
    vals = [v for lv, v in score.mase.items() if lv != bottom and v is not None]
    return float(np.mean(vals)) if vals else None


def explain(cols: tuple[str, ...], chosen: str, scores: dict[str, MethodScore], bottom: str) -> str:
    """One or two plain sentences: what reconciling did, and what it did to accuracy in the backtest."""
    names = [c.replace("_", " ") for c in cols]
    what = (" and ".join(names) + " totals").capitalize()
    if chosen == NONE:
        return f"{what} are forecast on their own, so they need not equal the sum of their products."
    if not scores:
        return (
            f"{what} now equal the sum of their products (added up from them); the history was too short to "
            f"compare ways of doing it on the past."
        )
    none, mine = scores[NONE], scores[chosen]
    totals = accuracy_change(totals_mase(mine, bottom), totals_mase(none, bottom))
    if chosen == MINT:
        prods = accuracy_change(mine.mase.get(bottom), none.mase.get(bottom))
        return (
            f"{what} now equal the sum of their products; this made the product forecasts {prods} in the "
            f"backtest, and the totals {totals} than forecast on their own."
        )
    mint = scores[MINT]
    why = (
        f": adjusting them to the totals would have made them {accuracy_change(mint.mase.get(bottom), none.mase.get(bottom))}"
        if mint.mase.get(bottom) is not None
        else ""
    )
    return (
        f"{what} now equal the sum of their products, added up from the product forecasts, which stay as they "
        f"were{why}. The totals added up were {totals} in the backtest than the totals forecast on their own."
    )

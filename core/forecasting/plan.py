"""How to model one series: its seasons, the scale (log or not), whether demand is intermittent or the
shop is closed at some points of the cycle, and which registered models to try."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.forecasting.methods import MODELS, season_history, seasonality_test
from core.forecasting.timeseries import counts_like, season_candidates

#: The plain repeats: of the last value, and of the last season (scored for reference, the answer of last resort).
LAST_VALUE = next(a for a, m in MODELS.items() if m.repeat and not m.seasonal)
LAST_SEASON = next(a for a, m in MODELS.items() if m.repeat and m.seasonal)


@dataclass(frozen=True)
class Plan:
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


def use_log(y: np.ndarray, m: int) -> bool:
    """Log scale if positive data whose seasonal spread grows with their level (multiplicative pattern).

    Only with a season: without one, the spread of a stretch of points measures the trend, not noise
    that grows with the level, and a trend on the log scale compounds (a series that grew 10 % a year
    is forecast to keep growing 10 % a year). On the forecasting benchmarks the original scale was
    better for series without a season: the summed MASE of the yearly and daily series fell at all
    six origins of the two corpora but one (+0.4 %).
    """
    if m <= 1 or y.size < 8 or np.min(y) <= 0:
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


def make_plan(y: np.ndarray, freq_code: str, season: int | None, unit: str, history: np.ndarray | None = None) -> Plan:
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
        m = round(p)
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
    main = round(min(seasons)) if seasons else 1
    if not short and seasons:
        main = round(min(seasons))
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
    log = (not intermittent) and use_log(y, main)
    return Plan(tuple(seasons), main, log, intermittent, nonneg, tuple(notes), closed)


def candidates(plan: Plan, n: int) -> list[str]:
    """The registered models worth trying on a series planned so, whose first test window has ``n`` points."""
    return [a for a, m in MODELS.items() if m.suits(plan.main_season, n, plan.intermittent)]


def default_model(plan: Plan, tried: list[str]) -> str:
    """The model for a series that could not be tested: the registry's default for its kind of demand
    (for intermittent demand always, for the rest when it was among the models ``tried``), else the
    first model tried, else the plain repeat."""
    for a, m in MODELS.items():
        if m.default and m.suits(plan.main_season, 0, plan.intermittent) and (plan.intermittent or a in tried):
            return a
    return tried[0] if tried else fallback_model(plan, 0)


def fallback_model(plan: Plan, n: int) -> str:
    """The answer of last resort: repeat the last season when one fits in ``n`` points, else the last value."""
    if plan.main_season > 1 and n > plan.main_season:
        return LAST_SEASON
    return LAST_VALUE

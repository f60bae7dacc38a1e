"""Benchmark: drift between two 1M-row × 20-column Parquet files.

Writes the two files (seeded; 5 of the 20 columns shifted) to a temporary folder, then times

1. ``python -m core drift REF CUR --json`` as a whole process (wall time and peak memory of the
   child process), if the CLI is there; and
2. :func:`core.monitoring.drift.compare` alone, in this process, on frames already in memory.

Run from the repository root:  ``.venv/bin/python bench/bench_drift.py [--rows 1000000]``
Target (issue 5): the whole process in ≤ 4 s and ≤ 1.5 GB peak memory on a 2-core machine.
Wall time depends on what else runs; CPU time (user + system) is printed beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SHIFTED = ("num_00", "num_01", "num_05", "cat_00", "cat_03")


def _child_cpu() -> float:
    """CPU seconds (user + system) used by finished child processes: steadier than wall time on a busy machine."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def make_frame(rows: int, seed: int, shifted: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cols: dict[str, object] = {}
    for i in range(12):
        name = f"num_{i:02d}"
        if i % 3 == 0:
            x = rng.normal(100, 15, rows)
        elif i % 3 == 1:
            x = rng.lognormal(3, 0.6, rows)
        else:
            x = rng.poisson(4, rows).astype(float)
        if shifted and name in SHIFTED:
            x = x + 0.3 * x.std()
        if i % 4 == 3:
            x[rng.random(rows) < 0.05] = np.nan
        cols[name] = x
    for i in range(8):
        name = f"cat_{i:02d}"
        levels = np.array([f"L{j}" for j in range(3 + 2 * i)])
        p = np.linspace(2, 1, len(levels))
        if shifted and name in SHIFTED:
            p = p[::-1]
        cols[name] = pd.array(levels[rng.choice(len(levels), rows, p=p / p.sum())], dtype="str")
    return pd.DataFrame(cols)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()

    from core.monitoring.drift import compare

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ref_path, cur_path = folder / "reference.parquet", folder / "current.parquet"
        t = time.perf_counter()
        ref, cur = make_frame(args.rows, 1, False), make_frame(args.rows, 2, True)
        ref.to_parquet(ref_path, index=False)
        cur.to_parquet(cur_path, index=False)
        print(f"wrote 2 × {args.rows:,} rows × {ref.shape[1]} columns in {time.perf_counter() - t:.1f} s "
              f"({ref_path.stat().st_size / 1e6:.0f} + {cur_path.stat().st_size / 1e6:.0f} MB)")

        cli = ROOT / "core" / "__main__.py"
        if cli.exists():
            env = {**os.environ, "KEEL_HOME": str(folder / "home")}
            walls, cpus = [], []
            for _ in range(2):  # the first run also warms the page cache
                c0 = _child_cpu()
                t = time.perf_counter()
                proc = subprocess.run([sys.executable, "-m", "core", "drift", str(ref_path), str(cur_path), "--json"],
                                      cwd=ROOT, env=env, capture_output=True, text=True)
                walls.append(time.perf_counter() - t)
                cpus.append(_child_cpu() - c0)
            peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            if proc.returncode != 0:
                print(f"CLI failed (exit {proc.returncode}): {proc.stderr.strip()[:500]}")
            else:
                out = json.loads(proc.stdout)
                print(f"python -m core drift --json: {walls[0]:.2f} s cold, {walls[1]:.2f} s warm wall "
                      f"({cpus[1]:.2f} s CPU), peak memory {peak_mb:,.0f} MB; dataset_drift={out['dataset_drift']}, "
                      f"drifted={[c['column'] for c in out['columns'] if c['drifted']]}")
        else:
            print("CLI not available (core/__main__.py missing): timing compare() in-process only")

        # The same work as the CLI without its file reader: a fresh process that imports Keel, reads
        # both Parquet files with pandas, compares and prints the JSON. Useful while the CLI's reader
        # is unfinished, and to see how much of the CLI's time is its reader.
        code = (
            "import json, sys, pandas as pd; from core.monitoring.drift import compare; "
            "r = compare(pd.read_parquet(sys.argv[1]), pd.read_parquet(sys.argv[2])); "
            "print(json.dumps(r.to_json(), allow_nan=False))"
        )
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        c0 = _child_cpu()
        t = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", code, str(ref_path), str(cur_path)], cwd=ROOT,
                              capture_output=True, text=True)
        wall = time.perf_counter() - t
        cpu = _child_cpu() - c0
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        if proc.returncode == 0:
            note = "" if peak_mb * 1024 > before else " (peak not isolated: an earlier child used more)"
            print(f"process: import + read_parquet ×2 + compare + JSON: {wall:.2f} s wall ({cpu:.2f} s CPU), peak memory {peak_mb:,.0f} MB{note}")
        else:
            print(f"in-process equivalent failed: {proc.stderr.strip()[-500:]}")

        t, c0 = time.perf_counter(), time.process_time()
        report = compare(ref, cur)
        took, cpu = time.perf_counter() - t, time.process_time() - c0
        print(f"compare() alone: {took:.2f} s wall ({cpu:.2f} s CPU); drifted={report.drifted_columns} (planted: {list(SHIFTED)})")


if __name__ == "__main__":
    main()

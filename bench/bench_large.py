"""Benchmark: ``profile`` and ``drift`` on files larger than memory, under a 2 GB address-space limit.

Writes two files of ``--rows`` rows × 20 columns (14 numbers, 4 categories, a count, a price with 5 % missing;
the second has one number shifted by 0.3 standard deviations and one category's mix changed), then runs
``python -m core profile`` and ``python -m core drift`` on them in fresh processes limited to 2 GB of address
space (RLIMIT_AS, what ``ulimit -v`` sets), and prints each one's time and peak memory (resident set).

For comparison it reads a seeded random 1M-row sample of each file in this (unlimited) process and runs the same
profile and drift in memory: the findings and the drifted columns should be the same.

Run from the repository root (needs about 12 GB of disk for 50M rows as Parquet; ``--dir`` to choose where)::

    .venv/bin/python bench/bench_large.py [--rows 50000000] [--format parquet|csv] [--dir /tmp/keel-large]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LIMIT = 2 * 1024**3
GROUP = 1_000_000
SAMPLE = 1_000_000


def _group(n: int, rng: np.random.Generator, moved: bool) -> pa.Table:
    columns: dict[str, object] = {}
    for i in range(14):
        columns[f"x{i}"] = np.round(rng.normal(0.3 if moved and i == 0 else 0.0, 1.0, n), 3)
    for j in range(4):
        p = [0.4, 0.3, 0.2, 0.1] if moved and j == 0 else [0.25, 0.25, 0.25, 0.25]
        columns[f"group{j}"] = pa.array(rng.choice(np.array(["north", "south", "east", "west"]), n, p=p))
    columns["units"] = rng.poisson(3, n)
    price = np.round(rng.gamma(2.0, 10.0, n), 2)
    columns["price"] = pa.array(np.where(rng.random(n) < 0.05, np.nan, price), from_pandas=True)
    return pa.table(columns)


def write(path: Path, rows: int, seed: int, moved: bool, fmt: str) -> None:
    rng = np.random.default_rng(seed)
    first = _group(min(GROUP, rows), rng, moved)
    if fmt == "parquet":
        with pq.ParquetWriter(path, first.schema) as writer:
            writer.write_table(first)
            for start in range(GROUP, rows, GROUP):
                writer.write_table(_group(min(GROUP, rows - start), rng, moved))
    else:
        with pacsv.CSVWriter(path, first.schema) as writer:
            writer.write_table(first)
            for start in range(GROUP, rows, GROUP):
                writer.write_table(_group(min(GROUP, rows - start), rng, moved))


def run_limited(args: list[str], cwd: Path) -> tuple[dict, float, float]:
    """``python -m core ARGS --json`` under RLIMIT_AS: (its JSON, seconds, peak resident GB)."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))

    env = {**os.environ, "KEEL_HOME": str(cwd / "keel-home")}
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "core", *args, "--json"],
        cwd=cwd,
        env=env,
        preexec_fn=limit,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    stdout, stderr = proc.communicate()
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2  # the largest child so far
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({proc.returncode}):\n{stderr[-3000:]}")
    return json.loads(stdout), seconds, peak


def another_sample(path: Path):
    """Another seeded random 1M-row sample of the file, read here without a limit, as a DataFrame."""
    from core.data import read_large

    return read_large(path, sample_rows=SAMPLE, seed=1).table.frame  # another seed than Keel's own sample


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=50_000_000)
    ap.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    ap.add_argument("--dir", default=None, help="where to write the two files (removed at the end)")
    args = ap.parse_args(argv)
    where = Path(args.dir or tempfile.mkdtemp(prefix="keel-large-"))
    where.mkdir(parents=True, exist_ok=True)
    ref, cur = where / f"reference.{args.format}", where / f"current.{args.format}"
    try:
        started = time.perf_counter()
        write(ref, args.rows, 1, False, args.format)
        write(cur, args.rows, 2, True, args.format)
        size = ref.stat().st_size / 1024**3
        print(
            f"wrote 2 files of {args.rows:,} rows × 20 columns ({args.format}, {size:.1f} GB each) in "
            f"{time.perf_counter() - started:.0f} s; limit {LIMIT / 1024**3:.0f} GB of address space"
        )

        prof, t_prof, m_prof = run_limited(["profile", ref.name], where)
        print(
            f"profile: {t_prof:.0f} s, peak {m_prof:.2f} GB; rows {prof['rows']:,} (exact), sample "
            f"{prof.get('sample', {}).get('rows', 0):,}"
        )
        drift, t_drift, m_drift = run_limited(["drift", ref.name, cur.name], where)
        moved = sorted(c["column"] for c in drift["columns"] if c["drifted"])
        print(f"drift: {t_drift:.0f} s, peak {m_drift:.2f} GB; moved {moved}; verdict: {drift['verdict']}")

        from core.data import profile
        from core.monitoring import compare

        a, b = another_sample(ref), another_sample(cur)
        # far-out values ('outliers', a note) are found in whichever rows a sample holds: compared apart
        mem_findings = sorted((f.code, f.column) for f in profile(a).findings if f.code != "outliers")
        findings = sorted((f["code"], f["column"]) for f in prof["findings"] if f["code"] != "outliers")
        far = sum(f["code"] == "outliers" for f in prof["findings"])
        print(
            f"far-out value notes: {far} columns on Keel's sample, "
            f"{sum(f.code == 'outliers' for f in profile(a).findings)} on the other sample"
        )
        mem_moved = sorted(c.column for c in compare(a, b).columns if c.drifted)
        print(
            f"in memory on another 1M-row sample: findings {'the same' if findings == mem_findings else 'DIFFER'}"
            f" ({len(findings)} vs {len(mem_findings)}); moved {mem_moved} "
            f"({'the same' if moved == mem_moved else 'DIFFER'})"
        )
        if findings != mem_findings:
            print(f"  streamed: {findings}\n  in memory: {mem_findings}")
        return 0 if findings == mem_findings and moved == mem_moved else 1
    finally:
        if args.dir is None:
            shutil.rmtree(where, ignore_errors=True)
        else:
            ref.unlink(missing_ok=True)
            cur.unlink(missing_ok=True)


if __name__ == "__main__":
    raise SystemExit(main())

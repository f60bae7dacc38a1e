"""How fast is ``core.data.quality.profile`` on big tables?

Builds seeded 100k x 20 and 1M x 20 mixed tables in memory (numbers with gaps, integers, labels,
emails, free text, dates, booleans and a target) and profiles each in a fresh subprocess, so one
run's memory doesn't colour the next. Prints wall time (first run and a second, warm run), peak
memory (the process's peak resident memory, and the rise during profile() above the memory
already held by the table) and the time spent per check.

    .venv/bin/python bench/bench_profile.py            # 100k and 1M
    .venv/bin/python bench/bench_profile.py 200000     # other sizes

Budget for 1M rows x 20 columns on a 2-core machine: <= 2.5 s and <= 1.5 GB.
"""

from __future__ import annotations

import gc
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUDGET_SECONDS = 2.5
BUDGET_BYTES = 1.5 * 1024**3


def build_frame(rows: int, seed: int = 7):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)

    def with_gaps(x: np.ndarray, share: float) -> np.ndarray:
        x = x.astype("float64")
        x[rng.random(len(x)) < share] = np.nan
        return x

    words = np.array(["great", "slow", "delivery", "support", "price", "quality", "refund", "late",
                      "friendly", "broken", "works", "again", "never", "always", "box", "app"])
    word_idx = rng.integers(0, len(words), size=(rows, 6))
    comments = pd.Series(words[word_idx[:, 0]], dtype="str")
    for j in range(1, 6):
        comments = comments + " " + words[word_idx[:, j]]
    comments[rng.random(rows) < 0.3] = None

    user = rng.integers(0, 10 * rows, rows)
    emails = pd.Series(user.astype(str), dtype="str")
    emails = "user" + emails + "@example.com"

    start = np.datetime64("2021-01-01T00:00:00", "s").astype("int64")
    signup = (start + rng.integers(0, 3 * 365 * 86400, rows)).astype("datetime64[s]")
    last_seen = signup.astype("datetime64[s]") + rng.integers(0, 200 * 86400, rows).astype("timedelta64[s]")
    last_seen[rng.random(rows) < 0.1] = np.datetime64("NaT")

    income = with_gaps(rng.lognormal(10.5, 0.8, rows), 0.05)
    age = with_gaps(rng.normal(42, 13, rows).clip(18, 95).round(), 0.02)
    churn_p = 1 / (1 + np.exp(-(-2.0 + 0.03 * (60 - np.nan_to_num(age, nan=42)) / 10)))
    churned = rng.random(rows) < churn_p

    frame = pd.DataFrame({
        "customer_id": rng.integers(0, rows // 5, rows),
        "age": age,
        "income": income,
        "balance": with_gaps(rng.normal(1_000, 800, rows), 0.01),
        "score": with_gaps(rng.random(rows).round(2), 0.01),
        "visits": rng.poisson(4, rows),
        "rating": rng.integers(1, 6, rows),
        "amount": with_gaps(rng.exponential(80, rows), 0.03),
        "discount": with_gaps(rng.choice([0.0, 0.05, 0.1, 0.2], rows, p=[0.7, 0.1, 0.1, 0.1]), 0.0),
        "country": pd.Series(rng.choice([f"C{i:02d}" for i in range(20)], rows), dtype="str"),
        "city": pd.Series(rng.choice([f"City {i}" for i in range(500)], rows), dtype="str"),
        "segment": pd.Series(rng.choice(["retail", "smb", "enterprise", "public"], rows), dtype="str"),
        "plan": pd.Series(rng.choice(["basic", "pro"], rows, p=[0.8, 0.2]), dtype="str"),
        "email": emails,
        "comment": comments,
        "signup": signup,
        "last_seen": last_seen,
        "is_active": rng.random(rows) < 0.7,
        "channel": pd.Series(rng.choice(["web", "app", "store", None], rows), dtype="str"),
        "churned": churned,
    })
    assert frame.shape[1] == 20
    return frame


def _rss() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _peak() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")  # resets VmHWM (the peak) to the current RSS
        return True
    except OSError:
        return False


def child(rows: int) -> dict:
    sys.path.insert(0, str(ROOT))
    from core.data.quality import profile

    frame = build_frame(rows)
    profile(build_frame(2_000))  # import/compile warm-up on a tiny table
    gc.collect()
    base = _rss()
    reset = _reset_peak()
    timings: dict[str, float] = {}
    t0, c0 = time.perf_counter(), time.process_time()
    result = profile(frame, target="churned", timings=timings)
    first, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = _peak()
    t0 = time.perf_counter()
    profile(frame, target="churned")
    second = time.perf_counter() - t0
    return {
        "rows": rows,
        "columns": frame.shape[1],
        "first_s": first,
        "second_s": second,
        "cpu_s": cpu,
        "load": os.getloadavg()[0],
        "table_mb": frame.memory_usage(deep=True).sum() / 1e6,
        "peak_mb": peak / 1e6,
        "delta_mb": (peak - base) / 1e6 if reset else None,
        "timings": timings,
        "findings": [f"{f.severity}:{f.code}:{f.column}" for f in result.findings],
    }


def main(argv: list[str]) -> int:
    if argv[:1] == ["--child"]:
        print(json.dumps(child(int(argv[1]))))
        return 0
    sizes = [int(a) for a in argv] or [100_000, 1_000_000]
    ok = True
    for rows in sizes:
        proc = subprocess.run([sys.executable, __file__, "--child", str(rows)], capture_output=True, text=True,
                              check=False)
        if proc.returncode:
            print(proc.stderr, file=sys.stderr)
            return 1
        r = json.loads(proc.stdout)
        delta = "n/a" if r["delta_mb"] is None else f"{r['delta_mb']:.0f} MB"
        print(f"\n{rows:>9,} rows x {r['columns']} columns (table {r['table_mb']:.0f} MB in memory)")
        print(f"  profile(): {r['first_s']:.2f} s first run ({r['cpu_s']:.2f} s CPU), {r['second_s']:.2f} s second run"
              f"  [machine load {r['load']:.1f}]")
        print(f"  memory: peak {r['peak_mb']:.0f} MB for the whole process, +{delta} during profile()")
        phases = sorted(r["timings"].items(), key=lambda kv: -kv[1])
        print("  time per phase/check: " + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in phases))
        print(f"  findings: {len(r['findings'])}: " + ", ".join(r["findings"]))
        if rows >= 1_000_000:
            within = r["first_s"] <= BUDGET_SECONDS and r["peak_mb"] * 1e6 <= BUDGET_BYTES
            ok &= within
            print(f"  budget (<= {BUDGET_SECONDS} s, <= 1.5 GB): {'met' if within else 'NOT met'}")
    return 0 if ok else 3


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

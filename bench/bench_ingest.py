"""Benchmark ``core.data.ingest.read_table`` against pyarrow's raw CSV reader.

Writes a mixed 20-column CSV (ints, floats, thousands separators, currency, percentages,
categories, ISO and day/month dates, booleans, free text, some missing) into a temp folder,
then times each reader in its own subprocess and reports wall time and peak memory
(``ru_maxrss`` of that subprocess, which counts Arrow's allocations, unlike tracemalloc).

    .venv/bin/python bench/bench_ingest.py                 # 100k and 1M rows
    .venv/bin/python bench/bench_ingest.py --rows 200000   # one size
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]

_WORDS = np.array(
    "alpha beta gamma delta river stone cloud maple harbor quiet amber north "
    "velvet ember cobalt lantern meadow orbit pixel quartz".split()
)
_CITIES = np.array([f"City {i:02d}" for i in range(50)])


def make_frame(rows: int, seed: int = 7) -> pd.DataFrame:
    """Return ``rows`` x 20 mixed columns as text, the way a spreadsheet export writes them."""
    rng = np.random.default_rng(seed)

    def with_missing(values: np.ndarray, share: float) -> np.ndarray:
        values = values.astype(object)
        values[rng.random(rows) < share] = ""
        return values

    money = rng.uniform(0, 50_000, rows).round(2)
    days = rng.integers(0, 3650, rows)
    base = np.datetime64("2015-01-01")
    dates = base + days.astype("timedelta64[D]")
    stamps = np.datetime64("2015-01-01T00:00:00") + rng.integers(0, 300_000_000, rows).astype(
        "timedelta64[s]"
    )
    dmy = pd.to_datetime(dates).strftime("%d/%m/%Y").to_numpy()
    words = _WORDS[rng.integers(0, len(_WORDS), (rows, 4))]
    text = np.char.add(np.char.add(words[:, 0], " "), np.char.add(words[:, 1], " "))
    text = np.char.add(np.char.add(text, words[:, 2]), np.char.add(" ", words[:, 3]))
    return pd.DataFrame(
        {
            "id": np.arange(1, rows + 1),
            "qty": rng.integers(0, 1000, rows),
            "price": rng.uniform(0, 500, rows).round(2),
            "score": with_missing(rng.normal(50, 10, rows).round(3), 0.1),
            "revenue": [f"{v:,.2f}" for v in money],
            "cost_usd": [f"${v:,.2f}" for v in money / 3],
            "margin": [f"{v:.1f}%" for v in rng.uniform(0, 100, rows)],
            "segment": rng.choice(np.array(["retail", "wholesale", "online", "partner", "other"]), rows),
            "city": _CITIES[rng.integers(0, 50, rows)],
            "order_date": dates.astype(str),
            "ship_date": dmy,
            "updated_at": np.datetime_as_string(stamps, unit="s"),
            "active": rng.choice(np.array(["true", "false"]), rows),
            "returned": with_missing(rng.choice(np.array(["yes", "no"]), rows), 0.02),
            "comment": text,
            "sku": [f"SK-{v:05d}" for v in rng.integers(0, 99_999, rows)],
            "visits": with_missing(rng.integers(0, 500, rows), 0.05),
            "delta": rng.normal(0, 1e4, rows),
            "channel": with_missing(rng.choice(np.array(["email", "web", "store", "phone"]), rows), 0.2),
            "rating": rng.integers(1, 6, rows),
        }
    )


def write_csv(rows: int, folder: Path) -> Path:
    """Write the benchmark CSV in a child process, so this process stays small."""
    path = folder / f"bench_{rows}.csv"
    if not path.exists():
        code = (
            "import sys; sys.path.insert(0, sys.argv[3]); from bench.bench_ingest import make_frame; "
            "make_frame(int(sys.argv[1])).to_csv(sys.argv[2], index=False)"
        )
        subprocess.run([sys.executable, "-c", code, str(rows), str(path), str(ROOT)], check=True)
    return path


_CHILD = r"""
import json, resource, sys, time
which, path = sys.argv[1], sys.argv[2]
if which == "keel":
    from core.data.ingest import read_table
    cpu0 = time.process_time()
    start = time.perf_counter()
    table = read_table(path)
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu0
    frame = table.frame
    extra = {"converted": table.converted, "notes": list(table.notes)}
else:
    import pandas  # noqa: F401 - imported before timing, as read_table's module does
    import pyarrow.csv as pacsv
    cpu0 = time.process_time()
    start = time.perf_counter()
    frame = pacsv.read_csv(path).to_pandas()
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu0
    extra = {}
usage = resource.getrusage(resource.RUSAGE_SELF)
rss_kb = usage.ru_maxrss
try:  # VmHWM starts afresh at exec; ru_maxrss can carry the parent's peak over a fork
    with open("/proc/self/status") as fh:
        rss_kb = next(int(l.split()[1]) for l in fh if l.startswith("VmHWM:"))
except (OSError, StopIteration):
    pass
print(json.dumps({"seconds": elapsed, "cpu_seconds": cpu, "peak_mb": rss_kb / 1024, "shape": list(frame.shape),
                  "dtypes": {c: str(t) for c, t in frame.dtypes.items()}, **extra}))
"""


def measure(which: str, path: Path) -> dict:
    """Run one reader in a fresh interpreter so its peak RSS is its own."""
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, which, str(path)],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )
    return json.loads(out.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, action="append", help="rows to generate (repeatable)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per reader; the best is kept")
    parser.add_argument("--verbose", action="store_true", help="print dtypes and notes")
    args = parser.parse_args(argv)
    sizes = args.rows or [100_000, 1_000_000]
    with tempfile.TemporaryDirectory(prefix="keel_bench_") as tmp:
        for rows in sizes:
            path = write_csv(rows, Path(tmp))
            size_mb = path.stat().st_size / 1e6
            runs: dict[str, list[dict]] = {"keel": [], "arrow": []}
            for _ in range(args.repeat):  # interleaved, so both see the same machine load
                for which in runs:
                    runs[which].append(measure(which, path))
            ours = min(runs["keel"], key=lambda r: r["seconds"])
            raw = min(runs["arrow"], key=lambda r: r["seconds"])
            ours["cpu_seconds"] = min(r["cpu_seconds"] for r in runs["keel"])
            raw["cpu_seconds"] = min(r["cpu_seconds"] for r in runs["arrow"])
            ratio = ours["seconds"] / raw["seconds"]
            cpu_ratio = ours["cpu_seconds"] / raw["cpu_seconds"]
            print(f"{rows:>9,} rows x 20 cols ({size_mb:.0f} MB CSV), best of {args.repeat}")
            for label, r in (("read_table         ", ours), ("pyarrow read+pandas", raw)):
                print(
                    f"  {label}  wall {r['seconds']:6.2f} s   cpu {r['cpu_seconds']:6.2f} s   "
                    f"peak {r['peak_mb']:6.0f} MB"
                )
            print(f"  ratio                wall {ratio:6.2f}x   cpu {cpu_ratio:5.2f}x  (target: wall <= 1.5x)")
            if args.verbose:
                print("  dtypes:", json.dumps(ours["dtypes"]))
                print("  converted:", json.dumps(ours["converted"]))
                for note in ours["notes"]:
                    print("  note:", note)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Limits before reading: do hostile or huge files stay within time and memory?

Each case writes a real file into a temporary folder and runs ``python -m core profile FILE --json``
in a fresh subprocess (KEEL_HOME in the temporary folder), measuring wall time and the child's
peak resident memory (``os.wait4``'s rusage, so each child is measured on its own):

- tall CSV: 16M rows x 1 numeric column (~200 MB), profiled. Budget: <= 1.5 GB peak, like
  1M x 20 in bench_profile.py.
- tall text CSV (``--text``): 16M rows x 1 column of codes ('SKU-1234567', 7.5M distinct), profiled
  within the same budget.
- Parquet declaring 10^9 null rows (~1.6 MB): refused. Budget: exit 2 in < 2 s and < 300 MB.
- JSON Lines nested 20,000 deep (120 KB): refused. Budget: exit 2 (it used to crash, exit 139).

    .venv/bin/python bench/bench_ingest_limits.py              # full size
    .venv/bin/python bench/bench_ingest_limits.py --rows 1000000 --parquet-rows 200000000   # quick
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROFILE_BUDGET_BYTES = 1.5 * 1024**3
REFUSAL_BUDGET_S = 2.0
REFUSAL_BUDGET_BYTES = 300 * 1024**2


def write_tall_csv(path: Path, rows: int, text: bool = False, seed: int = 1) -> None:
    """One column of ``rows`` values, written in blocks (bounded memory)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    with open(path, "wb") as fh:
        fh.write(b"code\n" if text else b"value\n")
        block = 1_000_000
        for start in range(0, rows, block):
            n = min(block, rows - start)
            if text:
                values = np.char.add("SKU-", rng.integers(10**6, 10**7, n).astype(str))
            else:
                values = np.char.add(np.char.add(rng.integers(0, 10**9, n).astype(str), "."),
                                     np.char.zfill(rng.integers(0, 100, n).astype(str), 2))
            fh.write(("\n".join(values.tolist()) + "\n").encode())


def write_null_parquet(path: Path, rows: int) -> None:
    """A Parquet file declaring ``rows`` rows of one all-missing column: a null-typed array holds
    no buffers, and the writer encodes it as runs of 'missing', so this takes seconds, not memory."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"x": pa.nulls(rows)}), path, row_group_size=rows)


def write_deep_jsonl(path: Path, depth: int) -> None:
    path.write_bytes(('{"a":' * depth + "1" + "}" * depth + "\n").encode())


_TIME = Path("/usr/bin/time")


def run_cli(path: Path, home: Path) -> dict:
    """``python -m core profile PATH --json`` in a fresh process: exit code, seconds, peak bytes.

    The peak comes from GNU time (``%M``) when it is installed: a child forked straight from this
    (large) process inherits its resident size in ``ru_maxrss`` until it execs, so ``os.wait4``
    alone over-reports small children. Without GNU time, ``os.wait4`` is the fallback.
    """
    env = {**os.environ, "KEEL_HOME": str(home), "HOME": str(home)}
    command = [sys.executable, "-m", "core", "profile", str(path), "--json"]
    if _TIME.exists():
        command = [str(_TIME), "-f", "KEEL_PEAK_KB=%M", *command]
    out_path, err_path = home / "stdout.txt", home / "stderr.txt"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=err)
        _pid, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
    stderr = err_path.read_text(errors="replace")
    peak = usage.ru_maxrss * 1024  # Linux reports kilobytes
    lines = stderr.splitlines()
    if lines and lines[-1].startswith("KEEL_PEAK_KB="):
        peak = int(lines[-1].split("=")[1]) * 1024
        stderr = "\n".join(line for line in lines[:-1] if not line.startswith("Command exited"))
    return {"rc": os.waitstatus_to_exitcode(status), "s": seconds, "peak": peak,
            "stdout": out_path.read_text(errors="replace"), "stderr": stderr}


def report(title: str, result: dict, *, within: bool | None) -> bool:
    verdict = "" if within is None else ("  budget met" if within else "  budget NOT met")
    print(f"{title}: exit {result['rc']}, {result['s']:.2f} s, peak {result['peak'] / 2**20:,.0f} MB{verdict}")
    lines = (result["stderr"].strip() or result["stdout"][:200]).splitlines()
    for line in lines[:2]:
        print(f"    {line[:160]}")
    return within is not False


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=16_000_000, help="rows of the tall CSV")
    parser.add_argument("--parquet-rows", type=int, default=1_000_000_000)
    parser.add_argument("--depth", type=int, default=20_000)
    parser.add_argument("--text", action="store_true", help="also profile a tall CSV of text codes")
    args = parser.parse_args(argv)
    ok = True
    with tempfile.TemporaryDirectory(prefix="keel-bench-limits-") as tmp:
        folder = Path(tmp)
        home = folder / "home"
        home.mkdir()

        path = folder / "tall.csv"
        t0 = time.perf_counter()
        write_tall_csv(path, args.rows)
        print(f"tall CSV: {args.rows:,} rows x 1 column, {path.stat().st_size / 1e6:,.0f} MB "
              f"(written in {time.perf_counter() - t0:.1f} s)")
        result = run_cli(path, home)
        ok &= report("  profile", result, within=result["rc"] == 0 and result["peak"] <= PROFILE_BUDGET_BYTES)
        path.unlink()

        if args.text:
            path = folder / "tall_text.csv"
            write_tall_csv(path, args.rows, text=True)
            print(f"tall text CSV: {args.rows:,} rows x 1 column, {path.stat().st_size / 1e6:,.0f} MB")
            result = run_cli(path, home)
            ok &= report("  profile", result, within=result["rc"] == 0 and result["peak"] <= PROFILE_BUDGET_BYTES)
            path.unlink()

        path = folder / "nulls.parquet"
        t0 = time.perf_counter()
        write_null_parquet(path, args.parquet_rows)
        print(f"Parquet declaring {args.parquet_rows:,} null rows: {path.stat().st_size / 1e6:,.1f} MB "
              f"(written in {time.perf_counter() - t0:.1f} s)")
        result = run_cli(path, home)
        ok &= report("  refusal", result, within=result["rc"] == 2 and result["s"] <= REFUSAL_BUDGET_S
                     and result["peak"] <= REFUSAL_BUDGET_BYTES)

        path = folder / "deep.jsonl"
        write_deep_jsonl(path, args.depth)
        print(f"JSON Lines nested {args.depth:,} deep: {path.stat().st_size / 1e3:,.0f} KB")
        result = run_cli(path, home)
        ok &= report("  refusal", result, within=result["rc"] == 2 and "hint:" in result["stderr"])
    return 0 if ok else 3


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

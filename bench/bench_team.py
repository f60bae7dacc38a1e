"""Benchmark: the store on PostgreSQL next to SQLite, at a team's size (issue 18).

    .venv/bin/python bench/bench_team.py                    # 1,000 models x 100 batches each, 10 users
    .venv/bin/python bench/bench_team.py --models 100 --batches 10 --users 4   # a quick look

For each backend (SQLite in a temporary KEEL_HOME; PostgreSQL started on loopback from Debian's packages, as
the tests do, or the admin URL in ``KEEL_TEST_POSTGRES_URL``) it fills the store through Keel's own store
functions (``models`` models, then ``batches`` monitored batches per model, one transaction per model), then
times, over 50 calls each (20 for the registry), what the pages and commands do against it:

* the registry (the Models page and ``models``), resolving ``name@champion`` (every predict and monitor),
  one model's batch history (the Monitor page's timeline), the audit log's last 200 events, and a write
  (recording a batch);
* ``python -m core models --json`` end to end (a new process: Python start, connect, migrate check, list);
* ``--users`` processes at once, each looping for ``--seconds`` over a page's worth of reads and one write
  in ten: operations per second and the latency each user saw (p50/p95).

Numbers are medians and 95th percentiles in milliseconds.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _ms(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return statistics.median(ordered) * 1000, p95 * 1000


def _time(call: Callable[[], object], repeat: int = 50) -> tuple[float, float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return _ms(samples)


def _fill(models: int, batches: int) -> float:
    from core import store
    from core.store.db import audit_event, insert_row, transaction, utc_now

    started = time.perf_counter()
    result = {"action": "none", "drift": {"share": 0.1}, "metrics": {"accuracy": 0.9}}
    for m in range(models):
        info = store.save_model(
            b"model bytes",
            name=f"model-{m:04d}",
            task="classification",
            algorithm="logistic_regression",
            dataset_id=None,
            target="y",
            metrics={"roc_auc": 0.8},
            params={},
            schema={},
        )
        with transaction() as db:  # a model's history in one transaction: filling is not what is measured
            for _ in range(batches):
                batch_id = insert_row(
                    db,
                    "batches",
                    {"model_id": info.id, "created_at": utc_now(), "rows": 1000, "dataset_id": None,
                     "result_json": json.dumps(result)},
                )  # fmt: skip
                audit_event(db, "monitor", "batch", batch_id, model_id=info.id, rows=1000)
    return time.perf_counter() - started


def _page_work(model_name: str, write: bool) -> None:
    from core import store

    store.list_models()
    info = store.resolve_model(f"{model_name}@champion")
    store.list_batches(info.id)
    store.audit_log(limit=200)
    if write:
        store.save_batch(info.id, 1000, {"action": "none"})


def _user(env: dict[str, str], models: int, seconds: float, seed: int, out: mp.Queue) -> None:
    os.environ.update(env)
    import random

    rng = random.Random(seed)
    samples, count = [], 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        start = time.perf_counter()
        _page_work(f"model-{rng.randrange(models):04d}", write=count % 10 == 9)
        samples.append(time.perf_counter() - start)
        count += 1
    out.put(samples)


def _concurrent(env: dict[str, str], models: int, users: int, seconds: float) -> tuple[float, float, float]:
    ctx = mp.get_context("spawn")
    queue: mp.Queue = ctx.Queue()
    procs = [ctx.Process(target=_user, args=(env, models, seconds, i, queue)) for i in range(users)]
    for p in procs:
        p.start()
    samples: list[float] = []
    for _ in procs:
        samples.extend(queue.get(timeout=seconds + 120))
    for p in procs:
        p.join(30)
    p50, p95 = _ms(samples)
    return len(samples) / seconds, p50, p95


@contextlib.contextmanager
def _backend(kind: str) -> Iterator[dict[str, str]]:
    with tempfile.TemporaryDirectory(prefix="keel_bench_team_") as tmp:
        env = {"KEEL_HOME": str(Path(tmp) / "keel_home")}
        if kind == "sqlite":
            env["KEEL_DATABASE_URL"] = ""
            yield env
            return
        from tests.pg import database, start_server

        server = start_server()
        if isinstance(server, str):
            raise SystemExit(f"PostgreSQL could not be started: {server}")
        try:
            with database(server) as url:
                env["KEEL_DATABASE_URL"] = url
                yield env
        finally:
            with contextlib.suppress(Exception):
                server.stop()  # type: ignore[attr-defined]


def run(kind: str, models: int, batches: int, users: int, seconds: float) -> dict[str, object]:
    with _backend(kind) as env:
        os.environ.update(env)
        if not env.get("KEEL_DATABASE_URL"):
            os.environ.pop("KEEL_DATABASE_URL", None)
        from core import store

        fill_s = _fill(models, batches)
        name = f"model-{models // 2:04d}"
        info = store.resolve_model(f"{name}@champion")
        report: dict[str, object] = {
            "backend": kind,
            "fill_seconds": round(fill_s, 1),
            "registry_ms": _time(store.list_models, 20),
            "resolve_champion_ms": _time(lambda: store.resolve_model(f"{name}@champion")),
            "batch_history_ms": _time(lambda: store.list_batches(info.id)),
            "audit_200_ms": _time(lambda: store.audit_log(limit=200)),
            "record_batch_ms": _time(lambda: store.save_batch(info.id, 1000, {"action": "none"})),
        }
        cli = []
        for _ in range(5):
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "core", "models", "--json"],
                cwd=ROOT,
                env={**os.environ, **env},
                check=True,
                capture_output=True,
            )
            cli.append(time.perf_counter() - start)
        report["cli_models_ms"] = _ms(cli)
        ops, p50, p95 = _concurrent({k: v for k, v in env.items() if v}, models, users, seconds)
        report[f"{users}_users"] = {"page_loads_per_second": round(ops, 1), "p50_ms": p50, "p95_ms": p95}
        return report


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", type=int, default=1000)
    ap.add_argument("--batches", type=int, default=100, help="monitored batches per model")
    ap.add_argument("--users", type=int, default=10)
    ap.add_argument("--seconds", type=float, default=20.0, help="how long the users keep working")
    ap.add_argument("--only", choices=("sqlite", "postgres"))
    ap.add_argument("--json", type=Path, help="also write the reports here")
    args = ap.parse_args()
    reports = []
    for kind in [args.only] if args.only else ["sqlite", "postgres"]:
        report = run(kind, args.models, args.batches, args.users, args.seconds)
        reports.append(report)
        print(f"\n== {kind}: {args.models:,} models x {args.batches} batches")
        for key, value in report.items():
            if isinstance(value, tuple):
                print(f"  {key:<28} median {value[0]:8.1f} ms   p95 {value[1]:8.1f} ms")
            elif key != "backend":
                print(f"  {key:<28} {value}")
    if args.json:
        args.json.write_text(json.dumps(reports, indent=2))


if __name__ == "__main__":
    main()

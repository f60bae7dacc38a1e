"""Concurrency: N writer processes × M writes against one store, with readers running beside them.

Each writer does M real store writes, rotating through: an upload (``save_dataset`` of a small
unique table), a new version of one shared model name (``save_model``), and a monitored batch
(``save_batch``). Readers list and load (hash-checked) datasets, models and batches the whole
time. Afterwards the parent checks: 0 lost writes (every acknowledged id is stored with its
content), 0 errors of any kind in writers or readers (a "database is locked" would count), the
shared model's version numbers are exactly 1..K for its K saves, and the integrity check. With
KEEL_DATABASE_URL set the store's database is that PostgreSQL server's.

    .venv/bin/python bench/bench_concurrency.py --writers 8 --writes 500 --readers 2
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED_MODEL = "shared"
MONITORED_MODEL = "monitored"
WRITE_KINDS = ("dataset", "model", "batch")


# ============================================================================ workers


def _wait_for(path: Path) -> None:
    while not path.exists():
        time.sleep(0.005)


def writer(home: Path, index: int, writes: int, go: Path, out: Path) -> None:
    import pandas as pd

    from core import store

    rng = random.Random(index)
    monitored = store.resolve_model(MONITORED_MODEL, home=home).id
    print("READY", flush=True)
    _wait_for(go)
    done: list[dict[str, Any]] = []
    errors: list[str] = []
    for i in range(writes):
        kind = WRITE_KINDS[(i + index) % len(WRITE_KINDS)]
        try:
            if kind == "dataset":
                frame = pd.DataFrame({"writer": [index] * 200, "i": [i] * 200, "x": [rng.random() for _ in range(200)]})
                started = time.perf_counter()
                info = store.save_dataset(frame, f"w{index}-{i}", original_name=f"w{index}-{i}.csv", home=home)
                latency = time.perf_counter() - started
                done.append({"kind": kind, "id": info.id, "sha": info.sha256, "latency": latency})
            elif kind == "model":
                artifact = rng.randbytes(rng.randint(2_000, 50_000))
                started = time.perf_counter()
                model = store.save_model(artifact, name=SHARED_MODEL, task="regression", algorithm="bench",
                                         dataset_id=None, target="y", metrics={"mae": rng.random()},
                                         params={"writer": index, "i": i}, schema={}, home=home)
                latency = time.perf_counter() - started
                done.append({"kind": kind, "id": model.id, "sha": model.artifact_sha256, "version": model.version,
                             "latency": latency})
            else:
                result = {"writer": index, "i": i, "action": "none"}
                started = time.perf_counter()
                batch_id = store.save_batch(monitored, 100, result, home=home)
                latency = time.perf_counter() - started
                done.append({"kind": kind, "id": batch_id, "sha": _result_sha(result), "latency": latency})
        except Exception as exc:  # noqa: BLE001 - every error counts against the store
            errors.append(f"writer {index} write {i} ({kind}): {type(exc).__name__}: {exc}")
    out.write_text(json.dumps({"done": done, "errors": errors}))


def reader(home: Path, index: int, go: Path, stop: Path, out: Path) -> None:
    from core import store

    rng = random.Random(1000 + index)
    monitored = store.resolve_model(MONITORED_MODEL, home=home).id
    print("READY", flush=True)
    _wait_for(go)
    ops: Counter = Counter()
    errors: list[str] = []
    while not stop.exists():
        try:
            datasets = store.list_datasets(home=home)
            ops["list_datasets"] += 1
            if datasets:
                info = rng.choice(datasets)
                frame = store.load_dataset(info.id, home=home)
                if len(frame) != info.rows:
                    errors.append(f"reader {index}: dataset {info.id} has {len(frame)} rows, listed {info.rows}")
                ops["load_dataset"] += 1
            models = store.list_models(home=home)
            ops["list_models"] += 1
            model = rng.choice(models)
            payload = store.load_model_artifact(model.id, home=home)
            if len(payload) != model.artifact_bytes:
                errors.append(f"reader {index}: model {model.id} artifact has {len(payload)} bytes")
            ops["load_model"] += 1
            store.list_batches(monitored, home=home)
            ops["list_batches"] += 1
        except Exception as exc:  # noqa: BLE001
            errors.append(f"reader {index}: {type(exc).__name__}: {exc}")
    out.write_text(json.dumps({"ops": ops, "errors": errors}))


def _result_sha(result: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(result, sort_keys=True).encode()).hexdigest()


# ============================================================================ parent


@dataclass
class ConcurrencyReport:
    writers: int
    writes_per_writer: int
    readers: int
    writes_done: int = 0
    seconds: float = 0.0
    writes_per_s: float = 0.0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    max_ms: float = 0.0
    p95_ms_by_kind: dict[str, float] = field(default_factory=dict)
    model_versions: int = 0
    reader_ops: int = 0
    lost: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.writers} writers × {self.writes_per_writer} writes + {self.readers} readers: "
            f"{self.writes_done} writes in {self.seconds:.1f} s = {self.writes_per_s:.0f} writes/s; latency "
            f"p50 {self.p50_ms:.1f} ms, p95 {self.p95_ms:.1f} ms, max {self.max_ms:.0f} ms; p95 by kind "
            f"{ {k: round(v, 1) for k, v in self.p95_ms_by_kind.items()} }; model versions 1..{self.model_versions}; "
            f"reader operations {self.reader_ops}; lost {len(self.lost)}, errors {len(self.errors)}, "
            f"other problems {len(self.problems)}"
        )


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def run_concurrency(home: Path, writers: int, writes: int, readers: int = 2, *, timeout: float = 900) -> ConcurrencyReport:
    """Run the writers and readers as separate processes on the store in ``home``; check the result."""
    from core import store

    home = Path(home)
    home.mkdir(parents=True, exist_ok=True)
    report = ConcurrencyReport(writers, writes, readers)
    store.save_model(b"monitored model bytes", name=MONITORED_MODEL, task="regression", algorithm="bench",
                     dataset_id=None, target="y", metrics={}, params={}, schema={}, home=home)
    scratch = Path(tempfile.mkdtemp(prefix="keel-conc-"))
    go, stop = scratch / "go", scratch / "stop"
    env = {**os.environ, "KEEL_HOME": str(home), "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"}
    procs: list[tuple[str, subprocess.Popen, Path]] = []
    for i in range(writers):
        out = scratch / f"writer{i}.json"
        procs.append(("writer", subprocess.Popen(
            [sys.executable, __file__, "--writer", str(home), str(i), str(writes), str(go), str(out)],
            stdout=subprocess.PIPE, text=True, cwd=ROOT, env=env), out))
    for i in range(readers):
        out = scratch / f"reader{i}.json"
        procs.append(("reader", subprocess.Popen(
            [sys.executable, __file__, "--reader", str(home), str(i), str(go), str(stop), str(out)],
            stdout=subprocess.PIPE, text=True, cwd=ROOT, env=env), out))
    try:
        for role, proc, _ in procs:
            line = proc.stdout.readline().strip()
            if line != "READY":
                raise RuntimeError(f"a {role} did not start (exit {proc.poll()})")
        started = time.monotonic()
        go.touch()
        for role, proc, _ in procs:
            if role == "writer":
                proc.wait(timeout=timeout)
        report.seconds = time.monotonic() - started
        stop.touch()
        for role, proc, _ in procs:
            if role == "reader":
                proc.wait(timeout=120)
    finally:
        for _, proc, _ in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    done: list[dict[str, Any]] = []
    for role, proc, out in procs:
        if proc.returncode != 0 or not out.exists():
            report.errors.append(f"a {role} process exited with {proc.returncode}")
            continue
        data = json.loads(out.read_text())
        report.errors += data["errors"]
        if role == "writer":
            done += data["done"]
        else:
            report.reader_ops += sum(data["ops"].values())
    _verify(home, done, report)
    latencies = [d["latency"] * 1000 for d in done]
    report.writes_done = len(done)
    report.writes_per_s = len(done) / report.seconds if report.seconds else 0.0
    report.p50_ms, report.p95_ms = _percentile(latencies, 0.5), _percentile(latencies, 0.95)
    report.max_ms = max(latencies, default=0.0)
    for kind in WRITE_KINDS:
        report.p95_ms_by_kind[kind] = _percentile([d["latency"] * 1000 for d in done if d["kind"] == kind], 0.95)
    return report


def _verify(home: Path, done: list[dict[str, Any]], report: ConcurrencyReport) -> None:
    from core import store

    if store.integrity_check(home) != "ok":
        report.problems.append("the database's integrity check is not ok")
    with store.connect(home) as db:  # SQLite, or PostgreSQL when KEEL_DATABASE_URL is set
        datasets = {r[0]: r[1] for r in db.execute("SELECT id, sha256 FROM datasets")}
        models = {r[0]: (r[1], r[2], r[3]) for r in db.execute("SELECT id, name, version, artifact_sha256 FROM models")}
        batches = {r[0]: r[1] for r in db.execute("SELECT id, result_json FROM batches")}
    for d in done:
        if d["kind"] == "dataset" and datasets.get(d["id"]) != d["sha"]:
            report.lost.append(f"dataset {d['id']}")
        elif d["kind"] == "model" and models.get(d["id"]) != (SHARED_MODEL, d["version"], d["sha"]):
            report.lost.append(f"model {d['id']}")
        elif d["kind"] == "batch" and (d["id"] not in batches or _result_sha(json.loads(batches[d["id"]])) != d["sha"]):
            report.lost.append(f"batch {d['id']}")
    versions = sorted(v for name, v, _ in models.values() if name == SHARED_MODEL)
    acked_versions = sorted(d["version"] for d in done if d["kind"] == "model")
    report.model_versions = len(versions)
    if versions != list(range(1, len(versions) + 1)) or acked_versions != versions:
        report.problems.append(f"shared model versions are not 1..{len(versions)} each given once")
    for d in done:  # every acknowledged dataset and model still loads through its hash check
        try:
            if d["kind"] == "dataset":
                store.load_dataset(d["id"], home=home)
            elif d["kind"] == "model":
                store.load_model_artifact(d["id"], home=home)
        except Exception as exc:  # noqa: BLE001
            report.problems.append(f"{d['kind']} {d['id']} does not load: {type(exc).__name__}: {exc}")
    expected = report.writers * report.writes_per_writer
    if len(done) + len([e for e in report.errors if e.startswith("writer ")]) != expected:
        report.problems.append(f"{len(done)} writes acknowledged of {expected} attempted")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--writes", type=int, default=500)
    parser.add_argument("--readers", type=int, default=2)
    parser.add_argument("--home", default=None, help="store folder (default: a new temp folder)")
    parser.add_argument("--writer", nargs=5, help=argparse.SUPPRESS)
    parser.add_argument("--reader", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.writer:
        home, index, writes, go, out = args.writer
        writer(Path(home), int(index), int(writes), Path(go), Path(out))
        return 0
    if args.reader:
        home, index, go, stop, out = args.reader
        reader(Path(home), int(index), Path(go), Path(stop), Path(out))
        return 0
    home = Path(args.home or tempfile.mkdtemp(prefix="keel-conc-home-"))
    report = run_concurrency(home, args.writers, args.writes, args.readers)
    print(report.summary())
    for line in (report.lost + report.errors + report.problems)[:30]:
        print("PROBLEM:", line)
    return 1 if report.lost or report.errors or report.problems else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())

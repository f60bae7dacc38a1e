"""Crash-safety harness: SIGKILL a process doing real Keel writes, then prove the store held.

A child process runs a loop of real writes against ``KEEL_HOME``:

* ``dataset``   — a few-thousand-row CSV parsed by ``core.ingest.read_table`` and kept with
  ``core.store.save_dataset``;
* ``model``     — ``core.store.save_model`` of real artifact bytes (20 kB – 2 MB), two model names
  so version numbers are contended across crashes;
* ``batch``     — ``core.store.save_batch`` of a monitoring result for an existing model;
* ``migration`` — the first connect on an empty store folder (schema created by the migrations).

A second loop (:func:`run_restore_crashes`) kills ``restore``: each time a copy of a store whose
database is healthy, empty, missing or damaged in one of several ways is first opened (which must
refuse a damaged one and change nothing) and then restored from a backup. After each kill the
store is either untouched (every file still there, byte for byte) or completely restored, and a
restore run afterwards always ends with ``check`` passing.

It prints ``BEGIN <kind>`` before each write and ``ACK <kind> <id> <sha> <json>`` (flushed) after
the store acknowledged it. The parent kills it with SIGKILL at a random (seeded) moment, reopens
the store and checks: ``PRAGMA integrity_check`` is ``ok``; every acknowledged object is present
and loads through its hash check; no row points at a missing or damaged file; every killed
migration completes when the store is reopened; after ``quarantine_orphans`` no temp file or
unreferenced file is left outside ``quarantine/``; ``check`` passes; model and dataset version
numbers are distinct with no gaps.

Children are forked from a "zygote" process that has already imported pandas/pyarrow/Keel, so
a kill point costs the write loop's time, not a 1–2 s interpreter start (``mode="spawn"`` starts
a fresh interpreter per kill point instead).

    .venv/bin/python bench/crash_harness.py --kill-points 200
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import random
import select
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
KINDS = ("dataset", "model", "batch", "migration")
ALLOWED_IN_HOME = {"keel.db", "keel.db-wal", "keel.db-shm", "datasets", "models", "logs", "secret.key", ".migrate.lock",
                   "quarantine", "install.key"}
DAMAGES = ("healthy", "empty", "missing", "bytes flipped", "half truncated", "header overwritten")
MODEL_NAMES = ("churn", "price")


# ============================================================================ child side


def _csv_bytes(rng: random.Random, rows: int, tag: str) -> bytes:
    cities = ["Lyon", "Oslo", "Kyoto", "Lima", "Perth", "Accra", "Quito"]
    out = ["order_id,city,amount,ordered_on,returned,note"]
    for i in range(rows):
        out.append(
            f"{tag}-{i},{rng.choice(cities)},{rng.uniform(1, 900):.2f},"
            f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d},{rng.choice(['yes', 'no'])},"
            f"\"note {rng.randint(0, 10**6)}, {tag}\""
        )
    return ("\n".join(out) + "\n").encode()


def _ack(kind: str, object_id: Any, sha: str, **extra: Any) -> None:
    sys.stdout.write(f"ACK {kind} {object_id} {sha} {json.dumps(extra, sort_keys=True)}\n")
    sys.stdout.flush()


def result_sha(result: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(result, sort_keys=True).encode()).hexdigest()


def child_loop(home: Path, fresh_root: Path, seed: int, focus: str) -> None:
    """Write forever (until killed). ``focus`` is the kind done most of the time."""
    from core import store
    from core.data.ingest import read_table

    rng = random.Random(seed)
    sys.stdout.write("READY\n")
    sys.stdout.flush()
    n = 0
    while True:
        n += 1
        kind = focus if rng.random() < 0.75 else rng.choice(KINDS)
        if kind == "batch" and not store.list_models(home=home):
            kind = "model"
        sys.stdout.write(f"BEGIN {kind}\n")
        sys.stdout.flush()
        tag = f"{seed}-{n}"
        if kind == "dataset":
            data = _csv_bytes(rng, rng.randint(2000, 5000), tag)
            table = read_table(data, name=f"upload-{tag}.csv")
            info = store.save_dataset(
                table.frame, f"crash {tag}", original_name=f"upload-{tag}.csv", source_format=table.format,
                size_bytes=table.size_bytes, notes=table.notes, home=home,
            )
            _ack("dataset", info.id, info.sha256, rows=info.rows, new=info.is_new)
        elif kind == "model":
            artifact = rng.randbytes(rng.randint(20_000, 2_000_000))
            model = store.save_model(
                artifact, name=rng.choice(MODEL_NAMES), task="classification", algorithm="crash_test",
                dataset_id=None, target="returned", metrics={"accuracy": rng.random()}, params={"seed": seed},
                schema={"columns": ["city", "amount"]}, home=home,
            )
            _ack("model", model.id, model.artifact_sha256, name=model.name, version=model.version)
        elif kind == "batch":
            model_id = rng.choice(store.list_models(home=home)).id
            result = {"tag": tag, "drift": {"drift_share": rng.random()}, "action": rng.choice(["none", "review"])}
            batch_id = store.save_batch(model_id, rng.randint(1, 10_000), result, home=home)
            _ack("batch", batch_id, result_sha(result), model_id=model_id)
        else:
            fresh = fresh_root / tag
            fresh.mkdir(parents=True)
            with fresh_database(tag, create=True):
                names = store.schema_version(home=fresh)
            _ack("migration", tag, hashlib.sha256("\n".join(names).encode()).hexdigest(), home=str(fresh),
                 names=names)


PG_ADMIN_ENV = "KEEL_CRASH_PG_ADMIN"  # set (an admin URL): the store runs on that PostgreSQL server


def _fresh_database_name(tag: str) -> str:
    return "keel_mig_" + "".join(ch if ch.isalnum() else "_" for ch in tag)


@contextlib.contextmanager
def fresh_database(tag: str, create: bool = False):
    """On PostgreSQL, point the store at a new database for a 'migration' write (one per fresh store);
    on SQLite nothing changes (the fresh folder holds its own keel.db). Yields False when, on PostgreSQL,
    the database was never created (a kill before it), so there is nothing to check."""
    admin = os.environ.get(PG_ADMIN_ENV)
    if not admin:
        yield True
        return
    import psycopg

    from core import store

    name = _fresh_database_name(tag)
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None
        if create and not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
            exists = True
    saved = os.environ.get("KEEL_DATABASE_URL")
    os.environ["KEEL_DATABASE_URL"] = admin.rsplit("/", 1)[0] + "/" + name
    store.forget_checked()
    try:
        yield exists
    finally:
        if saved is None:
            os.environ.pop("KEEL_DATABASE_URL", None)
        else:
            os.environ["KEEL_DATABASE_URL"] = saved
        store.forget_checked()


def restore_child(home: Path, backup: Path) -> None:
    """Open a (possibly damaged) store the way every command does, then restore it from ``backup``."""
    from core import store
    from core.errors import KeelError

    sys.stdout.write("READY\n")
    sys.stdout.flush()
    sys.stdout.write("BEGIN open\n")
    sys.stdout.flush()
    try:
        store.list_models(home=home)
        opened = "ok"
    except KeelError as exc:  # a damaged store is refused, with the restore command
        opened = "refused" if "restore" in exc.hint else f"wrong hint: {exc.hint}"
    _ack("open", 0, opened)
    sys.stdout.write("BEGIN restore\n")
    sys.stdout.flush()
    report = store.restore(backup, home=home, trust=True)
    _ack("restore", 0, "done", models=report.models, datasets=report.datasets)
    while True:  # wait for the kill, which always comes
        time.sleep(1)


def _zygote() -> None:
    """Import everything once, then fork one writer child per request read from stdin."""
    import core.data.ingest  # noqa: F401
    import core.store  # noqa: F401

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped automatically
    sys.stdout.write("ZYGOTE READY\n")
    sys.stdout.flush()
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:  # the writer child
            code = 0
            try:
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                sock.connect(request["socket"])
                os.dup2(sock.fileno(), 1)
                devnull = os.open(os.devnull, os.O_RDONLY)
                os.dup2(devnull, 0)
                sys.stdout = open(1, "w", buffering=1, closefd=False)
                if request.get("job") == "restore":
                    restore_child(Path(request["home"]), Path(request["backup"]))
                else:
                    child_loop(Path(request["home"]), Path(request["fresh"]), request["seed"], request["focus"])
            except BaseException:  # noqa: BLE001 - report and die; the parent sees no ACK
                import traceback

                traceback.print_exc(file=sys.stderr)
                code = 1
            finally:
                os._exit(code)
        sys.stdout.write(f"{pid}\n")
        sys.stdout.flush()


# ============================================================================ parent side


@dataclass
class CrashReport:
    kill_points: int = 0
    killed_during: Counter = field(default_factory=Counter)  # the write in flight when killed
    acked: Counter = field(default_factory=Counter)
    temp_files_swept: int = 0  # partial files a kill left behind (removed by quarantine_orphans)
    orphans_swept: int = 0  # complete files whose row never committed
    migrations_completed_on_reopen: int = 0
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    verifier: Any = field(default=None, repr=False)  # re-run the checks after a test tampers with the store

    def summary(self) -> str:
        return (
            f"{self.kill_points} kill points in {self.seconds:.1f} s; killed during: "
            f"{dict(sorted(self.killed_during.items()))}; acknowledged writes: {dict(sorted(self.acked.items()))} "
            f"(total {sum(self.acked.values())}); temp files left by kills: {self.temp_files_swept}; "
            f"orphan files: {self.orphans_swept}; killed migrations completed on reopen: "
            f"{self.migrations_completed_on_reopen}; problems: {len(self.problems)}"
        )


class _Lines:
    """Line reader over a raw fd with a deadline (the child's ACK stream)."""

    def __init__(self, fd: int) -> None:
        self.fd, self.buffer, self.eof = fd, b"", False

    def read(self, until: float, stop_at_ready: bool = False) -> list[str]:
        lines: list[str] = []
        while not self.eof:
            timeout = until - time.monotonic()
            if timeout <= 0:
                break
            ready, _, _ = select.select([self.fd], [], [], timeout)
            if not ready:
                break
            chunk = os.read(self.fd, 65536)
            if not chunk:
                self.eof = True
                break
            self.buffer += chunk
            *complete, self.buffer = self.buffer.split(b"\n")
            lines += [c.decode() for c in complete]
            if stop_at_ready and "READY" in lines:
                break
        return lines


class _Launcher:
    def __init__(self, workdir: Path, mode: str) -> None:
        self.mode = mode
        self.env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
        if mode == "zygote":
            self.sock_path = str(workdir / "ack.sock")
            self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.server.bind(self.sock_path)
            self.server.listen(4)
            self.server.settimeout(120)
            self.zygote = subprocess.Popen(
                [sys.executable, __file__, "--zygote"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                cwd=ROOT, env=self.env, text=True, bufsize=1,
            )
            line = self.zygote.stdout.readline()
            if line.strip() != "ZYGOTE READY":
                raise RuntimeError(f"zygote did not start: {line!r}")

    def start(self, home: Path, fresh: Path, seed: int, focus: str, **extra: str) -> tuple[int, int, Any]:
        """Start a writer child; return (pid, fd of its ACK stream, handle to close)."""
        if self.mode == "zygote":
            request = {"home": str(home), "fresh": str(fresh), "seed": seed, "focus": focus, "socket": self.sock_path,
                       **extra}
            self.zygote.stdin.write(json.dumps(request) + "\n")
            self.zygote.stdin.flush()
            pid = int(self.zygote.stdout.readline())
            conn, _ = self.server.accept()
            return pid, conn.fileno(), conn
        proc = subprocess.Popen(
            [sys.executable, __file__, "--child", str(home), str(fresh), str(seed), focus],
            stdout=subprocess.PIPE, cwd=ROOT, env={**self.env, "KEEL_HOME": str(home)},
        )
        return proc.pid, proc.stdout.fileno(), proc

    def finish(self, handle: Any) -> None:
        if isinstance(handle, subprocess.Popen):
            handle.wait(timeout=30)
            handle.stdout.close()
        else:
            handle.close()

    def close(self) -> None:
        if self.mode == "zygote":
            self.zygote.stdin.close()
            self.zygote.wait(timeout=30)
            self.server.close()


def _pid_gone(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                if fh.read().split(") ")[-1].startswith("Z"):
                    return True  # a zombie holds no files
        except (FileNotFoundError, ProcessLookupError):  # gone (even between open and read)
            return True
        time.sleep(0.005)
    return False


def _file_sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Verifier:
    """Everything the parent knows was acknowledged, and the checks run after each kill."""

    def __init__(self, home: Path, fresh_root: Path, report: CrashReport) -> None:
        self.home, self.fresh_root, self.report = home, fresh_root, report
        self.acks: dict[str, dict[str, tuple[str, dict]]] = {k: {} for k in KINDS}
        self.verified_files: set[str] = set()
        self.checked_fresh: set[str] = set()

    def problem(self, text: str) -> None:
        self.report.problems.append(text)

    def add(self, line: str) -> None:
        _, kind, object_id, sha, extra = line.split(" ", 4)
        self.acks[kind][object_id] = (sha, json.loads(extra))
        self.report.acked[kind] += 1

    def check(self, new_acks: list[str], kill: int) -> None:
        from core import store

        where = f"kill {kill}"
        full = full_schema()
        if store.integrity_check(self.home) != "ok":
            self.problem(f"{where}: PRAGMA integrity_check is not ok")
        with store.connect(self.home) as db:  # SQLite or PostgreSQL, as the store runs
            datasets = {str(r[0]): r[1:] for r in db.execute("SELECT id, sha256, rows, family_id, version FROM datasets")}
            models = {str(r[0]): r[1:] for r in db.execute("SELECT id, artifact_sha256, name, version FROM models")}
            batches = {str(r[0]): r[1:] for r in db.execute("SELECT id, model_id, result_json FROM batches")}
            dup_models = db.execute("SELECT name, version FROM models GROUP BY name, version HAVING COUNT(*) > 1").fetchall()
            dup_data = db.execute(
                "SELECT family_id, version FROM datasets GROUP BY family_id, version HAVING COUNT(*) > 1").fetchall()
            gaps = db.execute("SELECT name FROM models GROUP BY name HAVING MAX(version) != COUNT(*)").fetchall()
        if dup_models or dup_data or gaps:
            self.problem(f"{where}: version numbers not distinct/consecutive: {dup_models} {dup_data} {gaps}")
        # every acknowledged object is still there (from this and every earlier kill)
        for object_id, (sha, _) in self.acks["dataset"].items():
            if object_id not in datasets or datasets[object_id][0] != sha:
                self.problem(f"{where}: acknowledged dataset {object_id} lost or changed")
        for object_id, (sha, extra) in self.acks["model"].items():
            if object_id not in models or models[object_id][0] != sha or models[object_id][1:] != (
                    extra["name"], extra["version"]):
                self.problem(f"{where}: acknowledged model {object_id} lost or changed")
        for object_id, (sha, extra) in self.acks["batch"].items():
            row = batches.get(object_id)
            if row is None or row[0] != extra["model_id"] or result_sha(json.loads(row[1])) != sha:
                self.problem(f"{where}: acknowledged batch {object_id} lost or changed")
        # what this kill's child acknowledged loads through the hash checks
        for line in new_acks:
            _, kind, object_id, sha, extra_text = line.split(" ", 4)
            extra = json.loads(extra_text)
            try:
                if kind == "dataset":
                    frame = store.load_dataset(int(object_id), home=self.home)
                    if len(frame) != extra["rows"]:
                        self.problem(f"{where}: dataset {object_id} has {len(frame)} rows, acknowledged {extra['rows']}")
                elif kind == "model":
                    payload = store.load_model_artifact(int(object_id), home=self.home)
                    if hashlib.sha256(payload).hexdigest() != sha:
                        self.problem(f"{where}: model {object_id} artifact differs")
                elif kind == "batch":
                    got = [b for b in store.list_batches(extra["model_id"], home=self.home) if str(b["id"]) == object_id]
                    if not got or result_sha(got[0]["result"]) != sha:
                        self.problem(f"{where}: batch {object_id} not listed with its result")
            except Exception as exc:  # noqa: BLE001 - any failure to load is the finding
                self.problem(f"{where}: acknowledged {kind} {object_id} does not load: {type(exc).__name__}: {exc}")
        # no row points at a missing or damaged file
        for folder, suffix, shas in (("datasets", ".parquet", {v[0] for v in datasets.values()}),
                                     ("models", ".skops", {v[0] for v in models.values()})):
            for sha in shas:
                path = self.home / folder / f"{sha}{suffix}"
                if not path.is_file():
                    self.problem(f"{where}: a {folder} row points at missing file {path.name}")
                elif sha not in self.verified_files:
                    if _file_sha(path) != sha:
                        self.problem(f"{where}: file {path.name} does not match its hash")
                    self.verified_files.add(sha)
        # every store folder a migration was killed in (or finished in) opens with the full schema
        for fresh in sorted(self.fresh_root.iterdir()) if self.fresh_root.exists() else []:
            if fresh.name in self.checked_fresh:
                continue
            self.checked_fresh.add(fresh.name)
            acked = fresh.name in self.acks["migration"]
            try:
                with fresh_database(fresh.name) as exists:
                    if not exists:
                        continue  # killed before its database was made: nothing was written
                    names = store.schema_version(home=fresh)
                    ok = store.integrity_check(home=fresh) == "ok"
            except Exception as exc:  # noqa: BLE001
                self.problem(f"{where}: store in {fresh.name} does not reopen: {type(exc).__name__}: {exc}")
                continue
            if names != full or not ok:
                self.problem(f"{where}: store in {fresh.name} reopened with schema {names}")
            if acked and self.acks["migration"][fresh.name][1]["names"] != full:
                self.problem(f"{where}: migration {fresh.name} acknowledged an incomplete schema")
            if not acked:
                self.report.migrations_completed_on_reopen += 1
        # sweep: partial temp files go, unreferenced files move to quarantine/, referenced files stay
        live = {"datasets": {f"{v[0]}.parquet" for v in datasets.values()},
                "models": {f"{v[0]}.skops" for v in models.values()}}
        for folder in ("datasets", "models"):
            path = self.home / folder
            names = {p.name for p in path.iterdir()} if path.exists() else set()
            self.report.temp_files_swept += sum(n.startswith(".tmp-") for n in names)
            self.report.orphans_swept += sum(not n.startswith(".tmp-") and n not in live[folder] for n in names)
        store.quarantine_orphans(self.home, temp_grace_seconds=0)  # nothing else is writing after a crash
        for folder in ("datasets", "models"):
            path = self.home / folder
            names = {p.name for p in path.iterdir()} if path.exists() else set()
            if names != live[folder] & names or not live[folder] <= names:
                self.problem(f"{where}: after quarantine_orphans {folder}/ holds {sorted(names - live[folder])[:3]} "
                             f"and misses {sorted(live[folder] - names)[:3]}")
        report = store.check(self.home)
        if not report.ok:
            self.problem(f"{where}: check found {[(p.what, p.detail) for p in report.problems][:3]}")
        stray = {p.name for p in self.home.iterdir()} - ALLOWED_IN_HOME
        if stray:
            self.problem(f"{where}: unexpected files in KEEL_HOME: {sorted(stray)}")
        if (self.home / "logs" / "errors.log").exists():
            self.problem(f"{where}: a writer logged an unexpected error: "
                         f"{(self.home / 'logs' / 'errors.log').read_text()[-500:]}")


def full_schema() -> list[str]:
    """The names of all of Keel's migrations, in order (applied to an in-memory database)."""
    from sqlite_utils import Database

    from core import store

    db = Database(memory=True)
    store.migrations.apply(db)
    return [m.name for m in store.migrations.applied(db)]


def run_crash_harness(
    workdir: Path,
    kill_points: int,
    *,
    seed: int = 0,
    max_delay: float = 0.6,
    mode: str = "zygote",
    verbose: bool = False,
) -> CrashReport:
    """Kill a writer ``kill_points`` times at seeded random moments; verify the store after each.

    ``workdir`` is an empty scratch folder: the store lives in ``workdir/keel_home`` (it starts
    empty, so the first child also migrates the real store), fresh stores for the migration kind
    in ``workdir/fresh``. Returns the totals; ``report.problems`` lists every violation found.
    """
    workdir = Path(workdir)
    home, fresh_root = workdir / "keel_home", workdir / "fresh"
    home.mkdir(parents=True, exist_ok=True)
    fresh_root.mkdir(exist_ok=True)
    report = CrashReport()
    verifier = report.verifier = Verifier(home, fresh_root, report)
    rng = random.Random(seed)
    started = time.monotonic()
    launcher = _Launcher(workdir, mode)
    try:
        for kill in range(kill_points):
            focus = KINDS[kill % len(KINDS)]
            pid, fd, handle = launcher.start(home, fresh_root, seed * 1_000_003 + kill, focus)
            reader = _Lines(fd)
            lines = reader.read(time.monotonic() + 120, stop_at_ready=True)
            if "READY" not in lines:
                launcher.finish(handle)
                report.problems.append(f"kill {kill}: writer did not start ({lines[-3:]})")
                continue
            lines += reader.read(time.monotonic() + rng.uniform(0.0, max_delay))
            os.kill(pid, signal.SIGKILL)
            lines += reader.read(time.monotonic() + 30)  # drain what it said before dying, up to EOF
            if not reader.eof or not _pid_gone(pid):
                report.problems.append(f"kill {kill}: writer {pid} did not die")
            launcher.finish(handle)
            report.kill_points += 1
            in_flight = None
            for line in lines:
                if line.startswith("BEGIN "):
                    in_flight = line.split()[1]
                elif line.startswith("ACK "):
                    in_flight = None
            report.killed_during[in_flight or "between writes"] += 1
            new_acks = [line for line in lines if line.startswith("ACK ")]
            for line in new_acks:
                verifier.add(line)
            verifier.check(new_acks, kill)
            if verbose:
                print(f"kill {kill:>3} ({focus:<9}) during {in_flight}: {len(new_acks)} ACKs, "
                      f"{len(report.problems)} problems", flush=True)
    finally:
        launcher.close()
    report.seconds = time.monotonic() - started
    return report


# ============================================================================ killing restore


def _damage(db: Path, how: str) -> None:
    for extra in ("keel.db-wal", "keel.db-shm"):
        (db.parent / extra).unlink(missing_ok=True)
    if how in ("healthy",):
        return
    data = db.read_bytes()
    if how == "empty":
        db.write_bytes(b"")
    elif how == "missing":
        db.unlink()
    elif how == "bytes flipped":
        db.write_bytes(data[:4096 + 8] + b"\xff\xff\xff\xff" + data[4096 + 12:])
    elif how == "half truncated":
        db.write_bytes(data[: len(data) // 2])
    elif how == "header overwritten":
        db.write_bytes(b"X" * 100 + data[100:])


def _files(home: Path) -> dict[str, str]:
    return {f"{kind}/{p.name}": _file_sha(p) for kind in ("datasets", "models")
            for p in sorted((home / kind).glob("*")) if p.is_file() and not p.name.startswith(".tmp-")}


def _content(home: Path) -> tuple[frozenset[str], frozenset[str]]:
    """The dataset and model hashes a store's database lists."""
    db = sqlite3.connect(f"file:{home / 'keel.db'}?mode=rw", uri=True)  # rolls back a hot journal, as Keel does
    try:
        return (frozenset(r[0] for r in db.execute("SELECT sha256 FROM datasets")),
                frozenset(r[0] for r in db.execute("SELECT artifact_sha256 FROM models")))
    finally:
        db.close()


def _make_store(home: Path, seed: int, datasets: int, models: int) -> None:
    from core import store
    from core.data.ingest import read_table

    rng = random.Random(seed)
    for i in range(datasets):
        table = read_table(_csv_bytes(rng, 3000, f"s{seed}-{i}"), name=f"s{seed}-{i}.csv")
        store.save_dataset(table.frame, f"store {seed} #{i}", home=home)
    for i in range(models):
        store.save_model(rng.randbytes(rng.randint(200_000, 1_500_000)), name=f"m{seed}", task="regression",
                         algorithm="crash_test", dataset_id=None, target="amount", metrics={}, params={},
                         schema={}, home=home)


def run_restore_crashes(workdir: Path, kill_points: int, *, seed: int = 0, mode: str = "zygote") -> CrashReport:
    """SIGKILL ``restore`` (and the refused first open before it) at random moments.

    A template store ("old") and a backup of a different store ("new") are made once. Each kill
    point copies the template, damages its database in one of :data:`DAMAGES` (or not), and starts
    a child that opens it (a damaged one must be refused) and restores the backup. After the kill:
    the store holds either every file it held before, byte for byte, with its database as it was,
    or the restored content with ``check`` passing; nothing a database lists is missing; and a
    restore run afterwards completes with ``check`` passing and the backup's content.
    """
    from core import store

    workdir = Path(workdir)
    template, source = workdir / "template", workdir / "source"
    _make_store(template, seed + 1, datasets=3, models=2)
    _make_store(source, seed + 2, datasets=4, models=3)
    backup = store.backup(workdir / "backup", home=source)
    wanted = _content(source)
    timing = workdir / "timing"  # how long one open-and-restore takes, so kills land all along it
    shutil.copytree(template, timing)
    _damage(timing / "keel.db", "empty")
    clock = time.monotonic()
    store.restore(backup, home=timing, trust=True)
    max_delay = 1.3 * (time.monotonic() - clock) + 0.05
    shutil.rmtree(timing)
    report = CrashReport()
    rng = random.Random(seed)
    started = time.monotonic()
    launcher = _Launcher(workdir, mode)
    try:
        for kill in range(kill_points):
            how = DAMAGES[kill % len(DAMAGES)]
            home = workdir / f"target-{kill}"
            shutil.copytree(template, home)
            _damage(home / "keel.db", how)
            db_before = (home / "keel.db").read_bytes() if (home / "keel.db").is_file() else None
            files_before = _files(home)
            pid, fd, handle = launcher.start(home, workdir, 0, "restore", job="restore", backup=str(backup))
            reader = _Lines(fd)
            lines = reader.read(time.monotonic() + 120, stop_at_ready=True)
            if "READY" not in lines:
                launcher.finish(handle)
                report.problems.append(f"restore kill {kill}: child did not start ({lines[-3:]})")
                continue
            early = rng.random() < 0.25  # a quarter of the kills land within the first open
            lines += reader.read(time.monotonic() + rng.uniform(0.0, 0.01 if early else max_delay))
            os.kill(pid, signal.SIGKILL)
            lines += reader.read(time.monotonic() + 30)
            if not reader.eof or not _pid_gone(pid):
                report.problems.append(f"restore kill {kill}: child {pid} did not die")
            launcher.finish(handle)
            report.kill_points += 1
            in_flight = None
            for line in lines:
                if line.startswith("BEGIN "):
                    in_flight = line.split()[1]
                elif line.startswith("ACK "):
                    in_flight = None
                    report.acked[line.split()[1]] += 1
                    if line.split()[1] == "open" and line.split()[3] != ("ok" if how == "healthy" else "refused"):
                        report.problems.append(f"restore kill {kill} ({how}): first open said {line.split()[3]}")
            report.killed_during[f"{in_flight or 'after restore'} ({how})"] += 1
            acked = any(line.startswith("ACK restore") for line in lines)
            where = f"restore kill {kill} ({how}, during {in_flight})"
            _check_restore_target(home, acked, db_before, files_before, wanted, where, report)
            try:  # whatever the kill left, restoring again recovers
                store.forget_checked()
                store.restore(backup, home=home, trust=True)
                if _content(home) != wanted or not store.check(home).ok:
                    report.problems.append(f"{where}: a second restore did not complete")
            except Exception as exc:  # noqa: BLE001
                report.problems.append(f"{where}: a second restore failed: {type(exc).__name__}: {exc}")
            shutil.rmtree(home)
    finally:
        launcher.close()
    report.seconds = time.monotonic() - started
    return report


def _check_restore_target(home: Path, acked: bool, db_before: bytes | None, files_before: dict[str, str],
                          wanted: tuple[frozenset[str], frozenset[str]], where: str, report: CrashReport) -> None:
    from core import store

    store.forget_checked()
    files_now = _files(home)
    lost = {name for name, sha in files_before.items() if files_now.get(name) != sha
            and not (home / "quarantine" / name).is_file()}
    if lost:  # nothing may be deleted or changed: unreferenced files only move to quarantine/
        report.problems.append(f"{where}: files changed or gone: {sorted(lost)[:3]}")
    db_now = (home / "keel.db").read_bytes() if (home / "keel.db").is_file() else None
    untouched = db_now == db_before
    restored, why = False, "no database"
    if db_now:
        try:
            same = _content(home) == wanted
            checked = store.check(home)
            restored = same and checked.ok
            why = f"content {'is' if same else 'is not'} the backup's; check: {[p.detail for p in checked.problems][:2]}"
        except sqlite3.DatabaseError as exc:
            why = f"database unreadable: {exc}"
    if acked and not restored:
        report.problems.append(f"{where}: restore was acknowledged but the store is not the backup ({why})")
    if not acked and not (untouched or restored):
        report.problems.append(f"{where}: the store is neither as before nor restored ({why})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kill-points", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-delay", type=float, default=0.6)
    parser.add_argument("--mode", choices=("zygote", "spawn"), default="zygote")
    parser.add_argument("--restore", action="store_true", help="kill restore instead of ordinary writes")
    parser.add_argument("--workdir", default=None, help="scratch folder (default: a new temp folder)")
    parser.add_argument("--zygote", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.zygote:
        _zygote()
        return 0
    if args.child:
        home, fresh, seed, focus = args.child
        child_loop(Path(home), Path(fresh), int(seed), focus)
        return 0
    import tempfile

    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="keel-crash-"))
    if args.restore:
        report = run_restore_crashes(workdir, args.kill_points, seed=args.seed, mode=args.mode)
    else:
        report = run_crash_harness(workdir, args.kill_points, seed=args.seed, max_delay=args.max_delay,
                                   mode=args.mode, verbose=True)
    print(report.summary())
    for problem in report.problems[:50]:
        print("PROBLEM:", problem)
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())

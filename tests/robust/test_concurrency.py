"""Concurrency: many processes writing and reading one store at once lose nothing and see no errors.

Writers are separate processes (as Streamlit sessions in several server processes or a cron CLI
beside the app would be) doing real uploads, versions of one shared model name and monitored
batches; readers list and load (hash-checked) all the while. See bench/bench_concurrency.py.
"""

from __future__ import annotations

import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

from bench.bench_concurrency import run_concurrency
from core import store


def _assert_clean(report, writers: int, writes: int) -> None:
    print("\n" + report.summary())
    assert report.lost == [], report.lost[:10]
    assert report.errors == [], report.errors[:10]  # no "database is locked", nothing else either
    assert report.problems == [], report.problems[:10]
    assert report.writes_done == writers * writes
    # every third write of each writer is a version of the one shared model name
    assert report.model_versions == sum(len(range((1 - w) % 3, writes, 3)) for w in range(writers))
    assert report.reader_ops > 0


def test_four_writers_fifty_writes_with_readers(keel_home: Path) -> None:
    report = run_concurrency(keel_home, writers=4, writes=50, readers=2)
    _assert_clean(report, 4, 50)


@pytest.mark.slow
def test_eight_writers_five_hundred_writes_with_readers(keel_home: Path) -> None:
    report = run_concurrency(keel_home, writers=8, writes=500, readers=2)
    _assert_clean(report, 8, 500)


@pytest.mark.slow
def test_eight_writers_five_hundred_writes_with_readers_on_postgresql(keel_home: Path, postgres_server,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The same load with the store's database on a real PostgreSQL server: 0 lost, versions consecutive."""
    from tests.pg import database

    with database(postgres_server) as url:
        monkeypatch.setenv("KEEL_DATABASE_URL", url)
        store.forget_checked()
        report = run_concurrency(keel_home, writers=8, writes=500, readers=2)
        _assert_clean(report, 8, 500)
        store.forget_checked()


def test_threads_in_one_process_share_the_store_safely(keel_home: Path) -> None:
    """Streamlit sessions are threads of one process: same guarantees, versions 1..40 each once."""

    def save(i: int) -> int:
        return store.save_model(f"model {i}".encode(), name="threaded", task="regression", algorithm="x",
                                dataset_id=None, target="y", metrics={}, params={"i": i}, schema={}).version

    with ThreadPoolExecutor(8) as pool:
        versions = sorted(pool.map(save, range(40)))
    assert versions == list(range(1, 41))
    assert store.integrity_check() == "ok"


def test_quarantine_never_moves_the_file_of_a_save_in_flight(keel_home: Path) -> None:
    """Another session holds the write lock; a save has written its file and waits to commit its row;
    meanwhile a third session moves orphans aside (as restore and every first start do)."""
    assert store.integrity_check() == "ok"  # create the store
    other_session = sqlite3.connect(store.db_path(), timeout=30)
    other_session.execute("BEGIN IMMEDIATE")
    frame = pd.DataFrame({"customer": ["a", "b", "c"], "spend": [1.5, 2.5, 3.5]})
    with ThreadPoolExecutor(2) as pool:
        saving = pool.submit(store.save_dataset, frame, "uploaded while another session writes")
        folder = keel_home / "datasets"
        deadline = time.monotonic() + 30
        while not list(folder.glob("*.parquet")) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert list(folder.glob("*.parquet")), "the save never wrote its file"
        sweeping = pool.submit(store.quarantine_orphans, temp_grace_seconds=0)  # waits for the lock, like the save
        time.sleep(0.3)
        other_session.rollback()
        other_session.close()
        info = saving.result(timeout=60)
        sweeping.result(timeout=60)
    # whichever of the two got the lock first, the committed row's file is there and intact
    assert len(store.load_dataset(info.id)) == 3
    store.quarantine_orphans(temp_grace_seconds=0)
    assert len(store.load_dataset(info.id)) == 3


FIRST_CONNECT = """
import os, sys, time
from pathlib import Path
import pandas as pd
from core import store
go = Path(sys.argv[1])
print("READY", flush=True)
while not go.exists():
    time.sleep(0.002)
info = store.save_dataset(pd.DataFrame({"who": [sys.argv[2]] * 3}), "first " + sys.argv[2])
print(info.id)
"""


def test_many_processes_creating_the_store_at_once(tmp_path: Path, keel_home: Path) -> None:
    """Six processes make their first connection to an empty KEEL_HOME at the same moment: the migration
    runs once, every one of them writes, and the schema is complete."""
    import os
    import subprocess
    import sys

    go = tmp_path / "go"
    env = {**os.environ, "KEEL_HOME": str(keel_home), "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    procs = [subprocess.Popen([sys.executable, "-c", FIRST_CONNECT, str(go), str(i)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(6)]
    assert [p.stdout.readline().strip() for p in procs] == ["READY"] * 6  # all imported, none connected yet
    go.touch()
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 6, [err[-800:] for _, err in results]
    assert sorted(d.name for d in store.list_datasets()) == [f"first {i}" for i in range(6)]
    assert store.integrity_check() == "ok"
    assert store.schema_version() == [m.name for m in store.migrations.applied(store_db())]


def store_db():
    from sqlite_utils import Database

    db = Database(memory=True)
    store.migrations.apply(db)
    return db

"""Crash safety: SIGKILL a real Keel writer at random moments; the store must hold.

The harness (bench/crash_harness.py) kills a child process doing real dataset imports, model
saves, monitored batches and fresh-store migrations, then reopens the store after every kill:
integrity check ok, every acknowledged object present and loading through its hash check, no row
pointing at a missing file, killed migrations completing on reopen, nothing stray after
``quarantine_orphans``, version numbers distinct and gap-free.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.crash_harness import DAMAGES, KINDS, CrashReport, _check_restore_target, _content, _files, \
    _make_store, run_crash_harness, run_restore_crashes


def _assert_held(report, kill_points: int) -> None:
    print("\n" + report.summary())
    assert report.problems == [], "\n".join(report.problems[:20])
    assert report.kill_points == kill_points
    # the kills really landed inside every kind of write, and writes were acknowledged before them
    assert set(KINDS) <= set(report.killed_during), report.killed_during
    assert set(KINDS) <= set(report.acked), report.acked


@pytest.mark.slow
def test_thirty_kill_points_lose_nothing_acknowledged(tmp_path: Path) -> None:
    report = run_crash_harness(tmp_path, 32, seed=1)
    _assert_held(report, 32)


@pytest.mark.slow
def test_two_hundred_kill_points_lose_nothing_acknowledged(tmp_path: Path) -> None:
    report = run_crash_harness(tmp_path, 200, seed=2)
    _assert_held(report, 200)
    assert report.temp_files_swept + report.orphans_swept > 0  # some kills landed mid-file-write


def test_the_harness_notices_a_damaged_store(tmp_path: Path) -> None:
    """The checks can fail: remove one acknowledged dataset's file and damage one model's file."""
    report = run_crash_harness(tmp_path, 6, seed=3, max_delay=1.5)
    assert report.problems == [], report.problems
    home = tmp_path / "keel_home"
    datasets = sorted((home / "datasets").glob("*.parquet"))
    models = sorted((home / "models").glob("*.skops"))
    assert datasets and models
    datasets[0].unlink()
    with open(models[0], "r+b") as fh:
        fh.write(b"tampered")
        fh.flush()
        os.fsync(fh.fileno())
    report.verifier.verified_files.clear()
    acked_model = next(iter(report.verifier.acks["model"].items()))
    report.verifier.check([f"ACK model {acked_model[0]} {acked_model[1][0]} {{}}"], kill=-1)
    text = "\n".join(report.problems)
    assert "points at missing file" in text
    assert "does not match its hash" in text or "does not load" in text


def test_kill_points_in_freshly_started_interpreters(tmp_path: Path) -> None:
    """The same checks with a new Python process per kill point (no fork from a warm zygote)."""
    report = run_crash_harness(tmp_path, 4, seed=4, mode="spawn", max_delay=1.0)
    print("\n" + report.summary())
    assert report.problems == [], report.problems
    assert report.kill_points == 4 and sum(report.acked.values()) > 0


@pytest.mark.slow
def test_kills_during_restore_and_during_a_first_start_over_a_damaged_store(tmp_path: Path) -> None:
    """Each kill leaves the store as it was (every file byte for byte) or fully restored; a second
    restore always completes with ``check`` passing."""
    report = run_restore_crashes(tmp_path, 24, seed=5)
    print("\n" + report.summary())
    assert report.problems == [], "\n".join(report.problems[:20])
    assert report.kill_points == 24
    during = " ".join(report.killed_during)
    assert "restore (" in during and "after restore" in during  # kills landed mid-restore and after it
    assert all(f"({how})" in during for how in DAMAGES)
    assert report.acked["open"] >= 12


def test_the_restore_checks_can_fail(tmp_path: Path) -> None:
    """The verdicts of the restore loop notice a lost file and a half-restored store."""
    _make_store(tmp_path / "old", 1, datasets=2, models=1)
    _make_store(tmp_path / "new", 2, datasets=1, models=1)
    home = tmp_path / "old"
    before, db_before = _files(home), (home / "keel.db").read_bytes()
    wanted = _content(tmp_path / "new")
    report = CrashReport()
    _check_restore_target(home, False, db_before, before, wanted, "untouched", report)
    assert report.problems == []
    next((home / "datasets").glob("*.parquet")).unlink()
    _check_restore_target(home, False, db_before, before, wanted, "lost", report)
    _check_restore_target(home, True, db_before, before, wanted, "acked", report)
    assert any("lost: files changed or gone" in p for p in report.problems)
    assert any("acked: restore was acknowledged but the store is not the backup" in p for p in report.problems)


@pytest.mark.slow
def test_kill_points_on_a_postgresql_store_lose_nothing_acknowledged(tmp_path: Path, postgres_server,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The same kills with the store's database on a real PostgreSQL server, including kills while a new
    database is being migrated (each 'migration' write gets a database of its own)."""
    from tests.pg import database

    with database(postgres_server) as url:
        monkeypatch.setenv("KEEL_DATABASE_URL", url)
        monkeypatch.setenv("KEEL_CRASH_PG_ADMIN", postgres_server.admin_url)
        # a server round trip and CREATE DATABASE take longer than a file write: kills spread over 2 s
        report = run_crash_harness(tmp_path, 24, seed=7, max_delay=2.0)
        _assert_held(report, 24)

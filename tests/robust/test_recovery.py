"""Nothing lost, nothing run that Keel did not write (issue 14), through the real CLI.

Every test drives ``python -m core`` in a subprocess against real SQLite files in a temporary
KEEL_HOME, with HOME pointed into the same temporary tree: restore into an empty home and over a
live one, twice in a row; damaged databases of every kind; ``check``; outputs that must not
clobber; model references that are the user's fault; a planted pickle that must never run.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import joblib
import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow  # real subprocesses, about 100 s of CPU: CI runs them, the fast loop does not


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _stored(home: Path) -> dict[str, str]:
    """Every stored data and model file under ``home`` with its hash."""
    return {str(p.relative_to(home)): _sha(p) for kind in ("datasets", "models")
            for p in sorted((home / kind).glob("*")) if p.is_file()}


class Keel:
    """``python -m core`` in a subprocess, in a sandbox: KEEL_HOME and HOME inside tmp."""

    def __init__(self, home: Path, cwd: Path) -> None:
        self.home, self.cwd = home, cwd

    def __call__(self, *argv: str, code: int | None = 0) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "KEEL_HOME": str(self.home), "HOME": str(self.cwd / "fake_home"),
               "PYTHONPATH": str(ROOT)}
        done = subprocess.run([sys.executable, "-m", "core", *argv], cwd=self.cwd, env=env, text=True,
                              capture_output=True, timeout=300)
        assert "Traceback" not in done.stderr, done.stderr
        if code is not None:
            assert done.returncode == code, f"{argv}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
        return done

    def json(self, *argv: str, code: int = 0) -> dict:
        return json.loads(self(*argv, "--json", code=code).stdout)


def _table(folder: Path) -> Path:
    rows = ["x,city,y"] + [f"{i * 0.37 % 5:.2f},{['Lyon', 'Oslo', 'Lima'][i % 3]},{'yes' if (i * 7) % 10 > 4 else 'no'}"
                           for i in range(80)]
    path = folder / "tiny.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A home with one dataset and one trained model 'tiny', and a backup of it (made by that home)."""
    root = tmp_path_factory.mktemp("recovery")
    (root / "fake_home").mkdir()
    _table(root)
    keel = Keel(root / "home", root)
    keel("train", "tiny.csv", "--target", "y", "--name", "tiny", "--time-budget", "5")
    keel("backup", str(root / "backup"))
    return root / "home", root / "backup"


@pytest.fixture
def work(tmp_path: Path, original: tuple[Path, Path]) -> tuple[Keel, Path]:
    """A copy of the original home for this test to change, and a copy of its backup."""
    home, backup = original
    shutil.copytree(home, tmp_path / "store")
    shutil.copytree(backup, tmp_path / "backup")
    (tmp_path / "fake_home").mkdir(exist_ok=True)
    _table(tmp_path)
    return Keel(tmp_path / "store", tmp_path), tmp_path / "backup"


# --------------------------------------------------------------------------- restore


def test_restore_into_an_empty_home_needs_trust_then_brings_back_every_file(tmp_path: Path, original) -> None:
    _, backup = original
    (tmp_path / "fake_home").mkdir(exist_ok=True)
    _table(tmp_path)
    keel = Keel(tmp_path / "new_laptop", tmp_path)
    refused = keel("restore", str(backup), code=2)
    assert "was not made by this Keel installation" in refused.stderr and "--trust" in refused.stderr
    assert not (tmp_path / "new_laptop" / "keel.db").exists()
    report = keel.json("restore", str(backup), "--trust")
    assert (report["datasets"], report["models"], report["trusted"]) == (1, 1, True)
    assert _stored(tmp_path / "new_laptop") == _stored(backup)  # every file is there, none swept
    assert keel.json("check")["ok"] is True
    scored = keel.json("predict", "tiny@champion", "tiny.csv", "--out", "scored.csv")
    assert scored["rows"] == 80 and (tmp_path / "scored.csv").is_file()


def test_restore_after_a_delete_in_the_same_home_needs_no_trust(work) -> None:
    keel, backup = work
    env = {"KEEL_HOME": str(keel.home)}
    subprocess.run([sys.executable, "-c", "from core import store; store.delete_dataset(store.list_datasets()[-1].id)"],
                   env={**os.environ, **env, "PYTHONPATH": str(ROOT)}, check=True, timeout=120)
    assert keel.json("models")["models"] == []
    assert _stored(keel.home) == {}
    report = keel.json("restore", str(backup))
    assert report["trusted"] is False and report["models"] == 1
    assert keel.json("predict", "tiny", "tiny.csv")["rows"][0]["prediction"] in ("yes", "no")


def test_restore_twice_in_a_row_and_over_a_live_store_only_adds(work) -> None:
    keel, backup = work
    keel("train", "tiny.csv", "--target", "x", "--name", "later", "--time-budget", "5")
    later_files = set(_stored(keel.home)) - set(_stored(backup))
    assert later_files  # the second model and its dataset were stored after the backup
    first = keel.json("restore", str(backup))
    second = keel.json("restore", str(backup))
    assert first["quarantined"] == len(later_files) and second["quarantined"] == 0
    assert [m["name"] for m in keel.json("models")["models"]] == ["tiny"]
    kept = {p.name for p in (keel.home / "quarantine").rglob("*") if p.is_file()}
    assert kept == {Path(f).name for f in later_files}  # moved aside, not deleted
    check = keel.json("check")
    assert check["ok"] is True and any("quarantine" in n for n in check["notes"])


def test_restore_rewrites_a_damaged_file_of_the_same_size(work) -> None:
    keel, backup = work
    model_file = next((keel.home / "models").glob("*.skops"))
    good = model_file.read_bytes()
    model_file.write_bytes(good[:100] + bytes([good[100] ^ 0xFF]) + good[101:])
    assert keel.json("check", code=2)["problems"][0]["what"] == f"models/{model_file.name}"
    assert keel.json("restore", str(backup))["files_written"] == 1
    assert model_file.read_bytes() == good
    assert keel.json("check")["ok"] is True


def _damage(db: Path, how: str) -> None:
    for extra in ("keel.db-wal", "keel.db-shm"):
        (db.parent / extra).unlink(missing_ok=True)
    data = db.read_bytes()
    if how == "empty":
        db.write_bytes(b"")
    elif how == "missing":
        db.unlink()
    elif how == "bytes flipped":  # the first table page's cell pointers point outside the page
        page = 4096
        db.write_bytes(data[:page + 8] + b"\xff\xff\xff\xff" + data[page + 12:])
    elif how == "half truncated":
        db.write_bytes(data[: len(data) // 2])
    elif how == "header overwritten":
        db.write_bytes(b"X" * 100 + data[100:])
    elif how == "a folder in its place":
        db.unlink()
        db.mkdir()


DAMAGE = ("empty", "missing", "bytes flipped", "half truncated", "header overwritten", "a folder in its place")


@pytest.mark.parametrize("how", DAMAGE)
def test_a_damaged_database_stops_every_command_and_keeps_every_file(work, how: str) -> None:
    keel, backup = work
    before = _stored(keel.home)
    _damage(keel.home / "keel.db", how)
    for argv in (["models"], ["predict", "tiny", "tiny.csv", "--out", "o.csv"], ["profile", "tiny.csv"]):
        if argv[0] == "profile":
            continue  # profiling a file never opens the store
        done = keel(*argv, code=2)
        assert "error: Keel's database" in done.stderr, done.stderr
        assert "python -m core restore" in done.stderr
    assert _stored(keel.home) == before  # nothing deleted, nothing created
    check = keel.json("check", code=2)
    assert check["ok"] is False and check["problems"][0]["what"] == "database"
    restored = keel.json("restore", str(backup))
    assert restored["models"] == 1
    if how != "missing":
        assert restored["kept_damaged"] and Path(restored["kept_damaged"]).exists()
    assert keel.json("check")["ok"] is True
    assert keel.json("predict", "tiny", "tiny.csv")["rows"]


def test_restore_refuses_a_folder_whose_database_is_not_keels(work, tmp_path: Path) -> None:
    keel, _ = work
    fake = tmp_path / "not_keel"
    fake.mkdir()
    conn = sqlite3.connect(fake / "keel.db")
    conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.commit()
    conn.close()
    done = keel("restore", str(fake), "--trust", code=2)
    assert "is not a Keel backup" in done.stderr and "not Keel's database" in done.stderr


def _plant_pickle(backup: Path, sentinel: Path, fmt: str) -> None:
    """An attacker's edit of a backup: a pickle that creates ``sentinel`` when unpickled, its hash
    written into the backup's database in place of the model's, and the manifest rewritten to match."""

    class Boom:
        def __reduce__(self):
            return (os.system, (f"touch {sentinel}",))

    buffer = io.BytesIO()
    joblib.dump(Boom(), buffer)
    payload = buffer.getvalue()
    sha = hashlib.sha256(payload).hexdigest()
    suffix = ".skops" if fmt == "skops" else ".joblib"
    (backup / "models" / f"{sha}{suffix}").write_bytes(payload)
    conn = sqlite3.connect(backup / "keel.db")
    conn.execute("UPDATE models SET artifact_sha256 = ?, artifact_format = ?", [sha, fmt])
    conn.commit()
    conn.close()
    manifest = json.loads((backup / "manifest.json").read_text())
    manifest["files"]["keel.db"] = _sha(backup / "keel.db")
    manifest["files"][f"models/{sha}{suffix}"] = sha
    (backup / "manifest.json").write_text(json.dumps(manifest))


@pytest.mark.parametrize("fmt", ["skops", "joblib"])
def test_a_pickle_planted_in_a_backup_never_runs(work, tmp_path: Path, fmt: str) -> None:
    keel, backup = work
    sentinel = tmp_path / "payload-ran"
    _plant_pickle(backup, sentinel, fmt)
    refused = keel("restore", str(backup), code=2)
    assert "was not made by this Keel installation, or was changed after it was made" in refused.stderr
    keel("restore", str(backup), "--trust")  # the user trusts it anyway: the files match what it lists
    done = keel("predict", "tiny", "tiny.csv", "--out", "o.csv", code=2)
    assert ("not in Keel's model format" in done.stderr) if fmt == "skops" else ("older Keel" in done.stderr)
    assert not sentinel.exists()
    assert not (tmp_path / "o.csv").exists()


# --------------------------------------------------------------------------- check


def test_check_reports_a_missing_file_and_a_stray_one(work) -> None:
    keel, _ = work
    healthy = keel.json("check")
    assert healthy == {**healthy, "ok": True, "problems": [], "datasets": 1, "models": 1, "files_checked": 2}
    dataset_file = next((keel.home / "datasets").glob("*.parquet"))
    dataset_file.unlink()
    (keel.home / "models" / "0123abcd.skops").write_bytes(b"stray")
    report = keel.json("check", code=2)
    assert [p["what"] for p in report["problems"]] == [f"datasets/{dataset_file.name}"]
    assert report["problems"][0]["detail"] == "The file is missing."
    assert "restore" in report["problems"][0]["hint"]
    assert any("belong to no dataset or model" in n for n in report["notes"])
    text = keel("check", code=2).stdout
    assert "1 problem(s) found" in text and "what to do:" in text


# --------------------------------------------------------------------------- outputs


def test_outputs_never_clobber(work) -> None:
    keel, _ = work
    cwd = keel.cwd
    (cwd / "mine.csv").write_text("precious\n")
    done = keel("predict", "tiny", "tiny.csv", "--out", "mine.csv", code=2)
    assert "already exists" in done.stderr and "--overwrite" in done.stderr
    assert (cwd / "mine.csv").read_text() == "precious\n"
    keel("predict", "tiny", "tiny.csv", "--out", "mine.csv", "--overwrite")
    assert (cwd / "mine.csv").read_text().startswith('"x","city","y","prediction"')
    db_before = _sha(keel.home / "keel.db")
    for target in (str(keel.home / "keel.db"), str(keel.home / "models" / "new.csv"), "link.csv"):
        if target == "link.csv":
            (cwd / "link.csv").symlink_to(keel.home / "keel.db")
        done = keel("predict", "tiny", "tiny.csv", "--out", target, "--overwrite", code=2)
        assert "inside Keel's own folder" in done.stderr, done.stderr
    assert _sha(keel.home / "keel.db") == db_before
    assert "is a folder" in keel("predict", "tiny", "tiny.csv", "--out", ".", code=2).stderr
    assert "does not exist" in keel("predict", "tiny", "tiny.csv", "--out", "no/such/o.csv", code=2).stderr
    assert "inside Keel's own folder" in keel("backup", str(keel.home / "b"), code=2).stderr
    assert "--out" in keel("predict", "tiny", "tiny.csv", code=2).stderr
    rows = keel.json("predict", "tiny", "tiny.csv")
    assert rows["out"] is None and len(rows["rows"]) == 80 and set(rows["rows"][0]) >= {"prediction", "proba_yes"}
    assert not list(cwd.glob(".*.part"))  # no temp files left behind


# --------------------------------------------------------------------------- the user's own mistakes


@pytest.mark.parametrize("ref", ["99999999999999999999999999", "tiny:99999999999999999999999", "²", "٣", "-1", "tiny:0"])
def test_impossible_model_references_are_the_users_error(work, ref: str) -> None:
    keel, _ = work
    done = keel("predict", ref, "tiny.csv", "--out", "o.csv", code=2)
    assert f"No model matches '{ref}'" in done.stderr


def test_a_model_name_of_digits_is_refused(work) -> None:
    keel, _ = work
    done = keel("train", "tiny.csv", "--target", "y", "--name", "1", "--time-budget", "5", code=2)
    assert "cannot be only digits" in done.stderr and "model-1" in done.stderr


# --------------------------------------------------------------------------- privacy


def test_deleting_forgets_names_and_everything_is_private(work) -> None:
    keel, _ = work
    assert keel.home.stat().st_mode & 0o777 == 0o700
    for path in [keel.home / "keel.db", *keel.home.glob("*/*")]:
        if path.is_file():
            assert path.stat().st_mode & 0o077 == 0, path
    code = ("from core import store; d = store.list_datasets()[-1]; store.rename_dataset(d.id, 'Salaries of Ada Lovelace');"
            "store.delete_dataset(d.id)")
    subprocess.run([sys.executable, "-c", code], env={**os.environ, "KEEL_HOME": str(keel.home), "PYTHONPATH": str(ROOT)},
                   check=True, timeout=120)
    conn = sqlite3.connect(keel.home / "keel.db")
    audit = conn.execute("SELECT action, object_type, detail FROM audit").fetchall()
    conn.close()
    assert {a for a, _, _ in audit} >= {"upload", "register", "rename", "delete"}  # the events stay
    text = json.dumps(audit)
    for secret in ("Ada Lovelace", "tiny.csv", "city", '"tiny"'):
        assert secret not in text, secret

"""The store: datasets, versions, models, audit log, deletes, integrity, concurrency."""

from __future__ import annotations

import multiprocessing as mp
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.pandas import column, data_frames

from core import store
from core.store import datasets as store_datasets
from core.errors import IntegrityError, InputError, NotFoundError


pytestmark = pytest.mark.usefixtures("store_backend")
ALL_MIGRATIONS = [  # every test on SQLite and on a real PostgreSQL server
    "m001_initial",
    "m002_safe_model_files",
    "m003_model_card_and_cutoff",
    "m004_team",
    "m005_scoring_api",
    "m006_lookup_indexes",
]


def sqlite_only(reason: str) -> None:
    if store.database_url():
        pytest.skip(f"SQLite only: {reason}")


def small_frame(n: int = 5) -> pd.DataFrame:
    return pd.DataFrame({"a": range(n), "b": [f"x{i}" for i in range(n)]})


def test_save_and_load_round_trip(keel_home: Path) -> None:
    info = store.save_dataset(small_frame(), "sales", original_name="sales.csv", source_format="csv")
    assert (info.version, info.family_id, info.parent_id) == (1, info.id, None)
    assert info.columns == ("a", "b") and info.rows == 5
    pd.testing.assert_frame_equal(store.load_dataset(info.id), small_frame())
    assert (keel_home / "datasets" / f"{info.sha256}.parquet").is_file()
    assert store.db_path().is_file() != bool(store.database_url())  # on a server, no keel.db here


def test_identical_content_is_stored_once(keel_home: Path) -> None:
    first = store.save_dataset(small_frame(), "one")
    second = store.save_dataset(small_frame(), "two")
    assert second.id == first.id and not second.is_new
    assert len(store.list_datasets()) == 1
    assert len(list((keel_home / "datasets").iterdir())) == 1


def test_derived_versions_count_up_within_a_family() -> None:
    root = store.save_dataset(small_frame(), "sales")
    v2 = store.save_dataset(small_frame().drop(columns="b"), "sales", parent_id=root.id, change="Dropped column 'b'")
    v3 = store.save_dataset(small_frame(3), "sales", parent_id=v2.id, change="Removed 2 rows")
    other = store.save_dataset(small_frame(7), "other")
    assert [v2.version, v3.version] == [2, 3]
    assert v3.family_id == root.id and other.version == 1 and other.family_id == other.id
    assert v2.change == "Dropped column 'b'"


def test_delete_removes_derived_versions_models_and_files(keel_home: Path) -> None:
    root = store.save_dataset(small_frame(), "sales")
    child = store.save_dataset(small_frame(3), "sales", parent_id=root.id, change="cut")
    keep = store.save_dataset(small_frame(9), "keep me")
    model = store.save_model(b"model-bytes", name="m", task="regression", algorithm="ridge",
                             dataset_id=child.id, target="a", metrics={}, params={}, schema={})
    store.save_batch(model.id, 10, {"drift": {}})
    impact = store.delete_impact(root.id)
    assert set(impact.datasets) == {root.id, child.id} and impact.models == (model.id,) and impact.batches == 1
    store.delete_dataset(root.id)
    assert [d.id for d in store.list_datasets()] == [keep.id]
    assert store.list_models() == []
    files = {p.name for p in (keel_home / "datasets").iterdir()}
    assert files == {f"{keep.sha256}.parquet"}
    assert list((keel_home / "models").iterdir()) == []
    assert store.audit_log()[0].action == "delete"


def test_missing_things_raise_not_found() -> None:
    with pytest.raises(NotFoundError, match="no dataset with id 42"):
        store.get_dataset(42)
    with pytest.raises(NotFoundError, match="No model matches 'nope'") as err:
        store.resolve_model("nope")
    assert "models" in err.value.hint


def test_rename_validates_and_is_audited() -> None:
    info = store.save_dataset(small_frame(), "old")
    with pytest.raises(InputError, match="cannot be empty"):
        store.rename_dataset(info.id, "   ")
    renamed = store.rename_dataset(info.id, "new <b>name</b>\n")
    assert renamed.name == "new <b>name</b>"  # kept as text; pages escape it when shown
    entry = store.audit_log()[0]
    assert (entry.action, entry.detail) == ("rename", {"old": "old", "new": "new <b>name</b>"})


def test_column_kinds_are_checked_and_inherited() -> None:
    info = store.save_dataset(small_frame(), "k")
    with pytest.raises(InputError, match="no column named 'zzz'"):
        store.set_column_kinds(info.id, {"zzz": "numeric"})
    store.set_column_kinds(info.id, {"a": "categorical"})
    child = store.save_dataset(small_frame(4), "k", parent_id=info.id, change="cut")
    assert child.kinds == {"a": "categorical"}


def test_tampered_dataset_file_is_refused(keel_home: Path) -> None:
    info = store.save_dataset(small_frame(), "t")
    path = keel_home / "datasets" / f"{info.sha256}.parquet"
    path.write_bytes(path.read_bytes()[:-3] + b"xyz")
    with pytest.raises(IntegrityError, match="has changed since it was saved"):
        store.load_dataset(info.id)


def test_model_versions_stages_and_resolution(keel_home: Path) -> None:
    kw = dict(task="classification", algorithm="rf", dataset_id=None, target="y", metrics={"accuracy": 0.9},
              params={}, schema={})
    m1 = store.save_model(b"one", name="churn", **kw)
    m2 = store.save_model(b"two", name="churn", **kw)
    assert (m1.version, m1.stage, m2.version, m2.stage) == (1, "champion", 2, "candidate")
    assert store.resolve_model("churn@champion").id == m1.id
    store.set_stage(m2.id, "champion", "better")
    assert store.get_model(m1.id).stage == "retired"
    assert store.resolve_model("churn@champion").id == m2.id
    assert store.resolve_model("churn:1").id == m1.id
    assert store.resolve_model("churn").id == m2.id  # the version in use
    assert store.resolve_model(str(m1.id)).id == m1.id
    assert [h["to_stage"] for h in store.stage_history(m1.id)] == ["champion", "retired"]
    with pytest.raises(InputError, match="not a stage"):
        store.set_stage(m1.id, "boss")
    assert store.load_model_artifact(m2.id) == b"two"
    (keel_home / "models" / f"{m2.artifact_sha256}.skops").write_bytes(b"evil")
    with pytest.raises(IntegrityError, match="does not match the fingerprint"):
        store.load_model_artifact(m2.id)


def test_orphan_files_are_quarantined_never_deleted(keel_home: Path) -> None:
    store.save_dataset(small_frame(), "x")
    (keel_home / "datasets" / ".tmp-123.part").write_bytes(b"half a file")
    (keel_home / "datasets" / "deadbeef.parquet").write_bytes(b"unreferenced")
    assert store.quarantine_orphans(temp_grace_seconds=0) == 2
    assert len(list((keel_home / "datasets").iterdir())) == 1
    assert (keel_home / "quarantine" / "datasets" / "deadbeef.parquet").read_bytes() == b"unreferenced"
    assert [p.name for p in store.quarantined()] == ["deadbeef.parquet"]
    report = store.check()
    assert report.ok and any("wait in" in n and "quarantine" in n for n in report.notes)


def test_schema_is_migrated_and_wal(keel_home: Path) -> None:
    assert store.schema_version() == ALL_MIGRATIONS
    assert store.integrity_check() == "ok"
    sqlite_only("write-ahead logging is SQLite's")
    conn = sqlite3.connect(store.db_path())
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_failed_write_leaves_nothing_behind(keel_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store.save_dataset(small_frame(), "before")

    def boom(*args, **kwargs):
        raise RuntimeError("disk fell off")

    with monkeypatch.context() as patched:
        patched.setattr(store_datasets, "audit_event", boom)  # fails inside the transaction, after the insert
        with pytest.raises(RuntimeError):
            store.save_dataset(small_frame(8), "during")
    assert [d.name for d in store.list_datasets()] == ["before"]
    store.quarantine_orphans(temp_grace_seconds=0)
    assert len(list((keel_home / "datasets").iterdir())) == 1


def test_secret_key_is_stable_and_private(keel_home: Path) -> None:
    key = store.secret_key()
    assert len(key) == 32 and store.secret_key() == key
    assert (keel_home / "secret.key").stat().st_mode & 0o077 == 0


def _writer(home: str, worker: int, n: int) -> None:
    import os

    os.environ["KEEL_HOME"] = home
    from core import store as s

    for i in range(n):
        s.save_model(f"{worker}-{i}".encode(), name="shared", task="regression", algorithm="x",
                     dataset_id=None, target="y", metrics={}, params={}, schema={})
        s.save_dataset(pd.DataFrame({"w": [worker], "i": [i]}), f"w{worker}")


def test_concurrent_writers_lose_nothing(keel_home: Path) -> None:
    store.schema_version()  # create the schema first
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(keel_home), w, 15)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert all(p.exitcode == 0 for p in procs)
    versions = sorted(m.version for m in store.list_models())
    assert versions == list(range(1, 61))  # distinct and consecutive
    assert len(store.list_datasets()) == 60
    assert store.integrity_check() == "ok"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data_frames(
        [
            column("num", dtype=float),
            column("int", dtype=int),
            column("text", elements=st.text(max_size=20)),
            column("flag", dtype=bool),
        ]
    )
)
def test_store_then_load_round_trips(keel_home: Path, frame: pd.DataFrame) -> None:
    frame = frame.reset_index(drop=True)
    info = store.save_dataset(frame, "prop")
    loaded = store.load_dataset(info.id)
    pd.testing.assert_frame_equal(loaded, frame, check_dtype=False, check_index_type=False)


def _all_text_in_the_database() -> str:
    """Every row of every Keel table, as text (what a reader of the database could see)."""
    with store.connect() as db:
        tables = [t for t in db.table_names() if not t.startswith(("_sqlite", "sqlite_", "keel_migrations"))]
        return "\n".join(str(row) for t in tables for row in db.execute(f'SELECT * FROM "{t}"').fetchall())


def test_deleted_data_leaves_no_trace_under_keel_home(keel_home: Path) -> None:
    canary = "CANARY-7f3a9c-never-seen"
    frame = pd.DataFrame({"note": [canary] * 3 + ["ordinary"] * 50, "n": range(53)})
    info = store.save_dataset(frame, "secret stuff")
    child = store.save_dataset(frame.iloc[:10], "secret stuff", parent_id=info.id, change="cut")
    store.save_model(b"m", name="m", task="regression", algorithm="x", dataset_id=child.id, target="n",
                     metrics={}, params={"example": canary}, schema={"categories": [canary]})
    store.save_forecast(info.id, {"ids": [canary]}, {"series": [{"id": canary}]})
    assert canary in _all_text_in_the_database()  # the check below can see it
    store.delete_dataset(info.id)
    assert canary not in _all_text_in_the_database()
    needle = canary.encode()
    checked = 0
    for path in keel_home.rglob("*"):
        if path.is_file():
            checked += 1
            assert needle not in path.read_bytes(), f"canary found in {path.relative_to(keel_home)}"
    assert checked > 0 or store.database_url()  # on a server only the data files live here


def test_backup_while_writing_then_restore(keel_home: Path, tmp_path: Path) -> None:
    store.save_dataset(small_frame(), "before")
    ctx = mp.get_context("spawn")
    writer = ctx.Process(target=_writer, args=(str(keel_home), 9, 25))
    writer.start()
    backup_dir = store.backup(tmp_path / "backup")
    writer.join(120)
    assert writer.exitcode == 0
    snapshot = sqlite3.connect(backup_dir / "keel.db")
    assert snapshot.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    backed_up = snapshot.execute("SELECT COUNT(*) FROM datasets").fetchone()[0]
    assert 1 <= backed_up <= 26
    # every dataset in the snapshot has its file
    for (sha,) in snapshot.execute("SELECT sha256 FROM datasets"):
        assert (backup_dir / "datasets" / f"{sha}.parquet").is_file()
    with pytest.raises(InputError, match="not an empty folder"):
        store.backup(backup_dir)
    store.restore(backup_dir)
    assert len(store.list_datasets()) == backed_up
    assert store.integrity_check() == "ok"
    for info in store.list_datasets():
        store.load_dataset(info.id)  # hash-checked


def test_restore_refuses_a_damaged_backup(keel_home: Path, tmp_path: Path) -> None:
    info = store.save_dataset(small_frame(), "x")
    backup_dir = store.backup(tmp_path / "b")
    (backup_dir / "datasets" / f"{info.sha256}.parquet").write_bytes(b"broken")
    store.rename_dataset(info.id, "after backup")
    with pytest.raises(IntegrityError, match="damaged file"):
        store.restore(backup_dir)
    assert store.get_dataset(info.id).name == "after backup"  # nothing changed


LEGACY = Path(__file__).resolve().parents[1] / "data" / "legacy_store_v1"


def test_a_store_made_by_the_previous_keel_is_converted_once_and_predicts_the_same(keel_home: Path) -> None:
    """tests/data/legacy_store_v1 was made by Keel at be66e52 (models pickled with joblib): a gradient
    boosting model with category codes, and the predictions that Keel wrote for input.csv. Opening it
    converts the model to a skops file (once, at the migration) with the same answers."""
    import shutil

    from core.models import load_registered
    from core.models.predict import predict_command

    sqlite_only("the legacy store is a keel.db file")
    shutil.copytree(LEGACY, keel_home, ignore=shutil.ignore_patterns("*.csv"))
    assert store.schema_version() == ALL_MIGRATIONS
    info, model = load_registered("legacy")
    assert info.artifact_format == "skops" and store.model_file(info).suffix == ".skops"
    assert store.check().ok
    rows = predict_command("legacy", LEGACY / "input.csv", None)["rows"]
    expected = pd.read_csv(LEGACY / "expected_predictions.csv")
    assert [r["prediction"] for r in rows] == expected["prediction"].tolist()
    got = pd.DataFrame(rows)[["proba_no", "proba_yes"]].astype(float)
    pd.testing.assert_frame_equal(got, expected[["proba_no", "proba_yes"]], atol=1e-12)
    # the old pickle is moved aside (never loaded again), not deleted
    assert [p.suffix for p in store.quarantined()] == [".joblib"]


def test_a_legacy_model_that_changed_on_disk_is_never_unpickled(keel_home: Path, tmp_path: Path) -> None:
    import shutil

    sqlite_only("the legacy store is a keel.db file")
    shutil.copytree(LEGACY, keel_home, ignore=shutil.ignore_patterns("*.csv"))
    old = next((keel_home / "models").glob("*.joblib"))
    old.write_bytes(old.read_bytes()[:-1] + b"\x00")  # the fingerprint no longer matches
    info = store.resolve_model("legacy")
    assert info.artifact_format == "joblib"
    with pytest.raises(IntegrityError, match="older Keel in a format that runs code") as err:
        store.load_model_artifact(info.id)
    assert "Train the model again" in err.value.hint
    report = store.check()
    assert not report.ok and report.problems[0].what == "model legacy:1"


def test_model_card_fields_and_cutoff_are_kept_and_audited() -> None:
    kw = dict(task="classification", algorithm="rf", dataset_id=None, target="y", metrics={}, schema={})
    yes_no = store.save_model(b"m", name="churn", params={"classes": ["no", "yes"]}, **kw)
    assert yes_no.card == {} and yes_no.threshold is None
    updated = store.update_card(yes_no.id, {"intended_use": " Decide whom to call first. ", "owner": "Ana"})
    assert updated.card == {"intended_use": "Decide whom to call first.", "owner": "Ana"}
    assert store.update_card(yes_no.id, {"owner": ""}).card == {"intended_use": "Decide whom to call first."}
    with pytest.raises(InputError, match="no field 'purpose'") as err:
        store.update_card(yes_no.id, {"purpose": "x"})
    assert "intended_use" in err.value.hint
    with pytest.raises(InputError, match="longer than 4,000 characters"):
        store.update_card(yes_no.id, {"notes": "x" * 4001})
    assert store.set_threshold(yes_no.id, 0.3, reason="calls are cheap").threshold == 0.3
    assert store.get_model(yes_no.id).threshold == 0.3
    assert store.set_threshold(yes_no.id, None).threshold is None
    for bad in (0, 1, 1.5, -0.2):
        with pytest.raises(InputError, match="between 0 and 1"):
            store.set_threshold(yes_no.id, bad)
    three = store.save_model(b"n", name="kind", params={"classes": ["a", "b", "c"]}, **kw)
    with pytest.raises(InputError, match="does not answer yes or no"):
        store.set_threshold(three.id, 0.4)
    actions = [e.action for e in store.audit_log()]
    assert actions.count("card") == 2 and actions.count("threshold") == 2  # refused changes are not logged

"""Backup and restore: a signed manifest, everything checked before anything changes, and a restore that
only adds."""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import hmac
import json
import os
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from sqlite_utils import Database

from core.errors import InputError, IntegrityError
from core.paths import is_inside, keel_home
from core.store.db import (
    SQLITE_MAGIC,
    StoreDamagedError,
    audit_event,
    check_is_keel,
    connect,
    database_problem,
    database_url,
    db_path,
    forget_checked,
    make_private,
    quarantine_orphans,
    raw_connect,
    utc_now,
)
from core.store.files import (
    file_sha256,
    fsync_folder,
    key_file,
    kind_folder,
    referenced_files,
    write_file_atomically,
)
from core.store.transfer import replace_from_sqlite, snapshot_to_sqlite

MANIFEST = "manifest.json"


SIGNATURE = "manifest.sig"


def install_key(home: Path) -> bytes:
    """This installation's key for signing backups. Created once, private, never put in a backup."""
    return key_file(home / "install.key")


def _copy_verified(source: Path, folder: Path, name: str, sha: str) -> bool:
    """Copy ``source`` to ``folder/name`` through a temp file, checking its SHA-256 on the way.

    Returns True when a file was written, False when an identical file was already there. Raises
    ``IntegrityError`` (nothing changed at ``folder/name``) when the source does not match ``sha``.
    """
    final = folder / name
    if final.is_file():
        with contextlib.suppress(OSError):
            if file_sha256(final) == sha:
                return False
    digest = hashlib.sha256()
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, source.open("rb") as src:
            for block in iter(lambda: src.read(1 << 20), b""):
                digest.update(block)
                out.write(block)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != sha:
            raise IntegrityError(
                f"'{source}' has changed since it was recorded (its fingerprint differs).",
                "Use another backup; nothing was changed.",
            )
        os.replace(tmp, final)
        fsync_folder(folder)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return True


def backup(destination: Path, home: Path | None = None) -> Path:
    """Copy everything Keel keeps into a new folder ``destination`` while Keel keeps running.

    The database is copied with SQLite's online backup API (a consistent snapshot even with writers
    running), or, for a store on PostgreSQL, read in one repeatable-read transaction into a SQLite file
    of the same schema (a backup can be restored onto either engine); then the files it refers to, each checked against its recorded SHA-256. Last comes a
    manifest of every file's SHA-256, signed with this installation's key (``install.key``, which
    stays here), so ``restore`` can tell this installation's backups from anyone else's.
    """
    home = home or keel_home()
    destination = Path(destination).expanduser()
    if is_inside(destination, home):
        raise InputError(
            f"'{destination}' is inside Keel's own folder ({home}).",
            "Back up to a folder outside it, e.g. on another disk: python -m core backup /media/usb/keel-backup",
        )
    try:
        if destination.exists() and (not destination.is_dir() or any(destination.iterdir())):
            raise InputError(f"'{destination}' is not an empty folder.", "Choose a new or empty folder for the backup.")
        destination.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise InputError(
            f"Keel cannot create the backup folder '{destination}' ({exc.strerror}).",
            "Choose a folder you can write to, e.g. one in your home folder.",
        ) from None
    with connect(home) as db:
        if getattr(db, "is_postgres", False):  # a backup is a SQLite keel.db whichever engine holds the store
            snapshot_to_sqlite(db, destination / "keel.db")
        else:
            target = sqlite3.connect(str(destination / "keel.db"))
            try:
                db.conn.backup(target)
                target.execute("PRAGMA journal_mode=DELETE")
            finally:
                target.close()
    make_private(destination / "keel.db")
    snapshot = sqlite3.connect(f"file:{quote(str(destination / 'keel.db'))}?mode=ro", uri=True)
    try:
        needed = referenced_files(snapshot)
    finally:
        snapshot.close()
    files = {"keel.db": file_sha256(destination / "keel.db")}
    for kind, name, sha in needed:
        (destination / kind).mkdir(exist_ok=True, mode=0o700)
        source = home / kind / name
        if not source.is_file():
            raise IntegrityError(
                f"The stored file {kind}/{name[:16]}… is missing, so the backup is incomplete.",
                "Run `python -m core check` to see what is damaged; the backup folder can be deleted.",
            )
        try:
            _copy_verified(source, destination / kind, name, sha)
        except IntegrityError:
            raise IntegrityError(
                f"The stored file {kind}/{name[:16]}… is damaged, so the backup stopped.",
                "Run `python -m core check` to see what is damaged; the backup folder can be deleted.",
            ) from None
        files[f"{kind}/{name}"] = sha
    key = home / "secret.key"
    if key.exists():
        write_file_atomically(destination, "secret.key", key.read_bytes())
        files["secret.key"] = file_sha256(destination / "secret.key")
    manifest = json.dumps(
        {"keel_backup": 1, "created_at": utc_now(), "files": files}, sort_keys=True, indent=1
    ).encode()
    write_file_atomically(destination, MANIFEST, manifest)
    write_file_atomically(destination, SIGNATURE, hmac.new(install_key(home), manifest, "sha256").hexdigest().encode())
    return destination


@dataclass(frozen=True)
class RestoreReport:
    datasets: int
    models: int
    files_written: int  # copied in (new here, or replacing a damaged copy)
    quarantined: int  # files here that the restored database does not use, moved to quarantine/
    kept_damaged: str | None  # where the damaged database was set aside, if there was one
    trusted: bool  # restored with --trust (not signed by this installation)


def _not_a_backup(source: Path, why: str) -> InputError:
    return InputError(
        f"'{source}' is not a Keel backup Keel can restore ({why}).",
        "Pick the folder `python -m core backup` created; nothing was changed.",
    )


def _read_manifest(source: Path, home: Path, trust: bool) -> tuple[dict[str, str] | None, bool]:
    """The backup's file list (None when it has none) and whether this installation signed it.

    A backup this installation did not sign (made elsewhere, made by an older Keel, or changed
    since) is refused unless ``trust``.
    """
    manifest_path, signature_path = source / MANIFEST, source / SIGNATURE
    signed = False
    files: dict[str, str] | None = None
    if manifest_path.is_file():
        raw = manifest_path.read_bytes()
        if signature_path.is_file():
            expected = hmac.new(install_key(home), raw, "sha256").hexdigest().encode()
            signed = hmac.compare_digest(expected, signature_path.read_bytes().strip())
        try:
            parsed = json.loads(raw)
            files = {str(k): str(v) for k, v in parsed["files"].items()}
        except (ValueError, KeyError, TypeError, AttributeError):
            raise _not_a_backup(source, "its manifest is unreadable") from None
    if not signed and not trust:
        raise InputError(
            f"The backup in '{source}' was not made by this Keel installation, or was changed after it was made.",
            "If you made it yourself (e.g. on your old computer) and nobody else could change it, run "
            f"`python -m core restore '{source}' --trust`. Trusting it means: its data and models become yours as "
            "they are, and models saved by a Keel older than this version are converted once, which runs code "
            "from the backup. Nothing was changed.",
        )
    return files, signed


def _check_backup_database(source: Path) -> list[tuple[str, str, str]]:
    path = source / "keel.db"
    try:
        with path.open("rb") as fh:
            if fh.read(16) != SQLITE_MAGIC:
                raise _not_a_backup(source, "its keel.db is not a database")
        conn = sqlite3.connect(f"file:{quote(str(path))}?mode=ro&immutable=1", uri=True)
    except OSError as exc:
        raise _not_a_backup(source, f"its keel.db cannot be read: {exc.strerror}") from None
    try:
        if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise IntegrityError("The backup's database is damaged.", "Use another backup; nothing was changed.")
        db = Database(conn)
        try:
            check_is_keel(db, path)
        except StoreDamagedError as exc:
            raise _not_a_backup(source, exc.message.rstrip(".")) from None
        if "datasets" not in db.table_names() or "models" not in db.table_names():
            raise _not_a_backup(source, "its keel.db does not hold Keel's tables")
        return referenced_files(conn)
    except sqlite3.DatabaseError as exc:
        raise _not_a_backup(source, f"its keel.db is damaged: {exc}") from None
    finally:
        conn.close()


def _live_database_ok(home: Path) -> bool:
    path = db_path(home)
    if database_problem(home) or not path.is_file() or path.stat().st_size == 0:
        return False
    try:
        conn = raw_connect(path)
        try:
            return conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return False


def restore(source: Path, home: Path | None = None, *, trust: bool = False) -> RestoreReport:
    """Put a backup made by :func:`backup` in place. Only adds: nothing is deleted.

    The whole backup is checked first (its signature, its database, every file against its
    SHA-256); a problem stops the restore before anything changes. Then the files are copied in
    (an existing copy whose content differs is rewritten), and the database is replaced in one
    step: through SQLite's backup API into a healthy live database (one transaction), or, when the
    live one is missing or damaged, by renaming a complete copy over it after setting the damaged
    one aside; on PostgreSQL, by emptying and refilling its tables in one transaction. A crash at any point leaves either the old store or the restored one. Files the
    restored database does not use are moved to ``quarantine/``, never deleted.
    """
    home = home or keel_home()
    source = Path(source).expanduser()
    try:
        if not source.is_dir():
            raise _not_a_backup(source, "no such folder")
        if not (source / "keel.db").is_file():
            raise _not_a_backup(source, "no keel.db in it")
    except OSError as exc:  # e.g. a name longer than the file system allows
        raise _not_a_backup(source, exc.strerror or "it cannot be read") from None
    if is_inside(source, home):
        raise InputError(f"'{source}' is inside Keel's own folder ({home}).", "Restore from the backup's own folder.")
    manifest, signed = _read_manifest(source, home, trust)
    needed = _check_backup_database(source)
    listed = dict(manifest or {})
    if manifest is not None and listed.get("keel.db") != file_sha256(source / "keel.db"):
        raise IntegrityError(
            "The backup's database differs from the one its manifest lists.", "Use another backup; nothing was changed."
        )
    for kind, name, sha in needed:
        path = source / kind / name
        if (
            not path.is_file()
            or file_sha256(path) != sha
            or (manifest is not None and listed.get(f"{kind}/{name}") != sha)
        ):
            raise IntegrityError(
                f"The backup is missing or has a damaged file ({kind}/{sha[:12]}…).",
                "Use another backup; nothing was changed.",
            )
    # -- checked: now put it in place
    written = 0
    for kind, name, sha in needed:
        written += _copy_verified(source / kind / name, kind_folder(kind, home), name, sha)
    url = database_url()
    if url:
        replace_from_sqlite(source / "keel.db", home, url)
        kept = None
    else:
        kept = _replace_database(source / "keel.db", home)
    if (source / "secret.key").is_file():
        write_file_atomically(home, "secret.key", (source / "secret.key").read_bytes())
        make_private(home / "secret.key")
    forget_checked(home)
    with connect(home) as db:  # migrations bring an older backup up to date
        datasets = db.execute("SELECT COUNT(*) FROM datasets").fetchone()[0]
        models = db.execute("SELECT COUNT(*) FROM models").fetchone()[0]
        audit_event(db, "restore", "store", None, trusted=not signed, files_written=written)
    moved = quarantine_orphans(home, temp_grace_seconds=0)
    return RestoreReport(int(datasets), int(models), written, moved, kept, not signed)


def _replace_database(backup_db: Path, home: Path) -> str | None:
    """Make the backup's database the live one in one step; return where a damaged one was kept."""
    live = db_path(home)
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(home / ".migrate.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            src = sqlite3.connect(f"file:{quote(str(backup_db))}?mode=ro&immutable=1", uri=True)
            try:
                if _live_database_ok(home):
                    dst = raw_connect(live)
                    try:
                        src.backup(dst)  # one transaction on the live database: all or nothing
                    finally:
                        dst.close()
                    return None
                fresh = home / "keel.db.restoring"
                with contextlib.suppress(FileNotFoundError):
                    fresh.unlink()
                dst = sqlite3.connect(str(fresh))
                try:
                    src.backup(dst)
                finally:
                    dst.close()
            finally:
                src.close()
            make_private(fresh)
            with open(fresh, "rb+") as fh:
                os.fsync(fh.fileno())
            kept = None
            if live.exists():
                kept_path = home / f"keel.db.damaged-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}"
                shutil.copyfile(live, kept_path) if live.is_file() else os.replace(live, kept_path)
                kept = str(kept_path)
            for name in ("keel.db-wal", "keel.db-shm", "keel.db-journal"):
                stale = home / name
                if stale.exists():  # a damaged database's log must never be applied to the restored one
                    if kept:
                        shutil.copyfile(stale, Path(kept + name.removeprefix("keel.db")))
                    stale.unlink()
            os.replace(fresh, live)
            fsync_folder(home)
            return kept
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)

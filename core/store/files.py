"""Files under KEEL_HOME: content-addressed writes through a temp file and a rename, fingerprints, the
quarantine folder, keys, and which files a database refers to."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from core.paths import keel_home


def stored_files(home: Path) -> list[Path]:
    """Dataset and model files kept under ``home`` (not temp files, not the quarantine)."""
    found: list[Path] = []
    for kind in ("datasets", "models"):
        folder = home / kind
        if folder.is_dir():
            found.extend(p for p in folder.iterdir() if not p.name.startswith(".tmp-"))
    return found


def kind_folder(kind: str, home: Path | None = None) -> Path:
    folder = (home or keel_home()) / kind
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_file_atomically(
    folder: Path, final_name: str, payload: bytes, *, sha: str | None = None, trust_existing: bool = False
) -> Path:
    """Write ``payload`` to ``folder/final_name`` via a temp file (0600) + fsync + rename.

    With ``sha`` (content-addressed files) an existing file is kept only if its content really has
    that hash — a damaged copy of the same size is rewritten. ``trust_existing`` skips that check
    for a file this same operation has just verified or written.
    """
    final = folder / final_name
    if sha is not None and final.is_file():
        if trust_existing and final.stat().st_size == len(payload):
            return final
        with contextlib.suppress(OSError):
            if file_sha256(final) == sha:
                return final
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, final)
        fsync_folder(folder)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return final


def fsync_folder(folder: Path) -> None:
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def sha256_of(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def quarantine_file(path: Path, home: Path, kind: str) -> Path:
    """Move a stored file no record refers to into ``quarantine/<kind>/`` (never delete it)."""
    folder = home / "quarantine" / kind
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = folder / path.name
    n = 1
    while target.exists():
        n += 1
        target = folder / f"{path.name}.{n}"
    os.replace(path, target)
    return target


def quarantined(home: Path | None = None) -> list[Path]:
    """Files moved into the quarantine folder, oldest first."""
    folder = (home or keel_home()) / "quarantine"
    if not folder.is_dir():
        return []
    return sorted((p for p in folder.rglob("*") if p.is_file()), key=lambda p: p.stat().st_mtime)


MODEL_SUFFIX = {"skops": ".skops", "joblib": ".joblib"}


def unreferenced_files(db: Database, home: Path, candidates: list[tuple[str, str]]) -> list[Path]:
    """The files (and quarantined copies) of deleted records that no remaining record uses."""
    live = {r[0] for r in db.execute("SELECT sha256 FROM datasets UNION SELECT artifact_sha256 FROM models")}
    paths: list[Path] = []
    for sha, kind in candidates:
        if sha in live:
            continue
        for folder in (home / kind, home / "quarantine" / kind):
            if folder.is_dir():
                paths.extend(p for p in folder.iterdir() if p.name.startswith(sha))
    return paths


def delete_files(paths: list[Path]) -> None:
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink()


def secret_key(home: Path | None = None) -> bytes:
    """This installation's key for pseudonymising values (keyed hash). Created once, private."""
    return key_file((home or keel_home()) / "secret.key")


def key_file(path: Path) -> bytes:
    """32 random bytes kept in ``path`` (0600), created once even with several processes racing."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp_name = f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}"
    try:
        write_file_atomically(path.parent, tmp_name, os.urandom(32))
        os.chmod(path.parent / tmp_name, 0o600)
        os.link(path.parent / tmp_name, path)  # fails if another process won the race
    except FileExistsError:
        pass
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path.parent / tmp_name)
    return path.read_bytes()


def referenced_files(db: Any) -> list[tuple[str, str, str]]:
    """(kind, file name, sha256) of every file a database refers to."""
    found = [("datasets", f"{sha}.parquet", sha) for (sha,) in db.execute("SELECT DISTINCT sha256 FROM datasets")]
    columns = (
        set(db.columns("models")) if hasattr(db, "columns") else {r[1] for r in db.execute("PRAGMA table_info(models)")}
    )
    query = (
        "SELECT DISTINCT artifact_sha256, artifact_format FROM models"
        if "artifact_format" in columns
        else "SELECT DISTINCT artifact_sha256, 'joblib' FROM models"
    )
    found += [("models", f"{sha}{MODEL_SUFFIX.get(fmt, '.skops')}", sha) for sha, fmt in db.execute(query)]
    return found

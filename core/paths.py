"""Where Keel keeps things, and where it may write files a user asked for.

* :func:`keel_home` is the folder named by ``KEEL_HOME`` (default ``~/.keel``), created private
  (0700): it holds the user's data and models.
* :func:`output_path` checks a path the user gave for a file Keel writes (``predict --out``, a
  forecast, an export): never inside ``KEEL_HOME``, never over an existing file unless the user
  said ``--overwrite``, never over a folder or a device.
* :func:`write_output` writes such a file through a temporary file in the same folder and a
  rename, so a crash or a full disk never leaves half a file where the user's file was.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

from core.errors import InputError


def keel_home() -> Path:
    """Return Keel's home folder, creating it (private to this user) if it does not exist yet."""
    raw = os.environ.get("KEEL_HOME", "").strip()
    home = Path(raw).expanduser() if raw else Path.home() / ".keel"
    if not home.is_dir():
        try:
            home.mkdir(parents=True, exist_ok=True, mode=0o700)
        except FileExistsError:
            raise InputError(
                f"Keel's folder '{home}' is a file, not a folder.",
                "Set KEEL_HOME to a folder (or move that file away), then try again.",
            ) from None
        except OSError as exc:
            raise InputError(
                f"Keel cannot create its folder '{home}' ({exc.strerror}).",
                "Set KEEL_HOME to a folder you can write to, then try again.",
            ) from None
        with contextlib.suppress(OSError):
            os.chmod(home, 0o700)
    return home


def _real(path: Path) -> Path:
    """The absolute path with every symbolic link followed (as far as it exists)."""
    return Path(os.path.realpath(os.path.abspath(os.path.expanduser(path))))


def is_inside(path: Path, folder: Path) -> bool:
    """True when ``path`` is ``folder`` or lies anywhere below it (links followed)."""
    inner, outer = _real(path), _real(folder)
    return inner == outer or outer in inner.parents


def output_path(raw: str | Path, *, overwrite: bool = False, what: str = "output file") -> Path:
    """Check a path the user named for a file Keel is about to write; return it.

    Refused (``InputError``): an empty name; a path inside ``KEEL_HOME`` (Keel's own database and
    files must never be replaced by an export); an existing folder, device or other non-file; an
    existing file unless ``overwrite``; a folder that does not exist.
    """
    text = str(raw)
    if not text.strip():
        raise InputError(f"The {what} has no name.", "Give a file name, e.g. --out scored.csv.")
    path = Path(text).expanduser()
    home = keel_home()
    if is_inside(path, home):
        raise InputError(
            f"'{text}' is inside Keel's own folder ({home}), where Keel keeps your data and models.",
            "Write the file somewhere else, e.g. your working folder: --out scored.csv.",
        )
    try:
        info = path.lstat()
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise InputError(
            f"Keel cannot use '{text}' as the {what} ({exc.strerror}).", "Choose a shorter or simpler file name."
        ) from None
    if path.is_dir():
        raise InputError(f"'{text}' is a folder, not a file.", "Add a file name, e.g. --out scored.csv.")
    if info is not None:
        target = path.stat() if path.exists() else info  # a dangling link: judge the link itself
        if not (stat.S_ISREG(target.st_mode) or stat.S_ISLNK(target.st_mode)):
            raise InputError(
                f"'{text}' is not an ordinary file, so Keel will not write over it.", "Choose a new file name."
            )
        if not overwrite:
            raise InputError(
                f"'{text}' already exists; Keel does not replace files unless asked.",
                "Choose a new file name, or add --overwrite to replace it.",
            )
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise InputError(f"The folder for '{text}' does not exist.", "Create the folder first, or choose another path.")
    return path


def write_output(path: Path, content: bytes | Callable[[IO[bytes]], None]) -> Path:
    """Write a user's output file through a temporary file beside it and an atomic rename.

    ``content`` is the bytes to write, or a function that writes into a binary file object. A failure removes
    the temporary file and leaves whatever was at ``path`` before untouched; a system refusal (no space, no
    permission) is the user's :class:`InputError`. A symbolic link at ``path`` is replaced by the new file;
    the file it pointed to is not written through.
    """
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name[:40]}.", suffix=".part")
    except OSError as exc:
        raise InputError(
            f"Keel cannot write into the folder of '{path}' ({exc.strerror}).", "Choose a folder you can write to."
        ) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            if isinstance(content, bytes):
                fh.write(content)
            else:
                content(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)  # as an ordinary new file would be (mkstemp makes 0600)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise InputError(
                f"Keel could not write '{path}': {exc.strerror or 'permission denied'}.",
                "Choose a folder you can write to, or another file name.",
            ) from None
        raise
    return path


def _read_umask() -> int:
    mask = os.umask(0o022)  # the only way to read it; done once, at import, before any thread starts
    os.umask(mask)
    return mask


_UMASK = _read_umask()

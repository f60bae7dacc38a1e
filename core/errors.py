"""Keel's error contract.

``core`` raises :class:`KeelError` (or a subclass) for anything the *user* can fix: a bad file,
a wrong column name, a model that no longer exists. Each carries a plain ``message`` (what went
wrong, naming the file/column/row) and a ``hint`` (what to do next). Pages show both; the CLI
prints them on stderr and exits 2.

Anything else is a bug: :func:`log_bug` writes it under ``KEEL_HOME/logs`` with a short id that
the user is shown instead of a traceback (the CLI exits 1).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import traceback
from pathlib import Path


class KeelError(ValueError):
    """A problem the user can fix. ``message`` says what happened, ``hint`` what to do."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class InputError(KeelError):
    """The user's file, column choice or parameter is not usable."""


class NotFoundError(KeelError):
    """A dataset, model or batch the user named does not exist (any more)."""


class IntegrityError(KeelError):
    """Something stored by Keel no longer matches what was recorded (e.g. an artifact's hash)."""


def log_bug(exc: BaseException, home: Path | None = None, context: str = "") -> str:
    """Record an unexpected exception under ``KEEL_HOME/logs/errors.log``; return its short id.

    Only the exception type, its traceback frames and ``context`` are written: exception
    messages from libraries can quote cell values, so the message text is kept out of the log.
    """
    from core.paths import keel_home  # local import: paths is tiny, keeps errors import-light

    bug_id = secrets.token_hex(4)
    folder = (home or keel_home()) / "logs"
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        frames = traceback.extract_tb(exc.__traceback__)
        record = {
            "id": bug_id,
            "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "type": type(exc).__qualname__,
            "context": context,
            "frames": [f"{f.filename}:{f.lineno} in {f.name}" for f in frames],
        }
        fd = os.open(folder / "errors.log", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record) + "\n")
    except OSError:
        pass  # logging must never turn one bug into two
    return bug_id

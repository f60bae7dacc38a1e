"""Bugs: an unexpected exception is logged under ``KEEL_HOME/logs/errors.log`` with a short id, and
the user sees that id instead of a traceback (the error contract in ../shared/DESIGN.md)."""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import traceback
from pathlib import Path

from core.paths import keel_home


def log_bug(exc: BaseException, home: Path | None = None, context: str = "") -> str:
    """Record an unexpected exception under ``KEEL_HOME/logs/errors.log``; return its short id.

    Only the exception type, its traceback frames and ``context`` are written: exception
    messages from libraries can quote cell values, so the message text is kept out of the log.
    """
    bug_id = secrets.token_hex(4)
    folder = (home or keel_home()) / "logs"
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        frames = traceback.extract_tb(exc.__traceback__)
        record = {
            "id": bug_id,
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
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

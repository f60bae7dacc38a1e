"""Where Keel keeps things: the folder named by ``KEEL_HOME`` (default ``~/.keel``)."""

from __future__ import annotations

import os
from pathlib import Path


def keel_home() -> Path:
    """Return Keel's home folder, creating it if it does not exist yet."""
    raw = os.environ.get("KEEL_HOME", "").strip()
    home = Path(raw).expanduser() if raw else Path.home() / ".keel"
    home.mkdir(parents=True, exist_ok=True)
    return home

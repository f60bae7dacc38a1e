"""AppTest helpers: run a page of the real app with the real store in a temp KEEL_HOME."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


def app_test(page: str = "app.py") -> AppTest:
    return AppTest.from_file(str(ROOT / page), default_timeout=120)


def texts(at: AppTest) -> str:
    """All visible text of the common elements, for 'the message is there' assertions."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "success", "warning", "error"):
        parts.extend(str(e.value) for e in getattr(at, kind))
    return "\n".join(parts)

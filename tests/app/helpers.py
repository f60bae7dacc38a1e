"""AppTest helpers: run a page of the real app with the real store in a temp KEEL_HOME.

Pages are always reached from the entrypoint (``app.py``) with ``switch_page``, as a user would:
a page's sidebar links are only valid relative to the entrypoint.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


def app_test() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)


def open_page(page: str, **session: Any) -> AppTest:
    """Start the app, seed session state, and open ``page`` (e.g. "pages/1_Data.py")."""
    at = app_test()
    for key, value in session.items():
        at.session_state[key] = value
    at.run()
    if page != "app.py":
        at.switch_page(page).run()
    return at


def texts(at: AppTest) -> str:
    """All visible text of the common elements, for 'the message is there' assertions."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "success", "warning", "error"):
        parts.extend(str(e.value) for e in getattr(at, kind))
    return re.sub(r"\\(.)", r"\1", "\n".join(parts))  # undo ui.common.esc's Markdown escaping

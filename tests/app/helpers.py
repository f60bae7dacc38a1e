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
    return plain("\n".join(parts))


def plain(markdown: str) -> str:
    """What the reader sees of ``ui.common.esc``'d text: no backslash escapes, no invisible word joiners."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")


# ----------------------------------------------------------------------------- hostile text
# Column names and values a user's file may hold that Markdown (or Plotly) would turn into a live
# link, a fetched image or HTML. ``port`` is where the browser test's listener waits for a request.
def hostile_names(port: int) -> dict[str, str]:
    return {
        "date": "when <a href=http://evil.example/d>day</a>",
        "product": "product www.evil.example",
        "units": f"![b](http://127.0.0.1:{port}/b.png) bill",
        "score": "http://evil.example/n",
        "channel": f"<img src=http://127.0.0.1:{port}/x.png>",
        "target": "[verify your account](http://evil.example/x)",
    }


HOSTILE_PRODUCTS = ("[Apples](http://evil.example/p)", "Pears bob@evil.example")
HOSTILE_CHANNELS = ("<a href=http://evil.example/a>click</a>", "<script>alert(1)</script>", "www.evil.example/c")
HOSTILE_CLASSES = ("[yes](http://evil.example/y)", "no www.evil.example")


def hostile_frame(port: int = 9, days: int = 60, shift: float = 0.0):
    """Two products' daily sales (forecastable) with a yes/no column to predict (trainable), every
    column name and text value hostile. ``shift`` moves the numbers (a drifted batch for Monitor)."""
    import numpy as np
    import pandas as pd

    names = hostile_names(port)
    rng = np.random.default_rng(7)
    rows = []
    for product in HOSTILE_PRODUCTS:
        for i, day in enumerate(pd.date_range("2024-01-01", periods=days, freq="D")):
            score = float(rng.normal()) + shift
            rows.append({
                names["date"]: day.date().isoformat(),
                names["product"]: product,
                names["units"]: round(20 + 5 * np.sin(i / 7 * 2 * np.pi) + rng.normal() + 3 * shift, 1),
                names["score"]: round(score, 3),
                names["channel"]: HOSTILE_CHANNELS[i % 3],
                names["target"]: HOSTILE_CLASSES[0] if score + rng.normal(0, 0.5) > shift else HOSTILE_CLASSES[1],
            })
    return pd.DataFrame(rows)

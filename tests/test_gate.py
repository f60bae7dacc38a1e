"""The lint and type gate (issue 15): ruff (lint and format) and mypy are clean, and core/ keeps its shape.

Run as part of ./test and CI. Fix a failure with `.venv/bin/ruff check --fix`, `.venv/bin/ruff format` and the
messages mypy prints; `.venv/bin/python tools/architecture.py` lists size, cycle and private-name problems.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tools.architecture import measure, report

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ["core", "ui", "pages", "app.py", "tools"]


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *argv], cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_finds_nothing() -> None:
    done = _run("ruff", "check", *PRODUCT)
    assert done.returncode == 0, done.stdout[-4000:]


def test_the_code_is_formatted() -> None:
    done = _run("ruff", "format", "--check", *PRODUCT)
    assert done.returncode == 0, done.stdout[-4000:]


def test_mypy_finds_nothing() -> None:
    done = _run("mypy", "--cache-dir", str(ROOT / ".mypy_cache"))
    assert done.returncode == 0 and "Success" in done.stdout, done.stdout[-4000:]


def test_core_keeps_its_shape() -> None:
    """No module over 800 lines, no function over 80, no import cycle, no private name used across modules."""
    shape = measure()
    assert len(shape.modules) > 100  # the measurement really read core/
    assert report(shape) == []

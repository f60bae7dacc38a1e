"""Shared fixtures: every test gets its own KEEL_HOME in a temporary folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests explore new random cases on every local run; in CI they replay a fixed set, so a
# case nobody has seen yet cannot block a landing at random (found cases get a regression test).
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def keel_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "keel_home"
    monkeypatch.setenv("KEEL_HOME", str(home))
    return home

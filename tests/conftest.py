"""Shared fixtures: every test gets its own KEEL_HOME in a temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def keel_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "keel_home"
    monkeypatch.setenv("KEEL_HOME", str(home))
    return home

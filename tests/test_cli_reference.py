"""docs/cli.md is the CLI's own --help: regenerated in memory, it must match the file word for word."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.sandbox import sandbox_env
from tools import cli_reference

ROOT = Path(__file__).resolve().parents[1]


def test_cli_reference_is_up_to_date() -> None:
    assert cli_reference.TARGET.read_text(encoding="utf-8") == cli_reference.render(), (
        "docs/cli.md is stale: run .venv/bin/python tools/cli_reference.py"
    )


def test_cli_reference_covers_every_command_with_its_own_help() -> None:
    text = cli_reference.render()
    names = cli_reference.command_names()
    assert names[:6] == ["profile", "train", "predict", "forecast", "drift", "monitor"]
    # the contract's commands (DESIGN.md, and its additions) are all there, each once
    contract = {"retrain", "rollback", "backup", "restore", "models", "check", "explore", "export", "serve", "apikey"}
    assert contract <= set(names) and len(names) == len(set(names)) >= 20
    for name in names:
        assert f"## `{name}`\n" in text and f"usage: python -m core {name} [-h] [--json]" in text, name
    assert "--fail-on {never,review,retrain}" in text and "--horizon HORIZON" in text


def test_the_staleness_check_fails_on_a_changed_reference(tmp_path: Path, monkeypatch) -> None:
    stale = tmp_path / "cli.md"
    stale.write_text(cli_reference.render().replace("--horizon HORIZON", "--horizon H"), encoding="utf-8")
    monkeypatch.setattr(cli_reference, "TARGET", stale)
    assert cli_reference.main(["--check"]) == 1
    stale.write_text(cli_reference.render(), encoding="utf-8")
    assert cli_reference.main(["--check"]) == 0


def test_the_reference_is_what_the_command_line_prints(tmp_path: Path) -> None:
    """The in-process rendering is the same text a user gets from `python -m core forecast --help`."""
    proc = subprocess.run(
        [sys.executable, "-m", "core", "forecast", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60,
        env=sandbox_env(COLUMNS=str(cli_reference.WIDTH), KEEL_HOME=str(tmp_path)),
    )
    assert proc.returncode == 0
    assert "```text\n" + proc.stdout.rstrip() + "\n```" in cli_reference.render()

"""The README's command examples work as written (issue 16): every ``python -m core`` line in README.md's fenced
code blocks runs, in order, in a fresh KEEL_HOME, from a folder holding the sample data (``data/``) and the
few files the examples name (``new_customers.csv``, ``monthly.csv``, …), made here from the samples.

A line passes when it exits 0, or with the code the README documents for it (``monitor --fail-on`` may exit 3;
the team block's ``check`` against an unreachable PostgreSQL server exits 2 and says so). Environment variables
a block exports apply to the lines after them in that block only; a PostgreSQL server's address is pointed at
a closed local port, so nothing leaves the machine.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PYTHON = ".venv/bin/python"
CLOSED_PORT = "postgresql://keel:secret@127.0.0.1:9/keel"  # no server listens on port 9 here

pytestmark = pytest.mark.slow


def fenced_blocks(text: str) -> list[list[str]]:
    """The lines of each fenced code block, in order."""
    blocks, current = [], None
    for line in text.splitlines():
        if line.startswith("```"):
            if current is None:
                current = []
            else:
                blocks.append(current)
                current = None
        elif current is not None:
            current.append(line)
    return blocks


def strip_comment(line: str) -> str:
    return re.sub(r"\s+#\s.*$", "", line).strip()


def examples(text: str) -> list[tuple[list[str], dict[str, str]]]:
    """Each ``python -m core`` example as arguments, with the variables its block exported before it."""
    found = []
    for block in fenced_blocks(text):
        env: dict[str, str] = {}
        for raw in block:
            line = strip_comment(raw)
            if line.startswith("export "):
                name, _, value = line.removeprefix("export ").partition("=")
                env[name] = CLOSED_PORT if name == "KEEL_DATABASE_URL" else value
            elif re.match(r"^(\S*python\S*) -m core\b", line):
                found.append((shlex.split(line)[3:], dict(env)))
    return found


def allowed_codes(args: list[str], env: dict[str, str]) -> set[int]:
    if "KEEL_DATABASE_URL" in env:
        return {2}  # "says plainly if the server is unreachable"
    if "--fail-on" in args:
        return {0, 3}  # exit 3 when the recommended action is at least that
    return {0}


def make_inputs(folder: Path) -> None:
    """The files the examples name beside the samples, made from the samples (seeded)."""
    shutil.copytree(ROOT / "data", folder / "data", ignore=shutil.ignore_patterns("*.py", "*.md"))
    churn = pd.read_csv(ROOT / "data" / "customer_churn.csv")
    churn.sample(200, random_state=1).drop(columns=["churned"]).to_csv(folder / "new_customers.csv", index=False)
    churn.iloc[:2000].to_csv(folder / "last_year.csv", index=False)
    churn.iloc[2000:3000].to_csv(folder / "this_month.csv", index=False)
    churn.iloc[3000:].to_csv(folder / "labelled_batch.csv", index=False)
    rng = np.random.default_rng(0)
    months = pd.date_range("2019-01-01", periods=72, freq="MS")
    season = 1 + 0.3 * np.sin(2 * np.pi * months.month / 12)
    pd.DataFrame(
        {
            "month": months.strftime("%Y-%m"),
            **{
                fruit: np.round(base * season * rng.normal(1, 0.05, 72))
                for fruit, base in (("Apples", 400), ("Pears", 150), ("Plums", 80))
            },
        }
    ).to_csv(folder / "monthly.csv", index=False)


def test_readme_has_command_examples() -> None:
    commands = [args[0] for args, _ in examples(README.read_text(encoding="utf-8"))]
    assert {"profile", "train", "predict", "forecast", "drift", "monitor", "models", "check"} <= set(commands)


def test_check_says_plainly_that_the_server_is_unreachable(tmp_path: Path, keel_home: Path) -> None:
    """The team block's promise: `check` says plainly if the server is unreachable (not: restore a backup)."""
    proc = subprocess.run(
        [sys.executable, "-m", "core", "check", "--json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "KEEL_HOME": str(keel_home), "PYTHONPATH": str(ROOT), "KEEL_DATABASE_URL": CLOSED_PORT},
    )
    assert proc.returncode == 2
    (problem,) = json.loads(proc.stdout)["problems"]
    assert problem["detail"].startswith("Keel cannot reach its database at postgresql://keel@127.0.0.1:9/keel")
    assert "Check that the server is running" in problem["hint"] and "restore" not in problem["hint"].lower()


def test_every_readme_example_runs_as_written(tmp_path: Path, keel_home: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    make_inputs(work)
    failures = []
    for args, env in examples(README.read_text(encoding="utf-8")):
        outside = [a for a in args if a.startswith(("/", "~"))]
        if outside:  # an example names files relative to where it runs, so it runs anywhere (and here, safely)
            failures.append(f"python -m core {shlex.join(args)} names a path outside its folder: {outside}")
            continue
        proc = subprocess.run(
            [sys.executable, "-m", "core", *args],
            cwd=work,
            capture_output=True,
            text=True,
            timeout=600,
            env={**os.environ, "KEEL_HOME": str(keel_home), "PYTHONPATH": str(ROOT), **env},
        )
        if proc.returncode not in allowed_codes(args, env):
            failures.append(f"python -m core {shlex.join(args)} -> exit {proc.returncode}\n{proc.stderr[-800:]}")
        elif proc.returncode == 2:  # a documented refusal says what and what to do (check lists its problems)
            said = proc.stdout if args[0] == "check" else proc.stderr
            if not (("error: " in said and "hint: " in said) or "problem" in said):
                failures.append(f"python -m core {shlex.join(args)} -> exit 2 without a plain reason: {said[-400:]}")
    assert not failures, "\n\n".join(failures)

"""A real ``streamlit run`` server on loopback, driven by Debian's headless Chromium.

In CI (``CI=true``) these tests must run: a missing browser is a failure, never a skip.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = ROOT / "screenshots" / "tmp"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("CI") == "true":
        raise pytest.UsageError(f"CI=true but no Chromium at {CHROMIUM}: browser tests must run in CI.")
    skip = pytest.mark.skip(reason="no Chromium here (install Debian's chromium); CI never skips these")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


# One implementation of "a real streamlit run on loopback", shared with the load benchmark.
from bench.load_test import Server  # noqa: E402


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    base = tmp_path_factory.mktemp("e2e")
    srv = Server(base / "keel_home", base / "streamlit.log")
    yield srv
    srv.stop()


@pytest.fixture()
def fresh_server(tmp_path: Path) -> Iterator[Server]:
    """A server nobody has visited yet (for deep-link tests)."""
    srv = Server(tmp_path / "keel_home_fresh", tmp_path / "streamlit_fresh.log")
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    return {**browser_context_args, "viewport": {"width": 1366, "height": 2200}}


def wait_idle(page, timeout: float = 60_000) -> None:
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout)


def shot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def open_sample_and_train(page, url: str, sample: int, before_training=None, timeout: float = 240_000) -> None:
    """Home -> "Open this sample" (``sample``-th) -> findings -> Train page -> train and wait for the result.

    ``before_training(page)`` runs on the Train page just before the button is clicked (extra checks)."""
    page.goto(url)
    wait_idle(page)
    page.get_by_role("button", name="Open this sample").nth(sample).click()
    expect(page.get_by_role("heading", name="Check my data")).to_be_visible(timeout=30_000)
    wait_idle(page)
    page.get_by_role("link", name="Train a model").click()
    expect(page.get_by_role("heading", name="Train a model")).to_be_visible(timeout=30_000)
    wait_idle(page)
    if before_training is not None:
        before_training(page)
    page.get_by_role("button", name="Train and compare").click()
    expect(page.get_by_text(re.compile(r"Model trained in \d+ s and kept as"))).to_be_visible(timeout=timeout)
    wait_idle(page)

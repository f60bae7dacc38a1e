"""Load smoke test: 3 real Chromium users at once against a real server, Home -> sample -> Data findings.

The full ramp (5, 10, 20 users walking every page, training included) is ``bench/load_test.py``.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bench.load_test import CHROMIUM, print_step, run_step

pytestmark = pytest.mark.browser


@pytest.mark.skipif(not Path(CHROMIUM).exists() and os.environ.get("CI") != "true",
                    reason="no Chromium here (install Debian's chromium); CI never skips this")
def test_three_concurrent_users_all_succeed(tmp_path: Path) -> None:
    lines: list[str] = []
    # In its own thread: pytest-playwright's sync fixtures may already run an event loop in this one,
    # and the load test drives its browsers with asyncio.
    with ThreadPoolExecutor(1) as pool:
        rep = pool.submit(run_step, users=3, trainers=0, timeout_s=45, train_timeout_s=60, settle_s=1, short=True,
                          warm=False, log=lines.append, workdir=tmp_path).result(timeout=600)
    print_step(rep, out=lines.append)
    report = "\n".join(lines)
    assert rep.server_alive, report
    assert rep.users_ok == 3 and rep.loads == 6 and rep.loads_ok == 6, report
    # three different samples, each reaching its findings
    assert rep.failures == [], report

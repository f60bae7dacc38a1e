"""The cluster benchmark's options: a malformed --workers is a usage error, not a traceback."""

import subprocess
import sys
from pathlib import Path

import pytest

from bench.bench_cluster import _sizes

ROOT = Path(__file__).resolve().parents[2]


def test_workers_takes_comma_separated_cluster_sizes():
    assert _sizes("2") == [2]
    assert _sizes("1,2,4") == [1, 2, 4]


@pytest.mark.parametrize(("text", "says"), [("abc", "not a list of whole numbers"), ("2,0", "must be 1 or more")])
def test_a_malformed_workers_value_is_a_usage_error(text, says):
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench_cluster.py"), "--workers", text],
        capture_output=True, text=True, cwd=ROOT, timeout=60,
    )
    assert run.returncode == 2 and says in run.stderr and "Traceback" not in run.stderr

"""The load test with the store on PostgreSQL: starts a server from Debian's packages on loopback (as the tests
do, tests/pg.py), creates a fresh database, and runs bench/load_test.py with KEEL_DATABASE_URL set to it.

    .venv/bin/python bench/load_test_pg.py --users 10 --trainers 0 --short   # same flags as bench/load_test.py
"""

from __future__ import annotations

import os
import runpy
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.pg import database, start_server  # noqa: E402

if __name__ == "__main__":
    server = start_server()
    if isinstance(server, str):
        raise SystemExit(server)
    try:
        with database(server) as url:
            os.environ["KEEL_DATABASE_URL"] = url
            sys.argv = [str(ROOT / "bench" / "load_test.py"), *sys.argv[1:]]
            try:
                runpy.run_path(sys.argv[0], run_name="__main__")
            except SystemExit as done:
                code = done.code
            else:
                code = 0
    finally:
        server.stop()
    raise SystemExit(code)

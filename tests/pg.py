"""A real PostgreSQL server for tests, on loopback, in a temporary folder (issue 18).

The session starts one with Debian's PostgreSQL binaries (``apt-get install postgresql``; `.ci/run` does it)
unless ``KEEL_TEST_POSTGRES_URL`` names a server to use (an admin URL such as
``postgresql://postgres@127.0.0.1:5432/postgres``). PostgreSQL refuses to run as root, so as root the
server runs as the ``postgres`` user the package creates. Each test gets a fresh database.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path


@dataclass
class PgServer:
    admin_url: str  # a URL on the server's 'postgres' database
    folder: Path | None = None  # our own server's data folder (None: a server we did not start)
    pg_bin: Path | None = None

    def url_for(self, database: str) -> str:
        return self.admin_url.rsplit("/", 1)[0] + "/" + database

    def create_database(self) -> str:
        import psycopg

        name = "keel_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if self.folder is None or self.pg_bin is None:
            return
        _as_postgres([str(self.pg_bin / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "stop"],
                     check=False)
        shutil.rmtree(self.folder, ignore_errors=True)


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _as_postgres(argv: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
    if os.geteuid() == 0:
        argv = ["runuser", "-u", "postgres", "--", *argv]
    return subprocess.run(argv, check=check, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "LC_ALL": "C.UTF-8"})


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server() -> PgServer | str:
    """A new server on a free loopback port, or why none could be started."""
    given = os.environ.get("KEEL_TEST_POSTGRES_URL", "").strip()
    if given:
        return PgServer(given)
    pg_bin = _pg_bin()
    if pg_bin is None:
        return "PostgreSQL's server programs are not installed (apt-get install postgresql)"
    # /tmp, not pytest's tree: the postgres user must be able to reach its folder (pytest's is root-only)
    folder = Path(tempfile.mkdtemp(prefix="keel-pg-", dir="/tmp"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    port = _free_port()
    try:
        _as_postgres([str(pg_bin / "initdb"), "-D", str(folder / "data"), "-A", "trust", "-U", "postgres",
                      "-E", "UTF8", "--no-sync"])
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        _as_postgres([str(pg_bin / "pg_ctl"), "-D", str(folder / "data"), "-o", options, "-l",
                      str(folder / "log"), "-w", "start"])
    except (subprocess.SubprocessError, OSError) as exc:
        log = (folder / "log").read_text()[-1500:] if (folder / "log").exists() else ""
        shutil.rmtree(folder, ignore_errors=True)
        detail = getattr(exc, "stderr", "") or str(exc)
        return f"could not start PostgreSQL: {detail[-800:]} {log}"
    return PgServer(f"postgresql://postgres@127.0.0.1:{port}/postgres", folder, pg_bin)


@contextlib.contextmanager
def database(server: PgServer):
    name = server.create_database()
    try:
        yield server.url_for(name)
    finally:
        server.drop_database(name)

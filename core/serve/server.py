"""Running the scoring API: Keel binds the socket itself (so a port in use, or a host that is not this
computer's, is a plain error before anything starts), then hands it to uvicorn. Ctrl+C or SIGTERM stops it
gracefully: requests in flight finish and the last traffic counts are written."""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import sys
from collections.abc import Iterator
from typing import Any

import uvicorn

from core.errors import InputError
from core.serve.app import SETTINGS_ENV, Settings, create_app

LOOPBACK = ("127.0.0.1", "::1", "localhost")
APP_FACTORY = "core.serve.app:create_app"


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host``:``port`` (port 0: any free port), or an :class:`InputError` saying why not."""
    if not 0 <= port <= 65535:
        raise InputError(f"{port} is not a port number.", "Use a number from 1 to 65535, e.g. --port 8600.")
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except (socket.gaierror, UnicodeError):
        raise InputError(
            f"'{host}' is not an address of this computer Keel can listen on.",
            "Leave --host out to listen on 127.0.0.1 (this computer only), or give one of its addresses.",
        ) from None
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise InputError(
                f"Port {port} on {host} is already in use (by another program, or another Keel server).",
                f"Stop that program, or choose another port, e.g. --port {port + 1 if port < 65535 else 8600}.",
            ) from None
        if exc.errno == errno.EACCES:
            raise InputError(
                f"This user may not listen on port {port}.", "Use a port above 1023, e.g. --port 8600."
            ) from None
        raise InputError(
            f"Keel cannot listen on {host}:{port} ({exc.strerror or exc}).",
            "Leave --host out to listen on 127.0.0.1, or give an address of this computer.",
        ) from None
    sock.setblocking(False)
    return sock


class Server(uvicorn.Server):
    """uvicorn's server, but a stop by Ctrl+C or SIGTERM is a normal end: uvicorn would raise the signal again once
    shut down (killing the process before Keel reports), so the signals it caught are forgotten here."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        with super().capture_signals():
            yield
            caught = getattr(self, "_captured_signals", None)
            if isinstance(caught, list):
                caught.clear()


def serve(host: str = "127.0.0.1", port: int = 8600, settings: Settings | None = None) -> tuple[str, int]:
    """Serve until stopped; returns the host and port it listened on."""
    sock = bind(host, port)
    bound_port = int(sock.getsockname()[1])
    shown = f"[{host}]" if ":" in host else host
    print(f"Keel scoring API listening on http://{shown}:{bound_port} (Ctrl+C stops it)", file=sys.stderr, flush=True)
    if host not in LOOPBACK:
        print(
            f"warning: listening on {host}: any computer that can reach this one may call the API (a key is still "
            "needed). Put it behind HTTPS before it leaves a trusted network.",
            file=sys.stderr,
            flush=True,
        )
    settings = settings or Settings()
    common: dict[str, Any] = {
        "log_level": "warning",
        "access_log": False,
        "lifespan": "on",
        "timeout_graceful_shutdown": 10,
        "server_header": False,
    }
    try:
        if settings.workers == 1:
            Server(uvicorn.Config(create_app(settings), **common)).run(sockets=[sock])
        else:  # worker processes build the app themselves, from the settings in their environment
            from uvicorn.supervisors import Multiprocess

            os.environ[SETTINGS_ENV] = settings.to_env()
            config = uvicorn.Config(APP_FACTORY, factory=True, workers=settings.workers, **common)
            Multiprocess(config, sockets=[sock]).run()
    finally:
        sock.close()
    return host, bound_port

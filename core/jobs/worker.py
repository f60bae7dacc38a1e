"""The worker process behind :mod:`core.jobs` (``python -m core.worker``).

It reads one pickled ``(func, args, kwargs)`` from stdin — written by Keel's own server process,
never by a user — applies memory and CPU limits, runs the function, and writes length-prefixed
pickled messages (progress, then the outcome) to a private copy of stdout. The real stdout is
pointed at stderr first, so a library that prints cannot corrupt the messages.
"""

from __future__ import annotations

import os
import pickle
import resource
import struct
import sys
import traceback
from typing import Any, BinaryIO


def limit_resources(memory_bytes: int, cpu_seconds: int) -> None:
    for limit, value in ((resource.RLIMIT_AS, memory_bytes), (resource.RLIMIT_CPU, cpu_seconds)):
        _soft, hard = resource.getrlimit(limit)
        cap = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(limit, (cap, hard))


def send(channel: BinaryIO, message: tuple) -> None:
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    channel.write(struct.pack(">Q", len(payload)) + payload)
    channel.flush()


def main() -> int:
    channel = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything printed goes to stderr, not into the message stream
    memory, cpu = (int(x) for x in sys.argv[1:3])
    limit_resources(memory, cpu)
    if len(sys.argv) > 3 and int(sys.argv[3]) > 0:
        os.nice(int(sys.argv[3]))  # a background job: people waiting for pages go first
    func, args, kwargs, actor = pickle.load(sys.stdin.buffer)  # from Keel's own server process only
    from core.store.db import set_actor

    set_actor(*actor)  # the person the work is for: their role is checked on every write, as in the page

    def progress(fraction: float, text: str) -> None:
        send(channel, ("progress", float(fraction), str(text)))

    from core.errors import KeelError

    try:
        outcome: tuple[Any, ...] = ("done", func(*args, progress=progress, **kwargs))
    except KeelError as exc:
        outcome = ("keel_error", type(exc).__name__, exc.message, exc.hint)
    except MemoryError:
        outcome = (
            "keel_error",
            "JobDiedError",
            "The job ran out of memory.",
            "Try a smaller file or fewer columns, or close other programs.",
        )
    except BaseException as exc:  # a bug: keep the type and frames, not the message (it may hold data)
        frames = [f"{f.filename}:{f.lineno} in {f.name}" for f in traceback.extract_tb(exc.__traceback__)]
        outcome = ("bug", type(exc).__qualname__, frames)
    send(channel, outcome)
    return 0


if __name__ == "__main__":
    sys.exit(main())

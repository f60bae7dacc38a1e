"""Living within an address-space limit (``ulimit -v``, RLIMIT_AS): set up before numpy and pyarrow load.

Native libraries reserve address space far beyond what they use: OpenBLAS a buffer per thread, glibc a 64 MB
heap per thread that allocates, pyarrow's mimalloc large segments. Under a limit such as 2 GB those
reservations, not the data, are what run out. So when a limit is set, :func:`fit_to_address_limit` keeps the
native thread pools at one thread, glibc at two heaps (big blocks mapped on their own, so freeing them
hands the address space back), and pyarrow on the system allocator. Without a limit
nothing changes. It must run before numpy, pandas or pyarrow are imported (``python -m core`` calls it first).
"""

from __future__ import annotations

import ctypes
import os
import resource

_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
_M_ARENA_MAX = -8  # mallopt's parameter number for the most heaps glibc keeps
_M_MMAP_THRESHOLD = -3  # ... and for the size from which a block gets its own mapping (handed back when freed)


def address_limit() -> int | None:
    """This process's address-space limit in bytes, or None when there is none."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_AS)
    return None if soft in (resource.RLIM_INFINITY, -1) else int(soft)


def fit_to_address_limit() -> bool:
    """Under an address-space limit, keep native libraries from reserving what the limit cannot give; the
    user's own settings of these variables are kept. Returns whether a limit was found."""
    if address_limit() is None:
        return False
    for name in _THREAD_VARIABLES:
        os.environ.setdefault(name, "1")
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(_M_ARENA_MAX, 2)
        libc.mallopt(_M_MMAP_THRESHOLD, 1 << 20)  # else big freed blocks stay in the heap, holding address space
    except (OSError, AttributeError):
        pass  # not glibc: its allocator reserves less
    return True

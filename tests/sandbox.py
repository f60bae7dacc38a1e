"""The test suite's sandbox: what keeps ``./test`` (run as root in sessions and CI) from harming its machine.

Four layers, wired up in ``tests/conftest.py``:

1. **Environment.** ``HOME`` and ``KEEL_HOME`` point into pytest's temporary tree for the whole session
   and again for every test; :func:`environment_problems` fails a test that points them (or, for CLI
   tests, its working directory) anywhere else, and an audit hook refuses to start a subprocess whose
   environment would reach the real home (:func:`sandbox_env` builds a safe one).
2. **Kernel.** :func:`restrict_writes` asks Linux's Landlock to refuse, for the pytest process and every
   process it starts, any write outside a few roots (the temporary tree, /dev, the repository). It works
   as root; nothing outside those roots can be created, changed, renamed or deleted.
3. **Detection.** :func:`take_snapshot` fingerprints system files, the real user's Keel database and the
   repository's samples before the session; :func:`differences` names what changed after it, and any
   new file in the repository, in / or in /etc.
4. :func:`watch_writes` (used by the CLI fuzz) records and refuses any Python-level write outside one
   folder, so a command that *tries* to write elsewhere fails its test instead of being silently denied.

Environment variables (for the guard's own proof in ``tests/test_sandbox.py``, and escape hatches):
``KEEL_SANDBOX_PROTECT`` extra files to fingerprint, ``KEEL_SANDBOX_WATCH`` extra folders whose listing
must not change, ``KEEL_SANDBOX_REPO`` the repository to check (default: this one), ``KEEL_SANDBOX_NO_SYSTEM=1``
leave out the machine-wide checks (system files, the real ~/.keel, / and /etc: a proof run in a temp
folder must not fail because something else on the machine changed them), ``KEEL_SANDBOX_LANDLOCK=0`` no Landlock,
``KEEL_SANDBOX_WRITABLE`` extra folders Landlock lets the suite write to (all lists ``os.pathsep``-separated).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import os
import pwd
import subprocess
import sys
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# The real user's home, from the password database: whatever HOME says, now or after any fixture.
REAL_HOME = Path(pwd.getpwuid(os.getuid()).pw_dir)
SYSTEM_FILES = ("/etc/passwd", "/etc/group", "/etc/hosts", "/etc/shadow")
SYSTEM_FOLDERS = ("/", "/etc")
IGNORED_UNTRACKED = (".venv", "__pycache__", ".hypothesis")
XDG = ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_RUNTIME_DIR")


def _env_paths(name: str) -> list[Path]:
    return [Path(p) for p in os.environ.get(name, "").split(os.pathsep) if p.strip()]


def is_inside(path: str | os.PathLike[str], folder: str | os.PathLike[str]) -> bool:
    """True when ``path`` is ``folder`` or below it (``~`` expanded, links followed as far as they exist)."""
    inner = os.path.realpath(os.path.expanduser(os.fspath(path)))
    outer = os.path.realpath(os.fspath(folder))
    return inner == outer or inner.startswith(outer.rstrip("/") + "/")


# --------------------------------------------------------------------------- 1. environment


def environment_problems(base: Path, start_cwd: Path, *, cwd_in_base: bool) -> list[str]:
    """What in this process's environment points outside the temporary tree ``base`` (empty: all fine).

    HOME must be inside ``base``; KEEL_HOME too when set (unset, Keel uses HOME/.keel); XDG folders too
    when set. The working directory must be inside ``base`` for CLI tests (``cwd_in_base``), and for
    any other test either inside ``base`` or where the session started.
    """
    problems = []
    home = os.environ.get("HOME")
    if not home or not is_inside(home, base):
        problems.append(f"HOME={home!r} is not inside the test's temporary tree {base}")
    for name in ("KEEL_HOME", *XDG):
        value = os.environ.get(name)
        if value is not None and (not value.strip() or not is_inside(value.strip(), base)):
            problems.append(f"{name}={value!r} is not inside the test's temporary tree {base}")
    try:
        cwd = Path.cwd()
    except OSError:  # the working directory was deleted
        return [*problems, "the working directory no longer exists"]
    if not is_inside(cwd, base) and (cwd_in_base or cwd.resolve() != start_cwd.resolve()):
        where = "a CLI test must run inside" if cwd_in_base else "tests may only move the working directory into"
        problems.append(f"working directory {cwd} is outside the temporary tree ({where} {base})")
    return problems


def sandbox_env(**extra: str) -> dict[str, str]:
    """The environment for a subprocess a test starts: this process's (sandboxed) one plus ``extra``.

    Raises ``RuntimeError`` if HOME or KEEL_HOME (after ``extra``) would point outside the session's
    temporary tree, so a child never sees the real home. Use it as ``subprocess.run(..., env=sandbox_env(
    KEEL_HOME=str(keel_home)))``.
    """
    env = {**os.environ, **{k: str(v) for k, v in extra.items()}}
    if GUARD.base is not None:
        problems = spawn_problems(env, GUARD.base)
        if problems:
            raise RuntimeError("sandbox_env: " + "; ".join(problems))
    return env


def spawn_problems(env: dict | None, base: Path) -> list[str]:
    """Why a child started with ``env`` (None: this process's environment) could reach the real home."""
    env = os.environ if env is None else env
    problems = []

    def get(name: str) -> str | None:
        value = env.get(name)
        if value is None and isinstance(env, dict):
            value = env.get(name.encode())  # subprocess also takes bytes keys
        return None if value is None else os.fsdecode(value)

    home = get("HOME")
    if not home:
        problems.append("no HOME in its environment (it would use the real home from the password database)")
    elif not is_inside(home, base):
        problems.append(f"HOME={home!r} is outside the temporary tree {base}")
    keel = get("KEEL_HOME")
    if keel is not None and keel.strip() and not is_inside(keel.strip(), base):
        problems.append(f"KEEL_HOME={keel!r} is outside the temporary tree {base}")
    return problems


# --------------------------------------------------------------------------- 2. Landlock (Linux >= 5.13)

_SYS_CREATE, _SYS_ADD_RULE, _SYS_RESTRICT = 444, 445, 446  # the same numbers on every architecture
_WRITE_FILE, _REMOVE_DIR, _REMOVE_FILE = 1 << 1, 1 << 4, 1 << 5
_MAKE = sum(1 << bit for bit in range(6, 13))  # char, dir, reg, sock, fifo, block, sym
_REFER, _TRUNCATE = 1 << 13, 1 << 14
_FILE_RIGHTS = _WRITE_FILE | _TRUNCATE  # the only handled rights a rule on a single file may carry


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def landlock_abi() -> int:
    """The kernel's Landlock ABI version (0: not available here)."""
    if sys.platform != "linux":
        return 0
    version = _libc().syscall(ctypes.c_long(_SYS_CREATE), None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    return max(int(version), 0)


def restrict_writes(allowed: Iterable[str | os.PathLike[str]]) -> int:
    """Make the kernel refuse writes outside ``allowed`` for this thread and every thread/process it starts.

    Writes means: writing or truncating a file, creating or removing anything, renaming or linking.
    Reading and running programs stay allowed everywhere. Cannot be undone. Returns the ABI used, or 0
    when the kernel has no Landlock (nothing changed). Call it before any other thread starts.
    """
    abi = landlock_abi()
    if abi < 1:
        return 0
    handled = _WRITE_FILE | _REMOVE_DIR | _REMOVE_FILE | _MAKE | (_REFER if abi >= 2 else 0) | (
        _TRUNCATE if abi >= 3 else 0)
    libc = _libc()
    attr = _RulesetAttr(handled)
    ruleset = libc.syscall(ctypes.c_long(_SYS_CREATE), ctypes.byref(attr), ctypes.c_size_t(ctypes.sizeof(attr)),
                           ctypes.c_uint32(0))
    if ruleset < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset failed")
    try:
        for path in dict.fromkeys(os.path.realpath(os.fspath(p)) for p in allowed):
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue  # a folder that does not exist needs no rule
            try:
                rights = handled if os.path.isdir(path) else handled & _FILE_RIGHTS
                rule = _PathBeneath(rights, fd)
                if libc.syscall(ctypes.c_long(_SYS_ADD_RULE), ctypes.c_int(ruleset), ctypes.c_int(1),
                                ctypes.byref(rule), ctypes.c_uint32(0)) < 0:
                    raise OSError(ctypes.get_errno(), f"landlock_add_rule failed for {path}")
            finally:
                os.close(fd)
        if libc.syscall(ctypes.c_long(_SYS_RESTRICT), ctypes.c_int(ruleset), ctypes.c_uint32(0)) < 0:
            if ctypes.get_errno() != errno.EPERM:
                raise OSError(ctypes.get_errno(), "landlock_restrict_self failed")
            # without CAP_SYS_ADMIN the kernel wants no_new_privs first (setuid programs then gain nothing)
            if libc.prctl(ctypes.c_int(38), ctypes.c_ulong(1), ctypes.c_ulong(0), ctypes.c_ulong(0),
                          ctypes.c_ulong(0)) < 0:
                raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
            if libc.syscall(ctypes.c_long(_SYS_RESTRICT), ctypes.c_int(ruleset), ctypes.c_uint32(0)) < 0:
                raise OSError(ctypes.get_errno(), "landlock_restrict_self failed")
    finally:
        os.close(ruleset)
    return abi


def session_writable(base: Path, repo: Path) -> list[Path]:
    """Where the test session may write: its temporary tree, the system's temp folders, /dev, the repository."""
    import tempfile

    return [base, Path(tempfile.gettempdir()), Path("/var/tmp"), Path("/dev"), repo,
            *_env_paths("KEEL_SANDBOX_WRITABLE")]


# --------------------------------------------------------------------------- 3. detection


@dataclass(frozen=True)
class Fingerprint:
    size: int
    mtime_ns: int
    sha256: str


def fingerprint(path: Path) -> Fingerprint | None:
    """Size, modification time and content hash of a file; None when it does not exist or cannot be read."""
    try:
        info = path.stat()
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    except OSError:
        return None
    return Fingerprint(info.st_size, info.st_mtime_ns, digest.hexdigest())


def _git(repo: Path, *args: str) -> list[str]:
    proc = subprocess.run(["git", "-c", f"safe.directory={repo}", "-C", str(repo), *args, "-z"],
                          capture_output=True, timeout=60, env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"})
    if proc.returncode != 0:
        return []
    return [p for p in os.fsdecode(proc.stdout).split("\0") if p]


def untracked_files(repo: Path) -> frozenset[str]:
    """Files git does not track and does not ignore (ignoring the venv, byte code and Hypothesis' folder)."""
    return frozenset(p for p in _git(repo, "ls-files", "--others", "--exclude-standard")
                     if not any(part in IGNORED_UNTRACKED for part in Path(p).parts))


def protected_files(repo: Path) -> list[Path]:
    """The files whose size, time and content must be the same after the session as before it."""
    tracked = [repo / p for p in _git(repo, "ls-files", "data", "README.md")]
    if os.environ.get("KEEL_SANDBOX_NO_SYSTEM") == "1":
        return [*tracked, *_env_paths("KEEL_SANDBOX_PROTECT")]
    system = [Path(p) for p in SYSTEM_FILES if os.access(p, os.R_OK)]
    keel_db = [REAL_HOME / ".keel" / "keel.db"] if (REAL_HOME / ".keel" / "keel.db").exists() else []
    return [*system, *keel_db, *tracked, *_env_paths("KEEL_SANDBOX_PROTECT")]


def watched_folders() -> list[Path]:
    """Folders whose list of entries must be the same after the session: / and /etc."""
    system = [] if os.environ.get("KEEL_SANDBOX_NO_SYSTEM") == "1" else [Path(p) for p in SYSTEM_FOLDERS]
    return [*system, *_env_paths("KEEL_SANDBOX_WATCH")]


def _listing(folder: Path) -> frozenset[str]:
    try:
        return frozenset(os.listdir(folder))
    except OSError:
        return frozenset()


@dataclass(frozen=True)
class Snapshot:
    repo: Path
    files: dict[Path, Fingerprint | None]
    listings: dict[Path, frozenset[str]]
    untracked: frozenset[str]


def take_snapshot(repo: Path, files: Iterable[Path] | None = None, folders: Iterable[Path] | None = None,
                  ) -> Snapshot:
    files = protected_files(repo) if files is None else list(files)
    folders = watched_folders() if folders is None else list(folders)
    return Snapshot(repo, {p: fingerprint(p) for p in files}, {f: _listing(f) for f in folders},
                    untracked_files(repo))


def differences(before: Snapshot) -> list[str]:
    """What changed since ``before`` was taken, one plain line per change (empty: nothing)."""
    problems = []
    for path, old in before.files.items():
        new = fingerprint(path)
        if new != old:
            what = ("appeared" if old is None else "disappeared" if new is None else
                    "changed content" if new.sha256 != old.sha256 else "changed size/time")
            problems.append(f"protected file {path} {what} during the test session")
    for folder, old_names in before.listings.items():
        new_names = _listing(folder)
        for name in sorted(new_names - old_names):
            problems.append(f"new entry {folder / name} appeared during the test session")
        for name in sorted(old_names - new_names):
            problems.append(f"entry {folder / name} disappeared during the test session")
    for name in sorted(untracked_files(before.repo) - before.untracked):
        problems.append(f"new untracked file {before.repo / name} appeared in the repository")
    return problems


# --------------------------------------------------------------------------- the guard's state and audit hook

_SPAWN_EVENTS = {"subprocess.Popen": 3, "os.posix_spawn": 2, "os.exec": 2, "os.spawn": 3}  # event: env argument
_WRITE_EVENTS = {  # event: positions of the paths it writes, and of their dir_fd (None: no dir_fd argument)
    "open": ((0, None),), "os.mkdir": ((0, 2),), "os.remove": ((0, 1),), "os.rmdir": ((0, 1),),
    "os.rename": ((0, 2), (1, 3)), "os.link": ((1, 3),), "os.symlink": ((1, 2),), "os.truncate": ((0, None),),
    "os.chmod": ((0, 2),), "os.chown": ((0, 3),), "os.utime": ((0, 3),), "shutil.rmtree": ((0, 1),),
    "shutil.copyfile": ((1, None),), "shutil.copytree": ((1, None),), "shutil.move": ((0, None), (1, None)),
    "sqlite3.connect": ((0, None),),
}
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


@dataclass
class Guard:
    base: Path | None = None  # the session's temporary tree (None: guard not started)
    start_cwd: Path = field(default_factory=Path.cwd)
    spawn_violations: list[str] = field(default_factory=list)
    write_root: tuple[str, ...] | None = None  # set by watch_writes
    write_violations: list[str] = field(default_factory=list)
    landlock: int = 0
    _busy: threading.local = field(default_factory=threading.local)

    def audit(self, event: str, args: tuple) -> None:
        if event not in _SPAWN_EVENTS and (self.write_root is None or event not in _WRITE_EVENTS):
            return  # the common case, first: this hook sees every audited event of the process
        if getattr(self._busy, "on", False):
            return  # an event raised by this hook's own work
        if event in _SPAWN_EVENTS:
            if self.base is None:
                return
            self._busy.on = True
            try:
                env = args[_SPAWN_EVENTS[event]] if len(args) > _SPAWN_EVENTS[event] else None
                problems = spawn_problems(env if isinstance(env, dict) else None, self.base)
            finally:
                self._busy.on = False
            if problems:
                message = f"refused to start {args[0]!r}: " + "; ".join(problems)
                self.spawn_violations.append(message)
                raise RuntimeError(f"sandbox: {message} (build its env with tests.sandbox.sandbox_env())")
        elif self.write_root is not None and event in _WRITE_EVENTS:
            self._busy.on = True
            try:
                target = self._write_outside(event, args)
            finally:
                self._busy.on = False
            if target is not None:
                self.write_violations.append(f"{event} {target}")
                raise PermissionError(errno.EACCES, "sandbox: no writing outside the test's folder", target)

    def _write_outside(self, event: str, args: tuple) -> str | None:
        if event == "open" and not (isinstance(args[1], str) and any(c in args[1] for c in "wax+")) and not (
                isinstance(args[2], int) and args[2] & _WRITE_FLAGS):
            return None
        for index, fd_index in _WRITE_EVENTS[event]:
            raw = args[index] if len(args) > index else None
            if isinstance(raw, int) or raw is None:
                continue  # an already open file descriptor
            try:
                text = os.fsdecode(raw)
                if event == "sqlite3.connect" and (text in ("", ":memory:") or text.startswith("file:")):
                    continue
                dir_fd = args[fd_index] if fd_index is not None and len(args) > fd_index else None
                start = os.readlink(f"/proc/self/fd/{dir_fd}") if isinstance(dir_fd, int) and dir_fd >= 0 else None
                path = os.path.realpath(os.path.join(start or os.getcwd(), text))
            except (TypeError, ValueError, OSError):
                continue  # not a path the kernel would accept either
            if "/__pycache__/" in path:
                continue  # Python caching byte code of a module imported for the first time
            assert self.write_root is not None
            if not any(path == root or path.startswith(root.rstrip("/") + "/") for root in self.write_root):
                return path
        return None


GUARD = Guard()


@contextlib.contextmanager
def watch_writes(*roots: str | os.PathLike[str]) -> Iterator[list[str]]:
    """Refuse (PermissionError) and record every Python-level write outside ``roots`` while inside the block.

    Yields the list of refused writes (``"<event> <path>"``); the caller fails its test when it is not
    empty. /dev/null stays writable.
    """
    previous = GUARD.write_root
    GUARD.write_violations = []
    GUARD.write_root = (*(os.path.realpath(os.fspath(r)) for r in roots), "/dev/null")
    try:
        yield GUARD.write_violations
    finally:
        GUARD.write_root = previous


_HOOKED = False


def install_audit_hook() -> None:
    global _HOOKED
    if not _HOOKED:
        sys.addaudithook(lambda event, args: GUARD.audit(event, args))
        _HOOKED = True

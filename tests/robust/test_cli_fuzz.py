"""Property-based fuzzing of the CLI's arguments (``core.cli.main`` called in-process).

For any argument list — real and unknown subcommands, real and made-up options, numbers huge,
negative, NaN or infinite, paths with ``../``, absolute paths, unicode — the CLI keeps its
contract (../shared/DESIGN.md): exit status 0, 2 or 3 (1 means a bug), nothing but exactly one
JSON line on stdout when ``--json`` was given, an ``error:`` line on stderr for user errors, never
a traceback, and nothing logged as a bug under ``KEEL_HOME/logs``.

Everything runs inside a sandbox tree that stands for a whole machine (issue 14: as root, this test
once replaced the real /etc/passwd with a predictions CSV). ``fs/`` plays "/": ``fs/etc/passwd``,
``group``, ``hosts`` and ``shadow`` (made-up content in the real files' format), ``fs/root`` as HOME
with ``fs/root/.keel`` as KEEL_HOME, a socket ``fs/run/keel.sock``; the working directory is 12
levels below ``fs/``, where a file is named ``~``. Hostile paths are written against that stand-in
(``{root}/etc/passwd``, ``../`` twelve times then ``etc/passwd``, ``~/.keel/keel.db``), and every
argument is confined before the run (:func:`_confine`): an absolute path moves under ``fs/``, a
``../`` chain that would climb above ``fs/`` is lengthened so it cannot, ``~user`` becomes a plain
name. While the CLI runs, any Python-level write outside the sandbox is refused and fails the example
(``tests.sandbox.watch_writes``; the session's Landlock refuses the rest at the kernel). After each
run the stand-in system files must be unchanged unless ``--overwrite`` was given (they are put back
either way), and ``predict --out`` must never succeed inside KEEL_HOME.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, event, example, given, settings
from hypothesis import strategies as st

from core import cli
from tests.sandbox import is_inside, watch_writes

pytestmark = pytest.mark.cli_sandbox  # the session guard checks the working directory is in the temp tree

DEPTH = 12
FS = "{root}"  # stands for "/": replaced by the sandbox's fs/ folder before every run
UP = "../" * DEPTH  # from the working directory up to fs/, as twelve "../" from twelve levels deep reach "/"
COMMANDS = ("profile", "train", "predict", "forecast", "drift", "monitor", "retrain", "rollback", "backup",
            "restore", "models", "check")
FAST_COMMANDS = ("profile", "predict", "drift", "rollback", "backup", "restore", "models", "check")
SLOW_COMMANDS = ("train", "forecast", "monitor", "retrain")
OPTIONS = ("--json", "--target", "--sheet", "--task", "--name", "--split", "--time-budget", "--seed", "--out",
           "--date", "--value", "--id", "--horizon", "--level", "--season", "--labels", "--fail-on", "--margin",
           "--help", "-h", "--j", "--tar", "--", "-", "--json=1", "--horizon=-3", "--out=", "--overwrite",
           "--over", "--notebook", "--script", "--orders-out")
FLAGS = frozenset({"--overwrite"})  # options that take no value
# Hostile the way "/etc/passwd", "/", "~" are, but inside the sandbox (see the module's docstring).
HOSTILE = (f"{FS}/etc/passwd", f"{FS}/", FS, f"{FS}/etc", f"{FS}/etc/hosts", f"{FS}/etc/shadow",
           f"{FS}/etc/passwd/x.csv", f"{FS}/root/.keel", f"{FS}/root/.keel/keel.db",
           f"{FS}/root/.keel/datasets/x.csv", f"{FS}/run/keel.sock", f"{FS}/tmp/x.csv", f"{UP}etc/passwd", UP,
           f"{UP}etc", f"{UP}root/.keel/keel.db", "~", "~/x.csv", "~/.keel", "~/.keel/keel.db")
STAND_INS = ("passwd", "group", "hosts", "shadow")  # fs/etc/<name>: must survive every command
COLUMNS = ("y", "x", "city", "day", "sales", "shop", "Y", "", " ", "y ", "no_such_column")
FILES = ("tiny.csv", "sales.csv", "empty.csv", "notes.txt", "scored.csv", "backup_ok", "sub", "missing.csv")
TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30
)


def _numbers() -> st.SearchStrategy[str]:
    return st.one_of(
        st.integers(min_value=-(10**30), max_value=10**30).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.sampled_from(["0", "-1", "1", "3", "5", "12", "99.9", "100", "1e309", "-1e309", "nan", "inf", "-inf",
                         "0x10", "1_000", "٣", "3.0", " 7 ", "", "NaN"]),
    )


def _paths() -> st.SearchStrategy[str]:
    # Four branches, as before the sandbox: one_of flattens nested one_ofs, so more branches here would
    # thin out the plausible files _good_file draws (and with them the runs that get past the checks).
    climb = st.integers(min_value=0, max_value=DEPTH).map(lambda k: "../" * k)
    prefix = st.one_of(climb, st.sampled_from([f"{FS}/", f"{FS}/etc/", "~/"]))
    return st.one_of(
        st.sampled_from(FILES),
        st.tuples(climb, st.sampled_from(FILES)).map("".join),
        st.tuples(prefix, TEXT).map("".join),
        st.sampled_from([*HOSTILE, ".", "..", "", " ", "./", "a/../../b.csv", "tiny.csv/", "tiny.csv/../tiny.csv", "-",
                         "--", "CON", "nul.csv", "x" * 300, "é/ü/名前.csv", "<script>.csv", "$(whoami).csv", "*.csv"]),
    )


def _values() -> st.SearchStrategy[str]:
    return st.one_of(_numbers(), _paths(), st.sampled_from(COLUMNS), TEXT,
                     st.sampled_from(["auto", "classification", "regression", "random", "time", "never", "review",
                                      "retrain", "1", "y", "y:1", "y@champion", "y@candidate", "y:999", "999", "0",
                                      "-1", "@", ":", "y:", ":1"]))


SHAPES = {  # positional arguments and required options, so many cases get past argparse into Keel
    "profile": (["file"], []), "predict": (["model", "file"], ["--out"]), "drift": (["file", "file"], []),
    "rollback": (["model"], []), "backup": (["path"], []), "restore": (["path"], []), "models": ([], []),
    "train": (["file"], ["--target"]), "monitor": (["model", "file"], []), "retrain": (["model", "file"], []),
    "forecast": (["file"], ["--date", "--value", "--horizon"]), "check": ([], []),
}
EXTRA = {
    "profile": ["--target", "--sheet"], "predict": ["--overwrite"], "drift": [], "rollback": [], "backup": [],
    "restore": [], "models": [], "check": [], "train": ["--task", "--name", "--split", "--time-budget", "--seed", "--sheet"],
    "monitor": ["--labels", "--fail-on"], "retrain": ["--labels", "--margin", "--time-budget"],
    "forecast": ["--id", "--level", "--season", "--sheet"],
}


def _climb_and_back(k: int) -> str:
    """``k`` levels up and back down to the working directory: a real file behind a '../' path."""
    return "".join(["../" * k, *[f"d{i}/" for i in range(DEPTH - k, DEPTH)], "tiny.csv"])


def _good_file() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(["tiny.csv", "sales.csv"]),
                     st.integers(min_value=0, max_value=DEPTH - 2).map(_climb_and_back), _paths())


def _option_value(name: str) -> st.SearchStrategy[str]:
    if name in ("--target", "--labels", "--date", "--value", "--id"):
        return st.one_of(st.sampled_from(COLUMNS), TEXT)
    if name in ("--horizon", "--season", "--seed", "--level", "--margin", "--time-budget"):
        return _numbers() if name != "--time-budget" else st.sampled_from(["5", "0", "-1", "nan", "inf", "0.001"])
    if name in ("--task", "--split", "--fail-on"):
        return st.sampled_from(["auto", "classification", "regression", "random", "time", "never", "review",
                                "retrain", "", "AUTO"])
    if name == "--out":
        return _paths()
    return _values()


@st.composite
def _shaped_argv(draw, commands: tuple[str, ...]) -> list[str]:
    """A command with its positionals and required options filled from plausible and hostile values."""
    command = draw(st.sampled_from(commands))
    positional, required = SHAPES[command]
    argv = [command]
    for kind in positional:
        if kind == "file":
            argv.append(draw(_good_file()))
        elif kind == "model":
            argv.append(draw(st.sampled_from(["y", "1", "y:1", "y@champion", "y@candidate", "y:2", "nope", "0"])))
        else:
            argv.append(draw(_paths()))
    extra = draw(st.lists(st.sampled_from(EXTRA[command]), max_size=3, unique=True)) if EXTRA[command] else []
    for name in required + extra:
        if name in FLAGS:
            argv.append(name)
            continue
        value = draw(_option_value(name))
        argv += [f"{name}={value}"] if draw(st.booleans()) and value.startswith("-") else [name, value]
    if command in ("train", "retrain") and "--time-budget" not in argv:
        argv += ["--time-budget", "5"]
    if draw(st.booleans()):
        argv.append("--json")
    return argv


def _argv(commands: tuple[str, ...]) -> st.SearchStrategy[list[str]]:
    return st.one_of(_shaped_argv(commands), _random_argv(commands))


def _random_argv(commands: tuple[str, ...]) -> st.SearchStrategy[list[str]]:
    command = st.one_of(st.sampled_from(commands), st.sampled_from(["", "PROFILE", "delete", "help", "-h", "--json"]),
                        TEXT)
    option = st.one_of(
        st.tuples(st.sampled_from(OPTIONS)).map(list),
        st.tuples(st.sampled_from(OPTIONS), _values()).map(list),
        st.tuples(TEXT.map(lambda t: "--" + t), _values()).map(list),
    )
    pieces = st.lists(st.one_of(option, _values().map(lambda v: [v])), max_size=6)
    return st.tuples(command, pieces, st.booleans()).map(
        lambda t: [t[0], *[piece for group in t[1] for piece in group], *(["--json"] if t[2] else [])]
    )


# --------------------------------------------------------------------------- the sandbox


@dataclass(frozen=True)
class Sandbox:
    """The module's stand-in machine (see the module's docstring)."""

    root: Path  # the module's temp folder: the CLI may write nothing outside it
    fs: Path  # stands for "/"
    cwd: Path  # DEPTH levels below fs
    home: Path  # fs/root: HOME
    keel: Path  # fs/root/.keel: KEEL_HOME
    stand_ins: dict[Path, bytes]  # fs/etc/passwd … and their original content

    def put_back_stand_ins(self) -> list[str]:
        """Names of the stand-in system files a command changed; each is put back as it was."""
        changed = []
        for path, original in self.stand_ins.items():
            try:
                same = path.is_file() and not path.is_symlink() and path.read_bytes() == original
            except OSError:
                same = False
            if same:
                continue
            changed.append(str(path.relative_to(self.fs)))
            if path.parent.is_symlink() or (path.parent.exists() and not path.parent.is_dir()):
                path.parent.unlink()
            if path.is_symlink() or path.is_file():
                path.unlink()  # never write through a link the command left
            elif path.is_dir():
                shutil.rmtree(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(original)
        return changed


def _clamp(relative: str, may_climb: int) -> str:
    """``relative`` lengthened by dummy folders so its ``..`` climb at most ``may_climb`` levels.

    Read as the worst case (every other part a folder), as ``mkdir -p`` would make it real.
    """
    level = lowest = 0
    for part in relative.split("/"):
        if part == "..":
            level -= 1
            lowest = min(lowest, level)
        elif part not in ("", "."):
            level += 1
    excess = -lowest - may_climb
    return "_/" * excess + relative if excess > 0 else relative


def _confine_path(text: str, box: Sandbox) -> str:
    """``text`` as a path that stays inside ``box.fs``, hostile in the same way."""
    if text.startswith("/"):  # absolute: the same path below the stand-in for "/"
        rest, fs = text.lstrip("/"), str(box.fs).lstrip("/")
        if rest == fs or rest.startswith(fs + "/"):
            rest = rest[len(fs):].lstrip("/")
            if not _clamp(rest, 0).startswith("_/"):
                return text  # already inside fs/ (a {root} path)
        return f"{box.fs}/{_clamp(rest, 0)}"
    if text.startswith("~"):
        head, slash, rest = text.partition("/")
        if head == "~":  # HOME, one level below fs/
            return f"~/{_clamp(rest, 1)}" if slash else text
        text = f"./{text}"  # "~user" is that user's real home: here a plain name
    return _clamp(text, DEPTH)


def _confine(token: str, box: Sandbox) -> str:
    """One argument made harmless for the machine: ``{root}`` filled in, then every reading as a path confined."""
    token = token.replace(FS, str(box.fs))
    if token.startswith("-") and "=" in token:  # --out=PATH (argparse also takes abbreviations: --ou=PATH)
        name, _, value = token.partition("=")
        token = f"{name}={_confine_path(value, box)}"
    return _confine_path(token, box)


def _materialize(argv: list[str], box: Sandbox) -> list[str]:
    return [_confine(token, box) for token in argv]


# --------------------------------------------------------------------------- running and checking


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main(argv)
        except SystemExit as exc:  # argparse: usage errors (2) and --help (0)
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    return code, out.getvalue(), err.getvalue()


def _parsed(argv: list[str]):
    """The namespace argparse makes of ``argv``, or None when it stops (error or --help)."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            return cli.build_parser().parse_args(argv)
        except SystemExit:
            return None


def _log_size(home: Path) -> int:
    log = home / "logs" / "errors.log"
    return log.stat().st_size if log.exists() else 0


def _known_core_bug(args) -> bool:
    """Inputs that hit a known, not yet fixed bug (none at the moment: the ones found were fixed)."""
    return False


def _check_contract(template: list[str], box: Sandbox, *, fuzzing: bool = False) -> int:
    argv = _materialize(template, box)
    args = _parsed(argv)
    if fuzzing:
        assume(not _known_core_bug(args))
        event("argparse refused" if args is None else f"{args.command} ran")
    logged_before = _log_size(box.keel)
    with watch_writes(box.root, "/dev/shm") as refused:
        code, out, err = _run(argv)
    replaced = box.put_back_stand_ins()
    where = f"argv={argv!r}\nexit={code}\nstdout={out[:500]!r}\nstderr={err[-1500:]!r}"
    assert not refused, f"{where}\nthe CLI tried to write outside its sandbox {box.root}: {refused}"
    # DESIGN.md: an existing output file is replaced only with --overwrite, and never one inside KEEL_HOME
    if replaced:
        assert getattr(args, "overwrite", False), f"{where}\nit replaced {replaced} without --overwrite"
        if fuzzing:
            event("replaced a stand-in system file (--overwrite)")
    if code == 0 and getattr(args, "command", None) == "predict" and args.out is not None:
        assert not is_inside(args.out, box.keel), f"{where}\nit wrote its output inside KEEL_HOME"
    assert code in (0, 2, 3), where
    assert "Traceback" not in err and "Traceback" not in out, where
    log = box.keel / "logs" / "errors.log"
    assert _log_size(box.keel) == logged_before, f"{where}\nbug logged: {log.read_text()[-800:]}"
    if args is None:  # argparse stopped: a usage error, or help that was asked for
        if code == 2:
            assert out == "" and err.startswith("error: ") and "\nhint: " in err, where
        else:
            assert code == 0 and out.startswith("usage:"), where
        return code
    if fuzzing:
        event(f"{args.command} exit {code}")
    if code == 2:
        assert out == "", where
        assert err.startswith("error: ") or "\nerror: " in err, where
    elif args.json:
        lines = out.splitlines()
        assert len(lines) == 1 and out.endswith("\n"), where
        assert isinstance(json.loads(lines[0], parse_constant=_no_constants), dict), where
    elif code == 0:
        assert out.strip(), where
    return code


def _no_constants(name: str) -> float:
    raise AssertionError(f"stdout JSON holds {name}, which strict JSON does not allow")


# --------------------------------------------------------------------------- fixtures


def _write_files(folder: Path) -> None:
    rows = ["x,city,day,y"] + [
        f"{i * 0.7 % 5:.2f},{['Lyon', 'Oslo', 'Lima'][i % 3]},2025-01-{1 + i % 28:02d},{'yes' if (i * 7) % 10 > 4 else 'no'}"
        for i in range(60)
    ]
    (folder / "tiny.csv").write_text("\n".join(rows) + "\n")
    sales = ["day,shop,sales"] + [
        f"2025-{1 + d // 28:02d}-{1 + d % 28:02d},{shop},{10 + (d % 7) * 2 + (3 if shop == 'B' else 0) + d % 3}"
        for shop in ("A", "B") for d in range(84)
    ]
    (folder / "sales.csv").write_text("\n".join(sales) + "\n")
    (folder / "empty.csv").write_text("")
    (folder / "notes.txt").write_text("just some words\nnot a table at all, really\n")
    (folder / "sub").mkdir(exist_ok=True)


STAND_IN_CONTENT = {  # the shape of the real files, the same on every machine (so the fuzz replays alike)
    "passwd": "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
              "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
    "group": "root:x:0:\ndaemon:x:1:\nnogroup:x:65534:\n",
    "hosts": "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n",
    "shadow": "root:*:20000:0:99999:7:::\ndaemon:*:20000:0:99999:7:::\n",
}


def _enter(box: Sandbox, mp: pytest.MonkeyPatch) -> None:
    mp.setenv("HOME", str(box.home))
    mp.setenv("KEEL_HOME", str(box.keel))
    mp.setenv("TMPDIR", str(box.fs / "tmp"))
    mp.setattr(tempfile, "tempdir", str(box.fs / "tmp"))
    mp.chdir(box.cwd)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Sandbox:
    """One stand-in machine and one store for the whole module: tiny files, a trained model 'y', a backup."""
    root = tmp_path_factory.mktemp("cli_fuzz")
    fs = root / "fs"
    cwd = fs.joinpath(*[f"d{i}" for i in range(DEPTH)])
    cwd.mkdir(parents=True)
    for folder in ("etc", "tmp", "run", "root"):
        (fs / folder).mkdir()
    box = Sandbox(root=root, fs=fs, cwd=cwd, home=fs / "root", keel=fs / "root" / ".keel",
                  stand_ins={fs / "etc" / name: STAND_IN_CONTENT[name].encode() for name in STAND_INS})
    for path, content in box.stand_ins.items():
        path.write_bytes(content)
    with contextlib.closing(socket.socket(socket.AF_UNIX)) as sock, contextlib.suppress(OSError):
        sock.bind(str(fs / "run" / "keel.sock"))  # not a file: never to be written over (too long a path: skipped)
    for folder in (fs, cwd):
        _write_files(folder)
    (cwd / "~").write_text("city,amount\nLyon,1\nOslo,2\n")
    with pytest.MonkeyPatch.context() as mp:
        _enter(box, mp)
        code, out, err = _run(["train", "tiny.csv", "--target", "y", "--name", "y", "--time-budget", "5", "--json"])
        assert code == 0, err
        assert json.loads(out)["model"]["name"] == "y"
        assert _run(["backup", "backup_ok"])[0] == 0
    return box


@pytest.fixture
def sandbox(shared: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    _enter(shared, monkeypatch)
    return shared


@pytest.fixture
def keel_home(sandbox: Sandbox) -> Path:
    """Overrides the suite's per-test store: these tests share the module's store and sandbox."""
    return sandbox.keel


@pytest.fixture
def sandbox_home(sandbox: Sandbox) -> Path:
    """Overrides the suite's per-test HOME: here it is the stand-in machine's fs/root."""
    return sandbox.home


# --------------------------------------------------------------------------- the sandbox holds


@settings(max_examples=300, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(argv=st.one_of(_argv(COMMANDS), st.lists(TEXT, max_size=3)))
@example(argv=["backup", "/"])
@example(argv=["predict", "y", "tiny.csv", "--out=/etc/passwd"])
@example(argv=["backup", "../" * (DEPTH + 1) + "x"])
@example(argv=["backup", "~/../../x"])
@example(argv=["backup", "~root/.keel"])
@example(argv=["backup", "/tmp/../../etc"])
@example(argv=["backup", "{root}/../x"])
def test_every_argument_stays_inside_the_stand_in_machine(sandbox: Sandbox, argv: list[str]) -> None:
    """Read as a path in every way the CLI could (from the working folder, after ~), each argument lands in fs/."""
    for token in _materialize(argv, sandbox):
        readings = [token, token.partition("=")[2]] if token.startswith("-") else [token]
        for text in readings:
            worst = os.path.normpath(os.path.join(sandbox.cwd, os.path.expanduser(text)))
            assert is_inside(worst, sandbox.fs) or worst == str(sandbox.fs), (argv, token, worst)


def test_hostile_paths_reach_the_stand_ins(sandbox: Sandbox) -> None:
    """The stand-ins are where the real files would be, seen from the working folder and from HOME."""
    passwd = sandbox.fs / "etc" / "passwd"
    assert Path(f"{UP}etc/passwd").resolve() == passwd and passwd.read_bytes() == sandbox.stand_ins[passwd]
    assert _materialize([f"{FS}/etc/passwd", f"--out={FS}/etc/passwd"], sandbox) == [str(passwd), f"--out={passwd}"]
    assert Path(os.path.expanduser("~/.keel")) == sandbox.keel and Path("~").is_file()
    assert _materialize(["/etc/passwd", "~root", "../" * (DEPTH + 2)], sandbox) == [
        str(passwd), "./~root", "_/_/" + "../" * (DEPTH + 2)]


def test_a_replaced_stand_in_is_noticed_and_put_back(sandbox: Sandbox) -> None:
    passwd = sandbox.fs / "etc" / "passwd"
    code, _, err = _run(["predict", "y", "tiny.csv", "--out", str(passwd), "--overwrite"])
    assert code == 0, err
    assert passwd.read_bytes() != sandbox.stand_ins[passwd]
    assert sandbox.put_back_stand_ins() == ["etc/passwd"]
    assert passwd.read_bytes() == sandbox.stand_ins[passwd] and sandbox.put_back_stand_ins() == []


# --------------------------------------------------------------------------- tests

# 2,000 examples in CI; 300 in a developer's loop (KEEL_FUZZ_EXAMPLES overrides both)
FUZZ_DEFAULT = "2000" if os.environ.get("CI") else "300"
FUZZ = settings(max_examples=int(os.environ.get("KEEL_FUZZ_EXAMPLES", FUZZ_DEFAULT)), deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])


@FUZZ
@given(argv=_argv(FAST_COMMANDS))
def test_fuzzed_arguments_keep_the_cli_contract(sandbox: Sandbox, argv: list[str]) -> None:
    _check_contract(argv, sandbox, fuzzing=True)


@settings(max_examples=int(os.environ.get("KEEL_FUZZ_SLOW_EXAMPLES", "120")), deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(argv=_argv(SLOW_COMMANDS))
def test_fuzzed_train_forecast_monitor_arguments_keep_the_cli_contract(sandbox: Sandbox, argv: list[str]) -> None:
    if argv and argv[0] in ("train", "retrain") and "--time-budget" not in argv:
        argv = [*argv, "--time-budget", "5"]
    _check_contract(argv, sandbox, fuzzing=True)


FORECAST = ["forecast", "sales.csv", "--date", "day", "--value", "sales", "--id", "shop"]


@pytest.mark.parametrize(
    "extra",
    [
        ["--horizon", "-3"], ["--horizon", "0"], ["--horizon", str(10**30)], ["--horizon", "100000000"],
        ["--horizon", "3", "--level", "nan"], ["--horizon", "3", "--level", "inf"], ["--horizon", "3", "--level", "0"],
        ["--horizon", "3", "--level", "100"], ["--horizon", "3", "--level", "-90"],
        ["--horizon", "3", "--season", "0"], ["--horizon", "3", "--season", "-7"],
        ["--horizon", "3", "--season", str(10**18)], ["--horizon", "3", "--season", "1"],
        ["--horizon", "2", "--id", "no_such_column"], ["--horizon", "2", "--date", "sales"],
        ["--horizon", "2", "--value", "shop"],
    ],
    ids=lambda e: " ".join(e)[:40],
)
def test_forecast_edge_numbers_are_user_errors_or_forecasts(sandbox: Sandbox, extra: list[str]) -> None:
    code = _check_contract([*FORECAST, *extra, "--json"], sandbox)
    assert code in (0, 2)


@pytest.mark.parametrize(
    "argv",
    [
        ["train", "tiny.csv", "--target", "y", "--time-budget", "-5"],
        ["train", "tiny.csv", "--target", "y", "--time-budget", "nan"],
        ["train", "tiny.csv", "--target", "y", "--time-budget", "inf", "--seed", str(2**32 - 1)],
        ["train", "tiny.csv", "--target", "nope", "--time-budget", "5"],
        ["train", "empty.csv", "--target", "y", "--time-budget", "5"],
        ["train", "notes.txt", "--target", "y", "--time-budget", "5"],
        ["monitor", "y", "tiny.csv", "--labels", "y"], ["monitor", "y", "sales.csv"],
        ["monitor", "y", "tiny.csv", "--labels", "nope"], ["monitor", "999", "tiny.csv"],
        ["retrain", "y", "tiny.csv", "--margin", "nan", "--time-budget", "5"],
        ["predict", "y", "tiny.csv", "--out", "."], ["predict", "y", "tiny.csv", "--out", "sub"],
        ["predict", "y", "tiny.csv", "--out", "tiny.csv"], ["predict", "y", "tiny.csv", "--out", ""],
        ["predict", "y", "tiny.csv", "--out", "no/such/folder/out.csv"],
        ["predict", "y", f"{FS}/etc/passwd", "--out", "o.csv"], ["predict", "y", "tiny.csv", "--out", f"{FS}/etc"],
        ["predict", "y", "tiny.csv", "--out", f"{FS}/run/keel.sock"], ["predict", "y", "tiny.csv", "--out", "~"],
        ["profile", f"{FS}/etc/passwd"], ["profile", f"{FS}/"], ["profile", "sub"], ["profile", "~"],
        ["drift", "tiny.csv", "empty.csv"], ["restore", "sub"], ["restore", f"{FS}/etc"], ["backup", f"{FS}/etc"],
        ["backup", f"{FS}/"], ["backup", "~"], ["backup", f"{UP}etc/passwd"], ["rollback", "y"],
    ],
    ids=lambda a: " ".join(a)[:40],
)
def test_awkward_inputs_keep_the_cli_contract(sandbox: Sandbox, argv: list[str]) -> None:
    _check_contract([*argv, "--json"], sandbox)
    _check_contract(argv, sandbox)


@pytest.mark.parametrize("out", [f"{FS}/etc/passwd", f"{UP}etc/hosts", f"{FS}/etc/shadow"])
def test_an_existing_system_file_is_never_replaced_without_overwrite(sandbox: Sandbox, out: str) -> None:
    assert _check_contract(["predict", "y", "tiny.csv", "--out", out, "--json"], sandbox) == 2
    assert _check_contract(["predict", "y", "tiny.csv", "--out", out, "--overwrite", "--json"], sandbox) == 0


@pytest.mark.parametrize("out", [f"{FS}/root/.keel/scored.csv", f"{UP}root/.keel/datasets/../scored.csv",
                                 "~/.keel/scored.csv", f"{FS}/root/.keel/keel.db"])
def test_an_output_inside_keel_home_is_always_refused(sandbox: Sandbox, out: str) -> None:
    for extra in ([], ["--overwrite"]):
        assert _check_contract(["predict", "y", "tiny.csv", "--out", out, *extra, "--json"], sandbox) == 2
        assert not (sandbox.keel / "scored.csv").exists()
    assert _check_contract(["check", "--json"], sandbox) == 0  # the store is intact


@pytest.mark.parametrize("folder", ["tiny.csv", "tiny.csv/new_backup", "tiny.csv/../tiny.csv"])
def test_backup_onto_an_existing_file_is_a_user_error(sandbox: Sandbox, folder: str) -> None:
    assert _check_contract(["backup", folder, "--json"], sandbox) == 2


@pytest.mark.parametrize("seed", ["-1", str(10**30)])
def test_train_with_an_out_of_range_seed_is_a_user_error(sandbox: Sandbox, seed: str) -> None:
    argv = ["train", "tiny.csv", "--target", "y", "--time-budget", "5", "--seed", seed, "--json"]
    assert _check_contract(argv, sandbox) == 2


@pytest.mark.parametrize("argv", [
    pytest.param(["profile", "x" * 300], id="ascii"), pytest.param(["drift", "tiny.csv", "é" * 200], id="unicode"),
    pytest.param(["backup", "x" * 300], id="backup"),
    pytest.param(["restore", "x" * 300], id="restore"),
])
def test_an_overlong_file_name_is_a_user_error(sandbox: Sandbox, argv: list[str]) -> None:
    assert _check_contract([*argv, "--json"], sandbox) == 2


def test_a_local_file_named_tilde_is_the_file_that_is_read(sandbox: Sandbox, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("~").write_text("city,amount\nLyon,1\nOslo,2\n")
    assert _check_contract(["profile", "~", "--json"], sandbox) == 0

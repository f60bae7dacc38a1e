"""What every command shares: the parser that turns a bad command line into a user error, the argument
types, reading an input file, and progress lines on stderr."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from core.errors import InputError

if TYPE_CHECKING:
    from core.data import LargeTable, Table

# A command returns its JSON object and its human summary, and optionally an exit status (0 otherwise).
Result = tuple[dict[str, Any], str] | tuple[dict[str, Any], str, int]
Command = Callable[[argparse.Namespace], Result]
# Registers a command: (name, function, one-line help) -> its parser, which already has --json.
AddCommand = Callable[[str, Command, str], argparse.ArgumentParser]

PROG = "python -m core"


class Parser(argparse.ArgumentParser):
    """argparse, but a bad command line is a user error: exit 2 with error/hint lines."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"error: {message}\n")
        command = command_words(self.prog)
        sys.stderr.write(f"hint: run `{PROG} {command + ' ' if command else ''}--help` to see the options.\n")
        raise SystemExit(2)


def command_words(prog: str) -> str:
    """The command part of a parser's name: 'python -m core forecast' -> 'forecast'. Whatever precedes it
    ('python -m core', 'core', '__main__.py') is dropped, so a hint never reads 'python -m core core'."""
    words = prog.split()
    heads = [i for i, w in enumerate(words) if w == "core" or w.endswith((".py", "/core"))]
    return " ".join(words[heads[-1] + 1 :] if heads else words).strip()


def input_path(raw: str) -> Path:
    """An input file the user named; a missing one is the user's error."""
    path = Path(raw)
    try:
        found = path.is_file()
    except (OSError, ValueError):  # e.g. a name longer than the file system allows
        found = False
    if not found:
        raise InputError(f"There is no file at '{raw}'.", "Check the path and the file name, then try again.")
    return path


def seconds(text: str) -> float:
    value = float(text)
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"{text} is not a positive number of seconds")
    return value


def seed(text: str) -> int:
    value = int(text)
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"{text} is outside 0 to 4294967295")
    return value


def read(raw: str, sheet: str | None = None) -> Table:
    """The table in the file the user named (any supported format)."""
    from core.data import read_table

    path = input_path(raw)
    return read_table(path, name=path.name, sheet=sheet)


def read_or_sample(raw: str, sheet: str | None = None) -> tuple[Table, LargeTable | None]:
    """The table in the file; a file too large to read at once (CSV or Parquet) is read in pieces: exact counts
    and a random sample (the second value, None when the whole file was read)."""
    from core.data import fits_in_memory, read_large

    path = input_path(raw)
    if fits_in_memory(path):
        return read(raw, sheet), None
    large = read_large(path, name=path.name)
    return large.table, large


def progress(fraction: float, text: str) -> None:
    """A progress line on stderr (stdout is kept for the result)."""
    print(f"[{fraction:4.0%}] {text}", file=sys.stderr)

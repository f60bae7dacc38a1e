"""core.paths.write_output: bytes or a writer, atomically; a system refusal is the user's error and leaves
nothing half-written behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import InputError
from core.paths import write_output


def test_bytes_and_a_writer_give_the_same_file(tmp_path: Path) -> None:
    assert write_output(tmp_path / "a.csv", b"x,y\n1,2\n").read_bytes() == b"x,y\n1,2\n"
    assert write_output(tmp_path / "b.csv", lambda fh: fh.write(b"x,y\n1,2\n")).read_bytes() == b"x,y\n1,2\n"


def test_a_refused_write_is_the_users_error_and_leaves_no_part_file(tmp_path: Path) -> None:
    folder = tmp_path / "outputs"
    folder.mkdir()
    taken = folder / "out.csv"
    taken.mkdir()  # a folder where the file should go: the final rename is refused by the system
    (taken / "inside.txt").write_text("kept")
    with pytest.raises(InputError) as refused:
        write_output(taken, b"rows\n")
    assert str(refused.value).startswith(f"Keel could not write '{taken}': ")
    assert refused.value.hint == "Choose a folder you can write to, or another file name."
    assert sorted(p.name for p in folder.iterdir()) == ["out.csv"]  # no .part file left
    assert (taken / "inside.txt").read_text() == "kept"

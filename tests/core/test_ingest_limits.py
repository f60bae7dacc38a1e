"""Limits checked before a file is read: nesting depth, declared size, width, unsafe workbooks."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core.data import ingest
from core.data.ingest import json_reader
from core.errors import InputError
from core.data.ingest import read_table

ROOT = Path(__file__).resolve().parents[2]


def refused(source: bytes | Path, name: str) -> InputError:
    with pytest.raises(InputError) as caught:
        read_table(source, name)
    return caught.value


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A fresh Python process with HOME and KEEL_HOME inside ``tmp_path``."""
    home = tmp_path / "cli_home"
    home.mkdir(exist_ok=True)
    env = {**os.environ, "KEEL_HOME": str(home / "keel"), "HOME": str(home)}
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120, check=False)


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return _run(tmp_path, "-m", "core", *args)


def _python(tmp_path: Path, script: str, path: Path) -> subprocess.CompletedProcess[str]:
    return _run(tmp_path, "-c", script, str(path))


# ---- JSON nesting ------------------------------------------------------------------------------

DEEP_MESSAGE = (
    "'deep.jsonl' has JSON nested 20,000 levels deep (line 1); Keel reads JSON nested up to 100 "
    "levels, and the records of a table need only a few."
)
DEEP_HINT = (
    "Flatten the records (one object per row, with plain values such as numbers, text or short "
    "lists), or save the data as CSV or Parquet, then upload again."
)


def test_deep_json_lines_are_refused_before_pyarrow_sees_them(tmp_path: Path) -> None:
    path = tmp_path / "deep.jsonl"
    path.write_bytes(('{"a":' * 20_000 + "1" + "}" * 20_000 + "\n").encode())  # 120 KB
    error = refused(path, "deep.jsonl")
    assert error.message == DEEP_MESSAGE
    assert error.hint == DEEP_HINT


def test_cli_refuses_deep_json_with_exit_2_not_a_crash(tmp_path: Path) -> None:
    """It used to die inside pyarrow's JSON reader: segmentation fault, exit 139, no message."""
    path = tmp_path / "deep.jsonl"
    path.write_bytes(('{"a":' * 20_000 + "1" + "}" * 20_000 + "\n").encode())
    done = _cli(tmp_path, "profile", str(path), "--json")
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert f"error: {DEEP_MESSAGE}" in done.stderr
    assert f"hint: {DEEP_HINT}" in done.stderr


@pytest.mark.parametrize(
    ("text", "depth", "line"),
    [
        pytest.param("[" * 150 + "]" * 150, 150, 1, id="json-array"),
        pytest.param('[{"a": 1},\n {"b": ' + "[" * 120 + "]" * 120 + "}]", 122, 2, id="pretty-document"),
        pytest.param('{"ok": 1}\n' * 3 + '{"x": "' + "]" * 500 + '", "y": ' + "[" * 200 + "]" * 200 + "}\n", 201, 4,
                     id="closers-inside-a-string-do-not-hide-depth"),
        pytest.param('{"x": "\\"' + "]" * 300 + '", "y": ' + "{\"z\":" * 150 + "1" + "}" * 150 + "}\n", 151, 1,
                     id="escaped-quote"),
        pytest.param('{"x": 1}\n' + "]" * 400 + "\n" + "[" * 150 + "\n", 150, 3, id="broken-closers-first"),
    ],
)
def test_depth_is_measured_outside_strings(text: str, depth: int, line: int) -> None:
    error = refused(text.encode(), "deep.json")
    assert error.message.startswith(f"'deep.json' has JSON nested {depth:,} levels deep (line {line});"), error.message


def test_json_at_the_depth_limit_and_brackets_inside_strings_still_load() -> None:
    nested: object = 1
    for _ in range(98):
        nested = {"k": nested}
    lines = [json.dumps({"id": i, "deep": nested, "text": "[[[{{{" * 50}) for i in range(3)]
    table = read_table(("\n".join(lines) + "\n").encode(), "ok.jsonl")
    assert len(table.frame) == 3
    assert table.frame["text"].iloc[0] == "[[[{{{" * 50


def test_ordinary_json_lines_are_checked_quickly() -> None:
    line = (json.dumps({"id": 1, "name": 'a "quoted" [name]', "tags": ["x", "y"], "who": {"n": 1}}) + "\n").encode()
    data = line * 200_000  # ~14 MB
    start = time.perf_counter()
    json_reader.check_json_depth(data, "big.jsonl", lines=True)
    assert time.perf_counter() - start < 1.0


# ---- Parquet: declared rows x columns ------------------------------------------------------------


def _null_parquet(path: Path, rows: int) -> None:
    pq.write_table(pa.table({"x": pa.nulls(rows)}), path, row_group_size=rows)  # no buffers: fast


def test_parquet_declaring_too_many_values_is_refused_from_its_footer(tmp_path: Path) -> None:
    path = tmp_path / "nulls.parquet"
    _null_parquet(path, 200_000_000)
    assert path.stat().st_size < 1_000_000
    start = time.perf_counter()
    error = refused(path, "nulls.parquet")
    assert time.perf_counter() - start < 2.0
    assert error.message == (
        "'nulls.parquet' declares 200,000,000 rows × 1 column (200,000,000 values); Keel holds up to "
        "100,000,000 values in memory, so it did not read the file."
    )
    assert error.hint == (
        "Keep only the rows and columns you need (a sample of the rows is often enough) and save it "
        "again, or split it into several files."
    )


def test_parquet_refusal_stays_small_and_fast_in_a_fresh_process(tmp_path: Path) -> None:
    """The 10^9-row file took 9.6 GB and 32 s; the refusal must not read a single row."""
    path = tmp_path / "nulls.parquet"
    _null_parquet(path, 200_000_000)
    script = (
        "import sys, time; from core.data.ingest import read_table; from core.errors import InputError\n"
        "start = time.perf_counter()\n"
        "try:\n    read_table(sys.argv[1])\nexcept InputError:\n    pass\nelse:\n    sys.exit('not refused')\n"
        "peak = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]\n"
        "print(time.perf_counter() - start, int(peak) * 1024)\n"
    )
    done = _python(tmp_path, script, path)
    assert done.returncode == 0, done.stderr
    seconds, peak = (float(v) for v in done.stdout.split())
    assert seconds < 2.0
    assert peak < 300 * 2**20


def test_parquet_within_the_limit_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "ok.parquet"
    pq.write_table(pa.table({"a": np.arange(1000), "b": pa.nulls(1000)}), path)
    table = read_table(path)
    assert table.frame.shape == (1000, 2)


# ---- memory handed back after a read -----------------------------------------------------------


@pytest.mark.slow  # 3M rows in a fresh process: a memory measurement, out of the fast loop
def test_a_big_read_leaves_only_the_table_in_memory(tmp_path: Path) -> None:
    """pyarrow's allocator kept ~450 MB of a 200 MB CSV's blocks after the read; profiling then
    went over its 1.5 GB budget. A fresh process reads 3M rows and checks what it still holds."""
    path = tmp_path / "tall.csv"
    rng = np.random.default_rng(1)
    values = np.char.add(np.char.add(rng.integers(0, 10**9, 3_000_000).astype(str), "."), "25")
    path.write_text("value\n" + "\n".join(values.tolist()) + "\n")
    script = (
        "import sys\n"
        "def rss():\n    return int([l for l in open('/proc/self/status') if l.startswith('VmRSS')][0].split()[1]) * 1024\n"
        "from core.data.ingest import read_table\nimport core.data.quality\n"
        "base = rss(); table = read_table(sys.argv[1])\n"
        "print(rss() - base, table.frame.memory_usage(deep=True).sum())\n"
    )
    done = _python(tmp_path, script, path)
    assert done.returncode == 0, done.stderr
    held, frame = (int(v) for v in done.stdout.split())
    assert held < frame + 50 * 2**20, (held / 2**20, frame / 2**20)


# ---- the exact width in a refusal --------------------------------------------------------------


@pytest.mark.parametrize("as_path", [False, True], ids=["upload", "path"])
def test_too_many_columns_names_the_exact_count(tmp_path: Path, as_path: bool) -> None:
    """The header line is longer than the sample used to sniff it; it said 39,037."""
    header = ",".join(f"c{i}" for i in range(99_999)) + ',"a, quoted name"'
    data = (header + "\n" + ",".join("1" for _ in range(100_000)) + "\n").encode()
    source: bytes | Path = data
    if as_path:
        source = tmp_path / "wide.csv"
        source.write_bytes(data)
    error = refused(source, "wide.csv")
    assert error.message == "'wide.csv' has 100,000 columns; Keel reads up to 10,000."
    assert error.hint == "Keep only the columns you need, or split the file into several files."


def test_too_many_columns_after_a_title_line_and_in_utf16() -> None:
    body = ",".join(f"c{i}" for i in range(20_000)) + "\n" + ",".join("1" for _ in range(20_000)) + "\n"
    error = refused(("sep=,\n" + body).encode("utf-16"), "wide.csv")
    assert error.message == "'wide.csv' has 20,000 columns; Keel reads up to 10,000."


# ---- unsafe workbooks ----------------------------------------------------------------------------

UNSAFE = (
    "'book.xlsx' is not safe to open: it contains XML entity declarations (in '{part}') that could "
    "make the computer run out of memory (a 'billion laughs' attack), so Keel did not open it."
)


def _workbook() -> bytes:
    book = openpyxl.Workbook()
    book.active.append(["a", "b"])
    book.active.append([1, 2])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _patched(data: bytes, part: str, change) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            target.writestr(info.filename, change(content) if info.filename == part else content)
    return out.getvalue()


LAUGHS = (
    b'<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10))
    + b"]>"
)


def _with_prolog(prolog: bytes, body_change=lambda b: b):
    def change(xml: bytes) -> bytes:
        declaration = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        if xml.startswith(b"<?xml"):
            declaration, xml = xml[: xml.index(b"?>") + 2], xml[xml.index(b"?>") + 2 :]
        return declaration + prolog + body_change(xml)

    return change


@pytest.mark.parametrize(
    ("part", "prolog"),
    [
        pytest.param("xl/worksheets/sheet1.xml", LAUGHS, id="billion-laughs-in-the-sheet"),
        pytest.param("[Content_Types].xml", b'<!DOCTYPE t [<!ENTITY e "x">]>', id="entity-in-content-types"),
        pytest.param("docProps/core.xml", b"<!-- a comment first -->\n  " + LAUGHS, id="after-a-comment"),
        pytest.param("xl/styles.xml", b'<!DOCTYPE s SYSTEM "http://example.invalid/x.dtd">', id="external-dtd"),
    ],
)
def test_a_workbook_declaring_xml_entities_is_refused_as_unsafe(part: str, prolog: bytes) -> None:
    data = _patched(_workbook(), part, _with_prolog(prolog, lambda b: b.replace(b"<v>1</v>", b"<v>&lol9;</v>")))
    error = refused(data, "book.xlsx")
    assert error.message == UNSAFE.format(part=part)
    assert error.hint == (
        "Excel never writes these. If the file comes from someone you trust, open it in Excel or "
        "LibreOffice, save it again as .xlsx and upload that, or export the sheet as CSV."
    )


def test_a_utf16_sheet_with_a_dtd_is_refused_too() -> None:
    def change(xml: bytes) -> bytes:
        return ('<?xml version="1.0" encoding="UTF-16"?>' + LAUGHS.decode() + xml.decode()).encode("utf-16")

    error = refused(_patched(_workbook(), "xl/worksheets/sheet1.xml", change), "book.xlsx")
    assert error.message == UNSAFE.format(part="xl/worksheets/sheet1.xml")


def test_a_workbook_with_comments_and_no_dtd_still_loads() -> None:
    data = _patched(_workbook(), "xl/worksheets/sheet1.xml", _with_prolog(b"<!-- generated -->\n<?pi x?>"))
    table = read_table(data, "book.xlsx")
    assert table.frame.to_dict("list") == {"a": [1], "b": [2]}

"""JSON Lines and JSON documents (an array of records, a column-wise object, records under one key),
with nesting checked before any parser runs."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pyarrow as pa

from core.data.ingest.cells import column_from_values
from core.data.ingest.encoding import ENCODING_LABELS
from core.data.ingest.finish import finish_table
from core.data.ingest.source import MAX_COLUMNS, MAX_JSON_DEPTH, MAX_JSON_DOCUMENT_BYTES, Table
from core.errors import InputError

_JSON_HINT = "Keel reads a JSON array of objects ([{...}, {...}]) or JSON Lines (one object per line)."


def read_json(data: bytes, label: str, size: int, codec: str, notes: list[str]) -> Table:
    check_json_depth(data, label, lines=True)
    text_start = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    table: pa.Table | None = None
    fmt = "json"
    if text_start == b"{":
        fmt = "jsonl"
        table = _jsonl_arrow(data)
        if table is not None and table.num_rows == 1 and all(pa.types.is_list(f.type) for f in table.schema):
            fmt, table = "json", _json_document(data, label, notes)  # {"col": [...], ...}
        elif table is None:
            records = _jsonl_python(data, label)
            if records is None:  # one JSON object spread over lines
                fmt = "json"
                table = _json_document(data, label, notes)
            else:
                table = _records_table(records, label, notes)
    else:
        table = _json_document(data, label, notes)
    if table.num_columns > MAX_COLUMNS:
        raise InputError(
            f"'{label}' has {table.num_columns:,} different keys; Keel reads up to {MAX_COLUMNS:,} columns.",
            "Keep only the fields you need.",
        )
    if table.num_rows == 0:
        raise InputError(f"'{label}' holds no records.", _JSON_HINT)
    table = _flatten_nested(table, notes)
    result = finish_table(table, label, notes, recognise=True, decimal=".", raw_samples=None)
    return Table(
        frame=result.frame,
        source_name=label,
        format=fmt,
        size_bytes=size,
        encoding=ENCODING_LABELS.get(codec, codec),
        notes=tuple(result.notes),
        converted=result.converted,
    )


def check_json_depth(data: bytes, label: str, *, lines: bool) -> None:
    """Refuse JSON nested deeper than MAX_JSON_DEPTH before a parser sees it.

    pyarrow's JSON reader recurses once per level and crashes the whole process (no exception,
    exit 139) somewhere past ten thousand levels. It parses each line on its own, so for it
    (``lines``) a line with few opening brackets is safe whatever the rest holds: that quick count
    clears ordinary files, and only a line with many brackets pays for the exact scan.
    """
    if lines:
        if _openers_per_line(data) <= MAX_JSON_DEPTH:
            return
    elif data.count(b"[") + data.count(b"{") <= MAX_JSON_DEPTH:
        return
    depth, at = json_depth(data)
    if depth > MAX_JSON_DEPTH:
        line = data.count(b"\n", 0, at) + 1
        raise InputError(
            f"'{label}' has JSON nested {depth:,} levels deep (line {line:,}); Keel reads JSON nested "
            f"up to {MAX_JSON_DEPTH} levels, and the records of a table need only a few.",
            "Flatten the records (one object per row, with plain values such as numbers, text or "
            "short lists), or save the data as CSV or Parquet, then upload again.",
        )


DEPTH_CHUNK = 4 << 20
_OPENER = np.zeros(256, dtype=bool)
_OPENER[[ord("["), ord("{")]] = True
# byte classes for the exact scan: quote, backslash, line break, opening and closing bracket
_JSON_CLASS = np.zeros(256, dtype=np.int8)
_JSON_CLASS[ord('"')], _JSON_CLASS[ord("\\")], _JSON_CLASS[ord("\n")] = 1, 2, 3
_JSON_CLASS[[ord("["), ord("{")]] = 4
_JSON_CLASS[[ord("]"), ord("}")]] = 5


def _openers_per_line(data: bytes) -> int:
    """The most opening brackets ([ or {) on any one line: an upper bound of its depth."""
    arr = np.frombuffer(data, dtype=np.uint8)
    worst = carry = 0
    for start in range(0, len(arr), DEPTH_CHUNK):
        chunk = arr[start : start + DEPTH_CHUNK]
        openers = np.flatnonzero(_OPENER[chunk])
        breaks = np.flatnonzero(chunk == 10)
        if not len(breaks):
            carry += len(openers)
            worst = max(worst, carry)
            continue
        per_line = np.diff(np.searchsorted(openers, breaks), prepend=0)
        per_line[0] += carry
        carry = len(openers) - int(np.searchsorted(openers, breaks[-1]))
        worst = max(worst, int(per_line.max()), carry)
    return worst


def json_depth(data: bytes) -> tuple[int, int]:
    """(deepest nesting of [ and { outside strings, byte offset where it is first reached).

    A vectorised scan in chunks over the bytes that matter: quotes not escaped by an odd run of
    backslashes toggle "inside a string"; brackets outside strings move the level. A closing
    bracket never takes the level below zero, and a line break always ends a string (JSON forbids
    raw line breaks inside one, and pyarrow parses each line on its own), so broken JSON cannot
    hide depth from this count.
    """
    arr = np.frombuffer(data, dtype=np.uint8)
    in_string = level = low = backslashes = 0  # low: min(0, lowest running level), the clamp
    best, best_at = 0, 0
    for start in range(0, len(arr), DEPTH_CHUNK):
        chunk = arr[start : start + DEPTH_CHUNK]
        pos = np.flatnonzero(_JSON_CLASS[chunk])
        kind = _JSON_CLASS[chunk[pos]]
        slash = kind == 2
        if slash.any() or (backslashes % 2 == 1 and len(pos) and pos[0] == 0):
            kind = _drop_escapes(pos, kind, slash, backslashes)
        backslashes = _trailing_backslashes(chunk, backslashes)
        quotes = np.cumsum(kind == 1, dtype=np.int64)  # quotes up to and including each entry
        breaks = np.flatnonzero(kind == 3)
        base: np.ndarray | int
        if len(breaks):
            last = np.maximum.accumulate(np.where(kind == 3, np.arange(len(kind)), -1))
            base = np.where(last >= 0, quotes[np.maximum(last, 0)], -in_string)
            in_string_after = int(quotes[-1] - quotes[breaks[-1]]) % 2
        else:
            base = -in_string
            in_string_after = (in_string + int(quotes[-1] if len(quotes) else 0)) % 2
        where = np.flatnonzero((kind >= 4) & ((quotes - base) % 2 == 0))
        if len(where):
            sums = level + np.cumsum(np.where(kind[where] == 4, 1, -1), dtype=np.int64)
            depth = sums - np.minimum(np.minimum.accumulate(sums), low)
            top = int(np.argmax(depth))
            if depth[top] > best:
                best, best_at = int(depth[top]), start + int(pos[where[top]])
            level, low = int(sums[-1]), min(low, int(sums.min()))
        in_string = in_string_after
    return best, best_at


def _drop_escapes(pos: np.ndarray, kind: np.ndarray, slash: np.ndarray, carried: int) -> np.ndarray:
    """``kind`` with backslashes, and quotes escaped by an odd run of them, set to 0 (ignored).

    A run of backslashes may begin in the previous chunk, which ended with ``carried`` of them.
    """
    kind = kind.copy()
    if carried % 2 == 1 and len(pos) and pos[0] == 0 and kind[0] == 1:
        kind[0] = 0
    entries = np.flatnonzero(slash)
    if not len(entries):
        return kind
    at = pos[entries]
    order = np.arange(len(at))
    first = np.r_[True, (at - order)[1:] != (at - order)[:-1]]  # a run's bytes are consecutive
    run_start = np.maximum.accumulate(np.where(first, order, 0))
    run = order - run_start + 1 + np.where(at[run_start] == 0, carried, 0)
    following = entries + 1
    inside = following < len(kind)
    following, run, at = following[inside], run[inside], at[inside]
    escaped = (pos[following] == at + 1) & (run % 2 == 1) & (kind[following] == 1)
    kind[following[escaped]] = 0
    kind[entries] = 0
    return kind


def _trailing_backslashes(chunk: np.ndarray, carried: int) -> int:
    if not len(chunk) or chunk[-1] != 92:
        return 0
    tail = chunk[-4096:]
    run = len(tail) - len(tail.tobytes().rstrip(b"\\"))
    if run == len(tail):  # a long run: count it exactly
        other = np.flatnonzero(chunk != 92)
        run = len(chunk) - 1 - int(other[-1]) if len(other) else len(chunk) + carried
    return run


def _jsonl_arrow(data: bytes) -> pa.Table | None:
    import pyarrow.json as pajson

    try:
        return pajson.read_json(pa.BufferReader(data), read_options=pajson.ReadOptions(block_size=1 << 24))
    except (pa.ArrowException, OSError, ValueError):
        return None


def _jsonl_python(data: bytes, label: str) -> list[dict] | None:
    if len(data) > MAX_JSON_DOCUMENT_BYTES:
        raise InputError(
            f"'{label}' has JSON lines of mixed or invalid form and is too big to check one by one.",
            "Make every line one JSON object with the same kinds of values, or save the data as CSV or Parquet.",
        )
    records: list[dict] = []
    text = data.decode("utf-8", errors="replace")
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            if number == 1:
                return None
            raise InputError(
                f"Line {number} of '{label}' is not valid JSON ({exc.msg}, column {exc.colno}).",
                "Fix that line, or remove it, and upload again. " + _JSON_HINT,
            ) from exc
        if not isinstance(value, dict):
            raise InputError(f"Line {number} of '{label}' is not a JSON object.", _JSON_HINT)
        records.append(value)
    return records


def _json_document(data: bytes, label: str, notes: list[str]) -> pa.Table:
    if len(data) > MAX_JSON_DOCUMENT_BYTES:
        raise InputError(
            f"'{label}' is a {len(data) / 2**20:,.0f} MB JSON document; Keel reads JSON arrays up to "
            f"{MAX_JSON_DOCUMENT_BYTES // 2**20} MB.",
            "Save it as JSON Lines (one object per line), CSV or Parquet instead.",
        )
    check_json_depth(data, label, lines=False)
    try:
        value = json.loads(data.decode("utf-8", errors="replace").lstrip("\ufeff"))
    except json.JSONDecodeError as exc:
        raise InputError(
            f"'{label}' looks like JSON but is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}).",
            "Fix the file, or export it again. " + _JSON_HINT,
        ) from exc
    except RecursionError as exc:
        raise InputError(f"'{label}' is JSON nested too deeply to be a table.", _JSON_HINT) from exc
    if isinstance(value, dict):
        lists = {k: v for k, v in value.items() if isinstance(v, list)}
        if (
            value
            and len(lists) == len(value)
            and len({len(v) for v in lists.values()}) == 1
            and not any(isinstance(x, dict) for v in lists.values() for x in v[:1])
        ):
            return _records_table([dict(zip(lists, row)) for row in zip(*lists.values())], label, notes)
        record_lists = [k for k, v in lists.items() if v and all(isinstance(x, dict) for x in v[:100])]
        if len(record_lists) == 1:
            notes.append(f"Read the records under the key '{record_lists[0]}'.")
            value = value[record_lists[0]]
        else:
            raise InputError(f"'{label}' is a JSON object, not a list of records.", _JSON_HINT)
    if not isinstance(value, list):
        raise InputError(f"'{label}' is JSON but holds a single value, not a table.", _JSON_HINT)
    if not value:
        raise InputError(f"'{label}' is an empty JSON list.", _JSON_HINT)
    if not all(isinstance(item, dict) for item in value):
        if all(isinstance(item, list) for item in value) and value and all(isinstance(x, str) for x in value[0]):
            header = [str(x) for x in value[0]]
            return _records_table([dict(zip(header, row)) for row in value[1:]], label, notes, order=header)
        raise InputError(f"'{label}' is a JSON list, but not of records (objects).", _JSON_HINT)
    return _records_table(value, label, notes)


def _records_table(records: list[dict], label: str, notes: list[str], order: list[str] | None = None) -> pa.Table:
    keys: dict[str, None] = dict.fromkeys(order or [])
    for record in records:
        for key in record:
            keys.setdefault(str(key), None)
            if len(keys) > MAX_COLUMNS:
                raise InputError(
                    f"'{label}' has more than {MAX_COLUMNS:,} different keys; Keel reads up to {MAX_COLUMNS:,} columns.",
                    "Keep only the fields you need.",
                )
    lookup = [_flat_record(r) for r in records]
    keys = dict.fromkeys(order or [])
    for record in lookup:
        for key in record:
            keys.setdefault(key, None)
    if len(keys) > MAX_COLUMNS:
        raise InputError(
            f"'{label}' has more than {MAX_COLUMNS:,} different keys; Keel reads up to {MAX_COLUMNS:,} columns.",
            "Keep only the fields you need.",
        )
    names = list(keys)
    nested = [k for k in names if any(isinstance(r.get(k), list) for r in lookup[:1000])]
    if nested:
        notes.append(
            "Kept lists as JSON text in "
            + ", ".join(f"'{n}'" for n in nested[:5])
            + (f" and {len(nested) - 5} more" if len(nested) > 5 else "")
            + "."
        )
    arrays = [column_from_values([r.get(k) for r in lookup]) for k in names]
    return pa.Table.from_arrays(arrays, names=names) if names else pa.table({})


def _flat_record(record: dict, prefix: str = "", depth: int = 0) -> dict[str, Any]:
    """{'who': {'name': 'a'}} -> {'who.name': 'a'} (a few levels deep; deeper stays JSON text)."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value and depth < 5:
            out.update(_flat_record(value, f"{name}.", depth + 1))
        else:
            out[name] = value
    return out


def _flatten_nested(table: pa.Table, notes: list[str]) -> pa.Table:
    for _ in range(5):
        if not any(pa.types.is_struct(f.type) for f in table.schema):
            break
        table = table.flatten()
    nested = [f.name for f in table.schema if pa.types.is_nested(f.type)]
    for name in nested:
        index = table.schema.get_field_index(name)
        values = table.column(index).to_pylist()
        text = pa.array(
            [None if v is None else json.dumps(v, ensure_ascii=False, default=str) for v in values], pa.string()
        )
        table = table.set_column(index, name, text)
    if nested:
        notes.append(
            "Kept lists as JSON text in "
            + ", ".join(f"'{n}'" for n in nested[:5])
            + (f" and {len(nested) - 5} more" if len(nested) > 5 else "")
            + "."
        )
    return table

"""Python cell values (from a spreadsheet or JSON records) as Arrow columns; mixed kinds become text."""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa


def column_from_values(values: list[Any]) -> pa.Array:
    """An Arrow array from Python cell values; mixed kinds become text (then recognised)."""
    import datetime as dt

    kinds = set()
    for v in values:
        if v is None:
            continue
        if isinstance(v, bool):
            kinds.add("bool")
        elif isinstance(v, (int, float)):
            kinds.add("int" if isinstance(v, int) else "float")
        elif isinstance(v, (dt.datetime, dt.date)):
            kinds.add("datetime")
        elif isinstance(v, str):
            kinds.add("str" if v.strip() else "blank")
        else:
            kinds.add("other")
        if len(kinds) > 2:
            break
    kinds.discard("blank")
    cleaned = [None if (isinstance(v, str) and not v.strip()) else v for v in values]
    try:
        if not kinds:
            return pa.nulls(len(values), pa.float64())
        if kinds == {"int"}:
            return pa.array(cleaned, type=pa.int64())
        if kinds <= {"int", "float"}:
            return pa.array([None if v is None else float(v) for v in cleaned], type=pa.float64())
        if kinds == {"bool"}:
            return pa.array(cleaned, type=pa.bool_())
        if kinds == {"datetime"}:
            return pa.array(
                [
                    None if v is None else (v if isinstance(v, dt.datetime) else dt.datetime(v.year, v.month, v.day))
                    for v in cleaned
                ],
                type=pa.timestamp("us"),
            )
    except (pa.ArrowException, OverflowError, TypeError, ValueError):
        pass
    return pa.array([None if v is None else cell_text(v) for v in cleaned], type=pa.string())


def cell_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=str)
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ") if hasattr(value, "hour") and hasattr(value, "date") else value.isoformat()
    return str(value)

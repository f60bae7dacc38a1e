"""The sentences ingest writes in ``Table.notes``: lists, row numbers, UTC offsets, failed values."""

from __future__ import annotations

import re


def one_note(name: str, parts: list[str]) -> str:
    """The notes about one column as one sentence: "'x': read as numbers; 2 values …"."""
    prefix = f"'{name}': "
    bodies = list(dict.fromkeys(p[len(prefix) :] if p.startswith(prefix) else p for p in parts))
    return prefix + "; ".join(b.rstrip(".") for b in bodies) + "."


def rows_text(positions: list[int], count: int) -> str:
    """'row 4' / 'rows 4, 9 and 12' / 'rows 4, 9, 12, 15, 20 and 31 more' (1-based)."""
    shown = [f"{p + 1:,}" for p in positions[:5]]
    if count == 1:
        return f"row {shown[0]}"
    if count > len(shown):
        return f"rows {', '.join(shown)} and {count - len(shown):,} more"
    return f"rows {', '.join(shown[:-1])} and {shown[-1]}"


OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")


def canonical_offset(text: str) -> str:
    if text == "Z":
        return "+00:00"
    return text if ":" in text else text[:3] + ":" + text[3:]


def tz_note(name: str, offsets: list[str]) -> str:
    if len(offsets) > 1:
        shown = ", ".join(offsets[:4]) + (" …" if len(offsets) > 4 else "")
        return f"'{name}': times had different UTC offsets ({shown}) and were converted to UTC."
    if offsets:
        return f"'{name}': times carried the UTC offset {offsets[0]} and were converted to UTC."
    return f"'{name}': times with UTC offsets were converted to UTC."


def failure_note(name: str, failed: int, examples: list[str], what: str) -> str:
    shown = ", ".join(f"'{e[:40]}'" for e in examples)
    return (
        f"'{name}': {failed:,} value{'s' if failed > 1 else ''} could not be read as {what} and "
        f"{'are' if failed > 1 else 'is'} now missing (first: {shown})."
    )

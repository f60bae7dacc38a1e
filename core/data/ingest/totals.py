"""A closing totals row ('Total', 'Grand total', 'Sum'…) whose numbers add up is left out."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from core.data.ingest.recognise import Recognised
from core.data.wording import and_join

_TOTAL_WORD = re.compile(
    r"^(?:grand[ -]?totals?|sub-?totals?|totals?|sum|sums|summe|gesamt(?:summe)?|total g[ée]n[ée]ral|"
    r"totaal|totale|totalt|suma|somme)\s*:?$",
    re.IGNORECASE,
)
_TOTAL_START = re.compile(r"^(?:grand[ -]?|sub-?)?totals?\b|^sum\b", re.IGNORECASE)
_TotalRow = tuple[int, str, bool]  # (position of the label's column, the label, the label is only the word)


def totals_candidate(columns: list[pa.ChunkedArray]) -> _TotalRow | None:
    """The last row, if its first filled cell is text that starts with 'Total', 'Sum'…"""
    rows = len(columns[0]) if columns else 0
    if rows < 3:  # a total needs at least two rows above it
        return None
    for j, column in enumerate(columns):
        value = column[rows - 1].as_py()
        if value is None:
            continue
        if not isinstance(value, str):
            return None
        text = value.strip()
        if _TOTAL_WORD.match(text):
            return j, text, True
        if _TOTAL_START.match(text):
            return j, text, False
        return None
    return None


def totals_verdict(
    recognised: Recognised, last: list[pa.ChunkedArray], total: _TotalRow, names: list[str], decimal: str
) -> list[int] | None:
    """Columns whose sum over the rows above equals the last row's value, when the last row is a
    totals row; None when it is a real row (a product called 'Total Care Shampoo').

    A label that is only the word ('Total', 'Grand total:') is enough when the row holds numbers
    that could be totals (one column adds up, or each is at least as big as any value above it); a
    label that only starts with it needs every number in the row to be its column's sum.
    """
    columns, converted, _ = recognised
    label_at, _label_text, word_only = total
    matched: list[int] = []
    mismatched = 0
    aggregate = True
    for i, column in enumerate(columns):
        t = column.type
        if i == label_at or not (pa.types.is_integer(t) or pa.types.is_floating(t)):
            continue
        value, places = _loose_number(last[i][0].as_py(), decimal)
        if value is None:
            continue
        if "percentages" in converted.get(names[i], ""):
            value /= 100
        body_sum = float(pc.sum(column).as_py() or 0)
        # as written: '10' totals 9.6 + 0.4 to the unit, '10.00' to the cent; a typed number exactly
        tolerance = max(1e-9 * abs(body_sum), 0.5 * 10.0**-places if places is not None else 1e-9)
        if body_sum != 0 and abs(value - body_sum) <= tolerance:
            matched.append(i)
        else:
            mismatched += 1
        largest = pc.max(pc.abs(column)).as_py()
        if largest is not None and abs(value) < largest:
            aggregate = False
    if word_only:
        return matched if (matched or mismatched) and (matched or aggregate) else None
    return matched if matched and not mismatched else None


_LOOSE_STRIP = re.compile(r"[\s\u00a0\u202f'%$€£¥₹]|\b(?:" + "|".join(("USD", "EUR", "GBP", "CHF")) + r")\b")


def _loose_number(value: Any, decimal: str) -> tuple[float | None, int | None]:
    """A number from one cell of a totals row, and how many decimals it was written with."""
    if isinstance(value, bool) or value is None:
        return None, None
    if isinstance(value, (int, float)):
        return (float(value), None) if np.isfinite(value) else (None, None)
    if not isinstance(value, str):
        return None, None
    text = _LOOSE_STRIP.sub("", value.strip())
    negative = text.startswith("(") and text.endswith(")")
    text = text.strip("()")
    text = text.replace(",", "") if decimal == "." else text.replace(".", "").replace(",", ".")
    if not re.fullmatch(r"[+-]?(?:\d+\.?\d*|\.\d+)", text):
        return None, None
    places = len(text.split(".")[1]) if "." in text else 0
    number = float(text)
    return (-number if negative else number), places


def totals_note(label_text: str, where: str, matched: list[int], names: list[str]) -> str:
    text = label_text if len(label_text) <= 40 else label_text[:40] + "…"
    note = f"Skipped the last row ({where}, '{text}'): it is a totals row, not data"
    if matched:
        shown = [f"'{names[i]}'" for i in matched[:4]] + ([f"{len(matched) - 4} more"] if len(matched) > 4 else [])
        note += f" ({and_join(shown)} add{'s' if len(matched) == 1 else ''} up to it)"
    return note + "."

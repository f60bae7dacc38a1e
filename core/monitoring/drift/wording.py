"""How a column's move is said: numbers rounded to the column's spread, and the sentence for a numeric
column that moved (a 0/1 flag by its share of ones, few distinct values by their average)."""

from __future__ import annotations

import math
from typing import Any

from core.vocab import count, number, percent


def scaled(x: float | None, spread: float | None) -> str:
    """A number rounded to the column's spread (a spread of 1 gives at most 2 decimals, of 1 000 none), without
    trailing zeros: '6', not '6.000', as :func:`core.vocab.number` writes whole numbers."""
    if x is None or spread is None or not math.isfinite(spread) or spread <= 0:
        return number(x)
    decimals = int(min(6, max(0, 2 - math.floor(math.log10(spread)))))
    rounded = round(float(x), decimals)
    if rounded.is_integer():
        return number(rounded)
    return f"{rounded:,.{decimals}f}".rstrip("0").rstrip(".")


def table_verdict(n_drifted: int, n_judged: int, share: float | None, level: float) -> str:
    """What the table-wide verdict means, in one sentence: '2 of 6 columns moved (33%), below the 50% share
    that counts as the whole table drifting.'"""
    if share is None:
        return "No column could be judged (too few rows, or nothing comparable), so there is no verdict on the table."
    moved = f"{n_drifted} of {count(n_judged, 'column')} moved ({percent(share)})"
    rule = f"the {percent(level)} share that counts as the whole table drifting"
    if share >= level:
        return f"{moved}, at or above {rule}: the table has drifted."
    return f"{moved}, below {rule}."


def typical_values(rs: dict[str, Any], cs: dict[str, Any]) -> tuple[str, str]:
    """The medians before and now, rounded to the reference spread."""
    sc = rs.get("std")
    return scaled(rs.get("median"), sc), scaled(cs.get("median"), sc)


def numeric_moved(name: str, rs: dict[str, Any], cs: dict[str, Any], detail: str = "") -> str:
    """The sentence for a numeric column that drifted, from the two sides' summaries (``detail`` is added)."""
    sc = rs.get("std")
    a, b = typical_values(rs, cs)
    if a == b and rs.get("mean") is not None and cs.get("mean") is not None:
        # few distinct values (0/1 flags, counts): the middle value stays put while the mix moves
        if {rs.get("min"), rs.get("max")} <= {0.0, 1.0}:
            return f"'{name}' moved: it was 1 in {percent(rs['mean'])} of rows before and {percent(cs['mean'])} now."
        return f"'{name}' moved: its average went from {scaled(rs['mean'], sc)} to {scaled(cs['mean'], sc)}{detail}."
    return f"'{name}' moved: typical values went from {a} to {b}{detail}."

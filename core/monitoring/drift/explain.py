"""The plain sentences: one per column (what moved, or that nothing did, or why it cannot be judged) and
one for the table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.monitoring.drift.base import NUMERIC, Check, ColumnPair
from core.monitoring.drift.report import ColumnDrift
from core.monitoring.drift.stattests import TESTS
from core.monitoring.drift.stattests.category_share import largest_change
from core.monitoring.drift.wording import numeric_moved, typical_values
from core.vocab import percent

_BY_CODE = {t.code: t for t in TESTS}


def inconclusive(check: Check) -> bool:
    """A big effect that the test cannot tell apart from chance (small samples)."""
    return bool(check.statistic is not None and check.statistic >= check.threshold and not check.drifted)


def explain_column(
    name: str, pair: ColumnPair, decider: Check, drifted: bool, rs: dict[str, Any], cs: dict[str, Any], min_rows: int
) -> str:
    """One sentence on column ``name``: the deciding test's own words when it found drift, else the kind's."""
    test = _BY_CODE.get(decider.method)
    if drifted and test is not None and test.explain is not None:
        text = test.explain(name, pair, decider, rs, cs)
        if text is not None:
            return text
    if not pair.enough():
        return (
            f"'{name}' has too few filled-in values to compare ({min(pair.ref.n_valid, pair.cur.n_valid)}; at "
            f"least {min_rows} are needed on each side). Its share of empty cells did not change much."
        )
    if pair.how == NUMERIC:
        a, b = typical_values(rs, cs)
        if drifted:
            return numeric_moved(name, rs, cs)
        if inconclusive(decider):
            return (
                f"'{name}' may have moved (typical value {a} before, {b} now), but with this few rows "
                "that could be chance."
            )
        return f"'{name}' looks the same: typical value {a} before, {b} now."
    label, pa, pb = largest_change(pair)
    if drifted:
        return f"'{name}' changed: '{label}' went from {percent(pa)} to {percent(pb)} of rows."
    if inconclusive(decider):
        return (
            f"'{name}' may have changed ('{label}' was {percent(pa)} of rows before, {percent(pb)} now), but "
            "with this few rows that could be chance."
        )
    return (
        f"'{name}' looks the same: the biggest change is '{label}', {percent(pa)} of rows before and {percent(pb)} now."
    )


def explain_report(
    cols: Sequence[ColumnDrift],
    judged: Sequence[ColumnDrift],
    n_drift: int,
    share: float | None,
    dataset: bool,
    only_ref: Sequence[str],
    only_cur: Sequence[str],
) -> str:
    """The table's sentence: how many columns moved (and which), which could not be judged, which are missing."""
    parts: list[str] = []
    if share is None:
        parts.append("No column could be judged (too few rows, or nothing comparable).")
    elif n_drift == 0:
        parts.append(f"Nothing moved: all {len(judged)} compared columns look the same as before.")
    else:
        names = ", ".join(f"'{c.column}'" for c in judged if c.drifted)
        head = "The data has drifted" if dataset else "Some columns moved"
        parts.append(f"{head}: {n_drift} of {len(judged)} columns ({percent(share)}) changed — {names}.")
    few = [c.column for c in cols if c.verdict == "too few rows"]
    if few:
        parts.append(f"Too few rows to judge: {', '.join(repr(c) for c in few)}.")
    if only_ref:
        parts.append(f"Missing from the new data: {', '.join(repr(c) for c in only_ref)}.")
    if only_cur:
        parts.append(f"New columns that were not there before: {', '.join(repr(c) for c in only_cur)}.")
    return " ".join(parts)

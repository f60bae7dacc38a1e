"""Empty cells more or less often: the change in the share of empty cells, in points."""

from __future__ import annotations

from typing import Any

from core.monitoring.drift.base import CATEGORICAL, NUMERIC, Check, ColumnPair, DriftTest
from core.monitoring.drift.stats import z_two_proportions
from core.vocab import percent


def run(pair: ColumnPair, threshold: float) -> Check | None:
    ref, cur = pair.ref, pair.cur
    if min(ref.rows, cur.rows) < pair.min_rows:
        return None
    change = abs(cur.n_missing / cur.rows - ref.n_missing / ref.rows)
    p = z_two_proportions(ref.n_missing, ref.rows, cur.n_missing, cur.rows)
    return Check("missing_rate", change, threshold, p, bool(change >= threshold and p < pair.alpha))


def explain(name: str, pair: ColumnPair, check: Check, rs: dict[str, Any], cs: dict[str, Any]) -> str:
    before, now = pair.ref.n_missing / pair.ref.rows, pair.cur.n_missing / pair.cur.rows
    more = "more" if now > before else "less"
    return f"'{name}' is empty {more} often: in {percent(before)} of rows before, {percent(now)} now."


TEST = DriftTest(
    code="missing_rate",
    title="Empty cells more or less often",
    kinds=(NUMERIC, CATEGORICAL),
    threshold=0.05,
    reason="Change in the share of empty cells (5 points), with a two-proportion z-test. Judged on rows, so "
    "a column that is nearly all empty still gets a verdict.",
    run=run,
    explain=explain,
)

"""The chi-square test on the category counts, shown for reference (its p-value backs the categorical
effect sizes; it never decides on its own)."""

from __future__ import annotations

from core.monitoring.drift.base import CATEGORICAL, Check, ColumnPair, DriftTest


def run(pair: ColumnPair, threshold: float) -> Check | None:
    if not pair.enough():
        return None
    stat, p = pair.chi2()
    return Check("chi2", stat, threshold, p, False)


TEST = DriftTest(
    code="chi2",
    title="Chi-square test",
    kinds=(CATEGORICAL,),
    threshold=None,
    reason="Shown for reference; rare categories beyond max_categories are pooled as '(other)'.",
    run=run,
)

"""The Kolmogorov–Smirnov test, shown for reference: its statistic is a p-value's input, not an effect size,
so it never decides on its own (its p-value backs the Wasserstein distance and the numeric PSI)."""

from __future__ import annotations

from core.monitoring.drift.base import NUMERIC, Check, ColumnPair, DriftTest


def run(pair: ColumnPair, threshold: float) -> Check | None:
    if not pair.enough():
        return None
    d, p, _ = pair.ks()
    return Check("ks", d, threshold, p, False)


TEST = DriftTest(
    code="ks",
    title="Kolmogorov–Smirnov test",
    kinds=(NUMERIC,),
    threshold=None,
    reason="Shown for reference; exact p-value up to 10,000 rows a side, Kolmogorov's limit above.",
    run=run,
)

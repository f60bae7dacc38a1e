"""Typical values moved: the earth-mover (Wasserstein) distance in units of the reference spread."""

from __future__ import annotations

from core.monitoring.drift.base import NUMERIC, Check, ColumnPair, DriftTest
from core.monitoring.drift.stats import scale


def run(pair: ColumnPair, threshold: float) -> Check | None:
    if not pair.enough():
        return None
    _, p, w = pair.ks()
    stat = w / scale(pair.ref.sample)
    return Check("wasserstein", stat, threshold, p, bool(stat >= threshold and p < pair.alpha))


TEST = DriftTest(
    code="wasserstein",
    title="Typical values moved",
    kinds=(NUMERIC,),
    threshold=0.10,
    reason="Earth-mover distance divided by the reference standard deviation: a move of a tenth of the usual "
    "spread. Same default as Evidently; a 0.2-sd shift is clearly flagged, sampling noise at 1,000 rows or "
    "more stays below 0.05. Its p-value is the Kolmogorov–Smirnov test's.",
    run=run,
    primary=True,
)

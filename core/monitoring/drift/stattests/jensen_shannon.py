"""Category shares changed: the Jensen–Shannon distance between the two sides' category shares."""

from __future__ import annotations

import math

from core.monitoring.drift.base import CATEGORICAL, Check, ColumnPair, DriftTest
from core.monitoring.drift.stats import jensen_shannon


def run(pair: ColumnPair, threshold: float) -> Check | None:
    if not pair.enough():
        return None
    _, r, c = pair.shares()
    stat = jensen_shannon(r, c) if len(r) > 1 else 0.0
    stat = 0.0 if math.isnan(stat) else stat
    p = pair.chi2()[1]
    return Check("jensen_shannon", stat, threshold, p, bool(stat >= threshold and p < pair.alpha))


TEST = DriftTest(
    code="jensen_shannon",
    title="Category shares changed",
    kinds=(CATEGORICAL,),
    threshold=0.10,
    reason="Jensen–Shannon distance (natural log, 0 to 0.83) between the category shares. 0.1 is about a "
    "15-point swing between two even categories. Its p-value is the chi-square test's on the counts.",
    run=run,
    primary=True,
)

"""One category's share changed: the largest change of one category's share of rows, in points."""

from __future__ import annotations

import numpy as np

from core.monitoring.drift.base import CATEGORICAL, Check, ColumnPair, DriftTest


def largest_change(pair: ColumnPair) -> tuple[str, float, float]:
    """The category whose share moved most, with its share before and now (kept on ``pair``)."""
    if pair.share_label is None:
        labels, r, c = pair.shares()
        diff = c / c.sum() - r / r.sum()
        i = int(np.argmax(np.abs(diff)))
        pair.share_label = (str(labels[i]), float(r[i] / r.sum()), float(c[i] / c.sum()))
    return pair.share_label


def run(pair: ColumnPair, threshold: float) -> Check | None:
    if not pair.enough():
        return None
    _, before, now = largest_change(pair)
    stat = float(abs(now - before))
    p = pair.chi2()[1]
    return Check("category_share", stat, threshold, p, bool(stat >= threshold and p < pair.alpha))


TEST = DriftTest(
    code="category_share",
    title="One category's share changed",
    kinds=(CATEGORICAL,),
    threshold=0.10,
    reason="The largest change of one category's share of rows, in points (0.10 = 10 points): the plain-words "
    "version of the Jensen–Shannon distance.",
    run=run,
)

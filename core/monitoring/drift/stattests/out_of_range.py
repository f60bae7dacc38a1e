"""Values outside the range seen before: the share of current values below the reference minimum or
above its maximum, beyond the 2/(n+1) chance expects."""

from __future__ import annotations

from typing import Any

import numpy as np

from core.monitoring.drift.base import NUMERIC, Check, ColumnPair, DriftTest
from core.monitoring.drift.stats import outside_range_p
from core.vocab import number, percent


def run(pair: ColumnPair, threshold: float) -> Check | None:
    if not pair.enough():
        return None
    ref, cur = pair.ref, pair.cur
    k = int(np.count_nonzero((cur.all_values < ref.vmin) | (cur.all_values > ref.vmax)))
    share = k / cur.n_valid
    expected = 2 / (ref.n_valid + 1)  # exchangeable samples: chance a new value beats the extremes
    p = outside_range_p(k, ref.n_valid, cur.n_valid)
    return Check("out_of_range", share, threshold, p, bool(share - expected >= threshold and p < pair.alpha), expected)


def explain(name: str, pair: ColumnPair, check: Check, rs: dict[str, Any], cs: dict[str, Any]) -> str:
    return (
        f"'{name}' has values outside the range seen before: {percent(check.statistic or 0)} of rows are "
        f"below {number(pair.ref.vmin)} or above {number(pair.ref.vmax)}."
    )


TEST = DriftTest(
    code="out_of_range",
    title="Values outside the range seen before",
    kinds=(NUMERIC,),
    threshold=0.05,
    reason="Share of current values below the reference minimum or above its maximum, beyond the 2/(n+1) "
    "chance expects; the p-value is exact for exchangeable samples. Counted on every row.",
    run=run,
    explain=explain,
)

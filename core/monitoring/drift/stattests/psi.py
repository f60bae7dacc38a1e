"""Shape of the distribution changed: the Population Stability Index, on reference-quantile bins for
numbers and on the categories themselves for categories."""

from __future__ import annotations

from typing import Any

from core.monitoring.drift.base import CATEGORICAL, NUMERIC, Check, ColumnPair, DriftTest
from core.monitoring.drift.stats import psi, psi_numeric
from core.monitoring.drift.wording import numeric_moved, scaled


def run(pair: ColumnPair, threshold: float) -> Check | None:
    if not pair.enough():
        return None
    if pair.how == NUMERIC:
        stat = psi_numeric(pair.ref.sample, pair.cur.sample, pair.psi_bins, assume_sorted=True)
        p = pair.ks()[1]
    else:
        _, r, c = pair.shares()
        stat = psi(r, c)
        p = pair.chi2()[1]
    return Check("psi", stat, threshold, p, bool(stat >= threshold and p < pair.alpha))


def explain(name: str, pair: ColumnPair, check: Check, rs: dict[str, Any], cs: dict[str, Any]) -> str | None:
    """For numbers the general sentence and how the middle half moved; for categories the general one."""
    if pair.how != NUMERIC:
        return None
    sc = rs.get("std")
    middle = (
        f"; the middle half went from {scaled(rs.get('q25'), sc)}–{scaled(rs.get('q75'), sc)}"
        f" to {scaled(cs.get('q25'), sc)}–{scaled(cs.get('q75'), sc)}"
    )
    return numeric_moved(name, rs, cs, middle)


TEST = DriftTest(
    code="psi",
    title="Shape of the distribution changed",
    kinds=(NUMERIC, CATEGORICAL),
    threshold=0.20,
    reason="Population Stability Index on 10 reference-quantile bins (numbers) or the categories. Credit-risk "
    "convention: under 0.1 stable, 0.1 to 0.2 watch, 0.2 or more a significant shift. Catches changes of "
    "shape and spread that leave the middle in place.",
    run=run,
    explain=explain,
)

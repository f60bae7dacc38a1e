"""Values never seen before: the share of current rows holding a value the reference never had, beyond chance."""

from __future__ import annotations

from typing import Any

from core.monitoring.drift.base import CATEGORICAL, Check, ColumnPair, DriftTest
from core.monitoring.drift.stats import unseen_excess_p
from core.vocab import percent


def run(pair: ColumnPair, threshold: float) -> Check | None:
    if not pair.enough():
        return None
    ref, cur = pair.ref.label_counts, pair.cur.label_counts
    new = cur[~cur.index.isin(ref.index)]
    k = int(new.sum())
    share = k / pair.cur.n_valid
    p, expected = unseen_excess_p(k, ref, cur)
    pair.new_labels = [str(x) for x in new.sort_values(ascending=False).index[:3]]
    drifted = bool(share - expected >= threshold and p < pair.alpha)
    return Check("new_categories", share, threshold, p, drifted, expected)


def explain(name: str, pair: ColumnPair, check: Check, rs: dict[str, Any], cs: dict[str, Any]) -> str:
    labels = ", ".join(f"'{x}'" for x in pair.new_labels)
    return f"'{name}' has values never seen before in {percent(check.statistic or 0)} of rows (e.g. {labels})."


TEST = DriftTest(
    code="new_categories",
    title="Values never seen before",
    kinds=(CATEGORICAL,),
    threshold=0.02,
    reason="Share of current rows holding a value never seen in the reference, beyond what chance predicts "
    "(each value's rows split at random between the two samples; judged by value, with a one-sided z-test).",
    run=run,
    explain=explain,
)

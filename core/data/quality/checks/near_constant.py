"""The ``near_constant`` check. Finds columns where one value fills almost every row."""

from __future__ import annotations

from core import vocab
from core.data.findings import Finding
from core.data.quality.context import Context
from core.data.quality.registry import Check, make_finding
from core.data.wording import quote

NEAR_CONSTANT = 0.98  # one value in > 98% of rows: < 2% of rows left to learn from


def run(ctx: Context, threshold: float) -> list[Finding]:
    out = []
    for col in ctx.columns(("numeric", "categorical", "boolean", "datetime")):
        if col == ctx.target:
            continue  # class_imbalance speaks about the target
        f = ctx.facts[col]
        if f.n_valid == 0 or f.n_unique < 2:
            continue
        ((i, c),) = f.top(1)
        share = c / f.n_valid
        if share <= threshold:
            continue
        msg = f"{quote(col)} is '{f.label(i)}' in {vocab.percent(share)} of rows with a value ({c:,} of {f.n_valid:,})."
        out.append(
            make_finding(
                "near_constant",
                "info",
                col,
                msg,
                "A column that almost never changes carries little information and can make models "
                "unstable. Drop it, unless the rare values matter (like a fraud flag).",
                "drop_column",
                share=share,
                value=f.label(i),
                count=c,
            )
        )
    return out


CHECK = Check(
    code="near_constant",
    title="Columns that almost never change",
    kinds=("numeric", "categorical", "boolean", "datetime"),
    threshold=NEAR_CONSTANT,
    reason="One value in more than 98% of rows leaves under 2% of rows to learn from (scikit-learn's VarianceThreshold examples use 80%; Keel only speaks of the extreme case).",
    rule=f"one value in > {NEAR_CONSTANT:.0%} of rows -> info.",
    help="Finds columns where one value fills almost every row.",
    run=run,
)

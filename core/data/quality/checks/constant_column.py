"""The ``constant_column`` check. Finds columns with a single value (or no values at all)."""

from __future__ import annotations

from core import vocab
from core.data.findings import Finding
from core.data.quality.context import Context
from core.data.quality.registry import Check, make_finding
from core.data.wording import quote


def run(ctx: Context, threshold: float | None) -> list[Finding]:
    out = []
    for col in ctx.columns(("constant",)):
        f = ctx.facts[col]
        if f.n_valid == 0:
            msg = f"{quote(col)} is empty: it has no values in any of the {vocab.count(f.n, 'row')}."
        else:
            value = f.label(0)
            msg = f"{quote(col)} has the same value in every row ('{value}')."
            if f.n_missing:
                msg = (
                    f"{quote(col)} has the same value ('{value}') in every row where it is filled in "
                    f"({vocab.percent(f.n_missing / f.n)} of rows are empty)."
                )
        if col == ctx.target:
            out.append(
                make_finding(
                    "constant_column",
                    "critical",
                    col,
                    msg,
                    f"There is nothing to predict: every row has the same {quote(col)}. Choose another "
                    "target, or add rows with other outcomes.",
                    None,
                )
            )
            continue
        advice = "A column that never changes can't help a model tell rows apart. Drop it."
        if f.n_missing and f.n_valid:
            advice = (
                "If an empty cell means something here (like 'no'), fill the gaps with that value: then the "
                "column can help. Otherwise drop it."
            )
        out.append(make_finding("constant_column", "warning", col, msg, advice, "drop_column", value_count=f.n_valid))
    return out


CHECK = Check(
    code="constant_column",
    title="Columns that never change",
    kinds=("constant",),
    threshold=None,
    reason="No threshold: a column with one value (or none) can't help a model tell rows apart.",
    rule="one value or none -> warning (critical for the target).",
    help="Finds columns with a single value (or no values at all).",
    run=run,
)

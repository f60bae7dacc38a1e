"""The ``rare_categories`` check. Finds labels seen in only one row (a stray '*', a typo, a one-off value)."""

from __future__ import annotations

import numpy as np

from core.data.findings import Finding
from core.data.quality.checks.high_cardinality import HIGH_CARDINALITY
from core.data.quality.context import Context
from core.data.quality.registry import Check, make_finding
from core.data.wording import and_join, quote

RARE_MIN_ROWS = 20  # in fewer rows every label is rare: nothing to say
RARE_LEVEL_ROWS = 1  # a label in this many rows or fewer: a model learns nothing from it


def run(ctx: Context, threshold: float) -> list[Finding]:
    out = []
    for col in ctx.columns(("categorical",)):
        f = ctx.facts[col]
        if col == ctx.target or f.n_valid < RARE_MIN_ROWS or f.n_unique > HIGH_CARDINALITY or f.n_unique < 2:
            continue  # the target's rare answers are class_imbalance's; many labels are high_cardinality's
        rare = np.flatnonzero(f.counts <= threshold)
        if not len(rare) or len(rare) == f.n_unique:
            continue
        labels = [f"'{f.label(int(i))}'" for i in rare[:3]]
        what = "1 value appears" if len(rare) == 1 else f"{len(rare):,} values each appear"
        msg = f"In {quote(col)}, {what} in only one row: {and_join(labels)}{'…' if len(rare) > 3 else ''}."
        out.append(
            make_finding(
                "rare_categories",
                "info",
                col,
                msg,
                "A model learns nothing from a value it has seen once, and a typo or placeholder (like '*') "
                "looks like a real answer. Fix it in the file if it is a mistake; otherwise group such values "
                "as 'Other'.",
                "group_rare" if len(rare) > 1 else "clear_rare",  # one value grouped alone would still be one row
                ("clear_rare",) if len(rare) > 1 else (),
                rare_values=len(rare),
                examples=labels,
                n_unique=f.n_unique,
            )
        )
    return out


CHECK = Check(
    code="rare_categories",
    title="Labels seen only once",
    kinds=("categorical",),
    threshold=RARE_LEVEL_ROWS,
    reason="A label in a single row cannot be learned nor tested (it lands in training or in testing, not both), and it is often a typo or a placeholder like '*'.",
    rule=(
        f"a label in <= {RARE_LEVEL_ROWS} row (columns of <= {HIGH_CARDINALITY} labels, >= {RARE_MIN_ROWS} rows; "
        "not the target) -> info."
    ),
    help="Finds labels seen in only one row (a stray '*', a typo, a one-off value).",
    run=run,
)

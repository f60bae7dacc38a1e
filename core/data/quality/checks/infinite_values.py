"""The ``infinite_values`` check. Finds infinite numbers (inf, -inf), which usually come from dividing by zero."""

from __future__ import annotations

from core import vocab
from core.data.findings import Finding
from core.data.quality.context import Context
from core.data.quality.registry import Check, make_finding
from core.data.wording import quote


def run(ctx: Context, threshold: float) -> list[Finding]:
    out = []
    for col in ctx.columns(("numeric",)):
        f = ctx.facts[col]
        if f.family != "numeric":
            continue
        count = f.numbers.infinite
        if count == 0 or count / f.n <= threshold:
            continue
        out.append(
            make_finding(
                "infinite_values",
                "warning",
                col,
                f"{quote(col)} has {vocab.count(count, 'infinite value')} (inf or -inf).",
                "Infinity usually comes from dividing by zero, and most models can't use it. "
                "Replace it with a missing value or a cap in the file.",
                None,
                count=count,
            )
        )
    return out


CHECK = Check(
    code="infinite_values",
    title="Infinite numbers",
    kinds=("numeric",),
    threshold=0.0,
    reason="Every infinite number is reported: most models can't use one.",
    rule="any inf -> warning.",
    help="Finds infinite numbers (inf, -inf), which usually come from dividing by zero.",
    run=run,
)

"""The ``id_like`` check. Finds columns that identify rows (a different value in almost every row)."""

from __future__ import annotations

from core import vocab
from core.data.findings import Finding
from core.data.quality.context import Context
from core.data.quality.registry import Check, make_finding
from core.data.wording import quote


def run(ctx: Context, threshold: float | None) -> list[Finding]:
    out = []
    for col in ctx.columns(("id_like",)):
        f = ctx.facts[col]
        share = f.n_unique / f.n_valid if f.n_valid else 0.0
        msg = (
            f"{quote(col)} looks like an identifier: {f.n_unique:,} different values in "
            f"{vocab.count(f.n_valid, 'row')} ({vocab.percent(share)} distinct)."
        )
        if col == ctx.target:
            out.append(
                make_finding(
                    "id_like",
                    "warning",
                    col,
                    msg,
                    "A target with a different value in almost every row has no pattern to learn. "
                    "Choose another target.",
                    None,
                    unique_share=share,
                )
            )
            continue
        out.append(
            make_finding(
                "id_like",
                "info",
                col,
                msg,
                "Identifiers label rows but say nothing general about them: a model can memorise them "
                "and look better in testing than it is. Leave this column out of training (keep it for "
                "lookups and joins).",
                "drop_column",
                unique_share=share,
            )
        )
    return out


CHECK = Check(
    code="id_like",
    title="Identifier columns",
    kinds=("id_like",),
    threshold=None,
    reason="No threshold: the kind rules decide what is an identifier (core.data.quality.kinds).",
    rule="identifier columns -> info (warning for the target).",
    help="Finds columns that identify rows (a different value in almost every row).",
    run=run,
)

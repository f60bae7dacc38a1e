"""The ``high_cardinality`` check. Finds label columns with so many different values that each one has few rows."""

from __future__ import annotations

from core import vocab
from core.data.findings import Finding
from core.data.quality.context import Context
from core.data.quality.registry import Check, make_finding
from core.data.wording import quote

HIGH_CARDINALITY = 50  # > 50 labels: one-hot encoding gets wide and each label has few rows
RARE_COUNT = 5  # a label seen fewer than 5 times can't be learned
RARE_SHARE_WARNING = 0.05  # rare labels covering >= 5% of rows turn into a warning


def run(ctx: Context, threshold: float) -> list[Finding]:
    out = []
    for col in ctx.columns(("categorical",)):
        f = ctx.facts[col]
        if f.n_unique <= threshold:
            continue
        rare = f.counts < RARE_COUNT
        n_rare, rare_rows = int(rare.sum()), int(f.counts[rare].sum())
        rare_share = rare_rows / f.n_valid
        msg = f"{quote(col)} has {f.n_unique:,} different values"
        msg += (
            f"; {n_rare:,} of them appear fewer than {RARE_COUNT} times (together {vocab.percent(rare_share)} of rows)."
            if n_rare
            else "."
        )
        sev = "warning" if rare_share >= RARE_SHARE_WARNING else "info"
        out.append(
            make_finding(
                "high_cardinality",
                sev,
                col,
                msg,
                "Many different values spread the data thin: a model learns little about values it has "
                "seen only a few times. Group rare values into 'Other', or keep only the most common ones.",
                None,
                n_unique=f.n_unique,
                rare_values=n_rare,
                rare_share=rare_share,
            )
        )
    return out


CHECK = Check(
    code="high_cardinality",
    title="Too many different labels",
    kinds=("categorical",),
    threshold=HIGH_CARDINALITY,
    reason="Past 50 labels one-hot encoding gets wide and each label has few rows; a label seen fewer than 5 times can't be learned.",
    rule=(
        f"> {HIGH_CARDINALITY} labels -> info; warning when labels seen < {RARE_COUNT} times cover "
        f">= {RARE_SHARE_WARNING:.0%} of rows."
    ),
    help="Finds label columns with so many different values that each one has few rows.",
    run=run,
)

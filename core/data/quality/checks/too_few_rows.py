"""The ``too_few_rows`` check. Checks that there are enough rows to train and test a model, in total and per column."""

from __future__ import annotations

from core import vocab
from core.data.findings import Finding
from core.data.quality.context import Context
from core.data.quality.registry import Check, make_finding

ROWS_CRITICAL = 30  # a 20% test split of < 30 rows holds < 6 rows: any score is luck
ROWS_WARNING = 200  # at 200 rows a 40-row test set still has a ±7-point accuracy error bar
ROWS_PER_COLUMN = 10  # rule of thumb: >= 10 rows per input column (events per variable)


def run(ctx: Context, threshold: float) -> list[Finding]:
    n = ctx.rows
    inputs = [c for c in ctx.frame.columns if c != ctx.target and ctx.kinds[c] not in ("constant", "id_like")]
    advice = (
        "With so few rows a model can't learn reliable patterns, and its test score swings a lot by "
        "chance. Collect more rows (a few hundred at least) or use fewer columns."
    )
    if n == 0:
        return [
            make_finding(
                "too_few_rows",
                "critical",
                None,
                "The table has no rows.",
                "Load a file that has data below the header row.",
                None,
                rows=0,
            )
        ]
    if n < ROWS_CRITICAL:
        return [
            make_finding(
                "too_few_rows",
                "critical",
                None,
                f"The table has only {vocab.count(n, 'row')}.",
                advice,
                None,
                rows=n,
                input_columns=len(inputs),
            )
        ]
    if n < threshold:
        return [
            make_finding(
                "too_few_rows",
                "warning",
                None,
                f"The table has only {vocab.count(n, 'row')}.",
                advice,
                None,
                rows=n,
                input_columns=len(inputs),
            )
        ]
    if inputs and n < ROWS_PER_COLUMN * len(inputs):
        msg = (
            f"The table has {vocab.count(n, 'row')} for {vocab.count(len(inputs), 'input column')} "
            f"(about {n / len(inputs):.0f} rows per column; {ROWS_PER_COLUMN} or more is safer)."
        )
        return [make_finding("too_few_rows", "warning", None, msg, advice, None, rows=n, input_columns=len(inputs))]
    return []


CHECK = Check(
    code="too_few_rows",
    title="Too few rows",
    kinds=(),
    threshold=ROWS_WARNING,
    reason="At 200 rows a 40-row test set still has a ±7-point accuracy error bar; under 30 rows a 20% test split holds fewer than 6 rows, so any score is luck; 10 rows per input column is the events-per-variable rule of thumb.",
    rule=(
        f"< {ROWS_CRITICAL} rows critical; < {ROWS_WARNING} rows or < {ROWS_PER_COLUMN} rows per input column warning."
    ),
    help="Checks that there are enough rows to train and test a model, in total and per column.",
    run=run,
)

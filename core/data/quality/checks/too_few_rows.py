"""The ``too_few_rows`` check. Checks that there are enough rows to train and test a model, in total and per column."""

from __future__ import annotations

from core import vocab
from core.data.findings import Finding
from core.data.quality.context import Context
from core.data.quality.registry import Check, make_finding
from core.data.quality.timeline import TimeIndex
from core.data.wording import quote

ROWS_CRITICAL = 30  # a 20% test split of < 30 rows holds < 6 rows: any score is luck
ROWS_WARNING = 200  # at 200 rows a 40-row test set still has a ±7-point accuracy error bar
ROWS_PER_COLUMN = 10  # rule of thumb: >= 10 rows per input column (events per variable)
ROWS_PER_CLASS = 30  # many answers: a 20% test split then holds ~6 rows of each, the least that scores anything
SERIES_MIN_PERIODS = 12  # a series over time with fewer dates: too short to see a trend


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
    if ctx.timeline is not None and not ctx.target_is_classes:
        # a series over time is judged by the dates it covers (its rows are periods, not examples); a model
        # of a number in it from other columns still needs rows for each of those columns
        found = _series(ctx, ctx.timeline)
        inputs = [c for c in inputs if c != ctx.timeline.column]
        if not found and ctx.target is not None and inputs and n < ROWS_PER_COLUMN * len(inputs):
            found = [_per_column(n, len(inputs), advice)]
        return found
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
    classes = ctx.facts[ctx.target].n_unique if ctx.target is not None and ctx.target_is_classes else 0
    if classes > 2 and n < ROWS_PER_CLASS * classes:
        msg = (
            f"The table has {vocab.count(n, 'row')} for {classes} different answers in {quote(str(ctx.target))} "
            f"(about {n / classes:.0f} rows per answer; {ROWS_PER_CLASS} or more each is safer)."
        )
        advice = (
            "A model needs enough examples of every answer to learn it and to be tested on it. Collect more rows, "
            "or merge answers that are close."
        )
        return [make_finding("too_few_rows", "warning", None, msg, advice, None, rows=n, classes=classes)]
    if inputs and n < ROWS_PER_COLUMN * len(inputs):
        return [_per_column(n, len(inputs), advice)]
    return []


def _per_column(n: int, inputs: int, advice: str) -> Finding:
    msg = (
        f"The table has {vocab.count(n, 'row')} for {vocab.count(inputs, 'input column')} "
        f"(about {n / inputs:.0f} rows per column; {ROWS_PER_COLUMN} or more is safer)."
    )
    return make_finding("too_few_rows", "warning", None, msg, advice, None, rows=n, input_columns=inputs)


def _series(ctx: Context, tl: TimeIndex) -> list[Finding]:
    """Enough history to forecast: at least two full seasons (two years of months), and a few dates at all."""
    need = 2 * tl.season if tl.season else SERIES_MIN_PERIODS
    if tl.periods >= need:
        return []
    periods = vocab.count(tl.periods, tl.period)
    severity = "warning" if tl.periods < SERIES_MIN_PERIODS else "info"
    msg = f"{quote(tl.column)} covers only {periods}."
    advice = (
        f"A forecast learns a pattern that comes back (e.g. every year) from seeing it at least twice: "
        f"{vocab.count(need, tl.period)} or more. With less, a forecast can follow the level and the trend, not the season."
    )
    if not tl.season:
        advice = f"With fewer than {vocab.count(need, tl.period)} a forecast is mostly a guess; add older history."
    return [
        make_finding("too_few_rows", severity, None, msg, advice, None, rows=ctx.rows, periods=tl.periods, needed=need)
    ]


CHECK = Check(
    code="too_few_rows",
    title="Too few rows",
    kinds=(),
    threshold=ROWS_WARNING,
    reason="At 200 rows a 40-row test set still has a ±7-point accuracy error bar; under 30 rows a 20% test split holds fewer than 6 rows, so any score is luck; 10 rows per input column is the events-per-variable rule of thumb; 30 rows per answer leave about 6 of each in a 20% test split. A series over time is judged by its dates: a pattern that comes back every year is learned only from seeing it twice.",
    rule=(
        f"< {ROWS_CRITICAL} rows critical; < {ROWS_WARNING} rows, < {ROWS_PER_COLUMN} rows per input column or "
        f"(3 answers or more) < {ROWS_PER_CLASS} rows per answer warning; a regular series over time (one row per "
        f"day, month, …) instead: < {SERIES_MIN_PERIODS} dates warning, fewer than two seasons info."
    ),
    help="Checks that there are enough rows to train and test a model (in total, per column and per answer), "
    "or enough dates to forecast a series over time.",
    run=run,
)

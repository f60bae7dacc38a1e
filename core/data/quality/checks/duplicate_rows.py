"""The ``duplicate_rows`` check. Counts rows that are exact copies of an earlier row (all columns equal)."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd

from core import vocab
from core.data.findings import Finding
from core.data.quality.context import Context
from core.data.quality.facts import Facts
from core.data.quality.registry import Check, make_finding

DUPLICATES_WARNING = 0.001  # under 0.1% duplicates can't move a test score noticeably
DUPLICATES_CRITICAL = 0.1  # a tenth of rows repeated: copies straddle train/test, scores inflate
DUPLICATES_LARGE = 0.25  # removing a quarter of the rows or more is a decision, not a one-click fix
_COMBINATIONS_FACTOR = 10  # fewer possible value combinations than 10x rows: repeats are expected


def _duplicate_mask(ctx: Context) -> tuple[np.ndarray, np.ndarray] | None:
    """(is_duplicate, first occurrence index) for every row, exact; None if none are possible."""
    n = ctx.rows
    facts = [ctx.facts[c] for c in ctx.frame.columns]
    if n < 2 or not facts:
        return None
    if any(f.n_missing == 0 and f.n_unique == n for f in facts):
        return None  # a column with a distinct value in every row: no two rows can be equal
    # Rows can only be copies of each other if every column repeats: restrict the search to the
    # rows whose value (or gap) in the most distinct column occurs more than once.
    best = min(facts, key=lambda f: _repeated_rows(f))
    if _repeated_rows(best) < 2:
        return None
    if len(facts) == 1:
        return _duplicates_of_one_column(best)
    rows = None
    if _repeated_rows(best) < n // 2:
        ext = np.concatenate([[best.n_missing], best.counts])
        rows = np.flatnonzero(ext[best.codes.astype(np.int64) + 1] >= 2)
    m = n if rows is None else len(rows)

    def codes_of(f: Facts) -> np.ndarray:
        return f.codes if rows is None else f.codes[rows]

    h = _row_keys(facts, codes_of)
    group, uniq = pd.factorize(h)
    if len(uniq) == m:
        return None
    first = np.empty(len(uniq), dtype=np.int64)
    first[group[::-1]] = np.arange(m - 1, -1, -1)
    first_local = first[group]
    dup_local = first_local != np.arange(m)
    to_row = (lambda i: i) if rows is None else (lambda i: rows[i])
    first_of_row = np.arange(n)
    dup = np.zeros(n, dtype=bool)
    first_of_row[to_row(np.arange(m))] = to_row(first_local)
    dup[to_row(np.flatnonzero(dup_local))] = True
    if dup.any():  # verify: a 64-bit key collision must not count as a duplicate
        idx = np.flatnonzero(dup)
        same = np.ones(len(idx), dtype=bool)
        for f in facts:
            same &= f.codes[idx] == f.codes[first_of_row[idx]]
        bad = idx[~same]
        dup[bad] = False
        if len(bad) > 1:  # rows that only collided may still equal each other: settle them exactly
            sub = pd.DataFrame({str(j): f.codes[bad] for j, f in enumerate(facts)})
            g = sub.groupby(list(sub.columns), sort=False).ngroup().to_numpy()
            firsts = np.empty(g.max() + 1, dtype=np.int64)
            firsts[g[::-1]] = np.arange(len(g) - 1, -1, -1)
            again = firsts[g] != np.arange(len(g))
            dup[bad[again]] = True
            first_of_row[bad[again]] = bad[firsts[g][again]]
    return dup, first_of_row


def _row_keys(facts: list[Facts], codes_of: Callable[[Facts], np.ndarray]) -> np.ndarray:
    """One 64-bit key per row: columns packed exactly (mixed radix) while they fit, then the few
    packed keys hashed together. Equal rows get equal keys; unequal rows rarely collide."""
    # Pack columns exactly into int64 keys (mixed radix) while they fit, then hash the few keys.
    keys: list[np.ndarray] = []
    acc: np.ndarray | None = None
    radix = 1
    for f in sorted(facts, key=lambda f: f.n_unique):
        card = f.n_unique + 1
        if acc is not None and radix * card < 2**62:
            acc *= card
            np.add(acc, codes_of(f), out=acc, casting="unsafe")
            acc += 1
            radix *= card
        else:
            if acc is not None:
                keys.append(acc)
            acc = codes_of(f).astype(np.int64)
            acc += 1
            radix = card
    assert acc is not None  # there is at least one column
    keys.append(acc)
    if len(keys) == 1:
        h = keys[0]
    else:
        h = keys[0].view(np.uint64)
        mult = np.uint64(0x9E3779B97F4A7C15)
        with np.errstate(over="ignore"):
            for k in keys[1:]:
                h *= mult
                h ^= h >> np.uint64(29)
                h += k.view(np.uint64)
    return h


def _duplicates_of_one_column(f: Facts) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_duplicate_mask` for a one-column table: the column's codes already number its
    distinct rows (0 for a gap), so each row's first occurrence is looked up, not hashed (a tall
    column of 16M values hashed 64-bit keys in ~800 MB)."""
    n = f.n
    first = np.empty(f.n_unique + 1, dtype=np.int64)
    first[f.codes[::-1] + 1] = np.arange(n - 1, -1, -1, dtype=np.int64)  # the last write wins: the first row
    first_of_row = first[f.codes + 1]
    del first
    return first_of_row != np.arange(n, dtype=np.int64), first_of_row


def _repeated_rows(f: Facts) -> int:
    """Rows whose value (or gap) in this column also occurs in another row."""
    return int(f.counts[f.counts >= 2].sum()) + (f.n_missing if f.n_missing >= 2 else 0)


def run(ctx: Context, threshold: float) -> list[Finding]:
    res = _duplicate_mask(ctx)
    if res is None:
        return []
    dup, first = res
    count = int(dup.sum())
    if count == 0 or count / ctx.rows <= threshold:
        return []
    share = count / ctx.rows
    idx = np.flatnonzero(dup)[:5]
    examples = [[int(i) + 1, int(first[i]) + 1] for i in idx]
    log_combos = sum(
        math.log(ctx.facts[c].n_unique + (1 if ctx.facts[c].n_missing else 0) or 1) for c in ctx.frame.columns
    )
    expected = log_combos < math.log(_COMBINATIONS_FACTOR * ctx.rows)
    copies = (
        "1 row is an exact copy of an earlier row" if count == 1 else f"{count:,} rows are exact copies of earlier rows"
    )
    msg = f"{copies} ({vocab.percent(share)} of {ctx.rows:,}); e.g. row {examples[0][0]} repeats row {examples[0][1]}."
    large = share >= DUPLICATES_LARGE or expected  # then removing them is a choice, not the one-click fix
    if share >= DUPLICATES_LARGE:  # so many copies: a column that told the rows apart may be gone
        msg += f" Removing them would delete {vocab.percent(share)} of the rows."
        sev = "info" if expected else "warning"
        advice = (
            "Check before removing them. Copies can come from loading the same data twice, but so many often "
            "mean different records that look the same because a column telling them apart (an id, a date) was "
            "left out or dropped: then go back to the version with that column. Remove them only if each row "
            "must be unique."
        )
    elif expected:
        msg += f" Removing them would delete {vocab.percent(share)} of the rows."
        sev = "info"
        advice = (
            "With so few columns and values, identical rows can be genuine (different people giving "
            "the same answers). Remove them only if each row should be a different record."
        )
    else:
        sev = "critical" if share >= DUPLICATES_CRITICAL else ("warning" if share >= DUPLICATES_WARNING else "info")
        advice = (
            "Copies usually come from loading the same data twice. They make a model look better than "
            "it is (the same row ends up in training and in testing). Remove the copies."
        )
    return [
        make_finding(
            "duplicate_rows",
            sev,
            None,
            msg,
            advice,
            None if large else "drop_duplicates",  # a fix that deletes a large share is never the one-click default
            ("drop_duplicates",) if large else (),
            duplicates=count,
            share=share,
            example_rows=examples,
            expected=expected,
        )
    ]


CHECK = Check(
    code="duplicate_rows",
    title="Duplicate rows",
    kinds=(),
    threshold=0.0,
    reason="Every copy is reported. Under 0.1% copies can't move a test score noticeably; when a tenth of rows are copies they straddle training and testing and inflate scores.",
    rule=(
        f"any exact copy -> info < {DUPLICATES_WARNING:.1%} <= warning < {DUPLICATES_CRITICAL:.0%} <= critical "
        "(info when the columns allow so few combinations that repeats are expected); from "
        f"{DUPLICATES_LARGE:.0%} of rows a warning (info when expected); when large or expected, removing "
        "them is a further choice, not the one-click fix."
    ),
    help="Counts rows that are exact copies of an earlier row (all columns equal).",
    run=run,
)

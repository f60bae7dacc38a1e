"""The ``missing_values`` check. Counts empty cells per column and checks whether the gaps follow another column."""

from __future__ import annotations

import numpy as np

from core import vocab
from core.data.findings import KINDS, Finding
from core.data.quality.context import Bins, Context
from core.data.quality.facts import SAMPLE_ROWS, SEED, Facts, sample_positions
from core.data.quality.registry import Check, make_finding
from core.data.wording import quote

MISSING_SHARE_GAP = 0.1  # a most common value (e.g. 0) this much more or less common where the gap is: worth saying
MISSING_WARNING = 0.05  # below 5%, filling gaps (median / most common) barely changes the column
MISSING_CRITICAL = 0.5  # more gaps than values: filling in would mostly invent data
MISSING_ASSOCIATION = 0.3  # Cramér's V (bias-corrected); 0.3 is a "medium" effect (Cohen)
_ASSOC_BUDGET = 200_000_000  # sampled rows x column pairs looked at for missingness patterns
_ASSOC_MIN = 20  # need >= 20 missing and >= 20 present sampled rows to judge a pattern


def run(ctx: Context, threshold: float) -> list[Finding]:
    out = []
    gappy = [c for c in ctx.frame.columns if 0 < ctx.facts[c].n_missing < ctx.facts[c].n]
    # Wide tables: fewer sampled rows per pair of columns, so the cost stays bounded
    # (2,000 rows still show a "medium" association, V = 0.3, clearly).
    pairs = max(1, len(gappy) * (len(ctx.frame.columns) - 1))
    size = int(np.clip(_ASSOC_BUDGET // pairs, 2_000, SAMPLE_ROWS))
    sub = sample_positions(len(ctx.sample), size, seed=SEED + 3)
    partners = _missing_associations(ctx, gappy, sub)
    for col in ctx.frame.columns:
        f = ctx.facts[col]
        if f.n_missing == 0 or f.n_valid == 0:  # fully empty columns: see constant_column
            continue
        share = f.n_missing / f.n
        if share <= threshold:
            continue
        assoc = _association_summary(ctx, col, partners.get(col, []), sub)
        msg = f"{quote(col)} is missing in {f.n_missing:,} of {vocab.count(f.n, 'row')} ({vocab.percent(share)})."
        if assoc:
            msg += " " + assoc["sentence"]
        details = {
            "missing": f.n_missing,
            "rows": f.n,
            "share": share,
            "associated_with": assoc["columns"] if assoc else [],
        }
        if col == ctx.target:
            sev = "critical" if share >= MISSING_CRITICAL else "warning"
            advice = (
                "Rows without a value in the target can't be used to train or test a model. "
                "Remove them, or fill in the target where you know it."
            )
            out.append(make_finding("missing_values", sev, col, msg, advice, "drop_rows_missing", **details))
            continue
        if share >= MISSING_CRITICAL:
            sev, fix = "critical", "drop_column"
            advice = (
                "With this many gaps, a filled-in value would mostly be invented. Drop the column, unless "
                "the gap itself means something: Keel's models also learn from where a value was missing. "
                "If the value is only written once the outcome is known, it gives the answer away: drop it."
            )
            others: tuple[str, ...] = ()
        elif share >= MISSING_WARNING:
            sev, fix, others = "warning", None, ("drop_rows_missing",)
            advice = (
                "Keel's models fill the gaps themselves (with the median or the most common value) and "
                "also learn from where a value was missing, so you can train as it is. Better still, find "
                "the missing values at the source."
            )
        else:
            sev, fix, others = "info", "drop_rows_missing", ()
            advice = (
                "A few gaps are easy to handle: Keel's models fill them in (with the median or the most "
                "common value), or you can remove those rows."
            )
        if assoc:
            # the message already says which column the gaps go with: the advice says what to do
            advice = (
                f"Removing these rows would skew your data, since the gaps go with "
                f"{quote(assoc['columns'][0]['column'])}. Keel's models fill the gaps and learn from where "
                "a value was missing, which keeps that signal"
                + (
                    ". With this many gaps, drop the column unless the gap itself means something."
                    if share >= MISSING_CRITICAL
                    else "."
                )
            )
            fix = "drop_column" if share >= MISSING_CRITICAL else None
            others = ()
        out.append(make_finding("missing_values", sev, col, msg, advice, fix, others, **details))
    return out


def _missing_associations(ctx: Context, gappy: list[str], sub: np.ndarray) -> dict[str, list[tuple[float, str]]]:
    """For each column with gaps, the other columns whose values go with the gaps (V >= threshold).

    Vectorised over the gappy columns: for every other column, the rows are grouped by its
    bins once and the missing counts of all gappy columns are summed per bin in one go.
    """
    found: dict[str, list[tuple[float, str]]] = {c: [] for c in gappy}
    if not gappy or len(sub) < 3:
        return found
    miss = np.stack([ctx.label_codes(c)[sub] < 0 for c in gappy], axis=1).astype(np.float32)  # rows x gappy
    s = miss.shape[0]
    total = miss.sum(axis=0, dtype=np.float64)
    judged = (total >= _ASSOC_MIN) & (s - total >= _ASSOC_MIN)
    if not judged.any():
        return found
    miss, total = np.ascontiguousarray(miss[:, judged]), total[judged]
    names = [c for c, j in zip(gappy, judged, strict=True) if j]
    for other in ctx.frame.columns:
        of = ctx.facts[other]
        if of.n_unique + (of.n_missing > 0) < 2:
            continue
        codes = ctx.bins(other).codes[sub]
        sizes = np.bincount(codes)
        nonempty = sizes > 0
        c = int(nonempty.sum())
        if c < 2:
            continue
        order = np.argsort(codes, kind="stable")
        starts = (np.cumsum(sizes) - sizes)[nonempty]
        m = np.add.reduceat(miss[order], starts, axis=0).T.astype(np.float64)  # gappy x bins: missing counts
        n_j = sizes[nonempty].astype(np.float64)
        e1 = total[:, None] * n_j[None, :] / s
        e0 = (s - total)[:, None] * n_j[None, :] / s
        chi2 = ((m - e1) ** 2 / e1 + ((n_j - m) - e0) ** 2 / e0).sum(axis=1)
        phi2 = np.maximum(0.0, chi2 / s - (c - 1) / (s - 1))  # Bergsma's bias correction
        denom = min(1 - 1 / (s - 1), c - (c - 1) ** 2 / (s - 1) - 1)
        if denom <= 0:
            continue
        v = np.sqrt(phi2 / denom)
        for i in np.flatnonzero(v >= MISSING_ASSOCIATION):
            if names[i] != other:
                found[names[i]].append((float(v[i]), other))
    for partners in found.values():
        partners.sort(key=lambda t: -t[0])
    return found


def _association_summary(ctx: Context, col: str, partners: list[tuple[float, str]], sub: np.ndarray) -> dict | None:
    if not partners:
        return None
    miss = ctx.label_codes(col)[sub] < 0
    other = partners[0][1]
    return {
        "sentence": _describe_association(ctx, col, other, miss, ctx.bins(other), sub),
        "columns": [{"column": o, "strength": round(v, 3)} for v, o in partners[:3]],
    }


def _describe_association(ctx: Context, col: str, other: str, miss: np.ndarray, b: Bins, sub: np.ndarray) -> str:
    codes = b.codes[sub]
    other_missing = codes == 0
    if other_missing.any() and other_missing[miss].mean() >= 0.8:
        return (
            f"It is usually missing in the same rows as {quote(other)} "
            f"({vocab.percent(float(other_missing[miss].mean()))} of the time)."
        )
    if b.numeric is not None and ctx.kinds[other] != "boolean":
        x = b.numeric[sub]
        ok = ~np.isnan(x)
        if (ok & miss).sum() >= 5 and (ok & ~miss).sum() >= 5:
            m1, m0 = float(np.median(x[ok & miss])), float(np.median(x[ok & ~miss]))
            if ctx.kinds[other] == "datetime":
                f1 = _fmt_date(int(m1), ctx.facts[other])
                f0 = _fmt_date(int(m0), ctx.facts[other])
                direction = "later" if m1 > m0 else "earlier"
                if f1 != f0:  # equal middles say nothing about a direction
                    return (
                        f"The gaps are not random: it is missing more often for {direction} {quote(other)} "
                        f"(median {f1} where missing, {f0} where present)."
                    )
            else:
                sentence = _numeric_contrast(col, other, x[ok & miss], x[ok & ~miss])
                if sentence:
                    return sentence
    # labels: the category with the highest missing rate (with enough rows behind it)
    rates = np.bincount(codes, weights=miss, minlength=b.k)
    sizes = np.bincount(codes, minlength=b.k)
    min_size = max(10, int(0.01 * len(miss)))
    eligible = np.flatnonzero((sizes >= min_size) & (np.arange(b.k) > 0))
    overall = float(miss.mean())
    if len(eligible):
        share = rates[eligible] / sizes[eligible]
        best = eligible[int(np.argmax(share))]
        label = _bin_label(ctx, other, int(best))  # (judged on the whole sample)
        if label is not None:
            return (
                f"The gaps are not random: {vocab.percent(float(rates[best] / sizes[best]))} of rows are missing it "
                f"where {quote(other)} is '{label}', against {vocab.percent(overall)} overall."
            )
    return f"The gaps are not random: they go with the values of {quote(other)}."


def _numeric_contrast(col: str, other: str, where_missing: np.ndarray, where_present: np.ndarray) -> str | None:
    """How the other column differs between rows with and without the gap, told by the first measure that
    differs in what a reader sees: the median, the share of its most common value (e.g. zeros), the mean."""
    m1, m0 = float(np.median(where_missing)), float(np.median(where_present))
    if vocab.number(m1) != vocab.number(m0):
        return (
            f"The gaps are not random: it is missing more often when {quote(other)} is "
            f"{'higher' if m1 > m0 else 'lower'} (median {vocab.number(m1)} where missing, {vocab.number(m0)} "
            "where present)."
        )
    s1, s0 = float(np.mean(where_missing == m1)), float(np.mean(where_present == m1))
    if abs(s1 - s0) >= MISSING_SHARE_GAP and vocab.percent(s1) != vocab.percent(s0):
        return (
            f"The gaps are not random: it is missing more often when {quote(other)} is "
            f"{'' if s1 > s0 else 'not '}{vocab.number(m1)} ({quote(other)} is {vocab.number(m1)} in "
            f"{vocab.percent(s1)} of the rows where {quote(col)} is missing, {vocab.percent(s0)} where it is not)."
        )
    a1, a0 = float(np.mean(where_missing)), float(np.mean(where_present))
    if vocab.number(a1) != vocab.number(a0):
        return (
            f"The gaps are not random: it is missing more often when {quote(other)} is "
            f"{'higher' if a1 > a0 else 'lower'} (average {vocab.number(a1)} where missing, {vocab.number(a0)} "
            "where present)."
        )
    return None


def _bin_label(ctx: Context, col: str, code: int) -> str | None:
    """Display label for a label-bin code (the most common original value in that bin)."""
    b = ctx.bins(col)
    raw = ctx.label_codes(col)
    in_bin = raw[b.codes == code]
    if not len(in_bin) or in_bin[0] < 0:
        return None
    vals, counts = np.unique(in_bin, return_counts=True)
    if code == b.k - 1 and len(vals) > 1:
        return None  # the pooled "other" bin has no single label
    return ctx.facts[col].label(int(vals[np.argmax(counts)]))


def _fmt_date(ticks: int, f: Facts) -> str:
    return str(f.instant(int(ticks)).astype("datetime64[D]"))


CHECK = Check(
    code="missing_values",
    title="Missing values",
    kinds=KINDS,
    threshold=0.0,
    reason="Every gap is worth knowing about. Below 5% filling gaps (median or most common value) barely changes the column; past half the rows a filled-in value would mostly be invented.",
    rule=(
        f"any gap -> info < {MISSING_WARNING:.0%} <= warning < {MISSING_CRITICAL:.0%} <= critical; says which column "
        f"the gaps follow (bias-corrected Cramér's V >= {MISSING_ASSOCIATION} on a sample). Target gaps: warning "
        f"(critical from {MISSING_CRITICAL:.0%})."
    ),
    help="Counts empty cells per column and checks whether the gaps follow another column.",
    run=run,
)

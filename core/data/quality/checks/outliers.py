"""The ``outliers`` check. Finds numbers far outside the usual range (robust: based on quartiles, not the mean)."""

from __future__ import annotations

import math

import numpy as np

from core import vocab
from core.data.findings import Finding
from core.data.quality.context import MIN_NUMERIC, Context
from core.data.quality.registry import Check, make_finding
from core.data.quality.timeline import TimeIndex, seasonal_residuals
from core.data.wording import and_join, quote

OUTLIER_IQR = 3.0  # Tukey's "far out" fences (Q1 - 3 IQR, Q3 + 3 IQR): 1.5 flags 0.7% of a
# perfectly normal column; 3 flags ~0.0002%, so what remains is worth a look
OUTLIER_EXTREME = 10.0  # beyond 10 IQR (on the judging scale) a value is almost surely a typo or a
# code like 9999, not a heavy tail: then the finding is a warning, else info
OUTLIER_LOG_SKEW = 1.0  # right-skewed (> 1, "highly skewed" by Bulmer's rule) positive numbers are
# judged on a log scale, where incomes and amounts have ordinary tails


def _fences(q1: float, q3: float, k: float, shift: float | None) -> tuple[float, float]:
    if shift is None:
        return q1 - k * (q3 - q1), q3 + k * (q3 - q1)
    l1, l3 = math.log(q1 + shift), math.log(q3 + shift)
    iqr = l3 - l1
    hi = l3 + k * iqr
    return math.exp(l1 - k * iqr) - shift, (math.exp(hi) - shift) if hi < 700 else math.inf


def run(ctx: Context, threshold: float) -> list[Finding]:
    out = []
    for col in ctx.columns(("numeric",)):
        f = ctx.facts[col]
        if f.family not in ("numeric", "bool"):
            continue
        nb = f.numbers
        if nb.count < MIN_NUMERIC or f.n_unique < 3:
            continue
        if ctx.timeline is not None:  # a series over time: judge each value against its season and trend
            found = _over_time(ctx, col, ctx.timeline, threshold)
            if found is not None:
                out.append(found)
            continue
        q1, q3 = nb.q[1], nb.q[3]
        if not q3 > q1:
            continue  # half the values are equal (e.g. mostly zeros): no spread to measure against
        # Right-skewed positive numbers (amounts, sizes, durations) look ordinary on a log scale:
        # judge them there. Quantiles commute with the log, so the fences map back exactly.
        shift = None
        if nb.skew is not None and nb.skew > OUTLIER_LOG_SKEW and nb.q[0] >= 0:
            shift = 0.0 if nb.q[0] > 0 else (q1 if q1 > 0 else None)
        with np.errstate(all="ignore"):
            lo, hi = _fences(q1, q3, threshold, shift)
            far_lo, far_hi = _fences(q1, q3, OUTLIER_EXTREME, shift)
        vals, counts = nb.sorted_values(lo, hi)
        count = int(counts.sum())
        if not count:
            continue
        share = count / nb.count
        extreme = int(counts[(vals < far_lo) | (vals > far_hi)].sum())
        dist = np.maximum(lo - vals, vals - hi)
        ex = vals[np.argsort(-dist, kind="stable")[:50]]
        examples = list(dict.fromkeys(vocab.number(float(v)) for v in ex))[:3]
        msg = (
            f"{quote(col)} has {vocab.count(count, 'value')} far outside the usual range "
            f"({vocab.percent(share)} of values), e.g. {and_join(examples)}; half of all values lie between "
            f"{vocab.number(q1)} and {vocab.number(q3)}."
        )
        sev = "warning" if extreme else "info"
        out.append(
            make_finding(
                "outliers",
                sev,
                col,
                msg,
                "Check that they are real and not typos or codes like 9999. Real but extreme values can "
                "dominate some models: consider capping them.",
                None,
                count=count,
                share=share,
                extreme=extreme,
                lower_fence=lo,
                upper_fence=hi,
                log_scale=shift is not None,
                examples=examples,
            )
        )
    return out


_CYCLE = {"hour": "day", "day": "week", "week": "year", "month": "year", "quarter": "year"}  # what a season is


def _over_time(ctx: Context, col: str, tl: TimeIndex, threshold: float) -> Finding | None:
    """Values far from what the column's trend and season lead one to expect (a yearly peak is not one)."""
    values = ctx.facts[col].values[tl.order]
    rest, log = seasonal_residuals(values, tl.season)
    ok = np.isfinite(rest)
    if int(ok.sum()) < MIN_NUMERIC:
        return None
    q1, q3 = (float(v) for v in np.quantile(rest[ok], [0.25, 0.75]))
    iqr = q3 - q1
    if not iqr > 0:
        return None
    dist = np.where(ok, np.maximum(q1 - rest, rest - q3), -np.inf) / iqr
    far = np.flatnonzero(dist > threshold)
    if not len(far):
        return None
    count = len(far)
    extreme = int(np.sum(dist[far] > OUTLIER_EXTREME))
    worst = far[np.argsort(-dist[far], kind="stable")[:3]]
    dates = ctx.frame[tl.column].iloc[tl.order[worst]]
    fmt = "%Y-%m" if tl.period in ("month", "quarter") else ("%Y" if tl.period == "year" else "%Y-%m-%d")
    examples = [f"{vocab.number(float(values[i]))} ({d:{fmt}})" for i, d in zip(worst, dates, strict=True)]
    share = count / int(ok.sum())
    cycle = _CYCLE.get(tl.period)
    msg = (
        f"{quote(col)} has {vocab.count(count, 'value')} far from what is usual for that time of the {cycle} "
        f"(given the trend), e.g. {and_join(examples)}. Peaks that come back every {cycle} are not counted."
    )
    if cycle is None or tl.seasons_seen < 2:
        msg = (
            f"{quote(col)} has {vocab.count(count, 'value')} far from the values around them in time, e.g. "
            f"{and_join(examples)}."
        )
    return make_finding(
        "outliers",
        "warning" if extreme else "info",
        col,
        msg,
        "Check that they are real (a one-off event, a closed shop) and not typos. A forecast treats them as "
        "part of the pattern unless you correct them or mark the event.",
        None,
        count=count,
        share=share,
        extreme=extreme,
        log_scale=log,
        examples=examples,
        judged_over=tl.column,
        season=tl.season,
    )


CHECK = Check(
    code="outliers",
    title="Extreme values",
    kinds=("numeric",),
    threshold=OUTLIER_IQR,
    reason="Tukey's 'far out' fences: at 1.5 IQR 0.7% of a perfectly normal column is flagged, at 3 about 0.0002%, so what remains is worth a look; beyond 10 IQR a value is almost surely a typo or a code like 9999.",
    rule=(
        f"beyond Q1 - {OUTLIER_IQR:g} IQR / Q3 + {OUTLIER_IQR:g} IQR (log scale for right-skewed positives) -> info; "
        f"warning when some lie beyond {OUTLIER_EXTREME:g} IQR (typos, 9999 codes)."
    ),
    help="Finds numbers far outside the usual range (robust: based on quartiles, not the mean).",
    run=run,
)

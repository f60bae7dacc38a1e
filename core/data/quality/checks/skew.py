"""The ``skew`` check. Finds number columns where a few very large (or small) values stretch the scale."""

from __future__ import annotations

import numpy as np

from core.data.findings import Finding
from core.data.quality.context import MIN_NUMERIC, Context
from core.data.quality.registry import Check, make_finding
from core.data.quality.timeline import seasonal_residuals
from core.data.wording import quote

SKEW = 2.0  # |skewness| > 2: an exponential distribution's skew; log usually helps from here


def run(ctx: Context, threshold: float) -> list[Finding]:
    out = []
    for col in ctx.columns(("numeric",)):
        f = ctx.facts[col]
        if f.family not in ("numeric", "bool") or f.n_unique <= 10:
            continue
        nb = f.numbers
        if nb.count < MIN_NUMERIC or nb.skew is None or abs(nb.skew) <= threshold:
            continue  # trimming only ever lowers |skew| here, so the cheap full value decides first
        s = nb.trimmed_skew()
        if s is None or abs(s) <= threshold:
            continue
        if ctx.timeline is not None and _season_explains(ctx.facts[col].values[ctx.timeline.order], ctx, threshold):
            continue  # December peaks make takings lopsided; what the season leaves is not
        if s > 0:
            msg = f"{quote(col)} is strongly skewed (skewness {s:.1f}): most values are small and a few are very large."
        else:
            msg = f"{quote(col)} is strongly skewed (skewness {s:.1f}): most values are large and a few are very small."
        if s > 0 and nb.q[0] >= 0:
            advice = (
                f"Many models work better on a log scale for columns like this: consider using "
                f"log(1 + {col}) instead. Tree-based models don't mind."
            )
        else:
            advice = (
                "Consider a transform that evens out the scale (e.g. ranks), or a tree-based model, which doesn't mind."
            )
        out.append(make_finding("skew", "info", col, msg, advice, None, skewness=s))
    return out


def _season_explains(values: np.ndarray, ctx: Context, threshold: float) -> bool:
    """True when what the trend and the season leave of a series is not lopsided."""
    season = ctx.timeline.season if ctx.timeline is not None else 0
    rest, _ = seasonal_residuals(values, season, log=False)
    rest = rest[np.isfinite(rest)]
    if len(rest) < MIN_NUMERIC or not np.std(rest) > 0:
        return False
    z = (rest - rest.mean()) / rest.std()
    return abs(float(np.mean(z**3))) <= threshold


CHECK = Check(
    code="skew",
    title="Lopsided numbers",
    kinds=("numeric",),
    threshold=SKEW,
    reason="A skewness above 2 is an exponential distribution's: from there a log scale usually helps.",
    rule=(
        f"|skewness| > {SKEW:g} (without the extreme 0.1% at each end) -> info; in a regular series over time, "
        "only when what its trend and season leave is lopsided too."
    ),
    help="Finds number columns where a few very large (or small) values stretch the scale.",
    run=run,
)

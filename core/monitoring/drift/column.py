"""One column compared: every registered test that applies to it, the verdict, a summary of each side,
the plain sentence, and the shares per bin for a chart."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from core.monitoring.drift.base import NUMERIC, ColumnPair
from core.monitoring.drift.explain import explain_column
from core.monitoring.drift.report import ColumnDrift
from core.monitoring.drift.settings import DriftSettings
from core.monitoring.drift.sides import Side
from core.monitoring.drift.stats import sorted_quantiles
from core.monitoring.drift.stattests import PRIMARY, TESTS

HISTOGRAM_BINS = 30
HISTOGRAM_LABELS = 15


def compare_column(
    name: str, how: str, ref: Side, cur: Side, s: DriftSettings, alpha: float, shown_kind: str
) -> ColumnDrift:
    """The verdict on one column, compared ``how`` (numeric or categorical); ``alpha`` is its test level."""
    if min(ref.rows, cur.rows) < s.min_rows:
        return _too_few_rows(name, how, ref, cur, s, alpha, shown_kind)
    pair = ColumnPair(ref, cur, how, alpha, s.min_rows, s.psi_bins, s.max_categories)
    checks = tuple(
        c
        for test in TESTS
        if how in test.kinds
        if (c := test.run(pair, s.threshold(test.code) if test.threshold is not None else alpha)) is not None
    )
    fired = [c for c in checks if c.drifted]
    primary = next((c for c in checks if c.method == PRIMARY[how]), None)
    # the first test that fired explains the column; else the primary one; with too few filled-in values
    # for the distribution tests, the one that judges rows (empty cells)
    decider = fired[0] if fired else primary or checks[0]
    ref_sum, cur_sum = summary(ref, how), summary(cur, how)
    return ColumnDrift(
        column=name,
        kind=shown_kind,
        method=decider.method,
        statistic=decider.statistic,
        p_value=decider.p_value,
        threshold=decider.threshold,
        drifted=bool(fired),
        verdict="drifted" if fired else "no drift",
        enough_data=pair.enough(),
        n_reference=ref.n_valid,
        n_current=cur.n_valid,
        checks=checks,
        reference=ref_sum,
        current=cur_sum,
        explain=explain_column(name, pair, decider, bool(fired), ref_sum, cur_sum, s.min_rows),
        alpha=alpha,
        histogram=histogram(pair),
    )


def _too_few_rows(
    name: str, how: str, ref: Side, cur: Side, s: DriftSettings, alpha: float, shown_kind: str
) -> ColumnDrift:
    few = min(ref.rows, cur.rows)
    where = (
        "both tables have"
        if ref.rows == cur.rows
        else ("the reference has" if ref.rows < cur.rows else "the new data has")
    )
    return ColumnDrift(
        name,
        shown_kind,
        PRIMARY[how],
        None,
        None,
        s.threshold(PRIMARY[how]),
        False,
        "too few rows",
        False,
        ref.rows,
        cur.rows,
        explain=f"'{name}' cannot be judged yet: {where} only {few} rows, and at least "
        f"{s.min_rows} are needed on each side.",
        alpha=alpha,
    )


def summary(side: Side, how: str) -> dict[str, Any]:
    """Rows, share empty and, for numbers, mean, spread and quantiles; for categories the top shares."""
    out: dict[str, Any] = {"rows": side.rows, "missing_share": side.n_missing / side.rows if side.rows else None}
    if how == NUMERIC:
        v = side.values
        if v is not None and v.size:
            q = sorted_quantiles(v, np.array([0.05, 0.25, 0.5, 0.75, 0.95]))
            out.update(
                mean=float(np.mean(v)),
                std=float(np.std(v)),
                median=float(q[2]),
                q25=float(q[1]),
                q75=float(q[3]),
                p05=float(q[0]),
                p95=float(q[4]),
                min=side.vmin,
                max=side.vmax,
            )
    elif side.counts is not None and side.n_valid:
        top = side.counts.sort_values(ascending=False).head(10)
        out["top"] = {str(k): float(v / side.n_valid) for k, v in top.items()}
        out["n_categories"] = len(side.counts)
    return out


def histogram(pair: ColumnPair) -> dict[str, Any]:
    """Shares per bin on both sides, for drawing: numbers in equal-width bins between both sides' 0.5 and
    99.5 percentiles ({"edges", "reference", "current"}), categories the commonest labels ({"labels", ...})."""
    ref, cur = pair.ref, pair.cur
    if pair.how == NUMERIC:
        r, c = ref.values, cur.values
        if r is None or c is None or not r.size or not c.size:
            return {}
        lo = min(sorted_quantiles(r, np.array([0.005]))[0], sorted_quantiles(c, np.array([0.005]))[0])
        hi = max(sorted_quantiles(r, np.array([0.995]))[0], sorted_quantiles(c, np.array([0.995]))[0])
        if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
            return {}
        edges = np.linspace(lo, hi, HISTOGRAM_BINS + 1)
        inner = edges[1:-1]
        rc = np.diff(np.r_[0, np.searchsorted(r, inner, side="left"), r.size]) / r.size
        cc = np.diff(np.r_[0, np.searchsorted(c, inner, side="left"), c.size]) / c.size
        return {"edges": edges.tolist(), "reference": rc.tolist(), "current": cc.tolist()}
    if ref.counts is None or cur.counts is None or not ref.n_valid or not cur.n_valid:
        return {}
    labels, rv, cv = pair.shares()
    rs, cs = rv / rv.sum(), cv / cv.sum()
    order = np.argsort(-(rs + cs), kind="stable")
    keep, rest = order[:HISTOGRAM_LABELS], order[HISTOGRAM_LABELS:]
    out = {"labels": [str(labels[i]) for i in keep], "reference": rs[keep].tolist(), "current": cs[keep].tolist()}
    if rest.size:
        out["labels"].append("(other)")
        out["reference"].append(float(rs[rest].sum()))
        out["current"].append(float(cs[rest].sum()))
    return out

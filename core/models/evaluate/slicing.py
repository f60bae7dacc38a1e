"""Where the model does worse: per group of rows (each value of a category column, each quarter of a
number column), with an interval, and the groups that are clearly worse than overall called out."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.errors import InputError
from core.models.evaluate.inputs import (
    answer_codes,
    answering_cutoff,
    check_task,
    is_numeric,
    model_classes,
    model_features,
    predict_codes,
    prepare_rows,
    quoted,
)
from core.models.evaluate.intervals import boot, wilson
from core.models.evaluate.serial import Serial
from core.models.metrics import stat_mean
from core.vocab import count, number, percent

QUARTERS = ("lowest quarter", "2nd quarter", "3rd quarter", "highest quarter")


@dataclass(frozen=True)
class Slice(Serial):
    column: str
    label: str  # "North", "12 to 24 (2nd quarter)", "other"
    kind: str  # "category" | "quantile"
    count: int
    share: float
    metric: float | None
    low: float | None
    high: float | None
    worse: bool  # big enough to matter and worse than overall beyond its interval


@dataclass(frozen=True)
class SliceReport(Serial):
    task: str
    metric_key: str  # "accuracy" (Wilson interval) | "mae" (bootstrap interval)
    overall: float
    n_rows: int
    slices: tuple[Slice, ...]
    skipped: tuple[str, ...]
    sentences: tuple[str, ...]
    hidden: int = 0  # groups under ``min_count`` rows: not listed (a rare value, a name, must not show)
    min_count: int = 30
    cutoff: float | None = None  # a yes/no model's cut-off its answers followed (None: the most likely answer)


def _quarters(s: pd.Series) -> list[tuple[str, np.ndarray]] | None:
    x = s.to_numpy(dtype=float)
    finite = np.isfinite(x)
    if finite.sum() < 8:
        return None
    edges = np.unique(np.quantile(x[finite], [0, 0.25, 0.5, 0.75, 1.0]))
    if len(edges) < 3:
        return None
    nb = len(edges) - 1
    bins = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, nb - 1)
    out = []
    for b in range(nb):
        name = QUARTERS[b] if nb == 4 else f"band {b + 1} of {nb}"
        out.append((f"{number(edges[b])} to {number(edges[b + 1])} ({name})", finite & (bins == b)))
    if (~finite).any():
        out.append(("missing", ~finite))
    return out


def group_rows(s: pd.Series, max_categories: int) -> tuple[str, list[tuple[str, np.ndarray]]] | None:
    """('category'|'quantile', [(label, mask)]) for one column, or None to skip it: numbers with many
    values in quarters, other columns by their ``max_categories`` most common values plus 'other'."""
    if pd.api.types.is_datetime64_any_dtype(s):
        return None
    if is_numeric(s) and s.nunique(dropna=True) > max_categories:
        quarters = _quarters(s)
        return None if quarters is None else ("quantile", quarters)
    if is_numeric(s):  # a few distinct numbers: name them briefly (0.0507, not 0.0506801187398187)
        labels = pd.Series([("(missing)" if pd.isna(v) else f"{float(v):.4g}") for v in s.to_numpy()], index=s.index)
    else:
        labels = s.astype("object").where(s.notna(), "(missing)").astype(str)
    top = list(labels.value_counts().index[:max_categories])
    out = [(str(v), (labels == v).to_numpy()) for v in top]
    rest = ~labels.isin(top).to_numpy()
    if rest.any():
        out.append(("other", rest))
    return "category", out


def slices(
    model: Any,
    X: pd.DataFrame,
    y: Any,
    task: str,
    columns: list[str] | None = None,
    *,
    min_count: int = 30,
    min_share: float = 0.05,
    max_categories: int = 8,
    row_noun: str = "rows",
    seed: int = 0,
    n_boot: int = 200,
    cutoff: float | None = None,
) -> SliceReport:
    """How the model does on each group of rows: per value of each categorical column (top
    ``max_categories`` values + 'other') and per quarter of each numeric column.

    Classification uses accuracy with a Wilson 95% interval; regression the average miss (MAE)
    with a bootstrap interval. Groups under ``min_count`` rows are not listed (their count is
    ``hidden``): a one-passenger group says nothing and may name a person. A slice is called out
    (``worse``) only when it has ``min_share`` of all rows too, and the overall figure lies outside the
    slice's interval on the bad side. ``columns`` defaults to the model's own input columns when it
    has ``feature_names`` (a column the model left out, e.g. a name, is not sliced). A yes/no model's answers
    follow its cut-off as in :func:`~core.models.evaluate.evaluate` (``cutoff``, else the one stored with it).
    """
    check_task(task)
    X, y, _ = prepare_rows(X, y)
    n = len(y)
    columns = model_features(model, X) if columns is None else list(columns)
    missing = [c for c in columns if c not in X.columns]
    if missing:
        raise InputError(
            f"Column {quoted(missing[0])} is not in the table.", f"Pick from: {', '.join(map(str, X.columns[:10]))}."
        )
    used_cutoff = None
    if task == "classification":
        classes = model_classes(model)
        used_cutoff = answering_cutoff(model, classes, cutoff)
        per_row = (answer_codes(y, classes) == predict_codes(model, X, classes, used_cutoff)).astype(float)
        key = "accuracy"
    else:
        per_row = np.abs(y.to_numpy(dtype=float) - np.asarray(model.predict(X), dtype=float))
        key = "mae"
    overall = float(per_row.mean())
    out: list[Slice] = []
    skipped: list[str] = []
    hidden = 0
    for ci, col in enumerate(columns):
        grouped = group_rows(X[col], max_categories)
        if grouped is None:
            skipped.append(str(col))
            continue
        kind, groups = grouped
        for gi, (label, mask) in enumerate(groups):
            cnt = int(mask.sum())
            if cnt < min_count:
                hidden += cnt > 0
                continue
            vals = per_row[mask]
            if key == "accuracy":
                interval = wilson(int(vals.sum()), cnt)
            else:
                interval = boot(stat_mean(vals), cnt, n_boot, seed + 7919 * ci + gi) if cnt >= 5 else None
            low, high = interval if interval else (None, None)
            big = cnt / n >= min_share
            beyond = (high is not None and overall > high) if key == "accuracy" else (low is not None and overall < low)
            out.append(Slice(str(col), label, kind, cnt, cnt / n, float(vals.mean()), low, high, bool(big and beyond)))
    report = SliceReport(task, key, overall, n, tuple(out), tuple(skipped), (), hidden, min_count, used_cutoff)
    return dataclasses.replace(report, sentences=tuple(explain_slices(report, row_noun=row_noun)))


def explain_slices(r: SliceReport, *, row_noun: str = "rows", top: int = 3) -> list[str]:
    worse = [s for s in r.slices if s.worse]
    if r.metric_key == "accuracy":
        worse.sort(key=lambda s: (s.metric or 0) - r.overall)
    else:
        worse.sort(key=lambda s: -((s.metric or 0) - r.overall))
    small = (
        [
            f"{count(r.hidden, 'group')} under {r.min_count} {row_noun} {'is' if r.hidden == 1 else 'are'} not listed: too few to judge."
        ]
        if r.hidden
        else []
    )
    if not worse:
        return [f"No group of {row_noun} big enough to matter does clearly worse than overall.", *small]
    out = []
    for s in worse[:top]:
        value = quoted(s.label) if s.kind == "category" else s.label
        where = f"For {row_noun} where {quoted(s.column)} is {value} ({count(s.count, row_noun, row_noun)}, {percent(s.share)})"
        if r.metric_key == "accuracy":
            out.append(
                f"{where}, the model was right {percent(s.metric)} of the time (likely {percent(s.low)} to "
                f"{percent(s.high)}), against {percent(r.overall)} overall."
            )
        else:
            out.append(
                f"{where}, predictions were off by {number(s.metric)} on average (likely {number(s.low)} to "
                f"{number(s.high)}), against {number(r.overall)} overall."
            )
    if len(worse) > top:
        more = len(worse) - top
        out.append(f"{count(more, 'more group')} {'does' if more == 1 else 'do'} clearly worse; see the chart.")
    return out + small

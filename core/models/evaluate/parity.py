"""Fairness across groups of people: for a yes/no model, how often each group is flagged 'yes', how many
of its real 'yes' cases are caught, and how often a flag is right; the largest gaps, in words."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import pandas as pd

from core.errors import InputError
from core.models.evaluate.inputs import (
    answer_codes,
    answer_name,
    answering_cutoff,
    model_classes,
    model_features,
    positive_index,
    predict_codes,
    prepare_rows,
    quoted,
    target_name,
)
from core.models.evaluate.serial import Serial
from core.models.evaluate.slicing import group_rows
from core.vocab import number, percent, points

FOUR_FIFTHS = 0.8


@dataclass(frozen=True)
class GroupRates(Serial):
    group: str
    count: int
    positive_rate: float | None  # share the model flags 'yes'
    actual_positive_rate: float | None
    recall: float | None  # true-positive rate: of the real 'yes', share caught
    precision: float | None  # of the flagged, share really 'yes'
    enough: bool  # count >= min_count


@dataclass(frozen=True)
class FairnessGap(Serial):
    measure: str  # "positive_rate" | "recall" | "precision"
    highest_group: str
    highest: float
    lowest_group: str
    lowest: float
    difference: float
    ratio: float | None  # lowest / highest


@dataclass(frozen=True)
class FairnessReport(Serial):
    column: str
    positive_label: str
    groups: tuple[GroupRates, ...]
    gaps: tuple[FairnessGap, ...]
    sentences: tuple[str, ...]
    target: str | None = None  # what the model predicts: names a yes/no answer ('churned' for '1')


def fairness(
    model: Any,
    X: pd.DataFrame,
    y: Any,
    sensitive_column: str,
    *,
    positive_label: Any = None,
    min_count: int = 30,
    max_groups: int = 8,
    cutoff: float | None = None,
) -> FairnessReport:
    """Yes/no models only: per group of ``sensitive_column`` (numeric columns in quarters) the
    share flagged 'yes', recall (share of real 'yes' caught) and precision, and the largest
    gaps between groups with at least ``min_count`` rows.

    Groups come only from a column the model reads, as slices do: a column left out of training (an
    identifier, a leak, one the user removed) is refused. The model's answers follow its cut-off as in
    :func:`~core.models.evaluate.evaluate` (``cutoff``, else the one stored with it)."""
    X, y, _ = prepare_rows(X, y)
    if sensitive_column not in X.columns:
        raise InputError(
            f"Column {quoted(sensitive_column)} is not in the table.",
            "Pick the column that holds the group (e.g. sex, age band).",
        )
    read = model_features(model, X)
    if sensitive_column not in read:
        shown = ", ".join(quoted(c) for c in read[:8]) + (", …" if len(read) > 8 else "")
        raise InputError(
            f"The model was trained without {quoted(sensitive_column)}, so its groups are not compared.",
            f"Pick one of the columns the model learned from: {shown}.",
        )
    classes = model_classes(model)
    if len(classes) != 2:
        raise InputError(
            f"The fairness view needs a yes/no model; this one has {len(classes)} answers.",
            "Use the per-group results (slices) instead.",
        )
    pos = positive_index(classes, positive_label)
    actual = answer_codes(y, classes) == pos
    flagged = predict_codes(model, X, classes, answering_cutoff(model, classes, cutoff)) == pos
    grouped = group_rows(X[sensitive_column], max_groups)
    if grouped is None:
        raise InputError(
            f"Cannot form groups from {quoted(sensitive_column)}.", "Pick a categorical or numeric column."
        )
    rows = []
    for label, mask in grouped[1]:
        cnt = int(mask.sum())
        if cnt == 0:
            continue
        a, f = actual[mask], flagged[mask]
        rows.append(
            GroupRates(
                group=label,
                count=cnt,
                positive_rate=float(f.mean()),
                actual_positive_rate=float(a.mean()),
                recall=float((a & f).sum() / a.sum()) if a.sum() else None,
                precision=float((a & f).sum() / f.sum()) if f.sum() else None,
                enough=cnt >= min_count,
            )
        )
    target = target_name(X, y)
    report = FairnessReport(str(sensitive_column), str(classes[pos]), tuple(rows), _gaps(rows), (), target)
    return dataclasses.replace(report, sentences=tuple(explain_fairness(report)))


def _gaps(rows: list[GroupRates]) -> tuple[FairnessGap, ...]:
    gaps = []
    for measure in ("positive_rate", "recall", "precision"):
        vals = [(g.group, getattr(g, measure)) for g in rows if g.enough and getattr(g, measure) is not None]
        if len(vals) < 2:
            continue
        hi = max(vals, key=lambda t: t[1])
        lo = min(vals, key=lambda t: t[1])
        ratio = (lo[1] / hi[1]) if hi[1] > 0 else None
        gaps.append(FairnessGap(measure, hi[0], hi[1], lo[0], lo[1], hi[1] - lo[1], ratio))
    return tuple(gaps)


def explain_fairness(r: FairnessReport) -> list[str]:
    col, yes = quoted(r.column), quoted(answer_name(r.positive_label, r.target))
    if not r.gaps:
        return [f"Too few {col} groups with enough rows (30+) to compare fairly."]
    words = {
        "positive_rate": f"flags {yes}",
        "recall": f"catches the real {yes} cases",
        "precision": f"is right when it flags {yes}",
    }
    out = []
    shown = [g for g in r.gaps if g.difference >= 0.01]
    if not shown:
        out.append(
            f"By {col}, the groups are treated alike: flag rates, share caught and precision are within 1 percentage point."
        )
    for g in sorted(shown, key=lambda g: -g.difference):
        ratio = f"; ratio {number(g.ratio)}" if g.ratio is not None else ""
        out.append(
            f"By {col}, the model {words[g.measure]} {percent(g.highest)} of the time for {quoted(g.highest_group)} "
            f"but {percent(g.lowest)} for {quoted(g.lowest_group)} ({points(g.difference)} apart{ratio})."
        )
    pr = next((g for g in r.gaps if g.measure == "positive_rate"), None)
    if pr is not None and pr.ratio is not None and pr.ratio < FOUR_FIFTHS:
        out.append(
            f"The group flagged least gets {yes} less than 80% as often as the group flagged most (the 'four-fifths' "
            "rule of thumb): check whether that difference is justified before using the model for decisions about "
            "people."
        )
    small = [g.group for g in r.groups if not g.enough]
    if small:
        # Not named: a tiny group's label can identify a person.
        out.append(
            f"{len(small)} group{'s are' if len(small) > 1 else ' is'} too small to judge (under 30 rows) and left "
            "out of the comparison."
        )
    return out

"""Everything the Evaluate page and the model card show, in one result that is stored as JSON."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import pandas as pd

from core.models.evaluate.costs import ThresholdChoice, choose_threshold
from core.models.evaluate.importance import DriverReport, drivers
from core.models.evaluate.inputs import answering_cutoff, model_classes, positive_index, predict_proba, prepare_rows
from core.models.evaluate.parity import FairnessReport, fairness
from core.models.evaluate.performance import Evaluation, evaluate
from core.models.evaluate.perturb import RobustnessReport, robustness
from core.models.evaluate.reliability import RecalibrationCheck
from core.models.evaluate.serial import Serial
from core.models.evaluate.slicing import SliceReport, slices


@dataclass(frozen=True)
class Report(Serial):
    """Everything the Evaluate page and the model card show; store ``to_dict()`` as report_json."""

    evaluation: Evaluation
    slices: SliceReport | None = None
    robustness: RobustnessReport | None = None
    drivers: DriverReport | None = None
    threshold: ThresholdChoice | None = None
    fairness: FairnessReport | None = None
    recalibration: RecalibrationCheck | None = None


def full_report(
    model: Any,
    X: pd.DataFrame,
    y: Any,
    task: str,
    *,
    costs: tuple[float, float] | None = None,
    unit: str = "",
    sensitive_column: str | None = None,
    positive_label: Any = None,
    row_noun: str = "rows",
    seed: int = 0,
    n_boot: int = 200,
) -> Report:
    """Run evaluate, slices, robustness and drivers (plus the cost-based threshold when
    ``costs=(false_alarm, miss)`` is given for a yes/no model, and fairness when a
    ``sensitive_column`` is named)."""
    ev = evaluate(model, X, y, task, positive_label=positive_label, row_noun=row_noun, seed=seed, n_boot=n_boot)
    sl = slices(model, X, y, task, row_noun=row_noun, seed=seed, n_boot=n_boot)
    rb = robustness(model, X, y, task, seed=seed)
    dr = drivers(model, X, y, task, positive_label=positive_label, seed=seed)
    th = fa = None
    if task == "classification" and len(ev.classes) == 2:
        if costs is not None:
            rows, answers, _ = prepare_rows(X, y)
            classes = model_classes(model)
            pos = positive_index(classes, positive_label)
            proba = predict_proba(model, rows)
            if proba is not None:
                th = choose_threshold(
                    answers,
                    proba[:, pos],
                    costs[0],
                    costs[1],
                    positive_label=classes[pos],
                    unit=unit,
                    row_noun=row_noun,
                )
        if sensitive_column is not None:
            fa = fairness(model, X, y, sensitive_column, positive_label=positive_label)
    return Report(ev, sl, rb, dr, th, fa)


def at_cutoff(
    report: Report,
    model: Any,
    X: pd.DataFrame,
    y: Any,
    *,
    cutoff: float | None = None,
    row_noun: str = "rows",
    seed: int = 0,
    n_boot: int = 200,
) -> Report:
    """``report`` with what a yes/no model's cut-off changes measured again on its test rows ``X``/``y``: the
    headline measures, the gap to a simple guess, the confusion and per-answer table, and the groups (slices),
    all at ``cutoff`` (else the one stored with the model, as predictions use). The measures of its chances
    (ROC AUC, log loss, Brier, calibration) come out as before. Without a cut-off the report is returned as it is."""
    ev = report.evaluation
    if ev.task != "classification" or len(ev.classes) != 2:
        return report
    used = answering_cutoff(model, model_classes(model), cutoff)
    if used is None:
        return report
    measured = evaluate(
        model, X, y, ev.task, positive_label=ev.positive_label, row_noun=row_noun, seed=seed, n_boot=n_boot, cutoff=used
    )
    groups = (
        None
        if report.slices is None
        else slices(model, X, y, ev.task, row_noun=row_noun, seed=seed, n_boot=n_boot, cutoff=used)
    )
    return dataclasses.replace(report, evaluation=measured, slices=groups)

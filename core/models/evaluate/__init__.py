"""Honest evaluation of a fitted classifier or regressor on rows it has not seen.

Everything here takes *any* fitted object with scikit-learn-like ``predict(frame)`` (and, for
classifiers, ``predict_proba(frame)`` and ``classes_``) plus a hold-out frame ``X`` and labels
``y``. Nothing is refitted except where a function says so (``recalibrate``).

Results are frozen dataclasses with ``to_dict()`` (plain JSON: lists, floats, ``None`` for
"not defined") and ``from_dict()`` so they can live in the registry's ``report_json`` and be
drawn again later. Each result carries plain-language sentences; ``explain_*`` functions
return them. One module per concern:

=====================  =================================================================
``performance``        evaluate(model, X, y, task) -> Evaluation: metrics, intervals, baseline gap
``intervals``          bootstrap and Wilson intervals
``reliability``        calibration(y, proba, classes) -> Calibration; recalibrate(...) -> Recalibration
``costs``              choose_threshold(y, proba_pos, cost_false_alarm, cost_miss) -> ThresholdChoice
``slicing``            slices(model, X, y, task) -> SliceReport
``parity``             fairness(model, X, y, sensitive_column) -> FairnessReport
``perturb``            robustness(model, X, y, task) -> RobustnessReport
``importance``         drivers(model, X, y, task) -> DriverReport (importance + partial dependence)
``report``             full_report(model, X, y, task, ...) -> Report (all of the above, one JSON blob);
                       at_cutoff(report, model, X, y) -> Report measured again at a yes/no cut-off
``inputs``, ``serial``  checking what is given; the JSON round trip
=====================  =================================================================

Metric keys follow DESIGN.md (core.vocab): ``accuracy``, ``balanced_accuracy``, ``f1_macro``,
``roc_auc``, ``log_loss``, ``brier`` (binary), ``ece``; ``mae``, ``rmse``, ``r2``. Extra: ``pr_auc``
(binary average precision). A metric that is not defined for the task is ``None``. They are computed by
:mod:`core.models.metrics`, the same functions training's leaderboard uses.
"""

from core.models.evaluate.costs import ThresholdChoice, choose_threshold, explain_threshold
from core.models.evaluate.importance import (
    DriverReport,
    Importance,
    PartialDependence,
    drivers,
    explain_drivers,
    permutation_importance,
)
from core.models.evaluate.inputs import TASKS, answer_name
from core.models.evaluate.parity import FairnessGap, FairnessReport, GroupRates, explain_fairness, fairness
from core.models.evaluate.performance import (
    CLASSIFICATION_KEYS,
    REGRESSION_KEYS,
    ClassMetrics,
    Curve,
    Evaluation,
    Gap,
    Residuals,
    evaluate,
    explain_cutoff,
    explain_evaluation,
    explain_gap,
    explain_metric,
)
from core.models.evaluate.perturb import Perturbation, RobustnessReport, explain_robustness, robustness
from core.models.evaluate.reliability import (
    CalibratedModel,
    Calibration,
    CalibrationBin,
    Recalibration,
    RecalibrationCheck,
    calibration,
    explain_calibration,
    explain_recalibration,
    recalibrate,
)
from core.models.evaluate.report import Report, at_cutoff, full_report
from core.models.evaluate.slicing import Slice, SliceReport, explain_slices, slices

__all__ = [
    "CLASSIFICATION_KEYS",
    "REGRESSION_KEYS",
    "TASKS",
    "CalibratedModel",
    "Calibration",
    "CalibrationBin",
    "ClassMetrics",
    "Curve",
    "DriverReport",
    "Evaluation",
    "FairnessGap",
    "FairnessReport",
    "Gap",
    "GroupRates",
    "Importance",
    "PartialDependence",
    "Perturbation",
    "Recalibration",
    "RecalibrationCheck",
    "Report",
    "Residuals",
    "RobustnessReport",
    "Slice",
    "SliceReport",
    "ThresholdChoice",
    "answer_name",
    "at_cutoff",
    "calibration",
    "choose_threshold",
    "drivers",
    "evaluate",
    "explain_calibration",
    "explain_cutoff",
    "explain_drivers",
    "explain_evaluation",
    "explain_fairness",
    "explain_gap",
    "explain_metric",
    "explain_recalibration",
    "explain_robustness",
    "explain_slices",
    "explain_threshold",
    "fairness",
    "full_report",
    "permutation_importance",
    "recalibrate",
    "robustness",
    "slices",
]

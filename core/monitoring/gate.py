"""The champion/challenger gate: promote a retrained model only when it beats the one in use by a margin,
both scored on the same recent rows."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.monitoring.performance import as_float, plain_metric
from core.vocab import METRICS, format_metric, is_lower_better, metric_label, metric_phrase, percent, points

# Scores on a fixed 0–1 scale get an absolute margin (points); open-ended errors a relative one.
RELATIVE_MARGIN = {"mae", "rmse", "log_loss", "mase", "mape"}

#: The measure the gate judges and speaks in, for a training measure monitoring does not speak in: a number
#: model was watched by its typical error (MAE), so a retrain is decided and explained in it, not in R² points.
MONITORED_MEASURE = {"r2": "mae"}


def gate_measure(primary_metric: str, *metrics: Mapping[str, Any] | None) -> str:
    """The measure the gate uses for a model trained with ``primary_metric``: the one monitoring speaks in
    (:data:`MONITORED_MEASURE`) when every set of ``metrics`` has it, else ``primary_metric`` itself."""
    other = MONITORED_MEASURE.get(primary_metric)
    if other and all(m is None or as_float(m.get(other)) is not None for m in metrics):
        return other
    return primary_metric


@dataclass(frozen=True)
class GateDecision:
    decision: str  # "promote" | "keep"
    reason: str
    metric: str
    champion: float | None
    challenger: float | None
    improvement: float | None  # positive = challenger better (points, or a share for relative metrics)
    margin: float
    relative: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "decision": self.decision,
            "reason": self.reason,
            "metric": self.metric,
            "champion": as_float(self.champion),
            "challenger": as_float(self.challenger),
            "improvement": as_float(self.improvement),
            "margin": self.margin,
            "relative": self.relative,
        }


def _amount(metric: str, value: float, relative: bool) -> str:
    """A size of difference of the metric as people read it: a share of the champion's value for open-ended
    errors, percentage points for shares, the plain difference for scores."""
    if relative:
        return percent(value)
    if metric in METRICS and METRICS[metric].scale == "share":
        return points(value)
    return format_metric(metric, value)


def _difference(metric: str, improvement: float, relative: bool, lower: bool) -> str:
    """How the new model differs, in the metric's own words: '32% smaller', '3 percentage points higher'."""
    size = _amount(metric, abs(improvement), relative)
    if improvement == 0:
        return "the same"
    if lower:
        return (
            f"{size} {'smaller' if improvement > 0 else 'larger'}"
            if relative
            else f"{size} {'lower' if improvement > 0 else 'higher'}"
        )
    return f"{size} {'higher' if improvement > 0 else 'lower'}"


def _value(metric: str, value: float) -> str:
    """A metric's value; shares with one decimal, so a small gap between two models stays visible."""
    if metric in METRICS and METRICS[metric].scale == "share":
        return percent(value, 1)
    return format_metric(metric, value)


def gate(
    champion_metrics: Mapping[str, Any] | None,
    challenger_metrics: Mapping[str, Any],
    primary_metric: str,
    margin: float = 0.01,
) -> GateDecision:
    """Promote the challenger only if it beats the champion on ``primary_metric`` by more than ``margin``.

    Both sets of metrics must come from the same recent hold-out. For scores on a 0–1 scale
    (accuracy, ROC AUC, Brier…) the margin is in points (0.01 = 1 point); for open-ended
    errors (MAE, RMSE, log loss) it is a share of the champion's value (0.01 = 1 % smaller). A number model
    trained for R² is judged by its typical error (:data:`MONITORED_MEASURE`), the measure monitoring spoke in.
    """
    primary_metric = gate_measure(primary_metric, champion_metrics, challenger_metrics)
    relative = primary_metric in RELATIVE_MARGIN
    lower = is_lower_better(primary_metric)
    words = metric_phrase(primary_metric)
    chall = as_float((challenger_metrics or {}).get(primary_metric))
    champ = as_float((champion_metrics or {}).get(primary_metric)) if champion_metrics else None
    need = _amount(primary_metric, margin, relative)

    def decide(decision: str, reason: str, improvement: float | None = None) -> GateDecision:
        return GateDecision(decision, reason, primary_metric, champ, chall, improvement, margin, relative)

    if chall is None:
        return decide("keep", f"Keep the model in use: the new model has no {words} to compare.")
    if not champion_metrics:
        return decide(
            "promote",
            f"Promote: no model is in use yet (new model's {words}: {_value(primary_metric, chall)}).",
        )
    if champ is None:
        return decide(
            "keep",
            f"Keep the model in use: its {words} is unknown, so the two cannot be compared fairly. "
            "Evaluate both on the same recent rows first.",
        )
    diff = (champ - chall) if lower else (chall - champ)
    if relative:
        improvement = diff / abs(champ) if champ != 0 else (math.inf if diff > 0 else 0.0)
    else:
        improvement = diff
    facts = (
        f"new model's {words} is {_value(primary_metric, chall)}, against "
        f"{_value(primary_metric, champ)} for the model in use on the same recent rows "
        f"({_difference(primary_metric, improvement, relative, lower)})"
    )
    if improvement > margin:
        return decide("promote", f"Promote: the {facts}, more than the required {need}.", improvement)
    if improvement > 0:
        return decide("keep", f"Keep the model in use: the {facts}, less than the required {need}.", improvement)
    return decide("keep", f"Keep the model in use: the {facts}; the new model is not better.", improvement)


@dataclass(frozen=True)
class MarginWords:
    """How a page asks for the gate's margin: the setting's label in plain words, its help (what the limit
    means, an example, and the measure's specialist name), and whether the margin is a share of the current
    model's value (an open-ended error) rather than percentage points."""

    label: str
    help: str
    relative: bool


def margin_words(primary_metric: str | None) -> MarginWords:
    """The words for the margin a retrained model must win by, for a model trained with ``primary_metric``
    (the measure :func:`gate` judges it by)."""
    key = MONITORED_MEASURE.get(primary_metric or "", primary_metric or "")
    if not key:
        return MarginWords(
            "Switch only if the new model is better by at least (percentage points)",
            "Keel scores both models on the newest rows of the batch and switches only when the new one wins by "
            "more than this.",
            False,
        )
    relative, lower = key in RELATIVE_MARGIN, is_lower_better(key)
    plain = plain_metric(key).lower()
    better = "smaller" if lower else "better"
    unit = "% of the current model's" if relative else "percentage points"
    if relative:
        example = f"at 1, a {plain} of 10 for the current model must fall below 9.9 for the new one"
    elif lower:
        example = "at 1, 20% for the current model must fall below 19% for the new one"
    else:
        example = "at 1, 80% for the current model must become more than 81% for the new one"
    meaning = METRICS[key].meaning if key in METRICS else ""
    return MarginWords(
        f"Switch only if the new model's {plain} is {better} by at least ({unit})",
        f"Keel scores the current model and the new one on the newest rows of the batch and puts the new one in "
        f"use only when its {plain} is {better} by more than this: {example}. 0 switches to any model that does "
        f"better. {meaning} (For specialists: {metric_label(key)}.)",
        relative,
    )

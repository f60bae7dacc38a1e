"""The champion/challenger gate: promote a retrained model only when it beats the one in use by a margin,
both scored on the same recent rows."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.monitoring.performance import as_float
from core.vocab import METRICS, format_metric, is_lower_better, metric_phrase, percent, points, signed_percent

# Scores on a fixed 0–1 scale get an absolute margin (points); open-ended errors a relative one.
RELATIVE_MARGIN = {"mae", "rmse", "log_loss", "mase", "mape"}


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


def _amount(metric: str, value: float, relative: bool, signed: bool) -> str:
    """A difference of the metric as people read it: a share of the champion's value for open-ended errors,
    percentage points for shares, the plain difference for scores."""
    if relative:
        return signed_percent(value) if signed else percent(value)
    sign = ("+" if value > 0 else "-" if value < 0 else "") if signed else ""
    if metric in METRICS and METRICS[metric].scale == "share":
        return sign + points(value)
    return sign + format_metric(metric, abs(value))


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
    (accuracy, ROC AUC, R², Brier…) the margin is in points (0.01 = 1 point); for open-ended
    errors (MAE, RMSE, log loss) it is a share of the champion's value (0.01 = 1 % smaller).
    """
    relative = primary_metric in RELATIVE_MARGIN
    lower = is_lower_better(primary_metric)
    words = metric_phrase(primary_metric)
    chall = as_float((challenger_metrics or {}).get(primary_metric))
    champ = as_float((champion_metrics or {}).get(primary_metric)) if champion_metrics else None
    need = _amount(primary_metric, margin, relative, signed=False)

    def decide(decision: str, reason: str, improvement: float | None = None) -> GateDecision:
        return GateDecision(decision, reason, primary_metric, champ, chall, improvement, margin, relative)

    if chall is None:
        return decide("keep", f"Keep the champion: the new model has no {words} to compare.")
    if not champion_metrics:
        return decide(
            "promote",
            f"Promote: there is no champion yet (new model's {words}: {_value(primary_metric, chall)}).",
        )
    if champ is None:
        return decide(
            "keep",
            f"Keep the champion: its {words} is unknown, so the two cannot be compared fairly. "
            "Evaluate both on the same recent rows first.",
        )
    diff = (champ - chall) if lower else (chall - champ)
    if relative:
        improvement = diff / abs(champ) if champ != 0 else (math.inf if diff > 0 else 0.0)
    else:
        improvement = diff
    shown = _amount(primary_metric, improvement, relative, signed=True)
    better = "lower" if lower else "higher"
    facts = (
        f"new model's {words} {_value(primary_metric, chall)} against the champion's "
        f"{_value(primary_metric, champ)} ({shown}; {better} is better)"
    )
    if improvement > margin:
        return decide("promote", f"Promote: the {facts}, more than the required {need}.", improvement)
    if improvement > 0:
        return decide("keep", f"Keep the champion: the {facts}, less than the required {need}.", improvement)
    return decide("keep", f"Keep the champion: the {facts}; the new model is not better.", improvement)

"""Monitoring: drift between two tables, a model's new batches (drift, measured and estimated performance,
retraining triggers, alerts) and the champion/challenger gate.

Pages, the CLI and other packages import these names from ``core.monitoring``.
"""

from core.monitoring.drift import ColumnDrift, DriftReport, DriftSettings, compare, compare_series
from core.monitoring.monitor import (
    Alert,
    GateDecision,
    MonitorResult,
    TriggerRule,
    alerts,
    estimate_performance,
    gate,
    history_table,
    monitor_batch,
    monitor_model,
    timeline,
    to_classes,
)

__all__ = [
    "Alert", "ColumnDrift", "DriftReport", "DriftSettings", "GateDecision", "MonitorResult", "TriggerRule", "alerts",
    "compare", "compare_series", "estimate_performance", "gate", "history_table", "monitor_batch", "monitor_model",
    "timeline", "to_classes",
]

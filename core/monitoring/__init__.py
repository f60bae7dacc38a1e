"""Monitoring: drift between two tables, a model's new batches (drift, measured and estimated performance,
retraining triggers, alerts) and the champion/challenger gate.

* ``drift/`` (a package): the comparison, with one file per drift test in ``drift/stattests`` (add a test there).
* ``monitor``: one batch for a registered model, recorded; ``history``: the batches and alerts read back.
* ``estimates``: label-free performance (CBPE); ``performance``: measured performance and its paragraph.
* ``triggers``: the rules, their cool-downs and the recommended action; ``gate``: champion or challenger.
* ``labels``: a batch's labels as the model's classes; ``traffic``: what the scoring API answered, per model.

Pages, the CLI and other packages import these names from ``core.monitoring``; ``monitor`` and ``drift`` are
public as modules too.
"""

from core.monitoring import drift, monitor
from core.monitoring.drift import ColumnDrift, DriftReport, DriftSettings, compare, compare_series
from core.monitoring.estimates import MetricEstimate, estimate_performance
from core.monitoring.gate import GateDecision, MarginWords, gate, margin_words
from core.monitoring.history import Alert, alerts, history_table, timeline
from core.monitoring.labels import to_classes
from core.monitoring.monitor import MonitorResult, monitor_batch, monitor_model
from core.monitoring.performance import Performance, measure_performance, plain_metric
from core.monitoring.traffic import Traffic, api_traffic_summary
from core.monitoring.triggers import DEFAULT_RULES, TriggerResult, TriggerRule, evaluate_triggers, rules_table

__all__ = [
    "DEFAULT_RULES",
    "Alert",
    "ColumnDrift",
    "DriftReport",
    "DriftSettings",
    "GateDecision",
    "MarginWords",
    "MetricEstimate",
    "MonitorResult",
    "Performance",
    "Traffic",
    "TriggerResult",
    "TriggerRule",
    "alerts",
    "api_traffic_summary",
    "compare",
    "compare_series",
    "drift",
    "estimate_performance",
    "evaluate_triggers",
    "gate",
    "history_table",
    "margin_words",
    "measure_performance",
    "monitor",
    "monitor_batch",
    "monitor_model",
    "plain_metric",
    "rules_table",
    "timeline",
    "to_classes",
]

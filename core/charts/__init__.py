"""Charts and tables of results: each function takes a result and returns a plotly ``go.Figure`` (or, in
``tables``, a ``pd.DataFrame`` as a page shows it). No Streamlit here, and no data wrangling beyond what
drawing needs.

The modules follow the domains: ``data`` (a table's columns), ``evaluation`` (curves and headline measures),
``diagnostics`` (slices, robustness, drivers, cut-off, fairness), ``models`` (one row's chances, versions),
``forecast`` (and ``families``: product families' totals), ``monitoring`` (drift, batches over time), ``relations`` (how columns relate, one row's
explanation) and ``tables``; ``style`` holds what they share.
Pages and the CLI use the names below (``charts.roc_figure(...)``).
"""

from core.charts.data import column_figure, missing_figure
from core.charts.diagnostics import (
    fairness_figure,
    importance_figure,
    partial_dependence_figure,
    robustness_figure,
    slices_figure,
    threshold_figure,
)
from core.charts.evaluation import (
    calibration_figure,
    confusion_figure,
    metrics_ci_figure,
    pr_figure,
    residuals_figure,
    roc_figure,
)
from core.charts.families import family_totals_figure
from core.charts.forecast import backtest_figure, forecast_figure
from core.charts.models import metric_over_versions_figure, probability_figure
from core.charts.monitoring import (
    api_traffic_figure,
    drift_histogram_figure,
    drift_overview_figure,
    drift_timeline_figure,
    performance_timeline_figure,
)
from core.charts.relations import MEASURE_WORDS, contributions_figure, relations_figure, target_relation_figure
from core.charts.style import PALETTE, plain_text, split_title
from core.charts.tables import (
    STAGE_WORDS,
    biggest_first,
    columns_table,
    dataset_history_table,
    drift_details_table,
    drift_table,
    forecast_summary_table,
    leaderboard_table,
    metrics_table,
    models_table,
    per_class_table,
    side_by_side_table,
    stage_history_table,
    versions_table,
)

__all__ = [
    "MEASURE_WORDS",
    "PALETTE",
    "STAGE_WORDS",
    "api_traffic_figure",
    "backtest_figure",
    "biggest_first",
    "calibration_figure",
    "column_figure",
    "columns_table",
    "confusion_figure",
    "contributions_figure",
    "dataset_history_table",
    "drift_details_table",
    "drift_histogram_figure",
    "drift_overview_figure",
    "drift_table",
    "drift_timeline_figure",
    "fairness_figure",
    "family_totals_figure",
    "forecast_figure",
    "forecast_summary_table",
    "importance_figure",
    "leaderboard_table",
    "metric_over_versions_figure",
    "metrics_ci_figure",
    "metrics_table",
    "missing_figure",
    "models_table",
    "partial_dependence_figure",
    "per_class_table",
    "performance_timeline_figure",
    "plain_text",
    "pr_figure",
    "probability_figure",
    "relations_figure",
    "residuals_figure",
    "robustness_figure",
    "roc_figure",
    "side_by_side_table",
    "slices_figure",
    "split_title",
    "stage_history_table",
    "target_relation_figure",
    "threshold_figure",
    "versions_table",
]

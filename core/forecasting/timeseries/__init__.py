"""Time-series preparation: a table (one row per date and series, or one column per product) made into
regular series per id, with plain-language findings, and the helpers pages use to choose columns,
step and horizon.

* :mod:`.dates` reads date and value columns; :mod:`.frequency` finds the step and continues the dates;
* :mod:`.findings` says what is odd about a series; :mod:`.panel` builds the :class:`Panel`;
* :mod:`.columns` guesses which columns hold what (a quantity before money) and what a date with no row means
  for the whole file; :data:`FILL_CHOICES` holds the plain words of that choice for the page and the CLI.
"""

from core.forecasting.timeseries.columns import ColumnGuess, suggest_columns, suggest_file_fill, value_kind
from core.forecasting.timeseries.dates import parse_dates, parse_values
from core.forecasting.timeseries.findings import (
    FILL_CHOICES,
    FILL_QUESTION,
    counts_like,
    edge_runs,
    fill_label,
    lagged_copy_findings,
    launch_zeros,
    series_findings,
    stockout_runs,
    suggest_fill,
)
from core.forecasting.timeseries.frequency import (
    FREQUENCY_WORDS,
    SEASON_CANDIDATES,
    Frequency,
    coarser_frequency,
    default_horizon,
    future_dates,
    infer_frequency,
    season_candidates,
)
from core.forecasting.timeseries.panel import (
    ID_JOIN,
    Panel,
    Series,
    guess_frequency,
    long_format,
    prepare,
    series_key,
    series_names,
)

__all__ = [
    "FILL_CHOICES",
    "FILL_QUESTION",
    "FREQUENCY_WORDS",
    "ID_JOIN",
    "SEASON_CANDIDATES",
    "ColumnGuess",
    "Frequency",
    "Panel",
    "Series",
    "coarser_frequency",
    "counts_like",
    "default_horizon",
    "edge_runs",
    "fill_label",
    "future_dates",
    "guess_frequency",
    "infer_frequency",
    "lagged_copy_findings",
    "launch_zeros",
    "long_format",
    "parse_dates",
    "parse_values",
    "prepare",
    "season_candidates",
    "series_findings",
    "series_key",
    "series_names",
    "stockout_runs",
    "suggest_columns",
    "suggest_file_fill",
    "suggest_fill",
    "value_kind",
]

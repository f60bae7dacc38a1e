"""Forecasting: reading series out of a table, the forecasting methods and the engine that chooses among
them by backtest, and the order list built from a forecast.

* ``timeseries/`` (a package): table -> regular series, with findings; frequency, horizon, column helpers.
* ``methods/`` (a package): the models, their traits and the registry :data:`methods.MODELS` (add a model
  there); seasonality tests and the seasonal adjustment.
* ``plan`` -> ``fitting`` -> ``backtest`` -> ``choice``: one series from plan to chosen, calibrated forecast;
  ``engine`` runs them over a table (``parallel``: worker processes); ``results`` and ``scoring``.
* ``orders``: an order list from a forecast.
* ``known``: what the page offers about the shop (holiday countries and regions, driver and stock-out
  columns, how far ahead each driver is filled in); ``stored``: a stored table's forecast, kept (the page's job).
* ``calendar`` (holidays and the user's events), ``drivers`` (columns known ahead, stock-outs) and ``adjust``
  (their effects, a candidate that must win its place in the backtest): what the shop knows, used when
  :func:`forecast` is given ``holidays``, ``events``, ``drivers`` or ``stockout``.

Pages, the CLI and other packages import these names from ``core.forecasting``; ``timeseries`` is public
as a module (helpers for choosing columns, frequency and horizon).
"""

from core.forecasting import timeseries
from core.forecasting.engine import every_choice, forecast, forecast_panel
from core.forecasting.known import KnownColumns, driver_days_ahead, holiday_countries, holiday_regions, known_columns
from core.forecasting.orders import OrderLine, OrderPlan, order_plan
from core.forecasting.results import Backtest, BacktestWindow, ForecastResult, ModelScore, SeriesForecast

__all__ = [
    "Backtest",
    "BacktestWindow",
    "ForecastResult",
    "KnownColumns",
    "ModelScore",
    "OrderLine",
    "OrderPlan",
    "SeriesForecast",
    "driver_days_ahead",
    "every_choice",
    "forecast",
    "forecast_panel",
    "holiday_countries",
    "holiday_regions",
    "known_columns",
    "order_plan",
    "timeseries",
]

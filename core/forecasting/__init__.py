"""Forecasting: reading series out of a table, the forecasting methods and the engine that chooses among
them by backtest, and the order list built from a forecast.

* ``timeseries/`` (a package): table -> regular series, with findings; frequency, horizon, column helpers.
* ``methods/`` (a package): the models, their traits and the registry :data:`methods.MODELS` (add a model
  there); seasonality tests and the seasonal adjustment.
* ``plan`` -> ``fitting`` -> ``backtest`` -> ``choice``: one series from plan to chosen, calibrated forecast;
  ``engine`` runs them over a table (``parallel``: worker processes); ``results`` and ``scoring``.
* ``orders``: an order list from a forecast; ``order_settings``: each product's case pack, minimum order,
  lead time and stock, from a small table or the forecast table's columns; ``whatif``: the forecast with one
  driver's future values changed, side by side.
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
from core.forecasting.families import FamilyForecast, FamilyNode, MethodScore, NewProduct, forecast_families
from core.forecasting.known import KnownColumns, driver_days_ahead, holiday_countries, holiday_regions, known_columns
from core.forecasting.order_settings import (
    SETTING_COLUMNS,
    OrderSettings,
    SettingsRead,
    merge_settings,
    read_order_settings,
)
from core.forecasting.orders import OrderLine, OrderPlan, order_plan, round_order
from core.forecasting.results import Backtest, BacktestWindow, ForecastResult, ModelScore, SeriesForecast
from core.forecasting.whatif import Change, WhatIf, WhatIfLine, parse_change, what_if

__all__ = [
    "SETTING_COLUMNS",
    "Backtest",
    "BacktestWindow",
    "Change",
    "FamilyForecast",
    "FamilyNode",
    "ForecastResult",
    "KnownColumns",
    "MethodScore",
    "ModelScore",
    "NewProduct",
    "OrderLine",
    "OrderPlan",
    "OrderSettings",
    "SeriesForecast",
    "SettingsRead",
    "WhatIf",
    "WhatIfLine",
    "driver_days_ahead",
    "every_choice",
    "forecast",
    "forecast_families",
    "forecast_panel",
    "holiday_countries",
    "holiday_regions",
    "known_columns",
    "merge_settings",
    "order_plan",
    "parse_change",
    "read_order_settings",
    "round_order",
    "timeseries",
    "what_if",
]

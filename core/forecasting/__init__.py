"""Forecasting: reading series out of a table, the forecasting methods and the engine that chooses among
them by backtest, and the order list built from a forecast.

Pages, the CLI and other packages import these names from ``core.forecasting``; ``timeseries`` is public
as a module (helpers for choosing columns, frequency and horizon).
"""

from core.forecasting import timeseries
from core.forecasting.engine import Backtest, ForecastResult, ModelScore, SeriesForecast, forecast
from core.forecasting.orders import OrderLine, OrderPlan, order_plan

__all__ = [
    "Backtest", "ForecastResult", "ModelScore", "OrderLine", "OrderPlan", "SeriesForecast", "forecast", "order_plan",
    "timeseries",
]

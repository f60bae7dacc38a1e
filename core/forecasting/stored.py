"""A forecast of a stored table, kept with its data version: the Forecast page's job (it runs in a worker
process, :mod:`core.jobs`), with what the shop knows (holidays, events, drivers, stock-outs) as the CLI's
``forecast`` takes them.

``core.workflows.run_forecast`` does the same without the calendar; once it takes these four options the
page can call it and this module can go.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from core import store
from core.forecasting.engine import forecast
from core.forecasting.results import ForecastResult
from core.forecasting.timeseries import long_format


def forecast_dataset(
    dataset_id: int,
    *,
    date: str,
    value: str | Sequence[str],
    id: str | Sequence[str] | None = None,
    ids: tuple[str, ...] | None = None,
    horizon: int,
    level: float = 90.0,
    season: int | None = None,
    fill: str = "auto",
    aggregate_to: str | None = None,
    holidays: str | None = None,
    events: pd.DataFrame | None = None,
    drivers: Sequence[str] | None = None,
    stockout: str | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> tuple[int, ForecastResult]:
    """Forecast a stored dataset (optionally only the series ``ids``) and keep the forecast; its id and result."""
    frame, value_col, key = long_format(store.load_dataset(dataset_id), date, value, id)
    if key is not None and ids:
        frame = frame[frame[key].astype(str).isin(set(ids))]
    report = progress or (lambda fraction, text: None)
    result = forecast(
        frame,
        date=date,
        value=value_col,
        id=key,
        horizon=horizon,
        level=level,
        season=season,
        fill=fill,
        aggregate_to=aggregate_to,
        progress=lambda done, total: report(done / max(total, 1), f"{done} of {total} series done"),
        holidays=holidays or None,
        events=events,
        drivers=list(drivers or []) or None,
        stockout=stockout or None,
    )
    params: dict[str, Any] = {
        "date": date,
        "value": value if isinstance(value, str) else list(value),
        "id": id if id is None or isinstance(id, str) else list(id),
        "ids": list(ids or []),
        "horizon": horizon,
        "level": level,
        "season": season,
        "fill": fill,
        "aggregate_to": aggregate_to,
        "holidays": holidays or None,
        "events": None if events is None else events.astype(str).to_dict("records"),
        "drivers": list(drivers or []),
        "stockout": stockout or None,
    }
    return store.save_forecast(dataset_id, params, result.to_json()), result

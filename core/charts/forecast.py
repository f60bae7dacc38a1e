"""Charts of a forecast: history, forecast and its range for one series, and how forecasts made in the past
would have done (the backtest)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.charts.style import MAX_LINE, PALETTE, WARN, empty, finite, layout, legend, safe, subtitle
from core.vocab import percent

if TYPE_CHECKING:
    from core.forecasting import SeriesForecast


def _history(series_result: Any, history: Any) -> tuple[pd.DatetimeIndex, np.ndarray]:
    if history is None:
        return pd.DatetimeIndex(series_result.history_dates), np.asarray(series_result.history, dtype=float)
    if isinstance(history, pd.DataFrame):  # two columns: date, value
        history = pd.Series(history.iloc[:, 1].to_numpy(), index=pd.to_datetime(history.iloc[:, 0]))
    s = pd.Series(history)
    return pd.DatetimeIndex(pd.to_datetime(s.index)), pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)


def _date_format(dates: pd.DatetimeIndex) -> str:
    """Hover format for the spacing of the dates: years, months or days (with time below a day)."""
    if len(dates) < 2:
        return "%Y-%m-%d"
    step = pd.Series(dates).diff().median()
    if step >= pd.Timedelta(days=360):
        return "%Y"
    if step >= pd.Timedelta(days=28):
        return "%b %Y"
    return "%Y-%m-%d" if step >= pd.Timedelta(days=1) else "%Y-%m-%d %H:%M"


def _add_forecast(
    fig: go.Figure,
    series_result: SeriesForecast,
    dates: pd.DatetimeIndex,
    values: np.ndarray,
    *,
    level: float | None,
    fmt: str,
) -> None:
    """The forecast line with its shaded range, joined to the last value that happened."""
    f_dates = pd.DatetimeIndex(series_result.dates)
    yhat, lo, hi = (np.asarray(v, dtype=float) for v in (series_result.yhat, series_result.lo, series_result.hi))
    band = f"likely range ({percent(level / 100, 0)})" if level else "likely range"
    fig.add_trace(go.Scatter(x=f_dates, y=lo, mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip"))
    fig.add_trace(
        go.Scatter(
            x=f_dates,
            y=hi,
            mode="lines",
            line={"width": 0},
            fill="tonexty",
            name=band,
            fillcolor="rgba(224,122,95,0.22)",
            hoverinfo="skip",
        )
    )
    # A thin dotted join from the last known value, so the lines meet without the join looking
    # like a forecast point (the last value is what happened, not what Keel expects).
    join = np.flatnonzero(np.isfinite(values))
    if join.size:
        fig.add_trace(
            go.Scatter(
                x=[dates[join[-1]], f_dates[0]],
                y=[values[join[-1]], yhat[0]],
                mode="lines",
                line={"color": WARN, "width": 1.2, "dash": "dot"},
                showlegend=False,
                hoverinfo="skip",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=f_dates,
            y=yhat,
            mode="lines+markers",
            name=safe(f"forecast ({series_result.model_label})"),
            line={"color": WARN, "width": 2.5},
            marker={"size": 5},
            customdata=[[a, b] for a, b in zip(lo, hi)],
            hovertemplate=f"%{{x|{fmt}}}: %{{y:,.4g}} (likely %{{customdata[0]:,.4g}} to %{{customdata[1]:,.4g}})<extra></extra>",
        )
    )


def forecast_figure(
    series_result: SeriesForecast,
    history: pd.Series | pd.DataFrame | None = None,
    *,
    level: float | None = None,
    value_name: str | None = None,
    max_history: int = MAX_LINE,
) -> go.Figure:
    """History line, forecast line and a shaded band for one ``SeriesForecast``.

    ``history``: a date-indexed Series (or a two-column date/value frame); by default the
    history kept on the result. Only the last ``max_history`` points are drawn. ``level`` is
    ``ForecastResult.level`` (for the band's name); ``value_name`` the value column."""
    name = value_name or "value"
    sid = series_result.id
    shown = f" ({sid})" if sid not in (None, "", name) else ""  # a wide table's series is its column
    title = f"What comes next for '{name}'{shown}?"
    dates, values = _history(series_result, history)
    tail = len(dates) - max_history if len(dates) > max_history else 0
    dates, values = dates[tail:], values[tail:]
    f_dates = pd.DatetimeIndex(series_result.dates)
    fmt = _date_format(f_dates.append(dates[-5:]).sort_values() if len(f_dates) else dates)
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=dates,
            y=values,
            mode="lines",
            name="what happened",
            line={"color": PALETTE[4], "width": 1.8},
            hovertemplate=f"%{{x|{fmt}}}: %{{y:,.4g}}<extra></extra>",
        )
    )
    if len(f_dates):
        _add_forecast(fig, series_result, dates, values, level=level, fmt=fmt)
    fig = layout(fig, title, "date", name)
    notes = [f"last {max_history:,} of {tail + max_history:,} past points drawn"] if tail else []
    h = len(f_dates)
    # two years of days next to 28 forecast days leave the forecast a sliver at the edge: open zoomed in on
    # the recent past (a full season back when there is a long one), the rest a double-click away
    recent = max(6 * h, int(max(series_result.seasons, default=0)) + h)
    if h and len(dates) > recent + h:
        fig.update_xaxes(range=[dates[-recent], f_dates[-1]])
        notes.append("zoomed in on the recent past: double-click the chart to see all")
    if notes:
        subtitle(fig, "; ".join(notes))
    fig.update_layout(height=380)
    return legend(fig)


def backtest_figure(series_result: SeriesForecast, *, value_name: str | None = None) -> go.Figure:
    """How past forecasts would have done: what happened (line) and, for each backtest window,
    what the chosen model would have said from that point, with its band."""
    name = value_name or "value"
    title = "If we had forecast in the past, how close would we have been?"
    windows = list(series_result.windows)
    if not windows:
        return empty(title, "The history is too short to test forecasts on the past.", "date", name)
    first = min(w.dates[0] for w in windows if w.dates)
    h = max(len(w.dates) for w in windows)
    dates = pd.DatetimeIndex(series_result.history_dates)
    values = np.asarray(series_result.history, dtype=float)
    keep = np.flatnonzero(dates >= first)
    start = max(0, (keep[0] if keep.size else 0) - 2 * h)
    idx = np.arange(start, len(dates))[-MAX_LINE:]
    fmt = _date_format(dates[idx])
    fig = go.Figure(
        go.Scatter(
            x=dates[idx],
            y=values[idx],
            mode="lines",
            name="what happened",
            line={"color": PALETTE[4], "width": 1.8},
            hovertemplate=f"%{{x|{fmt}}}: %{{y:,.4g}}<extra></extra>",
        )
    )
    for i, w in enumerate(windows):
        color = PALETTE[(i + 1) % len(PALETTE)] if (i + 1) % len(PALETTE) != 4 else PALETTE[0]
        d = pd.DatetimeIndex(w.dates)
        fig.add_trace(
            go.Scatter(
                x=d,
                y=list(w.lo),
                mode="lines",
                line={"width": 0},
                showlegend=False,
                hoverinfo="skip",
                legendgroup=f"w{i}",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=d,
                y=list(w.hi),
                mode="lines",
                line={"width": 0},
                fill="tonexty",
                showlegend=False,
                hoverinfo="skip",
                fillcolor="rgba(153,161,166,0.18)",
                legendgroup=f"w{i}",
            )
        )
        err = np.abs(np.asarray(w.actual, dtype=float) - np.asarray(w.yhat, dtype=float))
        fig.add_trace(
            go.Scatter(
                x=d,
                y=list(w.yhat),
                mode="lines+markers",
                name=f"forecast from {d[0].strftime(fmt)}",
                legendgroup=f"w{i}",
                line={"color": color, "width": 2, "dash": "dash"},
                marker={"size": 5},
                customdata=[[a, e] for a, e in zip(w.actual, err)],
                hovertemplate=f"%{{x|{fmt}}}: said %{{y:,.4g}}, was %{{customdata[0]:,.4g}} (off by %{{customdata[1]:,.3g}})<extra></extra>",
            )
        )
    bt = series_result.backtest
    sub = []
    if finite(bt.mae):
        sub.append(f"typical miss {bt.mae:,.3g}")
    if finite(bt.coverage):
        sub.append(f"{100 * bt.coverage:.0f}% of past values fell inside the range")
    fig = layout(fig, title, "date", name)
    if sub:
        subtitle(fig, "; ".join(sub))
    fig.update_layout(height=380)
    return legend(fig)

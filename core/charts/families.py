"""The family totals of a :class:`core.forecasting.FamilyForecast`: one line per family (its recent past and
its reconciled forecast, with the likely range shaded)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.charts.style import PALETTE, empty, hover_text, layout, legend, safe, subtitle
from core.vocab import percent

if TYPE_CHECKING:
    from core.forecasting import FamilyForecast


def _rgba(colour: str, alpha: float) -> str:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def family_totals_figure(
    result: FamilyForecast, *, value_name: str | None = None, level: str | None = None
) -> go.Figure:
    """History and forecast of each family's total (``level``: a family column, the first by default),
    the recent past shown as far back as four horizons."""
    column = level or result.family[0]
    nodes = result.level_nodes(column)
    name = value_name or "value"
    title = f"'{name}' per {column}: what happened and what comes next"
    if not nodes:
        return empty(title, f"No family totals for '{column}'.")
    fig = go.Figure()
    back = 4 * result.horizon
    for k, n in enumerate(nodes):
        colour = PALETTE[k % len(PALETTE)]
        label = safe(n.key)
        dates = pd.DatetimeIndex(n.history_dates)[-back:]
        past = np.asarray(n.history, dtype=float)[-back:]
        fut = pd.DatetimeIndex(n.dates)
        fig.add_trace(go.Scatter(x=fut, y=n.lo, mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip"))
        fig.add_trace(
            go.Scatter(
                x=fut,
                y=n.hi,
                mode="lines",
                line={"width": 0},
                fill="tonexty",
                fillcolor=_rgba(colour, 0.18),
                showlegend=False,
                hoverinfo="skip",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=dates,
                y=past,
                mode="lines",
                name=f"{label}: what happened",
                line={"color": colour, "width": 1.2},
                opacity=0.6,
                hovertemplate=f"{hover_text(n.key)} %{{x|%Y-%m-%d}}: %{{y:,.4g}}<extra></extra>",
                showlegend=False,
            )
        )
        fig.add_trace(
            go.Scatter(
                x=fut,
                y=n.yhat,
                mode="lines+markers",
                name=label,
                line={"color": colour, "width": 2.5},
                marker={"size": 4},
                customdata=[[a, b] for a, b in zip(n.lo, n.hi)],
                hovertemplate=f"{hover_text(n.key)} %{{x|%Y-%m-%d}}: %{{y:,.4g}} "
                "(likely %{customdata[0]:,.4g} to %{customdata[1]:,.4g})<extra></extra>",
            )
        )
    fig = layout(fig, title, "date", name)
    subtitle(fig, f"lines: forecast, shaded: likely range ({percent(result.level / 100, 0)}); faint: the recent past")
    fig.update_layout(height=380, showlegend=True)
    return legend(fig)

"""Charts of a table's columns: how one column is spread and which columns have missing values.

Values are binned with numpy before plotting, so a million-row column becomes a few dozen bars.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.charts.style import PALETTE, layout, safe


def column_figure(series: pd.Series, kind: str, max_bars: int = 20) -> go.Figure:
    """The distribution of one column: histogram for numbers, bars for labels, counts over time."""
    name = str(series.name)
    values = series.dropna()
    if kind == "numeric" and pd.api.types.is_numeric_dtype(values):
        arr = values.to_numpy(dtype="float64", na_value=np.nan)
        arr = arr[np.isfinite(arr)]
        if arr.size == 0:
            return layout(go.Figure(), f"'{name}' has no numbers to show", name, "rows")
        counts, edges = np.histogram(arr, bins=min(40, max(5, int(np.sqrt(arr.size)))))
        centers = (edges[:-1] + edges[1:]) / 2
        fig = go.Figure(
            go.Bar(
                x=centers,
                y=counts,
                width=np.diff(edges),
                marker_color=PALETTE[0],
                hovertemplate="around %{x:.4g}: %{y:,} rows<extra></extra>",
            )
        )
        return layout(fig, f"How '{name}' is spread", name, "rows")
    if kind == "datetime" and pd.api.types.is_datetime64_any_dtype(values):
        if values.empty:
            return layout(go.Figure(), f"'{name}' has no dates to show", name, "rows")
        span = values.max() - values.min()
        rule = "D" if span <= pd.Timedelta(days=120) else ("W" if span <= pd.Timedelta(days=1500) else "MS")
        per = values.dt.tz_localize(None) if values.dt.tz is not None else values
        counts = per.dt.to_period(rule[0] if rule != "MS" else "M").value_counts().sort_index()
        fig = go.Figure(go.Bar(x=counts.index.to_timestamp(), y=counts.to_numpy(), marker_color=PALETTE[0]))
        return layout(fig, f"Rows over time in '{name}'", name, "rows")
    counts = values.astype(str).value_counts()
    top = counts.head(max_bars)
    other = int(counts.iloc[max_bars:].sum())
    labels = [safe(v)[:40] for v in top.index]
    heights = top.to_numpy().tolist()
    if other:
        labels.append(f"({len(counts) - max_bars:,} others)")
        heights.append(other)
    fig = go.Figure(
        go.Bar(
            x=heights,
            y=labels,
            orientation="h",
            marker_color=PALETTE[0],
            hovertemplate="%{y}: %{x:,} rows<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    fig = layout(fig, f"Most common values of '{name}'", "rows", name)
    fig.update_layout(height=max(260, 24 * len(labels) + 80))
    return fig


def missing_figure(names: list[str], shares: list[float]) -> go.Figure:
    """Share of missing values per column (only columns with any)."""
    pairs = sorted(((s, n) for n, s in zip(names, shares) if s > 0), reverse=True)[:30]
    fig = go.Figure(
        go.Bar(
            x=[s * 100 for s, _ in pairs],
            y=[safe(n) for _, n in pairs],
            orientation="h",
            marker_color=PALETTE[1],
            hovertemplate="%{y}: %{x:.1f}% missing<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    fig = layout(fig, "Missing values per column", "% of rows missing", "")
    fig.update_layout(height=max(220, 24 * len(pairs) + 80))
    return fig

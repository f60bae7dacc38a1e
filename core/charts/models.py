"""Charts of models in use: one row's chances of each answer, and a measure across a model's versions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import plotly.graph_objects as go

from core.charts.style import (
    PALETTE,
    Stored,
    capitalised,
    empty,
    finite,
    hover_text,
    layout,
    legend,
    metric_axis,
    safe,
    subtitle,
)
from core.vocab import percent

if TYPE_CHECKING:
    from core.store import ModelInfo


def probability_figure(probabilities: dict[Any, float], chosen: Any = None) -> go.Figure:
    """One row's chance of each answer, as bars on a 0-100 % axis (the answer given in the accent colour)."""
    labels = [safe(k) for k in probabilities]
    values = [100 * float(v) for v in probabilities.values()]
    colours = [PALETTE[1] if str(k) == str(chosen) else PALETTE[0] for k in probabilities]
    fig = go.Figure(
        go.Bar(
            x=values,
            y=labels,
            orientation="h",
            marker_color=colours,
            text=[percent(v / 100, 0) for v in values],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}: %{x:.1f}%<extra></extra>",
        )
    )
    fig = layout(fig, "How sure is the model?", "chance (%)", "answer")
    fig.update_xaxes(range=[0, 100], dtick=25)
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_layout(height=max(160, 70 + 34 * len(labels)))
    return fig


def metric_over_versions_figure(models: Sequence[ModelInfo | Stored], metric: str) -> go.Figure:
    """One line per model name: ``metric`` (a key of ``ModelInfo.metrics``) by version; champions starred.

    ``models`` is a list of ``core.store.ModelInfo`` (or dicts with name, version, stage, algorithm, metrics)."""
    word, share, y_t = metric_axis(metric)
    title = f"Is each model getting better? {capitalised(word)} by version"

    def get(m: Any, key: str) -> Any:
        return m.get(key) if isinstance(m, Mapping) else getattr(m, key, None)

    by_name: dict[str, list[tuple[int, float, str, str]]] = {}
    for m in models or ():
        value = (get(m, "metrics") or {}).get(metric)
        if not finite(value):
            continue
        by_name.setdefault(str(get(m, "name")), []).append(
            (int(get(m, "version") or 0), float(value), str(get(m, "stage") or ""), str(get(m, "algorithm") or ""))
        )
    if not by_name:
        return empty(title, f"No model has a recorded {word} yet.", "version", y_t)
    scale = 100.0 if share else 1.0
    fig = go.Figure()
    for i, (name, pts) in enumerate(sorted(by_name.items())):
        pts.sort()
        fig.add_trace(
            go.Scatter(
                x=[p[0] for p in pts],
                y=[p[1] * scale for p in pts],
                mode="lines+markers",
                name=safe(name),
                line={"color": PALETTE[i % len(PALETTE)], "width": 2},
                marker={
                    "size": [16 if p[2] == "champion" else 9 for p in pts],
                    "symbol": ["star" if p[2] == "champion" else "circle" for p in pts],
                },
                customdata=[[safe(p[3]), safe(p[2])] for p in pts],
                hovertemplate=f"{hover_text(name)} version %{{x}}: %{{y:.4g}}<br>%{{customdata[0]}}, %{{customdata[1]}}<extra></extra>",
            )
        )
    fig = layout(fig, title, "version", y_t)
    if any(p[2] == "champion" for pts in by_name.values() for p in pts):
        subtitle(fig, "★ marks the champion: the version in use")
    if share:
        fig.update_yaxes(ticksuffix="%")
    fig.update_xaxes(dtick=1, tickformat="d")
    if len(by_name) > 1:
        legend(fig)
    return fig

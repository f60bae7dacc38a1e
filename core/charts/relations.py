"""Charts of how columns relate (issue 20): the matrix of pair strengths, each column against a chosen target
as a teacher would draw it, and one row's explanation (which columns pushed the answer, and how far).

* :func:`relations_figure` takes :class:`core.data.relations.Relations` (or its ``to_json()`` form);
* :func:`target_relation_figure` takes the column and the target as two series, with the kinds ``explore``
  measured them as (``TargetLink.column_kind``, ``Relations.target_kind``): the rate of the target by
  category, the spread of a number by class, or a scatter of two numbers;
* :func:`contributions_figure` takes :class:`core.models.explain.RowExplanation`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.charts.style import MAX_SCATTER, PALETTE, empty, hover_text, layout, legend, safe, subtitle, unique_labels
from core.vocab import number, percent

MEASURE_WORDS = {"spearman": "rank correlation", "cramers_v": "Cramér's V", "correlation_ratio": "correlation ratio"}
MAX_MATRIX = 10  # columns in the grid: those of the strongest pairs (9 cells of "-0.3" still fit a phone's width)
MAX_GROUPS = 12  # categories drawn against a target; the rest pooled as "other"
_LABEL = 18  # characters of a column name on the matrix's axes
_BLUES = [[0.0, "#f7fbff"], [0.3, "#c6dbef"], [0.6, "#4f9cc9"], [1.0, PALETTE[0]]]


def _get(obj: Any, key: str) -> Any:
    return obj.get(key) if isinstance(obj, Mapping) else getattr(obj, key, None)


# --------------------------------------------------------------------------- the matrix


def _matrix_columns(pairs: list[Any], limit: int) -> list[str]:
    """The columns of the strongest pairs, strongest first, at most ``limit``."""
    out: list[str] = []
    for p in sorted(pairs, key=lambda p: -abs(float(_get(p, "strength")))):
        for name in (str(_get(p, "a")), str(_get(p, "b"))):
            if name not in out and len(out) < limit:
                out.append(name)
    return out


def _doubt(pair: Any) -> str:
    """What the hover adds about a pair's uncertainty: too few rows, or a strength chance alone often gives."""
    if _get(pair, "enough_data") is False:
        return f"<br>only {number(_get(pair, 'rows'))} rows: read with care"
    p = _get(pair, "p_value")
    if p is not None and p > 0.05:
        return f"<br>could well be chance (p-value {number(p)})"
    return ""


def relations_figure(relations: Any, limit: int = MAX_MATRIX) -> go.Figure:
    """How strongly each pair of columns goes together, as a grid (0 to 1; a rank correlation's sign is
    written in its cell: −0.5 means one goes down as the other goes up). Only the lower half is drawn; cells
    show one decimal (two on hover) and nothing where the pair is unrelated."""
    title = "How strongly each pair of columns goes together"
    pairs = list(_get(relations, "pairs") or ())
    if not pairs:
        return empty(title, "No pair of columns could be measured.")
    names = _matrix_columns(pairs, limit)
    where = {n: i for i, n in enumerate(names)}
    k = len(names)
    z = np.full((k, k), np.nan)
    text = [["" for _ in range(k)] for _ in range(k)]
    hover = [["" for _ in range(k)] for _ in range(k)]
    for p in pairs:
        a, b = str(_get(p, "a")), str(_get(p, "b"))
        if a not in where or b not in where:
            continue
        i, j = sorted((where[a], where[b]), reverse=True)  # row below the diagonal
        s = float(_get(p, "strength"))
        z[i, j] = abs(s)
        text[i][j] = number(round(s, 1)) if abs(round(s, 1)) > 0 else ""  # one decimal fits a phone; 0 is blank
        measure = MEASURE_WORDS.get(str(_get(p, "measure")), str(_get(p, "measure")))
        hover[i][j] = f"{hover_text(a)} and {hover_text(b)}: {measure} {number(round(s, 2))}" + _doubt(p)
    labels = unique_labels(names, _LABEL)
    fig = go.Figure(
        go.Heatmap(
            z=z[1:, :-1],
            x=labels[:-1],
            y=labels[1:],
            text=[row[:-1] for row in text[1:]],
            customdata=[row[:-1] for row in hover[1:]],
            texttemplate="%{text}",
            textfont={"size": 11},
            hovertemplate="%{customdata}<extra></extra>",
            zmin=0,
            zmax=1,
            colorscale=_BLUES,
            xgap=2,
            ygap=2,
            showscale=False,
        )
    )
    fig = layout(fig, title, "", "")
    subtitle(fig, "0: not at all · 1: completely. Each pair is measured the way that fits its kinds.")
    fig.update_yaxes(autorange="reversed", type="category", tickfont={"size": 11})
    fig.update_xaxes(type="category", tickangle=-45, tickfont={"size": 11}, side="bottom")
    fig.update_layout(
        height=max(240, 125 + 34 * (k - 1)), margin={"l": 10, "r": 10, "t": 75, "b": 10}, plot_bgcolor="white"
    )
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    return fig


# --------------------------------------------------------------------------- one column against the target


def _as_numbers(s: pd.Series, kind: str = "number") -> pd.Series:
    """Numbers as floats; dates (``kind`` "date", as text or dates) as seconds since 1970; NaN where missing."""
    if kind == "date":
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            stamps = pd.to_datetime(s, errors="coerce")
        if getattr(stamps.dt, "tz", None) is not None:
            stamps = stamps.dt.tz_convert(None)
        seconds = stamps.astype("datetime64[s]").astype("int64").astype(float)
        return seconds.where(stamps.notna())
    if pd.api.types.is_datetime64_any_dtype(s) or pd.api.types.is_bool_dtype(s):
        return pd.Series(np.nan, index=s.index)
    return pd.to_numeric(s, errors="coerce").astype(float).replace([np.inf, -np.inf], np.nan)


def _shown(values: Any, kind: str) -> Any:
    """Seconds back as dates for a date axis; numbers as they are."""
    return pd.to_datetime(np.asarray(values, dtype=float), unit="s") if kind == "date" else values


def _as_groups(s: pd.Series, limit: int = MAX_GROUPS) -> pd.Series:
    """Text categories, the ``limit - 1`` most common kept and the rest pooled as 'other'."""
    text = s.astype("string")
    counts = text.value_counts(dropna=True)
    if len(counts) > limit:
        kept = set(counts.index[: limit - 1])
        text = text.where(~text.notna() | text.isin(kept), "other")
    return text


def _rate_figure(col: pd.Series, target: pd.Series, name: str, tname: str) -> go.Figure:
    """Yes/no (or a few classes) by category: the share of each class in each category, as bars."""
    frame = pd.DataFrame({"c": _as_groups(col), "t": _as_groups(target, 6)}).dropna()
    if frame.empty:
        return empty(f"'{tname}' by '{name}'", "No row has both values.")
    table = pd.crosstab(frame["c"], frame["t"])
    classes = list(table.sum(axis=0).sort_values(ascending=False).index)
    table = table.loc[table.sum(axis=1).sort_values(ascending=False).index]
    shares = table.div(table.sum(axis=1), axis=0)
    sizes = table.sum(axis=1)
    labels = unique_labels(shares.index, 24)
    if len(classes) == 2:  # one bar per category: the rate of the rarer answer, and the overall rate as a line
        focus = classes[1]
        overall = float((frame["t"] == focus).mean())
        fig = go.Figure(
            go.Bar(
                x=100 * shares[focus].to_numpy(),
                y=labels,
                orientation="h",
                marker_color=PALETTE[0],
                text=[percent(v) for v in shares[focus]],
                textposition="outside",
                cliponaxis=False,
                customdata=sizes.to_numpy(),
                hovertemplate="%{y}: %{x:.1f}% of %{customdata:,} rows<extra></extra>",
            )
        )
        fig.add_vline(x=100 * overall, line_dash="dash", line_color=PALETTE[4])
        fig = layout(
            fig, f"How often '{tname}' is '{focus}', by '{name}'", f"rows where '{tname}' is '{focus}' (%)", ""
        )
        fig.update_layout(height=max(200, 110 + 30 * len(labels)))
        subtitle(fig, f"The dashed line: {percent(overall)} of all rows.")
        fig.update_xaxes(range=[0, 112], ticksuffix="%")
    else:
        fig = go.Figure()
        for i, c in enumerate(classes):
            fig.add_trace(
                go.Bar(
                    x=100 * shares[c].to_numpy(),
                    y=labels,
                    orientation="h",
                    name=safe(c),
                    marker_color=PALETTE[i % len(PALETTE)],
                    hovertemplate=f"%{{y}}: %{{x:.1f}}% {hover_text(c)}<extra></extra>",
                )
            )
        fig = layout(fig, f"The mix of '{tname}' in each group of '{name}'", "share of rows (%)", "")
        fig.update_layout(barmode="stack", height=max(200, 110 + 30 * len(labels)))
        fig.update_xaxes(range=[0, 100], ticksuffix="%")
        legend(fig, 360)  # above the plot, where it never meets the axis title (a phone's width)
    fig.update_yaxes(autorange="reversed", type="category", automargin=True)
    fig.update_layout(margin={"l": 10, "r": 30})
    return fig


def _spread_figure(groups: pd.Series, values: pd.Series, gname: str, vname: str, kind: str) -> go.Figure:
    """A number (or date) by category: one box per category (middle half, median, whiskers to the 5th and 95th
    percentile), computed here so the figure holds five numbers per box, whatever the rows."""
    frame = pd.DataFrame({"g": _as_groups(groups), "x": _as_numbers(values, kind)}).dropna()
    if frame.empty:
        return empty(f"'{vname}' by '{gname}'", "No row has both values.")
    stats = frame.groupby("g")["x"].quantile([0.05, 0.25, 0.5, 0.75, 0.95]).unstack()
    sizes = frame.groupby("g").size()
    stats = stats.loc[stats[0.5].sort_values(ascending=False).index]
    labels = unique_labels(stats.index, 24)
    fig = go.Figure(
        go.Box(
            y=labels,
            q1=_shown(stats[0.25], kind),
            median=_shown(stats[0.5], kind),
            q3=_shown(stats[0.75], kind),
            lowerfence=_shown(stats[0.05], kind),
            upperfence=_shown(stats[0.95], kind),
            orientation="h",
            marker_color=PALETTE[0],
            fillcolor="rgba(31,111,139,0.25)",
            customdata=sizes.loc[stats.index].to_numpy(),
            hoverinfo="y+x",
        )
    )
    fig = layout(fig, f"How '{vname}' is spread in each group of '{gname}'", vname, "")
    _whole_ticks(fig, frame["x"], kind)
    subtitle(fig, "Boxes: the middle half of the rows, the line in a box its middle value.")
    fig.update_yaxes(autorange="reversed", type="category", automargin=True)
    fig.update_layout(height=max(200, 120 + 34 * len(labels)), margin={"l": 10, "r": 20})
    return fig


def _whole_ticks(fig: go.Figure, values: pd.Series, kind: str) -> None:
    """Whole numbers (years, counts, scores) get whole ticks without a thousands comma: 2007, 2008, not 2,007.5."""
    if kind != "number" or not len(values) or not bool((values == values.round()).all()):
        return
    span = float(values.max() - values.min())
    fig.update_xaxes(tickformat="d", **({"dtick": 1} if span <= 12 else {}))


def _scatter_figure(col: pd.Series, target: pd.Series, name: str, tname: str, kinds: tuple[str, str]) -> go.Figure:
    frame = pd.DataFrame({"x": _as_numbers(col, kinds[0]), "y": _as_numbers(target, kinds[1])}).dropna()
    if frame.empty:
        return empty(f"'{tname}' against '{name}'", "No row has both values.")
    if len(frame) > MAX_SCATTER:
        frame = frame.sample(MAX_SCATTER, random_state=0)
    fig = go.Figure(
        go.Scatter(
            x=_shown(frame["x"], kinds[0]),
            y=_shown(frame["y"], kinds[1]),
            mode="markers",
            marker={"color": PALETTE[0], "size": 5, "opacity": 0.5},
            hovertemplate=f"{hover_text(name)} %{{x:.4g}}: {hover_text(tname)} %{{y:.4g}}<extra></extra>",
        )
    )
    return layout(fig, f"'{tname}' against '{name}'", name, tname)


def target_relation_figure(column: pd.Series, target: pd.Series, column_kind: str, target_kind: str) -> go.Figure:
    """One column against the target, as a teacher would draw it. Kinds are "number", "date" or "category" (as
    :func:`core.data.explore` measured them): two categories give the rate of the target in each category,
    a category and a number (or date) the spread of the number in each category, two numbers a scatter."""
    name, tname = str(column.name), str(target.name)
    if column_kind == "category" and target_kind == "category":
        return _rate_figure(column, target, name, tname)
    if column_kind != "category" and target_kind != "category":
        return _scatter_figure(column, target, name, tname, (column_kind, target_kind))
    if column_kind == "category":
        return _spread_figure(column, target, name, tname, target_kind)
    return _spread_figure(target, column, tname, name, column_kind)


# --------------------------------------------------------------------------- one row's explanation


def contributions_figure(explanation: Any, top: int = 8, is_share: bool = True) -> go.Figure:
    """The columns that pushed one answer most, as bars left (down) and right (up), largest first.

    ``explanation`` is a :class:`core.models.explain.RowExplanation`; ``is_share``: its pushes are chances
    (drawn in percentage points) rather than numbers in the target's units."""
    title = "What pushed this answer up or down"
    items = sorted((_get(explanation, "contributions") or {}).items(), key=lambda kv: -abs(kv[1]))
    scale = 100.0 if is_share else 1.0
    shown = [(c, v) for c, v in items if abs(v) > 0]
    items = [(c, v) for c, v in shown if abs(scale * v) >= 0.05][:top] or shown[:1]  # not a bar labelled "+0"
    if not items:
        return empty(title, "No column moved this answer from the usual one.")
    values = [scale * float(v) for _, v in items]
    words = [("+" if v >= 0 else "−") + number(round(abs(v), 1) if is_share else abs(v)) for v in values]
    fig = go.Figure(
        go.Bar(
            x=values,
            y=unique_labels([c for c, _ in items], 24),
            orientation="h",
            marker_color=[PALETTE[1] if v >= 0 else PALETTE[0] for v in values],
            text=words,
            textposition="auto",  # inside a long bar, outside a short one: never over the column names
            insidetextfont={"color": "white"},
            cliponaxis=False,
            hovertemplate="%{y}: %{text}<extra></extra>",
        )
    )
    fig = layout(fig, title, "push (percentage points)" if is_share else "push (in the answer's units)", "")
    usual = _get(explanation, "base")
    if usual is not None:
        subtitle(fig, f"Starting from the usual answer, {percent(usual) if is_share else number(usual)}.")
    reach = max(abs(v) for v in values)
    fig.update_xaxes(range=[-1.4 * reach if min(values) < 0 else 0, 1.4 * reach if max(values) > 0 else 0])
    fig.update_xaxes(zeroline=True, zerolinecolor=PALETTE[4])
    fig.update_yaxes(autorange="reversed", type="category", automargin=True)
    fig.update_layout(height=max(180, 100 + 30 * len(items)), margin={"l": 10, "r": 20})
    return fig

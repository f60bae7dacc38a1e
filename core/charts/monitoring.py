"""Charts of monitoring: which columns drifted, one column before and after, and a model's batches over
time (drift share, estimated and measured performance)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.charts.style import (
    MAX_LINE,
    MAX_ROWS,
    OK,
    PALETTE,
    WARN,
    Stored,
    capitalised,
    empty,
    finite,
    layout,
    legend,
    metric_axis,
    safe,
    unique_labels,
)
from core.vocab import number

if TYPE_CHECKING:
    from core.monitoring import ColumnDrift, DriftReport, Traffic


# --------------------------------------------------------------------------- drift


def _columns(report: DriftReport | Stored) -> list[dict[str, Any]]:
    data = report if isinstance(report, Mapping) else report.to_json()
    return list(data.get("columns") or [])


#: Bars are cut at this many times the alarm level, with the real size written on them: one column 100x over
#: the level would otherwise squash a real 2x shift in another to a sliver.
DRIFT_BAR_CAP = 5.0


def drift_overview_figure(report: DriftReport | Stored) -> go.Figure:
    """Per column, the size of the change relative to its alarm level (``DriftReport`` or its ``to_json()``):
    1 = the level; drifted columns in the warning colour, big-but-unproven changes in yellow. Every bar has
    its size written on it, and bars past :data:`DRIFT_BAR_CAP` are cut there so every column stays readable."""
    cols = _columns(report)
    title = "Which columns changed since training?"
    x_t = f"size of the change (1 = alarm level; bars cut at {number(DRIFT_BAR_CAP)})"
    rows = [c for c in cols if finite(c.get("statistic")) and finite(c.get("threshold")) and c["threshold"] > 0]
    if not rows:
        return empty(title, "No column had enough rows on both sides to compare.", x_t, "")
    rows.sort(key=lambda c: (not c.get("drifted"), -c["statistic"] / c["threshold"]))
    shown = rows[:MAX_ROWS]
    ratio = [c["statistic"] / c["threshold"] for c in shown]
    cap = min(DRIFT_BAR_CAP, max(1.5, max(ratio) * 1.15))
    colors = [WARN if c.get("drifted") else (PALETTE[3] if r >= 1 else OK) for c, r in zip(shown, ratio)]
    verdict = [
        (
            "changed"
            if c.get("drifted")
            else ("big change, but too few rows to be sure" if r >= 1 else "no clear change")
        )
        for c, r in zip(shown, ratio)
    ]
    fig = go.Figure(
        go.Bar(
            x=[min(r, cap) for r in ratio],
            y=unique_labels([c["column"] for c in shown], 40),
            orientation="h",
            marker_color=colors,
            text=[f"{number(r)}×" + (" (cut)" if r > cap else "") for r in ratio],
            textposition=["inside" if r > cap else "outside" for r in ratio],
            cliponaxis=False,
            customdata=[
                [safe(str(c.get("method", "")).replace("_", " ")), c["statistic"], c["threshold"], v, r]
                for c, v, r in zip(shown, verdict, ratio)
            ],
            hovertemplate="%{y}: %{customdata[3]}<br>%{customdata[4]:.3g}× the alarm level "
            "(%{customdata[0]} %{customdata[1]:.3g}, alarm at %{customdata[2]:.3g})<extra></extra>",
        )
    )
    fig.add_vline(
        x=1, line_dash="dash", line_color=PALETTE[4], annotation_text="alarm level", annotation_position="top"
    )
    n_drift = sum(1 for c in rows if c.get("drifted"))
    more = f" (top {MAX_ROWS} of {len(rows)})" if len(rows) > MAX_ROWS else ""
    fig = layout(fig, f"{title} {n_drift} of {len(rows)} columns changed{more}", x_t, "")
    fig.update_xaxes(range=[0, cap * 1.12])
    # the axis title in short lines: in one it ran past the right edge at phone width (390 px), where the
    # plot is narrow and pushed right by the column names
    fig.update_xaxes(title_text=safe(x_t).replace(" (", "<br>(", 1).replace("; ", ";<br>", 1))
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_layout(height=max(240, 24 * len(shown) + 150), margin={"b": 90})
    return fig


def _histogram_traces(fig: go.Figure, hist: Mapping[str, Any], sides: list[tuple[str, str, int, str]]) -> bool:
    """Bars of the shares per bin or label on each side; False when there is nothing to draw."""
    if not all(len(hist.get(key) or ()) for _, key, _, _ in sides):
        return False
    if hist.get("edges"):
        edges = np.asarray(hist["edges"], dtype=float)
        for side, key, n, color in sides:
            fig.add_trace(
                go.Bar(
                    x=(edges[:-1] + edges[1:]) / 2,
                    y=100 * np.asarray(hist[key], dtype=float),
                    width=np.diff(edges),
                    name=f"{side} ({n:,} values)",
                    marker_color=color,
                    opacity=0.55,
                    customdata=np.column_stack([edges[:-1], edges[1:]]),
                    hovertemplate=f"{side}: %{{customdata[0]:.4g}} to %{{customdata[1]:.4g}}: "
                    "%{y:.1f}&#37;<extra></extra>",
                )
            )
        fig.update_layout(barmode="overlay", bargap=0)
        return True
    if not hist.get("labels"):
        return False
    labels = unique_labels(hist["labels"], 24)
    for side, key, n, color in sides:
        fig.add_trace(
            go.Bar(
                x=labels,
                y=[100 * float(v) for v in hist[key]],
                name=f"{side} ({n:,} values)",
                marker_color=color,
                hovertemplate=f"{side}: %{{x}}: %{{y:.1f}}&#37;<extra></extra>",
            )
        )
    fig.update_xaxes(type="category")
    fig.update_layout(barmode="group")
    return True


def drift_histogram_figure(column: ColumnDrift | Stored) -> go.Figure:
    """One column in the training data and in the new data, drawn from the shares that the drift check
    kept for charts (``ColumnDrift.histogram``, or the ``to_json()`` form): numbers as overlaid bars on
    shared bins (the extreme 0.5 % at each end gathered into the edge bins), categories as grouped bars
    of the most common labels plus '(other)'. Nothing is reloaded or recounted here."""

    def get(key: str) -> Any:
        return column.get(key) if isinstance(column, Mapping) else getattr(column, key, None)

    name = str(get("column"))
    title = f"Has '{name}' changed since training?"
    y_t = "share of rows (%)"
    hist = get("histogram") or {}
    sides = [
        ("training data", "reference", int(get("n_reference") or 0), OK),
        ("new data", "current", int(get("n_current") or 0), WARN),
    ]
    fig = go.Figure()
    if not _histogram_traces(fig, hist, sides):
        return empty(title, f"'{name}' was not compared, so there is nothing to draw.", name, y_t)
    numeric = bool(hist.get("edges"))
    x_t = name + (" (extremes gathered at the edges)" if numeric else "")
    fig = layout(fig, title, x_t, y_t)
    if not numeric:  # layout() does not touch the bar mode or axis type set above
        fig.update_xaxes(type="category")
    return legend(fig)


# --------------------------------------------------------------------------- monitoring over time


def _batch_time(b: Mapping[str, Any]) -> pd.Timestamp | None:
    """When the batch was monitored: the result's own time (it honours ``now=`` for back-filled
    batches), else when the store recorded it."""
    for when in ((b.get("result") or {}).get("created_at"), b.get("created_at")):
        try:
            ts = pd.Timestamp(when)
        except (TypeError, ValueError):
            continue
        if ts is not pd.NaT:
            return ts.tz_convert(None) if ts.tzinfo is not None else ts
    return None


def _batches(batches: Sequence[Stored] | None) -> tuple[list[tuple[Any, Mapping[str, Any], Mapping[str, Any]]], str]:
    """(x, batch, result) per stored batch (``core.store.list_batches``), oldest first, the last
    ``MAX_LINE``, and the x-axis title. x is the time, or the batch number when times are missing
    or clash (several batches in one second)."""
    items = [(_batch_time(b), b, b.get("result") or {}) for b in (batches or ())]
    timed = [(t, b, r) for t, b, r in items if t is not None]
    if items and len(timed) == len(items) and len({t for t, _, _ in timed}) == len(timed):
        out: list[tuple[Any, Mapping[str, Any], Mapping[str, Any]]] = sorted(timed, key=lambda o: o[0])
        x_t = "batch received"
    else:
        out, x_t = [(i + 1, b, r) for i, (_, b, r) in enumerate(items)], "batch (oldest first)"
    return out[-MAX_LINE:], x_t


def _one_moment(fig: go.Figure, xs: Sequence[Any]) -> go.Figure:
    """A time axis with one batch on it would zoom to milliseconds (19:25:40.9995): show a day around it."""
    moments = {x for x in xs if isinstance(x, pd.Timestamp)}
    if len(moments) == 1 and len(set(xs)) == 1:
        t = moments.pop()
        fig.update_xaxes(range=[t - pd.Timedelta(hours=12), t + pd.Timedelta(hours=12)], tickformat="%d %b %H:%M")
    return fig


def drift_timeline_figure(batches: Sequence[Stored]) -> go.Figure:
    """Share of columns that changed, per monitored batch (``core.store.list_batches(model_id)``),
    with the level above which the whole dataset counts as drifted."""
    title = "Is the new data drifting away from the training data?"
    items, x_t = _batches(batches)
    y_t = "columns that changed (%)"
    pts = [(t, b, r, (r.get("drift") or {})) for t, b, r in items]
    pts = [p for p in pts if finite(p[3].get("drift_share"))]
    if not pts:
        return empty(title, "No batch with a drift check yet.", x_t, y_t)
    xs = [p[0] for p in pts]
    level = next(
        (p[3].get("drift_share_threshold") for p in reversed(pts) if finite(p[3].get("drift_share_threshold"))), None
    )
    fig = go.Figure(
        go.Scatter(
            x=xs,
            y=[100 * p[3]["drift_share"] for p in pts],
            mode="lines+markers",
            name="columns that changed",
            line={"color": OK, "width": 2},
            marker={"size": 9, "color": [WARN if p[3].get("dataset_drift") else OK for p in pts]},
            customdata=[
                [
                    p[3].get("n_drifted"),
                    p[3].get("n_judged"),
                    p[1].get("rows") or p[2].get("rows"),
                    safe(p[2].get("action") or "none"),
                ]
                for p in pts
            ],
            hovertemplate="%{customdata[0]} of %{customdata[1]} columns changed (%{y:.0f}&#37;)<br>"
            "%{customdata[2]:,} rows; action: %{customdata[3]}<extra></extra>",
        )
    )
    if level is not None:
        fig.add_hline(
            y=100 * level,
            line_dash="dash",
            line_color=WARN,
            annotation_text="whole batch counts as drifted",
            annotation_position="top left",
        )
    fig = layout(fig, title, x_t, y_t)
    fig.update_yaxes(range=[0, 105], ticksuffix="%")
    return _one_moment(fig, xs)


@dataclass
class _Scores:
    """A measure per batch, read from the stored results: estimated (with its range), measured, reference."""

    est_x: list[Any] = field(default_factory=list)
    est: list[float] = field(default_factory=list)
    est_lo: list[float] = field(default_factory=list)
    est_hi: list[float] = field(default_factory=list)
    mea_x: list[Any] = field(default_factory=list)
    mea_rows: list[Any] = field(default_factory=list)
    mea: list[float] = field(default_factory=list)
    ref: float | None = None


def _scores(items: Sequence[tuple[Any, Any, Mapping[str, Any]]], metric: str, scale: float) -> _Scores:
    out = _Scores()
    for x, _, r in items:
        perf = r.get("performance") or {}
        e = (perf.get("estimated") or {}).get(metric) or {}
        value = e.get("value")
        if finite(value):
            low, high = e.get("low"), e.get("high")
            out.est_x.append(x)
            out.est.append(value * scale)
            out.est_lo.append((low if finite(low) else value) * scale)
            out.est_hi.append((high if finite(high) else value) * scale)
        m = (perf.get("measured") or {}).get(metric)
        if finite(m):
            out.mea_x.append(x)
            out.mea_rows.append(perf.get("rows_labelled"))
            out.mea.append(m * scale)
        rv = (perf.get("reference") or {}).get(metric)
        if finite(rv):
            out.ref = rv * scale
    return out


def _add_estimated(fig: go.Figure, s: _Scores) -> None:
    """The estimate per batch as a dotted line inside its shaded likely range."""
    fig.add_trace(
        go.Scatter(x=s.est_x, y=s.est_lo, mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip")
    )
    fig.add_trace(
        go.Scatter(
            x=s.est_x,
            y=s.est_hi,
            mode="lines",
            line={"width": 0},
            fill="tonexty",
            fillcolor="rgba(31,111,139,0.18)",
            name="likely range",
            hoverinfo="skip",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=s.est_x,
            y=s.est,
            mode="lines+markers",
            name="estimated (no labels needed)",
            line={"color": OK, "width": 2, "dash": "dot"},
            customdata=np.column_stack([s.est_lo, s.est_hi]),
            hovertemplate="estimated %{y:.3g} (likely %{customdata[0]:.3g} to %{customdata[1]:.3g})<extra></extra>",
        )
    )


def performance_timeline_figure(batches: Sequence[Stored], metric: str | None = None) -> go.Figure:
    """The model's score per monitored batch: estimated from its confidence (with a band, classifiers),
    measured where labels came in, and the training score as a reference line.

    ``metric`` defaults to accuracy for classifiers and MAE for regression models."""
    items, x_t = _batches(batches)
    task = next(
        ((r.get("model") or {}).get("task") or (r.get("performance") or {}).get("task") for _, _, r in items if r), None
    )
    metric = metric or ("mae" if task == "regression" else "accuracy")
    word, share, y_t = metric_axis(metric)
    from core.monitoring import plain_metric  # the measure's everyday name: 'right answers', not 'accuracy'

    word = plain_metric(metric).lower()
    title = f"Is the model still as good as in training? {capitalised(word)} per batch"
    s = _scores(items, metric, 100.0 if share else 1.0)
    if not s.est and not s.mea:
        return empty(title, f"No batch has an estimated or measured {word} yet.", x_t, y_t)
    fig = go.Figure()
    if s.est:
        _add_estimated(fig, s)
    if s.mea:
        fig.add_trace(
            go.Scatter(
                x=s.mea_x,
                y=s.mea,
                mode="lines+markers",
                name="measured on labels",
                line={"color": WARN, "width": 2},
                marker={"size": 9},
                customdata=s.mea_rows,
                hovertemplate="measured %{y:.3g} on %{customdata:,} labelled rows<extra></extra>",
            )
        )
    if s.ref is not None:
        fig.add_hline(
            y=s.ref,
            line_dash="dash",
            line_color=PALETTE[4],
            annotation_text=f"tested after training: {s.ref:.3g}{'%' if share else ''}",
            annotation_position="bottom left",
        )
    fig = layout(fig, title, x_t, y_t)
    if share:
        fig.update_yaxes(ticksuffix="%")
    return _one_moment(legend(fig), s.est_x + s.mea_x)


# --------------------------------------------------------------------------- the scoring API's traffic


def api_traffic_figure(traffic: Traffic) -> go.Figure:
    """Requests to a model from other programs per minute (or hour): answered and refused, stacked; the
    hover gives the mean time an answer took."""
    step = traffic.bucket
    title = f"Requests from other programs, per {step}"
    frame = traffic.per_step
    if frame.empty:
        return empty(title, "No requests in this window.", step, "requests")
    fig = go.Figure()
    mean_ms = [f"{number(v)} ms" if finite(v) else "-" for v in frame["mean_ms"]]
    fig.add_trace(
        go.Bar(
            x=frame["time"].tolist(),
            y=frame["answered"].tolist(),
            name="answered",
            marker_color=OK,
            customdata=mean_ms,
            hovertemplate="%{x}<br>%{y:,} answered, %{customdata} on average<extra></extra>",
        )
    )
    if int(frame["refused"].sum()):
        fig.add_trace(
            go.Bar(
                x=frame["time"].tolist(),
                y=frame["refused"].tolist(),
                name="refused",
                marker_color=WARN,
                hovertemplate="%{x}<br>%{y:,} refused<extra></extra>",
            )
        )
    fig = layout(fig, title, f"time (UTC, per {step})", "requests")
    fig.update_layout(barmode="stack")
    return legend(fig)

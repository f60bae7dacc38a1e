"""Plotly figures. Each takes data or a result and returns a ``go.Figure``; no Streamlit here.

Values are binned with numpy before plotting, so a million-row column becomes a few dozen bars.
User text (column names) goes through ``_safe`` because plotly renders a subset of HTML.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Union

import numpy as np
import pandas as pd
import plotly.graph_objects as go

if TYPE_CHECKING:  # result types only; core.evaluate is imported lazily where it is needed
    from core.forecasting.engine import SeriesForecast
    from core.models.evaluate import (
        Calibration,
        DriverReport,
        Evaluation,
        FairnessReport,
        PartialDependence,
        RobustnessReport,
        SliceReport,
        ThresholdChoice,
    )
    from core.monitoring.drift import DriftReport
    from core.store import ModelInfo

Stored = Mapping[str, Any]  # a result's to_dict() / to_json() form

PALETTE = ("#1f6f8b", "#e07a5f", "#81b29a", "#f2cc8f", "#3d405b", "#99a1a6")


def _safe(text: object) -> str:
    return html.escape(str(text), quote=False)


def _layout(fig: go.Figure, title: str, x: str, y: str) -> go.Figure:
    fig.update_layout(
        title={"text": _safe(title)},
        xaxis_title=_safe(x),
        yaxis_title=_safe(y),
        template="plotly_white",
        margin={"l": 50, "r": 20, "t": 50, "b": 50},
        height=320,
        showlegend=False,
        colorway=list(PALETTE),
    )
    return fig


def probability_figure(probabilities: dict[Any, float], chosen: Any = None) -> go.Figure:
    """One row's chance of each answer, as bars on a 0-100 % axis (the answer given in the accent colour)."""
    labels = [_safe(k) for k in probabilities]
    values = [100 * float(v) for v in probabilities.values()]
    colours = [PALETTE[1] if str(k) == str(chosen) else PALETTE[0] for k in probabilities]
    fig = go.Figure(
        go.Bar(
            x=values,
            y=labels,
            orientation="h",
            marker_color=colours,
            text=[f"{v:.0f} %" for v in values],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}: %{x:.1f} %<extra></extra>",
        )
    )
    fig = _layout(fig, "How sure is the model?", "chance (%)", "answer")
    fig.update_xaxes(range=[0, 100], dtick=25)
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_layout(height=max(160, 70 + 34 * len(labels)))
    return fig


def column_figure(series: pd.Series, kind: str, max_bars: int = 20) -> go.Figure:
    """The distribution of one column: histogram for numbers, bars for labels, counts over time."""
    name = str(series.name)
    values = series.dropna()
    if kind == "numeric" and pd.api.types.is_numeric_dtype(values):
        arr = values.to_numpy(dtype="float64", na_value=np.nan)
        arr = arr[np.isfinite(arr)]
        if arr.size == 0:
            return _layout(go.Figure(), f"'{name}' has no numbers to show", name, "rows")
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
        return _layout(fig, f"How '{name}' is spread", name, "rows")
    if kind == "datetime" and pd.api.types.is_datetime64_any_dtype(values):
        if values.empty:
            return _layout(go.Figure(), f"'{name}' has no dates to show", name, "rows")
        span = values.max() - values.min()
        rule = "D" if span <= pd.Timedelta(days=120) else ("W" if span <= pd.Timedelta(days=1500) else "MS")
        per = values.dt.tz_localize(None) if values.dt.tz is not None else values
        counts = per.dt.to_period(rule[0] if rule != "MS" else "M").value_counts().sort_index()
        fig = go.Figure(go.Bar(x=counts.index.to_timestamp(), y=counts.to_numpy(), marker_color=PALETTE[0]))
        return _layout(fig, f"Rows over time in '{name}'", name, "rows")
    counts = values.astype(str).value_counts()
    top = counts.head(max_bars)
    other = int(counts.iloc[max_bars:].sum())
    labels = [_safe(v)[:40] for v in top.index]
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
    fig = _layout(fig, f"Most common values of '{name}'", "rows", name)
    fig.update_layout(height=max(260, 24 * len(labels) + 80))
    return fig


def missing_figure(names: list[str], shares: list[float]) -> go.Figure:
    """Share of missing values per column (only columns with any)."""
    pairs = sorted(((s, n) for n, s in zip(names, shares) if s > 0), reverse=True)[:30]
    fig = go.Figure(
        go.Bar(
            x=[s * 100 for s, _ in pairs],
            y=[_safe(n) for _, n in pairs],
            orientation="h",
            marker_color=PALETTE[1],
            hovertemplate="%{y}: %{x:.1f}% missing<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    fig = _layout(fig, "Missing values per column", "% of rows missing", "")
    fig.update_layout(height=max(220, 24 * len(pairs) + 80))
    return fig


# =========================================================================== result figures
#
# Conventions for everything below: titles and axis titles are passed *raw* to ``_layout``
# (which escapes them once); tick labels, legend names and hover text are escaped here with
# ``_safe``/``_labels``. Results may be the frozen dataclasses from ``core.evaluate`` or their
# ``to_dict()`` form (turned back with ``from_dict``).

_MAX_SCATTER = 2000  # points in a scatter
_MAX_LINE = 2000  # points in a line (history, timelines)
_MAX_ROWS = 40  # bars/rows in a horizontal chart
_WARN = PALETTE[1]  # drifted / worse / "look here"
_OK = PALETTE[0]
_MUTED = PALETTE[5]

_WORDS = {
    "accuracy": "accuracy",
    "balanced_accuracy": "balanced accuracy",
    "f1_macro": "F1 score",
    "roc_auc": "ranking quality (ROC AUC)",
    "pr_auc": "precision-recall area",
    "log_loss": "log loss",
    "brier": "Brier score",
    "ece": "calibration error",
    "mae": "typical error (MAE)",
    "rmse": "typical error, big misses weigh more (RMSE)",
    "r2": "share of variation explained (R²)",
    "mase": "error vs naive forecast (MASE)",
    "smape": "percentage error (sMAPE)",
    "wape": "weighted % error (WAPE)",
}
_LOWER_BETTER = {"mae", "rmse", "log_loss", "brier", "ece", "mase", "smape", "wape"}
_SHARE_METRICS = {"accuracy", "balanced_accuracy", "f1_macro", "roc_auc", "pr_auc", "ece", "brier", "r2"}


def _word(key: str) -> str:
    return _WORDS.get(key, str(key).replace("_", " "))


def _labels(values: Any, width: int = 40) -> list[str]:
    """Escaped, shortened, *unique* tick labels (plotly merges equal category labels)."""
    out: list[str] = []
    seen: dict[str, int] = {}
    for v in values:
        text = str(v)
        if len(text) > width:
            text = text[: width - 1] + "…"
        text = _safe(text)
        if text in seen:
            seen[text] += 1
            text = f"{text} ({seen[text]})"
        else:
            seen[text] = 1
        out.append(text)
    return out


def _tmpl(text: object) -> str:
    """User text for inside a hovertemplate: escaped, and '%' kept from being read as a placeholder."""
    return _safe(text).replace("%", "&#37;")


def _load(cls: Any, obj: Any) -> Any:
    """A result dataclass, from itself or from its ``to_dict()`` form."""
    if isinstance(obj, Mapping) and hasattr(cls, "from_dict"):
        return cls.from_dict(obj)
    return obj


def _finite(x: Any) -> bool:
    return x is not None and isinstance(x, (int, float, np.integer, np.floating)) and bool(np.isfinite(x))


def _empty(title: str, message: str, x: str = "", y: str = "") -> go.Figure:
    """A figure that says why there is nothing to draw (never an exception in a page)."""
    fig = go.Figure()
    fig.add_annotation(
        text=_safe(message),
        x=0.5,
        y=0.5,
        xref="paper",
        yref="paper",
        showarrow=False,
        font={"size": 14, "color": PALETTE[4]},
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, title, x, y)


def _thin(n: int, limit: int) -> np.ndarray:
    """Indices that keep at most ``limit`` of ``n`` points, evenly spread, first and last kept."""
    if n <= limit:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, limit).round().astype(int))


def _legend(fig: go.Figure, width: int = 480) -> go.Figure:
    """A horizontal legend between the title (and subtitle, if any) and the plot. The top margin
    and height grow with the rows the legend will likely wrap to on a ``width``-pixel figure."""
    fig.update_layout(
        showlegend=True, legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0, "traceorder": "normal"}
    )
    names = [html.unescape(str(t.name)) for t in fig.data if t.name and t.showlegend is not False]
    rows, used = 1, 0
    for name in names:
        item = 45 + 6.5 * len(name)
        if used and used + item > width:
            rows, used = rows + 1, 0
        used += item
    extra = 22 * (rows - 1)
    fig.update_layout(
        margin={"t": (105 if fig.layout.title.subtitle.text else 80) + extra}, height=(fig.layout.height or 320) + extra
    )
    return fig


def _subtitle(fig: go.Figure, text: str) -> go.Figure:
    """A plain second line under the title (escaped here); room is made for it."""
    fig.update_layout(title={"subtitle": {"text": _safe(text)}, "y": 0.97, "yanchor": "top", "yref": "container"})
    top = fig.layout.margin.t or 50
    fig.update_layout(margin={"t": top + 25}, height=(fig.layout.height or 320) + 25)
    return fig


# --------------------------------------------------------------------------- evaluate: curves


def _evaluation(ev: Any) -> Any:
    from core.models.evaluate import Evaluation

    return _load(Evaluation, ev)


def _yes(ev: Any) -> str:
    return str(ev.positive_label if ev.positive_label is not None else (ev.classes[-1] if ev.classes else "yes"))


def roc_figure(ev: Evaluation | Stored) -> go.Figure:
    """ROC curve of a yes/no model (``Evaluation`` or its dict), with the 'guessing' diagonal."""
    ev = _evaluation(ev)
    title = "How well does the model put real 'yes' cases ahead of the rest?"
    x_t, y_t = "false alarms: share of real 'no' flagged", "caught: share of real 'yes' flagged"
    c = ev.roc_curve
    if c is None or not c.x:
        return _empty(title, "This chart needs a yes/no model that gives chances.", x_t, y_t)
    yes = _tmpl(_yes(ev))
    thr = list(c.thresholds) if len(c.thresholds) == len(c.x) else [None] * len(c.x)
    auc = ev.metrics.get("roc_auc")
    name = "the model" + (f" (AUC {float(auc):.2f})" if _finite(auc) else "")
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=[0, 1], y=[0, 1], mode="lines", name="guessing", line={"dash": "dash", "color": _MUTED}, hoverinfo="skip"
        )
    )
    fig.add_trace(
        go.Scatter(
            x=list(c.x),
            y=list(c.y),
            mode="lines",
            name=name,
            line={"color": _OK, "width": 2.5},
            customdata=thr,
            hovertemplate=f"flag '{yes}' from a chance of %{{customdata:.2f}}<br>false alarms %{{x:.0%}}, caught %{{y:.0%}}<extra></extra>",
        )
    )
    fig = _layout(fig, title, x_t, y_t)
    fig.update_xaxes(range=[0, 1], tickformat=".0%")
    fig.update_yaxes(range=[0, 1.02], tickformat=".0%")
    return _legend(fig)


def pr_figure(ev: Evaluation | Stored) -> go.Figure:
    """Precision-recall curve of a yes/no model, with the share of 'yes' as the guessing line."""
    ev = _evaluation(ev)
    yes_raw = _yes(ev)
    title = f"Of the cases flagged '{yes_raw}', how many really are, as more are caught?"
    x_t, y_t = f"caught: share of real '{yes_raw}' flagged", "right when flagged (precision)"
    c = ev.pr_curve
    if c is None or not c.x:
        return _empty(title, "This chart needs a yes/no model that gives chances.", x_t, y_t)
    yes = _tmpl(yes_raw)
    thr = list(c.thresholds) if len(c.thresholds) == len(c.x) else [None] * len(c.x)
    fig = go.Figure()
    base = None
    if ev.per_class and ev.n_rows:
        support = {pc.label: pc.support for pc in ev.per_class}
        if yes_raw in support:
            base = support[yes_raw] / ev.n_rows
    if base is not None:
        fig.add_trace(
            go.Scatter(
                x=[0, 1],
                y=[base, base],
                mode="lines",
                name=f"guessing ({base:.0%} are '{_safe(yes_raw)}')",
                line={"dash": "dash", "color": _MUTED},
                hoverinfo="skip",
            )
        )
    ap = ev.metrics.get("pr_auc")
    fig.add_trace(
        go.Scatter(
            x=list(c.x),
            y=list(c.y),
            mode="lines",
            name="the model" + (f" (area {float(ap):.2f})" if _finite(ap) else ""),
            line={"color": _OK, "width": 2.5},
            customdata=thr,
            hovertemplate=f"flag '{yes}' from a chance of %{{customdata:.2f}}<br>caught %{{x:.0%}}, right %{{y:.0%}}<extra></extra>",
        )
    )
    fig = _layout(fig, title, x_t, y_t)
    fig.update_xaxes(range=[0, 1], tickformat=".0%")
    fig.update_yaxes(range=[0, 1.02], tickformat=".0%")
    return _legend(fig)


def confusion_figure(ev: Evaluation | Stored) -> go.Figure:
    """Counts of actual (rows) vs predicted (columns) answers, annotated, class names as labels."""
    ev = _evaluation(ev)
    title = "Which answers does the model mix up?"
    x_t, y_t = "the model said", "the real answer"
    cm = np.asarray(ev.confusion, dtype=float)
    if cm.ndim != 2 or cm.size == 0:
        return _empty(title, "This chart is for models that sort rows into groups.", x_t, y_t)
    k = cm.shape[0]
    labels = _labels(ev.classes if len(ev.classes) == k else range(k), 24)
    row_tot = cm.sum(axis=1, keepdims=True)
    share = np.divide(cm, row_tot, out=np.zeros_like(cm), where=row_tot > 0)
    text = [[f"{int(v):,}" for v in row] for row in cm] if k <= 20 else None
    fig = go.Figure(
        go.Heatmap(
            z=share,
            x=labels,
            y=labels,
            customdata=cm.astype(int),
            text=text,
            texttemplate="%{text}" if text is not None else None,
            colorscale=[[0, "#ffffff"], [1, PALETTE[0]]],
            zmin=0,
            zmax=1,
            showscale=False,
            xgap=1,
            ygap=1,
            hovertemplate="really %{y}, model said %{x}: %{customdata:,} rows (%{z:.0%} of the real %{y})<extra></extra>",
        )
    )
    fig = _layout(fig, title, x_t, y_t)
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(type="category", side="bottom")
    size = max(320, min(900, 60 + 34 * k))
    fig.update_layout(height=size)
    return fig


def calibration_figure(cal: Calibration | Stored | None) -> go.Figure:
    """Reliability diagram: what the model said vs how often it came true, per bin (counts in hover)."""
    from core.models.evaluate import Calibration

    cal = _load(Calibration, cal)
    if cal is not None and cal.kind == "positive_class" and cal.positive_label is not None:
        yes = str(cal.positive_label)
        title = f"When the model gives '{yes}' an 80 % chance, is it '{yes}' 80 % of the time?"
        x_t, y_t = f"chance of '{yes}' the model gave", f"how often it really was '{yes}'"
    else:
        title = "When the model says 80 %, how often is it right?"
        x_t, y_t = "how sure the model was of its answer", "how often it was right"
    bins = [
        b
        for b in (cal.bins if cal is not None else ())
        if b.count and _finite(b.mean_predicted) and _finite(b.observed)
    ]
    if not bins:
        return _empty(title, "No chances to check: the model does not give them.", x_t, y_t)
    counts = np.array([b.count for b in bins], dtype=float)
    sizes = 7 + 18 * np.sqrt(counts / counts.max())
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=[0, 1],
            y=[0, 1],
            mode="lines",
            name="perfectly honest",
            line={"dash": "dash", "color": _MUTED},
            hoverinfo="skip",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[b.mean_predicted for b in bins],
            y=[b.observed for b in bins],
            mode="lines+markers",
            name="the model",
            line={"color": _OK, "width": 2},
            marker={"size": sizes.tolist(), "color": _OK},
            customdata=[[b.lower, b.upper, b.count] for b in bins],
            hovertemplate="said %{customdata[0]:.0%}–%{customdata[1]:.0%} (on average %{x:.0%})<br>"
            "came true %{y:.0%} of the time<br>%{customdata[2]:,} rows<extra></extra>",
        )
    )
    fig = _layout(fig, title, x_t, y_t)
    fig.update_xaxes(range=[0, 1], tickformat=".0%")
    fig.update_yaxes(range=[0, 1.02], tickformat=".0%")
    return _legend(fig)


def residuals_figure(ev: Evaluation | Stored) -> go.Figure:
    """Regression: predicted vs actual (left, with the 'perfect' line) and how big the misses are (right)."""
    from plotly.subplots import make_subplots

    ev = _evaluation(ev)
    target = ev.target or "the target"
    title = f"How far off are the predictions of '{target}'?"
    r = ev.residuals
    if r is None or not r.predicted:
        return _empty(title, "This chart is for models that predict a number.", "predicted", "actual")
    pred, act, res = (np.asarray(v, dtype=float) for v in (r.predicted, r.actual, r.residual))
    ok = np.isfinite(pred) & np.isfinite(act) & np.isfinite(res)
    pred, act, res = pred[ok], act[ok], res[ok]
    keep = _thin(len(pred), _MAX_SCATTER)
    fig = make_subplots(rows=1, cols=2, column_widths=[0.55, 0.45], horizontal_spacing=0.12)
    lo = float(min(pred.min(), act.min())) if pred.size else 0.0
    hi = float(max(pred.max(), act.max())) if pred.size else 1.0
    fig.add_trace(
        go.Scatter(
            x=[lo, hi],
            y=[lo, hi],
            mode="lines",
            name="perfect prediction",
            line={"dash": "dash", "color": _MUTED},
            hoverinfo="skip",
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Scattergl(
            x=pred[keep],
            y=act[keep],
            mode="markers",
            name="a test row",
            marker={"size": 5, "color": _OK, "opacity": 0.5},
            hovertemplate="predicted %{x:.4g}, actually %{y:.4g}<extra></extra>",
        ),
        row=1,
        col=1,
    )
    if res.size:
        counts, edges = np.histogram(res, bins=min(40, max(5, int(np.sqrt(res.size)))))
        centers = (edges[:-1] + edges[1:]) / 2
        colors = [PALETTE[2] if c >= 0 else _WARN for c in centers]
        fig.add_trace(
            go.Bar(
                x=centers,
                y=counts,
                width=np.diff(edges),
                marker_color=colors,
                name="misses",
                hovertemplate="actual minus predicted ≈ %{x:.3g}: %{y:,} rows<extra></extra>",
            ),
            row=1,
            col=2,
        )
    fig = _layout(fig, title, "predicted", "actual")
    fig.update_xaxes(title_text="actual − predicted (above 0: guessed too low)", row=1, col=2)
    fig.update_yaxes(title_text="rows", row=1, col=2)
    fig.update_layout(height=380, bargap=0.02)
    total = max(int(r.sampled_from or 0), len(pred))
    if total > len(keep):
        _subtitle(fig, f"{len(keep):,} of {total:,} test rows shown")
    return fig


def metrics_ci_figure(ev: Evaluation | Stored) -> go.Figure:
    """Headline measures as points with 95 % ranges, next to the simple-guess baseline (hollow)."""
    ev = _evaluation(ev)
    if ev.task == "classification":
        keys = [
            k for k in ("accuracy", "balanced_accuracy", "f1_macro", "roc_auc", "pr_auc") if _finite(ev.metrics.get(k))
        ]
        title, x_t, scale = "How good is the model, and how sure are we?", "score (higher is better)", 100.0
    else:
        keys = [k for k in ("mae", "rmse") if _finite(ev.metrics.get(k))]
        target = ev.target or "the target"
        title, x_t, scale = (
            "How big is the typical miss, and how sure are we?",
            f"error in units of '{target}' (lower is better)",
            1.0,
        )
    if not keys:
        return _empty(title, "No measures to show.", x_t, "")
    names = [_safe(_word(k)) for k in keys]
    vals = [float(ev.metrics[k]) * scale for k in keys]
    ci = [ev.intervals.get(k) for k in keys]
    plus = [(c[1] * scale - v) if c else 0 for c, v in zip(ci, vals)]
    minus = [(v - c[0] * scale) if c else 0 for c, v in zip(ci, vals)]
    ranges = [f"likely {c[0] * scale:.3g} to {c[1] * scale:.3g}" if c else "no range" for c in ci]
    fig = go.Figure()
    base = [ev.baseline_metrics.get(k) for k in keys]
    if any(_finite(b) for b in base):
        fig.add_trace(
            go.Scatter(
                x=[float(b) * scale if _finite(b) else None for b in base],
                y=names,
                mode="markers",
                name=_safe(f"simple guess: {ev.baseline_name}" if ev.baseline_name else "simple guess"),
                marker={"symbol": "diamond-open", "size": 12, "color": _MUTED, "line": {"width": 2}},
                hovertemplate="%{y}, simple guess: %{x:.3g}<extra></extra>",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=vals,
            y=names,
            mode="markers",
            name="the model (95 % range)",
            customdata=ranges,
            marker={"size": 11, "color": _OK},
            error_x={"type": "data", "array": plus, "arrayminus": minus, "thickness": 2, "width": 6, "color": _OK},
            hovertemplate="%{y}: %{x:.3g} (%{customdata})<extra></extra>",
        )
    )
    fig = _layout(fig, title, x_t + (" (%)" if scale == 100 else ""), "")
    fig.update_yaxes(autorange="reversed", type="category")
    if scale == 100:
        fig.update_xaxes(range=[0, 101], ticksuffix="%")
    else:
        fig.update_xaxes(rangemode="tozero")
    fig.update_layout(height=max(240, 50 * len(keys) + 130))
    return _legend(fig)


# --------------------------------------------------------------------------- evaluate: deeper looks


def slices_figure(report: SliceReport | Stored) -> go.Figure:
    """The measure per group of rows (``SliceReport``), with 95 % ranges; groups doing worse in the warning colour."""
    from core.models.evaluate import SliceReport

    report = _load(SliceReport, report)
    acc = report.metric_key == "accuracy"
    title = "Where does the model do worse than usual?"
    x_t = "accuracy (%)" if acc else "typical error (MAE), lower is better"
    rows = [s for s in report.slices if _finite(s.metric)]
    if not rows:
        return _empty(title, "Not enough rows to compare groups.", x_t, "")
    dropped = 0
    if len(rows) > _MAX_ROWS:  # keep every 'worse' slice, then the biggest groups, in the original order
        order = sorted(range(len(rows)), key=lambda i: (not rows[i].worse, -rows[i].count))[:_MAX_ROWS]
        dropped = len(rows) - _MAX_ROWS
        rows = [rows[i] for i in sorted(order)]
    scale = 100.0 if acc else 1.0
    names = _labels([f"{s.column}: {s.label}" for s in rows], 48)
    vals = [float(s.metric) * scale for s in rows]
    plus = [(float(s.high) * scale - v) if _finite(s.high) else 0 for s, v in zip(rows, vals)]
    minus = [(v - float(s.low) * scale) if _finite(s.low) else 0 for s, v in zip(rows, vals)]
    colors = [_WARN if s.worse else _OK for s in rows]
    notes = ["worse than overall" if s.worse else ("small group: read with care" if s.count < 30 else "") for s in rows]
    fig = go.Figure(
        go.Scatter(
            x=vals,
            y=names,
            mode="markers",
            marker={"size": 10, "color": colors},
            error_x={"type": "data", "array": plus, "arrayminus": minus, "thickness": 1.5, "width": 4, "color": _MUTED},
            customdata=[[s.count, s.share, n] for s, n in zip(rows, notes)],
            hovertemplate="%{y}: %{x:.3g} on %{customdata[0]:,} rows (%{customdata[1]:.0%})<br>%{customdata[2]}<extra></extra>",
        )
    )
    overall = float(report.overall) * scale
    fig.add_vline(
        x=overall,
        line_dash="dash",
        line_color=PALETTE[4],
        annotation_text=f"all rows: {overall:.3g}{'%' if acc else ''}",
        annotation_position="top",
    )
    fig = _layout(fig, title + (f" ({dropped} smaller groups not shown)" if dropped else ""), x_t, "")
    fig.update_yaxes(autorange="reversed", type="category")
    if acc:
        fig.update_xaxes(ticksuffix="%")
    fig.update_layout(height=max(260, 22 * len(rows) + 120))
    return fig


_PERTURB = {
    "noise": ("a little noise added to numbers", "noise size (% of the column's spread)"),
    "missing": ("cells left blank", "share of cells blanked"),
    "swap": ("categories swapped for another", "share of category cells swapped"),
}


_FAILED = {"noise": "noisy numbers", "missing": "blank cells", "swap": "swapped categories"}
_KIND_COLOR = {"noise": PALETTE[0], "missing": PALETTE[1], "swap": PALETTE[4]}


def robustness_figure(report: RobustnessReport | Stored) -> go.Figure:
    """The measure as inputs get messier, one line per kind of disturbance; share of changed answers on hover."""
    from core.models.evaluate import RobustnessReport

    report = _load(RobustnessReport, report)
    acc = report.metric_key == "accuracy"
    scale = 100.0 if acc else 1.0
    title = "Does the model hold up when the data gets messier?"
    y_t = "accuracy (%)" if acc else "typical error (MAE), lower is better"
    x_t = "how much the inputs were disturbed (%)"
    fig = go.Figure()
    failed: list[str] = []
    for i, kind in enumerate(k for k in ("noise", "missing", "swap") if any(p.kind == k for p in report.results)):
        pts = sorted((p for p in report.results if p.kind == kind), key=lambda p: p.level)
        failed += [kind for p in pts if p.failed or not _finite(p.metric)]
        pts = [p for p in pts if not p.failed and _finite(p.metric)]
        if not pts:
            continue
        label, how = _PERTURB.get(kind, (kind, "level"))
        fig.add_trace(
            go.Scatter(
                x=[0.0] + [100 * p.level for p in pts],
                y=[report.clean_metric * scale] + [float(p.metric) * scale for p in pts],
                mode="lines+markers",
                name=_safe(label),
                line={"color": _KIND_COLOR.get(kind, PALETTE[i % len(PALETTE)]), "width": 2},
                customdata=[[how, 0.0]] + [[how, p.flip_share if _finite(p.flip_share) else None] for p in pts],
                hovertemplate="%{customdata[0]}: %{x:.0f}%<br>score %{y:.3g}<br>answers that changed: %{customdata[1]:.1%}<extra></extra>",
            )
        )
    if not fig.data:
        return _empty(title, "The model could not be scored on disturbed rows.", x_t, y_t)
    fig.add_hline(
        y=report.clean_metric * scale,
        line_dash="dot",
        line_color=_MUTED,
        annotation_text="clean data",
        annotation_position="bottom right",
    )
    fig = _layout(fig, title, x_t, y_t)
    if failed:
        _subtitle(
            fig, "The model could not score rows with " + " or ".join(_FAILED[k] for k in sorted(set(failed))) + "."
        )
    # Keep small wobbles small: show at least ±5 points (accuracy) or ±10 % (error) around the clean score.
    ys = [v for tr in fig.data for v in tr.y if v is not None]
    clean = report.clean_metric * scale
    pad = 5.0 if acc else 0.1 * abs(clean)
    lo, hi = min(ys + [clean - pad]), max(ys + [clean + pad])
    if acc:
        lo, hi = max(0.0, lo), min(100.0, hi)
    fig.update_yaxes(range=[lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo)])
    if acc:
        fig.update_yaxes(ticksuffix="%")
    fig.update_xaxes(ticksuffix="%", rangemode="tozero")
    return _legend(fig)


def importance_figure(drivers: DriverReport | Stored, top: int = 20) -> go.Figure:
    """What the model leans on (``DriverReport``): horizontal bars of the drop when a column is shuffled, ± spread."""
    from core.models.evaluate import DriverReport

    drivers = _load(DriverReport, drivers)
    acc = drivers.metric_key == "accuracy"
    title = "Which columns does the model lean on most?"
    x_t = (
        "how much accuracy drops when the column is shuffled (points)"
        if acc
        else "how much the typical error grows when the column is shuffled"
    )
    items = sorted(drivers.importances, key=lambda i: -i.drop)
    if not items:
        return _empty(title, "No columns to rank.", x_t, "")
    shown, rest = items[:top], len(items) - top
    scale = 100.0 if acc else 1.0
    fig = go.Figure(
        go.Bar(
            x=[i.drop * scale for i in shown],
            y=_labels([i.column for i in shown], 40),
            orientation="h",
            marker_color=[_OK if i.drop > max(2 * i.std, 1e-12) else _MUTED for i in shown],
            error_x={"type": "data", "array": [i.std * scale for i in shown], "thickness": 1.5, "color": PALETTE[4]},
            customdata=[
                [i.std * scale, "" if i.drop > max(2 * i.std, 1e-12) else "<br>not clearly more than chance"]
                for i in shown
            ],
            hovertemplate="%{y}: %{x:.3g} (give or take %{customdata[0]:.2g})%{customdata[1]}<extra></extra>",
        )
    )
    fig = _layout(fig, title + (f" (top {top} of {len(items)})" if rest > 0 else ""), x_t, "")
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_layout(height=max(240, 24 * len(shown) + 110))
    return fig


def partial_dependence_figure(
    item: PartialDependence | Stored, *, of_class: str | None = None, task: str | None = None, target: str | None = None
) -> go.Figure:
    """One column's effect (``PartialDependence``): the average prediction, or chance of ``of_class``,
    as the column is set to each value. ``of_class`` is ``DriverReport.of_class`` (None for regression)."""
    from core.models.evaluate import PartialDependence

    item = _load(PartialDependence, item)
    col = item.column
    if of_class is not None and task != "regression":
        what, y_t, share = f"the chance of '{of_class}'", f"chance of '{of_class}'", True
    else:
        what = f"the predicted '{target}'" if target else "the prediction"
        y_t, share = "average prediction" + (f" of '{target}'" if target else ""), False
    title = f"How {what} moves with '{col}'"
    vals = np.asarray(item.values, dtype=float)
    scale = 100.0 if share else 1.0
    if item.kind == "numeric":
        try:
            xs = [float(g) for g in item.grid]
        except ValueError:
            xs = None
    else:
        xs = None
    if xs is not None:
        fig = go.Figure(
            go.Scatter(
                x=xs,
                y=vals * scale,
                mode="lines+markers",
                line={"color": _OK, "width": 2.5},
                hovertemplate=f"{_tmpl(col)} = %{{x:.4g}}: %{{y:.3g}}{'%' if share else ''}<extra></extra>",
            )
        )
    else:
        fig = go.Figure(
            go.Bar(
                x=_labels(item.grid, 24),
                y=vals * scale,
                marker_color=_OK,
                hovertemplate=f"{_tmpl(col)} = %{{x}}: %{{y:.3g}}{'%' if share else ''}<extra></extra>",
            )
        )
        fig.update_xaxes(type="category")
    fig = _layout(fig, title, col, y_t + (" (%)" if share else ""))
    if share:
        fig.update_yaxes(ticksuffix="%")
    return fig


def threshold_figure(choice: ThresholdChoice | Stored, positive_label: str | None = None) -> go.Figure:
    """Expected total cost vs the cut-off (``ThresholdChoice``), with the usual 0.5 and the chosen one marked.
    ``positive_label`` names the 'yes' answer in the axis title."""
    from core.models.evaluate import ThresholdChoice

    choice = _load(ThresholdChoice, choice)
    unit = choice.unit or ""
    title = "Which cut-off costs least?"
    x_t = f"answer '{positive_label if positive_label is not None else 'yes'}' when its chance is at least…"
    y_t = f"total cost on the test rows{f' ({unit})' if unit else ''}"
    if not choice.thresholds:
        return _empty(title, "No cut-offs were scanned.", x_t, y_t)
    t, c = np.asarray(choice.thresholds, dtype=float), np.asarray(choice.costs, dtype=float)
    fig = go.Figure(
        go.Scatter(
            x=t,
            y=c,
            mode="lines",
            name="total cost",
            line={"color": _OK, "width": 2.5},
            hovertemplate=f"cut-off %{{x:.2f}}: cost %{{y:,.4g}} {_tmpl(unit)}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[0.5],
            y=[choice.cost_at_default],
            mode="markers",
            name="usual cut-off 0.5",
            marker={"size": 12, "color": _MUTED, "symbol": "circle-open", "line": {"width": 3}},
            customdata=[[choice.false_alarms_default, choice.misses_default]],
            hovertemplate="usual cut-off 0.5: cost %{y:,.4g}<br>%{customdata[0]:,} false alarms, %{customdata[1]:,} misses<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[choice.threshold],
            y=[choice.cost_at_chosen],
            mode="markers",
            name=f"best cut-off {choice.threshold:.2f}",
            marker={"size": 14, "color": _WARN, "symbol": "star"},
            customdata=[[choice.false_alarms_chosen, choice.misses_chosen]],
            hovertemplate="best cut-off %{x:.2f}: cost %{y:,.4g}<br>%{customdata[0]:,} false alarms, %{customdata[1]:,} misses<extra></extra>",
        )
    )
    fig.add_vline(x=0.5, line_dash="dot", line_color=_MUTED)
    fig.add_vline(x=choice.threshold, line_dash="dash", line_color=_WARN)
    fig = _layout(fig, title, x_t, y_t)
    fig.update_xaxes(range=[0, 1])
    fig.update_yaxes(rangemode="tozero")
    return _legend(fig)


_FAIR = (("positive_rate", "flagged 'yes'"), ("recall", "real 'yes' caught"), ("precision", "right when flagged"))


def fairness_figure(report: FairnessReport | Stored) -> go.Figure:
    """Per group of the sensitive column (``FairnessReport``): share flagged, share caught and share right,
    as grouped bars; groups too small to judge are hatched."""
    from core.models.evaluate import FairnessReport

    report = _load(FairnessReport, report)
    yes = report.positive_label
    title = f"Does the model treat each '{report.column}' group alike?"
    x_t, y_t = report.column, "share (%)"
    groups = list(report.groups)
    if not groups:
        return _empty(title, "No groups to compare.", x_t, y_t)
    names = _labels([g.group for g in groups], 24)
    fig = go.Figure()
    for i, (key, label) in enumerate(_FAIR):
        label = label.replace("'yes'", f"'{yes}'")
        vals = [getattr(g, key) for g in groups]
        fig.add_trace(
            go.Bar(
                x=names,
                y=[100 * v if _finite(v) else None for v in vals],
                name=_safe(label),
                marker={"color": PALETTE[i], "pattern": {"shape": ["" if g.enough else "/" for g in groups]}},
                customdata=[[g.count, "" if g.enough else " — too few rows to judge"] for g in groups],
                hovertemplate=f"%{{x}}: {_tmpl(label)} %{{y:.0f}}&#37; (%{{customdata[0]:,}} rows)%{{customdata[1]}}<extra></extra>",
            )
        )
    fig = _layout(fig, title, x_t, y_t)
    fig.update_xaxes(type="category")
    fig.update_yaxes(range=[0, 105], ticksuffix="%")
    fig.update_layout(barmode="group")
    return _legend(fig)


# --------------------------------------------------------------------------- models


def metric_over_versions_figure(models: Sequence[ModelInfo | Stored], metric: str) -> go.Figure:
    """One line per model name: ``metric`` (a key of ``ModelInfo.metrics``) by version; champions starred.

    ``models`` is a list of ``core.store.ModelInfo`` (or dicts with name, version, stage, algorithm, metrics)."""
    word = _word(metric)
    title = f"Is each model getting better? {word[:1].upper() + word[1:]} by version"
    share = metric in _SHARE_METRICS and metric not in ("ece", "brier")
    y_t = word + (" (%)" if share else "") + (", lower is better" if metric in _LOWER_BETTER else "")

    def get(m: Any, key: str) -> Any:
        return m.get(key) if isinstance(m, Mapping) else getattr(m, key, None)

    by_name: dict[str, list[tuple[int, float, str, str]]] = {}
    for m in models or ():
        value = (get(m, "metrics") or {}).get(metric)
        if not _finite(value):
            continue
        by_name.setdefault(str(get(m, "name")), []).append(
            (int(get(m, "version") or 0), float(value), str(get(m, "stage") or ""), str(get(m, "algorithm") or ""))
        )
    if not by_name:
        return _empty(title, f"No model has a recorded {word} yet.", "version", y_t)
    scale = 100.0 if share else 1.0
    fig = go.Figure()
    for i, (name, pts) in enumerate(sorted(by_name.items())):
        pts.sort()
        fig.add_trace(
            go.Scatter(
                x=[p[0] for p in pts],
                y=[p[1] * scale for p in pts],
                mode="lines+markers",
                name=_safe(name),
                line={"color": PALETTE[i % len(PALETTE)], "width": 2},
                marker={
                    "size": [16 if p[2] == "champion" else 9 for p in pts],
                    "symbol": ["star" if p[2] == "champion" else "circle" for p in pts],
                },
                customdata=[[_safe(p[3]), _safe(p[2])] for p in pts],
                hovertemplate=f"{_tmpl(name)} version %{{x}}: %{{y:.4g}}<br>%{{customdata[0]}}, %{{customdata[1]}}<extra></extra>",
            )
        )
    fig = _layout(fig, title, "version", y_t)
    if any(p[2] == "champion" for pts in by_name.values() for p in pts):
        _subtitle(fig, "★ marks the champion: the version in use")
    if share:
        fig.update_yaxes(ticksuffix="%")
    fig.update_xaxes(dtick=1, tickformat="d")
    if len(by_name) > 1:
        _legend(fig)
    return fig


# --------------------------------------------------------------------------- forecast


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


def forecast_figure(
    series_result: SeriesForecast,
    history: pd.Series | pd.DataFrame | None = None,
    *,
    level: float | None = None,
    value_name: str | None = None,
    max_history: int = _MAX_LINE,
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
    yhat, lo, hi = (np.asarray(v, dtype=float) for v in (series_result.yhat, series_result.lo, series_result.hi))
    if len(f_dates):
        band = f"likely range ({level:.0f} %)" if level else "likely range"
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
                    line={"color": _WARN, "width": 1.2, "dash": "dot"},
                    showlegend=False,
                    hoverinfo="skip",
                )
            )
        fig.add_trace(
            go.Scatter(
                x=f_dates,
                y=yhat,
                mode="lines+markers",
                name=_safe(f"forecast ({series_result.model_label})"),
                line={"color": _WARN, "width": 2.5},
                marker={"size": 5},
                customdata=[[a, b] for a, b in zip(lo, hi)],
                hovertemplate=f"%{{x|{fmt}}}: %{{y:,.4g}} (likely %{{customdata[0]:,.4g}} to %{{customdata[1]:,.4g}})<extra></extra>",
            )
        )
    fig = _layout(fig, title, "date", name)
    notes = [f"last {max_history:,} of {tail + max_history:,} past points drawn"] if tail else []
    h = len(f_dates)
    # two years of days next to 28 forecast days leave the forecast a sliver at the edge: open zoomed in on
    # the recent past (a full season back when there is a long one), the rest a double-click away
    recent = max(6 * h, int(max(series_result.seasons, default=0)) + h)
    if h and len(dates) > recent + h:
        fig.update_xaxes(range=[dates[-recent], f_dates[-1]])
        notes.append("zoomed in on the recent past: double-click the chart to see all")
    if notes:
        _subtitle(fig, "; ".join(notes))
    fig.update_layout(height=380)
    return _legend(fig)


def backtest_figure(series_result: SeriesForecast, *, value_name: str | None = None) -> go.Figure:
    """How past forecasts would have done: what happened (line) and, for each backtest window,
    what the chosen model would have said from that point, with its band."""
    name = value_name or "value"
    title = "If we had forecast in the past, how close would we have been?"
    windows = list(series_result.windows)
    if not windows:
        return _empty(title, "The history is too short to test forecasts on the past.", "date", name)
    first = min(w.dates[0] for w in windows if w.dates)
    h = max(len(w.dates) for w in windows)
    dates = pd.DatetimeIndex(series_result.history_dates)
    values = np.asarray(series_result.history, dtype=float)
    keep = np.flatnonzero(dates >= first)
    start = max(0, (keep[0] if keep.size else 0) - 2 * h)
    idx = np.arange(start, len(dates))[-_MAX_LINE:]
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
    if _finite(bt.mae):
        sub.append(f"typical miss {bt.mae:,.3g}")
    if _finite(bt.coverage):
        sub.append(f"{100 * bt.coverage:.0f}% of past values fell inside the range")
    fig = _layout(fig, title, "date", name)
    if sub:
        _subtitle(fig, "; ".join(sub))
    fig.update_layout(height=380)
    return _legend(fig)


# --------------------------------------------------------------------------- drift


def _col_dicts(report: Any) -> tuple[list[dict[str, Any]], float | None]:
    data = report if isinstance(report, Mapping) else report.to_json()
    return list(data.get("columns") or []), data.get("drift_share")


def drift_overview_figure(report: DriftReport | Stored) -> go.Figure:
    """Per column, the size of the change relative to its alarm level (``DriftReport`` or its ``to_json()``):
    1 = the level; drifted columns in the warning colour, big-but-unproven changes in yellow."""
    cols, share = _col_dicts(report)
    title = "Which columns changed since training?"
    x_t = "size of the change (1 = alarm level)"
    rows = [c for c in cols if _finite(c.get("statistic")) and _finite(c.get("threshold")) and c["threshold"] > 0]
    if not rows:
        return _empty(title, "No column had enough rows on both sides to compare.", x_t, "")
    rows.sort(key=lambda c: (not c.get("drifted"), -c["statistic"] / c["threshold"]))
    shown = rows[:_MAX_ROWS]
    ratio = [c["statistic"] / c["threshold"] for c in shown]
    colors = [_WARN if c.get("drifted") else (PALETTE[3] if r >= 1 else _OK) for c, r in zip(shown, ratio)]
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
            x=ratio,
            y=_labels([c["column"] for c in shown], 40),
            orientation="h",
            marker_color=colors,
            customdata=[
                [_safe(str(c.get("method", "")).replace("_", " ")), c["statistic"], c["threshold"], v]
                for c, v in zip(shown, verdict)
            ],
            hovertemplate="%{y}: %{customdata[3]}<br>%{customdata[0]} %{customdata[1]:.3g} (alarm at %{customdata[2]:.3g})<extra></extra>",
        )
    )
    fig.add_vline(
        x=1, line_dash="dash", line_color=PALETTE[4], annotation_text="alarm level", annotation_position="top"
    )
    n_drift = sum(1 for c in rows if c.get("drifted"))
    more = f" (top {_MAX_ROWS} of {len(rows)})" if len(rows) > _MAX_ROWS else ""
    fig = _layout(fig, f"{title} {n_drift} of {len(rows)} columns changed{more}", x_t, "")
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_layout(height=max(240, 24 * len(shown) + 110))
    return fig


def distribution_compare_figure(
    reference: pd.Series, current: pd.Series, kind: str, name: str | None = None, *, bins: int = 30, top: int = 15
) -> go.Figure:
    """Training data vs new data for one column. Numbers: overlaid histograms on shared bins, as shares
    of each side (the extreme 0.5 % at each end gathered into the edge bins). Categories: grouped bars of
    shares, the ``top`` most common labels plus '(other)' and '(missing)'."""
    if name is None:
        name = reference.name if getattr(reference, "name", None) is not None else getattr(current, "name", None)
    name = "this column" if name is None else str(name)
    title = f"Has '{name}' changed since training?"
    ref, cur = pd.Series(reference), pd.Series(current)
    if kind == "numeric":
        r = pd.to_numeric(ref, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        c = pd.to_numeric(cur, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        r, c = r[np.isfinite(r)], c[np.isfinite(c)]
        if r.size == 0 or c.size == 0:
            return _empty(title, f"'{name}' has no numbers on one side.", name, "share of rows (%)")
        both = np.concatenate([r, c])
        lo, hi = np.quantile(both, [0.005, 0.995])
        if not hi > lo:
            lo, hi = float(both.min()), float(both.max())
        if not hi > lo:
            lo, hi = lo - 0.5, hi + 0.5
        edges = np.linspace(lo, hi, bins + 1)
        clipped = bool((both < lo).any() or (both > hi).any())
        fig = go.Figure()
        for side, vals, color in (("training data", r, _OK), ("new data", c, _WARN)):
            counts, _ = np.histogram(np.clip(vals, lo, hi), bins=edges)
            fig.add_trace(
                go.Bar(
                    x=(edges[:-1] + edges[1:]) / 2,
                    y=100 * counts / vals.size,
                    width=np.diff(edges),
                    name=f"{side} ({vals.size:,} values)",
                    marker_color=color,
                    opacity=0.55,
                    customdata=np.column_stack([edges[:-1], edges[1:], counts]),
                    hovertemplate=f"{side}: %{{customdata[0]:.4g}} to %{{customdata[1]:.4g}}: "
                    "%{y:.1f}&#37; (%{customdata[2]:,} rows)<extra></extra>",
                )
            )
        x_t = name + (" (extremes gathered at the edges)" if clipped else "")
        fig = _layout(fig, title, x_t, "share of rows (%)")
        fig.update_layout(barmode="overlay", bargap=0)
        return _legend(fig)
    ref_t = ref.astype("object").where(ref.notna(), "(missing)").astype(str)
    cur_t = cur.astype("object").where(cur.notna(), "(missing)").astype(str)
    rs = ref_t.value_counts(normalize=True)
    cs = cur_t.value_counts(normalize=True)
    if rs.empty and cs.empty:
        return _empty(title, f"'{name}' has no values.", name, "share of rows (%)")
    combined = rs.add(cs, fill_value=0).sort_values(ascending=False)
    labels = [k for k in combined.index if k != "(missing)"][:top]
    rest = [k for k in combined.index if k not in labels and k != "(missing)"]
    cats = labels + (["(other)"] if rest else []) + (["(missing)"] if "(missing)" in combined.index else [])
    fig = go.Figure()
    for side, s, color, n in (("training data", rs, _OK, len(ref)), ("new data", cs, _WARN, len(cur))):
        ys = [float(s.get(k, 0.0)) for k in labels]
        if rest:
            ys.append(float(s.reindex(rest).fillna(0).sum()))
        if "(missing)" in combined.index:
            ys.append(float(s.get("(missing)", 0.0)))
        fig.add_trace(
            go.Bar(
                x=_labels(cats[: len(labels)], 24) + cats[len(labels) :],
                y=[100 * v for v in ys],
                name=f"{side} ({n:,} rows)",
                marker_color=color,
                hovertemplate=f"{side}: %{{x}}: %{{y:.1f}}&#37;<extra></extra>",
            )
        )
    fig = _layout(fig, title, name + (f" (top {top} of {len(combined)} values)" if rest else ""), "share of rows (%)")
    fig.update_xaxes(type="category")
    fig.update_layout(barmode="group")
    return _legend(fig)


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
    ``_MAX_LINE``, and the x-axis title. x is the time, or the batch number when times are missing
    or clash (several batches in one second)."""
    items = [(_batch_time(b), b, b.get("result") or {}) for b in (batches or ())]
    times = [t for t, _, _ in items]
    if items and None not in times and len(set(times)) == len(times):
        items.sort(key=lambda o: o[0])
        out, x_t = items, "batch received"
    else:
        out, x_t = [(i + 1, b, r) for i, (_, b, r) in enumerate(items)], "batch (oldest first)"
    return out[-_MAX_LINE:], x_t


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
    pts = [p for p in pts if _finite(p[3].get("drift_share"))]
    if not pts:
        return _empty(title, "No batch with a drift check yet.", x_t, y_t)
    xs = [p[0] for p in pts]
    level = next(
        (p[3].get("drift_share_threshold") for p in reversed(pts) if _finite(p[3].get("drift_share_threshold"))), None
    )
    fig = go.Figure(
        go.Scatter(
            x=xs,
            y=[100 * p[3]["drift_share"] for p in pts],
            mode="lines+markers",
            name="columns that changed",
            line={"color": _OK, "width": 2},
            marker={"size": 9, "color": [_WARN if p[3].get("dataset_drift") else _OK for p in pts]},
            customdata=[
                [
                    p[3].get("n_drifted"),
                    p[3].get("n_judged"),
                    p[1].get("rows") or p[2].get("rows"),
                    _safe(p[2].get("action") or "none"),
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
            line_color=_WARN,
            annotation_text="whole batch counts as drifted",
            annotation_position="top left",
        )
    fig = _layout(fig, title, x_t, y_t)
    fig.update_yaxes(range=[0, 105], ticksuffix="%")
    return _one_moment(fig, xs)


def performance_timeline_figure(batches: Sequence[Stored], metric: str | None = None) -> go.Figure:
    """The model's score per monitored batch: estimated from its confidence (with a band, classifiers),
    measured where labels came in, and the training score as a reference line.

    ``metric`` defaults to accuracy for classifiers and MAE for regression models."""
    items, x_t = _batches(batches)
    task = next(
        ((r.get("model") or {}).get("task") or (r.get("performance") or {}).get("task") for _, _, r in items if r), None
    )
    metric = metric or ("mae" if task == "regression" else "accuracy")
    word = _word(metric)
    share = metric in _SHARE_METRICS and metric not in ("ece", "brier")
    scale = 100.0 if share else 1.0
    title = f"Is the model still as good as in training? {word[:1].upper() + word[1:]} per batch"
    y_t = word + (" (%)" if share else "") + (", lower is better" if metric in _LOWER_BETTER else "")
    est_x, est, est_lo, est_hi, mea_x, mea, ref = [], [], [], [], [], [], None
    for x, b, r in items:
        perf = r.get("performance") or {}
        e = (perf.get("estimated") or {}).get(metric) or {}
        if _finite(e.get("value")):
            est_x.append(x)
            est.append(e["value"] * scale)
            est_lo.append(e["low"] * scale if _finite(e.get("low")) else e["value"] * scale)
            est_hi.append(e["high"] * scale if _finite(e.get("high")) else e["value"] * scale)
        m = (perf.get("measured") or {}).get(metric)
        if _finite(m):
            mea_x.append((x, perf.get("rows_labelled")))
            mea.append(m * scale)
        rv = (perf.get("reference") or {}).get(metric)
        if _finite(rv):
            ref = rv * scale
    if not est and not mea:
        return _empty(title, f"No batch has an estimated or measured {word} yet.", x_t, y_t)
    fig = go.Figure()
    if est:
        fig.add_trace(
            go.Scatter(x=est_x, y=est_lo, mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip")
        )
        fig.add_trace(
            go.Scatter(
                x=est_x,
                y=est_hi,
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
                x=est_x,
                y=est,
                mode="lines+markers",
                name="estimated (no labels needed)",
                line={"color": _OK, "width": 2, "dash": "dot"},
                customdata=np.column_stack([est_lo, est_hi]),
                hovertemplate="estimated %{y:.3g} (likely %{customdata[0]:.3g} to %{customdata[1]:.3g})<extra></extra>",
            )
        )
    if mea:
        fig.add_trace(
            go.Scatter(
                x=[p[0] for p in mea_x],
                y=mea,
                mode="lines+markers",
                name="measured on labels",
                line={"color": _WARN, "width": 2},
                marker={"size": 9},
                customdata=[p[1] for p in mea_x],
                hovertemplate="measured %{y:.3g} on %{customdata:,} labelled rows<extra></extra>",
            )
        )
    if ref is not None:
        fig.add_hline(
            y=ref,
            line_dash="dash",
            line_color=PALETTE[4],
            annotation_text=f"tested after training: {ref:.3g}{'%' if share else ''}",
            annotation_position="bottom left",
        )
    fig = _layout(fig, title, x_t, y_t)
    if share:
        fig.update_yaxes(ticksuffix="%")
    return _one_moment(_legend(fig), est_x + [p[0] for p in mea_x])

"""Charts of a model's evaluation: ROC and precision-recall curves, the confusion matrix, calibration,
the misses of a regression model, and the headline measures with their ranges."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go

from core.charts.style import (
    MAX_SCATTER,
    MUTED,
    OK,
    PALETTE,
    WARN,
    Stored,
    empty,
    finite,
    hover_text,
    layout,
    legend,
    load,
    safe,
    subtitle,
    thin,
    unique_labels,
)
from core.vocab import metric_label

if TYPE_CHECKING:
    from core.models import evaluate


def _evaluation(evaluation: evaluate.Evaluation | Stored) -> evaluate.Evaluation:
    from core.models import evaluate  # imported when drawn: core.charts loads without scikit-learn

    return load(evaluate.Evaluation, evaluation)


def _yes(ev: evaluate.Evaluation) -> str:
    return str(ev.positive_label if ev.positive_label is not None else (ev.classes[-1] if ev.classes else "yes"))


def _named(ev: evaluate.Evaluation, label: str) -> str:
    """An answer as the charts say it: a yes/no answer by the target's name ('churned', 'not churned' rather
    than '1', '0'), any other by itself (:func:`core.models.evaluate.answer_name`)."""
    from core.models import evaluate

    return evaluate.answer_name(label, ev.target)


def roc_figure(evaluation: evaluate.Evaluation | Stored) -> go.Figure:
    """ROC curve of a yes/no model (``Evaluation`` or its dict), with the 'guessing' diagonal."""
    ev = _evaluation(evaluation)
    # the model's own answers, by the target's name when they are yes/no ('churned', not '1'); never a bare
    # 'yes'/'no' over answers the user wrote as 1/0
    yes_raw = _named(ev, _yes(ev))
    others = [str(k) for k in ev.classes if str(k) != _yes(ev)]
    no_raw = _named(ev, others[0]) if len(others) == 1 else "other"
    title = f"How well does the model put real '{yes_raw}' cases ahead of the rest?"
    x_t, y_t = f"false alarms: share of real '{no_raw}' flagged", f"caught: share of real '{yes_raw}' flagged"
    c = ev.roc_curve
    if c is None or not c.x:
        return empty(title, "This chart needs a yes/no model that gives chances.", x_t, y_t)
    yes = hover_text(yes_raw)
    thr = list(c.thresholds) if len(c.thresholds) == len(c.x) else [None] * len(c.x)
    auc = ev.metrics.get("roc_auc")
    name = "the model" + (f" (AUC {float(auc):.2f})" if finite(auc) else "")
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=[0, 1], y=[0, 1], mode="lines", name="guessing", line={"dash": "dash", "color": MUTED}, hoverinfo="skip"
        )
    )
    fig.add_trace(
        go.Scatter(
            x=list(c.x),
            y=list(c.y),
            mode="lines",
            name=name,
            line={"color": OK, "width": 2.5},
            customdata=thr,
            hovertemplate=f"flag '{yes}' from a chance of %{{customdata:.2f}}<br>false alarms %{{x:.0%}}, caught %{{y:.0%}}<extra></extra>",
        )
    )
    fig = layout(fig, title, x_t, y_t)
    fig.update_xaxes(range=[0, 1], tickformat=".0%")
    fig.update_yaxes(range=[0, 1.02], tickformat=".0%")
    return legend(fig)


def pr_figure(evaluation: evaluate.Evaluation | Stored) -> go.Figure:
    """Precision-recall curve of a yes/no model, with the share of 'yes' as the guessing line."""
    ev = _evaluation(evaluation)
    label = _yes(ev)
    yes_raw = _named(ev, label)
    title = f"Of the cases flagged '{yes_raw}', how many really are, as more are caught?"
    x_t, y_t = f"caught: share of real '{yes_raw}' flagged", "right when flagged (precision)"
    c = ev.pr_curve
    if c is None or not c.x:
        return empty(title, "This chart needs a yes/no model that gives chances.", x_t, y_t)
    yes = hover_text(yes_raw)
    thr = list(c.thresholds) if len(c.thresholds) == len(c.x) else [None] * len(c.x)
    fig = go.Figure()
    base = None
    if ev.per_class and ev.n_rows:
        support = {pc.label: pc.support for pc in ev.per_class}
        if label in support:
            base = support[label] / ev.n_rows
    if base is not None:
        fig.add_trace(
            go.Scatter(
                x=[0, 1],
                y=[base, base],
                mode="lines",
                name=f"guessing ({base:.0%} are '{safe(yes_raw)}')",
                line={"dash": "dash", "color": MUTED},
                hoverinfo="skip",
            )
        )
    ap = ev.metrics.get("pr_auc")
    fig.add_trace(
        go.Scatter(
            x=list(c.x),
            y=list(c.y),
            mode="lines",
            name="the model" + (f" (area {float(ap):.2f})" if finite(ap) else ""),
            line={"color": OK, "width": 2.5},
            customdata=thr,
            hovertemplate=f"flag '{yes}' from a chance of %{{customdata:.2f}}<br>caught %{{x:.0%}}, right %{{y:.0%}}<extra></extra>",
        )
    )
    fig = layout(fig, title, x_t, y_t)
    fig.update_xaxes(range=[0, 1], tickformat=".0%")
    fig.update_yaxes(range=[0, 1.02], tickformat=".0%")
    return legend(fig)


def confusion_figure(evaluation: evaluate.Evaluation | Stored) -> go.Figure:
    """Counts of actual (rows) vs predicted (columns) answers, annotated, class names as labels."""
    ev = _evaluation(evaluation)
    title = "Which answers does the model mix up?"
    x_t, y_t = "the model said", "the real answer"
    cm = np.asarray(ev.confusion, dtype=float)
    if cm.ndim != 2 or cm.size == 0:
        return empty(title, "This chart is for models that sort rows into groups.", x_t, y_t)
    k = cm.shape[0]
    named = [_named(ev, str(c)) for c in ev.classes]  # 'churned (yes)': the target's name, and the answer as written
    shown = [n if n == str(c) else f"{n} ({c})" for n, c in zip(named, ev.classes)]
    labels = unique_labels(shown if len(ev.classes) == k else range(k), 24)
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
    fig = layout(fig, title, x_t, y_t)
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(type="category", side="bottom")
    size = max(320, min(900, 60 + 34 * k))
    fig.update_layout(height=size)
    return fig


def calibration_figure(calibration: evaluate.Calibration | Stored | None) -> go.Figure:
    """Reliability diagram: what the model said vs how often it came true, per bin (counts in hover)."""
    from core.models import evaluate

    cal = None if calibration is None else load(evaluate.Calibration, calibration)
    if cal is not None and cal.kind == "positive_class" and cal.positive_label is not None:
        yes = str(cal.positive_label)
        title = f"When the model gives '{yes}' an 80% chance, is it '{yes}' 80% of the time?"
        x_t, y_t = f"chance of '{yes}' the model gave", f"how often it really was '{yes}'"
    else:
        title = "When the model says 80%, how often is it right?"
        x_t, y_t = "how sure the model was of its answer", "how often it was right"
    bins = [
        b for b in (cal.bins if cal is not None else ()) if b.count and finite(b.mean_predicted) and finite(b.observed)
    ]
    if not bins:
        return empty(title, "No chances to check: the model does not give them.", x_t, y_t)
    counts = np.array([b.count for b in bins], dtype=float)
    sizes = 7 + 18 * np.sqrt(counts / counts.max())
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=[0, 1],
            y=[0, 1],
            mode="lines",
            name="perfectly honest",
            line={"dash": "dash", "color": MUTED},
            hoverinfo="skip",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[b.mean_predicted for b in bins],
            y=[b.observed for b in bins],
            mode="lines+markers",
            name="the model",
            line={"color": OK, "width": 2},
            marker={"size": sizes.tolist(), "color": OK},
            customdata=[[b.lower, b.upper, b.count] for b in bins],
            hovertemplate="said %{customdata[0]:.0%}–%{customdata[1]:.0%} (on average %{x:.0%})<br>"
            "came true %{y:.0%} of the time<br>%{customdata[2]:,} rows<extra></extra>",
        )
    )
    fig = layout(fig, title, x_t, y_t)
    fig.update_xaxes(range=[0, 1], tickformat=".0%")
    fig.update_yaxes(range=[0, 1.02], tickformat=".0%")
    return legend(fig)


def residuals_figure(evaluation: evaluate.Evaluation | Stored) -> go.Figure:
    """Regression: predicted vs actual (left, with the 'perfect' line) and how big the misses are (right)."""
    from plotly.subplots import make_subplots

    ev = _evaluation(evaluation)
    target = ev.target or "the target"
    title = f"How far off are the predictions of '{target}'?"
    r = ev.residuals
    if r is None or not r.predicted:
        return empty(title, "This chart is for models that predict a number.", "predicted", "actual")
    pred, act, res = (np.asarray(v, dtype=float) for v in (r.predicted, r.actual, r.residual))
    ok = np.isfinite(pred) & np.isfinite(act) & np.isfinite(res)
    pred, act, res = pred[ok], act[ok], res[ok]
    keep = thin(len(pred), MAX_SCATTER)
    fig = make_subplots(rows=1, cols=2, column_widths=[0.55, 0.45], horizontal_spacing=0.12)
    lo = float(min(pred.min(), act.min())) if pred.size else 0.0
    hi = float(max(pred.max(), act.max())) if pred.size else 1.0
    fig.add_trace(
        go.Scatter(
            x=[lo, hi],
            y=[lo, hi],
            mode="lines",
            name="perfect prediction",
            line={"dash": "dash", "color": MUTED},
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
            marker={"size": 5, "color": OK, "opacity": 0.5},
            hovertemplate="predicted %{x:.4g}, actually %{y:.4g}<extra></extra>",
        ),
        row=1,
        col=1,
    )
    if res.size:
        counts, edges = np.histogram(res, bins=min(40, max(5, int(np.sqrt(res.size)))))
        centers = (edges[:-1] + edges[1:]) / 2
        colors = [PALETTE[2] if c >= 0 else WARN for c in centers]
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
    fig = layout(fig, title, "predicted", "actual")
    fig.update_xaxes(title_text="actual − predicted (above 0: guessed too low)", row=1, col=2)
    fig.update_yaxes(title_text="rows", row=1, col=2)
    fig.update_layout(height=380, bargap=0.02)
    total = max(int(r.sampled_from or 0), len(pred))
    if total > len(keep):
        subtitle(fig, f"{len(keep):,} of {total:,} test rows shown")
    return fig


def metrics_ci_figure(evaluation: evaluate.Evaluation | Stored) -> go.Figure:
    """Headline measures as points with 95 % ranges, next to the simple-guess baseline (hollow)."""
    ev = _evaluation(evaluation)
    if ev.task == "classification":
        candidates: tuple[str, ...] = ("accuracy", "balanced_accuracy", "f1_macro", "roc_auc", "pr_auc")
        title, x_t, scale = "How good is the model, and how sure are we?", "score (higher is better)", 100.0
    else:
        candidates = ("mae", "rmse")
        target = ev.target or "the target"
        title, x_t, scale = (
            "How big is the typical miss, and how sure are we?",
            f"error in units of '{target}' (lower is better)",
            1.0,
        )
    measured = {k: float(v) for k in candidates if finite(v := ev.metrics.get(k))}
    if not measured:
        return empty(title, "No measures to show.", x_t, "")
    keys = list(measured)
    names = [safe(metric_label(k)) for k in keys]
    vals = [measured[k] * scale for k in keys]
    ci = [ev.intervals.get(k) for k in keys]
    plus = [(c[1] * scale - v) if c else 0 for c, v in zip(ci, vals)]
    minus = [(v - c[0] * scale) if c else 0 for c, v in zip(ci, vals)]
    ranges = [f"likely {c[0] * scale:.3g} to {c[1] * scale:.3g}" if c else "no range" for c in ci]
    fig = go.Figure()
    base = [ev.baseline_metrics.get(k) for k in keys]
    if any(finite(b) for b in base):
        fig.add_trace(
            go.Scatter(
                x=[float(b) * scale if finite(b) else None for b in base],
                y=names,
                mode="markers",
                name=safe(f"simple guess: {ev.baseline_name}" if ev.baseline_name else "simple guess"),
                marker={"symbol": "diamond-open", "size": 12, "color": MUTED, "line": {"width": 2}},
                hovertemplate="%{y}, simple guess: %{x:.3g}<extra></extra>",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=vals,
            y=names,
            mode="markers",
            name="the model (95% range)",
            customdata=ranges,
            marker={"size": 11, "color": OK},
            error_x={"type": "data", "array": plus, "arrayminus": minus, "thickness": 2, "width": 6, "color": OK},
            hovertemplate="%{y}: %{x:.3g} (%{customdata})<extra></extra>",
        )
    )
    fig = layout(fig, title, x_t + (" (%)" if scale == 100 else ""), "")
    fig.update_yaxes(autorange="reversed", type="category")
    if scale == 100:
        fig.update_xaxes(range=[0, 101], ticksuffix="%")
    else:
        fig.update_xaxes(rangemode="tozero")
    fig.update_layout(height=max(240, 50 * len(keys) + 130))
    return legend(fig)

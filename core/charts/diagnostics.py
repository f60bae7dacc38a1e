"""Charts of a model's deeper checks: where it does worse (slices), how it holds up on messier data,
what drives it, how one column moves it, the cost of each cut-off, and fairness between groups."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go

from core.charts.style import (
    MAX_ROWS,
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
    metric_axis,
    safe,
    subtitle,
    unique_labels,
)

if TYPE_CHECKING:
    from core.models import evaluate


def slices_figure(slices: evaluate.SliceReport | Stored) -> go.Figure:
    """The measure per group of rows (``SliceReport``), with 95 % ranges; groups doing worse in the warning colour."""
    from core.models import evaluate  # imported when drawn: core.charts loads without scikit-learn

    report = load(evaluate.SliceReport, slices)
    acc = report.metric_key == "accuracy"
    title = "Where does the model do worse than usual?"
    x_t = metric_axis(report.metric_key)[2]
    rows = [s for s in report.slices if finite(s.metric)]
    if not rows:
        return empty(title, "Not enough rows to compare groups.", x_t, "")
    dropped = 0
    if len(rows) > MAX_ROWS:  # keep every 'worse' slice, then the biggest groups, in the original order
        order = sorted(range(len(rows)), key=lambda i: (not rows[i].worse, -rows[i].count))[:MAX_ROWS]
        dropped = len(rows) - MAX_ROWS
        rows = [rows[i] for i in sorted(order)]
    scale = 100.0 if acc else 1.0
    names = unique_labels([f"{s.column}: {s.label}" for s in rows], 48)
    vals = [float(s.metric or 0.0) * scale for s in rows]  # rows have a finite metric
    plus = [(float(s.high) * scale - v) if finite(s.high) else 0 for s, v in zip(rows, vals)]
    minus = [(v - float(s.low) * scale) if finite(s.low) else 0 for s, v in zip(rows, vals)]
    colors = [WARN if s.worse else OK for s in rows]
    notes = ["worse than overall" if s.worse else ("small group: read with care" if s.count < 30 else "") for s in rows]
    fig = go.Figure(
        go.Scatter(
            x=vals,
            y=names,
            mode="markers",
            marker={"size": 10, "color": colors},
            error_x={"type": "data", "array": plus, "arrayminus": minus, "thickness": 1.5, "width": 4, "color": MUTED},
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
    # groups drawn vs listed: the report's own sentence counts the groups too small to list at all
    left_off = f" ({dropped} more {'group' if dropped == 1 else 'groups'} left off the chart)"
    fig = layout(fig, title + (left_off if dropped else ""), x_t, "")
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


def robustness_figure(robustness: evaluate.RobustnessReport | Stored) -> go.Figure:
    """The measure as inputs get messier, one line per kind of disturbance; share of changed answers on hover."""
    from core.models import evaluate

    report = load(evaluate.RobustnessReport, robustness)
    acc = report.metric_key == "accuracy"
    scale = 100.0 if acc else 1.0
    title = "Does the model hold up when the data gets messier?"
    y_t = metric_axis(report.metric_key)[2]
    x_t = "how much the inputs were disturbed (%)"
    fig = go.Figure()
    failed: list[str] = []
    for i, kind in enumerate(k for k in ("noise", "missing", "swap") if any(p.kind == k for p in report.results)):
        pts = sorted((p for p in report.results if p.kind == kind), key=lambda p: p.level)
        failed += [kind for p in pts if p.failed or not finite(p.metric)]
        pts = [p for p in pts if not p.failed and finite(p.metric)]
        if not pts:
            continue
        label, how = _PERTURB.get(kind, (kind, "level"))
        fig.add_trace(
            go.Scatter(
                x=[0.0] + [100 * p.level for p in pts],
                y=[report.clean_metric * scale] + [float(p.metric or 0.0) * scale for p in pts],
                mode="lines+markers",
                name=safe(label),
                line={"color": _KIND_COLOR.get(kind, PALETTE[i % len(PALETTE)]), "width": 2},
                customdata=[[how, 0.0]] + [[how, p.flip_share if finite(p.flip_share) else None] for p in pts],
                hovertemplate="%{customdata[0]}: %{x:.0f}%<br>score %{y:.3g}<br>answers that changed: %{customdata[1]:.1%}<extra></extra>",
            )
        )
    if not fig.data:
        return empty(title, "The model could not be scored on disturbed rows.", x_t, y_t)
    fig.add_hline(
        y=report.clean_metric * scale,
        line_dash="dot",
        line_color=MUTED,
        annotation_text="clean data",
        annotation_position="bottom right",
    )
    fig = layout(fig, title, x_t, y_t)
    if failed:
        subtitle(
            fig, "The model could not score rows with " + " or ".join(_FAILED[k] for k in sorted(set(failed))) + "."
        )
    # Keep small wobbles small: show at least ±5 points (accuracy) or ±10 % (error) around the clean score.
    ys = [v for tr in fig.data for v in tr.y if v is not None]
    clean = report.clean_metric * scale
    pad = 5.0 if acc else 0.1 * abs(clean)
    lo, hi = min([*ys, clean - pad]), max([*ys, clean + pad])
    if acc:
        lo, hi = max(0.0, lo), min(100.0, hi)
    fig.update_yaxes(range=[lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo)])
    if acc:
        fig.update_yaxes(ticksuffix="%")
    fig.update_xaxes(ticksuffix="%", rangemode="tozero")
    return legend(fig)


def importance_figure(report: evaluate.DriverReport | Stored, top: int = 20) -> go.Figure:
    """What the model leans on (``DriverReport``): horizontal bars of the drop when a column is shuffled, ± spread."""
    from core.models import evaluate

    drivers = load(evaluate.DriverReport, report)
    acc = drivers.metric_key == "accuracy"
    title = "Which columns does the model lean on most?"
    x_t = (
        "how much accuracy drops when the column is shuffled (points)"
        if acc
        else "how much the typical error grows when the column is shuffled"
    )
    items = sorted(drivers.importances, key=lambda i: -i.drop)
    if not items:
        return empty(title, "No columns to rank.", x_t, "")
    shown, rest = items[:top], len(items) - top
    scale = 100.0 if acc else 1.0
    fig = go.Figure(
        go.Bar(
            x=[i.drop * scale for i in shown],
            y=unique_labels([i.column for i in shown], 40),
            orientation="h",
            marker_color=[OK if i.drop > max(2 * i.std, 1e-12) else MUTED for i in shown],
            error_x={"type": "data", "array": [i.std * scale for i in shown], "thickness": 1.5, "color": PALETTE[4]},
            customdata=[
                [i.std * scale, "" if i.drop > max(2 * i.std, 1e-12) else "<br>not clearly more than chance"]
                for i in shown
            ],
            hovertemplate="%{y}: %{x:.3g} (give or take %{customdata[0]:.2g})%{customdata[1]}<extra></extra>",
        )
    )
    fig = layout(fig, title + (f" (top {top} of {len(items)})" if rest > 0 else ""), x_t, "")
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_layout(height=max(240, 24 * len(shown) + 110))
    return fig


def partial_dependence_figure(
    dependence: evaluate.PartialDependence | Stored,
    *,
    of_class: str | None = None,
    task: str | None = None,
    target: str | None = None,
) -> go.Figure:
    """One column's effect (``PartialDependence``): the average prediction, or chance of ``of_class``,
    as the column is set to each value. ``of_class`` is ``DriverReport.of_class`` (None for regression)."""
    from core.models import evaluate

    item = load(evaluate.PartialDependence, dependence)
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
                line={"color": OK, "width": 2.5},
                hovertemplate=f"{hover_text(col)} = %{{x:.4g}}: %{{y:.3g}}{'%' if share else ''}<extra></extra>",
            )
        )
    else:
        fig = go.Figure(
            go.Bar(
                x=unique_labels(item.grid, 24),
                y=vals * scale,
                marker_color=OK,
                hovertemplate=f"{hover_text(col)} = %{{x}}: %{{y:.3g}}{'%' if share else ''}<extra></extra>",
            )
        )
        fig.update_xaxes(type="category")
    fig = layout(fig, title, col, y_t + (" (%)" if share else ""))
    if share:
        fig.update_yaxes(ticksuffix="%")
    return fig


def threshold_figure(threshold: evaluate.ThresholdChoice | Stored, positive_label: str | None = None) -> go.Figure:
    """Expected total cost vs the cut-off (``ThresholdChoice``), with the usual 0.5 and the chosen one marked.
    ``positive_label`` names the 'yes' answer in the axis title."""
    from core.models import evaluate

    choice = load(evaluate.ThresholdChoice, threshold)
    unit = choice.unit or ""
    title = "Which cut-off costs least?"
    x_t = f"answer '{positive_label if positive_label is not None else 'yes'}' when its chance is at least…"
    y_t = f"total cost on the test rows{f' ({unit})' if unit else ''}"
    if not choice.thresholds:
        return empty(title, "No cut-offs were scanned.", x_t, y_t)
    t, c = np.asarray(choice.thresholds, dtype=float), np.asarray(choice.costs, dtype=float)
    fig = go.Figure(
        go.Scatter(
            x=t,
            y=c,
            mode="lines",
            name="total cost",
            line={"color": OK, "width": 2.5},
            hovertemplate=f"cut-off %{{x:.2f}}: cost %{{y:,.4g}} {hover_text(unit)}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[0.5],
            y=[choice.cost_at_default],
            mode="markers",
            name="usual cut-off 0.5",
            marker={"size": 12, "color": MUTED, "symbol": "circle-open", "line": {"width": 3}},
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
            marker={"size": 14, "color": WARN, "symbol": "star"},
            customdata=[[choice.false_alarms_chosen, choice.misses_chosen]],
            hovertemplate="best cut-off %{x:.2f}: cost %{y:,.4g}<br>%{customdata[0]:,} false alarms, %{customdata[1]:,} misses<extra></extra>",
        )
    )
    fig.add_vline(x=0.5, line_dash="dot", line_color=MUTED)
    fig.add_vline(x=choice.threshold, line_dash="dash", line_color=WARN)
    fig = layout(fig, title, x_t, y_t)
    fig.update_xaxes(range=[0, 1])
    fig.update_yaxes(rangemode="tozero")
    return legend(fig)


_FAIR = (("positive_rate", "flagged 'yes'"), ("recall", "real 'yes' caught"), ("precision", "right when flagged"))


def fairness_figure(fairness: evaluate.FairnessReport | Stored) -> go.Figure:
    """Per group of the sensitive column (``FairnessReport``): share flagged, share caught and share right,
    as grouped bars; groups too small to judge are hatched."""
    from core.models import evaluate

    report = load(evaluate.FairnessReport, fairness)
    yes = evaluate.answer_name(report.positive_label, report.target)  # 'churned' for a '1', as the sentences say
    title = f"Does the model treat each '{report.column}' group alike?"
    x_t, y_t = report.column, "share (%)"
    groups = list(report.groups)
    if not groups:
        return empty(title, "No groups to compare.", x_t, y_t)
    names = unique_labels([g.group for g in groups], 24)
    fig = go.Figure()
    for i, (key, label) in enumerate(_FAIR):
        label = label.replace("'yes'", f"'{yes}'")
        vals = [getattr(g, key) for g in groups]
        fig.add_trace(
            go.Bar(
                x=names,
                y=[100 * v if finite(v) else None for v in vals],
                name=safe(label),
                marker={"color": PALETTE[i], "pattern": {"shape": ["" if g.enough else "/" for g in groups]}},
                customdata=[[g.count, "" if g.enough else " — too few rows to judge"] for g in groups],
                hovertemplate=f"%{{x}}: {hover_text(label)} %{{y:.0f}}&#37; (%{{customdata[0]:,}} rows)%{{customdata[1]}}<extra></extra>",
            )
        )
    fig = layout(fig, title, x_t, y_t)
    fig.update_xaxes(type="category")
    fig.update_yaxes(range=[0, 105], ticksuffix="%")
    fig.update_layout(barmode="group")
    return legend(fig)

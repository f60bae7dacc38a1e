"""The model card: one self-contained HTML file (inline CSS, hand-drawn inline SVG, no scripts).

``model_card_html(info, evaluation, findings, extras)`` turns stored results into a page a
reviewer can read offline: intended use, data and its findings, metrics with intervals, the gap
to a naive baseline, slices, calibration, robustness, what drives the model, limits, and a risk
section organised by the NIST AI RMF functions (Govern, Map, Measure, Manage) filled from the
actual results.

Privacy: no data rows are written. Slice rows smaller than ``MIN_CARD_SLICE`` rows are left out
so a rare value (a name, an id) cannot leak through a group label. Every user-provided string
(names, columns, values, free text) is HTML-escaped.

``info`` is a plain dict, e.g. built from ``core.store.ModelInfo``::

    {"name": "churn", "version": 3, "task": "classification", "algorithm": "logistic_regression",
     "target": "churn", "dataset_name": "customers.csv", "rows": 5000, "created_at": "2026-…",
     "stage": "champion", "metrics": {...}, "features": ["tenure", "plan"] or [{"name", "kind"}],
     "intended_use": "…", "out_of_scope": "…", "owner": "…", "limits": ["…"]}

``extras`` holds optional results, as dataclasses or their ``to_dict()``: ``slices``,
``robustness``, ``drivers``, ``threshold``, ``fairness``, ``recalibration`` (a
``RecalibrationCheck``); plus ``intended_use``, ``out_of_scope``, ``owner``, ``limits`` (list
of str) which override ``info``. A whole ``core.evaluate.Report`` (or its dict) may be passed as
``extras["report"]``.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import re
from typing import Any

from core.models import evaluate as E

MIN_CARD_SLICE = 30
_MAX_SLICE_ROWS = 40

_CSS = """
body{font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1d2430;max-width:980px;margin:2rem auto;padding:0 1rem}
h1{font-size:1.7rem;margin-bottom:.2rem}h2{font-size:1.25rem;margin-top:2.2rem;border-bottom:2px solid #e4e8ef;padding-bottom:.2rem}
h3{font-size:1.05rem;margin-bottom:.3rem}.sub{color:#5b6576;margin-top:0}
table{border-collapse:collapse;margin:.6rem 0;font-size:.92rem}th,td{border:1px solid #dde2ea;padding:.25rem .55rem;text-align:left;vertical-align:top}
th{background:#f3f5f9}td.n{text-align:right;font-variant-numeric:tabular-nums}
code{background:#f1f3f7;padding:0 .25rem;border-radius:3px;font-size:.9em}
.sev-critical{color:#a4161a;font-weight:600}.sev-warning{color:#a05a00;font-weight:600}.sev-info{color:#34567a}
.box{background:#f7f9fc;border-left:4px solid #4a78c2;padding:.5rem .9rem;margin:.6rem 0}
.warn{border-left-color:#d08a00;background:#fff8ec}.bad{border-left-color:#b3261e;background:#fdf0ef}
.grid{display:flex;flex-wrap:wrap;gap:1.2rem}.grid>div{flex:1 1 300px}
svg text{font:11px system-ui,sans-serif;fill:#3a4353}footer{margin-top:3rem;color:#6b7484;font-size:.85rem}
ul{padding-left:1.3rem}li{margin:.15rem 0}
"""

# --------------------------------------------------------------------------- small helpers


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


_TICKS = re.compile(r"`([^`]+)`")


def _t(sentence: Any) -> str:
    """Escape a plain sentence, then render `column` spans as <code> (safe: content is escaped)."""
    return _TICKS.sub(r"<code>\1</code>", _e(sentence))


def _p(sentences: Any, cls: str = "") -> str:
    items = [s for s in (sentences or []) if s]
    if not items:
        return ""
    klass = f' class="box {cls}"' if cls else ' class="box"'
    return f"<div{klass}>" + "".join(f"<p>{_t(s)}</p>" for s in items) + "</div>"


def _ul(items: list[str], raw: bool = False) -> str:
    items = [i for i in items if i]
    if not items:
        return ""
    return "<ul>" + "".join(f"<li>{i if raw else _t(i)}</li>" for i in items) + "</ul>"


def _fmt(key: str, v: Any) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "—"
    if key in ("accuracy", "balanced_accuracy", "roc_auc", "pr_auc", "r2", "ece"):
        return f"{100 * v:.1f}%"
    if key in ("f1_macro", "log_loss", "brier"):
        return f"{v:.3f}"
    return E._num(float(v))


_LABELS = {
    "accuracy": "Right answers (accuracy)",
    "balanced_accuracy": "Right answers, each class counted equally",
    "f1_macro": "F1 score (average over answers)",
    "roc_auc": "Ranking quality (ROC AUC)",
    "pr_auc": "Average precision",
    "log_loss": "Log loss (lower is better)",
    "brier": "Brier score (lower is better)",
    "ece": "Calibration error (lower is better)",
    "mae": "Average miss (MAE)",
    "rmse": "Typical miss, big ones weighted (RMSE)",
    "r2": "Variation explained (R²)",
}


def _load(cls: Any, value: Any) -> Any:
    if value is None or isinstance(value, cls):
        return value
    if isinstance(value, dict):
        return cls.from_dict(value)
    return value


# --------------------------------------------------------------------------- SVG


def _svg_bars(
    items: list[tuple[str, float, float | None, float | None]],
    *,
    vmax: float | None = None,
    width: int = 620,
    fmt: Any = None,
) -> str:
    """Horizontal bars with optional interval whiskers. items: (label, value, low, high)."""
    if not items:
        return ""
    fmt = fmt or (lambda v: E._num(v))
    row, left, right = 22, 210, 70
    vals = [abs(v) for _, v, _, _ in items] + [abs(h) for *_, h in items if h is not None]
    vmax = vmax or (max(vals) if vals and max(vals) > 0 else 1.0)
    plot = width - left - right
    h = row * len(items) + 8
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{h}" role="img">']
    for i, (label, v, lo, hi) in enumerate(items):
        y = 4 + i * row
        w = max(0.0, min(1.0, max(v, 0) / vmax)) * plot
        short = label if len(label) <= 32 else label[:31] + "…"
        parts.append(f'<text x="{left - 6}" y="{y + 14}" text-anchor="end">{_e(short)}</text>')
        parts.append(f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" fill="#6f93d2"/>')
        if lo is not None and hi is not None:
            x1 = left + max(0.0, min(1.0, lo / vmax)) * plot
            x2 = left + max(0.0, min(1.0, hi / vmax)) * plot
            ym = y + row / 2 - 1
            parts.append(f'<line x1="{x1:.1f}" x2="{x2:.1f}" y1="{ym}" y2="{ym}" stroke="#1d2430" stroke-width="1.5"/>')
            parts.append(f'<line x1="{x1:.1f}" x2="{x1:.1f}" y1="{ym - 4}" y2="{ym + 4}" stroke="#1d2430"/>')
            parts.append(f'<line x1="{x2:.1f}" x2="{x2:.1f}" y1="{ym - 4}" y2="{ym + 4}" stroke="#1d2430"/>')
        parts.append(f'<text x="{left + plot + 6}" y="{y + 14}">{_e(fmt(v))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _svg_lines(
    series: list[tuple[list[float], list[float], str]],
    *,
    x_label: str,
    y_label: str,
    diagonal: bool = False,
    x_range: tuple[float, float] | None = None,
    y_range: tuple[float, float] | None = None,
    width: int = 320,
    height: int = 240,
    points: bool = False,
) -> str:
    xs = [x for s in series for x in s[0]]
    ys = [y for s in series for y in s[1]]
    if not xs:
        return ""
    x0, x1 = x_range or (min(xs), max(xs))
    y0, y1 = y_range or (min(ys), max(ys))
    if x1 == x0:
        x1 = x0 + 1
    if y1 == y0:
        y1 = y0 + 1
    L, B, T, R = 46, 34, 10, 10
    pw, ph = width - L - R, height - T - B

    def px(x: float) -> float:
        return L + (x - x0) / (x1 - x0) * pw

    def py(y: float) -> float:
        return T + ph - (y - y0) / (y1 - y0) * ph

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">']
    out.append(f'<rect x="{L}" y="{T}" width="{pw}" height="{ph}" fill="none" stroke="#c8cfdb"/>')
    if diagonal:
        out.append(
            f'<line x1="{px(x0):.1f}" y1="{py(y0):.1f}" x2="{px(x1):.1f}" y2="{py(y1):.1f}" stroke="#aab3c2" stroke-dasharray="4 3"/>'
        )
    for v, anchor in ((x0, "start"), (x1, "end")):
        out.append(f'<text x="{px(v):.1f}" y="{T + ph + 13}" text-anchor="{anchor}">{_e(E._num(v))}</text>')
    for v in (y0, y1):
        out.append(f'<text x="{L - 4}" y="{py(v) + 4:.1f}" text-anchor="end">{_e(E._num(v))}</text>')
    out.append(f'<text x="{L + pw / 2}" y="{height - 4}" text-anchor="middle">{_e(x_label)}</text>')
    out.append(
        f'<text x="12" y="{T + ph / 2}" text-anchor="middle" transform="rotate(-90 12 {T + ph / 2})">{_e(y_label)}</text>'
    )
    colours = ("#2f5fb3", "#c0392b", "#2e8b57")
    for i, (sx, sy, _) in enumerate(series):
        pts = " ".join(f"{px(a):.1f},{py(b):.1f}" for a, b in zip(sx, sy))
        out.append(f'<polyline points="{pts}" fill="none" stroke="{colours[i % 3]}" stroke-width="2"/>')
        if points:
            out += [
                f'<circle cx="{px(a):.1f}" cy="{py(b):.1f}" r="3" fill="{colours[i % 3]}"/>' for a, b in zip(sx, sy)
            ]
    out.append("</svg>")
    return "".join(out)


# --------------------------------------------------------------------------- sections


def _section_header(info: dict) -> str:
    name = info.get("name") or "Unnamed model"
    version = info.get("version")
    title = f"{name}" + (f" — version {version}" if version is not None else "")
    facts = [
        ("Task", info.get("task")),
        ("Predicts", info.get("target")),
        ("Method", info.get("algorithm")),
        ("Stage", info.get("stage")),
        ("Created", info.get("created_at")),
        ("Trained on", info.get("dataset_name")),
        ("Rows", f"{info['rows']:,}" if isinstance(info.get("rows"), int) else info.get("rows")),
    ]
    rows = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in facts if v not in (None, ""))
    return f"<h1>Model card: {_e(title)}</h1><p class='sub'>What this model does, how well, where it fails and how to use it safely.</p><table>{rows}</table>"


def _section_use(info: dict, extras: dict) -> str:
    use = extras.get("intended_use") or info.get("intended_use")
    out_scope = extras.get("out_of_scope") or info.get("out_of_scope")
    target = info.get("target") or "the target"
    body = (
        f"<p>{_e(use)}</p>"
        if use
        else f"<div class='box warn'><p>Nobody has written the intended use yet. Say who uses the predictions of "
        f"<code>{_e(target)}</code>, for which decision, and what a person checks before acting.</p></div>"
    )
    if out_scope:
        body += f"<p><strong>Not for:</strong> {_e(out_scope)}</p>"
    return "<h2>Intended use</h2>" + body


def _finding_dict(f: Any) -> dict:
    if isinstance(f, dict):
        return f
    return {k: getattr(f, k, None) for k in ("code", "severity", "column", "message", "advice")}


def _section_data(info: dict, findings: list) -> str:
    feats = info.get("features") or []
    names = []
    for f in feats:
        if isinstance(f, dict):
            names.append(f"<code>{_e(f.get('name'))}</code>" + (f" ({_e(f.get('kind'))})" if f.get("kind") else ""))
        else:
            names.append(f"<code>{_e(f)}</code>")
    out = ["<h2>Data</h2>"]
    src = info.get("dataset_name")
    rows = info.get("rows")
    if src or rows:
        out.append(
            f"<p>Trained on <strong>{_e(src or 'a dataset')}</strong>"
            + (f" ({rows:,} rows)" if isinstance(rows, int) else "")
            + ".</p>"
        )
    if names:
        out.append(
            f"<p>It reads {len(names)} input column{'s' if len(names) != 1 else ''}: " + ", ".join(names) + ".</p>"
        )
    fs = [_finding_dict(f) for f in (findings or [])]
    if fs:
        order = {"critical": 0, "warning": 1, "info": 2}
        fs.sort(key=lambda f: order.get(str(f.get("severity")), 3))
        body = "".join(
            f"<tr><td class='sev-{_e(f.get('severity'))}'>{_e(f.get('severity'))}</td><td>{_e(f.get('code'))}</td>"
            f"<td>{_e(f.get('column') or '(whole table)')}</td><td>{_t(f.get('message'))}</td><td>{_t(f.get('advice'))}</td></tr>"
            for f in fs
        )
        out.append(
            "<h3>What the data checks found</h3><table><tr><th>Severity</th><th>Check</th><th>Column</th><th>Found</th><th>Advice</th></tr>"
            + body
            + "</table>"
        )
    else:
        out.append("<p>No data-quality findings were recorded with this model.</p>")
    return "".join(out)


def _section_performance(ev: E.Evaluation) -> str:
    out = [
        f"<h2>How well it works</h2><p>Measured on {ev.n_rows:,} {_e(ev.row_noun)} the model did not see in training. "
        "Ranges are 95% bootstrap intervals: the true figure on similar new data is likely inside them.</p>"
    ]
    out.append(_p(E.explain_evaluation(ev)))
    rows = []
    for key in E.CLASSIFICATION_KEYS if ev.task == "classification" else E.REGRESSION_KEYS:
        v = ev.metrics.get(key)
        if v is None:
            continue
        ci = ev.intervals.get(key)
        base = ev.baseline_metrics.get(key)
        rows.append(
            f"<tr><td>{_e(_LABELS.get(key, key))} <code>{_e(key)}</code></td><td class='n'>{_fmt(key, v)}</td>"
            f"<td class='n'>{_fmt(key, ci[0]) + ' – ' + _fmt(key, ci[1]) if ci else '—'}</td><td class='n'>{_fmt(key, base)}</td></tr>"
        )
    out.append(
        f"<table><tr><th>Measure</th><th>Value</th><th>Likely range</th><th>Baseline: {_e(ev.baseline_name)}</th></tr>{''.join(rows)}</table>"
    )
    if ev.task == "classification":
        share = [
            (k, ev.metrics[k], *(ev.intervals.get(k) or (None, None)))
            for k in ("accuracy", "balanced_accuracy", "roc_auc")
            if ev.metrics.get(k) is not None
        ]
        bars = [(_LABELS[k], v, lo, hi) for k, v, lo, hi in share]
        if ev.baseline_metrics.get("accuracy") is not None:
            bars.append((f"Baseline: {ev.baseline_name}", ev.baseline_metrics["accuracy"], None, None))
        out.append(_svg_bars(bars, vmax=1.0, fmt=lambda v: f"{100 * v:.0f}%"))
        if ev.confusion and len(ev.classes) <= 12:
            head = "".join(f"<th>said {_e(c)}</th>" for c in ev.classes)
            body = "".join(
                f"<tr><th>really {_e(c)}</th>" + "".join(f"<td class='n'>{v:,}</td>" for v in row) + "</tr>"
                for c, row in zip(ev.classes, ev.confusion)
            )
            out.append(f"<h3>Where the answers went</h3><table><tr><th></th>{head}</tr>{body}</table>")
        if ev.per_class:
            body = "".join(
                f"<tr><td>{_e(c.label)}</td><td class='n'>{c.support:,}</td><td class='n'>{_fmt('accuracy', c.precision)}</td>"
                f"<td class='n'>{_fmt('accuracy', c.recall)}</td><td class='n'>{_fmt('f1_macro', c.f1)}</td></tr>"
                for c in ev.per_class[:30]
            )
            out.append(
                "<table><tr><th>Answer</th><th>Rows</th><th>Right when it says this (precision)</th><th>Share caught (recall)</th><th>F1</th></tr>"
                + body
                + "</table>"
            )
        if ev.roc_curve is not None:
            out.append(
                "<h3>Trade-off between catching and false alarms (ROC curve)</h3>"
                + _svg_lines(
                    [(list(ev.roc_curve.x), list(ev.roc_curve.y), "model")],
                    x_label="false-alarm rate",
                    y_label="share caught",
                    diagonal=True,
                    x_range=(0, 1),
                    y_range=(0, 1),
                )
            )
    elif ev.residuals is not None and ev.residuals.residual:
        res = sorted(ev.residuals.residual)
        n = len(res)
        qs = [res[min(n - 1, int(q * n))] for q in (0.05, 0.25, 0.5, 0.75, 0.95)]
        out.append(
            "<p>Misses (actual minus predicted): half fall between "
            f"{_e(E._num(qs[1]))} and {_e(E._num(qs[3]))}; 90% between {_e(E._num(qs[0]))} and {_e(E._num(qs[4]))}.</p>"
        )
    return "".join(out)


def _section_threshold(th: E.ThresholdChoice | None) -> str:
    if th is None:
        return ""
    svg = _svg_lines(
        [(list(th.thresholds), list(th.costs), "cost")],
        x_label="flag 'yes' from this chance on",
        y_label="total cost",
        x_range=(0, 1),
    )
    return (
        "<h2>Decision threshold</h2>"
        + _p([th.sentence])
        + svg
        + "<p>The threshold was chosen on the same rows it is judged on, so the saving is slightly optimistic.</p>"
    )


def _section_calibration(ev: E.Evaluation, recal: E.RecalibrationCheck | None) -> str:
    cal = ev.calibration
    if cal is None:
        return ""
    filled = [b for b in cal.bins if b.count > 0 and b.mean_predicted is not None and b.observed is not None]
    svg = _svg_lines(
        [([b.mean_predicted for b in filled], [b.observed for b in filled], "model")],
        x_label="stated chance" if cal.kind == "positive_class" else "stated confidence",
        y_label="how often it happened",
        diagonal=True,
        x_range=(0, 1),
        y_range=(0, 1),
        points=True,
    )
    table = "".join(
        f"<tr><td>{100 * b.lower:.0f}–{100 * b.upper:.0f}%</td><td class='n'>{b.count:,}</td><td class='n'>{_fmt('accuracy', b.mean_predicted)}</td><td class='n'>{_fmt('accuracy', b.observed)}</td></tr>"
        for b in cal.bins
    )
    extra = _p([recal.sentence], "" if recal.helps else "warn") if recal is not None else ""
    return (
        "<h2>Can its stated chances be trusted? (calibration)</h2>"
        + _p([cal.sentence])
        + f"<div class='grid'><div>{svg}</div><div><table><tr><th>Stated</th><th>Rows</th><th>Average stated</th><th>Happened</th></tr>{table}</table></div></div>"
        + extra
    )


def _section_slices(sl: E.SliceReport | None, fa: E.FairnessReport | None) -> str:
    out = []
    if sl is not None:
        fmt = (lambda v: _fmt("accuracy", v)) if sl.metric_key == "accuracy" else (lambda v: _fmt("mae", v))
        name = "Right answers" if sl.metric_key == "accuracy" else "Average miss"
        shown = [s for s in sl.slices if s.count >= MIN_CARD_SLICE]
        bad_first = sorted(shown, key=lambda s: (not s.worse, -(abs((s.metric or 0) - sl.overall))))[:_MAX_SLICE_ROWS]
        body = "".join(
            f"<tr{' class=sev-warning' if s.worse else ''}><td>{_e(s.column)}</td><td>{_e(s.label)}</td><td class='n'>{s.count:,}</td>"
            f"<td class='n'>{fmt(s.metric)}</td><td class='n'>{fmt(s.low)} – {fmt(s.high)}</td><td>{'worse' if s.worse else ''}</td></tr>"
            for s in bad_first
        )
        out.append(
            "<h2>Where it does worse (slices)</h2>"
            + _p(sl.sentences, "warn" if any(s.worse for s in sl.slices) else "")
            + f"<p>Overall: {fmt(sl.overall)}. Groups under {MIN_CARD_SLICE} rows are not listed.</p>"
            + f"<table><tr><th>Column</th><th>Group</th><th>Rows</th><th>{name}</th><th>Likely range</th><th></th></tr>{body}</table>"
        )
    if fa is not None:
        body = "".join(
            f"<tr><td>{_e(g.group)}</td><td class='n'>{g.count:,}</td><td class='n'>{_fmt('accuracy', g.positive_rate)}</td>"
            f"<td class='n'>{_fmt('accuracy', g.actual_positive_rate)}</td><td class='n'>{_fmt('accuracy', g.recall)}</td><td class='n'>{_fmt('accuracy', g.precision)}</td></tr>"
            for g in fa.groups
            if g.count >= MIN_CARD_SLICE
        )
        out.append(
            f"<h2>Fairness across <code>{_e(fa.column)}</code></h2>"
            + _p(fa.sentences, "warn" if any(g.ratio is not None and g.ratio < 0.8 for g in fa.gaps) else "")
            + f"<table><tr><th>Group</th><th>Rows</th><th>Flagged {_e(fa.positive_label)}</th><th>Really {_e(fa.positive_label)}</th><th>Caught (recall)</th><th>Right when flagged (precision)</th></tr>{body}</table>"
        )
    return "".join(out)


def _section_robustness(rb: E.RobustnessReport | None) -> str:
    if rb is None:
        return ""
    fmt = (lambda v: _fmt("accuracy", v)) if rb.metric_key == "accuracy" else (lambda v: _fmt("mae", v))
    kinds = {"noise": "noise (share of spread)", "missing": "blank cells", "swap": "categories swapped"}
    body = "".join(
        f"<tr><td>{kinds.get(p.kind, _e(p.kind))}</td><td class='n'>{100 * p.level:.0f}%</td><td class='n'>{fmt(p.metric) if not p.failed else 'could not score'}</td>"
        f"<td class='n'>{_fmt('accuracy', p.flip_share) if p.flip_share is not None else '—'}</td></tr>"
        for p in rb.results
    )
    flips = "Answers changed" if rb.metric_key == "accuracy" else "Predictions moved a lot"
    return (
        f"<h2>Robustness to messy inputs</h2><p>Checked on {rb.n_rows:,} rows; clean score {fmt(rb.clean_metric)}.</p>"
        + _p(rb.sentences)
        + f"<table><tr><th>Disturbance</th><th>Amount</th><th>Score</th><th>{flips}</th></tr>{body}</table>"
    )


def _section_drivers(dr: E.DriverReport | None) -> str:
    if dr is None:
        return ""
    top = list(dr.importances[:12])
    if dr.metric_key == "accuracy":
        bars = [(i.column, 100 * i.drop, None, None) for i in top]
        fmt = lambda v: f"{v:.1f} pts"  # noqa: E731
    else:
        bars = [(i.column, i.drop, None, None) for i in top]
        fmt = E._num
    charts = []
    for p in dr.partial_dependence:
        if p.kind == "numeric":
            xs = [float(g) for g in p.grid]
            charts.append(
                f"<div><h3><code>{_e(p.column)}</code></h3>"
                + _svg_lines(
                    [(xs, list(p.values), "")],
                    x_label=p.column,
                    y_label="average prediction" if dr.task == "regression" else f"chance of {dr.of_class}",
                )
                + f"<p>{_t(p.sentence)}</p></div>"
            )
        else:
            items = [(g, v, None, None) for g, v in zip(p.grid, p.values)]
            charts.append(
                f"<div><h3><code>{_e(p.column)}</code></h3>"
                + _svg_bars(
                    items, width=320, fmt=(E._num if dr.task == "regression" else (lambda v: f"{100 * v:.0f}%"))
                )
                + f"<p>{_t(p.sentence)}</p></div>"
            )
    what = "accuracy points lost" if dr.metric_key == "accuracy" else "extra average miss"
    return (
        "<h2>What drives it</h2>"
        + _p([s for s in dr.sentences if s not in {p.sentence for p in dr.partial_dependence}])
        + f"<h3>Importance: {what} when a column is shuffled</h3>"
        + _svg_bars(bars, fmt=fmt)
        + (f"<div class='grid'>{''.join(charts)}</div>" if charts else "")
        + "<p>Importance and the curves show what the model relies on, not what causes the outcome.</p>"
    )


# --------------------------------------------------------------------------- limits and risk


def _auto_limits(info: dict, ev: E.Evaluation, findings: list[dict], x: dict) -> list[str]:
    out: list[str] = []
    if ev.n_rows < 200:
        out.append(f"It was checked on only {ev.n_rows:,} rows, so every figure here has a wide margin.")
    g = ev.gap
    if g is not None and g.low is not None and g.low <= 0:
        out.append(f"It is not clearly better than {ev.baseline_name}.")
    cal = ev.calibration
    if cal is not None and cal.ece is not None and cal.ece >= 0.08:
        out.append("Its stated chances are not reliable probabilities.")
    sl: E.SliceReport | None = x.get("slices")
    if sl is not None:
        worse = [s for s in sl.slices if s.worse]
        if worse:
            out.append(
                f"It does clearly worse on {len(worse)} group(s) of rows, e.g. `{worse[0].column}` = {worse[0].label}."
            )
    rb: E.RobustnessReport | None = x.get("robustness")
    if rb is not None:
        if any(p.failed for p in rb.results):
            out.append("It cannot score rows with blank cells; fill them in before scoring.")
        bad = [p for p in rb.results if p.flip_share is not None and p.flip_share >= 0.15]
        if bad:
            out.append("Small disturbances to the inputs change many of its answers.")
    crit = [f for f in findings if f.get("severity") == "critical"]
    if crit:
        out.append(f"The training data had {len(crit)} critical finding(s) (e.g. {crit[0].get('code')}).")
    out.append(
        "It learned from past data; if the people, products or processes behind the data change, its accuracy will drift."
    )
    return out


def _risk(info: dict, ev: E.Evaluation, findings: list[dict], x: dict, limits: list[str]) -> str:
    task = info.get("task") or ev.task
    target = info.get("target") or ev.target or "the target"
    use = x.get("intended_use") or info.get("intended_use")
    owner = x.get("owner") or info.get("owner")
    stage = info.get("stage")
    sl, rb, fa, dr, th = x.get("slices"), x.get("robustness"), x.get("fairness"), x.get("drivers"), x.get("threshold")
    recal: E.RecalibrationCheck | None = x.get("recalibration")

    govern = [
        f"Owner: {owner}."
        if owner
        else "No owner is recorded: name the person accountable for this model before it is used.",
        f"Registry: {info.get('name', 'model')} version {info.get('version', '?')}, stage {stage or 'unknown'}, created {info.get('created_at') or 'unknown'}; "
        "every version and stage change is kept in Keel's audit log.",
        "Promote to champion only after a person has read this card; retire it when monitoring says it has drifted.",
    ]
    if stage == "champion" and not use:
        govern.append("It is the champion but has no written intended use: write one now.")

    codes = {str(f.get("code")) for f in findings}
    map_ = [
        f"Use: {use}" if use else f"Use is not written down: it predicts `{target}` ({task}); say for which decision.",
        f"Data: {info.get('dataset_name') or 'unknown dataset'}"
        + (f", {info['rows']:,} rows" if isinstance(info.get("rows"), int) else "")
        + f"; {len(findings)} data finding(s), {sum(1 for f in findings if f.get('severity') == 'critical')} critical.",
    ]
    if "pii" in codes:
        map_.append(
            "The data held personal information (PII): check that using it is allowed and that it was masked where it should be."
        )
    used = {f.get("name") if isinstance(f, dict) else f for f in info.get("features") or []}
    leaks = {f.get("column") for f in findings if f.get("code") == "target_leakage"}
    if leaks & used or (leaks and not used):
        map_.append(
            "A column the model uses looked like it leaks the answer: results may be too good to be true until that is resolved."
        )
    elif leaks:
        map_.append("A column looked like it leaks the answer; the model was trained without it.")
    if "class_imbalance" in codes:
        map_.append("One answer is rare: watch recall for it, not just overall accuracy.")
    if fa is not None:
        map_.append(f"People-related groups were reviewed through `{fa.column}`.")
    else:
        map_.append(
            "No sensitive column was reviewed for fairness; if decisions affect people, pick one (e.g. age band, sex, region) and run the fairness view."
        )

    measure = [s for s in E.explain_evaluation(ev)[:2]]
    if ev.calibration is not None:
        measure.append(ev.calibration.sentence)
    if sl is not None:
        measure += list(sl.sentences[:2])
    if fa is not None:
        measure += list(fa.sentences[:2])
    if rb is not None:
        measure += list(rb.sentences[:2])
    if dr is not None:
        measure += list(dr.sentences[:1])

    manage = []
    if th is not None:
        manage.append(th.sentence)
    if recal is not None:
        manage.append(recal.sentence)
    if sl is not None and any(s.worse for s in sl.slices):
        worst = next(s for s in sl.slices if s.worse)
        manage.append(
            f"Route rows where `{worst.column}` is {worst.label} to a person, or collect more such rows and retrain."
        )
    if rb is not None and any(p.failed for p in rb.results):
        manage.append("Check inputs for blanks before scoring; the model cannot take them.")
    if ev.gap is not None and ev.gap.low is not None and ev.gap.low <= 0:
        manage.append("Do not deploy: it is not clearly better than a trivial rule.")
    manage += [
        "Monitor every new batch for drift and, where answers arrive later, for accuracy; retrain when the triggers fire.",
        "Keep a person in the loop for decisions with serious consequences; the model gives a best guess, not a verdict.",
    ]
    if limits:
        manage.append(f"Known limits are listed above ({len(limits)}).")

    def block(title: str, what: str, items: list[str]) -> str:
        return f"<h3>{title}</h3><p class='sub'>{what}</p>" + _ul(items)

    return (
        "<h2>Risks and how they are handled (NIST AI RMF)</h2>"
        "<p>Organised by the four functions of the NIST AI Risk Management Framework, filled from this model's own results.</p>"
        + block("Govern", "Who is accountable and how changes are controlled.", govern)
        + block("Map", "The context: what it is for, on what data, who may be affected.", map_)
        + block("Measure", "What was measured on held-out rows.", measure)
        + block("Manage", "What to do about the risks found.", manage)
    )


# --------------------------------------------------------------------------- entry point


def _normalise_extras(extras: dict | None) -> dict:
    x = dict(extras or {})
    report = x.pop("report", None)
    if report is not None:
        if isinstance(report, dict):
            report = E.Report.from_dict(report)
        for key in ("slices", "robustness", "drivers", "threshold", "fairness", "recalibration"):
            if x.get(key) is None:
                x[key] = getattr(report, key)
    x["slices"] = _load(E.SliceReport, x.get("slices"))
    x["robustness"] = _load(E.RobustnessReport, x.get("robustness"))
    x["drivers"] = _load(E.DriverReport, x.get("drivers"))
    x["threshold"] = _load(E.ThresholdChoice, x.get("threshold"))
    x["fairness"] = _load(E.FairnessReport, x.get("fairness"))
    rc = x.get("recalibration")
    if isinstance(rc, E.Recalibration):
        rc = rc.check
    x["recalibration"] = _load(E.RecalibrationCheck, rc)
    return x


def model_card_html(
    info: dict, evaluation: E.Evaluation | dict, findings: list | None = None, extras: dict | None = None
) -> str:
    """A self-contained HTML model card (no scripts, no external files, no data rows)."""
    ev = E.Evaluation.from_dict(evaluation) if isinstance(evaluation, dict) else evaluation
    x = _normalise_extras(extras)
    fs = [_finding_dict(f) for f in (findings or [])]
    limits = list(x.get("limits") or info.get("limits") or []) + _auto_limits(info, ev, fs, x)
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    title = f"Model card — {info.get('name') or 'model'}" + (
        f" v{info.get('version')}" if info.get("version") is not None else ""
    )
    body = "".join(
        [
            _section_header(info),
            _section_use(info, x),
            _section_data(info, fs),
            _section_performance(ev),
            _section_threshold(x["threshold"]),
            _section_calibration(ev, x["recalibration"]),
            _section_slices(x["slices"], x["fairness"]),
            _section_robustness(x["robustness"]),
            _section_drivers(x["drivers"]),
            "<h2>Limits</h2>" + _ul(limits),
            _risk(info, ev, fs, x, limits),
            f"<footer>Generated by Keel on {_e(now)}. This card holds summary figures only, no data rows.</footer>",
        ]
    )
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>{body}</body></html>"
    )

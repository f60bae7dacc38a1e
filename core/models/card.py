"""The model card: one self-contained HTML file (inline CSS, inline SVG, no scripts).

``model_card_html(info, evaluation, findings, extras)`` turns stored results into a page a
reviewer can read offline: intended use, data and its findings, metrics with intervals, the gap
to a naive baseline, slices, calibration, robustness, what drives the model, limits, and a risk
section organised by the NIST AI RMF functions (Govern, Map, Measure, Manage) filled from the
actual results.

The page is ``templates/model_card.html``, a jinja2 template rendered with autoescape: this module
only gathers plain values (numbers written through :mod:`core.vocab`, chart geometry), and every
user-provided string (names, columns, values, free text) is escaped by the template engine.

Privacy: no whole data rows are written. The few example rows (``extras["examples"]``, issue 20) show only
the values of the up to three model columns that explain each answer, never those of columns found to hold
personal data. Slice rows smaller than ``MIN_CARD_SLICE`` rows are left out so a rare value (a name, an id)
cannot leak through a group label.

``info`` is a plain dict, e.g. built from ``core.store.ModelInfo``::

    {"name": "churn", "version": 3, "task": "classification", "algorithm": "logistic_regression",
     "target": "churn", "dataset_name": "customers.csv", "rows": 5000, "created_at": "2026-…",
     "stage": "champion", "metrics": {...}, "features": ["tenure", "plan"] or [{"name", "kind"}],
     "intended_use": "…", "out_of_scope": "…", "owner": "…", "limits": ["…"]}

``extras`` holds optional results, as dataclasses or their ``to_dict()``: ``slices``,
``robustness``, ``drivers``, ``threshold``, ``fairness``, ``recalibration`` (a
``RecalibrationCheck``); plus ``intended_use``, ``out_of_scope``, ``owner``, ``limits`` (list
of str) which override ``info``. A whole ``core.models.evaluate.Report`` (or its dict) may be passed as
``extras["report"]``.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from pathlib import Path
from typing import Any

from markupsafe import Markup

from core.models import evaluate as E
from core.models.card_risk import auto_limits, risk_blocks
from core.models.card_svg import bars, lines
from core.vocab import count, format_metric, metric_label, number, percent, points

MIN_CARD_SLICE = 30
_MAX_SLICE_ROWS = 40
TEMPLATES = Path(__file__).resolve().parent / "templates"

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

_TICKS = re.compile(r"`([^`]+)`")


def _sentence(value: Any) -> Any:
    """A plain sentence escaped, with `column` spans shown as <code> (safe: the content is escaped first)."""
    from markupsafe import Markup, escape

    return Markup(_TICKS.sub(r"<code>\1</code>", str(escape("" if value is None else value))))


@functools.cache
def _template() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False,
    )
    env.filters["sentence"] = _sentence
    return env.get_template("model_card.html")


def _share(v: Any) -> str:
    return format_metric("accuracy", v)  # a share of rows, written as a percent


def _load(cls: Any, value: Any) -> Any:
    if value is None or isinstance(value, cls):
        return value
    if isinstance(value, dict):
        return cls.from_dict(value)
    return value


# --------------------------------------------------------------------------- sections


def _header(info: dict) -> dict[str, Any]:
    name = info.get("name") or "Unnamed model"
    version = info.get("version")
    rows = info.get("rows")
    facts = [
        ("Task", info.get("task")),
        ("Predicts", info.get("target")),
        ("Method", info.get("algorithm")),
        ("Stage", info.get("stage")),
        ("Created", info.get("created_at")),
        ("Trained on", info.get("dataset_name")),
        ("Rows", count(rows, "row") if isinstance(rows, int) else rows),
        ("Owner", info.get("owner")),
    ]
    threshold = info.get("threshold")
    if isinstance(threshold, (int, float)):
        facts.append(("Cut-off", f"answers yes from a chance of {percent(threshold, 0)} (chosen by a person)"))
    return {
        "title": f"{name}" + (f" — version {version}" if version is not None else ""),
        "facts": [(k, v) for k, v in facts if v not in (None, "")],
    }


def _use(info: dict, extras: dict) -> dict[str, Any]:
    return {
        "text": extras.get("intended_use") or info.get("intended_use"),
        "out_of_scope": extras.get("out_of_scope") or info.get("out_of_scope"),
        "notes": extras.get("notes") or info.get("notes"),
        "target": info.get("target") or "the target",
    }


def finding_dict(f: Any) -> dict:
    if isinstance(f, dict):
        return f
    return {k: getattr(f, k, None) for k in ("code", "severity", "column", "message", "advice")}


def _data(info: dict, findings: list[dict]) -> dict[str, Any]:
    features = [
        {"name": f.get("name"), "kind": f.get("kind")} if isinstance(f, dict) else {"name": f, "kind": None}
        for f in info.get("features") or []
    ]
    order = {"critical": 0, "warning": 1, "info": 2}
    rows = info.get("rows")
    return {
        "source": info.get("dataset_name"),
        "rows": count(rows, "row") if isinstance(rows, int) else None,
        "features": features,
        "features_count": count(len(features), "input column"),
        "findings": [
            {**f, "column": f.get("column") or "(whole table)"}
            for f in sorted(findings, key=lambda f: order.get(str(f.get("severity")), 3))
        ],
    }


def _metric_rows(ev: E.Evaluation) -> list[dict[str, str]]:
    rows = []
    for key in E.CLASSIFICATION_KEYS if ev.task == "classification" else E.REGRESSION_KEYS:
        v = ev.metrics.get(key)
        if v is None:
            continue
        ci = ev.intervals.get(key)
        rows.append(
            {
                "label": metric_label(key),
                "key": key,
                "value": format_metric(key, v),
                "range": f"{format_metric(key, ci[0])} – {format_metric(key, ci[1])}" if ci else "—",
                "baseline": format_metric(key, ev.baseline_metrics.get(key)),
            }
        )
    return rows


def _classification_details(ev: E.Evaluation) -> dict[str, Any]:
    shares = [k for k in ("accuracy", "balanced_accuracy", "roc_auc") if ev.metrics.get(k) is not None]
    items: list[tuple[str, float, float | None, float | None]] = [
        (metric_label(k), ev.metrics[k] or 0.0, *(ev.intervals.get(k) or (None, None))) for k in shares
    ]
    if ev.baseline_metrics.get("accuracy") is not None:
        items.append((f"Baseline: {ev.baseline_name}", ev.baseline_metrics["accuracy"] or 0.0, None, None))
    out: dict[str, Any] = {"bars": bars(items, vmax=1.0, fmt=percent)}
    if ev.confusion and len(ev.classes) <= 12:
        out["confusion"] = {
            "classes": ev.classes,
            "rows": [(c, [number(v) for v in row]) for c, row in zip(ev.classes, ev.confusion)],
        }
    out["per_class"] = [
        {
            "label": c.label,
            "support": number(c.support),
            "precision": _share(c.precision),
            "recall": _share(c.recall),
            "f1": format_metric("f1_macro", c.f1),
        }
        for c in ev.per_class[:30]
    ]
    if ev.roc_curve is not None:
        out["roc"] = lines(
            [(list(ev.roc_curve.x), list(ev.roc_curve.y))],
            x_label="false-alarm rate",
            y_label="share caught",
            diagonal=True,
            x_range=(0, 1),
            y_range=(0, 1),
        )
    return out


def _performance(ev: E.Evaluation) -> dict[str, Any]:
    out: dict[str, Any] = {
        "rows": count(ev.n_rows, ev.row_noun, ev.row_noun),
        "sentences": E.explain_evaluation(ev),
        "metrics": _metric_rows(ev),
        "baseline_name": ev.baseline_name,
        "bars": None,
        "confusion": None,
        "per_class": [],
        "roc": None,
        "misses": None,
    }
    if ev.task == "classification":
        out.update(_classification_details(ev))
    elif ev.residuals is not None and ev.residuals.residual:
        res = sorted(ev.residuals.residual)
        n = len(res)
        out["misses"] = [number(res[min(n - 1, int(q * n))]) for q in (0.05, 0.25, 0.5, 0.75, 0.95)]
    return out


def _threshold(th: E.ThresholdChoice | None) -> dict[str, Any] | None:
    if th is None:
        return None
    chart = lines(
        [(list(th.thresholds), list(th.costs))],
        x_label="flag 'yes' from this chance on",
        y_label="total cost",
        x_range=(0, 1),
    )
    return {"sentence": th.sentence, "chart": chart}


def _calibration(ev: E.Evaluation, recal: E.RecalibrationCheck | None) -> dict[str, Any] | None:
    cal = ev.calibration
    if cal is None:
        return None
    filled = [b for b in cal.bins if b.count > 0 and b.mean_predicted is not None and b.observed is not None]
    chart = lines(
        [([b.mean_predicted or 0.0 for b in filled], [b.observed or 0.0 for b in filled])],
        x_label="stated chance" if cal.kind == "positive_class" else "stated confidence",
        y_label="how often it happened",
        diagonal=True,
        x_range=(0, 1),
        y_range=(0, 1),
        points=True,
    )
    bins = [
        {
            "range": f"{percent(b.lower)}–{percent(b.upper)}",
            "count": number(b.count),
            "stated": _share(b.mean_predicted),
            "observed": _share(b.observed),
        }
        for b in cal.bins
    ]
    return {"sentence": cal.sentence, "chart": chart, "bins": bins, "recalibration": recal}


def _slices(sl: E.SliceReport | None) -> dict[str, Any] | None:
    if sl is None:
        return None
    key = sl.metric_key

    def fmt(v: Any) -> str:
        return format_metric(key, v)

    shown = [s for s in sl.slices if s.count >= MIN_CARD_SLICE]
    bad_first = sorted(shown, key=lambda s: (not s.worse, -(abs((s.metric or 0) - sl.overall))))[:_MAX_SLICE_ROWS]
    return {
        "sentences": sl.sentences,
        "any_worse": any(s.worse for s in sl.slices),
        "overall": fmt(sl.overall),
        "metric_name": metric_label(key),
        "rows": [
            {
                "column": s.column,
                "label": s.label,
                "count": number(s.count),
                "metric": fmt(s.metric),
                "low": fmt(s.low),
                "high": fmt(s.high),
                "worse": s.worse,
            }
            for s in bad_first
        ],
    }


def _fairness(fa: E.FairnessReport | None) -> dict[str, Any] | None:
    if fa is None:
        return None
    return {
        "column": fa.column,
        "yes": fa.positive_label,
        "sentences": fa.sentences,
        "below_four_fifths": any(g.ratio is not None and g.ratio < 0.8 for g in fa.gaps),
        "groups": [
            {
                "group": g.group,
                "count": number(g.count),
                "flagged": _share(g.positive_rate),
                "actual": _share(g.actual_positive_rate),
                "recall": _share(g.recall),
                "precision": _share(g.precision),
            }
            for g in fa.groups
            if g.count >= MIN_CARD_SLICE
        ],
    }


def _robustness(rb: E.RobustnessReport | None) -> dict[str, Any] | None:
    if rb is None:
        return None
    kinds = {"noise": "noise (share of spread)", "missing": "blank cells", "swap": "categories swapped"}
    return {
        "rows": count(rb.n_rows, "row"),
        "clean": format_metric(rb.metric_key, rb.clean_metric),
        "sentences": rb.sentences,
        "flips_name": "Answers changed" if rb.metric_key == "accuracy" else "Predictions moved a lot",
        "results": [
            {
                "kind": kinds.get(p.kind, p.kind),
                "level": percent(p.level),
                "score": "could not score" if p.failed else format_metric(rb.metric_key, p.metric),
                "flips": _share(p.flip_share),
            }
            for p in rb.results
        ],
    }


def _drivers(dr: E.DriverReport | None) -> dict[str, Any] | None:
    if dr is None:
        return None
    fmt: Any = points if dr.metric_key == "accuracy" else number
    charts = []
    for p in dr.partial_dependence:
        chart: dict[str, Any] = {"column": p.column, "sentence": p.sentence, "lines": None, "bars": None}
        if p.kind == "numeric":
            y_label = "average prediction" if dr.task == "regression" else f"chance of {dr.of_class}"
            chart["lines"] = lines([([float(g) for g in p.grid], list(p.values))], x_label=p.column, y_label=y_label)
        else:
            items = [(g, v, None, None) for g, v in zip(p.grid, p.values)]
            chart["bars"] = bars(items, width=320, fmt=number if dr.task == "regression" else percent)
        charts.append(chart)
    curves = {p.sentence for p in dr.partial_dependence}
    return {
        "sentences": [s for s in dr.sentences if s not in curves],
        "what": "accuracy points lost" if dr.metric_key == "accuracy" else "extra average miss",
        "bars": bars([(i.column, i.drop, None, None) for i in dr.importances[:12]], fmt=fmt),
        "charts": charts,
    }


# --------------------------------------------------------------------------- entry point


def _examples(rows: Any) -> dict[str, list[dict[str, str]]] | None:
    """The typical and surprising hold-out rows (:func:`core.models.example_rows`, as dicts), in two lists."""
    if not rows:
        return None
    rows = [r if isinstance(r, dict) else r.to_json() for r in rows]
    return {kind: [r for r in rows if r.get("kind") == kind] for kind in ("typical", "surprising")}


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
    """A self-contained HTML model card (no scripts, no external files, no whole data rows)."""
    ev = E.Evaluation.from_dict(evaluation) if isinstance(evaluation, dict) else evaluation
    x = _normalise_extras(extras)
    fs = [finding_dict(f) for f in (findings or [])]
    limits = list(x.get("limits") or info.get("limits") or []) + auto_limits(ev, fs, x)
    version = f" v{info.get('version')}" if info.get("version") is not None else ""
    return str(
        _template().render(
            page_title=f"Model card — {info.get('name') or 'model'}{version}",
            css=Markup(_CSS),  # CSS is Keel's own text; escaping would break its quotes
            header=_header(info),
            use=_use(info, x),
            data=_data(info, fs),
            performance=_performance(ev),
            threshold=_threshold(x["threshold"]),
            calibration=_calibration(ev, x["recalibration"]),
            slices=_slices(x["slices"]),
            min_slice=MIN_CARD_SLICE,
            fairness=_fairness(x["fairness"]),
            robustness=_robustness(x["robustness"]),
            drivers=_drivers(x["drivers"]),
            examples=_examples(x.get("examples")),
            limits=limits,
            risk=risk_blocks(info, ev, fs, x, limits),
            generated=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        )
    )

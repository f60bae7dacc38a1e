"""Chart tests: real results on small data, assertions on figure fields (traces, titles, axes,
escaping of user text, bounded size), never pixels."""

from __future__ import annotations

import dataclasses

import datetime as dt
import json

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from sklearn.compose import make_column_transformer
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from core import charts, store
from core.charts.style import safe
from core.models import evaluate
from core.monitoring import monitor
from core.forecasting import forecast
from core.monitoring import compare
from core.vocab import metric_label

BOLD, SCRIPT = "<b>x</b>", "<script>"
BOLD_SAFE, SCRIPT_SAFE = "&lt;b&gt;x&lt;/b&gt;", "&lt;script&gt;"


def _text(fig: go.Figure) -> str:
    """Everything plotly would render as text: titles, axis titles, tick/category labels, legend names, hover."""
    return json.dumps(fig.to_plotly_json(), default=str)


def _no_raw_html(fig: go.Figure) -> None:
    text = _text(fig)
    for raw in ("<b>x</b>", "<script>", "<i>big</i>", "<u>diag</u>"):
        assert raw not in text, raw


def _points(fig: go.Figure) -> int:
    n = 0
    for tr in fig.data:
        for key in ("x", "y", "z"):
            v = getattr(tr, key, None)
            if v is not None:
                n = max(n, int(np.size(np.asarray(v, dtype=object))))
    return n


def _total_points(fig: go.Figure) -> int:
    return sum(max((int(np.size(np.asarray(getattr(t, k), dtype=object))) for k in ("x", "y") if getattr(t, k, None) is not None),
                   default=0) for t in fig.data)


def _common(fig: go.Figure, *, max_points: int = 5000) -> None:
    assert isinstance(fig, go.Figure)
    assert fig.layout.title.text, "every figure has a title"
    assert fig.layout.template.layout.plot_bgcolor == pio.templates["plotly_white"].layout.plot_bgcolor == "white"
    assert _total_points(fig) <= max_points
    _no_raw_html(fig)
    fig.to_json()  # serialisable as Streamlit will send it


# --------------------------------------------------------------------------- fixtures: real results


@pytest.fixture(scope="module")
def cancer():
    d = load_breast_cancer(as_frame=True)
    X = d.data.iloc[:, :5].copy()
    X.columns = [BOLD, SCRIPT, "mean perimeter", "mean area", "mean smoothness"]
    X["grp"] = np.where(X[BOLD] > X[BOLD].median(), "<i>big</i>", "small")
    y = pd.Series(np.where(d.target == 1, "benign", "<u>diag</u>"), name="diagnosis")
    pre = make_column_transformer((StandardScaler(), list(X.columns[:5])), (OneHotEncoder(), ["grp"]))
    model = make_pipeline(pre, LogisticRegression(max_iter=500)).fit(X, y)
    return model, X, y


@pytest.fixture(scope="module")
def report(cancer):
    model, X, y = cancer
    return evaluate.full_report(model, X, y, "classification", costs=(1.0, 5.0), unit="<b>£</b>",
                                sensitive_column="grp", positive_label="<u>diag</u>", n_boot=30)


@pytest.fixture(scope="module")
def regression():
    rng = np.random.default_rng(0)
    n = 3000
    X = pd.DataFrame({BOLD: rng.normal(size=n), SCRIPT: rng.normal(size=n)})
    y = pd.Series(3 * X[BOLD] - X[SCRIPT] + rng.normal(0, 0.5, n), name="<u>diag</u>")
    model = LinearRegression().fit(X, y)
    return evaluate.evaluate(model, X, y, "regression", n_boot=30)


# --------------------------------------------------------------------------- evaluate


def test_roc_figure(report):
    fig = charts.roc_figure(report.evaluation)
    _common(fig)
    assert [t.type for t in fig.data] == ["scatter", "scatter"]
    assert fig.data[0].name == "guessing" and list(fig.data[0].x) == [0, 1]
    assert fig.data[1].name.startswith("the model (AUC 0.9")
    assert len(fig.data[1].x) <= 200
    assert fig.layout.xaxis.title.text.startswith("false alarms") and fig.layout.yaxis.title.text.startswith("caught")
    assert "&lt;u&gt;diag&lt;/u&gt;" in fig.data[1].hovertemplate


def test_pr_figure_has_the_guessing_line_at_the_share_of_yes(report):
    ev = report.evaluation
    fig = charts.pr_figure(ev)
    _common(fig)
    share = [c.support for c in ev.per_class if c.label == ev.positive_label][0] / ev.n_rows
    assert fig.data[0].y == (pytest.approx(share), pytest.approx(share))
    assert "&lt;u&gt;diag&lt;/u&gt;" in fig.layout.title.text and "precision" in fig.layout.yaxis.title.text


def test_curves_without_chances_say_so(report):
    ev = evaluate.Evaluation.from_dict({**report.evaluation.to_dict(), "roc_curve": None, "pr_curve": None})
    for fig in (charts.roc_figure(ev), charts.pr_figure(ev)):
        assert not fig.data and "yes/no model" in fig.layout.annotations[0].text


def test_confusion_figure_counts_and_escaped_class_names(report):
    ev = report.evaluation
    fig = charts.confusion_figure(ev)
    _common(fig)
    (hm,) = fig.data
    assert hm.type == "heatmap"
    assert list(hm.x) == list(hm.y) == ["&lt;u&gt;diag&lt;/u&gt;", "benign"]
    assert np.asarray(hm.customdata).tolist() == [list(r) for r in ev.confusion]
    assert hm.text[0][0] == f"{ev.confusion[0][0]:,}"
    assert np.asarray(hm.z).sum(axis=1) == pytest.approx([1, 1])  # shares of each real answer
    assert (fig.layout.xaxis.title.text, fig.layout.yaxis.title.text) == ("the model said", "the real answer")


def test_calibration_figure(report):
    cal = report.evaluation.calibration
    fig = charts.calibration_figure(cal)
    _common(fig)
    diag, model = fig.data
    assert list(diag.x) == [0, 1] and list(diag.y) == [0, 1]
    used = [b for b in cal.bins if b.count]
    assert [c[2] for c in model.customdata] == [b.count for b in used]
    assert "rows" in model.hovertemplate
    assert "80%" in fig.layout.title.text and "&lt;u&gt;diag&lt;/u&gt;" in fig.layout.title.text
    top = charts.calibration_figure(evaluate.Calibration.from_dict({**cal.to_dict(), "kind": "top_label", "positive_label": None}))
    assert top.layout.title.text == "When the model says 80%, how often is it right?"
    assert charts.calibration_figure(cal.to_dict()).to_json() == fig.to_json()


def test_metrics_ci_figure_points_ranges_and_baseline(report):
    ev = report.evaluation
    fig = charts.metrics_ci_figure(ev)
    _common(fig)
    base, model = fig.data
    assert "simple guess" in base.name and base.marker.symbol == "diamond-open"
    assert model.y[0] == metric_label("accuracy") == "Right answers (accuracy)" and model.x[0] == pytest.approx(100 * ev.metrics["accuracy"])
    lo, hi = ev.intervals["accuracy"]
    assert model.error_x.array[0] == pytest.approx(100 * (hi - ev.metrics["accuracy"]))
    assert model.error_x.arrayminus[0] == pytest.approx(100 * (ev.metrics["accuracy"] - lo))
    assert fig.layout.xaxis.title.text.startswith("score (higher is better)")


def test_regression_figures(regression):
    fig = charts.residuals_figure(regression)
    _common(fig)
    assert [t.type for t in fig.data] == ["scatter", "scattergl", "bar"]
    assert len(fig.data[1].x) == len(regression.residuals.predicted) <= 2000
    assert fig.layout.xaxis.title.text == "predicted" and fig.layout.yaxis.title.text == "actual"
    assert fig.layout.xaxis2.title.text.startswith("actual − predicted") and fig.layout.yaxis2.title.text == "rows"
    assert sum(fig.data[2].y) == len(regression.residuals.residual)
    assert "&lt;u&gt;diag&lt;/u&gt;" in fig.layout.title.text
    m = charts.metrics_ci_figure(regression)
    _common(m)
    assert list(m.data[-1].y) == [metric_label("mae"), metric_label("rmse")] == ["Typical error (MAE)", "Typical error, big misses weigh more (RMSE)"]
    assert "&lt;u&gt;diag&lt;/u&gt;" in m.layout.xaxis.title.text


def test_residuals_are_thinned_when_given_many_points(regression):
    n = 9000
    big = {**regression.to_dict(), "residuals": {"predicted": list(range(n)), "actual": list(range(n)),
                                                 "residual": [0.0] * n, "sampled_from": n}}
    fig = charts.residuals_figure(big)
    assert len(fig.data[1].x) == 2000 and "2,000 of 9,000" in fig.layout.title.subtitle.text


def test_classification_residuals_is_an_explained_empty_figure(report):
    fig = charts.residuals_figure(report.evaluation)
    assert not fig.data and fig.layout.annotations[0].text.startswith("This chart is for models that predict a number")


def test_slices_figure_marks_worse_slices(report):
    sr = report.slices
    fig = charts.slices_figure(sr)
    _common(fig)
    (tr,) = fig.data
    shown = [s for s in sr.slices if s.metric is not None]
    assert len(tr.y) == len(shown)
    assert any(label.startswith(BOLD_SAFE + ":") for label in tr.y)
    assert any("&lt;i&gt;big&lt;/i&gt;" in label for label in tr.y)
    assert list(tr.marker.color) == [charts.PALETTE[1] if s.worse else charts.PALETTE[0] for s in shown]
    assert fig.layout.shapes[0].x0 == pytest.approx(100 * sr.overall)  # the 'all rows' line


def test_slices_figure_caps_rows_and_keeps_the_worse_ones(report):
    base = report.slices.slices[0]
    many = [evaluate.Slice("c", f"v{i}", "category", 100 + i, 0.01, 0.9, 0.85, 0.95, i == 3) for i in range(90)]
    sr = evaluate.SliceReport("classification", "accuracy", 0.9, 9000, tuple(many), (), ())
    fig = charts.slices_figure(sr)
    assert len(fig.data[0].y) == 40 and "c: v3" in fig.data[0].y and "50 more groups left off the chart" in fig.layout.title.text
    assert base is not None


def test_robustness_figure(report):
    rob = report.robustness
    fig = charts.robustness_figure(rob)
    _common(fig)
    kinds = {p.kind for p in rob.results if p.failed is None}
    assert len(fig.data) == len(kinds)
    for tr in fig.data:
        assert tr.x[0] == 0 and tr.y[0] == pytest.approx(100 * rob.clean_metric)
        assert "answers that changed" in tr.hovertemplate
    assert fig.layout.yaxis.title.text == "accuracy (%)"
    assert fig.layout.xaxis.title.text == "how much the inputs were disturbed (%)"


def test_importance_figure(report):
    dr = report.drivers
    fig = charts.importance_figure(dr)
    _common(fig)
    (bar,) = fig.data
    assert bar.orientation == "h" and len(bar.y) == len(dr.importances)
    assert set(bar.y) == {safe(i.column) for i in dr.importances}
    assert list(bar.x) == sorted(bar.x, reverse=True)
    assert bar.error_x.array[0] == pytest.approx(100 * dr.importances[0].std)
    assert "(points)" in fig.layout.xaxis.title.text


def test_partial_dependence_figures(report):
    dr = report.drivers
    assert dr.partial_dependence
    for item in dr.partial_dependence:
        fig = charts.partial_dependence_figure(item, of_class=dr.of_class)
        _common(fig)
        assert len(fig.data[0].y) == len(item.values) <= 20
        assert fig.layout.xaxis.title.text == safe(item.column)
        assert fig.layout.yaxis.title.text == f"chance of '{safe(dr.of_class)}' (%)"
    cat = evaluate.PartialDependence("<i>big</i>", "category", ("<b>a</b>", "b"), (1.0, 2.0), "category", "")
    fig = charts.partial_dependence_figure(cat, target="price")
    assert fig.data[0].type == "bar" and list(fig.data[0].x) == ["&lt;b&gt;a&lt;/b&gt;", "b"]
    assert fig.layout.yaxis.title.text == "average prediction of 'price'"
    _no_raw_html(fig)


def test_threshold_figure(report):
    th = report.threshold
    fig = charts.threshold_figure(th, positive_label="<u>diag</u>")
    _common(fig)
    curve, default, best = fig.data
    assert len(curve.x) == len(th.thresholds) <= 100
    assert list(default.x) == [0.5] and list(best.x) == [th.threshold] and best.y[0] == th.cost_at_chosen
    assert {s.x0 for s in fig.layout.shapes} == {0.5, th.threshold}
    assert fig.layout.yaxis.title.text.endswith("(&lt;b&gt;£&lt;/b&gt;)")


def test_fairness_figure(report):
    fr = report.fairness
    fig = charts.fairness_figure(fr)
    _common(fig)
    assert [t.type for t in fig.data] == ["bar"] * 3
    assert set(fig.data[0].x) == {"&lt;i&gt;big&lt;/i&gt;", "small"}
    assert fig.data[0].y[0] == pytest.approx(100 * fr.groups[0].positive_rate)
    assert fig.layout.barmode == "group" and fig.layout.yaxis.title.text == "share (%)"


def test_figures_accept_the_stored_dict_form(report):
    stored = evaluate.Report.from_dict(json.loads(json.dumps(report.to_dict())))
    assert charts.slices_figure(report.slices.to_dict()).to_json() == charts.slices_figure(stored.slices).to_json()
    assert charts.importance_figure(report.drivers.to_dict()).to_json() == charts.importance_figure(report.drivers).to_json()
    assert charts.roc_figure(report.evaluation.to_dict()).to_json() == charts.roc_figure(report.evaluation).to_json()


# --------------------------------------------------------------------------- models


def test_metric_over_versions_figure():
    def info(name, version, acc, stage="candidate"):
        return store.ModelInfo(id=version, name=name, version=version, task="classification", algorithm="lr", stage=stage,
                               dataset_id=None, target="y", metrics={"accuracy": acc, "leaderboard": [1]}, params={},
                               schema={}, report={}, artifact_sha256="", artifact_bytes=0, created_at="")

    models = [info("churn", 2, 0.8, "champion"), info("churn", 1, 0.7), info(BOLD, 1, 0.6), info(BOLD, 2, None)]
    fig = charts.metric_over_versions_figure(models, "accuracy")
    _common(fig)
    assert {t.name for t in fig.data} == {"churn", BOLD_SAFE}
    churn = [t for t in fig.data if t.name == "churn"][0]
    assert list(churn.x) == [1, 2] and list(churn.y) == pytest.approx([70, 80])
    assert list(churn.marker.symbol) == ["circle", "star"]
    assert fig.layout.xaxis.title.text == "version" and fig.layout.yaxis.title.text == "accuracy (%)"
    empty = charts.metric_over_versions_figure(models, "mae")
    assert not empty.data and "No model has" in empty.layout.annotations[0].text


# --------------------------------------------------------------------------- forecast


@pytest.fixture(scope="module")
def forecasted():
    n = 120
    t = np.arange(n)
    values = 50 + 0.3 * t + 8 * np.sin(2 * np.pi * t / 7) + np.random.default_rng(0).normal(0, 1, n)
    frame = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=n, freq="D"), "<b>sales</b>": values})
    return forecast(frame, "date", "<b>sales</b>", horizon=14, windows=3, workers=1)


def test_forecast_figure(forecasted):
    s = forecasted.series[0]
    fig = charts.forecast_figure(s, level=forecasted.level, value_name="<b>sales</b>")
    _common(fig)
    hist, lo, hi, join, line = fig.data
    assert len(hist.x) == len(s.history) == 120
    assert list(lo.y) == list(s.lo) and list(hi.y) == list(s.hi) and hi.fill == "tonexty"
    assert list(line.y) == list(s.yhat) and len(line.x) == len(s.yhat)  # every marker is a forecast
    # the lines meet through a dotted join that is no forecast point (no marker, no hover, no legend)
    assert join.x[0] == s.history_dates[-1] and join.y[0] == s.history[-1] and join.y[1] == s.yhat[0]
    assert join.mode == "lines" and join.line.dash == "dot" and join.hoverinfo == "skip" and not join.showlegend
    assert hi.name == "likely range (90%)"
    assert fig.layout.yaxis.title.text == "&lt;b&gt;sales&lt;/b&gt;" and fig.layout.xaxis.title.text == "date"
    wide = dataclasses.replace(s, id="Apples")  # a wide table's series is its column: named once
    assert charts.forecast_figure(wide, value_name="Apples").layout.title.text.startswith("What comes next for 'Apples'?")
    assert "What comes next for 'x' (North)?" in charts.forecast_figure(dataclasses.replace(s, id="North"),
                                                                        value_name="x").layout.title.text
    short = charts.forecast_figure(s, pd.Series(s.history, index=pd.DatetimeIndex(s.history_dates)), max_history=30)
    assert len(short.data[0].x) == 30 and "last 30 of 120" in short.layout.title.subtitle.text
    # 120 days next to 14 forecast days: it opens on the last 6 horizons, the rest a double-click away
    assert pd.Timestamp(fig.layout.xaxis.range[0]) == pd.Timestamp(s.history_dates[-84])
    assert pd.Timestamp(fig.layout.xaxis.range[1]) == pd.Timestamp(s.dates[-1])
    assert "double-click the chart to see all" in fig.layout.title.subtitle.text
    assert short.layout.xaxis.range is None  # 30 points: nothing to zoom


def test_backtest_figure(forecasted):
    s = forecasted.series[0]
    assert s.windows
    fig = charts.backtest_figure(s, value_name="sales")
    _common(fig)
    assert len(fig.data) == 1 + 3 * len(s.windows)
    first = fig.data[3]
    assert list(first.y) == list(s.windows[0].yhat) and first.name.startswith("forecast from ")
    assert fig.data[0].x[0] <= s.windows[0].dates[0]


def test_backtest_figure_on_short_history_says_why():
    frame = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=6, freq="MS"), "v": [1.0, 2, 3, 4, 5, 6]})
    s = forecast(frame, "date", "v", horizon=6, workers=1).series[0]
    assert not s.windows
    fig = charts.backtest_figure(s)
    assert not fig.data and "too short" in fig.layout.annotations[0].text


# --------------------------------------------------------------------------- drift


@pytest.fixture(scope="module")
def drift_frames():
    rng = np.random.default_rng(1)
    n = 800
    ref = pd.DataFrame({BOLD: rng.normal(0, 1, n), SCRIPT: rng.choice(["a", "b", "<i>big</i>"], n, p=[.5, .3, .2]),
                        "steady": rng.normal(5, 1, n)})
    cur = pd.DataFrame({BOLD: rng.normal(1.5, 1, n), SCRIPT: rng.choice(["a", "b", "<i>big</i>"], n, p=[.2, .3, .5]),
                        "steady": rng.normal(5, 1, n)})
    return ref, cur


def test_drift_overview_figure(drift_frames):
    rep = compare(*drift_frames)
    fig = charts.drift_overview_figure(rep)
    _common(fig)
    (bar,) = fig.data
    assert set(bar.y) == {BOLD_SAFE, SCRIPT_SAFE, "steady"}
    colors = dict(zip(bar.y, bar.marker.color))
    assert colors[BOLD_SAFE] == colors[SCRIPT_SAFE] == charts.PALETTE[1] and colors["steady"] == charts.PALETTE[0]
    assert fig.layout.shapes[0].x0 == 1
    assert "2 of 3 columns changed" in fig.layout.title.text
    assert charts.drift_overview_figure(rep.to_json()).to_json() == fig.to_json()


def test_drift_histogram_numeric_draws_the_shared_bins_drift_kept(drift_frames):
    ref, cur = drift_frames
    r = ref[[BOLD]].copy()
    r.iloc[0, 0] = 1e9  # one wild value must not squash the picture
    column = compare(r, cur[[BOLD]]).columns[0]
    fig = charts.drift_histogram_figure(column)
    _common(fig)
    a, b = fig.data
    edges = column.histogram["edges"]
    assert list(a.x) == list(b.x) == pytest.approx([(lo + hi) / 2 for lo, hi in zip(edges, edges[1:])])
    assert list(a.y) == pytest.approx([100 * s for s in column.histogram["reference"]])  # drawn, not recounted
    assert list(b.y) == pytest.approx([100 * s for s in column.histogram["current"]])
    assert len(a.x) == 30 and sum(a.y) == pytest.approx(100) and sum(b.y) == pytest.approx(100)
    assert max(a.x) < 10 and "extremes gathered" in fig.layout.xaxis.title.text
    assert fig.layout.barmode == "overlay" and BOLD_SAFE in fig.layout.title.text
    assert a.name == f"training data ({column.n_reference:,} values)" and b.name.startswith("new data (")
    assert charts.drift_histogram_figure(column.to_json()).to_json() == fig.to_json()


def test_drift_histogram_categorical_top_labels_and_other():
    rng = np.random.default_rng(2)
    ref = pd.DataFrame({"<i>big</i>": rng.choice([f"c{i}" for i in range(30)] + [SCRIPT], 2000)})
    cur = pd.DataFrame({"<i>big</i>": rng.choice([f"c{i}" for i in range(30)], 2000)})
    column = compare(ref, cur).columns[0]
    fig = charts.drift_histogram_figure(column)
    _common(fig)
    a, b = fig.data
    assert len(a.x) == 15 + 1 and a.x[-1] == "(other)" and fig.layout.barmode == "group"
    assert sum(a.y) == pytest.approx(100) and sum(b.y) == pytest.approx(100)
    assert fig.layout.xaxis.type == "category" and "&lt;i&gt;big&lt;/i&gt;" in fig.layout.title.text


# --------------------------------------------------------------------------- monitoring


@pytest.fixture
def batches():
    rng = np.random.default_rng(3)

    def frame(n, shift):
        x = rng.normal(shift, 1, size=(n, 2))
        y = np.where(x[:, 0] + x[:, 1] + rng.normal(0, .5, n) > 0, "yes", "no")
        return pd.DataFrame({BOLD: x[:, 0], "x2": x[:, 1], "churn": y})

    train = frame(600, 0)
    pipe = make_pipeline(StandardScaler(), LogisticRegression()).fit(train[[BOLD, "x2"]], train["churn"])

    class Model:
        task, target, classes_ = "classification", "churn", tuple(pipe.classes_)
        schema = {"features": [{"name": BOLD, "kind": "numeric"}, {"name": "x2", "kind": "numeric"}]}

        def predict(self, f):
            return pipe.predict(f[[BOLD, "x2"]])

        def predict_proba(self, f):
            return pipe.predict_proba(f[[BOLD, "x2"]])

    m = Model()
    ds = store.save_dataset(train, "train")
    info = store.save_model(b"x", name="churn", task="classification", algorithm="lr", dataset_id=ds.id, target="churn",
                            metrics={"accuracy": 0.85}, params={}, schema=m.schema)
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    for i, shift in enumerate([0, 0.5, 1.5]):
        monitor.monitor_model(info, m, frame(300, shift), "churn" if i != 1 else None, now=start + dt.timedelta(days=7 * i))
    return store.list_batches(info.id)


def test_drift_timeline_figure(batches):
    fig = charts.drift_timeline_figure(batches)
    _common(fig)
    (tr,) = fig.data
    assert list(tr.x) == [pd.Timestamp("2026-01-01"), pd.Timestamp("2026-01-08"), pd.Timestamp("2026-01-15")]
    assert fig.layout.xaxis.title.text == "batch received"
    assert list(tr.y) == pytest.approx([100 * b["result"]["drift"]["drift_share"] for b in batches])
    assert fig.layout.shapes[0].y0 == pytest.approx(50)  # whole-batch level
    assert fig.layout.yaxis.title.text == "columns that changed (%)"
    assert fig.layout.xaxis.range is None  # three weeks: the axis finds its own scale
    one = charts.drift_timeline_figure(batches[:1])  # one batch: a day around it, not milliseconds
    t = pd.Timestamp("2026-01-01")
    assert [pd.Timestamp(x) for x in one.layout.xaxis.range] == [t - pd.Timedelta(hours=12), t + pd.Timedelta(hours=12)]
    assert one.layout.xaxis.tickformat == "%d %b %H:%M"
    assert charts.performance_timeline_figure(batches[:1]).layout.xaxis.tickformat == "%d %b %H:%M"


def test_performance_timeline_figure(batches):
    fig = charts.performance_timeline_figure(batches)
    _common(fig)
    names = [t.name for t in fig.data]
    assert "estimated (no labels needed)" in names and "measured on labels" in names
    measured = fig.data[names.index("measured on labels")]
    assert len(measured.x) == 2  # the middle batch came without labels
    assert fig.layout.shapes[0].y0 == pytest.approx(85)  # training accuracy
    assert fig.layout.yaxis.title.text == "accuracy (%)"
    assert not charts.performance_timeline_figure([]).data


def test_figures_stay_small_on_big_inputs():
    n = 200_000
    rng = np.random.default_rng(0)
    report = compare(pd.DataFrame({"v": rng.normal(size=n)}), pd.DataFrame({"v": rng.normal(size=n)}))
    fig = charts.drift_histogram_figure(report.columns[0])
    assert 0 < _total_points(fig) <= 60


# --------------------------------------------------------------------------- odd labels and shapes


def test_multiclass_figures_with_awkward_class_names():
    from sklearn.datasets import load_iris

    d = load_iris(as_frame=True)
    y = pd.Series(np.array(["set<b>", "ver 100%", "%{x}"])[d.target], name="species")
    model = LogisticRegression(max_iter=500).fit(d.data, y)
    ev = evaluate.evaluate(model, d.data, y, "classification", n_boot=20)
    fig = charts.confusion_figure(ev)
    _common(fig)
    assert list(fig.data[0].x) == ["%{x}", "set&lt;b&gt;", "ver 100%"] and np.asarray(fig.data[0].z).shape == (3, 3)
    cal = charts.calibration_figure(ev.calibration)
    assert cal.layout.title.text == "When the model says 80%, how often is it right?"
    assert not charts.roc_figure(ev).data  # no ROC for three answers: an explained empty figure
    pdp = evaluate.PartialDependence("%{y} <b>", "numeric", ("1.0", "2.0"), (0.2, 0.4), "up", "")
    hover = charts.partial_dependence_figure(pdp, of_class="x").data[0].hovertemplate
    assert hover.startswith("&#37;{y} &lt;b&gt; = %{x")  # user '%{…}' is not read as a placeholder


def test_drift_histogram_odd_inputs():
    same = compare(pd.DataFrame({"v": [1.0] * 60}), pd.DataFrame({"v": [1.0] * 60})).columns[0]
    fig = charts.drift_histogram_figure(same)  # one value on both sides: no bins to draw, and it says so
    assert fig.layout.title.text == "Has 'v' changed since training?"
    assert not fig.data and "nothing to draw" in fig.layout.annotations[0].text
    few = compare(pd.DataFrame({"v": [1.0, 2.0]}), pd.DataFrame({"v": [3.0, 4.0]})).columns[0]
    assert few.verdict == "too few rows" and not charts.drift_histogram_figure(few).data
    flags = compare(pd.DataFrame({"flag": [True, False] * 50}), pd.DataFrame({"flag": [True] * 100})).columns[0]
    fig = charts.drift_histogram_figure(flags)
    shares = dict(zip(fig.data[1].x, fig.data[1].y))
    assert sum(fig.data[0].y) == pytest.approx(100) and max(shares.values()) == pytest.approx(100.0)


def test_yearly_forecast_hovers_show_years():
    frame = pd.DataFrame({"year": range(1980, 2021), "v": np.linspace(10, 50, 41)})
    s = forecast(frame, "year", "v", horizon=3, workers=1).series[0]
    fig = charts.forecast_figure(s, value_name="v")
    assert fig.data[0].hovertemplate.startswith("%{x|%Y}:") and fig.data[-1].hovertemplate.startswith("%{x|%Y}:")


def test_timelines_number_the_batches_when_times_clash(batches):
    same = [{**b, "created_at": "2026-02-01T00:00:00", "result": {**b["result"], "created_at": None}} for b in batches]
    fig = charts.drift_timeline_figure(same)
    assert list(fig.data[0].x) == [1, 2, 3] and fig.layout.xaxis.title.text == "batch (oldest first)"


# --------------------------------------------------------------------------- data page figures (unchanged behaviour)


def test_column_and_missing_figures_escape_and_stay_small():
    rng = np.random.default_rng(0)
    num = charts.column_figure(pd.Series(rng.normal(size=100_000), name=BOLD), "numeric")
    assert num.data[0].type == "bar" and len(num.data[0].x) <= 40
    assert num.layout.title.text == f"How '{BOLD_SAFE}' is spread" and num.layout.xaxis.title.text == BOLD_SAFE
    cat = charts.column_figure(pd.Series([f"<i>{i}</i>" for i in range(50)] * 2, name=SCRIPT), "categorical")
    assert len(cat.data[0].y) == 21 and cat.data[0].y[-1] == "(30 others)"
    _no_raw_html(cat)
    miss = charts.missing_figure([BOLD, "ok", SCRIPT], [0.5, 0.0, 0.1])
    assert list(miss.data[0].y) == [BOLD_SAFE, SCRIPT_SAFE] and list(miss.data[0].x) == [50.0, 10.0]


def test_probability_figure_shows_every_answer_on_a_full_axis():
    fig = charts.probability_figure({"Adelie": 0.62, "Gentoo": 0.3, "<b>x</b>": 0.08}, "Adelie")
    bar = fig.data[0]
    assert list(bar.x) == pytest.approx([62, 30, 8]) and list(fig.layout.xaxis.range) == [0, 100]
    assert bar.marker.color[0] != bar.marker.color[1]  # the answer given stands out
    assert "<b>" not in "".join(bar.y) and list(bar.text) == ["62%", "30%", "8%"]

"""ui.common.chart writes a figure's title as text (it wraps at phone width, no toolbar covers it) and draws
the figure without it, keeping room for a label written above the plot."""

from __future__ import annotations

import plotly.graph_objects as go

from core.charts import split_title
from core.charts.monitoring import drift_overview_figure


def test_split_title_moves_title_and_subtitle_out_and_shrinks_the_margin() -> None:
    fig = go.Figure(go.Bar(x=[1], y=[2]))
    fig.update_layout(title={"text": "Sales <b>per</b> day", "subtitle": {"text": "a &amp; b"}}, margin={"t": 90},
                      height=400)
    title, sub, out = split_title(fig)
    assert (title, sub) == ("Sales per day", "a & b")
    assert not out.layout.title.text and not out.layout.title.subtitle.text
    assert out.layout.margin.t == 90 - 65 and out.layout.height == 400 - 65
    assert fig.layout.title.text == "Sales <b>per</b> day"  # the original is untouched


def test_split_title_keeps_room_for_a_label_above_the_plot() -> None:
    report = {"columns": [{"column": "fee", "statistic": 0.4, "threshold": 0.1, "drifted": True, "method": "psi"},
                          {"column": "age", "statistic": 0.01, "threshold": 0.1, "drifted": False, "method": "psi"}]}
    fig = drift_overview_figure(report)
    assert any(a.text == "alarm level" for a in fig.layout.annotations)
    _, _, out = split_title(fig)
    assert out.layout.margin.t >= 30  # 'alarm level' sits on the plot's top edge, in the margin


def test_a_figure_without_a_title_is_left_as_it_is() -> None:
    fig = go.Figure(go.Bar(x=[1], y=[2]))
    title, sub, out = split_title(fig)
    assert (title, sub) == ("", "") and out is fig


def test_the_roc_chart_names_the_models_own_answers_not_yes_and_no() -> None:
    """A 0/1 target: the curve's titles say '1' and '0' (the issue saw 'yes'/'no' over labels 0/1)."""
    import numpy as np
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    from core.charts import roc_figure
    from core.models import evaluate

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x": rng.normal(size=300)})
    y = pd.Series((X["x"] + rng.normal(scale=0.8, size=300) > 0).astype(int))
    model = LogisticRegression().fit(X, y)
    fig = roc_figure(evaluate.evaluate(model, X, y, "classification", n_boot=20))
    assert fig.layout.title.text == "How well does the model put real '1' cases ahead of the rest?"
    assert fig.layout.xaxis.title.text == "false alarms: share of real '0' flagged"
    assert fig.layout.yaxis.title.text == "caught: share of real '1' flagged"

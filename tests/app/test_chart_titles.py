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

"""The drift overview chart keeps every column readable: one column far over its alarm level must not squash
a real, smaller shift in another to a sliver."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core import charts
from core.charts.monitoring import DRIFT_BAR_CAP
from core.monitoring import compare


def test_a_huge_shift_is_cut_and_labelled_so_a_small_real_one_stays_readable() -> None:
    rng = np.random.default_rng(3)
    n = 4000
    ref = pd.DataFrame({"huge": rng.normal(0, 1, n), "real": rng.normal(0, 1, n), "steady": rng.normal(0, 1, n)})
    cur = pd.DataFrame({"huge": rng.normal(40, 1, n), "real": rng.normal(0.35, 1, n), "steady": rng.normal(0, 1, n)})
    report = compare(ref, cur)
    ratio = {c.column: c.statistic / c.threshold for c in report.columns}
    assert ratio["huge"] > 20 * ratio["real"] and ratio["real"] > 1  # the situation of issue 16
    fig = charts.drift_overview_figure(report)
    (bar,) = fig.data
    drawn = dict(zip(bar.y, bar.x))
    axis_end = fig.layout.xaxis.range[1]
    assert drawn["huge"] <= DRIFT_BAR_CAP < axis_end  # cut at the cap…
    assert drawn["real"] / axis_end > 0.15  # …so the real shift is a fifth of the width or so, not a sliver
    text = dict(zip(bar.y, bar.text))
    assert text["huge"].endswith("× (cut)") and float(text["huge"].split("×")[0].replace(",", "")) > 20
    assert text["real"] == f"{charts.monitoring.number(ratio['real'])}×"
    assert "bars cut at 5" in fig.layout.xaxis.title.text
    assert fig.layout.shapes[0].x0 == 1  # the alarm level is still where 1 is


def test_small_changes_are_not_stretched_past_their_size() -> None:
    rng = np.random.default_rng(4)
    ref = pd.DataFrame({"a": rng.normal(0, 1, 3000)})
    cur = pd.DataFrame({"a": rng.normal(0.3, 1, 3000)})
    fig = charts.drift_overview_figure(compare(ref, cur))
    (bar,) = fig.data
    assert bar.x[0] < fig.layout.xaxis.range[1] < DRIFT_BAR_CAP  # the axis fits the bars
    assert "(cut)" not in bar.text[0]

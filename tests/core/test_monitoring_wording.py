"""What the monitoring rules say, as plain sentences a shop owner reads (issue 16): what moved, from what to
what, and the limit it is judged by, without 'level:' shorthand or raw measure names."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from core import monitoring
from core.monitoring import DEFAULT_RULES, MetricEstimate, Performance, evaluate_triggers

NOW = dt.datetime(2026, 12, 7, tzinfo=dt.UTC)
RULE = {r.rule: r for r in DEFAULT_RULES}


def _perf(task: str = "classification", *, measured=None, reference=None, estimated=None) -> Performance:
    return Performance(task=task, method="labels", estimated=estimated or {}, measured=measured or {},
                       reference=reference or {}, rows=500, rows_labelled=500, explain="", reference_rows=2000)


def _detail(rule: str, **facts) -> monitoring.TriggerResult:
    args = {"drift": None, "performance": None, "task": "classification", "created_at": None, "rows": 500,
            "history": [], "now": NOW, **facts}
    triggers, _ = evaluate_triggers(rules=[RULE[rule]], **args)
    return triggers[0]


@pytest.mark.parametrize(
    ("current", "fired", "sentence"),
    [
        (0.81, True, "Right answers fell from 88.0% when tested after training to 81.0% on this batch's labelled "
                     "rows, more than the 5-point drop that calls for a retrain."),
        (0.86, False, "Right answers fell from 88.0% when tested after training to 86.0% on this batch's labelled "
                      "rows, less than the 5-point drop that calls for a retrain."),
        (0.90, False, "Right answers went from 88.0% when tested after training to 90.0% on this batch's labelled "
                      "rows: no drop."),
    ],
    ids=["a-drop-past-the-limit", "a-small-drop", "a-rise"],
)
def test_a_measured_drop_in_right_answers_is_a_sentence(current: float, fired: bool, sentence: str) -> None:
    perf = _perf(measured={"accuracy": current}, reference={"accuracy": 0.88})
    t = _detail("metric_drop_measured", performance=perf)
    assert t.fired is fired and t.detail == sentence


def test_the_estimated_drop_names_the_range_and_the_limit() -> None:
    perf = _perf(estimated={"accuracy": MetricEstimate("accuracy", 0.74, 0.70, 0.78)}, reference={"accuracy": 0.862})
    t = _detail("metric_drop_estimated", performance=perf)
    assert t.fired and t.action == "review"
    assert t.detail == (
        "Judging from the model's own confidence, right answers are probably between 70.0% and 78.0% on this "
        "batch (about 74.0%), against 86.2% when tested after training: even the top of that range is 8.2 "
        "percentage points lower, more than the 5-point drop that is worth a review."
    )


def test_a_number_models_typical_error_is_a_sentence() -> None:
    perf = _perf("regression", measured={"mae": 11.5}, reference={"mae": 10.0})
    t = _detail("metric_drop_measured", performance=perf, task="regression")
    assert not t.fired
    assert t.detail == ("The typical error grew from 10 when tested after training to 11.5 on this batch's labelled "
                        "rows (+15%), less than the 20% rise that calls for a retrain.")
    worse = _detail("metric_drop_measured", performance=_perf("regression", measured={"mae": 13.0},
                                                              reference={"mae": 10.0}), task="regression")
    assert worse.fired and worse.detail.endswith("(+30%), more than the 20% rise that calls for a retrain.")


def test_drift_age_and_size_are_sentences() -> None:
    rng = np.random.default_rng(0)
    reference = pd.DataFrame({"a": rng.normal(size=800), "b": rng.normal(size=800), "c": rng.normal(size=800)})
    current = reference.assign(a=reference["a"] + 3, b=reference["b"] + 3)
    drift = monitoring.compare(reference, current)
    t = _detail("drift_share", drift=drift)
    assert t.fired and t.detail == (
        "2 of the 3 columns compared changed (67%), reaching the 50% that calls for a retrain: the data has moved "
        "away from what the model learned."
    )
    old = _detail("model_age", created_at="2026-08-01T00:00:00+00:00")
    assert old.fired and old.detail == "Trained 128 days ago: past 90 days, an age that is worth a review."
    young = _detail("model_age", created_at="2026-11-27T00:00:00+00:00")
    assert not young.fired and young.detail == "Trained 10 days ago; a model older than 90 days is worth a review."
    size = _detail("volume_change", rows=3000, history=[{"rows": 1000, "result": {}}])
    assert size.fired and size.detail == (
        "This batch has 3,000 rows against 1,000 rows in the previous one (+200%), a change of more than 50% either "
        "way, which is worth a review: a feed may be broken or a new group added."
    )


def test_no_rule_speaks_in_levels_or_raw_measure_names() -> None:
    perf = _perf(measured={"accuracy": 0.7, "balanced_accuracy": 0.6}, reference={"accuracy": 0.88, "balanced_accuracy": 0.8},
                 estimated={"accuracy": MetricEstimate("accuracy", 0.8, 0.75, 0.85)})
    triggers, _ = evaluate_triggers(drift=None, performance=perf, task="classification",
                                    created_at="2026-01-01T00:00:00+00:00", rows=10, history=[{"rows": 1000}], now=NOW)
    details = [t.detail for t in triggers]
    assert len(details) == len(DEFAULT_RULES)
    for detail in details:
        assert "level" not in detail and "balanced accuracy" not in detail and "features" not in detail, detail


def test_a_cool_down_is_said_apart_from_what_the_rule_found() -> None:
    perf = _perf(measured={"accuracy": 0.81}, reference={"accuracy": 0.88})
    before = [{"rows": 500, "result": {"created_at": "2026-12-06T10:00:00+00:00", "triggers": [
        {"rule": "metric_drop_measured", "fired": True, "alerting": True, "value": 0.07}]}}]
    t = _detail("metric_drop_measured", performance=perf, history=before)
    assert t.fired and t.cooling_down and not t.alerting
    assert t.finding == ("Right answers fell from 88.0% when tested after training to 81.0% on this batch's labelled "
                         "rows, more than the 5-point drop that calls for a retrain.")
    assert t.detail == t.finding + (" Still true; already reported on 6 Dec 2026 10:00 (1 batch ago) and not worse since, so "
                                    "no new alert for up to 3 batches unless it gets worse.")

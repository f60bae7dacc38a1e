"""What the scoring API answered for a model, summed from the counts in the store (core.monitoring.traffic)."""

from __future__ import annotations

import datetime as dt
import math

from core import store
from core.monitoring import api_traffic_summary

NOW = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)


def minute(delta_minutes: int) -> str:
    return (NOW - dt.timedelta(minutes=delta_minutes)).isoformat(timespec="seconds")


def test_nothing_recorded_is_none() -> None:
    assert api_traffic_summary([1], now=NOW) is None


def test_a_models_versions_are_summed_and_others_left_out() -> None:
    store.record_api_traffic(
        [
            store.TrafficRow(minute(5), "till", 1, 200, 10, 10, 100.0, 30.0),
            store.TrafficRow(minute(5), "till", 2, 200, 30, 300, 500.0, 80.0),  # version 2 of the same model
            store.TrafficRow(minute(3), "till", 2, 422, 2, 0, 4.0, 3.0),
            store.TrafficRow(minute(3), "web", 2, 429, 5, 0, 1.0, 1.0),
            store.TrafficRow(minute(3), "", None, 401, 7, 0, 1.0, 1.0),  # no key: nobody's model
            store.TrafficRow(minute(4), "till", 9, 200, 50, 50, 50.0, 5.0),  # another model
            store.TrafficRow(minute(60 * 30), "till", 1, 200, 99, 99, 99.0, 9.0),  # older than the window
        ]
    )
    t = api_traffic_summary([1, 2], now=NOW)
    assert t is not None
    assert (t.requests, t.answered, t.rows) == (47, 40, 310)
    assert t.refused == ((429, 5), (422, 2))
    assert math.isclose(t.mean_ms, 600.0 / 40) and t.slowest_ms == 80.0
    assert t.bucket == "minute"
    assert t.per_step["answered"].tolist() == [40, 0] and t.per_step["refused"].tolist() == [0, 7]
    assert t.sentence.startswith(
        "In the last 24 hours, other programs asked this model 47 times (85% answered, 310 rows"
    )
    assert "15 ms on average and 80 ms at the slowest" in t.sentence
    assert t.refused_sentence is not None
    assert "5 requests came faster than the key's limit; 2 requests sent rows that did not fit" in t.refused_sentence
    # a longer window reaches the old minute, and the chart's step becomes an hour
    longer = api_traffic_summary([1, 2], hours=48, now=NOW)
    assert longer is not None and longer.requests == 47 + 99 and longer.bucket == "hour"
    assert "the last 48 hours" in longer.sentence


def test_only_refusals_say_so() -> None:
    store.record_api_traffic([store.TrafficRow(minute(1), "till", 3, 403, 4, 0, 2.0, 1.0)])
    t = api_traffic_summary([3], now=NOW)
    assert t is not None and t.answered == 0 and math.isnan(t.mean_ms)
    assert (
        t.sentence
        == "In the last 24 hours, other programs asked this model 4 times, and every request was refused (below, why)."
    )
    assert (
        t.refused_sentence is not None and "4 requests used a key not allowed to use this model" in t.refused_sentence
    )

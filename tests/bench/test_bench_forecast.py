"""The forecasting benchmark's hold-outs: an earlier origin cuts whole horizons and never leaks."""

import numpy as np
import pandas as pd
import pytest

from bench.bench_forecast import Item, _splice, _stored_statsforecast, earlier, evaluate, hindsight, mase, snaive


def _item(n: int, h: int) -> Item:
    rng = np.random.default_rng(n)
    dates = pd.date_range("2000-01-01", periods=n, freq="MS")
    values = 100 + np.arange(n) + 5 * np.sin(np.arange(n) * 2 * np.pi / 12) + rng.normal(0, 1, n)
    return Item("test", f"s{n}", "M", dates, values, h)


def test_earlier_cuts_k_horizons_and_drops_series_that_become_too_short():
    long_, short = _item(60, 6), _item(25, 6)
    assert earlier([long_, short], 0) == [long_, short]
    one = earlier([long_, short], 1)
    assert [it.name for it in one] == ["s60"]  # 25 - 6 = 19 < 3 * 6 + 4
    np.testing.assert_array_equal(one[0].values, long_.values[:-6])
    assert len(one[0].dates) == 54 and one[0].dates[-1] == long_.dates[-7]
    two = earlier([long_], 2)[0]
    np.testing.assert_array_equal(two.values, long_.values[:-12])


def test_evaluate_scores_keel_and_seasonal_naive_on_the_held_out_points():
    items = [_item(72, 12), _item(84, 12)]
    sc = evaluate(items, with_statsforecast=False)
    assert sc.methods == ["Keel", "SeasonalNaive"]
    for i, it in enumerate(items):
        train, actual = it.values[:-12], it.values[-12:]
        assert sc.mase["SeasonalNaive"][i] == mase(actual, snaive(train, 12, 12), train, 12)
    # a trending seasonal series: Keel's chosen model must beat repeating last year
    assert np.all(sc.mase["Keel"] < sc.mase["SeasonalNaive"])
    assert sc.cover["Keel"].size == 24 and set(np.unique(sc.cover["Keel"])) <= {0.0, 1.0}


@pytest.mark.slow  # refits every model Keel could choose, in worker processes: about 40 s on 2 cores
def test_hindsight_is_a_ceiling_for_keels_own_choice():
    items = [_item(60, 6), _item(72, 6), _item(84, 6)]
    sc = evaluate(items, with_statsforecast=False)
    best = hindsight(items)
    assert np.all(np.isfinite(best))
    # Keel's choice is one of the models scored in hindsight, so it can do no better than the best
    assert np.all(best <= sc.mase["Keel"] + 1e-12)


def test_statsforecast_scores_are_reused_only_for_the_same_origin_and_series(tmp_path, monkeypatch):
    import json

    items = [_item(72, 12), _item(84, 12)]
    names = [f"test:{it.name}" for it in items]
    dump = tmp_path / "dump.json"
    mase_ = {"Keel": [9.0, 9.0], "SeasonalNaive": [1.0, 1.0], "AutoETS": [0.5, 2.0], "AutoARIMA": [0.7, 0.9]}
    dump.write_text(json.dumps([{"origin": "-1h", "series": names, "keel_model": ["ets", "ets"], "mase": mase_}]))
    monkeypatch.setenv("KEEL_BENCH_REUSE", str(dump))
    stored = _stored_statsforecast("-1h", items)
    assert set(stored) == {"AutoETS", "AutoARIMA"}  # Keel's and seasonal naive's own scores are never reused
    np.testing.assert_array_equal(stored["AutoETS"], [0.5, 2.0])
    assert _stored_statsforecast("last", items) is None  # another origin: refitted
    assert _stored_statsforecast("-1h", items[:1]) is None  # other series: refitted
    sc = evaluate(items, with_statsforecast=False)
    _splice(sc, stored)
    assert sc.methods == ["Keel", "SeasonalNaive", "AutoETS", "AutoARIMA"]
    assert sc.mase["AutoARIMA"].tolist() == [0.7, 0.9] and "AutoARIMA" not in sc.cover


@pytest.mark.parametrize("text", [None, "not json", '{"origin": "last"}', "[1, 2]"], ids=str)
def test_a_reuse_file_that_is_missing_or_not_a_dump_stops_with_a_plain_message(tmp_path, monkeypatch, text):
    path = tmp_path / "dump.json"
    if text is not None:
        path.write_text(text)
    monkeypatch.setenv("KEEL_BENCH_REUSE", str(path))
    with pytest.raises(SystemExit) as stop:
        _stored_statsforecast("last", [_item(72, 12)])
    assert f"KEEL_BENCH_REUSE={path} cannot be used" in str(stop.value)
    assert "give a file written by KEEL_BENCH_DUMP" in str(stop.value)

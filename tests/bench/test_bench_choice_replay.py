"""The choice replay reproduces Keel's own forecasts from its stored backtests, and its rules differ only in
the combination."""

import json

import numpy as np
import pytest

from bench.bench_choice_replay import RULES, collect, replay
from bench.bench_forecast import evaluate
from tests.bench.test_bench_forecast import _item


@pytest.mark.slow  # Keel's backtest and every model's final fit on 3 series, twice: about 20 s on 2 cores
def test_the_keel_rule_replays_keels_own_choice_exactly(tmp_path):
    items = [_item(72, 12), _item(84, 12), _item(96, 12)]  # one table of three: the other series steady the choice
    data = json.loads(json.dumps(collect(items, 1)))  # through JSON, as the file keeps it
    assert list(data) == ["last"] and [r["name"] for r in data["last"]] == [f"test:{it.name}" for it in items]
    keel = evaluate(items, with_statsforecast=False).mase["Keel"]
    np.testing.assert_allclose(replay(data["last"], "keel"), keel, rtol=1e-9)
    assert all(len(r["ranked"]) >= 5 for r in data["last"])  # enough models for the rules to differ
    for name in RULES:  # every rule gives a held-out MASE for every series
        got = replay(data["last"], name)
        assert got.shape == keel.shape and np.all(np.isfinite(got)), name

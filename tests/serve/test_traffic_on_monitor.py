"""The scoring API's traffic on the Monitor page: a real server answers real requests, the counts reach the
store, and the page says in words how many requests this model had, how many were refused and why."""

from __future__ import annotations

import json
from pathlib import Path

import plotly.io as pio
import pytest

from core.models.registry import register
from core.models.train import train
from tests.app.helpers import open_page, texts
from tests.core.test_train import make_churn
from tests.serve.test_api import Server, call, new_key
from ui import state


@pytest.mark.slow
def test_monitor_page_shows_the_apis_requests(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "keel_home"
    monkeypatch.setenv("KEEL_HOME", str(home))
    info = register(
        train(make_churn(120), "churn", time_budget_s=20, candidates=("logistic_regression",)), "churn", None
    )
    at = open_page("pages/7_Monitor.py", **{state.MODEL_ID: info.id})
    assert not at.exception
    assert "No program has asked this model for predictions" in texts(at)

    key = new_key(home, "till-1")
    rows = {"rows": [{"age": 40, "plan": "pro", "signup": "2021-03-01", "spend": 50.5}] * 2}
    server = Server(home, tmp_path / "server.log")
    try:
        for _ in range(3):
            assert call(server.url + "/v1/models/churn/predict", key, rows).status == 200
        assert call(server.url + "/v1/models/churn/predict", key, {"rows": [{"age": "x"}]}).status == 422
        assert call(server.url + "/v1/models").status == 401  # no key: no model named, not this model's
    finally:
        code, out = server.stop()
    assert code == 0 and json.loads(out)["stopped"] is True

    at = open_page("pages/7_Monitor.py", **{state.MODEL_ID: info.id})
    assert not at.exception
    body = texts(at)
    assert "other programs asked this model 4 times (75% answered, 6 rows scored)" in body
    assert "Refused: 1 request sent rows that did not fit the model's columns." in body
    assert "had no key" not in body
    [figure] = [
        f
        for f in (pio.from_json(el.proto.spec) for el in at.get("plotly_chart"))
        if f.data and f.data[0].name == "answered"
    ]
    assert sum(figure.data[0].y) == 3 and sum(figure.data[1].y) == 1

"""AppTest for Home: what Keel does, every sample one click away, recent work."""

from __future__ import annotations

from core import store
from core.data import SAMPLES
from tests.app.helpers import app_test, texts
from ui import state


def test_home_shows_samples_and_empty_recent_work() -> None:
    at = app_test().run()
    assert not at.exception
    assert at.title[0].value == "⚓ Keel"
    assert "Start with a sample" in texts(at)
    shown = [b for b in at.button if b.key and b.key.startswith("sample_")]
    assert len(shown) == len(SAMPLES) >= 4  # churn, penguins, shop sales, the shop with its calendar
    assert "Nothing yet" in texts(at)


def test_opening_a_sample_keeps_it_and_goes_to_the_data_page() -> None:
    at = app_test().run()
    at.button(key="sample_customer_churn").click().run()
    assert not at.exception
    datasets = store.list_datasets()
    assert [d.original_name for d in datasets] == ["customer_churn.csv"]
    assert at.session_state[state.DATASET_ID] == datasets[0].id
    assert at.session_state[state.TARGET] == {datasets[0].id: "churned"}


def test_no_exposure_warning_on_loopback() -> None:
    at = app_test().run()
    assert not [w for w in at.warning if "listening on" in str(w.value)]

"""Plain-language helpers."""

from core.explain import exposure_warning, metric_name


def test_exposure_warning_only_beyond_this_machine() -> None:
    assert exposure_warning("127.0.0.1") is None and exposure_warning("localhost") is None
    assert "every network interface" in exposure_warning("")
    assert "0.0.0.0" in exposure_warning("0.0.0.0")
    assert exposure_warning("0.0.0.0", behind_auth=True) is None


def test_metric_names_are_plain() -> None:
    assert metric_name("mae") == "Typical error (MAE)"
    assert metric_name("something_new") == "something new"

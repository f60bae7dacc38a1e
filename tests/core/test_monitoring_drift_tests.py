"""The drift-test registry's contract: every registered test (one id per test and kind) fires on a pair of
samples built to trigger it, stays quiet on two samples of the same data, reads its threshold from the
settings under its own code, and says why its default is what it is."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.monitoring.drift import DEFAULT_SETTINGS, TESTS, DriftSettings, compare
from core.monitoring.drift.stattests import PRIMARY

N = 2_000


def _normal(seed: int, shift: float = 0.0, sd: float = 1.0) -> list[float]:
    return list(np.random.default_rng(seed).normal(shift, sd, N))


def _labels(seed: int, shares: dict[str, float]) -> list[str]:
    rng = np.random.default_rng(seed)
    return list(rng.choice(list(shares), size=N, p=list(shares.values())))


def _with_gaps(values: list, share: float, seed: int) -> list:
    rng = np.random.default_rng(seed)
    return [None if rng.random() < share else v for v in values]


EVEN = {"yes": 0.5, "no": 0.5}
# (code, kind) -> (reference, a sample built to trigger the test, a second sample like the reference)
CASES = {
    ("wasserstein", "numeric"): (_normal(1), _normal(2, shift=0.5), _normal(3)),
    ("psi", "numeric"): (_normal(1), _normal(2, sd=2.5), _normal(3)),
    ("ks", "numeric"): (_normal(1), _normal(2, shift=0.5), _normal(3)),
    ("out_of_range", "numeric"): (
        list(np.random.default_rng(1).uniform(0, 30, N)),
        list(np.r_[np.random.default_rng(2).uniform(0, 30, N - 200), np.random.default_rng(4).uniform(31, 35, 200)]),
        list(np.random.default_rng(3).uniform(0, 30, N)),
    ),
    ("missing_rate", "numeric"): (_with_gaps(_normal(1), 0.03, 5), _with_gaps(_normal(2), 0.30, 6), _with_gaps(_normal(3), 0.03, 7)),
    ("jensen_shannon", "categorical"): (_labels(1, EVEN), _labels(2, {"yes": 0.25, "no": 0.75}), _labels(3, EVEN)),
    ("category_share", "categorical"): (_labels(1, EVEN), _labels(2, {"yes": 0.3, "no": 0.7}), _labels(3, EVEN)),
    ("new_categories", "categorical"): (_labels(1, EVEN), _labels(2, {"yes": 0.45, "no": 0.45, "maybe": 0.1}), _labels(3, EVEN)),
    ("psi", "categorical"): (_labels(1, EVEN), _labels(2, {"yes": 0.25, "no": 0.75}), _labels(3, EVEN)),
    ("chi2", "categorical"): (_labels(1, EVEN), _labels(2, {"yes": 0.4, "no": 0.6}), _labels(3, EVEN)),
    ("missing_rate", "categorical"): (
        _with_gaps(_labels(1, EVEN), 0.03, 5), _with_gaps(_labels(2, EVEN), 0.30, 6), _with_gaps(_labels(3, EVEN), 0.03, 7)
    ),
}
ENTRIES = [(t, kind) for t in TESTS for kind in t.kinds]


def _check(code: str, kind: str, ref: list, cur: list, settings: DriftSettings = DEFAULT_SETTINGS):
    col = compare(pd.DataFrame({"v": ref}), pd.DataFrame({"v": cur}), kinds={"v": kind}, settings=settings).column("v")
    return next(c for c in col.checks if c.method == code), col


def test_every_registered_test_has_a_case_and_the_cases_name_no_unregistered_test():
    assert set(CASES) == {(t.code, kind) for t, kind in ENTRIES}


@pytest.mark.parametrize(("test", "kind"), ENTRIES, ids=[f"{t.code}-{k}" for t, k in ENTRIES])
def test_every_drift_test_fires_on_its_trigger_and_not_on_the_same_data(test, kind):
    ref, moved, same = CASES[(test.code, kind)]
    check, col = _check(test.code, kind, ref, moved)
    assert check.p_value is not None and check.p_value < col.alpha  # the change is not chance
    if test.threshold is None:  # shown for reference only: never decides
        assert check.drifted is False and check.threshold == col.alpha
    else:
        assert check.drifted is True and check.statistic >= check.threshold == test.threshold
        assert col.drifted
    quiet, col = _check(test.code, kind, ref, same)
    assert quiet.drifted is False and not col.drifted
    if test.threshold is not None:
        assert quiet.statistic < test.threshold


@pytest.mark.parametrize("test", [t for t in TESTS if t.threshold is not None], ids=lambda t: t.code)
def test_every_threshold_is_a_setting_under_the_tests_code(test):
    assert DEFAULT_SETTINGS.threshold(test.code) == test.threshold
    assert DriftSettings().to_json()[test.code] == test.threshold
    ref, moved, _ = CASES[(test.code, test.kinds[0])]
    raised = DEFAULT_SETTINGS.with_overrides({test.code: 50.0})
    check, _ = _check(test.code, test.kinds[0], ref, moved, raised)
    assert check.threshold == 50.0 and check.drifted is False  # the setting is the one the test reads


@pytest.mark.parametrize("test", TESTS, ids=lambda t: t.code)
def test_every_drift_test_is_described(test):
    assert test.code.islower() and " " not in test.code
    assert test.title and test.title[0].isupper()
    assert set(test.kinds) <= {"numeric", "categorical"} and test.kinds
    assert len(test.reason) > 40  # why the default is what it is
    assert (test.threshold is None) == (test.code in ("ks", "chi2"))


def test_each_kind_has_one_primary_measure():
    assert PRIMARY == {"numeric": "wasserstein", "categorical": "jensen_shannon"}
    assert [t.code for t in TESTS if t.primary] == ["wasserstein", "jensen_shannon"]

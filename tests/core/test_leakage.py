"""The target_leakage check on realistic tables: noisy leaks that stand far above every other column are caught
and left out; honest strong columns (iris' petals, wine chemistry, breast-cancer measurements, a diamond's size
family) are not called leaks. bench/bench_leakage.py measures the same on real tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_iris, load_wine

from core.data.quality import profile
from core.data.quality.checks import target_leakage as tl
from core.models.columns import select_features


def _leaks(frame: pd.DataFrame, target: str) -> dict[str, object]:
    return {f.column: f for f in profile(frame, target).findings if f.code == "target_leakage"}


def credit_cards(n: int = 1319, seed: int = 0) -> pd.DataFrame:
    """Shaped like AER's CreditCard: card granted for 78%; monthly card spending is 0 for everyone refused and
    for a few granted (a noisy leak removing ~92% of the errors); reports of derogatory marks matter a little."""
    rng = np.random.default_rng(seed)
    reports = rng.poisson(0.45, n)
    income = np.round(rng.lognormal(1.1, 0.45, n), 2)
    age = rng.integers(18, 80, n)
    logit = 1.9 - 1.4 * reports + 0.2 * income
    card = rng.random(n) < 1 / (1 + np.exp(-logit))
    spends = card & (rng.random(n) > 0.025)
    expenditure = np.where(spends, np.round(rng.lognormal(4.5, 1.0, n), 2), 0.0)
    return pd.DataFrame(
        {
            "reports": reports,
            "age": age,
            "income": income,
            "owner": np.where(rng.random(n) < 0.44, "yes", "no"),
            "dependents": rng.integers(0, 4, n),
            "expenditure": expenditure,
            "card": np.where(card, "yes", "no"),
        }
    )


def test_a_noisy_leak_that_stands_alone_is_critical_and_named_with_the_next_best_column() -> None:
    frame = credit_cards()
    strength = next(s.strength for s in tl.measure(frame, "card")[0] if s.column == "expenditure")
    assert 0.85 < strength < 0.95  # the old rule (>= 95% alone) said nothing
    leaks = _leaks(frame, "card")
    f = leaks["expenditure"]
    assert f.severity == "critical" and f.details["rule"] == "stands_out"
    assert f.details["next_column"] == "reports"
    assert f.message.startswith("'expenditure' alone predicts 'card' far better than any other column (")
    assert "the next best, 'reports', removes" in f.message
    assert set(leaks) == {"expenditure"}


def test_a_leak_judged_by_standing_out_is_left_out_of_training_and_can_be_put_back() -> None:
    frame = credit_cards()
    findings = profile(frame, "card").findings
    plan = select_features(frame, "card", findings)
    out = {x.column: x for x in plan.left_out}
    assert out["expenditure"].code == "target_leakage"
    assert out["expenditure"].reason == (
        "may give away the answer: it predicts 'card' far better than any other column on its own "
        "(often it is filled in after the outcome is known)"
    )
    back = select_features(frame, "card", findings, include=["expenditure"])
    assert "expenditure" in back.used and [x.column for x in back.put_back] == ["expenditure"]


def test_a_status_recorded_after_the_outcome_matching_98_percent_is_caught() -> None:
    rng = np.random.default_rng(1)
    n = 2000
    good = rng.random(n) < 0.72
    frame = pd.DataFrame(
        {
            "seniority": rng.integers(0, 30, n) + 3 * good,
            "income": np.round(rng.normal(130, 40, n) + 15 * good),
            "home": rng.choice(["rent", "owner", "parents"], n),
            "amount": rng.integers(100, 3000, n),
            "file_status": np.where(good == (rng.random(n) < 0.98), "archived", "in review"),
            "Status": np.where(good, "good", "bad"),
        }
    )
    f = _leaks(frame, "Status")["file_status"]
    assert f.severity == "critical" and f.details["rule"] == "stands_out"


@pytest.mark.parametrize(
    "name, frame, target",
    [
        ("iris", load_iris(as_frame=True).frame, "target"),
        ("wine", load_wine(as_frame=True).frame, "target"),
        ("breast_cancer", load_breast_cancer(as_frame=True).frame, "target"),
    ],
    ids=["iris", "wine", "breast_cancer"],
)
def test_honest_strong_measurements_are_not_called_leaks(name: str, frame: pd.DataFrame, target: str) -> None:
    strongest = max(s.strength for s in tl.measure(frame, target)[0])
    assert strongest > 0.5  # they are strong columns …
    assert _leaks(frame, target) == {}  # … and not leaks


def test_a_family_of_near_equal_strong_columns_is_one_honest_thing() -> None:
    rng = np.random.default_rng(2)
    n = 3000
    carat = rng.lognormal(-0.4, 0.5, n)
    size = carat ** (1 / 3) * 6.5
    frame = pd.DataFrame(
        {
            "carat": carat,
            "x": size * rng.normal(1, 0.01, n),
            "y": size * rng.normal(1, 0.01, n),
            "z": size * 0.62 * rng.normal(1, 0.01, n),
            "cut": rng.choice(["Fair", "Good", "Ideal"], n),
            "price": np.round(4000 * carat**1.7 * rng.lognormal(0, 0.4, n)),
        }
    )
    found = {s.column: s.strength for s in tl.measure(frame, "price")[0]}
    assert min(found["carat"], found["x"], found["y"]) > 0.75 and max(found.values()) < 0.95
    assert _leaks(frame, "price") == {}


def test_a_group_code_in_a_file_sorted_by_group_does_not_stand_out() -> None:
    rng = np.random.default_rng(3)
    female = rng.random(300) < 0.5
    female[rng.random(300) < 0.06] ^= True  # a few subjects out of order
    order = np.argsort(~female, kind="stable")  # the file lists women first, subjects numbered in file order
    n = 1200
    frame = pd.DataFrame(
        {
            "subject": np.repeat(np.arange(1, 301), 4),
            "visit": np.tile([1, 2, 3, 4], 300),
            "score": rng.normal(50, 10, n),
            "age": np.repeat(rng.integers(20, 70, 300), 4),
            "sex": np.repeat(np.where(female[order], "f", "m"), 4),
        }
    )
    frame.loc[rng.random(n) < 0.05, "sex"] = "f"  # and some noise, so the code is not a perfect copy
    subject = next(s for s in tl.measure(frame, "sex")[0] if s.column == "subject")
    assert subject.strength > 0.8 and subject.follows_rows
    assert "subject" not in _leaks(frame, "sex")


def test_judge_needs_enough_rows_and_other_columns_to_call_a_column_standing_out() -> None:
    strong = tl.Strength("spend", 0.9, {}, None, True, 500)
    weak = [tl.Strength(f"c{i}", 0.2, {}, None, True, 50) for i in range(3)]
    assert tl.judge([strong, *weak], 2, 1000)["spend"].rule == "stands_out"
    assert "spend" not in tl.judge([strong, *weak], 2, 150)  # too few rows to tell
    assert "spend" not in tl.judge([strong, *weak[:2]], 2, 1000)  # too few columns to compare with
    near = tl.Strength("other", 0.45, {}, None, True, 50)
    assert "spend" not in tl.judge([strong, near, *weak], 2, 1000)  # 45 points above: not far enough

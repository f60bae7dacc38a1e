"""The check registry's contract, for every registered check (scikit-learn's check_estimator idea).

Each check: has its metadata (code, title, kinds, threshold with a reason, rule, help), runs on tiny
and awkward frames without failing, and fires on a frame built to trigger it. A check without a
trigger frame here, or a module in ``checks/`` that is not registered, fails a test.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import core.data.quality as quality
from core.data.fixes import FIXES
from core.data.quality import CHECKS, KINDS, SEVERITIES, Check, Finding, profile
from core.data.quality.registry import checks_table

CODES = list(CHECKS)
CONTRACT_CODES = {  # DESIGN.md: "Finding codes are stable snake_case names; at least: …"
    "missing_values", "duplicate_rows", "constant_column", "high_cardinality", "id_like", "mixed_types",
    "outliers", "class_imbalance", "target_leakage", "pii", "too_few_rows",
}


def txt(values: object) -> pd.Series:
    return pd.Series(values, dtype="str")


def rng() -> np.random.Generator:
    return np.random.default_rng(7)


def _daily_with_a_missing_week() -> pd.DataFrame:
    days = pd.date_range("2024-01-01", periods=90, freq="D")
    return pd.DataFrame({"day": days[(days < "2024-02-01") | (days >= "2024-02-08")], "sales": 1.0})


def _target_copy() -> pd.DataFrame:
    y = rng().choice(["stay", "leave"], 300)
    return pd.DataFrame({"churn": txt(y), "cancel_code": np.where(y == "leave", 1, 0), "age": rng().normal(40, 9, 300)})


#: code -> (a frame built to trigger the check, the target to profile it with)
TRIGGERS: dict[str, tuple[Callable[[], pd.DataFrame], str | None]] = {
    "missing_values": (lambda: pd.DataFrame({"income": [1.0, np.nan, 3.0, 4.0, np.nan, 6.0]}), None),
    "duplicate_rows": (lambda: pd.DataFrame({"a": [1, 1, 2, 3], "b": txt(["x", "x", "y", "z"])}), None),
    "constant_column": (lambda: pd.DataFrame({"currency": txt(["EUR"] * 20), "amount": np.arange(20.0)}), None),
    "near_constant": (lambda: pd.DataFrame({"country": txt(["IT"] * 99 + ["FR"])}), None),
    "high_cardinality": (lambda: pd.DataFrame({"city": txt([f"town {i % 60}" for i in range(120)])}), None),
    "rare_categories": (lambda: pd.DataFrame({"grade": txt(["A", "B", "C"] * 10 + ["*"])}), None),
    "id_like": (lambda: pd.DataFrame({"customer_id": txt([f"C{i:05d}" for i in range(200)])}), None),
    "mixed_types": (lambda: pd.DataFrame({"price": txt(["10", "12.5", "n/a", "9"] * 10)}), None),
    "outliers": (lambda: pd.DataFrame({"weight": np.r_[rng().normal(50, 5, 200), 5000.0]}), None),
    "skew": (lambda: pd.DataFrame({"amount": np.exp(rng().normal(0, 1.5, 500))}), None),
    "infinite_values": (lambda: pd.DataFrame({"ratio": [1.0, 2.5, np.inf, 4.0, 5.5]}), None),
    "placeholder_values": (lambda: pd.DataFrame({"city": txt(["Rome", "Paris", "N/A", "Oslo"] * 5)}), None),
    "too_few_rows": (lambda: pd.DataFrame({"a": np.arange(10.0), "b": txt(list("abcdeabcde"))}), None),
    "class_imbalance": (lambda: pd.DataFrame({"fraud": [0] * 95 + [1] * 5, "amount": np.arange(100.0)}), "fraud"),
    "target_leakage": (_target_copy, "churn"),
    "future_dates": (lambda: pd.DataFrame({"order_date": pd.to_datetime(["2021-03-01", "2022-05-01", "2299-12-31"])}), None),
    "date_gaps": (_daily_with_a_missing_week, None),
    "pii": (lambda: pd.DataFrame({"email": txt([f"person{i}@example.com" for i in range(50)])}), None),
}

TINY_FRAMES: dict[str, pd.DataFrame] = {
    "empty": pd.DataFrame({"a": pd.Series([], dtype="float64"), "b": pd.Series([], dtype="str")}),
    "no-columns": pd.DataFrame(index=range(3)),
    "one-row": pd.DataFrame({"a": [1.0], "b": txt(["x"]), "c": pd.to_datetime(["2024-01-01"])}),
    "all-missing": pd.DataFrame({"a": [np.nan] * 4, "b": txt([None] * 4), "y": [1, 0, 1, 0]}),
    "mixed": pd.DataFrame({
        "n": [1.0, np.nan, np.inf, 4.0],
        "i": [1, 2, 3, 4],
        "s": txt(["a", "", None, "d"]),
        "d": pd.to_datetime(["2024-01-01", None, "2024-01-03", "2300-01-01"]),
        "b": [True, False, True, True],
        "y": [0, 1, 0, 1],
    }),
}


def findings_of(check: Check, frame: pd.DataFrame, target: str | None) -> list[Finding]:
    return list(profile(frame, target=target, checks=[check.code]).findings)


def assert_well_formed(found: Finding, check: Check) -> None:
    assert found.code == check.code
    assert found.severity in SEVERITIES
    assert found.message.strip() and found.advice.strip()
    assert found.column is None or isinstance(found.column, str)
    assert {found.fix, *found.other_fixes} - {None} <= set(FIXES)
    json.dumps(found.to_dict(), allow_nan=False)


def test_the_registry_holds_the_contract_codes() -> None:
    assert set(CHECKS) >= CONTRACT_CODES


def test_every_check_has_a_trigger_frame() -> None:
    assert set(TRIGGERS) == set(CHECKS)


def test_every_module_in_checks_is_registered_under_its_own_name() -> None:
    folder = Path(quality.__file__).parent / "checks"
    modules = {p.stem for p in folder.glob("*.py") if p.stem != "__init__"}
    assert modules == set(CHECKS)


def test_the_check_table_in_the_docs_comes_from_the_registry() -> None:
    assert quality.__doc__ is not None and quality.__doc__.endswith(checks_table(CHECKS.values()))
    for code in CHECKS:
        assert re.search(rf"^{code} ", quality.__doc__, re.MULTILINE), code


@pytest.mark.parametrize("check", list(CHECKS.values()), ids=CODES)
def test_check_metadata(check: Check) -> None:
    assert re.fullmatch(r"[a-z]+(_[a-z]+)*", check.code)
    assert check.title and check.title[0].isupper() and not check.title.endswith(".")
    assert check.help.endswith(".") and len(check.help) > 20
    assert check.reason.endswith(".") and len(check.reason) > 20
    assert any(severity in check.rule for severity in SEVERITIES), check.rule  # what it reports, and when
    assert set(check.kinds) <= set(KINDS)
    assert check.threshold is None or math.isfinite(check.threshold)
    assert check.threshold is not None or check.reason.startswith("No threshold")


@pytest.mark.parametrize("frame_name", list(TINY_FRAMES))
@pytest.mark.parametrize("check", list(CHECKS.values()), ids=CODES)
def test_check_runs_on_tiny_and_awkward_frames(check: Check, frame_name: str) -> None:
    frame = TINY_FRAMES[frame_name]
    target = "y" if "y" in frame.columns else None
    for found in findings_of(check, frame, target):  # often none: these frames only must not break a check
        assert_well_formed(found, check)


@pytest.mark.parametrize("check", list(CHECKS.values()), ids=CODES)
def test_check_fires_on_a_frame_built_to_trigger_it(check: Check) -> None:
    make, target = TRIGGERS[check.code]
    found = findings_of(check, make(), target)
    assert found, f"{check.code} found nothing on its trigger frame"
    for f in found:
        assert_well_formed(f, check)


@pytest.mark.parametrize("check", [c for c in CHECKS.values() if c.needs_target], ids=lambda c: c.code)
def test_target_checks_stay_quiet_without_a_target(check: Check) -> None:
    make, _ = TRIGGERS[check.code]
    assert findings_of(check, make(), None) == []

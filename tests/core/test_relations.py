"""explore (issue 20): how columns relate. Reference values from scipy and scikit-learn, the bias-corrected
Cramér's V on known tables, property tests for the ranges and symmetries, awkward columns, the CLI."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.metrics import normalized_mutual_info_score

from core.data.relations import (
    correlation_ratio,
    cramers_v,
    explore,
    explore_text,
    mutual_information,
    spearman,
)
from core.errors import InputError

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"


# --------------------------------------------------------------------------- reference values


def test_spearman_matches_scipy_with_ties_and_missing_values() -> None:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 8, 300).astype(float)
    y = x + rng.normal(0, 3, 300)
    x[::11] = np.nan
    ok = ~np.isnan(x)
    reference = stats.spearmanr(x[ok], y[ok])
    rho, p = spearman(x, y)
    assert rho == pytest.approx(reference.statistic, abs=1e-12)
    assert p == pytest.approx(reference.pvalue, rel=1e-6)


def test_cramers_v_bias_corrected_on_known_tables() -> None:
    # a perfect one-to-one table: V is 1, corrected or not
    assert cramers_v(np.diag([40.0, 30.0, 30.0]))[0] == pytest.approx(1.0)
    # Bergsma's correction by hand on a 2x3 table
    table = np.array([[20.0, 15.0, 5.0], [10.0, 15.0, 35.0]])
    chi2 = stats.chi2_contingency(table, correction=False)[0]
    n, r, k = table.sum(), 2, 3
    phi2 = max(0.0, chi2 / n - (k - 1) * (r - 1) / (n - 1))
    expected = math.sqrt(phi2 / min(k - (k - 1) ** 2 / (n - 1) - 1, r - (r - 1) ** 2 / (n - 1) - 1))
    v, p = cramers_v(table)
    assert v == pytest.approx(expected, abs=1e-12)
    assert p == pytest.approx(stats.chi2_contingency(table, correction=False)[1], rel=1e-9)
    # the correction pulls V below scipy's plain V, and to 0 for independent columns
    assert v < stats.contingency.association(table.astype(int), method="cramer")
    assert cramers_v(np.array([[25.0, 25.0], [25.0, 25.0]]))[0] == 0.0


def test_correlation_ratio_matches_one_way_anova() -> None:
    rng = np.random.default_rng(1)
    codes = rng.integers(0, 4, 400)
    x = codes * 0.7 + rng.normal(size=400)
    eta, p = correlation_ratio(codes, x)
    groups = [x[codes == c] for c in range(4)]
    f, reference_p = stats.f_oneway(*groups)
    eta2 = eta**2
    assert (eta2 / 3) / ((1 - eta2) / (400 - 4)) == pytest.approx(f, rel=1e-9)
    assert p == pytest.approx(reference_p, rel=1e-6)


def test_mutual_information_matches_scikit_learn() -> None:
    rng = np.random.default_rng(2)
    a = rng.integers(0, 5, 1000)
    b = (a + rng.integers(0, 3, 1000)) % 6
    reference = normalized_mutual_info_score(a, b, average_method="geometric")
    assert mutual_information(a, b) == pytest.approx(reference, abs=1e-9)


# --------------------------------------------------------------------------- properties

codes = st.lists(st.integers(0, 4), min_size=2, max_size=60)
numbers = st.lists(st.one_of(st.floats(-1e6, 1e6), st.just(float("nan"))), min_size=2, max_size=60)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_cramers_v_is_within_0_and_1_and_symmetric(data) -> None:
    a = np.asarray(data.draw(codes))
    b = np.asarray(data.draw(st.lists(st.integers(0, 3), min_size=len(a), max_size=len(a))))
    table = np.zeros((5, 4))
    np.add.at(table, (a, b), 1)
    v, _ = cramers_v(table)
    assert 0.0 <= v <= 1.0
    assert cramers_v(table.T)[0] == pytest.approx(v, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_spearman_is_within_minus_1_and_1_and_symmetric(data) -> None:
    x = np.asarray(data.draw(numbers))
    y = np.asarray(data.draw(st.lists(st.floats(-1e6, 1e6), min_size=len(x), max_size=len(x))))
    rho, p = spearman(x, y)
    assert -1.0 <= rho <= 1.0
    assert spearman(y, x)[0] == pytest.approx(rho, abs=1e-12)
    assert p is None or 0.0 <= p <= 1.0


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_correlation_ratio_and_mutual_information_are_within_0_and_1(data) -> None:
    c = np.asarray(data.draw(codes))
    x = np.asarray(data.draw(st.lists(st.floats(-1e6, 1e6), min_size=len(c), max_size=len(c))))
    eta, p = correlation_ratio(c, x)
    assert 0.0 <= eta <= 1.0 and (p is None or 0.0 <= p <= 1.0)
    other = np.asarray(data.draw(st.lists(st.integers(0, 3), min_size=len(c), max_size=len(c))))
    mi = mutual_information(c, other)
    assert 0.0 <= mi <= 1.0
    assert mutual_information(other, c) == pytest.approx(mi, abs=1e-12)


awkward_cells = st.one_of(
    st.none(), st.integers(-5, 5), st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=4),
    st.booleans(), st.datetimes().map(pd.Timestamp),
)  # fmt: skip


@settings(max_examples=40, deadline=None)
@given(
    st.integers(0, 12).flatmap(
        lambda n: st.lists(st.lists(awkward_cells, min_size=n, max_size=n), min_size=1, max_size=4)
    )
)
def test_explore_never_crashes_on_awkward_columns(columns) -> None:
    frame = pd.DataFrame({f"c{i}": pd.Series(col, dtype=object) for i, col in enumerate(columns)})
    found = explore(frame)
    for pair in found.pairs:
        assert pair.measure in ("spearman", "cramers_v", "correlation_ratio")
        assert -1.0 <= pair.strength <= 1.0 and 0.0 <= pair.mutual_information <= 1.0
    json.dumps(found.to_json(), allow_nan=False)
    explore_text(found)


# --------------------------------------------------------------------------- tables


def test_penguins_against_their_species() -> None:
    found = explore(pd.read_csv(DATA / "penguins.csv"), target="species")
    assert found.target is not None
    links = {t.column: t for t in found.target}
    assert links["flipper_length_mm"].measure == "correlation_ratio" and links["flipper_length_mm"].strength > 0.8
    assert links["island"].measure == "cramers_v" and links["island"].strength > 0.5
    assert "typically" in links["flipper_length_mm"].sentence and "'Gentoo'" in links["flipper_length_mm"].sentence
    pair = next(p for p in found.pairs if {p.a, p.b} == {"flipper_length_mm", "body_mass_g"})
    assert pair.measure == "spearman" and pair.strength > 0.8 and pair.enough_data


def test_awkward_columns_are_left_out_with_a_reason() -> None:
    frame = pd.DataFrame(
        {
            "empty": [None] * 40,
            "same": ["x"] * 40,
            "id": [f"row-{i}" for i in range(40)] * 1,
            "when": pd.date_range("2024-01-01", periods=40).astype(str),
            "n": np.arange(40.0),
            "mixed": [1, "a", 2.5, None] * 10,
        }
    )
    frame["id"] = [f"id{i:03d}-{i * 7919 % 1000}" for i in range(40)]
    found = explore(frame)
    assert found.skipped["empty"] == "has no values" and found.skipped["same"] == "has only one value"
    assert {p.measure for p in found.pairs if {p.a, p.b} == {"when", "n"}} == {"spearman"}
    assert explore(frame.head(1)).pairs == ()


def test_a_target_with_one_value_is_refused() -> None:
    with pytest.raises(InputError, match="only one value"):
        explore(pd.DataFrame({"x": [1, 2, 3], "t": ["a", "a", "a"]}), target="t")
    with pytest.raises(InputError, match="no column named 'nope'"):
        explore(pd.DataFrame({"x": [1, 2, 3]}), target="nope")


def test_big_tables_are_sampled_and_say_so() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=60_000), "b": rng.choice(["p", "q"], 60_000)})
    found = explore(frame, target="b")
    assert found.sampled_rows == 20_000 and "random sample" in found.notes[0]


def test_explore_on_the_command_line(keel_home: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "core", "explore", str(DATA / "customer_churn.csv"), "--target", "churned", "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, env={**os.environ, "KEEL_HOME": str(keel_home)},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert {"a", "b", "measure", "strength"} <= set(out["pairs"][0])
    assert {"column", "measure", "strength", "sentence"} <= set(out["target"][0])
    text = subprocess.run(
        [sys.executable, "-m", "core", "explore", str(DATA / "penguins.csv"), "--target", "sex"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, env={**os.environ, "KEEL_HOME": str(keel_home)},
    )  # fmt: skip
    assert text.returncode == 0 and "Against the target:" in text.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "core", "explore", str(DATA / "penguins.csv"), "--target", "wings", "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, env={**os.environ, "KEEL_HOME": str(keel_home)},
    )  # fmt: skip
    assert bad.returncode == 2 and "error:" in bad.stderr and "hint:" in bad.stderr and bad.stdout == ""

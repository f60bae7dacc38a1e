"""Known-answer tests for core.drift: planted changes are found, chance is not."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.spatial import distance
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine

from core.monitoring import drift
from core.monitoring.drift import DriftSettings, compare, compare_series
from core.errors import InputError

CATS = np.array(["north", "south", "east", "west"])
SHARES = np.array([0.40, 0.30, 0.20, 0.10])


def make_frame(n: int, seed: int, *, shift: float = 0.0, shares=SHARES, missing: float = 0.03,
               new_share: float = 0.0) -> pd.DataFrame:
    """A table with a normal, a skewed, an integer, a categorical and a partly empty column."""
    rng = np.random.default_rng(seed)
    region = rng.choice(CATS, size=n, p=shares).astype(object)
    if new_share:
        region[rng.random(n) < new_share] = "offshore"
    filled = rng.normal(50, 10, n)
    filled[rng.random(n) < missing] = np.nan
    return pd.DataFrame(
        {
            "price": rng.normal(100, 15, n) + shift * 15,
            "income": rng.lognormal(10, 0.5, n),
            "visits": rng.poisson(3, n),
            "region": pd.array(region, dtype="str"),
            "score": filled,
        }
    )


def drifted(report) -> list[str]:
    return report.drifted_columns


# --------------------------------------------------------------------------- nothing drifts


def test_same_data_twice_nothing_drifts():
    ref = make_frame(20_000, 1)
    report = compare(ref, ref.copy())
    assert drifted(report) == []
    assert report.dataset_drift is False and report.drift_share == 0.0
    assert all(c.verdict == "no drift" for c in report.columns)
    assert report.column("price").statistic == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("n", [10_000, 100_000, 1_000_000], ids=["10k", "100k", "1M"])
def test_independent_sample_of_same_distribution_not_flagged(n):
    ref, cur = make_frame(n, 11), make_frame(n, 12)
    report = compare(ref, cur)
    assert drifted(report) == [], [c.explain for c in report.columns if c.drifted]
    assert report.n_judged == 5
    # The test may well be "significant" at a million rows; the effect size keeps it quiet.
    assert report.column("price").statistic < 0.03


def test_million_rows_do_not_make_a_trivial_shift_drift():
    ref, cur = make_frame(1_000_000, 3), make_frame(1_000_000, 4, shift=0.05)
    col = compare(ref, cur).column("price")
    assert col.p_value < 1e-9  # the test alone would cry drift
    assert not col.drifted and col.statistic < 0.1


# --------------------------------------------------------------------------- planted changes at 100k


N = 100_000


def test_mean_shift_of_02_sd_detected():
    report = compare(make_frame(N, 21), make_frame(N, 22, shift=0.2))
    col = report.column("price")
    assert drifted(report) == ["price"]
    assert col.method == "wasserstein" and col.statistic == pytest.approx(0.2, abs=0.02)
    assert col.explain.startswith("'price' moved: typical values went from 100")


def test_15_point_change_in_category_share_detected():
    moved = np.array([0.25, 0.45, 0.20, 0.10])  # north 40 % → 25 %, south 30 % → 45 %
    report = compare(make_frame(N, 31), make_frame(N, 32, shares=moved))
    col = report.column("region")
    assert drifted(report) == ["region"]
    assert col.method == "jensen_shannon"
    share = next(c for c in col.checks if c.method == "category_share")
    assert share.drifted and share.statistic == pytest.approx(0.15, abs=0.01)
    assert "went from" in col.explain and "of rows" in col.explain


def test_15_point_change_between_two_even_categories_detected():
    rng = np.random.default_rng(5)
    ref = pd.Series(rng.choice(["yes", "no"], N, p=[0.5, 0.5]))
    cur = pd.Series(rng.choice(["yes", "no"], N, p=[0.35, 0.65]))
    assert compare_series(ref, cur, name="answer").drifted


def test_new_category_holding_5_percent_detected():
    report = compare(make_frame(N, 41), make_frame(N, 42, new_share=0.05))
    col = report.column("region")
    assert drifted(report) == ["region"]
    new = next(c for c in col.checks if c.method == "new_categories")
    assert new.drifted and new.statistic == pytest.approx(0.05, abs=0.005)
    assert new.expected == 0.0


def test_new_category_explained_when_it_decides():
    ref = pd.DataFrame({"plan": ["basic"] * 500 + ["pro"] * 500})
    cur = pd.DataFrame({"plan": ["basic"] * 470 + ["pro"] * 470 + ["gold"] * 60})
    col = compare(ref, cur, thresholds={"plan": {"jensen_shannon": 0.5, "category_share": 0.5}}).column("plan")
    assert col.drifted and col.method == "new_categories"
    assert col.explain == "'plan' has values never seen before in 6% of rows (e.g. 'gold')."


def test_missing_share_rising_from_3_to_25_percent_detected():
    report = compare(make_frame(N, 51), make_frame(N, 52, missing=0.25))
    col = report.column("score")
    assert drifted(report) == ["score"]
    assert col.method == "missing_rate" and col.statistic == pytest.approx(0.22, abs=0.01)
    assert col.explain == "'score' is empty more often: in 2.8% of rows before, 25% now."


def test_values_outside_reference_range_detected():
    rng = np.random.default_rng(6)
    ref = pd.DataFrame({"temp": rng.uniform(0, 30, 5_000)})
    cur = pd.DataFrame({"temp": np.r_[rng.uniform(0, 30, 4_500), rng.uniform(31, 35, 500)]})
    col = compare(ref, cur, thresholds={"temp": {"wasserstein": 1.0, "psi": 5.0}}).column("temp")
    assert col.drifted and col.method == "out_of_range"
    assert col.statistic == pytest.approx(0.10, abs=0.003)
    assert "outside the range seen before: 10% of rows" in col.explain


def test_spread_change_caught_by_psi():
    rng = np.random.default_rng(7)
    ref = pd.DataFrame({"x": rng.normal(0, 1, N)})
    cur = pd.DataFrame({"x": rng.normal(0, 2.5, N)})
    col = compare(ref, cur, thresholds={"x": {"wasserstein": 10.0}}).column("x")
    assert col.drifted and col.method == "psi" and col.statistic > 0.2


def test_dataset_drift_follows_share_and_is_adjustable():
    ref = make_frame(20_000, 61)
    cur = make_frame(20_000, 62, shift=0.5, missing=0.3, shares=np.array([0.1, 0.2, 0.3, 0.4]))
    report = compare(ref, cur)
    assert sorted(drifted(report)) == ["price", "region", "score"]
    assert report.drift_share == pytest.approx(3 / 5)
    assert report.dataset_drift is True
    assert compare(ref, cur, settings=DriftSettings(drift_share=0.7)).dataset_drift is False
    assert report.explain.startswith("The data has drifted: 3 of 5 columns (60%) changed")


# --------------------------------------------------------------------------- small samples


def test_eight_rows_give_no_verdict():
    ref = pd.DataFrame({"x": np.arange(8.0), "c": list("aabbccdd")})
    cur = pd.DataFrame({"x": np.arange(9.0) + 100, "c": list("zzzzzzzzz")})
    report = compare(ref, cur)
    assert drifted(report) == []
    assert {c.verdict for c in report.columns} == {"too few rows"}
    assert report.drift_share is None and report.dataset_drift is False
    assert report.column("x").explain == (
        "'x' cannot be judged yet: the reference has only 8 rows, and at least 50 are needed on each side."
    )


def test_small_samples_need_the_test_to_agree():
    rng = np.random.default_rng(8)
    ref = pd.DataFrame({"x": rng.normal(0, 1, 60)})
    noise = pd.DataFrame({"x": rng.normal(0, 1, 60)})
    col = compare(ref, noise).column("x")
    assert not col.drifted  # the normalised distance is noisy at 60 rows; the KS test holds it back
    moved = pd.DataFrame({"x": rng.normal(1.5, 1, 60)})
    assert compare(ref, moved).column("x").drifted


# --------------------------------------------------------------------------- agreement with scipy


def test_numeric_statistics_agree_with_scipy():
    rng = np.random.default_rng(9)
    a, b = rng.gamma(2.0, 3.0, 4_000), rng.gamma(2.2, 3.0, 3_000)
    col = compare(pd.DataFrame({"v": a}), pd.DataFrame({"v": b})).column("v")
    got = {c.method: c for c in col.checks}
    ks = stats.ks_2samp(a, b)
    assert got["ks"].statistic == pytest.approx(ks.statistic, rel=1e-12)
    assert got["ks"].p_value == pytest.approx(ks.pvalue, rel=1e-9)
    assert got["wasserstein"].statistic == pytest.approx(stats.wasserstein_distance(a, b) / np.std(a), rel=1e-12)


def test_large_sample_fast_path_agrees_with_scipy():
    rng = np.random.default_rng(13)
    a, b = rng.normal(0, 1, 50_000), rng.normal(0.01, 1.05, 40_000)
    a[:500] = np.round(a[:500], 1)  # some ties
    col = compare(pd.DataFrame({"v": a}), pd.DataFrame({"v": b})).column("v")
    got = {c.method: c for c in col.checks}
    ks = stats.ks_2samp(a, b)
    assert got["ks"].statistic == pytest.approx(ks.statistic, rel=1e-12)
    # Above 10 000 rows the p-value comes from Kolmogorov's limiting distribution, scipy's from a
    # finite-n one: both approximations, within a few per cent of each other even far in the tail.
    assert got["ks"].p_value == pytest.approx(ks.pvalue, rel=0.05)
    assert got["wasserstein"].statistic == pytest.approx(stats.wasserstein_distance(a, b) / np.std(a), rel=1e-9)
    edges = np.unique(np.quantile(a, np.linspace(0, 1, 11))[1:-1])
    rc = np.bincount(np.searchsorted(edges, a, side="right"), minlength=len(edges) + 1)
    cc = np.bincount(np.searchsorted(edges, b, side="right"), minlength=len(edges) + 1)
    assert got["psi"].statistic == pytest.approx(drift.psi(rc.astype(float), cc.astype(float)), rel=1e-12)


def test_categorical_statistics_agree_with_scipy():
    ref = pd.Series(["a"] * 300 + ["b"] * 200 + ["c"] * 100)
    cur = pd.Series(["a"] * 200 + ["b"] * 250 + ["c"] * 120 + ["d"] * 30)
    col = compare_series(ref, cur, "categorical", name="letter")
    got = {c.method: c for c in col.checks}
    r, c = np.array([300, 200, 100, 0]), np.array([200, 250, 120, 30])
    assert got["jensen_shannon"].statistic == pytest.approx(distance.jensenshannon(r / r.sum(), c / c.sum()), rel=1e-12)
    chi = stats.chi2_contingency(np.vstack([r, c]), correction=False)
    assert got["chi2"].statistic == pytest.approx(chi.statistic, rel=1e-12)
    assert got["jensen_shannon"].p_value == pytest.approx(chi.pvalue, rel=1e-9)
    assert got["new_categories"].statistic == pytest.approx(30 / 600)


def test_psi_matches_hand_computation():
    ref = np.array([100.0, 200.0, 700.0])
    cur = np.array([150.0, 250.0, 600.0])
    p, q = ref / ref.sum(), cur / cur.sum()
    assert drift.psi(ref, cur) == pytest.approx(np.sum((q - p) * np.log(q / p)))


def test_large_inputs_are_sampled_but_statistics_stay_close_to_exact():
    rng = np.random.default_rng(10)
    a, b = rng.normal(0, 1, 400_000), rng.normal(0.3, 1, 400_000)
    col = compare(pd.DataFrame({"v": a}), pd.DataFrame({"v": b})).column("v")
    exact = stats.wasserstein_distance(a, b) / np.std(a)
    assert col.statistic == pytest.approx(exact, abs=0.01)


# --------------------------------------------------------------------------- real tables


@pytest.mark.parametrize("loader", [load_diabetes, load_wine, load_breast_cancer], ids=["diabetes", "wine", "cancer"])
def test_random_split_of_a_real_table_does_not_drift(loader):
    frame = loader(as_frame=True).frame
    shuffled = frame.sample(frac=1.0, random_state=0).reset_index(drop=True)
    half = len(shuffled) // 2
    report = compare(shuffled.iloc[:half], shuffled.iloc[half:])
    assert drifted(report) == [], [c.explain for c in report.columns if c.drifted]


def test_random_split_of_a_large_real_table_does_not_drift():
    from statsmodels.datasets import randhie

    frame = randhie.load_pandas().data  # 20 190 rows of health-insurance data
    shuffled = frame.sample(frac=1.0, random_state=1).reset_index(drop=True)
    report = compare(shuffled.iloc[:10_000], shuffled.iloc[10_000:])
    assert drifted(report) == [], [c.explain for c in report.columns if c.drifted]


def test_time_split_of_a_real_table_finds_the_real_change():
    from statsmodels.datasets import grunfeld

    frame = grunfeld.load_pandas().data  # 10 US firms, 1935–1954
    early, late = frame[frame.year < 1945], frame[frame.year >= 1945]
    report = compare(early.drop(columns="year"), late.drop(columns="year"))
    assert report.column("capital").drifted and report.column("invest").drifted  # firms grew after the war
    assert not report.column("firm").drifted  # the same ten firms every year


def test_nile_flow_drop_after_1898_found_with_a_lower_row_minimum():
    from statsmodels.datasets import nile

    frame = nile.load_pandas().data
    before, after = frame[frame.year < 1898][["volume"]], frame[frame.year >= 1899][["volume"]]
    assert compare(before, after).column("volume").verdict == "too few rows"  # 27 years < 50
    col = compare(before, after, settings=DriftSettings(min_rows=20)).column("volume")
    assert col.drifted and "went from 1140 to 842." in col.explain  # whole numbers as core.vocab writes them


# --------------------------------------------------------------------------- shape of inputs and outputs


def test_columns_in_only_one_table_are_reported_not_crashing():
    ref = pd.DataFrame({"a": range(100), "old": range(100)})
    cur = pd.DataFrame({"a": range(100), "new": range(100)})
    report = compare(ref, cur)
    assert [c.column for c in report.columns] == ["a", "old", "new"]
    assert report.only_in_reference == ("old",) and report.only_in_current == ("new",)
    assert report.column("old").verdict == "only in reference"
    assert report.column("new").explain == "'new' is missing from the reference."
    assert report.n_judged == 1


def test_datetime_and_id_columns_are_not_compared():
    ref = pd.DataFrame({"when": pd.date_range("2020-01-01", periods=100), "cid": [f"c{i}" for i in range(100)]})
    cur = pd.DataFrame({"when": pd.date_range("2024-01-01", periods=100), "cid": [f"d{i}" for i in range(100)]})
    report = compare(ref, cur, kinds={"cid": "id_like"})
    assert report.column("when").verdict == "not compared" and report.column("when").kind == "datetime"
    assert report.column("cid").verdict == "not compared"
    assert report.drift_share is None


def test_booleans_and_nullable_integers_work():
    rng = np.random.default_rng(12)
    ref = pd.DataFrame({"flag": rng.random(1000) < 0.5, "n": pd.array(rng.integers(0, 9, 1000), dtype="Int64")})
    cur = pd.DataFrame({"flag": rng.random(1000) < 0.9, "n": pd.array([None] * 1000, dtype="Int64")})
    report = compare(ref, cur)
    assert report.column("flag").kind == "categorical" and report.column("flag").drifted
    assert "'true' went from" in report.column("flag").explain
    assert report.column("n").drifted and report.column("n").method == "missing_rate"


def test_per_column_thresholds_bare_number_and_mapping():
    ref, cur = make_frame(N, 71), make_frame(N, 72, shift=0.2)
    assert not compare(ref, cur, thresholds={"price": 0.5}).column("price").drifted
    col = compare(ref, cur, thresholds={"price": {"wasserstein": 0.25}}).column("price")
    assert not col.drifted and col.threshold == 0.25


def test_unknown_threshold_name_is_a_clear_error():
    ref = pd.DataFrame({"x": range(100)})
    with pytest.raises(InputError) as err:
        compare(ref, ref, thresholds={"x": {"wasserstien": 0.2}})
    assert err.value.message == "Unknown drift threshold(s): wasserstien."
    assert "wasserstein" in err.value.hint


def test_unknown_kind_is_a_clear_error():
    ref = pd.DataFrame({"x": range(100)})
    with pytest.raises(InputError, match="Unknown column kind 'number' for 'x'"):
        compare(ref, ref, kinds={"x": "number"})


def test_to_json_matches_cli_contract_and_is_strict_json():
    report = compare(make_frame(5_000, 81), make_frame(5_000, 82, shift=1.0))
    data = json.loads(json.dumps(report.to_json(), allow_nan=False))
    assert isinstance(data["dataset_drift"], bool) and isinstance(data["drift_share"], float)
    for col in data["columns"]:
        assert {"column", "kind", "method", "statistic", "p_value", "threshold", "drifted"} <= set(col)
        assert isinstance(col["drifted"], bool)
    assert data["columns"][0]["column"] == "price" and data["columns"][0]["drifted"] is True


# --------------------------------------------------------------------------- model helpers


class _Doubler:
    task = "regression"

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        return frame["price"].to_numpy() * 2


def test_prediction_and_target_drift():
    ref, cur = make_frame(5_000, 91), make_frame(5_000, 92, shift=1.0)
    pred = drift.prediction_drift(_Doubler(), ref, cur)
    assert pred.column == "prediction" and pred.drifted
    same = drift.target_drift(ref["region"], make_frame(5_000, 93)["region"], "classification")
    assert same.column == "target" and same.kind == "categorical" and not same.drifted


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        ([f"2024-01-{d:02d}" for d in range(1, 29)] * 3, "datetime"),
        ([f"{d:02d}/03/2024" for d in range(1, 29)] * 3, "datetime"),
        ([f"C{i:05d}" for i in range(100)], "id_like"),
        (["This is a long comment about order number %d, written by a customer" % i for i in range(100)], "text"),
        (["basic", "pro", "gold"] * 40, "categorical"),
        (["1.5", "2.5"] * 50, "categorical"),
    ],
    ids=["iso-dates", "dmy-dates", "codes", "free-text", "labels", "decimals-as-text"],
)
def test_kind_inference_for_text_columns(values, kind):
    assert drift.infer_drift_kind(pd.Series(values, dtype="str")) == kind


def test_dates_written_as_text_are_not_flagged_in_a_later_batch():
    ref = pd.DataFrame({"day": pd.date_range("2024-01-01", periods=300).strftime("%Y-%m-%d"), "x": np.arange(300.0) % 7})
    cur = pd.DataFrame({"day": pd.date_range("2025-01-01", periods=300).strftime("%Y-%m-%d"), "x": np.arange(300.0) % 7})
    report = compare(ref, cur)
    assert report.column("day").verdict == "not compared" and report.drifted_columns == []


def test_boolean_columns_match_true_false_written_differently():
    ref = pd.DataFrame({"active": [True, False] * 100})
    cur = pd.DataFrame({"active": ["Yes", "no"] * 100})
    col = compare(ref, cur, kinds={"active": "boolean"}).column("active")
    assert not col.drifted and col.statistic == 0.0


# --------------------------------------------------------------------------- any input: a report or our error

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra.pandas import column, data_frames, range_indexes  # noqa: E402

_frames = data_frames(
    [
        column("f", dtype=float, elements=st.floats(allow_nan=True, allow_infinity=True)),
        column("i", dtype=int, elements=st.integers(-5, 5)),
        column("t", elements=st.sampled_from(["a", "b", "", "ä", None])),
        column("b", dtype=bool),
    ],
    index=range_indexes(min_size=0, max_size=120),
)


@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(ref=_frames, cur=_frames)
def test_any_pair_of_tables_gives_a_strict_json_report(ref, cur):
    report = compare(ref, cur)
    data = json.loads(json.dumps(report.to_json(), allow_nan=False))
    assert len(data["columns"]) == 4
    assert all(isinstance(c["drifted"], bool) for c in data["columns"])
    assert (data["drift_share"] is None) == (report.n_judged == 0)


def test_histograms_for_charts_hold_shares_not_rows():
    report = compare(make_frame(5_000, 101), make_frame(5_000, 102, shift=1.0))
    price = report.column("price").histogram
    assert len(price["edges"]) == 31 and len(price["reference"]) == 30
    assert sum(price["reference"]) == pytest.approx(1.0) and sum(price["current"]) == pytest.approx(1.0)
    ref_mid = np.average(np.diff(price["edges"]) / 2 + price["edges"][:-1], weights=price["reference"])
    cur_mid = np.average(np.diff(price["edges"]) / 2 + price["edges"][:-1], weights=price["current"])
    assert cur_mid - ref_mid == pytest.approx(15, abs=1.0)  # a 1-sd shift of a 15-sd column
    region = report.column("region").histogram
    assert region["labels"][0] == "north" and region["reference"][0] == pytest.approx(0.4, abs=0.02)


def test_out_of_range_p_values_hold_their_level_on_random_halves() -> None:
    from core.monitoring.drift.stats import outside_range_p

    # one new value outside: 1 - n(n-1) / (N(N-1)) exactly
    assert outside_range_p(1, 100, 100) == pytest.approx(1 - 100 * 99 / (200 * 199))
    assert outside_range_p(0, 10, 10) == 1.0 and outside_range_p(11, 10, 10) == 0.0
    rng = np.random.default_rng(0)
    p = []
    for _ in range(2000):
        a, b = rng.normal(size=100), rng.normal(size=100)
        p.append(outside_range_p(int(((b < a.min()) | (b > a.max())).sum()), 100, 100))
    assert np.mean(np.array(p) < 0.01) <= 0.015  # the binomial it replaces flagged 3-5 %
    shifted = rng.normal(size=100) + 1.5
    a = rng.normal(size=100)
    assert outside_range_p(int((shifted > a.max()).sum()), 100, 100) < 0.001


def test_never_seen_values_are_judged_as_whole_values_not_single_rows() -> None:
    from core.monitoring.drift.stats import unseen_excess_p

    rng = np.random.default_rng(1)
    p = []
    for _ in range(1000):  # many rare values (tail numbers, airports): a random split
        x = pd.Series(rng.zipf(1.6, size=1000)).astype(str)
        ref, cur = x[:500].value_counts(), x[500:].value_counts()
        p.append(unseen_excess_p(int(cur[~cur.index.isin(ref.index)].sum()), ref, cur)[0])
    assert np.mean(np.array(p) < 0.01) <= 0.02
    ref = pd.Series({"a": 300, "b": 200})
    cur = pd.Series({"a": 150, "b": 100, "new": 60})  # 60 rows of a value never seen: real change
    p_new, expected = unseen_excess_p(60, ref, cur)
    assert p_new < 1e-6 and expected < 0.01


def test_a_moved_yes_no_column_is_described_by_its_share_of_ones() -> None:
    rng = np.random.default_rng(4)
    ref = pd.DataFrame({"flag": (rng.random(4000) < 0.6).astype(int)})
    cur = pd.DataFrame({"flag": (rng.random(4000) < 0.9).astype(int)})
    col = compare(ref, cur, kinds={"flag": "numeric"}).column("flag")
    assert col.drifted
    assert "typical values went from 1" not in col.explain
    assert col.explain == "'flag' moved: it was 1 in 59% of rows before and 90% now."


def test_plain_numbers_keep_years_as_years() -> None:
    from core.monitoring.drift import fmt_number

    assert fmt_number(2013.0) == "2013" and fmt_number(1999) == "1999"
    assert fmt_number(12345.0) == "12,345" and fmt_number(1234.5) == "1,234"


def test_whole_numbers_are_written_whole_and_the_table_verdict_says_what_it_means() -> None:
    rng = np.random.default_rng(8)
    ref = pd.DataFrame({"visits": rng.poisson(1.2, 3000).astype(float), "spend": rng.normal(50, 10, 3000)})
    cur = pd.DataFrame({"visits": rng.poisson(6.0, 3000).astype(float), "spend": rng.normal(50, 10, 3000)})
    report = compare(ref, cur)
    assert report.column("visits").explain == "'visits' moved: typical values went from 1 to 6."
    assert "1.000" not in report.explain and "6.000" not in report.explain
    assert report.verdict == "1 of 2 columns moved (50%), at or above the 50% share that counts as the whole table " \
                             "drifting: the table has drifted."
    assert report.to_json()["verdict"] == report.verdict
    steady = compare(ref[["spend"]], cur[["spend"]])
    assert steady.verdict == "0 of 1 column moved (0%), below the 50% share that counts as the whole table drifting."
    from core.monitoring.drift.wording import scaled

    assert (scaled(6.0, 1.0), scaled(6.25, 1.0), scaled(1140.0, 170.0), scaled(0.12345, 0.5)) == ("6", "6.25", "1140", "0.123")

"""The data check's false alarms and odd sentences from issue 16, one test each: a monthly series judged as a
series, seasonal peaks that are not outliers, a missingness sentence that says something, labels seen once,
and a duplicate fix that would delete most of the table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.data import apply_fix, profile
from core.data.quality.timeline import seasonal_residuals

MONTHS = 144  # 12 years of monthly data


def txt(values: list) -> pd.Series:
    return pd.Series(values, dtype="str")


def monthly(values: np.ndarray, start: str = "2010-01-01") -> pd.DataFrame:
    return pd.DataFrame({"Month": pd.date_range(start, periods=len(values), freq="MS"), "Sales": values})


def seasonal(seed: int, kind: str) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(MONTHS)
    december = t % 12 == 11
    if kind == "december-peak":  # takings that jump every December, on a slow trend
        return 100 + 0.2 * t + np.where(december, 60, 0) + rng.normal(0, 3, MONTHS)
    if kind == "december-double":  # December worth 1.8 ordinary months
        return 100 * np.where(december, 1.8, 1.0) * rng.normal(1, 0.03, MONTHS)
    if kind == "august-dip":  # a shop closed half of August
        return 100 - np.where(t % 12 == 7, 50, 0) + rng.normal(0, 3, MONTHS)
    return rng.normal(50, 5, MONTHS)  # plain noise


def codes(frame: pd.DataFrame, target: str | None = None) -> dict[str, list]:
    out: dict[str, list] = {}
    for f in profile(frame, target=target).findings:
        out.setdefault(f.code, []).append(f)
    return out


# --- too_few_rows: judged by what the data is for -------------------------------------------------------


@pytest.mark.parametrize("target", [None, "Sales"], ids=["no-target", "numeric-target"])
def test_twelve_years_of_months_are_enough_for_a_series(target: str | None) -> None:
    found = codes(monthly(seasonal(0, "december-peak")), target)
    assert "too_few_rows" not in found  # was: "The table has only 144 rows." + "collect a few hundred"


def test_a_short_series_is_told_in_dates_not_rows() -> None:
    (f,) = codes(monthly(seasonal(0, "december-peak")[:18]))["too_few_rows"]
    assert f.severity == "info" and f.message == "'Month' covers only 18 months."
    assert "24 months or more" in f.advice and "a few hundred" not in f.advice


def test_a_very_short_series_is_a_warning() -> None:
    (f,) = codes(monthly(seasonal(0, "december-peak")[:11]))["too_few_rows"]
    assert f.severity == "warning" and "covers only 11 months" in f.message


def test_irregular_dates_are_not_a_series() -> None:
    rng = np.random.default_rng(0)
    sold = pd.Timestamp("2020-01-01") + pd.to_timedelta(np.sort(rng.integers(0, 2000, 144)), unit="D")
    frame = pd.DataFrame({"sold": sold, "price": rng.normal(300, 40, 144)})
    (f,) = codes(frame, "price")["too_few_rows"]
    assert f.message == "The table has only 144 rows."  # house sales: rows are examples, not periods


def test_classification_with_few_rows_per_answer_is_flagged() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=240), "kind": txt(list(np.repeat(list("abcdefghijkl"), 20)))})
    (f,) = codes(frame, "kind")["too_few_rows"]
    assert f.severity == "warning"
    assert f.message == (
        "The table has 240 rows for 12 different answers in 'kind' (about 20 rows per answer; 30 or more each is safer)."
    )


def test_a_dated_classification_table_is_still_judged_by_its_rows() -> None:
    frame = monthly(seasonal(0, "noise")).assign(busy=txt(["yes", "no"] * 72))
    (f,) = codes(frame, "busy")["too_few_rows"]
    assert f.message == "The table has only 144 rows."


# --- outliers: a seasonal column judged against its season and trend --------------------------------------


@pytest.mark.parametrize("kind", ["december-peak", "december-double", "august-dip"])
def test_seasonal_peaks_are_not_unusual_values(kind: str) -> None:
    frame = monthly(seasonal(1, kind))
    raw = codes(frame.drop(columns="Month"))  # judged as a plain column: every peak looks far out
    assert raw["outliers"][0].details["count"] >= 3
    assert "outliers" not in codes(frame)  # was: "'Sales' has 12 values far outside the usual range"


@pytest.mark.parametrize("kind", ["december-peak", "december-double", "august-dip", "noise"])
def test_seasonal_judgement_rarely_cries_wolf(kind: str) -> None:
    alarms = sum("outliers" in codes(monthly(seasonal(seed, kind))) for seed in range(20))
    assert alarms <= 1


def test_the_first_and_last_dates_of_a_steady_climb_are_not_unusual() -> None:
    alarms = 0
    for seed in range(10):  # 50 years of quarters growing 1% a quarter: a window cut short must not lag behind
        rng = np.random.default_rng(seed)
        values = 2700 * np.exp(0.01 * np.arange(200) + np.cumsum(rng.normal(0, 0.002, 200)))
        quarters = pd.date_range("1959-01-01", periods=200, freq="QS")
        alarms += "outliers" in codes(pd.DataFrame({"quarter": quarters, "gdp": values}))
    assert alarms <= 1


def test_a_typo_in_a_seasonal_series_is_still_found_with_its_date() -> None:
    values = seasonal(1, "december-peak")
    values[50] = 9999.0
    (f,) = codes(monthly(values))["outliers"]
    assert f.severity == "warning" and f.details["count"] >= 1
    assert f.message.startswith("'Sales' has ")
    assert "9999 (2014-03)" in f.message and "Peaks that come back every year are not counted." in f.message


@pytest.mark.parametrize("kind", ["december-peak", "december-double", "august-dip"])
def test_seasonal_peaks_do_not_make_a_series_lopsided(kind: str) -> None:
    frame = monthly(seasonal(1, kind))
    assert "skew" in codes(frame.drop(columns="Month"))  # the same numbers without their dates are lopsided
    assert "skew" not in codes(frame)  # was: "'Sales' is strongly skewed … consider log(1 + Sales)"


def test_a_lopsided_series_is_still_called_lopsided() -> None:
    rng = np.random.default_rng(3)
    days = pd.date_range("2024-01-01", periods=600, freq="D")
    frame = pd.DataFrame({"day": days, "orders": np.round(np.exp(rng.normal(0, 1.5, 600)) * 10)})
    assert "skew" in codes(frame)


def test_seasonal_residuals_leave_a_repeating_peak_and_the_ends_alone() -> None:
    rest, log = seasonal_residuals(seasonal(0, "december-peak"), 12)
    assert log
    q1, q3 = np.nanquantile(rest, [0.25, 0.75])
    assert np.nanmax(np.abs(rest)) < 3 * (q3 - q1) + max(abs(q1), abs(q3))  # the last December too


# --- missing_values: a sentence that does not contradict itself -------------------------------------------


def _debt_frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 2000
    debt = np.where(rng.random(n) < 0.6, 0, rng.lognormal(7, 1, n)).round()
    income = rng.normal(50_000, 9_000, n)
    income[rng.random(n) < np.where(debt == 0, 0.35, 0.05)] = np.nan
    return pd.DataFrame({"Debt": debt, "Income": income, "x": rng.normal(size=n)})


def test_equal_medians_are_not_called_lower() -> None:
    (f,) = codes(_debt_frame())["missing_values"]
    assert "median 0 where missing, 0 where present" not in f.message
    assert "it is missing more often when 'Debt' is 0 ('Debt' is 0 in 92% of the rows where 'Income' is missing, " in (
        f.message
    )


def test_different_medians_keep_the_median_sentence() -> None:
    rng = np.random.default_rng(0)
    n = 2000
    age = rng.uniform(18, 80, n)
    income = rng.normal(50_000, 9_000, n)
    income[rng.random(n) < np.where(age > 60, 0.5, 0.02)] = np.nan
    (f,) = codes(pd.DataFrame({"Age": age, "Income": income}))["missing_values"]
    assert "it is missing more often when 'Age' is higher (median " in f.message


# --- rare_categories: a label seen in one row -------------------------------------------------------------


def test_a_label_seen_once_is_flagged_with_a_fix() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"grade": txt([*rng.choice(["A", "B", "C"], 99), "*"]), "x": rng.normal(size=100)})
    (f,) = codes(frame)["rare_categories"]
    assert f.column == "grade" and f.severity == "info"
    assert f.message == "In 'grade', 1 value appears in only one row: '*'."
    assert f.fix == "clear_rare"
    fixed, what = apply_fix(frame, "clear_rare", "grade")
    assert what == "Emptied 1 value seen once in 'grade' ('*'); it now counts as missing."
    assert fixed["grade"].isna().sum() == 1 and "*" not in set(fixed["grade"].dropna())


def test_several_labels_seen_once_can_be_grouped() -> None:
    frame = pd.DataFrame({"city": txt(["Rome", "Oslo"] * 20 + ["Leeds", "York", "Bari"])})
    (f,) = codes(frame)["rare_categories"]
    assert f.message == "In 'city', 3 values each appear in only one row: 'Leeds', 'York' and 'Bari'."
    assert f.fix == "group_rare" and f.other_fixes == ("clear_rare",)
    fixed, what = apply_fix(frame, "group_rare", "city")
    assert fixed["city"].value_counts()["Other"] == 3
    assert what == "Grouped 3 values seen in only one row in 'city' ('Leeds', 'York' and 'Bari') as 'Other'."


def test_rare_labels_of_the_target_and_of_many_label_columns_are_left_to_other_checks() -> None:
    frame = pd.DataFrame({"y": txt(["a", "b"] * 20 + ["c"]), "town": txt([f"t{i}" for i in range(41)])})
    assert "rare_categories" not in codes(frame, "y")


# --- duplicate_rows: removing most of the table is never one click ---------------------------------------


def test_duplicates_after_dropping_an_identifier_are_not_a_one_click_fix() -> None:
    rng = np.random.default_rng(0)
    n = 1000
    frame = pd.DataFrame(
        {"a": txt(list(rng.choice(["x", "y"], n))), "b": rng.integers(0, 3, n), "c": rng.integers(0, 4, n)}
    )
    (f,) = codes(frame)["duplicate_rows"]
    assert f.details["share"] > 0.9
    assert f.fix is None and f.other_fixes == ("drop_duplicates",)
    assert f.message.endswith(f"Removing them would delete {f.details['share']:.0%} of the rows.")
    _, what = apply_fix(frame, "drop_duplicates")
    assert what.startswith("Removed 976 duplicate rows, 98% of the table")


def test_a_file_loaded_twice_warns_plainly() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"id": np.arange(500), "amount": rng.normal(100, 10, 500)})
    (f,) = codes(pd.concat([frame, frame], ignore_index=True))["duplicate_rows"]
    assert f.severity == "warning" and f.fix is None and "Check before removing them." in f.advice


def test_a_few_copies_keep_the_one_click_fix() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"id": np.arange(500), "amount": rng.normal(100, 10, 500)})
    (f,) = codes(pd.concat([frame, frame.head(20)], ignore_index=True))["duplicate_rows"]
    assert f.fix == "drop_duplicates" and "Removing them" not in f.message


# --- a monthly file as it is usually written (1949-01): read as dates, judged as a series -------------------

AIR = (
    "112 118 132 129 121 135 148 148 136 119 104 118 115 126 141 135 125 149 170 170 158 133 114 140 "
    "145 150 178 163 172 178 199 199 184 162 146 166 171 180 193 181 183 218 230 242 209 191 172 194 "
    "196 196 236 235 229 243 264 272 237 211 180 201 204 188 235 227 234 264 302 293 259 229 203 229 "
    "242 233 267 269 270 315 364 347 312 274 237 278 284 277 317 313 318 374 413 405 355 306 271 306 "
    "315 301 356 348 355 422 465 467 404 347 305 336 340 318 362 348 363 435 491 505 404 359 310 337 "
    "360 342 406 396 420 472 548 559 463 407 362 405 417 391 419 461 472 535 622 606 508 461 390 432"
)


def test_air_passengers_as_a_csv_has_nothing_to_complain_about(tmp_path) -> None:
    from core.data import read_table

    path = tmp_path / "airline.csv"
    months = pd.date_range("1949-01-01", periods=MONTHS, freq="MS").strftime("%Y-%m")
    pd.DataFrame({"Month": months, "Passengers": [int(v) for v in AIR.split()]}).to_csv(path, index=False)
    table = read_table(path, name=path.name)
    assert str(table.frame["Month"].dtype).startswith("datetime64")  # was: text, then 'looks like an identifier'
    assert "'Month': read as months (each as its first day)." in table.notes
    assert profile(table.frame).findings == ()  # was: "only 144 rows" and "'Month' looks like an identifier"


def test_a_year_month_column_with_a_bad_value_is_still_read(tmp_path) -> None:
    from core.data import read_table

    path = tmp_path / "m.csv"
    months = [*pd.date_range("2000-01-01", periods=199, freq="MS").strftime("%Y-%m"), "2016-13"]
    pd.DataFrame({"m": months, "v": range(200)}).to_csv(path, index=False)
    table = read_table(path, name=path.name)
    assert table.frame["m"].isna().sum() == 1 and any("2016-13" in note for note in table.notes)

"""Column kinds, statistics and every data-quality check, on hand-made tables with known answers."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from core.data import fixes
from core.data.quality import CHECKS, SEVERITIES, Finding, infer_kinds, profile
from core.errors import InputError

RNG = np.random.default_rng(12345)


@pytest.fixture(autouse=True)
def _fresh_rng() -> None:
    """Every test sees the same random numbers, whether run alone or with the others."""
    global RNG
    RNG = np.random.default_rng(12345)


def txt(values: object) -> pd.Series:
    return pd.Series(values, dtype="str")


def found(frame: pd.DataFrame, code: str, column: str | None = None, **kw: object) -> list[Finding]:
    p = profile(frame, checks=[code], **kw)
    return [f for f in p.findings if f.code == code and (column is None or f.column == column)]


def one(frame: pd.DataFrame, code: str, column: str | None = None, **kw: object) -> Finding:
    result = found(frame, code, column, **kw)
    assert len(result) == 1, result
    return result[0]


# ----------------------------------------------------------------------------------------------
# Kinds
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        (pd.Series([1.5] * 50), "constant"),
        (pd.Series([np.nan] * 50), "constant"),
        (txt(["EUR"] * 40 + [None] * 10), "constant"),
        (pd.Series([True, False] * 25), "boolean"),
        (pd.Series([1, 0, 0, 1] * 10), "boolean"),
        (txt(["yes", "no", "No", "YES"] * 10), "boolean"),
        (txt(["Y", "N"] * 20), "boolean"),
        (pd.Series(pd.date_range("2024-01-01", periods=50)), "datetime"),
        (pd.Series(RNG.normal(size=50)), "numeric"),
        (pd.Series(RNG.integers(1, 6, 2000)), "numeric"),  # 1-5 ratings stay numeric (ordinal)
        (pd.Series(RNG.integers(0, 10**6, 1000)), "numeric"),  # unique-ish amounts, not sequential
        (pd.Series(np.arange(5000)), "id_like"),  # row numbers
        (pd.Series(RNG.permutation(np.arange(100_000, 102_000))), "id_like"),  # dense codes
        (pd.Series(RNG.normal(size=5000)), "numeric"),  # unique floats are never ids
        (txt([f"ORD-{i:06d}" for i in range(300)]), "id_like"),
        (txt([f"{i:08x}-aaaa-bbbb-cccc-{i:012x}" for i in range(300)]), "id_like"),  # UUID-like: no words
        (txt(RNG.choice(["red", "green", "blue"], 300)), "categorical"),
        (txt([f"the parcel arrived {i} days late and the box was damaged" for i in range(100)]), "text"),
    ],
    ids=["const-num", "all-missing", "const-text", "bool", "zero-one", "yes-no", "y-n", "dates",
         "floats", "ratings", "amounts", "row-number", "dense-codes", "unique-floats", "order-codes",
         "uuid", "labels", "free-text"],
)
def test_infer_kind(values: pd.Series, kind: str) -> None:
    assert infer_kinds(pd.DataFrame({"col": values})) == {"col": kind}


def test_id_by_name_needs_high_uniqueness() -> None:
    frame = pd.DataFrame({
        "customer_id": [3, 1, 2, 5, 4],
        "store_id": [1, 1, 2, 2, 1],  # a foreign key with repeats is not an identifier
        "uuid": txt(["a1", "b2", "c3", "d4", "e5"]),
    })
    assert infer_kinds(frame) == {"customer_id": "id_like", "store_id": "numeric", "uuid": "id_like"}


def test_kind_overrides_are_applied_and_marked() -> None:
    frame = pd.DataFrame({"store": RNG.integers(1, 40, 300), "x": RNG.normal(size=300)})
    p = profile(frame, kinds={"store": "categorical"})
    store = p.column("store")
    assert (store.kind, store.kind_source) == ("categorical", "user")
    assert p.column("x").kind_source == "inferred"
    assert "top" in store.stats


def test_numeric_override_converts_numbers_written_as_text() -> None:
    frame = pd.DataFrame({"price": txt(["1,200", "3", "4.5", None])})
    p = profile(frame, kinds={"price": "numeric"})
    assert p.column("price").stats["max"] == 1200.0


def test_numeric_override_on_words_is_refused_with_a_hint() -> None:
    frame = pd.DataFrame({"city": txt(["Paris", "Rome", "12"])})
    with pytest.raises(InputError) as err:
        profile(frame, kinds={"city": "numeric"})
    assert err.value.message == "'city' can't be treated as numbers: 2 values are not numbers (e.g. 'Paris')."
    assert err.value.hint == "Choose 'categorical' or 'text' for 'city', or fix those values in the file."


def test_datetime_override_parses_text_dates() -> None:
    frame = pd.DataFrame({"when": txt(["2024-01-05", "2024-02-01", None])})
    p = profile(frame, kinds={"when": "datetime"})
    assert p.column("when").stats["min"].startswith("2024-01-05")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"target": "nope"}, "There is no column 'nope' to predict in this table."),
        ({"kinds": {"nope": "numeric"}}, "There is no column 'nope' in this table."),
        ({"kinds": {"a": "number"}}, "'number' is not a column kind."),
        ({"checks": ["nope"]}, "There is no check called 'nope'."),
        ({"thresholds": {"nope": 1}}, "There is no check called 'nope'."),
    ],
    ids=["target", "override-column", "override-kind", "check", "threshold"],
)
def test_bad_arguments_are_input_errors(kwargs: dict, message: str) -> None:
    with pytest.raises(InputError) as err:
        profile(pd.DataFrame({"a": [1, 2]}), **kwargs)
    assert err.value.message == message
    assert err.value.hint


def test_not_a_dataframe_and_duplicate_names_are_input_errors() -> None:
    with pytest.raises(InputError, match="Expected a table"):
        profile([1, 2, 3])  # type: ignore[arg-type]
    frame = pd.DataFrame([[1, 2]], columns=["a", "a"])
    with pytest.raises(InputError, match="more than one column called 'a'"):
        profile(frame)


# ----------------------------------------------------------------------------------------------
# Statistics
# ----------------------------------------------------------------------------------------------


def _skew(x: np.ndarray) -> float:
    d = x - x.mean()
    return float((d**3).mean() / (d**2).mean() ** 1.5)


@pytest.mark.parametrize(
    "values",
    [RNG.normal(10, 3, 2001), RNG.integers(0, 7, 3000).astype(float), RNG.lognormal(0, 1, 500)],
    ids=["continuous", "few-distinct", "skewed"],
)
def test_numeric_stats_are_exact(values: np.ndarray) -> None:
    x = values.copy()
    x[::50] = np.nan
    stats = profile(pd.DataFrame({"x": x})).column("x").stats
    v = x[~np.isnan(x)]
    q = np.percentile(v, [0, 25, 50, 75, 100])
    assert stats["count"] == len(v)
    assert stats["mean"] == pytest.approx(v.mean())
    assert stats["std"] == pytest.approx(v.std(ddof=1))
    assert [stats[k] for k in ("min", "p25", "median", "p75", "max")] == pytest.approx(q)
    assert stats["skew"] == pytest.approx(_skew(v), rel=1e-6, abs=1e-9)
    assert stats["zeros_share"] == pytest.approx(np.mean(v == 0))


def test_stats_for_other_kinds_and_json() -> None:
    frame = pd.DataFrame({
        "city": txt(["Rome"] * 5 + ["Oslo"] * 3 + ["Bern"] * 2),
        "when": pd.to_datetime(["2024-01-0%d" % i for i in range(1, 10)] + [None]),
        "note": txt([f"a note with several words in it {i}" for i in range(10)]),
        "ok": [True] * 7 + [False] * 3,
    })
    p = profile(frame)
    assert p.column("city").stats["top"][:2] == [{"value": "Rome", "count": 5}, {"value": "Oslo", "count": 3}]
    assert p.column("when").stats["min"] == "2024-01-01T00:00:00"
    assert p.column("when").stats["max"] == "2024-01-09T00:00:00"
    assert p.column("note").kind == "text"
    assert p.column("note").stats["mean_length"] == pytest.approx(frame["note"].str.len().mean())
    assert p.column("ok").stats["true_share"] == pytest.approx(0.7)
    assert p.column("when").missing_share == pytest.approx(0.1) and p.column("when").n_missing == 1
    json.dumps(p.to_dict())  # plain JSON all the way down


# ----------------------------------------------------------------------------------------------
# missing_values
# ----------------------------------------------------------------------------------------------


def test_missing_values_message_and_severity() -> None:
    age = np.arange(5000, dtype=float)
    age[:412] = np.nan
    f = one(pd.DataFrame({"age": RNG.permutation(age)}), "missing_values")
    assert f.message == "'age' is missing in 412 of 5,000 rows (8.2%)."
    assert f.severity == "warning"
    assert f.advice.startswith("Keel's models fill the gaps themselves")
    assert f.details["missing"] == 412


@pytest.mark.parametrize(("share", "severity", "fix"),
                         [(0.02, "info", "drop_rows_missing"), (0.2, "warning", None), (0.7, "critical", "drop_column")])
def test_missing_values_severity_levels(share: float, severity: str, fix: str | None) -> None:
    x = RNG.normal(size=1000)
    x[: int(share * 1000)] = np.nan
    f = one(pd.DataFrame({"x": RNG.permutation(x), "y": RNG.normal(size=1000)}), "missing_values")
    assert (f.severity, f.fix) == (severity, fix)


def test_missing_values_that_follow_another_column_are_explained() -> None:
    n = 2000
    job = RNG.choice(["employed", "student", "retired"], n)
    income = RNG.normal(40_000, 5_000, n)
    income[(job == "student") & (RNG.random(n) < 0.9)] = np.nan
    frame = pd.DataFrame({"job": txt(job), "income": income, "noise": RNG.normal(size=n)})
    f = one(frame, "missing_values", "income")
    assert "The gaps are not random" in f.message and "where 'job' is 'student'" in f.message
    assert f.details["associated_with"][0]["column"] == "job"
    assert f.fix is None  # dropping these rows would skew the data
    assert "'job'" in f.advice


def test_missing_values_at_random_have_no_association() -> None:
    n = 2000
    x = RNG.normal(size=n)
    x[RNG.random(n) < 0.2] = np.nan
    frame = pd.DataFrame({"x": x, "a": RNG.normal(size=n), "b": txt(RNG.choice(list("abc"), n))})
    f = one(frame, "missing_values", "x")
    assert f.details["associated_with"] == [] and "not random" not in f.message


def test_missing_target_rows() -> None:
    y = RNG.integers(0, 2, 300).astype(float)
    y[:30] = np.nan
    f = one(pd.DataFrame({"y": y, "x": RNG.normal(size=300)}), "missing_values", "y", target="y")
    assert f.fix == "drop_rows_missing" and f.severity == "warning"
    assert "can't be used to train" in f.advice


def test_no_missing_no_finding() -> None:
    assert found(pd.DataFrame({"x": [1.0, 2.0, 3.0]}), "missing_values") == []


# ----------------------------------------------------------------------------------------------
# duplicate_rows
# ----------------------------------------------------------------------------------------------


def test_duplicate_rows_are_counted_exactly() -> None:
    frame = pd.DataFrame({"a": [1, 2, 3, 1, 2, 1], "b": txt(["x", "y", "z", "x", "y", "x"]), "c": [0.5] * 6})
    f = one(frame, "duplicate_rows")
    assert f.details["duplicates"] == 3
    assert f.message == (
        "3 rows are exact copies of earlier rows (50% of 6); e.g. row 4 repeats row 1. "
        "Removing them would delete 50% of the rows."
    )
    assert f.fix is None and f.other_fixes == ("drop_duplicates",)  # half the table: a choice, not one click


def test_missing_values_count_as_equal_when_comparing_rows() -> None:
    frame = pd.DataFrame({"a": [np.nan, np.nan, 1.0], "b": txt([None, None, "q"]), "c": RNG.normal(size=3)})
    frame.loc[1, "c"] = frame.loc[0, "c"]
    assert one(frame, "duplicate_rows").details["duplicates"] == 1


def test_duplicates_match_pandas_on_a_larger_table() -> None:
    n = 20_000
    frame = pd.DataFrame({
        "k": RNG.integers(0, 3000, n),  # repeats, so every path (candidate rows, packing, hashing) runs
        "v": RNG.integers(0, 4, n).astype(float),
        "s": txt(RNG.choice(["a", "b", None], n)),
        "t": pd.to_datetime(RNG.integers(0, 3, n), unit="D"),
    })
    frame = pd.concat([frame, frame.sample(700, random_state=1)], ignore_index=True)
    f = one(frame, "duplicate_rows")
    assert f.details["duplicates"] == int(frame.duplicated().sum())


def test_no_duplicates_when_a_column_is_unique() -> None:
    assert found(pd.DataFrame({"id": range(100), "x": [1] * 100}), "duplicate_rows") == []


def test_duplicates_expected_in_few_combinations_are_info() -> None:
    frame = pd.DataFrame({"q1": RNG.integers(1, 4, 500), "q2": RNG.integers(1, 4, 500)})
    f = one(frame, "duplicate_rows")
    assert f.severity == "info" and f.details["expected"] is True


def test_many_unexpected_duplicates_are_critical() -> None:
    base = pd.DataFrame({"x": RNG.normal(size=800), "y": RNG.normal(size=800)})
    frame = pd.concat([base, base.iloc[:200]], ignore_index=True)
    assert one(frame, "duplicate_rows").severity == "critical"


# ----------------------------------------------------------------------------------------------
# constant_column / near_constant
# ----------------------------------------------------------------------------------------------


def test_constant_and_empty_columns() -> None:
    frame = pd.DataFrame({"cur": txt(["EUR"] * 4), "gone": [np.nan] * 4, "x": [1, 2, 3, 4]})
    by_col = {f.column: f for f in found(frame, "constant_column")}
    assert by_col["cur"].message == "'cur' has the same value in every row ('EUR')."
    assert by_col["gone"].message == "'gone' is empty: it has no values in any of the 4 rows."
    assert by_col["cur"].fix == "drop_column" and "x" not in by_col
    # an all-empty column is reported once, here, not again under missing_values
    assert found(frame, "missing_values") == []


def test_constant_target_is_critical() -> None:
    f = one(pd.DataFrame({"y": [1] * 10, "x": range(10)}), "constant_column", "y", target="y")
    assert f.severity == "critical" and f.fix is None and "nothing to predict" in f.advice


def test_near_constant() -> None:
    frame = pd.DataFrame({
        "country": txt(["DE"] * 995 + ["FR"] * 5),
        "mostly": txt(["a"] * 900 + ["b"] * 100),
    })
    f = one(frame, "near_constant")
    assert f.column == "country"
    assert f.message == "'country' is 'DE' in 99.5% of rows with a value (995 of 1,000)."
    assert found(frame, "near_constant", thresholds={"near_constant": 0.8})[1].column == "mostly"


# ----------------------------------------------------------------------------------------------
# high_cardinality / id_like
# ----------------------------------------------------------------------------------------------


def test_high_cardinality_with_rare_labels() -> None:
    labels = [f"city{i}" for i in range(40)] * 20 + [f"rare{i}" for i in range(200)]
    f = one(pd.DataFrame({"city": txt(labels)}), "high_cardinality")
    assert f.message == ("'city' has 240 different values; 200 of them appear fewer than 5 times "
                         "(together 20% of rows).")
    assert f.severity == "warning"


def test_few_labels_are_fine() -> None:
    assert found(pd.DataFrame({"c": txt(RNG.choice(list("abcdefgh"), 500))}), "high_cardinality") == []


def test_id_like_finding() -> None:
    f = one(pd.DataFrame({"order_id": range(2000), "x": RNG.normal(size=2000)}), "id_like")
    assert f.message == "'order_id' looks like an identifier: 2,000 different values in 2,000 rows (100% distinct)."
    assert f.fix == "drop_column" and f.severity == "info"


# ----------------------------------------------------------------------------------------------
# mixed_types
# ----------------------------------------------------------------------------------------------


def test_numbers_with_stray_text() -> None:
    values = [f"{v:.2f}" for v in RNG.uniform(1, 100, 300)] + ["call us"] * 3 + ["n/a"]
    f = one(pd.DataFrame({"price": txt(values)}), "mixed_types")
    assert f.severity == "warning"
    assert f.message.startswith("'price' is mostly numbers (99%) but 4 values are not (e.g. 'call us', 'n/a')")
    assert f.details["type"] == "numbers"


def test_product_codes_with_a_letter_here_and_there_are_codes_not_broken_numbers() -> None:
    codes = [str(c) for c in RNG.integers(10000, 99999, 400)] + [f"{c}B" for c in RNG.integers(10000, 99999, 40)]
    f = one(pd.DataFrame({"StockCode": txt(codes + ["POST", "C2034"])}), "mixed_types")
    assert f.severity == "info" and "look like codes" in f.advice and "clear" not in f.advice
    # amounts with a unit typed in now and then are still numbers worth fixing
    weights = [f"{v:.1f}" for v in RNG.uniform(1, 50, 400)] + ["12kg", "3 kg", "n/a"] * 5
    g = one(pd.DataFrame({"weight": txt(weights)}), "mixed_types")
    assert g.severity == "warning" and "fix or clear" in g.advice


def test_dates_mixed_with_text() -> None:
    values = ["2024-01-%02d" % d for d in range(1, 29)] * 5 + ["soon", "unknown", "TBC"] * 10
    f = one(pd.DataFrame({"when": txt(values)}), "mixed_types")
    assert f.details["type"] == "dates" and f.severity == "info"


@pytest.mark.parametrize(
    "values",
    [["12", "13.5", "1,200"] * 20, ["red", "green", "blue"] * 20, ["A1", "B2", "C3"] * 20],
    ids=["all-numbers", "all-words", "codes"],
)
def test_not_mixed(values: list[str]) -> None:
    assert found(pd.DataFrame({"c": txt(values)}), "mixed_types") == []


# ----------------------------------------------------------------------------------------------
# outliers / skew / infinite_values
# ----------------------------------------------------------------------------------------------


def test_outliers_found_with_examples() -> None:
    age = np.round(RNG.normal(40, 10, 2000)).clip(18, 80)
    age[[5, 9, 11]] = [999, 999, -40]
    f = one(pd.DataFrame({"age": age}), "outliers")
    assert f.details["count"] == 3
    assert f.severity == "warning"  # 999 is beyond 10 IQRs: a typo or a code, not a long tail
    assert f.details["examples"] == ["999", "-40"]
    assert re.fullmatch(r"'age' has 3 values far outside the usual range \(0\.1% of values\), e\.g\. 999 and -40; "
                        r"half of all values lie between \d+ and \d+\.", f.message)


def test_a_long_tail_is_info() -> None:
    x = RNG.standard_t(5, 3000)  # heavy tails, but no typos
    f = one(pd.DataFrame({"x": x}), "outliers")
    assert f.severity == "info" and f.details["extreme"] == 0


def test_no_outliers_in_normal_or_lognormal_data() -> None:
    frame = pd.DataFrame({"n": RNG.normal(size=3000), "money": RNG.lognormal(3, 1, 3000)})
    assert found(frame, "outliers") == []


def test_skew_suggests_log_for_positive_amounts() -> None:
    f = one(pd.DataFrame({"income": RNG.lognormal(10, 1, 3000), "n": RNG.normal(size=3000)}), "skew")
    assert f.column == "income" and "log(1 + income)" in f.advice
    assert f.message.startswith("'income' is strongly skewed (skewness ")


def test_one_typo_does_not_make_a_column_skewed() -> None:
    x = RNG.normal(50, 5, 3000)
    x[0] = 5000
    assert found(pd.DataFrame({"x": x}), "skew") == []


def test_infinite_values() -> None:
    f = one(pd.DataFrame({"ratio": [1.0, np.inf, -np.inf, 2.0]}), "infinite_values")
    assert f.message == "'ratio' has 2 infinite values (inf or -inf)."


# ----------------------------------------------------------------------------------------------
# placeholder_values
# ----------------------------------------------------------------------------------------------


def test_text_placeholders() -> None:
    values = ["Rome", "Oslo", "N/A", "unknown", "", "Rome", "n/a", " "] * 5
    f = one(pd.DataFrame({"city": txt(values)}), "placeholder_values")
    assert f.details["count"] == 25
    assert f.fix == "clear_placeholders"
    assert "'N/A' ×5" in f.message and "blank ×5" in f.message


def test_numeric_sentinel_at_the_extreme() -> None:
    x = RNG.integers(18, 90, 500).astype(float)
    x[:7] = -999
    f = one(pd.DataFrame({"age": x}), "placeholder_values")
    assert f.details["count"] == 7


def test_real_values_are_not_placeholders() -> None:
    frame = pd.DataFrame({"t": RNG.integers(-1200, 9999, 500), "c": txt(["na-east", "eu-west"] * 250)})
    assert found(frame, "placeholder_values") == []


# ----------------------------------------------------------------------------------------------
# too_few_rows
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "cols", "severity"),
    [(0, 2, "critical"), (10, 2, "critical"), (100, 2, "warning"), (300, 40, "warning"), (1000, 5, None)],
    ids=["empty", "tiny", "small", "wide", "fine"],
)
def test_too_few_rows(rows: int, cols: int, severity: str | None) -> None:
    frame = pd.DataFrame(RNG.normal(size=(rows, cols)), columns=[f"c{i}" for i in range(cols)])
    result = found(frame, "too_few_rows")
    assert [f.severity for f in result] == ([] if severity is None else [severity])


def test_too_few_rows_wording() -> None:
    frame = pd.DataFrame(RNG.normal(size=(300, 40)), columns=[f"c{i}" for i in range(40)])
    f = one(frame, "too_few_rows")
    assert f.message == "The table has 300 rows for 40 input columns (about 8 rows per column; 10 or more is safer)."


# ----------------------------------------------------------------------------------------------
# class_imbalance
# ----------------------------------------------------------------------------------------------


def _binary(minority: int, n: int = 2000) -> pd.DataFrame:
    return pd.DataFrame({"churn": txt(["yes"] * minority + ["no"] * (n - minority)), "x": RNG.normal(size=n)})


@pytest.mark.parametrize(("minority", "severity"),
                         [(60, "critical"), (300, "warning"), (800, None), (8, "critical")],
                         ids=["3pct", "15pct", "40pct", "8-examples"])
def test_class_imbalance_levels(minority: int, severity: str | None) -> None:
    result = found(_binary(minority), "class_imbalance", target="churn")
    assert [f.severity for f in result] == ([] if severity is None else [severity])


def test_class_imbalance_wording() -> None:
    f = one(_binary(82), "class_imbalance", target="churn")
    assert f.message == "'churn' is unbalanced: 'yes' is only 4.1% of rows (82 of 2,000); 'no' is 96%."
    assert "balanced accuracy" in f.advice and "'no'" in f.advice


def test_balanced_multiclass_and_regression_targets_are_fine() -> None:
    frame = pd.DataFrame({"y": txt(np.repeat(list("abcdefghij"), 50)), "z": RNG.normal(size=500)})
    assert found(frame, "class_imbalance", target="y") == []
    assert found(frame, "class_imbalance", target="z") == []


def test_target_checks_need_a_target() -> None:
    assert found(_binary(10), "class_imbalance") == []


# ----------------------------------------------------------------------------------------------
# target_leakage
# ----------------------------------------------------------------------------------------------


def _regression(n: int = 1500) -> pd.DataFrame:
    x = RNG.normal(size=n)
    y = 3 * x + RNG.normal(size=n) * 3
    return pd.DataFrame({"price": y, "size": x, "noise": RNG.normal(size=n)})


def test_copy_of_target_times_two_is_leakage() -> None:
    frame = _regression()
    frame["price_x2"] = frame["price"] * 2
    frame["log_price"] = np.log(frame["price"] - frame["price"].min() + 1)
    result = {f.column: f for f in found(frame, "target_leakage", target="price")}
    assert result["price_x2"].severity == "critical" and result["price_x2"].fix == "drop_column"
    assert result["log_price"].severity == "critical"  # a monotone transform is a copy too
    assert "noise" not in result and "size" not in result  # a genuine, moderate feature is fine
    assert result["price_x2"].message.startswith("'price_x2' alone predicts 'price' almost perfectly")


def test_relabelled_target_and_outcome_dates_leak_in_classification() -> None:
    n = 1200
    churn = RNG.random(n) < 0.3
    frame = pd.DataFrame({
        "churn": churn,
        "status": txt(np.where(churn, "closed", "active")),
        "cancel_date": pd.to_datetime(np.where(churn, "2024-03-01", None)),
        "tenure": RNG.integers(1, 60, n),
        "customer_id": np.arange(n),
    })
    result = {f.column: f for f in found(frame, "target_leakage", target="churn")}
    assert result["status"].severity == "critical"
    assert result["cancel_date"].severity == "critical"
    assert result["cancel_date"].message.endswith("Its name also suggests it is recorded after the outcome.")
    assert "held-out rows right" in result["status"].message
    assert "tenure" not in result
    assert "customer_id" not in result  # identifiers can't "predict" unseen rows


def test_row_numbers_of_a_file_sorted_by_the_target_are_not_called_leakage() -> None:
    frame = _regression().sort_values("price", ignore_index=True)
    frame["row_id"] = np.arange(len(frame))
    assert [f.column for f in found(frame, "target_leakage", target="price")] == []


def test_leakage_by_name_only() -> None:
    frame = _binary(600)
    frame["churn_reason_code"] = RNG.integers(0, 5, len(frame))
    frame["outcome_score"] = RNG.normal(size=len(frame))
    result = {f.column: f for f in found(frame, "target_leakage", target="churn")}
    assert result["churn_reason_code"].severity == "warning"
    assert result["churn_reason_code"].message == "'churn_reason_code' has 'churn' in its name: it may be derived from the target."
    assert result["outcome_score"].severity == "info"
    assert "x" not in result


# ----------------------------------------------------------------------------------------------
# future_dates / date_gaps
# ----------------------------------------------------------------------------------------------


def test_future_dates() -> None:
    when = pd.to_datetime(["2023-05-01", "2024-01-02", "2205-03-01", "2022-02-02"])
    f = one(pd.DataFrame({"order_date": when}), "future_dates")
    assert f.message == "'order_date' has 1 date after today (25%), the latest 2205-03-01."
    assert f.severity == "warning"


def test_past_dates_are_fine() -> None:
    assert found(pd.DataFrame({"d": pd.date_range("2020-01-01", periods=30)}), "future_dates") == []


def test_daily_series_with_a_missing_week() -> None:
    days = pd.date_range("2024-01-01", "2024-03-31")
    days = days[(days < "2024-02-10") | (days >= "2024-02-17")]
    f = one(pd.DataFrame({"day": days}), "date_gaps")
    assert f.message == ("'day' has data for every day, except 7 days with none "
                         "(the longest gap is between 2024-02-09 and 2024-02-17).")
    assert f.severity == "warning"


def test_one_far_away_typo_does_not_swamp_the_gaps() -> None:
    days = pd.date_range("2024-01-01", periods=60).delete(range(20, 23)).append(pd.DatetimeIndex(["2300-01-01"]))
    f = one(pd.DataFrame({"d": days}), "date_gaps")
    assert f.details["missing_periods"] == 3


def test_time_zone_aware_dates() -> None:
    when = pd.Series(pd.date_range("2024-03-01", periods=40, freq="D", tz="Europe/Berlin"))
    when.iloc[-1] = pd.Timestamp("2299-06-01", tz="Europe/Berlin")
    p = profile(pd.DataFrame({"when": when}))
    assert p.column("when").stats["min"] == "2024-03-01T00:00:00+01:00"
    assert [f.code for f in p.findings_for("when")] == ["future_dates"]
    assert p.findings_for("when")[0].message.endswith("the latest 2299-06-01.")


def test_complete_series_have_no_gaps() -> None:
    frame = pd.DataFrame({
        "daily": pd.date_range("2024-01-01", periods=60),
        "bdays": pd.bdate_range("2024-01-01", periods=60),
        "months": pd.date_range("2020-01-01", periods=60, freq="MS"),
        "hourly": pd.date_range("2024-01-01", periods=60, freq="h"),
    })
    assert found(frame, "date_gaps") == []


@pytest.mark.parametrize(
    ("dates", "step", "missing"),
    [
        (pd.bdate_range("2024-01-01", periods=80).delete(range(20, 25)), "business day", 5),
        (pd.date_range("2018-01-01", periods=40, freq="MS").delete([10, 11]), "month", 2),
        (pd.date_range("2024-01-01", periods=200, freq="h").delete(range(50, 53)), "hour", 3),
    ],
    ids=["business-days", "months", "hours"],
)
def test_regular_series_with_gaps(dates: pd.DatetimeIndex, step: str, missing: int) -> None:
    f = one(pd.DataFrame({"t": dates}), "date_gaps")
    assert (f.details["step"], f.details["missing_periods"]) == (step, missing)


def test_a_weekday_that_never_has_rows_is_a_closing_day_not_a_gap() -> None:
    days = pd.date_range("2024-01-01", periods=120)
    open_days = days[days.day_of_week != 6]  # a shop shut on Sundays
    assert found(pd.DataFrame({"day": open_days}), "date_gaps") == []
    f = one(pd.DataFrame({"day": open_days.delete(range(30, 33))}), "date_gaps")
    assert (f.details["step"], f.details["missing_periods"]) == ("opening day", 3)
    assert "No row falls on a Sunday, so those count as closing days" in f.message
    # shut on Sundays and Mondays, at the stamps of single sales
    shop_days = days[~days.day_of_week.isin([0, 6])]
    sales = shop_days.repeat(3) + pd.to_timedelta(np.tile([9, 12, 17], len(shop_days)), unit="h")
    assert found(pd.DataFrame({"sold_at": sales}), "date_gaps") == []


def test_busy_event_data_with_a_silence() -> None:
    stamps = pd.Timestamp("2024-01-01") + pd.to_timedelta(RNG.uniform(0, 120, 3000), unit="D")
    stamps = stamps[(stamps < pd.Timestamp("2024-03-01")) | (stamps > pd.Timestamp("2024-03-20"))]
    f = one(pd.DataFrame({"ts": stamps}), "date_gaps")
    assert f.severity == "warning" and f.details["missing_periods"] == 19


def test_sparse_events_empty_days_are_chance_but_long_silences_are_not() -> None:
    stamps = pd.Timestamp("2024-01-01") + pd.to_timedelta(RNG.uniform(0, 200, 500), unit="D")  # ~2.5 a day
    assert found(pd.DataFrame({"ts": stamps}), "date_gaps") == []
    quiet = stamps[(stamps < pd.Timestamp("2024-03-01")) | (stamps > pd.Timestamp("2024-03-15"))]
    f = one(pd.DataFrame({"ts": quiet}), "date_gaps")
    assert f.details["missing_periods"] >= 14


def test_thin_tails_of_event_data_are_not_gaps() -> None:
    start = pd.Timestamp("2021-01-01") + pd.to_timedelta(RNG.uniform(0, 400, 20_000), unit="D")
    end = start + pd.to_timedelta(RNG.uniform(0, 200, 20_000), unit="D")  # few rows near the very end
    assert found(pd.DataFrame({"last_seen": end}), "date_gaps") == []


def test_irregular_dates_with_a_long_silence() -> None:
    days = np.cumsum(RNG.integers(1, 8, 60))  # every 1-7 days
    days[40:] += 200
    stamps = pd.Timestamp("2020-01-01") + pd.to_timedelta(days, unit="D")
    f = one(pd.DataFrame({"ts": stamps}), "date_gaps")
    assert f.severity == "info" and f.details["longest_days"] >= 200


# ----------------------------------------------------------------------------------------------
# pii
# ----------------------------------------------------------------------------------------------


def test_pii_email_column() -> None:
    emails = [f"person{i}@example.com" for i in range(200)]
    f = one(pd.DataFrame({"email": txt(emails)}), "pii")
    assert f.message == "'email' contains email addresses (in 100% of 200 values), e.g. p***@example.com."
    assert (f.severity, f.fix, f.other_fixes) == ("warning", "mask_pii", ("pseudonymise_pii", "drop_column"))
    assert "pseudonyms" in f.advice


def test_masked_personal_data_is_still_personal() -> None:
    from core.data import pii

    emails = pd.Series([f"{'pqrs'[i % 4]}erson{i}@example.com" for i in range(200)])
    f = one(pd.DataFrame({"email": txt(pii.mask_detected(emails)[0].tolist())}), "pii")
    assert f.severity == "info" and f.fix is None and f.details["masked"] is True
    assert f.message == "'email' holds masked personal data (e.g. p***@example.com)."
    assert "leaves this column out of training" in f.advice
    ordinary = {"rating": txt(["*", "**", "***", "****", "*****"] * 12),  # star ratings, Markdown, censored words
                "note": txt(["**Great** value", "f*** this", "ok ***"] * 20)}
    assert found(pd.DataFrame(ordinary), "pii") == []


def test_pii_cards_are_critical_and_never_shown_in_full() -> None:
    cards = txt(["4111 1111 1111 1111", "5500 0055 5555 5559", "4012 8888 8888 1881"])
    f = one(pd.DataFrame({"payment": cards}), "pii")
    assert f.severity == "critical"
    assert "1111 1111" not in f.message and "**** **** **** 1111" in f.message


def test_no_pii_in_ordinary_columns() -> None:
    frame = pd.DataFrame({"city": txt(["Rome", "Oslo"] * 10), "n": range(20), "x": RNG.normal(size=20)})
    assert found(frame, "pii") == []


def test_no_full_personal_value_in_any_message() -> None:
    emails = [f"secret.person{i}@example.com" for i in range(60)]
    frame = pd.DataFrame({
        "email": txt(emails),
        "contact": txt(emails[:30] + ["n/a"] * 30),  # placeholders + emails
        "card": txt(["4111 1111 1111 1111"] * 60),
        "y": RNG.integers(0, 2, 60),
    })
    p = profile(frame, target="y")
    for f in p.findings:
        assert "secret.person" not in f.message and "4111 1111 1111 1111" not in f.message, f


# ----------------------------------------------------------------------------------------------
# Ordering, fixes and timings (the registry's contract: test_quality_checks.py)
# ----------------------------------------------------------------------------------------------

def test_findings_are_ordered_by_severity_and_fixes_exist() -> None:
    n = 400
    frame = pd.DataFrame({
        "id": np.arange(n),
        "email": txt([f"p{i}@example.com" for i in range(n)]),
        "card": txt(["4111 1111 1111 1111"] * n),
        "const": 1,
        "age": np.where(RNG.random(n) < 0.6, np.nan, RNG.normal(40, 5, n)),
        "city": txt(RNG.choice(["Rome", "N/A"], n)),
        "y": (RNG.random(n) < 0.02).astype(int),
    })
    frame = pd.concat([frame, frame.iloc[:5]], ignore_index=True)
    p = profile(frame, target="y")
    ranks = [SEVERITIES[::-1].index(f.severity) for f in p.findings]
    assert ranks == sorted(ranks)
    used = {f.fix for f in p.findings if f.fix} | {x for f in p.findings for x in f.other_fixes}
    assert used <= set(fixes.FIXES)
    assert {"drop_column", "drop_duplicates", "mask_pii", "clear_placeholders"} <= used


def test_timings_are_reported_per_check() -> None:
    timings: dict[str, float] = {}
    profile(pd.DataFrame({"a": [1, 2, 3]}), timings=timings)
    assert {"facts", "stats"} <= set(timings) and set(CHECKS) - {"class_imbalance", "target_leakage"} <= set(timings)

"""Scoring: schema checks with every problem at once, output columns, one-row form, safe CSV."""

from __future__ import annotations

import csv
import io
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import InputError
from core.models.predict import _PLAIN_NUMBER, check_schema, predict_command, predict_frame, predict_one, to_safe_csv
from core.models.registry import register
from core.models.train import train
from tests.core.test_train import make_churn


@pytest.fixture(scope="module")
def churn():
    frame = make_churn(200)
    result = train(frame, "churn", time_budget_s=20, candidates=("logistic_regression",))
    return frame, result


@pytest.fixture(scope="module")
def regressor():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"size": rng.uniform(20, 200, 100), "city": rng.choice(["A", "B"], 100)})
    frame["price"] = 3 * frame["size"] + (frame["city"] == "A") * 50 + rng.normal(0, 40, 100)
    return frame, train(frame, "price", time_budget_s=20, candidates=("ridge",))


def test_predict_frame_adds_prediction_and_one_probability_per_class(churn):
    frame, result = churn
    new = frame.drop(columns=["churn"]).head(25)
    out = predict_frame(new, result.model)
    assert list(out.columns) == [*new.columns, "prediction", "proba_no", "proba_yes"]
    assert out.index.equals(new.index)
    assert set(out["prediction"]) <= {"no", "yes"}
    np.testing.assert_allclose(out["proba_no"] + out["proba_yes"], 1.0)
    chosen = np.where(out["proba_yes"] > out["proba_no"], "yes", "no")
    assert list(out["prediction"]) == list(chosen)


def test_predict_frame_for_a_regressor_adds_only_prediction(regressor):
    frame, result = regressor
    out = predict_frame(frame.drop(columns=["price"]), result.model)
    assert list(out.columns) == ["size", "city", "prediction"]
    assert "size" in result.feature_plan.used
    assert np.corrcoef(out["prediction"], frame["price"])[0, 1] > 0.9


def test_numbers_typed_as_text_are_read(churn):
    frame, result = churn
    new = frame.head(5).assign(age=frame["age"].head(5).map(lambda v: f"{v:.0f}"))
    np.testing.assert_allclose(predict_frame(new, result.model)["proba_yes"],
                               predict_frame(frame.head(5), result.model)["proba_yes"])


def test_schema_errors_are_listed_all_at_once(churn):
    frame, result = churn
    bad = frame.drop(columns=["spend", "plan"]).head(10).assign(Spend=1.0)
    bad["age"] = bad["age"].astype(object)
    bad.loc[2, "age"] = "forty"
    bad.loc[5, "age"] = "n/a?"
    bad["signup"] = bad["signup"].astype(str)
    bad.loc[7, "signup"] = "someday"
    with pytest.raises(InputError) as err:
        check_schema(bad, result.model)
    message = err.value.message
    assert "The table lacks 2 columns the model needs: 'plan', 'spend' (is it 'Spend'?)." in message
    assert "'age' should hold numbers, but 2 values are not (row 3: 'forty', row 6: 'n/a?')." in message
    assert "'signup' should hold dates, but 1 value is not (row 8: 'someday')." in message
    assert "row numbers count data rows from 1" in err.value.hint


def test_schema_report_without_raising(churn):
    frame, result = churn
    report = check_schema(frame.drop(columns=["plan"]), result.model, raise_errors=False)
    assert not report.ok and report.missing_columns == ("plan",)


def test_unseen_categories_and_extra_columns_are_reported_not_refused(churn):
    frame, result = churn
    new = frame.head(6).copy()
    new.loc[[0, 1, 2], "plan"] = ["ultra", "ultra", "mega"]
    report = check_schema(new, result.model)
    assert report.ok
    assert report.unseen[0].column == "plan" and report.unseen[0].rows == 3
    assert report.unseen[0].examples == ("ultra", "mega")
    assert "3 rows of 'plan' hold values the model never saw in training (e.g. 'ultra', 'mega')" in report.warnings[0]
    assert set(report.extra_columns) == {"customer_id", "email", "country", "churn", "cancel_code"}
    assert report.notes[0].startswith("5 columns the model does not use will be kept in the output but ignored")
    assert len(predict_frame(new, result.model)) == 6


def test_blank_cells_are_missing_values_not_errors(churn):
    frame, result = churn
    new = frame.head(4).copy()
    new["age"] = ["", "42", None, " "]
    assert check_schema(new, result.model).ok
    assert predict_frame(new, result.model)["prediction"].notna().all()


def test_predict_one_gives_a_sentence_and_notes(churn):
    _, result = churn
    one = predict_one({"age": 70, "plan": "pro", "signup": "2021-06-01", "spend": 55}, result.model)
    assert one.prediction in ("yes", "no")
    assert set(one.probabilities) == {"no", "yes"}
    assert sum(one.probabilities.values()) == pytest.approx(1.0)
    assert one.sentence.startswith(f"Keel predicts '{one.prediction}' for 'churn', with a ")
    assert "next most likely" in one.sentence and one.notes == ()

    partial = predict_one({"age": 30, "plan": "gold"}, result.model)
    assert "Left empty: 'signup', 'spend'." in partial.notes[0]
    assert "'gold' was never seen for 'plan' in training" in partial.notes[1]


def test_predict_one_refuses_text_in_a_number_field(churn):
    _, result = churn
    with pytest.raises(InputError, match=r"'age' should hold numbers, but 1 value is not \(row 1: 'old'\)"):
        predict_one({"age": "old", "plan": "pro"}, result.model)


def test_predict_one_for_a_regressor(regressor):
    _, result = regressor
    one = predict_one({"size": 100, "city": "A"}, result.model)
    assert one.probabilities is None
    assert one.prediction == pytest.approx(350, abs=40)
    assert one.sentence.startswith("Keel predicts 3") and one.sentence.endswith("for 'price'.")


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        pytest.param("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")", id="equals"),
        pytest.param("+1+2", "'+1+2", id="plus"),
        pytest.param("-2+3", "'-2+3", id="minus"),
        pytest.param("@SUM(A1)", "'@SUM(A1)", id="at"),
        pytest.param("\tcmd", "'\tcmd", id="tab"),
        pytest.param("\r=1", "'\r=1", id="carriage-return"),
        pytest.param("plain", "plain", id="plain-text"),
        pytest.param("a=b", "a=b", id="equals-inside"),
    ],
)
def test_safe_csv_neutralises_formulas(cell, written):
    data = to_safe_csv(pd.DataFrame({"note": [cell], "n": [1]}))
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    assert rows[1][0] == written


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=12)), min_size=1, max_size=8))
def test_safe_csv_no_text_cell_can_start_a_formula(cells):
    for frame in (pd.DataFrame({"text": pd.Series(cells, dtype=object)}),  # one column: the pandas writer
                  pd.DataFrame({"text": pd.Series(cells, dtype="str"), "n": range(len(cells))})):  # Arrow's
        rows = list(csv.reader(io.StringIO(to_safe_csv(frame).decode("utf-8"), newline="")))
        assert rows[0] == list(frame.columns) and len(rows) == len(cells) + 1
        _check_cells(cells, [row[0] for row in rows[1:]])


def _check_cells(cells, written_cells):
    for original, written in zip(cells, written_cells):
        if original is None:
            assert written == ""
        elif re.fullmatch(_PLAIN_NUMBER, original):  # '-5', '+1.5': a number runs nothing
            assert written == original
        elif original.startswith(("=", "+", "-", "@", "\t", "\r")):
            assert written == "'" + original
        else:
            assert written == original


def test_safe_csv_keeps_negative_numbers_numeric_and_guards_headers():
    frame = pd.DataFrame({"=cmd": [1, 2], "delta": [-1.5, 2.0], "mixed": ["-5", 7], "cat": pd.Categorical(["=x", "y"]),
                          "typed": ["-1,200.50", "-2+3+cmd|' /C calc'!A0"]})
    rows = list(csv.reader(io.StringIO(to_safe_csv(frame).decode("utf-8"), newline="")))
    assert rows[0] == ["'=cmd", "delta", "mixed", "cat", "typed"]
    # a number written as text runs nothing and stays as it was; a formula behind a minus is guarded
    assert rows[1] == ["1", "-1.5", "-5", "'=x", "-1,200.50"]
    assert rows[2] == ["2", "2", "7", "y", "'-2+3+cmd|' /C calc'!A0"]
    assert to_safe_csv(frame, bom=True).startswith("\ufeff".encode())


def test_the_scored_file_keeps_the_users_cells_as_written(churn, tmp_path):
    frame, result = churn
    info = register(result, "churn", None)
    new = frame.drop(columns=["churn"]).head(40).astype(object)
    new["age"] = new["age"].map(lambda v: f"{v:.2f}")  # "70.00": read as 70, written back as typed
    new.loc[new.index[:3], "cancel_code"] = " CX "  # spaces around a label: trimmed for the model only
    new["signed_up"] = "6-Aug-09"  # a date as typed, not rewritten as 2009-08-06
    source = tmp_path / "new.csv"
    new.to_csv(source, index=False)
    out = tmp_path / "scored.csv"
    predict_command(info.id, source, out)
    written = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"), newline="")))
    given = list(csv.reader(io.StringIO(source.read_text(encoding="utf-8"), newline="")))
    width = len(given[0])
    assert [row[:width] for row in written] == given
    assert written[0][width:] == ["prediction", "proba_no", "proba_yes"]


def test_predict_file_writes_a_safe_csv(churn, tmp_path):
    frame, result = churn
    info = register(result, "churn", None)
    source = tmp_path / "new.csv"
    new = frame.drop(columns=["churn"]).head(30).copy()
    new.loc[new.index[0], "email"] = "=cmd|' /C calc'!A0"
    new.to_csv(source, index=False)
    out = tmp_path / "scored.csv"
    assert predict_command("churn", source, out)["rows"] == 30
    scored = pd.read_csv(out)
    assert list(scored.columns[-3:]) == ["prediction", "proba_no", "proba_yes"]
    assert scored.loc[0, "email"].startswith("'=")
    with pytest.raises(InputError, match="already exists"):
        predict_command(f"churn:{info.version}", source, out)
    report = predict_command(f"churn:{info.version}", source, out, overwrite=True)
    assert report["rows"] == 30 and report["out"] == str(out) and report["model"]["name"] == "churn"
    with pytest.raises(InputError, match="is the input file"):
        predict_command("churn", source, source, overwrite=True)
    rows = predict_command("churn", source, None)["rows"]
    assert len(rows) == 30 and rows[0]["email"] == "=cmd|' /C calc'!A0"  # JSON rows are data, not a sheet


def test_numbers_in_a_text_column_match_the_categories_seen_in_training():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=120), "store": rng.choice(["1", "2", "3"], 120)})
    frame["y"] = np.where(frame["x"] + (frame["store"] == "2") > 0.3, "up", "down")
    result = train(frame, "y", time_budget_s=20, candidates=("logistic_regression",))
    as_numbers = frame.head(10).assign(store=frame["store"].head(10).astype(int))
    assert check_schema(as_numbers, result.model).unseen == ()
    np.testing.assert_allclose(predict_frame(as_numbers, result.model)["proba_up"],
                               predict_frame(frame.head(10), result.model)["proba_up"])


def test_score_upload_reports_schema_problems_without_scoring(tmp_path) -> None:
    from core import store, workflows
    from core.data.samples import DATA_DIR, load_sample
    from core.jobs import runner as jobs
    from core.models.predict import score_upload

    info = load_sample("penguins")
    model = workflows.train_and_register(info.id, target="species", time_budget_s=30).model
    good = (DATA_DIR / "penguins.csv").read_bytes()
    report, scored = jobs.run_isolated("score", score_upload,
                                       good, "p.csv", model.id)
    assert report.ok and len(scored) == 344 and "prediction" in scored.columns
    report, scored = jobs.run_isolated("score", score_upload,
                                       b"island,year\nDream,2008\n", "bad.csv", model.id)
    assert not report.ok and scored is None and "bill_length_mm" in " ".join(report.errors)
    assert len(store.list_models()) == 1


# --------------------------------------------------------------------------- the chosen cut-off


def test_a_stored_cut_off_decides_every_prediction_and_the_chances_stay(churn, tmp_path):
    from core import store
    from core.models import load_registered
    from core.models.predict import score_upload

    frame, result = churn
    info = register(result, "churn", None)
    new = frame.drop(columns=["churn"]).head(60)
    plain = predict_frame(new, load_registered(info.id)[1])
    assert "cutoff" not in plain.columns
    store.set_threshold(info.id, 0.2, "misses cost five times a false alarm")
    _, model = load_registered(info.id)
    assert model.cutoff == 0.2
    cut = predict_frame(new, model)
    np.testing.assert_allclose(cut["proba_yes"], plain["proba_yes"])  # the chances are unchanged
    assert list(cut["prediction"]) == list(np.where(cut["proba_yes"] >= 0.2, "yes", "no"))
    assert (cut["prediction"] == "yes").sum() > (plain["prediction"] == "yes").sum()  # a low cut-off says yes more
    assert set(cut["cutoff"]) == {0.2}

    one = predict_one(new.iloc[0].to_dict(), model)
    assert one.cutoff == 0.2 and one.prediction == cut["prediction"].iloc[0]
    side = "at or above" if cut["proba_yes"].iloc[0] >= 0.2 else "below"
    assert one.sentence.startswith(f"Keel predicts '{one.prediction}' for 'churn': the chance of 'yes' is ")
    assert one.sentence.endswith(f"{side} the cut-off chosen for this model (20%).")

    source = tmp_path / "new.csv"
    new.to_csv(source, index=False)
    report = predict_command(info.id, source, None)
    assert report["cutoff"] == {"value": 0.2, "positive_class": "yes"}
    assert [r["prediction"] for r in report["rows"]] == list(cut["prediction"])
    out = tmp_path / "scored.csv"
    predict_command(info.id, source, out)
    assert list(pd.read_csv(out)["cutoff"].unique()) == [0.2]
    _, scored = score_upload(source.read_bytes(), "new.csv", info.id)
    assert scored is not None and list(scored["prediction"]) == list(cut["prediction"])

    store.set_threshold(info.id, None, "back to the most likely answer")
    assert predict_command(info.id, source, None)["cutoff"] is None


def test_chance_columns_are_offered_beside_the_contracts_proba_columns(churn):
    frame, result = churn
    out = predict_frame(frame.drop(columns=["churn"]).head(5), result.model, chance_columns=True)
    assert list(out.columns[-5:]) == ["prediction", "proba_no", "proba_yes", "chance_no", "chance_yes"]
    np.testing.assert_allclose(out["chance_yes"], out["proba_yes"])

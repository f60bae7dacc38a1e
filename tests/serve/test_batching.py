"""Requests scored together get exactly the answers they would get alone (and the CLI's); a request with a
problem, an unseen category or dates that are not ISO 8601 is answered on its own."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.errors import KeelError
from core.models import predict_frame
from core.models.train import train
from core.serve.batching import score_jobs
from core.serve.scoring import rows_frame
from tests.core.test_train import make_churn


@pytest.fixture(scope="module")
def model():
    return train(make_churn(200), "churn", time_budget_s=20, candidates=("logistic_regression",)).model


def request(rows: list[dict]) -> pd.DataFrame:
    return rows_frame({"rows": rows}, 1000)


def row(age: float, plan: str = "pro", signup: str = "2021-03-01", spend: float = 50.5) -> dict:
    return {"age": age, "plan": plan, "signup": signup, "spend": spend}


def expected(frame: pd.DataFrame, model) -> pd.DataFrame:
    scored = predict_frame(frame, model)
    return scored[["prediction", "proba_no", "proba_yes"]]


def test_requests_scored_together_get_their_own_rows_and_the_same_numbers(model) -> None:
    frames = [request([row(30), row(70)]), request([row(45, "basic")]), request([row(18, "max"), row(60), row(61)])]
    answers = score_jobs(frames, model)
    for frame, answer in zip(frames, answers, strict=True):
        assert not isinstance(answer, KeelError)
        added, warnings = answer
        assert warnings == [] and len(added) == len(frame)
        pd.testing.assert_frame_equal(added.reset_index(drop=True), expected(frame, model).reset_index(drop=True),
                                      check_exact=False, rtol=0, atol=1e-15)


def test_a_bad_request_gets_its_own_error_and_the_others_their_answers(model) -> None:
    frames = [request([row(30)]), request([row(30), {**row(40), "age": "forty"}]), request([row(50)])]
    answers = score_jobs(frames, model)
    assert isinstance(answers[1], KeelError)
    assert "'age' should hold numbers, but 1 value is not (row 2: 'forty')." in answers[1].message
    for i in (0, 2):
        added, _ = answers[i]
        np.testing.assert_allclose(added["proba_yes"], expected(frames[i], model)["proba_yes"], rtol=0, atol=1e-15)


def test_an_unseen_category_is_warned_about_in_its_own_request_only(model) -> None:
    frames = [request([row(30)]), request([row(30, "platinum")])]
    (first, first_warnings), (second, second_warnings) = score_jobs(frames, model)
    assert first_warnings == []
    assert len(second_warnings) == 1 and "'platinum'" in second_warnings[0]
    assert len(first) == len(second) == 1


def test_dates_not_in_iso_form_are_read_per_request(model) -> None:
    # alone, '13/01/2021' tells Keel this request writes day first, so '03/01/2021' is 3 January
    day_first = request([row(30, signup="13/01/2021"), row(30, signup="03/01/2021")])
    frames = [request([row(30)]), day_first]
    answers = score_jobs(frames, model)
    added, _ = answers[1]
    np.testing.assert_allclose(added["proba_yes"], expected(day_first, model)["proba_yes"], rtol=0, atol=1e-15)

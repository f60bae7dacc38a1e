"""The fast path for JSON rows: it says "certainly fits" only for rows the CLI's check has nothing to say about,
and the rows it passes are scored to exactly the CLI's numbers, alone or together with other requests'."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.models import check_schema, predict_frame
from core.models.train import train
from core.serve.batching import score_plain
from core.serve.plain import plain_rows, rules_for
from tests.core.test_train import make_churn


@pytest.fixture(scope="module")
def model():
    """A yes/no model learning from a number, a category, a date and a yes/no column."""
    frame = make_churn(200).assign(vip=lambda f: f["age"] > 60)
    found = train(frame, "churn", time_budget_s=20, candidates=("logistic_regression",)).model
    kinds = {f["name"]: f["kind"] for f in found.schema["features"]}
    assert kinds == {"age": "numeric", "plan": "categorical", "signup": "datetime", "spend": "numeric",
                     "vip": "boolean"}
    return found


def row(**changes: object) -> dict:
    return {"age": 40, "plan": "pro", "signup": "2021-03-01", "spend": 50.5, "vip": False, **changes}


FITS = {
    "plain": [row()],
    "several, numbers whole and not": [row(age=18.0), row(age=77, spend=10), row(vip=True)],
    "nulls": [row(age=None, plan=None, signup=None, spend=None, vip=None)],
    "a column in some rows only": [row(), {k: v for k, v in row().items() if k != "spend"}],
    "extra columns": [row(note="call back", id=7, flag=None)],
}
NOT_SURE = {
    "a missing column": [{k: v for k, v in row().items() if k != "plan"}],
    "text in a number column": [row(age="forty")],
    "a number written as text": [row(age="40")],
    "true/false in a number column": [row(age=True)],
    "a huge whole number": [row(spend=10**20)],
    "a category never seen": [row(plan="platinum")],
    "a number in a category column": [row(plan=3)],
    "a date not in YYYY-MM-DD": [row(signup="01/03/2021")],
    "a date with a time": [row(signup="2021-03-01T10:00:00")],
    "a date that does not exist": [row(signup="2021-02-30")],
    "a date pandas cannot hold": [row(signup="1500-01-01")],
    "yes/no as text": [row(vip="yes")],
    "yes/no as a number": [row(vip=1)],
    "a list in a cell": [row(note=["x"])],
}


@pytest.mark.parametrize("rows", FITS.values(), ids=FITS.keys())
def test_rows_that_certainly_fit_pass_and_the_cli_check_agrees(model, rows: list[dict]) -> None:
    assert plain_rows({"rows": rows}, rules_for(model), 1000) == rows
    report = check_schema(pd.DataFrame.from_records(rows), model, raise_errors=False)
    assert report.ok and not report.warnings


@pytest.mark.parametrize("rows", NOT_SURE.values(), ids=NOT_SURE.keys())
def test_anything_else_takes_the_full_check(model, rows: list[dict]) -> None:
    assert plain_rows({"rows": rows}, rules_for(model), 1000) is None


@pytest.mark.parametrize("body", [None, [], {"rows": []}, {"data": []}, {"rows": [1]}, {"rows": "x"},
                                  {"rows": [row()] * 3}], ids=["null", "list", "empty", "no rows", "not objects",
                                                               "text", "over the limit"])
def test_a_malformed_body_takes_the_full_check(model, body: object) -> None:
    assert plain_rows(body, rules_for(model), 2) is None


def test_the_fast_path_scores_exactly_as_the_cli(model) -> None:
    rng = np.random.default_rng(3)
    rows = [row(age=float(a), plan=str(p), spend=float(s), signup=f"2021-{m:02d}-{d:02d}", vip=bool(v))
            for a, p, s, m, d, v in zip(rng.integers(18, 80, 60), rng.choice(["basic", "pro", "max"], 60),
                                        rng.normal(50, 10, 60), rng.integers(1, 13, 60), rng.integers(1, 29, 60),
                                        rng.integers(0, 2, 60), strict=True)]
    rows[5] = row(age=None, plan=None, signup=None, spend=None, vip=None)
    assert plain_rows({"rows": rows}, rules_for(model), 1000) is not None
    cli = predict_frame(pd.DataFrame.from_records(rows), model)[["prediction", "proba_no", "proba_yes"]]
    requests = [rows[:1], rows[1:25], rows[25:26], rows[26:]]
    answers = score_plain(requests, model)  # four requests scored in one call
    together = pd.concat([added for added, _ in answers], ignore_index=True)
    assert [len(added) for added, _ in answers] == [1, 24, 1, 34]
    assert all(warnings == [] for _, warnings in answers)
    pd.testing.assert_frame_equal(together, cli.reset_index(drop=True), check_exact=True, check_dtype=False)
    alone = score_plain([rows], model)[0][0]
    pd.testing.assert_frame_equal(alone, cli.reset_index(drop=True), check_exact=True, check_dtype=False)

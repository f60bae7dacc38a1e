"""Yes/no answers in the evaluation's charts and sentences are said with the user's words (issue 16): a 0/1
target called 'Survived' reads 'Survived' / 'not Survived', never a bare 'yes'/'no' or '1'/'0' beside it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from core import charts
from core.models import evaluate as E


@pytest.mark.parametrize(
    ("label", "target", "said"),
    [
        ("1", "Survived", "Survived"),
        (0, "Survived", "not Survived"),
        ("yes", "churned", "churned"),
        ("False", "is_fraud", "not is_fraud"),
        ("1", "y", "1"),  # a name that says nothing: the answer as written
        ("1", None, "1"),
        ("Gentoo", "species", "Gentoo"),  # not a yes/no answer
    ],
    ids=["one", "zero", "yes", "false", "bare-target", "no-target", "a-class-name"],
)
def test_answer_name(label, target, said) -> None:
    assert E.answer_name(label, target) == said


@pytest.fixture(scope="module")
def survived():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"fare": rng.normal(size=600), "sex": rng.choice(["female", "male"], 600)})
    y = pd.Series(((X["fare"] + (X["sex"] == "female") + rng.normal(scale=0.8, size=600)) > 0.5).astype(int),
                  name="Survived")
    model = LogisticRegression().fit(pd.get_dummies(X, dtype=float), y)

    class OnRaw:  # the same fitted model, reading the raw table
        classes_ = model.classes_
        feature_names = ["fare", "sex"]

        def predict(self, frame):
            return model.predict(pd.get_dummies(frame, dtype=float))

        def predict_proba(self, frame):
            return model.predict_proba(pd.get_dummies(frame, dtype=float))

    return OnRaw(), X, y


def test_the_curves_and_the_mix_ups_name_the_answers_by_the_target(survived) -> None:
    model, X, y = survived
    ev = E.evaluate(model, X, y, "classification", n_boot=20)
    roc = charts.roc_figure(ev)
    assert roc.layout.xaxis.title.text == "false alarms: share of real 'not Survived' flagged"
    assert roc.layout.yaxis.title.text == "caught: share of real 'Survived' flagged"
    assert "flag 'Survived' from a chance of" in roc.data[1].hovertemplate
    pr = charts.pr_figure(ev)
    assert pr.layout.xaxis.title.text == "caught: share of real 'Survived' flagged"
    assert pr.data[0].name.startswith("guessing (") and "are 'Survived')" in pr.data[0].name
    confusion = charts.confusion_figure(ev)
    assert list(confusion.data[0].x) == ["not Survived (0)", "Survived (1)"]
    for fig in (roc, pr, confusion):
        words = " ".join(str(t) for t in (fig.layout.xaxis.title.text, fig.layout.yaxis.title.text))
        assert "'yes'" not in words and "'1'" not in words and "positive class" not in words


def test_fairness_sentences_say_the_answer_by_the_target(survived) -> None:
    model, X, y = survived
    report = E.fairness(model, X, y, "sex")
    assert report.target == "Survived"
    assert report.sentences[0].startswith("By 'sex', the model flags 'Survived' ")
    assert all("'1'" not in s for s in report.sentences)
    assert E.FairnessReport.from_dict(report.to_dict()) == report

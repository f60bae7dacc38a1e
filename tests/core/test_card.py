"""core.card: the HTML model card is self-contained, escaped, small, and filled from real results."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
from markupsafe import escape
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_diabetes
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from core.models import evaluate as E
from core.models.card import model_card_html
from core.vocab import metric_label

EVIL = "<script>alert(1)</script>"
SECRET = "row-secret-7731"


def _frame(n, seed):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "tenure": rng.uniform(0, 60, n),
            EVIL: rng.choice(["a&b", "<i>x</i>", "plain"], n),
            "region": rng.choice(["North", "South"], n),
        }
    )
    logit = 2.5 - 0.1 * X["tenure"] + np.where(X[EVIL] == "a&b", 1.0, 0.0)
    y = pd.Series(np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no"), name="churn")
    return X, y


@pytest.fixture(scope="module")
def results():
    Xtr, ytr = _frame(900, 1)
    pre = ColumnTransformer([("n", StandardScaler(), ["tenure"]), ("c", OneHotEncoder(handle_unknown="ignore"), [EVIL, "region"])])
    model = make_pipeline(pre, LogisticRegression(max_iter=1000)).fit(Xtr, ytr)
    X, y = _frame(700, 2)
    X.loc[0, "region"] = SECRET  # one rare value: must never reach the card
    report = E.full_report(model, X, y, "classification", costs=(1, 5), unit="€", sensitive_column="region", n_boot=40, row_noun="customers")
    info = {
        "name": "churn <b>bold</b>",
        "version": 2,
        "task": "classification",
        "algorithm": "logistic_regression",
        "target": "churn",
        "dataset_name": 'customers "<img src=x onerror=alert(2)>".csv',
        "rows": 1600,
        "created_at": "2026-11-27T08:00:00+00:00",
        "stage": "candidate",
        "metrics": report.evaluation.metrics,
        "features": [{"name": "tenure", "kind": "numeric"}, {"name": EVIL, "kind": "categorical"}, "region"],
    }
    findings = [
        {"code": "pii", "severity": "critical", "column": EVIL, "message": f"Column `{EVIL}` holds e-mail addresses.", "advice": "Mask it."},
    ]
    return info, report, findings


def _visible_tags(doc: str) -> list[str]:
    tags: list[str] = []

    class P(HTMLParser):
        def handle_starttag(self, tag, attrs):
            tags.append(tag)

    P().feed(doc)
    return tags


def test_card_escapes_user_text_and_has_no_scripts(results):
    info, report, findings = results
    doc = model_card_html(info, report.evaluation, findings, {"report": report, "intended_use": "Call <customers> at risk & offer help."})
    assert "<script" not in doc.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in doc
    assert "<img" not in doc and "&lt;img src=x onerror=alert(2)&gt;" in doc
    assert "<b>bold</b>" not in doc and "churn &lt;b&gt;bold&lt;/b&gt;" in doc
    assert "Call &lt;customers&gt; at risk &amp; offer help." in doc
    assert "<i>x</i>" not in doc
    assert set(_visible_tags(doc)) <= {
        "html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "p", "table", "tr", "th", "td", "div",
        "code", "ul", "li", "strong", "svg", "rect", "line", "text", "polyline", "circle", "footer",
    }
    assert not re.search(r"\son\w+=", doc.replace("onerror=alert(2)&gt;", ""))  # no event handlers


def test_card_is_small_self_contained_and_holds_no_rows(results):
    info, report, findings = results
    doc = model_card_html(info, report.evaluation, findings, {"report": report})
    assert len(doc.encode()) < 300_000
    assert "http://" not in doc.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in doc
    assert SECRET not in doc  # a one-row group label never appears
    for section in ("Intended use", "Data", "How well it works", "Decision threshold", "calibration", "slices", "Fairness", "Robustness", "What drives it", "Limits"):
        assert section in doc, section


def test_card_risk_section_is_filled_from_results(results):
    info, report, findings = results
    doc = model_card_html(info, report.evaluation, findings, {"report": report})
    risk = doc[doc.index("NIST AI RMF") :]
    for function in ("Govern", "Map", "Measure", "Manage"):
        assert f"<h3>{function}</h3>" in risk
    assert "No owner is recorded" in risk
    assert "personal information (PII)" in risk  # from the finding
    assert "Use is not written down" in risk
    accuracy_sentence = str(escape(report.evaluation.sentences["accuracy"]))
    assert accuracy_sentence in risk  # Measure quotes the actual result
    assert str(escape(report.threshold.sentence)).replace("`", "") in risk.replace("<code>", "").replace("</code>", "")
    assert "reviewed through <code>region</code>" in risk


def test_card_accepts_stored_json_and_regression(results):
    info, report, findings = results
    stored = json.loads(json.dumps(report.to_dict()))
    doc = model_card_html(info, stored["evaluation"], findings, {"report": stored})
    live = model_card_html(info, report.evaluation, findings, {"report": report})
    stamp = re.compile(r"Generated by Keel on [^.]*\.")
    assert stamp.sub("", doc) == stamp.sub("", live)
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    model = LinearRegression().fit(X[:300], y[:300])
    ev = E.evaluate(model, X[300:], y[300:], "regression", n_boot=30)
    card = model_card_html({"name": "sugar", "task": "regression", "target": "target"}, ev, [], {"drivers": E.drivers(model, X[300:], y[300:], "regression", n_repeats=2)})
    assert metric_label("mae") in card and "Misses (actual minus predicted)" in card
    assert "Nobody has written the intended use yet" in card
    assert "No data-quality findings were recorded" in card


def test_card_without_extras_still_lists_limits_and_risk():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x": rng.normal(size=120)})
    y = pd.Series(rng.integers(0, 2, 120))
    model = LogisticRegression().fit(X, y)  # pure noise: no better than guessing
    ev = E.evaluate(model, X, y, "classification", n_boot=30)
    doc = model_card_html({"name": "noise"}, ev, [])
    assert "It was checked on only 120 rows" in doc
    assert "not clearly better than always guessing the most common answer" in doc
    assert "Do not deploy" in doc


def test_card_says_whether_a_leaking_column_was_used(results):
    info, report, findings = results
    leak = {"code": "target_leakage", "severity": "critical", "message": "x", "advice": "y"}
    used = model_card_html(info, report.evaluation, [{**leak, "column": "tenure"}], {"report": report})
    assert "A column the model uses looked like it leaks the answer" in used
    left_out = model_card_html(info, report.evaluation, [{**leak, "column": "cancelled_on"}], {"report": report})
    assert "the model was trained without it" in left_out and "A column the model uses" not in left_out

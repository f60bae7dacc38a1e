"""KeelModel: schema, bytes round trip, registry round trip, refusal of a tampered artifact."""

from __future__ import annotations

import io
import os

import joblib
import numpy as np
import pandas as pd
import pytest

from core import store
from core.errors import IntegrityError, NotFoundError
from core.models.model import KeelModel
from core.models.registry import load_registered, register
from core.models.train import train
from tests.core.test_train import make_churn


@pytest.fixture(scope="module")
def churn_result():
    return train(make_churn(200), "churn", time_budget_s=20, candidates=("logistic_regression",))


def test_schema_describes_each_feature(churn_result):
    schema = churn_result.model.schema
    features = {f["name"]: f for f in schema["features"]}
    assert list(features) == ["age", "plan", "signup", "spend"]
    assert features["plan"]["kind"] == "categorical"
    assert sorted(features["plan"]["categories"]) == ["basic", "max", "pro"]
    assert features["age"]["kind"] == "numeric"
    assert 18 <= features["age"]["min"] <= features["age"]["median"] <= features["age"]["max"] <= 80
    assert features["signup"]["kind"] == "datetime" and features["signup"]["min"].startswith("2021-01")
    assert schema["target"] == "churn" and schema["classes"] == ["no", "yes"]


def test_bytes_round_trip_predicts_the_same(churn_result):
    model = churn_result.model
    again = KeelModel.from_bytes(model.to_bytes())
    X = churn_result.X_test
    np.testing.assert_array_equal(again.predict_proba(X), model.predict_proba(X))
    assert list(again.predict(X)) == list(model.predict(X))
    assert again.classes_ == ("no", "yes") and again.target == "churn"


def test_from_bytes_refuses_something_that_is_not_a_keel_model():
    import skops.io as sio

    with pytest.raises(IntegrityError, match="does not hold a Keel model"):
        KeelModel.from_bytes(sio.dumps({"not": "a model"}))


class _Payload:
    """Stands for any class a planted file might name (a pickle's __reduce__ would run it)."""

    def __reduce__(self):
        return (os.system, ("touch should-never-exist",))


def test_from_bytes_never_unpickles(tmp_path, monkeypatch):
    """A pickle (joblib) file that would run a command is refused without being loaded."""
    monkeypatch.chdir(tmp_path)
    buffer = io.BytesIO()
    joblib.dump(_Payload(), buffer)
    with pytest.raises(IntegrityError, match="not in Keel's model format") as err:
        KeelModel.from_bytes(buffer.getvalue())
    assert "never loads one it did not write" in err.value.hint
    assert not (tmp_path / "should-never-exist").exists()


def test_from_bytes_refuses_types_keel_never_writes(churn_result, tmp_path, monkeypatch):
    """A skops file naming a type outside the allow-list (here a function that runs commands) is
    refused before anything is built from it."""
    import skops.io as sio

    monkeypatch.chdir(tmp_path)
    state = churn_result.model._state()
    state["extra"] = os.system  # skops stores a function by name; building it would need trusting it
    payload = sio.dumps(state)
    assert "posix.system" in sio.get_untrusted_types(data=payload)
    with pytest.raises(IntegrityError, match=r"asks to build types Keel never writes \(posix.system\)"):
        KeelModel.from_bytes(payload)


def test_the_allow_list_is_exactly_what_keels_models_need():
    """Every trusted type is used by some candidate model, and every candidate loads with the list.

    The list is a security boundary: an entry no model needs is a needless risk, and a missing one
    breaks loading. Trains each candidate on a tiny table with numbers, categories and a date."""
    import skops.io as sio

    from core.models.model import TRUSTED_TYPES

    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"x": rng.normal(size=120), "c": rng.choice(list("abc"), 120),
                          "d": pd.date_range("2024-01-01", periods=120).astype(str)})
    frame["y"] = np.where(frame["x"] + (frame["c"] == "a") > 0.3, "yes", "no")
    frame["v"] = frame["x"] * 2 + rng.normal(size=120)
    needed: set[str] = set()
    for target, candidates in (("y", ("logistic_regression", "hist_gradient_boosting", "random_forest")),
                               ("v", ("ridge", "hist_gradient_boosting", "random_forest"))):
        for name in candidates:
            result = train(frame.drop(columns=["v" if target == "y" else "y"]), target, time_budget_s=30,
                           candidates=(name,))
            payload = result.model.to_bytes()
            needed |= set(sio.get_untrusted_types(data=payload))
            loaded = KeelModel.from_bytes(payload)
            np.testing.assert_allclose(loaded.predict(result.X_test) if target == "v" else
                                       loaded.predict_proba(result.X_test),
                                       result.model.predict(result.X_test) if target == "v" else
                                       result.model.predict_proba(result.X_test))
    assert needed == set(TRUSTED_TYPES)


def test_register_then_load_registered_gives_the_same_predictions(churn_result):
    info = register(churn_result, "churn", None)
    assert (info.name, info.version, info.stage, info.task) == ("churn", 1, "champion", "classification")
    assert info.artifact_format == "skops"
    assert info.algorithm == churn_result.model.algorithm
    assert info.metrics == pytest.approx(churn_result.holdout_metrics)
    assert info.params["seed"] == 0 and info.params["features"] == ["age", "plan", "signup", "spend"]
    assert {x["column"] for x in info.params["left_out"]} >= {"customer_id", "email", "cancel_code"}
    assert info.schema == churn_result.model.schema

    second = register(churn_result, "churn", None)
    assert second.version == 2
    for ref in ("churn", "churn:1", "churn:2", str(info.id)):
        loaded_info, model = load_registered(ref)
        X = churn_result.X_test
        np.testing.assert_allclose(model.predict_proba(X), churn_result.model.predict_proba(X))
    assert load_registered("churn@champion")[0].id == info.id  # the first version is put to use
    assert second.stage == "candidate"
    assert load_registered("churn")[0].version == 1  # a bare name means the version in use
    store.set_stage(second.id, "champion")
    assert load_registered("churn@champion")[0].id == second.id
    assert load_registered("churn")[0].version == 2
    store.set_stage(second.id, "retired")
    assert load_registered("churn")[0].version == 2  # none in use: the newest


def test_tampered_artifact_is_refused(churn_result, keel_home):
    info = register(churn_result, "churn", None)
    path = keel_home / "models" / f"{info.artifact_sha256}.skops"
    payload = bytearray(path.read_bytes())
    payload[len(payload) // 2] ^= 0xFF
    path.write_bytes(bytes(payload))
    with pytest.raises(IntegrityError) as err:
        load_registered("churn")
    assert "does not match the fingerprint" in err.value.message
    assert "Train the model again" in err.value.hint


def test_unknown_model_reference_is_a_not_found_error():
    with pytest.raises(NotFoundError, match="No model matches 'nope'"):
        load_registered("nope")



def test_regression_model_round_trip():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=80), "flag": rng.choice([True, False], 80)})
    frame["y"] = 3 * frame["x"] + frame["flag"] + rng.normal(scale=0.1, size=80)
    result = train(frame, "y", time_budget_s=20, candidates=("ridge",))
    info = register(result, "price", None)
    _, model = load_registered(info.id)
    assert model.classes_ == () and model.task == "regression"
    np.testing.assert_allclose(model.predict(result.X_test), result.model.predict(result.X_test))
    flag = next(f for f in model.schema["features"] if f["name"] == "flag")
    assert flag["kind"] == "boolean"
    # booleans typed as text at prediction time are understood
    text_rows = result.X_test.assign(flag=result.X_test["flag"].map({True: "yes", False: "no"}))
    np.testing.assert_allclose(model.predict(text_rows), model.predict(result.X_test))


def test_category_codes_pool_rare_and_unseen_values_and_keep_missing_apart():
    from core.models.encoding import CategoryCodes

    train_values = pd.DataFrame({"c": ["a"] * 6 + ["b"] * 5 + ["rare"] * 2 + [None]})
    codes = CategoryCodes(max_categories=20, min_frequency=5, missing="code").fit(train_values)
    assert list(codes.categories_[0]) == ["a", "b"]
    out = codes.transform(pd.DataFrame({"c": ["b", "a", "rare", "never-seen", None]}))
    assert out[:, 0].tolist() == [1.0, 0.0, 2.0, 2.0, 3.0]
    as_nan = CategoryCodes(missing="nan").fit(train_values).transform(pd.DataFrame({"c": [None, "a"]}))
    assert np.isnan(as_nan[0, 0]) and as_nan[1, 0] == 0.0
    capped = CategoryCodes(max_categories=3, min_frequency=1).fit(pd.DataFrame({"c": list("aaabbcd")}))
    assert list(capped.categories_[0]) == ["a", "b"]  # two kept + one "other" code = 3


def test_a_recalibrated_model_round_trips_with_its_calibrators(churn_result):
    from core.models import evaluate
    from core.models.model import RecalibratedKeelModel

    X, y = churn_result.X_test, churn_result.y_test
    recal = evaluate.recalibrate(churn_result.model, X, y, "sigmoid")
    model = RecalibratedKeelModel(churn_result.model, recal.model)
    again = KeelModel.from_bytes(model.to_bytes())
    assert isinstance(again, RecalibratedKeelModel) and again.algorithm == "logistic_regression + recalibrated"
    np.testing.assert_allclose(again.predict_proba(X), model.predict_proba(X))
    assert not np.allclose(again.predict_proba(X), churn_result.model.predict_proba(X))  # the calibrators apply

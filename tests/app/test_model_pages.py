"""AppTests for Train, Evaluate, Predict and Models, with real training on the penguins sample."""

from __future__ import annotations

import json
import time

import pytest

from core import jobs, models, store, workflows
from core.data import DATA_DIR, load_sample
from tests.app.helpers import open_page, texts
from ui import state
from ui.words import cut_off_words, model_words


def wait_for(job_id: str, timeout: float = 180) -> jobs.Job:
    job = jobs.wait(job_id, timeout)
    assert job.status != "running", "the job did not finish"
    return job


@pytest.fixture()
def trained() -> store.ModelInfo:
    info = load_sample("penguins")
    outcome = workflows.train_and_register(info.id, target="species", time_budget_s=60)
    return outcome.model


def test_train_page_without_data_points_back() -> None:
    at = open_page("pages/2_Train.py")
    assert not at.exception
    assert "First give Keel some data" in texts(at)


def test_train_page_takes_an_upload_and_learns_from_it() -> None:
    at = open_page("pages/2_Train.py")
    assert [e for e in at.expander if e.label == "Upload a file to learn from"]  # open: there is no data yet
    at.file_uploader(key="train_upload").upload("penguins.csv", (DATA_DIR / "penguins.csv").read_bytes(),
                                                "text/csv").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    [info] = store.list_datasets()
    assert at.session_state[state.DATASET_ID] == info.id and at.selectbox[0].value == info.id
    assert "Kept 'penguins.csv': 344 rows" in texts(at)
    assert "Which column should the model predict?" in [s.label for s in at.selectbox]


def test_train_page_trains_in_the_background_and_shows_the_leaderboard() -> None:
    info = load_sample("penguins")
    at = open_page("pages/2_Train.py", **{state.DATASET_ID: info.id, state.TARGET: {info.id: "species"}})
    assert not at.exception
    assert "Keel will learn from" in texts(at)
    at.button[0].click().run()  # "Train and compare"
    job = wait_for(at.session_state[state.TRAIN_JOB])
    assert job.status == "done", job.error
    at.run()
    assert not at.exception
    body = texts(at)
    assert "Model trained in" in body and "penguins-species:1" in body
    # the headline in plain words (right answers), the measure the candidates were compared on one click away
    assert at.metric[0].label == "Right answers (accuracy)" and at.metric[0].value.endswith("%")
    assert at.metric[2].value == "random forest" or "_" not in at.metric[2].value
    assert at.session_state[state.MODEL_ID] == store.list_models()[0].id
    other = load_sample("customer_churn")  # on another dataset the last run's scores would read as this one's
    at.session_state[state.DATASET_ID] = other.id
    at.session_state[state.TARGET] = {info.id: "species", other.id: "churned"}
    at.run()
    body = texts(at)
    assert not at.exception and "Model trained in" not in body
    assert "Your last training run, penguins-species:1, was on another dataset" in body


def test_train_page_shows_a_clear_error_for_a_one_class_target() -> None:
    info = store.save_dataset(
        __import__("pandas").DataFrame({"x": range(60), "y": ["same"] * 60}), "one class"
    )
    at = open_page("pages/2_Train.py", **{state.DATASET_ID: info.id, state.TARGET: {info.id: "y"}})
    at.button[0].click().run()
    job = wait_for(at.session_state[state.TRAIN_JOB])
    assert job.status == "failed"
    at.run()
    assert not at.exception
    assert at.error and "Every row has the same value in 'y'" in at.error[0].value.replace("\\", "")
    assert store.list_models() == []


def test_evaluate_page_shows_the_report(trained: store.ModelInfo) -> None:
    at = open_page("pages/3_Evaluate.py", **{state.MODEL_ID: trained.id})
    assert not at.exception
    body = texts(at)
    assert not at.error, [e.value for e in at.error]
    assert "In short" in body
    n_rows = workflows.stored_report(trained).evaluation.n_rows
    assert n_rows > 0 and f"Measured on {n_rows:,} rows the model never saw while training" in body
    assert at.get("plotly_chart")
    # typical and surprising test rows, each with why (issue 20)
    assert "Rows that show how it thinks" in body and "Its biggest surprises" in body
    rows = workflows.example_rows(trained)
    assert len(rows) == 6
    for r in rows:
        assert f"Row {r.row}: true answer **{r.truth}**" in body and r.sentence in body


def test_predict_page_scores_a_file_and_one_row(trained: store.ModelInfo) -> None:
    at = open_page("pages/4_Predict.py", **{state.MODEL_ID: trained.id})
    assert not at.exception
    at.file_uploader(key="predict_upload").upload("new.csv", (DATA_DIR / "penguins.csv").read_bytes(), "text/csv").run()
    assert not at.exception
    assert "Scored 344 rows." in texts(at)
    assert list(at.dataframe[0].value.columns[:4]) == ["prediction", "proba_Adelie", "proba_Chinstrap", "proba_Gentoo"]
    assert at.download_button
    form_button = [b for b in at.button if b.label == "Predict"]
    form_button[0].click().run()
    assert not at.exception
    assert at.success


def test_predict_page_lists_missing_columns(trained: store.ModelInfo) -> None:
    at = open_page("pages/4_Predict.py", **{state.MODEL_ID: trained.id})
    at.file_uploader(key="predict_upload").upload("wrong.csv", b"island,year\nDream,2008\nBiscoe,2009\n", "text/csv").run()
    assert not at.exception
    assert at.error and "bill_length_mm" in at.error[0].value.replace("\\", "")


def test_models_page_promotes_a_champion_and_offers_the_card(trained: store.ModelInfo) -> None:
    at = open_page("pages/5_Models.py", **{state.MODEL_ID: trained.id})
    assert not at.exception
    assert at.download_button
    assert trained.stage == "champion"  # the first model of a name is put to use
    assert "In use." in texts(at) and not [b for b in at.button if "Make this the one in use" in b.label]
    second = workflows.train_and_register(trained.dataset_id, target=trained.target, time_budget_s=30).model
    assert second.stage == "candidate"
    at = open_page("pages/5_Models.py", **{state.MODEL_ID: second.id})
    [b for b in at.button if "Make this the one in use" in b.label][0].click().run()
    assert not at.exception
    assert store.get_model(second.id).stage == "champion"
    assert store.get_model(trained.id).stage == "retired"


def test_models_page_compares_versions_of_the_same_model_first(trained: store.ModelInfo) -> None:
    info = load_sample("penguins")
    other = workflows.train_and_register(info.id, target="island", time_budget_s=30).model  # newer, other name
    second = workflows.train_and_register(info.id, target="species", time_budget_s=30).model
    at = open_page("pages/5_Models.py", **{state.MODEL_ID: second.id})
    assert not at.exception
    compare = [s for s in at.selectbox if s.label == "Compare with"][0]
    assert compare.value == trained.id and compare.options[-1] == model_words(other)
    assert "Each version was scored on the test rows of its own training data" in texts(at)
    stages = [d.value for d in at.dataframe if "when" in d.value.columns][0]
    assert list(stages.columns) == ["when", "from", "to", "reason"] and len(stages["when"].iloc[0]) == 16
    assert stages["from"].iloc[0] == "—"  # a new version comes from nowhere, not from 'None'
    listing = at.dataframe[0].value
    assert "Right answers (accuracy)" in listing.columns and "accuracy" not in listing.columns
    assert len(listing["trained (UTC)"].iloc[0]) == 16


def test_models_page_writes_the_model_card(trained: store.ModelInfo) -> None:
    at = open_page("pages/5_Models.py", **{state.MODEL_ID: trained.id})
    use = [t for t in at.text_area if t.label == "What is it for?"][0]
    assert use.value == ""
    use.input("Sort penguins seen on the boat trips.")
    [t for t in at.text_area if t.label == "Who looks after it?"][0].input("Sam, the field team")
    [b for b in at.button if b.label == "Save the model card"][0].click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    card = store.get_model(trained.id).card
    assert card["intended_use"] == "Sort penguins seen on the boat trips." and card["owner"] == "Sam, the field team"
    assert "Sort penguins seen on the boat trips." in workflows.model_card(store.get_model(trained.id))
    assert [t for t in at.text_area if t.label == "What is it for?"][0].value == card["intended_use"]  # shown back


def test_evaluate_page_applies_the_cost_cut_off_and_models_page_clears_it() -> None:
    info = load_sample("customer_churn")
    model = workflows.train_and_register(info.id, target="churned", time_budget_s=30).model
    assert model.threshold is None
    at = open_page("pages/3_Evaluate.py", **{state.MODEL_ID: model.id})
    assert not [b for b in at.button if b.label == "Use this cut-off for predictions"]  # nothing found yet
    miss = [n for n in at.number_input if n.label.startswith("Cost of a miss")][0]
    miss.set_value(20.0).run()
    [b for b in at.button if b.label == "Find the best cut-off"][0].click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    [b for b in at.button if b.label == "Use this cut-off for predictions"][0].click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    kept = store.get_model(model.id).threshold
    assert kept is not None and kept < 0.5  # a miss costs 20 false alarms: say 'yes' sooner
    sentence = cut_off_words(store.get_model(model.id))
    assert sentence and "a cut-off you chose" in sentence and sentence in texts(at)
    at = open_page("pages/4_Predict.py", **{state.MODEL_ID: model.id})
    assert sentence in texts(at)  # predictions say which cut-off they follow
    at = open_page("pages/5_Models.py", **{state.MODEL_ID: model.id})
    assert sentence in texts(at)
    [b for b in at.button if b.label == "Go back to the most likely answer (no cut-off)"][0].click().run()
    assert not at.exception and store.get_model(model.id).threshold is None
    assert "a cut-off you chose" not in texts(at)


def test_evaluate_page_measures_at_the_chosen_cut_off_and_says_so() -> None:
    from core.models import evaluate

    info = load_sample("customer_churn")
    model = workflows.train_and_register(info.id, target="churned", time_budget_s=30).model
    at = open_page("pages/3_Evaluate.py", **{state.MODEL_ID: model.id})
    stored = workflows.stored_report(model).evaluation
    assert "These figures count the answer the model finds likelier" in texts(at)
    store.set_threshold(model.id, 0.2, reason="test")
    at = open_page("pages/3_Evaluate.py", **{state.MODEL_ID: model.id})
    assert not at.exception and not at.error, [e.value for e in at.error]
    body = texts(at)
    said = ("These figures use your cut-off: the model answers 'churned' (yes) when it gives it a chance of at least 20%, as "
            "its predictions do.")
    assert said in body and "count the likelier answer" not in body
    _, loaded = models.load_registered(model.id)
    X, y = workflows.holdout(model)
    measured = evaluate.evaluate(loaded, X, y, "classification").metrics["accuracy"]
    assert measured != stored.metrics["accuracy"]  # a 20% cut-off answers 'yes' far more often
    measured_at = evaluate.at_cutoff(workflows.stored_report(model), loaded, X, y).evaluation
    headline = evaluate.explain_metric(measured_at, "accuracy")
    assert headline in body and evaluate.explain_metric(stored, "accuracy") not in body
    # groups to compare come only from the columns the model learned from: not the identifier or the e-mail
    [groups] = [b for b in at.selectbox if b.label == "Sensitive column"]
    offered = {o for o in groups.options if o != "— choose —"}
    assert offered and offered <= set(loaded.feature_names) and not {"customer_id", "email"} & offered
    heatmaps = [t for c in at.get("plotly_chart") for t in json.loads(c.proto.spec)["data"] if t["type"] == "heatmap"]
    assert [h["text"] for h in heatmaps] == [[[f"{v:,}" for v in row] for row in measured_at.confusion]]


def test_models_page_measures_smaller_copies_and_keeps_one_as_a_candidate(trained: store.ModelInfo) -> None:
    at = open_page("pages/5_Models.py", **{state.MODEL_ID: trained.id})
    [b for b in at.button if b.label == "Measure smaller copies"][0].click().run(timeout=600)
    assert not at.exception and not at.error, [e.value for e in at.error]
    shown = [d.value for d in at.dataframe if "file size (KB)" in getattr(d.value, "columns", [])]
    assert shown, "no table of smaller copies"
    table = shown[0]
    assert table["version"].iloc[0] == "this version" and len(table) >= 2
    assert (table["file size (KB)"].iloc[1:] < table["file size (KB)"].iloc[0]).any()  # something smaller
    chosen = [s for s in at.selectbox if s.label == "Keep which copy?"][0].value
    at = [b for b in at.button if b.label == "Keep it as a new version"][0].click().run(timeout=600)
    assert not at.exception and not at.error, [e.value for e in at.error]
    versions = [m for m in store.list_models() if m.name == trained.name]
    assert len(versions) == 2
    new = max(versions, key=lambda m: m.version)
    assert new.stage == "candidate" and store.get_model(trained.id).stage == "champion"
    assert (new.params or {}).get("compact", {}).get("variant") == chosen

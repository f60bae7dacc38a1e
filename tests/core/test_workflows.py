"""Workflows shared by pages and CLI: upload with PII choices, fixes, retrain with a gate, rollback."""

from __future__ import annotations

import pandas as pd
import pytest

from core import store, workflows
from core.errors import InputError
from core.data.ingest import read_table
from core.data.samples import DATA_DIR


def test_pii_is_handled_before_storing() -> None:
    csv = b"email,spend\n" + b"".join(f"user{i}@example.com,{i}\n".encode() for i in range(30))
    table = read_table(csv, name="people.csv")
    info = workflows.keep_upload(table, pii_actions={"email": "pseudonymise"})
    stored = store.load_dataset(info.id)
    assert not stored["email"].str.contains("@").any()
    assert stored["email"].nunique() == 30  # still tells people apart, so joins work
    assert "Uploaded (" in info.change
    with pytest.raises(InputError, match="not a way to handle personal data"):
        workflows.keep_upload(table, pii_actions={"email": "shred"})


def test_fix_creates_a_child_version() -> None:
    frame = pd.DataFrame({"a": [1, 1, 2], "b": ["x", "x", "y"]})
    info = store.save_dataset(frame, "dups")
    child = workflows.fix_dataset(info.id, "drop_duplicates", None)
    assert (child.parent_id, child.version, child.rows) == (info.id, 2, 2)
    assert "duplicate" in child.change.lower()


def test_retrain_gate_and_rollback() -> None:
    churn = read_table(DATA_DIR / "customer_churn.csv").frame
    reference = store.save_dataset(churn.iloc[:2500].drop(columns=["cancellation_date"]), "churn reference")
    first = workflows.train_and_register(reference.id, target="churned", time_budget_s=60).model
    store.set_stage(first.id, "champion", reason="first")
    batch = churn.iloc[2500:].drop(columns=["cancellation_date"])
    outcome = workflows.retrain_with_gate("churn-reference-churned@champion", batch, margin=0.5)  # impossible margin: keep
    assert outcome.decision.decision == "keep"
    assert outcome.challenger.version == 2 and outcome.challenger.stage == "candidate"
    assert store.get_model(first.id).stage == "champion"
    assert outcome.dataset.parent_id == reference.id and outcome.dataset.rows > reference.rows
    gate_entries = [e for e in store.audit_log() if e.action == "gate"]
    assert gate_entries and gate_entries[0].detail["decision"] == "keep"

    promoted = workflows.retrain_with_gate("churn-reference-churned@champion", batch, margin=-1.0)  # any challenger wins
    assert promoted.decision.decision == "promote"
    assert store.resolve_model("churn-reference-churned@champion").id == promoted.challenger.id
    back = workflows.rollback("churn-reference-churned")
    assert back.id == first.id and back.stage == "champion"


def test_masked_personal_data_is_not_learned_from_and_a_retrain_does_not_store_it_raw() -> None:
    from core.data import pii

    churn = read_table(DATA_DIR / "customer_churn.csv").frame.drop(columns=["cancellation_date"])
    masked = churn.assign(email=pii.mask_detected(churn["email"])[0])
    reference = store.save_dataset(masked.iloc[:2500], "masked churn")
    first = workflows.train_and_register(reference.id, target="churned", time_budget_s=60).model
    assert "email" not in [f["name"] for f in first.schema["features"]]  # masked, still personal: left out
    outcome = workflows.retrain_with_gate(first.id, churn.iloc[2500:], margin=0.5)  # the batch has raw emails
    stored = store.load_dataset(outcome.dataset.id)
    assert len(stored) > 2500
    new_rows = stored["email"].iloc[2500:]
    assert new_rows.isna().all()  # the new rows bring what the model reads and the answer, not raw emails
    assert not stored["email"].dropna().str.contains(r"^[^*]+@", regex=True).any()
    assert stored["churned"].iloc[2500:].notna().all()
    # put back by the user, the masked column is used, and a retrain masks the new rows the same way
    kept = workflows.train_and_register(reference.id, target="churned", include=("email",), time_budget_s=60).model
    again = store.load_dataset(workflows.retrain_with_gate(kept.id, churn.iloc[2500:], margin=0.5).dataset.id)
    assert again["email"].iloc[2500:].notna().all()
    assert again["email"].iloc[2500:].str.fullmatch(r"\S\*\*\*@\S+").all()


def test_retrain_needs_labels() -> None:
    penguins = read_table(DATA_DIR / "penguins.csv").frame
    ref = store.save_dataset(penguins, "penguins")
    model = workflows.train_and_register(ref.id, target="species", time_budget_s=30).model
    with pytest.raises(InputError, match="has no column 'species'"):
        workflows.retrain_with_gate(model.id, penguins.drop(columns=["species"]))


def _binary_table(step: bool, seed: int = 0) -> pd.DataFrame:
    import numpy as np

    rng = np.random.default_rng(seed)
    n = 6000 if step else 3000
    x = rng.normal(size=n) * (3 if step else 1)
    # step=True: the chance jumps from 20 % to 80 % at x = 0, which a logistic curve over-states in the
    # tails (recalibration helps); step=False: the truth is a logistic curve (nothing to fix).
    p = np.where(x > 0, 0.8, 0.2) if step else 1 / (1 + np.exp(-3 * x))
    return pd.DataFrame({"x": x, "noise": rng.normal(size=n), "y": np.where(rng.random(n) < p, "yes", "no")})


def test_a_recalibrated_version_is_kept_when_it_helps() -> None:
    import numpy as np

    from core.models import load_registered

    info = store.save_dataset(_binary_table(step=True), "overconfident")
    model = workflows.train_and_register(info.id, target="y", time_budget_s=60).model
    new = workflows.keep_recalibrated(model.id)
    assert new.version == 2 and "recalibrated" in new.algorithm
    assert new.metrics["ece"] < model.metrics["ece"]
    _, reloaded = load_registered(new.id)
    X, _ = workflows.holdout(model)
    proba = reloaded.predict_proba(X)
    assert proba.shape == (len(X), 2) and np.allclose(proba.sum(axis=1), 1)


def test_recalibration_is_refused_when_it_would_not_help() -> None:
    info = store.save_dataset(_binary_table(step=False), "calibrated")
    model = workflows.train_and_register(info.id, target="y", time_budget_s=60).model
    with pytest.raises(InputError, match="would not make its confidence more trustworthy"):
        workflows.keep_recalibrated(model.id)
    assert len(store.list_models()) == 1


def test_training_from_a_file_masks_personal_data_before_storing() -> None:
    table = read_table(DATA_DIR / "customer_churn.csv")
    outcome = workflows.train_and_register(table, target="churned", time_budget_s=30)
    stored = store.load_dataset(outcome.dataset.id)
    assert not stored["email"].str.contains("mei.garcia522@example.org", regex=False).any()
    assert "email" not in outcome.result.feature_plan.used
    assert outcome.result.holdout_metrics["roc_auc"] > 0.7


def test_rescore_views_on_the_test_rows() -> None:
    info = store.save_dataset(read_table(DATA_DIR / "customer_churn.csv").frame, "churn")
    model = workflows.train_and_register(info.id, target="churned", time_budget_s=30).model
    positive = model.params["classes"][-1]
    cheap_misses = workflows.rescore(model, "threshold", positive_label=positive, cost_false_alarm=5, cost_miss=1)
    dear_misses = workflows.rescore(model, "threshold", positive_label=positive, cost_false_alarm=1, cost_miss=5)
    assert dear_misses.threshold < cheap_misses.threshold  # missing a leaver costs more: flag more of them
    fair = workflows.rescore(model, "fairness", positive_label=positive, column="region")
    assert {g.group for g in fair.groups} >= {"North", "South"}
    check = workflows.rescore(model, "recalibration")
    assert isinstance(check.helps, bool)

"""How the pages name stored things in pickers and lists (plain text: selectbox options are not Markdown)."""

from __future__ import annotations

from core.store import DatasetInfo, ModelInfo
from core.vocab import count, minutes, percent

STAGE_NAMES = {"champion": "in use", "candidate": "candidate", "retired": "retired"}


def dataset_words(d: DatasetInfo) -> str:
    """'reference (v1) — 500 rows × 6 columns · uploaded 2026-12-07 10:14': the version, the size and when
    it was kept, so two uploads of files with the same name can be told apart."""
    return (
        f"{d.label} — {count(d.rows, 'row')} × {count(d.n_columns, 'column')} · "
        f"{(d.change or 'kept').lower()} {minutes(d.created_at)}"
    )


def model_kind(algorithm: str) -> str:
    """A model's kind as a person reads it ('logistic regression', not 'logistic_regression')."""
    return algorithm.replace("_", " ")


def model_words(m: ModelInfo) -> str:
    """'churn:2 — predicts 'churned' · in use': the version, what it predicts and whether it is in use."""
    return f"{m.label} — predicts '{m.target}' · {STAGE_NAMES.get(m.stage, m.stage)}"


def cut_off_words(m: ModelInfo) -> str | None:
    """The chosen cut-off of a yes/no model in a sentence, or None when it answers with the likelier answer."""
    if m.threshold is None:
        return None
    classes = [str(c) for c in m.params.get("classes") or []]
    yes = classes[-1] if classes else "yes"
    return f"It answers '{yes}' when its chance of '{yes}' is at least {percent(m.threshold, 0)} (a cut-off you chose)."

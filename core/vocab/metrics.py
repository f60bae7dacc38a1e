"""Every measure Keel reports, in one table: its key (the CLI contract's), a plain label, the phrase used
inside sentences, whether lower is better, its scale and how to write a value, and a glossary line.

Adding a measure means adding one entry here; pages, the CLI, the model card and the monitor read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.vocab.fmt import MISSING, number, percent


@dataclass(frozen=True)
class Metric:
    key: str
    label: str  # a heading or table column: "Right answers (accuracy)"
    phrase: str  # inside a sentence: "accuracy"
    lower_is_better: bool
    scale: str  # "share": 0–1 written as a percent; "score": 0–1 written with 3 decimals; "units": the column's
    meaning: str  # the glossary: what it means in one or two sentences


METRICS: dict[str, Metric] = {
    m.key: m
    for m in (
        Metric(
            "accuracy",
            "Right answers (accuracy)",
            "accuracy",
            False,
            "share",
            "The share of rows where the model gave the right answer.",
        ),
        Metric(
            "balanced_accuracy",
            "Right answers, each answer counted equally (balanced accuracy)",
            "balanced accuracy",
            False,
            "share",
            "Accuracy measured separately for every possible answer, then averaged, so a rare answer counts as "
            "much as a common one. Always guessing the common answer scores 1 divided by the number of answers.",
        ),
        Metric(
            "f1_macro",
            "Catching each answer without false alarms (F1)",
            "F1 score",
            False,
            "score",
            "For every possible answer, how well the model finds the rows that have it without wrongly "
            "flagging others; averaged over the answers. 1 is perfect.",
        ),
        Metric(
            "roc_auc",
            "Ranking quality (ROC AUC)",
            "ranking quality (ROC AUC)",
            False,
            "share",
            "How often the model ranks a row that has the answer above one that does not. 50% is a coin toss, "
            "100% perfect.",
        ),
        Metric(
            "pr_auc",
            "Average precision",
            "average precision",
            False,
            "share",
            "How precise the model's top-ranked rows are, averaged over every cut-off.",
        ),
        Metric(
            "log_loss",
            "Surprise at the truth (log loss)",
            "log loss",
            True,
            "score",
            "How surprised the model's stated chances are by what really happened; confident wrong answers "
            "cost most. Lower is better.",
        ),
        Metric(
            "brier",
            "Error of the stated chances (Brier score)",
            "Brier score",
            True,
            "score",
            "The average squared gap between the stated chance and what happened (0 or 1). Lower is better.",
        ),
        Metric(
            "ece",
            "Calibration error",
            "calibration error",
            True,
            "share",
            "How far the model's stated chances are from how often it is really right: when it says 80%, is it "
            "right about 8 times in 10? Lower is better.",
        ),
        Metric(
            "mae",
            "Typical error (MAE)",
            "typical error",
            True,
            "units",
            "On average, how far predictions are from the truth, in the column's own units. Lower is better.",
        ),
        Metric(
            "rmse",
            "Typical error, big misses weigh more (RMSE)",
            "typical error counting big misses more",
            True,
            "units",
            "Like the typical error, but a few large misses raise it more. Much larger than the typical error "
            "means some predictions are far off. Lower is better.",
        ),
        Metric(
            "r2",
            "Share of ups and downs explained (R²)",
            "share of ups and downs explained",
            False,
            "share",
            "How much of the column's variation the model explains: 100% is perfect, 0% no better than always "
            "predicting the average, below 0% worse than that.",
        ),
        Metric(
            "mase",
            "Error against simply repeating (MASE)",
            "error against simply repeating",
            True,
            "score",
            "The forecast's typical error divided by that of simply repeating the last season (or the last "
            "value). Below 1 means better than repeating.",
        ),
        Metric(
            "smape",
            "Typical error in percent (sMAPE)",
            "typical percent error",
            True,
            "share",
            "The typical gap between forecast and truth as a share of their size. Lower is better.",
        ),
        Metric(
            "mape",
            "Typical error in percent (MAPE)",
            "typical percent error",
            True,
            "share",
            "The typical gap between forecast and truth as a share of the truth. Lower is better.",
        ),
    )
}

CLASSIFICATION_METRICS = ("accuracy", "balanced_accuracy", "f1_macro", "roc_auc", "log_loss", "brier", "ece")
REGRESSION_METRICS = ("mae", "rmse", "r2")
LOWER_IS_BETTER = frozenset(k for k, m in METRICS.items() if m.lower_is_better)


def metric_label(key: str) -> str:
    """The plain heading for a measure ('Typical error (MAE)'); unknown keys read as words."""
    m = METRICS.get(key)
    return m.label if m else key.replace("_", " ")


def metric_phrase(key: str) -> str:
    """The measure's name inside a sentence ('typical error')."""
    m = METRICS.get(key)
    return m.phrase if m else key.replace("_", " ")


def is_lower_better(key: str) -> bool:
    return key in LOWER_IS_BETTER


def format_metric(key: str, value: Any) -> str:
    """A measure's value the way Keel always writes it: shares as percents, scores with 3 decimals,
    errors in the column's units as plain numbers."""
    m = METRICS.get(key)
    if value is None:
        return MISSING
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if v != v or v in (float("inf"), float("-inf")):
        return MISSING
    if m is None or m.scale == "units":
        return number(v)
    if m.scale == "share":
        return percent(v)
    return f"{v:.3f}"

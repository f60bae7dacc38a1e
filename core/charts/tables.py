"""Tables of results as the pages show them: one pandas frame per result, with the headings a user reads.

Like the figures, each takes a result and returns something to draw (here a ``pd.DataFrame`` for
``st.dataframe``); the numbers stay numbers so the page can sort them. No Streamlit here.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from core.vocab import metric_label, minutes

if TYPE_CHECKING:
    from core.data import Profile
    from core.forecasting import ForecastResult
    from core.models import TrainResult, evaluate
    from core.monitoring import DriftReport
    from core.store import AuditEntry, DatasetInfo, ModelInfo


def _kind(algorithm: str) -> str:
    """A model's kind as a person reads it ('random forest', not 'random_forest')."""
    return algorithm.replace("_", " ")


STAGE_WORDS = {"champion": "🏆 in use", "candidate": "🧪 candidate", "retired": "📦 retired"}


# --------------------------------------------------------------------------- data


def columns_table(profile: Profile) -> pd.DataFrame:
    """One row per column: its kind (which the user may change), how much is missing, distinct values."""
    return pd.DataFrame(
        {
            "column": [c.name for c in profile.columns],
            "kind": [c.kind for c in profile.columns],
            "missing %": [round(c.missing_share * 100, 1) for c in profile.columns],
            "distinct values": [c.n_unique for c in profile.columns],
            "type in file": [c.dtype for c in profile.columns],
        }
    )


def versions_table(datasets: Iterable[DatasetInfo]) -> pd.DataFrame:
    """The versions of one dataset, oldest first: what changed, its size and where it came from."""
    family = sorted(datasets, key=lambda d: d.version)
    return pd.DataFrame(
        {
            "version": [d.version for d in family],
            "what changed": [d.change for d in family],
            "rows": [d.rows for d in family],
            "columns": [d.n_columns for d in family],
            "kept at (UTC)": [str(minutes(d.created_at)) for d in family],
            "from file": [d.original_name for d in family],
        }
    )


def dataset_history_table(log: Iterable[AuditEntry], dataset_ids: Iterable[int]) -> pd.DataFrame:
    """What happened to these dataset versions, newest first (from the audit log)."""
    ids = set(dataset_ids)
    events = [e for e in log if e.object_type == "dataset" and e.object_id in ids]
    return pd.DataFrame(
        {
            "when (UTC)": [str(minutes(e.at)) for e in events],
            "what": [e.action for e in events],
            "version id": [e.object_id for e in events],
            "details": [json.dumps(e.detail)[:200] for e in events],
        }
    )


# --------------------------------------------------------------------------- models


def leaderboard_table(result: TrainResult) -> pd.DataFrame:
    """The candidates a training run compared, with their cross-validated measures, speed and size."""
    return pd.DataFrame(
        [
            {
                "model": _kind(r.algorithm),
                **{metric_label(k): round(v, 4) for k, v in r.metrics.items() if v is not None},
                "fit seconds": r.fit_seconds,
                "ms per 1,000 predictions": r.predict_ms_per_1000,
                "size (KB)": None if r.size_bytes is None else round(r.size_bytes / 1024),
                "note": r.note,
            }
            for r in result.leaderboard
        ]
    )


def metrics_table(ev: evaluate.Evaluation) -> pd.DataFrame:
    """The hold-out measures with their 95 % range and the simplest guess's score."""
    rows = []
    for key, value in ev.metrics.items():
        if value is None:
            continue
        ci = ev.intervals.get(key)
        base = ev.baseline_metrics.get(key)
        rows.append(
            {
                "measure": metric_label(key),
                "value": round(value, 4),
                "likely between": "" if not ci else f"{ci[0]:.3f} – {ci[1]:.3f}",
                "simplest guess": None if base is None else round(base, 4),
            }
        )
    return pd.DataFrame(rows)


def per_class_table(ev: evaluate.Evaluation) -> pd.DataFrame:
    """Per answer: how often the model is right when it gives it, how many of the real ones it finds, the
    balance of the two and how many test rows have it (precision, recall, F1 and support, named)."""
    return pd.DataFrame(
        [
            {
                "answer": c.label,
                "right when it says this (precision)": None if c.precision is None else round(c.precision, 3),
                "real ones it finds (recall)": None if c.recall is None else round(c.recall, 3),
                "balance of the two (F1)": None if c.f1 is None else round(c.f1, 3),
                "test rows": c.support,
            }
            for c in ev.per_class
        ],
        columns=[
            "answer",
            "right when it says this (precision)",
            "real ones it finds (recall)",
            "balance of the two (F1)",
            "test rows",
        ],
    )


def models_table(models: Sequence[ModelInfo]) -> pd.DataFrame:
    """The registry: each version, its stage in words, what it predicts and its numeric measures."""
    return pd.DataFrame(
        [
            {
                "id": m.id,
                "model": m.label,
                "stage": STAGE_WORDS.get(m.stage, m.stage),
                "predicts": m.target,
                "kind": _kind(m.algorithm),
                "trained (UTC)": minutes(m.created_at),
                **{metric_label(k): round(v, 3) for k, v in m.metrics.items() if isinstance(v, (int, float))},
            }
            for m in models
        ]
    )


def stage_history_table(history: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """A model's stage changes (``core.store.stage_history``): when, from, to and why."""
    stages = pd.DataFrame(list(history), columns=["at", "from_stage", "to_stage", "reason"])
    stages["at"] = minutes(stages["at"])
    stages["from_stage"] = stages["from_stage"].fillna("—")  # a new version comes from nowhere
    return stages.rename(columns={"at": "when", "from_stage": "from", "to_stage": "to"})


def side_by_side_table(one: ModelInfo, other: ModelInfo) -> pd.DataFrame:
    """Two models' recorded measures next to each other (a measure one of them lacks is empty)."""
    keys = sorted(set(one.metrics) | set(other.metrics))
    return pd.DataFrame(
        {
            "measure": [metric_label(k) for k in keys],
            one.label: [one.metrics.get(k) for k in keys],
            other.label: [other.metrics.get(k) for k in keys],
        }
    )


# --------------------------------------------------------------------------- forecast and monitoring


def biggest_first(result: ForecastResult) -> ForecastResult:
    """The same forecast with its series ordered by the total they are expected to sell, biggest first:
    with hundreds of products, those matter most (the table, the chart picker and the order list follow)."""
    if len(result.series) < 2:
        return result
    return dataclasses.replace(result, series=tuple(sorted(result.series, key=lambda s: -sum(s.yhat))))


def forecast_summary_table(result: ForecastResult, value_name: str) -> pd.DataFrame:
    """One row per series: the method chosen and how it did on the past (typical error, against simply
    repeating, in percent, and how often the real value fell inside the range)."""
    labels = result.series_labels(value_name)
    return pd.DataFrame(
        [
            {
                "series": label,
                "method": s.model_label,
                "typical error": s.backtest.mae,
                "error vs. simply repeating": s.vs_repeat,
                "error %": s.backtest.smape,
                "range hit rate": None if s.backtest.coverage is None else 100 * s.backtest.coverage,
            }
            for s, label in zip(result.series, labels)
        ],
        columns=["series", "method", "typical error", "error vs. simply repeating", "error %", "range hit rate"],
    )


def drift_table(report: DriftReport) -> pd.DataFrame:
    """One row per column of a drift check, in words: has it changed, and what was seen."""
    return pd.DataFrame(
        [{"column": c.column, "changed?": c.verdict, "what we saw": c.explain} for c in report.columns],
        columns=["column", "changed?", "what we saw"],
    )


def drift_details_table(report: DriftReport) -> pd.DataFrame:
    """For specialists: per column, the statistical test, the size of the change it measured, the limit
    above which Keel calls it drifted, and the p-value where the test has one."""
    return pd.DataFrame(
        [
            {
                "column": c.column,
                "test": c.method,
                "size of change": c.statistic,
                "limit": c.threshold,
                "p-value": c.p_value,
            }
            for c in report.columns
        ],
        columns=["column", "test", "size of change", "limit", "p-value"],
    )

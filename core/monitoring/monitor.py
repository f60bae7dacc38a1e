"""Watching a registered model: one batch of new data at a time.

For each batch :func:`monitor_batch` works out

* **drift** of every model feature against the model's training data (:mod:`core.monitoring.drift`),
  plus drift of the model's predictions and, when labels are given, of the labels themselves;
* **performance**: for a classifier, an *estimate* from the model's own confidence that needs no
  labels (:mod:`core.monitoring.estimates`), and the *measured* metric when a labels column is given,
  side by side with the training hold-out metric (:mod:`core.monitoring.performance`);
* **triggers**: simple rules, each with an action (``none``, ``review``, ``retrain``) and a
  cooldown, giving one overall recommended ``action`` (:mod:`core.monitoring.triggers`).

The batch's statistics (not its rows) are kept with :func:`core.store.save_batch`; :mod:`.history`
reads them back. :func:`gate` (:mod:`core.monitoring.gate`) is the champion/challenger rule used before
promoting a retrained model.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core import store
from core.errors import InputError
from core.monitoring.drift import ColumnDrift, DriftReport, DriftSettings, compare, compare_series
from core.monitoring.estimates import (
    HoldOut,
    MetricEstimate,
    estimate_performance,
    expected_accuracy,
    expected_roc_auc,
    given_answers,
)
from core.monitoring.gate import GateDecision, gate
from core.monitoring.history import ACTION_WORDS, Alert, alerts, history_table, timeline
from core.monitoring.labels import as_text, class_codes, clean_labels, to_classes
from core.monitoring.performance import (
    Performance,
    as_float,
    explain_performance,
    int_or_none,
    measure_performance,
)
from core.monitoring.triggers import DEFAULT_RULES, TriggerResult, TriggerRule, evaluate_triggers
from core.vocab import date

__all__ = [
    "DEFAULT_RULES",
    "Alert",
    "GateDecision",
    "HoldOut",
    "MetricEstimate",
    "MonitorResult",
    "Performance",
    "TriggerResult",
    "TriggerRule",
    "alerts",
    "estimate_performance",
    "evaluate_triggers",
    "expected_accuracy",
    "expected_roc_auc",
    "gate",
    "headline",
    "history_table",
    "measure_performance",
    "monitor_batch",
    "monitor_model",
    "timeline",
    "to_classes",
]

MAX_REFERENCE_ROWS_TO_SCORE = 50_000

#: The recommended action as a person reads it at the top of a batch's result.


@dataclass(frozen=True)
class MonitorResult:
    batch_id: int
    model: dict[str, Any]  # id, name, version, task
    rows: int
    drift: DriftReport | None
    prediction_drift: ColumnDrift | None
    target_drift: ColumnDrift | None
    performance: Performance | None
    triggers: tuple[TriggerResult, ...]
    action: str  # the model's state: the strongest action of the rules that hold, cool-down or not
    created_at: str
    explain: str
    notes: tuple[str, ...] = field(default_factory=tuple)
    alerting: bool = False  # whether this batch raised a new alert (a rule that holds and is not cooling down)
    headline: str = ""  # the action in one sentence: 'Retrain recommended — already reported on …, so no new alert.'

    def to_json(self) -> dict[str, Any]:
        return {"batch_id": self.batch_id, **self.record()}

    def record(self) -> dict[str, Any]:
        """What is stored for the batch: statistics and verdicts, never the rows themselves."""
        return {
            "model": self.model,
            "rows": self.rows,
            "created_at": self.created_at,
            "drift": self.drift.to_json() if self.drift else None,
            "prediction_drift": self.prediction_drift.to_json() if self.prediction_drift else None,
            "target_drift": self.target_drift.to_json() if self.target_drift else None,
            "performance": self.performance.to_json() if self.performance else None,
            "triggers": [t.to_json() for t in self.triggers],
            "action": self.action,
            "alerting": self.alerting,
            "headline": self.headline,
            "explain": self.explain,
            "notes": list(self.notes),
        }


def _importance_from_report(report: Mapping[str, Any] | None) -> dict[str, float]:
    """Find feature importance in a model's stored report, whatever shape the evaluator gave it."""
    if not report:
        return {}
    candidates: list[Any] = []
    for key in ("importance", "importances", "feature_importance"):
        if key in report:
            candidates.append(report[key])
    for sub in ("drivers", "evaluation"):
        if isinstance(report.get(sub), Mapping):
            for key in ("importances", "importance"):
                if key in report[sub]:
                    candidates.append(report[sub][key])
    for cand in candidates:
        if isinstance(cand, Mapping):
            try:
                return {str(k): float(v) for k, v in cand.items()}
            except (TypeError, ValueError):
                continue
        if isinstance(cand, Sequence):
            out = {}
            for item in cand:
                if isinstance(item, Mapping):
                    name = item.get("column") or item.get("feature") or item.get("name")
                    value = item.get("drop", item.get("importance", item.get("value")))
                    if name is not None and as_float(value) is not None:
                        out[str(name)] = float(value)
            if out:
                return out
    return {}


def _check_batch(frame: pd.DataFrame, features: Sequence[str], labels_column: str | None, label: str) -> None:
    if not isinstance(frame, pd.DataFrame) or len(frame) == 0:
        raise InputError("The batch is empty: it has no rows.", "Choose a file with at least one row of new data.")
    missing = [f for f in features if f not in frame.columns]
    if missing:
        shown = ", ".join(repr(m) for m in missing[:8]) + (" …" if len(missing) > 8 else "")
        raise InputError(
            f"The batch is missing {len(missing)} column(s) that model {label} needs: {shown}.",
            "Use a file with the same columns as the training data (names must match exactly).",
        )
    if labels_column is not None and labels_column not in frame.columns:
        raise InputError(
            f"The labels column '{labels_column}' is not in the batch.",
            "Pick the column that holds the true outcome, or leave the labels empty.",
        )


@dataclass(frozen=True)
class _Model:
    """What monitoring needs to know about a model: its features and their kinds, task, target and classes."""

    features: list[str]
    kinds: dict[str, str]
    task: str
    target: str | None
    classes: list[Any]
    cutoff: float | None = None  # a yes/no model's chosen cut-off (store.set_threshold); None: the likeliest answer

    @classmethod
    def of(cls, info: store.ModelInfo, model: Any) -> _Model:
        schema = getattr(model, "schema", None) or info.schema or {}
        features = [f["name"] for f in schema.get("features", [])]
        kinds = {f["name"]: f.get("kind", "categorical") for f in schema.get("features", [])}
        task = getattr(model, "task", None) or info.task
        target = getattr(model, "target", None) or info.target
        classes = list(getattr(model, "classes_", ()) or ())
        cutoff = getattr(info, "threshold", None) if task == "classification" and len(classes) == 2 else None
        return cls(features, kinds, task, target, classes, None if cutoff is None else float(cutoff))

    @property
    def classifier(self) -> bool:
        return self.task == "classification"

    def answers(self, proba: Any) -> np.ndarray:
        """The answers the model gives for these chances: with its cut-off, if it has one."""
        return np.asarray(self.classes, dtype=object)[given_answers(np.asarray(proba, dtype=float), self.cutoff)]


def monitor_model(
    info: store.ModelInfo,
    model: Any,
    frame: pd.DataFrame,
    labels_column: str | None = None,
    *,
    reference: pd.DataFrame | None = None,
    importance: Mapping[str, float] | None = None,
    rules: Sequence[TriggerRule] = DEFAULT_RULES,
    settings: DriftSettings | None = None,
    now: dt.datetime | None = None,
    keep_rows: bool = False,
    home: Path | None = None,
) -> MonitorResult:
    """Monitor one batch for an already-loaded model and record it. See :func:`monitor_batch`."""
    m = _Model.of(info, model)
    _check_batch(frame, m.features, labels_column, info.label)
    labels = clean_labels(frame[labels_column], m.task, m.classes, labels_column) if labels_column else None
    notes: list[str] = []
    if reference is None and info.dataset_id is not None:
        reference = store.load_dataset(info.dataset_id, home)
    if reference is None:
        notes.append("The training data is no longer kept, so drift could not be measured.")
    drift_report, tgt_drift = _input_drift(m, reference, frame, labels, settings)
    proba = model.predict_proba(frame) if m.classifier else None
    pred = m.answers(proba) if m.classifier else np.asarray(model.predict(frame), dtype=float)
    pred_drift = _prediction_drift(m, model, reference, pred, settings)
    holdout = _holdout(info, m, model, reference) if m.classifier else None
    performance = _performance(info, m, proba, pred, labels, (len(frame), labels_column), notes, holdout)
    triggers, action = evaluate_triggers(
        drift=drift_report,
        performance=performance,
        task=m.task,
        created_at=info.created_at,
        rows=len(frame),
        history=store.list_batches(info.id, home),
        importance=_importance_from_report(info.report) if importance is None else importance,
        rules=rules,
        now=now,
    )
    result = MonitorResult(
        batch_id=0,
        model={"id": info.id, "name": info.name, "version": info.version, "task": m.task},
        rows=len(frame),
        drift=drift_report,
        prediction_drift=pred_drift,
        target_drift=tgt_drift,
        performance=performance,
        triggers=tuple(triggers),
        action=action,
        created_at=(now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds"),
        explain=_explain_batch(drift_report, performance, triggers, action),
        notes=tuple(notes),
        alerting=any(t.alerting for t in triggers),
        headline=headline(triggers, action),
    )
    dataset_id = None
    if keep_rows:  # only when the user asked: the rows become a dataset of their own
        dataset_id = store.save_dataset(frame, f"{info.name} batch", change="Monitored batch", home=home).id
    batch_id = store.save_batch(info.id, len(frame), result.record(), dataset_id=dataset_id, home=home)
    return dataclasses.replace(result, batch_id=batch_id)


def _input_drift(
    m: _Model,
    reference: pd.DataFrame | None,
    frame: pd.DataFrame,
    labels: pd.Series | None,
    settings: DriftSettings | None,
) -> tuple[DriftReport | None, ColumnDrift | None]:
    """Drift of the features against the training data and, with labels, of the answers themselves."""
    if reference is None:
        return None, None
    usable = [f for f in m.features if f in reference.columns]
    report = compare(reference[usable], frame[usable], kinds={f: m.kinds[f] for f in usable}, settings=settings)
    if labels is None or m.target not in reference.columns:
        return report, None
    target = compare_series(
        as_text(reference[m.target]) if m.classifier else reference[m.target],
        as_text(labels) if m.classifier else labels,
        "categorical" if m.classifier else "numeric",
        name="target",
        settings=settings,
    )
    return report, target


def _prediction_drift(
    m: _Model, model: Any, reference: pd.DataFrame | None, pred: np.ndarray, settings: DriftSettings | None
) -> ColumnDrift | None:
    """Drift of the model's answers: on (a sample of) the training data against on the batch."""
    if reference is None:
        return None
    ref_sample = (
        reference
        if len(reference) <= MAX_REFERENCE_ROWS_TO_SCORE
        else reference.sample(MAX_REFERENCE_ROWS_TO_SCORE, random_state=0)
    )
    ref_pred = m.answers(model.predict_proba(ref_sample)) if m.classifier else model.predict(ref_sample)
    kind = "categorical" if m.classifier else "numeric"

    def as_series(a: Any) -> pd.Series:
        return as_text(pd.Series(a)) if m.classifier else pd.Series(a, dtype=float)

    return compare_series(as_series(ref_pred), as_series(pred), kind, name="prediction", settings=settings)


def _holdout(info: store.ModelInfo, m: _Model, model: Any, reference: pd.DataFrame | None) -> HoldOut | None:
    """The model's hold-out rows (kept with its evaluation report), scored by the model: how often it was
    right at each level of confidence corrects the label-free estimate. None when they are not known."""
    rows = (info.report or {}).get("holdout_rows") if isinstance(info.report, Mapping) else None
    if reference is None or not rows or m.target not in reference.columns:
        return None
    part = reference.loc[reference.index.intersection(list(rows)[:MAX_REFERENCE_ROWS_TO_SCORE])]
    part = part[part[m.target].notna()]
    if part.empty or any(f not in part.columns for f in m.features):
        return None
    truth = class_codes(part[m.target].to_numpy(), m.classes)
    order = reference.index.get_indexer(part.index)  # where each row sits in the training file
    return HoldOut(np.asarray(model.predict_proba(part), dtype=float), truth, order)


def _reference_metrics(info: store.ModelInfo, m: _Model, holdout: HoldOut | None) -> dict[str, float | None]:
    """The training hold-out's figures; with a cut-off and the hold-out rows, its accuracy and balanced
    accuracy are measured again with the answers the cut-off gives."""
    out = {k: as_float(v) for k, v in (info.metrics or {}).items() if not isinstance(v, (dict, list))}
    if m.cutoff is None or holdout is None:
        return out
    known = holdout.truth >= 0
    truth = pd.Series(np.asarray(m.classes, dtype=object)[holdout.truth[known]])
    again = measure_performance(m.task, truth, m.answers(holdout.proba[known]), holdout.proba[known], m.classes)
    return {**out, "accuracy": again["accuracy"], "balanced_accuracy": again["balanced_accuracy"]}


def _performance(
    info: store.ModelInfo,
    m: _Model,
    proba: np.ndarray | None,
    pred: np.ndarray,
    labels: pd.Series | None,
    batch: tuple[int, str | None],
    notes: list[str],
    holdout: HoldOut | None = None,
) -> Performance:
    """Estimated (a classifier's confidence) and measured (labels) performance beside the training figures.
    ``batch``: its rows and the labels column."""
    rows, labels_column = batch
    reference_metrics = _reference_metrics(info, m, holdout)
    estimated = (
        estimate_performance(proba, calibration_error=reference_metrics.get("ece"), holdout=holdout, cutoff=m.cutoff)
        if proba is not None
        else {}
    )
    measured: dict[str, float | None] = {}
    n_labelled = 0
    answers = None
    if labels is not None:
        known = labels.notna().to_numpy()
        n_labelled = int(known.sum())
        if n_labelled:
            measured = measure_performance(
                m.task, labels[known], pred[known], np.asarray(proba)[known] if proba is not None else None, m.classes
            )
            if m.classifier:
                truth, given = as_text(labels[known]), as_text(pd.Series(np.asarray(pred)[known]))
                common = truth.value_counts().index[0]
                share, said = float((truth == common).mean()), float((given == common).mean())
                answers = (str(common), share, said, max(2, len(m.classes)))
        else:
            notes.append(f"The labels column '{labels_column}' is empty, so performance could not be measured.")
    keys = ("accuracy", "balanced_accuracy", "roc_auc") if m.classifier else ("mae", "rmse", "r2")
    reference_rows = int((holdout.truth >= 0).sum()) if holdout is not None and m.cutoff is not None else None
    return Performance(
        task=m.task,
        method="+".join(k for k, on in (("cbpe", bool(estimated)), ("labels", bool(measured))) if on) or "none",
        estimated=estimated,
        measured=measured,
        reference={k: reference_metrics.get(k) for k in keys},
        reference_rows=reference_rows or int_or_none(info.params.get("test_rows")),
        rows=rows,
        rows_labelled=n_labelled,
        explain=explain_performance(m.task, estimated, measured, reference_metrics, n_labelled, answers),
    )


def headline(triggers: Sequence[TriggerResult], action: str) -> str:
    """The recommended action in one sentence. A cool-down does not hide it: 'Retrain recommended — already
    reported on 3 Mar 2026, so no new alert.'"""
    words = ACTION_WORDS.get(action, action)
    if action == "none":
        return f"{words}."
    top = [t for t in triggers if t.fired and t.action == action]
    if not top or any(t.alerting for t in top):
        return f"{words}."
    when = max((t.reported_at for t in top if t.reported_at), default=None)
    text = f"{words} — already reported{f' on {date(when)}' if when else ''}, so no new alert."
    new = [t.action for t in triggers if t.alerting]
    if new:
        text += f" New in this batch: {ACTION_WORDS[max(new, key=list(ACTION_WORDS).index)].lower()}."
    return text


def _explain_batch(
    drift: DriftReport | None, perf: Performance | None, triggers: Sequence[TriggerResult], action: str
) -> str:
    parts = []
    if drift is not None:
        parts.append(drift.explain)
    if perf is not None and perf.explain:
        parts.append(perf.explain)
    parts.append(headline(triggers, action))
    parts.extend(t.detail for t in triggers if t.fired)
    return " ".join(parts)


def _load(model_ref: str | int, home: Path | None) -> tuple[store.ModelInfo, Any]:
    from core.models import KeelModel, load_registered

    if home is None:
        return load_registered(model_ref)
    info = store.resolve_model(model_ref, home)
    return info, KeelModel.from_bytes(store.load_model_artifact(info.id, home))


def monitor_batch(
    model_ref: str | int,
    frame: pd.DataFrame,
    labels_column: str | None = None,
    home: Path | None = None,
    *,
    importance: Mapping[str, float] | None = None,
    rules: Sequence[TriggerRule] = DEFAULT_RULES,
    settings: DriftSettings | None = None,
    now: dt.datetime | None = None,
    keep_rows: bool = False,
) -> MonitorResult:
    """Record a new batch for a registered model (id, name, name:version or name@champion).

    Compares the batch with the model's training data, estimates (and, with ``labels_column``,
    measures) performance, runs the trigger rules and stores the batch's statistics. The rows
    themselves are kept only with ``keep_rows=True``.
    """
    info, model = _load(model_ref, home)
    return monitor_model(
        info,
        model,
        frame,
        labels_column,
        importance=importance,
        rules=rules,
        settings=settings,
        now=now,
        keep_rows=keep_rows,
        home=home,
    )

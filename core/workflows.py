"""Multi-step user actions shared by the pages and the CLI (so neither holds the logic)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from core import store
from core.errors import InputError

PII_ACTIONS = ("keep", "mask", "pseudonymise", "drop")
_PII_FIX = {"mask": "mask_pii", "pseudonymise": "pseudonymise_pii", "drop": "drop_column"}


def keep_upload(
    table: Any,  # core.ingest.Table
    name: str | None = None,
    pii_actions: dict[str, str] | None = None,
) -> store.DatasetInfo:
    """Store an uploaded table, applying the user's PII choices *before* anything is written."""
    from core.data.fixes import apply_fix

    frame: pd.DataFrame = table.frame
    changes: list[str] = []
    for column, action in (pii_actions or {}).items():
        if action == "keep":
            continue
        if action not in _PII_FIX:
            raise InputError(
                f"'{action}' is not a way to handle personal data.", f"Use one of: {', '.join(PII_ACTIONS)}."
            )
        frame, description = apply_fix(frame, _PII_FIX[action], column, key=store.secret_key())
        changes.append(description)
    notes = tuple(table.notes) + tuple(f"Before storing: {c}" for c in changes)
    return store.save_dataset(
        frame,
        name or table.source_name,
        original_name=table.source_name,
        source_format=table.format,
        size_bytes=table.size_bytes,
        notes=notes,
        change="Uploaded" + (f" ({'; '.join(changes)})" if changes else ""),
    )


def fix_dataset(dataset_id: int, fix: str, column: str | None) -> store.DatasetInfo:
    """Apply a one-click fix to a stored dataset; the result is a new version pointing at its parent."""
    from core.data.fixes import apply_fix

    info = store.get_dataset(dataset_id)
    frame = store.load_dataset(dataset_id)
    fixed, description = apply_fix(frame, fix, column, key=store.secret_key())
    return store.save_dataset(
        fixed,
        info.name,
        parent_id=info.id,
        change=description,
        original_name=info.original_name,
        source_format=info.source_format,
    )


def dataset_profile(dataset_id: int, target: str | None = None):  # -> core.quality.Profile
    """Profile a stored dataset version using the column kinds the user confirmed."""
    from core.data.quality import profile

    info = store.get_dataset(dataset_id)
    frame = store.load_dataset(dataset_id)
    if target is not None and target not in frame.columns:
        target = None
    return profile(frame, target=target, kinds=info.kinds or None)


def _check_target(frame: pd.DataFrame, target: str) -> None:
    if target not in frame.columns:
        raise InputError(
            f"The table has no column named '{target}'.",
            f"Choose one of: {', '.join(map(str, list(frame.columns)[:20]))}.",
        )


def default_model_name(dataset: store.DatasetInfo, target: str) -> str:
    """<file>-<target>, e.g. customer-churn-churned: unrelated models never become versions of each other."""
    return store.slug(Path(dataset.original_name or dataset.name).stem, target)


@dataclass(frozen=True)
class TrainOutcome:
    dataset: store.DatasetInfo
    result: Any  # core.train.TrainResult
    model: store.ModelInfo


def train_and_register(
    source: Any,  # a core.ingest.Table or a stored dataset id
    *,
    target: str,
    task: str = "auto",
    name: str | None = None,
    include: tuple[str, ...] = (),
    exclude: tuple[str, ...] = (),
    split: str = "auto",
    date_column: str | None = None,
    time_budget_s: float = 300.0,
    seed: int = 0,
    pii: str = "mask",
    progress: Callable[[float, str], None] | None = None,
) -> TrainOutcome:
    """Keep the data (if new), train and compare candidates, evaluate, register the winner."""
    from core import models
    from core.data.quality import profile
    from core.models import train

    if isinstance(source, int):
        dataset = store.get_dataset(source)
        frame = store.load_dataset(source)
        _check_target(frame, target)
        findings = profile(frame, target=target, kinds=dataset.kinds or None).findings
    else:
        # A file straight from disk (the CLI): personal data is handled before anything is stored.
        _check_target(source.frame, target)
        if pii not in PII_ACTIONS:
            raise InputError(f"'{pii}' is not a way to handle personal data.", f"Use one of: {', '.join(PII_ACTIONS)}.")
        findings = profile(source.frame, target=target).findings
        actions = {f.column: pii for f in findings if f.code == "pii" and f.column and f.column != target}
        dataset = keep_upload(source, pii_actions=actions)
        frame = store.load_dataset(dataset.id) if any(a != "keep" for a in actions.values()) else source.frame
    result = train.train(
        frame,
        target,
        task=task,
        findings=findings,
        include=include,
        exclude=exclude,
        split=split,
        date_column=date_column,
        time_budget_s=time_budget_s,
        seed=seed,
        progress=progress,
    )
    report = evaluation_report(result, seed=seed)
    info = models.register(
        result, name=name or default_model_name(dataset, target), dataset_id=dataset.id, report=report
    )
    return TrainOutcome(dataset=dataset, result=result, model=info)


def evaluation_report(result: Any, seed: int = 0, max_rows: int = 50_000) -> dict[str, Any]:
    """Everything the Evaluate page and the model card show, as JSON-ready data.

    The report is computed on at most ``max_rows`` hold-out rows (a seeded sample): intervals on
    50,000 rows are already narrow, and it keeps the bootstrap's memory small on big tables.
    """
    from core.models import evaluate

    X, y = result.X_test, result.y_test
    if len(X) > max_rows:
        X = X.sample(max_rows, random_state=seed)
        y = y.loc[X.index]
    return _report_record(evaluate.full_report(result.model, X, y, result.task, seed=seed), X)


def _report_record(report, X: pd.DataFrame) -> dict[str, Any]:
    """A report as stored with a model version: the results, plus which dataset rows were the test
    rows, so the Evaluate page can re-score them on demand (threshold by cost, fairness by a column
    the user marks, recalibration)."""
    importance = {i.column: i.drop for i in report.drivers.importances} if report.drivers else {}
    return {"full": report.to_dict(), "holdout_rows": [int(i) for i in X.index], "importance": importance}


def stored_report(info: store.ModelInfo):  # -> core.evaluate.Report | None
    from core.models import evaluate

    full = (info.report or {}).get("full")
    return evaluate.Report.from_dict(full) if full else None


def holdout(info: store.ModelInfo) -> tuple[pd.DataFrame, pd.Series]:
    """The test rows a model was evaluated on, re-read from its training dataset."""
    rows = (info.report or {}).get("holdout_rows")
    if info.dataset_id is None or not rows:
        raise InputError(
            f"Keel has no record of the test rows of model {info.label}.",
            "Train the model again to evaluate it further.",
        )
    frame = store.load_dataset(info.dataset_id)
    part = frame.loc[frame.index.intersection(rows)]
    part = part[part[info.target].notna()]
    return part.drop(columns=[info.target]), part[info.target]


def model_card(info: store.ModelInfo) -> str:
    """The model card (self-contained HTML) of a registered model, from what the registry holds."""
    from core.models import card

    report = stored_report(info)
    if report is None:
        raise InputError(
            f"Model {info.label} has no stored evaluation, so Keel cannot write its card.",
            "Train the model again to get a full report and a card.",
        )
    dataset_name, rows, findings = "(deleted)", None, []
    if info.dataset_id is not None:
        try:
            dataset = store.get_dataset(info.dataset_id)
            dataset_name, rows = dataset.label, dataset.rows
            findings = list(dataset_profile(dataset.id, info.target).findings)
        except Exception:  # the card still helps without the data section
            pass
    card_info = {
        "name": info.name,
        "version": info.version,
        "task": info.task,
        "algorithm": info.algorithm,
        "target": info.target,
        "dataset_name": dataset_name,
        "rows": rows,
        "created_at": info.created_at,
        "stage": info.stage,
        "metrics": info.metrics,
        "features": [{"name": f["name"], "kind": f.get("kind")} for f in info.schema.get("features", [])],
        # what a person wrote on the card (store.update_card), and the cut-off the model answers with
        "intended_use": info.card.get("intended_use"),
        "out_of_scope": info.card.get("not_for"),
        "owner": info.card.get("owner"),
        "notes": info.card.get("notes"),
        "limits": [line.strip("-• ").strip() for line in info.card.get("limitations", "").splitlines() if line.strip()],
        "threshold": info.threshold,
    }
    examples = _card_examples(info, findings)
    return card.model_card_html(card_info, report.evaluation, findings, {"report": report, "examples": examples})


def example_rows(info: store.ModelInfo, hidden: Sequence[str] = ()) -> tuple[Any, ...]:
    """A few typical and a few surprising hold-out rows of a registered model, each with why it answered so
    (:func:`core.models.example_rows`); empty when the hold-out rows are no longer in the store."""
    from core import models
    from core.errors import KeelError

    try:
        X, y = holdout(info)
        _, model = models.load_registered(info.id)
    except (KeelError, OSError):
        return ()
    background = models.background_for(info.dataset_id) if models.needs_background(model) else None
    return models.example_rows(model, X, y, hidden=tuple(hidden), background=background)


def _card_examples(info: store.ModelInfo, findings: Sequence[Any]) -> list[dict[str, Any]]:
    """The card's example rows: the values of columns holding personal data are never written on it."""
    hidden = [f.column for f in findings if getattr(f, "code", None) == "pii" and f.column]
    return [e.to_json() for e in example_rows(info, hidden)]


def run_forecast(
    dataset_id: int,
    *,
    date: str,
    value: str | Sequence[str],
    id: str | Sequence[str] | None = None,
    ids: tuple[str, ...] | None = None,
    horizon: int,
    level: float = 90.0,
    season: int | None = None,
    fill: str = "auto",
    aggregate_to: str | None = None,
    holidays: str | None = None,
    events: pd.DataFrame | None = None,
    drivers: Sequence[str] | None = None,
    stockout: str | None = None,
    family: str | None = None,
    progress: Callable[[float, str], None] | None = None,
):  # -> tuple[int, ForecastResult] or, with a family, tuple[int, ForecastResult, FamilyForecast]
    """Forecast a stored dataset (optionally only some series) and keep the forecast with its data version.

    ``holidays``, ``events``, ``drivers`` and ``stockout`` are what the shop knows, as the CLI's ``forecast``
    takes them (:func:`core.forecasting.forecast`); they are kept with the forecast. ``family`` (a column
    grouping the products, e.g. 'category'): the family totals are forecast too and reconciled with the
    products (:func:`core.forecasting.forecast_families`); the products' forecast kept is the reconciled one,
    and the family result comes third."""
    from core.forecasting import forecast, forecast_families
    from core.forecasting.timeseries import long_format

    frame, value_col, key = long_format(store.load_dataset(dataset_id), date, value, id)
    if key is not None and ids:
        frame = frame[frame[key].astype(str).isin(set(ids))]
    report = progress or (lambda fraction, text: None)
    settings: dict[str, Any] = {
        "horizon": horizon,
        "level": level,
        "season": season,
        "fill": fill,
        "aggregate_to": aggregate_to,
        "progress": lambda done, total: report(done / max(total, 1), f"{done} of {total} series done"),
        "holidays": holidays or None,
        "events": events,
        "drivers": list(drivers or []) or None,
        "stockout": stockout or None,
    }
    families = None
    if family:
        if key is None:
            raise InputError(
                f"Totals per '{family}' need a product column: the forecast has one series.",
                "Choose the column that names each product under 'One forecast per…'.",
            )
        families = forecast_families(frame, date, value_col, key, family, **settings)
        result = families.products
    else:
        result = forecast(frame, date=date, value=value_col, id=key, **settings)
    params = {
        "date": date,
        "value": value if isinstance(value, str) else list(value),
        "id": id if id is None or isinstance(id, str) else list(id),
        "ids": list(ids or []),
        "horizon": horizon,
        "level": level,
        "season": season,
        "fill": fill,
        "aggregate_to": aggregate_to,
        "holidays": holidays or None,
        "events": None if events is None else events.astype(str).to_dict("records"),
        "drivers": list(drivers or []),
        "stockout": stockout or None,
    }
    if family:
        params["family"] = family
    forecast_id = store.save_forecast(dataset_id, params, result.to_json())
    return (forecast_id, result) if families is None else (forecast_id, result, families)


@dataclass(frozen=True)
class RetrainOutcome:
    champion: store.ModelInfo | None
    challenger: store.ModelInfo
    decision: Any  # core.monitor.GateDecision
    holdout_rows: int
    dataset: store.DatasetInfo


def retrain_with_gate(
    model_ref: str | int,
    batch: pd.DataFrame,
    labels_column: str | None = None,
    *,
    margin: float = 0.01,
    recent_share: float = 0.3,
    time_budget_s: float = 120.0,
    seed: int = 0,
    progress: Callable[[float, str], None] | None = None,
) -> RetrainOutcome:
    """Retrain on the training data plus a new labelled batch, and promote only if it is better.

    The newest ``recent_share`` of the batch is kept aside as the *recent hold-out*: champion and
    challenger are both scored on exactly those rows, and the challenger replaces the champion
    only when it wins by more than ``margin``. The decision and its reason go to the audit log.
    """
    from core import models
    from core.models import train
    from core.monitoring import monitor

    info, champion_model = models.load_registered(model_ref)
    target = info.target
    if info.dataset_id is None:
        raise InputError(f"The training data of model {info.label} was deleted.", "Train a new model instead.")
    reference = store.load_dataset(info.dataset_id)
    labelled = _labelled_rows(batch, info, champion_model, labels_column or target, reference[target])
    cut = round(len(labelled) * (1 - recent_share))
    new_train, recent = labelled.iloc[:cut], labelled.iloc[cut:]
    combined = pd.concat([reference, _rows_to_keep(new_train, reference, info, champion_model)], ignore_index=True)
    parent = store.get_dataset(info.dataset_id)
    dataset = store.save_dataset(
        combined, parent.name, parent_id=parent.id, change=f"Added {len(new_train):,} labelled rows from a new batch"
    )
    result = train.train(
        combined,
        target,
        task=info.task,
        time_budget_s=time_budget_s,
        seed=seed,
        include=tuple(info.params.get("put_back", [])),
        progress=progress,
    )
    champion_metrics = _score_recent(champion_model, recent, target, info.task)
    challenger_metrics = _score_recent(result.model, recent, target, info.task)
    primary = info.params.get("primary_metric") or result.primary_metric
    decision = monitor.gate(champion_metrics, challenger_metrics, primary, margin)
    challenger = models.register(
        result, name=info.name, dataset_id=dataset.id, report=evaluation_report(result, seed=seed)
    )
    store.record_decision(
        challenger.id,
        "gate",
        decision=decision.decision,
        reason=decision.reason,
        champion_id=info.id,
        recent_rows=len(recent),
        champion_metrics=champion_metrics,
        challenger_metrics=challenger_metrics,
    )
    if decision.decision == "promote":
        store.set_stage(challenger.id, "champion", reason=decision.reason)
    return RetrainOutcome(
        champion=info,
        challenger=store.get_model(challenger.id),
        decision=decision,
        holdout_rows=len(recent),
        dataset=dataset,
    )


def _labelled_rows(
    batch: pd.DataFrame, info: store.ModelInfo, model: Any, labels_column: str, reference_target: pd.Series
) -> pd.DataFrame:
    """The batch's rows whose true answer is known, with the answer under the model's target name and, for a
    classifier, written as the model knows its answers ('yes' for 'Yes' or for True; a new class stays)."""
    from core.monitoring import monitor

    target = info.target
    if labels_column not in batch.columns:
        raise InputError(
            f"The new batch has no column '{labels_column}' with the real outcomes.",
            "Retraining needs the true answers for the new rows; add them, or wait until they are known.",
        )
    labelled = batch[batch[labels_column].notna()].rename(columns={labels_column: target})
    if len(labelled) < 20:
        raise InputError(
            f"Only {len(labelled)} rows of the new batch have a known '{labels_column}'.",
            "Retraining needs at least 20 labelled new rows; wait for more outcomes.",
        )
    if info.task == "classification":
        answers = monitor.to_classes(labelled[target], tuple(model.classes_), labels_column, strict=False)
        if pd.api.types.is_bool_dtype(reference_target) and answers.map(pd.api.types.is_bool).all():
            answers = answers.astype(reference_target.dtype)
        labelled = labelled.assign(**{target: answers})
    return labelled


def _rows_to_keep(new_train: pd.DataFrame, reference: pd.DataFrame, info: store.ModelInfo, model: Any) -> pd.DataFrame:
    """The new rows as they may be stored: only what the model reads and the answer. A column the training copy
    had masked, pseudonymised or left out (an email, a name) must not enter the stored data raw from the batch;
    a masked column the user put back is masked the same way."""
    from core.data import pii

    inputs = set(model.feature_names) | set(info.params.get("put_back", []))
    carried = [c for c in new_train.columns if c in reference.columns and (c == info.target or c in inputs)]
    rows = new_train[carried]
    for c in carried:
        if (
            c != info.target
            and not pd.api.types.is_numeric_dtype(reference[c])
            and pii.masked_share(reference[c]) >= 0.5
        ):
            rows = rows.assign(**{c: pii.mask_detected(rows[c].astype("string"))[0]})
    return rows


def _score_recent(model: Any, recent: pd.DataFrame, target: str, task: str) -> dict[str, float | None]:
    """A model's metrics on the recent hold-out (for a classifier, on the rows whose answer it knows)."""
    from core.models import train

    X_recent, y_recent = recent.drop(columns=[target]), recent[target]
    if task == "classification":
        classes = [str(c) for c in model.classes_]
        known = y_recent.astype(str).isin(classes)
        return train.classification_metrics(
            y_recent[known].astype(str).to_numpy(), model.predict_proba(X_recent[known]), classes
        )
    return train.regression_metrics(y_recent.to_numpy(dtype=float), model.predict(X_recent))


def rollback(name: str) -> store.ModelInfo:
    """Make the previous champion of ``name`` the champion again."""
    previous = store.previous_champion(name)
    if previous is None:
        raise InputError(
            f"Model '{name}' has no earlier champion to go back to.",
            "Rollback needs a model that was in use before the current one.",
        )
    return store.set_stage(previous.id, "champion", reason="rolled back by the user")


def keep_recalibrated(model_id: int, method: str = "isotonic", seed: int = 0) -> store.ModelInfo:
    """Register a recalibrated copy of a classifier as a new version — only if recalibrating helps.

    The calibrator is fitted on half of the model's test rows and judged on the other half
    (``evaluate.recalibrate``); the new version's report is measured on all test rows, which the
    version's warnings say is slightly optimistic.
    """
    from core import models
    from core.models import evaluate

    info, model = models.load_registered(model_id)
    if info.task != "classification":
        raise InputError("Only models that sort into groups can be recalibrated.", "Pick a classification model.")
    X, y = holdout(info)
    recal = evaluate.recalibrate(model, X, y, method=method, seed=seed)
    if not recal.check.helps:
        raise InputError(
            f"Recalibrating {info.label} would not make its confidence more trustworthy.",
            "Keep the model as it is.",
        )
    new_model = models.RecalibratedKeelModel(model, recal.model)
    report = evaluate.full_report(new_model, X, y, info.task, seed=seed)
    params = {
        **info.params,
        "recalibrated_from": info.id,
        "calibration_method": method,
        "warnings": [
            *info.params.get("warnings", []),
            "The calibrator was fitted on half of these test rows, so the numbers are slightly optimistic.",
        ],
    }
    return store.save_model(
        new_model.to_bytes(),
        name=info.name,
        task=info.task,
        algorithm=new_model.algorithm,
        dataset_id=info.dataset_id,
        target=info.target,
        metrics=dict(report.evaluation.metrics),
        params=params,
        schema=info.schema,
        report=_report_record(report, X),
    )


def rescore(info: store.ModelInfo, what: str, **options: Any) -> Any:
    """Re-score a model's test rows for an on-demand view: ``threshold`` (costs), ``fairness``
    (a sensitive column) or ``recalibration`` (would recalibrating help?)."""
    from core import models
    from core.models import evaluate

    _, model = models.load_registered(info.id)
    X, y = holdout(info)
    if what == "recalibration":
        return evaluate.recalibrate(model, X, y).check
    positive = str(options.pop("positive_label"))
    if what == "threshold":
        proba = model.predict_proba(X)[:, [str(c) for c in model.classes_].index(positive)]
        return evaluate.choose_threshold(
            y.astype(str).to_numpy(),
            proba,
            options["cost_false_alarm"],
            options["cost_miss"],
            positive_label=positive,
            unit=options.get("unit", ""),
        )
    if what == "fairness":
        return evaluate.fairness(model, X, y, options["column"], positive_label=positive)
    raise ValueError(f"unknown view {what!r}")

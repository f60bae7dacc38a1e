"""Multi-step user actions shared by the pages and the CLI (so neither holds the logic)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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
    from core.fixes import apply_fix

    frame: pd.DataFrame = table.frame
    changes: list[str] = []
    for column, action in (pii_actions or {}).items():
        if action == "keep":
            continue
        if action not in _PII_FIX:
            raise InputError(f"'{action}' is not a way to handle personal data.", f"Use one of: {', '.join(PII_ACTIONS)}.")
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
    from core.fixes import apply_fix

    info = store.get_dataset(dataset_id)
    frame = store.load_dataset(dataset_id)
    fixed, description = apply_fix(frame, fix, column, key=store.secret_key())
    return store.save_dataset(fixed, info.name, parent_id=info.id, change=description,
                              original_name=info.original_name, source_format=info.source_format)


def dataset_profile(dataset_id: int, target: str | None = None):  # -> core.quality.Profile
    """Profile a stored dataset version using the column kinds the user confirmed."""
    from core.quality import profile

    info = store.get_dataset(dataset_id)
    frame = store.load_dataset(dataset_id)
    if target is not None and target not in frame.columns:
        target = None
    return profile(frame, target=target, kinds=info.kinds or None)


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
    progress: Callable[[float, str], None] | None = None,
) -> TrainOutcome:
    """Keep the data (if new), train and compare candidates, evaluate, register the winner."""
    from core import modelio, train
    from core.quality import profile

    if isinstance(source, int):
        dataset = store.get_dataset(source)
        frame = store.load_dataset(source)
    else:
        dataset = keep_upload(source)
        frame = source.frame
    if target not in frame.columns:
        raise InputError(
            f"The table has no column named '{target}'.",
            f"Choose one of: {', '.join(map(str, list(frame.columns)[:20]))}.",
        )
    findings = profile(frame, target=target, kinds=dataset.kinds or None).findings
    result = train.train(
        frame, target, task=task, findings=findings, include=include, exclude=exclude, split=split,
        date_column=date_column, time_budget_s=time_budget_s, seed=seed, progress=progress,
    )
    report = evaluation_report(result, seed=seed)
    info = modelio.register(result, name=name or target, dataset_id=dataset.id, report=report)
    return TrainOutcome(dataset=dataset, result=result, model=info)


def evaluation_report(result: Any, seed: int = 0, max_rows: int = 50_000) -> dict[str, Any]:
    """Everything the Evaluate page and the model card show, as JSON-ready data.

    The report is computed on at most ``max_rows`` hold-out rows (a seeded sample): intervals on
    50,000 rows are already narrow, and it keeps the bootstrap's memory small on big tables.
    """
    from core import evaluate

    X, y = result.X_test, result.y_test
    if len(X) > max_rows:
        X = X.sample(max_rows, random_state=seed)
        y = y.loc[X.index]
    report = evaluate.full_report(result.model, X, y, result.task, seed=seed)
    return report.to_dict()

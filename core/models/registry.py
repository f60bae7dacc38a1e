"""Keeping trained models as named versions in the store, and loading them back.

:func:`register` saves a training result as the next version of a name; :func:`load_registered` finds a
model by id, ``name``, ``name:version`` or ``name@champion`` and loads it after the store has checked its
fingerprint. The file format itself is :mod:`core.models.model`'s.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core import store
from core.models.features import plain
from core.models.model import KeelModel

if TYPE_CHECKING:  # pragma: no cover
    from core.models.train import TrainResult


def _params(result: TrainResult) -> dict[str, Any]:
    """How the model was trained, kept beside it: the split, the columns, the leaderboard, the warnings."""
    plan = result.feature_plan
    return {
        "seed": result.seed,
        "primary_metric": result.primary_metric,
        "split": result.split.description,
        "split_kind": result.split.kind,
        "date_column": result.split.date_column,
        "train_rows": result.split.train_rows,
        "test_rows": result.split.test_rows,
        "features": list(plan.used),
        "left_out": [{"column": x.column, "code": x.code, "reason": x.reason} for x in plan.left_out],
        "put_back": [x.column for x in plan.put_back],
        "baseline_metrics": result.baseline_metrics,
        "leaderboard": [
            {
                "algorithm": r.algorithm,
                "metrics": r.metrics,
                "cv_std": r.cv_std,
                "fit_seconds": r.fit_seconds,
                "predict_ms_per_1000": r.predict_ms_per_1000,
                "size_bytes": r.size_bytes,
                "note": r.note,
            }
            for r in result.leaderboard
        ],
        "warnings": list(result.warnings),
        "classes": [plain(c) for c in result.classes],
    }


def register(
    result: TrainResult, name: str, dataset_id: int | None, report: dict[str, Any] | None = None
) -> store.ModelInfo:
    """Keep a trained model as the next version of ``name`` (stage 'candidate')."""
    return store.save_model(
        result.model.to_bytes(),
        name=name,
        task=result.task,
        algorithm=result.model.algorithm,
        dataset_id=dataset_id,
        target=result.target,
        metrics=dict(result.holdout_metrics),
        params=_params(result),
        schema=result.model.schema,
        report=report,
    )


def load_registered(ref: str | int) -> tuple[store.ModelInfo, KeelModel]:
    """Find a model (id, name, name:version, name@champion) and load it, hash-checked by the store."""
    info = store.resolve_model(ref)
    payload = store.load_model_artifact(info.id)  # raises IntegrityError if the file changed
    model = KeelModel.from_bytes(payload)
    model.cutoff = info.threshold  # predictions of a yes/no model follow the cut-off chosen for it
    return info, model

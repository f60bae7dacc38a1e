"""Models: turning tables into model input, training and comparing candidates, evaluating, the model file
format and registry, scoring new data, and the model card.

Pages, the CLI and other packages import these names from ``core.models``. ``evaluate`` and ``train`` are
public as modules (their many results and helpers are reached as ``evaluate.X`` and ``train.X``); the
training function is ``train.train``.
"""

from core.models import evaluate, train
from core.models.card import model_card_html
from core.models.encoding import CategoryCodes
from core.models.model import TRUSTED_TYPES, KeelModel, RecalibratedKeelModel, convert_legacy_artifact
from core.models.predict import (
    OnePrediction,
    SchemaReport,
    check_schema,
    predict_command,
    predict_frame,
    predict_one,
    score_upload,
    to_safe_csv,
)
from core.models.registry import load_registered, register
from core.models.train import LeaderboardRow, TrainResult

__all__ = [
    "TRUSTED_TYPES",
    "CategoryCodes",
    "KeelModel",
    "LeaderboardRow",
    "OnePrediction",
    "RecalibratedKeelModel",
    "SchemaReport",
    "TrainResult",
    "check_schema",
    "convert_legacy_artifact",
    "evaluate",
    "load_registered",
    "model_card_html",
    "predict_command",
    "predict_frame",
    "predict_one",
    "register",
    "score_upload",
    "to_safe_csv",
    "train",
]

"""Models: turning tables into model input, training and comparing candidates, evaluating, the model file
format and registry, scoring new data, and the model card.

=================  ======================================================================================
``features``       a raw table as model input (numbers, yes/no, categories, date parts); the schema
``encoding``       CategoryCodes, the category encoder inside saved pipelines (its path is file format)
``model``          KeelModel / RecalibratedKeelModel, the skops file format, TRUSTED_TYPES, legacy conversion
``registry``       register / load_registered: models as named versions in the store
``candidates``     the training candidates' registry: add a candidate here, as one entry
``columns``        task detection, split suggestion, which columns a model learns from and why
``checks``         the table and target checked before training
``crossval``       folds, cross-validation of one candidate, the leaderboard row
``metrics``        the one implementation of every metric (leaderboard and evaluation)
``train``          train(): check, choose columns, split, compare, choose, refit, warn
``evaluate/``      honest evaluation, one module per concern (see its docstring)
``predict``        schema checks, scoring a table or one row, CSV that cannot run as a formula
``compact``        smaller, faster variants of a model (fewer/shallower trees, distilled, float32)
``card``           the model card (``templates/model_card.html``; ``card_svg``, ``card_risk``)
=================  ======================================================================================

Pages, the CLI and other packages import these names from ``core.models``. ``evaluate`` and ``train`` are
public as modules (their many results and helpers are reached as ``evaluate.X`` and ``train.X``); the
training function is ``train.train``.
"""

from core.models import evaluate, train
from core.models.card import model_card_html
from core.models.compact import CompactReport, Variant, compact_variants, keep_variant
from core.models.encoding import CategoryCodes
from core.models.examples import ExampleRow, example_rows
from core.models.explain import RowExplanation, background_for, common_categories, explain_one, needs_background
from core.models.export import export_content, export_model
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
    "CompactReport",
    "ExampleRow",
    "KeelModel",
    "LeaderboardRow",
    "OnePrediction",
    "RecalibratedKeelModel",
    "RowExplanation",
    "SchemaReport",
    "TrainResult",
    "Variant",
    "background_for",
    "check_schema",
    "common_categories",
    "compact_variants",
    "convert_legacy_artifact",
    "evaluate",
    "example_rows",
    "explain_one",
    "export_content",
    "export_model",
    "keep_variant",
    "load_registered",
    "model_card_html",
    "needs_background",
    "predict_command",
    "predict_frame",
    "predict_one",
    "register",
    "score_upload",
    "to_safe_csv",
    "train",
]

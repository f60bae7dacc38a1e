"""A trained model as Keel keeps it, and its file format.

:class:`KeelModel` wraps a fitted scikit-learn ``Pipeline`` together with a ``schema`` (the
feature columns, their kinds, seen categories and numeric ranges), the task, the target and the
classes. It turns a raw table into model input itself (:func:`core.models.features.prepare_features`),
so a page or the CLI can hand it any frame with the right columns.

Safety: a model is saved as a skops file (:meth:`KeelModel.to_bytes`). Loading one
(:meth:`KeelModel.from_bytes`) builds only scikit-learn's and numpy's own types plus the few in
:data:`TRUSTED_TYPES`, and never calls a function named in the file, so a changed or planted model
file can at worst give wrong answers, never run code. The store also refuses a file whose SHA-256
differs from the one recorded when Keel wrote it. Models an earlier Keel saved as joblib pickles
are converted once by the store (:func:`convert_legacy_artifact`); nothing else unpickles, and a
file a user uploads is never loaded as a model. The threat model is in ``docs/security.md``.

Keeping models as named versions (``register``, ``load_registered``) is :mod:`core.models.registry`'s
job: this module never touches the store, so the store can use the file format without a cycle.
"""

from __future__ import annotations

import functools
import io
import json
import zipfile
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import ThreadpoolController

from core.errors import IntegrityError
from core.models.features import (  # noqa: F401  (re-exported: callers read them from here)
    DATE_PARTS,
    FORMAT_VERSION,
    MAX_SAVED_CATEGORIES,
    build_schema,
    date_part_name,
    input_columns,
    plain,
    prepare_features,
    to_bool_float,
    to_category_text,
    to_datetime,
    to_float,
)

CHUNK_ROWS = 50_000

# --------------------------------------------------------------------------- the model


@functools.cache
def _controller() -> ThreadpoolController:
    return ThreadpoolController()


def one_thread() -> Any:
    """Native libraries (BLAS, OpenMP) limited to one thread while a block runs. The libraries are found once per
    process: finding them reads /proc/self/maps, about 10 ms, which one-row scoring (the API) cannot afford."""
    return _controller().limit(limits=1)


class KeelModel:
    """A fitted pipeline plus the schema it was trained on. Never mutated after training."""

    def __init__(
        self,
        pipeline: Any,
        schema: dict[str, Any],
        task: str,
        target: str,
        classes_: tuple[Any, ...] = (),
        algorithm: str = "",
        fitted_on_codes: bool = False,
        temperature: float = 1.0,
    ) -> None:
        self.pipeline = pipeline
        self.schema = schema
        self.task = task
        self.target = target
        self.classes_ = tuple(classes_)
        self.algorithm = algorithm
        self.fitted_on_codes = fitted_on_codes  # pipeline learned 0..k-1 standing for classes_
        self.temperature = float(temperature)  # chances are tempered: softmax(log p / T); 1 leaves them as they are
        self.cutoff: float | None = (
            None  # a yes/no model's chosen cut-off, set from the store when loaded (not in the file)
        )
        self.format_version = FORMAT_VERSION

    @property
    def feature_names(self) -> list[str]:
        return [f["name"] for f in self.schema["features"]]

    def prepare(self, frame: pd.DataFrame) -> pd.DataFrame:
        return prepare_features(frame, self.schema)

    def _chunks(self, frame: pd.DataFrame) -> list[pd.DataFrame]:
        """Big tables are scored in slices: bounded memory, and faster (memory is reused)."""
        if len(frame) <= CHUNK_ROWS:
            return [frame]
        return [frame.iloc[i : i + CHUNK_ROWS] for i in range(0, len(frame), CHUNK_ROWS)]

    def predict(self, frame: pd.DataFrame, *, prepared: bool = False) -> np.ndarray:
        """``prepared``: ``frame`` is already :meth:`prepare`'s output (scoring many variants of one
        table, e.g. one shuffled column at a time, then prepares the table once)."""
        if self.task == "classification":
            proba = self.predict_proba(frame, prepared=prepared)
            return label_array(self.classes_)[proba.argmax(axis=1)]
        parts = self._scored_chunks(frame, proba=False, prepared=prepared)
        return np.concatenate(parts) if parts else np.empty(0)

    def predict_proba(self, frame: pd.DataFrame, *, prepared: bool = False) -> np.ndarray:
        """One column per class, in the order of ``classes_``."""
        if self.task != "classification":
            raise TypeError("predict_proba is only available for a classification model")
        parts = self._scored_chunks(frame, proba=True, prepared=prepared)
        proba = np.vstack(parts) if parts else np.empty((0, len(self.classes_)))
        return temper(proba, getattr(self, "temperature", 1.0))

    def score_chunk(self, part: pd.DataFrame, *, proba: bool, prepared: bool) -> np.ndarray:
        """One chunk's chances (``proba``) or predicted numbers."""
        X = part if prepared else self.prepare(part)
        if proba:
            return aligned_proba(self.pipeline, X, self.classes_, on_codes=getattr(self, "fitted_on_codes", False))
        return np.asarray(self.pipeline.predict(X), dtype=float)

    def _scored_chunks(self, frame: pd.DataFrame, *, proba: bool, prepared: bool) -> list[np.ndarray]:
        """Every chunk scored: here, or on a Dask cluster when one is configured (``predict --cluster``) and the
        table has more than one chunk. The cluster's workers rebuild the model from its file format."""
        chunks = self._chunks(frame)
        if len(chunks) > 1:
            from core import cluster

            if cluster.address() is not None:
                payload = self.to_bytes()
                return cluster.run_all(score_remote, [(payload, part, proba, prepared) for part in chunks])
        # One thread per native library: a shared server scores for several sessions at once, and
        # busy-waiting OpenMP threads cost far more than they save when the cores are busy.
        with one_thread():
            return [self.score_chunk(part, proba=proba, prepared=prepared) for part in chunks]

    scores_prepared = True  # predict(..., prepared=True) works

    def prepared_columns(self, name: str) -> list[str]:
        """The columns of :meth:`prepare`'s output made from the feature ``name`` (a date gives several)."""
        kind = next((f["kind"] for f in self.schema["features"] if f["name"] == name), None)
        if kind == "datetime":
            return [date_part_name(str(name), part) for part in DATE_PARTS]
        return [str(name)] if kind is not None else []

    def to_bytes(self) -> bytes:
        """The model as a skops file: loading it builds only allow-listed types and runs no code."""
        return _dump_state(self._state())

    def _state(self) -> dict[str, Any]:
        return {
            "keel_model": MODEL_FILE_VERSION,
            "pipeline": self.pipeline,
            "schema_json": json.dumps(self.schema, default=_json_default),
            "task": self.task,
            "target": str(self.target),
            "classes_json": json.dumps([plain(c) for c in self.classes_]),
            "algorithm": self.algorithm,
            "fitted_on_codes": bool(getattr(self, "fitted_on_codes", False)),
            "temperature": float(getattr(self, "temperature", 1.0)),
        }

    @classmethod
    def from_bytes(cls, payload: bytes) -> KeelModel:
        """Rebuild a model from a skops file Keel wrote (bytes from :func:`core.store.load_model_artifact`).

        Only the types in :data:`TRUSTED_TYPES` may be built; a file naming any other type (a
        function to call, a class from elsewhere) is refused before anything is built from it.
        """
        state = _load_state(payload)
        return _model_from_state(state)

    def __repr__(self) -> str:
        return f"KeelModel(task={self.task!r}, target={self.target!r}, algorithm={self.algorithm!r})"


def label_array(classes: tuple[Any, ...]) -> np.ndarray:
    """Class labels as an array: object for text labels, the natural dtype for numbers and booleans."""
    if any(isinstance(c, str) for c in classes):
        return np.asarray(classes, dtype=object)
    return np.asarray(classes)


def aligned_proba(
    estimator: Any, X: pd.DataFrame, classes: tuple[Any, ...] | list[Any], *, on_codes: bool = False
) -> np.ndarray:
    """``predict_proba`` with one column per class in ``classes`` (a fold may have missed one).

    ``on_codes``: the estimator was fitted on codes 0..k-1 standing for ``classes`` (Keel trains
    that way: sorting integers is much faster than sorting text labels in every fit).
    """
    proba = np.asarray(estimator.predict_proba(X), dtype=float)
    fitted = list(estimator.classes_)
    wanted = list(range(len(classes))) if on_codes else list(classes)
    if fitted == wanted:
        return proba
    full = np.zeros((proba.shape[0], len(classes)))
    index = {c: i for i, c in enumerate(wanted)}
    for j, c in enumerate(fitted):
        full[:, index[c]] = proba[:, j]
    return full


def temper(proba: np.ndarray, temperature: float) -> np.ndarray:
    """Chances rescaled by a temperature: above 1 less sure, below 1 surer; the order of the classes in each
    row (so every prediction) is unchanged."""
    if temperature == 1.0 or proba.size == 0:
        return proba
    logits = np.log(np.clip(proba, 1e-12, 1.0)) / temperature
    logits -= logits.max(axis=1, keepdims=True)
    out = np.exp(logits)
    return np.asarray(out / out.sum(axis=1, keepdims=True), dtype=float)


class RecalibratedKeelModel(KeelModel):
    """A Keel model whose probabilities pass through calibrators fitted on held-out rows.

    ``calibrated`` is a :class:`core.evaluate.CalibratedModel` wrapping the original model; the
    schema, task and classes are the original's, so everything that scores a KeelModel scores this.
    """

    def __init__(self, base: KeelModel, calibrated: Any) -> None:
        super().__init__(
            base.pipeline,
            base.schema,
            base.task,
            base.target,
            base.classes_,
            f"{base.algorithm} + recalibrated",
            getattr(base, "fitted_on_codes", False),
        )
        self.base_algorithm = base.algorithm
        self.calibrated = calibrated
        self.temperature = getattr(base, "temperature", 1.0)  # kept for the file: the base model applies it

    scores_prepared = False  # the calibrators wrap the original model, which prepares its own input

    def predict_proba(self, frame: pd.DataFrame, *, prepared: bool = False) -> np.ndarray:
        if prepared:
            raise TypeError("a recalibrated model scores raw tables only")
        return np.asarray(self.calibrated.predict_proba(frame), dtype=float)

    def _state(self) -> dict[str, Any]:
        state = super()._state()
        state["algorithm"] = getattr(self, "base_algorithm", self.algorithm.removesuffix(" + recalibrated"))
        state["calibration"] = {
            "method": self.calibrated.method,
            "calibrators": {str(c): cal for c, cal in self.calibrated.calibrators_.items() if cal is not None},
            "classes": list(self.calibrated.calibrators_),
        }
        return state


# --------------------------------------------------------------------------- the model file

MODEL_FILE_VERSION = 2  # 1 was a joblib pickle of the KeelModel object (loaded only to convert it)
ARTIFACT_FORMAT = "skops"
#: The only types a model file may build besides skops' own defaults (scikit-learn estimators,
#: numpy arrays, plain containers). Each is here because a model Keel trains holds it; a file
#: naming anything else is refused. Check with ``skops.io.get_untrusted_types`` when adding a model.
TRUSTED_TYPES = frozenset(
    {
        "core.models.encoding.CategoryCodes",  # Keel's category encoder, in every pipeline with text columns
        "numpy.dtype",
        "sklearn.tree._tree.Tree",  # random forests
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",  # gradient boosting
        "functools.partial",  # gradient boosting's input check: partial(check_array, …); the callable
        "sklearn.utils.validation.check_array",  # inside must itself be on this list
    }
)


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _dump_state(state: dict[str, Any]) -> bytes:
    import skops.io as sio

    return bytes(sio.dumps(state, compression=zipfile.ZIP_DEFLATED, compresslevel=6))


def is_skops(payload: bytes) -> bool:
    return payload[:4] == b"PK\x03\x04"


def _refused(why: str) -> IntegrityError:
    return IntegrityError(
        f"The saved model file {why}, so Keel refuses to load it.",
        "Keel writes model files itself and never loads one it did not write. Train the model again, "
        "or restore a backup you trust (`python -m core restore FOLDER`).",
    )


def _load_state(payload: bytes) -> dict[str, Any]:
    import skops.io as sio

    if not is_skops(payload):
        raise _refused("is not in Keel's model format")
    try:
        untrusted = set(sio.get_untrusted_types(data=payload))
    except Exception:
        raise _refused("is damaged") from None
    foreign = sorted(untrusted - TRUSTED_TYPES)
    if foreign:
        shown = ", ".join(foreign[:3]) + (" …" if len(foreign) > 3 else "")
        raise _refused(f"asks to build types Keel never writes ({shown})")
    try:
        state = sio.loads(payload, trusted=sorted(untrusted))
    except Exception:
        raise _refused("is damaged or was written by an incompatible version") from None
    if not isinstance(state, dict) or state.get("keel_model") != MODEL_FILE_VERSION:
        raise _refused("does not hold a Keel model")
    return state


def _model_from_state(state: dict[str, Any]) -> KeelModel:
    classes = tuple(json.loads(state["classes_json"]))
    model = KeelModel(
        state["pipeline"],
        json.loads(state["schema_json"]),
        state["task"],
        state["target"],
        classes,
        state["algorithm"],
        bool(state.get("fitted_on_codes", False)),
        float(state.get("temperature", 1.0)),
    )
    calibration = state.get("calibration")
    if not calibration:
        return model
    from core.models.evaluate import CalibratedModel

    calibrated = CalibratedModel(model, calibration["method"])
    calibrated.calibrators_ = {int(c): calibration["calibrators"].get(str(c)) for c in calibration["classes"]}
    calibrated.classes_ = np.asarray(model.classes_)
    return RecalibratedKeelModel(model, calibrated)


def convert_legacy_artifact(payload: bytes) -> bytes:
    """A model file of format 1 (a joblib pickle) rewritten as a skops file.

    Unpickling runs code, so this is called only by the store's one-time conversion of models an
    earlier Keel saved, after their SHA-256 matched the record (``core.store``). Nothing else in
    Keel ever unpickles.
    """
    import sys
    import types

    import joblib

    from core.models import encoding, evaluate

    # Files of format 1 name Keel's classes by the modules they lived in then.
    legacy = types.ModuleType("core.modelio")
    legacy.KeelModel = KeelModel  # type: ignore[attr-defined]
    legacy.RecalibratedKeelModel = RecalibratedKeelModel  # type: ignore[attr-defined]
    legacy.CategoryCodes = encoding.CategoryCodes  # type: ignore[attr-defined]
    aliases = {"core.modelio": legacy, "core.evaluate": evaluate}
    saved = {name: sys.modules.get(name) for name in aliases}
    sys.modules.update(aliases)
    try:
        old = joblib.load(io.BytesIO(payload))
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
    if not isinstance(old, KeelModel):
        raise _refused("does not hold a Keel model")
    for step in _walk_estimators(old.pipeline):
        if isinstance(step, encoding.CategoryCodes):
            step.categories_ = [np.asarray([str(v) for v in c], dtype=object) for c in step.categories_]
    if hasattr(old, "calibrated"):
        rebuilt: KeelModel = RecalibratedKeelModel(
            KeelModel(
                old.pipeline,
                old.schema,
                old.task,
                old.target,
                old.classes_,
                old.algorithm.removesuffix(" + recalibrated"),
                getattr(old, "fitted_on_codes", False),
            ),
            old.calibrated,
        )
    else:
        rebuilt = KeelModel(
            old.pipeline,
            old.schema,
            old.task,
            old.target,
            old.classes_,
            old.algorithm,
            getattr(old, "fitted_on_codes", False),
        )
    return rebuilt.to_bytes()


def _walk_estimators(estimator: Any) -> list[Any]:
    """Every estimator inside a fitted pipeline (pipelines, column transformers, their parts)."""
    found = [estimator]
    for attr in ("steps", "transformers_"):
        for part in getattr(estimator, attr, None) or []:
            found.extend(_walk_estimators(part[1]))
    return found


_REMOTE_MODELS: dict[str, KeelModel] = {}


def score_remote(payload: bytes, part: pd.DataFrame, proba: bool, prepared: bool) -> np.ndarray:
    """Run on a cluster worker: the model rebuilt from its file (once per worker and model), one chunk scored."""
    import hashlib

    key = hashlib.sha256(payload).hexdigest()
    model = _REMOTE_MODELS.get(key)
    if model is None:
        model = _REMOTE_MODELS[key] = KeelModel.from_bytes(payload)
    with one_thread():
        return model.score_chunk(part, proba=proba, prepared=prepared)

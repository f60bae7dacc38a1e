"""A trained model as Keel keeps it: the fitted pipeline plus what it expects to be fed.

:class:`KeelModel` wraps a fitted scikit-learn ``Pipeline`` together with a ``schema`` (the
feature columns, their kinds, seen categories and numeric ranges), the task, the target and the
classes. It turns a raw table into model input itself (:func:`prepare_features`), so a page or
the CLI can hand it any frame with the right columns.

Safety: a model is saved as a skops file (:meth:`KeelModel.to_bytes`). Loading one
(:meth:`KeelModel.from_bytes`) builds only scikit-learn's and numpy's own types plus the few in
:data:`TRUSTED_TYPES`, and never calls a function named in the file, so a changed or planted model
file can at worst give wrong answers, never run code. The store also refuses a file whose SHA-256
differs from the one recorded when Keel wrote it. Models an earlier Keel saved as joblib pickles
are converted once by the store (:func:`convert_legacy_artifact`); nothing else unpickles, and a
file a user uploads is never loaded as a model. The threat model is in ``docs/security.md``.
"""

from __future__ import annotations

import io
import json
import warnings
import zipfile
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from core import store
from core.errors import IntegrityError

if TYPE_CHECKING:  # pragma: no cover
    from core.models.train import TrainResult

FORMAT_VERSION = 1
MAX_SAVED_CATEGORIES = 200
CHUNK_ROWS = 50_000
DATE_PARTS = ("year", "month", "day_of_week")
_TRUE = {"true", "yes", "y", "t", "1", "1.0"}
_FALSE = {"false", "no", "n", "f", "0", "0.0"}


# --------------------------------------------------------------------------- turning a table into model input


def date_part_name(column: str, part: str) -> str:
    return f"{column} ({part})"


def to_float(series: pd.Series) -> pd.Series:
    """Numbers as float; anything that is not a number (or is infinite) becomes NaN, i.e. missing
    (check_schema reports text that is not a number before scoring)."""
    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        values = series.astype(float)
    else:
        values = pd.to_numeric(series, errors="coerce").astype(float)
    finite = np.isfinite(values.to_numpy())
    return values if finite.all() else values.where(finite)


def to_bool_float(series: pd.Series) -> pd.Series:
    """True/False (also yes/no, 1/0, as text) as 1.0/0.0; anything else NaN."""
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        return pd.to_numeric(series, errors="coerce").astype(float).where(lambda s: s.isin([0.0, 1.0]))
    text = (
        series.astype(object).where(series.notna(), None).map(lambda v: None if v is None else str(v).strip().lower())
    )
    out = pd.Series(np.nan, index=series.index, dtype=float)
    out[text.isin(_TRUE)] = 1.0
    out[text.isin(_FALSE)] = 0.0
    return out


def to_category_text(series: pd.Series) -> pd.Series:
    """Categories as text: a pandas string column as it is, anything else as Python str (object
    dtype), missing values as NaN."""
    if isinstance(series.dtype, pd.StringDtype):
        return series  # every non-missing cell is already a str
    obj = series.astype(object)
    mask = series.isna().to_numpy()
    if pd.api.types.is_object_dtype(series):
        # Already text (mostly): only non-str cells need converting.
        values = obj.to_numpy(copy=True)
        non_str = ~mask & ~np.fromiter((isinstance(v, str) for v in values), bool, len(values))
        if non_str.any():
            values[non_str] = [str(v) for v in values[non_str]]
    else:
        values = np.array([str(v) for v in obj.to_numpy()], dtype=object)
    values[mask] = np.nan
    return pd.Series(values, index=series.index, dtype=object)


def to_datetime(series: pd.Series) -> pd.Series:
    """Dates from a date column or text; anything unreadable becomes NaT.

    The common case (one format throughout) is parsed in one vectorised pass; only the cells that
    fail are retried one by one in mixed formats.
    """
    if pd.api.types.is_datetime64_any_dtype(series):
        return series
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            parsed = pd.to_datetime(series, errors="coerce")
        except (TypeError, ValueError, OverflowError):
            parsed = pd.Series(pd.NaT, index=series.index, dtype="datetime64[ns]")
        if getattr(parsed.dt, "tz", None) is not None:
            parsed = parsed.dt.tz_localize(None)
        failed = parsed.isna() & series.notna()
        if failed.any():
            retry = pd.to_datetime(series[failed].astype(str), errors="coerce", format="mixed")
            if getattr(retry.dt, "tz", None) is not None:
                retry = retry.dt.tz_localize(None)
            parsed = parsed.astype("datetime64[ns]")
            parsed[failed] = retry.astype("datetime64[ns]")
    return parsed


def prepare_features(frame: pd.DataFrame, schema: dict[str, Any]) -> pd.DataFrame:
    """The model's input table: numbers as float, categories as text, dates as year/month/weekday.

    Stateless (row by row), so it is safe to run before cross-validation. Missing feature
    columns are filled with NaN here; :func:`core.predict.check_schema` refuses them before
    batch scoring.
    """
    out: dict[str, pd.Series] = {}
    n = len(frame)
    for feat in schema["features"]:
        name, kind = feat["name"], feat["kind"]
        col = frame[name] if name in frame.columns else pd.Series([np.nan] * n, index=frame.index, dtype=float)
        key = str(name)  # model inputs are named by text, never by position
        if kind == "numeric":
            out[key] = to_float(col)
        elif kind == "boolean":
            out[key] = to_bool_float(col)
        elif kind == "datetime":
            stamps = to_datetime(col)
            for part in DATE_PARTS:
                out[date_part_name(key, part)] = getattr(stamps.dt, part).astype(float)
        else:
            out[key] = to_category_text(col)
    return pd.DataFrame(out, index=frame.index)


def input_columns(schema: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(numeric model inputs, categorical model inputs) after :func:`prepare_features`."""
    numeric: list[str] = []
    categorical: list[str] = []
    for feat in schema["features"]:
        key = str(feat["name"])
        if feat["kind"] in ("numeric", "boolean"):
            numeric.append(key)
        elif feat["kind"] == "datetime":
            numeric.extend(date_part_name(key, p) for p in DATE_PARTS)
        else:
            categorical.append(key)
    return numeric, categorical


def build_schema(
    frame: pd.DataFrame, kinds: dict[str, str], *, target: str, task: str, classes: tuple[Any, ...] = ()
) -> dict[str, Any]:
    """Describe each feature as seen in training: kind, dtype, categories or numeric range."""
    features = []
    for name, kind in kinds.items():
        col = frame[name]
        feat: dict[str, Any] = {
            "name": name,
            "kind": kind,
            "dtype": str(col.dtype),
            "missing_share": round(float(col.isna().mean()), 4) if len(col) else 0.0,
        }
        if kind in ("numeric", "boolean"):
            values = to_float(col) if kind == "numeric" else to_bool_float(col)
            values = values.dropna()
            feat.update(
                min=float(values.min()) if len(values) else None,
                max=float(values.max()) if len(values) else None,
                median=float(values.median()) if len(values) else None,
            )
        elif kind == "datetime":
            stamps = to_datetime(col).dropna()
            feat.update(
                min=stamps.min().isoformat() if len(stamps) else None,
                max=stamps.max().isoformat() if len(stamps) else None,
            )
        else:
            counts = to_category_text(col).value_counts()
            feat.update(
                categories=[str(c) for c in counts.index[:MAX_SAVED_CATEGORIES]],
                categories_complete=bool(len(counts) <= MAX_SAVED_CATEGORIES),
                n_categories=len(counts),
            )
        features.append(feat)
    return {
        "format_version": FORMAT_VERSION,
        "target": target,
        "task": task,
        "classes": [_plain(c) for c in classes],
        "features": features,
    }


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


# --------------------------------------------------------------------------- the model


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
    ) -> None:
        self.pipeline = pipeline
        self.schema = schema
        self.task = task
        self.target = target
        self.classes_ = tuple(classes_)
        self.algorithm = algorithm
        self.fitted_on_codes = fitted_on_codes  # pipeline learned 0..k-1 standing for classes_
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
        prep = (lambda part: part) if prepared else self.prepare
        with threadpool_limits(1):
            parts = [np.asarray(self.pipeline.predict(prep(part)), dtype=float) for part in self._chunks(frame)]
        return np.concatenate(parts) if parts else np.empty(0)

    def predict_proba(self, frame: pd.DataFrame, *, prepared: bool = False) -> np.ndarray:
        """One column per class, in the order of ``classes_``."""
        if self.task != "classification":
            raise TypeError("predict_proba is only available for a classification model")
        prep = (lambda part: part) if prepared else self.prepare
        # One thread per native library: a shared server scores for several sessions at once, and
        # busy-waiting OpenMP threads cost far more than they save when the cores are busy.
        with threadpool_limits(1):
            parts = [
                aligned_proba(
                    self.pipeline, prep(part), self.classes_, on_codes=getattr(self, "fitted_on_codes", False)
                )
                for part in self._chunks(frame)
            ]
        return np.vstack(parts) if parts else np.empty((0, len(self.classes_)))

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
            "classes_json": json.dumps([_plain(c) for c in self.classes_]),
            "algorithm": self.algorithm,
            "fitted_on_codes": bool(getattr(self, "fitted_on_codes", False)),
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


# --------------------------------------------------------------------------- the registry


def register(
    result: TrainResult, name: str, dataset_id: int | None, report: dict[str, Any] | None = None
) -> store.ModelInfo:
    """Keep a trained model as the next version of ``name`` (stage 'candidate')."""
    plan = result.feature_plan
    params = {
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
        "classes": [_plain(c) for c in result.classes],
    }
    return store.save_model(
        result.model.to_bytes(),
        name=name,
        task=result.task,
        algorithm=result.model.algorithm,
        dataset_id=dataset_id,
        target=result.target,
        metrics=dict(result.holdout_metrics),
        params=params,
        schema=result.model.schema,
        report=report,
    )


def load_registered(ref: str | int) -> tuple[store.ModelInfo, KeelModel]:
    """Find a model (id, name, name:version, name@champion) and load it, hash-checked by the store."""
    info = store.resolve_model(ref)
    payload = store.load_model_artifact(info.id)  # raises IntegrityError if the file changed
    return info, KeelModel.from_bytes(payload)


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

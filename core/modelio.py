"""A trained model as Keel keeps it: the fitted pipeline plus what it expects to be fed.

:class:`KeelModel` wraps a fitted scikit-learn ``Pipeline`` together with a ``schema`` (the
feature columns, their kinds, seen categories and numeric ranges), the task, the target and the
classes. It turns a raw table into model input itself (:func:`prepare_features`), so a page or
the CLI can hand it any frame with the right columns.

Safety: :meth:`KeelModel.from_bytes` unpickles, so it is only ever given bytes that come from
:func:`core.store.load_model_artifact`, which refuses a file whose sha256 differs from the one
recorded when Keel itself wrote it. A file a user uploads is never passed here (never unpickled).
"""

from __future__ import annotations

import io
import warnings
from typing import TYPE_CHECKING, Any

import joblib
import numpy as np
import pandas as pd

from sklearn.base import BaseEstimator, TransformerMixin
from threadpoolctl import threadpool_limits

from core import store
from core.errors import IntegrityError

if TYPE_CHECKING:  # pragma: no cover
    from core.train import TrainResult

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
    text = series.astype(object).where(series.notna(), None).map(
        lambda v: None if v is None else str(v).strip().lower()
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
        feat: dict[str, Any] = {"name": name, "kind": kind, "dtype": str(col.dtype),
                                "missing_share": round(float(col.isna().mean()), 4) if len(col) else 0.0}
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
                n_categories=int(len(counts)),
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


# --------------------------------------------------------------------------- category codes


class CategoryCodes(TransformerMixin, BaseEstimator):
    """Text categories to integer codes, learned from the training rows only (so it sits inside the
    pipeline and is refitted in every cross-validation fold).

    Keeps the ``max_categories - 1`` most frequent categories seen at least ``min_frequency``
    times; they get codes 0, 1, …; any other value (rare in training, or never seen) gets the next
    code ("other"). Missing values get NaN when ``missing="nan"`` (for models that handle NaN,
    like gradient boosting) or the code after "other" when ``missing="code"``.

    A vectorised stand-in for ``OrdinalEncoder(min_frequency, max_categories, handle_unknown=…)``:
    a hash lookup per column instead of a Python dict lookup per cell, which keeps scoring a
    million rows within seconds.
    """

    def __init__(self, max_categories: int = 20, min_frequency: int = 5, missing: str = "code") -> None:
        self.max_categories = max_categories
        self.min_frequency = min_frequency
        self.missing = missing

    def fit(self, X: Any, y: Any = None) -> CategoryCodes:
        frame = pd.DataFrame(X)
        self.categories_ = []
        for column in frame.columns:
            counts = frame[column].value_counts(dropna=True)
            keep = counts[counts >= self.min_frequency]
            if len(keep) == 0 and len(counts):  # tiny tables: keep the most frequent values anyway
                keep = counts
            self.categories_.append(pd.Index([str(v) for v in keep.index[: max(1, self.max_categories - 1)]]))
        self.n_features_in_ = frame.shape[1]
        self.feature_names_in_ = np.asarray([str(c) for c in frame.columns], dtype=object)
        return self

    def transform(self, X: Any) -> np.ndarray:
        frame = pd.DataFrame(X)
        out = np.empty(frame.shape, dtype=float)
        for j, column in enumerate(frame.columns):
            # factorize (one hash pass), then look up only the distinct values
            found, distinct = pd.factorize(frame[column], use_na_sentinel=True)
            lookup = self.categories_[j].get_indexer(pd.Index(distinct).astype(str)).astype(float)
            other = float(len(self.categories_[j]))
            lookup[lookup < 0] = other
            lookup = np.append(lookup, np.nan if self.missing == "nan" else other + 1)  # index -1 → missing
            codes = lookup[found]
            out[:, j] = codes
        return out

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return self.feature_names_in_


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
            parts = [aligned_proba(self.pipeline, prep(part), self.classes_,
                                   on_codes=getattr(self, "fitted_on_codes", False))
                     for part in self._chunks(frame)]
        return np.vstack(parts) if parts else np.empty((0, len(self.classes_)))

    scores_prepared = True  # predict(..., prepared=True) works

    def prepared_columns(self, name: str) -> list[str]:
        """The columns of :meth:`prepare`'s output made from the feature ``name`` (a date gives several)."""
        kind = next((f["kind"] for f in self.schema["features"] if f["name"] == name), None)
        if kind == "datetime":
            return [date_part_name(str(name), part) for part in DATE_PARTS]
        return [str(name)] if kind is not None else []

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        joblib.dump(self, buffer, compress=3)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, payload: bytes) -> KeelModel:
        """Rebuild a model from bytes that came from :func:`core.store.load_model_artifact`.

        That function has already checked the sha256 recorded when Keel wrote the file. Never call
        this on bytes from anywhere else: unpickling runs code, and a user's file is never
        unpickled.
        """
        model = joblib.load(io.BytesIO(payload))
        if not isinstance(model, cls):
            raise IntegrityError(
                "The saved model file does not hold a Keel model.", "Train the model again."
            )
        return model

    def __repr__(self) -> str:
        return f"KeelModel(task={self.task!r}, target={self.target!r}, algorithm={self.algorithm!r})"


def label_array(classes: tuple[Any, ...]) -> np.ndarray:
    """Class labels as an array: object for text labels, the natural dtype for numbers and booleans."""
    if any(isinstance(c, str) for c in classes):
        return np.asarray(classes, dtype=object)
    return np.asarray(classes)


def aligned_proba(estimator: Any, X: pd.DataFrame, classes: tuple[Any, ...] | list[Any], *,
                  on_codes: bool = False) -> np.ndarray:
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
            {"algorithm": r.algorithm, "metrics": r.metrics, "cv_std": r.cv_std, "fit_seconds": r.fit_seconds,
             "predict_ms_per_1000": r.predict_ms_per_1000, "size_bytes": r.size_bytes, "note": r.note}
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
        super().__init__(base.pipeline, base.schema, base.task, base.target, base.classes_,
                         f"{base.algorithm} + recalibrated", getattr(base, "fitted_on_codes", False))
        self.calibrated = calibrated

    scores_prepared = False  # the calibrators wrap the original model, which prepares its own input

    def predict_proba(self, frame: pd.DataFrame, *, prepared: bool = False) -> np.ndarray:
        if prepared:
            raise TypeError("a recalibrated model scores raw tables only")
        return np.asarray(self.calibrated.predict_proba(frame), dtype=float)

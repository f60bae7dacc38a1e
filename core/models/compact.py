"""Smaller, faster variants of a registered model, measured beside it on its own hold-out rows.

:func:`compact_variants` builds, with scikit-learn only, the variants that suit the model:

* **fewer trees**: the first trees of a random forest, or the first rounds of gradient boosting (an early
  stop: nothing is refitted, every kept tree is the original's);
* **shallower trees**: the same ensemble refitted on the same training rows with shallower trees;
* **distilled**: a small model (one decision tree, a small gradient boosting, a linear model) trained on the
  big model's answers for the training rows: its class chances (each row once per class, weighted by its
  chance, so the student learns the chances themselves) or its numbers;
* **float32**: a linear model's learned numbers kept as 32-bit floats, offered only when no answer on the
  hold-out changes.

Each is measured the way the leaderboard measures a model (:mod:`core.models.metrics`: the primary metric
and log loss, or the average miss), on the hold-out rows recorded with the original (``holdout_rows`` in
its report), beside the original on the same rows; its size is its file in Keel's model format
(:meth:`KeelModel.to_bytes`) and its one-row latency the median of many one-row calls through
:func:`core.models.predict.predict_frame`, the path ``predict`` and the API use. :func:`keep_variant`
registers one as a new version of the same name, stage 'candidate': the user promotes it like any version.
"""

from __future__ import annotations

import copy
import statistics
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from threadpoolctl import threadpool_limits

from core import store
from core.errors import InputError
from core.models.candidates import CANDIDATES, TableShape, is_baseline
from core.models.choice import proper_measure
from core.models.evaluate.inputs import answer_codes
from core.models.features import input_columns
from core.models.metrics import classification_metrics, regression_metrics
from core.models.model import KeelModel, RecalibratedKeelModel
from core.models.predict import predict_frame
from core.models.registry import load_registered
from core.vocab import format_metric, metric_phrase, number, percent

LATENCY_CALLS = 200  # one-row calls timed per model; the median is reported
MAX_DISTIL_ROWS = 50_000  # training rows a student learns the big model's answers from
REGRESSION_RTOL = 1e-5  # float32 "changes no answer" for numbers: every answer agrees to 5 significant digits


@dataclass(frozen=True)
class Measured:
    """A model measured on the hold-out rows, in the leaderboard's terms."""

    size_bytes: int  # its file in Keel's model format
    latency_ms: float  # median milliseconds to score one row through predict's path
    metrics: dict[str, float | None]  # every metric key of the task (core.vocab), on the recorded hold-out rows


@dataclass(frozen=True)
class Variant:
    key: str  # stable name: what ``--keep`` takes
    label: str  # what a user reads
    how: str  # one sentence: how it was made from the original
    algorithm: str  # its estimator: random_forest, hist_gradient_boosting, decision_tree, ...
    measured: Measured
    agreement: float  # share of hold-out rows on which it gives the original's answer (for numbers: within 5%)
    verdict: str  # one plain sentence beside the original
    model: KeelModel = field(repr=False, compare=False)


@dataclass(frozen=True)
class CompactReport:
    info: store.ModelInfo
    primary: str  # the primary metric key
    proper: str  # log_loss or mae
    holdout_rows: int
    train_rows: int  # rows the refitted and distilled variants learned from
    original: Measured
    variants: tuple[Variant, ...]
    notes: tuple[str, ...]
    latency_calls: int = LATENCY_CALLS  # one-row calls timed per model

    def variant(self, key: str) -> Variant:
        for v in self.variants:
            if v.key == key:
                return v
        offered = ", ".join(f"'{v.key}'" for v in self.variants) or "none"
        raise InputError(
            f"Keel made no variant called '{key}' of model {self.info.label}.",
            f"Choose one of: {offered} (run `python -m core compact {self.info.label}` to see them).",
        )


@dataclass(frozen=True)
class _Data:
    """What the variants are built and measured with."""

    info: store.ModelInfo
    model: KeelModel
    X_hold: pd.DataFrame
    y_hold: np.ndarray  # answers as class codes, or numbers
    X_train: pd.DataFrame  # the training rows as given (the target dropped)
    y_train: np.ndarray  # their answers: class codes, or numbers
    seed: int


# --------------------------------------------------------------------------- the rows


def _rows(info: store.ModelInfo, model: KeelModel, seed: int) -> _Data:
    """The recorded hold-out rows, and as training rows the dataset's other rows with an answer (a seeded
    sample of as many as the original learned from when the hold-out was recorded as a sample)."""
    report = info.report if isinstance(info.report, dict) else {}
    rows = report.get("holdout_rows")
    if info.dataset_id is None or not rows:
        raise InputError(
            f"Keel has no record of the test rows of model {info.label}, so it cannot measure a smaller variant "
            "beside it.",
            "Train the model again (the Train page, or `python -m core train`); then compact the new version.",
        )
    frame = store.load_dataset(info.dataset_id)
    target = info.target
    if target not in frame.columns:
        raise InputError(
            f"The dataset of model {info.label} has no column '{target}' any more.", "Train the model again."
        )
    frame = frame[frame[target].notna()]
    held = frame.index.isin(pd.Index(rows))
    hold, pool = frame[held], frame[~held]
    wanted = int((info.params or {}).get("train_rows") or len(pool))
    if len(pool) > wanted:
        pool = pool.sample(wanted, random_state=seed).sort_index()
    if len(hold) < 2 or len(pool) < 2:
        raise InputError(
            f"Too few rows are left to measure variants of model {info.label} ({number(len(hold))} test rows, "
            f"{number(len(pool))} training rows).",
            "Train the model on a larger table.",
        )

    def answers(y: pd.Series) -> np.ndarray:
        if model.task == "classification":
            return answer_codes(y, np.asarray(model.classes_, dtype=object))
        return pd.to_numeric(y, errors="coerce").astype(float).to_numpy()

    return _Data(
        info,
        model,
        hold.drop(columns=[target]),
        answers(hold[target]),
        pool.drop(columns=[target]),
        answers(pool[target]),
        seed,
    )


# --------------------------------------------------------------------------- measuring


def holdout_metrics(model: KeelModel, X: pd.DataFrame, y: np.ndarray) -> dict[str, float | None]:
    """The leaderboard's metrics of ``model`` on rows ``X`` with answers ``y`` (class codes, or numbers)."""
    if model.task == "classification":
        return classification_metrics(y, model.predict_proba(X), tuple(range(len(model.classes_))))
    return regression_metrics(y, model.predict(X))


def one_row_latency_ms(model: KeelModel, X: pd.DataFrame, calls: int = LATENCY_CALLS) -> float:
    """Median milliseconds to score one row through ``predict_frame`` (schema check included), cycling over
    the first rows of ``X``."""
    singles = [X.iloc[[i % len(X)]] for i in range(min(len(X), 20))]
    predict_frame(singles[0], model)  # the first call warms caches
    times = []
    for i in range(calls):
        started = time.perf_counter()
        predict_frame(singles[i % len(singles)], model)
        times.append(time.perf_counter() - started)
    return 1000.0 * statistics.median(times)


def _measure(model: KeelModel, data: _Data, calls: int) -> Measured:
    return Measured(
        len(model.to_bytes()),
        one_row_latency_ms(model, data.X_hold, calls),
        holdout_metrics(model, data.X_hold, data.y_hold),
    )


def _answers(model: KeelModel, X: pd.DataFrame) -> np.ndarray:
    if model.task == "classification":
        return np.asarray(model.predict_proba(X)).argmax(axis=1)
    return np.asarray(model.predict(X), dtype=float)


def agreement(original: np.ndarray, variant: np.ndarray, task: str) -> float:
    """Share of rows with the same answer (numbers: within 5% of the original's spread of answers)."""
    if task == "classification":
        return float(np.mean(original == variant))
    spread = float(np.std(original)) or 1.0
    return float(np.mean(np.abs(original - variant) <= 0.05 * spread))


# --------------------------------------------------------------------------- building


def _estimator(model: KeelModel) -> Any:
    return model.pipeline.named_steps["model"] if hasattr(model.pipeline, "named_steps") else None


def _like(model: KeelModel, pipeline: Any, algorithm: str, *, temperature: float | None = None) -> KeelModel:
    return KeelModel(
        pipeline,
        model.schema,
        model.task,
        model.target,
        model.classes_,
        algorithm,
        model.fitted_on_codes,
        model.temperature if temperature is None else temperature,
    )


def _fit(pipeline: Any, X: pd.DataFrame, y: np.ndarray, weight: np.ndarray | None = None) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if weight is None:
            return pipeline.fit(X, y)
        return pipeline.fit(X, y, model__sample_weight=weight)


def _fewer_trees(data: _Data, share: float) -> tuple[KeelModel, str] | None:
    """The first trees of a forest, or the first rounds of boosting (nothing refitted)."""
    model = data.model
    est = _estimator(model)
    pipeline = copy.deepcopy(model.pipeline)
    small = pipeline.named_steps["model"]
    if hasattr(est, "estimators_"):
        total = len(est.estimators_)
        keep = max(1, round(total * share))
        if keep >= total:
            return None
        small.estimators_ = small.estimators_[:keep]
        small.n_estimators = keep
        return _like(model, pipeline, model.algorithm), f"the first {number(keep)} of its {number(total)} trees"
    if hasattr(est, "_predictors"):
        total = len(est._predictors)
        keep = max(1, round(total * share))
        if keep >= total or keep < 5:
            return None
        small._predictors = small._predictors[:keep]
        return _like(model, pipeline, model.algorithm), f"its first {number(keep)} of {number(total)} rounds"
    return None


def _shallower(data: _Data) -> tuple[KeelModel, str] | None:
    """The same ensemble refitted on the same training rows, with shallower trees."""
    model = data.model
    est = _estimator(model)
    if hasattr(est, "estimators_"):
        depth, params = 8, {"model__max_depth": 8}
    elif hasattr(est, "_predictors"):
        depth, params = 3, {"model__max_depth": 3}
    else:
        return None
    pipeline = clone(model.pipeline).set_params(**params)
    _fit(pipeline, model.prepare(data.X_train), data.y_train)
    return _like(model, pipeline, model.algorithm), f"refitted with trees at most {depth} levels deep"


def _student_rows(data: _Data) -> tuple[pd.DataFrame, np.ndarray, np.ndarray | None]:
    """The big model's answers on the training rows, as a student learns them: for classes, each row once per
    class with its chance as the weight (a weighted log loss is then the cross-entropy to the chances)."""
    X = data.X_train
    if len(X) > MAX_DISTIL_ROWS:
        X = X.sample(MAX_DISTIL_ROWS, random_state=data.seed)
    prepared = data.model.prepare(X)
    if data.model.task != "classification":
        return prepared, np.asarray(data.model.predict(X), dtype=float), None
    proba = np.asarray(data.model.predict_proba(X), dtype=float)
    n, k = proba.shape
    rows = np.repeat(np.arange(n), k)
    codes = np.tile(np.arange(k), n)
    weight = proba.reshape(-1)
    keep = weight > 1e-6
    return prepared.iloc[rows[keep]].reset_index(drop=True), codes[keep], weight[keep]


def _student(data: _Data, kind: str, X: pd.DataFrame, y: np.ndarray, w: np.ndarray | None) -> tuple[KeelModel, str]:
    """A small model of ``kind`` trained on the big model's answers, with the candidates' own preparation."""
    model = data.model
    numeric, categorical = input_columns(model.schema)
    shape = TableShape(model.task, tuple(numeric), tuple(categorical), len(X), False, data.seed)
    builds = {c.key: c.build for c in CANDIDATES if c.serves(model.task)}
    classify = model.task == "classification"
    if kind == "decision_tree":
        tree: Any = (DecisionTreeClassifier if classify else DecisionTreeRegressor)(
            max_depth=8, min_samples_leaf=5, random_state=data.seed
        )
        pipeline = builds["random_forest"](shape).set_params(model=tree)
        how = "one decision tree (8 levels at most)"
    elif kind == "small_boosting":
        pipeline = builds["hist_gradient_boosting"](shape).set_params(model__max_iter=30, model__max_depth=3)
        how = "a small gradient boosting (30 rounds of 3-level trees)"
    else:
        pipeline = builds["logistic_regression" if classify else "ridge"](shape)
        kind = "logistic_regression" if classify else "ridge"
        how = "a linear model"
    _fit(pipeline, X, y, w)
    student = KeelModel(pipeline, model.schema, model.task, model.target, model.classes_, kind, classify, 1.0)
    return student, f"{how} trained on the original's {'chances' if classify else 'answers'} for the training rows"


def _float32(data: _Data) -> tuple[KeelModel, str] | None:
    """A linear model's learned numbers as 32-bit floats; None when it is not linear or an answer changes."""
    model = data.model
    pipeline = copy.deepcopy(model.pipeline)
    est = pipeline.named_steps.get("model") if hasattr(pipeline, "named_steps") else None
    if est is None or not hasattr(est, "coef_"):
        return None
    est.coef_ = np.asarray(est.coef_, dtype=np.float32)
    est.intercept_ = np.asarray(est.intercept_, dtype=np.float32)
    for _, step in _steps(pipeline):
        for attr in ("mean_", "scale_", "var_"):
            if isinstance(getattr(step, attr, None), np.ndarray):
                setattr(step, attr, getattr(step, attr).astype(np.float32))
    small = _like(model, pipeline, model.algorithm)
    before, after = _answers(model, data.X_hold), _answers(small, data.X_hold)
    if model.task == "classification":
        same = bool(np.array_equal(before, after))
    else:
        same = bool(np.allclose(before, after, rtol=REGRESSION_RTOL, atol=REGRESSION_RTOL * (np.std(before) or 1.0)))
    return (small, "its learned numbers kept as 32-bit floats (no answer on the test rows changes)") if same else None


def _steps(estimator: Any) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for attr in ("steps", "transformers_"):
        for part in getattr(estimator, attr, None) or []:
            found.append((part[0], part[1]))
            found.extend(_steps(part[1]))
    return found


# --------------------------------------------------------------------------- the catalogue

Builder = Callable[[_Data], "tuple[KeelModel, str] | None"]


def _plan(data: _Data) -> dict[str, tuple[str, Builder]]:
    """The variants that suit this model: key -> (label, builder)."""
    model = data.model
    est = _estimator(model)
    plan: dict[str, tuple[str, Builder]] = {}
    ensemble = not isinstance(model, RecalibratedKeelModel) and (
        hasattr(est, "estimators_") or hasattr(est, "_predictors")
    )
    if ensemble:
        unit = "trees" if hasattr(est, "estimators_") else "rounds"
        plan["fewer_trees_half"] = (f"Half the {unit}", lambda d: _fewer_trees(d, 0.5))
        plan["fewer_trees_quarter"] = (f"A quarter of the {unit}", lambda d: _fewer_trees(d, 0.25))
        plan["fewer_trees_tenth"] = (f"A tenth of the {unit}", lambda d: _fewer_trees(d, 0.1))
        plan["shallower_trees"] = ("Shallower trees", _shallower)
    if not (hasattr(est, "coef_") and not isinstance(model, RecalibratedKeelModel)):
        for kind, text in (
            ("decision_tree", "Distilled: one tree"),
            ("small_boosting", "Distilled: small boosting"),
            ("linear", "Distilled: linear model"),
        ):
            plan[f"distilled_{kind}"] = (text, _distiller(kind))
    if hasattr(est, "coef_") and not isinstance(model, RecalibratedKeelModel):
        plan["float32"] = ("32-bit numbers", _float32)
    return plan


def _distiller(kind: str) -> Builder:
    cache: dict[int, tuple[pd.DataFrame, np.ndarray, np.ndarray | None]] = {}

    def build(data: _Data) -> tuple[KeelModel, str]:
        key = id(data)
        if key not in cache:
            cache.clear()
            cache[key] = _student_rows(data)
        return _student(data, kind, *cache[key])

    return build


def _load(model_ref: str | int) -> tuple[store.ModelInfo, KeelModel]:
    info, model = load_registered(model_ref)  # NotFoundError / IntegrityError are the user's to fix
    if is_baseline(model.algorithm) or _estimator(model).__class__.__name__.startswith("Dummy"):
        raise InputError(
            f"Model {info.label} is the baseline: it ignores the columns and is already as small and fast as a "
            "model can be.",
            "Compact a model that learned from the columns (`python -m core models` lists them).",
        )
    return info, model


def compact_variants(
    model_ref: str | int, *, seed: int | None = None, latency_calls: int = LATENCY_CALLS, only: str | None = None
) -> CompactReport:
    """The smaller variants of a registered model that suit it, each measured beside the original on the
    original's recorded hold-out rows. ``only``: build just that variant (an unknown key is the user's error).
    Native libraries run one thread each, as in training (the machine is shared)."""
    with threadpool_limits(1):
        return _compact(model_ref, seed, latency_calls, only)


def _compact(model_ref: str | int, seed: int | None, latency_calls: int, only: str | None) -> CompactReport:
    info, model = _load(model_ref)
    if seed is None:  # the seed the original was trained with, so a variant is made again the same way
        seed = int((info.params or {}).get("seed") or 0)
    data = _rows(info, model, seed)
    plan = _plan(data)
    keys = list(plan)
    if only is not None:
        if only not in plan:
            offered = ", ".join(f"'{k}'" for k in plan) or "none"
            raise InputError(
                f"Keel makes no variant called '{only}' of model {data.info.label}.",
                f"Choose one of: {offered} (run `python -m core compact {data.info.label}` to see them).",
            )
        keys = [only]
    original = _measure(data.model, data, latency_calls)
    primary = str((data.info.params or {}).get("primary_metric") or _primary(data.model))
    proper = proper_measure(primary)
    base_answers = _answers(data.model, data.X_hold)
    variants, notes = [], []
    for key in keys:
        label, builder = plan[key]
        built = builder(data)
        if built is None:
            continue
        small, how = built
        measured = _measure(small, data, latency_calls)
        agree = agreement(base_answers, _answers(small, data.X_hold), data.model.task)
        sentence = verdict(original, measured, data.model.task, primary)
        variants.append(
            Variant(
                key, label, f"Made from {data.info.label}: {how}.", small.algorithm, measured, agree, sentence, small
            )
        )
    if not variants and only is None:
        notes.append(
            f"Keel found no smaller variant of {data.info.label}: a linear model is already small and fast, and "
            "keeping its numbers as 32-bit floats would change an answer on the test rows."
        )
    if data.info.threshold is not None:
        notes.append(
            f"The cut-off chosen for {data.info.label} is not carried over: a variant's chances differ, so choose "
            "its own after keeping it (`python -m core cutoff`)."
        )
    return CompactReport(
        data.info,
        primary,
        proper,
        len(data.X_hold),
        len(data.X_train),
        original,
        tuple(variants),
        tuple(notes),
        latency_calls,
    )


def _primary(model: KeelModel) -> str:
    if model.task == "regression":
        return "r2"
    return "roc_auc" if len(model.classes_) == 2 else "balanced_accuracy"


# --------------------------------------------------------------------------- the verdict


def _times(ratio: float, less: str, more: str) -> str:
    if 0.95 <= ratio <= 1.05:
        return f"about as {'small' if less == 'smaller' else 'fast'}"
    if ratio > 1:
        return f"{number(round(ratio, 1))}× {less}"
    return f"{number(round(1 / ratio, 1))}× {more}"


def verdict(original: Measured, variant: Measured, task: str, primary: str) -> str:
    """'4× smaller, 3× faster, right answers 86.1% vs 86.4%' (variant first, then the original)."""
    size = _times(original.size_bytes / max(variant.size_bytes, 1), "smaller", "larger")
    speed = _times(original.latency_ms / max(variant.latency_ms, 1e-9), "faster", "slower")
    first = "accuracy" if task == "classification" else "mae"
    quality = _versus(first, variant, original)
    if primary != first:
        quality += ", " + _versus(primary, variant, original)
    return f"{size}, {speed}, {quality}."


def _versus(key: str, variant: Measured, original: Measured) -> str:
    """'right answers 86.1% vs 86.4%': shares with one decimal (a tenth of a point matters here)."""
    a, b = variant.metrics.get(key), original.metrics.get(key)
    if key in ("mae", "rmse", "log_loss", "brier"):
        return f"{metric_phrase(key)} {format_metric(key, a)} vs {format_metric(key, b)}"
    phrase = "right answers" if key == "accuracy" else metric_phrase(key)
    return f"{phrase} {percent(a, 1)} vs {percent(b, 1)}"


# --------------------------------------------------------------------------- keeping one


def keep_variant(
    model_ref: str | int, key: str, *, seed: int | None = None, latency_calls: int = 50
) -> tuple[CompactReport, store.ModelInfo]:
    """Build variant ``key`` of a registered model again, measure it, and register it as the next version of
    the same name (stage 'candidate'), its report saying what it was made from."""
    report = compact_variants(model_ref, seed=seed, latency_calls=latency_calls, only=key)
    chosen = report.variant(key)
    info = report.info
    made_from = {"id": info.id, "name": info.name, "version": info.version, "algorithm": info.algorithm}
    params = dict(info.params or {})
    params["compact"] = {"made_from": made_from, "variant": key, "how": chosen.how}
    payload = chosen.model.to_bytes()
    compact: dict[str, Any] = {
        "made_from": made_from,
        "variant": key,
        "how": chosen.how,
        "size_bytes": len(payload),  # skops files of one model differ by a few bytes: the one kept
        "latency_ms": chosen.measured.latency_ms,
        "original": {
            "size_bytes": report.original.size_bytes,
            "latency_ms": report.original.latency_ms,
            "metrics": report.original.metrics,
        },
        "verdict": chosen.verdict,
    }
    record: dict[str, Any] = {"holdout_rows": list((info.report or {}).get("holdout_rows") or []), "compact": compact}
    record.update(_full_report(info, chosen.model, int((info.params or {}).get("seed") or 0) if seed is None else seed))
    kept = store.save_model(
        payload,
        name=info.name,
        task=info.task,
        algorithm=chosen.algorithm,
        dataset_id=info.dataset_id,
        target=info.target,
        metrics=dict(chosen.measured.metrics),
        params=params,
        schema=chosen.model.schema,
        report=record,
    )
    if kept.stage != "candidate":  # the name's champion was retired or deleted: never serve a variant unasked
        kept = store.set_stage(kept.id, "candidate", reason=f"compact variant of {info.label}")
    return report, kept


def _full_report(info: store.ModelInfo, model: KeelModel, seed: int) -> dict[str, Any]:
    """The evaluation the Evaluate page and the model card read, on the same hold-out rows as the original."""
    from core.models.evaluate import full_report

    data = _rows(info, model, seed)
    y = pd.Series(
        np.asarray(model.classes_, dtype=object)[data.y_hold] if model.task == "classification" else data.y_hold,
        index=data.X_hold.index,
        name=info.target,
    )
    full = full_report(model, data.X_hold, y, model.task, seed=seed)
    importance = {i.column: i.drop for i in full.drivers.importances} if full.drivers else {}
    return {"full": full.to_dict(), "importance": importance}

"""Compare two tables column by column (:func:`compare`), or two series (:func:`compare_series`), and the
model helpers built on it (:func:`target_drift`, :func:`prediction_drift`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from core.errors import InputError
from core.monitoring.drift.base import NUMERIC
from core.monitoring.drift.column import compare_column
from core.monitoring.drift.explain import explain_report
from core.monitoring.drift.kinds import SKIPPED_KINDS, check_kind, compare_as, infer_drift_kind
from core.monitoring.drift.report import ColumnDrift, DriftReport
from core.monitoring.drift.settings import DEFAULT_SETTINGS, DriftSettings
from core.monitoring.drift.sides import categorical_side, numeric_side
from core.monitoring.drift.stattests import PRIMARY

# Column thresholds may be given as a mapping of settings names, or a bare number meaning the
# primary effect-size threshold (Wasserstein for numbers, Jensen–Shannon for categories).
Thresholds = Mapping[str, "Mapping[str, float] | float"]


def compare(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    kinds: Mapping[str, str] | None = None,
    thresholds: Thresholds | None = None,
    settings: DriftSettings | None = None,
    columns: Sequence[str] | None = None,
) -> DriftReport:
    """Compare ``current`` with ``reference`` column by column.

    ``kinds`` maps column names to Keel kinds (else inferred from dtypes). ``thresholds`` maps a
    column to its own settings (``{"price": {"wasserstein": 0.2}}``) or to a bare number for its
    primary effect size. ``columns`` limits the comparison (default: every column in either table).
    """
    if not isinstance(reference, pd.DataFrame) or not isinstance(current, pd.DataFrame):
        raise InputError("Drift needs two tables.", "Pass the reference and the new data as tables.")
    s = settings or DEFAULT_SETTINGS
    kinds = dict(kinds or {})
    names = (
        list(columns)
        if columns is not None
        else list(reference.columns) + [c for c in current.columns if c not in set(reference.columns)]
    )
    if not names:
        raise InputError("There are no columns to compare.", "Check that both files have a header row.")
    ref_cols, cur_cols = set(reference.columns), set(current.columns)
    only_ref = tuple(str(c) for c in names if c in ref_cols and c not in cur_cols)
    only_cur = tuple(str(c) for c in names if c in cur_cols and c not in ref_cols)
    absent = [c for c in names if c not in ref_cols and c not in cur_cols]
    if absent:
        raise InputError(
            f"Column(s) not found in either table: {', '.join(map(str, absent))}.", "Check the column names."
        )
    plan: list[tuple[Any, str]] = []
    for name in names:
        if name in ref_cols and name in cur_cols:
            kind = kinds.get(name) or infer_drift_kind(reference[name])
            check_kind(str(name), kind)
            plan.append((name, kind))
    results: dict[Any, ColumnDrift] = {}
    with np.errstate(all="ignore"):  # huge values overflow means and spreads; they are handled, not warned
        _compare_planned(plan, reference, current, s, thresholds, results)
    for name in names:
        if name not in results:
            results[name] = _one_sided(name, kinds, reference, current)
    ordered = tuple(results[n] for n in names)
    judged = [c for c in ordered if c.verdict in ("drifted", "no drift")]
    n_drift = sum(c.drifted for c in judged)
    share = n_drift / len(judged) if judged else None
    dataset = bool(share is not None and share >= s.drift_share)
    return DriftReport(
        columns=ordered,
        dataset_drift=dataset,
        drift_share=share,
        n_drifted=n_drift,
        n_judged=len(judged),
        rows_reference=len(reference),
        rows_current=len(current),
        only_in_reference=only_ref,
        only_in_current=only_cur,
        settings=s,
        explain=explain_report(ordered, judged, n_drift, share, dataset, only_ref, only_cur),
    )


def _one_sided(name: Any, kinds: Mapping[Any, str], reference: pd.DataFrame, current: pd.DataFrame) -> ColumnDrift:
    """The verdict on a column found in one table only."""
    label = str(name)
    where = "reference" if name in reference.columns else "current"
    other = "new data" if where == "reference" else "reference"
    return ColumnDrift(
        label,
        kinds.get(name) or infer_drift_kind((reference if where == "reference" else current)[name]),
        None,
        None,
        None,
        None,
        False,
        f"only in {where}",
        False,
        len(reference) if where == "reference" else 0,
        len(current) if where == "current" else 0,
        explain=f"'{label}' is missing from the {other}.",
    )


def _compare_planned(
    plan: Sequence[tuple[Any, str]],
    reference: pd.DataFrame,
    current: pd.DataFrame,
    s: DriftSettings,
    thresholds: Thresholds | None,
    results: dict[Any, ColumnDrift],
) -> None:
    """Every column in both tables: compared as its kind says, or reported as not compared."""
    n_compared = sum(1 for _, k in plan if compare_as(k) is not None)
    ref_idx = _sample_index(len(reference), s.sample_size, s.seed)
    cur_idx = _sample_index(len(current), s.sample_size, s.seed + 1)
    work: list[tuple[Any, tuple[Any, ...]]] = []
    for name, kind in plan:
        how = compare_as(kind)
        label = str(name)
        if how is None:
            results[name] = ColumnDrift(
                label,
                kind,
                None,
                None,
                None,
                None,
                False,
                "not compared",
                False,
                len(reference),
                len(current),
                explain=f"'{label}': {SKIPPED_KINDS[kind]}",
            )
            continue
        cs = _column_settings(label, how, s, thresholds)
        col_alpha = cs.alpha / max(n_compared, 1)
        work.append((name, (label, how, kind, reference[name], current[name], ref_idx, cur_idx, cs, col_alpha)))
    from core import cluster

    if cluster.address() is not None:  # drift --cluster: one column per task on the Dask cluster's workers
        for (name, _), result in zip(work, cluster.run_all(compare_one, [task for _, task in work]), strict=True):
            results[name] = result
        return
    for name, task in work:
        results[name] = compare_one(*task)


def compare_one(
    label: str,
    how: str,
    kind: str,
    reference: pd.Series,
    current: pd.Series,
    ref_idx: np.ndarray | None,
    cur_idx: np.ndarray | None,
    cs: DriftSettings,
    col_alpha: float,
) -> ColumnDrift:
    """One column compared (here, or on a cluster worker)."""
    with np.errstate(all="ignore"):
        if how == NUMERIC:
            rside, cside = numeric_side(reference, ref_idx), numeric_side(current, cur_idx)
        else:
            boolean = kind == "boolean"
            rside, cside = categorical_side(reference, boolean), categorical_side(current, boolean)
        return compare_column(label, how, rside, cside, cs, col_alpha, kind)


def _column_settings(name: str, how: str, base: DriftSettings, thresholds: Thresholds | None) -> DriftSettings:
    if not thresholds or name not in thresholds:
        return base
    value = thresholds[name]
    if isinstance(value, Mapping):
        return base.with_overrides(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(
            f"The drift threshold for '{name}' is not a number: {value!r}.", "Give a number such as 0.1."
        ) from None
    return base.with_overrides({PRIMARY[how]: number})


def _sample_index(rows: int, size: int, seed: int) -> np.ndarray | None:
    if rows <= size:
        return None
    return np.sort(np.random.default_rng(seed).choice(rows, size=size, replace=False))


def compare_series(
    reference: pd.Series,
    current: pd.Series,
    kind: str | None = None,
    name: str | None = None,
    settings: DriftSettings | None = None,
) -> ColumnDrift:
    """Drift of one series (predictions, labels, a single feature)."""
    label = name or str(reference.name or current.name or "value")
    ref = pd.DataFrame({label: pd.Series(reference).reset_index(drop=True)})
    cur = pd.DataFrame({label: pd.Series(current).reset_index(drop=True)})
    return compare(ref, cur, kinds={label: kind} if kind else None, settings=settings).columns[0]


def target_drift(
    reference_labels: pd.Series, current_labels: pd.Series, task: str, settings: DriftSettings | None = None
) -> ColumnDrift:
    """Did the answers themselves change? Labels of a classifier compare as categories, of a regressor as numbers."""
    kind = "categorical" if task == "classification" else "numeric"
    return compare_series(reference_labels, current_labels, kind, name="target", settings=settings)


def prediction_drift(
    model: Any, reference: pd.DataFrame, current: pd.DataFrame, settings: DriftSettings | None = None
) -> ColumnDrift:
    """Did the model's answers change? Compares ``model.predict`` on the two tables.

    For a classifier the predicted classes compare as categories; for a regressor the predicted
    numbers compare as numbers.
    """
    task = getattr(model, "task", None) or ("classification" if hasattr(model, "classes_") else "regression")
    ref_pred = pd.Series(np.asarray(model.predict(reference)))
    cur_pred = pd.Series(np.asarray(model.predict(current)))
    kind = "categorical" if task == "classification" else "numeric"
    return compare_series(ref_pred, cur_pred, kind, name="prediction", settings=settings)

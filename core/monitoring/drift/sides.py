"""One column on one side of a comparison, prepared once: counts on every row, numbers (sorted) on a
seeded sample of at most ``sample_size`` rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.vocab import yes_no


@dataclass
class Side:
    """One column on one side, prepared once: counts on all rows, numbers on a sample."""

    rows: int
    n_missing: int
    values: np.ndarray | None = None  # numeric: non-missing sample (≤ sample_size), sorted
    n_valid: int = 0
    vmin: float = float("nan")
    vmax: float = float("nan")
    full: np.ndarray | None = None  # numeric: all non-missing values (for range counts)
    counts: pd.Series | None = None  # categorical: counts per label (str), all rows

    @property
    def sample(self) -> np.ndarray:
        """The sorted numeric sample (a numeric side always has one)."""
        assert self.values is not None, "not a numeric side"
        return self.values

    @property
    def all_values(self) -> np.ndarray:
        assert self.full is not None, "not a numeric side"
        return self.full

    @property
    def label_counts(self) -> pd.Series:
        assert self.counts is not None, "not a categorical side"
        return self.counts


def numeric_side(series: pd.Series, sample_idx: np.ndarray | None) -> Side:
    if pd.api.types.is_bool_dtype(series.dtype) or not pd.api.types.is_numeric_dtype(series.dtype):
        series = pd.to_numeric(series, errors="coerce")
    arr = series.to_numpy(dtype="float64", na_value=np.nan)
    missing = ~np.isfinite(arr)
    n_missing = int(missing.sum())
    full = arr[~missing] if n_missing else arr
    sample = arr[sample_idx] if sample_idx is not None else arr
    sample = np.sort(sample[np.isfinite(sample)])  # sorted once; every statistic reuses it
    side = Side(rows=len(arr), n_missing=n_missing, values=sample, n_valid=int(full.size), full=full)
    if full.size:
        side.vmin, side.vmax = float(full.min()), float(full.max())
    return side


def categorical_side(series: pd.Series, boolean: bool = False) -> Side:
    """Counts per label on every row (labels are counted first, then turned into text: cheap)."""
    counts = series.value_counts(dropna=True, sort=False)
    counts = counts[counts > 0]
    if boolean or not all(isinstance(x, str) for x in counts.index):
        labels = [(_bool_label if boolean else _label)(x) for x in counts.index]
        counts = pd.Series(counts.to_numpy(), index=labels).groupby(level=0, sort=False).sum()
    n_valid = int(counts.sum())
    return Side(rows=len(series), n_missing=len(series) - n_valid, counts=counts, n_valid=n_valid)


def _bool_label(x: Any) -> str:
    """'true' or 'false' for a yes/no value in any of Keel's yes/no words (core.vocab), else the value."""
    answer = yes_no(_label(x))
    return _label(x) if answer is None else ("true" if answer else "false")


def _label(x: Any) -> str:
    if isinstance(x, (bool, np.bool_)):
        return "true" if x else "false"
    if isinstance(x, (float, np.floating)) and float(x).is_integer():
        return str(int(x))
    return str(x)

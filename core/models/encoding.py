"""Turning text categories into numbers inside a model's pipeline.

:class:`CategoryCodes` is saved inside every model file, so its import path
(``core.models.encoding.CategoryCodes``) is part of Keel's model format: keep it where it is.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin


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
            kept = [str(v) for v in keep.index[: max(1, self.max_categories - 1)]]
            self.categories_.append(np.asarray(kept, dtype=object))  # plain arrays: saved without pickle
        self.n_features_in_ = frame.shape[1]
        self.feature_names_in_ = np.asarray([str(c) for c in frame.columns], dtype=object)
        return self

    def transform(self, X: Any) -> np.ndarray:
        frame = pd.DataFrame(X)
        out = np.empty(frame.shape, dtype=float)
        for j, column in enumerate(frame.columns):
            # factorize (one hash pass), then look up only the distinct values
            found, distinct = pd.factorize(frame[column], use_na_sentinel=True)
            lookup = pd.Index(self.categories_[j]).get_indexer(pd.Index(distinct).astype(str)).astype(float)
            other = float(len(self.categories_[j]))
            lookup[lookup < 0] = other
            lookup = np.append(lookup, np.nan if self.missing == "nan" else other + 1)  # index -1 → missing
            codes = lookup[found]
            out[:, j] = codes
        return out

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return self.feature_names_in_

"""What a drift test is (:class:`DriftTest`, one entry of the registry in :mod:`.stattests`), what it
gives back (:class:`Check`), and the column it looks at (:class:`ColumnPair`: both sides of one column,
the settings it needs and the figures the tests share)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core.monitoring.drift.sides import Side
from core.monitoring.drift.stats import chi2_two_rows, ks_and_wasserstein
from core.vocab import jsonable

NUMERIC = "numeric"
CATEGORICAL = "categorical"


@dataclass(frozen=True)
class Check:
    """One statistic on one column."""

    method: str
    statistic: float | None
    threshold: float
    p_value: float | None
    drifted: bool
    expected: float | None = None  # what chance alone would give (new categories, out-of-range)

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "statistic": jsonable(self.statistic),
            "threshold": self.threshold,
            "p_value": jsonable(self.p_value),
            "drifted": self.drifted,
            "expected": jsonable(self.expected),
        }


@dataclass
class ColumnPair:
    """Both sides of one column, how it is compared (``how``: numeric or categorical), the settings the
    tests read, and what one test computes for the others (KS, aligned counts, chi-square)."""

    ref: Side
    cur: Side
    how: str
    alpha: float  # the test's level for this column (the family-wise alpha split over the columns)
    min_rows: int
    psi_bins: int = 10
    max_categories: int = 200
    share_label: tuple[str, float, float] | None = None  # the category whose share moved most: before, now
    new_labels: list[str] = field(default_factory=list)  # the commonest values never seen before
    _ks: tuple[float, float, float] | None = field(default=None, init=False, repr=False)
    _aligned: tuple[pd.Index, np.ndarray, np.ndarray] | None = field(default=None, init=False, repr=False)
    _chi2: tuple[float, float] | None = field(default=None, init=False, repr=False)

    def enough(self) -> bool:
        """Enough filled-in values on both sides for a distribution test."""
        return min(self.ref.n_valid, self.cur.n_valid) >= self.min_rows

    def ks(self) -> tuple[float, float, float]:
        """(KS statistic, its p-value, Wasserstein distance) of the numeric samples."""
        if self._ks is None:
            self._ks = ks_and_wasserstein(self.ref.sample, self.cur.sample)
        return self._ks

    def shares(self) -> tuple[pd.Index, np.ndarray, np.ndarray]:
        """Aligned count vectors over the union of labels, rare labels pooled as '(other)'."""
        if self._aligned is None:
            table = pd.concat([self.ref.label_counts, self.cur.label_counts], axis=1, keys=["r", "c"]).fillna(0.0)
            if len(table) > self.max_categories:
                # kept by pooled rows, ties by label: both are blind to which side a row came from. Ranking by
                # each side's share broke the many ties in reference-first order, so a random half of 2,000 tail
                # numbers read as '(other)' going from 74 % to 26 % of rows
                pooled = pd.DataFrame(
                    {"rows": table["r"] + table["c"], "label": table.index.astype(str)}, index=table.index
                )
                keep = pooled.sort_values(["rows", "label"], ascending=[False, True]).index[: self.max_categories - 1]
                rest = table.drop(index=keep).sum()
                table = pd.concat([table.loc[keep], pd.DataFrame([rest], index=["(other)"])])
            self._aligned = (table.index, table["r"].to_numpy(float), table["c"].to_numpy(float))
        return self._aligned

    def chi2(self) -> tuple[float, float]:
        """(statistic, p-value) of the chi-square test on the aligned counts."""
        if self._chi2 is None:
            _, r, c = self.shares()
            self._chi2 = (0.0, 1.0) if len(r) < 2 else chi2_two_rows(r, c)
        return self._chi2


@dataclass(frozen=True)
class DriftTest:
    """A registry entry: a stable ``code`` (also the name of its threshold in the settings), a plain title,
    the kinds it applies to, its default effect-size threshold with the reason for it (None: a test shown
    for reference that never decides), whether it is the kind's primary measure, its function, and its
    own sentence for a column it finds drifted (optional)."""

    code: str
    title: str
    kinds: tuple[str, ...]
    threshold: float | None
    reason: str
    run: Callable[[ColumnPair, float], Check | None]
    primary: bool = False
    #: The sentence when this test decided a drifted column: (column name, pair, its check, the reference's
    #: and the current side's summaries) -> text, or None for the general sentence of the column's kind.
    explain: Callable[[str, ColumnPair, Check, dict[str, Any], dict[str, Any]], str | None] | None = None

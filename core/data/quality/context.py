"""What the checks share: the table, its facts and kinds, the target, a fixed random sample of rows,
the columns binned on that sample, and PII scans."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from core.data import pii
from core.data.quality.facts import SAMPLE_ROWS, SEED, Facts, sample_positions
from core.data.quality.timeline import TimeIndex, time_index


@dataclass
class Bins:
    codes: np.ndarray  # per sampled row: 0 = missing, 1..k
    k: int  # number of bins including the missing bin
    numeric: np.ndarray | None  # sampled values (float) for numeric/date columns, else None


class Context:
    def __init__(self, frame: pd.DataFrame, facts: dict[str, Facts], kinds: dict[str, str], target: str | None) -> None:
        self.frame = frame
        self.facts = facts
        self.kinds = kinds
        self.target = target
        self.rows = len(frame)
        self._bins: dict[tuple[str, int], Bins] = {}
        self._pii: dict[str, pii.PiiScan] = {}

    def columns(self, kinds: Iterable[str]) -> list[str]:
        wanted = set(kinds)
        return [c for c in self.frame.columns if self.kinds[c] in wanted]

    @cached_property
    def sample(self) -> np.ndarray:
        return sample_positions(self.rows, SAMPLE_ROWS)

    def bins(self, col: str, max_bins: int = 32) -> Bins:
        """The column on the sample as small integer bins (quantiles for numbers, labels else)."""
        key = (col, max_bins)
        if key in self._bins:
            return self._bins[key]
        f = self.facts[col]
        pos = self.sample
        numeric_kind = self.kinds[col] in ("numeric", "datetime", "boolean") and f.family in (
            "numeric",
            "datetime",
            "bool",
        )
        if numeric_kind:
            x = f.values[pos]
            ok = ~np.isnan(x)
            codes = np.zeros(len(pos), dtype=np.int64)
            fin = x[ok & np.isfinite(x)]
            if len(fin):
                edges = np.unique(np.quantile(fin, np.linspace(0, 1, max_bins + 1)[1:-1]))
                codes[ok] = np.searchsorted(edges, x[ok], side="right") + 1
                k = len(edges) + 2
            else:
                codes[ok] = 1
                k = 2
            b = Bins(codes, k, x)
        else:
            raw = f.codes[pos].astype(np.int64)
            local, _ = pd.factorize(raw)  # -1 (missing) gets its own local code
            missing_local = local[raw < 0][0] if (raw < 0).any() else -1
            counts = np.bincount(local)
            order = np.argsort(-counts, kind="stable")
            order = order[order != missing_local]
            rank = np.full(len(counts), min(len(order), max_bins - 2) + 1, dtype=np.int64)  # "other"
            keep = order[: max_bins - 2]
            rank[keep] = np.arange(1, len(keep) + 1)
            if missing_local >= 0:
                rank[missing_local] = 0
            codes = rank[local]
            b = Bins(codes, int(codes.max()) + 1 if len(codes) else 1, None)
        self._bins[key] = b
        return b

    def label_codes(self, col: str) -> np.ndarray:
        """Exact distinct-value codes of the column on the sample (-1 = missing)."""
        return self.facts[col].codes[self.sample]

    @cached_property
    def timeline(self) -> TimeIndex | None:
        """The date column that orders the table as a regular series (one row per period), if any."""
        return time_index(self.facts, self.kinds, self.rows)

    @cached_property
    def target_is_classes(self) -> bool:
        t = self.target
        if t is None:
            return False
        kind = self.kinds[t]
        f = self.facts[t]
        if kind in ("boolean", "categorical"):
            return True
        return kind == "numeric" and f.is_integer and 2 <= f.n_unique <= CLASSES_MAX_INT

    def pii_scan(self, col: str) -> pii.PiiScan:
        if col not in self._pii:
            f = self.facts[col]
            if f.family == "string" and f.n_unique <= pii.SAMPLE_SIZE:  # exact, on distinct values
                self._pii[col] = pii.scan_distinct(f.uniques, f.counts, col)
            else:
                idx = list(self.frame.columns).index(col)
                self._pii[col] = pii.scan(self.frame[col], col, seed=SEED + idx)
        return self._pii[col]


MIN_NUMERIC = 20  # quartiles and skewness of fewer values are too noisy to judge


CLASSES_MAX_INT = 10  # an integer target with <= 10 values is treated as classes here

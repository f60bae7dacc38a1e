"""What a comparison gives back: a verdict per column (:class:`ColumnDrift`) and for the table
(:class:`DriftReport`), with the figures a chart needs and their strict-JSON form."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.monitoring.drift.base import Check
from core.monitoring.drift.settings import DriftSettings
from core.monitoring.drift.wording import table_verdict
from core.vocab import jsonable


@dataclass(frozen=True)
class ColumnDrift:
    column: str
    kind: str  # numeric | categorical (how it was compared) or the skipped kind
    method: str | None  # the check that decided (first that drifted, else the primary one)
    statistic: float | None
    p_value: float | None
    threshold: float | None
    drifted: bool
    verdict: str  # drifted | no drift | too few rows | not compared | only in reference | only in current
    enough_data: bool
    n_reference: int
    n_current: int
    checks: tuple[Check, ...] = ()
    reference: dict[str, Any] = field(default_factory=dict)  # summary: median, iqr, shares…
    current: dict[str, Any] = field(default_factory=dict)
    explain: str = ""
    alpha: float | None = None
    # For a reference-vs-current chart without the rows: numeric {"edges", "reference", "current"}
    # (shares per equal-width bin), categorical {"labels", "reference", "current"} (shares).
    histogram: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "kind": self.kind,
            "method": self.method,
            "statistic": jsonable(self.statistic),
            "p_value": jsonable(self.p_value),
            "threshold": self.threshold,
            "drifted": self.drifted,
            "verdict": self.verdict,
            "enough_data": self.enough_data,
            "n_reference": self.n_reference,
            "n_current": self.n_current,
            "alpha": self.alpha,
            "checks": [c.to_json() for c in self.checks],
            "reference": jsonable(self.reference),
            "current": jsonable(self.current),
            "explain": self.explain,
            "histogram": jsonable(self.histogram),
        }


@dataclass(frozen=True)
class DriftReport:
    columns: tuple[ColumnDrift, ...]
    dataset_drift: bool
    drift_share: float | None  # None when no column could be judged
    n_drifted: int
    n_judged: int
    rows_reference: int
    rows_current: int
    only_in_reference: tuple[str, ...]
    only_in_current: tuple[str, ...]
    settings: DriftSettings
    explain: str

    def column(self, name: str) -> ColumnDrift:
        for c in self.columns:
            if c.column == name:
                return c
        raise KeyError(name)

    @property
    def drifted_columns(self) -> list[str]:
        return [c.column for c in self.columns if c.drifted]

    @property
    def verdict(self) -> str:
        """The table's verdict and what it means: '2 of 6 columns moved (33%), below the 50% share that counts
        as the whole table drifting.'"""
        return table_verdict(self.n_drifted, self.n_judged, self.drift_share, self.settings.drift_share)

    def to_json(self) -> dict[str, Any]:
        return {
            "dataset_drift": self.dataset_drift,
            "drift_share": jsonable(self.drift_share),
            "n_drifted": self.n_drifted,
            "n_judged": self.n_judged,
            "drift_share_threshold": self.settings.drift_share,
            "verdict": self.verdict,
            "rows_reference": self.rows_reference,
            "rows_current": self.rows_current,
            "only_in_reference": list(self.only_in_reference),
            "only_in_current": list(self.only_in_current),
            "columns": [c.to_json() for c in self.columns],
            "settings": self.settings.to_json(),
            "explain": self.explain,
        }

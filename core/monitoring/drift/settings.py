"""Thresholds and knobs of a comparison. Each test's effect-size threshold comes from its registry entry
(:mod:`.stattests`), under the test's code; the knobs below apply to every test."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.errors import InputError
from core.monitoring.drift.stattests import TESTS

#: Each test's default threshold, by code (tests shown only for reference have none).
DEFAULT_THRESHOLDS: tuple[tuple[str, float], ...] = tuple(
    (t.code, float(t.threshold)) for t in TESTS if t.threshold is not None
)


@dataclass(frozen=True)
class DriftSettings:
    """Effect-size thresholds (one per test, by code) and the knobs every test shares.

    ``alpha`` = 0.05 for the whole table, split evenly over its columns (Bonferroni), so a 20-column table
    of pure noise is wrongly flagged at most about 1 time in 20. ``min_rows`` = 50 per side: below that a
    10-bin histogram has about 5 rows per bin and a KS test can only see shifts of more than half a
    standard deviation; a verdict would be a guess. ``sample_size``: distribution statistics on numbers
    use a seeded sample of at most this many rows per side (the normalised Wasserstein distance's sampling
    error at 100,000 rows is about 0.005, far below its 0.1 threshold).
    """

    thresholds: tuple[tuple[str, float], ...] = DEFAULT_THRESHOLDS
    alpha: float = 0.05  # family-wise over the columns of one comparison (Bonferroni)
    min_rows: int = 50  # per side: fewer rows → "too few rows", never drifted
    drift_share: float = 0.5  # dataset_drift when at least this share of judged columns drifted
    sample_size: int = 100_000  # rows per side for KS / Wasserstein / PSI
    psi_bins: int = 10
    max_categories: int = 200  # rarer categories are pooled as "(other)" for chi-square / JS
    seed: int = 0

    def threshold(self, code: str) -> float:
        """The effect size at which test ``code`` flags drift."""
        return dict(self.thresholds)[code]

    def with_overrides(self, overrides: Mapping[str, float] | None) -> DriftSettings:
        """These settings with some thresholds (by test code) or knobs (by name) changed."""
        if not overrides:
            return self
        knobs = {f.name for f in dataclasses.fields(self)} - {"thresholds"}
        codes = dict(self.thresholds)
        unknown = sorted(set(overrides) - knobs - set(codes))
        if unknown:
            raise InputError(
                f"Unknown drift threshold(s): {', '.join(unknown)}.",
                f"Use any of: {', '.join(sorted(knobs | set(codes)))}.",
            )
        changed = {k: type(getattr(self, k))(v) for k, v in overrides.items() if k in knobs}
        thresholds = tuple((c, float(overrides[c]) if c in overrides else t) for c, t in self.thresholds)
        return dataclasses.replace(self, thresholds=thresholds, **changed)

    def to_json(self) -> dict[str, Any]:
        """Every threshold and knob by name, flat."""
        knobs = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "thresholds"}
        return {**dict(self.thresholds), **knobs}


DEFAULT_SETTINGS = DriftSettings()

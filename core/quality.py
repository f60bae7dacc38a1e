"""Column kinds and data-quality findings.  (Interface fixed here; implementation in progress.)"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

KINDS = ("numeric", "categorical", "boolean", "datetime", "id_like", "text", "constant")
SEVERITIES = ("info", "warning", "critical")


@dataclass(frozen=True)
class Finding:
    code: str  # stable snake_case, e.g. "missing_values"
    severity: str  # info | warning | critical
    column: str | None  # None for table-wide findings
    message: str  # what we found, with numbers and the user's column names
    advice: str  # why it matters and what to do next
    fix: str | None = None  # a one-click mechanical fix: "drop_column", "drop_duplicates", "mask_pii", …
    details: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ColumnProfile:
    name: str
    kind: str
    dtype: str
    missing_share: float
    n_unique: int
    stats: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Profile:
    rows: int
    columns: tuple[ColumnProfile, ...]
    findings: tuple[Finding, ...]
    target: str | None = None


def infer_kinds(frame: pd.DataFrame) -> dict[str, str]:
    raise NotImplementedError


def profile(frame: pd.DataFrame, target: str | None = None, kinds: dict[str, str] | None = None) -> Profile:
    raise NotImplementedError

"""``profile()``: kinds, statistics and findings for a table, and the :class:`Profile` it returns."""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from core.data.findings import KINDS, SEVERITY_RANK, Finding
from core.data.quality.checks import CHECKS
from core.data.quality.context import Context
from core.data.quality.facts import Facts, all_facts, prepare_frame
from core.data.quality.kinds import coerce_kind, infer_kind
from core.data.quality.stats import column_stats
from core.data.wording import and_join, quote
from core.errors import InputError


@dataclass(frozen=True)
class ColumnProfile:
    name: str
    kind: str
    dtype: str
    missing_share: float
    n_unique: int
    stats: dict = field(default_factory=dict)
    n_missing: int = 0
    kind_source: str = "inferred"  # "inferred" or "user" (the user chose the kind)

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "kind": self.kind,
            "dtype": self.dtype,
            "missing_share": self.missing_share,
            "n_missing": self.n_missing,
            "n_unique": self.n_unique,
            "kind_source": self.kind_source,
            "stats": self.stats,
        }


@dataclass(frozen=True)
class Profile:
    rows: int
    columns: tuple[ColumnProfile, ...]
    findings: tuple[Finding, ...]
    target: str | None = None

    def column(self, name: str) -> ColumnProfile:
        for c in self.columns:
            if c.name == name:
                return c
        raise InputError(f"There is no column '{name}' in this table.", "Check the column name.")

    @property
    def kinds(self) -> dict[str, str]:
        return {c.name: c.kind for c in self.columns}

    def findings_for(self, column: str | None) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.column == column)

    def to_dict(self) -> dict:
        """The CLI's ``profile --json`` object (plain JSON types only)."""
        return {
            "rows": self.rows,
            "target": self.target,
            "columns": [c.to_dict() for c in self.columns],
            "findings": [f.to_dict() for f in self.findings],
        }


def profile(
    frame: pd.DataFrame,
    target: str | None = None,
    kinds: Mapping[str, str] | None = None,
    *,
    checks: Iterable[str] | None = None,
    thresholds: Mapping[str, float] | None = None,
    timings: dict[str, float] | None = None,
) -> Profile:
    """Kinds, statistics and findings for ``frame``.

    ``kinds`` overrides the inferred kind of some columns (the user's choice in the UI).
    ``checks`` limits which checks run (codes from :data:`CHECKS`); ``thresholds`` overrides a
    check's default threshold by code. When ``timings`` is a dict it receives seconds spent
    per phase ("facts", "kinds", "stats") and per check code.
    """
    clock = time.perf_counter
    t0 = clock()
    frame = prepare_frame(frame)
    target = _checked_target(frame, target)
    overrides = _checked_kinds(frame, kinds)
    selected, limits = _checked_checks(checks, thresholds)

    facts = all_facts(frame)
    t1 = clock()
    final = {c: infer_kind(f) for c, f in facts.items()}
    for col, kind in overrides.items():
        converted = coerce_kind(frame, col, kind, facts[col])
        if converted is not None:
            frame = frame.assign(**{col: converted})
            facts[col] = Facts(col, frame[col])
        final[col] = kind
    t2 = clock()
    columns = tuple(
        ColumnProfile(
            name=c,
            kind=final[c],
            dtype=facts[c].dtype,
            missing_share=(facts[c].n_missing / facts[c].n) if facts[c].n else 0.0,
            n_unique=facts[c].n_unique,
            stats=column_stats(facts[c], final[c]),
            n_missing=facts[c].n_missing,
            kind_source="user" if c in overrides else "inferred",
        )
        for c in frame.columns
    )
    t3 = clock()
    if timings is not None:
        timings.update(facts=t1 - t0, kinds=t2 - t1, stats=t3 - t2)
    ctx = Context(frame, facts, final, target)
    findings: list[Finding] = []
    for code in selected:
        check = CHECKS[code]
        start = clock()
        if check.needs_target and target is None:
            continue
        findings.extend(check.run(ctx, limits[code]))
        if timings is not None:
            timings[code] = clock() - start
    order = {code: i for i, code in enumerate(CHECKS)}
    col_order = {c: i for i, c in enumerate(frame.columns)}
    findings.sort(key=lambda f: (SEVERITY_RANK[f.severity], order[f.code], col_order.get(f.column, -1)))
    return Profile(rows=len(frame), columns=columns, findings=tuple(findings), target=target)


def _checked_target(frame: pd.DataFrame, target: str | None) -> str | None:
    if target is not None and str(target) not in frame.columns:
        raise InputError(
            f"There is no column '{target}' to predict in this table.",
            f"Choose one of: {and_join([quote(c) for c in list(frame.columns)[:10]])}"
            + ("…" if len(frame.columns) > 10 else "")
            + ".",
        )
    return None if target is None else str(target)


def _checked_kinds(frame: pd.DataFrame, kinds: Mapping[str, str] | None) -> dict[str, str]:
    """The user's kinds by column name (as text), each checked."""
    overrides = dict(kinds or {})
    for col, kind in overrides.items():
        if str(col) not in frame.columns:
            raise InputError(f"There is no column '{col}' in this table.", "Check the column name.")
        if kind not in KINDS:
            raise InputError(f"'{kind}' is not a column kind.", f"Use one of: {', '.join(KINDS)}.")
    return {str(col): kind for col, kind in overrides.items()}


def _checked_checks(
    checks: Iterable[str] | None, thresholds: Mapping[str, float] | None
) -> tuple[list[str], dict[str, float]]:
    """The checks to run, in order, and the threshold of every check (NaN for those without one)."""
    selected = list(CHECKS) if checks is None else list(checks)
    for code in selected:
        if code not in CHECKS:
            raise InputError(f"There is no check called '{code}'.", f"Use one of: {', '.join(CHECKS)}.")
    limits = {code: math.nan if check.threshold is None else check.threshold for code, check in CHECKS.items()}
    for code, value in (thresholds or {}).items():
        if code not in CHECKS:
            raise InputError(f"There is no check called '{code}'.", f"Use one of: {', '.join(CHECKS)}.")
        limits[code] = float(value)
    return selected, limits

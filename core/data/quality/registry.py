"""What a check is: a small function plus metadata (:class:`Check`), and how it reports (:func:`make_finding`).

Each check lives in its own module under ``core/data/quality/checks/`` and ends with one
``CHECK = Check(...)``; ``checks/__init__.py`` lists the modules in the order findings of equal
severity are shown in. :func:`checks_table` writes the table in ``core.data.quality``'s docstring
from the registry, so the documentation cannot drift from the checks.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core import vocab
from core.data.findings import Finding

if TYPE_CHECKING:
    from core.data.quality.context import Context

#: ``run(context, threshold)``: the findings of one check. Checks without a threshold get NaN.
CheckFn = Callable[["Context", float], list[Finding]]


@dataclass(frozen=True)
class Check:
    code: str  # stable snake_case; part of the CLI contract
    title: str  # plain words, shown as a heading
    kinds: tuple[str, ...]  # column kinds it looks at; () for table-wide checks
    threshold: float | None  # the default threshold (``profile(thresholds={code: …})`` overrides it)
    reason: str  # why the default threshold (and the severity cut-offs) are where they are
    rule: str  # default threshold -> severity, in one line (the table in core.data.quality's docstring)
    help: str  # one plain sentence: what the check looks for
    run: CheckFn
    needs_target: bool = False


def make_finding(
    code: str,
    severity: str,
    column: str | None,
    message: str,
    advice: str,
    fix: str | None = None,
    other_fixes: tuple[str, ...] = (),
    **details: object,
) -> Finding:
    return Finding(
        code, severity, column, message, advice, fix, {k: vocab.jsonable(v) for k, v in details.items()}, other_fixes
    )


def checks_table(checks: Iterable[Check]) -> str:
    """The checks as the text table in ``core.data.quality``'s docstring: code, then its rule."""
    lines = ["Checks (code: default threshold -> severity; the reasons are in each check's ``reason``)", "------"]
    for check in checks:
        wrapped = textwrap.wrap(check.rule, width=100 - 20)
        lines.append(f"{check.code:<20}{wrapped[0]}")
        lines.extend(" " * 20 + rest for rest in wrapped[1:])
    return "\n".join(lines) + "\n"

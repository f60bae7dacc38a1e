"""What a data check reports: a :class:`Finding`, and the words its fields use (column kinds,
severities).

Small on purpose: forecasting and training build and read findings without loading the checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

KINDS = ("numeric", "categorical", "boolean", "datetime", "id_like", "text", "constant")
SEVERITIES = ("info", "warning", "critical")
SEVERITY_RANK = {"critical": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class Finding:
    code: str  # stable snake_case, e.g. "missing_values"
    severity: str  # info | warning | critical
    column: str | None  # None for table-wide findings
    message: str  # what we found, with numbers and the user's column names
    advice: str  # why it matters and what to do next
    fix: str | None = None  # a one-click mechanical fix: "drop_column", "drop_duplicates", "mask_pii", …
    details: dict = field(default_factory=dict)  # JSON-serialisable numbers behind the message
    other_fixes: tuple[str, ...] = ()  # further one-click fixes that also make sense

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "severity": self.severity,
            "column": self.column,
            "message": self.message,
            "advice": self.advice,
            "fix": self.fix,
            "other_fixes": list(self.other_fixes),
            "details": self.details,
        }

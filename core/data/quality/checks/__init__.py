"""The data-quality checks, one module each. A new check is a new module here, ending with one
``CHECK = Check(...)`` (see :mod:`core.data.quality.registry`), and its name in the list below.

The order is the order checks run in and the order findings of equal severity are shown in.
"""

from __future__ import annotations

from core.data.quality.checks import (
    class_imbalance,
    constant_column,
    date_gaps,
    duplicate_rows,
    future_dates,
    high_cardinality,
    id_like,
    infinite_values,
    missing_values,
    mixed_types,
    near_constant,
    outliers,
    pii,
    placeholder_values,
    rare_categories,
    skew,
    target_leakage,
    too_few_rows,
)
from core.data.quality.registry import Check

_IN_ORDER = (
    missing_values,
    duplicate_rows,
    constant_column,
    near_constant,
    high_cardinality,
    rare_categories,
    id_like,
    mixed_types,
    outliers,
    skew,
    infinite_values,
    placeholder_values,
    too_few_rows,
    class_imbalance,
    target_leakage,
    future_dates,
    date_gaps,
    pii,
)

#: Every check by code, in order.
CHECKS: dict[str, Check] = {module.CHECK.code: module.CHECK for module in _IN_ORDER}

__all__ = ["CHECKS", "Check"]

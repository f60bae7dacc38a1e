"""The drift tests: one file each, one entry each in :data:`TESTS`.

**Adding a drift test**: a module here with a ``run(pair, threshold) -> Check | None`` function and a
``TEST = DriftTest(...)`` entry (its code, which is also its threshold's name in
:class:`~core.monitoring.drift.settings.DriftSettings`, title, kinds, default threshold and the reason
for it), listed in :data:`TESTS` below. Nothing else changes: the settings, the comparison, the JSON and
the contract test read the registry.

The order is the order of the checks in a column's result; the first test that fires explains the column.
"""

from __future__ import annotations

from core.monitoring.drift.base import DriftTest
from core.monitoring.drift.stattests import (
    category_share,
    chi2,
    jensen_shannon,
    ks,
    missing_rate,
    new_categories,
    out_of_range,
    psi,
    wasserstein,
)

TESTS: tuple[DriftTest, ...] = (
    wasserstein.TEST,
    jensen_shannon.TEST,
    category_share.TEST,
    new_categories.TEST,
    psi.TEST,
    ks.TEST,
    out_of_range.TEST,
    chi2.TEST,
    missing_rate.TEST,
)

#: Each kind's primary measure (a bare number given as a column's threshold sets it).
PRIMARY: dict[str, str] = {k: t.code for t in reversed(TESTS) if t.primary for k in t.kinds}

__all__ = ["PRIMARY", "TESTS"]

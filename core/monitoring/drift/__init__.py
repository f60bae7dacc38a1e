"""Data drift: does new data look like the data a model learned from?

Every column is compared on **effect size** (how far the distribution moved, in units a person
can reason about), with a statistical test's p-value beside it. A column counts as *drifted*
only when both agree:

* the effect size is at least its threshold, so a million rows do not make a trivial wobble
  "significant"; and
* the test says the change is unlikely to be chance (p below ``alpha`` divided by the number of
  columns compared, a Bonferroni correction), so fifty rows of noise do not look like drift.

Below ``min_rows`` rows on either side there is no verdict at all ("too few rows"). Dataset drift: at
least half (``drift_share`` = 0.5) of the judged columns drifted.

The tests are a registry, one file each in :mod:`.stattests` (each entry with its code, title, kinds,
default threshold and the reason for it): Wasserstein distance, Jensen–Shannon distance, the largest
change of one category's share, values never seen before, PSI, values outside the range seen before and
the change in empty cells decide; Kolmogorov–Smirnov and chi-square are shown for reference. Add a test
there. The knobs every test shares are in :class:`DriftSettings`.

Speed: counts (missing, range, categories) use every row. Distribution statistics on numbers
(KS, Wasserstein, PSI) use a seeded random sample of at most ``sample_size`` = 100 000 rows per
side, taken once per table; below that size they are exactly scipy's.

Datetime columns are not compared: dates in a later batch are *supposed* to be later, so they
would always "drift". ``id_like`` and ``text`` columns are not compared either (identifiers
differ by design; free text needs other tools). Each gets verdict "not compared" and a note.
"""

from core.monitoring.drift.base import CATEGORICAL, NUMERIC, Check, ColumnPair, DriftTest
from core.monitoring.drift.compare import Thresholds, compare, compare_series, prediction_drift, target_drift
from core.monitoring.drift.kinds import SKIPPED_KINDS, infer_drift_kind
from core.monitoring.drift.report import ColumnDrift, DriftReport
from core.monitoring.drift.settings import DEFAULT_SETTINGS, DEFAULT_THRESHOLDS, DriftSettings
from core.monitoring.drift.stats import chi2_two_rows, jensen_shannon, ks_and_wasserstein, psi, psi_numeric
from core.monitoring.drift.stattests import PRIMARY, TESTS
from core.vocab import number as fmt_number  # kept for callers of the old name

__all__ = [
    "CATEGORICAL",
    "DEFAULT_SETTINGS",
    "DEFAULT_THRESHOLDS",
    "NUMERIC",
    "PRIMARY",
    "SKIPPED_KINDS",
    "TESTS",
    "Check",
    "ColumnDrift",
    "ColumnPair",
    "DriftReport",
    "DriftSettings",
    "DriftTest",
    "Thresholds",
    "chi2_two_rows",
    "compare",
    "compare_series",
    "fmt_number",
    "infer_drift_kind",
    "jensen_shannon",
    "ks_and_wasserstein",
    "prediction_drift",
    "psi",
    "psi_numeric",
    "target_drift",
]

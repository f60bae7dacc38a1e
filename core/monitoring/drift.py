"""Data drift: does new data look like the data a model learned from?

Every column is compared on **effect size** (how far the distribution moved, in units a person
can reason about), with a statistical test's p-value beside it. A column counts as *drifted*
only when both agree:

* the effect size is at least its threshold, so a million rows do not make a trivial wobble
  "significant"; and
* the test says the change is unlikely to be chance (p below ``alpha`` divided by the number of
  columns compared, a Bonferroni correction), so fifty rows of noise do not look like drift.

Below ``min_rows`` rows on either side there is no verdict at all ("too few rows").

Checks (each a small entry in :data:`CHECKS`):

============== ============ ========= ===========================================================
method         kinds        default   why this default
============== ============ ========= ===========================================================
wasserstein    numeric      0.10      Earth-mover distance divided by the reference standard
                                      deviation: a move of a tenth of the usual spread. Same
                                      default as Evidently; a 0.2-sd shift is clearly flagged,
                                      sampling noise at ≥ 1 000 rows stays below 0.05.
psi            numeric,     0.20      Population Stability Index on 10 reference-quantile bins.
               categorical            Credit-risk convention: < 0.1 stable, 0.1–0.2 watch,
                                      ≥ 0.2 significant shift. Catches changes of shape and
                                      spread that leave the middle in place.
jensen_shannon categorical  0.10      Jensen–Shannon distance (natural log, 0…0.83) between the
                                      category shares. 0.1 ≈ a 15-point swing between two
                                      even categories.
category_share categorical  0.10      The largest change of one category's share of rows, in
                                      points (0.10 = 10 points): the plain-words version.
new_categories categorical  0.02      Share of current rows holding a value never seen in the
                                      reference, *beyond* what chance predicts (each value's rows
                                      split at random between the two samples; judged by value).
missing_rate   all          0.05      Change in the share of empty cells (5 points).
out_of_range   numeric      0.05      Share of current values below the reference minimum or
                                      above its maximum, beyond the 2/(n+1) chance expects (p-value
                                      exact for exchangeable samples).
============== ============ ========= ===========================================================

Tests beside the effect sizes: Kolmogorov–Smirnov (numeric), chi-square on the category counts
(categorical), a two-proportion z-test (missing rate) and one-sided binomial z-tests
(new categories, out-of-range). ``alpha`` = 0.05 for the whole table, split evenly over its
columns, so a 20-column table of pure noise is wrongly flagged at most about 1 time in 20.

``min_rows`` = 50 per side: below that a 10-bin histogram has about 5 rows per bin and a KS test
can only see shifts of more than half a standard deviation; a verdict would be a guess.
Dataset drift: at least half (``drift_share`` = 0.5) of the judged columns drifted.

Speed: counts (missing, range, categories) use every row. Distribution statistics on numbers
(KS, Wasserstein, PSI) use a seeded random sample of at most ``sample_size`` = 100 000 rows per
side, taken once per table; below that size they are exactly scipy's. At 100 000 rows the
sampling error of the normalised Wasserstein distance is about 0.005, far below the 0.1 threshold.

Datetime columns are not compared: dates in a later batch are *supposed* to be later, so they
would always "drift". ``id_like`` and ``text`` columns are not compared either (identifiers
differ by design; free text needs other tools). Each gets verdict "not compared" and a note.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from core.errors import InputError

NUMERIC = "numeric"
CATEGORICAL = "categorical"
COMPARABLE_KINDS = ("numeric", "categorical", "boolean", "constant")
SKIPPED_KINDS = {
    "datetime": "Dates are expected to move forward in new data, so they are not compared.",
    "id_like": "Identifiers differ from batch to batch by design, so they are not compared.",
    "text": "Free text is not compared (only numbers and categories are).",
}


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class DriftSettings:
    """Thresholds and knobs. Effect-size thresholds are documented in the module docstring."""

    wasserstein: float = 0.10
    psi: float = 0.20
    jensen_shannon: float = 0.10
    category_share: float = 0.10
    new_categories: float = 0.02
    missing_rate: float = 0.05
    out_of_range: float = 0.05
    alpha: float = 0.05  # family-wise over the columns of one comparison (Bonferroni)
    min_rows: int = 50  # per side: fewer rows → "too few rows", never drifted
    drift_share: float = 0.5  # dataset_drift when at least this share of judged columns drifted
    sample_size: int = 100_000  # rows per side for KS / Wasserstein / PSI
    psi_bins: int = 10
    max_categories: int = 200  # rarer categories are pooled as "(other)" for chi-square / JS
    seed: int = 0

    def with_overrides(self, overrides: Mapping[str, float] | None) -> DriftSettings:
        if not overrides:
            return self
        names = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(overrides) - names)
        if unknown:
            raise InputError(
                f"Unknown drift threshold(s): {', '.join(unknown)}.",
                f"Use any of: {', '.join(sorted(names))}.",
            )
        return dataclasses.replace(self, **{k: type(getattr(self, k))(v) for k, v in overrides.items()})


DEFAULT_SETTINGS = DriftSettings()
PRIMARY_METHOD = {NUMERIC: "wasserstein", CATEGORICAL: "jensen_shannon"}

# Column thresholds may be given as a mapping of settings names, or a bare number meaning the
# primary effect-size threshold (Wasserstein for numbers, Jensen–Shannon for categories).
Thresholds = Mapping[str, "Mapping[str, float] | float"]


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Check:
    """One statistic on one column."""

    method: str
    statistic: float | None
    threshold: float
    p_value: float | None
    drifted: bool
    expected: float | None = None  # what chance alone would give (new categories, out-of-range)

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "statistic": _num(self.statistic),
            "threshold": self.threshold,
            "p_value": _num(self.p_value),
            "drifted": self.drifted,
            "expected": _num(self.expected),
        }


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
            "statistic": _num(self.statistic),
            "p_value": _num(self.p_value),
            "threshold": self.threshold,
            "drifted": self.drifted,
            "verdict": self.verdict,
            "enough_data": self.enough_data,
            "n_reference": self.n_reference,
            "n_current": self.n_current,
            "alpha": self.alpha,
            "checks": [c.to_json() for c in self.checks],
            "reference": _jsonable(self.reference),
            "current": _jsonable(self.current),
            "explain": self.explain,
            "histogram": _jsonable(self.histogram),
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

    def to_json(self) -> dict[str, Any]:
        return {
            "dataset_drift": self.dataset_drift,
            "drift_share": _num(self.drift_share),
            "n_drifted": self.n_drifted,
            "n_judged": self.n_judged,
            "drift_share_threshold": self.settings.drift_share,
            "rows_reference": self.rows_reference,
            "rows_current": self.rows_current,
            "only_in_reference": list(self.only_in_reference),
            "only_in_current": list(self.only_in_current),
            "columns": [c.to_json() for c in self.columns],
            "settings": dataclasses.asdict(self.settings),
            "explain": self.explain,
        }


# --------------------------------------------------------------------------- helpers


def _num(x: Any) -> float | None:
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) or math.isinf(x) else x


def _jsonable(d: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, Mapping):
            out[k] = _jsonable(v)
        elif isinstance(v, (list, tuple)):
            out[k] = [_num(x) if isinstance(x, (float, np.floating)) else x for x in v]
        elif isinstance(v, (float, np.floating, np.integer)) and not isinstance(v, bool):
            out[k] = _num(v) if isinstance(v, (float, np.floating)) else int(v)
        else:
            out[k] = v
    return out


def fmt_number(x: float | None) -> str:
    """A number in plain form: 3 significant digits, thousands separators for big ones."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    ax = abs(x)
    if 1000 <= ax < 10_000 and float(x).is_integer():
        return f"{x:.0f}"  # four-digit whole numbers are often years: 2013, not 2,013
    if ax >= 1000:
        return f"{x:,.0f}"
    if ax >= 100 or ax == 0:
        return f"{x:.1f}".rstrip("0").rstrip(".") if ax < 1000 else f"{x:.0f}"
    return f"{x:.3g}"


def _fmt_scaled(x: float | None, scale: float | None) -> str:
    """A number rounded to the column's spread: a spread of 1 gives 2 decimals, of 1 000 none."""
    if x is None or scale is None or not math.isfinite(scale) or scale <= 0:
        return fmt_number(x)
    decimals = int(min(6, max(0, 2 - math.floor(math.log10(scale)))))
    return f"{x:,.{decimals}f}"


def _pct(x: float) -> str:
    p = 100 * x
    if 0 < p < 1:
        return f"{p:.1f} %"
    return f"{p:.0f} %"


def infer_drift_kind(series: pd.Series) -> str:
    """Keel's simple default: numbers → numeric; dates (also written as text) → datetime; text where
    every value differs → id_like; long sentences → text; everything else → categorical."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "categorical"
    if pd.api.types.is_numeric_dtype(dtype):
        return "numeric"
    if pd.api.types.is_datetime64_any_dtype(dtype) or isinstance(dtype, pd.PeriodDtype):
        return "datetime"
    return _text_kind(series)


def _text_kind(series: pd.Series) -> str:
    """Dates written as text, identifiers and free text are told apart from categories on a sample."""
    filled = series.dropna()
    if len(filled) < 20:
        return "categorical"
    sample = filled.sample(500, random_state=0) if len(filled) > 500 else filled
    text = sample.astype(str)
    if text.str.contains(r"\d[-/:.]\d", regex=True).mean() > 0.9:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parsed = pd.to_datetime(text, errors="coerce", format="mixed")
        if parsed.notna().mean() > 0.9:
            return "datetime"
    if text.str.len().mean() > 40 and text.str.contains(" ").mean() > 0.5:
        return "text"
    if text.nunique() == len(text) and filled.nunique() == len(filled) and len(filled) >= 50:
        return "id_like"
    return "categorical"


def _compare_as(kind: str) -> str | None:
    if kind == "numeric":
        return NUMERIC
    if kind in ("categorical", "boolean", "constant"):
        return CATEGORICAL
    return None


def _norm_sf(z: float) -> float:
    return 0.5 * math.erfc(z / math.sqrt(2))


def _z_two_proportions(k1: int, n1: int, k2: int, n2: int) -> float:
    """Two-sided p-value of a pooled two-proportion z-test."""
    if n1 == 0 or n2 == 0:
        return float("nan")
    p = (k1 + k2) / (n1 + n2)
    se = math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))
    if se == 0:
        return 1.0
    z = (k2 / n2 - k1 / n1) / se
    return 2 * _norm_sf(abs(z))


def _outside_range_p(k: int, n: int, m: int) -> float:
    """P(at least ``k`` of ``m`` new values fall outside the range of ``n`` earlier ones) with no drift.

    With all n + m = N values exchangeable, the earlier ones take n of the N ranks at random; k new
    values outside their range means the earlier values' lowest and highest ranks span N - k, which
    (k + 1) * C(N - k - 2, n - 2) of the C(N, n) ways do. Counting each new value as its own draw
    (a binomial) made p-values far too small: the values share the same two extremes, so one low
    earlier maximum puts many new values above it at once (3-5 % of columns flagged on random halves
    of 100 rows, against 0.2 % meant).
    """
    if k <= 0:
        return 1.0
    if n < 2 or k > m:
        return 0.0 if k > m else 1.0
    total = n + m
    j = np.arange(k, m + 1, dtype=float)
    log_ways = (
        np.log(j + 1) + special.gammaln(total - j - 1) - special.gammaln(n - 1) - special.gammaln(total - j - n + 1)
    )
    log_all = special.gammaln(total + 1) - special.gammaln(n + 1) - special.gammaln(m + 1)
    return float(min(1.0, np.exp(log_ways - log_all).sum()))


def _unseen_excess_p(k: int, ref_counts: pd.Series, cur_counts: pd.Series) -> tuple[float, float]:
    """(p-value, expected share) for ``k`` current rows holding a value the reference never had, with no drift.

    With no drift the pooled rows of each value are split between the two samples at random, so a
    value with c rows in all is missing from the reference with the hypergeometric chance
    C(m, c) / C(N, c). Rows come in whole values: a never-seen airport brings all its flights at
    once, so the count is judged with that clumped variance, not as independent rows (which called
    6 % new airports on a random split p = 2e-7).
    """
    m, n = int(cur_counts.sum()), int(ref_counts.sum())
    total = n + m
    c = ref_counts.add(cur_counts, fill_value=0).to_numpy(dtype=float)
    c = c[c > 0]
    fits = c <= m
    log_p = np.full(c.size, -np.inf)
    cf = c[fits]
    log_p[fits] = (
        special.gammaln(m + 1)
        - special.gammaln(m - cf + 1)
        - special.gammaln(total + 1)
        + special.gammaln(total - cf + 1)
    )
    p_all = np.exp(log_p)
    mean = float(np.sum(c * p_all))
    var = float(np.sum(c * c * p_all * (1 - p_all)))
    if var <= 0:
        return (1.0 if k <= mean else 0.0), mean / max(m, 1)
    return _norm_sf((k - mean - 0.5) / math.sqrt(var)), mean / max(m, 1)


def psi(ref_counts: np.ndarray, cur_counts: np.ndarray, eps: float = 1e-4) -> float:
    """Population Stability Index between two count vectors over the same bins."""
    p = ref_counts / max(ref_counts.sum(), 1)
    q = cur_counts / max(cur_counts.sum(), 1)
    p = np.clip(p, eps, None)
    q = np.clip(q, eps, None)
    return float(np.sum((q - p) * np.log(q / p)))


def _sorted_quantiles(sorted_values: np.ndarray, qs: np.ndarray) -> np.ndarray:
    """np.quantile's default (linear) method on an already sorted array, without re-sorting."""
    pos = np.asarray(qs) * (sorted_values.size - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, sorted_values.size - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def psi_numeric(ref: np.ndarray, cur: np.ndarray, bins: int = 10, assume_sorted: bool = False) -> float:
    """PSI with bin edges at the reference quantiles (ties merged).

    Bin *i* holds values in [edge[i-1], edge[i]); counts come from the sorted arrays directly.
    """
    r = ref if assume_sorted else np.sort(ref)
    c = cur if assume_sorted else np.sort(cur)
    edges = np.unique(_sorted_quantiles(r, np.linspace(0, 1, bins + 1))[1:-1])
    rc = np.diff(np.r_[0, np.searchsorted(r, edges, side="left"), r.size])
    cc = np.diff(np.r_[0, np.searchsorted(c, edges, side="left"), c.size])
    return psi(rc.astype(float), cc.astype(float))


def ks_and_wasserstein(ref_sorted: np.ndarray, cur_sorted: np.ndarray) -> tuple[float, float, float]:
    """(KS statistic, its two-sided p-value, Wasserstein distance) from two sorted samples.

    The same formulas as scipy's ``ks_2samp`` (method "auto") and ``wasserstein_distance``, sharing
    one merge of the two samples. Small samples (≤ 10 000 a side) get scipy's exact p-value;
    larger ones Kolmogorov's limiting distribution (scipy's "asymp" mode is an approximation
    too; the two differ by well under 1 % of the p-value at these sizes).
    """
    n1, n2 = ref_sorted.size, cur_sorted.size
    merged = np.concatenate([ref_sorted, cur_sorted])
    merged.sort(kind="stable")  # two sorted runs: a linear merge
    cdf1 = np.searchsorted(ref_sorted, merged, side="right") / n1
    cdf2 = np.searchsorted(cur_sorted, merged, side="right") / n2
    diff = cdf1 - cdf2
    d = float(max(diff.max(), np.clip(-diff.min(), 0, 1)))
    w = float(np.sum(np.abs(diff[:-1]) * np.diff(merged)))
    if max(n1, n2) <= 10_000:
        from scipy import stats  # exact p-value for small samples; scipy.stats is slow to import

        with warnings.catch_warnings():  # scipy falls back to its approximation itself when exact fails
            warnings.simplefilter("ignore", RuntimeWarning)
            p = float(stats.ks_2samp(ref_sorted, cur_sorted).pvalue)
    else:
        p = float(np.clip(special.kolmogorov(math.sqrt(n1 * n2 / (n1 + n2)) * d), 0, 1))
    return d, p, w


def normalised_wasserstein(ref: np.ndarray, cur: np.ndarray) -> float:
    """Wasserstein distance divided by the reference spread (std, else IQR/1.349, else |mean|)."""
    _, _, w = ks_and_wasserstein(np.sort(ref), np.sort(cur))
    return float(w / _scale(ref))


def chi2_two_rows(r: np.ndarray, c: np.ndarray) -> tuple[float, float]:
    """Chi-square test of a 2 × K table (no continuity correction), as scipy's ``chi2_contingency``."""
    table = np.vstack([r, c]).astype(float)
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2 or (table.sum(axis=1) == 0).any():
        return 0.0, 1.0
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    stat = float(np.sum((table - expected) ** 2 / expected))
    return stat, float(special.chdtrc(table.shape[1] - 1, stat))


def jensen_shannon(p: np.ndarray, q: np.ndarray) -> float:
    """Jensen–Shannon distance (natural log), as scipy's ``spatial.distance.jensenshannon``."""
    p = p / p.sum()
    q = q / q.sum()
    m = (p + q) / 2.0
    js = float(np.sum(special.rel_entr(p, m)) + np.sum(special.rel_entr(q, m)))
    return math.sqrt(max(js, 0.0) / 2.0)


def _scale(ref: np.ndarray) -> float:
    sd = float(np.std(ref))
    if sd > 0 and math.isfinite(sd):
        return sd
    q1, q3 = np.quantile(ref, [0.25, 0.75]) if ref.size else (0.0, 0.0)
    if q3 > q1:
        return float((q3 - q1) / 1.349)
    m = float(np.mean(np.abs(ref))) if ref.size else 0.0
    return m if m > 0 else 1.0


# --------------------------------------------------------------------------- column preparation


@dataclass
class _Side:
    """One column on one side, prepared once: counts on all rows, numbers on a sample."""

    rows: int
    n_missing: int
    values: np.ndarray | None = None  # numeric: non-missing sample (≤ sample_size)
    n_valid: int = 0
    vmin: float = float("nan")
    vmax: float = float("nan")
    full: np.ndarray | None = None  # numeric: all non-missing values (for range counts)
    counts: pd.Series | None = None  # categorical: counts per label (str), all rows


def _numeric_side(series: pd.Series, sample_idx: np.ndarray | None) -> _Side:
    if pd.api.types.is_bool_dtype(series.dtype) or not pd.api.types.is_numeric_dtype(series.dtype):
        series = pd.to_numeric(series, errors="coerce")
    arr = series.to_numpy(dtype="float64", na_value=np.nan)
    missing = ~np.isfinite(arr)
    n_missing = int(missing.sum())
    full = arr[~missing] if n_missing else arr
    sample = arr[sample_idx] if sample_idx is not None else arr
    sample = np.sort(sample[np.isfinite(sample)])  # sorted once; every statistic below reuses it
    side = _Side(rows=len(arr), n_missing=n_missing, values=sample, n_valid=int(full.size), full=full)
    if full.size:
        side.vmin, side.vmax = float(full.min()), float(full.max())
    return side


_TRUE = {"true", "yes", "y", "t", "1", "1.0"}
_FALSE = {"false", "no", "n", "f", "0", "0.0"}


def _bool_label(x: Any) -> str:
    text = _label(x).strip().lower()
    return "true" if text in _TRUE else "false" if text in _FALSE else _label(x)


def _categorical_side(series: pd.Series, boolean: bool = False) -> _Side:
    """Counts per label on every row (labels are counted first, then turned into text: cheap)."""
    counts = series.value_counts(dropna=True, sort=False)
    counts = counts[counts > 0]
    if boolean or not all(isinstance(x, str) for x in counts.index):
        labels = [(_bool_label if boolean else _label)(x) for x in counts.index]
        counts = pd.Series(counts.to_numpy(), index=labels).groupby(level=0, sort=False).sum()
    n_valid = int(counts.sum())
    return _Side(rows=len(series), n_missing=len(series) - n_valid, counts=counts, n_valid=n_valid)


def _label(x: Any) -> str:
    if isinstance(x, (bool, np.bool_)):
        return "true" if x else "false"
    if isinstance(x, (float, np.floating)) and float(x).is_integer():
        return str(int(x))
    return str(x)


# --------------------------------------------------------------------------- checks (registry)


@dataclass(frozen=True)
class CheckSpec:
    """A registry entry: a stable code, a plain title, the kinds it applies to, and its function."""

    method: str
    title: str
    kinds: tuple[str, ...]
    run: Callable[[_Side, _Side, DriftSettings, float, dict[str, Any]], Check | None]

    @property
    def default_threshold(self) -> float | None:
        """The effect size at which it flags drift (None for tests shown only for reference)."""
        value = getattr(DEFAULT_SETTINGS, self.method, None)
        return float(value) if isinstance(value, (int, float)) else None


def _ks_w(ref: _Side, cur: _Side, cache: dict[str, Any]) -> tuple[float, float, float]:
    if "ks" not in cache:
        cache["ks"] = ks_and_wasserstein(ref.values, cur.values)
    return cache["ks"]


def _ks_p(ref: _Side, cur: _Side, cache: dict[str, Any]) -> tuple[float, float]:
    d, p, _ = _ks_w(ref, cur, cache)
    return d, p


def _enough(ref: _Side, cur: _Side, s: DriftSettings) -> bool:
    return min(ref.n_valid, cur.n_valid) >= s.min_rows


def _check_wasserstein(ref: _Side, cur: _Side, s: DriftSettings, alpha: float, cache: dict[str, Any]) -> Check | None:
    if not _enough(ref, cur, s):
        return None
    _, p, w = _ks_w(ref, cur, cache)
    stat = w / _scale(ref.values)
    return Check("wasserstein", stat, s.wasserstein, p, bool(stat >= s.wasserstein and p < alpha))


def _check_ks(ref: _Side, cur: _Side, s: DriftSettings, alpha: float, cache: dict[str, Any]) -> Check | None:
    # Shown for reference, never decides on its own: the KS statistic is a p-value's input, not an effect size.
    if not _enough(ref, cur, s):
        return None
    d, p = _ks_p(ref, cur, cache)
    return Check("ks", d, alpha, p, False)


def _check_psi_numeric(ref: _Side, cur: _Side, s: DriftSettings, alpha: float, cache: dict[str, Any]) -> Check | None:
    if not _enough(ref, cur, s):
        return None
    stat = psi_numeric(ref.values, cur.values, s.psi_bins, assume_sorted=True)
    _, p = _ks_p(ref, cur, cache)
    return Check("psi", stat, s.psi, p, bool(stat >= s.psi and p < alpha))


def _check_out_of_range(ref: _Side, cur: _Side, s: DriftSettings, alpha: float, cache: dict[str, Any]) -> Check | None:
    if not _enough(ref, cur, s):
        return None
    k = int(np.count_nonzero((cur.full < ref.vmin) | (cur.full > ref.vmax)))
    share = k / cur.n_valid
    expected = 2 / (ref.n_valid + 1)  # exchangeable samples: chance a new value beats the extremes
    p = _outside_range_p(k, ref.n_valid, cur.n_valid)
    cache["out_of_range"] = k
    return Check(
        "out_of_range", share, s.out_of_range, p, bool(share - expected >= s.out_of_range and p < alpha), expected
    )


def _check_missing(ref: _Side, cur: _Side, s: DriftSettings, alpha: float, cache: dict[str, Any]) -> Check | None:
    if min(ref.rows, cur.rows) < s.min_rows:
        return None
    a, b = ref.n_missing / ref.rows, cur.n_missing / cur.rows
    change = abs(b - a)
    p = _z_two_proportions(ref.n_missing, ref.rows, cur.n_missing, cur.rows)
    return Check("missing_rate", change, s.missing_rate, p, bool(change >= s.missing_rate and p < alpha))


def _shares(ref: _Side, cur: _Side, s: DriftSettings, cache: dict[str, Any]) -> tuple[pd.Index, np.ndarray, np.ndarray]:
    """Aligned count vectors over the union of labels, rare labels pooled as '(other)'."""
    if "aligned" not in cache:
        table = pd.concat([ref.counts, cur.counts], axis=1, keys=["r", "c"]).fillna(0.0)
        if len(table) > s.max_categories:
            # kept by pooled rows, ties by label: both are blind to which side a row came from. Ranking by
            # each side's share broke the many ties in reference-first order, so a random half of 2,000 tail
            # numbers read as '(other)' going from 74 % to 26 % of rows
            pooled = pd.DataFrame(
                {"rows": table["r"] + table["c"], "label": table.index.astype(str)}, index=table.index
            )
            keep = pooled.sort_values(["rows", "label"], ascending=[False, True]).index[: s.max_categories - 1]
            rest = table.drop(index=keep).sum()
            table = pd.concat([table.loc[keep], pd.DataFrame([rest], index=["(other)"])])
        cache["aligned"] = (table.index, table["r"].to_numpy(float), table["c"].to_numpy(float))
    return cache["aligned"]


def _chi2_p(ref: _Side, cur: _Side, s: DriftSettings, cache: dict[str, Any]) -> float:
    if "chi2" not in cache:
        _, r, c = _shares(ref, cur, s, cache)
        if len(r) < 2:
            cache["chi2"] = (0.0, 1.0)
        else:
            cache["chi2"] = chi2_two_rows(r, c)
    return cache["chi2"][1]


def _check_js(ref: _Side, cur: _Side, s: DriftSettings, alpha: float, cache: dict[str, Any]) -> Check | None:
    if not _enough(ref, cur, s):
        return None
    _, r, c = _shares(ref, cur, s, cache)
    stat = jensen_shannon(r, c) if len(r) > 1 else 0.0
    stat = 0.0 if math.isnan(stat) else stat
    p = _chi2_p(ref, cur, s, cache)
    return Check("jensen_shannon", stat, s.jensen_shannon, p, bool(stat >= s.jensen_shannon and p < alpha))


def _check_chi2(ref: _Side, cur: _Side, s: DriftSettings, alpha: float, cache: dict[str, Any]) -> Check | None:
    if not _enough(ref, cur, s):
        return None
    p = _chi2_p(ref, cur, s, cache)
    return Check("chi2", cache["chi2"][0], alpha, p, False)


def _check_category_share(
    ref: _Side, cur: _Side, s: DriftSettings, alpha: float, cache: dict[str, Any]
) -> Check | None:
    if not _enough(ref, cur, s):
        return None
    labels, r, c = _shares(ref, cur, s, cache)
    diff = c / c.sum() - r / r.sum()
    i = int(np.argmax(np.abs(diff)))
    cache["share_label"] = (str(labels[i]), float(r[i] / r.sum()), float(c[i] / c.sum()))
    stat = float(abs(diff[i]))
    p = _chi2_p(ref, cur, s, cache)
    return Check("category_share", stat, s.category_share, p, bool(stat >= s.category_share and p < alpha))


def _check_psi_categorical(
    ref: _Side, cur: _Side, s: DriftSettings, alpha: float, cache: dict[str, Any]
) -> Check | None:
    if not _enough(ref, cur, s):
        return None
    _, r, c = _shares(ref, cur, s, cache)
    stat = psi(r, c)
    p = _chi2_p(ref, cur, s, cache)
    return Check("psi", stat, s.psi, p, bool(stat >= s.psi and p < alpha))


def _check_new_categories(
    ref: _Side, cur: _Side, s: DriftSettings, alpha: float, cache: dict[str, Any]
) -> Check | None:
    if not _enough(ref, cur, s):
        return None
    new = cur.counts[~cur.counts.index.isin(ref.counts.index)]
    k = int(new.sum())
    share = k / cur.n_valid
    p, expected = _unseen_excess_p(k, ref.counts, cur.counts)
    cache["new_labels"] = [str(x) for x in new.sort_values(ascending=False).index[:3]]
    return Check(
        "new_categories", share, s.new_categories, p, bool(share - expected >= s.new_categories and p < alpha), expected
    )


CHECKS: tuple[CheckSpec, ...] = (
    CheckSpec("wasserstein", "Typical values moved", (NUMERIC,), _check_wasserstein),
    CheckSpec("psi", "Shape of the distribution changed", (NUMERIC,), _check_psi_numeric),
    CheckSpec("ks", "Kolmogorov–Smirnov test", (NUMERIC,), _check_ks),
    CheckSpec("out_of_range", "Values outside the range seen before", (NUMERIC,), _check_out_of_range),
    CheckSpec("jensen_shannon", "Category shares changed", (CATEGORICAL,), _check_js),
    CheckSpec("category_share", "One category's share changed", (CATEGORICAL,), _check_category_share),
    CheckSpec("new_categories", "Values never seen before", (CATEGORICAL,), _check_new_categories),
    CheckSpec("psi", "Population stability index", (CATEGORICAL,), _check_psi_categorical),
    CheckSpec("chi2", "Chi-square test", (CATEGORICAL,), _check_chi2),
    CheckSpec("missing_rate", "Empty cells more or less often", (NUMERIC, CATEGORICAL), _check_missing),
)


# --------------------------------------------------------------------------- one column


def _summary(side: _Side, how: str) -> dict[str, Any]:
    out: dict[str, Any] = {"rows": side.rows, "missing_share": side.n_missing / side.rows if side.rows else None}
    if how == NUMERIC:
        v = side.values
        if v is not None and v.size:
            q = _sorted_quantiles(v, np.array([0.05, 0.25, 0.5, 0.75, 0.95]))
            out.update(
                mean=float(np.mean(v)),
                std=float(np.std(v)),
                median=float(q[2]),
                q25=float(q[1]),
                q75=float(q[3]),
                p05=float(q[0]),
                p95=float(q[4]),
                min=side.vmin,
                max=side.vmax,
            )
    elif side.counts is not None and side.n_valid:
        top = side.counts.sort_values(ascending=False).head(10)
        out["top"] = {str(k): float(v / side.n_valid) for k, v in top.items()}
        out["n_categories"] = len(side.counts)
    return out


def _compare_sides(
    name: str, how: str, ref: _Side, cur: _Side, s: DriftSettings, alpha: float, shown_kind: str
) -> ColumnDrift:
    if min(ref.rows, cur.rows) < s.min_rows:
        few = min(ref.rows, cur.rows)
        where = (
            "both tables have"
            if ref.rows == cur.rows
            else ("the reference has" if ref.rows < cur.rows else "the new data has")
        )
        return ColumnDrift(
            name,
            shown_kind,
            PRIMARY_METHOD[how],
            None,
            None,
            _primary_threshold(how, s),
            False,
            "too few rows",
            False,
            ref.rows,
            cur.rows,
            explain=f"'{name}' cannot be judged yet: {where} only {few} rows, and at least "
            f"{s.min_rows} are needed on each side.",
            alpha=alpha,
        )
    cache: dict[str, Any] = {}
    checks = tuple(c for spec in CHECKS if how in spec.kinds if (c := spec.run(ref, cur, s, alpha, cache)) is not None)
    fired = [c for c in checks if c.drifted]
    primary = next((c for c in checks if c.method == PRIMARY_METHOD[how]), None)
    decider = fired[0] if fired else primary
    if decider is None:  # enough rows, but too few filled-in values for the distribution checks
        decider = next(c for c in checks if c.method == "missing_rate")
    enough = _enough(ref, cur, s)
    ref_sum, cur_sum = _summary(ref, how), _summary(cur, how)
    text = _explain_column(name, how, decider, bool(fired), enough, ref, cur, ref_sum, cur_sum, cache, s)
    hist = _histogram(how, ref, cur, s, cache)
    return ColumnDrift(
        column=name,
        kind=shown_kind,
        method=decider.method,
        statistic=decider.statistic,
        p_value=decider.p_value,
        threshold=decider.threshold,
        drifted=bool(fired),
        verdict="drifted" if fired else "no drift",
        enough_data=enough,
        n_reference=ref.n_valid,
        n_current=cur.n_valid,
        checks=checks,
        reference=ref_sum,
        current=cur_sum,
        explain=text,
        alpha=alpha,
        histogram=hist,
    )


HISTOGRAM_BINS = 30
HISTOGRAM_LABELS = 15


def _histogram(how: str, ref: _Side, cur: _Side, s: DriftSettings, cache: dict[str, Any]) -> dict[str, Any]:
    """Shares per bin on both sides, for drawing; built from the sorted samples / counts already at hand."""
    if how == NUMERIC:
        r, c = ref.values, cur.values
        if r is None or c is None or not r.size or not c.size:
            return {}
        lo = min(_sorted_quantiles(r, np.array([0.005]))[0], _sorted_quantiles(c, np.array([0.005]))[0])
        hi = max(_sorted_quantiles(r, np.array([0.995]))[0], _sorted_quantiles(c, np.array([0.995]))[0])
        if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
            return {}
        edges = np.linspace(lo, hi, HISTOGRAM_BINS + 1)
        inner = edges[1:-1]
        rc = np.diff(np.r_[0, np.searchsorted(r, inner, side="left"), r.size]) / r.size
        cc = np.diff(np.r_[0, np.searchsorted(c, inner, side="left"), c.size]) / c.size
        return {"edges": edges.tolist(), "reference": rc.tolist(), "current": cc.tolist()}
    if ref.counts is None or cur.counts is None or not ref.n_valid or not cur.n_valid:
        return {}
    labels, rv, cv = _shares(ref, cur, s, cache)
    rs, cs = rv / rv.sum(), cv / cv.sum()
    order = np.argsort(-(rs + cs), kind="stable")
    keep, rest = order[:HISTOGRAM_LABELS], order[HISTOGRAM_LABELS:]
    out = {"labels": [str(labels[i]) for i in keep], "reference": rs[keep].tolist(), "current": cs[keep].tolist()}
    if rest.size:
        out["labels"].append("(other)")
        out["reference"].append(float(rs[rest].sum()))
        out["current"].append(float(cs[rest].sum()))
    return out


def _primary_threshold(how: str, s: DriftSettings) -> float:
    return s.wasserstein if how == NUMERIC else s.jensen_shannon


def _inconclusive(check: Check) -> bool:
    """A big effect that the test cannot tell apart from chance (small samples)."""
    return bool(check.statistic is not None and check.statistic >= check.threshold and not check.drifted)


def _explain_column(
    name: str,
    how: str,
    decider: Check,
    drifted: bool,
    enough: bool,
    ref: _Side,
    cur: _Side,
    rs: dict[str, Any],
    cs: dict[str, Any],
    cache: dict[str, Any],
    s: DriftSettings,
) -> str:
    m = decider.method
    if drifted and m == "missing_rate":
        more = "more" if cur.n_missing / cur.rows > ref.n_missing / ref.rows else "less"
        return (
            f"'{name}' is empty {more} often: in {_pct(ref.n_missing / ref.rows)} of rows before, "
            f"{_pct(cur.n_missing / cur.rows)} now."
        )
    if drifted and m == "out_of_range":
        return (
            f"'{name}' has values outside the range seen before: {_pct(decider.statistic or 0)} of rows are "
            f"below {fmt_number(ref.vmin)} or above {fmt_number(ref.vmax)}."
        )
    if drifted and m == "new_categories":
        labels = ", ".join(f"'{x}'" for x in cache.get("new_labels", []))
        return f"'{name}' has values never seen before in {_pct(decider.statistic or 0)} of rows (e.g. {labels})."
    if not enough:
        return (
            f"'{name}' has too few filled-in values to compare ({min(ref.n_valid, cur.n_valid)}; at least "
            f"{s.min_rows} are needed on each side). Its share of empty cells did not change much."
        )
    if how == NUMERIC:
        sc = rs.get("std")
        a, b = _fmt_scaled(rs.get("median"), sc), _fmt_scaled(cs.get("median"), sc)
        spread = ""
        if m == "psi":
            spread = (
                f"; the middle half went from {_fmt_scaled(rs.get('q25'), sc)}–{_fmt_scaled(rs.get('q75'), sc)}"
                f" to {_fmt_scaled(cs.get('q25'), sc)}–{_fmt_scaled(cs.get('q75'), sc)}"
            )
        if drifted and a == b and rs.get("mean") is not None and cs.get("mean") is not None:
            # few distinct values (0/1 flags, counts): the middle value stays put while the mix moves
            a, b = _fmt_scaled(rs["mean"], sc), _fmt_scaled(cs["mean"], sc)
            if {rs.get("min"), rs.get("max")} <= {0.0, 1.0}:
                return f"'{name}' moved: it was 1 in {_pct(rs['mean'])} of rows before and {_pct(cs['mean'])} now."
            return f"'{name}' moved: its average went from {a} to {b}{spread}."
        if drifted:
            return f"'{name}' moved: typical values went from {a} to {b}{spread}."
        if _inconclusive(decider):
            return (
                f"'{name}' may have moved (typical value {a} before, {b} now), but with this few rows "
                "that could be chance."
            )
        return f"'{name}' looks the same: typical value {a} before, {b} now."
    if "share_label" not in cache:
        _check_category_share(ref, cur, s, 1.0, cache)
    label, pa, pb = cache.get("share_label", ("", 0.0, 0.0))
    if drifted:
        return f"'{name}' changed: '{label}' went from {_pct(pa)} to {_pct(pb)} of rows."
    if _inconclusive(decider):
        return (
            f"'{name}' may have changed ('{label}' was {_pct(pa)} of rows before, {_pct(pb)} now), but with "
            "this few rows that could be chance."
        )
    return f"'{name}' looks the same: the biggest change is '{label}', {_pct(pa)} of rows before and {_pct(pb)} now."


# --------------------------------------------------------------------------- public API


def _column_settings(name: str, how: str, base: DriftSettings, thresholds: Thresholds | None) -> DriftSettings:
    if not thresholds or name not in thresholds:
        return base
    value = thresholds[name]
    if isinstance(value, Mapping):
        return base.with_overrides(value)
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(
            f"The drift threshold for '{name}' is not a number: {value!r}.", "Give a number such as 0.1."
        ) from None
    return base.with_overrides({PRIMARY_METHOD[how]: number})


def _sample_index(rows: int, size: int, seed: int) -> np.ndarray | None:
    if rows <= size:
        return None
    return np.sort(np.random.default_rng(seed).choice(rows, size=size, replace=False))


def _check_kind(name: str, kind: str) -> None:
    if _compare_as(kind) is None and kind not in SKIPPED_KINDS:
        raise InputError(
            f"Unknown column kind '{kind}' for '{name}'.",
            "Use one of: numeric, categorical, boolean, datetime, id_like, text, constant.",
        )


def compare(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    kinds: Mapping[str, str] | None = None,
    thresholds: Thresholds | None = None,
    settings: DriftSettings | None = None,
    columns: Sequence[str] | None = None,
) -> DriftReport:
    """Compare ``current`` with ``reference`` column by column.

    ``kinds`` maps column names to Keel kinds (else inferred from dtypes). ``thresholds`` maps a
    column to its own settings (``{"price": {"wasserstein": 0.2}}``) or to a bare number for its
    primary effect size. ``columns`` limits the comparison (default: every column in either table).
    """
    if not isinstance(reference, pd.DataFrame) or not isinstance(current, pd.DataFrame):
        raise InputError("Drift needs two tables.", "Pass the reference and the new data as tables.")
    s = settings or DEFAULT_SETTINGS
    kinds = dict(kinds or {})
    names = (
        list(columns)
        if columns is not None
        else list(reference.columns) + [c for c in current.columns if c not in set(reference.columns)]
    )
    if not names:
        raise InputError("There are no columns to compare.", "Check that both files have a header row.")
    ref_cols, cur_cols = set(reference.columns), set(current.columns)
    only_ref = tuple(str(c) for c in names if c in ref_cols and c not in cur_cols)
    only_cur = tuple(str(c) for c in names if c in cur_cols and c not in ref_cols)
    absent = [c for c in names if c not in ref_cols and c not in cur_cols]
    if absent:
        raise InputError(
            f"Column(s) not found in either table: {', '.join(map(str, absent))}.", "Check the column names."
        )

    plan: list[tuple[str, str]] = []
    for name in names:
        if name in ref_cols and name in cur_cols:
            kind = kinds.get(name) or infer_drift_kind(reference[name])
            _check_kind(str(name), kind)
            plan.append((name, kind))
    n_compared = sum(1 for _, k in plan if _compare_as(k) is not None)
    alpha = s.alpha / max(n_compared, 1)

    ref_idx = _sample_index(len(reference), s.sample_size, s.seed)
    cur_idx = _sample_index(len(current), s.sample_size, s.seed + 1)

    results: dict[Any, ColumnDrift] = {}
    with np.errstate(all="ignore"):  # huge values overflow means and spreads; they are handled, not warned
        _compare_planned(plan, reference, current, s, thresholds, n_compared, ref_idx, cur_idx, results)
    for name in names:
        if name in results:
            continue
        label = str(name)
        where = "reference" if name in ref_cols else "current"
        other = "new data" if where == "reference" else "reference"
        results[name] = ColumnDrift(
            label,
            kinds.get(name) or infer_drift_kind((reference if where == "reference" else current)[name]),
            None,
            None,
            None,
            None,
            False,
            f"only in {where}",
            False,
            len(reference) if where == "reference" else 0,
            len(current) if where == "current" else 0,
            explain=f"'{label}' is missing from the {other}.",
        )
    ordered = tuple(results[n] for n in names)
    judged = [c for c in ordered if c.verdict in ("drifted", "no drift")]
    n_drift = sum(c.drifted for c in judged)
    share = n_drift / len(judged) if judged else None
    dataset = bool(share is not None and share >= s.drift_share)
    return DriftReport(
        columns=ordered,
        dataset_drift=dataset,
        drift_share=share,
        n_drifted=n_drift,
        n_judged=len(judged),
        rows_reference=len(reference),
        rows_current=len(current),
        only_in_reference=only_ref,
        only_in_current=only_cur,
        settings=s,
        explain=_explain_report(ordered, judged, n_drift, share, dataset, only_ref, only_cur, s, alpha),
    )


def _compare_planned(
    plan: Sequence[tuple[Any, str]],
    reference: pd.DataFrame,
    current: pd.DataFrame,
    s: DriftSettings,
    thresholds: Thresholds | None,
    n_compared: int,
    ref_idx: np.ndarray | None,
    cur_idx: np.ndarray | None,
    results: dict[Any, ColumnDrift],
) -> None:
    for name, kind in plan:
        how = _compare_as(kind)
        label = str(name)
        if how is None:
            results[name] = ColumnDrift(
                label,
                kind,
                None,
                None,
                None,
                None,
                False,
                "not compared",
                False,
                len(reference),
                len(current),
                explain=f"'{label}': {SKIPPED_KINDS[kind]}",
            )
            continue
        cs = _column_settings(label, how, s, thresholds)
        col_alpha = cs.alpha / max(n_compared, 1)
        if how == NUMERIC:
            rside, cside = _numeric_side(reference[name], ref_idx), _numeric_side(current[name], cur_idx)
        else:
            boolean = kind == "boolean"
            rside, cside = _categorical_side(reference[name], boolean), _categorical_side(current[name], boolean)
        results[name] = _compare_sides(label, how, rside, cside, cs, col_alpha, kind)


def _explain_report(
    cols: Sequence[ColumnDrift],
    judged: Sequence[ColumnDrift],
    n_drift: int,
    share: float | None,
    dataset: bool,
    only_ref: Sequence[str],
    only_cur: Sequence[str],
    s: DriftSettings,
    alpha: float,
) -> str:
    parts: list[str] = []
    if share is None:
        parts.append("No column could be judged (too few rows, or nothing comparable).")
    elif n_drift == 0:
        parts.append(f"Nothing moved: all {len(judged)} compared columns look like the reference.")
    else:
        names = ", ".join(f"'{c.column}'" for c in judged if c.drifted)
        head = "The data has drifted" if dataset else "Some columns moved"
        parts.append(f"{head}: {n_drift} of {len(judged)} columns ({_pct(share)}) changed — {names}.")
    few = [c.column for c in cols if c.verdict == "too few rows"]
    if few:
        parts.append(f"Too few rows to judge: {', '.join(repr(c) for c in few)}.")
    if only_ref:
        parts.append(f"Missing from the new data: {', '.join(repr(c) for c in only_ref)}.")
    if only_cur:
        parts.append(f"New columns not in the reference: {', '.join(repr(c) for c in only_cur)}.")
    return " ".join(parts)


def compare_series(
    reference: pd.Series,
    current: pd.Series,
    kind: str | None = None,
    name: str | None = None,
    settings: DriftSettings | None = None,
) -> ColumnDrift:
    """Drift of one series (predictions, labels, a single feature)."""
    label = name or str(reference.name or current.name or "value")
    ref = pd.DataFrame({label: pd.Series(reference).reset_index(drop=True)})
    cur = pd.DataFrame({label: pd.Series(current).reset_index(drop=True)})
    return compare(ref, cur, kinds={label: kind} if kind else None, settings=settings).columns[0]


def target_drift(
    reference_labels: pd.Series, current_labels: pd.Series, task: str, settings: DriftSettings | None = None
) -> ColumnDrift:
    """Did the answers themselves change? Labels of a classifier compare as categories, of a regressor as numbers."""
    kind = "categorical" if task == "classification" else "numeric"
    return compare_series(reference_labels, current_labels, kind, name="target", settings=settings)


def prediction_drift(
    model: Any, reference: pd.DataFrame, current: pd.DataFrame, settings: DriftSettings | None = None
) -> ColumnDrift:
    """Did the model's answers change? Compares ``model.predict`` on the two tables.

    For a classifier the predicted classes compare as categories; for a regressor the predicted
    numbers compare as numbers.
    """
    task = getattr(model, "task", None) or ("classification" if hasattr(model, "classes_") else "regression")
    ref_pred = pd.Series(np.asarray(model.predict(reference)))
    cur_pred = pd.Series(np.asarray(model.predict(current)))
    kind = "categorical" if task == "classification" else "numeric"
    return compare_series(ref_pred, cur_pred, kind, name="prediction", settings=settings)

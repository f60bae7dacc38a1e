"""Column kinds and data-quality findings.

``profile(frame, target=None, kinds=None)`` infers what each column is (a *kind*), computes
plain statistics per column and runs every registered check. Checks live in :data:`CHECKS`, a
registry of small functions with metadata (a stable snake_case ``code``, a plain ``title``, the
column kinds they apply to and a default ``threshold``). Adding a check means adding one entry.

Speed: every column is hashed once (``pd.factorize``) and everything exact is derived from
that: missing counts, distinct counts, value counts, exact duplicate rows (the codes of all
columns are combined into one 64-bit row key; candidate duplicates are then verified column by
column, so the count is exact). Checks that only need to *detect* something (leakage,
missingness patterns, mixed types on big columns, PII) work on a fixed random sample of 50,000
rows (10,000 values for PII), drawn with a fixed seed so a profile is reproducible.

Checks (code: default threshold -> severity; the reasons sit next to each threshold below)
------
missing_values      any gap -> info < 5% <= warning < 50% <= critical; says which column the gaps
                    follow (bias-corrected Cramér's V >= 0.3 on a sample). Target gaps: warning.
duplicate_rows      any exact copy -> info < 0.1% <= warning < 10% <= critical (info when the
                    columns allow so few combinations that repeats are expected).
constant_column     one value or none -> warning (critical for the target).
near_constant       one value in > 98% of rows -> info.
high_cardinality    > 50 labels -> info; warning when labels seen < 5 times cover >= 5% of rows.
id_like             identifier columns -> info (warning for the target).
mixed_types         >= 20% numbers/dates mixed with other text -> info; warning when >= 90%.
outliers            beyond Q1 - 3 IQR / Q3 + 3 IQR (log scale for right-skewed positives) -> info;
                    warning when some lie beyond 10 IQR (typos, 9999 codes).
skew                |skewness| > 2 (without the extreme 0.1% at each end) -> info.
infinite_values     any inf -> warning.
placeholder_values  'N/A', 'unknown', '' …, or -999/9999 at the column's edge -> warning.
too_few_rows        < 30 rows critical; < 200 rows or < 10 rows per input column warning.
class_imbalance     smallest/largest class < 1:4 warning, < 1:19 or < 10 rows critical.
target_leakage      one column alone: error reduction (classes) or max(R², Spearman²) (numbers)
                    on held-out rows >= 0.95 warning, >= 0.99 critical; outcome-like names info,
                    names containing the target's name warning.
future_dates        dates after tomorrow -> warning (info when most dates are in the future).
date_gaps           missing periods in a regular series -> warning; long silences in event data
                    -> info.
pii                 emails, phones, IPs, names -> warning; cards, IBANs, SSNs, UK NI -> critical.

Kinds
-----
``constant``   one distinct non-missing value (or none at all).
``boolean``    bool dtype, numbers that are only 0/1, or two text values like yes/no, true/false.
``datetime``   a datetime dtype.
``id_like``    a (near-)unique identifier: integers or short text codes. By name ('id', 'uuid',
               'customer_id', 'key') with >= 90% distinct values, or without such a name when
               >= 95% distinct in >= 100 rows (text), or for integers >= 99% distinct in >= 1,000
               rows *and* sequential (sorted or dense), or >= 99.9% distinct in >= 10,000 rows.
               Floats with decimals are never id_like.
``text``       free text: many words per value (>= 4 on average, or >= 30 characters and >= 2
               words) and many distinct values.
``categorical``other text values (a limited set of labels).
``numeric``    numbers. Integers with few distinct values (1-5 ratings, 0-9 codes) stay numeric:
               they are often ordinal codes, where the order matters. Change the kind to
               'categorical' if the numbers are only labels (e.g. store numbers).
"""

from __future__ import annotations

import math
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core.data import pii
from core.errors import InputError

KINDS = ("numeric", "categorical", "boolean", "datetime", "id_like", "text", "constant")
SEVERITIES = ("info", "warning", "critical")
_SEVERITY_RANK = {"critical": 0, "warning": 1, "info": 2}


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


# ----------------------------------------------------------------------------------------------
# Thresholds for kinds (the check thresholds sit next to each check, with their reasons)
# ----------------------------------------------------------------------------------------------

ID_NAME_UNIQUE = 0.9  # a column *named* like an id needs 90% distinct values (some repeats happen)
ID_TEXT_UNIQUE = 0.95  # unnamed text codes (emails, order numbers): 95% distinct ...
ID_TEXT_MIN_ROWS = 100  # ... in at least 100 rows (in 20 rows, 20 distinct labels are ordinary)
ID_INT_UNIQUE = 0.99  # unnamed integers: 99% distinct in >= 1,000 rows and sequential
ID_INT_MIN_ROWS = 1_000
ID_INT_STRICT_UNIQUE = 0.999  # ... or 99.9% distinct in >= 10,000 rows (amounts repeat by then)
ID_INT_STRICT_MIN_ROWS = 10_000
TEXT_MIN_WORDS = 4.0  # mean words per value for free text
TEXT_MIN_CHARS = 30.0  # ... or mean length with at least 2 words (a UUID is 36 chars, 1 word)
TEXT_MIN_DISTINCT_SHARE = 0.2  # free text rarely repeats; labels do
TEXT_MIN_DISTINCT = 500

SAMPLE_ROWS = 50_000  # rows sampled for detection-only checks (leakage, missingness, mixed types)
_SEED = 20240601
_PARALLEL_CELLS = 2_000_000  # hash columns on 2 threads above this many cells

_BOOL_PAIRS = [
    {"yes", "no"},
    {"y", "n"},
    {"true", "false"},
    {"t", "f"},
    {"0", "1"},
    {"on", "off"},
    {"ja", "nein"},
    {"oui", "non"},
    {"si", "no"},
    {"1.0", "0.0"},
]
_ID_TOKENS = frozenset({"id", "ids", "uuid", "guid", "key", "pk", "identifier"})


def _tokens(name: str) -> list[str]:
    parts = re.findall(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+", str(name))
    return [p.lower() for p in parts]


# ----------------------------------------------------------------------------------------------
# Column facts: one hashing pass per column, shared by kinds, stats and checks
# ----------------------------------------------------------------------------------------------


def _family(dtype: object) -> str:
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    if pd.api.types.is_timedelta64_dtype(dtype):
        return "timedelta"
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype):
        return "numeric"
    return "string"


@dataclass(frozen=True)
class _Numbers:
    """Exact summary of a column's finite numbers."""

    count: int
    mean: float
    std: float  # sample standard deviation (ddof=1)
    q: tuple[float, float, float, float, float]  # min, p25, median, p75, max (linear interpolation)
    skew: float | None
    trimmed_skew: Callable[[], float | None]  # skewness without the extreme 0.1% at each end
    zeros: int
    infinite: int
    sorted_values: Callable[[float, float], tuple[np.ndarray, np.ndarray]]  # values outside (lo, hi) + counts

    @staticmethod
    def empty(infinite: int) -> _Numbers:
        nan = float("nan")
        return _Numbers(
            0, nan, nan, (nan,) * 5, None, lambda: None, 0, infinite, lambda lo, hi: (np.empty(0), np.empty(0))
        )

    @staticmethod
    def from_values(x: np.ndarray, infinite: int) -> _Numbers:
        n = len(x)
        if n == 0:
            return _Numbers.empty(infinite)
        with np.errstate(all="ignore"):
            q = np.percentile(x, [0, 25, 50, 75, 100])
            mean = float(np.mean(x))
            d = x - mean
            d2 = d * d
            m2 = float(d2.mean())
            d2 *= d
            m3 = float(d2.mean())
        del d, d2

        def trimmed() -> float | None:
            k = max(1, int(n * 0.001))
            if n <= 2 * k + 2:
                return _skew(x)
            part = np.partition(x, (k, n - k - 1))
            return _skew(part[k : n - k])

        def outside(lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
            v = x[(x < lo) | (x > hi)]
            return v, np.ones(len(v))

        return _Numbers(
            n,
            mean,
            math.sqrt(m2 * n / (n - 1)) if n > 1 and m2 >= 0 else 0.0,
            tuple(float(v) for v in q),
            _moment_skew(m2, m3, n),
            trimmed,
            int(np.count_nonzero(x == 0)),
            infinite,
            outside,
        )

    @staticmethod
    def from_counts(u: np.ndarray, c: np.ndarray, infinite: int) -> _Numbers:
        """``u`` sorted distinct finite values, ``c`` their counts."""
        n = int(c.sum())
        if n == 0:
            return _Numbers.empty(infinite)
        cum = np.cumsum(c)

        def at(i: np.ndarray) -> np.ndarray:  # value of the i-th smallest (0-based)
            return u[np.searchsorted(cum, i, side="right")]

        h = (n - 1) * np.array([0, 0.25, 0.5, 0.75, 1.0])
        lo = np.floor(h)
        lo_v, hi_v = at(lo), at(np.minimum(lo + 1, n - 1))
        with np.errstate(all="ignore"):
            q = lo_v + (h - lo) * (hi_v - lo_v)
            mean = float((u * c).sum() / n)
            d = u - mean
            m2 = float((c * d * d).sum() / n)
            m3 = float((c * d * d * d).sum() / n)

        def trimmed() -> float | None:
            k = max(1, int(n * 0.001))
            if n <= 2 * k + 2:
                return _weighted_skew(u, c)
            before = cum - c
            after = n - cum
            keep = c - np.clip(k - before, 0, c) - np.clip(k - after, 0, c)
            keep = np.clip(keep, 0, None)
            return _weighted_skew(u, keep)

        def outside(lo_: float, hi_: float) -> tuple[np.ndarray, np.ndarray]:
            m = (u < lo_) | (u > hi_)
            return u[m], c[m]

        zero = np.searchsorted(u, 0.0)
        zeros = int(c[zero]) if zero < len(u) and u[zero] == 0 else 0
        return _Numbers(
            n,
            mean,
            math.sqrt(m2 * n / (n - 1)) if n > 1 and m2 >= 0 else 0.0,
            tuple(float(v) for v in q),
            _moment_skew(m2, m3, n),
            trimmed,
            zeros,
            infinite,
            outside,
        )


def _moment_skew(m2: float, m3: float, n: int) -> float | None:
    if n < 3 or not (math.isfinite(m2) and math.isfinite(m3)) or m2 <= 0:
        return None
    s = m3 / m2**1.5
    # values that are all (nearly) equal leave only rounding noise in m2
    return s if math.isfinite(s) else None


def _weighted_skew(u: np.ndarray, c: np.ndarray) -> float | None:
    n = float(c.sum())
    if n < 3:
        return None
    with np.errstate(all="ignore"):
        mean = float((u * c).sum() / n)
        d = u - mean
        m2 = float((c * d * d).sum() / n)
        m3 = float((c * d * d * d).sum() / n)
    return _moment_skew(m2, m3, int(n))


class _Facts:
    """Exact facts about one column, from a single ``pd.factorize``."""

    def __init__(self, name: str, series: pd.Series) -> None:
        self.name = name
        self.dtype = str(series.dtype)
        fam = _family(series.dtype)
        if fam == "string" and not (isinstance(series.dtype, pd.StringDtype) and series.dtype.storage == "pyarrow"):
            series = series.astype("str")  # object / category / complex / period: read as text
        if fam == "timedelta":
            series = series.dt.total_seconds()
            fam = "numeric"
        self.tz = getattr(series.dtype, "tz", None)
        if fam == "datetime" and self.tz is not None:
            series = series.dt.tz_convert(None)  # analyse instants in UTC; show them in the zone
        self.family = fam
        self.series = series
        self.n = len(series)
        codes, uniques = _factorize(series)
        self.uniques = uniques  # pandas Index of distinct non-missing values, in order of appearance
        self.n_unique = len(uniques)
        self.codes = codes.astype(np.int32, copy=False) if self.n_unique < 2**31 - 1 else codes
        counts = np.bincount(codes + 1, minlength=self.n_unique + 1)
        self.n_missing = int(counts[0])
        self.counts = counts[1:]
        self.n_valid = self.n - self.n_missing

    # -- numbers ---------------------------------------------------------------------------
    @cached_property
    def values(self) -> np.ndarray:
        """float64 values (NaN for missing); datetimes as int64 ticks in float."""
        if self.family == "datetime":
            out = self.date_ints.astype("float64")
            out[self.date_ints == np.iinfo(np.int64).min] = np.nan
            return out
        if self.family in ("numeric", "bool"):
            return self.series.to_numpy(dtype="float64", na_value=np.nan)
        raise TypeError("not numeric")

    @cached_property
    def finite(self) -> np.ndarray:
        x = self.values
        ok = np.isfinite(x)
        return x if ok.all() else x[ok]

    @cached_property
    def numbers(self) -> _Numbers:
        """Exact summary of the finite values (weighted by distinct values when few repeat)."""
        if self.n_unique * 4 <= self.n:  # many repeats: work on distinct values and their counts
            u = np.asarray(self.uniques, dtype="float64")
            fin = np.isfinite(u)
            order = np.argsort(u[fin], kind="stable")
            return _Numbers.from_counts(
                u[fin][order], self.counts[fin][order].astype("float64"), int(self.counts[np.isinf(u)].sum())
            )
        x = self.finite
        return _Numbers.from_values(x, int(np.count_nonzero(np.isinf(self.values))) if len(x) < self.n_valid else 0)

    @cached_property
    def is_integer(self) -> bool:
        if self.family != "numeric":
            return False
        if pd.api.types.is_integer_dtype(self.series.dtype):
            return True
        u = np.asarray(self.uniques, dtype="float64")
        head = u[:1000]  # most float columns show decimals right away: skip the full pass
        head = head[np.isfinite(head)]
        if len(head) and not np.all(np.mod(head, 1) == 0):
            return False
        u = u[np.isfinite(u)]
        return bool(len(u)) and bool(np.all(np.mod(u, 1) == 0))

    @cached_property
    def date_ints(self) -> np.ndarray:
        """int64 ticks in the column's own unit; NaT is int64 min."""
        return self.series.to_numpy().view("int64")

    @cached_property
    def unit(self) -> str:
        return np.datetime_data(self.series.to_numpy().dtype)[0]

    @cached_property
    def date_tick(self) -> int:
        """Ticks per day for this column's datetime unit."""
        unit = self.unit
        per_second = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}.get(unit, 1_000_000_000)
        return 86_400 * per_second

    # -- labels ----------------------------------------------------------------------------
    def label(self, i: int) -> str:
        """The i-th distinct value as display text (redacted, short)."""
        return pii.redact(self.uniques[i], 40)

    def top(self, k: int = 10) -> list[tuple[int, int]]:
        """(unique index, count) of the k most frequent values, most frequent first."""
        if not self.n_unique:
            return []
        if k == 1:
            i = int(np.argmax(self.counts))
            return [(i, int(self.counts[i]))]
        if self.n_unique > 4 * k:
            idx = np.argpartition(-self.counts, k)[:k]
        else:
            idx = np.arange(self.n_unique)
        idx = idx[np.lexsort((idx, -self.counts[idx]))][:k]
        return [(int(i), int(self.counts[i])) for i in idx]

    @cached_property
    def text_shape(self) -> tuple[float, float, int]:
        """(mean characters, mean words, max characters) of the non-missing values as text."""
        if not self.n_valid:
            return 0.0, 0.0, 0
        if self.n_unique <= 20_000:  # exact: distinct values weighted by their counts
            arr = pa.array(pd.Index(self.uniques).astype("str").array)
            weights = self.counts.astype("float64")
        else:  # sample
            pos = _sample_positions(self.n, 10_000, self.codes >= 0, seed=_SEED + 1)
            arr = pa.array(self.series.iloc[pos].astype("str").array)
            weights = np.ones(len(arr))
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        lengths = pc.utf8_length(arr).to_numpy(zero_copy_only=False).astype("float64")
        words = pc.count_substring_regex(arr, r"\S+").to_numpy(zero_copy_only=False).astype("float64")
        total = weights.sum()
        return (
            float((lengths * weights).sum() / total),
            float((words * weights).sum() / total),
            int(lengths.max()) if len(lengths) else 0,
        )


_ARROW_FACTORIZE_ROWS = 1_000_000


def _factorize(series: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """``pd.factorize(series, use_na_sentinel=True)``, with less memory for long text columns.

    For Arrow-backed text pandas dictionary-encodes, combines the chunks and widens the codes to
    int64: on 16M short codes with 7.5M distinct that peaked ~1 GB above the column. Arrow's own
    encoding of the chunked column shares one dictionary across the chunks, so the codes are read
    chunk by chunk as int32, and the encoder's scratch memory is handed back at once. Same codes,
    same uniques (order of first appearance), same dtype.
    """
    chunked = getattr(series.array, "_pa_array", None)
    if (
        len(series) < _ARROW_FACTORIZE_ROWS
        or not isinstance(chunked, pa.ChunkedArray)
        or not (pa.types.is_string(chunked.type) or pa.types.is_large_string(chunked.type))
        or not isinstance(series.dtype, pd.StringDtype)
    ):
        return pd.factorize(series, use_na_sentinel=True)
    encoded = pc.dictionary_encode(chunked)
    pa.default_memory_pool().release_unused()  # the encoder's hash table, freed but kept
    chunks = encoded.chunks
    if not chunks or any(not c.dictionary.equals(chunks[0].dictionary) for c in chunks[1:2]):
        return pd.factorize(series, use_na_sentinel=True)
    codes = np.empty(len(series), dtype=np.int32)
    at = 0
    for chunk in chunks:
        indices = pc.fill_null(chunk.indices, -1).to_numpy(zero_copy_only=False)
        codes[at : at + len(indices)] = indices
        at += len(indices)
    dictionary = chunks[-1].dictionary
    uniques = pd.Index(pd.arrays.ArrowStringArray(pa.chunked_array([dictionary])), dtype=series.dtype)
    return codes, uniques


def _sample_positions(n: int, size: int, mask: np.ndarray | None = None, *, seed: int = _SEED) -> np.ndarray:
    """Sorted row positions: all (masked) rows, or ``size`` of them drawn with a fixed seed."""
    pos = np.arange(n) if mask is None else np.flatnonzero(mask)
    if len(pos) <= size:
        return pos
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(pos, size=size, replace=False))


def _prepare(frame: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise InputError(
            "Expected a table (a pandas DataFrame) to profile.",
            "Load the file with Keel's reader first.",
        )
    names = [str(c) for c in frame.columns]
    seen: set[str] = set()
    dupes = [n for n in names if n in seen or seen.add(n)]  # type: ignore[func-returns-value]
    if dupes:
        raise InputError(
            f"The table has more than one column called '{dupes[0]}'.",
            "Give every column a different name in the file, then load it again.",
        )
    if list(frame.columns) != names:
        frame = frame.set_axis(names, axis=1)
    return frame


def _all_facts(frame: pd.DataFrame) -> dict[str, _Facts]:
    cols = list(frame.columns)
    cores = os.cpu_count() or 1
    # Two threads help on an idle machine (factorize releases the GIL); on a machine that is
    # already busy they only add switching, so stay on one.
    busy = os.getloadavg()[0] >= cores if hasattr(os, "getloadavg") else False
    if len(frame) * len(cols) >= _PARALLEL_CELLS and len(cols) > 1 and cores >= 2 and not busy:
        with ThreadPoolExecutor(max_workers=2) as pool:
            facts = list(pool.map(lambda c: _Facts(c, frame[c]), cols))
    else:
        facts = [_Facts(c, frame[c]) for c in cols]
    return {f.name: f for f in facts}


# ----------------------------------------------------------------------------------------------
# Kinds
# ----------------------------------------------------------------------------------------------


def _infer_kind(f: _Facts) -> str:
    if f.n_unique <= 1:
        return "constant"
    if f.family == "bool":
        return "boolean"
    if f.family == "datetime":
        return "datetime"
    ratio = f.n_unique / f.n_valid
    id_name = bool(_ID_TOKENS.intersection(_tokens(f.name)))
    if f.family == "numeric":
        if f.n_unique == 2 and set(np.asarray(f.uniques, dtype="float64").tolist()) == {0.0, 1.0}:
            return "boolean"
        if not f.is_integer:
            return "numeric"
        if id_name and ratio >= ID_NAME_UNIQUE and f.n_unique >= 3:
            return "id_like"
        if f.n_valid >= ID_INT_STRICT_MIN_ROWS and ratio >= ID_INT_STRICT_UNIQUE:
            return "id_like"
        if f.n_valid >= ID_INT_MIN_ROWS and ratio >= ID_INT_UNIQUE:
            u = np.asarray(f.uniques, dtype="float64")
            span = float(u.max() - u.min()) + 1.0
            x = f.values[~np.isnan(f.values)]
            sequential = bool(np.all(np.diff(x) > 0)) or f.n_unique / span >= 0.5
            if sequential:
                return "id_like"
        return "numeric"
    # text values
    if f.n_unique <= 6:
        lowered = {str(v).strip().lower() for v in f.uniques}
        if len(lowered) == 2 and lowered in _BOOL_PAIRS:
            return "boolean"
    chars, words, _ = f.text_shape
    long_text = words >= TEXT_MIN_WORDS or (chars >= TEXT_MIN_CHARS and words >= 2)
    if long_text and (ratio >= TEXT_MIN_DISTINCT_SHARE or f.n_unique >= TEXT_MIN_DISTINCT):
        return "text"
    if id_name and ratio >= ID_NAME_UNIQUE and f.n_unique >= 3:
        return "id_like"
    if f.n_valid >= ID_TEXT_MIN_ROWS and ratio >= ID_TEXT_UNIQUE:
        return "id_like"
    return "categorical"


def infer_kinds(frame: pd.DataFrame) -> dict[str, str]:
    """Guess each column's kind (see the module docstring for the rules)."""
    frame = _prepare(frame)
    return {name: _infer_kind(f) for name, f in _all_facts(frame).items()}


def _coerce(frame: pd.DataFrame, col: str, kind: str, facts: _Facts) -> pd.Series | None:
    """A converted column when the user's kind needs numbers/dates the dtype doesn't hold."""
    s = frame[col]
    if kind == "numeric" and facts.family not in ("numeric", "bool"):
        if facts.family == "datetime":
            raise InputError(
                f"'{col}' holds dates, which can't be treated as numbers.",
                f"Keep 'datetime' for '{col}', or choose 'categorical'.",
            )
        text = s.astype("str").str.strip()
        # '1,200' -> 1200, but '4,5' stays unreadable rather than silently becoming 45
        thousands = text.str.fullmatch(r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?").fillna(False).astype(bool)
        text = text.where(~thousands, text.str.replace(",", "", regex=False))
        converted = pd.to_numeric(text, errors="coerce")
        bad = converted.isna() & s.notna()
        if bad.any():
            example = pii.redact(s[bad].iloc[0])
            raise InputError(
                f"'{col}' can't be treated as numbers: {_count(int(bad.sum()), 'value')} "
                f"{'is' if bad.sum() == 1 else 'are'} not numbers "
                f"(e.g. '{example}').",
                f"Choose 'categorical' or 'text' for '{col}', or fix those values in the file.",
            )
        return converted.astype("float64")
    if kind == "numeric" and facts.family == "bool":
        return s.astype("float64")
    if kind == "datetime" and facts.family != "datetime":
        if facts.family in ("numeric", "bool"):
            raise InputError(
                f"'{col}' holds numbers, which Keel won't guess dates from.",
                f"Keep 'numeric' for '{col}', or write the dates as text like 2024-05-31 in the file.",
            )
        converted = pd.to_datetime(s, errors="coerce", format="mixed")
        bad = converted.isna() & s.notna()
        if bad.any():
            example = pii.redact(s[bad].iloc[0])
            raise InputError(
                f"'{col}' can't be treated as dates: {_count(int(bad.sum()), 'value')} "
                f"{'is' if bad.sum() == 1 else 'are'} not dates "
                f"(e.g. '{example}').",
                f"Choose 'categorical' for '{col}', or fix those values in the file.",
            )
        return converted
    return None


# ----------------------------------------------------------------------------------------------
# Formatting helpers (plain language, the user's numbers)
# ----------------------------------------------------------------------------------------------


def _n(x: int) -> str:
    return f"{int(x):,}"


def _count(x: int, word: str, plural: str | None = None) -> str:
    return f"{_n(x)} {word if x == 1 else (plural or word + 's')}"


def _pct(share: float) -> str:
    if share <= 0:
        return "0%"
    if share < 0.001:
        return "<0.1%"
    if share >= 1:
        return "100%"
    if share > 0.999:
        return ">99.9%"
    return f"{share * 100:.1f}%"


def _num(x: float) -> str:
    if x is None or not math.isfinite(x):
        return str(x)
    if float(x).is_integer() and abs(x) < 1e15:
        return f"{int(x):,}"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) >= 1:
        return f"{x:,.2f}".rstrip("0").rstrip(".")
    return f"{x:.3g}"


def _py(x: object) -> object:
    """A plain JSON value: numpy scalars to Python, NaN/inf to None."""
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def _q(name: str) -> str:
    return f"'{name}'"


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


# ----------------------------------------------------------------------------------------------
# Per-column statistics (JSON-serialisable plain values)
# ----------------------------------------------------------------------------------------------


def _numeric_stats(f: _Facts) -> dict:
    nb = f.numbers
    out: dict = {"count": int(f.n_valid)}
    if nb.count == 0:
        out.update(dict.fromkeys(("mean", "std", "min", "p25", "median", "p75", "max", "skew", "zeros_share")))
    else:
        out.update(
            mean=_py(nb.mean),
            std=_py(nb.std),
            min=_py(nb.q[0]),
            p25=_py(nb.q[1]),
            median=_py(nb.q[2]),
            p75=_py(nb.q[3]),
            max=_py(nb.q[4]),
            skew=_py(nb.skew),
            zeros_share=_py(nb.zeros / nb.count),
        )
    if nb.infinite:
        out["infinite"] = nb.infinite
    return out


def _skew(x: np.ndarray, mean: float | None = None) -> float | None:
    if len(x) < 3:
        return None
    with np.errstate(all="ignore"):
        m = float(np.mean(x)) if mean is None else mean
        d = x - m
        sd = float(np.sqrt(np.mean(d * d)))
        if not math.isfinite(sd) or sd == 0:
            return None
        z = d / sd
        s = float(np.mean(z * z * z))
    return s if math.isfinite(s) else None


def _top_stats(f: _Facts, k: int = 10) -> dict:
    top = f.top(k)
    shown = sum(c for _, c in top)
    return {
        "top": [{"value": str(f.uniques[i]), "count": c} for i, c in top],
        "other_count": int(f.n_valid - shown),
    }


def _stats(f: _Facts, kind: str) -> dict:
    if kind == "numeric" and f.family in ("numeric", "bool"):
        return _numeric_stats(f)
    if kind == "datetime" and f.family == "datetime":
        if not f.n_valid:
            return {"min": None, "max": None}
        u = f.uniques
        lo, hi = u.min(), u.max()
        if f.tz is not None:
            lo, hi = lo.tz_localize("UTC").tz_convert(f.tz), hi.tz_localize("UTC").tz_convert(f.tz)
        return {"min": lo.isoformat(), "max": hi.isoformat(), "span_days": _py((hi - lo).total_seconds() / 86400)}
    if kind == "boolean":
        out = _top_stats(f, 2)
        if f.family == "bool" and f.n_valid:
            out["true_share"] = _py(float(np.nansum(f.values) / f.n_valid))
        return out
    if kind == "categorical":
        return _top_stats(f, 10)
    if kind == "text":
        chars, words, longest = f.text_shape
        return {"mean_length": round(chars, 2), "mean_words": round(words, 2), "max_length": longest}
    if kind == "id_like":
        return {"unique_share": _py(f.n_unique / f.n_valid) if f.n_valid else None}
    if kind == "constant":
        return {"value": pii.redact(f.uniques[0], 100) if f.n_unique else None}
    return {}


# ----------------------------------------------------------------------------------------------
# The check context: shared, lazily computed helpers
# ----------------------------------------------------------------------------------------------


@dataclass
class _Bins:
    codes: np.ndarray  # per sampled row: 0 = missing, 1..k
    k: int  # number of bins including the missing bin
    numeric: np.ndarray | None  # sampled values (float) for numeric/date columns, else None


class _Context:
    def __init__(
        self, frame: pd.DataFrame, facts: dict[str, _Facts], kinds: dict[str, str], target: str | None
    ) -> None:
        self.frame = frame
        self.facts = facts
        self.kinds = kinds
        self.target = target
        self.rows = len(frame)
        self._bins: dict[tuple[str, int], _Bins] = {}
        self._pii: dict[str, pii.PiiScan] = {}

    def columns(self, kinds: Iterable[str]) -> list[str]:
        wanted = set(kinds)
        return [c for c in self.frame.columns if self.kinds[c] in wanted]

    @cached_property
    def sample(self) -> np.ndarray:
        return _sample_positions(self.rows, SAMPLE_ROWS)

    def bins(self, col: str, max_bins: int = 32) -> _Bins:
        """The column on the sample as small integer bins (quantiles for numbers, labels else)."""
        key = (col, max_bins)
        if key in self._bins:
            return self._bins[key]
        f = self.facts[col]
        pos = self.sample
        numeric_kind = self.kinds[col] in ("numeric", "datetime", "boolean") and f.family in (
            "numeric",
            "datetime",
            "bool",
        )
        if numeric_kind:
            x = f.values[pos]
            ok = ~np.isnan(x)
            codes = np.zeros(len(pos), dtype=np.int64)
            fin = x[ok & np.isfinite(x)]
            if len(fin):
                edges = np.unique(np.quantile(fin, np.linspace(0, 1, max_bins + 1)[1:-1]))
                codes[ok] = np.searchsorted(edges, x[ok], side="right") + 1
                k = len(edges) + 2
            else:
                codes[ok] = 1
                k = 2
            b = _Bins(codes, k, x)
        else:
            raw = f.codes[pos].astype(np.int64)
            local, _ = pd.factorize(raw)  # -1 (missing) gets its own local code
            missing_local = local[raw < 0][0] if (raw < 0).any() else -1
            counts = np.bincount(local)
            order = np.argsort(-counts, kind="stable")
            order = order[order != missing_local]
            rank = np.full(len(counts), min(len(order), max_bins - 2) + 1, dtype=np.int64)  # "other"
            keep = order[: max_bins - 2]
            rank[keep] = np.arange(1, len(keep) + 1)
            if missing_local >= 0:
                rank[missing_local] = 0
            codes = rank[local]
            b = _Bins(codes, int(codes.max()) + 1 if len(codes) else 1, None)
        self._bins[key] = b
        return b

    def label_codes(self, col: str) -> np.ndarray:
        """Exact distinct-value codes of the column on the sample (-1 = missing)."""
        return self.facts[col].codes[self.sample]

    @cached_property
    def target_is_classes(self) -> bool:
        t = self.target
        if t is None:
            return False
        kind = self.kinds[t]
        f = self.facts[t]
        if kind in ("boolean", "categorical"):
            return True
        return kind == "numeric" and f.is_integer and 2 <= f.n_unique <= CLASSES_MAX_INT

    def pii_scan(self, col: str) -> pii.PiiScan:
        if col not in self._pii:
            f = self.facts[col]
            if f.family == "string" and f.n_unique <= pii.SAMPLE_SIZE:  # exact, on distinct values
                self._pii[col] = pii.scan_distinct(f.uniques, f.counts, col)
            else:
                idx = list(self.frame.columns).index(col)
                self._pii[col] = pii.scan(self.frame[col], col, seed=_SEED + idx)
        return self._pii[col]


# ----------------------------------------------------------------------------------------------
# The registry
# ----------------------------------------------------------------------------------------------

CheckFn = Callable[[_Context, float], list[Finding]]


@dataclass(frozen=True)
class Check:
    code: str  # stable snake_case; part of the CLI contract
    title: str  # plain words, shown as a heading
    kinds: tuple[str, ...]  # column kinds it looks at; () for table-wide checks
    threshold: float | None  # the default threshold (see the reason next to each check)
    help: str  # one plain sentence: what the check looks for
    run: CheckFn
    needs_target: bool = False


CHECKS: dict[str, Check] = {}


def _register(
    code: str, title: str, kinds: tuple[str, ...], threshold: float | None, help: str, needs_target: bool = False
) -> Callable[[CheckFn], CheckFn]:
    def deco(fn: CheckFn) -> CheckFn:
        CHECKS[code] = Check(code, title, kinds, threshold, help, fn, needs_target)
        return fn

    return deco


def _find(
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
        code, severity, column, message, advice, fix, {k: _jsonable(v) for k, v in details.items()}, other_fixes
    )


def _jsonable(v: object) -> object:
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_jsonable(x) for x in v]
    return _py(v)


ALL_KINDS = KINDS

# -- missing values ----------------------------------------------------------------------------

MISSING_WARNING = 0.05  # below 5%, filling gaps (median / most common) barely changes the column
MISSING_CRITICAL = 0.5  # more gaps than values: filling in would mostly invent data
MISSING_ASSOCIATION = 0.3  # Cramér's V (bias-corrected); 0.3 is a "medium" effect (Cohen)
_ASSOC_BUDGET = 200_000_000  # sampled rows x column pairs looked at for missingness patterns
_ASSOC_MIN = 20  # need >= 20 missing and >= 20 present sampled rows to judge a pattern


@_register(
    "missing_values",
    "Missing values",
    ALL_KINDS,
    0.0,
    "Counts empty cells per column and checks whether the gaps follow another column.",
)
def _check_missing(ctx: _Context, threshold: float) -> list[Finding]:
    out = []
    gappy = [c for c in ctx.frame.columns if 0 < ctx.facts[c].n_missing < ctx.facts[c].n]
    # Wide tables: fewer sampled rows per pair of columns, so the cost stays bounded
    # (2,000 rows still show a "medium" association, V = 0.3, clearly).
    pairs = max(1, len(gappy) * (len(ctx.frame.columns) - 1))
    size = int(np.clip(_ASSOC_BUDGET // pairs, 2_000, SAMPLE_ROWS))
    sub = _sample_positions(len(ctx.sample), size, seed=_SEED + 3)
    partners = _missing_associations(ctx, gappy, sub)
    for col in ctx.frame.columns:
        f = ctx.facts[col]
        if f.n_missing == 0 or f.n_valid == 0:  # fully empty columns: see constant_column
            continue
        share = f.n_missing / f.n
        if share <= threshold:
            continue
        assoc = _association_summary(ctx, col, partners.get(col, []), sub)
        msg = f"{_q(col)} is missing in {_n(f.n_missing)} of {_n(f.n)} rows ({_pct(share)})."
        if assoc:
            msg += " " + assoc["sentence"]
        details = {
            "missing": f.n_missing,
            "rows": f.n,
            "share": share,
            "associated_with": assoc["columns"] if assoc else [],
        }
        if col == ctx.target:
            sev = "critical" if share >= MISSING_CRITICAL else "warning"
            advice = (
                "Rows without a value in the target can't be used to train or test a model. "
                "Remove them, or fill in the target where you know it."
            )
            out.append(_find("missing_values", sev, col, msg, advice, "drop_rows_missing", **details))
            continue
        if share >= MISSING_CRITICAL:
            sev, fix = "critical", "drop_column"
            advice = (
                "With this many gaps, a filled-in value would mostly be invented. Drop the column, unless "
                "the gap itself means something: Keel's models also learn from where a value was missing. "
                "If the value is only written once the outcome is known, it gives the answer away: drop it."
            )
            others: tuple[str, ...] = ()
        elif share >= MISSING_WARNING:
            sev, fix, others = "warning", None, ("drop_rows_missing",)
            advice = (
                "Keel's models fill the gaps themselves (with the median or the most common value) and "
                "also learn from where a value was missing, so you can train as it is. Better still, find "
                "the missing values at the source."
            )
        else:
            sev, fix, others = "info", "drop_rows_missing", ()
            advice = (
                "A few gaps are easy to handle: Keel's models fill them in (with the median or the most "
                "common value), or you can remove those rows."
            )
        if assoc:
            # the message already says which column the gaps go with: the advice says what to do
            advice = (
                f"Removing these rows would skew your data, since the gaps go with "
                f"{_q(assoc['columns'][0]['column'])}. Keel's models fill the gaps and learn from where "
                "a value was missing, which keeps that signal"
                + (
                    ". With this many gaps, drop the column unless the gap itself means something."
                    if share >= MISSING_CRITICAL
                    else "."
                )
            )
            fix = "drop_column" if share >= MISSING_CRITICAL else None
            others = ()
        out.append(_find("missing_values", sev, col, msg, advice, fix, others, **details))
    return out


def _missing_associations(ctx: _Context, gappy: list[str], sub: np.ndarray) -> dict[str, list[tuple[float, str]]]:
    """For each column with gaps, the other columns whose values go with the gaps (V >= threshold).

    Vectorised over the gappy columns: for every other column, the rows are grouped by its
    bins once and the missing counts of all gappy columns are summed per bin in one go.
    """
    found: dict[str, list[tuple[float, str]]] = {c: [] for c in gappy}
    if not gappy or len(sub) < 3:
        return found
    miss = np.stack([ctx.label_codes(c)[sub] < 0 for c in gappy], axis=1).astype(np.float32)  # rows x gappy
    s = miss.shape[0]
    total = miss.sum(axis=0, dtype=np.float64)
    judged = (total >= _ASSOC_MIN) & (s - total >= _ASSOC_MIN)
    if not judged.any():
        return found
    miss, total = np.ascontiguousarray(miss[:, judged]), total[judged]
    names = [c for c, j in zip(gappy, judged, strict=True) if j]
    for other in ctx.frame.columns:
        of = ctx.facts[other]
        if of.n_unique + (of.n_missing > 0) < 2:
            continue
        codes = ctx.bins(other).codes[sub]
        sizes = np.bincount(codes)
        nonempty = sizes > 0
        c = int(nonempty.sum())
        if c < 2:
            continue
        order = np.argsort(codes, kind="stable")
        starts = (np.cumsum(sizes) - sizes)[nonempty]
        m = np.add.reduceat(miss[order], starts, axis=0).T.astype(np.float64)  # gappy x bins: missing counts
        n_j = sizes[nonempty].astype(np.float64)
        e1 = total[:, None] * n_j[None, :] / s
        e0 = (s - total)[:, None] * n_j[None, :] / s
        chi2 = ((m - e1) ** 2 / e1 + ((n_j - m) - e0) ** 2 / e0).sum(axis=1)
        phi2 = np.maximum(0.0, chi2 / s - (c - 1) / (s - 1))  # Bergsma's bias correction
        denom = min(1 - 1 / (s - 1), c - (c - 1) ** 2 / (s - 1) - 1)
        if denom <= 0:
            continue
        v = np.sqrt(phi2 / denom)
        for i in np.flatnonzero(v >= MISSING_ASSOCIATION):
            if names[i] != other:
                found[names[i]].append((float(v[i]), other))
    for c in found:
        found[c].sort(key=lambda t: -t[0])
    return found


def _association_summary(ctx: _Context, col: str, partners: list[tuple[float, str]], sub: np.ndarray) -> dict | None:
    if not partners:
        return None
    miss = ctx.label_codes(col)[sub] < 0
    other = partners[0][1]
    return {
        "sentence": _describe_association(ctx, col, other, miss, ctx.bins(other), sub),
        "columns": [{"column": o, "strength": round(v, 3)} for v, o in partners[:3]],
    }


def _describe_association(ctx: _Context, col: str, other: str, miss: np.ndarray, b: _Bins, sub: np.ndarray) -> str:
    codes = b.codes[sub]
    other_missing = codes == 0
    if other_missing.any() and other_missing[miss].mean() >= 0.8:
        return (
            f"It is usually missing in the same rows as {_q(other)} "
            f"({_pct(float(other_missing[miss].mean()))} of the time)."
        )
    if b.numeric is not None and ctx.kinds[other] != "boolean":
        x = b.numeric[sub]
        ok = ~np.isnan(x)
        if (ok & miss).sum() >= 5 and (ok & ~miss).sum() >= 5:
            m1, m0 = float(np.median(x[ok & miss])), float(np.median(x[ok & ~miss]))
            if ctx.kinds[other] == "datetime":
                f1 = _fmt_date(int(m1), ctx.facts[other])
                f0 = _fmt_date(int(m0), ctx.facts[other])
                direction = "later" if m1 > m0 else "earlier"
                return (
                    f"The gaps are not random: it is missing more often for {direction} {_q(other)} "
                    f"(median {f1} where missing, {f0} where present)."
                )
            direction = "higher" if m1 > m0 else "lower"
            return (
                f"The gaps are not random: it is missing more often when {_q(other)} is {direction} "
                f"(median {_num(m1)} where missing, {_num(m0)} where present)."
            )
    # labels: the category with the highest missing rate (with enough rows behind it)
    rates = np.bincount(codes, weights=miss, minlength=b.k)
    sizes = np.bincount(codes, minlength=b.k)
    min_size = max(10, int(0.01 * len(miss)))
    eligible = np.flatnonzero((sizes >= min_size) & (np.arange(b.k) > 0))
    overall = float(miss.mean())
    if len(eligible):
        share = rates[eligible] / sizes[eligible]
        best = eligible[int(np.argmax(share))]
        label = _bin_label(ctx, other, int(best))  # (judged on the whole sample)
        if label is not None:
            return (
                f"The gaps are not random: {_pct(float(rates[best] / sizes[best]))} of rows are missing it "
                f"where {_q(other)} is '{label}', against {_pct(overall)} overall."
            )
    return f"The gaps are not random: they go with the values of {_q(other)}."


def _bin_label(ctx: _Context, col: str, code: int) -> str | None:
    """Display label for a label-bin code (the most common original value in that bin)."""
    b = ctx.bins(col)
    raw = ctx.label_codes(col)
    in_bin = raw[b.codes == code]
    if not len(in_bin) or in_bin[0] < 0:
        return None
    vals, counts = np.unique(in_bin, return_counts=True)
    if code == b.k - 1 and len(vals) > 1:
        return None  # the pooled "other" bin has no single label
    return ctx.facts[col].label(int(vals[np.argmax(counts)]))


def _fmt_date(ticks: int, f: _Facts) -> str:
    return str(np.datetime64(int(ticks), f.unit).astype("datetime64[D]"))


# -- duplicate rows ----------------------------------------------------------------------------

DUPLICATES_WARNING = 0.001  # under 0.1% duplicates can't move a test score noticeably
DUPLICATES_CRITICAL = 0.1  # a tenth of rows repeated: copies straddle train/test, scores inflate
_COMBINATIONS_FACTOR = 10  # fewer possible value combinations than 10x rows: repeats are expected


def _duplicate_mask(ctx: _Context) -> tuple[np.ndarray, np.ndarray] | None:
    """(is_duplicate, first occurrence index) for every row, exact; None if none are possible."""
    n = ctx.rows
    facts = [ctx.facts[c] for c in ctx.frame.columns]
    if n < 2 or not facts:
        return None
    if any(f.n_missing == 0 and f.n_unique == n for f in facts):
        return None  # a column with a distinct value in every row: no two rows can be equal
    # Rows can only be copies of each other if every column repeats: restrict the search to the
    # rows whose value (or gap) in the most distinct column occurs more than once.
    best = min(facts, key=lambda f: _repeated_rows(f))
    if _repeated_rows(best) < 2:
        return None
    if len(facts) == 1:
        return _duplicates_of_one_column(best)
    rows = None
    if _repeated_rows(best) < n // 2:
        ext = np.concatenate([[best.n_missing], best.counts])
        rows = np.flatnonzero(ext[best.codes.astype(np.int64) + 1] >= 2)
    m = n if rows is None else len(rows)

    def codes_of(f: _Facts) -> np.ndarray:
        return f.codes if rows is None else f.codes[rows]

    # Pack columns exactly into int64 keys (mixed radix) while they fit, then hash the few keys.
    keys: list[np.ndarray] = []
    acc: np.ndarray | None = None
    radix = 1
    for f in sorted(facts, key=lambda f: f.n_unique):
        card = f.n_unique + 1
        if acc is not None and radix * card < 2**62:
            acc *= card
            np.add(acc, codes_of(f), out=acc, casting="unsafe")
            acc += 1
            radix *= card
        else:
            if acc is not None:
                keys.append(acc)
            acc = codes_of(f).astype(np.int64)
            acc += 1
            radix = card
    keys.append(acc)
    if len(keys) == 1:
        h = keys[0]
    else:
        h = keys[0].view(np.uint64)
        mult = np.uint64(0x9E3779B97F4A7C15)
        with np.errstate(over="ignore"):
            for k in keys[1:]:
                h *= mult
                h ^= h >> np.uint64(29)
                h += k.view(np.uint64)
    group, uniq = pd.factorize(h)
    if len(uniq) == m:
        return None
    first = np.empty(len(uniq), dtype=np.int64)
    first[group[::-1]] = np.arange(m - 1, -1, -1)
    first_local = first[group]
    dup_local = first_local != np.arange(m)
    to_row = (lambda i: i) if rows is None else (lambda i: rows[i])
    first_of_row = np.arange(n)
    dup = np.zeros(n, dtype=bool)
    first_of_row[to_row(np.arange(m))] = to_row(first_local)
    dup[to_row(np.flatnonzero(dup_local))] = True
    if dup.any():  # verify: a 64-bit key collision must not count as a duplicate
        idx = np.flatnonzero(dup)
        same = np.ones(len(idx), dtype=bool)
        for f in facts:
            same &= f.codes[idx] == f.codes[first_of_row[idx]]
        bad = idx[~same]
        dup[bad] = False
        if len(bad) > 1:  # rows that only collided may still equal each other: settle them exactly
            sub = pd.DataFrame({str(j): f.codes[bad] for j, f in enumerate(facts)})
            g = sub.groupby(list(sub.columns), sort=False).ngroup().to_numpy()
            firsts = np.empty(g.max() + 1, dtype=np.int64)
            firsts[g[::-1]] = np.arange(len(g) - 1, -1, -1)
            again = firsts[g] != np.arange(len(g))
            dup[bad[again]] = True
            first_of_row[bad[again]] = bad[firsts[g][again]]
    return dup, first_of_row


def _duplicates_of_one_column(f: _Facts) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_duplicate_mask` for a one-column table: the column's codes already number its
    distinct rows (0 for a gap), so each row's first occurrence is looked up, not hashed (a tall
    column of 16M values hashed 64-bit keys in ~800 MB)."""
    n = f.n
    first = np.empty(f.n_unique + 1, dtype=np.int64)
    first[f.codes[::-1] + 1] = np.arange(n - 1, -1, -1, dtype=np.int64)  # the last write wins: the first row
    first_of_row = first[f.codes + 1]
    del first
    return first_of_row != np.arange(n, dtype=np.int64), first_of_row


def _repeated_rows(f: _Facts) -> int:
    """Rows whose value (or gap) in this column also occurs in another row."""
    return int(f.counts[f.counts >= 2].sum()) + (f.n_missing if f.n_missing >= 2 else 0)


@_register(
    "duplicate_rows",
    "Duplicate rows",
    (),
    0.0,
    "Counts rows that are exact copies of an earlier row (all columns equal).",
)
def _check_duplicates(ctx: _Context, threshold: float) -> list[Finding]:
    res = _duplicate_mask(ctx)
    if res is None:
        return []
    dup, first = res
    count = int(dup.sum())
    if count == 0 or count / ctx.rows <= threshold:
        return []
    share = count / ctx.rows
    idx = np.flatnonzero(dup)[:5]
    examples = [[int(i) + 1, int(first[i]) + 1] for i in idx]
    log_combos = sum(
        math.log(ctx.facts[c].n_unique + (1 if ctx.facts[c].n_missing else 0) or 1) for c in ctx.frame.columns
    )
    expected = log_combos < math.log(_COMBINATIONS_FACTOR * ctx.rows)
    copies = (
        "1 row is an exact copy of an earlier row"
        if count == 1
        else f"{_n(count)} rows are exact copies of earlier rows"
    )
    msg = f"{copies} ({_pct(share)} of {_n(ctx.rows)}); e.g. row {examples[0][0]} repeats row {examples[0][1]}."
    if expected:
        sev = "info"
        advice = (
            "With so few columns and values, identical rows can be genuine (different people giving "
            "the same answers). Remove them only if each row should be a different record."
        )
    else:
        sev = "critical" if share >= DUPLICATES_CRITICAL else ("warning" if share >= DUPLICATES_WARNING else "info")
        advice = (
            "Copies usually come from loading the same data twice. They make a model look better than "
            "it is (the same row ends up in training and in testing). Remove the copies."
        )
    return [
        _find(
            "duplicate_rows",
            sev,
            None,
            msg,
            advice,
            "drop_duplicates",
            duplicates=count,
            share=share,
            example_rows=examples,
            expected=expected,
        )
    ]


# -- constant / near-constant ------------------------------------------------------------------


@_register(
    "constant_column",
    "Columns that never change",
    ("constant",),
    None,
    "Finds columns with a single value (or no values at all).",
)
def _check_constant(ctx: _Context, threshold: float | None) -> list[Finding]:
    out = []
    for col in ctx.columns(("constant",)):
        f = ctx.facts[col]
        if f.n_valid == 0:
            msg = f"{_q(col)} is empty: it has no values in any of the {_n(f.n)} rows."
        else:
            value = f.label(0)
            msg = f"{_q(col)} has the same value in every row ('{value}')."
            if f.n_missing:
                msg = (
                    f"{_q(col)} has the same value ('{value}') in every row where it is filled in "
                    f"({_pct(f.n_missing / f.n)} of rows are empty)."
                )
        if col == ctx.target:
            out.append(
                _find(
                    "constant_column",
                    "critical",
                    col,
                    msg,
                    f"There is nothing to predict: every row has the same {_q(col)}. Choose another "
                    "target, or add rows with other outcomes.",
                    None,
                )
            )
            continue
        advice = "A column that never changes can't help a model tell rows apart. Drop it."
        if f.n_missing and f.n_valid:
            advice = (
                "If an empty cell means something here (like 'no'), fill the gaps with that value: then the "
                "column can help. Otherwise drop it."
            )
        out.append(_find("constant_column", "warning", col, msg, advice, "drop_column", value_count=f.n_valid))
    return out


@_register(
    "near_constant",
    "Columns that almost never change",
    ("numeric", "categorical", "boolean", "datetime"),
    0.98,  # one value in > 98% of rows: < 2% of rows left to learn from (scikit-learn's
    # VarianceThreshold examples use 80%; we only warn about the extreme case)
    "Finds columns where one value fills almost every row.",
)
def _check_near_constant(ctx: _Context, threshold: float) -> list[Finding]:
    out = []
    for col in ctx.columns(("numeric", "categorical", "boolean", "datetime")):
        if col == ctx.target:
            continue  # class_imbalance speaks about the target
        f = ctx.facts[col]
        if f.n_valid == 0 or f.n_unique < 2:
            continue
        ((i, c),) = f.top(1)
        share = c / f.n_valid
        if share <= threshold:
            continue
        msg = f"{_q(col)} is '{f.label(i)}' in {_pct(share)} of rows with a value ({_n(c)} of {_n(f.n_valid)})."
        out.append(
            _find(
                "near_constant",
                "info",
                col,
                msg,
                "A column that almost never changes carries little information and can make models "
                "unstable. Drop it, unless the rare values matter (like a fraud flag).",
                "drop_column",
                share=share,
                value=f.label(i),
                count=c,
            )
        )
    return out


# -- cardinality / identifiers -----------------------------------------------------------------

HIGH_CARDINALITY = 50  # > 50 labels: one-hot encoding gets wide and each label has few rows
RARE_COUNT = 5  # a label seen fewer than 5 times can't be learned
RARE_SHARE_WARNING = 0.05  # rare labels covering >= 5% of rows turn into a warning


@_register(
    "high_cardinality",
    "Too many different labels",
    ("categorical",),
    HIGH_CARDINALITY,
    "Finds label columns with so many different values that each one has few rows.",
)
def _check_high_cardinality(ctx: _Context, threshold: float) -> list[Finding]:
    out = []
    for col in ctx.columns(("categorical",)):
        f = ctx.facts[col]
        if f.n_unique <= threshold:
            continue
        rare = f.counts < RARE_COUNT
        n_rare, rare_rows = int(rare.sum()), int(f.counts[rare].sum())
        rare_share = rare_rows / f.n_valid
        msg = f"{_q(col)} has {_n(f.n_unique)} different values"
        msg += (
            f"; {_n(n_rare)} of them appear fewer than {RARE_COUNT} times (together {_pct(rare_share)} of rows)."
            if n_rare
            else "."
        )
        sev = "warning" if rare_share >= RARE_SHARE_WARNING else "info"
        out.append(
            _find(
                "high_cardinality",
                sev,
                col,
                msg,
                "Many different values spread the data thin: a model learns little about values it has "
                "seen only a few times. Group rare values into 'Other', or keep only the most common ones.",
                None,
                n_unique=f.n_unique,
                rare_values=n_rare,
                rare_share=rare_share,
            )
        )
    return out


@_register(
    "id_like",
    "Identifier columns",
    ("id_like",),
    None,  # the kind rules decide (see ID_* above)
    "Finds columns that identify rows (a different value in almost every row).",
)
def _check_id_like(ctx: _Context, threshold: float | None) -> list[Finding]:
    out = []
    for col in ctx.columns(("id_like",)):
        f = ctx.facts[col]
        share = f.n_unique / f.n_valid if f.n_valid else 0.0
        msg = (
            f"{_q(col)} looks like an identifier: {_n(f.n_unique)} different values in "
            f"{_n(f.n_valid)} rows ({_pct(share)} distinct)."
        )
        if col == ctx.target:
            out.append(
                _find(
                    "id_like",
                    "warning",
                    col,
                    msg,
                    "A target with a different value in almost every row has no pattern to learn. "
                    "Choose another target.",
                    None,
                    unique_share=share,
                )
            )
            continue
        out.append(
            _find(
                "id_like",
                "info",
                col,
                msg,
                "Identifiers label rows but say nothing general about them: a model can memorise them "
                "and look better in testing than it is. Leave this column out of training (keep it for "
                "lookups and joins).",
                "drop_column",
                unique_share=share,
            )
        )
    return out


# -- mixed types -------------------------------------------------------------------------------

MIXED_TYPES = 0.2  # >= 20% of values are numbers (or dates) while others aren't
MIXED_WARNING = 0.9  # >= 90% numbers: a number column with a few stray values, worth fixing
# product or part codes: digits with capital letters before or after (45819B, C2034, AB-1200); not
# units, which are written in small letters (12kg)
_CODE_RE = r"^\s*[A-Z]{0,4}[-_/.]?\d+[-_/.]?[A-Z]{1,4}\d*\s*$|^\s*[A-Z]{1,4}[-_/.]?\d+\s*$"
_NUMBER_RE = (
    r"^\s*[-+]?[$€£¥]?\s*(?:\d{1,3}(?:[,' ]\d{3})+|\d+)(?:[.,]\d+)?(?:[eE][-+]?\d+)?\s*%?\s*$"
    r"|^\s*[-+]?[$€£¥]?\s*[.,]\d+\s*$"
)
_DATE_RE = (
    r"^\s*\d{4}-\d{1,2}-\d{1,2}(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?\s*$"
    r"|^\s*\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}\s*$|^\s*\d{4}/\d{1,2}/\d{1,2}\s*$"
)


@_register(
    "mixed_types",
    "Numbers mixed with text",
    ("categorical", "text", "id_like"),
    MIXED_TYPES,
    "Finds text columns where many values are numbers or dates and the rest aren't.",
)
def _check_mixed(ctx: _Context, threshold: float) -> list[Finding]:
    out = []
    for col in ctx.columns(("categorical", "text", "id_like")):
        f = ctx.facts[col]
        if f.family != "string" or f.n_valid == 0:
            continue
        if f.n_unique <= SAMPLE_ROWS:  # exact: test each distinct value once, weight by its count
            values = pa.array(pd.Index(f.uniques).astype("str").array)
            weights = f.counts.astype("float64")
            exact = True
        else:
            pos = _sample_positions(f.n, SAMPLE_ROWS, f.codes >= 0, seed=_SEED + 2)
            values = pa.array(f.series.iloc[pos].array)
            weights = np.ones(len(pos))
            exact = False
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        is_num = pc.match_substring_regex(values, _NUMBER_RE).to_numpy(zero_copy_only=False)
        is_date = pc.match_substring_regex(values, _DATE_RE).to_numpy(zero_copy_only=False) & ~is_num
        total = weights.sum()
        p_num, p_date = float(weights[is_num].sum() / total), float(weights[is_date].sum() / total)
        if max(p_num, p_date) < threshold:
            continue
        typed = is_num if p_num >= p_date else is_date
        what = "numbers" if p_num >= p_date else "dates"
        p = max(p_num, p_date)
        if p >= 1.0:
            continue
        odd = np.flatnonzero(~typed)
        odd = odd[np.argsort(-weights[odd], kind="stable")][:3]
        examples = [pii.redact(values[int(i)].as_py(), 30) for i in odd]
        n_odd = int(round(float(weights[~typed].sum()) * (1 if exact else f.n_valid / total)))
        about = "" if exact else "about "
        msg = (
            f"{_q(col)} is mostly {what} ({_pct(p)}) but {about}{_count(n_odd, 'value')} "
            f"{'is' if n_odd == 1 else 'are'} not "
            f"(e.g. {', '.join(repr(e) for e in examples)})."
        )
        if p < 0.5:
            msg = (
                f"{_q(col)} mixes {what} ({_pct(p)} of values) with other text "
                f"(e.g. {', '.join(repr(e) for e in examples)})."
            )
        sev = "warning" if p >= MIXED_WARNING else "info"
        advice = (
            f"A column that mixes {what} and text can only be used as labels. If it should hold {what}, "
            "fix or clear the other values in the file (blanks count as missing) and load it again."
        )
        odd_all = np.flatnonzero(~typed)
        coded = pc.match_substring_regex(values.take(pa.array(odd_all)), _CODE_RE).to_numpy(zero_copy_only=False)
        if what == "numbers" and float(weights[odd_all[coded]].sum()) >= 0.9 * float(weights[odd_all].sum()):
            # '45819B', 'C2034': product or part codes, numbered with a letter here and there
            sev = "info"
            advice = (
                "They look like codes (product or part numbers), so the column is kept as labels, which "
                "is right for codes. Nothing to do, unless it should hold amounts: then fix those values."
            )
        out.append(
            _find(
                "mixed_types",
                sev,
                col,
                msg,
                advice,
                None,
                type=what,
                typed_share=p,
                untyped=n_odd,
                examples=examples,
                exact=exact,
            )
        )
    return out


# -- numeric shape -----------------------------------------------------------------------------

OUTLIER_IQR = 3.0  # Tukey's "far out" fences (Q1 - 3 IQR, Q3 + 3 IQR): 1.5 flags 0.7% of a
# perfectly normal column; 3 flags ~0.0002%, so what remains is worth a look
OUTLIER_EXTREME = 10.0  # beyond 10 IQR (on the judging scale) a value is almost surely a typo or a
# code like 9999, not a heavy tail: then the finding is a warning, else info
OUTLIER_LOG_SKEW = 1.0  # right-skewed (> 1, "highly skewed" by Bulmer's rule) positive numbers are
# judged on a log scale, where incomes and amounts have ordinary tails
_MIN_NUMERIC = 20  # quartiles and skewness of fewer values are too noisy to judge
SKEW = 2.0  # |skewness| > 2: an exponential distribution's skew; log usually helps from here


def _fences(q1: float, q3: float, k: float, shift: float | None) -> tuple[float, float]:
    if shift is None:
        return q1 - k * (q3 - q1), q3 + k * (q3 - q1)
    l1, l3 = math.log(q1 + shift), math.log(q3 + shift)
    iqr = l3 - l1
    hi = l3 + k * iqr
    return math.exp(l1 - k * iqr) - shift, (math.exp(hi) - shift) if hi < 700 else math.inf


@_register(
    "outliers",
    "Extreme values",
    ("numeric",),
    OUTLIER_IQR,
    "Finds numbers far outside the usual range (robust: based on quartiles, not the mean).",
)
def _check_outliers(ctx: _Context, threshold: float) -> list[Finding]:
    out = []
    for col in ctx.columns(("numeric",)):
        f = ctx.facts[col]
        if f.family not in ("numeric", "bool"):
            continue
        nb = f.numbers
        if nb.count < _MIN_NUMERIC or f.n_unique < 3:
            continue
        q1, q3 = nb.q[1], nb.q[3]
        if not q3 > q1:
            continue  # half the values are equal (e.g. mostly zeros): no spread to measure against
        # Right-skewed positive numbers (amounts, sizes, durations) look ordinary on a log scale:
        # judge them there. Quantiles commute with the log, so the fences map back exactly.
        shift = None
        if nb.skew is not None and nb.skew > OUTLIER_LOG_SKEW and nb.q[0] >= 0:
            shift = 0.0 if nb.q[0] > 0 else (q1 if q1 > 0 else None)
        with np.errstate(all="ignore"):
            lo, hi = _fences(q1, q3, threshold, shift)
            far_lo, far_hi = _fences(q1, q3, OUTLIER_EXTREME, shift)
        vals, counts = nb.sorted_values(lo, hi)
        count = int(counts.sum())
        if not count:
            continue
        share = count / nb.count
        extreme = int(counts[(vals < far_lo) | (vals > far_hi)].sum())
        dist = np.maximum(lo - vals, vals - hi)
        ex = vals[np.argsort(-dist, kind="stable")[:50]]
        examples = list(dict.fromkeys(_num(float(v)) for v in ex))[:3]
        msg = (
            f"{_q(col)} has {_count(count, 'value')} far outside the usual range "
            f"({_pct(share)} of values), e.g. {_join(examples)}; half of all values lie between "
            f"{_num(q1)} and {_num(q3)}."
        )
        sev = "warning" if extreme else "info"
        out.append(
            _find(
                "outliers",
                sev,
                col,
                msg,
                "Check that they are real and not typos or codes like 9999. Real but extreme values can "
                "dominate some models: consider capping them.",
                None,
                count=count,
                share=share,
                extreme=extreme,
                lower_fence=lo,
                upper_fence=hi,
                log_scale=shift is not None,
                examples=examples,
            )
        )
    return out


@_register(
    "skew",
    "Lopsided numbers",
    ("numeric",),
    SKEW,
    "Finds number columns where a few very large (or small) values stretch the scale.",
)
def _check_skew(ctx: _Context, threshold: float) -> list[Finding]:
    out = []
    for col in ctx.columns(("numeric",)):
        f = ctx.facts[col]
        if f.family not in ("numeric", "bool") or f.n_unique <= 10:
            continue
        nb = f.numbers
        if nb.count < _MIN_NUMERIC or nb.skew is None or abs(nb.skew) <= threshold:
            continue  # trimming only ever lowers |skew| here, so the cheap full value decides first
        s = nb.trimmed_skew()
        if s is None or abs(s) <= threshold:
            continue
        if s > 0:
            msg = f"{_q(col)} is strongly skewed (skewness {s:.1f}): most values are small and a few are very large."
        else:
            msg = f"{_q(col)} is strongly skewed (skewness {s:.1f}): most values are large and a few are very small."
        if s > 0 and nb.q[0] >= 0:
            advice = (
                f"Many models work better on a log scale for columns like this: consider using "
                f"log(1 + {col}) instead. Tree-based models don't mind."
            )
        else:
            advice = (
                "Consider a transform that evens out the scale (e.g. ranks), or a tree-based model, which doesn't mind."
            )
        out.append(_find("skew", "info", col, msg, advice, None, skewness=s))
    return out


@_register(
    "infinite_values",
    "Infinite numbers",
    ("numeric",),
    0.0,
    "Finds infinite numbers (inf, -inf), which usually come from dividing by zero.",
)
def _check_infinite(ctx: _Context, threshold: float) -> list[Finding]:
    out = []
    for col in ctx.columns(("numeric",)):
        f = ctx.facts[col]
        if f.family != "numeric":
            continue
        count = f.numbers.infinite
        if count == 0 or count / f.n <= threshold:
            continue
        out.append(
            _find(
                "infinite_values",
                "warning",
                col,
                f"{_q(col)} has {_count(count, 'infinite value')} (inf or -inf).",
                "Infinity usually comes from dividing by zero, and most models can't use it. "
                "Replace it with a missing value or a cap in the file.",
                None,
                count=count,
            )
        )
    return out


# -- placeholders ------------------------------------------------------------------------------

PLACEHOLDER_TEXT = frozenset(
    {
        "",
        "na",
        "n/a",
        "n.a.",
        "n.a",
        "nan",
        "null",
        "none",
        "nil",
        "-",
        "--",
        "---",
        "?",
        "??",
        "unknown",
        "unk",
        "missing",
        "not available",
        "not applicable",
        "#n/a",
        "#na",
        "undefined",
        "empty",
        "blank",
        "tbd",
        "xxx",
        ".",
    }
)
_PLACEHOLDER_RE = (
    "^\\s*(?:" + "|".join(re.escape(p) for p in sorted(PLACEHOLDER_TEXT, key=len, reverse=True) if p) + ")?\\s*$"
)
_PLACEHOLDER_MAX = max(len(p) for p in PLACEHOLDER_TEXT) + 8  # room for surrounding spaces
PLACEHOLDER_NUMBERS = (-999.0, -9999.0, -99999.0, 9999.0, 99999.0, 999999.0)  # only at the min/max


@_register(
    "placeholder_values",
    "Placeholders for missing data",
    ("categorical", "text", "id_like", "numeric", "boolean"),
    0.0,
    "Finds values like 'N/A', 'unknown', '' or -999 that stand in for a missing value.",
)
def _check_placeholders(ctx: _Context, threshold: float) -> list[Finding]:
    out = []
    for col in ctx.columns(("categorical", "text", "id_like", "numeric", "boolean")):
        f = ctx.facts[col]
        if f.n_unique == 0:
            continue
        if f.family == "string":
            arr = pa.array(pd.Index(f.uniques).astype("str").array)
            if isinstance(arr, pa.ChunkedArray):
                arr = arr.combine_chunks()
            short = np.flatnonzero(
                pc.less_equal(pc.utf8_length(arr), _PLACEHOLDER_MAX).to_numpy(zero_copy_only=False)
            )  # placeholders are short; skip the regex for long values
            hit = pc.match_substring_regex(arr.take(pa.array(short)), _PLACEHOLDER_RE, ignore_case=True)
            idx = short[np.flatnonzero(hit.to_numpy(zero_copy_only=False))]
            if len(idx) and len(idx) == f.n_unique:
                continue  # nothing but placeholders: constant/missing findings cover it
        elif f.family == "numeric" and f.numbers.count >= _MIN_NUMERIC:
            u = np.asarray(f.uniques, dtype="float64")
            lo, hi = f.numbers.q[0], f.numbers.q[4]
            idx = np.flatnonzero(np.isin(u, PLACEHOLDER_NUMBERS) & ((u == lo) | (u == hi)) & (f.counts >= 2))
            # a sentinel sits apart from the rest: ignore -999 in a column whose values reach -900
            keep = []
            rest = np.delete(u, idx)
            rest = rest[np.isfinite(rest)]
            for i in idx:
                if len(rest) and ((u[i] > 0 and u[i] > 1.5 * rest.max()) or (u[i] < 0 and u[i] < 1.5 * rest.min())):
                    keep.append(i)
            idx = np.array(keep, dtype=np.int64)
        else:
            continue
        if not len(idx):
            continue
        count = int(f.counts[idx].sum())
        if count / f.n <= threshold:
            continue
        order = idx[np.argsort(-f.counts[idx], kind="stable")]
        shown = []
        for i in order[:4]:
            raw = str(f.uniques[int(i)])
            label = "blank" if raw.strip() == "" else repr(pii.redact(raw, 20))
            shown.append(f"{label} ×{_n(int(f.counts[int(i)]))}")
        msg = (
            f"{_q(col)} has {_count(count, 'value')} that look{'s' if count == 1 else ''} like placeholders "
            "for missing data "
            f"({', '.join(shown)})."
        )
        out.append(
            _find(
                "placeholder_values",
                "warning",
                col,
                msg,
                "Placeholders hide gaps: a model treats 'N/A' as a real label and -999 as a real number. "
                "Clear them so they count as missing.",
                "clear_placeholders",
                count=count,
                values=[str(f.uniques[int(i)]) for i in order[:10]],
            )
        )
    return out


def placeholder_mask(series: pd.Series) -> pd.Series:
    """True where a value is a placeholder for missing data (same rules as the check)."""
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        x = series.to_numpy(dtype="float64", na_value=np.nan)
        fin = x[np.isfinite(x)]
        if len(fin) < _MIN_NUMERIC:
            return pd.Series(False, index=series.index)
        lo, hi = fin.min(), fin.max()
        cand = np.isin(x, PLACEHOLDER_NUMBERS) & ((x == lo) | (x == hi))
        rest = fin[~np.isin(fin, PLACEHOLDER_NUMBERS)]
        if len(rest):
            cand &= ((x > 0) & (x > 1.5 * rest.max())) | ((x < 0) & (x < 1.5 * rest.min()))
        return pd.Series(cand, index=series.index)
    if pd.api.types.is_bool_dtype(series.dtype) or pd.api.types.is_datetime64_any_dtype(series.dtype):
        return pd.Series(False, index=series.index)
    text = series.astype("str")
    norm = text.str.strip().str.lower()
    return norm.isin(PLACEHOLDER_TEXT).fillna(False).astype(bool) & series.notna()


# -- rows --------------------------------------------------------------------------------------

ROWS_CRITICAL = 30  # a 20% test split of < 30 rows holds < 6 rows: any score is luck
ROWS_WARNING = 200  # at 200 rows a 40-row test set still has a ±7-point accuracy error bar
ROWS_PER_COLUMN = 10  # rule of thumb: >= 10 rows per input column (events per variable)


@_register(
    "too_few_rows",
    "Too few rows",
    (),
    ROWS_WARNING,
    "Checks that there are enough rows to train and test a model, in total and per column.",
)
def _check_rows(ctx: _Context, threshold: float) -> list[Finding]:
    n = ctx.rows
    inputs = [c for c in ctx.frame.columns if c != ctx.target and ctx.kinds[c] not in ("constant", "id_like")]
    advice = (
        "With so few rows a model can't learn reliable patterns, and its test score swings a lot by "
        "chance. Collect more rows (a few hundred at least) or use fewer columns."
    )
    if n == 0:
        return [
            _find(
                "too_few_rows",
                "critical",
                None,
                "The table has no rows.",
                "Load a file that has data below the header row.",
                None,
                rows=0,
            )
        ]
    if n < ROWS_CRITICAL:
        return [
            _find(
                "too_few_rows",
                "critical",
                None,
                f"The table has only {_n(n)} rows.",
                advice,
                None,
                rows=n,
                input_columns=len(inputs),
            )
        ]
    if n < threshold:
        return [
            _find(
                "too_few_rows",
                "warning",
                None,
                f"The table has only {_n(n)} rows.",
                advice,
                None,
                rows=n,
                input_columns=len(inputs),
            )
        ]
    if inputs and n < ROWS_PER_COLUMN * len(inputs):
        msg = (
            f"The table has {_n(n)} rows for {_n(len(inputs))} input columns "
            f"(about {n / len(inputs):.0f} rows per column; {ROWS_PER_COLUMN} or more is safer)."
        )
        return [_find("too_few_rows", "warning", None, msg, advice, None, rows=n, input_columns=len(inputs))]
    return []


# -- target checks -----------------------------------------------------------------------------

CLASSES_MAX_INT = 10  # an integer target with <= 10 values is treated as classes here
IMBALANCE_WARNING = 0.25  # smallest/largest class < 1:4 (binary: minority < 20%): accuracy misleads
IMBALANCE_CRITICAL = 1 / 19  # < 1:19 (binary: minority < 5%): "always the majority" scores > 95%
MIN_CLASS_ROWS = 10  # fewer examples than this: can't learn the class nor test on it


@_register(
    "class_imbalance",
    "Unbalanced target",
    (),
    IMBALANCE_WARNING,
    "Checks whether some outcomes of the target are much rarer than others.",
    needs_target=True,
)
def _check_imbalance(ctx: _Context, threshold: float) -> list[Finding]:
    t = ctx.target
    if t is None or not ctx.target_is_classes:
        return []
    f = ctx.facts[t]
    if f.n_unique < 2:
        return []
    top = f.top(f.n_unique)
    (imax, cmax), (imin, cmin) = top[0], top[-1]
    ratio = cmin / cmax
    min_share, max_share = cmin / f.n_valid, cmax / f.n_valid
    small, large = f.label(imin), f.label(imax)
    if ratio >= threshold and cmin >= MIN_CLASS_ROWS:
        return []
    if f.n_unique == 2:
        msg = (
            f"{_q(t)} is unbalanced: '{small}' is only {_pct(min_share)} of rows ({_n(cmin)} of "
            f"{_n(f.n_valid)}); '{large}' is {_pct(max_share)}."
        )
    else:
        msg = (
            f"{_q(t)} is unbalanced: the rarest value '{small}' has {_n(cmin)} rows ({_pct(min_share)}), "
            f"the most common '{large}' has {_n(cmax)} ({_pct(max_share)})."
        )
    if cmin < MIN_CLASS_ROWS:
        sev = "critical"
        advice = (
            f"With fewer than {MIN_CLASS_ROWS} examples of '{small}', a model can't learn it and the test "
            "set may not contain it at all. Collect more examples, or merge rare values."
        )
    else:
        sev = "critical" if ratio < IMBALANCE_CRITICAL else "warning"
        advice = (
            f"Accuracy looks good even for a model that always answers '{large}'. Judge models by balanced "
            f"accuracy or F1 and consider class weights; more '{small}' examples help most."
        )
    return [
        _find(
            "class_imbalance",
            sev,
            t,
            msg,
            advice,
            None,
            classes=f.n_unique,
            minority=small,
            minority_count=cmin,
            minority_share=min_share,
            ratio=ratio,
        )
    ]


LEAKAGE_CRITICAL = 0.99  # one column alone removes >= 99% of the errors (or explains >= 99% of
# the variance): in real data that almost only happens when it was recorded after the outcome
LEAKAGE_WARNING = 0.95  # strong enough to double-check; iris' best petal measure scores ~0.93, the
# best single feature of scikit-learn's breast-cancer data ~0.8
_LEAK_MIN_ROWS = 60  # rows with a target in the sample (two halves of >= 30)
_OUTCOME_WORDS = frozenset(
    {
        "outcome",
        "result",
        "results",
        "cancel",
        "cancelled",
        "canceled",
        "cancellation",
        "churn",
        "churned",
        "refund",
        "refunded",
        "chargeback",
        "terminated",
        "termination",
        "resolution",
        "resolved",
        "closed",
        "closure",
        "label",
        "target",
        "approved",
        "rejected",
        "defaulted",
        "discharge",
        "discharged",
        "died",
        "death",
        "deceased",
        "fraud",
        "converted",
        "conversion",
        "returned",
        "won",
        "lost",
    }
)


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _name_leak(col: str, target: str) -> str | None:
    """'target' when the name contains the target's name, 'outcome' for outcome-like words."""
    col_toks = _tokens(col)
    tgt_toks = [t for t in _tokens(target) if len(t) >= 3]
    col_stems = {_stem(t) for t in col_toks}
    if tgt_toks and all(_stem(t) in col_stems for t in tgt_toks):
        return "target"
    if _OUTCOME_WORDS.intersection(col_toks) or _OUTCOME_WORDS.intersection(col_stems):
        return "outcome"
    return None


def _heldout_class_score(x: np.ndarray, kx: int, y: np.ndarray, ky: int) -> tuple[float, float, float]:
    """Majority-class-per-bin model learnt on one half, scored on the other (both ways).

    Returns (error reduction vs. always guessing the majority class, accuracy, baseline accuracy).
    Fitting on one half and scoring on the other stops identifier-like columns from "predicting"
    by memorising.
    """
    halves = np.arange(len(y)) % 2 == 0
    accs, bases = [], []
    for train in (halves, ~halves):
        test = ~train
        table = np.bincount(x[train] * ky + y[train], minlength=kx * ky).reshape(kx, ky)
        majority = int(np.argmax(np.bincount(y[train], minlength=ky)))
        pred = np.where(table.sum(1) > 0, table.argmax(1), majority)
        accs.append(float(np.mean(pred[x[test]] == y[test])))
        bases.append(float(np.mean(y[test] == majority)))
    acc, base = float(np.mean(accs)), float(np.mean(bases))
    if base >= 1.0:
        return 0.0, acc, base
    return 1.0 - (1.0 - acc) / (1.0 - base), acc, base


def _heldout_r2(x: np.ndarray, kx: int, y: np.ndarray) -> float:
    halves = np.arange(len(y)) % 2 == 0
    scores = []
    for train in (halves, ~halves):
        test = ~train
        sums = np.bincount(x[train], weights=y[train], minlength=kx)
        cnt = np.bincount(x[train], minlength=kx)
        mean = float(y[train].mean())
        with np.errstate(all="ignore"):
            means = np.where(cnt > 0, sums / np.maximum(cnt, 1), mean)
        sst = float(((y[test] - mean) ** 2).sum())
        if sst <= 0 or not math.isfinite(sst):
            return 0.0
        scores.append(1.0 - float(((y[test] - means[x[test]]) ** 2).sum()) / sst)
    return float(np.mean(scores))


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) < 3:
        return 0.0
    ra = pd.Series(a).rank().to_numpy()
    rb = pd.Series(b).rank().to_numpy()
    with np.errstate(all="ignore"):
        r = np.corrcoef(ra, rb)[0, 1]
    return float(r) if math.isfinite(r) else 0.0


@_register(
    "target_leakage",
    "Columns that give away the answer",
    (),
    LEAKAGE_CRITICAL,
    "Finds columns that predict the target almost perfectly on their own, or whose names suggest they "
    "were recorded after the outcome.",
    needs_target=True,
)
def _check_leakage(ctx: _Context, threshold: float) -> list[Finding]:
    t = ctx.target
    if t is None or ctx.kinds[t] == "constant":
        return []
    out = []
    tf = ctx.facts[t]
    classes = ctx.target_is_classes
    if classes:
        yraw = ctx.label_codes(t)
        has_y = yraw >= 0
        y, _ = pd.factorize(yraw[has_y])
        ky = int(y.max()) + 1 if len(y) else 0
        yvals = None
    else:
        if tf.family not in ("numeric", "bool", "datetime"):
            return []
        yv = tf.values[ctx.sample]
        has_y = np.isfinite(yv)
        yvals = yv[has_y]
        y, ky = None, 0
    enough = int(has_y.sum()) >= _LEAK_MIN_ROWS and (not classes or ky >= 2)
    for col in ctx.frame.columns:
        if col == t or ctx.kinds[col] == "text" or ctx.facts[col].n_unique + (ctx.facts[col].n_missing > 0) < 2:
            continue
        strength, detail = 0.0, {}
        # Identifiers are left out of training anyway (see id_like); a row number that follows
        # the target only because the file is sorted by it would be a confusing "leak".
        if enough and ctx.kinds[col] != "id_like":
            b = ctx.bins(col)
            x = b.codes[has_y]
            if classes:
                if ctx.kinds[col] in ("numeric", "datetime", "boolean") or b.numeric is not None:
                    xc, kx = x, b.k
                else:  # exact labels, so a relabelled copy of the target stays pure
                    xc, _ = pd.factorize(ctx.label_codes(col)[has_y])
                    kx = int(xc.max()) + 1
                strength, acc, base = _heldout_class_score(xc, kx, y, ky)
                detail = {"accuracy": acc, "baseline_accuracy": base}
            else:
                if b.numeric is None:
                    xc, _ = pd.factorize(ctx.label_codes(col)[has_y])
                    kx = int(xc.max()) + 1
                    r2 = _heldout_r2(xc, kx, yvals)
                    strength = r2
                    detail = {"r2": r2}
                else:
                    r2 = _heldout_r2(x, b.k, yvals)
                    xv = b.numeric[has_y]
                    ok = np.isfinite(xv)
                    rho = _spearman(xv[ok], yvals[ok]) if ok.sum() >= _LEAK_MIN_ROWS else 0.0
                    strength = max(r2, rho * rho)
                    detail = {"r2": r2, "rank_correlation": rho}
        by_name = _name_leak(col, t)
        if strength >= LEAKAGE_WARNING:
            sev = "critical" if strength >= threshold else "warning"
            if classes:
                how = (
                    f"{_pct(detail['accuracy'])} of held-out rows right, against "
                    f"{_pct(detail['baseline_accuracy'])} by always guessing the most common value"
                )
            elif "rank_correlation" in detail and detail["rank_correlation"] ** 2 >= detail["r2"]:
                how = f"rank correlation {detail['rank_correlation']:.2f}"
            else:
                how = f"it explains {_pct(max(detail['r2'], 0.0))} of the variation on held-out rows"
            word = "almost perfectly" if sev == "critical" else "suspiciously well"
            msg = f"{_q(col)} alone predicts {_q(t)} {word} ({how})."
            if by_name == "target":
                msg += f" Its name also contains {_q(t)}."
            elif by_name:
                msg += " Its name also suggests it is recorded after the outcome."
            advice = (
                "A column that gives away the answer is usually filled in after the outcome is known "
                "(leakage): the model will look great in testing and fail in real use. Drop it, unless "
                "you will truly know this value at the time you make a prediction."
            )
            out.append(
                _find(
                    "target_leakage", sev, col, msg, advice, "drop_column", strength=strength, by_name=by_name, **detail
                )
            )
        elif by_name:
            sev = "warning" if by_name == "target" else "info"
            if by_name == "target":
                msg = f"{_q(col)} has {_q(t)} in its name: it may be derived from the target."
            else:
                msg = f"{_q(col)} sounds like something recorded after the outcome."
            advice = (
                "Check that you would know this value at the time you make a prediction. If it's only "
                "filled in afterwards, drop it: otherwise the model learns from the answer."
            )
            out.append(
                _find(
                    "target_leakage", sev, col, msg, advice, "drop_column", strength=strength, by_name=by_name, **detail
                )
            )
    return out


# -- dates -------------------------------------------------------------------------------------

FUTURE_DATES = 0.0  # any date after tomorrow (one day of slack for time zones)
FUTURE_MOSTLY = 0.5  # if most dates are in the future it's a planned date (due, expiry): info


@_register(
    "future_dates",
    "Dates in the future",
    ("datetime",),
    FUTURE_DATES,
    "Finds dates after today, which are usually typos or placeholders like 2099-12-31.",
)
def _check_future(ctx: _Context, threshold: float) -> list[Finding]:
    out = []
    for col in ctx.columns(("datetime",)):
        f = ctx.facts[col]
        if f.family != "datetime" or not f.n_valid:
            continue
        limit = (pd.Timestamp.now(tz="UTC") + pd.Timedelta(days=1)).tz_localize(None)
        limit_ticks = np.datetime64(limit.to_datetime64(), f.unit).astype("int64")
        u = np.asarray(f.uniques.asi8)
        future = u > limit_ticks  # naive dates compared as UTC wall time; a day of slack covers zones
        count = int(f.counts[future].sum())
        if count == 0 or count / f.n_valid <= threshold:
            continue
        share = count / f.n_valid
        latest = pd.Timestamp(np.datetime64(int(u[future].max()), f.unit))
        if f.tz is not None:
            latest = latest.tz_localize("UTC").tz_convert(f.tz)
        msg = (
            f"{_q(col)} has {_count(count, 'date')} after today ({_pct(share)}), the latest "
            f"{latest.date().isoformat()}."
        )
        if share >= FUTURE_MOSTLY:
            sev = "info"
            advice = "If this is a planned date (a due date, an expiry date), that's fine; otherwise check the values."
        else:
            sev = "warning"
            advice = (
                "Dates in the future are usually typos (a wrong year) or placeholders like 2099-12-31. "
                "Fix them in the file, or clear them so they count as missing."
            )
        out.append(
            _find("future_dates", sev, col, msg, advice, None, count=count, share=share, latest=latest.isoformat())
        )
    return out


DATE_GAP = 1.5  # in a regular series, a step > 1.5x the usual step means periods are missing
DATE_SILENCE = 10.0  # in irregular (event) data, a silence > 10x the usual step (and >= 2 days)
_DATE_REGULAR = 0.8  # a series is regular when >= 80% of steps equal the usual step (±10%)
_DATE_MIN_POINTS = 10
DATE_ONE_PER_PERIOD = 1.5  # up to 1.5 rows per period: a series where every period should be there
_DATE_POISSON = -math.log(1e-4)  # event data: a silence this unlikely by chance (p < 1e-4) is a gap


@_register(
    "date_gaps",
    "Gaps in dates",
    ("datetime",),
    DATE_GAP,
    "Finds missing periods in a date column (e.g. days with no rows in daily data).",
)
def _check_date_gaps(ctx: _Context, threshold: float) -> list[Finding]:
    out = []
    for col in ctx.columns(("datetime",)):
        f = ctx.facts[col]
        if f.family != "datetime" or f.n_unique < _DATE_MIN_POINTS:
            continue
        finding = _date_gap_finding(col, f, threshold)
        if finding:
            out.append(finding)
    return out


def _date_gap_finding(col: str, f: _Facts, threshold: float) -> Finding | None:
    tick_day = f.date_tick
    ticks = np.asarray(f.uniques.asi8)  # distinct, non-missing (unsorted), with their row counts
    counts = f.counts.astype("float64")

    def regular(d: np.ndarray, m: float) -> bool:
        return m > 0 and float(np.mean(np.abs(d - m) <= 0.1 * m)) >= _DATE_REGULAR

    if len(ticks) <= 100_000:  # sub-daily regular data (hourly readings): judge it as it is
        order = np.argsort(ticks)
        pts, w = ticks[order], counts[order]
        d = np.diff(pts).astype("float64")
        m = float(np.median(d))
        if 0 < m < tick_day and regular(d, m):
            missing = np.where(d > threshold * m, np.rint(d / m).astype(np.int64) - 1, 0)
            return _report_gaps(
                col,
                pts,
                w,
                missing,
                _step_name(m / tick_day),
                lambda p: str(np.datetime64(int(p), f.unit).astype("datetime64[s]")).replace("T", " "),
            )
    day_codes, day_ids = pd.factorize(np.floor_divide(ticks, tick_day))
    per_day = np.bincount(day_codes, weights=counts)
    order = np.argsort(day_ids)
    days, w = _trim_isolated(np.asarray(day_ids)[order], per_day[order])
    if len(days) < _DATE_MIN_POINTS:
        return None
    d = np.diff(days).astype("float64")
    m = float(np.median(d))
    show = lambda p: str(np.datetime64(int(p), "D"))  # noqa: E731
    if m == 1 and len(days) >= 20:
        dow = (days + 3) % 7  # 1970-01-01 was a Thursday; 0 = Monday
        closed = sorted(set(range(7)) - set(np.unique(dow).tolist()))
        if 0 < len(closed) <= 3:  # weekdays that never have a row (weekends, a shop shut on Sundays): not gaps
            dates = days.astype("datetime64[D]")
            missing = np.busday_count(dates[:-1], dates[1:], weekmask=[int(d not in closed) for d in range(7)]) - 1
            if closed == [5, 6]:
                return _report_gaps(col, days, w, missing, "business day", show)
            names = " or ".join(_WEEKDAY_NAMES[d] for d in closed)
            return _report_gaps(
                col,
                days,
                w,
                missing,
                "opening day",
                show,
                f" No row falls on a {names}, so those count as closing days, not gaps.",
            )
    if regular(d, m):
        missing = np.where(d > threshold * m, np.rint(d / m).astype(np.int64) - 1, 0)
        return _report_gaps(col, days, w, missing, _step_name(m), show)
    silence = d > max(DATE_SILENCE * m, 2.0)
    if not silence.any():
        return None
    biggest = int(np.argmax(d))
    a, b = show(days[biggest]), show(days[biggest + 1])
    msg = (
        f"{_q(col)} has {_count(int(silence.sum()), 'long stretch', 'long stretches')} without rows; "
        "the longest is "
        f"{int(d[biggest])} days, between {a} and {b}, while rows usually come every "
        f"{'day' if m <= 1 else f'{m:.0f} days'}."
    )
    return _find(
        "date_gaps",
        "info",
        col,
        msg,
        "A long silence often means data is missing for that period (an outage, a lost export). "
        "Check it, especially before forecasting or comparing periods.",
        None,
        silences=int(silence.sum()),
        longest_days=int(d[biggest]),
        longest_from=a,
        longest_to=b,
    )


def _trim_isolated(days: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Drop a few end points that lie further from the rest than the rest spans (typos like 2300):
    the outliers and future_dates checks report those; here they would swamp the gap count."""
    for _ in range(3):
        if len(days) < _DATE_MIN_POINTS:
            break
        if days[-1] - days[-2] > days[-2] - days[0]:
            days, w = days[:-1], w[:-1]
        elif days[1] - days[0] > days[-1] - days[1]:
            days, w = days[1:], w[1:]
        else:
            break
    return days, w


_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _report_gaps(
    col: str,
    points: np.ndarray,
    rows: np.ndarray,
    missing: np.ndarray,
    step: str,
    show: Callable[[int], str],
    note: str = "",
) -> Finding | None:
    """Report missing periods (``missing[i]`` = periods missing between point i and i+1).

    With about one row per period every gap counts. With several random events per period an
    empty one can be chance, so a gap of L periods counts only when, at the rate of rows seen
    around it, P(no rows for L periods) = exp(-rate * L) < 1e-4 (Poisson)."""
    rate = _local_rate(rows, missing)
    missing = np.where((rate <= DATE_ONE_PER_PERIOD) | (rate * missing >= _DATE_POISSON), missing, 0)
    total = int(missing[missing > 0].sum())
    if total <= 0:
        return None
    biggest = int(np.argmax(missing))
    a, b = show(points[biggest]), show(points[biggest + 1])
    plural = step + ("s" if total != 1 else "")
    msg = (
        f"{_q(col)} has data for every {step}, except {_n(total)} {plural} with none "
        f"(the longest gap is between {a} and {b}).{note}"
    )
    return _find(
        "date_gaps",
        "warning",
        col,
        msg,
        "Missing periods break forecasts and time-based features (like 'last week's sales'). "
        "Check whether data was lost; if those periods truly had nothing, add them with zero.",
        None,
        step=step,
        missing_periods=total,
        gaps=int((missing > 0).sum()),
        longest_from=a,
        longest_to=b,
    )


def _local_rate(rows: np.ndarray, missing: np.ndarray, window: int = 14) -> np.ndarray:
    """Rows per period around each gap: the ``window`` present periods on each side."""
    n = len(rows)
    i = np.arange(len(missing))
    lo, hi = np.maximum(0, i - window + 1), np.minimum(n, i + 1 + window)
    cum_rows = np.concatenate([[0.0], np.cumsum(rows)])
    cum_missing = np.concatenate([[0], np.cumsum(missing)])
    periods = (hi - lo) + (cum_missing[hi - 1] - cum_missing[lo]) - missing
    return (cum_rows[hi] - cum_rows[lo]) / np.maximum(periods, 1)


def _step_name(days: float) -> str:
    for name, length in (
        ("minute", 1 / 1440),
        ("hour", 1 / 24),
        ("day", 1),
        ("week", 7),
        ("month", 30.44),
        ("quarter", 91.3),
        ("year", 365.25),
    ):
        if abs(days - length) <= 0.1 * length:
            return name
    if days < 1:
        return f"{days * 24:.3g}-hour period"
    return f"{days:.0f}-day period"


# -- personal data -----------------------------------------------------------------------------


@_register(
    "pii",
    "Personal data",
    ("categorical", "text", "id_like", "numeric"),
    0.0,
    "Finds personal data: emails, phone numbers, card numbers, IBANs, IP addresses, national ID "
    "numbers and people's names.",
)
def _check_pii(ctx: _Context, threshold: float) -> list[Finding]:
    out = []
    for col in ctx.columns(("categorical", "text", "id_like", "numeric")):
        f = ctx.facts[col]
        if f.n_valid == 0 or (f.family == "numeric" and not f.is_integer):
            continue
        scan = ctx.pii_scan(col)
        hits = [h for h in scan.hits if h.share > threshold]
        if not hits and f.family == "string" and pii.masked_share(ctx.frame[col]) >= 0.5:
            # masked values still come from people: a model must not learn from them either
            example = next(str(v) for v in ctx.frame[col].dropna() if "*" in str(v))
            out.append(
                _find(
                    "pii",
                    "info",
                    col,
                    f"{_q(col)} holds masked personal data (e.g. {pii.redact(example, 40)}).",
                    "Masked values still come from people's details and tell a model little, so Keel leaves "
                    "this column out of training. Put it back on the Train page only if you are sure.",
                    masked=True,
                )
            )
            continue
        if not hits:
            continue
        labels = [pii.LABELS[h.pii_type] for h in hits]
        shares = _join([_pct(h.share) for h in hits])
        sampled = "" if scan.scanned == scan.total else " sampled"
        msg = (
            f"{_q(col)} contains {_join(labels)} (in {shares} of {_n(scan.scanned)}{sampled} values), "
            f"e.g. {hits[0].example}."
        )
        sev = "critical" if any(h.pii_type in pii.SENSITIVE for h in hits) else "warning"
        advice = (
            "Personal data rarely helps a model and is risky to keep (privacy law, leaks). Mask it, replace "
            "it with pseudonyms (equal values stay equal, so joins still work), or drop the column."
        )
        out.append(
            _find(
                "pii",
                sev,
                col,
                msg,
                advice,
                "mask_pii",
                ("pseudonymise_pii", "drop_column"),
                types={h.pii_type: {"count": h.count, "share": h.share} for h in hits},
                scanned=scan.scanned,
            )
        )
    return out


# ----------------------------------------------------------------------------------------------
# Profile
# ----------------------------------------------------------------------------------------------


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
    frame = _prepare(frame)
    if target is not None and str(target) not in frame.columns:
        raise InputError(
            f"There is no column '{target}' to predict in this table.",
            f"Choose one of: {_join([_q(c) for c in list(frame.columns)[:10]])}"
            + ("…" if len(frame.columns) > 10 else "")
            + ".",
        )
    target = None if target is None else str(target)
    overrides = dict(kinds or {})
    for col, kind in overrides.items():
        if str(col) not in frame.columns:
            raise InputError(f"There is no column '{col}' in this table.", "Check the column name.")
        if kind not in KINDS:
            raise InputError(f"'{kind}' is not a column kind.", f"Use one of: {', '.join(KINDS)}.")
    selected = list(CHECKS) if checks is None else list(checks)
    for code in selected:
        if code not in CHECKS:
            raise InputError(f"There is no check called '{code}'.", f"Use one of: {', '.join(CHECKS)}.")
    limits = {code: CHECKS[code].threshold for code in CHECKS}
    for code, value in (thresholds or {}).items():
        if code not in CHECKS:
            raise InputError(f"There is no check called '{code}'.", f"Use one of: {', '.join(CHECKS)}.")
        limits[code] = float(value)

    facts = _all_facts(frame)
    t1 = clock()
    inferred = {c: _infer_kind(f) for c, f in facts.items()}
    final = dict(inferred)
    for col, kind in overrides.items():
        col = str(col)
        converted = _coerce(frame, col, kind, facts[col])
        if converted is not None:
            frame = frame.assign(**{col: converted})
            facts[col] = _Facts(col, frame[col])
        final[col] = kind
    t2 = clock()
    columns = tuple(
        ColumnProfile(
            name=c,
            kind=final[c],
            dtype=facts[c].dtype,
            missing_share=(facts[c].n_missing / facts[c].n) if facts[c].n else 0.0,
            n_unique=facts[c].n_unique,
            stats=_stats(facts[c], final[c]),
            n_missing=facts[c].n_missing,
            kind_source="user" if c in {str(k) for k in overrides} else "inferred",
        )
        for c in frame.columns
    )
    t3 = clock()
    if timings is not None:
        timings.update(facts=t1 - t0, kinds=t2 - t1, stats=t3 - t2)
    ctx = _Context(frame, facts, final, target)
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
    findings.sort(key=lambda f: (_SEVERITY_RANK[f.severity], order[f.code], col_order.get(f.column, -1)))
    return Profile(rows=len(frame), columns=columns, findings=tuple(findings), target=target)


__all__ = [
    "CHECKS",
    "KINDS",
    "SEVERITIES",
    "Check",
    "ColumnProfile",
    "Finding",
    "Profile",
    "infer_kinds",
    "placeholder_mask",
    "profile",
]

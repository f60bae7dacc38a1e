"""Column facts: one hashing pass per column (``pd.factorize``), from which kinds, statistics and
checks take everything exact (missing and distinct counts, value counts, number summaries)."""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core.data import pii
from core.errors import InputError

SAMPLE_ROWS = 50_000  # rows sampled for detection-only checks (leakage, missingness, mixed types)
SEED = 20240601
_PARALLEL_CELLS = 2_000_000  # hash columns on 2 threads above this many cells


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
class Numbers:
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
    def empty(infinite: int) -> Numbers:
        nan = float("nan")
        return Numbers(
            0, nan, nan, (nan,) * 5, None, lambda: None, 0, infinite, lambda lo, hi: (np.empty(0), np.empty(0))
        )

    @staticmethod
    def from_values(x: np.ndarray, infinite: int) -> Numbers:
        n = len(x)
        if n == 0:
            return Numbers.empty(infinite)
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

        return Numbers(
            n,
            mean,
            math.sqrt(m2 * n / (n - 1)) if n > 1 and m2 >= 0 else 0.0,
            _five(q),
            _moment_skew(m2, m3, n),
            trimmed,
            int(np.count_nonzero(x == 0)),
            infinite,
            outside,
        )

    @staticmethod
    def from_counts(u: np.ndarray, c: np.ndarray, infinite: int) -> Numbers:
        """``u`` sorted distinct finite values, ``c`` their counts."""
        n = int(c.sum())
        if n == 0:
            return Numbers.empty(infinite)
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
        return Numbers(
            n,
            mean,
            math.sqrt(m2 * n / (n - 1)) if n > 1 and m2 >= 0 else 0.0,
            _five(q),
            _moment_skew(m2, m3, n),
            trimmed,
            zeros,
            infinite,
            outside,
        )


def _five(q: np.ndarray) -> tuple[float, float, float, float, float]:
    """min, p25, median, p75, max as floats."""
    return float(q[0]), float(q[1]), float(q[2]), float(q[3]), float(q[4])


def _moment_skew(m2: float, m3: float, n: int) -> float | None:
    if n < 3 or not (math.isfinite(m2) and math.isfinite(m3)) or m2 <= 0:
        return None
    scale = m2**1.5
    if scale == 0:  # a spread so tiny its cube underflows (e.g. 1e-300): no shape to speak of
        return None
    s = m3 / scale
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


class Facts:
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
    def numbers(self) -> Numbers:
        """Exact summary of the finite values (weighted by distinct values when few repeat)."""
        if self.n_unique * 4 <= self.n:  # many repeats: work on distinct values and their counts
            u = np.asarray(self.uniques, dtype="float64")
            fin = np.isfinite(u)
            order = np.argsort(u[fin], kind="stable")
            return Numbers.from_counts(
                u[fin][order], self.counts[fin][order].astype("float64"), int(self.counts[np.isinf(u)].sum())
            )
        x = self.finite
        return Numbers.from_values(x, int(np.count_nonzero(np.isinf(self.values))) if len(x) < self.n_valid else 0)

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

    def instant(self, ticks: int) -> Any:
        """``ticks`` in this column's datetime unit as a ``numpy.datetime64``."""
        return np.array(ticks, dtype=f"datetime64[{self.unit}]")[()]

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
            pos = sample_positions(self.n, 10_000, self.codes >= 0, seed=SEED + 1)
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


def sample_positions(n: int, size: int, mask: np.ndarray | None = None, *, seed: int = SEED) -> np.ndarray:
    """Sorted row positions: all (masked) rows, or ``size`` of them drawn with a fixed seed."""
    pos = np.arange(n) if mask is None else np.flatnonzero(mask)
    if len(pos) <= size:
        return pos
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(pos, size=size, replace=False))


def prepare_frame(frame: pd.DataFrame) -> pd.DataFrame:
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


def all_facts(frame: pd.DataFrame) -> dict[str, Facts]:
    cols = list(frame.columns)
    cores = os.cpu_count() or 1
    # Two threads help on an idle machine (factorize releases the GIL); on a machine that is
    # already busy they only add switching, so stay on one.
    busy = os.getloadavg()[0] >= cores if hasattr(os, "getloadavg") else False
    if len(frame) * len(cols) >= _PARALLEL_CELLS and len(cols) > 1 and cores >= 2 and not busy:
        with ThreadPoolExecutor(max_workers=2) as pool:
            facts = list(pool.map(lambda c: Facts(c, frame[c]), cols))
    else:
        facts = [Facts(c, frame[c]) for c in cols]
    return {f.name: f for f in facts}


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

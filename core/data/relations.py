"""How the columns of a table relate: to each other (pairs) and to a chosen target, with a measure that fits
the pair's kinds, its uncertainty, and a sentence.

=====================  ===================  =====================================================================
pair of kinds          ``measure``          ``strength``
=====================  ===================  =====================================================================
number and number      ``spearman``         rank correlation, -1 to 1 (the sign says whether they rise together)
category and category  ``cramers_v``        Cramér's V, bias-corrected (Bergsma 2013), 0 to 1
category and number    ``correlation_ratio``  eta, 0 to 1: how much of the number's spread the category explains
=====================  ===================  =====================================================================

Every pair also carries ``mutual_information`` (normalised, 0 to 1, on one scale for every kind: numbers cut
into ten equal-count bins), ``rows`` (rows with both values), ``p_value`` (how likely a relationship at least
this strong is by chance alone) and ``enough_data``. A list of pairs whose measure is ``mutual_information``
is never produced: it is an extra score on each pair.

Big tables are measured on a seeded random sample of :data:`SAMPLE_ROWS` rows (said in ``notes``); awkward
columns (all missing, one value, free text, a row or two) are left out with a note, never a crash. Dates count
as numbers (their time), yes/no values and text as categories (the :data:`MAX_LEVELS` most common values,
the rest pooled).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from core.errors import InputError
from core.vocab import count, date, number, percent

SAMPLE_ROWS = 20_000  # strengths on 20,000 rows are within about 0.01 of the whole table's
MAX_LEVELS = 30  # categories kept per column; the rest are pooled as "other"
MIN_ROWS = 10  # fewer rows with both values: no measure
ENOUGH_ROWS = 30  # fewer: the measure is given, marked as resting on too little data
MAX_PAIRS = 200  # pairs listed, strongest first
SENTENCE_PAIRS = 20  # the strongest pairs also get a sentence (the rest: "")
REDUNDANT = 0.95  # a pair at least this strong says the same thing twice: a model needs only one of them
_BINS = 10


@dataclass(frozen=True)
class Pair:
    a: str
    b: str
    measure: str  # spearman | cramers_v | correlation_ratio
    strength: float
    mutual_information: float
    rows: int
    p_value: float | None
    enough_data: bool
    sentence: str = ""  # what a teacher would say (the strongest pairs only)

    @property
    def redundant(self) -> bool:
        """The two columns say (nearly) the same thing."""
        return abs(self.strength) >= REDUNDANT


@dataclass(frozen=True)
class TargetLink:
    column: str
    measure: str
    strength: float
    sentence: str
    mutual_information: float
    rows: int
    p_value: float | None
    enough_data: bool
    column_kind: str = "category"  # how the column was measured: "number" | "date" (a number) | "category"


@dataclass(frozen=True)
class Relations:
    rows: int
    sampled_rows: int  # rows measured (all of them, or a seeded sample)
    pairs: tuple[Pair, ...]
    target: tuple[TargetLink, ...] | None
    skipped: dict[str, str] = field(default_factory=dict)  # column -> why it was left out
    notes: tuple[str, ...] = ()
    target_kind: str | None = None  # how the target was measured: "number" | "date" | "category" (None: no target)

    def to_json(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "sampled_rows": self.sampled_rows,
            "pairs": [vars(p) for p in self.pairs],
            "target": None if self.target is None else [vars(t) for t in self.target],
            "skipped": [{"column": c, "reason": r} for c, r in self.skipped.items()],
            "notes": list(self.notes),
            "target_kind": self.target_kind,
        }


# --------------------------------------------------------------------------- columns as numbers or categories


@dataclass(frozen=True)
class _Column:
    name: str
    kind: str  # "number" | "category"
    values: np.ndarray  # floats (NaN missing) for numbers; codes 0..k-1 (-1 missing) for categories
    levels: tuple[str, ...] = ()
    is_date: bool = False  # numbers that are times (seconds since 1970)


def _as_numbers(col: pd.Series) -> np.ndarray | None:
    if pd.api.types.is_bool_dtype(col):
        return None
    if pd.api.types.is_datetime64_any_dtype(col):
        return _seconds(pd.to_datetime(col))
    if pd.api.types.is_numeric_dtype(col):
        out = col.to_numpy(dtype=float, na_value=np.nan, copy=True)
    else:
        present = col.notna().sum()
        text = col.astype("string").str.strip()
        head = pd.to_numeric(text.dropna().head(50), errors="coerce")
        parsed = pd.to_numeric(text, errors="coerce") if head.notna().mean() >= 0.9 else head.iloc[:0]
        if present and parsed.notna().sum() >= 0.95 * present:
            out = parsed.to_numpy(dtype=float, na_value=np.nan, copy=True)
        else:
            return _as_dates(text, present)
    out[~np.isfinite(out)] = np.nan
    return out


def _parses_as_number(col: pd.Series) -> bool:
    if pd.api.types.is_numeric_dtype(col):
        return True
    if pd.api.types.is_datetime64_any_dtype(col):
        return False
    head = pd.to_numeric(col.dropna().astype("string").str.strip().head(50), errors="coerce")
    return bool(len(head)) and bool(head.notna().mean() >= 0.9)


def _as_dates(text: pd.Series, present: int) -> np.ndarray | None:
    """Text that is mostly dates, as numbers (their time); None for anything else."""
    head = text.dropna().head(20)
    if not len(head) or not head.str.contains(r"\d[-/.]\d|\d{4}", regex=True).all():
        return None
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stamps = pd.to_datetime(text, errors="coerce")  # one format throughout (inferred): vectorised
    if stamps.notna().sum() < 0.95 * present:
        return None
    return _seconds(stamps)


def _seconds(stamps: pd.Series) -> np.ndarray:
    """Times as seconds since 1970 (floats, NaN where missing): any date pandas holds fits."""
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_convert(None)
    out = stamps.astype("datetime64[s]").to_numpy().astype("int64").astype(float)
    out[stamps.isna().to_numpy()] = np.nan
    return out


def _column(name: str, col: pd.Series) -> _Column | str:
    """The column as numbers or category codes, or why it is left out."""
    present = int(col.notna().sum())
    if present == 0:
        return "has no values"
    numbers = _as_numbers(col)
    if numbers is not None and np.unique(numbers[~np.isnan(numbers)]).size >= 3:
        dated = pd.api.types.is_datetime64_any_dtype(col) or not pd.api.types.is_numeric_dtype(col)
        return _Column(name, "number", numbers, is_date=dated and not _parses_as_number(col))
    text = col.astype("string")
    counts = text.value_counts(dropna=True)
    if len(counts) < 2:
        return "has only one value"
    if len(counts) > 0.5 * present and len(counts) > 2 * MAX_LEVELS:
        return "is mostly different in every row (an id or free text)"
    kept = [str(v) for v in counts.index[:MAX_LEVELS]]
    codes = pd.Index(kept).get_indexer(text.fillna("\x00missing").to_numpy(dtype=object))
    other = len(counts) > len(kept)
    codes = np.where(codes < 0, len(kept) if other else -1, codes)
    codes[text.isna().to_numpy()] = -1
    return _Column(name, "category", codes.astype(np.int64), tuple(kept) + (("other",) if other else ()))


def _bins(c: _Column) -> np.ndarray:
    """Codes for mutual information: categories as they are, numbers in equal-count bins (-1 missing)."""
    if c.kind == "category":
        return c.values
    x = c.values
    out = np.full(len(x), -1, dtype=np.int64)
    ok = ~np.isnan(x)
    if ok.any():
        ranks = pd.Series(x[ok]).rank(method="average").to_numpy()
        out[ok] = np.minimum(((ranks - 1) * _BINS / ok.sum()).astype(np.int64), _BINS - 1)
    return out


# --------------------------------------------------------------------------- the measures


def _table(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Contingency table of two code arrays (rows where either is missing are left out)."""
    ok = (a >= 0) & (b >= 0)
    a, b = a[ok], b[ok]
    if not len(a):
        return np.zeros((0, 0))
    ka, kb = int(a.max()) + 1, int(b.max()) + 1
    return np.bincount(a * kb + b, minlength=ka * kb).reshape(ka, kb).astype(float)


def cramers_v(table: np.ndarray) -> tuple[float, float | None]:
    """(bias-corrected Cramér's V, chi-square p-value) of a contingency table (Bergsma 2013)."""
    from scipy.special import chdtrc

    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    n = table.sum()
    r, k = table.shape
    if n < 2 or r < 2 or k < 2:
        return 0.0, None
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / n
    stat = float(((table - expected) ** 2 / expected).sum())
    phi2 = stat / n - (k - 1) * (r - 1) / (n - 1)
    phi2 = phi2 if phi2 > 1e-12 else 0.0  # rounding, not association (its square root would show as 1e-8)
    rc, kc = r - (r - 1) ** 2 / (n - 1), k - (k - 1) ** 2 / (n - 1)
    denominator = min(rc - 1, kc - 1)
    value = math.sqrt(phi2 / denominator) if denominator > 0 else 0.0
    return min(1.0, value), float(chdtrc((r - 1) * (k - 1), stat))


def correlation_ratio(codes: np.ndarray, x: np.ndarray) -> tuple[float, float | None]:
    """(eta, one-way ANOVA p-value): how much of ``x``'s spread the categories in ``codes`` explain."""
    from scipy.special import fdtrc

    ok = (codes >= 0) & ~np.isnan(x)
    codes, x = codes[ok], x[ok]
    n = len(x)
    if n < 2:
        return 0.0, None
    sizes = np.bincount(codes)
    sums = np.bincount(codes, weights=x)
    groups = int((sizes > 0).sum())
    mean = x.mean()
    total = float(((x - mean) ** 2).sum())
    if total <= 0 or groups < 2:
        return 0.0, None
    filled = sizes > 0
    between = float((sums[filled] ** 2 / sizes[filled]).sum() - n * mean**2)
    eta2 = min(1.0, max(0.0, between / total))
    if n <= groups or eta2 >= 1.0:
        return math.sqrt(eta2), None if n <= groups else 0.0
    stat = (eta2 / (groups - 1)) / ((1 - eta2) / (n - groups))
    return math.sqrt(eta2), float(fdtrc(groups - 1, n - groups, stat))


def spearman(x: np.ndarray, y: np.ndarray) -> tuple[float, float | None]:
    """(rank correlation, two-sided p-value) on the rows where both are present."""
    ok = ~np.isnan(x) & ~np.isnan(y)
    n = int(ok.sum())
    if n < 3:
        return 0.0, None
    rx = pd.Series(x[ok]).rank().to_numpy()
    ry = pd.Series(y[ok]).rank().to_numpy()
    return _rank_corr(rx, ry, n)


def _rank_corr(rx: np.ndarray, ry: np.ndarray, n: int) -> tuple[float, float | None]:
    rx, ry = rx - rx.mean(), ry - ry.mean()
    spread = math.sqrt(float((rx * rx).sum() * (ry * ry).sum()))
    if spread == 0:
        return 0.0, None
    rho = max(-1.0, min(1.0, float((rx * ry).sum()) / spread))
    return rho, _rho_p(rho, n)


def _rho_p(rho: float, n: int) -> float | None:
    """Two-sided p-value of a rank correlation on ``n`` rows (t approximation)."""
    from scipy.special import stdtr

    if n < 3:
        return None
    if abs(rho) >= 1.0:
        return 0.0
    stat = abs(rho) * math.sqrt((n - 2) / (1 - rho * rho))
    return float(2 * stdtr(n - 2, -stat))


def mutual_information(a: np.ndarray, b: np.ndarray) -> float:
    """Mutual information of two code arrays, normalised by the geometric mean of their entropies (0 to 1)."""
    table = _table(a, b)
    n = table.sum()
    if n == 0:
        return 0.0
    p = table / n
    pa, pb = p.sum(axis=1), p.sum(axis=0)
    nz = p > 0
    mi = float((p[nz] * np.log(p[nz] / np.outer(pa, pb)[nz])).sum())
    ha = -float((pa[pa > 0] * np.log(pa[pa > 0])).sum())
    hb = -float((pb[pb > 0] * np.log(pb[pb > 0])).sum())
    if ha <= 0 or hb <= 0:
        return 0.0
    return max(0.0, min(1.0, mi / math.sqrt(ha * hb)))


def _measure(a: _Column, b: _Column) -> tuple[str, float, int, float | None]:
    """(measure, strength, rows with both, p-value) for a pair of columns of any kinds."""
    if a.kind == "number" and b.kind == "number":
        rows = int((~np.isnan(a.values) & ~np.isnan(b.values)).sum())
        rho, p = spearman(a.values, b.values)
        return "spearman", rho, rows, p
    if a.kind == "category" and b.kind == "category":
        table = _table(a.values, b.values)
        v, p = cramers_v(table)
        return "cramers_v", v, int(table.sum()), p
    cat, num = (a, b) if a.kind == "category" else (b, a)
    rows = int(((cat.values >= 0) & ~np.isnan(num.values)).sum())
    eta, p = correlation_ratio(cat.values, num.values)
    return "correlation_ratio", eta, rows, p


def _complete_ranks(columns: list[_Column]) -> dict[str, np.ndarray]:
    """Centred, unit-length ranks of every number column without missing values: their rank correlations are
    then one matrix product."""
    out = {}
    for c in columns:
        if c.kind == "number" and not np.isnan(c.values).any():
            r = pd.Series(c.values).rank().to_numpy()
            r = r - r.mean()
            norm = math.sqrt(float((r * r).sum()))
            if norm > 0:
                out[c.name] = r / norm
    return out


def _pairs(columns: list[_Column]) -> list[Pair]:
    ranked = _complete_ranks(columns)
    names = list(ranked)
    fast: dict[tuple[str, str], float] = {}
    if len(names) > 1:
        matrix = np.vstack([ranked[n] for n in names])
        corr = np.clip(matrix @ matrix.T, -1.0, 1.0)
        fast = {(a, b): float(corr[i, j]) for i, a in enumerate(names) for j, b in enumerate(names) if i < j}
    bins = {c.name: _bins(c) for c in columns}
    found = []
    for i, a in enumerate(columns):
        for b in columns[i + 1 :]:
            if (a.name, b.name) in fast:
                n = len(a.values)
                rho = fast[(a.name, b.name)]
                measure, strength, rows, p = "spearman", rho, n, _rho_p(rho, n)
            else:
                measure, strength, rows, p = _measure(a, b)
            if rows < MIN_ROWS:
                continue
            mi = mutual_information(bins[a.name], bins[b.name])
            found.append(Pair(a.name, b.name, measure, round(strength, 6), round(mi, 6), rows, p, rows >= ENOUGH_ROWS))
    found.sort(key=lambda p: -abs(p.strength))
    by_name = {c.name: c for c in columns}
    return [
        replace(p, sentence=_pair_sentence(by_name[p.a], by_name[p.b], p.measure, p.strength))
        if i < SENTENCE_PAIRS
        else p
        for i, p in enumerate(found[:MAX_PAIRS])
    ]


# --------------------------------------------------------------------------- against a target, in words


def _how_strong(strength: float) -> str:
    s = abs(strength)
    return "hardly" if s < 0.1 else "weakly" if s < 0.3 else "moderately" if s < 0.5 else "strongly"


def _sentence(col: _Column, target: _Column, measure: str, strength: float) -> str:
    """What a teacher would draw, in words: the rate by category, the typical value by class, or the trend."""
    how = _how_strong(strength)
    head = f"'{col.name}' and '{target.name}' go together {how}"
    if how == "hardly":
        return f"'{col.name}' and '{target.name}' hardly go together."
    if measure == "spearman":
        direction = "higher" if strength > 0 else "lower"
        return f"{head}: where '{col.name}' is higher, '{target.name}' tends to be {direction}."
    if col.kind == "category" and target.kind == "category":
        detail = _rates(col, target)
    else:
        cat, num = (col, target) if col.kind == "category" else (target, col)
        detail = _typical(cat, num)
    return f"{head}: {detail}" if detail else f"{head}."


def _pair_sentence(a: _Column, b: _Column, measure: str, strength: float) -> str:
    """A pair's sentence; a pair that says the same thing twice says so."""
    said = _sentence(a, b, measure, strength)
    if abs(strength) >= REDUNDANT:
        said += " They say nearly the same thing, so a model needs only one of them."
    return said


def _rates(col: _Column, target: _Column) -> str:
    """The rate of the target's rarer common value, in the categories where it is highest and lowest."""
    table = _table(col.values, target.values)
    if table.size == 0:
        return ""
    totals = table.sum(axis=1)
    focus = int(np.argsort(table.sum(axis=0))[-2]) if table.shape[1] > 1 else 0  # the second most common outcome
    big = np.flatnonzero(totals >= max(5, 0.01 * totals.sum()))
    if len(big) < 2:
        big = np.flatnonzero(totals > 0)
    rate = table[big, focus] / totals[big]
    hi, lo = big[int(rate.argmax())], big[int(rate.argmin())]
    value = target.levels[focus] if focus < len(target.levels) else str(focus)
    return (
        f"'{value}' is {percent(table[hi, focus] / totals[hi])} where '{col.name}' is '{col.levels[hi]}' and "
        f"{percent(table[lo, focus] / totals[lo])} where it is '{col.levels[lo]}'."
    )


def _typical(cat: _Column, num: _Column) -> str:
    """The typical (median) number in the categories where it is highest and lowest."""
    ok = (cat.values >= 0) & ~np.isnan(num.values)
    frame = pd.DataFrame({"c": cat.values[ok], "x": num.values[ok]})
    groups = frame.groupby("c")["x"].agg(["median", "mean", "size"])
    groups = groups[groups["size"] >= min(5, int(groups["size"].max()))]
    if len(groups) < 2:
        return ""
    stat, word = "median", "typically"
    if groups["median"].nunique() < 2:  # whole numbers with a few values: the averages differ
        stat, word = "mean", "on average"
    hi, lo = int(groups[stat].idxmax()), int(groups[stat].idxmin())

    def shown(value: float) -> str:
        return date(pd.Timestamp(int(value), unit="s")) if num.is_date else number(value)

    return (
        f"'{num.name}' is {word} {shown(groups.loc[hi, stat])} where '{cat.name}' is '{cat.levels[hi]}' "
        f"and {shown(groups.loc[lo, stat])} where it is '{cat.levels[lo]}'."
    )


def _kind(c: _Column) -> str:
    """How a column was measured, as a chart needs to know it: "number", "date" or "category"."""
    return "date" if c.is_date else c.kind


def _links(columns: list[_Column], target: _Column) -> list[TargetLink]:
    tbins = _bins(target)
    out = []
    for col in columns:
        measure, strength, rows, p = _measure(col, target)
        if rows < MIN_ROWS:
            continue
        mi = mutual_information(_bins(col), tbins)
        sentence = _sentence(col, target, measure, strength)
        out.append(
            TargetLink(
                col.name, measure, round(strength, 6), sentence, round(mi, 6), rows, p, rows >= ENOUGH_ROWS, _kind(col)
            )
        )
    out.sort(key=lambda link: -abs(link.strength))
    return out


# --------------------------------------------------------------------------- the whole table


def explore(frame: pd.DataFrame, target: str | None = None, *, seed: int = 0) -> Relations:
    """How the columns relate to each other and, when ``target`` is given, to it."""
    if target is not None and target not in frame.columns:
        raise InputError(
            f"The table has no column named '{target}'.",
            f"Choose one of its columns: {', '.join(repr(str(c)) for c in list(frame.columns)[:10])}.",
        )
    notes = []
    sample = frame
    if len(frame) > SAMPLE_ROWS:
        sample = frame.sample(SAMPLE_ROWS, random_state=seed)
        notes.append(f"Measured on a random sample of {number(SAMPLE_ROWS)} of the {number(len(frame))} rows.")
    sample = sample.reset_index(drop=True)
    skipped: dict[str, str] = {}
    columns: list[_Column] = []
    target_column: _Column | None = None
    for name in sample.columns:
        found = _column(str(name), sample[name])
        if isinstance(found, str):
            if name == target:
                raise InputError(
                    f"The target '{target}' {found}, so nothing can be related to it.",
                    "Choose a column with at least two different values as the target.",
                )
            skipped[str(name)] = found
        elif name == target:
            target_column = found
        else:
            columns.append(found)
    if skipped:
        notes.append(
            f"{count(len(skipped), 'column')} left out: " + "; ".join(f"'{c}' {r}" for c, r in skipped.items()) + "."
        )
    links = None if target_column is None else tuple(_links(columns, target_column))
    kind = None if target_column is None else _kind(target_column)
    return Relations(len(frame), len(sample), tuple(_pairs(columns)), links, skipped, tuple(notes), kind)


def explore_text(found: Relations, top: int = 8) -> str:
    """The strongest pairs and the target's relationships, for the terminal."""
    lines = [
        f"{number(found.rows)} rows"
        + (f" (measured on {number(found.sampled_rows)})" if found.sampled_rows < found.rows else "")
    ]
    if found.target is not None:
        lines.append("Against the target:")
        lines += [f"  {t.sentence}" for t in found.target[:top]] or ["  no column could be measured against it"]
    lines.append("Strongest pairs:")
    shown = [
        f"  '{p.a}' and '{p.b}': {_how_strong(p.strength)} ({p.measure.replace('_', ' ')} {p.strength:.2f})"
        for p in found.pairs[:top]
    ]
    lines += shown or ["  no pair could be measured"]
    lines += list(found.notes)
    return "\n".join(lines)

"""The ``placeholder_values`` check. Finds values like 'N/A', 'unknown', '' or -999 that stand in for a missing value."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core import vocab
from core.data import pii
from core.data.findings import Finding
from core.data.quality.context import MIN_NUMERIC, Context
from core.data.quality.registry import Check, make_finding
from core.data.wording import quote

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


def run(ctx: Context, threshold: float) -> list[Finding]:
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
        elif f.family == "numeric" and f.numbers.count >= MIN_NUMERIC:
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
            shown.append(f"{label} ×{int(f.counts[int(i)]):,}")
        msg = (
            f"{quote(col)} has {vocab.count(count, 'value')} that look{'s' if count == 1 else ''} like placeholders "
            "for missing data "
            f"({', '.join(shown)})."
        )
        out.append(
            make_finding(
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
        if len(fin) < MIN_NUMERIC:
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


CHECK = Check(
    code="placeholder_values",
    title="Placeholders for missing data",
    kinds=("categorical", "text", "id_like", "numeric", "boolean"),
    threshold=0.0,
    reason="Every placeholder is reported: each one hides a gap that a model would read as a real value.",
    rule="'N/A', 'unknown', '' …, or -999/9999 at the column's edge -> warning.",
    help="Finds values like 'N/A', 'unknown', '' or -999 that stand in for a missing value.",
    run=run,
)

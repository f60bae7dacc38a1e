"""Plain-language findings about each series (too short, gaps, zeros, stock-outs, outliers) and the
table (a column that is the value shifted in time), and the runs of zeros they look for."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from core.data.findings import Finding
from core.forecasting.timeseries.frequency import Frequency
from core.vocab import number, percent

#: What a date with no row means, by ``--fill`` value: (the label a person picks, what it does). The Forecast page's
#: choice and the command line's help and warnings use these same words.
FILL_CHOICES: dict[str, tuple[str, str]] = {
    "auto": (
        "let Keel suggest",
        "Keel counts a date with no row as nothing sold when the file counts things (whole numbers such as units "
        "sold), and as unknown otherwise.",
    ),
    "zero": ("nothing sold", "A date with no row counts as 0: the shop was closed, or nothing was sold."),
    "missing": (
        "unknown",
        "A date with no row is a gap in the records: Keel fills it in from the neighbouring values when fitting.",
    ),
}
#: The question the fill choice answers.
FILL_QUESTION = "A date with no row means…"


def fill_label(fill: str) -> str:
    """The plain label of a fill choice: 'nothing sold' for 'zero', 'unknown' for 'missing'."""
    return FILL_CHOICES[fill][0] if fill in FILL_CHOICES else fill


def counts_like(values: np.ndarray) -> bool:
    """Sales-like counts: whole numbers, at most a few of them (5 %) negative (returns, corrections)."""
    v = values[np.isfinite(values)]
    return bool(v.size and np.mean(v < 0) <= 0.05 and np.allclose(v, np.round(v)))


def suggest_fill(values: np.ndarray) -> str:
    """'zero' for sales-like counts (see :func:`counts_like`), else 'missing'."""
    return "zero" if counts_like(values) else "missing"


def finding(
    code: str, severity: str, column: str, message: str, advice: str, series: str | None, **details: Any
) -> Finding:
    """A finding about one series (its id in ``details["series"]``)."""
    return Finding(
        code=code,
        severity=severity,
        column=column,
        message=message,
        advice=advice,
        details={"series": series, **details},
    )


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, length) of runs of True."""
    out = []
    n = len(mask)
    i = 0
    while i < n:
        if mask[i]:
            j = i
            while j < n and mask[j]:
                j += 1
            out.append((i, j - i))
            i = j
        else:
            i += 1
    return out


def edge_runs(mask: np.ndarray) -> tuple[int, int]:
    """How many values at the start and at the end of ``mask`` are True (e.g. leading/trailing zeros)."""
    mask = np.asarray(mask, dtype=bool)
    if mask.all():
        return mask.size, mask.size
    false = np.flatnonzero(~mask)
    return int(false[0]), int(mask.size - 1 - false[-1])


def launch_zeros(values: np.ndarray) -> int:
    """How many leading zeros look like "not on sale yet" (0 if none): a run of 3 or more that would
    be very unlikely by chance (under 1 %) given how often the rest of the series is zero. A slow seller
    with zeros on half its days often starts with three zeros; that is no launch, and dropping them
    would cost the history it needs (two years of days to see a yearly pattern)."""
    zero = np.asarray(values, dtype=float) == 0
    lead, _ = edge_runs(zero)
    if lead < 3 or lead >= zero.size:
        return 0
    p_zero = float(zero[lead:].mean())
    return lead if p_zero**lead < 0.01 else 0


def stockout_runs(values: np.ndarray) -> list[tuple[int, int]]:
    """(start, length) of inner runs of 3+ zeros in a series that usually sells (<30 % zeros, median >= 2)."""
    v = np.asarray(values, dtype=float)
    finite = np.isfinite(v)
    x = v[finite]
    if len(x) <= 10:
        return []
    zero = finite & (v == 0)
    if float(zero[finite].mean()) >= 0.3:
        return []
    pos = x[x > 0]
    if not pos.size or float(np.median(pos)) < 2:
        return []
    lead, trail = edge_runs(zero)
    inner = zero.copy()
    inner[:lead] = False
    inner[len(v) - trail :] = False
    return [(s, L) for s, L in _runs(inner) if L >= 3]


def series_findings(
    values: np.ndarray,
    sid: str | None,
    column: str,
    freq: Frequency,
    n_missing: int = 0,
    fill: str = "missing",
    horizon: int | None = None,
) -> list[Finding]:
    """Plain-language findings for one regular series."""
    name = f"'{sid}'" if sid is not None else f"'{column}'"
    v = np.asarray(values, dtype=float)
    out = _length_findings(v, name, sid, column, freq, horizon)
    n = len(v)
    if n_missing:
        what = (
            f"counted as zero ('{fill_label('zero')}')"
            if fill == "zero"
            else f"left missing ('{fill_label('missing')}') and filled in from the neighbouring values for fitting"
        )
        out.append(
            finding(
                "missing_periods",
                "info" if n_missing <= 0.05 * n else "warning",
                column,
                f"Series {name} has {n_missing} {freq.unit}(s) with no row; they were {what}.",
                f"If a date with no row means nothing was sold, choose '{fill_label('zero')}'; if the number was "
                f"simply not recorded, choose '{fill_label('missing')}' ('{FILL_QUESTION}' on the Forecast page, "
                "or --fill zero / --fill missing on the command line).",
                sid,
                n=n_missing,
            )
        )
    x = v[np.isfinite(v)]
    if len(x) == 0:
        return out
    if (x < 0).any():
        k = int((x < 0).sum())
        out.append(
            finding(
                "negative_values",
                "warning",
                column,
                f"Series {name} has {k} negative value(s) (lowest {number(x.min())}).",
                "Negative sales usually mean returns or corrections. Check them; order suggestions treat them as lower demand.",
                sid,
                n=k,
            )
        )
    out += _zero_findings(v, name, sid, column, freq)
    out += _outlier_findings(v, name, sid, column)
    return out


def _length_findings(
    v: np.ndarray, name: str, sid: str | None, column: str, freq: Frequency, horizon: int | None
) -> list[Finding]:
    """Too little history for a forecast, for a real one, or to check it; a horizon beyond the history."""
    out: list[Finding] = []
    n = len(v)
    x = v[np.isfinite(v)]
    min_len = 2 * max(1, {"D": 7, "W": 4, "M": 12, "Q": 4}.get(freq.code, 1))
    if len(x) < 3 or n < 3:
        out.append(
            finding(
                "too_short_history",
                "critical",
                column,
                f"Series {name} has only {len(x)} {freq.unit}(s) of data.",
                "A forecast needs at least 2 points (better a few seasons); this series gets none. "
                "Collect more history, or check that the series id column is right."
                if len(x) < 2
                else "At least 3 points are needed for a real forecast; we show a flat forecast only. Collect more history.",
                sid,
                n=len(x),
            )
        )
    elif n < min_len:
        out.append(
            finding(
                "too_short_history",
                "warning",
                column,
                f"Series {name} has only {freq.units(n)} of history.",
                f"Forecasts from short histories are rough; with at least {freq.units(min_len)} Keel can check them against the past.",
                sid,
                n=n,
            )
        )
    if horizon is not None and horizon > n:
        out.append(
            finding(
                "horizon_longer_than_history",
                "warning",
                column,
                f"The forecast horizon ({freq.units(horizon)}) is longer than the history of {name} ({freq.units(n)}).",
                "Forecasts that far ahead are guesses; shorten the horizon or use more history.",
                sid,
            )
        )
    return out


def _zero_findings(v: np.ndarray, name: str, sid: str | None, column: str, freq: Frequency) -> list[Finding]:
    """Zeros at the start (a launch), at the end (discontinued?), often (intermittent) or in runs (stock-outs)."""
    out: list[Finding] = []
    n = len(v)
    finite = np.isfinite(v)
    x = v[finite]
    zero = finite & (v == 0)
    zero_share = float(zero[finite].mean())
    all_zero_lead, trail = edge_runs(zero)
    lead = launch_zeros(v[finite])
    if lead:
        out.append(
            finding(
                "leading_zeros",
                "info",
                column,
                f"Series {name} starts with {freq.units(lead)} of zeros.",
                "This often means the product was launched later; Keel ignores those leading zeros when fitting.",
                sid,
                n=lead,
            )
        )
    if trail >= 3 and trail < n and zero_share < 0.8:
        out.append(
            finding(
                "trailing_zeros",
                "warning",
                column,
                f"Series {name} ends with {freq.units(trail)} of zeros.",
                "Was the product discontinued or out of stock? The forecast will follow the recent zeros.",
                sid,
                n=trail,
            )
        )
    if zero_share >= 0.3 and all_zero_lead < n:
        out.append(
            finding(
                "intermittent_demand",
                "info",
                column,
                f"Series {name} is zero in {percent(zero_share)} of {freq.unit}s (intermittent demand).",
                "Keel tries Croston/SBA, a method made for items that sell now and then.",
                sid,
                zero_share=round(zero_share, 3),
            )
        )
    elif zero_share < 0.3 and len(x) > 10:
        pos = x[x > 0]
        typical = float(np.median(pos)) if pos.size else 0.0
        long_runs = stockout_runs(v)
        if long_runs:
            s, L = max(long_runs, key=lambda r: r[1])
            out.append(
                finding(
                    "stockout_zeros",
                    "warning",
                    column,
                    f"Series {name} has {len(long_runs)} run(s) of zeros (longest {freq.units(L)}) although it usually sells about {number(typical)}.",
                    "These look like stock-outs: true demand was probably not zero, so the forecast may be too low. If so, "
                    f"empty those cells (or delete those rows and choose '{fill_label('missing')}' for dates with no row) so they "
                    "are not read as no demand.",
                    sid,
                    runs=len(long_runs),
                    longest=L,
                    start=s,
                )
            )
    return out


def _outlier_findings(v: np.ndarray, name: str, sid: str | None, column: str) -> list[Finding]:
    """Values far from their neighbours' median (six robust spreads), unless demand is intermittent."""
    n = len(v)
    finite = np.isfinite(v)
    if finite.sum() < 12:
        return []
    zero_share = float((finite & (v == 0))[finite].mean())
    med = pd.Series(v).rolling(7, center=True, min_periods=3).median().to_numpy()
    dev = v - med
    d = dev[np.isfinite(dev)]
    mad = float(np.median(np.abs(d - np.median(d)))) * 1.4826 if d.size else 0.0
    if mad <= 0:
        return []
    idx = np.flatnonzero(np.abs(dev) > 6 * mad)
    if not idx.size or idx.size > 0.05 * n or zero_share >= 0.3:
        return []
    return [
        finding(
            "outliers",
            "info" if idx.size <= 2 else "warning",
            column,
            f"Series {name} has {idx.size} unusual value(s) (e.g. {number(v[idx[0]])} where about "
            f"{number(med[idx[0]])} was typical).",
            (
                "Check them. A typing error should be fixed in the file. A real one-off (a big order) can pull the "
                "forecast up; a known event that comes back (a promotion, a holiday) is real demand, "
                "but the forecast does not know when it comes next, so plan for it on top."
            ),
            sid,
            n=int(idx.size),
            positions=[int(i) for i in idx[:10]],
        )
    ]


def lagged_copy_findings(frame: pd.DataFrame, date: str, value: str, id: str | None) -> list[Finding]:
    """Other numeric columns that are the value shifted by 1-3 periods (they would leak the answer)."""
    out: list[Finding] = []
    others = [c for c in frame.columns if c not in (date, value, id) and pd.api.types.is_numeric_dtype(frame[c])]
    if not others:
        return out
    f = frame.sort_values([id, date] if id else [date])
    y = pd.to_numeric(f[value], errors="coerce")
    for c in others[:50]:
        col = f[c].astype(float)
        for lag in (1, 2, 3):
            shifted = y.groupby(f[id]).shift(lag) if id else y.shift(lag)
            ok = shifted.notna() & col.notna()
            if ok.sum() >= 5 and np.isclose(shifted[ok], col[ok]).mean() > 0.95:
                out.append(
                    Finding(
                        code="lagged_copy",
                        severity="warning",
                        column=str(c),
                        message=f"Column '{c}' is '{value}' from {lag} period(s) earlier.",
                        advice="It is a lagged copy of what you forecast; Keel does not use it as an input. Remove it if it was meant as a predictor.",
                        details={"lag": lag},
                    )
                )
                break
    return out

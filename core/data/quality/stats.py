"""Per-column statistics for the profile, as plain JSON values."""

from __future__ import annotations

import numpy as np

from core import vocab
from core.data import pii
from core.data.quality.facts import Facts


def _numeric_stats(f: Facts) -> dict:
    nb = f.numbers
    out: dict = {"count": int(f.n_valid)}
    if nb.count == 0:
        out.update(dict.fromkeys(("mean", "std", "min", "p25", "median", "p75", "max", "skew", "zeros_share")))
    else:
        out.update(
            mean=vocab.jsonable(nb.mean),
            std=vocab.jsonable(nb.std),
            min=vocab.jsonable(nb.q[0]),
            p25=vocab.jsonable(nb.q[1]),
            median=vocab.jsonable(nb.q[2]),
            p75=vocab.jsonable(nb.q[3]),
            max=vocab.jsonable(nb.q[4]),
            skew=vocab.jsonable(nb.skew),
            zeros_share=vocab.jsonable(nb.zeros / nb.count),
        )
    if nb.infinite:
        out["infinite"] = nb.infinite
    return out


def _top_stats(f: Facts, k: int = 10) -> dict:
    top = f.top(k)
    shown = sum(c for _, c in top)
    return {
        "top": [{"value": str(f.uniques[i]), "count": c} for i, c in top],
        "other_count": int(f.n_valid - shown),
    }


def column_stats(f: Facts, kind: str) -> dict:
    if kind == "numeric" and f.family in ("numeric", "bool"):
        return _numeric_stats(f)
    if kind == "datetime" and f.family == "datetime":
        if not f.n_valid:
            return {"min": None, "max": None}
        u = f.uniques
        lo, hi = u.min(), u.max()
        if f.tz is not None:
            lo, hi = lo.tz_localize("UTC").tz_convert(f.tz), hi.tz_localize("UTC").tz_convert(f.tz)
        return {
            "min": lo.isoformat(),
            "max": hi.isoformat(),
            "span_days": vocab.jsonable((hi - lo).total_seconds() / 86400),
        }
    if kind == "boolean":
        out = _top_stats(f, 2)
        if f.family == "bool" and f.n_valid:
            out["true_share"] = vocab.jsonable(float(np.nansum(f.values) / f.n_valid))
        return out
    if kind == "categorical":
        return _top_stats(f, 10)
    if kind == "text":
        chars, words, longest = f.text_shape
        return {"mean_length": round(chars, 2), "mean_words": round(words, 2), "max_length": longest}
    if kind == "id_like":
        return {"unique_share": vocab.jsonable(f.n_unique / f.n_valid) if f.n_valid else None}
    if kind == "constant":
        return {"value": pii.redact(f.uniques[0], 100) if f.n_unique else None}
    return {}

